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

#[test]
fn only_comments_suppress_never_a_string_that_looks_like_one() {
    // The line above the channel is inside a raw string (and a YAML block scalar, a heredoc):
    // it must not hide the queue, the missing probe or the missing health check.
    let code = UNBOUNDED.replace(
        "    let (tx, _rx)",
        "    let _doc = r#\"\n// guardrail-allow(unbounded-channel): looks like a comment\n\"#; let (tx, _rx)",
    );
    let deployment = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n  annotations:\n    note: |\n      \
        # guardrail-allow(k8s-liveness-probe): in a block scalar\nspec:\n  template:\n    spec:\n      containers:\n        \
        - name: api\n          image: api:1\n";
    let dir = workspace(&[("src/lib.rs", &code), ("deploy/api.yaml", deployment)]);
    let (_, report) = check_json(dir.path(), &[]);
    let reported = findings(&report);
    assert!(reported.contains(&finding("unbounded-channel", "src/lib.rs", 4)), "{reported:?}");
    assert!(reported.iter().any(|f| f.0 == "k8s-liveness-probe" && f.1 == "deploy/api.yaml"), "{reported:?}");
    assert_eq!(report["summary"]["suppressed"], 0, "{report}");
}

#[test]
fn a_null_probe_or_a_comment_naming_one_is_no_probe() {
    let deployment =
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  template:\n    spec:\n      \
        containers:\n        - name: api\n          image: api:1\n          livenessProbe: null\n          \
        # readinessProbe: {httpGet: {path: /ready, port: 8080}}\n          readinessProbe:\n";
    let merged = "x-probes: &probes\n  livenessProbe: ~\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: worker\nspec:\n  \
        template:\n    spec:\n      containers:\n        - name: worker\n          image: worker:1\n          <<: *probes\n          \
        readinessProbe: {httpGet: {path: /ready, port: 8080}}\n";
    let dir = workspace(&[
        ("src/lib.rs", "pub fn f() {}\n"),
        ("deploy/api.yaml", deployment),
        ("deploy/worker.yaml", merged),
    ]);
    let (_, report) = check_json(dir.path(), &[]);
    let probes: Vec<_> = findings(&report).into_iter().filter(|f| f.0.ends_with("-probe")).collect();
    assert_eq!(
        probes,
        [
            finding("k8s-liveness-probe", "deploy/api.yaml", 9),
            finding("k8s-readiness-probe", "deploy/api.yaml", 9),
            finding("k8s-liveness-probe", "deploy/worker.yaml", 11),
        ]
    );
}
