//! `guardrail baseline`: record today's findings, so that `check --baseline` reports only new
//! ones.

use super::{report_problems, write_atomically, Project};
use guardrail::check::{check, CheckOptions};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    project: Project,
    /// Where to write it (default: <path>/guardrail-baseline.json).
    #[arg(long)]
    output: Option<PathBuf>,
    /// Also record the findings of the built-in rules still in preview (as `check --preview`).
    #[arg(long)]
    preview: bool,
}

pub fn run(args: Args) -> ExitCode {
    let (path, options) = args.project.open();
    let run = check(&path, &CheckOptions { preview: args.preview, ..options });
    let file = args.output.unwrap_or_else(|| path.join("guardrail-baseline.json"));
    if let Err(error) = write_atomically(&file, &guardrail::filter::baseline::write(&run.outcome.findings)) {
        eprintln!("error: cannot write {}: {error}", file.display());
        return ExitCode::from(2);
    }
    println!("wrote {} findings to {}", run.outcome.findings.len(), file.display());
    report_problems(&run.outcome.problems)
}
