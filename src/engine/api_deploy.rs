//! The deployment half of the policy API: Kubernetes objects, Dockerfiles, compose services
//! and the service map that joins them to the code.

use super::script_values::{optional, register_located, strings, text, FactsHandle};
use crate::facts::{
    Binary, ComposeService, Container, ContainerResources, Dockerfile, Fact, Facts, Instruction, K8sObject, PortRef,
    Probe, Service, Stage, YamlNode, YamlValue,
};
use crate::location::Location;
use rhai::{Array, Dynamic, Engine, Map};
use std::sync::Arc;

fn location_or_unit(location: Option<&Location>) -> Dynamic {
    location.cloned().map_or(Dynamic::UNIT, Dynamic::from)
}

fn option_i64(value: Option<i64>) -> Dynamic {
    value.map_or(Dynamic::UNIT, Dynamic::from)
}

fn option_f64(value: Option<f64>) -> Dynamic {
    value.map_or(Dynamic::UNIT, Dynamic::from)
}

/// A YAML node as plain Rhai values (maps, arrays, scalars).
pub fn yaml_to_dynamic(node: &YamlNode) -> Dynamic {
    match &node.value {
        YamlValue::Null => Dynamic::UNIT,
        YamlValue::Bool(b) => (*b).into(),
        YamlValue::Int(i) => (*i).into(),
        YamlValue::Float(f) => (*f).into(),
        YamlValue::Str(s) => text(s).into(),
        YamlValue::Seq(items) => items.iter().map(yaml_to_dynamic).collect::<Array>().into(),
        YamlValue::Map(entries) => {
            entries.iter().map(|(k, _, v)| (k.as_str().into(), yaml_to_dynamic(v))).collect::<Map>().into()
        }
    }
}

/// `path`, `line`, `column` and `location` for plain located values.
fn register_position<T: Clone + Send + Sync + 'static>(engine: &mut Engine, name: &str, location: fn(&T) -> &Location) {
    engine
        .register_type_with_name::<T>(name)
        .register_get("path", move |v: &mut T| text(&location(v).path))
        .register_get("line", move |v: &mut T| i64::from(location(v).line))
        .register_get("column", move |v: &mut T| i64::from(location(v).column))
        .register_get("location", move |v: &mut T| location(v).clone());
}

fn string_map(pairs: &[(String, String)]) -> Map {
    pairs.iter().map(|(k, v)| (k.as_str().into(), text(v).into())).collect()
}

fn containers(object: &K8sObject, init: bool) -> Array {
    object.containers.iter().filter(|c| c.is_init == init).cloned().map(Dynamic::from).collect()
}

fn register_kubernetes(engine: &mut Engine) {
    register_located::<K8sObject>(engine, "K8sObject");
    engine
        .register_get("kind", |o: &mut Fact<K8sObject>| text(&o.item().kind))
        .register_get("api_version", |o: &mut Fact<K8sObject>| text(&o.item().api_version))
        .register_get("name", |o: &mut Fact<K8sObject>| text(&o.item().name))
        .register_get("namespace", |o: &mut Fact<K8sObject>| optional(o.item().namespace.as_deref()))
        .register_get("is_long_running", |o: &mut Fact<K8sObject>| o.item().is_long_running())
        .register_get("namespace_or_default", |o: &mut Fact<K8sObject>| text(o.item().namespace_or_default()))
        .register_get("is_fragment", |o: &mut Fact<K8sObject>| o.item().is_fragment())
        .register_get("scale_target", |o: &mut Fact<K8sObject>| scale_target(o.item()))
        .register_get("generated", |o: &mut Fact<K8sObject>| o.item().generated)
        .register_get("templated", |o: &mut Fact<K8sObject>| o.item().templated)
        .register_get("replicas", |o: &mut Fact<K8sObject>| option_i64(o.item().replicas))
        .register_get("termination_grace_period", |o: &mut Fact<K8sObject>| {
            option_i64(o.item().termination_grace_period)
        })
        .register_get("termination_grace_location", |o: &mut Fact<K8sObject>| {
            location_or_unit(o.item().termination_grace_location.as_ref())
        })
        .register_get("containers", |o: &mut Fact<K8sObject>| containers(o.item(), false))
        .register_get("init_containers", |o: &mut Fact<K8sObject>| containers(o.item(), true))
        .register_get("labels", |o: &mut Fact<K8sObject>| string_map(&o.item().labels))
        .register_get("pod_labels", |o: &mut Fact<K8sObject>| string_map(&o.item().pod_labels()))
        .register_get("annotations", |o: &mut Fact<K8sObject>| string_map(&o.item().annotations))
        .register_get("raw", |o: &mut Fact<K8sObject>| yaml_to_dynamic(&o.item().raw))
        .register_fn("location_of", |o: &mut Fact<K8sObject>, path: &str| {
            location_or_unit(o.item().raw.at_path(path).map(|n| &n.location))
        });

    engine
        .register_type_with_name::<ContainerResources>("ContainerResources")
        .register_get("written", |r: &mut ContainerResources| r.written)
        .register_fn("requests", |r: &mut ContainerResources, resource: &str| r.requests(resource))
        .register_fn("limits", |r: &mut ContainerResources, resource: &str| r.limits(resource));

    register_position::<Container>(engine, "Container", |c| &c.location);
    engine
        .register_get("name", |c: &mut Container| text(&c.name))
        .register_get("image", |c: &mut Container| optional(c.image.as_deref()))
        .register_get("is_init", |c: &mut Container| c.is_init)
        .register_get("has_resources", |c: &mut Container| c.has_resources)
        .register_get("pre_stop_sleep", |c: &mut Container| option_f64(c.pre_stop_sleep))
        .register_get("pre_stop_location", |c: &mut Container| location_or_unit(c.pre_stop_location.as_ref()))
        .register_get("probes", |c: &mut Container| c.probes.iter().cloned().map(Dynamic::from).collect::<Array>())
        .register_fn("probe", |c: &mut Container, kind: &str| {
            c.probes.iter().find(|p| p.kind == kind).cloned().map_or(Dynamic::UNIT, Dynamic::from)
        })
        .register_get("ports", |c: &mut Container| {
            c.ports
                .iter()
                .map(|p| {
                    let mut port = Map::new();
                    port.insert("number".into(), option_i64(p.number));
                    port.insert("name".into(), optional(p.name.as_deref()));
                    port.insert("location".into(), Dynamic::from(p.location.clone()));
                    Dynamic::from(port)
                })
                .collect::<Array>()
        });

    register_position::<Probe>(engine, "Probe", |p| &p.location);
    engine
        .register_get("kind", |p: &mut Probe| text(&p.kind))
        .register_get("handler", |p: &mut Probe| text(&p.handler))
        .register_get("http_path", |p: &mut Probe| optional(p.path.as_deref()))
        .register_get("http_path_location", |p: &mut Probe| location_or_unit(p.path_location.as_ref()))
        .register_get("port", |p: &mut Probe| match &p.port {
            Some(PortRef::Number(n)) => Dynamic::from(*n),
            Some(PortRef::Name(name)) => Dynamic::from(text(name)),
            None => Dynamic::UNIT,
        })
        .register_get("port_location", |p: &mut Probe| location_or_unit(p.port_location.as_ref()));
}

fn register_docker(engine: &mut Engine) {
    engine
        .register_type_with_name::<Fact<Dockerfile>>("Dockerfile")
        .register_get("path", |d: &mut Fact<Dockerfile>| text(&d.file().path))
        .register_get("stages", |d: &mut Fact<Dockerfile>| {
            d.item().stages.iter().cloned().map(Dynamic::from).collect::<Array>()
        })
        .register_get("final_stage", |d: &mut Fact<Dockerfile>| {
            d.item().stages.last().cloned().map_or(Dynamic::UNIT, Dynamic::from)
        });

    register_position::<Stage>(engine, "Stage", |s| &s.location);
    let last = |stage: &Stage, keyword: &str| {
        stage.instructions.iter().rev().find(|i| i.keyword == keyword).cloned().map_or(Dynamic::UNIT, Dynamic::from)
    };
    engine
        .register_get("image", |s: &mut Stage| text(&s.image))
        .register_get("alias", |s: &mut Stage| optional(s.alias.as_deref()))
        .register_get("instructions", |s: &mut Stage| {
            s.instructions.iter().cloned().map(Dynamic::from).collect::<Array>()
        })
        .register_fn("instructions", |s: &mut Stage, keyword: &str| {
            let keyword = keyword.to_ascii_uppercase();
            s.instructions.iter().filter(|i| i.keyword == keyword).cloned().map(Dynamic::from).collect::<Array>()
        })
        .register_get("cmd", move |s: &mut Stage| last(s, "CMD"))
        .register_get("entrypoint", move |s: &mut Stage| last(s, "ENTRYPOINT"))
        .register_get("healthcheck", move |s: &mut Stage| last(s, "HEALTHCHECK"));

    register_position::<Instruction>(engine, "Instruction", |i| &i.location);
    engine
        .register_get("keyword", |i: &mut Instruction| text(&i.keyword))
        .register_get("args", |i: &mut Instruction| text(&i.args))
        .register_get("is_exec_form", |i: &mut Instruction| i.exec.is_some())
        .register_get("exec", |i: &mut Instruction| i.exec.as_ref().map_or(Dynamic::UNIT, |e| strings(e).into()));

    register_located::<ComposeService>(engine, "ComposeService");
    engine
        .register_get("name", |s: &mut Fact<ComposeService>| text(&s.item().name))
        .register_get("image", |s: &mut Fact<ComposeService>| optional(s.item().image.as_deref()))
        .register_get("build_dockerfile", |s: &mut Fact<ComposeService>| optional(s.item().build_dockerfile.as_deref()))
        .register_get("has_build", |s: &mut Fact<ComposeService>| s.item().build_dockerfile.is_some())
        .register_get("has_healthcheck", |s: &mut Fact<ComposeService>| s.item().has_healthcheck)
        .register_get("healthcheck_disabled", |s: &mut Fact<ComposeService>| s.item().healthcheck_disabled)
        .register_get("one_shot", |s: &mut Fact<ComposeService>| s.item().one_shot)
        .register_get("stop_grace_period", |s: &mut Fact<ComposeService>| option_f64(s.item().stop_grace_period))
        .register_get("stop_grace_location", |s: &mut Fact<ComposeService>| {
            location_or_unit(s.item().stop_grace_location.as_ref())
        })
        .register_get("stop_signal", |s: &mut Fact<ComposeService>| optional(s.item().stop_signal.as_deref()))
        .register_get("command", |s: &mut Fact<ComposeService>| optional(s.item().command.as_deref()))
        .register_get("entrypoint", |s: &mut Fact<ComposeService>| optional(s.item().entrypoint.as_deref()))
        .register_get("replicas", |s: &mut Fact<ComposeService>| option_i64(s.item().replicas));
}

/// A service with the facts it joins, for scripts.
#[derive(Clone)]
pub struct ServiceHandle {
    facts: Arc<Facts>,
    index: usize,
}

impl ServiceHandle {
    fn service(&self) -> &Service {
        &self.facts.services[self.index]
    }
}

fn register_services(engine: &mut Engine) {
    engine
        .register_type_with_name::<ServiceHandle>("Service")
        .register_get("name", |s: &mut ServiceHandle| text(&s.service().name))
        .register_get("bin", |s: &mut ServiceHandle| optional(s.service().bin.as_deref()))
        .register_get("package_name", |s: &mut ServiceHandle| optional(s.service().package.as_deref()))
        .register_get("declared", |s: &mut ServiceHandle| s.service().declared)
        .register_get("in_production", |s: &mut ServiceHandle| s.service().in_production(&s.facts))
        .register_get("evidence", |s: &mut ServiceHandle| strings(&s.service().evidence))
        .register_get("dockerfiles", |s: &mut ServiceHandle| {
            let service = s.service();
            let dockerfiles = s.facts.index.dockerfiles.iter().filter(|d| service.dockerfiles.contains(&d.file().path));
            dockerfiles.cloned().map(Dynamic::from).collect::<Array>()
        })
        .register_get("compose_services", |s: &mut ServiceHandle| {
            let lookup = &s.facts.service_lookup;
            let own = |c: &&Fact<ComposeService>| lookup.of_compose(c.file().path, &c.item().name) == Some(s.index);
            s.facts.index.compose_services.iter().filter(own).cloned().map(Dynamic::from).collect::<Array>()
        })
        .register_get("workloads", |s: &mut ServiceHandle| {
            let own = |o: &&Fact<K8sObject>| service_of_workload(&s.facts, o) == Some(s.index);
            s.facts.index.k8s_objects.iter().filter(own).cloned().map(Dynamic::from).collect::<Array>()
        })
        .register_get("binary", |s: &mut ServiceHandle| {
            let service = s.service();
            let binary = s
                .facts
                .index
                .binaries
                .iter()
                .find(|b| Some(&b.name) == service.bin.as_ref() && Some(&b.package) == service.package.as_ref());
            binary.cloned().map_or(Dynamic::UNIT, Dynamic::from)
        });
}

fn service_of_workload(facts: &Facts, object: &Fact<K8sObject>) -> Option<usize> {
    facts.service_lookup.of_workload(object.file().path, &object.item().kind, &object.item().name)
}

/// The service a deployment fact belongs to, if it is linked.
fn service_of(facts: &Arc<Facts>, of: &Dynamic) -> Dynamic {
    let lookup = &facts.service_lookup;
    let index = if let Some(object) = of.read_lock::<Fact<K8sObject>>() {
        service_of_workload(facts, &object)
    } else if let Some(compose) = of.read_lock::<Fact<ComposeService>>() {
        lookup.of_compose(compose.file().path, &compose.item().name)
    } else if let Some(dockerfile) = of.read_lock::<Fact<Dockerfile>>() {
        lookup.of_dockerfile(dockerfile.file().path)
    } else {
        None
    };
    index.map_or(Dynamic::UNIT, |index| Dynamic::from(ServiceHandle { facts: facts.clone(), index }))
}

pub fn register(engine: &mut Engine) {
    engine.register_fn("for_development", |path: &str| crate::facts::for_development(path));
    register_kubernetes(engine);
    register_docker(engine);
    register_services(engine);
    engine
        .register_fn("k8s_objects", |f: &mut FactsHandle| {
            f.0.index.k8s_objects.iter().cloned().map(Dynamic::from).collect::<Array>()
        })
        .register_fn("k8s_objects", |f: &mut FactsHandle, kind: &str| {
            f.0.index
                .k8s_objects
                .iter()
                .filter(|o| o.item().kind == kind)
                .cloned()
                .map(Dynamic::from)
                .collect::<Array>()
        })
        .register_fn("autoscalers_of", |f: &mut FactsHandle, workload: Fact<K8sObject>| {
            f.0.index.autoscalers_of(&workload).into_iter().cloned().map(Dynamic::from).collect::<Array>()
        })
        .register_fn("budgets_of", |f: &mut FactsHandle, workload: Fact<K8sObject>| {
            f.0.index.budgets_of(&workload).into_iter().cloned().map(Dynamic::from).collect::<Array>()
        })
        .register_fn("budgets_elsewhere", |f: &mut FactsHandle, workload: Fact<K8sObject>| {
            f.0.index.budgets_elsewhere(&workload).into_iter().cloned().map(Dynamic::from).collect::<Array>()
        })
        .register_fn("resources_of", |f: &mut FactsHandle, workload: Fact<K8sObject>, container: Container| {
            f.0.index.resources_of(&workload, &container.name).map_or(Dynamic::UNIT, Dynamic::from)
        })
        .register_fn("missing_requests", |f: &mut FactsHandle, hpa: Fact<K8sObject>| missing_requests(&f.0, &hpa))
        .register_fn("scaled_by", |f: &mut FactsHandle, hpa: Fact<K8sObject>| {
            f.0.index.scaled_by(&hpa).cloned().map_or(Dynamic::UNIT, Dynamic::from)
        })
        .register_fn("scaled_out", |f: &mut FactsHandle, runners: Array| {
            let runners: Vec<Binary> = runners.into_iter().filter_map(|r| r.try_cast::<Binary>()).collect();
            f.0.scaled_out(&runners).map_or(Dynamic::UNIT, |scaled| {
                let mut found = Map::new();
                found.insert("at".into(), Dynamic::from(scaled.at));
                found.insert("message".into(), text(&scaled.message).into());
                Dynamic::from(found)
            })
        })
        .register_fn("workloads", |f: &mut FactsHandle| {
            f.0.index
                .k8s_objects
                .iter()
                .filter(|o| !o.item().containers.is_empty())
                .cloned()
                .map(Dynamic::from)
                .collect::<Array>()
        })
        .register_fn("dockerfiles", |f: &mut FactsHandle| {
            f.0.index.dockerfiles.iter().cloned().map(Dynamic::from).collect::<Array>()
        })
        .register_fn("dockerfile", |f: &mut FactsHandle, path: &str| {
            f.0.index.dockerfiles.iter().find(|d| &*d.file().path == path).cloned().map_or(Dynamic::UNIT, Dynamic::from)
        })
        .register_fn("compose_services", |f: &mut FactsHandle| {
            f.0.index.compose_services.iter().cloned().map(Dynamic::from).collect::<Array>()
        })
        .register_fn("services", |f: &mut FactsHandle| {
            (0..f.0.services.len())
                .map(|index| Dynamic::from(ServiceHandle { facts: f.0.clone(), index }))
                .collect::<Array>()
        })
        .register_fn("service", |f: &mut FactsHandle, name: &str| {
            f.0.services
                .iter()
                .position(|s| s.name == name)
                .map_or(Dynamic::UNIT, |index| Dynamic::from(ServiceHandle { facts: f.0.clone(), index }))
        })
        .register_fn("service_of", |f: &mut FactsHandle, of: Dynamic| service_of(&f.0, &of))
        .register_fn("for_development", |f: &mut FactsHandle, path: &str| {
            f.0.for_development(crate::symbol::Symbol::from(path))
        });
}

/// `facts.missing_requests(hpa)`: `#{resource, what, at, container}` for each container of the
/// scaled workload without the request a utilization target needs; `at` is the metric's line.
fn missing_requests(facts: &Facts, hpa: &Fact<K8sObject>) -> Array {
    let missing = facts.index.missing_requests(hpa);
    let at = |path: &Option<String>| path.as_deref().and_then(|p| hpa.item().raw.at_path(p)).map(|n| &n.location);
    missing
        .into_iter()
        .map(|m| {
            let mut map = Map::new();
            map.insert("at".into(), Dynamic::from(at(&m.metric.path).unwrap_or(&hpa.item().location).clone()));
            map.insert("resource".into(), text(&m.metric.resource).into());
            map.insert("what".into(), text(&m.metric.what).into());
            map.insert("container".into(), Dynamic::from(m.container.clone()));
            Dynamic::from(map)
        })
        .collect()
}

/// `hpa.scale_target`: `#{kind, name, key: "namespace/kind/name", max_replicas, scales_out}`, or
/// `()` for an object that scales nothing.
fn scale_target(object: &K8sObject) -> Dynamic {
    let Some(target) = object.scale_target() else { return Dynamic::UNIT };
    let mut map = Map::new();
    let key = format!("{}/{}/{}", object.namespace_or_default(), target.kind, target.name);
    map.insert("key".into(), key.into());
    map.insert("scales_out".into(), target.scales_out().into());
    map.insert("max_replicas".into(), target.max_replicas.map_or(Dynamic::UNIT, Dynamic::from));
    map.insert("kind".into(), target.kind.into());
    map.insert("name".into(), target.name.into());
    map.into()
}
