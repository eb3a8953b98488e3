//! Critical CSS: the rules of a page's stylesheets that match the page's DOM (beasties'
//! approach, no browser), printed as one sheet to inline in the page's `<head>`.
//!
//! Each stylesheet is parsed once and each of its selectors prepared once (state
//! pseudo-classes and pseudo-elements stripped, as the purge does, so `a:hover` is critical when
//! the page has an `a`); each page then only matches. Kept: the matching style rules (inside
//! their `@media`, `@supports`, `@layer`, `@container`), `@keyframes` and `@font-face` the kept
//! rules name, and the at-rules that order or define things (`@layer a, b;`, `@property`).
//! Left to the full sheet: `@import`, `@page`, `@media print`.

use std::collections::HashSet;

use lightningcss::media_query::MediaType;
use lightningcss::rules::font_face::{FontFaceProperty, FontFormat, Source};
use lightningcss::rules::{CssRule, CssRuleList};
use lightningcss::stylesheet::{ParserOptions, PrinterOptions, StyleSheet};
use lightningcss::traits::ToCss;
use lightningcss::visitor::Visit;

use super::purge::{self, Index, Keep};
use super::{Style, UrlVisitor};

/// One stylesheet, parsed and with its selectors prepared, shared by every page linking it.
pub struct Prepared<'a> {
    sheet: StyleSheet<'a>,
    selectors: Vec<Probe>,
}

enum Probe {
    /// The selector engine cannot parse it: kept for every page with the names its rightmost
    /// compound requires (it may match there).
    Unparsed {
        printed: String,
        rightmost: purge::Rightmost,
    },
    Match {
        printed: String,
        stripped: scraper::Selector,
        rightmost: purge::Rightmost,
    },
}

/// Parses a (final) stylesheet; `None` when it does not parse.
pub fn prepare(text: &str) -> Option<Prepared<'_>> {
    let sheet = super::parse::parse(text, false).ok()?.sheet;
    let mut selectors = Vec::new();
    let mut seen = HashSet::new();
    purge::visit_selectors(&sheet.rules.0, &mut |selector, _| {
        let Ok(printed) = selector.to_css_string(PrinterOptions::default()) else {
            return;
        };
        if !seen.insert(printed.clone()) {
            return;
        }
        selectors.push(
            match scraper::Selector::parse(&purge::strip_states(&printed)) {
                Ok(stripped) => Probe::Match {
                    rightmost: purge::rightmost(selector),
                    printed,
                    stripped,
                },
                Err(_) => Probe::Unparsed {
                    rightmost: purge::rightmost(selector),
                    printed,
                },
            },
        );
    });
    Some(Prepared { sheet, selectors })
}

/// A page's DOM, indexed for matching.
pub struct Page {
    dom: scraper::Html,
    index: Index,
}

impl Page {
    pub fn parse(html: &str) -> Page {
        let dom = scraper::Html::parse_document(html);
        let index = purge::index(&dom);
        Page { dom, index }
    }

    pub fn dom(&self) -> &scraper::Html {
        &self.dom
    }
}

/// A page's critical CSS.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Critical {
    pub css: String,
    /// The woff2 sources of the `@font-face` rules kept (as the inlined CSS writes them).
    pub fonts: Vec<String>,
}

/// The critical CSS of `page` from its stylesheets, in cascade order, each with the URL the
/// page links it by (`url()`s in the sheet are relative to it; in the page they are rebased
/// onto that URL's folder).
pub fn extract(page: &Page, sheets: &[(&Prepared, &str)], style: Style) -> Critical {
    let mut rules: Vec<CssRule> = Vec::new();
    for (prepared, href) in sheets {
        let mut keep = Keep::default();
        for probe in &prepared.selectors {
            match probe {
                Probe::Unparsed { printed, rightmost } => {
                    if page.index.may_match(rightmost) {
                        keep.selectors.insert(printed.clone());
                    }
                }
                Probe::Match {
                    printed,
                    stripped,
                    rightmost,
                } => {
                    if page.index.may_match(rightmost) && page.dom.select(stripped).next().is_some()
                    {
                        keep.selectors.insert(printed.clone());
                    }
                }
            }
        }
        let mut own = prepared.sheet.rules.0.clone();
        purge::apply(&mut own, &keep);
        own.retain(|rule| !left_to_full_sheet(rule));
        let mut list = CssRuleList(own);
        let mut rebase = |r: &crate::refs::Reference| rebase(&r.url, href);
        let mut visitor = UrlVisitor {
            line_offset: 0,
            changed: false,
            new_url: &mut rebase,
        };
        let _ = list.visit(&mut visitor);
        rules.extend(list.0);
    }
    // Definitions only the kept rules name: print the rest, then look for their names.
    let (definitions, rest): (Vec<CssRule>, Vec<CssRule>) = rules
        .into_iter()
        .partition(|r| matches!(r, CssRule::Keyframes(_) | CssRule::FontFace(_)));
    let said = print(rest.clone(), Style::default());
    let words: HashSet<&str> = super::words(&said).collect();
    let lower = said.to_lowercase();
    let mut fonts = Vec::new();
    let mut kept = Vec::new();
    for rule in definitions {
        let used = match &rule {
            CssRule::Keyframes(k) => {
                purge::keyframes_name(k).is_some_and(|n| words.contains(n.as_str()))
            }
            CssRule::FontFace(face) => {
                let used = purge::families(face).any(|n| lower.contains(&n.to_lowercase()));
                if used {
                    fonts.extend(woff2_sources(face));
                }
                used
            }
            _ => unreachable!("partitioned above"),
        };
        if used {
            kept.push(rule);
        }
    }
    // `@font-face` first, as authors write them; order does not matter for either kind.
    kept.extend(rest);
    let mut seen = HashSet::new();
    fonts.retain(|f| seen.insert(f.clone()));
    Critical {
        css: if kept.is_empty() {
            String::new()
        } else {
            print(kept, style)
        },
        fonts,
    }
}

fn print(rules: Vec<CssRule>, style: Style) -> String {
    let sheet = StyleSheet::new(Vec::new(), CssRuleList(rules), ParserOptions::default());
    sheet
        .to_css(style.printer())
        .map(|r| r.code)
        .unwrap_or_default()
}

/// Rules the first render does not need: the full sheet, loaded after, applies them.
fn left_to_full_sheet(rule: &CssRule) -> bool {
    match rule {
        CssRule::Import(_) | CssRule::Page(_) | CssRule::Ignored => true,
        CssRule::Media(m) => {
            !m.query.media_queries.is_empty()
                && m.query
                    .media_queries
                    .iter()
                    .all(|q| q.qualifier.is_none() && q.media_type == MediaType::Print)
        }
        _ => false,
    }
}

/// A face's `woff2` sources: `format("woff2")`, or a `.woff2` URL without a format.
fn woff2_sources(face: &lightningcss::rules::font_face::FontFaceRule) -> Vec<String> {
    let mut out = Vec::new();
    for property in &face.properties {
        if let FontFaceProperty::Source(sources) = property {
            for source in sources {
                if let Source::Url(u) = source {
                    let woff2 = match &u.format {
                        Some(FontFormat::WOFF2) => true,
                        Some(_) => false,
                        None => {
                            let path = u.url.url.split(['?', '#']).next().unwrap_or("");
                            path.to_ascii_lowercase().ends_with(".woff2")
                        }
                    };
                    if woff2 && !u.url.url.starts_with("data:") {
                        out.push(u.url.url.to_string());
                    }
                }
            }
        }
    }
    out
}

/// `url` (written in a sheet the page links as `href`) as the page must write it: relative URLs
/// are joined onto `href`'s folder, with `.`/`..` segments collapsed where they can be; absolute
/// ones, `data:` and fragments are returned as they are (`None`: unchanged).
pub fn rebase(url: &str, href: &str) -> Option<String> {
    let url_trim = url.trim();
    let scheme = crate::urls::has_scheme(url_trim);
    if url_trim.is_empty() || scheme || url_trim.starts_with(['/', '#', '?']) {
        return None;
    }
    let href_path = &href[..href.find(['?', '#']).unwrap_or(href.len())];
    let folder = &href_path[..href_path.rfind('/').map_or(0, |i| i + 1)];
    if folder.is_empty() {
        return (url_trim != url).then(|| url_trim.to_string());
    }
    // Keep an origin (`https://cdn.example/`) or a leading `/` out of the collapsing.
    let (head, path) = match folder.find("//") {
        Some(i) if folder[..i].ends_with(':') || i == 0 => {
            let after = i + 2;
            let host_end = folder[after..]
                .find('/')
                .map_or(folder.len(), |j| after + j);
            folder.split_at(host_end)
        }
        _ => folder.split_at(usize::from(folder.starts_with('/'))),
    };
    let (url_path, suffix) = url_trim.split_at(url_trim.find(['?', '#']).unwrap_or(url_trim.len()));
    let mut segments: Vec<&str> = Vec::new();
    let joined = format!("{path}{url_path}");
    let parts: Vec<&str> = joined.split('/').collect();
    for (i, segment) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        match *segment {
            "." => {
                if last {
                    segments.push("");
                }
            }
            ".." => {
                if segments.last().is_some_and(|s| *s != "..") {
                    segments.pop();
                } else if head.is_empty() {
                    // A relative URL may climb above the page's folder.
                    segments.push("..");
                }
                if last {
                    segments.push("");
                }
            }
            s => segments.push(s),
        }
    }
    Some(format!("{head}{}{suffix}", segments.join("/")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rebases_relative_urls_onto_the_link() {
        assert_eq!(
            rebase("../img/a.png", "css/app.css").as_deref(),
            Some("img/a.png")
        );
        assert_eq!(
            rebase("a.woff2", "../css/app.css").as_deref(),
            Some("../css/a.woff2")
        );
        assert_eq!(
            rebase("../../x.png", "css/app.css").as_deref(),
            Some("../x.png")
        );
        assert_eq!(
            rebase("../img/a.png?v=1#x", "/css/app.css").as_deref(),
            Some("/img/a.png?v=1#x")
        );
        assert_eq!(
            rebase("../f/a.woff2", "https://cdn.example/s/css/app.css").as_deref(),
            Some("https://cdn.example/s/f/a.woff2")
        );
        assert_eq!(rebase("./a.png", "/app/").as_deref(), Some("/app/a.png"));
        assert_eq!(rebase("a.png", "app.css"), None);
        assert_eq!(rebase("/img/a.png", "css/app.css"), None);
        assert_eq!(rebase("data:image/png;base64,xx", "css/app.css"), None);
        assert_eq!(rebase("https://x.test/a.png", "css/app.css"), None);
        assert_eq!(rebase("#filter", "css/app.css"), None);
    }

    fn critical(html: &str, css: &str) -> Critical {
        let prepared = prepare(css).expect("parses");
        extract(
            &Page::parse(html),
            &[(&prepared, "css/site.css")],
            Style::default(),
        )
    }

    #[test]
    fn keeps_what_the_page_matches() {
        let css = "@import url(other.css);\n\
            :root { --brand: red }\n\
            .nav a:hover { color: var(--brand) }\n\
            .modal { display: none }\n\
            @media (min-width: 40em) { .nav { display: flex } .modal { top: 0 } }\n\
            @media print { .nav { display: none } }\n\
            @keyframes spin { to { transform: rotate(1turn) } }\n\
            @keyframes fade { to { opacity: 0 } }\n\
            .nav { animation: spin 1s; font-family: Inter, sans-serif; background: url(../img/bg.png) }\n\
            @font-face { font-family: Inter; src: url(../fonts/inter.woff2) format(\"woff2\"), url(../fonts/inter.woff) format(\"woff\") }\n\
            @font-face { font-family: Unused; src: url(../fonts/unused.woff2) }";
        let got = critical("<nav class=nav><a href=/>Home</a></nav>", css);
        let css = &got.css;
        assert!(css.contains(".nav a:hover"), "{css}");
        assert!(css.contains("--brand"), "{css}");
        assert!(css.contains("display: flex"), "{css}");
        assert!(!css.contains(".modal"), "{css}");
        assert!(!css.contains("print"), "{css}");
        assert!(!css.contains("@import"), "{css}");
        assert!(css.contains("@keyframes spin"), "{css}");
        assert!(!css.contains("fade"), "{css}");
        assert!(
            css.contains("url(\"img/bg.png\")") || css.contains("url(img/bg.png)"),
            "{css}"
        );
        assert!(!css.contains("Unused"), "{css}");
        assert_eq!(got.fonts, vec!["fonts/inter.woff2".to_string()]);
    }

    #[test]
    fn a_page_matching_nothing_gets_nothing() {
        let got = critical("<p>hi</p>", ".modal { display: none }");
        assert_eq!(got, Critical::default());
    }
}
