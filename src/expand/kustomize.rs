//! Kustomizations: each kustomization that no other one includes (an overlay, or a base used
//! alone) is rendered with `kubectl kustomize` on a copy of the files it names, and each
//! rendered object is checked at the resource that wrote it (same kind; same name, or the name
//! inside the rendered one's prefix and suffix). Patches are never whole objects: they are not
//! checked on their own, rendered or not. Remote resources are never fetched.

use super::{dir_of, first_line, join, Expansions, Rendered, RENDER_TIME_LIMIT};
use crate::discover::Discovery;
use crate::extract::deploy::{k8s, yaml};
use crate::facts::YamlNode;
use crate::location::Location;
use crate::problem::Problem;
use crate::scratch::{is_plain_path, program, run_with_limit, Home, ScratchDir};
use crate::symbol::Symbol;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

/// A file a kustomization names larger than this is not copied.
const MAX_FILE: u64 = 16 << 20;

/// What one kustomization file names, as paths relative to the root.
#[derive(Debug, Default)]
struct Kustomization {
    shown: Symbol,
    /// Files and directories whose objects it includes (`resources`, `bases`, `components`).
    resources: Vec<String>,
    /// Patch files: partial objects.
    patches: Vec<String>,
    /// Other files it reads (generators' files, CRDs, replacements, plugin configurations).
    inputs: Vec<String>,
    /// A resource it would fetch, or a path out of the tree: it is not rendered.
    outside: Option<String>,
}

/// Renders the kustomizations of `discovery` into `expansions`.
pub fn render_kustomizations(root: &Path, discovery: &Discovery, kubectl_allowed: bool, expansions: &mut Expansions) {
    let by_dir: BTreeMap<&str, Kustomization> =
        discovery.kustomizations.iter().map(|file| (dir_of(file.shown.as_str()), read(root, file.shown))).collect();
    expansions.replaced.extend(by_dir.values().flat_map(|k| k.patches.iter().map(|p| Symbol::from(p.as_str()))));
    let included: BTreeSet<&str> = by_dir.values().flat_map(|k| k.resources.iter().map(String::as_str)).collect();
    let mut not_installed = Vec::new();
    for (dir, kustomization) in by_dir.iter().filter(|(dir, _)| !included.contains(*dir)) {
        let closure = closure(dir, &by_dir);
        let shown = if dir.is_empty() { "." } else { dir };
        let note = |message: String| Problem { location: Location::file(kustomization.shown), message };
        if !is_plain_path(dir) {
            expansions.problems.push(Problem {
                location: Location::file(kustomization.shown),
                message: format!(
                    "kustomization `{shown}` was not rendered: a directory of its path starts with `-`, which kubectl \
                     could read as an option; its resources were checked as they are"
                ),
            });
            continue;
        }
        if let Some(outside) = closure.iter().find_map(|k| k.outside.as_ref()) {
            expansions.notes.push(note(format!(
                "kustomization `{shown}` was not rendered: it names `{outside}`, which guardrail does not fetch or \
                 read; its resources were checked as they are"
            )));
            continue;
        }
        let rendered = if kubectl_allowed { render_one(root, dir, &closure) } else { Err(None) };
        match rendered {
            Ok(output) => {
                expansions.documents.extend(attribute(root, dir, &closure, &output));
                let files =
                    closure.iter().flat_map(|k| k.resources.iter()).filter(|r| !by_dir.contains_key(r.as_str()));
                expansions.replaced.extend(files.map(|file| Symbol::from(file.as_str())));
            }
            Err(None) => not_installed.push(kustomization.shown),
            Err(Some(reason)) => expansions.notes.push(note(format!(
                "kustomization `{shown}` was not rendered: `kubectl kustomize` failed: {reason}; its resources were \
                 checked as they are"
            ))),
        }
    }
    if let Some(first) = not_installed.first() {
        let count = not_installed.len();
        let message = format!(
            "{count} kustomization{} not rendered: kubectl is not on PATH; {} resources were checked as they are, \
             patches not at all (install kubectl, or pipe `kubectl kustomize <dir>` to `guardrail check --k8s-stdin`)",
            if count == 1 { " was" } else { "s were" },
            if count == 1 { "its" } else { "their" },
        );
        expansions.notes.push(Problem { location: Location::file(*first), message });
    }
}

/// The kustomization in `dir` and every one it includes, each once.
fn closure<'a>(dir: &str, by_dir: &'a BTreeMap<&str, Kustomization>) -> Vec<&'a Kustomization> {
    let mut found: Vec<&str> = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(next) = pending.pop() {
        if let Some((&known, kustomization)) = by_dir.get_key_value(next.as_str()) {
            if !found.contains(&known) {
                found.push(known);
                pending.extend(kustomization.resources.iter().cloned());
            }
        }
    }
    found.iter().map(|dir| &by_dir[dir]).collect()
}

/// Reads what the kustomization file `shown` names; one it cannot read names nothing.
fn read(root: &Path, shown: Symbol) -> Kustomization {
    let mut kustomization = Kustomization { shown, ..Kustomization::default() };
    let text = crate::tree::text(crate::tree::read_under(root, &root.join(shown.as_str()), MAX_FILE));
    let Some(document) = text.ok().and_then(|text| yaml::load(shown, &text).ok()).and_then(|d| d.into_iter().next())
    else {
        return kustomization;
    };
    let dir = dir_of(shown.as_str());
    let strings = |node: Option<&YamlNode>| -> Vec<String> {
        node.map_or(&[][..], YamlNode::as_seq).iter().filter_map(|item| item.as_str().map(str::to_owned)).collect()
    };
    let paths_in = |key: &str, field: &str| -> Vec<String> {
        let items = document.get(key).map_or(&[][..], YamlNode::as_seq);
        items.iter().filter_map(|item| item.get(field).and_then(YamlNode::as_str).map(str::to_owned)).collect()
    };
    let mut resources: Vec<String> =
        ["resources", "bases", "components", "crds"].iter().flat_map(|key| strings(document.get(key))).collect();
    // `patchesStrategicMerge` entries may be inline patches rather than paths.
    let mut patches: Vec<String> =
        strings(document.get("patchesStrategicMerge")).into_iter().filter(|p| !p.contains('\n')).collect();
    patches.extend(paths_in("patches", "path"));
    patches.extend(paths_in("patchesJson6902", "path"));
    let mut inputs: Vec<String> = ["generators", "transformers", "validators"]
        .iter()
        .flat_map(|key| strings(document.get(key)))
        .chain(paths_in("replacements", "path"))
        .chain(document.at_path("openapi.path").and_then(YamlNode::as_str).map(str::to_owned))
        .collect();
    for generator in ["configMapGenerator", "secretGenerator"] {
        for item in document.get(generator).map_or(&[][..], YamlNode::as_seq) {
            let files = strings(item.get("files")).into_iter().chain(strings(item.get("envs")));
            let files = files.chain(item.get("env").and_then(YamlNode::as_str).map(str::to_owned));
            inputs.extend(files.map(|file| file.rsplit_once('=').map_or(file.clone(), |(_, path)| path.to_owned())));
        }
    }
    // Anything that is not a file or directory of the tree is fetched by kustomize: a URL, and
    // also a path that does not exist (`github.com/org/repo/deploy` is tried as a repository).
    let mut resolve = |entries: &mut Vec<String>| {
        for entry in std::mem::take(entries) {
            let remote = entry.contains("://") || entry.starts_with("git@") || entry.contains("?ref=");
            let local = join(dir, &entry).filter(|path| {
                !remote && !entry.starts_with('/') && std::fs::symlink_metadata(root.join(path)).is_ok()
            });
            match local {
                Some(path) => entries.push(path),
                None => kustomization.outside = Some(entry),
            }
        }
    };
    resolve(&mut resources);
    resolve(&mut patches);
    resolve(&mut inputs);
    kustomization.resources = resources;
    kustomization.patches = patches;
    kustomization.inputs = inputs;
    kustomization
}

/// `kubectl kustomize` of `dir` on a copy of the files its kustomizations name. `Err(None)`
/// when kubectl is not installed.
fn render_one(root: &Path, dir: &str, closure: &[&Kustomization]) -> Result<String, Option<String>> {
    let scratch = ScratchDir::new("kustomize").map_err(|error| Some(error.to_string()))?;
    for kustomization in closure {
        let named = kustomization.resources.iter().chain(&kustomization.patches).chain(&kustomization.inputs);
        for file in std::iter::once(kustomization.shown.as_str()).chain(named.map(String::as_str)) {
            let path = root.join(file);
            if path.is_dir() {
                continue;
            }
            // A file that cannot be copied is missing from the copy, and kubectl says which.
            if let Ok(bytes) = crate::tree::read_under(root, &path, MAX_FILE) {
                scratch.write(file, &bytes).map_err(|error| Some(error.to_string()))?;
            }
        }
    }
    let mut command = program("kubectl", &scratch, Home::Scratch, &[]);
    let target = if dir.is_empty() { ".".to_owned() } else { format!("./{dir}") };
    command.args(["kustomize", "--", &target]).env("KUBECONFIG", scratch.path().join("none"));
    let output = run_with_limit(command, RENDER_TIME_LIMIT).map_err(|error| match error.kind() {
        std::io::ErrorKind::NotFound => None,
        _ => Some(error.to_string()),
    })?;
    if !output.status.success() {
        return Err(Some(scratch.unmention(&first_line(&output.stderr))));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// An object as written in a resource file: its kind and name, and its lines.
struct Written {
    file: Symbol,
    kind: String,
    name: String,
    lines: (u32, u32),
    /// The comments its file opens with, when they say a tool generated it: carried over to
    /// the rendered object, which is then judged as generated too.
    generated_by: Option<Arc<str>>,
}

/// The rendered objects of `output`, each attributed to the resource that wrote it; objects no
/// resource wrote (generated ConfigMaps) are left out.
fn attribute(root: &Path, dir: &str, closure: &[&Kustomization], output: &str) -> Vec<Rendered> {
    let mut written = Vec::new();
    for file in closure.iter().flat_map(|k| &k.resources) {
        let Ok(text) = crate::tree::text(crate::tree::read_under(root, &root.join(file), MAX_FILE)) else { continue };
        let generated_by = k8s::says_generated(&text).then(|| opening_comments(&text).into());
        for (kind, name, lines, _) in documents(&text) {
            written.push(Written {
                file: Symbol::from(file.as_str()),
                kind,
                name,
                lines,
                generated_by: generated_by.clone(),
            });
        }
    }
    let overlay = if dir.is_empty() { "." } else { dir };
    documents(output)
        .into_iter()
        .filter_map(|(kind, name, _, text)| {
            let same_kind = written.iter().filter(|w| w.kind == kind);
            let exact = same_kind.clone().find(|w| w.name == name);
            let within = || same_kind.filter(|w| name.contains(&w.name)).max_by_key(|w| w.name.len());
            let source = exact.or_else(within)?;
            Some(Rendered {
                shown: Symbol::from(format!("{} (kubectl kustomize {overlay}: {kind}/{name})", source.file)),
                source: source.file,
                source_lines: Some(source.lines),
                text: match &source.generated_by {
                    Some(comments) => format!("{comments}{text}").into(),
                    None => text.into(),
                },
                tool: "kubectl kustomize",
            })
        })
        .collect()
}

/// The comment lines a YAML text opens with, each with its newline.
fn opening_comments(text: &str) -> String {
    let comments = text.lines().take_while(|line| line.trim_start().starts_with('#') || line.trim() == "---");
    comments.filter(|line| line.trim_start().starts_with('#')).map(|line| format!("{line}\n")).collect()
}

/// The documents of a multi-document YAML text as (kind, name, 1-based lines, text).
fn documents(text: &str) -> Vec<(String, String, (u32, u32), String)> {
    let mut found = Vec::new();
    let mut start = 1u32;
    let mut current = String::new();
    let mut flush = |start: u32, end: u32, current: &mut String| {
        let parsed = yaml::load(Symbol::default(), current).ok().and_then(|d| d.into_iter().next());
        if let Some(document) = parsed {
            let text_of = |path: &str| document.at_path(path).and_then(YamlNode::scalar_text);
            if let (Some(kind), Some(name)) = (text_of("kind"), text_of("metadata.name")) {
                found.push((kind, name, (start, end), std::mem::take(current)));
            }
        }
        current.clear();
    };
    let mut line_number = 0u32;
    for line in text.lines() {
        line_number += 1;
        if line.trim_end() == "---" {
            flush(start, line_number.saturating_sub(1).max(start), &mut current);
            start = line_number + 1;
            continue;
        }
        current.push_str(line);
        current.push('\n');
    }
    flush(start, line_number.max(start), &mut current);
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_keep_their_lines() {
        let text = "kind: Service\nmetadata:\n  name: api\n---\nkind: Deployment\nmetadata:\n  name: api\nspec: {}\n";
        let found: Vec<(String, String, (u32, u32))> =
            documents(text).into_iter().map(|(kind, name, lines, _)| (kind, name, lines)).collect();
        assert_eq!(found, [("Service".into(), "api".into(), (1, 3)), ("Deployment".into(), "api".into(), (5, 8))]);
    }
}
