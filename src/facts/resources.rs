//! The resources a container requests and limits, as Kubernetes applies them: its own, the
//! pod's (pod-level resources cover every container), and those a kustomize patch adds.

use super::{Fact, K8sObject, YamlNode, YamlValue};
use std::collections::{BTreeSet, HashMap};

/// The resources set for one container.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContainerResources {
    pub requests: BTreeSet<String>,
    pub limits: BTreeSet<String>,
    /// The container writes `resources:` itself.
    pub written: bool,
}

impl ContainerResources {
    /// Whether the scheduler sees a request for the resource: Kubernetes copies a limit into a
    /// missing request.
    pub fn requests(&self, resource: &str) -> bool {
        self.requests.contains(resource) || self.limits.contains(resource)
    }

    pub fn limits(&self, resource: &str) -> bool {
        self.limits.contains(resource)
    }

    /// Adds what a `resources:` map requests and limits; `false` when it cannot be judged (a
    /// placeholder substituted at deploy time where a map belongs).
    fn add(&mut self, resources: &YamlNode) -> bool {
        if !resources.is_map() {
            return false;
        }
        let mut judged = true;
        for (part, into) in [("requests", &mut self.requests), ("limits", &mut self.limits)] {
            let Some(part) = resources.get(part) else { continue };
            // Each part on its own: a placeholder for the limits leaves the requests readable.
            judged &= part.is_map();
            let set = part.entries().into_iter().filter(|(_, value)| !matches!(value.value, YamlValue::Null));
            into.extend(set.map(|(resource, _)| resource.to_owned()));
        }
        judged
    }
}

/// What kustomize patches (fragments of a workload: no selector, containers without an image)
/// set, by the workload's kind and name and the container's name: the base they patch counts
/// it as set, whatever overlay applies them.
#[derive(Debug, Default)]
pub struct PatchedResources(HashMap<(String, String, String), ContainerResources>);

impl PatchedResources {
    pub fn build(objects: &[Fact<K8sObject>]) -> Self {
        let mut patched = PatchedResources::default();
        for fragment in objects.iter().map(Fact::item).filter(|o| o.is_fragment()) {
            for container in raw_containers(fragment) {
                let (Some(name), Some(resources)) =
                    (container.get("name").and_then(YamlNode::as_str), container.get("resources"))
                else {
                    continue;
                };
                let key = (fragment.kind.clone(), fragment.name.clone(), name.to_owned());
                patched.0.entry(key).or_default().add(resources);
            }
        }
        patched
    }
}

/// The resources container `name` of `workload` gets, or `None` when they cannot be judged (no
/// such container in its pod spec, a placeholder where a map belongs).
pub fn container_resources(workload: &K8sObject, name: &str, patched: &PatchedResources) -> Option<ContainerResources> {
    let pod = pod_spec(workload)?;
    let container = raw_containers(workload).find(|c| c.get("name").and_then(YamlNode::as_str) == Some(name))?;
    let mut resources = ContainerResources::default();
    if let Some(own) = container.get("resources") {
        resources.written = true;
        if !resources.add(own) {
            return None;
        }
    }
    if let Some(pod_wide) = pod.get("resources") {
        resources.add(pod_wide);
    }
    if let Some(by_patch) = patched.0.get(&(workload.kind.clone(), workload.name.clone(), name.to_owned())) {
        resources.requests.extend(by_patch.requests.iter().cloned());
        resources.limits.extend(by_patch.limits.iter().cloned());
    }
    Some(resources)
}

/// The pod spec a workload runs: a Pod's own, a controller's template's.
pub fn pod_spec(workload: &K8sObject) -> Option<&YamlNode> {
    let spec = workload.raw.get("spec")?;
    let pod = if workload.kind == "Pod" { Some(spec) } else { spec.at_path("template.spec") };
    pod.filter(|p| p.is_map())
}

/// The containers and init containers of its pod spec, as written.
fn raw_containers(workload: &K8sObject) -> impl Iterator<Item = &YamlNode> {
    let pod = pod_spec(workload);
    ["containers", "initContainers"].into_iter().filter_map(move |list| pod?.get(list)).flat_map(YamlNode::as_seq)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::location::Location;
    use crate::symbol::Symbol;

    fn node(value: YamlValue) -> YamlNode {
        YamlNode { location: Location::file(Symbol::intern("deploy.yaml")), value }
    }

    fn map(entries: Vec<(&str, YamlNode)>) -> YamlNode {
        let at = Location::file(Symbol::intern("deploy.yaml"));
        node(YamlValue::Map(entries.into_iter().map(|(k, v)| (k.to_owned(), at.clone(), v)).collect()))
    }

    #[test]
    fn each_part_is_read_on_its_own_and_a_placeholder_is_unjudged() {
        let text = |s: &str| node(YamlValue::Str(s.to_owned()));
        let resources = map(vec![
            ("limits", text("{{ .Values.limits }}")),
            ("requests", map(vec![("cpu", text("250m")), ("memory", node(YamlValue::Null))])),
        ]);
        let mut set = ContainerResources::default();
        assert!(!set.add(&resources), "the limits cannot be judged");
        assert!(set.requests("cpu") && !set.requests("memory") && !set.limits("cpu"));
        let mut both = ContainerResources::default();
        assert!(both.add(&map(vec![("limits", map(vec![("memory", text("1Gi"))]))])));
        assert!(both.requests("memory") && both.limits("memory"), "a limit sets the request");
        assert!(!ContainerResources::default().add(&text("{{ .Values.resources }}")));
    }
}
