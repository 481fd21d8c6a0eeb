//! What every rule is, whoever implements it (a policy, the architecture check, the
//! suppression check): its documentation and how a run configures it. The floor below the
//! modules that define, configure, run and report rules.

use crate::findings::Severity;
use rhai::Map;

/// The documentation every rule carries, policy or native.
#[derive(Debug, Clone)]
pub struct RuleDoc {
    pub id: String,
    pub severity: Severity,
    pub summary: String,
    pub rationale: String,
    pub example: String,
    pub fix: String,
}

/// How one rule runs.
#[derive(Debug, Clone)]
pub struct RuleSettings {
    /// `None` when the rule is off.
    pub severity: Option<Severity>,
    /// The highest severity a finding may have: the severity `guardrail.toml` sets, or, when it
    /// sets none, any (a policy may report above its default, like in-memory-state's error once
    /// replicas run the state).
    pub ceiling: Severity,
    pub params: Map,
}
