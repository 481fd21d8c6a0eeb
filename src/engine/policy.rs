//! A policy: one `.rhai` file that declares its metadata (`const META = #{..}`) and a
//! `fn check(facts, ctx)`. The metadata is what `guardrail explain` prints.

use crate::location::{LineIndex, Location};
use crate::problem::Problem;
use crate::rule::RuleDoc;
use crate::symbol::Symbol;
use rhai::{Dynamic, Engine, Map, Position, AST};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

include!(concat!(env!("OUT_DIR"), "/builtin_policies.rs"));

/// Where a policy came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Builtin,
    /// A user policy directory named in `guardrail.toml`.
    User,
}

/// A compiled policy.
#[derive(Debug, Clone)]
pub struct Policy {
    pub doc: RuleDoc,
    /// Parameters and their defaults; `guardrail.toml` may override them, with the same type.
    pub params: BTreeMap<String, Dynamic>,
    pub origin: Origin,
    /// The file as reports show it.
    pub path: Symbol,
    pub source: Arc<str>,
    pub ast: AST,
}

impl Policy {
    /// Compiles a policy and reads its metadata; any problem points into the policy file.
    pub fn compile(engine: &Engine, path: Symbol, source: &str, origin: Origin) -> Result<Policy, Problem> {
        let at = |position: Position| position_location(path, source, position);
        let problem = |location: Location, message: String| Problem { location, message };
        let ast = engine
            .compile(source)
            .map_err(|error| problem(at(error.1), format!("policy does not compile: {}", error.0)))?;
        let file_stem = Path::new(&*path).file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_owned();
        let meta = ast
            .iter_literal_variables(true, false)
            .find(|(name, ..)| *name == "META")
            .and_then(|(_, _, value)| value.try_cast::<Map>())
            .ok_or_else(|| {
                problem(
                    Location::file(path),
                    "policy has no `const META = #{ .. }` with literal values (id, severity, summary, rationale, example, fix)".into(),
                )
            })?;
        let text = |key: &str| -> Result<String, Problem> {
            meta.get(key)
                .and_then(|v| v.clone().into_string().ok())
                .filter(|s| !s.trim().is_empty())
                .ok_or_else(|| problem(Location::file(path), format!("META.{key} must be a non-empty string")))
        };
        let id = text("id")?;
        if id != file_stem {
            let message = format!("META.id \"{id}\" must match the file name \"{file_stem}.rhai\"");
            return Err(problem(Location::file(path), message));
        }
        let severity = text("severity")?
            .parse()
            .map_err(|message| problem(Location::file(path), format!("META.severity: {message}")))?;
        let params = match meta.get("params") {
            None => BTreeMap::new(),
            Some(value) => value
                .clone()
                .try_cast::<Map>()
                .ok_or_else(|| problem(Location::file(path), "META.params must be a map of defaults".into()))?
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        };
        if !ast.iter_functions().any(|f| f.name == "check" && f.params.len() == 2) {
            return Err(problem(Location::file(path), "policy has no `fn check(facts, ctx)`".into()));
        }
        Ok(Policy {
            doc: RuleDoc {
                id,
                severity,
                summary: text("summary")?,
                details: match meta.get("details") {
                    Some(_) => text("details")?,
                    None => String::new(),
                },
                rationale: text("rationale")?,
                example: text("example")?,
                fix: text("fix")?,
            },
            params,
            origin,
            path,
            source: Arc::from(source),
            ast,
        })
    }

    /// Its parameters with their defaults, as `explain` and the rule pages show them.
    pub fn defaults(&self) -> Vec<(String, String)> {
        self.params.iter().map(|(name, default)| (name.clone(), default.to_string())).collect()
    }

    /// Where a Rhai position lies in this policy's file.
    pub fn location(&self, position: Position) -> Location {
        position_location(self.path, &self.source, position)
    }
}

fn position_location(path: Symbol, source: &str, position: Position) -> Location {
    match (position.line(), position.position()) {
        (Some(line), column) => {
            let column = column.unwrap_or(1).saturating_sub(1);
            LineIndex::new(source).location(path, (line as u32, column), (line as u32, column + 1))
        }
        _ => Location::file(path),
    }
}

/// A policy is a script, not a data file.
const MAX_POLICY_SIZE: u64 = 1 << 20;

/// The built-in policies, compiled.
pub fn builtin(engine: &Engine) -> (Vec<Policy>, Vec<Problem>) {
    let mut policies = Vec::new();
    let mut problems = Vec::new();
    for (name, source) in BUILTIN {
        match Policy::compile(engine, Symbol::from(format!("policies/{name}")), source, Origin::Builtin) {
            Ok(policy) => policies.push(policy),
            Err(problem) => problems.push(problem),
        }
    }
    (policies, problems)
}

/// The policies of a user directory, in file-name order.
/// Policy files are read only as regular files, and under `confined_to` when it is given.
pub fn from_dir(
    engine: &Engine,
    dir: &Path,
    shown_dir: &str,
    named_at: &Location,
    confined_to: Option<&Path>,
) -> (Vec<Policy>, Vec<Problem>) {
    let mut policies = Vec::new();
    let mut problems = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) => {
            let message = format!("cannot read policy directory \"{shown_dir}\": {error}");
            return (policies, vec![Problem { location: named_at.clone(), message }]);
        }
    };
    let mut files: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "rhai"))
        .collect();
    files.sort();
    for file in files {
        let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let shown = Symbol::from(format!("{}/{name}", shown_dir.trim_end_matches('/')));
        let bytes = match confined_to {
            Some(root) => crate::tree::read_under(root, &file, MAX_POLICY_SIZE),
            None => crate::tree::read_regular(&file, MAX_POLICY_SIZE),
        };
        match crate::tree::text(bytes) {
            Ok(source) => match Policy::compile(engine, shown, &source, Origin::User) {
                Ok(policy) => policies.push(policy),
                Err(problem) => problems.push(problem),
            },
            Err(error) => problems
                .push(Problem { location: Location::file(shown), message: format!("cannot read policy: {error}") }),
        }
    }
    (policies, problems)
}
