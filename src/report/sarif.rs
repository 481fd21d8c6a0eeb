//! SARIF 2.1.0 for GitHub code scanning: rules with their docs, results with physical
//! locations relative to `%SRCROOT%`, related locations and partial fingerprints.

use crate::findings::{Outcome, Severity};
use crate::location::Location;
use crate::rule::RuleDoc;
use serde::Serialize;

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool<'a>,
    automation_details: AutomationDetails,
    column_kind: &'static str,
    results: Vec<SarifResult<'a>>,
    invocations: [Invocation; 1],
}

/// The run itself: whether it could be trusted, and what it left out.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
    tool_execution_notifications: Vec<Notification>,
}

#[derive(Serialize)]
struct Notification {
    descriptor: Descriptor,
    level: &'static str,
    message: Text,
}

#[derive(Serialize)]
struct Descriptor {
    id: String,
}

#[derive(Serialize)]
struct AutomationDetails {
    id: String,
}

#[derive(Serialize)]
struct Tool<'a> {
    driver: Driver<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver<'a> {
    name: &'static str,
    version: &'static str,
    semantic_version: &'static str,
    information_uri: &'static str,
    rules: Vec<Rule<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule<'a> {
    id: &'a str,
    name: String,
    short_description: Text,
    full_description: Text,
    help: Help,
    default_configuration: Configuration,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
struct Help {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'a str,
    rule_index: usize,
    level: &'static str,
    message: Text,
    locations: [SarifLocation; 1],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<SarifLocation>,
    partial_fingerprints: Fingerprints<'a>,
}

#[derive(Serialize)]
struct Fingerprints<'a> {
    #[serde(rename = "guardrail/v1")]
    guardrail: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifLocation {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<usize>,
    physical_location: Physical,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Text>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Physical {
    artifact_location: Artifact,
    region: Region,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Artifact {
    uri: String,
    uri_base_id: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
    start_column: u32,
    end_line: u32,
    end_column: u32,
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

fn physical(location: &Location, prefix: &str) -> Physical {
    let line = location.line.max(1);
    let end_line = location.end_line.max(line);
    let column = location.column.max(1);
    let end_column = if end_line == line { location.end_column.max(column + 1) } else { location.end_column.max(1) };
    Physical {
        artifact_location: Artifact { uri: format!("{prefix}{}", location.path), uri_base_id: "%SRCROOT%" },
        region: Region { start_line: line, start_column: column, end_line, end_column },
    }
}

/// `PascalCase` of a rule id, for SARIF's `name`.
fn rule_name(id: &str) -> String {
    id.split('-').map(|w| w[..1].to_uppercase() + &w[1..]).collect()
}

/// Renders the findings of a run; `category` distinguishes shards or jobs in code scanning, and
/// `prefix` makes paths relative to the repository root.
pub fn render_sarif(outcome: &Outcome, rules: &[RuleDoc], category: &str, prefix: &str) -> String {
    let index = |id: &str| rules.iter().position(|r| r.id == id);
    let results = outcome
        .findings
        .iter()
        .filter_map(|f| {
            Some(SarifResult {
                rule_id: &f.rule,
                rule_index: index(&f.rule)?,
                level: level(f.severity),
                message: Text {
                    text: match &f.help {
                        Some(help) => format!("{}\n{help}", f.message),
                        None => f.message.clone(),
                    },
                },
                locations: [SarifLocation {
                    id: None,
                    physical_location: physical(&f.location, prefix),
                    message: None,
                }],
                related_locations: f
                    .related
                    .iter()
                    .enumerate()
                    .map(|(i, r)| SarifLocation {
                        id: Some(i),
                        physical_location: physical(&r.location, prefix),
                        message: Some(Text { text: r.message.clone() }),
                    })
                    .collect(),
                partial_fingerprints: Fingerprints { guardrail: &f.fingerprint },
            })
        })
        .collect();
    let log = Log {
        schema: "https://json.schemastore.org/sarif-2.1.0.json",
        version: "2.1.0",
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: "guardrail",
                    version: env!("CARGO_PKG_VERSION"),
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    information_uri: "https://github.com/guardrail-rs/guardrail",
                    rules: rules
                        .iter()
                        .map(|r| Rule {
                            id: &r.id,
                            name: rule_name(&r.id),
                            short_description: Text { text: r.summary.clone() },
                            full_description: Text { text: r.rationale.clone() },
                            help: Help {
                                text: format!("{}\n\nExample:\n{}\n\nFix: {}", r.rationale, r.example, r.fix),
                                markdown: format!(
                                    "{}\n\n**Example**\n\n```\n{}\n```\n\n**How to fix:** {}",
                                    r.rationale, r.example, r.fix
                                ),
                            },
                            default_configuration: Configuration { level: level(r.severity) },
                        })
                        .collect(),
                },
            },
            automation_details: AutomationDetails { id: format!("{category}/") },
            column_kind: "unicodeCodePoints",
            results,
            invocations: [Invocation {
                execution_successful: outcome.problems.is_empty(),
                tool_execution_notifications: outcome
                    .left_out
                    .iter()
                    .map(|left_out| Notification {
                        descriptor: Descriptor { id: format!("left-out/{}", left_out.by) },
                        level: "note",
                        message: Text { text: left_out.line() },
                    })
                    .collect(),
            }],
        }],
    };
    let mut text = serde_json::to_string_pretty(&log).expect("SARIF serialises");
    text.push('\n');
    text
}
