//! `GET /openapi.json`: the OpenAPI 3 description of the API, assembled from the route
//! modules' own annotations, so it cannot drift from the handlers.

use std::sync::OnceLock;

use axum::Router;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

use super::{Problem, auth, dossiers};
use crate::server::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "kyso",
        description = "Digitized dossiers, signing and verification for Vietnamese public \
                       services. Errors are JSON `{error, error_description}`.",
    ),
    components(schemas(Problem)),
    modifiers(&Bearer)
)]
struct Root;

struct Bearer;

impl utoipa::Modify for Bearer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The whole description.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = Root::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    doc.merge(dossiers::Api::openapi());
    doc.merge(auth::Api::openapi());
    doc.merge(super::jobs::Api::openapi());
    doc.merge(super::signing::Api::openapi());
    doc.merge(crate::server::verify::Api::openapi());
    doc
}

pub fn router() -> Router<AppState> {
    Router::new().route("/openapi.json", get(openapi_json))
}

async fn openapi_json() -> Response {
    static JSON: OnceLock<String> = OnceLock::new();
    let json = JSON.get_or_init(|| document().to_json().unwrap_or_default());
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        json.as_str(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_module_is_described_with_bearer_security() {
        let json: serde_json::Value = serde_json::from_str(&document().to_json().unwrap()).unwrap();
        assert!(json["openapi"].as_str().unwrap().starts_with("3."));
        for path in [
            "/api/dossiers",
            "/api/dossiers/{id}",
            "/api/tokens",
            "/api/verify",
        ] {
            assert!(json["paths"][path].is_object(), "{path} is not described");
        }
        assert_eq!(
            json["components"]["securitySchemes"]["bearer"]["scheme"],
            "bearer"
        );
    }
}
