//! `POST /api/verify`: anyone posts a PDF and gets the verification report of every signature
//! and timestamp (schema `kyso.verify/1`, see docs/verify-report.md), or the report in words
//! (`?format=text&lang=vi|en`). No token is needed; the body is capped and at most a few
//! verifications run at once. Verifying is `verify::verify_pdf`'s.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;
use tokio::sync::Semaphore;

use super::AppState;
use crate::net::HttpFetcher;
use crate::pki::revocation::Fetcher;
use crate::verify::render::{self, Lang};
use crate::verify::{VerifyOptions, verify_pdf};

/// The largest PDF accepted: dossier results are scans of a few dozen pages.
pub const MAX_PDF_BYTES: usize = 64 * 1024 * 1024;

/// What the verify route needs: the trust anchors and a bound on parallel work.
#[derive(Debug)]
pub struct VerifyService {
    anchors: Vec<Vec<u8>>,
    permits: Arc<Semaphore>,
    /// Off in tests that must not touch the network.
    online: bool,
}

impl VerifyService {
    /// `anchors` are DER certificates; `parallel` verifications run at once, the rest wait.
    pub fn new(anchors: Vec<Vec<u8>>, parallel: usize, online: bool) -> VerifyService {
        VerifyService {
            anchors,
            permits: Arc::new(Semaphore::new(parallel.max(1))),
            online,
        }
    }
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(verify))]
pub struct Api;

pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/api/verify", post(verify))
        .layer(DefaultBodyLimit::max(MAX_PDF_BYTES))
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&state.rate_limit),
            super::api::limit::enforce,
        ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct VerifyQuery {
    /// `json` (default): the report, schema `kyso.verify/1`; `text`: the report in words.
    #[param(pattern = "^(json|text)$")]
    format: Option<String>,
    /// Language of the words: `vi` (default) or `en`.
    #[param(pattern = "^(vi|en)$")]
    lang: Option<String>,
    /// Do not fetch revocation data; judge with what the file carries.
    offline: Option<bool>,
}

fn problem(status: StatusCode, code: &str, detail: impl Into<String>) -> Response {
    (
        status,
        axum::Json(json!({ "error": code, "error_description": detail.into() })),
    )
        .into_response()
}

/// Verify every signature and timestamp of a PDF (public, no token).
#[utoipa::path(post, path = "/api/verify", tag = "verify",
    params(VerifyQuery),
    request_body(content = inline(super::api::dossiers::PdfFile), content_type = "application/pdf"),
    responses(
        (status = 200, description = "The report (JSON, or text/plain with format=text)",
            content((serde_json::Value = "application/json"), (String = "text/plain"))),
        (status = 400, description = "A malformed parameter", body = super::api::Problem),
        (status = 413, description = "Larger than 64 MiB", body = super::api::Problem),
        (status = 415, description = "Not sent as a PDF", body = super::api::Problem),
        (status = 422, description = "Not a PDF, or one that cannot be evaluated",
            body = super::api::Problem),
        (status = 429, description = "Too many requests from this address",
            body = super::api::Problem),
    ))]
async fn verify(
    State(state): State<AppState>,
    query: Result<Query<VerifyQuery>, QueryRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    // axum's own rejections answer text/plain; the API answers every error as a Problem.
    let Query(query) = match query {
        Ok(query) => query,
        Err(rejection) => {
            return problem(rejection.status(), "invalid_request", rejection.body_text());
        }
    };
    let body = match body {
        Ok(body) => body,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return problem(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                "the PDF is larger than 64 MiB",
            );
        }
        Err(rejection) => {
            return problem(rejection.status(), "invalid_request", rejection.body_text());
        }
    };
    let Some(service) = state.verify.clone() else {
        return problem(
            StatusCode::NOT_FOUND,
            "not_found",
            "verification is not enabled here",
        );
    };
    let lang = match query.lang.as_deref().unwrap_or("vi") {
        "vi" => Lang::Vi,
        "en" => Lang::En,
        other => {
            return problem(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                format!("lang must be vi or en, not {other:?}"),
            );
        }
    };
    let text = match query.format.as_deref().unwrap_or("json") {
        "json" => false,
        "text" => true,
        other => {
            return problem(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                format!("format must be json or text, not {other:?}"),
            );
        }
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let media = content_type.split(';').next().unwrap_or("").trim();
    if !matches!(media, "application/pdf" | "application/octet-stream" | "") {
        return problem(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the PDF itself as the body, with Content-Type: application/pdf",
        );
    }
    if !body.starts_with(b"%PDF-")
        && !body[..body.len().min(1024)]
            .windows(5)
            .any(|w| w == b"%PDF-")
    {
        return problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "not_a_pdf",
            "the body is not a PDF (no %PDF- header in its first 1024 bytes)",
        );
    }
    let Ok(permit) = Arc::clone(&service.permits).acquire_owned().await else {
        return problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "the server is stopping",
        );
    };
    let online = service.online && !query.offline.unwrap_or(false);
    let now = OffsetDateTime::now_utc();
    let work = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let http = HttpFetcher::new();
        let fetcher: Option<&dyn Fetcher> = if online { Some(&http) } else { None };
        let options = VerifyOptions {
            trust_anchors: service.anchors.clone(),
            now,
            fetcher,
        };
        verify_pdf(&body, &options)
    })
    .await;
    match work {
        Ok(Ok(report)) if text => (
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            render::render(&report, lang),
        )
            .into_response(),
        Ok(Ok(report)) => axum::Json(report).into_response(),
        Ok(Err(error)) => problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "cannot_evaluate",
            format!("the file cannot be evaluated: {error}"),
        ),
        Err(error) => {
            tracing::error!(%error, "a verification task failed");
            problem(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                "the verification failed inside the server",
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::app;
    use crate::store::Store;
    use axum::body::Body;
    use axum::http::Request;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    fn root(path: &str) -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
    }

    fn anchors() -> Vec<Vec<u8>> {
        [
            "certs/trust/national-root.pem",
            "certs/trust/government-root.pem",
        ]
        .iter()
        .map(|p| {
            openssl::x509::X509::from_pem(&std::fs::read(root(p)).unwrap())
                .unwrap()
                .to_der()
                .unwrap()
        })
        .collect()
    }

    async fn post(uri: &str, content_type: &str, body: Vec<u8>) -> (StatusCode, String) {
        let dir = tempfile::tempdir().unwrap();
        let mut state = AppState::new(Store::open(dir.path()).unwrap());
        state.verify = Some(Arc::new(VerifyService::new(anchors(), 2, false)));
        let request = Request::post(uri)
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body))
            .unwrap();
        let response = app(state).oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8_lossy(&bytes).into_owned())
    }

    #[tokio::test]
    async fn a_signed_pdf_gets_its_report_as_json_or_words() {
        let pdf = std::fs::read(root("tests/corpus/verify/kyso-b-lt.pdf")).unwrap();
        let (status, body) = post("/api/verify", "application/pdf", pdf.clone()).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let report: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(report["schema"], "kyso.verify/1");
        assert_eq!(report["indication"], "TOTAL_PASSED", "{body}");
        assert_eq!(report["offline"], true);

        let (status, text) = post("/api/verify?format=text&lang=vi", "application/pdf", pdf).await;
        assert_eq!(status, StatusCode::OK);
        assert!(text.contains("Chữ ký 1/1"), "{text}");
    }

    #[tokio::test]
    async fn what_is_not_a_pdf_gets_a_4xx_naming_the_problem() {
        let (status, body) = post("/api/verify", "application/pdf", b"hello".to_vec()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(body.contains("not_a_pdf"));
        let (status, _) = post("/api/verify", "text/plain", b"%PDF-1.7".to_vec()).await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        let (status, body) = post(
            "/api/verify",
            "application/pdf",
            b"%PDF-1.7\n%%EOF garbage".to_vec(),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(body.contains("cannot_evaluate"), "{body}");
        let (status, _) = post("/api/verify?lang=fr", "application/pdf", b"%PDF-".to_vec()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let mut huge = b"%PDF-1.7\n".to_vec();
        huge.resize(MAX_PDF_BYTES + 1, b' ');
        let (status, _) = post("/api/verify", "application/pdf", huge).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    }
}
