//! Rewrite: produce a file's final text once the names of what it references are known.
//!
//! In: a planned file and the final names decided so far. Out: the new text, or `None` when
//! nothing in it changes. The scanners' walk is replayed in the same order, so the k-th URL
//! the walk meets is the k-th link of the plan.

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
            let out = crate::css::rewrite(text, plan.css_minify, &mut new_url)?;
            (out != text).then_some(out)
        }
        Body::Json(schema) => crate::json::rewrite(text, schema, &mut new_url)
            .ok()
            .flatten(),
        Body::Html => {
            if !links.iter().any(|l| renamed_url(plan, l, names).is_some()) {
                return None;
            }
            let out = crate::html::rewrite(text, &mut new_url).ok()?;
            (out != text).then_some(out)
        }
    }
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
    let written = &url[link.name.clone()];
    let replacement = if written == old_name {
        new_name.to_string()
    } else {
        // The URL spelled the name with escapes (`my%20photo.jpg`): spell the new one likewise.
        percent_encode(new_name)
    };
    Some(urls::replace_name(url, &link.name, &replacement))
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
