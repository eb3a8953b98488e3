//! Rewrite: produce a file's final text once the names of what it references are known.
//!
//! In: a planned file and the final names decided so far. Out: the new text, or `None` when
//! nothing in it changes. The scanners' walk is replayed in the same order, so the k-th URL
//! the walk meets is the k-th link of the plan.

use crate::html::Picture;
use crate::image::VariantFormat;
use crate::plan::{Body, Link, Plan};
use crate::refs::Reference;
use crate::urls;

/// The final text of file `i`, given each file's final name (`None`: not renamed).
pub fn file(plan: &Plan, i: usize, names: &[Option<String>]) -> Option<String> {
    let file = &plan.files[i];
    let text = file.text()?;
    let links = &file.links;
    let mut next = 0usize;
    let mut new_url = |r: &Reference| -> Option<String> {
        let link = links.get(next)?;
        next += 1;
        if link.reference.url != r.url {
            return None;
        }
        renamed_url(plan, link, names)
    };
    match file.body {
        Body::Opaque | Body::Css { parsed: false } => None,
        Body::Js => {
            if !links.iter().any(|l| renamed_url(plan, l, names).is_some()) {
                return None;
            }
            let refs: Vec<Reference> = links.iter().map(|l| l.reference.clone()).collect();
            Some(crate::js::rewrite(text, &refs, new_url))
        }
        Body::Css { parsed: true } => {
            let sets = |final_url: &str| image_set_by_url(plan, links, names, final_url);
            let sets = plan
                .images_enabled
                .then_some(&sets as crate::css::ImageSets);
            let out = crate::css::rewrite_sheet(
                text,
                plan.css_style,
                &mut new_url,
                sets,
                plan.purge.as_deref(),
            )?;
            (out != text).then_some(out)
        }
        Body::Json(schema) => crate::json::rewrite(text, schema, &mut new_url)
            .ok()
            .flatten(),
        Body::Html => {
            let options = crate::html::Options {
                images: plan.images_enabled,
                sizes: &plan.sizes,
                lcp_selector: None,
                css: plan.css_style,
                inert: false,
            };
            let preload = file
                .lcp
                .as_ref()
                .filter(|lcp| lcp.convertible)
                .and_then(|lcp| {
                    let picture = picture(plan, links.get(lcp.reference)?, names)?;
                    Some((
                        picture,
                        lcp.sizes.clone().unwrap_or_else(|| plan.sizes.clone()),
                    ))
                });
            let mut cursor = Cursor {
                plan,
                links,
                names,
                next: 0,
                last: None,
            };
            let preload = preload.as_ref().map(|(p, sizes)| (p, sizes.as_str()));
            let out = crate::html::rewrite(text, &options, &mut cursor, preload).ok()?;
            (out != text).then_some(out)
        }
    }
}

/// Walks a page's links in step with the HTML rewrite.
struct Cursor<'a> {
    plan: &'a Plan,
    links: &'a [Link],
    names: &'a [Option<String>],
    next: usize,
    last: Option<&'a Link>,
}

impl crate::html::Resolve for Cursor<'_> {
    fn url(&mut self, r: &Reference) -> Option<String> {
        let link = self.links.get(self.next);
        self.next += 1;
        self.last = link.filter(|l| l.reference.url == r.url);
        renamed_url(self.plan, self.last?, self.names)
    }

    fn picture(&mut self) -> Option<Picture> {
        picture(self.plan, self.last?, self.names)
    }
    fn image_set(&self, final_url: &str) -> Option<Vec<(String, &'static str)>> {
        image_set_by_url(self.plan, self.links, self.names, final_url)
    }
}

/// The URL of `file` (the link's target or one of its variants, all in one folder) written
/// the way the link wrote its target's.
fn url_in_link(plan: &Plan, link: &Link, names: &[Option<String>], file: usize) -> Option<String> {
    let target = link.target?;
    let name = names[file]
        .clone()
        .unwrap_or_else(|| plan.files[file].name().to_string());
    let written = &link.reference.url[link.name.clone()];
    let spelled = spell(written, plan.files[target].name(), &name);
    Some(urls::replace_name(
        &link.reference.url,
        &link.name,
        &spelled,
    ))
}

/// The largest width a CSS background's `image-set()` offers (the layout width is unknown).
const BACKGROUND_WIDTH: u32 = 1920;

/// [`image_set`] for the link of `links` whose URL is now `final_url` (CSS rewrites find the
/// candidates after every `url()` has its final text).
fn image_set_by_url(
    plan: &Plan,
    links: &[Link],
    names: &[Option<String>],
    final_url: &str,
) -> Option<Vec<(String, &'static str)>> {
    links.iter().find_map(|l| {
        let url = renamed_url(plan, l, names).unwrap_or_else(|| l.reference.url.clone());
        if url == final_url {
            image_set(plan, l, names)
        } else {
            None
        }
    })
}

/// `image-set()` candidates for a CSS background whose `url()` is `link`: the AVIF and WebP
/// variants of the largest width up to 1920 px, then the original.
fn image_set(
    plan: &Plan,
    link: &Link,
    names: &[Option<String>],
) -> Option<Vec<(String, &'static str)>> {
    let target = link.target?;
    let facts = plan.files[target].image.as_ref()?;
    let mut set = Vec::new();
    for format in [VariantFormat::Avif, VariantFormat::Webp] {
        let best = facts
            .variants
            .iter()
            .filter(|v| v.format == format && v.width <= BACKGROUND_WIDTH)
            .max_by_key(|v| v.width);
        if let Some(v) = best {
            set.push((url_in_link(plan, link, names, v.file)?, format.mime()));
        }
    }
    if set.is_empty() {
        return None;
    }
    let own = crate::image::format_of_extension(crate::discover::extension(
        &plan.files[target].source.path,
    ))?;
    set.push((url_in_link(plan, link, names, target)?, own.mime()));
    Some(set)
}

/// The `<picture>` for an `<img>` whose `src` is `link`, when its target has variants.
fn picture(plan: &Plan, link: &Link, names: &[Option<String>]) -> Option<Picture> {
    let target = link.target?;
    let facts = plan.files[target].image.as_ref()?;
    if facts.variants.is_empty() {
        return None;
    }
    let url_of = |file: usize| url_in_link(plan, link, names, file).unwrap_or_default();
    let srcset = |format: VariantFormat| -> Vec<(u32, String)> {
        let mut set: Vec<(u32, String)> = facts
            .variants
            .iter()
            .filter(|v| v.format == format)
            .map(|v| (v.width, url_of(v.file)))
            .collect();
        if facts.original_in == Some(format) {
            set.push((facts.width, url_of(target)));
        }
        set.sort_by_key(|(w, _)| *w);
        set
    };
    let join = |set: &[(u32, String)]| {
        set.iter()
            .map(|(w, url)| format!("{url} {w}w"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let sources = [VariantFormat::Avif, VariantFormat::Webp]
        .into_iter()
        .filter(|&f| f != facts.fallback)
        .map(|f| (f.mime(), join(&srcset(f))))
        .filter(|(_, s)| !s.is_empty())
        .collect();
    let fallback = srcset(facts.fallback);
    let src = fallback.last()?.1.clone();
    Some(Picture {
        sources,
        srcset: join(&fallback),
        src,
        width: facts.width,
        height: facts.height,
    })
}

/// The link's URL with the target's new file name, when the target was renamed.
fn renamed_url(plan: &Plan, link: &Link, names: &[Option<String>]) -> Option<String> {
    let target = link.target?;
    let new_name = names[target].as_deref()?;
    let old_name = plan.files[target].name();
    if new_name == old_name {
        return None;
    }
    let url = &link.reference.url;
    let replacement = spell(&url[link.name.clone()], old_name, new_name);
    Some(urls::replace_name(url, &link.name, &replacement))
}

/// `new_name` spelled as the URL spelled `old_name`: as is, or percent-encoded when the URL
/// used escapes (`my%20photo.jpg`).
fn spell(written: &str, old_name: &str, new_name: &str) -> String {
    if written == old_name {
        new_name.to_string()
    } else {
        percent_encode(new_name)
    }
}

fn percent_encode(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
