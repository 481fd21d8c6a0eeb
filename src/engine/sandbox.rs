//! The Rhai engine every policy runs in. Policies are untrusted code next to CI secrets: no
//! file, network, environment, clock or process access (Rhai has none unless registered, and
//! `no_time` removes the clock), no `import` from disk, no `eval`, and bounded operations,
//! call depth, expression depth, string, array and map sizes, plus a wall-clock deadline.

use crate::discover::Limits;
use rhai::module_resolvers::DummyModuleResolver;
use rhai::{Dynamic, Engine};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Set explicitly: Rhai's defaults differ between debug and release builds.
const MAX_CALL_LEVELS: usize = 48;
const MAX_EXPR_DEPTH: usize = 64;
const MAX_FN_EXPR_DEPTH: usize = 48;
pub const MAX_STRING_SIZE: usize = 1 << 20;
pub const MAX_ARRAY_SIZE: usize = 100_000;
const MAX_MAP_SIZE: usize = 100_000;
/// How often (in operations) the deadline is checked. One operation can be a native query that
/// takes milliseconds, so the clock is read often; native queries also check it themselves.
const DEADLINE_CHECK_EVERY: u64 = 256;
const MAX_VARIABLES: usize = 1_000;
/// `print`/`debug` output a run lets through, and how long one line may be.
const MAX_PRINTED_LINES: usize = 200;
const MAX_PRINTED_CHARS: usize = 500;

const NO_SLEEP: &str = "sleep is not available to policies: it would hold the run past any deadline";

/// The value `on_progress` returns when the deadline passes; errors carry it back.
pub const DEADLINE_TOKEN: &str = "guardrail: policy deadline exceeded";
/// The value `on_progress` returns when a policy holds more than [`MAX_POLICY_MEMORY`].
pub const MEMORY_TOKEN: &str = "guardrail: policy memory exceeded";
/// The most memory one policy's evaluation may hold (map keys and values included), as the
/// allocator counts it ([`crate::alloc`]).
pub const MAX_POLICY_MEMORY: isize = 512 << 20;

thread_local! {
    /// The deadline of the policy running on this thread. The engine is shared by all
    /// threads, so a per-evaluation deadline lives with the thread that evaluates.
    static DEADLINE: Cell<Option<Instant>> = const { Cell::new(None) };
    /// What this thread held when the policy running on it started.
    static HELD_AT_START: Cell<isize> = const { Cell::new(0) };
    /// Where the policy running on this thread was last executing. Rhai gives a limit stop the
    /// position of the outermost call (none, for `check`), so this is where a stop is reported.
    static POSITION: Cell<rhai::Position> = const { Cell::new(rhai::Position::NONE) };
}

/// The position the policy running on this thread was executing last.
pub fn last_position() -> rhai::Position {
    POSITION.with(Cell::get)
}

/// Whether the deadline of the policy running on this thread has passed.
pub fn deadline_passed() -> bool {
    DEADLINE.with(|d| d.get().is_some_and(|deadline| Instant::now() > deadline))
}

/// Whether the policy running on this thread holds more than [`MAX_POLICY_MEMORY`].
fn over_memory() -> bool {
    let start = HELD_AT_START.with(Cell::get);
    crate::alloc::held_by_this_thread().wrapping_sub(start) > MAX_POLICY_MEMORY
}

/// Policy output for stderr: one line, control characters escaped, length bounded, so a policy
/// cannot forge CI log commands or flood the log.
fn printable(text: &str) -> Option<String> {
    static PRINTED: AtomicUsize = AtomicUsize::new(0);
    if PRINTED.fetch_add(1, Ordering::Relaxed) >= MAX_PRINTED_LINES {
        return None;
    }
    let cut: String = text.chars().take(MAX_PRINTED_CHARS).collect();
    Some(crate::workflow_commands::log_line(&cut))
}

/// Runs `f` with a deadline for policies evaluated on this thread.
pub fn with_deadline<R>(timeout: Duration, f: impl FnOnce() -> R) -> R {
    DEADLINE.with(|d| d.set(Some(Instant::now() + timeout)));
    HELD_AT_START.with(|held| held.set(crate::alloc::held_by_this_thread()));
    POSITION.with(|p| p.set(rhai::Position::NONE));
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
    engine.set_max_variables(MAX_VARIABLES);
    // Interning evicts one string at a time with a pass over its whole table once full: with
    // tens of thousands of distinct names (services, paths) that pass was most of a policy's time.
    engine.set_max_strings_interned(0);
    // `print` would go to stdout and corrupt JSON or SARIF output.
    engine.on_print(|text| {
        if let Some(line) = printable(text) {
            eprintln!("policy: {line}");
        }
    });
    engine.on_debug(|text, _, position| {
        if let Some(line) = printable(text) {
            eprintln!("policy debug ({position}): {line}");
        }
    });
    // Rhai's `sleep` blocks the thread, where no deadline can reach it.
    engine.register_fn("sleep", |_: rhai::INT| -> Result<(), Box<rhai::EvalAltResult>> { Err(NO_SLEEP.into()) });
    engine.register_fn("sleep", |_: rhai::FLOAT| -> Result<(), Box<rhai::EvalAltResult>> { Err(NO_SLEEP.into()) });
    // Stepping through every node keeps the position a limit stop is reported at (about a
    // third more time for interpreted code; policies spend theirs in native queries).
    #[allow(deprecated)] // Rhai marks the debugger interface volatile, not deprecated
    engine.register_debugger(
        |_, debugger| debugger,
        |_, event, node, _, position| {
            // Statements only: where in a statement the clock ran out varies from run to run.
            if matches!((event, node), (rhai::debugger::DebuggerEvent::Step, rhai::ASTNode::Stmt(_))) {
                let at = if position.is_none() { node.position() } else { position };
                if !at.is_none() {
                    POSITION.with(|p| p.set(at));
                }
            }
            Ok(rhai::debugger::DebuggerCommand::StepInto)
        },
    );
    engine.on_progress(|operations| {
        // Every operation: one can add a megabyte-long key to a map.
        if over_memory() {
            return Some(Dynamic::from(MEMORY_TOKEN));
        }
        if !operations.is_multiple_of(DEADLINE_CHECK_EVERY) {
            return None;
        }
        deadline_passed().then(|| Dynamic::from(DEADLINE_TOKEN))
    });
    engine
}
