//! What a browser downloads for a page at a reference viewport: the one `srcset` candidate it
//! picks for each `<img>`/`<picture>` (in the first `<source>` type it supports), the CSS
//! backgrounds of the elements the page's DOM has and shows, and the `@font-face` files its
//! text is drawn with — instead of every file the page could name.
//!
//! In: the page's HTML, its site path, its stylesheets (parsed once for the whole site into
//! [`Sheet`]s), the viewports. Out: per viewport, the files loaded, each with why, and
//! whether it waits for a scroll (`loading="lazy"`). Pure: no file is read here.

pub mod cascade;
pub mod fonts;
pub mod select;
pub mod sheet;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::rc::Rc;
use std::sync::{Arc, Mutex};

use rayon::prelude::*;
use scraper::{ElementRef, Html};
use serde::{Deserialize, Serialize};

use crate::css::purge::{self, Index};
use crate::discover::Kind;
use crate::urls::{self, Site, Target};
use cascade::{Computed, Family, Matched, Matches, Sourced};
use fonts::Declared;
pub use select::Viewport;
pub use sheet::Sheet;
use sheet::{Declaration, Pseudo};

/// One file a page makes the browser download.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Load {
    /// Site path (an output path).
    pub file: String,
    pub font: bool,
    /// Only once the user scrolls to it (`loading="lazy"`).
    pub on_scroll: bool,
    /// What asks for it: `<img> srcset`, `background (css/site.css)`, `@font-face "Inter" 700`.
    pub why: String,
}

/// A stylesheet as the page uses it.
struct Used<'a> {
    sheet: Held<'a>,
    /// Index into the page's bases: the URL its `url()`s are relative to.
    base: u32,
    applies: Vec<bool>,
}

enum Held<'a> {
    Shared(&'a Sheet),
    Own(Sheet),
}

impl Held<'_> {
    fn get(&self) -> &Sheet {
        match self {
            Held::Shared(s) => s,
            Held::Own(s) => s,
        }
    }
}

/// Per page (its output path): the files it loads at each viewport.
pub type SiteWeights = BTreeMap<String, Vec<Vec<Load>>>;

/// The weights of every page: its stylesheets parsed once (in parallel), then each page.
/// `read` gives an output file's text; a page or sheet it cannot give, or one beyond the
/// parsing limits (`limits.rs`), is left out (its page keeps the old count: every file named).
pub fn site(
    files: &[(&str, Kind)],
    read: &(dyn Fn(&str) -> Option<String> + Sync),
    viewports: &[Viewport],
    site: &Site,
) -> SiteWeights {
    use crate::limits;
    let readable = |file: &str, kind: Kind| {
        let (max, deep): (u64, fn(&str) -> Option<limits::TooDeep>) = match kind {
            Kind::Css => (limits::MAX_PARSED_CSS_BYTES, limits::css),
            Kind::Js => (limits::MAX_PARSED_JS_BYTES, limits::js),
            _ => (limits::MAX_PARSED_HTML_BYTES, limits::html),
        };
        read(file).filter(|t| t.len() as u64 <= max && deep(t).is_none())
    };
    let sheets: HashMap<String, Sheet> = files
        .par_iter()
        .filter(|(_, kind)| *kind == Kind::Css)
        .filter_map(|(file, _)| {
            let text = readable(file, Kind::Css)?;
            Some((file.to_string(), Sheet::parse(&text, viewports)?))
        })
        .collect();
    let cache: Mutex<HashMap<String, Arc<HashSet<String>>>> = Mutex::new(HashMap::new());
    let script_words = |file: &str| -> Option<Arc<HashSet<String>>> {
        if let Some(words) = cache.lock().ok()?.get(file) {
            return Some(words.clone());
        }
        let text = readable(file, Kind::Js)?;
        let words: Arc<HashSet<String>> =
            Arc::new(crate::css::words(&text).map(str::to_string).collect());
        cache.lock().ok()?.insert(file.to_string(), words.clone());
        Some(words)
    };
    let parts = Parts {
        sheets: &sheets,
        script_words: &script_words,
    };
    files
        .par_iter()
        .filter(|(_, kind)| *kind == Kind::Html)
        .filter_map(|(file, _)| {
            let html = readable(file, Kind::Html)?;
            Some((file.to_string(), page(file, &html, &parts, viewports, site)))
        })
        .collect()
}

/// What pages share: the site's stylesheets, parsed, and the words of its scripts.
pub struct Parts<'a> {
    pub sheets: &'a HashMap<String, Sheet>,
    /// The words of a script (by output path), as CSS purging reads them.
    pub script_words: &'a (dyn Fn(&str) -> Option<Arc<HashSet<String>>> + Sync),
}

/// The files `html` (the page at site path `path`) loads at each viewport.
pub fn page(
    path: &str,
    html: &str,
    parts: &Parts,
    viewports: &[Viewport],
    site: &Site,
) -> Vec<Vec<Load>> {
    let dom = Html::parse_document(html);
    let mut bases = vec![path.to_string()];
    let used = stylesheets(&dom, path, parts.sheets, viewports, site, &mut bases);
    let referenced = referenced_vars(&used);
    let matches = match_rules(&dom, &used, &referenced);
    let words = entry_words(&dom, path, parts, site);
    let scripted = match &words {
        Some(words) => scripted_rules(&used, &matches, words),
        None => Vec::new(),
    };
    viewports
        .iter()
        .enumerate()
        .map(|(v, viewport)| {
            let walk = Walk {
                v,
                viewport,
                matches: &matches,
                bases: &bases,
                site,
                scripted: words.is_some(),
            };
            let mut loads = walk.run(&dom, &used);
            loads.extend(walk.scripted(&scripted));
            dedupe(loads)
        })
        .collect()
}

/// The words of the scripts the page runs first (`<script src>`, `<link rel=modulepreload>`),
/// one shared set per script (pages share their bundles: nothing is copied per page); `None`
/// when it runs none.
fn entry_words(
    dom: &Html,
    path: &str,
    parts: &Parts,
    site: &Site,
) -> Option<Vec<Arc<HashSet<String>>>> {
    let mut words: Option<Vec<Arc<HashSet<String>>>> = None;
    for el in dom.root_element().descendent_elements() {
        let e = el.value();
        let src = match e.name() {
            "script" if e.attr("nomodule").is_none() => e.attr("src"),
            "link"
                if e.attr("rel")
                    .is_some_and(|r| r.eq_ignore_ascii_case("modulepreload")) =>
            {
                e.attr("href")
            }
            _ => None,
        };
        let Some(Target::Site { path: file, .. }) = src.map(|s| urls::resolve(s, path, site))
        else {
            continue;
        };
        if let Some(found) = (parts.script_words)(&file) {
            words.get_or_insert_with(Vec::new).push(found);
        }
    }
    words
}

/// A rule with a background that matches nothing in the page, but whose element a script may
/// create: every class and id of its rightmost compound is a word of the page's scripts
/// (`innerHTML = '<p class="hero">'`, `className: "hero"`), as the purge decides.
fn scripted_rules<'s>(
    used: &'s [Used],
    matches: &Matches,
    words: &[Arc<HashSet<String>>],
) -> Vec<Matched<'s>> {
    let matched: HashSet<*const sheet::Rule> = matches
        .values()
        .flatten()
        .map(|m| m.rule as *const sheet::Rule)
        .collect();
    let mut out = Vec::new();
    let mut order = 0u32;
    for u in used {
        for rule in &u.sheet.get().rules {
            order += 1;
            let background = rule
                .declarations
                .iter()
                .any(|d| d.name.starts_with("background"));
            if !background || matched.contains(&(rule as *const sheet::Rule)) {
                continue;
            }
            let scripted = rule.selectors.iter().find(|p| {
                let (classes, ids, _) = &p.rightmost;
                !(classes.is_empty() && ids.is_empty())
                    && classes
                        .iter()
                        .chain(ids)
                        .all(|n| words.iter().any(|w| w.contains(n)))
            });
            if let Some(probe) = scripted {
                out.push(Matched {
                    rule,
                    order,
                    base: u.base,
                    specificity: probe.specificity,
                    pseudo: probe.pseudo,
                    sheet: &u.applies,
                });
            }
        }
    }
    out
}

/// The page's stylesheets in cascade order, `@import`s before the sheet importing them.
fn stylesheets<'a>(
    dom: &Html,
    path: &str,
    sheets: &'a HashMap<String, Sheet>,
    viewports: &[Viewport],
    site: &Site,
    bases: &mut Vec<String>,
) -> Vec<Used<'a>> {
    let mut used = Vec::new();
    let mut seen = HashSet::new();
    for el in dom.root_element().descendent_elements() {
        let e = el.value();
        let sheet = match e.name() {
            "style" => true,
            "link" if is_stylesheet(&el) => false,
            _ => continue,
        };
        if in_template(&el) {
            continue;
        }
        let media = e.attr("media").unwrap_or("");
        // `media="print" onload="this.media='all'"`: loads for every medium once loaded.
        let swapped = e.attr("onload").is_some_and(|o| o.contains("media"));
        let applies: Vec<bool> = viewports
            .iter()
            .map(|v| swapped || select::media_text_matches(media, v))
            .collect();
        if sheet {
            let text: String = el.text().collect();
            if let Some(sheet) = Sheet::parse(&text, viewports) {
                used.push(Used {
                    sheet: Held::Own(sheet),
                    base: 0,
                    applies,
                });
            }
        } else if let Some(Target::Site { path: file, .. }) =
            e.attr("href").map(|h| urls::resolve(h, path, site))
        {
            add_sheet(&file, applies, sheets, site, bases, &mut seen, &mut used);
        }
    }
    used
}

fn add_sheet<'a>(
    file: &str,
    applies: Vec<bool>,
    sheets: &'a HashMap<String, Sheet>,
    site: &Site,
    bases: &mut Vec<String>,
    seen: &mut HashSet<String>,
    used: &mut Vec<Used<'a>>,
) {
    let Some(sheet) = sheets.get(file) else {
        return;
    };
    if !seen.insert(file.to_string()) {
        return;
    }
    for (url, inner) in &sheet.imports {
        if let Target::Site { path, .. } = urls::resolve(url, file, site) {
            let both = applies.iter().zip(inner).map(|(a, b)| *a && *b).collect();
            add_sheet(&path, both, sheets, site, bases, seen, used);
        }
    }
    bases.push(file.to_string());
    used.push(Used {
        sheet: Held::Shared(sheet),
        base: (bases.len() - 1) as u32,
        applies,
    });
}

fn is_stylesheet(el: &ElementRef) -> bool {
    let e = el.value();
    let rel = e.attr("rel").unwrap_or("").to_ascii_lowercase();
    let words: Vec<&str> = rel.split_whitespace().collect();
    let sheet = words.contains(&"stylesheet") && !words.contains(&"alternate");
    // `rel=preload as=style onload="this.rel='stylesheet'"`.
    let preloaded = words.contains(&"preload")
        && e.attr("as") == Some("style")
        && e.attr("onload").is_some_and(|o| o.contains("stylesheet"));
    (sheet || preloaded) && e.attr("disabled").is_none()
}

fn in_template(el: &ElementRef) -> bool {
    el.ancestors()
        .filter_map(ElementRef::wrap)
        .any(|a| a.value().name() == "template")
}

/// Custom properties some watched declaration reads, directly or through others.
fn referenced_vars(used: &[Used]) -> HashSet<String> {
    let declarations = || {
        used.iter()
            .flat_map(|u| &u.sheet.get().rules)
            .flat_map(|r| &r.declarations)
    };
    let mut referenced = HashSet::new();
    let mut queue: Vec<&str> = Vec::new();
    for d in declarations().filter(|d| !d.name.starts_with("--")) {
        queue.extend(var_names(&d.value));
    }
    let mut defined: HashMap<&str, Vec<&str>> = HashMap::new();
    for d in declarations().filter(|d| d.name.starts_with("--")) {
        defined
            .entry(d.name.as_str())
            .or_default()
            .push(d.value.as_str());
    }
    while let Some(name) = queue.pop() {
        if referenced.insert(name.to_string()) {
            for value in defined.get(name).into_iter().flatten() {
                queue.extend(var_names(value));
            }
        }
    }
    referenced
}

fn var_names(value: &str) -> impl Iterator<Item = &str> {
    value.match_indices("var(").filter_map(|(i, _)| {
        let rest = value[i + 4..].trim_start();
        let end = rest.find([',', ')', ' ']).unwrap_or(rest.len());
        rest[..end].starts_with("--").then_some(&rest[..end])
    })
}

/// Every element's matching rules (those with a declaration that matters), once per page.
fn match_rules<'s>(dom: &Html, used: &'s [Used], referenced: &HashSet<String>) -> Matches<'s> {
    let index: Index = purge::index(dom);
    let mut matches: Matches = HashMap::new();
    let mut order = 0u32;
    for u in used {
        for rule in &u.sheet.get().rules {
            order += 1;
            let matters = rule
                .declarations
                .iter()
                .any(|d| !d.name.starts_with("--") || referenced.contains(&d.name));
            if !matters {
                continue;
            }
            for probe in &rule.selectors {
                if !index.may_match(&probe.rightmost) {
                    continue;
                }
                for el in dom.select(&probe.selector) {
                    matches.entry(el.id()).or_default().push(Matched {
                        rule,
                        order,
                        base: u.base,
                        specificity: probe.specificity,
                        pseudo: probe.pseudo,
                        sheet: &u.applies,
                    });
                }
            }
        }
    }
    matches
}

/// One viewport's pass over the DOM.
struct Walk<'w, 's> {
    v: usize,
    viewport: &'w Viewport,
    matches: &'w Matches<'s>,
    bases: &'w [String],
    site: &'w Site<'w>,
    /// The page runs scripts: an empty element with an `id` is where they render.
    scripted: bool,
}

/// Text drawn with one font: family list, weight, italic.
type FontKey = (Rc<Vec<Family>>, u32, bool);

#[derive(Default)]
struct Found {
    loads: Vec<Load>,
    text: HashMap<FontKey, BTreeSet<char>>,
}

impl<'w, 's> Walk<'w, 's> {
    fn run(&self, dom: &Html, used: &[Used]) -> Vec<Load> {
        let mut found = Found::default();
        // Depth-first without recursion: a page may nest elements thousands deep.
        let mut stack: Vec<(ElementRef, Rc<Computed>, bool)> =
            vec![(dom.root_element(), Rc::new(Computed::root()), false)];
        while let Some((el, parent, parent_hidden)) = stack.pop() {
            let (computed, hidden) = self.element(&el, &parent, parent_hidden, &mut found);
            if el.value().name() == "template" {
                continue;
            }
            let computed = Rc::new(computed);
            let children: Vec<ElementRef> = el.children().filter_map(ElementRef::wrap).collect();
            for child in children.into_iter().rev() {
                stack.push((child, computed.clone(), hidden));
            }
        }
        let declared: Vec<Declared> = used
            .iter()
            .filter(|u| u.applies[self.v])
            .flat_map(|u| {
                u.sheet
                    .get()
                    .faces
                    .iter()
                    .filter(|f| f.applies[self.v])
                    .map(|face| Declared { face, base: u.base })
            })
            .collect();
        let text = std::mem::take(&mut found.text);
        self.fonts(&declared, &text, &mut found);
        found.loads
    }

    /// The backgrounds of [`scripted_rules`] that apply at this viewport.
    fn scripted(&self, rules: &[Matched]) -> Vec<Load> {
        let mut found = Found::default();
        for m in rules
            .iter()
            .filter(|m| m.sheet[self.v] && m.rule.applies[self.v])
        {
            let declarations: Vec<Sourced> = m
                .rule
                .declarations
                .iter()
                .filter(|d| !d.important)
                .chain(m.rule.declarations.iter().filter(|d| d.important))
                .map(|declaration| Sourced {
                    declaration,
                    base: m.base,
                })
                .collect();
            let (_, backgrounds) = cascade::compute(&Computed::root(), &declarations);
            self.backgrounds(
                &backgrounds,
                "background of an element a script creates",
                &mut found,
            );
        }
        found.loads
    }

    /// Computes an element, records what it loads; returns its values and whether it is hidden.
    fn element(
        &self,
        el: &ElementRef,
        parent: &Computed,
        parent_hidden: bool,
        found: &mut Found,
    ) -> (Computed, bool) {
        let user_agent = cascade::user_agent(el);
        let inline = inline_style(el);
        let mine = self.declarations(el, Pseudo::None, &user_agent, &inline);
        let (computed, backgrounds) = cascade::compute(parent, &mine);
        let hidden = parent_hidden || computed.hidden;
        self.images(el, &computed, hidden, found);
        if hidden {
            return (computed, hidden);
        }
        self.backgrounds(&backgrounds, "background", found);
        let mut chars: BTreeSet<char> = el
            .children()
            .filter_map(|n| n.value().as_text())
            .flat_map(|t| t.chars())
            .filter(|c| !c.is_whitespace())
            .collect();
        chars.extend(field_text(el));
        if self.scripted && chars.is_empty() && is_mount_point(el) {
            // What a client-rendered app draws there: taken as Latin letters and digits.
            chars.extend(('a'..='z').chain('A'..='Z').chain('0'..='9'));
        }
        add_text(found, &computed, chars);
        for pseudo in [Pseudo::Before, Pseudo::After] {
            let declarations = self.declarations(el, pseudo, &[], &[]);
            if declarations.is_empty() {
                continue;
            }
            let (p, backgrounds) = cascade::compute(&computed, &declarations);
            if let Some(text) = p.content.as_ref().filter(|_| !p.hidden) {
                self.backgrounds(&backgrounds, "background of ::before/::after", found);
                add_text(
                    found,
                    &p,
                    text.chars().filter(|c| !c.is_whitespace()).collect(),
                );
            }
        }
        (computed, hidden)
    }

    fn backgrounds(&self, backgrounds: &[(String, u32)], why: &str, found: &mut Found) {
        for (url, base) in backgrounds {
            let url = if url.starts_with(cascade::IMAGE_SET) {
                match cascade::pick_image_set(url, self.viewport.dpr) {
                    Some(u) => u,
                    None => continue,
                }
            } else {
                url.clone()
            };
            self.load(&url, *base, false, false, why, found);
        }
    }

    fn load(
        &self,
        url: &str,
        base: u32,
        font: bool,
        on_scroll: bool,
        why: &str,
        found: &mut Found,
    ) {
        if let Target::Site { path, .. } = urls::resolve(url, &self.bases[base as usize], self.site)
            && !path.is_empty()
            && !path.ends_with('/')
        {
            found.loads.push(Load {
                file: path,
                font,
                on_scroll,
                why: why.to_string(),
            });
        }
    }

    /// Images an element asks for by itself: `<img>`, `<input type=image>`, a `<video>`'s
    /// poster, `<link rel=preload>` (images and fonts).
    fn images(&self, el: &ElementRef, computed: &Computed, hidden: bool, found: &mut Found) {
        let e = el.value();
        match e.name() {
            "img" => self.img(el, computed, hidden, found),
            "input"
                if e.attr("type")
                    .is_some_and(|t| t.eq_ignore_ascii_case("image")) =>
            {
                if let Some(src) = e.attr("src") {
                    self.load(src, 0, false, false, "<input type=image>", found);
                }
            }
            "video" => {
                if let Some(poster) = e.attr("poster") {
                    self.load(poster, 0, false, false, "<video poster>", found);
                }
            }
            "link" => self.preload(el, found),
            _ => {}
        }
    }

    fn preload(&self, el: &ElementRef, found: &mut Found) {
        let e = el.value();
        let rel = e.attr("rel").unwrap_or("").to_ascii_lowercase();
        if !rel.split_whitespace().any(|w| w == "preload")
            || e.attr("media")
                .is_some_and(|m| !select::media_text_matches(m, self.viewport))
        {
            return;
        }
        let kind = e.attr("type").unwrap_or("");
        match e.attr("as") {
            Some("image") if select::image_type_supported(kind) => {
                let candidates = e
                    .attr("imagesrcset")
                    .map(select::parse_srcset)
                    .filter(|c| !c.is_empty());
                let size = select::source_size(e.attr("imagesizes"), None, self.viewport);
                let url = match &candidates {
                    Some(c) => select::pick(c, size, self.viewport.dpr),
                    None => e.attr("href"),
                };
                if let Some(url) = url {
                    self.load(url, 0, false, false, "<link rel=preload as=image>", found);
                }
            }
            Some("font") if font_type_supported(kind) => {
                if let Some(href) = e.attr("href") {
                    self.load(href, 0, true, false, "<link rel=preload as=font>", found);
                }
            }
            _ => {}
        }
    }

    /// The candidate of an `<img>` (or of its `<picture>`'s first fitting `<source>`).
    fn img(&self, el: &ElementRef, computed: &Computed, hidden: bool, found: &mut Found) {
        let e = el.value();
        let lazy = e
            .attr("loading")
            .is_some_and(|l| l.eq_ignore_ascii_case("lazy"));
        // A lazy image that is not rendered is never loaded; an eager one is.
        if lazy && hidden {
            return;
        }
        let width = select::auto_width(
            computed.width.as_deref(),
            computed.max_width.as_deref(),
            e.attr("width").and_then(|w| w.trim().parse::<f32>().ok()),
            self.viewport,
        );
        let dpr = self.viewport.dpr;
        let picked = picture_source(el, self.viewport, width).or_else(|| {
            let mut candidates = e
                .attr("srcset")
                .map(select::parse_srcset)
                .unwrap_or_default();
            let widths = candidates
                .iter()
                .any(|c| matches!(c.descriptor, select::Descriptor::Width(_)));
            let one_x = candidates
                .iter()
                .any(|c| c.descriptor == select::Descriptor::Density(1.0));
            if let Some(src) = e.attr("src").filter(|s| !s.trim().is_empty())
                && !widths
                && !one_x
            {
                candidates.push(select::Candidate {
                    url: src.to_string(),
                    descriptor: select::Descriptor::Density(1.0),
                });
            }
            let size = select::source_size(e.attr("sizes"), width, self.viewport);
            let why = if e.attr("srcset").is_some() {
                "<img srcset>"
            } else {
                "<img src>"
            };
            select::pick(&candidates, size, dpr).map(|u| (u.to_string(), why.to_string()))
        });
        if let Some((url, why)) = picked {
            self.load(&url, 0, false, lazy, &why, found);
        }
    }

    fn fonts(
        &self,
        declared: &[Declared],
        text: &HashMap<FontKey, BTreeSet<char>>,
        loads: &mut Found,
    ) {
        for ((family, weight, italic), chars) in text {
            for d in fonts::faces_for(declared, family, *weight as f32, *italic, chars) {
                let Some(src) = &d.face.src else { continue };
                let why = format!(
                    "@font-face \"{}\" for text at {} {}",
                    d.face.family,
                    weight,
                    if *italic { "italic" } else { "normal" }
                );
                self.load(src, d.base, true, false, &why, loads);
            }
        }
    }

    /// The declarations of `el` (or its pseudo-element) in cascade order, lowest first.
    fn declarations<'d>(
        &self,
        el: &ElementRef,
        pseudo: Pseudo,
        user_agent: &'d [Declaration],
        inline: &'d [Declaration],
    ) -> Vec<Sourced<'d>>
    where
        's: 'd,
    {
        let v = self.v;
        let mut matched: Vec<&Matched> = self
            .matches
            .get(&el.id())
            .into_iter()
            .flatten()
            .filter(|m| m.pseudo == pseudo && m.sheet[v] && m.rule.applies[v])
            .collect();
        matched.sort_by_key(|m| (m.specificity, m.order));
        let sourced = |declaration: &'d Declaration, base: u32| Sourced { declaration, base };
        let mut out: Vec<Sourced<'d>> = user_agent.iter().map(|d| sourced(d, 0)).collect();
        for important in [false, true] {
            for m in &matched {
                let rule: &'d sheet::Rule = m.rule;
                out.extend(
                    rule.declarations
                        .iter()
                        .filter(|d| d.important == important)
                        .map(|d| sourced(d, m.base)),
                );
            }
            out.extend(
                inline
                    .iter()
                    .filter(|d| d.important == important)
                    .map(|d| sourced(d, 0)),
            );
        }
        out
    }
}

/// The first `<source>` of the `<picture>` around `img` whose type and media fit, and the
/// candidate it gives.
fn picture_source(
    img: &ElementRef,
    viewport: &Viewport,
    width: Option<f32>,
) -> Option<(String, String)> {
    let picture = img
        .parent()
        .and_then(ElementRef::wrap)
        .filter(|p| p.value().name() == "picture")?;
    for source in picture.children().filter_map(ElementRef::wrap) {
        if source.id() == img.id() {
            return None;
        }
        let s = source.value();
        if s.name() != "source"
            || s.attr("type")
                .is_some_and(|t| !select::image_type_supported(t))
            || s.attr("media")
                .is_some_and(|m| !select::media_text_matches(m, viewport))
        {
            continue;
        }
        let candidates = select::parse_srcset(s.attr("srcset").unwrap_or(""));
        if candidates.is_empty() {
            continue;
        }
        let size = select::source_size(s.attr("sizes"), width, viewport);
        let url = select::pick(&candidates, size, viewport.dpr)?;
        let why = format!(
            "<picture> <source type={}>",
            s.attr("type").unwrap_or("(any)")
        );
        return Some((url.to_string(), why));
    }
    None
}

fn font_type_supported(kind: &str) -> bool {
    let kind = kind.trim().to_ascii_lowercase();
    kind.is_empty()
        || matches!(
            kind.as_str(),
            "font/woff2"
                | "font/woff"
                | "font/ttf"
                | "font/otf"
                | "font/sfnt"
                | "font/collection"
                | "application/font-woff"
                | "application/font-woff2"
                | "application/x-font-ttf"
                | "application/x-font-woff"
        )
}

/// An element's `style` attribute, reduced as stylesheets are.
fn inline_style(el: &ElementRef) -> Vec<Declaration> {
    let Some(text) = el.value().attr("style") else {
        return Vec::new();
    };
    let Ok(block) =
        lightningcss::declaration::DeclarationBlock::parse_string(text, Default::default())
    else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (list, important) in [
        (&block.declarations, false),
        (&block.important_declarations, true),
    ] {
        out.extend(list.iter().filter_map(|p| sheet::declaration(p, important)));
    }
    out
}

/// `<div id="app"></div>`, `<app-root></app-root>`: an empty element in `<body>` with an `id`
/// (or a custom element), where a client-rendered app puts its content.
fn is_mount_point(el: &ElementRef) -> bool {
    let e = el.value();
    let empty = el
        .children()
        .all(|n| n.value().as_text().is_some_and(|t| t.trim().is_empty()));
    let container = matches!(e.name(), "div" | "main" | "section" | "article") && e.id().is_some();
    empty
        && (container || e.name().contains('-'))
        && el
            .ancestors()
            .filter_map(ElementRef::wrap)
            .any(|a| a.value().name() == "body")
}

/// Text a form field shows that is not a child text node: its value or placeholder.
fn field_text(el: &ElementRef) -> Vec<char> {
    let e = el.value();
    let shows_value = match e.name() {
        "input" => !matches!(
            e.attr("type")
                .unwrap_or("text")
                .to_ascii_lowercase()
                .as_str(),
            "hidden" | "checkbox" | "radio" | "file" | "image" | "range" | "color"
        ),
        "textarea" => true,
        _ => false,
    };
    if !shows_value {
        return Vec::new();
    }
    let text = e
        .attr("value")
        .filter(|v| !v.is_empty())
        .or(e.attr("placeholder"));
    text.unwrap_or("")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

fn add_text(found: &mut Found, computed: &Computed, chars: BTreeSet<char>) {
    if chars.is_empty() {
        return;
    }
    let key = (
        computed.family.clone(),
        computed.weight.round() as u32,
        computed.italic,
    );
    found.text.entry(key).or_default().extend(chars);
}

/// One load per file, the same whatever order they were found in: on load before on scroll,
/// then the first reason in sort order.
fn dedupe(mut loads: Vec<Load>) -> Vec<Load> {
    loads.sort_by(|a, b| {
        a.file
            .cmp(&b.file)
            .then(a.on_scroll.cmp(&b.on_scroll))
            .then(a.why.cmp(&b.why))
    });
    loads.dedup_by(|b, a| a.file == b.file);
    loads
}

#[cfg(test)]
mod tests {
    use super::*;

    const CSS: &str = r#"
        :root { --body-font: "Inter", sans-serif; --icons: "Icons" }
        @font-face { font-family: Inter; font-weight: 400; src: url(../fonts/inter-400.woff2) format("woff2"), url(../fonts/inter-400.woff) format("woff"); unicode-range: U+0000-00FF }
        @font-face { font-family: Inter; font-weight: 400; src: url(../fonts/inter-400-cyrillic.woff2) format("woff2"); unicode-range: U+0400-04FF }
        @font-face { font-family: Inter; font-weight: 700; src: url(../fonts/inter-700.woff2) format("woff2") }
        @font-face { font-family: Inter; font-weight: 300; src: url(../fonts/inter-300.woff2) format("woff2") }
        @font-face { font-family: Icons; src: url(../fonts/icons.woff2) format("woff2") }
        body { font-family: var(--body-font) }
        .hero { background: url(../img/hero.jpg) center / cover }
        @media (min-width: 768px) { .hero { background-image: url(../img/hero-wide.jpg) } }
        .menu { display: none; background-image: url(../img/menu.png) }
        .menu b { font-weight: 300 }
        .icon::before { font-family: var(--icons); content: "\e001" }
        .retina { background-image: image-set(url(../img/r1.png) 1x, url(../img/r2.png) 2x) }
    "#;

    const HTML: &str = r#"<!doctype html><html><head>
        <link rel="stylesheet" href="css/site.css">
        <link rel="preload" as="font" type="font/woff2" href="fonts/inter-700.woff2" crossorigin>
        </head><body>
        <div class="hero"><h1>Title</h1></div>
        <nav class="menu"><b>Hidden light text</b><img src="img/eager.png"><img src="img/lazy-hidden.png" loading="lazy"></nav>
        <p>Body text <span class="icon"></span><i class="retina">x</i></p>
        <picture>
          <source type="image/avif" srcset="img/p-640.avif 640w, img/p-1280.avif 1280w" sizes="(min-width: 900px) 50vw, 100vw">
          <source type="image/webp" srcset="img/p-640.webp 640w, img/p-1280.webp 1280w">
          <img src="img/p.jpg" srcset="img/p-640.jpg 640w, img/p-1280.jpg 1280w" loading="lazy" alt="">
        </picture>
        <img src="img/small.png" srcset="img/small@2x.png 2x, img/small@3x.png 3x">
        <template><img src="img/template.png"></template>
        <noscript><img src="img/noscript.png"></noscript>
        </body></html>"#;

    fn weights() -> Vec<Vec<Load>> {
        let sheets = HashMap::from([(
            "css/site.css".to_string(),
            Sheet::parse(CSS, &Viewport::defaults()).unwrap(),
        )]);
        let site = Site {
            base: "/",
            origin: None,
        };
        let parts = Parts {
            sheets: &sheets,
            script_words: &|_| None,
        };
        page("index.html", HTML, &parts, &Viewport::defaults(), &site)
    }

    fn files(loads: &[Load]) -> Vec<String> {
        loads
            .iter()
            .map(|l| format!("{}{}", l.file, if l.on_scroll { " (scroll)" } else { "" }))
            .collect()
    }

    #[test]
    fn what_a_browser_downloads() {
        let [mobile, desktop] = <[Vec<Load>; 2]>::try_from(weights()).unwrap();
        assert_eq!(
            files(&mobile),
            [
                "fonts/icons.woff2",
                "fonts/inter-400.woff2",
                "fonts/inter-700.woff2",
                "img/eager.png",
                "img/hero.jpg",
                "img/p-1280.avif (scroll)",
                "img/r2.png",
                "img/small@3x.png",
            ]
        );
        assert_eq!(
            files(&desktop),
            [
                "fonts/icons.woff2",
                "fonts/inter-400.woff2",
                "fonts/inter-700.woff2",
                "img/eager.png",
                "img/hero-wide.jpg",
                "img/p-1280.avif (scroll)",
                "img/r1.png",
                "img/small.png",
            ]
        );
        let why = |file: &str| mobile.iter().find(|l| l.file == file).unwrap().why.clone();
        assert_eq!(why("fonts/inter-700.woff2"), "<link rel=preload as=font>");
        assert_eq!(why("img/p-1280.avif"), "<picture> <source type=image/avif>");
        assert!(mobile.iter().filter(|l| l.font).count() == 3);
    }
}
