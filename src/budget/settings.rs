//! The resolved `[budgets]` section: limits in bytes, globs compiled. `config.rs` holds the
//! file's raw schema and calls [`resolve`].

use globset::{Glob, GlobMatcher};
use serde::{Deserialize, Serialize};

use super::weights::Viewport;
use crate::config::{BudgetsSection, LimitSpec, ViewportSpec};

/// Which size a budget compares: what the server sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    #[default]
    Gzip,
    Brotli,
    None,
}

impl Compression {
    pub fn label(self) -> &'static str {
        match self {
            Compression::Gzip => "gzip",
            Compression::Brotli => "brotli",
            Compression::None => "raw",
        }
    }
}

/// A size with a warning level and a failing level, either or both.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limit<T> {
    pub warn: Option<T>,
    pub max: Option<T>,
}

impl<T> Default for Limit<T> {
    fn default() -> Self {
        Limit {
            warn: None,
            max: None,
        }
    }
}

impl<T> Limit<T> {
    pub fn is_set(&self) -> bool {
        self.warn.is_some() || self.max.is_some()
    }
}

/// A growth limit against the baseline: bytes, or a percentage of the baseline size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Growth {
    Bytes(u64),
    Percent(f64),
}

impl Growth {
    /// The allowed growth, in bytes, over a baseline of `before` bytes.
    pub fn allowed(self, before: u64) -> u64 {
        match self {
            Growth::Bytes(b) => b,
            Growth::Percent(p) => (before as f64 * p / 100.0).floor() as u64,
        }
    }
}

/// The limits that apply to one page.
#[derive(Debug, Clone, Default)]
pub struct PageLimits {
    pub main: Limit<u64>,
    pub route: Limit<u64>,
    pub images: Limit<u64>,
    pub fonts: Limit<u64>,
    pub max_increase: Limit<Growth>,
}

#[derive(Debug, Clone)]
pub struct FileRule {
    pub pattern: String,
    pub glob: GlobMatcher,
    pub limit: Limit<u64>,
    pub max_increase: Limit<Growth>,
}

#[derive(Debug, Clone)]
pub struct PageRule {
    pub pattern: String,
    pub glob: GlobMatcher,
    main: Option<Limit<u64>>,
    route: Option<Limit<u64>>,
    images: Option<Limit<u64>>,
    fonts: Option<Limit<u64>>,
    max_increase: Option<Limit<Growth>>,
}

#[derive(Debug, Clone)]
pub struct BudgetSettings {
    pub enabled: bool,
    pub compression: Compression,
    pub defaults: PageLimits,
    pub pages: Vec<PageRule>,
    pub files: Vec<FileRule>,
    /// Page weights are worked out at each (at most eight).
    pub viewports: Vec<Viewport>,
}

impl Default for BudgetSettings {
    fn default() -> Self {
        resolve(BudgetsSection::default()).expect("the defaults are valid")
    }
}

impl BudgetSettings {
    /// The limits for the page at `page` (a site path starting with `/`): the defaults, then
    /// each matching `[[budgets.pages]]` in order (later ones win).
    pub fn for_page(&self, page: &str) -> PageLimits {
        let mut limits = self.defaults.clone();
        for rule in self.pages.iter().filter(|r| r.glob.is_match(page)) {
            let merge = |into: &mut Limit<u64>, from: &Option<Limit<u64>>| {
                if let Some(from) = from {
                    *into = *from;
                }
            };
            merge(&mut limits.main, &rule.main);
            merge(&mut limits.route, &rule.route);
            merge(&mut limits.images, &rule.images);
            merge(&mut limits.fonts, &rule.fonts);
            if let Some(g) = rule.max_increase {
                limits.max_increase = g;
            }
        }
        limits
    }
}

/// The default budgets: what Google's guidance and size-limit's examples use for a page's
/// initial JavaScript and CSS on a mid-range phone.
pub const DEFAULT_MAIN: u64 = 250_000;
pub const DEFAULT_ROUTE: u64 = 150_000;

/// Resolves the file's section; errors are messages naming the key (the caller adds the file).
pub fn resolve(section: BudgetsSection) -> Result<BudgetSettings, String> {
    let size = |spec: &Option<LimitSpec>, key: &str, default: Limit<u64>| match spec {
        None => Ok(default),
        Some(spec) => limit(spec, key, parse_size),
    };
    let defaults = PageLimits {
        main: size(
            &section.main,
            "[budgets] main",
            Limit {
                warn: None,
                max: Some(DEFAULT_MAIN),
            },
        )?,
        route: size(
            &section.route,
            "[budgets] route",
            Limit {
                warn: None,
                max: Some(DEFAULT_ROUTE),
            },
        )?,
        images: size(&section.images, "[budgets] images", Limit::default())?,
        fonts: size(&section.fonts, "[budgets] fonts", Limit::default())?,
        max_increase: match &section.max_increase {
            None => Limit::default(),
            Some(spec) => limit(spec, "[budgets] max_increase", parse_growth)?,
        },
    };
    let glob = |pattern: &str, at: &str| -> Result<GlobMatcher, String> {
        Glob::new(pattern)
            .map(|g| g.compile_matcher())
            .map_err(|e| format!("{at} match {pattern:?}: {e}"))
    };
    let mut pages = Vec::new();
    for rule in section.pages {
        let at = format!("[[budgets.pages]] {:?}", rule.pattern);
        // Pages are site paths (`/blog/index.html`); a pattern written without the leading
        // slash means the same.
        let pattern = if rule.pattern.starts_with('/') {
            rule.pattern.clone()
        } else {
            format!("/{}", rule.pattern)
        };
        let opt = |spec: &Option<LimitSpec>, key: &str| {
            spec.as_ref()
                .map(|s| limit(s, &format!("{at} {key}"), parse_size))
                .transpose()
        };
        pages.push(PageRule {
            glob: glob(&pattern, "[[budgets.pages]]")?,
            main: opt(&rule.main, "main")?,
            route: opt(&rule.route, "route")?,
            images: opt(&rule.images, "images")?,
            fonts: opt(&rule.fonts, "fonts")?,
            max_increase: rule
                .max_increase
                .as_ref()
                .map(|s| limit(s, &format!("{at} max_increase"), parse_growth))
                .transpose()?,
            pattern,
        });
    }
    let mut files = Vec::new();
    for rule in section.files {
        let at = format!("[[budgets.files]] {:?}", rule.pattern);
        let level = |v: &Option<String>, key: &str| {
            v.as_deref()
                .map(|s| parse_size(s).map_err(|e| format!("{at} {key}: {e}")))
                .transpose()
                .map(Option::flatten)
        };
        let limit_ = Limit {
            warn: level(&rule.warn, "warn")?,
            max: level(&rule.max, "max")?,
        };
        let max_increase = rule
            .max_increase
            .as_ref()
            .map(|s| limit(s, &format!("{at} max_increase"), parse_growth))
            .transpose()?
            .unwrap_or_default();
        if !limit_.is_set() && !max_increase.is_set() {
            return Err(format!("{at}: give it `max`, `warn` or `max_increase`"));
        }
        files.push(FileRule {
            glob: glob(rule.pattern.trim_start_matches('/'), "[[budgets.files]]")?,
            pattern: rule.pattern,
            limit: limit_,
            max_increase,
        });
    }
    Ok(BudgetSettings {
        enabled: section.enabled.unwrap_or(true),
        compression: section.compression.unwrap_or_default(),
        defaults,
        pages,
        files,
        viewports: viewports(section.viewports)?,
    })
}

fn viewports(specs: Option<Vec<ViewportSpec>>) -> Result<Vec<Viewport>, String> {
    let Some(specs) = specs else {
        return Ok(Viewport::defaults());
    };
    if specs.is_empty() || specs.len() > 8 {
        return Err("[[budgets.viewports]]: give one to eight".into());
    }
    let mut out: Vec<Viewport> = Vec::new();
    for v in specs {
        let at = format!("[[budgets.viewports]] {:?}", v.name);
        if v.width == 0 || v.height == 0 || v.width > 10_000 || v.height > 10_000 {
            return Err(format!(
                "{at}: width and height must be 1 to 10000 CSS pixels"
            ));
        }
        if !(v.dpr.is_finite() && (0.25..=8.0).contains(&v.dpr)) {
            return Err(format!("{at}: dpr must be between 0.25 and 8"));
        }
        if v.name.trim().is_empty() || out.iter().any(|o| o.name == v.name) {
            return Err(format!("{at}: each viewport needs a name of its own"));
        }
        out.push(Viewport {
            mobile: v.mobile.unwrap_or(v.width < 768),
            name: v.name,
            width: v.width,
            height: v.height,
            dpr: v.dpr,
        });
    }
    Ok(out)
}

fn limit<T: Copy>(
    spec: &LimitSpec,
    key: &str,
    parse: fn(&str) -> Result<Option<T>, String>,
) -> Result<Limit<T>, String> {
    let one = |s: &str| parse(s).map_err(|e| format!("{key}: {e}"));
    Ok(match spec {
        LimitSpec::Max(s) => Limit {
            warn: None,
            max: one(s)?,
        },
        LimitSpec::Levels { warn, max } => Limit {
            warn: warn.as_deref().map(one).transpose()?.flatten(),
            max: max.as_deref().map(one).transpose()?.flatten(),
        },
    })
}

/// `"250 kB"` (1000 bytes), `"120KiB"` (1024), `"1.5 MB"`, `"900 B"`, `"900"` (bytes);
/// `"none"` is no limit. Units are case-insensitive, as size-limit and bundlewatch read them.
pub fn parse_size(text: &str) -> Result<Option<u64>, String> {
    let t = text.trim();
    if t.eq_ignore_ascii_case("none") || t.eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a size (e.g. \"250 kB\", \"120 KiB\")"))?;
    let factor = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "kb" | "k" => 1e3,
        "kib" => 1024.0,
        "mb" | "m" => 1e6,
        "mib" => 1024.0 * 1024.0,
        other => {
            return Err(format!(
                "unknown unit {other:?} in {text:?} (use B, kB, KiB, MB or MiB)"
            ));
        }
    };
    Ok(Some((number * factor).round() as u64))
}

/// A size, or `"2%"`: a share of the baseline.
pub fn parse_growth(text: &str) -> Result<Option<Growth>, String> {
    let t = text.trim();
    if let Some(number) = t.strip_suffix('%') {
        let p: f64 = number
            .trim()
            .parse()
            .map_err(|_| format!("{text:?} is not a percentage"))?;
        if !(p >= 0.0 && p.is_finite()) {
            return Err(format!("{text:?} must not be negative"));
        }
        return Ok(Some(Growth::Percent(p)));
    }
    Ok(parse_size(t)?.map(Growth::Bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_units() {
        assert_eq!(parse_size("250 kB"), Ok(Some(250_000)));
        assert_eq!(parse_size("250kb"), Ok(Some(250_000)));
        assert_eq!(parse_size("120 KiB"), Ok(Some(122_880)));
        assert_eq!(parse_size("1.5 MB"), Ok(Some(1_500_000)));
        assert_eq!(parse_size("900"), Ok(Some(900)));
        assert_eq!(parse_size("none"), Ok(None));
        assert!(
            parse_size("12 parsecs")
                .unwrap_err()
                .contains("unknown unit")
        );
        assert!(parse_size("kB").is_err());
        assert_eq!(parse_growth("2%"), Ok(Some(Growth::Percent(2.0))));
        assert_eq!(parse_growth("5 kB"), Ok(Some(Growth::Bytes(5000))));
        assert_eq!(Growth::Percent(2.0).allowed(150_000), 3000);
    }
}
