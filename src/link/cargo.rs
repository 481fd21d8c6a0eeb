//! Packages and targets from `cargo metadata --no-deps --offline`: no network, no lockfile.
//!
//! cargo never sees the checked tree itself. rustup picks the toolchain from the working
//! directory's `rust-toolchain.toml`, which a pull request can point at any program, and cargo
//! follows links and blocks on FIFOs. So cargo runs on a private mirror of the tree: a copy of
//! each manifest the walk found (regular files under the root only) and an empty file at each
//! position target discovery looks at or a manifest names (all cargo reads of Rust files), from
//! that mirror as its working directory, with a time limit.

use super::dependency_lines;
use super::manifest_fallback::{self, Manifest};
use crate::cache::Cache;
use crate::discover::{Discovery, SourceFile};
use crate::facts::{Dependency, Package, PackageSource, Target};
use crate::file_kind::FileKind;
use crate::location::Location;
use crate::problem::Problem;
use crate::scratch::{program, run_with_limit, Home, ScratchDir};
use crate::symbol::Symbol;
use cargo_metadata::{DependencyKind, Metadata, MetadataCommand};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long one `cargo metadata` may take before it is stopped: it reads manifests only.
const CARGO_TIME_LIMIT: Duration = Duration::from_secs(120);
/// A manifest larger than this is not copied to the mirror.
const MAX_MANIFEST_SIZE: u64 = 1 << 20;

/// Loads the packages of every workspace whose manifest lies under `root`; returns them with
/// notes on how they were read and an error for each manifest that is not TOML. A workspace is
/// asked once: manifests already covered by an earlier answer, or inside a workspace whose
/// answer was an error, are skipped. Where cargo fails, the manifests are read directly (one
/// note per cause), so the run goes on with its packages. With a cache, cargo's answers are
/// kept for the next run, which asks again only when a manifest, a target file or the cargo
/// it would run changed.
/// What the manifests declare, as cargo says it where it can: the packages, a note for each
/// workspace cargo could not read, the manifests that are not TOML, and whether cargo was not
/// run to its end for some workspace (not found, killed, over its time limit: a later run may
/// get its answer).
pub struct Packages {
    pub packages: Vec<Package>,
    pub notes: Vec<Problem>,
    pub problems: Vec<Problem>,
    pub cargo_unfinished: bool,
}

pub fn load_packages(root: &Path, discovery: &Discovery, cache: Option<&Cache>) -> Packages {
    let (manifests, problems) = read_manifests(root, &discovery.manifests);
    let rust_files: HashSet<&str> = discovery
        .files
        .iter()
        .filter(|(_, kind)| *kind == FileKind::Rust)
        .map(|(file, _)| file.shown.as_str())
        .collect();
    let mut packages: Vec<Package> = Vec::new();
    // (manifest, what cargo said) for each workspace cargo could not read.
    let mut failures: Vec<(Symbol, String)> = Vec::new();
    let mut cargo_unusable = false;
    let cargo = Cargo::new(&manifests, &rust_files, cache);
    let mut by_depth: Vec<&SourceFile> = discovery.manifests.iter().collect();
    by_depth.sort_by_key(|m| (m.shown.matches('/').count(), m.shown));
    for manifest in by_depth {
        let under_failed = failures.iter().any(|(failed, _)| contains(dir_of(*failed), manifest.shown));
        if under_failed || packages.iter().any(|p| p.manifest_path == manifest.shown) {
            continue;
        }
        match cargo.metadata(manifest.shown) {
            Ok((metadata, mirror)) => {
                for package in packages_of(&mirror, metadata) {
                    if !packages.iter().any(|p| p.manifest_path == package.manifest_path) {
                        packages.push(package);
                    }
                }
            }
            Err(Unanswered::NoMirror(error)) => {
                cargo_unusable = true;
                failures.push((manifest.shown, format!("cannot prepare a copy of the manifests for cargo: {error}")));
                break;
            }
            Err(Unanswered::Cargo(reason)) => failures.push((manifest.shown, reason)),
        }
    }
    let known: HashSet<Symbol> = packages.iter().map(|p| p.manifest_path).collect();
    let read_directly = |shown: Symbol| {
        !known.contains(&shown)
            && (cargo_unusable || failures.iter().any(|(failed, _)| contains(dir_of(*failed), shown)))
    };
    let fallback = manifest_fallback::packages(&manifests, &read_directly, &rust_files);
    for package in fallback {
        if !packages.iter().any(|p| {
            p.manifest_path == package.manifest_path
                || (p.name == package.name && package.source == PackageSource::Unknown)
        }) {
            packages.push(package);
        }
    }
    locate_dependencies(&mut packages, &manifests);
    packages.sort_by_key(|a| a.manifest_path);
    // A manifest that is not TOML is an error of its own; no note repeats it.
    failures.retain(|(manifest, _)| !problems.iter().any(|p| p.location.path == *manifest));
    let cargo_unfinished = cargo.unfinished.get();
    Packages { packages, notes: failure_notes(&failures), problems, cargo_unfinished }
}

fn dir_of(manifest: Symbol) -> &'static str {
    manifest.as_str().rsplit_once('/').map_or("", |(dir, _)| dir)
}

/// Whether the directory `dir` holds `path`.
fn contains(dir: &str, path: Symbol) -> bool {
    dir.is_empty() || path.strip_prefix(dir).is_some_and(|rest| rest.starts_with('/'))
}

/// Every manifest of the walk that can be read, and an error for each that is not TOML (with
/// an empty table: cargo reports it too, and neither can say what it declares).
fn read_manifests(root: &Path, found: &[SourceFile]) -> (Vec<Manifest>, Vec<Problem>) {
    let mut problems = Vec::new();
    let manifests = found
        .iter()
        .filter_map(|manifest| {
            let text = crate::tree::text(crate::tree::read_under(root, &manifest.path, MAX_MANIFEST_SIZE)).ok()?;
            let table = toml::from_str::<toml::Table>(&text).unwrap_or_else(|error| {
                let index = crate::location::LineIndex::new(&text);
                let location = error.span().map_or_else(
                    || Location::file(manifest.shown),
                    |span| index.location_of_bytes(manifest.shown, span.start, span.end),
                );
                let message = format!("does not parse as a Cargo manifest: {}", error.message());
                problems.push(Problem { location, message });
                toml::Table::new()
            });
            Some(Manifest { shown: manifest.shown, text, table })
        })
        .collect();
    (manifests, problems)
}

/// Where each manifest declares each dependency: cargo metadata has no lines.
fn locate_dependencies(packages: &mut [Package], manifests: &[Manifest]) {
    for package in packages {
        let Some(manifest) = manifests.iter().find(|m| m.shown == package.manifest_path) else { continue };
        let declared = dependency_lines::dependency_locations(manifest.shown, &manifest.text);
        for dependency in &mut package.dependencies {
            let written = dependency.rename.as_deref().unwrap_or(&dependency.name);
            dependency.location = dependency_lines::find(&declared, &dependency.kind, written);
        }
    }
}

/// One note per cause cargo gave, naming the manifests it failed for.
fn failure_notes(failures: &[(Symbol, String)]) -> Vec<Problem> {
    let mut by_cause: Vec<(String, Vec<Symbol>)> = Vec::new();
    for (manifest, reason) in failures {
        // The same cause for several manifests reads the same: without each one's path.
        let cause = cause(reason).replace(&format!(" at `{manifest}`"), "").replace(manifest.as_str(), "the manifest");
        match by_cause.iter_mut().find(|(known, _)| *known == cause) {
            Some((_, manifests)) => manifests.push(*manifest),
            None => by_cause.push((cause, vec![*manifest])),
        }
    }
    by_cause
        .into_iter()
        .map(|(cause, manifests)| {
            let more = match manifests.len() {
                1 => String::new(),
                n => format!(" and {} more", n - 1),
            };
            Problem {
                location: Location::file(manifests[0]),
                message: format!(
                    "cargo metadata failed for {}{more}: {cause}; packages there were read from the manifests",
                    manifests[0]
                ),
            }
        })
        .collect()
}

/// What cargo's error comes down to: its first `error:` line, and the last cause it gives.
fn cause(reason: &str) -> String {
    let lines: Vec<&str> = reason.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let first = lines.iter().find(|l| l.starts_with("error:")).or(lines.first()).copied().unwrap_or("");
    let first = first.trim_start_matches("error:").trim();
    let last_cause = lines.iter().rposition(|l| *l == "Caused by:").and_then(|at| lines.get(at + 1)).copied();
    match last_cause {
        Some(last) if last != first => format!("{first} ({last})"),
        _ => first.to_owned(),
    }
}

/// The tree as cargo sees it: manifests copied, Rust files empty, nothing else.
struct Mirror {
    dir: ScratchDir,
}

impl Mirror {
    /// The mirror of `manifests` (those that could be read: cargo reports the others) and of
    /// the Rust files target discovery looks at or a manifest names.
    fn create(manifests: &[Manifest], rust_files: &HashSet<&str>) -> std::io::Result<Mirror> {
        let dir = ScratchDir::new("cargo")?;
        for manifest in manifests {
            dir.write(&manifest.shown, manifest.text.as_bytes())?;
        }
        for file in manifest_fallback::target_files(manifests, rust_files) {
            dir.write(file, b"")?;
        }
        Ok(Mirror { dir })
    }

    /// `cargo metadata` of the mirrored manifest `shown`, from the mirror as working directory:
    /// its JSON, or why it failed. `Err(Ran(..))` is cargo's own verdict on the manifests, the
    /// same on every run; `Err(NotRun(..))` (not found, stopped at its time limit, killed) may
    /// not be.
    fn metadata(&self, shown: Symbol) -> Result<String, CargoFailure> {
        let cargo = std::env::var_os("CARGO").filter(|c| !c.is_empty()).unwrap_or_else(|| "cargo".into());
        // rustup's proxies find their toolchains through RUSTUP_HOME, which defaults to the
        // user's home: with a scratch home, they are told where it is.
        let mut command = program(cargo, &self.dir, Home::Scratch, &["RUSTUP_TOOLCHAIN", "CARGO_HOME"]);
        if let Some(rustup_home) = rustup_home() {
            command.env("RUSTUP_HOME", rustup_home);
        }
        let mut manifest = std::ffi::OsString::from("--manifest-path=");
        manifest.push(self.dir.path().join(shown.as_str()));
        command
            .args(["metadata", "--format-version", "1", "--no-deps", "--offline"])
            .arg(manifest)
            .env("CARGO_NET_OFFLINE", "true");
        let output = run_with_limit(command, CARGO_TIME_LIMIT).map_err(|error| {
            CargoFailure::NotRun(match error.kind() {
                std::io::ErrorKind::NotFound => "cargo was not found on PATH".to_owned(),
                _ => error.to_string(),
            })
        })?;
        if !output.status.success() {
            let said = self.dir.unmention(&String::from_utf8_lossy(&output.stderr));
            // Exited with a code: cargo's verdict. Ended by a signal: the machine's doing.
            return Err(if output.status.code().is_some() {
                CargoFailure::Ran(said)
            } else {
                CargoFailure::NotRun(said)
            });
        }
        let stdout = String::from_utf8_lossy(&output.stdout);
        Ok(stdout.lines().find(|line| line.starts_with('{')).unwrap_or_default().to_owned())
    }
}

/// Why `cargo metadata` gave no JSON.
enum CargoFailure {
    /// cargo ran and refused the manifests.
    Ran(String),
    /// cargo did not run to its own end.
    NotRun(String),
}

/// Why cargo gave no packages for a manifest.
enum Unanswered {
    /// The mirror could not be made: cargo cannot run at all.
    NoMirror(String),
    /// What cargo said (or why it could not be read).
    Cargo(String),
}

/// The environment variables that decide which cargo and toolchain answer.
pub const ENVIRONMENT: [&str; 5] = ["CARGO", "RUSTUP_TOOLCHAIN", "RUSTUP_HOME", "CARGO_HOME", "PATH"];

/// cargo's answers for one run: from the cache when nothing cargo reads changed, else from
/// cargo on the mirror, made on the first question the cache cannot answer.
struct Cargo<'a> {
    manifests: &'a [Manifest],
    rust_files: &'a HashSet<&'a str>,
    cache: Option<&'a Cache>,
    mirror: std::cell::OnceCell<std::io::Result<Mirror>>,
    /// Some question was not answered because cargo did not run to its end.
    unfinished: std::cell::Cell<bool>,
    /// Everything an answer depends on, the key of the cached ones: the manifests and where
    /// target files are, and which cargo and toolchain would run.
    inputs: Vec<u8>,
}

impl<'a> Cargo<'a> {
    fn new(manifests: &'a [Manifest], rust_files: &'a HashSet<&'a str>, cache: Option<&'a Cache>) -> Self {
        let mut inputs = Vec::new();
        let mut add = |part: &[u8]| {
            inputs.extend_from_slice(&(part.len() as u64).to_le_bytes());
            inputs.extend_from_slice(part);
        };
        for manifest in manifests {
            add(manifest.shown.as_bytes());
            add(manifest.text.as_bytes());
        }
        for file in manifest_fallback::target_files(manifests, rust_files) {
            add(file.as_bytes());
        }
        for variable in ENVIRONMENT {
            add(std::env::var_os(variable).unwrap_or_default().as_encoded_bytes());
        }
        Cargo {
            manifests,
            rust_files,
            cache,
            mirror: std::cell::OnceCell::new(),
            unfinished: Default::default(),
            inputs,
        }
    }

    /// What `cargo metadata` says of `shown`, and the directory its paths are under.
    fn metadata(&self, shown: Symbol) -> Result<(Metadata, PathBuf), Unanswered> {
        let name = format!("cargo metadata {shown}");
        let cached = self
            .cache
            .and_then(|cache| cache.load_answer(&name, &self.inputs))
            .and_then(|answer| decode_answer(&answer));
        let (mirror_dir, answer) = match cached {
            Some(found) => found,
            None => {
                let mirror = self.mirror.get_or_init(|| Mirror::create(self.manifests, self.rust_files));
                let mirror = mirror.as_ref().map_err(|error| Unanswered::NoMirror(error.to_string()))?;
                let dir = mirror.dir.path().to_path_buf();
                // Only what cargo said is kept: a run it did not finish is asked again next time.
                let (answer, lasting) = match mirror.metadata(shown) {
                    Ok(json) => (Ok(json), true),
                    Err(CargoFailure::Ran(reason)) => (Err(reason), true),
                    Err(CargoFailure::NotRun(reason)) => (Err(reason), false),
                };
                self.unfinished.set(self.unfinished.get() || !lasting);
                if let Some(cache) = self.cache.filter(|_| lasting) {
                    cache.store_answer(&name, &self.inputs, &encode_answer(&dir, &answer));
                }
                (dir, answer)
            }
        };
        let json = answer.map_err(Unanswered::Cargo)?;
        let metadata = MetadataCommand::parse(json)
            .map_err(|error| Unanswered::Cargo(format!("cargo metadata gave output guardrail cannot read: {error}")))?;
        Ok((metadata, mirror_dir))
    }
}

/// The mirror's directory, then `0` and the JSON or `1` and the reason cargo failed.
fn encode_answer(mirror: &Path, answer: &Result<String, String>) -> Vec<u8> {
    let dir = mirror.as_os_str().as_encoded_bytes();
    let mut bytes = (dir.len() as u64).to_le_bytes().to_vec();
    bytes.extend_from_slice(dir);
    let (tag, text) = match answer {
        Ok(json) => (0, json),
        Err(reason) => (1, reason),
    };
    bytes.push(tag);
    bytes.extend_from_slice(text.as_bytes());
    bytes
}

fn decode_answer(bytes: &[u8]) -> Option<(PathBuf, Result<String, String>)> {
    let (len, rest) = bytes.split_first_chunk::<8>()?;
    let (dir, rest) = rest.split_at_checked(usize::try_from(u64::from_le_bytes(*len)).ok()?)?;
    let (tag, text) = rest.split_first()?;
    let dir = PathBuf::from(String::from_utf8(dir.to_vec()).ok()?);
    let text = String::from_utf8(text.to_vec()).ok()?;
    Some((dir, if *tag == 0 { Ok(text) } else { Err(text) }))
}

/// `path` (in the mirror at `mirror`) relative to it, as reports show it.
fn shown_in(mirror: &Path, path: &Path) -> Option<String> {
    let relative = path.strip_prefix(mirror).ok()?;
    Some(relative.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/"))
}

/// Where rustup keeps its toolchains: `$RUSTUP_HOME`, else `~/.rustup`.
fn rustup_home() -> Option<std::ffi::OsString> {
    std::env::var_os("RUSTUP_HOME").filter(|home| !home.is_empty()).or_else(|| {
        let home = std::env::var_os("HOME").filter(|home| !home.is_empty())?;
        Some(Path::new(&home).join(".rustup").into_os_string())
    })
}

fn kind_name(kind: DependencyKind) -> &'static str {
    match kind {
        DependencyKind::Development => "dev",
        DependencyKind::Build => "build",
        _ => "normal",
    }
}

/// The workspace members of `metadata`, with paths as reports show them.
fn packages_of(mirror: &Path, metadata: Metadata) -> Vec<Package> {
    let shown = |path: &Path| shown_in(mirror, path);
    metadata
        .packages
        .into_iter()
        .filter(|p| metadata.workspace_members.contains(&p.id))
        .filter_map(|package| {
            let manifest_path = shown(package.manifest_path.as_std_path())?;
            let dir = manifest_path.rsplit_once('/').map_or(String::new(), |(dir, _)| dir.to_owned());
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
                    location: None,
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
                source: PackageSource::CargoMetadata,
            })
        })
        .collect()
}
