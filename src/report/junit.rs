//! `--format junit`: one test case per rule and file, failing with its findings, for CI
//! systems that show test reports.

use crate::findings::Outcome;
use std::collections::BTreeMap;
use std::fmt::Write;

/// Text as XML 1.0 character data: markup escaped, and the characters XML cannot hold at all
/// (most control characters, even as references) replaced.
fn xml(text: &str) -> String {
    let allowed =
        |c: char| matches!(c, '\t' | '\n' | '\r' | ' '..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..);
    text.chars()
        .map(|c| if allowed(c) { c } else { '\u{FFFD}' })
        .collect::<String>()
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

pub fn render_junit(outcome: &Outcome) -> String {
    let mut cases: BTreeMap<(&str, &str), Vec<String>> = BTreeMap::new();
    for f in &outcome.findings {
        let line =
            format!("{}:{}:{}: {} {}", f.location.path, f.location.line, f.location.column, f.severity, f.message);
        cases.entry((&f.rule, &f.location.path)).or_default().push(line);
    }
    let failures = cases.len() + outcome.problems.len();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(out, "<testsuites name=\"guardrail\" tests=\"{}\" failures=\"{failures}\">", failures.max(1));
    let _ = writeln!(out, "  <testsuite name=\"guardrail\" tests=\"{}\" failures=\"{failures}\">", failures.max(1));
    if failures == 0 {
        let _ = writeln!(out, "    <testcase classname=\"guardrail\" name=\"{} files checked\"/>", outcome.files);
    }
    for ((rule, path), lines) in &cases {
        let _ = writeln!(out, "    <testcase classname=\"{}\" name=\"{}\">", xml(rule), xml(path));
        let _ = writeln!(out, "      <failure message=\"{}\">{}</failure>", xml(&lines[0]), xml(&lines.join("\n")));
        out.push_str("    </testcase>\n");
    }
    for p in &outcome.problems {
        let _ = writeln!(out, "    <testcase classname=\"guardrail.error\" name=\"{}\">", xml(&p.location.path));
        let _ = writeln!(out, "      <error message=\"{}\"/>", xml(&p.message));
        out.push_str("    </testcase>\n");
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}
