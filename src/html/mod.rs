//! HTML: find the references a page makes and write the page again with new names, streaming
//! with lol_html.
//!
//! One walk serves both: scanning records every URL (returning no replacement), rewriting maps
//! each to its new text. Covered: `src`, `href`, `srcset`/`imagesrcset`, `poster`, `data`,
//! `<link rel=…>`, og/twitter image `<meta content>`, SVG `href`, inline `style` attributes and
//! `<style>` (through the CSS module) and inline scripts (through the JS module).

use std::cell::RefCell;
use std::ops::Range;

use lol_html::html_content::{ContentType, Element, TextChunk};
use lol_html::{RewriteStrSettings, element, rewrite_str, text};

use crate::refs::{RefKind, Reference, line_of};

type Callback<'a> = dyn FnMut(&Reference) -> Option<String> + 'a;

/// Finds every reference in a page. `Err` carries lol_html's message.
pub fn scan(src: &str) -> Result<Vec<Reference>, String> {
    let mut refs = Vec::new();
    let mut record = |r: &Reference| {
        refs.push(r.clone());
        None
    };
    process(src, &mut record)?;
    Ok(refs)
}

/// Writes the page with each reference replaced where `new_url` returns a value.
pub fn rewrite(
    src: &str,
    mut new_url: impl FnMut(&Reference) -> Option<String>,
) -> Result<String, String> {
    process(src, &mut new_url)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ScriptType {
    Js,
    ImportMap,
    Other,
}

struct State<'s, 'c> {
    src: &'s str,
    new_url: &'c mut Callback<'c>,
    script: ScriptType,
    text: String,
    text_start: Option<usize>,
}

impl State<'_, '_> {
    fn call(&mut self, url: &str, kind: RefKind, line: u32) -> Option<String> {
        (self.new_url)(&Reference {
            url: url.to_string(),
            kind,
            line,
            span: None,
        })
    }
}

fn process<'c>(src: &str, new_url: &'c mut Callback<'c>) -> Result<String, String> {
    let state = RefCell::new(State {
        src,
        new_url,
        script: ScriptType::Js,
        text: String::new(),
        text_start: None,
    });
    let settings = RewriteStrSettings::new()
        .append_element_content_handler(element!("*", |el| {
            attributes(el, &mut state.borrow_mut());
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
        .append_element_content_handler(text!("script", |chunk| {
            let mut s = state.borrow_mut();
            match s.script {
                ScriptType::Js => inline_text(chunk, &mut s, Inline::Js),
                ScriptType::ImportMap => inline_text(chunk, &mut s, Inline::ImportMap),
                ScriptType::Other => {}
            }
            Ok(())
        }));
    rewrite_str(src, settings).map_err(|e| e.to_string())
}

/// Buffers a `<style>` or `<script>` body (lol_html hands it over in chunks) and, at its end,
/// writes it back rewritten.
#[derive(Clone, Copy)]
enum Inline {
    Css,
    Js,
    ImportMap,
}

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
    let first_line = line_of(state.src, start) - 1;
    let new_body = {
        let mut shifted = |r: &Reference| {
            let mut r = r.clone();
            r.line += first_line;
            (state.new_url)(&r)
        };
        match inline {
            Inline::Css => crate::css::rewrite(&body, false, &mut shifted),
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

fn attributes(el: &mut Element, state: &mut State) {
    let tag = el.tag_name();
    let line = line_of(state.src, el.source_location().bytes().start);
    let mut edits: Vec<(String, String)> = Vec::new();
    for attr in el.attributes() {
        let name = attr.name();
        let Some(kind) = attribute_kind(el, &tag, &name) else {
            continue;
        };
        let value = attr.value();
        let new_value = match kind {
            AttrKind::Url(kind) => state.call(&value, kind, line),
            AttrKind::Srcset => rewrite_srcset(&value, |url| state.call(url, RefKind::Asset, line)),
            AttrKind::Style => crate::css::rewrite_declarations(&value, false, |r| {
                let mut r = r.clone();
                r.line = line;
                (state.new_url)(&r)
            }),
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
        ("script", "src") => Url(RefKind::Script),
        ("link", "href") => Url(link_kind(el)),
        ("img" | "source" | "video" | "audio" | "track" | "embed" | "input", "src") => {
            Url(RefKind::Asset)
        }
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
        let refs = scan(page).unwrap();
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
                ("/img/bg.png", RefKind::Asset, 7),
                ("/assets/app.js", RefKind::Import, 8),
                ("a.jpg", RefKind::Asset, 10),
                ("a-320.jpg", RefKind::Asset, 10),
                ("a-640.jpg", RefKind::Asset, 10),
                ("b.png", RefKind::Asset, 11),
                ("/about.html", RefKind::Navigation, 12),
            ]
        );
    }

    #[test]
    fn rewrite_keeps_everything_else() {
        let page = r#"<img class="x" src="a.jpg" srcset="a.jpg 1x, b.jpg 2x" alt="A &amp; B"><script>import('./c.js')</script>"#;
        let out = rewrite(page, |r| {
            Some(r.url.replace(".jpg", ".h.jpg").replace(".js", ".h.js"))
        })
        .unwrap();
        assert_eq!(
            out,
            r#"<img class="x" src="a.h.jpg" srcset="a.h.jpg 1x, b.h.jpg 2x" alt="A &amp; B"><script>import('./c.h.js')</script>"#
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
