//! Core shop domain: products, orders and the pricing rules. No I/O here.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// An amount of money in cents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Money(pub i64);

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Product {
    pub sku: String,
    pub name: String,
    pub price: Money,
    pub stock: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    Pending,
    Paid,
    Rejected,
}

impl OrderStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Pending => "pending",
            OrderStatus::Paid => "paid",
            OrderStatus::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Pending, Self::Paid, Self::Rejected]
            .into_iter()
            .find(|st| st.as_str() == s)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LineItem {
    pub sku: String,
    pub quantity: u32,
    pub unit_price: Money,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Order {
    pub id: Uuid,
    pub customer_email: String,
    pub items: Vec<LineItem>,
    pub total: Money,
    pub status: OrderStatus,
}

#[derive(Debug, Clone, Deserialize)]
pub struct NewOrder {
    pub customer_email: String,
    pub items: Vec<NewLineItem>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct NewLineItem {
    pub sku: String,
    pub quantity: u32,
}

#[derive(Debug, PartialEq, thiserror::Error)]
pub enum OrderError {
    #[error("an order needs at least one item")]
    Empty,
    #[error("invalid customer email")]
    InvalidEmail,
    #[error("unknown product {0}")]
    UnknownProduct(String),
    #[error("quantity for {0} must be between 1 and 100")]
    BadQuantity(String),
    #[error("order total overflows")]
    Overflow,
}

impl Order {
    /// Validates a new order and prices it against the current catalog.
    pub fn price(new: NewOrder, catalog: &[Product]) -> Result<Order, OrderError> {
        if new.items.is_empty() {
            return Err(OrderError::Empty);
        }
        if !new.customer_email.contains('@') {
            return Err(OrderError::InvalidEmail);
        }
        let mut items = Vec::with_capacity(new.items.len());
        let mut total: i64 = 0;
        for item in new.items {
            let Some(product) = catalog.iter().find(|p| p.sku == item.sku) else {
                return Err(OrderError::UnknownProduct(item.sku));
            };
            if !(1..=100).contains(&item.quantity) {
                return Err(OrderError::BadQuantity(item.sku));
            }
            let line = product.price.0.checked_mul(i64::from(item.quantity));
            total = line.and_then(|l| total.checked_add(l)).ok_or(OrderError::Overflow)?;
            items.push(LineItem { sku: item.sku, quantity: item.quantity, unit_price: product.price });
        }
        Ok(Order {
            id: Uuid::new_v4(),
            customer_email: new.customer_email,
            items,
            total: Money(total),
            status: OrderStatus::Pending,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order_of(sku: &str, quantity: u32) -> NewOrder {
        let items = vec![NewLineItem { sku: sku.into(), quantity }];
        NewOrder { customer_email: "ana@example.com".into(), items }
    }

    #[test]
    fn prices_and_validates_orders() {
        let catalog = [Product { sku: "MUG".into(), name: "Mug".into(), price: Money(1250), stock: 10 }];
        assert_eq!(Order::price(order_of("MUG", 3), &catalog).unwrap().total, Money(3750));
        let err = Order::price(order_of("HAT", 1), &catalog).unwrap_err();
        assert_eq!(err, OrderError::UnknownProduct("HAT".into()));
        let err = Order::price(order_of("MUG", 0), &catalog).unwrap_err();
        assert_eq!(err, OrderError::BadQuantity("MUG".into()));
    }
}
