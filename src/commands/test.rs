//! `guardrail test`: run policies against fixture workspaces with `expect:`/`ok:` markers.

use super::{current_root, report_problems};
use guardrail::discover::Config;
use guardrail::fixtures;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// Fixture directory [default: the `fixtures` of guardrail.toml, else ./fixtures].
    dir: Option<PathBuf>,
    /// Directories of policies to test besides those guardrail.toml names.
    #[arg(long)]
    policies: Vec<PathBuf>,
}

pub fn run(args: Args) -> ExitCode {
    let root = match current_root() {
        Ok(root) => root,
        Err(code) => return code,
    };
    let (config, problems) = Config::load(&root, None);
    if !problems.is_empty() {
        return report_problems(&problems);
    }
    // The project's own policies and fixtures, as new-policy set them up.
    let mut policy_dirs: Vec<PathBuf> =
        args.policies.iter().map(|d| std::path::absolute(d).unwrap_or(d.clone())).collect();
    for (dir, _) in &config.policy_dirs {
        let dir = std::path::absolute(root.join(dir)).unwrap_or_else(|_| root.join(dir));
        if !policy_dirs.contains(&dir) {
            policy_dirs.push(dir);
        }
    }
    let dir = args
        .dir
        .unwrap_or_else(|| config.fixture_dirs.first().map_or_else(|| PathBuf::from("fixtures"), |d| root.join(d)));
    run_fixtures(&dir, policy_dirs)
}

fn run_fixtures(dir: &Path, policy_dirs: Vec<PathBuf>) -> ExitCode {
    let suite = match fixtures::Suite::load(dir, &policy_dirs) {
        Ok(suite) => suite,
        Err(error) => {
            eprintln!("error: cannot read fixtures in {}: {error}", dir.display());
            return ExitCode::from(2);
        }
    };
    if !suite.problems.is_empty() {
        return report_problems(&suite.problems);
    }
    let mut failed = 0;
    for case in &suite.cases {
        let result = suite.run(case);
        if result.passed() {
            println!("ok    {}", case.display());
        } else {
            failed += 1;
            println!("FAIL  {}\n{}", case.display(), fixtures::describe(&result));
        }
    }
    let gaps = suite.coverage_gaps();
    for gap in &gaps {
        println!("gap   {gap}");
    }
    println!("{} passed, {} failed", suite.cases.len() - failed, failed + gaps.len());
    ExitCode::from(if failed + gaps.len() == 0 { 0 } else { 1 })
}
