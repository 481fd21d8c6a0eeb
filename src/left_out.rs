//! Everything left out is named: each mechanism that leaves a file, a rule or a finding out of a
//! run says what it left out, as one [`LeftOut`] entry that every output format shows (a line in
//! human output, `left_out` in JSON, a notification in SARIF). A pull request may change what is
//! checked only in ways its reviewer sees.

use crate::discover::{Config, Discovery, Level};
use crate::facts::Facts;
use crate::file_kind::FileKind;
use crate::findings::LeftOut;
use crate::symbol::Symbol;
use crate::wording::counted;

fn paths(symbols: &[Symbol]) -> Vec<String> {
    symbols.iter().map(|s| s.to_string()).collect()
}

fn files(n: usize) -> String {
    counted(n, "file")
}

fn were(n: usize) -> &'static str {
    if n == 1 {
        "was"
    } else {
        "were"
    }
}

/// What the walk left out: `exclude` globs, fixture directories, `.gitignore` outside git.
pub fn from_walk(discovery: &Discovery) -> Vec<LeftOut> {
    [
        LeftOut::of("exclude", paths(&discovery.excluded), |n| {
            format!("{} matched by `exclude` in guardrail.toml {} not checked", files(n), were(n))
        }),
        LeftOut::of("fixtures", paths(&discovery.in_fixtures), |n| {
            format!("{} in the fixture directories guardrail.toml names {} not checked", files(n), were(n))
        }),
        LeftOut::of("gitignore", paths(&discovery.ignored), |n| {
            format!("{} that .gitignore names {} not checked (not a git checkout)", files(n), were(n))
        }),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// What rules exempt by the nature of a file: manifests that say a tool generated them,
/// deployment files kept for development and tests, and down migrations.
pub fn from_facts(all: &Facts) -> Vec<LeftOut> {
    let mut generated = Vec::new();
    let mut development = Vec::new();
    let mut down = Vec::new();
    for file in &all.files {
        let facts = &file.facts;
        if facts.migration.as_ref().is_some_and(|m| m.setting.runs && m.setting.down) {
            down.push(facts.path.to_string());
        }
        let deployment = matches!(facts.kind, FileKind::Dockerfile | FileKind::Compose | FileKind::Kubernetes)
            && (facts.dockerfile.is_some() || facts.compose.is_some() || !facts.kubernetes.is_empty());
        if !deployment {
            continue;
        }
        if all.for_development(facts.path) {
            development.push(facts.path.to_string());
        } else if facts.kubernetes.iter().any(|object| object.generated) {
            generated.push(facts.path.to_string());
        }
    }
    [
        LeftOut::of("development", development, |n| {
            format!(
                "{} for development or tests (by path, opening comments, or lying in another language's project) {} not asked for probes, health checks, resources or grace \
                 periods",
                counted(n, "deployment file"),
                were(n)
            )
        }),
        LeftOut::of("down-migration", down, |n| {
            format!(
                "{} {} not checked for locks or renames: a deploy does not run {}, a rollback by hand does",
                counted(n, "down migration"),
                were(n),
                if n == 1 { "it" } else { "them" }
            )
        }),
        LeftOut::of("generated", generated, |n| {
            format!(
                "{} that say{} a tool generated {} {} not asked for probes, resources or disruption budgets (fix \
                 those in the generator)",
                counted(n, "Kubernetes manifest"),
                if n == 1 { "s" } else { "" },
                if n == 1 { "it" } else { "them" },
                were(n)
            )
        }),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Rules guardrail.toml turns off.
pub fn from_config(config: &Config) -> Option<LeftOut> {
    let off = config.rules.iter().filter(|(_, rule)| rule.level == Some(Level::Off) || rule.enabled == Some(false));
    let off: Vec<String> = off.map(|(id, _)| id.clone()).collect();
    LeftOut::of("rule-off", off, |n| {
        format!("{n} rule{} turned off in guardrail.toml", if n == 1 { " is" } else { "s are" })
    })
}

/// Built-in rules in preview that did not run: `--preview` (or `preview = true`) runs them.
pub fn from_preview(off: Vec<String>) -> Option<LeftOut> {
    LeftOut::of("preview", off, |n| {
        format!(
            "{n} rule{} in preview did not run (not yet right often enough on real code; --preview runs {})",
            if n == 1 { "" } else { "s" },
            if n == 1 { "it" } else { "them" }
        )
    })
}

/// Findings hidden after they were found: by suppressions, the baseline, diff mode, and the
/// paths the command line narrowed the report to.
pub fn from_filters(
    suppressed: usize,
    baselined: usize,
    outside_diff: usize,
    outside_paths: (usize, &[String]),
) -> Vec<LeftOut> {
    let findings = |n: usize| counted(n, "finding");
    let (outside_paths, paths) = outside_paths;
    [
        LeftOut::counted("suppression", suppressed, |n| format!("{} hidden by guardrail-allow comments", findings(n))),
        LeftOut::counted("baseline", baselined, |n| format!("{} hidden by the baseline", findings(n))),
        LeftOut::counted("diff", outside_diff, |n| {
            format!(
                "{} on lines this change did not touch, and not new since its base, left out by --diff-base",
                findings(n)
            )
        }),
        LeftOut::counted("paths", outside_paths, |n| {
            format!(
                "{} outside {}, the part of the project the command line names, not reported",
                findings(n),
                paths.join(", ")
            )
        }),
    ]
    .into_iter()
    .flatten()
    .collect()
}
