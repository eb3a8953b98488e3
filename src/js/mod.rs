//! JS: find the references a script makes, and splice in new names.
//!
//! Parsed with swc (module or classic script, detected), never with regular expressions:
//! static `import` / `export … from`, dynamic `import('…')` with a literal,
//! `new URL('…', import.meta.url)`, `//# sourceMappingURL=`, and string literals that look like
//! site paths (how Vite writes asset URLs and its preload list). Each reference keeps its byte
//! range, so the rewrite is a splice with no second parse.

pub mod minify;

use swc_core::common::comments::{Comments, SingleThreadedComments};
use swc_core::common::{BytePos, FileName, SourceMap, Span, Spanned, sync::Lrc};
use swc_core::ecma::ast::*;
use swc_core::ecma::parser::{EsSyntax, Syntax, parse_file_as_program};
use swc_core::ecma::visit::{Visit, VisitWith};

use crate::refs::{RefKind, Reference, line_of};

#[derive(Debug, Default)]
pub struct Scan {
    pub refs: Vec<Reference>,
    /// Set when the file could not be parsed: (line, message).
    pub error: Option<(u32, String)>,
}

pub fn scan(src: &str) -> Scan {
    let comments = SingleThreadedComments::default();
    let parsed = match parse(src, Some(&comments)) {
        Ok(p) => p,
        Err(error) => {
            return Scan {
                refs: Vec::new(),
                error: Some(error),
            };
        }
    };
    let (program, start, bom) = (parsed.program, parsed.start, parsed.bom);
    let mut collector = Collector {
        src,
        lines: crate::refs::Lines::new(src),
        start,
        bom,
        refs: Vec::new(),
    };
    program.visit_with(&mut collector);
    let (leading, trailing) = comments.take_all();
    for map in [leading, trailing] {
        for comment in map.borrow().values().flatten() {
            collector.source_map_comment(comment.span, &comment.text);
        }
    }
    let mut refs = collector.refs;
    refs.sort_by_key(|r| r.span.as_ref().map(|s| s.start));
    refs.dedup_by_key(|r| r.span.clone());
    Scan { refs, error: None }
}

/// Every string a script holds: string literals and the pieces of template literals (what
/// CSS purging reads for class names added at run time). Empty when it does not parse.
pub fn strings(src: &str) -> Vec<String> {
    struct Strings(Vec<String>);
    impl Visit for Strings {
        fn visit_str(&mut self, s: &Str) {
            self.0.push(s.value.to_string_lossy().into_owned());
        }
        fn visit_tpl_element(&mut self, t: &TplElement) {
            self.0.push(t.raw.to_string());
        }
    }
    let Ok(parsed) = parse(src, None) else {
        return Vec::new();
    };
    let mut found = Strings(Vec::new());
    parsed.program.visit_with(&mut found);
    found.0
}

/// One entry of a service worker's precache list: `{url: "…", revision: "…"}` (Workbox's
/// `precacheAndRoute([…])`, an injected `self.__WB_MANIFEST`, `workbox-build`'s output).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrecacheEntry {
    pub url: String,
    pub revision: String,
    /// Byte range of the revision's text (inside its quotes) in the source.
    pub span: std::ops::Range<usize>,
}

/// The string value of property `key` of an object literal, if it has one.
fn string_prop<'a>(n: &'a ObjectLit, key: &str) -> Option<&'a Str> {
    n.props.iter().find_map(|p| {
        let PropOrSpread::Prop(p) = p else {
            return None;
        };
        let Prop::KeyValue(kv) = &**p else {
            return None;
        };
        let named = match &kv.key {
            PropName::Ident(id) => id.sym.as_str() == key,
            PropName::Str(s) => s.value.as_atom().is_some_and(|v| v == key),
            _ => false,
        };
        match &*kv.value {
            Expr::Lit(Lit::Str(s)) if named => Some(s),
            _ => None,
        }
    })
}

/// The `url` of a precache entry: an object literal with a string `url` and a `revision`.
fn precache_url(n: &ObjectLit) -> Option<&Str> {
    let revision = n.props.iter().any(|p| match p {
        PropOrSpread::Prop(p) => match &**p {
            Prop::KeyValue(kv) => match &kv.key {
                PropName::Ident(id) => id.sym.as_str() == "revision",
                PropName::Str(s) => s.value.as_atom().is_some_and(|v| v == "revision"),
                _ => false,
            },
            _ => false,
        },
        PropOrSpread::Spread(_) => false,
    });
    revision.then(|| string_prop(n, "url")).flatten()
}

/// Every `{url, revision}` object literal whose two values are plain string literals.
pub fn precache_entries(src: &str) -> Vec<PrecacheEntry> {
    struct Entries<'a> {
        src: &'a str,
        start: BytePos,
        bom: usize,
        out: Vec<PrecacheEntry>,
    }
    impl Visit for Entries<'_> {
        fn visit_object_lit(&mut self, n: &ObjectLit) {
            if let (Some(url), Some(revision)) = (precache_url(n), string_prop(n, "revision")) {
                let offset = |pos: BytePos| (pos.0 - self.start.0) as usize + self.bom;
                let (lo, hi) = (offset(revision.span.lo), offset(revision.span.hi));
                let text = revision.value.as_atom().map(|a| a.to_string());
                if let (Some(url), Some(text)) = (url.value.as_atom(), text)
                    && hi >= lo + 2
                    && self.src.get(lo + 1..hi - 1) == Some(text.as_str())
                {
                    self.out.push(PrecacheEntry {
                        url: url.to_string(),
                        revision: text,
                        span: lo + 1..hi - 1,
                    });
                }
            }
            n.visit_children_with(self);
        }
    }
    let Ok(parsed) = parse(src, None) else {
        return Vec::new();
    };
    let mut entries = Entries {
        src,
        start: parsed.start,
        bom: parsed.bom,
        out: Vec::new(),
    };
    parsed.program.visit_with(&mut entries);
    entries.out
}

/// A script or module (swc tells which), parsed.
pub(crate) struct Parsed {
    pub program: Program,
    pub cm: Lrc<SourceMap>,
    /// Where the text after any byte-order mark starts in `cm`.
    pub start: BytePos,
    /// Length of a leading byte-order mark (0 or 3).
    pub bom: usize,
    /// The first error the parser recovered from, guessing: (line, message).
    pub recovered: Option<(u32, String)>,
}

/// Parses `src` (module or classic script, detected), collecting comments into `comments`;
/// `Err((line, message))` when it does not parse.
pub(crate) fn parse(src: &str, comments: Option<&dyn Comments>) -> Result<Parsed, (u32, String)> {
    let bom = if src.starts_with('\u{feff}') { 3 } else { 0 };
    let cm: Lrc<SourceMap> = Default::default();
    let fm = cm.new_source_file(Lrc::new(FileName::Anon), src[bom..].to_string());
    let syntax = Syntax::Es(EsSyntax {
        import_attributes: true,
        ..Default::default()
    });
    let located = |e: &swc_core::ecma::parser::error::Error| {
        let offset = (e.span().lo.0.saturating_sub(fm.start_pos.0)) as usize + bom;
        (line_of(src, offset), e.kind().msg().to_string())
    };
    let mut recovered = Vec::new();
    let program = parse_file_as_program(&fm, syntax, EsVersion::latest(), comments, &mut recovered)
        .map_err(|e| located(&e))?;
    Ok(Parsed {
        program,
        cm,
        start: fm.start_pos,
        bom,
        recovered: recovered.first().map(located),
    })
}

/// Replaces each reference for which `new_url` returns a value. `refs` must come from
/// [`scan`] of the same `src`.
pub fn rewrite(
    src: &str,
    refs: &[Reference],
    mut new_url: impl FnMut(&Reference) -> Option<String>,
) -> String {
    let mut out = String::with_capacity(src.len() + 64);
    let mut last = 0;
    for r in refs {
        let Some(span) = &r.span else { continue };
        if let Some(url) = new_url(r) {
            out.push_str(&src[last..span.start]);
            out.push_str(&url);
            last = span.end;
        }
    }
    out.push_str(&src[last..]);
    out
}

struct Collector<'a> {
    src: &'a str,
    lines: crate::refs::Lines<'a>,
    start: BytePos,
    bom: usize,
    refs: Vec<Reference>,
}

impl Collector<'_> {
    fn offset(&self, pos: BytePos) -> usize {
        (pos.0 - self.start.0) as usize + self.bom
    }

    /// Records a string literal whose raw text equals its value (no escapes), so its inside can
    /// be replaced byte for byte.
    fn push_str(&mut self, s: &Str, kind: RefKind) {
        let Some(value) = s.value.as_atom() else {
            return;
        };
        let (lo, hi) = (self.offset(s.span.lo), self.offset(s.span.hi));
        if hi < lo + 2 || hi > self.src.len() {
            return;
        }
        let inner = lo + 1..hi - 1;
        if &self.src[inner.clone()] != value.as_str() {
            return;
        }
        self.push(value.to_string(), kind, inner);
    }

    fn push_tpl(&mut self, tpl: &Tpl, kind: RefKind) {
        if !tpl.exprs.is_empty() || tpl.quasis.len() != 1 {
            return;
        }
        let (lo, hi) = (self.offset(tpl.span.lo), self.offset(tpl.span.hi));
        if hi < lo + 2 || hi > self.src.len() {
            return;
        }
        let inner = lo + 1..hi - 1;
        let text = &self.src[inner.clone()];
        if text.contains('\\') || text.contains("${") {
            return;
        }
        self.push(text.to_string(), kind, inner);
    }

    fn push_expr(&mut self, expr: &Expr, kind: RefKind) -> bool {
        match expr {
            Expr::Lit(Lit::Str(s)) => self.push_str(s, kind),
            Expr::Tpl(t) => self.push_tpl(t, kind),
            _ => return false,
        }
        true
    }

    fn push(&mut self, url: String, kind: RefKind, span: std::ops::Range<usize>) {
        let line = self.lines.line(span.start);
        self.refs.push(Reference {
            url,
            kind,
            line,
            span: Some(span),
        });
    }

    /// The `url()`s of CSS held in a string (`@vitejs/plugin-legacy` puts a chunk's CSS in
    /// its JS), when the string has no escapes, so each URL can be replaced in place.
    fn push_css_urls(&mut self, s: &Str) {
        let Some(value) = s.value.as_atom() else {
            return;
        };
        let (lo, hi) = (self.offset(s.span.lo), self.offset(s.span.hi));
        if hi < lo + 2 || self.src.get(lo + 1..hi - 1) != Some(value.as_str()) {
            return;
        }
        self.push_css_urls_at(value.as_str(), lo + 1);
    }

    /// [`Self::push_css_urls`] for text that sits at byte `at` of the source as it is.
    fn push_css_urls_at(&mut self, text: &str, at: usize) {
        let mut from = 0;
        while let Some(found) = text[from..].find("url(") {
            let start = from + found + 4;
            let rest = &text[start..];
            let quote = rest.chars().next().filter(|c| matches!(c, '"' | '\''));
            let open = start + quote.map_or(0, |q| q.len_utf8());
            let end = match quote {
                Some(q) => text[open..].find(q),
                None => text[open..].find(')'),
            }
            .map(|e| open + e);
            let Some(end) = end else { break };
            let url = &text[open..end];
            if looks_like_path(url) {
                self.push(url.to_string(), RefKind::Asset, at + open..at + end);
            }
            from = end;
        }
    }

    fn source_map_comment(&mut self, span: Span, text: &str) {
        let body = text.trim_start();
        let Some(rest) = body
            .strip_prefix("# sourceMappingURL=")
            .or_else(|| body.strip_prefix("@ sourceMappingURL="))
        else {
            return;
        };
        let url = rest.split_whitespace().next().unwrap_or("");
        if url.is_empty() {
            return;
        }
        // `//` or `/*` precede the comment text.
        let text_start = self.offset(span.lo) + 2;
        let at = text.find(url).map(|i| text_start + i);
        if let Some(start) = at
            && self.src.get(start..start + url.len()) == Some(url)
        {
            self.push(
                url.to_string(),
                RefKind::SourceMap,
                start..start + url.len(),
            );
        }
    }
}

/// A string worth checking against the site's files: a path with a file extension, no spaces.
fn looks_like_path(s: &str) -> bool {
    if s.len() < 3 || s.len() > 512 || !s.contains(['/', '.']) {
        return false;
    }
    if s.chars()
        .any(|c| c.is_whitespace() || c == '<' || c == '>' || c == '"')
    {
        return false;
    }
    let path = s.split(['?', '#']).next().unwrap_or(s);
    let name = path.rsplit('/').next().unwrap_or(path);
    match name.rfind('.') {
        Some(i) if i > 0 => {
            let ext = &name[i + 1..];
            (1..=10).contains(&ext.len()) && ext.chars().all(|c| c.is_ascii_alphanumeric())
        }
        _ => false,
    }
}

fn is_import_meta_url(expr: &Expr) -> bool {
    let Expr::Member(m) = expr else { return false };
    matches!(
        &*m.obj,
        Expr::MetaProp(MetaPropExpr {
            kind: MetaPropKind::ImportMeta,
            ..
        })
    ) && matches!(&m.prop, MemberProp::Ident(id) if id.sym.as_str() == "url")
}

impl Visit for Collector<'_> {
    fn visit_import_decl(&mut self, n: &ImportDecl) {
        self.push_str(&n.src, RefKind::Import);
    }

    fn visit_export_all(&mut self, n: &ExportAll) {
        self.push_str(&n.src, RefKind::Import);
    }

    fn visit_named_export(&mut self, n: &NamedExport) {
        if let Some(src) = &n.src {
            self.push_str(src, RefKind::Import);
        }
    }

    fn visit_call_expr(&mut self, n: &CallExpr) {
        if let Callee::Import(_) = n.callee
            && let Some(first) = n.args.first()
            && first.spread.is_none()
            && self.push_expr(&first.expr, RefKind::DynamicImport)
        {
            for arg in &n.args[1..] {
                arg.visit_with(self);
            }
            return;
        }
        n.visit_children_with(self);
    }

    fn visit_new_expr(&mut self, n: &NewExpr) {
        if let Expr::Ident(id) = &*n.callee
            && id.sym.as_str() == "URL"
            && let Some(args) = &n.args
            && args.len() == 2
            && is_import_meta_url(&args[1].expr)
            && self.push_expr(&args[0].expr, RefKind::Asset)
        {
            return;
        }
        n.visit_children_with(self);
    }

    fn visit_object_lit(&mut self, n: &ObjectLit) {
        // A precache entry's URL first: the same string seen again as a literal is dropped.
        if let Some(url) = precache_url(n) {
            self.push_str(url, RefKind::Precache);
        }
        n.visit_children_with(self);
    }

    fn visit_str(&mut self, s: &Str) {
        if let Some(value) = s.value.as_atom() {
            if looks_like_path(value.as_str()) {
                self.push_str(s, RefKind::Literal);
            } else if value.contains("url(") {
                self.push_css_urls(s);
            }
        }
    }

    fn visit_tpl(&mut self, t: &Tpl) {
        if t.exprs.is_empty()
            && let Some(q) = t.quasis.first()
            && looks_like_path(q.raw.as_str())
        {
            self.push_tpl(t, RefKind::Literal);
        } else {
            for q in t.quasis.iter().filter(|q| q.raw.contains("url(")) {
                let (lo, hi) = (self.offset(q.span.lo), self.offset(q.span.hi));
                if self.src.get(lo..hi) == Some(q.raw.as_str()) && !q.raw.contains('\\') {
                    self.push_css_urls_at(q.raw.as_str(), lo);
                }
            }
        }
        t.visit_children_with(self);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(src: &str) -> Vec<(String, RefKind)> {
        scan(src)
            .refs
            .into_iter()
            .map(|r| (r.url, r.kind))
            .collect()
    }

    #[test]
    fn finds_every_form() {
        let src = r#"import a from "./a.js";
export * from './b.js';
export { c } from "./c.js";
const d = () => import("./d.js");
const e = import(`./e.js`);
const img = new URL("./img.png", import.meta.url);
const logo = "/assets/logo.svg";
const deps = ["assets/x.js"];
const notpath = "hello world.js";
//# sourceMappingURL=app.js.map
"#;
        assert_eq!(
            urls(src),
            vec![
                ("./a.js".into(), RefKind::Import),
                ("./b.js".into(), RefKind::Import),
                ("./c.js".into(), RefKind::Import),
                ("./d.js".into(), RefKind::DynamicImport),
                ("./e.js".into(), RefKind::DynamicImport),
                ("./img.png".into(), RefKind::Asset),
                ("/assets/logo.svg".into(), RefKind::Literal),
                ("assets/x.js".into(), RefKind::Literal),
                ("app.js.map".into(), RefKind::SourceMap),
            ]
        );
    }

    #[test]
    fn rewrite_is_a_splice() {
        let src = "import a from './a.js';\nimport('./d.js');\n//# sourceMappingURL=x.js.map\n";
        let scan = scan(src);
        let out = rewrite(src, &scan.refs, |r| Some(r.url.replace(".js", ".123.js")));
        assert_eq!(
            out,
            "import a from './a.123.js';\nimport('./d.123.js');\n//# sourceMappingURL=x.123.js.map\n"
        );
    }

    #[test]
    fn precache_urls_and_css_in_strings_are_references() {
        let src = r#"p([{url:"favicon.svg",revision:"1"},{url:"assets/a-BkD3c1xS.js",revision:null}]);
const css = ".hero{background:#000 url(/assets/rocket-DO-3i1rQ.jpg) 50%/cover}.x{background:url('b.png')}";
style.textContent = `.y{background:url(c.png)}${x}`;"#;
        assert_eq!(
            urls(src),
            vec![
                ("favicon.svg".into(), RefKind::Precache),
                ("assets/a-BkD3c1xS.js".into(), RefKind::Precache),
                ("/assets/rocket-DO-3i1rQ.jpg".into(), RefKind::Asset),
                ("b.png".into(), RefKind::Asset),
                ("c.png".into(), RefKind::Asset),
            ]
        );
        let refs = scan(src).refs;
        let out = rewrite(src, &refs, |r| Some(r.url.replace('.', "_.")));
        assert!(out.contains("url(/assets/rocket-DO-3i1rQ_.jpg)"), "{out}");
        assert!(out.contains("url('b_.png')"), "{out}");
        assert!(out.contains("url(c_.png)"), "{out}");
    }

    #[test]
    fn precache_lists() {
        let sw = r#"e.precacheAndRoute([{url:"assets/index-BkD3c1xS.js",revision:null},{url:"index.html",revision:"0e2b6c1d"},{"url":"a.css","revision":"7f"}],{})"#;
        let entries = precache_entries(sw);
        let got: Vec<_> = entries
            .iter()
            .map(|e| (e.url.as_str(), e.revision.as_str(), &sw[e.span.clone()]))
            .collect();
        assert_eq!(
            got,
            [
                ("index.html", "0e2b6c1d", "0e2b6c1d"),
                ("a.css", "7f", "7f")
            ]
        );
    }

    #[test]
    fn escaped_literals_are_not_touched() {
        assert!(urls(r#"import a from "./\u0061.js";"#).is_empty());
    }

    #[test]
    fn syntax_error_is_reported_with_line() {
        let scan = scan("let a = 1;\nlet = = ;\n");
        let (line, _) = scan.error.unwrap();
        assert_eq!(line, 2);
    }
}
