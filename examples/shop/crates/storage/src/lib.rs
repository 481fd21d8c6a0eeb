//! Postgres persistence: catalog, orders and the `order_jobs` work queue.

use domain::{LineItem, Money, Order, OrderStatus, Product};
use sqlx::postgres::{PgPool, PgPoolOptions, PgRow};
use sqlx::Row;
use uuid::Uuid;

#[derive(Clone)]
pub struct Store {
    pool: PgPool,
}

/// One claimed row of the `order_jobs` table.
#[derive(Debug, Clone)]
pub struct Job {
    pub id: i64,
    pub order_id: Uuid,
    pub attempts: i32,
}

fn product_from(row: PgRow) -> Product {
    Product {
        sku: row.get("sku"),
        name: row.get("name"),
        price: Money(row.get("price_cents")),
        stock: row.get::<i32, _>("stock").max(0) as u32,
    }
}

impl Store {
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, sqlx::Error> {
        let pool = PgPoolOptions::new().max_connections(max_connections).connect(url).await?;
        Ok(Self { pool })
    }

    pub async fn products(&self) -> Result<Vec<Product>, sqlx::Error> {
        let rows = sqlx::query("SELECT sku, name, price_cents, stock FROM products ORDER BY sku")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(product_from).collect())
    }

    /// Stores the order and enqueues its processing job in one transaction.
    pub async fn insert_order(&self, order: &Order) -> Result<(), sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("INSERT INTO orders (id, customer_email, total_cents, status) VALUES ($1, $2, $3, $4)")
            .bind(order.id)
            .bind(&order.customer_email)
            .bind(order.total.0)
            .bind(order.status.as_str())
            .execute(&mut *tx)
            .await?;
        for item in &order.items {
            sqlx::query("INSERT INTO order_items (order_id, sku, quantity, unit_price_cents) VALUES ($1, $2, $3, $4)")
                .bind(order.id)
                .bind(&item.sku)
                .bind(item.quantity as i32)
                .bind(item.unit_price.0)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("INSERT INTO order_jobs (order_id) VALUES ($1)")
            .bind(order.id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await
    }

    pub async fn order(&self, id: Uuid) -> Result<Option<Order>, sqlx::Error> {
        let Some(row) = sqlx::query("SELECT customer_email, total_cents, status FROM orders WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let items = sqlx::query("SELECT sku, quantity, unit_price_cents FROM order_items WHERE order_id = $1")
            .bind(id)
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(|r| LineItem {
                sku: r.get("sku"),
                quantity: r.get::<i32, _>("quantity") as u32,
                unit_price: Money(r.get("unit_price_cents")),
            })
            .collect();
        let status: String = row.get("status");
        Ok(Some(Order {
            id,
            customer_email: row.get("customer_email"),
            items,
            total: Money(row.get("total_cents")),
            status: OrderStatus::parse(&status).unwrap_or(OrderStatus::Pending),
        }))
    }

    pub async fn set_status(&self, id: Uuid, status: OrderStatus) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE orders SET status = $2 WHERE id = $1")
            .bind(id)
            .bind(status.as_str())
            .execute(&self.pool)
            .await
            .map(|_| ())
    }

    /// Decrements stock for every line, or for none if any line is short.
    pub async fn reserve_stock(&self, items: &[LineItem]) -> Result<bool, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        for item in items {
            let updated = sqlx::query("UPDATE products SET stock = stock - $1 WHERE sku = $2 AND stock >= $1")
                .bind(item.quantity as i32)
                .bind(&item.sku)
                .execute(&mut *tx)
                .await?;
            if updated.rows_affected() == 0 {
                tx.rollback().await?;
                return Ok(false);
            }
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Claims up to `limit` due jobs; a claim expires after five minutes, so a
    /// crashed worker's jobs are picked up again.
    pub async fn claim_jobs(&self, limit: i64) -> Result<Vec<Job>, sqlx::Error> {
        let rows = sqlx::query(
            "UPDATE order_jobs SET locked_until = now() + interval '5 minutes', attempts = attempts + 1
             WHERE id IN (SELECT id FROM order_jobs
                          WHERE done = false AND (locked_until IS NULL OR locked_until < now())
                          ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
             RETURNING id, order_id, attempts",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| Job { id: r.get("id"), order_id: r.get("order_id"), attempts: r.get("attempts") })
            .collect())
    }

    pub async fn complete_job(&self, id: i64) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE order_jobs SET done = true WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await
            .map(|_| ())
    }

    /// Appends to the order history the analytics export reads.
    pub async fn record_event(&self, order_id: Uuid, kind: &str) -> Result<(), sqlx::Error> {
        sqlx::query("INSERT INTO order_events (order_id, kind) VALUES ($1, $2)")
            .bind(order_id)
            .bind(kind)
            .execute(&self.pool)
            .await
            .map(|_| ())
    }
}
