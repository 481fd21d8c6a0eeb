//! Request handlers: the fns and closures a service gives its router, and the code they reach
//! through the call graph (`facts.handles_requests` for policies). Rules that ask "does a
//! request do this" — writes to in-memory state, sends into a queue — share one answer.
//!
//! Handlers are found where they are registered: axum's method routers (`get(h)`,
//! `get(h).post(h2)`, `.fallback(h)`), actix-web's `.to(h)` and route attributes
//! (`#[get("/")]`), rocket's route attributes, poem's `#[handler]`, hyper and tower
//! `service_fn(h)`. A closure given
//! there is handler code where it is written. Not seen: tonic services (trait impls the router
//! calls through generics), warp filters, handlers registered by macros that do not parse.

use super::{AttributeFact, CallFact, CallGraph, Fact, FnFact, InContext, Location, MethodCallFact, Reached, Table};

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
const HANDLER_ATTRIBUTES: [&str; 1] = ["poem::handler"];

/// The handlers of the workspace and what they reach.
#[derive(Debug, Default)]
pub struct Handlers {
    reached: Reached,
    /// Where handlers are registered: a closure written inside is a handler.
    registrations: Vec<Location>,
}

impl Handlers {
    pub fn find(
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
        let reached = graph.reached_from_paths(given.collect::<Vec<_>>(), attributed.collect::<Vec<_>>());
        let registrations =
            routing_calls.iter().map(Fact::location).chain(routing_methods.iter().map(Fact::location)).collect();
        Handlers { reached, registrations }
    }

    /// Whether a request can run this code: it sits in a fn a handler reaches, or in a closure
    /// registered as a handler.
    pub fn run<T: InContext + super::Located>(&self, fact: &Fact<T>, graph: &CallGraph) -> bool {
        let context = fact.context();
        let reached = graph.reaches(&self.reached, fact.file().path, context.module, context.function);
        if reached == Some(true) {
            return true;
        }
        let at = fact.location();
        self.registrations.iter().any(|registration| {
            registration.path == at.path
                && registration.start_byte <= at.start_byte
                && at.end_byte <= registration.end_byte
                && *registration != at
        })
    }
}
