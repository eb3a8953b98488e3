//! The command line: the only module that knows clap. It turns arguments into
//! [`Overrides`](crate::config::Overrides) and a verbosity.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::config::Overrides;
use crate::report::{Format, Request};

/// Turns a frontend build's output folder into a fast, safe, budget-checked release.
#[derive(Debug, Parser)]
#[command(name = "distill", version, about, long_about = None)]
#[command(
    after_help = "Exit codes: 0 success, 1 a check failed, 2 the run failed, 130 interrupted."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Content-hash and rewrite a build folder (in place, or into --out), write
    /// .distill/manifest.json and _headers.
    ///
    /// All work goes to a staging folder beside the target and is swapped in only when the whole
    /// run succeeded: on any failure, or Ctrl-C, the folder is exactly as it was.
    Build(BuildArgs),
    /// Check the size budgets of a build folder, read-only (exit 1 when one is exceeded).
    ///
    /// Uses .distill/manifest.json when the folder is unchanged since `distill build`; any
    /// other folder is measured as it is.
    Check(CheckArgs),
}

/// Budgets and reports, shared by `build` and `check`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Compare with this JSON report from an earlier build (e.g. the main branch's): changes
    /// per bundle and file, added and removed files, `max_increase` budgets.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Write a report: terminal, json, markdown, github, junit or html, to PATH or (without
    /// one) to standard output (html: distill-report.html). Repeatable. The terminal table is
    /// printed unless --quiet; github is added inside GitHub Actions.
    #[arg(long = "report", value_name = "FORMAT[=PATH]", value_parser = parse_report)]
    pub reports: Vec<Request>,
}

fn parse_report(text: &str) -> Result<Request, String> {
    let (format, path) = match text.split_once('=') {
        Some((f, p)) if !p.is_empty() => (f, Some(PathBuf::from(p))),
        Some((_, _)) => return Err(format!("{text:?}: a path must follow '='")),
        None => (text, None),
    };
    let format = Format::from_name(format)
        .ok_or_else(|| format!("unknown report format {format:?} ({})", Format::NAMES))?;
    Ok(Request { format, path })
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The build output folder to check (for example `dist`).
    pub dir: PathBuf,
    /// Read this config file instead of ./distill.toml.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub report: ReportArgs,
    /// Print only warnings and errors.
    #[arg(long, short, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Also print notes and every budget, passing or not.
    #[arg(long, short)]
    pub verbose: bool,
}

impl CheckArgs {
    pub fn overrides(&self) -> Overrides {
        Overrides {
            config: self.config.clone(),
            baseline: self.report.baseline.clone(),
            ..Overrides::default()
        }
    }
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The build output folder to process (for example `dist`).
    pub dir: PathBuf,
    /// Write the result here instead of replacing DIR (DIR is left untouched). OUT must be
    /// outside DIR, and either not exist, be empty, or be an earlier distill output.
    #[arg(long, value_name = "OUT")]
    pub out: Option<PathBuf>,
    /// Read this config file instead of ./distill.toml.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Where encoded images are cached between runs [default: node_modules/.cache/distill when
    /// ./node_modules exists, else .distill-cache].
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Worker threads [default: one per core].
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// Fail (exit 2, nothing written) on any asset warning: a missing reference, a file that
    /// does not parse, a reference outside the root.
    #[arg(long)]
    pub strict: bool,
    /// Do not check budgets (the output is written either way; a failed budget makes the
    /// exit code 1).
    #[arg(long)]
    pub no_budgets: bool,
    #[command(flatten)]
    pub report: ReportArgs,
    /// Print only warnings and errors.
    #[arg(long, short, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Also print notes and per-stage timings.
    #[arg(long, short)]
    pub verbose: bool,
}

impl BuildArgs {
    pub fn overrides(&self) -> Overrides {
        Overrides {
            config: self.config.clone(),
            out: self.out.clone(),
            cache_dir: self.cache_dir.clone(),
            jobs: self.jobs,
            strict: self.strict,
            no_budgets: self.no_budgets,
            baseline: self.report.baseline.clone(),
        }
    }
}

pub fn parse() -> Cli {
    Cli::parse()
}
