//! Parsing a stylesheet, a large one in pieces on every core.
//!
//! lightningcss parses on one thread (Tailwind 2's full build, 3.6 MB: ~90 ms here), and a
//! site often has one such sheet. A sheet over [`PIECE`] bytes is cut at top-level rule
//! boundaries that end a line (strings, comments, escapes and nesting respected), the pieces are
//! parsed in parallel and their rules joined into one sheet: every rule borrows from the same
//! source, so the result is the sheet a whole parse gives. Locations inside a piece count
//! lines from the piece's start ([`Parsed::line_offset`] corrects them). A sheet with
//! `@namespace` (its prefixes apply to later rules) is parsed whole, and so is one whose pieces
//! do not all parse (so its error is reported where a whole parse reports it).

use std::ops::Range;

use lightningcss::error::{Error, ParserError};
use lightningcss::stylesheet::{ParserOptions, StyleSheet};
use rayon::prelude::*;

/// Pieces are at least this large.
pub(crate) const PIECE: usize = 256 * 1024;

pub struct Parsed<'i> {
    pub sheet: StyleSheet<'i>,
    /// (index of the first top-level rule of a piece, lines before that piece).
    starts: Vec<(usize, u32)>,
}

impl Parsed<'_> {
    /// Lines to add to the (0-based) line of a location inside top-level rule `rule`.
    pub fn line_offset(&self, rule: usize) -> u32 {
        match self.starts.binary_search_by(|(first, _)| first.cmp(&rule)) {
            Ok(i) => self.starts[i].1,
            Err(0) => 0,
            Err(i) => self.starts[i - 1].1,
        }
    }
}

/// Parses `src` (with lightningcss's error recovery when `recover`).
pub fn parse(src: &str, recover: bool) -> Result<Parsed<'_>, Error<ParserError<'_>>> {
    let options = || ParserOptions {
        error_recovery: recover,
        ..ParserOptions::default()
    };
    let pieces = pieces(
        src,
        PIECE.max(src.len() / rayon::current_num_threads().max(1)),
    );
    if pieces.len() > 1 {
        let sheets: Vec<_> = pieces
            .par_iter()
            .map(|r| StyleSheet::parse(&src[r.clone()], options()))
            .collect();
        if sheets.iter().all(Result::is_ok) {
            let mut sheets = sheets.into_iter().map(|s| s.expect("checked"));
            let mut first = sheets.next().expect("two pieces or more");
            let mut starts = vec![(0, 0)];
            for (sheet, range) in sheets.zip(&pieces[1..]) {
                let lines = src[..range.start].bytes().filter(|&b| b == b'\n').count();
                starts.push((first.rules.0.len(), lines as u32));
                first.rules.0.extend(sheet.rules.0);
            }
            return Ok(Parsed {
                sheet: first,
                starts,
            });
        }
    }
    Ok(Parsed {
        sheet: StyleSheet::parse(src, options())?,
        starts: vec![(0, 0)],
    })
}

/// Byte ranges covering `src`, each at least `size` long (the last may be shorter), cut just
/// after a newline that follows the end of a top-level rule. One range when `src` is small or
/// declares a namespace.
pub(crate) fn pieces(src: &str, size: usize) -> Vec<Range<usize>> {
    if src.len() < 2 * size || src.contains("@namespace") {
        return std::iter::once(0..src.len()).collect();
    }
    let bytes = src.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut depth = 0usize;
    let mut i = 0;
    // After the end of a top-level rule, waiting for the end of its line.
    let mut ended = false;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 1,
            q @ (b'"' | b'\'') => {
                i += 1;
                while i < bytes.len() && bytes[i] != q && bytes[i] != b'\n' {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < bytes.len() && !(bytes[i] == b'*' && bytes[i + 1] == b'/') {
                    i += 1;
                }
                i += 1;
            }
            b'{' => {
                depth += 1;
                ended = false;
            }
            b'}' => {
                depth = depth.saturating_sub(1);
                ended = depth == 0;
            }
            b';' if depth == 0 => ended = true,
            b'\n' if ended => {
                ended = false;
                if i + 1 - start >= size && bytes.len() - (i + 1) >= size / 2 {
                    out.push(start..i + 1);
                    start = i + 1;
                }
            }
            b' ' | b'\t' | b'\r' | b'\n' => {}
            _ if depth == 0 => ended = false,
            _ => {}
        }
        i += 1;
    }
    if start < src.len() || out.is_empty() {
        out.push(start..src.len());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use lightningcss::stylesheet::PrinterOptions;

    #[test]
    fn cuts_only_between_top_level_rules() {
        let src = "a{b:c}\n@media x{d{e:f}\n}\n/* } \n */g{h:\"}\"}\ni{j:k}\n";
        let cuts = pieces(src, 1);
        let texts: Vec<&str> = cuts.iter().map(|r| &src[r.clone()]).collect();
        assert_eq!(texts.concat(), src);
        assert_eq!(
            texts,
            vec![
                "a{b:c}\n",
                "@media x{d{e:f}\n}\n",
                "/* } \n */g{h:\"}\"}\n",
                "i{j:k}\n"
            ]
        );
    }

    #[test]
    fn pieces_parse_to_the_whole_sheet() {
        let mut src = String::from("@import url(x.css);\n");
        for i in 0..40_000 {
            src.push_str(&format!(
                ".c{i}:hover > a[href$=\"}}\"] {{ color: red; }}\n"
            ));
            if i % 1000 == 0 {
                src.push_str("@media (min-width: 1px) {\n  .m { margin: 0 }\n}\n");
            }
        }
        assert!(pieces(&src, PIECE).len() > 1);
        let whole = StyleSheet::parse(&src, ParserOptions::default()).unwrap();
        let parsed = parse(&src, false).unwrap();
        assert!(parsed.starts.len() > 1);
        let print = |s: &StyleSheet| s.to_css(PrinterOptions::default()).unwrap().code;
        assert_eq!(print(&parsed.sheet), print(&whole));
        // Locations are corrected by the offset of the rule's piece.
        let rule = parsed.sheet.rules.0.len() - 1;
        let lightningcss::rules::CssRule::Style(last) = &parsed.sheet.rules.0[rule] else {
            panic!("a style rule");
        };
        assert_eq!(
            last.loc.line + parsed.line_offset(rule),
            src.lines().count() as u32 - 1
        );
    }
}
