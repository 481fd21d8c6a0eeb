//! Which image runs which binary: Dockerfiles that build with cross-compiling wrappers or
//! `cargo install`, images built by workflows and Makefiles under other tags, and manifests
//! whose names say one binary while their images say another.

mod common;

use common::*;
use serde_json::Value;

const SERVER: &str = "#[tokio::main]\nasync fn main() {\n    tracing_subscriber::fmt().init();\n    let listener = tokio::net::TcpListener::bind(\"0.0.0.0:8080\").await.unwrap();\n    axum::serve(listener, app()).with_graceful_shutdown(shutdown()).await.unwrap();\n}\nasync fn shutdown() {\n    use tokio::signal::unix::{signal, SignalKind};\n    signal(SignalKind::terminate()).unwrap().recv().await;\n}\n";

const WORKSPACE: &str = "[workspace]\nmembers = [\"crates/server\", \"crates/admin\"]\n";

fn package(name: &str) -> String {
    format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n")
}

/// The server's image is built with xx-cargo and pushed by a workflow as `acme/platform`; a
/// Deployment named `admin` (like the CLI binary) runs that image, with probes.
fn files() -> Vec<(&'static str, String)> {
    vec![
        ("Cargo.toml", WORKSPACE.to_owned()),
        ("crates/server/Cargo.toml", package("server")),
        ("crates/server/src/main.rs", SERVER.to_owned()),
        ("crates/admin/Cargo.toml", package("admin")),
        ("crates/admin/src/main.rs", "fn main() {\n    println!(\"admin\");\n}\n".to_owned()),
        (
            "docker/platform.Dockerfile",
            "FROM --platform=$BUILDPLATFORM tonistiigi/xx AS xx\nFROM rust:1 AS build\nCOPY --from=xx / /\nWORKDIR /src\nCOPY . .\nRUN xx-cargo build --release -p server\n\nFROM gcr.io/distroless/cc\nCOPY --from=build /src/target/release/server /app\nCMD [\"/app\"]\n".to_owned(),
        ),
        (
            ".github/workflows/release.yml",
            "on:\n  push:\n    tags: [\"v*\"]\njobs:\n  image:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - uses: docker/build-push-action@v6\n        with:\n          file: docker/platform.Dockerfile\n          tags: ghcr.io/acme/platform:${{ github.ref_name }}\n".to_owned(),
        ),
        (
            "deploy/admin.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: admin\nspec:\n  template:\n    spec:\n      containers:\n        - name: admin\n          image: registry.acme.dev/acme/platform:v1.2.0\n          readinessProbe:\n            httpGet: {path: /healthz, port: 8080}\n          livenessProbe:\n            httpGet: {path: /healthz, port: 8080}\n".to_owned(),
        ),
    ]
}

fn services(dir: &std::path::Path) -> Value {
    let output = guardrail(&["services", ".", "--format", "json"], dir);
    assert_eq!(output.code, 0, "{}", output.stderr);
    output.json()
}

#[test]
fn an_image_a_workflow_builds_joins_the_manifest_that_runs_it_whatever_its_name() {
    let files = files();
    let borrowed: Vec<(&str, &str)> = files.iter().map(|(path, text)| (*path, text.as_str())).collect();
    let dir = workspace(&borrowed);
    let map = services(dir.path());
    let map = map.as_array().unwrap();
    assert_eq!(map.len(), 1, "{map:#?}");
    let server = &map[0];
    assert_eq!(server["bin"], "server");
    assert_eq!(server["dockerfiles"], serde_json::json!(["docker/platform.Dockerfile"]));
    assert_eq!(server["workloads"], serde_json::json!([["deploy/admin.yaml", "Deployment", "admin"]]));
    assert_eq!(
        server["evidence"],
        serde_json::json!([
            "docker/platform.Dockerfile:6 builds it: `RUN xx-cargo build --release -p server`",
            "deploy/admin.yaml:4 Deployment `admin`: container `admin` runs image `registry.acme.dev/acme/platform:v1.2.0`, which is `ghcr.io/acme/platform:${{ github.ref_name }}`, built from docker/platform.Dockerfile at .github/workflows/release.yml:9"
        ])
    );
    // The image has no HEALTHCHECK, but the Deployment that runs it has probes: no finding.
    let (code, report) = check_json(dir.path(), &[]);
    assert_eq!((code, findings(&report)), (0, vec![]));
}

#[test]
fn without_the_workflow_the_name_alone_joins_the_cli_and_the_image_is_unexplained() {
    let files: Vec<(&str, String)> = files().into_iter().filter(|(path, _)| !path.starts_with(".github")).collect();
    let borrowed: Vec<(&str, &str)> = files.iter().map(|(path, text)| (*path, text.as_str())).collect();
    let dir = workspace(&borrowed);
    let map = services(dir.path());
    let admin = map.as_array().unwrap().iter().find(|s| s["bin"] == "admin").expect("admin joined by name");
    assert_eq!(admin["workloads"], serde_json::json!([["deploy/admin.yaml", "Deployment", "admin"]]));
}

/// The service map of the server-and-CLI workspace with `dockerfile` at its root, which must
/// join the server alone, with `evidence`.
fn joins_the_server_alone(dockerfile: &str, evidence: &str) {
    let dir = workspace(&[
        ("Cargo.toml", WORKSPACE),
        ("crates/server/Cargo.toml", &package("server")),
        ("crates/server/src/main.rs", SERVER),
        ("crates/admin/Cargo.toml", &package("admin")),
        ("crates/admin/src/main.rs", "fn main() {}\n"),
        ("Dockerfile", dockerfile),
    ]);
    let map = services(dir.path());
    let map = map.as_array().unwrap();
    assert_eq!(map.len(), 1, "{map:#?}");
    assert_eq!(map[0]["bin"], "server");
    assert_eq!(map[0]["evidence"], serde_json::json!([evidence]));
}

#[test]
fn cargo_install_and_copies_from_a_bin_directory_build_the_binary() {
    joins_the_server_alone(
        "FROM rust:1 AS build\nWORKDIR /src\nCOPY . .\nRUN cargo install --locked --path crates/server\n\nFROM debian:bookworm-slim\nCOPY --from=build /usr/local/cargo/bin/server /usr/local/bin/server\nCOPY entrypoint.sh /\nHEALTHCHECK CMD [\"/usr/local/bin/server\", \"--health\"]\nCMD [\"/entrypoint.sh\"]\n",
        "Dockerfile:4 builds it: `RUN cargo install --locked --path crates/server`",
    );
}

#[test]
fn an_image_that_carries_a_cli_beside_its_server_is_the_servers() {
    joins_the_server_alone(
        "FROM rust:1 AS build\nWORKDIR /src\nCOPY . .\nRUN cargo build --release --bins\n\nFROM debian:bookworm-slim\nCOPY --from=build /src/target/release/admin /usr/local/bin\nCOPY --from=build /src/target/release/server /usr/local/bin\nHEALTHCHECK CMD [\"/usr/local/bin/admin\", \"health\"]\nENTRYPOINT [\"/usr/local/bin/server\"]\n",
        "Dockerfile:10 runs it: `ENTRYPOINT [\"/usr/local/bin/server\"]`",
    );
}

#[test]
fn an_entry_point_script_of_the_repository_that_execs_the_binary_runs_it() {
    let dockerfile = "FROM rust:1 AS build\nWORKDIR /src\nCOPY . .\nRUN cargo build --release --bins\n\nFROM debian:bookworm-slim\nCOPY --from=build /src/target/release/admin /usr/local/bin\nCOPY --from=build /src/target/release/server /usr/local/bin\nCOPY docker/entrypoint.sh /entrypoint.sh\nHEALTHCHECK CMD [\"/usr/local/bin/admin\", \"health\"]\nENTRYPOINT [\"/entrypoint.sh\"]\n";
    let script = "#!/bin/sh\nset -e\n/usr/local/bin/admin migrate\nexec gosu app /usr/local/bin/server \"$@\"\n";
    let dir = workspace(&[
        ("Cargo.toml", WORKSPACE),
        ("crates/server/Cargo.toml", &package("server")),
        ("crates/server/src/main.rs", SERVER),
        ("crates/admin/Cargo.toml", &package("admin")),
        ("crates/admin/src/main.rs", "fn main() {}\n"),
        ("Dockerfile", dockerfile),
        ("docker/entrypoint.sh", script),
    ]);
    let map = services(dir.path());
    let map = map.as_array().unwrap();
    // The script runs `admin` once, but `exec`s the server: the image is the server's.
    assert_eq!(map.len(), 1, "{map:#?}");
    assert_eq!(map[0]["bin"], "server");
    assert_eq!(
        map[0]["evidence"],
        serde_json::json!(["Dockerfile:11 runs it through docker/entrypoint.sh:4: `ENTRYPOINT [\"/entrypoint.sh\"]`"])
    );
}

#[test]
fn a_command_that_starts_a_binary_wins_over_an_image_named_after_another() {
    // fluvio's chart runs the image `fluvio` (like the CLI binary) with `command: ["/fluvio-run", "sc"]`.
    let workload = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: sc\nspec:\n  template:\n    spec:\n      containers:\n        \
        - name: sc\n          image: acme/admin:1.0\n          command: [\"/server\", \"--mode\", \"sc\"]\n";
    let compose =
        "services:\n  spu:\n    image: acme/admin:1.0\n    command: [\"sh\", \"-c\", \"exec /server --mode spu\"]\n";
    let dir = workspace(&[
        ("Cargo.toml", WORKSPACE),
        ("crates/server/Cargo.toml", &package("server")),
        ("crates/server/src/main.rs", SERVER),
        ("crates/admin/Cargo.toml", &package("admin")),
        ("crates/admin/src/main.rs", "fn main() {}\n"),
        ("deploy/sc.yaml", workload),
        ("compose.yaml", compose),
    ]);
    let map = services(dir.path());
    let map = map.as_array().unwrap();
    assert_eq!(map.len(), 1, "{map:#?}");
    assert_eq!(map[0]["bin"], "server");
    assert_eq!(map[0]["workloads"], serde_json::json!([["deploy/sc.yaml", "Deployment", "sc"]]));
    assert_eq!(map[0]["compose_services"], serde_json::json!([["compose.yaml", "spu"]]));
    assert_eq!(
        map[0]["evidence"],
        serde_json::json!([
            "compose.yaml:2 compose service `spu`: its command runs `server`",
            "deploy/sc.yaml:4 Deployment `sc`: container `sc` runs `server`"
        ])
    );
}
