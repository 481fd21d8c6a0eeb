//! The facts cache seen from the command line: a warm run reports exactly what a cold run
//! does, reuses the unchanged files, and a damaged cache is rebuilt rather than believed.

mod common;

use common::*;
use std::path::Path;

/// A queue request handlers fill: the router state holds its sender, a handler sends.
const QUEUE: &str = "pub fn queue(app: axum::Router<Queue>) -> axum::Router {\n    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel::<u8>();\n    \
     app.route(\"/\", axum::routing::post(push)).with_state(Queue { tx })\n}\n\
     #[derive(Clone)]\npub struct Queue { tx: tokio::sync::mpsc::UnboundedSender<u8> }\n\
     async fn push(axum::extract::State(queue): axum::extract::State<Queue>) { queue.tx.send(1).ok(); }\n";
/// The same through an alias, in one line.
const OTHER: &str = "use std::sync::mpsc::channel as q;\n\
     pub fn f(app: axum::Router<O>) -> axum::Router { let (tx, _rx) = q::<u8>(); \
     app.route(\"/o\", axum::routing::post(o)).with_state(O { tx }) }\n\
     #[derive(Clone)]\npub struct O { tx: std::sync::mpsc::Sender<u8> }\n\
     async fn o(axum::extract::State(s): axum::extract::State<O>) { s.tx.send(1).ok(); }\n";
const BOUNDED: &str = "pub fn queue() {\n    let (_tx, _rx) = tokio::sync::mpsc::channel::<u8>(64);\n}\n";

/// A checked tree and the cache home its runs use (outside the tree, as always).
struct Project {
    tree: tempfile::TempDir,
    home: tempfile::TempDir,
}

impl Project {
    fn path(&self) -> &Path {
        self.tree.path()
    }

    /// The cache file of the tree: the home holds a key and one directory per tree.
    fn cache_file(&self) -> std::path::PathBuf {
        let trees: Vec<_> =
            std::fs::read_dir(self.home.path().join("trees")).unwrap().map(|e| e.unwrap().path()).collect();
        assert_eq!(trees.len(), 1, "{trees:?}");
        trees[0].join("facts.bin")
    }

    /// `check --format json --timings` with this project's cache home.
    fn run(&self, extra: &[&str]) -> (serde_json::Value, String) {
        let home = self.home.path().display().to_string();
        let mut args = vec!["--cache-dir", home.as_str()];
        args.extend_from_slice(extra);
        run(self.path(), &args)
    }
}

fn project() -> Project {
    let tree = workspace(&[
        ("src/lib.rs", "pub mod queue;\npub mod other;\n"),
        ("src/queue.rs", QUEUE),
        ("src/other.rs", OTHER),
    ]);
    Project { tree, home: tempfile::tempdir().unwrap() }
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
    let (cold, cache) = dir.run(&[]);
    assert_eq!(findings(&cold), expected());
    assert_eq!(cache, "cache: 0 files reused, 3 extracted");
    let (warm, cache) = dir.run(&[]);
    assert_eq!(warm, cold);
    assert_eq!(cache, "cache: 3 files reused, 0 extracted");
}

#[test]
fn a_changed_file_is_extracted_again() {
    let dir = project();
    dir.run(&[]);
    std::fs::write(dir.path().join("src/queue.rs"), BOUNDED).unwrap();
    let (report, cache) = dir.run(&[]);
    assert_eq!(findings(&report), expected()[..1], "the fixed file's finding is gone");
    assert_eq!(cache, "cache: 2 files reused, 1 extracted");
}

#[test]
fn a_damaged_cache_is_ignored_and_rebuilt() {
    let dir = project();
    let (cold, _) = dir.run(&[]);
    let file = dir.cache_file();
    let mut bytes = std::fs::read(&file).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle..].iter_mut().for_each(|b| *b = b.wrapping_add(1));
    std::fs::write(&file, &bytes).unwrap();
    let (report, cache) = dir.run(&[]);
    assert_eq!(report, cold);
    assert!(cache.ends_with(" extracted") && !cache.ends_with(" 0 extracted"), "{cache}");
    let (_, cache) = dir.run(&[]);
    assert_eq!(cache, "cache: 3 files reused, 0 extracted", "the rebuilt cache is whole again");

    std::fs::write(&file, "not a cache").unwrap();
    let (report, cache) = dir.run(&[]);
    assert_eq!(report, cold);
    assert_eq!(cache, "cache: 0 files reused, 3 extracted");
}

#[test]
fn no_cache_neither_reads_nor_writes_and_the_default_home_is_outside_the_tree() {
    let dir = project();
    let (report, cache) = run(dir.path(), &["--no-cache"]);
    assert_eq!(findings(&report), expected());
    assert_eq!(cache, "", "no cache line without a cache");
    assert!(!dir.home.path().join("trees").exists());

    let xdg = tempfile::tempdir().unwrap();
    let output = guardrail_with(&["check", ".", "--format", "json", "--timings"], dir.path(), |command| {
        command.env("XDG_CACHE_HOME", xdg.path());
    });
    assert!(output.stderr.contains("cache: 0 files reused, 3 extracted"), "{}", output.stderr);
    let home = xdg.path().join("guardrail");
    assert!(home.join("key").is_file());
    assert_eq!(std::fs::read_dir(home.join("trees")).unwrap().count(), 1);
    let listing: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(!listing.iter().any(|name| name == "target"), "{listing:?}");
}

#[test]
fn a_cache_inside_the_tree_is_refused_and_a_committed_one_never_read() {
    let dir = project();
    let output = guardrail(&["check", ".", "--cache-dir", "target/cache"], dir.path());
    assert_eq!(output.code, 2);
    assert!(output.stderr.contains("--cache-dir must be outside the checked tree"), "{}", output.stderr);
    assert!(!dir.path().join("target").exists());

    // A cache file a pull request commits where earlier versions kept it, and a link there.
    std::fs::create_dir_all(dir.path().join("target/guardrail-cache")).unwrap();
    std::fs::write(dir.path().join("target/guardrail-cache/facts.bin"), "grcache\x03 forged").unwrap();
    let (report, cache) = dir.run(&[]);
    assert_eq!(findings(&report), expected());
    assert_eq!(cache, "cache: 0 files reused, 3 extracted");
}

#[test]
fn a_forged_entry_for_a_changed_file_is_a_miss() {
    // The cache holds the harmless version's entry; whoever can write the cache file rewrites
    // its content hash to match the file as the pull request changed it.
    let dir = project();
    std::fs::write(dir.path().join("src/queue.rs"), BOUNDED).unwrap();
    let (report, _) = dir.run(&[]);
    assert_eq!(findings(&report), expected()[..1]);
    let file = dir.cache_file();
    let mut bytes = std::fs::read(&file).unwrap();
    let harmless = xxhash_rust::xxh3::xxh3_128(BOUNDED.as_bytes()).to_le_bytes();
    let at = bytes.windows(16).position(|w| w == harmless).expect("the entry's content hash");
    bytes[at..at + 16].copy_from_slice(&xxhash_rust::xxh3::xxh3_128(QUEUE.as_bytes()).to_le_bytes());
    std::fs::write(&file, &bytes).unwrap();
    std::fs::write(dir.path().join("src/queue.rs"), QUEUE).unwrap();
    let (report, cache) = dir.run(&[]);
    assert_eq!(findings(&report), expected(), "the changed file is extracted, not taken from the cache");
    assert_eq!(cache, "cache: 2 files reused, 1 extracted");
}

#[test]
fn an_unwritable_cache_is_a_note_and_the_run_goes_on() {
    let dir = project();
    let blocker = dir.home.path().join("blocker");
    std::fs::write(&blocker, "a file, not a directory").unwrap();
    let shown = blocker.join("cache").display().to_string();
    let (report, _) = run(dir.path(), &["--cache-dir", &shown]);
    assert_eq!(findings(&report), expected());
    assert_eq!(report["errors"], serde_json::json!([]));
    let notes = report["notes"].to_string();
    assert!(notes.contains("cannot use the cache in"), "{notes}");
}
