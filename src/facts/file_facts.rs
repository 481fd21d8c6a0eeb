//! The facts extracted from one file: plain data, what the code *says*, not what it means.

use super::{Compose, Dockerfile, Exec, ImageBuild, K8sObject};
use crate::alloc::fit_exactly;
use crate::file_kind::FileKind;
use crate::location::{LineTable, Location, Span};
use crate::problem::Problem;
use crate::symbol::Symbol;
use serde::ser::{SerializeMap, SerializeStruct, Serializer};
use serde::Serialize;
use std::ops::{Deref, DerefMut};

/// A literal argument of a call, method call or attribute; anything else is `Other`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Literal {
    Str(Symbol),
    Int(i64),
    Float(f64),
    Bool(bool),
    Other(()),
}

/// An argument of a call: its value when it is a literal, and when it is a path or a chain
/// that starts at one, that path resolved (`shop::routes::api` for `api()`,
/// `axum::Router::new` for `Router::new().route(..)`).
#[derive(Debug, Clone, PartialEq)]
pub struct Argument {
    pub value: Literal,
    pub root: Option<Symbol>,
}

/// Where the arguments of a call sit among its file's [`RustFacts::arguments`]: the arguments
/// of every call in a file share one allocation, where a list per call made a few hundred
/// thousand small ones that stayed scattered among the freed syntax trees.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ArgumentRange {
    pub start: u32,
    pub len: u32,
}

/// The arguments of one call. Written out as the two lists policies read, `args` (the values)
/// and `arg_roots` (the resolved roots).
#[derive(Debug, Clone, Copy, Default)]
pub struct Arguments<'a>(&'a [Argument]);

impl<'a> Arguments<'a> {
    pub fn value(&self, position: usize) -> Option<&'a Literal> {
        self.0.get(position).map(|argument| &argument.value)
    }

    pub fn root(&self, position: usize) -> Option<Symbol> {
        self.0.get(position).and_then(|argument| argument.root)
    }

    pub fn values(&self) -> impl ExactSizeIterator<Item = &'a Literal> {
        self.0.iter().map(|argument| &argument.value)
    }

    pub fn roots(&self) -> impl ExactSizeIterator<Item = Option<Symbol>> + 'a {
        self.0.iter().map(|argument| argument.root)
    }

    pub fn as_slice(&self) -> &'a [Argument] {
        self.0
    }
}

/// Flattened into its fact: the `args` and `arg_roots` fields.
impl Serialize for Arguments<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("args", &self.values().collect::<Vec<_>>())?;
        map.serialize_entry("arg_roots", &self.roots().collect::<Vec<_>>())?;
        map.end()
    }
}

/// A list that is nearly always empty (glob candidates, a receiver's arguments): one word in
/// its fact, and a second allocation for the rare one that has items.
#[derive(Debug, Clone, PartialEq)]
pub struct RareList<T>(Option<Box<Box<[T]>>>);

impl<T> Default for RareList<T> {
    fn default() -> Self {
        RareList(None)
    }
}

impl<T> From<Vec<T>> for RareList<T> {
    fn from(items: Vec<T>) -> Self {
        RareList((!items.is_empty()).then(|| Box::new(items.into_boxed_slice())))
    }
}

impl<T> Deref for RareList<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        self.0.as_deref().map_or(&[], |items| items)
    }
}

impl<T> DerefMut for RareList<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        self.0.as_deref_mut().map_or(&mut [], |items| items)
    }
}

impl<T: Serialize> Serialize for RareList<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        (**self).serialize(serializer)
    }
}

/// Which of its file's [`RustFacts::contexts`] a call, method call or macro sits in: calls in
/// one fn share their context, so each holds four bytes rather than twelve.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ContextId(pub u32);

/// What repeats the code around a fact, read from the loops it sits in (the strongest of them)
/// or the callback it is: what drives a send, before the value flow adds what drives the code
/// that reaches it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Driver {
    /// In no loop: runs once per call.
    #[default]
    Once,
    /// A `for` over values, or a loop the code drives itself.
    Iteration,
    /// A loop that waits on a timer (`interval.tick().await`).
    Timer,
    /// A loop over received messages or stream items (`while let Some(m) = stream.next().await`).
    Message,
    /// A callback a library calls per event: a tracing `Layer`'s `on_event`.
    Event,
    /// An accept loop: once per connection.
    Connection,
}

impl Driver {
    /// Whether a party outside the process sets its rate.
    pub fn is_outside(self) -> bool {
        matches!(self, Driver::Message | Driver::Event | Driver::Connection)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Driver::Once => "once",
            Driver::Iteration => "iteration",
            Driver::Timer => "timer",
            Driver::Message => "message",
            Driver::Event => "event",
            Driver::Connection => "connection",
        }
    }
}

/// Where in the code a fact sits, as policies need it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
pub struct CodeContext {
    /// The innermost fn, closure or block is `async`.
    pub in_async: bool,
    /// Inside `#[cfg(test)]` or a `#[test]`-like fn. Test-only files (tests/, `#[cfg(test)] mod x;`)
    /// are known from link: the `in_test` getter of policies combines both.
    pub in_test: bool,
    /// Name of the innermost named fn, if any.
    pub function: Option<Symbol>,
    /// The inline module, empty at file level.
    pub module: Symbol,
    /// What repeats it within its fn.
    pub driver: Driver,
}

/// A `use` item, one per imported name (groups are flattened).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UseFact {
    /// The full imported path: `std::sync::mpsc::channel`, or the prefix of a glob.
    pub path: Symbol,
    /// The local name it introduces (`q` for `... as q`); `None` for a glob.
    pub name: Option<Symbol>,
    pub is_glob: bool,
    /// `pub`, `pub(crate)`, ... : a re-export.
    pub is_pub: bool,
    /// The inline module (`a::b` for `mod a { mod b { use ..; } }`), empty at file level.
    pub module: Symbol,
    pub in_test: bool,
    #[serde(skip)]
    pub span: Span,
}

/// A path in a type, an expression, a pattern or a trait bound that names something through a
/// module: `crate::infra::db::Pool`, or `Pool` imported from there. Recorded once per module
/// (its first occurrence): what architecture checks follow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PathFact {
    pub written: Symbol,
    pub resolved: Symbol,
    /// The inline module it is written in, empty at file level.
    pub module: Symbol,
    pub in_test: bool,
    #[serde(skip)]
    pub span: Span,
}

/// A call of a path: `foo::bar(..)`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CallFact {
    /// The path as written, without generics: `mpsc::unbounded_channel`.
    pub written: Symbol,
    /// The path with `use` aliases, `crate::`/`self::`/`super::` and re-exports resolved.
    pub resolved: Symbol,
    /// Other possible resolutions through glob imports.
    pub glob_candidates: RareList<Symbol>,
    /// The last path segment.
    pub name: Symbol,
    /// The values are in [`RustFacts::arguments`]; `guardrail facts` writes them with the fact.
    #[serde(skip)]
    pub args: ArgumentRange,
    /// The context is in [`RustFacts::contexts`]; `guardrail facts` writes it with the fact.
    #[serde(skip)]
    pub context: ContextId,
    #[serde(skip)]
    pub span: Span,
}

/// A method call: `receiver.name(..)`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MethodCallFact {
    pub name: Symbol,
    /// The resolved path at the root of the receiver chain, when it is a path or a path call:
    /// `std::process::Command::new` for `Command::new("ls").arg("-l").output()`.
    pub receiver_root: Option<Symbol>,
    /// The field last read in the receiver chain: `sessions` for
    /// `state.sessions.lock().await.insert(..)`, and for `guard.insert(..)` after
    /// `let guard = state.sessions.lock().await;`.
    pub receiver_field: Option<Symbol>,
    /// The type at the root of the receiver chain, when the root is `self` or a parameter whose
    /// type the signature shows, seen through references, `Arc` and extractors: `AppState` for
    /// `state.carts.write()` in `async fn add(State(state): State<Arc<AppState>>)`.
    pub receiver_type: Option<Symbol>,
    /// The arguments of the call at the root of the receiver chain: `["/api"]` for
    /// `web::scope("/api").service(..)`, in [`RustFacts::arguments`]; written as literals.
    #[serde(skip)]
    pub receiver_args: ArgumentRange,
    /// The values are in [`RustFacts::arguments`]; `guardrail facts` writes them with the fact.
    #[serde(skip)]
    pub args: ArgumentRange,
    /// The context is in [`RustFacts::contexts`]; `guardrail facts` writes it with the fact.
    #[serde(skip)]
    pub context: ContextId,
    /// The method name to the closing parenthesis.
    #[serde(skip)]
    pub span: Span,
}

/// A call whose value a `let` binds to a tuple: `let (tx, rx) = unbounded_channel();`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TupleBinding {
    /// Where the call starts: its [`CallFact`]'s span start.
    pub call: u32,
    /// The names: `_` for a wildcard (dropped at once), empty for a pattern that is no name.
    pub names: Box<[Symbol]>,
    /// How the first name is used after the `let`, in the rest of its block.
    pub first: BindingUse,
    /// What a channel made by the call carries, when the code names a type of its own:
    /// `Event` for `unbounded_channel::<Event>()` or `let (tx, rx): (Sender<Event>, _)`.
    pub item_type: Option<Symbol>,
}

/// Method names that put a message into a channel.
pub const SENDS: [&str; 10] = [
    "send",
    "try_send",
    "unbounded_send",
    "send_async",
    "send_blocking",
    "blocking_send",
    "send_timeout",
    "force_send",
    "start_send",
    "send_replace",
];

/// How a name is used after its `let`, in the rest of the block (closures and async blocks
/// included, nested fns not).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct BindingUse {
    /// Method calls on it that send: `send`, `try_send`, `unbounded_send`, `send_async`, …
    pub sends: u32,
    /// Whether one of those is inside a `loop`, `while` or `for`.
    pub sends_in_loop: bool,
    /// Whether it is used any other way than sending and `drop(..)`: moved, cloned, stored,
    /// passed, or named in a macro.
    pub escapes: bool,
    /// The struct fields it is stored in, as `Owner.field` (`Worker { tx }`,
    /// `AppState { events: tx.clone() }`, `Self { tx }` or `self.events = tx` in an impl): a send
    /// through one of them sends into it.
    pub stored_in: Box<[Symbol]>,
    /// Whether it is handed to a router as application state: `.with_state(tx)`,
    /// `Extension(tx)`, `web::Data::new(tx)`, `.app_data(tx)`, `.manage(tx)`, `.data(tx)`.
    pub to_app_state: bool,
    /// The calls it is handed to as an argument (itself, a clone or a reference).
    pub handoffs: Box<[Handoff]>,
    /// Whether the block returns it (itself or in a tuple): to a fn's callers, or, in a lazy
    /// static's initializer, into the static.
    pub returned: bool,
    /// The static cells it is put in, by resolved path: `EVENTS.set(tx)`, a `LazyLock` whose
    /// initializer returns it.
    pub statics: Box<[Symbol]>,
    /// The lines of its sends (1-based), where the link finds them among the file's method calls.
    pub send_lines: Box<[u32]>,
}

/// A call a tracked value is handed to: `start(tx.clone())`, `Jobs::new(tx)`, `x.register(&tx)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Handoff {
    /// The resolved path of a path call, or the name of a method.
    pub callee: Symbol,
    pub method: bool,
    /// Among the call's arguments (a method's receiver not counted).
    pub position: u32,
    /// What repeats the call.
    pub driver: Driver,
}

/// An await of a future held in a name, in a fn's own body: see [`RustFacts::waits`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wait {
    pub context: ContextId,
    pub line: u32,
}

/// A struct literal's field given what a call returned (`AppState { audit: spawn_writer() }`, or
/// a local bound from one): where a sender that a helper returns is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CallStore {
    /// The resolved path of the call at the root of the value.
    pub call: Symbol,
    /// The struct, and its field.
    pub owner: Symbol,
    pub field: Symbol,
}

/// A struct field that holds a channel's sender: `Owner.field` and the message type.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SenderField {
    pub field: Symbol,
    pub item_type: Symbol,
}

/// A parameter whose type is a channel's sender, and how its fn uses it: where a sender handed
/// to the fn goes next.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParamFlow {
    /// The `impl`'s type, for methods and associated fns.
    pub owner: Option<Symbol>,
    pub function: Symbol,
    pub module: Symbol,
    /// Among the fn's parameters, `self` not counted.
    pub position: u32,
    pub uses: BindingUse,
    /// What the sender carries, when it is a type of the code's own (see [`TupleBinding`]).
    pub item_type: Option<Symbol>,
}

/// A macro invocation: `tokio::select! { .. }`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MacroFact {
    pub written: Symbol,
    pub resolved: Symbol,
    pub name: Symbol,
    /// The context is in [`RustFacts::contexts`]; `guardrail facts` writes it with the fact.
    #[serde(skip)]
    pub context: ContextId,
    #[serde(skip)]
    pub span: Span,
}

/// The names SQL written in the code mentions: the string of a `sqlx::query!` (and its
/// `query_as!`, `query_scalar!`, unchecked kin), or the tables and columns of a diesel `table!`.
/// Words are lower-cased identifiers; which are tables and which columns is not told apart.
#[derive(Debug, Clone, PartialEq)]
pub struct SqlText {
    pub words: Vec<Symbol>,
    pub context: ContextId,
    pub span: Span,
}

/// A fn item or method.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FnFact {
    pub name: Symbol,
    pub is_async: bool,
    pub is_pub: bool,
    /// Declared inside an `impl` or `trait` block.
    pub is_method: bool,
    /// Takes `self` (in any form): `.name(..)` can call it; an associated fn (`fn new()`) only
    /// `Type::name(..)` can.
    pub takes_self: bool,
    /// The type of the `impl` block it is declared in: `Greeter` for `impl Svc for Greeter`.
    pub owner: Option<Symbol>,
    /// The inline module, empty at file level.
    pub module: Symbol,
    /// Resolved paths of its attributes (`tokio::main`).
    pub attributes: Box<[Symbol]>,
    pub in_test: bool,
    /// From the start of the signature to the end of the name: `async fn main`.
    #[serde(skip)]
    pub span: Span,
}

/// An outer attribute on an item or fn: `#[get("/orders")]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttributeFact {
    pub written: Symbol,
    pub resolved: Symbol,
    pub name: Symbol,
    pub args: Box<[Literal]>,
    /// The tokens inside the delimiters, as text: `test` for `#[cfg(test)]`.
    pub tokens: Symbol,
    /// The fn the attribute is on, for attributes of fns.
    pub item: Option<Symbol>,
    /// The inline module, empty at file level.
    pub module: Symbol,
    pub in_test: bool,
    #[serde(skip)]
    pub span: Span,
}

/// A `static` (also in `lazy_static!`) or a named struct field whose type holds a collection
/// behind a lock (`Mutex<HashMap<..>>`, `RwLock<Vec<..>>`) or a concurrent collection
/// (`DashMap`, `scc::HashMap`): state one process shares across the requests it serves.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StateFact {
    pub name: Symbol,
    /// The struct of a field; empty for a static.
    pub owner: Symbol,
    /// The type as written, without spaces: `LazyLock<Mutex<HashMap<String,Session>>>`.
    pub ty: Symbol,
    /// The inline module, empty at file level.
    pub module: Symbol,
    pub in_test: bool,
    /// The name.
    #[serde(skip)]
    pub span: Span,
}

/// An out-of-line module declaration, `mod x;`: where the module's file is, and whether it is
/// compiled only for tests (`#[cfg(test)] mod tests;`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModDecl {
    pub name: Symbol,
    /// The inline module the declaration sits in, empty at file level.
    pub inline: Symbol,
    /// `#[path = ".."]`, relative to the declaring file's directory.
    pub path_attr: Option<Symbol>,
    pub in_test: bool,
    #[serde(skip)]
    pub span: Span,
}

/// A code fact: where it sits in its file.
pub trait Spanned {
    fn span(&self) -> Span;
}

macro_rules! spanned {
    ($($ty:ty),*) => {$(
        impl Spanned for $ty {
            fn span(&self) -> Span {
                self.span
            }
        }
    )*};
}

spanned!(UseFact, PathFact, CallFact, MethodCallFact, MacroFact, FnFact, AttributeFact, ModDecl, StateFact);

/// Everything extracted from one Rust source file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RustFacts {
    pub uses: Vec<UseFact>,
    pub calls: Vec<CallFact>,
    pub method_calls: Vec<MethodCallFact>,
    pub macros: Vec<MacroFact>,
    pub fns: Vec<FnFact>,
    pub attributes: Vec<AttributeFact>,
    pub modules: Vec<ModDecl>,
    pub paths: Vec<PathFact>,
    /// The arguments of all calls and method calls, each call's an [`ArgumentRange`] of them.
    pub arguments: Vec<Argument>,
    /// The contexts of the calls, method calls and macros, each once.
    pub contexts: Vec<CodeContext>,
    /// Calls bound to tuples, by [`TupleBinding::call`].
    pub bindings: Vec<TupleBinding>,
    pub states: Vec<StateFact>,
    /// Parameters that hold a channel's sender, and where each goes in its fn.
    pub param_flows: Vec<ParamFlow>,
    /// Struct fields that hold a channel's sender of a message type of the code's own.
    pub sender_fields: Vec<SenderField>,
    /// Struct literal fields given a call's value, for senders helpers return.
    pub call_stores: Vec<CallStore>,
    /// The types fns of this file receive as shared application state through an extractor:
    /// `AppState` for `State<AppState>`, `State<Arc<AppState>>`, `web::Data<AppState>`,
    /// `Extension<AppState>`, rocket's `&State<AppState>`. Each once, by last segment.
    pub app_states: Vec<Symbol>,
    /// SQL the code writes, for the joins from migrations to the code that names a table.
    pub sql_texts: Vec<SqlText>,
    /// Directories of migrations that macros embed (`sqlx::migrate!("db/schema")`), relative
    /// to the crate's manifest.
    pub migration_dirs: Vec<Symbol>,
    /// Where a fn awaits a future held in a name in its own body (`reply.await`,
    /// `notified.await`, `timeout(limit, reply).await`): a send there waits for an answer or for
    /// room, so each caller has one message in flight.
    pub waits: Vec<Wait>,
    /// The file opens by saying a tool wrote it (`// @generated`, "DO NOT EDIT"): committed
    /// tonic or prost output, bindings. What it holds matters only where code that runs calls it.
    pub generated: bool,
    /// Turns the facts' spans into locations.
    pub lines: LineTable,
}

impl RustFacts {
    /// No facts (a file of comments and plain types): `guardrail facts` leaves the file's Rust
    /// facts out. Its line table is not a fact.
    pub fn is_empty(&self) -> bool {
        let RustFacts {
            uses, calls, method_calls, macros, fns, attributes, modules, paths, states, app_states, ..
        } = self;
        states.is_empty()
            && app_states.is_empty()
            && uses.is_empty()
            && calls.is_empty()
            && method_calls.is_empty()
            && macros.is_empty()
            && fns.is_empty()
            && attributes.is_empty()
            && modules.is_empty()
            && paths.is_empty()
    }

    /// Records the arguments of one call.
    pub fn push_arguments(&mut self, arguments: impl IntoIterator<Item = Argument>) -> ArgumentRange {
        let start = self.arguments.len();
        self.arguments.extend(arguments);
        let count = |n: usize| u32::try_from(n).expect("fewer than 2^32 arguments in a file");
        ArgumentRange { start: count(start), len: count(self.arguments.len() - start) }
    }

    /// Every call's arguments and context are within the file's: what a decoded cache entry
    /// must hold.
    pub fn is_consistent(&self) -> bool {
        let within = |range: ArgumentRange| {
            (range.start as usize).checked_add(range.len as usize).is_some_and(|end| end <= self.arguments.len())
        };
        let known = |context: ContextId| (context.0 as usize) < self.contexts.len();
        self.calls.iter().all(|call| within(call.args) && known(call.context))
            && self
                .method_calls
                .iter()
                .all(|call| within(call.args) && within(call.receiver_args) && known(call.context))
            && self.macros.iter().all(|mac| known(mac.context))
            && self.sql_texts.iter().all(|text| known(text.context))
            && self.waits.iter().all(|wait| known(wait.context))
    }

    /// The context `id` stands for; the default if it is not one of this file's.
    pub fn context(&self, id: ContextId) -> &CodeContext {
        static NONE: CodeContext = CodeContext {
            in_async: false,
            in_test: false,
            function: None,
            module: Symbol::EMPTY,
            driver: Driver::Once,
        };
        self.contexts.get(id.0 as usize).unwrap_or(&NONE)
    }

    /// The arguments `range` stands for; none if it is not within this file's.
    pub fn arguments(&self, range: ArgumentRange) -> Arguments<'_> {
        let (start, len) = (range.start as usize, range.len as usize);
        Arguments(self.arguments.get(start..start.saturating_add(len)).unwrap_or_default())
    }

    /// Drops the spare capacity extraction left: the facts stay in memory for the whole run.
    pub fn shrink_to_fit(&mut self) {
        let RustFacts {
            uses,
            calls,
            method_calls,
            macros,
            fns,
            attributes,
            modules,
            paths,
            arguments,
            contexts,
            bindings,
            states,
            app_states,
            param_flows,
            sender_fields,
            call_stores,
            sql_texts,
            migration_dirs,
            waits,
            generated: _,
            lines,
        } = self;
        fit_exactly(uses);
        fit_exactly(calls);
        fit_exactly(bindings);
        fit_exactly(method_calls);
        fit_exactly(macros);
        fit_exactly(fns);
        fit_exactly(attributes);
        fit_exactly(modules);
        fit_exactly(paths);
        fit_exactly(arguments);
        fit_exactly(contexts);
        fit_exactly(states);
        fit_exactly(app_states);
        fit_exactly(param_flows);
        fit_exactly(sender_fields);
        fit_exactly(call_stores);
        fit_exactly(sql_texts);
        fit_exactly(migration_dirs);
        fit_exactly(waits);
        lines.shrink_to_fit();
    }
}

/// A code fact as `guardrail facts` writes it: with its location and, for calls, arguments.
#[derive(Serialize)]
struct Written<'a, T> {
    #[serde(flatten)]
    fact: &'a T,
    #[serde(skip_serializing_if = "Option::is_none")]
    receiver_args: Option<Vec<&'a Literal>>,
    #[serde(flatten)]
    args: Option<Arguments<'a>>,
    #[serde(flatten)]
    context: Option<&'a CodeContext>,
    location: Location,
}

impl Serialize for FileFacts {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let FileFacts {
            path,
            kind,
            lines,
            rust,
            kubernetes,
            dockerfile,
            compose,
            image_builds,
            execs,
            migration,
            says_development,
            suppressions,
            problems,
            notes,
        } = self;
        let mut out = serializer.serialize_struct("FileFacts", 14)?;
        out.serialize_field("path", path)?;
        out.serialize_field("kind", kind)?;
        out.serialize_field("lines", lines)?;
        if !rust.is_empty() {
            out.serialize_field("rust", &WrittenRust(self))?;
        }
        if !kubernetes.is_empty() {
            out.serialize_field("kubernetes", kubernetes)?;
        }
        if dockerfile.is_some() {
            out.serialize_field("dockerfile", dockerfile)?;
        }
        if compose.is_some() {
            out.serialize_field("compose", compose)?;
        }
        if !image_builds.is_empty() {
            out.serialize_field("image_builds", image_builds)?;
        }
        if !execs.is_empty() {
            out.serialize_field("execs", execs)?;
        }
        if migration.is_some() {
            out.serialize_field("migration", migration)?;
        }
        if *says_development {
            out.serialize_field("says_development", says_development)?;
        }
        out.serialize_field("suppressions", suppressions)?;
        out.serialize_field("problems", problems)?;
        out.serialize_field("notes", notes)?;
        out.end()
    }
}

/// The Rust facts of a file, each with its location.
struct WrittenRust<'a>(&'a FileFacts);

impl Serialize for WrittenRust<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let file = self.0;
        let rust = &file.rust;
        let mut calls = written(file, &rust.calls);
        for call in &mut calls {
            call.args = Some(rust.arguments(call.fact.args));
            call.context = Some(rust.context(call.fact.context));
        }
        let mut method_calls = written(file, &rust.method_calls);
        for call in &mut method_calls {
            call.receiver_args = Some(rust.arguments(call.fact.receiver_args).values().collect());
            call.args = Some(rust.arguments(call.fact.args));
            call.context = Some(rust.context(call.fact.context));
        }
        let mut macros = written(file, &rust.macros);
        for mac in &mut macros {
            mac.context = Some(rust.context(mac.fact.context));
        }
        let mut out = serializer.serialize_struct("RustFacts", 11)?;
        out.serialize_field("uses", &written(file, &rust.uses))?;
        out.serialize_field("calls", &calls)?;
        out.serialize_field("method_calls", &method_calls)?;
        out.serialize_field("macros", &macros)?;
        out.serialize_field("fns", &written(file, &rust.fns))?;
        out.serialize_field("attributes", &written(file, &rust.attributes))?;
        out.serialize_field("modules", &written(file, &rust.modules))?;
        out.serialize_field("paths", &written(file, &rust.paths))?;
        out.serialize_field("states", &written(file, &rust.states))?;
        out.serialize_field("app_states", &rust.app_states)?;
        out.serialize_field("param_flows", &rust.param_flows)?;
        out.end()
    }
}

fn written<'a, T: Spanned>(file: &FileFacts, facts: &'a [T]) -> Vec<Written<'a, T>> {
    let write = |fact: &'a T| Written {
        fact,
        receiver_args: None,
        args: None,
        context: None,
        location: file.location(fact.span()),
    };
    facts.iter().map(write).collect()
}

/// An inline `guardrail-allow(<rule>): <reason>` comment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suppression {
    pub rule: String,
    /// Required; a suppression without one suppresses nothing and is reported.
    pub reason: Option<String>,
    /// The lines whose findings it suppresses: one line, or attributes and the item after them.
    pub target_line: u32,
    pub target_end_line: u32,
    /// The comment itself.
    pub location: Location,
}

/// The result of extracting one file: pure data, a function of (path, kind, bytes) alone.
#[derive(Debug, Clone, PartialEq)]
pub struct FileFacts {
    pub path: Symbol,
    pub kind: FileKind,
    /// Lines of text, for summaries.
    pub lines: u32,
    pub rust: RustFacts,
    pub kubernetes: Vec<K8sObject>,
    pub dockerfile: Option<Dockerfile>,
    pub compose: Option<Compose>,
    /// Images a workflow, Makefile or justfile builds.
    pub image_builds: Vec<ImageBuild>,
    /// Programs a shell script `exec`s (an image's entry-point script).
    pub execs: Vec<Exec>,
    pub migration: Option<super::Migration>,
    /// A deployment file whose opening comments say it is for local development or tests.
    pub says_development: bool,
    pub suppressions: Vec<Suppression>,
    /// Problems that make the run untrustworthy (exit 2).
    pub problems: Vec<Problem>,
    /// Information that changes nothing about the exit code (a skipped Helm template).
    pub notes: Vec<Problem>,
}

impl FileFacts {
    /// The location of a span of this file's Rust facts.
    pub fn location(&self, span: Span) -> Location {
        self.rust.lines.location(self.path, span)
    }

    pub fn new(path: Symbol, kind: FileKind) -> Self {
        FileFacts {
            path,
            kind,
            lines: 0,
            rust: RustFacts::default(),
            kubernetes: Vec::new(),
            dockerfile: None,
            compose: None,
            image_builds: Vec::new(),
            execs: Vec::new(),
            migration: None,
            says_development: false,
            suppressions: Vec::new(),
            problems: Vec::new(),
            notes: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_are_kept_per_file_and_written_as_the_two_lists_policies_read() {
        let root = Symbol::intern("shop::routes::api");
        let mut facts = RustFacts::default();
        let none = facts.push_arguments([]);
        let two = facts.push_arguments([
            Argument { value: Literal::Str(Symbol::intern("/api")), root: None },
            Argument { value: Literal::Other(()), root: Some(root) },
        ]);
        let one = facts.push_arguments([Argument { value: Literal::Int(7), root: None }]);
        assert_eq!(
            (none, two, one),
            (ArgumentRange::default(), ArgumentRange { start: 0, len: 2 }, ArgumentRange { start: 2, len: 1 })
        );
        let args = facts.arguments(two);
        let json = serde_json::to_value(args).unwrap();
        assert_eq!(json, serde_json::json!({ "args": ["/api", null], "arg_roots": [null, "shop::routes::api"] }));
        assert_eq!(
            (args.value(0), args.root(1), args.root(0), args.value(2)),
            (Some(&Literal::Str(Symbol::intern("/api"))), Some(root), None, None)
        );
        assert_eq!(facts.arguments(one).as_slice(), [Argument { value: Literal::Int(7), root: None }]);
        assert!(facts.arguments(ArgumentRange { start: 2, len: 5 }).as_slice().is_empty());
        assert!(facts.arguments(ArgumentRange { start: u32::MAX, len: u32::MAX }).as_slice().is_empty());
    }

    #[test]
    fn a_rare_list_is_one_word_and_reads_as_a_slice() {
        assert_eq!(size_of::<RareList<Symbol>>(), size_of::<usize>());
        let empty: RareList<Symbol> = Vec::new().into();
        assert!(empty.is_empty());
        assert_eq!(serde_json::to_string(&empty).unwrap(), "[]");
        let one: RareList<Symbol> = vec![Symbol::intern("a::b")].into();
        assert_eq!(&*one, [Symbol::intern("a::b")]);
        assert_eq!(serde_json::to_string(&one).unwrap(), r#"["a::b"]"#);
    }
}
