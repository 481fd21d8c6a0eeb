//! Directives in line comments: `guardrail-allow(..)` suppressions and the fixture runner's
//! `expect:` / `ok:` markers. One scanner for both, so they agree on what a comment is.

use crate::file_kind::FileKind;

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
    /// `--` after code or alone, as the SQL tokenizer reads it: strings, quoted names and
    /// dollar-quoted bodies hide it.
    Sql,
}

impl CommentStyle {
    /// How the language of a kind of file writes line comments.
    pub fn of(kind: FileKind) -> CommentStyle {
        match kind {
            FileKind::Rust => CommentStyle::Rust,
            FileKind::Dockerfile => CommentStyle::Dockerfile,
            FileKind::Kubernetes | FileKind::Compose | FileKind::BuildScript => CommentStyle::Yaml,
            FileKind::Migration => CommentStyle::Sql,
        }
    }

    pub fn marker(self) -> &'static str {
        match self {
            CommentStyle::Rust => "//",
            CommentStyle::Yaml | CommentStyle::Dockerfile => "#",
            CommentStyle::Sql => "--",
        }
    }
}

/// The line comment of each line of `text` (as `str::lines` splits it), as the language reads
/// the whole text: a marker inside a string — also one that spans lines (Rust strings and raw
/// strings, YAML quoted and block scalars, a Dockerfile's heredocs) — or inside a Rust block
/// comment is not a comment.
pub fn line_comments(text: &str, style: CommentStyle) -> Vec<Option<LineComment<'_>>> {
    match style {
        CommentStyle::Rust => rust_comments(text),
        CommentStyle::Yaml => yaml_comments(text),
        CommentStyle::Dockerfile => dockerfile_comments(text),
        CommentStyle::Sql => sql_comments(text),
    }
}

/// SQL comments from the tokenizer; a text it cannot read has none.
fn sql_comments(text: &str) -> Vec<Option<LineComment<'_>>> {
    let lines: Vec<&str> = text.lines().collect();
    let mut found: Vec<Option<LineComment>> = lines.iter().map(|_| None).collect();
    for (line, column, _) in super::migration::comments(text).unwrap_or_default() {
        let Some(text) = lines.get(line) else { continue };
        let Some((byte, _)) = text.char_indices().nth(column) else { continue };
        if text[byte..].starts_with("--") {
            found[line] = Some(comment_at(text, byte, "--"));
        }
    }
    found
}

fn comment_at<'a>(line: &'a str, byte: usize, marker: &str) -> LineComment<'a> {
    let alone = line[..byte].trim().is_empty();
    let body = line[byte + marker.len()..].trim_start_matches('/').trim();
    LineComment { column: line[..byte].chars().count(), body, alone }
}

/// Where a Rust text's scanner is at the end of a line.
#[derive(Clone, Copy)]
enum RustState {
    Code,
    /// In a `"..."` string (escapes), or a raw string closed by `"` and this many `#`.
    Str(Option<usize>),
    /// In a block comment, this deep (they nest).
    Block(usize),
}

fn rust_comments(text: &str) -> Vec<Option<LineComment<'_>>> {
    let mut state = RustState::Code;
    text.lines()
        .map(|line| {
            let (comment, next) = rust_line(line, state);
            state = next;
            comment
        })
        .collect()
}

/// The comment of one line scanned from `state`, and the state at its end.
fn rust_line(line: &str, mut state: RustState) -> (Option<LineComment<'_>>, RustState) {
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match state {
            RustState::Str(None) => match bytes[i] {
                b'\\' => i += 2,
                b'"' => {
                    state = RustState::Code;
                    i += 1;
                }
                _ => i += 1,
            },
            RustState::Str(Some(hashes)) => {
                if bytes[i] == b'"' && bytes[i + 1..].iter().take(hashes).filter(|b| **b == b'#').count() == hashes {
                    state = RustState::Code;
                    i += 1 + hashes;
                } else {
                    i += 1;
                }
            }
            RustState::Block(depth) => {
                if bytes[i..].starts_with(b"*/") {
                    state = if depth == 1 { RustState::Code } else { RustState::Block(depth - 1) };
                    i += 2;
                } else if bytes[i..].starts_with(b"/*") {
                    state = RustState::Block(depth + 1);
                    i += 2;
                } else {
                    i += 1;
                }
            }
            RustState::Code => {
                let rest = &bytes[i..];
                let after_identifier = i > 0 && (bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
                if rest.starts_with(b"//") {
                    return (Some(comment_at(line, i, "//")), RustState::Code);
                } else if rest.starts_with(b"/*") {
                    state = RustState::Block(1);
                    i += 2;
                } else if rest[0] == b'"' {
                    state = RustState::Str(None);
                    i += 1;
                } else if let Some((prefix, hashes)) = raw_string_start(rest).filter(|_| !after_identifier) {
                    state = RustState::Str(Some(hashes));
                    i += prefix;
                } else if rest[0] == b'\'' {
                    i += 1 + char_literal_len(&line[i + 1..]).unwrap_or(0);
                } else {
                    i += 1;
                }
            }
        }
    }
    (None, state)
}

/// `r"`, `r#"`, `br##"`, `cr"`: the bytes up to and including the quote, and the `#`s.
fn raw_string_start(rest: &[u8]) -> Option<(usize, usize)> {
    let after_prefix = match rest {
        [b'b' | b'c', b'r', ..] => 2,
        [b'r', ..] => 1,
        _ => return None,
    };
    let hashes = rest[after_prefix..].iter().take_while(|b| **b == b'#').count();
    (rest.get(after_prefix + hashes) == Some(&b'"')).then_some((after_prefix + hashes + 1, hashes))
}

/// The length in bytes after the opening `'` of a char literal (`'"'`, `'\''`, `'\u{1F600}'`)
/// through its closing quote; `None` for a lifetime or label (`'a`).
fn char_literal_len(rest: &str) -> Option<usize> {
    if let Some(escaped) = rest.strip_prefix('\\') {
        return escaped.char_indices().skip(1).find(|(_, c)| *c == '\'').map(|(i, _)| i + 2);
    }
    let mut chars = rest.char_indices();
    match (chars.next(), chars.next()) {
        (Some(_), Some((i, '\''))) => Some(i + 1),
        _ => None,
    }
}

/// Where a YAML text's scanner is at the end of a line.
#[derive(Clone, Copy)]
enum YamlState {
    Plain,
    /// In a quoted scalar that goes on to the next line.
    Quoted(u8),
    /// In a block scalar (`|`, `>`) whose lines are indented more than this.
    Block(usize),
}

fn yaml_comments(text: &str) -> Vec<Option<LineComment<'_>>> {
    let mut state = YamlState::Plain;
    text.lines()
        .map(|line| {
            let indent = line.len() - line.trim_start_matches(' ').len();
            if let YamlState::Block(parent) = state {
                if line.trim().is_empty() || indent > parent {
                    return None;
                }
                state = YamlState::Plain;
            }
            let (comment, next) = yaml_line(line, state);
            state = next;
            comment
        })
        .collect()
}

fn yaml_line(line: &str, mut state: YamlState) -> (Option<LineComment<'_>>, YamlState) {
    let bytes = line.as_bytes();
    let mut i = 0;
    let mut comment_byte = None;
    while i < bytes.len() {
        if let YamlState::Quoted(quote) = state {
            if quote == b'"' && bytes[i] == b'\\' {
                i += 2;
                continue;
            }
            if bytes[i] == quote {
                // `''` inside a single-quoted scalar is an escaped quote.
                if quote == b'\'' && bytes.get(i + 1) == Some(&b'\'') {
                    i += 2;
                    continue;
                }
                state = YamlState::Plain;
            }
            i += 1;
            continue;
        }
        match bytes[i] {
            b'#' if i == 0 || bytes[i - 1] == b' ' || bytes[i - 1] == b'\t' => {
                comment_byte = Some(i);
                break;
            }
            // A quote opens a scalar only where a scalar starts: `it's` in a plain one does not.
            quote @ (b'"' | b'\'') if starts_scalar(&line[..i]) => state = YamlState::Quoted(quote),
            _ => {}
        }
        i += 1;
    }
    let content = &line[..comment_byte.unwrap_or(line.len())];
    if matches!(state, YamlState::Plain) && opens_block_scalar(content.trim_end()) {
        state = YamlState::Block(block_parent_indent(line));
    }
    (comment_byte.map(|at| comment_at(line, at, "#")), state)
}

/// The indentation a block scalar's lines must exceed: that of the key holding it (after any
/// `- ` of a sequence item), or of the `-` when the item is the scalar itself (`- |`).
fn block_parent_indent(line: &str) -> usize {
    let mut indent = line.len() - line.trim_start().len();
    let mut rest = line.trim_start();
    while let Some(item) = rest.strip_prefix("- ") {
        let inner = item.trim_start();
        if inner.starts_with(['|', '>']) {
            break;
        }
        indent += rest.len() - inner.len();
        rest = inner;
    }
    indent
}

/// Whether a scalar may start after `before` (the line up to a quote).
fn starts_scalar(before: &str) -> bool {
    before.trim_end().chars().last().is_none_or(|c| matches!(c, ':' | '-' | '[' | '{' | ',' | '?'))
}

/// Whether a line (without its comment) ends with a block scalar's header: `key: |`, `- >-`, `|2`.
fn opens_block_scalar(content: &str) -> bool {
    let header = content.trim_end_matches(|c: char| c.is_ascii_digit() || c == '+' || c == '-');
    let Some(before) = header.strip_suffix(['|', '>']) else { return false };
    before.is_empty() || before.ends_with([' ', ':', '-'])
}

fn dockerfile_comments(text: &str) -> Vec<Option<LineComment<'_>>> {
    let lines: Vec<&str> = text.lines().collect();
    let heredocs: Vec<std::ops::Range<usize>> =
        super::deploy::dockerfile::instructions(&lines).into_iter().map(|i| i.heredoc_lines).collect();
    let in_heredoc = |i: usize| heredocs.iter().any(|range| range.contains(&i));
    lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let at = line.len() - line.trim_start().len();
            (line[at..].starts_with('#') && !in_heredoc(i)).then(|| comment_at(line, at, "#"))
        })
        .collect()
}

/// The 1-based line a comment on `line` speaks about: its own line when it trails code,
/// otherwise the next line that is not itself a comment-only line carrying a directive.
pub fn target_line(comments: &[Option<LineComment>], line: usize, is_directive: impl Fn(&str) -> bool) -> usize {
    let mut target = line + 1;
    while let Some(Some(comment)) = comments.get(target - 1) {
        if comment.alone && is_directive(comment.body) {
            target += 1;
        } else {
            break;
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

    /// The body of each line's comment, `None` where a line has none.
    fn bodies(text: &str, style: CommentStyle) -> Vec<Option<&str>> {
        line_comments(text, style).into_iter().map(|c| c.map(|c| c.body)).collect()
    }

    #[test]
    fn finds_trailing_and_standalone_comments_but_not_strings() {
        let rust = CommentStyle::Rust;
        let trailing = line_comments(r#"let s = "// not"; // real"#, rust).remove(0).unwrap();
        assert_eq!((trailing.body, trailing.alone, trailing.column), ("real", false, 18));
        let alone = line_comments("    /// doc", rust).remove(0).unwrap();
        assert_eq!((alone.body, alone.alone), ("doc", true));
        assert_eq!(bodies(r#"let s = "a \" // b";"#, rust), [None]);
        assert_eq!(bodies(r#"s.split('"'); // after a char"#, rust), [Some("after a char")]);
        assert_eq!(bodies(r#"f::<'a>('\''); // escaped"#, rust), [Some("escaped")]);
        assert_eq!(bodies("name: 'a # b' # c", CommentStyle::Yaml), [Some("c")]);
        assert_eq!(bodies("RUN echo '#' # not a comment", CommentStyle::Dockerfile), [None]);
        assert_eq!(bodies("  # expect: x", CommentStyle::Dockerfile), [Some("expect: x")]);
    }

    #[test]
    fn strings_that_span_lines_hide_what_looks_like_a_comment() {
        let rust = "let a = r#\"\n// guardrail-allow(x): in a raw string\n\"#; // after\nlet b = \"\n// in a string\n\";\n\
                    /* outer /* inner */\n// still in a block comment */\nlet c = br\"x\"; let d = 'x'; // code\nfor'a: loop {} // label\n";
        assert_eq!(
            bodies(rust, CommentStyle::Rust),
            [None, None, Some("after"), None, None, None, None, None, Some("code"), Some("label")]
        );
        let yaml = "data:\n  script: |\n    # guardrail-allow(x): in a block scalar\n    echo\n  # a comment\n  note: \"two\n    # lines\"\n  \
                    plain: it's # comment\n  url: http://x#frag\n";
        assert_eq!(
            bodies(yaml, CommentStyle::Yaml),
            [None, None, None, None, Some("a comment"), None, None, Some("comment"), None]
        );
        let seq = "- run: >-\n    # text\n  other: 1 # yes\n";
        assert_eq!(bodies(seq, CommentStyle::Yaml), [None, None, Some("yes")]);
        let dockerfile = "FROM x\nRUN <<EOF\n# in a heredoc\nEOF\n# a comment\n";
        assert_eq!(bodies(dockerfile, CommentStyle::Dockerfile), [None, None, None, None, Some("a comment")]);
    }

    #[test]
    fn standalone_directives_skip_over_each_other() {
        let comments = line_comments("// expect: a\n// expect: b\ncode();\n// plain\n", CommentStyle::Rust);
        let is_directive = |body: &str| body.starts_with("expect:");
        assert_eq!(target_line(&comments, 1, is_directive), 3);
        assert_eq!(target_line(&comments, 4, is_directive), 5);
    }
}
