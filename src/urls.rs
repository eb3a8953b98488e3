//! Reference URLs: resolving what a file wrote (`../img/a.png?v=1#x`, `/app/assets/x.js`) to a
//! site path, and writing the renamed URL back in the same form.
//!
//! Renaming never moves a file to another folder, so a rewrite only has to replace the last
//! path segment; relative, root-absolute and base-prefixed forms all survive unchanged.

use std::ops::Range;

/// Where a reference points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A path inside the site (may or may not exist).
    Site {
        path: String,
        /// Byte range of the file name (last segment) inside the URL text.
        name: Range<usize>,
    },
    /// A relative path that climbs above the root (`../../x`).
    OutsideRoot,
    /// Not ours: external URL, `data:`, `mailto:`, a fragment, a path outside `[hash] base`.
    Elsewhere,
}

/// Where the site is served from.
#[derive(Debug, Clone)]
pub struct Site<'a> {
    /// Public path prefix, starting and ending with `/`.
    pub base: &'a str,
    /// Optional origin whose absolute URLs are this site's own.
    pub origin: Option<&'a str>,
}

/// Resolves `url`, written in the file at site path `from`.
pub fn resolve(url: &str, from: &str, site: &Site) -> Target {
    let trimmed_start = url.len() - url.trim_start().len();
    let url_trim = url.trim();
    if url_trim.is_empty() || url_trim.starts_with('#') || url_trim.starts_with('?') {
        return Target::Elsewhere;
    }
    // Strip our own origin, so `https://example.com/og.png` is treated as `/og.png`.
    let (offset, rest) = match site.origin.and_then(|o| url_trim.strip_prefix(o)) {
        Some(rest) if rest.starts_with('/') => (trimmed_start + url_trim.len() - rest.len(), rest),
        _ => {
            if has_scheme(url_trim) || url_trim.starts_with("//") {
                return Target::Elsewhere;
            }
            (trimmed_start, url_trim)
        }
    };
    let path_end = rest.find(['?', '#']).unwrap_or(rest.len());
    let path_text = &rest[..path_end];
    if path_text.is_empty() || path_text.contains('\\') {
        return Target::Elsewhere;
    }
    let name_start = path_text.rfind('/').map_or(0, |i| i + 1);
    let name = offset + name_start..offset + path_end;

    let joined = if let Some(abs) = path_text.strip_prefix('/') {
        match ("/".to_string() + abs).strip_prefix(site.base) {
            Some(under_base) => under_base.to_string(),
            None if path_text.len() + 1 == site.base.len() && site.base.starts_with(path_text) => {
                String::new()
            }
            None => return Target::Elsewhere,
        }
    } else {
        let dir = match from.rfind('/') {
            Some(i) => &from[..=i],
            None => "",
        };
        format!("{dir}{path_text}")
    };
    let decoded = percent_decode(&joined);
    match normalize(&decoded) {
        Some(path) => Target::Site { path, name },
        None => Target::OutsideRoot,
    }
}

/// `scheme:` per RFC 3986: a letter, then letters, digits, `+`, `-`, `.`, then `:`.
pub(crate) fn has_scheme(url: &str) -> bool {
    let Some(colon) = url.find(':') else {
        return false;
    };
    let scheme = &url[..colon];
    let mut chars = scheme.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// Collapses `.` and `..`; `None` when the path climbs above the root.
fn normalize(path: &str) -> Option<String> {
    let mut out: Vec<&str> = Vec::new();
    let trailing_slash = path.ends_with('/');
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                out.pop()?;
            }
            s => out.push(s),
        }
    }
    let mut joined = out.join("/");
    if trailing_slash && !joined.is_empty() {
        joined.push('/');
    }
    Some(joined)
}

/// Decodes `%XX` escapes; leaves malformed escapes as they are. Hand-written because the
/// only other need for a URL crate here is this one function.
pub fn percent_decode(text: &str) -> String {
    if !text.contains('%') {
        return text.to_string();
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| text.to_string())
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// Replaces the file name at `name` in `url` with `new_name`.
pub fn replace_name(url: &str, name: &Range<usize>, new_name: &str) -> String {
    format!("{}{}{}", &url[..name.start], new_name, &url[name.end..])
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOT: Site = Site {
        base: "/",
        origin: None,
    };

    fn path(url: &str, from: &str, site: &Site) -> Option<String> {
        match resolve(url, from, site) {
            Target::Site { path, .. } => Some(path),
            _ => None,
        }
    }

    #[test]
    fn relative_and_absolute() {
        assert_eq!(path("app.js", "index.html", &ROOT).unwrap(), "app.js");
        assert_eq!(path("./a/b.js", "x/y.js", &ROOT).unwrap(), "x/a/b.js");
        assert_eq!(
            path("../img/a.png?v=1#z", "css/s.css", &ROOT).unwrap(),
            "img/a.png"
        );
        assert_eq!(
            path("/assets/x.js", "deep/p/index.html", &ROOT).unwrap(),
            "assets/x.js"
        );
        assert_eq!(
            path("my%20file.png", "index.html", &ROOT).unwrap(),
            "my file.png"
        );
        assert_eq!(resolve("../../x.png", "a.css", &ROOT), Target::OutsideRoot);
    }

    #[test]
    fn elsewhere() {
        for url in [
            "https://cdn.example/x.js",
            "//cdn.example/x.js",
            "data:image/png;base64,AAAA",
            "mailto:a@b.c",
            "#top",
            "",
            "javascript:void(0)",
        ] {
            assert_eq!(
                resolve(url, "index.html", &ROOT),
                Target::Elsewhere,
                "{url}"
            );
        }
    }

    #[test]
    fn base_and_origin() {
        let site = Site {
            base: "/app/",
            origin: Some("https://example.com"),
        };
        assert_eq!(
            path("/app/assets/x.js", "index.html", &site).unwrap(),
            "assets/x.js"
        );
        assert_eq!(
            resolve("/other/x.js", "index.html", &site),
            Target::Elsewhere
        );
        assert_eq!(
            path("https://example.com/app/og.png", "index.html", &site).unwrap(),
            "og.png"
        );
        assert_eq!(
            resolve("https://other.com/app/og.png", "index.html", &site),
            Target::Elsewhere
        );
    }

    #[test]
    fn name_range_is_last_segment() {
        let url = "../img/a.png?v=1";
        let Target::Site { name, .. } = resolve(url, "css/s.css", &ROOT) else {
            panic!()
        };
        assert_eq!(&url[name.clone()], "a.png");
        assert_eq!(
            replace_name(url, &name, "a.123.png"),
            "../img/a.123.png?v=1"
        );
    }
}
