//! The built example site works in a real browser: every page loads in headless Chromium with
//! no failed request and no error, fonts and images load, the menu opens, and the gallery's
//! dynamically imported chunk loads under its new name. The same for a real Vite build. Needs Debian's `chromium` and
//! `npm ci --prefix tests/browser` (playwright-core); `.ci/run` installs both.

mod common;

use std::path::Path;

use common::browser::{node, screenshot_differences};
use common::*;
use serde_json::Value;

const PAGES: &[&str] = &["/index.html", "/about.html", "/blog/"];

fn check_site(dir: &Path, pages: &[&str]) -> Value {
    let mut args = vec![dir.as_os_str()];
    args.extend(pages.iter().map(std::ffi::OsStr::new));
    node("check-site.mjs", &args)
}

fn assert_page_works(page: &Value) {
    let url = page["url"].as_str().unwrap();
    assert_eq!(page["errors"], serde_json::json!([]), "{url}: errors");
    assert_eq!(page["bad"], serde_json::json!([]), "{url}: failed requests");
    for img in page["images"].as_array().unwrap() {
        assert_eq!(img["ok"], true, "{url}: image {} broken", img["src"]);
    }
    for click in page["clicks"].as_array().unwrap() {
        assert_eq!(
            click["appeared"], true,
            "{url}: {} did not appear",
            click["wait"]
        );
    }
}

/// The example site.
fn example() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/site")
}

/// Builds the example site into `tmp/out` (with `config` as `tmp/distill.toml`, and `extra`
/// flags) and returns that folder.
fn build_example(tmp: &Path, config: Option<&str>, extra: &[&str]) -> std::path::PathBuf {
    if let Some(config) = config {
        std::fs::write(tmp.join("distill.toml"), config).unwrap();
    }
    let example = example();
    let mut args = vec!["build", example.to_str().unwrap(), "--out", "out"];
    args.extend(extra);
    ok(&distill(tmp, &args));
    tmp.join("out")
}

fn requested(report: &Value) -> Vec<&str> {
    report["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["path"].as_str().unwrap())
        .collect()
}

#[test]
fn built_example_site_works_in_chromium() {
    let tmp = tempfile::tempdir().unwrap();
    let example = example();
    let out = build_example(tmp.path(), None, &[]);
    let before = check_site(&example, PAGES);
    let after = check_site(&out, PAGES);
    let pages = |r: &Value| r["pages"].as_array().unwrap().clone();
    for (b, a) in pages(&before).iter().zip(&pages(&after)) {
        assert_page_works(b);
        assert_page_works(a);
        assert_eq!(
            b["images"].as_array().unwrap().len(),
            a["images"].as_array().unwrap().len()
        );
        assert_eq!(b["clicks"], a["clicks"]);
        assert_eq!(
            a["fonts"],
            serde_json::json!(["Inter 400", "Inter 700"]),
            "{}",
            a["url"]
        );
    }
    // The hand-written script on the about page was minified, and still works (its button
    // was clicked above, and the page's inline script called its global).
    let names_ = names(&out);
    let visits = std::fs::metadata(out.join(&names_["js/visits.js"]))
        .unwrap()
        .len();
    let original = std::fs::metadata(example.join("js/visits.js"))
        .unwrap()
        .len();
    assert!(visits < original * 3 / 4, "{visits} vs {original}");
    assert_eq!(after["pages"][1]["clicks"].as_array().unwrap().len(), 2);
    // Chromium picks the AVIF source of each `<picture>` (its `<source>`s are `hidden`, which
    // must not matter to the choice).
    let chosen: Vec<&str> = after["pages"][0]["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["src"].as_str().unwrap())
        .collect();
    assert!(
        chosen.iter().filter(|s| s.ends_with(".avif")).count() >= 3,
        "{chosen:?}"
    );
    // The menu opened and the gallery rendered on the home page...
    assert_eq!(after["pages"][0]["clicks"].as_array().unwrap().len(), 2);
    assert_eq!(after["pages"][0]["images"].as_array().unwrap().len(), 5);
    // ...with its chunk fetched under the new name.
    let names = names(&out);
    let gallery = format!("/{}", names["assets/gallery-D4eF5gH6.js"]);
    let requested = requested(&after);
    assert!(
        requested.contains(&gallery.as_str()),
        "{gallery} not requested: {requested:?}"
    );
    // Every asset the browser fetched from the built site carries a content hash, except the
    // names that must keep their URL.
    let hashed: Vec<String> = names
        .iter()
        .filter(|(from, to)| from != to)
        .map(|(_, to)| format!("/{to}"))
        .collect();
    for path in requested {
        let kept = path.ends_with(".html")
            || path.ends_with('/')
            || ["/favicon.ico", "/site.webmanifest"].contains(&path);
        assert!(
            kept || hashed.iter().any(|h| h == path),
            "{path} is not hashed"
        );
    }
}

/// Real Vite 7 output (`fixtures/vite-app/dist`, built from `fixtures/vite-app/src`): the entry
/// and the lazily imported route chunk import each other, assets are imported from JS, and
/// `.vite/manifest.json` must follow the new names.
#[test]
fn built_vite_app_works_in_chromium() {
    let tmp = tempfile::tempdir().unwrap();
    let dist = fixture("vite-app/dist");
    ok(&distill(
        tmp.path(),
        &["build", dist.to_str().unwrap(), "--out", "out"],
    ));
    let out = tmp.path().join("out");
    let report = check_site(&out, &["/"]);
    let page = &report["pages"][0];
    assert_page_works(page);
    assert_eq!(page["images"].as_array().unwrap().len(), 2);
    assert_eq!(page["clicks"][0]["appeared"], true);
    let names = names(&out);
    let route = format!("/{}", names["assets/route-DY4a6UNu.js"]);
    assert!(
        requested(&report).contains(&route.as_str()),
        "{route} not fetched"
    );
    let vite: Value = serde_json::from_str(&read(&out, ".vite/manifest.json")).unwrap();
    for chunk in vite.as_object().unwrap().values() {
        let file = chunk["file"].as_str().unwrap();
        assert!(
            out.join(file).is_file(),
            ".vite/manifest.json names {file}, which is missing"
        );
    }
}

/// The HTML report opens from disk with no error and no request, shows the same numbers as the
/// JSON report, and its tables sort when a heading is clicked.
#[test]
fn html_report_matches_the_json_report() {
    let tmp = tempfile::tempdir().unwrap();
    let site = fixture("budgets");
    let cfg = tmp.path().join("distill.toml");
    std::fs::write(&cfg, "[budgets]\nmain = \"15 kB\"\n").unwrap();
    let out = distill(
        tmp.path(),
        &[
            "check",
            site.to_str().unwrap(),
            "--config",
            cfg.to_str().unwrap(),
            "--report",
            "json=r.json",
            "--report",
            "html=r.html",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(tmp.path().join("r.json")).unwrap()).unwrap();
    let shown: Value = node("check-report.mjs", &[tmp.path().join("r.html").as_os_str()]);
    assert_eq!(shown["errors"], serde_json::json!([]));
    assert_eq!(shown["requests"], serde_json::json!([]));
    assert_eq!(shown["status"], "fail");

    // Every bundle shown is in the JSON with the same gzip size; its segments add up to it.
    let bundles = shown["bundles"].as_array().unwrap();
    assert_eq!(bundles.len(), 3);
    for b in bundles {
        let id = b["id"].as_str().unwrap();
        let in_json = json["pages"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|p| p["bundles"].as_array().unwrap())
            .find(|x| x["id"] == id)
            .unwrap_or_else(|| panic!("{id} not in the JSON report"));
        assert_eq!(b["value"], in_json["bytes"]["gzip"], "{id}");
        let segments: u64 = b["segments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap())
            .sum();
        assert_eq!(Some(segments), b["value"].as_u64(), "{id}");
    }
    let failing = bundles.iter().filter(|b| b["status"] == "fail").count();
    assert_eq!(failing, 2);

    // The files table holds every file with the JSON's sizes.
    let files = shown["files"].as_array().unwrap();
    assert_eq!(files.len(), json["files"].as_array().unwrap().len());
    for (shown, f) in files.iter().zip(json["files"].as_array().unwrap()) {
        assert_eq!(shown["name"], f["name"]);
        assert_eq!(shown["size"], f["bytes"]["size"]);
        assert_eq!(shown["gzip"], f["bytes"]["gzip"]);
        assert_eq!(shown["brotli"], f["bytes"]["brotli"]);
    }
    let sizes = |key: &str| -> Vec<u64> {
        shown[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap())
            .collect()
    };
    let mut sorted = sizes("ascending");
    sorted.sort();
    assert_eq!(sizes("ascending"), sorted);
    sorted.reverse();
    assert_eq!(sizes("descending"), sorted);
}

/// Full-page screenshots of the example site before and after `distill build` (CSS purging on), at 375 and
/// 1280 px, before and after clicking the menu, the gallery and the visits button: the pixels
/// match. Images are hidden in both (distill re-encodes them on purpose; `tests/images.rs`
/// measures that), so this compares layout, text, fonts and colours. Tolerance: a pixel counts
/// as different when a channel differs by more than 16 of 255, and at most 0.1 % of pixels may
/// (anti-aliasing noise); the sizes must be equal.
#[test]
fn pages_look_the_same_before_and_after() {
    let tmp = tempfile::tempdir().unwrap();
    let example = example();
    // With every transform on (the defaults), CSS purging and critical CSS included.
    build_example(tmp.path(), None, &["--report", "json=r.json"]);
    // The example stylesheet's unused rules went (and only they: the menu's `is-open`, which
    // only a script adds, stayed).
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(tmp.path().join("r.json")).unwrap()).unwrap();
    assert_eq!(
        report["css_purged"]["assets/index-D8nq2LwF.css"],
        serde_json::json!([
            ".btn",
            ".btn-danger",
            ".modal",
            ".modal.is-visible",
            ".alert:hover"
        ])
    );
    let n = names(&tmp.path().join("out"));
    let css = read(&tmp.path().join("out"), &n["assets/index-D8nq2LwF.css"]);
    assert!(
        css.contains(".menu.is-open{") && !css.contains(".modal"),
        "{css}"
    );
    let shots = assert_same_screenshots(&example, &tmp.path().join("out"), PAGES, tmp);
    // Three pages at two widths, plus the clicks (the menu toggle is hidden at 1280 px).
    assert!(shots >= 10, "{shots} screenshots");
}

/// Screenshots `pages` of `original` and of `built` (see `tests/browser/screenshot.mjs`) and
/// asserts they match; returns how many were compared. The shots go to `tmp`, which is kept on
/// failure for a look.
fn assert_same_screenshots(
    original: &Path,
    built: &Path,
    pages: &[&str],
    tmp: tempfile::TempDir,
) -> usize {
    compare_screenshots(original, built, pages, tmp, false)
}

/// [`assert_same_screenshots`], or with `only_inline_css` the built pages shot with every
/// stylesheet request failing (and nothing clicked): their inlined critical CSS alone must
/// render them as the original pages render with all their CSS.
fn compare_screenshots(
    original: &Path,
    built: &Path,
    pages: &[&str],
    tmp: tempfile::TempDir,
    only_inline_css: bool,
) -> usize {
    let shoot = |dir: &Path, shots: &str, flag: Option<&str>| -> Vec<String> {
        let into = tmp.path().join(shots);
        let mut args: Vec<&std::ffi::OsStr> = flag.iter().map(std::ffi::OsStr::new).collect();
        args.extend([dir.as_os_str(), into.as_os_str()]);
        args.extend(pages.iter().map(std::ffi::OsStr::new));
        node("screenshot.mjs", &args)
    };
    let before = shoot(original, "before", None);
    let after = shoot(
        built,
        "after",
        only_inline_css.then_some("--only-inline-css"),
    );
    let before: Vec<String> = if only_inline_css {
        // Only the shots before any click.
        before
            .into_iter()
            .filter(|n| n.ends_with("0.png"))
            .collect()
    } else {
        before
    };
    assert_eq!(before, after, "different clicks happened");
    let failures = screenshot_differences(
        &tmp.path().join("before"),
        &tmp.path().join("after"),
        &before,
    );
    if !failures.is_empty() {
        let kept = tmp.keep();
        panic!(
            "screenshots differ (kept in {}):\n{}",
            kept.display(),
            failures.join("\n")
        );
    }
    before.len()
}

/// The critical CSS distill inlines is enough to render the page as it finally looks: shot
/// with every stylesheet request failing, the built pages match the originals with all their
/// CSS, at both widths (the blog page has a `<style>` block after its stylesheet, which keeps
/// its place for the first render and is copied after the moved sheet).
#[test]
fn inlined_critical_css_alone_renders_the_page() {
    let tmp = tempfile::tempdir().unwrap();
    let out = build_example(tmp.path(), None, &["--no-budgets"]);
    let pages = ["/index.html", "/about.html", "/blog/index.html"];
    for page in pages {
        let html = read(&out, &page[1..]);
        assert!(html.contains("<style data-distill-critical>"), "{page}");
    }
    let shots = compare_screenshots(&example(), &out, &pages, tmp, true);
    assert_eq!(shots, 6);
}

/// With `[headers] csp = true`, each page with inlined critical CSS is served (by the test
/// server, from `_headers`) with a `style-src` that allows exactly its inline styles: the
/// critical `<style>`, its other `<style>` blocks and, by hash, its `style` attributes (the
/// `<picture>`s distill writes have one). Chromium reports a violation as a console error,
/// which fails the page. The same policy without the hashes of the `style` attributes does
/// fail, so the check can tell.
#[test]
fn csp_header_allows_the_inlined_styles() {
    let tmp = tempfile::tempdir().unwrap();
    let out = build_example(
        tmp.path(),
        Some("[headers]\ncsp = true\n"),
        &["--no-budgets"],
    );
    let report = check_site(&out, PAGES);
    let pages = report["pages"].as_array().unwrap();
    for page in pages {
        assert_page_works(page);
    }
    let policy = pages[0]["csp"].as_str().expect("a CSP on the home page");
    assert!(policy.starts_with("style-src 'self' 'sha256-"), "{policy}");
    assert!(policy.contains("'unsafe-hashes'"), "{policy}");
    assert!(pages[1]["csp"].is_string());

    // Without the attribute hashes, the `<picture>` styles are refused.
    let headers = read(&out, "_headers");
    let strict = headers
        .lines()
        .map(|l| match l.find(" 'unsafe-hashes'") {
            Some(i) if l.contains("Content-Security-Policy") => &l[..i],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(out.join("_headers"), strict).unwrap();
    let report = check_site(&out, &["/index.html"]);
    let errors = report["pages"][0]["errors"].as_array().unwrap();
    assert!(
        errors
            .iter()
            .any(|e| e.as_str().unwrap().contains("Content Security Policy")),
        "{errors:?}"
    );
}

/// Bootstrap 5.3.8 purged against three pages (from 232 kB to under 35 kB), each with its
/// critical CSS inlined (the limit lifted: Bootstrap's is 12-18 kB a page): the pages look the
/// same at both widths, and so do they with every stylesheet request failing.
#[test]
fn purged_bootstrap_pages_look_the_same() {
    let tmp = tempfile::tempdir().unwrap();
    let site = fixture("bootstrap");
    std::fs::write(
        tmp.path().join("distill.toml"),
        "[css]\ncritical_max_bytes = \"none\"\n",
    )
    .unwrap();
    ok(&distill(
        tmp.path(),
        &[
            "build",
            site.to_str().unwrap(),
            "--out",
            "out",
            "--no-budgets",
        ],
    ));
    let out = tmp.path().join("out");
    let css = read(&out, &names(&out)["css/bootstrap.min.css"]);
    assert!(css.len() < 35_000, "{} bytes", css.len());
    let pages = ["/index.html", "/shop.html", "/pricing.html"];
    for page in pages {
        assert!(
            read(&out, &page[1..]).contains("<style data-distill-critical>"),
            "{page}"
        );
    }
    // The shots go to folders of their own: `tmp` (holding the output) must outlive both.
    let shots = assert_same_screenshots(&site, &out, &pages, tempfile::tempdir().unwrap());
    assert_eq!(shots, 6);
    let shots = compare_screenshots(&site, &out, &pages, tempfile::tempdir().unwrap(), true);
    assert_eq!(shots, 6);
    drop(tmp);
}
