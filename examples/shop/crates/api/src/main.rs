//! Shop HTTP API: catalog, checkout and order lookup.

mod events;
mod handlers;

use std::net::SocketAddr;
use std::path::PathBuf;

use axum::routing::{get, post};
use axum::Router;
use storage::Store;
use tokio::sync::mpsc::UnboundedSender;
use tracing_subscriber::EnvFilter;

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub static_dir: PathBuf,
    pub events: UnboundedSender<events::OrderPlaced>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt().with_env_filter(EnvFilter::from_default_env()).init();

    let database_url = std::env::var("DATABASE_URL")?;
    let static_dir = std::env::var("STATIC_DIR").unwrap_or_else(|_| "./static".into());
    let port: u16 = std::env::var("PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(8080);

    let store = Store::connect(&database_url, 16).await?;

    // Deliberate problem (unbounded-channel): every checkout queues an event
    // here, and one task writes them to the database one at a time. In a
    // traffic spike (or while the database is slow) the queue grows with every
    // request until the pod runs out of memory, and a restart loses it. Use
    // `tokio::sync::mpsc::channel(CAPACITY)` and `try_send`, shedding or
    // failing the request when it is full.
    let (events_tx, events_rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(events::record(store.clone(), events_rx));

    let state = AppState { store, static_dir: PathBuf::from(static_dir), events: events_tx };

    let app = Router::new()
        .route("/healthz", get(handlers::health))
        .route("/products", get(handlers::list_products))
        .route("/orders", post(handlers::create_order))
        .route("/orders/{id}", get(handlers::get_order))
        .route("/legal/terms", get(handlers::terms))
        .route("/openapi.json", get(handlers::openapi))
        .with_state(state);

    let addr = SocketAddr::from(([0, 0, 0, 0], port));
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!(%addr, "shop api listening");

    // Deliberate problem (graceful-shutdown): nothing listens for SIGTERM.
    // When the orchestrator stops the pod, in-flight checkouts are cut off
    // mid-request. Add `.with_graceful_shutdown(shutdown_signal())` with a
    // future that awaits `signal(SignalKind::terminate())` (see crates/worker).
    axum::serve(listener, app).await?;
    Ok(())
}
