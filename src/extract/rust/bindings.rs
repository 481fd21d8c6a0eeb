//! Tuple bindings of calls and how their first name is used: `let (tx, rx) = channel();`
//! then `tx.send(..)` once, in a loop, never, or handed on. What a channel carries depends on
//! its sender, and most senders are used in the block that creates them.

use super::drivers::Loop;
use crate::facts::{BindingUse, Driver, Handoff, SENDS};
use crate::symbol::Symbol;
use proc_macro2::TokenTree;
use syn::visit::{self, Visit};
use syn::{Expr, Pat};

/// Calls and methods that hand a value to a router as application state.
const APP_STATE_CALLS: [&str; 2] = ["Extension", "Data"];
const APP_STATE_METHODS: [&str; 4] = ["with_state", "app_data", "manage", "data"];

/// Calls that run the closure they are given once: a send in it is not repeated by the call.
/// Any other closure (a callback, an iterator adapter) may run any number of times.
const RUN_ONCE: [&str; 4] = ["spawn", "spawn_blocking", "spawn_local", "block_on"];

/// The names of a tuple pattern: a plain name, `_` for a wildcard, empty for anything else.
/// `None` when the pattern is not a tuple.
pub fn tuple_names(pat: &Pat) -> Option<Vec<Symbol>> {
    let pat = match pat {
        Pat::Type(typed) => &*typed.pat,
        pat => pat,
    };
    let Pat::Tuple(tuple) = pat else { return None };
    let name = |pat: &Pat| match pat {
        Pat::Ident(ident) if ident.subpat.is_none() => Symbol::from(ident.ident.to_string()),
        Pat::Wild(_) => Symbol::intern("_"),
        _ => Symbol::default(),
    };
    Some(tuple.elems.iter().map(name).collect())
}

/// What [`uses_of`] needs from the code around a binding.
pub struct Around<'a> {
    /// The type `Self` and `self` stand for, in an `impl`.
    pub self_type: Option<Symbol>,
    /// What repeats the code the binding is in.
    pub driver: Driver,
    /// Resolves a path as the file's imports say.
    pub resolve: &'a dyn Fn(&syn::Path) -> Symbol,
}

/// Methods that put a value into a static cell: `EVENTS.set(tx)`, `CELL.get_or_init(|| tx)`.
const STATIC_SETTERS: [&str; 5] = ["set", "get_or_init", "replace", "store", "init"];

/// How `name` is used in `stmts` (those after its `let`, or a fn's body for a parameter).
pub fn uses_of(name: &str, stmts: &[syn::Stmt], around: &Around<'_>) -> BindingUse {
    let mut uses = Uses {
        names: vec![name.to_owned()],
        around,
        loops: 0,
        drivers: vec![around.driver],
        runs_once: false,
        found: BindingUse::default(),
        stored_in: Vec::new(),
        handoffs: Vec::new(),
        statics: Vec::new(),
        send_lines: Vec::new(),
        bodies: 0,
    };
    for stmt in stmts {
        uses.visit_stmt(stmt);
    }
    if let Some(syn::Stmt::Expr(tail, None)) = stmts.last() {
        uses.found.returned |= uses.is_returned(tail);
    }
    uses.found.stored_in = uses.stored_in.into();
    uses.found.handoffs = uses.handoffs.into();
    uses.found.statics = uses.statics.into();
    uses.found.send_lines = uses.send_lines.into();
    uses.found
}

struct Uses<'a> {
    /// The name and the names it is copied to (`let other = tx.clone();`).
    names: Vec<String>,
    around: &'a Around<'a>,
    /// Loops, and closures that may run more than once, around the current expression.
    loops: u32,
    /// What repeats the current expression: the binding's own driver, then the loops inside.
    drivers: Vec<Driver>,
    /// The closure visited next is an argument of a [`RUN_ONCE`] call.
    runs_once: bool,
    found: BindingUse,
    stored_in: Vec<Symbol>,
    handoffs: Vec<Handoff>,
    statics: Vec<Symbol>,
    send_lines: Vec<u32>,
    /// Closures and async blocks around the current expression: a `return` in one is theirs.
    bodies: u32,
}

impl Uses<'_> {
    fn is_name(&self, expr: &Expr) -> bool {
        matches!(expr, Expr::Path(path) if path.qself.is_none() && self.names_path(&path.path))
    }

    fn names_path(&self, path: &syn::Path) -> bool {
        path.get_ident().is_some_and(|ident| self.names.iter().any(|name| ident == name))
    }

    /// The name itself, a reference to it or a clone of it: what a struct field, a router or a
    /// call is given.
    fn is_name_or_clone(&self, expr: &Expr) -> bool {
        match expr {
            Expr::MethodCall(call) => call.method == "clone" && call.args.is_empty() && self.is_name(&call.receiver),
            Expr::Reference(reference) => self.is_name_or_clone(&reference.expr),
            expr => self.is_name(expr),
        }
    }

    /// Whether a returned expression hands the name back: itself, or in a tuple.
    fn is_returned(&self, expr: &Expr) -> bool {
        match expr {
            Expr::Tuple(tuple) => tuple.elems.iter().any(|elem| self.is_name_or_clone(elem)),
            expr => self.is_name_or_clone(expr),
        }
    }

    fn driver(&self) -> Driver {
        self.drivers.iter().copied().max().unwrap_or_default()
    }

    /// Records `Owner.field`, when the struct is known.
    fn store_in(&mut self, owner: Option<&syn::Ident>, member: &syn::Member) {
        let owner = match owner {
            Some(owner) if owner != "Self" => owner.to_string(),
            _ => match self.around.self_type {
                Some(owner) => owner.to_string(),
                None => return,
            },
        };
        if let syn::Member::Named(field) = member {
            let stored = Symbol::from(format!("{owner}.{field}"));
            if !self.stored_in.contains(&stored) {
                self.stored_in.push(stored);
            }
        }
    }

    fn in_loop(&mut self, looped: Option<Loop<'_>>, visit: impl FnOnce(&mut Self)) {
        self.loops += 1;
        let driver = looped.map_or(Driver::Iteration, super::drivers::of_loop);
        self.drivers.push(driver);
        visit(self);
        self.drivers.pop();
        self.loops -= 1;
    }

    /// Visits the arguments of a call of `callee` (its resolved path, or a method's name),
    /// recording those that hand the name on.
    fn visit_args<'ast>(
        &mut self,
        callee: Option<(&syn::Ident, Symbol, bool)>,
        args: impl IntoIterator<Item = &'ast Expr>,
    ) {
        let once = callee.as_ref().is_some_and(|(name, ..)| RUN_ONCE.iter().any(|run| name == run));
        for (position, arg) in args.into_iter().enumerate() {
            if let Some((_, callee, method)) = callee.filter(|_| self.is_name_or_clone(arg)) {
                let handoff = Handoff { callee, method, position: position as u32, driver: self.driver() };
                if !self.handoffs.contains(&handoff) {
                    self.handoffs.push(handoff);
                }
            }
            self.runs_once = once && matches!(arg, Expr::Closure(_));
            self.visit_expr(arg);
            self.runs_once = false;
        }
    }
}

impl<'ast> Visit<'ast> for Uses<'_> {
    fn visit_expr_method_call(&mut self, call: &'ast syn::ExprMethodCall) {
        if APP_STATE_METHODS.iter().any(|name| call.method == name) {
            self.found.to_app_state |= call.args.iter().any(|arg| self.is_name_or_clone(arg));
        }
        // A static cell it is put in: `EVENTS.set(tx)`.
        if let Expr::Path(cell) = &*call.receiver {
            let is_setter = STATIC_SETTERS.iter().any(|name| call.method == name);
            if is_setter && cell.qself.is_none() && call.args.iter().any(|arg| self.is_set_value(arg)) {
                let path = (self.around.resolve)(&cell.path);
                if !self.statics.contains(&path) {
                    self.statics.push(path);
                }
            }
        }
        if !self.is_name(&call.receiver) {
            self.visit_expr(&call.receiver);
            let method = Symbol::from(call.method.to_string());
            return self.visit_args(Some((&call.method, method, true)), &call.args);
        }
        let method = call.method.to_string();
        if SENDS.contains(&method.as_str()) {
            self.found.sends += 1;
            self.found.sends_in_loop |= self.loops > 0;
            self.send_lines.push(call.method.span().start().line as u32);
        } else if method == "clone" {
            self.found.escapes = true;
        }
        self.visit_args(None, &call.args);
    }

    fn visit_expr_call(&mut self, call: &'ast syn::ExprCall) {
        let is_drop = matches!(&*call.func, Expr::Path(f) if f.path.segments.last().is_some_and(|s| s.ident == "drop"));
        if is_drop && call.args.len() == 1 && self.is_name(&call.args[0]) {
            return;
        }
        self.visit_expr(&call.func);
        let callee = match &*call.func {
            Expr::Path(path) => {
                path.path.segments.iter().rev().find(|s| s.ident != "new").map(|segment| &segment.ident)
            }
            _ => None,
        };
        if callee.is_some_and(|callee| APP_STATE_CALLS.iter().any(|name| callee == name)) {
            self.found.to_app_state |= call.args.iter().any(|arg| self.is_name_or_clone(arg));
        }
        // Wrapped in an enum's variant: `ChannelSender::Unbounded(tx)` holds it as a field would.
        let wrapped = call.args.len() == 1 && call.args.first().is_some_and(|arg| self.is_name_or_clone(arg));
        if let (true, Expr::Path(func)) = (wrapped, &*call.func) {
            let mut segments = func.path.segments.iter().rev();
            if let (Some(case), Some(owner)) = (segments.next(), segments.next()) {
                let is_type = |ident: &syn::Ident| ident.to_string().starts_with(|c: char| c.is_ascii_uppercase());
                if is_type(&case.ident) && is_type(&owner.ident) {
                    self.store_in(Some(&owner.ident), &syn::Member::Named(case.ident.clone()));
                }
            }
        }
        let callee = match &*call.func {
            Expr::Path(path) if path.qself.is_none() => {
                path.path.segments.last().map(|segment| (&segment.ident, (self.around.resolve)(&path.path), false))
            }
            _ => None,
        };
        self.visit_args(callee, &call.args);
    }

    fn visit_expr_struct(&mut self, expr: &'ast syn::ExprStruct) {
        let owner = expr.path.segments.last().map(|segment| &segment.ident);
        for field in &expr.fields {
            if self.is_name_or_clone(&field.expr) {
                self.store_in(owner, &field.member);
            }
        }
        visit::visit_expr_struct(self, expr);
    }

    fn visit_expr_assign(&mut self, expr: &'ast syn::ExprAssign) {
        if let Expr::Field(field) = &*expr.left {
            let on_self = matches!(&*field.base, Expr::Path(base) if base.path.is_ident("self"));
            if on_self && self.is_name_or_clone(&expr.right) {
                self.store_in(None, &field.member);
            }
        }
        visit::visit_expr_assign(self, expr);
    }

    /// `let other = tx.clone();`: sends through `other` are sends into the same channel.
    fn visit_local(&mut self, local: &'ast syn::Local) {
        if let Some(init) = &local.init {
            self.visit_expr(&init.expr);
            if let Some((_, diverge)) = &init.diverge {
                self.visit_expr(diverge);
            }
            if let (syn::Pat::Ident(alias), true) = (&local.pat, self.is_name_or_clone(&init.expr)) {
                self.names.push(alias.ident.to_string());
            }
        }
    }

    fn visit_expr_return(&mut self, expr: &'ast syn::ExprReturn) {
        if let Some(returned) = &expr.expr {
            self.found.returned |= self.bodies == 0 && self.is_returned(returned);
        }
        visit::visit_expr_return(self, expr);
    }

    fn visit_expr_closure(&mut self, closure: &'ast syn::ExprClosure) {
        self.bodies += 1;
        if std::mem::take(&mut self.runs_once) {
            visit::visit_expr_closure(self, closure);
        } else {
            self.in_loop(None, |uses| visit::visit_expr_closure(uses, closure));
        }
        self.bodies -= 1;
    }

    fn visit_expr_async(&mut self, block: &'ast syn::ExprAsync) {
        self.bodies += 1;
        visit::visit_expr_async(self, block);
        self.bodies -= 1;
    }

    fn visit_expr_path(&mut self, path: &'ast syn::ExprPath) {
        if path.qself.is_none() && self.names_path(&path.path) {
            self.found.escapes = true;
        }
    }

    fn visit_expr_for_loop(&mut self, expr: &'ast syn::ExprForLoop) {
        self.in_loop(Some(Loop::For(expr)), |uses| visit::visit_expr_for_loop(uses, expr));
    }

    fn visit_expr_while(&mut self, expr: &'ast syn::ExprWhile) {
        self.in_loop(Some(Loop::While(expr)), |uses| visit::visit_expr_while(uses, expr));
    }

    fn visit_expr_loop(&mut self, expr: &'ast syn::ExprLoop) {
        self.in_loop(Some(Loop::Plain(expr)), |uses| visit::visit_expr_loop(uses, expr));
    }

    /// Macro bodies are tokens: a name in one could be anything, so it counts as handed on.
    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        fn mentions(tokens: proc_macro2::TokenStream, names: &[String]) -> bool {
            tokens.into_iter().any(|token| match token {
                TokenTree::Ident(ident) => names.iter().any(|name| ident == name),
                TokenTree::Group(group) => mentions(group.stream(), names),
                _ => false,
            })
        }
        if mentions(mac.tokens.clone(), &self.names) {
            self.found.escapes = true;
        }
    }

    /// A nested fn cannot see the binding.
    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

impl Uses<'_> {
    /// The value a static cell is given: the name, or a closure returning it (`get_or_init`).
    fn is_set_value(&self, arg: &Expr) -> bool {
        match arg {
            Expr::Closure(closure) => self.is_returned(&closure.body),
            Expr::Call(call) => call.args.iter().any(|inner| self.is_name_or_clone(inner)),
            arg => self.is_name_or_clone(arg),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(path: &syn::Path) -> Symbol {
        Symbol::from(quote::ToTokens::to_token_stream(path).to_string().replace(' ', ""))
    }

    fn found(body: &str, self_type: Option<&str>) -> BindingUse {
        let block: syn::Block = syn::parse_str(&format!("{{ {body} }}")).unwrap();
        let around = Around { self_type: self_type.map(Symbol::from), driver: Driver::Once, resolve: &written };
        uses_of("tx", &block.stmts, &around)
    }

    fn uses(body: &str) -> (u32, bool, bool) {
        let found = found(body, None);
        (found.sends, found.sends_in_loop, found.escapes)
    }

    #[test]
    fn sends_loops_and_hand_offs_are_told_apart() {
        assert_eq!(uses("drop(tx); rx.recv();"), (0, false, false));
        assert_eq!(uses("std::thread::spawn(move || { tx.send(answer()).unwrap(); });"), (1, false, false));
        assert_eq!(uses("tokio::spawn(async move { loop { tx.send(next().await); } });"), (1, true, false));
        assert_eq!(uses("for x in xs { tx.send(x); }"), (1, true, false));
        assert_eq!(uses("let worker = Worker { tx };"), (0, false, true));
        // A copy is the same sender: its sends count.
        assert_eq!(uses("let other = tx.clone(); other.send(1);"), (1, false, true));
        assert_eq!(uses("tokio::select! { _ = tick() => { tx.send(1); } }"), (0, false, true));
        assert_eq!(uses("fn inner(tx: Sender) { tx.send(1); }"), (0, false, false));
        // A callback may run any number of times; a spawned closure runs once.
        assert_eq!(uses("let w = watcher(move |event| { tx.send(event).unwrap(); });"), (1, true, false));
        assert_eq!(uses("std::thread::Builder::new().spawn(move || tx.send(1));"), (1, false, false));
        assert_eq!(uses("items.iter().for_each(|item| { tx.send(item); });"), (1, true, false));
    }

    #[test]
    fn fields_and_router_state_the_sender_goes_to_are_recorded() {
        let stored = |body: &str| {
            let found = found(body, Some("Notifier"));
            let fields: Vec<String> = found.stored_in.iter().map(|f| f.as_str().to_owned()).collect();
            (fields, found.to_app_state)
        };
        assert_eq!(stored("let w = Worker { tx };"), (vec!["Worker.tx".into()], false));
        assert_eq!(stored("let s = AppState { events: tx.clone(), db };"), (vec!["AppState.events".into()], false));
        assert_eq!(stored("Self { tx }"), (vec!["Notifier.tx".into()], false));
        assert_eq!(stored("self.outbox = tx;"), (vec!["Notifier.outbox".into()], false));
        assert_eq!(stored("other.outbox = tx;"), (vec![], false), "a field of a value of unknown type");
        assert_eq!(
            stored("let s = AppState { events: wrap(tx) };"),
            (vec![], false),
            "a wrapped sender is another value"
        );
        assert_eq!(stored("Router::new().with_state(tx)"), (vec![], true));
        assert_eq!(stored("app.layer(Extension(tx.clone()))"), (vec![], true));
        assert_eq!(stored("App::new().app_data(web::Data::new(tx))"), (vec![], true));
        assert_eq!(stored("let data = Arc::new(tx);"), (vec![], false));
    }

    #[test]
    fn where_a_sender_goes_is_followed_through_calls_statics_returns_and_loops() {
        let handoffs = |body: &str| {
            let found = found(body, None);
            found
                .handoffs
                .iter()
                .map(|h| (h.callee.as_str().to_owned(), h.method, h.position, h.driver))
                .collect::<Vec<_>>()
        };
        assert_eq!(handoffs("jobs::start(db, tx.clone());"), [("jobs::start".to_owned(), false, 1, Driver::Once)]);
        assert_eq!(handoffs("let t = tx; registry.register(&t);"), [("register".to_owned(), true, 0, Driver::Once)]);
        assert_eq!(
            handoffs("loop { let (socket, _) = listener.accept().await?; spawn(serve(socket, tx.clone())); }"),
            [("serve".to_owned(), false, 1, Driver::Connection)]
        );
        assert_eq!(handoffs("tx.send(1); drop(tx);"), []);
        assert_eq!(&*found("EVENTS.set(tx).unwrap();", None).statics, [Symbol::from("EVENTS")]);
        assert_eq!(&*found("CELL.get_or_init(|| tx.clone());", None).statics, [Symbol::from("CELL")]);
        assert!(found("spawn(run(rx)); (tx, handle)", None).returned);
        assert!(
            !found("spawn(async move { return tx; }); handle", None).returned,
            "a closure's return is not the fn's"
        );
        let lines = |body: &str| found(body, None).send_lines.to_vec();
        assert_eq!(lines("tx.send(1);\nlet t = tx.clone();\nfor i in 0..3 {\n    t.send(i);\n}"), [1, 4]);
    }

    #[test]
    fn tuple_patterns_name_their_parts() {
        let names = |pat: &str| {
            let local: syn::Stmt = syn::parse_str(&format!("let {pat} = f();")).unwrap();
            let syn::Stmt::Local(local) = local else { unreachable!() };
            tuple_names(&local.pat).map(|names| names.iter().map(|n| n.as_str().to_owned()).collect::<Vec<_>>())
        };
        assert_eq!(names("(tx, _)"), Some(vec!["tx".into(), "_".into()]));
        assert_eq!(names("(mut tx, rx): (A, B)"), Some(vec!["tx".into(), "rx".into()]));
        assert_eq!(names("(tx, (a, b))"), Some(vec!["tx".into(), "".into()]));
        assert_eq!(names("pair"), None);
    }
}
