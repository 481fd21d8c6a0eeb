//! Indexes over the linked facts: by last path segment, by resolved path (exact and prefix).
//! Policies query these natively; a script never scans every call of a workspace.

use super::{
    AttributeFact, CallFact, ComposeService, Dockerfile, Fact, FileInfo, FnFact, K8sObject, LinkedFile, MacroFact,
    MethodCallFact, Package, RustFacts, Symbol, UseFact,
};
use foldhash::{HashMap, HashMapExt};
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;
use std::sync::Arc;

/// Facts of one kind, with their keys.
#[derive(Debug)]
pub struct Table<T> {
    pub all: Vec<Fact<T>>,
    by_name: HashMap<Symbol, Vec<u32>>,
    /// (name, package) → positions: a query for one binary reads the packages it reaches,
    /// not every fact of that name in the workspace.
    by_package_name: HashMap<(Symbol, Symbol), Vec<u32>>,
    /// Resolved path → positions in `all`; ordered, for prefix lookups.
    by_path: BTreeMap<&'static str, Vec<u32>>,
    /// Possible path through a glob import → positions, for exact lookups only.
    by_candidate: HashMap<Symbol, Vec<u32>>,
}

impl<T> Default for Table<T> {
    fn default() -> Self {
        Table {
            all: Vec::new(),
            by_name: HashMap::new(),
            by_package_name: HashMap::new(),
            by_path: BTreeMap::new(),
            by_candidate: HashMap::new(),
        }
    }
}

/// Groups positions by key, in source order within each group.
fn group<K: std::hash::Hash + Eq>(keyed: impl Iterator<Item = (K, u32)>) -> HashMap<K, Vec<u32>> {
    let mut groups: HashMap<K, Vec<u32>> = HashMap::new();
    for (key, position) in keyed {
        groups.entry(key).or_default().push(position);
    }
    groups
}

impl<T> Table<T> {
    fn build(
        files: &[LinkedFile],
        items: impl Fn(&RustFacts) -> &Vec<Arc<T>>,
        name: impl Fn(&T) -> Symbol + Sync,
        path: impl Fn(&T) -> Option<Symbol> + Sync,
        candidates: impl Fn(&T) -> &[Symbol] + Sync,
    ) -> Self
    where
        T: Send + Sync,
    {
        let items: Vec<(&Arc<T>, &Arc<FileInfo>)> =
            files.iter().flat_map(|f| items(&f.facts.rust).iter().map(move |item| (item, &f.info))).collect();
        let positioned = || items.iter().zip(0u32..).map(|((item, _), position)| (&***item, position));
        let package_of = |at: u32| items[at as usize].1.package;
        // The groupings are independent: the largest tables are the critical path of link.
        let ((by_name, by_package_name), ((by_path, by_candidate), all)) = rayon::join(
            || {
                rayon::join(
                    || group(positioned().map(|(item, at)| (name(item), at))),
                    || group(positioned().filter_map(|(item, at)| Some(((name(item), package_of(at)?), at)))),
                )
            },
            || {
                rayon::join(
                    || {
                        rayon::join(
                            // Grouped by id, ordered by text once per distinct path.
                            || {
                                let by_symbol = group(positioned().filter_map(|(item, at)| Some((path(item)?, at))));
                                by_symbol.into_iter().map(|(path, at)| (path.as_str(), at)).collect()
                            },
                            || {
                                group(
                                    positioned().flat_map(|(item, at)| candidates(item).iter().map(move |&c| (c, at))),
                                )
                            },
                        )
                    },
                    || {
                        items
                            .iter()
                            .map(|(item, file)| Fact { item: Arc::clone(item), file: Arc::clone(file) })
                            .collect()
                    },
                )
            },
        );
        Table { all, by_name, by_package_name, by_path, by_candidate }
    }

    /// Facts whose last path segment (or name) is `name`.
    pub fn named<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a Fact<T>> + 'a {
        let positions = Symbol::lookup(name).and_then(|name| self.by_name.get(&name));
        positions.into_iter().flatten().map(|&i| &self.all[i as usize])
    }

    /// Facts named `name` in the files `binary` includes, in source order.
    pub fn named_in<'a>(&'a self, name: &str, binary: &'a Binary) -> impl Iterator<Item = &'a Fact<T>> + 'a {
        let mut positions: Vec<u32> = Symbol::lookup(name)
            .map(|name| {
                let groups = binary.reach.iter().filter_map(|package| self.by_package_name.get(&(name, *package)));
                groups.flatten().copied().filter(|&i| binary.includes(&self.all[i as usize].file)).collect()
            })
            .unwrap_or_default();
        positions.sort_unstable();
        positions.into_iter().map(|i| &self.all[i as usize])
    }

    /// Facts whose resolved path is exactly `path`, or may be through a glob import.
    pub fn resolved<'a>(&'a self, path: &'a str) -> impl Iterator<Item = &'a Fact<T>> + 'a {
        let exact = self.by_path.get(path).into_iter().flatten();
        let candidates = Symbol::lookup(path).and_then(|path| self.by_candidate.get(&path));
        let positions: BTreeSet<u32> = exact.chain(candidates.into_iter().flatten()).copied().collect();
        positions.into_iter().map(|i| &self.all[i as usize])
    }

    /// Facts whose resolved path starts with `prefix`, each once, in source order.
    pub fn with_prefix<'a>(&'a self, prefix: &str) -> impl Iterator<Item = &'a Fact<T>> + 'a {
        let run = self.by_path.range::<str, _>((Bound::Included(prefix), Bound::Unbounded));
        let positions: BTreeSet<u32> =
            run.take_while(|(path, _)| path.starts_with(prefix)).flat_map(|(_, at)| at.iter().copied()).collect();
        positions.into_iter().map(|i| &self.all[i as usize])
    }
}

impl Binary {
    /// Whether the binary's build includes `file`: its own files, the library of its package,
    /// and the libraries of the workspace packages it depends on.
    pub fn includes(&self, file: &FileInfo) -> bool {
        let Some(package) = &file.package else { return false };
        if !self.reach.contains(package) {
            return false;
        }
        file.in_lib || (*package == self.package && file.targets.contains(&self.name))
    }
}

/// A binary target with its `main` and the workspace packages its code can come from.
#[derive(Debug, Clone)]
pub struct Binary {
    pub name: String,
    pub package: Symbol,
    pub src_path: Symbol,
    pub main: Option<Fact<FnFact>>,
    /// The package itself and every workspace package it reaches through normal dependencies.
    pub reach: Vec<Symbol>,
}

#[derive(Debug, Default)]
pub struct Index {
    pub k8s_objects: Vec<Fact<K8sObject>>,
    pub dockerfiles: Vec<Fact<Dockerfile>>,
    pub compose_services: Vec<Fact<ComposeService>>,
    pub calls: Table<CallFact>,
    pub method_calls: Table<MethodCallFact>,
    pub macros: Table<MacroFact>,
    pub fns: Table<FnFact>,
    pub attributes: Table<AttributeFact>,
    pub uses: Table<UseFact>,
    pub binaries: Vec<Binary>,
}

impl Index {
    pub fn build(packages: &[Package], files: &[LinkedFile]) -> Self {
        let ((calls, method_calls), ((macros, attributes), (uses, fns))) = rayon::join(
            || {
                rayon::join(
                    || Table::build(files, |r| &r.calls, |c| c.name, |c| Some(c.resolved), |c| &c.glob_candidates),
                    || Table::build(files, |r| &r.method_calls, |m| m.name, |m| m.receiver_root, no_candidates),
                )
            },
            || {
                rayon::join(
                    || {
                        rayon::join(
                            || Table::build(files, |r| &r.macros, |m| m.name, |m| Some(m.resolved), no_candidates),
                            || Table::build(files, |r| &r.attributes, |a| a.name, |a| Some(a.resolved), no_candidates),
                        )
                    },
                    || {
                        rayon::join(
                            || Table::build(files, |r| &r.uses, use_name, |u| Some(u.path), no_candidates),
                            || Table::build(files, |r| &r.fns, |f| f.name, |_| None, no_candidates),
                        )
                    },
                )
            },
        );
        Index {
            k8s_objects: files.iter().flat_map(|f| f.facts.kubernetes.iter().map(move |o| fact(o, f))).collect(),
            dockerfiles: files.iter().flat_map(|f| f.facts.dockerfile.iter().map(move |d| fact(d, f))).collect(),
            compose_services: files
                .iter()
                .flat_map(|f| f.facts.compose.iter().flat_map(move |c| c.services.iter().map(move |s| fact(s, f))))
                .collect(),
            calls,
            method_calls,
            macros,
            attributes,
            uses,
            binaries: binaries(packages, &fns),
            fns,
        }
    }
}

/// A glob import has no name of its own: `*`.
fn use_name(import: &UseFact) -> Symbol {
    import.name.unwrap_or_else(|| Symbol::intern("*"))
}

fn no_candidates<T>(_: &T) -> &[Symbol] {
    &[]
}

fn fact<T>(item: &Arc<T>, file: &LinkedFile) -> Fact<T> {
    Fact { item: item.clone(), file: file.info.clone() }
}

fn binaries(packages: &[Package], fns: &Table<FnFact>) -> Vec<Binary> {
    let mut binaries = Vec::new();
    for package in packages {
        for target in package.targets.iter().filter(|t| t.is("bin")) {
            let main = fns.named("main").find(|f| f.file.path == target.src_path && f.is_main()).cloned();
            binaries.push(Binary {
                name: target.name.clone(),
                package: package.name,
                src_path: target.src_path,
                main,
                reach: reach(packages, package),
            });
        }
    }
    binaries
}

/// Breadth-first over normal dependencies that are packages of this workspace.
fn reach(packages: &[Package], from: &Package) -> Vec<Symbol> {
    let mut seen = vec![from.name];
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
