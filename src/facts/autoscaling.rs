//! What a HorizontalPodAutoscaler scales on, and the containers of its target that lack the
//! request its utilization is computed against.

use super::{Container, Fact, K8sObject, YamlNode, YamlValue};
use std::collections::{BTreeSet, HashMap};

/// A utilization target: usage as a share of the request, so every container it measures
/// needs a request for the resource.
#[derive(Debug, Clone, PartialEq)]
pub struct UtilizationMetric {
    /// `cpu`, `memory`, ..
    pub resource: String,
    /// A `ContainerResource` metric measures one container.
    pub container: Option<String>,
    /// Where it is written (`spec.metrics.0.resource.name`); `None` for the default CPU target.
    pub path: Option<String>,
    /// As a message says it: "CPU utilization (70%) of container `app`".
    pub what: String,
}

/// The utilization targets of an autoscaler: autoscaling/v1's
/// `targetCPUUtilizationPercentage`, v2's `Resource` and `ContainerResource` metrics with a
/// `Utilization` target (v2beta1's `targetAverageUtilization`), or, with no metrics at all,
/// the default 80% CPU.
pub fn utilization_metrics(hpa: &K8sObject) -> Vec<UtilizationMetric> {
    let Some(spec) = hpa.raw.get("spec").filter(|s| s.is_map()) else { return Vec::new() };
    if let Some(percent) = spec.get("targetCPUUtilizationPercentage") {
        let what = format!("CPU utilization ({}%)", percent.scalar_text().unwrap_or_default());
        let path = Some("spec.targetCPUUtilizationPercentage".to_owned());
        return vec![UtilizationMetric { resource: "cpu".to_owned(), container: None, path, what }];
    }
    let metrics = spec.get("metrics");
    if metrics.is_none_or(|m| m.is_seq() && m.as_seq().is_empty()) {
        let what = "CPU utilization (the default 80%, no metrics are set)".to_owned();
        return vec![UtilizationMetric { resource: "cpu".to_owned(), container: None, path: None, what }];
    }
    let metrics = metrics.map_or(&[][..], YamlNode::as_seq);
    metrics.iter().enumerate().filter_map(|(i, metric)| utilization_metric(i, metric)).collect()
}

fn utilization_metric(index: usize, metric: &YamlNode) -> Option<UtilizationMetric> {
    let field = match metric.get("type")?.as_str()? {
        "Resource" => "resource",
        "ContainerResource" => "containerResource",
        _ => return None,
    };
    let source = metric.get(field)?;
    let resource = source.get("name")?.as_str()?.to_owned();
    let percent = match source.get("target") {
        Some(target) if target.is_map() => {
            if target.get("type").and_then(YamlNode::as_str) != Some("Utilization") {
                return None;
            }
            target.get("averageUtilization")
        }
        _ => Some(source.get("targetAverageUtilization")?),
    };
    let container = match field {
        "containerResource" => Some(source.get("container")?.as_str()?.to_owned()),
        _ => None,
    };
    let mut what = format!("{} utilization", if resource == "cpu" { "CPU" } else { &resource });
    if let Some(percent) = percent.and_then(YamlNode::scalar_text) {
        what += &format!(" ({percent}%)");
    }
    if let Some(container) = &container {
        what += &format!(" of container `{container}`");
    }
    let path = Some(format!("spec.metrics.{index}.{field}.name"));
    Some(UtilizationMetric { resource, container, path, what })
}

/// Resources that kustomize patches (fragments of a workload: no selector, containers without
/// an image) request or limit, by the workload's kind and name and the container's name.
#[derive(Debug, Default)]
pub struct PatchedResources(HashMap<(String, String, String), BTreeSet<String>>);

impl PatchedResources {
    pub fn build(objects: &[Fact<K8sObject>]) -> Self {
        let mut patched = PatchedResources::default();
        for fragment in objects.iter().map(Fact::item).filter(|o| o.is_fragment()) {
            for container in pod_spec(fragment).and_then(|pod| pod.get("containers")).map_or(&[][..], YamlNode::as_seq)
            {
                let (Some(name), Some(resources)) =
                    (container.get("name").and_then(YamlNode::as_str), container.get("resources"))
                else {
                    continue;
                };
                let key = (fragment.kind.clone(), fragment.name.clone(), name.to_owned());
                let set = patched.0.entry(key).or_default();
                for part in ["requests", "limits"].iter().filter_map(|part| resources.get(part)) {
                    let set_here =
                        part.entries().into_iter().filter(|(_, value)| !matches!(value.value, YamlValue::Null));
                    set.extend(set_here.map(|(resource, _)| resource.to_owned()));
                }
            }
        }
        patched
    }

    fn sets(&self, workload: &K8sObject, container: &str, resource: &str) -> bool {
        let key = (workload.kind.clone(), workload.name.clone(), container.to_owned());
        self.0.get(&key).is_some_and(|set| set.contains(resource))
    }
}

/// A container the autoscaler measures that sets no request for the resource.
pub struct MissingRequest<'o> {
    pub metric: UtilizationMetric,
    pub container: &'o Container,
}

/// The containers of `workload` (the autoscaler's target) without a request, or a limit, which
/// sets the request, for a resource the autoscaler's utilization targets measure: its own
/// containers and sidecars (init containers with `restartPolicy: Always`). A request set for
/// the whole pod, or by a patch, counts; resources substituted at deploy time (a placeholder
/// string) cannot be judged and count as set.
pub fn missing_requests<'o>(
    hpa: &K8sObject,
    workload: &'o K8sObject,
    patched: &PatchedResources,
) -> Vec<MissingRequest<'o>> {
    let Some(pod) = pod_spec(workload) else { return Vec::new() };
    let raw_containers: Vec<&YamlNode> =
        ["containers", "initContainers"].iter().filter_map(|list| pod.get(list)).flat_map(YamlNode::as_seq).collect();
    let raw =
        |name: &str| raw_containers.iter().copied().find(|c| c.get("name").and_then(YamlNode::as_str) == Some(name));
    let sidecar =
        |c: &&Container| raw(&c.name).and_then(|r| r.get("restartPolicy")).and_then(YamlNode::as_str) == Some("Always");
    let measured: Vec<&Container> = workload
        .containers
        .iter()
        .filter(|c| !c.is_init)
        .chain(workload.containers.iter().filter(|c| c.is_init).filter(sidecar))
        .collect();
    let pod_sets = |resource: &str| {
        ["requests", "limits"]
            .iter()
            .any(|part| pod.at_path(&format!("resources.{part}")).and_then(|p| p.get(resource)).is_some())
    };
    let mut missing = Vec::new();
    for metric in utilization_metrics(hpa) {
        if pod_sets(&metric.resource) {
            continue;
        }
        for container in &measured {
            if metric.container.as_ref().is_some_and(|only| *only != container.name) {
                continue;
            }
            let Some(raw) = raw(&container.name) else { continue };
            if patched.sets(workload, &container.name, &metric.resource) || sets(raw.get("resources"), &metric.resource)
            {
                continue;
            }
            missing.push(MissingRequest { metric: metric.clone(), container });
        }
    }
    missing
}

/// Whether a container's `resources` request or limit the resource, or cannot be judged.
fn sets(resources: Option<&YamlNode>, resource: &str) -> bool {
    let Some(resources) = resources else { return false };
    if !resources.is_map() {
        return true; // a placeholder substituted at deploy time
    }
    let parts = [resources.get("requests"), resources.get("limits")];
    parts.iter().flatten().any(|part| !part.is_map() || part.get(resource).is_some())
}

/// The pod spec a workload runs: a Pod's own, a controller's template's.
fn pod_spec(workload: &K8sObject) -> Option<&YamlNode> {
    let spec = workload.raw.get("spec")?;
    let pod = if workload.kind == "Pod" { Some(spec) } else { spec.at_path("template.spec") };
    pod.filter(|p| p.is_map())
}
