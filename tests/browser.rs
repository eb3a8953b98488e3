//! The built example site works in a real browser: every page loads in headless Chromium with
//! no failed request and no error, fonts and images load, the menu opens, and the gallery's
//! dynamically imported chunk loads under its new name. Needs Debian's `chromium` and
//! `npm ci --prefix tests/browser` (playwright-core); `.ci/run` installs both.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;
use serde_json::Value;

const PAGES: &[&str] = &["/index.html", "/about.html", "/blog/"];

fn check_site(dir: &Path) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/check-site.mjs");
    assert!(
        script.with_file_name("node_modules/playwright-core").is_dir(),
        "playwright-core is not installed: run `npm ci --prefix tests/browser`"
    );
    let output = Command::new("node")
        .arg(&script)
        .arg(dir)
        .args(PAGES)
        .output()
        .expect("run node (install Node.js)");
    assert!(
        output.status.success(),
        "browser check failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON report")
}

fn assert_page_works(page: &Value) {
    let url = page["url"].as_str().unwrap();
    assert_eq!(page["errors"], serde_json::json!([]), "{url}: errors");
    assert_eq!(page["bad"], serde_json::json!([]), "{url}: failed requests");
    assert_eq!(page["fontLoaded"], true, "{url}: web font not loaded");
    assert_eq!(page["menuOpen"], true, "{url}: menu did not open");
    for img in page["images"].as_array().unwrap() {
        assert_eq!(img["ok"], true, "{url}: image {} broken", img["src"]);
    }
}

#[test]
fn built_example_site_works_in_chromium() {
    let tmp = tempfile::tempdir().unwrap();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/site");
    ok(&distill(
        tmp.path(),
        &["build", example.to_str().unwrap(), "--out", "out"],
    ));
    let out = tmp.path().join("out");
    let before = check_site(&example);
    let after = check_site(&out);
    for (b, a) in before["pages"].as_array().unwrap().iter().zip(after["pages"].as_array().unwrap()) {
        assert_page_works(b);
        assert_page_works(a);
        assert_eq!(
            b["images"].as_array().unwrap().len(),
            a["images"].as_array().unwrap().len(),
            "{}: a different number of images rendered",
            a["url"]
        );
    }
    // The gallery opened on the home page: its chunk was fetched under the new name.
    let names = names(&out);
    let gallery = format!("/{}", names["assets/gallery-D4eF5gH6.js"]);
    let requested: Vec<&str> = after["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["path"].as_str().unwrap())
        .collect();
    assert!(requested.contains(&gallery.as_str()), "{gallery} not requested: {requested:?}");
    let home_images = after["pages"][0]["images"].as_array().unwrap().len();
    assert_eq!(home_images, 5, "hero, two cards and two gallery images");
    // Every asset the browser fetched from the built site carries a content hash, except the
    // names that must keep their URL.
    for path in requested {
        let kept = path.ends_with(".html")
            || path.ends_with('/')
            || ["/favicon.ico", "/site.webmanifest"].contains(&path);
        assert!(kept || names.values().any(|n| format!("/{n}") == path && n.split('.').count() >= 3), "{path}");
    }
}
