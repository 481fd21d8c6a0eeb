//! What a HorizontalPodAutoscaler scales on, and the containers of its target that lack the
//! request its utilization is computed against.

use super::resources::{container_resources, pod_spec, PatchedResources};
use super::{Container, K8sObject, YamlNode};

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
    let init_containers = pod.get("initContainers").map_or(&[][..], YamlNode::as_seq);
    let sidecar = |c: &&Container| {
        let raw = init_containers.iter().find(|r| r.get("name").and_then(YamlNode::as_str) == Some(&c.name));
        raw.and_then(|r| r.get("restartPolicy")).and_then(YamlNode::as_str) == Some("Always")
    };
    let (init, regular): (Vec<&Container>, Vec<&Container>) = workload.containers.iter().partition(|c| c.is_init);
    let measured: Vec<&Container> = regular.into_iter().chain(init.into_iter().filter(sidecar)).collect();
    let mut missing = Vec::new();
    for metric in utilization_metrics(hpa) {
        for container in &measured {
            if metric.container.as_ref().is_some_and(|only| *only != container.name) {
                continue;
            }
            let resources = container_resources(workload, &container.name, patched);
            if resources.is_some_and(|r| !r.requests(&metric.resource)) {
                missing.push(MissingRequest { metric: metric.clone(), container });
            }
        }
    }
    missing
}
