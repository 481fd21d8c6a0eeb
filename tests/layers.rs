//! The library's modules form layers: within every module, its child modules import one another
//! without a circle. A reference counts where it lands, through re-exports: `use super::Index`
//! in `facts/call_graph.rs` depends on `facts/index.rs` when `facts/mod.rs` re-exports it from
//! there. Only paths that name the crate (`crate::`, `super::`, `self::`) are followed: every
//! other name in a file came in through one of them.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use syn::visit::Visit;

/// A module, as the path of names from the crate root (`["facts", "index"]`).
type ModPath = Vec<String>;

struct Module {
    file: PathBuf,
    children: BTreeSet<String>,
    /// Names this module defines itself.
    items: BTreeSet<String>,
    /// `pub use child::Name` (and `pub use child::*`): the name, and where it points.
    reexports: BTreeMap<String, Vec<String>>,
    globs: Vec<Vec<String>>,
    /// Every `crate::`/`super::`/`self::` path in the file, with its line.
    paths: Vec<(Vec<String>, usize)>,
}

fn load(modules: &mut BTreeMap<ModPath, Module>, path: ModPath, file: PathBuf) {
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let ast = syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let dir = match file.file_name().and_then(|n| n.to_str()) {
        Some("mod.rs" | "lib.rs") => file.parent().unwrap().to_path_buf(),
        _ => file.with_extension(""),
    };
    let mut module = Module {
        file: file.clone(),
        children: BTreeSet::new(),
        items: BTreeSet::new(),
        reexports: BTreeMap::new(),
        globs: Vec::new(),
        paths: Vec::new(),
    };
    let mut collector = PathCollector { paths: &mut module.paths };
    collector.visit_file(&ast);
    let mut declared = Vec::new();
    for item in &ast.items {
        match item {
            syn::Item::Mod(m) if m.content.is_none() => {
                module.children.insert(m.ident.to_string());
                declared.push(m.ident.to_string());
            }
            syn::Item::Use(u) if matches!(u.vis, syn::Visibility::Public(_)) => {
                flatten_use(&u.tree, &mut Vec::new(), &mut |prefix, name| match name {
                    Some(name) => {
                        module.reexports.insert(name, prefix.to_vec());
                    }
                    None => module.globs.push(prefix.to_vec()),
                });
            }
            other => {
                if let Some(ident) = item_name(other) {
                    module.items.insert(ident);
                }
            }
        }
    }
    modules.insert(path.clone(), module);
    for child in declared {
        let flat = dir.join(format!("{child}.rs"));
        let file = if flat.exists() { flat } else { dir.join(&child).join("mod.rs") };
        let mut child_path = path.clone();
        child_path.push(child);
        load(modules, child_path, file);
    }
}

fn item_name(item: &syn::Item) -> Option<String> {
    let ident = match item {
        syn::Item::Const(i) => &i.ident,
        syn::Item::Enum(i) => &i.ident,
        syn::Item::Fn(i) => &i.sig.ident,
        syn::Item::Macro(i) => i.ident.as_ref()?,
        syn::Item::Mod(i) => &i.ident,
        syn::Item::Static(i) => &i.ident,
        syn::Item::Struct(i) => &i.ident,
        syn::Item::Trait(i) => &i.ident,
        syn::Item::Type(i) => &i.ident,
        syn::Item::Union(i) => &i.ident,
        _ => return None,
    };
    Some(ident.to_string())
}

/// Calls `leaf(prefix, Some(name))` for every name a use tree brings in (the name it is known
/// by, the path to it) and `leaf(prefix, None)` for a glob.
fn flatten_use(tree: &syn::UseTree, prefix: &mut Vec<String>, leaf: &mut dyn FnMut(&[String], Option<String>)) {
    match tree {
        syn::UseTree::Path(p) => {
            prefix.push(p.ident.to_string());
            flatten_use(&p.tree, prefix, leaf);
            prefix.pop();
        }
        syn::UseTree::Name(n) => {
            prefix.push(n.ident.to_string());
            leaf(prefix, Some(n.ident.to_string()));
            prefix.pop();
        }
        syn::UseTree::Rename(r) => {
            prefix.push(r.ident.to_string());
            leaf(prefix, Some(r.rename.to_string()));
            prefix.pop();
        }
        syn::UseTree::Glob(_) => leaf(prefix, None),
        syn::UseTree::Group(g) => g.items.iter().for_each(|t| flatten_use(t, prefix, leaf)),
    }
}

struct PathCollector<'a> {
    paths: &'a mut Vec<(Vec<String>, usize)>,
}

fn names_the_crate(segments: &[String]) -> bool {
    matches!(segments.first().map(String::as_str), Some("crate" | "super" | "self"))
}

impl<'ast> Visit<'ast> for PathCollector<'_> {
    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        let line = u.use_token.span.start().line;
        flatten_use(&u.tree, &mut Vec::new(), &mut |prefix, _| {
            if names_the_crate(prefix) {
                self.paths.push((prefix.to_vec(), line));
            }
        });
    }

    fn visit_path(&mut self, p: &'ast syn::Path) {
        let segments: Vec<String> = p.segments.iter().map(|s| s.ident.to_string()).collect();
        if names_the_crate(&segments) {
            let line = p.segments[0].ident.span().start().line;
            self.paths.push((segments, line));
        }
        syn::visit::visit_path(self, p);
    }

    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        // Paths inside macro calls (`format!`, `vec!`) are tokens: read them as expressions where
        // they parse as such.
        if let Ok(args) = m.parse_body_with(syn::punctuated::Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated)
        {
            args.iter().for_each(|e| self.visit_expr(e));
        }
        syn::visit::visit_macro(self, m);
    }
}

/// The module a path from `from` lands in: the deepest module it names, followed through
/// re-exports to the module that defines the item.
fn resolve(modules: &BTreeMap<ModPath, Module>, from: &ModPath, segments: &[String], depth: usize) -> Option<ModPath> {
    if depth > 16 {
        return None;
    }
    let mut at: ModPath = Vec::new();
    let mut rest = segments;
    match segments.first().map(String::as_str) {
        Some("crate") => rest = &segments[1..],
        Some("self") | Some("super") => {
            at = from.clone();
            while let Some(first) = rest.first() {
                match first.as_str() {
                    "self" => rest = &rest[1..],
                    "super" => {
                        at.pop()?;
                        rest = &rest[1..];
                    }
                    _ => break,
                }
            }
        }
        _ => return None,
    }
    for (i, name) in rest.iter().enumerate() {
        let module = modules.get(&at)?;
        if module.children.contains(name) {
            at.push(name.clone());
            continue;
        }
        if module.items.contains(name) {
            return Some(at);
        }
        if let Some(target) = module.reexports.get(name) {
            let mut path = target.clone();
            path.extend(rest[i + 1..].iter().cloned());
            return resolve_within(modules, &at, &path, depth).or(Some(at));
        }
        for glob in &module.globs {
            let mut path = glob.clone();
            path.extend(rest[i..].iter().cloned());
            if let Some(found) = resolve_within(modules, &at, &path, depth) {
                if found != at {
                    return Some(found);
                }
            }
        }
        return Some(at);
    }
    Some(at)
}

/// Resolves a `use` path written inside module `at` (relative to it unless it names the crate).
fn resolve_within(modules: &BTreeMap<ModPath, Module>, at: &ModPath, path: &[String], depth: usize) -> Option<ModPath> {
    let absolute: Vec<String> = if names_the_crate(path) {
        path.to_vec()
    } else if modules.get(at).is_some_and(|m| m.children.contains(&path[0])) {
        std::iter::once("self".to_owned()).chain(path.iter().cloned()).collect()
    } else {
        return None; // another crate
    };
    resolve(modules, at, &absolute, depth + 1)
}

/// Circles among the children of one module, each with one reference per step.
fn circles(modules: &BTreeMap<ModPath, Module>) -> Vec<String> {
    // parent -> (child -> child -> an example reference)
    let mut edges: BTreeMap<ModPath, BTreeMap<String, BTreeMap<String, String>>> = BTreeMap::new();
    for (path, module) in modules {
        for (segments, line) in &module.paths {
            let Some(target) = resolve(modules, path, segments, 0) else { continue };
            let common = path.iter().zip(&target).take_while(|(a, b)| a == b).count();
            if common >= path.len() || common >= target.len() {
                continue; // into its own subtree or up to an ancestor's own items
            }
            let parent = path[..common].to_vec();
            let example = format!("{}:{line} `{}`", module.file.display(), segments.join("::"));
            edges
                .entry(parent)
                .or_default()
                .entry(path[common].clone())
                .or_default()
                .entry(target[common].clone())
                .or_insert(example);
        }
    }
    let mut found = Vec::new();
    for (parent, graph) in &edges {
        for component in strongly_connected(graph) {
            let mut lines =
                vec![format!("circle among the modules of `{}`: {}", parent.join("::"), component.join(", "))];
            for from in &component {
                for (to, example) in &graph[from] {
                    if component.contains(to) {
                        lines.push(format!("  {from} -> {to}: {example}"));
                    }
                }
            }
            found.push(lines.join("\n"));
        }
    }
    found
}

/// Tarjan's algorithm; components of more than one node.
fn strongly_connected(graph: &BTreeMap<String, BTreeMap<String, String>>) -> Vec<Vec<String>> {
    struct State<'g> {
        graph: &'g BTreeMap<String, BTreeMap<String, String>>,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        components: Vec<Vec<String>>,
    }
    fn visit<'g>(s: &mut State<'g>, v: &'g str) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        for w in s.graph.get(v).into_iter().flat_map(|m| m.keys()) {
            let w = w.as_str();
            if !s.index.contains_key(w) {
                visit(s, w);
                let low = s.low[v].min(s.low[w]);
                s.low.insert(v, low);
            } else if s.stack.contains(&w) {
                let low = s.low[v].min(s.index[w]);
                s.low.insert(v, low);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                component.push(w.to_owned());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.components.push(component);
            }
        }
    }
    let mut state =
        State { graph, index: BTreeMap::new(), low: BTreeMap::new(), stack: Vec::new(), components: Vec::new() };
    for v in graph.keys() {
        if !state.index.contains_key(v.as_str()) {
            visit(&mut state, v);
        }
    }
    state.components
}

fn library() -> BTreeMap<ModPath, Module> {
    let mut modules = BTreeMap::new();
    load(&mut modules, Vec::new(), Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs"));
    modules
}

#[test]
fn no_module_imports_in_a_circle() {
    let found = circles(&library());
    assert!(found.is_empty(), "the modules must form layers:\n{}", found.join("\n"));
}

#[test]
fn the_check_sees_a_circle_through_a_reexport() {
    let dir = common::workspace(&[
        ("lib.rs", "pub mod a;\npub mod b;\n"),
        ("a/mod.rs", "mod inner;\npub use inner::Thing;\npub struct Top;\n"),
        ("a/inner.rs", "pub struct Thing(crate::b::Other);\nfn f() -> super::Top { todo!() }\n"),
        ("b.rs", "use crate::a::Thing;\npub struct Other;\n"),
    ]);
    let mut modules = BTreeMap::new();
    load(&mut modules, Vec::new(), dir.path().join("lib.rs"));
    let found = circles(&modules);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("circle among the modules of ``: a, b"), "{}", found[0]);
    assert!(found[0].contains("a -> b: ") && found[0].contains("a/inner.rs:1 `crate::b::Other`"), "{}", found[0]);
    assert!(found[0].contains("b -> a: ") && found[0].contains("b.rs:1 `crate::a::Thing`"), "{}", found[0]);
    // `super::Top` is the parent's own item, not a sibling: no circle inside `a`.
    assert!(!found.iter().any(|c| c.contains("modules of `a`")), "{found:?}");

    std::fs::write(dir.path().join("b.rs"), "pub struct Other;\n").unwrap();
    let mut modules = BTreeMap::new();
    load(&mut modules, Vec::new(), dir.path().join("lib.rs"));
    assert_eq!(circles(&modules), Vec::<String>::new());
}
