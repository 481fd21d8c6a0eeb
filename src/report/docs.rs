//! `guardrail list` and `guardrail explain`: the rules' own documentation.

use crate::engine::RuleDoc;
use crate::facts::Service;
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

/// The full documentation of one rule, with its parameters and their defaults.
pub fn render_explain(doc: &RuleDoc, params: &[(String, String)]) -> String {
    let mut out = format!(
        "{id} ({severity} by default)\n\n{summary}\n\nWhy it matters\n  {rationale}\n\nExample\n{example}\n\nHow to fix\n  {fix}\n",
        id = doc.id,
        severity = doc.severity,
        summary = doc.summary,
        rationale = doc.rationale,
        example = indent(&doc.example),
        fix = doc.fix,
    );
    let _ = write!(
        out,
        "\nConfiguration ([rules.{}] in guardrail.toml)\n  severity = \"error\" | \"warning\" | \"note\" | \"off\"\n",
        doc.id
    );
    for (name, default) in params {
        let _ = writeln!(out, "  {name} (default: {default})");
    }
    out
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
