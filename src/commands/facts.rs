//! `guardrail facts`: the facts model as JSON, to see what policies can query.

use super::{project_root, report_problems};
use clap::ValueEnum;
use guardrail::check::{collect, CheckOptions};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// A directory of the project (its root is found from there, as `check` finds it).
    #[arg(default_value = ".")]
    path: PathBuf,
    /// The only format facts come in.
    #[arg(long, value_enum, default_value_t = FactsFormat::Json)]
    format: FactsFormat,
    /// Configuration file (default: <root>/guardrail.toml when it exists).
    #[arg(long)]
    config: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum FactsFormat {
    Json,
}

pub fn run(args: Args) -> ExitCode {
    let FactsFormat::Json = args.format;
    let path = project_root(&args.path);
    // Every fact, the module references the graph is built from included.
    let options = CheckOptions { config: args.config, architecture_graph: true, ..CheckOptions::default() };
    let collected = collect(&path, &options);
    println!("{}", serde_json::to_string_pretty(&collected.facts).expect("facts serialise"));
    report_problems(&collected.problems)
}
