//! A binary target: its entry points, what the call graph reaches from them, and the
//! workspace code its build includes.

use super::call_graph::{CallGraph, Reached};
use super::{CallFact, Fact, FileInfo, FnFact};
use crate::symbol::Symbol;
use std::sync::Arc;

impl Binary {
    /// Whether running the binary can execute the code at `file` (inline `module`, in fn
    /// `function`): the binary includes the file and, inside a fn, the call graph leads there
    /// from an entry point. Code outside any fn (a static's initializer) counts when included.
    pub fn reaches(&self, file: &FileInfo, module: Symbol, function: Option<Symbol>) -> bool {
        self.includes(file) && self.graph.reaches(&self.reached, file.path, module, function).unwrap_or(true)
    }

    /// Whether the binary's build includes `file`: its own files, the library of its package,
    /// and the libraries of the workspace packages it depends on.
    pub fn includes(&self, file: &FileInfo) -> bool {
        let Some(package) = &file.package else { return false };
        if !self.reach.contains(package) {
            return false;
        }
        file.in_lib || (*package == self.package && file.targets.contains(&self.name))
    }
}

/// A binary target with its `main` and the workspace packages its code can come from.
#[derive(Debug, Clone)]
pub struct Binary {
    pub name: String,
    pub package: Symbol,
    pub src_path: Symbol,
    pub main: Option<Fact<FnFact>>,
    /// The package itself and every workspace package it reaches through normal dependencies.
    pub reach: Vec<Symbol>,
    /// The functions reachable from its entry points through the call graph.
    pub reached: Reached,
    /// The call that starts the network server it runs, if it runs one.
    pub server: Option<Fact<CallFact>>,
    pub graph: Arc<CallGraph>,
}
