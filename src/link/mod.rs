//! Link: the one sequential step that needs the whole picture — packages and targets from
//! cargo, each file's place in them, and crate-absolute paths across re-exports.

mod cargo;
mod dependency_lines;
mod manifest_fallback;
mod migrations;
mod paths;
mod placement;
mod services;

pub use cargo::{load_packages, Packages, ENVIRONMENT as CARGO_ENVIRONMENT};
pub use placement::place;
pub use services::{image_name, map_services};

use crate::discover::{ServiceConfig, SourceFile};
use crate::facts::{Facts, FileFacts, LinkedFile, Package};
use crate::problem::Problem;
use crate::symbol::Symbol;
use foldhash::{HashMap, HashMapExt, HashSet};
use paths::{absolute, is_relative, ReExports};
use rayon::prelude::*;
use std::sync::Arc;

/// `rename → crate name` for the dependencies a package renames (`chan = { package = "flume" }`).
fn renamed_dependencies(packages: &[Package], package: &str) -> Vec<(String, String)> {
    let Some(package) = packages.iter().find(|p| &*p.name == package) else { return Vec::new() };
    package
        .dependencies
        .iter()
        .filter_map(|d| Some((d.rename.as_ref()?.replace('-', "_"), d.name.replace('-', "_"))))
        .collect()
}

/// A path through a renamed dependency, written with the crate's own name; `None` when the
/// path does not start with a renamed dependency.
fn unrename(path: &str, renames: &[(String, String)]) -> Option<String> {
    if renames.is_empty() {
        return None;
    }
    let first = path.split(':').next().unwrap_or(path);
    renames.iter().find(|(rename, _)| rename == first).map(|(_, name)| format!("{name}{}", &path[first.len()..]))
}

/// Crates whose paths rules know: a path that reaches one of them through a crate whose source
/// is not in the tree (`common::tokio::sync::mpsc::unbounded_channel`, `common` a submodule not
/// checked out) is read as that crate's path.
const KNOWN_CRATES: [&str; 16] = [
    "std",
    "core",
    "alloc",
    "tokio",
    "futures",
    "futures_channel",
    "crossbeam_channel",
    "crossbeam",
    "flume",
    "async_channel",
    "async_std",
    "kanal",
    "reqwest",
    "axum",
    "hyper",
    "tonic",
];

/// `path` from the known crate it reaches through `first`, a crate not in the tree.
fn through_unknown_crate(path: &str, in_tree: &HashSet<&str>) -> Option<String> {
    let mut segments = path.split("::");
    let first = segments.next()?;
    if in_tree.contains(first) || KNOWN_CRATES.contains(&first) || matches!(first, "crate" | "self" | "super" | "Self")
    {
        return None;
    }
    let at = path.match_indices("::").map(|(i, _)| i + 2).find(|&i| {
        let segment = path[i..].split("::").next().unwrap_or_default();
        KNOWN_CRATES.contains(&segment)
    })?;
    Some(path[at..].to_owned())
}

/// Joins extracted files to the packages that own them, makes their paths absolute, and
/// maps binaries to the deployment that runs them.
pub fn link(
    packages: Vec<Package>,
    manifests: &[SourceFile],
    files: Vec<FileFacts>,
    declared: &[ServiceConfig],
) -> (Facts, Vec<Problem>) {
    let (services, problems) = services::map_services(declared, &packages, &files);
    let mut files = files;
    let mut infos: Vec<_> = files.iter().map(|f| placement::place(f.path, &packages, manifests)).collect();
    migrations::settle(&mut files, &infos, &packages);
    migrations::trace_column_types(&mut files);
    placement::apply_module_declarations(&files, &mut infos);
    placement::mark_compiled(&files, &mut infos, &packages);
    let test_support = placement::test_support(&packages);
    for info in infos.iter_mut().filter(|info| info.package.is_some_and(|p| test_support.contains(&p))) {
        info.test_only = true;
    }
    let reexports = ReExports::build(&files, &infos);
    // Crates whose source is here: their paths are followed through re-exports instead.
    let in_tree: HashSet<&str> = packages
        .iter()
        .filter(|p| p.source != crate::facts::PackageSource::Unknown)
        .flat_map(|p| p.targets.iter().map(|t| t.crate_name.as_str()))
        .collect();
    let linked = files
        .into_par_iter()
        .zip(infos)
        .map(|(mut facts, info)| {
            let module = info.module.as_deref();
            let renames = info.package.as_ref().map(|name| renamed_dependencies(&packages, name)).unwrap_or_default();
            // Most paths need no rewriting: only allocate for those that do.
            let rewrite = |path: &str| {
                let unrenamed = unrename(path, &renames);
                let current = unrenamed.as_deref().unwrap_or(path);
                let absolute = is_relative(current).then(|| absolute(current, module));
                let current = absolute.as_deref().unwrap_or(current);
                let followed = reexports.follow(current);
                let current = followed.as_deref().unwrap_or(current);
                through_unknown_crate(current, &in_tree).or(followed).or(absolute).or(unrenamed).map(Symbol::from)
            };
            // A file names the same paths over and over: each is rewritten once.
            let mut rewritten: HashMap<Symbol, Symbol> = HashMap::new();
            let mut canonical = |path: &mut Symbol| {
                *path = *rewritten.entry(*path).or_insert_with(|| rewrite(path).unwrap_or(*path));
            };
            for call in &mut facts.rust.calls {
                canonical(&mut call.resolved);
                call.glob_candidates.iter_mut().for_each(&mut canonical);
            }
            for call in &mut facts.rust.method_calls {
                call.receiver_root.iter_mut().for_each(&mut canonical);
            }
            for argument in &mut facts.rust.arguments {
                argument.root.iter_mut().for_each(&mut canonical);
            }
            for mac in &mut facts.rust.macros {
                canonical(&mut mac.resolved);
            }
            for attr in &mut facts.rust.attributes {
                canonical(&mut attr.resolved);
            }
            for path in &mut facts.rust.paths {
                canonical(&mut path.resolved);
            }
            for import in &mut facts.rust.uses {
                canonical(&mut import.path);
            }
            for store in &mut facts.rust.call_stores {
                canonical(&mut store.call);
            }
            for f in &mut facts.rust.fns {
                f.attributes.iter_mut().for_each(&mut canonical);
            }
            // Where senders go: the static cells and the fns they are handed to.
            let flows = facts.rust.bindings.iter_mut().map(|b| &mut b.first);
            for uses in flows.chain(facts.rust.param_flows.iter_mut().map(|p| &mut p.uses)) {
                uses.statics.iter_mut().for_each(&mut canonical);
                uses.handoffs.iter_mut().filter(|h| !h.method).for_each(|h| canonical(&mut h.callee));
            }
            Arc::new(LinkedFile { info, facts })
        })
        .collect();
    (Facts::new(packages, services, linked), problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_through_crates_not_in_the_tree_reach_the_known_crate() {
        let in_tree: HashSet<&str> = ["shop_api"].into_iter().collect();
        let through = |path| through_unknown_crate(path, &in_tree);
        assert_eq!(
            through("common::tokio::sync::mpsc::unbounded_channel").as_deref(),
            Some("tokio::sync::mpsc::unbounded_channel")
        );
        assert_eq!(through("common::rt::std::thread::sleep").as_deref(), Some("std::thread::sleep"));
        assert_eq!(through("shop_api::tokio::spawn"), None, "a crate of the tree is followed through its re-exports");
        assert_eq!(through("tokio::sync::mpsc::channel"), None);
        assert_eq!(through("common::queue::make"), None);
    }
}
