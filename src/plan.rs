//! Plan: decide, as plain data, what happens to every file before anything is written.
//!
//! In: the discovered files and settings. Out: for each file its naming (keep, or hash with or
//! without stripping a bundler hash), how its body is rewritten, and every reference it makes
//! resolved to another file of the site (or reported: missing, outside the root). The text
//! formats are scanned here, in parallel; the transforms themselves do no I/O.

use std::collections::BTreeMap;
use std::ops::Range;

use rayon::prelude::*;

use crate::config::Settings;
use crate::diag::Diagnostic;
use crate::discover::{Content, Kind, SourceFile};
use crate::image::VariantFormat;
use crate::refs::{RefKind, Reference};
use crate::urls::{self, Target};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Naming {
    /// HTML, names matched by `[hash] keep_names`, everything when hashing is off.
    Keep,
    /// Content-hashed; `strip` replaces a bundler hash already in the name.
    Hash { strip: bool },
}

/// How a file's content is produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    /// Copied byte for byte.
    Opaque,
    Html,
    /// `parsed` is false when the sheet has a syntax error: it is then copied unchanged.
    Css {
        parsed: bool,
    },
    Js,
    Json(crate::json::Schema),
}

/// A reference and what it resolved to.
#[derive(Debug, Clone)]
pub struct Link {
    pub reference: Reference,
    /// The file it names, when that file exists in the site.
    pub target: Option<usize>,
    /// Byte range of the file name inside `reference.url`.
    pub name: Range<usize>,
}

#[derive(Debug)]
pub struct PlannedFile {
    pub source: SourceFile,
    pub naming: Naming,
    pub body: Body,
    /// Every reference found, in document order (the rewrite pass relies on the order).
    pub links: Vec<Link>,
    /// HTML: the likely LCP image.
    pub lcp: Option<crate::html::Lcp>,
    /// A processed raster image: its size and responsive variants (set by the image stage).
    pub image: Option<ImageFacts>,
    /// Kept exactly as it came (name and bytes): see [`Plan::pin`].
    pub frozen: bool,
}

/// What the image stage made of a source image.
#[derive(Debug, Clone)]
pub struct ImageFacts {
    /// Upright intrinsic size.
    pub width: u32,
    pub height: u32,
    pub fallback: VariantFormat,
    /// The original was replaced by a smaller, optimized version.
    pub optimized: bool,
    /// Variant files (indices into `Plan::files`), by format then width.
    pub variants: Vec<VariantFile>,
    /// The `srcset` the original itself joins at its own width (JPEG and PNG sources: the
    /// fallback's; WebP sources: WebP's), if any.
    pub original_in: Option<VariantFormat>,
}

#[derive(Debug, Clone, Copy)]
pub struct VariantFile {
    pub format: VariantFormat,
    pub width: u32,
    pub height: u32,
    pub file: usize,
}

impl PlannedFile {
    /// The folder part of the site path (empty at the root).
    pub fn dir(&self) -> &str {
        self.source.path.rsplit_once('/').map_or("", |(d, _)| d)
    }

    /// The file name (last segment).
    pub fn name(&self) -> &str {
        self.source
            .path
            .rsplit('/')
            .next()
            .unwrap_or(&self.source.path)
    }

    pub fn text(&self) -> Option<&str> {
        match &self.source.content {
            Content::Text(t) => Some(t),
            Content::Binary { .. } => None,
        }
    }

    /// blake3 of the original bytes.
    pub fn content_digest(&self) -> [u8; 32] {
        self.source.digest()
    }

    /// Replaces a stylesheet's text by `text`, the same sheet with whole rules cut out (the
    /// purge's first cut): its references are the old ones less those of the cut rules, in the
    /// same order, so the links are the old links that remain. Returns false (and changes
    /// nothing) when `text`'s references are not such a subsequence.
    pub fn narrow_css(&mut self, text: String) -> bool {
        if self.body != (Body::Css { parsed: true }) {
            return false;
        }
        let scan = crate::css::scan(&text);
        if scan.error.is_some() {
            return false;
        }
        let mut old = self.links.iter();
        let mut links = Vec::with_capacity(scan.refs.len());
        for r in &scan.refs {
            match old.find(|l| l.reference.url == r.url && l.reference.kind == r.kind) {
                Some(link) => links.push(link.clone()),
                None => return false,
            }
        }
        self.links = links;
        self.source.stash();
        self.source.content = Content::Text(text);
        self.source.edited = true;
        true
    }
}

pub struct Plan {
    /// The input's files sorted by site path, then generated files (image variants).
    pub files: Vec<PlannedFile>,
    /// How many of `files` come from the input (the rest are generated).
    pub inputs: usize,
    /// Files [`Plan::pin`] kept from being renamed.
    pub pinned: usize,
    pub diagnostics: Vec<Diagnostic>,
    /// How stylesheets, `<style>` and `style` attributes are printed.
    pub css_style: crate::css::Style,
    /// The stylesheet selectors to keep, when CSS is purged (set by the purge stage).
    pub purge: Option<std::sync::Arc<crate::css::purge::Keep>>,
    pub images_enabled: bool,
    /// Default `sizes` of rewritten `<img>`.
    pub sizes: String,
}

struct Scanned {
    body: Body,
    refs: Vec<Reference>,
    lcp: Option<crate::html::Lcp>,
    diagnostics: Vec<Diagnostic>,
}

pub fn plan(mut files: Vec<SourceFile>, settings: &Settings) -> Plan {
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let html_options = crate::html::Options {
        images: settings.images.enabled,
        sizes: &settings.images.sizes,
        lcp_selector: settings.images.lcp_selector.as_deref(),
        ..Default::default()
    };
    let scanned: Vec<Scanned> = files.par_iter().map(|f| scan(f, &html_options)).collect();
    let index: BTreeMap<&str, usize> = files
        .iter()
        .enumerate()
        .map(|(i, f)| (f.path.as_str(), i))
        .collect();
    let site = settings.hash.site();

    let kinds: Vec<Kind> = files.iter().map(|f| f.kind).collect();
    let mut diagnostics = Vec::new();
    let mut all_links = Vec::with_capacity(files.len());
    let mut bodies = Vec::with_capacity(files.len());
    let mut lcps = Vec::with_capacity(files.len());
    for (file, scanned) in files.iter().zip(scanned) {
        diagnostics.extend(scanned.diagnostics);
        lcps.push(scanned.lcp);
        let links = scanned
            .refs
            .into_iter()
            .map(|r| resolve(file, r, &index, &kinds, &site, &mut diagnostics))
            .collect::<Vec<_>>();
        all_links.push(links);
        bodies.push(scanned.body);
    }

    let mut namings: Vec<Naming> = files
        .iter()
        .map(|f| {
            let keep = !settings.hash.enabled
                || f.kind == Kind::Html
                || settings.hash.keep.is_match(&f.path);
            if keep {
                Naming::Keep
            } else {
                Naming::Hash { strip: true }
            }
        })
        .collect();
    avoid_stripped_collisions(&files, &mut namings);

    let files: Vec<PlannedFile> = files
        .into_iter()
        .zip(namings)
        .zip(bodies)
        .zip(all_links)
        .zip(lcps)
        .map(|((((source, naming), body), links), lcp)| PlannedFile {
            source,
            naming,
            body,
            links,
            lcp,
            image: None,
            frozen: false,
        })
        .collect();
    let mut pins = targets_of_unrewritable(&files);
    pins.extend(unnamed(&files));
    let mut plan = Plan {
        inputs: files.len(),
        pinned: 0,
        files,
        diagnostics,
        css_style: crate::css::Style {
            minify: settings.css_minify,
            browsers: settings.css_browsers,
        },
        purge: None,
        images_enabled: settings.images.enabled,
        sizes: settings.images.sizes.clone(),
    };
    plan.pin(pins, settings);
    plan.diagnostics.sort();
    plan.diagnostics.dedup();
    plan
}

/// Files nothing in the site names where distill could rewrite the name: whatever asks for them
/// (a server, a crawler, a framework's runtime building the URL) asks by the name they have.
fn unnamed(files: &[PlannedFile]) -> Vec<(usize, Pin)> {
    let mut named = vec![false; files.len()];
    for (i, file) in files.iter().enumerate() {
        for t in file.links.iter().filter_map(|l| l.target) {
            if t != i {
                named[t] = true;
            }
        }
    }
    files
        .iter()
        .enumerate()
        .filter(|(i, f)| !named[*i] && matches!(f.naming, Naming::Hash { .. }))
        .map(|(i, _)| (i, Pin::Unnamed))
        .collect()
}

/// Why a file keeps its name although it would be content-hashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pin {
    /// Nothing in the site names it where distill can rewrite the name.
    Unnamed,
    /// After the rewrite, `by` still names it (at `line`, as `found`): a URL distill cannot
    /// rewrite, such as one a runtime builds from pieces.
    Stale {
        by: String,
        line: u32,
        found: String,
    },
    /// `by` keeps its bytes, and names it.
    NamedByFrozen { by: String },
    /// `by` cannot be rewritten (a stylesheet that does not parse), and names it.
    Unrewritable { by: String },
}

impl Pin {
    fn note(&self, frozen: bool) -> String {
        let what = if frozen {
            "keeps its name and bytes (its name carries a bundler's hash)"
        } else {
            "keeps its name"
        };
        match self {
            Pin::Unnamed => format!(
                "{what}: nothing in the site names it where distill can rewrite the name, so whatever asks for it (a server, a framework's runtime) asks by this one"
            ),
            Pin::Stale { by, line, found } => {
                format!("{what}: {by}:{line} names it in a way distill cannot rewrite ({found:?})")
            }
            Pin::NamedByFrozen { by } => format!("{what}: {by}, which keeps its bytes, names it"),
            Pin::Unrewritable { by } => format!("{what}: {by} cannot be rewritten"),
        }
    }
}

impl Plan {
    /// Makes files keep their names. One whose name carries a bundler's content hash also keeps
    /// its bytes (frozen: whoever serves it may cache that name forever, so distill must not
    /// change what it holds): every transform on it is undone, and the files it names keep
    /// their names in turn, or its references would go stale.
    pub fn pin(&mut self, pins: Vec<(usize, Pin)>, settings: &Settings) {
        let mut pins = pins;
        while !pins.is_empty() {
            let mut frozen = Vec::new();
            for (i, why) in pins.drain(..) {
                let file = &mut self.files[i];
                let freeze = !file.frozen
                    && i < self.inputs
                    && !crate::names::hash_tokens(file.name()).is_empty();
                if file.naming == Naming::Keep && !freeze {
                    continue;
                }
                if file.naming != Naming::Keep {
                    self.pinned += 1;
                }
                file.naming = Naming::Keep;
                if freeze {
                    file.frozen = true;
                    file.source.restore();
                    file.body = Body::Opaque;
                    if let Some(image) = &mut file.image {
                        image.optimized = false;
                    }
                    frozen.push(i);
                }
                let note = why.note(freeze);
                self.diagnostics
                    .push(Diagnostic::note(&file.source.path, None, note));
            }
            self.relink(&frozen, settings);
            for &i in &frozen {
                for t in self.files[i].links.iter().filter_map(|l| l.target) {
                    if matches!(self.files[t].naming, Naming::Hash { .. }) {
                        let by = self.files[i].source.path.clone();
                        pins.push((t, Pin::NamedByFrozen { by }));
                    }
                }
            }
        }
    }

    /// The images a browser could be offered variants of: those an `<img src>` that may become
    /// a `<picture>` shows, and those a stylesheet distill rewrites shows (an `image-set()`).
    pub fn shown_images(&self) -> std::collections::BTreeSet<usize> {
        self.files
            .iter()
            .flat_map(|f| {
                let sheet = f.body == Body::Css { parsed: true };
                f.links.iter().filter(move |l| {
                    l.reference.kind == RefKind::Image
                        || (sheet && l.reference.kind == RefKind::Asset)
                })
            })
            .filter_map(|l| l.target)
            .collect()
    }

    /// Forgets the variants of images nothing will offer them for any more (the stylesheet that
    /// showed one was frozen since the images were made): they are not written.
    pub fn drop_unshown_variants(&mut self) {
        let shown = self.shown_images();
        for (i, file) in self.files.iter_mut().enumerate() {
            if let Some(image) = &mut file.image
                && !shown.contains(&i)
            {
                image.variants.clear();
                image.original_in = None;
            }
        }
    }

    /// Whether each file is written: every input file, and the variants an image still has.
    pub fn written(&self) -> Vec<bool> {
        let mut written: Vec<bool> = (0..self.files.len()).map(|i| i < self.inputs).collect();
        for image in self.files.iter().filter_map(|f| f.image.as_ref()) {
            for v in &image.variants {
                written[v.file] = true;
            }
        }
        written
    }

    /// Scans `which` again (their content was put back as discovered) and resolves their
    /// references; diagnostics are not repeated.
    fn relink(&mut self, which: &[usize], settings: &Settings) {
        if which.is_empty() {
            return;
        }
        let index: BTreeMap<&str, usize> = self.files[..self.inputs]
            .iter()
            .enumerate()
            .map(|(i, f)| (f.source.path.as_str(), i))
            .collect();
        let kinds: Vec<Kind> = self.files.iter().map(|f| f.source.kind).collect();
        let site = settings.hash.site();
        let options = crate::html::Options::default();
        let relinked: Vec<Vec<Link>> = which
            .iter()
            .map(|&i| {
                let file = &self.files[i].source;
                let mut ignored = Vec::new();
                scan(file, &options)
                    .refs
                    .into_iter()
                    .map(|r| resolve(file, r, &index, &kinds, &site, &mut ignored))
                    .collect()
            })
            .collect();
        drop(index);
        for (&i, links) in which.iter().zip(relinked) {
            self.files[i].links = links;
        }
    }
}

fn scan(file: &SourceFile, html_options: &crate::html::Options) -> Scanned {
    let mut diagnostics = Vec::new();
    // Discover said why (nested too deep, too large); the guard searches its text for names.
    if file.refused {
        return Scanned {
            body: Body::Opaque,
            refs: Vec::new(),
            lcp: None,
            diagnostics,
        };
    }
    let Content::Text(text) = &file.content else {
        if matches!(file.kind, Kind::Html | Kind::Css | Kind::Js) {
            diagnostics.push(Diagnostic::warning(
                &file.path,
                None,
                "not valid UTF-8; copied unchanged and its references are not rewritten",
            ));
        }
        return Scanned {
            body: Body::Opaque,
            refs: Vec::new(),
            lcp: None,
            diagnostics,
        };
    };
    let mut lcp = None;
    let (body, refs) = match file.kind {
        Kind::Html => match crate::html::scan(text, html_options) {
            Ok(scan) => {
                if let Some(framework) = crate::html::hydrated_by(text)
                    && html_options.images
                    && text.contains("<img")
                {
                    diagnostics.push(Diagnostic::note(
                        &file.path,
                        None,
                        format!("{framework} hydrates this page: its <img>s stay <img>s (a <picture> around one would not match what its scripts render)"),
                    ));
                }
                lcp = scan.lcp;
                (Body::Html, scan.refs)
            }
            Err(e) => {
                diagnostics.push(Diagnostic::warning(&file.path, None, e));
                (Body::Opaque, Vec::new())
            }
        },
        Kind::Css => {
            let scan = crate::css::scan(text);
            let parsed = scan.error.is_none();
            if let Some((line, column, message)) = scan.error {
                diagnostics.push(Diagnostic::warning(
                    &file.path,
                    Some(line),
                    format!(
                        "CSS does not parse (column {column}: {message}); copied unchanged, and the files it references keep their names"
                    ),
                ));
            }
            (Body::Css { parsed }, scan.refs)
        }
        Kind::Js => {
            let scan = crate::js::scan(text);
            if let Some((line, message)) = scan.error {
                diagnostics.push(Diagnostic::warning(
                    &file.path,
                    Some(line),
                    format!("JS does not parse ({message}); copied unchanged, its references are not rewritten"),
                ));
                (Body::Opaque, Vec::new())
            } else {
                (Body::Js, scan.refs)
            }
        }
        _ if is_json_manifest(&file.path) => match crate::json::detect(text) {
            Some(schema) => match crate::json::scan(text, schema) {
                Ok(refs) => (Body::Json(schema), refs),
                Err(_) => (Body::Opaque, Vec::new()),
            },
            None => {
                diagnostics.push(Diagnostic::warning(
                    &file.path,
                    None,
                    "manifest is not a JSON object; copied unchanged, and the files it names keep their names",
                ));
                (Body::Opaque, Vec::new())
            }
        },
        _ => (Body::Opaque, Vec::new()),
    };
    Scanned {
        body,
        refs,
        lcp,
        diagnostics,
    }
}

/// Web app manifests and the build manifests of Vite (`.vite/manifest.json`, or
/// `manifest.json` at the root before Vite 5) and webpack (`asset-manifest.json`,
/// `manifest.json`).
fn is_json_manifest(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.ends_with(".webmanifest") || name == "manifest.json" || name == "asset-manifest.json"
}

fn resolve(
    file: &SourceFile,
    reference: Reference,
    index: &BTreeMap<&str, usize>,
    kinds: &[Kind],
    site: &urls::Site,
    diagnostics: &mut Vec<Diagnostic>,
) -> Link {
    let unresolved = |reference| Link {
        reference,
        target: None,
        name: 0..0,
    };
    // Bundlers write bare paths in JS relative to the public root, not to the script
    // (Vite's `__vite__mapDeps(["assets/x.js"])`, webpack's public-path joins).
    let bare = !reference.url.starts_with(['.', '/']);
    // A bare module specifier (`import("_")`, Vite's feature test; `import "react"`) is not a
    // URL: only an import map can give it one.
    if bare
        && matches!(reference.kind, RefKind::Import | RefKind::DynamicImport)
        && !urls::has_scheme(&reference.url)
    {
        return unresolved(reference);
    }
    let from = if reference.kind == RefKind::Literal && bare {
        // A lone file name (`"_payload.json"`) is a piece a runtime joins to a route, not a
        // path from the root.
        if !reference.url.contains('/') {
            return unresolved(reference);
        }
        ""
    } else {
        file.path.as_str()
    };
    match urls::resolve(&reference.url, from, site) {
        Target::Elsewhere => unresolved(reference),
        Target::OutsideRoot => {
            if reference.kind != RefKind::Literal {
                diagnostics.push(Diagnostic::warning(
                    &file.path,
                    Some(reference.line),
                    format!(
                        "reference {:?} points outside the site root; left as is",
                        reference.url
                    ),
                ));
            }
            unresolved(reference)
        }
        Target::Site { path, name } => {
            let found = lookup(&path, index);
            match found {
                Some(t) if reference.kind == RefKind::Literal && kinds[t] == Kind::Html => {
                    unresolved(reference)
                }
                Some(t) => Link {
                    reference,
                    target: Some(t),
                    name,
                },
                None => {
                    if reference.kind.must_exist() {
                        diagnostics.push(Diagnostic::warning(
                            &file.path,
                            Some(reference.line),
                            format!(
                                "reference {:?} names {path}, which does not exist",
                                reference.url
                            ),
                        ));
                    }
                    unresolved(reference)
                }
            }
        }
    }
}

/// A site path, or the page a folder URL serves (`blog/` -> `blog/index.html`).
fn lookup(path: &str, index: &BTreeMap<&str, usize>) -> Option<usize> {
    if path.is_empty() || path.ends_with('/') {
        return index.get(format!("{path}index.html").as_str()).copied();
    }
    index.get(path).copied()
}

/// A file whose references cannot be rewritten (a sheet that does not parse) must not see its
/// targets renamed, or its URLs would break: those targets keep their names.
fn targets_of_unrewritable(files: &[PlannedFile]) -> Vec<(usize, Pin)> {
    files
        .iter()
        .filter(|f| f.body == (Body::Css { parsed: false }))
        .flat_map(|f| {
            f.links.iter().filter_map(|l| {
                let by = f.source.path.clone();
                Some((l.target?, Pin::Unrewritable { by }))
            })
        })
        .collect()
}

/// Two files whose names differ only by a bundler hash (`a-BkD3c1xS.js`, `a-Xy12zz9Q.js`) would
/// get the same name once stripped if their content matched; keep their full stems instead.
fn avoid_stripped_collisions(files: &[SourceFile], namings: &mut [Naming]) {
    let mut groups: BTreeMap<(String, String, String), Vec<usize>> = BTreeMap::new();
    for (i, file) in files.iter().enumerate() {
        if namings[i] == Naming::Keep {
            continue;
        }
        let (dir, name) = file.path.rsplit_once('/').unwrap_or(("", &file.path));
        let (stem, ext) = crate::names::split_extension(name);
        let stripped = crate::names::strip_bundler_hash(stem);
        groups
            .entry((dir.to_string(), stripped.to_string(), ext.to_string()))
            .or_default()
            .push(i);
    }
    for members in groups.values().filter(|m| m.len() > 1) {
        for &i in members {
            namings[i] = Naming::Hash { strip: false };
        }
    }
}
