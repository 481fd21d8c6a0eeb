//! `guardrail graph`: draw the architecture, with the edges that break a rule in red.

use super::{report_problems, Project};
use guardrail::arch::render::{render, GraphFormat};
use guardrail::check::{collect, CheckOptions};
use guardrail::facts::arch_graph::Level;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    project: Project,
    /// Mermaid (renders on GitHub) or Graphviz dot.
    #[arg(long, value_enum, default_value_t = GraphFormat::Mermaid)]
    format: GraphFormat,
    /// Draw crates, or the modules inside them.
    #[arg(long, value_enum, default_value_t = Level::Crate)]
    level: Level,
}

pub fn run(args: Args) -> ExitCode {
    let (path, options) = args.project.open();
    let options = CheckOptions { architecture_graph: true, ..options };
    let collected = collect(&path, &options);
    let (architecture, arch) = (&collected.config.architecture, &collected.facts.arch);
    let (violations, _) = guardrail::arch::unexcused(arch, architecture);
    print!("{}", render(arch, architecture, args.level, &violations, args.format));
    report_problems(&collected.problems)
}
