//! `--format junit`: one failing test case per finding (its rule as the class, its place as the
//! name), for CI systems that show test reports.

use crate::findings::Outcome;
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
    let failures = outcome.findings.len() + outcome.problems.len();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(out, "<testsuites name=\"guardrail\" tests=\"{}\" failures=\"{failures}\">", failures.max(1));
    let _ = writeln!(out, "  <testsuite name=\"guardrail\" tests=\"{}\" failures=\"{failures}\">", failures.max(1));
    if failures == 0 {
        let _ = writeln!(out, "    <testcase classname=\"guardrail\" name=\"{} files checked\"/>", outcome.files);
    }
    for f in &outcome.findings {
        let place = format!("{}:{}:{}", f.location.path, f.location.line, f.location.column);
        let _ = writeln!(out, "    <testcase classname=\"{}\" name=\"{}\">", xml(&f.rule), xml(&place));
        let detail = format!("{place}: {} {}", f.severity, f.message);
        let _ = writeln!(
            out,
            "      <failure message=\"{}\" type=\"{}\">{}</failure>",
            xml(&f.message),
            f.severity,
            xml(&detail)
        );
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::{Finding, Severity};

    fn finding(line: u32, message: &str) -> Finding {
        Finding::plain("unbounded-channel", Severity::Error, ("src/main.rs", line, 5), message)
    }

    #[test]
    fn two_findings_of_one_rule_in_one_file_are_two_cases() {
        let outcome =
            Outcome { findings: vec![finding(3, "queue a"), finding(9, "queue <b>")], files: 1, ..Outcome::default() };
        let xml = render_junit(&outcome);
        assert!(xml.contains("tests=\"2\" failures=\"2\""), "{xml}");
        assert!(xml.contains("<testcase classname=\"unbounded-channel\" name=\"src/main.rs:3:5\">"), "{xml}");
        assert!(xml.contains("<testcase classname=\"unbounded-channel\" name=\"src/main.rs:9:5\">"), "{xml}");
        assert!(
            xml.contains(
                "<failure message=\"queue &lt;b&gt;\" type=\"error\">src/main.rs:9:5: error queue &lt;b&gt;</failure>"
            ),
            "{xml}"
        );
        assert_eq!(xml.matches("<testcase ").count(), 2);
    }
}
