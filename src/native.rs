//! The rules guardrail implements in Rust rather than Rhai, documented like policies so that
//! `list`, `explain` and `[rules.<id>]` treat them alike.

use crate::rule::RuleDoc;
use std::sync::LazyLock;

pub static NATIVE_RULES: LazyLock<Vec<RuleDoc>> = LazyLock::new(|| {
    let mut rules = crate::filter::suppression_rules();
    rules.extend(crate::arch::rules::docs());
    rules
});
