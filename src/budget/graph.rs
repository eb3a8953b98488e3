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

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde::Deserialize;

use crate::discover::Kind;
use crate::output::manifest::{Asset, Manifest};
use crate::refs::RefKind;

/// The bundles of one page. Files are manifest keys (original paths).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageBundles {
    /// The page's manifest key.
    pub page: String,
    pub main: BTreeSet<String>,
    /// `(chunk, files)` for each dynamically imported chunk, by chunk.
    pub routes: Vec<(String, BTreeSet<String>)>,
    /// Images the page and its main bundle's CSS reference.
    pub images: BTreeSet<String>,
    /// Fonts the main bundle's CSS references, and fonts the page preloads.
    pub fonts: BTreeSet<String>,
}

/// Edges between files, from the manifest and Vite's manifest.
#[derive(Debug, Default)]
pub struct Graph {
    /// Loaded together with the file: JS static imports, CSS `@import`s, a chunk's CSS.
    statics: BTreeMap<String, BTreeSet<String>>,
    /// `import()`.
    dynamics: BTreeMap<String, BTreeSet<String>>,
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
}

impl Graph {
    pub fn new(manifest: &Manifest, vite: Option<&str>) -> Graph {
        let mut graph = Graph::default();
        for (key, asset) in &manifest.assets {
            let refs = |kind: RefKind| asset.references.get(&kind).into_iter().flatten();
            let statics = graph.statics.entry(key.clone()).or_default();
            match asset.kind {
                Kind::Js => {
                    statics.extend(
                        refs(RefKind::Import)
                            .filter(|t| is_code(manifest, t))
                            .cloned(),
                    );
                    // A stylesheet the code names with `new URL(…, import.meta.url)` is one
                    // it loads (Vite's own CSS list is a `Literal` read only through its
                    // manifest, below: it names every chunk's CSS, not only this one's).
                    statics.extend(
                        refs(RefKind::Asset)
                            .filter(|t| {
                                manifest.assets.get(*t).is_some_and(|a| a.kind == Kind::Css)
                            })
                            .cloned(),
                    );
                }
                Kind::Css => statics.extend(refs(RefKind::Stylesheet).cloned()),
                _ => {}
            }
            if asset.kind == Kind::Js {
                let dynamics = graph.dynamics.entry(key.clone()).or_default();
                dynamics.extend(
                    refs(RefKind::DynamicImport)
                        .filter(|t| is_code(manifest, t))
                        .cloned(),
                );
            }
        }
        if let Some(chunks) =
            vite.and_then(|t| serde_json::from_str::<BTreeMap<String, ViteChunk>>(t).ok())
        {
            let file_of = |key: &String| chunks.get(key).map(|c| c.file.clone());
            for chunk in chunks.values() {
                if !manifest.assets.contains_key(&chunk.file) {
                    continue;
                }
                let statics = graph.statics.entry(chunk.file.clone()).or_default();
                statics.extend(chunk.imports.iter().filter_map(file_of));
                statics.extend(chunk.css.iter().cloned());
                let dynamics = graph.dynamics.entry(chunk.file.clone()).or_default();
                dynamics.extend(chunk.dynamic_imports.iter().filter_map(file_of));
            }
        }
        // Only edges between files that exist.
        for edges in graph
            .statics
            .values_mut()
            .chain(graph.dynamics.values_mut())
        {
            edges.retain(|t| manifest.assets.contains_key(t));
        }
        graph
    }

    /// `roots` and everything they load statically.
    fn closure(&self, roots: impl IntoIterator<Item = String>) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut queue: VecDeque<String> = roots.into_iter().collect();
        while let Some(file) = queue.pop_front() {
            if !seen.insert(file.clone()) {
                continue;
            }
            if let Some(next) = self.statics.get(&file) {
                queue.extend(next.iter().filter(|n| !seen.contains(*n)).cloned());
            }
        }
        seen
    }

    /// The chunks `files` import dynamically.
    fn dynamic_targets<'a>(&'a self, files: &'a BTreeSet<String>) -> BTreeSet<&'a String> {
        files
            .iter()
            .filter_map(|f| self.dynamics.get(f))
            .flatten()
            .collect()
    }

    /// The bundles of the page `key`.
    pub fn page(&self, manifest: &Manifest, key: &str, page: &Asset) -> PageBundles {
        let refs = |kind: RefKind| page.references.get(&kind).into_iter().flatten();
        let kind_of = |t: &String| manifest.assets.get(t).map(|a| a.kind);
        let entries = refs(RefKind::Script)
            .chain(refs(RefKind::Import))
            .chain(refs(RefKind::Preload))
            .chain(refs(RefKind::Stylesheet))
            .filter(|t| matches!(kind_of(t), Some(Kind::Js | Kind::Css)))
            .cloned();
        let main = self.closure(entries);

        let mut routes: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut queue: VecDeque<String> = self
            .dynamic_targets(&main)
            .into_iter()
            .chain(refs(RefKind::DynamicImport))
            .filter(|t| kind_of(t) == Some(Kind::Js))
            .cloned()
            .collect();
        while let Some(chunk) = queue.pop_front() {
            if main.contains(&chunk) || routes.contains_key(&chunk) {
                continue;
            }
            let files: BTreeSet<String> = self
                .closure([chunk.clone()])
                .into_iter()
                .filter(|f| !main.contains(f))
                .collect();
            queue.extend(self.dynamic_targets(&files).into_iter().cloned());
            routes.insert(chunk, files);
        }

        let mut images = BTreeSet::new();
        let mut fonts = BTreeSet::new();
        let sources = std::iter::once(key.to_string()).chain(
            main.iter()
                .filter(|f| kind_of(f) == Some(Kind::Css))
                .cloned(),
        );
        for source in sources {
            let Some(asset) = manifest.assets.get(&source) else {
                continue;
            };
            for (kind, targets) in &asset.references {
                if matches!(kind, RefKind::Navigation | RefKind::SourceMap) {
                    continue;
                }
                for t in targets {
                    match kind_of(t) {
                        Some(Kind::Image) => {
                            images.insert(t.clone());
                        }
                        Some(Kind::Font) => {
                            fonts.insert(t.clone());
                        }
                        _ => {}
                    }
                }
            }
        }
        PageBundles {
            page: key.to_string(),
            main,
            routes: routes.into_iter().collect(),
            images,
            fonts,
        }
    }
}

fn is_code(manifest: &Manifest, target: &str) -> bool {
    manifest
        .assets
        .get(target)
        .is_some_and(|a| matches!(a.kind, Kind::Js | Kind::Css))
}
