//! Writes a realistic service workspace of about `lines` lines: crates of axum handlers, workers
//! with channels, domain types, config, tests, and for each service a binary, a Dockerfile and a
//! Kubernetes Deployment — the shapes guardrail's policies look at, code and deployment joined.

use std::fmt::Write as _;
use std::path::Path;

const FILES_PER_CRATE: usize = 40;

fn handler_file(crate_index: usize, file_index: usize) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "//! Handlers and workers, part {file_index} of service {crate_index}.\n");
    out.push_str("use std::collections::HashMap;\nuse std::sync::Arc;\nuse std::time::Duration;\n\n");
    out.push_str("use axum::extract::{Path, State};\nuse axum::routing::{get, post};\nuse axum::{Json, Router};\n");
    out.push_str("use serde::{Deserialize, Serialize};\nuse tokio::sync::{mpsc, RwLock};\n\n");
    for item in 0..6 {
        let name = format!("Item{file_index}x{item}");
        let _ = write!(
            out,
            r#"#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct {name} {{
    pub id: u64,
    pub name: String,
    pub tags: Vec<String>,
    pub price_cents: i64,
}}

impl {name} {{
    pub fn new(id: u64, name: &str) -> Self {{
        Self {{ id, name: name.to_owned(), tags: Vec::new(), price_cents: 0 }}
    }}

    pub fn with_tag(mut self, tag: &str) -> Self {{
        self.tags.push(tag.to_owned());
        self
    }}
}}

pub async fn get_{item}(State(store): State<Arc<RwLock<HashMap<u64, {name}>>>>, Path(id): Path<u64>) -> Json<Option<{name}>> {{
    let guard = store.read().await;
    let found = guard.get(&id).cloned();
    tracing::debug!(id, found = found.is_some(), "lookup");
    Json(found)
}}

pub async fn put_{item}(State(store): State<Arc<RwLock<HashMap<u64, {name}>>>>, Json(body): Json<{name}>) -> Json<u64> {{
    let id = body.id;
    store.write().await.insert(id, body);
    tokio::time::sleep(Duration::from_millis(1)).await;
    Json(id)
}}

pub fn routes_{item}(store: Arc<RwLock<HashMap<u64, {name}>>>) -> Router {{
    Router::new()
        .route("/items/{item}/:id", get(get_{item}))
        .route("/items/{item}", post(put_{item}))
        .with_state(store)
}}

pub async fn worker_{item}(mut rx: mpsc::Receiver<{name}>, out: mpsc::Sender<u64>) {{
    while let Some(next) = rx.recv().await {{
        let total: i64 = next.tags.iter().map(|t| t.len() as i64).sum::<i64>() + next.price_cents;
        if total > 0 && out.send(next.id).await.is_err() {{
            break;
        }}
    }}
}}

"#
        );
    }
    if file_index.is_multiple_of(10) {
        // One deliberate finding in every tenth file, so reporting is measured too.
        out.push_str("pub fn audit_queue() -> (mpsc::UnboundedSender<u64>, mpsc::UnboundedReceiver<u64>) {\n    mpsc::unbounded_channel()\n}\n\n");
    }
    let _ = write!(
        out,
        r#"pub fn pipeline() -> (mpsc::Sender<u64>, mpsc::Receiver<u64>) {{
    let (tx, rx) = mpsc::channel(1024);
    let _fanout = vec![tx.clone(), tx.clone()];
    (tx, rx)
}}

#[cfg(test)]
mod tests {{
    use super::*;

    #[tokio::test]
    async fn routes_build() {{
        let store = Arc::new(RwLock::new(HashMap::new()));
        let _router = routes_0(store);
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel::<u64>();
        tx.send(1).unwrap();
    }}
}}
"#
    );
    out
}

/// A server that drains on SIGTERM, as `graceful-shutdown` wants.
fn main_file(crate_index: usize) -> String {
    format!(
        r#"use axum::routing::get;
use axum::Router;
use tokio::signal::unix::{{signal, SignalKind}};

#[tokio::main]
async fn main() {{
    let app = Router::new()
        .route("/healthz", get(|| async {{ "ok" }}))
        .route("/ready", get(|| async {{ "ready" }}))
        .merge(svc{crate_index}::handlers0::routes_0(Default::default()));
    let listener = tokio::net::TcpListener::bind("0.0.0.0:8080").await.expect("bind");
    axum::serve(listener, app).with_graceful_shutdown(terminated()).await.expect("serve");
}}

async fn terminated() {{
    let mut term = signal(SignalKind::terminate()).expect("a SIGTERM handler");
    term.recv().await;
}}
"#
    )
}

fn dockerfile(crate_index: usize) -> String {
    format!(
        "FROM rust:1.88 AS build\nWORKDIR /src\nCOPY . .\nRUN cargo build --release --bin svc{crate_index}\n\n\
         FROM debian:bookworm-slim\nCOPY --from=build /src/target/release/svc{crate_index} /usr/local/bin/svc{crate_index}\n\
         HEALTHCHECK CMD [\"/usr/local/bin/svc{crate_index}\", \"--health\"]\n\
         ENTRYPOINT [\"/usr/local/bin/svc{crate_index}\"]\n"
    )
}

/// A Deployment whose readiness probe asks for a path no route serves in every fifth service,
/// so the code-to-deployment join is measured with findings.
fn deployment(crate_index: usize) -> String {
    let ready = if crate_index.is_multiple_of(5) { "/readyz" } else { "/ready" };
    format!(
        r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: svc{crate_index}
spec:
  replicas: 3
  selector:
    matchLabels:
      app: svc{crate_index}
  template:
    metadata:
      labels:
        app: svc{crate_index}
    spec:
      terminationGracePeriodSeconds: 30
      containers:
        - name: svc{crate_index}
          image: ghcr.io/acme/svc{crate_index}:1.4.2
          ports:
            - containerPort: 8080
              name: http
          resources:
            limits:
              memory: 256Mi
          livenessProbe:
            httpGet:
              path: /healthz
              port: http
          readinessProbe:
            httpGet:
              path: {ready}
              port: 8080
"#
    )
}

/// Generates the workspace under `root` and returns the number of lines written.
pub fn generate(root: &Path, lines: usize) -> std::io::Result<usize> {
    let per_file = handler_file(0, 0).lines().count();
    let crates = lines.div_ceil(per_file * FILES_PER_CRATE).max(1);
    let members: Vec<String> = (0..crates).map(|c| format!("\"crates/svc{c}\"")).collect();
    std::fs::create_dir_all(root)?;
    std::fs::write(
        root.join("Cargo.toml"),
        format!("[workspace]\nmembers = [{}]\nresolver = \"2\"\n", members.join(", ")),
    )?;
    let mut written = 0;
    for c in 0..crates {
        let src = root.join(format!("crates/svc{c}/src"));
        std::fs::create_dir_all(&src)?;
        std::fs::write(
            root.join(format!("crates/svc{c}/Cargo.toml")),
            format!("[package]\nname = \"svc{c}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\naxum = \"0.7\"\ntokio = {{ version = \"1\", features = [\"full\"] }}\n"),
        )?;
        let mut lib = String::new();
        for f in 0..FILES_PER_CRATE {
            let _ = writeln!(lib, "pub mod handlers{f};");
            let text = handler_file(c, f);
            written += text.lines().count();
            std::fs::write(src.join(format!("handlers{f}.rs")), text)?;
        }
        written += lib.lines().count();
        std::fs::write(src.join("lib.rs"), lib)?;
        let extra = [
            (src.join("main.rs"), main_file(c)),
            (root.join(format!("crates/svc{c}/Dockerfile")), dockerfile(c)),
            (root.join(format!("crates/svc{c}/deploy/deployment.yaml")), deployment(c)),
        ];
        for (path, text) in extra {
            std::fs::create_dir_all(path.parent().expect("a directory"))?;
            written += text.lines().count();
            std::fs::write(path, text)?;
        }
    }
    Ok(written)
}
