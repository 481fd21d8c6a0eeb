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
    /// `Chart.yaml` files: Helm charts to render.
    pub charts: Vec<SourceFile>,
    /// `kustomization.yaml` files (and the other names kustomize reads) to render.
    pub kustomizations: Vec<SourceFile>,
}

/// What kind of input a file's path says it is; `None` for files guardrail does not read. A
/// YAML file named like a compose file (`docker-compose.prod.yml`, `tls-compose.yaml`,
/// `compose/dev.yaml`) is read as one, and as Kubernetes manifests if it holds no `services:`.
pub fn classify(path: &str) -> Option<FileKind> {
    let lower = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    let yaml = lower.ends_with(".yaml") || lower.ends_with(".yml");
    let docker_stem = |stem: &str| {
        lower == stem
            || [".", "_", "-"].iter().any(|separator| lower.starts_with(&format!("{stem}{separator}")))
            || lower.ends_with(&format!(".{stem}"))
    };
    let is_make =
        matches!(lower.as_str(), "makefile" | "gnumakefile" | "justfile" | ".justfile") || lower.ends_with(".mk");
    // Shell scripts: an image's entry point may be one that `exec`s the binary.
    let entrypoint_name = lower.starts_with("docker-entrypoint") || lower.starts_with("entrypoint");
    let is_script = lower.ends_with(".sh") || (entrypoint_name && !lower.contains('.'));
    if lower.ends_with(".rs") {
        Some(FileKind::Rust)
    } else if is_make || is_script || (yaml && path.contains(".github/workflows/")) {
        Some(FileKind::BuildScript)
    } else if yaml && path.to_ascii_lowercase().contains("compose") {
        Some(FileKind::Compose)
    } else if docker_stem("dockerfile") || docker_stem("containerfile") {
        Some(FileKind::Dockerfile)
    } else if yaml || lower.ends_with(".json") {
        Some(FileKind::Kubernetes)
    } else {
        None
    }
}

/// Walks `root`, honouring ignore files and `config.exclude`.
pub fn walk(root: &Path, config: &Config) -> (Discovery, Vec<Problem>) {
    let mut problems = Vec::new();
    let mut overrides = OverrideBuilder::new(root);
    let fixtures = config.fixture_dirs.iter().map(|dir| format!("{}/**", dir.to_string_lossy().trim_end_matches('/')));
    for glob in config.exclude.iter().cloned().chain(fixtures) {
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
        let name = file.path.file_name().and_then(|name| name.to_str()).unwrap_or_default();
        if name == "Chart.yaml" {
            discovery.charts.push(file.clone());
        } else if matches!(name, "kustomization.yaml" | "kustomization.yml" | "Kustomization") {
            discovery.kustomizations.push(file.clone());
        }
        if name == "Cargo.toml" {
            discovery.manifests.push(file);
        } else if let Some(kind) = classify(&file.shown) {
            discovery.files.push((file, kind));
        }
    }
    discovery.files.sort_by_key(|a| a.0.shown);
    discovery.manifests.sort_by_key(|a| a.shown);
    discovery.charts.sort_by_key(|a| a.shown);
    discovery.kustomizations.sort_by_key(|a| a.shown);
    (discovery, problems)
}

fn config_problem(config: &Config, message: String) -> Problem {
    let path = config.path.unwrap_or_else(|| Symbol::intern(super::config::FILE_NAME));
    Problem { location: Location::file(path), message }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_say_what_is_read() {
        let kinds = |paths: &[&str]| paths.iter().map(|p| classify(p)).collect::<Vec<_>>();
        assert_eq!(
            kinds(&["docker/entrypoint.sh", "docker-entrypoint", "Makefile", ".github/workflows/ci.yml"]),
            [Some(FileKind::BuildScript); 4]
        );
        // Named like an entry point, but a Dockerfile.
        assert_eq!(kinds(&["docker/entrypoint-script.Dockerfile", "Containerfile"]), [Some(FileKind::Dockerfile); 2]);
        assert_eq!(
            kinds(&["deploy/docker-compose.prod.yml", "deploy/api.yaml"]),
            [Some(FileKind::Compose), Some(FileKind::Kubernetes)]
        );
        assert_eq!(kinds(&["README.md", "entrypoint.py"]), [None, None]);
    }
}
