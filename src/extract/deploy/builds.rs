//! Where images are built: `docker build` commands in GitHub workflows' `run:` steps, Makefiles
//! and justfiles, and `docker/build-push-action` steps. Each gives the Dockerfile and the tags
//! it pushes, which is how a Kubernetes manifest's `image:` finds the Dockerfile it came from.

use crate::facts::{Exec, ImageBuild, YamlNode};
use crate::location::{LineIndex, Location};
use crate::paths::join;
use crate::symbol::Symbol;

/// The image builds a workflow, Makefile or justfile at `path` performs.
pub fn image_builds(path: Symbol, text: &str) -> Vec<ImageBuild> {
    let index = LineIndex::new(text);
    let is_workflow = path.contains(".github/workflows/");
    // Workflows run from the repository's root; make and just from the file's directory.
    let base = if is_workflow { "" } else { path.rsplit_once('/').map_or("", |(dir, _)| dir) };
    let mut builds = commands(path, text, &index, base);
    if is_workflow {
        if let Ok(documents) = super::yaml::load(path, text) {
            builds.extend(documents.iter().flat_map(build_push_actions));
        }
    }
    builds
}

/// `docker build` / `docker buildx build` / `podman build` command lines, continuations joined.
fn commands(path: Symbol, text: &str, index: &LineIndex, base: &str) -> Vec<ImageBuild> {
    let mut builds = Vec::new();
    let mut start = 0usize;
    let mut command = String::new();
    let mut offset = 0usize;
    for line in text.split_inclusive('\n') {
        let content = line.trim_end();
        if command.is_empty() {
            start = offset;
        }
        offset += line.len();
        match content.strip_suffix('\\') {
            Some(continued) => {
                command.push_str(continued);
                command.push(' ');
            }
            None => {
                command.push_str(content);
                let words: Vec<&str> = command.split_whitespace().collect();
                if let Some(build) = docker_build(&words, base) {
                    let first_line_end = start + text[start..].find('\n').unwrap_or(text.len() - start);
                    let location = index.location_of_bytes(path, start, first_line_end);
                    builds.push(ImageBuild { location, ..build });
                }
                command.clear();
            }
        }
    }
    builds
}

/// The build a command's words run, if they run `docker build` (its flags after it).
fn docker_build(words: &[&str], base: &str) -> Option<ImageBuild> {
    let at = words.windows(2).position(|pair| matches!(pair, ["docker" | "podman", "build" | "buildx" | "image"]))?;
    let mut rest = &words[at + 2..];
    if matches!(words[at + 1], "buildx" | "image") {
        rest = rest.strip_prefix(&["build"][..])?;
    }
    let (mut file, mut tags, mut context) = (None, Vec::new(), None);
    let mut iter = rest.iter().map(|w| w.trim_matches(|c| c == '"' || c == '\''));
    while let Some(word) = iter.next() {
        if matches!(word, ";" | "&&" | "||" | "|") {
            break;
        }
        match word.split_once('=') {
            Some(("--file", value)) => file = Some(value.to_owned()),
            Some(("--tag", value)) => tags.push(value.to_owned()),
            _ => match word {
                "-f" | "--file" => file = iter.next().map(str::to_owned),
                "-t" | "--tag" => tags.extend(iter.next().map(str::to_owned)),
                flag if flag.starts_with('-') => {
                    // Flags with a value: skip it, so it is not taken for the context.
                    if VALUED_FLAGS.contains(&flag) {
                        iter.next();
                    }
                }
                positional => context = Some(positional.to_owned()),
            },
        }
    }
    let context = join(base, context.as_deref().unwrap_or("."));
    let dockerfile = match file {
        Some(file) => join(base, &file),
        None => join(&context, "Dockerfile"),
    };
    Some(ImageBuild { dockerfile, tags, location: Location::file(Symbol::default()) })
}

/// Programs that run another and pass signals on: the program they run is the one that counts.
const WRAPPERS: [&str; 6] = ["gosu", "su-exec", "tini", "dumb-init", "chpst", "setpriv"];

/// The programs a shell script `exec`s: `exec /usr/local/bin/api "$@"`, through `gosu <user>`,
/// `su-exec <user>`, `tini --` and `dumb-init`; not `exec "$@"` (whatever the command line says).
pub fn execs(path: Symbol, text: &str) -> Vec<Exec> {
    if !(path.ends_with(".sh") || text.starts_with("#!")) {
        return Vec::new();
    }
    let index = LineIndex::new(text);
    let mut found = Vec::new();
    let mut offset = 0usize;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let words: Vec<&str> = line.split_whitespace().map(|w| w.trim_matches(|c| c == '"' || c == '\'')).collect();
        let Some(at) = words.iter().position(|w| *w == "exec") else { continue };
        // `exec` as a command: first on the line, or after `then`, `;`, `&&`, `||`.
        if at > 0 && !matches!(words[at - 1], "then" | "do" | "else" | ";" | "&&" | "||") {
            continue;
        }
        let mut rest = words[at + 1..].iter().copied().filter(|w| !w.starts_with('-'));
        let program = loop {
            match rest.next() {
                Some("gosu" | "su-exec") => {
                    // The next word is the user to run as.
                    rest.next();
                }
                Some(wrapper) if WRAPPERS.contains(&wrapper) => {}
                other => break other,
            }
        };
        if let Some(program) = program.filter(|p| !p.starts_with('$') && !p.is_empty()) {
            let end = start + line.trim_end().len();
            let program = program.trim_end_matches(';').to_owned();
            found.push(Exec { program, location: index.location_of_bytes(path, start, end) });
        }
    }
    found
}

/// `docker build` flags that take a value as the next word.
const VALUED_FLAGS: [&str; 14] = [
    "--build-arg",
    "--target",
    "--platform",
    "--label",
    "--cache-from",
    "--cache-to",
    "--output",
    "-o",
    "--secret",
    "--ssh",
    "--network",
    "--progress",
    "--build-context",
    "--iidfile",
];

/// `uses: docker/build-push-action@…` steps: `with: {context, file, tags}`.
fn build_push_actions(document: &YamlNode) -> Vec<ImageBuild> {
    let jobs = document.get("jobs").map(YamlNode::entries).unwrap_or_default();
    let steps = jobs.into_iter().flat_map(|(_, job)| job.get("steps").map_or(&[][..], YamlNode::as_seq));
    steps
        .filter(|step| {
            step.get("uses").and_then(YamlNode::as_str).is_some_and(|u| u.starts_with("docker/build-push-action"))
        })
        .map(|step| {
            let with = |key: &str| step.get("with").and_then(|w| w.get(key)).and_then(YamlNode::scalar_text);
            let context = with("context").unwrap_or_else(|| ".".to_owned());
            let dockerfile = match with("file") {
                Some(file) => join("", &file),
                None => join(&context, "Dockerfile"),
            };
            let tags = with("tags").unwrap_or_default();
            let tags = tags.split([',', '\n']).map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned).collect();
            ImageBuild { dockerfile, tags, location: step.location.clone() }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn builds(path: &str, text: &str) -> Vec<(String, Vec<String>, u32)> {
        image_builds(Symbol::intern(path), text).into_iter().map(|b| (b.dockerfile, b.tags, b.location.line)).collect()
    }

    #[test]
    fn docker_build_commands_give_the_dockerfile_and_tags() {
        let makefile = "IMAGE ?= ghcr.io/acme/api\nimage:\n\tdocker build -f docker/api.Dockerfile \\\n\t  --build-arg V=1 -t $(IMAGE):latest .\n";
        assert_eq!(
            builds("services/Makefile", makefile),
            [("services/docker/api.Dockerfile".to_owned(), vec!["$(IMAGE):latest".to_owned()], 3)]
        );
        let just = "push:\n    docker buildx build --platform linux/amd64 --tag=acme/worker:dev crates/worker\n";
        assert_eq!(
            builds("justfile", just),
            [("crates/worker/Dockerfile".to_owned(), vec!["acme/worker:dev".to_owned()], 2)]
        );
    }

    #[test]
    fn scripts_name_the_programs_they_exec() {
        let script = "#!/bin/sh\nset -e\nif [ \"$1\" = migrate ]; then exec \"$@\"; fi\nexec gosu app /usr/local/bin/api --port 8080\n";
        let found: Vec<(String, u32)> = execs(Symbol::intern("docker/entrypoint.sh"), script)
            .into_iter()
            .map(|e| (e.program, e.location.line))
            .collect();
        assert_eq!(found, [("/usr/local/bin/api".to_owned(), 4)]);
        let tini = "#!/bin/bash\nexec tini -- server\n";
        assert_eq!(execs(Symbol::intern("run"), tini)[0].program, "server");
    }

    #[test]
    fn build_push_action_steps_give_the_dockerfile_and_tags() {
        let workflow = "on: push\njobs:\n  image:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - uses: docker/build-push-action@v6\n        with:\n          context: .\n          file: deploy/Dockerfile\n          tags: |\n            ghcr.io/acme/api:latest\n            ghcr.io/acme/api:${{ github.sha }}\n      - run: docker build -t acme/tools tools\n";
        assert_eq!(
            builds(".github/workflows/release.yml", workflow),
            [
                ("tools/Dockerfile".to_owned(), vec!["acme/tools".to_owned()], 14),
                (
                    "deploy/Dockerfile".to_owned(),
                    vec!["ghcr.io/acme/api:latest".to_owned(), "ghcr.io/acme/api:${{ github.sha }}".to_owned()],
                    7
                ),
            ]
        );
    }
}
