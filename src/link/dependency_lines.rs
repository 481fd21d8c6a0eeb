//! Where a `Cargo.toml` declares each dependency: cargo metadata has no lines, so the manifest
//! is read again with a span-keeping TOML parser for findings that point at a dependency.

use crate::location::{LineIndex, Location};
use crate::symbol::Symbol;
use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

#[derive(Deserialize, Default)]
struct Sections {
    #[serde(default)]
    dependencies: BTreeMap<Spanned<String>, toml::Value>,
    #[serde(default, rename = "dev-dependencies")]
    dev: BTreeMap<Spanned<String>, toml::Value>,
    #[serde(default, rename = "build-dependencies")]
    build: BTreeMap<Spanned<String>, toml::Value>,
    #[serde(default)]
    target: BTreeMap<String, Sections>,
}

/// (kind, name as written, location) of every dependency the manifest declares.
pub fn dependency_locations(path: Symbol, text: &str) -> Vec<(&'static str, String, Location)> {
    let Ok(sections) = toml::from_str::<Sections>(text) else { return Vec::new() };
    let index = LineIndex::new(text);
    let mut found = Vec::new();
    collect(&sections, path, &index, &mut found);
    found
}

fn collect(sections: &Sections, path: Symbol, index: &LineIndex, found: &mut Vec<(&'static str, String, Location)>) {
    for (kind, table) in [("normal", &sections.dependencies), ("dev", &sections.dev), ("build", &sections.build)] {
        for key in table.keys() {
            let span = key.span();
            found.push((kind, key.get_ref().clone(), index.location_of_bytes(path, span.start, span.end)));
        }
    }
    for target in sections.target.values() {
        collect(target, path, index, found);
    }
}

/// The location of dependency `name` of `kind`.
pub fn find(declared: &[(&'static str, String, Location)], kind: &str, name: &str) -> Option<Location> {
    declared.iter().find(|(k, n, _)| *k == kind && n == name).map(|(_, _, at)| at.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_dependency_lines_in_every_section() {
        let text = "[package]\nname = \"a\"\n\n[dependencies]\nsqlx = \"0.8\"\nshop-domain = { path = \"../domain\" }\n\n[dev-dependencies]\nproptest = \"1\"\n\n[target.'cfg(unix)'.dependencies]\nnix = \"0.29\"\n";
        let found = dependency_locations(Symbol::intern("Cargo.toml"), text);
        let lines: Vec<(&str, &str, u32)> = found.iter().map(|(k, n, at)| (*k, n.as_str(), at.line)).collect();
        assert_eq!(
            lines,
            [("normal", "shop-domain", 6), ("normal", "sqlx", 5), ("dev", "proptest", 9), ("normal", "nix", 12)]
        );
    }
}
