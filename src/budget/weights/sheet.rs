//! A stylesheet reduced to what decides downloads: the style rules that set a font, a
//! background, `display` or `content` (or a custom property those may read), each with its
//! selectors ready for the selector engine and whether it applies at each viewport; the
//! `@font-face` rules; the `@import`s.
//!
//! Parsed once per stylesheet (lightningcss) and shared by every page that links it.

use lightningcss::properties::Property;
use lightningcss::rules::font_face::{FontFaceProperty, FontFaceRule, FontFormat, Source};
use lightningcss::rules::{CssRule, style::StyleRule};
use lightningcss::stylesheet::PrinterOptions;
use lightningcss::traits::ToCss;

use super::select::{self, Viewport};
use crate::css::purge::{self, Rightmost};

/// Properties whose value can make a browser download something or hide what would.
const WATCHED: &[&str] = &[
    "font",
    "font-family",
    "font-weight",
    "font-style",
    "display",
    "background",
    "background-image",
    "content",
    "width",
    "max-width",
];

#[derive(Debug, Default)]
pub struct Sheet {
    pub rules: Vec<Rule>,
    pub faces: Vec<Face>,
    /// `(url, applies at each viewport)`.
    pub imports: Vec<(String, Vec<bool>)>,
}

#[derive(Debug)]
pub struct Rule {
    pub selectors: Vec<Probe>,
    /// At each viewport (the `@media` around it).
    pub applies: Vec<bool>,
    pub declarations: Vec<Declaration>,
}

#[derive(Debug)]
pub struct Probe {
    pub selector: scraper::Selector,
    pub specificity: u32,
    pub pseudo: Pseudo,
    pub rightmost: Rightmost,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Pseudo {
    None,
    Before,
    After,
}

#[derive(Debug, Clone)]
pub struct Declaration {
    /// Lowercase; custom properties keep their `--name`.
    pub name: String,
    pub value: String,
    pub important: bool,
}

/// One `@font-face`.
#[derive(Debug, Clone)]
pub struct Face {
    /// Lowercase, unquoted.
    pub family: String,
    pub weight: (f32, f32),
    pub italic: bool,
    /// Empty: every character.
    pub ranges: Vec<(u32, u32)>,
    /// The first source a current Chromium can use (`local()` fonts taken as not installed).
    pub src: Option<String>,
    pub applies: Vec<bool>,
}

impl Sheet {
    /// `None` when the text does not parse at all.
    pub fn parse(text: &str, viewports: &[Viewport]) -> Option<Sheet> {
        let parsed = crate::css::parse::parse(text, true).ok()?;
        let mut sheet = Sheet::default();
        let all = vec![true; viewports.len()];
        sheet.walk(&parsed.sheet.rules.0, &all, viewports);
        Some(sheet)
    }

    fn walk(&mut self, rules: &[CssRule], applies: &[bool], viewports: &[Viewport]) {
        for rule in rules {
            match rule {
                CssRule::Style(style) => self.style(style, applies),
                CssRule::Media(media) => {
                    let inner: Vec<bool> = viewports
                        .iter()
                        .zip(applies)
                        .map(|(v, a)| *a && select::media_matches(&media.query, v))
                        .collect();
                    if inner.iter().any(|a| *a) {
                        self.walk(&media.rules.0, &inner, viewports);
                    }
                }
                // Taken as supported: a current Chromium supports what sites test for.
                CssRule::Supports(s) => self.walk(&s.rules.0, applies, viewports),
                CssRule::LayerBlock(l) => self.walk(&l.rules.0, applies, viewports),
                CssRule::Container(c) => self.walk(&c.rules.0, applies, viewports),
                CssRule::FontFace(face) => self.faces.push(face_of(face, applies)),
                CssRule::Import(import) => {
                    let inner = viewports
                        .iter()
                        .zip(applies)
                        .map(|(v, a)| *a && select::media_matches(&import.media, v))
                        .collect();
                    self.imports.push((import.url.to_string(), inner));
                }
                _ => {}
            }
        }
    }

    fn style(&mut self, style: &StyleRule, applies: &[bool]) {
        let mut declarations = Vec::new();
        let block = &style.declarations;
        for (list, important) in [
            (&block.declarations, false),
            (&block.important_declarations, true),
        ] {
            for property in list {
                if let Some(d) = declaration(property, important) {
                    declarations.push(d);
                }
            }
        }
        if declarations.is_empty() {
            return;
        }
        let selectors: Vec<Probe> = style.selectors.0.iter().filter_map(probe).collect();
        if !selectors.is_empty() {
            self.rules.push(Rule {
                selectors,
                applies: applies.to_vec(),
                declarations,
            });
        }
    }
}

pub(super) fn declaration(property: &Property, important: bool) -> Option<Declaration> {
    let id = property.property_id();
    let name = id.name().to_ascii_lowercase();
    if !(name.starts_with("--") || WATCHED.contains(&name.as_str())) {
        return None;
    }
    let name = match property {
        Property::Custom(c) => c.name.as_ref().to_string(),
        _ => name,
    };
    let value = property
        .value_to_css_string(PrinterOptions::default())
        .ok()?;
    Some(Declaration {
        name,
        value,
        important,
    })
}

/// The selector for the engine: `::before`/`::after` taken off (the pseudo-element's box
/// belongs to its element), other pseudo-elements (`::placeholder`, `::selection`) dropped.
fn probe(selector: &lightningcss::selector::Selector) -> Option<Probe> {
    let printed = selector.to_css_string(PrinterOptions::default()).ok()?;
    let mut pseudo = Pseudo::None;
    let mut text = printed.as_str();
    for (suffixes, kind) in [
        (["::before", ":before"], Pseudo::Before),
        (["::after", ":after"], Pseudo::After),
    ] {
        for suffix in suffixes {
            if let Some(rest) = text.strip_suffix(suffix) {
                text = rest;
                pseudo = kind;
            }
        }
    }
    if text.contains("::") {
        return None;
    }
    let text = if text.is_empty() || text.ends_with(' ') || text.ends_with('>') {
        format!("{text}*")
    } else {
        text.to_string()
    };
    Some(Probe {
        selector: scraper::Selector::parse(&text).ok()?,
        specificity: selector.specificity(),
        pseudo,
        rightmost: purge::rightmost(selector),
    })
}

fn face_of(face: &FontFaceRule, applies: &[bool]) -> Face {
    let mut out = Face {
        family: String::new(),
        weight: (400.0, 400.0),
        italic: false,
        ranges: Vec::new(),
        src: None,
        applies: applies.to_vec(),
    };
    for property in &face.properties {
        match property {
            FontFaceProperty::FontFamily(f) => {
                out.family = f
                    .to_css_string(PrinterOptions::default())
                    .map(|s| unquote(&s).to_lowercase())
                    .unwrap_or_default();
            }
            FontFaceProperty::FontWeight(size) => {
                out.weight = (weight_number(&size.0), weight_number(&size.1));
            }
            FontFaceProperty::FontStyle(style) => {
                use lightningcss::rules::font_face::FontStyle;
                out.italic = !matches!(style, FontStyle::Normal);
            }
            FontFaceProperty::UnicodeRange(ranges) => {
                out.ranges = ranges.iter().map(|r| (r.start, r.end)).collect();
            }
            FontFaceProperty::Source(sources) => {
                out.src = sources.iter().find_map(usable_source);
            }
            _ => {}
        }
    }
    out
}

fn usable_source(source: &Source) -> Option<String> {
    let Source::Url(u) = source else {
        return None;
    };
    let supported = match &u.format {
        None => true,
        Some(format) => {
            matches!(
                format,
                FontFormat::WOFF2
                    | FontFormat::WOFF
                    | FontFormat::TrueType
                    | FontFormat::OpenType
                    | FontFormat::Collection
            ) || matches!(format, FontFormat::String(s) if matches!(
                s.to_ascii_lowercase().as_str(), "woff2" | "woff" | "truetype" | "opentype"
            ))
        }
    };
    supported.then(|| u.url.url.to_string())
}

pub fn weight_number(weight: &lightningcss::properties::font::FontWeight) -> f32 {
    use lightningcss::properties::font::{AbsoluteFontWeight, FontWeight};
    match weight {
        FontWeight::Absolute(AbsoluteFontWeight::Weight(n)) => *n,
        FontWeight::Absolute(AbsoluteFontWeight::Bold) | FontWeight::Bolder => 700.0,
        FontWeight::Absolute(AbsoluteFontWeight::Normal) | FontWeight::Lighter => 400.0,
    }
}

/// `"Font Awesome 6 Free"` -> `Font Awesome 6 Free`.
pub fn unquote(text: &str) -> &str {
    let t = text.trim();
    for q in ['"', '\''] {
        if let Some(inner) = t.strip_prefix(q).and_then(|t| t.strip_suffix(q)) {
            return inner;
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_what_decides_downloads() {
        let css = r#"
            @import url(more.css) screen and (min-width: 900px);
            :root { --bs-font: "Inter", sans-serif; color: red }
            body { font-family: var(--bs-font); margin: 0 }
            .hero::before { content: ""; background: url(a.png) }
            .x::placeholder { font-family: Other }
            a:hover { background-image: url(h.png) }
            p { color: blue }
            @media (min-width: 768px) { .wide { background-image: url(w.png) } }
            @font-face { font-family: "Inter"; font-weight: 100 900; src: local(Inter), url(i.woff2) format("woff2"), url(i.woff) format("woff"); unicode-range: U+0000-00FF, U+0131 }
            @font-face { font-family: Old; font-style: italic; src: url(o.eot) format("embedded-opentype"), url(o.ttf) }
        "#;
        let sheet = Sheet::parse(css, &Viewport::defaults()).unwrap();
        let names: Vec<&str> = sheet
            .rules
            .iter()
            .flat_map(|r| &r.declarations)
            .map(|d| d.name.as_str())
            .collect();
        // `a:hover` is not matched at load (the engine does not take it): dropped.
        assert_eq!(
            names,
            [
                "--bs-font",
                "font-family",
                "content",
                "background",
                "background-image"
            ]
        );
        assert_eq!(sheet.rules[2].selectors[0].pseudo, Pseudo::Before);
        assert_eq!(sheet.rules[3].applies, [false, true]);
        assert_eq!(sheet.imports, [("more.css".to_string(), vec![false, true])]);
        assert_eq!(sheet.faces[0].family, "inter");
        assert_eq!(sheet.faces[0].weight, (100.0, 900.0));
        assert_eq!(sheet.faces[0].src.as_deref(), Some("i.woff2"));
        assert_eq!(sheet.faces[0].ranges, [(0, 0xff), (0x131, 0x131)]);
        assert!(sheet.faces[1].italic);
        assert_eq!(sheet.faces[1].src.as_deref(), Some("o.ttf"));
    }
}
