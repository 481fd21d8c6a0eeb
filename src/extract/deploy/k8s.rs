//! Kubernetes objects from YAML documents: workloads with their containers, ports, probes,
//! preStop hooks and grace periods, each with its line. `kind: List` is unpacked.

use crate::facts::{Container, ContainerPort, K8sObject, PortRef, Probe, YamlNode, YamlValue};
use std::sync::Arc;

const PROBES: [(&str, &str); 3] =
    [("livenessProbe", "liveness"), ("readinessProbe", "readiness"), ("startupProbe", "startup")];
const HANDLERS: [&str; 4] = ["httpGet", "tcpSocket", "grpc", "exec"];

/// Words of a file's opening comments that say a tool wrote it, beside "generated".
const GENERATED_BY: [&str; 7] =
    ["do not edit", "don't edit", "manually", "helm template", "kustomize build", "re-run", "regenerate"];

/// Words of a deployment file's opening comments that say it is not for production.
const FOR_DEVELOPMENT: [&str; 12] = [
    "local development",
    "for development",
    "development only",
    "development environment",
    "dev environment",
    "for local testing",
    "for testing",
    "testing only",
    "not for production",
    "not intended for production",
    "do not use in production",
    "don't use in production",
];

/// The comments a YAML file or Dockerfile opens with (before its first key or instruction),
/// lower case, joined.
fn opening_comments(text: &str) -> String {
    let opening = text.lines().take_while(|line| {
        let line = line.trim();
        line.is_empty() || line.starts_with('#') || line == "---"
    });
    opening.take(40).map(str::to_lowercase).collect::<Vec<_>>().join(" ")
}

/// Whether the comments a manifest opens with (before its first key) say it was generated.
pub fn says_generated(text: &str) -> bool {
    let comments = opening_comments(text);
    comments.contains("generated") && GENERATED_BY.iter().any(|words| comments.contains(words))
}

/// Whether the comments a deployment file opens with say it is for development or tests
/// ("main docker-compose file for local development", "DEVELOPMENT ONLY").
pub fn says_development(text: &str) -> bool {
    let comments = opening_comments(text);
    FOR_DEVELOPMENT.iter().any(|words| comments.contains(words))
}

/// The Kubernetes objects of a file's documents; documents that are not objects are skipped.
pub fn objects(documents: Vec<YamlNode>) -> Vec<K8sObject> {
    let mut found = Vec::new();
    for (document, node) in documents.into_iter().enumerate() {
        let node = Arc::new(node);
        if node.get("kind").and_then(YamlNode::as_str) == Some("List") {
            for item in node.get("items").map(YamlNode::as_seq).unwrap_or_default() {
                found.extend(object(Arc::new(item.clone()), document));
            }
        } else {
            found.extend(object(node, document));
        }
    }
    found
}

fn object(raw: Arc<YamlNode>, document: usize) -> Option<K8sObject> {
    let api_version = raw.get("apiVersion")?.as_str()?.to_owned();
    let (kind_at, kind) = raw.entry("kind")?;
    let kind = kind.as_str()?.to_owned();
    let metadata = raw.get("metadata");
    let name_entry = metadata.and_then(|m| m.entry("name"));
    let pod_spec = match kind.as_str() {
        "Pod" => raw.get("spec"),
        // OpenShift's DeploymentConfig, Argo Rollouts' Rollout and Knative's Service run pods from
        // a template like a Deployment.
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" | "DeploymentConfig" | "Rollout" => {
            raw.at_path("spec.template.spec")
        }
        "Service" if api_version.starts_with("serving.knative.dev/") => raw.at_path("spec.template.spec"),
        "CronJob" => raw.at_path("spec.jobTemplate.spec.template.spec"),
        _ => None,
    };
    let grace = pod_spec.and_then(|spec| spec.entry("terminationGracePeriodSeconds"));
    let containers = pod_spec.map_or_else(Vec::new, |spec| {
        let init = spec.get("initContainers").map(YamlNode::as_seq).unwrap_or_default();
        let main = spec.get("containers").map(YamlNode::as_seq).unwrap_or_default();
        main.iter().map(|c| container(c, false)).chain(init.iter().map(|c| container(c, true))).collect()
    });
    let string_map = |key: &str| match metadata.and_then(|m| m.get(key)).map(|l| &l.value) {
        Some(YamlValue::Map(entries)) => {
            entries.iter().filter_map(|(k, _, v)| Some((k.clone(), v.scalar_text()?))).collect()
        }
        _ => Vec::new(),
    };
    Some(K8sObject {
        api_version,
        name: name_entry.and_then(|(_, n)| n.scalar_text()).unwrap_or_default(),
        namespace: metadata.and_then(|m| m.get("namespace")).and_then(YamlNode::scalar_text),
        location: name_entry.map_or(kind_at, |(at, _)| at).clone(),
        document,
        replicas: raw.at_path("spec.replicas").and_then(YamlNode::as_i64),
        termination_grace_period: grace.and_then(|(_, v)| v.as_i64()),
        termination_grace_location: grace.map(|(at, _)| at.clone()),
        containers,
        labels: string_map("labels"),
        annotations: string_map("annotations"),
        generated: false,
        templated: false,
        kind,
        raw,
    })
}

fn container(node: &YamlNode, is_init: bool) -> Container {
    let name = node.entry("name");
    let ports = node
        .get("ports")
        .map(YamlNode::as_seq)
        .unwrap_or_default()
        .iter()
        .map(|port| ContainerPort {
            number: port.get("containerPort").and_then(YamlNode::as_i64),
            name: port.get("name").and_then(YamlNode::scalar_text),
            location: port.location.clone(),
        })
        .collect();
    let probes = PROBES
        .iter()
        .filter_map(|(key, kind)| node.entry(key).map(|(at, probe_node)| probe(kind, at, probe_node)))
        .collect();
    let pre_stop = node.at_path("lifecycle.preStop");
    Container {
        name: name.and_then(|(_, n)| n.scalar_text()).unwrap_or_default(),
        image: node.get("image").and_then(YamlNode::scalar_text),
        is_init,
        ports,
        probes,
        pre_stop_sleep: pre_stop.and_then(sleep_seconds),
        pre_stop_location: pre_stop.map(|p| p.location.clone()),
        has_resources: node.get("resources").is_some(),
        idles: idles(node),
        program: program(node),
        location: name.map_or(&node.location, |(at, _)| at).clone(),
    }
}

/// The program a container's `command` starts: its first word's file name, past `sh -c` and
/// `exec`.
fn program(container: &YamlNode) -> Option<String> {
    let parts: Vec<String> = container.get("command")?.as_seq().iter().filter_map(YamlNode::scalar_text).collect();
    let words: Vec<&str> = parts.iter().flat_map(|part| part.split_whitespace()).collect();
    let first = match words.as_slice() {
        [shell, "-c", rest @ ..] if shell.ends_with("sh") => rest.iter().find(|w| **w != "exec")?,
        [first, ..] => first,
        [] => return None,
    };
    first.rsplit('/').next().map(str::to_owned)
}

/// Whether a container's `command` and `args` do nothing but wait: `sleep 3600`,
/// `sleep infinity`, `tail -f /dev/null`, also through `sh -c`.
fn idles(container: &YamlNode) -> bool {
    let words: Vec<String> = ["command", "args"]
        .iter()
        .flat_map(|key| container.get(key).map(YamlNode::as_seq).unwrap_or_default())
        .filter_map(YamlNode::scalar_text)
        .flat_map(|part| part.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
        .collect();
    let mut words: Vec<&str> = words.iter().map(String::as_str).collect();
    if let [shell, "-c", ..] = words[..] {
        if shell.ends_with("sh") {
            words.drain(..2);
        }
    }
    let program = |word: &str| word.rsplit('/').next().unwrap_or(word).to_owned();
    match words.as_slice() {
        [sleep, time] => {
            program(sleep) == "sleep"
                && (*time == "infinity" || time.trim_end_matches(['s', 'm', 'h', 'd']).parse::<u64>().is_ok())
        }
        [tail, "-f", "/dev/null"] => program(tail) == "tail",
        _ => false,
    }
}

fn probe(kind: &str, at: &crate::location::Location, node: &YamlNode) -> Probe {
    let handler = HANDLERS.iter().find(|h| node.get(h).is_some()).copied().unwrap_or("unknown");
    let spec = node.get(handler);
    let path = spec.and_then(|s| s.get("path"));
    let port = spec.and_then(|s| s.get("port"));
    Probe {
        kind: kind.to_owned(),
        handler: handler.to_owned(),
        path: path.and_then(YamlNode::scalar_text),
        path_location: path.map(|p| p.location.clone()),
        port: port.and_then(|p| match &p.value {
            YamlValue::Int(i) => Some(PortRef::Number(*i)),
            YamlValue::Str(s) => Some(s.parse().map_or_else(|_| PortRef::Name(s.clone()), PortRef::Number)),
            _ => None,
        }),
        port_location: port.map(|p| p.location.clone()),
        location: at.clone(),
    }
}

/// `sleep: {seconds: N}`, or an exec command that runs `sleep N` (directly or through a shell).
fn sleep_seconds(pre_stop: &YamlNode) -> Option<f64> {
    if let Some(seconds) = pre_stop.at_path("sleep.seconds").and_then(YamlNode::as_i64) {
        return Some(seconds as f64);
    }
    let command: Vec<String> =
        pre_stop.at_path("exec.command")?.as_seq().iter().filter_map(YamlNode::scalar_text).collect();
    let words: Vec<&str> = command.iter().flat_map(|part| part.split_whitespace()).collect();
    let at = words.iter().position(|w| *w == "sleep" || w.ends_with("/sleep"))?;
    words.get(at + 1)?.trim_end_matches(';').trim_end_matches('s').parse().ok()
}

#[cfg(test)]
mod tests {
    use super::says_generated;

    #[test]
    fn generated_manifests_say_so_before_their_first_key() {
        let helm = "---\n# This file has been generated by `helm template vector vector/vector`. Please re-run \
                    `make manifests` rather than modifying this file manually.\napiVersion: apps/v1\n";
        assert!(says_generated(helm));
        assert!(says_generated("# Code generated by kustomize build. DO NOT EDIT.\nkind: Deployment\n"));
        assert!(!says_generated("# Generated ConfigMap names are hashed.\napiVersion: v1\n"), "no tool named");
        assert!(!says_generated("apiVersion: v1\n# generated, do not edit\n"), "after the first key");
    }
}
