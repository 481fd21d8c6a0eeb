//! Filter: inline suppressions (and the findings about suppressions themselves), fingerprints,
//! and the deterministic order of the report.

pub mod baseline;
pub mod diff;
mod fingerprint;
mod suppressions;

use crate::facts::Facts;
use crate::findings::Finding;
use crate::rule::RuleSettings;
use crate::sources::Sources;
pub use fingerprint::fingerprint;
use std::collections::BTreeMap;
pub use suppressions::docs as suppression_rules;

/// Applies suppressions, adds fingerprints and sorts. Returns the findings and how many
/// were suppressed.
pub fn apply(
    findings: Vec<Finding>,
    facts: &Facts,
    settings: &BTreeMap<String, RuleSettings>,
    sources: &Sources,
) -> (Vec<Finding>, usize) {
    let (mut findings, suppressed) = suppressions::apply(findings, facts, settings);
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    fingerprint::assign(&mut findings, sources);
    (findings, suppressed)
}
