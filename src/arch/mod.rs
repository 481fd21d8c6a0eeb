//! Architecture: the native rules over the dependency graph of crates and modules
//! ([`crate::facts::arch_graph`]: layers, forbidden edges, independence, cycles, exceptions),
//! and its picture.

pub mod render;
pub mod rules;

use crate::discover::architecture::{matches, Architecture};
use crate::facts::ArchGraph;
use crate::findings::Finding;
use crate::rule::RuleSettings;
use rules::{Violation, UNMATCHED_EXCEPTION};
use std::collections::BTreeMap;

/// The violations that no exception excuses, as findings, plus the exceptions that excused
/// nothing (`unmatched-exception`).
pub fn check(
    graph: &ArchGraph,
    architecture: &Architecture,
    settings: &BTreeMap<String, RuleSettings>,
) -> Vec<Finding> {
    let (violations, used) = unexcused(graph, architecture);
    let mut findings = Vec::new();
    for violation in violations {
        let Some(severity) = settings.get(violation.rule).and_then(|s| s.severity) else { continue };
        findings.push(Finding {
            rule: violation.rule.to_owned(),
            severity,
            message: violation.message,
            location: violation.location,
            help: None,
            related: violation.related,
            fingerprint: String::new(),
        });
    }
    if let Some(severity) = settings.get(UNMATCHED_EXCEPTION).and_then(|s| s.severity) {
        for (exception, _) in architecture.exceptions.iter().zip(&used).filter(|(_, used)| !**used) {
            findings.push(Finding {
                rule: UNMATCHED_EXCEPTION.to_owned(),
                severity,
                message: format!("exception `{}` -> `{}` matches no violation", exception.from, exception.to),
                location: exception.location.clone(),
                help: Some("remove it, or correct its patterns".into()),
                related: Vec::new(),
                fingerprint: String::new(),
            });
        }
    }
    findings
}

/// The violations no exception excuses, and for each exception whether it excused one.
pub fn unexcused(graph: &ArchGraph, architecture: &Architecture) -> (Vec<Violation>, Vec<bool>) {
    let mut used = vec![false; architecture.exceptions.len()];
    let mut kept = Vec::new();
    for violation in rules::violations(graph, architecture) {
        let mut excused = false;
        for (exception, used) in architecture.exceptions.iter().zip(used.iter_mut()) {
            if excuses(exception, &violation) {
                *used = true;
                excused = true;
            }
        }
        if !excused {
            kept.push(violation);
        }
    }
    (kept, used)
}

/// An exception excuses a violation whose source matches `from` and whose first hop or final
/// target matches `to`.
fn excuses(exception: &crate::discover::architecture::Exception, violation: &Violation) -> bool {
    let (_, from, first_hop) = &violation.edge;
    let (source, target) = &violation.ends;
    (matches(&exception.from, source) || matches(&exception.from, from))
        && (matches(&exception.to, target) || matches(&exception.to, first_hop))
}
