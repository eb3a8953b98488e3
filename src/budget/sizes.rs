//! Sizes: what each output file costs over the wire.
//!
//! In: final bytes. Out: raw, gzip (level 9) and brotli (quality 11) sizes and the SRI
//! integrity (sha384). Computed once per file, in parallel, and reused by the manifest, the
//! precompressed siblings and (later) budgets. Formats that are already compressed (JPEG, WOFF2,
//! video) are not measured compressed: servers send them as they are.

use std::io::Write;

use base64::Engine;
use sha2::Digest;

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

/// Measures `bytes`; the compressed bodies are returned only when `keep` (for precompressed
/// siblings), so a large site's compressed copies are not all held in memory for nothing.
pub fn measure(bytes: &[u8], compressible: bool, keep: bool) -> (Sizes, Compressed) {
    let integrity = format!(
        "sha384-{}",
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha384::digest(bytes))
    );
    let mut sizes = Sizes {
        size: bytes.len() as u64,
        gzip: None,
        brotli: None,
        integrity,
    };
    let mut compressed = Compressed::default();
    if compressible {
        let gz = gzip(bytes);
        let br = brotli(bytes);
        sizes.gzip = Some(gz.len() as u64);
        sizes.brotli = Some(br.len() as u64);
        if keep {
            compressed.gzip = Some(gz);
            compressed.brotli = Some(br);
        }
    }
    (sizes, compressed)
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    // Writing into a Vec cannot fail.
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).expect("write to Vec");
    encoder.finish().expect("write to Vec")
}

pub fn brotli(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    // A window larger than the input buys nothing and costs allocating and clearing it, which
    // dominates for small files; the output is the same but for the window size it declares.
    let bits = (usize::BITS - bytes.len().max(1).leading_zeros()) as i32;
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: bits.clamp(10, 22),
        size_hint: bytes.len(),
        ..Default::default()
    };
    brotli::BrotliCompress(&mut &bytes[..], &mut out, &params).expect("write to Vec");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compressed_sizes_round_trip() {
        let text = "body { color: red }\n".repeat(200);
        let (sizes, compressed) = measure(text.as_bytes(), true, true);
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
        let (plain, _) = measure(b"\xff\xd8jpeg", false, true);
        assert_eq!((plain.gzip, plain.brotli), (None, None));
    }
}
