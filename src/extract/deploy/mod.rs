//! Extractors for the deployment configuration that ships with a service.

pub mod builds;
pub mod compose;
pub mod dockerfile;
pub mod k8s;
pub mod template;
pub mod yaml;
