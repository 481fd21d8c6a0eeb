//! Interned strings: the names, paths and file names facts are made of.
//!
//! A million lines of code hold a million facts but only a few hundred thousand distinct
//! strings, most of them repeated thousands of times (`tokio::spawn`, `unwrap`, `src/main.rs`).
//! A fact holds a 4-byte [`Symbol`] instead of an owned `String`, so it is a few small
//! allocations lighter and a string comparison is an integer comparison. As in rustc, interned
//! strings live as long as the process: the table only grows, by the distinct strings seen.

use foldhash::fast::FixedState;
use hashbrown::HashTable;
use serde::{Serialize, Serializer};
use std::hash::BuildHasher;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{LazyLock, Mutex, OnceLock, PoisonError};
use std::{cmp, fmt, ops};

/// An interned string. `Symbol::default()` is the empty string.
///
/// Holds its id plus one: the zero niche makes an `Option<Symbol>` four bytes, as a `Symbol`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Symbol(NonZeroU32);

/// Interning locks one shard of the map, chosen by the string's hash: extraction threads
/// rarely meet on the same one.
const SHARDS: usize = 64;
/// The first chunk of the id → string table holds `1 << FIRST_CHUNK_BITS` strings, each next
/// one twice as many: the table grows without moving what readers may be looking at.
const FIRST_CHUNK_BITS: u32 = 10;
const CHUNKS: usize = 33 - FIRST_CHUNK_BITS as usize;

struct Interner {
    hasher: FixedState,
    /// Each shard holds its symbols, found by the hash of their text (computed once per
    /// lookup: it picks the shard too) and compared by text: four bytes per entry.
    shards: Vec<Mutex<HashTable<Symbol>>>,
    chunks: [OnceLock<Box<[OnceLock<&'static str>]>>; CHUNKS],
    next: AtomicU32,
}

static INTERNER: LazyLock<Interner> = LazyLock::new(|| {
    let interner = Interner {
        hasher: FixedState::default(),
        shards: (0..SHARDS).map(|_| Mutex::new(HashTable::new())).collect(),
        chunks: std::array::from_fn(|_| OnceLock::new()),
        next: AtomicU32::new(0),
    };
    // Id 0, the default, is the empty string.
    interner.intern("");
    interner
});

/// (chunk, position in it) of an id.
fn slot(id: u32) -> (usize, usize) {
    let biased = u64::from(id) + (1 << FIRST_CHUNK_BITS);
    let chunk = 63 - biased.leading_zeros() - FIRST_CHUNK_BITS;
    (chunk as usize, (biased - (1 << (chunk + FIRST_CHUNK_BITS))) as usize)
}

impl Interner {
    /// The text's hash and its shard. The shard takes bits the table's bucket index (low
    /// bits) and tag (top seven) do not, so that within a shard both stay spread.
    fn shard(&self, text: &str) -> (u64, &Mutex<HashTable<Symbol>>) {
        let hash = self.hasher.hash_one(text);
        (hash, &self.shards[(hash >> 32) as usize % SHARDS])
    }

    fn intern(&self, text: &str) -> Symbol {
        let (hash, shard) = self.shard(text);
        let mut shard = shard.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(&symbol) = shard.find(hash, |symbol| self.resolve(*symbol) == text) {
            return symbol;
        }
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let stored: &'static str = Box::leak(Box::from(text));
        let (chunk, position) = slot(id);
        let chunk = self.chunks[chunk]
            .get_or_init(|| (0..1usize << (chunk as u32 + FIRST_CHUNK_BITS)).map(|_| OnceLock::new()).collect());
        // The slot is filled before the symbol exists anywhere, so every reader finds it.
        let _ = chunk[position].set(stored);
        let symbol = Symbol::from_id(id);
        shard.insert_unique(hash, symbol, |symbol| self.hasher.hash_one(self.resolve(*symbol)));
        symbol
    }

    fn lookup(&self, text: &str) -> Option<Symbol> {
        let (hash, shard) = self.shard(text);
        let shard = shard.lock().unwrap_or_else(PoisonError::into_inner);
        shard.find(hash, |symbol| self.resolve(*symbol) == text).copied()
    }

    fn resolve(&self, symbol: Symbol) -> &'static str {
        let (chunk, position) = slot(symbol.id());
        self.chunks[chunk].get().and_then(|chunk| chunk[position].get()).copied().unwrap_or_default()
    }
}

impl Symbol {
    fn from_id(id: u32) -> Symbol {
        // An id of u32::MAX would need 2^32 distinct strings, more than the table can address.
        Symbol(NonZeroU32::new(id.wrapping_add(1)).expect("fewer than 2^32 - 1 interned strings"))
    }

    fn id(self) -> u32 {
        self.0.get() - 1
    }

    /// The empty string, as a constant.
    pub const EMPTY: Symbol = Symbol(NonZeroU32::MIN);

    pub fn intern(text: &str) -> Symbol {
        INTERNER.intern(text)
    }

    /// The symbol of `text` if it was ever interned: a query for a name no fact has finds
    /// nothing without adding the name to the table.
    pub fn lookup(text: &str) -> Option<Symbol> {
        INTERNER.lookup(text)
    }

    pub fn as_str(self) -> &'static str {
        // Without the table: interning the empty string, as the table is made, hashes it.
        if self == Symbol::default() {
            return "";
        }
        INTERNER.resolve(self)
    }
}

/// Id 0, interned first.
impl Default for Symbol {
    fn default() -> Self {
        Symbol::EMPTY
    }
}

impl ops::Deref for Symbol {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Symbol {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl From<&str> for Symbol {
    fn from(text: &str) -> Self {
        Symbol::intern(text)
    }
}

impl From<String> for Symbol {
    fn from(text: String) -> Self {
        Symbol::intern(&text)
    }
}

impl PartialEq<str> for Symbol {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Symbol {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// Symbols sort as their text does, so sorted output does not depend on interning order.
impl Ord for Symbol {
    fn cmp(&self, other: &Self) -> cmp::Ordering {
        if self == other {
            cmp::Ordering::Equal
        } else {
            self.as_str().cmp(other.as_str())
        }
    }
}

impl PartialOrd for Symbol {
    fn partial_cmp(&self, other: &Self) -> Option<cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Debug for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Symbol {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_texts_are_one_symbol_and_read_back_unchanged() {
        let a = Symbol::intern("tokio::sync::mpsc::unbounded_channel");
        let b = Symbol::intern(&String::from("tokio::sync::mpsc::unbounded_channel"));
        assert_eq!(a, b);
        assert_eq!(a.as_str(), "tokio::sync::mpsc::unbounded_channel");
        assert_ne!(a, Symbol::intern("tokio::sync::mpsc::channel"));
        assert_eq!(Symbol::default().as_str(), "");
        assert_eq!(Symbol::intern(""), Symbol::default());
        assert_eq!(size_of::<Option<Symbol>>(), size_of::<Symbol>());
    }

    #[test]
    fn lookup_does_not_intern() {
        assert_eq!(Symbol::lookup("a name no test interns, 7f3a"), None);
        let interned = Symbol::intern("a name one test interns, 7f3a");
        assert_eq!(Symbol::lookup("a name one test interns, 7f3a"), Some(interned));
    }

    #[test]
    fn symbols_sort_by_text_not_by_id() {
        let later = Symbol::intern("zz sorts last");
        let earlier = Symbol::intern("aa sorts first, interned second");
        assert!(earlier < later);
    }

    #[test]
    fn ids_map_to_chunks_without_gaps_or_overlap() {
        assert_eq!(slot(0), (0, 0));
        assert_eq!(slot(1023), (0, 1023));
        assert_eq!(slot(1024), (1, 0));
        assert_eq!(slot(3071), (1, 2047));
        assert_eq!(slot(3072), (2, 0));
        assert_eq!(slot(u32::MAX).0, CHUNKS - 1);
    }

    #[test]
    fn threads_interning_the_same_texts_agree() {
        let texts: Vec<String> = (0..5000).map(|i| format!("concurrent::path{i}")).collect();
        let per_thread: Vec<Vec<Symbol>> = std::thread::scope(|scope| {
            let handles: Vec<_> =
                (0..4).map(|_| scope.spawn(|| texts.iter().map(|t| Symbol::intern(t)).collect())).collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(per_thread.windows(2).all(|w| w[0] == w[1]));
        assert!(per_thread[0].iter().zip(&texts).all(|(symbol, text)| symbol.as_str() == text));
    }
}
