//! The terminal: an indicatif progress bar when stderr is a terminal, plain stage lines when it
//! is not (CI logs), and the final summary.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::budget::kb as bytes;
use crate::diag::{Diagnostic, Severity};
use crate::progress::Progress;
use crate::{Outcome, Status};

pub struct TerminalProgress {
    bar: Option<Mutex<Option<ProgressBar>>>,
    quiet: bool,
}

impl TerminalProgress {
    /// A bar on an interactive terminal outside CI; plain lines otherwise.
    pub fn new(quiet: bool) -> Self {
        let interactive = std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
        TerminalProgress {
            bar: interactive.then(|| Mutex::new(None)),
            quiet,
        }
    }
}

impl Progress for TerminalProgress {
    fn stage(&self, name: &str, total: u64) {
        if self.quiet {
            return;
        }
        match &self.bar {
            Some(slot) => {
                let bar = ProgressBar::new(total);
                let template = if total > 0 {
                    "{spinner} {msg:<16} [{bar:30}] {pos}/{len}"
                } else {
                    "{spinner} {msg:<16}"
                };
                bar.set_style(
                    ProgressStyle::with_template(template)
                        .expect("valid template")
                        .progress_chars("=> "),
                );
                bar.set_message(name.to_string());
                bar.enable_steady_tick(Duration::from_millis(100));
                if let Ok(mut slot) = slot.lock() {
                    *slot = Some(bar);
                }
            }
            None => eprintln!("distill: {name}"),
        }
    }

    fn advance(&self, n: u64) {
        if let Some(slot) = &self.bar
            && let Ok(slot) = slot.lock()
            && let Some(bar) = slot.as_ref()
        {
            bar.inc(n);
        }
    }

    fn finish(&self) {
        if let Some(slot) = &self.bar
            && let Ok(mut slot) = slot.lock()
            && let Some(bar) = slot.take()
        {
            bar.finish_and_clear();
        }
    }
}

/// Diagnostics to print at this verbosity, in a stable order.
pub fn diagnostics(diags: &[Diagnostic], verbose: bool) -> Vec<String> {
    diags
        .iter()
        .filter(|d| verbose || d.severity == Severity::Warning)
        .map(|d| d.to_string())
        .collect()
}

pub fn summary(outcome: &Outcome, elapsed: Duration) -> String {
    match outcome.status {
        Status::AlreadyDistilled => format!(
            "{} is already distilled with these settings ({} files); nothing to do",
            outcome.output.display(),
            outcome.files
        ),
        Status::Built => {
            let warnings = outcome
                .diagnostics
                .iter()
                .filter(|d| d.severity == Severity::Warning)
                .count();
            let images = match outcome.images {
                i if i.images == 0 => String::new(),
                i => format!(
                    ", {} images ({} from cache, {} variants, originals -{})",
                    i.images,
                    i.cache_hits,
                    i.variants,
                    bytes(i.saved)
                ),
            };
            let scripts = match outcome.js {
                j if j.files == 0 => String::new(),
                j => format!(
                    ", {} script{} minified (-{})",
                    j.files,
                    super::plural(j.files),
                    bytes(j.saved)
                ),
            };
            let kept = match (outcome.kept, outcome.frozen) {
                (0, _) => String::new(),
                (n, 0) => format!(
                    ", {n} name{} kept as asked for: -v says why",
                    super::plural(n)
                ),
                (n, f) => format!(
                    ", {n} name{} kept as asked for ({f} with {} bytes): -v says why",
                    super::plural(n),
                    if f == 1 { "its" } else { "their" }
                ),
            };
            let purged = match outcome.css_purged {
                0 => String::new(),
                n => format!(", {n} unused CSS selector{} removed", super::plural(n)),
            };
            let inlined = outcome.critical.values().filter(|c| c.is_ok()).count();
            let skipped = outcome.critical.len() - inlined;
            let critical = match (inlined, skipped) {
                (0, 0) => String::new(),
                (n, 0) => format!(", critical CSS inlined in {n} page{}", super::plural(n)),
                (n, k) => format!(
                    ", critical CSS inlined in {n} page{} ({k} not: -v says why)",
                    super::plural(n)
                ),
            };
            format!(
                "{} files ({} hashed{kept}{images}{scripts}{purged}{critical}), {} -> {} in {:.2}s -> {}{}",
                outcome.files,
                outcome.hashed,
                bytes(outcome.bytes_in),
                bytes(outcome.bytes_out),
                elapsed.as_secs_f64(),
                outcome.output.display(),
                match warnings {
                    0 => String::new(),
                    n => format!(", {n} warning(s)"),
                }
            )
        }
    }
}

/// `-v`: each page's images (and those on scroll) and fonts at each viewport.
fn weights(report: &crate::budget::Report) -> String {
    let Some(line) = super::viewports_line(report) else {
        return String::new();
    };
    let mut out = format!("{line}:\n");
    for page in &report.pages {
        for w in &page.viewports {
            out.push_str(&format!(
                "  {} ({}): images {} + {} on scroll, fonts {}\n",
                page.page,
                w.viewport,
                bytes(w.images),
                bytes(w.images_on_scroll),
                bytes(w.fonts)
            ));
        }
    }
    out
}

/// The budgets table: a row per bundle (pages with identical bundles share one), with size,
/// gzip, brotli, budget, change against the baseline and a bar of the budget used; then each
/// failure and warning in full. `verbose` adds every passing check.
pub fn budgets(report: &crate::budget::Report, color: bool, verbose: bool) -> String {
    use crate::budget::Status;
    // Three SGR colours, written out: a styling crate would add a dependency for four lines.
    let paint = |status: Option<Status>, text: &str| -> String {
        let code = match status {
            _ if !color => return text.to_string(),
            Some(Status::Fail) => "31",
            Some(Status::Warn) => "33",
            Some(Status::Pass) => "32",
            None => return text.to_string(),
        };
        format!("\x1b[{code}m{text}\x1b[0m")
    };
    let rows = super::rows(report);
    let mut out = String::new();
    if rows.is_empty() && report.checks.is_empty() {
        return out;
    }
    // Brotli figures at the fast quality (brotli not asked for) say so.
    let brotli = match report.brotli_quality {
        Some(q) if q != 11 => format!("brotli-{q}"),
        _ => "brotli".to_string(),
    };
    let header = [
        "", "bundle", "pages", "size", "gzip", &brotli, "budget", "change", "",
    ];
    let mut table: Vec<[String; 9]> = vec![header.map(str::to_string)];
    for row in &rows {
        let status = row.status();
        let mark = match status {
            Some(Status::Fail) => "✖",
            Some(Status::Warn) => "!",
            Some(Status::Pass) => "✔",
            None => "·",
        };
        let value = row.bundle.bytes.of(report.compression);
        let bar = match row.limit() {
            Some(limit) if limit > 0 => {
                let used = value as f64 / limit as f64;
                let cells = ((used.min(1.0) * 20.0).round() as usize).min(20);
                format!(
                    "{}{} {:>3.0}%",
                    "█".repeat(cells),
                    "░".repeat(20 - cells),
                    used * 100.0
                )
            }
            _ => String::new(),
        };
        table.push([
            mark.to_string(),
            row.name(),
            row.pages_label(),
            bytes(row.bundle.bytes.size),
            bytes(row.bundle.bytes.gzip),
            bytes(row.bundle.bytes.brotli),
            row.limit().map(bytes).unwrap_or_default(),
            super::change(row.bundle.baseline, row.bundle.bytes, report),
            bar,
        ]);
    }
    let widths: Vec<usize> = (0..9)
        .map(|c| {
            // A column with nothing under its heading (no baseline: no change) is left out.
            if table[1..].iter().all(|r| r[c].is_empty()) && c > 0 {
                return 0;
            }
            table
                .iter()
                .map(|r| r[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let right = [false, false, false, true, true, true, true, true, false];
    for (i, cells) in table.iter().enumerate() {
        let status = if i == 0 { None } else { rows[i - 1].status() };
        let mut line = String::new();
        for (c, cell) in cells.iter().enumerate() {
            if widths[c] == 0 {
                continue;
            }
            let pad = widths[c] - cell.chars().count();
            let text = if right[c] {
                format!("{}{cell}", " ".repeat(pad))
            } else {
                format!("{cell}{}", " ".repeat(pad))
            };
            let text = if c == 0 || c == 8 {
                paint(status, &text)
            } else {
                text
            };
            line.push_str(&text);
            line.push_str("  ");
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    for check in &report.checks {
        let label = match check.status {
            Status::Fail => "budget exceeded",
            Status::Warn => "budget warning",
            Status::Pass if verbose => "budget ok",
            Status::Pass => continue,
        };
        out.push_str(&format!(
            "{}: {}\n",
            paint(Some(check.status), label),
            check.message
        ));
    }
    if verbose {
        for note in &report.notes {
            out.push_str(&format!("note: {note}\n"));
        }
        out.push_str(&weights(report));
    }
    let s = &report.summary;
    let mut line = format!(
        "budgets ({}): {} checked, {} failed, {} warning{}",
        report.compression.label(),
        report.checks.len(),
        s.failures,
        s.warnings,
        super::plural(s.warnings)
    );
    if let Some(b) = &report.baseline {
        line.push_str(&format!(
            "; vs baseline: total {}, {} added, {} removed",
            super::change(Some(b.total), s.total, report),
            b.added.len(),
            b.removed.len()
        ));
    }
    out.push_str(&paint(Some(report.status), &line));
    out.push('\n');
    out
}
