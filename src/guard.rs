//! Guard: after hash & rewrite, nothing may still ask for a renamed file by its old name.
//!
//! In: the plan, and the final names and texts from hash & rewrite. Out: the renamed files
//! that some output text still names, with where. Such a name sits where no rewriter looked: a
//! URL a runtime builds from pieces (webpack's `"static/js/"+{594:"about"}[e]+"."+{594:"2e883cdd"}[e]`,
//! Next's build manifest), a string inside a string (the RSC payload of Next's inline
//! scripts), an attribute only a framework reads (`data-src`, Astro's `component-url`), a
//! module id without its extension (Workbox's `define(["./workbox-2fbc6a65"])`). Renaming the
//! file would break that request, so the build pins those files (`Plan::pin`) and hashes again.
//!
//! Three forms are searched, each with the boundaries that make it a name and not part of a
//! longer one: the old file name (`about.2e883cdd.chunk.js`); its stem followed by a quote,
//! when the name carries a hash (`"./workbox-2fbc6a65"`); and each bundler hash in the old
//! name standing alone (`"2e883cdd"`), which is how chunk maps spell it. Source maps are not
//! searched (nothing fetches a URL from their `file` and `sources`), nor are the build
//! manifests distill rewrote (their keys are names, their values were rewritten).

use std::collections::BTreeMap;

use aho_corasick::AhoCorasick;
use rayon::prelude::*;

use crate::discover::Kind;
use crate::hash::Hashed;
use crate::plan::{Body, Plan};

/// A renamed file that an output text still names.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Stale {
    /// The renamed file (index into `plan.files`).
    pub target: usize,
    /// The file whose text names it, and the 1-based line.
    pub by: usize,
    pub line: u32,
    /// What was found.
    pub found: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    Name,
    StemBeforeQuote,
    Token,
}

/// Every renamed input file some output text still names, at most one finding per file (the
/// first, in path order).
pub fn stale(plan: &Plan, hashed: &Hashed) -> Vec<Stale> {
    let mut patterns: BTreeMap<&str, Vec<(usize, Form)>> = BTreeMap::new();
    for (i, file) in plan.files[..plan.inputs].iter().enumerate() {
        if hashed.paths[i] == file.source.path {
            continue;
        }
        let name = file.name();
        patterns.entry(name).or_default().push((i, Form::Name));
        let tokens = crate::names::hash_tokens(name);
        let (stem, ext) = crate::names::split_extension(name);
        if !tokens.is_empty() && !ext.is_empty() {
            patterns
                .entry(stem)
                .or_default()
                .push((i, Form::StemBeforeQuote));
        }
        // A token searched alone must look random (a digit), or a word would match prose.
        for token in tokens
            .into_iter()
            .filter(|t| t.bytes().any(|b| b.is_ascii_digit()))
        {
            patterns.entry(token).or_default().push((i, Form::Token));
        }
    }
    if patterns.is_empty() {
        return Vec::new();
    }
    let texts: Vec<&str> = patterns.keys().copied().collect();
    let owners: Vec<&Vec<(usize, Form)>> = patterns.values().collect();
    let Ok(searcher) = AhoCorasick::new(&texts) else {
        return Vec::new();
    };
    let mut found: Vec<Stale> = (0..plan.files.len())
        .into_par_iter()
        // Source maps name files for debuggers, not browsers; a build manifest distill rewrote
        // has names as its keys (`"main.js"`), not URLs.
        .filter(|&j| {
            plan.files[j].source.kind != Kind::SourceMap
                && !matches!(plan.files[j].body, Body::Json(_))
        })
        .flat_map_iter(|j| {
            let text = hashed.contents[j]
                .as_deref()
                .or_else(|| plan.files[j].text())
                .unwrap_or("");
            let bytes = text.as_bytes();
            let mut out = Vec::new();
            let lines = crate::refs::Lines::new(text);
            for m in searcher.find_overlapping_iter(text) {
                let (before, after) = (
                    m.start().checked_sub(1).map(|k| bytes[k]),
                    bytes.get(m.end()..).unwrap_or_default(),
                );
                if in_prose(text, m.start(), m.end()) {
                    continue;
                }
                for &(target, form) in owners[m.pattern().as_usize()] {
                    if target != j && bounded(form, before, after) {
                        out.push(Stale {
                            target,
                            by: j,
                            line: lines.line(m.start()),
                            found: text[m.start()..m.end()].to_string(),
                        });
                    }
                }
            }
            out
        })
        .collect();
    found.sort();
    found.dedup_by_key(|s| s.target);
    found
}

/// Whether the match at `start..end` is a word of a comment (`// Uses what visits.js
/// defines`, `/*! app.js v2 */`, `<!-- see app.css -->`): set off by spaces rather than quotes
/// or slashes, after a comment opener on its line. A name a runtime asks for sits in a string
/// or a path, which this never skips, however long a minified line is.
fn in_prose(text: &str, start: usize, end: usize) -> bool {
    let bytes = text.as_bytes();
    let before = start.checked_sub(1).map_or(b' ', |k| bytes[k]);
    let after = bytes.get(end).copied().unwrap_or(b' ');
    let spaced_before = matches!(before, b' ' | b'\t' | b'(' | b'*');
    let spaced_after = matches!(
        after,
        b' ' | b'\t' | b'\n' | b'\r' | b')' | b',' | b':' | b';'
    ) || (after == b'.'
        && bytes.get(end + 1).is_none_or(u8::is_ascii_whitespace));
    if !spaced_before || !spaced_after {
        return false;
    }
    let line_start = text[..start].rfind('\n').map_or(0, |k| k + 1);
    let line = &text[line_start..start];
    line.contains("//")
        || line.contains("/*")
        || line.contains("<!--")
        || line.trim_start().starts_with('*')
}

/// Whether a match with the byte `before` it and the text `after` it stands for the name
/// itself, not for part of a longer name (`app.js` in `app.js.map` or `my-app.js`).
fn bounded(form: Form, before: Option<u8>, after: &[u8]) -> bool {
    let word = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'$');
    let b = before.unwrap_or(b' ');
    let a = after.first().copied();
    match form {
        Form::Name => {
            let longer = match after {
                [b'.', next, ..] => next.is_ascii_alphanumeric(),
                _ => false,
            };
            !word(b) && b != b'.' && !a.is_some_and(word) && !longer
        }
        Form::StemBeforeQuote => {
            !word(b) && b != b'.' && a.is_some_and(|a| matches!(a, b'"' | b'\'' | b'`'))
        }
        Form::Token => {
            !word(b) && !matches!(b, b'.' | b'#') && !a.is_some_and(|a| word(a) || a == b'.')
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bounded_in(form: Form, text: &str, needle: &str) -> bool {
        let at = text.find(needle).unwrap();
        let before = at.checked_sub(1).map(|k| text.as_bytes()[k]);
        bounded(form, before, &text.as_bytes()[at + needle.len()..])
    }

    #[test]
    fn names_stand_alone() {
        assert!(bounded_in(Form::Name, r#"src="/assets/app.js""#, "app.js"));
        assert!(bounded_in(
            Form::Name,
            r#"\"static/chunks/app.js\""#,
            "app.js"
        ));
        assert!(!bounded_in(Form::Name, "app.js.map", "app.js"));
        assert!(!bounded_in(Form::Name, "my-app.js", "app.js"));
        assert!(!bounded_in(Form::Name, "main.app.js", "app.js"));
        assert!(bounded_in(Form::Name, "see app.js. Then", "app.js"));
    }

    #[test]
    fn comments_are_prose() {
        let inline = "<script>\n  // Uses the global that visits.js defines.\n</script>";
        let at = inline.find("visits.js").unwrap();
        assert!(in_prose(inline, at, at + 9));
        let banner = "/*! visits.js v2 */";
        assert!(in_prose(banner, 4, 13));
        // A quoted name after a URL with `//` on a minified line is code.
        let code = r#"a="http://www.w3.org/2000/svg";import("./visits.js")"#;
        let at = code.find("visits.js").unwrap();
        assert!(!in_prose(code, at, at + 9));
        // A lazy loader's srcset in an attribute is not a comment.
        let lazy = r#"<img data-srcset="a.jpg 1x, visits.js 2x">"#;
        let at = lazy.find("visits.js").unwrap();
        assert!(!in_prose(lazy, at, at + 9));
    }

    #[test]
    fn runtime_pieces_are_found() {
        let webpack = r#""static/js/"+{594:"about"}[e]+"."+{594:"2e883cdd"}[e]+".chunk.js""#;
        assert!(bounded_in(Form::Token, webpack, "2e883cdd"));
        // In a rewritten name the old hash is part of a longer name.
        assert!(!bounded_in(
            Form::Token,
            "594.2e883cdd.chunk.1a2b3c4d.js",
            "2e883cdd"
        ));
        assert!(!bounded_in(Form::Token, "color:#2e883cdd", "2e883cdd"));
        let workbox = r#"define(["./workbox-2fbc6a65"],function(e){"#;
        assert!(bounded_in(
            Form::StemBeforeQuote,
            workbox,
            "workbox-2fbc6a65"
        ));
        assert!(!bounded_in(
            Form::StemBeforeQuote,
            "workbox-2fbc6a65.js",
            "workbox-2fbc6a65"
        ));
    }
}
