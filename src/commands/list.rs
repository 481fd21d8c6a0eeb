//! `guardrail list`: the rules, with id, default severity, origin, tier and summary.

use super::{load_policies, project_root, report_problems};
use guardrail::engine::{Origin, Policy, PolicySet};
use guardrail::native::NATIVE_RULES;
use guardrail::report::{self, Listed};
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

/// Every rule as `list` and `explain` show it: policies (built-in ones with their tier), then
/// native rules.
pub fn every_rule(policies: &PolicySet) -> Vec<Listed<'_>> {
    policies
        .policies
        .iter()
        .map(listed)
        .chain(NATIVE_RULES.iter().map(|doc| Listed { doc, origin: "native", tier: None }))
        .collect()
}

fn listed(policy: &Policy) -> Listed<'_> {
    if policy.origin == Origin::Builtin {
        let id = &policy.doc.id;
        let tier = Some((guardrail::measured::tier(id), guardrail::measured::measured(id)));
        Listed { doc: &policy.doc, origin: "built-in", tier }
    } else {
        Listed { doc: &policy.doc, origin: "user", tier: None }
    }
}
