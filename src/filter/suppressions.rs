//! Inline suppressions: `// guardrail-allow(<rule>): <reason>` at the end of the finding's
//! line or alone on the line above it. A reason is required, and a suppression that hides
//! nothing is reported, so suppressions cannot quietly outlive the code they excused.

use crate::facts::{Facts, Suppression};
use crate::findings::{Finding, Severity};
use crate::rule::{nearest_id, RuleDoc, RuleSettings};
use crate::symbol::Symbol;
use std::collections::{BTreeMap, HashSet};

pub const UNUSED_SUPPRESSION: &str = "unused-suppression";
pub const SUPPRESSION_WITHOUT_REASON: &str = "suppression-without-reason";

/// The suppression rules' documentation.
pub fn docs() -> Vec<RuleDoc> {
    vec![
        RuleDoc {
            id: UNUSED_SUPPRESSION.into(),
            severity: Severity::Warning,
            summary: "a guardrail-allow comment that suppresses nothing".into(),
            details: "a `guardrail-allow(<rule>): <reason>` comment with no finding of its rule on the line it \
                      covers (alone on a line: the next line or item; after code: its own line), or naming no rule; \
                      the nearest rule id is suggested"
                .into(),
            rationale: "A suppression outlives the code it excused: the finding was fixed or moved, or the rule id is \
                        misspelt. Left in place it would silently hide the next real finding on that line."
                .into(),
            example: "let (tx, rx) = tokio::sync::mpsc::channel(64); // guardrail-allow(unbounded-channel): legacy".into(),
            fix: "delete the comment, or correct the rule id".into(),
        },
        RuleDoc {
            id: SUPPRESSION_WITHOUT_REASON.into(),
            severity: Severity::Error,
            summary: "a guardrail-allow comment without a reason; it suppresses nothing".into(),
            details: "a `guardrail-allow(<rule>)` comment with no reason after a colon: it suppresses nothing until \
                      the reason is written"
                .into(),
            rationale: "Every exception to a policy needs its why written next to it, so a reviewer can judge it and \
                        a later reader can tell when it no longer holds."
                .into(),
            example: "let (tx, rx) = tokio::sync::mpsc::unbounded_channel(); // guardrail-allow(unbounded-channel)"
                .into(),
            fix: "add the reason after a colon: `// guardrail-allow(unbounded-channel): bounded by the 10-item batch upstream`"
                .into(),
        },
    ]
}

pub fn apply(
    findings: Vec<Finding>,
    facts: &Facts,
    settings: &BTreeMap<String, RuleSettings>,
) -> (Vec<Finding>, usize) {
    let by_file: BTreeMap<Symbol, &[Suppression]> = facts
        .files
        .iter()
        .filter(|f| !f.facts.suppressions.is_empty())
        .map(|f| (f.facts.path, f.facts.suppressions.as_slice()))
        .collect();
    let mut used: HashSet<(Symbol, usize)> = HashSet::new();
    let mut kept = Vec::with_capacity(findings.len());
    let mut suppressed = 0;
    for finding in findings {
        let matching = by_file.get(&finding.location.path).and_then(|list| {
            list.iter().position(|s| {
                s.reason.is_some()
                    && s.rule == finding.rule
                    && (s.target_line..=s.target_end_line).contains(&finding.location.line)
            })
        });
        match matching {
            Some(i) => {
                used.insert((finding.location.path, i));
                suppressed += 1;
            }
            None => kept.push(finding),
        }
    }
    let severity_of = |rule: &str| settings.get(rule).and_then(|s| s.severity);
    for (path, list) in by_file {
        for (i, suppression) in list.iter().enumerate() {
            let (rule, message, help) = if suppression.reason.is_none() {
                (
                    SUPPRESSION_WITHOUT_REASON,
                    format!("guardrail-allow({}) has no reason, so it suppresses nothing", suppression.rule),
                    "write why after a colon: `guardrail-allow(<rule>): <reason>`".to_owned(),
                )
            } else if !used.contains(&(path, i)) {
                // A suppression for a rule that is turned off has nothing to suppress here.
                if settings.get(&suppression.rule).is_some_and(|s| s.severity.is_none()) {
                    continue;
                }
                let known = settings.contains_key(&suppression.rule);
                let why = if known { "no finding of that rule on its line" } else { "no rule has that id" };
                let meant = (!known).then(|| nearest_id(settings.keys().map(String::as_str), &suppression.rule));
                let help = match meant.flatten() {
                    Some(id) => format!("did you mean `{id}`? `guardrail-allow({id}): <reason>`"),
                    None => "remove the comment".to_owned(),
                };
                (UNUSED_SUPPRESSION, format!("guardrail-allow({}) suppresses nothing: {why}", suppression.rule), help)
            } else {
                continue;
            };
            if let Some(severity) = severity_of(rule) {
                kept.push(Finding {
                    rule: rule.to_owned(),
                    severity,
                    message,
                    location: suppression.location.clone(),
                    help: Some(help),
                    related: Vec::new(),
                    fingerprint: String::new(),
                });
            }
        }
    }
    (kept, suppressed)
}
