//! A self-contained HTML report to open locally: no network, no external file. Rendered here
//! (numbers are in the markup, so it reads without JavaScript); a small inline script only sorts
//! the tables when a heading is clicked.
//!
//! Each bundle is a bar of its files, scaled to the larger of its size and its budget, with the
//! budget drawn as a line; failures first, with the baseline change; then every page and every
//! file in sortable tables.

use std::collections::HashMap;

use super::{Row, change, escape, name_of, plural, rows, verdict};
use crate::budget::{Report, Status, kb};

const STYLE: &str = r#"
:root{--fail:#c62828;--warn:#b26a00;--pass:#2e7d32;--ink:#1d1d1f;--muted:#6e6e73;--line:#d2d2d7}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--ink);margin:0 auto;max-width:72rem;padding:1.5rem}
h1{font-size:1.5rem;margin:.2rem 0}h2{font-size:1.15rem;margin:2rem 0 .6rem}
.muted{color:var(--muted)}
.fail{color:var(--fail)}.warn{color:var(--warn)}.pass{color:var(--pass)}
ul.checks{padding-left:1.2rem}ul.checks li{margin:.25rem 0}
.bundle{margin:0 0 1.1rem}
.bundle .head{display:flex;justify-content:space-between;gap:1rem;flex-wrap:wrap}
.bundle .name{font-weight:600}
.track{position:relative;height:1.4rem;background:#f2f2f5;border-radius:4px;margin-top:.3rem}
.bar{position:absolute;inset:0 auto 0 0;display:flex;overflow:hidden;border-radius:4px}
.seg{height:100%;border-right:1px solid #fff;min-width:1px}
.limit{position:absolute;top:-.25rem;bottom:-.25rem;width:2px;background:var(--ink)}
table{border-collapse:collapse;width:100%}
th,td{padding:.3rem .5rem;border-bottom:1px solid var(--line);text-align:left;white-space:nowrap}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
th{cursor:pointer;user-select:none;position:sticky;top:0;background:#fff}
th[aria-sort=ascending]::after{content:" ▲"}th[aria-sort=descending]::after{content:" ▼"}
td.name{white-space:normal;word-break:break-all}
"#;

/// Segment colours by file type.
fn colour(name: &str) -> &'static str {
    let ext = name.rsplit('.').next().unwrap_or("");
    match ext {
        "js" | "mjs" | "cjs" => "#f0b429",
        "css" => "#3d7dd8",
        "woff2" | "woff" | "ttf" | "otf" => "#9c6ade",
        "html" => "#e4572e",
        _ => "#5bb58c",
    }
}

const SCRIPT: &str = r#"
for (const table of document.querySelectorAll("table[data-sortable]")) {
  const heads = [...table.tHead.rows[0].cells];
  heads.forEach((th, col) => th.addEventListener("click", () => {
    const asc = th.getAttribute("aria-sort") !== "ascending";
    heads.forEach((h) => h.removeAttribute("aria-sort"));
    th.setAttribute("aria-sort", asc ? "ascending" : "descending");
    const numeric = th.classList.contains("num");
    const key = (row) => {
      const cell = row.cells[col];
      return numeric ? Number(cell.dataset.value ?? 0) : cell.textContent;
    };
    const rows = [...table.tBodies[0].rows];
    rows.sort((a, b) => {
      const x = key(a), y = key(b);
      const c = numeric ? x - y : x.localeCompare(y);
      return asc ? c : -c;
    });
    table.tBodies[0].append(...rows);
  }));
}
"#;

pub fn render(report: &Report) -> String {
    let s = &report.summary;
    let unit = report.compression.label();
    let mut out = String::from(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>distill report</title>\n",
    );
    out.push_str(&format!("<style>{STYLE}</style>\n</head>\n<body>\n"));
    out.push_str(&format!(
        "<header><h1 id=\"status\" class=\"{0}\" data-status=\"{0}\">distill: {1}</h1>\n",
        name_of(report.status),
        escape(&verdict(report))
    ));
    let mut line = format!(
        "{} page{}, {} files, {} ({} {unit}); budgets compare {unit} sizes",
        s.pages,
        plural(s.pages),
        s.files,
        kb(s.total.size),
        kb(s.total.of(report.compression))
    );
    if let Some(b) = &report.baseline {
        line.push_str(&format!(
            "; {} against the baseline, {} added, {} removed",
            change(Some(b.total), s.total, report),
            b.added.len(),
            b.removed.len()
        ));
    }
    out.push_str(&format!(
        "<p class=\"muted\">{}. {}</p></header>\n",
        escape(&line),
        escape(&report.generator)
    ));

    let problems: Vec<_> = report
        .checks
        .iter()
        .filter(|c| c.status != Status::Pass)
        .collect();
    if !problems.is_empty() {
        out.push_str("<h2>Budgets over their limit</h2>\n<ul class=\"checks\">\n");
        for c in problems {
            out.push_str(&format!(
                "<li class=\"{0}\" data-status=\"{0}\">{1}</li>\n",
                name_of(c.status),
                escape(&c.message)
            ));
        }
        out.push_str("</ul>\n");
    }

    out.push_str("<h2>Bundles</h2>\n");
    let sizes: HashMap<&str, u64> = report
        .files
        .iter()
        .map(|f| (f.name.as_str(), f.bytes.of(report.compression)))
        .collect();
    for row in rows(report) {
        bundle(&mut out, &row, report, &sizes);
    }

    out.push_str("<h2>Pages</h2>\n<table id=\"pages\" data-sortable>\n<thead><tr><th>Page</th>");
    out.push_str(&format!(
        "<th class=\"num\">Main ({unit})</th><th class=\"num\">Routes</th><th class=\"num\">Routes ({unit})</th><th class=\"num\">Images</th><th class=\"num\">Fonts</th></tr></thead>\n<tbody>\n"
    ));
    for page in &report.pages {
        let main = page
            .bundles
            .iter()
            .find(|b| b.kind == crate::budget::BundleKind::Main)
            .map_or(0, |b| b.bytes.of(report.compression));
        let routes: Vec<_> = page
            .bundles
            .iter()
            .filter(|b| b.kind == crate::budget::BundleKind::Route)
            .collect();
        let route_bytes: u64 = routes.iter().map(|b| b.bytes.of(report.compression)).sum();
        out.push_str(&format!(
            "<tr><td class=\"name\">{}</td>{}<td class=\"num\" data-value=\"{}\">{}</td>{}{}{}</tr>\n",
            escape(&page.page),
            num(main),
            routes.len(),
            routes.len(),
            num(route_bytes),
            num(page.images.size),
            num(page.fonts.size)
        ));
    }
    out.push_str("</tbody>\n</table>\n");
    weights(&mut out, report);

    out.push_str("<h2>Files</h2>\n<table id=\"files\" data-sortable>\n<thead><tr><th>File</th><th>Type</th><th class=\"num\">Size</th><th class=\"num\">gzip</th><th class=\"num\">brotli</th>");
    let with_change = report.baseline.is_some();
    if with_change {
        out.push_str("<th class=\"num\">Change</th>");
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for f in &report.files {
        out.push_str(&format!(
            "<tr data-name=\"{}\"><td class=\"name\" title=\"{}\">{}</td><td>{}</td>{}{}{}",
            escape(&f.name),
            escape(&f.file),
            escape(&f.name),
            name_of(f.kind),
            num(f.bytes.size),
            num(f.bytes.gzip),
            num(f.bytes.brotli)
        ));
        if with_change {
            let delta = f.baseline.map_or(0, |b| {
                f.bytes.of(report.compression) as i64 - b.of(report.compression) as i64
            });
            out.push_str(&format!(
                "<td class=\"num\" data-value=\"{delta}\">{}</td>",
                escape(&change(f.baseline, f.bytes, report))
            ));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
    out.push_str(&format!("<script>{SCRIPT}</script>\n</body>\n</html>\n"));
    out
}

/// Each page's images and fonts at each viewport, with every file counted and why.
fn weights(out: &mut String, report: &Report) {
    let Some(line) = super::viewports_line(report) else {
        return;
    };
    out.push_str(&format!(
        "<h2>Page weights</h2>\n<p id=\"viewports\">{}</p>\n<table id=\"weights\" data-sortable>\n<thead><tr><th>Page</th><th>Viewport</th><th class=\"num\">Images</th><th class=\"num\">On scroll</th><th class=\"num\">Fonts</th><th>Counted</th></tr></thead>\n<tbody>\n",
        escape(&line)
    ));
    for page in &report.pages {
        for w in &page.viewports {
            let counted: Vec<String> = w
                .counted
                .iter()
                .map(|c| {
                    format!(
                        "<li data-bytes=\"{}\">{} {}{} — {}</li>",
                        c.bytes,
                        escape(&c.name),
                        escape(&crate::budget::kb(c.bytes)),
                        if c.on_scroll { " (on scroll)" } else { "" },
                        escape(&c.why)
                    )
                })
                .collect();
            out.push_str(&format!(
                "<tr class=\"weight\" data-page=\"{}\" data-viewport=\"{}\"><td class=\"name\">{}</td><td>{}</td>{}{}{}<td><details><summary>{} file{}</summary><ul>{}</ul></details></td></tr>\n",
                escape(&page.page),
                escape(&w.viewport),
                escape(&page.page),
                escape(&w.viewport),
                num(w.images),
                num(w.images_on_scroll),
                num(w.fonts),
                w.counted.len(),
                super::plural(w.counted.len()),
                counted.join("")
            ));
        }
    }
    out.push_str("</tbody>\n</table>\n");
}

/// One bundle: heading, the bar of its files and its budget line.
fn bundle(out: &mut String, row: &Row, report: &Report, sizes: &HashMap<&str, u64>) {
    let value = row.bundle.bytes.of(report.compression);
    let limit = row.limit();
    let scale = limit.unwrap_or(0).max(value).max(1) as f64;
    let status = row.status().map_or("none".to_string(), name_of);
    out.push_str(&format!(
        "<div class=\"bundle\" data-id=\"{}\" data-value=\"{value}\" data-status=\"{status}\"{}>\n",
        escape(&row.bundle.id),
        limit.map_or(String::new(), |l| format!(" data-limit=\"{l}\""))
    ));
    let budget = match limit {
        Some(l) => format!(" of {}", kb(l)),
        None => String::new(),
    };
    let delta = change(row.bundle.baseline, row.bundle.bytes, report);
    out.push_str(&format!(
        "<div class=\"head\"><span><span class=\"name {status}\">{}</span> <span class=\"muted\">{}</span></span><span>{} {}{}{}</span></div>\n",
        escape(&row.name()),
        escape(&row.pages_label()),
        kb(value),
        report.compression.label(),
        escape(&budget),
        if delta.is_empty() {
            String::new()
        } else {
            format!(" <span class=\"muted\">({})</span>", escape(&delta))
        }
    ));
    out.push_str("<div class=\"track\">");
    out.push_str(&format!(
        "<div class=\"bar\" style=\"width:{:.2}%\">",
        value as f64 * 100.0 / scale
    ));
    // Files in the bundle's order (largest first); the report keeps their sizes per file.
    for name in &row.bundle.files {
        let bytes = sizes.get(name.as_str()).copied().unwrap_or(0);
        let width = if value == 0 {
            0.0
        } else {
            bytes as f64 * 100.0 / value as f64
        };
        out.push_str(&format!(
            "<span class=\"seg\" style=\"width:{width:.2}%;background:{}\" title=\"{} {}\" data-value=\"{bytes}\"></span>",
            colour(name),
            escape(name),
            kb(bytes)
        ));
    }
    out.push_str("</div>");
    if let Some(l) = limit {
        out.push_str(&format!(
            "<div class=\"limit\" style=\"left:{:.2}%\" title=\"budget {}\"></div>",
            l as f64 * 100.0 / scale,
            kb(l)
        ));
    }
    out.push_str("</div>\n</div>\n");
}

fn num(bytes: u64) -> String {
    format!(
        "<td class=\"num\" data-value=\"{bytes}\">{}</td>",
        kb(bytes)
    )
}
