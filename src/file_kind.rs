//! What kind of input a file is: decided by discovery, carried by its facts.

use serde::Serialize;

/// What kind of input a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileKind {
    Rust,
    /// YAML or JSON that may hold Kubernetes objects.
    Kubernetes,
    Dockerfile,
    Compose,
    /// A file that builds images or starts programs: a GitHub workflow, a Makefile, a
    /// justfile, a shell script.
    BuildScript,
    /// A database migration: a `.sql` file under a migrations directory (or named as refinery
    /// names them), or diesel's `metadata.toml` beside one.
    Migration,
}
