//! Sizes: what each output file costs over the wire.
//!
//! In: final bytes (or the file they are copied from). Out: raw, gzip and brotli sizes and the
//! SRI integrity (sha384). Computed once per file, in parallel, and reused by the manifest, the
//! precompressed siblings and budgets. Formats that are already compressed (JPEG, WOFF2, video)
//! are not measured compressed: servers send them as they are.
//!
//! Gzip is always level 9 (budgets use it by default; it runs at 20 MB/s or more). Brotli
//! quality 11 is slow, slowest on minified code (0.88 MB of minified JS, `xlsx.full.min.js`:
//! 6.8 s; the 16 MB of text of a real admin theme, 50 s), so it is spent only when asked for
//! ([`Measure::brotli_11`]: budgets compare brotli sizes, or `.br` siblings are written), and
//! then on files up to [`BROTLI_11_UP_TO`]; everything else gets quality 5 (what servers use on
//! the fly, 4 to 8 per cent larger). The manifest and the JSON report say which
//! (`brotli_quality`). Files that
//! are copied as they are stream through the hashers and compressors in 1 MB pieces: a 2 GB
//! file costs buffers, not its size in memory.

use std::io::{Read, Write};
use std::path::Path;

use base64::Engine;
use sha2::Digest;

/// The largest file compressed with brotli quality 11; see the module comment.
pub const BROTLI_11_UP_TO: u64 = 1024 * 1024;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sizes {
    pub size: u64,
    pub gzip: Option<u64>,
    pub brotli: Option<u64>,
    /// `sha384-…`, for `<script integrity>`.
    pub integrity: String,
}

/// Compressed bodies, kept only when precompressed siblings were asked for.
#[derive(Debug, Default)]
pub struct Compressed {
    pub gzip: Option<Vec<u8>>,
    pub brotli: Option<Vec<u8>>,
}

/// Brotli's quality when quality 11 is not asked for, and above [`BROTLI_11_UP_TO`].
pub const BROTLI_FAST: u32 = 5;

/// How files are measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Measure {
    /// Keep the compressed bodies (precompressed siblings are written), so a large site's
    /// compressed copies are not all held in memory for nothing.
    pub keep: bool,
    /// Brotli at quality 11 (up to [`BROTLI_11_UP_TO`]): budgets compare brotli sizes, or `.br`
    /// siblings are written.
    pub brotli_11: bool,
}

impl Measure {
    /// The brotli quality of small files, as the manifest records it.
    pub fn brotli_quality(self) -> u32 {
        if self.brotli_11 { 11 } else { BROTLI_FAST }
    }

    /// Gzip and brotli levels for a file of `len` bytes.
    fn levels(self, len: u64) -> (u32, u32) {
        if self.brotli_11 && len <= BROTLI_11_UP_TO {
            (9, 11)
        } else {
            (9, BROTLI_FAST)
        }
    }
}

/// Measures `bytes`.
pub fn measure(bytes: &[u8], compressible: bool, how: Measure) -> (Sizes, Compressed) {
    measure_stream(&mut &bytes[..], bytes.len() as u64, compressible, how)
        .expect("reading from memory cannot fail")
}

/// Like [`measure`], reading the file at `path` in pieces.
pub fn measure_file(
    path: &Path,
    compressible: bool,
    how: Measure,
) -> std::io::Result<(Sizes, Compressed)> {
    let file = std::fs::File::open(path)?;
    let len = file.metadata()?.len();
    measure_stream(&mut std::io::BufReader::new(file), len, compressible, how)
}

/// A writer that keeps the bytes (a precompressed sibling) or only counts them.
enum Sink {
    Keep(Vec<u8>),
    Count(u64),
}

impl Sink {
    fn new(keep: bool) -> Sink {
        if keep {
            Sink::Keep(Vec::new())
        } else {
            Sink::Count(0)
        }
    }
    fn len(&self) -> u64 {
        match self {
            Sink::Keep(v) => v.len() as u64,
            Sink::Count(n) => *n,
        }
    }
    fn into_body(self) -> Option<Vec<u8>> {
        match self {
            Sink::Keep(v) => Some(v),
            Sink::Count(_) => None,
        }
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Sink::Keep(v) => v.extend_from_slice(buf),
            Sink::Count(n) => *n += buf.len() as u64,
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn measure_stream(
    input: &mut dyn Read,
    len: u64,
    compressible: bool,
    how: Measure,
) -> std::io::Result<(Sizes, Compressed)> {
    let (gzip_level, brotli_quality) = how.levels(len);
    let keep = how.keep;
    let mut sha = sha2::Sha384::new();
    let mut gz = compressible.then(|| {
        flate2::write::GzEncoder::new(Sink::new(keep), flate2::Compression::new(gzip_level))
    });
    let mut br = compressible.then(|| brotli_writer(Sink::new(keep), len, brotli_quality));
    let mut size = 0u64;
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = input.read(&mut buf)?;
        if n == 0 {
            break;
        }
        let piece = &buf[..n];
        size += n as u64;
        sha.update(piece);
        if let Some(gz) = gz.as_mut() {
            gz.write_all(piece)?;
        }
        if let Some(br) = br.as_mut() {
            br.write_all(piece)?;
        }
    }
    let gz = gz.map(|g| g.finish()).transpose()?;
    // `into_inner` finishes the stream (a `flush` first would add an empty meta-block).
    let br = br.map(|b| b.into_inner());
    let sizes = Sizes {
        size,
        gzip: gz.as_ref().map(Sink::len),
        brotli: br.as_ref().map(Sink::len),
        integrity: format!(
            "sha384-{}",
            base64::engine::general_purpose::STANDARD.encode(sha.finalize())
        ),
    };
    let compressed = Compressed {
        gzip: gz.and_then(Sink::into_body),
        brotli: br.and_then(Sink::into_body),
    };
    Ok((sizes, compressed))
}

fn brotli_writer(sink: Sink, len: u64, quality: u32) -> brotli::CompressorWriter<Sink> {
    // A window larger than the input buys nothing and costs allocating and clearing it, which
    // dominates for small files; the output is the same but for the window size it declares.
    let bits = (64 - len.max(1).leading_zeros()) as i32;
    let params = brotli::enc::BrotliEncoderParams {
        quality: quality as i32,
        lgwin: bits.clamp(10, 22),
        size_hint: len as usize,
        ..Default::default()
    };
    brotli::CompressorWriter::with_params(sink, 1 << 16, &params)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compressed_sizes_round_trip() {
        let text = "body { color: red }\n".repeat(200);
        let how = Measure {
            keep: true,
            brotli_11: true,
        };
        let (sizes, compressed) = measure(text.as_bytes(), true, how);
        assert_eq!(sizes.size, text.len() as u64);
        assert!(sizes.gzip.unwrap() < sizes.size / 10);
        assert!(sizes.brotli.unwrap() <= sizes.gzip.unwrap());
        let mut decoded = String::new();
        std::io::Read::read_to_string(
            &mut flate2::read::GzDecoder::new(&compressed.gzip.unwrap()[..]),
            &mut decoded,
        )
        .unwrap();
        assert_eq!(decoded, text);
        assert!(sizes.integrity.starts_with("sha384-"));
        let (plain, _) = measure(b"\xff\xd8jpeg", false, how);
        assert_eq!((plain.gzip, plain.brotli), (None, None));
    }
}
