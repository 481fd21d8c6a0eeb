//! Walking the tree. In a git checkout the tree is what git tracks, whatever ignore files say
//! (a pull request could otherwise hide a crate by listing it in `.gitignore`), plus the files
//! nobody has added yet that `.gitignore` does not name. Outside git, `.gitignore` is honoured
//! and what it leaves out is counted. `.ignore` and `.rgignore` (ripgrep's) are never read.
//! `exclude` globs and fixture directories of the configuration apply, and what they leave out is
//! named too. `.git/` and (for files git does not track) `target/` are skipped; symlinks are
//! not followed.

use super::config::relative_display;
use super::Config;
use crate::file_kind::FileKind;
use crate::location::Location;
use crate::problem::Problem;
use crate::symbol::Symbol;
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
    /// Files guardrail reads that the configuration's `exclude` globs left out.
    pub excluded: Vec<Symbol>,
    /// Files guardrail reads in the configuration's fixture directories.
    pub in_fixtures: Vec<Symbol>,
    /// Files guardrail reads that `.gitignore` left out (outside a git checkout).
    pub ignored: Vec<Symbol>,
    /// Directories below the root that hold another language's project (a `package.json`,
    /// `go.mod`, `pom.xml` …): a JavaScript UI, an SDK, an example in another language.
    pub foreign_projects: Vec<String>,
}

/// Files that make their directory another language's project.
const FOREIGN_PROJECT_FILES: [&str; 13] = [
    "package.json",
    "go.mod",
    "pyproject.toml",
    "setup.py",
    "pom.xml",
    "build.gradle",
    "build.gradle.kts",
    "settings.gradle",
    "settings.gradle.kts",
    "composer.json",
    "Gemfile",
    "mix.exs",
    "CMakeLists.txt",
];

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
    } else if is_migration(path, &lower) {
        Some(FileKind::Migration)
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

/// A possible migration: any SQL file (link keeps those that a migrations directory, a refinery
/// name or a migration macro of the code claims), and diesel's `metadata.toml` under a directory
/// whose name says migrations.
fn is_migration(path: &str, file_name: &str) -> bool {
    let under_migrations =
        path.rsplit('/').skip(1).any(|directory| directory.to_ascii_lowercase().contains("migration"));
    file_name.ends_with(".sql") || (under_migrations && file_name == "metadata.toml")
}

/// Walks `root`: what git tracks (or, outside git, what `.gitignore` does not name), less what
/// the configuration leaves out.
pub fn walk(root: &Path, config: &Config) -> (Discovery, Vec<Problem>) {
    let mut problems = Vec::new();
    let excludes = negated_globs(root, config, config.exclude.iter().cloned(), &mut problems);
    let fixture_globs =
        config.fixture_dirs.iter().map(|dir| format!("{}/**", dir.to_string_lossy().trim_end_matches('/')));
    let fixtures = negated_globs(root, config, fixture_globs, &mut problems);
    let tracked = crate::git::tracked_files(root);
    let (walked, walk_problems) = files_under(root, true);
    problems.extend(walk_problems);
    let mut discovery = Discovery::default();
    let mut seen = std::collections::HashSet::new();
    let mut consider = |path: PathBuf, discovery: &mut Discovery| {
        let shown = relative_display(root, &path);
        if !seen.insert(shown.clone()) {
            return;
        }
        let list = if left_out_by(&fixtures, &shown) {
            &mut discovery.in_fixtures
        } else if left_out_by(&excludes, &shown) {
            &mut discovery.excluded
        } else {
            return add(discovery, SourceFile { shown: Symbol::from(shown), path });
        };
        if is_read(&shown) {
            list.push(Symbol::from(shown));
        }
    };
    for path in walked {
        let name = path.file_name().and_then(|name| name.to_str()).unwrap_or_default();
        let foreign = FOREIGN_PROJECT_FILES.contains(&name) || name.ends_with(".csproj") || name.ends_with(".sln");
        if let Some(dir) = path.parent().filter(|dir| foreign && *dir != root) {
            discovery.foreign_projects.push(relative_display(root, dir));
        }
        consider(path, &mut discovery);
    }
    match &tracked {
        // Tracked files an ignore file (or a directory named `target`) hid from the walk.
        Some(tracked) => {
            for relative in tracked {
                let path = root.join(relative);
                let regular = std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_file());
                if regular && !relative.split('/').any(|part| part == ".git") {
                    consider(path, &mut discovery);
                }
            }
        }
        None => {
            let (everything, _) = files_under(root, false);
            for path in everything {
                let shown = relative_display(root, &path);
                let left_out = left_out_by(&excludes, &shown) || left_out_by(&fixtures, &shown);
                if !seen.contains(&shown) && is_read(&shown) && !left_out {
                    discovery.ignored.push(Symbol::from(shown));
                }
            }
        }
    }
    discovery.files.sort_by_key(|a| a.0.shown);
    discovery.manifests.sort_by_key(|a| a.shown);
    discovery.charts.sort_by_key(|a| a.shown);
    discovery.kustomizations.sort_by_key(|a| a.shown);
    for list in [&mut discovery.excluded, &mut discovery.in_fixtures, &mut discovery.ignored] {
        list.sort();
    }
    discovery.foreign_projects.sort();
    discovery.foreign_projects.dedup();
    (discovery, problems)
}

/// The regular files under `root` (links not followed, `.git/` and `target/` skipped), with
/// `.gitignore` honoured or not.
fn files_under(root: &Path, honour_gitignore: bool) -> (Vec<PathBuf>, Vec<Problem>) {
    let walker = WalkBuilder::new(root)
        .standard_filters(false)
        .git_ignore(honour_gitignore)
        .git_exclude(honour_gitignore)
        .git_global(honour_gitignore)
        .parents(honour_gitignore)
        .require_git(false)
        .follow_links(false)
        .filter_entry(|entry| {
            let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
            !(is_dir && matches!(entry.file_name().to_str(), Some("target" | ".git")))
        })
        .build();
    let mut files = Vec::new();
    let mut problems = Vec::new();
    for entry in walker {
        match entry {
            Ok(entry) if entry.file_type().is_some_and(|t| t.is_file()) => files.push(entry.into_path()),
            Ok(_) => {}
            Err(error) => problems
                .push(Problem { location: Location::file(Symbol::default()), message: format!("walk: {error}") }),
        }
    }
    (files, problems)
}

/// `globs` as what leaves files out; a glob that does not parse is an error in the configuration.
fn negated_globs(
    root: &Path,
    config: &Config,
    globs: impl Iterator<Item = String>,
    problems: &mut Vec<Problem>,
) -> ignore::overrides::Override {
    let mut overrides = OverrideBuilder::new(root);
    for glob in globs {
        if let Err(error) = overrides.add(&format!("!{glob}")) {
            problems.push(config_problem(config, format!("invalid exclude glob \"{glob}\": {error}")));
        }
    }
    overrides.build().unwrap_or_else(|error| {
        problems.push(config_problem(config, format!("invalid exclude globs: {error}")));
        ignore::overrides::Override::empty()
    })
}

/// Whether `overrides` (negated globs) leave out the file shown as `shown`, or a directory above it.
fn left_out_by(overrides: &ignore::overrides::Override, shown: &str) -> bool {
    if overrides.is_empty() {
        return false;
    }
    let mut dirs = shown.match_indices('/').map(|(at, _)| &shown[..at]);
    overrides.matched(shown, false).is_ignore() || dirs.any(|dir| overrides.matched(dir, true).is_ignore())
}

/// Whether guardrail reads a file of this path.
pub fn is_read(shown: &str) -> bool {
    shown.rsplit('/').next() == Some("Cargo.toml") || classify(shown).is_some()
}

/// Files `discovery` reads, by their name and kind.
fn add(discovery: &mut Discovery, file: SourceFile) {
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
