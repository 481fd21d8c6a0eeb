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
    /// What it reports, precisely: what it recognises and where it points.
    pub details: String,
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

/// The known id nearest to a mistyped one, if it is near enough (at most three edits) to be
/// what was meant.
pub fn nearest_id<'a>(ids: impl IntoIterator<Item = &'a str>, typed: &str) -> Option<&'a str> {
    ids.into_iter().map(|id| (edit_distance(id, typed), id)).filter(|(d, _)| *d <= 3).min().map(|(_, id)| id)
}

/// Levenshtein distance.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (diagonal + usize::from(ca != *cb)).min(row[j] + 1).min(row[j + 1] + 1);
            diagonal = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nearest_id_is_suggested_only_when_near() {
        let ids = ["unbounded-channel", "unbounded-cache", "graceful-shutdown"];
        assert_eq!(nearest_id(ids, "unbounded-chanel"), Some("unbounded-channel"));
        assert_eq!(nearest_id(ids, "unbounded-cach"), Some("unbounded-cache"));
        assert_eq!(nearest_id(ids, "graceful_shutdown"), Some("graceful-shutdown"));
        assert_eq!(nearest_id(ids, "completely-different"), None);
    }
}
