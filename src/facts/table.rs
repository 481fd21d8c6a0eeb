//! Tables of facts: one kind numbered across the workspace, indexed by last path segment and
//! by resolved path (exact and prefix).

use super::{Binary, Fact, FactKind, FileInfo, LinkedFile};
use crate::alloc::fit_exactly;
use crate::symbol::Symbol;
use foldhash::{HashMap, HashMapExt};
use std::marker::PhantomData;
use std::sync::Arc;

/// Positions grouped by key, all groups in one array (compressed sparse rows): four bytes per
/// grouped fact, not a vector per key grown by doubling.
#[derive(Debug)]
struct Groups<K> {
    /// Key → its group.
    group_of: HashMap<K, u32>,
    /// Group `g` is `positions[starts[g]..starts[g + 1]]`, in ascending (source) order.
    starts: Box<[u32]>,
    positions: Box<[u32]>,
}

impl<K> Default for Groups<K> {
    fn default() -> Self {
        Groups { group_of: HashMap::new(), starts: Box::new([0]), positions: Box::new([]) }
    }
}

impl<K: std::hash::Hash + Eq> Groups<K> {
    /// Groups the `(key, position)` pairs `keyed` yields, in ascending position order. Two
    /// passes over the pairs rather than a buffer of them: link's peak memory is the indexes.
    fn build<I: Iterator<Item = (K, u32)>>(keyed: impl Fn() -> I) -> Self {
        let mut group_of: HashMap<K, u32> = HashMap::new();
        let mut starts: Vec<u32> = vec![0];
        for (key, _) in keyed() {
            let next = group_of.len() as u32;
            let group = *group_of.entry(key).or_insert(next);
            if group == next {
                starts.push(0);
            }
            starts[group as usize + 1] += 1;
        }
        for group in 1..starts.len() {
            starts[group] += starts[group - 1];
        }
        let mut cursors = starts.clone();
        let mut positions = vec![0; starts.last().copied().unwrap_or_default() as usize];
        for (key, position) in keyed() {
            let cursor = &mut cursors[group_of[&key] as usize];
            positions[*cursor as usize] = position;
            *cursor += 1;
        }
        fit_exactly(&mut starts);
        Groups { group_of, starts: starts.into(), positions: positions.into() }
    }

    fn group(&self, group: u32) -> &[u32] {
        let (start, end) = (self.starts[group as usize], self.starts[group as usize + 1]);
        &self.positions[start as usize..end as usize]
    }

    fn get(&self, key: &K) -> &[u32] {
        self.group_of.get(key).map_or(&[], |&group| self.group(group))
    }
}

/// Facts of one kind, numbered across the workspace in file order, with their keys.
#[derive(Debug)]
pub struct Table<T> {
    /// The files with facts of this kind, each with the number of its first fact.
    files: Vec<(u32, Arc<LinkedFile>)>,
    /// (name, package) → positions: a query for one binary reads the packages it reaches,
    /// not every fact of that name in the workspace. Files outside any package are under "".
    by_package_name: Groups<(Symbol, Symbol)>,
    /// The packages of `by_package_name`: a workspace-wide query by name reads each.
    packages: Box<[Symbol]>,
    by_path: Groups<Symbol>,
    /// The resolved paths with their group in `by_path`, ordered by text for prefix lookups.
    paths_in_order: Box<[(&'static str, u32)]>,
    /// Possible path through a glob import → positions, for exact lookups only.
    by_candidate: Groups<Symbol>,
    kind: PhantomData<fn() -> T>,
}

impl<T> Default for Table<T> {
    fn default() -> Self {
        Table {
            files: Vec::new(),
            by_package_name: Groups::default(),
            packages: Box::new([]),
            by_path: Groups::default(),
            paths_in_order: Box::new([]),
            by_candidate: Groups::default(),
            kind: PhantomData,
        }
    }
}

impl<T: FactKind> Table<T> {
    pub(super) fn build(
        files: &[Arc<LinkedFile>],
        name: impl Fn(&T) -> Symbol + Sync,
        path: impl Fn(&T) -> Option<Symbol> + Sync,
        candidates: impl Fn(&T) -> &[Symbol] + Sync,
    ) -> Self {
        let mut next = 0u32;
        let files: Vec<(u32, Arc<LinkedFile>)> = files
            .iter()
            .filter_map(|file| {
                let count = T::all_in(&file.facts).len() as u32;
                let start = next;
                next += count;
                (count > 0).then(|| (start, file.clone()))
            })
            .collect();
        let positioned = || {
            files.iter().flat_map(|(start, file)| {
                T::all_in(&file.facts).iter().zip(*start..).map(move |(item, at)| (item, at, &file.info))
            })
        };
        let package_of = |file: &FileInfo| file.package.unwrap_or_default();
        let mut packages: Vec<Symbol> = files.iter().map(|(_, file)| package_of(&file.info)).collect();
        packages.sort_unstable();
        packages.dedup();
        // The groupings are independent: the largest tables are the critical path of link.
        let (by_package_name, (by_path, by_candidate)) = rayon::join(
            || Groups::build(|| positioned().map(|(item, at, file)| ((name(item), package_of(file)), at))),
            || {
                rayon::join(
                    || Groups::build(|| positioned().filter_map(|(item, at, _)| Some((path(item)?, at)))),
                    || {
                        Groups::build(|| {
                            positioned().flat_map(|(item, at, _)| candidates(item).iter().map(move |&c| (c, at)))
                        })
                    },
                )
            },
        );
        let mut paths_in_order: Vec<(&'static str, u32)> =
            by_path.group_of.iter().map(|(path, &group)| (path.as_str(), group)).collect();
        paths_in_order.sort_unstable();
        Table {
            files,
            by_package_name,
            packages: packages.into(),
            by_path,
            paths_in_order: paths_in_order.into(),
            by_candidate,
            kind: PhantomData,
        }
    }

    /// The fact numbered `position`.
    fn at(&self, position: u32) -> Fact<T> {
        let file = self.files.partition_point(|(start, _)| *start <= position) - 1;
        let (start, file) = &self.files[file];
        Fact::new(file.clone(), position - start)
    }

    fn facts_at<'a>(&'a self, positions: impl IntoIterator<Item = u32> + 'a) -> impl Iterator<Item = Fact<T>> + 'a {
        positions.into_iter().map(|position| self.at(position))
    }

    /// Every fact, in source order.
    pub fn all(&self) -> impl Iterator<Item = Fact<T>> + '_ {
        self.files.iter().flat_map(|(_, file)| Fact::all_in(file))
    }

    /// Facts whose last path segment (or name) is `name`.
    pub fn named<'a>(&'a self, name: &str) -> impl Iterator<Item = Fact<T>> + 'a {
        self.named_in_packages(name, &self.packages)
    }

    /// Facts named `name` in the files `binary` includes, in source order.
    pub fn named_in<'a>(&'a self, name: &str, binary: &'a Binary) -> impl Iterator<Item = Fact<T>> + 'a {
        self.named_in_packages(name, &binary.reach).filter(|fact| binary.includes(fact.file()))
    }

    /// Facts named `name` in files of `packages`, in source order.
    fn named_in_packages<'a>(&'a self, name: &str, packages: &[Symbol]) -> impl Iterator<Item = Fact<T>> + 'a {
        let mut positions: Vec<u32> = Symbol::lookup(name)
            .map(|name| {
                packages.iter().flat_map(|package| self.by_package_name.get(&(name, *package))).copied().collect()
            })
            .unwrap_or_default();
        positions.sort_unstable();
        self.facts_at(positions)
    }

    /// Facts whose resolved path is exactly `path`, or may be through a glob import.
    pub fn resolved<'a>(&'a self, path: &str) -> impl Iterator<Item = Fact<T>> + 'a {
        let mut positions: Vec<u32> = Symbol::lookup(path)
            .map(|path| self.by_path.get(&path).iter().chain(self.by_candidate.get(&path)).copied().collect())
            .unwrap_or_default();
        positions.sort_unstable();
        positions.dedup();
        self.facts_at(positions)
    }

    /// Facts whose resolved path starts with `prefix`, in source order.
    pub fn with_prefix<'a>(&'a self, prefix: &str) -> impl Iterator<Item = Fact<T>> + 'a {
        let first = self.paths_in_order.partition_point(|(path, _)| *path < prefix);
        let run = self.paths_in_order[first..].iter().take_while(|(path, _)| path.starts_with(prefix));
        // A fact has one resolved path: the groups are disjoint.
        let mut positions: Vec<u32> = run.flat_map(|&(_, group)| self.by_path.group(group)).copied().collect();
        positions.sort_unstable();
        self.facts_at(positions)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_hold_each_keys_positions_in_order_and_nothing_else() {
        let keyed = [("b", 0), ("a", 1), ("b", 2), ("c", 3), ("a", 4), ("b", 5)];
        let groups = Groups::build(|| keyed.iter().copied());
        assert_eq!(groups.get(&"a"), [1, 4]);
        assert_eq!(groups.get(&"b"), [0, 2, 5]);
        assert_eq!(groups.get(&"c"), [3]);
        assert_eq!(groups.get(&"d"), [] as [u32; 0]);
        assert_eq!(groups.positions.len(), keyed.len());
        let empty: Groups<&str> = Groups::build(std::iter::empty);
        assert_eq!(empty.get(&"a"), [] as [u32; 0]);
    }
}
