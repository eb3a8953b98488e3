//! Page weights against Chromium: distill's per-page images and fonts (and its main bundle)
//! at each reference viewport are compared with what Debian's Chromium downloads for the same
//! distilled page at the same viewport (`tests/browser/weights.mjs`: a fresh context per load,
//! network log on, scrolled to the bottom). Material: seven themes published on npm as static
//! sites (`tests/weights/`, fetched with `npm pack` at test time, not committed), the example
//! site (`<picture>`, `srcset`, `image-set()` backgrounds, fonts) and the Vite app fixture (a
//! client-rendered page). Needs Node, `npm ci --prefix tests/browser` and Chromium, as the other
//! browser tests; `.ci/run` installs them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_distill");

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The themes of `tests/weights/themes.json`, laid out by `fetch.sh` (once per target folder).
fn themes() -> Vec<(String, PathBuf, Vec<String>, Option<String>)> {
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("weights-themes");
    let status = Command::new("bash")
        .arg(root().join("tests/weights/fetch.sh"))
        .arg(&out)
        .status()
        .expect("run bash");
    assert!(
        status.success(),
        "tests/weights/fetch.sh failed (npm registry reachable?)"
    );
    let list: Vec<Value> = serde_json::from_str(
        &std::fs::read_to_string(root().join("tests/weights/themes.json")).unwrap(),
    )
    .unwrap();
    list.iter()
        .map(|t| {
            let pages = t["pages"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p.as_str().unwrap().to_string())
                .collect();
            (
                t["name"].as_str().unwrap().to_string(),
                out.join(t["root"].as_str().unwrap()),
                pages,
                t["scripts_at_run_time"].as_str().map(str::to_string),
            )
        })
        .collect()
}

/// Builds `src` into `out` with default settings but AVIF's fastest speed (the images' bytes do
/// not change what is compared: distill's figures and the browser's for the same output; speed
/// 10 takes Tabler's 13 MB of photos from 128 s to 31 s), a cold image cache beside `out`, and
/// returns its JSON report.
fn distill(src: &Path, out: &Path) -> Value {
    let report = out.with_extension("json");
    let config = out.with_extension("toml");
    std::fs::write(&config, "[images.avif]\nspeed = 10\n").unwrap();
    let run = Command::new(BIN)
        .args(["build"])
        .arg(src)
        .arg("--out")
        .arg(out)
        .arg("--config")
        .arg(&config)
        .arg("--cache-dir")
        .arg(out.with_extension("cache"))
        .args(["-q", "--report"])
        .arg(format!("json={}", report.display()))
        .output()
        .unwrap();
    // 1: a default budget (250 kB main) failed; the output is written all the same.
    assert!(
        matches!(run.status.code(), Some(0 | 1)),
        "distill build {}: {}",
        src.display(),
        String::from_utf8_lossy(&run.stderr)
    );
    serde_json::from_str(&std::fs::read_to_string(report).unwrap()).unwrap()
}

/// Chromium's view of some pages, loading in the background (`tests/browser/weights.mjs`).
struct Loading {
    child: std::process::Child,
}

/// Starts loading `pages` of the built site `out` at the report's viewports.
fn start_browser(out: &Path, report: &Value, pages: &[String]) -> Loading {
    let viewports = out.with_extension("viewports.json");
    std::fs::write(&viewports, report["viewports"].to_string()).unwrap();
    let browser = root().join("tests/browser");
    assert!(
        browser.join("node_modules/playwright-core").is_dir(),
        "playwright-core is not installed: run `npm ci --prefix tests/browser`"
    );
    let child = Command::new("node")
        .arg(browser.join("weights.mjs"))
        .arg(out)
        .arg(&viewports)
        .args(pages)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run node (install Node.js)");
    Loading { child }
}

/// Bytes by resource type that Chromium fetched from the site for each (page, viewport).
type Seen = BTreeMap<(String, String), BTreeMap<String, u64>>;

impl Loading {
    fn finish(self) -> Seen {
        let output = self.child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "weights.mjs failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let seen: Value = serde_json::from_slice(&output.stdout).expect("JSON on stdout");
        let mut by = BTreeMap::new();
        for entry in seen["pages"].as_array().unwrap() {
            assert!(entry.get("error").is_none(), "{entry}");
            let failed = entry["failed"].as_array().map_or(0, Vec::len);
            assert_eq!(failed, 0, "requests of the site failed: {entry}");
            let mut types: BTreeMap<String, u64> = BTreeMap::new();
            for r in entry["requests"].as_array().unwrap() {
                if r["status"] == 200 {
                    *types
                        .entry(r["type"].as_str().unwrap().to_string())
                        .or_default() += r["bytes"].as_u64().unwrap();
                }
            }
            let key = (
                entry["page"].as_str().unwrap().to_string(),
                entry["viewport"].as_str().unwrap().to_string(),
            );
            by.insert(key, types);
        }
        by
    }
}

fn browser(out: &Path, report: &Value, pages: &[String]) -> Seen {
    start_browser(out, report, pages).finish()
}

struct Row {
    site: String,
    page: String,
    viewport: String,
    /// distill: images (with those on scroll), fonts, main bundle (raw).
    ours: [u64; 3],
    /// Chromium: images, fonts, scripts + stylesheets.
    chromium: [u64; 3],
    scripts_at_run_time: Option<String>,
}

impl Row {
    fn percent(ours: u64, theirs: u64) -> f64 {
        if theirs == 0 {
            if ours == 0 { 0.0 } else { f64::INFINITY }
        } else {
            100.0 * (ours as f64 - theirs as f64) / theirs as f64
        }
    }

    fn line(&self) -> String {
        let [i, f, c] = self.ours;
        let [bi, bf, bc] = self.chromium;
        format!(
            "{:<13} {:<32} {:<7} images {:>8} / {:>8}  fonts {:>7} / {:>7}  js+css {:>8} / {:>8}  total {:+.1}%{}",
            self.site,
            self.page,
            self.viewport,
            i,
            bi,
            f,
            bf,
            c,
            bc,
            Row::percent(i + f + c, bi + bf + bc),
            self.scripts_at_run_time
                .as_deref()
                .map(|w| format!(" ({w})"))
                .unwrap_or_default()
        )
    }
}

fn compare(
    site: &str,
    report: &Value,
    seen: &BTreeMap<(String, String), BTreeMap<String, u64>>,
    at_run_time: Option<&str>,
) -> Vec<Row> {
    let mut rows = Vec::new();
    for ((page, viewport), types) in seen {
        let entry = report["pages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["page"] == page.as_str())
            .unwrap();
        let weight = entry["viewports"]
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["viewport"] == viewport.as_str())
            .unwrap_or_else(|| panic!("{site} {page}: no weight at {viewport}"));
        let main: u64 = entry["bundles"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|b| b["kind"] == "main")
            .map(|b| b["bytes"]["size"].as_u64().unwrap())
            .sum();
        let n = |v: &Value| v.as_u64().unwrap();
        let get = |t: &str| types.get(t).copied().unwrap_or(0);
        rows.push(Row {
            site: site.to_string(),
            page: page.clone(),
            viewport: viewport.clone(),
            ours: [
                n(&weight["images"]) + n(&weight["images_on_scroll"]),
                n(&weight["fonts"]),
                main,
            ],
            chromium: [get("image"), get("font"), get("script") + get("stylesheet")],
            scripts_at_run_time: at_run_time.map(str::to_string),
        });
    }
    rows
}

#[test]
fn page_weights_match_what_chromium_downloads() {
    let tmp = tempfile::tempdir().unwrap();
    let mut sites: Vec<(String, PathBuf, Vec<String>, Option<String>)> = themes();
    sites.push((
        "example".into(),
        root().join("examples/site"),
        vec![
            "/index.html".into(),
            "/about.html".into(),
            "/blog/index.html".into(),
        ],
        None,
    ));
    sites.push((
        "vite-app".into(),
        root().join("fixtures/vite-app/dist"),
        vec!["/index.html".into()],
        None,
    ));
    // Chromium loads one site while distill builds the next (a load mostly waits: for the
    // network to fall quiet, for the scroll), at most three at once.
    let mut loading: std::collections::VecDeque<(usize, Value, Loading)> = Default::default();
    let mut done: Vec<(usize, Value, Seen)> = Vec::new();
    for (i, (name, src, pages, _)) in sites.iter().enumerate() {
        let out = tmp.path().join(name);
        let report = distill(src, &out);
        if loading.len() == 3 {
            let (j, report, l) = loading.pop_front().unwrap();
            done.push((j, report, l.finish()));
        }
        let started = start_browser(&out, &report, pages);
        loading.push_back((i, report, started));
    }
    done.extend(
        loading
            .into_iter()
            .map(|(j, report, l)| (j, report, l.finish())),
    );
    let mut rows = Vec::new();
    for (i, report, seen) in &done {
        let (name, _, pages, at_run_time) = &sites[*i];
        assert_eq!(seen.len(), pages.len() * 2, "{name}: a page per viewport");
        rows.extend(compare(name, report, seen, at_run_time.as_deref()));
    }
    let table: Vec<String> = rows.iter().map(Row::line).collect();
    eprintln!("distill / Chromium, bytes:\n{}", table.join("\n"));
    let mut wrong = Vec::new();
    for row in &rows {
        let [i, f, c] = row.ours;
        let [bi, bf, bc] = row.chromium;
        // Images and fonts: within 10 % on every page and viewport.
        if Row::percent(i + f, bi + bf).abs() > 10.0 {
            wrong.push(format!("images + fonts: {}", row.line()));
        }
        match &row.scripts_at_run_time {
            // Scripts a runtime loads by names no static reading sees (RequireJS, `import()` at
            // start-up): the main bundle is a lower bound.
            Some(_) => {
                if c > bc {
                    wrong.push(format!("main bundle over what loads: {}", row.line()));
                }
            }
            None => {
                if Row::percent(i + f + c, bi + bf + bc).abs() > 10.0 {
                    wrong.push(format!("total: {}", row.line()));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "over 10 % apart:\n{}", wrong.join("\n"));
}

/// `distill check` with `[budgets] images` / `fonts` set at the browser's figure passes, and one
/// byte under it fails, naming the page and the viewport.
#[test]
fn image_and_font_budgets_fail_exactly_when_the_browser_is_over() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("site");
    let report = distill(&root().join("examples/site"), &out);
    let pages = ["/about.html".to_string(), "/index.html".to_string()];
    let seen = browser(&out, &report, &pages);
    for (page, kind, types) in [
        ("/about.html", "images", "image"),
        ("/index.html", "fonts", "font"),
    ] {
        let heaviest = seen
            .iter()
            .filter(|((p, _), _)| p == page)
            .map(|(_, t)| t.get(types).copied().unwrap_or(0))
            .max()
            .unwrap();
        assert!(heaviest > 0, "{page}: the browser loaded no {kind}");
        for (limit, code) in [(heaviest, 0), (heaviest - 1, 1)] {
            let config = tmp.path().join("distill.toml");
            std::fs::write(
                &config,
                format!("[[budgets.pages]]\nmatch = \"{page}\"\n{kind} = \"{limit} B\"\n"),
            )
            .unwrap();
            let json = tmp.path().join("check.json");
            let run = Command::new(BIN)
                .arg("check")
                .arg(&out)
                .arg("--config")
                .arg(&config)
                .args(["-q", "--report"])
                .arg(format!("json={}", json.display()))
                .output()
                .unwrap();
            assert_eq!(
                run.status.code(),
                Some(code),
                "{page} {kind} at {limit} B: {}",
                String::from_utf8_lossy(&run.stderr)
            );
            let checked: Value =
                serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
            let check = checked["checks"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["kind"] == kind)
                .unwrap_or_else(|| panic!("no {kind} check: {checked}"));
            assert_eq!(check["value"], heaviest, "{page}: distill's {kind} figure");
            assert!(
                check["subject"]
                    .as_str()
                    .unwrap()
                    .starts_with(&format!("{kind} of {page} at ")),
                "{check}"
            );
        }
    }
}
