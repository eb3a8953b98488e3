//! Image comparison shared by the image tests and the image benchmark: decode any output
//! (AVIF through libavif's `avifdec`) and score it with DSSIM.

use std::path::Path;
use std::process::Command;

/// Decodes a JPEG, PNG, WebP, GIF or AVIF file to RGBA.
pub fn decode(path: &Path) -> Result<image::RgbaImage, String> {
    if path.extension().is_some_and(|e| e == "avif") {
        let png = path.with_extension("decoded.png");
        let output = Command::new("avifdec")
            .arg(path)
            .arg(&png)
            .output()
            .map_err(|e| format!("run avifdec (apt-get install libavif-bin): {e}"))?;
        if !output.status.success() {
            return Err(format!(
                "avifdec {}: {}",
                path.display(),
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        let img = image::open(&png).map_err(|e| e.to_string())?.into_rgba8();
        let _ = std::fs::remove_file(png);
        Ok(img)
    } else {
        image::open(path)
            .map(|i| i.into_rgba8())
            .map_err(|e| format!("{}: {e}", path.display()))
    }
}

/// DSSIM of `b` against `a` (same size): 0 is identical.
pub fn dssim(a: &image::RgbaImage, b: &image::RgbaImage) -> f64 {
    let attr = dssim_core::Dssim::new();
    let pixels = |i: &image::RgbaImage| -> Vec<rgb::RGBA8> {
        i.pixels()
            .map(|p| rgb::RGBA8::new(p[0], p[1], p[2], p[3]))
            .collect()
    };
    let (w, h) = (a.width() as usize, a.height() as usize);
    let a = attr.create_image_rgba(&pixels(a), w, h).expect("image a");
    let b = attr.create_image_rgba(&pixels(b), w, h).expect("image b");
    f64::from(attr.compare(&a, b).0)
}
