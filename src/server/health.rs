//! `GET /healthz`: liveness and readiness in one, with the version and the store's state, for
//! load balancers and operators. It reveals no paths or secrets.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use super::AppState;
use crate::store::StoreHealth;

pub fn router() -> Router<AppState> {
    Router::new().route("/healthz", get(healthz))
}

#[derive(Debug, Serialize)]
struct Health {
    status: &'static str,
    version: &'static str,
    store: StoreStatus,
}

#[derive(Debug, Serialize)]
struct StoreStatus {
    status: &'static str,
    #[serde(flatten)]
    health: Option<StoreHealth>,
}

async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let store = state.store.clone();
    let result = tokio::task::spawn_blocking(move || store.health()).await;
    let health = match result {
        Ok(Ok(health)) => Some(health),
        Ok(Err(error)) => {
            tracing::error!(error = %error, "store health check failed");
            None
        }
        Err(error) => {
            tracing::error!(error = %error, "store health check panicked");
            None
        }
    };
    let (code, status) = match health {
        Some(_) => (StatusCode::OK, "ok"),
        None => (StatusCode::SERVICE_UNAVAILABLE, "error"),
    };
    (
        code,
        Json(Health {
            status,
            version: env!("CARGO_PKG_VERSION"),
            store: StoreStatus { status, health },
        }),
    )
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::Request;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    use crate::server::{AppState, app};
    use crate::store::Store;

    #[tokio::test]
    async fn healthz_reports_version_and_store() {
        let dir = tempfile::tempdir().unwrap();
        let state = AppState::new(Store::open(dir.path()).unwrap());
        let response = app(state)
            .oneshot(Request::get("/healthz").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let body = response.into_body().collect().await.unwrap().to_bytes();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json["status"], "ok");
        assert_eq!(json["version"], env!("CARGO_PKG_VERSION"));
        assert_eq!(json["store"]["status"], "ok");
        assert_eq!(
            json["store"]["schema_version"],
            crate::store::MIGRATIONS.len()
        );
        assert_eq!(json["store"]["journal_mode"], "wal");
    }

    #[tokio::test]
    async fn unknown_route_is_404() {
        let dir = tempfile::tempdir().unwrap();
        let state = AppState::new(Store::open(dir.path()).unwrap());
        let response = app(state)
            .oneshot(Request::get("/nope").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), 404);
    }
}
