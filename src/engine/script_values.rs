//! How Rust values reach scripts: the facts handle, strings, optional values and the getters
//! every located fact has. Shared by the modules that register the policy API.

use crate::facts::{Fact, Facts, Located, Package};
use rhai::{Array, Dynamic, Engine, ImmutableString};
use std::sync::Arc;

/// A package of the workspace, for scripts (a handle, so a query copies nothing).
#[derive(Clone)]
pub struct PackageHandle {
    pub facts: Arc<Facts>,
    pub index: usize,
}

impl PackageHandle {
    pub fn package(&self) -> &Package {
        &self.facts.packages[self.index]
    }
}

/// The facts as a policy sees them.
#[derive(Clone)]
pub struct FactsHandle(pub Arc<Facts>);

pub(super) fn text(s: &str) -> ImmutableString {
    s.into()
}

pub(super) fn optional(value: Option<&str>) -> Dynamic {
    value.map_or(Dynamic::UNIT, |s| Dynamic::from(text(s)))
}

pub(super) fn strings<'a, S: AsRef<str> + 'a>(values: impl IntoIterator<Item = &'a S>) -> Array {
    values.into_iter().map(|s| Dynamic::from(text(s.as_ref()))).collect()
}

/// The getters every located fact has.
pub(super) fn register_located<T: Located>(engine: &mut Engine, name: &str) {
    engine
        .register_type_with_name::<Fact<T>>(name)
        .register_get("path", |f: &mut Fact<T>| text(&f.location().path))
        .register_get("line", |f: &mut Fact<T>| i64::from(f.location().line))
        .register_get("column", |f: &mut Fact<T>| i64::from(f.location().column))
        .register_get("end_line", |f: &mut Fact<T>| i64::from(f.location().end_line))
        .register_get("end_column", |f: &mut Fact<T>| i64::from(f.location().end_column))
        .register_get("location", |f: &mut Fact<T>| f.location())
        .register_get("package_name", |f: &mut Fact<T>| optional(f.file().package.as_deref()))
        .register_get("module", |f: &mut Fact<T>| optional(f.file().module.as_deref()))
        .register_get("in_test", |f: &mut Fact<T>| f.in_test());
}
