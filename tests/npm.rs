//! The npm distribution (`npm/`): the launcher, the packaging script, the GitHub Action's pull
//! request comment, and a real Vite project built with `distill-cli/vite` from packed tarballs.
//! The tests themselves are Node's (`tests/npm/*.test.mjs`, run with `node --test`); this runs
//! each with the binary cargo built for the tests. The Vite test installs Vite from the npm
//! registry.

use std::path::Path;
use std::process::Command;

fn node_test(file: &str) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let output = Command::new("node")
        .arg("--test")
        .arg(root.join("tests/npm").join(file))
        .env("DISTILL_TEST_BINARY", env!("CARGO_BIN_EXE_distill"))
        .current_dir(root)
        .output()
        .expect("run node (install Node.js)");
    assert!(
        output.status.success(),
        "node --test tests/npm/{file} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn launcher_finds_the_platform_binary_and_forwards_exit_codes() {
    node_test("launcher.test.mjs");
}

#[test]
fn packaging_script_writes_the_platform_and_main_packages() {
    node_test("package.test.mjs");
}

#[test]
fn action_keeps_one_comment_per_project_up_to_date() {
    node_test("comment.test.mjs");
}

#[test]
fn vite_build_with_the_plugin_from_packed_tarballs() {
    node_test("vite.test.mjs");
}
