//! The Kubernetes object graph: which workload each autoscaler scales and which disruption
//! budgets select each workload's pods, worked out once per run so that every rule joins
//! objects the same way (namespace, `scaleTargetRef`, the nearest of several definitions, label
//! selectors) rather than each policy parsing them its own way.

use super::label_selector::{selects, CONTROLLER_LABELS};
use super::resources::PatchedResources;
use super::{Fact, K8sObject};
use std::collections::{BTreeSet, HashMap};

/// A fact's identity within one run: its file and its position there.
type Identity = (usize, u32);

#[derive(Debug, Default)]
pub struct K8sGraph {
    /// Autoscaler → the workload it scales, as indexes into the objects the graph was built from.
    scales: HashMap<usize, usize>,
    positions: HashMap<Identity, usize>,
    /// PodDisruptionBudgets by namespace and one `key=value` pair of their `matchLabels`, or
    /// with an empty pair when they have none to be found by (only expressions, an empty or a
    /// null selector): a workload meets only the budgets that can select it.
    budgets: HashMap<(String, String), Vec<usize>>,
    budget_namespaces: BTreeSet<String>,
    pub patched: PatchedResources,
}

impl K8sGraph {
    pub fn build(objects: &[Fact<K8sObject>]) -> Self {
        let positions = objects.iter().enumerate().map(|(at, object)| (object.identity(), at)).collect();
        // What an autoscaler can name: objects of their own (not patches), by namespace, kind and name.
        let mut definitions: HashMap<(&str, &str, &str), Vec<usize>> = HashMap::new();
        for (at, object) in objects.iter().enumerate().filter(|(_, o)| !o.item().is_fragment()) {
            let item = object.item();
            definitions.entry((item.namespace_or_default(), &item.kind, &item.name)).or_default().push(at);
        }
        let mut scales = HashMap::new();
        for (at, hpa) in objects.iter().enumerate().filter(|(_, o)| o.item().kind == "HorizontalPodAutoscaler") {
            let Some(target) = hpa.item().scale_target() else { continue };
            let key = (hpa.item().namespace_or_default(), target.kind.as_str(), target.name.as_str());
            let candidates = definitions.get(&key).map_or(&[][..], Vec::as_slice);
            if let Some(workload) = nearest(hpa, candidates, objects) {
                scales.insert(at, workload);
            }
        }
        let mut budgets: HashMap<(String, String), Vec<usize>> = HashMap::new();
        let mut budget_namespaces = BTreeSet::new();
        for (at, pdb) in objects.iter().enumerate().filter(|(_, o)| o.item().kind == "PodDisruptionBudget") {
            let namespace = pdb.item().namespace_or_default().to_owned();
            let match_labels = pdb.item().raw.at_path("spec.selector.matchLabels");
            let pair = match_labels.map(|m| m.entries()).unwrap_or_default().into_iter().find_map(|(key, value)| {
                Some(format!("{key}={}", value.scalar_text()?)).filter(|_| !CONTROLLER_LABELS.contains(&key))
            });
            budgets.entry((namespace.clone(), pair.unwrap_or_default())).or_default().push(at);
            budget_namespaces.insert(namespace);
        }
        K8sGraph { scales, positions, budgets, budget_namespaces, patched: PatchedResources::build(objects) }
    }

    /// The PodDisruptionBudgets of the workload's namespace that select its pods.
    pub fn budgets_of<'o>(
        &self,
        workload: &Fact<K8sObject>,
        objects: &'o [Fact<K8sObject>],
    ) -> Vec<&'o Fact<K8sObject>> {
        let labels = workload.item().pod_labels();
        let namespace = workload.item().namespace_or_default();
        self.budgets_by_labels(namespace, &labels, true, objects, |pdb| {
            selects(pdb.item().raw.at_path("spec.selector"), &labels, pdb.item().api_version != "policy/v1beta1")
        })
    }

    /// PodDisruptionBudgets of other namespaces that select the workload's pod labels: written
    /// for these pods, but where they cannot apply.
    pub fn budgets_elsewhere<'o>(
        &self,
        workload: &Fact<K8sObject>,
        objects: &'o [Fact<K8sObject>],
    ) -> Vec<&'o Fact<K8sObject>> {
        let labels = workload.item().pod_labels();
        let own = workload.item().namespace_or_default();
        let others = self.budget_namespaces.iter().filter(|ns| *ns != own);
        others
            .flat_map(|namespace| {
                self.budgets_by_labels(namespace, &labels, false, objects, |pdb| {
                    selects(pdb.item().raw.at_path("spec.selector"), &labels, true)
                })
            })
            .collect()
    }

    /// The budgets of a namespace filed under one of the labels (or, `unanchored`, under none)
    /// that `keep` accepts.
    fn budgets_by_labels<'o>(
        &self,
        namespace: &str,
        labels: &[(String, String)],
        unanchored: bool,
        objects: &'o [Fact<K8sObject>],
        keep: impl Fn(&Fact<K8sObject>) -> bool,
    ) -> Vec<&'o Fact<K8sObject>> {
        let pairs = labels.iter().map(|(key, value)| format!("{key}={value}"));
        let pairs = unanchored.then(String::new).into_iter().chain(pairs);
        let mut found: Vec<usize> = pairs
            .filter_map(|pair| self.budgets.get(&(namespace.to_owned(), pair)))
            .flatten()
            .copied()
            .filter(|at| keep(&objects[*at]))
            .collect();
        found.sort_unstable();
        found.dedup();
        found.into_iter().map(|at| &objects[at]).collect()
    }

    /// The workload an autoscaler scales, when the tree defines it.
    pub fn scaled_by<'o>(&self, hpa: &Fact<K8sObject>, objects: &'o [Fact<K8sObject>]) -> Option<&'o Fact<K8sObject>> {
        let at = self.positions.get(&hpa.identity())?;
        self.scales.get(at).map(|workload| &objects[*workload])
    }

    /// The autoscalers that scale `workload` out to more than one copy.
    pub fn autoscalers_of<'o>(
        &self,
        workload: &Fact<K8sObject>,
        objects: &'o [Fact<K8sObject>],
    ) -> Vec<&'o Fact<K8sObject>> {
        let Some(at) = self.positions.get(&workload.identity()) else { return Vec::new() };
        let mut found: Vec<usize> = self.scales.iter().filter(|(_, w)| *w == at).map(|(hpa, _)| *hpa).collect();
        found.sort_unstable();
        let scales_out = |hpa: &&Fact<K8sObject>| hpa.item().scale_target().is_some_and(|t| t.scales_out());
        found.into_iter().map(|hpa| &objects[hpa]).filter(scales_out).collect()
    }
}

/// Of several definitions of one target (a directory per environment), the one nearest to the
/// autoscaler: in its file, else the one sharing the most leading directories. A tie is none.
fn nearest(hpa: &Fact<K8sObject>, candidates: &[usize], objects: &[Fact<K8sObject>]) -> Option<usize> {
    let from = hpa.file().path.as_str();
    let closeness = |path: &str| -> usize {
        if path == from {
            return usize::MAX;
        }
        let (a, b): (Vec<&str>, Vec<&str>) = (from.split('/').collect(), path.split('/').collect());
        let dirs = |parts: &[&str]| parts.len().saturating_sub(1);
        (0..dirs(&a).min(dirs(&b))).take_while(|i| a[*i] == b[*i]).count()
    };
    let mut scored: Vec<(usize, usize)> =
        candidates.iter().map(|at| (closeness(objects[*at].file().path.as_str()), *at)).collect();
    scored.sort_unstable_by_key(|(score, _)| std::cmp::Reverse(*score));
    match scored.as_slice() {
        [(best, at), rest @ ..] if rest.first().is_none_or(|(next, _)| next < best) => Some(*at),
        _ => None,
    }
}
