//! Indexes over the linked facts: by last path segment, by resolved path (exact and prefix).
//! Policies query these natively; a script never scans every call of a workspace.

use super::{
    AttributeFact, CallFact, ComposeService, Dockerfile, Fact, FileInfo, FnFact, K8sObject, LinkedFile, MacroFact,
    MethodCallFact, Package, RustFacts, UseFact,
};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

/// Facts of one kind, with their keys.
#[derive(Debug)]
pub struct Table<T> {
    pub all: Vec<Fact<T>>,
    by_name: HashMap<String, Vec<u32>>,
    /// (path, position in `all`), sorted: exact and prefix lookups by binary search.
    by_path: Vec<(String, u32)>,
    /// (possible path, position): glob-import candidates, for exact lookups only.
    by_candidate: Vec<(String, u32)>,
}

impl<T> Default for Table<T> {
    fn default() -> Self {
        Table { all: Vec::new(), by_name: HashMap::new(), by_path: Vec::new(), by_candidate: Vec::new() }
    }
}

impl<T> Table<T> {
    fn build(
        files: &[LinkedFile],
        items: impl Fn(&RustFacts) -> &Vec<Arc<T>>,
        name: impl Fn(&T) -> &str,
        paths: impl Fn(&T) -> Vec<&str>,
        candidates: impl Fn(&T) -> &[String],
    ) -> Self {
        let mut table = Table::default();
        for file in files {
            for item in items(&file.facts.rust) {
                let position = table.all.len() as u32;
                table.by_name.entry(name(item).to_owned()).or_default().push(position);
                table.by_path.extend(paths(item).into_iter().map(|p| (p.to_owned(), position)));
                table.by_candidate.extend(candidates(item).iter().map(|p| (p.clone(), position)));
                table.all.push(Fact { item: item.clone(), file: file.info.clone() });
            }
        }
        table.by_path.sort();
        table.by_path.dedup();
        table.by_candidate.sort();
        table
    }

    fn exact<'a>(sorted: &'a [(String, u32)], path: &'a str) -> impl Iterator<Item = u32> + 'a {
        let start = sorted.partition_point(|(p, _)| p.as_str() < path);
        sorted[start..].iter().take_while(move |(p, _)| p == path).map(|&(_, i)| i)
    }

    /// Facts whose last path segment (or name) is `name`.
    pub fn named<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a Fact<T>> + 'a {
        self.by_name.get(name).into_iter().flatten().map(|&i| &self.all[i as usize])
    }

    /// Facts whose resolved path is exactly `path`, or may be through a glob import.
    pub fn resolved<'a>(&'a self, path: &'a str) -> impl Iterator<Item = &'a Fact<T>> + 'a {
        let positions: BTreeSet<u32> =
            Self::exact(&self.by_path, path).chain(Self::exact(&self.by_candidate, path)).collect();
        positions.into_iter().map(|i| &self.all[i as usize])
    }

    /// Facts whose resolved path starts with `prefix`, each once, in source order.
    pub fn with_prefix<'a>(&'a self, prefix: &str) -> impl Iterator<Item = &'a Fact<T>> + 'a {
        let start = self.by_path.partition_point(|(p, _)| p.as_str() < prefix);
        let positions: BTreeSet<u32> =
            self.by_path[start..].iter().take_while(|(p, _)| p.starts_with(prefix)).map(|&(_, i)| i).collect();
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
    pub package: Arc<str>,
    pub src_path: Arc<str>,
    pub main: Option<Fact<FnFact>>,
    /// The package itself and every workspace package it reaches through normal dependencies.
    pub reach: Vec<Arc<str>>,
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
        let fns = Table::build(files, |r| &r.fns, |f| &f.name, |_| Vec::new(), |_| &[]);
        Index {
            k8s_objects: files.iter().flat_map(|f| f.facts.kubernetes.iter().map(move |o| fact(o, f))).collect(),
            dockerfiles: files.iter().flat_map(|f| f.facts.dockerfile.iter().map(move |d| fact(d, f))).collect(),
            compose_services: files
                .iter()
                .flat_map(|f| f.facts.compose.iter().flat_map(move |c| c.services.iter().map(move |s| fact(s, f))))
                .collect(),
            calls: Table::build(
                files,
                |r| &r.calls,
                |c| &c.name,
                |c| vec![c.resolved.as_str()],
                |c| &c.glob_candidates,
            ),
            method_calls: Table::build(
                files,
                |r| &r.method_calls,
                |m| &m.name,
                |m| m.receiver_root.as_deref().into_iter().collect(),
                |_| &[],
            ),
            macros: Table::build(files, |r| &r.macros, |m| &m.name, |m| vec![m.resolved.as_str()], |_| &[]),
            attributes: Table::build(files, |r| &r.attributes, |a| &a.name, |a| vec![a.resolved.as_str()], |_| &[]),
            uses: Table::build(
                files,
                |r| &r.uses,
                |u| u.name.as_deref().unwrap_or("*"),
                |u| vec![u.path.as_str()],
                |_| &[],
            ),
            binaries: binaries(packages, &fns),
            fns,
        }
    }
}

fn fact<T>(item: &Arc<T>, file: &LinkedFile) -> Fact<T> {
    Fact { item: item.clone(), file: file.info.clone() }
}

fn binaries(packages: &[Package], fns: &Table<FnFact>) -> Vec<Binary> {
    let mut binaries = Vec::new();
    for package in packages {
        for target in package.targets.iter().filter(|t| t.is("bin")) {
            let main = fns.named("main").find(|f| *f.file.path == *target.src_path && f.is_main()).cloned();
            binaries.push(Binary {
                name: target.name.clone(),
                package: package.name.clone(),
                src_path: target.src_path.clone(),
                main,
                reach: reach(packages, package),
            });
        }
    }
    binaries
}

/// Breadth-first over normal dependencies that are packages of this workspace.
fn reach(packages: &[Package], from: &Package) -> Vec<Arc<str>> {
    let mut seen = vec![from.name.clone()];
    let mut next = 0;
    while let Some(name) = seen.get(next).cloned() {
        next += 1;
        let Some(package) = packages.iter().find(|p| p.name == name) else { continue };
        for dep in package.dependencies.iter().filter(|d| d.kind == "normal") {
            if let Some(found) = packages.iter().find(|p| *p.name == dep.name) {
                if !seen.contains(&found.name) {
                    seen.push(found.name.clone());
                }
            }
        }
    }
    seen
}
