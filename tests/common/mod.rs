//! Helpers shared by the integration tests: temporary workspaces and runs of the binary.
#![allow(dead_code)] // each test crate uses a different subset

use serde_json::Value;
use std::path::Path;
use std::process::Command;

pub const MANIFEST: &str = "[package]\nname = \"svc\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n";

/// A `guardrail.toml` that reports every unbounded channel, not only those request handlers
/// fill: tests of the machinery (shards, suppressions, test data) use a bare channel as the
/// finding to follow.
pub const EVERY_QUEUE: &str = "[rules.unbounded-channel]\nrequest_fed_only = false\n";

/// A temporary workspace with `files` (path, content); a Cargo.toml is added unless given.
pub fn workspace(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    if !files.iter().any(|(path, _)| *path == "Cargo.toml") {
        std::fs::write(dir.path().join("Cargo.toml"), MANIFEST).unwrap();
    }
    for (path, content) in files {
        let full = dir.path().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, content).unwrap();
    }
    dir
}

pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", self.stdout))
    }
}

pub fn guardrail(args: &[&str], cwd: &Path) -> Output {
    guardrail_with(args, cwd, |_| {})
}

/// Runs guardrail. `check` and `baseline` run every built-in rule, those in preview too (`--preview`): these
/// tests are about what rules and the machinery do, not about which rules are on by default;
/// [`guardrail_as_shipped`] runs a check without it.
pub fn guardrail_with(args: &[&str], cwd: &Path, setup: impl FnOnce(&mut Command)) -> Output {
    let mut args = args.to_vec();
    if matches!(args.first(), Some(&"check" | &"baseline")) {
        args.insert(1, "--preview");
    }
    run(&args, cwd, setup)
}

/// Runs guardrail as a user gets it: preview rules off unless asked for.
pub fn guardrail_as_shipped(args: &[&str], cwd: &Path) -> Output {
    run(args, cwd, |_| {})
}

fn run(args: &[&str], cwd: &Path, setup: impl FnOnce(&mut Command)) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_guardrail"));
    // The runs of a test process keep their caches together, away from the user's own.
    let cache_home = std::env::temp_dir().join(format!("guardrail-tests-{}", std::process::id()));
    // Not wrapped for a GitHub log unless a test asks (these tests may run in one).
    command.args(args).current_dir(cwd).env_remove("NO_COLOR").env_remove("GITHUB_ACTIONS");
    command.env("XDG_CACHE_HOME", cache_home);
    setup(&mut command);
    let output = command.output().expect("guardrail runs");
    Output {
        code: output.status.code().expect("exited"),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

/// `check --format json` of `dir`.
pub fn check_json(dir: &Path, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["check", ".", "--format", "json"];
    args.extend_from_slice(extra);
    let output = guardrail(&args, dir);
    (output.code, output.json())
}

/// (rule, path, line) of every finding, in report order.
pub fn findings(report: &Value) -> Vec<(String, String, u64)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_owned(),
                f["path"].as_str().unwrap().to_owned(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// (path, line, message) of every error.
pub fn errors(report: &Value) -> Vec<(String, u64, String)> {
    located(report, "errors")
}

/// (path, line, message) of every entry of `key` (`errors`, `findings`, `notes`).
pub fn located(report: &Value, key: &str) -> Vec<(String, u64, String)> {
    report[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["path"].as_str().unwrap().to_owned(),
                e["line"].as_u64().unwrap(),
                e["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

pub fn finding(rule: &str, path: &str, line: u64) -> (String, String, u64) {
    (rule.to_owned(), path.to_owned(), line)
}

/// Makes `dir` a checkout whose `rust-toolchain.toml` points rustup at the checkout's own
/// `cargo` and `rustc`, which write the returned marker file when run: what a pull request can
/// commit. Asserts that the attack works on a naive run (`cargo` started in the checkout), so a
/// test that finds no marker proves something.
#[cfg(unix)]
pub fn poison_toolchain(dir: &Path) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let marker = dir.join("toolchain-ran");
    let bin = dir.join("evil/bin");
    std::fs::create_dir_all(&bin).unwrap();
    for tool in ["cargo", "rustc"] {
        let script = bin.join(tool);
        std::fs::write(&script, format!("#!/bin/sh\necho \"$0\" >> '{}'\nexit 1\n", marker.display())).unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    std::fs::write(
        dir.join("rust-toolchain.toml"),
        format!("[toolchain]\npath = \"{}\"\n", dir.join("evil").display()),
    )
    .unwrap();
    let naive = Command::new("cargo")
        .arg("--version")
        .current_dir(dir)
        .env_remove("CARGO")
        .env_remove("RUSTUP_TOOLCHAIN")
        .output();
    assert!(naive.is_ok() && marker.exists(), "rustup's cargo proxy must be on PATH for this test");
    std::fs::remove_file(&marker).unwrap();
    marker
}
