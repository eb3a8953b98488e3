//! Limits: how deep a text may nest, and how large it may be, before distill leaves it alone.
//!
//! The parsers distill relies on (lightningcss, swc, html5ever) recurse once per nesting level,
//! and a few of their steps walk the whole nesting on every element. A stack overflow aborts the
//! process (it cannot be caught), and html5ever's scope checks make 100,000 nested `<div>`s
//! take minutes. So every text is measured here first, in one linear pass that knows only
//! enough of each language to skip strings and comments, and a text beyond a limit is copied
//! unchanged with a warning that names the line and the limit. The limits sit far above what
//! real builds reach (see the tests, which measure every bundle of the framework fixtures) and
//! far below what the worker threads' stacks hold ([`WORKER_STACK`]).
//!
//! A leaf module: it imports nothing of the crate.

/// Text files larger than this are copied as they are (streamed, never read into memory), not
/// parsed, minified or rewritten.
pub const MAX_TEXT_BYTES: u64 = 50 * 1024 * 1024;

/// JavaScript files larger than this are not parsed (nor minified or rewritten): swc's syntax
/// tree takes about 25 times the source in memory (a 23 MB bundle: 650 MB, and as much again for
/// the words CSS purging looks for), and two workers may parse at once. They are searched as
/// text instead: every word in them counts as used, and what they name keeps its name.
pub const MAX_PARSED_JS_BYTES: u64 = 4 * 1024 * 1024;

/// CSS files larger than this are not parsed (nor purged, minified or rewritten): lightningcss
/// and the purge stage together take about 25 times the source in memory (20 MB of Bootstrap:
/// 550 MB). Real sheets stay far below it (a full Tailwind 2 development build is 3.6 MB).
/// They are copied as they are, with a note; what they name keeps its name.
pub const MAX_PARSED_CSS_BYTES: u64 = 8 * 1024 * 1024;

/// HTML files larger than this are not parsed (nor rewritten): a DOM node costs scraper about a
/// hundred bytes, so 20 MB of nothing but `<!-->` took 600 MB (20 MB of a real Bootstrap page,
/// 400 MB). Pages this large are generated reports and single-page manuals, rare on a site.
pub const MAX_PARSED_HTML_BYTES: u64 = 8 * 1024 * 1024;

/// CSS: nested blocks, functions and brackets together (`a{b{`, `:is(:is(`, `calc(calc(`).
/// lightningcss's printer keeps its indentation in a `u8` (two per block, so it overflows past
/// 127 blocks) and its selector parser takes about 23 kB of stack per `:is(`.
pub const CSS_DEPTH: usize = 100;

/// CSS math functions (`calc(`, `min(`, `clamp(`… and the brackets inside them): lightningcss
/// retries each level when one does not parse, so its time doubles with every level of an
/// unclosed or invalid nest (22 levels: 11 s, 24: over 30 s). Real sheets nest 3 or 4.
pub const CSS_MATH_DEPTH: usize = 12;

/// JS: brackets plus the operators and keywords that nest expressions and statements without
/// brackets (`a||a||…`, `!!!…`, `a?b:a?b:…`, `if(a)if(a)…`, `else if` chains, `f()()()…`),
/// each counted once.
pub const JS_DEPTH: usize = 4_000;

/// HTML: open elements. Chromium's parser stops nesting at 512 too
/// (`kMaximumHTMLParserDOMTreeDepth`); html5ever does not, and walks the open elements on
/// every tag.
pub const HTML_DEPTH: usize = 512;

/// The stack of each worker thread. Parsing a text at the limits above takes a few MB of it
/// (measured by `tests/hostile.rs`); the rest is margin. Only the pages a thread touches count
/// towards memory.
pub const WORKER_STACK: usize = 64 * 1024 * 1024;

/// A text nested deeper than its language's limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooDeep {
    /// 1-based line where the nesting first passed the limit.
    pub line: u32,
    pub limit: usize,
    /// What nests, for the message.
    pub what: &'static str,
}

impl std::fmt::Display for TooDeep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} nested more than {} deep (distill's limit) by line {}",
            self.what, self.limit, self.line
        )
    }
}

/// Checks a CSS text.
pub fn css(text: &str) -> Option<TooDeep> {
    let (line, math) = css_depth(text.as_bytes(), CSS_DEPTH, CSS_MATH_DEPTH)?;
    Some(if math {
        TooDeep {
            line,
            limit: CSS_MATH_DEPTH,
            what: "CSS math functions (calc, min, max, clamp…)",
        }
    } else {
        TooDeep {
            line,
            limit: CSS_DEPTH,
            what: "CSS blocks and functions",
        }
    })
}

/// Checks a JS text.
pub fn js(text: &str) -> Option<TooDeep> {
    Js::new(text.as_bytes(), JS_DEPTH)
        .run()
        .map(|line| TooDeep {
            line,
            limit: JS_DEPTH,
            what: "JS expressions and statements",
        })
}

/// Checks an HTML text: its elements, and the CSS and JS of its `<style>` and `<script>`
/// elements and `style` attributes.
pub fn html(text: &str) -> Option<TooDeep> {
    html_depth(text, HTML_DEPTH)
}

/// Line of the first byte at which `{`, `(` and `[` (outside strings and comments) nest
/// deeper than `limit`, or brackets inside math functions deeper than `math_limit` (then
/// `true`). An unclosed bracket counts as open to the end.
fn css_depth(b: &[u8], limit: usize, math_limit: usize) -> Option<(u32, bool)> {
    let (mut i, mut line) = (0, 1u32);
    // Each open bracket: whether it is a math function's (or inside one).
    let mut open: Vec<bool> = Vec::new();
    let mut math = 0usize;
    while i < b.len() {
        match b[i] {
            b'\n' => line += 1,
            b'\\' => i += 1,
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let end = find(b, i + 2, b"*/").map_or(b.len(), |e| e + 2);
                line += count_lines(&b[i..end]);
                i = end;
                continue;
            }
            q @ (b'"' | b'\'') => {
                let end = string_end(b, i + 1, q);
                line += count_lines(&b[i..end]);
                i = end;
                continue;
            }
            c @ (b'{' | b'(' | b'[') => {
                let is_math = c == b'(' && (open.last() == Some(&true) || math_function(&b[..i]));
                open.push(is_math);
                math += usize::from(is_math);
                if open.len() > limit || math > math_limit {
                    return Some((line, math > math_limit));
                }
            }
            b'}' | b')' | b']' => math -= usize::from(open.pop() == Some(true)),
            _ => {}
        }
        i += 1;
    }
    None
}

/// Whether the text before a `(` ends with the name of a CSS math function.
fn math_function(before: &[u8]) -> bool {
    const MATH: [&[u8]; 21] = [
        b"calc", b"min", b"max", b"clamp", b"round", b"mod", b"rem", b"sin", b"cos", b"tan",
        b"asin", b"acos", b"atan", b"atan2", b"pow", b"sqrt", b"hypot", b"log", b"exp", b"abs",
        b"sign",
    ];
    let start = before
        .iter()
        .rposition(|c| !(c.is_ascii_alphanumeric() || *c == b'-'))
        .map_or(0, |p| p + 1);
    let name = &before[start..];
    // Vendor forms (`-webkit-calc(`) too.
    let name = name.rsplit(|&c| c == b'-').next().unwrap_or(name);
    MATH.iter().any(|m| name.eq_ignore_ascii_case(m))
}

/// Index just past a string that opened before `from` with quote `q` (or at the line end, where
/// an unterminated string ends in CSS and JS alike).
fn string_end(b: &[u8], mut i: usize, q: u8) -> usize {
    while i < b.len() {
        match b[i] {
            b'\\' => i += 1,
            b'\n' => return i,
            c if c == q => return i + 1,
            _ => {}
        }
        i += 1;
    }
    b.len()
}

fn find(b: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    b.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

fn find_ci(b: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    b.get(from..)?
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
        .map(|p| p + from)
}

fn count_lines(b: &[u8]) -> u32 {
    b.iter().filter(|&&c| c == b'\n').count() as u32
}

/// One open bracket of a JS text, with what nests inside it without brackets.
#[derive(Clone, Copy)]
struct Frame {
    /// Opened by `${` inside a template literal: its `}` goes back to the template.
    template: bool,
    /// Operators, keywords and calls since the last `,` or `;` at this level.
    chain: usize,
    /// `else if`s of the statement at this level (a chain nests however it is separated).
    elses: usize,
    /// A statement just ended at this level (`;` or a block's `}`): unless it goes on with
    /// `else`, the next token starts another one.
    ended: bool,
}

/// What came before, for telling a regular expression from a division and a call from a group.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Prev {
    /// An operator, an opening bracket, `,`, `;`, a keyword: a `/` here starts a regex.
    Operator,
    /// A name, a number, a string, a closing bracket: a `/` divides, a `(` calls.
    Value,
}

/// The JS measure: a stack of frames, and the running total of brackets plus chains.
struct Js<'a> {
    b: &'a [u8],
    limit: usize,
    i: usize,
    line: u32,
    stack: Vec<Frame>,
    /// The top level's chain and elses live in this frame.
    top: Frame,
    load: usize,
    prev: Prev,
    /// A newline after a value: the statement may have ended (no semicolon), unless the next
    /// token continues it.
    newline: bool,
}

const JS_KEYWORDS: [&[u8]; 11] = [
    b"if", b"new", b"typeof", b"void", b"delete", b"await", b"yield", b"return", b"throw", b"case",
    b"in",
];

impl<'a> Js<'a> {
    fn new(b: &'a [u8], limit: usize) -> Self {
        let frame = Frame {
            template: false,
            chain: 0,
            elses: 0,
            ended: false,
        };
        Js {
            b,
            limit,
            i: 0,
            line: 1,
            stack: Vec::new(),
            top: frame,
            load: 0,
            prev: Prev::Operator,
            newline: false,
        }
    }

    fn frame(&mut self) -> &mut Frame {
        self.stack.last_mut().unwrap_or(&mut self.top)
    }

    /// Adds to the current level's chain; true when the total passes the limit.
    fn chain(&mut self, by: usize) -> bool {
        self.frame().chain += by;
        self.load += by;
        self.load > self.limit
    }

    fn reset_chain(&mut self) {
        let chain = std::mem::take(&mut self.frame().chain);
        self.load -= chain;
    }

    fn open(&mut self, template: bool) -> bool {
        self.stack.push(Frame {
            template,
            chain: 0,
            elses: 0,
            ended: false,
        });
        self.load += 1;
        self.load > self.limit
    }

    /// Closes the innermost bracket; returns whether it was a template's `${`.
    fn close(&mut self) -> bool {
        match self.stack.pop() {
            Some(f) => {
                self.load -= 1 + f.chain + f.elses;
                f.template
            }
            None => false,
        }
    }

    fn run(mut self) -> Option<u32> {
        while self.i < self.b.len() {
            if self.step() {
                return Some(self.line);
            }
        }
        None
    }

    /// One token; true when the nesting passed the limit.
    fn step(&mut self) -> bool {
        let b = self.b;
        let c = b[self.i];
        if c == b'\n' {
            self.line += 1;
            self.newline = self.prev == Prev::Value;
            self.i += 1;
            return false;
        }
        if c.is_ascii_whitespace() {
            self.i += 1;
            return false;
        }
        if c == b'/' && matches!(b.get(self.i + 1), Some(b'/' | b'*')) {
            let end = if b[self.i + 1] == b'/' {
                find(b, self.i, b"\n").unwrap_or(b.len())
            } else {
                find(b, self.i + 2, b"*/").map_or(b.len(), |e| e + 2)
            };
            self.skip_to(end);
            return false;
        }
        // A line break or a block's end after which no operator continues: a new statement.
        let continues = is_operator(c) || c == b'(' || c == b'[';
        if std::mem::take(&mut self.newline) && !continues {
            self.reset_chain();
        }
        if std::mem::take(&mut self.frame().ended)
            && !continues
            && !self.b[self.i..].starts_with(b"else")
        {
            self.reset_chain();
            let elses = std::mem::take(&mut self.frame().elses);
            self.load -= elses;
        }
        match c {
            b'"' | b'\'' => {
                let end = string_end(b, self.i + 1, c);
                self.skip_to(end);
                self.prev = Prev::Value;
                false
            }
            b'`' => self.template(self.i + 1),
            b'/' if self.prev == Prev::Operator => {
                let end = regex_end(b, self.i + 1);
                self.skip_to(end);
                self.prev = Prev::Value;
                false
            }
            b'(' | b'[' | b'{' => self.bracket(c),
            b'}' if self.stack.last().is_some_and(|f| f.template) => {
                self.close();
                self.template(self.i + 1)
            }
            b')' | b']' | b'}' => {
                self.close();
                self.frame().ended = c == b'}';
                self.i += 1;
                // After `}` a regex may start (a block ended); after `)` and `]` a `/` divides.
                self.prev = if c == b'}' {
                    Prev::Operator
                } else {
                    Prev::Value
                };
                false
            }
            b',' | b';' => {
                self.reset_chain();
                self.frame().ended = c == b';';
                self.i += 1;
                self.prev = Prev::Operator;
                false
            }
            c if is_operator(c) => self.operators(),
            c if c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80 => self.word(),
            _ => {
                self.i += 1;
                self.prev = Prev::Operator;
                false
            }
        }
    }

    /// A run of operator characters (`||`, `===`, `?.`, `=>`, `&&!`): one link of a chain, plus
    /// one per unary operator in it (`!!!!a` nests four deep, `+-+-a` two).
    fn operators(&mut self) -> bool {
        let b = self.b;
        let start = self.i;
        while self.i < b.len() && is_operator(b[self.i]) {
            // A `/` after an operator starts a regex or a comment, not more operators.
            if b[self.i] == b'/' && self.i > start {
                break;
            }
            self.i += 1;
        }
        let run = &b[start..self.i];
        let unary = run.iter().filter(|&&c| c == b'!' || c == b'~').count()
            + run.iter().filter(|&&c| c == b'+' || c == b'-').count() / 2;
        self.prev = Prev::Operator;
        self.chain(1 + unary)
    }

    fn skip_to(&mut self, end: usize) {
        self.line += count_lines(&self.b[self.i..end]);
        self.i = end;
    }

    fn bracket(&mut self, c: u8) -> bool {
        // A call or an index continues a chain at this level (`f()()()`, `a[0][0]`).
        let called = c != b'{' && self.prev == Prev::Value && self.chain(1);
        self.i += 1;
        self.prev = Prev::Operator;
        called || self.open(false)
    }

    fn word(&mut self) -> bool {
        let b = self.b;
        let start = self.i;
        while self.i < b.len()
            && (b[self.i].is_ascii_alphanumeric()
                || matches!(b[self.i], b'_' | b'$' | b'.')
                || b[self.i] >= 0x80)
        {
            // A `.` joins a number (`1.5`), not a member chain (`a.b`).
            if b[self.i] == b'.' && !b[start].is_ascii_digit() {
                break;
            }
            self.i += 1;
        }
        let word = &b[start..self.i];
        if word == b"else" {
            self.prev = Prev::Operator;
            return false;
        }
        if word == b"if" && self.b[..start].trim_ascii_end().ends_with(b"else") {
            self.frame().elses += 1;
            self.load += 1;
            return self.load > self.limit;
        }
        if JS_KEYWORDS.contains(&word) {
            self.prev = Prev::Operator;
            return self.chain(1);
        }
        self.prev = Prev::Value;
        false
    }

    /// Inside a template literal from `from`: up to its closing backtick, or into a `${`.
    fn template(&mut self, from: usize) -> bool {
        let b = self.b;
        let mut i = from;
        while i < b.len() {
            match b[i] {
                b'\\' => i += 1,
                b'`' => {
                    self.skip_to(i + 1);
                    self.prev = Prev::Value;
                    return false;
                }
                b'$' if b.get(i + 1) == Some(&b'{') => {
                    self.skip_to(i + 2);
                    self.prev = Prev::Operator;
                    return self.open(true);
                }
                _ => {}
            }
            i += 1;
        }
        self.skip_to(b.len());
        false
    }
}

fn is_operator(c: u8) -> bool {
    matches!(
        c,
        b'+' | b'-'
            | b'*'
            | b'/'
            | b'%'
            | b'&'
            | b'|'
            | b'^'
            | b'!'
            | b'~'
            | b'<'
            | b'>'
            | b'='
            | b'?'
            | b':'
            | b'.'
    )
}

/// Index just past a regular expression literal's flags (or at the line end, where an
/// unterminated one ends).
fn regex_end(b: &[u8], mut i: usize) -> usize {
    let mut class = false;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 1,
            b'\n' => return i,
            b'[' => class = true,
            b']' => class = false,
            b'/' if !class => {
                i += 1;
                while i < b.len() && b[i].is_ascii_alphabetic() {
                    i += 1;
                }
                return i;
            }
            _ => {}
        }
        i += 1;
    }
    b.len()
}

/// Elements whose end tag may be left out: they close themselves at the next sibling, so they
/// are not counted as nesting (a list of 10,000 `<li>`s without `</li>` is flat).
const OPTIONAL_END: [&str; 16] = [
    "li", "dt", "dd", "p", "tr", "td", "th", "option", "optgroup", "thead", "tbody", "tfoot", "rt",
    "rp", "colgroup", "caption",
];

const VOID: [&str; 14] = [
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
    "wbr", "param",
];

fn html_depth(text: &str, limit: usize) -> Option<TooDeep> {
    let b = text.as_bytes();
    let (mut i, mut line) = (0, 1u32);
    let mut open: Vec<String> = Vec::new();
    let too_deep = |line, what, limit| Some(TooDeep { line, limit, what });
    while let Some(lt) = find(b, i, b"<") {
        line += count_lines(&b[i..lt]);
        i = lt;
        if b[i..].starts_with(b"<!--") {
            let end = find(b, i + 4, b"-->").map_or(b.len(), |e| e + 3);
            line += count_lines(&b[i..end]);
            i = end;
            continue;
        }
        let closing = b.get(i + 1) == Some(&b'/');
        let name_start = i + 1 + usize::from(closing);
        let name_end = b[name_start..]
            .iter()
            .position(|c| !(c.is_ascii_alphanumeric() || *c == b'-'))
            .map_or(b.len(), |p| p + name_start);
        if name_end == name_start || !b[name_start].is_ascii_alphabetic() {
            i += 1;
            continue;
        }
        let name = text[name_start..name_end].to_ascii_lowercase();
        let tag_end = tag_end(b, name_end);
        let tag = &text[i..tag_end];
        if let Some(attrs_line) = style_attributes_too_deep(tag) {
            return too_deep(line + attrs_line, "CSS blocks and functions", CSS_DEPTH);
        }
        line += count_lines(tag.as_bytes());
        i = tag_end;
        if closing {
            if let Some(at) = open.iter().rposition(|n| *n == name) {
                open.truncate(at);
            }
            continue;
        }
        if matches!(
            name.as_str(),
            "script" | "style" | "textarea" | "title" | "xmp"
        ) {
            let close = format!("</{name}");
            let end = find_ci(b, i, close.as_bytes()).unwrap_or(b.len());
            let body = &text[i..end];
            let deep = match name.as_str() {
                "script" => js(body),
                "style" => css(body),
                _ => None,
            };
            if let Some(deep) = deep {
                return Some(TooDeep {
                    line: line + deep.line - 1,
                    ..deep
                });
            }
            line += count_lines(body.as_bytes());
            i = end;
            continue;
        }
        if tag.ends_with("/>")
            || VOID.contains(&name.as_str())
            || OPTIONAL_END.contains(&name.as_str())
        {
            continue;
        }
        open.push(name);
        if open.len() > limit {
            return too_deep(line, "HTML elements", limit);
        }
    }
    None
}

/// Index just past a tag's `>` (quoted attribute values may hold `>`).
fn tag_end(b: &[u8], mut i: usize) -> usize {
    while i < b.len() {
        match b[i] {
            b'>' => return i + 1,
            q @ (b'"' | b'\'') => {
                i = find(b, i + 1, &[q]).map_or(b.len(), |e| e + 1);
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    b.len()
}

/// The lines (0-based, within the tag) at which a `style` attribute nests too deep.
fn style_attributes_too_deep(tag: &str) -> Option<u32> {
    let lower = tag.to_ascii_lowercase();
    let mut from = 0;
    while let Some(at) = lower[from..].find("style=").map(|p| p + from) {
        from = at + 6;
        let rest = &tag.as_bytes()[from..];
        let value = match rest.first() {
            Some(&q @ (b'"' | b'\'')) => {
                let end = find(rest, 1, &[q]).unwrap_or(rest.len());
                &rest[1..end]
            }
            _ => rest,
        };
        if css_depth(value, CSS_DEPTH, CSS_MATH_DEPTH).is_some() {
            return Some(count_lines(&tag.as_bytes()[..at]));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nest(open: &str, inner: &str, close: &str, n: usize) -> String {
        format!("{}{inner}{}", open.repeat(n), close.repeat(n))
    }

    #[test]
    fn css_depth_counts_blocks_and_functions_outside_strings_and_comments() {
        assert!(css(&nest("a{", "", "}", CSS_DEPTH)).is_none());
        assert_eq!(css(&nest("a{", "", "}", CSS_DEPTH + 1)).unwrap().line, 1);
        assert!(css(&format!("a{{width:{}}}", "calc(1px + ".repeat(500))).is_some());
        assert!(css(&nest(":is(", "b", ")", 200)).is_some());
        let quoted = format!(
            "a{{content:\"{}\"}}/*{}*/",
            "(".repeat(500),
            "{".repeat(500)
        );
        assert!(css(&quoted).is_none());
        let deep_on_line_3 = format!("a{{}}\nb{{}}\n{}", "c{".repeat(200));
        assert_eq!(css(&deep_on_line_3).unwrap().line, 3);
        // Math functions have their own, lower limit; brackets inside them count.
        let math = |open: &str, n| format!("a{{width:{}1px{}}}", open.repeat(n), ")".repeat(n));
        assert!(css(&math("calc(", CSS_MATH_DEPTH)).is_none());
        for open in ["calc(", "min(1px,", "-webkit-calc(", "CLAMP(1px,"] {
            let deep = css(&math(open, CSS_MATH_DEPTH + 1)).unwrap();
            assert_eq!(deep.limit, CSS_MATH_DEPTH, "{open}");
        }
        assert!(css(&format!("a{{width:calc({}", "(".repeat(CSS_MATH_DEPTH))).is_some());
        assert!(css(&math("var(--a,", 50)).is_none());
    }

    #[test]
    fn js_depth_counts_brackets_and_chains() {
        let n = JS_DEPTH + 1;
        for deep in [
            format!("x={};", nest("(", "1", ")", n)),
            format!("x={};", nest("[", "", "]", n)),
            nest("{", "", "}", n),
            format!("x={};", vec!["a"; n + 1].join("||")),
            format!("x={}a;", "!".repeat(n)),
            format!("x={}c;", "a?b:".repeat(n)),
            format!("{}b();", "if(a)".repeat(n)),
            format!("if(a)b();{}", "else if(a)b();".repeat(n)),
            format!("x=a{};", "()".repeat(n)),
            format!("x={}1;", "a=>".repeat(n)),
            format!("x={};", nest("`${", "1", "}`", n)),
            format!("x={};", vec!["a"; n + 1].join("\n||")),
        ] {
            assert!(js(&deep).is_some(), "{}", &deep[..40]);
        }
    }

    #[test]
    fn js_depth_leaves_real_code_alone() {
        let statements =
            "var a = 1;\nfunction f(b) {\n  return b && a || f(b - 1);\n}\n".repeat(5000);
        assert!(js(&statements).is_none());
        // Semicolon-free code: a statement ends at a line break after a value.
        let asi = "const a = b.c.d\nconst e = f(a)\n".repeat(5000);
        assert!(js(&asi).is_none());
        // Brackets in strings, templates, comments and regular expressions do not nest.
        let tricky = format!(
            "x='{0}';y=\"{0}\";z=`{0}${{a}}{0}`;/*{0}*/\n//{0}\nw=/[(]{{2}}\\(/g.test(s);v=a/b/c;",
            "(".repeat(3000)
        );
        assert!(js(&tricky).is_none());
        assert!(js(&vec!["a"; 10_000].join(",")).is_none());
    }

    #[test]
    fn html_depth_counts_open_elements() {
        let deep = format!("<body>{}", nest("<div>", "x", "</div>", HTML_DEPTH + 1));
        assert!(html(&deep).is_some());
        assert!(html(&nest("<div>", "x", "</div>", HTML_DEPTH)).is_none());
        // Optional end tags and void elements do not nest.
        let flat = format!(
            "<ul>{}</ul>{}",
            "<li>item".repeat(5000),
            "<br><img src=a>".repeat(5000)
        );
        assert!(html(&flat).is_none());
        let nested_lists = nest("<ul><li>", "x", "</li></ul>", HTML_DEPTH + 1);
        assert!(html(&nested_lists).is_some());
        // Scripts and styles are measured as JS and CSS.
        let script = format!("<script>x={}</script>", nest("(", "1", ")", JS_DEPTH + 1));
        assert!(html(&script).is_some());
        let style = format!("<p style=\"width:{}\">", "calc(".repeat(200));
        assert!(html(&style).is_some());
        let quoted = format!(
            "<script>x='{}'</script><div title='<div><div>'>",
            "<div>".repeat(600)
        );
        assert!(html(&quoted).is_none());
    }

    /// The deepest nesting of a text by each measure, found by bisecting the limit.
    fn deepest(text: &str, measure: fn(&str, usize) -> bool) -> usize {
        let (mut lo, mut hi) = (0, 1 << 20);
        while lo < hi {
            let mid = (lo + hi) / 2;
            if measure(text, mid) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// Every HTML, CSS and JS file of the fixtures (real framework builds, Bootstrap, the
    /// example site) nests far below the limits: a real build is never refused.
    /// `DISTILL_LIMITS_CORPUS=<folder>` measures another folder (node_modules included).
    #[test]
    fn real_builds_nest_far_below_the_limits() {
        let corpus = std::env::var_os("DISTILL_LIMITS_CORPUS");
        let root = corpus.clone().map_or_else(
            || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures"),
            std::path::PathBuf::from,
        );
        let mut deepest_of = std::collections::BTreeMap::new();
        for entry in walkdir::WalkDir::new(&root).into_iter().flatten() {
            let path = entry.path();
            let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
            let measure: fn(&str, usize) -> bool = match ext {
                "js" | "mjs" => |t, l| Js::new(t.as_bytes(), l).run().is_some(),
                "css" => |t, l| css_depth(t.as_bytes(), l, l).is_some(),
                "html" => |t, l| html_depth(t, l).is_some(),
                _ => continue,
            };
            if corpus.is_none() && path.components().any(|c| c.as_os_str() == "node_modules") {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(path) else {
                continue;
            };
            let depth = deepest(&text, measure);
            let slot = deepest_of
                .entry(ext.to_string())
                .or_insert((0, String::new()));
            if depth > slot.0 {
                *slot = (depth, path.display().to_string());
            }
        }
        eprintln!("{deepest_of:#?}");
        let limit = |ext: &str| match ext {
            "css" => CSS_DEPTH,
            "html" => HTML_DEPTH,
            _ => JS_DEPTH,
        };
        for (ext, (depth, path)) in &deepest_of {
            assert!(depth * 4 <= limit(ext), "{path}: {depth} deep");
        }
        assert!(deepest_of.contains_key("js") && deepest_of.contains_key("css"));
    }
}
