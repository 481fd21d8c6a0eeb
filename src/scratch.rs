//! How guardrail runs other programs (cargo, helm, kubectl, git): on a private copy of what they
//! need, never in the checked tree, with a time limit and a bound on what they may print, and
//! with an environment guardrail chooses.
//!
//! A program run in the tree could be chosen by it (`rust-toolchain.toml`, `.cargo/config.toml`),
//! follow its links out, or block on its FIFOs; a copy made through [`crate::tree`] holds only
//! regular files that were under the root. A program given guardrail's environment would hold the
//! CI's secrets (`GITHUB_TOKEN`) while it reads files a pull request wrote; one given a string of
//! the tree where it reads options could be told to write files (`kubectl kustomize -o/path`) or
//! run a program (`helm template --post-renderer`). So every program starts with a cleared
//! environment, and every path of the tree reaches it as `./…` after `--`.

use std::ffi::OsStr;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// The most a program may print to each stream before it is stopped.
pub const MAX_OUTPUT: u64 = 64 << 20;

/// A new directory only this process writes to, under the system's temporary directory;
/// removed with everything in it when dropped.
pub struct ScratchDir {
    dir: PathBuf,
}

impl ScratchDir {
    /// A fresh directory named after `purpose` (`cargo`, `helm`).
    pub fn new(purpose: &str) -> std::io::Result<ScratchDir> {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let base = std::env::temp_dir().canonicalize()?;
        loop {
            let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let dir = base.join(format!("guardrail-{purpose}-{}-{n}", std::process::id()));
            match std::fs::create_dir(&dir) {
                Ok(()) => return Ok(ScratchDir { dir }),
                Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(error) => return Err(error),
            }
        }
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Writes `bytes` at `relative` (a path as reports show it), creating its directories.
    pub fn write(&self, relative: &str, bytes: &[u8]) -> std::io::Result<()> {
        let path = self.dir.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, bytes)
    }

    /// Removes this directory's own path from a program's message.
    pub fn unmention(&self, message: &str) -> String {
        message.replace(&format!("{}/", self.dir.display()), "").replace(&self.dir.display().to_string(), ".")
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Where a program keeps its own configuration.
pub enum Home {
    /// A directory in the scratch directory: it reads no configuration of the user's.
    Scratch,
    /// The user's home (git: `safe.directory` and the identity CI set up live there).
    User,
}

/// `program`, to run from `dir`, with a cleared environment plus what every program needs —
/// `PATH` (guardrail's own), a home, a neutral locale, a temporary directory in `dir` — and the
/// variables named in `passed` that guardrail's own environment sets.
pub fn program(program: impl AsRef<OsStr>, dir: &ScratchDir, home: Home, passed: &[&str]) -> Command {
    let mut command = Command::new(program);
    command.env_clear().current_dir(dir.path());
    let own = ["PATH", "SYSTEMROOT"].into_iter().chain(passed.iter().copied());
    for name in own {
        if let Some(value) = std::env::var_os(name) {
            command.env(name, value);
        }
    }
    let home = match home {
        Home::Scratch => Some(dir.path().join(".home").into_os_string()),
        Home::User => std::env::var_os("HOME"),
    };
    if let Some(home) = home {
        command.env("HOME", home);
    }
    command.env("LANG", "C").env("LC_ALL", "C").env("TMPDIR", dir.path());
    command
}

/// Whether `path` (relative, with `/`) is safe to hand to a program as a path: no component
/// starts with `-`, so that no program reads it as an option even where `--` is not honoured.
pub fn is_plain_path(path: &str) -> bool {
    !path.split('/').any(|component| component.starts_with('-'))
}

/// Runs `command` to completion, or kills it after `limit` or once it has printed more than
/// [`MAX_OUTPUT`] on a stream. A program that is not installed is `ErrorKind::NotFound`.
pub fn run_with_limit(command: Command, limit: Duration) -> std::io::Result<Output> {
    run_with_input(command, None, limit)
}

/// [`run_with_limit`], with `input` written to the program's standard input.
pub fn run_with_input(mut command: Command, input: Option<Vec<u8>>, limit: Duration) -> std::io::Result<Output> {
    use std::io::Write;
    use std::process::Stdio;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    let stdin = if input.is_some() { Stdio::piped() } else { Stdio::null() };
    command.stdin(stdin).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn()?;
    // Written from a thread of its own: a program that prints while it reads would otherwise
    // block on a full pipe while this one blocks writing.
    if let (Some(input), Some(mut stdin)) = (input, child.stdin.take()) {
        std::thread::spawn(move || stdin.write_all(&input));
    }
    let overflowed = Arc::new(AtomicBool::new(false));
    let reader = |stream: Option<Box<dyn Read + Send>>| {
        let overflowed = Arc::clone(&overflowed);
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(stream) = stream {
                let _ = stream.take(MAX_OUTPUT + 1).read_to_end(&mut bytes);
            }
            if bytes.len() as u64 > MAX_OUTPUT {
                overflowed.store(true, Ordering::Relaxed);
            }
            bytes
        })
    };
    let out = reader(child.stdout.take().map(|s| Box::new(s) as Box<dyn Read + Send>));
    let err = reader(child.stderr.take().map(|s| Box::new(s) as Box<dyn Read + Send>));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        let why = if overflowed.load(Ordering::Relaxed) {
            Some(format!("stopped: it printed more than {} MiB", MAX_OUTPUT >> 20))
        } else {
            (started.elapsed() > limit).then(|| format!("stopped after {} s", limit.as_secs()))
        };
        if let Some(why) = why {
            let _ = child.kill();
            let _ = child.wait();
            return Err(std::io::Error::new(std::io::ErrorKind::TimedOut, why));
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let (stdout, stderr) = (out.join().unwrap_or_default(), err.join().unwrap_or_default());
    if overflowed.load(Ordering::Relaxed) {
        return Err(std::io::Error::other(format!("stopped: it printed more than {} MiB", MAX_OUTPUT >> 20)));
    }
    Ok(Output { status, stdout, stderr })
}
