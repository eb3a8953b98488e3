//! Errors that stop a run, and diagnostics that are collected while it goes on.
//!
//! One bad asset is a [`Diagnostic`], never an abort: the stages collect them, the run finishes,
//! and the caller decides the exit code (under `--strict`, asset problems fail the run).

use std::fmt;
use std::path::{Path, PathBuf};

/// An error that stops the run. Every variant names the path it is about.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{}: {message}", path.display())]
    Config { path: PathBuf, message: String },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: {message}", path.display())]
    Input { path: PathBuf, message: String },
    #[error(
        "{} file(s) cannot be read, so the output would be incomplete; nothing was written:{}",
        files.len(),
        files.iter().map(|(p, why)| format!("\n  {}: {why}", p.display())).collect::<String>()
    )]
    Unreadable { files: Vec<(PathBuf, String)> },
    #[error("interrupted; the input was left as it was")]
    Interrupted,
    #[error("{} problem(s) under --strict; nothing was written", diagnostics.len())]
    Strict { diagnostics: Vec<Diagnostic> },
}

impl Error {
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        Error::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    pub fn input(path: &Path, message: impl Into<String>) -> Self {
        Error::Input {
            path: path.to_path_buf(),
            message: message.into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Worth knowing; never fails a run.
    Note,
    /// An asset problem: the run goes on, `--strict` makes it fail.
    Warning,
}

/// A problem with one file, located as precisely as the parser allowed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Diagnostic {
    /// Site-relative path with `/` separators.
    pub path: String,
    pub line: Option<u32>,
    pub severity: Severity,
    pub message: String,
}

impl Diagnostic {
    pub fn warning(path: &str, line: Option<u32>, message: impl Into<String>) -> Self {
        Diagnostic {
            path: path.to_string(),
            line,
            severity: Severity::Warning,
            message: message.into(),
        }
    }

    pub fn note(path: &str, line: Option<u32>, message: impl Into<String>) -> Self {
        Diagnostic {
            path: path.to_string(),
            line,
            severity: Severity::Note,
            message: message.into(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = match self.severity {
            Severity::Note => "note",
            Severity::Warning => "warning",
        };
        match self.line {
            Some(line) => write!(f, "{label}: {}:{line}: {}", self.path, self.message),
            None => write!(f, "{label}: {}: {}", self.path, self.message),
        }
    }
}
