//! Whether a deployment runs more than one copy of a binary: the question in-memory-state and
//! migration-startup-race both ask, answered once.

use super::{Binary, Facts};
use crate::location::Location;

/// Why more than one copy runs: where the deployment says so, and how.
pub struct ScaledOut {
    pub at: Location,
    pub message: String,
}

impl Facts {
    /// Why a production deployment of one of `runners` runs more than one copy of it: a
    /// Kubernetes workload with 2+ replicas or an autoscaler that scales it out, or a compose
    /// service with `deploy.replicas` above 1. Deployment files for development do not count.
    pub fn scaled_out(&self, runners: &[Binary]) -> Option<ScaledOut> {
        for (index, service) in self.services.iter().enumerate() {
            let (Some(bin), Some(package)) = (&service.bin, service.package) else { continue };
            let runs = runners.iter().any(|runner| runner.name == *bin && runner.package == package);
            if !runs || !service.in_production(self) {
                continue;
            }
            let lookup = &self.service_lookup;
            let workloads = self.index.k8s_objects.iter().filter(|o| {
                lookup.of_workload(o.file().path, &o.item().kind, &o.item().name) == Some(index)
                    && !self.for_development(o.file().path)
            });
            for workload in workloads {
                let object = workload.item();
                if let Some(replicas) = object.replicas.filter(|r| *r > 1) {
                    let written = object.raw.at_path("spec.replicas").map(|n| n.location.clone());
                    return Some(ScaledOut {
                        at: written.unwrap_or_else(|| object.location.clone()),
                        message: format!("{} `{}` runs {replicas} replicas", object.kind, object.name),
                    });
                }
                if let Some(hpa) = self.index.autoscalers_of(workload).first() {
                    return Some(ScaledOut {
                        at: hpa.item().location.clone(),
                        message: format!(
                            "HorizontalPodAutoscaler `{}` scales {} `{}`",
                            hpa.item().name,
                            object.kind,
                            object.name
                        ),
                    });
                }
            }
            let composed = self.index.compose_services.iter().filter(|c| {
                lookup.of_compose(c.file().path, &c.item().name) == Some(index) && !self.for_development(c.file().path)
            });
            for compose in composed {
                if let Some(replicas) = compose.item().replicas.filter(|r| *r > 1) {
                    return Some(ScaledOut {
                        at: compose.item().location.clone(),
                        message: format!("compose service `{}` runs {replicas} replicas", compose.item().name),
                    });
                }
            }
        }
        None
    }
}
