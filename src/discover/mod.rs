//! Discover: the root, its configuration, and the files worth reading.

pub mod architecture;
pub mod config;
mod walk;

pub use config::{Config, HelmChart, Level, Limits, RuleConfig, ServiceConfig};
pub use walk::{classify, is_read, walk, Discovery, SourceFile};

/// The root for a run started in `start`: the nearest ancestor with `guardrail.toml`, else the
/// nearest with a workspace `Cargo.toml`, else `start` itself.
pub fn find_root(start: &std::path::Path) -> std::path::PathBuf {
    let has_config = |dir: &&std::path::Path| dir.join(config::FILE_NAME).is_file();
    let is_workspace = |dir: &&std::path::Path| {
        crate::tree::text(crate::tree::read_regular(&dir.join("Cargo.toml"), 1 << 20))
            .is_ok_and(|text| text.lines().any(|l| l.trim() == "[workspace]"))
    };
    let found = start.ancestors().find(has_config).or_else(|| start.ancestors().find(is_workspace));
    found.unwrap_or(start).to_path_buf()
}
