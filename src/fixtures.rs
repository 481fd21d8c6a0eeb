//! The fixture runner: every policy against every fixture workspace, with expectations
//! written in the fixture files themselves.
//!
//! `DIR/<policy-id>/<case>/` is a small workspace. A comment `expect: <rule>[, <rule>]` at the
//! end of a line (or alone on the line above it) says a finding of that rule must point at
//! that line — `expect: <rule>(warning)` also that it is a warning, and a rule named twice that
//! it is reported twice; `ok: <rule>` says none may. Anything reported and not expected fails the
//! case, so one policy's false positives show up in every other policy's fixtures. A marker that
//! names no rule of the run, or contradicts another, fails the case too: a marker is checked.
//!
//! A case runs without the renderers of the machine (helm, kubectl) unless its
//! `guardrail-fixture.toml` names the ones it needs (`renderers = ["kubectl"]`): a case does not
//! depend on what the machine has installed, and one that needs a tool that is missing says so.

use crate::check::{check, CheckOptions};
use crate::discover::Config;
use crate::engine::{Origin, PolicySet};
use crate::extract::{line_comments, rule_ids, target_line, CommentStyle};
use crate::findings::{Finding, Severity};
use crate::native::NATIVE_RULES;
use crate::problem::Problem;
use std::collections::{BTreeMap, BTreeSet};
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
    /// `expect: rule(severity)`: the severity the finding must have.
    pub severity: Option<Severity>,
}

/// The file a case names the renderers it needs in.
pub const CASE_FILE: &str = "guardrail-fixture.toml";

/// The result of one fixture case.
#[derive(Debug)]
pub struct CaseResult {
    pub case: PathBuf,
    pub expectations: Vec<Expectation>,
    pub missing: Vec<Expectation>,
    pub unexpected: Vec<Finding>,
    pub problems: Vec<Problem>,
    /// Markers that cannot be right (an unknown rule, `ok` and `expect` of one rule on one line),
    /// findings of the wrong severity, and renderers the case needs that are missing.
    pub mistakes: Vec<String>,
}

impl CaseResult {
    pub fn passed(&self) -> bool {
        self.missing.is_empty() && self.unexpected.is_empty() && self.problems.is_empty() && self.mistakes.is_empty()
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
        let style = crate::discover::classify(&path).map_or(CommentStyle::Yaml, CommentStyle::of);
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
            for marker in rule_ids(ids) {
                // `rule(severity)`; a severity that is none stays in the name, which no rule has.
                let with_severity = marker.strip_suffix(')').and_then(|m| m.split_once('('));
                let (rule, severity) = match with_severity.and_then(|(rule, s)| Some((rule, s.parse().ok()?))) {
                    Some((rule, severity)) => (rule, Some(severity)),
                    None => (marker, None),
                };
                found.push(Expectation {
                    rule: rule.trim().to_owned(),
                    path: path.clone(),
                    line: line as u32,
                    reported,
                    severity,
                });
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
    let mut mistakes = Vec::new();
    let needs = needed_renderers(case).unwrap_or_else(|message| {
        mistakes.push(message);
        Vec::new()
    });
    for tool in needs.iter().filter(|tool| !on_path(tool)) {
        mistakes.push(format!("the case needs {tool}, which is not on PATH ({CASE_FILE})"));
    }
    let options = CheckOptions { renderers: Some(needs), ..options.clone() };
    let run = check(case, &options);
    let key = |rule: &str, path: &str, line: u32| (rule.to_owned(), path.to_owned(), line);
    let known: BTreeSet<&str> = run.rules.iter().map(|doc| doc.id.as_str()).collect();
    let mut marked: BTreeMap<(String, String, u32), (usize, bool)> = BTreeMap::new();
    for e in &expectations {
        let at = format!("{}:{}", e.path, e.line);
        if !known.contains(e.rule.as_str()) {
            mistakes.push(format!("{at}: a marker names `{}`, which is no rule of this run", e.rule));
        }
        let entry = marked.entry(key(&e.rule, &e.path, e.line)).or_default();
        if e.reported {
            entry.0 += 1;
        } else {
            entry.1 = true;
        }
        if entry.0 > 0 && entry.1 {
            mistakes.push(format!("{at}: `{}` is marked both expected and ok", e.rule));
        }
    }
    let mut reported: BTreeMap<(String, String, u32), Vec<&Finding>> = BTreeMap::new();
    for finding in &run.outcome.findings {
        reported.entry(key(&finding.rule, &finding.location.path, finding.location.line)).or_default().push(finding);
    }
    // Expected n times, reported m: the first min(n, m) match, the rest is missing or unexpected.
    let mut missing = Vec::new();
    for (at, (expected, _)) in &marked {
        let found = reported.get(at).map_or(0, Vec::len);
        let first = expectations.iter().find(|e| e.reported && key(&e.rule, &e.path, e.line) == *at);
        missing.extend(first.into_iter().cloned().cycle().take(expected.saturating_sub(found)));
    }
    for e in expectations.iter().filter(|e| e.reported) {
        let Some(wanted) = e.severity else { continue };
        let findings = reported.get(&key(&e.rule, &e.path, e.line)).into_iter().flatten();
        for finding in findings.filter(|f| f.severity != wanted) {
            mistakes.push(format!(
                "{}:{}: `{}` is reported as a {}, expected a {wanted}",
                e.path, e.line, e.rule, finding.severity
            ));
        }
    }
    let judges = |rule: &str| {
        judged.is_none_or(|rules| rules.iter().any(|r| r == rule) || expectations.iter().any(|e| e.rule == rule))
    };
    let mut unexpected = Vec::new();
    for (at, findings) in reported {
        let expected = marked.get(&at).map_or(0, |(n, _)| *n);
        unexpected.extend(findings.into_iter().skip(expected).filter(|f| judges(&f.rule)).cloned());
    }
    mistakes.sort();
    mistakes.dedup();
    CaseResult { case: case.to_path_buf(), expectations, missing, unexpected, problems: run.outcome.problems, mistakes }
}

/// The renderers a case's [`CASE_FILE`] names (`renderers = ["kubectl"]`); none without one.
fn needed_renderers(case: &Path) -> Result<Vec<String>, String> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct CaseFile {
        #[serde(default)]
        renderers: Vec<String>,
    }
    let Ok(text) = std::fs::read_to_string(case.join(CASE_FILE)) else { return Ok(Vec::new()) };
    let file: CaseFile = toml::from_str(&text).map_err(|error| format!("{CASE_FILE}: {}", error.message()))?;
    match file.renderers.iter().find(|tool| !matches!(tool.as_str(), "helm" | "kubectl")) {
        Some(other) => Err(format!("{CASE_FILE}: `{other}` is no renderer (helm, kubectl)")),
        None => Ok(file.renderers),
    }
}

/// Whether `program` is on PATH.
fn on_path(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
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
    for mistake in &result.mistakes {
        let _ = writeln!(out, "  mistake     {mistake}");
    }
    out
}

/// A fixture directory and the rules it tests: the built-in ones (policies and native rules)
/// when no policy directory is given, else the policies of those directories. The one way
/// `guardrail test` and the project's own test suite run fixtures.
pub struct Suite {
    pub dir: PathBuf,
    pub cases: Vec<PathBuf>,
    /// The rules under test, each of which needs a case that reports and a marker that must not.
    pub under_test: Vec<String>,
    /// Problems loading the policies under test (one that does not compile is not tested).
    pub problems: Vec<Problem>,
    options: CheckOptions,
    /// A user's fixtures are judged on the user's rules, and on a built-in one only where a
    /// marker names it.
    judged: Option<Vec<String>>,
}

impl Suite {
    pub fn load(dir: &Path, policy_dirs: &[PathBuf]) -> std::io::Result<Suite> {
        let cases = cases(dir)?;
        let policy_dirs: Vec<PathBuf> =
            policy_dirs.iter().map(|d| std::path::absolute(d).unwrap_or_else(|_| d.clone())).collect();
        let (policies, problems) = PolicySet::load(dir, &Config::default(), &policy_dirs);
        let builtin = policy_dirs.is_empty();
        let mut under_test: Vec<String> = policies
            .policies
            .iter()
            .filter(|p| (p.origin == Origin::Builtin) == builtin)
            .map(|p| p.doc.id.clone())
            .collect();
        if builtin {
            under_test.extend(NATIVE_RULES.iter().map(|doc| doc.id.clone()));
        }
        let judged = (!builtin).then(|| under_test.clone());
        let options = CheckOptions { policy_dirs, preview: true, ..CheckOptions::default() };
        Ok(Suite { dir: dir.to_path_buf(), cases, under_test, problems, options, judged })
    }

    pub fn run(&self, case: &Path) -> CaseResult {
        run_case(case, &self.options, self.judged.as_deref())
    }

    /// Rules under test whose fixtures lack a case that must report or a marker that must stay
    /// silent.
    pub fn coverage_gaps(&self) -> Vec<String> {
        let mut gaps = Vec::new();
        for id in &self.under_test {
            let own: Vec<Vec<Expectation>> =
                self.cases.iter().filter(|case| case.starts_with(self.dir.join(id))).map(|c| expectations(c)).collect();
            let has = |reported: bool| own.iter().flatten().any(|e| e.rule == *id && e.reported == reported);
            if own.is_empty() {
                gaps.push(format!("rule `{id}` has no fixtures in {}", self.dir.join(id).display()));
                continue;
            }
            if !has(true) {
                gaps.push(format!("rule `{id}` has no fixture line marked `expect: {id}`"));
            }
            if !has(false) {
                gaps.push(format!("rule `{id}` has no fixture line marked `ok: {id}`"));
            }
        }
        gaps
    }
}
