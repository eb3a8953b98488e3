//! `.distill/manifest.json`: every asset's original path -> output path, type, sizes, SRI
//! integrity and references. Keys are sorted (BTreeMap) and nothing time-dependent is
//! recorded, so the same input gives the same bytes. It also lets a later run recognise its own
//! output (`output_digest`) and skip the work.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::OutputFile;
use crate::discover::Kind;
use crate::refs::RefKind;

pub const PATH: &str = ".distill/manifest.json";
pub const VERSION: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
pub struct Manifest {
    pub version: u32,
    pub generator: String,
    pub hash: HashInfo,
    /// Digest of the settings that shape the output.
    pub settings_digest: String,
    /// The brotli quality of the `brotli` sizes: 11 (for files up to 1 MiB; 5 above) when
    /// budgets compare brotli or `.br` files are written, else 5.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brotli_quality: Option<u32>,
    /// Digest of every output file's path and content (not the manifest itself, nor
    /// precompressed siblings).
    pub output_digest: String,
    pub assets: BTreeMap<String, Asset>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct HashInfo {
    pub algorithm: String,
    pub length: usize,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Asset {
    pub file: String,
    #[serde(rename = "type")]
    pub kind: Kind,
    pub hashed: bool,
    pub size: u64,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub gzip: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub brotli: Option<u64>,
    pub integrity: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty", default)]
    pub references: BTreeMap<RefKind, BTreeSet<String>>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub image: Option<ImageInfo>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub critical: Option<CriticalInfo>,
}

/// A page's inlined critical CSS.
#[derive(Debug, Serialize, Deserialize)]
pub struct CriticalInfo {
    pub bytes: usize,
    /// The Content-Security-Policy source allowing the inlined `<style>`: `'sha256-…'`.
    pub csp: String,
    /// A `style-src` allowing every inline style of the page (`[headers] csp` sends it).
    pub style_src: String,
    /// The stylesheets (output paths) it stands for.
    pub stylesheets: Vec<String>,
    /// Fonts preloaded (output paths).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub fonts: Vec<String>,
}

/// A processed raster image.
#[derive(Debug, Serialize, Deserialize)]
pub struct ImageInfo {
    pub width: u32,
    pub height: u32,
    /// The original was replaced by a smaller optimized version.
    pub optimized: bool,
    pub variants: Vec<Variant>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Variant {
    pub file: String,
    pub format: crate::image::VariantFormat,
    pub width: u32,
    pub height: u32,
    pub size: u64,
}

/// Digest of a folder's content: sorted `path NUL blake3 NL` lines.
pub fn tree_digest<'a>(entries: impl Iterator<Item = (&'a str, [u8; 32])>) -> String {
    let mut entries: Vec<(&str, [u8; 32])> = entries.collect();
    entries.sort();
    let mut hasher = blake3::Hasher::new();
    for (path, digest) in entries {
        hasher.update(path.as_bytes());
        hasher.update(&[0]);
        hasher.update(&digest);
        hasher.update(b"\n");
    }
    hasher.finalize().to_hex().to_string()
}

pub fn build(
    files: &[OutputFile],
    settings_digest: &str,
    hash_length: usize,
    brotli_quality: u32,
) -> Manifest {
    let assets = files
        .iter()
        .map(|f| {
            let mut references: BTreeMap<RefKind, BTreeSet<String>> = BTreeMap::new();
            for (kind, target) in &f.links {
                references.entry(*kind).or_default().insert(target.clone());
            }
            let asset = Asset {
                file: f.path.clone(),
                kind: f.kind,
                hashed: f.hashed,
                size: f.sizes.size,
                gzip: f.sizes.gzip,
                brotli: f.sizes.brotli,
                integrity: f.sizes.integrity.clone(),
                references,
                image: f.image.as_ref().map(|i| ImageInfo {
                    width: i.width,
                    height: i.height,
                    optimized: i.optimized,
                    variants: i
                        .variants
                        .iter()
                        .map(|v| Variant {
                            file: v.file.clone(),
                            format: v.format,
                            width: v.width,
                            height: v.height,
                            size: v.size,
                        })
                        .collect(),
                }),
                critical: f.critical.as_ref().map(|c| CriticalInfo {
                    bytes: c.bytes,
                    csp: c.csp.clone(),
                    style_src: c.policy.clone(),
                    stylesheets: c.stylesheets.clone(),
                    fonts: c.fonts.clone(),
                }),
            };
            (f.original.clone(), asset)
        })
        .collect();
    Manifest {
        version: VERSION,
        generator: format!("distill {}", env!("CARGO_PKG_VERSION")),
        hash: HashInfo {
            algorithm: "blake3".into(),
            length: hash_length,
        },
        settings_digest: settings_digest.to_string(),
        brotli_quality: Some(brotli_quality),
        output_digest: tree_digest(files.iter().map(|f| (f.path.as_str(), f.digest))),
        assets,
    }
}

pub fn to_json(manifest: &Manifest) -> String {
    let mut text = serde_json::to_string_pretty(manifest).expect("manifest serializes");
    text.push('\n');
    text
}

/// The files an earlier run made or already optimized (images with an `image` entry, and their
/// variants): processing them again would only lose quality.
pub fn processed_images(manifest: &Manifest) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for asset in manifest.assets.values() {
        if let Some(image) = &asset.image {
            if image.optimized || !image.variants.is_empty() {
                out.insert(asset.file.clone());
            }
            out.extend(image.variants.iter().map(|v| v.file.clone()));
        }
    }
    out
}

/// Reads a manifest; `None` when it is missing or not one of ours.
pub fn read(text: &str) -> Option<Manifest> {
    let manifest: Manifest = serde_json::from_str(text).ok()?;
    (manifest.version == VERSION).then_some(manifest)
}
