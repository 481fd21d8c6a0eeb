//! One module per command: its options (`Args`) and `run`. `main.rs` parses and dispatches.

pub mod baseline;
pub mod check;
pub mod explain;
pub mod facts;
pub mod graph;
pub mod init;
pub mod list;
pub mod new_policy;
mod progress;
pub mod services;
pub mod test;

use guardrail::check::CheckOptions;
use guardrail::discover::Config;
use guardrail::engine::PolicySet;
use guardrail::problem::Problem;
use guardrail::workflow_commands::log_line;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The project a command reads: a directory of it, and its configuration file.
#[derive(clap::Args)]
pub struct Project {
    /// A directory of the project (its root is found from there, as `check` finds it).
    #[arg(default_value = ".")]
    path: PathBuf,
    /// Configuration file (default: <root>/guardrail.toml when it exists).
    #[arg(long)]
    config: Option<PathBuf>,
}

impl Project {
    /// The project's root, and the options that read it with its configuration.
    fn open(self) -> (PathBuf, CheckOptions) {
        (project_root(&self.path), CheckOptions { config: self.config, ..CheckOptions::default() })
    }
}

fn usage_error(message: &str) -> ExitCode {
    eprintln!("error: {}", log_line(message));
    ExitCode::from(2)
}

/// Writes through a temporary file and a rename, so a reader never sees half a report.
fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(format!(".tmp-{}", std::process::id()));
    std::fs::write(&temporary, text)?;
    std::fs::rename(&temporary, path)
}

/// The project a path belongs to, found the same way by every command: the nearest ancestor
/// (the path itself included) with guardrail.toml or a workspace Cargo.toml.
fn project_root(path: &Path) -> PathBuf {
    guardrail::discover::find_root(&std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()))
}

/// The project of the working directory.
fn current_root() -> Result<PathBuf, ExitCode> {
    match std::env::current_dir() {
        Ok(cwd) => Ok(guardrail::discover::find_root(&cwd)),
        Err(error) => Err(usage_error(&error.to_string())),
    }
}

fn load_policies(root: &Path) -> (PolicySet, Vec<Problem>) {
    let (config, mut problems) = Config::load(root, None);
    let (policies, policy_problems) = PolicySet::load(root, &config, &[]);
    problems.extend(policy_problems);
    (policies, problems)
}

/// Prints the problems, one line each; exit code 2 when there is any.
fn report_problems(problems: &[Problem]) -> ExitCode {
    for p in problems {
        let at = &p.location;
        let place = if at.path.is_empty() { String::new() } else { format!("{}:{}:{}: ", at.path, at.line, at.column) };
        eprintln!("{}", log_line(&format!("{place}{}", p.message)));
    }
    ExitCode::from(if problems.is_empty() { 0 } else { 2 })
}
