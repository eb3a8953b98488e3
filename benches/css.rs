//! CSS purging on real framework CSS (bench binary, `harness = false`):
//!
//!     npm ci --prefix benches/purgecss && cargo bench --bench css
//!
//! Bootstrap 5.3, Bulma 1.0 and Font Awesome 7 (from their npm packages in
//! `benches/purgecss/node_modules`) purged against the pages in `fixtures/bootstrap`,
//! by distill (`css::purge::decide`, then each sheet printed without the unused rules) and by
//! PurgeCSS 7 (`benches/purgecss/purge.mjs`) on the same inputs. distill's time includes
//! parsing the pages into DOMs and matching with the `selectors` crate; its bytes are given
//! unminified (as PurgeCSS writes them) and minified (what `distill build` ships). PurgeCSS's
//! output is not minified; a minifier after it would add to its time.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use distill::css::{Style, critical, purge, rewrite_sheet};
use distill::html::critical as html_critical;
use rayon::prelude::*;

const RUNS: usize = 7;

/// The pages of `fixtures/bootstrap`, in the order `chain.mjs` reads them.
const PAGES: [&str; 3] = ["index.html", "pricing.html", "shop.html"];

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/purgecss");
    let modules = root.join("node_modules");
    if !modules.is_dir() {
        eprintln!("run `npm ci --prefix benches/purgecss` first");
        std::process::exit(2);
    }
    // The pages of the Bootstrap screenshot test (`fixtures/bootstrap`), which also use Bulma
    // and Font Awesome classes.
    let pages = [
        "../../fixtures/bootstrap/index.html",
        "../../fixtures/bootstrap/pricing.html",
        "../../fixtures/bootstrap/shop.html",
    ];
    let sheets = [
        "node_modules/bootstrap/dist/css/bootstrap.css",
        "node_modules/bulma/css/bulma.css",
        "node_modules/@fortawesome/fontawesome-free/css/all.css",
    ];
    let read = |p: &str| std::fs::read_to_string(root.join(p)).expect("read");
    let page_texts: Vec<String> = pages.iter().map(|p| read(p)).collect();
    let sheet_texts: Vec<String> = sheets.iter().map(|p| read(p)).collect();
    let page_refs: Vec<&str> = page_texts.iter().map(String::as_str).collect();
    let sheet_refs: Vec<&str> = sheet_texts.iter().map(String::as_str).collect();

    let run = |minify: bool| -> (Duration, Vec<(usize, usize)>, purge::Keep) {
        let start = Instant::now();
        let style = Style {
            minify,
            browsers: None,
        };
        let (purged, keep) = purge_and_print(&page_refs, &sheet_refs, style);
        let sizes = sheet_refs
            .iter()
            .zip(&purged)
            .map(|(s, out)| (s.len(), out.len()))
            .collect();
        (start.elapsed(), sizes, keep)
    };
    let mut times: Vec<Duration> = Vec::new();
    let mut last = None;
    for _ in 0..RUNS {
        let (t, sizes, keep) = run(true);
        times.push(t);
        last = Some((sizes, keep));
    }
    times.sort();
    let (minified, keep) = last.unwrap();
    let (plain_time, plain, _) = run(false);
    let ours = times[RUNS / 2];

    let output = Command::new("node")
        .current_dir(&root)
        .arg("purge.mjs")
        .arg(RUNS.to_string())
        .args(pages)
        .arg("--")
        .args(sheets)
        .output()
        .expect("run node");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let theirs: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let their_ms = theirs["ms"].as_f64().unwrap();

    let input: usize = sheet_refs.iter().map(|s| s.len()).sum();
    println!(
        "{} stylesheets ({:.2} MB), {} pages; {} selectors the engine cannot parse (kept)",
        sheets.len(),
        input as f64 / 1e6,
        pages.len(),
        keep.unsupported
    );
    println!("| sheet | input | PurgeCSS | distill (unminified) | distill (minified) |");
    println!("|---|---|---|---|---|");
    for (i, name) in sheets.iter().enumerate() {
        let short = name.rsplit('/').next().unwrap();
        println!(
            "| {short} | {} | {} | {} | {} |",
            plain[i].0, theirs["sheets"][i]["after"], plain[i].1, minified[i].1
        );
    }
    println!(
        "time (median of {RUNS}): distill purge + minify {:.1} ms (purge + print {:.1} ms), PurgeCSS {:.1} ms -> {:.1}x",
        ours.as_secs_f64() * 1e3,
        plain_time.as_secs_f64() * 1e3,
        their_ms,
        their_ms / (ours.as_secs_f64() * 1e3)
    );

    job(&root, &modules);
}

/// distill's purge as `distill build` runs it: decide against the pages, then print each sheet
/// (in parallel) from its text after the first cut, less the selectors not kept.
fn purge_and_print(pages: &[&str], sheets: &[&str], style: Style) -> (Vec<String>, purge::Keep) {
    let decision = purge::decide(
        pages,
        &[],
        &[],
        sheets,
        &purge::Safelist::default(),
        purge::Options::default(),
    );
    let printed = sheets
        .par_iter()
        .zip(&decision.pruned)
        .map(|(s, pruned)| {
            rewrite_sheet(
                pruned.as_deref().unwrap_or(s),
                style,
                |_| None,
                None,
                Some(&decision.keep),
            )
            .unwrap_or_else(|| s.to_string())
        })
        .collect();
    (printed, decision.keep)
}

/// The whole job on one site: purge every sheet against every page, minify, and inline each
/// page's critical CSS (distill's library calls, as `distill build` makes them), against
/// PurgeCSS + beasties (`chain.mjs`) on the same files. The site: the three pages of
/// `fixtures/bootstrap`, each linking Bootstrap, Bulma, Font Awesome and a full Tailwind 2 build.
fn job(root: &Path, modules: &Path) {
    let site = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(site.path().join("css")).unwrap();
    let sheets = [
        ("bootstrap.css", "bootstrap/dist/css/bootstrap.css"),
        ("bulma.css", "bulma/css/bulma.css"),
        ("all.css", "@fortawesome/fontawesome-free/css/all.css"),
        ("tailwind.css", "tailwindcss/dist/tailwind.css"),
    ];
    let links: String = sheets
        .iter()
        .map(|(name, _)| format!("<link rel=\"stylesheet\" href=\"css/{name}\">"))
        .collect();
    for (name, from) in sheets {
        std::fs::copy(modules.join(from), site.path().join("css").join(name)).unwrap();
    }
    let mut pages = Vec::new();
    for page in PAGES {
        let text = std::fs::read_to_string(root.join("../../fixtures/bootstrap").join(page))
            .unwrap()
            .replace(
                "<link rel=\"stylesheet\" href=\"css/bootstrap.min.css\">",
                &links,
            );
        std::fs::write(site.path().join(page), &text).unwrap();
        pages.push(text);
    }
    let sheet_texts: Vec<String> = sheets
        .iter()
        .map(|(name, _)| std::fs::read_to_string(site.path().join("css").join(name)).unwrap())
        .collect();
    let page_refs: Vec<&str> = pages.iter().map(String::as_str).collect();
    let sheet_refs: Vec<&str> = sheet_texts.iter().map(String::as_str).collect();
    let style = Style {
        minify: true,
        browsers: None,
    };

    let run = || -> ([Duration; 3], Vec<usize>, Vec<usize>) {
        let start = Instant::now();
        let (purged, _) = purge_and_print(&page_refs, &sheet_refs, style);
        let purge_done = start.elapsed();
        let prepared: Vec<critical::Prepared> = purged
            .par_iter()
            .map(|s| critical::prepare(s).unwrap())
            .collect();
        let hrefs: Vec<String> = sheets.iter().map(|(n, _)| format!("css/{n}")).collect();
        let inlined: Vec<usize> = page_refs
            .par_iter()
            .map(|html| {
                let page = critical::Page::parse(html);
                let with: Vec<(&critical::Prepared, &str)> = prepared
                    .iter()
                    .zip(&hrefs)
                    .map(|(p, h)| (p, h.as_str()))
                    .collect();
                let css = critical::extract(&page, &with, style);
                let styles = html_critical::styling(html).unwrap();
                let all = vec![true; styles.elements.len()];
                let out = html_critical::inline(
                    html,
                    &html_critical::Edit {
                        css: &css.css,
                        styles: &styles,
                        inlined: &all,
                        fonts: &css.fonts,
                        strategy: html_critical::Strategy::Body,
                    },
                )
                .unwrap();
                assert!(out.len() > html.len());
                css.css.len()
            })
            .collect();
        let total = start.elapsed();
        (
            [purge_done, total - purge_done, total],
            purged.iter().map(String::len).collect(),
            inlined,
        )
    };
    let mut runs: Vec<([Duration; 3], Vec<usize>, Vec<usize>)> = (0..RUNS).map(|_| run()).collect();
    runs.sort_by_key(|r| r.0[2]);
    let (times, purged, inlined) = runs.swap_remove(RUNS / 2);

    let output = Command::new("node")
        .current_dir(root)
        .arg("chain.mjs")
        .arg(RUNS.to_string())
        .arg(site.path())
        .output()
        .expect("run node");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let theirs: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let input: usize = sheet_refs.iter().map(|s| s.len()).sum();
    println!();
    println!(
        "Whole job: {} stylesheets ({:.2} MB, with Tailwind 2's full build) linked from {} pages",
        sheets.len(),
        input as f64 / 1e6,
        pages.len()
    );
    println!("| step | PurgeCSS + beasties | distill |");
    println!("|---|---|---|");
    println!(
        "| purge (+ minify for distill) | {:.0} ms | {:.0} ms |",
        theirs["ms"]["purge"].as_f64().unwrap(),
        ms(times[0])
    );
    println!(
        "| critical CSS, every page | {:.0} ms | {:.0} ms |",
        theirs["ms"]["critical"].as_f64().unwrap(),
        ms(times[1])
    );
    let their_total = theirs["ms"]["total"].as_f64().unwrap();
    println!(
        "| total (median of {RUNS}) | {:.0} ms | {:.0} ms ({:.1}x) |",
        their_total,
        ms(times[2]),
        their_total / ms(times[2])
    );
    let purged_names: Vec<&str> = theirs["sheets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    for (i, (name, _)) in sheets.iter().enumerate() {
        let j = purged_names.iter().position(|n| n == name).unwrap();
        println!(
            "| {name} purged | {} B | {} B (minified) |",
            theirs["purged"][j], purged[i]
        );
    }
    for (i, page) in PAGES.iter().enumerate() {
        println!(
            "| {page} inlined CSS | {} B | {} B |",
            theirs["critical"][i], inlined[i]
        );
    }
}
