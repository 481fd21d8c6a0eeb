//! Tuple bindings of calls and how their first name is used: `let (tx, rx) = channel();`
//! then `tx.send(..)` once, in a loop, never, or handed on. What a channel carries depends on
//! its sender, and most senders are used in the block that creates them.

use crate::facts::{BindingUse, Symbol};
use proc_macro2::TokenTree;
use syn::visit::{self, Visit};
use syn::{Expr, Pat};

/// Method names that put a message into a channel.
const SENDS: [&str; 10] = [
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

/// How `name` is used in `stmts` (those after its `let`).
pub fn uses_of(name: &str, stmts: &[syn::Stmt]) -> BindingUse {
    let mut uses = Uses { name, loops: 0, runs_once: false, found: BindingUse::default() };
    for stmt in stmts {
        uses.visit_stmt(stmt);
    }
    uses.found
}

struct Uses<'a> {
    name: &'a str,
    /// Loops, and closures that may run more than once, around the current expression.
    loops: u32,
    /// The closure visited next is an argument of a [`RUN_ONCE`] call.
    runs_once: bool,
    found: BindingUse,
}

impl Uses<'_> {
    fn is_name(&self, expr: &Expr) -> bool {
        matches!(expr, Expr::Path(path) if path.qself.is_none() && path.path.is_ident(self.name))
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
            Expr::Path(path) => path.path.segments.last().map(|segment| &segment.ident),
            _ => None,
        };
        self.visit_args(callee, &call.args);
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
        let found = uses_of("tx", &block.stmts);
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
