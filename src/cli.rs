//! The command line: the only module that knows clap. It turns arguments into
//! [`Overrides`](crate::config::Overrides) and a verbosity.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::config::Overrides;

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
        }
    }
}

pub fn parse() -> Cli {
    Cli::parse()
}
