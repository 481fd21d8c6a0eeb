//! `guardrail services`: how each binary was joined to its Dockerfile, compose service and
//! Kubernetes workloads, with the evidence for each link.

use super::{project_root, report_problems};
use clap::ValueEnum;
use guardrail::check::{collect, CheckOptions};
use guardrail::report;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// A directory of the project (its root is found from there, as `check` finds it).
    #[arg(default_value = ".")]
    path: PathBuf,
    /// Configuration file (default: <root>/guardrail.toml when it exists).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Human-readable blocks, or JSON.
    #[arg(long, value_enum, default_value_t = ServicesFormat::Human)]
    format: ServicesFormat,
}

#[derive(Clone, Copy, ValueEnum)]
enum ServicesFormat {
    Human,
    Json,
}

pub fn run(args: Args) -> ExitCode {
    let path = project_root(&args.path);
    let collected = collect(&path, &CheckOptions { config: args.config, ..CheckOptions::default() });
    let services = &collected.facts.services;
    match args.format {
        ServicesFormat::Human => print!("{}", report::render_services(services)),
        ServicesFormat::Json => println!("{}", serde_json::to_string_pretty(services).expect("services serialise")),
    }
    report_problems(&collected.problems)
}
