//! One walk over a file's AST that records calls, method calls, macros, fns, attributes and
//! `use` items, each with its resolved path, its async and test context and its span.

use super::bindings::Around;
use super::drivers::Loop;
use super::imports::{flatten, may_come_from_glob, Scope, Scopes};
use super::macros::{parse_body, Body};
use crate::facts::{
    self, Argument, ArgumentRange, AttributeFact, BindingUse, CallFact, CodeContext, ContextId, Driver, FnFact,
    Literal, MacroFact, MethodCallFact, ParamFlow, RareList, RustFacts, SenderField, SqlText, StateFact, TupleBinding,
    UseFact,
};
use crate::location::{LineIndex, LineTable};
use crate::symbol::Symbol;
use proc_macro2::Span;
use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt::Write;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::visit::{self, Visit};
use syn::{Attribute, Expr, Item, Meta, Signature, Token, Visibility};

/// A fn, closure or async block: what decides the async context of the code inside it.
/// A name bound by `let`: see [`FactVisitor::locals`].
struct Local {
    name: syn::Ident,
    root: Option<Symbol>,
    field: Option<Symbol>,
    /// The enum whose variant the name was taken out of (`ChannelSender::Unbounded(tx) =>`),
    /// with the variant as its `field`: a send on it is a send through that variant.
    variant_of: Option<Symbol>,
}

struct Frame {
    function: Option<Symbol>,
    is_async: bool,
    /// The parameters whose type the signature shows, with the type their methods reach
    /// (`self` with the impl's type, `State(state): State<Arc<AppState>>` with `AppState`).
    params: Vec<(syn::Ident, Symbol)>,
}

pub struct FactVisitor<'a> {
    index: &'a LineIndex<'a>,
    scopes: &'a Scopes,
    /// The scope of the current inline module, looked up when the module changes.
    scope: &'a Scope,
    path_buffer: RefCell<String>,
    module: Vec<String>,
    /// `module` joined with `::`, kept in step with it: every fact records it.
    module_key: String,
    module_symbol: Symbol,
    frames: Vec<Frame>,
    /// The self type of each `impl` block around, innermost last.
    impl_types: Vec<Option<Symbol>>,
    test_depth: u32,
    /// `use` items inside blocks (fn bodies, nested blocks): visible only there. A glob is
    /// held under the name `*`, which no identifier can be.
    block_scopes: Vec<Vec<(String, String)>>,
    /// Local names bound by `let` in the enclosing blocks, innermost last, each with the chain
    /// root of its value when that is a call of a path (`let stdin = io::stdin();`): a method
    /// called on the name has that root, as if called on the value.
    /// And the field last read in it (`let guard = state.sessions.lock().await;`).
    locals: Vec<Local>,
    /// (module, resolved path, in test) of the paths recorded: each is recorded once per
    /// module, at its first occurrence — what a dependency graph needs, at a fraction of the cost.
    /// Paths already recorded, by inline module and then by whether in test code.
    seen_paths: foldhash::HashMap<Symbol, [foldhash::HashSet<Symbol>; 2]>,
    /// Whether to record module paths at all.
    record_paths: bool,
    /// The contexts recorded so far, by value.
    context_ids: foldhash::HashMap<CodeContext, ContextId>,
    /// What repeats the code being visited within its fn: the loops around it, or the callback
    /// its fn is.
    drivers: Vec<Driver>,
    /// The trait of each `impl` around the code, innermost last.
    impl_traits: Vec<Option<String>>,
    /// The static whose initializer is being visited: a sender its lazy initializer returns is
    /// kept in it.
    current_static: Option<Symbol>,
    /// The receiver's chain root, found by the method call around the one visited next (by its
    /// address): a chain `a.b().c().d()` is walked once rather than once per call, which made
    /// long chains quadratic.
    next_in_chain: Option<(usize, ChainStart)>,
    facts: RustFacts,
}

/// What the calls of one method chain share: the root and its arguments, the field last read
/// below them.
#[derive(Clone, Copy)]
struct ChainStart {
    root: Option<Symbol>,
    args: ArgumentRange,
    field: Option<Symbol>,
    ty: Option<Symbol>,
}

impl<'a> FactVisitor<'a> {
    pub fn new(index: &'a LineIndex<'a>, scopes: &'a Scopes, record_paths: bool) -> Self {
        FactVisitor {
            index,
            scopes,
            scope: scopes.scope(""),
            path_buffer: RefCell::default(),
            module: Vec::new(),
            module_key: String::new(),
            module_symbol: Symbol::default(),
            frames: Vec::new(),
            impl_types: Vec::new(),
            test_depth: 0,
            block_scopes: Vec::new(),
            locals: Vec::new(),
            seen_paths: Default::default(),
            record_paths,
            context_ids: Default::default(),
            drivers: Vec::new(),
            impl_traits: Vec::new(),
            current_static: None,
            next_in_chain: None,
            facts: RustFacts::default(),
        }
    }

    pub fn into_facts(mut self, lines: LineTable) -> RustFacts {
        self.facts.lines = lines;
        self.facts.bindings.sort_by_key(|binding| binding.call);
        self.facts.shrink_to_fit();
        self.facts
    }

    fn span(&self, start: Span, end: Span) -> crate::location::Span {
        let (start, end) = (start.start(), end.end());
        self.index.span((start.line as u32, start.column), (end.line as u32, end.column))
    }

    fn set_module_key(&mut self) {
        self.module_key = self.module.join("::");
        self.module_symbol = Symbol::intern(&self.module_key);
        self.scope = self.scopes.scope(&self.module_key);
    }

    fn span_of(&self, span: Span) -> crate::location::Span {
        self.span(span, span)
    }

    fn in_test(&self) -> bool {
        self.test_depth > 0
    }

    /// The current context among the file's, added when first used.
    fn context(&mut self) -> ContextId {
        let context = CodeContext {
            in_async: self.frames.last().is_some_and(|frame| frame.is_async),
            in_test: self.in_test(),
            function: self.frames.iter().rev().find_map(|frame| frame.function),
            module: self.module_symbol,
            driver: self.driver(),
        };
        let next = ContextId(self.facts.contexts.len() as u32);
        let id = *self.context_ids.entry(context).or_insert(next);
        if id == next {
            self.facts.contexts.push(context);
        }
        id
    }

    /// What repeats the code being visited: the strongest driver around it in its fn.
    fn driver(&self) -> Driver {
        self.drivers.iter().copied().max().unwrap_or_default()
    }

    /// Visits a loop with its driver on the stack.
    fn in_loop(&mut self, looped: Loop<'_>, visit: impl FnOnce(&mut Self)) {
        self.drivers.push(super::drivers::of_loop(looped));
        visit(self);
        self.drivers.pop();
    }

    /// Resolves a path written in the current module through the enclosing blocks' imports,
    /// then the module's.
    fn resolve_text<'w>(&self, written: &'w str) -> Cow<'w, str> {
        let first = written.split(':').next().unwrap_or(written);
        let block_import =
            self.block_scopes.iter().rev().find_map(|scope| scope.iter().rev().find(|(name, _)| name == first));
        match block_import {
            Some((_, target)) => Cow::Owned(format!("{target}{}", &written[first.len()..])),
            None => self.scope.resolve(&self.module, &self.module_key, written),
        }
    }

    /// Calls `f` with the text of `path` as written (`mpsc::channel`, without generics) and
    /// resolved; `::std::..` is already absolute. The text is built in a buffer the visitor
    /// reuses: every path of the file passes through here.
    fn with_path<R>(&self, path: &syn::Path, f: impl FnOnce(&str, Cow<'_, str>) -> R) -> R {
        let mut buffer = self.path_buffer.borrow_mut();
        buffer.clear();
        for segment in &path.segments {
            if !buffer.is_empty() {
                buffer.push_str("::");
            }
            let _ = write!(buffer, "{}", segment.ident);
        }
        let resolved =
            if path.leading_colon.is_some() { Cow::Borrowed(buffer.as_str()) } else { self.resolve_text(&buffer) };
        f(&buffer, resolved)
    }

    /// An identifier's name, interned without a `String` of its own.
    fn ident_symbol(&self, ident: &syn::Ident) -> Symbol {
        let mut buffer = self.path_buffer.borrow_mut();
        buffer.clear();
        let _ = write!(buffer, "{ident}");
        Symbol::intern(&buffer)
    }

    /// The resolved path of `path`.
    fn resolved(&self, path: &syn::Path) -> Symbol {
        self.with_path(path, |_, resolved| Symbol::intern(&resolved))
    }

    /// (written, resolved, glob candidates, last segment) of a path in the current module.
    fn resolve(&self, path: &syn::Path) -> (Symbol, Symbol, RareList<Symbol>, Symbol) {
        self.with_path(path, |text, resolved| {
            let written = Symbol::intern(text);
            let name = Symbol::intern(text.rsplit(':').next().unwrap_or_default());
            let (resolved, candidates) = match resolved {
                Cow::Borrowed(_) if path.leading_colon.is_none() => {
                    let mut candidates = self.scope.glob_candidates(text);
                    if may_come_from_glob(text) {
                        let globs = self.block_scopes.iter().flatten().filter(|(name, _)| name == "*");
                        candidates.extend(globs.map(|(_, prefix)| format!("{prefix}::{text}")));
                    }
                    (written, candidates)
                }
                Cow::Borrowed(_) => (written, Vec::new()),
                Cow::Owned(resolved) => (Symbol::intern(&resolved), Vec::new()),
            };
            let candidates: Vec<Symbol> = candidates.iter().map(|c| Symbol::intern(c)).collect();
            (written, resolved, candidates.into(), name)
        })
    }

    /// The resolved path at the root of a chain, and the arguments of the call there:
    /// (`a::b`, `1`) for `a::b(1).c().d`.
    fn chain_root<'e>(&self, mut expr: &'e Expr) -> Option<(Symbol, Option<&'e CallArgs>)> {
        loop {
            expr = match expr {
                Expr::MethodCall(call) => &call.receiver,
                Expr::Call(call) => match &*call.func {
                    Expr::Path(p) if p.qself.is_none() => return Some((self.resolved(&p.path), Some(&call.args))),
                    func => func,
                },
                Expr::Path(p) if p.qself.is_none() => {
                    let root =
                        self.local(&p.path).and_then(|local| local.root).unwrap_or_else(|| self.resolved(&p.path));
                    return Some((root, None));
                }
                Expr::Field(field) => &field.base,
                Expr::Try(inner) => &inner.expr,
                Expr::Await(inner) => &inner.base,
                Expr::Paren(inner) => &inner.expr,
                Expr::Reference(inner) => &inner.expr,
                _ => return None,
            };
        }
    }

    /// The `let` binding a one-segment path names, innermost first.
    fn local(&self, path: &syn::Path) -> Option<&Local> {
        let name = path.get_ident()?;
        self.locals.iter().rev().find(|local| local.name == *name)
    }

    /// The field last read in a chain — `sessions` for `state.sessions.lock().await`, or the one
    /// the local at its root was bound from — and the type of the parameter at its root, when
    /// the signature shows it (`AppState` for `State(state): State<AppState>`).
    fn last_field(&self, mut expr: &Expr) -> (Option<Symbol>, Option<Symbol>) {
        let mut last = None;
        loop {
            expr = match expr {
                Expr::MethodCall(call) => &call.receiver,
                Expr::Field(field) => {
                    last = last.or_else(|| {
                        Some(match &field.member {
                            syn::Member::Named(name) => self.ident_symbol(name),
                            syn::Member::Unnamed(index) => Symbol::from(index.index.to_string()),
                        })
                    });
                    &field.base
                }
                Expr::Try(inner) => &inner.expr,
                Expr::Await(inner) => &inner.base,
                Expr::Paren(inner) => &inner.expr,
                Expr::Reference(inner) => &inner.expr,
                Expr::Path(p) if p.qself.is_none() => {
                    let local = self.local(&p.path);
                    if let Some(variant) =
                        local.filter(|_| last.is_none()).and_then(|local| local.variant_of.zip(local.field))
                    {
                        return (Some(variant.1), Some(variant.0));
                    }
                    let field = last.or_else(|| local.and_then(|local| local.field));
                    return (field, self.param_type(&p.path));
                }
                _ => return (last, None),
            };
        }
    }

    fn arguments(&mut self, args: &CallArgs) -> ArgumentRange {
        let arguments: Vec<Argument> = args
            .iter()
            .map(|arg| Argument { value: literal(arg), root: self.chain_root(arg).map(|(path, _)| path) })
            .collect();
        self.facts.push_arguments(arguments)
    }

    fn with_frame(&mut self, frame: Frame, visit: impl FnOnce(&mut Self)) {
        self.frames.push(frame);
        visit(self);
        self.frames.pop();
    }

    fn record_fn(&mut self, sig: &Signature, attrs: &[Attribute], vis: Option<&Visibility>, is_method: bool) {
        let start = (sig.constness.as_ref().map(|t| t.span))
            .or(sig.asyncness.as_ref().map(|t| t.span))
            .or(sig.unsafety.as_ref().map(|t| t.span))
            .or(sig.abi.as_ref().map(|abi| abi.extern_token.span))
            .unwrap_or(sig.fn_token.span);
        let attributes = attrs.iter().filter(|a| !is_doc(a)).map(|a| self.resolved(a.path())).collect();
        self.facts.fns.push(FnFact {
            name: self.ident_symbol(&sig.ident),
            is_async: sig.asyncness.is_some(),
            is_pub: vis.is_some_and(|v| !matches!(v, Visibility::Inherited)),
            is_method,
            takes_self: sig.receiver().is_some(),
            owner: if is_method { self.impl_types.last().copied().flatten() } else { None },
            module: self.module_symbol,
            attributes,
            in_test: self.in_test(),
            span: self.span(start, sig.ident.span()),
        });
        attrs.iter().for_each(|attr| self.record_attribute(attr, Some(&sig.ident)));
        for input in &sig.inputs {
            let syn::FnArg::Typed(typed) = input else { continue };
            let Some(state) = super::state::extracted_state(&typed.ty) else { continue };
            let state = self.ident_symbol(state);
            if !self.facts.app_states.contains(&state) {
                self.facts.app_states.push(state);
            }
        }
    }

    /// How `name` is used in `stmts`, here.
    fn uses_of(&self, name: &str, stmts: &[syn::Stmt]) -> BindingUse {
        let resolve = |path: &syn::Path| self.resolved(path);
        let around =
            Around { self_type: self.impl_types.last().copied().flatten(), driver: self.driver(), resolve: &resolve };
        super::bindings::uses_of(name, stmts, &around)
    }

    /// Records the parameters of a fn that hold a channel's sender, with where each goes.
    fn record_param_flows(&mut self, sig: &Signature, body: &syn::Block, is_method: bool) {
        let typed = sig.inputs.iter().filter_map(|input| match input {
            syn::FnArg::Typed(typed) => Some(typed),
            syn::FnArg::Receiver(_) => None,
        });
        for (position, input) in typed.enumerate() {
            let Some(name) = super::state::bound_name(&input.pat) else { continue };
            if !super::state::value_type(&input.ty).is_some_and(|(_, ty)| ty.to_string().ends_with("Sender")) {
                continue;
            }
            let uses = self.uses_of(&name.to_string(), &body.stmts);
            let item_type = super::state::item_type(&input.ty).map(|ident| self.ident_symbol(ident));
            self.facts.param_flows.push(ParamFlow {
                owner: if is_method { self.impl_types.last().copied().flatten() } else { None },
                function: self.ident_symbol(&sig.ident),
                module: self.module_symbol,
                position: position as u32,
                uses,
                item_type,
            });
        }
    }

    /// Records a static or a field (`name`, or its position in a tuple struct, at `span`) of type
    /// `ty` when it is shared mutable state.
    fn record_state(&mut self, name: Symbol, span: Span, owner: Option<&syn::Ident>, ty: &syn::Type) {
        let Some(ty) = super::state::shared_collection(ty) else { return };
        self.facts.states.push(StateFact {
            name,
            owner: owner.map(|owner| self.ident_symbol(owner)).unwrap_or_default(),
            ty: Symbol::from(ty),
            module: self.module_symbol,
            in_test: self.in_test(),
            span: self.span_of(span),
        });
    }

    /// Records a path that reaches through a module (`a::b`, or a name imported from one).
    fn record_path(&mut self, path: &syn::Path) {
        let through_module = |text: &str, resolved: Cow<'_, str>| {
            resolved.contains("::").then(|| (Symbol::intern(text), Symbol::intern(&resolved)))
        };
        let Some((written, resolved)) = self.with_path(path, through_module) else { return };
        let seen = &mut self.seen_paths.entry(self.module_symbol).or_default()[usize::from(self.test_depth > 0)];
        if !seen.insert(resolved) {
            return;
        }
        self.facts.paths.push(crate::facts::PathFact {
            written,
            resolved,
            module: self.module_symbol,
            in_test: self.in_test(),
            span: self.span(path_start(path), path_end(path)),
        });
    }

    fn visit_fn_body(&mut self, sig: &Signature, visit: impl FnOnce(&mut Self)) {
        let params = sig
            .inputs
            .iter()
            .filter_map(|input| match input {
                syn::FnArg::Receiver(receiver) => {
                    Some((syn::Ident::new("self", receiver.self_token.span), (*self.impl_types.last()?)?))
                }
                syn::FnArg::Typed(typed) => self.typed_param(&typed.pat, &typed.ty),
            })
            .collect();
        let frame = Frame { function: Some(self.ident_symbol(&sig.ident)), is_async: sig.asyncness.is_some(), params };
        // A fn starts without the loops around its item; a callback a library calls per event
        // is driven by those events.
        let trait_name = self.impl_traits.last().cloned().flatten();
        let callback =
            trait_name.map_or(Driver::Once, |name| super::drivers::of_callback(&name, &sig.ident.to_string()));
        let outer = std::mem::replace(&mut self.drivers, vec![callback]);
        self.with_frame(frame, visit);
        self.drivers = outer;
    }

    /// A parameter's name with the type its methods reach, when both are plain.
    fn typed_param(&self, pat: &syn::Pat, ty: &syn::Type) -> Option<(syn::Ident, Symbol)> {
        let name = super::state::bound_name(pat)?;
        let (_, ty) = super::state::value_type(ty)?;
        Some((name.clone(), self.ident_symbol(ty)))
    }

    /// The type of the value a one-segment path names, when it is a parameter whose type the
    /// signature shows and no `let` hides it.
    fn param_type(&self, path: &syn::Path) -> Option<Symbol> {
        let name = path.get_ident()?;
        if self.local(path).is_some() {
            return None;
        }
        let params = self.frames.iter().rev().flat_map(|frame| frame.params.iter());
        params.into_iter().find(|(param, _)| param == name).map(|(_, ty)| *ty)
    }

    fn visit_macro_body(&mut self, mac: &syn::Macro) {
        match parse_body(&mac.tokens) {
            Body::Exprs(exprs) => exprs.iter().for_each(|e| self.visit_expr(e)),
            Body::Stmts(stmts) => stmts.iter().for_each(|s| self.visit_stmt(s)),
        }
    }
}

/// The first token of a path. `Spanned::span` would get there by printing the whole path (or
/// call) back to tokens; facts are recorded for every path of a file.
fn path_start(path: &syn::Path) -> Span {
    match (&path.leading_colon, path.segments.first()) {
        (Some(colon), _) => colon.spans[0],
        (None, Some(first)) => first.ident.span(),
        (None, None) => path.span(),
    }
}

/// The last token of a path: its last segment, or the `>` closing that segment's generics.
fn path_end(path: &syn::Path) -> Span {
    match path.segments.last().map(|last| (&last.ident, &last.arguments)) {
        Some((ident, syn::PathArguments::None)) => ident.span(),
        Some((_, syn::PathArguments::AngleBracketed(generics))) => generics.gt_token.span,
        _ => path.span(),
    }
}

fn is_doc(attr: &Attribute) -> bool {
    attr.path().is_ident("doc")
}

/// Code compiled only for tests: `#[cfg(..)]` whose predicate is false outside test builds,
/// `#[test]`, `#[tokio::test]`, `#[rstest]`, ...
fn is_test_only(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|attr| {
        let Some(name) = attr.path().segments.last().map(|s| s.ident.to_string()) else { return false };
        match name.as_str() {
            "cfg" => attr.parse_args::<Meta>().is_ok_and(|predicate| cfg_outside_tests(&predicate) == Some(false)),
            "test" | "rstest" | "test_case" | "bench" => true,
            _ => false,
        }
    })
}

/// A cfg predicate evaluated for a build without `test`: `Some(false)` when it cannot hold,
/// `None` when it depends on something else (features, target).
fn cfg_outside_tests(predicate: &Meta) -> Option<bool> {
    match predicate {
        Meta::Path(path) if path.is_ident("test") => Some(false),
        // A feature whose name says test support (`testsuite`, `test-utils`, `mocks`) is what
        // tests enable: code behind it is test code.
        Meta::NameValue(nv) if nv.path.is_ident("feature") => match literal(&nv.value) {
            Literal::Str(name) if facts::names_test_support(&name) => Some(false),
            _ => None,
        },
        Meta::List(list) => {
            let items = list.parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated).ok()?;
            let values: Vec<Option<bool>> = items.iter().map(cfg_outside_tests).collect();
            let all = |v: bool| values.iter().all(|x| *x == Some(v));
            if list.path.is_ident("all") {
                if values.contains(&Some(false)) {
                    Some(false)
                } else {
                    all(true).then_some(true)
                }
            } else if list.path.is_ident("any") {
                if values.contains(&Some(true)) {
                    Some(true)
                } else {
                    all(false).then_some(false)
                }
            } else if list.path.is_ident("not") && values.len() == 1 {
                values[0].map(|v| !v)
            } else {
                None
            }
        }
        _ => None,
    }
}

fn item_attrs(item: &Item) -> &[Attribute] {
    match item {
        Item::Const(i) => &i.attrs,
        Item::Enum(i) => &i.attrs,
        Item::ExternCrate(i) => &i.attrs,
        Item::Fn(i) => &i.attrs,
        Item::ForeignMod(i) => &i.attrs,
        Item::Impl(i) => &i.attrs,
        Item::Macro(i) => &i.attrs,
        Item::Mod(i) => &i.attrs,
        Item::Static(i) => &i.attrs,
        Item::Struct(i) => &i.attrs,
        Item::Trait(i) => &i.attrs,
        Item::TraitAlias(i) => &i.attrs,
        Item::Type(i) => &i.attrs,
        Item::Union(i) => &i.attrs,
        Item::Use(i) => &i.attrs,
        _ => &[],
    }
}

fn literal(expr: &Expr) -> Literal {
    match expr {
        Expr::Lit(lit) => match &lit.lit {
            syn::Lit::Str(s) => Literal::Str(Symbol::from(s.value())),
            syn::Lit::Int(i) => i.base10_parse().map_or(Literal::Other(()), Literal::Int),
            syn::Lit::Float(f) => f.base10_parse().map_or(Literal::Other(()), Literal::Float),
            syn::Lit::Bool(b) => Literal::Bool(b.value),
            _ => Literal::Other(()),
        },
        Expr::Unary(syn::ExprUnary { op: syn::UnOp::Neg(_), expr, .. }) => match literal(expr) {
            Literal::Int(i) => Literal::Int(-i),
            Literal::Float(f) => Literal::Float(-f),
            _ => Literal::Other(()),
        },
        Expr::Paren(inner) => literal(&inner.expr),
        _ => Literal::Other(()),
    }
}

fn literals<'e>(exprs: impl IntoIterator<Item = &'e Expr>) -> Box<[Literal]> {
    exprs.into_iter().map(literal).collect()
}

/// The arguments of a call or method call, as syn has them.
type CallArgs = Punctuated<Expr, Token![,]>;

impl<'ast> Visit<'ast> for FactVisitor<'_> {
    fn visit_item(&mut self, item: &'ast Item) {
        let test_only = is_test_only(item_attrs(item));
        self.test_depth += u32::from(test_only);
        visit::visit_item(self, item);
        self.test_depth -= u32::from(test_only);
    }

    fn visit_block(&mut self, block: &'ast syn::Block) {
        for (at, stmt) in block.stmts.iter().enumerate() {
            if let syn::Stmt::Local(local) = stmt {
                self.record_binding(local, &block.stmts[at + 1..]);
            }
        }
        let mut imports = Vec::new();
        for stmt in &block.stmts {
            if let syn::Stmt::Item(Item::Use(item)) = stmt {
                flatten(&item.tree, &mut Vec::new(), &mut imports);
            }
        }
        let scope: Vec<(String, String)> = imports
            .into_iter()
            .filter_map(|import| {
                let name = if import.is_glob { "*".to_owned() } else { import.name? };
                Some((name, self.resolve_text(&import.path.join("::")).into_owned()))
            })
            .collect();
        let scoped = !scope.is_empty();
        if scoped {
            self.block_scopes.push(scope);
        }
        let outer_locals = self.locals.len();
        for stmt in &block.stmts {
            self.visit_stmt(stmt);
            if let syn::Stmt::Local(local) = stmt {
                self.record_local(local);
            }
        }
        self.locals.truncate(outer_locals);
        if scoped {
            self.block_scopes.pop();
        }
    }

    fn visit_local(&mut self, local: &'ast syn::Local) {
        let test_only = is_test_only(&local.attrs);
        self.test_depth += u32::from(test_only);
        visit::visit_local(self, local);
        self.test_depth -= u32::from(test_only);
    }

    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        if item.content.is_none() {
            let path_attr = item.attrs.iter().find(|a| a.path().is_ident("path")).and_then(|a| match &a.meta {
                Meta::NameValue(nv) => match literal(&nv.value) {
                    Literal::Str(path) => Some(path),
                    _ => None,
                },
                _ => None,
            });
            self.facts.modules.push(crate::facts::ModDecl {
                name: Symbol::from(item.ident.to_string()),
                inline: self.module_symbol,
                path_attr,
                in_test: self.in_test(),
                span: self.span_of(item.ident.span()),
            });
        }
        self.module.push(item.ident.to_string());
        self.set_module_key();
        visit::visit_item_mod(self, item);
        self.module.pop();
        self.set_module_key();
    }

    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        let mut imports = Vec::new();
        flatten(&item.tree, &mut Vec::new(), &mut imports);
        let span = self.span_of(item.span());
        for import in imports {
            let path = Symbol::intern(&self.resolve_text(&import.path.join("::")));
            self.facts.uses.push(UseFact {
                path,
                name: import.name.map(Symbol::from),
                is_glob: import.is_glob,
                is_pub: !matches!(item.vis, Visibility::Inherited),
                module: self.module_symbol,
                in_test: self.in_test(),
                span,
            });
        }
    }

    fn visit_item_fn(&mut self, item: &'ast syn::ItemFn) {
        self.record_fn(&item.sig, &item.attrs, Some(&item.vis), false);
        self.visit_fn_body(&item.sig, |v| {
            v.record_param_flows(&item.sig, &item.block, false);
            v.visit_signature(&item.sig);
            v.visit_block(&item.block);
        });
    }

    fn visit_impl_item_fn(&mut self, item: &'ast syn::ImplItemFn) {
        let test_only = is_test_only(&item.attrs);
        self.test_depth += u32::from(test_only);
        self.record_fn(&item.sig, &item.attrs, Some(&item.vis), true);
        self.visit_fn_body(&item.sig, |v| {
            v.record_param_flows(&item.sig, &item.block, true);
            v.visit_signature(&item.sig);
            v.visit_block(&item.block);
        });
        self.test_depth -= u32::from(test_only);
    }

    fn visit_trait_item_fn(&mut self, item: &'ast syn::TraitItemFn) {
        let test_only = is_test_only(&item.attrs);
        self.test_depth += u32::from(test_only);
        self.record_fn(&item.sig, &item.attrs, None, true);
        self.visit_fn_body(&item.sig, |v| {
            v.visit_signature(&item.sig);
            if let Some(block) = &item.default {
                v.visit_block(block);
            }
        });
        self.test_depth -= u32::from(test_only);
    }

    fn visit_expr_closure(&mut self, closure: &'ast syn::ExprClosure) {
        let params = closure
            .inputs
            .iter()
            .filter_map(|input| match input {
                syn::Pat::Type(typed) => self.typed_param(&typed.pat, &typed.ty),
                _ => None,
            })
            .collect();
        let frame = Frame { function: None, is_async: closure.asyncness.is_some(), params };
        self.with_frame(frame, |v| visit::visit_expr_closure(v, closure));
    }

    fn visit_expr_async(&mut self, block: &'ast syn::ExprAsync) {
        self.with_frame(Frame { function: None, is_async: true, params: Vec::new() }, |v| {
            visit::visit_expr_async(v, block)
        });
    }

    fn visit_expr_await(&mut self, awaited: &'ast syn::ExprAwait) {
        // Only in the fn's own body: a task it spawns waiting does not hold its caller.
        let in_fn_body = self.frames.last().is_some_and(|frame| frame.function.is_some());
        if in_fn_body && awaits_held_future(&awaited.base) {
            let context = self.context();
            let line = awaited.await_token.span.start().line as u32;
            self.facts.waits.push(crate::facts::Wait { context, line });
        }
        visit::visit_expr_await(self, awaited);
    }

    fn visit_expr_struct(&mut self, expr: &'ast syn::ExprStruct) {
        let owner = expr.path.segments.last().and_then(|owner| {
            if owner.ident == "Self" {
                self.impl_types.last().copied().flatten()
            } else {
                Some(self.ident_symbol(&owner.ident))
            }
        });
        for field in expr.fields.iter().filter(|_| owner.is_some()) {
            let syn::Member::Named(name) = &field.member else { continue };
            let call = match &field.expr {
                Expr::Path(local) => self.local(&local.path).and_then(|local| local.root),
                value @ (Expr::Call(_) | Expr::Try(_) | Expr::Await(_)) => self.chain_root(value).map(|(root, _)| root),
                _ => None,
            };
            if let (Some(owner), Some(call)) = (owner, call) {
                let field = self.ident_symbol(name);
                self.facts.call_stores.push(crate::facts::CallStore { call, owner, field });
            }
        }
        visit::visit_expr_struct(self, expr);
    }

    fn visit_arm(&mut self, arm: &'ast syn::Arm) {
        let outer = self.locals.len();
        self.bind_variant(&arm.pat);
        visit::visit_arm(self, arm);
        self.locals.truncate(outer);
    }

    fn visit_expr_if(&mut self, expr: &'ast syn::ExprIf) {
        let outer = self.locals.len();
        if let Expr::Let(taken) = &*expr.cond {
            self.bind_variant(&taken.pat);
        }
        visit::visit_expr_if(self, expr);
        self.locals.truncate(outer);
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        // Types, expressions, patterns, trait bounds and `impl Trait for`: every path that
        // reaches through a module is a dependency.
        if self.record_paths {
            self.record_path(path);
        }
        visit::visit_path(self, path);
    }

    fn visit_expr_call(&mut self, call: &'ast syn::ExprCall) {
        if let Expr::Path(func) = &*call.func {
            if func.qself.is_none() {
                let (written, resolved, glob_candidates, name) = self.resolve(&func.path);
                let args = self.arguments(&call.args);
                let context = self.context();
                self.facts.calls.push(CallFact {
                    written,
                    resolved,
                    glob_candidates,
                    name,
                    args,
                    context,
                    span: self.span(path_start(&func.path), call.paren_token.span.close()),
                });
            }
        }
        visit::visit_expr_call(self, call);
    }

    fn visit_expr_method_call(&mut self, call: &'ast syn::ExprMethodCall) {
        let address = |call: &syn::ExprMethodCall| call as *const syn::ExprMethodCall as usize;
        let chain = match self.next_in_chain.take() {
            Some((at, chain)) if at == address(call) => chain,
            _ => {
                let (root, args) = self.chain_root(&call.receiver).unzip();
                let args = args.flatten().into_iter().flatten();
                let args = self.facts.push_arguments(args.map(|arg| Argument { value: literal(arg), root: None }));
                let (field, ty) = self.last_field(&call.receiver);
                ChainStart { root, args, field, ty }
            }
        };
        // The call on the receiver has the same chain start: `x.c()` of `x.c().d()`.
        if let Expr::MethodCall(inner) = &*call.receiver {
            self.next_in_chain = Some((address(inner), chain));
        }
        let args = self.arguments(&call.args);
        let context = self.context();
        self.facts.method_calls.push(MethodCallFact {
            name: self.ident_symbol(&call.method),
            receiver_root: chain.root,
            receiver_field: chain.field,
            receiver_type: chain.ty,
            receiver_args: chain.args,
            args,
            context,
            span: self.span(call.method.span(), call.paren_token.span.close()),
        });
        visit::visit_expr_method_call(self, call);
    }

    fn visit_item_impl(&mut self, item: &'ast syn::ItemImpl) {
        let self_type = match &*item.self_ty {
            syn::Type::Path(path) => path.path.segments.last().map(|segment| self.ident_symbol(&segment.ident)),
            _ => None,
        };
        let trait_name =
            item.trait_.as_ref().and_then(|(_, path, _)| path.segments.last()).map(|s| s.ident.to_string());
        self.impl_types.push(self_type);
        self.impl_traits.push(trait_name);
        visit::visit_item_impl(self, item);
        self.impl_traits.pop();
        self.impl_types.pop();
    }

    fn visit_item_static(&mut self, item: &'ast syn::ItemStatic) {
        self.record_state(self.ident_symbol(&item.ident), item.ident.span(), None, &item.ty);
        let path = self.resolve_text(&item.ident.to_string()).into_owned();
        let outer = self.current_static.replace(Symbol::from(path));
        visit::visit_item_static(self, item);
        self.current_static = outer;
    }

    fn visit_expr_loop(&mut self, expr: &'ast syn::ExprLoop) {
        self.in_loop(Loop::Plain(expr), |v| visit::visit_expr_loop(v, expr));
    }

    fn visit_expr_while(&mut self, expr: &'ast syn::ExprWhile) {
        self.in_loop(Loop::While(expr), |v| visit::visit_expr_while(v, expr));
    }

    fn visit_expr_for_loop(&mut self, expr: &'ast syn::ExprForLoop) {
        self.in_loop(Loop::For(expr), |v| visit::visit_expr_for_loop(v, expr));
    }

    fn visit_item_struct(&mut self, item: &'ast syn::ItemStruct) {
        for (position, field) in item.fields.iter().enumerate() {
            let (name, span) = match &field.ident {
                Some(name) => (self.ident_symbol(name), name.span()),
                None => (Symbol::from(position.to_string()), syn::spanned::Spanned::span(&field.ty)),
            };
            let test_only = is_test_only(&field.attrs);
            self.test_depth += u32::from(test_only);
            self.record_state(name, span, Some(&item.ident), &field.ty);
            let sender = super::state::value_type(&field.ty).is_some_and(|(_, ty)| ty.to_string().ends_with("Sender"));
            if let Some(message) = super::state::item_type(&field.ty).filter(|_| sender && field.ident.is_some()) {
                let field = Symbol::from(format!("{}.{name}", item.ident));
                self.facts.sender_fields.push(SenderField { field, item_type: self.ident_symbol(message) });
            }
            self.test_depth -= u32::from(test_only);
        }
        visit::visit_item_struct(self, item);
    }

    fn visit_item_macro(&mut self, item: &'ast syn::ItemMacro) {
        if !item.mac.path.is_ident("macro_rules") {
            visit::visit_item_macro(self, item);
        }
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        let (written, resolved, _, name) = self.resolve(&mac.path);
        let context = self.context();
        self.facts.macros.push(MacroFact {
            written,
            resolved,
            name,
            context,
            span: self.span(path_start(&mac.path), mac.delimiter.span().close()),
        });
        if let Some(dir) = super::sql_macros::migration_dir(name.as_str(), resolved.as_str(), &mac.tokens) {
            self.facts.migration_dirs.push(dir);
        }
        if let Some(words) = super::sql_macros::of_macro(name.as_str(), resolved.as_str(), &mac.tokens) {
            let span = self.span(path_start(&mac.path), mac.delimiter.span().close());
            self.facts.sql_texts.push(SqlText { words, context, span });
        }
        if name.as_str() == "lazy_static" {
            if let Ok(statics) = mac.parse_body::<super::state::LazyStatics>() {
                for (name, ty) in &statics.0 {
                    self.record_state(self.ident_symbol(name), name.span(), None, ty);
                }
            }
            return;
        }
        self.visit_macro_body(mac);
    }

    fn visit_attribute(&mut self, attr: &'ast Attribute) {
        self.record_attribute(attr, None);
    }
}

/// Whether an awaited expression is a future held in a name (`reply.await`, `notified.await`,
/// `timeout(limit, reply).await`): the fn waits for what another party completes — an answer,
/// room in a queue, a permit — rather than for a call it makes.
fn awaits_held_future(base: &Expr) -> bool {
    let held = |expr: &Expr| match expr {
        Expr::Path(path) => {
            path.qself.is_none()
                && path
                    .path
                    .get_ident()
                    .is_some_and(|name| name.to_string().starts_with(|c: char| c.is_lowercase() || c == '_'))
        }
        Expr::Reference(reference) => matches!(&*reference.expr, Expr::Path(path) if path.path.get_ident().is_some()),
        _ => false,
    };
    match base {
        Expr::Paren(inner) => awaits_held_future(&inner.expr),
        Expr::Call(call) => {
            let is_timeout = matches!(&*call.func, Expr::Path(func) if func.path.segments.last().is_some_and(|s| s.ident == "timeout"));
            is_timeout && call.args.iter().any(held)
        }
        expr => held(expr),
    }
}

impl FactVisitor<'_> {
    /// Records the name a one-value enum variant pattern takes out (`ChannelSender::Unbounded(tx)`,
    /// `Self::Unbounded(tx)`), with the variant it held.
    fn bind_variant(&mut self, pat: &syn::Pat) {
        let syn::Pat::TupleStruct(variant) = pat else { return };
        let (1, Some(syn::Pat::Ident(name))) = (variant.elems.len(), variant.elems.first()) else { return };
        let mut segments = variant.path.segments.iter().rev();
        let (Some(case), Some(owner)) = (segments.next(), segments.next()) else { return };
        let owner = if owner.ident == "Self" {
            self.impl_types.last().copied().flatten()
        } else {
            Some(self.ident_symbol(&owner.ident))
        };
        let Some(owner) = owner.filter(|owner| owner.starts_with(|c: char| c.is_ascii_uppercase())) else { return };
        let field = Some(self.ident_symbol(&case.ident));
        self.locals.push(Local { name: name.ident.clone(), root: None, field, variant_of: Some(owner) });
    }
}

impl FactVisitor<'_> {
    /// Records the name a `let` binds, with the chain root of its value when that is a call of a
    /// path; a name bound to anything else hides an outer one.
    fn record_local(&mut self, local: &syn::Local) {
        let syn::Pat::Ident(binding) = &local.pat else { return };
        let init = local.init.as_ref().map(|init| &*init.expr);
        let is_call =
            |init: &&Expr| matches!(init, Expr::Call(_) | Expr::MethodCall(_) | Expr::Try(_) | Expr::Await(_));
        let root = init.filter(is_call).and_then(|init| self.chain_root(init)).map(|(root, _)| root);
        let field = init.and_then(|init| self.last_field(init).0);
        self.locals.push(Local { name: binding.ident.clone(), root, field, variant_of: None });
    }

    /// Records `let (a, b) = path(..);` with how `a` is used in `rest`, the block after it.
    fn record_binding(&mut self, local: &syn::Local, rest: &[syn::Stmt]) {
        let Some(init) = &local.init else { return };
        let Expr::Call(call) = &*init.expr else { return };
        let Expr::Path(func) = &*call.func else { return };
        let Some(names) = super::bindings::tuple_names(&local.pat) else { return };
        let first = match names.first() {
            Some(name) if !name.is_empty() && name.as_str() != "_" => {
                let mut first = self.uses_of(name, rest);
                // A lazy static's initializer that returns the sender keeps it in the static.
                if let Some(cell) = self.current_static.filter(|_| first.returned) {
                    first.statics = first.statics.iter().copied().chain([cell]).collect();
                }
                first
            }
            _ => BindingUse::default(),
        };
        // The message type: the turbofish, or the annotation of the first name.
        let annotated = match &local.pat {
            syn::Pat::Type(typed) => match &*typed.ty {
                syn::Type::Tuple(tuple) => tuple.elems.first().and_then(super::state::item_type),
                _ => None,
            },
            _ => None,
        };
        let item_type = super::state::turbofish_item(&func.path).or(annotated).map(|ident| self.ident_symbol(ident));
        let call = self.span(path_start(&func.path), call.paren_token.span.close()).start;
        self.facts.bindings.push(TupleBinding { call, names: names.into(), first, item_type });
    }

    /// Records an attribute; `item` names the fn it is on, for attributes of fns.
    fn record_attribute(&mut self, attr: &Attribute, item: Option<&syn::Ident>) {
        if is_doc(attr) {
            return;
        }
        let (written, resolved, _, name) = self.resolve(attr.path());
        if attr.path().is_ident("derive") {
            if let Ok(paths) = attr.parse_args_with(Punctuated::<syn::Path, Token![,]>::parse_terminated) {
                paths.iter().for_each(|path| self.record_path(path));
            }
        }
        let (args, tokens) = match &attr.meta {
            Meta::Path(_) => (Box::default(), Symbol::default()),
            Meta::List(list) => {
                let args = list
                    .parse_args_with(Punctuated::<Expr, Token![,]>::parse_terminated)
                    .map(|exprs| literals(&exprs))
                    .unwrap_or_default();
                // The text between the delimiters as written: rendering the tokens again costs
                // more than the rest of the attribute.
                let delimiters = list.delimiter.span();
                let inside = self.span(delimiters.open(), delimiters.close());
                let (open, close) = (inside.start as usize + 1, (inside.end as usize).saturating_sub(1));
                let inside = crate::location::Span { start: open as u32, end: close.max(open) as u32 };
                (args, Symbol::intern(self.index.text_of(inside).trim()))
            }
            Meta::NameValue(nv) => (Box::from([literal(&nv.value)]), Symbol::default()),
        };
        self.facts.attributes.push(AttributeFact {
            written,
            resolved,
            name,
            args,
            tokens,
            item: item.map(|i| self.ident_symbol(i)),
            module: self.module_symbol,
            in_test: self.in_test(),
            span: self.span_of(attr.span()),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test_only(attr: &str) -> bool {
        let item: syn::ItemFn = syn::parse_str(&format!("{attr} fn f() {{}}")).unwrap();
        is_test_only(&item.attrs)
    }

    #[test]
    fn cfg_predicates_are_evaluated_not_searched_for_words() {
        assert!(test_only("#[cfg(test)]"));
        assert!(test_only("#[cfg(all(test, not(windows)))]"));
        assert!(test_only("#[tokio::test]"));
        assert!(test_only("#[cfg(any(test, feature = \"testing\"))]"));
        assert!(test_only("#[cfg(any(test, feature = \"testsuite\"))]"));
        assert!(test_only("#[cfg(feature = \"test-utils\")]"));
        assert!(!test_only("#[cfg(any(test, feature = \"tls\"))]"));
        assert!(!test_only("#[cfg(feature = \"attestation\")]"));
        assert!(!test_only("#[cfg(not(test))]"));
        assert!(!test_only("#[inline]"));
    }
}
