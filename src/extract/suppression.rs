//! `guardrail-allow(<rule>[, <rule>]): <reason>` comments.

use super::comments::{line_comments, rule_ids, target_line, CommentStyle};
use crate::facts::Suppression;
use crate::location::LineIndex;
use crate::symbol::Symbol;

const DIRECTIVE: &str = "guardrail-allow(";

/// Every suppression comment in a file written in `style`.
pub fn suppressions(path: Symbol, text: &str, style: CommentStyle) -> Vec<Suppression> {
    if !text.contains(DIRECTIVE) {
        return Vec::new();
    }
    let index = LineIndex::new(text);
    let lines: Vec<&str> = text.lines().collect();
    let comments = line_comments(text, style);
    let mut found = Vec::new();
    for (i, (line, comment)) in lines.iter().zip(&comments).enumerate() {
        let Some(comment) = comment else { continue };
        let Some(rest) = comment.body.strip_prefix(DIRECTIVE) else { continue };
        let Some((ids, after)) = rest.split_once(')') else { continue };
        let reason =
            after.trim_start().strip_prefix(':').map(str::trim).filter(|reason| !reason.is_empty()).map(str::to_owned);
        let line_number = i + 1;
        let target = if comment.alone {
            target_line(&comments, line_number, |body| body.starts_with(DIRECTIVE))
        } else {
            line_number
        };
        // Above `#[tokio::main]` a suppression covers the attributes and the item line after them.
        let mut target_end = target;
        while comment.alone
            && style == CommentStyle::Rust
            && lines.get(target_end - 1).is_some_and(|l| l.trim_start().starts_with("#["))
        {
            target_end += 1;
        }
        let end_column = line.chars().count();
        let location = index.location(path, (line_number as u32, comment.column), (line_number as u32, end_column));
        found.extend(rule_ids(ids).map(|rule| Suppression {
            rule: rule.to_owned(),
            reason: reason.clone(),
            target_line: target as u32,
            target_end_line: target_end as u32,
            location: location.clone(),
        }));
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rules_reasons_and_targets() {
        let text = "a(); // guardrail-allow(x, y): legacy queue\n// guardrail-allow(z)\nb();\n";
        let found = suppressions(Symbol::intern("f.rs"), text, CommentStyle::Rust);
        let summary: Vec<_> =
            found.iter().map(|s| (s.rule.as_str(), s.reason.as_deref(), s.target_line, s.location.line)).collect();
        assert_eq!(summary, [("x", Some("legacy queue"), 1, 1), ("y", Some("legacy queue"), 1, 1), ("z", None, 3, 2)]);
    }
}
