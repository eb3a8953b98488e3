//! Reports: what the user reads at the end of a run. For now, the terminal: progress while
//! running, diagnostics, and the summary line.

pub mod terminal;
