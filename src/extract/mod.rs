//! Extract: a pure function from (path, kind, bytes) to [`FileFacts`]. No I/O, no global
//! state, so it runs in parallel, caches by content and tests on a string.

mod comments;
pub mod deploy;
mod rust;
mod suppression;

pub use comments::{line_comment, rule_ids, target_line, CommentStyle, LineComment};

use crate::facts::{FileFacts, FileKind, Location, Problem, Symbol};

/// The note a skipped Helm template gets.
pub const HELM_NOTE: &str = "Helm template syntax ({{ }}): skipped; lint the rendered manifests instead, e.g. \
     `helm template <release> <chart> | guardrail check --k8s-stdin`";

/// Facts a run may do without.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Needs {
    /// The paths a file names through modules ([`crate::facts::PathFact`]): only the
    /// architecture graph follows them, and a fifth of extraction's work goes to them.
    pub module_paths: bool,
}

impl Needs {
    pub const EVERYTHING: Needs = Needs { module_paths: true };
}

/// Extracts all facts of one file. `None` when the file turns out not to be ours (YAML that
/// holds no Kubernetes object).
pub fn extract(path: Symbol, kind: FileKind, bytes: &[u8]) -> Option<FileFacts> {
    extract_what(path, kind, bytes, Needs::EVERYTHING)
}

/// Extracts the facts of one file that `needs` asks for.
pub fn extract_what(path: Symbol, kind: FileKind, bytes: &[u8], needs: Needs) -> Option<FileFacts> {
    let mut facts = FileFacts::new(path, kind);
    let text = match std::str::from_utf8(bytes) {
        // Editors hide a byte-order mark; positions are counted after it, as in `Sources`.
        Ok(text) => text.strip_prefix('\u{feff}').unwrap_or(text),
        Err(_) if kind == FileKind::Kubernetes => return None,
        Err(error) => {
            facts.problems.push(Problem {
                location: Location::file(path),
                message: format!("not valid UTF-8 ({error}); the file was not checked"),
            });
            return Some(facts);
        }
    };
    if kind == FileKind::Kubernetes && !(text.contains("apiVersion") && text.contains("kind")) {
        return None;
    }
    facts.lines = text.lines().count() as u32;
    facts.suppressions = suppression::suppressions(path, text, kind.comment_style());
    match kind {
        FileKind::Rust => match rust::extract(path, text, needs.module_paths) {
            Ok(rust) => facts.rust = rust,
            Err(problem) => facts.problems.push(problem),
        },
        FileKind::Dockerfile => facts.dockerfile = Some(deploy::dockerfile::parse(path, text)),
        FileKind::Kubernetes if text.contains("{{") => {
            facts.notes.push(Problem { location: Location::file(path), message: HELM_NOTE.to_owned() });
        }
        FileKind::Kubernetes => match deploy::yaml::load(path, text) {
            Ok(documents) => {
                let objects = deploy::k8s::objects(documents);
                if objects.is_empty() {
                    return None;
                }
                facts.kubernetes = objects;
            }
            Err(problem) => facts.problems.push(problem),
        },
        FileKind::Compose => match deploy::yaml::load(path, text) {
            Ok(documents) => facts.compose = Some(deploy::compose::services(&path, &documents)),
            Err(problem) => facts.problems.push(problem),
        },
    }
    Some(facts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_paths_are_left_out_when_not_needed_and_nothing_else_is() {
        let text = b"use crate::db::Pool;\nfn open(pool: crate::db::Pool) { crate::db::connect(&pool, 1); }\n";
        let path = Symbol::intern("src/lib.rs");
        let all = extract(path, FileKind::Rust, text).unwrap();
        let mut without = extract_what(path, FileKind::Rust, text, Needs { module_paths: false }).unwrap();
        let written: Vec<&str> = all.rust.paths.iter().map(|p| p.written.as_str()).collect();
        assert_eq!(written, ["crate::db::Pool", "crate::db::connect"]);
        assert!(without.rust.paths.is_empty());
        without.rust.paths = all.rust.paths.clone();
        assert_eq!(without, all);
    }
}
