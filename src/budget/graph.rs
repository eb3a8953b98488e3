//! The chunk graph and the bundles each page loads.
//!
//! In: the manifest (every file with its references by kind, as the scanners found them with
//! lol_html, lightningcss and swc) and, when the input had one, Vite's `.vite/manifest.json`,
//! whose `imports`, `dynamicImports` and `css` add edges the code alone does not show (the CSS
//! a dynamic chunk loads is named only in its importer's `__vite__mapDeps`).
//!
//! A page's **main bundle** is its entry scripts (`<script src>`, `<link rel=modulepreload>`,
//! inline module imports) with everything they import statically, plus its render-blocking
//! stylesheets with their `@import`s. Each chunk that code reachable from the page imports
//! dynamically starts a **route bundle**: the chunk, its static imports and its CSS, less what
//! the main bundle already loads.
//!
//! Files are indices into [`Graph::keys`] (the manifest's keys, sorted), and each chunk's static
//! closure is computed once and shared by every page: a site of hundreds of pages that each
//! reach hundreds of lazy chunks stays fast.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::sync::OnceLock;

use serde::Deserialize;

use crate::discover::Kind;
use crate::output::manifest::{Asset, Manifest};
use crate::refs::RefKind;

/// The bundles of one page, as indices into [`Graph::keys`], each list sorted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageBundles {
    pub main: Vec<usize>,
    /// `(chunk, files)` for each dynamically imported chunk, by chunk.
    pub routes: Vec<(usize, Vec<usize>)>,
    /// Images the page and its main bundle's CSS reference.
    pub images: Vec<usize>,
    /// Fonts the main bundle's CSS references, and fonts the page preloads.
    pub fonts: Vec<usize>,
    /// Images the main bundle's scripts name (a client-rendered page shows them).
    pub script_images: Vec<usize>,
}

/// Edges between files, from the manifest and Vite's manifest.
pub struct Graph<'m> {
    /// The manifest's keys (original paths), sorted: a file's index is its position here.
    pub keys: Vec<&'m str>,
    assets: Vec<&'m Asset>,
    kinds: Vec<Kind>,
    /// Loaded together with the file: JS static imports, CSS `@import`s, a chunk's CSS.
    statics: Vec<Vec<usize>>,
    /// `import()`.
    dynamics: Vec<Vec<usize>>,
    /// Where Vite's manifest and the code disagree on entries (sorted): said in the report.
    pub disagreements: Vec<String>,
    /// Each file's static closure (itself included), computed on first use.
    closures: Vec<OnceLock<Vec<usize>>>,
}

/// The part of a Vite manifest chunk the graph reads.
#[derive(Debug, Deserialize)]
struct ViteChunk {
    file: String,
    #[serde(default)]
    imports: Vec<String>,
    #[serde(default, rename = "dynamicImports")]
    dynamic_imports: Vec<String>,
    #[serde(default)]
    css: Vec<String>,
    #[serde(default, rename = "isEntry")]
    is_entry: bool,
    #[serde(default, rename = "isDynamicEntry")]
    is_dynamic_entry: bool,
}

impl<'m> Graph<'m> {
    pub fn new(manifest: &'m Manifest, vite: Option<&str>) -> Graph<'m> {
        let keys: Vec<&str> = manifest.assets.keys().map(String::as_str).collect();
        let index: HashMap<&str, usize> = keys.iter().enumerate().map(|(i, k)| (*k, i)).collect();
        let kinds: Vec<Kind> = manifest.assets.values().map(|a| a.kind).collect();
        let n = keys.len();
        let mut statics: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); n];
        let mut dynamics: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); n];
        let targets = |asset: &Asset, kind: RefKind| -> Vec<usize> {
            asset
                .references
                .get(&kind)
                .into_iter()
                .flatten()
                .filter_map(|t| index.get(t.as_str()).copied())
                .collect()
        };
        let is_code = |i: &usize| matches!(kinds[*i], Kind::Js | Kind::Css);
        for (i, asset) in manifest.assets.values().enumerate() {
            match asset.kind {
                Kind::Js => {
                    statics[i].extend(targets(asset, RefKind::Import).into_iter().filter(is_code));
                    // A stylesheet the code names with `new URL(…, import.meta.url)` is one it
                    // loads. (Vite's list of CSS is a `Literal` naming every chunk's CSS, not
                    // only this one's; it is read through Vite's manifest, below.)
                    statics[i].extend(
                        targets(asset, RefKind::Asset)
                            .into_iter()
                            .filter(|t| kinds[*t] == Kind::Css),
                    );
                    dynamics[i].extend(
                        targets(asset, RefKind::DynamicImport)
                            .into_iter()
                            .filter(|t| kinds[*t] == Kind::Js),
                    );
                }
                Kind::Css => statics[i].extend(targets(asset, RefKind::Stylesheet)),
                _ => {}
            }
        }
        let mut disagreements = Vec::new();
        if let Some(chunks) =
            vite.and_then(|t| serde_json::from_str::<BTreeMap<String, ViteChunk>>(t).ok())
        {
            // Vite's own view confirms the one read from the code, or the difference is said.
            let imported: HashSet<usize> = dynamics.iter().flatten().copied().collect();
            let loaded: HashSet<usize> = manifest
                .assets
                .values()
                .filter(|a| a.kind == Kind::Html)
                .flat_map(|a| {
                    [RefKind::Script, RefKind::Preload, RefKind::Import]
                        .into_iter()
                        .flat_map(|k| targets(a, k))
                })
                .collect();
            for chunk in chunks.values() {
                let Some(&i) = index.get(chunk.file.as_str()) else {
                    continue;
                };
                if chunk.is_dynamic_entry && !imported.contains(&i) {
                    disagreements.push(format!(
                        "Vite's manifest marks {} as a dynamic entry, but no import() of it was found in the code",
                        chunk.file
                    ));
                }
                if chunk.is_entry && kinds[i] == Kind::Js && !loaded.contains(&i) {
                    disagreements.push(format!(
                        "Vite's manifest marks {} as an entry, but no page loads it",
                        chunk.file
                    ));
                }
            }
            let file_of = |key: &String| {
                chunks
                    .get(key)
                    .and_then(|c| index.get(c.file.as_str()).copied())
            };
            for chunk in chunks.values() {
                let Some(&i) = index.get(chunk.file.as_str()) else {
                    continue;
                };
                statics[i].extend(chunk.imports.iter().filter_map(file_of));
                statics[i].extend(
                    chunk
                        .css
                        .iter()
                        .filter_map(|c| index.get(c.as_str()).copied()),
                );
                dynamics[i].extend(chunk.dynamic_imports.iter().filter_map(file_of));
            }
        }
        Graph {
            disagreements,
            keys,
            assets: manifest.assets.values().collect(),
            kinds,
            statics: statics
                .into_iter()
                .map(|s| s.into_iter().collect())
                .collect(),
            dynamics: dynamics
                .into_iter()
                .map(|s| s.into_iter().collect())
                .collect(),
            closures: (0..n).map(|_| OnceLock::new()).collect(),
        }
    }

    /// `file` and everything it loads statically, sorted.
    fn closure(&self, file: usize) -> &[usize] {
        self.closures[file].get_or_init(|| {
            // Closures are small next to the site: a set, not a flag per file.
            let mut seen = std::collections::HashSet::new();
            let mut queue = VecDeque::from([file]);
            while let Some(f) = queue.pop_front() {
                if seen.insert(f) {
                    queue.extend(self.statics[f].iter().copied());
                }
            }
            let mut out: Vec<usize> = seen.into_iter().collect();
            out.sort_unstable();
            out
        })
    }

    /// The bundles of `page`.
    pub fn page(&self, page: &Asset) -> PageBundles {
        let index = |t: &String| self.keys.binary_search(&t.as_str()).ok();
        let refs = |kind: RefKind| {
            page.references
                .get(&kind)
                .into_iter()
                .flatten()
                .filter_map(index)
        };
        let code = |i: &usize| matches!(self.kinds[*i], Kind::Js | Kind::Css);
        let mut in_main = vec![false; self.keys.len()];
        let mut main = Vec::new();
        for entry in refs(RefKind::Script)
            .chain(refs(RefKind::Import))
            .chain(refs(RefKind::Preload))
            .chain(refs(RefKind::Stylesheet))
            .filter(code)
        {
            for &f in self.closure(entry) {
                if !std::mem::replace(&mut in_main[f], true) {
                    main.push(f);
                }
            }
        }
        main.sort_unstable();

        let mut routes: Vec<(usize, Vec<usize>)> = Vec::new();
        let mut queued = vec![false; self.keys.len()];
        let mut queue: VecDeque<usize> = VecDeque::new();
        let mut push = |i: usize, queue: &mut VecDeque<usize>| {
            if !in_main[i] && !std::mem::replace(&mut queued[i], true) {
                queue.push_back(i);
            }
        };
        for &f in &main {
            for &d in &self.dynamics[f] {
                push(d, &mut queue);
            }
        }
        for d in refs(RefKind::DynamicImport).filter(|i| self.kinds[*i] == Kind::Js) {
            push(d, &mut queue);
        }
        while let Some(chunk) = queue.pop_front() {
            let files: Vec<usize> = self
                .closure(chunk)
                .iter()
                .copied()
                .filter(|f| !in_main[*f])
                .collect();
            for &f in &files {
                for &d in &self.dynamics[f] {
                    push(d, &mut queue);
                }
            }
            routes.push((chunk, files));
        }
        routes.sort_unstable_by_key(|(chunk, _)| *chunk);

        let mut images = BTreeSet::new();
        let mut fonts = BTreeSet::new();
        let mut collect = |asset: &Asset| {
            for (kind, targets) in &asset.references {
                if matches!(kind, RefKind::Navigation | RefKind::SourceMap) {
                    continue;
                }
                for t in targets.iter().filter_map(index) {
                    match self.kinds[t] {
                        Kind::Image => {
                            images.insert(t);
                        }
                        Kind::Font => {
                            fonts.insert(t);
                        }
                        _ => {}
                    }
                }
            }
        };
        collect(page);
        for &f in main.iter().filter(|f| self.kinds[**f] == Kind::Css) {
            collect(self.assets[f]);
        }
        let mut script_images = BTreeSet::new();
        for &f in main.iter().filter(|f| self.kinds[**f] == Kind::Js) {
            for (kind, targets) in &self.assets[f].references {
                if *kind == RefKind::SourceMap {
                    continue;
                }
                script_images.extend(
                    targets
                        .iter()
                        .filter_map(index)
                        .filter(|t| self.kinds[*t] == Kind::Image),
                );
            }
        }
        PageBundles {
            main,
            routes,
            images: images.into_iter().collect(),
            fonts: fonts.into_iter().collect(),
            script_images: script_images.into_iter().collect(),
        }
    }
}
