//! distill: turns a frontend build's output folder into a fast, safe release.
//!
//! [`build`] runs the pipeline, one stage after another, each a plain function over plain
//! data: discover -> plan -> images -> hash & rewrite -> sizes -> budgets -> write (staging,
//! manifest, headers) -> swap. [`check`] runs only the budgets, on a folder as it is. The binary
//! (`main.rs`) only parses flags, renders reports and maps the outcome to an exit code.

pub mod budget;
pub mod cancel;
pub mod cli;
pub mod config;
pub mod critical;
pub mod css;
pub mod diag;
pub mod discover;
pub mod guard;
pub mod hash;
pub mod html;
pub mod image;
pub mod integrity;
pub mod js;
pub mod json;
pub mod limits;
pub mod names;
pub mod output;
pub mod plan;
pub mod progress;
pub mod refs;
pub mod report;
pub mod rewrite;
pub mod urls;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::config::Settings;
use crate::diag::{Diagnostic, Error, Severity};
use crate::discover::{Content, Kind};
use crate::output::{Data, OutputFile, Staging, headers, manifest};
use crate::plan::{Naming, Plan};
use crate::progress::Progress;

pub use crate::diag::Error as BuildError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// The output was written.
    Built,
    /// The folder is already distill's output for these settings; nothing was touched.
    AlreadyDistilled,
}

#[derive(Debug)]
pub struct Outcome {
    pub status: Status,
    pub output: PathBuf,
    pub files: usize,
    pub hashed: usize,
    /// Files kept from being renamed because something asks for them by name, and how many of
    /// those keep their bytes too (see [`plan::Plan::pin`]).
    pub kept: usize,
    pub frozen: usize,
    pub images: image::stage::Summary,
    pub js: js::minify::Summary,
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub diagnostics: Vec<Diagnostic>,
    pub timings: Vec<(&'static str, Duration)>,
    /// The budgets report, unless budgets are off.
    pub budgets: Option<budget::Report>,
    /// Stylesheet selectors removed as unused.
    pub css_purged: usize,
    /// Per page: the critical CSS inlined, or why not.
    pub critical: critical::Outcome,
}

/// Runs the whole pipeline. On error nothing in the input or output folder has changed.
pub fn build(settings: &Settings, progress: &dyn Progress) -> Result<Outcome, Error> {
    let root = settings.root.as_path();
    let target = check_target(root, settings.out.as_deref())?;
    let shown = settings.out.clone().unwrap_or_else(|| root.to_path_buf());
    let mut timings = Vec::new();
    let mut clock = Instant::now();
    let mut lap = |name: &'static str, timings: &mut Vec<(&'static str, Duration)>| {
        timings.push((name, clock.elapsed()));
        clock = Instant::now();
    };
    // Read first: a baseline that cannot be read fails the run before any work.
    let baseline = read_baseline(settings)?;

    progress.stage("discover", 0);
    let discovered = discover::discover(root)?;
    progress.finish();
    lap("discover", &mut timings);
    let bytes_in: u64 = discovered.files.iter().map(|f| f.size).sum();

    // An earlier run's manifest, if the input is distill's output: it says whether there is
    // anything to do at all, and which images are already processed.
    let previous = std::fs::read_to_string(root.join(manifest::PATH))
        .ok()
        .and_then(|text| manifest::read(&text));
    if settings.out.is_none()
        && let Some(previous) = &previous
        && let Some(done) = already_distilled(previous, &discovered.files, settings)
    {
        let budgets = settings.budgets.enabled.then(|| {
            let weights = weigh_site(previous, settings, &|f| read_text(root, f));
            budget::evaluate(&budget::Input {
                manifest: previous,
                vite: vite_manifest_text(&discovered.files).as_deref(),
                settings: &settings.budgets,
                baseline: baseline.as_ref(),
                weights: Some(&weights),
            })
        });
        return Ok(Outcome {
            budgets,
            css_purged: 0,
            critical: critical::Outcome::new(),
            status: Status::AlreadyDistilled,
            output: shown,
            files: done,
            hashed: 0,
            kept: 0,
            frozen: 0,
            images: image::stage::Summary::default(),
            js: js::minify::Summary::default(),
            bytes_in,
            bytes_out: bytes_in,
            diagnostics: discovered.diagnostics,
            timings,
        });
    }

    let mut discovered = discovered;
    progress.stage("js", 0);
    js::minify::minify_files(&mut discovered.files, settings.js_minify);
    progress.finish();
    lap("js", &mut timings);
    cancel::check()?;

    progress.stage("plan", discovered.files.len() as u64);
    let mut plan = plan::plan(discovered.files, settings);
    progress.finish();
    lap("plan", &mut timings);
    cancel::check()?;

    let images = if settings.images.enabled {
        let already = previous
            .as_ref()
            .map(manifest::processed_images)
            .unwrap_or_default();
        image::stage::run(&mut plan, settings, &already, progress)?
    } else {
        image::stage::Summary::default()
    };
    lap("images", &mut timings);
    cancel::check()?;

    let purged = if settings.css_purge {
        progress.stage("css purge", 0);
        let purged = purge_css(
            &mut plan,
            &settings.css_safelist,
            settings.css_purge_options,
        );
        progress.finish();
        lap("css purge", &mut timings);
        purged
    } else {
        Purged::default()
    };
    cancel::check()?;

    progress.stage("hash & rewrite", plan.files.len() as u64);
    let mut hashed = hash_until_nothing_is_stale(&mut plan, settings);
    progress.finish();
    lap("hash & rewrite", &mut timings);
    cancel::check()?;

    let js = minified(&plan);
    let images = images_kept(&plan, images);
    let mut diagnostics = discovered.diagnostics;
    diagnostics.extend(std::mem::take(&mut plan.diagnostics));
    let critical = match settings.css_critical {
        Some(critical_settings) => {
            progress.stage("critical css", 0);
            let (outcome, notes) =
                critical::run(&plan, &mut hashed, critical_settings, &settings.hash.site());
            diagnostics.extend(notes);
            progress.finish();
            lap("critical css", &mut timings);
            outcome
        }
        None => critical::Outcome::new(),
    };
    cancel::check()?;

    integrity::run(&plan, &mut hashed, &settings.hash.site());
    lap("integrity", &mut timings);

    progress.stage("sizes", plan.files.len() as u64);
    let length = settings.hash.length;
    let mut files = assemble(&plan, hashed, &critical, settings.measure, length, progress)?;
    progress.finish();
    lap("sizes", &mut timings);

    if settings.headers.enabled {
        add_headers(&mut files, settings, &mut diagnostics)?;
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    check_unique(&files)?;
    let manifest = manifest::build(
        &files,
        &settings.digest,
        settings.hash.length,
        settings.measure.brotli_quality(),
    );
    lap("headers & manifest", &mut timings);

    let budgets = settings.budgets.enabled.then(|| {
        let vite = files
            .iter()
            .find(|f| f.original == VITE_MANIFEST)
            .and_then(|f| match &f.data {
                Data::Text(t) => Some(t.clone()),
                Data::Copy(path) => std::fs::read_to_string(path).ok(),
            });
        let by_path: std::collections::HashMap<&str, &OutputFile> =
            files.iter().map(|f| (f.path.as_str(), f)).collect();
        let read = |path: &str| match &by_path.get(path)?.data {
            Data::Text(t) => Some(t.clone()),
            Data::Copy(from) => std::fs::read_to_string(from).ok(),
        };
        let weights = weigh_site(&manifest, settings, &read);
        let mut report = budget::evaluate(&budget::Input {
            manifest: &manifest,
            vite: vite.as_deref(),
            settings: &settings.budgets,
            baseline: baseline.as_ref(),
            weights: Some(&weights),
        });
        report.css_purged = purged.removed.clone();
        report.css_unparsed = purged.unparsed.clone();
        report
    });
    lap("budgets", &mut timings);

    progress.stage("write", files.len() as u64);
    let staging = Staging::create(&target)?;
    output::write_files(staging.path(), &files, &settings.precompress)?;
    let manifest_path = staging.path().join(manifest::PATH);
    let manifest_dir = manifest_path.parent().expect("manifest path has a folder");
    std::fs::create_dir_all(manifest_dir).map_err(|e| Error::io(manifest_dir, e))?;
    output::write(&manifest_path, manifest::to_json(&manifest).as_bytes())?;
    progress.finish();

    let failures = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .count();
    if settings.strict && failures > 0 {
        return Err(Error::Strict {
            diagnostics: diagnostics
                .into_iter()
                .filter(|d| d.severity == Severity::Warning)
                .collect(),
        });
    }
    cancel::check()?;
    diagnostics.extend(staging.commit()?);
    lap("write", &mut timings);

    Ok(Outcome {
        status: Status::Built,
        output: shown,
        files: files.len(),
        hashed: files.iter().filter(|f| f.hashed).count(),
        kept: plan.pinned,
        frozen: plan.files.iter().filter(|f| f.frozen).count(),
        images,
        js,
        bytes_in,
        bytes_out: files.iter().map(|f| f.sizes.size).sum(),
        diagnostics,
        timings,
        budgets,
        css_purged: purged.removed.values().map(Vec::len).sum(),
        critical,
    })
}

/// Hashes and rewrites; then, while some output still names a renamed file the way no
/// rewriter understood (see [`guard`]), pins those files and does it again. Each round pins at
/// least one more file, so it ends; one round is the rule, two when a framework's runtime
/// builds URLs.
fn hash_until_nothing_is_stale(plan: &mut Plan, settings: &Settings) -> hash::Hashed {
    loop {
        let hashed = hash::assign(plan, settings.hash.length);
        let stale = guard::stale(plan, &hashed);
        if stale.is_empty() {
            plan.drop_unshown_variants();
            return hashed;
        }
        let pins = stale
            .into_iter()
            .map(|s| {
                let by = plan.files[s.by].source.path.clone();
                let why = plan::Pin::Stale {
                    by,
                    line: s.line,
                    found: s.found,
                };
                (s.target, why)
            })
            .collect();
        plan.pin(pins, settings);
    }
}

/// The scripts that stay minified (a frozen one was put back as it came).
fn minified(plan: &Plan) -> js::minify::Summary {
    let scripts: Vec<&plan::PlannedFile> = plan
        .files
        .iter()
        .filter(|f| f.source.kind == Kind::Js && f.source.original.is_some())
        .collect();
    js::minify::Summary {
        files: scripts.len(),
        saved: scripts
            .iter()
            .filter_map(|f| Some(f.source.size.saturating_sub(f.text()?.len() as u64)))
            .sum(),
    }
}

/// What stays of the image stage's work once the guard has run: variants nothing offers any
/// more were dropped, and frozen originals were put back.
fn images_kept(plan: &Plan, mut images: image::stage::Summary) -> image::stage::Summary {
    let facts = || {
        plan.files
            .iter()
            .filter_map(|f| Some((&f.source, f.image.as_ref()?)))
    };
    images.variants = facts().map(|(_, i)| i.variants.len()).sum();
    images.saved = facts()
        .filter(|(_, i)| i.optimized)
        .filter_map(|(s, _)| Some(s.original.as_ref()?.size.saturating_sub(s.size)))
        .sum();
    images
}

/// What the purge did, by stylesheet (input path).
#[derive(Default)]
struct Purged {
    removed: BTreeMap<String, Vec<String>>,
    /// Selectors kept because the selector engine cannot parse them.
    unparsed: BTreeMap<String, Vec<String>>,
}

/// Decides which stylesheet selectors the site can use (pages, scripts, stylesheets as
/// planned) and records it in the plan for the rewrite.
fn purge_css(
    plan: &mut Plan,
    safelist: &css::purge::Safelist,
    options: css::purge::Options,
) -> Purged {
    use crate::plan::{Body, PlannedFile};
    let texts = |want: fn(&PlannedFile) -> bool| -> Vec<(&str, &str)> {
        plan.files
            .iter()
            .filter(|f| want(f))
            .filter_map(|f| Some((f.source.path.as_str(), f.text()?)))
            .collect()
    };
    let pages = texts(|f| f.body == Body::Html);
    // Every script, rewritten or kept as it is (a frozen framework chunk still renders markup).
    let scripts = texts(|f| f.source.kind == Kind::Js && !f.source.refused);
    let unparsed = texts(|f| matches!(f.source.kind, Kind::Js | Kind::Html) && f.source.refused);
    let sheets = texts(|f| f.body == (Body::Css { parsed: true }));
    let decision = css::purge::decide(
        &pages.iter().map(|(_, t)| *t).collect::<Vec<_>>(),
        &scripts.iter().map(|(_, t)| *t).collect::<Vec<_>>(),
        &unparsed.iter().map(|(_, t)| *t).collect::<Vec<_>>(),
        &sheets.iter().map(|(_, t)| *t).collect::<Vec<_>>(),
        safelist,
        options,
    );
    let keep = decision.keep;
    let mut notes = Vec::new();
    let unparsed: BTreeMap<String, Vec<String>> = sheets
        .iter()
        .zip(&decision.unsupported)
        .filter(|(_, kept)| !kept.is_empty())
        .map(|((path, _), kept)| (path.to_string(), kept.clone()))
        .collect();
    for ((path, _), kept) in sheets.iter().zip(&decision.unsupported) {
        if let Some(first) = kept.first() {
            notes.push(Diagnostic::note(
                path,
                None,
                format!(
                    "{} selector{} kept unpurged: the selector engine cannot parse {} (e.g. {first})",
                    kept.len(),
                    report::plural(kept.len()),
                    if kept.len() == 1 { "it" } else { "them" },
                ),
            ));
        }
    }
    let removed: BTreeMap<String, Vec<String>> = sheets
        .iter()
        .zip(decision.removed)
        .map(|((path, _), r)| (path.to_string(), r))
        .filter(|(_, r)| !r.is_empty())
        .collect();
    // The rest of the pipeline reads each sheet without the rules the first cut took out: the
    // same result from far less text to parse again.
    let mut cut: BTreeMap<String, String> = sheets
        .iter()
        .zip(decision.pruned)
        .filter_map(|((path, _), p)| Some((path.to_string(), p?)))
        .collect();
    for file in &mut plan.files {
        if let Some(text) = cut.remove(&file.source.path) {
            file.narrow_css(text);
        }
    }
    plan.diagnostics.extend(notes);
    plan.purge = Some(std::sync::Arc::new(keep));
    Purged { removed, unparsed }
}

/// Where Vite (5 and later) writes its manifest, when `build.manifest` is on.
const VITE_MANIFEST: &str = ".vite/manifest.json";

fn vite_manifest_text(files: &[discover::SourceFile]) -> Option<String> {
    let file = files.iter().find(|f| f.path == VITE_MANIFEST)?;
    match &file.content {
        Content::Text(t) => Some(t.clone()),
        Content::Binary { .. } => None,
    }
}

/// What each page loads at each reference viewport (`[budgets] viewports`), from the output's
/// text files as `read` gives them.
fn weigh_site(
    manifest: &manifest::Manifest,
    settings: &Settings,
    read: &(dyn Fn(&str) -> Option<String> + Sync),
) -> budget::weights::SiteWeights {
    let files: Vec<(&str, discover::Kind)> = manifest
        .assets
        .values()
        .map(|a| (a.file.as_str(), a.kind))
        .collect();
    let site = settings.hash.site();
    budget::weights::site(&files, read, &settings.budgets.viewports, &site)
}

/// A text file of the site at `root`; `None` when it cannot be read as UTF-8.
fn read_text(root: &Path, file: &str) -> Option<String> {
    std::fs::read_to_string(root.join(file)).ok()
}

fn read_baseline(settings: &Settings) -> Result<Option<budget::Report>, Error> {
    let Some(path) = &settings.baseline else {
        return Ok(None);
    };
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let report: budget::Report = serde_json::from_str(&text).map_err(|e| {
        Error::input(
            path,
            format!("not a distill JSON report (from `--report json=FILE`): {e}"),
        )
    })?;
    if report.version != budget::REPORT_VERSION {
        return Err(Error::input(
            path,
            format!(
                "report version {} is not {}; save the baseline with this distill",
                report.version,
                budget::REPORT_VERSION
            ),
        ));
    }
    Ok(Some(report))
}

/// What [`check`] found.
#[derive(Debug)]
pub struct CheckOutcome {
    pub report: budget::Report,
    /// The sizes came from distill's manifest (the folder is unchanged since `build`), not
    /// from compressing every file.
    pub from_manifest: bool,
    pub diagnostics: Vec<Diagnostic>,
}

/// Checks the budgets of a folder as it is, read-only: from its `.distill/manifest.json` when
/// the folder is unchanged since distill built it, otherwise by reading and measuring every
/// file (any build output works, distilled or not).
pub fn check(settings: &Settings, progress: &dyn Progress) -> Result<CheckOutcome, Error> {
    let root = settings.root.as_path();
    let meta = std::fs::metadata(root).map_err(|e| Error::io(root, e))?;
    if !meta.is_dir() {
        return Err(Error::input(root, "not a directory"));
    }
    let baseline = read_baseline(settings)?;
    progress.stage("discover", 0);
    let discovered = discover::discover(root)?;
    progress.finish();
    let vite = vite_manifest_text(&discovered.files);
    let previous = std::fs::read_to_string(root.join(manifest::PATH))
        .ok()
        .and_then(|text| manifest::read(&text))
        .filter(|m| folder_digest(&discovered.files) == m.output_digest);
    let evaluate = |manifest: &manifest::Manifest| {
        let weights = weigh_site(manifest, settings, &|f| read_text(root, f));
        budget::evaluate(&budget::Input {
            manifest,
            vite: vite.as_deref(),
            settings: &settings.budgets,
            baseline: baseline.as_ref(),
            weights: Some(&weights),
        })
    };
    if let Some(previous) = previous {
        return Ok(CheckOutcome {
            report: evaluate(&previous),
            from_manifest: true,
            diagnostics: discovered.diagnostics,
        });
    }
    // Not distill's output (or changed since): resolve references and measure the files as
    // they are, names unchanged.
    let mut as_is = settings.clone();
    as_is.images.enabled = false;
    progress.stage("plan", discovered.files.len() as u64);
    let plan = plan::plan(discovered.files, &as_is);
    progress.finish();
    let identity = hash::Hashed {
        paths: plan.files.iter().map(|f| f.source.path.clone()).collect(),
        contents: vec![None; plan.files.len()],
    };
    progress.stage("sizes", plan.files.len() as u64);
    let none = critical::Outcome::new();
    let length = settings.hash.length;
    let how = budget::Measure {
        keep: false,
        ..settings.measure
    };
    let mut files = assemble(&plan, identity, &none, how, length, progress)?;
    progress.finish();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let measured = manifest::build(
        &files,
        &settings.digest,
        settings.hash.length,
        how.brotli_quality(),
    );
    let mut diagnostics = discovered.diagnostics;
    diagnostics.extend(plan.diagnostics);
    Ok(CheckOutcome {
        report: evaluate(&measured),
        from_manifest: false,
        diagnostics,
    })
}

/// The folder the result goes to, after checking that input and output cannot clobber each
/// other.
fn check_target(root: &Path, out: Option<&Path>) -> Result<PathBuf, Error> {
    let meta = std::fs::metadata(root).map_err(|e| Error::io(root, e))?;
    if !meta.is_dir() {
        return Err(Error::input(root, "not a directory"));
    }
    // Absolute and resolved, so the staging folder lands beside the real folder even for
    // `distill build .`.
    let root_abs = root.canonicalize().map_err(|e| Error::io(root, e))?;
    let Some(out) = out else {
        return Ok(root_abs);
    };
    let out_abs = absolute(out)?;
    if out_abs.starts_with(&root_abs) || root_abs.starts_with(&out_abs) {
        return Err(Error::input(
            out,
            format!(
                "--out must be outside the input folder {} (and not contain it)",
                root.display()
            ),
        ));
    }
    if out.exists() {
        let empty = std::fs::read_dir(out)
            .map_err(|e| Error::io(out, e))?
            .next()
            .is_none();
        if !empty && !out.join(manifest::PATH).is_file() {
            return Err(Error::input(
                out,
                "exists and is not an earlier distill output; refusing to replace it",
            ));
        }
    }
    Ok(out_abs)
}

/// An absolute form of a path that may not exist yet (its nearest existing ancestor resolved).
pub(crate) fn absolute(path: &Path) -> Result<PathBuf, Error> {
    let path = std::path::absolute(path).map_err(|e| Error::io(path, e))?;
    let mut existing = path.as_path();
    let mut rest = Vec::new();
    while !existing.exists() {
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                existing = parent;
            }
            _ => break,
        }
    }
    let mut resolved = existing
        .canonicalize()
        .map_err(|e| Error::io(existing, e))?;
    resolved.extend(rest.iter().rev());
    Ok(resolved)
}

/// `Some(file count)` when the files are distill's output (per its `manifest`) for these same
/// settings, unchanged.
fn already_distilled(
    manifest: &manifest::Manifest,
    files: &[discover::SourceFile],
    settings: &Settings,
) -> Option<usize> {
    if manifest.settings_digest != settings.digest {
        return None;
    }
    (folder_digest(files) == manifest.output_digest).then_some(files.len())
}

/// The digest distill's manifest records for its output (`output_digest`), of the files as
/// discovered: equal when the folder is that output, unchanged.
fn folder_digest(files: &[discover::SourceFile]) -> String {
    manifest::tree_digest(files.iter().map(|f| (f.path.as_str(), f.digest())))
}

/// Turns the plan and the final names into output files, measuring each (in parallel).
fn assemble(
    plan: &Plan,
    hashed: hash::Hashed,
    critical: &critical::Outcome,
    how: budget::Measure,
    hash_length: usize,
    progress: &dyn Progress,
) -> Result<Vec<OutputFile>, Error> {
    let hash::Hashed { paths, contents } = hashed;
    let written = plan.written();
    let items: Vec<(usize, Option<String>)> = contents
        .into_iter()
        .enumerate()
        .filter(|(i, _)| written[*i])
        .collect();
    items
        .into_par_iter()
        .map(|(i, content)| {
            cancel::check()?;
            let file = &plan.files[i];
            let source = &file.source;
            let (data, digest) = match content {
                Some(text) => {
                    let digest = *blake3::hash(text.as_bytes()).as_bytes();
                    (Data::Text(text), digest)
                }
                None => match &source.content {
                    Content::Text(text) if source.edited => {
                        (Data::Text(text.clone()), file.content_digest())
                    }
                    _ => (Data::Copy(source.disk.clone()), file.content_digest()),
                },
            };
            let compressible = source.kind.compressible(&source.path);
            let (sizes, compressed) = match &data {
                Data::Text(text) => budget::measure(text.as_bytes(), compressible, how),
                Data::Copy(from) => {
                    budget::measure_file(from, compressible, how).map_err(|e| Error::io(from, e))?
                }
            };
            let links = file
                .links
                .iter()
                .filter_map(|l| Some((l.reference.kind, plan.files[l.target?].source.path.clone())))
                .collect();
            let image = file.image.as_ref().map(|facts| output::ImageOutput {
                width: facts.width,
                height: facts.height,
                optimized: facts.optimized,
                variants: facts
                    .variants
                    .iter()
                    .map(|v| output::VariantOutput {
                        file: paths[v.file].clone(),
                        format: v.format,
                        width: v.width,
                        height: v.height,
                        size: plan.files[v.file].source.size,
                    })
                    .collect(),
            });
            progress.advance(1);
            Ok(OutputFile {
                image,
                critical: critical
                    .get(&source.path)
                    .and_then(|c| c.as_ref().ok())
                    .cloned(),
                original: source.path.clone(),
                path: paths[i].clone(),
                kind: source.kind,
                // Also a file kept as it is whose name carries its own hash (an earlier run's
                // output): cached forever either way.
                hashed: matches!(file.naming, Naming::Hash { .. })
                    || names::carries_hash(
                        &paths[i],
                        &blake3::Hash::from(digest).to_hex()[..hash_length],
                    ),
                data,
                digest,
                sizes,
                compressed,
                links,
            })
        })
        .collect()
}

/// The site's own `_headers`, if it has one; a warning instead when it is not UTF-8: its rules
/// cannot be read, so they cannot be merged, and the file is kept as it is without distill's
/// caching rules (a slower site, not a broken one).
fn existing_headers(data: Option<&Data>) -> Result<Result<Option<String>, Diagnostic>, Error> {
    Ok(match data {
        Some(Data::Copy(path)) => {
            let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
            String::from_utf8(bytes).map(Some).map_err(|_| {
                Diagnostic::warning(
                    headers::FILE,
                    None,
                    "not UTF-8, so its rules cannot be read: copied as it is, without distill's caching and security headers",
                )
            })
        }
        Some(Data::Text(t)) => Ok(Some(t.clone())),
        None => Ok(None),
    })
}

/// Writes (or merges into) `_headers`.
fn add_headers(
    files: &mut Vec<OutputFile>,
    settings: &Settings,
    diagnostics: &mut Vec<Diagnostic>,
) -> Result<(), Error> {
    let existing_index = files.iter().position(|f| f.path == headers::FILE);
    let existing = match existing_headers(existing_index.map(|i| &files[i].data))? {
        Ok(text) => text,
        Err(warning) => {
            diagnostics.push(warning);
            return Ok(());
        }
    };
    let not_served = |p: &str| matches!(p, "_headers" | "_redirects" | "_routes.json");
    let mut served: Vec<headers::Served> = files
        .iter()
        .filter(|f| !not_served(&f.path))
        .map(|f| headers::Served {
            path: &f.path,
            hashed: f.hashed,
            html: f.kind == Kind::Html,
            csp: f
                .critical
                .as_ref()
                .filter(|_| settings.headers.csp)
                .map(|c| c.policy.as_str()),
        })
        .collect();
    let siblings: Vec<String> = files
        .iter()
        .filter(|f| f.hashed)
        .flat_map(|f| {
            settings
                .precompress
                .iter()
                .map(move |e| format!("{}.{}", f.path, e.extension()))
        })
        .collect();
    served.extend(siblings.iter().map(|p| headers::Served {
        path: p,
        hashed: true,
        html: false,
        csp: None,
    }));
    let generated = headers::generate(
        existing.as_deref(),
        &served,
        &settings.hash.base,
        &settings.headers,
    );
    if generated.omitted > 0 {
        diagnostics.push(Diagnostic::note(
            headers::FILE,
            None,
            format!(
                "{} path(s) left to the host's default caching to stay within [headers] max_rules = {}",
                generated.omitted, settings.headers.max_rules
            ),
        ));
    }
    let text = generated.text;
    let (sizes, compressed) = budget::measure(text.as_bytes(), true, settings.measure);
    let digest = *blake3::hash(text.as_bytes()).as_bytes();
    match existing_index {
        Some(i) => {
            let file = &mut files[i];
            file.data = Data::Text(text);
            file.sizes = sizes;
            file.compressed = compressed;
            file.digest = digest;
        }
        None => files.push(OutputFile {
            original: headers::FILE.to_string(),
            path: headers::FILE.to_string(),
            kind: Kind::Other,
            hashed: false,
            data: Data::Text(text),
            digest,
            sizes,
            compressed,
            links: Vec::new(),
            image: None,
            critical: None,
        }),
    }
    Ok(())
}

fn check_unique(files: &[OutputFile]) -> Result<(), Error> {
    for pair in files.windows(2) {
        if pair[0].path == pair[1].path {
            return Err(Error::input(
                Path::new(&pair[1].original),
                format!(
                    "would be written as {}, which {} also becomes; add one of them to [hash] keep_names",
                    pair[1].path, pair[0].original
                ),
            ));
        }
    }
    Ok(())
}
