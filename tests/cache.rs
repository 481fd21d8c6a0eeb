//! The facts cache seen from the command line: a warm run reports exactly what a cold run
//! does, reuses the unchanged files, and a damaged cache is rebuilt rather than believed; and the
//! remembered result: a run whose every input is unchanged reports the previous result, any
//! change to what it reads makes it check again.

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
        self.tree_dir().join("facts.bin")
    }

    fn tree_dir(&self) -> std::path::PathBuf {
        let trees: Vec<_> =
            std::fs::read_dir(self.home.path().join("trees")).unwrap().map(|e| e.unwrap().path()).collect();
        assert_eq!(trees.len(), 1, "{trees:?}");
        trees[0].clone()
    }

    /// Removes the remembered result, so that the next run reads the facts cache.
    fn forget_result(&self) {
        std::fs::remove_file(self.tree_dir().join("result.bin")).unwrap();
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
    dir.forget_result();
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
    // The cache that run wrote (the reused entries copied over, the new one beside them) is whole.
    dir.forget_result();
    let (again, cache) = dir.run(&[]);
    assert_eq!(again, report);
    assert_eq!(cache, "cache: 3 files reused, 0 extracted");
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
    dir.forget_result();
    let (report, cache) = dir.run(&[]);
    assert_eq!(report, cold);
    assert!(cache.ends_with(" extracted") && !cache.ends_with(" 0 extracted"), "{cache}");
    dir.forget_result();
    let (_, cache) = dir.run(&[]);
    assert_eq!(cache, "cache: 3 files reused, 0 extracted", "the rebuilt cache is whole again");

    std::fs::write(&file, "not a cache").unwrap();
    dir.forget_result();
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
    let harmless = blake3::hash(BOUNDED.as_bytes());
    let at = bytes.windows(32).position(|w| w == harmless.as_bytes()).expect("the entry's content hash");
    bytes[at..at + 32].copy_from_slice(blake3::hash(QUEUE.as_bytes()).as_bytes());
    std::fs::write(&file, &bytes).unwrap();
    std::fs::write(dir.path().join("src/queue.rs"), QUEUE).unwrap();
    let (report, cache) = dir.run(&[]);
    assert_eq!(findings(&report), expected(), "the changed file is extracted, not taken from the cache");
    assert_eq!(cache, "cache: 2 files reused, 1 extracted");
}

/// Two versions of `src/queue.rs` that differ in two bytes and share their xxh3-128 hash (the
/// hash cache entries were once tied to their files by): in `harmless` the queue's code sits in
/// a string literal, in `live` a handler fills it. xxh3 adds each 8-byte lane of a 64-byte stripe
/// to an accumulator and multiplies its halves after mixing them with a fixed secret; a lane
/// whose low half equals the secret's multiplies to zero, so its high half only adds. Raising
/// one such lane by one and lowering another of the same accumulator in the same 1,024-byte
/// block leaves every accumulator as it was. The secret's bytes at those lanes sit in a string
/// and a comment, where any UTF-8 may.
fn colliding_versions() -> (String, String) {
    const SECRET_AT_48: [u8; 4] = [0xb8, 0x08, 0x46, 0x74];
    const SECRET_AT_120: [u8; 4] = [0xc8, 0x9f, 0x7e, 0xc9];
    let pad = |text: &mut Vec<u8>, to: usize, fill: u8| {
        assert!(text.len() <= to);
        text.resize(to, fill);
    };
    let mut live = b"pub const ROUTE: &str = \"/\";\n#[derive(Clone)]\npub struct Queue { tx: tokio::sync::mpsc::UnboundedSender<u8> }\n\
        async fn push(axum::extract::State(queue): axum::extract::State<Queue>) { queue.tx.send(1).ok(); }\n\
        pub fn queue(app: axum::Router<Queue>) -> axum::Router<Queue> {\n    let _s = \"".to_vec();
    // Stripe 6, lane 0 of the first block: the secret's bytes 48..52, then the string's end.
    pad(&mut live, 383, b' ');
    live.push(0xc2); // with 0xb8, the character U+0238
    live.extend(SECRET_AT_48);
    live.extend(b"xyz\"");
    live.extend(
        b";\n    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel::<u8>();\n    \
        let app = app.route(ROUTE, axum::routing::post(push)).with_state(Queue { tx });\n    let _t = /*",
    );
    // Stripe 15, lane 0: the secret's bytes 120..124 in a comment, then a string's start.
    pad(&mut live, 960, b' ');
    live.extend(SECRET_AT_120);
    live.extend(b"\x80*/\"y\";\n    app\n}\n");
    pad(&mut live, 1300, b'\n');
    let mut harmless = live.clone();
    harmless[391] += 1; // `"` → `#`: the first string goes on
    harmless[967] -= 1; // `"` → `!`: and ends after the queue's code
    (String::from_utf8(harmless).unwrap(), String::from_utf8(live).unwrap())
}

#[test]
fn a_file_whose_old_hash_collides_with_a_cached_one_is_extracted_again() {
    let (harmless, live) = colliding_versions();
    assert_ne!(harmless, live);
    assert_eq!(
        xxhash_rust::xxh3::xxh3_128(harmless.as_bytes()),
        xxhash_rust::xxh3::xxh3_128(live.as_bytes()),
        "the two versions collide under xxh3-128"
    );
    let dir = project();
    std::fs::write(dir.path().join("src/queue.rs"), &harmless).unwrap();
    let (report, cache) = dir.run(&[]);
    assert_eq!(findings(&report), expected()[..1], "the harmless version fills no queue");
    assert_eq!(cache, "cache: 0 files reused, 3 extracted");
    std::fs::write(dir.path().join("src/queue.rs"), &live).unwrap();
    let (report, cache) = dir.run(&[]);
    let queue = ("unbounded-channel".to_owned(), "src/queue.rs".to_owned(), 7);
    assert_eq!(findings(&report), [expected()[0].clone(), queue], "the live version is read, not taken from the cache");
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

#[test]
fn cargo_is_asked_again_only_when_what_it_reads_changed() {
    let dir = project();
    let cargo = LoggingCargo::new("");
    let check = || dir.check_with_cargo(&cargo);
    assert_eq!((check(), cargo.calls()), (expected(), 1));
    assert_eq!((check(), cargo.calls()), (expected(), 1), "nothing cargo reads changed: its answer is reused");
    std::fs::write(dir.path().join("src/queue.rs"), BOUNDED).unwrap();
    assert_eq!((check(), cargo.calls()), (expected()[..1].to_vec(), 1), "a changed Rust file is not cargo's business");
    let manifest = std::fs::read_to_string(dir.path().join("Cargo.toml")).unwrap();
    std::fs::write(dir.path().join("Cargo.toml"), format!("{manifest}\n[features]\nextra = []\n")).unwrap();
    assert_eq!((check(), cargo.calls()), (expected()[..1].to_vec(), 2), "a changed manifest is asked about again");
    // An integration test: a target cargo discovers by its file.
    std::fs::create_dir_all(dir.path().join("tests")).unwrap();
    std::fs::write(dir.path().join("tests/it.rs"), "#[test]\nfn t() {}\n").unwrap();
    assert_eq!((check(), cargo.calls()), (expected()[..1].to_vec(), 3), "a new target file is too");
    assert_eq!((check(), cargo.calls()), (expected()[..1].to_vec(), 3));
}

#[test]
fn a_cargo_that_did_not_finish_is_asked_again() {
    let dir = project();
    // Killed by a signal on its first call (the machine's doing, not the manifests').
    let cargo = LoggingCargo::new("[ \"$(wc -l < \"$LOG\")\" -eq 1 ] && kill -9 $$\n");
    dir.check_with_cargo(&cargo);
    assert_eq!(cargo.calls(), 1);
    assert_eq!(dir.check_with_cargo(&cargo), expected(), "asked again, and answered");
    assert_eq!(cargo.calls(), 2);
    assert_eq!(dir.check_with_cargo(&cargo), expected());
    assert_eq!(cargo.calls(), 2, "that answer is kept");
}

/// A cargo that logs each call, runs `before` (a shell snippet; `$LOG` is the log), then runs the
/// real one.
struct LoggingCargo {
    dir: tempfile::TempDir,
}

impl LoggingCargo {
    fn new(before: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("calls.log");
        let wrapper = dir.path().join("cargo");
        let script = format!(
            "#!/bin/sh\nLOG='{}'\necho called >> \"$LOG\"\n{before}exec '{}' \"$@\"\n",
            log.display(),
            env!("CARGO")
        );
        std::fs::write(&wrapper, script).unwrap();
        std::fs::set_permissions(&wrapper, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        LoggingCargo { dir }
    }

    fn calls(&self) -> usize {
        std::fs::read_to_string(self.dir.path().join("calls.log")).map_or(0, |text| text.lines().count())
    }
}

impl Project {
    /// The findings of `check` with this project's cache home and `cargo` as its cargo.
    fn check_with_cargo(&self, cargo: &LoggingCargo) -> Vec<(String, String, u64)> {
        let home = self.home.path().display().to_string();
        let args = ["check", ".", "--format", "json", "--cache-dir", home.as_str()];
        let output = guardrail_with(&args, self.path(), |command| {
            command.env("CARGO", cargo.dir.path().join("cargo"));
        });
        assert_eq!(output.code, 1, "{}", output.stderr);
        findings(&output.json())
    }
}

const REMEMBERED: &str = "cache: the previous run's result, as nothing it reads changed";

#[test]
fn a_run_with_unchanged_inputs_reports_the_remembered_result() {
    let dir = project();
    let (cold, cache) = dir.run(&[]);
    assert_eq!(cache, "cache: 0 files reused, 3 extracted");
    let (warm, cache) = dir.run(&[]);
    assert_eq!((warm, cache.as_str()), (cold.clone(), REMEMBERED));
    // Narrowing applies to the remembered result as to a checked one.
    let home = dir.home.path().display().to_string();
    let args = ["check", "src/queue.rs", "--format", "json", "--timings", "--cache-dir", home.as_str()];
    let narrowed = guardrail(&args, dir.path());
    assert_eq!(findings(&narrowed.json()), expected()[1..].to_vec());
    assert!(narrowed.stderr.contains(REMEMBERED), "{}", narrowed.stderr);
}

#[test]
fn any_change_to_what_a_run_reads_checks_again() {
    let dir = project();
    let (cold, _) = dir.run(&[]);
    let checks_again = |why: &str| {
        let (report, cache) = dir.run(&[]);
        assert_ne!(cache, REMEMBERED, "{why}");
        let (_, cache) = dir.run(&[]);
        assert_eq!(cache, REMEMBERED, "{why}: then remembered again");
        report
    };
    std::fs::write(dir.path().join("src/queue.rs"), BOUNDED).unwrap();
    assert_eq!(findings(&checks_again("a changed Rust file")), expected()[..1]);
    std::fs::write(dir.path().join("src/queue.rs"), QUEUE).unwrap();
    assert_eq!(checks_again("the file changed back"), cold);
    std::fs::write(dir.path().join("guardrail.toml"), "[rules.unbounded-channel]\nseverity = \"error\"\n").unwrap();
    let report = checks_again("a changed configuration");
    assert_eq!(report["findings"][0]["severity"], "error");
    std::fs::remove_file(dir.path().join("guardrail.toml")).unwrap();
    std::fs::create_dir_all(dir.path().join("policies")).unwrap();
    let policy = "const META = #{ id: \"first-call\", severity: \"note\", summary: \"s\", rationale: \"r\", \
                  example: \"e\", fix: \"f\" };\n\
                  fn check(facts, ctx) { ctx.report(facts.calls()[0], \"one\"); }\n";
    std::fs::write(dir.path().join("policies/first-call.rhai"), policy).unwrap();
    let messages = |report: &serde_json::Value| {
        let findings = report["findings"].as_array().unwrap();
        findings.iter().filter(|f| f["rule"] == "first-call").map(|f| f["message"].clone()).collect::<Vec<_>>()
    };
    let (report, cache) = dir.run(&["--policies", "policies"]);
    assert_ne!(cache, REMEMBERED, "another policy directory");
    assert_eq!(messages(&report), ["one"], "{report}");
    let (_, cache) = dir.run(&["--policies", "policies"]);
    assert_eq!(cache, REMEMBERED);
    std::fs::write(dir.path().join("policies/first-call.rhai"), policy.replace("\"one\"", "\"two\"")).unwrap();
    let (report, cache) = dir.run(&["--policies", "policies"]);
    assert_ne!(cache, REMEMBERED, "a changed policy");
    assert_eq!(messages(&report), ["two"], "{report}");
    std::fs::write(dir.path().join("src/new.rs"), "pub fn f() {}\n").unwrap();
    checks_again("a new file");
    let home = dir.home.path().display().to_string();
    let without_preview = ["check", ".", "--format", "json", "--timings", "--cache-dir", home.as_str()];
    let output = guardrail_as_shipped(&without_preview, dir.path());
    assert!(!output.stderr.contains(REMEMBERED), "other rules asked for: {}", output.stderr);
}

#[test]
fn a_forged_or_damaged_result_is_not_believed() {
    let dir = project();
    let (cold, _) = dir.run(&[]);
    let result = dir.tree_dir().join("result.bin");
    let whole = std::fs::read(&result).unwrap();
    // Whoever can write the cache rewrites a finding's line without the home's key.
    let mut forged = whole.clone();
    let at = forged.len() - 2;
    forged[at] ^= 1;
    std::fs::write(&result, &forged).unwrap();
    let (report, cache) = dir.run(&[]);
    assert_eq!((report, cache.as_str()), (cold, "cache: 3 files reused, 0 extracted"));
    std::fs::write(&result, "grresult").unwrap();
    let (_, cache) = dir.run(&[]);
    assert_eq!(cache, "cache: 3 files reused, 0 extracted", "a truncated result is not read");
}

#[test]
fn a_run_that_could_not_be_trusted_is_not_remembered() {
    let dir = project();
    std::fs::write(dir.path().join("src/broken.rs"), "pub fn f( {\n").unwrap();
    std::fs::write(dir.path().join("src/lib.rs"), "pub mod queue;\npub mod other;\npub mod broken;\n").unwrap();
    let home = dir.home.path().display().to_string();
    for _ in 0..2 {
        let output = guardrail(&["check", ".", "--format", "json", "--timings", "--cache-dir", &home], dir.path());
        assert_eq!(output.code, 2, "{}", output.stderr);
        assert!(!output.stderr.contains(REMEMBERED), "{}", output.stderr);
    }
    assert!(!dir.tree_dir().join("result.bin").exists());
}
