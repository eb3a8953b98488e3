//! Configuration: the `distill.toml` schema, the command-line overrides, and the resolved
//! [`Settings`] every later stage reads.
//!
//! Precedence is flags > file > defaults (ruff's Options -> Settings split). The file is parsed
//! with `deny_unknown_fields`, so a misspelled key is an error naming the key and the file.

use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::Deserialize;

use crate::diag::Error;

/// Names that must keep their URL: crawlers, browsers and hosts ask for them by name.
pub const DEFAULT_KEEP_NAMES: &[&str] = &[
    "robots.txt",
    "favicon.ico",
    "**/sw.js",
    "**/service-worker.js",
    "**/*.webmanifest",
    "**/manifest.json",
    ".well-known/**",
    "_headers",
    "_redirects",
    "_routes.json",
    "**/sitemap*.xml",
    "**/*.txt",
    "CNAME",
    "**/browserconfig.xml",
];

/// The config file as written by the user. Every field is optional: `None` means "use the
/// default", which lets flags and defaults layer cleanly.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    #[serde(default)]
    pub hash: HashSection,
    #[serde(default)]
    pub output: OutputSection,
    #[serde(default)]
    pub headers: HeadersSection,
    #[serde(default)]
    pub css: CssSection,
    #[serde(default)]
    pub images: ImagesSection,
    #[serde(default)]
    pub budgets: BudgetsSection,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HashSection {
    pub enabled: Option<bool>,
    pub length: Option<usize>,
    pub keep_names: Option<Vec<String>>,
    pub default_keep_names: Option<bool>,
    pub base: Option<String>,
    pub origin: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputSection {
    pub precompress: Option<Vec<Encoding>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeadersSection {
    pub enabled: Option<bool>,
    pub immutable: Option<String>,
    pub revalidate: Option<String>,
    pub max_rules: Option<usize>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CssSection {
    pub minify: Option<bool>,
}

/// Reserved for the image pipeline; it has no keys yet, so any key is reported as unknown.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImagesSection {}

/// Reserved for budgets; it has no keys yet, so any key is reported as unknown.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BudgetsSection {}

/// A precompression format for `[output] precompress`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
pub enum Encoding {
    #[serde(rename = "br")]
    Brotli,
    #[serde(rename = "gzip")]
    Gzip,
}

impl Encoding {
    pub fn extension(self) -> &'static str {
        match self {
            Encoding::Brotli => "br",
            Encoding::Gzip => "gz",
        }
    }
}

/// What the command line can override; `None` leaves the file's or the default value.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub config: Option<PathBuf>,
    pub out: Option<PathBuf>,
    pub cache_dir: Option<PathBuf>,
    pub jobs: Option<usize>,
    pub strict: bool,
}

/// Resolved settings: every value decided, ready for the stages.
#[derive(Debug, Clone)]
pub struct Settings {
    pub root: PathBuf,
    pub out: Option<PathBuf>,
    pub cache_dir: PathBuf,
    pub jobs: Option<usize>,
    pub strict: bool,
    pub hash: HashSettings,
    pub precompress: Vec<Encoding>,
    pub headers: HeaderSettings,
    pub css_minify: bool,
    /// The config file that was read, if any (for messages).
    pub config_file: Option<PathBuf>,
    /// A stable digest of everything above that changes the output (not paths or jobs).
    pub digest: String,
}

#[derive(Debug, Clone)]
pub struct HashSettings {
    pub enabled: bool,
    pub length: usize,
    pub keep: GlobSet,
    pub keep_patterns: Vec<String>,
    /// Public path prefix, always starting and ending with `/`.
    pub base: String,
    /// Optional origin (`https://example.com`) whose absolute URLs count as this site's.
    pub origin: Option<String>,
}

#[derive(Debug, Clone)]
pub struct HeaderSettings {
    pub enabled: bool,
    pub immutable: String,
    pub revalidate: String,
    pub max_rules: usize,
}

/// Reads the config (explicit path, or `distill.toml` in the working directory when present)
/// and layers the overrides on top.
pub fn load(root: &Path, overrides: &Overrides) -> Result<Settings, Error> {
    let (file, path) = match &overrides.config {
        Some(path) => (read_file(path)?, Some(path.clone())),
        None => {
            let default = PathBuf::from("distill.toml");
            if default.is_file() {
                (read_file(&default)?, Some(default))
            } else {
                (FileConfig::default(), None)
            }
        }
    };
    resolve(root, file, path, overrides)
}

/// Parses config text; `path` is only used in messages.
pub fn parse(text: &str, path: &Path) -> Result<FileConfig, Error> {
    toml::from_str(text).map_err(|e| Error::Config {
        path: path.to_path_buf(),
        message: e.to_string().trim_end().to_string(),
    })
}

fn read_file(path: &Path) -> Result<FileConfig, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    parse(&text, path)
}

fn config_error(path: &Option<PathBuf>, message: String) -> Error {
    Error::Config {
        path: path
            .clone()
            .unwrap_or_else(|| PathBuf::from("<command line>")),
        message,
    }
}

fn resolve(
    root: &Path,
    file: FileConfig,
    path: Option<PathBuf>,
    o: &Overrides,
) -> Result<Settings, Error> {
    let length = file.hash.length.unwrap_or(8);
    if !(8..=32).contains(&length) {
        return Err(config_error(
            &path,
            format!("[hash] length must be between 8 and 32, got {length}"),
        ));
    }
    let mut keep_patterns: Vec<String> = Vec::new();
    if file.hash.default_keep_names.unwrap_or(true) {
        keep_patterns.extend(DEFAULT_KEEP_NAMES.iter().map(|s| s.to_string()));
    }
    keep_patterns.extend(file.hash.keep_names.unwrap_or_default());
    let mut builder = GlobSetBuilder::new();
    for pattern in &keep_patterns {
        let glob = Glob::new(pattern).map_err(|e| {
            config_error(
                &path,
                format!("[hash] keep_names: bad glob {pattern:?}: {e}"),
            )
        })?;
        builder.add(glob);
    }
    let keep = builder
        .build()
        .map_err(|e| config_error(&path, format!("[hash] keep_names: {e}")))?;
    let base = normalize_base(file.hash.base.as_deref().unwrap_or("/"));
    let origin = match file.hash.origin {
        Some(o) if o.starts_with("https://") || o.starts_with("http://") => {
            Some(o.trim_end_matches('/').to_string())
        }
        Some(o) => {
            return Err(config_error(
                &path,
                format!("[hash] origin must start with https:// or http://, got {o:?}"),
            ));
        }
        None => None,
    };
    let mut precompress = file.output.precompress.unwrap_or_default();
    precompress.sort();
    precompress.dedup();
    let headers = HeaderSettings {
        enabled: file.headers.enabled.unwrap_or(true),
        immutable: file
            .headers
            .immutable
            .unwrap_or_else(|| "public, max-age=31536000, immutable".into()),
        revalidate: file
            .headers
            .revalidate
            .unwrap_or_else(|| "public, max-age=0, must-revalidate".into()),
        max_rules: file.headers.max_rules.unwrap_or(100),
    };
    let hash = HashSettings {
        enabled: file.hash.enabled.unwrap_or(true),
        length,
        keep,
        keep_patterns,
        base,
        origin,
    };
    let css_minify = file.css.minify.unwrap_or(true);
    let digest = settings_digest(&hash, &precompress, &headers, css_minify);
    Ok(Settings {
        root: root.to_path_buf(),
        out: o.out.clone(),
        cache_dir: o.cache_dir.clone().unwrap_or_else(default_cache_dir),
        jobs: o.jobs,
        strict: o.strict,
        hash,
        precompress,
        headers,
        css_minify,
        config_file: path,
        digest,
    })
}

/// `app` -> `/app/`, `` -> `/`.
fn normalize_base(base: &str) -> String {
    let trimmed = base.trim_matches('/');
    if trimmed.is_empty() {
        "/".to_string()
    } else {
        format!("/{trimmed}/")
    }
}

/// The image cache location: `node_modules/.cache/distill` beside a `node_modules`, as other
/// frontend tools do (babel-loader, eslint), otherwise `.distill-cache/`.
fn default_cache_dir() -> PathBuf {
    if Path::new("node_modules").is_dir() {
        PathBuf::from("node_modules/.cache/distill")
    } else {
        PathBuf::from(".distill-cache")
    }
}

fn settings_digest(
    hash: &HashSettings,
    precompress: &[Encoding],
    headers: &HeaderSettings,
    css_minify: bool,
) -> String {
    let text = format!(
        "distill {}\nhash {} {} {:?} {} {:?}\nprecompress {:?}\nheaders {} {:?} {:?} {}\ncss {}\n",
        env!("CARGO_PKG_VERSION"),
        hash.enabled,
        hash.length,
        hash.keep_patterns,
        hash.base,
        hash.origin,
        precompress,
        headers.enabled,
        headers.immutable,
        headers.revalidate,
        headers.max_rules,
        css_minify,
    );
    blake3::hash(text.as_bytes()).to_hex()[..16].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_key_names_key_and_file() {
        let err = parse("[hash]\nlenght = 8\n", Path::new("distill.toml")).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("lenght"), "{text}");
        assert!(text.contains("distill.toml"), "{text}");
    }

    #[test]
    fn base_is_normalized() {
        assert_eq!(normalize_base(""), "/");
        assert_eq!(normalize_base("/"), "/");
        assert_eq!(normalize_base("app"), "/app/");
        assert_eq!(normalize_base("/app/"), "/app/");
        assert_eq!(normalize_base("/a/b"), "/a/b/");
    }
}
