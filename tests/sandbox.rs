//! Hostile policies: each is stopped within 2 s with a diagnostic that names it and points
//! into it, while the other policies' findings are still reported (exit 2).

mod common;

use common::*;
use std::time::{Duration, Instant};

/// A queue request handlers fill: the router state holds its sender, a handler sends.
const UNBOUNDED: &str = "pub fn queue(app: axum::Router<Queue>) -> axum::Router {\n    let (tx, _rx) = std::sync::mpsc::channel::<u8>();\n    \
     app.route(\"/\", axum::routing::post(push)).with_state(Queue { tx })\n}\n\
     #[derive(Clone)]\npub struct Queue { tx: std::sync::mpsc::Sender<u8> }\n\
     async fn push(axum::extract::State(queue): axum::extract::State<Queue>) { queue.tx.send(1).ok(); }\n";

fn policy(id: &str, body: &str) -> String {
    format!(
        "const META = #{{ id: \"{id}\", severity: \"error\", summary: \"s\", rationale: \"r\", example: \"e\", fix: \"f\" }};\n{body}\n"
    )
}

/// Runs a check with one hostile user policy and returns its errors.
fn run_hostile(id: &str, body: &str) -> Vec<(String, u64, String)> {
    run_hostile_with(id, body, "", Duration::from_secs(2))
}

/// [`run_hostile`] with more of guardrail.toml, and the time the run may take.
fn run_hostile_with(id: &str, body: &str, config: &str, within: Duration) -> Vec<(String, u64, String)> {
    let source = policy(id, body);
    let config = format!("policies = [\"hostile\"]\n{config}");
    let dir =
        workspace(&[("src/lib.rs", UNBOUNDED), ("guardrail.toml", &config), (&format!("hostile/{id}.rhai"), &source)]);
    let started = Instant::now();
    let (code, report) = check_json(dir.path(), &[]);
    let elapsed = started.elapsed();
    assert!(elapsed < within, "{id} took {elapsed:?}");
    assert_eq!(code, 2, "{id}: {report}");
    assert_eq!(findings(&report), [finding("unbounded-channel", "src/lib.rs", 2)], "{id}: other policies still report");
    let errs = errors(&report);
    assert_eq!(errs.len(), 1, "{id}: {errs:?}");
    assert_eq!(errs[0].0, format!("hostile/{id}.rhai"));
    errs
}

fn assert_mentions(errs: &[(String, u64, String)], words: &[&str]) {
    for word in words {
        assert!(errs[0].2.contains(word), "{:?} does not mention {word}", errs[0].2);
    }
}

#[test]
fn an_infinite_loop_hits_the_deadline_or_the_operation_limit() {
    let errs = run_hostile("spin", "fn check(facts, ctx) {\n    loop { }\n}");
    assert_mentions(&errs, &["`spin`"]);
    assert!(errs[0].2.contains("time limit") || errs[0].2.contains("operations"), "{}", errs[0].2);
}

#[test]
fn deep_recursion_hits_the_call_depth_limit() {
    let errs = run_hostile("recurse", "fn down(n) { down(n + 1) }\nfn check(facts, ctx) {\n    down(0);\n}");
    assert_mentions(&errs, &["`recurse`", "tack overflow"]);
}

#[test]
fn string_doubling_hits_the_string_size_limit() {
    let errs = run_hostile("strings", "fn check(facts, ctx) {\n    let s = \"xx\";\n    loop { s += s; }\n}");
    assert_mentions(&errs, &["`strings`", "Length of string too large", "1048576 bytes"]);
}

#[test]
fn a_growing_array_is_stopped() {
    let errs = run_hostile("arrays", "fn check(facts, ctx) {\n    let a = [1];\n    loop { a += a; }\n}");
    assert_mentions(&errs, &["`arrays`", "exceeded a size limit: Size of array"]);
}

#[test]
fn a_map_grown_by_index_in_an_endless_loop_is_stopped_by_the_deadline() {
    // Rhai measures the value `m[k] = v` stores, not the map, so the item limit never sees this
    // map: the deadline stops it (and the memory limit, below, were its values large). The
    // operation limit is lifted so that the deadline alone can be what stops it.
    let body = "fn check(facts, ctx) {\n    let m = #{};\n    let i = 0;\n    loop { m[`k${i}`] = i; i += 1; }\n}";
    let config = "[limits]\npolicy_timeout_ms = 1000\npolicy_max_operations = 1000000000\n";
    let errs = run_hostile_with("maps", body, config, Duration::from_secs(5));
    assert_mentions(&errs, &["`maps`", "ran longer than its time limit of 1000 ms"]);
}

#[test]
fn a_map_of_large_keys_hits_the_memory_limit() {
    // Every key is half a megabyte (under the string limit), and the map stays far under its
    // item limit: only the memory bound stops it, at 512 MiB, long before its deadline.
    let body = "fn check(facts, ctx) {\n    let k = \"x\";\n    for n in 0..19 { k += k; }\n    let m = #{};\n    let i = 0;\n    \
                loop { m[k + i] = i; i += 1; }\n}";
    // A deadline far away: on a busy machine the memory bound must still be what stops it.
    let errs = run_hostile_with("keys", body, "[limits]\npolicy_timeout_ms = 30000\n", Duration::from_secs(40));
    assert_mentions(&errs, &["`keys`", "held more than its limit of 512 MiB of memory"]);
}

#[test]
fn import_from_disk_is_refused() {
    let errs = run_hostile("importer", "import \"/etc/passwd\" as p;\nfn check(facts, ctx) { }");
    assert_mentions(&errs, &["`importer`", "imports a module; a policy cannot read files"]);
    let errs = run_hostile("importer2", "fn check(facts, ctx) {\n    import \"../guardrail\" as g;\n}");
    assert_mentions(&errs, &["`importer2`", "imports a module; a policy cannot read files"]);
    assert_eq!(errs[0].1, 3, "the import's line");
}

#[test]
fn eval_does_not_exist() {
    let dir = workspace(&[
        ("src/lib.rs", UNBOUNDED),
        ("guardrail.toml", "policies = [\"hostile\"]\n"),
        ("hostile/evil.rhai", &policy("evil", "fn check(facts, ctx) {\n    eval(\"1 + 1\");\n}")),
    ]);
    let (code, report) = check_json(dir.path(), &[]);
    assert_eq!(code, 2);
    assert_eq!(findings(&report), [finding("unbounded-channel", "src/lib.rs", 2)]);
    let errs = errors(&report);
    assert_eq!((errs[0].0.as_str(), errs[0].1), ("hostile/evil.rhai", 3));
    assert!(errs[0].2.contains("policy does not compile"), "{}", errs[0].2);
}

#[test]
fn print_does_not_corrupt_json_output() {
    let errs_free = workspace(&[
        ("src/lib.rs", UNBOUNDED),
        ("guardrail.toml", "policies = [\"loud\"]\n"),
        ("loud/loud.rhai", &policy("loud", "fn check(facts, ctx) {\n    print(\"hello\");\n}")),
    ]);
    let output = guardrail(&["check", ".", "--format", "json"], errs_free.path());
    assert_eq!(output.code, 1);
    assert_eq!(findings(&output.json()), [finding("unbounded-channel", "src/lib.rs", 2)]);
    assert!(output.stderr.contains("hello"));
}

#[test]
fn a_policy_that_throws_is_reported_at_its_line() {
    let errs = run_hostile("thrower", "fn check(facts, ctx) {\n    let x = 1;\n    throw \"boom\";\n}");
    assert_mentions(&errs, &["`thrower`", "boom"]);
    assert_eq!(errs[0].1, 4, "the line of the throw, after the META line");
}

#[test]
fn reporting_at_something_that_is_not_a_fact_is_an_error() {
    let errs = run_hostile("misreport", "fn check(facts, ctx) {\n    ctx.report(42, \"x\");\n}");
    assert_mentions(&errs, &["`misreport`", "cannot report at a value of type i64"]);
}

#[test]
fn a_policy_without_metadata_is_refused() {
    let dir = workspace(&[
        ("src/lib.rs", UNBOUNDED),
        ("guardrail.toml", "policies = [\"p\"]\n"),
        ("p/bare.rhai", "fn check(facts, ctx) { }\n"),
    ]);
    let (code, report) = check_json(dir.path(), &[]);
    assert_eq!(code, 2);
    let errs = errors(&report);
    assert_eq!(errs[0].0, "p/bare.rhai");
    assert!(errs[0].2.contains("const META"), "{}", errs[0].2);
}

#[test]
fn a_flood_of_findings_is_capped_with_an_error_naming_the_policy() {
    let body = "fn check(facts, ctx) {\n    let site = facts.calls()[0];\n    for i in 0..10000 { ctx.report(site, \"x\"); }\n}";
    let source = policy("flood", body);
    let dir = workspace(&[
        ("src/lib.rs", UNBOUNDED),
        ("guardrail.toml", "policies = [\"p\"]\n[limits]\npolicy_max_findings = 100\n"),
        ("p/flood.rhai", &source),
    ]);
    let (code, report) = check_json(dir.path(), &[]);
    assert_eq!(code, 2);
    let flood = findings(&report).iter().filter(|f| f.0 == "flood").count();
    assert_eq!(flood, 100);
    let errs = errors(&report);
    assert!(errs.iter().any(|e| e.2.contains("`flood` reported more than 100 findings")), "{errs:?}");
}

#[test]
fn there_is_no_way_to_the_environment_files_or_processes() {
    for (id, call) in [
        ("env", "env(\"HOME\")"),
        ("open", "open_file(\"/etc/passwd\")"),
        ("run", "system(\"id\")"),
        ("clock", "timestamp()"),
    ] {
        let errs = run_hostile(id, &format!("fn check(facts, ctx) {{\n    let x = {call};\n}}"));
        assert_mentions(&errs, &[&format!("`{id}`"), "Function not found"]);
    }
}

#[test]
fn a_configuration_cannot_lift_the_sandbox_limits() {
    let config = "[limits]\npolicy_max_operations = 0\npolicy_timeout_ms = 86400000\n";
    let dir = workspace(&[("src/lib.rs", UNBOUNDED), ("guardrail.toml", config)]);
    let (code, report) = check_json(dir.path(), &[]);
    assert_eq!(code, 2);
    let errs = errors(&report);
    assert_eq!(errs.len(), 2, "{errs:?}");
    assert_eq!(
        (errs[0].1, errs[0].2.as_str()),
        (2, "policy_max_operations must be between 1000 and 1000000000; the default 20000000 applies")
    );
    assert_eq!(errs[1].1, 3);
    assert_eq!(findings(&report), [], "a broken configuration stops the run");
}

#[test]
fn sleep_cannot_hold_the_run_past_the_deadline() {
    let errs = run_hostile("sleeper", "fn check(facts, ctx) {\n    sleep(100000);\n}");
    assert_mentions(&errs, &["`sleeper`", "sleep is not available"]);
    assert_eq!(errs[0].1, 3, "the line of the call");
    let errs = run_hostile("floaty", "fn check(facts, ctx) {\n    let x = 1;\n    sleep(1000.5);\n}");
    assert_eq!(errs[0].1, 4);
}

#[test]
fn a_limit_stop_points_where_the_policy_was_executing() {
    let body = "fn spin(n) {\n    loop {\n        n += 1;\n    }\n}\nfn check(facts, ctx) {\n    spin(0);\n}";
    let errs = run_hostile("spinner", body);
    assert_eq!(errs[0].1, 4, "inside the loop of `spin`, not the top of the file: {errs:?}");
    let config = "policies = [\"hostile\"]\n[limits]\npolicy_max_operations = 10000\n";
    let dir = workspace(&[
        ("src/lib.rs", UNBOUNDED),
        ("guardrail.toml", config),
        (
            "hostile/counter.rhai",
            &policy("counter", "fn check(facts, ctx) {\n    let i = 0;\n    while true {\n        i += 1;\n    }\n}"),
        ),
    ]);
    let (_, report) = check_json(dir.path(), &[]);
    let errs = errors(&report);
    assert_eq!((errs[0].1, errs[0].2.contains("10000 operations")), (5, true), "{errs:?}");
}

#[test]
fn a_policy_stopped_by_its_deadline_reports_the_same_every_run() {
    // Reports as fast as it can until the deadline: how far it gets depends on the machine.
    let body = "fn check(facts, ctx) {\n    let site = facts.calls()[0];\n    loop {\n        ctx.report(site, \"again\");\n    }\n}";
    let dir = workspace(&[
        ("src/lib.rs", UNBOUNDED),
        (
            "guardrail.toml",
            "policies = [\"hostile\"]\n[limits]\npolicy_timeout_ms = 200\npolicy_max_findings = 100000\n",
        ),
        ("hostile/racer.rhai", &policy("racer", body)),
    ]);
    let runs: Vec<_> = (0..3).map(|_| guardrail(&["check", ".", "--format", "json"], dir.path()).stdout).collect();
    assert_eq!(runs[0], runs[1]);
    assert_eq!(runs[1], runs[2]);
    let report: serde_json::Value = serde_json::from_str(&runs[0]).unwrap();
    assert_eq!(findings(&report), [finding("unbounded-channel", "src/lib.rs", 2)], "a stopped policy reports nothing");
    let errs = errors(&report);
    assert!(errs.len() == 1 && errs[0].2.contains("time limit") && errs[0].1 == 4, "the loop: {errs:?}");
}

#[test]
fn related_locations_and_reported_text_are_capped() {
    let body = "fn check(facts, ctx) {\n    let site = facts.calls()[0];\n    let long = \"x\";\n    while long.len() < 2000 { long += long; }\n    let related = [];\n    for i in 0..500 { related.push(#{ at: site, message: long }); }\n    for i in 0..20000 { ctx.report(site, long, #{ help: long, related: related }); }\n}";
    let dir = workspace(&[
        ("src/lib.rs", UNBOUNDED),
        (
            "guardrail.toml",
            "policies = [\"hostile\"]\n[limits]\npolicy_max_findings = 100000\npolicy_timeout_ms = 30000\n",
        ),
        ("hostile/bloat.rhai", &policy("bloat", body)),
    ]);
    let output = guardrail(&["check", ".", "--format", "json"], dir.path());
    assert!(output.stdout.len() < 64 << 20, "{} bytes of JSON", output.stdout.len());
    let report = output.json();
    let bloat: Vec<&serde_json::Value> =
        report["findings"].as_array().unwrap().iter().filter(|f| f["rule"] == "bloat").collect();
    assert!(!bloat.is_empty() && bloat.len() < 20000, "{}", bloat.len());
    assert!(bloat.iter().all(|f| f["related"].as_array().unwrap().len() == 16));
    assert!(bloat.iter().all(|f| f["message"].as_str().unwrap().chars().count() <= 2001));
    let errs: Vec<String> = errors(&report).into_iter().map(|e| e.2).collect();
    assert!(errs.iter().any(|e| e.contains("more than 16 related locations")), "{errs:?}");
    assert!(errs.iter().any(|e| e.contains("16 MiB of text")), "{errs:?}");
}
