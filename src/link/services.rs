//! The service map: each binary joined to the Dockerfile that builds it, and the compose
//! services and Kubernetes workloads that run it. `[[service]]` entries win; otherwise the
//! links come from evidence in the files, and every link says which.

use crate::discover::ServiceConfig;
use crate::facts::{Dockerfile, FileFacts, Package, Service};
use crate::problem::Problem;
use crate::symbol::Symbol;

/// The last path segment of an image reference, without tag or digest:
/// `ghcr.io/acme/api:1.4.2` → `api`.
pub fn image_name(image: &str) -> &str {
    let image = image.split('@').next().unwrap_or(image);
    let last = image.rsplit('/').next().unwrap_or(image);
    last.split(':').next().unwrap_or(last)
}

struct Bin<'p> {
    name: &'p str,
    package: &'p Package,
}

/// An instruction's arguments as one line of evidence: white space folded, and cut after
/// [`MAX_EVIDENCE`] characters (a `RUN` can be dozens of joined lines).
fn one_line(args: &str) -> String {
    let folded = args.split_whitespace().collect::<Vec<_>>().join(" ");
    match folded.char_indices().nth(MAX_EVIDENCE) {
        Some((cut, _)) => format!("{} …", &folded[..cut]),
        None => folded,
    }
}

const MAX_EVIDENCE: usize = 80;

/// The repository path of an image reference: no registry host, tag, digest or templated part.
/// `ghcr.io/acme/api:1.4.2` and `${{ env.REGISTRY }}/acme/api:${{ github.sha }}` → `acme/api`.
pub fn image_repository(image: &str) -> String {
    let image = image.split('@').next().unwrap_or(image);
    let mut parts: Vec<&str> = image.split('/').collect();
    if let Some(last) = parts.last_mut() {
        *last = last.split(':').next().unwrap_or(last);
    }
    if parts.len() > 1 && (parts[0].contains('.') || parts[0].contains(':') || parts[0] == "localhost") {
        parts.remove(0);
    }
    parts.retain(|part| !part.is_empty() && !part.contains(['$', '{', '(']));
    parts.join("/")
}

/// Whether two image references name the same repository, wherever pushed and however tagged
/// (`acme/api` is also `docker.io/acme/api` and `${{ vars.REGISTRY }}/api`).
fn same_repository(a: &str, b: &str) -> bool {
    let (a, b) = (image_repository(a), image_repository(b));
    let ends = |long: &str, short: &str| long.strip_suffix(short).is_some_and(|rest| rest.ends_with('/'));
    !a.is_empty() && !b.is_empty() && (a == b || ends(&a, &b) || ends(&b, &a))
}

/// Programs that run cargo: cargo itself, and the cross-compiling wrappers.
fn is_cargo(word: &str) -> bool {
    matches!(word.rsplit('/').next(), Some("cargo" | "xx-cargo" | "cross" | "cargo-zigbuild"))
}

/// How strongly a Dockerfile is a binary's: what its image runs beats what it merely builds or
/// copies (an image may carry a CLI beside its server), which beats where it lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Strength {
    Lives,
    Builds,
    Runs,
}

/// Why a Dockerfile runs, builds or copies `bin`, if it does: the strongest reason.
fn dockerfile_evidence(path: &str, file: &Dockerfile, bin: &Bin, scripts: &Scripts) -> Option<(Strength, String)> {
    let said = |instruction: &crate::facts::Instruction, what: &str| {
        format!(
            "{path}:{} {what}: `{} {}`",
            instruction.location.line,
            instruction.keyword,
            one_line(&instruction.args)
        )
    };
    if let Some(last) = file.stages.last() {
        for instruction in last.instructions.iter().filter(|i| matches!(i.keyword.as_str(), "CMD" | "ENTRYPOINT")) {
            let program = match &instruction.exec {
                Some(exec) => exec.first().cloned().unwrap_or_default(),
                None => instruction.args.split_whitespace().next().unwrap_or_default().trim_matches('"').to_owned(),
            };
            if program.rsplit('/').next() == Some(bin.name) {
                return Some((Strength::Runs, said(instruction, "runs it")));
            }
            if let Some(exec) = copied_script(path, last, &program, scripts)
                .and_then(|execs| execs.iter().find(|exec| exec.program.rsplit('/').next() == Some(bin.name)))
            {
                let through = format!("runs it through {}:{}", exec.location.path, exec.location.line);
                return Some((Strength::Runs, said(instruction, &through)));
            }
        }
    }
    for stage in &file.stages {
        for instruction in &stage.instructions {
            let words: Vec<&str> = instruction.args.split_whitespace().collect();
            if instruction.keyword == "RUN" && words.iter().any(|w| is_cargo(w)) && cargo_builds(&words, bin) {
                return Some((Strength::Builds, said(instruction, "builds it")));
            }
            let copies = |w: &&str| {
                let from_target = w.contains("target/");
                // `cargo install` puts it in a `bin/` directory another stage copies from.
                let from_bin_dir = w.contains("/bin/") && words.iter().any(|w| w.starts_with("--from="));
                (from_target || from_bin_dir) && w.ends_with(&format!("/{}", bin.name))
            };
            if instruction.keyword == "COPY" && words.iter().any(copies) {
                return Some((Strength::Builds, said(instruction, "copies the binary")));
            }
        }
    }
    let bins_in_package = bin.package.targets.iter().filter(|t| t.is("bin")).count();
    let in_package_dir = bin.package.dir.is_empty() || path.starts_with(&format!("{}/", bin.package.dir));
    (in_package_dir && bins_in_package == 1 && !bin.package.dir.is_empty()).then(|| {
        let why = format!("{path} lives in the directory of package `{}`, whose only binary it is", bin.package.name);
        (Strength::Lives, why)
    })
}

/// The programs each shell script of the tree `exec`s, by path.
type Scripts<'f> = std::collections::HashMap<Symbol, &'f [crate::facts::Exec]>;

/// What the script `program` (a path in the image) `exec`s, when the stage copies it there from
/// the repository (`COPY docker/entrypoint.sh /entrypoint.sh`): the source is looked up beside
/// the Dockerfile and from the root, the usual build contexts.
fn copied_script<'f>(
    dockerfile: &str,
    stage: &crate::facts::Stage,
    program: &str,
    scripts: &Scripts<'f>,
) -> Option<&'f [crate::facts::Exec]> {
    let copies = stage.instructions.iter().filter(|i| matches!(i.keyword.as_str(), "COPY" | "ADD"));
    copies.rev().find_map(|copy| {
        let words: Vec<&str> = copy.args.split_whitespace().filter(|w| !w.starts_with("--")).collect();
        let (destination, sources) = words.split_last()?;
        let source = sources.iter().find(|source| {
            let name = source.rsplit('/').next().unwrap_or(source);
            *destination == program || (destination.ends_with('/') && format!("{destination}{name}") == program)
        })?;
        let dir = dockerfile.rsplit_once('/').map_or("", |(dir, _)| dir);
        [crate::paths::join(dir, source), crate::paths::join("", source)]
            .iter()
            .find_map(|candidate| scripts.get(&Symbol::from(candidate.as_str())).copied())
    })
}

/// Whether a cargo command line builds `bin`: `--bin X`, `-p X` / `--package X` (of a package
/// whose binary it is, or with `--bins`), `cargo install --path P [--bin X]`.
fn cargo_builds(words: &[&str], bin: &Bin) -> bool {
    let value = |flags: &[&str]| {
        let spaced = words.windows(2).filter(|pair| flags.contains(&pair[0])).map(|pair| pair[1]);
        let joined = words.iter().filter_map(|w| flags.iter().find_map(|f| w.strip_prefix(&format!("{f}="))));
        spaced.chain(joined).collect::<Vec<&str>>()
    };
    let bins = value(&["--bin"]);
    if bins.contains(&bin.name) {
        return true;
    }
    let package = &*bin.package.name;
    let bins_in_package = bin.package.targets.iter().filter(|t| t.is("bin")).count();
    let all_bins = words.contains(&"--bins") || (bins.is_empty() && (bins_in_package == 1 || package == bin.name));
    if value(&["-p", "--package"]).contains(&package) && all_bins {
        return true;
    }
    // `cargo install --path crates/api`: the path names the package's directory.
    words.contains(&"install")
        && value(&["--path"]).iter().any(|path| {
            let path = path.trim_start_matches("./").trim_end_matches('/');
            let dir = &bin.package.dir;
            (path == "." && dir.is_empty()) || (!path.is_empty() && (dir == path || dir.ends_with(&format!("/{path}"))))
        })
        && all_bins
}

/// Builds the service map. `declared` entries come first and claim what they name.
pub fn map_services(
    declared: &[ServiceConfig],
    packages: &[Package],
    files: &[FileFacts],
) -> (Vec<Service>, Vec<Problem>) {
    let mut problems = Vec::new();
    let bins: Vec<Bin> = packages
        .iter()
        .flat_map(|package| package.targets.iter().filter(|t| t.is("bin")).map(move |t| Bin { name: &t.name, package }))
        .collect();
    let mut services: Vec<Service> =
        declared.iter().map(|config| declared_service(config, &bins, files, &mut problems)).collect();
    // Each binary's Dockerfiles and the images built from them, before any image is matched:
    // an image built from another binary's Dockerfile is that binary's, whatever its name says.
    let scripts: Scripts = files.iter().filter(|f| !f.execs.is_empty()).map(|f| (f.path, f.execs.as_slice())).collect();
    let evidence_of: Vec<Vec<(Symbol, Strength, String)>> = bins
        .iter()
        .map(|bin| {
            let found = files.iter().filter_map(|file| Some((file.path, file.dockerfile.as_ref()?)));
            let evidence = found
                .filter_map(|(path, dockerfile)| Some((path, dockerfile_evidence(&path, dockerfile, bin, &scripts)?)));
            evidence.map(|(path, (strength, why))| (path, strength, why)).collect()
        })
        .collect();
    // A Dockerfile is the binary's whose evidence is strongest: the one its image runs.
    let strongest = |path: Symbol| evidence_of.iter().flatten().filter(|(p, ..)| *p == path).map(|(_, s, _)| *s).max();
    let dockerfiles_of: Vec<Vec<(Symbol, Strength, String)>> = evidence_of
        .iter()
        .map(|list| list.iter().filter(|(path, strength, _)| Some(*strength) == strongest(*path)).cloned().collect())
        .collect();
    let images_of: Vec<Vec<(String, String)>> =
        dockerfiles_of.iter().map(|dockerfiles| built_images(dockerfiles, files)).collect();
    for (at, bin) in bins.iter().enumerate() {
        if services.iter().any(|s| s.bin.as_deref() == Some(bin.name)) {
            continue;
        }
        let mut service = Service {
            name: bin.name.to_owned(),
            package: Some(bin.package.name),
            bin: Some(bin.name.to_owned()),
            ..Service::default()
        };
        let claimed = |check: &dyn Fn(&Service) -> bool| services.iter().any(check);
        for (path, strength, evidence) in &dockerfiles_of[at] {
            if !claimed(&|s| s.dockerfiles.contains(path)) {
                service.dockerfiles.push(*path);
                service.evidence.push(evidence.clone());
                service.image_runs_it |= *strength == Strength::Runs;
            }
        }
        let own_image = |image: &str| images_of[at].iter().find(|(built, _)| same_repository(built, image));
        let anothers_image = |image: &str| {
            images_of
                .iter()
                .enumerate()
                .any(|(other, list)| other != at && list.iter().any(|(b, _)| same_repository(b, image)))
        };
        // Another binary of the workspace: a command that starts it runs that one, not this.
        let another_bin = |program: &str| program != bin.name && bins.iter().any(|other| other.name == program);
        let mut images: Vec<String> = Vec::new();
        for file in files {
            for compose in file.compose.iter().flat_map(|c| &c.services) {
                let image = compose.image.as_deref();
                let reason = if compose
                    .build_dockerfile
                    .as_deref()
                    .is_some_and(|d| service.dockerfiles.iter().any(|p| **p == *d))
                {
                    Some(format!("builds {}", compose.build_dockerfile.as_deref().unwrap_or_default()))
                } else if let Some((built, how)) = image.and_then(own_image) {
                    Some(format!("its image `{}` is `{built}`, {how}", image.unwrap_or_default()))
                } else if image.is_some_and(anothers_image) || runs_program(compose).is_some_and(another_bin) {
                    None
                } else if let Some(program) = runs_program(compose).filter(|p| *p == bin.name) {
                    Some(format!("its command runs `{program}`"))
                } else if compose.name == bin.name && compose.build_dockerfile.is_some() {
                    // Neither image nor build: a partial entry an override file merges over another.
                    Some("the service is named after the binary".to_owned())
                } else if image.map(image_name) == Some(bin.name) {
                    Some(format!("its image `{}` is named after the binary", image.unwrap_or_default()))
                } else {
                    None
                };
                let key = (file.path, compose.name.clone());
                if let Some(reason) = reason {
                    if !claimed(&|s| s.compose_services.contains(&key)) {
                        service.evidence.push(format!(
                            "{}:{} compose service `{}`: {reason}",
                            file.path, compose.location.line, compose.name
                        ));
                        images.extend(compose.image.clone());
                        service.compose_services.push(key);
                    }
                }
            }
        }
        for file in files {
            for object in file.kubernetes.iter().filter(|o| !o.containers.is_empty()) {
                let reason = object.containers.iter().filter(|c| !c.is_init).find_map(|c| {
                    let image = c.image.as_deref().unwrap_or_default();
                    let program = c.program.as_deref();
                    // What the container's command starts says more than the image's name.
                    if program == Some(bin.name) {
                        Some(format!("container `{}` runs `{}`", c.name, bin.name))
                    } else if program.is_some_and(another_bin) {
                        None
                    } else if let Some((built, how)) = own_image(image) {
                        Some(format!("container `{}` runs image `{image}`, which is `{built}`, {how}", c.name))
                    } else if anothers_image(image) {
                        None
                    } else if image_name(image) == bin.name {
                        Some(format!("container `{}` runs image `{image}`, named after the binary", c.name))
                    } else if images.iter().any(|i| i == image) {
                        Some(format!("container `{}` runs the compose service's image `{image}`", c.name))
                    } else if c.name == bin.name {
                        Some(format!("container `{}` is named after the binary", c.name))
                    } else {
                        None
                    }
                });
                let key = (file.path, object.kind.clone(), object.name.clone());
                if let Some(reason) = reason {
                    if !claimed(&|s| s.workloads.contains(&key)) {
                        service.evidence.push(format!(
                            "{}:{} {} `{}`: {reason}",
                            file.path, object.location.line, object.kind, object.name
                        ));
                        service.workloads.push(key);
                    }
                }
            }
        }
        if !(service.dockerfiles.is_empty() && service.compose_services.is_empty() && service.workloads.is_empty()) {
            services.push(service);
        }
    }
    (services, problems)
}

/// The program a compose service's `entrypoint:` or `command:` starts, by file name, looking
/// through `sh -c "exec …"`.
fn runs_program(compose: &crate::facts::ComposeService) -> Option<&str> {
    let line = compose.entrypoint.as_deref().or(compose.command.as_deref())?;
    let words: Vec<&str> = line.split_whitespace().map(|w| w.trim_matches(|c| c == '"' || c == '\'')).collect();
    let program = match words.as_slice() {
        [shell, "-c", rest @ ..] if shell.ends_with("sh") => rest.iter().find(|w| **w != "exec")?,
        [first, ..] => first,
        [] => return None,
    };
    program.rsplit('/').next()
}

/// The images built from `dockerfiles`, each with how: the tags a workflow, Makefile or justfile
/// builds them as, and the `image:` of compose services that build them.
fn built_images(dockerfiles: &[(Symbol, Strength, String)], files: &[FileFacts]) -> Vec<(String, String)> {
    let mut images = Vec::new();
    for file in files {
        for build in &file.image_builds {
            if let Some(dockerfile) = dockerfiles.iter().map(|(path, ..)| *path).find(|p| **p == *build.dockerfile) {
                images.extend(build.tags.iter().map(|tag| {
                    (tag.clone(), format!("built from {dockerfile} at {}:{}", file.path, build.location.line))
                }));
            }
        }
        for compose in file.compose.iter().flat_map(|c| &c.services) {
            let (Some(image), Some(built)) = (&compose.image, &compose.build_dockerfile) else { continue };
            if dockerfiles.iter().any(|(path, ..)| **path == **built) {
                let how = format!(
                    "built from {built} by compose service `{}` at {}:{}",
                    compose.name, file.path, compose.location.line
                );
                images.push((image.clone(), how));
            }
        }
    }
    images
}

fn declared_service(config: &ServiceConfig, bins: &[Bin], files: &[FileFacts], problems: &mut Vec<Problem>) -> Service {
    let mut problem = |message: String| problems.push(Problem { location: config.location.clone(), message });
    let said = |what: &str| format!("declared in guardrail.toml (line {}): {what}", config.location.line);
    let mut service = Service { name: config.name.clone(), declared: true, ..Service::default() };
    if let Some(name) = &config.bin {
        match bins.iter().find(|b| b.name == name) {
            Some(bin) => {
                service.bin = Some(name.clone());
                service.package = Some(bin.package.name);
                service.evidence.push(said(&format!("binary `{name}` of package `{}`", bin.package.name)));
            }
            None => problem(format!("service `{}`: no binary target named `{name}` in the workspace", config.name)),
        }
    }
    if let Some(path) = &config.dockerfile {
        match files.iter().find(|f| f.dockerfile.is_some() && *f.path == **path) {
            Some(file) => {
                service.dockerfiles.push(file.path);
                service.evidence.push(said(&format!("Dockerfile {path}")));
            }
            None => problem(format!("service `{}`: no Dockerfile at `{path}`", config.name)),
        }
    }
    if let Some(name) = &config.compose {
        let found: Vec<_> = files
            .iter()
            .flat_map(|f| f.compose.iter().flat_map(move |c| c.services.iter().map(move |s| (f.path, s))))
            .filter(|(_, s)| s.name == *name)
            .map(|(path, s)| (path, s.name.clone()))
            .collect();
        if found.is_empty() {
            problem(format!("service `{}`: no compose service named `{name}`", config.name));
        }
        service.evidence.extend(found.iter().map(|(path, _)| said(&format!("compose service `{name}` in {path}"))));
        service.compose_services.extend(found);
    }
    for name in &config.k8s {
        let found: Vec<_> = files
            .iter()
            .flat_map(|f| f.kubernetes.iter().map(move |o| (f.path, o)))
            .filter(|(_, o)| o.name == *name && !o.containers.is_empty())
            .map(|(path, o)| (path, o.kind.clone(), o.name.clone()))
            .collect();
        if found.is_empty() {
            problem(format!("service `{}`: no Kubernetes workload named `{name}`", config.name));
        }
        service.evidence.extend(found.iter().map(|(path, kind, _)| said(&format!("{kind} `{name}` in {path}"))));
        service.workloads.extend(found);
    }
    service
}

#[cfg(test)]
mod tests {
    use super::image_name;

    #[test]
    fn evidence_is_one_line() {
        assert_eq!(super::one_line("cargo build   --release \t --bin api"), "cargo build --release --bin api");
        let long = "apt-get install -y ".repeat(20);
        let line = super::one_line(&long);
        assert!(line.ends_with(" …") && line.chars().count() == 82 && !line.contains('\n'), "{line}");
    }

    #[test]
    fn repositories_are_compared_without_registry_tag_or_templates() {
        assert_eq!(super::image_repository("ghcr.io/acme/api:1.4.2"), "acme/api");
        assert_eq!(super::image_repository("${{ env.REGISTRY }}/acme/api:${{ github.sha }}"), "acme/api");
        assert_eq!(super::image_repository("localhost:5000/api"), "api");
        assert_eq!(super::image_repository("$(IMAGE):latest"), "");
        assert!(super::same_repository("docker.io/acme/api:1", "acme/api:latest"));
        assert!(super::same_repository("${{ vars.REGISTRY }}/api:${{ github.sha }}", "ghcr.io/acme/api:2"));
        assert!(!super::same_repository("acme/api", "acme/api-worker"));
        assert!(!super::same_repository("$(IMAGE)", "acme/api"));
    }

    #[test]
    fn image_names_drop_registry_tag_and_digest() {
        assert_eq!(image_name("ghcr.io/acme/api:1.4.2"), "api");
        assert_eq!(image_name("localhost:5000/api"), "api");
        assert_eq!(image_name("api@sha256:abc"), "api");
        assert_eq!(image_name("api"), "api");
    }
}
