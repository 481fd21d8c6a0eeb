//! The facts model: what extraction found in each file, joined by link to packages, targets
//! and module paths, and indexed so that policies query instead of scanning.

pub mod arch_graph;
mod autoscaling;
mod binary;
mod call_graph;
mod code_sql;
mod deploy;
mod entry_code;
mod file_facts;
mod index;
mod k8s_graph;
mod label_selector;
mod migration;
mod param_flows;
mod replicas;
mod resources;
mod rollout;
mod servers;
mod shutdown;
mod start_up;
mod table;
mod value_flow;
mod workspace;

pub use arch_graph::ArchGraph;
pub use autoscaling::{MissingRequest, UtilizationMetric};
pub use binary::Binary;
pub use call_graph::{CallGraph, Reached};
pub use code_sql::sql_words;
pub use deploy::*;
pub use entry_code::EntryCode;
pub use file_facts::*;
pub use index::Index;
pub use migration::{Migration, MigrationSetting, MigrationStep, StepKind};
pub use param_flows::ParamFlows;
pub use replicas::ScaledOut;
pub use resources::ContainerResources;
pub use shutdown::{Drain, DrainAt, SignalHandling};
pub use table::Table;
pub use value_flow::{made_beside_bounded, senders, ChannelShape, DrivenBy, Producer};
pub use workspace::{names_test_support, Dependency, FileInfo, Package, PackageSource, Service, ServiceLookup, Target};

use crate::location::Location;
use crate::symbol::Symbol;
use serde::Serialize;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

/// A kind of fact: where a file keeps its facts of that kind.
pub trait FactKind: Send + Sync + Sized + 'static {
    fn all_in(facts: &FileFacts) -> &[Self];
}

macro_rules! fact_kinds {
    ($($ty:ty => |$f:ident| $all:expr;)*) => {$(
        impl FactKind for $ty {
            fn all_in($f: &FileFacts) -> &[Self] { $all }
        }
    )*};
}

fact_kinds! {
    UseFact => |f| &f.rust.uses;
    CallFact => |f| &f.rust.calls;
    MethodCallFact => |f| &f.rust.method_calls;
    MacroFact => |f| &f.rust.macros;
    FnFact => |f| &f.rust.fns;
    AttributeFact => |f| &f.rust.attributes;
    StateFact => |f| &f.rust.states;
    K8sObject => |f| &f.kubernetes;
    Dockerfile => |f| f.dockerfile.as_slice();
    ComposeService => |f| f.compose.as_ref().map_or(&[], |c| &c.services);
    MigrationStep => |f| f.migration.as_ref().map_or(&[], |m| &m.steps);
}

/// One fact with the file it was found in: the unit policies receive and report on.
///
/// A handle (the file and the fact's position among the file's facts of its kind), so a query
/// result costs two words per fact whatever the fact's size, and facts themselves sit in plain
/// per-file vectors rather than one allocation each.
pub struct Fact<T> {
    file: Arc<LinkedFile>,
    position: u32,
    kind: PhantomData<fn() -> T>,
}

impl<T: FactKind> Fact<T> {
    /// The fact at `position` among `file`'s facts of kind `T`, which must hold it.
    pub fn new(file: Arc<LinkedFile>, position: u32) -> Self {
        debug_assert!((position as usize) < T::all_in(&file.facts).len());
        Fact { file, position, kind: PhantomData }
    }

    /// Every fact of kind `T` in `file`, in source order.
    pub fn all_in(file: &Arc<LinkedFile>) -> impl Iterator<Item = Fact<T>> + '_ {
        (0..T::all_in(&file.facts).len() as u32).map(|position| Fact::new(file.clone(), position))
    }

    pub fn item(&self) -> &T {
        &T::all_in(&self.file.facts)[self.position as usize]
    }

    pub fn file(&self) -> &FileInfo {
        &self.file.info
    }

    /// The file the fact was found in, with all its facts.
    pub fn linked(&self) -> &Arc<LinkedFile> {
        &self.file
    }

    /// What tells this fact from every other of its kind in one run: its file and position.
    pub fn identity(&self) -> (usize, u32) {
        (Arc::as_ptr(&self.file) as usize, self.position)
    }
}

/// A fact with a place in a file, as policies and reports see it. `file` holds the facts of
/// the file the fact was found in.
pub trait Located: FactKind {
    fn location_in(&self, file: &FileFacts) -> Location;
    /// In test-only code, as far as the fact itself tells (its file may be test-only too).
    fn in_test_in(&self, file: &FileFacts) -> bool;
}

/// Code facts: located by their span in their file.
macro_rules! located {
    ($($ty:ty => |$f:ident, $file:ident| $in_test:expr;)*) => {$(
        impl Located for $ty {
            fn location_in(&self, file: &FileFacts) -> Location { file.location(self.span) }
            fn in_test_in(&self, $file: &FileFacts) -> bool { let $f = self; $in_test }
        }
    )*};
}

located! {
    CallFact => |f, file| file.rust.context(f.context).in_test;
    MethodCallFact => |f, file| file.rust.context(f.context).in_test;
    MacroFact => |f, file| file.rust.context(f.context).in_test;
    FnFact => |f, _file| f.in_test;
    AttributeFact => |f, _file| f.in_test;
    StateFact => |f, _file| f.in_test;
    UseFact => |f, _file| f.in_test;
}

/// Deployment facts: located where their document put them; never test code.
macro_rules! located_in_documents {
    ($($ty:ty),*) => {$(
        impl Located for $ty {
            fn location_in(&self, _: &FileFacts) -> Location { self.location.clone() }
            fn in_test_in(&self, _: &FileFacts) -> bool { false }
        }
    )*};
}

located_in_documents!(K8sObject, ComposeService);

/// Migration steps: test code when a directory above names test support (`tests/`, `fixtures/`).
impl Located for MigrationStep {
    fn location_in(&self, _: &FileFacts) -> Location {
        self.location.clone()
    }
    fn in_test_in(&self, file: &FileFacts) -> bool {
        file.path.rsplit('/').skip(1).any(names_test_support)
    }
}

/// Facts that sit inside code: calls, method calls, macros.
pub trait InContext: FactKind {
    fn context_id(&self) -> ContextId;
}

macro_rules! in_context {
    ($($ty:ty),*) => {$(
        impl InContext for $ty {
            fn context_id(&self) -> ContextId { self.context }
        }
    )*};
}

in_context!(CallFact, MethodCallFact, MacroFact);

impl<T: InContext> Fact<T> {
    pub fn context(&self) -> &CodeContext {
        self.file.facts.rust.context(self.item().context_id())
    }

    /// Whether running `binary` can execute this fact (see [`Binary::reaches`]).
    pub fn reached_by(&self, binary: &Binary) -> bool {
        let context = self.context();
        binary.reaches(self.file(), context.module, context.function)
    }
}

impl<T: Located> Fact<T> {
    pub fn location(&self) -> Location {
        self.item().location_in(&self.file.facts)
    }

    /// In test-only code: the fact's own context, or a test-only file.
    pub fn in_test(&self) -> bool {
        self.item().in_test_in(&self.file.facts) || self.file.info.test_only
    }
}

impl Fact<CallFact> {
    pub fn args(&self) -> Arguments<'_> {
        self.file.facts.rust.arguments(self.item().args)
    }
}

impl Fact<CallFact> {
    /// The tuple a `let` binds this call's value to, if any.
    pub fn binding(&self) -> Option<&TupleBinding> {
        let bindings = &self.file.facts.rust.bindings;
        let start = self.item().span.start;
        bindings.binary_search_by_key(&start, |b| b.call).ok().map(|at| &bindings[at])
    }
}

impl Fact<MethodCallFact> {
    pub fn args(&self) -> Arguments<'_> {
        self.file.facts.rust.arguments(self.item().args)
    }

    pub fn receiver_args(&self) -> Arguments<'_> {
        self.file.facts.rust.arguments(self.item().receiver_args)
    }
}

impl<T> Clone for Fact<T> {
    fn clone(&self) -> Self {
        Fact { file: self.file.clone(), position: self.position, kind: PhantomData }
    }
}

impl<T: FactKind + fmt::Debug> fmt::Debug for Fact<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fact").field("item", self.item()).field("file", &self.file.info.path).finish()
    }
}

impl Fact<FnFact> {
    /// The top-level `fn main` of a binary's root file: the program's entry point.
    pub fn is_main(&self) -> bool {
        let item = self.item();
        self.file().bin_root && item.name == "main" && item.module.is_empty() && !item.is_method
    }
}

/// The whole, linked, immutable model of one run.
#[derive(Debug, Default, Serialize)]
pub struct Facts {
    pub packages: Vec<Package>,
    pub services: Vec<Service>,
    /// The service of each deployment fact.
    #[serde(skip)]
    pub service_lookup: ServiceLookup,
    /// Deployment files for development or tests ([`development_files`]); set after link, with
    /// what the walk learned.
    #[serde(skip)]
    pub development: std::collections::HashSet<Symbol>,
    pub files: Vec<Arc<LinkedFile>>,
    /// Written as the call graph: every function and what it calls.
    #[serde(rename = "call_graph", serialize_with = "call_graph_of")]
    pub index: Index,
    /// The crate and module dependency graph; built after link, with the configuration.
    #[serde(skip)]
    pub arch: ArchGraph,
}

/// One file's facts with what link learned about it.
#[derive(Debug, Serialize)]
pub struct LinkedFile {
    pub info: FileInfo,
    #[serde(flatten)]
    pub facts: FileFacts,
}

fn call_graph_of<S: serde::Serializer>(index: &Index, serializer: S) -> Result<S::Ok, S::Error> {
    index.call_graph.serialize(serializer)
}

impl Facts {
    /// Whether the deployment file at `path` is for development or tests.
    pub fn for_development(&self, path: Symbol) -> bool {
        self.development.contains(&path) || for_development(&path)
    }

    pub fn new(packages: Vec<Package>, services: Vec<Service>, files: Vec<Arc<LinkedFile>>) -> Self {
        let index = Index::build(&packages, &files);
        let service_lookup = ServiceLookup::new(&services);
        Facts {
            packages,
            services,
            service_lookup,
            files,
            index,
            arch: Default::default(),
            development: Default::default(),
        }
    }
}
