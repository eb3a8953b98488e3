//! Integrity: digests that describe another file's bytes, made true again once those bytes are
//! final.
//!
//! In: the plan and the final names and texts (after hash & rewrite and critical CSS). Out: the
//! same texts, with
//! - every `integrity` attribute of a `<script>` or `<link>` (Hugo's fingerprints, Angular's and
//!   webpack-subresource-integrity's SRI), and every value of an import map's `integrity`,
//!   recomputed with the same algorithms when the file it describes changed: a stale digest
//!   makes the browser refuse the file;
//! - the `revision` of every `{url, revision}` entry of a service worker's precache list
//!   (Workbox) recomputed as the MD5 of the final bytes, as Workbox computes it, so the worker
//!   fetches again a page whose bytes distill changed. Only in files that keep their names
//!   (`sw.js`): a content-hashed file's name is already final.
//!
//! Pages first, then service workers: a worker may precache a page.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::BTreeMap;

use base64::Engine;
use lol_html::{RewriteStrSettings, element, rewrite_str, text};
use rayon::prelude::*;
use sha2::Digest;

use crate::discover::{Content, Kind};
use crate::hash::Hashed;
use crate::plan::{Naming, Plan};
use crate::urls::{self, Site, Target};

/// Updates the digests in `hashed.contents`.
pub fn run(plan: &Plan, hashed: &mut Hashed, site: &Site) {
    let index: BTreeMap<String, usize> = hashed
        .paths
        .iter()
        .enumerate()
        .map(|(i, p)| (p.clone(), i))
        .collect();
    for pass in [Kind::Html, Kind::Js] {
        let finals = Finals {
            plan,
            hashed,
            index: &index,
            site,
        };
        let updated: Vec<(usize, String)> = (0..plan.files.len())
            .into_par_iter()
            .filter(|&i| {
                let file = &plan.files[i];
                file.source.kind == pass && !file.frozen && !file.source.refused
            })
            .filter_map(|i| {
                let text = finals.text(i)?;
                match pass {
                    Kind::Html if text.contains("integrity") => finals.page(i, text),
                    Kind::Js if text.contains("revision") => {
                        if plan.files[i].naming != Naming::Keep {
                            return None;
                        }
                        finals.worker(i, text)
                    }
                    _ => None,
                }
                .map(|new| (i, new))
            })
            .collect();
        for (i, new) in updated {
            hashed.contents[i] = Some(new);
        }
    }
}

/// The final names and bytes, looked up by URL.
struct Finals<'a> {
    plan: &'a Plan,
    hashed: &'a Hashed,
    index: &'a BTreeMap<String, usize>,
    site: &'a Site<'a>,
}

impl Finals<'_> {
    fn text(&self, i: usize) -> Option<&str> {
        self.hashed.contents[i]
            .as_deref()
            .or_else(|| self.plan.files[i].text())
    }

    /// The file `url`, written in the file now at `from`, names.
    fn target(&self, url: &str, from: &str) -> Option<usize> {
        let Target::Site { path, .. } = urls::resolve(url, from, self.site) else {
            return None;
        };
        let path = if path.is_empty() || path.ends_with('/') {
            format!("{path}index.html")
        } else {
            path
        };
        self.index.get(&path).copied()
    }

    /// The bytes file `t` will have.
    fn bytes(&self, t: usize) -> Option<Cow<'_, [u8]>> {
        if let Some(text) = &self.hashed.contents[t] {
            return Some(Cow::Borrowed(text.as_bytes()));
        }
        let source = &self.plan.files[t].source;
        match &source.content {
            Content::Text(text) => Some(Cow::Borrowed(text.as_bytes())),
            Content::Binary { .. } => std::fs::read(&source.disk).ok().map(Cow::Owned),
        }
    }

    /// Page `i` with its integrity attributes and import map digests made true, if any was not.
    fn page(&self, i: usize, text: &str) -> Option<String> {
        let from = &self.hashed.paths[i];
        let changed = RefCell::new(false);
        let importmap = RefCell::new(false);
        let buffer = RefCell::new(String::new());
        let settings = RewriteStrSettings::new()
            .append_element_content_handler(element!("script[integrity], link[integrity]", |el| {
                let url = el.get_attribute("src").or_else(|| el.get_attribute("href"));
                let value = el.get_attribute("integrity").unwrap_or_default();
                let fresh = url
                    .and_then(|u| self.target(&u, from))
                    .and_then(|t| self.sri(t, &value));
                if let Some(fresh) = fresh.filter(|f| *f != value) {
                    el.set_attribute("integrity", &fresh)?;
                    *changed.borrow_mut() = true;
                }
                Ok(())
            }))
            .append_element_content_handler(element!("script", |el| {
                let kind = el.get_attribute("type").unwrap_or_default();
                *importmap.borrow_mut() = kind.trim().eq_ignore_ascii_case("importmap");
                Ok(())
            }))
            .append_element_content_handler(text!("script", |chunk| {
                if !*importmap.borrow() {
                    return Ok(());
                }
                buffer.borrow_mut().push_str(chunk.as_str());
                if !chunk.last_in_text_node() {
                    chunk.remove();
                    return Ok(());
                }
                let body = std::mem::take(&mut *buffer.borrow_mut());
                match self.import_map(&body, from) {
                    Some(new) => {
                        chunk.replace(&new, lol_html::html_content::ContentType::Html);
                        *changed.borrow_mut() = true;
                    }
                    None => chunk.replace(&body, lol_html::html_content::ContentType::Html),
                }
                Ok(())
            }));
        let out = rewrite_str(text, settings).ok()?;
        changed.into_inner().then_some(out)
    }

    /// An import map with its `integrity` values recomputed, if one was stale.
    fn import_map(&self, body: &str, from: &str) -> Option<String> {
        if !body.contains("integrity") {
            return None;
        }
        let mut doc: serde_json::Value = serde_json::from_str(body).ok()?;
        let map = doc.get_mut("integrity")?.as_object_mut()?;
        let mut changed = false;
        for (url, value) in map.iter_mut() {
            let Some(old) = value.as_str() else { continue };
            let fresh = self.target(url, from).and_then(|t| self.sri(t, old));
            if let Some(fresh) = fresh.filter(|f| f != old) {
                *value = serde_json::Value::String(fresh);
                changed = true;
            }
        }
        if !changed {
            return None;
        }
        let mut text = if body.trim().contains('\n') {
            serde_json::to_string_pretty(&doc).ok()?
        } else {
            serde_json::to_string(&doc).ok()?
        };
        if body.ends_with('\n') {
            text.push('\n');
        }
        Some(text)
    }

    /// `value` (`sha384-… sha512-…`) recomputed over file `t`'s final bytes, algorithm by
    /// algorithm; tokens of unknown algorithms stay as they are.
    fn sri(&self, t: usize, value: &str) -> Option<String> {
        let bytes = self.bytes(t)?;
        let b64 = |digest: &[u8]| base64::engine::general_purpose::STANDARD.encode(digest);
        let tokens: Vec<String> = value
            .split_ascii_whitespace()
            .map(|token| {
                let (algorithm, rest) = token.split_once('-').unwrap_or((token, ""));
                // Options after `?` (none are defined yet) are kept.
                let options = rest.find('?').map_or("", |q| &rest[q..]);
                let digest = match algorithm.to_ascii_lowercase().as_str() {
                    "sha256" => b64(&sha2::Sha256::digest(&bytes)),
                    "sha384" => b64(&sha2::Sha384::digest(&bytes)),
                    "sha512" => b64(&sha2::Sha512::digest(&bytes)),
                    _ => return token.to_string(),
                };
                format!("{algorithm}-{digest}{options}")
            })
            .collect();
        Some(tokens.join(" "))
    }

    /// Service worker `i` with each precache entry's revision made the MD5 of the final bytes
    /// of the file its URL names, if one was not.
    fn worker(&self, i: usize, text: &str) -> Option<String> {
        let from = &self.hashed.paths[i];
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        for entry in crate::js::precache_entries(text) {
            let Some(t) = self.target(&entry.url, from) else {
                continue;
            };
            let Some(bytes) = self.bytes(t) else { continue };
            let fresh = format!("{:x}", md5::Md5::digest(&bytes));
            if fresh != entry.revision {
                out.push_str(&text[last..entry.span.start]);
                out.push_str(&fresh);
                last = entry.span.end;
            }
        }
        if last == 0 {
            return None;
        }
        out.push_str(&text[last..]);
        Some(out)
    }
}
