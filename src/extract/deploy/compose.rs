//! Compose files: services with their build, healthcheck, grace period, signal and command.

use crate::facts::{Compose, ComposeService, YamlNode, YamlValue};
use crate::paths::join;

/// The services of a compose file's first document (merge keys already applied).
pub fn services(path: &str, documents: &[YamlNode]) -> Compose {
    let dir = path.rsplit_once('/').map_or("", |(dir, _)| dir);
    let entries = match documents.first().and_then(|d| d.get("services")).map(|s| &s.value) {
        Some(YamlValue::Map(entries)) => &entries[..],
        _ => &[],
    };
    // Services another one waits on to run to completion: jobs (migrations, seeds), not servers.
    let awaited: Vec<&str> = entries
        .iter()
        .filter_map(|(_, _, node)| match node.get("depends_on").map(|d| &d.value) {
            Some(YamlValue::Map(dependencies)) => Some(dependencies),
            _ => None,
        })
        .flatten()
        .filter(|(_, _, condition)| {
            condition.get("condition").and_then(YamlNode::as_str) == Some("service_completed_successfully")
        })
        .map(|(name, ..)| name.as_str())
        .collect();
    let services =
        entries.iter().map(|(name, at, node)| service(dir, name, at, node, awaited.contains(&name.as_str())));
    Compose { services: services.collect() }
}

/// Profiles a service is put in to be run by hand or in tests, not as part of the stack.
const ONE_SHOT_PROFILES: [&str; 9] = ["manual", "cli", "tools", "tool", "test", "tests", "debug", "dev", "ci"];

/// Programs that run a test suite and exit.
const TEST_RUNNERS: [&str; 8] =
    ["cargo test", "cargo nextest", "pytest", "go test", "npm test", "dotnet test", "mvn test", "gradle test"];

/// Whether a service runs once rather than serves (see [`ComposeService::one_shot`]).
fn one_shot(node: &YamlNode, runs: &str, awaited: bool) -> bool {
    let restart_no = node.get("restart").and_then(YamlNode::scalar_text).is_some_and(|r| r == "no" || r == "false");
    let profiles = node.get("profiles").map(YamlNode::as_seq).unwrap_or_default();
    let by_profile = profiles.iter().filter_map(YamlNode::as_str).any(|p| ONE_SHOT_PROFILES.contains(&p));
    let tests = TEST_RUNNERS.iter().any(|runner| runs.contains(runner));
    let waits = runs.contains("sleep infinity") || runs.contains("tail -f /dev/null");
    restart_no || by_profile || awaited || tests || waits
}

fn service(dir: &str, name: &str, at: &crate::location::Location, node: &YamlNode, awaited: bool) -> ComposeService {
    let build_dockerfile = node.get("build").map(|build| match &build.value {
        YamlValue::Str(context) => join(dir, &join(context, "Dockerfile")),
        _ => {
            let context = build.get("context").and_then(YamlNode::as_str).unwrap_or(".");
            let dockerfile = build.get("dockerfile").and_then(YamlNode::as_str).unwrap_or("Dockerfile");
            join(dir, &join(context, dockerfile))
        }
    });
    let healthcheck = node.get("healthcheck");
    let disabled = healthcheck.is_some_and(|h| {
        h.get("disable").is_some_and(|d| d.value == YamlValue::Bool(true))
            || h.get("test").and_then(|t| t.as_seq().first()).and_then(YamlNode::as_str) == Some("NONE")
    });
    let grace = node.get("stop_grace_period");
    let command = node.get("command").and_then(command_text);
    let entrypoint = node.get("entrypoint").and_then(command_text);
    let runs = [entrypoint.as_deref(), command.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(" ");
    ComposeService {
        name: name.to_owned(),
        image: node.get("image").and_then(YamlNode::scalar_text),
        build_dockerfile,
        has_healthcheck: healthcheck.is_some(),
        healthcheck_disabled: disabled,
        stop_grace_period: grace.and_then(|g| match &g.value {
            YamlValue::Int(seconds) => Some(*seconds as f64),
            YamlValue::Str(text) => duration_seconds(text),
            _ => None,
        }),
        stop_grace_location: grace.map(|g| g.location.clone()),
        stop_signal: node.get("stop_signal").and_then(YamlNode::scalar_text),
        one_shot: one_shot(node, &runs, awaited),
        command,
        entrypoint,
        replicas: node.at_path("deploy.replicas").and_then(YamlNode::as_i64),
        location: at.clone(),
    }
}

fn command_text(node: &YamlNode) -> Option<String> {
    match &node.value {
        YamlValue::Seq(items) => Some(items.iter().filter_map(YamlNode::scalar_text).collect::<Vec<_>>().join(" ")),
        _ => node.scalar_text(),
    }
}

/// `1m30s`, `10s`, `500ms`, `2h` in seconds.
pub fn duration_seconds(text: &str) -> Option<f64> {
    let mut total = 0.0;
    let mut rest = text.trim();
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let number_end = rest.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(rest.len());
        let value: f64 = rest[..number_end].parse().ok()?;
        rest = &rest[number_end..];
        let unit_end = rest.find(|c: char| c.is_ascii_digit()).unwrap_or(rest.len());
        let scale = match &rest[..unit_end] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" | "" => 1.0,
            "ms" => 1e-3,
            "us" => 1e-6,
            "ns" => 1e-9,
            _ => return None,
        };
        total += value * scale;
        rest = &rest[unit_end..];
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(duration_seconds("1m30s"), Some(90.0));
        assert_eq!(duration_seconds("500ms"), Some(0.5));
        assert_eq!(duration_seconds("10"), Some(10.0));
        assert_eq!(duration_seconds("soon"), None);
    }
}
