//! The policy API of request handlers and what they reach: `facts.handles_requests(fact)`, the
//! state they share (`facts.shared_state()`, `facts.request_writes(state)`) and the channels
//! they send into (`facts.request_sends(channel)`).

use super::api::{register_located, text, FactsHandle};
use crate::facts::{
    CallFact, EntryCode, Fact, Facts, InContext, MacroFact, MethodCallFact, Package, Producer, Spanned, StateFact,
    Symbol,
};
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

/// Extracted application-state types that are channel senders (`State<UnboundedSender<E>>`).
const SENDER_TYPES: [&str; 2] = ["UnboundedSender", "Sender"];
/// The sends into the channel a constructor call makes, from code a request runs, outside tests:
/// through the field of the struct its sender was stored in (`AppState { events: tx }`, then
/// `state.events.send(..)` where `state` is a parameter of type `AppState`, through references,
/// `Arc` and extractors; `Self { tx }`, then `self.tx.send(..)`), or, when the sender itself is
/// handed to the router as state (`.with_state(tx)`, `Extension(tx)`), through a parameter that
/// extracts a sender (`Extension(tx): Extension<UnboundedSender<E>>`). A send through a local
/// or a value of unknown type is not followed; nor one beside a oneshot (see
/// [`crate::facts::Index::request_sends`]).
fn request_sends(facts: &Facts, channel: &Fact<CallFact>) -> Vec<Fact<MethodCallFact>> {
    let Some(binding) = channel.binding() else { return Vec::new() };
    let sender = &binding.first;
    let state_senders =
        sender.to_app_state && SENDER_TYPES.iter().any(|name| facts.index.app_states.contains(&Symbol::from(*name)));
    let mut stored_in: Vec<Symbol> = sender.stored_in.to_vec();
    if let Some(name) = binding.names.first() {
        stored_in.extend(handed_to_constructors(facts, channel, *name));
    }
    if stored_in.is_empty() && !state_senders {
        return Vec::new();
    }
    let sends_into = |call: &MethodCallFact| match (call.receiver_field, call.receiver_type) {
        (Some(field), Some(owner)) => stored_in.iter().any(|stored| **stored == *format!("{owner}.{field}")),
        (None, Some(ty)) => state_senders && SENDER_TYPES.contains(&ty.as_str()),
        _ => false,
    };
    let sends = facts.index.request_sends().iter();
    sends
        .filter(|call| sends_into(call.item()) && sees(&facts.packages, call.file().package, channel.file().package))
        .cloned()
        .collect()
}

/// The fields a sender named `sender` goes to when the fn that makes `channel` hands it to a
/// constructor: `Notifier::new(tx)` (or `tx.clone()`) with `fn new(tx: ..) -> Self { Self { tx } }`.
fn handed_to_constructors(facts: &Facts, channel: &Fact<CallFact>, sender: Symbol) -> Vec<Symbol> {
    let (file, context) = (channel.file().path, channel.context());
    let linked = channel.linked();
    let calls = Fact::<CallFact>::all_in(linked).filter(|call| {
        let at = call.context();
        call.file().path == file && at.function == context.function && at.module == context.module
    });
    let mut fields = Vec::new();
    for call in calls {
        let mut segments = call.item().resolved.rsplit("::");
        let (Some(function), Some(owner)) = (segments.next(), segments.next()) else { continue };
        for (position, root) in call.args().roots().enumerate() {
            if root != Some(sender) {
                continue;
            }
            let stores = facts.index.param_stores.iter().filter(|store| {
                store.position as usize == position && *store.function == *function && *store.owner == *owner
            });
            fields.extend(stores.map(|store| store.field));
        }
    }
    fields
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
    engine.register_fn("request_sends", |f: &mut FactsHandle, channel: Fact<CallFact>| {
        request_sends(&f.0, &channel).into_iter().map(Dynamic::from).collect::<Array>()
    });
    engine.register_fn("senders", |f: &mut FactsHandle, channel: Fact<CallFact>| {
        crate::facts::senders(&f.0.index, &f.0.packages, &channel).into_iter().map(producer).collect::<Array>()
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
