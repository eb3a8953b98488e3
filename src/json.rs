//! JSON files that name other files: the web app manifest (`icons[].src`,
//! `screenshots[].src`, `shortcuts[].icons[].src`), import maps (`imports`, `scopes`), Vite's
//! build manifest (`file`, `css[]`, `assets[]`, paths from the output root) and webpack's
//! (webpack-manifest-plugin: Create React App's `asset-manifest.json` with `files` and
//! `entrypoints`, or a flat `{"main.js": "/static/js/main.1a2b3c4d.js"}`). Backend integrations
//! (Laravel, Rails, Django) read the build manifests to write script tags, so they must name
//! the new files.
//!
//! One walk serves scanning and rewriting, like the other formats. A rewritten document is
//! printed again by serde_json (keys in the author's order; indented when the original spanned
//! several lines, on one line otherwise).

use serde_json::Value;

use crate::refs::{RefKind, Reference};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schema {
    WebManifest,
    ImportMap,
    ViteManifest,
    /// webpack-manifest-plugin: `files` (name -> URL) and `entrypoints` (paths), as Create
    /// React App writes `asset-manifest.json`; or the plugin's default, one flat name -> URL map.
    WebpackManifest,
}

/// Which schema a `manifest.json`, `asset-manifest.json` or `*.webmanifest` follows, judged by
/// its content: Vite's maps chunk names to objects with a `file`; webpack's maps names to URL
/// strings (flat, or under `files`); anything else is taken as a web app manifest.
pub fn detect(src: &str) -> Option<Schema> {
    let doc: Value = serde_json::from_str(src).ok()?;
    let map = doc.as_object()?;
    let vite = !map.is_empty()
        && map
            .values()
            .all(|v| v.get("file").is_some_and(Value::is_string));
    let strings = |v: &Value| {
        v.as_object()
            .is_some_and(|m| !m.is_empty() && m.values().all(Value::is_string))
    };
    let webpack = strings(&doc) && !map.contains_key("name") && !map.contains_key("short_name")
        || map.get("files").is_some_and(strings)
            && map
                .keys()
                .all(|k| matches!(k.as_str(), "files" | "entrypoints"));
    Some(if vite {
        Schema::ViteManifest
    } else if webpack {
        Schema::WebpackManifest
    } else {
        Schema::WebManifest
    })
}

pub fn scan(src: &str, schema: Schema) -> Result<Vec<Reference>, String> {
    let mut refs = Vec::new();
    process(src, schema, &mut |r| {
        refs.push(r.clone());
        None
    })?;
    Ok(refs)
}

/// `Ok(None)` when nothing changed.
pub fn rewrite(
    src: &str,
    schema: Schema,
    mut new_url: impl FnMut(&Reference) -> Option<String>,
) -> Result<Option<String>, String> {
    process(src, schema, &mut new_url)
}

fn process(
    src: &str,
    schema: Schema,
    new_url: &mut dyn FnMut(&Reference) -> Option<String>,
) -> Result<Option<String>, String> {
    let mut doc: Value = serde_json::from_str(src).map_err(|e| e.to_string())?;
    let mut changed = false;
    let mut visit = |value: &mut Value, kind: RefKind| {
        if let Value::String(url) = value {
            let reference = Reference {
                url: url.clone(),
                kind,
                line: 1,
                span: None,
            };
            if let Some(new) = new_url(&reference) {
                *url = new;
                changed = true;
            }
        }
    };
    match schema {
        Schema::WebManifest => {
            for key in ["icons", "screenshots"] {
                for item in array(&mut doc, key) {
                    if let Some(src) = item.get_mut("src") {
                        visit(src, RefKind::Asset);
                    }
                }
            }
            for shortcut in array(&mut doc, "shortcuts") {
                for icon in array(shortcut, "icons") {
                    if let Some(src) = icon.get_mut("src") {
                        visit(src, RefKind::Asset);
                    }
                }
            }
        }
        Schema::ViteManifest => {
            if let Value::Object(chunks) = &mut doc {
                for chunk in chunks.values_mut() {
                    if let Some(file) = chunk.get_mut("file") {
                        visit(file, RefKind::Literal);
                    }
                    for key in ["css", "assets"] {
                        for item in array(chunk, key) {
                            visit(item, RefKind::Literal);
                        }
                    }
                }
            }
        }
        Schema::WebpackManifest => {
            let files = match doc.get("files") {
                Some(_) => doc.get_mut("files"),
                None => Some(&mut doc),
            };
            if let Some(Value::Object(files)) = files {
                for url in files.values_mut() {
                    visit(url, RefKind::Literal);
                }
            }
            for item in array(&mut doc, "entrypoints") {
                visit(item, RefKind::Literal);
            }
        }
        Schema::ImportMap => {
            if let Some(Value::Object(imports)) = doc.get_mut("imports") {
                for value in imports.values_mut() {
                    visit(value, RefKind::Import);
                }
            }
            if let Some(Value::Object(scopes)) = doc.get_mut("scopes") {
                for scope in scopes.values_mut() {
                    if let Value::Object(map) = scope {
                        for value in map.values_mut() {
                            visit(value, RefKind::Import);
                        }
                    }
                }
            }
        }
    }
    if !changed {
        return Ok(None);
    }
    // Keep a one-line document (an inline import map) on one line.
    let mut text = if src.trim().contains('\n') {
        serde_json::to_string_pretty(&doc)
    } else {
        serde_json::to_string(&doc)
    }
    .map_err(|e| e.to_string())?;
    if src.ends_with('\n') {
        text.push('\n');
    }
    Ok(Some(text))
}

fn array<'a>(doc: &'a mut Value, key: &str) -> impl Iterator<Item = &'a mut Value> {
    doc.get_mut(key)
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn web_manifest_icons() {
        let src = r#"{"name": "X", "icons": [{"src": "/icon-192.png", "sizes": "192x192"}],
            "shortcuts": [{"name": "a", "url": "/a", "icons": [{"src": "a.png"}]}]}"#;
        let refs = scan(src, Schema::WebManifest).unwrap();
        let urls: Vec<_> = refs.iter().map(|r| r.url.as_str()).collect();
        assert_eq!(urls, vec!["/icon-192.png", "a.png"]);
        let out = rewrite(src, Schema::WebManifest, |r| {
            Some(r.url.replace(".png", ".1.png"))
        })
        .unwrap()
        .unwrap();
        assert!(out.find("\"name\"").unwrap() < out.find("\"icons\"").unwrap());
        assert!(out.contains("/icon-192.1.png"));
    }

    #[test]
    fn vite_manifest() {
        let src = r#"{"src/main.js": {"file": "assets/index-X1.js", "src": "src/main.js", "isEntry": true, "css": ["assets/index-Y2.css"], "imports": ["_shared"]}}"#;
        assert_eq!(detect(src), Some(Schema::ViteManifest));
        assert_eq!(
            detect(r#"{"name": "x", "icons": []}"#),
            Some(Schema::WebManifest)
        );
        let urls: Vec<_> = scan(src, Schema::ViteManifest)
            .unwrap()
            .into_iter()
            .map(|r| r.url)
            .collect();
        assert_eq!(urls, vec!["assets/index-X1.js", "assets/index-Y2.css"]);
    }

    #[test]
    fn webpack_manifests() {
        let cra = r#"{"files": {"main.js": "/static/js/main.1a2b3c4d.js", "index.html": "/index.html"}, "entrypoints": ["static/js/main.1a2b3c4d.js"]}"#;
        assert_eq!(detect(cra), Some(Schema::WebpackManifest));
        let urls: Vec<_> = scan(cra, Schema::WebpackManifest)
            .unwrap()
            .into_iter()
            .map(|r| r.url)
            .collect();
        assert_eq!(
            urls,
            [
                "/static/js/main.1a2b3c4d.js",
                "/index.html",
                "static/js/main.1a2b3c4d.js"
            ]
        );
        let flat = r#"{"main.js": "/main.1a2b3c4d.js", "main.css": "/main.5e6f7a8b.css"}"#;
        assert_eq!(detect(flat), Some(Schema::WebpackManifest));
        assert_eq!(scan(flat, Schema::WebpackManifest).unwrap().len(), 2);
        // A web app manifest of strings only is still one.
        assert_eq!(
            detect(r#"{"name": "x", "start_url": "/"}"#),
            Some(Schema::WebManifest)
        );
    }

    #[test]
    fn import_map() {
        let src = r#"{"imports": {"app": "/assets/app.js"}, "scopes": {"/x/": {"y": "./y.js"}}}"#;
        let refs = scan(src, Schema::ImportMap).unwrap();
        assert_eq!(refs.len(), 2);
    }
}
