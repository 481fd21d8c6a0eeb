//! `guardrail facts`: the facts model as JSON, to see what policies can query.

use super::{report_problems, Project};
use clap::ValueEnum;
use guardrail::check::{collect, CheckOptions};
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    project: Project,
    /// The only format facts come in.
    #[arg(long, value_enum, default_value_t = FactsFormat::Json)]
    format: FactsFormat,
}

#[derive(Clone, Copy, ValueEnum)]
enum FactsFormat {
    Json,
}

pub fn run(args: Args) -> ExitCode {
    let FactsFormat::Json = args.format;
    let (path, options) = args.project.open();
    // Every fact, the module references the graph is built from included.
    let options = CheckOptions { architecture_graph: true, ..options };
    let collected = collect(&path, &options);
    println!("{}", serde_json::to_string_pretty(&collected.facts).expect("facts serialise"));
    report_problems(&collected.problems)
}
