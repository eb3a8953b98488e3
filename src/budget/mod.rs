//! Budgets: what each page makes a browser download, checked against limits.
//!
//! In: the manifest (sizes computed once per file by [`measure`], references by kind), Vite's
//! manifest when there is one, the `[budgets]` settings, and optionally a baseline (the JSON
//! report of an earlier build). Out: a [`Report`]: every page's bundles and every file with
//! raw/gzip/brotli sizes and the change against the baseline, and every budget check with its
//! status. The report is plain data; `report/` renders it (terminal, JSON, Markdown, …).

pub mod graph;
pub mod settings;
mod sizes;
pub mod weights;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use crate::discover::Kind;
use crate::output::manifest::Manifest;
pub use settings::{BudgetSettings, Compression, Growth, Limit};
pub use sizes::{BROTLI_11_UP_TO, BROTLI_FAST, Compressed, Measure, Sizes, measure, measure_file};

/// The JSON report's schema version; bumped on any incompatible change.
pub const REPORT_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Report {
    pub version: u32,
    pub generator: String,
    /// The size budgets compare.
    pub compression: Compression,
    /// The brotli quality of the brotli figures (see `Measure`): 11, or 5 when brotli was not
    /// asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brotli_quality: Option<u32>,
    /// The windows the pages' images and fonts are worked out for.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub viewports: Vec<weights::Viewport>,
    pub status: Status,
    pub summary: Summary,
    pub pages: Vec<Page>,
    pub files: Vec<File>,
    /// Every budget, failures first.
    pub checks: Vec<Check>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineChange>,
    /// Things worth knowing about the measurement (Vite's manifest disagreeing with the code).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// With `[css] purge`: the selectors removed from each stylesheet (by input path).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub css_purged: BTreeMap<String, Vec<String>>,
    /// Selectors the purge kept because the selector engine cannot parse them (by input path).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub css_unparsed: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Fail,
    Warn,
    Pass,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Bytes {
    pub size: u64,
    pub gzip: u64,
    pub brotli: u64,
}

impl Bytes {
    pub fn of(&self, compression: Compression) -> u64 {
        match compression {
            Compression::Gzip => self.gzip,
            Compression::Brotli => self.brotli,
            Compression::None => self.size,
        }
    }

    fn add(&mut self, other: Bytes) {
        self.size += other.size;
        self.gzip += other.gzip;
        self.brotli += other.brotli;
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Summary {
    pub pages: usize,
    pub files: usize,
    pub total: Bytes,
    pub failures: usize,
    pub warnings: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Page {
    /// Site path: `/index.html`.
    pub page: String,
    pub bundles: Vec<Bundle>,
    /// The images a browser loads (with those on scroll) at the viewport where they weigh
    /// most; every image the page names when it was not weighed (see `viewports`).
    pub images: Bytes,
    /// The same for fonts.
    pub fonts: Bytes,
    /// What the page loads at each reference viewport (empty: not weighed, a page too large
    /// or deep to parse).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub viewports: Vec<PageWeight>,
}

/// A page's images and fonts at one viewport, as a browser picks them.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PageWeight {
    /// The viewport's name (`mobile`), described in [`Report::viewports`].
    pub viewport: String,
    /// Images loaded with the page (raw bytes: images go as they are).
    pub images: u64,
    /// Images loaded once the user scrolls to them (`loading="lazy"`).
    pub images_on_scroll: u64,
    pub fonts: u64,
    /// Every file counted, largest first.
    pub counted: Vec<Counted>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Counted {
    /// Stable name.
    pub name: String,
    pub bytes: u64,
    pub font: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub on_scroll: bool,
    /// What asks for it.
    pub why: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BundleKind {
    Main,
    Route,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Bundle {
    /// Stable across builds: `/index.html main`, `/index.html route assets/gallery.js`.
    pub id: String,
    pub kind: BundleKind,
    /// A route bundle's chunk (stable name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chunk: Option<String>,
    /// Stable names of its files, largest first.
    pub files: Vec<String>,
    pub bytes: Bytes,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<Bytes>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct File {
    /// The name without content hashes (distill's or the bundler's): the same file across
    /// builds.
    pub name: String,
    /// The output path.
    pub file: String,
    #[serde(rename = "type")]
    pub kind: Kind,
    pub bytes: Bytes,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<Bytes>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckKind {
    Main,
    Route,
    Images,
    Fonts,
    File,
    /// Growth against the baseline.
    Increase,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Check {
    pub kind: CheckKind,
    /// What was measured, in words: `main bundle of /index.html`.
    pub subject: String,
    /// The bundle ids or file names it covers (pages sharing one bundle share one check).
    pub covers: Vec<String>,
    /// The measured value (for `increase`, the growth; negative when it shrank).
    pub value: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warn: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<u64>,
    pub status: Status,
    /// One line for logs and annotations.
    pub message: String,
    /// The largest files behind the value, largest first (at most three).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub largest: Vec<Contributor>,
    /// The output file to point an annotation at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Contributor {
    pub name: String,
    pub bytes: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BaselineChange {
    pub total: Bytes,
    pub added: Vec<String>,
    pub removed: Vec<String>,
}

/// The inputs of [`evaluate`].
pub struct Input<'a> {
    pub manifest: &'a Manifest,
    /// The text of `.vite/manifest.json`, if the site has one.
    pub vite: Option<&'a str>,
    pub settings: &'a BudgetSettings,
    pub baseline: Option<&'a Report>,
    /// What each page loads at each of `settings.viewports` (see [`weights::site`]).
    pub weights: Option<&'a weights::SiteWeights>,
}

/// Measures every page's bundles and checks them.
pub fn evaluate(input: &Input) -> Report {
    let manifest = input.manifest;
    let compression = input.settings.compression;
    let graph = graph::Graph::new(manifest, input.vite);
    let hash_length = manifest.hash.length;
    // Per file, by graph index (the manifest's order): its stable name and sizes.
    let names: Vec<String> = manifest
        .assets
        .values()
        .map(|a| stable_name(&a.file, hash_length))
        .collect();
    let sizes: Vec<Bytes> = manifest
        .assets
        .values()
        .map(|a| Bytes {
            size: a.size,
            gzip: a.gzip.unwrap_or(a.size),
            brotli: a.brotli.unwrap_or(a.size),
        })
        .collect();
    let baseline_bundles: BTreeMap<&str, Bytes> = input
        .baseline
        .iter()
        .flat_map(|b| &b.pages)
        .flat_map(|p| &p.bundles)
        .map(|b| (b.id.as_str(), b.bytes))
        .collect();
    let baseline_files: BTreeMap<&str, Bytes> = input
        .baseline
        .iter()
        .flat_map(|b| &b.files)
        .map(|f| (f.name.as_str(), f.bytes))
        .collect();

    // Files.
    let mut files: Vec<File> = manifest
        .assets
        .values()
        .enumerate()
        .map(|(i, asset)| File {
            baseline: baseline_files.get(names[i].as_str()).copied(),
            name: names[i].clone(),
            file: asset.file.clone(),
            kind: asset.kind,
            bytes: sizes[i],
        })
        .collect();
    files.sort_by(|a, b| a.name.cmp(&b.name).then(a.file.cmp(&b.file)));

    // Output path -> graph index, for the files the weights name.
    let site_files: HashMap<&str, usize> = manifest
        .assets
        .values()
        .enumerate()
        .map(|(i, a)| (a.file.as_str(), i))
        .collect();

    // Pages and their bundles.
    let mut pages = Vec::new();
    let mut checks: Vec<Check> = Vec::new();
    let mut pending: BTreeMap<CheckKey, Pending> = BTreeMap::new();
    type GrowthKey = (usize, u64, u64, String);
    let mut templates: Vec<Template> = Vec::new();
    let mut template_of: HashMap<(Vec<usize>, Compression), usize> = HashMap::new();
    let mut growth: BTreeMap<GrowthKey, (String, Vec<String>, Limit<Growth>)> = BTreeMap::new();
    for asset in manifest.assets.values() {
        if asset.kind != Kind::Html {
            continue;
        }
        let page_path = format!("/{}", asset.file);
        let limits = input.settings.for_page(&page_path);
        let found = graph.page(asset);
        // Bundles of the same files (most pages share theirs) are worked out once.
        let mut bundles: Vec<(Bundle, usize)> = Vec::new();
        let parts = std::iter::once((BundleKind::Main, None, &found.main)).chain(
            found
                .routes
                .iter()
                .map(|(chunk, files)| (BundleKind::Route, Some(*chunk), files)),
        );
        for (kind, chunk, files) in parts {
            let t = *template_of
                .entry((files.clone(), compression))
                .or_insert_with(|| {
                    templates.push(Template::new(files, &names, &sizes, compression));
                    templates.len() - 1
                });
            let template = &templates[t];
            let chunk = chunk.map(|c| names[c].clone());
            let id = match &chunk {
                None => format!("{page_path} main"),
                Some(c) => format!("{page_path} route {c}"),
            };
            let bundle = Bundle {
                baseline: baseline_bundles.get(id.as_str()).copied(),
                id,
                kind,
                chunk,
                files: template.files.clone(),
                bytes: template.bytes,
            };
            bundles.push((bundle, t));
        }
        for (bundle, t) in &bundles {
            let members = &templates[*t].members;
            let note = bundle.baseline.map(|before| {
                growth_note(
                    before.of(compression),
                    bundle.bytes.of(compression),
                    members,
                    &baseline_files,
                    compression,
                )
            });
            let (kind, limit) = match bundle.kind {
                BundleKind::Main => (CheckKind::Main, limits.main),
                BundleKind::Route => (CheckKind::Route, limits.route),
            };
            if bundle.files.is_empty() {
                continue;
            }
            let subject = match &bundle.chunk {
                None => format!("main bundle of {page_path}"),
                Some(c) => format!("route bundle {c} of {page_path}"),
            };
            queue(
                &mut pending,
                kind,
                *t,
                bundle.bytes.of(compression),
                limit,
                subject.clone(),
                &bundle.id,
                members,
                compression,
                &asset.file,
                note,
            );
            if let Some(before) = bundle.baseline
                && limits.max_increase.is_set()
            {
                // Pages sharing the bundle share the check, as above.
                let key = (
                    *t,
                    before.of(compression),
                    bundle.bytes.of(compression),
                    format!("{:?}", limits.max_increase),
                );
                growth
                    .entry(key)
                    .or_insert_with(|| (subject.clone(), Vec::new(), limits.max_increase))
                    .1
                    .push(bundle.id.clone());
            }
        }
        // Images and fonts are sent as they are: their raw size counts.
        let weighed = input
            .weights
            .and_then(|w| w.get(&asset.file))
            .map(|loads| weigh(loads, &found.script_images, &site_files, &names, &sizes));
        let labels = |v: Option<usize>| {
            v.map(|v| format!(" at {}", input.settings.viewports[v].label()))
                .unwrap_or_default()
        };
        let (images_at, fonts_at) = weighed.as_ref().map_or((None, None), |w| heaviest(w));
        let (image_files, font_files) = match (&weighed, images_at, fonts_at) {
            (Some(w), Some(i), Some(f)) => (w[i].1.clone(), w[f].2.clone()),
            _ => (found.images.clone(), found.fonts.clone()),
        };
        let mut page_totals = [Bytes::default(); 2];
        for (slot, (kind, limit, files, what, at)) in [
            (
                CheckKind::Images,
                limits.images,
                &image_files,
                "images",
                labels(images_at),
            ),
            (
                CheckKind::Fonts,
                limits.fonts,
                &font_files,
                "fonts",
                labels(fonts_at),
            ),
        ]
        .into_iter()
        .enumerate()
        {
            if files.is_empty() {
                continue;
            }
            let t = *template_of
                .entry((files.clone(), Compression::None))
                .or_insert_with(|| {
                    templates.push(Template::new(files, &names, &sizes, Compression::None));
                    templates.len() - 1
                });
            let template = &templates[t];
            page_totals[slot] = template.bytes;
            queue(
                &mut pending,
                kind,
                t,
                template.bytes.size,
                limit,
                format!("{what} of {page_path}{at}"),
                &format!("{page_path} {what}"),
                &template.members,
                Compression::None,
                &asset.file,
                None,
            );
        }
        let [images, fonts] = page_totals;
        pages.push(Page {
            page: page_path,
            bundles: bundles.into_iter().map(|(b, _)| b).collect(),
            images,
            fonts,
            viewports: weighed
                .into_iter()
                .flatten()
                .zip(&input.settings.viewports)
                .map(|((mut weight, _, _), viewport)| {
                    weight.viewport = viewport.name.clone();
                    weight
                })
                .collect(),
        });
    }
    pages.sort_by(|a, b| a.page.cmp(&b.page));
    checks.extend(pending.into_values().map(Pending::finish));
    for ((_, before, after, _), (subject, covers, limit)) in growth {
        let subject = format!(
            "{subject}{} ({})",
            more_pages(covers.len()),
            compression.label()
        );
        let mut check = increase_check(&subject, "", before, after, limit, None);
        check.covers = covers;
        checks.push(check);
    }

    // Files matched by `[[budgets.files]]`.
    for rule in &input.settings.files {
        for f in &files {
            if !(rule.glob.is_match(&f.name) || rule.glob.is_match(&f.file)) {
                continue;
            }
            let value = f.bytes.of(compression);
            if rule.limit.is_set() {
                let largest = vec![Contributor {
                    name: f.name.clone(),
                    bytes: value,
                }];
                let mut check = limit_check(
                    CheckKind::File,
                    format!("{} ({})", f.name, rule.pattern),
                    vec![f.name.clone()],
                    value,
                    rule.limit,
                    compression,
                    largest,
                );
                check.file = Some(f.file.clone());
                checks.push(check);
            }
            if let Some(before) = f.baseline
                && rule.max_increase.is_set()
            {
                checks.push(increase_check(
                    &format!("{} ({})", f.name, compression.label()),
                    &f.name,
                    before.of(compression),
                    value,
                    rule.max_increase,
                    Some(f.file.clone()),
                ));
            }
        }
    }
    checks.sort_by(|a, b| {
        a.status
            .cmp(&b.status)
            .then(a.kind.cmp(&b.kind))
            .then(a.subject.cmp(&b.subject))
    });

    let mut total = Bytes::default();
    for f in &files {
        total.add(f.bytes);
    }
    let baseline = input.baseline.map(|b| {
        let now: BTreeSet<&str> = files.iter().map(|f| f.name.as_str()).collect();
        let before: BTreeSet<&str> = b.files.iter().map(|f| f.name.as_str()).collect();
        BaselineChange {
            total: b.summary.total,
            added: now.difference(&before).map(|s| s.to_string()).collect(),
            removed: before.difference(&now).map(|s| s.to_string()).collect(),
        }
    });
    let failures = checks.iter().filter(|c| c.status == Status::Fail).count();
    let warnings = checks.iter().filter(|c| c.status == Status::Warn).count();
    Report {
        version: REPORT_VERSION,
        generator: format!("distill {}", env!("CARGO_PKG_VERSION")),
        compression,
        brotli_quality: manifest.brotli_quality,
        viewports: if input.weights.is_some() {
            input.settings.viewports.clone()
        } else {
            Vec::new()
        },
        status: checks.first().map_or(Status::Pass, |c| c.status),
        summary: Summary {
            pages: pages.len(),
            files: files.len(),
            total,
            failures,
            warnings,
        },
        pages,
        files,
        checks,
        baseline,
        notes: graph.disagreements.clone(),
        css_purged: BTreeMap::new(),
        css_unparsed: BTreeMap::new(),
    }
}

/// A page's weight at each viewport, with the graph indices of the images (with those on
/// scroll) and fonts counted. Images the main bundle's scripts name count as loaded with the
/// page at every viewport (a client-rendered page shows them).
fn weigh(
    loads: &[Vec<weights::Load>],
    script_images: &[usize],
    site_files: &HashMap<&str, usize>,
    names: &[String],
    sizes: &[Bytes],
) -> Vec<(PageWeight, Vec<usize>, Vec<usize>)> {
    loads
        .iter()
        .map(|loads| {
            let mut weight = PageWeight {
                viewport: String::new(),
                images: 0,
                images_on_scroll: 0,
                fonts: 0,
                counted: Vec::new(),
            };
            let (mut images, mut fonts) = (BTreeSet::new(), BTreeSet::new());
            let scripts = script_images.iter().map(|&i| {
                (
                    i,
                    false,
                    false,
                    "named by a script of the main bundle".to_string(),
                )
            });
            let found = loads.iter().filter_map(|l| {
                Some((
                    *site_files.get(l.file.as_str())?,
                    l.font,
                    l.on_scroll,
                    l.why.clone(),
                ))
            });
            for (i, font, on_scroll, why) in found.chain(scripts) {
                let fresh = if font {
                    fonts.insert(i)
                } else {
                    images.insert(i)
                };
                if !fresh {
                    continue;
                }
                let bytes = sizes[i].size;
                match (font, on_scroll) {
                    (true, _) => weight.fonts += bytes,
                    (false, false) => weight.images += bytes,
                    (false, true) => weight.images_on_scroll += bytes,
                }
                weight.counted.push(Counted {
                    name: names[i].clone(),
                    bytes,
                    font,
                    on_scroll,
                    why,
                });
            }
            weight
                .counted
                .sort_by(|a, b| b.bytes.cmp(&a.bytes).then(a.name.cmp(&b.name)));
            (
                weight,
                images.into_iter().collect(),
                fonts.into_iter().collect(),
            )
        })
        .collect()
}

/// The viewports where a page's images (with those on scroll) and its fonts weigh most.
fn heaviest(weighed: &[(PageWeight, Vec<usize>, Vec<usize>)]) -> (Option<usize>, Option<usize>) {
    let max_by = |f: fn(&PageWeight) -> u64| {
        // The first of equal ones: the order the viewports were given in.
        (0..weighed.len()).rev().max_by_key(|&i| f(&weighed[i].0))
    };
    (
        max_by(|w| w.images + w.images_on_scroll),
        max_by(|w| w.fonts),
    )
}

/// Bundles that several pages share (same files, same limit) are one check.
type CheckKey = (CheckKind, usize, Option<u64>, Option<u64>);

/// What a set of files adds up to, worked out once however many pages load it.
struct Template {
    /// Stable names, largest first.
    files: Vec<String>,
    bytes: Bytes,
    /// Every file with its sizes, largest first (the first three name the largest in
    /// messages).
    members: Vec<(String, Bytes)>,
}

impl Template {
    fn new(files: &[usize], names: &[String], sizes: &[Bytes], compression: Compression) -> Self {
        let mut members: Vec<(String, Bytes)> = files
            .iter()
            .map(|&f| (names[f].clone(), sizes[f]))
            .collect();
        members.sort_by(|a, b| {
            b.1.of(compression)
                .cmp(&a.1.of(compression))
                .then(a.0.cmp(&b.0))
        });
        let mut bytes = Bytes::default();
        for (_, b) in &members {
            bytes.add(*b);
        }
        Template {
            files: members.iter().map(|(n, _)| n.clone()).collect(),
            bytes,
            members,
        }
    }
}

struct Pending {
    kind: CheckKind,
    subject: String,
    covers: Vec<String>,
    value: u64,
    limit: Limit<u64>,
    compression: Compression,
    largest: Vec<Contributor>,
    file: String,
    /// What changed against the baseline, for failures and warnings.
    note: Option<String>,
}

impl Pending {
    fn finish(self) -> Check {
        let subject = format!("{}{}", self.subject, more_pages(self.covers.len()));
        let mut check = limit_check(
            self.kind,
            subject,
            self.covers,
            self.value,
            self.limit,
            self.compression,
            self.largest,
        );
        if check.status != Status::Pass
            && let Some(note) = self.note
        {
            check.message = format!("{}; {note}", check.message);
        }
        check.file = Some(self.file);
        check
    }
}

/// `grew +3.1 kB since the baseline: assets/vendor.js +2.9 kB, assets/new.js (new) +0.4 kB`:
/// the files behind a bundle's change, largest growth first.
fn growth_note(
    before: u64,
    after: u64,
    members: &[(String, Bytes)],
    baseline_files: &BTreeMap<&str, Bytes>,
    compression: Compression,
) -> String {
    let delta = after as i64 - before as i64;
    if delta <= 0 {
        return match delta {
            0 => "unchanged since the baseline".to_string(),
            _ => format!("{} since the baseline", signed_kb(delta)),
        };
    }
    let mut grown: Vec<(i64, String)> = members
        .iter()
        .filter_map(|(name, now)| {
            let was = baseline_files.get(name.as_str());
            let d = now.of(compression) as i64 - was.map_or(0, |b| b.of(compression) as i64);
            (d > 0).then(|| {
                let new = if was.is_none() { " (new)" } else { "" };
                (d, format!("{name}{new} {}", signed_kb(d)))
            })
        })
        .collect();
    grown.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let list: Vec<String> = grown.into_iter().take(3).map(|(_, s)| s).collect();
    if list.is_empty() {
        format!("grew {} since the baseline", signed_kb(delta))
    } else {
        format!(
            "grew {} since the baseline: {}",
            signed_kb(delta),
            list.join(", ")
        )
    }
}

/// ` (and 2 more pages)` for a check covering three pages.
fn more_pages(covers: usize) -> String {
    match covers {
        0 | 1 => String::new(),
        2 => " (and 1 more page)".to_string(),
        n => format!(" (and {} more pages)", n - 1),
    }
}

#[allow(clippy::too_many_arguments)]
fn queue(
    pending: &mut BTreeMap<CheckKey, Pending>,
    kind: CheckKind,
    template: usize,
    value: u64,
    limit: Limit<u64>,
    subject: String,
    id: &str,
    members: &[(String, Bytes)],
    compression: Compression,
    page_file: &str,
    note: Option<String>,
) {
    // No limit, no check (the report still lists the bundle and its size).
    if !limit.is_set() {
        return;
    }
    let key = (kind, template, limit.warn, limit.max);
    pending
        .entry(key)
        .or_insert_with(|| Pending {
            kind,
            subject,
            covers: Vec::new(),
            value,
            limit,
            compression,
            file: page_file.to_string(),
            note,
            largest: members
                .iter()
                .take(3)
                .map(|(n, b)| Contributor {
                    name: n.clone(),
                    bytes: b.of(compression),
                })
                .collect(),
        })
        .covers
        .push(id.to_string());
}

fn limit_check(
    kind: CheckKind,
    subject: String,
    covers: Vec<String>,
    value: u64,
    limit: Limit<u64>,
    compression: Compression,
    largest: Vec<Contributor>,
) -> Check {
    let status = if limit.max.is_some_and(|m| value > m) {
        Status::Fail
    } else if limit.warn.is_some_and(|w| value > w) {
        Status::Warn
    } else {
        Status::Pass
    };
    let unit = compression.label();
    let message = match (status, limit.max, limit.warn) {
        (Status::Fail, Some(max), _) => format!(
            "{subject}: {} {unit} > {} (+{})",
            kb(value),
            kb(max),
            kb(value - max)
        ),
        (Status::Warn, _, Some(warn)) => format!(
            "{subject}: {} {unit} > warning level {} (+{})",
            kb(value),
            kb(warn),
            kb(value - warn)
        ),
        (_, Some(max), _) => format!("{subject}: {} {unit} of {}", kb(value), kb(max)),
        (_, _, Some(warn)) => format!("{subject}: {} {unit} of {} (warn)", kb(value), kb(warn)),
        _ => format!("{subject}: {} {unit} (no budget)", kb(value)),
    };
    let message = if status != Status::Pass && !largest.is_empty() {
        let list: Vec<String> = largest
            .iter()
            .map(|c| format!("{} {}", c.name, kb(c.bytes)))
            .collect();
        format!("{message}; largest: {}", list.join(", "))
    } else {
        message
    };
    Check {
        kind,
        subject,
        covers,
        value: value as i64,
        warn: limit.warn,
        max: limit.max,
        status,
        message,
        largest,
        file: None,
    }
}

fn increase_check(
    subject: &str,
    covers: &str,
    before: u64,
    after: u64,
    limit: Limit<Growth>,
    file: Option<String>,
) -> Check {
    let growth = after as i64 - before as i64;
    let warn = limit.warn.map(|g| g.allowed(before));
    let max = limit.max.map(|g| g.allowed(before));
    let over = |allowed: Option<u64>| allowed.is_some_and(|a| growth > a as i64);
    let status = if over(max) {
        Status::Fail
    } else if over(warn) {
        Status::Warn
    } else {
        Status::Pass
    };
    let allowed = match status {
        Status::Fail => max,
        _ => warn.or(max),
    };
    let message = format!(
        "growth of {subject}: {} ({} -> {}){}",
        signed_kb(growth),
        kb(before),
        kb(after),
        match (status, allowed) {
            (Status::Pass, Some(a)) => format!(", allowed {}", kb(a)),
            (_, Some(a)) => format!(" > allowed {}", kb(a)),
            _ => String::new(),
        }
    );
    Check {
        kind: CheckKind::Increase,
        subject: format!("growth of {subject}"),
        covers: vec![covers.to_string()],
        value: growth,
        warn,
        max,
        status,
        message,
        largest: Vec::new(),
        file,
    }
}

/// `262.4 kB`, `16.75 kB` (1 kB = 1000 bytes, as size-limit prints; two decimals below
/// 100 kB, so a few bytes over a budget do not print as equal to it); bytes below 1 kB.
pub fn kb(bytes: u64) -> String {
    let (value, unit) = if bytes < 1000 {
        return format!("{bytes} B");
    } else if bytes < 100_000 {
        (format!("{:.2}", bytes as f64 / 1e3), "kB")
    } else if bytes < 1_000_000 {
        (format!("{:.1}", bytes as f64 / 1e3), "kB")
    } else {
        (format!("{:.2}", bytes as f64 / 1e6), "MB")
    };
    // `250 kB`, not `250.0 kB`: budgets are usually round numbers.
    let value = value.trim_end_matches('0').trim_end_matches('.');
    format!("{value} {unit}")
}

/// `+1.2 kB`, `-300 B`, `±0 B`.
pub fn signed_kb(delta: i64) -> String {
    match delta.signum() {
        0 => "±0 B".to_string(),
        1 => format!("+{}", kb(delta as u64)),
        _ => format!("-{}", kb(delta.unsigned_abs())),
    }
}

/// A file's name without content hashes: `assets/index.3f9a1c2e.js` (ours) and
/// `assets/index-BkD3c1xS.js` (Vite's) are both `assets/index.js`.
pub fn stable_name(file: &str, hash_length: usize) -> String {
    let (dir, name) = file.rsplit_once('/').map_or(("", file), |(d, n)| (d, n));
    let (stem, ext) = crate::names::split_extension(name);
    // Ours, whatever its configured length; then a bundler's.
    let stem = match stem.rsplit_once('.') {
        Some((head, tail))
            if !head.is_empty()
                && tail.len() == hash_length
                && tail
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()) =>
        {
            head
        }
        _ => stem,
    };
    let stem = crate::names::strip_bundler_hash(stem);
    if dir.is_empty() {
        format!("{stem}{ext}")
    } else {
        format!("{dir}/{stem}{ext}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_names() {
        assert_eq!(
            stable_name("assets/index.3f9a1c2e.js", 8),
            "assets/index.js"
        );
        assert_eq!(
            stable_name("assets/index-BkD3c1xS.js", 8),
            "assets/index.js"
        );
        assert_eq!(
            stable_name("assets/app.3f9a.js.map", 4),
            "assets/app.js.map"
        );
        assert_eq!(stable_name("index.html", 8), "index.html");
        assert_eq!(
            stable_name("img/hero.640.1a2b3c4d.avif", 8),
            "img/hero.640.avif"
        );
    }

    #[test]
    fn sizes_print_like_size_limit() {
        assert_eq!(kb(262_400), "262.4 kB");
        assert_eq!(kb(999), "999 B");
        assert_eq!(kb(250_000), "250 kB");
        assert_eq!(kb(16_745), "16.75 kB");
        assert_eq!(kb(12_400), "12.4 kB");
        assert_eq!(kb(1_500_000), "1.5 MB");
        assert_eq!(signed_kb(-12_400), "-12.4 kB");
        assert_eq!(signed_kb(0), "±0 B");
    }
}
