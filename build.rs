//! Embeds every `policies/*.rhai` file into the binary: adding a built-in policy is adding a file.

use std::fmt::Write;
use std::path::Path;

fn main() {
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
