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

use distill::css::{Style, purge, rewrite_sheet};
use rayon::prelude::*;

const RUNS: usize = 7;

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
        let keep = purge::decide(
            &page_refs,
            &[],
            &sheet_refs,
            &purge::Safelist::default(),
            purge::Options::default(),
        )
        .keep;
        // Sheets are printed in parallel, as the pipeline's rewrite does.
        let sizes = sheet_refs
            .par_iter()
            .map(|s| {
                let out = rewrite_sheet(
                    s,
                    Style {
                        minify,
                        browsers: None,
                    },
                    |_| None,
                    None,
                    Some(&keep),
                )
                .unwrap_or_else(|| s.to_string());
                (s.len(), out.len())
            })
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
}
