//! HTTP handlers.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use domain::{NewOrder, Order, OrderError, Product};
use uuid::Uuid;

use crate::events::OrderPlaced;
use crate::AppState;

pub enum ApiError {
    Invalid(OrderError),
    NotFound,
    Internal(String),
}

impl From<sqlx::Error> for ApiError {
    fn from(err: sqlx::Error) -> Self {
        ApiError::Internal(err.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::Invalid(err) => (StatusCode::UNPROCESSABLE_ENTITY, err.to_string()).into_response(),
            ApiError::NotFound => StatusCode::NOT_FOUND.into_response(),
            ApiError::Internal(msg) => {
                tracing::error!(%msg, "request failed");
                StatusCode::INTERNAL_SERVER_ERROR.into_response()
            }
        }
    }
}

pub async fn health() -> &'static str {
    "ok"
}

pub async fn list_products(State(state): State<AppState>) -> Result<Json<Vec<Product>>, ApiError> {
    Ok(Json(state.store.products().await?))
}

pub async fn create_order(
    State(state): State<AppState>,
    Json(new): Json<NewOrder>,
) -> Result<(StatusCode, Json<Order>), ApiError> {
    let catalog = state.store.products().await?;
    let order = Order::price(new, &catalog).map_err(ApiError::Invalid)?;
    state.store.insert_order(&order).await?;
    let _ = state.events.send(OrderPlaced { order_id: order.id });
    Ok((StatusCode::ACCEPTED, Json(order)))
}

pub async fn get_order(State(state): State<AppState>, Path(id): Path<Uuid>) -> Result<Json<Order>, ApiError> {
    state.store.order(id).await?.map(Json).ok_or(ApiError::NotFound)
}

/// Serves the current terms and conditions page.
pub async fn terms(State(state): State<AppState>) -> Result<Response, ApiError> {
    // Deliberate problem (blocking-in-async): std::fs blocks the Tokio worker
    // thread for the whole read, stalling every other request scheduled on it.
    // Use tokio::fs::read_to_string(..).await, as `openapi` below does.
    let html = std::fs::read_to_string(state.static_dir.join("terms.html"))
        .map_err(|err| ApiError::Internal(err.to_string()))?;
    Ok(([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response())
}

pub async fn openapi(State(state): State<AppState>) -> Result<Response, ApiError> {
    let spec = tokio::fs::read_to_string(state.static_dir.join("openapi.json"))
        .await
        .map_err(|err| ApiError::Internal(err.to_string()))?;
    Ok(([(header::CONTENT_TYPE, "application/json")], spec).into_response())
}
