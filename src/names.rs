//! File names: extensions and the content hashes bundlers put in names. A leaf of the crate
//! (imports nothing of it), shared by planning, hashing, images and budgets.

/// `app.js.map` -> (`app`, `.js.map`); `app.css` -> (`app`, `.css`); `LICENSE` -> (`LICENSE`, ``).
pub fn split_extension(name: &str) -> (&str, &str) {
    let Some(dot) = name.rfind('.').filter(|&i| i > 0) else {
        return (name, "");
    };
    let (stem, ext) = name.split_at(dot);
    if ext == ".map" {
        let (inner_stem, inner_ext) = split_extension(stem);
        if matches!(inner_ext, ".js" | ".mjs" | ".cjs" | ".css") {
            return (inner_stem, &name[inner_stem.len()..]);
        }
    }
    (stem, ext)
}

/// Removes a trailing bundler hash: webpack/Parcel/Hugo/ours `name.3f9a1c2e` (8 to 128 hex
/// digits after a dot), Rollup/Vite/esbuild `name-BkD3c1xS` and SvelteKit/Astro
/// `name.BkD3c1xS` (8 base64url characters after a dash or a dot, with a digit or capital, as
/// random hashes almost always have).
pub fn strip_bundler_hash(stem: &str) -> &str {
    if let Some(dot) = stem.rfind('.').filter(|&i| i > 0) {
        let tail = &stem[dot + 1..];
        if (8..=128).contains(&tail.len()) && tail.bytes().all(|b| b.is_ascii_hexdigit()) {
            let lower = tail.bytes().all(|b| !b.is_ascii_uppercase());
            if lower {
                return &stem[..dot];
            }
        }
        if base64url_hash(tail) {
            return &stem[..dot];
        }
    }
    if stem.len() > 9 && stem.is_char_boundary(stem.len() - 9) {
        let (head, tail) = stem.split_at(stem.len() - 9);
        if tail.starts_with('-') && base64url_hash(&tail[1..]) && !head.is_empty() {
            return head;
        }
    }
    stem
}

/// 8 base64url characters with a digit or a capital and a letter: Rollup's and Vite's hashes.
fn base64url_hash(s: &str) -> bool {
    s.len() == 8
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        && s.bytes()
            .any(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
        && s.bytes().any(|b| b.is_ascii_alphabetic())
}

/// Whether the file name of `path` ends its stem with `.{hash}` (`app.3f9a1c2e.js`): the name
/// distill gives a file whose bytes hash to `hash`.
pub fn carries_hash(path: &str, hash: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let (stem, _) = split_extension(name);
    stem.strip_suffix(hash)
        .is_some_and(|head| head.ends_with('.') && head.len() > 1)
}

/// The parts of a file name that look like a content hash some bundler put there, wherever
/// they sit: `594.2e883cdd.chunk.js` (webpack, CRA) -> `2e883cdd`; `index-BkD3c1xS.js` (Vite)
/// -> `BkD3c1xS`; `framework-64ad27b21261a9ce.js` (Next) -> `64ad27b21261a9ce`;
/// `DzCJd5_T.js` (SvelteKit, Nuxt) -> `DzCJd5_T`; `Counter.BZ1Fk3xI.js` (Astro) ->
/// `BZ1Fk3xI`; `chunk-ABCD1234.js` (esbuild, Angular) -> `ABCD1234`.
///
/// Broad on purpose: these decide what distill must not change (a name that carries a hash
/// may be cached forever by whoever serves it) and which tokens a runtime may use to build
/// the name; a word taken for a hash only makes distill more careful.
pub fn hash_tokens(name: &str) -> Vec<&str> {
    let (stem, _) = split_extension(name);
    let mut out = Vec::new();
    // The first of several segments is the readable name (`PhotoCredits.lLQpBuuy.css`).
    let skip = usize::from(stem.contains('.'));
    for segment in stem.split('.').skip(skip) {
        let tail = segment.rsplit_once('-').map_or("", |(_, t)| t);
        if looks_like_hash(tail) {
            out.push(tail);
        } else if looks_like_hash(segment) {
            out.push(segment);
        }
    }
    out
}

/// 8 to 128 characters of lowercase hex with a digit and a letter, or of base64url with a
/// digit or a capital and a letter (a random 8-character base64url string has one of those
/// with probability 0.9996).
fn looks_like_hash(s: &str) -> bool {
    if !(8..=128).contains(&s.len())
        || !s
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return false;
    }
    let digit = s.bytes().any(|b| b.is_ascii_digit());
    let lower = s.bytes().any(|b| b.is_ascii_lowercase());
    let upper = s.bytes().any(|b| b.is_ascii_uppercase());
    let hex = s
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if hex {
        return digit && lower;
    }
    // Two kinds of character at least, one of them a capital or a digit: not a word
    // (`component`), not a constant (`README`), not a number (`20240101`).
    (upper && (lower || digit)) || (digit && lower)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_of_every_bundler() {
        assert_eq!(hash_tokens("594.2e883cdd.chunk.js"), ["2e883cdd"]);
        assert_eq!(hash_tokens("index-BkD3c1xS.js"), ["BkD3c1xS"]);
        assert_eq!(
            hash_tokens("framework-64ad27b21261a9ce.js"),
            ["64ad27b21261a9ce"]
        );
        assert_eq!(hash_tokens("DzCJd5_T.js"), ["DzCJd5_T"]);
        assert_eq!(hash_tokens("Counter.BZ1Fk3xI.js"), ["BZ1Fk3xI"]);
        assert_eq!(hash_tokens("chunk-ABCD1234.js"), ["ABCD1234"]);
        assert_eq!(hash_tokens("app.3f9a1c2e.js.map"), ["3f9a1c2e"]);
        assert_eq!(hash_tokens("workbox-2fbc6a65.js"), ["2fbc6a65"]);
        assert!(hash_tokens("my-component.js").is_empty());
        assert!(hash_tokens("date-picker.js").is_empty());
        // Broad: Turbopack's `441l1hjh-cmqa` and a plain `icon-192x192` look alike; taking the
        // icon for a hashed name only makes distill keep its bytes when it keeps its name.
        assert_eq!(hash_tokens("441l1hjh-cmqa.js"), ["441l1hjh-cmqa"]);
        assert_eq!(hash_tokens("1zizi3bl0bnd-.js"), ["1zizi3bl0bnd-"]);
        assert!(hash_tokens("README.md").is_empty());
        assert!(hash_tokens("20240101.json").is_empty());
        assert!(hash_tokens("deadbeef.js").is_empty());
        assert_eq!(hash_tokens("PhotoCredits.lLQpBuuy.css"), ["lLQpBuuy"]);
        assert_eq!(hash_tokens("error-404.DpKY_dMl.css"), ["DpKY_dMl"]);
    }
}
