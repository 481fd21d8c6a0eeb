//! The remembered result: what the last run of a tree found, for a run whose every input is the
//! same. A check is a function of its inputs — the bytes of every file the walk found, the
//! configuration, the policies, the options and what `cargo metadata` is asked with — so when
//! their digest is the previous run's, extraction, link and evaluation are skipped and the
//! previous findings are reported again (a pre-commit hook with no Rust change waits only for the
//! walk and the hashing). The caller computes the digest ([`crate::check`]); this module keeps
//! one result per tree, `<dir>/result.bin`: magic, build stamp, the inputs' digest, the payload
//! and its authentication code under the home's key, so a file anyone else wrote is ignored.

use super::codec::{Codec, Reader, Writer};
use super::{build_stamp, constant_time_eq, split, Key};
use crate::findings::Checked;
use std::io::Write;
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 8] = b"grresult";
const FILE_NAME: &str = "result.bin";
/// Larger than any result a run reports (a report of that size is read by nobody).
const MAX_SIZE: u64 = 1 << 30;

/// The digest of everything a run reads.
pub type Inputs = [u8; 32];

/// The remembered result of one tree.
pub struct Results {
    dir: PathBuf,
    key: Key,
}

impl Results {
    pub(super) fn in_dir(dir: PathBuf, key: Key) -> Self {
        Results { dir, key }
    }

    /// The result remembered for exactly `inputs`, when the file is whole and this build's.
    pub fn load(&self, inputs: &Inputs) -> Option<Checked> {
        let bytes = crate::tree::read_regular(&self.dir.join(FILE_NAME), MAX_SIZE).ok()?;
        let (magic, rest) = split(&bytes, MAGIC.len() as u64)?;
        let (stamp, rest) = split(rest, 8)?;
        let (digest, rest) = split(rest, 32)?;
        let (code, payload) = split(rest, 32)?;
        let current = magic == MAGIC && stamp == build_stamp() && constant_time_eq(digest, inputs);
        if !current || !constant_time_eq(code, &self.code(inputs, payload)) {
            return None;
        }
        let mut reader = Reader::new(payload).ok()?;
        let checked = Checked::decode(&mut reader).ok()?;
        reader.is_empty().then_some(checked)
    }

    /// Remembers `checked` as the result for `inputs`, replacing what was remembered.
    pub fn store(&self, inputs: &Inputs, checked: &Checked) -> Result<(), String> {
        let mut writer = Writer::default();
        checked.encode(&mut writer);
        let payload = writer.finish();
        let mut bytes = Vec::with_capacity(MAGIC.len() + 8 + 64 + payload.len());
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(&build_stamp());
        bytes.extend_from_slice(inputs);
        bytes.extend_from_slice(&self.code(inputs, &payload));
        bytes.extend_from_slice(&payload);
        write_new(&self.dir, &bytes)
            .map_err(|error| format!("cannot write the cache in {}: {error}", self.dir.display()))
    }

    fn code(&self, inputs: &Inputs, payload: &[u8]) -> [u8; 32] {
        let mut hasher = blake3::Hasher::new_keyed(&self.key.0);
        hasher.update(MAGIC);
        hasher.update(inputs);
        hasher.update(payload);
        *hasher.finalize().as_bytes()
    }
}

/// Writes `bytes` to a file created new beside the result (never through a link) and renames it
/// into place, so a concurrent run reads a whole result or the previous one.
fn write_new(dir: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let temporary = dir.join(format!("{FILE_NAME}.tmp-{}", std::process::id()));
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&temporary)
        .and_then(|mut file| file.write_all(bytes))
        .and_then(|()| std::fs::rename(&temporary, dir.join(FILE_NAME)));
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::{Finding, LeftOut, Related, Severity};
    use crate::location::Location;
    use crate::problem::Problem;
    use crate::symbol::Symbol;

    fn checked() -> Checked {
        let mut finding = Finding::plain("unbounded-channel", Severity::Warning, ("src/main.rs", 6, 20), "unbounded");
        finding.help = Some("bound it".to_owned());
        finding.fingerprint = "5e5b5cf709a2a3bf".to_owned();
        finding
            .related
            .push(Related { location: Location::file(Symbol::intern("src/api.rs")), message: "sends".into() });
        let note = Problem { location: Location::file(Symbol::intern("Chart.yaml")), message: "skipped".into() };
        let development = LeftOut::of("development", vec!["docker-compose.dev.yml".into()], |n| format!("{n} file"));
        Checked {
            findings: vec![finding],
            problems: Vec::new(),
            notes: vec![note],
            files: 16,
            suppressed: 2,
            left_out: development.into_iter().collect(),
        }
    }

    fn results(dir: &Path, key: u8) -> Results {
        Results::in_dir(dir.to_path_buf(), Key([key; 32]))
    }

    #[test]
    fn a_result_is_given_back_for_the_same_inputs_only() {
        let home = tempfile::tempdir().unwrap();
        let results = results(home.path(), 7);
        assert_eq!(results.load(&[1; 32]), None, "nothing remembered yet");
        results.store(&[1; 32], &checked()).unwrap();
        assert_eq!(results.load(&[1; 32]), Some(checked()));
        assert_eq!(results.load(&[2; 32]), None, "other inputs");
        results.store(&[2; 32], &Checked::default()).unwrap();
        assert_eq!(results.load(&[1; 32]), None, "one result per tree: the newest");
        assert_eq!(results.load(&[2; 32]), Some(Checked::default()));
    }

    #[test]
    fn a_result_written_without_the_key_or_damaged_is_not_used() {
        let home = tempfile::tempdir().unwrap();
        results(home.path(), 8).store(&[1; 32], &checked()).unwrap();
        assert_eq!(results(home.path(), 7).load(&[1; 32]), None, "forged");
        results(home.path(), 7).store(&[1; 32], &checked()).unwrap();
        let path = home.path().join(FILE_NAME);
        let whole = std::fs::read(&path).unwrap();
        for at in [0, 9, 20, 60, whole.len() - 1] {
            let mut damaged = whole.clone();
            damaged[at] ^= 1;
            std::fs::write(&path, &damaged).unwrap();
            assert_eq!(results(home.path(), 7).load(&[1; 32]), None, "byte {at} flipped");
        }
        std::fs::write(&path, &whole[..whole.len() - 3]).unwrap();
        assert_eq!(results(home.path(), 7).load(&[1; 32]), None, "truncated");
    }
}
