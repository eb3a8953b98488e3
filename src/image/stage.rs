//! The image stage: runs [`transform`](super::transform) over the site's raster images, in
//! parallel, through the cache, and adds what it made to the plan.
//!
//! In: the plan. Out: the same plan, where each processed image points at its optimized
//! original (when smaller) and its variants are new files, plus counts for the summary. Only
//! one image is decoded per worker at a time, so peak memory stays near
//! (threads x largest decoded image).

use std::collections::{BTreeMap, BTreeSet};
use std::panic::{AssertUnwindSafe, catch_unwind};

use rayon::prelude::*;

use super::cache::{self, Entry};
use super::{ImageSettings, Skip, VariantFormat, transform};
use crate::config::Settings;
use crate::diag::{Diagnostic, Error};
use crate::discover::{Content, Kind, SourceFile};
use crate::plan::{Body, ImageFacts, Naming, Plan, PlannedFile, VariantFile};
use crate::progress::Progress;

/// How the stage went, for the summary.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// Images processed (encoded now or taken from the cache).
    pub images: usize,
    /// Of those, taken from the cache.
    pub cache_hits: usize,
    pub variants: usize,
    /// Bytes saved by optimized originals.
    pub saved: u64,
}

/// (file, largest configured width, what came of it)
type Outcome = (usize, u32, Result<(Entry, bool), Skip>);

struct Job {
    file: usize,
    settings: ImageSettings,
}

/// Processes the plan's images. `already` lists the files an earlier distill run made (read
/// from the input's manifest): they are not processed again.
pub fn run(
    plan: &mut Plan,
    settings: &Settings,
    already: &BTreeSet<String>,
    progress: &dyn Progress,
) -> Result<Summary, Error> {
    let jobs = jobs(plan, settings, already);
    for (path, reason) in broken_small_images(plan, settings, already) {
        plan.diagnostics.push(Diagnostic::warning(
            &path,
            None,
            format!("{reason}; passed through unchanged"),
        ));
    }
    progress.stage("images", jobs.len() as u64);
    let cache_dir = &settings.cache_dir;
    let results: Vec<Outcome> = jobs
        .par_iter()
        .map(|job| {
            crate::cancel::check()?;
            let planned = &plan.files[job.file];
            let file = &planned.source;
            // discover already took the digest: a warm cache never reads the image itself.
            let key = cache::key(&planned.content_digest(), &job.settings);
            let result = match cache::load(cache_dir, &key) {
                Some(entry) => Ok((entry, true)),
                None => {
                    let bytes = std::fs::read(&file.disk).map_err(|e| Error::io(&file.disk, e))?;
                    let extension = crate::discover::extension(&file.path);
                    match catch_unwind(AssertUnwindSafe(|| {
                        transform(&bytes, extension, &job.settings)
                    })) {
                        Ok(Ok(processed)) => {
                            let entry = cache::store(cache_dir, &key, processed)
                                .map_err(|e| Error::io(cache_dir, e))?;
                            Ok((entry, false))
                        }
                        Ok(Err(skip)) => Err(skip),
                        Err(_) => Err(Skip::Invalid("the image codec panicked".into())),
                    }
                }
            };
            progress.advance(1);
            let largest = job.settings.widths.iter().copied().max().unwrap_or(0);
            Ok((job.file, largest, result))
        })
        .collect::<Result<_, Error>>()?;
    progress.finish();
    Ok(apply(plan, results))
}

fn jobs(plan: &Plan, settings: &Settings, already: &BTreeSet<String>) -> Vec<Job> {
    let images = &settings.images;
    let in_img = plan.shown_images();
    plan.files
        .iter()
        .enumerate()
        .filter(|(_, f)| {
            is_raster(&f.source.path)
                && !already.contains(&f.source.path)
                && f.source.size >= images.min_bytes
        })
        .filter_map(|(i, f)| {
            let mut job_settings = images.for_path(&f.source.path)?;
            job_settings.variants = in_img.contains(&i);
            Some(Job {
                file: i,
                settings: job_settings,
            })
        })
        .collect()
}

/// Images below `min_bytes` are not worth processing, but one that is not the image its name
/// says (empty, truncated, another format, a header claiming 65,535 × 65,535 pixels) is still
/// broken: its header is read (a few kB at most) so that the warning names it.
fn broken_small_images(
    plan: &Plan,
    settings: &Settings,
    already: &BTreeSet<String>,
) -> Vec<(String, String)> {
    let images = &settings.images;
    plan.files
        .par_iter()
        .filter(|f| {
            is_raster(&f.source.path)
                && !already.contains(&f.source.path)
                && f.source.size < images.min_bytes
        })
        .filter_map(|f| {
            let bytes = match std::fs::read(&f.source.disk) {
                Ok(bytes) => bytes,
                Err(e) => return Some((f.source.path.clone(), e.to_string())),
            };
            let max_pixels = images
                .for_path(&f.source.path)
                .map_or(crate::config::DEFAULT_MAX_PIXELS, |s| s.max_pixels);
            let error = distill_imaging::probe(&bytes, max_pixels).err()?;
            let reason = match error {
                distill_imaging::Error::Empty => "empty image file".to_string(),
                other => format!("not a valid image: {other}"),
            };
            Some((f.source.path.clone(), reason))
        })
        .collect()
}

/// JPEG, PNG, WebP or GIF, by name: the formats [`transform`] reads.
fn is_raster(path: &str) -> bool {
    super::format_of_extension(crate::discover::extension(path)).is_some()
}

fn apply(plan: &mut Plan, results: Vec<Outcome>) -> Summary {
    let mut summary = Summary::default();
    // Variant names start from the source's stem; two sources with one stem in one folder
    // (`logo.png`, `logo.jpg`) keep their extension in it.
    let mut stems: BTreeMap<(String, String), usize> = BTreeMap::new();
    for (i, _, _) in &results {
        let file = &plan.files[*i];
        let stem = crate::names::split_extension(file.name()).0.to_string();
        *stems.entry((file.dir().to_string(), stem)).or_default() += 1;
    }
    for (i, largest, result) in results {
        let path = plan.files[i].source.path.clone();
        let entry = match result {
            Ok((entry, hit)) => {
                summary.images += 1;
                summary.cache_hits += usize::from(hit);
                entry
            }
            Err(Skip::Invalid(reason)) => {
                plan.diagnostics.push(Diagnostic::warning(
                    &path,
                    None,
                    format!("{reason}; passed through unchanged"),
                ));
                continue;
            }
            Err(Skip::Unchanged(reason)) => {
                plan.diagnostics.push(Diagnostic::note(&path, None, reason));
                continue;
            }
        };
        for note in &entry.notes {
            plan.diagnostics
                .push(Diagnostic::note(&path, None, note.clone()));
        }
        // A frozen file keeps its bytes: its variants are new files, its original stays.
        let frozen = plan.files[i].frozen;
        let source = &mut plan.files[i].source;
        let optimized = entry.original.is_some() && !frozen;
        if let Some(original) = entry.original.as_ref().filter(|_| !frozen) {
            source.stash();
            summary.saved += source.size.saturating_sub(original.size);
            source.disk = original.path.clone();
            source.size = original.size;
            source.content = Content::Binary {
                digest: original.digest,
            };
        }
        let base = variant_base(&plan.files[i], &stems);
        let dir = plan.files[i].dir().to_string();
        let mut variants = Vec::new();
        for v in &entry.variants {
            let name = format!("{base}.{}.{}", v.width, v.format.extension());
            let path = if dir.is_empty() {
                name
            } else {
                format!("{dir}/{name}")
            };
            variants.push(VariantFile {
                format: v.format,
                width: v.width,
                height: v.height,
                file: plan.files.len(),
            });
            plan.files.push(PlannedFile {
                source: SourceFile {
                    path,
                    disk: v.file.path.clone(),
                    kind: Kind::Image,
                    size: v.file.size,
                    content: Content::Binary {
                        digest: v.file.digest,
                    },
                    edited: false,
                    original: None,
                    refused: false,
                },
                naming: Naming::Hash { strip: false },
                body: Body::Opaque,
                links: Vec::new(),
                lcp: None,
                image: None,
                frozen: false,
            });
        }
        summary.variants += variants.len();
        variants.sort_by_key(|v| (v.format, v.width));
        // The original serves at its own width when that width was asked for (and nothing was
        // encoded there in its own format): in the fallback's srcset for JPEG and PNG, in
        // WebP's for a WebP source; a GIF never (its fallback is a PNG).
        let own_format = match crate::image::format_of_extension(crate::discover::extension(&path))
        {
            Some(distill_imaging::Format::Jpeg) => Some(VariantFormat::Jpeg),
            Some(distill_imaging::Format::Png) => Some(VariantFormat::Png),
            Some(distill_imaging::Format::WebP) => Some(VariantFormat::Webp),
            _ => None,
        };
        let original_in = own_format.filter(|&f| {
            !variants.is_empty()
                && entry.width <= largest
                && !variants
                    .iter()
                    .any(|v| v.format == f && v.width == entry.width)
        });
        plan.files[i].image = Some(ImageFacts {
            width: entry.width,
            height: entry.height,
            fallback: entry.fallback,
            optimized,
            variants,
            original_in,
        });
    }
    summary
}

fn variant_base(file: &PlannedFile, stems: &BTreeMap<(String, String), usize>) -> String {
    let (stem, ext) = crate::names::split_extension(file.name());
    let shared = stems
        .get(&(file.dir().to_string(), stem.to_string()))
        .is_some_and(|&n| n > 1);
    let stem = match file.naming {
        Naming::Hash { strip: true } => crate::names::strip_bundler_hash(stem),
        _ => stem,
    };
    if shared {
        format!("{stem}-{}", ext.trim_start_matches('.'))
    } else {
        stem.to_string()
    }
}
