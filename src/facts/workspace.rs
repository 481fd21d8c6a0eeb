//! Packages, targets and per-file placement, as link learns them from `cargo metadata`.

use crate::location::Location;
use crate::symbol::Symbol;
use serde::Serialize;

/// A package of the workspace.
#[derive(Debug, Clone, Serialize)]
pub struct Package {
    pub name: Symbol,
    pub version: String,
    /// `Cargo.toml`, relative to the root.
    pub manifest_path: Symbol,
    /// The directory of the manifest, relative to the root; empty for the root itself.
    pub dir: String,
    pub dependencies: Vec<Dependency>,
    pub targets: Vec<Target>,
    /// The architecture layer `[package.metadata.guardrail] layer = ".."` names.
    pub layer: Option<String>,
    /// How guardrail learned of the package.
    pub source: PackageSource,
}

impl Package {
    /// The package and the workspace packages it reaches through normal dependencies,
    /// breadth-first.
    pub fn reach(&self, packages: &[Package]) -> Vec<Symbol> {
        let mut seen = vec![self.name];
        let mut next = 0;
        while let Some(name) = seen.get(next).cloned() {
            next += 1;
            let Some(package) = packages.iter().find(|p| p.name == name) else { continue };
            for dep in package.dependencies.iter().filter(|d| d.kind == "normal") {
                if let Some(found) = packages.iter().find(|p| *p.name == dep.name) {
                    if !seen.contains(&found.name) {
                        seen.push(found.name);
                    }
                }
            }
        }
        seen
    }
}

/// Where a package's description came from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PackageSource {
    /// `cargo metadata`.
    #[default]
    CargoMetadata,
    /// Its manifest, read by guardrail because `cargo metadata` failed (a note says why).
    Manifest,
    /// A path dependency whose manifest is not in the tree (a submodule not checked out):
    /// known by name only.
    Unknown,
}

/// A dependency as declared in a manifest.
#[derive(Debug, Clone, Serialize)]
pub struct Dependency {
    /// The package name.
    pub name: String,
    /// The name code uses, when the manifest renames it (`package = ".."`).
    pub rename: Option<String>,
    /// `normal`, `dev` or `build`.
    pub kind: String,
    pub features: Vec<String>,
    pub uses_default_features: bool,
    pub optional: bool,
    /// For path dependencies: the directory, relative to the root.
    pub path: Option<String>,
    /// Where the manifest declares it.
    pub location: Option<Location>,
}

/// A compilation target of a package.
#[derive(Debug, Clone, Serialize)]
pub struct Target {
    pub name: String,
    /// `lib`, `bin`, `test`, `bench`, `example`, `proc-macro`, ...
    pub kinds: Vec<String>,
    pub src_path: Symbol,
    /// The name code uses for it: `-` becomes `_`.
    pub crate_name: String,
}

impl Target {
    pub fn is(&self, kind: &str) -> bool {
        self.kinds.iter().any(|k| k == kind)
    }
}

/// Where a file sits in the workspace.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FileInfo {
    pub path: Symbol,
    pub package: Option<Symbol>,
    /// Crate-qualified module path: `shop_api::handlers::orders`; `None` when unknown.
    pub module: Option<String>,
    /// Names of the targets that compile this file.
    pub targets: Vec<String>,
    /// Only compiled for tests, benches or examples.
    pub test_only: bool,
    /// The root file of a binary target: its top-level `fn main` is the program's entry.
    pub bin_root: bool,
    /// Compiled into the package's library, so every binary that depends on it includes it.
    pub in_lib: bool,
    /// In the module tree of some target: its root, or a file a `mod` declaration there (or
    /// further down) names. Rust files outside every tree are test data, templates, fixtures.
    pub compiled: bool,
}

/// A deployable service: a binary joined to the Dockerfile that builds it and the compose
/// services and Kubernetes workloads that run it, with the evidence for each link.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Service {
    pub name: String,
    pub package: Option<Symbol>,
    pub bin: Option<String>,
    pub dockerfiles: Vec<Symbol>,
    /// (compose file, service name)
    pub compose_services: Vec<(Symbol, String)>,
    /// (manifest file, kind, metadata.name)
    pub workloads: Vec<(Symbol, String, String)>,
    /// Why each link was made, one sentence each.
    pub evidence: Vec<String>,
    /// Declared with `[[service]]` in guardrail.toml.
    pub declared: bool,
    /// One of its Dockerfiles runs it (the final stage's CMD or ENTRYPOINT): an image of the
    /// service, rather than one that only packages the binary beside another.
    pub image_runs_it: bool,
}

impl Service {
    /// Whether it runs as a service: compose or a long-running Kubernetes workload runs it, or
    /// an image whose command it is (not an image that only packages it, like a tools image,
    /// nor only a Job).
    pub fn runs_long(&self) -> bool {
        const RUN_TO_COMPLETION: [&str; 2] = ["Job", "CronJob"];
        let workload = self.workloads.iter().any(|(_, kind, _)| !RUN_TO_COMPLETION.contains(&kind.as_str()));
        self.declared || self.image_runs_it || !self.compose_services.is_empty() || workload
    }

    /// Whether something outside development and test files runs it (or guardrail.toml says it is
    /// a service): a Pod in `scripts/ci/` or a `docker-compose.test.yml` makes no service.
    pub fn in_production(&self, facts: &super::Facts) -> bool {
        let files = self.dockerfiles.iter().chain(self.compose_services.iter().map(|(file, _)| file));
        let mut files = files.chain(self.workloads.iter().map(|(file, ..)| file));
        self.declared || files.any(|file| !facts.for_development(*file))
    }
}

/// Which service each deployment fact belongs to, answered in constant time (a compose file of
/// 50,000 services is asked once per service). The first service that claims a fact has it.
#[derive(Debug, Default)]
pub struct ServiceLookup {
    compose: std::collections::HashMap<(Symbol, String), usize>,
    workloads: std::collections::HashMap<(Symbol, String, String), usize>,
    dockerfiles: std::collections::HashMap<Symbol, usize>,
}

impl ServiceLookup {
    pub fn new(services: &[Service]) -> Self {
        let mut lookup = ServiceLookup::default();
        for (index, service) in services.iter().enumerate() {
            for key in &service.compose_services {
                lookup.compose.entry(key.clone()).or_insert(index);
            }
            for key in &service.workloads {
                lookup.workloads.entry(key.clone()).or_insert(index);
            }
            for path in &service.dockerfiles {
                lookup.dockerfiles.entry(*path).or_insert(index);
            }
        }
        lookup
    }

    /// The service a compose service (its file and name) runs.
    pub fn of_compose(&self, file: Symbol, name: &str) -> Option<usize> {
        self.compose.get(&(file, name.to_owned())).copied()
    }

    /// The service a Kubernetes object (its file, kind and name) runs.
    pub fn of_workload(&self, file: Symbol, kind: &str, name: &str) -> Option<usize> {
        self.workloads.get(&(file, kind.to_owned(), name.to_owned())).copied()
    }

    pub fn of_dockerfile(&self, file: Symbol) -> Option<usize> {
        self.dockerfiles.get(&file).copied()
    }
}

/// Whether a name says test support: a word (split at `-` and `_`) such as `test`, `mock`,
/// `fixture`, `integration` or `bench` — in a crate name or a cargo feature.
pub fn names_test_support(name: &str) -> bool {
    const WORDS: [&str; 12] = [
        "test",
        "tests",
        "testing",
        "testsuite",
        "mock",
        "mocks",
        "fixture",
        "fixtures",
        "integration",
        "bench",
        "benches",
        "testutils",
    ];
    name.split(['-', '_']).any(|word| WORDS.contains(&word.to_ascii_lowercase().as_str()))
}
