//! Discover: walk the input folder, classify every file, and read what later stages need.
//!
//! In: the root folder. Out: a sorted list of [`SourceFile`]s. Text formats (HTML, CSS, JS,
//! source maps, JSON) are read into memory because they get parsed and rewritten; binary files
//! are only hashed here (streamed) and copied at the end, so a folder of large media does not
//! have to fit in memory. Symlinks are followed only when they stay inside the root.

use std::io::Read;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::diag::{Diagnostic, Error};

/// What a file is, by extension; decides how it is parsed and cached.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Html,
    Css,
    Js,
    #[serde(rename = "sourcemap")]
    SourceMap,
    Image,
    Font,
    Other,
}

impl Kind {
    pub fn from_path(path: &str) -> Kind {
        let ext = extension(path).to_ascii_lowercase();
        match ext.as_str() {
            "html" | "htm" => Kind::Html,
            "css" => Kind::Css,
            "js" | "mjs" | "cjs" => Kind::Js,
            "map" => Kind::SourceMap,
            "png" | "jpg" | "jpeg" | "gif" | "webp" | "avif" | "svg" | "ico" | "bmp" | "tif"
            | "tiff" | "jxl" | "apng" => Kind::Image,
            "woff" | "woff2" | "ttf" | "otf" | "eot" => Kind::Font,
            _ => Kind::Other,
        }
    }

    /// Formats a web server compresses on the fly; already-compressed formats (JPEG, WOFF2,
    /// video, archives) gain nothing and are served as they are.
    pub fn compressible(self, path: &str) -> bool {
        match self {
            Kind::Html | Kind::Css | Kind::Js | Kind::SourceMap => true,
            Kind::Image => matches!(extension(path), "svg" | "ico" | "bmp"),
            Kind::Font => matches!(extension(path), "ttf" | "otf" | "eot"),
            Kind::Other => matches!(
                extension(path),
                "json" | "webmanifest" | "xml" | "txt" | "wasm" | "csv" | "md" | "rss" | "atom"
            ),
        }
    }
}

/// The text after the last `.` of the last path segment (empty when there is none).
pub fn extension(path: &str) -> &str {
    let name = path.rsplit('/').next().unwrap_or(path);
    match name.rfind('.') {
        Some(i) if i > 0 => &name[i + 1..],
        _ => "",
    }
}

#[derive(Debug, Clone)]
pub enum Content {
    /// Read into memory: parsed and possibly rewritten.
    Text(String),
    /// Left on disk; `digest` is the blake3 of the bytes.
    Binary { digest: [u8; 32] },
}

#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Site-relative path with `/` separators.
    pub path: String,
    /// Where to read it from.
    pub disk: PathBuf,
    pub kind: Kind,
    pub size: u64,
    pub content: Content,
    /// The content was transformed after reading (JS minified): write it, do not copy `disk`.
    pub edited: bool,
    /// The file as discovered, once a transform changed it (see [`SourceFile::stash`]).
    pub original: Option<std::sync::Arc<SourceFile>>,
    /// Beyond a limit of [`crate::limits`] (nested too deep): no stage parses it, it is copied
    /// as it is. Its text is still searched for old names (see [`crate::guard`]).
    pub refused: bool,
}

impl SourceFile {
    /// Keeps the file as discovered before a transform changes it (minified, purged,
    /// optimized), so that a later stage can decide to leave it as it was.
    pub fn stash(&mut self) {
        if self.original.is_none() {
            let copy = SourceFile {
                original: None,
                ..self.clone()
            };
            self.original = Some(std::sync::Arc::new(copy));
        }
    }

    /// Puts back the file as discovered (undoes every transform since [`SourceFile::stash`]).
    pub fn restore(&mut self) {
        if let Some(original) = self.original.take() {
            *self = SourceFile::clone(&original);
        }
    }

    /// blake3 of its content (as held: a minified script's new text).
    pub fn digest(&self) -> [u8; 32] {
        match &self.content {
            Content::Text(t) => *blake3::hash(t.as_bytes()).as_bytes(),
            Content::Binary { digest } => *digest,
        }
    }
}

#[derive(Debug, Default)]
pub struct Discovered {
    pub files: Vec<SourceFile>,
    pub diagnostics: Vec<Diagnostic>,
}

/// The folder inside the output where distill keeps its manifest; never treated as input.
pub const DISTILL_DIR: &str = ".distill";

pub fn discover(root: &Path) -> Result<Discovered, Error> {
    let canonical_root = root.canonicalize().map_err(|e| Error::io(root, e))?;
    if !canonical_root.is_dir() {
        return Err(Error::input(root, "not a directory"));
    }
    let mut entries = Vec::new();
    let mut diagnostics = Vec::new();
    let walker = walkdir::WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| !(e.depth() == 1 && e.file_name() == DISTILL_DIR));
    for entry in walker {
        let entry = entry.map_err(|e| {
            let path = e.path().unwrap_or(root).to_path_buf();
            Error::input(&path, e.to_string())
        })?;
        if entry.depth() == 0 || entry.file_type().is_dir() {
            continue;
        }
        let rel = entry
            .path()
            .strip_prefix(root)
            .expect("walkdir yields paths under root");
        let Some(site_path) = site_path(rel) else {
            return Err(Error::input(
                entry.path(),
                "file name is not valid UTF-8; rename it (URLs cannot name it reliably)",
            ));
        };
        if entry.path_is_symlink() {
            match entry.path().canonicalize() {
                Ok(target) if target.starts_with(&canonical_root) && target.is_file() => {}
                Ok(target) if target.is_dir() => {
                    diagnostics.push(Diagnostic::warning(
                        &site_path,
                        None,
                        "symlink to a directory skipped (not followed)",
                    ));
                    continue;
                }
                _ => {
                    diagnostics.push(Diagnostic::warning(
                        &site_path,
                        None,
                        "symlink points outside the input folder or nowhere; skipped",
                    ));
                    continue;
                }
            }
        } else if !entry.file_type().is_file() {
            diagnostics.push(Diagnostic::warning(
                &site_path,
                None,
                "not a regular file; skipped",
            ));
            continue;
        }
        entries.push((site_path, entry.path().to_path_buf()));
    }

    let files: Vec<(String, PathBuf)> = drop_precompressed_siblings(entries, &mut diagnostics);
    let read = files
        .into_par_iter()
        .map(|(path, disk)| {
            crate::cancel::check()?;
            read_file(path, disk)
        })
        .collect::<Vec<Result<_, Error>>>();
    let mut files = Vec::with_capacity(read.len());
    let mut unreadable = Vec::new();
    for result in read {
        match result {
            Ok((file, note)) => {
                diagnostics.extend(note);
                files.push(file);
            }
            Err(Error::Io { path, source }) => unreadable.push((path, source.to_string())),
            Err(e) => return Err(e),
        }
    }
    // A file that cannot be read cannot be copied either: the output would be incomplete.
    // Name every such file at once, not only the first.
    if !unreadable.is_empty() {
        return Err(Error::Unreadable { files: unreadable });
    }
    Ok(Discovered { files, diagnostics })
}

fn site_path(rel: &Path) -> Option<String> {
    let mut parts = Vec::new();
    for component in rel.components() {
        parts.push(component.as_os_str().to_str()?);
    }
    Some(parts.join("/"))
}

/// `app.js.br` / `app.js.gz` beside `app.js` are derived copies: regenerated by
/// `[output] precompress` when asked for, and stale once `app.js` is renamed.
fn drop_precompressed_siblings(
    entries: Vec<(String, PathBuf)>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<(String, PathBuf)> {
    let names: std::collections::BTreeSet<&str> = entries.iter().map(|(p, _)| p.as_str()).collect();
    let derived: std::collections::BTreeSet<String> = entries
        .iter()
        .filter_map(|(p, _)| {
            let stem = p.strip_suffix(".br").or_else(|| p.strip_suffix(".gz"))?;
            names.contains(stem).then(|| p.clone())
        })
        .collect();
    if !derived.is_empty() {
        diagnostics.push(Diagnostic::note(
            derived.iter().next().expect("non-empty"),
            None,
            format!(
                "{} precompressed sibling(s) (.br/.gz) dropped; set [output] precompress to regenerate them",
                derived.len()
            ),
        ));
    }
    entries
        .into_iter()
        .filter(|(p, _)| !derived.contains(p))
        .collect()
}

/// Reads one file: text formats into memory (checked against [`crate::limits`]), everything
/// else (and text over [`crate::limits::MAX_TEXT_BYTES`]) only hashed, streamed.
fn read_file(path: String, disk: PathBuf) -> Result<(SourceFile, Option<Diagnostic>), Error> {
    let kind = Kind::from_path(&path);
    let is_text = matches!(kind, Kind::Html | Kind::Css | Kind::Js | Kind::SourceMap)
        || matches!(extension(&path), "json" | "webmanifest");
    let mut file = std::fs::File::open(&disk).map_err(|e| Error::io(&disk, e))?;
    let len = file.metadata().map_err(|e| Error::io(&disk, e))?.len();
    let mut source = SourceFile {
        path,
        disk,
        kind,
        size: len,
        content: Content::Binary { digest: [0; 32] },
        edited: false,
        original: None,
        refused: false,
    };
    if !is_text || len > crate::limits::MAX_TEXT_BYTES {
        let mut hasher = blake3::Hasher::new();
        source.size =
            std::io::copy(&mut file, &mut hasher).map_err(|e| Error::io(&source.disk, e))?;
        source.content = Content::Binary {
            digest: *hasher.finalize().as_bytes(),
        };
        let note = is_text.then(|| {
            source.refused = true;
            Diagnostic::warning(
                &source.path,
                None,
                format!(
                    "{} MB, over distill's limit of {} MB for a text file: copied as it is (not parsed, minified or searched), and the files it names keep their names only if nothing else renames them",
                    source.size / (1024 * 1024),
                    crate::limits::MAX_TEXT_BYTES / (1024 * 1024)
                ),
            )
        });
        return Ok((source, note));
    }
    let mut bytes = Vec::with_capacity(len as usize);
    file.read_to_end(&mut bytes)
        .map_err(|e| Error::io(&source.disk, e))?;
    source.size = bytes.len() as u64;
    source.content = match String::from_utf8(bytes) {
        Ok(text) => Content::Text(text),
        // Not UTF-8: no parser will take it; treat it as opaque bytes, name and all.
        Err(e) => Content::Binary {
            digest: *blake3::hash(e.as_bytes()).as_bytes(),
        },
    };
    if let Some(note) = too_large_to_parse(&source) {
        source.refused = true;
        return Ok((source, Some(note)));
    }
    let Content::Text(text) = &source.content else {
        return Ok((source, None));
    };
    let deep = match kind {
        Kind::Html => crate::limits::html(text),
        Kind::Css => crate::limits::css(text),
        Kind::Js => crate::limits::js(text),
        _ => None,
    };
    let note = deep.map(|deep| {
        source.refused = true;
        Diagnostic::warning(
            &source.path,
            Some(deep.line),
            format!("{deep}: copied as it is, not parsed, minified or rewritten; the files it names by their names keep them"),
        )
    });
    Ok((source, note))
}

/// The note for a script, sheet or page over its parsing limit ([`crate::limits`]): it is
/// refused (searched as text, copied as it is). Text only: bytes that are not UTF-8 are opaque
/// anyway.
fn too_large_to_parse(source: &SourceFile) -> Option<Diagnostic> {
    let (limit, language) = match source.kind {
        Kind::Js => (crate::limits::MAX_PARSED_JS_BYTES, "JavaScript"),
        Kind::Css => (crate::limits::MAX_PARSED_CSS_BYTES, "CSS"),
        Kind::Html => (crate::limits::MAX_PARSED_HTML_BYTES, "HTML"),
        _ => return None,
    };
    if source.size <= limit || !matches!(source.content, Content::Text(_)) {
        return None;
    }
    Some(Diagnostic::note(
        &source.path,
        None,
        format!(
            "{:.1} MB of {language}, over distill's limit of {} MB for parsing it: copied as it is (not minified, purged or rewritten), searched as text (every word in it counts as used for CSS purging, and the files it names keep their names)",
            source.size as f64 / (1024.0 * 1024.0),
            limit / (1024 * 1024)
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_by_extension() {
        assert_eq!(Kind::from_path("a/b/index.HTML"), Kind::Html);
        assert_eq!(Kind::from_path("x.mjs"), Kind::Js);
        assert_eq!(Kind::from_path("x.js.map"), Kind::SourceMap);
        assert_eq!(Kind::from_path("f/inter.woff2"), Kind::Font);
        assert_eq!(Kind::from_path("hero.JPG"), Kind::Image);
        assert_eq!(Kind::from_path(".htaccess"), Kind::Other);
        assert_eq!(extension(".htaccess"), "");
    }
}
