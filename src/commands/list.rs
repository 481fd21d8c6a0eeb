//! `guardrail list`: the rules, with id, default severity, origin, tier and summary.

use super::{load_policies, project_root, report_problems};
use guardrail::report::{self, every_rule};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// A directory of the project (its root is found from there, as `check` finds it); its
    /// guardrail.toml may add user policies.
    #[arg(default_value = ".")]
    path: PathBuf,
}

pub fn run(args: Args) -> ExitCode {
    let (policies, problems) = load_policies(&project_root(&args.path));
    let mut rules = every_rule(&policies);
    rules.sort_by(|a, b| a.doc.id.cmp(&b.doc.id));
    print!("{}", report::render_list(&rules));
    report_problems(&problems)
}
