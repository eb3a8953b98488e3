//! Inlining a page's critical CSS (lol_html, streaming): the `<style>` goes where the first
//! inlined stylesheet was, and the stylesheets load without blocking the first render.
//!
//! What distill adds is marked `data-distill-critical`, so building distill's output again
//! (with other settings) takes the earlier critical CSS out instead of stacking a second one.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use lol_html::html_content::{ContentType, Element};
use lol_html::{DocumentContentHandlers, RewriteStrSettings, element, rewrite_str, text};

use super::escape;

/// The attribute that marks what distill added.
pub const MARK: &str = "data-distill-critical";

/// The attribute of the copies of `<style>` blocks distill adds after moved stylesheets.
const COPY: &str = "data-distill-copy";

/// How the full stylesheets load once the critical CSS is inline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Strategy {
    /// `<link rel=preload as=style>` where the stylesheet was, the `<link rel=stylesheet>` moved
    /// to the end of `<body>` (no script: works under a strict Content-Security-Policy).
    #[default]
    Body,
    /// `media="print"` swapped to `all` by an `onload` handler, with a `<noscript>` fallback.
    Media,
}

/// One element that styles the page, in document order (outside `<noscript>` and
/// `<template>`; distill's own earlier critical CSS left out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Styling {
    /// `<link rel=stylesheet>`.
    Link(Link),
    /// A `<style>` block: the copy of it that goes after stylesheets moved before it (the
    /// [`Strategy::Body`] keeps its rules overriding theirs).
    Style { copy: String },
    /// A stylesheet link distill cannot inline (no `href`).
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub href: String,
    pub media: Option<String>,
    /// The start tag as the author wrote it (distill's media swap undone).
    tag: String,
    /// `<link rel=preload as=style>` for it.
    preload: String,
    /// Before `<body>`.
    in_head: bool,
}

/// What styles a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Styles {
    pub elements: Vec<Styling>,
    /// Critical CSS from an earlier run is there (it is replaced in place).
    earlier: bool,
}

/// What styles a page, in the order that decides the cascade.
pub fn styling(src: &str) -> Result<Styles, String> {
    let found = RefCell::new(Vec::new());
    let earlier = Cell::new(false);
    let hidden = Rc::new(Cell::new(0usize));
    let in_body = Cell::new(false);
    // The `<style>` whose text is being read (the last element found).
    let reading = Cell::new(false);
    let settings = RewriteStrSettings::new()
        .append_element_content_handler(element!("noscript, template", |el| {
            hide(el, &hidden);
            Ok(())
        }))
        .append_element_content_handler(element!("body", |_| {
            in_body.set(true);
            Ok(())
        }))
        .append_element_content_handler(element!("link, style", |el| {
            reading.set(false);
            if hidden.get() > 0 {
                return Ok(());
            }
            if el.has_attribute(MARK) && el.tag_name() == "style" {
                earlier.set(true);
                return Ok(());
            }
            if let Some(styling) = classify(el, !in_body.get()) {
                reading.set(matches!(styling, Styling::Style { .. }));
                found.borrow_mut().push(styling);
            }
            Ok(())
        }))
        .append_element_content_handler(text!("style", |chunk| {
            if reading.get()
                && let Some(Styling::Style { copy }) = found.borrow_mut().last_mut()
            {
                copy.push_str(chunk.as_str());
                if chunk.last_in_text_node() {
                    copy.push_str("</style>");
                    reading.set(false);
                }
            }
            Ok(())
        }));
    rewrite_str(src, settings).map_err(|e| e.to_string())?;
    let mut elements = found.into_inner();
    for element in &mut elements {
        // An empty block has no text to end it.
        if let Styling::Style { copy } = element
            && !copy.ends_with("</style>")
        {
            copy.push_str("</style>");
        }
    }
    Ok(Styles {
        elements,
        earlier: earlier.get(),
    })
}

fn classify(el: &Element, in_head: bool) -> Option<Styling> {
    if el.tag_name() == "style" {
        let mut copy = format!("<style {COPY}");
        for attribute in el.attributes().iter().filter(|a| a.name() != COPY) {
            copy.push_str(&format!(
                " {}=\"{}\"",
                attribute.name(),
                escape(&attribute.value())
            ));
        }
        copy.push('>');
        return Some(Styling::Style { copy });
    }
    let rel = el
        .get_attribute("rel")
        .unwrap_or_default()
        .to_ascii_lowercase();
    let rel: Vec<&str> = rel.split_ascii_whitespace().collect();
    // Alternate and disabled sheets do not apply; preloads are not stylesheets.
    if !rel.contains(&"stylesheet") || rel.contains(&"alternate") || el.has_attribute("disabled") {
        return None;
    }
    let Some(href) = el.get_attribute("href") else {
        return Some(Styling::Other);
    };
    // A link distill deferred with the media strategy applies to all media.
    let ours = el.has_attribute(MARK);
    let media = if ours {
        None
    } else {
        el.get_attribute("media")
    };
    let mut tag = String::from("<link");
    let mut preload = String::from("<link rel=\"preload\" as=\"style\"");
    for attribute in el.attributes() {
        let name = attribute.name();
        if name == MARK || ours && (name == "media" || name == "onload") {
            continue;
        }
        let value = attribute.value();
        let written = if value.is_empty() {
            format!(" {name}")
        } else {
            format!(" {name}=\"{}\"", escape(&value))
        };
        tag.push_str(&written);
        if matches!(
            name.as_str(),
            "href" | "crossorigin" | "integrity" | "referrerpolicy"
        ) {
            preload.push_str(&written);
        }
    }
    tag.push('>');
    preload.push_str(&format!(" {MARK}>"));
    Some(Styling::Link(Link {
        href,
        media,
        tag,
        preload,
        in_head,
    }))
}

fn hide(el: &mut Element, hidden: &Rc<Cell<usize>>) {
    if !el.can_have_content() {
        return;
    }
    hidden.set(hidden.get() + 1);
    let hidden = Rc::clone(hidden);
    if let Some(handlers) = el.end_tag_handlers() {
        let handler: lol_html::EndTagHandler<'static> = Box::new(move |_| {
            hidden.set(hidden.get().saturating_sub(1));
            Ok(())
        });
        handlers.push(handler);
    }
}

/// The change to make to one page.
pub struct Edit<'a> {
    pub css: &'a str,
    /// What [`styling`] found in the page.
    pub styles: &'a Styles,
    /// Per element of `styles`: whether it is one of the stylesheets the CSS stands for.
    pub inlined: &'a [bool],
    /// `woff2` URLs to preload.
    pub fonts: &'a [String],
    pub strategy: Strategy,
}

/// The page with its critical CSS inline and the inlined stylesheets loading without blocking
/// render (earlier critical CSS from distill taken out first). What goes in `<head>` (font
/// preloads, the `<style>`, stylesheet preloads) goes where an earlier run put it, else just
/// before the first inlined stylesheet when that is in the head, else just before `<body>`.
pub fn inline(src: &str, edit: &Edit) -> Result<String, String> {
    let links: Vec<Option<&Link>> = edit
        .styles
        .elements
        .iter()
        .zip(edit.inlined)
        .map(|(s, &inlined)| match s {
            Styling::Link(link) if inlined => Some(link),
            _ => None,
        })
        .collect();
    let mut block = String::new();
    for font in edit.fonts {
        block.push_str(&format!(
            "<link rel=\"preload\" as=\"font\" type=\"font/woff2\" crossorigin href=\"{}\" {MARK}>",
            escape(font)
        ));
    }
    block.push_str(&format!("<style {MARK}>{}</style>", edit.css));
    let mut moved = String::new();
    if edit.strategy == Strategy::Body {
        let first = links
            .iter()
            .position(Option::is_some)
            .unwrap_or(links.len());
        for (element, link) in edit.styles.elements.iter().zip(&links).skip(first) {
            match (element, link) {
                (_, Some(link)) => {
                    block.push_str(&link.preload);
                    moved.push_str(&link.tag);
                }
                (Styling::Style { copy }, None) => moved.push_str(copy),
                _ => {}
            }
        }
    }
    let first_in_head = links.iter().flatten().next().is_some_and(|l| l.in_head);
    let block = RefCell::new(Some(block));
    let place = |at: &mut dyn FnMut(&str)| {
        if let Some(block) = block.borrow_mut().take() {
            at(&block);
        }
    };
    let hidden = Rc::new(Cell::new(0usize));
    let next = Cell::new(0usize);
    let moved = Rc::new(moved);
    let body_closed = Rc::new(Cell::new(false));
    let settings = RewriteStrSettings::new()
        .append_element_content_handler(element!("[data-distill-critical]", |el| {
            let tag = el.tag_name();
            if tag == "style" && edit.styles.earlier {
                place(&mut |b| el.before(b, ContentType::Html));
            }
            let ours = tag == "style"
                || tag == "noscript"
                || (tag == "link"
                    && el
                        .get_attribute("rel")
                        .is_some_and(|r| r.eq_ignore_ascii_case("preload")));
            if ours {
                el.remove();
            } else {
                // A stylesheet deferred with the media strategy: back to what it was.
                el.remove_attribute("media");
                el.remove_attribute("onload");
                el.remove_attribute(MARK);
            }
            Ok(())
        }))
        .append_element_content_handler(element!("noscript, template", |el| {
            hide(el, &hidden);
            Ok(())
        }))
        .append_element_content_handler(element!("link, style", |el| {
            if hidden.get() > 0 || el.removed() || classify(el, true).is_none() {
                return Ok(());
            }
            let k = next.get();
            next.set(k + 1);
            if el.has_attribute(COPY) {
                // An earlier run's copy: the body strategy makes it again after the sheets it
                // moves; otherwise it stays, still after the sheet an earlier run moved.
                if edit.strategy == Strategy::Body {
                    el.remove();
                }
                return Ok(());
            }
            let Some(Some(link)) = links.get(k) else {
                return Ok(());
            };
            if first_in_head {
                place(&mut |b| el.before(b, ContentType::Html));
            }
            match edit.strategy {
                Strategy::Body => el.remove(),
                Strategy::Media => {
                    el.set_attribute("media", "print")
                        .map_err(|e| e.to_string())?;
                    el.set_attribute("onload", "this.media='all'")
                        .map_err(|e| e.to_string())?;
                    el.set_attribute(MARK, "").map_err(|e| e.to_string())?;
                    el.after(
                        &format!("<noscript {MARK}>{}</noscript>", link.tag),
                        ContentType::Html,
                    );
                }
            }
            Ok(())
        }))
        .append_element_content_handler(element!("body", |el| {
            place(&mut |b| el.before(b, ContentType::Html));
            if let Some(handlers) = el.end_tag_handlers() {
                let moved = Rc::clone(&moved);
                let body_closed = Rc::clone(&body_closed);
                let handler: lol_html::EndTagHandler<'static> = Box::new(move |end| {
                    end.before(&moved, ContentType::Html);
                    body_closed.set(true);
                    Ok(())
                });
                handlers.push(handler);
            }
            Ok(())
        }))
        .append_document_content_handler(DocumentContentHandlers::default().end(
            |end: &mut lol_html::html_content::DocumentEnd| {
                let mut rest = block.borrow_mut().take().unwrap_or_default();
                if !body_closed.get() {
                    rest.push_str(&moved);
                }
                end.append(&rest, ContentType::Html);
                Ok(())
            },
        ));
    rewrite_str(src, settings).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = "<!doctype html><html><head><title>t</title>\
        <link rel=stylesheet href=\"css/a.css\" crossorigin>\
        <link rel=\"alternate stylesheet\" href=\"css/dark.css\">\
        <noscript><link rel=stylesheet href=\"css/ns.css\"></noscript>\
        <link rel=stylesheet href=\"css/print.css\" media=print>\
        </head><body><p>hi</p><script src=app.js></script></body></html>";

    fn hrefs(styles: &Styles) -> Vec<(String, Option<String>)> {
        styles
            .elements
            .iter()
            .map(|s| match s {
                Styling::Link(l) => (l.href.clone(), l.media.clone()),
                Styling::Style { .. } => ("<style>".into(), None),
                Styling::Other => ("<link>".into(), None),
            })
            .collect()
    }

    #[test]
    fn finds_what_styles_the_page() {
        let found = styling(PAGE).unwrap();
        assert_eq!(
            hrefs(&found),
            vec![
                ("css/a.css".into(), None),
                ("css/print.css".into(), Some("print".into())),
            ]
        );
    }

    /// Inlines "p{color:red}" for css/a.css wherever it is.
    fn edit(src: &str, strategy: Strategy) -> String {
        let styles = styling(src).unwrap();
        let inlined: Vec<bool> = hrefs(&styles)
            .iter()
            .map(|(h, _)| h == "css/a.css")
            .collect();
        inline(
            src,
            &Edit {
                css: "p{color:red}",
                styles: &styles,
                inlined: &inlined,
                fonts: &["fonts/a.woff2".to_string()],
                strategy,
            },
        )
        .unwrap()
    }

    #[test]
    fn body_strategy_moves_the_sheet_to_the_end() {
        let out = edit(PAGE, Strategy::Body);
        assert!(
            out.contains(
                "<title>t</title><link rel=\"preload\" as=\"font\" type=\"font/woff2\" crossorigin href=\"fonts/a.woff2\" data-distill-critical>\
                 <style data-distill-critical>p{color:red}</style>\
                 <link rel=\"preload\" as=\"style\" href=\"css/a.css\" crossorigin data-distill-critical>\
                 <link rel=\"alternate stylesheet\""
            ),
            "{out}"
        );
        assert!(
            out.ends_with("<script src=app.js></script><link rel=\"stylesheet\" href=\"css/a.css\" crossorigin></body></html>"),
            "{out}"
        );
        assert!(
            out.contains("<link rel=stylesheet href=\"css/print.css\" media=print>"),
            "{out}"
        );
        // Built again: the same page, not a second copy.
        assert_eq!(edit(&out, Strategy::Body), out);
    }

    #[test]
    fn media_strategy_swaps_on_load() {
        let out = edit(PAGE, Strategy::Media);
        assert!(
            out.contains(
                "<style data-distill-critical>p{color:red}</style>\
                 <link rel=stylesheet href=\"css/a.css\" crossorigin media=\"print\" onload=\"this.media='all'\" data-distill-critical=\"\">\
                 <noscript data-distill-critical><link rel=\"stylesheet\" href=\"css/a.css\" crossorigin></noscript>"
            ),
            "{out}"
        );
        assert_eq!(
            hrefs(&styling(&out).unwrap()),
            hrefs(&styling(PAGE).unwrap())
        );
        assert_eq!(edit(&out, Strategy::Media), out);
        // Switching strategy on distill's output undoes the media swap.
        let body = edit(&out, Strategy::Body);
        assert_eq!(body, edit(PAGE, Strategy::Body));
    }

    #[test]
    fn style_blocks_after_a_moved_sheet_are_copied_after_it() {
        let page = "<head><style>p{a:0}</style><link rel=stylesheet href=css/a.css>\
            <style media=screen>p{b:1}</style></head><body><p>x</p><style></style></body>";
        let out = edit(page, Strategy::Body);
        assert!(
            out.ends_with(
                "<p>x</p><style></style><link rel=\"stylesheet\" href=\"css/a.css\">\
                 <style data-distill-copy media=\"screen\">p{b:1}</style>\
                 <style data-distill-copy></style></body>"
            ),
            "{out}"
        );
        // The first block came before the sheet: not copied; the others stay in place too.
        assert_eq!(out.matches("p{a:0}").count(), 1, "{out}");
        assert!(
            out.contains("<style media=screen>p{b:1}</style></head>"),
            "{out}"
        );
        assert_eq!(edit(&out, Strategy::Body), out);
        // The media strategy on that output leaves the moved sheet where it is, so the copies
        // stay after it.
        let media = edit(&out, Strategy::Media);
        assert!(
            media.ends_with(
                "<link rel=\"stylesheet\" href=\"css/a.css\" media=\"print\" onload=\"this.media='all'\" data-distill-critical=\"\">\
                 <noscript data-distill-critical><link rel=\"stylesheet\" href=\"css/a.css\"></noscript>\
                 <style data-distill-copy media=\"screen\">p{b:1}</style><style data-distill-copy></style></body>"
            ),
            "{media}"
        );
    }

    #[test]
    fn without_a_head_or_body_end() {
        let out = edit("<link rel=stylesheet href=css/a.css><p>x", Strategy::Body);
        assert_eq!(
            out,
            "<link rel=\"preload\" as=\"font\" type=\"font/woff2\" crossorigin href=\"fonts/a.woff2\" data-distill-critical>\
             <style data-distill-critical>p{color:red}</style>\
             <link rel=\"preload\" as=\"style\" href=\"css/a.css\" data-distill-critical><p>x\
             <link rel=\"stylesheet\" href=\"css/a.css\">"
        );
    }
}
