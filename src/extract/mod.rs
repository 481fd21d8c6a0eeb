//! Extract: a pure function from (path, kind, bytes) to [`FileFacts`]. No I/O, no global
//! state, so it runs in parallel, caches by content and tests on a string.

mod comments;
pub mod deploy;
mod migration;
mod rust;
mod suppression;

pub use comments::{line_comments, rule_ids, target_line, CommentStyle, LineComment};

use crate::facts::FileFacts;
use crate::file_kind::FileKind;
use crate::location::Location;
use crate::problem::Problem;
use crate::symbol::Symbol;
use std::borrow::Cow;

/// The note a skipped Helm template gets.
pub const HELM_NOTE: &str = "Helm template syntax ({{ }}): skipped; lint the rendered manifests instead, e.g. \
     `helm template <release> <chart> | guardrail check --k8s-stdin`";

/// The notes of skipped Helm templates, one per chart (the directory above `templates/`)
/// rather than one per template file; other notes as they are.
pub fn one_note_per_chart(notes: Vec<Problem>) -> Vec<Problem> {
    let (templates, mut others): (Vec<Problem>, Vec<Problem>) = notes.into_iter().partition(|n| n.message == HELM_NOTE);
    let mut charts: Vec<(String, Problem, usize)> = Vec::new();
    for template in templates {
        let path = template.location.path.as_str();
        let chart = match path.split_once("/templates/") {
            Some((chart, _)) => chart.to_owned(),
            None if path.starts_with("templates/") => ".".to_owned(),
            None => path.rsplit_once('/').map_or(".", |(dir, _)| dir).to_owned(),
        };
        match charts.iter_mut().find(|(known, ..)| *known == chart) {
            Some((_, _, count)) => *count += 1,
            None => charts.push((chart, template, 1)),
        }
    }
    for (chart, mut first, count) in charts {
        let files = if count == 1 { "1 template file".to_owned() } else { format!("{count} template files") };
        first.message = format!(
            "Helm chart `{chart}` ({files}) was not checked: it was not rendered (helm is not on PATH, or no \
             Chart.yaml is above it); install helm, or check the rendered output, e.g. \
             `helm template <release> {chart} | guardrail check --k8s-stdin`"
        );
        others.push(first);
    }
    others
}

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

/// The text of a file: UTF-8, or UTF-16 or UTF-32 behind a byte-order mark (which YAML allows and
/// kubectl reads). Positions are counted in the decoded text, after the mark, here and in
/// `Sources` alike.
pub fn decode(bytes: &[u8]) -> Result<Cow<'_, str>, String> {
    match bytes {
        [0xff, 0xfe, 0, 0, body @ ..] => decode_wide(body, 4, false),
        [0, 0, 0xfe, 0xff, body @ ..] => decode_wide(body, 4, true),
        [0xff, 0xfe, body @ ..] => decode_wide(body, 2, false),
        [0xfe, 0xff, body @ ..] => decode_wide(body, 2, true),
        _ => match std::str::from_utf8(bytes) {
            Ok(text) => Ok(Cow::Borrowed(text.strip_prefix('\u{feff}').unwrap_or(text))),
            Err(error) => Err(format!("not valid UTF-8 ({error})")),
        },
    }
}

/// UTF-16 or UTF-32 code units of `width` bytes after the byte-order mark.
fn decode_wide(body: &[u8], width: usize, big_endian: bool) -> Result<Cow<'static, str>, String> {
    let invalid = || format!("not valid UTF-{}", width * 8);
    if !body.len().is_multiple_of(width) {
        return Err(invalid());
    }
    let unit = |chunk: &[u8]| -> u32 {
        let mut bytes = [0u8; 4];
        bytes[..width].copy_from_slice(chunk);
        match (width, big_endian) {
            (2, false) => u32::from(u16::from_le_bytes([bytes[0], bytes[1]])),
            (2, true) => u32::from(u16::from_be_bytes([bytes[0], bytes[1]])),
            (_, false) => u32::from_le_bytes(bytes),
            (_, true) => u32::from_be_bytes(bytes),
        }
    };
    let text = if width == 2 {
        let units: Vec<u16> = body.chunks(2).map(|chunk| unit(chunk) as u16).collect();
        String::from_utf16(&units).map_err(|_| invalid())?
    } else {
        body.chunks(4).map(|chunk| char::from_u32(unit(chunk))).collect::<Option<String>>().ok_or_else(invalid)?
    };
    Ok(Cow::Owned(text))
}

/// Whether a YAML file may hold Kubernetes objects: it names their keys, or it escapes
/// something (`"api\x56ersion":`, JSON's `"\u0056"`), which only a parse can tell apart.
fn may_hold_objects(text: &str) -> bool {
    (text.contains("apiVersion") && text.contains("kind")) || text.contains('\\')
}

/// Helm template syntax outside comments: `# {{ not a template }}` is a comment.
fn is_template(text: &str) -> bool {
    text.lines().any(|line| {
        let mut quote = None;
        let mut previous = ' ';
        for (at, c) in line.char_indices() {
            match (quote, c) {
                (None, '#') if previous.is_whitespace() => return false,
                (None, '"' | '\'') => quote = Some(c),
                (Some(open), _) if c == open => quote = None,
                _ => {}
            }
            if line[at..].starts_with("{{") {
                return true;
            }
            previous = c;
        }
        false
    })
}

/// Extracts the facts of one file that `needs` asks for.
pub fn extract_what(path: Symbol, kind: FileKind, bytes: &[u8], needs: Needs) -> Option<FileFacts> {
    let mut facts = FileFacts::new(path, kind);
    let decoded = decode(bytes);
    let is_yaml = matches!(kind, FileKind::Kubernetes | FileKind::Compose);
    let text = match &decoded {
        Ok(text) if is_yaml || matches!(text, Cow::Borrowed(_)) => text,
        // Only YAML may come in UTF-16 or UTF-32 (rustc and Docker read UTF-8 alone).
        Ok(_) => {
            let message = "not UTF-8 (UTF-16 or UTF-32 is for YAML); the file was not checked".to_owned();
            facts.problems.push(Problem { location: Location::file(path), message });
            return Some(facts);
        }
        // YAML that is not text is not a manifest, unless it says it is one.
        Err(_) if kind == FileKind::Kubernetes && !may_hold_objects(&String::from_utf8_lossy(bytes)) => return None,
        // A build script that is not text builds nothing guardrail can read.
        Err(_) if kind == FileKind::BuildScript => return None,
        Err(error) => {
            facts.problems.push(Problem {
                location: Location::file(path),
                message: format!("{error}; the file was not checked"),
            });
            return Some(facts);
        }
    };
    let text: &str = text;
    if kind == FileKind::Kubernetes && !may_hold_objects(text) {
        return None;
    }
    facts.lines = text.lines().count() as u32;
    facts.suppressions = suppression::suppressions(path, text, CommentStyle::of(kind));
    if matches!(kind, FileKind::Dockerfile | FileKind::Compose | FileKind::Kubernetes) {
        facts.says_development = deploy::k8s::says_development(text);
    }
    match kind {
        FileKind::Rust => match rust::extract(path, text, needs.module_paths) {
            Ok(rust) => facts.rust = rust,
            Err(problem) => facts.problems.push(problem),
        },
        FileKind::Dockerfile => facts.dockerfile = Some(deploy::dockerfile::parse(path, text)),
        // A template names its kind and API version in plain text (GitHub's `${{ }}` in a
        // workflow, JSON test data with braces, do not).
        FileKind::Kubernetes if is_template(text) && text.contains("apiVersion") && text.contains("kind") => {
            facts.notes.push(Problem { location: Location::file(path), message: HELM_NOTE.to_owned() });
        }
        FileKind::Kubernetes => match deploy::yaml::load(path, text) {
            Ok(documents) => {
                facts.kubernetes = objects_of(documents, text);
                if facts.kubernetes.is_empty() {
                    return None;
                }
            }
            // YAML that does not parse is a broken manifest only when it says it is one.
            Err(_) if !(text.contains("apiVersion") && text.contains("kind")) => return None,
            Err(problem) => facts.problems.push(problem),
        },
        FileKind::BuildScript => {
            facts.image_builds = deploy::builds::image_builds(path, text);
            facts.execs = deploy::builds::execs(path, text);
            if facts.image_builds.is_empty() && facts.execs.is_empty() {
                return None;
            }
        }
        FileKind::Migration => {
            let (migration, note) = migration::extract(path, text);
            facts.migration = Some(migration);
            facts.notes.extend(note);
        }
        FileKind::Compose => match deploy::yaml::load(path, text) {
            Ok(documents) if documents.first().is_some_and(|d| d.get("services").is_some()) => {
                facts.compose = Some(deploy::compose::services(&path, &documents))
            }
            // Named like a compose file, but without services: maybe manifests, maybe neither.
            Ok(documents) => {
                facts.kubernetes = deploy::k8s::objects(documents);
                if facts.kubernetes.is_empty() {
                    return None;
                }
            }
            Err(_) if !(text.contains("services:") || text.contains("apiVersion") && text.contains("kind")) => {
                return None
            }
            Err(problem) => facts.problems.push(problem),
        },
    }
    Some(facts)
}

/// The Kubernetes objects of a file's documents, judged generated when its text says so.
fn objects_of(documents: Vec<crate::facts::YamlNode>, text: &str) -> Vec<crate::facts::K8sObject> {
    let mut objects = deploy::k8s::objects(documents);
    let generated = deploy::k8s::says_generated(text);
    objects.iter_mut().for_each(|object| object.generated = generated);
    objects
}

/// A Helm template of a chart `helm template` could not render, read as written
/// ([`deploy::template`]): what it writes outright is checked at its own lines.
pub fn extract_template_as_written(path: Symbol, bytes: &[u8]) -> FileFacts {
    let mut facts = FileFacts::new(path, FileKind::Kubernetes);
    let Ok(text) = decode(bytes) else {
        let message = "not text; this template was not checked".to_owned();
        facts.problems.push(Problem { location: Location::file(path), message });
        return facts;
    };
    facts.lines = text.lines().count() as u32;
    facts.suppressions = suppression::suppressions(path, &text, CommentStyle::Yaml);
    match deploy::yaml::load(path, &deploy::template::as_written(&text)) {
        Ok(documents) => {
            facts.kubernetes = objects_of(documents, &text);
            facts.kubernetes.iter_mut().for_each(|object| object.templated = true);
        }
        Err(problem) => facts.notes.push(Problem {
            location: problem.location,
            message: format!("this template could not be read as written, so it was not checked: {}", problem.message),
        }),
    }
    facts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_without_facts_is_written_without_rust_facts() {
        let path = Symbol::intern("src/types.rs");
        let plain = extract(path, FileKind::Rust, b"// types\npub struct Order;\n").unwrap();
        assert!(plain.rust.is_empty() && plain.rust.lines.line_starts().len() == 3);
        let json = serde_json::to_value(&plain).unwrap();
        assert_eq!(json.get("rust"), None);
        assert_eq!(json["lines"], 2);
        let called = extract(path, FileKind::Rust, b"fn f() { g(1); }\n").unwrap();
        assert!(!called.rust.is_empty());
        let call = &serde_json::to_value(&called).unwrap()["rust"]["calls"][0];
        assert_eq!(
            (&call["written"], &call["args"], &call["function"]),
            (&"g".into(), &serde_json::json!([1]), &"f".into())
        );
    }

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
