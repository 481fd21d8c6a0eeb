//! Whether a migration runs while a release serves: the join from a migration file to the
//! Kubernetes workloads that run the code it belongs to, and how they roll out.
//!
//! A workload that replaces all its pods at once — a Deployment with `strategy: Recreate`, or a
//! StatefulSet of one replica, whose single pod stops before the next starts — serves nothing
//! while its next release migrates, and never runs two releases side by side: the lock and
//! rollout rules have nothing to say about such a service. Any other workload (a rolling update,
//! the default) overlaps the releases.

use super::{Facts, K8sObject, LinkedFile};
use crate::location::Location;

impl Facts {
    /// Where the deployment shows that nothing serves while the migration in `file` runs: the
    /// `type: Recreate` (or the single replica) of the workload, when every Kubernetes workload
    /// of every service whose binary includes the migration's package replaces its pods at once.
    /// `None` when one overlaps, or when no workload is known to run the code.
    pub fn replaced_at_once(&self, file: &LinkedFile) -> Option<Location> {
        let package = file.info.package?;
        let mut evidence = None;
        let services = self.services.iter().filter(|service| {
            let runs = service.package.and_then(|name| self.packages.iter().find(|p| p.name == name));
            runs.is_some_and(|p| p.reach(&self.packages).contains(&package))
        });
        for (path, kind, name) in services.flat_map(|service| &service.workloads) {
            let object = self
                .index
                .k8s_objects
                .iter()
                .map(|o| o.item())
                .find(|o| o.location.path == *path && o.kind == *kind && o.name == *name)?;
            evidence = Some(all_at_once(object)?);
        }
        evidence
    }
}

/// Where a workload says it replaces all its pods at once, if it does.
fn all_at_once(object: &K8sObject) -> Option<Location> {
    let spec = object.raw.get("spec")?;
    match object.kind.as_str() {
        "Deployment" => {
            let strategy = spec.get("strategy")?.get("type")?;
            (strategy.as_str()? == "Recreate").then(|| strategy.location.clone())
        }
        "StatefulSet" if object.replicas.unwrap_or(1) <= 1 => {
            Some(spec.get("replicas").map_or_else(|| object.location.clone(), |r| r.location.clone()))
        }
        _ => None,
    }
}
