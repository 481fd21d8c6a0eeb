//! The call graph: which functions of the workspace each function calls, so that "binary X does
//! Y" can mean "Y is reachable from X's `main`" rather than "X depends on the crate holding Y".
//!
//! A node is a function of a file: its inline module and name (methods of one name in one
//! module share a node). Closures and async blocks belong to the named fn around them, so the
//! tasks and threads a function spawns are part of it. An edge is
//! - a call whose resolved path is a free fn of the workspace (`crate::serve::run()`, through
//!   `use` aliases, re-exports and globs);
//! - a call of `Type::method` or `Self::method`: the methods of that name in the caller's package;
//! - a method call `.name(..)`: where its receiver's type shows — a parameter's declared type
//!   (`self` too), or the value `Type::constructor(..)` made at the root of its chain, no field
//!   between — and that type has methods of that name, those, however many others share it;
//!   else the methods of that name that take `self` in the packages the caller's package can
//!   reach, when there are at most [`MAX_METHOD_CANDIDATES`] (more is too ambiguous to follow);
//! - a fn passed by path as an argument: a handler given to a router, a task to `spawn`.
//!
//! What this misses — calls through trait objects and generics, fns called by macros that do
//! not parse as code — is not reached: rules that ask "does the binary do this" stay silent
//! rather than guess (each rule's docs say so).

use super::{Fact, FileInfo, FnFact, LinkedFile, MethodCallFact, Package};
use crate::symbol::Symbol;
use foldhash::{HashMap, HashMapExt};
use rayon::prelude::*;
use serde::Serialize;
use std::sync::Arc;

/// Method names followed through at most this many candidate methods.
const MAX_METHOD_CANDIDATES: usize = 8;

/// A function node: `module` is the inline module inside its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    file: Symbol,
    module: Symbol,
    name: Symbol,
}

#[derive(Debug, Default)]
pub struct CallGraph {
    nodes: Vec<Key>,
    node_of: HashMap<Key, u32>,
    /// Free fns by their crate-qualified path.
    free_by_path: HashMap<Symbol, u32>,
    /// Edges of node `n` are `targets[starts[n]..starts[n + 1]]`.
    starts: Vec<u32>,
    targets: Vec<u32>,
}

/// The functions a binary reaches from its entry points, one bit per node.
#[derive(Debug, Clone, Default)]
pub struct Reached(Arc<Vec<u64>>);

impl Reached {
    fn contains(&self, node: u32) -> bool {
        self.0.get(node as usize / 64).is_some_and(|word| word & (1 << (node % 64)) != 0)
    }
}

impl CallGraph {
    pub fn build(files: &[Arc<LinkedFile>], packages: &[Package]) -> Self {
        let mut graph = CallGraph::default();
        // (method name, package) → nodes: a method call looks in the few packages it can reach,
        // at the methods that take `self`; `Type::name(..)` at every associated fn of that name.
        let mut methods: HashMap<(Symbol, Symbol), Vec<u32>> = HashMap::new();
        let mut receivers: HashMap<(Symbol, Symbol), Vec<u32>> = HashMap::new();
        // (method name, the impl's type) → nodes, for receivers whose type shows.
        let mut typed: HashMap<(Symbol, Symbol), Vec<u32>> = HashMap::new();
        for file in files {
            for function in &file.facts.rust.fns {
                let key = Key { file: file.info.path, module: function.module, name: function.name };
                let next = graph.nodes.len() as u32;
                let node = *graph.node_of.entry(key).or_insert(next);
                if node == next {
                    graph.nodes.push(key);
                }
                if function.is_method {
                    let key = (function.name, file.info.package.unwrap_or_default());
                    let maps = [Some(&mut methods), function.takes_self.then_some(&mut receivers)];
                    let by_type = function.owner.filter(|_| function.takes_self).map(|owner| (function.name, owner));
                    let entries = maps.into_iter().flatten().map(|map| map.entry(key).or_default());
                    for candidates in entries.chain(by_type.map(|key| typed.entry(key).or_default())) {
                        if candidates.last() != Some(&node) {
                            candidates.push(node);
                        }
                    }
                } else if let Some(path) = free_path(&file.info, function.module, function.name) {
                    graph.free_by_path.insert(path, node);
                }
            }
        }
        let reach: HashMap<Symbol, Vec<Symbol>> = packages.iter().map(|p| (p.name, p.reach(packages))).collect();
        let graph_ref = &graph;
        let edges_of = |file: &Arc<LinkedFile>| {
            let rust = &file.facts.rust;
            let package = file.info.package.unwrap_or_default();
            let reachable_packages = reach.get(&package).map(Vec::as_slice).unwrap_or(std::slice::from_ref(&package));
            let caller = |context| {
                let context = rust.context(context);
                let name = context.function?;
                graph_ref.node_of.get(&Key { file: file.info.path, module: context.module, name }).copied()
            };
            let mut edges: Vec<(u32, u32)> = Vec::new();
            // The methods named `name` in `within`, unless there are too many to tell apart.
            let by_name = |edges: &mut Vec<(u32, u32)>,
                           candidates: &HashMap<(Symbol, Symbol), Vec<u32>>,
                           from: u32,
                           name: Symbol,
                           within: &[Symbol]| {
                let found = || within.iter().filter_map(|owner| candidates.get(&(name, *owner))).flatten();
                if found().take(MAX_METHOD_CANDIDATES + 1).count() <= MAX_METHOD_CANDIDATES {
                    edges.extend(found().map(|to| (from, *to)));
                }
            };
            let arguments = |edges: &mut Vec<(u32, u32)>, from: u32, range| {
                let roots = rust.arguments(range).roots().flatten();
                edges.extend(roots.filter_map(|root| graph_ref.free_by_path.get(&root)).map(|to| (from, *to)));
            };
            for call in &rust.calls {
                let Some(from) = caller(call.context) else { continue };
                let before = edges.len();
                let paths = std::iter::once(call.resolved).chain(call.glob_candidates.iter().copied());
                edges.extend(paths.filter_map(|path| graph_ref.free_by_path.get(&path)).map(|to| (from, *to)));
                if edges.len() == before && names_a_method(&call.resolved) {
                    by_name(&mut edges, &methods, from, call.name, std::slice::from_ref(&package));
                }
                arguments(&mut edges, from, call.args);
            }
            for call in &rust.method_calls {
                let Some(from) = caller(call.context) else { continue };
                // A type that has the method is the one called (`self.flush()` is this type's
                // `flush`, not every `flush` in reach); a chain that changes type on the way
                // (`Config::load()?.server().start()`) finds none on its root's type and falls
                // back to the name.
                let before = edges.len();
                if let Some(methods) = receiver_type(call).and_then(|owner| typed.get(&(call.name, owner))) {
                    edges.extend(methods.iter().map(|to| (from, *to)));
                }
                if edges.len() == before {
                    by_name(&mut edges, &receivers, from, call.name, reachable_packages);
                }
                arguments(&mut edges, from, call.args);
            }
            edges
        };
        let mut edges: Vec<(u32, u32)> = files.par_iter().flat_map_iter(edges_of).collect();
        edges.par_sort_unstable();
        edges.dedup();
        graph.starts = vec![0; graph.nodes.len() + 1];
        for (from, _) in &edges {
            graph.starts[*from as usize + 1] += 1;
        }
        for node in 0..graph.nodes.len() {
            graph.starts[node + 1] += graph.starts[node];
        }
        graph.targets = edges.into_iter().map(|(_, to)| to).collect();
        graph
    }

    /// Every node reachable from `entries`.
    pub fn reached_from(&self, entries: impl IntoIterator<Item = Fact<FnFact>>) -> Reached {
        self.reached_from_nodes(entries.into_iter().filter_map(|entry| self.node(&entry)).collect())
    }

    /// Every node reachable from the free fns at these crate-qualified paths and from `entries`.
    pub fn reached_from_paths(
        &self,
        paths: impl IntoIterator<Item = Symbol>,
        entries: impl IntoIterator<Item = Fact<FnFact>>,
    ) -> Reached {
        let free = paths.into_iter().filter_map(|path| self.free_by_path.get(&path).copied());
        self.reached_from_nodes(free.chain(entries.into_iter().filter_map(|entry| self.node(&entry))).collect())
    }

    fn reached_from_nodes(&self, mut pending: Vec<u32>) -> Reached {
        let mut bits = vec![0u64; self.nodes.len().div_ceil(64)];
        while let Some(node) = pending.pop() {
            let (word, bit) = (node as usize / 64, 1u64 << (node % 64));
            if bits[word] & bit != 0 {
                continue;
            }
            bits[word] |= bit;
            let (start, end) = (self.starts[node as usize] as usize, self.starts[node as usize + 1] as usize);
            pending.extend(&self.targets[start..end]);
        }
        Reached(Arc::new(bits))
    }

    fn node(&self, function: &Fact<FnFact>) -> Option<u32> {
        let item = function.item();
        self.node_of.get(&Key { file: function.file().path, module: item.module, name: item.name }).copied()
    }

    /// Whether `reached` holds the function in `file` (inline `module`, named `function`) that a
    /// fact sits in; `None` when it sits in no function (a static's initializer).
    pub fn reaches(&self, reached: &Reached, file: Symbol, module: Symbol, function: Option<Symbol>) -> Option<bool> {
        let node = self.node_of.get(&Key { file, module, name: function? })?;
        Some(reached.contains(*node))
    }
}

/// `crate::module::inline::name` of a free fn, when the file's module path is known.
fn free_path(file: &FileInfo, inline: Symbol, name: Symbol) -> Option<Symbol> {
    let module = file.module.as_deref()?;
    let path = if inline.is_empty() { format!("{module}::{name}") } else { format!("{module}::{inline}::{name}") };
    Some(Symbol::intern(&path))
}

/// `Type::method` or `Self::method`: a path whose last-but-one segment names a type.
fn names_a_method(path: &str) -> bool {
    let mut segments = path.rsplit("::");
    segments.next();
    segments.next().is_some_and(|owner| owner == "Self" || owner.starts_with(|c: char| c.is_ascii_uppercase()))
}

/// Written by `guardrail facts`: each function by file, inline module and name, with the
/// positions (in this list) of the functions it calls.
impl Serialize for CallGraph {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Function<'a> {
            path: &'a str,
            module: &'a str,
            name: &'a str,
            calls: &'a [u32],
        }
        let functions = self.nodes.iter().enumerate().map(|(node, key)| Function {
            path: &key.file,
            module: &key.module,
            name: &key.name,
            calls: &self.targets[self.starts[node] as usize..self.starts[node + 1] as usize],
        });
        serializer.collect_seq(functions)
    }
}

/// The type of a method call's receiver, where it shows: a parameter's declared type, or the
/// type whose associated fn made the value at the root of its chain (`Node` for
/// `Node::create(..).await.unwrap().start()` or a local bound from it). A constructor may return
/// another type, and a chain may change type on the way: the type's methods only add edges.
fn receiver_type(call: &MethodCallFact) -> Option<Symbol> {
    // `self.inner.start()`: the field's type is not the root's.
    if call.receiver_field.is_some() {
        return None;
    }
    if call.receiver_type.is_some() {
        return call.receiver_type;
    }
    let root = call.receiver_root?;
    let mut segments = root.rsplit("::");
    let (function, owner) = (segments.next()?, segments.next()?);
    let is_type = owner.starts_with(|c: char| c.is_ascii_uppercase()) && owner != "Self";
    let is_fn = function.starts_with(|c: char| c.is_ascii_lowercase());
    (is_type && is_fn).then(|| Symbol::intern(owner))
}
