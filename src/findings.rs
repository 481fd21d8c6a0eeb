//! Findings and run-level problems: the first-class output of every stage.

use crate::location::Location;
use crate::problem::Problem;
use serde::Serialize;
use std::fmt;
use std::str::FromStr;

/// How serious a finding is; ordered so that `Note < Warning < Error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Note,
    Warning,
    Error,
}

impl Severity {
    pub const NAMES: &'static str = "\"error\", \"warning\" or \"note\"";

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl FromStr for Severity {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "note" => Ok(Severity::Note),
            "warning" => Ok(Severity::Warning),
            "error" => Ok(Severity::Error),
            other => Err(format!("unknown severity \"{other}\": expected {}", Severity::NAMES)),
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A secondary location that explains a finding.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Related {
    pub location: Location,
    pub message: String,
}

/// One thing a policy reported.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub rule: String,
    pub severity: Severity,
    pub message: String,
    pub location: Location,
    pub help: Option<String>,
    pub related: Vec<Related>,
    /// Stable under edits elsewhere in the file; set by [`crate::filter`].
    pub fingerprint: String,
}

impl Finding {
    /// A finding with nothing but its place and message, for the renderers' tests.
    #[cfg(test)]
    pub fn plain(rule: &str, severity: Severity, (path, line, column): (&str, u32, u32), message: &str) -> Finding {
        let mut location = Location::file(crate::symbol::Symbol::intern(path));
        (location.line, location.column) = (line, column);
        Finding {
            rule: rule.to_owned(),
            severity,
            message: message.to_owned(),
            location,
            help: None,
            related: Vec::new(),
            fingerprint: String::new(),
        }
    }

    /// The deterministic report order: path, line, column, rule, then message.
    pub fn sort_key(&self) -> impl Ord + '_ {
        (&self.location.path, self.location.line, self.location.column, &self.rule, &self.message)
    }
}

/// Everything one run produced.
#[derive(Debug, Default)]
pub struct Outcome {
    pub findings: Vec<Finding>,
    /// Problems with the input or the run: each one makes the exit code 2.
    pub problems: Vec<Problem>,
    /// Files checked.
    pub files: usize,
    /// Findings hidden by inline suppressions.
    pub suppressed: usize,
    /// Findings hidden by the baseline.
    pub baselined: usize,
    /// Information about the run that does not change the exit code (skipped Helm templates).
    pub notes: Vec<Problem>,
    /// What each mechanism that leaves something out left out, one entry per mechanism.
    pub left_out: Vec<LeftOut>,
}

/// What checking a tree found, before the report is narrowed to what was asked (a baseline, a
/// diff, paths): a function of the run's inputs, which a run with the same inputs reuses
/// ([`crate::cache::Results`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Checked {
    pub findings: Vec<Finding>,
    pub problems: Vec<Problem>,
    pub notes: Vec<Problem>,
    /// Files checked.
    pub files: usize,
    /// Findings hidden by inline suppressions.
    pub suppressed: usize,
    /// What the walk and the facts left out (`exclude`, `.gitignore`, development and generated
    /// deployment files …); what the configuration and the filters leave out is added later.
    pub left_out: Vec<LeftOut>,
}

/// What one mechanism left out of a run — files, rules or findings — named so that a reviewer
/// sees a pull request that changes what is checked (moving a manifest under `e2e/`, turning a
/// rule off, listing a crate in `.gitignore`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LeftOut {
    /// The mechanism: `exclude`, `fixtures`, `gitignore`, `generated`, `development`,
    /// `rule-off`, `suppression`, `baseline`, `diff`.
    pub by: &'static str,
    /// How many files, rules or findings.
    pub count: usize,
    /// What was left out and why, starting with the count: "2 files matched by `exclude` in
    /// guardrail.toml".
    pub message: String,
    /// The first of them (paths or rule ids), at most [`LeftOut::SHOWN`].
    pub items: Vec<String>,
}

impl LeftOut {
    pub const SHOWN: usize = 10;

    /// Every mechanism: what `by` may be (a remembered result names them by text).
    pub const MECHANISMS: [&'static str; 12] = [
        "exclude",
        "fixtures",
        "gitignore",
        "development",
        "down-migration",
        "generated",
        "rule-off",
        "preview",
        "suppression",
        "baseline",
        "diff",
        "paths",
    ];

    /// An entry for `items` (all of them; the first few are kept), when there are any.
    pub fn of(by: &'static str, items: Vec<String>, what: impl FnOnce(usize) -> String) -> Option<LeftOut> {
        debug_assert!(Self::MECHANISMS.contains(&by), "{by} is not in LeftOut::MECHANISMS");
        (!items.is_empty()).then(|| LeftOut {
            by,
            count: items.len(),
            message: what(items.len()),
            items: items.into_iter().take(Self::SHOWN).collect(),
        })
    }

    /// An entry for `count` findings nothing lists one by one.
    pub fn counted(by: &'static str, count: usize, what: impl FnOnce(usize) -> String) -> Option<LeftOut> {
        debug_assert!(Self::MECHANISMS.contains(&by), "{by} is not in LeftOut::MECHANISMS");
        (count > 0).then(|| LeftOut { by, count, message: what(count), items: Vec::new() })
    }

    /// The message with the items it shows: `2 files …: a.rs, b.rs`.
    pub fn line(&self) -> String {
        if self.items.is_empty() {
            return self.message.clone();
        }
        let more = self.count.saturating_sub(self.items.len());
        let more = if more > 0 { format!(" and {more} more") } else { String::new() };
        format!("{}: {}{more}", self.message, self.items.join(", "))
    }
}

impl Outcome {
    /// 0: nothing at or above `fail_on`; 1: findings; 2: the run could not be trusted.
    pub fn exit_code(&self, fail_on: Severity) -> i32 {
        if !self.problems.is_empty() {
            2
        } else if self.findings.iter().any(|f| f.severity >= fail_on) {
            1
        } else {
            0
        }
    }
}
