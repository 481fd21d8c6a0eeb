//! Statements read from their words, where sqlparser misreads them (`DROP INDEX CONCURRENTLY`
//! takes `CONCURRENTLY` for the index name) or does not know them (`REINDEX`, PostgreSQL's
//! `VACUUM FULL`).

use super::{ident, is_code};
use crate::facts::StepKind;
use sqlparser::ast::Ident;
use sqlparser::tokenizer::{Token, TokenWithSpan};

/// A word of a statement: a keyword or name as written (quoted names keep their quotes), or
/// the punctuation between them.
pub fn words(tokens: &[TokenWithSpan]) -> Vec<String> {
    tokens.iter().filter(|t| is_code(t)).map(|t| t.token.to_string()).collect()
}

/// The first two words of a statement, for naming it: keywords and names only, upper case.
pub fn leading_keywords(tokens: &[TokenWithSpan]) -> String {
    let words = tokens.iter().filter(|t| is_code(t)).map_while(|t| match &t.token {
        Token::Word(word) => Some(word.value.to_uppercase()),
        _ => None,
    });
    words.take(2).collect::<Vec<_>>().join(" ")
}

/// What a statement read from its words does.
pub struct TokenStep {
    pub kind: StepKind,
    pub table: String,
    pub concurrently: bool,
}

/// `DROP INDEX`, `REINDEX` and `VACUUM FULL`; `None` for any other statement, and for these
/// when they name no table or index.
pub fn read(words: &[String]) -> Option<TokenStep> {
    let upper: Vec<String> = words.iter().map(|w| w.to_ascii_uppercase()).collect();
    let is = |at: usize, word: &str| upper.get(at).is_some_and(|w| w == word);
    let mut at;
    let kind = if is(0, "DROP") && is(1, "INDEX") {
        at = 2;
        StepKind::DropIndex
    } else if is(0, "REINDEX") {
        at = 1;
        if is(at, "(") {
            at = upper.iter().position(|w| w == ")")? + 1;
        }
        // REINDEX SCHEMA / DATABASE / SYSTEM name no one table; they still lock, so the
        // schema's name stands for it.
        at += 1;
        StepKind::Reindex
    } else if is(0, "VACUUM") {
        let full = upper.iter().take_while(|w| !w.starts_with('"')).any(|w| w == "FULL");
        if !full {
            return None;
        }
        at = 1;
        if is(at, "(") {
            at = upper.iter().position(|w| w == ")")? + 1;
        }
        while ["FULL", "FREEZE", "VERBOSE", "ANALYZE"].iter().any(|w| is(at, w)) {
            at += 1;
        }
        StepKind::VacuumFull
    } else {
        return None;
    };
    let concurrently = is(at, "CONCURRENTLY");
    if concurrently {
        at += 1;
    }
    if is(at, "IF") && is(at + 1, "EXISTS") {
        at += 2;
    }
    // A qualified name: the last part before anything that is not `.` or a name.
    let mut name = words.get(at).filter(|w| is_name(w))?;
    while words.get(at + 1).is_some_and(|w| w == ".") && words.get(at + 2).is_some_and(|w| is_name(w)) {
        at += 2;
        name = &words[at];
    }
    Some(TokenStep { kind, table: folded(name), concurrently })
}

fn is_name(word: &str) -> bool {
    word.starts_with('"') || word.chars().next().is_some_and(|c| c.is_alphabetic() || c == '_')
}

/// A written name as PostgreSQL folds it.
fn folded(word: &str) -> String {
    match word.strip_prefix('"').and_then(|w| w.strip_suffix('"')) {
        Some(quoted) => ident(&Ident::with_quote('"', quoted.replace("\"\"", "\""))),
        None => ident(&Ident::new(word)),
    }
}
