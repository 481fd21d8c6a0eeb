//! `use` items: flattened to one entry per imported name, and the per-module scopes that
//! resolve the paths written in code.

use foldhash::{HashMap, HashSet};
use std::borrow::Cow;
use syn::{Item, UseTree};

/// One imported name from a `use` tree.
pub struct Import {
    /// Full path, already relative-resolved (`self::`/`super::` against the inline module).
    pub path: Vec<String>,
    /// The local name; `None` for a glob or `as _`.
    pub name: Option<String>,
    pub is_glob: bool,
}

/// Flattens a use tree: `a::{b, c::{self, d as e}, f::*}`.
pub fn flatten(tree: &UseTree, prefix: &mut Vec<String>, out: &mut Vec<Import>) {
    match tree {
        UseTree::Path(p) => {
            prefix.push(p.ident.to_string());
            flatten(&p.tree, prefix, out);
            prefix.pop();
        }
        UseTree::Name(n) => out.push(named(prefix, &n.ident, &n.ident)),
        UseTree::Rename(r) => out.push(named(prefix, &r.ident, &r.rename)),
        UseTree::Glob(_) => out.push(Import { path: prefix.clone(), name: None, is_glob: true }),
        UseTree::Group(g) => g.items.iter().for_each(|item| flatten(item, prefix, out)),
    }
}

fn named(prefix: &[String], ident: &syn::Ident, local: &syn::Ident) -> Import {
    let mut path = prefix.to_vec();
    if ident != "self" {
        path.push(ident.to_string());
    }
    let name = if local == "self" { path.last().cloned() } else { Some(local.to_string()) };
    Import { path, name: name.filter(|n| n != "_"), is_glob: false }
}

/// Rewrites a leading `self::`/`super::` relative to the inline module `module`, so that the
/// result is relative to the *file's* module: `self::a::x` means `<file module>::a::x`, and a
/// `super::` left over at the front means the parent of the file's module.
pub fn relative_to_file(mut path: Vec<String>, module: &[String]) -> Vec<String> {
    match path.first().map(String::as_str) {
        Some("self") => {
            path.splice(1..1, module.iter().cloned());
            path
        }
        Some("super") => {
            let mut depth = module.len();
            let mut supers = 0;
            while path.get(supers).is_some_and(|s| s == "super") {
                supers += 1;
            }
            let mut out = Vec::new();
            if supers > depth {
                out.extend(std::iter::repeat_n("super".to_owned(), supers - depth));
                depth = 0;
            } else {
                out.push("self".to_owned());
                depth -= supers;
            }
            out.extend(module[..depth].iter().cloned());
            out.extend(path.into_iter().skip(supers));
            out
        }
        _ => path,
    }
}

/// Names the standard prelude brings into scope: a glob import never supplies these.
const PRELUDE: [&str; 22] = [
    "Some", "None", "Ok", "Err", "Box", "Vec", "String", "Option", "Result", "Default", "Clone", "Copy", "Send",
    "Sync", "Drop", "Fn", "FnMut", "FnOnce", "drop", "Iterator", "ToString", "ToOwned",
];

/// Whether a path left as written may name something a glob import brought in: not a path from
/// the crate root or a standard crate, nor a name of the standard prelude.
pub fn may_come_from_glob(written: &str) -> bool {
    let first = written.split(':').next().unwrap_or(written);
    let single = first.len() == written.len();
    !(matches!(first, "" | "crate" | "Self" | "std" | "core" | "alloc") || (single && PRELUDE.contains(&first)))
}

/// What one module (file level or inline `mod`) can name.
#[derive(Default)]
pub struct Scope {
    aliases: HashMap<String, Vec<String>>,
    globs: Vec<Vec<String>>,
    /// Items defined here (fns, mods, types): a local name is neither imported nor from a glob.
    locals: HashSet<String>,
}

impl Scope {
    /// Resolves a path as written in this scope's module (`module`, whose segments joined by
    /// `::` are `module_key`), borrowed from `written` when it names nothing this file imports
    /// or defines (most paths do not). A path that names a local item becomes file-relative
    /// (`self::..`); link makes it crate-absolute.
    pub fn resolve<'w>(&self, module: &[String], module_key: &str, written: &'w str) -> Cow<'w, str> {
        let first = written.split(':').next().unwrap_or(written);
        if let Some(target) = self.aliases.get(first) {
            return Cow::Owned(format!("{}{}", target.join("::"), &written[first.len()..]));
        }
        if self.locals.contains(first) {
            return Cow::Owned(if module_key.is_empty() {
                format!("self::{written}")
            } else {
                format!("self::{module_key}::{written}")
            });
        }
        if matches!(first, "self" | "super") {
            let segments = written.split("::").map(str::to_owned).collect();
            return Cow::Owned(relative_to_file(segments, module).join("::"));
        }
        Cow::Borrowed(written)
    }

    /// What a path that [`Scope::resolve`] left as written (no alias, local item, `self` or
    /// `super` at its front) may name through this scope's glob imports (`use super::*`).
    pub fn glob_candidates(&self, written: &str) -> Vec<String> {
        if !may_come_from_glob(written) {
            return Vec::new();
        }
        self.globs
            .iter()
            .map(|glob| glob.iter().map(String::as_str).chain([written]).collect::<Vec<_>>().join("::"))
            .collect()
    }

    fn add_local(&mut self, name: String) {
        self.locals.insert(name);
    }

    fn add_import(&mut self, import: Import) {
        match import.name {
            Some(name) => {
                self.aliases.insert(name, import.path);
            }
            None if import.is_glob => self.globs.push(import.path),
            None => {}
        }
    }

    /// Imports may name each other or a local module (`use std::sync::mpsc; use mpsc::channel;`,
    /// `mod queue; use queue::make;`): rewrite the first segment of every import through the
    /// others, a bounded number of times (imports can be circular in broken code).
    fn settle(&mut self, module: &[String]) {
        for _ in 0..4 {
            let snapshot = self.aliases.clone();
            let mut changed = false;
            for (name, target) in self.aliases.iter_mut() {
                changed |= rewrite_first(&snapshot, &self.locals, module, Some(name), target);
            }
            for glob in &mut self.globs {
                changed |= rewrite_first(&snapshot, &self.locals, module, None, glob);
            }
            if !changed {
                break;
            }
        }
    }
}

fn rewrite_first(
    aliases: &HashMap<String, Vec<String>>,
    locals: &HashSet<String>,
    module: &[String],
    own_name: Option<&String>,
    target: &mut Vec<String>,
) -> bool {
    let Some(first) = target.first() else { return false };
    if Some(first) == own_name {
        return false;
    }
    let replacement = match aliases.get(first) {
        Some(replacement) => replacement.clone(),
        None if locals.contains(first) => local_path(module, first),
        None => return false,
    };
    target.splice(0..1, replacement);
    true
}

/// `self::<inline module>::name`: the file-relative path of an item defined in `module`.
fn local_path(module: &[String], name: &str) -> Vec<String> {
    std::iter::once("self").chain(module.iter().map(String::as_str)).chain([name]).map(str::to_owned).collect()
}

/// The scopes of a file, keyed by inline module path (`""`, `"tests"`, `"a::b"`).
#[derive(Default)]
pub struct Scopes {
    by_module: HashMap<String, Scope>,
    empty: Scope,
}

impl Scopes {
    /// Collects every `use` and local item name of a file, module by module.
    pub fn collect(file: &syn::File) -> Self {
        let mut scopes = Scopes::default();
        scopes.collect_items(&file.items, &mut Vec::new());
        for (key, scope) in &mut scopes.by_module {
            let module: Vec<String> = key.split("::").filter(|s| !s.is_empty()).map(str::to_owned).collect();
            scope.settle(&module);
        }
        scopes
    }

    /// The scope of the inline module `module_key` (`""`, `"tests"`, `"a::b"`).
    pub fn scope(&self, module_key: &str) -> &Scope {
        self.by_module.get(module_key).unwrap_or(&self.empty)
    }

    fn collect_items<'i>(&mut self, items: impl IntoIterator<Item = &'i Item>, module: &mut Vec<String>) {
        for item in items {
            let key = module.join("::");
            match item {
                Item::Use(u) => {
                    let mut imports = Vec::new();
                    flatten(&u.tree, &mut Vec::new(), &mut imports);
                    let scope = self.by_module.entry(key).or_default();
                    for mut import in imports {
                        import.path = relative_to_file(import.path, module);
                        scope.add_import(import);
                    }
                }
                Item::Mod(m) => {
                    self.by_module.entry(key).or_default().add_local(m.ident.to_string());
                    if let Some((_, content)) = &m.content {
                        module.push(m.ident.to_string());
                        self.collect_items(content, module);
                        module.pop();
                    }
                }
                Item::Fn(f) => {
                    // `use` inside its body is scoped to the block; the visitor handles those.
                    self.by_module.entry(key).or_default().add_local(f.sig.ident.to_string());
                }
                other => {
                    if let Some(name) = item_name(other) {
                        self.by_module.entry(key).or_default().add_local(name);
                    }
                }
            }
        }
    }
}

fn item_name(item: &Item) -> Option<String> {
    let ident = match item {
        Item::Struct(i) => &i.ident,
        Item::Enum(i) => &i.ident,
        Item::Trait(i) => &i.ident,
        Item::Type(i) => &i.ident,
        Item::Const(i) => &i.ident,
        Item::Static(i) => &i.ident,
        Item::Union(i) => &i.ident,
        _ => return None,
    };
    Some(ident.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(parts: &[&str]) -> Vec<String> {
        parts.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn relative_paths_resolve_against_the_inline_module() {
        let module = strings(&["a", "b"]);
        assert_eq!(relative_to_file(strings(&["self", "x"]), &module), strings(&["self", "a", "b", "x"]));
        assert_eq!(relative_to_file(strings(&["super", "x"]), &module), strings(&["self", "a", "x"]));
        assert_eq!(relative_to_file(strings(&["super", "super", "super", "x"]), &module), strings(&["super", "x"]));
    }

    #[test]
    fn flattens_groups_self_renames_and_globs() {
        let tree: syn::ItemUse = syn::parse_quote!(
            use std::sync::{
                mpsc::{self, channel as q},
                atomic::*,
                Arc as _,
            };
        );
        let mut out = Vec::new();
        flatten(&tree.tree, &mut Vec::new(), &mut out);
        let flat: Vec<_> = out.iter().map(|i| (i.path.join("::"), i.name.clone())).collect();
        assert_eq!(
            flat,
            [
                ("std::sync::mpsc".into(), Some("mpsc".into())),
                ("std::sync::mpsc::channel".into(), Some("q".into())),
                ("std::sync::atomic".into(), None),
                ("std::sync::Arc".into(), None),
            ]
        );
    }
}
