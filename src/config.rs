//! Configuration: the `distill.toml` schema, the command-line overrides, and the resolved
//! [`Settings`] every later stage reads.
//!
//! Precedence is flags > file > defaults (ruff's Options -> Settings split). The file is parsed
//! with `deny_unknown_fields`, so a misspelled key is an error naming the key and the file.

use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::Deserialize;

use crate::diag::Error;
use crate::image::{ImageSettings, VariantFormat};

/// Names that must keep their URL: crawlers, browsers and hosts ask for them by name.
pub const DEFAULT_KEEP_NAMES: &[&str] = &[
    "robots.txt",
    "favicon.ico",
    "**/sw.js",
    "**/service-worker.js",
    "**/*.webmanifest",
    "**/manifest.json",
    "**/asset-manifest.json",
    ".well-known/**",
    "_headers",
    "_redirects",
    "_routes.json",
    "**/*.xml",
    "**/*.xsl",
    "**/*.txt",
    "CNAME",
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
    #[serde(default)]
    pub js: JsSection,
}

#[derive(Debug, Default, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct JsSection {
    pub minify: Option<MinifySetting>,
}

/// `[js] minify = "auto" | true | false`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum MinifySetting {
    Bool(bool),
    Word(String),
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
    pub csp: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CssSection {
    pub minify: Option<bool>,
    pub purge: Option<bool>,
    pub safelist: Option<SafelistSpec>,
    pub keyframes: Option<bool>,
    pub font_face: Option<bool>,
    pub variables: Option<bool>,
    pub targets: Option<Targets>,
    pub critical: Option<bool>,
    pub critical_strategy: Option<String>,
    pub critical_max_bytes: Option<SizeSetting>,
}

/// A size: bytes, or text such as `"14 kB"` or `"none"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum SizeSetting {
    Bytes(u64),
    Text(String),
}

/// `[css] safelist`: a list of names (`"is-open"`, `"/^modal-/"`), or PurgeCSS's
/// `{ standard = […], deep = […], greedy = […] }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum SafelistSpec {
    Names(Vec<String>),
    Kinds(SafelistKinds),
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SafelistKinds {
    #[serde(default)]
    pub standard: Vec<String>,
    #[serde(default)]
    pub deep: Vec<String>,
    #[serde(default)]
    pub greedy: Vec<String>,
}

/// `[css] targets`: a browserslist query, or a list of them.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Targets {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Default, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct ImagesSection {
    pub enabled: Option<bool>,
    pub widths: Option<Vec<u32>>,
    pub formats: Option<Vec<ModernFormat>>,
    pub sizes: Option<String>,
    pub min_bytes: Option<u64>,
    pub min_width: Option<u32>,
    pub max_pixels: Option<u64>,
    pub lcp_selector: Option<String>,
    #[serde(default)]
    pub avif: AvifSection,
    #[serde(default)]
    pub webp: QualitySection,
    #[serde(default)]
    pub jpeg: QualitySection,
    #[serde(default)]
    pub png: PngSection,
    #[serde(default)]
    pub rules: Vec<ImageRule>,
}

#[derive(Debug, Default, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct AvifSection {
    pub quality: Option<f32>,
    pub speed: Option<u8>,
}

#[derive(Debug, Default, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct QualitySection {
    pub quality: Option<f32>,
}

#[derive(Debug, Default, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct PngSection {
    pub level: Option<u8>,
}

/// `[[images.rules]]`: settings for the images whose path matches a glob; later rules win.
/// (It repeats the codec fields of [`ImagesSection`] rather than sharing them through
/// `#[serde(flatten)]`, which serde does not support together with `deny_unknown_fields`.)
#[derive(Debug, Default, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct ImageRule {
    #[serde(rename = "match")]
    pub pattern: String,
    pub enabled: Option<bool>,
    pub widths: Option<Vec<u32>>,
    pub formats: Option<Vec<ModernFormat>>,
    #[serde(default)]
    pub avif: AvifSection,
    #[serde(default)]
    pub webp: QualitySection,
    #[serde(default)]
    pub jpeg: QualitySection,
    #[serde(default)]
    pub png: PngSection,
}

/// The formats `[images] formats` may list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModernFormat {
    Avif,
    Webp,
}

/// `[budgets]`: size limits checked at the end of `build` and by `check` (resolved by
/// [`crate::budget::settings::resolve`]).
#[derive(Debug, Default, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct BudgetsSection {
    pub enabled: Option<bool>,
    pub compression: Option<crate::budget::settings::Compression>,
    pub main: Option<LimitSpec>,
    pub route: Option<LimitSpec>,
    pub images: Option<LimitSpec>,
    pub fonts: Option<LimitSpec>,
    pub max_increase: Option<LimitSpec>,
    #[serde(default)]
    pub pages: Vec<PageBudget>,
    #[serde(default)]
    pub files: Vec<FileBudget>,
    /// The windows page weights (images, fonts) are worked out for; default: Lighthouse's
    /// mobile and desktop.
    pub viewports: Option<Vec<ViewportSpec>>,
}

/// `[[budgets.viewports]]`: a reference browser window.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ViewportSpec {
    pub name: String,
    pub width: u32,
    pub height: u32,
    #[serde(default = "one")]
    pub dpr: f32,
    /// A touch screen without hover; default: width under 768 px.
    pub mobile: Option<bool>,
}

fn one() -> f32 {
    1.0
}

/// A limit: `"250 kB"` (a `max`), or `{ warn = "200 kB", max = "250 kB" }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum LimitSpec {
    Max(String),
    Levels {
        warn: Option<String>,
        max: Option<String>,
    },
}

/// `[[budgets.pages]]`: limits for the pages whose site path matches a glob.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageBudget {
    #[serde(rename = "match")]
    pub pattern: String,
    pub main: Option<LimitSpec>,
    pub route: Option<LimitSpec>,
    pub images: Option<LimitSpec>,
    pub fonts: Option<LimitSpec>,
    pub max_increase: Option<LimitSpec>,
}

/// `[[budgets.files]]`: a limit for each file whose name matches a glob.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileBudget {
    #[serde(rename = "match")]
    pub pattern: String,
    pub warn: Option<String>,
    pub max: Option<String>,
    pub max_increase: Option<LimitSpec>,
}

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
    /// `--no-budgets`.
    pub no_budgets: bool,
    /// `--baseline`: an earlier JSON report to compare with.
    pub baseline: Option<PathBuf>,
}

/// Resolved settings: every value decided, ready for the stages.
#[derive(Debug, Clone)]
pub struct Settings {
    pub root: PathBuf,
    pub images: ImagesConfig,
    pub out: Option<PathBuf>,
    pub cache_dir: PathBuf,
    pub jobs: Option<usize>,
    pub strict: bool,
    pub hash: HashSettings,
    pub precompress: Vec<Encoding>,
    /// How output files are measured (brotli quality 11 only when asked for).
    pub measure: crate::budget::Measure,
    pub headers: HeaderSettings,
    pub css_minify: bool,
    /// `[css] purge`: remove stylesheet rules no page or script can use.
    pub css_purge: bool,
    pub css_safelist: crate::css::purge::Safelist,
    pub css_purge_options: crate::css::purge::Options,
    /// The browsers CSS is printed for (`[css] targets`, else `browserslist` in package.json
    /// or `.browserslistrc`, else browserslist's `defaults`).
    pub css_browsers: Option<lightningcss::targets::Browsers>,
    /// `[css] critical`: inline each page's critical CSS (`None`: off).
    pub css_critical: Option<CriticalSettings>,
    pub js_minify: crate::js::minify::Mode,
    pub budgets: crate::budget::settings::BudgetSettings,
    pub baseline: Option<PathBuf>,
    /// The config file that was read, if any (for messages).
    pub config_file: Option<PathBuf>,
    /// A stable digest of everything above that changes the output (not paths or jobs).
    pub digest: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CriticalSettings {
    pub strategy: crate::html::critical::Strategy,
    /// Pages whose critical CSS is larger are left as they are (`None`: no limit).
    pub max_bytes: Option<u64>,
}

/// One round trip: TCP's initial congestion window (10 segments of ~1,460 bytes).
pub const CRITICAL_MAX_BYTES: u64 = 14_000;

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

impl HashSettings {
    /// Where the site is served, as the URL resolvers take it.
    pub fn site(&self) -> crate::urls::Site<'_> {
        crate::urls::Site {
            base: &self.base,
            origin: self.origin.as_deref(),
        }
    }
}

/// The resolved `[images]` section.
#[derive(Debug, Clone)]
pub struct ImagesConfig {
    pub enabled: bool,
    /// `sizes` for `<img>` without one of their own.
    pub sizes: String,
    pub min_bytes: u64,
    pub lcp_selector: Option<String>,
    base: ImageSettings,
    rules: Vec<(globset::GlobMatcher, ImageRule)>,
}

impl ImagesConfig {
    /// The settings for the image at `path`, `None` when images are off for it.
    pub fn for_path(&self, path: &str) -> Option<ImageSettings> {
        let mut settings = self.base.clone();
        let mut enabled = self.enabled;
        for (glob, rule) in &self.rules {
            if !glob.is_match(path) {
                continue;
            }
            enabled = rule.enabled.unwrap_or(enabled);
            apply_rule(&mut settings, rule);
        }
        enabled.then_some(settings)
    }
}

fn apply_rule(s: &mut ImageSettings, rule: &ImageRule) {
    if let Some(widths) = &rule.widths {
        s.widths = widths.clone();
    }
    if let Some(formats) = &rule.formats {
        s.formats = variant_formats(formats);
    }
    s.avif_quality = rule.avif.quality.unwrap_or(s.avif_quality);
    s.avif_speed = rule.avif.speed.unwrap_or(s.avif_speed);
    s.webp_quality = rule.webp.quality.unwrap_or(s.webp_quality);
    s.jpeg_quality = rule.jpeg.quality.unwrap_or(s.jpeg_quality);
    s.png_level = rule.png.level.unwrap_or(s.png_level);
}

fn variant_formats(formats: &[ModernFormat]) -> Vec<VariantFormat> {
    let mut out: Vec<VariantFormat> = formats
        .iter()
        .map(|f| match f {
            ModernFormat::Avif => VariantFormat::Avif,
            ModernFormat::Webp => VariantFormat::Webp,
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// sharp's default pixel limit (0x3FFF squared): larger images are refused as likely bombs.
pub const DEFAULT_MAX_PIXELS: u64 = 268_402_689;

fn resolve_images(section: ImagesSection, path: &Option<PathBuf>) -> Result<ImagesConfig, Error> {
    let base = ImageSettings {
        widths: section
            .widths
            .clone()
            .unwrap_or_else(|| vec![320, 640, 960, 1280, 1920]),
        formats: variant_formats(
            section
                .formats
                .as_deref()
                .unwrap_or(&[ModernFormat::Avif, ModernFormat::Webp]),
        ),
        avif_quality: section.avif.quality.unwrap_or(50.0),
        avif_speed: section.avif.speed.unwrap_or(5),
        webp_quality: section.webp.quality.unwrap_or(80.0),
        jpeg_quality: section.jpeg.quality.unwrap_or(85.0),
        png_level: section.png.level.unwrap_or(2),
        max_pixels: section.max_pixels.unwrap_or(DEFAULT_MAX_PIXELS),
        min_width: section.min_width.unwrap_or(64),
        variants: true,
    };
    check_image_settings(&base, "[images]", path)?;
    let mut rules = Vec::new();
    for rule in section.rules {
        let glob = Glob::new(&rule.pattern)
            .map_err(|e| {
                config_error(
                    path,
                    format!("[[images.rules]] match {:?}: {e}", rule.pattern),
                )
            })?
            .compile_matcher();
        let mut probe = base.clone();
        apply_rule(&mut probe, &rule);
        check_image_settings(
            &probe,
            &format!("[[images.rules]] {:?}", rule.pattern),
            path,
        )?;
        rules.push((glob, rule));
    }
    Ok(ImagesConfig {
        enabled: section.enabled.unwrap_or(true),
        sizes: section.sizes.unwrap_or_else(|| "100vw".into()),
        min_bytes: section.min_bytes.unwrap_or(2048),
        lcp_selector: section.lcp_selector.filter(|s| !s.trim().is_empty()),
        base,
        rules,
    })
}

fn check_image_settings(s: &ImageSettings, at: &str, path: &Option<PathBuf>) -> Result<(), Error> {
    let bad = |m: String| Err(config_error(path, format!("{at}: {m}")));
    if s.widths.is_empty() || s.widths.iter().any(|&w| w == 0 || w > 16384) {
        return bad(format!(
            "widths must be 1..=16384 pixels, got {:?}",
            s.widths
        ));
    }
    for (name, q) in [
        ("avif", s.avif_quality),
        ("webp", s.webp_quality),
        ("jpeg", s.jpeg_quality),
    ] {
        if !(1.0..=100.0).contains(&q) {
            return bad(format!("{name} quality must be 1..=100, got {q}"));
        }
    }
    if !(1..=10).contains(&s.avif_speed) {
        return bad(format!("avif speed must be 1..=10, got {}", s.avif_speed));
    }
    if s.png_level > 6 {
        return bad(format!("png level must be 0..=6, got {}", s.png_level));
    }
    Ok(())
}

#[derive(Debug, Clone)]
pub struct HeaderSettings {
    pub enabled: bool,
    pub immutable: String,
    pub revalidate: String,
    pub max_rules: usize,
    /// `[headers] csp`: a `Content-Security-Policy` line for each page with inlined critical
    /// CSS, allowing exactly the page's inline styles.
    pub csp: bool,
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
        csp: file.headers.csp.unwrap_or(false),
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
    let css_purge = file.css.purge.unwrap_or(true);
    let css_safelist = safelist(file.css.safelist.as_ref(), &path)?;
    let css_purge_options = crate::css::purge::Options {
        keyframes: file.css.keyframes.unwrap_or(true),
        font_face: file.css.font_face.unwrap_or(true),
        variables: file.css.variables.unwrap_or(true),
    };
    let css_browsers = css_browsers(file.css.targets.as_ref(), &path)?;
    let css_critical = if file.css.critical.unwrap_or(true) {
        let strategy = match file.css.critical_strategy.as_deref() {
            None | Some("body") => crate::html::critical::Strategy::Body,
            Some("media") => crate::html::critical::Strategy::Media,
            Some(other) => {
                return Err(config_error(
                    &path,
                    format!("[css] critical_strategy must be \"body\" or \"media\", got {other:?}"),
                ));
            }
        };
        let max_bytes = match &file.css.critical_max_bytes {
            None => Some(CRITICAL_MAX_BYTES),
            Some(SizeSetting::Bytes(n)) => Some(*n),
            Some(SizeSetting::Text(t)) => crate::budget::settings::parse_size(t)
                .map_err(|e| config_error(&path, format!("[css] critical_max_bytes: {e}")))?,
        };
        Some(CriticalSettings {
            strategy,
            max_bytes,
        })
    } else {
        None
    };
    let js_minify = match &file.js.minify {
        None => crate::js::minify::Mode::Auto,
        Some(MinifySetting::Bool(true)) => crate::js::minify::Mode::Always,
        Some(MinifySetting::Bool(false)) => crate::js::minify::Mode::Never,
        Some(MinifySetting::Word(w)) if w == "auto" => crate::js::minify::Mode::Auto,
        Some(MinifySetting::Word(w)) => {
            return Err(config_error(
                &path,
                format!("[js] minify must be \"auto\", true or false, got {w:?}"),
            ));
        }
    };
    let images_section = file.images.clone();
    let images = resolve_images(file.images, &path)?;
    let mut budgets =
        crate::budget::settings::resolve(file.budgets).map_err(|m| config_error(&path, m))?;
    budgets.enabled &= !o.no_budgets;
    let measure = crate::budget::Measure {
        keep: !precompress.is_empty(),
        brotli_11: budgets.compression == crate::budget::Compression::Brotli
            || precompress.contains(&Encoding::Brotli),
    };
    let digest = settings_digest(
        &hash,
        (&precompress, measure.brotli_11),
        &headers,
        (css_minify, css_purge, css_browsers, css_critical),
        (file.css.safelist.as_ref(), css_purge_options),
        js_minify,
        &images_section,
    );
    Ok(Settings {
        measure,
        root: root.to_path_buf(),
        images,
        out: o.out.clone(),
        cache_dir: cache_dir(root, o.cache_dir.as_deref())?,
        jobs: o.jobs,
        strict: o.strict,
        hash,
        precompress,
        headers,
        css_minify,
        css_purge,
        css_safelist,
        css_purge_options,
        css_browsers,
        css_critical,
        js_minify,
        budgets,
        baseline: o.baseline.clone(),
        config_file: path,
        digest,
    })
}

/// The browsers of `[css] targets`, or of the project's browserslist config (`browserslist` in
/// ./package.json, or ./.browserslistrc), or browserslist's `defaults`.
fn css_browsers(
    targets: Option<&Targets>,
    path: &Option<PathBuf>,
) -> Result<Option<lightningcss::targets::Browsers>, Error> {
    use lightningcss::targets::Browsers;
    let result = match targets {
        Some(Targets::One(query)) => Browsers::from_browserslist([query.as_str()]),
        Some(Targets::Many(queries)) => Browsers::from_browserslist(queries),
        None => Browsers::load_browserslist(),
    };
    result.map_err(|e| match targets {
        Some(_) => config_error(path, format!("[css] targets: {e}")),
        None => Error::Config {
            path: PathBuf::from("package.json"),
            message: format!("browserslist: {e}"),
        },
    })
}

fn safelist(
    spec: Option<&SafelistSpec>,
    path: &Option<PathBuf>,
) -> Result<crate::css::purge::Safelist, Error> {
    use crate::css::purge::{Name, Safelist};
    let names = |list: &[String], key: &str| -> Result<Vec<Name>, Error> {
        list.iter()
            .map(|t| Name::parse(t).map_err(|e| config_error(path, format!("[css] {key}: {e}"))))
            .collect()
    };
    Ok(match spec {
        None => Safelist::default(),
        Some(SafelistSpec::Names(list)) => Safelist {
            standard: names(list, "safelist")?,
            ..Safelist::default()
        },
        Some(SafelistSpec::Kinds(k)) => Safelist {
            standard: names(&k.standard, "safelist.standard")?,
            deep: names(&k.deep, "safelist.deep")?,
            greedy: k
                .greedy
                .iter()
                .map(|t| {
                    let pattern = t
                        .strip_prefix('/')
                        .and_then(|p| p.strip_suffix('/'))
                        .unwrap_or(t);
                    regex::Regex::new(pattern).map_err(|e| {
                        config_error(path, format!("[css] safelist.greedy {t:?}: {e}"))
                    })
                })
                .collect::<Result<_, _>>()?,
        },
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

/// The image cache location: `--cache-dir`, or `node_modules/.cache/distill` beside a
/// `node_modules`, as other frontend tools do (babel-loader, eslint), otherwise
/// `.distill-cache/`. Never inside the folder being built: the swap would throw it away with
/// the old folder (and `--out` would ship it), so a default that falls there (`distill build .`)
/// moves beside the folder, and an explicit one there is refused.
fn cache_dir(root: &Path, explicit: Option<&Path>) -> Result<PathBuf, Error> {
    let inside = |dir: &Path| -> bool {
        match (root.canonicalize(), crate::absolute(dir)) {
            (Ok(root), Ok(dir)) => dir.starts_with(root),
            _ => false,
        }
    };
    if let Some(dir) = explicit {
        if inside(dir) {
            return Err(Error::Config {
                path: dir.to_path_buf(),
                message: "--cache-dir must be outside the folder being built (it would be \
                          replaced with it)"
                    .into(),
            });
        }
        return Ok(dir.to_path_buf());
    }
    let default = if Path::new("node_modules").is_dir() {
        PathBuf::from("node_modules/.cache/distill")
    } else {
        PathBuf::from(".distill-cache")
    };
    if inside(&default)
        && let Ok(root) = root.canonicalize()
        && let Some(parent) = root.parent()
    {
        return Ok(parent.join(".distill-cache"));
    }
    Ok(default)
}

fn settings_digest(
    hash: &HashSettings,
    (precompress, brotli_11): (&[Encoding], bool),
    headers: &HeaderSettings,
    css: (
        bool,
        bool,
        Option<lightningcss::targets::Browsers>,
        Option<CriticalSettings>,
    ),
    purge: (Option<&SafelistSpec>, crate::css::purge::Options),
    js_minify: crate::js::minify::Mode,
    images: &ImagesSection,
) -> String {
    let text = format!(
        "distill {}\nhash {} {} {:?} {} {:?}\nprecompress {:?} brotli-11 {}\nheaders {} {:?} {:?} {} {}\ncss {:?} {:?}\njs {:?}\nimages {:?}\n",
        env!("CARGO_PKG_VERSION"),
        hash.enabled,
        hash.length,
        hash.keep_patterns,
        hash.base,
        hash.origin,
        precompress,
        brotli_11,
        headers.enabled,
        headers.immutable,
        headers.revalidate,
        headers.max_rules,
        headers.csp,
        css,
        purge,
        js_minify,
        images,
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
