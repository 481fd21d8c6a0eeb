//! The text of reported files, for code frames and fingerprints. Extraction does not keep
//! file texts: only the few files with findings are read again, when they are reported.

use crate::symbol::Symbol;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// Larger files were never extracted, so they have no findings to show.
const MAX_SHOWN: u64 = crate::discover::config::MAX_FILE_SIZE_BOUND;

pub struct Sources {
    root: PathBuf,
    /// Texts that are not files under the root: policies, stdin.
    inserted: Mutex<HashMap<Symbol, Arc<str>>>,
    /// The file read last. Findings are reported in path order, so keeping one file reads each
    /// about once, and a run with findings in thousands of files holds one text at a time.
    last: Mutex<Option<(Symbol, Option<Arc<str>>)>>,
}

impl Sources {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Sources { root: root.into(), inserted: Mutex::default(), last: Mutex::default() }
    }

    /// Adds a text that is not a file under the root (a built-in policy, stdin).
    pub fn insert(&self, path: Symbol, text: Arc<str>) {
        self.inserted.lock().unwrap_or_else(|e| e.into_inner()).insert(path, text);
    }

    /// The text of `path` (relative to the root), if it can be read as UTF-8.
    pub fn get(&self, path: Symbol) -> Option<Arc<str>> {
        if let Some(text) = self.inserted.lock().unwrap_or_else(|e| e.into_inner()).get(&path) {
            return Some(text.clone());
        }
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((read, text)) = &*last {
            if *read == path {
                return text.clone();
            }
        }
        // Only files under the root get a code frame: a report never shows what a link points
        // out of the tree to.
        let bytes = crate::tree::read_under(&self.root, &self.root.join(path.as_str()), MAX_SHOWN);
        let text: Option<Arc<str>> =
            bytes.ok().and_then(|bytes| crate::extract::decode(&bytes).ok().map(|t| Arc::from(&*t)));
        *last = Some((path, text.clone()));
        text
    }
}
