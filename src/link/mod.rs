//! Link: the one sequential step that needs the whole picture — packages and targets from
//! cargo, each file's place in them, and crate-absolute paths across re-exports.

mod cargo;
mod manifest;
mod paths;
mod placement;
mod services;

pub use services::image_name;

pub use cargo::load_packages;

use crate::discover::{ServiceConfig, SourceFile};
use crate::facts::{Facts, FileFacts, LinkedFile, Package, Problem};
use paths::{absolute, ReExports};
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

/// A path through a renamed dependency, written with the crate's own name.
fn unrename(path: &str, renames: &[(String, String)]) -> String {
    let first = path.split("::").next().unwrap_or(path);
    match renames.iter().find(|(rename, _)| rename == first) {
        Some((_, name)) => format!("{name}{}", &path[first.len()..]),
        None => path.to_owned(),
    }
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
    let mut infos: Vec<_> = files.iter().map(|f| placement::place(&f.path, &packages, manifests)).collect();
    placement::apply_module_declarations(&files, &mut infos);
    let reexports = ReExports::build(&files, &infos);
    let linked = files
        .into_par_iter()
        .zip(infos)
        .map(|(mut facts, info)| {
            let module = info.module.as_deref();
            let renames = info.package.as_ref().map(|name| renamed_dependencies(&packages, name)).unwrap_or_default();
            let canonical = |path: &str| reexports.follow(absolute(&unrename(path, &renames), module));
            for call in &mut facts.rust.calls {
                let call = Arc::make_mut(call);
                call.resolved = canonical(&call.resolved);
                call.glob_candidates.iter_mut().for_each(|c| *c = canonical(c));
                call.arg_roots.iter_mut().flatten().for_each(|r| *r = canonical(r));
            }
            for call in &mut facts.rust.method_calls {
                let call = Arc::make_mut(call);
                call.receiver_root = call.receiver_root.as_deref().map(canonical);
                call.arg_roots.iter_mut().flatten().for_each(|r| *r = canonical(r));
            }
            for mac in &mut facts.rust.macros {
                let mac = Arc::make_mut(mac);
                mac.resolved = canonical(&mac.resolved);
            }
            for attr in &mut facts.rust.attributes {
                let attr = Arc::make_mut(attr);
                attr.resolved = canonical(&attr.resolved);
            }
            for path in &mut facts.rust.paths {
                let path = Arc::make_mut(path);
                path.resolved = canonical(&path.resolved);
            }
            for import in &mut facts.rust.uses {
                let import = Arc::make_mut(import);
                import.path = canonical(&import.path);
            }
            for f in &mut facts.rust.fns {
                let f = Arc::make_mut(f);
                f.attributes.iter_mut().for_each(|a| *a = canonical(a));
            }
            LinkedFile { info: Arc::new(info), facts }
        })
        .collect();
    (Facts::new(packages, services, linked), problems)
}
