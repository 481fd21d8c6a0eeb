//! Code that runs from a kind of entry, through the call graph: what request handlers reach
//! (`facts.handles_requests` for policies) and what spawned tasks and threads reach
//! (`facts.in_task`). Rules that ask "does a request do this" — writes to in-memory state, sends
//! into a queue, blocking calls — share one answer.
//!
//! Handlers are found where they are registered: axum's method routers (`get(h)`,
//! `get(h).post(h2)`, `.fallback(h)`), actix-web's `.to(h)` and route attributes
//! (`#[get("/")]`), rocket's route attributes, poem's `#[handler]`, utoipa's `#[utoipa::path]`
//! (an OpenAPI operation's handler, however it is registered), hyper and tower
//! `service_fn(h)`, and tonic services: the methods of the type a generated `XServer::new(..)`
//! wraps inside `.add_service(..)`. A closure given there is handler code where it is written.
//! Not seen: warp filters, handlers registered by macros that do not parse.

use super::{
    AttributeFact, CallFact, CallGraph, Fact, FactKind, FnFact, InContext, LinkedFile, MethodCallFact, Reached,
    Spanned, Table,
};
use crate::location::Span;
use crate::symbol::Symbol;
use foldhash::HashMap;
use std::sync::Arc;

/// Verbs of axum's method routers, as fns (`axum::routing::get(h)`) and as methods chained on
/// one (`get(a).post(b)`).
const AXUM_VERBS: [&str; 10] = ["get", "post", "put", "delete", "patch", "head", "options", "trace", "any", "on"];
const AXUM_ROUTING: [&str; 2] = ["axum::routing::", "axum::routing::method_routing::"];
/// Fns that make a service of the fn they are given.
const SERVICE_FNS: [&str; 3] = ["hyper::service::service_fn", "tower::service_fn", "tower::util::service_fn"];
/// Attributes that register the fn they are on as a route (`#[get("/")]` of actix-web and
/// rocket), or make a handler of it (poem's `#[handler]`).
const ROUTE_ATTRIBUTE_CRATES: [&str; 2] = ["actix_web::", "rocket::"];
const ROUTE_ATTRIBUTES: [&str; 8] = ["get", "post", "put", "delete", "patch", "head", "options", "route"];
/// poem's `#[handler]`; utoipa's `#[utoipa::path]`, which documents a fn as the handler of an
/// HTTP operation (utoipa-axum registers it through its `routes!` macro, which does not parse).
const HANDLER_ATTRIBUTES: [&str; 2] = ["poem::handler", "utoipa::path"];

/// Constructors of tonic's generated `XServer` wrappers, given the type that implements the service.
const SERVICE_WRAPPERS: [&str; 3] = ["new", "with_interceptor", "from_arc"];

/// Tasks and threads are found where they are spawned: any call or method call named `spawn`
/// (`tokio::spawn`, `std::thread::spawn`, `JoinSet::spawn`, a runtime handle's `spawn`); what
/// it is given — a fn by path, a call of one, a closure or async block — is task code.
const SPAWN: &str = "spawn";

/// The code of the workspace that runs from one kind of entry.
#[derive(Debug, Default)]
pub struct EntryCode {
    /// The fns the entries reach.
    reached: Reached,
    /// Where entries are registered or spawned, by file: a closure or async block written
    /// inside runs from there.
    registrations: HashMap<Symbol, Vec<Span>>,
}

/// The spans of `calls` by file, added to `spans`.
fn by_file<T: FactKind + Spanned>(
    mut spans: HashMap<Symbol, Vec<Span>>,
    calls: &[Fact<T>],
) -> HashMap<Symbol, Vec<Span>> {
    for call in calls {
        spans.entry(call.file().path).or_default().push(call.item().span());
    }
    spans
}

impl EntryCode {
    /// Request handlers and what they reach; `services` are the types of the tonic services
    /// (see [`tonic_services`]).
    pub fn handlers(
        files: &[Arc<LinkedFile>],
        services: &[Symbol],
        calls: &Table<CallFact>,
        method_calls: &Table<MethodCallFact>,
        attributes: &Table<AttributeFact>,
        graph: &CallGraph,
    ) -> Self {
        let routing_fns = AXUM_ROUTING
            .iter()
            .flat_map(|prefix| AXUM_VERBS.iter().map(move |verb| format!("{prefix}{verb}")))
            .chain(SERVICE_FNS.iter().map(|path| path.to_string()));
        let routing_calls: Vec<Fact<CallFact>> =
            routing_fns.flat_map(|path| calls.resolved(&path).collect::<Vec<_>>()).collect();
        let chained_on = |call: &Fact<MethodCallFact>, prefix: &str| {
            call.item().receiver_root.is_some_and(|root| root.starts_with(prefix))
        };
        let verb_methods = AXUM_VERBS
            .iter()
            .flat_map(|verb| method_calls.named(verb))
            .filter(|call| chained_on(call, "axum::routing::"));
        let actix_to = method_calls.named("to").filter(|call| chained_on(call, "actix_web::"));
        let fallbacks = method_calls.named("fallback").filter(|call| chained_on(call, "axum::"));
        let routing_methods: Vec<Fact<MethodCallFact>> = verb_methods.chain(actix_to).chain(fallbacks).collect();

        let given = routing_calls
            .iter()
            .flat_map(|call| call.args().roots().flatten().collect::<Vec<_>>())
            .chain(routing_methods.iter().flat_map(|call| call.args().roots().flatten().collect::<Vec<_>>()));
        let attributed = ROUTE_ATTRIBUTE_CRATES
            .iter()
            .flat_map(|krate| ROUTE_ATTRIBUTES.iter().map(move |name| format!("{krate}{name}")))
            .chain(HANDLER_ATTRIBUTES.iter().map(|path| path.to_string()))
            .flat_map(|path| attributes.resolved(&path).collect::<Vec<_>>())
            .filter_map(|attribute| {
                let on = attribute.item().item?;
                Fact::all_in(attribute.linked()).find(|f: &Fact<FnFact>| f.item().name == on)
            });
        let methods = files.iter().flat_map(Fact::<FnFact>::all_in);
        let service_methods = methods.filter(|f| f.item().owner.is_some_and(|owner| services.contains(&owner)));
        let entries: Vec<Fact<FnFact>> = attributed.chain(service_methods).collect();
        let reached = graph.reached_from_paths(given.collect::<Vec<_>>(), entries);
        let registrations = by_file(by_file(HashMap::default(), &routing_calls), &routing_methods);
        EntryCode { reached, registrations }
    }

    /// Spawned tasks and threads and what they reach: the fns given to `spawn` (by path or
    /// called in its argument) and the fns called in a closure or async block given to it.
    pub fn tasks(
        files: &[Arc<LinkedFile>],
        calls: &Table<CallFact>,
        method_calls: &Table<MethodCallFact>,
        graph: &CallGraph,
    ) -> Self {
        let spawn_calls: Vec<Fact<CallFact>> = calls.named(SPAWN).collect();
        let spawn_methods: Vec<Fact<MethodCallFact>> = method_calls.named(SPAWN).collect();
        let registrations = by_file(by_file(HashMap::default(), &spawn_calls), &spawn_methods);
        let inside = |call: &Fact<CallFact>| within(&registrations, call.file().path, call.item().span);
        let given = spawn_calls
            .iter()
            .flat_map(|call| call.args().roots().flatten().collect::<Vec<_>>())
            .chain(spawn_methods.iter().flat_map(|call| call.args().roots().flatten().collect::<Vec<_>>()));
        let spawning = files.iter().filter(|file| registrations.contains_key(&file.info.path));
        let in_spawning_files = spawning.flat_map(Fact::<CallFact>::all_in);
        let called_inside: Vec<Symbol> =
            in_spawning_files.filter(|call| inside(call)).map(|call| call.item().resolved).collect();
        let reached = graph.reached_from_paths(given.chain(called_inside).collect::<Vec<_>>(), Vec::new());
        EntryCode { reached, registrations }
    }

    /// Whether an entry of this kind can run this code: it sits in a fn one reaches, or in a
    /// closure or async block registered or spawned as one.
    pub fn runs<T: InContext + Spanned>(&self, fact: &Fact<T>, graph: &CallGraph) -> bool {
        let context = fact.context();
        let reached = graph.reaches(&self.reached, fact.file().path, context.module, context.function);
        reached == Some(true) || within(&self.registrations, fact.file().path, fact.item().span())
    }
}

/// The types that implement the tonic services a server adds: `Greeter` in
/// `.add_service(GreeterServer::new(Greeter::default()))` (or a local bound to `Greeter::new(..)`).
pub fn tonic_services(files: &[Arc<LinkedFile>], method_calls: &Table<MethodCallFact>) -> Vec<Symbol> {
    let added = by_file(HashMap::default(), &method_calls.named("add_service").collect::<Vec<_>>());
    let adding = files.iter().filter(|file| added.contains_key(&file.info.path));
    let wrappers = adding.flat_map(Fact::<CallFact>::all_in).filter(|call| {
        let mut segments = call.item().resolved.rsplit("::");
        let wraps = segments.next().is_some_and(|name| SERVICE_WRAPPERS.contains(&name))
            && segments.next().is_some_and(|ty| ty.ends_with("Server"));
        wraps && within(&added, call.file().path, call.item().span)
    });
    let mut services: Vec<Symbol> = Vec::new();
    for root in wrappers.flat_map(|call| call.args().roots().flatten().collect::<Vec<_>>()) {
        // `Greeter::default` or `Greeter::new` names the type before the fn; `Greeter` itself
        // (a unit struct) is the type.
        let mut segments = root.rsplit("::");
        let last = segments.next().unwrap_or_default();
        let ty = if last.starts_with(|c: char| c.is_ascii_uppercase()) { Some(last) } else { segments.next() };
        if let Some(ty) = ty.filter(|ty| ty.starts_with(|c: char| c.is_ascii_uppercase())) {
            let ty = Symbol::from(ty);
            if !services.contains(&ty) {
                services.push(ty);
            }
        }
    }
    services
}

/// Whether `span` of `file` lies inside one of `spans` (and is not it).
fn within(spans: &HashMap<Symbol, Vec<Span>>, file: Symbol, span: Span) -> bool {
    spans.get(&file).is_some_and(|outer| {
        outer.iter().any(|outer| outer.start <= span.start && span.end <= outer.end && *outer != span)
    })
}
