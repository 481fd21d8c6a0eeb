//! Which package, targets and module path each file belongs to.

use crate::discover::SourceFile;
use crate::facts::{FileInfo, Package, Target};
use std::sync::Arc;

const TEST_DIRS: [&str; 3] = ["tests/", "benches/", "examples/"];

/// Places `path` in the workspace. Without packages (cargo unavailable) only the test-only
/// flag is known, from the nearest manifest's directory layout.
pub fn place(path: &Arc<str>, packages: &[Package], manifests: &[SourceFile]) -> FileInfo {
    let mut info = FileInfo { path: path.clone(), ..FileInfo::default() };
    let Some(package) = packages.iter().filter(|p| is_within(path, &p.dir)).max_by_key(|p| p.dir.len()) else {
        let dir = manifests
            .iter()
            .map(|m| m.shown.rsplit_once('/').map_or("", |(dir, _)| dir))
            .filter(|dir| is_within(path, dir))
            .max_by_key(|dir| dir.len());
        info.test_only = dir.is_some_and(|dir| in_test_dir(strip_dir(path, dir)));
        return info;
    };
    info.package = Some(package.name.clone());
    let owners = owning_targets(path, package);
    info.targets = owners.iter().map(|t| t.name.clone()).collect();
    info.bin_root = owners.iter().any(|t| t.is("bin") && *t.src_path == **path);
    info.in_lib = owners.iter().any(|t| t.is("lib") || t.is("rlib") || t.is("proc-macro"));
    let kinds_only_tests = !owners.is_empty()
        && owners.iter().all(|t| t.kinds.iter().all(|k| matches!(k.as_str(), "test" | "bench" | "example")));
    info.test_only = in_test_dir(strip_dir(path, &package.dir)) || kinds_only_tests;
    // A file shared by a lib and a bin (both roots in `src/`) is named after the lib.
    let naming = owners.iter().find(|t| t.is("lib")).or(owners.first());
    info.module = naming.map(|target| module_path(path, target));
    info
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
            src_path: Arc::from(src),
            crate_name: name.replace('-', "_"),
        };
        Package {
            name: Arc::from("shop-api"),
            version: "0.1.0".into(),
            manifest_path: Arc::from("api/Cargo.toml"),
            dir: "api".into(),
            dependencies: Vec::new(),
            targets: vec![
                target("shop-api", "lib", "api/src/lib.rs"),
                target("shop-api", "bin", "api/src/main.rs"),
                target("tool", "bin", "api/src/bin/tool/main.rs"),
                target("smoke", "test", "api/tests/smoke.rs"),
            ],
        }
    }

    fn placed(path: &str) -> (Option<String>, Vec<String>, bool) {
        let info = place(&Arc::from(path), &[package()], &[]);
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
