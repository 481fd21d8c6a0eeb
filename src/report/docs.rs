//! `guardrail list` and `guardrail explain`: the rules' own documentation.

use crate::engine::RuleDoc;
use std::fmt::Write;

/// One line per rule: id, default severity, where it comes from, summary.
pub fn render_list(rules: &[(&RuleDoc, &str)]) -> String {
    let width = rules.iter().map(|(doc, _)| doc.id.len()).max().unwrap_or(0);
    let mut out = String::new();
    for (doc, origin) in rules {
        let _ = writeln!(out, "{:width$}  {:7}  {:8}  {}", doc.id, doc.severity.as_str(), origin, doc.summary);
    }
    out
}

/// The full documentation of one rule.
pub fn render_explain(doc: &RuleDoc) -> String {
    format!(
        "{id} ({severity} by default)\n\n{summary}\n\nWhy it matters\n  {rationale}\n\nExample\n{example}\n\nHow to fix\n  {fix}\n",
        id = doc.id,
        severity = doc.severity,
        summary = doc.summary,
        rationale = doc.rationale,
        example = indent(&doc.example),
        fix = doc.fix,
    )
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("    {l}")).collect::<Vec<_>>().join("\n")
}
