//! Which package, targets and module path each file belongs to.

use crate::discover::SourceFile;
use crate::facts::{FileFacts, FileInfo, ModDecl, Package, Target};
use crate::symbol::Symbol;
use std::collections::HashMap;

const TEST_DIRS: [&str; 3] = ["tests/", "benches/", "examples/"];

/// Places `path` in the workspace. Without packages (cargo unavailable) only the test-only
/// flag is known, from the nearest manifest's directory layout.
pub fn place(path: Symbol, packages: &[Package], manifests: &[SourceFile]) -> FileInfo {
    let mut info = FileInfo { path, ..FileInfo::default() };
    let Some(package) = packages.iter().filter(|p| is_within(&path, &p.dir)).max_by_key(|p| p.dir.len()) else {
        let dir = manifests
            .iter()
            .map(|m| m.shown.rsplit_once('/').map_or("", |(dir, _)| dir))
            .filter(|dir| is_within(&path, dir))
            .max_by_key(|dir| dir.len());
        info.test_only = dir.is_some_and(|dir| in_test_dir(strip_dir(&path, dir)));
        return info;
    };
    info.package = Some(package.name);
    let owners = owning_targets(&path, package);
    info.targets = owners.iter().map(|t| t.name.clone()).collect();
    info.bin_root = owners.iter().any(|t| t.is("bin") && t.src_path == path);
    info.in_lib = owners.iter().any(|t| t.is("lib") || t.is("rlib") || t.is("proc-macro"));
    let kinds_only_tests = !owners.is_empty()
        && owners.iter().all(|t| t.kinds.iter().all(|k| matches!(k.as_str(), "test" | "bench" | "example")));
    info.test_only = in_test_dir(strip_dir(&path, &package.dir)) || kinds_only_tests;
    // A file shared by a lib and a bin (both roots in `src/`) is named after the lib.
    let naming = owners.iter().find(|t| t.is("lib")).or(owners.first());
    info.module = naming.map(|target| module_path(&path, target));
    info
}

/// Applies `mod x;` declarations: a module declared under `#[cfg(test)]` makes its file (and
/// the files of its submodules) test-only, and `#[path]` names the file a module lives in.
pub fn apply_module_declarations(files: &[FileFacts], infos: &mut [FileInfo]) {
    let by_path: HashMap<&str, usize> = files.iter().enumerate().map(|(i, f)| (&*f.path, i)).collect();
    // Declarations reach down one level per round; module trees are shallow.
    for _ in 0..16 {
        let mut changed = false;
        for (parent, file) in files.iter().enumerate() {
            for decl in &file.rust.modules {
                let Some(&child) =
                    child_files(&file.path, &infos[parent], decl).iter().find_map(|p| by_path.get(p.as_str()))
                else {
                    continue;
                };
                if (decl.in_test || infos[parent].test_only) && !infos[child].test_only {
                    infos[child].test_only = true;
                    changed = true;
                }
                if let Some(parent_module) = infos[parent].module.clone() {
                    let inline = if decl.inline.is_empty() { String::new() } else { format!("::{}", decl.inline) };
                    let module = Some(format!("{parent_module}{inline}::{}", decl.name));
                    if decl.path_attr.is_some() && infos[child].module != module {
                        infos[child].module = module;
                        changed = true;
                    }
                }
            }
        }
        if !changed {
            break;
        }
    }
}

/// Packages that only tests use: libraries (no binary) that other packages take as
/// dev-dependencies and never as normal ones, or whose name says test support
/// (`linkerd-app-integration`, `foo-mock`, `test-utils`). Their code is test code.
pub fn test_support(packages: &[Package]) -> Vec<Symbol> {
    let depended = |kind_is_dev: bool, name: &str| {
        packages.iter().flat_map(|p| &p.dependencies).any(|d| d.name == name && (d.kind == "dev") == kind_is_dev)
    };
    packages
        .iter()
        .filter(|p| !p.targets.iter().any(|t| t.is("bin")))
        .filter(|p| crate::facts::names_test_support(&p.name) || (depended(true, &p.name) && !depended(false, &p.name)))
        .map(|p| p.name)
        .collect()
}

/// Marks the files in some target's module tree: the targets' roots, and what their `mod x;`
/// declarations name, transitively.
pub fn mark_compiled(files: &[FileFacts], infos: &mut [FileInfo], packages: &[Package]) {
    let by_path: HashMap<&str, usize> = files.iter().enumerate().map(|(i, f)| (&*f.path, i)).collect();
    let mut pending: Vec<usize> = packages
        .iter()
        .flat_map(|p| &p.targets)
        .filter_map(|target| by_path.get(target.src_path.as_str()).copied())
        .collect();
    while let Some(parent) = pending.pop() {
        if std::mem::replace(&mut infos[parent].compiled, true) {
            continue;
        }
        for decl in &files[parent].rust.modules {
            let children = child_files(&files[parent].path, &infos[parent], decl);
            pending.extend(children.iter().filter_map(|path| by_path.get(path.as_str())).copied());
        }
    }
}

/// Where the file of a declared module can be: `dir/x.rs` or `dir/x/mod.rs`, or `#[path]`.
fn child_files(parent: &str, info: &FileInfo, decl: &ModDecl) -> Vec<String> {
    let (dir, file_name) = parent.rsplit_once('/').unwrap_or(("", parent));
    let join = |a: &str, b: &str| if a.is_empty() { b.to_owned() } else { format!("{a}/{b}") };
    if let Some(path) = &decl.path_attr {
        return vec![crate::paths::join(dir, path)];
    }
    let owns_dir = matches!(file_name, "mod.rs" | "lib.rs" | "main.rs") || info.bin_root;
    let mut base = if owns_dir { dir.to_owned() } else { join(dir, file_name.trim_end_matches(".rs")) };
    for inline in decl.inline.split("::").filter(|s| !s.is_empty()) {
        base = join(&base, inline);
    }
    vec![join(&base, &format!("{}.rs", decl.name)), join(&base, &format!("{}/mod.rs", decl.name))]
}

fn is_within(path: &str, dir: &str) -> bool {
    dir.is_empty() || path.strip_prefix(dir).is_some_and(|rest| rest.starts_with('/'))
}

fn strip_dir<'p>(path: &'p str, dir: &str) -> &'p str {
    if dir.is_empty() {
        path
    } else {
        path.get(dir.len() + 1..).unwrap_or(path)
    }
}

fn in_test_dir(relative: &str) -> bool {
    TEST_DIRS.iter().any(|dir| relative.starts_with(dir))
}

fn root_dir(target: &Target) -> &str {
    target.src_path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

/// The targets whose root file is `path`, else those whose root directory holds it most
/// closely (`src/bin/tool/helper.rs` belongs to `tool`, `src/db.rs` to the lib and main bin).
fn owning_targets<'p>(path: &str, package: &'p Package) -> Vec<&'p Target> {
    let exact: Vec<&Target> = package.targets.iter().filter(|t| *t.src_path == *path).collect();
    if !exact.is_empty() {
        return exact;
    }
    let holding = package.targets.iter().filter(|t| is_within(path, root_dir(t)));
    let deepest = holding.clone().map(|t| root_dir(t).len()).max();
    holding.filter(|t| Some(root_dir(t).len()) == deepest).collect()
}

/// `crate_name::a::b` for `<root dir>/a/b.rs` or `<root dir>/a/b/mod.rs`.
fn module_path(path: &str, target: &Target) -> String {
    let mut module = vec![target.crate_name.clone()];
    if *target.src_path != *path {
        let relative = strip_dir(path, root_dir(target)).trim_end_matches(".rs");
        let relative = relative.strip_suffix("/mod").unwrap_or(relative);
        module.extend(relative.split('/').map(str::to_owned));
    }
    module.join("::")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn package() -> Package {
        let target = |name: &str, kind: &str, src: &str| Target {
            name: name.into(),
            kinds: vec![kind.into()],
            src_path: Symbol::from(src),
            crate_name: name.replace('-', "_"),
        };
        Package {
            name: Symbol::intern("shop-api"),
            version: "0.1.0".into(),
            manifest_path: Symbol::intern("api/Cargo.toml"),
            dir: "api".into(),
            dependencies: Vec::new(),
            layer: None,
            source: Default::default(),
            targets: vec![
                target("shop-api", "lib", "api/src/lib.rs"),
                target("shop-api", "bin", "api/src/main.rs"),
                target("tool", "bin", "api/src/bin/tool/main.rs"),
                target("smoke", "test", "api/tests/smoke.rs"),
            ],
        }
    }

    fn placed(path: &str) -> (Option<String>, Vec<String>, bool) {
        let info = place(Symbol::intern(path), &[package()], &[]);
        (info.module, info.targets, info.test_only)
    }

    #[test]
    fn maps_files_to_targets_and_module_paths() {
        let both = vec!["shop-api".to_owned(), "shop-api".to_owned()];
        assert_eq!(placed("api/src/handlers/mod.rs"), (Some("shop_api::handlers".into()), both.clone(), false));
        assert_eq!(placed("api/src/handlers/orders.rs").0.unwrap(), "shop_api::handlers::orders");
        assert_eq!(placed("api/src/main.rs"), (Some("shop_api".into()), vec!["shop-api".into()], false));
        assert_eq!(placed("api/src/bin/tool/cli.rs"), (Some("tool::cli".into()), vec!["tool".into()], false));
        assert_eq!(placed("api/tests/smoke.rs"), (Some("smoke".into()), vec!["smoke".into()], true));
        assert_eq!(placed("other/src/lib.rs"), (None, vec![], false));
    }
}
