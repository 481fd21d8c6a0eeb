//! The service map: each binary joined to the Dockerfile that builds it, and the compose
//! services and Kubernetes workloads that run it. `[[service]]` entries win; otherwise the
//! links come from evidence in the files, and every link says which.

use crate::discover::ServiceConfig;
use crate::facts::{Dockerfile, FileFacts, Package, Problem, Service};

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

/// Why a Dockerfile builds or runs `bin`, if it does.
fn dockerfile_evidence(path: &str, file: &Dockerfile, bin: &Bin) -> Option<String> {
    let bins_in_package = bin.package.targets.iter().filter(|t| t.is("bin")).count();
    let package_builds_bin = bins_in_package == 1 || *bin.package.name == *bin.name;
    for stage in &file.stages {
        for instruction in &stage.instructions {
            let words: Vec<&str> = instruction.args.split_whitespace().collect();
            let says = |what: &str| {
                Some(format!(
                    "{path}:{} {what}: `{} {}`",
                    instruction.location.line,
                    instruction.keyword,
                    one_line(&instruction.args)
                ))
            };
            if instruction.keyword == "RUN" && words.contains(&"cargo") {
                for pair in words.windows(2) {
                    let bin_flag = pair[0] == "--bin" && pair[1] == bin.name;
                    let package_flag =
                        matches!(pair[0], "-p" | "--package") && pair[1] == &*bin.package.name && package_builds_bin;
                    if bin_flag || package_flag {
                        return says("builds it");
                    }
                }
                if words.iter().any(|w| *w == format!("--bin={}", bin.name)) {
                    return says("builds it");
                }
            }
            if instruction.keyword == "COPY"
                && words.iter().any(|w| w.contains("target/") && w.ends_with(&format!("/{}", bin.name)))
            {
                return says("copies the binary");
            }
        }
    }
    if let Some(last) = file.stages.last() {
        for instruction in last.instructions.iter().filter(|i| matches!(i.keyword.as_str(), "CMD" | "ENTRYPOINT")) {
            let program = match &instruction.exec {
                Some(exec) => exec.first().cloned().unwrap_or_default(),
                None => instruction.args.split_whitespace().next().unwrap_or_default().trim_matches('"').to_owned(),
            };
            if program.rsplit('/').next() == Some(bin.name) {
                return Some(format!(
                    "{path}:{} runs it: `{} {}`",
                    instruction.location.line,
                    instruction.keyword,
                    one_line(&instruction.args)
                ));
            }
        }
    }
    let in_package_dir = bin.package.dir.is_empty() || path.starts_with(&format!("{}/", bin.package.dir));
    (in_package_dir && bins_in_package == 1 && !bin.package.dir.is_empty())
        .then(|| format!("{path} lives in the directory of package `{}`, whose only binary it is", bin.package.name))
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
    for bin in &bins {
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
        for file in files {
            if let Some(dockerfile) = &file.dockerfile {
                if let Some(evidence) = dockerfile_evidence(&file.path, dockerfile, bin) {
                    if !claimed(&|s| s.dockerfiles.contains(&file.path)) {
                        service.dockerfiles.push(file.path);
                        service.evidence.push(evidence);
                    }
                }
            }
        }
        let mut images: Vec<String> = Vec::new();
        for file in files {
            for compose in file.compose.iter().flat_map(|c| &c.services) {
                let reason = if compose
                    .build_dockerfile
                    .as_deref()
                    .is_some_and(|d| service.dockerfiles.iter().any(|p| **p == *d))
                {
                    Some(format!("builds {}", compose.build_dockerfile.as_deref().unwrap_or_default()))
                } else if compose.name == bin.name {
                    Some("the service is named after the binary".to_owned())
                } else if compose.image.as_deref().map(image_name) == Some(bin.name) {
                    Some(format!(
                        "its image `{}` is named after the binary",
                        compose.image.as_deref().unwrap_or_default()
                    ))
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
                    if image_name(image) == bin.name {
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
    fn image_names_drop_registry_tag_and_digest() {
        assert_eq!(image_name("ghcr.io/acme/api:1.4.2"), "api");
        assert_eq!(image_name("localhost:5000/api"), "api");
        assert_eq!(image_name("api@sha256:abc"), "api");
        assert_eq!(image_name("api"), "api");
    }
}
