//! The terminal: an indicatif progress bar when stderr is a terminal, plain stage lines when it
//! is not (CI logs), and the final summary.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

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
            format!(
                "{} files ({} hashed{images}), {} -> {} in {:.2}s -> {}{}",
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

/// `1234567` -> `1.23 MB` (decimal units, as size-limit and browsers' devtools use).
pub fn bytes(n: u64) -> String {
    let n = n as f64;
    if n < 1000.0 {
        format!("{n} B")
    } else if n < 1_000_000.0 {
        format!("{:.1} kB", n / 1000.0)
    } else {
        format!("{:.2} MB", n / 1_000_000.0)
    }
}
