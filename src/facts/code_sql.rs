//! Where the code's own SQL names a table or a column: the join from a migration that renames
//! or drops one to the code that still uses it (sqlx query strings, diesel `table!` schemas).

use super::{Facts, LinkedFile, Literal, SqlText, StepKind};
use crate::location::Location;
use crate::symbol::Symbol;
use std::collections::HashSet;

/// sqlx's query functions that take the SQL as their first argument.
const SQLX_QUERY_FUNCTIONS: [&str; 3] = ["sqlx::query", "sqlx::query_as", "sqlx::query_scalar"];

impl Facts {
    /// The first place outside tests where the code's SQL names `table` (and `column`, when
    /// given): a query macro's string, a diesel `table!`, or the string of a `sqlx::query(..)`.
    /// Names are matched as words, so a query that names both is taken to use the column —
    /// unless it also names another table that the migrations ever gave a column of that name.
    pub fn named_in_code(&self, table: &str, column: Option<&str>) -> Option<Location> {
        let wanted: Vec<&str> = [Some(table), column].into_iter().flatten().collect();
        let others = column.map(|column| self.tables_with_column(column, table)).unwrap_or_default();
        let unambiguous = |word: &str| !others.contains(word);
        // Words of macros were interned when extracted: a name never interned is in none.
        let symbols: Vec<Symbol> = wanted.iter().filter_map(|w| Symbol::lookup(w)).collect();
        if symbols.len() == wanted.len() {
            for file in self.files.iter().filter(|f| !f.info.test_only) {
                let rust = &file.facts.rust;
                let mut texts = rust.sql_texts.iter().filter(|t| !rust.context(t.context).in_test);
                let names = |text: &&SqlText| {
                    symbols.iter().all(|w| text.words.contains(w)) && text.words.iter().all(|w| unambiguous(w))
                };
                if let Some(text) = texts.find(names) {
                    return Some(location(file, text));
                }
            }
        }
        let calls = SQLX_QUERY_FUNCTIONS.iter().flat_map(|path| self.index.calls.resolved(path));
        calls.filter(|call| !call.in_test() && !call.file().test_only).find_map(|call| {
            let rust = &call.linked().facts.rust;
            let Some(Literal::Str(sql)) = rust.arguments(call.item().args).value(0) else { return None };
            let words = sql_words(sql);
            let names = wanted.iter().all(|w| words.iter().any(|word| word == w));
            (names && words.iter().all(|w| unambiguous(w))).then(|| call.location())
        })
    }
}

impl Facts {
    /// Tables other than `except` that some migration creates or alters with a column named
    /// `column`.
    fn tables_with_column(&self, column: &str, except: &str) -> HashSet<String> {
        let steps = self.index.migration_steps.iter().map(|step| step.item());
        let mut tables = HashSet::new();
        for step in steps.filter(|step| step.table != except) {
            let has = match step.kind {
                StepKind::CreateTable => step.columns.iter().any(|(name, _)| name == column),
                StepKind::AddColumn | StepKind::RenameColumn => step.column.as_deref() == Some(column),
                _ => false,
            };
            if has {
                tables.insert(step.table.clone());
            }
        }
        tables
    }
}

/// The identifiers of a SQL text, lower-cased as PostgreSQL folds them (quoted ones too: the
/// code rarely quotes a name it did not create quoted), less the names `AS` gives: an alias
/// (`COALESCE(..) AS build_time`) names no column of a table.
pub fn sql_words(sql: &str) -> Vec<String> {
    let words = sql
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|word| word.chars().next().is_some_and(|c| c.is_alphabetic() || c == '_'))
        .map(str::to_lowercase);
    let mut kept: Vec<String> = Vec::new();
    let mut after_as = false;
    for word in words {
        let is_as = word == "as";
        if !after_as && !is_as {
            kept.push(word);
        }
        after_as = is_as;
    }
    kept
}

fn location(file: &LinkedFile, text: &SqlText) -> Location {
    file.facts.location(text.span)
}
