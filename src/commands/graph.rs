//! `guardrail graph`: draw the architecture, with the edges that break a rule in red.

use super::{project_root, report_problems};
use guardrail::arch::render::{render, GraphFormat};
use guardrail::check::{collect, CheckOptions};
use guardrail::facts::arch_graph::Level;
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
    /// Mermaid (renders on GitHub) or Graphviz dot.
    #[arg(long, value_enum, default_value_t = GraphFormat::Mermaid)]
    format: GraphFormat,
    /// Draw crates, or the modules inside them.
    #[arg(long, value_enum, default_value_t = Level::Crate)]
    level: Level,
}

pub fn run(args: Args) -> ExitCode {
    let path = project_root(&args.path);
    let options = CheckOptions { config: args.config, architecture_graph: true, ..CheckOptions::default() };
    let collected = collect(&path, &options);
    let (architecture, arch) = (&collected.config.architecture, &collected.facts.arch);
    let (violations, _) = guardrail::arch::unexcused(arch, architecture);
    print!("{}", render(arch, architecture, args.level, &violations, args.format));
    report_problems(&collected.problems)
}
