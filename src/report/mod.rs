//! Reports: what the user reads at the end of a run. The terminal (progress, diagnostics, the
//! summary line and the budgets table), and the budgets [`Report`] rendered as JSON, Markdown,
//! GitHub annotations, JUnit XML or a self-contained HTML page. Renderers are plain functions
//! from the report to text; [`emit`] decides where each goes.

pub mod github;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod terminal;

use std::path::{Path, PathBuf};

use crate::budget::Report;
use crate::diag::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Terminal,
    Json,
    Markdown,
    Github,
    Junit,
    Html,
}

impl Format {
    pub const NAMES: &'static str = "terminal, json, markdown, github, junit, html";

    pub fn from_name(name: &str) -> Option<Format> {
        Some(match name.to_ascii_lowercase().as_str() {
            "terminal" => Format::Terminal,
            "json" => Format::Json,
            "markdown" | "md" => Format::Markdown,
            "github" => Format::Github,
            "junit" => Format::Junit,
            "html" => Format::Html,
            _ => return None,
        })
    }
}

/// One `--report FORMAT[=PATH]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub format: Format,
    pub path: Option<PathBuf>,
}

/// Where the GitHub report writes, from the environment (`GITHUB_ACTIONS`,
/// `GITHUB_STEP_SUMMARY`).
#[derive(Debug, Clone, Default)]
pub struct Environment {
    pub github_actions: bool,
    pub step_summary: Option<PathBuf>,
    /// Colour on the terminal: a terminal, and `NO_COLOR` unset.
    pub color: bool,
}

impl Environment {
    pub fn detect() -> Environment {
        use std::io::IsTerminal;
        Environment {
            github_actions: std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true"),
            step_summary: std::env::var_os("GITHUB_STEP_SUMMARY").map(PathBuf::from),
            color: std::io::stderr().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        }
    }
}

/// The requests to honour: as asked, plus the terminal table unless `quiet` or asked for
/// explicitly, plus `github` inside GitHub Actions.
pub fn requests(asked: &[Request], quiet: bool, env: &Environment) -> Vec<Request> {
    let mut out = asked.to_vec();
    let has = |f: Format| asked.iter().any(|r| r.format == f);
    if !quiet && !has(Format::Terminal) {
        out.insert(
            0,
            Request {
                format: Format::Terminal,
                path: None,
            },
        );
    }
    if env.github_actions && !has(Format::Github) {
        out.push(Request {
            format: Format::Github,
            path: None,
        });
    }
    out
}

/// Renders and writes every requested report. The terminal table goes to standard error,
/// with the run's other messages; machine formats without a path go to standard output.
pub fn emit(
    report: &Report,
    requests: &[Request],
    env: &Environment,
    verbose: bool,
) -> Result<(), Error> {
    for request in requests {
        let path = request.path.as_deref();
        match request.format {
            Format::Terminal => {
                let text = terminal::budgets(report, env.color && path.is_none(), verbose);
                match path {
                    Some(p) => write(p, &text)?,
                    None => eprint!("{text}"),
                }
            }
            Format::Json => to(path, &json::render(report))?,
            Format::Markdown => to(path, &markdown::render(report))?,
            Format::Junit => to(path, &junit::render(report))?,
            Format::Html => write(
                path.unwrap_or(Path::new("distill-report.html")),
                &html::render(report),
            )?,
            Format::Github => {
                to(path, &github::annotations(report))?;
                if let Some(summary) = &env.step_summary {
                    append(summary, &markdown::render(report))?;
                }
            }
        }
    }
    Ok(())
}

fn to(path: Option<&Path>, text: &str) -> Result<(), Error> {
    match path {
        Some(p) => write(p, text),
        None => {
            print!("{text}");
            Ok(())
        }
    }
}

fn write(path: &Path, text: &str) -> Result<(), Error> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    std::fs::write(path, text).map_err(|e| Error::io(path, e))
}

fn append(path: &Path, text: &str) -> Result<(), Error> {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| Error::io(path, e))?;
    file.write_all(text.as_bytes())
        .map_err(|e| Error::io(path, e))
}

/// A bundle as the tables show it: pages that load the same files share one row.
pub struct Row<'a> {
    pub bundle: &'a crate::budget::Bundle,
    pub pages: Vec<&'a str>,
    /// The budget check covering it, if it has a budget.
    pub check: Option<&'a crate::budget::Check>,
}

impl Row<'_> {
    /// `main · /index.html (+2 pages)` style label parts: the pages in words.
    pub fn pages_label(&self) -> String {
        match self.pages.len() {
            0 => String::new(),
            1 => self.pages[0].to_string(),
            2 => format!("{} (+1 page)", self.pages[0]),
            n => format!("{} (+{} pages)", self.pages[0], n - 1),
        }
    }

    pub fn name(&self) -> String {
        match &self.bundle.chunk {
            None => "main".to_string(),
            Some(chunk) => format!("route {chunk}"),
        }
    }

    pub fn status(&self) -> Option<crate::budget::Status> {
        self.check.map(|c| c.status)
    }

    /// The limit the row is measured against: `max`, else `warn`.
    pub fn limit(&self) -> Option<u64> {
        self.check.and_then(|c| c.max.or(c.warn))
    }
}

/// Every bundle of every page, pages sharing identical bundles merged, failures first, then
/// by size.
pub fn rows(report: &Report) -> Vec<Row<'_>> {
    use std::collections::HashMap;

    use crate::budget::CheckKind;
    let check_of: HashMap<&str, &crate::budget::Check> = report
        .checks
        .iter()
        .filter(|c| matches!(c.kind, CheckKind::Main | CheckKind::Route))
        .flat_map(|c| c.covers.iter().map(move |id| (id.as_str(), c)))
        .collect();
    type Key<'a> = (
        crate::budget::BundleKind,
        Option<&'a str>,
        &'a [String],
        Option<crate::budget::Bytes>,
    );
    let mut index: HashMap<Key, usize> = HashMap::new();
    let mut rows: Vec<Row> = Vec::new();
    for page in &report.pages {
        for bundle in &page.bundles {
            if bundle.files.is_empty() {
                continue;
            }
            let key = (
                bundle.kind,
                bundle.chunk.as_deref(),
                bundle.files.as_slice(),
                bundle.baseline,
            );
            if let Some(&i) = index.get(&key) {
                rows[i].pages.push(&page.page);
                continue;
            }
            index.insert(key, rows.len());
            rows.push(Row {
                bundle,
                pages: vec![&page.page],
                check: check_of.get(bundle.id.as_str()).copied(),
            });
        }
    }
    let compression = report.compression;
    rows.sort_by(|a, b| {
        let rank = |r: &Row| r.status().unwrap_or(crate::budget::Status::Pass);
        rank(a)
            .cmp(&rank(b))
            .then(a.bundle.kind.cmp(&b.bundle.kind))
            .then(
                b.bundle
                    .bytes
                    .of(compression)
                    .cmp(&a.bundle.bytes.of(compression)),
            )
            .then(a.bundle.id.cmp(&b.bundle.id))
    });
    rows
}

/// The change of `now` against `before`, in the report's compression: `+1.2 kB (+3.4%)`.
pub fn change(
    before: Option<crate::budget::Bytes>,
    now: crate::budget::Bytes,
    report: &Report,
) -> String {
    let Some(before) = before else {
        return if report.baseline.is_some() {
            "new".to_string()
        } else {
            String::new()
        };
    };
    let (b, n) = (before.of(report.compression), now.of(report.compression));
    let delta = n as i64 - b as i64;
    if delta == 0 {
        return "±0".to_string();
    }
    let pct = if b > 0 {
        format!(" ({:+.1}%)", delta as f64 * 100.0 / b as f64)
    } else {
        String::new()
    };
    format!("{}{pct}", crate::budget::signed_kb(delta))
}

/// `2 budgets exceeded`, `1 budget warning`, `all budgets met`.
pub fn verdict(report: &Report) -> String {
    let s = &report.summary;
    match report.status {
        crate::budget::Status::Fail => {
            format!("{} budget{} exceeded", s.failures, plural(s.failures))
        }
        crate::budget::Status::Warn => {
            format!("{} budget warning{}", s.warnings, plural(s.warnings))
        }
        crate::budget::Status::Pass => "all budgets met".to_string(),
    }
}

/// `images and fonts as a browser loads them at mobile 412×823 @2.625x, desktop 1350×940 @1x`;
/// `None` when no page was weighed.
pub fn viewports_line(report: &Report) -> Option<String> {
    if report.viewports.is_empty() || report.pages.iter().all(|p| p.viewports.is_empty()) {
        return None;
    }
    let list: Vec<String> = report.viewports.iter().map(|v| v.label()).collect();
    Some(format!(
        "images and fonts per page as a browser loads them at {} (the largest counts for budgets)",
        list.join(", ")
    ))
}

pub fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Text safe in HTML or XML, in content and in quoted attribute values.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// How the JSON report spells a unit variant (`fail`, `main`, `js`).
pub fn name_of(value: impl serde::Serialize) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}
