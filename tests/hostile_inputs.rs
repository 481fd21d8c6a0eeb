//! Hostile and odd inputs: each gives a diagnostic where one exists, nothing panics, the exit
//! code tells the truth, and the output does not depend on threads or runs.

mod common;

use common::*;
use std::process::Command;

/// A queue request handlers fill: the router state holds its sender, a handler sends.
const UNBOUNDED: &str = "pub fn queue(app: axum::Router<Queue>) -> axum::Router {\n    let (tx, _rx) = std::sync::mpsc::channel::<u8>();\n    \
     app.route(\"/\", axum::routing::post(push)).with_state(Queue { tx })\n}\n\
     #[derive(Clone)]\npub struct Queue { tx: std::sync::mpsc::Sender<u8> }\n\
     async fn push(axum::extract::State(queue): axum::extract::State<Queue>) { queue.tx.send(1).ok(); }\n";

#[test]
fn a_directory_with_nothing_to_check_is_an_error_not_a_pass() {
    // A path typo in CI must not pass silently.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("README.md"), "# notes\n").unwrap();
    let output = guardrail(&["check", "."], dir.path());
    assert_eq!(output.code, 2);
    assert!(output.stdout.contains("nothing to check under "), "{}", output.stdout);
    assert!(!output.stdout.contains(":1:1"), "a problem of the run has no place: {}", output.stdout);
}

#[test]
fn a_compiled_file_over_the_size_limit_is_an_error_and_test_data_a_note() {
    let big = format!("// {}\n{UNBOUNDED}", "x".repeat(600));
    let dir = workspace(&[
        ("src/lib.rs", "pub mod big;\n"),
        ("src/big.rs", &big),
        ("tests/data/big.rs", &big),
        ("guardrail.toml", "max_file_size = 500\n"),
    ]);
    let (code, report) = check_json(dir.path(), &[]);
    assert_eq!((code, findings(&report)), (2, vec![]));
    let errs = errors(&report);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert_eq!(errs[0].0, "src/big.rs");
    assert!(errs[0].2.contains("over the max_file_size of 500 bytes"), "{errs:?}");
    let notes = located(&report, "notes");
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(notes[0].0, "tests/data/big.rs");
    assert!(notes[0].2.contains("could not be read"), "{notes:?}");
}

#[test]
fn a_binary_file_named_rs_is_an_error_not_a_crash() {
    let lib = format!("mod blob;\n{UNBOUNDED}");
    let dir = workspace(&[("src/lib.rs", &lib)]);
    std::fs::write(dir.path().join("src/blob.rs"), [0u8, 159, 146, 150, 0, 1, 2, 255]).unwrap();
    let (code, report) = check_json(dir.path(), &[]);
    assert_eq!(code, 2);
    assert_eq!(findings(&report), [finding("unbounded-channel", "src/lib.rs", 3)]);
    assert_eq!(errors(&report)[0].0, "src/blob.rs");
}

#[test]
fn escape_sequences_in_the_tree_do_not_reach_the_terminal() {
    // A quoted SQL name, a statement guardrail does not read and a Rust string, each holding an
    // escape sequence that would clear the screen or recolour what follows.
    let sql = "ALTER TABLE \"ev\u{1b}[2Jil\" DROP COLUMN a;\nDO \"x\u{1b}[31m\";\n";
    let dir = workspace(&[("src/lib.rs", &format!("// \u{1b}[8m hidden\n{UNBOUNDED}")), ("migrations/1_a.sql", sql)]);
    let output = guardrail(&["check", ".", "--color", "never"], dir.path());
    assert_eq!(output.code, 1, "{}", output.stdout);
    assert!(!output.stdout.contains('\u{1b}'), "{:?}", output.stdout);
    assert!(output.stdout.contains("column `ev?[2Jil.a` is dropped"), "{}", output.stdout);
    assert!(output.stdout.contains("(DO X?[31M)"), "the note names the unread statement: {}", output.stdout);
    assert!(output.stdout.contains("unbounded channel `std::sync::mpsc::channel`"), "{}", output.stdout);
    // The other formats escape it as their syntax says; JSON keeps it, escaped.
    let (_, report) = check_json(dir.path(), &[]);
    assert!(report.to_string().contains("ev\\u001b[2Jil"), "{report}");
}

#[test]
fn down_migrations_are_named_as_left_out() {
    let dir = workspace(&[
        ("src/lib.rs", "pub fn f() {}\n"),
        ("migrations/20240101000000_a.up.sql", "CREATE TABLE a (id int);\n"),
        ("migrations/20240101000000_a.down.sql", "DROP TABLE a;\n"),
    ]);
    let (code, report) = check_json(dir.path(), &[]);
    assert_eq!((code, findings(&report)), (0, vec![]), "a down migration's DROP TABLE is not judged");
    let down: Vec<&serde_json::Value> =
        report["left_out"].as_array().unwrap().iter().filter(|e| e["by"] == "down-migration").collect();
    assert_eq!(down.len(), 1, "{report}");
    assert_eq!(down[0]["items"], serde_json::json!(["migrations/20240101000000_a.down.sql"]));
}

#[test]
fn deeply_nested_sql_is_a_note_and_the_rest_of_the_migration_is_checked() {
    let deep = format!(
        "SELECT {}1{};\nALTER TABLE users ADD COLUMN a int DEFAULT {}1{};\nCREATE INDEX users_a_idx ON users (a);\n",
        "(".repeat(200_000),
        ")".repeat(200_000),
        "(".repeat(5_000),
        ")".repeat(5_000)
    );
    let dir = workspace(&[("src/lib.rs", "pub fn f() {}\n"), ("migrations/0002_deep.sql", &deep)]);
    let (code, report) = check_json(dir.path(), &[]);
    assert_eq!(code, 1, "a statement the parser gives up on is a note, not an untrusted run: {report}");
    let found = findings(&report);
    assert!(found.contains(&finding("migration-index-lock", "migrations/0002_deep.sql", 3)), "{found:?}");
    assert!(found.iter().all(|(_, _, line)| *line == 3), "{found:?}");
    let notes = report["notes"].as_array().unwrap();
    let unread = notes.iter().find(|n| n["message"].as_str().unwrap().contains("does not read")).expect("a note");
    assert!(unread["message"].as_str().unwrap().contains("line 1 (SELECT), line 2 (ALTER TABLE)"), "{unread}");
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
fn output_is_byte_identical_across_runs_thread_counts_and_the_cache() {
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/shop");
    let cache = tempfile::tempdir().unwrap();
    // `cached`: through a private cache (cold the first time, warm after); else `--no-cache`.
    let run = |threads: &str, format: &str, cached: bool| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_guardrail"));
        command.args(["check", ".", "--format", format, "--color", "never"]).current_dir(&example);
        if !cached {
            command.arg("--no-cache");
        }
        let output = command
            .env("RAYON_NUM_THREADS", threads)
            .env("XDG_CACHE_HOME", cache.path())
            .env_remove("GITHUB_ACTIONS")
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1));
        output.stdout
    };
    for format in ["json", "human", "sarif", "github", "junit", "markdown"] {
        let one = run("1", format, false);
        assert!(!one.is_empty());
        assert_eq!(one, run("4", format, false), "{format}: 1 thread vs 4");
        assert_eq!(one, run("4", format, false), "{format}: run to run");
        assert_eq!(one, run("4", format, true), "{format}: through the cache");
    }
    assert!(std::fs::read_dir(cache.path()).unwrap().count() > 0, "the cached runs wrote the private cache");
    assert_eq!(run("1", "json", true), run("1", "json", false), "a warm cache");
}

#[test]
fn checking_writes_nothing_into_the_tree() {
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

    // With the cache, and with links where earlier versions kept it pointing out of the tree.
    let outside = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(outside.path(), dir.path().join("target")).unwrap();
    check_json(dir.path(), &[]);
    std::fs::remove_file(dir.path().join("target")).unwrap();
    assert_eq!(before, listing(dir.path()), "the cache lives outside the tree");
    assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0, "nothing is written through a link");
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

#[cfg(unix)]
#[test]
fn the_checked_tree_cannot_choose_the_program_cargo_metadata_runs_as() {
    // A finding that needs cargo metadata's answer: the binary and its server.
    let server = "#[tokio::main]\nasync fn main() {\n    tracing_subscriber::fmt().init();\n    axum::serve(listener, app()).await.unwrap();\n}\n";
    let dir = workspace(&[("src/main.rs", server)]);
    let marker = poison_toolchain(dir.path());
    // As in CI: started in the checkout, cargo found on PATH (rustup's proxy), not through $CARGO.
    let output = guardrail_with(&["check", ".", "--format", "json"], dir.path(), |command| {
        command.env_remove("CARGO").env_remove("RUSTUP_TOOLCHAIN");
    });
    assert!(!marker.exists(), "the checkout's toolchain ran: {}", std::fs::read_to_string(&marker).unwrap());
    let report = output.json();
    assert_eq!((errors(&report), located(&report, "notes")), (vec![], vec![]));
    assert_eq!(findings(&report), [finding("graceful-shutdown", "src/main.rs", 2)]);
    let binaries = guardrail_with(&["services", "."], dir.path(), |command| {
        command.env_remove("CARGO").env_remove("RUSTUP_TOOLCHAIN");
    });
    assert!(!marker.exists());
    assert_eq!(binaries.code, 0, "{}", binaries.stderr);
}

/// A file outside every checked tree, holding what must never reach a report.
#[cfg(unix)]
fn secret_file() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("credentials");
    std::fs::write(&path, "const META = TOKEN_f00dcafe;\n[[[ TOKEN_f00dcafe\n").unwrap();
    (dir, path)
}

#[cfg(unix)]
#[test]
fn links_out_of_the_tree_are_refused_by_name_and_never_shown() {
    let (_secret_dir, secret) = secret_file();
    let dir = workspace(&[("src/lib.rs", UNBOUNDED), ("ci/policies/own.rhai", "fn check(facts, ctx) {}\n")]);
    std::os::unix::fs::symlink(&secret, dir.path().join("ci/policies/leak.rhai")).unwrap();
    std::fs::write(dir.path().join("real.toml"), "policies = [\"ci/policies\"]\n").unwrap();
    std::os::unix::fs::symlink(dir.path().join("real.toml"), dir.path().join("guardrail.toml")).unwrap();
    for format in ["json", "human"] {
        let output = guardrail(&["check", ".", "--format", format, "--color", "never"], dir.path());
        assert!(!output.stdout.contains("f00dcafe") && !output.stderr.contains("f00dcafe"), "{}", output.stdout);
        assert_eq!(output.code, 2);
    }
    let (_, report) = check_json(dir.path(), &[]);
    let errs = errors(&report);
    assert!(
        errs.iter().any(|e| e.0 == "ci/policies/leak.rhai" && e.2.contains("symbolic link out of the checked tree")),
        "{errs:?}"
    );
    assert_eq!(findings(&report), [finding("unbounded-channel", "src/lib.rs", 2)]);

    // The configuration itself, linked out of the tree.
    std::fs::remove_file(dir.path().join("guardrail.toml")).unwrap();
    std::os::unix::fs::symlink(&secret, dir.path().join("guardrail.toml")).unwrap();
    let output = guardrail(&["check", ".", "--color", "never"], dir.path());
    assert!(!output.stdout.contains("f00dcafe") && !output.stderr.contains("f00dcafe"), "{}", output.stdout);
    assert_eq!(output.code, 2);
    let (_, report) = check_json(dir.path(), &[]);
    let errs = errors(&report);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert_eq!((errs[0].0.as_str(), errs[0].1), ("guardrail.toml", 1));
    assert!(errs[0].2.contains("symbolic link out of the checked tree"), "{errs:?}");
}

#[test]
fn a_configuration_names_policy_directories_only_inside_the_tree() {
    let outside = workspace(&[("policies/own.rhai", "not even rhai (\n")]);
    let config = format!("policies = [\"{}\", \"../..\", \"ok\"]\n", outside.path().join("policies").display());
    let dir = workspace(&[("src/lib.rs", UNBOUNDED), ("guardrail.toml", &config), ("ok/.keep", "")]);
    let (code, report) = check_json(dir.path(), &[]);
    assert_eq!(code, 2);
    let errs: Vec<(String, u64)> = errors(&report)
        .into_iter()
        .map(|(path, line, message)| {
            assert!(message.contains("outside the checked tree"), "{message}");
            (path, line)
        })
        .collect();
    assert_eq!(errs, [("guardrail.toml".to_owned(), 1), ("guardrail.toml".to_owned(), 1)]);
    assert_eq!(findings(&report), [finding("unbounded-channel", "src/lib.rs", 2)]);
}

#[cfg(unix)]
#[test]
fn fifos_where_files_are_expected_never_block_the_run() {
    let dir = workspace(&[
        ("Cargo.toml", "[workspace]\nmembers = [\"crates/*\"]\n"),
        ("crates/a/Cargo.toml", "[package]\nname = \"a\"\nversion = \"0.1.0\"\nedition = \"2021\"\n"),
        ("crates/a/src/lib.rs", UNBOUNDED),
        ("guardrail.toml", "policies = [\"p\"]\n"),
        ("p/.keep", ""),
    ]);
    let mkfifo = |path: &str| {
        std::fs::create_dir_all(dir.path().join(path).parent().unwrap()).unwrap();
        assert!(Command::new("mkfifo").arg(dir.path().join(path)).status().unwrap().success());
    };
    mkfifo("crates/b/Cargo.toml");
    mkfifo("p/stuck.rhai");
    mkfifo("src/stuck.rs");
    let started = std::time::Instant::now();
    let (code, report) = check_json(dir.path(), &[]);
    assert!(started.elapsed() < std::time::Duration::from_secs(20), "{:?}", started.elapsed());
    assert_eq!(findings(&report), [finding("unbounded-channel", "crates/a/src/lib.rs", 2)]);
    let errs = errors(&report);
    assert!(errs.iter().any(|e| e.0 == "p/stuck.rhai" && e.2.contains("not a regular file")), "{errs:?}");
    assert_eq!(code, 2);
}

#[test]
fn inputs_that_were_quadratic_are_read_in_linear_time() {
    // A map of 40,000 keys merged into another of 40,000 (was ~5 s in a release build), and a
    // method chain just under the length that is refused (was quadratic): well under a second.
    let keys = |prefix: &str| (0..40_000).map(|i| format!("  {prefix}{i}: x\n")).collect::<String>();
    let merge = format!("base: &base\n{}services:\n  api:\n    image: a\n    <<: *base\n{}", keys("b"), keys("  s"));
    let chain = format!("pub fn f() {{\n    a{};\n}}\n", ".b()".repeat(16_000));
    let dir = workspace(&[("src/lib.rs", UNBOUNDED), ("src/chain.rs", &chain), ("compose.yaml", &merge)]);
    let started = std::time::Instant::now();
    let (code, report) = check_json(dir.path(), &[]);
    assert!(started.elapsed() < std::time::Duration::from_secs(10), "{:?}", started.elapsed());
    assert_eq!((code, errors(&report)), (1, vec![]));
    assert_eq!(findings(&report), [finding("unbounded-channel", "src/lib.rs", 2)]);
}

#[test]
fn nesting_that_would_overflow_the_stack_is_refused_with_a_location() {
    // Each aborted the whole process (exit 134, no report): the old guard counted brackets only.
    let generics = format!("type T = {}u8{};\n", "Vec<".repeat(10_000), ">".repeat(10_000));
    let closures = format!("pub fn f() {{\n    let x = {} 1;\n}}\n", "|| ".repeat(50_000));
    let chain = format!("pub fn f() {{\n    a{};\n}}\n", ".b()".repeat(200_000));
    let lib = format!("mod generics;\nmod closures;\nmod chain;\n{UNBOUNDED}");
    let dir = workspace(&[
        ("src/lib.rs", &lib),
        ("src/generics.rs", &generics),
        ("src/closures.rs", &closures),
        ("src/chain.rs", &chain),
    ]);
    let (code, report) = check_json(dir.path(), &[]);
    assert_eq!(code, 2);
    assert_eq!(findings(&report), [finding("unbounded-channel", "src/lib.rs", 5)]);
    let errs: Vec<(String, u64, bool)> = errors(&report)
        .into_iter()
        .map(|(path, line, message)| (path, line, message.contains("nests deeper") || message.contains("chains more")))
        .collect();
    assert_eq!(
        errs,
        [("src/chain.rs".into(), 2, true), ("src/closures.rs".into(), 2, true), ("src/generics.rs".into(), 1, true)]
    );
}

#[test]
fn max_file_size_cannot_be_raised_past_its_bound() {
    let dir = workspace(&[("src/lib.rs", UNBOUNDED), ("guardrail.toml", "max_file_size = 242000000\n")]);
    let (code, report) = check_json(dir.path(), &[]);
    assert_eq!(code, 2);
    let errs = errors(&report);
    assert_eq!((errs[0].0.as_str(), errs[0].1), ("guardrail.toml", 1));
    assert!(errs[0].2.contains("max_file_size must be between 1 and 16777216"), "{errs:?}");
}

/// A Deployment without a liveness probe: what the evasions below try to hide.
const UNPROBED: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  template:\n    spec:\n      containers:\n        - name: api\n          image: api\n          readinessProbe:\n            httpGet: {path: /ready, port: 8080}\n";

#[test]
fn manifests_kubectl_reads_are_read_whatever_their_encoding_or_escapes() {
    let utf16le: Vec<u8> = [0xff, 0xfe].into_iter().chain(UNPROBED.encode_utf16().flat_map(u16::to_le_bytes)).collect();
    let utf16be: Vec<u8> = [0xfe, 0xff].into_iter().chain(UNPROBED.encode_utf16().flat_map(u16::to_be_bytes)).collect();
    let utf32le: Vec<u8> =
        [0xff, 0xfe, 0, 0].into_iter().chain(UNPROBED.chars().flat_map(|c| (c as u32).to_le_bytes())).collect();
    let escaped = UNPROBED.replace("apiVersion:", "\"api\\x56ersion\":").replace("kind:", "\"\\x6bind\":");
    let json = r#"{"\u0061piVersion": "apps/v1", "\u006bind": "Deployment", "metadata": {"name": "api"}, "spec": {"template": {"spec": {"containers": [{"name": "api", "image": "api", "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080}}}]}}}}"#;
    let commented = format!("# rendered from {{{{ .Values }}}} by hand\n{UNPROBED}");
    let dir = workspace(&[
        ("src/lib.rs", "pub fn ok() {}\n"),
        ("deploy/escaped.yaml", &escaped),
        ("deploy/json.json", json),
        ("deploy/commented.yaml", &commented),
        ("chart/templates/real.yaml", "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Values.name }}\n"),
    ]);
    for (name, bytes) in
        [("deploy/utf16le.yaml", &utf16le), ("deploy/utf16be.yaml", &utf16be), ("deploy/utf32le.yaml", &utf32le)]
    {
        std::fs::write(dir.path().join(name), bytes).unwrap();
    }
    std::fs::write(
        dir.path().join("deploy/latin1.yaml"),
        b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: caf\xe9\n",
    )
    .unwrap();
    let (code, report) = check_json(dir.path(), &[]);
    let liveness: Vec<String> = findings(&report)
        .into_iter()
        .filter(|f| f.0 == "k8s-liveness-probe")
        .map(|f| format!("{}:{}", f.1, f.2))
        .collect();
    assert_eq!(
        liveness,
        [
            "deploy/commented.yaml:10",
            "deploy/escaped.yaml:9",
            "deploy/json.json:1",
            "deploy/utf16be.yaml:9",
            "deploy/utf16le.yaml:9",
            "deploy/utf32le.yaml:9"
        ]
    );
    let notes = located(&report, "notes");
    assert_eq!(notes.iter().map(|n| n.0.as_str()).collect::<Vec<_>>(), ["chart/templates/real.yaml"]);
    let errs = errors(&report);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].0 == "deploy/latin1.yaml" && errs[0].2.contains("not valid UTF-8"), "{errs:?}");
    assert_eq!(code, 2);
}

#[test]
fn a_compose_file_of_many_services_is_read_and_judged_in_linear_time() {
    // 20,000 services that run the workspace's binary: every compose rule asks, per service,
    // which service it is and how its binary drains (that was quadratic: 50,000 took 9 s).
    let main = "#[tokio::main]\nasync fn main() {\n    let listener = tokio::net::TcpListener::bind(\"0.0.0.0:80\").await.unwrap();\n    \
                axum::serve(listener, app()).await.unwrap();\n}\n";
    let services: String = (0..20_000).map(|i| format!("  s{i}:\n    build: .\n    command: [\"svc\"]\n")).collect();
    let compose = format!("services:\n{services}");
    // The deadline is far away: a debug build on a busy machine is slow, and the wall clock below
    // is what tells linear from quadratic.
    let config = "[limits]\npolicy_max_findings = 100000\npolicy_timeout_ms = 60000\n";
    let dir = workspace(&[("src/main.rs", main), ("compose.yaml", &compose), ("guardrail.toml", config)]);
    let started = std::time::Instant::now();
    let (code, report) = check_json(dir.path(), &[]);
    assert!(started.elapsed() < std::time::Duration::from_secs(30), "{:?}", started.elapsed());
    assert_eq!(errors(&report), [], "no policy may hit a limit");
    assert_eq!(code, 1);
    let reported = findings(&report);
    assert_eq!(reported.iter().filter(|f| f.0 == "compose-healthcheck").count(), 20_000);
    assert_eq!(reported.iter().filter(|f| f.0 == "graceful-shutdown").count(), 1);
}

#[test]
fn a_crate_kept_as_test_data_that_does_not_parse_is_a_note_and_the_workspaces_own_an_error() {
    // docs.rs builds `tests/crates/build-failure` in a test to see the build fail.
    let broken = "fn main() {\n    let x = \n}\n";
    let dir = workspace(&[
        ("src/lib.rs", "pub mod tests;\n"),
        ("src/tests/mod.rs", "pub fn ok() {}\n"),
        (
            "tests/crates/build-failure/Cargo.toml",
            "[package]\nname = \"build-failure\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
        ),
        ("tests/crates/build-failure/src/main.rs", broken),
    ]);
    let (code, report) = check_json(dir.path(), &[]);
    assert_eq!((code, errors(&report)), (0, vec![]), "{report}");
    let notes = located(&report, "notes");
    assert!(notes.iter().any(|n| n.0 == "tests/crates/build-failure/src/main.rs"), "{notes:?}");

    // The crate's own `src/tests/` module is compiled code: an error.
    std::fs::write(dir.path().join("src/tests/mod.rs"), broken).unwrap();
    let (code, report) = check_json(dir.path(), &[]);
    assert_eq!(code, 2);
    assert_eq!(errors(&report)[0].0, "src/tests/mod.rs");
}
