//! The index over the linked facts: a table per kind of code fact, binaries, entry code, what
//! start-up does and the sender parameters. Policies query these natively; a script never
//! scans every call of a workspace.

use super::call_graph::CallGraph;
use super::{
    AttributeFact, Binary, CallFact, ComposeService, Dockerfile, EntryCode, Fact, FactKind, FnFact, K8sObject,
    LinkedFile, MacroFact, MethodCallFact, MigrationStep, Package, StateFact, Table, UseFact,
};
use crate::symbol::Symbol;
use std::sync::{Arc, OnceLock};

#[derive(Debug, Default)]
pub struct Index {
    pub k8s_objects: Vec<Fact<K8sObject>>,
    pub dockerfiles: Vec<Fact<Dockerfile>>,
    pub migration_steps: Vec<Fact<MigrationStep>>,
    pub compose_services: Vec<Fact<ComposeService>>,
    pub calls: Table<CallFact>,
    pub method_calls: Table<MethodCallFact>,
    pub macros: Table<MacroFact>,
    pub fns: Table<FnFact>,
    pub attributes: Table<AttributeFact>,
    pub uses: Table<UseFact>,
    pub binaries: Vec<Binary>,
    pub call_graph: Arc<CallGraph>,
    /// Request handlers and what they reach.
    pub handlers: EntryCode,
    /// Spawned tasks and threads and what they reach.
    pub tasks: EntryCode,
    /// What fns do before they bind a listener.
    pub start_up: super::start_up::StartUp,
    /// Statics and struct fields that hold shared mutable collections.
    pub states: Vec<Fact<StateFact>>,
    /// Which constructor parameters are stored in which fields, across the workspace.
    /// The sender parameters of the workspace's fns, by fn name (see [`super::senders`]).
    pub param_flows: super::ParamFlows,
    /// Which workload each autoscaler scales, once asked.
    k8s_graph: OnceLock<super::k8s_graph::K8sGraph>,
    /// Types some fn receives as application state (`State<AppState>`), by last segment.
    pub app_states: foldhash::HashSet<Symbol>,
}

impl Index {
    pub fn build(packages: &[Package], files: &[Arc<LinkedFile>]) -> Self {
        let (((calls, method_calls), ((macros, attributes), (uses, fns))), call_graph) = rayon::join(
            || {
                rayon::join(
                    || {
                        rayon::join(
                            || Table::build(files, |c: &CallFact| c.name, |c| Some(c.resolved), |c| &c.glob_candidates),
                            || Table::build(files, |m: &MethodCallFact| m.name, |m| m.receiver_root, no_candidates),
                        )
                    },
                    || {
                        rayon::join(
                            || {
                                rayon::join(
                                    || Table::build(files, |m: &MacroFact| m.name, |m| Some(m.resolved), no_candidates),
                                    || {
                                        Table::build(
                                            files,
                                            |a: &AttributeFact| a.name,
                                            |a| Some(a.resolved),
                                            no_candidates,
                                        )
                                    },
                                )
                            },
                            || {
                                rayon::join(
                                    || Table::build(files, use_name, |u| Some(u.path), no_candidates),
                                    || Table::build(files, |f: &FnFact| f.name, |_| None, no_candidates),
                                )
                            },
                        )
                    },
                )
            },
            || Arc::new(CallGraph::build(files, packages)),
        );
        let mut binaries = binaries(packages, &fns, &attributes, &call_graph);
        for binary in &mut binaries {
            binary.server = super::servers::server(&calls, &method_calls, binary);
        }
        let services = super::entry_code::tonic_services(files, &method_calls);
        let (handlers, tasks) = rayon::join(
            || EntryCode::handlers(files, &services, &calls, &method_calls, &attributes, &call_graph),
            || EntryCode::tasks(files, &calls, &method_calls, &call_graph),
        );
        let start_up = super::start_up::StartUp::build(&calls, &method_calls);
        Index {
            handlers,
            tasks,
            start_up,
            k8s_graph: OnceLock::new(),
            param_flows: super::ParamFlows::build(files),
            states: every(files),
            // A tonic service's `self` is its application state.
            app_states: files
                .iter()
                .flat_map(|file| file.facts.rust.app_states.iter().copied())
                .chain(services)
                .collect(),
            k8s_objects: every(files),
            dockerfiles: every(files),
            migration_steps: every(files),
            compose_services: every(files),
            calls,
            method_calls,
            macros,
            attributes,
            uses,
            binaries,
            fns,
            call_graph,
        }
    }
}

impl Index {
    /// The workload an autoscaler scales, when the tree defines it.
    pub fn scaled_by(&self, hpa: &Fact<K8sObject>) -> Option<&Fact<K8sObject>> {
        self.k8s_graph().scaled_by(hpa, &self.k8s_objects)
    }

    /// The autoscalers that scale `workload` out to more than one copy.
    pub fn autoscalers_of(&self, workload: &Fact<K8sObject>) -> Vec<&Fact<K8sObject>> {
        self.k8s_graph().autoscalers_of(workload, &self.k8s_objects)
    }

    /// The PodDisruptionBudgets of the workload's namespace that select its pods.
    pub fn budgets_of(&self, workload: &Fact<K8sObject>) -> Vec<&Fact<K8sObject>> {
        self.k8s_graph().budgets_of(workload, &self.k8s_objects)
    }

    /// PodDisruptionBudgets of other namespaces that select the workload's pod labels.
    pub fn budgets_elsewhere(&self, workload: &Fact<K8sObject>) -> Vec<&Fact<K8sObject>> {
        self.k8s_graph().budgets_elsewhere(workload, &self.k8s_objects)
    }

    /// The containers of the workload an autoscaler scales that lack the request its
    /// utilization targets are computed against.
    pub fn missing_requests(&self, hpa: &Fact<K8sObject>) -> Vec<super::MissingRequest<'_>> {
        let Some(workload) = self.scaled_by(hpa) else { return Vec::new() };
        super::autoscaling::missing_requests(hpa.item(), workload.item(), &self.k8s_graph().patched)
    }

    /// The resources container `name` of a workload gets (its own, the pod's, a patch's), or
    /// `None` when they cannot be judged.
    pub fn resources_of(&self, workload: &Fact<K8sObject>, name: &str) -> Option<super::ContainerResources> {
        super::resources::container_resources(workload.item(), name, &self.k8s_graph().patched)
    }

    fn k8s_graph(&self) -> &super::k8s_graph::K8sGraph {
        self.k8s_graph.get_or_init(|| super::k8s_graph::K8sGraph::build(&self.k8s_objects))
    }
}

/// A glob import has no name of its own: `*`.
fn use_name(import: &UseFact) -> Symbol {
    import.name.unwrap_or_else(|| Symbol::intern("*"))
}

fn no_candidates<T>(_: &T) -> &[Symbol] {
    &[]
}

/// Every fact of a kind too rare to need a table (deployment objects).
fn every<T: FactKind>(files: &[Arc<LinkedFile>]) -> Vec<Fact<T>> {
    files.iter().flat_map(Fact::all_in).collect()
}

/// Attributes that make a fn of a binary's root file its entry point in place of `main`.
const ENTRY_ATTRIBUTES: [&str; 2] = ["rocket::launch", "rocket::main"];

fn binaries(
    packages: &[Package],
    fns: &Table<FnFact>,
    attributes: &Table<AttributeFact>,
    graph: &Arc<CallGraph>,
) -> Vec<Binary> {
    let mut binaries = Vec::new();
    for package in packages {
        for target in package.targets.iter().filter(|t| t.is("bin")) {
            let main = fns.named("main").find(|f| f.file().path == target.src_path && f.is_main());
            let launched = ENTRY_ATTRIBUTES.iter().flat_map(|path| attributes.resolved(path)).filter_map(|attribute| {
                let on = attribute.item().item?;
                (attribute.file().path == target.src_path)
                    .then(|| Fact::all_in(attribute.linked()).find(|f: &Fact<FnFact>| f.item().name == on))?
            });
            let entries: Vec<Fact<FnFact>> = main.iter().cloned().chain(launched).collect();
            binaries.push(Binary {
                name: target.name.clone(),
                package: package.name,
                src_path: target.src_path,
                reached: graph.reached_from(entries),
                server: None,
                graph: graph.clone(),
                main,
                reach: package.reach(packages),
            });
        }
    }
    binaries
}
