//! HTML: find the references a page makes and write the page again with new names, streaming
//! with lol_html.
//!
//! One walk serves both: scanning records every URL (returning no replacement), rewriting maps
//! each to its new text. Covered: `src`, `href`, `srcset`/`imagesrcset`, `poster`, `data`,
//! `<link rel=…>`, og/twitter image `<meta content>`, SVG `href`, inline `style` attributes and
//! `<style>` (through the CSS module) and inline scripts (through the JS module).

use std::cell::{Cell, RefCell};
use std::ops::Range;
use std::rc::Rc;

use lol_html::html_content::{ContentType, Element, TextChunk};
use lol_html::{RewriteStrSettings, element, rewrite_str, text};

pub mod critical;

use crate::refs::{RefKind, Reference};

/// What a rewrite asks of its caller, reference by reference, in document order.
pub trait Resolve {
    /// The new text for a reference's URL; `None` keeps it.
    fn url(&mut self, reference: &Reference) -> Option<String>;
    /// For the `<img src>` just passed to [`Resolve::url`]: its responsive set, if it has one.
    fn picture(&mut self) -> Option<Picture>;
    /// For a CSS background image whose URL is now `final_url` (in an inline `<style>` or
    /// `style` attribute): its `image-set()` candidates, `(url, type)`, best first.
    fn image_set(&self, final_url: &str) -> Option<Vec<(String, &'static str)>> {
        let _ = final_url;
        None
    }
}

/// A processed image, ready to become `<picture>`: URLs as they must be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picture {
    /// `(type, srcset)` of each `<source>`, best format first.
    pub sources: Vec<(&'static str, String)>,
    /// The fallback format's candidates, for the `<img srcset>`.
    pub srcset: String,
    /// The largest fallback candidate, for `<img src>`.
    pub src: String,
    /// Intrinsic (upright) size.
    pub width: u32,
    pub height: u32,
}

/// Page-level options of the image rewrite.
#[derive(Debug, Clone, Default)]
pub struct Options<'a> {
    /// Mark the LCP image and make pictures (`[images] enabled`).
    pub images: bool,
    /// `sizes` for images without their own.
    pub sizes: &'a str,
    /// Marks the LCP image instead of "the first content image".
    pub lcp_selector: Option<&'a str>,
    /// How inline `<style>` and `style` attributes are printed.
    pub css: crate::css::Style,
    /// The markup is the inside of a `<noscript>`: nothing in it becomes a `<picture>`.
    pub inert: bool,
}

/// What a scan found: every reference, and the likely LCP image.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Scan {
    pub refs: Vec<Reference>,
    pub lcp: Option<Lcp>,
}

/// The likely Largest Contentful Paint image: the first content `<img>` of the page (outside
/// `<header>`, `<nav>`, `<footer>`, `<aside>`), or the first matching `[images] lcp_selector`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lcp {
    /// Index of its `src` in [`Scan::refs`].
    pub reference: usize,
    /// Its own `sizes`, if it has one.
    pub sizes: Option<String>,
    /// distill may turn it into a `<picture>` (and so preload its variants).
    pub convertible: bool,
}

/// A [`Resolve`] that only maps URLs (no pictures).
struct Urls<F>(F);

impl<F: FnMut(&Reference) -> Option<String>> Resolve for Urls<F> {
    fn url(&mut self, reference: &Reference) -> Option<String> {
        (self.0)(reference)
    }
    fn picture(&mut self) -> Option<Picture> {
        None
    }
}

/// Finds every reference in a page, and its likely LCP image. `Err` carries lol_html's message.
pub fn scan(src: &str, options: &Options) -> Result<Scan, String> {
    let mut refs = Vec::new();
    let mut record = Urls(|r: &Reference| {
        refs.push(r.clone());
        None
    });
    let lcp = process(src, options, &mut record, None)?.1;
    Ok(Scan { refs, lcp })
}

/// Writes the page with each reference replaced as `resolve` says; `<img>`s with a responsive
/// set become `<picture>`s, and `preload` (the LCP image's set) is announced in `<head>`.
pub fn rewrite(
    src: &str,
    options: &Options,
    resolve: &mut dyn Resolve,
    preload: Option<(&Picture, &str)>,
) -> Result<String, String> {
    process(src, options, resolve, preload).map(|(out, _)| out)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ScriptType {
    Js,
    ImportMap,
    Other,
}

struct State<'s, 'c> {
    lines: crate::refs::Lines<'s>,
    sizes: &'s str,
    resolve: &'c mut dyn Resolve,
    script: ScriptType,
    text: String,
    text_start: Option<usize>,
    /// References passed to `resolve.url` so far.
    seen: usize,
    lcp: Option<Lcp>,
    /// The current element matched `lcp_selector`.
    selected: bool,
    use_selector: bool,
    images: bool,
    css: crate::css::Style,
    /// A framework hydrates the whole page (see [`hydrated_by`]).
    hydrated: bool,
}

impl State<'_, '_> {
    fn call(&mut self, url: &str, kind: RefKind, line: u32) -> Option<String> {
        self.seen += 1;
        self.resolve.url(&Reference {
            url: url.to_string(),
            kind,
            line,
            span: None,
        })
    }
}

/// Nesting depths of the elements that change how an `<img>` is treated.
#[derive(Default)]
struct Depths {
    picture: Cell<usize>,
    chrome: Cell<usize>,
    ignored: Cell<usize>,
    /// Astro islands: their markup is hydrated by a framework's component.
    island: Cell<usize>,
}

/// The framework whose scripts hydrate the markup of the whole page, if one does: its
/// components expect each `<img>` they render where they rendered it, so a `<picture>` around
/// one would not match (React, Vue and Svelte report a hydration mismatch and render again).
/// Known by the data or the root element each writes into the page.
pub fn hydrated_by(src: &str) -> Option<&'static str> {
    const MARKERS: &[(&str, &str)] = &[
        ("self.__next_f", "Next.js"),
        ("__NEXT_DATA__", "Next.js"),
        ("__nuxt", "Nuxt"),
        ("__NUXT__", "Nuxt"),
        ("__sveltekit_", "SvelteKit"),
        ("__docusaurus", "Docusaurus"),
        ("ng-server-context", "Angular"),
        ("___gatsby", "Gatsby"),
        ("__remixContext", "Remix"),
        ("__reactRouterContext", "React Router"),
        ("data-reactroot", "React"),
    ];
    MARKERS
        .iter()
        .find(|(marker, _)| src.contains(marker))
        .map(|(_, name)| *name)
}

fn track(el: &mut Element, depth: &Rc<Depths>, field: fn(&Depths) -> &Cell<usize>) {
    if el.is_self_closing() || !el.can_have_content() {
        return;
    }
    let cell = field(depth);
    cell.set(cell.get() + 1);
    let depth = Rc::clone(depth);
    if let Some(handlers) = el.end_tag_handlers() {
        let handler: lol_html::EndTagHandler<'static> = Box::new(move |_| {
            let cell = field(&depth);
            cell.set(cell.get().saturating_sub(1));
            Ok(())
        });
        handlers.push(handler);
    }
}

fn process(
    src: &str,
    options: &Options,
    resolve: &mut dyn Resolve,
    preload: Option<(&Picture, &str)>,
) -> Result<(String, Option<Lcp>), String> {
    let state = RefCell::new(State {
        lines: crate::refs::Lines::new(src),
        sizes: if options.sizes.is_empty() {
            "100vw"
        } else {
            options.sizes
        },
        resolve,
        script: ScriptType::Js,
        text: String::new(),
        text_start: None,
        seen: 0,
        lcp: None,
        selected: false,
        use_selector: options.lcp_selector.is_some(),
        images: options.images,
        css: options.css,
        hydrated: options.inert || hydrated_by(src).is_some(),
    });
    let depths = Rc::new(Depths::default());
    let preload_tag = preload.map(|(picture, sizes)| preload_link(picture, sizes));
    let mut settings = RewriteStrSettings::new()
        .append_element_content_handler(element!("head", |el| {
            if let Some(tag) = preload_tag.clone()
                && let Some(handlers) = el.end_tag_handlers()
            {
                let handler: lol_html::EndTagHandler<'static> = Box::new(move |end| {
                    end.before(&tag, ContentType::Html);
                    Ok(())
                });
                handlers.push(handler);
            }
            Ok(())
        }))
        .append_element_content_handler(element!("picture", |el| {
            track(el, &depths, |d| &d.picture);
            Ok(())
        }))
        .append_element_content_handler(element!("header, nav, footer, aside", |el| {
            track(el, &depths, |d| &d.chrome);
            Ok(())
        }))
        .append_element_content_handler(element!("[data-distill-ignore]", |el| {
            track(el, &depths, |d| &d.ignored);
            Ok(())
        }))
        .append_element_content_handler(element!("astro-island", |el| {
            track(el, &depths, |d| &d.island);
            Ok(())
        }));
    if let Some(selector) = options.lcp_selector {
        settings = settings.append_element_content_handler(element!(selector, |_el| {
            state.borrow_mut().selected = true;
            Ok(())
        }));
    }
    let settings = settings
        .append_element_content_handler(element!("*", |el| {
            let mut s = state.borrow_mut();
            attributes(el, &mut s, &depths);
            s.selected = false;
            Ok(())
        }))
        .append_element_content_handler(element!("script", |el| {
            let kind = el.get_attribute("type").unwrap_or_default();
            let kind = kind.trim().to_ascii_lowercase();
            state.borrow_mut().script = match kind.as_str() {
                "" | "module" | "text/javascript" | "application/javascript" => ScriptType::Js,
                "importmap" => ScriptType::ImportMap,
                _ => ScriptType::Other,
            };
            Ok(())
        }))
        .append_element_content_handler(text!("style", |chunk| {
            inline_text(chunk, &mut state.borrow_mut(), Inline::Css);
            Ok(())
        }))
        // With scripting on, a `<noscript>` is text to the parser (lol_html parses as browsers
        // do); its fallback markup (Angular's `<noscript><link rel=stylesheet>`) is read as a
        // fragment of its own.
        .append_element_content_handler(text!("noscript", |chunk| {
            inline_text(chunk, &mut state.borrow_mut(), Inline::Html);
            Ok(())
        }))
        .append_element_content_handler(text!("script", |chunk| {
            let mut s = state.borrow_mut();
            match s.script {
                ScriptType::Js => inline_text(chunk, &mut s, Inline::Js),
                ScriptType::ImportMap => inline_text(chunk, &mut s, Inline::ImportMap),
                ScriptType::Other => {}
            }
            Ok(())
        }));
    let out = rewrite_str(src, settings).map_err(|e| e.to_string())?;
    let lcp = state.into_inner().lcp;
    Ok((out, lcp))
}

/// `<link rel=preload>` for the LCP image's best format.
fn preload_link(picture: &Picture, sizes: &str) -> String {
    let (kind, srcset) = picture
        .sources
        .first()
        .map(|(t, s)| (Some(*t), s.as_str()))
        .unwrap_or((None, picture.srcset.as_str()));
    let mut tag = format!(
        "<link rel=\"preload\" as=\"image\" imagesrcset=\"{}\" imagesizes=\"{}\" fetchpriority=\"high\"",
        escape(srcset),
        escape(sizes)
    );
    if let Some(kind) = kind {
        tag.push_str(&format!(" type=\"{kind}\""));
    }
    tag.push_str(">\n");
    tag
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
}

#[derive(Clone, Copy)]
enum Inline {
    Css,
    Js,
    ImportMap,
    Html,
}

/// The page's resolver, for a fragment inside it: lines counted from the page's start, and no
/// `<picture>`s.
struct Fragment<'r, 's, 'd> {
    resolve: &'r RefCell<&'s mut (dyn Resolve + 'd)>,
    first_line: u32,
    seen: usize,
}

impl Resolve for Fragment<'_, '_, '_> {
    fn url(&mut self, reference: &Reference) -> Option<String> {
        let mut r = reference.clone();
        r.line += self.first_line;
        self.seen += 1;
        self.resolve.borrow_mut().url(&r)
    }
    fn picture(&mut self) -> Option<Picture> {
        None
    }
    fn image_set(&self, final_url: &str) -> Option<Vec<(String, &'static str)>> {
        self.resolve.borrow().image_set(final_url)
    }
}

/// Buffers a `<style>` or `<script>` body (lol_html hands it over in chunks) and, at its end,
/// writes it back rewritten.
fn inline_text(chunk: &mut TextChunk, state: &mut State, inline: Inline) {
    if state.text_start.is_none() {
        state.text_start = Some(chunk.source_location().bytes().start);
    }
    state.text.push_str(chunk.as_str());
    if !chunk.last_in_text_node() {
        chunk.remove();
        return;
    }
    let body = std::mem::take(&mut state.text);
    let start = state.text_start.take().unwrap_or(0);
    let first_line = state.lines.line(start) - 1;
    let images = state.images;
    let css = state.css;
    let new_body = {
        // The URL callback and the `image-set()` lookup both consult the resolver, one after
        // the other (URLs first); the cell lets both closures hold it.
        let resolve = RefCell::new(&mut *state.resolve);
        let seen = &mut state.seen;
        let mut shifted = |r: &Reference| {
            let mut r = r.clone();
            r.line += first_line;
            if matches!(inline, Inline::Css) {
                r.kind = shown(r.kind);
            }
            *seen += 1;
            resolve.borrow_mut().url(&r)
        };
        let sets = |url: &str| resolve.borrow().image_set(url);
        match inline {
            Inline::Html => {
                let options = Options {
                    images,
                    sizes: "",
                    lcp_selector: None,
                    css,
                    inert: true,
                };
                let mut fragment = Fragment {
                    resolve: &resolve,
                    first_line,
                    seen: 0,
                };
                let out = process(&body, &options, &mut fragment, None).ok();
                *seen += fragment.seen;
                out.map(|(text, _)| text).filter(|t| *t != body)
            }
            Inline::Css => crate::css::rewrite_sheet(
                &body,
                css,
                &mut shifted,
                images.then_some(&sets as crate::css::ImageSets),
                None,
            ),
            Inline::ImportMap => {
                crate::json::rewrite(&body, crate::json::Schema::ImportMap, &mut shifted)
                    .ok()
                    .flatten()
            }
            Inline::Js => {
                let scan = crate::js::scan(&body);
                let mut changed = false;
                let out = crate::js::rewrite(&body, &scan.refs, |r| {
                    let new = shifted(r);
                    changed |= new.is_some();
                    new
                });
                changed.then_some(out)
            }
        }
    };
    chunk.replace(new_body.as_deref().unwrap_or(&body), ContentType::Html);
}

/// The kind of a `url()` in a page's own CSS (`<style>`, `style` attributes): an image the
/// page shows, which gets variants for an `image-set()` as a stylesheet's would.
fn shown(kind: RefKind) -> RefKind {
    match kind {
        RefKind::Asset => RefKind::Image,
        other => other,
    }
}

fn attributes(el: &mut Element, state: &mut State, depths: &Depths) {
    let tag = el.tag_name();
    let line = state.lines.line(el.source_location().bytes().start);
    // An `<img>` distill may turn into a `<picture>`: not already in one, no srcset of its own,
    // not opted out.
    let convertible = tag == "img"
        && !state.hydrated
        && depths.picture.get() == 0
        && depths.island.get() == 0
        && depths.ignored.get() == 0
        && !el.has_attribute("data-distill-ignore")
        && !el.has_attribute("srcset");
    let mut edits: Vec<(String, String)> = Vec::new();
    let mut picture = None;
    let mut lcp = false;
    for attr in el.attributes() {
        let name = attr.name();
        let Some(kind) = attribute_kind(el, &tag, &name) else {
            continue;
        };
        let value = attr.value();
        let new_value = match kind {
            AttrKind::Url(kind) => {
                let index = state.seen;
                // Only an `<img>` distill may turn into a `<picture>` asks for variants.
                let img_src = kind == RefKind::Image;
                let kind = if img_src && !convertible {
                    RefKind::Asset
                } else {
                    kind
                };
                let new = state.call(&value, kind, line);
                if img_src {
                    // The first content image is the LCP candidate whatever its markup; only
                    // one distill may convert gets the treatment (an author's `<picture>` is
                    // left as written).
                    let candidate = if state.use_selector {
                        state.selected
                    } else {
                        depths.chrome.get() == 0 && depths.ignored.get() == 0
                    };
                    if candidate && state.lcp.is_none() {
                        state.lcp = Some(Lcp {
                            reference: index,
                            sizes: el.get_attribute("sizes"),
                            convertible,
                        });
                        lcp = convertible;
                    }
                    if convertible {
                        picture = state.resolve.picture();
                    }
                }
                new
            }
            AttrKind::Srcset => rewrite_srcset(&value, |url| state.call(url, RefKind::Asset, line)),
            AttrKind::Style => {
                let images = state.images;
                let resolve = RefCell::new(&mut *state.resolve);
                let seen = &mut state.seen;
                let sets = |url: &str| resolve.borrow().image_set(url);
                // lol_html gives values as written: the CSS is read with its entities decoded
                // (`&quot;` around a URL that distill itself wrote), and written back with `&`
                // escaped (lol_html escapes the quotes).
                let css = html_escape::decode_html_entities(&value);
                crate::css::rewrite_declarations(
                    &css,
                    state.css,
                    |r| {
                        let mut r = r.clone();
                        r.line = line;
                        r.kind = shown(r.kind);
                        *seen += 1;
                        resolve.borrow_mut().url(&r)
                    },
                    images.then_some(&sets as crate::css::ImageSets),
                )
                .map(|new| new.replace('&', "&amp;"))
            }
        };
        if let Some(new_value) = new_value
            && new_value != value
        {
            edits.push((name, new_value));
        }
    }
    for (name, value) in edits {
        // The name came from this element, so it is a valid attribute name.
        let _ = el.set_attribute(&name, &value);
    }
    if !state.images {
        return;
    }
    match picture {
        Some(picture) => make_picture(el, &picture, lcp, state.sizes),
        None if lcp => set_missing(el, &[("loading", "eager"), ("fetchpriority", "high")]),
        None => {}
    }
}

fn set_missing(el: &mut Element, attributes: &[(&str, &str)]) {
    for (name, value) in attributes {
        if !el.has_attribute(name) {
            let _ = el.set_attribute(name, value);
        }
    }
}

/// The start tag of the `<picture>`s distill writes.
pub const PICTURE_START: &str = "<picture style=\"display:contents\">";

/// Turns `<img>` into `<picture><source…>…<img srcset sizes width height loading></picture>`,
/// keeping every attribute the author wrote (their `sizes`, `loading`, `alt`, `class`…).
fn make_picture(el: &mut Element, picture: &Picture, lcp: bool, default_sizes: &str) {
    let lazy = !lcp
        && el
            .get_attribute("loading")
            .is_none_or(|l| l.eq_ignore_ascii_case("lazy"));
    let sizes = el.get_attribute("sizes").unwrap_or_else(|| {
        if lazy {
            // `auto` lets the browser use the laid-out width; valid with lazy loading only.
            format!("auto, {default_sizes}")
        } else {
            default_sizes.to_string()
        }
    });
    let _ = el.set_attribute("src", &picture.src);
    let _ = el.set_attribute("srcset", &picture.srcset);
    let _ = el.set_attribute("sizes", &sizes);
    let (width, height) = display_size(
        el.get_attribute("width").as_deref(),
        el.get_attribute("height").as_deref(),
        picture.width,
        picture.height,
    );
    let _ = el.set_attribute("width", &width);
    let _ = el.set_attribute("height", &height);
    if lcp {
        set_missing(el, &[("loading", "eager"), ("fetchpriority", "high")]);
    } else {
        set_missing(el, &[("loading", "lazy"), ("decoding", "async")]);
    }
    // `display: contents`: the `<img>` keeps the layout it had as its parent's child (a grid or
    // flex item stays one; no inline line box, and its descender gap, appears around it). The
    // `<source>`s are then laid out as the parent's children too: `hidden` takes them out
    // (it does not change which source the browser picks).
    let mut before = String::from(PICTURE_START);
    for (kind, srcset) in &picture.sources {
        before.push_str(&format!(
            "<source type=\"{kind}\" srcset=\"{}\" sizes=\"{}\" hidden>",
            escape(srcset),
            escape(&sizes)
        ));
    }
    el.before(&before, ContentType::Html);
    el.after("</picture>", ContentType::Html);
}

/// `width`/`height` to write: the author's when they gave both; the other one scaled to the
/// image's aspect ratio when they gave one; the intrinsic size otherwise.
fn display_size(width: Option<&str>, height: Option<&str>, iw: u32, ih: u32) -> (String, String) {
    let parse = |v: Option<&str>| {
        v.and_then(|v| v.trim().parse::<u32>().ok())
            .filter(|&v| v > 0)
    };
    let scale = |v: u32, num: u32, den: u32| {
        ((u64::from(v) * u64::from(num) + u64::from(den) / 2) / u64::from(den)).max(1)
    };
    match (parse(width), parse(height)) {
        (Some(_), Some(_)) => (width.unwrap().trim().into(), height.unwrap().trim().into()),
        (Some(w), None) => (w.to_string(), scale(w, ih, iw).to_string()),
        (None, Some(h)) => (scale(h, iw, ih).to_string(), h.to_string()),
        (None, None) => (iw.to_string(), ih.to_string()),
    }
}

enum AttrKind {
    Url(RefKind),
    Srcset,
    Style,
}

fn attribute_kind(el: &Element, tag: &str, attr: &str) -> Option<AttrKind> {
    use AttrKind::*;
    Some(match (tag, attr) {
        (_, "style") => Style,
        ("img" | "source", "srcset") | ("link", "imagesrcset") => Srcset,
        // `data-src`: the legacy entry `@vitejs/plugin-legacy` loads with SystemJS.
        ("script", "src" | "data-src") => Url(RefKind::Script),
        // Astro's islands import their component and renderer when they hydrate.
        ("astro-island", "component-url" | "renderer-url" | "before-hydration-url") => {
            Url(RefKind::DynamicImport)
        }
        ("img", "src") => Url(RefKind::Image),
        ("link", "href") => Url(link_kind(el)),
        ("source" | "video" | "audio" | "track" | "embed" | "input", "src") => Url(RefKind::Asset),
        ("video", "poster") | ("object", "data") => Url(RefKind::Asset),
        ("image" | "use" | "feimage", "href" | "xlink:href") => Url(RefKind::Asset),
        ("a" | "area", "href") | ("iframe", "src") | ("form", "action") => Url(RefKind::Navigation),
        ("meta", "content") if is_image_meta(el) => Url(RefKind::Asset),
        _ => return None,
    })
}

fn link_kind(el: &Element) -> RefKind {
    let rel = el
        .get_attribute("rel")
        .unwrap_or_default()
        .to_ascii_lowercase();
    let rels: Vec<&str> = rel.split_ascii_whitespace().collect();
    if rels.contains(&"stylesheet") {
        RefKind::Stylesheet
    } else if rels
        .iter()
        .any(|r| matches!(*r, "preload" | "modulepreload" | "prefetch"))
    {
        RefKind::Preload
    } else if rels.iter().any(|r| {
        matches!(
            *r,
            "icon" | "apple-touch-icon" | "apple-touch-icon-precomposed" | "mask-icon" | "manifest"
        )
    }) {
        RefKind::Asset
    } else {
        RefKind::Navigation
    }
}

/// Open Graph, Twitter and Windows tile images: crawlers fetch these by URL.
fn is_image_meta(el: &Element) -> bool {
    let key = el
        .get_attribute("property")
        .or_else(|| el.get_attribute("name"))
        .unwrap_or_default()
        .to_ascii_lowercase();
    matches!(
        key.as_str(),
        "og:image"
            | "og:image:url"
            | "og:image:secure_url"
            | "og:video"
            | "og:audio"
            | "twitter:image"
            | "twitter:image:src"
            | "msapplication-tileimage"
            | "msapplication-config"
    )
}

/// The URL ranges of a `srcset` value, per the HTML spec's candidate parsing: a URL runs to the
/// next whitespace; a trailing comma ends the candidate; descriptors run to the next comma.
pub fn srcset_urls(value: &str) -> Vec<Range<usize>> {
    let bytes = value.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        while i < bytes.len() && (bytes[i].is_ascii_whitespace() || bytes[i] == b',') {
            i += 1;
        }
        if i >= bytes.len() {
            break;
        }
        let start = i;
        while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut end = i;
        let url_ended_candidate = bytes[start..end].ends_with(b",");
        while end > start && bytes[end - 1] == b',' {
            end -= 1;
        }
        if end > start {
            out.push(start..end);
        }
        if !url_ended_candidate {
            while i < bytes.len() && bytes[i] != b',' {
                i += 1;
            }
        }
    }
    out
}

fn rewrite_srcset(value: &str, mut new_url: impl FnMut(&str) -> Option<String>) -> Option<String> {
    let mut out = String::with_capacity(value.len());
    let mut last = 0;
    let mut changed = false;
    for range in srcset_urls(value) {
        if let Some(new) = new_url(&value[range.clone()]) {
            out.push_str(&value[last..range.start]);
            out.push_str(&new);
            last = range.end;
            changed = true;
        }
    }
    out.push_str(&value[last..]);
    changed.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Attribute values come from lol_html as written: a `style` with `&quot;` (as distill
    /// writes quotes) is read as CSS with quotes, and written back escaped.
    #[test]
    fn style_attributes_are_read_with_entities_decoded() {
        let page =
            "<div style=\"background:url(&quot;/img/a.64.8e9b46d7.png&quot;) no-repeat\"></div>";
        let refs = scan(page, &Options::default()).unwrap().refs;
        assert_eq!(refs.len(), 1);
        assert_eq!(refs[0].url, "/img/a.64.8e9b46d7.png");
        let out = rewrite(
            page,
            &Options {
                css: crate::css::Style {
                    minify: true,
                    browsers: None,
                },
                ..Options::default()
            },
            &mut Urls(|_: &Reference| None),
            None,
        )
        .unwrap();
        assert_eq!(
            out,
            "<div style=\"background:url(/img/a.64.8e9b46d7.png) no-repeat\"></div>"
        );
    }

    #[test]
    fn finds_references_with_kinds() {
        let page = r#"<!doctype html><html><head>
<link rel="stylesheet" href="/assets/app.css">
<link rel="modulepreload" href="/assets/shared.js">
<link rel="icon" href="/favicon.ico">
<link rel="canonical" href="https://example.com/">
<meta property="og:image" content="/img/og.png">
<style>.h{background:url(/img/bg.png)}</style>
<script type="module">import "/assets/app.js";</script>
</head><body>
<img src="a.jpg" srcset="a-320.jpg 320w, a-640.jpg 640w" alt="">
<div style="background-image:url('b.png')"></div>
<a href="/about.html">About</a>
<script type="application/ld+json">{"image": "/x.png"}</script>
</body></html>"#;
        let refs = scan(page, &Options::default()).unwrap().refs;
        let got: Vec<_> = refs
            .iter()
            .map(|r| (r.url.as_str(), r.kind, r.line))
            .collect();
        assert_eq!(
            got,
            vec![
                ("/assets/app.css", RefKind::Stylesheet, 2),
                ("/assets/shared.js", RefKind::Preload, 3),
                ("/favicon.ico", RefKind::Asset, 4),
                ("https://example.com/", RefKind::Navigation, 5),
                ("/img/og.png", RefKind::Asset, 6),
                // Images the page's own CSS shows get variants, for an `image-set()`.
                ("/img/bg.png", RefKind::Image, 7),
                ("/assets/app.js", RefKind::Import, 8),
                // It has a srcset of its own: no `<picture>`, no variants.
                ("a.jpg", RefKind::Asset, 10),
                ("a-320.jpg", RefKind::Asset, 10),
                ("a-640.jpg", RefKind::Asset, 10),
                ("b.png", RefKind::Image, 11),
                ("/about.html", RefKind::Navigation, 12),
            ]
        );
    }

    #[test]
    fn noscript_fallbacks_are_references() {
        let page = r#"<!doctype html><html><head><link rel="stylesheet" href="styles-Z6J64B5K.css" media="print"><noscript><link rel="stylesheet" href="styles-Z6J64B5K.css"></noscript></head><body><noscript><img src="a.png"></noscript></body></html>"#;
        let refs = scan(page, &Options::default()).unwrap().refs;
        let urls: Vec<_> = refs.iter().map(|r| r.url.as_str()).collect();
        assert_eq!(
            urls,
            ["styles-Z6J64B5K.css", "styles-Z6J64B5K.css", "a.png"]
        );
    }

    #[test]
    fn rewrite_keeps_everything_else() {
        let page = r#"<img class="x" src="a.jpg" srcset="a.jpg 1x, b.jpg 2x" alt="A &amp; B"><script>import('./c.js')</script>"#;
        let mut urls =
            Urls(|r: &Reference| Some(r.url.replace(".jpg", ".h.jpg").replace(".js", ".h.js")));
        let out = rewrite(page, &Options::default(), &mut urls, None).unwrap();
        assert_eq!(
            out,
            r#"<img class="x" src="a.h.jpg" srcset="a.h.jpg 1x, b.h.jpg 2x" alt="A &amp; B"><script>import('./c.h.js')</script>"#
        );
    }

    struct Fixed(Option<Picture>);

    impl Resolve for Fixed {
        fn url(&mut self, r: &Reference) -> Option<String> {
            Some(r.url.replace(".jpg", ".h.jpg"))
        }
        fn picture(&mut self) -> Option<Picture> {
            self.0.clone()
        }
    }

    fn hero() -> Picture {
        Picture {
            sources: vec![
                ("image/avif", "h.320.a.avif 320w, h.640.b.avif 640w".into()),
                ("image/webp", "h.320.c.webp 320w, h.640.d.webp 640w".into()),
            ],
            srcset: "h.320.e.jpg 320w, h.f.jpg 640w".into(),
            src: "h.f.jpg".into(),
            width: 640,
            height: 480,
        }
    }

    #[test]
    fn img_becomes_picture_and_first_content_image_is_lcp() {
        let page = r#"<html><head><title>x</title></head><body><header><img src="logo.jpg" alt="logo"></header>
<main><img src="h.jpg" alt="Hero" class="wide" width="320"><img src="h.jpg" alt="second"></main></body></html>"#;
        let scan = scan(page, &Options::default()).unwrap();
        assert_eq!(
            scan.lcp,
            Some(Lcp {
                reference: 1,
                sizes: None,
                convertible: true
            })
        );
        let options = Options {
            images: true,
            sizes: "100vw",
            lcp_selector: None,
            ..Default::default()
        };
        let out = rewrite(
            page,
            &options,
            &mut Fixed(Some(hero())),
            Some((&hero(), "100vw")),
        )
        .unwrap();
        assert!(out.contains(r#"<link rel="preload" as="image" imagesrcset="h.320.a.avif 320w, h.640.b.avif 640w" imagesizes="100vw" fetchpriority="high" type="image/avif">
</head>"#), "{out}");
        // The LCP image: eager, high priority, author's width kept and height scaled to it.
        assert!(out.contains(r#"<picture style="display:contents"><source type="image/avif" srcset="h.320.a.avif 320w, h.640.b.avif 640w" sizes="100vw" hidden><source type="image/webp" srcset="h.320.c.webp 320w, h.640.d.webp 640w" sizes="100vw" hidden><img src="h.f.jpg" alt="Hero" class="wide" width="320" srcset="h.320.e.jpg 320w, h.f.jpg 640w" sizes="100vw" height="240" loading="eager" fetchpriority="high"></picture>"#), "{out}");
        // The others: lazy, async, sizes=auto.
        assert!(out.contains(r#"<img src="h.f.jpg" alt="second" srcset="h.320.e.jpg 320w, h.f.jpg 640w" sizes="auto, 100vw" width="640" height="480" loading="lazy" decoding="async"></picture>"#), "{out}");
    }

    #[test]
    fn leaves_alone_what_it_must() {
        let page = r#"<picture><source srcset="a.avif"><img src="a.jpg"></picture><img src="b.jpg" srcset="b.jpg 1x"><div data-distill-ignore><img src="c.jpg"></div><img src="d.jpg" data-distill-ignore>"#;
        let options = Options {
            images: true,
            ..Default::default()
        };
        let out = rewrite(page, &options, &mut Fixed(Some(hero())), None).unwrap();
        // The author's `<picture>` stays; none is made.
        assert_eq!(out.matches("<picture>").count(), 1, "{out}");
        assert_eq!(out.matches(PICTURE_START).count(), 0, "{out}");
        assert!(!out.contains("loading="), "{out}");
    }

    #[test]
    fn lcp_selector_picks_the_image() {
        let page = r#"<img src="a.jpg"><img class="hero" src="b.jpg">"#;
        let options = Options {
            images: true,
            sizes: "",
            lcp_selector: Some("img.hero"),
            ..Default::default()
        };
        let scan = scan(page, &options).unwrap();
        assert_eq!(scan.lcp.unwrap().reference, 1);
    }

    #[test]
    fn display_size_follows_the_author() {
        assert_eq!(
            display_size(None, None, 640, 480),
            ("640".into(), "480".into())
        );
        assert_eq!(
            display_size(Some("320"), None, 640, 480),
            ("320".into(), "240".into())
        );
        assert_eq!(
            display_size(None, Some("48"), 640, 480),
            ("64".into(), "48".into())
        );
        assert_eq!(
            display_size(Some("10"), Some("10"), 640, 480),
            ("10".into(), "10".into())
        );
        assert_eq!(
            display_size(Some("auto"), None, 640, 480),
            ("640".into(), "480".into())
        );
    }

    #[test]
    fn srcset_parsing() {
        let v = "a.jpg 1x,b.jpg 2x , c.jpg, d.jpg,, e,f.jpg";
        let urls: Vec<_> = srcset_urls(v).into_iter().map(|r| &v[r]).collect();
        // Per the spec a URL runs to whitespace, so `e,f.jpg` is one URL.
        assert_eq!(urls, vec!["a.jpg", "b.jpg", "c.jpg", "d.jpg", "e,f.jpg"]);
    }
}
