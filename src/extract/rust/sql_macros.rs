//! What the code's SQL macros say: the names in the string of a sqlx query macro or the body of
//! a diesel `table!` (kept as words, so a migration that drops `orders.note` finds code that
//! still says `note` and `orders` in one query), and the directory a migration macro embeds.

use crate::facts::sql_words;
use crate::symbol::Symbol;
use proc_macro2::{TokenStream, TokenTree};

/// sqlx's query macros that take the SQL as a string literal.
const SQLX_QUERY_MACROS: [&str; 6] =
    ["query", "query_as", "query_scalar", "query_unchecked", "query_as_unchecked", "query_scalar_unchecked"];

/// The words of a macro that writes SQL, `None` for any other macro.
pub fn of_macro(name: &str, resolved: &str, tokens: &TokenStream) -> Option<Vec<Symbol>> {
    let mut words = Vec::new();
    if SQLX_QUERY_MACROS.contains(&name) && resolved.starts_with("sqlx::") {
        // The first string literal is the SQL; what follows are its bind arguments.
        let sql = tokens.clone().into_iter().find_map(|tree| match tree {
            TokenTree::Literal(literal) => syn::parse_str::<syn::LitStr>(&literal.to_string()).ok(),
            _ => None,
        })?;
        words = sql_words(&sql.value());
    } else if name == "table" && (resolved.starts_with("diesel::") || resolved == "table") {
        idents(tokens, &mut words);
    } else {
        return None;
    }
    words.sort_unstable();
    words.dedup();
    Some(words.into_iter().map(|w| Symbol::from(w.as_str())).collect())
}

/// The directory, relative to the crate's manifest, whose migrations a macro embeds: sqlx's
/// `migrate!("db/schema")` (default `migrations`), refinery's `embed_migrations!("…")`,
/// diesel_migrations' `embed_migrations!("…")` (default `migrations`). `None` for other macros.
pub fn migration_dir(name: &str, resolved: &str, tokens: &TokenStream) -> Option<Symbol> {
    let embeds = (name == "migrate" && resolved.starts_with("sqlx::"))
        || (name == "embed_migrations"
            && (resolved.starts_with("refinery") || resolved.starts_with("diesel_migrations")));
    if !embeds {
        return None;
    }
    let written = tokens.clone().into_iter().find_map(|tree| match tree {
        TokenTree::Literal(literal) => syn::parse_str::<syn::LitStr>(&literal.to_string()).ok(),
        _ => None,
    });
    Some(Symbol::from(written.map_or_else(|| "migrations".to_owned(), |dir| dir.value()).as_str()))
}

fn idents(tokens: &TokenStream, words: &mut Vec<String>) {
    for tree in tokens.clone() {
        match tree {
            TokenTree::Ident(ident) => words.push(ident.to_string().trim_start_matches("r#").to_lowercase()),
            TokenTree::Group(group) => idents(&group.stream(), words),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(name: &str, resolved: &str, body: &str) -> Option<Vec<String>> {
        of_macro(name, resolved, &body.parse().unwrap()).map(|w| w.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn a_sqlx_query_gives_the_names_of_its_sql() {
        let found = words("query_as", "sqlx::query_as", r#"Order, "SELECT id, Note FROM orders WHERE id = $1", id"#);
        assert_eq!(found.unwrap(), ["from", "id", "note", "orders", "select", "where"]);
        assert_eq!(words("query", "my::query", r#""SELECT 1""#), None, "not sqlx's");
    }

    #[test]
    fn migration_macros_name_their_directory() {
        let dir = |name: &str, resolved: &str, body: &str| {
            migration_dir(name, resolved, &body.parse().unwrap()).map(|d| d.to_string())
        };
        assert_eq!(dir("migrate", "sqlx::migrate", r#""db/schema""#).as_deref(), Some("db/schema"));
        assert_eq!(dir("migrate", "sqlx::migrate", "").as_deref(), Some("migrations"));
        assert_eq!(
            dir("embed_migrations", "refinery::embed_migrations", r#""../api/sql""#).as_deref(),
            Some("../api/sql")
        );
        assert_eq!(dir("migrate", "my::migrate", r#""x""#), None);
    }

    #[test]
    fn a_diesel_table_gives_its_table_and_columns() {
        let found = words("table", "diesel::table", "orders (id) { id -> Int8, r#type -> Text, }");
        assert_eq!(found.unwrap(), ["id", "int8", "orders", "text", "type"]);
        assert_eq!(words("vec", "vec", "1, 2"), None);
    }
}
