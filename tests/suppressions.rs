//! Inline suppressions through the command line: reasons required, stale ones reported.

mod common;

use common::*;

#[test]
fn a_suppression_with_a_reason_hides_exactly_its_line() {
    let source = "pub fn a() {\n    // guardrail-allow(unbounded-channel): drained by one fast consumer\n    let _ = std::sync::mpsc::channel::<u8>();\n    let _ = std::sync::mpsc::channel::<u8>();\n}\n";
    let dir = workspace(&[("src/lib.rs", source), ("guardrail.toml", EVERY_QUEUE)]);
    let output = guardrail(&["check", ".", "--color", "never"], dir.path());
    assert!(
        output.stdout.ends_with("guardrail: 1 error, 0 warnings, 0 notes in 1 file; 1 suppressed\n"),
        "{}",
        output.stdout
    );
    let (_, report) = check_json(dir.path(), &[]);
    assert_eq!(findings(&report), [finding("unbounded-channel", "src/lib.rs", 4)]);
}

#[test]
fn fingerprints_survive_lines_added_above() {
    let dir = workspace(&[
        ("src/lib.rs", "pub fn a() {\n    let _ = std::sync::mpsc::channel::<u8>();\n}\n"),
        ("guardrail.toml", EVERY_QUEUE),
    ]);
    let (_, before) = check_json(dir.path(), &[]);
    std::fs::write(
        dir.path().join("src/lib.rs"),
        "//! Queues.\n\npub fn a() {\n    let _ = std::sync::mpsc::channel::<u8>();\n}\n",
    )
    .unwrap();
    let (_, after) = check_json(dir.path(), &[]);
    assert_eq!(findings(&after), [finding("unbounded-channel", "src/lib.rs", 4)]);
    assert_eq!(before["findings"][0]["fingerprint"], after["findings"][0]["fingerprint"]);
}

#[test]
fn a_suppression_naming_a_misspelled_rule_suggests_the_rule_meant() {
    let source = "pub fn a() {\n    // guardrail-allow(unbounded-chanel): drained by one fast consumer\n    let _ = std::sync::mpsc::channel::<u8>();\n    // guardrail-allow(no-such-thing-at-all): a reason\n    let _ = 1;\n}\n";
    let dir = workspace(&[("src/lib.rs", source), ("guardrail.toml", EVERY_QUEUE)]);
    let (_, report) = check_json(dir.path(), &[]);
    assert_eq!(
        findings(&report),
        [
            finding("unused-suppression", "src/lib.rs", 2),
            finding("unbounded-channel", "src/lib.rs", 3),
            finding("unused-suppression", "src/lib.rs", 4)
        ]
    );
    let help = |line: u64| {
        let found = report["findings"].as_array().unwrap().iter().find(|f| f["line"] == line).unwrap();
        found["help"].as_str().unwrap().to_owned()
    };
    assert_eq!(help(2), "did you mean `unbounded-channel`? `guardrail-allow(unbounded-channel): <reason>`");
    assert_eq!(help(4), "remove the comment");
}
