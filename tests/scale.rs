//! Every built-in rule finishes on a large workspace, within the limits a user cannot lift past
//! (the default 1 s per policy), in a debug build: each rule's cost is linear in the facts it
//! looks at, and what it filters on is answered natively once, not per call in a script.

mod common;

use common::*;
use std::fmt::Write as _;

/// A workspace of `crates` services, each with `files` files of handlers that do what most
/// rules look at — blocking calls in async code, clients without timeouts, request-fed state and
/// queues — with a binary that serves them, a Dockerfile and a Deployment.
fn dense_workspace(crates: usize, files: usize) -> (tempfile::TempDir, usize) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let write = |path: &str, text: &str| {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write("Cargo.toml", "[workspace]\nmembers = [\"crates/*\"]\nresolver = \"2\"\n");
    let mut lines = 0;
    for c in 0..crates {
        let manifest = format!(
            "[package]\nname = \"svc{c}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\naxum = \"0.8\"\n\
             tokio = {{ version = \"1\", features = [\"full\"] }}\nreqwest = \"0.12\"\ntracing-subscriber = \"0.3\"\n"
        );
        write(&format!("crates/svc{c}/Cargo.toml"), &manifest);
        let mut lib = String::new();
        for f in 0..files {
            let mut text = String::from("use std::sync::Arc;\nuse axum::extract::State;\n\n");
            for h in 0..10 {
                let _ = write!(
                    text,
                    "pub async fn handler_{h}(State(dir): State<Arc<String>>) -> String {{\n    \
                     let path = format!(\"{{}}/item-{h}.json\", dir);\n    \
                     if std::path::Path::new(&path).exists() {{\n        \
                     return std::fs::read_to_string(&path).unwrap_or_default();\n    }}\n    \
                     std::thread::sleep(std::time::Duration::from_millis(1));\n    \
                     let client = reqwest::Client::new();\n    drop(client);\n    String::new()\n}}\n\n"
                );
            }
            lines += text.lines().count();
            write(&format!("crates/svc{c}/src/h{f}.rs"), &text);
            let _ = writeln!(lib, "pub mod h{f};");
        }
        write(&format!("crates/svc{c}/src/lib.rs"), &lib);
        let main = format!(
            "#[tokio::main]\nasync fn main() {{\n    tracing_subscriber::fmt::init();\n    let app = axum::Router::new()\n        \
             .route(\"/\", axum::routing::get(svc{c}::h0::handler_0))\n        .with_state(std::sync::Arc::new(String::new()));\n    \
             let listener = tokio::net::TcpListener::bind(\"0.0.0.0:80\").await.unwrap();\n    \
             axum::serve(listener, app).await.unwrap();\n}}\n"
        );
        write(&format!("crates/svc{c}/src/main.rs"), &main);
        write(
            &format!("crates/svc{c}/Dockerfile"),
            &format!("FROM debian\nCOPY svc{c} /svc{c}\nEXPOSE 80\nCMD [\"/svc{c}\"]\n"),
        );
        let deployment = format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: svc{c}\nspec:\n  replicas: 3\n  template:\n    spec:\n      \
             containers:\n        - name: svc{c}\n          image: svc{c}:1\n"
        );
        write(&format!("deploy/svc{c}.yaml"), &deployment);
    }
    (dir, lines)
}

#[test]
fn every_built_in_rule_finishes_on_a_large_workspace_within_its_default_limits() {
    // About 25,000 lines in a debug build, where policies run several times slower than in a
    // release build: as a 200,000-line workspace of this density would in a release build.
    let (dir, lines) = dense_workspace(8, 30);
    assert!(lines > 24_000, "{lines}");
    // Enough findings for every rule to report each one (the cap is a limit, not the subject).
    std::fs::write(dir.path().join("guardrail.toml"), "[limits]\npolicy_max_findings = 100000\n").unwrap();
    let output = guardrail(&["check", ".", "--format", "json", "--no-cache", "--timings"], dir.path());
    let report = output.json();
    assert_eq!(errors(&report), [], "no built-in rule may fail or hit a limit:\n{}", output.stderr);
    let count = |rule: &str| findings(&report).iter().filter(|f| f.0 == rule).count();
    // 8 services × 30 files × 10 handlers: a disk check, a read and a sleep each, and a client.
    assert_eq!(count("blocking-in-async"), 8 * 30 * 10 * 3);
    assert_eq!(count("http-client-timeout"), 8 * 30 * 10);
    assert_eq!(count("graceful-shutdown"), 8);
}
