//! Deployment facts: Kubernetes objects, Dockerfiles and compose files, with exact lines.

use crate::location::Location;
use serde::Serialize;
use std::sync::Arc;

/// A YAML node with its location; mappings keep their key order and key locations.
#[derive(Debug, Clone, PartialEq)]
pub struct YamlNode {
    pub location: Location,
    pub value: YamlValue,
}

#[derive(Debug, Clone, PartialEq)]
pub enum YamlValue {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<YamlNode>),
    /// (key, location of the key, value)
    Map(Vec<(String, Location, YamlNode)>),
}

impl YamlNode {
    pub fn get(&self, key: &str) -> Option<&YamlNode> {
        self.entry(key).map(|(_, value)| value)
    }

    /// The location of a key and its value. A key whose value is null is absent, as Kubernetes
    /// and compose read it (`livenessProbe: null`, also one a merge key brings).
    pub fn entry(&self, key: &str) -> Option<(&Location, &YamlNode)> {
        match &self.value {
            YamlValue::Map(entries) => entries
                .iter()
                .find(|(k, _, value)| k == key && !matches!(value.value, YamlValue::Null))
                .map(|(_, at, value)| (at, value)),
            _ => None,
        }
    }

    /// Follows a dotted path of keys and sequence indexes: `spec.template.spec.containers.0`.
    pub fn at_path(&self, path: &str) -> Option<&YamlNode> {
        path.split('.').filter(|s| !s.is_empty()).try_fold(self, |node, step| match &node.value {
            YamlValue::Seq(items) => items.get(step.parse::<usize>().ok()?),
            _ => node.get(step),
        })
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            YamlValue::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match &self.value {
            YamlValue::Int(i) => Some(*i),
            YamlValue::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// The keys and values of a map; empty for anything else.
    pub fn entries(&self) -> Vec<(&str, &YamlNode)> {
        match &self.value {
            YamlValue::Map(entries) => entries.iter().map(|(key, _, value)| (key.as_str(), value)).collect(),
            _ => Vec::new(),
        }
    }

    pub fn is_map(&self) -> bool {
        matches!(self.value, YamlValue::Map(_))
    }

    pub fn is_seq(&self) -> bool {
        matches!(self.value, YamlValue::Seq(_))
    }

    pub fn as_seq(&self) -> &[YamlNode] {
        match &self.value {
            YamlValue::Seq(items) => items,
            _ => &[],
        }
    }

    /// A scalar as text (`8080` and `"8080"` alike).
    pub fn scalar_text(&self) -> Option<String> {
        match &self.value {
            YamlValue::Str(s) => Some(s.clone()),
            YamlValue::Int(i) => Some(i.to_string()),
            YamlValue::Float(f) => Some(f.to_string()),
            YamlValue::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }
}

/// The deployment files (Dockerfiles, compose files, Kubernetes manifests) that are for
/// development or tests: by their path ([`for_development`]), by what their opening comments say
/// ("for local development"), or, for a compose file, by lying in another language's project
/// inside the repository (a JavaScript UI's or an SDK's own stack: `foreign_projects`, from the
/// walk).
pub fn development_files(
    files: &[std::sync::Arc<super::LinkedFile>],
    foreign_projects: &[String],
) -> std::collections::HashSet<crate::symbol::Symbol> {
    let in_foreign_project = |path: &str| {
        foreign_projects.iter().any(|dir| path.strip_prefix(dir.as_str()).is_some_and(|rest| rest.starts_with('/')))
    };
    let deployment = |facts: &super::FileFacts| {
        matches!(
            facts.kind,
            crate::file_kind::FileKind::Dockerfile
                | crate::file_kind::FileKind::Compose
                | crate::file_kind::FileKind::Kubernetes
        )
    };
    // Only a compose file: an image built in a UI's directory may well be the UI's production
    // image; a compose stack there is the UI's own development stack.
    let foreign_stack =
        |facts: &super::FileFacts| facts.kind == crate::file_kind::FileKind::Compose && in_foreign_project(&facts.path);
    files
        .iter()
        .map(|file| &file.facts)
        .filter(|facts| deployment(facts))
        .filter(|facts| for_development(&facts.path) || facts.says_development || foreign_stack(facts))
        .map(|facts| facts.path)
        .collect()
}

/// Whether a deployment file (a Dockerfile, a compose file) is for development or tests rather
/// than for running the service: under a directory such as `tests/`, `e2e/`, `fixtures/`,
/// `examples/`, `.devcontainer/`, `ci/`, `.github/`, `scripts/`, or named for it
/// (`Dockerfile.e2e`, `debug.Dockerfile`, `docker-compose.test.yml`, `compose.dev.yaml`).
pub fn for_development(path: &str) -> bool {
    const DIRECTORIES: [&str; 31] = [
        "test",
        "tests",
        "bdd",
        "dev-tools",
        "devtools",
        "dev-env",
        "testing",
        "e2e",
        "it",
        "integration",
        "integration-tests",
        "fixtures",
        "fixture",
        "testdata",
        "test-data",
        "examples",
        "example",
        "ci",
        ".ci",
        ".github",
        ".circleci",
        ".gitlab",
        ".devcontainer",
        "devcontainer",
        "dev",
        "scripts",
        "hack",
        "bench",
        "benches",
        "benchmarks",
        "website",
    ];
    const NAME_WORDS: [&str; 15] = [
        "test",
        "tests",
        "e2e",
        "it",
        "integration",
        "dev",
        "devcontainer",
        "debug",
        "local",
        "ci",
        "unit",
        "live",
        "fixture",
        "example",
        "bench",
    ];
    let (dirs, name) = path.rsplit_once('/').unwrap_or(("", path));
    let lower = |s: &str| s.to_ascii_lowercase();
    dirs.split('/').any(|dir| DIRECTORIES.contains(&lower(dir).as_str()))
        || name.split(['.', '-', '_']).any(|word| NAME_WORDS.contains(&lower(word).as_str()))
}

/// A port given by number or by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum PortRef {
    Number(i64),
    Name(String),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContainerPort {
    pub number: Option<i64>,
    pub name: Option<String>,
    pub location: Location,
}

/// A liveness, readiness or startup probe.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Probe {
    /// `liveness`, `readiness` or `startup`.
    pub kind: String,
    /// `httpGet`, `tcpSocket`, `grpc` or `exec`.
    pub handler: String,
    pub path: Option<String>,
    pub path_location: Option<Location>,
    pub port: Option<PortRef>,
    pub port_location: Option<Location>,
    /// The `livenessProbe:` key.
    pub location: Location,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Container {
    pub name: String,
    pub image: Option<String>,
    pub is_init: bool,
    pub ports: Vec<ContainerPort>,
    pub probes: Vec<Probe>,
    /// Seconds a preStop hook sleeps (`sleep.seconds`, or an exec `sleep N`).
    pub pre_stop_sleep: Option<f64>,
    pub pre_stop_location: Option<Location>,
    pub has_resources: bool,
    /// Its command does nothing but wait (`sleep 3600`, `sleep infinity`, `tail -f /dev/null`):
    /// a debug or toolbox container that serves nothing, so it needs no probe.
    pub idles: bool,
    /// The program its `command` starts (the file name of its first word, past `sh -c`), if it
    /// sets one: `fluvio-run` for `command: ["/fluvio-run", "sc"]`.
    pub program: Option<String>,
    /// The container's `name:` line.
    pub location: Location,
}

/// A Kubernetes object; workloads carry their pod spec's containers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct K8sObject {
    pub api_version: String,
    pub kind: String,
    pub name: String,
    pub namespace: Option<String>,
    /// The `name:` under `metadata:`, else the `kind:` line.
    pub location: Location,
    /// 0-based index of the document in its file.
    pub document: usize,
    pub replicas: Option<i64>,
    pub termination_grace_period: Option<i64>,
    pub termination_grace_location: Option<Location>,
    pub containers: Vec<Container>,
    pub labels: Vec<(String, String)>,
    pub annotations: Vec<(String, String)>,
    /// Its file says, in the comments it opens with, that a tool generated it (`helm template`
    /// output committed with "rather than modifying this file manually", "DO NOT EDIT"): what it
    /// lacks is fixed in the generator.
    pub generated: bool,
    /// Read from a Helm template as written (helm could not render its chart): what values
    /// decide — resources, labels, names — is unknown, so rules that join objects or read
    /// values leave it alone.
    pub templated: bool,
    #[serde(skip)]
    pub raw: Arc<YamlNode>,
}

/// The workload an autoscaler scales (`spec.scaleTargetRef`), and how far.
#[derive(Debug, Clone, PartialEq)]
pub struct ScaleTarget {
    pub kind: String,
    pub name: String,
    pub max_replicas: Option<i64>,
}

impl ScaleTarget {
    /// Whether it may run more than one copy (`maxReplicas` of 2 or more, or not written down).
    pub fn scales_out(&self) -> bool {
        self.max_replicas.is_none_or(|max| max >= 2)
    }
}

impl K8sObject {
    /// Its namespace: objects without `metadata.namespace` share the default one.
    pub fn namespace_or_default(&self) -> &str {
        self.namespace.as_deref().filter(|ns| !ns.is_empty()).unwrap_or("default")
    }

    /// Whether the document is a fragment rather than an object of its own: an apps/v1
    /// controller without `spec.selector`, or a container without an image, is never applied
    /// alone. Kustomize strategic-merge patches look like this (an overlay adding resources to
    /// its base's containers).
    pub fn is_fragment(&self) -> bool {
        let controller = matches!(self.kind.as_str(), "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet");
        (controller && self.raw.at_path("spec.selector").is_none()) || self.containers.iter().any(|c| c.image.is_none())
    }

    /// The labels of the pods it runs: a Pod's own, a controller's pod template's.
    pub fn pod_labels(&self) -> Vec<(String, String)> {
        if self.kind == "Pod" {
            return self.labels.clone();
        }
        let labels = self.raw.at_path("spec.template.metadata.labels");
        let entries = labels.map(YamlNode::entries).unwrap_or_default();
        entries.into_iter().filter_map(|(key, value)| Some((key.to_owned(), value.scalar_text()?))).collect()
    }

    /// What an autoscaler scales: its `spec.scaleTargetRef` with a kind and a name.
    pub fn scale_target(&self) -> Option<ScaleTarget> {
        let spec = self.raw.get("spec")?;
        let target = spec.get("scaleTargetRef")?;
        Some(ScaleTarget {
            kind: target.get("kind")?.as_str()?.to_owned(),
            name: target.get("name")?.as_str()?.to_owned(),
            max_replicas: spec.get("maxReplicas").and_then(YamlNode::as_i64),
        })
    }

    /// Workloads that run a service until stopped, as opposed to Jobs and CronJobs that run to
    /// completion, and to debug pods whose containers only wait (`sleep 3600`).
    pub fn is_long_running(&self) -> bool {
        let kind = matches!(
            self.kind.as_str(),
            "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Pod" | "DeploymentConfig" | "Rollout"
        ) || (self.kind == "Service" && self.api_version.starts_with("serving.knative.dev/"));
        let main: Vec<&Container> = self.containers.iter().filter(|c| !c.is_init).collect();
        let idles = !main.is_empty() && main.iter().all(|c| c.idles);
        kind && !idles
    }
}

/// One Dockerfile instruction (a logical line, continuations joined).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Instruction {
    /// Upper case: `CMD`, `RUN`, ...
    pub keyword: String,
    /// The arguments as written, continuations joined with spaces.
    pub args: String,
    /// The parsed JSON array when the arguments are exec form.
    pub exec: Option<Vec<String>>,
    pub location: Location,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stage {
    pub image: String,
    pub alias: Option<String>,
    pub instructions: Vec<Instruction>,
    /// The `FROM` line.
    pub location: Location,
}

#[cfg(test)]
mod tests {
    use super::for_development;

    #[test]
    fn development_and_test_deployment_files_are_told_apart_by_place_and_name() {
        for path in [
            ".devcontainer/Dockerfile",
            "tests/e2e/datadog/config/compose.yaml",
            "ui/fixtures/Dockerfile.unit",
            "crates/core/tests/e2e/Dockerfile.clickhouse",
            "examples/demo/Dockerfile",
            "docker/debug.Dockerfile",
            "docker/local-fedora.Dockerfile",
            "docker-compose.test.yml",
            "compose.dev.yaml",
            ".github/actions/release/Dockerfile",
        ] {
            assert!(for_development(path), "{path}");
        }
        for path in [
            "Dockerfile",
            "docker/Dockerfile",
            "crates/gateway/Dockerfile",
            "deploy/compose.yaml",
            "docker-compose.prod.yml",
            "api.dockerfile",
        ] {
            assert!(!for_development(path), "{path}");
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dockerfile {
    pub stages: Vec<Stage>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComposeService {
    pub name: String,
    pub image: Option<String>,
    /// The Dockerfile its `build:` uses, relative to the root; `None` without `build:`.
    pub build_dockerfile: Option<String>,
    pub has_healthcheck: bool,
    pub healthcheck_disabled: bool,
    pub stop_grace_period: Option<f64>,
    pub stop_grace_location: Option<Location>,
    pub stop_signal: Option<String>,
    pub command: Option<String>,
    pub entrypoint: Option<String>,
    pub replicas: Option<i64>,
    /// It runs once rather than serves: `restart: "no"`, a profile for manual or test use, a
    /// service another waits on to complete (`service_completed_successfully`), or a command that
    /// runs a test suite or only waits (`cargo test`, `sleep infinity`).
    pub one_shot: bool,
    /// The service's key under `services:`.
    pub location: Location,
}

/// An image a workflow, Makefile or justfile builds: `docker build -f <dockerfile> -t <tag>`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImageBuild {
    /// The Dockerfile, relative to the root.
    pub dockerfile: String,
    /// The tags it is pushed as, as written (`ghcr.io/acme/api:${{ github.sha }}`).
    pub tags: Vec<String>,
    /// The command or step that builds it.
    pub location: Location,
}

/// A program a shell script hands its process to: `exec /usr/local/bin/api "$@"`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Exec {
    /// The program as written, wrappers (`gosu user`, `tini --`) left out.
    pub program: String,
    pub location: Location,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Compose {
    pub services: Vec<ComposeService>,
}
