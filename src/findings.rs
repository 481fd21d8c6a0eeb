//! Findings and run-level problems: the first-class output of every stage.

use crate::facts::{Location, Problem};
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
