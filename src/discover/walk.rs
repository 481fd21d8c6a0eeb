//! Walking the tree: `.gitignore` honoured (in git repositories or not), the configuration's
//! `exclude` globs applied, `target/` and `.git/` skipped, symlinks not followed.

use super::config::relative_display;
use super::Config;
use crate::facts::{FileKind, Location, Problem, Symbol};
use ignore::overrides::OverrideBuilder;
use ignore::WalkBuilder;
use std::path::{Path, PathBuf};

/// A file to extract, with the path reports show.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub shown: Symbol,
    pub path: PathBuf,
}

/// What a walk found.
#[derive(Debug, Default)]
pub struct Discovery {
    /// Files to extract, with their kind, sorted by path.
    pub files: Vec<(SourceFile, FileKind)>,
    /// `Cargo.toml` files, for link.
    pub manifests: Vec<SourceFile>,
}

const COMPOSE_NAMES: [&str; 8] = [
    "compose.yaml",
    "compose.yml",
    "docker-compose.yaml",
    "docker-compose.yml",
    "compose.override.yaml",
    "compose.override.yml",
    "docker-compose.override.yaml",
    "docker-compose.override.yml",
];

/// What kind of input a file name says it is; `None` for files guardrail does not read.
pub fn classify(name: &str) -> Option<FileKind> {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".rs") {
        Some(FileKind::Rust)
    } else if COMPOSE_NAMES.contains(&lower.as_str()) {
        Some(FileKind::Compose)
    } else if lower == "dockerfile"
        || lower == "containerfile"
        || lower.starts_with("dockerfile.")
        || lower.ends_with(".dockerfile")
    {
        Some(FileKind::Dockerfile)
    } else if lower.ends_with(".yaml") || lower.ends_with(".yml") || lower.ends_with(".json") {
        Some(FileKind::Kubernetes)
    } else {
        None
    }
}

/// Walks `root`, honouring ignore files and `config.exclude`.
pub fn walk(root: &Path, config: &Config) -> (Discovery, Vec<Problem>) {
    let mut problems = Vec::new();
    let mut overrides = OverrideBuilder::new(root);
    for glob in &config.exclude {
        if let Err(error) = overrides.add(&format!("!{glob}")) {
            problems.push(config_problem(config, format!("invalid exclude glob \"{glob}\": {error}")));
        }
    }
    let overrides = overrides.build().unwrap_or_else(|error| {
        problems.push(config_problem(config, format!("invalid exclude globs: {error}")));
        ignore::overrides::Override::empty()
    });
    let walker = WalkBuilder::new(root)
        .hidden(false)
        .require_git(false)
        .follow_links(false)
        .overrides(overrides)
        .filter_entry(|entry| {
            let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
            !(is_dir && matches!(entry.file_name().to_str(), Some("target" | ".git")))
        })
        .build();
    let mut discovery = Discovery::default();
    for entry in walker {
        let entry = match entry {
            Ok(entry) => entry,
            Err(error) => {
                problems
                    .push(Problem { location: Location::file(Symbol::default()), message: format!("walk: {error}") });
                continue;
            }
        };
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let path = entry.into_path();
        let file = SourceFile { shown: Symbol::from(relative_display(root, &path)), path };
        match file.path.file_name().and_then(|n| n.to_str()) {
            Some("Cargo.toml") => discovery.manifests.push(file),
            Some(name) => {
                if let Some(kind) = classify(name) {
                    discovery.files.push((file, kind));
                }
            }
            None => {}
        }
    }
    discovery.files.sort_by_key(|a| a.0.shown);
    discovery.manifests.sort_by_key(|a| a.shown);
    (discovery, problems)
}

fn config_problem(config: &Config, message: String) -> Problem {
    let path = config.path.unwrap_or_else(|| Symbol::intern(super::config::FILE_NAME));
    Problem { location: Location::file(path), message }
}
