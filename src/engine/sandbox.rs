//! The Rhai engine every policy runs in. Policies are untrusted code next to CI secrets: no
//! file, network, environment, clock or process access (Rhai has none unless registered, and
//! `no_time` removes the clock), no `import` from disk, no `eval`, and bounded operations,
//! call depth, expression depth, string, array and map sizes, plus a wall-clock deadline.

use crate::discover::Limits;
use rhai::module_resolvers::DummyModuleResolver;
use rhai::{Dynamic, Engine};
use std::cell::Cell;
use std::time::{Duration, Instant};

/// Set explicitly: Rhai's defaults differ between debug and release builds.
const MAX_CALL_LEVELS: usize = 48;
const MAX_EXPR_DEPTH: usize = 64;
const MAX_FN_EXPR_DEPTH: usize = 48;
pub const MAX_STRING_SIZE: usize = 1 << 20;
pub const MAX_ARRAY_SIZE: usize = 100_000;
const MAX_MAP_SIZE: usize = 100_000;
/// How often (in operations) the deadline is checked; reading the clock on every operation
/// would cost more than most policies.
const DEADLINE_CHECK_EVERY: u64 = 4096;

/// The value `on_progress` returns when the deadline passes; errors carry it back.
pub const DEADLINE_TOKEN: &str = "guardrail: policy deadline exceeded";

thread_local! {
    /// The deadline of the policy running on this thread. The engine is shared by all
    /// threads, so a per-evaluation deadline lives with the thread that evaluates.
    static DEADLINE: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// Runs `f` with a deadline for policies evaluated on this thread.
pub fn with_deadline<R>(timeout: Duration, f: impl FnOnce() -> R) -> R {
    DEADLINE.with(|d| d.set(Some(Instant::now() + timeout)));
    let result = f();
    DEADLINE.with(|d| d.set(None));
    result
}

/// A sandboxed engine with the limits of `limits`; the policy API is registered by the caller.
pub fn engine(limits: &Limits) -> Engine {
    let mut engine = Engine::new();
    engine.set_module_resolver(DummyModuleResolver::new());
    engine.disable_symbol("eval");
    engine.set_max_operations(limits.policy_max_operations);
    engine.set_max_call_levels(MAX_CALL_LEVELS);
    engine.set_max_expr_depths(MAX_EXPR_DEPTH, MAX_FN_EXPR_DEPTH);
    engine.set_max_string_size(MAX_STRING_SIZE);
    engine.set_max_array_size(MAX_ARRAY_SIZE);
    engine.set_max_map_size(MAX_MAP_SIZE);
    engine.set_max_modules(0);
    // `print` would go to stdout and corrupt JSON or SARIF output.
    engine.on_print(|text| eprintln!("policy: {text}"));
    engine.on_debug(|text, _, position| eprintln!("policy debug ({position}): {text}"));
    engine.on_progress(|operations| {
        if operations % DEADLINE_CHECK_EVERY != 0 {
            return None;
        }
        let expired = DEADLINE.with(|d| d.get().is_some_and(|deadline| Instant::now() > deadline));
        expired.then(|| Dynamic::from(DEADLINE_TOKEN))
    });
    engine
}
