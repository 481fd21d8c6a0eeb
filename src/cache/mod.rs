//! The facts cache: a file whose bytes have not changed since the last run is not parsed again.
//!
//! Extraction is a pure function of (path, kind, bytes) — configuration decides *which* files
//! are read, never what is extracted from them — so an entry is keyed by the file's shown path
//! and holds the BLAKE3 hash of the bytes it was extracted from (collision resistant: the bytes
//! are the pull request's to choose). Only Rust files are cached:
//! parsing them is nearly all of extraction, while manifests, Dockerfiles and compose files
//! parse in microseconds. Beside them, named answers ([`Cache::load_answer`]) keep what
//! `cargo metadata` said, keyed the same way by everything cargo read: on a warm run cargo,
//! tens to hundreds of milliseconds per workspace, is not started at all.
//!
//! The cache is one file, `<dir>/facts.bin`, stamped with the build of guardrail that wrote it
//! (a rebuilt extractor never reads an older one's facts). One file rather than one per source
//! file: creating thousands of files costs more than parsing them. It is rewritten with exactly
//! the files of the run, so it never grows beyond the tree, and not at all when nothing
//! changed: new entries are written to the next cache file as they are extracted (a cold run
//! holds no second copy of its facts in memory), and the reused ones are appended at the end.
//! The previous file is read an entry at a time, as its source file is checked.
//! Nothing in it is trusted: a wrong magic or build discards the whole file; an entry with a
//! wrong content hash, length or authentication code, or a payload that does not decode, is a
//! miss, and the file is extracted again. It is written to a temporary file renamed into place
//! (and removed if the run ends first), so concurrent runs see a whole cache or none.
//!
//! The checked tree belongs to the pull request, so the cache never lives in it: its home is a
//! directory of the user's (`$XDG_CACHE_HOME/guardrail`, `~/.cache/guardrail`, or `--cache-dir`,
//! which may not be inside the tree), holding a key and one directory per checked root. Every
//! entry — its path, content hash and payload — carries a BLAKE3 keyed hash under that key, so
//! an entry written by anyone without the key (a file committed to the tree, copied in from
//! elsewhere) is a miss. Files are created new (`O_EXCL`) and renamed into place, never written
//! through a link.

mod codec;
mod result;

pub use result::{Inputs, Results};

use crate::facts::FileFacts;
use crate::symbol::Symbol;
use codec::{Codec, Reader, Writer};
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

const MAGIC: &[u8; 8] = b"grcache\x04";

/// Identifies the build: the crate version and a hash of the sources that produced it.
const BUILD: &str = concat!(env!("CARGO_PKG_VERSION"), "+", env!("GUARDRAIL_SOURCE_HASH"));

const FILE_NAME: &str = "facts.bin";
/// The two lengths a record writes around its path before the entry (see [`NextFile::append`]).
const RECORD_LENGTHS: u64 = 16;
const KEY_FILE: &str = "key";

/// The default home of caches: the user's cache directory, outside every checked tree.
pub fn default_home() -> PathBuf {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|dir| !dir.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").filter(|dir| !dir.is_empty()).map(|home| Path::new(&home).join(".cache")));
    base.unwrap_or_else(std::env::temp_dir).join("guardrail")
}

/// The secret entries are authenticated with; it lives in the cache's home, never in a tree.
#[derive(Clone)]
struct Key([u8; 32]);

impl Key {
    /// The home's key, made (readable by its owner only) when there is none.
    fn load_or_create(home: &Path) -> std::io::Result<Key> {
        std::fs::create_dir_all(home)?;
        let path = home.join(KEY_FILE);
        if let Ok(bytes) = crate::tree::read_regular(&path, 32) {
            if let Ok(key) = <[u8; 32]>::try_from(bytes.as_slice()) {
                return Ok(Key(key));
            }
        }
        let mut key = [0u8; 32];
        File::open("/dev/urandom")?.read_exact(&mut key)?;
        let temporary = home.join(format!("{KEY_FILE}.tmp-{}", std::process::id()));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        options.open(&temporary)?.write_all(&key)?;
        std::fs::rename(&temporary, &path)?;
        Ok(Key(key))
    }

    /// The authentication code of an entry: its path, content hash and payload.
    fn code(&self, path: Symbol, content_hash: &[u8], payload: &[u8]) -> [u8; 32] {
        let mut hasher = blake3::Hasher::new_keyed(&self.0);
        hasher.update(&(path.len() as u64).to_le_bytes());
        hasher.update(path.as_bytes());
        hasher.update(content_hash);
        hasher.update(payload);
        *hasher.finalize().as_bytes()
    }
}

/// The facts cache of one run, shared by its extraction threads.
pub struct Cache {
    dir: PathBuf,
    key: Key,
    /// The cache file as the previous run left it; `None` when there was none or it was foreign.
    previous: Option<PreviousFile>,
    current: Mutex<Current>,
    hits: AtomicUsize,
    misses: AtomicUsize,
}

/// The entries of this run, which the rewritten cache will hold.
#[derive(Default)]
struct Current {
    entries: Vec<(Symbol, Entry)>,
    /// The next cache file, once an entry is new; an error once writing it failed.
    next: Option<Result<NextFile, String>>,
}

enum Entry {
    Previous(Range<u64>),
    /// Already in the next cache file.
    New,
}

/// The next cache file while it is written: a temporary file beside the cache, removed unless
/// it is renamed into place.
struct NextFile {
    path: PathBuf,
    out: BufWriter<File>,
}

impl NextFile {
    fn create(dir: &Path) -> std::io::Result<NextFile> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join(format!("{FILE_NAME}.tmp-{}", std::process::id()));
        // Created new, so a link already at that name is refused rather than written through.
        let file = std::fs::OpenOptions::new().write(true).create_new(true).open(&path)?;
        let mut next = NextFile { out: BufWriter::new(file), path };
        next.out.write_all(MAGIC)?;
        next.out.write_all(&build_stamp())?;
        Ok(next)
    }

    fn append(&mut self, path: Symbol, entry: &[u8]) -> std::io::Result<()> {
        self.out.write_all(&(path.len() as u64).to_le_bytes())?;
        self.out.write_all(path.as_bytes())?;
        self.out.write_all(&(entry.len() as u64).to_le_bytes())?;
        self.out.write_all(entry)
    }

    fn persist(mut self, target: &Path) -> std::io::Result<()> {
        self.out.flush()?;
        std::fs::rename(&self.path, target)
    }
}

impl Drop for NextFile {
    fn drop(&mut self) {
        // After a rename there is nothing left to remove.
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The previous run's cache file, read an entry at a time: a warm run holds the facts it
/// decodes, not the whole file besides.
struct PreviousFile {
    file: Mutex<File>,
    /// Where each path's entry (content hash, payload hash, payload) sits in the file.
    index: HashMap<Box<str>, Range<u64>>,
}

impl PreviousFile {
    /// The cache file at `path`, if it is a whole cache of this build.
    fn open(path: &Path) -> Option<Self> {
        let file = File::open(path).ok()?;
        let len = file.metadata().ok()?.len();
        let index = read_index(&mut BufReader::with_capacity(1 << 16, &file), len)?;
        Some(PreviousFile { file: Mutex::new(file), index })
    }

    /// Copies the bytes of `range` to `out`; a file cut short since it was opened is an error.
    fn copy(&self, range: &Range<u64>, out: &mut impl Write) -> std::io::Result<()> {
        let mut file = self.file.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        file.seek(SeekFrom::Start(range.start))?;
        let len = range.end - range.start;
        if std::io::copy(&mut (&*file).take(len), out)? != len {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the previous cache file was cut short",
            ));
        }
        Ok(())
    }

    fn read(&self, range: &Range<u64>) -> Option<Vec<u8>> {
        let mut file = self.file.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        file.seek(SeekFrom::Start(range.start)).ok()?;
        let mut entry = vec![0; usize::try_from(range.end - range.start).ok()?];
        file.read_exact(&mut entry).ok()?;
        Some(entry)
    }
}

/// What the cache did in a run, for `--timings`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    pub hits: usize,
    pub misses: usize,
}

/// The directory of the tree at `root` in `home`, and the home's key.
fn tree_dir(home: &Path, root: &Path) -> Result<(PathBuf, Key), String> {
    let key = Key::load_or_create(home)
        .map_err(|error| format!("cannot use the cache in {}: {error}; the run goes on without it", home.display()))?;
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let tree = blake3::hash(root.as_os_str().as_encoded_bytes()).to_hex()[..32].to_owned();
    Ok((home.join("trees").join(tree), key))
}

impl Cache {
    /// Opens the cache of the tree at `root` in `home`; a missing, unreadable or foreign cache
    /// is an empty one. Fails when the home cannot hold a key.
    pub fn open(home: &Path, root: &Path) -> Result<Self, String> {
        let (dir, key) = tree_dir(home, root)?;
        Ok(Cache::in_dir(dir, key))
    }

    /// Opens the remembered result of the tree at `root` in `home` (see [`Results`]).
    pub fn results(home: &Path, root: &Path) -> Result<Results, String> {
        let (dir, key) = tree_dir(home, root)?;
        Ok(Results::in_dir(dir, key))
    }

    fn in_dir(dir: PathBuf, key: Key) -> Self {
        Cache {
            previous: PreviousFile::open(&dir.join(FILE_NAME)),
            dir,
            key,
            current: Mutex::default(),
            hits: AtomicUsize::new(0),
            misses: AtomicUsize::new(0),
        }
    }

    /// The facts cached for `path` when they were extracted from exactly `bytes`.
    pub fn load(&self, path: Symbol, bytes: &[u8]) -> Option<FileFacts> {
        self.load_hashed(path, &content_hash(bytes))
    }

    /// The facts cached for `path` when they were extracted from bytes of this BLAKE3 hash
    /// (the one [`content_hash`] gives): a run that already hashed its files for its digest
    /// does not read a file it has facts for.
    pub fn load_hashed(&self, path: Symbol, hash: &ContentHash) -> Option<FileFacts> {
        let found = self.load_entry(path, |entry| decode_entry(entry, path, hash, &self.key));
        let counter = if found.is_some() { &self.hits } else { &self.misses };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    /// Writes the facts extracted from `bytes` to the next cache file, which [`Cache::save`]
    /// puts in place.
    pub fn store(&self, facts: &FileFacts, bytes: &[u8]) {
        self.store_entry(facts.path, encode_entry(facts, bytes, &self.key));
    }

    /// An answer cached beside the facts under `name` (what `cargo metadata` said of one
    /// manifest), when it was given for exactly `inputs`. Names start with a NUL, which no
    /// path of the tree holds.
    pub fn load_answer(&self, name: &str, inputs: &[u8]) -> Option<Vec<u8>> {
        let path = Symbol::intern(&format!("\0{name}"));
        self.load_entry(path, |entry| open_entry(entry, path, &content_hash(inputs), &self.key).map(<[u8]>::to_vec))
    }

    pub fn store_answer(&self, name: &str, inputs: &[u8], answer: &[u8]) {
        let path = Symbol::intern(&format!("\0{name}"));
        self.store_entry(path, seal_entry(path, inputs, answer, &self.key));
    }

    /// The previous run's entry for `path`, as `open` reads it; kept for the next run when it
    /// reads.
    fn load_entry<T>(&self, path: Symbol, open: impl FnOnce(&[u8]) -> Option<T>) -> Option<T> {
        let previous = self.previous.as_ref()?;
        let range = previous.index.get(path.as_str())?;
        let found = open(&previous.read(range)?)?;
        self.current().entries.push((path, Entry::Previous(range.clone())));
        Some(found)
    }

    fn store_entry(&self, path: Symbol, entry: Vec<u8>) {
        let mut current = self.current();
        let next = current.next.get_or_insert_with(|| NextFile::create(&self.dir).map_err(|e| self.write_error(e)));
        if let Ok(file) = next {
            if let Err(error) = file.append(path, &entry) {
                *next = Err(self.write_error(error));
            }
        }
        current.entries.push((path, Entry::New));
    }

    fn current(&self) -> std::sync::MutexGuard<'_, Current> {
        self.current.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn write_error(&self, error: std::io::Error) -> String {
        format!("cannot write the cache in {}: {error}", self.dir.display())
    }

    pub fn stats(&self) -> CacheStats {
        CacheStats { hits: self.hits.load(Ordering::Relaxed), misses: self.misses.load(Ordering::Relaxed) }
    }

    /// Puts the cache of this run's entries in place, unless they are the previous ones.
    pub fn save(self) -> Result<(), String> {
        let current = std::mem::take(&mut *self.current());
        let previous_entries = self.previous.as_ref().map_or(0, |previous| previous.index.len());
        let unchanged = current.entries.len() == previous_entries
            && current.entries.iter().all(|(_, e)| matches!(e, Entry::Previous(_)));
        if unchanged {
            return Ok(());
        }
        let mut next = match current.next {
            Some(next) => next?,
            None => NextFile::create(&self.dir).map_err(|e| self.write_error(e))?,
        };
        // The reused records (each a header and its entry) are copied from the previous file
        // in runs of neighbours: with a few files changed, the cache is rewritten at the speed
        // of a file copy rather than an entry at a time.
        let mut records: Vec<Range<u64>> = (current.entries.iter())
            .filter_map(|(path, entry)| match entry {
                Entry::Previous(range) => Some(range.start - RECORD_LENGTHS - path.len() as u64..range.end),
                Entry::New => None,
            })
            .collect();
        records.sort_unstable_by_key(|record| record.start);
        records.dedup();
        let mut runs: Vec<Range<u64>> = Vec::new();
        for record in records {
            match runs.last_mut() {
                Some(run) if run.end == record.start => run.end = record.end,
                _ => runs.push(record),
            }
        }
        let copy = |next: &mut NextFile| match &self.previous {
            Some(previous) => runs.iter().try_for_each(|run| previous.copy(run, &mut next.out)),
            None => Ok(()),
        };
        copy(&mut next).and_then(|()| next.persist(&self.dir.join(FILE_NAME))).map_err(|e| self.write_error(e))
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

/// Splits `bytes` into a prefix of `n` bytes and the rest, or `None` when it is shorter.
fn split(bytes: &[u8], n: u64) -> Option<(&[u8], &[u8])> {
    bytes.split_at_checked(usize::try_from(n).ok()?)
}

fn read_u64(input: &mut impl Read) -> Option<u64> {
    let mut bytes = [0; 8];
    input.read_exact(&mut bytes).ok()?;
    Some(u64::from_le_bytes(bytes))
}

/// Where each path's entry is in a cache file of `len` bytes, or `None` when it is not a whole
/// cache of this build. Entries are skipped, not read.
fn read_index(input: &mut BufReader<impl Read + Seek>, len: u64) -> Option<HashMap<Box<str>, Range<u64>>> {
    let mut magic = [0; 8];
    input.read_exact(&mut magic).ok()?;
    let mut stamp = [0; 8];
    input.read_exact(&mut stamp).ok()?;
    if &magic != MAGIC || stamp != build_stamp() {
        return None;
    }
    let mut index = HashMap::new();
    let mut at = 16u64;
    while at < len {
        let path_len = read_u64(input)?;
        let path_start = at.checked_add(8)?;
        let entry_start = path_start.checked_add(path_len)?.checked_add(8)?;
        if entry_start > len {
            return None;
        }
        let mut path = vec![0; usize::try_from(path_len).ok()?];
        input.read_exact(&mut path).ok()?;
        let entry_len = read_u64(input)?;
        let entry_end = entry_start.checked_add(entry_len)?;
        if entry_end > len {
            return None;
        }
        input.seek_relative(i64::try_from(entry_len).ok()?).ok()?;
        index.insert(String::from_utf8(path).ok()?.into_boxed_str(), entry_start..entry_end);
        at = entry_end;
    }
    (at == len).then_some(index)
}

/// The first bytes of the build's hash, which a cache file opens with.
fn build_stamp() -> [u8; 8] {
    let hash = blake3::hash(BUILD.as_bytes());
    let mut stamp = [0; 8];
    stamp.copy_from_slice(&hash.as_bytes()[..8]);
    stamp
}

const CONTENT_HASH: usize = 32;

/// The BLAKE3 hash of a file's bytes, which an entry is tied to.
pub type ContentHash = [u8; CONTENT_HASH];

/// The hash an entry is tied to the bytes of its file by: BLAKE3, because a pull request can
/// choose those bytes, and with a hash that is not collision resistant (xxh3) it can make a
/// second file that the cache takes for one it has seen.
pub fn content_hash(bytes: &[u8]) -> ContentHash {
    *blake3::hash(bytes).as_bytes()
}

/// content hash (32 bytes), authentication code (32), payload.
fn seal_entry(path: Symbol, bytes: &[u8], payload: &[u8], key: &Key) -> Vec<u8> {
    let content_hash = content_hash(bytes);
    let mut entry = Vec::with_capacity(CONTENT_HASH + 32 + payload.len());
    entry.extend_from_slice(&content_hash);
    entry.extend_from_slice(&key.code(path, &content_hash, payload));
    entry.extend_from_slice(payload);
    entry
}

/// The payload of an entry sealed for `path` and exactly `bytes` under `key`.
fn open_entry<'e>(entry: &'e [u8], path: Symbol, content: &ContentHash, key: &Key) -> Option<&'e [u8]> {
    let (hash, rest) = split(entry, CONTENT_HASH as u64)?;
    let (code, payload) = split(rest, 32)?;
    if hash != content {
        return None;
    }
    // Compared in full before anything of the payload is read; a forged entry fails here.
    constant_time_eq(code, &key.code(path, hash, payload)).then_some(payload)
}

fn encode_entry(facts: &FileFacts, bytes: &[u8], key: &Key) -> Vec<u8> {
    let mut writer = Writer::default();
    facts.encode(&mut writer);
    seal_entry(facts.path, bytes, &writer.finish(), key)
}

fn decode_entry(entry: &[u8], path: Symbol, content: &ContentHash, key: &Key) -> Option<FileFacts> {
    let mut reader = Reader::new(open_entry(entry, path, content, key)?).ok()?;
    let facts = FileFacts::decode(&mut reader).ok()?;
    (reader.is_empty() && facts.path == path).then_some(facts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::file_kind::FileKind;

    fn key() -> Key {
        Key([7; 32])
    }

    fn extracted(path: &str, text: &str) -> FileFacts {
        crate::extract::extract(Symbol::intern(path), FileKind::Rust, text.as_bytes()).expect("a Rust file has facts")
    }

    const SOURCE: &str = r#"
use std::sync::mpsc::channel as q;
// guardrail-allow(unbounded-channel): bounded by the protocol
#[tokio::main]
async fn main() {
    let (tx, rx) = q();
    tx.send(1.5).unwrap();
    tracing::info!("started {}", 1);
    #[cfg(test)]
    mod t { fn f() { super::main(); } }
}
"#;

    #[test]
    fn an_entry_decodes_to_the_facts_it_was_encoded_from() {
        let facts = extracted("src/main.rs", SOURCE);
        assert!(!facts.rust.calls.is_empty() && !facts.suppressions.is_empty());
        let entry = encode_entry(&facts, SOURCE.as_bytes(), &key());
        let decoded =
            decode_entry(&entry, facts.path, &content_hash(SOURCE.as_bytes()), &key()).expect("a valid entry");
        assert_eq!(decoded, facts);
    }

    #[test]
    fn an_entry_for_other_bytes_or_another_path_is_a_miss() {
        let facts = extracted("src/main.rs", SOURCE);
        let entry = encode_entry(&facts, SOURCE.as_bytes(), &key());
        assert!(decode_entry(&entry, facts.path, &content_hash(b"fn main() {}"), &key()).is_none());
        assert!(decode_entry(&entry, Symbol::intern("src/lib.rs"), &content_hash(SOURCE.as_bytes()), &key()).is_none());
    }

    #[test]
    fn an_entry_made_without_the_key_is_a_miss_however_well_formed() {
        let facts = extracted("src/main.rs", SOURCE);
        let forged = encode_entry(&facts, SOURCE.as_bytes(), &Key([8; 32]));
        assert!(decode_entry(&forged, facts.path, &content_hash(SOURCE.as_bytes()), &key()).is_none());
        let home = tempfile::tempdir().unwrap();
        let made = Key::load_or_create(home.path()).unwrap();
        assert_eq!(Key::load_or_create(home.path()).unwrap().0, made.0, "the key is kept");
        assert_ne!(made.0, [0; 32]);
    }

    #[test]
    fn every_truncation_and_every_flipped_byte_is_a_miss() {
        let facts = extracted("src/main.rs", SOURCE);
        let entry = encode_entry(&facts, SOURCE.as_bytes(), &key());
        for len in 0..entry.len() {
            assert!(
                decode_entry(&entry[..len], facts.path, &content_hash(SOURCE.as_bytes()), &key()).is_none(),
                "truncated to {len}"
            );
        }
        for at in 0..entry.len() {
            let mut damaged = entry.clone();
            damaged[at] ^= 0x20;
            assert!(
                decode_entry(&damaged, facts.path, &content_hash(SOURCE.as_bytes()), &key()).is_none(),
                "byte {at} flipped"
            );
        }
    }

    #[test]
    fn an_entry_whose_calls_point_past_their_arguments_or_contexts_is_a_miss() {
        let mut facts = extracted("src/main.rs", SOURCE);
        assert!(!facts.rust.arguments.is_empty());
        facts.rust.calls[0].args.len = facts.rust.arguments.len() as u32 + 1;
        let entry = encode_entry(&facts, SOURCE.as_bytes(), &key());
        assert!(decode_entry(&entry, facts.path, &content_hash(SOURCE.as_bytes()), &key()).is_none());
        facts.rust.calls[0].args.len = 0;
        let context = facts.rust.macros[0].context;
        facts.rust.macros[0].context = crate::facts::ContextId(facts.rust.contexts.len() as u32);
        let entry = encode_entry(&facts, SOURCE.as_bytes(), &key());
        assert!(decode_entry(&entry, facts.path, &content_hash(SOURCE.as_bytes()), &key()).is_none());
        facts.rust.macros[0].context = context;
        let entry = encode_entry(&facts, SOURCE.as_bytes(), &key());
        assert_eq!(decode_entry(&entry, facts.path, &content_hash(SOURCE.as_bytes()), &key()), Some(facts));
    }

    #[test]
    fn a_saved_cache_is_reused_and_a_changed_file_misses() {
        let dir = tempfile::tempdir().unwrap();
        let cache_dir = dir.path().join("nested/cache");
        let facts = extracted("src/main.rs", SOURCE);
        let cache = Cache::in_dir(cache_dir.clone(), key());
        assert!(cache.load(facts.path, SOURCE.as_bytes()).is_none());
        cache.store(&facts, SOURCE.as_bytes());
        cache.save().unwrap();

        let cache = Cache::in_dir(cache_dir.clone(), key());
        assert_eq!(cache.load(facts.path, SOURCE.as_bytes()), Some(facts.clone()));
        assert!(cache.load(facts.path, b"fn main() {}").is_none());
        assert_eq!(cache.stats(), CacheStats { hits: 1, misses: 1 });
        let files = |dir: &Path| std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name()).collect::<Vec<_>>();
        assert_eq!(files(&cache_dir), ["facts.bin"], "no temporary files are left");
        let written = std::fs::metadata(cache_dir.join(FILE_NAME)).unwrap().modified().unwrap();
        cache.save().unwrap();
        assert_eq!(std::fs::metadata(cache_dir.join(FILE_NAME)).unwrap().modified().unwrap(), written);
    }

    #[test]
    fn a_rewritten_cache_keeps_reused_entries_and_an_unsaved_run_leaves_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let (main, lib) = (extracted("src/main.rs", SOURCE), extracted("src/lib.rs", "fn a() {}"));
        let cache = Cache::in_dir(dir.path().to_owned(), key());
        cache.store(&main, SOURCE.as_bytes());
        cache.store(&lib, b"fn a() {}");
        cache.save().unwrap();

        let changed = extracted("src/lib.rs", "fn b() {}");
        let cache = Cache::in_dir(dir.path().to_owned(), key());
        assert!(cache.load(main.path, SOURCE.as_bytes()).is_some());
        assert!(cache.load(lib.path, b"fn b() {}").is_none());
        cache.store(&changed, b"fn b() {}");
        cache.save().unwrap();

        let cache = Cache::in_dir(dir.path().to_owned(), key());
        assert_eq!(cache.load(main.path, SOURCE.as_bytes()), Some(main.clone()));
        assert_eq!(cache.load(lib.path, b"fn b() {}"), Some(changed));
        assert!(cache.load(lib.path, b"fn a() {}").is_none());
        let before = std::fs::read(dir.path().join(FILE_NAME)).unwrap();
        cache.store(&main, b"fn main() {}");
        drop(cache);
        let files = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect::<Vec<_>>();
        assert_eq!(files, ["facts.bin"], "the unsaved run's next cache file is removed");
        assert_eq!(std::fs::read(dir.path().join(FILE_NAME)).unwrap(), before);
    }

    #[test]
    fn a_damaged_or_foreign_cache_file_is_an_empty_cache() {
        let dir = tempfile::tempdir().unwrap();
        let facts = extracted("src/main.rs", SOURCE);
        let cache = Cache::in_dir(dir.path().to_owned(), key());
        cache.store(&facts, SOURCE.as_bytes());
        cache.save().unwrap();
        let file = std::fs::read(dir.path().join(FILE_NAME)).unwrap();
        for damaged in [file[..file.len() - 1].to_vec(), b"grcache\x01 written by another build".to_vec(), Vec::new()] {
            std::fs::write(dir.path().join(FILE_NAME), &damaged).unwrap();
            let cache = Cache::in_dir(dir.path().to_owned(), key());
            assert!(cache.load(facts.path, SOURCE.as_bytes()).is_none());
        }
    }

    #[test]
    fn an_unwritable_cache_is_an_error_and_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, "not a directory").unwrap();
        let cache = Cache::in_dir(blocker.join("cache"), key());
        let facts = extracted("src/main.rs", SOURCE);
        cache.store(&facts, SOURCE.as_bytes());
        assert!(cache.save().unwrap_err().contains("cannot write the cache"));
    }
}
