//! Packages and targets from `cargo metadata --no-deps --offline`: no network, no lockfile.

use super::manifest;
use crate::discover::config::relative_display;
use crate::discover::SourceFile;
use crate::facts::{Dependency, Location, Package, Problem, Symbol, Target};
use cargo_metadata::{DependencyKind, MetadataCommand};
use std::path::Path;

/// Loads the packages of every workspace whose manifest lies under `root`. A workspace is
/// asked once: manifests already covered by an earlier answer are skipped.
pub fn load_packages(root: &Path, manifests: &[SourceFile]) -> (Vec<Package>, Vec<Problem>) {
    let mut packages: Vec<Package> = Vec::new();
    let mut problems = Vec::new();
    let mut by_depth: Vec<&SourceFile> = manifests.iter().collect();
    by_depth.sort_by_key(|m| (m.shown.matches('/').count(), m.shown));
    for manifest in by_depth {
        if packages.iter().any(|p| p.manifest_path == manifest.shown) {
            continue;
        }
        match metadata(root, &manifest.path) {
            Ok(found) => {
                for package in found {
                    if !packages.iter().any(|p| p.manifest_path == package.manifest_path) {
                        packages.push(package);
                    }
                }
            }
            Err(message) => problems.push(Problem { location: Location::file(manifest.shown), message }),
        }
    }
    packages.sort_by_key(|a| a.manifest_path);
    (packages, problems)
}

fn kind_name(kind: DependencyKind) -> &'static str {
    match kind {
        DependencyKind::Development => "dev",
        DependencyKind::Build => "build",
        _ => "normal",
    }
}

fn metadata(root: &Path, manifest: &Path) -> Result<Vec<Package>, String> {
    let metadata = MetadataCommand::new()
        .manifest_path(manifest)
        .no_deps()
        .other_options(vec!["--offline".to_owned()])
        .exec()
        .map_err(|error| match error {
            cargo_metadata::Error::CargoMetadata { stderr } => {
                let reason = stderr.lines().filter(|l| !l.trim().is_empty()).collect::<Vec<_>>().join("\n");
                format!("cargo metadata failed, so packages and targets are unknown here: {reason}")
            }
            cargo_metadata::Error::Io(io) if io.kind() == std::io::ErrorKind::NotFound => {
                "cargo was not found on PATH, so packages and targets are unknown; policies that need them stay silent"
                    .to_owned()
            }
            other => format!("cargo metadata failed, so packages and targets are unknown here: {other}"),
        })?;
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let inside = |path: &Path| path.canonicalize().ok().filter(|p| p.starts_with(&root));
    let shown = |path: &Path| inside(path).map(|p| relative_display(&root, &p));
    Ok(metadata
        .packages
        .into_iter()
        .filter(|p| metadata.workspace_members.contains(&p.id))
        .filter_map(|package| {
            let manifest_path = shown(package.manifest_path.as_std_path())?;
            let dir = manifest_path.rsplit_once('/').map_or(String::new(), |(dir, _)| dir.to_owned());
            let manifest_text = std::fs::read_to_string(package.manifest_path.as_std_path()).unwrap_or_default();
            let declared = manifest::dependency_locations(Symbol::intern(manifest_path.as_str()), &manifest_text);
            let dependencies = package
                .dependencies
                .iter()
                .map(|dep| Dependency {
                    name: dep.name.to_string(),
                    rename: dep.rename.clone(),
                    kind: kind_name(dep.kind).to_owned(),
                    features: dep.features.clone(),
                    uses_default_features: dep.uses_default_features,
                    optional: dep.optional,
                    path: dep.path.as_ref().and_then(|p| shown(p.as_std_path())),
                    location: manifest::find(
                        &declared,
                        kind_name(dep.kind),
                        dep.rename.as_deref().unwrap_or(&dep.name),
                    ),
                })
                .collect();
            let targets = package
                .targets
                .iter()
                .filter_map(|target| {
                    Some(Target {
                        name: target.name.clone(),
                        kinds: target.kind.iter().map(|k| k.to_string()).collect(),
                        src_path: Symbol::from(shown(target.src_path.as_std_path())?),
                        crate_name: target.name.replace('-', "_"),
                    })
                })
                .collect();
            let layer = package.metadata.pointer("/guardrail/layer").and_then(|l| l.as_str()).map(str::to_owned);
            Some(Package {
                layer,
                name: Symbol::intern(package.name.as_str()),
                version: package.version.to_string(),
                manifest_path: Symbol::from(manifest_path),
                dir,
                dependencies,
                targets,
            })
        })
        .collect())
}
