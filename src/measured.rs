//! What the ecosystem check measured for each built-in rule — `policies/measured.toml`, written by
//! `scripts/ecosystem.sh --write-measured` from judged findings on public repositories — and the
//! tier that puts the rule in. A built-in rule is on by default only when real code showed it
//! right (clippy's nursery, ruff's preview); a rule not measured yet is in preview.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::LazyLock;

/// Whether a built-in rule runs unless asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    /// On by default: right often enough on real code.
    Default,
    /// Off unless `--preview`, `preview = true` or `[rules.<id>] enabled = true`.
    Preview,
}

impl Tier {
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Default => "default",
            Tier::Preview => "preview",
        }
    }
}

/// One rule's numbers on the ecosystem repositories.
#[derive(Debug, Clone, Deserialize)]
pub struct Measurement {
    pub tier: Tier,
    /// Why that tier, in words: "precision 0.97 on 31 judged findings".
    pub why: String,
    /// Judged findings that were right, and wrong.
    #[serde(rename = "true")]
    pub right: u32,
    #[serde(rename = "false")]
    pub wrong: u32,
    pub unsure: u32,
    /// Real problems of the rule it did not report.
    pub missed: u32,
}

impl Measurement {
    pub fn precision(&self) -> Option<f64> {
        let judged = self.right + self.wrong;
        (judged > 0).then(|| f64::from(self.right) / f64::from(judged))
    }

    pub fn recall(&self) -> Option<f64> {
        let real = self.right + self.missed;
        (real > 0).then(|| f64::from(self.right) / f64::from(real))
    }

    /// "precision 0.97 (31 right, 1 wrong), recall 0.89 (4 missed)".
    pub fn summary(&self) -> String {
        let number = |value: Option<f64>| value.map_or_else(|| "-".to_owned(), |v| format!("{v:.2}"));
        format!(
            "precision {} ({} right, {} wrong, {} unsure), recall {} ({} missed)",
            number(self.precision()),
            self.right,
            self.wrong,
            self.unsure,
            number(self.recall()),
            self.missed
        )
    }
}

static MEASURED: LazyLock<BTreeMap<String, Measurement>> = LazyLock::new(|| {
    toml::from_str(include_str!("../policies/measured.toml")).expect("policies/measured.toml is a table of rules")
});

/// What was measured for rule `id`, if it was.
pub fn measured(id: &str) -> Option<&'static Measurement> {
    MEASURED.get(id)
}

/// The tier of the built-in rule `id`: preview until the ecosystem check measured it.
pub fn tier(id: &str) -> Tier {
    measured(id).map_or(Tier::Preview, |m| m.tier)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_measured_rule_is_in_the_tier_its_numbers_give() {
        for (id, m) in MEASURED.iter() {
            let judged = m.right + m.wrong;
            let earned =
                (judged >= 15 && m.precision().unwrap_or(0.0) >= 0.95) || (1..15).contains(&judged) && m.wrong == 0;
            assert_eq!(m.tier == Tier::Default, earned, "{id}: {m:?}");
        }
    }
}
