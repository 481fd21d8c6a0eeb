//! `[architecture]` in guardrail.toml: the intended shape of the workspace.
//!
//! Patterns name crates (`shop-domain`, `sqlx`) or modules (`shop_api::handlers`), matching the
//! module and everything below it; `*` stands for one path segment, `**` for any number.

use crate::location::Location;
use serde::Deserialize;
use toml::Spanned;

/// A layer: members may depend only on members of layers below it (or of their own layer).
#[derive(Debug, Clone, PartialEq)]
pub struct Layer {
    pub name: String,
    pub members: Vec<String>,
    pub location: Location,
}

/// `from` must never reach `to`, directly or through other modules.
#[derive(Debug, Clone, PartialEq)]
pub struct Forbidden {
    pub from: Vec<String>,
    pub to: Vec<String>,
    pub reason: Option<String>,
    pub location: Location,
}

/// None of `members` may reach another.
#[derive(Debug, Clone, PartialEq)]
pub struct Independence {
    pub members: Vec<String>,
    pub reason: Option<String>,
    pub location: Location,
}

/// An accepted violation, with its reason.
#[derive(Debug, Clone, PartialEq)]
pub struct Exception {
    pub from: String,
    pub to: String,
    pub reason: String,
    pub location: Location,
}

/// A pattern as the configuration writes it, where it writes it, and what it must name.
#[derive(Debug, Clone, PartialEq)]
pub struct WrittenPattern {
    /// As written (`notes-core`); rules match its normalized form (`notes_core`).
    pub written: String,
    pub location: Location,
    /// `to` of a forbid or an exception may name a dependency from outside the workspace;
    /// every other pattern names the workspace's own crates and modules.
    pub may_be_external: bool,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Architecture {
    /// Top to bottom.
    pub layers: Vec<Layer>,
    pub forbidden: Vec<Forbidden>,
    pub independent: Vec<Independence>,
    pub exceptions: Vec<Exception>,
    /// Report module cycles inside a crate.
    pub acyclic: bool,
    /// Count dev-dependencies as edges.
    pub dev_dependencies: bool,
    /// Count references from test-only code.
    pub test_code: bool,
    /// Every pattern above, for checking that each names something.
    pub patterns: Vec<WrittenPattern>,
}

impl Architecture {
    pub fn is_empty(&self) -> bool {
        self.layers.is_empty() && self.forbidden.is_empty() && self.independent.is_empty() && !self.acyclic
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawArchitecture {
    #[serde(default)]
    layers: Vec<Spanned<RawLayer>>,
    #[serde(default)]
    forbid: Vec<Spanned<RawForbidden>>,
    #[serde(default)]
    independent: Vec<Spanned<RawIndependence>>,
    #[serde(default)]
    exception: Vec<Spanned<RawException>>,
    #[serde(default = "yes")]
    acyclic: bool,
    #[serde(default)]
    dev_dependencies: bool,
    #[serde(default)]
    test_code: bool,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLayer {
    name: String,
    #[serde(default)]
    members: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawForbidden {
    from: Vec<Spanned<String>>,
    to: Vec<Spanned<String>>,
    reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIndependence {
    members: Vec<Spanned<String>>,
    reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawException {
    from: Spanned<String>,
    to: Spanned<String>,
    reason: String,
}

impl RawArchitecture {
    pub(super) fn resolve(self, at: impl Fn(std::ops::Range<usize>) -> Location) -> Architecture {
        let mut patterns = Vec::new();
        // Crate names as written in Cargo.toml use `-`; code and module paths use `_`.
        let mut normalized = |written: Vec<Spanned<String>>, may_be_external: bool| -> Vec<String> {
            written
                .into_iter()
                .map(|pattern| {
                    let location = at(pattern.span());
                    let written = pattern.into_inner();
                    let normal = written.replace('-', "_");
                    patterns.push(WrittenPattern { written, location, may_be_external });
                    normal
                })
                .collect()
        };
        let layers = (self.layers.into_iter())
            .map(|l| {
                let location = at(l.span());
                let l = l.into_inner();
                Layer { name: l.name, members: normalized(l.members, false), location }
            })
            .collect();
        let forbidden = (self.forbid.into_iter())
            .map(|f| {
                let location = at(f.span());
                let f = f.into_inner();
                Forbidden { from: normalized(f.from, false), to: normalized(f.to, true), reason: f.reason, location }
            })
            .collect();
        let independent = (self.independent.into_iter())
            .map(|i| {
                let location = at(i.span());
                let i = i.into_inner();
                Independence { members: normalized(i.members, false), reason: i.reason, location }
            })
            .collect();
        let exceptions = (self.exception.into_iter())
            .map(|e| {
                let location = at(e.span());
                let e = e.into_inner();
                let from = normalized(vec![e.from], false).remove(0);
                let to = normalized(vec![e.to], true).remove(0);
                Exception { from, to, reason: e.reason, location }
            })
            .collect();
        Architecture {
            layers,
            forbidden,
            independent,
            exceptions,
            acyclic: self.acyclic,
            dev_dependencies: self.dev_dependencies,
            test_code: self.test_code,
            patterns,
        }
    }
}

/// Whether `pattern` matches module path `path` or one of its ancestors: `a::*` matches
/// `a::b` and `a::b::c`; `a` matches `a` and everything below it; `**` matches any rest.
pub fn matches(pattern: &str, path: &str) -> bool {
    let mut path = path.split("::");
    for part in pattern.split("::") {
        if part == "**" {
            return true;
        }
        match path.next() {
            Some(segment) if part == "*" || part == segment => {}
            _ => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn patterns_match_modules_and_their_descendants() {
        assert!(matches("shop_domain", "shop_domain"));
        assert!(matches("shop_domain", "shop_domain::order"));
        assert!(!matches("shop_domain", "shop_domain_ext"));
        assert!(matches("shop_api::*", "shop_api::handlers::orders"));
        assert!(!matches("shop_api::*", "shop_api"));
        assert!(matches("**", "anything::at::all"));
        assert!(matches("tokio::net", "tokio::net"));
        assert!(!matches("tokio::net", "tokio"));
    }
}
