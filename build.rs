//! Embeds every `policies/*.rhai` file into the binary: adding a built-in policy is adding a file.
//! Also hashes the sources, so the facts cache can tell builds apart (see `src/cache`), and
//! records the commit `guardrail --version` names.

use std::fmt::Write;
use std::path::Path;

fn main() {
    embed_policies();
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=Cargo.lock");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    collect_files(&root.join("src"), &mut files);
    files.push(root.join("Cargo.lock"));
    files.sort();
    // FNV-1a over each file's path and bytes: what changes extraction changes the hash.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for path in files {
        let bytes = std::fs::read(&path).unwrap_or_default();
        let relative = path.strip_prefix(root).unwrap_or(&path).to_string_lossy().into_owned();
        for byte in relative.bytes().chain([0xff]).chain(bytes).chain([0xff]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    println!("cargo:rustc-env=GUARDRAIL_SOURCE_HASH={hash:016x}");
    println!("cargo:rustc-env=GUARDRAIL_COMMIT={}", commit(root));
}

/// The commit being built: `GUARDRAIL_COMMIT` (the release workflow sets it), else git's, else
/// `unknown` (a build from a crate archive).
fn commit(root: &Path) -> String {
    println!("cargo:rerun-if-env-changed=GUARDRAIL_COMMIT");
    if let Some(commit) = std::env::var("GUARDRAIL_COMMIT").ok().filter(|c| !c.is_empty()) {
        return commit.chars().take(12).collect();
    }
    let head = std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(root)
        .output()
        .ok()
        .filter(|output| output.status.success())
        .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned());
    let head_file = root.join(".git/HEAD");
    if let Ok(text) = std::fs::read_to_string(&head_file) {
        println!("cargo:rerun-if-changed=.git/HEAD");
        if let Some(reference) = text.trim().strip_prefix("ref: ") {
            println!("cargo:rerun-if-changed=.git/{reference}");
        }
    }
    head.filter(|h| !h.is_empty()).unwrap_or_else(|| "unknown".to_owned())
}

fn collect_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src/ is readable").flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_files(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn embed_policies() {
    println!("cargo:rerun-if-changed=policies");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("policies/ exists")
        .map(|entry| entry.expect("readable policies/").path())
        .filter(|path| path.extension().is_some_and(|e| e == "rhai"))
        .collect();
    files.sort();
    let mut out =
        String::from("/// (file name, source) of every built-in policy.\npub const BUILTIN: &[(&str, &str)] = &[\n");
    for path in files {
        let name = path.file_name().unwrap().to_str().expect("UTF-8 policy file name");
        writeln!(out, "    ({name:?}, include_str!({:?})),", path.display().to_string()).unwrap();
    }
    out.push_str("];\n");
    let target = Path::new(&std::env::var("OUT_DIR").unwrap()).join("builtin_policies.rs");
    std::fs::write(target, out).unwrap();
}
