//! Walking the tree: `.gitignore` honoured (in git repositories or not), the configuration's
//! `exclude` globs applied, `target/` and `.git/` skipped, symlinks not followed.

use super::config::relative_display;
use super::Config;
use crate::facts::{Location, Problem};
use ignore::overrides::OverrideBuilder;
use ignore::WalkBuilder;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A file to extract, with the path reports show.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub shown: Arc<str>,
    pub path: PathBuf,
}

/// What a walk found, by kind.
#[derive(Debug, Default)]
pub struct Discovery {
    pub rust: Vec<SourceFile>,
    /// `Cargo.toml` files, for link.
    pub manifests: Vec<SourceFile>,
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
                problems.push(Problem { location: Location::file(Arc::from("")), message: format!("walk: {error}") });
                continue;
            }
        };
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let path = entry.into_path();
        let file = SourceFile { shown: Arc::from(relative_display(root, &path)), path };
        match file.path.file_name().and_then(|n| n.to_str()) {
            Some("Cargo.toml") => discovery.manifests.push(file),
            Some(name) if name.ends_with(".rs") => discovery.rust.push(file),
            _ => {}
        }
    }
    discovery.rust.sort_by(|a, b| a.shown.cmp(&b.shown));
    discovery.manifests.sort_by(|a, b| a.shown.cmp(&b.shown));
    (discovery, problems)
}

fn config_problem(config: &Config, message: String) -> Problem {
    let path = config.path.clone().unwrap_or_else(|| Arc::from(super::config::FILE_NAME));
    Problem { location: Location::file(path), message }
}
