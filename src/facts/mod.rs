//! The facts model: what extraction found in each file, joined by link to packages, targets
//! and module paths, and indexed so that policies query instead of scanning.

mod deploy;
mod index;
mod location;
mod model;
mod symbol;
mod workspace;

pub use deploy::*;
pub use index::{Binary, Index, Table};
pub use location::{LineIndex, Location};
pub use model::*;
pub use symbol::Symbol;
pub use workspace::{Dependency, FileInfo, Package, Service, Target};

use serde::Serialize;
use std::sync::Arc;

/// A fact with the file it was found in: the unit policies receive and report on.
#[derive(Debug)]
pub struct Fact<T> {
    pub item: Arc<T>,
    pub file: Arc<FileInfo>,
}

impl<T> Clone for Fact<T> {
    fn clone(&self) -> Self {
        Fact { item: self.item.clone(), file: self.file.clone() }
    }
}

impl Fact<FnFact> {
    /// The top-level `fn main` of a binary's root file: the program's entry point.
    pub fn is_main(&self) -> bool {
        self.file.bin_root && self.item.name == "main" && self.item.module.is_empty() && !self.item.is_method
    }
}

/// The whole, linked, immutable model of one run.
#[derive(Debug, Serialize)]
pub struct Facts {
    pub packages: Vec<Package>,
    pub services: Vec<Service>,
    pub files: Vec<LinkedFile>,
    #[serde(skip)]
    pub index: Index,
    /// The crate and module dependency graph; built after link, with the configuration.
    #[serde(skip)]
    pub arch: crate::arch::ArchGraph,
}

/// One file's facts with what link learned about it.
#[derive(Debug, Serialize)]
pub struct LinkedFile {
    pub info: Arc<FileInfo>,
    #[serde(flatten)]
    pub facts: FileFacts,
}

impl Facts {
    pub fn new(packages: Vec<Package>, services: Vec<Service>, files: Vec<LinkedFile>) -> Self {
        let index = Index::build(&packages, &files);
        Facts { packages, services, files, index, arch: Default::default() }
    }
}
