//! Migration files: SQL read with sqlparser's PostgreSQL dialect into [`MigrationStep`]s, one
//! statement at a time, so a statement the parser does not read costs that statement alone;
//! diesel's `metadata.toml` for its `run_in_transaction`.
//!
//! The file is tokenized once (strings, dollar-quoted bodies and comments stay whole), split at
//! the semicolons between statements, and each statement is parsed from its own tokens. Three
//! statements sqlparser misreads or does not know — `DROP INDEX CONCURRENTLY`, `REINDEX`,
//! `VACUUM` — are read from their tokens ([`by_tokens`]). Whatever is left unread is named in
//! one note per file: its locks are not checked.

mod by_tokens;
mod statements;

use crate::facts::Migration;
use crate::location::{LineIndex, Location};
use crate::problem::Problem;
use crate::symbol::Symbol;
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer, Whitespace};
use statements::Reader;

/// The migration a file holds, and the note that names what was not read.
pub fn extract(path: Symbol, text: &str) -> (Migration, Option<Problem>) {
    let lines = LineIndex::new(text);
    if path.rsplit('/').next() == Some("metadata.toml") {
        return (Migration { run_in_transaction: run_in_transaction(text), ..Migration::default() }, None);
    }
    let mut migration = Migration {
        no_transaction_marker: text.lines().next().is_some_and(says_no_transaction),
        ..Migration::default()
    };
    let tokens = match Tokenizer::new(&PostgreSqlDialect {}, text).tokenize_with_location() {
        Ok(tokens) => tokens,
        Err(error) => {
            let (line, column) = (error.location.line as u32, error.location.column.saturating_sub(1) as usize);
            let location = lines.location(path, (line, column), (line, column));
            let message = format!("this SQL does not read ({}): the migration was not checked", error.message);
            return (migration, Some(Problem { location, message }));
        }
    };
    let mut reader = Reader::new(path, &lines);
    let mut unread = Vec::new();
    for statement in split(&tokens) {
        if let Err(what) = reader.read(statement) {
            unread.push((reader.start_of(statement), what));
        }
    }
    migration.steps = reader.into_steps();
    (migration, unread_note(unread))
}

/// sqlx's marker for a migration it must not wrap in a transaction.
fn says_no_transaction(first_line: &str) -> bool {
    first_line.trim().strip_prefix("--").is_some_and(|rest| rest.trim() == "no-transaction")
}

/// diesel's `run_in_transaction = false` in a migration's `metadata.toml`.
fn run_in_transaction(text: &str) -> Option<bool> {
    let table: toml::Table = toml::from_str(text).ok()?;
    table.get("run_in_transaction")?.as_bool()
}

/// The statements of a token stream: the tokens between semicolons, less the blank ones.
fn split(tokens: &[TokenWithSpan]) -> impl Iterator<Item = &[TokenWithSpan]> {
    tokens.split(|token| token.token == Token::SemiColon).filter(|statement| statement.iter().any(is_code))
}

/// A name as PostgreSQL folds it: unquoted in lower case.
fn ident(ident: &sqlparser::ast::Ident) -> String {
    match ident.quote_style {
        Some(_) => ident.value.clone(),
        None => ident.value.to_lowercase(),
    }
}

/// A token that is not whitespace or a comment.
fn is_code(token: &TokenWithSpan) -> bool {
    !matches!(token.token, Token::Whitespace(_) | Token::EOF)
}

/// One note for the statements of a file that were not read: where the first is, and what each
/// begins with.
fn unread_note(unread: Vec<(Location, String)>) -> Option<Problem> {
    let (first, _) = unread.first()?;
    let listed: Vec<String> = unread.iter().map(|(at, what)| format!("line {} ({what})", at.line)).collect();
    let count = if unread.len() == 1 { "1 statement".to_owned() } else { format!("{} statements", unread.len()) };
    Some(Problem {
        location: first.clone(),
        message: format!(
            "{count} that guardrail's SQL parser does not read {} not checked for locks: {}",
            if unread.len() == 1 { "was" } else { "were" },
            listed.join(", ")
        ),
    })
}

/// The comments of a SQL text: `(0-based line, 0-based character column, body)` of each `--`
/// comment, as the tokenizer sees them (a `--` in a string or a dollar-quoted body is none).
pub fn comments(text: &str) -> Option<Vec<(usize, usize, String)>> {
    let tokens = Tokenizer::new(&PostgreSqlDialect {}, text).tokenize_with_location().ok()?;
    let found = tokens.into_iter().filter_map(|token| match token.token {
        Token::Whitespace(Whitespace::SingleLineComment { comment, prefix }) if prefix == "--" => Some((
            (token.span.start.line as usize).saturating_sub(1),
            (token.span.start.column as usize).saturating_sub(1),
            comment,
        )),
        _ => None,
    });
    Some(found.collect())
}

#[cfg(test)]
mod tests;
