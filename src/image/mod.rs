//! Images: responsive variants and optimized originals, as a pure transform.
//!
//! In: an image's bytes and the settings that apply to it. Out: its upright intrinsic size,
//! the variants to add (AVIF and WebP at each width, plus the original's format at the widths
//! below the original), and an optimized original when that is smaller. The codecs live in the
//! `distill-imaging` crate; this module decides what to make and what pays.

pub mod cache;
pub mod stage;

use distill_imaging as imaging;
use imaging::Format;

/// Bumped whenever [`transform`] decides differently for the same input and settings, so the
/// cache does not serve what the old rules made.
pub const TRANSFORM_VERSION: &str = "transform 2";

/// An output format of a variant.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum VariantFormat {
    Avif,
    Webp,
    Jpeg,
    Png,
}

impl VariantFormat {
    pub fn extension(self) -> &'static str {
        match self {
            VariantFormat::Avif => "avif",
            VariantFormat::Webp => "webp",
            VariantFormat::Jpeg => "jpg",
            VariantFormat::Png => "png",
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            VariantFormat::Avif => "image/avif",
            VariantFormat::Webp => "image/webp",
            VariantFormat::Jpeg => "image/jpeg",
            VariantFormat::Png => "image/png",
        }
    }
}

/// Everything that shapes one image's output (after `[[images.rules]]` were applied). Its
/// digest is part of the cache key.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ImageSettings {
    pub widths: Vec<u32>,
    /// Modern formats to add, in `<source>` order.
    pub formats: Vec<VariantFormat>,
    pub avif_quality: f32,
    pub avif_speed: u8,
    pub webp_quality: f32,
    pub jpeg_quality: f32,
    pub png_level: u8,
    pub max_pixels: u64,
    /// Narrower images are left as they are.
    pub min_width: u32,
    /// Make variants (false: only optimize the original).
    pub variants: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variant {
    pub format: VariantFormat,
    pub width: u32,
    pub height: u32,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Processed {
    /// Upright intrinsic size.
    pub width: u32,
    pub height: u32,
    /// The format variants fall back to for browsers without AVIF/WebP support.
    pub fallback: VariantFormat,
    /// The optimized original, when it is smaller than the input.
    pub original: Option<Vec<u8>>,
    pub variants: Vec<Variant>,
    /// Why something was left out (for `-v`).
    pub notes: Vec<String>,
}

/// Why an image is passed through untouched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skip {
    /// Bad input: a warning (an error under `--strict`).
    Invalid(String),
    /// Nothing to do, for a good reason (animated, tiny): a note.
    Unchanged(String),
}

/// The widths to make for an image `intrinsic` pixels wide: every configured width below it,
/// and the intrinsic width itself when it is not larger than the largest configured width (so
/// the full-resolution image is a candidate; a narrow image keeps its own width). Never
/// upscales.
pub fn target_widths(intrinsic: u32, widths: &[u32]) -> Vec<u32> {
    let mut out: Vec<u32> = widths.iter().copied().filter(|&w| w < intrinsic).collect();
    let largest = widths.iter().copied().max().unwrap_or(intrinsic);
    if intrinsic <= largest || out.is_empty() {
        out.push(intrinsic);
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// The format a file name claims.
pub fn format_of_extension(extension: &str) -> Option<Format> {
    match extension.to_ascii_lowercase().as_str() {
        "jpg" | "jpeg" => Some(Format::Jpeg),
        "png" => Some(Format::Png),
        "webp" => Some(Format::WebP),
        "gif" => Some(Format::Gif),
        _ => None,
    }
}

/// Processes one image. `extension` is its file name's: content that does not match it is
/// refused (a server would send it with the wrong type).
pub fn transform(
    bytes: &[u8],
    extension: &str,
    settings: &ImageSettings,
) -> Result<Processed, Skip> {
    let info =
        imaging::probe(bytes, settings.max_pixels).map_err(|e| Skip::Invalid(e.to_string()))?;
    if let Some(claimed) = format_of_extension(extension)
        && claimed != info.format
    {
        return Err(Skip::Invalid(format!(
            "the extension says {} but the content is {}",
            claimed.name(),
            info.format.name()
        )));
    }
    if info.animated {
        return Err(Skip::Unchanged(format!(
            "animated {}, passed through unchanged",
            info.format.name()
        )));
    }
    let image = imaging::decode(bytes, &info).map_err(|e| Skip::Invalid(e.to_string()))?;
    if image.width < settings.min_width {
        return Err(Skip::Unchanged(format!(
            "{} px wide, under [images] min_width = {}: left as is",
            image.width, settings.min_width
        )));
    }
    let fallback = match info.format {
        Format::Jpeg => VariantFormat::Jpeg,
        Format::Png | Format::Gif => VariantFormat::Png,
        Format::WebP if image.opaque => VariantFormat::Jpeg,
        Format::WebP => VariantFormat::Png,
    };
    let mut notes = Vec::new();
    let original = optimize_original(bytes, info.format, &image, settings, &mut notes);
    let mut variants = Vec::new();
    if settings.variants {
        for width in target_widths(image.width, &settings.widths) {
            variants.extend(variants_at(
                &image,
                width,
                fallback,
                info.format,
                settings,
                &mut notes,
            )?);
        }
    }
    Ok(Processed {
        width: image.width,
        height: image.height,
        fallback,
        original,
        variants,
        notes,
    })
}

/// The variants at one width: the fallback format (below the intrinsic width; at it, the
/// original serves), then each modern format that is smaller than the fallback.
fn variants_at(
    image: &imaging::Image,
    width: u32,
    fallback: VariantFormat,
    source: Format,
    settings: &ImageSettings,
    notes: &mut Vec<String>,
) -> Result<Vec<Variant>, Skip> {
    let resized;
    let scaled = if width == image.width {
        image
    } else {
        resized = imaging::resize(image, width);
        &resized
    };
    let encode_err = |e: imaging::Error| Skip::Invalid(e.to_string());
    let fallback_bytes = encode(scaled, fallback, settings).map_err(encode_err)?;
    let mut out = Vec::new();
    for &format in &settings.formats {
        // A WebP source at full size is its own WebP variant.
        if format == VariantFormat::Webp && source == Format::WebP && width == image.width {
            continue;
        }
        let bytes = encode(scaled, format, settings).map_err(encode_err)?;
        if bytes.len() >= fallback_bytes.len() {
            notes.push(format!(
                "{} at {width}w skipped: {} bytes, not smaller than the {} ({} bytes)",
                format.extension(),
                bytes.len(),
                fallback.extension(),
                fallback_bytes.len()
            ));
            continue;
        }
        out.push(Variant {
            format,
            width,
            height: scaled.height,
            bytes,
        });
    }
    // At the intrinsic width the (optimized) original is the fallback.
    if width < image.width || source == Format::WebP || source == Format::Gif {
        out.push(Variant {
            format: fallback,
            width,
            height: scaled.height,
            bytes: fallback_bytes,
        });
    }
    Ok(out)
}

fn encode(
    image: &imaging::Image,
    format: VariantFormat,
    settings: &ImageSettings,
) -> Result<Vec<u8>, imaging::Error> {
    match format {
        VariantFormat::Avif => {
            imaging::encode_avif(image, settings.avif_quality, settings.avif_speed)
        }
        VariantFormat::Webp => imaging::encode_webp(image, settings.webp_quality),
        VariantFormat::Jpeg => imaging::encode_jpeg(image, settings.jpeg_quality),
        VariantFormat::Png => imaging::encode_png(image, settings.png_level),
    }
}

/// The original, optimized: PNG losslessly with oxipng; JPEG re-encoded progressive with
/// mozjpeg, or at least stripped of its metadata. `None` when nothing smaller came out.
fn optimize_original(
    bytes: &[u8],
    format: Format,
    image: &imaging::Image,
    settings: &ImageSettings,
    notes: &mut Vec<String>,
) -> Option<Vec<u8>> {
    let candidate = match format {
        Format::Png => imaging::optimize_png(bytes, settings.png_level).ok(),
        Format::Jpeg => {
            let encoded = imaging::encode_jpeg(image, settings.jpeg_quality).ok();
            match encoded {
                Some(e) if e.len() < bytes.len() => Some(e),
                // Keeping the original: at least drop EXIF (GPS), XMP and comments, unless the
                // EXIF orientation is what makes it display upright.
                _ if !image.reoriented => imaging::strip_jpeg_metadata(bytes),
                _ => {
                    notes.push("kept with its EXIF: it carries the orientation".into());
                    None
                }
            }
        }
        Format::WebP | Format::Gif => None,
    };
    candidate.filter(|c| c.len() < bytes.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_never_upscale() {
        let widths = [320, 640, 960, 1280, 1920];
        assert_eq!(
            target_widths(4000, &widths),
            vec![320, 640, 960, 1280, 1920]
        );
        assert_eq!(target_widths(1000, &widths), vec![320, 640, 960, 1000]);
        assert_eq!(target_widths(640, &widths), vec![320, 640]);
        assert_eq!(target_widths(200, &widths), vec![200]);
    }
}
