//! `--format json`: exactly one object,
//! `{"version":1,"findings":[..],"errors":[..],"notes":[..],"left_out":[..],"summary":{..}}`.

use crate::findings::{LeftOut, Outcome};
use crate::problem::Problem;
use serde::Serialize;

#[derive(Serialize)]
struct Report<'a> {
    version: u32,
    findings: Vec<JsonFinding<'a>>,
    errors: Vec<JsonError<'a>>,
    notes: Vec<JsonError<'a>>,
    /// What each mechanism that leaves files, rules or findings out left out.
    left_out: &'a [LeftOut],
    summary: Summary,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    rule: &'a str,
    severity: &'a str,
    message: &'a str,
    path: &'a str,
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
    help: Option<&'a str>,
    related: Vec<JsonRelated<'a>>,
    fingerprint: &'a str,
}

#[derive(Serialize)]
struct JsonRelated<'a> {
    path: &'a str,
    line: u32,
    column: u32,
    message: &'a str,
}

#[derive(Serialize)]
struct JsonError<'a> {
    path: &'a str,
    line: u32,
    column: u32,
    message: &'a str,
}

impl<'a> From<&'a Problem> for JsonError<'a> {
    fn from(problem: &'a Problem) -> Self {
        JsonError {
            path: &problem.location.path,
            line: problem.location.line,
            column: problem.location.column,
            message: &problem.message,
        }
    }
}

#[derive(Serialize)]
struct Summary {
    files: usize,
    findings: usize,
    errors: usize,
    suppressed: usize,
    baselined: usize,
}

pub fn render_json(outcome: &Outcome) -> String {
    let report = Report {
        version: 1,
        findings: outcome
            .findings
            .iter()
            .map(|f| JsonFinding {
                rule: &f.rule,
                severity: f.severity.as_str(),
                message: &f.message,
                path: &f.location.path,
                line: f.location.line,
                column: f.location.column,
                end_line: f.location.end_line,
                end_column: f.location.end_column,
                help: f.help.as_deref(),
                related: f
                    .related
                    .iter()
                    .map(|r| JsonRelated {
                        path: &r.location.path,
                        line: r.location.line,
                        column: r.location.column,
                        message: &r.message,
                    })
                    .collect(),
                fingerprint: &f.fingerprint,
            })
            .collect(),
        errors: outcome.problems.iter().map(JsonError::from).collect(),
        notes: outcome.notes.iter().map(JsonError::from).collect(),
        left_out: &outcome.left_out,
        summary: Summary {
            files: outcome.files,
            findings: outcome.findings.len(),
            errors: outcome.problems.len(),
            suppressed: outcome.suppressed,
            baselined: outcome.baselined,
        },
    };
    let mut text = serde_json::to_string_pretty(&report).expect("the report serialises");
    text.push('\n');
    text
}
