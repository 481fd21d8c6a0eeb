//! Indexes over the linked facts: by last path segment, by resolved path (exact and prefix).
//! Policies query these natively; a script never scans every call of a workspace.

use super::call_graph::{CallGraph, Reached};
use super::{
    fit_exactly, AttributeFact, CallFact, ComposeService, Dockerfile, EntryCode, Fact, FactKind, FileInfo, FnFact,
    K8sObject, LinkedFile, MacroFact, MethodCallFact, Package, StateFact, Symbol, UseFact,
};
use foldhash::{HashMap, HashMapExt};
use std::marker::PhantomData;
use std::sync::{Arc, OnceLock};

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
    fn build(
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

impl Binary {
    /// Whether running the binary can execute the code at `file` (inline `module`, in fn
    /// `function`): the binary includes the file and, inside a fn, the call graph leads there
    /// from an entry point. Code outside any fn (a static's initializer) counts when included.
    pub fn reaches(&self, file: &FileInfo, module: Symbol, function: Option<Symbol>) -> bool {
        self.includes(file) && self.graph.reaches(&self.reached, file.path, module, function).unwrap_or(true)
    }

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
    /// The functions reachable from its entry points through the call graph.
    pub reached: Reached,
    /// The call that starts the network server it runs, if it runs one.
    pub server: Option<Fact<CallFact>>,
    pub graph: Arc<CallGraph>,
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
    pub call_graph: Arc<CallGraph>,
    /// Request handlers and what they reach.
    pub handlers: EntryCode,
    /// Spawned tasks and threads and what they reach.
    pub tasks: EntryCode,
    /// What fns do before they bind a listener.
    pub start_up: super::start_up::StartUp,
    /// Statics and struct fields that hold shared mutable collections.
    pub states: Vec<Fact<StateFact>>,
    /// Which constructor parameters are stored in which fields, across the workspace.
    /// The sender parameters of the workspace's fns, by fn name (see [`super::senders`]).
    pub param_flows: super::ParamFlows,
    /// Which workload each autoscaler scales, once asked.
    k8s_graph: OnceLock<super::k8s_graph::K8sGraph>,
    /// Types some fn receives as application state (`State<AppState>`), by last segment.
    pub app_states: foldhash::HashSet<Symbol>,
}

impl Index {
    pub fn build(packages: &[Package], files: &[Arc<LinkedFile>]) -> Self {
        let (((calls, method_calls), ((macros, attributes), (uses, fns))), call_graph) = rayon::join(
            || {
                rayon::join(
                    || {
                        rayon::join(
                            || Table::build(files, |c: &CallFact| c.name, |c| Some(c.resolved), |c| &c.glob_candidates),
                            || Table::build(files, |m: &MethodCallFact| m.name, |m| m.receiver_root, no_candidates),
                        )
                    },
                    || {
                        rayon::join(
                            || {
                                rayon::join(
                                    || Table::build(files, |m: &MacroFact| m.name, |m| Some(m.resolved), no_candidates),
                                    || {
                                        Table::build(
                                            files,
                                            |a: &AttributeFact| a.name,
                                            |a| Some(a.resolved),
                                            no_candidates,
                                        )
                                    },
                                )
                            },
                            || {
                                rayon::join(
                                    || Table::build(files, use_name, |u| Some(u.path), no_candidates),
                                    || Table::build(files, |f: &FnFact| f.name, |_| None, no_candidates),
                                )
                            },
                        )
                    },
                )
            },
            || Arc::new(CallGraph::build(files, packages)),
        );
        let mut binaries = binaries(packages, &fns, &attributes, &call_graph);
        for binary in &mut binaries {
            binary.server = super::servers::server(&calls, &method_calls, binary);
        }
        let services = super::entry_code::tonic_services(files, &method_calls);
        let (handlers, tasks) = rayon::join(
            || EntryCode::handlers(files, &services, &calls, &method_calls, &attributes, &call_graph),
            || EntryCode::tasks(files, &calls, &method_calls, &call_graph),
        );
        let start_up = super::start_up::StartUp::build(&calls, &method_calls);
        Index {
            handlers,
            tasks,
            start_up,
            k8s_graph: OnceLock::new(),
            param_flows: super::ParamFlows::build(files),
            states: every(files),
            // A tonic service's `self` is its application state.
            app_states: files
                .iter()
                .flat_map(|file| file.facts.rust.app_states.iter().copied())
                .chain(services)
                .collect(),
            k8s_objects: every(files),
            dockerfiles: every(files),
            compose_services: every(files),
            calls,
            method_calls,
            macros,
            attributes,
            uses,
            binaries,
            fns,
            call_graph,
        }
    }
}

impl Index {
    /// The workload an autoscaler scales, when the tree defines it.
    pub fn scaled_by(&self, hpa: &Fact<K8sObject>) -> Option<&Fact<K8sObject>> {
        self.k8s_graph().scaled_by(hpa, &self.k8s_objects)
    }

    /// The autoscalers that scale `workload` out to more than one copy.
    pub fn autoscalers_of(&self, workload: &Fact<K8sObject>) -> Vec<&Fact<K8sObject>> {
        self.k8s_graph().autoscalers_of(workload, &self.k8s_objects)
    }

    fn k8s_graph(&self) -> &super::k8s_graph::K8sGraph {
        self.k8s_graph.get_or_init(|| super::k8s_graph::K8sGraph::build(&self.k8s_objects))
    }
}

/// A glob import has no name of its own: `*`.
fn use_name(import: &UseFact) -> Symbol {
    import.name.unwrap_or_else(|| Symbol::intern("*"))
}

fn no_candidates<T>(_: &T) -> &[Symbol] {
    &[]
}

/// Every fact of a kind too rare to need a table (deployment objects).
fn every<T: FactKind>(files: &[Arc<LinkedFile>]) -> Vec<Fact<T>> {
    files.iter().flat_map(Fact::all_in).collect()
}

/// Attributes that make a fn of a binary's root file its entry point in place of `main`.
const ENTRY_ATTRIBUTES: [&str; 2] = ["rocket::launch", "rocket::main"];

fn binaries(
    packages: &[Package],
    fns: &Table<FnFact>,
    attributes: &Table<AttributeFact>,
    graph: &Arc<CallGraph>,
) -> Vec<Binary> {
    let mut binaries = Vec::new();
    for package in packages {
        for target in package.targets.iter().filter(|t| t.is("bin")) {
            let main = fns.named("main").find(|f| f.file().path == target.src_path && f.is_main());
            let launched = ENTRY_ATTRIBUTES.iter().flat_map(|path| attributes.resolved(path)).filter_map(|attribute| {
                let on = attribute.item().item?;
                (attribute.file().path == target.src_path)
                    .then(|| Fact::all_in(attribute.linked()).find(|f: &Fact<FnFact>| f.item().name == on))?
            });
            let entries: Vec<Fact<FnFact>> = main.iter().cloned().chain(launched).collect();
            binaries.push(Binary {
                name: target.name.clone(),
                package: package.name,
                src_path: target.src_path,
                reached: graph.reached_from(entries),
                server: None,
                graph: graph.clone(),
                main,
                reach: reach(packages, package),
            });
        }
    }
    binaries
}

/// Breadth-first over normal dependencies that are packages of this workspace.
pub(super) fn reach(packages: &[Package], from: &Package) -> Vec<Symbol> {
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
