//! Making resolved paths crate-absolute (`crate::`, `self::`, `super::`) and following
//! `pub use` re-exports across the workspace, so that `shared::make_queue()` is seen as the
//! `tokio::sync::mpsc::unbounded_channel` it re-exports.

use crate::facts::{FileFacts, FileInfo};
use std::collections::{HashMap, HashSet};

/// How many re-exports one path may pass through (re-export chains in broken code can loop).
const MAX_HOPS: usize = 8;

/// Rewrites a leading `crate`/`self`/`super` against the file's module (`shop::orders`).
pub fn absolute(path: &str, module: Option<&str>) -> String {
    let Some(module) = module else { return path.to_owned() };
    let mut segments: Vec<&str> = path.split("::").collect();
    let module: Vec<&str> = module.split("::").collect();
    let base: Vec<&str> = match segments.first().copied() {
        Some("crate") => {
            segments.remove(0);
            module[..1].to_vec()
        }
        Some("self") => {
            segments.remove(0);
            module.clone()
        }
        Some("super") => {
            let supers = segments.iter().take_while(|s| **s == "super").count();
            if supers >= module.len() {
                return path.to_owned();
            }
            segments.drain(..supers);
            module[..module.len() - supers].to_vec()
        }
        _ => return path.to_owned(),
    };
    base.into_iter().chain(segments).collect::<Vec<_>>().join("::")
}

/// `pub use` items of the workspace: the public path they create → the path they name.
#[derive(Default)]
pub struct ReExports {
    table: HashMap<String, String>,
    /// The crates that re-export anything: a path into any other crate is followed without
    /// a lookup per prefix.
    crates: HashSet<String>,
}

impl ReExports {
    pub fn build(files: &[FileFacts], infos: &[FileInfo]) -> Self {
        let mut table = HashMap::new();
        for (file, info) in files.iter().zip(infos) {
            let Some(module) = info.module.as_deref() else { continue };
            for import in file.rust.uses.iter().filter(|u| u.is_pub) {
                let Some(name) = &import.name else { continue };
                let inline = if import.module.is_empty() { String::new() } else { format!("::{}", import.module) };
                let public = format!("{module}{inline}::{name}");
                let target = absolute(&import.path, Some(module));
                if public != target {
                    table.insert(public, target);
                }
            }
        }
        let crates = table.keys().filter_map(|public| public.split(':').next()).map(str::to_owned).collect();
        ReExports { table, crates }
    }

    /// Follows re-exports through the longest matching prefix, hop by hop; `None` when no
    /// re-export applies (the common case, kept free of allocations).
    pub fn follow(&self, path: &str) -> Option<String> {
        if !self.crates.contains(path.split(':').next().unwrap_or(path)) {
            return None;
        }
        let mut current: Option<String> = None;
        for _ in 0..MAX_HOPS {
            let path = current.as_deref().unwrap_or(path);
            // Prefixes of two or more segments, longest first, looked up without allocating.
            let first = path.find("::").unwrap_or(path.len());
            let ends = [path.len()].into_iter().chain(path.rmatch_indices("::").map(|(i, _)| i).filter(|&i| i > first));
            let replaced =
                ends.into_iter().find_map(|end| self.table.get(&path[..end]).map(|t| format!("{t}{}", &path[end..])));
            match replaced {
                Some(next) if next != path => current = Some(next),
                _ => break,
            }
        }
        current
    }
}

/// Whether a path starts with `crate`, `self` or `super`, which [`absolute`] rewrites.
pub fn is_relative(path: &str) -> bool {
    // Up to the first `:`, which starts the first `::`: a char split needs no substring search.
    let first = path.split(':').next().unwrap_or(path);
    matches!(first, "crate" | "self" | "super")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_become_crate_absolute() {
        assert_eq!(absolute("crate::db::Pool", Some("shop::api")), "shop::db::Pool");
        assert_eq!(absolute("self::x", Some("shop::api")), "shop::api::x");
        assert_eq!(absolute("super::x", Some("shop::api")), "shop::x");
        assert_eq!(absolute("super::super::x", Some("shop::api")), "super::super::x");
        assert_eq!(absolute("tokio::spawn", Some("shop")), "tokio::spawn");
        assert_eq!(absolute("crate::x", None), "crate::x");
    }

    #[test]
    fn follows_chains_of_reexports_and_stops_on_loops() {
        let mut reexports = ReExports::default();
        reexports.table.insert("shared::make_queue".into(), "shared::queue::make".into());
        reexports.table.insert("shared::queue::make".into(), "tokio::sync::mpsc::unbounded_channel".into());
        reexports.table.insert("shared::chan".into(), "tokio::sync::mpsc".into());
        reexports.table.insert("a::x".into(), "b::x".into());
        reexports.table.insert("b::x".into(), "a::x".into());
        reexports.crates.extend(["shared", "a", "b"].map(String::from));
        assert_eq!(reexports.follow("shared::make_queue").unwrap(), "tokio::sync::mpsc::unbounded_channel");
        assert_eq!(reexports.follow("shared::chan::channel").unwrap(), "tokio::sync::mpsc::channel");
        assert!(["a::x", "b::x"].contains(&reexports.follow("a::x").unwrap_or_default().as_str()));
        assert_eq!(reexports.follow("tokio::spawn"), None);
    }
}
