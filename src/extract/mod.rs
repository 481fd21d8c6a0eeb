//! Extract: a pure function from (path, bytes) to [`FileFacts`]. No I/O, no global state, so
//! it runs in parallel, caches by content and tests on a string.

mod comments;
mod rust;
mod suppression;

pub use comments::{line_comment, rule_ids, target_line, LineComment};

use crate::facts::{FileFacts, Location, Problem, RustFacts};
use std::sync::Arc;

/// Extracts the facts of one Rust source file.
pub fn extract_rust(path: Arc<str>, bytes: &[u8]) -> FileFacts {
    let mut facts = FileFacts {
        path: path.clone(),
        lines: 0,
        rust: RustFacts::default(),
        suppressions: Vec::new(),
        problems: Vec::new(),
    };
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => {
            facts.problems.push(Problem {
                location: Location::file(path),
                message: format!("not valid UTF-8 ({error}); the file was not checked"),
            });
            return facts;
        }
    };
    facts.lines = text.lines().count() as u32;
    facts.suppressions = suppression::suppressions(&path, text, "//");
    match rust::extract(&path, text) {
        Ok(rust) => facts.rust = rust,
        Err(problem) => facts.problems.push(problem),
    }
    facts
}
