//! End-to-end tests of the image pipeline: the real binary on `fixtures/images` (real photos,
//! a transparent logo, an EXIF-rotated JPEG with GPS data, WebP and GIF sources, an animated
//! GIF, and broken files). Every variant is decoded (AVIF with libavif's `avifdec`) and compared
//! with DSSIM to the original resized to the same width.

mod common;

use std::path::Path;

use common::quality::{self, dssim};
use common::*;
use serde_json::Value;

/// The largest DSSIM a default-settings variant may have against the original resized to the
/// same width (0 = identical; 0.01 is about where artefacts become visible side by side).
const MAX_DSSIM: f64 = 0.012;

fn build_images(tmp: &Path, out: &str, extra: &[&str]) -> String {
    let site = fixture("images");
    let mut args = vec![
        "build",
        site.to_str().unwrap(),
        "--out",
        out,
        "--cache-dir",
        "cache",
    ];
    args.extend_from_slice(extra);
    ok(&distill(tmp, &args))
}

fn decode(path: &Path) -> image::RgbaImage {
    quality::decode(path).unwrap_or_else(|e| panic!("{e}"))
}

fn images(out: &Path) -> Vec<(String, Value)> {
    manifest(out)["assets"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, a)| a.get("image").is_some())
        .map(|(k, a)| (k.clone(), a.clone()))
        .collect()
}

#[test]
fn every_variant_decodes_to_its_size_and_stays_close_to_the_original() {
    let tmp = tempfile::tempdir().unwrap();
    build_images(tmp.path(), "out", &[]);
    let out = tmp.path().join("out");
    let processed = images(&out);
    let names: Vec<&str> = processed.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        [
            "photos/astronaut.webp",
            "photos/deep-field.jpg",
            "photos/gps.jpg",
            "photos/logo.png",
            "photos/rotated.jpg",
            "photos/static.gif"
        ]
    );
    let mut checked = 0;
    for (original, asset) in &processed {
        let image = &asset["image"];
        let (w, h) = (
            image["width"].as_u64().unwrap() as u32,
            image["height"].as_u64().unwrap() as u32,
        );
        let upright = {
            let bytes = std::fs::read(fixture("images").join(original)).unwrap();
            let info = distill_imaging::probe(&bytes, u64::MAX).unwrap();
            distill_imaging::decode(&bytes, &info).unwrap()
        };
        assert_eq!((upright.width, upright.height), (w, h), "{original}");
        let variants = image["variants"].as_array().unwrap();
        assert!(!variants.is_empty(), "{original} has no variants");
        for v in variants {
            let file = v["file"].as_str().unwrap();
            let vw = v["width"].as_u64().unwrap() as u32;
            let vh = v["height"].as_u64().unwrap() as u32;
            assert!(vw <= w, "{file} upscaled");
            assert_eq!(
                vh,
                distill_imaging::scaled_height(w, h, vw),
                "{file} aspect ratio"
            );
            let decoded = decode(&out.join(file));
            assert_eq!((decoded.width(), decoded.height()), (vw, vh), "{file}");
            assert_eq!(
                v["size"].as_u64().unwrap(),
                std::fs::metadata(out.join(file)).unwrap().len()
            );
            let reference = if vw == w {
                upright.clone()
            } else {
                distill_imaging::resize(&upright, vw)
            };
            let reference =
                image::RgbaImage::from_raw(reference.width, reference.height, reference.rgba)
                    .unwrap();
            let score = dssim(&reference, &decoded);
            assert!(score < MAX_DSSIM, "{file}: DSSIM {score} over {MAX_DSSIM}");
            checked += 1;
        }
    }
    assert!(checked >= 30, "{checked}");
}

#[test]
fn img_becomes_picture_with_dimensions_and_loading_hints() {
    let tmp = tempfile::tempdir().unwrap();
    build_images(tmp.path(), "out", &[]);
    let out = tmp.path().join("out");
    let html = read(&out, "index.html");
    // Six made, and the author's own `<picture>` left as written.
    assert_eq!(
        html.matches("<picture style=\"display:contents\">").count(),
        6,
        "{html}"
    );
    assert_eq!(html.matches("<picture>").count(), 1, "{html}");
    // The first content image (not the header's logo) is the LCP candidate, preloaded.
    let head = &html[..html.find("</head>").unwrap()];
    assert!(
        head.contains(r#"<link rel="preload" as="image" imagesrcset="photos/deep-field.320."#),
        "{head}"
    );
    assert!(head.contains(r#"type="image/avif""#));
    let hero = html
        .lines()
        .find(|l| l.contains("data-id=\"hero\""))
        .unwrap();
    for expected in [
        r#"<source type="image/avif" srcset="photos/deep-field.320."#,
        r#"<source type="image/webp" srcset="photos/deep-field.320."#,
        r#"width="1000" height="872" loading="eager" fetchpriority="high""#,
        r#"class="hero""#,
        r#"alt="Hubble deep field""#,
    ] {
        assert!(hero.contains(expected), "{expected}\n{hero}");
    }
    // Upright size of the EXIF-rotated photo; lazy; sizes=auto.
    let rotated = html
        .lines()
        .find(|l| l.contains("rotated by EXIF"))
        .unwrap();
    assert!(
        rotated.contains(r#"width="400" height="600" loading="lazy" decoding="async""#),
        "{rotated}"
    );
    assert!(rotated.contains(r#"sizes="auto, 100vw""#));
    // The author's sizes and height are kept; the width follows the aspect ratio.
    let gps = html
        .lines()
        .find(|l| l.contains("alt=\"Motorcycle\""))
        .unwrap();
    assert!(
        gps.contains(r#"sizes="(min-width: 800px) 50vw, 100vw" height="250""#),
        "{gps}"
    );
    assert!(gps.contains(r#"width="371""#), "{gps}");
    // Left alone: the author's picture, their srcset, data-distill-ignore, remote, animated.
    for alt in [
        "author's picture",
        "author's srcset",
        "ignored",
        "remote",
        "Spinning",
    ] {
        let line = html.lines().find(|l| l.contains(alt)).unwrap();
        assert!(!line.contains("loading="), "{alt}: {line}");
    }
    // Every URL in the page resolves to a file.
    for token in html.split(['"', ' ', ',']) {
        if token.starts_with("photos/") || token.starts_with("bad/") {
            assert!(out.join(token).is_file(), "{token} missing");
        }
    }
}

#[test]
fn bad_images_pass_through_unchanged_with_a_warning() {
    let tmp = tempfile::tempdir().unwrap();
    let err = build_images(tmp.path(), "out", &[]);
    let out = tmp.path().join("out");
    let n = names(&out);
    for (file, reason) in [
        ("bad/truncated.jpg", "truncated"),
        ("bad/empty.jpg", "empty"),
        ("bad/not-a-png.png", "not a JPEG, PNG, WebP or GIF"),
        ("bad/bomb.png", "decompression bomb"),
        (
            "bad/really-a-png.jpg",
            "the extension says JPEG but the content is PNG",
        ),
    ] {
        let line = err
            .lines()
            .find(|l| l.contains(file))
            .unwrap_or_else(|| panic!("no warning for {file}:\n{err}"));
        assert!(
            line.starts_with("warning:") && line.contains(reason),
            "{line}"
        );
        let original = std::fs::read(fixture("images").join(file)).unwrap();
        assert_eq!(
            std::fs::read(out.join(&n[file])).unwrap(),
            original,
            "{file} changed"
        );
    }
    let spin = std::fs::read(fixture("images/photos/spin.gif")).unwrap();
    assert_eq!(
        std::fs::read(out.join(&n["photos/spin.gif"])).unwrap(),
        spin
    );
    // Under --strict they fail the run, and nothing is written.
    let strict = distill(
        tmp.path(),
        &[
            "build",
            fixture("images").to_str().unwrap(),
            "--out",
            "strict",
            "--cache-dir",
            "cache",
            "--strict",
        ],
    );
    assert_eq!(strict.status.code(), Some(2));
    assert!(!tmp.path().join("strict").exists());
}

#[test]
fn originals_are_never_bigger_and_lose_their_metadata() {
    let tmp = tempfile::tempdir().unwrap();
    build_images(tmp.path(), "out", &[]);
    let out = tmp.path().join("out");
    for (original, asset) in images(&out) {
        let before = std::fs::metadata(fixture("images").join(&original))
            .unwrap()
            .len();
        let after = asset["size"].as_u64().unwrap();
        assert!(after <= before, "{original}: {before} -> {after}");
    }
    let n = names(&out);
    for file in ["photos/gps.jpg", "photos/rotated.jpg"] {
        let bytes = std::fs::read(out.join(&n[file])).unwrap();
        let has = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
        assert!(!has(b"Exif\0\0"), "{file} still has EXIF");
        assert!(!has(b"DistillTestCam"), "{file} still names the camera");
    }
    // The rotated photo is stored upright now.
    let rotated = image::open(out.join(&n["photos/rotated.jpg"])).unwrap();
    assert_eq!((rotated.width(), rotated.height()), (400, 600));
    // Transparency survives in every format that has it.
    let logo = &manifest(&out)["assets"]["photos/logo.png"]["image"]["variants"];
    for v in logo.as_array().unwrap() {
        let decoded = decode(&out.join(v["file"].as_str().unwrap()));
        assert!(
            decoded.pixels().any(|p| p[3] == 0),
            "{} lost its alpha",
            v["file"]
        );
    }
}

#[test]
fn second_build_takes_everything_from_the_cache_and_damage_is_repaired() {
    let tmp = tempfile::tempdir().unwrap();
    let first = build_images(tmp.path(), "a", &[]);
    assert!(first.contains("6 images (0 from cache"), "{first}");
    let second = build_images(tmp.path(), "b", &[]);
    assert!(second.contains("6 images (6 from cache"), "{second}");
    assert_eq!(tree(&tmp.path().join("a")), tree(&tmp.path().join("b")));
    // Damage one cached variant: that entry is encoded again, the output is the same.
    let victim = walkdir::WalkDir::new(tmp.path().join("cache"))
        .sort_by_file_name()
        .into_iter()
        .filter_map(|e| e.ok())
        .find(|e| e.path().extension().is_some_and(|x| x == "avif"))
        .unwrap();
    let bytes = std::fs::read(victim.path()).unwrap();
    std::fs::write(victim.path(), &bytes[..bytes.len() / 2]).unwrap();
    let third = build_images(tmp.path(), "c", &[]);
    assert!(third.contains("6 images (5 from cache"), "{third}");
    assert_eq!(tree(&tmp.path().join("a")), tree(&tmp.path().join("c")));
}

#[test]
fn rebuilding_the_output_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    build_images(tmp.path(), "a", &[]);
    let again = ok(&distill(
        tmp.path(),
        &["build", "a", "--out", "b", "--cache-dir", "cache"],
    ));
    // Nothing distill made or optimized is processed again (that would only lose quality).
    assert!(!again.contains(" images ("), "re-processed images: {again}");
    assert_same_output(&tmp.path().join("a"), &tmp.path().join("b"));
}

#[test]
fn rules_and_settings_apply_per_glob() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("distill.toml"),
        "[images]\nwidths = [200, 400]\nformats = [\"webp\"]\n\n[[images.rules]]\nmatch = \"photos/deep-*\"\nwidths = [500]\n",
    )
    .unwrap();
    build_images(tmp.path(), "out", &[]);
    let out = tmp.path().join("out");
    let m = manifest(&out);
    let widths = |f: &str, fmt: &str| -> Vec<u64> {
        m["assets"][f]["image"]["variants"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|v| v["format"] == fmt)
            .map(|v| v["width"].as_u64().unwrap())
            .collect()
    };
    assert_eq!(widths("photos/deep-field.jpg", "webp"), vec![500]);
    assert_eq!(widths("photos/gps.jpg", "webp"), vec![200, 400]);
    assert!(widths("photos/gps.jpg", "avif").is_empty());
}

/// A photo tagged Wide Gamut RGB (its pixel values mean other colours than in sRGB) comes out
/// as sRGB that looks like the sRGB original, though its raw values differ a lot.
#[test]
fn embedded_icc_profiles_are_converted_to_srgb() {
    let tmp = tempfile::tempdir().unwrap();
    let site = fixture("icc/site");
    ok(&distill(
        tmp.path(),
        &[
            "build",
            site.to_str().unwrap(),
            "--out",
            "out",
            "--cache-dir",
            "cache",
        ],
    ));
    let out = tmp.path().join("out");
    let srgb =
        image::open(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/site/img/chelsea.jpg"))
            .unwrap()
            .into_rgba8();
    // Ignoring the profile, the raw values are far from the sRGB original (the red channel is
    // off by 14 on average): the test can fail.
    let raw = image::open(site.join("wide-gamut.jpg"))
        .unwrap()
        .into_rgba8();
    assert!(colour_error(&srgb, &raw) > 8.0, "fixture too close to sRGB");
    let asset = &manifest(&out)["assets"]["wide-gamut.jpg"];
    let full_size: Vec<&Value> = asset["image"]["variants"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["width"] == srgb.width())
        .collect();
    assert!(!full_size.is_empty());
    for v in full_size {
        let decoded = decode(&out.join(v["file"].as_str().unwrap()));
        let error = colour_error(&srgb, &decoded);
        assert!(
            error < 4.0,
            "{}: off by {error} per channel from the sRGB original",
            v["file"]
        );
    }
}

/// The largest per-channel mean absolute difference (DSSIM hardly sees colour shifts).
fn colour_error(a: &image::RgbaImage, b: &image::RgbaImage) -> f64 {
    let mut sums = [0u64; 3];
    for (p, q) in a.pixels().zip(b.pixels()) {
        for c in 0..3 {
            sums[c] += u64::from(p[c].abs_diff(q[c]));
        }
    }
    let n = f64::from(a.width() * a.height());
    sums.iter().map(|&s| s as f64 / n).fold(0.0, f64::max)
}

/// A `background: url(x.jpg)` in a stylesheet, a `<style>` or a `style` attribute keeps its
/// `url()` and is followed by an `image-set()` of the AVIF and WebP variants and the original;
/// every URL resolves.
#[test]
fn css_backgrounds_get_an_image_set_in_sheets_style_blocks_and_attributes() {
    let tmp = tempfile::tempdir().unwrap();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/site");
    ok(&distill(
        tmp.path(),
        &[
            "build",
            example.to_str().unwrap(),
            "--out",
            "out",
            "--cache-dir",
            "cache",
        ],
    ));
    let out = tmp.path().join("out");
    let n = names(&out);
    let css = read(&out, &n["assets/index-D8nq2LwF.css"]);
    let chelsea = n["img/chelsea.jpg"].rsplit('/').next().unwrap().to_string();
    let fallback = format!("background:url(../img/{chelsea}) 100% 100%/120px no-repeat;");
    let at = css
        .find(&fallback)
        .unwrap_or_else(|| panic!("no url() fallback in {css}"));
    let rest = &css[at + fallback.len()..];
    assert!(
        rest.starts_with("background-image:image-set(\"../img/chelsea.451."),
        "{rest}"
    );
    let set = &rest[..rest.find("))").unwrap() + 2];
    for kind in ["image/avif", "image/webp", "image/jpeg"] {
        assert!(
            set.contains(&format!("type(\"{kind}\")")),
            "{kind} missing: {set}"
        );
    }
    for url in set.split('"').filter(|t| t.starts_with("../img/")) {
        assert!(out.join("assets").join(url).is_file(), "{url} missing");
    }

    // The same for a page's own `<style>` and for a `style` attribute.
    let blog = read(&out, "blog/index.html");
    // The page's own block (the inlined critical CSS, before it, is `<style data-…>`).
    let start = blog.find("<style>").unwrap();
    let style = &blog[start..start + blog[start..].find("</style>").unwrap()];
    assert!(
        style.contains("background-image:image-set(\"../img/rocket.640."),
        "{style}"
    );
    for url in style.split('"').filter(|t| t.starts_with("../img/")) {
        assert!(out.join("blog").join(url).is_file(), "{url} missing");
    }
    let about = read(&out, "about.html");
    let attr = about
        .split("class=\"portrait\" style=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .replace("&quot;", "\"");
    assert!(attr.contains("background-image:image-set("), "{attr}");
    for kind in ["image/avif", "image/webp", "image/png"] {
        assert!(attr.contains(&format!("type(\"{kind}\")")), "{attr}");
    }
    for url in attr.split('"').filter(|t| t.starts_with("/img/")) {
        assert!(out.join(&url[1..]).is_file(), "{url} missing");
    }
}
