//! The job runner: at start it removes partial blob files and puts the jobs a stopped server
//! left running back in the queue (or fails them after `max_attempts`); then `workers` tasks
//! each claim one queued job at a time, digitize it on a blocking thread (the pipeline itself
//! uses `pages_parallel` threads), store the PDF/A, and record the document and the job's
//! end in one transaction. Every change of a job is also sent to in-memory listeners (the
//! events route).
//!
//! Shutdown ([`JobRunner::drain`]): no job is claimed any more, running jobs get up to
//! `drain_timeout` to finish, and any still running then go back to the queue without the
//! attempt being counted; their threads' late results are ignored by the store.

use std::collections::HashSet;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio::sync::{Notify, broadcast, watch};
use tokio::task::JoinHandle;

use crate::digitize::{self, DigitizeError, DigitizeOptions, Input, Progress};
use crate::ocr::{OcrEngine, OcrError, TesseractConfig, TesseractEngine};
use crate::pdf::{PdfAPart, PdfError};
use crate::store::blobs::{BlobError, BlobStore, Swept};
use crate::store::dossiers::{DocumentKind, Dossiers, NewDocument};
use crate::store::jobs::{ClaimedJob, Job, Jobs};
use crate::store::{Store, StoreError};

/// How the runner works.
#[derive(Debug, Clone)]
pub struct RunnerConfig {
    /// Jobs digitized at once.
    pub workers: usize,
    /// Pages of one job processed at once, each by its own OCR engine.
    pub pages_parallel: usize,
    /// A job left running by this many stopped servers fails instead of starting again.
    pub max_attempts: u32,
    /// How long a shutdown waits for running jobs.
    pub drain_timeout: Duration,
    pub ocr: TesseractConfig,
    /// Written into the PDF's metadata.
    pub creator_tool: String,
}

impl Default for RunnerConfig {
    fn default() -> Self {
        RunnerConfig {
            workers: 1,
            pages_parallel: std::thread::available_parallelism().map_or(1, |n| n.get()),
            max_attempts: 3,
            drain_timeout: Duration::from_secs(120),
            ocr: TesseractConfig::default(),
            creator_tool: format!("kyso {}", env!("CARGO_PKG_VERSION")),
        }
    }
}

/// A worker with nothing to do looks at the queue this often even without being woken.
const IDLE_POLL: Duration = Duration::from_secs(30);
/// After a store failure a worker waits this long before trying again.
const STORE_RETRY: Duration = Duration::from_secs(5);
/// Job changes kept for a slow listener before it must read the job again.
const CHANGES_BUFFER: usize = 1024;

/// Runs queued digitize jobs. Shared by the workers and the routes.
pub struct JobRunner {
    jobs: Jobs,
    dossiers: Dossiers,
    blobs: BlobStore,
    config: RunnerConfig,
    wake: Notify,
    stopping: AtomicBool,
    changes: broadcast::Sender<Job>,
    closed: watch::Sender<bool>,
    running: Mutex<HashSet<String>>,
    workers: Mutex<Vec<JoinHandle<()>>>,
}

impl std::fmt::Debug for JobRunner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobRunner")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl JobRunner {
    /// A runner for the store in `data_dir`. Nothing is touched or runs until
    /// [`JobRunner::start`].
    pub fn open(store: &Store, data_dir: &Path, config: RunnerConfig) -> Arc<JobRunner> {
        let (changes, _) = broadcast::channel(CHANGES_BUFFER);
        Arc::new(JobRunner {
            jobs: Jobs::new(store),
            dossiers: Dossiers::new(store),
            blobs: BlobStore::new(data_dir),
            config,
            wake: Notify::new(),
            stopping: AtomicBool::new(false),
            changes,
            closed: watch::Sender::new(false),
            running: Mutex::new(HashSet::new()),
            workers: Mutex::new(Vec::new()),
        })
    }

    /// Removes blob files no row refers to, recovers the jobs a stopped server left running, and
    /// starts the workers on the current tokio runtime. Call it once the server owns its
    /// socket, so a second server started by mistake on the same data folder stops at its
    /// port before touching the first one's jobs. Blocks briefly.
    pub fn start(self: &Arc<Self>) -> Result<(), StoreError> {
        match self.dossiers.referenced_blobs() {
            Err(error) => {
                tracing::warn!(%error, "cannot list the stored files in use; not cleaned")
            }
            Ok(referenced) => match self.blobs.sweep(&referenced) {
                Ok(swept) if swept == Swept::default() => {}
                Ok(Swept {
                    partial,
                    unreferenced,
                }) => tracing::info!(
                    partial,
                    unreferenced,
                    "removed stored files no record refers to (left by a crash or a refused request)"
                ),
                Err(error) => tracing::warn!(%error, "cannot clean the blob folder"),
            },
        }
        let recovery = self
            .jobs
            .recover(self.config.max_attempts, OffsetDateTime::now_utc())?;
        for id in &recovery.requeued {
            tracing::warn!(job = %id, "job interrupted by a stop; queued again");
        }
        for id in &recovery.failed {
            tracing::error!(job = %id, attempts = self.config.max_attempts,
                "job interrupted too often; marked failed");
        }
        let mut workers = self.workers.lock().unwrap_or_else(|e| e.into_inner());
        for _ in 0..self.config.workers.max(1) {
            workers.push(tokio::spawn(self.clone().work()));
        }
        tracing::info!(
            workers = self.config.workers.max(1),
            pages_parallel = self.config.pages_parallel,
            "digitize workers ready"
        );
        Ok(())
    }

    /// Tells idle workers that a job was queued.
    pub fn wake(&self) {
        self.wake.notify_waiters();
    }

    /// Every later change of any job.
    pub fn subscribe(&self) -> broadcast::Receiver<Job> {
        self.changes.subscribe()
    }

    /// Becomes `true` when the runner has stopped: no job changes any more in this process.
    pub fn closed(&self) -> watch::Receiver<bool> {
        self.closed.subscribe()
    }

    /// Stops claiming jobs, waits (at most the drain timeout) for the running ones, puts any
    /// still running back in the queue, and closes the listeners.
    pub async fn drain(&self) {
        self.stopping.store(true, Ordering::SeqCst);
        self.wake.notify_waiters();
        let workers = std::mem::take(&mut *self.workers.lock().unwrap_or_else(|e| e.into_inner()));
        let running = self.running_ids();
        if !running.is_empty() {
            tracing::info!(jobs = running.len(), "waiting for running jobs to finish");
        }
        let deadline = tokio::time::Instant::now() + self.config.drain_timeout;
        for worker in workers {
            if tokio::time::timeout_at(deadline, worker).await.is_err() {
                break;
            }
        }
        let unfinished = self.running_ids();
        if !unfinished.is_empty() {
            let jobs = self.jobs.clone();
            let now = OffsetDateTime::now_utc();
            let requeued = tokio::task::spawn_blocking(move || {
                unfinished
                    .into_iter()
                    .filter(|id| matches!(jobs.requeue(id, now), Ok(true)))
                    .collect::<Vec<_>>()
            })
            .await
            .unwrap_or_default();
            for id in requeued {
                tracing::warn!(job = %id, "job still running at shutdown; queued again");
            }
        }
        self.closed.send_replace(true);
        tracing::info!("digitize workers stopped");
    }

    fn running_ids(&self) -> Vec<String> {
        let running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        running.iter().cloned().collect()
    }

    fn publish(&self, job: Job) {
        // No listener is no error.
        let _ = self.changes.send(job);
    }

    async fn work(self: Arc<Self>) {
        loop {
            // Registered before looking at the queue, so a wake in between is not lost.
            let woken = self.wake.notified();
            if self.stopping.load(Ordering::SeqCst) {
                return;
            }
            let jobs = self.jobs.clone();
            let claimed =
                tokio::task::spawn_blocking(move || jobs.claim(OffsetDateTime::now_utc())).await;
            match claimed {
                Ok(Ok(Some(claimed))) => self.clone().run(claimed).await,
                Ok(Ok(None)) => {
                    let _ = tokio::time::timeout(IDLE_POLL, woken).await;
                }
                Ok(Err(error)) => {
                    tracing::error!(%error, "cannot read the job queue");
                    tokio::time::sleep(STORE_RETRY).await;
                }
                Err(error) => {
                    tracing::error!(%error, "the job queue reader failed");
                    tokio::time::sleep(STORE_RETRY).await;
                }
            }
        }
    }

    async fn run(self: Arc<Self>, claimed: ClaimedJob) {
        let id = claimed.job.id.clone();
        tracing::info!(job = %id, attempt = claimed.job.attempts, files = claimed.uploads.len(),
            "digitize job started");
        self.running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id.clone());
        self.publish(claimed.job.clone());
        let this = self.clone();
        let started = std::time::Instant::now();
        let outcome = tokio::task::spawn_blocking(move || this.digitize_job(&claimed)).await;
        self.running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&id);
        let ms = started.elapsed().as_millis() as u64;
        match outcome {
            Ok(Ok(Some(job))) => {
                match &job.error {
                    Some(error) => tracing::warn!(job = %id, ms, %error, "digitize job failed"),
                    None => tracing::info!(job = %id, ms, pages = job.pages_done,
                        "digitize job done"),
                }
                self.publish(job);
            }
            // Requeued by a shutdown that could not wait: the next start does it again.
            Ok(Ok(None)) => tracing::info!(job = %id, "digitize job result dropped"),
            Ok(Err(error)) => {
                tracing::error!(job = %id, %error, "digitize job could not be recorded");
            }
            Err(error) => {
                // A panic in the pipeline is a bug; the job fails rather than coming back.
                tracing::error!(job = %id, %error, "digitize job panicked");
                let jobs = self.jobs.clone();
                let failed = tokio::task::spawn_blocking(move || {
                    jobs.fail(
                        &id,
                        "kyso failed inside while digitizing these scans; the error is logged",
                        OffsetDateTime::now_utc(),
                    )
                })
                .await;
                if let Ok(Ok(Some(job))) = failed {
                    self.publish(job);
                }
            }
        }
    }

    /// Digitizes a claimed job and records the outcome. Blocking. `Ok(None)` when the job
    /// was no longer running by the end.
    fn digitize_job(&self, claimed: &ClaimedJob) -> Result<Option<Job>, StoreError> {
        let job = &claimed.job;
        let fail = |words: String| self.jobs.fail(&job.id, &words, OffsetDateTime::now_utc());
        let Some(dossier) = self.dossiers.dossier(&job.dossier_id)? else {
            return fail("the job's dossier no longer exists".to_owned());
        };
        let mut inputs = Vec::with_capacity(claimed.uploads.len());
        for upload in &claimed.uploads {
            match self.blobs.get(&upload.sha256) {
                Ok(bytes) => inputs.push(Input {
                    name: upload.name.clone(),
                    bytes,
                }),
                Err(error) => return fail(stored_scan_words(&upload.name, &error)),
            }
        }
        // The document's title, also in the PDF's metadata.
        let title = claimed
            .params
            .title
            .clone()
            .unwrap_or_else(|| format!("Bản số hóa hồ sơ {}", dossier.code));
        // The job's own creation time, so every attempt makes the same bytes.
        let created =
            OffsetDateTime::parse(&job.created_at, &Rfc3339).unwrap_or(OffsetDateTime::UNIX_EPOCH);
        let options = DigitizeOptions {
            part: PdfAPart::A2b,
            jobs: self.config.pages_parallel.max(1),
            deskew: claimed.params.deskew,
            title: Some(title.clone()),
            dossier_code: Some(dossier.code.clone()),
            created,
            creator_tool: self.config.creator_tool.clone(),
        };
        let ocr = &self.config.ocr;
        let engines =
            || -> Result<Box<dyn OcrEngine>, OcrError> { Ok(Box::new(TesseractEngine::new(ocr)?)) };
        let progress = JobProgress {
            runner: self,
            job_id: &job.id,
            total: AtomicU32::new(0),
        };
        let digitized = match digitize::digitize(&inputs, &options, &engines, &progress) {
            Ok(digitized) => digitized,
            Err(error) => return fail(digitize_words(&error)),
        };
        drop(inputs);
        let sha256 = match self.blobs.put(&digitized.pdf) {
            Ok(sha256) => sha256,
            Err(error) => {
                tracing::error!(job = %job.id, %error, "cannot store the digitized PDF");
                return fail("the server could not store the PDF/A; the error is logged".into());
            }
        };
        let recorded = self.jobs.finish(
            &job.id,
            &NewDocument {
                dossier_id: &dossier.id,
                kind: DocumentKind::Digitized,
                title: &title,
                source: None,
                sha256: &sha256,
                size: digitized.pdf.len() as u64,
                action: "digitize",
                actor: &claimed.created_by,
                page_texts: &digitized.page_texts,
                pages: digitized.page_texts.len() as u32,
            },
            OffsetDateTime::now_utc(),
        )?;
        Ok(recorded.map(|(job, _)| job))
    }
}

/// Counts pages into the job's row and out to listeners.
struct JobProgress<'a> {
    runner: &'a JobRunner,
    job_id: &'a str,
    total: AtomicU32,
}

impl JobProgress<'_> {
    fn record(&self, done: u32) {
        let total = self.total.load(Ordering::Relaxed);
        match self
            .runner
            .jobs
            .set_progress(self.job_id, done, total, OffsetDateTime::now_utc())
        {
            Ok(Some(job)) => self.runner.publish(job),
            Ok(None) => {}
            Err(error) => tracing::warn!(job = %self.job_id, %error, "cannot record progress"),
        }
    }
}

impl Progress for JobProgress<'_> {
    fn started(&self, total_pages: usize) {
        self.total.store(total_pages as u32, Ordering::Relaxed);
        self.record(0);
    }

    fn page_done(&self, done_pages: usize) {
        self.record(done_pages as u32);
    }
}

/// Why a job's scans could not be digitized, in words for the counter: the error and its
/// causes. Errors about the inputs name the file and page.
fn digitize_words(error: &DigitizeError) -> String {
    match error {
        DigitizeError::Engine(_) => {
            tracing::error!(%error, source = ?std::error::Error::source(error),
                "the OCR engine cannot start");
            "the OCR engine could not start on the server; tell the administrator (the error \
             is logged)"
                .to_owned()
        }
        // A page too small or too large for PDF is the scan's doing, not the server's.
        DigitizeError::Pdf(PdfError::PageSize { .. }) => error_chain_words(error),
        DigitizeError::Pdf(_) => {
            tracing::error!(?error, "cannot write the PDF/A");
            "the server could not write the PDF/A; the error is logged".to_owned()
        }
        _ => error_chain_words(error),
    }
}

/// An error and its causes, joined with colons.
fn error_chain_words(error: &DigitizeError) -> String {
    let mut words = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        words.push_str(": ");
        words.push_str(&cause.to_string());
        source = cause.source();
    }
    words
}

fn stored_scan_words(name: &str, error: &BlobError) -> String {
    tracing::error!(file = %name, %error, "a stored scan cannot be read");
    match error {
        BlobError::Corrupt { .. } => {
            format!("the stored copy of {name} is damaged; upload the scans again")
        }
        BlobError::Missing { .. } => {
            format!("the stored copy of {name} is missing; upload the scans again")
        }
        _ => format!("the stored copy of {name} cannot be read; the error is logged"),
    }
}
