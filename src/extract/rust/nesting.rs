//! A guard run before parsing: syn's parser, the fact visitor and the drop of the syntax tree
//! all recurse once per level of nesting, and a stack overflow aborts the whole process — no
//! diagnostic, no other file reported. So a file whose nesting could exhaust the stack is
//! refused with a location instead.
//!
//! Two measures, from the tokens alone (strings, chars and comments skipped):
//! - **depth**: open brackets, plus the tokens that make the parser recurse without a bracket —
//!   prefix operators (`!x`, `-x`, `*x`, `&x`), closure bars (`|| |a| ..`) and `<` (generics;
//!   an unclosed comparison counts until its statement ends). Measured: about 8,000 levels of
//!   generics overflow a 64 MiB stack in a debug build; the limit is 256.
//! - **chain length**: method calls, field accesses, `else if` and binary operators, which syn
//!   parses in a loop but which nest in the tree the visitor then recurses through (about
//!   200,000 overflow); the limit is 16,384 in one statement.
//!
//! Separators end a statement's count: `;`, `,` (outside closure parameters), and a block
//! closing at the statement's level.

const MAX_DEPTH: usize = 256;
const MAX_CHAIN: usize = 16_384;

/// What one bracket level has seen since its statement began.
#[derive(Default)]
struct Level {
    /// Prefix operators, `return`/`break`/`yield`, closure bars and open `<`.
    depth: usize,
    chain: usize,
    /// `else if` links of the `if` being read: its blocks end statements, its chain does not.
    else_ifs: usize,
    /// Between the bars of a closure's parameters, where `,` separates nothing.
    in_closure_params: bool,
}

/// The byte offset where the file first nests too deep, and what is too deep; `None` for a
/// file within the limits.
pub fn too_deep(text: &str) -> Option<(usize, String)> {
    let bytes = text.as_bytes();
    let mut levels: Vec<Level> = vec![Level::default()];
    // Whether the previous token ends an operand (an identifier, a literal, `)`): after one, an
    // operator is binary; anywhere else it is a prefix.
    let mut after_operand = false;
    let mut after_else = false;
    let mut i = 0;
    while i < bytes.len() {
        let byte = bytes[i];
        let next = bytes.get(i + 1).copied();
        let mut operand = false;
        let mut is_else = false;
        let level = levels.last_mut().expect("the file's own level is never closed");
        match byte {
            b' ' | b'\t' | b'\n' | b'\r' => {
                i += 1;
                continue;
            }
            b'/' if next == Some(b'/') => {
                i = skip_line(bytes, i);
                continue;
            }
            b'/' if next == Some(b'*') => {
                i = skip_block_comment(bytes, i);
                continue;
            }
            b'"' => {
                i = skip_string(bytes, i + 1);
                operand = true;
            }
            b'r' | b'b' | b'c' if raw_or_byte_string(bytes, i).is_some() => {
                i = raw_or_byte_string(bytes, i).unwrap_or(i + 1);
                operand = true;
            }
            b'\'' => {
                i = skip_char_or_lifetime(bytes, i);
                operand = true;
            }
            b'(' | b'[' | b'{' => {
                levels.push(Level::default());
                i += 1;
            }
            b')' | b']' | b'}' => {
                if levels.len() > 1 {
                    levels.pop();
                }
                let parent = levels.last_mut().expect("the file's own level is never closed");
                if byte == b'}' {
                    // A block ends a statement at its level (`if a < b { .. }` has no `;`), but
                    // not an `if` chain that goes on with `else`.
                    *parent = Level {
                        in_closure_params: parent.in_closure_params,
                        else_ifs: parent.else_ifs,
                        ..Level::default()
                    };
                }
                operand = byte != b'}';
                i += 1;
            }
            b';' => {
                *level = Level::default();
                i += 1;
            }
            b',' => {
                if !level.in_closure_params {
                    *level = Level::default();
                }
                i += 1;
            }
            b'|' if next == Some(b'|') => {
                if after_operand {
                    level.chain += 1;
                } else {
                    level.depth += 1;
                }
                i += 2;
            }
            b'|' if next != Some(b'=') => {
                if level.in_closure_params {
                    level.in_closure_params = false;
                } else if after_operand {
                    level.chain += 1;
                } else {
                    level.in_closure_params = true;
                    level.depth += 1;
                }
                i += 1;
            }
            b'<' if next != Some(b'=') && next != Some(b'<') => {
                level.depth += 1;
                i += 1;
            }
            // `>>` closes two generics, one character at a time.
            b'>' if next != Some(b'=') => {
                level.depth = level.depth.saturating_sub(1);
                i += 1;
            }
            b'.' if next != Some(b'.') => {
                level.chain += 1;
                i += 1;
            }
            // `x???`: each `?` wraps the expression before it.
            b'?' => {
                level.chain += 1;
                i += 1;
            }
            b'!' | b'-' | b'*' | b'&' if next != Some(b'=') && !(byte == b'-' && next == Some(b'>')) => {
                let width = if byte == b'&' && next == Some(b'&') { 2 } else { 1 };
                if after_operand {
                    level.chain += 1;
                } else {
                    // `&&x` is two references.
                    level.depth += width;
                }
                i += width;
            }
            b'+' | b'/' | b'%' | b'^' | b'=' | b'<' | b'>' | b'|' | b'!' | b'-' | b'*' | b'&' => {
                // Compound operators (`+=`, `==`, `<=`, `<<`, `->`, `=>` ...): one token.
                let width = if next.is_some_and(|n| b"=<>".contains(&n)) { 2 } else { 1 };
                level.chain += usize::from(byte != b'=' || next == Some(b'='));
                i += width;
            }
            _ if byte.is_ascii_alphanumeric() || byte == b'_' || byte >= 0x80 => {
                let start = i;
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] >= 0x80) {
                    i += 1;
                }
                let word = &bytes[start..i];
                match word {
                    b"if" if after_else => level.else_ifs += 1,
                    // A new `if` statement starts a new chain.
                    b"if" => level.else_ifs = 0,
                    // Each nests the expression after it.
                    b"return" | b"break" | b"yield" | b"box" if !after_operand => level.depth += 1,
                    // `x as A as B`: each cast wraps the expression before it.
                    b"as" => level.chain += 1,
                    _ => {}
                }
                is_else = word == b"else";
                // Keywords that start an expression are not operands.
                operand = !matches!(word, b"return" | b"break" | b"in" | b"move" | b"else" | b"if" | b"match" | b"mut");
            }
            _ => i += 1,
        }
        after_operand = operand;
        after_else = is_else;
        let depth: usize = levels.len() - 1 + levels.iter().map(|l| l.depth).sum::<usize>();
        if depth > MAX_DEPTH {
            return Some((i.saturating_sub(1), format!("code nests deeper than {MAX_DEPTH} levels here")));
        }
        let chain: usize = levels.iter().map(|l| l.chain + l.else_ifs).sum();
        if chain > MAX_CHAIN {
            let message = format!("an expression chains more than {MAX_CHAIN} calls or operators here");
            return Some((i.saturating_sub(1), message));
        }
    }
    None
}

fn skip_line(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && bytes[i] != b'\n' {
        i += 1;
    }
    i
}

/// Past a `/* .. */` comment, which nests in Rust.
fn skip_block_comment(bytes: &[u8], mut i: usize) -> usize {
    let mut open = 0usize;
    while i < bytes.len() {
        if bytes[i] == b'/' && bytes.get(i + 1) == Some(&b'*') {
            open += 1;
            i += 2;
        } else if bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/') {
            open -= 1;
            i += 2;
            if open == 0 {
                break;
            }
        } else {
            i += 1;
        }
    }
    i
}

/// Past the closing quote of a string whose body starts at `i`.
fn skip_string(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && bytes[i] != b'"' {
        i += if bytes[i] == b'\\' { 2 } else { 1 };
    }
    i + 1
}

/// Past a raw, byte or C string starting at `i` (`r#".."#`, `b".."`, `br".."`, `c".."`), or
/// `None` when none starts there (an identifier such as `r` or `bar`).
fn raw_or_byte_string(bytes: &[u8], i: usize) -> Option<usize> {
    if i > 0 && (bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_') {
        return None;
    }
    let mut j = i;
    if matches!(bytes.get(j), Some(b'b' | b'c')) {
        j += 1;
    }
    if bytes.get(j) == Some(&b'r') {
        j += 1;
        let hashes = bytes[j..].iter().take_while(|b| **b == b'#').count();
        j += hashes;
        if bytes.get(j) != Some(&b'"') {
            return None;
        }
        let closing: Vec<u8> = std::iter::once(b'"').chain(std::iter::repeat_n(b'#', hashes)).collect();
        let end = bytes[j + 1..].windows(closing.len()).position(|w| w == closing.as_slice())?;
        return Some(j + 1 + end + closing.len());
    }
    if j > i && bytes.get(j) == Some(&b'"') {
        return Some(skip_string(bytes, j + 1));
    }
    None
}

/// Past a char literal (`'a'`, `'\n'`, `'\u{1F600}'`) or a lifetime (`'a`).
fn skip_char_or_lifetime(bytes: &[u8], i: usize) -> usize {
    if bytes.get(i + 1) == Some(&b'\\') {
        // The escaped character may itself be a quote: `'\''`.
        let from = (i + 3).min(bytes.len());
        let close = bytes[from..].iter().position(|b| *b == b'\'').map_or(bytes.len(), |p| from + p);
        return close + 1;
    }
    // One character (of up to four UTF-8 bytes) and a closing quote make a char literal.
    let width = match bytes.get(i + 1) {
        Some(b) if *b >= 0xf0 => 4,
        Some(b) if *b >= 0xe0 => 3,
        Some(b) if *b >= 0xc0 => 2,
        _ => 1,
    };
    if bytes.get(i + 1 + width) == Some(&b'\'') {
        return i + 2 + width;
    }
    let mut j = i + 1;
    while j < bytes.len() && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'_') {
        j += 1;
    }
    j
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(text: &str) -> Option<String> {
        too_deep(text).map(|(_, message)| message)
    }

    #[test]
    fn what_the_parser_recurses_on_is_counted() {
        for (open, close) in [("(", ")"), ("Vec<", ">"), ("|| ", ""), ("|a, b| ", ""), ("!", ""), ("-", ""), ("&", "")]
        {
            let deep = format!("fn f() {{ let x = {}1{}; }}", open.repeat(300), close.repeat(300));
            assert!(refused(&deep).is_some_and(|m| m.starts_with("code nests deeper than 256")), "{open}");
            let fine = format!("fn f() {{ let x = {}1{}; }}", open.repeat(200), close.repeat(200));
            assert_eq!(refused(&fine), None, "{open}");
        }
        let chain = format!("fn f() {{ a{}; }}", ".b()".repeat(20_000));
        assert!(refused(&chain).is_some_and(|m| m.contains("chains more than 16384")));
        let sum = format!("fn f() -> u8 {{ 1{} }}", " + 1".repeat(20_000));
        assert!(refused(&sum).is_some());
        for (prefix, suffix) in [("if a { 1 } else ", ""), ("", "?"), ("", " as u8")] {
            let long = format!("fn f() {{ let x = {}1{}; }}", prefix.repeat(20_000), suffix.repeat(20_000));
            assert!(refused(&long).is_some_and(|m| m.contains("chains more than")), "{prefix}{suffix}");
        }
        let returns = format!("fn f() {{ {}1 }}", "return ".repeat(300));
        assert!(refused(&returns).is_some_and(|m| m.contains("nests deeper")));
    }

    #[test]
    fn ordinary_code_is_never_refused() {
        // Tables of negative numbers, long or-patterns, comparisons in many statements, long
        // conditions, strings and comments full of brackets, lifetimes and chars.
        let table = format!("const T: [i32; 3000] = [{}];", "-1, ".repeat(3000));
        let patterns = format!(
            "fn f(x: u8) -> bool {{ matches!(x, {}) }}",
            (0..300).map(|n| n.to_string()).collect::<Vec<_>>().join(" | ")
        );
        let comparisons = "fn f(a: u8, b: u8) { if a < b { g(); } }\n".repeat(500);
        let conditions = format!("fn f(a: bool) -> bool {{ {} }}", vec!["!a"; 200].join(" || "));
        let literals = format!(
            "fn f<'a>(s: &'a str) -> char {{ let _ = r#\"{0}\"#; let _ = b\"{0}\"; /* {0} /* {0} */ */ '(' }}",
            "(((<<<".repeat(100)
        );
        let chain = format!("fn app() -> Router {{ Router::new(){} }}", ".route(\"/a\", get(a))".repeat(1000));
        // Many separate `if`s and early returns in one body, and `?` on every line.
        let statements = format!(
            "fn f(a: u8) -> Option<u8> {{\n{}    Some(a)\n}}\n",
            "    if a > 1 { return None; } else if a > 2 { g()?; }\n".repeat(3000)
        );
        for text in [table, patterns, comparisons, conditions, literals, chain, statements] {
            assert_eq!(refused(&text), None, "{}", &text[..80.min(text.len())]);
        }
    }
}
