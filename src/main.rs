//! The `distill` binary: parse flags, run the library, map the outcome to an exit code.

use std::process::ExitCode;
use std::time::Instant;

use distill::cli::{self, Command};
use distill::report::terminal;
use distill::{BuildError, config};

fn main() -> ExitCode {
    let cli = cli::parse();
    match cli.command {
        Command::Build(args) => build(&args),
        Command::Check(args) => check(&args),
    }
}

fn build(args: &cli::BuildArgs) -> ExitCode {
    let started = Instant::now();
    // Ctrl-C only raises a flag: the build stops at its next check and cleans up its staging.
    let _ = ctrlc::set_handler(distill::cancel::request);
    let settings = match config::load(&args.dir, &args.overrides()) {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    workers(settings.jobs);
    let progress = terminal::TerminalProgress::new(args.quiet);
    match distill::build(&settings, &progress) {
        Ok(outcome) => {
            for line in terminal::diagnostics(&outcome.diagnostics, args.verbose) {
                eprintln!("{line}");
            }
            if args.verbose {
                for (stage, time) in &outcome.timings {
                    eprintln!("  {stage:<16} {:>8.1} ms", time.as_secs_f64() * 1000.0);
                }
            }
            if !args.quiet {
                eprintln!("{}", terminal::summary(&outcome, started.elapsed()));
            }
            match &outcome.budgets {
                Some(report) => reports(report, &args.report, args.quiet, args.verbose),
                None => ExitCode::SUCCESS,
            }
        }
        Err(e) => fail(&e),
    }
}

/// The worker threads: as many as asked for (0: one per core), with stacks sized for the
/// nesting limits of `distill::limits` (parsers recurse once per level; deeper texts are not
/// parsed at all).
fn workers(jobs: Option<usize>) {
    let _ = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.map_or(0, |j| j.max(1)))
        .stack_size(distill::limits::WORKER_STACK)
        .build_global();
}

fn check(args: &cli::CheckArgs) -> ExitCode {
    let settings = match config::load(&args.dir, &args.overrides()) {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    workers(settings.jobs);
    let progress = terminal::TerminalProgress::new(true);
    match distill::check(&settings, &progress) {
        Ok(outcome) => {
            for line in terminal::diagnostics(&outcome.diagnostics, args.verbose) {
                eprintln!("{line}");
            }
            if args.verbose {
                eprintln!(
                    "sizes from {}",
                    if outcome.from_manifest {
                        "the distill manifest"
                    } else {
                        "measuring every file"
                    }
                );
            }
            reports(&outcome.report, &args.report, args.quiet, args.verbose)
        }
        Err(e) => fail(&e),
    }
}

/// Writes the reports; exit 1 when a budget failed.
fn reports(
    report: &distill::budget::Report,
    args: &cli::ReportArgs,
    quiet: bool,
    verbose: bool,
) -> ExitCode {
    let env = distill::report::Environment::detect();
    let requests = distill::report::requests(&args.reports, quiet, &env);
    if let Err(e) = distill::report::emit(report, &requests, &env, verbose) {
        return fail(&e);
    }
    if report.status == distill::budget::Status::Fail {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn fail(error: &BuildError) -> ExitCode {
    if let BuildError::Strict { diagnostics } = error {
        for d in diagnostics {
            eprintln!("error: {}", d.to_string().trim_start_matches("warning: "));
        }
    }
    eprintln!("error: {error}");
    match error {
        BuildError::Interrupted => ExitCode::from(130),
        _ => ExitCode::from(2),
    }
}
