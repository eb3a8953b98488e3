//! A fast first cut for purging: style rules that certainly match nothing are cut out of a
//! stylesheet's text before lightningcss parses it.
//!
//! A full framework build (Tailwind 2: 3.6 MB, 50,000 rules) is mostly rules for classes no
//! page uses, and parsing all of it into lightningcss's typed values costs far more than
//! deciding (~90 ms of one core). This pass reads only the structure: rule boundaries (strings,
//! comments, escapes and nesting respected) and each selector's text. It cuts a style rule only
//! when every one of its selectors names, outside parentheses, a class or id that no page has
//! (each compound of a selector must match some element: the styled one, an ancestor or a
//! sibling), and no word of it is a script token or safelisted: rules the full purge would
//! remove too. Anything it does not understand (`&`, namespaces, unbalanced
//! text, nested rules) is left for the full purge, which then runs on what remains. Hand-written
//! because no crate offers a selector-text scan without building the whole typed sheet.

use std::collections::HashSet;
use std::ops::Range;

/// What the pages and scripts can use, for [`prune`].
pub struct Used<'a> {
    pub classes: &'a HashSet<String>,
    pub ids: &'a HashSet<String>,
    /// Words of scripts and inline CSS: a selector naming one is kept.
    pub tokens: &'a HashSet<String>,
    /// Keeps a selector when it returns true for one of its words.
    pub safelisted: &'a (dyn Fn(&str) -> bool + Sync),
}

/// The sheet without the style rules that certainly match nothing, and the selectors cut (as
/// written); `None` when nothing was cut or the text is not understood. A large sheet is
/// worked on in pieces (see [`super::parse`]), in parallel; a piece not understood stays whole.
pub fn prune(text: &str, used: &Used) -> Option<(String, Vec<String>)> {
    use rayon::prelude::*;
    let pieces = super::parse::pieces(text, super::parse::PIECE);
    if pieces.len() == 1 {
        return prune_piece(text, used);
    }
    let done: Vec<Option<(String, Vec<String>)>> = pieces
        .par_iter()
        .map(|r| prune_piece(&text[r.clone()], used))
        .collect();
    if done.iter().all(Option::is_none) {
        return None;
    }
    let mut out = String::new();
    let mut removed = Vec::new();
    for (range, piece) in pieces.iter().zip(done) {
        match piece {
            Some((kept, cut)) => {
                out.push_str(&kept);
                removed.extend(cut);
            }
            None => out.push_str(&text[range.clone()]),
        }
    }
    Some((out, removed))
}

fn prune_piece(text: &str, used: &Used) -> Option<(String, Vec<String>)> {
    let mut scanner = Scanner {
        bytes: text.as_bytes(),
        text,
        at: 0,
        cut: Vec::new(),
        removed: Vec::new(),
        used,
    };
    scanner.rules(false)?;
    if scanner.cut.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut from = 0;
    for range in &scanner.cut {
        out.push_str(&text[from..range.start]);
        from = range.end;
    }
    out.push_str(&text[from..]);
    Some((out, scanner.removed))
}

struct Scanner<'a, 'u> {
    bytes: &'a [u8],
    text: &'a str,
    at: usize,
    cut: Vec<Range<usize>>,
    removed: Vec<String>,
    used: &'u Used<'u>,
}

/// At-rules whose block holds style rules.
const GROUPING: &[&str] = &[
    "media",
    "supports",
    "layer",
    "container",
    "document",
    "-moz-document",
];

impl Scanner<'_, '_> {
    /// A list of rules, up to the end of the text or (`nested`) the `}` closing the block.
    fn rules(&mut self, nested: bool) -> Option<()> {
        let mut keep_next = false;
        loop {
            // Whitespace and comments; a `/* distill-keep */` keeps the rule after it.
            loop {
                while self.at < self.bytes.len() && self.bytes[self.at].is_ascii_whitespace() {
                    self.at += 1;
                }
                if self.text[self.at..].starts_with("/*") {
                    let end = self.text[self.at + 2..].find("*/")? + self.at + 2;
                    keep_next |= self.text[self.at + 2..end].trim() == "distill-keep";
                    self.at = end + 2;
                } else if self.text[self.at..].starts_with("<!--")
                    || self.text[self.at..].starts_with("-->")
                {
                    return None;
                } else {
                    break;
                }
            }
            if self.at >= self.bytes.len() {
                return (!nested).then_some(());
            }
            if self.bytes[self.at] == b'}' {
                if !nested {
                    return None;
                }
                self.at += 1;
                return Some(());
            }
            let start = self.at;
            let (end, brace) = self.prelude()?;
            let prelude = &self.text[start..end];
            if !brace {
                // A statement (`@import …;`).
                self.at = end + 1;
                keep_next = false;
                continue;
            }
            self.at = end + 1;
            if let Some(name) = prelude.strip_prefix('@') {
                let name: String = name
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                    .collect::<String>()
                    .to_ascii_lowercase();
                if GROUPING.contains(&name.as_str()) {
                    self.rules(true)?;
                } else {
                    self.skip_block()?;
                }
                keep_next = false;
                continue;
            }
            let nested_rules = self.skip_block()?;
            if !keep_next && !nested_rules {
                let selectors = split_list(prelude)?;
                if selectors.iter().all(|s| self.dead(s)) {
                    self.cut.push(start..self.at);
                    self.removed
                        .extend(selectors.iter().map(|s| collapse_whitespace(s)));
                }
            }
            keep_next = false;
        }
    }

    /// From the start of a prelude to the `{` or `;` that ends it: (its position, whether a
    /// block follows).
    fn prelude(&mut self) -> Option<(usize, bool)> {
        let mut depth = 0usize;
        let mut i = self.at;
        while i < self.bytes.len() {
            if let Some(end) = self.opaque_end(i) {
                i = end? + 1;
                continue;
            }
            match self.bytes[i] {
                b'(' | b'[' => depth += 1,
                b')' | b']' => depth = depth.checked_sub(1)?,
                b'{' if depth == 0 => return Some((i, true)),
                b';' if depth == 0 => return Some((i, false)),
                b'}' if depth == 0 => return None,
                _ => {}
            }
            i += 1;
        }
        None
    }

    /// Past the `}` matching the `{` just consumed; whether the block held a nested block.
    fn skip_block(&mut self) -> Option<bool> {
        let mut depth = 1usize;
        let mut nested = false;
        let mut i = self.at;
        while i < self.bytes.len() {
            if let Some(end) = self.opaque_end(i) {
                i = end? + 1;
                continue;
            }
            match self.bytes[i] {
                b'{' => {
                    depth += 1;
                    nested = true;
                }
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        self.at = i + 1;
                        return Some(nested);
                    }
                }
                _ => {}
            }
            i += 1;
        }
        None
    }

    /// When an escape, a string or a comment starts at `i` (their braces and quotes do not
    /// count): the position of its last byte, or `None` inside when it never ends.
    fn opaque_end(&self, i: usize) -> Option<Option<usize>> {
        match self.bytes[i] {
            b'\\' => Some(Some(i + 1)),
            q @ (b'"' | b'\'') => Some(self.string_end(i, q)),
            b'/' if self.bytes.get(i + 1) == Some(&b'*') => {
                Some(self.text[i + 2..].find("*/").map(|e| e + i + 3))
            }
            _ => None,
        }
    }

    /// The position of the quote closing the string that opens at `open`.
    fn string_end(&self, open: usize, quote: u8) -> Option<usize> {
        let mut i = open + 1;
        while i < self.bytes.len() {
            match self.bytes[i] {
                b'\\' => i += 1,
                b'\n' => return None,
                b if b == quote => return Some(i),
                _ => {}
            }
            i += 1;
        }
        None
    }

    /// Whether the selector certainly matches nothing the site uses.
    fn dead(&self, selector: &str) -> bool {
        let Some(parts) = parts(selector) else {
            return false;
        };
        let absent = parts.required.iter().any(|(id, name)| {
            !if *id {
                self.used.ids
            } else {
                self.used.classes
            }
            .contains(name)
        });
        absent
            && !parts
                .words
                .iter()
                .any(|w| self.used.tokens.contains(w) || (self.used.safelisted)(w))
    }
}

/// What a selector's text says, for [`Scanner::dead`].
struct Parts {
    /// The classes (`false`) and ids (`true`) outside parentheses: each compound of a selector
    /// matches an element of the document (the styled one, an ancestor, a sibling), so every
    /// one of these must be on some element for the selector to match.
    required: Vec<(bool, String)>,
    /// Every name in it (classes, ids, tags, pseudo-class names, attribute names and values).
    words: Vec<String>,
}

/// `None` when the selector uses something this scan leaves to the full purge.
fn parts(selector: &str) -> Option<Parts> {
    let chars: Vec<char> = selector.trim().chars().collect();
    let mut required = Vec::new();
    let mut words = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '&' | '|' => return None,
            '(' | '[' => {
                depth += 1;
                i += 1;
            }
            ')' | ']' => {
                depth = depth.checked_sub(1)?;
                i += 1;
            }
            '"' | '\'' => {
                let mut j = i + 1;
                let mut text = String::new();
                while j < chars.len() && chars[j] != c {
                    if chars[j] == '\\' {
                        j += 1;
                    }
                    text.extend(chars.get(j));
                    j += 1;
                }
                words.extend(super::words(&text).map(str::to_string));
                i = j + 1;
            }
            '.' | '#' => {
                let (name, next) = ident(&chars, i + 1);
                if name.is_empty() {
                    return None;
                }
                if depth == 0 {
                    required.push((c == '#', name.clone()));
                }
                words.push(name);
                i = next;
            }
            _ if c == '\\' || c == '-' || c == '_' || c.is_alphanumeric() || !c.is_ascii() => {
                let (name, next) = ident(&chars, i);
                if name.is_empty() {
                    return None;
                }
                words.push(name);
                i = next;
            }
            _ => i += 1,
        }
    }
    Some(Parts { required, words })
}

/// The identifier starting at `from` (escapes decoded) and the position after it.
fn ident(chars: &[char], from: usize) -> (String, usize) {
    let mut out = String::new();
    let mut i = from;
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' {
            let hex: String = chars[i + 1..]
                .iter()
                .take(6)
                .take_while(|c| c.is_ascii_hexdigit())
                .collect();
            if hex.is_empty() {
                match chars.get(i + 1) {
                    Some(&next) if next != '\n' => out.push(next),
                    _ => return (String::new(), i),
                }
                i += 2;
            } else {
                let code = u32::from_str_radix(&hex, 16).unwrap_or(0xfffd);
                out.push(
                    char::from_u32(code)
                        .filter(|&c| c != '\0')
                        .unwrap_or('\u{fffd}'),
                );
                i += 1 + hex.len();
                if chars.get(i).is_some_and(|c| c.is_whitespace()) {
                    i += 1;
                }
            }
        } else if c == '-' || c == '_' || c.is_alphanumeric() || !c.is_ascii() {
            out.push(c);
            i += 1;
        } else {
            break;
        }
    }
    (out, i)
}

/// The selectors of a list (split at top-level commas); `None` for an empty one.
fn split_list(prelude: &str) -> Option<Vec<&str>> {
    let bytes = prelude.as_bytes();
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    let mut i = 0;
    let mut quote = None;
    while i < bytes.len() {
        match (bytes[i], quote) {
            (b'\\', _) => i += 1,
            (q, Some(open)) if q == open => quote = None,
            (_, Some(_)) => {}
            (q @ (b'"' | b'\''), None) => quote = Some(q),
            (b'(' | b'[', None) => depth += 1,
            (b')' | b']', None) => depth = depth.saturating_sub(1),
            (b',', None) if depth == 0 => {
                out.push(&prelude[start..i]);
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    out.push(&prelude[start..]);
    let out: Vec<&str> = out.into_iter().map(str::trim).collect();
    (!out.iter().any(|s| s.is_empty())).then_some(out)
}

fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(words: &[&str]) -> HashSet<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    fn run(css: &str, classes: &[&str], tokens: &[&str]) -> Option<(String, Vec<String>)> {
        let classes = set(classes);
        let ids = set(&["main"]);
        let tokens = set(tokens);
        let safelisted = |w: &str| w.starts_with("keep-");
        prune(
            css,
            &Used {
                classes: &classes,
                ids: &ids,
                tokens: &tokens,
                safelisted: &safelisted,
            },
        )
    }

    #[test]
    fn cuts_rules_whose_element_cannot_exist() {
        let css = "/* head */\n.a{x:1}\n.gone{x:2}\n.gone,.a{x:3}\n\
            .sm\\:gone:hover{x:4}\n.a .gone>p{x:5}\n.gone p{x:6}\n\
            @media (min-width:1px){.gone::before{x:7}.a{x:8}}\n\
            @keyframes k{from{x:9}}\n/* distill-keep */\n.gone2{x:10}\n\
            #main.gone{x:11}\n#nope{x:12}\n.js-gone{x:13}\n.keep-me{x:14}\n\
            :is(.gone){x:15}\n.x\\31 0{x:16}\n.a:not(.gone){x:17}\n";
        let (out, removed) = run(css, &["a", "p"], &["js-gone"]).unwrap();
        assert_eq!(
            removed,
            vec![
                ".gone",
                ".sm\\:gone:hover",
                ".a .gone>p",
                ".gone p",
                ".gone::before",
                "#main.gone",
                "#nope",
                ".x\\31 0"
            ]
        );
        for kept in [
            ".a{x:1}",
            ".gone,.a{x:3}",
            ".a{x:8}",
            "@keyframes k{from{x:9}}",
            ".gone2{x:10}",
            ".js-gone{x:13}",
            ".keep-me{x:14}",
            ":is(.gone){x:15}",
            ".a:not(.gone){x:17}",
        ] {
            assert!(out.contains(kept), "{kept} missing from {out}");
        }
        assert!(out.contains("@media (min-width:1px){.a{x:8}}"), "{out}");
    }

    #[test]
    fn a_large_sheet_is_cut_the_same_in_pieces() {
        let mut css = String::new();
        for i in 0..30_000 {
            css.push_str(&format!(".c{i}, .a > .d{i} {{ x: {i} }}\n"));
            if i % 500 == 0 {
                css.push_str("@media (min-width: 1px) {\n  .a { x: 1 }\n  .gone { x: 2 }\n}\n");
            }
        }
        assert!(super::super::parse::pieces(&css, super::super::parse::PIECE).len() > 1);
        let (whole, whole_cut) = run_piece(&css, &["a", "c7"]).unwrap();
        let (pieces, pieces_cut) = run(&css, &["a", "c7"], &[]).unwrap();
        assert_eq!(pieces, whole);
        assert_eq!(pieces_cut, whole_cut);
        assert!(whole.contains(".c7, .a > .d7 { x: 7 }"));
        assert!(!whole.contains(".c8,"));
    }

    fn run_piece(css: &str, classes: &[&str]) -> Option<(String, Vec<String>)> {
        let classes = set(classes);
        let empty = HashSet::new();
        let safelisted = |_: &str| false;
        prune_piece(
            css,
            &Used {
                classes: &classes,
                ids: &empty,
                tokens: &empty,
                safelisted: &safelisted,
            },
        )
    }

    #[test]
    fn leaves_what_it_does_not_understand() {
        assert!(run(".gone{x:1", &[], &[]).is_none());
        assert!(run(".gone{x:1}}", &[], &[]).is_none());
        assert!(run("svg|rect.gone{x:1}", &[], &[]).is_none());
        assert!(run(".gone{& .a{x:1}}", &[], &[]).is_none());
        assert!(run(".a{x:1}", &["a"], &[]).is_none());
        // Strings hide braces; escapes hide quotes.
        let (out, _) = run(".gone{content:\"}\"}\n.a{x:\"\\\"{\"}", &["a"], &[]).unwrap();
        assert_eq!(out, "\n.a{x:\"\\\"{\"}");
    }
}
