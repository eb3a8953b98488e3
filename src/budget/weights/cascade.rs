//! The cascade, reduced to what decides downloads: for each element of a page at a viewport,
//! its font (family list, weight, style), whether it is `display: none`, its background
//! images, and the same for its `::before` and `::after` when they have `content`.
//!
//! Rules are matched once per page by the selector engine the purge uses (scraper on
//! html5ever's DOM); the viewport only decides which of the matched rules apply. Declarations
//! are ordered as browsers order them (importance, specificity, source order; inline `style`
//! last), custom properties inherit and `var()` is substituted before a value is parsed.
//! Simplified, and said in README: cascade layers count as source order, `@supports` and
//! `@container` as true, and `font-weight` keywords as their usual numbers.

use std::collections::HashMap;
use std::rc::Rc;

use ego_tree::NodeId;
use lightningcss::properties::{Property, PropertyId};
use lightningcss::stylesheet::ParserOptions;
use lightningcss::values::image::Image;
use scraper::ElementRef;

use super::select;
use super::sheet::{Declaration, Pseudo, Rule, unquote, weight_number};

/// A family in a `font-family` list.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Family {
    /// Lowercase, unquoted.
    Named(String),
    /// `serif`, `system-ui`, …: always available, no download.
    Generic,
}

/// The computed values that matter here.
#[derive(Debug, Clone)]
pub struct Computed {
    pub family: Rc<Vec<Family>>,
    pub weight: f32,
    pub italic: bool,
    pub vars: Rc<HashMap<String, String>>,
    pub hidden: bool,
    /// Background image URLs as written (resolved against `base` by the caller).
    pub backgrounds: Vec<String>,
    /// A pseudo-element's `content`: `None` for `none`/`normal` (no box), else its text.
    pub content: Option<String>,
    /// `width` and `max-width` as written (an image's `sizes="auto"` reads them).
    pub width: Option<String>,
    pub max_width: Option<String>,
}

impl Computed {
    pub fn root() -> Computed {
        Computed {
            family: Rc::new(vec![Family::Generic]),
            weight: 400.0,
            italic: false,
            vars: Rc::new(HashMap::new()),
            hidden: false,
            backgrounds: Vec::new(),
            content: None,
            width: None,
            max_width: None,
        }
    }

    /// What an element starts from: the inherited properties of its parent.
    fn inherit(parent: &Computed) -> Computed {
        Computed {
            family: parent.family.clone(),
            weight: parent.weight,
            italic: parent.italic,
            vars: parent.vars.clone(),
            hidden: false,
            backgrounds: Vec::new(),
            content: None,
            width: None,
            max_width: None,
        }
    }
}

/// One matched declaration, with what orders it in the cascade.
#[derive(Debug, Clone, Copy)]
pub struct Matched<'s> {
    pub rule: &'s Rule,
    /// The rule's position in the page's cascade order.
    pub order: u32,
    /// Where the rule's URLs are relative to (an index into the page's bases).
    pub base: u32,
    pub specificity: u32,
    pub pseudo: Pseudo,
    /// Whether the stylesheet holding the rule applies, at each viewport (its `media`).
    pub sheet: &'s [bool],
}

/// Every element's matched rules, by pseudo-element, in no order.
pub type Matches<'s> = HashMap<NodeId, Vec<Matched<'s>>>;

/// A declaration with where its URLs are relative to (an index into the page's bases).
pub struct Sourced<'d> {
    pub declaration: &'d Declaration,
    pub base: u32,
}

/// Declarations of the user-agent stylesheet that change fonts or hide elements.
pub fn user_agent(el: &ElementRef) -> Vec<Declaration> {
    let e = el.value();
    let tag = e.name();
    let d = |name: &str, value: &str| Declaration {
        name: name.into(),
        value: value.into(),
        important: false,
    };
    let hidden_attr = e
        .attr("hidden")
        .is_some_and(|h| !h.eq_ignore_ascii_case("until-found"));
    let hidden_input = tag == "input"
        && e.attr("type")
            .is_some_and(|t| t.eq_ignore_ascii_case("hidden"));
    let closed_dialog = tag == "dialog" && e.attr("open").is_none();
    match tag {
        _ if hidden_attr || hidden_input || closed_dialog => vec![d("display", "none")],
        "head" | "script" | "style" | "template" | "title" | "meta" | "link" | "base"
        | "noscript" | "datalist" | "param" | "source" | "track" | "area" => {
            vec![d("display", "none")]
        }
        "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "th" | "optgroup" => {
            vec![d("font-weight", "bold")]
        }
        "b" | "strong" => vec![d("font-weight", "bolder")],
        "i" | "em" | "cite" | "var" | "dfn" | "address" => vec![d("font-style", "italic")],
        "pre" | "code" | "kbd" | "samp" | "tt" | "xmp" | "listing" => {
            vec![d("font-family", "monospace")]
        }
        // `font: -webkit-small-control`: form controls do not inherit the page's font.
        "input" | "button" | "select" | "textarea" => vec![
            d("font-family", "system-ui"),
            d("font-weight", "normal"),
            d("font-style", "normal"),
        ],
        _ => Vec::new(),
    }
}

/// The computed values of an element (or of its pseudo-element, from the element's own),
/// from its declarations in cascade order (lowest priority first).
pub fn compute(parent: &Computed, declarations: &[Sourced]) -> (Computed, Vec<(String, u32)>) {
    let mut out = Computed::inherit(parent);
    // Custom properties first: every `var()` of the element reads their final values.
    for s in declarations {
        let d = s.declaration;
        if d.name.starts_with("--") {
            Rc::make_mut(&mut out.vars).insert(d.name.clone(), d.value.clone());
        }
    }
    let mut backgrounds: Vec<(String, u32)> = Vec::new();
    for s in declarations {
        let d = s.declaration;
        if d.name.starts_with("--") {
            continue;
        }
        let value = if d.value.contains("var(") {
            substitute(&d.value, &out.vars, 0)
        } else {
            Some(d.value.clone())
        };
        let keyword = value.as_deref().map(|v| v.trim().to_ascii_lowercase());
        match keyword.as_deref() {
            // Invalid at computed-value time (an undefined `var()`), `unset`: inherited
            // properties inherit, the others take their initial value.
            None | Some("unset" | "revert" | "revert-layer") => {
                reset(&mut out, parent, &d.name, true, &mut backgrounds)
            }
            Some("inherit") => reset(&mut out, parent, &d.name, true, &mut backgrounds),
            Some("initial") => reset(&mut out, parent, &d.name, false, &mut backgrounds),
            Some(_) => apply(
                &mut out,
                parent,
                &d.name,
                value.as_deref().unwrap_or(""),
                (s.base, &mut backgrounds),
            ),
        }
    }
    (out, backgrounds)
}

fn reset(
    out: &mut Computed,
    parent: &Computed,
    name: &str,
    inherit: bool,
    backgrounds: &mut Vec<(String, u32)>,
) {
    let root = Computed::root();
    let from = if inherit { parent } else { &root };
    match name {
        "font" => {
            out.family = from.family.clone();
            out.weight = from.weight;
            out.italic = from.italic;
        }
        "font-family" => out.family = from.family.clone(),
        "font-weight" => out.weight = from.weight,
        "font-style" => out.italic = from.italic,
        "display" => out.hidden = false,
        "background" | "background-image" => backgrounds.clear(),
        "content" => out.content = None,
        "width" => out.width = None,
        "max-width" => out.max_width = None,
        _ => {}
    }
}

fn apply(
    out: &mut Computed,
    parent: &Computed,
    name: &str,
    value: &str,
    (base, backgrounds): (u32, &mut Vec<(String, u32)>),
) {
    match name {
        "font-family" => out.family = Rc::new(families(value)),
        "font" => font_shorthand(out, parent, value),
        "font-weight" => out.weight = weight(value, parent.weight),
        "font-style" => out.italic = !value.trim().eq_ignore_ascii_case("normal"),
        "display" => out.hidden = value.trim().eq_ignore_ascii_case("none"),
        "background" | "background-image" => {
            *backgrounds = images(name, value).into_iter().map(|u| (u, base)).collect();
        }
        "content" => out.content = content(value),
        "width" => out.width = Some(value.to_string()),
        "max-width" => out.max_width = Some(value.to_string()),
        _ => {}
    }
}

/// `"Inter", 'Open Sans', system-ui` -> its families.
pub fn families(value: &str) -> Vec<Family> {
    select::split_top_level(value, ',')
        .into_iter()
        .filter_map(|f| {
            let name = unquote(f).trim();
            if name.is_empty() {
                return None;
            }
            let quoted = f.trim().starts_with(['"', '\'']);
            let generic = !quoted && GENERICS.contains(&name.to_ascii_lowercase().as_str());
            Some(
                if generic || name.starts_with("-apple-") || name.starts_with("-webkit-") {
                    Family::Generic
                } else {
                    Family::Named(
                        name.split_whitespace()
                            .collect::<Vec<_>>()
                            .join(" ")
                            .to_lowercase(),
                    )
                },
            )
        })
        .collect()
}

const GENERICS: &[&str] = &[
    "serif",
    "sans-serif",
    "cursive",
    "fantasy",
    "monospace",
    "system-ui",
    "emoji",
    "math",
    "fangsong",
    "ui-serif",
    "ui-sans-serif",
    "ui-monospace",
    "ui-rounded",
    "blinkmacsystemfont",
];

fn font_shorthand(out: &mut Computed, parent: &Computed, value: &str) {
    let system = [
        "caption",
        "icon",
        "menu",
        "message-box",
        "small-caption",
        "status-bar",
    ];
    if system.contains(&value.trim().to_ascii_lowercase().as_str()) {
        out.family = Rc::new(vec![Family::Generic]);
        return;
    }
    let Ok(Property::Font(font)) =
        Property::parse_string(PropertyId::from("font"), value, ParserOptions::default())
    else {
        return;
    };
    let family: Vec<String> = font
        .family
        .iter()
        .filter_map(|f| lightningcss::traits::ToCss::to_css_string(f, Default::default()).ok())
        .collect();
    out.family = Rc::new(families(&family.join(",")));
    out.weight = match font.weight {
        lightningcss::properties::font::FontWeight::Bolder => bolder(parent.weight),
        lightningcss::properties::font::FontWeight::Lighter => lighter(parent.weight),
        ref w => weight_number(w),
    };
    out.italic = !matches!(
        font.style,
        lightningcss::properties::font::FontStyle::Normal
    );
}

fn weight(value: &str, parent: f32) -> f32 {
    match value.trim().to_ascii_lowercase().as_str() {
        "normal" => 400.0,
        "bold" => 700.0,
        "bolder" => bolder(parent),
        "lighter" => lighter(parent),
        n => n
            .parse::<f32>()
            .ok()
            .filter(|n| (1.0..=1000.0).contains(n))
            .unwrap_or(parent),
    }
}

/// CSS Fonts 4, "bolder and lighter" table.
fn bolder(w: f32) -> f32 {
    match w {
        w if w < 350.0 => 400.0,
        w if w < 550.0 => 700.0,
        _ => 900.0,
    }
}

fn lighter(w: f32) -> f32 {
    match w {
        w if w < 100.0 => w,
        w if w < 550.0 => 100.0,
        w if w < 750.0 => 400.0,
        _ => 700.0,
    }
}

/// The image URLs of a `background`/`background-image` value; `image-set()` keeps all its
/// options here (the caller picks one: it knows the viewport).
fn images(name: &str, value: &str) -> Vec<String> {
    let parsed = Property::parse_string(PropertyId::from(name), value, ParserOptions::default());
    let list: Vec<&Image> = match &parsed {
        Ok(Property::BackgroundImage(images)) => images.iter().collect(),
        Ok(Property::Background(bgs)) => bgs.iter().map(|b| &b.image).collect(),
        // Not understood: every `url()` in it.
        _ => return url_functions(value),
    };
    let mut out = Vec::new();
    for image in list {
        match image {
            Image::Url(u) => out.push(u.url.to_string()),
            Image::ImageSet(set) => {
                let options: Vec<String> = set
                    .options
                    .iter()
                    .filter_map(|o| {
                        let Image::Url(u) = &o.image else { return None };
                        let dppx = match o.resolution {
                            lightningcss::values::resolution::Resolution::Dppx(x) => x,
                            lightningcss::values::resolution::Resolution::Dpi(d) => d / 96.0,
                            lightningcss::values::resolution::Resolution::Dpcm(d) => {
                                d * 2.54 / 96.0
                            }
                        };
                        let mime = o.file_type.as_deref().unwrap_or("");
                        Some(format!("{IMAGE_SET}{dppx} {mime} {}", u.url))
                    })
                    .collect();
                out.push(options.join("\n"));
            }
            _ => {}
        }
    }
    out
}

/// Marks an `image-set()` in [`Computed::backgrounds`]: lines of `{dppx} {type} {url}`.
pub const IMAGE_SET: &str = "\u{1}";

/// The `image-set()` option Chromium takes at `dpr` (CSS Images 4, as Chromium's
/// `CSSImageSetValue::GetBestOption` does it): options of unsupported types dropped, then those
/// repeating an earlier option's resolution, then the lowest resolution at or above `dpr`,
/// else the highest.
pub fn pick_image_set(set: &str, dpr: f32) -> Option<String> {
    let mut options: Vec<(f32, &str)> = Vec::new();
    for line in set.lines() {
        let mut parts = line.trim_start_matches(IMAGE_SET).splitn(3, ' ');
        let (Some(x), Some(mime), Some(url)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        let Ok(x) = x.parse::<f32>() else { continue };
        if select::image_type_supported(mime) && !options.iter().any(|(y, _)| *y == x) {
            options.push((x, url));
        }
    }
    options.sort_by(|a, b| a.0.total_cmp(&b.0));
    options
        .iter()
        .find(|(x, _)| *x >= dpr)
        .or(options.last())
        .map(|(_, u)| u.to_string())
}

/// Every `url(…)` in a value the parser did not take.
fn url_functions(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = value;
    while let Some(i) = rest.find("url(") {
        rest = &rest[i + 4..];
        let end = rest.find(')').unwrap_or(rest.len());
        let url = unquote(&rest[..end]);
        if !url.is_empty() {
            out.push(url.to_string());
        }
        rest = &rest[end..];
    }
    out
}

/// A `content` value's text: its strings, unescaped; `None` for `none` and `normal`.
fn content(value: &str) -> Option<String> {
    let v = value.trim();
    if v.eq_ignore_ascii_case("none") || v.eq_ignore_ascii_case("normal") {
        return None;
    }
    let mut text = String::new();
    let mut chars = v.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '"' && c != '\'' {
            continue;
        }
        while let Some(d) = chars.next() {
            match d {
                d if d == c => break,
                '\\' => {
                    let mut hex = String::new();
                    while hex.len() < 6 && chars.peek().is_some_and(|h| h.is_ascii_hexdigit()) {
                        hex.push(chars.next().unwrap_or('0'));
                    }
                    if hex.is_empty() {
                        if let Some(n) = chars.next() {
                            text.push(n);
                        }
                    } else {
                        if chars.peek() == Some(&' ') {
                            chars.next();
                        }
                        text.extend(u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32));
                    }
                }
                d => text.push(d),
            }
        }
    }
    Some(text)
}

/// Longest value a substitution may make: variables that each name the next twice double it
/// per level (browsers cap it too, and treat the declaration as invalid).
const MAX_SUBSTITUTED: usize = 64 * 1024;

/// Substitutes `var(--name, fallback)`; `None` when a variable is undefined and has no
/// fallback, or the result grows past [`MAX_SUBSTITUTED`] (the declaration is then invalid at
/// computed-value time).
pub fn substitute(value: &str, vars: &HashMap<String, String>, depth: u32) -> Option<String> {
    if depth > 16 || value.len() > MAX_SUBSTITUTED {
        return None;
    }
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(i) = rest.find("var(") {
        out.push_str(&rest[..i]);
        let inside = &rest[i + 4..];
        let mut level = 1;
        let mut end = inside.len();
        for (j, c) in inside.char_indices() {
            match c {
                '(' => level += 1,
                ')' => {
                    level -= 1;
                    if level == 0 {
                        end = j;
                        break;
                    }
                }
                _ => {}
            }
        }
        let args = &inside[..end];
        let (name, fallback) = match args.find(',') {
            Some(k) => (args[..k].trim(), Some(&args[k + 1..])),
            None => (args.trim(), None),
        };
        let found = vars
            .get(name)
            .filter(|v| !v.trim().is_empty() || fallback.is_none())
            .map(|v| v.as_str())
            .or(fallback.map(str::trim))?;
        out.push_str(&substitute(found, vars, depth + 1)?);
        if out.len() > MAX_SUBSTITUTED {
            return None;
        }
        rest = inside.get(end + 1..).unwrap_or("");
    }
    out.push_str(rest);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables() {
        let vars: HashMap<String, String> = [
            ("--a".to_string(), "\"Inter\", var(--b)".to_string()),
            ("--b".to_string(), "sans-serif".to_string()),
        ]
        .into();
        assert_eq!(
            substitute("var(--a)", &vars, 0).unwrap(),
            "\"Inter\", sans-serif"
        );
        assert_eq!(substitute("var(--x, 700)", &vars, 0).unwrap(), "700");
        assert_eq!(substitute("var(--x)", &vars, 0), None);
        // Each level names the next twice: 2^12 copies of 100 bytes, refused instead of built.
        let doubling: HashMap<String, String> = (0..12)
            .map(|i| {
                (
                    format!("--v{i}"),
                    format!("var(--v{}) var(--v{})", i + 1, i + 1),
                )
            })
            .chain([("--v12".to_string(), "x".repeat(100))])
            .collect();
        assert_eq!(substitute("var(--v0)", &doubling, 0), None);
    }

    #[test]
    fn values() {
        assert_eq!(
            families("\"Font Awesome 6 Free\", system-ui, 'Segoe  UI', serif"),
            [
                Family::Named("font awesome 6 free".into()),
                Family::Generic,
                Family::Named("segoe ui".into()),
                Family::Generic
            ]
        );
        assert_eq!(content("\"\\f007\""), Some("\u{f007}".into()));
        assert_eq!(content("\"a\\\"b\" counter(x)"), Some("a\"b".into()));
        assert_eq!(content("none"), None);
        assert_eq!(
            images(
                "background",
                "url(a.png) no-repeat, linear-gradient(red, blue)"
            ),
            ["a.png"]
        );
        let set = &images(
            "background-image",
            "image-set(url(a.avif) type(\"image/avif\") 1x, url(b.jpg) 2x)",
        )[0];
        assert_eq!(pick_image_set(set, 1.0).as_deref(), Some("a.avif"));
        assert_eq!(pick_image_set(set, 2.625).as_deref(), Some("b.jpg"));
        // Options of one resolution: the first of a supported type.
        let set = &images(
            "background-image",
            "image-set(url(a.jxl) 1x type(\"image/jxl\"), url(a.avif) 1x type(\"image/avif\"), url(a.jpg) 1x type(\"image/jpeg\"))",
        )[0];
        assert_eq!(pick_image_set(set, 2.625).as_deref(), Some("a.avif"));
        let mut out = Computed::root();
        font_shorthand(
            &mut out,
            &Computed::root(),
            "italic 700 1rem/1.5 \"Nunito\", sans-serif",
        );
        assert_eq!((out.weight, out.italic), (700.0, true));
        assert_eq!(
            *out.family,
            [Family::Named("nunito".into()), Family::Generic]
        );
        assert_eq!(weight("bolder", 400.0), 700.0);
    }
}
