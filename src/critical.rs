//! Critical CSS: after hash & rewrite, each page's critical CSS goes inline and its
//! stylesheets stop blocking the first render.
//!
//! In: the plan and the final names and texts. Out: new texts for the pages changed, and what
//! was inlined where (for the manifest, `_headers` and the reports). Works on final texts, so
//! the inlined CSS already names hashed files, and matches the page as it is served (`<img>`s
//! already `<picture>`s). Stylesheets are parsed once (in parallel) for all pages that link
//! them; pages are worked on in parallel.

use std::collections::{BTreeMap, HashMap};

use base64::Engine as _;
use rayon::prelude::*;
use sha2::Digest as _;

use crate::config::CriticalSettings;
use crate::css::critical::{self as css_critical, Prepared};
use crate::diag::Diagnostic;
use crate::hash::Hashed;
use crate::html::critical::{self as html_critical, Strategy, Styling};
use crate::plan::{Body, Plan};
use crate::urls::{self, Target};

/// What was inlined into one page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inlined {
    /// Bytes of the inlined CSS.
    pub bytes: usize,
    /// Its Content-Security-Policy source: `'sha256-…'`.
    pub csp: String,
    /// A `Content-Security-Policy` that allows the page's styles and no other inline CSS:
    /// `style-src 'self'`, the origins of its external stylesheets, the hashes of its
    /// `<style>` blocks (the inlined one too) and, with `'unsafe-hashes'`, of its `style`
    /// attributes.
    pub policy: String,
    /// The stylesheets it stands for (output paths), in cascade order.
    pub stylesheets: Vec<String>,
    /// The fonts preloaded (output paths).
    pub fonts: Vec<String>,
}

/// Per page (input path): inlined, or why not.
pub type Outcome = BTreeMap<String, Result<Inlined, String>>;

/// Inlines each page's critical CSS into `hashed.contents`.
pub fn run(
    plan: &Plan,
    hashed: &mut Hashed,
    settings: CriticalSettings,
    site: &urls::Site,
) -> (Outcome, Vec<Diagnostic>) {
    let text = |i: usize| -> Option<&str> {
        hashed.contents[i]
            .as_deref()
            .or_else(|| plan.files[i].text())
    };
    let sheets: HashMap<&str, usize> = plan
        .files
        .iter()
        .enumerate()
        .filter(|(_, f)| f.body == (Body::Css { parsed: true }))
        .map(|(i, _)| (hashed.paths[i].as_str(), i))
        .collect();
    let pages: Vec<usize> = (0..plan.files.len())
        .filter(|&i| plan.files[i].body == Body::Html)
        .collect();

    // What styles each page, and which sheet of the site each link is.
    let surveyed: Vec<Option<(html_critical::Styles, Vec<Option<usize>>)>> = pages
        .par_iter()
        .map(|&i| {
            let styles = html_critical::styling(text(i)?).ok()?;
            let targets = styles
                .elements
                .iter()
                .map(|s| match s {
                    Styling::Link(link) if applies_to_screen(link.media.as_deref()) => {
                        match urls::resolve(&link.href, &hashed.paths[i], site) {
                            Target::Site { path, .. } => sheets.get(path.as_str()).copied(),
                            _ => None,
                        }
                    }
                    _ => None,
                })
                .collect();
            Some((styles, targets))
        })
        .collect();
    let mut wanted: Vec<usize> = surveyed
        .iter()
        .flatten()
        .flat_map(|(_, t)| t.iter().flatten().copied())
        .collect();
    wanted.sort_unstable();
    wanted.dedup();
    let prepared: HashMap<usize, Prepared> = wanted
        .par_iter()
        .filter_map(|&i| Some((i, css_critical::prepare(text(i)?)?)))
        .collect();

    let style = plan.css_style;
    let done: Vec<(usize, PageResult)> = pages
        .par_iter()
        .zip(surveyed)
        .filter_map(|(&i, surveyed)| {
            let (styles, targets) = surveyed?;
            let inlined: Vec<bool> = targets
                .iter()
                .map(|t| t.is_some_and(|t| prepared.contains_key(&t)))
                .collect();
            let page = text(i)?;
            let result = inline_page(
                page, &styles, &targets, &inlined, &prepared, settings, style,
            )?;
            let path = &hashed.paths[i];
            Some((
                i,
                result.map(|(text, critical, policy)| {
                    let inlined = Inlined {
                        bytes: critical.css.len(),
                        csp: csp_source(&critical.css),
                        policy,
                        stylesheets: targets
                            .iter()
                            .zip(&inlined)
                            .filter(|(_, x)| **x)
                            .filter_map(|(t, _)| Some(hashed.paths[(*t)?].clone()))
                            .collect(),
                        fonts: critical
                            .fonts
                            .iter()
                            .map(|url| match urls::resolve(url, path, site) {
                                Target::Site { path, .. } => path,
                                _ => url.clone(),
                            })
                            .collect(),
                    };
                    (text, inlined)
                }),
            ))
        })
        .collect();

    // The parsed sheets borrow the texts about to be replaced.
    drop(prepared);
    let mut outcome = Outcome::new();
    let mut diagnostics = Vec::new();
    for (i, result) in done {
        let page = plan.files[i].source.path.clone();
        match result {
            Ok((text, inlined)) => {
                hashed.contents[i] = Some(text);
                outcome.insert(page, Ok(inlined));
            }
            Err(reason) => {
                diagnostics.push(Diagnostic::note(
                    &page,
                    None,
                    format!("critical CSS not inlined: {reason}"),
                ));
                outcome.insert(page, Err(reason));
            }
        }
    }
    (outcome, diagnostics)
}

/// A page's new text and what it inlined, or why it was left as it was.
type PageResult = Result<(String, Inlined), String>;

/// The page with its critical CSS inlined (and that CSS), or why not; `None` when there is
/// nothing to inline (no stylesheet distill can read, or no rule matches the page).
fn inline_page(
    page: &str,
    styles: &html_critical::Styles,
    targets: &[Option<usize>],
    inlined: &[bool],
    prepared: &HashMap<usize, Prepared>,
    settings: CriticalSettings,
    style: crate::css::Style,
) -> Option<Result<(String, css_critical::Critical, String), String>> {
    let first = inlined.iter().position(|&x| x)?;
    let href = |k: usize| match &styles.elements[k] {
        Styling::Link(link) => link.href.as_str(),
        Styling::Style { .. } | Styling::Other => "",
    };
    // `<style>` blocks after a moved stylesheet are copied after it; other stylesheets cannot
    // follow it there without loading late themselves.
    if settings.strategy == Strategy::Body
        && let Some(after) = (first..inlined.len())
            .find(|&k| !inlined[k] && !matches!(styles.elements[k], Styling::Style { .. }))
    {
        let what = match &styles.elements[after] {
            Styling::Link(link) => format!("the stylesheet {}", link.href),
            _ => "a stylesheet link without href".to_string(),
        };
        return Some(Err(format!(
            "{what} follows {} and is not inlined; moving {} to the end of <body> would change \
             the cascade ([css] critical_strategy = \"media\" keeps the order)",
            href(first),
            href(first)
        )));
    }
    let sheets: Vec<(&Prepared, &str)> = (0..inlined.len())
        .filter(|&k| inlined[k])
        .map(|k| (&prepared[&targets[k].expect("inlined")], href(k)))
        .collect();
    let dom = css_critical::Page::parse(page);
    let critical = css_critical::extract(&dom, &sheets, style);
    if critical.css.is_empty() {
        return None;
    }
    if critical.css.to_ascii_lowercase().contains("</style") {
        return Some(Err("its CSS contains \"</style\"".into()));
    }
    let bytes = critical.css.len();
    if let Some(max) = settings.max_bytes
        && bytes as u64 > max
    {
        return Some(Err(format!(
            "{} of critical CSS is over [css] critical_max_bytes = {}",
            crate::budget::kb(bytes as u64),
            crate::budget::kb(max)
        )));
    }
    let edit = html_critical::Edit {
        css: &critical.css,
        styles,
        inlined,
        fonts: &critical.fonts,
        strategy: settings.strategy,
    };
    let text = match html_critical::inline(page, &edit) {
        Ok(text) => text,
        Err(e) => return Some(Err(format!("the page could not be rewritten: {e}"))),
    };
    let policy = style_policy(dom.dom(), &critical.css);
    Some(Ok((text, critical, policy)))
}

/// [`Inlined::policy`] for a page (its DOM before the critical CSS went in).
fn style_policy(dom: &scraper::Html, critical: &str) -> String {
    let select = |s: &str| scraper::Selector::parse(s).expect("valid selector");
    let mut origins = std::collections::BTreeSet::new();
    for link in dom.select(&select("link[href]")) {
        let rel = link
            .value()
            .attr("rel")
            .unwrap_or_default()
            .to_ascii_lowercase();
        if !rel.split_ascii_whitespace().any(|r| r == "stylesheet") {
            continue;
        }
        let href = link.value().attr("href").unwrap_or_default().trim();
        let rest = href
            .strip_prefix("https://")
            .map(|r| ("https://", r))
            .or_else(|| href.strip_prefix("http://").map(|r| ("http://", r)))
            .or_else(|| href.strip_prefix("//").map(|r| ("https://", r)));
        if let Some((scheme, rest)) = rest {
            let host = rest.split(['/', '?', '#']).next().unwrap_or(rest);
            origins.insert(format!("{scheme}{host}"));
        }
    }
    let mut sources: Vec<String> = vec!["'self'".into()];
    sources.extend(origins);
    sources.push(csp_source(critical));
    for style in dom.select(&select("style:not([data-distill-critical])")) {
        sources.push(csp_source(&style.text().collect::<String>()));
    }
    let attributes: Vec<String> = dom
        .select(&select("[style]"))
        .filter_map(|el| el.value().attr("style"))
        .map(csp_source)
        .collect();
    if !attributes.is_empty() {
        sources.push("'unsafe-hashes'".into());
        sources.extend(attributes);
    }
    let mut seen = std::collections::HashSet::new();
    sources.retain(|s| seen.insert(s.clone()));
    format!("style-src {}", sources.join(" "))
}

/// A link's `media` that the first screen render uses.
fn applies_to_screen(media: Option<&str>) -> bool {
    media.is_none_or(|m| {
        let m = m.trim();
        m.is_empty() || m.eq_ignore_ascii_case("all") || m.eq_ignore_ascii_case("screen")
    })
}

/// `'sha256-…'`: the CSP source that allows an inline `<style>` with exactly this text.
pub fn csp_source(text: &str) -> String {
    let digest = sha2::Sha256::digest(text.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}
