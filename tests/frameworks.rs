//! The framework matrix: real builds of real frameworks (`fixtures/frameworks/<name>/dist`, made
//! by each fixture's `build.sh` from its pinned `package-lock.json`) still work after
//! `distill build` with default settings. Each is loaded in headless Chromium before and after
//! (`tests/browser/check-framework.mjs`): every route with no new failed request or console
//! error and its images loading, a client-side navigation that stays client-side, a counter
//! button that works (the page hydrated), the service worker's precache (installs, every entry
//! answers with the bytes its revision describes), the same full-page screenshots at 375 and
//! 1280 px (images hidden), and every file the framework's own manifests name present. The
//! sub-path build (`dist-base`, served under `/app/`) is checked the same way, screenshots aside.
//! Needs Debian's `chromium` and `npm ci --prefix tests/browser`; `.ci/run` installs both.

mod common;

use std::path::{Path, PathBuf};

use common::browser::{node, screenshot_differences};
use common::*;
use serde_json::Value;

fn fixture_dir(name: &str) -> PathBuf {
    fixture("frameworks").join(name)
}

/// `check-framework.mjs` on `dir`, served under `base`; with `shots`, screenshots go there.
fn check(dir: &Path, matrix: &Path, base: &str, shots: Option<&Path>) -> Value {
    let mut args: Vec<&std::ffi::OsStr> = Vec::new();
    if let Some(shots) = shots {
        args.extend(["--shots".as_ref(), shots.as_os_str()]);
    }
    args.extend([dir.as_os_str(), matrix.as_os_str(), base.as_ref()]);
    node("check-framework.mjs", &args)
}

/// Runs distill with default settings (plus `config` as `distill.toml`) on `input`, into a new
/// folder of `tmp`; a budget over its limit (exit 1) still writes the output. The binary is
/// this build's, or `DISTILL_MATRIX_BIN` (to hold another build, such as an earlier release,
/// against the matrix).
fn distill_into(tmp: &Path, input: &Path, config: &str) -> PathBuf {
    std::fs::write(tmp.join("distill.toml"), config).unwrap();
    let out = tmp.join("out");
    let args = ["build", input.to_str().unwrap(), "--out", "out", "-v"];
    let output = match std::env::var_os("DISTILL_MATRIX_BIN") {
        Some(bin) => std::process::Command::new(bin)
            .args(args)
            .current_dir(tmp)
            .env("CI", "true")
            .output()
            .expect("run DISTILL_MATRIX_BIN"),
        None => distill(tmp, &args),
    };
    let code = output.status.code();
    assert!(
        matches!(code, Some(0 | 1)),
        "distill failed ({code:?}):\n{}",
        stderr(&output)
    );
    out
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// What a user would call broken on the output and not on the original.
fn regressions(before: &Value, after: &Value, matrix: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let routes = |r: &Value| r["routes"].as_array().cloned().unwrap_or_default();
    for (b, a) in routes(before).iter().zip(routes(after)) {
        let url = a["url"].as_str().unwrap_or("?");
        for key in ["errors", "bad"] {
            let old = strings(&b[key]);
            for item in strings(&a[key]).into_iter().filter(|i| !old.contains(i)) {
                out.push(format!("{url}: {key}: {item}"));
            }
        }
        for img in a["images"].as_array().into_iter().flatten() {
            if img["ok"] != true {
                out.push(format!("{url}: image {} broken", img["src"]));
            }
        }
        if a["status"] != 200 {
            out.push(format!("{url}: status {}", a["status"]));
        }
    }
    if !matrix["navigate"].is_null() {
        let (b, a) = (&before["navigate"], &after["navigate"]);
        if a["reached"] != true {
            out.push(format!("navigation did not reach its page: {a}"));
        }
        if a["client_side"] != matrix["navigate"]["client_side"] {
            out.push(format!("navigation client_side = {}", a["client_side"]));
        }
        for key in ["errors", "bad"] {
            let old = strings(&b[key]);
            for item in strings(&a[key]).into_iter().filter(|i| !old.contains(i)) {
                out.push(format!("navigation: {key}: {item}"));
            }
        }
    }
    if !matrix["counter"].is_null() && after["counter"]["ok"] != true {
        out.push(format!("the counter did not count: {}", after["counter"]));
    }
    if matrix["service_worker"] == true {
        let (b, a) = (&before["service_worker"], &after["service_worker"]);
        if a["active"] != true {
            out.push("the service worker did not install".into());
        }
        let count = |v: &Value| v["entries"].as_array().map_or(0, Vec::len);
        if count(a) != count(b) {
            out.push(format!(
                "precached {} entries, {} before",
                count(a),
                count(b)
            ));
        }
        for entry in a["entries"].as_array().into_iter().flatten() {
            let revision = &entry["revision"];
            if entry["status"] != 200 || (!revision.is_null() && *revision != entry["md5"]) {
                out.push(format!("precache entry {entry}"));
            }
        }
    }
    out
}

/// The original must work, or the comparison proves nothing.
fn assert_original_works(report: &Value, matrix: &Value, what: &str) {
    for route in report["routes"].as_array().unwrap() {
        assert_eq!(route["errors"], serde_json::json!([]), "{what}: {route}");
        assert_eq!(route["bad"], serde_json::json!([]), "{what}: {route}");
    }
    if !matrix["navigate"].is_null() {
        assert_eq!(report["navigate"]["reached"], true, "{what}: navigation");
    }
    if !matrix["counter"].is_null() {
        assert_eq!(report["counter"]["ok"], true, "{what}: counter");
    }
}

/// Every output path the framework's manifest names exists (string values that look like a
/// file path of the site, wherever they sit in the document, but for the keys that name source
/// files or other entries: Vite's `src`, `name`, `imports`, `dynamicImports`).
fn missing_in_manifest(out: &Path, manifest: &str, base: &str) -> Vec<String> {
    let text = read(out, manifest);
    let doc: Value = serde_json::from_str(&text).unwrap();
    let mut paths = Vec::new();
    collect_paths(&doc, &mut paths);
    assert!(!paths.is_empty(), "{manifest} names no file");
    paths
        .into_iter()
        .filter(|p| {
            let rel = p.strip_prefix(base).or(p.strip_prefix('/')).unwrap_or(p);
            !out.join(rel).is_file()
        })
        .collect()
}

fn collect_paths(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => {
            let name = s.rsplit('/').next().unwrap_or(s);
            let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
            if matches!(
                ext,
                "js" | "mjs" | "css" | "png" | "jpg" | "svg" | "webp" | "woff2" | "map"
            ) {
                out.push(s.clone());
            }
        }
        Value::Array(items) => items.iter().for_each(|i| collect_paths(i, out)),
        Value::Object(map) => map
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "src" | "name" | "imports" | "dynamicImports"))
            .for_each(|(_, i)| collect_paths(i, out)),
        _ => {}
    }
}

/// Builds the framework's output with distill and checks it against the original.
fn matrix_case(name: &str) {
    let dir = fixture_dir(name);
    let matrix_path = dir.join("matrix.json");
    let matrix: Value = serde_json::from_str(&read(&dir, "matrix.json")).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let original = dir.join("dist");
    let out = distill_into(tmp.path(), &original, "");
    let shots = |side: &str| tmp.path().join("shots").join(side);
    let before = check(&original, &matrix_path, "/", Some(&shots("before")));
    assert_original_works(&before, &matrix, name);
    let after = check(&out, &matrix_path, "/", Some(&shots("after")));
    let mut problems = regressions(&before, &after, &matrix);
    let names = strings(&before["shots"]);
    assert_eq!(names, strings(&after["shots"]));
    problems.extend(screenshot_differences(
        &shots("before"),
        &shots("after"),
        &names,
    ));
    for manifest in strings(&matrix["manifests"]) {
        for missing in missing_in_manifest(&out, &manifest, "/") {
            problems.push(format!(
                "{manifest} names {missing}, which is not in the output"
            ));
        }
    }

    if let Some(base_build) = matrix["base_build"].as_object() {
        let base = base_build["base"].as_str().unwrap();
        let original = dir.join(base_build["dir"].as_str().unwrap());
        let tmp = tempfile::tempdir().unwrap();
        let config = format!("[hash]\nbase = {base:?}\n");
        let out = distill_into(tmp.path(), &original, &config);
        let before = check(&original, &matrix_path, base, None);
        assert_original_works(&before, &matrix, &format!("{name} under {base}"));
        let after = check(&out, &matrix_path, base, None);
        problems.extend(
            regressions(&before, &after, &matrix)
                .into_iter()
                .map(|p| format!("under {base}: {p}")),
        );
    }
    if !problems.is_empty() {
        let kept = tmp.keep();
        panic!(
            "{name} breaks after distill (output and shots kept in {}):\n{}",
            kept.display(),
            problems.join("\n")
        );
    }
}

macro_rules! frameworks {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                matrix_case(stringify!($name));
            }
        )*
    };
}

frameworks!(
    vite, webpack, next, sveltekit, astro, nuxt, angular, docusaurus, eleventy, hugo
);

/// Every fixture folder is in the list above.
#[test]
fn every_fixture_is_tested() {
    let listed = [
        "vite",
        "webpack",
        "next",
        "sveltekit",
        "astro",
        "nuxt",
        "angular",
        "docusaurus",
        "eleventy",
        "hugo",
    ];
    for entry in std::fs::read_dir(fixture("frameworks")).unwrap() {
        let entry = entry.unwrap();
        if entry.path().join("matrix.json").is_file() {
            let name = entry.file_name().to_string_lossy().into_owned();
            assert!(listed.contains(&name.as_str()), "{name} is not tested");
        }
    }
}
