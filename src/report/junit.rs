//! JUnit XML, one test case per budget, for GitLab (`artifacts:reports:junit`), Jenkins and
//! CircleCI. No timestamps or durations: the same report gives the same bytes.

use super::{escape, name_of};
use crate::budget::{Report, Status};

pub fn render(report: &Report) -> String {
    let tests = report.checks.len();
    let failures = report.summary.failures;
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"distill budgets\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\">\n"
    ));
    out.push_str(&format!(
        "  <testsuite name=\"budgets ({})\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\">\n",
        report.compression.label()
    ));
    for check in &report.checks {
        let class = format!("distill.budgets.{}", name_of(check.kind));
        out.push_str(&format!(
            "    <testcase classname=\"{}\" name=\"{}\"",
            escape(&class),
            escape(&check.subject)
        ));
        if let Some(file) = &check.file {
            out.push_str(&format!(" file=\"{}\"", escape(file)));
        }
        match check.status {
            Status::Pass => out.push_str(&format!(
                ">\n      <system-out>{}</system-out>\n    </testcase>\n",
                escape(&check.message)
            )),
            Status::Warn => out.push_str(&format!(
                ">\n      <system-out>warning: {}</system-out>\n    </testcase>\n",
                escape(&check.message)
            )),
            Status::Fail => out.push_str(&format!(
                ">\n      <failure type=\"budget\" message=\"{0}\">{0}</failure>\n    </testcase>\n",
                escape(&check.message)
            )),
        }
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}
