//! End-to-end tests of `distill build`: the real binary on the fixtures in `fixtures/`.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::*;

fn is_hashed_name(name: &str, stem: &str, ext: &str) -> bool {
    let Some(rest) = name.strip_prefix(&format!("{stem}.")) else {
        return false;
    };
    let Some(hash) = rest.strip_suffix(ext) else {
        return false;
    };
    hash.len() == 8
        && hash
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

/// Builds fixtures/site into a fresh OUT folder; returns (guard, out path).
fn build_site() -> (tempfile::TempDir, std::path::PathBuf) {
    let (tmp, site) = copy_fixture("site");
    let out = tmp.path().join("out");
    ok(&distill(
        tmp.path(),
        &["build", site.to_str().unwrap(), "--out", "out"],
    ));
    (tmp, out)
}

#[test]
fn assets_get_content_hashes_and_html_keeps_its_name() {
    let (_tmp, out) = build_site();
    let names = names(&out);
    let name_of = |p: &str| names[p].rsplit('/').next().unwrap().to_string();
    assert!(is_hashed_name(
        &name_of("assets/shared.js"),
        "shared",
        ".js"
    ));
    assert!(is_hashed_name(
        &name_of("assets/style.css"),
        "style",
        ".css"
    ));
    assert!(is_hashed_name(&name_of("img/photo.jpg"), "photo", ".jpg"));
    assert!(is_hashed_name(
        &name_of("fonts/inter.woff2"),
        "inter",
        ".woff2"
    ));
    // The bundler's hash is replaced, not stacked.
    assert!(is_hashed_name(
        &name_of("assets/app-BkD3c1xS.js"),
        "app",
        ".js"
    ));
    assert!(is_hashed_name(
        &name_of("assets/app-BkD3c1xS.js.map"),
        "app",
        ".js.map"
    ));
    assert_eq!(names["index.html"], "index.html");
    assert_eq!(names["about/index.html"], "about/index.html");
    // Every output named by the manifest exists, and nothing else was left behind.
    let files = tree(&out);
    for path in names.values() {
        assert!(files.contains_key(path), "{path} missing");
    }
    assert!(!files.contains_key("assets/shared.js"));
}

#[test]
fn default_keep_names_are_respected() {
    let (_tmp, out) = build_site();
    let names = names(&out);
    for kept in [
        "robots.txt",
        "favicon.ico",
        "sw.js",
        "site.webmanifest",
        ".well-known/security.txt",
        "sitemap.xml",
        "_headers",
    ] {
        assert_eq!(names[kept], kept, "{kept} must keep its name");
        assert!(out.join(kept).is_file());
    }
}

#[test]
fn configured_keep_names_are_respected() {
    let (tmp, site) = copy_fixture("site");
    std::fs::write(
        tmp.path().join("distill.toml"),
        "[hash]\nkeep_names = [\"files/**\"]\n",
    )
    .unwrap();
    ok(&distill(
        tmp.path(),
        &["build", site.to_str().unwrap(), "--out", "out"],
    ));
    let names = names(&tmp.path().join("out"));
    assert_eq!(names["files/report.pdf"], "files/report.pdf");
    assert_ne!(names["img/photo.jpg"], "img/photo.jpg");
}

/// Every reference the manifest records resolves to a file in the output, the referencing
/// file spells the target's new name, and no old name of a renamed file is left anywhere.
#[test]
fn every_reference_resolves_to_an_existing_file() {
    let (_tmp, out) = build_site();
    let manifest = manifest(&out);
    let assets = manifest["assets"].as_object().unwrap();
    let mut checked = 0;
    for (original, asset) in assets {
        let Some(refs) = asset["references"].as_object() else {
            continue;
        };
        let text = read(&out, asset["file"].as_str().unwrap());
        for targets in refs.values() {
            for target in targets.as_array().unwrap() {
                let target = target.as_str().unwrap();
                let new_path = assets[target]["file"].as_str().unwrap();
                assert!(out.join(new_path).is_file(), "{original} -> {new_path}");
                if new_path == target {
                    continue; // not renamed: nothing to spell differently
                }
                let new_name = new_path.rsplit('/').next().unwrap();
                let spelled = new_name.replace(' ', "%20");
                assert!(
                    text.contains(new_name) || text.contains(&spelled),
                    "{original} does not name {new_name}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 30, "only {checked} references checked");
    // Old names of renamed files appear in no text file of the output (source maps excepted:
    // their `file` field is informational).
    let renamed: Vec<(String, String)> = assets
        .iter()
        .filter(|(k, v)| v["file"].as_str().unwrap() != k.as_str())
        .map(|(k, _)| (k.rsplit('/').next().unwrap().to_string(), k.clone()))
        .collect();
    for (path, bytes) in tree(&out) {
        if path.ends_with(".map") || path.starts_with(".distill") {
            continue;
        }
        let Ok(text) = String::from_utf8(bytes) else {
            continue;
        };
        for (old_name, original) in &renamed {
            let quoted = [
                format!("/{old_name}\""),
                format!("\"{old_name}\""),
                format!("/{old_name})"),
            ];
            assert!(
                quoted.iter().all(|q| !text.contains(q.as_str())),
                "{path} still names {original}"
            );
        }
    }
}

#[test]
fn each_reference_form_is_rewritten() {
    let (_tmp, out) = build_site();
    let n = names(&out);
    let name = |p: &str| n[p].rsplit('/').next().unwrap().to_string();
    let index = read(&out, "index.html");
    for expected in [
        format!("content=\"/img/{}\"", name("img/photo.jpg")),
        format!("href=\"/assets/{}\"", name("assets/style.css")),
        format!("href=\"/assets/{}\"", name("assets/shared.js")),
        format!("href=\"/fonts/{}\"", name("fonts/inter.woff2")),
        format!("\"shared\":\"/assets/{}\"", name("assets/shared.js")),
        format!("src=\"/assets/{}\"", name("assets/app-BkD3c1xS.js")),
        format!("import \"/assets/{}\"", name("assets/route.js")),
        format!("url(img/{})", name("img/bg.png")),
        format!(
            "srcset=\"img/{} 96w, img/{} 48w\"",
            name("img/photo.jpg"),
            name("img/my photo.jpg").replace(' ', "%20")
        ),
        format!("href=\"files/{}\"", name("files/report.pdf")),
        format!("href=\"/img/{}#icon\"", name("img/logo.svg")),
        "href=\"/about/\"".to_string(),
        "src=\"https://cdn.example.com/remote.png\"".to_string(),
        "register(\"/sw.js\")".to_string(),
        "href=\"/favicon.ico\"".to_string(),
    ] {
        assert!(
            index.contains(&expected),
            "index.html lacks {expected}\n{index}"
        );
    }
    let app = read(&out, &n["assets/app-BkD3c1xS.js"]);
    for expected in [
        format!("from \"./{}\"", name("assets/shared.js")),
        format!("from \"./{}\"", name("assets/cycle-b.js")),
        format!("import(\"./{}\")", name("assets/route.js")),
        format!(
            "new URL(\"../files/{}\", import.meta.url)",
            name("files/report.pdf")
        ),
        format!("\"/img/{}\"", name("img/logo.svg")),
        format!(
            "//# sourceMappingURL={}",
            name("assets/app-BkD3c1xS.js.map")
        ),
    ] {
        assert!(app.contains(&expected), "app lacks {expected}\n{app}");
    }
    let css = read(&out, &n["assets/style.css"]);
    for expected in [
        format!("@import \"./{}\"", name("assets/base.css")),
        format!("url(../fonts/{})", name("fonts/inter.woff2")),
        format!("\"../img/{}\" 1x", name("img/bg.png")),
        format!("\"../img/{}\" 2x", name("img/photo.jpg")),
    ] {
        assert!(css.contains(&expected), "css lacks {expected}\n{css}");
    }
    let manifest = read(&out, "site.webmanifest");
    assert!(manifest.contains(&format!("\"/img/{}\"", name("img/bg.png"))));
}

#[test]
fn js_manifest_entries_list_static_and_dynamic_imports() {
    let (_tmp, out) = build_site();
    let m = manifest(&out);
    let app = &m["assets"]["assets/app-BkD3c1xS.js"];
    assert_eq!(app["type"], "js");
    assert_eq!(
        app["references"]["import"],
        serde_json::json!(["assets/cycle-a.js", "assets/cycle-b.js", "assets/shared.js"])
    );
    assert_eq!(
        app["references"]["dynamic_import"],
        serde_json::json!(["assets/route.js"])
    );
    assert!(app["integrity"].as_str().unwrap().starts_with("sha384-"));
    let size = app["size"].as_u64().unwrap();
    assert_eq!(
        size,
        std::fs::metadata(out.join(app["file"].as_str().unwrap()))
            .unwrap()
            .len()
    );
    assert!(app["gzip"].as_u64().unwrap() > 0 && app["brotli"].as_u64().unwrap() > 0);
    // Already-compressed formats are not measured compressed.
    assert!(m["assets"]["img/photo.jpg"].get("gzip").is_none());
}

#[test]
fn manifest_snapshot() {
    let (_tmp, out) = build_site();
    insta::assert_snapshot!(read(&out, ".distill/manifest.json"));
}

#[test]
fn headers_merge_user_rules_and_use_splats() {
    let (_tmp, out) = build_site();
    let headers = read(&out, "_headers");
    assert!(
        headers.starts_with("/*\n  X-Frame-Options: DENY\n"),
        "{headers}"
    );
    let immutable = "  Cache-Control: public, max-age=31536000, immutable";
    let revalidate = "  Cache-Control: public, max-age=0, must-revalidate";
    for splat in ["/assets/*", "/fonts/*", "/img/*", "/files/*"] {
        assert!(
            headers.contains(&format!("{splat}\n{immutable}\n")),
            "{splat}\n{headers}"
        );
    }
    for page in ["/\n", "/about/\n", "/robots.txt\n", "/sw.js\n"] {
        assert!(
            headers.contains(&format!("{page}{revalidate}\n")),
            "{page}\n{headers}"
        );
    }
    let rules = headers.lines().filter(|l| l.starts_with('/')).count();
    assert!(rules <= 100);
    insta::assert_snapshot!(headers);
}

#[test]
fn content_change_renames_the_file_and_its_importers_only() {
    let (tmp, site) = copy_fixture("site");
    ok(&distill(
        tmp.path(),
        &["build", site.to_str().unwrap(), "--out", "a"],
    ));
    std::fs::write(
        site.join("assets/shared.js"),
        "export function greet() { console.log('changed'); }\n",
    )
    .unwrap();
    ok(&distill(
        tmp.path(),
        &["build", site.to_str().unwrap(), "--out", "b"],
    ));
    let before = names(&tmp.path().join("a"));
    let after = names(&tmp.path().join("b"));
    let changed: BTreeSet<&str> = before
        .keys()
        .filter(|k| before[*k] != after[*k])
        .map(String::as_str)
        .collect();
    // shared.js changed; app and route import it; the app's source map names the app? no:
    // nothing else references shared.js, so nothing else moves.
    assert_eq!(
        changed,
        BTreeSet::from([
            "assets/shared.js",
            "assets/app-BkD3c1xS.js",
            "assets/route.js"
        ])
    );
    // The HTML that loads them is rewritten to the new names.
    let index = read(&tmp.path().join("b"), "index.html");
    assert!(index.contains(after["assets/shared.js"].as_str()));
}

#[test]
fn a_cycle_is_hashed_together() {
    let (tmp, site) = copy_fixture("site");
    ok(&distill(
        tmp.path(),
        &["build", site.to_str().unwrap(), "--out", "a"],
    ));
    let before = names(&tmp.path().join("a"));
    let hash_of = |p: &str| p.rsplit('.').nth(1).unwrap().to_string();
    assert_eq!(
        hash_of(&before["assets/cycle-a.js"]),
        hash_of(&before["assets/cycle-b.js"])
    );
    std::fs::write(
        site.join("assets/cycle-b.js"),
        "import { a } from \"./cycle-a.js\";\nexport const b = () => a();\n",
    )
    .unwrap();
    ok(&distill(
        tmp.path(),
        &["build", site.to_str().unwrap(), "--out", "b"],
    ));
    let after = names(&tmp.path().join("b"));
    // Changing one member renames both (each names the other).
    assert_ne!(before["assets/cycle-a.js"], after["assets/cycle-a.js"]);
    assert_ne!(before["assets/cycle-b.js"], after["assets/cycle-b.js"]);
    let a = read(&tmp.path().join("b"), &after["assets/cycle-a.js"]);
    assert!(a.contains(after["assets/cycle-b.js"].rsplit('/').next().unwrap()));
}

#[test]
fn output_is_deterministic() {
    let (tmp, site) = copy_fixture("site");
    ok(&distill(
        tmp.path(),
        &["build", site.to_str().unwrap(), "--out", "a"],
    ));
    ok(&distill(
        tmp.path(),
        &["build", site.to_str().unwrap(), "--out", "b", "-j", "1"],
    ));
    let a = tree(&tmp.path().join("a"));
    let b = tree(&tmp.path().join("b"));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (path, bytes) in &a {
        assert!(bytes == &b[path], "{path} differs between runs");
    }
}

#[test]
fn in_place_then_again_is_idempotent() {
    let (tmp, site) = copy_fixture("site");
    let first = ok(&distill(tmp.path(), &["build", site.to_str().unwrap()]));
    assert!(first.contains("hashed"), "{first}");
    let after_first = tree(&site);
    assert!(after_first.contains_key(".distill/manifest.json"));
    let second = ok(&distill(tmp.path(), &["build", site.to_str().unwrap()]));
    assert!(second.contains("already distilled"), "{second}");
    assert_eq!(tree(&site), after_first);
    assert!(staging_leftovers(&site).is_empty());
}

/// Processing distill's own output again is a fixed point: same names, same bytes.
#[test]
fn rebuilding_the_output_changes_nothing() {
    let (tmp, site) = copy_fixture("site");
    ok(&distill(
        tmp.path(),
        &["build", site.to_str().unwrap(), "--out", "a"],
    ));
    ok(&distill(tmp.path(), &["build", "a", "--out", "b"]));
    assert_same_output(&tmp.path().join("a"), &tmp.path().join("b"));
}

#[test]
fn strict_failure_leaves_the_input_untouched() {
    let (tmp, site) = copy_fixture("missing-reference");
    let before = tree(&site);
    let output = distill(tmp.path(), &["build", site.to_str().unwrap(), "--strict"]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(err.contains("index.html:1"), "{err}");
    assert!(err.contains("/missing.css"), "{err}");
    assert_eq!(tree(&site), before, "the input changed");
    assert!(staging_leftovers(&site).is_empty());
}

#[test]
fn missing_reference_is_a_warning_without_strict() {
    let (tmp, site) = copy_fixture("missing-reference");
    let output = distill(
        tmp.path(),
        &["build", site.to_str().unwrap(), "--out", "out"],
    );
    let err = ok(&output);
    assert!(
        err.contains("warning: index.html:1: reference \"/missing.css\""),
        "{err}"
    );
    let index = read(&tmp.path().join("out"), "index.html");
    assert!(index.contains("href=\"/missing.css\""));
    assert!(!index.contains("src=\"present.png\""));
}

#[test]
fn unwritable_output_fails_cleanly() {
    let (tmp, site) = copy_fixture("missing-reference");
    let before = tree(&site);
    // /proc refuses new folders, even to root.
    let output = distill(
        tmp.path(),
        &[
            "build",
            site.to_str().unwrap(),
            "--out",
            "/proc/distill-out",
        ],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("/proc"), "{}", stderr(&output));
    assert_eq!(tree(&site), before);
}

#[test]
fn reference_outside_the_root_is_left_and_reported() {
    let (tmp, _) = copy_fixture("outside-root");
    let output = distill(tmp.path(), &["build", "outside-root/site", "--out", "out"]);
    let err = ok(&output);
    assert!(err.contains("index.html:1"), "{err}");
    assert!(err.contains("outside the site root"), "{err}");
    let index = read(&tmp.path().join("out"), "index.html");
    assert!(index.contains("src=\"../../secret.png\""));
    assert!(!index.contains("src=\"ok.png\""));
}

#[test]
fn refuses_to_replace_a_folder_that_is_not_distill_output() {
    let (tmp, site) = copy_fixture("missing-reference");
    let other = tmp.path().join("precious");
    std::fs::create_dir(&other).unwrap();
    std::fs::write(other.join("notes.txt"), "keep me").unwrap();
    let output = distill(
        tmp.path(),
        &["build", site.to_str().unwrap(), "--out", "precious"],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("refusing"), "{}", stderr(&output));
    assert_eq!(
        std::fs::read_to_string(other.join("notes.txt")).unwrap(),
        "keep me"
    );
    let inside = distill(
        tmp.path(),
        &[
            "build",
            site.to_str().unwrap(),
            "--out",
            &format!("{}/out", site.display()),
        ],
    );
    assert_eq!(inside.status.code(), Some(2));
}

#[test]
fn replaces_an_earlier_output() {
    let (tmp, site) = copy_fixture("site");
    ok(&distill(
        tmp.path(),
        &["build", site.to_str().unwrap(), "--out", "out"],
    ));
    std::fs::write(tmp.path().join("out/stale.txt"), "from before").unwrap();
    ok(&distill(
        tmp.path(),
        &["build", site.to_str().unwrap(), "--out", "out"],
    ));
    assert!(!tmp.path().join("out/stale.txt").exists());
    assert!(staging_leftovers(&tmp.path().join("out")).is_empty());
}

#[test]
fn precompressed_siblings_decode_to_the_file() {
    let (tmp, site) = copy_fixture("site");
    std::fs::write(
        tmp.path().join("distill.toml"),
        "[output]\nprecompress = [\"br\", \"gzip\"]\n",
    )
    .unwrap();
    ok(&distill(
        tmp.path(),
        &["build", site.to_str().unwrap(), "--out", "out"],
    ));
    let out = tmp.path().join("out");
    let n = names(&out);
    let css = std::fs::read(out.join(&n["assets/style.css"])).unwrap();
    let gz = std::fs::read(out.join(format!("{}.gz", n["assets/style.css"]))).unwrap();
    let br = std::fs::read(out.join(format!("{}.br", n["assets/style.css"]))).unwrap();
    let mut unzipped = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[..]), &mut unzipped).unwrap();
    assert_eq!(unzipped, css);
    let mut unbrotli = Vec::new();
    brotli::BrotliDecompress(&mut &br[..], &mut unbrotli).unwrap();
    assert_eq!(unbrotli, css);
    // Not for formats that are already compressed.
    assert!(!out.join(format!("{}.gz", n["img/photo.jpg"])).exists());
    // A second run drops and regenerates them instead of hashing them as assets.
    ok(&distill(tmp.path(), &["build", "out", "--out", "again"]));
    let again = tree(&tmp.path().join("again"));
    assert!(
        again
            .keys()
            .all(|k| !k.contains(".gz.") && !k.contains(".br."))
    );
}

#[test]
fn base_path_prefix_is_understood() {
    let tmp = tempfile::tempdir().unwrap();
    let site = tmp.path().join("site");
    std::fs::create_dir_all(site.join("assets")).unwrap();
    std::fs::write(
        site.join("index.html"),
        "<script type=module src=\"/app/assets/a.js\"></script><img src=\"/elsewhere/x.png\">",
    )
    .unwrap();
    std::fs::write(site.join("assets/a.js"), "console.log(1);\n").unwrap();
    std::fs::write(
        tmp.path().join("distill.toml"),
        "[hash]\nbase = \"/app/\"\n",
    )
    .unwrap();
    ok(&distill(tmp.path(), &["build", "site", "--out", "out"]));
    let out = tmp.path().join("out");
    let n = names(&out);
    let index = read(&out, "index.html");
    assert!(
        index.contains(&format!("src=\"/app/{}\"", n["assets/a.js"])),
        "{index}"
    );
    assert!(index.contains("src=\"/elsewhere/x.png\""));
    assert!(read(&out, "_headers").contains("/app/assets/*"));
}

#[test]
fn unknown_config_key_is_an_error_naming_key_and_file() {
    let (tmp, site) = copy_fixture("missing-reference");
    std::fs::write(tmp.path().join("distill.toml"), "[hash]\nlenght = 10\n").unwrap();
    let output = distill(tmp.path(), &["build", site.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(
        err.contains("distill.toml") && err.contains("lenght"),
        "{err}"
    );
    let custom = tmp.path().join("custom.toml");
    std::fs::write(&custom, "[imagez]\n").unwrap();
    let output = distill(
        tmp.path(),
        &["build", site.to_str().unwrap(), "--config", "custom.toml"],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("custom.toml"));
}

#[test]
fn help_and_version() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let help = distill(dir, &["build", "--help"]);
    let text = String::from_utf8_lossy(&help.stdout);
    for flag in [
        "--out",
        "--config",
        "--cache-dir",
        "--jobs",
        "--strict",
        "--quiet",
        "--verbose",
    ] {
        assert!(text.contains(flag), "help lacks {flag}");
    }
    let version = distill(dir, &["--version"]);
    assert!(String::from_utf8_lossy(&version.stdout).contains(env!("CARGO_PKG_VERSION")));
    let missing = distill(dir, &["build", "/nonexistent/dist"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("/nonexistent/dist"));
}

#[test]
fn symlinks_leaving_the_root_are_skipped_and_reported() {
    let (tmp, site) = copy_fixture("missing-reference");
    std::fs::write(tmp.path().join("secret.txt"), "outside").unwrap();
    std::os::unix::fs::symlink(tmp.path().join("secret.txt"), site.join("leak.txt")).unwrap();
    std::os::unix::fs::symlink(site.join("present.png"), site.join("alias.png")).unwrap();
    let err = ok(&distill(
        tmp.path(),
        &["build", site.to_str().unwrap(), "--out", "out"],
    ));
    assert!(err.contains("leak.txt") && err.contains("outside"), "{err}");
    let out = tree(&tmp.path().join("out"));
    assert!(
        out.keys().all(|k| !k.starts_with("leak")),
        "{:?}",
        out.keys()
    );
    // A link that stays inside is read through, and written as a regular file.
    let names = names(&tmp.path().join("out"));
    let alias = &names["alias.png"];
    assert_eq!(out[alias], std::fs::read(site.join("present.png")).unwrap());
}

/// Ctrl-C (SIGINT) in the middle of a run: exit 130, input untouched, no staging left.
#[test]
fn interrupt_leaves_everything_as_it_was() {
    let tmp = tempfile::tempdir().unwrap();
    let site = tmp.path().join("site");
    std::fs::create_dir_all(site.join("assets")).unwrap();
    // Enough compressible text to keep the run busy for a few seconds.
    let body = "export const x = () => [1, 2, 3].map((n) => n * 2);\n".repeat(800);
    for i in 0..400 {
        std::fs::write(
            site.join(format!("assets/m{i}.js")),
            format!("// {i}\n{body}"),
        )
        .unwrap();
    }
    std::fs::write(
        site.join("index.html"),
        "<script type=module src=/assets/m0.js></script>",
    )
    .unwrap();
    let before = tree(&site);
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_distill"))
        .args(["build", "site"])
        .current_dir(tmp.path())
        .env("CI", "true")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(400));
    // SAFETY: sending a signal to our own child process.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(130), "{}", stderr(&output));
    assert!(stderr(&output).contains("interrupted"));
    assert_eq!(tree(&site), before);
    assert!(staging_leftovers(&site).is_empty());
}

#[test]
fn in_place_on_the_working_directory() {
    let (_tmp, site) = copy_fixture("missing-reference");
    ok(&distill(&site, &["build", "."]));
    let names = names(&site);
    assert!(site.join(&names["present.png"]).is_file());
    assert!(tree(&site).keys().all(|k| !k.contains("staging")));
    assert!(staging_leftovers(&site).is_empty());
    // The default image cache would land inside the folder (the working directory); it goes
    // beside it instead, so it survives the swap and is not shipped.
    assert!(!site.join(".distill-cache").exists());
    assert!(site.parent().unwrap().join(".distill-cache").is_dir());
    let again = ok(&distill(&site, &["build", "."]));
    assert!(again.contains("already distilled"), "{again}");
    // An explicit cache inside the folder is refused.
    let inside = distill(&site, &["build", ".", "--cache-dir", "cache"]);
    assert_eq!(inside.status.code(), Some(2));
    assert!(
        stderr(&inside).contains("--cache-dir must be outside"),
        "{}",
        stderr(&inside)
    );
}

/// `[js] minify`: "auto" (the default) minifies hand-written scripts and leaves bundler output
/// (here: a file with a source map) alone; `true` minifies everything; `false` nothing. The
/// minified code keeps its references (rewritten to the new names).
#[test]
fn js_minify_modes() {
    let site = fixture("site");
    let run = |config: &str| {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("distill.toml"), config).unwrap();
        let err = ok(&distill(
            tmp.path(),
            &[
                "build",
                site.to_str().unwrap(),
                "--out",
                "out",
                "--no-budgets",
            ],
        ));
        let out = tmp.path().join("out");
        let n = names(&out);
        let size = |f: &str| std::fs::metadata(out.join(&n[f])).unwrap().len();
        let route = read(&out, &n["assets/route.js"]);
        (
            tmp,
            err,
            size("assets/route.js"),
            size("assets/app-BkD3c1xS.js"),
            route,
        )
    };
    let (_t, err, route, app, route_text) = run("");
    assert!(!route_text.contains("\n  "), "{route_text}");
    assert!(route_text.contains("import{"), "{route_text}");
    assert!(err.contains("scripts minified"), "{err}");
    // The source-mapped bundle keeps its layout (its names change, so compare lines).
    let (_t, _, _, app_off, _) = run("[js]\nminify = false\n");
    assert_eq!(app, app_off);
    let (_t, _, route_off, _, route_off_text) = run("[js]\nminify = false\n");
    assert!(route_off_text.contains("\n"), "{route_off_text}");
    assert!(route_off > route);
    let (_t, _, _, app_on, _) = run("[js]\nminify = true\n");
    assert!(app_on < app, "{app_on} vs {app}");

    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("distill.toml"), "[js]\nminify = \"yes\"\n").unwrap();
    let out = distill(
        tmp.path(),
        &["build", site.to_str().unwrap(), "--out", "out"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("[js] minify must be \"auto\", true or false"));
}

/// `[css] targets` (or package.json's `browserslist`) decides the prefixes and syntax
/// lightningcss prints, in stylesheets and inline styles alike; a bad query is an error.
#[test]
fn css_targets_come_from_config_or_package_json() {
    let build = |config: Option<&str>, package: Option<&str>| {
        let tmp = tempfile::tempdir().unwrap();
        let site = tmp.path().join("site");
        std::fs::create_dir_all(&site).unwrap();
        std::fs::write(
            site.join("index.html"),
            "<!doctype html><link rel=stylesheet href=\"a.css\"><p class=\"a\" style=\"user-select: none\">x</p>\n",
        )
        .unwrap();
        std::fs::write(
            site.join("a.css"),
            ".a { user-select: none; color: rgb(0 0 0 / 50%) }\n",
        )
        .unwrap();
        if let Some(c) = config {
            std::fs::write(tmp.path().join("distill.toml"), c).unwrap();
        }
        if let Some(p) = package {
            std::fs::write(tmp.path().join("package.json"), p).unwrap();
        }
        let out = distill(
            tmp.path(),
            &["build", "site", "--out", "out", "--no-budgets"],
        );
        let dir = tmp.path().join("out");
        let files = if dir.exists() {
            tree(&dir)
        } else {
            Default::default()
        };
        let css = files
            .iter()
            .find(|(k, _)| k.ends_with(".css"))
            .map(|(_, v)| String::from_utf8(v.clone()).unwrap());
        let html = files
            .get("index.html")
            .map(|v| String::from_utf8(v.clone()).unwrap());
        (out, css, html)
    };
    let (out, css, html) = build(Some("[css]\ntargets = \"safari 12\"\n"), None);
    ok(&out);
    let css = css.unwrap();
    assert!(css.contains("-webkit-user-select:none"), "{css}");
    assert!(html.unwrap().contains("-webkit-user-select:none"));
    let (out, css, _) = build(Some("[css]\ntargets = [\"chrome 120\"]\n"), None);
    ok(&out);
    assert_eq!(css.unwrap(), ".a{user-select:none;color:#00000080}");
    let (out, css, _) = build(None, Some("{\"browserslist\": [\"safari 12\"]}"));
    ok(&out);
    assert!(css.unwrap().contains("-webkit-user-select:none"));
    let (out, _, _) = build(Some("[css]\ntargets = \"nonsense 99\"\n"), None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("[css] targets:"), "{}", stderr(&out));
}

/// `[css] purge` with a safelist: safelisted selectors stay, the JSON report lists what went;
/// a bad pattern is an error naming the key.
#[test]
fn css_purge_with_a_safelist() {
    let tmp = tempfile::tempdir().unwrap();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/site");
    std::fs::write(
        tmp.path().join("distill.toml"),
        "[css]\npurge = true\nsafelist = { standard = [\"/^btn/\"], greedy = [\"/is-visible/\"] }\n",
    )
    .unwrap();
    let err = ok(&distill(
        tmp.path(),
        &[
            "build",
            example.to_str().unwrap(),
            "--out",
            "out",
            "--cache-dir",
            "cache",
            "--report",
            "json=r.json",
        ],
    ));
    assert!(err.contains("2 unused CSS selectors removed"), "{err}");
    let report: serde_json::Value = serde_json::from_str(&read(tmp.path(), "r.json")).unwrap();
    assert_eq!(
        report["css_purged"]["assets/index-D8nq2LwF.css"],
        serde_json::json!([".modal", ".alert:hover"])
    );
    let out = tmp.path().join("out");
    let css = read(&out, &names(&out)["assets/index-D8nq2LwF.css"]);
    assert!(
        css.contains(".btn-danger{") && css.contains(".modal.is-visible{"),
        "{css}"
    );

    std::fs::write(
        tmp.path().join("distill.toml"),
        "[css]\npurge = true\nsafelist = [\"/(unclosed/\"]\n",
    )
    .unwrap();
    let out = distill(
        tmp.path(),
        &["build", example.to_str().unwrap(), "--out", "out2"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("[css] safelist: \"/(unclosed/\""),
        "{}",
        stderr(&out)
    );
}

/// A build manifest or service worker distill cannot parse is copied as it is, with a warning
/// naming it, and the files it names keep their names (and bytes), since it cannot be
/// rewritten; under `--strict` the run fails.
#[test]
fn unparsable_manifest_and_worker_keep_what_they_name() {
    let (tmp, site) = copy_fixture("broken-manifests");
    let err = ok(&distill(
        tmp.path(),
        &["build", site.to_str().unwrap(), "--out", "out", "-v"],
    ));
    let out = tmp.path().join("out");
    assert!(err.contains("warning: asset-manifest.json"), "{err}");
    assert!(err.contains("warning: sw.js:"), "{err}");
    for file in [
        "asset-manifest.json",
        "sw.js",
        "assets/app-BkD3c1xS.js",
        "assets/vendor-Cx9Yz1Ab.js",
    ] {
        assert_eq!(
            std::fs::read(out.join(file)).unwrap(),
            std::fs::read(site.join(file)).unwrap(),
            "{file} changed"
        );
    }
    assert!(
        err.contains("assets/app-BkD3c1xS.js: keeps its name and bytes"),
        "{err}"
    );
    let strict = distill(tmp.path(), &["build", site.to_str().unwrap(), "--strict"]);
    assert_eq!(strict.status.code(), Some(2), "{}", stderr(&strict));
}

/// Hugo fingerprints its CSS and JS and writes their SRI digests (`sha256`, `sha512`): distill
/// renames and minifies those files, and every `integrity` attribute is recomputed over the
/// bytes it wrote, with the algorithm the page used.
#[test]
fn integrity_attributes_describe_the_written_files() {
    use base64::Engine;
    use sha2::Digest;
    let tmp = tempfile::tempdir().unwrap();
    let site = fixture("frameworks/hugo/dist");
    ok(&distill(
        tmp.path(),
        &["build", site.to_str().unwrap(), "--out", "out"],
    ));
    let out = tmp.path().join("out");
    let tag =
        regex::Regex::new(r#"(?:href|src)="?([^"\s>]+)"?[^>]*?integrity="?([^"\s>]+)"#).unwrap();
    let mut checked = 0;
    for page in [
        "index.html",
        "posts/index.html",
        "posts/first-post/index.html",
    ] {
        let html = read(&out, page);
        for found in tag.captures_iter(&html) {
            let url = &found[1];
            let bytes = std::fs::read(out.join(url.trim_start_matches('/'))).unwrap();
            let (algorithm, _) = found[2].split_once('-').unwrap();
            let digest = match algorithm {
                "sha256" => sha2::Sha256::digest(&bytes).to_vec(),
                "sha512" => sha2::Sha512::digest(&bytes).to_vec(),
                other => panic!("{other}"),
            };
            let expected = format!(
                "{algorithm}-{}",
                base64::engine::general_purpose::STANDARD.encode(digest)
            );
            assert_eq!(found[2], expected, "{page}: {url}");
            let name = url.rsplit('/').next().unwrap();
            assert!(name.len() < 40, "{url} kept Hugo's fingerprint");
            checked += 1;
        }
    }
    // Two stylesheets and a script on each page, each renamed (Hugo's 64- and 128-hex
    // fingerprints replaced by distill's hash).
    assert_eq!(checked, 9);
}
