//! Hostile and odd inputs: each gives a diagnostic where one exists, nothing panics, the exit
//! code tells the truth, and the output does not depend on threads or runs.

mod common;

use common::*;
use std::process::Command;

const UNBOUNDED: &str = "pub fn queue() {\n    let (_tx, _rx) = std::sync::mpsc::channel::<u8>();\n}\n";

#[test]
fn an_empty_workspace_is_clean() {
    let dir = tempfile::tempdir().unwrap();
    let output = guardrail(&["check", "."], dir.path());
    assert_eq!((output.code, output.stdout.as_str()), (0, "guardrail: no findings in 0 files\n"));
}

#[test]
fn a_file_over_the_size_limit_is_skipped_with_a_note() {
    let big = format!("// {}\n{UNBOUNDED}", "x".repeat(600));
    let dir = workspace(&[
        ("src/lib.rs", "pub mod big;\n"),
        ("src/big.rs", &big),
        ("guardrail.toml", "max_file_size = 500\n"),
    ]);
    let (code, report) = check_json(dir.path(), &[]);
    assert_eq!((code, findings(&report)), (0, vec![]));
    let note = &report["notes"][0];
    assert_eq!(note["path"], "src/big.rs");
    assert!(note["message"].as_str().unwrap().contains("over the max_file_size of 500 bytes"), "{note}");
}

#[test]
fn a_binary_file_named_rs_is_an_error_not_a_crash() {
    let dir = workspace(&[("src/lib.rs", UNBOUNDED)]);
    std::fs::write(dir.path().join("src/blob.rs"), [0u8, 159, 146, 150, 0, 1, 2, 255]).unwrap();
    let (code, report) = check_json(dir.path(), &[]);
    assert_eq!(code, 2);
    assert_eq!(findings(&report), [finding("unbounded-channel", "src/lib.rs", 2)]);
    assert_eq!(errors(&report)[0].0, "src/blob.rs");
}

#[cfg(unix)]
#[test]
fn symlinks_are_not_followed_out_of_the_root_or_around_a_loop() {
    let outside = workspace(&[("src/lib.rs", UNBOUNDED)]);
    let dir = workspace(&[("src/lib.rs", "pub fn ok() {}\n")]);
    std::os::unix::fs::symlink(outside.path().join("src/lib.rs"), dir.path().join("src/linked.rs")).unwrap();
    std::os::unix::fs::symlink(outside.path(), dir.path().join("outside")).unwrap();
    std::os::unix::fs::symlink(dir.path(), dir.path().join("src/loop")).unwrap();
    let (code, report) = check_json(dir.path(), &[]);
    assert_eq!((code, findings(&report), report["summary"]["files"].as_u64()), (0, vec![], Some(1)));
}

#[test]
fn output_is_byte_identical_across_runs_and_thread_counts() {
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/shop");
    let run = |threads: &str, format: &str| {
        let output = Command::new(env!("CARGO_BIN_EXE_guardrail"))
            .args(["check", ".", "--format", format, "--color", "never"])
            .current_dir(&example)
            .env("RAYON_NUM_THREADS", threads)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1));
        output.stdout
    };
    for format in ["json", "human", "sarif", "github", "junit", "markdown"] {
        let one = run("1", format);
        assert!(!one.is_empty());
        assert_eq!(one, run("4", format), "{format}: 1 thread vs 4");
        assert_eq!(one, run("4", format), "{format}: run to run");
    }
}

#[test]
fn checking_writes_nothing_into_the_tree_but_its_cache() {
    let dir = workspace(&[("src/lib.rs", UNBOUNDED), ("guardrail.toml", "exclude = []\n")]);
    let listing = |root: &std::path::Path| {
        let mut entries: Vec<_> = walk(root).into_iter().map(|p| (p.clone(), std::fs::read(&p).unwrap())).collect();
        entries.sort();
        entries
    };
    let before = listing(dir.path());
    check_json(dir.path(), &["--no-cache"]);
    guardrail(&["facts", "."], dir.path());
    guardrail(&["graph", "."], dir.path());
    assert_eq!(before, listing(dir.path()), "no Cargo.lock, cache or report may appear");

    check_json(dir.path(), &[]);
    let mut after: Vec<_> = listing(dir.path()).into_iter().map(|(path, _)| path).collect();
    after.retain(|path| !before.iter().any(|(seen, _)| seen == path));
    assert_eq!(after, [dir.path().join("target/guardrail-cache/facts.bin")]);
}

fn walk(root: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(root).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(walk(&path));
        } else {
            found.push(path);
        }
    }
    found
}

#[test]
fn deeply_nested_yaml_is_parsed_or_refused_never_a_crash() {
    let flow = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deep\ndata: {}{}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let block: String = (1..1500).map(|i| format!("{}a:\n", " ".repeat(i))).collect();
    let block = format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deeper\ndata:\n{block}");
    let dir = workspace(&[("src/lib.rs", UNBOUNDED), ("deploy/flow.yaml", &flow), ("deploy/block.yaml", &block)]);
    let (code, report) = check_json(dir.path(), &[]);
    assert_eq!(code, 2);
    assert_eq!(findings(&report), [finding("unbounded-channel", "src/lib.rs", 2)]);
    let errs = errors(&report);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert_eq!((errs[0].0.as_str(), errs[0].1), ("deploy/flow.yaml", 5));
    assert!(errs[0].2.contains("recursion limit"), "{}", errs[0].2);
}
