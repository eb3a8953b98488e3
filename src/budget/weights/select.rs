//! What a browser picks at a viewport: media queries, `sizes`, `srcset` candidates,
//! `image-set()` options and `<source type>`s. Pure functions of text and a [`Viewport`].
//!
//! Media queries are parsed by lightningcss and evaluated here (lightningcss parses them but
//! has no evaluator); the `srcset` choice is Chromium's (`html_srcset_parser.cc`: candidates
//! sorted by density, the first at or above the device pixel ratio unless the one below is
//! closer than the geometric mean of the two).

use lightningcss::media_query::{
    MediaCondition, MediaFeatureComparison, MediaFeatureId, MediaFeatureName, MediaFeatureValue,
    MediaList, MediaQuery, MediaType, Operator, Qualifier, QueryFeature,
};
use lightningcss::traits::Parse;
use lightningcss::values::length::{Length, LengthValue};
use lightningcss::values::resolution::Resolution;
use serde::{Deserialize, Serialize};

/// A reference browser window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Viewport {
    pub name: String,
    /// CSS pixels.
    pub width: u32,
    pub height: u32,
    /// Device pixels per CSS pixel.
    pub dpr: f32,
    /// A touch screen without hover (`(hover: none)`, `(pointer: coarse)`).
    #[serde(default)]
    pub mobile: bool,
}

impl Viewport {
    /// Lighthouse's mobile emulation (a Moto G Power) and desktop preset.
    pub fn defaults() -> Vec<Viewport> {
        vec![
            Viewport {
                name: "mobile".into(),
                width: 412,
                height: 823,
                dpr: 2.625,
                mobile: true,
            },
            Viewport {
                name: "desktop".into(),
                width: 1350,
                height: 940,
                dpr: 1.0,
                mobile: false,
            },
        ]
    }

    /// `mobile 412×823 @2.625x`.
    pub fn label(&self) -> String {
        format!(
            "{} {}×{} @{}x",
            self.name, self.width, self.height, self.dpr
        )
    }
}

/// The root font size media queries and `sizes` resolve `em` and `rem` against.
const ROOT_FONT_PX: f32 = 16.0;

/// Whether the media query list `text` (an attribute's `media`, an `@import`'s) matches.
/// Unparsable lists match nothing, as in browsers; an empty one matches.
pub fn media_text_matches(text: &str, viewport: &Viewport) -> bool {
    let text = text.trim();
    if text.is_empty() {
        return true;
    }
    // lightningcss parses a media query list only from a parser it does not export the type
    // of; wrapped in an `@media` rule, the same parser reads it.
    let css = format!("@media {text} {{}}");
    let Ok(sheet) = lightningcss::stylesheet::StyleSheet::parse(&css, Default::default()) else {
        return false;
    };
    match sheet.rules.0.first() {
        Some(lightningcss::rules::CssRule::Media(rule)) => media_matches(&rule.query, viewport),
        _ => false,
    }
}

pub fn media_matches(list: &MediaList, viewport: &Viewport) -> bool {
    list.media_queries.is_empty() || list.media_queries.iter().any(|q| query(q, viewport))
}

fn query(q: &MediaQuery, viewport: &Viewport) -> bool {
    let typed = match &q.media_type {
        MediaType::All | MediaType::Screen => true,
        MediaType::Print | MediaType::Custom(_) => false,
    };
    let matched = typed
        && q.condition
            .as_ref()
            .is_none_or(|c| condition(c, viewport).unwrap_or(false));
    match q.qualifier {
        Some(Qualifier::Not) => !matched,
        _ => matched,
    }
}

/// `None`: unknown (treated as not matching at the top, like a browser's "unknown" value).
fn condition(c: &MediaCondition, viewport: &Viewport) -> Option<bool> {
    match c {
        MediaCondition::Feature(f) => feature(f, viewport),
        MediaCondition::Not(inner) => condition(inner, viewport).map(|b| !b),
        MediaCondition::Operation {
            operator,
            conditions,
        } => {
            let mut values = conditions.iter().map(|c| condition(c, viewport));
            match operator {
                Operator::And => values.try_fold(true, |acc, v| v.map(|v| acc && v)),
                Operator::Or => values.try_fold(false, |acc, v| v.map(|v| acc || v)),
            }
        }
        MediaCondition::Unknown(_) => None,
    }
}

/// A feature's value at the viewport: a number (lengths in px, resolutions in dppx) or a word.
enum Actual {
    Number(f32),
    Word(&'static str),
}

fn actual(id: &MediaFeatureId, v: &Viewport) -> Option<Actual> {
    use MediaFeatureId as F;
    let word = |mobile: &'static str, desktop: &'static str| {
        Some(Actual::Word(if v.mobile { mobile } else { desktop }))
    };
    match id {
        F::Width | F::DeviceWidth => Some(Actual::Number(v.width as f32)),
        F::Height | F::DeviceHeight => Some(Actual::Number(v.height as f32)),
        F::AspectRatio | F::DeviceAspectRatio => {
            Some(Actual::Number(v.width as f32 / v.height.max(1) as f32))
        }
        F::Resolution | F::WebKitDevicePixelRatio | F::MozDevicePixelRatio => {
            Some(Actual::Number(v.dpr))
        }
        F::Orientation => Some(Actual::Word(if v.height >= v.width {
            "portrait"
        } else {
            "landscape"
        })),
        F::Hover | F::AnyHover => word("none", "hover"),
        F::Pointer | F::AnyPointer => word("coarse", "fine"),
        F::PrefersColorScheme => Some(Actual::Word("light")),
        F::PrefersReducedMotion | F::PrefersReducedData | F::PrefersReducedTransparency => {
            Some(Actual::Word("no-preference"))
        }
        F::PrefersContrast => Some(Actual::Word("no-preference")),
        F::ForcedColors | F::InvertedColors => Some(Actual::Word("none")),
        F::Scripting => Some(Actual::Word("enabled")),
        F::DisplayMode => Some(Actual::Word("browser")),
        F::Color => Some(Actual::Number(8.0)),
        F::Monochrome | F::ColorIndex => Some(Actual::Number(0.0)),
        F::ColorGamut => Some(Actual::Word("srgb")),
        F::DynamicRange | F::VideoDynamicRange => Some(Actual::Word("standard")),
        F::Update => Some(Actual::Word("fast")),
        F::Grid => Some(Actual::Number(0.0)),
        _ => None,
    }
}

fn value(value: &MediaFeatureValue) -> Option<Actual> {
    match value {
        MediaFeatureValue::Length(l) => length_px(l, None).map(Actual::Number),
        MediaFeatureValue::Number(n) => Some(Actual::Number(*n)),
        MediaFeatureValue::Integer(n) => Some(Actual::Number(*n as f32)),
        MediaFeatureValue::Boolean(b) => Some(Actual::Number(if *b { 1.0 } else { 0.0 })),
        MediaFeatureValue::Resolution(r) => Some(Actual::Number(match r {
            Resolution::Dpi(d) => d / 96.0,
            Resolution::Dpcm(d) => d * 2.54 / 96.0,
            Resolution::Dppx(d) => *d,
        })),
        MediaFeatureValue::Ratio(r) => Some(Actual::Number(r.0 / r.1.max(f32::MIN_POSITIVE))),
        MediaFeatureValue::Ident(i) => {
            // Only the words `actual` can answer; anything else cannot match.
            let w = i.0.as_ref();
            Some(Actual::Word(
                WORDS.iter().find(|k| k.eq_ignore_ascii_case(w)).copied()?,
            ))
        }
        MediaFeatureValue::Env(_) => None,
    }
}

const WORDS: [&str; 16] = [
    "portrait",
    "landscape",
    "none",
    "hover",
    "coarse",
    "fine",
    "light",
    "dark",
    "no-preference",
    "reduce",
    "enabled",
    "browser",
    "srgb",
    "standard",
    "fast",
    "active",
];

fn compare(actual: &Actual, op: MediaFeatureComparison, wanted: &Actual) -> Option<bool> {
    match (actual, wanted) {
        (Actual::Number(a), Actual::Number(w)) => Some(match op {
            MediaFeatureComparison::Equal => (a - w).abs() < 1e-3,
            MediaFeatureComparison::GreaterThan => a > w,
            MediaFeatureComparison::GreaterThanEqual => a >= w,
            MediaFeatureComparison::LessThan => a < w,
            MediaFeatureComparison::LessThanEqual => a <= w,
        }),
        (Actual::Word(a), Actual::Word(w)) => {
            (op == MediaFeatureComparison::Equal).then_some(a == w)
        }
        _ => None,
    }
}

fn feature(f: &QueryFeature<MediaFeatureId>, viewport: &Viewport) -> Option<bool> {
    let standard = |name: &MediaFeatureName<MediaFeatureId>| match name {
        MediaFeatureName::Standard(id) => Some(*id),
        _ => None,
    };
    match f {
        QueryFeature::Plain { name, value: v } => {
            let a = actual(&standard(name)?, viewport)?;
            compare(&a, MediaFeatureComparison::Equal, &value(v)?)
        }
        QueryFeature::Boolean { name } => Some(match actual(&standard(name)?, viewport)? {
            Actual::Number(n) => n != 0.0,
            Actual::Word(w) => !matches!(w, "none" | "no-preference"),
        }),
        QueryFeature::Range {
            name,
            operator,
            value: v,
        } => compare(&actual(&standard(name)?, viewport)?, *operator, &value(v)?),
        QueryFeature::Interval {
            name,
            start,
            start_operator,
            end,
            end_operator,
        } => {
            let a = actual(&standard(name)?, viewport)?;
            // `400px < width < 700px`: the start compares the other way round.
            let flipped = match start_operator {
                MediaFeatureComparison::LessThan => MediaFeatureComparison::GreaterThan,
                MediaFeatureComparison::LessThanEqual => MediaFeatureComparison::GreaterThanEqual,
                MediaFeatureComparison::GreaterThan => MediaFeatureComparison::LessThan,
                MediaFeatureComparison::GreaterThanEqual => MediaFeatureComparison::LessThanEqual,
                MediaFeatureComparison::Equal => MediaFeatureComparison::Equal,
            };
            Some(compare(&a, flipped, &value(start)?)? && compare(&a, *end_operator, &value(end)?)?)
        }
    }
}

/// A length in CSS pixels; `vw` and `vh` need the viewport.
pub fn length_px(length: &Length, viewport: Option<&Viewport>) -> Option<f32> {
    use lightningcss::values::calc::{Calc, MathFunction};
    fn calc(c: &Calc<Length>, viewport: Option<&Viewport>) -> Option<f32> {
        match c {
            Calc::Value(l) => length_px(l, viewport),
            Calc::Number(n) => Some(*n),
            Calc::Sum(a, b) => Some(calc(a, viewport)? + calc(b, viewport)?),
            Calc::Product(k, a) => Some(k * calc(a, viewport)?),
            Calc::Function(f) => match &**f {
                MathFunction::Calc(c) => calc(c, viewport),
                MathFunction::Min(list) => list
                    .iter()
                    .map(|c| calc(c, viewport))
                    .try_fold(f32::INFINITY, |m, v| v.map(|v| m.min(v))),
                MathFunction::Max(list) => list
                    .iter()
                    .map(|c| calc(c, viewport))
                    .try_fold(f32::NEG_INFINITY, |m, v| v.map(|v| m.max(v))),
                MathFunction::Clamp(lo, v, hi) => Some(
                    calc(v, viewport)?
                        .max(calc(lo, viewport)?)
                        .min(calc(hi, viewport)?),
                ),
                _ => None,
            },
        }
    }
    match length {
        Length::Value(v) => value_px(v, viewport),
        Length::Calc(c) => calc(c, viewport),
    }
}

fn value_px(v: &LengthValue, viewport: Option<&Viewport>) -> Option<f32> {
    let (w, h) = viewport.map_or((None, None), |v| {
        (Some(v.width as f32), Some(v.height as f32))
    });
    match v {
        LengthValue::Em(n) | LengthValue::Rem(n) => Some(n * ROOT_FONT_PX),
        LengthValue::Vw(n) | LengthValue::Svw(n) | LengthValue::Lvw(n) | LengthValue::Dvw(n) => {
            Some(n * w? / 100.0)
        }
        LengthValue::Vh(n) | LengthValue::Svh(n) | LengthValue::Lvh(n) | LengthValue::Dvh(n) => {
            Some(n * h? / 100.0)
        }
        other => other.to_px(),
    }
}

/// The width `sizes` gives an image at the viewport (`sizes` absent: `100vw`). `auto` (lazy
/// images: the laid-out width, which only a layout knows) is `auto_width` (see
/// [`auto_width`]), at most the viewport's width, when there is one, and skipped otherwise.
pub fn source_size(sizes: Option<&str>, auto_width: Option<f32>, viewport: &Viewport) -> f32 {
    let full = viewport.width as f32;
    let Some(sizes) = sizes else {
        return full;
    };
    for entry in split_top_level(sizes, ',') {
        let entry = entry.trim();
        if entry.eq_ignore_ascii_case("auto") {
            match auto_width {
                Some(w) => return w.min(full),
                None => continue,
            }
        }
        let (condition, size) = match last_top_level_space(entry) {
            Some(i) => (entry[..i].trim(), entry[i..].trim()),
            None => ("", entry),
        };
        if !condition.is_empty() && !media_text_matches(condition, viewport) {
            continue;
        }
        if let Ok(length) = Length::parse_string(size)
            && let Some(px) = length_px(&length, Some(viewport))
            && px >= 0.0
        {
            return px;
        }
    }
    full
}

/// The width an image is laid out at, as far as it can be told without a layout: its CSS
/// `width` when that is a length (not a percentage), else its `width` attribute, at most its
/// CSS `max-width` when that is a length.
pub fn auto_width(
    css_width: Option<&str>,
    css_max_width: Option<&str>,
    attribute: Option<f32>,
    viewport: &Viewport,
) -> Option<f32> {
    let length = |text: Option<&str>| {
        let length = Length::parse_string(text?.trim()).ok()?;
        length_px(&length, Some(viewport)).filter(|px| *px > 0.0)
    };
    let width = length(css_width).or(attribute)?;
    Some(match length(css_max_width) {
        Some(max) => width.min(max),
        None => width,
    })
}

/// Splits at `sep` outside parentheses and quotes.
pub fn split_top_level(text: &str, sep: char) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut quote, mut start) = (0i32, None, 0);
    for (i, c) in text.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') => depth -= 1,
            (None, c) if c == sep && depth <= 0 => {
                out.push(&text[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    out.push(&text[start..]);
    out
}

fn last_top_level_space(text: &str) -> Option<usize> {
    let mut depth = 0i32;
    let mut last = None;
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            c if c.is_whitespace() && depth <= 0 => last = Some(i),
            _ => {}
        }
    }
    last
}

/// One `srcset` candidate.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub url: String,
    pub descriptor: Descriptor,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Descriptor {
    Width(f32),
    Density(f32),
}

/// Parses `srcset` the way the HTML standard does: a URL (a run without whitespace, a trailing
/// comma ending it), then descriptors up to the next comma outside parentheses.
pub fn parse_srcset(value: &str) -> Vec<Candidate> {
    let mut out = Vec::new();
    let mut rest = value;
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == ',');
        if rest.is_empty() {
            return out;
        }
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let mut url = &rest[..end];
        rest = &rest[end..];
        let descriptors;
        if let Some(stripped) = url.strip_suffix(',') {
            url = stripped.trim_end_matches(',');
            descriptors = "";
        } else {
            let stop = rest.find(',').unwrap_or(rest.len());
            descriptors = &rest[..stop];
            rest = &rest[stop..];
        }
        let mut descriptor = Descriptor::Density(1.0);
        for d in descriptors.split_whitespace() {
            let number = |s: &str| s.parse::<f32>().ok().filter(|n| *n > 0.0);
            if let Some(w) = d.strip_suffix('w').and_then(number) {
                descriptor = Descriptor::Width(w);
            } else if let Some(x) = d.strip_suffix('x').and_then(number) {
                descriptor = Descriptor::Density(x);
            }
        }
        if !url.is_empty() {
            out.push(Candidate {
                url: url.to_string(),
                descriptor,
            });
        }
    }
}

/// The candidate Chromium picks: `src` joins `srcset` as `1x` when no candidate has that
/// density; width descriptors become densities over `source_size`.
pub fn pick(candidates: &[Candidate], source_size: f32, dpr: f32) -> Option<&str> {
    let mut dense: Vec<(f32, &str)> = candidates
        .iter()
        .map(|c| {
            let density = match c.descriptor {
                Descriptor::Width(w) => w / source_size.max(1.0),
                Descriptor::Density(x) => x,
            };
            (density, c.url.as_str())
        })
        .collect();
    dense.sort_by(|a, b| a.0.total_cmp(&b.0));
    dense.dedup_by(|b, a| a.0 == b.0);
    let last = dense.len().checked_sub(1)?;
    let mut i = 0;
    while i < last {
        let next = dense[i + 1].0;
        if next < dpr {
            i += 1;
            continue;
        }
        let current = dense[i].0;
        let mean = (current * next).sqrt();
        if (dpr <= 1.0 && dpr > current) || dpr >= mean {
            return Some(dense[i + 1].1);
        }
        break;
    }
    Some(dense[i].1)
}

/// The image MIME types a current Chromium decodes (`<source type>`, `image-set(type())`).
pub fn image_type_supported(mime: &str) -> bool {
    let mime = mime
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    matches!(
        mime.as_str(),
        "" | "image/avif"
            | "image/webp"
            | "image/jpeg"
            | "image/jpg"
            | "image/pjpeg"
            | "image/png"
            | "image/apng"
            | "image/gif"
            | "image/svg+xml"
            | "image/bmp"
            | "image/x-icon"
            | "image/vnd.microsoft.icon"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mobile() -> Viewport {
        Viewport::defaults().remove(0)
    }

    fn desktop() -> Viewport {
        Viewport::defaults().remove(1)
    }

    #[test]
    fn media_queries() {
        let (m, d) = (mobile(), desktop());
        for (text, on_mobile, on_desktop) in [
            ("(min-width: 768px)", false, true),
            ("(max-width: 767.98px)", true, false),
            ("screen and (min-width: 40em)", false, true),
            ("print", false, false),
            ("not print", true, true),
            ("(width >= 400px) and (width < 1000px)", true, false),
            ("(400px <= width < 1000px)", true, false),
            ("(hover: hover)", false, true),
            ("(prefers-color-scheme: dark)", false, false),
            ("(prefers-reduced-motion: no-preference)", true, true),
            (
                "(-webkit-min-device-pixel-ratio: 2), (min-resolution: 192dpi)",
                true,
                false,
            ),
            ("(orientation: landscape)", false, true),
            ("(min-width: 576px), print", false, true),
            ("", true, true),
            ("((", false, false),
        ] {
            assert_eq!(media_text_matches(text, &m), on_mobile, "{text} on mobile");
            assert_eq!(
                media_text_matches(text, &d),
                on_desktop,
                "{text} on desktop"
            );
        }
    }

    #[test]
    fn sizes() {
        let (m, d) = (mobile(), desktop());
        let sizes = "(max-width: 600px) 100vw, (max-width: 1200px) 50vw, 800px";
        assert_eq!(source_size(Some(sizes), None, &m), 412.0);
        assert_eq!(source_size(Some(sizes), None, &d), 800.0);
        assert_eq!(source_size(Some("calc(100vw - 2rem)"), None, &m), 380.0);
        assert_eq!(source_size(Some("auto, 50vw"), Some(300.0), &d), 300.0);
        assert_eq!(source_size(Some("auto, 50vw"), None, &d), 675.0);
        assert_eq!(source_size(None, None, &d), 1350.0);
        assert_eq!(
            auto_width(Some("14rem"), None, Some(500.0), &d),
            Some(224.0)
        );
        assert_eq!(
            auto_width(Some("100%"), Some("12rem"), Some(500.0), &d),
            Some(192.0)
        );
        assert_eq!(auto_width(Some("100%"), None, None, &d), None);
    }

    #[test]
    fn srcset_choice_is_chromiums() {
        let set =
            parse_srcset("a-320.avif 320w, a-640.avif 640w,a-1280.avif 1280w, a-1920.avif 1920w");
        assert_eq!(set.len(), 4);
        // 412 px at 2.625: 1081 device px wanted; 1280w (density 3.1) over 640w (1.55).
        assert_eq!(pick(&set, 412.0, 2.625), Some("a-1280.avif"));
        // 1350 px at 1x: 1920w is the only one at or above.
        assert_eq!(pick(&set, 1350.0, 1.0), Some("a-1920.avif"));
        // 800 px at 1x: between 640 (0.8) and 1280 (1.6): 1280, as dpr <= 1 and > 0.8.
        assert_eq!(pick(&set, 800.0, 1.0), Some("a-1280.avif"));
        let x = parse_srcset("b.png, b@2x.png 2x, data:image/png;base64,AAA= 3x");
        assert_eq!(x[2].url, "data:image/png;base64,AAA=");
        assert_eq!(pick(&x, 412.0, 2.625), Some("data:image/png;base64,AAA="));
        assert_eq!(pick(&x, 1350.0, 1.0), Some("b.png"));
        // The geometric mean: at 1.3x, 1x (mean with 2x: 1.41) is kept.
        assert_eq!(pick(&x, 1350.0, 1.3), Some("b.png"));
        assert_eq!(pick(&[], 1.0, 1.0), None);
    }
}
