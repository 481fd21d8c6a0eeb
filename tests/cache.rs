//! The facts cache seen from the command line: a warm run reports exactly what a cold run
//! does, reuses the unchanged files, and a damaged cache is rebuilt rather than believed.

mod common;

use common::*;
use std::path::Path;

const QUEUE: &str = "pub fn queue() {\n    let (_tx, _rx) = tokio::sync::mpsc::unbounded_channel::<u8>();\n}\n";
const BOUNDED: &str = "pub fn queue() {\n    let (_tx, _rx) = tokio::sync::mpsc::channel::<u8>(64);\n}\n";

fn project() -> tempfile::TempDir {
    workspace(&[
        ("src/lib.rs", "pub mod queue;\npub mod other;\n"),
        ("src/queue.rs", QUEUE),
        ("src/other.rs", "use std::sync::mpsc::channel as q;\npub fn f() { let _ = q::<u8>(); }\n"),
    ])
}

/// The JSON report, and the `cache:` line of `--timings`.
fn run(dir: &Path, extra: &[&str]) -> (serde_json::Value, String) {
    let mut args = vec!["check", ".", "--format", "json", "--timings"];
    args.extend_from_slice(extra);
    let output = guardrail(&args, dir);
    assert_eq!(output.code, 1, "{}", output.stderr);
    let cache_line =
        output.stderr.lines().find(|l| l.trim_start().starts_with("cache:")).unwrap_or("").trim().to_owned();
    (output.json(), cache_line)
}

fn expected() -> Vec<(String, String, u64)> {
    vec![
        ("unbounded-channel".to_owned(), "src/other.rs".to_owned(), 2),
        ("unbounded-channel".to_owned(), "src/queue.rs".to_owned(), 2),
    ]
}

#[test]
fn a_warm_run_reuses_every_file_and_reports_the_same() {
    let dir = project();
    let (cold, cache) = run(dir.path(), &[]);
    assert_eq!(findings(&cold), expected());
    assert_eq!(cache, "cache: 0 files reused, 3 extracted");
    let (warm, cache) = run(dir.path(), &[]);
    assert_eq!(warm, cold);
    assert_eq!(cache, "cache: 3 files reused, 0 extracted");
}

#[test]
fn a_changed_file_is_extracted_again() {
    let dir = project();
    run(dir.path(), &[]);
    std::fs::write(dir.path().join("src/queue.rs"), BOUNDED).unwrap();
    let (report, cache) = run(dir.path(), &[]);
    assert_eq!(findings(&report), expected()[..1], "the fixed file's finding is gone");
    assert_eq!(cache, "cache: 2 files reused, 1 extracted");
}

#[test]
fn a_damaged_cache_is_ignored_and_rebuilt() {
    let dir = project();
    let (cold, _) = run(dir.path(), &[]);
    let file = dir.path().join("target/guardrail-cache/facts.bin");
    let mut bytes = std::fs::read(&file).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle..].iter_mut().for_each(|b| *b = b.wrapping_add(1));
    std::fs::write(&file, &bytes).unwrap();
    let (report, cache) = run(dir.path(), &[]);
    assert_eq!(report, cold);
    assert!(cache.ends_with(" extracted") && !cache.ends_with(" 0 extracted"), "{cache}");
    let (_, cache) = run(dir.path(), &[]);
    assert_eq!(cache, "cache: 3 files reused, 0 extracted", "the rebuilt cache is whole again");

    std::fs::write(&file, "not a cache").unwrap();
    let (report, cache) = run(dir.path(), &[]);
    assert_eq!(report, cold);
    assert_eq!(cache, "cache: 0 files reused, 3 extracted");
}

#[test]
fn no_cache_neither_reads_nor_writes_and_cache_dir_moves_it() {
    let dir = project();
    let (report, cache) = run(dir.path(), &["--no-cache"]);
    assert_eq!(findings(&report), expected());
    assert_eq!(cache, "", "no cache line without a cache");
    assert!(!dir.path().join("target").exists());

    let elsewhere = tempfile::tempdir().unwrap();
    let shown = elsewhere.path().join("c").display().to_string();
    run(dir.path(), &["--cache-dir", &shown]);
    assert!(elsewhere.path().join("c/facts.bin").is_file());
    assert!(!dir.path().join("target").exists());
    let (_, cache) = run(dir.path(), &["--cache-dir", &shown]);
    assert_eq!(cache, "cache: 3 files reused, 0 extracted");
}

#[test]
fn an_unwritable_cache_is_a_note_and_the_run_goes_on() {
    let dir = project();
    std::fs::write(dir.path().join("blocker"), "a file, not a directory").unwrap();
    let (report, _) = run(dir.path(), &["--cache-dir", "blocker/cache"]);
    assert_eq!(findings(&report), expected());
    assert_eq!(report["errors"], serde_json::json!([]));
    let notes = report["notes"].to_string();
    assert!(notes.contains("cannot write the cache in blocker/cache"), "{notes}");
}
