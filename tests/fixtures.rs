//! Every built-in policy against every fixture under `fixtures/`, both ways.

mod common;

use guardrail::check::CheckOptions;
use guardrail::discover::Config;
use guardrail::engine::PolicySet;
use guardrail::fixtures::{cases, coverage_gaps, describe, run_case};
use std::path::Path;

#[test]
fn every_fixture_passes_and_every_policy_is_covered_both_ways() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let results: Vec<_> = cases(&dir)
        .unwrap()
        .iter()
        .map(|c| run_case(c, &CheckOptions { preview: true, ..CheckOptions::default() }, None))
        .collect();
    assert!(results.len() >= 10, "expected the fixture cases, found {}", results.len());
    let failures: Vec<String> =
        results.iter().filter(|r| !r.passed()).map(|r| format!("{}\n{}", r.case.display(), describe(r))).collect();
    assert!(failures.is_empty(), "fixture failures:\n{}", failures.join("\n"));

    let (policies, problems) = PolicySet::load(&dir, &Config::default(), &[]);
    assert!(problems.is_empty(), "{problems:?}");
    let mut ids: Vec<String> = policies.policies.iter().map(|p| p.doc.id.clone()).collect();
    ids.extend(guardrail::native::NATIVE_RULES.iter().map(|d| d.id.clone()));
    let gaps = coverage_gaps(&results, &dir, &ids);
    assert!(gaps.is_empty(), "coverage gaps:\n{}", gaps.join("\n"));
}

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
