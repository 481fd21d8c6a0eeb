//! Report: the sorted findings and problems of a run, in the chosen format.

mod docs;
mod github;
mod human;
mod json;
mod junit;
mod markdown;
mod sarif;

pub use docs::{every_rule, render_explain, render_list, render_rule_page, render_services, Listed};
pub use human::{render_human, ColorChoice};
pub use json::render_json;
pub use sarif::render_sarif;

use crate::arch::render::GraphFormat;
use crate::check::Run;
use crate::facts::arch_graph::Level;
use clap::ValueEnum;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// rustc-style diagnostics with code frames and a summary line.
    Human,
    /// One JSON object: findings, errors, notes, summary.
    Json,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
    /// GitHub Actions workflow commands: annotations on the lines.
    Github,
    /// JUnit XML, for CI test reports.
    Junit,
    /// A Markdown summary (counts, a table, the architecture diagram), for job summaries.
    Markdown,
}

/// How a run is rendered beyond its format.
#[derive(Debug, Clone, Default)]
pub struct RenderOptions {
    /// Colour, for human output.
    pub color: bool,
    /// The SARIF category.
    pub category: String,
    /// Prepended to paths in SARIF and GitHub annotations, which GitHub reads from the
    /// repository root when the checked root is a sub-directory (`examples/shop/`).
    pub path_prefix: String,
}

/// Renders a run in `format`. In a GitHub Actions job every format but the workflow commands
/// of `github` comes inside a block the runner reads no command from.
pub fn render(format: Format, run: &Run, options: &RenderOptions) -> String {
    let text = render_plain(format, run, options);
    if format != Format::Github && crate::workflow_commands::in_github_actions() {
        crate::workflow_commands::without_commands(&text)
    } else {
        text
    }
}

/// Renders a run in `format` as a file holds it.
pub fn render_plain(format: Format, run: &Run, options: &RenderOptions) -> String {
    match format {
        Format::Human => render_human(&run.outcome, &run.sources, options.color),
        Format::Json => render_json(&run.outcome),
        Format::Sarif => render_sarif(&run.outcome, &run.rules, &options.category, &options.path_prefix),
        Format::Github => github::render_github(&run.outcome, &options.path_prefix),
        Format::Junit => junit::render_junit(&run.outcome),
        Format::Markdown => {
            let architecture = &run.config.architecture;
            let diagram = (!architecture.layers.is_empty()).then(|| {
                let (violations, _) = crate::arch::unexcused(&run.facts.arch, architecture);
                crate::arch::render::render(
                    &run.facts.arch,
                    architecture,
                    Level::Crate,
                    &violations,
                    GraphFormat::Mermaid,
                )
            });
            markdown::render_markdown(&run.outcome, diagram.as_deref())
        }
    }
}
