//! `--shard K/N`: one of N CI jobs checks one part of the workspace, cut along packages.
//!
//! Every shard computes the same partition from the same tree: packages are dealt, heaviest
//! first (bytes of Rust), to the least loaded shard. A shard *owns* the files of its packages,
//! the deployment files whose services run them, and (shard 1) everything that belongs to no
//! package. It *reads* more than it owns, so that cross-file policies stay correct: the files of
//! every workspace package its packages depend on (re-exports, the module graph), the packages
//! its deployment files run (probe paths against routes), every deployment file, and (shard 1,
//! which reports on `guardrail.toml`) the packages architecture exceptions start from, to know
//! whether each exception still excuses something. It reports only the findings in files it
//! owns; the N shards together report exactly what one run does.

use crate::discover::architecture::{matches, Architecture};
use crate::discover::SourceFile;
use crate::facts::{FileFacts, Package, Service};
use crate::link;
use crate::symbol::Symbol;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;
use std::str::FromStr;

/// Shard `index` of `count`, 1-based as written on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let parsed = text.split_once('/').and_then(|(k, n)| Some((k.trim().parse().ok()?, n.trim().parse().ok()?)));
        match parsed {
            Some((index, count)) if index >= 1 && index <= count => Ok(Shard { index, count }),
            _ => Err(format!("`{text}` is not K/N with 1 ≤ K ≤ N, like `2/4`")),
        }
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// What one shard reads and what it reports.
#[derive(Debug)]
pub struct Plan {
    shard: Shard,
    /// The shard that owns each file that has an owner other than shard 1's default.
    owners: HashMap<&'static str, usize>,
    /// The Rust files this shard reads.
    read: HashSet<&'static str>,
}

impl Plan {
    /// Partitions the workspace. `rust` are the Rust files of the tree with their sizes;
    /// `deployment` the extracted deployment files and `services` the map built from them.
    pub fn new(
        shard: Shard,
        packages: &[Package],
        manifests: &[SourceFile],
        rust: &[(Symbol, u64)],
        (deployment, services): (&[FileFacts], &[Service]),
        architecture: &Architecture,
    ) -> Plan {
        let package_of = |path: Symbol| link::place(path, packages, manifests).package;
        let mut weight: HashMap<Symbol, u64> = packages.iter().map(|p| (p.name, 0)).collect();
        let mut rust_files = Vec::new();
        for (path, size) in rust {
            let package = package_of(*path);
            if let Some(name) = &package {
                *weight.entry(*name).or_default() += size;
            }
            rust_files.push((path.as_str(), package));
        }
        let mut by_weight: Vec<(&Symbol, u64)> = weight.iter().map(|(name, w)| (name, *w)).collect();
        by_weight.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let mut load = vec![0u64; shard.count];
        let mut package_shard: HashMap<Symbol, usize> = HashMap::new();
        for (name, w) in by_weight {
            let lightest = (0..shard.count).min_by_key(|&i| (load[i], i)).unwrap_or(0);
            load[lightest] += w.max(1);
            package_shard.insert(*name, lightest + 1);
        }

        let mut owners: HashMap<&'static str, usize> = HashMap::new();
        for (path, package) in &rust_files {
            if let Some(owner) = package.as_ref().and_then(|p| package_shard.get(p)) {
                owners.insert(path, *owner);
            }
        }
        for package in packages {
            owners.insert(package.manifest_path.as_str(), package_shard[&package.name]);
        }
        let mut read: BTreeSet<Symbol> =
            package_shard.iter().filter(|(_, s)| **s == shard.index).map(|(name, _)| *name).collect();
        for file in deployment {
            let mut linked: Vec<&Symbol> = services
                .iter()
                .filter(|s| runs_in(s, file.path))
                .filter_map(|s| s.package.as_ref())
                .filter(|p| package_shard.contains_key(*p))
                .collect();
            linked.sort();
            let Some(first) = linked.first() else { continue };
            let owner = package_shard[*first];
            owners.insert(file.path.as_str(), owner);
            if owner == shard.index {
                read.extend(linked.into_iter().cloned());
            }
        }
        if shard.index == 1 {
            let excused = |package: &Package| {
                let crate_name = package.name.replace('-', "_");
                architecture.exceptions.iter().any(|e| {
                    let first = e.from.split("::").next().unwrap_or_default();
                    matches(first, &package.name) || matches(first, &crate_name)
                })
            };
            read.extend(packages.iter().filter(|p| excused(p)).map(|p| p.name));
        }
        let packages_read = dependency_closure(read, packages);
        let read = rust_files
            .into_iter()
            .filter(|(_, package)| match package {
                Some(name) => packages_read.contains(name),
                None => shard.index == 1,
            })
            .map(|(path, _)| path)
            .collect();
        Plan { shard, owners, read }
    }

    /// Whether this shard reads the Rust file at `path`.
    pub fn reads(&self, path: &str) -> bool {
        self.read.contains(path)
    }

    /// Whether findings in `path` are this shard's to report.
    pub fn owns(&self, path: &str) -> bool {
        self.owners.get(path).copied().unwrap_or(1) == self.shard.index
    }

    /// Whether another shard reports on `path`: problems there are that shard's; problems
    /// elsewhere (configuration, policies) are everyone's.
    pub fn owned_elsewhere(&self, path: &str) -> bool {
        self.owners.get(path).is_some_and(|owner| *owner != self.shard.index)
    }
}

fn runs_in(service: &Service, path: Symbol) -> bool {
    service.dockerfiles.contains(&path)
        || service.compose_services.iter().any(|(file, _)| *file == path)
        || service.workloads.iter().any(|(file, ..)| *file == path)
}

/// `packages` and every workspace package they depend on, directly or not, of any kind.
fn dependency_closure(mut read: BTreeSet<Symbol>, packages: &[Package]) -> BTreeSet<Symbol> {
    let by_name: HashMap<&str, &Package> = packages.iter().map(|p| (&*p.name, p)).collect();
    let mut pending: Vec<Symbol> = read.iter().cloned().collect();
    while let Some(name) = pending.pop() {
        let Some(package) = by_name.get(&*name) else { continue };
        for dependency in &package.dependencies {
            if let Some(found) = by_name.get(dependency.name.as_str()) {
                if read.insert(found.name) {
                    pending.push(found.name);
                }
            }
        }
    }
    read
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_as_k_of_n() {
        assert_eq!("2/4".parse(), Ok(Shard { index: 2, count: 4 }));
        assert_eq!("1/1".parse(), Ok(Shard { index: 1, count: 1 }));
        for bad in ["0/2", "3/2", "2", "a/b", "1/0", ""] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }
}
