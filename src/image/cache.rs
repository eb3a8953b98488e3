//! The image cache: encoded variants, content-addressed, so a rebuild with unchanged images
//! encodes nothing.
//!
//! The key is blake3 over the input's bytes, the settings that apply to it and the encoder
//! versions. An entry is a folder `<dir>/<key[..2]>/<key>/` holding one file per output and an
//! `entry.json` index with every file's size and blake3. It is written under a temporary name
//! and renamed into place, so a half-written entry is never seen under its key; on load every
//! file is checked against the index, and an entry that does not check out is re-encoded.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{ImageSettings, Processed, VariantFormat};

/// Changes whenever an encoder or this format changes, so old entries stop matching (with the
/// AVIF encoder's versions as linked, [`distill_imaging::avif_encoder_version`]).
const ENCODERS: &str = concat!(
    "distill-imaging ",
    env!("CARGO_PKG_VERSION"),
    "; webp 0.3 (libwebp); mozjpeg 0.10; oxipng 10; fast_image_resize 6; entry v2"
);

/// An output of an image, on disk in the cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedFile {
    pub path: PathBuf,
    pub digest: [u8; 32],
    pub size: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedVariant {
    pub format: VariantFormat,
    pub width: u32,
    pub height: u32,
    pub file: CachedFile,
}

/// A processed image whose outputs live in the cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub width: u32,
    pub height: u32,
    pub fallback: VariantFormat,
    pub original: Option<CachedFile>,
    pub variants: Vec<CachedVariant>,
    pub notes: Vec<String>,
}

#[derive(Serialize, Deserialize)]
struct Index {
    width: u32,
    height: u32,
    fallback: VariantFormat,
    original: Option<IndexFile>,
    variants: Vec<IndexVariant>,
    notes: Vec<String>,
}

#[derive(Serialize, Deserialize)]
struct IndexFile {
    name: String,
    size: u64,
    blake3: String,
}

#[derive(Serialize, Deserialize)]
struct IndexVariant {
    format: VariantFormat,
    width: u32,
    height: u32,
    file: IndexFile,
}

pub fn key(input_digest: &[u8; 32], settings: &ImageSettings) -> String {
    let mut hasher = blake3::Hasher::new();
    hasher.update(ENCODERS.as_bytes());
    hasher.update(distill_imaging::avif_encoder_version().as_bytes());
    hasher.update(super::TRANSFORM_VERSION.as_bytes());
    hasher.update(input_digest);
    hasher.update(
        serde_json::to_string(settings)
            .expect("settings serialize")
            .as_bytes(),
    );
    hasher.finalize().to_hex().to_string()
}

fn entry_dir(dir: &Path, key: &str) -> PathBuf {
    dir.join(&key[..2]).join(key)
}

/// The entry under `key`, if present and intact.
pub fn load(dir: &Path, key: &str) -> Option<Entry> {
    let folder = entry_dir(dir, key);
    let index: Index =
        serde_json::from_slice(&std::fs::read(folder.join("entry.json")).ok()?).ok()?;
    let check = |f: &IndexFile| -> Option<CachedFile> {
        let path = folder.join(&f.name);
        let bytes = std::fs::read(&path).ok()?;
        let digest = blake3::hash(&bytes);
        (bytes.len() as u64 == f.size && digest.to_hex().as_str() == f.blake3).then(|| CachedFile {
            path,
            digest: *digest.as_bytes(),
            size: f.size,
        })
    };
    let original = match &index.original {
        Some(f) => Some(check(f)?),
        None => None,
    };
    let variants = index
        .variants
        .iter()
        .map(|v| {
            Some(CachedVariant {
                format: v.format,
                width: v.width,
                height: v.height,
                file: check(&v.file)?,
            })
        })
        .collect::<Option<Vec<_>>>()?;
    Some(Entry {
        width: index.width,
        height: index.height,
        fallback: index.fallback,
        original,
        variants,
        notes: index.notes,
    })
}

/// Writes `processed` under `key` (replacing a damaged entry) and returns it as stored.
///
/// Two images with the same bytes and settings have the same key, and may be stored at once by
/// two workers (or two runs): each writes its own temporary folder, and the second to finish
/// keeps the first one's entry when it is whole (its bytes are the same) instead of removing a
/// folder the first one's caller is about to read.
pub fn store(dir: &Path, key: &str, processed: Processed) -> std::io::Result<Entry> {
    static STORES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let folder = entry_dir(dir, key);
    let parent = folder.parent().expect("entry folder has a parent");
    std::fs::create_dir_all(parent)?;
    let n = STORES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = parent.join(format!(".tmp-{key}-{}-{n}", std::process::id()));
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp)?;
    }
    std::fs::create_dir(&tmp)?;
    let write = |name: String, bytes: &[u8]| -> std::io::Result<(IndexFile, CachedFile)> {
        std::fs::write(tmp.join(&name), bytes)?;
        let digest = blake3::hash(bytes);
        let size = bytes.len() as u64;
        Ok((
            IndexFile {
                name: name.clone(),
                size,
                blake3: digest.to_hex().to_string(),
            },
            CachedFile {
                path: folder.join(&name),
                digest: *digest.as_bytes(),
                size,
            },
        ))
    };
    let original = processed
        .original
        .as_deref()
        .map(|bytes| write("original".into(), bytes))
        .transpose()?;
    let mut index_variants = Vec::new();
    let mut variants = Vec::new();
    for (i, v) in processed.variants.iter().enumerate() {
        let (file, cached) = write(format!("{i}.{}", v.format.extension()), &v.bytes)?;
        index_variants.push(IndexVariant {
            format: v.format,
            width: v.width,
            height: v.height,
            file,
        });
        variants.push(CachedVariant {
            format: v.format,
            width: v.width,
            height: v.height,
            file: cached,
        });
    }
    let (index_original, original) = match original {
        Some((i, c)) => (Some(i), Some(c)),
        None => (None, None),
    };
    let index = Index {
        width: processed.width,
        height: processed.height,
        fallback: processed.fallback,
        original: index_original,
        variants: index_variants,
        notes: processed.notes.clone(),
    };
    std::fs::write(
        tmp.join("entry.json"),
        serde_json::to_vec_pretty(&index).expect("index serializes"),
    )?;
    if folder.exists() {
        if let Some(stored) = load(dir, key) {
            std::fs::remove_dir_all(&tmp)?;
            return Ok(stored);
        }
        std::fs::remove_dir_all(&folder)?;
    }
    if let Err(e) = std::fs::rename(&tmp, &folder) {
        // Another worker put its entry there in between.
        let stored = load(dir, key).ok_or(e)?;
        std::fs::remove_dir_all(&tmp)?;
        return Ok(stored);
    }
    Ok(Entry {
        width: processed.width,
        height: processed.height,
        fallback: processed.fallback,
        original,
        variants,
        notes: processed.notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::Variant;

    /// Two workers storing the same image at once (two files with the same bytes) both get a
    /// whole entry; neither removes what the other returned.
    #[test]
    fn concurrent_stores_of_one_key() {
        let dir = tempfile::tempdir().unwrap();
        let processed = Processed {
            width: 10,
            height: 10,
            fallback: VariantFormat::Jpeg,
            original: Some(vec![1; 1000]),
            variants: vec![Variant {
                format: VariantFormat::Webp,
                width: 5,
                height: 5,
                bytes: vec![2; 500],
            }],
            notes: Vec::new(),
        };
        for round in 0..50 {
            let key = format!("key{round}");
            let entries: Vec<Entry> = std::thread::scope(|s| {
                let workers: Vec<_> = (0..4)
                    .map(|_| s.spawn(|| store(dir.path(), &key, processed.clone()).unwrap()))
                    .collect();
                workers.into_iter().map(|w| w.join().unwrap()).collect()
            });
            for entry in entries {
                for v in &entry.variants {
                    assert_eq!(std::fs::read(&v.file.path).unwrap(), vec![2; 500]);
                }
            }
            assert!(load(dir.path(), &key).is_some());
        }
    }
}
