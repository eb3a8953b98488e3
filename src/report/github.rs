//! GitHub Actions workflow commands: an `::error` or `::warning` annotation per budget over
//! its limit, naming the file, so the failure shows on the run's summary and the pull request.
//! (The Markdown report goes to `$GITHUB_STEP_SUMMARY`; see `report::emit`.)

use crate::budget::{Report, Status};

pub fn annotations(report: &Report) -> String {
    let mut out = String::new();
    for check in &report.checks {
        let level = match check.status {
            Status::Fail => "error",
            Status::Warn => "warning",
            Status::Pass => continue,
        };
        let mut properties = vec![format!("title={}", property("distill budget"))];
        if let Some(file) = &check.file {
            properties.insert(0, format!("file={}", property(file)));
        }
        out.push_str(&format!(
            "::{level} {}::{}\n",
            properties.join(","),
            data(&check.message)
        ));
    }
    out
}

/// Escaping of a command's message, as `@actions/core` does it.
fn data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escaping of a property value, which also may not hold `:` or `,`.
fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_actions_core() {
        assert_eq!(data("50% off\nnow"), "50%25 off%0Anow");
        assert_eq!(property("a:b,c"), "a%3Ab%2Cc");
    }
}
