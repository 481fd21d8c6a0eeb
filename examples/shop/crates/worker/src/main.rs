//! Order worker: claims jobs from the `order_jobs` table (consumer) and hands
//! them to the processor, which reserves stock and charges the customer.

mod processor;

use std::time::Duration;

use storage::{Job, Store};
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::mpsc::Sender;
use tokio::sync::watch;
use tracing_subscriber::EnvFilter;

/// Claimed jobs waiting for the processor: two claim batches.
const JOB_BUFFER: usize = 100;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt().with_env_filter(EnvFilter::from_default_env()).init();
    let store = Store::connect(&std::env::var("DATABASE_URL")?, 4).await?;
    let payments_url = std::env::var("PAYMENTS_URL")?;
    let (shutdown_tx, shutdown_rx) = watch::channel(false);

    // Bounded: when the processor falls behind, the consumer waits instead of
    // claiming jobs whose claims would expire in memory.
    let (jobs_tx, jobs_rx) = tokio::sync::mpsc::channel::<Job>(JOB_BUFFER);

    let consumer = tokio::spawn(consume(store.clone(), jobs_tx, shutdown_rx));
    let processor = tokio::spawn(processor::run(store, payments_url, jobs_rx));

    wait_for_shutdown().await;
    tracing::info!("shutdown requested, finishing in-flight jobs");
    let _ = shutdown_tx.send(true);
    consumer.await?;
    processor.await?;
    Ok(())
}

/// Resolves on SIGTERM (what orchestrators send) or Ctrl+C.
async fn wait_for_shutdown() {
    let mut term = signal(SignalKind::terminate()).expect("install SIGTERM handler");
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}

async fn consume(store: Store, jobs: Sender<Job>, mut shutdown: watch::Receiver<bool>) {
    let idle = Duration::from_millis(500);
    while !*shutdown.borrow() {
        match store.claim_jobs(50).await {
            Ok(batch) if batch.is_empty() => {
                tokio::select! {
                    _ = tokio::time::sleep(idle) => {}
                    _ = shutdown.changed() => {}
                }
            }
            Ok(batch) => {
                for job in batch {
                    if jobs.send(job).await.is_err() {
                        return;
                    }
                }
            }
            Err(err) => {
                tracing::error!(%err, "claiming jobs failed");
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
        }
    }
}
