//! Report: the sorted findings and problems of a run, in the chosen format.

mod docs;
mod human;
mod json;

pub use docs::{render_explain, render_list, render_services};
pub use human::{render_human, ColorChoice};
pub use json::render_json;

use clap::ValueEnum;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// rustc-style diagnostics with code frames and a summary line.
    Human,
    /// One JSON object: findings, errors, summary.
    Json,
}
