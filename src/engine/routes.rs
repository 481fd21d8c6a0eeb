//! The HTTP routes a binary serves, as far as its code says: axum `.route`/`.nest`, actix-web
//! `web::scope`/`web::resource`/`#[get(..)]` with `.service(..)`, rocket's `#[get(..)]`.
//!
//! Native rather than a script: a service can have hundreds of routes and a probe policy asks
//! for every service, which an interpreted loop paid for in tenths of a second per run.

use super::script_values::{text, FactsHandle};
use crate::facts::{Argument, AttributeFact, Binary, CallFact, Fact, Index, Literal, MethodCallFact};
use crate::location::Location;
use rhai::{Array, Dynamic, Engine};
use std::sync::Arc;

/// Routers whose routes cannot be listed: any of them makes the set unknown.
const OPAQUE_ROUTERS: [&str; 4] = ["fallback", "nest_service", "route_service", "fallback_service"];
/// Attribute names that declare a handler's path in actix-web and rocket.
const VERB_ATTRIBUTES: [&str; 7] = ["get", "post", "put", "delete", "patch", "head", "route"];
/// `.nest` mounts followed through the functions that build routers, at most this deep.
const MAX_NEST_DEPTH: usize = 8;
const ACTIX_SCOPE: &str = "actix_web::web::scope";

/// Where a route is declared.
#[derive(Debug, Clone)]
pub enum RouteSite {
    MethodCall(Fact<MethodCallFact>),
    Call(Fact<CallFact>),
    Attribute(Fact<AttributeFact>),
}

/// A route: the full path it serves, prefixes included, and where it is declared.
#[derive(Debug, Clone)]
pub struct Route {
    pub path: String,
    pub site: RouteSite,
}

fn string(literal: Option<&Literal>) -> Option<&str> {
    match literal {
        Some(Literal::Str(text)) => Some(text.as_str()),
        _ => None,
    }
}

fn last_segment(path: &str) -> &str {
    path.rsplit("::").next().unwrap_or(path)
}

/// The calls around `site` (their span holds it), outermost first.
fn around<'a>(calls: &'a [Fact<MethodCallFact>], site: &Location) -> Vec<&'a Fact<MethodCallFact>> {
    let mut found: Vec<(u32, &Fact<MethodCallFact>)> = calls
        .iter()
        .filter_map(|call| {
            let outer = call.location();
            let holds = outer != *site
                && outer.path == site.path
                && outer.start_byte <= site.start_byte
                && site.end_byte <= outer.end_byte;
            holds.then_some((outer.line, call))
        })
        .collect();
    found.sort_by_key(|(line, _)| *line);
    found.into_iter().map(|(_, call)| call).collect()
}

/// What a binary's routers are made of.
struct Routers {
    nests: Vec<Fact<MethodCallFact>>,
    /// Calls on an actix-web `web::scope("/p")`.
    scopes: Vec<Fact<MethodCallFact>>,
}

impl Routers {
    /// The actix-web scope prefix of the `.service(..)` calls around `site`, and of the scope
    /// that `site` itself is chained on.
    fn scope_prefix(&self, site: &Location, chained_on: Option<&Fact<MethodCallFact>>) -> String {
        let mut prefix: String =
            around(&self.scopes, site).iter().filter_map(|outer| string(outer.receiver_args().value(0))).collect();
        let chained_on_scope =
            chained_on.filter(|call| call.item().receiver_root.is_some_and(|root| root == ACTIX_SCOPE));
        if let Some(call) = chained_on_scope {
            prefix.push_str(string(call.receiver_args().value(0)).unwrap_or_default());
        }
        prefix
    }

    /// Every prefix under which routes written at `site` are served: the `.nest("/p", ..)`
    /// calls around it, and the nests that mount the function it is written in.
    fn nest_prefixes(&self, site: &Fact<MethodCallFact>, depth: usize) -> Vec<String> {
        let inline: String =
            around(&self.nests, &site.location()).iter().filter_map(|nest| string(nest.args().value(0))).collect();
        let function = site.context().function.filter(|_| depth <= MAX_NEST_DEPTH);
        let Some(function) = function else { return vec![inline] };
        let mut mounted = Vec::new();
        for nest in &self.nests {
            let mounts_function =
                nest.args().root(1).is_some_and(|root| last_segment(root.as_str()) == function.as_str());
            if mounts_function {
                let own = string(nest.args().value(0)).unwrap_or_default();
                for outer in self.nest_prefixes(nest, depth + 1) {
                    mounted.push(format!("{outer}{own}{inline}"));
                }
            }
        }
        if mounted.is_empty() {
            vec![inline]
        } else {
            mounted
        }
    }
}

/// The routes `binary` serves, in declaration order; `None` when they cannot be known (a
/// fallback or nested service, a computed prefix, warp's filters) or when its code declares none.
pub fn routes(index: &Index, binary: &Binary) -> Option<Vec<Route>> {
    let method_calls = |name: &str| index.method_calls.named_in(name, binary).filter(|call| !call.in_test());
    let opaque = OPAQUE_ROUTERS.iter().any(|name| method_calls(name).next().is_some())
        || method_calls("nest").any(|nest| string(nest.args().value(0)).is_none())
        || index
            .calls
            .resolved(ACTIX_SCOPE)
            .any(|scope| binary.includes(scope.file()) && !scope.in_test() && string(scope.args().value(0)).is_none())
        || index.macros.with_prefix("warp::").any(|m| binary.includes(m.file()) && !m.in_test());
    if opaque {
        return None;
    }
    let routers = Routers {
        nests: method_calls("nest").collect(),
        scopes: index
            .method_calls
            .with_prefix(ACTIX_SCOPE)
            .filter(|call| {
                binary.includes(call.file())
                    && !call.in_test()
                    && call.item().receiver_root.is_some_and(|root| root == ACTIX_SCOPE)
            })
            .collect(),
    };
    let mut found = Vec::new();
    for route in method_calls("route") {
        let Some(path) = string(route.args().value(0)) else { continue };
        let scope = routers.scope_prefix(&route.location(), Some(&route));
        for prefix in routers.nest_prefixes(&route, 0) {
            found.push(Route { path: format!("{scope}{prefix}{path}"), site: RouteSite::MethodCall(route.clone()) });
        }
    }
    let resources = index.calls.resolved("actix_web::web::resource").filter(|r| binary.includes(r.file()));
    for resource in resources.filter(|r| !r.in_test()) {
        let Some(path) = string(resource.args().value(0)) else { continue };
        let scope = routers.scope_prefix(&resource.location(), None);
        found.push(Route { path: format!("{scope}{path}"), site: RouteSite::Call(resource.clone()) });
    }
    // A handler is served under the scopes of the `.service(handler)` calls that mount it.
    let services: Vec<_> = method_calls("service").collect();
    for verb in VERB_ATTRIBUTES {
        for attribute in index.attributes.named_in(verb, binary) {
            let framework =
                ["actix_web::", "rocket::"].iter().any(|crate_path| attribute.item().resolved.starts_with(crate_path));
            let Some(path) = string(attribute.item().args.first()).filter(|_| framework && !attribute.in_test()) else {
                continue;
            };
            let handler = attribute.item().item;
            let mounts: Vec<_> = services
                .iter()
                .filter(|service| match service.args().as_slice() {
                    [Argument { root: Some(root), .. }] => {
                        handler.is_some_and(|handler| last_segment(root) == handler.as_str())
                    }
                    _ => false,
                })
                .collect();
            if mounts.is_empty() {
                found.push(Route { path: path.to_owned(), site: RouteSite::Attribute(attribute.clone()) });
            }
            for mount in mounts {
                let scope = routers.scope_prefix(&mount.location(), Some(mount));
                found.push(Route { path: format!("{scope}{path}"), site: RouteSite::Attribute(attribute.clone()) });
            }
        }
    }
    (!found.is_empty()).then_some(found)
}

/// The routes of one binary, for scripts.
#[derive(Clone)]
pub struct Routes(Arc<Vec<Route>>);

impl RouteSite {
    fn fact(&self) -> Dynamic {
        match self {
            RouteSite::MethodCall(fact) => Dynamic::from(fact.clone()),
            RouteSite::Call(fact) => Dynamic::from(fact.clone()),
            RouteSite::Attribute(fact) => Dynamic::from(fact.clone()),
        }
    }
}

/// `facts.routes(bin)`: `()` when unknown, else `all`, `paths` (sorted, distinct), `len` and
/// `serving(path)` (the first route that serves `path`, or `()`); a route has `path` and `at`.
pub fn register(engine: &mut Engine) {
    engine
        .register_type_with_name::<Route>("Route")
        .register_get("path", |route: &mut Route| text(&route.path))
        .register_get("at", |route: &mut Route| route.site.fact());
    engine
        .register_type_with_name::<Routes>("Routes")
        .register_get("all", |routes: &mut Routes| routes.0.iter().cloned().map(Dynamic::from).collect::<Array>())
        .register_get("len", |routes: &mut Routes| routes.0.len() as i64)
        .register_get("paths", |routes: &mut Routes| {
            let mut paths: Vec<&str> = routes.0.iter().map(|route| route.path.as_str()).collect();
            paths.sort_unstable();
            paths.dedup();
            paths.into_iter().map(|path| Dynamic::from(text(path))).collect::<Array>()
        })
        .register_fn("serving", |routes: &mut Routes, path: &str| {
            routes.0.iter().find(|route| serves(&route.path, path)).cloned().map_or(Dynamic::UNIT, Dynamic::from)
        });
    engine.register_fn("routes", |facts: &mut FactsHandle, binary: Binary| {
        routes(&facts.0.index, &binary).map_or(Dynamic::UNIT, |found| Dynamic::from(Routes(Arc::new(found))))
    });
}

/// The non-empty segments of a path, without its query.
fn segments(path: &str) -> Vec<&str> {
    let path = path.split('?').next().unwrap_or_default();
    path.split('/').filter(|part| !part.is_empty()).collect()
}

/// Whether the route pattern serves `path`: `:id`, `{id}`, `<id>` match one segment; `*rest`,
/// `{*rest}`, `<rest..>` the rest.
pub fn serves(pattern: &str, path: &str) -> bool {
    let want = segments(path);
    let have = segments(pattern);
    for (i, part) in have.iter().enumerate() {
        if part.starts_with('*') || part.starts_with("{*") || part.ends_with("..>") {
            return true;
        }
        let Some(wanted) = want.get(i) else { return false };
        let param = part.starts_with(':')
            || (part.starts_with('{') && part.ends_with('}'))
            || (part.starts_with('<') && part.ends_with('>'));
        if !param && part != wanted {
            return false;
        }
    }
    have.len() == want.len()
}

#[cfg(test)]
mod tests {
    use super::serves;

    #[test]
    fn patterns_match_segments_parameters_and_wildcards() {
        assert!(serves("/healthz", "/healthz"));
        assert!(serves("/healthz", "/healthz?verbose=1"));
        assert!(serves("/orders/:id", "/orders/7"));
        assert!(serves("/orders/{id}", "/orders/7"));
        assert!(serves("/orders/<id>", "/orders/7"));
        assert!(serves("/static/*rest", "/static/a/b.css"));
        assert!(serves("/static/{*rest}", "/static/a"));
        assert!(serves("/files/<path..>", "/files/a/b"));
        assert!(!serves("/orders/:id", "/orders"));
        assert!(!serves("/orders", "/orders/7"));
        assert!(!serves("/ready", "/readyz"));
        assert!(!serves("/api/ready", "/ready"));
    }
}
