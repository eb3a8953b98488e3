//! Helpers for the integration tests: copy a fixture to a temporary folder, run the real
//! binary, and read folders back as (path -> bytes) maps.

#![allow(dead_code)]

pub mod browser;
pub mod quality;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// A fresh copy of a fixture in a temporary folder: (guard, path of the copy).
pub fn copy_fixture(name: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dest = tmp.path().join(name);
    copy_dir(&fixture(name), &dest);
    (tmp, dest)
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// `distill ARGS` with `cwd` as the working directory, in a plain CI environment (no colour
/// settings or GitHub Actions variables from the caller's).
pub fn distill_command(cwd: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_distill"));
    command
        .args(args)
        .current_dir(cwd)
        .env("CI", "true")
        .env_remove("NO_COLOR")
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_STEP_SUMMARY");
    command
}

/// Runs `distill ARGS` with `cwd` as the working directory.
pub fn distill(cwd: &Path, args: &[&str]) -> Output {
    distill_command(cwd, args).output().expect("run distill")
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Asserts success and returns stderr.
pub fn ok(output: &Output) -> String {
    let err = stderr(output);
    assert!(
        output.status.success(),
        "distill failed ({:?}):\n{err}",
        output.status
    );
    err
}

/// Every file under `dir`, keyed by `/`-separated relative path.
pub fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            let rel = entry.path().strip_prefix(dir).unwrap();
            let key = rel
                .components()
                .map(|c| c.as_os_str().to_str().unwrap())
                .collect::<Vec<_>>()
                .join("/");
            out.insert(key, std::fs::read(entry.path()).unwrap());
        }
    }
    out
}

pub fn manifest(dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join(".distill/manifest.json")).expect("manifest");
    serde_json::from_str(&text).expect("manifest is JSON")
}

/// Original path -> output path, from the manifest.
pub fn names(dir: &Path) -> BTreeMap<String, String> {
    manifest(dir)["assets"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v["file"].as_str().unwrap().to_string()))
        .collect()
}

pub fn read(dir: &Path, path: &str) -> String {
    std::fs::read_to_string(dir.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Folders left beside `dir` by a staging area (there should be none after any run).
pub fn staging_leftovers(dir: &Path) -> Vec<String> {
    let parent = dir.parent().unwrap();
    std::fs::read_dir(parent)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("distill-staging"))
        .collect()
}

/// Asserts two output folders hold the same files with the same bytes, distill's own
/// `.distill/` aside (its manifest names the input paths, which differ between the runs).
pub fn assert_same_output(a: &Path, b: &Path) {
    let files = |dir: &Path| -> BTreeMap<String, Vec<u8>> {
        tree(dir)
            .into_iter()
            .filter(|(k, _)| !k.starts_with(".distill/"))
            .collect()
    };
    let (a, b) = (files(a), files(b));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (path, bytes) in &a {
        assert!(bytes == &b[path], "{path} differs");
    }
}
