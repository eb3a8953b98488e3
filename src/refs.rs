//! The shared vocabulary of the transforms: a [`Reference`] is a URL a file wrote, what kind of
//! dependency it is, and where it sits. Scanners produce them; the plan resolves them; the
//! rewrite pass replaces them once the final names are known.

use std::ops::Range;

/// Why one file names another. Decides how a missing target is reported and how budgets (a
/// later stage) read the graph.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum RefKind {
    /// `<script src>`.
    Script,
    /// `<link rel=stylesheet>` and CSS `@import`.
    Stylesheet,
    /// `<link rel=preload|modulepreload|prefetch>`.
    Preload,
    /// JS static `import` / `export … from`.
    Import,
    /// JS `import('…')`.
    DynamicImport,
    /// `<img src>`: gets responsive variants and becomes a `<picture>`.
    Image,
    /// Images, fonts, media, icons, `url()` and `new URL(…, import.meta.url)`.
    Asset,
    /// `//# sourceMappingURL=`.
    SourceMap,
    /// `<a href>`, `<iframe src>`, `<form action>`: a page, usually; rewritten when it names an
    /// asset, never reported when missing (servers route pretty URLs).
    Navigation,
    /// A JS string that looks like a site path (Vite's asset URLs and `__vite__mapDeps`):
    /// rewritten only when it names an existing asset, never reported.
    Literal,
    /// The `url` of a service worker's precache entry (`{url, revision}`): relative to the
    /// worker; rewritten when it names an existing file, never reported.
    Precache,
}

impl RefKind {
    /// Whether a missing target is worth a warning.
    pub fn must_exist(self) -> bool {
        !matches!(
            self,
            RefKind::Navigation | RefKind::Literal | RefKind::Precache
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// The URL as written (HTML: the raw attribute text; CSS and JS: the string's value).
    pub url: String,
    pub kind: RefKind,
    /// 1-based line, for messages.
    pub line: u32,
    /// For JS only: the byte range of `url` in the source, so the rewrite is a splice.
    pub span: Option<Range<usize>>,
}

/// Line numbers of byte offsets in one text: the line breaks are found once (on first use), then
/// each lookup is a binary search. Counting line breaks from the start for every reference was
/// quadratic: a 20 MB bundle with a string literal every few hundred bytes took over ten minutes.
pub struct Lines<'t> {
    text: &'t str,
    breaks: std::cell::OnceCell<Vec<usize>>,
}

impl<'t> Lines<'t> {
    pub fn new(text: &'t str) -> Lines<'t> {
        Lines {
            text,
            breaks: std::cell::OnceCell::new(),
        }
    }

    /// 1-based line of `offset`.
    pub fn line(&self, offset: usize) -> u32 {
        let breaks = self.breaks.get_or_init(|| {
            let bytes = self.text.as_bytes();
            (0..bytes.len()).filter(|&i| bytes[i] == b'\n').collect()
        });
        breaks.partition_point(|&b| b < offset) as u32 + 1
    }
}

/// 1-based line number of a byte offset, for one message; use [`Lines`] for many.
pub fn line_of(text: &str, offset: usize) -> u32 {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count() as u32
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_agree_with_counting() {
        let text = "a\nbc\n\nd";
        let lines = Lines::new(text);
        for offset in 0..=text.len() + 2 {
            assert_eq!(lines.line(offset), line_of(text, offset), "{offset}");
        }
    }
}
