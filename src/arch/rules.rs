//! The architecture rules, native for speed (like import-linter and tach): layers, forbidden
//! dependencies, independence, cycles, and exceptions that must keep matching something.

use crate::discover::architecture::{matches, Architecture};
use crate::facts::arch_graph::{ArchGraph, Edge, Level};
use crate::findings::{Related, Severity};
use crate::location::Location;
use crate::rule::RuleDoc;

pub const LAYER_VIOLATION: &str = "layer-violation";
pub const FORBIDDEN_DEPENDENCY: &str = "forbidden-dependency";
pub const INDEPENDENCE_VIOLATION: &str = "independence-violation";
pub const DEPENDENCY_CYCLE: &str = "dependency-cycle";
pub const UNMATCHED_EXCEPTION: &str = "unmatched-exception";

fn doc(id: &str, severity: Severity, summary: &str, rationale: &str, example: &str, fix: &str) -> RuleDoc {
    RuleDoc {
        id: id.into(),
        severity,
        summary: summary.into(),
        details: details(id).into(),
        rationale: rationale.into(),
        example: example.into(),
        fix: fix.into(),
    }
}

/// What each architecture rule reports, precisely.
fn details(id: &str) -> &'static str {
    match id {
        LAYER_VIOLATION => "a crate (at its `Cargo.toml` dependency line) or module (at the `use` or path) that depends on a layer above its own",
        FORBIDDEN_DEPENDENCY => "a module that reaches a forbidden crate or module, directly or through a chain of modules (the shortest chain is shown, hop by hop)",
        INDEPENDENCE_VIOLATION => "one of a set of independent crates or modules reaching another",
        DEPENDENCY_CYCLE => "modules of one crate that depend on each other in a cycle (a child using its parent is not one), or crates through dev-dependencies",
        UNMATCHED_EXCEPTION => "an architecture exception that excuses nothing",
        _ => "",
    }
}

/// The documentation of the architecture rules.
pub fn docs() -> Vec<RuleDoc> {
    vec![
        doc(
            LAYER_VIOLATION,
            Severity::Error,
            "a module or crate depends on a layer above its own",
            "Layers keep change flowing one way: the domain does not know the API that serves it. Once a lower layer \
             imports an upper one, the two can no longer change, test or deploy apart, and the next shortcut is easier.",
            "[[architecture.layers]]\nname = \"api\"\nmembers = [\"shop-api\"]\n[[architecture.layers]]\nname = \"domain\"\nmembers = [\"shop-domain\"]\n\n// in shop-domain:\nuse shop_api::dto::OrderDto;",
            "move what both need into the lower layer, or invert the dependency with a trait the lower layer owns",
        ),
        doc(
            FORBIDDEN_DEPENDENCY,
            Severity::Error,
            "a module reaches a dependency it must never touch, directly or through a chain",
            "Some edges are decisions: the domain stays free of I/O so it can be tested without a database. A chain \
             through a helper module breaks the decision as surely as a direct import, just less visibly.",
            "[[architecture.forbid]]\nfrom = [\"shop-domain\"]\nto = [\"sqlx\"]\n\n// shop_domain::order -> shop_shared::db -> sqlx",
            "remove the edge at the first hop of the chain, or move the code that needs the dependency out of `from`",
        ),
        doc(
            INDEPENDENCE_VIOLATION,
            Severity::Error,
            "one of a set of independent crates or modules reaches another",
            "Independent components (billing and shipping) can be owned, changed and split out separately only as \
             long as neither depends on the other, not even through a third module.",
            "[[architecture.independent]]\nmembers = [\"billing\", \"shipping\"]\n\n// in billing:\nuse shipping::Label;",
            "share through a lower common crate, or communicate through events instead of imports",
        ),
        doc(
            DEPENDENCY_CYCLE,
            Severity::Warning,
            "modules of a crate depend on each other in a cycle (or crates, through dev-dependencies)",
            "A cycle makes its modules one unit: none can be understood, tested or extracted alone, and every change \
             ripples around it. Dev-dependency cycles between crates make builds and publishing order fragile.",
            "// crate::orders uses crate::billing, and crate::billing uses crate::orders",
            "break the cycle at its weakest edge: move the shared type down, or depend on a trait",
        ),
        doc(
            UNMATCHED_EXCEPTION,
            Severity::Warning,
            "an architecture exception that matches no violation",
            "An exception outlives the violation it excused: the code was fixed, or the pattern is misspelt. Left in \
             place it would silently allow the next real violation.",
            "[[architecture.exception]]\nfrom = \"shop-api::legacy\"\nto = \"shop-storage::raw\"\nreason = \"removed in 2.0\"",
            "delete the exception, or correct its patterns",
        ),
    ]
}

/// A rule broken: the edge (or chain) that breaks it.
#[derive(Debug, Clone)]
pub struct Violation {
    pub rule: &'static str,
    pub message: String,
    pub location: Location,
    pub related: Vec<Related>,
    /// (level, from, to) of the first hop, for exceptions and pictures.
    pub edge: (Level, String, String),
    /// The source and final target, for exceptions.
    pub ends: (String, String),
}

fn chain_text(chain: &[&Edge]) -> String {
    let mut nodes = vec![chain[0].from.as_str()];
    nodes.extend(chain.iter().map(|e| e.to.as_str()));
    nodes.join(" -> ")
}

fn hops(chain: &[&Edge]) -> Vec<Related> {
    chain[1..]
        .iter()
        .map(|e| Related { location: e.location.clone(), message: format!("`{}` uses `{}` here", e.from, e.to) })
        .collect()
}

fn because(reason: &Option<String>) -> String {
    reason.as_ref().map_or(String::new(), |r| format!(": {r}"))
}

/// Every violation of `architecture` in `graph`, before exceptions.
pub fn violations(graph: &ArchGraph, architecture: &Architecture) -> Vec<Violation> {
    let mut found = Vec::new();
    let counts = |e: &Edge| !e.dev || architecture.dev_dependencies;
    layer_violations(graph, &counts, &mut found);
    for rule in &architecture.forbidden {
        let is_source = |n: &str| rule.from.iter().any(|p| matches(p, n));
        let is_target = |n: &str| rule.to.iter().any(|p| matches(p, n));
        reachability(graph, &counts, &is_source, &is_target, &mut found, |from, to| {
            (FORBIDDEN_DEPENDENCY, format!("`{from}` must not depend on `{to}`{}", because(&rule.reason)))
        });
    }
    for rule in &architecture.independent {
        for a in &rule.members {
            for b in rule.members.iter().filter(|b| *b != a) {
                let is_source = |n: &str| matches(a, n);
                let is_target = |n: &str| matches(b, n) && !matches(a, n);
                reachability(graph, &counts, &is_source, &is_target, &mut found, |from, to| {
                    (
                        INDEPENDENCE_VIOLATION,
                        format!(
                            "`{from}` reaches `{to}`, but `{a}` and `{b}` are independent{}",
                            because(&rule.reason)
                        ),
                    )
                });
            }
        }
    }
    if architecture.acyclic {
        cycle_violations(graph, &mut found);
    }
    found
}

fn layer_violations(graph: &ArchGraph, counts: &dyn Fn(&Edge) -> bool, found: &mut Vec<Violation>) {
    let crate_of = |node: &str| node.split("::").next().unwrap_or(node).to_owned();
    let mut reported_crates = Vec::new();
    for edge in graph.edges.iter().filter(|e| counts(e)) {
        let (Some(from), Some(to)) = (graph.layer_of(&edge.from), graph.layer_of(&edge.to)) else { continue };
        if to >= from {
            continue;
        }
        let pair = (crate_of(&edge.from), crate_of(&edge.to));
        if edge.level == Level::Module && reported_crates.contains(&pair) {
            continue; // The manifest's dependency line already says it.
        }
        if edge.level == Level::Crate {
            reported_crates.push(pair);
        }
        found.push(Violation {
            rule: LAYER_VIOLATION,
            message: format!(
                "`{}` (layer `{}`) depends on `{}` (layer `{}`, above it)",
                edge.from, graph.layers[from].0, edge.to, graph.layers[to].0
            ),
            location: edge.location.clone(),
            related: Vec::new(),
            edge: (edge.level, edge.from.clone(), edge.to.clone()),
            ends: (edge.from.clone(), edge.to.clone()),
        });
    }
}

/// Direct crate edges and shortest module chains from sources to targets. A chain whose next
/// module is itself a source is left to that module, which reports it more directly.
fn reachability(
    graph: &ArchGraph,
    counts: &dyn Fn(&Edge) -> bool,
    is_source: &dyn Fn(&str) -> bool,
    is_target: &dyn Fn(&str) -> bool,
    found: &mut Vec<Violation>,
    describe: impl Fn(&str, &str) -> (&'static str, String),
) {
    for edge in graph.edges.iter().filter(|e| e.level == Level::Crate && counts(e)) {
        if is_source(&edge.from) && is_target(&edge.to) {
            let (rule, message) = describe(&edge.from, &edge.to);
            found.push(Violation {
                rule,
                message,
                location: edge.location.clone(),
                related: Vec::new(),
                edge: (Level::Crate, edge.from.clone(), edge.to.clone()),
                ends: (edge.from.clone(), edge.to.clone()),
            });
        }
    }
    for source in graph.modules.iter().filter(|m| is_source(m)) {
        let Some(chain) = graph.shortest_path(source, is_target) else { continue };
        if chain.len() > 1 && is_source(&chain[0].to) {
            continue;
        }
        let target = &chain[chain.len() - 1].to;
        let (rule, mut message) = describe(source, target);
        if chain.len() > 1 {
            message = format!("{message} (through {})", chain_text(&chain));
        }
        found.push(Violation {
            rule,
            message,
            location: chain[0].location.clone(),
            related: hops(&chain),
            edge: (Level::Module, chain[0].from.clone(), chain[0].to.clone()),
            ends: (source.clone(), target.clone()),
        });
    }
}

fn cycle_violations(graph: &ArchGraph, found: &mut Vec<Violation>) {
    let crate_of = |node: &str| node.split("::").next().unwrap_or(node).to_owned();
    // A module using its parent (`use crate::Error`, `use super::X`) is how Rust code is
    // written, not a cycle; a parent using its child, which uses a sibling, can be one.
    let within_crate = |e: &Edge| {
        e.level == Level::Module && !e.external && crate_of(&e.from) == crate_of(&e.to) && !matches(&e.to, &e.from)
    };
    let between_crates = |e: &Edge| e.level == Level::Crate && !e.external;
    for (keep, what) in [(&within_crate as &dyn Fn(&Edge) -> bool, "module"), (&between_crates, "crate")] {
        for members in graph.cycles(keep) {
            let in_cycle: Vec<&Edge> = graph
                .edges
                .iter()
                .filter(|e| keep(e) && members.contains(&e.from) && members.contains(&e.to))
                .collect();
            let mut first = in_cycle.clone();
            first.sort_by(|a, b| a.location.cmp(&b.location));
            let Some(start) = first.first() else { continue };
            let back = graph.search(&start.to, &|n| n == start.from, keep).unwrap_or_default();
            let mut chain = vec![*start];
            chain.extend(back);
            found.push(Violation {
                rule: DEPENDENCY_CYCLE,
                message: format!("{what} cycle: {}", chain_text(&chain)),
                location: start.location.clone(),
                related: hops(&chain),
                edge: (start.level, start.from.clone(), start.to.clone()),
                ends: (start.from.clone(), start.from.clone()),
            });
        }
    }
}
