//! Attacks a pull request's author can make on a guardrail run in CI (they control every file of
//! the checkout; the job holds secrets), each as a test: it failed before the defence existed.
//! SECURITY.md lists the promise each one holds.

mod common;

use common::*;

/// A queue request handlers fill: the router state holds its sender, a handler sends.
const UNBOUNDED: &str = "pub fn queue(app: axum::Router<Queue>) -> axum::Router {\n    let (tx, _rx) = std::sync::mpsc::channel::<u8>();\n    \
     app.route(\"/\", axum::routing::post(push)).with_state(Queue { tx })\n}\n\
     #[derive(Clone)]\npub struct Queue { tx: std::sync::mpsc::Sender<u8> }\n\
     async fn push(axum::extract::State(queue): axum::extract::State<Queue>) { queue.tx.send(1).ok(); }\n";

#[cfg(unix)]
#[test]
fn a_baseline_linked_out_of_the_tree_is_refused_and_its_text_never_shown() {
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("credentials");
    std::fs::write(&secret, "TOKEN_f00dcafe\n").unwrap();
    let dir = workspace(&[("src/lib.rs", UNBOUNDED)]);
    std::os::unix::fs::symlink(&secret, dir.path().join("guardrail-baseline.json")).unwrap();
    let output = guardrail(&["check", ".", "--baseline", "guardrail-baseline.json", "--format", "json"], dir.path());
    assert_eq!(output.code, 2);
    assert!(!output.stdout.contains("f00dcafe") && !output.stderr.contains("f00dcafe"), "{}", output.stdout);
    let errs = errors(&output.json());
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].2.contains("symbolic link out of the checked tree"), "{errs:?}");

    // A file of the tree that is not a baseline: its position and what is wrong, none of its text.
    std::fs::remove_file(dir.path().join("guardrail-baseline.json")).unwrap();
    for text in [
        "{\"version\": \"TOKEN_f00dcafe\", \"findings\": []}",
        "TOKEN_f00dcafe",
        "{\"findings\": [\"TOKEN_f00dcafe\"]}",
    ] {
        std::fs::write(dir.path().join("guardrail-baseline.json"), text).unwrap();
        let output =
            guardrail(&["check", ".", "--baseline", "guardrail-baseline.json", "--format", "json"], dir.path());
        assert_eq!(output.code, 2);
        assert!(!output.stdout.contains("f00dcafe"), "{}", output.stdout);
        let errs = errors(&output.json());
        assert_eq!((errs.len(), errs[0].0.as_str(), errs[0].1), (1, "guardrail-baseline.json", 1), "{errs:?}");
        assert!(errs[0].2.contains("not a guardrail baseline") && errs[0].2.contains("column"), "{errs:?}");
    }
}
