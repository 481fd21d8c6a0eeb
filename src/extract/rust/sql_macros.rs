//! The names in SQL the code writes: the string of a sqlx query macro, the body of a diesel
//! `table!`. Kept as words, so a migration that drops `orders.note` finds code that still says
//! `note` and `orders` in one query.

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
    fn a_diesel_table_gives_its_table_and_columns() {
        let found = words("table", "diesel::table", "orders (id) { id -> Int8, r#type -> Text, }");
        assert_eq!(found.unwrap(), ["id", "int8", "orders", "text", "type"]);
        assert_eq!(words("vec", "vec", "1, 2"), None);
    }
}
