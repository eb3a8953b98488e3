//! What the browser tests share: running the Node scripts of `tests/browser/` (which drive
//! Debian's Chromium through playwright-core) and comparing the screenshots they take.

use std::path::Path;
use std::process::Command;

/// Runs `node tests/browser/SCRIPT ARGS…` and parses the JSON it prints.
pub fn node<T: serde::de::DeserializeOwned>(script: &str, args: &[&std::ffi::OsStr]) -> T {
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/browser")
        .join(script);
    assert!(
        script
            .with_file_name("node_modules/playwright-core")
            .is_dir(),
        "playwright-core is not installed: run `npm ci --prefix tests/browser`"
    );
    let output = Command::new("node")
        .arg(&script)
        .args(args)
        .output()
        .expect("run node (install Node.js)");
    assert!(
        output.status.success(),
        "{} failed:\n{}",
        script.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON on stdout")
}

/// The screenshots `names`, taken into `before` and `after`, that do not match: a different
/// size, or more than 0.1 % of pixels with a channel more than 16/255 apart (anti-aliasing
/// noise stays under that).
pub fn screenshot_differences(before: &Path, after: &Path, names: &[String]) -> Vec<String> {
    let mut failures = Vec::new();
    for name in names {
        let a = image::open(before.join(name)).unwrap().to_rgba8();
        let b = image::open(after.join(name)).unwrap().to_rgba8();
        if a.dimensions() != b.dimensions() {
            failures.push(format!(
                "{name}: {:?} vs {:?}",
                a.dimensions(),
                b.dimensions()
            ));
            continue;
        }
        let differing = a
            .pixels()
            .zip(b.pixels())
            .filter(|(p, q)| (0..3).any(|c| p[c].abs_diff(q[c]) > 16))
            .count();
        let total = (a.width() * a.height()) as usize;
        if differing * 1000 > total {
            failures.push(format!("{name}: {differing} of {total} pixels differ"));
        }
    }
    failures
}
