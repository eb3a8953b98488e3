//! Image pipeline throughput and quality, side by side with sharp (bench binary,
//! `harness = false`):
//!
//!     npm ci --prefix benches/sharp     # once: sharp with its prebuilt libvips
//!     cargo bench --bench images
//!
//! Takes the photos of `fixtures/images/photos` and `examples/site/img`, puts them in a page,
//! and runs `distill::build` on it cold (empty cache) and warm (same cache), reporting images/s
//! and MB/s. Then has sharp (`benches/sharp/variants.mjs`, sharp's default encoder settings,
//! one image per core) make the same variants from the same files, and prints, per format, the
//! bytes and the mean DSSIM of both against the original resized to the same width (AVIF decoded
//! with libavif's `avifdec`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use distill::config::{self, Overrides};

#[path = "../tests/common/quality.rs"]
mod quality;
use distill::progress::Silent;
use quality::dssim;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().expect("tempdir");
    let site = tmp.path().join("site");
    let inputs = collect_inputs(root, &site);
    let input_bytes: u64 = inputs
        .iter()
        .map(|p| std::fs::metadata(p).unwrap().len())
        .sum();
    println!(
        "{} images, {:.2} MB: {}",
        inputs.len(),
        input_bytes as f64 / 1e6,
        inputs
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(", ")
    );

    let cache = tmp.path().join("cache");
    let out = tmp.path().join("out");
    let settings = config::load(
        &site,
        &Overrides {
            out: Some(out.clone()),
            cache_dir: Some(cache.clone()),
            ..Default::default()
        },
    )
    .expect("settings");
    for run in ["cold", "warm"] {
        let _ = std::fs::remove_dir_all(&out);
        let start = Instant::now();
        let outcome = distill::build(&settings, &Silent).expect("build");
        let secs = start.elapsed().as_secs_f64();
        println!(
            "distill {run}: {:.2} s, {:.1} images/s, {:.2} MB/s ({} images, {} from cache, {} variants)",
            secs,
            outcome.images.images as f64 / secs,
            input_bytes as f64 / 1e6 / secs,
            outcome.images.images,
            outcome.images.cache_hits,
            outcome.images.variants,
        );
    }
    let ours = distill_outputs(&out);

    let sharp_dir = tmp.path().join("sharp");
    let script = root.join("benches/sharp/variants.mjs");
    let sharp = Command::new("node")
        .arg(&script)
        .arg(&sharp_dir)
        .args(&inputs)
        .output()
        .expect("run node");
    if !sharp.status.success() {
        println!(
            "sharp: not run ({}); install it with `npm ci --prefix benches/sharp`",
            String::from_utf8_lossy(&sharp.stderr)
                .lines()
                .next()
                .unwrap_or("failed")
        );
        report_quality(&inputs, &ours, &[]);
        return;
    }
    let report: serde_json::Value = serde_json::from_slice(&sharp.stdout).expect("sharp JSON");
    let secs = report["seconds"].as_f64().unwrap();
    println!(
        "sharp {} (libvips {}), cold: {:.2} s, {:.1} images/s, {:.2} MB/s",
        report["sharp"].as_str().unwrap_or("?"),
        report["libvips"].as_str().unwrap_or("?"),
        secs,
        inputs.len() as f64 / secs,
        input_bytes as f64 / 1e6 / secs
    );
    let theirs: Vec<Output> = report["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| Output {
            source: o["file"]
                .as_str()
                .unwrap()
                .split('.')
                .next()
                .unwrap()
                .to_string(),
            format: o["format"].as_str().unwrap().to_string(),
            width: o["width"].as_u64().unwrap() as u32,
            path: sharp_dir.join(o["file"].as_str().unwrap()),
        })
        .collect();
    report_quality(&inputs, &ours, &theirs);
}

struct Output {
    /// Source image stem.
    source: String,
    format: String,
    width: u32,
    path: PathBuf,
}

fn collect_inputs(root: &Path, site: &Path) -> Vec<PathBuf> {
    let photos = site.join("photos");
    std::fs::create_dir_all(&photos).unwrap();
    let mut inputs = Vec::new();
    let mut stems = std::collections::BTreeSet::new();
    let mut html = String::from("<!doctype html><title>bench</title><main>\n");
    for dir in ["fixtures/images/photos", "examples/site/img"] {
        let mut entries: Vec<_> = std::fs::read_dir(root.join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for path in entries {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
            // Animated (left alone by both), an icon, or a stem seen already (outputs are
            // named by stem).
            if name == "spin.gif" || name == "icon-192.png" || !stems.insert(stem) {
                continue;
            }
            std::fs::copy(&path, photos.join(&name)).unwrap();
            html.push_str(&format!("<img src=\"photos/{name}\" alt=\"\">\n"));
            inputs.push(photos.join(&name));
        }
    }
    std::fs::write(site.join("index.html"), html).unwrap();
    inputs
}

fn distill_outputs(out: &Path) -> Vec<Output> {
    let text = std::fs::read_to_string(out.join(".distill/manifest.json")).unwrap();
    let manifest: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut outputs = Vec::new();
    for (original, asset) in manifest["assets"].as_object().unwrap() {
        let Some(image) = asset.get("image") else {
            continue;
        };
        let stem = Path::new(original)
            .file_stem()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        for v in image["variants"].as_array().unwrap() {
            outputs.push(Output {
                source: stem.clone(),
                format: v["format"].as_str().unwrap().to_string(),
                width: v["width"].as_u64().unwrap() as u32,
                path: out.join(v["file"].as_str().unwrap()),
            });
        }
    }
    outputs
}

fn decode(path: &Path) -> Option<image::RgbaImage> {
    quality::decode(path).ok()
}

/// Per format: files, bytes and mean DSSIM, for outputs both tools made (same source, format
/// and width), so the comparison is like for like.
fn report_quality(inputs: &[PathBuf], ours: &[Output], theirs: &[Output]) {
    let references: BTreeMap<String, distill_imaging::Image> = inputs
        .iter()
        .map(|p| {
            let bytes = std::fs::read(p).unwrap();
            let info = distill_imaging::probe(&bytes, u64::MAX).unwrap();
            let stem = p.file_stem().unwrap().to_string_lossy().into_owned();
            (stem, distill_imaging::decode(&bytes, &info).unwrap())
        })
        .collect();
    let key = |o: &Output| (o.source.clone(), o.format.replace("jpg", "jpeg"), o.width);
    let theirs: BTreeMap<_, &Output> = theirs.iter().map(|o| (key(o), o)).collect();
    // format -> (files, our bytes, our dssim sum, their bytes, their dssim sum)
    let mut rows: BTreeMap<String, (usize, u64, f64, u64, f64)> = BTreeMap::new();
    for o in ours {
        let Some(reference) = references.get(&o.source) else {
            continue;
        };
        let reference = if o.width == reference.width {
            reference.clone()
        } else {
            distill_imaging::resize(reference, o.width)
        };
        let reference =
            image::RgbaImage::from_raw(reference.width, reference.height, reference.rgba).unwrap();
        let Some(mine) = decode(&o.path) else {
            continue;
        };
        let their = theirs
            .get(&key(o))
            .and_then(|t| Some((t, decode(&t.path)?)));
        let row = rows.entry(o.format.clone()).or_default();
        match their {
            Some((t, img)) if img.dimensions() == mine.dimensions() => {
                row.0 += 1;
                row.1 += std::fs::metadata(&o.path).unwrap().len();
                row.2 += dssim(&reference, &mine);
                row.3 += std::fs::metadata(&t.path).unwrap().len();
                row.4 += dssim(&reference, &img);
            }
            _ if theirs.is_empty() => {
                row.0 += 1;
                row.1 += std::fs::metadata(&o.path).unwrap().len();
                row.2 += dssim(&reference, &mine);
            }
            _ => {}
        }
    }
    println!("format  files   distill bytes  mean DSSIM   sharp bytes  mean DSSIM");
    for (format, (n, ob, od, tb, td)) in rows {
        let n_f = n.max(1) as f64;
        println!(
            "{format:<7} {n:>5} {ob:>15} {:>11.5} {tb:>13} {:>11.5}",
            od / n_f,
            td / n_f
        );
    }
}
