//! `--format github`: GitHub Actions workflow commands, one annotation per finding, with the
//! documented escaping (`%`, CR and LF in messages; also `:` and `,` in properties).

use crate::findings::{Outcome, Severity};
use std::fmt::Write;

/// The documented escapes, and `##[` broken: the runner reads that anywhere in a line.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A").replace("##[", "# #[")
}

fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// `file=…,line=…,col=…` for a location, or nothing for a problem with no file.
fn position(path: &str, line: u32, column: u32, prefix: &str) -> String {
    if path.is_empty() {
        String::new()
    } else {
        format!("file={},line={line},col={column},", escape_property(&format!("{prefix}{path}")))
    }
}

pub fn render_github(outcome: &Outcome, prefix: &str) -> String {
    let mut out = String::new();
    for f in &outcome.findings {
        let command = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "notice",
        };
        let message = match &f.help {
            Some(help) => format!("{}\n{help}", f.message),
            None => f.message.clone(),
        };
        let at = &f.location;
        let _ = writeln!(
            out,
            "::{command} {}endLine={},endColumn={},title={}::{}",
            position(&at.path, at.line, at.column, prefix),
            at.end_line,
            at.end_column,
            escape_property(&format!("guardrail: {}", f.rule)),
            escape_data(&message)
        );
    }
    for p in &outcome.problems {
        let _ = writeln!(
            out,
            "::error {}title={}::{}",
            position(&p.location.path, p.location.line, p.location.column, prefix),
            escape_property("guardrail: error"),
            escape_data(&p.message)
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_as_documented() {
        assert_eq!(escape_data("50% done\r\nnext ##[error]"), "50%25 done%0D%0Anext # #[error]");
        assert_eq!(escape_property("a:b,c%"), "a%3Ab%2Cc%25");
    }
}
