//! Directives in line comments: `guardrail-allow(..)` suppressions and the fixture runner's
//! `expect:` / `ok:` markers. One scanner for both, so they agree on what a comment is.

/// A line comment found in a line of text.
pub struct LineComment<'a> {
    /// 0-based character column where the comment marker starts.
    pub column: usize,
    /// The comment text after the marker, trimmed.
    pub body: &'a str,
    /// Nothing but whitespace precedes the comment: it speaks about the next line.
    pub alone: bool,
}

/// The line comment in `line`, if any, skipping markers inside string literals.
///
/// `marker` is `//` for Rust and `#` for YAML and Dockerfiles.
pub fn line_comment<'a>(line: &'a str, marker: &str) -> Option<LineComment<'a>> {
    let mut in_string = false;
    let mut escaped = false;
    for (byte, ch) in line.char_indices() {
        if in_string {
            match ch {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
        } else if ch == '"' {
            in_string = true;
        } else if line[byte..].starts_with(marker) {
            let body = line[byte + marker.len()..].trim_start_matches('/').trim();
            return Some(LineComment {
                column: line[..byte].chars().count(),
                body,
                alone: line[..byte].trim().is_empty(),
            });
        }
    }
    None
}

/// The 1-based line a comment on `line` speaks about: its own line when it trails code,
/// otherwise the next line that is not itself a comment-only line carrying a directive.
pub fn target_line(lines: &[&str], line: usize, marker: &str, is_directive: impl Fn(&str) -> bool) -> usize {
    let mut target = line + 1;
    while let Some(next) = lines.get(target - 1) {
        match line_comment(next, marker) {
            Some(comment) if comment.alone && is_directive(comment.body) => target += 1,
            _ => break,
        }
    }
    target
}

/// Splits `a, b ,c` into trimmed, non-empty ids.
pub fn rule_ids(list: &str) -> impl Iterator<Item = &str> {
    list.split(',').map(str::trim).filter(|id| !id.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_trailing_and_standalone_comments_but_not_strings() {
        let trailing = line_comment(r#"let s = "// not"; // real"#, "//").unwrap();
        assert_eq!((trailing.body, trailing.alone, trailing.column), ("real", false, 18));
        let alone = line_comment("    /// doc", "//").unwrap();
        assert_eq!((alone.body, alone.alone), ("doc", true));
        assert!(line_comment(r#"let s = "a \" // b";"#, "//").is_none());
    }

    #[test]
    fn standalone_directives_skip_over_each_other() {
        let lines = ["// expect: a", "// expect: b", "code();", "// plain"];
        let is_directive = |body: &str| body.starts_with("expect:");
        assert_eq!(target_line(&lines, 1, "//", is_directive), 3);
        assert_eq!(target_line(&lines, 4, "//", is_directive), 5);
    }
}
