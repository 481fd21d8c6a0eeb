//! `guardrail list` and `guardrail explain`: the rules' own documentation.

use crate::engine::{Origin, Policy, PolicySet};
use crate::facts::Service;
use crate::measured::{Measurement, Tier};
use crate::native::NATIVE_RULES;
use crate::rule::RuleDoc;
use std::fmt::Write;

/// A rule as `list` and `explain` show it: its documentation, where it comes from, and for a
/// built-in policy its tier.
pub struct Listed<'a> {
    pub doc: &'a RuleDoc,
    /// `built-in`, `user` or `native`.
    pub origin: &'static str,
    /// For built-in policies: their tier, and what the ecosystem check measured.
    pub tier: Option<(Tier, Option<&'static Measurement>)>,
}

/// One line per rule: id, default severity, tier, where it comes from, summary.
pub fn render_list(rules: &[Listed]) -> String {
    let width = rules.iter().map(|rule| rule.doc.id.len()).max().unwrap_or(0);
    let mut out = String::new();
    for rule in rules {
        let tier = rule.tier.map_or("default", |(tier, _)| tier.as_str());
        let doc = rule.doc;
        let _ = writeln!(
            out,
            "{:width$}  {:7}  {:7}  {:8}  {}",
            doc.id,
            doc.severity.as_str(),
            tier,
            rule.origin,
            doc.summary
        );
    }
    out
}

/// The full documentation of one rule, with its tier, its parameters and their defaults.
pub fn render_explain(rule: &Listed, params: &[(String, String)]) -> String {
    let doc = rule.doc;
    let mut out = format!(
        "{id} ({severity} by default{preview})\n\n{summary}\n{details}\nWhy it matters\n  {rationale}\n\nExample\n{example}\n\nHow to fix\n  {fix}\n",
        id = doc.id,
        severity = doc.severity,
        preview = if matches!(rule.tier, Some((Tier::Preview, _))) { "; in preview: off unless asked for" } else { "" },
        summary = doc.summary,
        details = if doc.details.is_empty() { String::new() } else { format!("\nWhat it reports\n  {}\n", doc.details) },
        rationale = doc.rationale,
        example = indent(&doc.example),
        fix = doc.fix,
    );
    if let Some((tier, measurement)) = rule.tier {
        let _ = writeln!(out, "\nMeasured on real code (docs/ecosystem.md)");
        match measurement {
            Some(m) => {
                let _ = writeln!(out, "  {}\n  tier: {} — {}", m.summary(), tier.as_str(), m.why);
            }
            None => {
                let _ = writeln!(out, "  not measured yet\n  tier: {}", tier.as_str());
            }
        }
        if tier == Tier::Preview {
            let _ = writeln!(
                out,
                "  run it with `guardrail check --preview`, `preview = true`, or [rules.{}] enabled = true",
                doc.id
            );
        }
    }
    let _ = write!(
        out,
        "\nConfiguration ([rules.{}] in guardrail.toml)\n  severity = \"error\" | \"warning\" | \"note\" | \"off\"\n  enabled = true | false\n",
        doc.id
    );
    for (name, default) in params {
        let _ = writeln!(out, "  {name} (default: {default})");
    }
    let _ = write!(
        out,
        "\nSuppressing one finding\n  // guardrail-allow({}): <why this one is fine>\n  {SUPPRESSING}\n",
        doc.id
    );
    out
}

/// Where a suppression goes, for `explain` and the rule pages.
const SUPPRESSING: &str =
    "alone on the line above the finding or at the end of its line (`#` in YAML; `--` in SQL; in a \
                           Dockerfile only on the line above); without a reason it suppresses nothing";

/// Every rule as `list`, `explain` and the rule pages show it: policies (built-in ones with
/// their tier), then native rules.
pub fn every_rule(policies: &PolicySet) -> Vec<Listed<'_>> {
    let native = NATIVE_RULES.iter().map(|doc| Listed { doc, origin: "native", tier: None });
    policies.policies.iter().map(listed).chain(native).collect()
}

fn listed(policy: &Policy) -> Listed<'_> {
    if policy.origin == Origin::Builtin {
        let id = &policy.doc.id;
        let tier = Some((crate::measured::tier(id), crate::measured::measured(id)));
        Listed { doc: &policy.doc, origin: "built-in", tier }
    } else {
        Listed { doc: &policy.doc, origin: "user", tier: None }
    }
}

/// A rule's page (docs/rules/ID.md): what `explain` prints, as markdown.
pub fn render_rule_page(rule: &Listed, params: &[(String, String)]) -> String {
    let doc = rule.doc;
    let mut out = format!("# `{}`\n\n{}\n\n", doc.id, capitalised(&doc.summary));
    let tier = match rule.tier {
        Some((Tier::Preview, _)) => " · **preview**: off unless asked for (`guardrail check --preview`)",
        Some((Tier::Default, _)) => " · on by default",
        None => "",
    };
    let _ = writeln!(out, "Severity: **{}**{tier} · {} rule\n", doc.severity, rule.origin);
    if !doc.details.is_empty() {
        let _ = writeln!(out, "## What it reports\n\n{}.\n", capitalised(doc.details.trim_end_matches('.')));
    }
    let _ = writeln!(out, "## Why it matters\n\n{}\n", doc.rationale);
    let _ = writeln!(out, "## Example\n\n```text\n{}\n```\n", doc.example);
    let _ = writeln!(out, "## How to fix\n\n{}.\n", capitalised(doc.fix.trim_end_matches('.')));
    if let Some((tier, measurement)) = rule.tier {
        let measured = measurement
            .map_or("not measured yet".to_owned(), |m| format!("{}; tier {} — {}", m.summary(), tier.as_str(), m.why));
        let _ = writeln!(out, "## Measured on real code\n\n{measured} ([the ecosystem check](../ecosystem.md)).\n");
    }
    let _ = writeln!(out, "## Configuration\n\n```toml\n[rules.{}]\nseverity = \"{}\"   # \"error\" | \"warning\" | \"note\" | \"off\"\nenabled = true", doc.id, doc.severity);
    for (name, default) in params {
        let _ = writeln!(out, "{name} = {default}");
    }
    out.push_str("```\n\n");
    let _ = writeln!(
        out,
        "## Suppressing one finding\n\n```text\n// guardrail-allow({}): <why this one is fine>\n```\n\n{}.",
        doc.id,
        capitalised(SUPPRESSING)
    );
    out
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| first.to_uppercase().chain(chars).collect())
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("    {l}")).collect::<Vec<_>>().join("\n")
}

/// The service map, one block per service, with the evidence for every link.
pub fn render_services(services: &[Service]) -> String {
    if services.is_empty() {
        return "no services: no binary is linked to a Dockerfile, compose service or Kubernetes workload\n".to_owned();
    }
    let mut out = String::new();
    for service in services {
        let origin = if service.declared { "declared in guardrail.toml" } else { "found" };
        let _ = writeln!(out, "{} ({origin})", service.name);
        if let (Some(bin), Some(package)) = (&service.bin, &service.package) {
            let _ = writeln!(out, "  binary      {bin} (package {package})");
        }
        for dockerfile in &service.dockerfiles {
            let _ = writeln!(out, "  dockerfile  {dockerfile}");
        }
        for (file, name) in &service.compose_services {
            let _ = writeln!(out, "  compose     {name} in {file}");
        }
        for (file, kind, name) in &service.workloads {
            let _ = writeln!(out, "  kubernetes  {kind} {name} in {file}");
        }
        let _ = writeln!(out, "  evidence");
        for evidence in &service.evidence {
            let _ = writeln!(out, "    - {evidence}");
        }
    }
    out
}
