//! The fixture runner itself: what it counts as missing, unexpected or a mistake.

mod common;

use guardrail::check::CheckOptions;
use guardrail::fixtures::run_case;

#[test]
fn the_runner_reports_missing_and_unexpected_findings() {
    let case = tempfile::tempdir().unwrap();
    std::fs::write(case.path().join("Cargo.toml"), "[package]\nname = \"c\"\nversion = \"0.1.0\"\n\n[workspace]\n")
        .unwrap();
    std::fs::create_dir(case.path().join("src")).unwrap();
    std::fs::write(case.path().join("guardrail.toml"), common::EVERY_QUEUE).unwrap();
    std::fs::write(
        case.path().join("src/lib.rs"),
        "pub fn a() {\n    let _ = std::sync::mpsc::channel::<u8>();\n}\n// expect: unbounded-channel\npub fn b() {}\n",
    )
    .unwrap();
    let result = run_case(case.path(), &CheckOptions { preview: true, ..CheckOptions::default() }, None);
    assert!(!result.passed());
    let missing: Vec<_> = result.missing.iter().map(|e| (e.rule.as_str(), e.path.as_str(), e.line)).collect();
    assert_eq!(missing, [("unbounded-channel", "src/lib.rs", 5)]);
    let unexpected: Vec<_> =
        result.unexpected.iter().map(|f| (f.rule.as_str(), &*f.location.path, f.location.line)).collect();
    assert_eq!(unexpected, [("unbounded-channel", "src/lib.rs", 2)]);
}

#[test]
fn markers_are_checked_themselves_and_severities_and_counts_with_them() {
    let case = tempfile::tempdir().unwrap();
    let write = |path: &str, text: &str| {
        let path = case.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write("Cargo.toml", "[package]\nname = \"c\"\nversion = \"0.1.0\"\n\n[workspace]\n");
    write("guardrail.toml", common::EVERY_QUEUE);
    write(
        "src/lib.rs",
        "pub fn a() {\n    let _ = (std::sync::mpsc::channel::<u8>(), std::sync::mpsc::channel::<u8>()); // expect: unbounded-channel\n}\n\
         pub async fn b() {\n    std::thread::sleep(std::time::Duration::ZERO); // expect: blocking-in-async(note)\n}\n\
         // expect: unbounded-channel\npub fn c() {} // ok: no-such-rule, unbounded-channel\n\
         pub fn d() {} // expect: blocking-in-async(fatal)\n",
    );
    write("guardrail-fixture.toml", "renderers = [\"helm\", \"docker\"]\n");
    let result = run_case(case.path(), &CheckOptions { preview: true, ..CheckOptions::default() }, None);
    assert!(!result.passed());
    // Two findings on line 2, one marker: the second is unexpected.
    let unexpected: Vec<_> = result.unexpected.iter().map(|f| (f.rule.as_str(), f.location.line)).collect();
    assert_eq!(unexpected, [("unbounded-channel", 2)]);
    let mut missing: Vec<_> = result.missing.iter().map(|e| (e.rule.as_str(), e.line)).collect();
    missing.sort();
    assert_eq!(missing, [("blocking-in-async(fatal)", 9), ("unbounded-channel", 8)]);
    let mut mistakes = result.mistakes.clone();
    mistakes.sort();
    assert_eq!(
        mistakes,
        [
            "guardrail-fixture.toml: `docker` is no renderer (helm, kubectl)",
            "src/lib.rs:5: `blocking-in-async` is reported as a warning, expected a note",
            "src/lib.rs:8: `unbounded-channel` is marked both expected and ok",
            "src/lib.rs:8: a marker names `no-such-rule`, which is no rule of this run",
            "src/lib.rs:9: a marker names `blocking-in-async(fatal)`, which is no rule of this run",
        ]
    );
}
