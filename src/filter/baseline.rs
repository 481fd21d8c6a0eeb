//! Baselines: adopt guardrail on a legacy codebase by recording today's findings, then report
//! only new ones. Entries are line-insensitive fingerprints, sorted, one per line in the JSON,
//! so a baseline diff reads well and the file only ever shrinks.

use crate::findings::Finding;
use crate::location::Location;
use crate::problem::Problem;
use crate::symbol::Symbol;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::path::Path;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Entry {
    pub rule: String,
    pub path: String,
    pub fingerprint: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct File {
    version: u32,
    findings: Vec<Entry>,
}

/// The baseline file for `findings`.
pub fn write(findings: &[Finding]) -> String {
    let entries: BTreeSet<Entry> = findings
        .iter()
        .map(|f| Entry { rule: f.rule.clone(), path: f.location.path.to_string(), fingerprint: f.fingerprint.clone() })
        .collect();
    let mut text = String::from("{\n  \"version\": 1,\n  \"findings\": [\n");
    let lines: Vec<String> =
        entries.iter().map(|e| format!("    {}", serde_json::to_string(e).expect("entries serialise"))).collect();
    text.push_str(&lines.join(",\n"));
    if !lines.is_empty() {
        text.push('\n');
    }
    text.push_str("  ]\n}\n");
    text
}

/// The entries of a baseline file, read before anything is checked: a baseline that cannot be
/// read stops the run rather than letting every finding through.
pub struct Baseline {
    entries: BTreeSet<Entry>,
    at: Location,
}

/// The largest baseline read: a million findings' entries.
const MAX_BASELINE: u64 = 256 << 20;

/// Reads the baseline at `path`, shown as `shown`. A path in the checked tree is read as every
/// file of the tree is (a link out of it is refused); one outside it is the user's choice. What
/// does not parse is reported by position and kind only: none of its text reaches the report.
pub fn load(root: &Path, path: &Path, shown: &str) -> Result<Baseline, Problem> {
    let at = Location::file(Symbol::from(shown));
    let bytes = if crate::tree::is_lexically_within(root, path) {
        crate::tree::read_under(root, path, MAX_BASELINE)
    } else {
        crate::tree::read_regular(path, MAX_BASELINE)
    };
    let text = crate::tree::text(bytes).map_err(|error| Problem {
        location: at.clone(),
        message: format!("--baseline {shown}: cannot read it: {error} (`guardrail baseline` writes one)"),
    })?;
    let file: File = serde_json::from_str(&text).map_err(|error| {
        let what = match error.classify() {
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => "it is not valid JSON",
            _ => "its JSON does not have a baseline's fields (`version`, and `findings` of `rule`, `path`, `fingerprint`)",
        };
        Problem {
            location: Location { line: error.line() as u32, column: error.column() as u32, ..at.clone() },
            message: format!(
                "--baseline {shown}: not a guardrail baseline: {what} (line {}, column {})",
                error.line(),
                error.column()
            ),
        }
    })?;
    Ok(Baseline { entries: file.findings.into_iter().collect(), at })
}

/// Removes the findings the baseline records. Returns how many it hid, and a note for every
/// entry that no longer matches anything (so it can be deleted).
pub fn apply(findings: &mut Vec<Finding>, baseline: Baseline) -> (usize, Vec<Problem>) {
    let Baseline { entries: mut unmatched, at } = baseline;
    let before = findings.len();
    findings.retain(|f| {
        let key = Entry { rule: f.rule.clone(), path: f.location.path.to_string(), fingerprint: f.fingerprint.clone() };
        !unmatched.remove(&key)
    });
    let notes = unmatched
        .into_iter()
        .map(|e| Problem {
            location: at.clone(),
            message: format!(
                "baseline entry for `{}` in {} ({}) no longer matches a finding: regenerate the baseline to drop it",
                e.rule, e.path, e.fingerprint
            ),
        })
        .collect();
    (before - findings.len(), notes)
}
