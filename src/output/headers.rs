//! `_headers` (Netlify and Cloudflare Pages syntax): long-lived immutable caching for hashed
//! files, revalidation for HTML and kept names.
//!
//! Rules are kept few, because Cloudflare Pages reads at most 100: a folder whose every file is
//! hashed gets one splat rule (`/assets/*`). No two of our rules match the same path, because
//! both hosts combine the values of every matching rule. A `_headers` that already exists is
//! merged: the user's rules stay as written, ours go in a delimited block that each build
//! replaces, and a path the user already gives a Cache-Control keeps theirs.

use std::collections::{BTreeMap, BTreeSet};

use crate::config::HeaderSettings;

pub const FILE: &str = "_headers";
const BEGIN: &str =
    "# distill: begin generated cache rules (replaced on every build; add your own rules above)";
const END: &str = "# distill: end";

/// One served file.
pub struct Served<'a> {
    pub path: &'a str,
    pub hashed: bool,
    pub html: bool,
    /// With `[headers] csp`: the page's `Content-Security-Policy`.
    pub csp: Option<&'a str>,
}

pub struct Generated {
    pub text: String,
    /// Paths left to the host default because of `max_rules`.
    pub omitted: usize,
}

pub fn generate(
    existing: Option<&str>,
    files: &[Served],
    base: &str,
    settings: &HeaderSettings,
) -> Generated {
    let user = existing.map(strip_block).unwrap_or_default();
    let user_rules = parse_rules(&user);
    let user_cache_paths: BTreeSet<&str> = user_rules
        .iter()
        .filter(|(_, headers)| {
            headers
                .iter()
                .any(|h| h.eq_ignore_ascii_case("cache-control"))
        })
        .map(|(path, _)| path.as_str())
        .collect();

    let immutable = immutable_rules(files, base);
    let revalidate = revalidate_rules(files, base);
    let policies: BTreeMap<String, &str> = files
        .iter()
        .filter_map(|f| Some((f, f.csp?)))
        .flat_map(|(f, csp)| page_urls(f.path, base).into_iter().map(move |u| (u, csp)))
        .collect();
    let mut budget = settings.max_rules.saturating_sub(user_rules.len());
    let mut block = String::new();
    let mut omitted = 0;
    for (rules, value) in [
        (&immutable, &settings.immutable),
        (&revalidate, &settings.revalidate),
    ] {
        for path in rules {
            let csp = policies.get(path.as_str());
            let cache = !user_cache_paths.contains(path.as_str());
            if !cache && csp.is_none() {
                continue;
            }
            if budget == 0 {
                omitted += 1;
                continue;
            }
            budget -= 1;
            block.push_str(path);
            block.push('\n');
            if cache {
                block.push_str(&format!("  Cache-Control: {value}\n"));
            }
            if let Some(csp) = csp {
                block.push_str(&format!("  Content-Security-Policy: {csp}\n"));
            }
        }
    }
    if omitted > 0 {
        block.push_str(&format!(
            "# {omitted} more path(s) left to the host default (over [headers] max_rules = {})\n",
            settings.max_rules
        ));
    }
    let mut text = user.trim_end().to_string();
    if !text.is_empty() {
        text.push_str("\n\n");
    }
    text.push_str(BEGIN);
    text.push('\n');
    text.push_str(&block);
    text.push_str(END);
    text.push('\n');
    Generated { text, omitted }
}

/// The user's part of an existing file: everything outside our block.
fn strip_block(text: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for line in text.lines() {
        if line.trim_end() == BEGIN {
            inside = true;
        } else if inside && line.trim_end() == END {
            inside = false;
        } else if !inside {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// (path pattern, header names) for each rule of a `_headers` file.
fn parse_rules(text: &str) -> Vec<(String, Vec<String>)> {
    let mut rules: Vec<(String, Vec<String>)> = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if line.starts_with(char::is_whitespace) {
            if let (Some(rule), Some((name, _))) = (rules.last_mut(), trimmed.split_once(':')) {
                rule.1
                    .push(name.trim().trim_start_matches("! ").to_string());
            }
        } else {
            rules.push((trimmed.to_string(), Vec::new()));
        }
    }
    rules
}

/// Per folder: does its whole subtree hold only hashed files?
fn all_hashed_folders(files: &[Served]) -> BTreeMap<String, bool> {
    let mut folders: BTreeMap<String, bool> = BTreeMap::new();
    for file in files {
        let mut dir = file.path;
        while let Some((parent, _)) = dir.rsplit_once('/') {
            let entry = folders.entry(parent.to_string()).or_insert(true);
            *entry &= file.hashed;
            dir = parent;
        }
        let root = folders.entry(String::new()).or_insert(true);
        *root &= file.hashed;
    }
    folders
}

fn immutable_rules(files: &[Served], base: &str) -> Vec<String> {
    let folders = all_hashed_folders(files);
    // The top-most all-hashed folder above a path, if any (never the root: HTML lives there).
    let covering = |path: &str| -> Option<String> {
        let mut best = None;
        let mut dir = path;
        while let Some((parent, _)) = dir.rsplit_once('/') {
            if folders.get(parent) == Some(&true) {
                best = Some(parent.to_string());
            }
            dir = parent;
        }
        best
    };
    let mut rules = BTreeSet::new();
    for file in files.iter().filter(|f| f.hashed) {
        match covering(file.path) {
            Some(folder) => rules.insert(format!("{base}{folder}/*")),
            None => rules.insert(format!("{base}{}", file.path)),
        };
    }
    rules.into_iter().collect()
}

fn revalidate_rules(files: &[Served], base: &str) -> Vec<String> {
    let mut rules = BTreeSet::new();
    for file in files.iter().filter(|f| !f.hashed) {
        if file.html {
            rules.extend(page_urls(file.path, base));
        } else {
            rules.insert(format!("{base}{}", file.path));
        }
    }
    rules.into_iter().collect()
}

/// The URLs a page is served at: `/blog/` for `blog/index.html`; `/about` and `/about.html`
/// for `about.html` (both hosts serve it at both).
fn page_urls(path: &str, base: &str) -> Vec<String> {
    let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
    let dir = if dir.is_empty() {
        String::new()
    } else {
        format!("{dir}/")
    };
    if name == "index.html" {
        vec![format!("{base}{dir}")]
    } else if let Some(stem) = name.strip_suffix(".html") {
        vec![format!("{base}{dir}{stem}"), format!("{base}{path}")]
    } else {
        vec![format!("{base}{path}")]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(max_rules: usize) -> HeaderSettings {
        HeaderSettings {
            enabled: true,
            immutable: "immutable".into(),
            revalidate: "revalidate".into(),
            max_rules,
            csp: false,
        }
    }

    fn served() -> Vec<Served<'static>> {
        vec![
            Served {
                path: "index.html",
                hashed: false,
                html: true,
                csp: None,
            },
            Served {
                path: "about.html",
                hashed: false,
                html: true,
                csp: None,
            },
            Served {
                path: "robots.txt",
                hashed: false,
                html: false,
                csp: None,
            },
            Served {
                path: "assets/app.1.js",
                hashed: true,
                html: false,
                csp: None,
            },
            Served {
                path: "assets/img/a.2.png",
                hashed: true,
                html: false,
                csp: None,
            },
            Served {
                path: "logo.3.svg",
                hashed: true,
                html: false,
                csp: None,
            },
            Served {
                path: "blog/index.html",
                hashed: false,
                html: true,
                csp: None,
            },
            Served {
                path: "blog/hero.4.jpg",
                hashed: true,
                html: false,
                csp: None,
            },
        ]
    }

    #[test]
    fn splats_for_all_hashed_folders() {
        let g = generate(None, &served(), "/", &settings(100));
        assert_eq!(
            g.text,
            format!(
                "{BEGIN}\n/assets/*\n  Cache-Control: immutable\n/blog/hero.4.jpg\n  Cache-Control: immutable\n/logo.3.svg\n  Cache-Control: immutable\n/\n  Cache-Control: revalidate\n/about\n  Cache-Control: revalidate\n/about.html\n  Cache-Control: revalidate\n/blog/\n  Cache-Control: revalidate\n/robots.txt\n  Cache-Control: revalidate\n{END}\n"
            )
        );
    }

    #[test]
    fn merges_with_user_rules_and_is_stable() {
        let existing = "/*\n  X-Frame-Options: DENY\n/about\n  Cache-Control: no-store\n";
        let first = generate(Some(existing), &served(), "/", &settings(100));
        assert!(first.text.starts_with(existing));
        assert!(!first.text.contains("/about\n  Cache-Control: revalidate"));
        let second = generate(Some(&first.text), &served(), "/", &settings(100));
        assert_eq!(first.text, second.text);
    }

    #[test]
    fn respects_max_rules() {
        let g = generate(None, &served(), "/app/", &settings(4));
        assert_eq!(g.omitted, 4);
        assert!(g.text.contains("/app/assets/*"));
        assert_eq!(g.text.matches("Cache-Control").count(), 4);
    }
}
