//! Throughput of `distill::build` (bench binary, `harness = false`):
//!
//!     cargo bench --bench build
//!
//! Two inputs: the example site (`examples/site`, real photos and fonts) and a generated site of
//! 600 pages, 1,200 JS modules and 200 stylesheets, to show how the pipeline scales. Each is
//! built `--out` a temporary folder several times; the median run is reported as files/s and
//! MB/s of input, with the time per stage.

use std::path::Path;
use std::time::{Duration, Instant};

use distill::config::{self, Overrides};
use distill::progress::Silent;

fn main() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/site");
    let tmp = tempfile::tempdir().expect("tempdir");
    let generated = tmp.path().join("generated");
    generate(&generated, 600, 1200, 200);
    for (name, root, runs, minify) in [
        ("examples/site", &example, 15, true),
        ("generated", &generated, 5, true),
        // The minifier drops the generated modules' unused lazy imports; without it, each of
        // the 600 pages reaches ~1,200 lazily imported chunks: a stress test of the budgets'
        // chunk graph (~700,000 page/route pairs).
        ("generated, JS not minified", &generated, 3, false),
    ] {
        bench(name, root, tmp.path(), runs, minify);
    }
}

fn bench(name: &str, root: &Path, tmp: &Path, runs: usize, minify_js: bool) {
    let out = tmp.join("out");
    let overrides = Overrides {
        out: Some(out.clone()),
        ..Default::default()
    };
    let mut settings = config::load(root, &overrides).expect("settings");
    if !minify_js {
        settings.js_minify = distill::js::minify::Mode::Never;
    }
    let mut samples: Vec<(Duration, distill::Outcome)> = (0..runs)
        .map(|_| {
            let _ = std::fs::remove_dir_all(&out);
            let start = Instant::now();
            let outcome = distill::build(&settings, &Silent).expect("build");
            (start.elapsed(), outcome)
        })
        .collect();
    samples.sort_by_key(|(d, _)| *d);
    let (time, outcome) = &samples[samples.len() / 2];
    let secs = time.as_secs_f64();
    println!(
        "{name}: {} files, {:.2} MB in {:.1} ms (median of {runs}) -> {:.0} files/s, {:.1} MB/s",
        outcome.files,
        outcome.bytes_in as f64 / 1e6,
        secs * 1000.0,
        outcome.files as f64 / secs,
        outcome.bytes_in as f64 / 1e6 / secs,
    );
    for (stage, t) in &outcome.timings {
        println!("    {stage:<16} {:>8.1} ms", t.as_secs_f64() * 1000.0);
    }

    // `distill check`: on the output (sizes from its manifest), and on the raw input (every
    // file compressed).
    for (what, dir, runs) in [
        ("output (manifest)", &out, runs),
        ("input (measured)", &root.to_path_buf(), 3),
    ] {
        let mut settings = config::load(dir, &Overrides::default()).expect("settings");
        if !minify_js {
            settings.js_minify = distill::js::minify::Mode::Never;
        }
        let mut times: Vec<Duration> = (0..runs)
            .map(|_| {
                let start = Instant::now();
                let outcome = distill::check(&settings, &Silent).expect("check");
                assert!(!outcome.report.pages.is_empty());
                start.elapsed()
            })
            .collect();
        times.sort();
        println!(
            "    check {what:<18} {:>8.1} ms (median of {runs})",
            times[times.len() / 2].as_secs_f64() * 1000.0
        );
    }
}

/// A synthetic Vite-like site: pages loading an entry that imports shared modules and lazily
/// imports route chunks; stylesheets with fonts and images.
fn generate(root: &Path, pages: usize, modules: usize, sheets: usize) {
    let assets = root.join("assets");
    std::fs::create_dir_all(&assets).unwrap();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/site");
    std::fs::copy(example.join("img/chelsea.jpg"), assets.join("photo.jpg")).unwrap();
    std::fs::copy(
        example.join("assets/inter-latin-400-normal-DqGufNeO.woff2"),
        assets.join("inter.woff2"),
    )
    .unwrap();
    let body =
        "export function f(a, b) { return [a, b].map((x) => x * 2).filter(Boolean); }\n".repeat(40);
    for m in 0..modules {
        let mut js = String::new();
        if m > 0 {
            js.push_str(&format!("import {{ f as g }} from \"./m{}.js\";\n", m / 2));
        }
        if m + 7 < modules {
            js.push_str(&format!(
                "const lazy = () => import(\"./m{}.js\");\n",
                m + 7
            ));
        }
        js.push_str(&format!("const img = \"/assets/photo.jpg\";\n{body}"));
        std::fs::write(assets.join(format!("m{m}.js")), js).unwrap();
    }
    let rule = ".card{display:grid;gap:1rem;padding:1rem;border-radius:.5rem;background:#fff}\n"
        .repeat(60);
    for s in 0..sheets {
        let css = format!(
            "@font-face{{font-family:I;src:url(inter.woff2) format(\"woff2\")}}\n.hero{{background:url(./photo.jpg)}}\n{rule}"
        );
        std::fs::write(assets.join(format!("s{s}.css")), css).unwrap();
    }
    for p in 0..pages {
        let html = format!(
            "<!doctype html><html><head><link rel=stylesheet href=\"/assets/s{}.css\"><script type=module src=\"/assets/m{}.js\"></script></head><body>{}<img src=\"/assets/photo.jpg\" alt=\"\"></body></html>\n",
            p % sheets,
            p % modules,
            "<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit.</p>".repeat(30)
        );
        std::fs::write(root.join(format!("page{p}.html")), html).unwrap();
    }
}
