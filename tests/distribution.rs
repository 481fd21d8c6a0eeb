//! Distribution: release archives (scripts/package-release.sh), the installer users and the
//! Action share (scripts/install.sh) against a local server holding a fake release, the Action's
//! choice between a release binary and a source build (scripts/action-install.sh), and the
//! metadata that points at them (Cargo.toml for cargo-binstall, .pre-commit-hooks.yaml).
#![cfg(unix)]

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

const VERSION: &str = env!("CARGO_PKG_VERSION");

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The target triple scripts/install.sh picks on this machine.
fn host_target() -> String {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "x86_64",
        "aarch64" => "aarch64",
        other => panic!("no release target for {other}"),
    };
    let os = if cfg!(target_os = "macos") { "apple-darwin" } else { "unknown-linux-musl" };
    format!("{arch}-{os}")
}

/// A directory served over HTTP on 127.0.0.1 (GET only, one thread), and its base URL.
fn serve(root: PathBuf) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request = String::new();
            if reader.read_line(&mut request).is_err() {
                continue;
            }
            let mut header = String::new();
            while reader.read_line(&mut header).is_ok_and(|n| n > 2) {
                header.clear();
            }
            let path = request.split_whitespace().nth(1).unwrap_or("/").trim_start_matches('/').to_owned();
            let mut stream = stream;
            let _ = match std::fs::read(root.join(&path)) {
                Ok(bytes) if !path.contains("..") => stream
                    .write_all(
                        format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", bytes.len())
                            .as_bytes(),
                    )
                    .and_then(|()| stream.write_all(&bytes)),
                _ => stream.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
            };
        }
    });
    url
}

/// A release of a fake `guardrail` (a script that prints its version) packaged as the release
/// workflow does, under `<root>/v<version>/`; returns the release directory.
fn fake_release(root: &Path) -> PathBuf {
    let build = root.join("build");
    std::fs::create_dir_all(&build).unwrap();
    let binary = build.join("guardrail");
    std::fs::write(&binary, format!("#!/bin/sh\necho \"guardrail {VERSION} (fake)\"\n")).unwrap();
    std::fs::set_permissions(&binary, std::fs::Permissions::from_mode(0o755)).unwrap();
    let release = root.join(format!("v{VERSION}"));
    let output = Command::new("bash")
        .arg(repo().join("scripts/package-release.sh"))
        .args([&host_target(), build.to_str().unwrap(), release.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    release
}

/// scripts/install.sh with the download URL of `url` and an install directory of its own.
fn install(url: &str, into: &Path) -> std::process::Output {
    Command::new("sh")
        .arg(repo().join("scripts/install.sh"))
        .env("GUARDRAIL_DOWNLOAD_URL", url)
        .env("GUARDRAIL_VERSION", VERSION)
        .env("GUARDRAIL_INSTALL_DIR", into)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn a_release_archive_holds_one_directory_named_like_it_and_its_checksum() {
    let root = tempfile::tempdir().unwrap();
    let release = fake_release(root.path());
    let name = format!("guardrail-{}", host_target());
    let archive = release.join(format!("{name}.tar.gz"));
    let listing = Command::new("tar").arg("-tzf").arg(&archive).output().unwrap();
    let mut entries: Vec<String> = text(&listing.stdout).lines().map(|l| l.trim_end_matches('/').to_owned()).collect();
    entries.sort();
    let expected: Vec<String> = ["", "/LICENSE-APACHE", "/LICENSE-MIT", "/README.md", "/guardrail"]
        .iter()
        .map(|file| format!("{name}{file}"))
        .collect();
    assert_eq!(entries, expected);
    let checksum = std::fs::read_to_string(release.join(format!("{name}.tar.gz.sha256"))).unwrap();
    let check =
        Command::new("sha256sum").arg("--check").current_dir(&release).stdin(std::process::Stdio::piped()).spawn();
    let mut check = check.unwrap();
    check.stdin.take().unwrap().write_all(checksum.as_bytes()).unwrap();
    assert!(check.wait().unwrap().success(), "{checksum}");
    assert!(checksum.ends_with(&format!("  {name}.tar.gz\n")), "{checksum}");
}

#[test]
fn the_installer_installs_a_verified_release_and_refuses_anything_else() {
    let root = tempfile::tempdir().unwrap();
    let release = fake_release(root.path());
    let url = serve(root.path().to_path_buf());
    let name = format!("guardrail-{}.tar.gz", host_target());

    let good = tempfile::tempdir().unwrap();
    let output = install(&url, good.path());
    assert!(output.status.success(), "{}", text(&output.stderr));
    let installed = Command::new(good.path().join("guardrail")).arg("--version").output().unwrap();
    assert_eq!(text(&installed.stdout).trim(), format!("guardrail {VERSION} (fake)"));

    // A tampered archive: refused, naming both hashes; nothing is installed.
    let archive = release.join(&name);
    let original = std::fs::read(&archive).unwrap();
    let mut tampered = original.clone();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    std::fs::write(&archive, &tampered).unwrap();
    let refused = tempfile::tempdir().unwrap();
    let output = install(&url, refused.path());
    let stderr = text(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains(&format!("checksum mismatch for {name}: expected ")) && stderr.contains(", got "),
        "{stderr}"
    );
    assert!(!refused.path().join("guardrail").exists());

    // A checksum file that is not one, and none at all: refused too.
    std::fs::write(&archive, &original).unwrap();
    std::fs::write(release.join(format!("{name}.sha256")), "not a checksum\n").unwrap();
    let output = install(&url, refused.path());
    assert!(!output.status.success() && text(&output.stderr).contains("holds no SHA-256"), "{}", text(&output.stderr));
    std::fs::remove_file(release.join(format!("{name}.sha256"))).unwrap();
    let output = install(&url, refused.path());
    assert!(
        !output.status.success() && text(&output.stderr).contains("refusing an unverified download"),
        "{}",
        text(&output.stderr)
    );
    assert!(!refused.path().join("guardrail").exists());
}

#[test]
fn the_action_uses_its_release_at_a_release_tag_and_builds_from_source_elsewhere() {
    let root = tempfile::tempdir().unwrap();
    fake_release(root.path());
    let url = serve(root.path().to_path_buf());
    let runner = tempfile::tempdir().unwrap();
    // A `cargo` that records being asked to build, so a source build shows without taking minutes.
    let fake_bin = runner.path().join("fake-bin");
    std::fs::create_dir_all(&fake_bin).unwrap();
    let cargo = fake_bin.join("cargo");
    std::fs::write(
        &cargo,
        "#!/bin/sh\nif [ \"$1\" = install ]; then\n  echo built >> \"$RUNNER_TEMP/cargo-install\"\n  shift\n  while [ \"$1\" != --root ]; do shift; done\n  \
         mkdir -p \"$2/bin\" && printf '#!/bin/sh\\necho guardrail from source\\n' > \"$2/bin/guardrail\" && chmod 755 \"$2/bin/guardrail\"\nelse\n  echo 'cargo 1.95.0'\nfi\n",
    )
    .unwrap();
    std::fs::set_permissions(&cargo, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!("{}:{}", fake_bin.display(), std::env::var("PATH").unwrap());
    let step = |step: &str, vars: &[(&str, &str)]| {
        let output_file = runner.path().join("output");
        let _ = std::fs::remove_file(&output_file);
        let mut command = Command::new("bash");
        command.arg(repo().join("scripts/action-install.sh")).arg(step);
        command.env("ACTION_PATH", repo()).env("RUNNER_TEMP", runner.path()).env("GITHUB_OUTPUT", &output_file);
        command
            .env("PATH", &path)
            .env("GUARDRAIL_DOWNLOAD_URL", &url)
            .env("RUNNER_OS", "Linux")
            .env("RUNNER_ARCH", "X64");
        for (name, value) in vars {
            command.env(name, value);
        }
        let output = command.output().unwrap();
        let outputs = std::fs::read_to_string(&output_file).unwrap_or_default();
        (output, outputs)
    };
    let value = |outputs: &str, name: &str| {
        outputs.lines().find_map(|l| l.strip_prefix(&format!("{name}=")).map(str::to_owned)).unwrap_or_default()
    };

    // At the release tag: the release, downloaded and verified.
    let tag = format!("v{VERSION}");
    let (output, plan) = step("plan", &[("ACTION_REF", &tag)]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(value(&plan, "mode"), "release");
    assert_eq!(value(&plan, "key"), format!("guardrail-release-{tag}-Linux-X64"));
    let install_root = value(&plan, "root");
    let install = |mode: &str, vars: &[(&str, &str)]| {
        let mut all =
            vec![("MODE", mode), ("VERSION", VERSION), ("INSTALL_ROOT", install_root.as_str()), ("CACHE_HIT", "false")];
        all.extend_from_slice(vars);
        step("install", &all)
    };
    let (output, installed) = install("release", &[("ACTION_REF", &tag)]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(value(&installed, "bin"), format!("{install_root}/bin/guardrail"));
    assert!(text(&output.stdout).contains(&format!("guardrail {VERSION} (fake)")), "{}", text(&output.stdout));
    assert!(!runner.path().join("cargo-install").exists(), "no source build at a release tag");

    // At a branch: a source build, said so in the log with what it costs.
    std::fs::remove_dir_all(&install_root).unwrap();
    let (output, plan) = step("plan", &[("ACTION_REF", "main")]);
    assert_eq!(value(&plan, "mode"), "source");
    assert!(value(&plan, "key").starts_with("guardrail-bin-Linux-X64-main-"), "{plan}");
    let (output_install, _) = install("source", &[("ACTION_REF", "main")]);
    assert!(output.status.success() && output_install.status.success(), "{}", text(&output_install.stderr));
    let log = text(&output_install.stdout);
    assert!(
        log.contains("::notice title=guardrail::building guardrail") && log.contains("main is not a release tag"),
        "{log}"
    );
    assert!(log.contains("about 4-5 minutes on a 2-core runner"), "{log}");
    assert!(runner.path().join("cargo-install").exists());

    // A release tag whose download fails (no such release): a source build, said so.
    std::fs::remove_dir_all(&install_root).unwrap();
    std::fs::remove_file(runner.path().join("cargo-install")).unwrap();
    let (output, _) =
        install("release", &[("ACTION_REF", &tag), ("GUARDRAIL_DOWNLOAD_URL", &format!("{url}/missing"))]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("no release"), "{}", text(&output.stdout));
    assert!(runner.path().join("cargo-install").exists());
}

#[test]
fn versions_agree_everywhere_a_release_is_named() {
    let install = std::fs::read_to_string(repo().join("scripts/install.sh")).unwrap();
    assert!(install.contains(&format!("\nDEFAULT_VERSION={VERSION}\n")), "scripts/install.sh installs another version");
    let changelog = std::fs::read_to_string(repo().join("CHANGELOG.md")).unwrap();
    assert!(changelog.contains(&format!("\n## {VERSION} ")), "CHANGELOG.md has no entry for {VERSION}");
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    assert!(
        readme.contains(&format!("guardrail-rs/guardrail@v{VERSION}")),
        "README does not pin the Action to v{VERSION}"
    );
    assert!(readme.contains(&format!("rev: v{VERSION}")), "README does not pin the pre-commit hook to v{VERSION}");
    let manifest = std::fs::read_to_string(repo().join("Cargo.toml")).unwrap();
    assert!(
        manifest
            .contains("pkg-url = \"{ repo }/releases/download/v{ version }/guardrail-{ target }{ archive-suffix }\""),
        "cargo-binstall's pkg-url does not name the release archives"
    );
    let version = Command::new(env!("CARGO_BIN_EXE_guardrail")).arg("--version").output().unwrap();
    let version = text(&version.stdout);
    assert!(version.starts_with(&format!("guardrail {VERSION} (")) && version.trim_end().ends_with(')'), "{version}");
}

#[test]
fn pre_commit_offers_a_hook_for_a_guardrail_already_on_path() {
    let hooks = std::fs::read_to_string(repo().join(".pre-commit-hooks.yaml")).unwrap();
    // The manifest's entries start at the left margin; the comments above them only show one.
    let entries: Vec<&str> = hooks.split("\n- id: ").skip(1).collect();
    let system = entries.iter().find(|hook| hook.starts_with("guardrail-system\n")).expect("a guardrail-system hook");
    assert!(system.contains("language: system") && system.contains("entry: guardrail check"), "{system}");
    let source = entries.iter().find(|hook| hook.starts_with("guardrail\n")).expect("the source hook");
    assert!(source.contains("language: rust"), "{source}");
    assert!(entries.iter().all(|hook| hook.contains("verbose: true")), "every hook shows its findings: {hooks}");
}
