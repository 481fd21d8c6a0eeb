//! Discover: the root, its configuration, and the files worth reading.

pub mod config;
mod walk;

pub use config::{Config, Level, Limits, RuleConfig};
pub use walk::{walk, Discovery, SourceFile};
