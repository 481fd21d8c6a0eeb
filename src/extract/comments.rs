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

/// How a language writes line comments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommentStyle {
    /// `//` after code or alone; `"..."` strings and `'x'` char literals hide it.
    Rust,
    /// `#` after code or alone; `"..."` and `'...'` strings hide it.
    Yaml,
    /// `#` only at the start of a line: elsewhere it is part of the instruction.
    Dockerfile,
}

impl CommentStyle {
    pub fn marker(self) -> &'static str {
        match self {
            CommentStyle::Rust => "//",
            CommentStyle::Yaml | CommentStyle::Dockerfile => "#",
        }
    }
}

/// The line comment in `line`, if any, skipping markers inside string and char literals.
pub fn line_comment(line: &str, style: CommentStyle) -> Option<LineComment<'_>> {
    let marker = style.marker();
    let mut quote: Option<char> = None;
    let mut escaped = false;
    let mut chars = line.char_indices().peekable();
    while let Some((byte, ch)) = chars.next() {
        if let Some(open) = quote {
            match ch {
                _ if escaped => escaped = false,
                '\\' if open == '"' => escaped = true,
                c if c == open => quote = None,
                _ => {}
            }
            continue;
        }
        match ch {
            '"' if style != CommentStyle::Dockerfile => quote = Some('"'),
            '\'' if style == CommentStyle::Yaml => quote = Some('\''),
            '\'' if style == CommentStyle::Rust => {
                // A char literal ('"', '\'') rather than a lifetime ('a).
                let rest = &line[byte + 1..];
                let literal_len = if rest.starts_with('\\') {
                    rest.char_indices().skip(2).find(|(_, c)| *c == '\'').map(|(i, _)| i)
                } else {
                    let mut inner = rest.char_indices();
                    match (inner.next(), inner.next()) {
                        (Some(_), Some((i, '\''))) => Some(i),
                        _ => None,
                    }
                };
                if let Some(len) = literal_len {
                    while chars.peek().is_some_and(|(b, _)| *b <= byte + 1 + len) {
                        chars.next();
                    }
                }
            }
            _ if line[byte..].starts_with(marker) => {
                let alone = line[..byte].trim().is_empty();
                if style == CommentStyle::Dockerfile && !alone {
                    return None;
                }
                let body = line[byte + marker.len()..].trim_start_matches('/').trim();
                return Some(LineComment { column: line[..byte].chars().count(), body, alone });
            }
            _ => {}
        }
    }
    None
}

/// The 1-based line a comment on `line` speaks about: its own line when it trails code,
/// otherwise the next line that is not itself a comment-only line carrying a directive.
pub fn target_line(lines: &[&str], line: usize, style: CommentStyle, is_directive: impl Fn(&str) -> bool) -> usize {
    let mut target = line + 1;
    while let Some(next) = lines.get(target - 1) {
        match line_comment(next, style) {
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
        let rust = CommentStyle::Rust;
        let trailing = line_comment(r#"let s = "// not"; // real"#, rust).unwrap();
        assert_eq!((trailing.body, trailing.alone, trailing.column), ("real", false, 18));
        let alone = line_comment("    /// doc", rust).unwrap();
        assert_eq!((alone.body, alone.alone), ("doc", true));
        assert!(line_comment(r#"let s = "a \" // b";"#, rust).is_none());
        assert_eq!(line_comment(r#"s.split('"'); // after a char"#, rust).unwrap().body, "after a char");
        assert_eq!(line_comment(r#"f::<'a>('\''); // escaped"#, rust).unwrap().body, "escaped");
        assert_eq!(line_comment("name: 'a # b' # c", CommentStyle::Yaml).unwrap().body, "c");
        assert!(line_comment("RUN echo '#' # not a comment", CommentStyle::Dockerfile).is_none());
        assert_eq!(line_comment("  # expect: x", CommentStyle::Dockerfile).unwrap().body, "expect: x");
    }

    #[test]
    fn standalone_directives_skip_over_each_other() {
        let lines = ["// expect: a", "// expect: b", "code();", "// plain"];
        let is_directive = |body: &str| body.starts_with("expect:");
        assert_eq!(target_line(&lines, 1, CommentStyle::Rust, is_directive), 3);
        assert_eq!(target_line(&lines, 4, CommentStyle::Rust, is_directive), 5);
    }
}
