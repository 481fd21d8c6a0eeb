//! The command line end to end: output formats, exit codes, configuration and input errors.

mod common;

use common::*;
use std::path::Path;

/// A queue request handlers fill: the router state holds its sender, a handler sends.
const UNBOUNDED: &str = "pub fn queue(app: axum::Router<Queue>) -> axum::Router {\n    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel::<u8>();\n    \
     app.route(\"/\", axum::routing::post(push)).with_state(Queue { tx })\n}\n\
     #[derive(Clone)]\npub struct Queue { tx: tokio::sync::mpsc::UnboundedSender<u8> }\n\
     async fn push(axum::extract::State(queue): axum::extract::State<Queue>) { queue.tx.send(1).ok(); }\n";

#[test]
fn the_example_workspace_reports_code_and_deployment_findings_together() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/shop");
    let (code, report) = check_json(&example, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        findings(&report),
        [
            finding("forbidden-dependency", "crates/api/Cargo.toml", 11),
            finding("dockerfile-exec-form", "crates/api/Dockerfile", 18),
            finding("forbidden-dependency", "crates/api/src/handlers.rs", 19),
            finding("blocking-in-async", "crates/api/src/handlers.rs", 66),
            finding("graceful-shutdown", "crates/api/src/main.rs", 23),
            finding("unbounded-channel", "crates/api/src/main.rs", 38),
            finding("migration-index-lock", "crates/storage/migrations/20240415000000_orders_by_status.sql", 5),
            finding("k8s-disruption-budget", "deploy/k8s/api.yaml", 4),
            finding("k8s-resources", "deploy/k8s/api.yaml", 21),
            finding("probe-route", "deploy/k8s/api.yaml", 41),
            finding("hpa-requests", "deploy/k8s/autoscaling.yaml", 21),
        ]
    );
    assert_eq!(report["errors"].as_array().unwrap().len(), 0);
    let blocking = &report["findings"][3];
    assert_eq!(blocking["severity"], "warning");
    assert_eq!((blocking["column"].as_u64(), blocking["end_line"].as_u64()), (Some(16), Some(66)));
    assert_eq!(blocking["fingerprint"].as_str().unwrap().len(), 16);
    let graceful = &report["findings"][4];
    let related: Vec<(&str, u64)> = graceful["related"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["path"].as_str().unwrap(), r["line"].as_u64().unwrap()))
        .collect();
    assert_eq!(related[0], ("crates/api/src/main.rs", 60), "the server start, then who sends SIGTERM: {related:?}");
    assert!(related.contains(&("deploy/k8s/api.yaml", 4)), "{related:?}");
    assert_eq!(
        report["findings"][1]["help"],
        "use exec form: CMD [\"/usr/local/bin/api\", ...], or prefix the command with `exec`"
    );
    let probe = &report["findings"][9];
    assert!(probe["message"].as_str().unwrap().contains("`/ready`"), "{probe}");
    assert_eq!(report["summary"]["findings"], 11);
    assert_eq!(report["summary"]["files"], 16);
}

#[test]
fn human_output_has_code_frames_and_a_summary() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/shop");
    let output = guardrail(&["check", ".", "--color", "never"], &example);
    assert_eq!(output.code, 1);
    assert!(output.stdout.contains("crates/api/src/main.rs:38:34"), "{}", output.stdout);
    assert!(output.stdout.contains(" 38 │     let (events_tx, events_rx) = tokio::sync::mpsc::unbounded_channel();"));
    assert!(output.stdout.contains("deploy/k8s/api.yaml:41:"), "{}", output.stdout);
    assert!(output.stdout.ends_with("guardrail: 7 errors, 4 warnings, 0 notes in 16 files\n"), "{}", output.stdout);
    assert!(!output.stdout.contains('\u{1b}'), "no colour with --color never");
    let colored = guardrail(&["check", ".", "--color", "always"], &example);
    assert!(colored.stdout.contains('\u{1b}'), "colour with --color always");
}

#[test]
fn a_clean_workspace_prints_one_line_and_exits_0() {
    let dir =
        workspace(&[("src/main.rs", "fn main() {\n    let (_tx, _rx) = std::sync::mpsc::sync_channel::<u8>(8);\n}\n")]);
    let output = guardrail(&["check", "."], dir.path());
    assert_eq!((output.code, output.stdout.as_str()), (0, "guardrail: no findings in 1 file\n"));
}

#[test]
fn fail_on_sets_the_threshold() {
    let blocking = "pub async fn load() -> String {\n    std::fs::read_to_string(\"x\").unwrap()\n}\n";
    let dir = workspace(&[("src/lib.rs", blocking)]);
    let (code, report) = check_json(dir.path(), &[]);
    assert_eq!((code, findings(&report)), (0, vec![finding("blocking-in-async", "src/lib.rs", 2)]));
    assert_eq!(check_json(dir.path(), &["--fail-on", "warning"]).0, 1);
    assert_eq!(check_json(dir.path(), &["--fail-on", "note"]).0, 1);
}

#[test]
fn a_file_that_does_not_parse_is_an_error_and_the_run_goes_on() {
    let lib = format!("pub mod broken;\n{UNBOUNDED}");
    let dir = workspace(&[("src/lib.rs", &lib), ("src/broken.rs", "pub fn f( {\n")]);
    let (code, report) = check_json(dir.path(), &[]);
    assert_eq!(code, 2);
    assert_eq!(findings(&report), [finding("unbounded-channel", "src/lib.rs", 3)]);
    let errs = errors(&report);
    assert_eq!(errs.len(), 1);
    assert_eq!((errs[0].0.as_str(), errs[0].1), ("src/broken.rs", 1));
    assert!(errs[0].2.starts_with("does not parse as Rust"), "{}", errs[0].2);
}

#[test]
fn non_utf8_source_is_an_error_not_a_crash() {
    let lib = format!("mod latin1;\n{UNBOUNDED}");
    let dir = workspace(&[("src/lib.rs", &lib)]);
    std::fs::write(dir.path().join("src/latin1.rs"), b"// caf\xe9\nfn f() {}\n").unwrap();
    let (code, report) = check_json(dir.path(), &[]);
    assert_eq!(code, 2);
    assert_eq!(findings(&report), [finding("unbounded-channel", "src/lib.rs", 3)]);
    assert!(errors(&report)[0].2.starts_with("not valid UTF-8"));
}

#[test]
fn configuration_mistakes_point_into_guardrail_toml() {
    let config = "exclude = [\"gen/**\"]\n\n[rules.unbounded-channel]\nseverity = \"fatal\"\ninclude_test = true\n\n[rules.no-such-rule]\nseverity = \"off\"\n";
    let dir = workspace(&[("src/lib.rs", UNBOUNDED), ("guardrail.toml", config), ("gen/skip.rs", UNBOUNDED)]);
    let (code, report) = check_json(dir.path(), &[]);
    assert_eq!(code, 2);
    // Every mistake at once, and nothing else: no finding of a run without its configuration.
    assert_eq!(findings(&report), []);
    let located: Vec<(u64, u64, String)> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (e["line"].as_u64().unwrap(), e["column"].as_u64().unwrap(), e["message"].as_str().unwrap().to_owned())
        })
        .collect();
    assert_eq!(
        located,
        [
            (4, 12, "severity must be \"off\", \"error\", \"warning\" or \"note\", not \"fatal\"".to_owned()),
            (
                5,
                1,
                "rule `unbounded-channel` has no parameter \"include_test\" (parameters: severity, include_tests, request_fed_only)"
                    .to_owned()
            ),
            (7, 8, "unknown rule \"no-such-rule\"; `guardrail list` shows the rules".to_owned()),
        ]
    );
    assert!(report["errors"].as_array().unwrap().iter().all(|e| e["path"] == "guardrail.toml"));
}

#[test]
fn broken_toml_and_unknown_keys_are_errors_with_a_line() {
    let dir = workspace(&[("src/lib.rs", UNBOUNDED), ("guardrail.toml", "exclude = []\npolicy = [\"x\"]\n")]);
    let (code, report) = check_json(dir.path(), &[]);
    assert_eq!(code, 2);
    let errs = errors(&report);
    assert_eq!((errs[0].0.as_str(), errs[0].1), ("guardrail.toml", 2));
    assert!(errs[0].2.contains("unknown field `policy`"), "{}", errs[0].2);
    assert_eq!(findings(&report), []);

    let dir = workspace(&[("src/lib.rs", UNBOUNDED), ("guardrail.toml", "[rules.unbounded-channel\n")]);
    let (code, report) = check_json(dir.path(), &[]);
    assert_eq!((code, errors(&report)[0].1), (2, 1));
}

#[test]
fn rules_can_be_turned_off_or_down() {
    let config = "[rules.unbounded-channel]\nseverity = \"note\"\n";
    let dir = workspace(&[("src/lib.rs", UNBOUNDED), ("guardrail.toml", config)]);
    let (code, report) = check_json(dir.path(), &[]);
    assert_eq!((code, report["findings"][0]["severity"].as_str()), (0, Some("note")));
    std::fs::write(dir.path().join("guardrail.toml"), "[rules.unbounded-channel]\nseverity = \"off\"\n").unwrap();
    let (code, report) = check_json(dir.path(), &[]);
    assert_eq!((code, findings(&report)), (0, vec![]));
}

/// A policy may report above its default severity (in-memory-state: an error once replicas run
/// the state); a severity set in guardrail.toml is the most any finding may have.
#[test]
fn a_configured_severity_is_the_most_a_finding_may_have() {
    let case = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/in-memory-state/fails-actix-autoscaled");
    let read = |path: &str| std::fs::read_to_string(case.join(path)).unwrap();
    let (manifest, main, deploy) = (read("Cargo.toml"), read("src/main.rs"), read("deploy/signups.yaml"));
    let files = [("Cargo.toml", manifest.as_str()), ("src/main.rs", &main), ("deploy/signups.yaml", &deploy)];
    let severities = |report: &serde_json::Value| -> Vec<String> {
        let found = report["findings"].as_array().unwrap().iter();
        found.map(|f| f["severity"].as_str().unwrap().to_owned()).collect()
    };
    let (code, report) = check_json(workspace(&files).path(), &[]);
    assert_eq!((code, severities(&report)), (1, vec!["error".to_owned(); 3]));
    let capped = [&files[..], &[("guardrail.toml", "[rules.in-memory-state]\nseverity = \"warning\"\n")]].concat();
    let (code, report) = check_json(workspace(&capped).path(), &[]);
    assert_eq!((code, severities(&report)), (0, vec!["warning".to_owned(); 3]));
}

#[test]
fn gitignored_files_and_target_are_not_read() {
    let dir = workspace(&[
        ("src/lib.rs", "pub fn ok() {}\n"),
        (".gitignore", "generated/\n"),
        ("generated/q.rs", UNBOUNDED),
        ("target/debug/build/out.rs", UNBOUNDED),
    ]);
    let (code, report) = check_json(dir.path(), &[]);
    assert_eq!((code, findings(&report), report["summary"]["files"].as_u64()), (0, vec![], Some(1)));
}

#[test]
fn without_cargo_packages_are_read_from_the_manifests_and_the_run_says_why() {
    let server = "#[tokio::main]\nasync fn main() {\n    tracing_subscriber::fmt().init();\n    axum::serve(listener, app()).await.unwrap();\n}\n";
    let dir = workspace(&[("src/lib.rs", UNBOUNDED), ("src/main.rs", server)]);
    let empty = tempfile::tempdir().unwrap();
    let output = guardrail_with(&["check", ".", "--format", "json"], dir.path(), |c| {
        c.env("PATH", empty.path()).env_remove("CARGO");
    });
    let report = output.json();
    assert_eq!((output.code, errors(&report)), (1, vec![]));
    assert_eq!(
        findings(&report),
        [finding("unbounded-channel", "src/lib.rs", 2), finding("graceful-shutdown", "src/main.rs", 2)]
    );
    let notes = located(&report, "notes");
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(
        (notes[0].0.as_str(), notes[0].2.as_str()),
        ("Cargo.toml", "cargo metadata failed for Cargo.toml: cargo was not found on PATH; packages there were read from the manifests")
    );
    let facts = guardrail_with(&["facts", "."], dir.path(), |c| {
        c.env("PATH", empty.path()).env_remove("CARGO");
    });
    let facts: serde_json::Value = serde_json::from_str(&facts.stdout).unwrap();
    assert_eq!(facts["packages"][0]["source"], "manifest", "facts say how packages were read");
}

#[test]
fn a_manifest_cargo_rejects_is_an_error_on_that_manifest() {
    let sleeps = "pub async fn wait() {\n    std::thread::sleep(std::time::Duration::from_secs(1));\n}\n";
    let dir =
        workspace(&[("Cargo.toml", "[package]\nname = \"svc\"\nversion = \n[workspace]\n"), ("src/lib.rs", sleeps)]);
    let (code, report) = check_json(dir.path(), &[]);
    assert_eq!(code, 2);
    assert_eq!(findings(&report), [finding("blocking-in-async", "src/lib.rs", 2)]);
    let errs = errors(&report);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert_eq!((errs[0].0.as_str(), errs[0].1), ("Cargo.toml", 3));
    assert!(errs[0].2.starts_with("does not parse as a Cargo manifest"), "{}", errs[0].2);
}

#[test]
fn facts_prints_resolved_calls_with_locations() {
    let source = "use std::sync::mpsc::channel as q;\n\npub async fn f() {\n    let _ = q::<u8>();\n    \
                  std::process::Command::new(\"ls\").arg(\"-l\");\n}\n";
    let dir = workspace(&[("src/lib.rs", source)]);
    let output = guardrail(&["facts", "."], dir.path());
    assert_eq!(output.code, 0, "{}", output.stderr);
    let facts = output.json();
    let file = &facts["files"][0];
    assert_eq!(file["info"]["module"], "svc");
    assert_eq!(file["info"]["package"], "svc");
    let call = &file["rust"]["calls"][0];
    assert_eq!(call["written"], "q");
    assert_eq!(call["resolved"], "std::sync::mpsc::channel");
    assert_eq!(call["in_async"], true);
    assert_eq!((call["location"]["line"].as_u64(), call["location"]["column"].as_u64()), (Some(4), Some(13)));
    let method_call = &file["rust"]["method_calls"][0];
    assert_eq!(method_call["name"], "arg");
    assert_eq!(method_call["receiver_root"], "std::process::Command::new");
    assert_eq!(method_call["receiver_args"], serde_json::json!(["ls"]));
    assert_eq!(method_call["args"], serde_json::json!(["-l"]));
    assert_eq!(method_call["arg_roots"], serde_json::json!([null]));
    assert_eq!((method_call["function"].as_str(), method_call["in_test"].as_bool()), (Some("f"), Some(false)));
    let at = &method_call["location"];
    assert_eq!((at["line"].as_u64(), at["column"].as_u64(), at["end_column"].as_u64()), (Some(5), Some(38), Some(47)));
    assert_eq!(file["rust"]["method_calls"].as_array().map(Vec::len), Some(1));
    assert_eq!(facts["packages"][0]["targets"][0]["kinds"][0], "lib");
}

#[test]
fn blocking_calls_are_warnings_where_requests_or_tasks_run_them_and_notes_at_start_up() {
    let main = "use axum::routing::get;\n\
                async fn page() -> String { std::fs::read_to_string(\"page.html\").unwrap() }\n\
                async fn refresh() { loop { std::thread::sleep(std::time::Duration::from_secs(60)); } }\n\
                #[tokio::main]\n\
                async fn main() {\n\
                \x20   let _config = std::fs::read_to_string(\"config.toml\").unwrap();\n\
                \x20   tokio::spawn(refresh());\n\
                \x20   tokio::spawn(async { std::thread::sleep(std::time::Duration::from_secs(1)) });\n\
                \x20   tokio::spawn(socket());\n\
                \x20   let app = axum::Router::new().route(\"/\", get(page));\n\
                \x20   let listener = tokio::net::TcpListener::bind(\"0.0.0.0:80\").await.unwrap();\n\
                \x20   axum::serve(listener, app).await.unwrap();\n}\n\
                async fn socket() {\n\
                \x20   std::fs::remove_file(\"api.sock\").ok();\n\
                \x20   let _listener = tokio::net::UnixListener::bind(\"api.sock\");\n}\n";
    let dir = workspace(&[("src/main.rs", main)]);
    let (_, report) = check_json(dir.path(), &[]);
    let blocking: Vec<(u64, &str)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "blocking-in-async")
        .map(|f| (f["line"].as_u64().unwrap(), f["severity"].as_str().unwrap()))
        .collect();
    // The handler and both tasks stall other work; reading the configuration before serving,
    // or removing a stale socket before binding it (in a task too), stalls nothing else.
    assert_eq!(blocking, [(2, "warning"), (3, "warning"), (6, "note"), (8, "warning"), (15, "note")]);
}

#[test]
fn facts_show_shared_state_and_the_fields_writes_go_through() {
    let source = "use std::sync::{Arc, Mutex};\n\
                  pub struct AppState { pub seen: Mutex<Vec<u64>>, pub name: String }\n\
                  static LOG: Mutex<Vec<u64>> = Mutex::new(Vec::new());\n\
                  pub async fn h(axum::extract::State(s): axum::extract::State<Arc<AppState>>) {\n\
                  \x20   let mut seen = s.seen.lock().unwrap();\n\
                  \x20   seen.push(1);\n\
                  \x20   LOG.lock().unwrap().push(2);\n}\n";
    let dir = workspace(&[("src/lib.rs", source)]);
    let output = guardrail(&["facts", "."], dir.path());
    assert_eq!(output.code, 0, "{}", output.stderr);
    let rust = &output.json()["files"][0]["rust"];
    let states: Vec<(&str, &str, &str, u64)> = rust["states"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let field = |key: &str| s[key].as_str().unwrap();
            (field("name"), field("owner"), field("ty"), s["location"]["line"].as_u64().unwrap())
        })
        .collect();
    assert_eq!(states, [("seen", "AppState", "Mutex<Vec<u64>>", 2), ("LOG", "", "Mutex<Vec<u64>>", 3)]);
    assert_eq!(rust["app_states"], serde_json::json!(["AppState"]));
    let pushes: Vec<(Option<&str>, Option<&str>)> = rust["method_calls"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|call| call["name"] == "push")
        .map(|call| (call["receiver_root"].as_str(), call["receiver_field"].as_str()))
        .collect();
    assert_eq!(pushes, [(Some("s"), Some("seen")), (Some("svc::LOG"), None)]);
}

#[test]
fn list_and_explain_print_the_rules_docs() {
    let dir = workspace(&[]);
    let output = guardrail(&["list"], dir.path());
    assert_eq!(output.code, 0);
    let ids: Vec<&str> = output.stdout.lines().map(|l| l.split_whitespace().next().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "blocking-in-async",
            "compose-exec-form",
            "compose-healthcheck",
            "dependency-cycle",
            "dockerfile-exec-form",
            "dockerfile-healthcheck",
            "forbidden-dependency",
            "graceful-shutdown",
            "hpa-requests",
            "http-client-timeout",
            "in-memory-state",
            "independence-violation",
            "k8s-disruption-budget",
            "k8s-liveness-probe",
            "k8s-probe-port",
            "k8s-readiness-probe",
            "k8s-resources",
            "layer-violation",
            "migration-breaking-rename",
            "migration-concurrently-in-transaction",
            "migration-index-lock",
            "migration-lock-timeout",
            "migration-required-column",
            "migration-startup-race",
            "migration-table-rewrite",
            "migration-validating-constraint",
            "probe-route",
            "shutdown-grace-period",
            "suppression-without-reason",
            "telemetry",
            "unbounded-cache",
            "unbounded-channel",
            "unmatched-exception",
            "unused-suppression"
        ]
    );
    // The scaling pack's severities, as its issue names them.
    let severity = |id: &str| {
        let line = output.stdout.lines().find(|l| l.split_whitespace().next() == Some(id)).unwrap();
        line.split_whitespace().nth(1).unwrap().to_owned()
    };
    for (id, expected) in [
        ("http-client-timeout", "warning"),
        ("unbounded-cache", "warning"),
        ("telemetry", "warning"),
        ("k8s-resources", "warning"),
        ("k8s-disruption-budget", "warning"),
        ("hpa-requests", "error"),
        // By default; an error once replicas run the state.
        ("in-memory-state", "warning"),
    ] {
        assert_eq!(severity(id), expected, "{id}");
    }
    // Each built-in policy's tier, and its measured numbers in `explain`.
    let tier = |id: &str| {
        let line = output.stdout.lines().find(|l| l.split_whitespace().next() == Some(id)).unwrap();
        line.split_whitespace().nth(2).unwrap().to_owned()
    };
    assert_eq!(tier("blocking-in-async"), "default");
    assert_eq!(tier("compose-healthcheck"), "preview");
    assert_eq!(tier("layer-violation"), "default", "native rules run when configured");
    let explain = guardrail(&["explain", "blocking-in-async"], dir.path());
    assert!(explain.stdout.contains("Measured on real code (docs/ecosystem.md)\n  precision 0."), "{}", explain.stdout);
    assert!(explain.stdout.contains("tier: default — precision"), "{}", explain.stdout);
    let explain = guardrail(&["explain", "unbounded-channel"], dir.path());
    assert_eq!(explain.code, 0);
    assert!(explain.stdout.starts_with("unbounded-channel (error by default; in preview: off unless asked for)\n"));
    assert!(explain.stdout.contains("tier: preview — precision"), "{}", explain.stdout);
    assert!(explain.stdout.contains("run it with `guardrail check --preview`"), "{}", explain.stdout);
    assert!(explain.stdout.contains("Why it matters\n  An unbounded queue"));
    assert!(explain.stdout.contains("How to fix\n  use the bounded constructor"));
    assert_eq!(guardrail(&["explain", "nope"], dir.path()).code, 2);
}

#[test]
fn usage_errors_exit_2() {
    let dir = workspace(&[]);
    assert_eq!(guardrail(&["check", "--format", "xml"], dir.path()).code, 2);
    assert_eq!(guardrail(&["frobnicate"], dir.path()).code, 2);
}

#[test]
fn guardrail_test_runs_user_policies_against_user_fixtures() {
    let policy = r#"
const META = #{
    id: "no-todo-macro",
    severity: "warning",
    summary: "todo!() left in code",
    rationale: "It panics at run time.",
    example: "todo!()",
    fix: "implement it",
};
fn check(facts, ctx) {
    for m in facts.macros("todo") {
        if !m.in_test { ctx.report(m, "todo!() panics when reached"); }
    }
}
"#;
    let fail_case = "pub fn a() {\n    todo!() // expect: no-todo-macro\n}\n";
    let pass_case = "pub fn a() {\n    unimplemented!() // ok: no-todo-macro\n}\n";
    let dir = workspace(&[
        ("my-policies/no-todo-macro.rhai", policy),
        ("checks/no-todo-macro/fails/Cargo.toml", MANIFEST),
        ("checks/no-todo-macro/fails/src/lib.rs", fail_case),
        ("checks/no-todo-macro/passes/Cargo.toml", MANIFEST),
        ("checks/no-todo-macro/passes/src/lib.rs", pass_case),
    ]);
    let output = guardrail(&["test", "checks", "--policies", "my-policies"], dir.path());
    assert_eq!(output.code, 0, "{}", output.stdout);
    assert_eq!(
        output.stdout,
        "ok    checks/no-todo-macro/fails\nok    checks/no-todo-macro/passes\n2 passed, 0 failed\n"
    );

    std::fs::write(dir.path().join("checks/no-todo-macro/passes/src/lib.rs"), "pub fn a() {\n    todo!()\n}\n")
        .unwrap();
    let output = guardrail(&["test", "checks", "--policies", "my-policies"], dir.path());
    assert!(
        output.stdout.contains("FAIL  checks/no-todo-macro/passes\n  unexpected  no-todo-macro  src/lib.rs:2:5"),
        "{}",
        output.stdout
    );
    // A case with no `ok:` marker left is a gap; a policy that does not compile is no test at all.
    std::fs::remove_dir_all(dir.path().join("checks/no-todo-macro/passes")).unwrap();
    let output = guardrail(&["test", "checks", "--policies", "my-policies"], dir.path());
    assert_eq!(output.code, 1);
    assert!(
        output.stdout.ends_with(
            "gap   rule `no-todo-macro` has no fixture line marked `ok: no-todo-macro`\n1 passed, 1 failed\n"
        ),
        "{}",
        output.stdout
    );
    std::fs::write(dir.path().join("my-policies/no-todo-macro.rhai"), "fn check(facts, ctx) { let }").unwrap();
    let output = guardrail(&["test", "checks", "--policies", "my-policies"], dir.path());
    assert_eq!(output.code, 2, "{}", output.stdout);
    assert!(output.stderr.contains("no-todo-macro.rhai"), "{}", output.stderr);
}

#[test]
fn deeply_nested_code_is_parsed_or_refused_never_a_crash() {
    let nested = |depth: usize| format!("pub fn f() -> i32 {{\n    {}1{}\n}}\n", "(".repeat(depth), ")".repeat(depth));
    let lib = format!("mod deep;\nmod deeper;\n{UNBOUNDED}");
    let dir = workspace(&[("src/lib.rs", &lib), ("src/deep.rs", &nested(250)), ("src/deeper.rs", &nested(5000))]);
    let (code, report) = check_json(dir.path(), &[]);
    assert_eq!(code, 2);
    assert_eq!(findings(&report), [finding("unbounded-channel", "src/lib.rs", 4)]);
    let errs = errors(&report);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert_eq!((errs[0].0.as_str(), errs[0].1), ("src/deeper.rs", 2));
    assert!(errs[0].2.contains("nests deeper than 256"), "{}", errs[0].2);
}

const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  template:\n    spec:\n      containers:\n        - name: api\n          image: ghcr.io/acme/api:1.0.0\n          readinessProbe:\n            httpGet: {path: /ready, port: 8080}\n";

#[test]
fn helm_templates_are_skipped_with_a_note_and_rendered_output_is_read_from_stdin() {
    let template = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  template:\n    spec:\n      containers:\n        - name: api\n          image: {{ .Values.image }}\n";
    let dir = workspace(&[
        ("src/lib.rs", "pub fn ok() {}\n"),
        ("chart/templates/deployment.yaml", template),
        ("chart/templates/service.yaml", template),
        ("other/templates/deployment.yaml", template),
        // Braces that are not Helm's: a workflow's expressions, JSON test data.
        (
            ".github/workflows/ci.yml",
            "on: push\njobs:\n  t:\n    steps:\n      - run: echo ${{ github.sha }} \\\n          done\n",
        ),
        ("tests/data/0001.json", "{\"kind\": \"event\", \"body\": \"{{x}}\", \"escaped\": \"\\n\"}"),
    ]);
    let (code, report) = check_json(dir.path(), &[]);
    assert_eq!((code, findings(&report)), (0, vec![]));
    let notes = report["notes"].as_array().unwrap();
    assert_eq!(notes.len(), 2, "one note per chart: {notes:?}");
    assert_eq!(notes[0]["path"], "chart/templates/deployment.yaml");
    assert!(notes[0]["message"].as_str().unwrap().starts_with("Helm chart `chart` (2 template files)"), "{}", notes[0]);
    assert_eq!(notes[1]["path"], "other/templates/deployment.yaml");
    assert!(notes[0]["message"].as_str().unwrap().contains("--k8s-stdin"), "{}", notes[0]);

    let output = guardrail_with(&["check", ".", "--format", "json", "--k8s-stdin"], dir.path(), |c| {
        c.stdin(std::process::Stdio::piped());
    });
    // Without input on stdin nothing is added.
    assert_eq!(output.code, 0, "{}", output.stdout);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_guardrail"))
        .args(["check", ".", "--format", "json", "--k8s-stdin", "--preview"])
        .current_dir(dir.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(DEPLOYMENT.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(findings(&report), [finding("k8s-liveness-probe", "<stdin>", 9)]);
}

#[test]
fn invalid_yaml_in_a_manifest_is_an_error_with_its_line() {
    let broken = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: [unclosed\nspec: {}\n";
    let dir =
        workspace(&[("src/lib.rs", UNBOUNDED), ("deploy/pod.yaml", broken), ("deploy/values.yaml", "just: [text\n")]);
    let (code, report) = check_json(dir.path(), &[]);
    assert_eq!(code, 2);
    assert_eq!(findings(&report), [finding("unbounded-channel", "src/lib.rs", 2)]);
    let errs = errors(&report);
    assert_eq!(errs.len(), 1, "YAML that is not a manifest is not ours: {errs:?}");
    assert_eq!(errs[0].0, "deploy/pod.yaml");
    assert!(errs[0].2.starts_with("invalid YAML"), "{}", errs[0].2);
}

#[test]
fn services_shows_each_link_with_its_evidence() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/shop");
    let output = guardrail(&["services", "."], &example);
    assert_eq!(output.code, 0, "{}", output.stderr);
    assert!(
        output.stdout.contains("api (found)\n  binary      api (package api)\n  dockerfile  crates/api/Dockerfile\n"),
        "{}",
        output.stdout
    );
    assert!(output.stdout.contains("  kubernetes  Deployment shop-api in deploy/k8s/api.yaml\n"), "{}", output.stdout);
    let json = guardrail(&["services", ".", "--format", "json"], &example).json();
    let names: Vec<&str> = json.as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["api", "worker"]);
}

#[test]
fn a_yaml_alias_bomb_is_an_error_not_a_hang() {
    let mut bomb = String::from(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bomb\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n",
    );
    for i in 1..12 {
        let refs = vec![format!("*a{}", i - 1); 10].join(", ");
        bomb.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
    }
    let dir = workspace(&[("src/lib.rs", UNBOUNDED), ("deploy/bomb.yaml", &bomb)]);
    let started = std::time::Instant::now();
    let (code, report) = check_json(dir.path(), &[]);
    assert!(started.elapsed() < std::time::Duration::from_secs(10), "took {:?}", started.elapsed());
    assert_eq!(code, 2);
    assert_eq!(findings(&report), [finding("unbounded-channel", "src/lib.rs", 2)]);
    let errs = errors(&report);
    assert_eq!(errs[0].0, "deploy/bomb.yaml");
    assert!(errs[0].2.starts_with("YAML aliases expand to more nodes than guardrail reads"), "{}", errs[0].2);
}

#[test]
fn graph_draws_the_example_architecture_with_the_violation_in_red() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/shop");
    let output = guardrail(&["graph", "."], &example);
    assert_eq!(output.code, 0, "{}", output.stderr);
    let expected = "flowchart TD
  subgraph layer_entrypoints[\"layer: entrypoints\"]
    api[\"api\"]
    worker[\"worker\"]
  end
  subgraph layer_storage[\"layer: storage\"]
    storage[\"storage\"]
  end
  subgraph layer_domain[\"layer: domain\"]
    domain[\"domain\"]
  end
  axum[\"axum\"]
  reqwest[\"reqwest\"]
  sqlx[\"sqlx\"]
  tokio[\"tokio\"]
  api --> axum
  api --> domain
  api --> sqlx
  api --> storage
  api --> tokio
  storage --> domain
  storage --> sqlx
  worker --> domain
  worker --> reqwest
  worker --> storage
  worker --> tokio
  linkStyle 2 stroke:#d1242f,stroke-width:3px
";
    assert_eq!(output.stdout, expected);
    let dot = guardrail(&["graph", ".", "--level", "module", "--format", "dot"], &example);
    assert!(
        dot.stdout.contains("  \"api::handlers\" -> \"sqlx\" [color=\"#d1242f\", penwidth=3];\n"),
        "{}",
        dot.stdout
    );
    assert!(dot.stdout.contains("  \"worker::processor\" -> \"storage\";\n"), "{}", dot.stdout);
}

#[test]
fn architecture_configuration_mistakes_point_into_guardrail_toml() {
    let config = "[architecture]\nacylic = true\n";
    let dir = workspace(&[("src/lib.rs", UNBOUNDED), ("guardrail.toml", config)]);
    let (code, report) = check_json(dir.path(), &[]);
    assert_eq!(code, 2);
    let errs = errors(&report);
    assert_eq!((errs[0].0.as_str(), errs[0].1), ("guardrail.toml", 2));
    assert!(errs[0].2.contains("unknown field `acylic`"), "{}", errs[0].2);

    let config = "[[architecture.exception]]\nfrom = \"a\"\nto = \"b\"\n";
    let dir = workspace(&[("src/lib.rs", UNBOUNDED), ("guardrail.toml", config)]);
    let (code, report) = check_json(dir.path(), &[]);
    assert_eq!(code, 2);
    assert!(errors(&report)[0].2.contains("missing field `reason`"), "{:?}", errors(&report));
}

#[test]
fn an_architecture_pattern_that_names_nothing_is_a_configuration_error_at_its_line() {
    let config = "[[architecture.layers]]\nname = \"entrypoints\"\nmembers = [\"notes-api\"]\n\n[[architecture.layers]]\nname = \"domain\"\nmembers = [\n  \"notes-cor\",\n  \"notes_api::audti\",\n]\n\n[[architecture.forbid]]\nfrom = [\"notes-core\"]\nto = [\"sqlxx\", \"diesel\", \"serde::de\"]\n";
    let dir = workspace(&[
        ("Cargo.toml", "[workspace]\nmembers = [\"crates/*\"]\n"),
        ("crates/api/Cargo.toml", "[package]\nname = \"notes-api\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nnotes-core = { path = \"../core\" }\n"),
        ("crates/api/src/lib.rs", "pub mod audit;\npub fn serve() { notes_core::save(); }\n"),
        ("crates/api/src/audit.rs", "pub fn log() {}\n"),
        ("crates/core/Cargo.toml", "[package]\nname = \"notes-core\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nsqlx = \"0.8\"\nserde = \"1\"\n"),
        ("crates/core/src/lib.rs", "pub fn save() {}\n"),
        ("guardrail.toml", config),
    ]);
    let (code, report) = check_json(dir.path(), &[]);
    assert_eq!(code, 2, "{report}");
    let expected = [
        ("guardrail.toml", 8, "architecture pattern \"notes-cor\" matches no crate or module of the workspace; did you mean \"notes-core\"?"),
        ("guardrail.toml", 9, "architecture pattern \"notes_api::audti\" matches no crate or module of the workspace; did you mean \"notes_api::audit\"?"),
        ("guardrail.toml", 14, "architecture pattern \"sqlxx\" matches no crate, module or dependency of the workspace; did you mean \"sqlx\"?"),
    ];
    let expected: Vec<(String, u64, String)> =
        expected.iter().map(|(path, line, message)| (path.to_string(), *line, message.to_string())).collect();
    // `diesel`, which nothing uses yet and no known name is near, and `serde::de`, inside a
    // dependency, are what a forbid may name.
    assert_eq!(errors(&report), expected);

    let fixed = config.replace("notes-cor\"", "notes-core\"").replace("audti", "audit").replace("sqlxx", "sqlx");
    std::fs::write(dir.path().join("guardrail.toml"), fixed).unwrap();
    let (code, report) = check_json(dir.path(), &[]);
    assert_eq!(errors(&report), vec![], "{report}");
    // What the typo hid.
    assert_eq!((code, findings(&report)), (1, vec![finding("forbidden-dependency", "crates/core/Cargo.toml", 7)]));
}

#[test]
fn the_most_specific_layer_pattern_places_a_module() {
    // The two modules call each other: cycles are not what this test is about.
    let config = "[architecture]\nacyclic = false\n\n[[architecture.layers]]\nname = \"entrypoints\"\nmembers = [\"notes-api\"]\n\n[[architecture.layers]]\nname = \"domain\"\nmembers = [\"notes_api::audit\"]\n";
    let dir = workspace(&[
        ("Cargo.toml", "[package]\nname = \"notes-api\"\nversion = \"0.1.0\"\nedition = \"2021\"\n"),
        ("src/lib.rs", "pub mod audit;\npub mod routes;\n"),
        // entrypoints -> domain: allowed. domain -> entrypoints: the violation.
        ("src/routes.rs", "pub fn list() {\n    crate::audit::record();\n}\n"),
        ("src/audit.rs", "pub fn record() {}\n\npub fn replay() {\n    crate::routes::list();\n}\n"),
        ("guardrail.toml", config),
    ]);
    let (code, report) = check_json(dir.path(), &[]);
    assert_eq!(errors(&report), vec![], "{report}");
    assert_eq!((code, findings(&report)), (1, vec![finding("layer-violation", "src/audit.rs", 4)]));
    let graph = guardrail(&["graph", "--level", "module"], dir.path());
    let domain = graph.stdout.split("subgraph").find(|block| block.contains("domain")).unwrap_or_default().to_owned();
    assert!(domain.contains("notes_api::audit") && !domain.contains("notes_api::routes"), "{}", graph.stdout);

    // Two layers claiming a crate by patterns alike: a configuration error, not a guess.
    let overlapping = format!("{config}\n[[architecture.layers]]\nname = \"shared\"\nmembers = [\"notes_api\"]\n");
    std::fs::write(dir.path().join("guardrail.toml"), overlapping).unwrap();
    let (code, report) = check_json(dir.path(), &[]);
    assert_eq!(code, 2);
    let expected = "`notes_api` is in layer \"entrypoints\" (pattern \"notes_api\") and layer \"shared\" (pattern \"notes_api\") alike: make one pattern more specific";
    assert_eq!(errors(&report), vec![("guardrail.toml".to_owned(), 12, expected.to_owned())], "{report}");
}

#[test]
fn policies_can_query_the_architecture_graph() {
    let policy = r#"
const META = #{ id: "no-upward-edges", severity: "warning", summary: "s", rationale: "r", example: "e", fix: "f" };
fn check(facts, ctx) {
    for edge in facts.arch_edges("module") {
        if facts.layer_of(edge.from) == "core" && facts.layer_of(edge.to) == "app" {
            ctx.report(edge.location, edge.from + " -> " + edge.to);
        }
    }
    let chain = facts.arch_path("svc::core", "svc::app");
    if type_of(chain) != "array" || chain.len() != 1 { throw "expected a one-hop chain"; }
}
"#;
    let config = "policies = [\"p\"]\n[architecture]\nacyclic = false\n[[architecture.layers]]\nname = \"app\"\nmembers = [\"svc::app\"]\n[[architecture.layers]]\nname = \"core\"\nmembers = [\"svc::core\"]\n";
    let lib = "pub mod app;\npub mod core;\n";
    let dir = workspace(&[
        ("src/lib.rs", lib),
        ("src/app.rs", "pub struct Screen;\n"),
        ("src/core.rs", "pub fn draw() -> crate::app::Screen {\n    crate::app::Screen\n}\n"),
        ("guardrail.toml", config),
        ("p/no-upward-edges.rhai", policy),
    ]);
    let (code, report) = check_json(dir.path(), &[]);
    assert_eq!(code, 1, "{report}");
    assert_eq!(
        findings(&report),
        [finding("layer-violation", "src/core.rs", 1), finding("no-upward-edges", "src/core.rs", 1)]
    );
}

#[test]
fn a_policy_can_report_at_a_package_its_cargo_toml() {
    let policy = r#"
const META = #{ id: "uses-tracing", severity: "warning", summary: "s", rationale: "r", example: "e", fix: "f" };
fn check(facts, ctx) {
    for pkg in facts.packages() {
        if !pkg.has_dependency("tracing") { ctx.report(pkg, "`" + pkg.name + "` logs without tracing"); }
    }
}
"#;
    let dir = workspace(&[
        ("Cargo.toml", "[workspace]\nmembers = [\"crates/*\"]\n"),
        (
            "crates/api/Cargo.toml",
            "[package]\nname = \"api\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\ntracing = \"0.1\"\n",
        ),
        ("crates/api/src/lib.rs", "pub fn ok() {}\n"),
        ("crates/jobs/Cargo.toml", "[package]\nname = \"jobs\"\nversion = \"0.1.0\"\nedition = \"2021\"\n"),
        ("crates/jobs/src/lib.rs", "pub fn ok() {}\n"),
        ("guardrail.toml", "policies = [\"p\"]\n"),
        ("p/uses-tracing.rhai", policy),
    ]);
    let (code, report) = check_json(dir.path(), &[]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(findings(&report), [finding("uses-tracing", "crates/jobs/Cargo.toml", 1)]);
    assert_eq!(report["findings"][0]["message"], "`jobs` logs without tracing");
}

#[test]
fn queries_narrowed_to_a_binary_see_only_the_files_it_is_built_from() {
    // Two binaries in one package and a shared library: `tool` is built from src/bin/tool.rs
    // and the library, never from src/main.rs.
    let policy = r#"
const META = #{ id: "spawns-in-tool", severity: "warning", summary: "s", rationale: "r", example: "e", fix: "f" };
fn check(facts, ctx) {
    for bin in facts.binaries() {
        if bin.name != "tool" { continue; }
        for site in facts.calls("spawn", bin) { ctx.report(site, "named"); }
        for site in facts.calls_resolved("tokio::spawn", bin) { ctx.report(site, "resolved"); }
        for site in facts.calls_with_prefix("tokio::", bin) { ctx.report(site, "prefix"); }
        for site in facts.method_calls_with_arg("route", 0, "/healthz", bin) { ctx.report(site, "route"); }
    }
}
"#;
    let spawn = "pub fn go() {\n    tokio::spawn(async {});\n}\n";
    let dir = workspace(&[
        ("src/lib.rs", spawn),
        ("src/main.rs", "fn main() {\n    tokio::spawn(async {});\n    r.route(\"/healthz\", h);\n}\n"),
        (
            "src/bin/tool.rs",
            "fn main() {\n    // tokio::spawn in a comment\n    tokio::spawn(async {});\n    r.route(\"/other\", h).route(\"/healthz\", h);\n}\n",
        ),
        ("guardrail.toml", "policies = [\"p\"]\n"),
        ("p/spawns-in-tool.rhai", policy),
    ]);
    let (code, report) = check_json(dir.path(), &["--fail-on", "error"]);
    assert_eq!(code, 0, "{report}");
    let messages = located(&report, "findings");
    let mut expected: Vec<(String, u64, String)> = [("src/bin/tool.rs", 3), ("src/lib.rs", 2)]
        .iter()
        .flat_map(|(path, line)| ["named", "prefix", "resolved"].map(|m| (path.to_string(), *line, m.to_owned())))
        .collect();
    expected.insert(3, ("src/bin/tool.rs".to_owned(), 4, "route".to_owned()));
    assert_eq!(messages, expected, "src/main.rs belongs to the other binary");
}

#[test]
fn new_policy_starts_a_policy_whose_fixtures_pass_and_init_never_overwrites() {
    let dir = workspace(&[("src/lib.rs", "pub fn ok() {}\n")]);
    let init = guardrail(&["init"], dir.path());
    assert_eq!(init.code, 0, "{}", init.stderr);
    let created = guardrail(&["new-policy", "no-todo"], dir.path());
    assert_eq!(created.code, 0, "{}", created.stderr);
    let output = guardrail(&["test", "fixtures", "--policies", "policies"], dir.path());
    assert_eq!(output.code, 0, "{}", output.stdout);
    assert_eq!(output.stdout, "ok    fixtures/no-todo/fails\nok    fixtures/no-todo/passes\n2 passed, 0 failed\n");
    assert_eq!(guardrail(&["new-policy", "no-todo"], dir.path()).code, 2, "exists already");
    assert_eq!(guardrail(&["new-policy", "No_Todo"], dir.path()).code, 2, "not an id");

    assert!(init.stdout.contains("- id: guardrail"), "{}", init.stdout);
    let config = std::fs::read_to_string(dir.path().join("guardrail.toml")).unwrap();
    assert!(config.contains("# members = [") && config.contains("\"svc\""), "{config}");
    let (code, report) = check_json(dir.path(), &[]);
    assert_eq!((code, errors(&report).len()), (0, 0), "the written config is valid: {report}");
    let again = guardrail(&["init"], dir.path());
    assert_eq!(again.code, 2);
    assert!(again.stderr.contains("not overwriting"), "{}", again.stderr);
    assert_eq!(guardrail(&["init", "--force"], dir.path()).code, 0);
}

#[test]
fn blocking_calls_warn_in_services_and_are_notes_in_tools_that_serve_no_traffic() {
    let server = "mod store;\nasync fn index() {\n    store::load().await;\n}\n#[tokio::main]\nasync fn main() {\n    tracing_subscriber::fmt().init();\n    let app = axum::Router::new().route(\"/\", axum::routing::get(index));\n    axum::serve(listener, app).await.unwrap();\n}\n";
    let store = "use fs_err as fs;\npub async fn load() {\n    let _ = std::fs::read_to_string(\"config.toml\");\n    let _ = fs::read(\"seed.bin\");\n    let _ = unsafe { std::fs::File::from_raw_fd(3) };\n    let _ = rusqlite::Connection::open(\"db.sqlite\");\n}\n";
    let tool = "#[tokio::main]\nasync fn main() {\n    let _ = std::fs::read_to_string(\"input.txt\");\n}\n";
    let dir = workspace(&[("src/main.rs", server), ("src/store.rs", store), ("src/bin/tool.rs", tool)]);
    let (code, report) = check_json(dir.path(), &[]);
    assert_eq!(code, 1, "graceful-shutdown (an error) for the server: {report}");
    let severities: Vec<(String, u64, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "blocking-in-async")
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_owned(),
                f["line"].as_u64().unwrap(),
                f["severity"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected = [
        ("src/bin/tool.rs", 3, "note"),
        ("src/store.rs", 3, "warning"),
        ("src/store.rs", 4, "warning"),
        ("src/store.rs", 6, "warning"),
    ];
    assert_eq!(severities, expected.map(|(p, l, s)| (p.to_owned(), l, s.to_owned())));
}

#[test]
fn a_bad_diff_base_or_baseline_stops_the_run_before_any_finding() {
    let dir = workspace(&[("src/lib.rs", UNBOUNDED)]);
    let git = |args: &[&str]| {
        let status = std::process::Command::new("git").args(args).current_dir(dir.path()).output().unwrap().status;
        assert!(status.success(), "git {args:?}");
    };
    git(&["init", "-q"]);
    git(&["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "base"]);
    let (code, report) = check_json(dir.path(), &["--diff-base", "origin/main"]);
    assert_eq!((code, findings(&report)), (2, vec![]));
    let errs = errors(&report);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].2.starts_with("--diff-base origin/main: ") && errs[0].2.contains("fetch-depth: 0"), "{errs:?}");

    let (code, report) = check_json(dir.path(), &["--baseline", "guardrail-baseline.json"]);
    assert_eq!((code, findings(&report)), (2, vec![]));
    let errs = errors(&report);
    assert!(errs[0].2.starts_with("--baseline guardrail-baseline.json: cannot read it"), "{errs:?}");
    let human = guardrail(&["check", ".", "--baseline", "missing.json", "--color", "never"], dir.path());
    assert!(!human.stdout.contains("unbounded channel"), "{}", human.stdout);
}

#[test]
fn a_new_policy_is_tested_and_checked_with_no_manual_step() {
    // A two-crate project with a todo!() in production code, and one in a test.
    let dir = workspace(&[
        ("Cargo.toml", "[workspace]\nmembers = [\"crates/*\"]\n"),
        ("crates/core/Cargo.toml", "[package]\nname = \"core\"\nversion = \"0.1.0\"\nedition = \"2021\"\n"),
        ("crates/core/src/lib.rs", "pub fn refund() {\n    todo!()\n}\n"),
        ("crates/web/Cargo.toml", "[package]\nname = \"web\"\nversion = \"0.1.0\"\nedition = \"2021\"\n"),
        ("crates/web/src/main.rs", "fn main() {}\n"),
    ]);
    // From a member's directory, as a user would.
    let member = dir.path().join("crates/web");
    let created = guardrail(&["new-policy", "no-todo"], &member);
    assert_eq!(created.code, 0, "{}", created.stderr);
    assert!(dir.path().join("policies/no-todo.rhai").is_file() && dir.path().join("fixtures/no-todo/fails").is_dir());
    let config = std::fs::read_to_string(dir.path().join("guardrail.toml")).unwrap();
    assert_eq!(config, "fixtures = [\"fixtures\"]\npolicies = [\"policies\"]\n");

    let explained = guardrail(&["explain", "no-todo"], &member);
    assert!(
        explained.stdout.contains("(the new-policy template's example: edit this META)"),
        "explain says the policy still describes the template: {}",
        explained.stdout
    );
    let tested = guardrail(&["test"], &member);
    assert_eq!(tested.code, 0, "{}", tested.stdout);
    assert!(tested.stdout.ends_with("2 passed, 0 failed\n"), "{}", tested.stdout);

    // The policy runs on the project, and its deliberate fixture finding is not the project's.
    let (code, report) = check_json(dir.path(), &[]);
    assert_eq!(code, 0, "warnings only: {report}");
    assert_eq!(findings(&report), [finding("no-todo", "crates/core/src/lib.rs", 2)]);

    let taken = guardrail(&["new-policy", "unbounded-channel"], dir.path());
    assert_eq!(taken.code, 2);
    assert!(taken.stderr.contains("rule id `unbounded-channel` is taken (by a built-in rule)"), "{}", taken.stderr);
    assert!(!taken.stderr.contains(".rhai"), "no file of the user's project: {}", taken.stderr);
    let again = guardrail(&["new-policy", "no-todo"], dir.path());
    assert!(again.code == 2 && again.stderr.contains("policies/no-todo.rhai"), "{}", again.stderr);

    // A policy that stops compiling: explain says so, and no message escapes its quotes.
    let policy = dir.path().join("policies/no-todo.rhai");
    let source = std::fs::read_to_string(&policy).unwrap();
    std::fs::write(&policy, source.replacen("summary:", "summary ", 1)).unwrap();
    let explained = guardrail(&["explain", "no-todo"], dir.path());
    assert_eq!(explained.code, 2);
    assert!(
        explained.stderr.starts_with("error: rule \"no-todo\" cannot be explained: its policy does not compile\n"),
        "{}",
        explained.stderr
    );
    assert!(explained.stderr.contains("policies/no-todo.rhai:"), "{}", explained.stderr);
    assert!(explained.stderr.contains("Expecting ':'") && !explained.stderr.contains("\\'"), "{}", explained.stderr);
    assert!(!explained.stderr.contains("no rule"), "{}", explained.stderr);
    let listed = guardrail(&["list"], dir.path());
    assert_eq!(listed.code, 2);
    assert!(listed.stderr.contains("Expecting ':'") && !listed.stderr.contains("\\'"), "{}", listed.stderr);
    assert_eq!(guardrail(&["test"], dir.path()).code, 2, "the README: a policy that fails is exit 2");
}

#[test]
fn help_lists_exit_codes_and_explain_suggests_the_nearest_rule() {
    let dir = workspace(&[("src/lib.rs", "pub fn ok() {}\n")]);
    let help = guardrail(&["--help"], dir.path());
    assert!(
        help.stdout.contains("Exit codes") && help.stdout.contains("2  the run could not be trusted"),
        "{}",
        help.stdout
    );
    let typo = guardrail(&["explain", "unbounded-chanel"], dir.path());
    assert_eq!(typo.code, 2);
    assert!(typo.stderr.contains("did you mean `unbounded-channel`?"), "{}", typo.stderr);
    let explained = guardrail(&["explain", "unbounded-channel"], dir.path());
    assert!(
        explained
            .stdout
            .contains("\nSuppressing one finding\n  // guardrail-allow(unbounded-channel): <why this one is fine>\n"),
        "{}",
        explained.stdout
    );
    let far = guardrail(&["explain", "completely-different"], dir.path());
    assert!(!far.stderr.contains("did you mean"), "{}", far.stderr);
    assert_eq!(guardrail(&["init"], dir.path()).code, 0);
    let workflow = std::fs::read_to_string(dir.path().join(".github/workflows/guardrail.yml")).unwrap();
    assert!(workflow.contains("  pull_request:\n  push:\n    branches: [main]"), "{workflow}");
    // A fork's pull request has a read-only token: SARIF is uploaded only for the repository's own.
    let same_repository = "sarif: ${{ github.event_name != 'pull_request' || github.event.pull_request.head.repo.full_name == github.repository }}";
    assert!(workflow.contains(same_repository), "{workflow}");
    // The workflow, the README and action.yml's usage comment pin the same versions.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let action = std::fs::read_to_string(root.join("action.yml")).unwrap();
    let pins = |text: &str| -> std::collections::BTreeSet<String> {
        text.lines()
            .filter_map(|line| line.split("uses: ").nth(1))
            .map(|pin| pin.split_whitespace().next().unwrap_or_default().to_owned())
            .filter(|pin| pin.starts_with("actions/checkout@") || pin.starts_with("guardrail-rs/guardrail@"))
            .collect()
    };
    assert_eq!(pins(&workflow), pins(&readme), "init's workflow and the README pin the same actions");
    assert!(pins(&workflow).is_subset(&pins(&action)), "action.yml's usage comment pins them too: {:?}", pins(&action));
}

/// The ```rhai blocks of docs/writing-policies.md that declare a policy, as (id, source).
fn documented_policies() -> Vec<(String, String)> {
    let guide =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/writing-policies.md"))
            .unwrap();
    guide
        .split("```rhai\n")
        .skip(1)
        .filter_map(|block| block.split("```").next())
        .filter(|source| source.contains("const META") && source.contains("fn check"))
        .map(|source| {
            let id = source.split("id: \"").nth(1).and_then(|rest| rest.split('"').next()).unwrap().to_owned();
            (id, source.to_owned())
        })
        .collect()
}

#[test]
fn the_policies_of_the_authors_guide_work_as_written() {
    let policies = documented_policies();
    let ids: Vec<&str> = policies.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["no-todo", "no-process-exit-in-services", "workload-name-label"]);
    let server = "#[tokio::main]\nasync fn main() {\n    if std::env::args().count() > 3 {\n        std::process::exit(1);\n    }\n    axum::serve(listener, app()).await.unwrap();\n}\n";
    let tool = "fn main() {\n    todo!();\n    std::process::exit(2);\n}\n";
    let manifest = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n  labels:\n    team: core\nspec:\n  template:\n    spec:\n      containers:\n        - name: api\n          image: api\n          livenessProbe: {httpGet: {path: /, port: 80}}\n          readinessProbe: {httpGet: {path: /, port: 80}}\n";
    let mut files: Vec<(String, String)> = vec![
        ("guardrail.toml".into(), "policies = [\"checks\"]\n".into()),
        ("src/main.rs".into(), server.into()),
        ("src/bin/tool.rs".into(), tool.into()),
        ("deploy/api.yaml".into(), manifest.into()),
    ];
    files.extend(policies.iter().map(|(id, source)| (format!("checks/{id}.rhai"), source.clone())));
    let borrowed: Vec<(&str, &str)> = files.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
    let dir = workspace(&borrowed);
    let (_, report) = check_json(dir.path(), &[]);
    assert_eq!(errors(&report), [], "{report}");
    let mine: Vec<(String, String, u64)> =
        findings(&report).into_iter().filter(|f| ids.contains(&f.0.as_str())).collect();
    assert_eq!(
        mine,
        [
            finding("workload-name-label", "deploy/api.yaml", 6),
            finding("no-todo", "src/bin/tool.rs", 2),
            finding("no-process-exit-in-services", "src/main.rs", 4),
        ]
    );
}

#[test]
fn explain_lists_a_rules_parameters_with_their_defaults() {
    let dir = workspace(&[("src/lib.rs", "pub fn ok() {}\n")]);
    let output = guardrail(&["explain", "unbounded-channel"], dir.path());
    assert_eq!(output.code, 0);
    assert!(output.stdout.contains("Configuration ([rules.unbounded-channel] in guardrail.toml)"), "{}", output.stdout);
    assert!(output.stdout.contains("  include_tests (default: false)\n"), "{}", output.stdout);
}

#[test]
fn every_command_finds_the_project_root_from_inside_it() {
    let server = "#[tokio::main]\nasync fn main() {\n    tracing_subscriber::fmt().init();\n    axum::serve(listener, app()).await.unwrap();\n}\n";
    let policy = "const META = #{ id: \"my-rule\", severity: \"note\", summary: \"s\", rationale: \"r\", example: \"e\", fix: \"f\" };\nfn check(facts, ctx) {\n    for w in facts.workloads() { ctx.report(w, \"a workload\"); }\n}\n";
    let deployment = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          image: ghcr.io/acme/web:1\n          livenessProbe: {httpGet: {path: /, port: 80}}\n          readinessProbe: {httpGet: {path: /, port: 80}}\n";
    let dir = workspace(&[
        ("Cargo.toml", "[workspace]\nmembers = [\"crates/*\"]\n"),
        ("crates/web/Cargo.toml", "[package]\nname = \"web\"\nversion = \"0.1.0\"\nedition = \"2021\"\n"),
        ("crates/web/src/main.rs", server),
        ("crates/core/Cargo.toml", "[package]\nname = \"core\"\nversion = \"0.1.0\"\nedition = \"2021\"\n"),
        ("crates/core/src/lib.rs", UNBOUNDED),
        ("deploy/k8s/web.yaml", deployment),
        ("guardrail.toml", "policies = [\"checks\"]\n"),
        ("checks/my-rule.rhai", policy),
    ]);
    let web = dir.path().join("crates/web");
    let (_, whole) = check_json(dir.path(), &[]);
    let all = findings(&whole);
    assert_eq!(all.len(), 3, "{all:?}");

    let baseline = guardrail(&["baseline"], &web);
    assert_eq!(baseline.code, 0, "{}", baseline.stderr);
    let written = std::fs::read_to_string(dir.path().join("guardrail-baseline.json")).unwrap();
    assert_eq!(written.matches("\"fingerprint\"").count(), 3, "every finding of the project: {written}");
    assert!(!web.join("guardrail-baseline.json").exists());

    let explained = guardrail(&["explain", "my-rule"], &web);
    assert_eq!(explained.code, 0, "{}", explained.stderr);
    let services = guardrail(&["services"], &web);
    assert!(services.stdout.contains("kubernetes  Deployment web in deploy/k8s/web.yaml"), "{}", services.stdout);

    // A directory inside the project: its configuration and policies, root-relative paths, and
    // only what is in that directory.
    let output = guardrail(&["check", "deploy/k8s", "--format", "json"], dir.path());
    assert_eq!(findings(&output.json()), [finding("my-rule", "deploy/k8s/web.yaml", 4)]);
    let output = guardrail(&["check", ".", "--format", "json"], &web);
    let only_web: Vec<String> = findings(&output.json()).into_iter().map(|f| format!("{}:{}", f.0, f.1)).collect();
    assert_eq!(only_web, ["graceful-shutdown:crates/web/src/main.rs"]);
    // `check` is `check .`, and the report says what it left out.
    let bare = guardrail(&["check", "--format", "json"], &web);
    assert_eq!(bare.stdout, output.stdout);
    let left_out = &output.json()["left_out"];
    let paths = left_out.as_array().unwrap().iter().find(|entry| entry["by"] == "paths").unwrap();
    assert_eq!(paths["count"], 2, "{left_out}");
    assert_eq!(
        paths["message"],
        "2 findings outside crates/web, the part of the project the command line names, not reported"
    );
    let human = guardrail(&["check", "--color", "never"], &web);
    assert!(
        human.stdout.contains("left out: 2 findings outside crates/web, the part of the project"),
        "{}",
        human.stdout
    );
}

#[test]
fn human_output_keeps_routes_whole_and_counts_the_notes_of_the_run() {
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/shop");
    let output = guardrail(&["check", ".", "--color", "never"], &example);
    let finding = output.stdout.split("readiness probe path").nth(1).unwrap().split("guardrail::error").next().unwrap();
    let help: String = finding.split("help: ").nth(1).unwrap().split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        help.starts_with("the service serves: /healthz, /legal/terms, /openapi.json, /orders, /orders/{id}, /products"),
        "{help}"
    );
    assert!(!finding.contains("/\n") && !finding.contains("/ \n"), "a route is never cut in two:\n{finding}");
    assert!(finding.contains("`api` serves its routes from here"), "{finding}");
    assert!(!finding.contains("serves /"), "no location per route:\n{finding}");
    let dir = workspace(&[
        ("src/lib.rs", "pub fn ok() {}\n"),
        ("chart/templates/d.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Values.name }}\n"),
    ]);
    let output = guardrail(&["check", ".", "--color", "never"], dir.path());
    assert!(
        output.stdout.trim_end().ends_with("guardrail: no findings in 2 files; 1 note about the run"),
        "{}",
        output.stdout
    );
}

#[test]
fn preview_rules_run_only_when_asked_for_and_are_named_when_they_do_not() {
    let blocking = "pub async fn load() -> String {\n    std::fs::read_to_string(\"a\").unwrap()\n}\n";
    let compose = "services:\n  api:\n    build: .\n";
    let run = |config: &str, args: &[&str]| {
        let dir = workspace(&[
            ("src/lib.rs", blocking),
            ("compose.yaml", compose),
            ("Dockerfile", "FROM scratch\nCMD [\"/api\"]\n"),
            ("guardrail.toml", config),
        ]);
        let mut all = vec!["check", ".", "--format", "json"];
        all.extend_from_slice(args);
        let report = guardrail_as_shipped(&all, dir.path()).json();
        let rules: Vec<String> = findings(&report).into_iter().map(|f| f.0).collect();
        let left_out: Vec<(String, Vec<String>)> = report["left_out"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["by"].as_str().unwrap().to_owned(),
                    e["items"].as_array().unwrap().iter().map(|i| i.as_str().unwrap().to_owned()).collect(),
                )
            })
            .collect();
        (rules, left_out)
    };
    let preview_off = |left_out: &[(String, Vec<String>)]| {
        left_out.iter().find(|(by, _)| by == "preview").map(|(_, items)| items.clone()).unwrap_or_default()
    };
    // As shipped: blocking-in-async (default tier) reports; the compose rule (preview) does not,
    // and the report names it.
    let (rules, left_out) = run("", &[]);
    assert_eq!(rules, ["blocking-in-async"]);
    assert!(preview_off(&left_out).contains(&"compose-healthcheck".to_owned()), "{left_out:?}");
    // Asked for: on the command line, in guardrail.toml, by enabling or by giving a severity.
    for (config, args) in [
        ("", &["--preview"][..]),
        ("preview = true\n", &[]),
        ("[rules.compose-healthcheck]\nenabled = true\n", &[]),
        ("[rules.compose-healthcheck]\nseverity = \"note\"\n", &[]),
    ] {
        let (rules, left_out) = run(config, args);
        assert!(rules.contains(&"compose-healthcheck".to_owned()), "{config} {args:?}: {rules:?}");
        assert!(!preview_off(&left_out).contains(&"compose-healthcheck".to_owned()), "{config}: {left_out:?}");
    }
    // `enabled = false` turns any rule off, and says so.
    let (rules, left_out) = run("[rules.blocking-in-async]\nenabled = false\n", &[]);
    assert_eq!(rules, Vec::<String>::new());
    assert!(left_out.contains(&("rule-off".to_owned(), vec!["blocking-in-async".to_owned()])), "{left_out:?}");
    // A value that is not a boolean is a mistake in the configuration.
    let dir =
        workspace(&[("src/lib.rs", blocking), ("guardrail.toml", "[rules.blocking-in-async]\nenabled = \"yes\"\n")]);
    let output = guardrail_as_shipped(&["check", ".", "--format", "json"], dir.path());
    assert_eq!(output.code, 2);
    assert_eq!(errors(&output.json())[0].1, 2);
}
