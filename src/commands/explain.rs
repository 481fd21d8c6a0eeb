//! `guardrail explain`: a rule's documentation, with its parameters and measured precision.

use super::{load_policies, project_root, report_problems};
use guardrail::problem::Problem;
use guardrail::report::{self, every_rule};
use guardrail::rule::nearest_id;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// The rule's id, as `guardrail list` shows it.
    id: String,
    /// A directory of the project whose own policies to include.
    #[arg(long, default_value = ".")]
    path: PathBuf,
}

pub fn run(args: Args) -> ExitCode {
    let id = args.id;
    let (policies, problems) = load_policies(&project_root(&args.path));
    let rules = every_rule(&policies);
    let Some(rule) = rules.iter().find(|r| r.doc.id == id) else {
        // A policy of that name that does not compile: its problem is the answer.
        let named = |p: &&Problem| Path::new(&*p.location.path).file_stem().is_some_and(|stem| *stem == *id);
        if let Some(broken) = problems.iter().find(named) {
            eprintln!("error: rule \"{id}\" cannot be explained: its policy does not compile");
            return report_problems(std::slice::from_ref(broken));
        }
        let nearest = nearest_id(rules.iter().map(|r| r.doc.id.as_str()), &id);
        let hint = nearest.map_or(String::new(), |known| format!(" (did you mean `{known}`?)"));
        eprintln!("error: no rule \"{id}\"{hint}; `guardrail list` shows the rules");
        return ExitCode::from(2);
    };
    let params = policies.policies.iter().find(|p| p.doc.id == id).map(|p| p.defaults()).unwrap_or_default();
    print!("{}", report::render_explain(rule, &params));
    report_problems(&problems)
}
