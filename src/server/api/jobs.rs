//! Scans in, digitize jobs out: the counter uploads a dossier's scans (multipart), each file
//! is stored durably before a queued job refers to it, and the answer is the job at once
//! (202). Anyone who may see the dossier reads its jobs, and follows one as server-sent
//! events until it is done or failed. The work is done by [`crate::server::jobs`].

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::multipart::{Field, MultipartError, MultipartRejection};
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::Stream;
use serde::Serialize;
use time::OffsetDateTime;
use tokio::sync::{broadcast, watch};
use utoipa::{OpenApi, ToSchema};

use super::{ApiError, Caller, Problem, blocking, visible_dossier};
use crate::digitize::decode::sniff;
use crate::server::AppState;
use crate::server::api::dossiers::IdPath;
use crate::store::blobs::BlobStore;
use crate::store::dossiers::Role;
use crate::store::jobs::{Job, JobParams, JobState, Jobs, NewUpload};

/// The largest scan file accepted.
pub const MAX_FILE_BYTES: usize = 50 * 1024 * 1024;
/// The largest upload request: all its files together.
pub const MAX_REQUEST_BYTES: usize = 200 * 1024 * 1024;
/// The most files in one upload.
pub const MAX_FILES: usize = 100;
/// The longest title, in characters.
const MAX_TITLE_CHARS: usize = 200;
/// Text parts (`title`, `deskew`) longer than this many bytes are refused.
const MAX_TEXT_PART_BYTES: usize = 4 * 1024;

#[derive(OpenApi)]
#[openapi(
    paths(upload_scans, list_jobs, get_job, job_events),
    components(schemas(Job, JobState, JobList, JobEvent, ScanUpload))
)]
pub struct Api;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/dossiers/{id}/scans",
            post(upload_scans).layer(DefaultBodyLimit::max(MAX_REQUEST_BYTES)),
        )
        .route("/api/dossiers/{id}/jobs", get(list_jobs))
        .route("/api/jobs/{id}", get(get_job))
        .route("/api/jobs/{id}/events", get(job_events))
}

/// The parts of a scan upload (multipart/form-data).
#[derive(Debug, ToSchema)]
#[allow(dead_code)] // Describes the request for OpenAPI; the handler reads the parts itself.
pub struct ScanUpload {
    /// One or more scans in page order: PNG, JPEG, TIFF (multi-page) or a scanned PDF, each
    /// at most 50 MiB; at most 100 files and 200 MiB in all.
    #[schema(value_type = Vec<String>, format = Binary)]
    file: Vec<Vec<u8>>,
    /// The document's title (default "Bản số hóa hồ sơ <code>").
    #[schema(max_length = 200)]
    title: Option<String>,
    /// Straighten skewed pages (default true).
    deskew: Option<bool>,
}

/// A dossier's jobs.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobList {
    /// Oldest first.
    pub jobs: Vec<Job>,
}

/// Upload scans to a dossier and queue a digitize job (counter).
#[utoipa::path(post, path = "/api/dossiers/{id}/scans", tag = "jobs",
    params(("id" = String, Path, description = "Dossier id")),
    request_body(content = ScanUpload, content_type = "multipart/form-data"),
    security(("bearer" = [])),
    responses(
        (status = 202, description = "The queued job; follow it at /api/jobs/{id}/events",
            body = Job),
        (status = 400, description = "No file, an empty file, an unknown part or a malformed \
            multipart body", body = Problem),
        (status = 401, description = "No valid token", body = Problem),
        (status = 403, description = "Not a counter or admin token", body = Problem),
        (status = 404, description = "No such dossier", body = Problem),
        (status = 413, description = "A file over 50 MiB, more than 100 files or over 200 MiB \
            in all", body = Problem),
        (status = 415, description = "Not multipart/form-data, or a file that is not a PNG, \
            JPEG, TIFF or PDF", body = Problem),
    ))]
async fn upload_scans(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, ApiError> {
    caller.require(&[Role::Counter, Role::Admin])?;
    let dossier = visible_dossier(&state, &caller, &id).await?;
    let mut multipart = multipart.map_err(|rejection| multipart_rejection(&headers, rejection))?;
    let blobs = BlobStore::new(state.data_dir());
    let Parts {
        stored,
        title,
        deskew,
    } = match read_parts(&mut multipart, &blobs).await {
        Ok(parts) => parts,
        Err(error) => {
            // The rest of a refused body is read (within the request limit), so the client
            // gets the answer rather than a connection closed while it was still sending.
            if error.status != StatusCode::PAYLOAD_TOO_LARGE {
                drain(&mut multipart).await;
            }
            return Err(error);
        }
    };
    let params = JobParams {
        title,
        deskew: deskew.unwrap_or(true),
    };
    let jobs = Jobs::new(&state.store);
    let actor = caller.actor();
    let dossier_id = dossier.id.clone();
    let job = blocking(move || {
        let uploads: Vec<NewUpload<'_>> = stored
            .iter()
            .map(|(name, sha256, size)| NewUpload {
                name,
                sha256,
                size: *size,
            })
            .collect();
        Ok(jobs.create(
            &dossier_id,
            &uploads,
            &params,
            &actor,
            OffsetDateTime::now_utc(),
        )?)
    })
    .await?;
    if let Some(runner) = &state.jobs {
        runner.wake();
    }
    tracing::info!(job = %job.id, dossier = %dossier.code, "digitize job queued");
    let location = format!("/api/jobs/{}", job.id);
    Ok((
        StatusCode::ACCEPTED,
        [(header::LOCATION, location)],
        Json(job),
    )
        .into_response())
}

/// What an upload's parts said: the stored files (name, SHA-256, size) in order, and the
/// options.
struct Parts {
    stored: Vec<(String, String, u64)>,
    title: Option<String>,
    deskew: Option<bool>,
}

/// Reads every part, storing each file in the blob folder as soon as it is whole and
/// checked.
async fn read_parts(multipart: &mut Multipart, blobs: &BlobStore) -> Result<Parts, ApiError> {
    let mut stored: Vec<(String, String, u64)> = Vec::new();
    let mut title = None;
    let mut deskew = None;
    while let Some(mut field) = multipart.next_field().await.map_err(malformed)? {
        let name = field.name().unwrap_or_default().to_owned();
        match name.as_str() {
            "file" => {
                if stored.len() == MAX_FILES {
                    return Err(ApiError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "too_many_files",
                        format!("at most {MAX_FILES} files can be uploaded at once"),
                    ));
                }
                let number = stored.len() + 1;
                let file_name = file_name(field.file_name(), number);
                let bytes = read_scan(&mut field, number, &file_name).await?;
                let blobs = blobs.clone();
                let size = bytes.len() as u64;
                let sha256 = blocking(move || Ok(blobs.put(&bytes)?)).await?;
                stored.push((file_name, sha256, size));
            }
            "title" => {
                let text = read_text(&mut field, "title").await?;
                let text = text.trim();
                if title.is_some() {
                    return Err(ApiError::bad_request("send the title part once"));
                }
                if text.is_empty()
                    || text.chars().count() > MAX_TITLE_CHARS
                    || text.chars().any(char::is_control)
                {
                    return Err(ApiError::bad_request(format!(
                        "title must have 1 to {MAX_TITLE_CHARS} characters and no control \
                         characters"
                    )));
                }
                title = Some(text.to_owned());
            }
            "deskew" => {
                let text = read_text(&mut field, "deskew").await?;
                if deskew.is_some() {
                    return Err(ApiError::bad_request("send the deskew part once"));
                }
                deskew = Some(match text.trim() {
                    "true" | "1" | "on" => true,
                    "false" | "0" | "off" => false,
                    _ => return Err(ApiError::bad_request("deskew must be true or false")),
                });
            }
            other => {
                return Err(ApiError::bad_request(format!(
                    "unknown part {:?}; send parts named file (one or more), title, deskew",
                    other.chars().take(64).collect::<String>()
                )));
            }
        }
    }
    if stored.is_empty() {
        return Err(ApiError::bad_request(
            "no scan: send one or more parts named file (PNG, JPEG, TIFF or PDF)",
        ));
    }
    Ok(Parts {
        stored,
        title,
        deskew,
    })
}

/// Reads what is left of a multipart body, ignoring it; stops at its end or at an error.
async fn drain(multipart: &mut Multipart) {
    while let Ok(Some(mut field)) = multipart.next_field().await {
        while let Ok(Some(_)) = field.chunk().await {}
    }
}

/// The request could not be read as multipart: 415 when it does not say it is, 400 else.
fn multipart_rejection(headers: &HeaderMap, rejection: MultipartRejection) -> ApiError {
    let media = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(str::trim)
        .unwrap_or("");
    if !media.eq_ignore_ascii_case("multipart/form-data") {
        return ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the scans as multipart/form-data, one part named file per scan",
        );
    }
    ApiError::bad_request(format!(
        "malformed multipart body: {}",
        rejection.body_text()
    ))
}

/// A multipart body that broke off or exceeded the request limit.
fn malformed(error: MultipartError) -> ApiError {
    if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!(
                "the upload is larger than {} MiB in all",
                MAX_REQUEST_BYTES / (1024 * 1024)
            ),
        );
    }
    ApiError::bad_request(format!("malformed multipart body: {}", error.body_text()))
}

/// The name a scan is known by in messages: the client's file name without its folders,
/// printable and short, or `scan-N`.
fn file_name(given: Option<&str>, number: usize) -> String {
    let base = given
        .unwrap_or_default()
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default();
    let clean: String = base.chars().filter(|c| !c.is_control()).take(120).collect();
    let clean = clean.trim();
    if clean.is_empty() {
        format!("scan-{number}")
    } else {
        clean.to_owned()
    }
}

/// Reads a file part, refusing it as soon as its first bytes show it is no scan or it
/// passes the size limit.
async fn read_scan(field: &mut Field<'_>, number: usize, name: &str) -> Result<Vec<u8>, ApiError> {
    let mut bytes = Vec::new();
    let mut sniffed = false;
    while let Some(chunk) = field.chunk().await.map_err(malformed)? {
        if bytes.len() + chunk.len() > MAX_FILE_BYTES {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!(
                    "file {number} ({name}) is larger than {} MiB",
                    MAX_FILE_BYTES / (1024 * 1024)
                ),
            ));
        }
        bytes.extend_from_slice(&chunk);
        if !sniffed && bytes.len() >= 8 {
            check_format(&bytes, number, name)?;
            sniffed = true;
        }
    }
    if bytes.is_empty() {
        return Err(ApiError::bad_request(format!(
            "file {number} ({name}) is empty"
        )));
    }
    if !sniffed {
        check_format(&bytes, number, name)?;
    }
    Ok(bytes)
}

fn check_format(bytes: &[u8], number: usize, name: &str) -> Result<(), ApiError> {
    match sniff(bytes) {
        Some(_) => Ok(()),
        None => Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!("file {number} ({name}) is not a PNG, JPEG, TIFF or PDF scan"),
        )),
    }
}

async fn read_text(field: &mut Field<'_>, part: &str) -> Result<String, ApiError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(malformed)? {
        bytes.extend_from_slice(&chunk);
        if bytes.len() > MAX_TEXT_PART_BYTES {
            return Err(ApiError::bad_request(format!(
                "the {part} part is too long"
            )));
        }
    }
    String::from_utf8(bytes)
        .map_err(|_| ApiError::bad_request(format!("the {part} part is not UTF-8 text")))
}

/// A dossier's digitize jobs.
#[utoipa::path(get, path = "/api/dossiers/{id}/jobs", tag = "jobs",
    params(("id" = String, Path, description = "Dossier id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The dossier's jobs, oldest first", body = JobList),
        (status = 401, description = "No valid token", body = Problem),
        (status = 404, description = "No such dossier, or not the caller's", body = Problem),
    ))]
async fn list_jobs(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> Result<Json<JobList>, ApiError> {
    let dossier = visible_dossier(&state, &caller, &id).await?;
    let jobs = Jobs::new(&state.store);
    let list = blocking(move || Ok(jobs.jobs_of(&dossier.id)?)).await?;
    Ok(Json(JobList { jobs: list }))
}

/// The job `id` if the caller may see its dossier; 404 otherwise.
async fn visible_job(state: &AppState, caller: &Caller, id: &str) -> Result<Job, ApiError> {
    let jobs = Jobs::new(&state.store);
    let owned = id.to_owned();
    let job = blocking(move || Ok(jobs.job(&owned)?))
        .await?
        .ok_or_else(|| ApiError::not_found("job"))?;
    visible_dossier(state, caller, &job.dossier_id)
        .await
        .map_err(|_| ApiError::not_found("job"))?;
    Ok(job)
}

/// A digitize job.
#[utoipa::path(get, path = "/api/jobs/{id}", tag = "jobs",
    params(("id" = String, Path, description = "Job id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The job", body = Job),
        (status = 401, description = "No valid token", body = Problem),
        (status = 404, description = "No such job, or not the caller's", body = Problem),
    ))]
async fn get_job(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> Result<Json<Job>, ApiError> {
    Ok(Json(visible_job(&state, &caller, &id).await?))
}

/// One server-sent event of `GET /api/jobs/{id}/events`, as a client reads it.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobEvent {
    /// `progress`, then `done` or `failed` at the end.
    #[schema(pattern = "^(progress|done|failed)$")]
    pub event: String,
    /// The job as JSON text.
    pub data: String,
}

/// Follow a job: server-sent events until it ends.
///
/// Events named `progress` carry the job (JSON) whenever it changes; the stream ends with
/// one `done` or `failed` event carrying the finished job, then closes. A job already
/// finished gets that last event at once. The stream also closes when the server stops.
#[utoipa::path(get, path = "/api/jobs/{id}/events", tag = "jobs",
    params(("id" = String, Path, description = "Job id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "`progress` events with the Job as JSON data, then one \
            `done` or `failed` event", content_type = "text/event-stream", body = JobEvent),
        (status = 401, description = "No valid token", body = Problem),
        (status = 404, description = "No such job, or not the caller's", body = Problem),
    ))]
async fn job_events(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    visible_job(&state, &caller, &id).await?;
    // Listening starts before the job is read again, so no change in between is missed.
    let live = state
        .jobs
        .as_ref()
        .map(|runner| (runner.subscribe(), runner.closed()));
    let jobs = Jobs::new(&state.store);
    let owned = id.clone();
    let job = blocking(move || Ok(jobs.job(&owned)?))
        .await?
        .ok_or_else(|| ApiError::not_found("job"))?;
    let follow = Follow {
        next: Some(job),
        last: None,
        live,
        jobs: Jobs::new(&state.store),
        id,
        ended: false,
    };
    let stream = futures_util::stream::unfold(follow, |mut follow| async move {
        let event = follow.next_event().await?;
        Some((Ok(event), follow))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

/// One listener's view of a job.
struct Follow {
    /// A job state to consider before listening.
    next: Option<Job>,
    /// The last state sent.
    last: Option<Job>,
    live: Option<(broadcast::Receiver<Job>, watch::Receiver<bool>)>,
    jobs: Jobs,
    id: String,
    ended: bool,
}

impl Follow {
    /// The next event, or `None` when the stream ends.
    async fn next_event(&mut self) -> Option<Event> {
        loop {
            if self.ended {
                return None;
            }
            let job = match self.next.take() {
                Some(job) => job,
                None => self.changed().await?,
            };
            if job.state.is_final() {
                self.ended = true;
                return Some(event(job.state.as_str(), &job));
            }
            if self.last.as_ref() == Some(&job) {
                continue;
            }
            let sent = event("progress", &job);
            self.last = Some(job);
            return Some(sent);
        }
    }

    /// The job's next state, or `None` when it will not change in this process.
    async fn changed(&mut self) -> Option<Job> {
        let (changes, closed) = self.live.as_mut()?;
        loop {
            if *closed.borrow_and_update() {
                return None;
            }
            tokio::select! {
                change = changes.recv() => match change {
                    Ok(job) if job.id == self.id => return Some(job),
                    Ok(_) => continue,
                    // Too slow to see every change: the store has the latest.
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        let jobs = self.jobs.clone();
                        let id = self.id.clone();
                        let job = tokio::task::spawn_blocking(move || jobs.job(&id)).await;
                        return job.ok()?.ok()?;
                    }
                    Err(broadcast::error::RecvError::Closed) => return None,
                },
                // Looked at again at the top of the loop.
                stopped = closed.changed() => if stopped.is_err() {
                    return None;
                },
            }
        }
    }
}

fn event(name: &str, job: &Job) -> Event {
    let data = serde_json::to_string(job).unwrap_or_else(|_| "{}".to_owned());
    Event::default().event(name).data(data)
}
