//! State a process shares across the requests it serves: statics and struct fields whose type
//! holds a collection behind a lock or a concurrent collection, and the application-state types
//! handlers receive through an extractor (`State<AppState>`).

use quote::ToTokens;
use syn::parse::{Parse, ParseStream};
use syn::visit::{self, Visit};
use syn::{GenericArgument, PathArguments, Token, Type};

/// Locks that make a collection writable through a shared reference.
const LOCKS: [&str; 5] = ["Mutex", "RwLock", "ReentrantMutex", "FairMutex", "AsyncMutex"];
/// Collections that grow as requests write to them.
const COLLECTIONS: [&str; 11] = [
    "HashMap",
    "BTreeMap",
    "HashSet",
    "BTreeSet",
    "Vec",
    "VecDeque",
    "IndexMap",
    "IndexSet",
    "LinkedList",
    "BinaryHeap",
    "Slab",
];
/// Collections written through a shared reference, without a lock.
const CONCURRENT: [&str; 4] = ["DashMap", "DashSet", "SkipMap", "SkipSet"];
/// Crates whose maps are concurrent whatever their type's name (`scc::HashMap`).
const CONCURRENT_CRATES: [&str; 4] = ["scc", "papaya", "flurry", "evmap"];
/// Extractors that hand a handler the application state: axum `State`/`Extension`, actix-web
/// `web::Data`, rocket `&State`.
const EXTRACTORS: [&str; 3] = ["State", "Data", "Extension"];

/// The type as written without spaces, when it holds a collection behind a lock or is a
/// concurrent collection. Every struct field's type is asked: the names are compared where they
/// sit in the syntax tree, and only a shared type is printed.
pub fn shared_collection(ty: &Type) -> Option<String> {
    let mut found = Found::default();
    found.visit_type(ty);
    let shared = (found.lock && found.collection) || found.concurrent;
    shared.then(|| ty.to_token_stream().to_string().chars().filter(|c| !c.is_whitespace()).collect())
}

/// What the paths of a type name.
#[derive(Default)]
struct Found {
    lock: bool,
    collection: bool,
    concurrent: bool,
}

impl<'ast> Visit<'ast> for Found {
    fn visit_path(&mut self, path: &'ast syn::Path) {
        let is = |names: &[&str], ident: &syn::Ident| names.iter().any(|name| ident == name);
        for (position, segment) in path.segments.iter().enumerate() {
            let ident = &segment.ident;
            self.lock |= is(&LOCKS, ident);
            self.collection |= is(&COLLECTIONS, ident);
            let in_concurrent_crate = position + 1 < path.segments.len() && is(&CONCURRENT_CRATES, ident);
            self.concurrent |= is(&CONCURRENT, ident) || in_concurrent_crate;
        }
        visit::visit_path(self, path);
    }
}

/// Pointers a value is shared or boxed through: what they point to is what methods reach.
const POINTERS: [&str; 3] = ["Arc", "Rc", "Box"];

/// The application-state type a parameter of this type extracts, by its last segment:
/// `AppState` for `State<Arc<AppState>>`.
pub fn extracted_state(ty: &Type) -> Option<&syn::Ident> {
    match value_type(ty)? {
        (true, ident) => Some(ident),
        (false, _) => None,
    }
}

/// The type a value of this type lets methods reach, by its last segment, and whether an
/// extractor wraps it: `(true, AppState)` for `State<Arc<AppState>>`, `(false, Registry)` for
/// `&Arc<Registry>`.
pub fn value_type(ty: &Type) -> Option<(bool, &syn::Ident)> {
    let ty = match ty {
        Type::Reference(reference) => &*reference.elem,
        ty => ty,
    };
    let mut segment = last_segment(ty)?;
    let extracted = EXTRACTORS.iter().any(|name| segment.ident == name);
    if extracted {
        segment = last_segment(only_type_argument(segment)?)?;
    }
    while POINTERS.iter().any(|name| segment.ident == name) {
        segment = last_segment(only_type_argument(segment)?)?;
    }
    Some((extracted, &segment.ident))
}

/// The name a parameter pattern binds, also inside an extractor: `state` for `state`,
/// `mut state` and `State(state)`.
pub fn bound_name(pat: &syn::Pat) -> Option<&syn::Ident> {
    match pat {
        syn::Pat::Ident(ident) if ident.subpat.is_none() => Some(&ident.ident),
        syn::Pat::TupleStruct(tuple) if tuple.elems.len() == 1 => bound_name(&tuple.elems[0]),
        syn::Pat::Type(typed) => bound_name(&typed.pat),
        _ => None,
    }
}

fn last_segment(ty: &Type) -> Option<&syn::PathSegment> {
    match ty {
        Type::Path(path) if path.qself.is_none() => path.path.segments.last(),
        _ => None,
    }
}

fn only_type_argument(segment: &syn::PathSegment) -> Option<&Type> {
    let PathArguments::AngleBracketed(args) = &segment.arguments else { return None };
    args.args.iter().find_map(|arg| match arg {
        GenericArgument::Type(ty) => Some(ty),
        _ => None,
    })
}

/// Types too common to tell one channel's messages from another's.
const COMMON_TYPES: [&str; 16] = [
    "String", "Vec", "Box", "Arc", "Option", "Result", "Bytes", "BytesMut", "HashMap", "Value", "Message", "Event",
    "Msg", "Request", "Response", "Command",
];

/// The message type a channel carries, from its sender's or receiver's type: `Job` for
/// `UnboundedSender<Job>`, `&Sender<Arc<Job>>`.
pub fn item_type(ty: &Type) -> Option<&syn::Ident> {
    let ty = match ty {
        Type::Reference(reference) => &*reference.elem,
        ty => ty,
    };
    own_type(only_type_argument(last_segment(ty)?)?)
}

/// The message type of a constructor's turbofish: `Job` for `unbounded_channel::<Job>()`.
pub fn turbofish_item(path: &syn::Path) -> Option<&syn::Ident> {
    own_type(only_type_argument(path.segments.last()?)?)
}

/// A type of the code's own, seen through `Arc` and `Box`; none for a type too common to tell
/// channels apart ([`COMMON_TYPES`], primitives, tuples).
fn own_type(ty: &Type) -> Option<&syn::Ident> {
    let mut segment = last_segment(ty)?;
    while segment.ident == "Arc" || segment.ident == "Box" {
        segment = last_segment(only_type_argument(segment)?)?;
    }
    let name = segment.ident.to_string();
    (name.starts_with(char::is_uppercase) && !COMMON_TYPES.contains(&name.as_str())).then_some(&segment.ident)
}

/// The items of a `lazy_static! { static ref NAME: Type = value; .. }` body.
pub struct LazyStatics(pub Vec<(syn::Ident, Type)>);

impl Parse for LazyStatics {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut items = Vec::new();
        while !input.is_empty() {
            input.call(syn::Attribute::parse_outer)?;
            input.parse::<syn::Visibility>()?;
            input.parse::<Token![static]>()?;
            input.parse::<Token![ref]>()?;
            let name: syn::Ident = input.parse()?;
            input.parse::<Token![:]>()?;
            let ty: Type = input.parse()?;
            input.parse::<Token![=]>()?;
            input.parse::<syn::Expr>()?;
            input.parse::<Token![;]>()?;
            items.push((name, ty));
        }
        Ok(LazyStatics(items))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse::Parser;

    fn shared(ty: &str) -> Option<String> {
        shared_collection(&syn::parse_str(ty).unwrap())
    }

    fn state(ty: &str) -> Option<String> {
        extracted_state(&syn::parse_str(ty).unwrap()).map(|ident| ident.to_string())
    }

    #[test]
    fn a_collection_counts_behind_a_lock_or_when_concurrent() {
        assert_eq!(
            shared("LazyLock<Mutex<HashMap<String, Session>>>").as_deref(),
            Some("LazyLock<Mutex<HashMap<String,Session>>>")
        );
        assert!(shared("Arc<tokio::sync::RwLock<Vec<Order>>>").is_some());
        assert!(shared("dashmap::DashMap<u64, User>").is_some());
        assert!(shared("scc::HashMap<u64, User>").is_some());
        assert!(shared("Mutex<u64>").is_none(), "a lock around a counter holds no collection");
        assert!(shared("HashMap<String, Route>").is_none(), "a map without a lock cannot be written through &self");
        assert!(shared("Arc<Mutexes<Vecs>>").is_none(), "whole names only");
    }

    #[test]
    fn the_state_type_is_found_inside_extractors_and_arcs() {
        assert_eq!(state("State<AppState>").as_deref(), Some("AppState"));
        assert_eq!(state("axum::extract::State<Arc<AppState>>").as_deref(), Some("AppState"));
        assert_eq!(state("web::Data<Shared>").as_deref(), Some("Shared"));
        assert_eq!(state("&State<Registry>").as_deref(), Some("Registry"));
        assert_eq!(state("Extension<Arc<Db>>").as_deref(), Some("Db"));
        assert_eq!(state("Json<Order>"), None);
        assert_eq!(state("State"), None);
    }

    #[test]
    fn values_are_seen_through_references_and_pointers() {
        let value = |ty: &str| {
            let ty: Type = syn::parse_str(ty).unwrap();
            value_type(&ty).map(|(extracted, ident)| (extracted, ident.to_string()))
        };
        assert_eq!(value("&Arc<Registry>"), Some((false, "Registry".into())));
        assert_eq!(value("Box<dyn Fn()>"), None);
        assert_eq!(value("web::Data<Arc<Shared>>"), Some((true, "Shared".into())));
        let name = |pat: &str| {
            let pat = syn::Pat::parse_single.parse_str(pat).unwrap();
            bound_name(&pat).map(|ident| ident.to_string())
        };
        assert_eq!(name("State(state)").as_deref(), Some("state"));
        assert_eq!(name("mut app").as_deref(), Some("app"));
        assert_eq!(name("(a, b)"), None);
    }

    #[test]
    fn lazy_static_bodies_list_their_items() {
        let body = "static ref SESSIONS: Mutex<HashMap<u64, String>> = Mutex::new(HashMap::new());\n\
                    /// doc\npub static ref LIMIT: usize = 4;";
        let items = syn::parse_str::<LazyStatics>(body).unwrap().0;
        let names: Vec<String> = items.iter().map(|(name, _)| name.to_string()).collect();
        assert_eq!(names, ["SESSIONS", "LIMIT"]);
    }
}
