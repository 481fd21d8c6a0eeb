//! Packages read from the manifests themselves, for when `cargo metadata` fails on a tree that
//! is fine to lint: a workspace member that is a submodule not checked out, a path dependency
//! outside the checkout, a fuzz crate that inherits from a workspace it is not in, an edition
//! the installed cargo does not know. Cargo's own rules, as far as linting needs them: package
//! names and versions (inherited from `[workspace.package]`), targets (declared, and discovered
//! from `src/main.rs`, `src/lib.rs`, `src/bin/`, `examples/`, `tests/`, `benches/`, `build.rs`),
//! dependencies with renames, features and `workspace = true`.

use crate::discover::config::relative_display;
use crate::facts::{Dependency, Package, PackageSource, Target};
use crate::symbol::Symbol;
use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use toml::{Table, Value};

/// One manifest as read: where it is (shown, relative to the root) and what it says.
pub struct Manifest {
    pub shown: Symbol,
    pub text: String,
    pub table: Table,
}

impl Manifest {
    fn dir(&self) -> &str {
        self.shown.rsplit_once('/').map_or("", |(dir, _)| dir)
    }
}

/// The packages of `manifests` whose manifest is in `wanted` (shown paths), read as cargo
/// would: `rust_files` are the Rust files of the tree, for target discovery.
pub fn packages(manifests: &[Manifest], wanted: &dyn Fn(Symbol) -> bool, rust_files: &HashSet<&str>) -> Vec<Package> {
    let mut packages: Vec<Package> = Vec::new();
    for manifest in manifests.iter().filter(|m| wanted(m.shown)) {
        let Some(package) = manifest.table.get("package").and_then(Value::as_table) else { continue };
        let Some(name) = package.get("name").and_then(Value::as_str) else { continue };
        let workspace = workspace_of(manifest, manifests);
        let inherited = |key: &str| {
            workspace.and_then(|w| w.get("package")).and_then(|p| p.get(key)).and_then(Value::as_str).map(str::to_owned)
        };
        let version = match package.get("version") {
            Some(Value::String(version)) => version.clone(),
            Some(Value::Table(t)) if t.get("workspace").and_then(Value::as_bool) == Some(true) => {
                inherited("version").unwrap_or_else(|| "0.0.0".to_owned())
            }
            _ => "0.0.0".to_owned(),
        };
        let dir = manifest.dir().to_owned();
        packages.push(Package {
            name: Symbol::intern(name),
            version,
            manifest_path: manifest.shown,
            targets: targets(name, package, &manifest.table, &dir, rust_files),
            dependencies: dependencies(&manifest.table, workspace, &dir),
            layer: package
                .get("metadata")
                .and_then(|m| m.get("guardrail"))
                .and_then(|g| g.get("layer"))
                .and_then(Value::as_str)
                .map(str::to_owned),
            dir,
            source: PackageSource::Manifest,
        });
    }
    packages.extend(unknown_path_dependencies(&packages, manifests));
    packages
}

/// The Rust files `cargo metadata` looks at: those target discovery finds by position under a
/// manifest's directory, and those a manifest names (`[lib] path`, `[[bin]] path`, `build`).
pub fn target_files<'f>(manifests: &[Manifest], rust_files: &HashSet<&'f str>) -> Vec<&'f str> {
    let dirs: HashSet<&str> = manifests.iter().map(Manifest::dir).collect();
    let mut named: HashSet<String> = HashSet::new();
    for manifest in manifests {
        let path = |table: &Table| table.get("path").and_then(Value::as_str).and_then(|p| join(manifest.dir(), p));
        named.extend(manifest.table.get("lib").and_then(Value::as_table).and_then(path));
        for section in ["bin", "example", "test", "bench"] {
            let declared = manifest.table.get(section).and_then(Value::as_array).into_iter().flatten();
            named.extend(declared.filter_map(Value::as_table).filter_map(path));
        }
        let build = manifest.table.get("package").and_then(|p| p.get("build")).and_then(Value::as_str);
        named.extend(build.and_then(|b| join(manifest.dir(), b)));
    }
    let discovered = |file: &str| {
        let mut dir = file;
        while let Some((parent, _)) = dir.rsplit_once('/') {
            dir = parent;
            if dirs.contains(dir) && at_discovered_position(&file[dir.len() + 1..]) {
                return true;
            }
        }
        dirs.contains("") && at_discovered_position(file)
    };
    let mut files: Vec<&str> = rust_files.iter().copied().filter(|f| named.contains(*f) || discovered(f)).collect();
    files.sort_unstable();
    files
}

/// Whether cargo's target discovery looks at `relative` (from a package's directory).
fn at_discovered_position(relative: &str) -> bool {
    let parts: Vec<&str> = relative.split('/').collect();
    matches!(
        parts.as_slice(),
        ["build.rs"]
            | ["src", "main.rs" | "lib.rs"]
            | ["src", "bin", _]
            | ["examples" | "tests" | "benches", _]
            | ["src", "bin", _, "main.rs"]
            | ["examples" | "tests" | "benches", _, "main.rs"]
    )
}

/// The `[workspace]` table that governs `manifest`: its own, or that of the nearest manifest
/// above it that has one.
fn workspace_of<'m>(manifest: &'m Manifest, manifests: &'m [Manifest]) -> Option<&'m Table> {
    if let Some(own) = manifest.table.get("workspace").and_then(Value::as_table) {
        return Some(own);
    }
    let dir = manifest.dir();
    manifests
        .iter()
        .filter(|m| m.table.contains_key("workspace"))
        .filter(|m| m.dir().is_empty() || dir.starts_with(&format!("{}/", m.dir())))
        .max_by_key(|m| m.dir().len())
        .and_then(|m| m.table.get("workspace").and_then(Value::as_table))
}

/// `dir/relative` normalised, as reports show paths; `None` when it leaves the root.
fn join(dir: &str, relative: &str) -> Option<String> {
    let joined = crate::paths::join(dir, relative);
    (!joined.starts_with("..")).then_some(joined)
}

fn targets(name: &str, package: &Table, manifest: &Table, dir: &str, rust_files: &HashSet<&str>) -> Vec<Target> {
    let exists = |path: &str| rust_files.contains(path);
    let at = |relative: &str| join(dir, relative).unwrap_or_default();
    let auto = |key: &str| package.get(key).and_then(Value::as_bool) != Some(false);
    let mut targets: Vec<Target> = Vec::new();
    let mut add = |name: &str, kind: &str, path: String| {
        if !path.is_empty() && !targets.iter().any(|t| t.name == name && t.is(kind)) {
            targets.push(Target {
                name: name.to_owned(),
                kinds: vec![kind.to_owned()],
                src_path: Symbol::intern(&path),
                crate_name: name.replace('-', "_"),
            });
        }
    };
    // Declared targets first: they win over discovered ones of the same name.
    let lib = manifest.get("lib").and_then(Value::as_table);
    let lib_path = lib
        .and_then(|l| l.get("path"))
        .and_then(Value::as_str)
        .map(&at)
        .or_else(|| Some(at("src/lib.rs")).filter(|p| exists(p)));
    if let Some(path) = lib_path {
        let lib_name = lib.and_then(|l| l.get("name")).and_then(Value::as_str).unwrap_or(name);
        let proc_macro =
            lib.and_then(|l| l.get("proc-macro").or(l.get("proc_macro"))).and_then(Value::as_bool) == Some(true);
        add(lib_name, if proc_macro { "proc-macro" } else { "lib" }, path);
    }
    for (section, kind, default_dir) in [
        ("bin", "bin", "src/bin"),
        ("example", "example", "examples"),
        ("test", "test", "tests"),
        ("bench", "bench", "benches"),
    ] {
        for declared in
            manifest.get(section).and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_table)
        {
            let Some(target_name) = declared.get("name").and_then(Value::as_str) else { continue };
            let path = match declared.get("path").and_then(Value::as_str) {
                Some(path) => at(path),
                None if kind == "bin" && target_name == name && exists(&at("src/main.rs")) => at("src/main.rs"),
                None => {
                    let single = at(&format!("{default_dir}/{target_name}.rs"));
                    if exists(&single) {
                        single
                    } else {
                        at(&format!("{default_dir}/{target_name}/main.rs"))
                    }
                }
            };
            add(target_name, kind, path);
        }
    }
    if auto("autobins") && exists(&at("src/main.rs")) {
        add(name, "bin", at("src/main.rs"));
    }
    for (key, kind, discovery_dir) in [
        ("autobins", "bin", "src/bin"),
        ("autoexamples", "example", "examples"),
        ("autotests", "test", "tests"),
        ("autobenches", "bench", "benches"),
    ] {
        if !auto(key) {
            continue;
        }
        let prefix = at(discovery_dir) + "/";
        let mut found: BTreeMap<String, String> = BTreeMap::new();
        for file in rust_files.iter().filter_map(|f| f.strip_prefix(prefix.as_str())) {
            match file.split('/').collect::<Vec<_>>().as_slice() {
                [single] => {
                    found.entry(single.trim_end_matches(".rs").to_owned()).or_insert_with(|| format!("{prefix}{file}"))
                }
                [target_dir, "main.rs"] => {
                    found.entry((*target_dir).to_owned()).or_insert_with(|| format!("{prefix}{file}"))
                }
                _ => continue,
            };
        }
        for (target_name, path) in found {
            add(&target_name, kind, path);
        }
    }
    let build = match package.get("build") {
        Some(Value::String(path)) => Some(at(path)),
        Some(Value::Boolean(false)) => None,
        _ => Some(at("build.rs")).filter(|p| exists(p)),
    };
    if let Some(path) = build {
        add("build-script-build", "custom-build", path);
    }
    targets
}

/// Dependencies of every section, `[target.*]` ones included; `workspace = true` takes the
/// workspace's declaration, with the member's features added.
fn dependencies(manifest: &Table, workspace: Option<&Table>, dir: &str) -> Vec<Dependency> {
    let shared = workspace.and_then(|w| w.get("dependencies")).and_then(Value::as_table);
    let targets = manifest.get("target").and_then(Value::as_table).into_iter().flat_map(|t| t.values());
    let tables = std::iter::once(manifest).chain(targets.filter_map(Value::as_table));
    let kinds = [
        ("dependencies", "normal"),
        ("dev-dependencies", "dev"),
        ("dev_dependencies", "dev"),
        ("build-dependencies", "build"),
        ("build_dependencies", "build"),
    ];
    let sections: Vec<(&str, &Table)> = tables
        .flat_map(|table| kinds.iter().filter_map(move |(key, kind)| Some((*kind, table.get(*key)?.as_table()?))))
        .collect();
    let mut found = Vec::new();
    for (kind, section) in sections {
        for (key, spec) in section {
            let inherits = spec.get("workspace").and_then(Value::as_bool) == Some(true);
            // A path in the workspace's declaration is relative to the workspace's directory,
            // which this reader does not track: such a dependency keeps its name only.
            let base = if inherits { shared.and_then(|s| s.get(key)) } else { None };
            let field = |name: &str| spec.get(name).or_else(|| base.and_then(|b| b.get(name)));
            let package = field("package").and_then(Value::as_str);
            let mut features: Vec<String> = [spec.get("features"), base.and_then(|b| b.get("features"))]
                .into_iter()
                .flatten()
                .filter_map(Value::as_array)
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect();
            features.dedup();
            let path =
                if inherits { None } else { spec.get("path").and_then(Value::as_str).and_then(|p| join(dir, p)) };
            found.push(Dependency {
                name: package.unwrap_or(key).to_owned(),
                rename: package.map(|_| key.clone()),
                kind: kind.to_owned(),
                features,
                uses_default_features: field("default-features").or(field("default_features")).and_then(Value::as_bool)
                    != Some(false),
                optional: field("optional").and_then(Value::as_bool) == Some(true),
                path,
                location: None,
            });
        }
    }
    found
}

/// A path dependency whose manifest is not in the tree (a submodule not checked out): a
/// package guardrail knows by name only, so that what depends on it still says so.
fn unknown_path_dependencies(packages: &[Package], manifests: &[Manifest]) -> Vec<Package> {
    let mut unknown: Vec<Package> = Vec::new();
    for dependency in packages.iter().flat_map(|p| &p.dependencies) {
        let Some(dir) = &dependency.path else { continue };
        let manifest_path = Symbol::intern(&relative_display(Path::new(""), &Path::new(dir).join("Cargo.toml")));
        let known = manifests.iter().any(|m| m.shown == manifest_path)
            || packages.iter().chain(&unknown).any(|p| p.manifest_path == manifest_path);
        if !known {
            unknown.push(Package {
                name: Symbol::intern(&dependency.name),
                version: "0.0.0".to_owned(),
                manifest_path,
                dir: dir.clone(),
                dependencies: Vec::new(),
                targets: Vec::new(),
                layer: None,
                source: PackageSource::Unknown,
            });
        }
    }
    unknown
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(shown: &str, text: &str) -> Manifest {
        Manifest { shown: Symbol::intern(shown), text: text.to_owned(), table: toml::from_str(text).unwrap() }
    }

    #[test]
    fn reads_targets_dependencies_and_workspace_inheritance_as_cargo_does() {
        let manifests = [
            manifest(
                "Cargo.toml",
                "[workspace]\nmembers = [\"crates/*\"]\n[workspace.package]\nversion = \"1.2.3\"\n[workspace.dependencies]\ntokio = { version = \"1\", features = [\"rt\"] }\n",
            ),
            manifest(
                "crates/api/Cargo.toml",
                "[package]\nname = \"api\"\nversion.workspace = true\n[dependencies]\ntokio = { workspace = true, features = [\"signal\"] }\nchan = { package = \"flume\", version = \"0.11\" }\ndomain = { path = \"../domain\" }\nshared = { path = \"../../vendor/shared\" }\n[target.'cfg(unix)'.dev-dependencies]\nnix = \"0.29\"\n[[bin]]\nname = \"admin\"\npath = \"src/tools/admin.rs\"\n",
            ),
            manifest("crates/domain/Cargo.toml", "[package]\nname = \"domain\"\nversion = \"0.1.0\"\nautotests = false\n"),
        ];
        let files: HashSet<&str> = [
            "crates/api/src/main.rs",
            "crates/api/src/lib.rs",
            "crates/api/src/bin/worker.rs",
            "crates/api/src/bin/cron/main.rs",
            "crates/api/src/bin/cron/jobs.rs",
            "crates/api/src/tools/admin.rs",
            "crates/api/examples/demo.rs",
            "crates/api/build.rs",
            "crates/domain/src/lib.rs",
            "crates/domain/tests/it.rs",
        ]
        .into_iter()
        .collect();
        let packages = packages(&manifests, &|_| true, &files);
        let names: Vec<&str> = packages.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["api", "domain", "shared"]);
        let api = &packages[0];
        assert_eq!(api.version, "1.2.3");
        let targets: Vec<(&str, &str, &str)> =
            api.targets.iter().map(|t| (t.name.as_str(), t.kinds[0].as_str(), t.src_path.as_str())).collect();
        assert_eq!(
            targets,
            [
                ("api", "lib", "crates/api/src/lib.rs"),
                ("admin", "bin", "crates/api/src/tools/admin.rs"),
                ("api", "bin", "crates/api/src/main.rs"),
                ("cron", "bin", "crates/api/src/bin/cron/main.rs"),
                ("worker", "bin", "crates/api/src/bin/worker.rs"),
                ("demo", "example", "crates/api/examples/demo.rs"),
                ("build-script-build", "custom-build", "crates/api/build.rs"),
            ]
        );
        let deps: Vec<String> = api
            .dependencies
            .iter()
            .map(|d| format!("{} {:?} {} {:?} {:?}", d.name, d.rename, d.kind, d.features, d.path))
            .collect();
        assert_eq!(
            deps,
            [
                "flume Some(\"chan\") normal [] None",
                "domain None normal [] Some(\"crates/domain\")",
                "shared None normal [] Some(\"vendor/shared\")",
                "tokio None normal [\"signal\", \"rt\"] None",
                "nix None dev [] None",
            ]
        );
        assert!(packages[1].targets.iter().all(|t| !t.is("test")), "autotests = false");
        assert_eq!((packages[2].source, packages[2].targets.len()), (PackageSource::Unknown, 0));
    }
}
