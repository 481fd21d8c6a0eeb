//! The text of reported files, read once each, for code frames and fingerprints. Extraction
//! does not keep file texts: only the few files with findings are read again.

use crate::facts::Symbol;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

pub struct Sources {
    root: PathBuf,
    texts: Mutex<HashMap<Symbol, Option<Arc<str>>>>,
}

impl Sources {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Sources { root: root.into(), texts: Mutex::default() }
    }

    /// Adds a text that is not a file under the root (a built-in policy, stdin).
    pub fn insert(&self, path: Symbol, text: Arc<str>) {
        self.texts.lock().unwrap_or_else(|e| e.into_inner()).insert(path, Some(text));
    }

    /// The text of `path` (relative to the root), if it can be read as UTF-8.
    pub fn get(&self, path: Symbol) -> Option<Arc<str>> {
        let mut texts = self.texts.lock().unwrap_or_else(|e| e.into_inner());
        texts
            .entry(path)
            .or_insert_with(|| {
                let text = std::fs::read_to_string(self.root.join(path.as_str())).ok()?;
                Some(Arc::from(text.strip_prefix('\u{feff}').unwrap_or(&text)))
            })
            .clone()
    }
}
