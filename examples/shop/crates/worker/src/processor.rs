//! Processes claimed order jobs with bounded concurrency.

use std::time::Duration;

use domain::{Order, OrderStatus};
use storage::{Job, Store};
use tokio::sync::mpsc::Receiver;
use tokio::task::JoinSet;

const MAX_ATTEMPTS: i32 = 5;
const CONCURRENCY: usize = 8;

pub async fn run(store: Store, payments_url: String, mut jobs: Receiver<Job>) {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("build HTTP client");
    let mut in_flight = JoinSet::new();
    while let Some(job) = jobs.recv().await {
        while in_flight.len() >= CONCURRENCY {
            in_flight.join_next().await;
        }
        let (store, http, url) = (store.clone(), http.clone(), payments_url.clone());
        in_flight.spawn(async move {
            match process(&store, &http, &url, &job).await {
                Ok(()) => {
                    let _ = store.complete_job(job.id).await;
                }
                Err(err) if job.attempts >= MAX_ATTEMPTS => {
                    tracing::error!(job = job.id, %err, "giving up on order");
                    let _ = store.set_status(job.order_id, OrderStatus::Rejected).await;
                    let _ = store.complete_job(job.id).await;
                }
                Err(err) => tracing::warn!(job = job.id, %err, "will retry when the claim expires"),
            }
        });
    }
    while in_flight.join_next().await.is_some() {}
}

async fn process(store: &Store, http: &reqwest::Client, url: &str, job: &Job) -> anyhow::Result<()> {
    let order = store
        .order(job.order_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("order {} not found", job.order_id))?;
    if order.status != OrderStatus::Pending {
        return Ok(());
    }
    if !store.reserve_stock(&order.items).await? {
        store.set_status(order.id, OrderStatus::Rejected).await?;
        return Ok(());
    }
    charge(http, url, &order).await?;
    store.set_status(order.id, OrderStatus::Paid).await?;
    Ok(())
}

async fn charge(http: &reqwest::Client, url: &str, order: &Order) -> anyhow::Result<()> {
    let body = serde_json::json!({
        "idempotency_key": order.id,
        "email": order.customer_email,
        "amount_cents": order.total.0,
    });
    http.post(format!("{url}/charges")).json(&body).send().await?.error_for_status()?;
    Ok(())
}
