//! The policy API: read-only fact types with getters, indexed native queries, and `report`.
//!
//! Every fact type has the common getters `path`, `line`, `column`, `end_line`, `end_column`,
//! `location`, `package`, `module`, `in_test`; see docs/policy-reference.md for the rest.

use super::context::PolicyContext;
use super::script_values::{optional, register_located, strings, text, FactsHandle, PackageHandle};
use crate::facts::Table;
use crate::facts::{
    AttributeFact, Binary, BindingUse, CallFact, DrainAt, Fact, FactKind, Facts, FileInfo, FnFact, InContext, Literal,
    Located, MacroFact, MethodCallFact, StateFact, UseFact,
};
use crate::location::Location;
use crate::symbol::Symbol;
use rhai::{Array, Dynamic, Engine, Map};

fn optionals(values: impl Iterator<Item = Option<Symbol>>) -> Array {
    values.map(|v| optional(v.as_deref())).collect()
}

fn literals<'a>(args: impl IntoIterator<Item = &'a Literal>) -> Array {
    args.into_iter().map(literal).collect()
}

fn literal(arg: &Literal) -> Dynamic {
    match arg {
        Literal::Str(s) => Dynamic::from(text(s)),
        Literal::Int(i) => Dynamic::from(*i),
        Literal::Float(f) => Dynamic::from(*f),
        Literal::Bool(b) => Dynamic::from(*b),
        Literal::Other(()) => Dynamic::UNIT,
    }
}

/// Argument `index` as a literal, or `()` when it is not one or there is none: `site.arg(0)` of
/// a call without arguments (a `shutdown_timeout()` getter) is `()`, where `site.args[0]` throws.
fn argument<'a>(mut args: impl Iterator<Item = &'a Literal>, index: i64) -> Dynamic {
    usize::try_from(index).ok().and_then(|index| args.nth(index)).map_or(Dynamic::UNIT, literal)
}

/// `facts.signal_handling(bin)`: `#{framework, stopped_with_sigint, terminate, sigint, exit}`,
/// the last three a call or `()` ([`crate::facts::SignalHandling`]).
fn signal_handling(facts: &Facts, binary: &Binary) -> Map {
    let handling = facts.signal_handling(binary);
    let call = |fact: Option<Fact<CallFact>>| fact.map_or(Dynamic::UNIT, Dynamic::from);
    let mut map = Map::new();
    map.insert("framework".into(), handling.framework.into());
    map.insert("stopped_with_sigint".into(), handling.stopped_with_sigint.into());
    map.insert("terminate".into(), call(handling.terminate));
    map.insert("sigint".into(), call(handling.sigint));
    map.insert("exit".into(), call(handling.exit));
    map
}

/// `facts.drain_timeout(bin)`: `#{seconds, at, why}` ([`crate::facts::Drain`]), or `()`.
fn drain_timeout(facts: &Facts, binary: &Binary) -> Dynamic {
    let Some(drain) = facts.drain_timeout(binary) else { return Dynamic::UNIT };
    let mut map = Map::new();
    map.insert("seconds".into(), drain.seconds.into());
    let at = match drain.at {
        DrainAt::Call(call) => Dynamic::from(call),
        DrainAt::Method(method) => Dynamic::from(method),
    };
    map.insert("at".into(), at);
    map.insert("why".into(), text(&drain.why).into());
    map.into()
}

/// Whether running `binary` can execute a code fact: in a file it includes and, inside a fn,
/// reachable from its entry points through the call graph.
fn reaches(binary: &Binary, fact: &Dynamic) -> bool {
    fn in_context<T: InContext>(binary: &Binary, fact: &Dynamic) -> Option<bool> {
        fact.read_lock::<Fact<T>>().map(|f| f.reached_by(binary))
    }
    in_context::<CallFact>(binary, fact)
        .or_else(|| in_context::<MethodCallFact>(binary, fact))
        .or_else(|| in_context::<MacroFact>(binary, fact))
        .or_else(|| {
            fact.read_lock::<Fact<FnFact>>().map(|f| binary.reaches(f.file(), f.item().module, Some(f.item().name)))
        })
        .unwrap_or_else(|| includes(binary, fact))
}

/// The names of the method calls chained on `call` in its fn, on it or on a local bound from
/// it: `["timeout", "build"]` for `Client::builder().timeout(d).build()`. A builder's chain,
/// answered from the index rather than by a script walking every method call of that root.
fn chained_methods(facts: &Facts, call: &Fact<CallFact>) -> Array {
    let context = call.context();
    let chained = facts.index.method_calls.resolved(&call.item().resolved).filter(|method| {
        let on = method.context();
        method.file().path == call.file().path && on.module == context.module && on.function == context.function
    });
    chained.map(|method| text(&method.item().name).into()).collect()
}

/// Whether a fact sits in code that serves traffic: a binary that runs it — reaching it through
/// the call graph, or, when the graph cannot tell, built from its file — starts a network server
/// or is deployed (a Dockerfile, compose file or Kubernetes workload outside development and test
/// files runs it); or no binary of
/// the workspace is built from it (a library, which services elsewhere run). Not: code only
/// CLIs, language servers on stdio and dev tools run; build scripts; servers of examples, tests,
/// benches and fuzz targets that nothing outside development files deploys (test harnesses).
fn in_service(facts: &Facts, fact: &Dynamic) -> bool {
    if !could_serve(fact) {
        return false;
    }
    let runners = runners_or_builders(facts, fact);
    // No runner: library code no binary builds serves wherever it is used; generated code no
    // binary calls serves nowhere.
    (runners.is_empty() && !in_generated_file(fact)) || runners.iter().any(|b| serves(facts, b))
}

/// Whether `binary` serves traffic: the repository deploys it as a service ([`deployed`]), or it
/// starts a network server and is no example, benchmark, fuzz target, test harness or mock
/// ([`binary_set_aside`]). The one answer every rule about services asks.
fn serves(facts: &Facts, binary: &Binary) -> bool {
    deployed(facts, binary) || (binary.server.is_some() && !binary_set_aside(binary))
}

/// Where a code fact runs, for rules whose severity depends on it (one native answer rather than
/// four questions per call): `tool` (no service runs it: a CLI, a dev tool), `start-up` (before the
/// fn around it binds its listener), `one-shot` (a binary includes it, but no request handler or
/// spawned task reaches it: start-up or a one-shot path) or `serving` (what a request or a task
/// runs, or a library no binary builds, whose callers are not in sight).
fn runs_in(facts: &Facts, fact: &Dynamic) -> &'static str {
    if !in_service(facts, fact) {
        return "tool";
    }
    let start_up = &facts.index.start_up;
    let before_bind = fact.read_lock::<Fact<CallFact>>().map(|call| start_up.before_bind(&call));
    let before_bind =
        before_bind.or_else(|| fact.read_lock::<Fact<MethodCallFact>>().map(|call| start_up.before_bind(&call)));
    if before_bind == Some(true) {
        return "start-up";
    }
    let entry = super::api_state::runs_from(facts, &facts.index.handlers, fact)
        || super::api_state::runs_from(facts, &facts.index.tasks, fact);
    if !entry && facts.index.binaries.iter().any(|b| includes(b, fact)) {
        return "one-shot";
    }
    "serving"
}

/// The calls, method calls and macros of `sites` that run in async code, outside tests unless
/// `include_tests`: a native filter, so that a rule about async code never walks every
/// `std::fs` call of a large workspace in a script.
fn in_async_code(sites: Array, include_tests: bool) -> Array {
    fn context_of<T: InContext + Located>(site: &Dynamic) -> Option<(bool, bool)> {
        site.read_lock::<Fact<T>>().map(|fact| (fact.context().in_async, fact.in_test()))
    }
    let keep = |site: &Dynamic| {
        let context = context_of::<CallFact>(site)
            .or_else(|| context_of::<MethodCallFact>(site))
            .or_else(|| context_of::<MacroFact>(site));
        context.is_some_and(|(in_async, in_test)| in_async && (include_tests || !in_test))
    };
    sites.into_iter().filter(keep).collect()
}

/// blocking-in-async's finding at a blocking call `site` (`what` it calls, `instead` what to use),
/// as `#{message, options: #{help, severity}}` for `ctx.report`, or `()` where it does not block an executor:
/// outside async code, or in tests unless `include_tests`. The severity is a note where it stalls
/// nobody else ([`runs_in`]). Worked out natively: a large service has tens of thousands of such
/// calls, and a script would spend its deadline building the messages.
fn blocking_finding(facts: &Facts, site: &Dynamic, what: &str, instead: &str, include_tests: bool) -> Dynamic {
    fn context_of<T: InContext>(site: &Dynamic) -> Option<(bool, bool, Option<Symbol>)> {
        site.read_lock::<Fact<T>>()
            .map(|fact| (fact.context().in_async, fact.context().in_test, fact.context().function))
    }
    let Some((in_async, in_test, function)) =
        context_of::<CallFact>(site).or_else(|| context_of::<MethodCallFact>(site))
    else {
        return Dynamic::UNIT;
    };
    if !in_async || (in_test && !include_tests) {
        return Dynamic::UNIT;
    }
    let place = function.map_or_else(String::new, |name| format!(" (in fn `{name}`)"));
    let mut message = format!("blocking call `{what}` in async code{place}");
    let why = if in_test { "serving" } else { runs_in(facts, site) };
    let mut options = Map::new();
    let note = match why {
        "tool" => Some("; only tools that serve no traffic run it"),
        "start-up" => Some("; it runs before the listener binds (start-up)"),
        "one-shot" => Some("; no request handler or spawned task reaches it (start-up or a one-shot path)"),
        _ => None,
    };
    if let Some(note) = note {
        message.push_str(note);
        options.insert("severity".into(), "note".into());
    }
    options.insert("help".into(), format!("use {instead}, or move the work into tokio::task::spawn_blocking").into());
    let mut finding = Map::new();
    finding.insert("message".into(), message.into());
    finding.insert("options".into(), options.into());
    finding.into()
}

/// Whether `binary` runs as a service: compose, a long-running workload or an image whose
/// command it is runs it, outside development and test files. (An image alone may package a CLI,
/// a tools image.)
fn deployed(facts: &Facts, binary: &Binary) -> bool {
    facts.services.iter().any(|s| {
        s.bin.as_deref() == Some(binary.name.as_str())
            && s.package == Some(binary.package)
            && s.in_production(facts)
            && s.runs_long()
    })
}

/// Whether a binary that runs a code fact — reaching it through the call graph, or, when the
/// graph cannot tell, built from its file — is deployed as a service by the repository's own
/// files: a stricter `in_service`, for rules whose findings only matter where the code is
/// surely deployed.
fn in_deployed_service(facts: &Facts, fact: &Dynamic) -> bool {
    could_serve(fact) && runners_or_builders(facts, fact).iter().any(|b| deployed(facts, b))
}

/// The binaries that reach a code fact through the call graph, or, when none does, those built
/// from its file.
fn runners_or_builders<'f>(facts: &'f Facts, fact: &Dynamic) -> Vec<&'f Binary> {
    let binaries = &facts.index.binaries;
    let runners: Vec<&Binary> = binaries.iter().filter(|b| reaches(b, fact)).collect();
    // Generated code (a tonic client's `connect`, prost types) is compiled into every binary of
    // its crate and mostly called by none: it counts only where the call graph reaches it.
    if !runners.is_empty() || in_generated_file(fact) {
        return runners;
    }
    binaries.iter().filter(|b| includes(b, fact)).collect()
}

/// Whether a code fact sits in a file that says a tool generated it.
fn in_generated_file(fact: &Dynamic) -> bool {
    fn with<T: FactKind>(fact: &Dynamic) -> Option<bool> {
        fact.read_lock::<Fact<T>>().map(|fact| fact.linked().facts.rust.generated)
    }
    with::<CallFact>(fact).or_else(|| with::<MethodCallFact>(fact)).or_else(|| with::<MacroFact>(fact)).unwrap_or(false)
}

/// Whether the file of a code fact can hold service code: not a build script (it runs at compile
/// time, on the builder's machine), not an example, test, benchmark or fuzz target.
fn could_serve(fact: &Dynamic) -> bool {
    on_file(fact, |file| {
        let build_script = !file.targets.is_empty() && file.targets.iter().all(|t| t == "build-script-build");
        // A file under a test directory that no target's module tree includes is test data (a
        // UDF a test loads as text), not code anything runs. (Other files outside every tree may
        // be new code not yet declared with `mod`: they are judged as code.)
        let test_data = !file.compiled && format!("/{}", file.path).contains("/test/");
        !test_data && !build_script && !set_aside(&file.path)
    })
    .unwrap_or(true)
}

/// Whether code at `path` is an example, a test, a benchmark, a fuzz target or the repository's
/// automation (xtask) rather than what a service runs.
fn set_aside(path: &str) -> bool {
    let path = format!("/{path}");
    // `xtask/`: the cargo-xtask convention for a repository's own automation (it may start a
    // server, to generate API docs; it serves nobody).
    ["/examples/", "/tests/", "/benches/", "/benchmarks/", "/fuzz/", "/xtask/"].iter().any(|dir| path.contains(dir))
}

/// Whether a binary is an example, a benchmark, a fuzz target, a test harness or a mock: by its
/// file ([`set_aside`]) or its name. Such a binary serves only where a deployment runs it.
fn binary_set_aside(binary: &Binary) -> bool {
    let name = &binary.name;
    set_aside(&binary.src_path)
        || name.contains("bench")
        || name.contains("fuzz")
        || name.starts_with("mock")
        || name == "xtask"
}

/// `f` of the file a code fact was found in; `None` for facts that are not code.
fn on_file<R>(fact: &Dynamic, f: impl Fn(&FileInfo) -> R) -> Option<R> {
    fn with<T: FactKind, R>(fact: &Dynamic, f: &impl Fn(&FileInfo) -> R) -> Option<R> {
        fact.read_lock::<Fact<T>>().map(|fact| f(fact.file()))
    }
    with::<CallFact, R>(fact, &f)
        .or_else(|| with::<MethodCallFact, R>(fact, &f))
        .or_else(|| with::<MacroFact, R>(fact, &f))
        .or_else(|| with::<FnFact, R>(fact, &f))
        .or_else(|| with::<AttributeFact, R>(fact, &f))
        .or_else(|| with::<UseFact, R>(fact, &f))
        .or_else(|| with::<StateFact, R>(fact, &f))
}

/// Whether `binary`'s build includes the file a code fact was found in.
fn includes(binary: &Binary, fact: &Dynamic) -> bool {
    on_file(fact, |file| binary.includes(file)).unwrap_or(false)
}

/// The getters of code facts that sit inside a fn: `in_async`, `function`.
fn register_context<T: InContext>(engine: &mut Engine) {
    engine
        .register_get("in_async", |f: &mut Fact<T>| f.context().in_async)
        .register_get("function", |f: &mut Fact<T>| optional(f.context().function.as_deref()));
}

fn register_fact_types(engine: &mut Engine) {
    engine.register_type_with_name::<Location>("Location");
    for (name, get) in [
        ("path", (|l: &mut Location| Dynamic::from(text(&l.path))) as fn(&mut Location) -> Dynamic),
        ("line", |l| Dynamic::from(i64::from(l.line))),
        ("column", |l| Dynamic::from(i64::from(l.column))),
        ("end_line", |l| Dynamic::from(i64::from(l.end_line))),
        ("end_column", |l| Dynamic::from(i64::from(l.end_column))),
    ] {
        engine.register_get(name, get);
    }
    engine.register_fn("==", |a: Location, b: Location| a == b);
    engine.register_fn("!=", |a: Location, b: Location| a != b);
    engine.register_fn("contains", |outer: &mut Location, inner: Location| {
        outer.path == inner.path && outer.start_byte <= inner.start_byte && inner.end_byte <= outer.end_byte
    });

    register_located::<CallFact>(engine, "Call");
    register_context::<CallFact>(engine);
    engine
        .register_get("name", |c: &mut Fact<CallFact>| text(&c.item().name))
        .register_get("written", |c: &mut Fact<CallFact>| text(&c.item().written))
        .register_get("resolved", |c: &mut Fact<CallFact>| text(&c.item().resolved))
        .register_get("glob_candidates", |c: &mut Fact<CallFact>| strings(c.item().glob_candidates.iter()))
        .register_get("args", |c: &mut Fact<CallFact>| literals(c.args().values()))
        .register_fn("arg", |c: &mut Fact<CallFact>, index: i64| argument(c.args().values(), index))
        .register_get("arg_roots", |c: &mut Fact<CallFact>| optionals(c.args().roots()))
        .register_get("bound_to", |c: &mut Fact<CallFact>| {
            strings(c.binding().map_or(&[][..], |b| &b.names[..]).iter())
        })
        .register_get("first_use", |c: &mut Fact<CallFact>| match c.binding() {
            Some(binding) => {
                let BindingUse { sends, sends_in_loop, escapes, stored_in, to_app_state, .. } = &binding.first;
                let mut map = rhai::Map::new();
                map.insert("sends".into(), Dynamic::from(i64::from(*sends)));
                map.insert("sends_in_loop".into(), Dynamic::from(*sends_in_loop));
                map.insert("escapes".into(), Dynamic::from(*escapes));
                map.insert("stored_in".into(), Dynamic::from(strings(stored_in.iter())));
                map.insert("to_app_state".into(), Dynamic::from(*to_app_state));
                Dynamic::from_map(map)
            }
            None => Dynamic::UNIT,
        });

    register_located::<MethodCallFact>(engine, "MethodCall");
    register_context::<MethodCallFact>(engine);
    engine
        .register_get("name", |c: &mut Fact<MethodCallFact>| text(&c.item().name))
        .register_get("receiver_root", |c: &mut Fact<MethodCallFact>| optional(c.item().receiver_root.as_deref()))
        .register_get("receiver_field", |c: &mut Fact<MethodCallFact>| optional(c.item().receiver_field.as_deref()))
        .register_get("receiver_type", |c: &mut Fact<MethodCallFact>| optional(c.item().receiver_type.as_deref()))
        .register_get("receiver_args", |c: &mut Fact<MethodCallFact>| literals(c.receiver_args().values()))
        .register_get("args", |c: &mut Fact<MethodCallFact>| literals(c.args().values()))
        .register_fn("arg", |c: &mut Fact<MethodCallFact>, index: i64| argument(c.args().values(), index))
        .register_get("arg_roots", |c: &mut Fact<MethodCallFact>| optionals(c.args().roots()));

    register_located::<MacroFact>(engine, "Macro");
    register_context::<MacroFact>(engine);
    engine
        .register_get("name", |m: &mut Fact<MacroFact>| text(&m.item().name))
        .register_get("written", |m: &mut Fact<MacroFact>| text(&m.item().written))
        .register_get("resolved", |m: &mut Fact<MacroFact>| text(&m.item().resolved));

    register_located::<FnFact>(engine, "Fn");
    engine
        .register_get("name", |f: &mut Fact<FnFact>| text(&f.item().name))
        .register_get("is_async", |f: &mut Fact<FnFact>| f.item().is_async)
        .register_get("is_pub", |f: &mut Fact<FnFact>| f.item().is_pub)
        .register_get("is_method", |f: &mut Fact<FnFact>| f.item().is_method)
        .register_get("is_main", |f: &mut Fact<FnFact>| f.is_main())
        .register_get("attributes", |f: &mut Fact<FnFact>| strings(&f.item().attributes));

    register_located::<AttributeFact>(engine, "Attribute");
    engine
        .register_get("name", |a: &mut Fact<AttributeFact>| text(&a.item().name))
        .register_get("written", |a: &mut Fact<AttributeFact>| text(&a.item().written))
        .register_get("resolved", |a: &mut Fact<AttributeFact>| text(&a.item().resolved))
        .register_get("tokens", |a: &mut Fact<AttributeFact>| text(&a.item().tokens))
        .register_get("item", |a: &mut Fact<AttributeFact>| optional(a.item().item.as_deref()))
        .register_get("args", |a: &mut Fact<AttributeFact>| literals(a.item().args.iter()))
        .register_fn("arg", |a: &mut Fact<AttributeFact>, index: i64| argument(a.item().args.iter(), index));

    register_located::<UseFact>(engine, "Use");
    engine
        .register_get("name", |u: &mut Fact<UseFact>| optional(u.item().name.as_deref()))
        .register_get("resolved", |u: &mut Fact<UseFact>| text(&u.item().path))
        .register_get("is_glob", |u: &mut Fact<UseFact>| u.item().is_glob)
        .register_get("is_pub", |u: &mut Fact<UseFact>| u.item().is_pub);

    engine
        .register_type_with_name::<Binary>("Binary")
        .register_get("name", |b: &mut Binary| text(&b.name))
        .register_get("package_name", |b: &mut Binary| text(&b.package))
        .register_get("path", |b: &mut Binary| text(&b.src_path))
        .register_get("main", |b: &mut Binary| b.main.clone().map_or(Dynamic::UNIT, Dynamic::from))
        .register_get("reach", |b: &mut Binary| b.reach.iter().map(|p| Dynamic::from(text(p))).collect::<Array>())
        .register_get("server", |b: &mut Binary| b.server.clone().map_or(Dynamic::UNIT, Dynamic::from))
        .register_get("set_aside", |b: &mut Binary| binary_set_aside(b))
        .register_fn("includes", |b: &mut Binary, fact: Dynamic| includes(b, &fact))
        .register_fn("reaches", |b: &mut Binary, fact: Dynamic| reaches(b, &fact));

    engine
        .register_type_with_name::<PackageHandle>("Package")
        .register_get("name", |p: &mut PackageHandle| text(&p.package().name))
        .register_get("version", |p: &mut PackageHandle| text(&p.package().version))
        .register_get("manifest_path", |p: &mut PackageHandle| text(&p.package().manifest_path))
        .register_fn("has_dependency", |p: &mut PackageHandle, name: &str| {
            p.package().dependencies.iter().any(|d| d.name == name)
        })
        .register_fn("dependency_features", |p: &mut PackageHandle, name: &str| {
            strings(p.package().dependencies.iter().filter(|d| d.name == name).flat_map(|d| &d.features))
        });
}

type QueryResult = Result<Array, Box<rhai::EvalAltResult>>;

/// Query results as a script array, unless the deadline has passed or the result would break
/// the array size limit: a native query is one operation however long it takes.
fn query_result<T: FactKind>(items: impl Iterator<Item = Fact<T>>) -> QueryResult {
    if super::sandbox::deadline_passed() {
        return Err(super::sandbox::DEADLINE_TOKEN.into());
    }
    let array: Array = items.take(super::sandbox::MAX_ARRAY_SIZE + 1).map(Dynamic::from).collect();
    if array.len() > super::sandbox::MAX_ARRAY_SIZE {
        return Err(
            format!("query result larger than {} facts: use an indexed query", super::sandbox::MAX_ARRAY_SIZE).into()
        );
    }
    Ok(array)
}

/// Registers `name()`, `name(key)`, `name_resolved(path)` and `name_with_prefix(prefix)`, and
/// the last three with a binary, `name(key, bin)`, for the facts in the files `bin` includes:
/// a per-service policy then never walks the whole workspace once per service.
fn register_queries<T: FactKind>(engine: &mut Engine, name: &str, table: fn(&Facts) -> &Table<T>) {
    engine.register_fn(name, move |f: &mut FactsHandle| query_result(table(&f.0).all()));
    engine.register_fn(name, move |f: &mut FactsHandle, key: &str| query_result(table(&f.0).named(key)));
    engine.register_fn(name, move |f: &mut FactsHandle, key: &str, bin: Binary| {
        query_result(table(&f.0).named_in(key, &bin))
    });
    let resolved = format!("{name}_resolved");
    engine.register_fn(&resolved, move |f: &mut FactsHandle, path: &str| query_result(table(&f.0).resolved(path)));
    engine.register_fn(&resolved, move |f: &mut FactsHandle, path: &str, bin: Binary| {
        query_result(table(&f.0).resolved(path).filter(|fact| bin.includes(fact.file())))
    });
    let with_prefix = format!("{name}_with_prefix");
    engine.register_fn(&with_prefix, move |f: &mut FactsHandle, prefix: &str| {
        query_result(table(&f.0).with_prefix(prefix))
    });
    engine.register_fn(&with_prefix, move |f: &mut FactsHandle, prefix: &str, bin: Binary| {
        query_result(table(&f.0).with_prefix(prefix).filter(|fact| bin.includes(fact.file())))
    });
}

/// Facts with literal arguments.
trait LiteralArguments: FactKind {
    fn argument(fact: &Fact<Self>, position: usize) -> Option<&Literal>;
}

impl LiteralArguments for CallFact {
    fn argument(fact: &Fact<Self>, position: usize) -> Option<&Literal> {
        fact.args().value(position)
    }
}

impl LiteralArguments for MethodCallFact {
    fn argument(fact: &Fact<Self>, position: usize) -> Option<&Literal> {
        fact.args().value(position)
    }
}

impl LiteralArguments for AttributeFact {
    fn argument(fact: &Fact<Self>, position: usize) -> Option<&Literal> {
        fact.item().args.get(position)
    }
}

/// Registers `name_with_arg(key, position, text, bin)`: the facts `name(key, bin)` returns
/// whose argument at `position` is the string literal `text` — `.route("/healthz", ..)` found
/// without a script loop over every route of a service.
fn register_argument_query<T: LiteralArguments>(engine: &mut Engine, name: &str, table: fn(&Facts) -> &Table<T>) {
    engine.register_fn(
        format!("{name}_with_arg"),
        move |f: &mut FactsHandle, key: &str, position: i64, text: &str, bin: Binary| {
            // A text no fact holds matches nothing; one that some fact holds compares by id.
            let text = Symbol::lookup(text);
            let position = usize::try_from(position).ok();
            let literal = |fact: &Fact<T>| {
                let argument = position.and_then(|i| T::argument(fact, i));
                matches!(argument, Some(Literal::Str(s)) if Some(*s) == text)
            };
            query_result(table(&f.0).named_in(key, &bin).filter(|fact| literal(fact)))
        },
    );
}

/// Registers the whole policy API on a sandboxed engine.
pub fn register(engine: &mut Engine) {
    register_fact_types(engine);
    engine.register_type_with_name::<FactsHandle>("Facts");
    register_queries::<CallFact>(engine, "calls", |f| &f.index.calls);
    register_queries::<MethodCallFact>(engine, "method_calls", |f| &f.index.method_calls);
    register_queries::<MacroFact>(engine, "macros", |f| &f.index.macros);
    register_queries::<FnFact>(engine, "fns", |f| &f.index.fns);
    register_queries::<AttributeFact>(engine, "attributes", |f| &f.index.attributes);
    register_queries::<UseFact>(engine, "uses", |f| &f.index.uses);
    register_argument_query::<CallFact>(engine, "calls", |f| &f.index.calls);
    register_argument_query::<MethodCallFact>(engine, "method_calls", |f| &f.index.method_calls);
    register_argument_query::<AttributeFact>(engine, "attributes", |f| &f.index.attributes);
    engine.register_fn("binaries", |f: &mut FactsHandle| {
        f.0.index.binaries.iter().cloned().map(Dynamic::from).collect::<Array>()
    });
    engine.register_fn("runners", |f: &mut FactsHandle, fact: Dynamic| {
        f.0.index.binaries.iter().filter(|b| reaches(b, &fact)).cloned().map(Dynamic::from).collect::<Array>()
    });
    engine.register_fn("includers", |f: &mut FactsHandle, fact: Dynamic| {
        f.0.index.binaries.iter().filter(|b| includes(b, &fact)).cloned().map(Dynamic::from).collect::<Array>()
    });
    engine.register_fn("chained_methods", |f: &mut FactsHandle, call: Fact<CallFact>| chained_methods(&f.0, &call));
    engine.register_fn("in_service", |f: &mut FactsHandle, fact: Dynamic| in_service(&f.0, &fact));
    engine.register_fn("runs_in", |f: &mut FactsHandle, fact: Dynamic| runs_in(&f.0, &fact));
    engine.register_fn("in_async_code", |_: &mut FactsHandle, sites: Array, include_tests: bool| {
        in_async_code(sites, include_tests)
    });
    engine.register_fn(
        "blocking_finding",
        |f: &mut FactsHandle, site: Dynamic, what: &str, instead: &str, include_tests: bool| {
            blocking_finding(&f.0, &site, what, instead, include_tests)
        },
    );
    engine.register_fn("in_deployed_service", |f: &mut FactsHandle, fact: Dynamic| in_deployed_service(&f.0, &fact));
    engine.register_fn("deployed", |f: &mut FactsHandle, binary: Binary| deployed(&f.0, &binary));
    engine.register_fn("serves", |f: &mut FactsHandle, binary: Binary| serves(&f.0, &binary));
    engine.register_fn("signal_handling", |f: &mut FactsHandle, binary: Binary| signal_handling(&f.0, &binary));
    engine.register_fn("drain_timeout", |f: &mut FactsHandle, binary: Binary| drain_timeout(&f.0, &binary));
    engine.register_fn("packages", |f: &mut FactsHandle| {
        (0..f.0.packages.len())
            .map(|index| Dynamic::from(PackageHandle { facts: f.0.clone(), index }))
            .collect::<Array>()
    });
    engine.register_fn("find_package", |f: &mut FactsHandle, name: &str| {
        let index = f.0.packages.iter().position(|p| &*p.name == name);
        index.map_or(Dynamic::UNIT, |index| Dynamic::from(PackageHandle { facts: f.0.clone(), index }))
    });
    super::api_deploy::register(engine);
    super::api_migration::register(engine);
    super::api_arch::register(engine);
    super::api_state::register(engine);
    super::routes::register(engine);
    PolicyContext::register(engine);
}
