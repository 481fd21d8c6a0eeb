//! `--format markdown`: the job summary — counts by rule and severity, a table of findings,
//! and the architecture diagram when one is declared.

use crate::findings::{Outcome, Severity};
use crate::wording::counted;
use std::collections::BTreeMap;
use std::fmt::Write;

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

pub fn render_markdown(outcome: &Outcome, diagram: Option<&str>) -> String {
    let mut out = String::from("## guardrail\n\n");
    let count = |s: Severity| outcome.findings.iter().filter(|f| f.severity == s).count();
    let _ = writeln!(
        out,
        "**{}, {}, {}** in {}{}.\n",
        counted(count(Severity::Error), "error"),
        counted(count(Severity::Warning), "warning"),
        counted(count(Severity::Note), "note"),
        counted(outcome.files, "file"),
        if outcome.problems.is_empty() {
            String::new()
        } else {
            format!("; {}", counted(outcome.problems.len(), "problem"))
        }
    );
    if !outcome.findings.is_empty() {
        let mut by_rule: BTreeMap<(&str, Severity), usize> = BTreeMap::new();
        for f in &outcome.findings {
            *by_rule.entry((&f.rule, f.severity)).or_default() += 1;
        }
        out.push_str("| rule | severity | findings |\n|---|---|---|\n");
        for ((rule, severity), n) in by_rule {
            let _ = writeln!(out, "| `{rule}` | {severity} | {n} |");
        }
        out.push_str("\n| location | rule | message |\n|---|---|---|\n");
        for f in &outcome.findings {
            let _ =
                writeln!(out, "| `{}:{}` | `{}` | {} |", f.location.path, f.location.line, f.rule, cell(&f.message));
        }
        out.push('\n');
    }
    for p in &outcome.problems {
        let _ = writeln!(out, "- :x: `{}:{}` {}", p.location.path, p.location.line, cell(&p.message));
    }
    if !outcome.left_out.is_empty() {
        out.push_str("\n**Left out**\n\n");
        for left_out in &outcome.left_out {
            let _ = writeln!(out, "- {}", cell(&left_out.line()));
        }
    }
    if let Some(diagram) = diagram {
        let _ = write!(out, "\n### Architecture\n\n```mermaid\n{diagram}```\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::Finding;

    #[test]
    fn counts_of_one_are_singular() {
        let note = Finding::plain("telemetry", Severity::Note, ("src/main.rs", 1, 1), "no tracing");
        let outcome = Outcome { findings: vec![note], files: 1, ..Outcome::default() };
        assert!(render_markdown(&outcome, None)
            .starts_with("## guardrail\n\n**0 errors, 0 warnings, 1 note** in 1 file.\n"));
    }
}
