//! `guardrail init`: a commented guardrail.toml with the workspace's crates, and a GitHub
//! workflow; prints the pre-commit entry to add.

use super::usage_error;
use guardrail::check::{collect, CheckOptions};
use guardrail::scaffold;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// The project's root, where guardrail.toml and .github/workflows/guardrail.yml go.
    #[arg(default_value = ".")]
    path: PathBuf,
    /// Overwrite files that exist.
    #[arg(long)]
    force: bool,
}

pub fn run(args: Args) -> ExitCode {
    let facts = collect(&args.path, &CheckOptions::default()).facts;
    let crates: Vec<String> = facts.packages.iter().map(|p| p.name.to_string()).collect();
    if let Err(message) = scaffold::write_all(&scaffold::init(&args.path, &crates), args.force) {
        return usage_error(&message);
    }
    println!("wrote guardrail.toml and .github/workflows/guardrail.yml");
    println!("to run guardrail before each commit, add to .pre-commit-config.yaml:\n{}", scaffold::PRE_COMMIT_SNIPPET);
    ExitCode::SUCCESS
}
