//! A Dockerfile parser that keeps lines: parser directives (`# escape=`), continuations with
//! comment lines inside them, heredocs, multi-stage builds, and exec form only when the
//! arguments are a valid JSON array of strings (anything else is shell form, as Docker does).

use crate::facts::{Dockerfile, Instruction, Stage};
use crate::location::LineIndex;
use crate::symbol::Symbol;

pub fn parse(path: Symbol, text: &str) -> Dockerfile {
    let index = LineIndex::new(text);
    let lines: Vec<&str> = text.lines().collect();
    let mut stages: Vec<Stage> = Vec::new();
    for instruction in instructions(&lines) {
        let start_line = instruction.line + 1;
        let end_column = lines[instruction.line].chars().count();
        let location = index.location(path, (start_line as u32, 0), (start_line as u32, end_column));
        let (keyword, args) = (instruction.keyword, instruction.args);
        if keyword == "FROM" {
            let words: Vec<&str> = args.split_whitespace().filter(|w| !w.starts_with("--")).collect();
            let alias = match words.as_slice() {
                [_, as_word, alias, ..] if as_word.eq_ignore_ascii_case("as") => Some((*alias).to_owned()),
                _ => None,
            };
            let image = words.first().copied().unwrap_or_default().to_owned();
            stages.push(Stage { image, alias, instructions: Vec::new(), location });
        } else if let Some(stage) = stages.last_mut() {
            let exec = exec_form(&args);
            stage.instructions.push(Instruction { keyword, args, exec, location });
        }
    }
    Dockerfile { stages }
}

/// One instruction as Docker reads it: its continuation lines joined, its heredocs' bodies set
/// apart.
pub struct Logical {
    /// The 0-based line it starts on.
    pub line: usize,
    /// Upper case.
    pub keyword: String,
    pub args: String,
    /// The 0-based lines of its heredocs' bodies and their delimiters: not Dockerfile syntax,
    /// so a `#` there is the script's, not a Dockerfile comment.
    pub heredoc_lines: std::ops::Range<usize>,
}

/// The instructions of a Dockerfile's `lines`, in order.
pub fn instructions(lines: &[&str]) -> Vec<Logical> {
    let escape = escape_char(lines);
    let mut found = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let first = lines[i].trim_start();
        if first.is_empty() || first.starts_with('#') {
            i += 1;
            continue;
        }
        let start = i;
        let mut logical = String::new();
        let mut current = lines[i];
        loop {
            let trimmed = current.trim_end();
            match trimmed.strip_suffix(escape) {
                Some(body) => {
                    logical.push_str(body);
                    logical.push(' ');
                    i += 1;
                    // Comment and empty lines inside a continuation are skipped.
                    while i < lines.len() && (lines[i].trim().is_empty() || lines[i].trim_start().starts_with('#')) {
                        i += 1;
                    }
                    match lines.get(i) {
                        Some(next) => current = next,
                        None => break,
                    }
                }
                None => {
                    logical.push_str(trimmed);
                    i += 1;
                    break;
                }
            }
        }
        let logical = logical.trim();
        let (keyword, args) = logical.split_once(char::is_whitespace).unwrap_or((logical, ""));
        let keyword = keyword.to_ascii_uppercase();
        let args = args.trim().to_owned();
        let bodies_start = i;
        if matches!(keyword.as_str(), "RUN" | "COPY" | "ADD") {
            i = skip_heredocs(&args, lines, i);
        }
        found.push(Logical { line: start, keyword, args, heredoc_lines: bodies_start..i });
    }
    found
}

/// `# escape=`` ` among the parser directives at the very top; `\` otherwise.
fn escape_char(lines: &[&str]) -> char {
    for line in lines {
        let Some(directive) = line.trim().strip_prefix('#') else { break };
        let Some((key, value)) = directive.split_once('=') else { break };
        if key.trim().eq_ignore_ascii_case("escape") {
            return value.trim().chars().next().unwrap_or('\\');
        }
    }
    '\\'
}

/// Skips the bodies of heredocs opened in `args` (`<<EOF`, `<<-EOF`, `<<"EOF"`), returning the
/// index of the line after the last one.
fn skip_heredocs(args: &str, lines: &[&str], mut i: usize) -> usize {
    let mut rest = args;
    while let Some(at) = rest.find("<<") {
        rest = &rest[at + 2..];
        let strip_tabs = rest.starts_with('-');
        let word: String = rest
            .trim_start_matches('-')
            .trim_start_matches(['"', '\''])
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if word.is_empty() {
            continue;
        }
        while i < lines.len() {
            let line = if strip_tabs { lines[i].trim_start_matches('\t') } else { lines[i] };
            i += 1;
            if line == word {
                break;
            }
        }
    }
    i
}

/// Exec form is a JSON array of strings; anything else is shell form.
fn exec_form(args: &str) -> Option<Vec<String>> {
    let args = args.trim();
    if !args.starts_with('[') {
        return None;
    }
    serde_json::from_str::<Vec<String>>(args).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> Dockerfile {
        parse(Symbol::intern("Dockerfile"), text)
    }

    #[test]
    fn stages_continuations_heredocs_and_forms() {
        let text = "# syntax=docker/dockerfile:1\nFROM rust:1.88 AS builder\nRUN cargo build \\\n    # a comment inside\n    --release --bin api\nRUN <<EOF\nFROM not-a-stage\nEOF\nFROM debian:bookworm-slim\nCMD \"/app/api\"\nENTRYPOINT [\"/usr/bin/tini\", \"--\"]\nCMD [/app/api]\n";
        let file = parsed(text);
        assert_eq!(file.stages.len(), 2);
        assert_eq!(file.stages[0].alias.as_deref(), Some("builder"));
        let run = &file.stages[0].instructions[0];
        assert_eq!(
            (run.keyword.as_str(), run.args.as_str(), run.location.line),
            ("RUN", "cargo build      --release --bin api", 3)
        );
        let last = &file.stages[1];
        assert_eq!(last.location.line, 9);
        let forms: Vec<_> =
            last.instructions.iter().map(|i| (i.keyword.as_str(), i.exec.is_some(), i.location.line)).collect();
        assert_eq!(forms, [("CMD", false, 10), ("ENTRYPOINT", true, 11), ("CMD", false, 12)]);
    }

    #[test]
    fn the_escape_directive_changes_the_continuation_character() {
        let file = parsed("# escape=`\nFROM mcr.microsoft.com/windows\nRUN dir `\n  c:\\\nCMD [\"app.exe\"]\n");
        let stage = &file.stages[0];
        assert_eq!(stage.instructions[0].args, "dir    c:\\");
        assert_eq!(stage.instructions[1].location.line, 5);
    }
}
