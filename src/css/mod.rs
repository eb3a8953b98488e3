//! CSS: find the references a stylesheet makes (`url()`, `@import`, `image-set()`, font
//! sources) and print it again with new names, using lightningcss.
//!
//! Scanning and rewriting are the same walk over the parsed sheet (lightningcss's visitor);
//! scanning records each URL, rewriting replaces it, then the sheet is printed (minified when
//! `[css] minify` is on, for the browsers of `[css] targets`). A sheet that does not parse is
//! passed through unchanged, with its references still found by an error-recovering parse so
//! their targets are not broken.

pub mod critical;
pub mod parse;
pub mod prune;
pub mod purge;

use std::convert::Infallible;

use lightningcss::declaration::DeclarationBlock;
use lightningcss::properties::Property;
use lightningcss::rules::CssRule;
use lightningcss::stylesheet::{MinifyOptions, ParserOptions, PrinterOptions, StyleAttribute};
use lightningcss::targets::{Browsers, Targets};
use lightningcss::values::image::{Image, ImageSet, ImageSetOption};
use lightningcss::values::resolution::Resolution;
use lightningcss::values::url::Url;
use lightningcss::vendor_prefix::VendorPrefix;
use lightningcss::visit_types;
use lightningcss::visitor::{Visit, VisitTypes, Visitor};

use crate::refs::{RefKind, Reference};

/// The words a script, page, style or sheet may name a class, id, keyframes or font by: runs of
/// letters, digits, `-` and `_`. Purge, its first cut and critical CSS all read words this way.
pub(crate) fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '_'))
        .filter(|w| !w.is_empty())
}

#[derive(Debug, Default)]
pub struct Scan {
    pub refs: Vec<Reference>,
    /// Set when the sheet could not be parsed strictly: (line, column, message).
    pub error: Option<(u32, u32, String)>,
}

/// Finds the references in a stylesheet.
pub fn scan(src: &str) -> Scan {
    let mut refs = Vec::new();
    let mut record = |r: &Reference| {
        refs.push(r.clone());
        None
    };
    let error = match process_sheet(src, false, Style::default(), &mut record, None, None) {
        Ok(_) => None,
        Err(error) => {
            // Still find what it references, so those files keep working URLs.
            let _ = process_sheet(src, true, Style::default(), &mut record, None, None);
            Some(error)
        }
    };
    Scan { refs, error }
}

/// How CSS is printed: minified or not (`[css] minify`), and for which browsers (`[css]
/// targets`: lightningcss adds the prefixes and fallbacks they need and drops the ones none of
/// them needs).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Style {
    pub minify: bool,
    pub browsers: Option<Browsers>,
}

impl Style {
    fn targets(self) -> Targets {
        Targets {
            browsers: self.browsers,
            ..Targets::default()
        }
    }

    fn printer(self) -> PrinterOptions<'static> {
        PrinterOptions {
            minify: self.minify,
            targets: self.targets(),
            ..Default::default()
        }
    }

    fn minify_options(self) -> MinifyOptions {
        MinifyOptions {
            targets: self.targets(),
            ..Default::default()
        }
    }
}

/// The `image-set()` candidates for a background image, by its (final) URL: `(url, type)`,
/// best format first, the original last.
pub type ImageSets<'a> = &'a dyn Fn(&str) -> Option<Vec<(String, &'static str)>>;

/// Prints the sheet with each reference replaced by `new_url` (when it returns a value).
/// `None` when the sheet does not parse, or when nothing changed and it is not minified (the
/// caller keeps the original).
pub fn rewrite(
    src: &str,
    style: Style,
    mut new_url: impl FnMut(&Reference) -> Option<String>,
) -> Option<String> {
    process_sheet(src, false, style, &mut new_url, None, None)
        .ok()
        .flatten()
}

/// A stylesheet's final text: [`rewrite`], less the selectors `purge` does not keep, and with
/// `image-set()`s when `sets` is given: each `background-image: url(x.jpg)` (or `background`
/// with one image) whose URL has candidates in `sets` is followed by
/// `background-image: image-set(…)` with them. Browsers that understand `image-set()` with
/// `type()` pick the best format they support; the others keep the `url()` before it.
pub fn rewrite_sheet(
    src: &str,
    style: Style,
    mut new_url: impl FnMut(&Reference) -> Option<String>,
    sets: Option<ImageSets>,
    purge: Option<&purge::Keep>,
) -> Option<String> {
    process_sheet(src, false, style, &mut new_url, sets, purge)
        .ok()
        .flatten()
}

/// The same for the declarations of a `style` attribute, with `image-set()`s when `sets` is
/// given (as [`rewrite_sheet`]).
pub fn rewrite_declarations(
    src: &str,
    style: Style,
    mut new_url: impl FnMut(&Reference) -> Option<String>,
    sets: Option<ImageSets>,
) -> Option<String> {
    let options = ParserOptions::default();
    let mut attribute = StyleAttribute::parse(src, options).ok()?;
    let mut visitor = UrlVisitor {
        line_offset: 0,
        changed: false,
        new_url: &mut new_url,
    };
    let _ = attribute.visit(&mut visitor);
    let mut changed = visitor.changed;
    // As for sheets (see `process_sheet`): an earlier run's pairs out before minifying, back in
    // after.
    let mut earlier = ImageSetTaker::default();
    if style.minify {
        each_list(&mut attribute.declarations, |list| earlier.take(list));
        attribute.minify(style.minify_options());
    }
    changed |= put_image_sets(&earlier, sets, |add| {
        each_list(&mut attribute.declarations, add)
    });
    if !changed && !style.minify {
        return None;
    }
    attribute.to_css(style.printer()).ok().map(|r| r.code)
}

type Callback<'a> = dyn FnMut(&Reference) -> Option<String> + 'a;

/// Puts back the `image-set()`s `earlier` took out (an earlier run's) and adds new ones from
/// `sets`, on the declaration lists `visit` walks (a sheet's or an attribute's). Whether any was
/// added.
fn put_image_sets<'i>(
    earlier: &ImageSetTaker,
    sets: Option<ImageSets>,
    visit: impl FnOnce(&mut dyn FnMut(&mut Vec<Property<'i>>)),
) -> bool {
    if sets.is_none() && earlier.taken.is_empty() {
        return false;
    }
    let lookup = |url: &str| {
        earlier
            .taken
            .get(url)
            .cloned()
            .or_else(|| sets.and_then(|s| s(url)))
    };
    let mut adder = ImageSetAdder {
        sets: &lookup,
        added: false,
    };
    visit(&mut |list| adder.add(list));
    adder.added
}

fn process_sheet(
    src: &str,
    recover: bool,
    style: Style,
    new_url: &mut Callback<'_>,
    sets: Option<ImageSets>,
    purge: Option<&purge::Keep>,
) -> Result<Option<String>, (u32, u32, String)> {
    let parsed = parse::parse(src, recover).map_err(|e| {
        let (line, column) = e.loc.as_ref().map_or((1, 1), |l| (l.line + 1, l.column));
        (line, column, e.kind.to_string())
    })?;
    let mut visitor = UrlVisitor {
        line_offset: 1,
        changed: false,
        new_url,
    };
    let offsets: Vec<u32> = (0..parsed.sheet.rules.0.len())
        .map(|k| parsed.line_offset(k))
        .collect();
    let mut sheet = parsed.sheet;
    for (rule, offset) in sheet.rules.0.iter_mut().zip(offsets) {
        visitor.line_offset = 1 + offset;
        let _ = rule.visit(&mut visitor);
    }
    let mut changed = visitor.changed;
    if let Some(keep) = purge {
        changed |= purge::apply(&mut sheet.rules.0, keep) > 0;
    }
    // An earlier run's `url()` + `image-set()` pairs (when distill's output is built again)
    // come out before minifying, which would fold them into one prefixed declaration, and go
    // back in after, as the new ones are added.
    let mut earlier = ImageSetTaker::default();
    if style.minify {
        let _ = sheet.visit(&mut EachList(|list: &mut Vec<Property<'_>>| {
            earlier.take(list)
        }));
        sheet
            .minify(style.minify_options())
            .map_err(|e| (1, 1, e.kind.to_string()))?;
    }
    changed |= put_image_sets(&earlier, sets, |add| {
        let _ = sheet.visit(&mut EachList(add));
    });
    if !changed && !style.minify {
        return Ok(None);
    }
    sheet
        .to_css(style.printer())
        .map(|r| Some(r.code))
        .map_err(|e| (1, 1, e.kind.to_string()))
}

struct UrlVisitor<'a, 'b> {
    /// lightningcss lines are 0-based in sheets.
    line_offset: u32,
    changed: bool,
    new_url: &'a mut Callback<'b>,
}

impl UrlVisitor<'_, '_> {
    fn call(&mut self, url: &str, kind: RefKind, line: u32) -> Option<String> {
        let reference = Reference {
            url: url.to_string(),
            kind,
            line: line + self.line_offset,
            span: None,
        };
        let new = (self.new_url)(&reference);
        self.changed |= new.is_some();
        new
    }
}

impl<'i> Visitor<'i> for UrlVisitor<'_, '_> {
    type Error = Infallible;

    fn visit_types(&self) -> VisitTypes {
        visit_types!(URLS | IMAGES | RULES)
    }

    fn visit_url(&mut self, url: &mut Url<'i>) -> Result<(), Self::Error> {
        // `Url::loc` lines are 1-based, rule lines 0-based.
        if let Some(new) = self.call(&url.url, RefKind::Asset, url.loc.line.saturating_sub(1)) {
            url.url = new.into();
        }
        Ok(())
    }

    /// `image-set()` options are skipped by lightningcss's derived walk (to bound its type
    /// recursion), so they are visited here.
    fn visit_image(&mut self, image: &mut Image<'i>) -> Result<(), Self::Error> {
        if let Image::ImageSet(set) = image {
            for option in &mut set.options {
                option.image.visit(self)?;
            }
            return Ok(());
        }
        image.visit_children(self)
    }

    fn visit_rule(&mut self, rule: &mut CssRule<'i>) -> Result<(), Self::Error> {
        if let CssRule::Import(import) = rule
            && let Some(new) = self.call(&import.url, RefKind::Stylesheet, import.loc.line)
        {
            import.url = new.into();
        }
        rule.visit_children(self)
    }
}

/// Calls `f` on the declaration lists (normal, then `!important`) of a block.
fn each_list<'i>(block: &mut DeclarationBlock<'i>, mut f: impl FnMut(&mut Vec<Property<'i>>)) {
    f(&mut block.declarations);
    f(&mut block.important_declarations);
}

/// Visits every declaration block of a sheet (style rules, nested and in at-rules alike) and
/// calls its function on each declaration list.
struct EachList<F>(F);

impl<'i, F: FnMut(&mut Vec<Property<'i>>)> Visitor<'i> for EachList<F> {
    type Error = Infallible;

    fn visit_types(&self) -> VisitTypes {
        visit_types!(RULES | PROPERTIES)
    }

    fn visit_declaration_block(
        &mut self,
        decls: &mut DeclarationBlock<'i>,
    ) -> Result<(), Self::Error> {
        each_list(decls, &mut self.0);
        Ok(())
    }
}

/// Takes out each `background-image: image-set(…)` that follows a background `url()` and ends
/// with that same URL (the shape [`ImageSetAdder`] writes), recording its candidates by URL.
#[derive(Default)]
struct ImageSetTaker {
    taken: std::collections::HashMap<String, Vec<(String, &'static str)>>,
}

impl ImageSetTaker {
    fn take(&mut self, declarations: &mut Vec<Property<'_>>) {
        let mut i = 1;
        while i < declarations.len() {
            let url = match &declarations[i - 1] {
                Property::BackgroundImage(images) if images.len() == 1 => images[0].clone(),
                Property::Background(layers) if layers.len() == 1 => layers[0].image.clone(),
                _ => Image::None,
            };
            let candidates = match (&url, &declarations[i]) {
                (Image::Url(url), Property::BackgroundImage(images)) if images.len() == 1 => {
                    own_candidates(&url.url, &images[0])
                }
                _ => None,
            };
            match candidates {
                Some(c) => {
                    if let Image::Url(u) = &url {
                        self.taken.insert(u.url.to_string(), c);
                    }
                    declarations.remove(i);
                }
                None => i += 1,
            }
        }
    }
}

/// The candidates of an `image-set()` distill wrote for `url`: URL options with a known image
/// type, 1x, the last being `url` itself.
fn own_candidates(url: &str, image: &Image) -> Option<Vec<(String, &'static str)>> {
    let Image::ImageSet(set) = image else {
        return None;
    };
    let mut out = Vec::new();
    for option in &set.options {
        let Image::Url(u) = &option.image else {
            return None;
        };
        let kind = match option.file_type.as_deref() {
            Some("image/avif") => "image/avif",
            Some("image/webp") => "image/webp",
            Some("image/jpeg") => "image/jpeg",
            Some("image/png") => "image/png",
            Some("image/gif") => "image/gif",
            _ => return None,
        };
        out.push((u.url.to_string(), kind));
    }
    (out.last().map(|(u, _)| u.as_str()) == Some(url)).then_some(out)
}

/// Adds `background-image: image-set(…)` after background declarations with candidates.
struct ImageSetAdder<'a> {
    sets: ImageSets<'a>,
    added: bool,
}

impl ImageSetAdder<'_> {
    fn image_set<'i>(&self, image: &Image<'i>) -> Option<Property<'i>> {
        let Image::Url(url) = image else { return None };
        let candidates = (self.sets)(&url.url)?;
        let options = candidates
            .into_iter()
            .map(|(candidate, kind)| ImageSetOption {
                image: Image::Url(Url {
                    url: candidate.into(),
                    loc: url.loc,
                }),
                resolution: Resolution::Dppx(1.0),
                file_type: Some(kind.into()),
            })
            .collect();
        Some(Property::BackgroundImage(smallvec::smallvec![
            Image::ImageSet(ImageSet {
                options,
                vendor_prefix: VendorPrefix::None,
            })
        ]))
    }

    fn add(&mut self, declarations: &mut Vec<Property<'_>>) {
        let mut i = 0;
        while i < declarations.len() {
            let set = match &declarations[i] {
                Property::BackgroundImage(images) if images.len() == 1 => {
                    self.image_set(&images[0])
                }
                Property::Background(layers) if layers.len() == 1 => {
                    self.image_set(&layers[0].image)
                }
                _ => None,
            };
            if let Some(set) = set {
                declarations.insert(i + 1, set);
                self.added = true;
                i += 1;
            }
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Style = Style {
        minify: true,
        browsers: None,
    };

    #[test]
    fn targets_decide_prefixes_and_syntax() {
        let old = Style {
            minify: true,
            browsers: Browsers::from_browserslist(["safari 12"]).unwrap(),
        };
        let new = Style {
            minify: true,
            browsers: Browsers::from_browserslist(["chrome 120"]).unwrap(),
        };
        let src = ".a { user-select: none; color: rgb(0 0 0 / 50%) }";
        let for_old = rewrite(src, old, |_| None).unwrap();
        let for_new = rewrite(src, new, |_| None).unwrap();
        assert!(for_old.contains("-webkit-user-select:none"), "{for_old}");
        assert!(!for_new.contains("-webkit-"), "{for_new}");
        assert_eq!(for_new, ".a{user-select:none;color:#00000080}");
    }

    #[test]
    fn finds_urls_imports_and_image_sets() {
        let src = r#"@import "base.css";
@font-face { font-family: X; src: url(f/x.woff2) format("woff2"); }
.a { background: url("img/a.png") }
.b { background-image: image-set("img/b.avif" type("image/avif"), url(img/b.jpg) 1x); }
"#;
        let scan = scan(src);
        assert!(scan.error.is_none());
        let urls: Vec<_> = scan
            .refs
            .iter()
            .map(|r| (r.url.as_str(), r.kind, r.line))
            .collect();
        assert_eq!(
            urls,
            vec![
                ("base.css", RefKind::Stylesheet, 1),
                ("f/x.woff2", RefKind::Asset, 2),
                ("img/a.png", RefKind::Asset, 3),
                ("img/b.avif", RefKind::Asset, 4),
                ("img/b.jpg", RefKind::Asset, 4),
            ]
        );
    }

    #[test]
    fn rewrites_and_minifies() {
        let out = rewrite(".a { background: url(img/a.png) }", MIN, |r| {
            Some(r.url.replace("a.png", "a.1234abcd.png"))
        })
        .unwrap();
        assert_eq!(out, ".a{background:url(img/a.1234abcd.png)}");
    }

    #[test]
    fn background_images_get_an_image_set() {
        let sets = |url: &str| -> Option<Vec<(String, &'static str)>> {
            (url == "a.1.jpg").then(|| {
                vec![
                    ("a.640.2.avif".to_string(), "image/avif"),
                    ("a.640.3.webp".to_string(), "image/webp"),
                    ("a.1.jpg".to_string(), "image/jpeg"),
                ]
            })
        };
        let src = ".a { background-image: url(a.jpg) } .b { background: url(a.jpg) center / cover no-repeat } .c { background: url(other.png) }";
        let out = rewrite_sheet(
            src,
            MIN,
            |r| Some(r.url.replace("a.jpg", "a.1.jpg")),
            Some(&sets),
            None,
        )
        .unwrap();
        assert_eq!(
            out,
            ".a{background-image:url(a.1.jpg);background-image:image-set(\"a.640.2.avif\" 1x type(\"image/avif\"),\"a.640.3.webp\" 1x type(\"image/webp\"),\"a.1.jpg\" 1x type(\"image/jpeg\"))}.b{background:url(a.1.jpg) 50%/cover no-repeat;background-image:image-set(\"a.640.2.avif\" 1x type(\"image/avif\"),\"a.640.3.webp\" 1x type(\"image/webp\"),\"a.1.jpg\" 1x type(\"image/jpeg\"))}.c{background:url(other.png)}"
        );
    }

    #[test]
    fn broken_sheet_reports_location_but_finds_refs() {
        let scan = scan(".a { background: url(a.png) }\n@media ( {\n");
        assert!(scan.error.is_some());
        assert_eq!(scan.refs.len(), 1);
    }

    #[test]
    fn style_attribute() {
        let out = rewrite_declarations(
            "background: url('/img/hero.jpg') center",
            Style::default(),
            |r| Some(r.url.replace("hero", "hero.1")),
            None,
        );
        assert_eq!(out.unwrap(), "background: url(\"/img/hero.1.jpg\") center");
        let sets = |url: &str| -> Option<Vec<(String, &'static str)>> {
            (url == "/img/hero.1.jpg").then(|| {
                vec![
                    ("/img/hero.640.2.avif".to_string(), "image/avif"),
                    ("/img/hero.1.jpg".to_string(), "image/jpeg"),
                ]
            })
        };
        let out = rewrite_declarations(
            "background: url('/img/hero.jpg') center",
            MIN,
            |r| Some(r.url.replace("hero", "hero.1")),
            Some(&sets),
        );
        assert_eq!(
            out.unwrap(),
            "background:url(/img/hero.1.jpg) 50%;background-image:image-set(\"/img/hero.640.2.avif\" 1x type(\"image/avif\"),\"/img/hero.1.jpg\" 1x type(\"image/jpeg\"))"
        );
    }
}
