//! Packages and targets from `cargo metadata --no-deps --offline`: no network, no lockfile.
//!
//! cargo never sees the checked tree itself. rustup picks the toolchain from the working
//! directory's `rust-toolchain.toml`, which a pull request can point at any program, and cargo
//! follows links and blocks on FIFOs. So cargo runs on a private mirror of the tree: a copy of
//! each manifest the walk found (regular files under the root only) and an empty file for each
//! Rust file (all target discovery looks at), from that mirror as its working directory, with a
//! time limit.

use super::manifest;
use crate::discover::config::relative_display;
use crate::discover::{Discovery, SourceFile};
use crate::facts::{Dependency, FileKind, Location, Package, Problem, Symbol, Target};
use cargo_metadata::{DependencyKind, Metadata, MetadataCommand};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long one `cargo metadata` may take before it is stopped: it reads manifests only.
const CARGO_TIME_LIMIT: Duration = Duration::from_secs(120);
/// A manifest larger than this is not copied to the mirror.
const MAX_MANIFEST_SIZE: u64 = 1 << 20;

/// Loads the packages of every workspace whose manifest lies under `root`. A workspace is
/// asked once: manifests already covered by an earlier answer, or inside a workspace whose
/// answer was an error, are skipped.
pub fn load_packages(root: &Path, discovery: &Discovery) -> (Vec<Package>, Vec<Problem>) {
    let mut packages: Vec<Package> = Vec::new();
    let mut problems = Vec::new();
    if discovery.manifests.is_empty() {
        return (packages, problems);
    }
    let mirror = match Mirror::create(root, discovery) {
        Ok(mirror) => mirror,
        Err(error) => {
            let message = format!("cannot prepare cargo metadata, so packages and targets are unknown: {error}");
            return (packages, vec![Problem { location: Location::file(discovery.manifests[0].shown), message }]);
        }
    };
    let mut by_depth: Vec<&SourceFile> = discovery.manifests.iter().collect();
    by_depth.sort_by_key(|m| (m.shown.matches('/').count(), m.shown));
    let mut failed_dirs: Vec<&str> = Vec::new();
    for manifest in by_depth {
        let dir = manifest.shown.rsplit_once('/').map_or("", |(dir, _)| dir);
        let under_failed = failed_dirs
            .iter()
            .any(|failed| failed.is_empty() || dir == *failed || dir.starts_with(&format!("{failed}/")));
        if under_failed || packages.iter().any(|p| p.manifest_path == manifest.shown) {
            continue;
        }
        match mirror.metadata(manifest.shown).and_then(|metadata| packages_of(root, &mirror, metadata)) {
            Ok(found) => {
                for package in found {
                    if !packages.iter().any(|p| p.manifest_path == package.manifest_path) {
                        packages.push(package);
                    }
                }
            }
            Err(message) => {
                failed_dirs.push(dir);
                problems.push(Problem { location: Location::file(manifest.shown), message })
            }
        }
    }
    packages.sort_by_key(|a| a.manifest_path);
    (packages, problems)
}

/// The tree as cargo sees it: manifests copied, Rust files empty, nothing else.
struct Mirror {
    dir: PathBuf,
}

impl Mirror {
    fn create(root: &Path, discovery: &Discovery) -> std::io::Result<Mirror> {
        let dir = private_dir()?;
        let mirror = Mirror { dir };
        for manifest in &discovery.manifests {
            // The walk found it a regular file; a manifest that cannot be read is left out,
            // and cargo says so if it needs it.
            if let Ok(bytes) = crate::tree::read_under(root, &manifest.path, MAX_MANIFEST_SIZE) {
                mirror.write(manifest.shown, &bytes)?;
            }
        }
        for (file, _) in discovery.files.iter().filter(|(_, kind)| *kind == FileKind::Rust) {
            mirror.write(file.shown, b"")?;
        }
        Ok(mirror)
    }

    fn write(&self, shown: Symbol, bytes: &[u8]) -> std::io::Result<()> {
        let path = self.dir.join(shown.as_str());
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, bytes)
    }

    /// `cargo metadata` of the mirrored manifest `shown`, from the mirror as working directory.
    fn metadata(&self, shown: Symbol) -> Result<Metadata, String> {
        let cargo = std::env::var_os("CARGO").filter(|c| !c.is_empty()).unwrap_or_else(|| "cargo".into());
        let mut command = Command::new(cargo);
        command
            .args(["metadata", "--format-version", "1", "--no-deps", "--offline", "--manifest-path"])
            .arg(self.dir.join(shown.as_str()))
            .current_dir(&self.dir)
            .env("CARGO_NET_OFFLINE", "true")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let output = run_with_limit(command, CARGO_TIME_LIMIT).map_err(|error| match error.kind() {
            std::io::ErrorKind::NotFound => {
                "cargo was not found on PATH, so packages and targets are unknown; policies that need them stay silent"
                    .to_owned()
            }
            _ => format!("cargo metadata failed, so packages and targets are unknown here: {error}"),
        })?;
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let reason = stderr.lines().filter(|l| !l.trim().is_empty()).collect::<Vec<_>>().join("\n");
            let reason = reason.replace(&format!("{}/", self.dir.display()), "");
            return Err(format!("cargo metadata failed, so packages and targets are unknown here: {reason}"));
        }
        let stdout = String::from_utf8_lossy(&output.stdout);
        let json = stdout.lines().find(|line| line.starts_with('{')).unwrap_or_default();
        MetadataCommand::parse(json)
            .map_err(|error| format!("cargo metadata gave output guardrail cannot read: {error}"))
    }

    /// `path` (in the mirror) relative to the mirror, as reports show it.
    fn shown(&self, path: &Path) -> Option<String> {
        path.strip_prefix(&self.dir).ok().map(|relative| relative_display(Path::new(""), relative))
    }
}

impl Drop for Mirror {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A new directory only this process writes to, under the system's temporary directory.
fn private_dir() -> std::io::Result<PathBuf> {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let base = std::env::temp_dir().canonicalize()?;
    loop {
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = base.join(format!("guardrail-cargo-{}-{n}", std::process::id()));
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(error) => return Err(error),
        }
    }
}

/// Runs `command` to completion, or kills it after `limit`.
fn run_with_limit(mut command: Command, limit: Duration) -> std::io::Result<std::process::Output> {
    let mut child = command.spawn()?;
    let (mut stdout, mut stderr) = (child.stdout.take(), child.stderr.take());
    let out = std::thread::spawn(move || read_all(stdout.as_mut()));
    let err = std::thread::spawn(move || read_all(stderr.as_mut()));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!("stopped after {} s", limit.as_secs()),
            ));
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Ok(std::process::Output { status, stdout: out.join().unwrap_or_default(), stderr: err.join().unwrap_or_default() })
}

fn read_all(stream: Option<&mut impl std::io::Read>) -> Vec<u8> {
    let mut bytes = Vec::new();
    if let Some(stream) = stream {
        let _ = stream.read_to_end(&mut bytes);
    }
    bytes
}

fn kind_name(kind: DependencyKind) -> &'static str {
    match kind {
        DependencyKind::Development => "dev",
        DependencyKind::Build => "build",
        _ => "normal",
    }
}

/// The workspace members of `metadata`, with paths as reports show them.
fn packages_of(root: &Path, mirror: &Mirror, metadata: Metadata) -> Result<Vec<Package>, String> {
    let shown = |path: &Path| mirror.shown(path);
    Ok(metadata
        .packages
        .into_iter()
        .filter(|p| metadata.workspace_members.contains(&p.id))
        .filter_map(|package| {
            let manifest_path = shown(package.manifest_path.as_std_path())?;
            let dir = manifest_path.rsplit_once('/').map_or(String::new(), |(dir, _)| dir.to_owned());
            let manifest_text =
                crate::tree::text(crate::tree::read_under(root, &root.join(&manifest_path), MAX_MANIFEST_SIZE))
                    .unwrap_or_default();
            let declared = manifest::dependency_locations(Symbol::intern(manifest_path.as_str()), &manifest_text);
            let dependencies = package
                .dependencies
                .iter()
                .map(|dep| Dependency {
                    name: dep.name.to_string(),
                    rename: dep.rename.clone(),
                    kind: kind_name(dep.kind).to_owned(),
                    features: dep.features.clone(),
                    uses_default_features: dep.uses_default_features,
                    optional: dep.optional,
                    path: dep.path.as_ref().and_then(|p| shown(p.as_std_path())),
                    location: manifest::find(
                        &declared,
                        kind_name(dep.kind),
                        dep.rename.as_deref().unwrap_or(&dep.name),
                    ),
                })
                .collect();
            let targets = package
                .targets
                .iter()
                .filter_map(|target| {
                    Some(Target {
                        name: target.name.clone(),
                        kinds: target.kind.iter().map(|k| k.to_string()).collect(),
                        src_path: Symbol::from(shown(target.src_path.as_std_path())?),
                        crate_name: target.name.replace('-', "_"),
                    })
                })
                .collect();
            let layer = package.metadata.pointer("/guardrail/layer").and_then(|l| l.as_str()).map(str::to_owned);
            Some(Package {
                layer,
                name: Symbol::intern(package.name.as_str()),
                version: package.version.to_string(),
                manifest_path: Symbol::from(manifest_path),
                dir,
                dependencies,
                targets,
            })
        })
        .collect())
}
