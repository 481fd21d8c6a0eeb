//! The Rust extractor: syn's full AST, walked once, to plain facts with real line/column spans.

mod bindings;
mod imports;
mod macros;
mod visitor;

use crate::facts::{LineIndex, Location, Problem, RustFacts, Symbol};

mod nesting;
mod state;

/// Parses one file and extracts its facts (its module paths only when `module_paths`), or
/// reports where it does not parse.
pub fn extract(path: Symbol, text: &str, module_paths: bool) -> Result<RustFacts, Problem> {
    let index = LineIndex::new(text);
    if let Some((at, message)) = nesting::too_deep(text) {
        return Err(Problem {
            location: index.location_of_bytes(path, at, at + 1),
            message: format!("{message}; the file was not checked"),
        });
    }
    let result = match syn::parse_file(text) {
        Ok(file) => {
            let scopes = imports::Scopes::collect(&file);
            let mut visitor = visitor::FactVisitor::new(&index, &scopes, module_paths);
            syn::visit::Visit::visit_file(&mut visitor, &file);
            Ok(visitor.into_facts(index.line_table()))
        }
        Err(error) => {
            let start = error.span().start();
            let end = error.span().end();
            let mut location = index.location(path, (start.line as u32, start.column), (end.line as u32, end.column));
            if location.line == 0 {
                location = Location::file(path);
            }
            Err(Problem { location, message: format!("does not parse as Rust: {error}; the file was not checked") })
        }
    };
    // Spans live in a thread-local source map that only grows; every span is plain data by now.
    proc_macro2::extra::invalidate_current_thread_spans();
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_absurd_nesting_but_not_brackets_in_strings() {
        let deep = format!("fn f() {{ let x = {}1{}; }}", "(".repeat(300), ")".repeat(300));
        let problem = extract(Symbol::intern("deep.rs"), &deep, true).unwrap_err();
        assert!(problem.message.starts_with("code nests deeper than 256 levels"), "{}", problem.message);
        let strings = format!("const S: &str = \"{}\"; // {}\nfn f() {{}}\n", "(".repeat(300), "[".repeat(300));
        assert!(extract(Symbol::intern("ok.rs"), &strings, true).is_ok());
    }
}
