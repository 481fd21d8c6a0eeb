//! The fixture runner: every policy against every fixture workspace, with expectations
//! written in the fixture files themselves.
//!
//! `DIR/<policy-id>/<case>/` is a small workspace. A comment `expect: <rule>[, <rule>]` at the
//! end of a line (or alone on the line above it) says a finding of that rule must point at
//! that line; `ok: <rule>` says none may. Anything reported and not expected fails the case,
//! so one policy's false positives show up in every other policy's fixtures.

use crate::check::{check, CheckOptions};
use crate::extract::{line_comments, rule_ids, target_line, CommentStyle};
use crate::facts::Problem;
use crate::findings::Finding;
use std::collections::BTreeSet;
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// One expectation written in a fixture file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Expectation {
    pub rule: String,
    pub path: String,
    pub line: u32,
    /// `expect:` (true) or `ok:` (false).
    pub reported: bool,
}

/// The result of one fixture case.
#[derive(Debug)]
pub struct CaseResult {
    pub case: PathBuf,
    pub expectations: Vec<Expectation>,
    pub missing: Vec<Expectation>,
    pub unexpected: Vec<Finding>,
    pub problems: Vec<Problem>,
}

impl CaseResult {
    pub fn passed(&self) -> bool {
        self.missing.is_empty() && self.unexpected.is_empty() && self.problems.is_empty()
    }
}

/// The cases under `dir`: its grandchild directories, sorted.
pub fn cases(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut cases = Vec::new();
    for group in sorted_dirs(dir)? {
        cases.extend(sorted_dirs(&group)?);
    }
    Ok(cases)
}

fn sorted_dirs(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut dirs: Vec<PathBuf> =
        std::fs::read_dir(dir)?.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.is_dir()).collect();
    dirs.sort();
    Ok(dirs)
}

/// Every `expect:`/`ok:` marker in the files of a case.
pub fn expectations(case: &Path) -> Vec<Expectation> {
    let mut found = Vec::new();
    let walker = ignore::WalkBuilder::new(case).hidden(false).require_git(false).build();
    for entry in walker.filter_map(Result::ok).filter(|e| e.file_type().is_some_and(|t| t.is_file())) {
        let Ok(text) = std::fs::read_to_string(entry.path()) else { continue };
        let path = crate::discover::config::relative_display(case, entry.path());
        let style = crate::discover::classify(&path).map_or(CommentStyle::Yaml, |kind| kind.comment_style());
        let comments = line_comments(&text, style);
        let directive = |body: &str| body.starts_with("expect:") || body.starts_with("ok:");
        for (i, comment) in comments.iter().enumerate() {
            let Some(comment) = comment else { continue };
            let (reported, ids) = if let Some(ids) = comment.body.strip_prefix("expect:") {
                (true, ids)
            } else if let Some(ids) = comment.body.strip_prefix("ok:") {
                (false, ids)
            } else {
                continue;
            };
            let line = if comment.alone { target_line(&comments, i + 1, directive) } else { i + 1 };
            for rule in rule_ids(ids) {
                found.push(Expectation { rule: rule.to_owned(), path: path.clone(), line: line as u32, reported });
            }
        }
    }
    found.sort();
    found
}

/// Checks one case against its expectations. With `judged`, only findings of those rules and of
/// rules the case's markers name can be unexpected (a user's fixtures need not account for every
/// built-in rule); without it, every finding is judged.
pub fn run_case(case: &Path, options: &CheckOptions, judged: Option<&[String]>) -> CaseResult {
    let expectations = expectations(case);
    let run = check(case, options);
    let key = |rule: &str, path: &str, line: u32| (rule.to_owned(), path.to_owned(), line);
    let expected: BTreeSet<_> =
        expectations.iter().filter(|e| e.reported).map(|e| key(&e.rule, &e.path, e.line)).collect();
    let reported: BTreeSet<_> =
        run.outcome.findings.iter().map(|f| key(&f.rule, &f.location.path, f.location.line)).collect();
    let missing = expectations
        .iter()
        .filter(|e| e.reported && !reported.contains(&key(&e.rule, &e.path, e.line)))
        .cloned()
        .collect();
    let judges = |rule: &str| {
        judged.is_none_or(|rules| rules.iter().any(|r| r == rule) || expectations.iter().any(|e| e.rule == rule))
    };
    let unexpected = run
        .outcome
        .findings
        .into_iter()
        .filter(|f| judges(&f.rule) && !expected.contains(&key(&f.rule, &f.location.path, f.location.line)))
        .collect();
    CaseResult { case: case.to_path_buf(), expectations, missing, unexpected, problems: run.outcome.problems }
}

/// A readable account of a case's failures.
pub fn describe(result: &CaseResult) -> String {
    let mut out = String::new();
    for e in &result.missing {
        let _ = writeln!(out, "  missing     {}  {}:{}", e.rule, e.path, e.line);
    }
    for f in &result.unexpected {
        let _ = writeln!(
            out,
            "  unexpected  {}  {}:{}:{}  {}",
            f.rule, f.location.path, f.location.line, f.location.column, f.message
        );
    }
    for p in &result.problems {
        let _ =
            writeln!(out, "  problem     {}:{}:{}  {}", p.location.path, p.location.line, p.location.column, p.message);
    }
    out
}

/// Policies whose fixtures lack a case that must report or a marker that must stay silent.
pub fn coverage_gaps(results: &[CaseResult], dir: &Path, policy_ids: &[String]) -> Vec<String> {
    let mut gaps = Vec::new();
    for id in policy_ids {
        let own: Vec<&CaseResult> = results.iter().filter(|r| r.case.starts_with(dir.join(id))).collect();
        let has =
            |reported: bool| own.iter().flat_map(|r| &r.expectations).any(|e| e.rule == *id && e.reported == reported);
        if own.is_empty() {
            gaps.push(format!("policy `{id}` has no fixtures in {}", dir.join(id).display()));
            continue;
        }
        if !has(true) {
            gaps.push(format!("policy `{id}` has no fixture line marked `expect: {id}`"));
        }
        if !has(false) {
            gaps.push(format!("policy `{id}` has no fixture line marked `ok: {id}`"));
        }
    }
    gaps
}
