//! `guardrail explain`: a rule's documentation, with its parameters and measured precision.

use super::list::every_rule;
use super::{load_policies, project_root, report_problems};
use guardrail::report;
use std::path::PathBuf;
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
        let nearest = rules
            .iter()
            .map(|r| r.doc.id.as_str())
            .min_by_key(|known| edit_distance(known, &id))
            .filter(|known| edit_distance(known, &id) <= 3);
        let hint = nearest.map_or(String::new(), |known| format!(" (did you mean `{known}`?)"));
        eprintln!("error: no rule \"{id}\"{hint}; `guardrail list` shows the rules");
        return ExitCode::from(2);
    };
    let params: Vec<(String, String)> = policies
        .policies
        .iter()
        .find(|p| p.doc.id == id)
        .into_iter()
        .flat_map(|p| p.params.iter().map(|(name, default)| (name.clone(), default.to_string())))
        .collect();
    print!("{}", report::render_explain(rule, &params));
    report_problems(&problems)
}

/// Levenshtein distance, for suggesting the rule id a typo meant.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (diagonal + usize::from(ca != *cb)).min(row[j] + 1).min(row[j + 1] + 1);
            diagonal = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}
