//! The JSON report: [`Report`] as it is (schema in README.md, `version` field). Stable:
//! everything is sorted and nothing depends on the time, so it diffs cleanly and serves as the
//! next build's `--baseline`.

use crate::budget::Report;

pub fn render(report: &Report) -> String {
    let mut text = serde_json::to_string_pretty(report).expect("report serializes");
    text.push('\n');
    text
}
