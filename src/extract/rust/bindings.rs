//! Tuple bindings of calls and how their first name is used: `let (tx, rx) = channel();`
//! then `tx.send(..)` once, in a loop, never, or handed on. What a channel carries depends on
//! its sender, and most senders are used in the block that creates them.

use crate::facts::{BindingUse, Symbol, SENDS};
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

/// How `name` is used in `stmts` (those after its `let`), in an `impl` of `self_type`.
pub fn uses_of(name: &str, stmts: &[syn::Stmt], self_type: Option<Symbol>) -> BindingUse {
    let mut uses =
        Uses { name, self_type, loops: 0, runs_once: false, found: BindingUse::default(), stored_in: Vec::new() };
    for stmt in stmts {
        uses.visit_stmt(stmt);
    }
    uses.found.stored_in = uses.stored_in.into();
    uses.found
}

struct Uses<'a> {
    name: &'a str,
    /// The type `Self` and `self` stand for.
    self_type: Option<Symbol>,
    /// Loops, and closures that may run more than once, around the current expression.
    loops: u32,
    /// The closure visited next is an argument of a [`RUN_ONCE`] call.
    runs_once: bool,
    found: BindingUse,
    stored_in: Vec<Symbol>,
}

impl Uses<'_> {
    fn is_name(&self, expr: &Expr) -> bool {
        matches!(expr, Expr::Path(path) if path.qself.is_none() && path.path.is_ident(self.name))
    }

    /// The name itself, or a clone of it: what a struct field or a router is given.
    fn is_name_or_clone(&self, expr: &Expr) -> bool {
        match expr {
            Expr::MethodCall(call) => call.method == "clone" && call.args.is_empty() && self.is_name(&call.receiver),
            expr => self.is_name(expr),
        }
    }

    /// Records `Owner.field`, when the struct is known.
    fn store_in(&mut self, owner: Option<&syn::Ident>, member: &syn::Member) {
        let owner = match owner {
            Some(owner) if owner != "Self" => owner.to_string(),
            _ => match self.self_type {
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

    fn in_loop(&mut self, visit: impl FnOnce(&mut Self)) {
        self.loops += 1;
        visit(self);
        self.loops -= 1;
    }

    /// Visits the arguments of a call of `callee`.
    fn visit_args<'ast>(&mut self, callee: Option<&syn::Ident>, args: impl IntoIterator<Item = &'ast Expr>) {
        let once = callee.is_some_and(|name| RUN_ONCE.iter().any(|run| name == run));
        for arg in args {
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
        if !self.is_name(&call.receiver) {
            self.visit_expr(&call.receiver);
            return self.visit_args(Some(&call.method), &call.args);
        }
        let method = call.method.to_string();
        if SENDS.contains(&method.as_str()) {
            self.found.sends += 1;
            self.found.sends_in_loop |= self.loops > 0;
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
        let callee = match &*call.func {
            Expr::Path(path) => path.path.segments.last().map(|segment| &segment.ident),
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

    fn visit_expr_closure(&mut self, closure: &'ast syn::ExprClosure) {
        if std::mem::take(&mut self.runs_once) {
            visit::visit_expr_closure(self, closure);
        } else {
            self.in_loop(|uses| visit::visit_expr_closure(uses, closure));
        }
    }

    fn visit_expr_path(&mut self, path: &'ast syn::ExprPath) {
        if path.qself.is_none() && path.path.is_ident(self.name) {
            self.found.escapes = true;
        }
    }

    fn visit_expr_for_loop(&mut self, expr: &'ast syn::ExprForLoop) {
        self.in_loop(|uses| visit::visit_expr_for_loop(uses, expr));
    }

    fn visit_expr_while(&mut self, expr: &'ast syn::ExprWhile) {
        self.in_loop(|uses| visit::visit_expr_while(uses, expr));
    }

    fn visit_expr_loop(&mut self, expr: &'ast syn::ExprLoop) {
        self.in_loop(|uses| visit::visit_expr_loop(uses, expr));
    }

    /// Macro bodies are tokens: a name in one could be anything, so it counts as handed on.
    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        fn mentions(tokens: proc_macro2::TokenStream, name: &str) -> bool {
            tokens.into_iter().any(|token| match token {
                TokenTree::Ident(ident) => ident == name,
                TokenTree::Group(group) => mentions(group.stream(), name),
                _ => false,
            })
        }
        if mentions(mac.tokens.clone(), self.name) {
            self.found.escapes = true;
        }
    }

    /// A nested fn cannot see the binding.
    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uses(body: &str) -> (u32, bool, bool) {
        let block: syn::Block = syn::parse_str(&format!("{{ {body} }}")).unwrap();
        let found = uses_of("tx", &block.stmts, None);
        (found.sends, found.sends_in_loop, found.escapes)
    }

    #[test]
    fn sends_loops_and_hand_offs_are_told_apart() {
        assert_eq!(uses("drop(tx); rx.recv();"), (0, false, false));
        assert_eq!(uses("std::thread::spawn(move || { tx.send(answer()).unwrap(); });"), (1, false, false));
        assert_eq!(uses("tokio::spawn(async move { loop { tx.send(next().await); } });"), (1, true, false));
        assert_eq!(uses("for x in xs { tx.send(x); }"), (1, true, false));
        assert_eq!(uses("let worker = Worker { tx };"), (0, false, true));
        assert_eq!(uses("let other = tx.clone(); other.send(1);"), (0, false, true));
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
            let block: syn::Block = syn::parse_str(&format!("{{ {body} }}")).unwrap();
            let found = uses_of("tx", &block.stmts, Some(Symbol::from("Notifier")));
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
