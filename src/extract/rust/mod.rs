//! The Rust extractor: syn's full AST, walked once, to plain facts with real line/column spans.

mod imports;
mod macros;
mod visitor;

use crate::facts::{LineIndex, Location, Problem, RustFacts};
use std::sync::Arc;

/// Parses one file and extracts its facts, or reports where it does not parse.
pub fn extract(path: &Arc<str>, text: &str) -> Result<RustFacts, Problem> {
    let index = LineIndex::new(text);
    let result = match syn::parse_file(text) {
        Ok(file) => {
            let scopes = imports::Scopes::collect(&file);
            let mut visitor = visitor::FactVisitor::new(path, &index, &scopes);
            syn::visit::Visit::visit_file(&mut visitor, &file);
            Ok(visitor.into_facts())
        }
        Err(error) => {
            let start = error.span().start();
            let end = error.span().end();
            let mut location = index.location(path, (start.line as u32, start.column), (end.line as u32, end.column));
            if location.line == 0 {
                location = Location::file(path.clone());
            }
            Err(Problem { location, message: format!("does not parse as Rust: {error}; the file was not checked") })
        }
    };
    // Spans live in a thread-local source map that only grows; every span is plain data by now.
    proc_macro2::extra::invalidate_current_thread_spans();
    result
}
