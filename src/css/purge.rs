//! Purge: which style rules the site can use.
//!
//! In: every page's HTML, every script's string literals, every stylesheet. Out: the set of
//! selectors to keep (plain data, shared by the parallel rewrite). A selector is kept when
//!
//! - a class or id it names appears in a script's strings (scripts add classes at run time), or
//! - the element it styles may be one a script creates: its tag is an element name a script's
//!   strings hold (`createElement("main")`, `jsx("main")`, Vue's `_createElementVNode("main")`,
//!   Angular's `ɵɵelementStart(3, "main")`, Svelte's `$.template("<main>")`) and each class and
//!   id it names exists somewhere, or
//! - with user-action and state pseudo-classes and pseudo-elements removed (`:hover`,
//!   `::before`), it matches an element of some page, tested by a real selector engine (the
//!   `selectors` crate, through scraper, on html5ever's DOM), or
//! - that engine cannot parse it (kept, and counted).
//!
//! Matching is indexed the way browsers' rule hashes are: a selector is tested only against the
//! pages whose elements have every class, id and tag of its rightmost compound.

use std::collections::{BTreeSet, HashSet};

use lightningcss::rules::CssRule;
use lightningcss::selector::{Component, Selector};
use lightningcss::stylesheet::{PrinterOptions, StyleSheet};
use lightningcss::traits::ToCss;
use rayon::prelude::*;

/// What else goes with unused rules (`[css] keyframes`, `font_face`, `variables`).
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub keyframes: bool,
    pub font_face: bool,
    pub variables: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            keyframes: true,
            font_face: true,
            variables: true,
        }
    }
}

/// `[css] safelist`: selectors to keep whatever the pages say.
#[derive(Debug, Default, Clone)]
pub struct Safelist {
    /// Exact names or regular expressions; keep a selector whose rightmost compound (the
    /// element it styles) has a matching class, id or tag.
    pub standard: Vec<Name>,
    /// Keep a selector naming a matching class, id or tag anywhere (so `.modal .title` stays
    /// with `deep = ["/^modal/"]`: the children of a safelisted parent).
    pub deep: Vec<Name>,
    /// Keep a selector whose whole text matches.
    pub greedy: Vec<regex::Regex>,
}

#[derive(Debug, Clone)]
pub enum Name {
    Exact(String),
    Pattern(regex::Regex),
}

impl Name {
    /// `"is-open"` or `"/^modal-/"`.
    pub fn parse(text: &str) -> Result<Name, String> {
        match text.strip_prefix('/').and_then(|t| t.strip_suffix('/')) {
            Some(pattern) => regex::Regex::new(pattern)
                .map(Name::Pattern)
                .map_err(|e| format!("{text:?}: {e}")),
            None => Ok(Name::Exact(text.to_string())),
        }
    }

    pub(crate) fn matches(&self, name: &str) -> bool {
        match self {
            Name::Exact(n) => n == name,
            Name::Pattern(r) => r.is_match(name),
        }
    }
}

impl Safelist {
    fn keeps(&self, selector: &Selector, printed: &str) -> bool {
        if self.greedy.iter().any(|r| r.is_match(printed)) {
            return true;
        }
        if !self.deep.is_empty() {
            let mut all = Vec::new();
            names(selector, &mut all);
            if all.iter().any(|n| self.deep.iter().any(|p| p.matches(n))) {
                return true;
            }
        }
        if !self.standard.is_empty() {
            let (classes, ids, tag) = rightmost(selector);
            let mut right = classes;
            right.extend(ids);
            right.extend(tag);
            if right
                .iter()
                .any(|n| self.standard.iter().any(|p| p.matches(n)))
            {
                return true;
            }
        }
        false
    }
}

/// Every class, id and tag a selector names, nested lists included.
fn names(selector: &Selector, out: &mut Vec<String>) {
    for c in selector.iter_raw_match_order() {
        match c {
            Component::Class(n) | Component::ID(n) => out.push(n.0.to_string()),
            Component::LocalName(n) => out.push(n.lower_name.0.to_string()),
            Component::Negation(list)
            | Component::Is(list)
            | Component::Where(list)
            | Component::Has(list) => {
                for s in list.iter() {
                    names(s, out);
                }
            }
            _ => {}
        }
    }
}

/// The `(line, column)` (lightningcss's: 0-based line, 1-based column) where each rule that
/// follows a `/* distill-keep */` comment starts.
fn kept_by_comment(sheet: &str) -> HashSet<(u32, u32)> {
    let mut out = HashSet::new();
    let mut from = 0;
    while let Some(start) = sheet[from..].find("/*").map(|i| i + from) {
        let Some(end) = sheet[start + 2..].find("*/").map(|i| i + start + 2) else {
            break;
        };
        from = end + 2;
        if sheet[start + 2..end].trim() != "distill-keep" {
            continue;
        }
        let rest = &sheet[from..];
        let at = from + (rest.len() - rest.trim_start().len());
        let line = sheet[..at].matches('\n').count() as u32;
        let line_start = sheet[..at].rfind('\n').map_or(0, |i| i + 1);
        out.insert((line, (at - line_start) as u32 + 1));
    }
    out
}

/// What the purge decided, for the rewrite to apply.
#[derive(Debug, Default, Clone)]
pub struct Keep {
    /// Selectors (as lightningcss prints them) that may match.
    pub selectors: HashSet<String>,
    /// `@keyframes`, `@font-face` families and custom properties nothing left uses.
    pub unused_keyframes: HashSet<String>,
    pub unused_families: HashSet<String>,
    pub unused_variables: HashSet<String>,
    /// Selectors the engine could not parse (kept).
    pub unsupported: usize,
}

/// The names a page's elements use.
#[derive(Debug, Default)]
pub(crate) struct Index {
    tags: HashSet<String>,
    ids: HashSet<String>,
    classes: HashSet<String>,
}

impl Index {
    fn extend(&mut self, other: &Index) {
        self.tags.extend(other.tags.iter().cloned());
        self.ids.extend(other.ids.iter().cloned());
        self.classes.extend(other.classes.iter().cloned());
    }

    /// Whether a selector with this rightmost compound may match an element of the page.
    pub(crate) fn may_match(&self, (classes, ids, tag): &Rightmost) -> bool {
        classes.iter().all(|x| self.classes.contains(x))
            && ids.iter().all(|x| self.ids.contains(x))
            && tag.as_ref().is_none_or(|t| self.tags.contains(t))
    }
}

/// Classes, ids and tag of a selector's rightmost compound: pages without them cannot match.
pub(crate) type Rightmost = (Vec<String>, Vec<String>, Option<String>);

/// One selector to decide.
struct Candidate {
    printed: String,
    /// The selector with state pseudo-classes and pseudo-elements removed, parsed by the engine.
    stripped: scraper::Selector,
    rightmost: Rightmost,
}

/// What [`decide`] found.
#[derive(Debug, Default)]
pub struct Decision {
    pub keep: Keep,
    /// For each sheet (in the order given): the unused definitions it holds
    /// (`@keyframes fade`, `@font-face Old`, `--unused`), then the selectors that go, in order,
    /// then the selectors of the rules the first cut took out (as written).
    pub removed: Vec<Vec<String>>,
    /// For each sheet: its text less the rules that certainly match nothing (see
    /// [`super::prune`]), when any were cut. `keep` gives the same result on either text; this
    /// one is cheaper to parse again.
    pub pruned: Vec<Option<String>>,
    /// For each sheet: the selectors kept because the selector engine cannot parse them.
    pub unsupported: Vec<Vec<String>>,
}

/// Decides which of the stylesheets' selectors the pages and scripts can use. `unparsed` are
/// pages and scripts too large or too deeply nested to parse: every word in them counts as used.
pub fn decide(
    pages: &[&str],
    scripts: &[&str],
    unparsed: &[&str],
    sheets: &[&str],
    safelist: &Safelist,
    options: Options,
) -> Decision {
    // Each page's names and inline scripts (a DOM is not `Send`: each worker parses its own).
    let per_page: Vec<(Index, Vec<String>)> = pages
        .par_iter()
        .map(|html| {
            let dom = scraper::Html::parse_document(html);
            let mut inline: Vec<String> = dom
                .select(&scraper::Selector::parse("script").expect("valid selector"))
                .flat_map(|s| crate::js::strings(&s.text().collect::<String>()))
                .collect();
            // Inline CSS may use keyframes, fonts and variables the sheets define.
            for el in dom.select(&scraper::Selector::parse("style, [style]").expect("valid")) {
                inline.push(el.text().collect());
                inline.extend(el.value().attr("style").map(str::to_string));
            }
            (index(&dom), inline)
        })
        .collect();
    let split = |s: &str| -> Vec<String> { super::words(s).map(str::to_string).collect() };
    let mut tokens: HashSet<String> = scripts
        .par_iter()
        .flat_map_iter(|s| crate::js::strings(s))
        .flat_map_iter(|s| split(&s))
        .collect();
    // Word by word into the set, not through a `Vec` of every word: an unparsed 20 MB page of
    // `<!-->` is four million words "--", 160 MB as a list, one entry in the set.
    let mut add_words = |text: &str| {
        for word in super::words(text) {
            if !tokens.contains(word) {
                tokens.insert(word.to_string());
            }
        }
    };
    for (_, inline) in &per_page {
        inline.iter().for_each(|s| add_words(s));
    }
    unparsed.iter().for_each(|s| add_words(s));

    // Every element name of every page: a selector whose rightmost compound names a class, id
    // or tag no page has cannot match, and is decided without the selector engine.
    let mut everywhere = Index::default();
    for (index, _) in &per_page {
        everywhere.extend(index);
    }
    // Elements scripts may create: where they go in the page is not known, so a selector for
    // one is kept when the classes and ids it names exist somewhere.
    let created: HashSet<&str> = ELEMENTS
        .iter()
        .copied()
        .filter(|tag| tokens.contains(*tag))
        .collect();
    let exists = |name: &String, dom: &HashSet<String>| dom.contains(name) || tokens.contains(name);
    let scripted = |selector: &Selector, (_, _, tag): &Rightmost| {
        tag.as_deref().is_some_and(|t| created.contains(t))
            && all_names(selector, &mut |class, id| match (class, id) {
                (Some(c), _) => exists(c, &everywhere.classes),
                (_, Some(i)) => exists(i, &everywhere.ids),
                _ => true,
            })
    };

    // Every distinct selector of every sheet: each sheet parsed once, in parallel, and each of
    // its selectors judged (kept, gone, kept as unsupported, or a candidate to match).
    enum Verdict {
        Keep,
        Gone,
        Unsupported,
        Match(Candidate),
    }
    // First cut, on the text: rules that certainly match nothing (most of a framework build).
    let safelisted = |word: &str| {
        safelist
            .standard
            .iter()
            .chain(&safelist.deep)
            .any(|p| p.matches(word))
    };
    let used = super::prune::Used {
        classes: &everywhere.classes,
        ids: &everywhere.ids,
        tokens: &tokens,
        safelisted: &safelisted,
    };
    let cuts: Vec<Option<(String, Vec<String>)>> = sheets
        .par_iter()
        .map(|s| {
            // Greedy patterns match a selector's printed text: only the full purge can tell.
            if safelist.greedy.is_empty() {
                super::prune::prune(s, &used)
            } else {
                None
            }
        })
        .collect();
    let (pruned, cut_selectors): (Vec<Option<String>>, Vec<Vec<String>>) = cuts
        .into_iter()
        .map(|c| match c {
            Some((text, removed)) => (Some(text), removed),
            None => (None, Vec::new()),
        })
        .unzip();
    let sheets: Vec<&str> = sheets
        .iter()
        .zip(&pruned)
        .map(|(s, p)| p.as_deref().unwrap_or(s))
        .collect();
    let parsed: Vec<Option<super::parse::Parsed>> = sheets
        .par_iter()
        .map(|s| super::parse::parse(s, false).ok())
        .collect();
    let verdicts: Vec<Vec<(String, Verdict)>> = parsed
        .par_iter()
        .zip(&sheets)
        .map(|(sheet, text)| {
            let Some(parsed) = sheet else {
                return Vec::new();
            };
            let commented = kept_by_comment(text);
            // Top-level rules in parallel too: one large sheet is often most of the work.
            let per_rule: Vec<Vec<(String, Verdict)>> = parsed
                .sheet
                .rules
                .0
                .par_iter()
                .enumerate()
                .map(|(k, rule)| {
                    let offset = parsed.line_offset(k);
                    let mut out = Vec::new();
                    visit_selectors(std::slice::from_ref(rule), &mut |selector, loc| {
                        let Ok(printed) = selector.to_css_string(PrinterOptions::default()) else {
                            return;
                        };
                        let rightmost = rightmost(selector);
                        let verdict = if commented.contains(&(loc.line + offset, loc.column))
                            || names_any(selector, &tokens)
                            || safelist.keeps(selector, &printed)
                            || scripted(selector, &rightmost)
                        {
                            Verdict::Keep
                        } else if !everywhere.may_match(&rightmost) {
                            Verdict::Gone
                        } else {
                            match scraper::Selector::parse(&strip_states(&printed)) {
                                Ok(stripped) => Verdict::Match(Candidate {
                                    rightmost,
                                    printed: printed.clone(),
                                    stripped,
                                }),
                                Err(_) => Verdict::Unsupported,
                            }
                        };
                        out.push((printed, verdict));
                    });
                    out
                })
                .collect();
            per_rule.into_iter().flatten().collect()
        })
        .collect();
    let mut parsed: Vec<Option<StyleSheet>> =
        parsed.into_iter().map(|p| p.map(|p| p.sheet)).collect();
    let mut keep = Keep::default();
    let mut seen = HashSet::new();
    let mut candidates = Vec::new();
    let mut printed_by_sheet = Vec::with_capacity(verdicts.len());
    let mut unsupported = Vec::with_capacity(verdicts.len());
    // In order, so the first verdict on a selector decides (a `distill-keep` anywhere wins).
    for sheet in verdicts {
        let mut printed_here = Vec::with_capacity(sheet.len());
        let mut unsupported_here = Vec::new();
        for (printed, verdict) in sheet {
            match verdict {
                Verdict::Keep => {
                    keep.selectors.insert(printed.clone());
                }
                Verdict::Unsupported if seen.insert(printed.clone()) => {
                    keep.unsupported += 1;
                    keep.selectors.insert(printed.clone());
                    unsupported_here.push(printed.clone());
                }
                Verdict::Match(c) if seen.insert(printed.clone()) => candidates.push(c),
                _ => {}
            }
            printed_here.push(printed);
        }
        printed_by_sheet.push(printed_here);
        unsupported.push(unsupported_here);
    }

    // Each page, in parallel, reports the candidates it matches.
    let matched: Vec<Vec<usize>> = pages
        .par_iter()
        .zip(&per_page)
        .map(|(html, (index, _))| {
            let dom = scraper::Html::parse_document(html);
            candidates
                .iter()
                .enumerate()
                .filter(|(_, c)| index.may_match(&c.rightmost))
                .filter(|(_, c)| dom.select(&c.stripped).next().is_some())
                .map(|(i, _)| i)
                .collect()
        })
        .collect();
    for i in matched.into_iter().flatten() {
        keep.selectors.insert(candidates[i].printed.clone());
    }
    let removed = unused_definitions(
        &mut keep,
        &mut parsed,
        printed_by_sheet,
        &tokens,
        &per_page,
        options,
    );
    // The parsed sheets borrow the pruned texts returned below.
    drop(parsed);
    drop(sheets);
    let removed = removed
        .into_iter()
        .zip(cut_selectors)
        .map(|(mut r, cut)| {
            r.extend(cut);
            r
        })
        .collect();
    Decision {
        keep,
        removed,
        pruned,
        unsupported,
    }
}

/// After the rules are decided: the `@keyframes`, `@font-face` families and custom properties
/// that nothing left names (the remaining rules of every sheet, inline CSS, scripts' strings).
/// Returns what goes from each sheet, as [`Decision::removed`].
fn unused_definitions(
    keep: &mut Keep,
    sheets: &mut [Option<StyleSheet>],
    printed: Vec<Vec<String>>,
    tokens: &HashSet<String>,
    per_page: &[(Index, Vec<String>)],
    options: Options,
) -> Vec<Vec<String>> {
    /// One sheet, worked on in parallel: the selectors that go, its `@keyframes` names and
    /// `@font-face` families (in order), its custom properties, and what its kept rules say
    /// (definitions left out) as text.
    #[derive(Default)]
    struct Found {
        selectors: Vec<String>,
        keyframes: Vec<String>,
        families: Vec<String>,
        variables: BTreeSet<String>,
        text: String,
    }
    let found: Vec<Found> = sheets
        .par_iter_mut()
        .zip(printed)
        .map(|(sheet, printed)| {
            let mut f = Found::default();
            let Some(sheet) = sheet.as_mut() else {
                return f;
            };
            f.selectors = printed
                .into_iter()
                .filter(|p| !keep.selectors.contains(p))
                .collect();
            apply(&mut sheet.rules.0, keep);
            sheet.rules.0.retain(|rule| match rule {
                CssRule::Keyframes(k) => {
                    f.keyframes.extend(keyframes_name(k));
                    false
                }
                CssRule::FontFace(face) => {
                    f.families.extend(families(face));
                    false
                }
                _ => true,
            });
            collect_variables(&sheet.rules.0, &mut f.variables);
            f.text = sheet
                .to_css(PrinterOptions::default())
                .map(|r| r.code)
                .unwrap_or_default();
            f
        })
        .collect();
    let mut used = String::new();
    for (_, inline) in per_page {
        for text in inline {
            used.push_str(text);
            used.push('\n');
        }
    }
    for f in &found {
        used.push_str(&f.text);
        used.push('\n');
    }
    let words: HashSet<&str> = super::words(&used).collect();
    let lower = used.to_lowercase();
    for f in &found {
        if options.keyframes {
            keep.unused_keyframes.extend(
                f.keyframes
                    .iter()
                    .filter(|k| !words.contains(k.as_str()) && !tokens.contains(*k))
                    .cloned(),
            );
        }
        if options.font_face {
            keep.unused_families.extend(
                f.families
                    .iter()
                    .filter(|n| !lower.contains(&n.to_lowercase()) && !tokens.contains(*n))
                    .cloned(),
            );
        }
        if options.variables {
            keep.unused_variables.extend(
                f.variables
                    .iter()
                    .filter(|v| !used.contains(&format!("var({v}")) && !tokens.contains(*v))
                    .cloned(),
            );
        }
    }
    found
        .into_iter()
        .map(|f| {
            let keyframes = f
                .keyframes
                .into_iter()
                .filter(|k| keep.unused_keyframes.contains(k))
                .map(|k| format!("@keyframes {k}"));
            let families = f
                .families
                .into_iter()
                .filter(|n| keep.unused_families.contains(n))
                .map(|n| format!("@font-face {n}"));
            let variables = f
                .variables
                .into_iter()
                .filter(|v| keep.unused_variables.contains(v));
            keyframes
                .chain(families)
                .chain(variables)
                .chain(f.selectors)
                .collect()
        })
        .collect()
}

/// The name of a `@keyframes` rule, unquoted.
pub(crate) fn keyframes_name(
    rule: &lightningcss::rules::keyframes::KeyframesRule,
) -> Option<String> {
    let name = rule.name.to_css_string(PrinterOptions::default()).ok()?;
    Some(name.trim_matches('"').to_string())
}

/// The families a `@font-face` rule declares, unquoted.
pub(crate) fn families<'a>(
    rule: &'a lightningcss::rules::font_face::FontFaceRule<'_>,
) -> impl Iterator<Item = String> + 'a {
    rule.properties.iter().filter_map(|p| match p {
        lightningcss::rules::font_face::FontFaceProperty::FontFamily(family) => family
            .to_css_string(PrinterOptions::default())
            .ok()
            .map(|n| n.trim_matches('"').to_string()),
        _ => None,
    })
}

/// The rules inside a grouping rule (`@media`, `@supports`, `@layer`, `@container`).
fn grouped<'a, 'i>(rule: &'a CssRule<'i>) -> Option<&'a [CssRule<'i>]> {
    match rule {
        CssRule::Media(m) => Some(&m.rules.0),
        CssRule::Supports(s) => Some(&s.rules.0),
        CssRule::LayerBlock(l) => Some(&l.rules.0),
        CssRule::Container(c) => Some(&c.rules.0),
        _ => None,
    }
}

fn collect_variables(rules: &[CssRule], out: &mut BTreeSet<String>) {
    for rule in rules {
        match rule {
            CssRule::Style(style) => {
                for d in style
                    .declarations
                    .declarations
                    .iter()
                    .chain(&style.declarations.important_declarations)
                {
                    if let lightningcss::properties::Property::Custom(c) = d
                        && let lightningcss::properties::custom::CustomPropertyName::Custom(name) =
                            &c.name
                    {
                        out.insert(name.0.to_string());
                    }
                }
                collect_variables(&style.rules.0, out);
            }
            _ => {
                if let Some(inner) = grouped(rule) {
                    collect_variables(inner, out);
                }
            }
        }
    }
}

/// Removes from `rules` the selectors `keep` does not hold, and style rules left with none.
/// Returns how many selectors went.
pub fn apply(rules: &mut Vec<CssRule<'_>>, keep: &Keep) -> usize {
    let mut removed = 0;
    rules.retain_mut(|rule| match rule {
        CssRule::Keyframes(k) => k
            .name
            .to_css_string(PrinterOptions::default())
            .map_or(true, |n| {
                !keep.unused_keyframes.contains(n.trim_matches('"'))
            }),
        CssRule::FontFace(f) => !f.properties.iter().any(|p| {
            matches!(p, lightningcss::rules::font_face::FontFaceProperty::FontFamily(family)
                if family
                    .to_css_string(PrinterOptions::default())
                    .is_ok_and(|n| keep.unused_families.contains(n.trim_matches('"'))))
        }),
        CssRule::Style(style) => {
            if !keep.unused_variables.is_empty() {
                let unused = |d: &lightningcss::properties::Property| {
                    matches!(d, lightningcss::properties::Property::Custom(c)
                        if matches!(&c.name,
                            lightningcss::properties::custom::CustomPropertyName::Custom(n)
                                if keep.unused_variables.contains(&*n.0)))
                };
                style.declarations.declarations.retain(|d| !unused(d));
                style
                    .declarations
                    .important_declarations
                    .retain(|d| !unused(d));
            }
            // Nested rules are kept as they are (their context is this rule's selector).
            if !style.rules.0.is_empty() {
                return true;
            }
            let before = style.selectors.0.len();
            let list: Vec<Selector> = style
                .selectors
                .0
                .iter()
                .filter(|s| {
                    s.to_css_string(PrinterOptions::default())
                        .map_or(true, |p| keep.selectors.contains(&p))
                })
                .cloned()
                .collect();
            removed += before - list.len();
            if list.is_empty() {
                return false;
            }
            if list.len() != before {
                style.selectors.0 = list.into();
            }
            true
        }
        CssRule::Media(m) => {
            removed += apply(&mut m.rules.0, keep);
            !m.rules.0.is_empty()
        }
        CssRule::Supports(s) => {
            removed += apply(&mut s.rules.0, keep);
            !s.rules.0.is_empty()
        }
        CssRule::LayerBlock(l) => {
            removed += apply(&mut l.rules.0, keep);
            true
        }
        CssRule::Container(c) => {
            removed += apply(&mut c.rules.0, keep);
            !c.rules.0.is_empty()
        }
        _ => true,
    });
    removed
}

pub(crate) fn visit_selectors<'i>(
    rules: &[CssRule<'i>],
    f: &mut dyn FnMut(&Selector<'i>, lightningcss::rules::Location),
) {
    for rule in rules {
        match rule {
            CssRule::Style(style) => {
                for s in style.selectors.0.iter() {
                    f(s, style.loc);
                }
            }
            _ => {
                if let Some(inner) = grouped(rule) {
                    visit_selectors(inner, f);
                }
            }
        }
    }
}

/// Whether any class or id the selector names (anywhere in it) is in `tokens`.
fn names_any(selector: &Selector, tokens: &HashSet<String>) -> bool {
    selector.iter_raw_match_order().any(|c| match c {
        Component::Class(name) | Component::ID(name) => tokens.contains(&*name.0),
        Component::Negation(list) | Component::Is(list) | Component::Where(list) => {
            list.iter().any(|s| names_any(s, tokens))
        }
        Component::Has(list) => list.iter().any(|s| names_any(s, tokens)),
        _ => false,
    })
}

/// Whether `ok` holds for every class `(Some(name), None)` and id `(None, Some(name))` the
/// selector names outside negations.
fn all_names(
    selector: &Selector,
    ok: &mut dyn FnMut(Option<&String>, Option<&String>) -> bool,
) -> bool {
    selector.iter_raw_match_order().all(|c| match c {
        Component::Class(name) => ok(Some(&name.0.to_string()), None),
        Component::ID(name) => ok(None, Some(&name.0.to_string())),
        Component::Is(list) | Component::Where(list) => list.iter().any(|s| all_names(s, ok)),
        _ => true,
    })
}

/// HTML and SVG element names: a script's string that is one of these may be an element it
/// creates.
const ELEMENTS: &[&str] = &[
    "a",
    "abbr",
    "address",
    "area",
    "article",
    "aside",
    "audio",
    "b",
    "bdi",
    "bdo",
    "blockquote",
    "body",
    "br",
    "button",
    "canvas",
    "caption",
    "cite",
    "code",
    "col",
    "colgroup",
    "data",
    "datalist",
    "dd",
    "del",
    "details",
    "dfn",
    "dialog",
    "div",
    "dl",
    "dt",
    "em",
    "embed",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hgroup",
    "hr",
    "html",
    "i",
    "iframe",
    "img",
    "input",
    "ins",
    "kbd",
    "label",
    "legend",
    "li",
    "main",
    "map",
    "mark",
    "menu",
    "meter",
    "nav",
    "noscript",
    "object",
    "ol",
    "optgroup",
    "option",
    "output",
    "p",
    "picture",
    "pre",
    "progress",
    "q",
    "rp",
    "rt",
    "ruby",
    "s",
    "samp",
    "search",
    "section",
    "select",
    "slot",
    "small",
    "source",
    "span",
    "strong",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "template",
    "textarea",
    "tfoot",
    "th",
    "thead",
    "time",
    "tr",
    "track",
    "u",
    "ul",
    "var",
    "video",
    "wbr",
    "svg",
    "circle",
    "ellipse",
    "g",
    "line",
    "path",
    "polygon",
    "polyline",
    "rect",
    "text",
    "use",
    "defs",
    "symbol",
    "image",
    "foreignobject",
    "lineargradient",
    "radialgradient",
    "stop",
];

/// Classes, ids and tag of the rightmost compound.
pub(crate) fn rightmost(selector: &Selector) -> Rightmost {
    let mut classes = Vec::new();
    let mut ids = Vec::new();
    let mut tag = None;
    for c in selector.iter() {
        match c {
            Component::Class(n) => classes.push(n.0.to_string()),
            Component::ID(n) => ids.push(n.0.to_string()),
            Component::LocalName(n) => tag = Some(n.lower_name.0.to_ascii_lowercase()),
            _ => {}
        }
    }
    (classes, ids, tag)
}

pub(crate) fn index(dom: &scraper::Html) -> Index {
    let mut index = Index::default();
    for node in dom.tree.nodes() {
        if let Some(el) = node.value().as_element() {
            index.tags.insert(el.name().to_ascii_lowercase());
            if let Some(id) = el.id() {
                index.ids.insert(id.to_string());
            }
            for class in el.classes() {
                index.classes.insert(class.to_string());
            }
        }
    }
    index
}

/// Pseudo-classes that depend on what the user does or on form state: a rule with them applies
/// when its element exists, so they are removed before matching.
const STATES: &[&str] = &[
    "hover",
    "focus",
    "focus-visible",
    "focus-within",
    "active",
    "visited",
    "link",
    "any-link",
    "target",
    "target-within",
    "checked",
    "indeterminate",
    "default",
    "disabled",
    "enabled",
    "valid",
    "invalid",
    "user-valid",
    "user-invalid",
    "in-range",
    "out-of-range",
    "required",
    "optional",
    "read-only",
    "read-write",
    "placeholder-shown",
    "autofill",
    "-webkit-autofill",
    "open",
    "closed",
    "popover-open",
    "modal",
    "fullscreen",
    "picture-in-picture",
    "playing",
    "paused",
    "current",
    "past",
    "future",
    "empty",
    "blank",
    "defined",
    "host",
    "-moz-focusring",
];

/// Legacy one-colon pseudo-elements.
const OLD_ELEMENTS: &[&str] = &["before", "after", "first-line", "first-letter"];

/// `a.btn:hover::before` -> `a.btn`; `:focus` alone -> `*`. Scans the printed selector, skipping
/// strings and attribute brackets, so a `:` inside them is left alone.
pub fn strip_states(selector: &str) -> String {
    let chars: Vec<char> = selector.chars().collect();
    let mut out = String::with_capacity(selector.len());
    let mut i = 0;
    let mut bracket = 0usize;
    let mut quote: Option<char> = None;
    while i < chars.len() {
        let c = chars[i];
        if let Some(q) = quote {
            out.push(c);
            if c == '\\' && i + 1 < chars.len() {
                out.push(chars[i + 1]);
                i += 2;
                continue;
            }
            if c == q {
                quote = None;
            }
            i += 1;
            continue;
        }
        match c {
            '"' | '\'' => quote = Some(c),
            '[' => bracket += 1,
            ']' => bracket = bracket.saturating_sub(1),
            '\\' if i + 1 < chars.len() => {
                out.push(c);
                out.push(chars[i + 1]);
                i += 2;
                continue;
            }
            ':' if bracket == 0 => {
                let double = chars.get(i + 1) == Some(&':');
                let start = if double { i + 2 } else { i + 1 };
                let mut end = start;
                while end < chars.len()
                    && (chars[end].is_alphanumeric() || chars[end] == '-' || chars[end] == '_')
                {
                    end += 1;
                }
                let name: String = chars[start..end].iter().collect::<String>().to_lowercase();
                let drop = double
                    || OLD_ELEMENTS.contains(&name.as_str())
                    || STATES.contains(&name.as_str());
                if drop {
                    // Skip a balanced argument list too: `::part(x)`, `:host(.a)`.
                    if chars.get(end) == Some(&'(') {
                        let mut depth = 0;
                        while end < chars.len() {
                            match chars[end] {
                                '(' => depth += 1,
                                ')' => {
                                    depth -= 1;
                                    if depth == 0 {
                                        end += 1;
                                        break;
                                    }
                                }
                                _ => {}
                            }
                            end += 1;
                        }
                    }
                    // A compound left empty matches any element.
                    let before_empty = out
                        .chars()
                        .last()
                        .is_none_or(|p| matches!(p, ' ' | '>' | '+' | '~' | '(' | ','));
                    let after_empty = chars
                        .get(end)
                        .is_none_or(|n| matches!(n, ' ' | '>' | '+' | '~' | ')' | ','));
                    if before_empty && after_empty {
                        out.push('*');
                    }
                    i = end;
                    continue;
                }
            }
            _ => {}
        }
        out.push(c);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first cut on the text changes nothing but the cost: Bootstrap purged against the
    /// fixture pages gives the same sheet with it and without it (a greedy safelist pattern
    /// that matches nothing turns it off), from the original text or the cut one.
    #[test]
    fn first_cut_gives_the_same_result() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/bootstrap");
        let read = |p: &str| std::fs::read_to_string(dir.join(p)).unwrap();
        let pages = [read("index.html"), read("shop.html")];
        let pages: Vec<&str> = pages.iter().map(String::as_str).collect();
        let sheet = read("css/bootstrap.min.css");
        let script = ["document.body.classList.add('modal-open', 'show')"];
        let with = decide(
            &pages,
            &script,
            &[],
            &[&sheet],
            &Safelist::default(),
            Options::default(),
        );
        let off = Safelist {
            greedy: vec![regex::Regex::new("^never$").unwrap()],
            ..Safelist::default()
        };
        let without = decide(&pages, &script, &[], &[&sheet], &off, Options::default());
        let pruned = with.pruned[0].as_deref().expect("a first cut");
        assert!(
            pruned.len() < sheet.len() / 2,
            "{} of {}",
            pruned.len(),
            sheet.len()
        );
        assert!(without.pruned[0].is_none());
        let print = |text: &str, keep: &Keep| {
            super::super::rewrite_sheet(
                text,
                super::super::Style::default(),
                |_| None,
                None,
                Some(keep),
            )
            .unwrap()
        };
        let reference = print(&sheet, &without.keep);
        assert_eq!(print(&sheet, &with.keep), reference);
        assert_eq!(print(pruned, &with.keep), reference);
        assert_eq!(with.removed[0].len(), without.removed[0].len());
    }

    #[test]
    fn safelists_and_keep_comments() {
        let page = "<div class=\"modal\"></div>";
        let sheet = ".modal .title{a:b}.tooltip{a:b}.btn-x{a:b}.unused a.btn-y{a:b}\n/* distill-keep */\n.kept-by-comment{a:b}\n.gone{a:b}";
        let safelist = Safelist {
            standard: vec![
                Name::parse("tooltip").unwrap(),
                Name::parse("/^btn-/").unwrap(),
            ],
            deep: vec![Name::parse("/^moda/").unwrap()],
            greedy: vec![],
        };
        let keep = decide(&[page], &[], &[], &[sheet], &safelist, Options::default()).keep;
        let kept: BTreeSet<&str> = keep.selectors.iter().map(String::as_str).collect();
        assert_eq!(
            kept,
            BTreeSet::from([
                ".modal .title",
                ".tooltip",
                ".btn-x",
                ".unused a.btn-y",
                ".kept-by-comment"
            ])
        );
        let greedy = Safelist {
            greedy: vec![regex::Regex::new("gone").unwrap()],
            ..Safelist::default()
        };
        assert!(
            decide(&[page], &[], &[], &[sheet], &greedy, Options::default())
                .keep
                .selectors
                .contains(".gone")
        );
    }

    #[test]
    fn unused_keyframes_fonts_and_variables_go() {
        let page = r#"<div class="a" style="animation: pulse 1s"></div>"#;
        let script = r#"el.style.setProperty("--from-js", "1")"#;
        let sheet = "@keyframes spin{to{rotate:1turn}}@keyframes fade{to{opacity:0}}@keyframes pulse{to{opacity:.5}}@font-face{font-family:Inter;src:url(i.woff2)}@font-face{font-family:\"Old Face\";src:url(o.woff2)}:root{--used:red;--unused:blue;--from-js:0}.a{animation:spin 1s;font-family:Inter,sans-serif;color:var(--used)}.gone{animation:fade 1s;font-family:\"Old Face\"}";
        let Decision { keep, removed, .. } = decide(
            &[page],
            &[script],
            &[],
            &[sheet],
            &Safelist::default(),
            Options::default(),
        );
        let gone: BTreeSet<String> = removed[0].iter().cloned().collect();
        let expected: BTreeSet<String> = [
            "@keyframes fade",
            "@font-face Old Face",
            "--unused",
            ".gone",
        ]
        .map(String::from)
        .into();
        assert_eq!(gone, expected);
        // And the printed sheet has them no more.
        let out = super::super::rewrite_sheet(
            sheet,
            super::super::Style {
                minify: true,
                browsers: None,
            },
            |_| None,
            None,
            Some(&keep),
        )
        .unwrap();
        assert!(
            !out.contains("fade") && !out.contains("Old Face") && !out.contains("--unused"),
            "{out}"
        );
        assert!(
            out.contains("@keyframes spin") && out.contains("@keyframes pulse"),
            "{out}"
        );
        assert!(out.contains("--from-js") && out.contains("--used"), "{out}");
    }

    #[test]
    fn states_and_pseudo_elements_are_stripped() {
        assert_eq!(strip_states("a.btn:hover::before"), "a.btn");
        assert_eq!(strip_states(":focus"), "*");
        assert_eq!(strip_states("ul > :first-child"), "ul > :first-child");
        assert_eq!(strip_states("div > ::before"), "div > *");
        assert_eq!(
            strip_states("a[title=\"x:hover\"]:focus"),
            "a[title=\"x:hover\"]"
        );
        assert_eq!(strip_states(".a:not(:hover)"), ".a:not(*)");
        assert_eq!(strip_states("input:checked + label"), "input + label");
    }

    #[test]
    fn keeps_rules_for_elements_scripts_create() {
        // A single-page app: the page holds an empty root; React, Vue and Angular name the
        // elements they create in strings.
        let page = r#"<html><body><div id="root"></div></body></html>"#;
        let react = r#"a.jsx("main",{className:"page",children:b.jsx("p",{})})"#;
        let angular = r#"i.ɵɵelementStart(3,"article")"#;
        let sheet = "main{max-width:960px}main p{margin:0}article.card{padding:1rem}article.missing{x:y}aside{float:left}.page{x:y}";
        let keep = decide(
            &[page],
            &[react, angular],
            &[],
            &[sheet],
            &Safelist::default(),
            Options::default(),
        )
        .keep;
        let kept: BTreeSet<&str> = keep.selectors.iter().map(String::as_str).collect();
        // `article.card` and `article.missing` go: no page or script names those classes.
        assert_eq!(
            kept,
            BTreeSet::from(["main", "main p", ".page"]),
            "{kept:?}"
        );
    }

    #[test]
    fn keeps_what_matches_or_scripts_name() {
        let page = r#"<html><body><nav class="menu"><a href="/" class="link">x</a></nav><ul><li>a</li></ul><input type="checkbox"></body></html>"#;
        let script = r#"document.querySelector(".menu").classList.toggle("is-open");"#;
        let sheet = ".menu a:hover{color:red}.menu.is-open{display:block}.unused{color:blue}ul>li:first-child{margin:0}ol li{x:y}@media (min-width:1px){.link::after{content:''}.gone{}}input[type=checkbox]:checked+label{color:red}.a:is(:hover,.b){}";
        let keep = decide(
            &[page],
            &[script],
            &[],
            &[sheet],
            &Safelist::default(),
            Options::default(),
        )
        .keep;
        let kept: BTreeSet<&str> = keep.selectors.iter().map(String::as_str).collect();
        assert_eq!(
            kept,
            BTreeSet::from([
                ".menu a:hover",
                ".menu.is-open",
                "ul > li:first-child",
                ".link:after",
            ]),
            "{kept:?}"
        );
    }
}
