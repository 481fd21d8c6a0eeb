//! Compose files: services with their build, healthcheck, grace period, signal and command.

use crate::facts::{Compose, ComposeService, YamlNode, YamlValue};
use crate::paths::join;

/// The services of a compose file's first document (merge keys already applied).
pub fn services(path: &str, documents: &[YamlNode]) -> Compose {
    let dir = path.rsplit_once('/').map_or("", |(dir, _)| dir);
    let services = match documents.first().and_then(|d| d.get("services")).map(|s| &s.value) {
        Some(YamlValue::Map(entries)) => entries.iter().map(|(name, at, node)| service(dir, name, at, node)).collect(),
        _ => Vec::new(),
    };
    Compose { services }
}

fn service(dir: &str, name: &str, at: &crate::facts::Location, node: &YamlNode) -> ComposeService {
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
        command: node.get("command").and_then(command_text),
        entrypoint: node.get("entrypoint").and_then(command_text),
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
