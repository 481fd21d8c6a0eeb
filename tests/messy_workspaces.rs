//! What real repositories are made of, beyond what a linter's own examples show: workspaces
//! `cargo metadata` cannot read, test data that does not parse, deployment files under other
//! names. Each is read, its findings still reported, with at most one note per cause, and the
//! exit code follows the findings.

mod common;

use common::*;

/// A server that never handles SIGTERM: a finding that needs the binary to be known.
const SERVER: &str = "#[tokio::main]\nasync fn main() {\n    tracing_subscriber::fmt().init();\n    let listener = tokio::net::TcpListener::bind(\"0.0.0.0:8080\").await.unwrap();\n    axum::serve(listener, app()).await.unwrap();\n}\n";

fn package(name: &str) -> String {
    format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n")
}

type Finding = (String, String, u64);
type Error = (String, u64, String);

/// (exit code, findings, notes as `path: message`, errors) of a check of `files`.
fn check(files: &[(&str, &str)]) -> (i32, Vec<Finding>, Vec<String>, Vec<Error>) {
    let dir = workspace(files);
    let (code, report) = check_json(dir.path(), &[]);
    let notes = located(&report, "notes").into_iter().map(|(path, _, message)| format!("{path}: {message}")).collect();
    (code, findings(&report), notes, errors(&report))
}

fn graceful(path: &str) -> Finding {
    finding("graceful-shutdown", path, 2)
}

#[test]
fn a_member_that_is_not_checked_out_leaves_the_rest_of_the_workspace_readable() {
    let (code, findings, notes, errors) = check(&[
        ("Cargo.toml", "[workspace]\nmembers = [\"crates/api\", \"vendor/protocol\"]\n"),
        (
            "crates/api/Cargo.toml",
            &format!("{}[dependencies]\nprotocol = {{ path = \"../../vendor/protocol\" }}\n", package("api")),
        ),
        ("crates/api/src/main.rs", SERVER),
    ]);
    assert_eq!((code, findings, errors), (1, vec![graceful("crates/api/src/main.rs")], vec![]));
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(notes[0].starts_with("Cargo.toml: cargo metadata failed for Cargo.toml: "), "{notes:?}");
    assert!(notes[0].ends_with("packages there were read from the manifests"), "{notes:?}");
}

#[test]
fn a_path_dependency_outside_the_checkout_leaves_the_packages_readable() {
    let (code, findings, notes, errors) = check(&[
        (
            "Cargo.toml",
            &format!("{}[dependencies]\nshared = {{ path = \"../shared\" }}\n\n[workspace]\n", package("api")),
        ),
        ("src/main.rs", SERVER),
    ]);
    assert_eq!((code, findings, errors), (1, vec![graceful("src/main.rs")], vec![]));
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(notes[0].contains("cargo metadata failed for Cargo.toml"), "{notes:?}");
}

#[test]
fn a_toolchain_the_tree_pins_is_neither_needed_nor_installed() {
    let (code, findings, notes, errors) = check(&[
        ("Cargo.toml", &format!("{}\n[workspace]\n", package("api"))),
        ("rust-toolchain.toml", "[toolchain]\nchannel = \"nightly-2019-01-01\"\n"),
        ("src/main.rs", SERVER),
    ]);
    assert_eq!((code, findings, notes, errors), (1, vec![graceful("src/main.rs")], vec![], vec![]));
}

#[test]
fn a_patch_crate_and_an_excluded_crate_that_inherits_are_read_from_their_manifests() {
    let (code, findings, notes, errors) = check(&[
        (
            "Cargo.toml",
            "[workspace]\nmembers = [\"crates/*\"]\nexclude = [\"daemon\", \"tools/fuzz\"]\n[workspace.package]\nversion = \"1.0.0\"\nedition = \"2021\"\n[patch.crates-io]\nhyper = { path = \"patches/hyper\" }\n",
        ),
        ("crates/api/Cargo.toml", "[package]\nname = \"api\"\nversion.workspace = true\nedition.workspace = true\n"),
        ("crates/api/src/main.rs", SERVER),
        ("patches/hyper/Cargo.toml", &package("hyper")),
        ("patches/hyper/src/lib.rs", "pub fn serve() {}\n"),
        // Its binary is known only from its manifest: a declared target at a path of its own.
        ("daemon/Cargo.toml", "[package]\nname = \"daemon\"\nversion.workspace = true\nedition.workspace = true\n[[bin]]\nname = \"daemon\"\npath = \"run/daemon.rs\"\n"),
        ("daemon/run/daemon.rs", SERVER),
        // A second crate failing for the same reason: the same note, not a second one.
        ("tools/fuzz/Cargo.toml", "[package]\nname = \"tools-fuzz\"\nversion.workspace = true\n"),
    ]);
    assert_eq!(errors, []);
    assert_eq!(findings, [graceful("crates/api/src/main.rs"), graceful("daemon/run/daemon.rs")]);
    assert_eq!(code, 1);
    assert!(!notes.is_empty() && notes.len() <= 2, "at most one note per cause: {notes:?}");
    assert_eq!(notes.iter().filter(|n| n.contains(" and 1 more: ")).count(), 1, "{notes:?}");
    assert!(notes.iter().all(|n| n.ends_with("packages there were read from the manifests")), "{notes:?}");
}

#[test]
fn test_data_that_does_not_parse_is_one_note_and_a_broken_module_an_error() {
    let (code, findings, notes, errors) = check(&[
        ("Cargo.toml", &format!("{}\n[workspace]\n", package("parser"))),
        (
            "src/lib.rs",
            "pub mod broken;\npub fn queue() {\n    let (tx, _rx) = std::sync::mpsc::channel::<u8>();\n    for n in 0..8u8 { tx.send(n).ok(); }\n}\n",
        ),
        ("src/broken.rs", "pub fn f( {\n"),
        ("guardrail.toml", EVERY_QUEUE),
        ("test_data/err/0001.rs", "fn f( {\n"),
        ("test_data/err/0002.rs", "struct {\n"),
        ("test_data/ok/0003.rs", "fn ok() {}\n"),
        ("test_data/err/0004.rs", "impl for {\n"),
    ]);
    assert_eq!(findings, [finding("unbounded-channel", "src/lib.rs", 3)]);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!((errors[0].0.as_str(), errors[0].1), ("src/broken.rs", 1));
    assert_eq!(code, 2);
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(
        notes[0]
            .starts_with("test_data/err/0001.rs: 3 Rust files that no target's module tree includes could not be read"),
        "{notes:?}"
    );
}

/// The image of a long-running service without a HEALTHCHECK.
const SERVICE_IMAGE: &str = "FROM debian\nEXPOSE 8080\nCMD [\"/api\"]\n";

#[test]
fn compose_files_and_dockerfiles_under_other_names_are_read() {
    let flow = "services:\n  test:\n    build: .\n    command: [\n      \"serve\",\n      \"--port=80\"\n    ]\n";
    let (code, findings, notes, errors) = check(&[
        ("Cargo.toml", &format!("{}\n[workspace]\n", package("api"))),
        ("src/main.rs", "fn main() {}\n"),
        ("docker-compose.prod.yml", "services:\n  api:\n    build: .\n"),
        ("deploy/tls-compose.yaml", flow),
        ("compose/api.yaml", "services:\n  api:\n    build:\n      context: ..\n"),
        ("compose/notes.yaml", "just: text\n"),
        ("Containerfile", SERVICE_IMAGE),
        ("build/api.dockerfile", SERVICE_IMAGE),
        ("Dockerfile_prod", SERVICE_IMAGE),
        ("Dockerfile-api", SERVICE_IMAGE),
    ]);
    assert_eq!((errors, notes), (vec![], vec![]));
    let rules: Vec<(String, String)> = findings.into_iter().map(|(rule, path, _)| (rule, path)).collect();
    let expected: Vec<(String, String)> = [
        ("dockerfile-healthcheck", "Containerfile"),
        ("dockerfile-healthcheck", "Dockerfile-api"),
        ("dockerfile-healthcheck", "Dockerfile_prod"),
        ("dockerfile-healthcheck", "build/api.dockerfile"),
        ("compose-healthcheck", "compose/api.yaml"),
        ("compose-healthcheck", "deploy/tls-compose.yaml"),
        ("compose-healthcheck", "docker-compose.prod.yml"),
    ]
    .iter()
    .map(|(rule, path)| (rule.to_string(), path.to_string()))
    .collect();
    assert_eq!(rules, expected);
    assert_eq!(code, 0, "warnings only");
}

/// With every queue reported (`request_fed_only = false`): the one-reply note is given only then.
#[test]
fn a_channel_that_carries_one_reply_is_a_note_and_senders_that_queue_stay_errors() {
    let case =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/unbounded-channel/fails-senders-that-queue");
    let every_queue = workspace(&[("guardrail.toml", EVERY_QUEUE)]);
    let config = every_queue.path().join("guardrail.toml");
    let (code, report) = check_json(&case, &["--config", config.to_str().unwrap()]);
    let reported: Vec<(u64, &str)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["line"].as_u64().unwrap(), f["severity"].as_str().unwrap()))
        .collect();
    assert_eq!(reported, [(15, "error"), (26, "error"), (45, "error"), (62, "note"), (87, "error")]);
    assert_eq!(code, 1);
}

/// A tool that blocks in a spawned task: a note, unless something outside development and test
/// files deploys it.
#[test]
fn a_binary_only_ci_files_run_is_a_tool_and_its_blocking_calls_notes() {
    const VERIFIER: &str =
        "#[tokio::main]\nasync fn main() {\n    tokio::spawn(async { std::fs::write(\"result\", \"START\").unwrap() }).await.unwrap();\n}\n";
    const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: verifier\nspec:\n  containers:\n    - name: verifier\n      image: registry.local/verifier:ci\n";
    let severity = |pod_path: &str| {
        let dir = workspace(&[
            ("Cargo.toml", &format!("{}[dependencies]\ntokio = \"1\"\n\n[workspace]\n", package("verifier"))),
            ("src/main.rs", VERIFIER),
            (pod_path, POD),
        ]);
        let (_, report) = check_json(dir.path(), &[]);
        let blocking =
            report["findings"].as_array().unwrap().iter().find(|f| f["rule"] == "blocking-in-async").cloned();
        blocking.map(|f| (f["line"].as_u64().unwrap(), f["severity"].as_str().unwrap().to_owned()))
    };
    assert_eq!(severity("scripts/ci/verifier.yaml"), Some((3, "note".to_owned())));
    assert_eq!(severity("deploy/verifier.yaml"), Some((3, "warning".to_owned())));
}
