//! End-to-end tests of budgets and reports: the real binary on `fixtures/budgets` (three pages,
//! a shared vendor chunk, a lazily imported gallery with its own CSS, a font and images) and on
//! the real Vite build in `fixtures/vite-app`.

mod common;

use std::io::Write;
use std::path::Path;

use common::*;
use serde_json::Value;

fn gzip9(bytes: &[u8]) -> u64 {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(bytes).unwrap();
    e.finish().unwrap().len() as u64
}

fn config(dir: &Path, text: &str) -> String {
    let path = dir.join("distill.toml");
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn bundle<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["pages"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["bundles"].as_array().unwrap())
        .find(|b| b["id"] == id)
        .unwrap_or_else(|| panic!("no bundle {id}"))
}

fn strings(v: &Value) -> Vec<&str> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect()
}

/// Each page's main bundle is its entry, what it imports statically and its stylesheet; the
/// lazily imported gallery is a route bundle without the vendor chunk the page already loads;
/// sizes are the files' own gzip-9 sizes added up.
#[test]
fn bundles_follow_the_chunk_graph_and_sizes_add_up() {
    let tmp = tempfile::tempdir().unwrap();
    let site = fixture("budgets");
    let out = distill(
        tmp.path(),
        &["check", site.to_str().unwrap(), "--report", "json=r.json"],
    );
    ok(&out);
    let report = json(&tmp.path().join("r.json"));
    assert_eq!(report["version"], 1);
    assert_eq!(report["status"], "pass");

    let main = bundle(&report, "/index.html main");
    assert_eq!(
        strings(&main["files"]),
        ["assets/vendor.js", "assets/index.js", "assets/site.css"]
    );
    let expected: u64 = [
        "assets/vendor-Dk3jR8qA.js",
        "assets/index-B7xQp2Lm.js",
        "assets/site-Hs6Tq1Wv.css",
    ]
    .iter()
    .map(|f| gzip9(&std::fs::read(site.join(f)).unwrap()))
    .sum();
    assert_eq!(main["bytes"]["gzip"].as_u64().unwrap(), expected);

    let route = bundle(&report, "/index.html route assets/gallery.js");
    assert_eq!(
        strings(&route["files"]),
        ["assets/gallery.js", "assets/gallery.css"]
    );
    let checkout = bundle(&report, "/checkout/index.html main");
    assert_eq!(
        strings(&checkout["files"]),
        ["assets/vendor.js", "assets/checkout.js", "assets/site.css"]
    );
    let page = report["pages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["page"] == "/index.html")
        .unwrap();
    assert_eq!(page["fonts"]["size"], 23664);
    let svgs: u64 = ["img/hero.svg", "img/logo.svg"]
        .iter()
        .map(|f| std::fs::metadata(site.join(f)).unwrap().len())
        .sum();
    assert_eq!(page["images"]["size"].as_u64().unwrap(), svgs);
}

/// Over a `max`: exit 1 and a message with the page, size, budget, overage and the largest
/// files; pages sharing the bundle share the message. Over a `warn`: a warning, exit 0.
#[test]
fn an_exceeded_budget_fails_with_what_grew() {
    let tmp = tempfile::tempdir().unwrap();
    let site = fixture("budgets");
    let cfg = config(
        tmp.path(),
        "[budgets]\nmain = \"15 kB\"\nroute = { warn = \"2 kB\", max = \"10 kB\" }\n",
    );
    let out = distill(
        tmp.path(),
        &["check", site.to_str().unwrap(), "--config", &cfg],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    let line = err
        .lines()
        .find(|l| l.starts_with("budget exceeded: main bundle of /about.html"))
        .unwrap_or_else(|| panic!("{err}"));
    assert!(
        line.starts_with(
            "budget exceeded: main bundle of /about.html (and 1 more page): 16.75 kB gzip > 15 kB (+1.75 kB); largest: assets/vendor.js 16.36 kB"
        ),
        "{line}"
    );
    assert!(
        err.contains("budget exceeded: main bundle of /checkout/index.html: 16.69 kB gzip > 15 kB"),
        "{err}"
    );
    assert!(
        err.contains(
            "budget warning: route bundle assets/gallery.js of /about.html (and 1 more page): 2.77 kB gzip > warning level 2 kB (+772 B)"
        ),
        "{err}"
    );
    assert!(err.contains("3 checked, 2 failed, 1 warning"), "{err}");

    // Only the warning left: exit 0.
    let cfg = config(tmp.path(), "[budgets]\nroute = { warn = \"2 kB\" }\n");
    let out = distill(
        tmp.path(),
        &["check", site.to_str().unwrap(), "--config", &cfg],
    );
    assert!(stderr(&out).contains("budget warning: route bundle"));
    assert_eq!(out.status.code(), Some(0));
}

/// `build` checks budgets after writing: the output is there, the exit code is 1;
/// `--no-budgets` skips them. `check` on the result reads the manifest and changes nothing.
#[test]
fn build_checks_budgets_and_check_is_read_only() {
    let tmp = tempfile::tempdir().unwrap();
    let site = fixture("budgets");
    let cfg = config(tmp.path(), "[budgets]\nmain = \"10 kB\"\n");
    let args = [
        "build",
        site.to_str().unwrap(),
        "--out",
        "out",
        "--config",
        &cfg,
        "--cache-dir",
        "cache",
    ];
    let out = distill(tmp.path(), &args);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(tmp.path().join("out/.distill/manifest.json").is_file());
    let mut no_budgets = args.to_vec();
    no_budgets.push("--no-budgets");
    let out = distill(tmp.path(), &no_budgets);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!stderr(&out).contains("budget"), "{}", stderr(&out));

    let before = tree(&tmp.path().join("out"));
    let out = distill(tmp.path(), &["check", "out", "--config", &cfg, "-v"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("sizes from the distill manifest"), "{err}");
    // Names are the same as for the undistilled input: hashes are normalised away.
    assert!(err.contains("largest: assets/vendor.js"), "{err}");
    assert_eq!(before, tree(&tmp.path().join("out")));
}

/// A baseline report adds the change per bundle and file, added and removed files, and
/// `max_increase` budgets on growth.
#[test]
fn baseline_shows_changes_and_limits_growth() {
    let (tmp, site) = copy_fixture("budgets");
    let dir = site.to_str().unwrap();
    ok(&distill(
        tmp.path(),
        &["check", dir, "--report", "json=base.json"],
    ));
    // The branch: the vendor chunk grows, the gallery CSS goes, a new chunk appears.
    let vendor = site.join("assets/vendor-Dk3jR8qA.js");
    let mut text = std::fs::read_to_string(&vendor).unwrap();
    text.push_str("export const extra = registry.map((e) => e.name.toUpperCase() + e.id);\n");
    for i in 0..200 {
        text.push_str(&format!(
            "export const k{i} = \"{:x}\";\n",
            (i as u64) * 7919 * 104_729
        ));
    }
    std::fs::write(&vendor, text).unwrap();
    std::fs::remove_file(site.join("assets/gallery-Ab12Cd34.css")).unwrap();
    std::fs::write(site.join("assets/new-Zx81Yq2W.js"), "export const n = 1;\n").unwrap();

    let cfg = config(
        tmp.path(),
        "[budgets]\nmax_increase = \"2%\"\nmain = \"17 kB\"\n",
    );
    let out = distill(
        tmp.path(),
        &[
            "check",
            dir,
            "--config",
            &cfg,
            "--baseline",
            "base.json",
            "--report",
            "json=now.json",
            "--report",
            "markdown=comment.md",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(
            "budget exceeded: growth of main bundle of /about.html (and 1 more page) (gzip): +"
        ),
        "{err}"
    );
    // The failure says what grew since the baseline.
    let line = err
        .lines()
        .find(|l| l.starts_with("budget exceeded: main bundle of /about.html"))
        .unwrap_or_else(|| panic!("{err}"));
    assert!(
        line.contains("; grew +") && line.contains("since the baseline: assets/vendor.js +"),
        "{line}"
    );
    let now = json(&tmp.path().join("now.json"));
    let base = json(&tmp.path().join("base.json"));
    let main = bundle(&now, "/index.html main");
    assert_eq!(main["baseline"], bundle(&base, "/index.html main")["bytes"]);
    assert!(main["bytes"]["gzip"].as_u64() > main["baseline"]["gzip"].as_u64());
    assert_eq!(strings(&now["baseline"]["added"]), ["assets/new.js"]);
    assert_eq!(strings(&now["baseline"]["removed"]), ["assets/gallery.css"]);

    let md = std::fs::read_to_string(tmp.path().join("comment.md")).unwrap();
    assert!(
        md.starts_with("<!-- distill-report -->\n### ❌ distill:"),
        "{md}"
    );
    assert!(md.contains("| Change |"), "{md}");
    assert!(md.contains("- added `assets/new.js`"), "{md}");
    assert!(md.contains("- removed `assets/gallery.css`"), "{md}");
    // Failures come before the table.
    assert!(md.find("❌ growth of").unwrap() < md.find("| Bundle |").unwrap());

    // A report that is not one fails clearly before any work.
    std::fs::write(tmp.path().join("bad.json"), "{}").unwrap();
    let out = distill(tmp.path(), &["check", dir, "--baseline", "bad.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("bad.json: not a distill JSON report"));
}

/// Inside GitHub Actions: `::error` annotations naming the file, and the Markdown appended to
/// the step summary. JUnit XML has one test case per budget.
#[test]
fn github_annotations_step_summary_and_junit() {
    let tmp = tempfile::tempdir().unwrap();
    let site = fixture("budgets");
    let cfg = config(tmp.path(), "[budgets]\nmain = \"15 kB\"\n");
    let summary = tmp.path().join("summary.md");
    std::fs::write(&summary, "earlier step\n").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_distill"))
        .args([
            "check",
            site.to_str().unwrap(),
            "--config",
            &cfg,
            "--report",
            "junit=junit.xml",
        ])
        .current_dir(tmp.path())
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let errors: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("::error "))
        .collect();
    assert_eq!(errors.len(), 2, "{stdout}");
    assert!(
        errors[0].starts_with(
            "::error file=about.html,title=distill budget::main bundle of /about.html (and 1 more page): 16.75 kB gzip > 15 kB"
        ),
        "{stdout}"
    );
    let summary = std::fs::read_to_string(&summary).unwrap();
    assert!(
        summary.starts_with(
            "earlier step\n<!-- distill-report -->\n### ❌ distill: 2 budgets exceeded"
        )
    );

    let junit = std::fs::read_to_string(tmp.path().join("junit.xml")).unwrap();
    assert_eq!(junit.matches("<testcase ").count(), 3, "{junit}");
    assert_eq!(junit.matches("<failure ").count(), 2, "{junit}");
    assert!(junit.contains("tests=\"3\" failures=\"2\""), "{junit}");
}

/// With Vite's manifest, a dynamic chunk's CSS (named only in the entry's `__vite__mapDeps`)
/// belongs to its route bundle.
#[test]
fn vite_manifest_puts_route_css_in_its_route() {
    let tmp = tempfile::tempdir().unwrap();
    let site = fixture("vite-app/dist");
    ok(&distill(
        tmp.path(),
        &["check", site.to_str().unwrap(), "--report", "json=r.json"],
    ));
    let report = json(&tmp.path().join("r.json"));
    assert_eq!(
        strings(&bundle(&report, "/index.html main")["files"]),
        ["assets/index.js", "assets/index.css"]
    );
    assert_eq!(
        strings(&bundle(&report, "/index.html route assets/route.js")["files"]),
        ["assets/route.js", "assets/route.css"]
    );
}

/// Misconfigured budgets are errors naming the key and the file.
#[test]
fn bad_budget_config_names_the_key() {
    let tmp = tempfile::tempdir().unwrap();
    let site = fixture("budgets");
    for (text, expected) in [
        (
            "[budgets]\nmain = \"12 parsecs\"\n",
            "[budgets] main: unknown unit \"parsecs\"",
        ),
        (
            "[[budgets.files]]\nmatch = \"assets/*.js\"\n",
            "give it `max`, `warn` or `max_increase`",
        ),
        ("[budgets]\nmian = \"1 kB\"\n", "unknown field `mian`"),
    ] {
        let cfg = config(tmp.path(), text);
        let out = distill(
            tmp.path(),
            &["check", site.to_str().unwrap(), "--config", &cfg],
        );
        assert_eq!(out.status.code(), Some(2), "{text}");
        let err = stderr(&out);
        assert!(
            err.contains(expected) && err.contains("distill.toml"),
            "{text}: {err}"
        );
    }
}

/// Per-file budgets by glob, per-page overrides, and the images and fonts of a page.
#[test]
fn file_page_and_asset_type_budgets() {
    let tmp = tempfile::tempdir().unwrap();
    let site = fixture("budgets");
    let cfg = config(
        tmp.path(),
        r#"
[budgets]
fonts = "20 kB"

[[budgets.pages]]
match = "/checkout/**"
main = "16 kB"

[[budgets.files]]
match = "assets/vendor-*.js"
max = "12 kB"
"#,
    );
    let out = distill(
        tmp.path(),
        &[
            "check",
            site.to_str().unwrap(),
            "--config",
            &cfg,
            "--report",
            "json=r.json",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let report = json(&tmp.path().join("r.json"));
    let failed: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "fail")
        .map(|c| c["subject"].as_str().unwrap())
        .collect();
    assert_eq!(
        failed,
        [
            "main bundle of /checkout/index.html",
            "fonts of /about.html at mobile 412×823 @2.625x (and 2 more pages)",
            "assets/vendor.js (assets/vendor-*.js)",
        ]
    );
    let fonts = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "fonts")
        .unwrap();
    assert_eq!(fonts["largest"][0]["name"], "fonts/body.woff2");
}

/// Every report format, snapshotted, on a run with a failure, a warning and a baseline; a
/// second run writes the same bytes.
#[test]
fn report_snapshots_are_deterministic() {
    let (tmp, site) = copy_fixture("budgets");
    let dir = site.to_str().unwrap();
    ok(&distill(
        tmp.path(),
        &["check", dir, "--report", "json=base.json"],
    ));
    let checkout = site.join("assets/checkout-Qz8Lm2Pk.js");
    let mut text = std::fs::read_to_string(&checkout).unwrap();
    text.push_str("export const currency = new Intl.NumberFormat(\"en\", { style: \"currency\", currency: \"EUR\" });\n");
    std::fs::write(&checkout, text).unwrap();
    let cfg = config(
        tmp.path(),
        "[budgets]\nmain = { warn = \"16.7 kB\", max = \"16.72 kB\" }\nmax_increase = \"1%\"\n\n[[budgets.files]]\nmatch = \"assets/gallery-*.js\"\nwarn = \"2 kB\"\n",
    );
    let run = |suffix: &str| {
        let reports: Vec<String> = ["terminal", "json", "markdown", "github", "junit", "html"]
            .iter()
            .map(|f| format!("{f}={f}{suffix}.txt"))
            .collect();
        let mut args = vec!["check", dir, "--config", &cfg, "--baseline", "base.json"];
        for r in &reports {
            args.push("--report");
            args.push(r);
        }
        let out = distill(tmp.path(), &args);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    };
    run("1");
    run("2");
    for format in ["terminal", "json", "markdown", "github", "junit", "html"] {
        let a = read(tmp.path(), &format!("{format}1.txt"));
        let b = read(tmp.path(), &format!("{format}2.txt"));
        assert_eq!(a, b, "{format} differs between runs");
        insta::assert_snapshot!(format!("report_{format}"), a);
    }
}

/// The terminal table is coloured only when asked (a terminal without `NO_COLOR`): the JSON
/// report read back renders the same table either way, less the escape codes.
#[test]
fn terminal_colour_is_optional() {
    let tmp = tempfile::tempdir().unwrap();
    let site = fixture("budgets");
    let cfg = config(tmp.path(), "[budgets]\nmain = \"15 kB\"\n");
    let out = distill(
        tmp.path(),
        &[
            "check",
            site.to_str().unwrap(),
            "--config",
            &cfg,
            "--report",
            "json=r.json",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    // Not a terminal here: no colour on stderr.
    assert!(!stderr(&out).contains('\x1b'));
    let text = std::fs::read_to_string(tmp.path().join("r.json")).unwrap();
    let report: distill::budget::Report = serde_json::from_str(&text).unwrap();
    let plain = distill::report::terminal::budgets(&report, false, false);
    let coloured = distill::report::terminal::budgets(&report, true, false);
    assert!(coloured.contains("\x1b[31m✖"), "{coloured}");
    let stripped = coloured
        .replace("\x1b[31m", "")
        .replace("\x1b[32m", "")
        .replace("\x1b[33m", "")
        .replace("\x1b[0m", "");
    assert_eq!(stripped, plain);
}

/// Vite's manifest confirms the graph read from the code: the real Vite build agrees; a
/// manifest that marks a chunk as a dynamic entry no code imports is reported.
#[test]
fn vite_manifest_is_cross_checked() {
    let (tmp, dist) = copy_fixture("vite-app/dist");
    ok(&distill(
        tmp.path(),
        &[
            "check",
            dist.to_str().unwrap(),
            "--report",
            "json=agree.json",
        ],
    ));
    assert!(json(&tmp.path().join("agree.json")).get("notes").is_none());

    let path = dist.join(".vite/manifest.json");
    let text = std::fs::read_to_string(&path).unwrap().replacen(
        "\"isEntry\": true",
        "\"isEntry\": true, \"isDynamicEntry\": true",
        1,
    );
    std::fs::write(&path, text).unwrap();
    let out = distill(
        tmp.path(),
        &[
            "check",
            dist.to_str().unwrap(),
            "--report",
            "json=differ.json",
            "-v",
        ],
    );
    ok(&out);
    let notes = json(&tmp.path().join("differ.json"))["notes"].clone();
    assert_eq!(
        notes,
        serde_json::json!([
            "Vite's manifest marks assets/index-CGxq9dXk.js as a dynamic entry, but no import() of it was found in the code"
        ])
    );
    assert!(
        stderr(&out).contains("note: Vite's manifest marks"),
        "{}",
        stderr(&out)
    );
}
