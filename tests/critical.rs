//! Critical CSS: what `distill build` inlines into each page of `fixtures/critical`, how the
//! stylesheets then load, and the settings that change it.

mod common;

use std::path::Path;

use base64::Engine as _;
use sha2::Digest as _;

use common::*;

/// The text of the page's inlined `<style data-distill-critical>`, if any.
fn inlined(html: &str) -> Option<&str> {
    let start = html.find("<style data-distill-critical>")? + "<style data-distill-critical>".len();
    let end = start + html[start..].find("</style>")?;
    Some(&html[start..end])
}

/// The `url(…)`s in a CSS text.
fn urls(css: &str) -> Vec<String> {
    css.split("url(")
        .skip(1)
        .map(|rest| {
            rest[..rest.find(')').unwrap()]
                .trim_matches('"')
                .to_string()
        })
        .collect()
}

/// Resolves a relative URL written in the page at `page` (a site path).
fn resolve(page: &str, url: &str) -> String {
    let mut parts: Vec<&str> = page.split('/').collect();
    parts.pop();
    for segment in url.split('/') {
        match segment {
            ".." => {
                parts.pop();
            }
            "." => {}
            s => parts.push(s),
        }
    }
    parts.join("/")
}

fn build(config: Option<&str>) -> (tempfile::TempDir, std::path::PathBuf, String) {
    let tmp = tempfile::tempdir().unwrap();
    if let Some(config) = config {
        std::fs::write(tmp.path().join("distill.toml"), config).unwrap();
    }
    let site = fixture("critical");
    let output = distill(
        tmp.path(),
        &[
            "build",
            site.to_str().unwrap(),
            "--out",
            "out",
            "--no-budgets",
            "-v",
        ],
    );
    let log = ok(&output);
    let out = tmp.path().join("out");
    (tmp, out, log)
}

#[test]
fn each_page_gets_the_rules_it_uses_and_loads_the_sheet_after_rendering() {
    let (_tmp, out, log) = build(None);
    let names = names(&out);
    let sheet = &names["css/site.css"];

    let home = read(&out, "index.html");
    let css = inlined(&home).expect("critical CSS in index.html");
    for kept in [
        ".masthead",
        ":hover",
        "--ink",
        "font-family:Inter",
        "@font-face",
        "48em",
    ] {
        assert!(css.contains(kept), "{kept} missing from {css}");
    }
    for gone in [
        ".post-only",
        ".nowhere-used",
        "fade-in",
        "never-used",
        "print",
        "Unused",
    ] {
        assert!(!css.contains(gone), "{gone} in {css}");
    }
    // The font the rules use is preloaded (the woff2 only); the unused one is not.
    let font = &names["fonts/inter.woff2"];
    assert!(
        home.contains(&format!(
            "<link rel=\"preload\" as=\"font\" type=\"font/woff2\" crossorigin href=\"/{font}\""
        )),
        "{home}"
    );
    assert!(!home.contains("unused"), "{home}");
    assert!(!home.contains(".woff\""), "{home}");
    // The stylesheet: preloaded in the head, applied at the end of the body.
    let head_end = home.find("</head>").unwrap();
    let preload = home
        .find(&format!(
            "<link rel=\"preload\" as=\"style\" href=\"/{sheet}\""
        ))
        .expect("stylesheet preload");
    assert!(preload < head_end);
    let applied = home
        .find(&format!("<link rel=\"stylesheet\" href=\"/{sheet}\">"))
        .expect("stylesheet link");
    assert!(
        applied > home.find("</main>").unwrap()
            && home[applied..].trim_start().starts_with(&format!(
                "<link rel=\"stylesheet\" href=\"/{sheet}\"></body>"
            )),
        "{home}"
    );
    assert_eq!(home.matches("rel=\"stylesheet\"").count(), 1, "{home}");

    // The post, in a folder: its own rule too, and URLs rebased onto the page's folder.
    let post = read(&out, "blog/post.html");
    let post_css = inlined(&post).expect("critical CSS in blog/post.html");
    assert!(post_css.contains(".post-only"), "{post_css}");
    assert!(post_css.contains("@keyframes fade-in"), "{post_css}");
    let post_urls = urls(post_css);
    assert!(post_urls.len() >= 2, "{post_css}");
    for url in post_urls {
        assert!(url.starts_with("../"), "{url}");
        let path = resolve("blog/post.html", &url);
        assert!(
            out.join(&path).is_file(),
            "{url} -> {path} is not in the output"
        );
    }

    // The manifest records each inlined style's CSP hash, computed from the page's bytes.
    let manifest = manifest(&out);
    for page in ["index.html", "blog/post.html"] {
        let html = read(&out, page);
        let css = inlined(&html).unwrap();
        let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(css));
        let critical = &manifest["assets"][page]["critical"];
        assert_eq!(critical["csp"], format!("'sha256-{hash}'"), "{page}");
        assert_eq!(critical["bytes"], css.len(), "{page}");
        assert_eq!(
            critical["stylesheets"],
            serde_json::json!([sheet]),
            "{page}"
        );
        assert_eq!(critical["fonts"], serde_json::json!([font]), "{page}");
    }

    // A `<style>` after the stylesheet keeps overriding it: a copy follows the moved sheet.
    let ordered = read(&out, "ordered.html");
    assert!(inlined(&ordered).is_some(), "{ordered}");
    assert!(
        ordered.contains(&format!(
            "<link rel=\"stylesheet\" href=\"{sheet}\"><style data-distill-copy>.masthead{{background-color:#eef}}</style></body>"
        )),
        "{ordered}"
    );
    assert!(ordered.contains("<style>.masthead{background-color:#eef}</style>"));
    // Another site's stylesheet after ours: ours cannot move after it without it loading late
    // too, so the page is left alone, and the log says why.
    let external = read(&out, "external.html");
    assert!(inlined(&external).is_none(), "{external}");
    assert!(
        manifest["assets"]["external.html"]
            .get("critical")
            .is_none()
    );
    assert!(
        log.contains(&format!(
            "external.html: critical CSS not inlined: the stylesheet https://cdn.example.com/theme.css follows {sheet} and is not inlined"
        )),
        "{log}"
    );
    assert!(
        log.contains("critical CSS inlined in 3 pages (1 not: -v says why)"),
        "{log}"
    );
}

#[test]
fn media_strategy_keeps_the_order() {
    let (_tmp, out, _) = build(Some("[css]\ncritical_strategy = \"media\"\n"));
    let sheet = &names(&out)["css/site.css"];
    let ordered = read(&out, "ordered.html");
    assert!(inlined(&ordered).is_some(), "{ordered}");
    let tag = format!(
        "<link rel=\"stylesheet\" href=\"{sheet}\" media=\"print\" onload=\"this.media='all'\" data-distill-critical=\"\"><noscript data-distill-critical><link rel=\"stylesheet\" href=\"{sheet}\"></noscript>"
    );
    let at = ordered.find(&tag).unwrap_or_else(|| panic!("{ordered}"));
    // Still before the `<style>` block that overrides it.
    assert!(at < ordered.find("<style>").unwrap(), "{ordered}");
    assert!(at > ordered.find("<style data-distill-critical>").unwrap());
}

#[test]
fn over_the_limit_or_off_leaves_pages_alone() {
    let (_tmp, out, log) = build(Some("[css]\ncritical_max_bytes = \"100 B\"\n"));
    for page in ["index.html", "blog/post.html"] {
        let html = read(&out, page);
        assert!(!html.contains("data-distill-critical"), "{html}");
        assert!(
            log.contains(&format!("{page}: critical CSS not inlined: ")),
            "{log}"
        );
    }
    assert!(
        log.contains("of critical CSS is over [css] critical_max_bytes = 100 B"),
        "{log}"
    );

    let (_tmp, out, log) = build(Some("[css]\ncritical = false\n"));
    for page in [
        "index.html",
        "blog/post.html",
        "ordered.html",
        "external.html",
    ] {
        assert!(!read(&out, page).contains("data-distill-critical"));
    }
    assert!(!log.contains("critical CSS"), "{log}");

    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("distill.toml"),
        "[css]\ncritical_strategy = \"async\"\n",
    )
    .unwrap();
    let site = fixture("critical");
    let output = distill(
        tmp.path(),
        &["build", site.to_str().unwrap(), "--out", "out"],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("[css] critical_strategy must be \"body\" or \"media\""),
        "{}",
        stderr(&output)
    );
}

#[test]
fn building_the_output_again_replaces_the_critical_css() {
    let (tmp, out, _) = build(None);
    let first = read(&out, "index.html");
    // Again with another strategy, in place: one inlined style, the sheet swapped by media.
    std::fs::write(
        tmp.path().join("distill.toml"),
        "[css]\ncritical_strategy = \"media\"\n",
    )
    .unwrap();
    ok(&distill(tmp.path(), &["build", "out", "--no-budgets"]));
    let media = read(&out, "index.html");
    assert_eq!(
        media.matches("<style data-distill-critical>").count(),
        1,
        "{media}"
    );
    assert!(!media.contains("as=\"style\""), "{media}");
    assert!(media.contains("onload=\"this.media='all'\""), "{media}");
    // And back: the same page as the first build.
    std::fs::remove_file(tmp.path().join("distill.toml")).unwrap();
    ok(&distill(tmp.path(), &["build", "out", "--no-budgets"]));
    assert_eq!(read(&out, "index.html"), first);
    assert!(Path::new(&out).join(".distill/manifest.json").is_file());
}

#[test]
fn csp_lines_in_headers_match_the_manifest() {
    let (_tmp, out, _) = build(Some("[headers]\ncsp = true\n"));
    let headers = read(&out, "_headers");
    let manifest = manifest(&out);
    for (page, urls) in [
        ("index.html", &["/"][..]),
        ("blog/post.html", &["/blog/post", "/blog/post.html"][..]),
    ] {
        let style_src = manifest["assets"][page]["critical"]["style_src"]
            .as_str()
            .unwrap();
        let hash = manifest["assets"][page]["critical"]["csp"]
            .as_str()
            .unwrap();
        assert_eq!(style_src, format!("style-src 'self' {hash}"));
        for url in urls {
            let rule = format!(
                "{url}\n  Cache-Control: public, max-age=0, must-revalidate\n  Content-Security-Policy: {style_src}\n"
            );
            assert!(headers.contains(&rule), "{rule} not in {headers}");
        }
    }
    // Not inlined, no policy.
    assert!(
        !headers
            .contains("/external\n  Cache-Control: public, max-age=0, must-revalidate\n  Content")
    );
    assert_eq!(
        headers.matches("Content-Security-Policy").count(),
        5,
        "{headers}"
    );
    // Off by default.
    let (_tmp, out, _) = build(None);
    assert!(!read(&out, "_headers").contains("Content-Security-Policy"));
}

/// Purging (on by default) cuts rules no page can use from the stylesheet's text before
/// the rest of the pipeline reads it: what only they referenced is no longer a reference of
/// the sheet, and the report lists their selectors.
#[test]
fn purged_rules_take_their_references_with_them() {
    let (tmp, out, log) = build(None);
    let manifest = manifest(&out);
    let references = &manifest["assets"]["css/site.css"]["references"]["asset"];
    let references: Vec<&str> = references
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert!(references.contains(&"img/logo.svg"), "{references:?}");
    assert!(!references.contains(&"img/unused-bg.svg"), "{references:?}");
    let css = read(&out, &names(&out)["css/site.css"]);
    assert!(
        !css.contains("nowhere-used") && !css.contains("unused-bg"),
        "{css}"
    );
    assert!(css.contains(".post-only"), "{css}");
    assert!(log.contains("unused CSS selector"), "{log}");
    // The same build without purging references both.
    drop(tmp);
    let (_tmp, out, _) = build(Some("[css]\npurge = false\n"));
    let references =
        common::manifest(&out)["assets"]["css/site.css"]["references"]["asset"].to_string();
    assert!(references.contains("img/unused-bg.svg"), "{references}");
}

/// A selector the selector engine cannot parse (a vendor pseudo-class it does not know) is
/// kept, and said: a note names the sheet and the JSON report lists it.
#[test]
fn unparsed_selectors_are_kept_and_listed() {
    let (tmp, out, log) = build(None);
    assert!(
        log.contains(
            "css/site.css: 1 selector kept unpurged: the selector engine cannot parse it (e.g. .post-only:-moz-placeholder-shown)"
        ),
        "{log}"
    );
    let css = read(&out, &names(&out)["css/site.css"]);
    assert!(css.contains(".post-only:-moz-placeholder-shown"), "{css}");
    drop(tmp);
    let tmp = tempfile::tempdir().unwrap();
    let site = fixture("critical");
    ok(&distill(
        tmp.path(),
        &[
            "build",
            site.to_str().unwrap(),
            "--out",
            "out",
            "--report",
            "json=r.json",
        ],
    ));
    let report: serde_json::Value = serde_json::from_str(&read(tmp.path(), "r.json")).unwrap();
    assert_eq!(
        report["css_unparsed"]["css/site.css"],
        serde_json::json!([".post-only:-moz-placeholder-shown"])
    );
}
