//! Discover: the root, its configuration, and the files worth reading.

pub mod architecture;
pub mod config;
mod walk;

pub use config::{Config, Level, Limits, RuleConfig, ServiceConfig};
pub use walk::{classify, walk, Discovery, SourceFile};
