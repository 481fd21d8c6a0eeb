//! `guardrail graph`: the architecture as mermaid (renders on GitHub as-is) or Graphviz dot,
//! grouped by layer, with the edges that break a rule drawn in red.

use super::rules::Violation;
use crate::discover::architecture::{matches, Architecture};
use crate::facts::arch_graph::{ArchGraph, Level};
use clap::ValueEnum;
use std::collections::BTreeSet;
use std::fmt::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    Mermaid,
    Dot,
}

/// One picture edge: (from, to, breaks a rule).
type PictureEdge = (String, String, bool);

/// Nodes and edges at `level`: crates, or workspace modules (external targets collapse to
/// their crate). Outside crates appear only when a rule or layer names them or an edge to them
/// breaks a rule: the picture is of the architecture, not of every dependency.
fn picture(
    graph: &ArchGraph,
    architecture: &Architecture,
    level: Level,
    violations: &[Violation],
) -> (BTreeSet<String>, Vec<PictureEdge>) {
    let named = |node: &str| {
        graph.layer_of(node).is_some()
            || architecture.forbidden.iter().any(|f| f.to.iter().any(|p| matches(p, node)))
            || architecture.independent.iter().any(|i| i.members.iter().any(|p| matches(p, node)))
    };
    let shown = |node: &str, external: bool| {
        if external {
            node.split("::").next().unwrap_or(node).to_owned()
        } else {
            node.to_owned()
        }
    };
    let mut edges: Vec<PictureEdge> = Vec::new();
    for edge in graph.edges.iter().filter(|e| e.level == level && !e.dev) {
        let (from, to) = (edge.from.clone(), shown(&edge.to, edge.external));
        let broken = violations.iter().any(|v| v.edge.0 == level && v.edge.1 == edge.from && v.edge.2 == edge.to);
        if edge.external && !broken && !named(&to) {
            continue;
        }
        match edges.iter_mut().find(|(f, t, _)| *f == from && *t == to) {
            Some(existing) => existing.2 |= broken,
            None => edges.push((from, to, broken)),
        }
    }
    let nodes = edges.iter().flat_map(|(f, t, _)| [f.clone(), t.clone()]).collect();
    (nodes, edges)
}

fn id(node: &str) -> String {
    node.replace("::", "__").replace(|c: char| !c.is_alphanumeric() && c != '_', "_")
}

pub fn render(
    graph: &ArchGraph,
    architecture: &Architecture,
    level: Level,
    violations: &[Violation],
    format: GraphFormat,
) -> String {
    let (nodes, edges) = picture(graph, architecture, level, violations);
    let layer_members = |index: usize| nodes.iter().filter(move |n| graph.layer_of(n) == Some(index));
    let unlayered: Vec<&String> = nodes.iter().filter(|n| graph.layer_of(n).is_none()).collect();
    let mut out = String::new();
    match format {
        GraphFormat::Mermaid => {
            out.push_str("flowchart TD\n");
            for (index, (name, _)) in graph.layers.iter().enumerate() {
                let _ = writeln!(out, "  subgraph layer_{}[\"layer: {name}\"]", id(name));
                for node in layer_members(index) {
                    let _ = writeln!(out, "    {}[\"{node}\"]", id(node));
                }
                out.push_str("  end\n");
            }
            for node in unlayered {
                let _ = writeln!(out, "  {}[\"{node}\"]", id(node));
            }
            for (from, to, _) in &edges {
                let _ = writeln!(out, "  {} --> {}", id(from), id(to));
            }
            for (i, _) in edges.iter().enumerate().filter(|(_, e)| e.2) {
                let _ = writeln!(out, "  linkStyle {i} stroke:#d1242f,stroke-width:3px");
            }
        }
        GraphFormat::Dot => {
            out.push_str("digraph architecture {\n  rankdir=TB;\n  node [shape=box];\n");
            for (index, (name, _)) in graph.layers.iter().enumerate() {
                let _ = writeln!(out, "  subgraph cluster_{} {{\n    label=\"layer: {name}\";", id(name));
                for node in layer_members(index) {
                    let _ = writeln!(out, "    \"{node}\";");
                }
                out.push_str("  }\n");
            }
            for node in unlayered {
                let _ = writeln!(out, "  \"{node}\";");
            }
            for (from, to, broken) in &edges {
                let style = if *broken { " [color=\"#d1242f\", penwidth=3]" } else { "" };
                let _ = writeln!(out, "  \"{from}\" -> \"{to}\"{style};");
            }
            out.push_str("}\n");
        }
    }
    out
}
