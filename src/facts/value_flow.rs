//! Value flow for channels: from a constructor's sender to every send into it, and what drives
//! each send. Extraction records, per binding and per sender parameter, where the value goes in
//! its fn ([`BindingUse`]: copies, struct fields and enum variants, calls it is handed to, static cells, the fn's
//! return value) and the lines it is sent on; this module joins those steps across fns and
//! files:
//! - a struct field: sends through `x.field` where `x` is known to be of that struct (`self`, a
//!   typed parameter, an extractor); an enum's variant likewise, through the names a pattern
//!   takes out of it (`Sender::Unbounded(tx) => tx.send(..)`);
//! - a call it is handed to: the parameter of the fns it can be (by path, or by method name when
//!   few fns have it), followed in that fn;
//! - a static cell: sends through the static, wherever they are;
//! - a return value: the callers' bindings of the fn;
//! - a router's state: sends on extracted senders in request code;
//! - where none of these reaches (framework state, trait objects, generic code): the sender
//!   parameters of the channel's own message type (`Job` of `unbounded_channel::<Job>()`).
//!
//! A send is driven by requests when request code runs it, else by the loops around it and
//! around the calls that lead there (an accept loop, a loop over received messages, a per-event
//! callback, a timer).

use super::{BindingUse, CallFact, Driver, Fact, Index, LinkedFile, MethodCallFact, Package, SENDS};
use crate::symbol::Symbol;
use foldhash::{HashSet, HashSetExt};
use std::sync::Arc;

/// Calls followed into more fns than this are too ambiguous to follow (a method name many types
/// have).
const MAX_CANDIDATES: usize = 4;
/// A helper called from more places than this is too common to take its callers' drivers.
const MAX_CALL_SITES: usize = 16;
/// How many levels of callers a send's fn takes its driver from.
const CALLER_LEVELS: usize = 3;
/// Steps followed from a constructor at most.
const MAX_DEPTH: usize = 8;
/// Extracted application-state types that are channel senders (`State<UnboundedSender<E>>`).
const SENDER_TYPES: [&str; 2] = ["UnboundedSender", "Sender"];
/// Constructors of one-reply channels: a send beside one asks and waits for the answer.
const ONESHOTS: [&str; 4] = [
    "tokio::sync::oneshot::channel",
    "futures::channel::oneshot::channel",
    "futures_channel::oneshot::channel",
    "oneshot::channel",
];

/// What sets the rate of a send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DrivenBy {
    Code(Driver),
    /// Request handlers run it.
    Request,
}

impl DrivenBy {
    /// Whether a party outside the process sets it: requests, connections, messages, events.
    pub fn is_outside(self) -> bool {
        match self {
            DrivenBy::Request => true,
            DrivenBy::Code(driver) => driver.is_outside(),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DrivenBy::Request => "request",
            DrivenBy::Code(driver) => driver.as_str(),
        }
    }
}

/// One send into a channel.
#[derive(Debug, Clone)]
pub struct Producer {
    pub send: Fact<MethodCallFact>,
    pub driven_by: DrivenBy,
    /// The fn of the send also makes a oneshot channel, or awaits a future held in a name (the
    /// answer a helper made, a notification of room): it waits, so each caller has at most one
    /// message in flight.
    pub awaits_reply: bool,
    /// How the sender got from the constructor to the send, one step each (`field
    /// AppState.events`, `argument 2 of jobs::start`).
    pub through: Vec<String>,
}

/// Every send into the channel `channel` makes, found by following its sender.
pub fn senders(index: &Index, packages: &[Package], channel: &Fact<CallFact>) -> Vec<Producer> {
    let Some(binding) = channel.binding() else { return Vec::new() };
    let bindings = &channel.linked().facts.rust.bindings;
    let Ok(at) = bindings.binary_search_by_key(&binding.call, |b| b.call) else { return Vec::new() };
    let mut walk = Walk { index, packages, channel, seen: HashSet::new(), producers: Vec::new() };
    let start = Step {
        file: channel.linked().clone(),
        holder: Holder::Binding(at),
        driver: channel.context().driver,
        depth: 0,
    };
    walk.follow(start, &[]);
    // Where the flow cannot follow the sender (framework state, trait objects, generic code), a
    // sender parameter of the channel's own message type is the same channel.
    // The message type: written at the constructor, or the type of a field the sender is kept in.
    let stored = binding.first.stored_in.iter().find_map(|field| index.param_flows.field_items.get(field).copied());
    if let Some(item) = binding.item_type.or(stored) {
        let typed = index.param_flows.by_item_type.get(&item).map_or(&[][..], Vec::as_slice);
        for (file, at) in typed {
            if walk.seen.insert(format!("param {}#{at}", file.info.path)) {
                let step = Step { file: file.clone(), holder: Holder::Param(*at), driver: Driver::Once, depth: 1 };
                walk.follow(step, &[format!("a `{item}` sender")]);
            }
        }
    }
    walk.producers.sort_by_key(|p| std::cmp::Reverse(p.driven_by));
    walk.producers
}

struct Walk<'a> {
    index: &'a Index,
    packages: &'a [Package],
    channel: &'a Fact<CallFact>,
    /// Fields, parameters, statics and fns already followed.
    seen: HashSet<String>,
    producers: Vec<Producer>,
}

/// What holds the sender at a step: a tuple binding of a call, or a parameter.
#[derive(Clone, Copy)]
enum Holder {
    Binding(usize),
    Param(usize),
}

/// Where the walk is, and what repeats the code that got there.
#[derive(Clone)]
struct Step {
    file: Arc<LinkedFile>,
    holder: Holder,
    driver: Driver,
    depth: usize,
}

impl Step {
    fn uses(&self) -> &BindingUse {
        match self.holder {
            Holder::Binding(at) => &self.file.facts.rust.bindings[at].first,
            Holder::Param(at) => &self.file.facts.rust.param_flows[at].uses,
        }
    }

    /// The name of the fn that holds the sender.
    fn function(&self) -> Option<Symbol> {
        match self.holder {
            Holder::Param(at) => Some(self.file.facts.rust.param_flows[at].function),
            Holder::Binding(at) => {
                let call = self.file.facts.rust.bindings[at].call;
                let made = self.file.facts.rust.calls.iter().find(|c| c.span.start == call)?;
                self.file.facts.rust.context(made.context).function
            }
        }
    }
}

impl Walk<'_> {
    fn follow(&mut self, step: Step, through: &[String]) {
        if step.depth > MAX_DEPTH {
            return;
        }
        let uses = step.uses().clone();
        // Its own sends, in the fn that holds it.
        let sends: Vec<_> = Fact::<MethodCallFact>::all_in(&step.file)
            .filter(|call| is_send(call) && uses.send_lines.contains(&call.location().line))
            .collect();
        for send in sends {
            self.produce(send, step.driver, through);
        }
        for field in uses.stored_in.iter() {
            // A value an enum's variant holds is kept as `Enum.Variant`, as a struct's field is.
            match field.split_once('.') {
                Some((owner, case)) if case.starts_with(|c: char| c.is_ascii_uppercase()) => {
                    // Such enums are most often a file's private helpers, and several files
                    // may have one of the same name: the sends in its own file, if any, are its.
                    let through = with(through, format!("variant `{owner}::{case}`"));
                    self.through_field(*field, step.driver, &through, Some(step.file.info.path));
                }
                _ => self.through_field(*field, step.driver, &with(through, format!("field `{field}`")), None),
            }
        }
        for cell in uses.statics.iter() {
            if self.seen.insert(format!("static {cell}")) {
                let sends: Vec<_> = self.index.method_calls.resolved(cell).filter(is_send).collect();
                let through = with(through, format!("static `{cell}`"));
                sends.into_iter().for_each(|send| self.produce(send, step.driver, &through));
            }
        }
        for handoff in uses.handoffs.iter() {
            let name = Symbol::intern(handoff.callee.rsplit("::").next().unwrap_or_default());
            let owner = (!handoff.method).then(|| handoff.callee.rsplit("::").nth(1)).flatten();
            let Some(candidates) = self.index.param_flows.by_function.get(&name) else { continue };
            let fits: Vec<(Arc<LinkedFile>, usize)> = candidates
                .iter()
                .filter(|(file, at)| {
                    let flow = &file.facts.rust.param_flows[*at];
                    let owner_fits = owner.is_none_or(|owner| {
                        owner == "Self"
                            || !owner.starts_with(char::is_uppercase)
                            || flow.owner.as_deref() == Some(owner)
                    });
                    flow.position == handoff.position && (!handoff.method || flow.owner.is_some()) && owner_fits
                })
                .cloned()
                .collect();
            if fits.is_empty() || fits.len() > MAX_CANDIDATES {
                continue;
            }
            let through = with(through, format!("argument {} of `{}`", handoff.position + 1, handoff.callee));
            for (file, at) in fits {
                if self.seen.insert(format!("param {}#{at}", file.info.path)) {
                    let driver = step.driver.max(handoff.driver);
                    let next = Step { file, holder: Holder::Param(at), driver, depth: step.depth + 1 };
                    self.follow(next, &through);
                }
            }
        }
        if uses.returned {
            self.follow_return(&step, through);
        }
        if uses.to_app_state {
            self.through_router_state(step.driver, &with(through, "the router's state".to_owned()));
        }
    }

    /// The callers' bindings of the fn that returns the sender: `let (tx, rx) = make_queue();`.
    fn follow_return(&mut self, step: &Step, through: &[String]) {
        let Some(function) = step.function() else { return };
        if !self.seen.insert(format!("return {}::{function}", step.file.info.path)) {
            return;
        }
        let through = with(through, format!("returned by `{function}`"));
        let callers: Vec<Fact<CallFact>> = self.index.calls.named(&function).collect();
        for caller in callers.iter().take(MAX_CANDIDATES * 4) {
            let Some(binding) = caller.binding() else {
                self.bound_from(caller, step.driver, &through);
                continue;
            };
            let bindings = &caller.linked().facts.rust.bindings;
            let Ok(at) = bindings.binary_search_by_key(&binding.call, |b| b.call) else { continue };
            let driver = step.driver.max(caller.context().driver);
            let next =
                Step { file: caller.linked().clone(), holder: Holder::Binding(at), driver, depth: step.depth + 1 };
            self.follow(next, &through);
        }
    }

    /// Where a caller keeps the sender a helper returned other than in a tuple: sends on a local
    /// bound from the call (`let audit = spawn_writer(); audit.send(..)`), and struct literal
    /// fields given it in the caller's file (`AppState { audit }`).
    fn bound_from(&mut self, caller: &Fact<CallFact>, driver: Driver, through: &[String]) {
        let path = caller.item().resolved;
        if !self.seen.insert(format!("bound from {path}")) {
            return;
        }
        let driver = driver.max(caller.context().driver);
        let sends: Vec<Fact<MethodCallFact>> = self
            .index
            .method_calls
            .resolved(&path)
            .filter(|call| is_send(call) && call.item().receiver_field.is_none())
            .collect();
        sends.into_iter().for_each(|send| self.produce(send, driver, through));
        let rust = &caller.linked().facts.rust;
        let stores = rust.call_stores.iter().filter(|store| store.call == path);
        let fields: Vec<Symbol> =
            stores.map(|store| Symbol::from(format!("{}.{}", store.owner, store.field))).collect();
        for field in fields {
            self.through_field(field, driver, &with(through, format!("field `{field}`")), None);
        }
    }

    /// Sends through `Owner.field`, where the receiver is known to be of `Owner`; only those in
    /// file `near`, when it has some.
    fn through_field(&mut self, field: Symbol, driver: Driver, through: &[String], near: Option<Symbol>) {
        if !self.seen.insert(format!("field {field}")) {
            return;
        }
        let Some((owner, name)) = field.split_once('.') else { return };
        let sends: Vec<Fact<MethodCallFact>> = SENDS
            .iter()
            .flat_map(|send| self.index.method_calls.named(send))
            .filter(|call| {
                let item = call.item();
                item.receiver_field.is_some_and(|f| *f == *name) && item.receiver_type.is_some_and(|ty| *ty == *owner)
            })
            .filter(|call| self.sees(call))
            .collect();
        let nearby = near.is_some_and(|file| sends.iter().any(|send| send.file().path == file));
        let sends = sends.into_iter().filter(|send| !nearby || near == Some(send.file().path));
        sends.for_each(|send| self.produce(send, driver, through));
    }

    /// Sends on senders request code extracts from the router's state.
    fn through_router_state(&mut self, driver: Driver, through: &[String]) {
        let extracted = SENDER_TYPES.iter().any(|name| self.index.app_states.contains(&Symbol::from(*name)));
        if !extracted || !self.seen.insert("router state".to_owned()) {
            return;
        }
        let sends: Vec<Fact<MethodCallFact>> = SENDS
            .iter()
            .flat_map(|send| self.index.method_calls.named(send))
            .filter(|call| {
                let item = call.item();
                item.receiver_field.is_none()
                    && item.receiver_type.is_some_and(|ty| SENDER_TYPES.contains(&ty.as_str()))
            })
            .filter(|call| self.sees(call) && self.index.handlers.runs(call, &self.index.call_graph))
            .collect();
        sends.into_iter().for_each(|send| self.produce(send, driver, through));
    }

    /// Whether the send's package can name the channel's: the same package or a dependency.
    fn sees(&self, send: &Fact<MethodCallFact>) -> bool {
        let (writer, owner) = (send.file().package, self.channel.file().package);
        let (Some(writer), Some(owner)) = (writer, owner) else { return writer == owner };
        writer == owner
            || self
                .packages
                .iter()
                .find(|p| p.name == writer)
                .is_some_and(|p| p.dependencies.iter().any(|d| *d.name == *owner))
    }

    fn produce(&mut self, send: Fact<MethodCallFact>, driver: Driver, through: &[String]) {
        if send.in_test() || self.producers.iter().any(|p| p.send.identity() == send.identity()) {
            return;
        }
        let code = driver.max(send.context().driver).max(self.callers_driver(&send));
        let driven_by = if self.index.handlers.runs(&send, &self.index.call_graph) {
            DrivenBy::Request
        } else {
            DrivenBy::Code(code)
        };
        let awaits_reply = waits_in_its_fn(&send, self.index);
        self.producers.push(Producer { send, driven_by, awaits_reply, through: through.to_vec() });
    }
}

impl Walk<'_> {
    /// What repeats the calls of the fn a send sits in, when the send is a helper's
    /// (`fn notify(&self, ..) { self.tx.send(..) }` called once per received message): the
    /// strongest driver among its call sites in its package, when they are few enough to say.
    fn callers_driver(&self, send: &Fact<MethodCallFact>) -> Driver {
        let context = send.context();
        let Some(function) = context.function else { return Driver::Once };
        self.callers_of(function, send.file().package, CALLER_LEVELS)
    }

    /// The strongest driver among the call sites of `function` in `package`, and, `levels` deep,
    /// among those of the fns they sit in.
    fn callers_of(&self, function: Symbol, package: Option<Symbol>, levels: usize) -> Driver {
        let in_package = |file: &super::FileInfo| file.package == package;
        let calls = self.index.calls.named(&function).filter(|c| in_package(c.file())).map(|c| *c.context());
        let methods = self.index.method_calls.named(&function).filter(|c| in_package(c.file())).map(|c| *c.context());
        let sites: Vec<super::CodeContext> = calls.chain(methods).take(MAX_CALL_SITES + 1).collect();
        if sites.len() > MAX_CALL_SITES {
            return Driver::Once;
        }
        let mut driver = sites.iter().map(|site| site.driver).max().unwrap_or_default();
        if levels > 1 && !driver.is_outside() {
            for caller in sites.iter().filter_map(|site| site.function).filter(|caller| *caller != function) {
                driver = driver.max(self.callers_of(caller, package, levels - 1));
            }
        }
        driver
    }
}

/// Tells whether code of one file sits in the same fn as a given place: the same inline module
/// and fn name and, as a file may hold several fns of one name (`new` of two types), the same
/// nearest of them declared above.
struct SameFn {
    context: super::CodeContext,
    declared: Vec<u32>,
    home: Option<u32>,
}

impl SameFn {
    /// `None` when the place is in no named fn.
    fn of(file: &LinkedFile, context: super::CodeContext, line: u32) -> Option<SameFn> {
        let function = context.function?;
        let declared: Vec<u32> = file
            .facts
            .rust
            .fns
            .iter()
            .filter(|f| f.name == function && f.module == context.module)
            .map(|f| file.facts.location(f.span).line)
            .collect();
        let mut same = SameFn { context, declared, home: None };
        same.home = same.enclosing(line);
        Some(same)
    }

    fn enclosing(&self, line: u32) -> Option<u32> {
        self.declared.iter().copied().filter(|&at| at <= line).max()
    }

    fn holds(&self, other: &super::CodeContext, line: u32) -> bool {
        other.module == self.context.module
            && other.function == self.context.function
            && self.enclosing(line) == self.home
    }
}

/// Whether the fn of a send makes a oneshot channel or waits in its own body for a future it
/// holds.
fn waits_in_its_fn(send: &Fact<MethodCallFact>, index: &Index) -> bool {
    let Some(same_fn) = SameFn::of(send.linked(), *send.context(), send.location().line) else { return false };
    let rust = &send.linked().facts.rust;
    let mut asks = ONESHOTS.iter().flat_map(|path| index.calls.resolved(path));
    asks.any(|ask| ask.file().path == send.file().path && same_fn.holds(ask.context(), ask.location().line))
        || rust.waits.iter().any(|wait| same_fn.holds(rust.context(wait.context), wait.line))
}

/// What a channel's own `let (tx, rx) = ..` and the sender's use in the rest of that block say
/// about it, before any flow is followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelShape {
    /// An end is dropped at once (`let (tx, _) = ..`): nothing queues.
    EndDropped,
    /// The sender stays in its block and is never sent on: it signals by being dropped.
    NeverSent,
    /// The sender stays in its block and is sent on once, outside any loop: a single reply.
    OneReply,
    /// Anything else: a queue whose fill the value flow judges.
    Queue,
}

impl ChannelShape {
    pub fn of(channel: &Fact<CallFact>) -> Self {
        let Some(binding) = channel.binding() else { return ChannelShape::Queue };
        let (names, first) = (&binding.names, &binding.first);
        if names.len() != 2 {
            return ChannelShape::Queue;
        }
        if &*names[0] == "_" || &*names[1] == "_" {
            return ChannelShape::EndDropped;
        }
        let stays = !names[0].is_empty() && !first.escapes;
        match first.sends {
            0 if stays => ChannelShape::NeverSent,
            1 if stays && !first.sends_in_loop => ChannelShape::OneReply,
            _ => ChannelShape::Queue,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ChannelShape::EndDropped => "end_dropped",
            ChannelShape::NeverSent => "never_sent",
            ChannelShape::OneReply => "one_reply",
            ChannelShape::Queue => "queue",
        }
    }
}

/// Whether the fn that makes `channel` also makes one by the constructor at `bounded` beside it
/// (bound to other names): the unbounded one is a choice, a control side that must never block
/// beside a bounded data side. Two bound to the same names are alternatives (`match capacity {
/// Some(n) => channel(n), None => unbounded_channel() }`), where an unset capacity gets the
/// unbounded one.
pub fn made_beside_bounded(index: &Index, channel: &Fact<CallFact>, bounded: &str) -> bool {
    let Some(same_fn) = SameFn::of(channel.linked(), *channel.context(), channel.location().line) else {
        return false;
    };
    let names = |call: &Fact<CallFact>| call.binding().map(|binding| binding.names.clone());
    let own = names(channel);
    index.calls.resolved(bounded).any(|other| {
        let beside = own.is_none() || names(&other) != own;
        beside && other.file().path == channel.file().path && same_fn.holds(other.context(), other.location().line)
    })
}

fn is_send(call: &Fact<MethodCallFact>) -> bool {
    SENDS.contains(&call.item().name.as_str())
}

fn with(through: &[String], step: String) -> Vec<String> {
    through.iter().cloned().chain([step]).collect()
}
