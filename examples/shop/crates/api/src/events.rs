//! Order events, written to the order history in the background.

use storage::Store;
use tokio::sync::mpsc::UnboundedReceiver;
use uuid::Uuid;

pub struct OrderPlaced {
    pub order_id: Uuid,
}

/// Writes each event as it comes; a failed write is logged and dropped.
pub async fn record(store: Store, mut events: UnboundedReceiver<OrderPlaced>) {
    while let Some(event) = events.recv().await {
        if let Err(err) = store.record_event(event.order_id, "placed").await {
            tracing::warn!(%err, order = %event.order_id, "recording order event failed");
        }
    }
}
