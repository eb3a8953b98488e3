//! Markdown for a pull-request comment (and GitHub's step summary): a summary line, failures
//! first, a table of bundles with their change against the baseline, and the details folded.

use super::plural;
use crate::budget::{Report, Status, kb};

/// Marks the comment so a workflow can find and update its earlier comment.
pub const MARKER: &str = "<!-- distill-report -->";

pub fn render(report: &Report) -> String {
    let mut out = format!("{MARKER}\n");
    let s = &report.summary;
    let icon = status_icon(report.status);
    out.push_str(&format!(
        "### {icon} distill: {}\n\n{} page{}, {} file{}, {} ({} {})",
        super::verdict(report),
        s.pages,
        plural(s.pages),
        s.files,
        plural(s.files),
        kb(s.total.size),
        kb(s.total.of(report.compression)),
        report.compression.label()
    ));
    if let Some(b) = &report.baseline {
        out.push_str(&format!(
            "; {} against the baseline, {} file{} added, {} removed",
            super::change(Some(b.total), s.total, report),
            b.added.len(),
            plural(b.added.len()),
            b.removed.len()
        ));
    }
    out.push_str(".\n\n");

    let problems: Vec<_> = report
        .checks
        .iter()
        .filter(|c| c.status != Status::Pass)
        .collect();
    for check in &problems {
        out.push_str(&format!(
            "- {} {}\n",
            status_icon(check.status),
            cell(&check.message)
        ));
    }
    if !problems.is_empty() {
        out.push('\n');
    }

    let rows = super::rows(report);
    if !rows.is_empty() {
        let with_change = report.baseline.is_some();
        out.push_str(&format!(
            "| | Bundle | Pages | Size | {} | Budget |{}\n|---|---|---|--:|--:|--:|{}\n",
            report.compression.label(),
            if with_change { " Change |" } else { "" },
            if with_change { "--:|" } else { "" },
        ));
        for row in &rows {
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} |",
                row.status().map(status_icon).unwrap_or(""),
                cell(&row.name()),
                cell(&row.pages_label()),
                kb(row.bundle.bytes.size),
                kb(row.bundle.bytes.of(report.compression)),
                row.limit().map(kb).unwrap_or_default(),
            ));
            if with_change {
                out.push_str(&format!(
                    " {} |",
                    super::change(row.bundle.baseline, row.bundle.bytes, report)
                ));
            }
            out.push('\n');
        }
        out.push('\n');
    }

    out.push_str(&weights(report));

    // Files: changed ones when there is a baseline, otherwise the largest.
    let mut files: Vec<_> = report
        .files
        .iter()
        .filter(|f| f.kind != crate::discover::Kind::SourceMap)
        .filter(|f| report.baseline.is_none() || f.baseline != Some(f.bytes))
        .collect();
    files.sort_by_key(|f| {
        let now = f.bytes.of(report.compression) as i64;
        let before = f.baseline.map_or(0, |b| b.of(report.compression) as i64);
        (std::cmp::Reverse((now - before).abs()), f.name.clone())
    });
    const MAX_FILES: usize = 50;
    if !files.is_empty() {
        let title = if report.baseline.is_some() {
            "Changed files"
        } else {
            "Largest files"
        };
        let with_change = report.baseline.is_some();
        out.push_str(&format!(
            "<details><summary>{title} ({})</summary>\n\n| File | Size | {} |{}\n|---|--:|--:|{}\n",
            files.len(),
            report.compression.label(),
            if with_change { " Change |" } else { "" },
            if with_change { "--:|" } else { "" },
        ));
        for f in files.iter().take(MAX_FILES) {
            out.push_str(&format!(
                "| {} | {} | {} |",
                cell(&f.name),
                kb(f.bytes.size),
                kb(f.bytes.of(report.compression)),
            ));
            if with_change {
                out.push_str(&format!(
                    " {} |",
                    super::change(f.baseline, f.bytes, report)
                ));
            }
            out.push('\n');
        }
        if files.len() > MAX_FILES {
            out.push_str(&format!(
                "\n…and {} more (see the JSON report).\n",
                files.len() - MAX_FILES
            ));
        }
        out.push_str("\n</details>\n");
    }
    if let Some(b) = &report.baseline
        && !(b.added.is_empty() && b.removed.is_empty())
    {
        out.push_str("<details><summary>Added and removed files</summary>\n\n");
        for name in &b.added {
            out.push_str(&format!("- added `{}`\n", name));
        }
        for name in &b.removed {
            out.push_str(&format!("- removed `{}`\n", name));
        }
        out.push_str("\n</details>\n");
    }
    out
}

/// Folded: each page's images and fonts at each viewport.
fn weights(report: &Report) -> String {
    let Some(line) = super::viewports_line(report) else {
        return String::new();
    };
    let mut out = format!(
        "<details><summary>Page weights: {}</summary>\n\n| Page | Viewport | Images | On scroll | Fonts |\n|---|---|--:|--:|--:|\n",
        cell(&line)
    );
    for page in &report.pages {
        for w in &page.viewports {
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} |\n",
                cell(&page.page),
                cell(&w.viewport),
                kb(w.images),
                kb(w.images_on_scroll),
                kb(w.fonts)
            ));
        }
    }
    out.push_str("\n</details>\n");
    out
}

fn status_icon(status: Status) -> &'static str {
    match status {
        Status::Fail => "❌",
        Status::Warn => "⚠️",
        Status::Pass => "✅",
    }
}

/// Text safe inside a table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}
