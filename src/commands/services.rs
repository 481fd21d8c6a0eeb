//! `guardrail services`: how each binary was joined to its Dockerfile, compose service and
//! Kubernetes workloads, with the evidence for each link.

use super::{report_problems, Project};
use clap::ValueEnum;
use guardrail::check::collect;
use guardrail::report;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    project: Project,
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
    let (path, options) = args.project.open();
    let collected = collect(&path, &options);
    let services = &collected.facts.services;
    match args.format {
        ServicesFormat::Human => print!("{}", report::render_services(services)),
        ServicesFormat::Json => println!("{}", serde_json::to_string_pretty(services).expect("services serialise")),
    }
    report_problems(&collected.problems)
}
