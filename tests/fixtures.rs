//! Every built-in rule against every fixture under `fixtures/`, both ways: one test per case
//! (`cargo test --test fixtures -- graceful-shutdown` runs a rule's cases, `-- --list` names
//! them), and one that every rule has a case that must report and a line that must not.

use guardrail::fixtures::{describe, Suite};
use libtest_mimic::{Arguments, Failed, Trial};
use std::path::Path;
use std::sync::Arc;

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let suite = Arc::new(Suite::load(&dir, &[]).expect("the fixtures directory is readable"));
    let mut trials: Vec<Trial> = suite
        .cases
        .iter()
        .map(|case| {
            let name = case.strip_prefix(&dir).unwrap_or(case).to_string_lossy().replace('\\', "/");
            let (suite, case) = (Arc::clone(&suite), case.clone());
            Trial::test(name, move || {
                let result = suite.run(&case);
                if result.passed() {
                    Ok(())
                } else {
                    Err(Failed::from(describe(&result)))
                }
            })
        })
        .collect();
    let whole = Arc::clone(&suite);
    trials.push(Trial::test("every rule is covered both ways", move || {
        let mut failures: Vec<String> = whole.problems.iter().map(|p| format!("{p:?}")).collect();
        if whole.cases.len() < 10 {
            failures.push(format!("expected the fixture cases, found {}", whole.cases.len()));
        }
        failures.extend(whole.coverage_gaps());
        if failures.is_empty() {
            Ok(())
        } else {
            Err(Failed::from(failures.join("\n")))
        }
    }));
    libtest_mimic::run(&Arguments::from_args(), trials).exit();
}
