//! Start-up code: what a fn does before it binds its listener (reading its configuration,
//! removing a stale socket file, creating a data directory) runs once, before any request. Found
//! natively once per run, so a rule asks it per call in constant time.

use super::{CallFact, Fact, FactKind, InContext, Located, MethodCallFact, Spanned, Table};
use crate::location::Span;
use crate::symbol::Symbol;
use foldhash::HashMap;

/// Where fns bind listeners, and where tasks are spawned.
#[derive(Debug, Default)]
pub struct StartUp {
    /// (file, inline module, fn) → the lines of its `bind` calls and method calls.
    binds: HashMap<(Symbol, Symbol, Symbol), Vec<u32>>,
    /// File → the spans of its `spawn` calls and method calls: what they are given runs later,
    /// in a task.
    spawns: HashMap<Symbol, Vec<Span>>,
}

impl StartUp {
    pub fn build(calls: &Table<CallFact>, method_calls: &Table<MethodCallFact>) -> Self {
        let mut start_up = StartUp::default();
        let mut bind = |file: Symbol, module: Symbol, function: Option<Symbol>, line: u32| {
            if let Some(function) = function {
                start_up.binds.entry((file, module, function)).or_default().push(line);
            }
        };
        for call in calls.named("bind") {
            bind(call.file().path, call.context().module, call.context().function, call.location().line);
        }
        for call in method_calls.named("bind") {
            bind(call.file().path, call.context().module, call.context().function, call.location().line);
        }
        for span in calls.named("spawn").map(|c| (c.file().path, c.item().span)) {
            start_up.spawns.entry(span.0).or_default().push(span.1);
        }
        for span in method_calls.named("spawn").map(|c| (c.file().path, c.item().span())) {
            start_up.spawns.entry(span.0).or_default().push(span.1);
        }
        start_up
    }

    /// Whether `fact` runs before the fn it is in binds a listener: the fn binds on a later
    /// line, and the fact is not inside what a `spawn` there is given.
    pub fn before_bind<T: FactKind + InContext + Spanned + Located>(&self, fact: &Fact<T>) -> bool {
        let context = fact.context();
        let Some(function) = context.function else { return false };
        let file = fact.file().path;
        let span = fact.item().span();
        let spawned = self
            .spawns
            .get(&file)
            .is_some_and(|spans| spans.iter().any(|s| s.start <= span.start && span.end <= s.end));
        let line = fact.location().line;
        !spawned
            && self.binds.get(&(file, context.module, function)).is_some_and(|lines| lines.iter().any(|l| *l > line))
    }
}
