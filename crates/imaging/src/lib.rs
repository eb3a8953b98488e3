//! distill's image work behind plain functions on concrete types: probe, decode (EXIF
//! orientation applied, embedded ICC profiles converted to sRGB), resize (Lanczos3 on
//! premultiplied alpha), and encode to AVIF (libaom via libavif), WebP (libwebp), JPEG (mozjpeg, progressive)
//! and PNG (oxipng). Bytes in, bytes out, no I/O.

use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};

use fast_image_resize as fr;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader};

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum Error {
    #[error("empty file")]
    Empty,
    #[error("not a JPEG, PNG, WebP or GIF image{0}")]
    Unsupported(String),
    #[error(
        "{width}x{height} is {pixels} pixels, over the limit of {limit} (a decompression bomb?)"
    )]
    TooLarge {
        width: u32,
        height: u32,
        pixels: u64,
        limit: u64,
    },
    #[error("cannot decode: {0}")]
    Decode(String),
    #[error("cannot encode {format}: {message}")]
    Encode {
        format: &'static str,
        message: String,
    },
}

/// The raster formats distill reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Format {
    Jpeg,
    Png,
    WebP,
    Gif,
}

impl Format {
    fn image_format(self) -> ImageFormat {
        match self {
            Format::Jpeg => ImageFormat::Jpeg,
            Format::Png => ImageFormat::Png,
            Format::WebP => ImageFormat::WebP,
            Format::Gif => ImageFormat::Gif,
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            Format::Jpeg => "image/jpeg",
            Format::Png => "image/png",
            Format::WebP => "image/webp",
            Format::Gif => "image/gif",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Format::Jpeg => "JPEG",
            Format::Png => "PNG",
            Format::WebP => "WebP",
            Format::Gif => "GIF",
        }
    }
}

/// What the header says, read without decoding the pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Info {
    pub format: Format,
    /// As stored (before EXIF orientation).
    pub width: u32,
    pub height: u32,
    pub animated: bool,
}

/// Decoded pixels: 8-bit RGBA, sRGB, upright.
#[derive(Clone)]
pub struct Image {
    pub width: u32,
    pub height: u32,
    pub rgba: Vec<u8>,
    /// Every pixel has alpha 255.
    pub opaque: bool,
    /// The EXIF orientation was not the identity (the pixels were rotated or flipped).
    pub reoriented: bool,
}

impl std::fmt::Debug for Image {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Image({}x{}, opaque: {})",
            self.width, self.height, self.opaque
        )
    }
}

/// Identifies the format by its magic bytes (never by the file name) and reads the header.
/// Refuses images of more than `max_pixels` before any pixel memory is allocated.
pub fn probe(bytes: &[u8], max_pixels: u64) -> Result<Info, Error> {
    if bytes.is_empty() {
        return Err(Error::Empty);
    }
    let format = match image::guess_format(bytes) {
        Ok(ImageFormat::Jpeg) => Format::Jpeg,
        Ok(ImageFormat::Png) => Format::Png,
        Ok(ImageFormat::WebP) => Format::WebP,
        Ok(ImageFormat::Gif) => Format::Gif,
        Ok(other) => return Err(Error::Unsupported(format!(" (it is {other:?})"))),
        Err(_) => return Err(Error::Unsupported(String::new())),
    };
    if format == Format::Jpeg && !jpeg_is_complete(bytes) {
        return Err(Error::Decode(
            "truncated: no end-of-image marker after the last scan".into(),
        ));
    }
    let reader = ImageReader::with_format(Cursor::new(bytes), format.image_format());
    let (width, height) = reader
        .into_dimensions()
        .map_err(|e| Error::Decode(e.to_string()))?;
    let pixels = u64::from(width) * u64::from(height);
    if pixels > max_pixels {
        return Err(Error::TooLarge {
            width,
            height,
            pixels,
            limit: max_pixels,
        });
    }
    let animated = animated(bytes, format).map_err(|e| Error::Decode(e.to_string()))?;
    Ok(Info {
        format,
        width,
        height,
        animated,
    })
}

/// A JPEG's last scan (SOS) is followed by an end-of-image marker. The JPEG decoder accepts a
/// cut-off file and fills the missing rows with grey, so check this first. (0xFF in scan data
/// is always stuffed as FF 00, so FF D9 after the last SOS can only be the real EOI.)
fn jpeg_is_complete(bytes: &[u8]) -> bool {
    let last_scan = bytes.windows(2).rposition(|w| w == [0xFF, 0xDA]);
    match last_scan {
        Some(start) => bytes[start..].windows(2).any(|w| w == [0xFF, 0xD9]),
        None => false,
    }
}

fn animated(bytes: &[u8], format: Format) -> image::ImageResult<bool> {
    use image::AnimationDecoder;
    Ok(match format {
        Format::Gif => {
            let decoder = image::codecs::gif::GifDecoder::new(Cursor::new(bytes))?;
            decoder.into_frames().take(2).count() > 1
        }
        Format::WebP => image::codecs::webp::WebPDecoder::new(Cursor::new(bytes))?.has_animation(),
        Format::Png => image::codecs::png::PngDecoder::new(Cursor::new(bytes))?.is_apng()?,
        Format::Jpeg => false,
    })
}

/// Decodes to upright sRGB RGBA8. `info` comes from [`probe`] of the same bytes.
pub fn decode(bytes: &[u8], info: &Info) -> Result<Image, Error> {
    let err = |e: image::ImageError| Error::Decode(e.to_string());
    let mut reader = ImageReader::with_format(Cursor::new(bytes), info.format.image_format());
    let mut limits = image::Limits::default();
    // The pixels, as RGBA8, twice over (decode buffer and conversion), plus slack.
    limits.max_alloc = Some(u64::from(info.width) * u64::from(info.height) * 8 + (64 << 20));
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(err)?;
    let orientation = decoder.orientation().map_err(err)?;
    let icc = decoder.icc_profile().map_err(err)?;
    let mut image = DynamicImage::from_decoder(decoder).map_err(err)?;
    let reoriented = orientation != image::metadata::Orientation::NoTransforms;
    image.apply_orientation(orientation);
    let rgba = image.into_rgba8();
    let (width, height) = rgba.dimensions();
    let mut rgba = rgba.into_raw();
    if let Some(icc) = icc {
        to_srgb(&icc, &mut rgba);
    }
    let opaque = rgba.chunks_exact(4).all(|p| p[3] == 255);
    Ok(Image {
        width,
        height,
        rgba,
        opaque,
        reoriented,
    })
}

/// Converts pixels from an embedded ICC profile to sRGB, so every output can drop the profile
/// and still show the right colours. An unreadable profile is ignored (taken as sRGB, as
/// browsers do).
fn to_srgb(icc: &[u8], rgba: &mut [u8]) {
    let Some(input) = qcms::Profile::new_from_slice(icc, false) else {
        return;
    };
    let srgb = qcms::Profile::new_sRGB();
    if let Some(transform) = qcms::Transform::new(
        &input,
        &srgb,
        qcms::DataType::RGBA8,
        qcms::Intent::Perceptual,
    ) {
        transform.apply(rgba);
    }
}

/// Resizes to `width` (height keeps the aspect ratio), Lanczos3 on premultiplied alpha so
/// transparent edges do not darken.
pub fn resize(image: &Image, width: u32) -> Image {
    let height = scaled_height(image.width, image.height, width);
    let src =
        fr::images::ImageRef::new(image.width, image.height, &image.rgba, fr::PixelType::U8x4)
            .expect("buffer matches its dimensions");
    let mut dst = fr::images::Image::new(width, height, fr::PixelType::U8x4);
    let options = fr::ResizeOptions::new()
        .resize_alg(fr::ResizeAlg::Convolution(fr::FilterType::Lanczos3))
        .use_alpha(!image.opaque);
    fr::Resizer::new()
        .resize(&src, &mut dst, &options)
        .expect("same pixel type on both sides");
    Image {
        width,
        height,
        rgba: dst.into_vec(),
        opaque: image.opaque,
        reoriented: false,
    }
}

/// The height that keeps the aspect ratio at `width`, at least 1.
pub fn scaled_height(width: u32, height: u32, new_width: u32) -> u32 {
    let h = (u64::from(height) * u64::from(new_width) + u64::from(width) / 2) / u64::from(width);
    h.max(1) as u32
}

fn rgb(image: &Image) -> Vec<u8> {
    image
        .rgba
        .chunks_exact(4)
        .flat_map(|p| [p[0], p[1], p[2]])
        .collect()
}

/// libavif's version and its codecs' (libaom's), for cache keys.
pub fn avif_encoder_version() -> String {
    use libavif_sys as ffi;
    let mut codecs = [0 as std::ffi::c_char; 256];
    // SAFETY: libavif writes a NUL-terminated string of at most 256 bytes into the buffer; its
    // version is a static string.
    unsafe {
        ffi::avifCodecVersions(codecs.as_mut_ptr());
        let version = std::ffi::CStr::from_ptr(ffi::avifVersion()).to_string_lossy();
        let codecs = std::ffi::CStr::from_ptr(codecs.as_ptr()).to_string_lossy();
        format!("libavif {version} ({codecs})")
    }
}

/// AVIF with libaom (through libavif): 4:4:4, `tune=ssim` (DSSIM is what the quality tests and
/// the comparison with sharp measure). `quality` 1..=100 (libavif's scale), `speed` 1 (slow,
/// small) ..=10. Hand-written over the `-sys` bindings because no maintained safe wrapper
/// exposes libaom's options; the unsafe part is this one function.
pub fn encode_avif(image: &Image, quality: f32, speed: u8) -> Result<Vec<u8>, Error> {
    use libavif_sys as ffi;
    let err = |what: &str, code: ffi::avifResult| Error::Encode {
        format: "AVIF",
        message: format!("{what}: libavif error {code}"),
    };
    let (w, h) = (image.width, image.height);
    let mut pixels = if image.opaque {
        rgb(image)
    } else {
        image.rgba.clone()
    };
    // SAFETY: every pointer comes from libavif's own constructors and is checked before use;
    // `pixels` outlives the conversion that reads it; all that libavif allocated is freed on
    // every path (the guards below).
    unsafe {
        struct Guard(*mut ffi::avifImage, *mut ffi::avifEncoder);
        impl Drop for Guard {
            fn drop(&mut self) {
                // SAFETY: created by libavif, destroyed once.
                unsafe {
                    if !self.1.is_null() {
                        ffi::avifEncoderDestroy(self.1);
                    }
                    if !self.0.is_null() {
                        ffi::avifImageDestroy(self.0);
                    }
                }
            }
        }
        let avif = ffi::avifImageCreate(w, h, 8, ffi::AVIF_PIXEL_FORMAT_YUV444);
        let mut guard = Guard(avif, std::ptr::null_mut());
        if avif.is_null() {
            return Err(err("image", 0));
        }
        let mut rgb_image = ffi::avifRGBImage::default();
        ffi::avifRGBImageSetDefaults(&mut rgb_image, avif);
        rgb_image.format = if image.opaque {
            ffi::AVIF_RGB_FORMAT_RGB
        } else {
            ffi::AVIF_RGB_FORMAT_RGBA
        };
        rgb_image.pixels = pixels.as_mut_ptr();
        rgb_image.rowBytes = w * if image.opaque { 3 } else { 4 };
        let r = ffi::avifImageRGBToYUV(avif, &rgb_image);
        if r != ffi::AVIF_RESULT_OK {
            return Err(err("RGB to YUV", r));
        }
        let encoder = ffi::avifEncoderCreate();
        guard.1 = encoder;
        if encoder.is_null() {
            return Err(err("encoder", 0));
        }
        (*encoder).codecChoice = ffi::AVIF_CODEC_CHOICE_AOM;
        // One image per worker thread (see Cargo.toml).
        (*encoder).maxThreads = 1;
        (*encoder).speed = i32::from(speed.clamp(1, 10));
        (*encoder).quality = quality.round().clamp(1.0, 100.0) as i32;
        (*encoder).qualityAlpha = (*encoder).quality;
        let r = ffi::avifEncoderSetCodecSpecificOption(encoder, c"tune".as_ptr(), c"ssim".as_ptr());
        if r != ffi::AVIF_RESULT_OK {
            return Err(err("tune", r));
        }
        let mut out = ffi::avifRWData::default();
        let r = ffi::avifEncoderWrite(encoder, avif, &mut out);
        if r != ffi::AVIF_RESULT_OK {
            ffi::avifRWDataFree(&mut out);
            return Err(err("encode", r));
        }
        let bytes = std::slice::from_raw_parts(out.data, out.size).to_vec();
        ffi::avifRWDataFree(&mut out);
        drop(guard);
        Ok(bytes)
    }
}

/// Lossy WebP with libwebp at `quality` (0..=100), method 6: the slowest, smallest setting,
/// which at equal quality makes smaller files than the default method 4 (sharp's default).
pub fn encode_webp(image: &Image, quality: f32) -> Result<Vec<u8>, Error> {
    let err = |e: webp::WebPEncodingError| Error::Encode {
        format: "WebP",
        message: format!("{e:?}"),
    };
    let mut config = webp::WebPConfig::new().map_err(|_| Error::Encode {
        format: "WebP",
        message: "libwebp version mismatch".into(),
    })?;
    config.quality = quality;
    config.method = 6;
    config.alpha_compression = 1;
    let encoded = if image.opaque {
        let pixels = rgb(image);
        webp::Encoder::from_rgb(&pixels, image.width, image.height).encode_advanced(&config)
    } else {
        webp::Encoder::from_rgba(&image.rgba, image.width, image.height).encode_advanced(&config)
    };
    encoded.map(|m| m.to_vec()).map_err(err)
}

/// Progressive JPEG with mozjpeg (trellis quantisation, optimised scans). Alpha is dropped
/// (callers only use JPEG for opaque images).
pub fn encode_jpeg(image: &Image, quality: f32) -> Result<Vec<u8>, Error> {
    let pixels = rgb(image);
    // mozjpeg reports libjpeg errors by unwinding; keep that inside this function.
    catch_unwind(AssertUnwindSafe(|| -> std::io::Result<Vec<u8>> {
        let mut compress = mozjpeg::Compress::new(mozjpeg::ColorSpace::JCS_RGB);
        compress.set_size(image.width as usize, image.height as usize);
        compress.set_quality(quality);
        compress.set_progressive_mode();
        compress.set_optimize_scans(true);
        compress.set_optimize_coding(true);
        let mut started = compress.start_compress(Vec::new())?;
        started.write_scanlines(&pixels)?;
        started.finish()
    }))
    .map_err(|_| Error::Encode {
        format: "JPEG",
        message: "mozjpeg failed".into(),
    })?
    .map_err(|e| Error::Encode {
        format: "JPEG",
        message: e.to_string(),
    })
}

/// PNG, losslessly optimised with oxipng at `level` (0..=6).
pub fn encode_png(image: &Image, level: u8) -> Result<Vec<u8>, Error> {
    let mut raw = Vec::new();
    let (data, color) = if image.opaque {
        (rgb(image), image::ExtendedColorType::Rgb8)
    } else {
        (image.rgba.clone(), image::ExtendedColorType::Rgba8)
    };
    image::ImageEncoder::write_image(
        image::codecs::png::PngEncoder::new(&mut raw),
        &data,
        image.width,
        image.height,
        color,
    )
    .map_err(|e| Error::Encode {
        format: "PNG",
        message: e.to_string(),
    })?;
    optimize_png(&raw, level)
}

/// Losslessly recompresses a PNG with oxipng and drops the chunks that do not affect how it
/// looks (text, EXIF, timestamps).
pub fn optimize_png(bytes: &[u8], level: u8) -> Result<Vec<u8>, Error> {
    let mut options = oxipng::Options::from_preset(level.min(6));
    options.strip = oxipng::StripChunks::Safe;
    oxipng::optimize_from_memory(bytes, &options).map_err(|e| Error::Encode {
        format: "PNG",
        message: e.to_string(),
    })
}

/// A JPEG without its metadata segments (EXIF with GPS, XMP, IPTC, comments), byte for byte
/// otherwise: no re-encoding. The ICC profile (APP2) and JFIF header stay.
pub fn strip_jpeg_metadata(bytes: &[u8]) -> Option<Vec<u8>> {
    use img_parts::jpeg::{Jpeg, markers};
    let mut jpeg = Jpeg::from_bytes(bytes.to_vec().into()).ok()?;
    jpeg.segments_mut()
        .retain(|s| !matches!(s.marker(), markers::APP1 | markers::APP13 | markers::COM));
    let mut out = Vec::with_capacity(bytes.len());
    jpeg.encoder().write_to(&mut out).ok()?;
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gradient(width: u32, height: u32, alpha: bool) -> Image {
        let mut rgba = Vec::with_capacity((width * height * 4) as usize);
        for y in 0..height {
            for x in 0..width {
                let a = if alpha && x < width / 2 { 0 } else { 255 };
                rgba.extend([(x * 255 / width) as u8, (y * 255 / height) as u8, 128, a]);
            }
        }
        Image {
            width,
            height,
            opaque: !alpha,
            rgba,
            reoriented: false,
        }
    }

    #[test]
    fn every_encoder_round_trips_its_dimensions() {
        let image = resize(&gradient(200, 100, false), 64);
        assert_eq!((image.width, image.height), (64, 32));
        for (bytes, format) in [
            (encode_webp(&image, 80.0).unwrap(), ImageFormat::WebP),
            (encode_jpeg(&image, 85.0).unwrap(), ImageFormat::Jpeg),
            (encode_png(&image, 2).unwrap(), ImageFormat::Png),
        ] {
            let decoded = image::load_from_memory_with_format(&bytes, format).unwrap();
            assert_eq!((decoded.width(), decoded.height()), (64, 32), "{format:?}");
        }
        let avif = encode_avif(&image, 60.0, 8).unwrap();
        assert_eq!(&avif[4..12], b"ftypavif");
    }

    #[test]
    fn probe_rejects_bombs_and_lies() {
        let png = encode_png(&gradient(40, 30, true), 1).unwrap();
        let info = probe(&png, 10_000).unwrap();
        assert_eq!(
            (info.format, info.width, info.height, info.animated),
            (Format::Png, 40, 30, false)
        );
        assert!(matches!(probe(&png, 1000), Err(Error::TooLarge { .. })));
        assert_eq!(probe(b"", 1000), Err(Error::Empty));
        assert!(matches!(
            probe(b"hello, I am a JPEG", 1000),
            Err(Error::Unsupported(_))
        ));
        assert!(matches!(
            probe(&png[..60], 10_000).and_then(|i| decode(&png[..60], &i)),
            Err(Error::Decode(_))
        ));
        let jpeg = encode_jpeg(&gradient(64, 64, false), 80.0).unwrap();
        assert!(probe(&jpeg, 10_000).is_ok());
        assert!(matches!(
            probe(&jpeg[..jpeg.len() - 40], 10_000),
            Err(Error::Decode(_))
        ));
    }

    #[test]
    fn transparent_edges_do_not_darken() {
        // Left half fully transparent black, right half opaque white: a naive resize bleeds
        // the black into the edge.
        let mut image = gradient(64, 8, true);
        for p in image.rgba.chunks_exact_mut(4) {
            if p[3] == 255 {
                p[..3].copy_from_slice(&[255, 255, 255]);
            } else {
                p[..3].copy_from_slice(&[0, 0, 0]);
            }
        }
        let small = resize(&image, 16);
        for p in small.rgba.chunks_exact(4).filter(|p| p[3] > 0) {
            assert!(p[0] >= 250, "dark fringe {p:?}");
        }
    }
}
