//! The policy API of request handlers and what they reach: `facts.handles_requests(fact)`, the
//! state they share (`facts.shared_state()`, `facts.request_writes(state)`) and the channels
//! they send into (`facts.senders(channel)`, see [`crate::facts::senders`];
//! `facts.made_beside_bounded(channel, path)`, `facts.channel_shape(channel)`).

use super::script_values::{register_located, text, FactsHandle};
use crate::facts::{
    CallFact, EntryCode, Fact, Facts, InContext, MacroFact, MethodCallFact, Package, Producer, Spanned, StateFact,
};
use crate::symbol::Symbol;
use rhai::{Array, Dynamic, Engine, Map};

/// Methods that change a collection in place (on the collection, its guard or a map entry).
const WRITES: [&str; 20] = [
    "insert",
    "push",
    "push_back",
    "push_front",
    "entry",
    "remove",
    "extend",
    "append",
    "clear",
    "retain",
    "drain",
    "truncate",
    "pop",
    "pop_back",
    "pop_front",
    "swap_remove",
    "get_mut",
    "insert_sync",
    "upsert",
    "alter",
];

/// Whether code of `entry` can run a code fact: see [`EntryCode`].
pub(super) fn runs_from(facts: &Facts, entry: &EntryCode, fact: &Dynamic) -> bool {
    fn run<T: InContext + Spanned>(facts: &Facts, entry: &EntryCode, fact: &Dynamic) -> Option<bool> {
        let fact = fact.read_lock::<Fact<T>>()?;
        Some(entry.runs(&fact, &facts.index.call_graph))
    }
    run::<CallFact>(facts, entry, fact)
        .or_else(|| run::<MethodCallFact>(facts, entry, fact))
        .or_else(|| run::<MacroFact>(facts, entry, fact))
        .unwrap_or(false)
}

/// Whether code of package `writer` can name an item of package `owner`: the same package or
/// one it depends on.
fn sees(packages: &[Package], writer: Option<Symbol>, owner: Option<Symbol>) -> bool {
    let (Some(writer), Some(owner)) = (writer, owner) else { return writer == owner };
    writer == owner
        || packages.iter().find(|p| p.name == writer).is_some_and(|p| p.dependencies.iter().any(|d| *d.name == *owner))
}

/// The calls that write `state` from code a request runs, outside tests. A static is written
/// through its name (`SESSIONS.lock().insert(..)`, also through a guard bound by `let`); a field
/// through its name (`state.sessions.write().await.insert(..)`), when its struct is some
/// handler's application state (`State<AppState>`, a tonic service) and the receiver is not
/// known to be of another type — a field of any other struct is not shared across requests as
/// far as the code says.
fn request_writes(facts: &Facts, state: &Fact<StateFact>) -> Vec<Fact<MethodCallFact>> {
    let item = state.item();
    let is_static = item.owner.is_empty();
    if !is_static && !facts.index.app_states.contains(&item.owner) {
        return Vec::new();
    }
    let names_state = |call: &MethodCallFact| {
        if is_static {
            call.receiver_root.is_some_and(|root| root.rsplit("::").next() == Some(item.name.as_str()))
                && call.receiver_field.is_none()
        } else {
            call.receiver_field == Some(item.name) && call.receiver_type.is_none_or(|ty| ty == item.owner)
        }
    };
    WRITES
        .iter()
        .flat_map(|name| facts.index.method_calls.named(name))
        .filter(|call| names_state(call.item()) && !call.in_test())
        .filter(|call| sees(&facts.packages, call.file().package, state.file().package))
        .filter(|call| facts.index.handlers.runs(call, &facts.index.call_graph))
        .collect()
}

pub fn register(engine: &mut Engine) {
    register_located::<StateFact>(engine, "State");
    engine
        .register_get("name", |s: &mut Fact<StateFact>| text(&s.item().name))
        .register_get("owner", |s: &mut Fact<StateFact>| text(&s.item().owner))
        .register_get("type", |s: &mut Fact<StateFact>| text(&s.item().ty))
        .register_get("is_static", |s: &mut Fact<StateFact>| s.item().owner.is_empty());
    engine.register_fn("shared_state", |f: &mut FactsHandle| {
        f.0.index.states.iter().cloned().map(Dynamic::from).collect::<Array>()
    });
    engine.register_fn("request_writes", |f: &mut FactsHandle, state: Fact<StateFact>| {
        request_writes(&f.0, &state).into_iter().map(Dynamic::from).collect::<Array>()
    });
    engine.register_fn("senders", |f: &mut FactsHandle, channel: Fact<CallFact>| {
        crate::facts::senders(&f.0.index, &f.0.packages, &channel).into_iter().map(producer).collect::<Array>()
    });
    engine.register_fn("channel_shape", |_: &mut FactsHandle, channel: Fact<CallFact>| {
        crate::facts::ChannelShape::of(&channel).as_str()
    });
    engine.register_fn("made_beside_bounded", |f: &mut FactsHandle, channel: Fact<CallFact>, bounded: &str| {
        crate::facts::made_beside_bounded(&f.0.index, &channel, bounded)
    });
    engine.register_fn("handles_requests", |f: &mut FactsHandle, fact: Dynamic| {
        runs_from(&f.0, &f.0.index.handlers, &fact)
    });
    engine.register_fn("in_task", |f: &mut FactsHandle, fact: Dynamic| runs_from(&f.0, &f.0.index.tasks, &fact));
    engine.register_fn("before_bind", |f: &mut FactsHandle, fact: Dynamic| {
        let start_up = &f.0.index.start_up;
        let call = fact.read_lock::<Fact<CallFact>>().map(|call| start_up.before_bind(&call));
        call.or_else(|| fact.read_lock::<Fact<MethodCallFact>>().map(|call| start_up.before_bind(&call)))
            .unwrap_or(false)
    });
}

/// A send into a channel as policies see it: `#{at, driven_by, outside, awaits_reply, through}`.
fn producer(producer: Producer) -> Dynamic {
    let mut map = Map::new();
    map.insert("driven_by".into(), producer.driven_by.as_str().into());
    map.insert("outside".into(), producer.driven_by.is_outside().into());
    map.insert("awaits_reply".into(), producer.awaits_reply.into());
    map.insert("through".into(), producer.through.into_iter().map(Dynamic::from).collect::<Array>().into());
    map.insert("at".into(), Dynamic::from(producer.send));
    map.into()
}
