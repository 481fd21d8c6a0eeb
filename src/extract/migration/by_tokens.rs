//! Statements read from their words, where sqlparser misreads them (`DROP INDEX CONCURRENTLY`
//! takes `CONCURRENTLY` for the index name) or does not know them (`REINDEX`, PostgreSQL's
//! `VACUUM FULL`).

use super::{ident, is_code};
use crate::facts::StepKind;
use sqlparser::ast::Ident;
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer};
use std::collections::HashSet;

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

/// The tables an unread statement creates, also inside its dollar-quoted bodies (a `DO` block):
/// `CREATE TABLE name`, and `ALTER TABLE name RENAME TO other` of a table already new.
pub fn tables_created(tokens: &[TokenWithSpan], new: &HashSet<String>) -> Vec<String> {
    let mut words = Vec::new();
    collect_words(tokens.iter().map(|t| &t.token), &mut words, 2);
    let upper: Vec<String> = words.iter().map(|w| w.to_ascii_uppercase()).collect();
    let mut created: Vec<String> = Vec::new();
    for at in 0..upper.len() {
        let mut next = at + 1;
        if upper[at] == "CREATE" {
            while upper.get(next).is_some_and(|w| matches!(w.as_str(), "TEMP" | "TEMPORARY" | "UNLOGGED")) {
                next += 1;
            }
            if upper.get(next).is_some_and(|w| w == "TABLE") {
                next += 1;
                if upper.get(next).is_some_and(|w| w == "IF") {
                    next += 3;
                }
                created.extend(qualified_name(&words, next));
            }
        } else if upper[at] == "ALTER" && upper.get(next).is_some_and(|w| w == "TABLE") {
            let Some(table) = qualified_name(&words, next + 1) else { continue };
            let rename = upper.iter().skip(next + 1).take(6).position(|w| w == "RENAME");
            let renamed_to = rename.map(|r| next + 1 + r + 1).filter(|&r| upper.get(r).is_some_and(|w| w == "TO"));
            if let Some(to) = renamed_to.filter(|_| new.contains(&table) || created.contains(&table)) {
                created.extend(qualified_name(&words, to + 1));
            }
        }
    }
    created
}

/// The words of tokens, and of the SQL inside dollar-quoted strings, `depth` levels down.
fn collect_words<'a>(tokens: impl Iterator<Item = &'a Token>, words: &mut Vec<String>, depth: usize) {
    for token in tokens {
        match token {
            Token::Whitespace(_) | Token::EOF => {}
            Token::DollarQuotedString(body) if depth > 0 => {
                if let Ok(inner) = Tokenizer::new(&PostgreSqlDialect {}, &body.value).tokenize() {
                    collect_words(inner.iter(), words, depth - 1);
                }
            }
            token => words.push(token.to_string()),
        }
    }
}

/// The last part of the (possibly schema-qualified) name that starts at `at`, folded.
fn qualified_name(words: &[String], mut at: usize) -> Option<String> {
    let mut name = words.get(at).filter(|w| is_name(w))?;
    while words.get(at + 1).is_some_and(|w| w == ".") && words.get(at + 2).is_some_and(|w| is_name(w)) {
        at += 2;
        name = &words[at];
    }
    Some(folded(name))
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
    Some(TokenStep { kind, table: qualified_name(words, at)?, concurrently })
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
