//! The dependency graph of the workspace at two levels: crates (from the manifests, pointing at
//! the dependency's line in `Cargo.toml`) and modules (from `use` items and paths in the code,
//! pointing at the reference).

use super::Facts;
use crate::discover::architecture::{matches, Architecture};
use crate::location::Location;
use crate::problem::Problem;
use crate::rule::nearest_id;
use serde::Serialize;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Crate,
    Module,
}

/// `from` depends on `to`, first seen at `location`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Edge {
    pub level: Level,
    pub from: String,
    pub to: String,
    /// `to` is outside the workspace.
    pub external: bool,
    /// A dev-dependency (crate level).
    pub dev: bool,
    pub location: Location,
}

#[derive(Debug, Default)]
pub struct ArchGraph {
    /// Workspace crates, by the name code uses.
    pub crates: BTreeSet<String>,
    /// Workspace modules: `crate_name::a::b`.
    pub modules: BTreeSet<String>,
    pub edges: Vec<Edge>,
    /// Layers top to bottom: (name, member patterns), with `[package.metadata.guardrail]` layers.
    pub layers: Vec<(String, Vec<String>)>,
    outgoing: HashMap<(Level, String), Vec<usize>>,
}

impl ArchGraph {
    pub fn build(facts: &Facts, architecture: &Architecture) -> (ArchGraph, Vec<Problem>) {
        let mut graph = ArchGraph::default();
        let mut problems = Vec::new();
        graph.layers = architecture.layers.iter().map(|l| (l.name.clone(), l.members.clone())).collect();
        for package in &facts.packages {
            let crate_name = package.name.replace('-', "_");
            graph.crates.insert(crate_name.clone());
            if let Some(layer) = &package.layer {
                match graph.layers.iter_mut().find(|(name, _)| name == layer) {
                    Some((_, members)) => members.push(crate_name.clone()),
                    None => problems.push(Problem {
                        location: Location::file(package.manifest_path),
                        message: format!("[package.metadata.guardrail] names layer \"{layer}\", which guardrail.toml does not declare"),
                    }),
                }
            }
            for dep in &package.dependencies {
                if dep.kind == "dev"
                    && !architecture.dev_dependencies
                    && !graph.crates.contains(&dep.name.replace('-', "_"))
                {
                    // Dev-dependencies on outside crates never matter; workspace ones feed the dev-cycle check.
                    continue;
                }
                let to = dep.name.replace('-', "_");
                graph.edges.push(Edge {
                    level: Level::Crate,
                    from: crate_name.clone(),
                    external: !facts.packages.iter().any(|p| p.name.replace('-', "_") == to),
                    to,
                    dev: dep.kind == "dev",
                    location: dep.location.clone().unwrap_or_else(|| Location::file(package.manifest_path)),
                });
            }
        }
        graph.add_module_edges(facts, architecture);
        problems.extend(graph.unmatched_patterns(facts, architecture));
        problems.extend(graph.overlapping_layers(architecture));
        graph.edges.sort_by(|a, b| (a.level, &a.from, &a.to, &a.location).cmp(&(b.level, &b.from, &b.to, &b.location)));
        graph.edges.dedup_by(|b, a| a.level == b.level && a.from == b.from && a.to == b.to && a.dev == b.dev);
        for (i, edge) in graph.edges.iter().enumerate() {
            graph.outgoing.entry((edge.level, edge.from.clone())).or_default().push(i);
        }
        // Searches take a node's edges in source order, so a chain starts at the first reference.
        for indexes in graph.outgoing.values_mut() {
            indexes.sort_by(|a, b| graph.edges[*a].location.cmp(&graph.edges[*b].location));
        }
        (graph, problems)
    }

    fn add_module_edges(&mut self, facts: &Facts, architecture: &Architecture) {
        let inline = |module: &str, inline: &str| {
            if inline.is_empty() {
                module.to_owned()
            } else {
                format!("{module}::{inline}")
            }
        };
        for file in &facts.files {
            let Some(module) = &file.info.module else { continue };
            self.modules.insert(module.clone());
            let rust = &file.facts.rust;
            let inner = rust.uses.iter().map(|u| &u.module).chain(rust.fns.iter().map(|f| &f.module));
            self.modules.extend(inner.filter(|m| !m.is_empty()).map(|m| inline(module, m)));
        }
        let externals = self.externals(facts);
        for file in &facts.files {
            let Some(module) = &file.info.module else { continue };
            if file.info.test_only && !architecture.test_code {
                continue;
            }
            let rust = &file.facts.rust;
            let references = (rust.uses.iter().map(|u| (u.path, u.module, u.in_test, u.span)))
                .chain(rust.paths.iter().map(|p| (p.resolved, p.module, p.in_test, p.span)))
                .chain(
                    rust.calls
                        .iter()
                        .map(|c| (c.resolved, c.context, c.span))
                        .chain(rust.macros.iter().map(|m| (m.resolved, m.context, m.span)))
                        .map(|(resolved, context, span)| {
                            let context = rust.context(context);
                            (resolved, context.module, context.in_test, span)
                        }),
                )
                .chain(rust.attributes.iter().map(|a| (a.resolved, a.module, a.in_test, a.span)));
            for (path, inner, in_test, span) in references {
                if in_test && !architecture.test_code {
                    continue;
                }
                let from = inline(module, &inner);
                let Some((to, external)) = self.target(&path, &externals) else { continue };
                if to == from {
                    continue;
                }
                self.edges.push(Edge {
                    level: Level::Module,
                    from,
                    to,
                    external,
                    dev: false,
                    location: file.facts.location(span),
                });
            }
        }
    }

    /// Any crate the workspace depends on: a path can reach one through another crate's
    /// re-export (`shop_shared::Pool` resolving to `sqlx::PgPool`).
    fn externals(&self, facts: &Facts) -> BTreeSet<String> {
        let dependencies = facts.packages.iter().flat_map(|p| p.dependencies.iter().map(|d| d.name.replace('-', "_")));
        dependencies.filter(|name| !self.crates.contains(name)).collect()
    }

    /// A configuration error for each pattern that names nothing: a typo there would turn its
    /// rule off without a word. Patterns name the workspace's crates and modules; what a forbid
    /// or an exception forbids or allows may also be a crate from outside — one the workspace
    /// depends on, or, with no known name near it, one it does not use yet (`to = ["sqlx"]`
    /// keeps a domain free of SQL before anyone adds it).
    fn unmatched_patterns(&self, facts: &Facts, architecture: &Architecture) -> Vec<Problem> {
        let externals = self.externals(facts);
        let mut problems = Vec::new();
        for pattern in &architecture.patterns {
            let normal = pattern.written.replace('-', "_");
            if self.crates.iter().chain(&self.modules).any(|node| matches(&normal, node)) {
                continue;
            }
            let first = normal.split("::").next().unwrap_or_default();
            let outside = pattern.may_be_external && !self.crates.contains(first);
            if outside && externals.contains(first) {
                continue;
            }
            // Names as Cargo.toml writes them (`notes-core`), modules as code does.
            let packages = facts.packages.iter().map(|p| p.name.as_str());
            let dependencies = facts.packages.iter().flat_map(|p| p.dependencies.iter().map(|d| d.name.as_str()));
            let names = packages.chain(self.modules.iter().map(String::as_str)).chain(dependencies);
            let meant = nearest_id(names, &pattern.written);
            if outside && meant.is_none() {
                continue;
            }
            let hint = meant.map_or(String::new(), |name| format!("; did you mean \"{name}\"?"));
            let names = if pattern.may_be_external { "crate, module or dependency" } else { "crate or module" };
            problems.push(Problem {
                location: pattern.location.clone(),
                message: format!(
                    "architecture pattern \"{}\" matches no {names} of the workspace{hint}",
                    pattern.written
                ),
            });
        }
        problems
    }

    /// The workspace module a path names (its longest known prefix), else the path itself when
    /// it starts with a crate the workspace depends on.
    fn target(&self, path: &str, externals: &BTreeSet<String>) -> Option<(String, bool)> {
        let segments: Vec<&str> = path.split("::").collect();
        for len in (1..=segments.len()).rev() {
            let prefix = segments[..len].join("::");
            if self.modules.contains(&prefix) {
                return Some((prefix, false));
            }
        }
        let first = segments.first()?;
        externals.contains(*first).then(|| (path.to_owned(), true))
    }

    /// Index of the layer a node belongs to (0 is the top): the layer of the most specific
    /// pattern that matches it, so `notes_api::audit` in one layer takes that module out of the
    /// layer that holds `notes_api`. Patterns as specific as each other in two layers are a
    /// configuration error ([`Self::overlapping_layers`]); the upper layer is taken.
    pub fn layer_of(&self, node: &str) -> Option<usize> {
        self.layer_matches(node).max().map(|(_, Reverse(layer), _)| layer)
    }

    /// (specificity, layer, pattern) of every layer pattern that matches `node`.
    fn layer_matches<'a>(&'a self, node: &'a str) -> impl Iterator<Item = ((usize, usize), Reverse<usize>, &'a str)> {
        self.layers.iter().enumerate().flat_map(move |(layer, (_, members))| {
            members.iter().filter(move |m| matches(m, node)).map(move |m| (specificity(m), Reverse(layer), m.as_str()))
        })
    }

    /// A configuration error for each pair of patterns of two layers that match some crate or
    /// module equally specifically: which layer it is in would be a guess.
    fn overlapping_layers(&self, architecture: &Architecture) -> Vec<Problem> {
        let mut seen = BTreeSet::new();
        let mut problems = Vec::new();
        for node in self.crates.iter().chain(&self.modules) {
            let mut found: Vec<_> = self.layer_matches(node).collect();
            found.sort_unstable_by(|a, b| b.cmp(a));
            let [(best, Reverse(upper), first), (next, Reverse(lower), second), ..] = found[..] else { continue };
            if best != next || upper == lower || !seen.insert((first.to_owned(), second.to_owned())) {
                continue;
            }
            let (names, location) = (&self.layers, &architecture.layers[lower].location);
            problems.push(Problem {
                location: location.clone(),
                message: format!(
                    "`{node}` is in layer \"{}\" (pattern \"{first}\") and layer \"{}\" (pattern \"{second}\") alike: make one pattern more specific",
                    names[upper].0, names[lower].0
                ),
            });
        }
        problems
    }

    pub fn edges_from(&self, level: Level, node: &str) -> impl Iterator<Item = &Edge> {
        self.outgoing.get(&(level, node.to_owned())).into_iter().flatten().map(|&i| &self.edges[i])
    }

    /// The shortest chain of module edges from `source` to a node `is_target` accepts, stepping
    /// only through workspace modules.
    pub fn shortest_path(&self, source: &str, is_target: impl Fn(&str) -> bool) -> Option<Vec<&Edge>> {
        self.search(source, &is_target, &|e| e.level == Level::Module)
    }

    /// Breadth-first search over the edges `keep` accepts, in source order, never stepping
    /// through an external node: the shortest chain from `source` to an accepted node.
    pub fn search(
        &self,
        source: &str,
        is_target: &dyn Fn(&str) -> bool,
        keep: &dyn Fn(&Edge) -> bool,
    ) -> Option<Vec<&Edge>> {
        let mut previous: BTreeMap<&str, &Edge> = BTreeMap::new();
        let mut queue = VecDeque::from([source]);
        let mut seen = BTreeSet::from([source]);
        while let Some(node) = queue.pop_front() {
            let edges = [Level::Crate, Level::Module].into_iter().flat_map(|level| self.edges_from(level, node));
            for edge in edges.filter(|e| keep(e)) {
                if !seen.insert(&edge.to) {
                    continue;
                }
                previous.insert(&edge.to, edge);
                if is_target(&edge.to) {
                    let mut chain = vec![edge];
                    while chain[0].from != source {
                        chain.insert(0, previous[chain[0].from.as_str()]);
                    }
                    return Some(chain);
                }
                if !edge.external {
                    queue.push_back(&edge.to);
                }
            }
        }
        None
    }

    /// Strongly connected components (of more than one node) among the edges `keep` accepts.
    pub fn cycles(&self, keep: impl Fn(&Edge) -> bool) -> Vec<Vec<String>> {
        let edges: Vec<&Edge> = self.edges.iter().filter(|e| keep(e)).collect();
        let nodes: BTreeSet<&str> = edges.iter().flat_map(|e| [e.from.as_str(), e.to.as_str()]).collect();
        let index: HashMap<&str, usize> = nodes.iter().enumerate().map(|(i, n)| (*n, i)).collect();
        let names: Vec<&str> = nodes.into_iter().collect();
        let mut adjacency = vec![Vec::new(); names.len()];
        for edge in &edges {
            adjacency[index[edge.from.as_str()]].push(index[edge.to.as_str()]);
        }
        tarjan(&adjacency)
            .into_iter()
            .filter(|component| component.len() > 1)
            .map(|component| {
                let mut members: Vec<String> = component.into_iter().map(|i| names[i].to_owned()).collect();
                members.sort();
                members
            })
            .collect()
    }
}

/// Tarjan's strongly connected components, iterative (deep module graphs must not overflow).
fn tarjan(adjacency: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let n = adjacency.len();
    let (mut index, mut low, mut on_stack) = (vec![usize::MAX; n], vec![0; n], vec![false; n]);
    let (mut stack, mut components, mut counter) = (Vec::new(), Vec::new(), 0);
    for root in 0..n {
        if index[root] != usize::MAX {
            continue;
        }
        let mut work = vec![(root, 0usize)];
        while let Some((node, child)) = work.pop() {
            if child == 0 {
                index[node] = counter;
                low[node] = counter;
                counter += 1;
                stack.push(node);
                on_stack[node] = true;
            }
            if let Some(&next) = adjacency[node].get(child) {
                work.push((node, child + 1));
                if index[next] == usize::MAX {
                    work.push((next, 0));
                } else if on_stack[next] {
                    low[node] = low[node].min(index[next]);
                }
                continue;
            }
            if low[node] == index[node] {
                let mut component = Vec::new();
                while let Some(member) = stack.pop() {
                    on_stack[member] = false;
                    component.push(member);
                    if member == node {
                        break;
                    }
                }
                components.push(component);
            }
            if let Some(&(parent, _)) = work.last() {
                low[parent] = low[parent].min(low[node]);
            }
        }
    }
    components
}

/// How specific a pattern is: its literal segments, then all its segments (`a::b` before
/// `a::*` before `a`).
fn specificity(pattern: &str) -> (usize, usize) {
    let segments = pattern.split("::");
    (segments.clone().filter(|s| *s != "*" && *s != "**").count(), segments.count())
}

#[cfg(test)]
mod tests {
    use super::tarjan;

    #[test]
    fn finds_strongly_connected_components() {
        // 0 -> 1 -> 2 -> 0, 2 -> 3, 3 -> 4 -> 3
        let adjacency = vec![vec![1], vec![2], vec![0, 3], vec![4], vec![3]];
        let mut components: Vec<Vec<usize>> = tarjan(&adjacency)
            .into_iter()
            .map(|mut c| {
                c.sort();
                c
            })
            .collect();
        components.sort();
        assert_eq!(components, [vec![0, 1, 2], vec![3, 4]]);
    }
}
