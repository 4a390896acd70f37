//! The durable queue of digitize jobs: a job refers to uploads already durable in the blob
//! folder, is claimed by one worker at a time, and ends `done` (with its document, recorded
//! in the same transaction) or `failed` (with words saying why). A job left `running` by a
//! crash goes back to the queue at the next start. Running the job is the server's business.

use rusqlite::{OptionalExtension, Row, TransactionBehavior, params};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::dossiers::{
    DocumentRow, Dossiers, NewDocument, UploadRow, insert_document, random_id, upload_row,
};
use super::{Store, StoreError, unknown_value};

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    /// Waiting for a worker.
    Queued,
    /// A worker is digitizing it.
    Running,
    /// The document is made: `document_id` names it.
    Done,
    /// It cannot be done: `error` says why.
    Failed,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Failed => "failed",
        }
    }

    fn parse(text: &str) -> Option<JobState> {
        Some(match text {
            "queued" => JobState::Queued,
            "running" => JobState::Running,
            "done" => JobState::Done,
            "failed" => JobState::Failed,
            _ => return None,
        })
    }

    /// Whether the job will change no more.
    pub fn is_final(self) -> bool {
        matches!(self, JobState::Done | JobState::Failed)
    }
}

/// A digitize job, as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Job {
    pub id: String,
    pub dossier_id: String,
    pub state: JobState,
    /// Pages OCRed so far in the current attempt.
    pub pages_done: u32,
    /// Pages in all the job's files; null until a worker has counted them.
    pub pages_total: Option<u32>,
    /// How many times a worker has started the job.
    pub attempts: u32,
    /// The digitized document, once the job is done.
    pub document_id: Option<String>,
    /// Why the job failed, in words.
    pub error: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// How to digitize: the options the counter chose at upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobParams {
    pub title: Option<String>,
    pub deskew: bool,
}

/// A file of a new job, already durable in the blob folder.
#[derive(Debug, Clone)]
pub struct NewUpload<'a> {
    pub name: &'a str,
    pub sha256: &'a str,
    pub size: u64,
}

/// A job a worker has claimed, with what it needs to run it.
#[derive(Debug, Clone)]
pub struct ClaimedJob {
    pub job: Job,
    pub params: JobParams,
    /// Who uploaded the scans: the actor of the document's first version.
    pub created_by: String,
    /// The files, in page order.
    pub uploads: Vec<UploadRow>,
}

/// What [`Jobs::recover`] did with the jobs a stopped server left running.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recovery {
    pub requeued: Vec<String>,
    pub failed: Vec<String>,
}

/// The job tables of a store. Cheap to make; shares the store's connection.
#[derive(Debug, Clone)]
pub struct Jobs {
    store: Store,
}

/// Job times have whole seconds: the creation time is written into the PDF's metadata, and a
/// retried job must make the same bytes.
fn timestamp(at: OffsetDateTime) -> String {
    at.replace_nanosecond(0)
        .unwrap_or(at)
        .format(&Rfc3339)
        .unwrap_or_default()
}

const JOB_COLUMNS: &str = "SELECT id, dossier_id, state, pages_done, pages_total, attempts, \
                           document_id, error, created_at, updated_at FROM jobs";

fn job_row(row: &Row<'_>) -> rusqlite::Result<Job> {
    let state: String = row.get(2)?;
    Ok(Job {
        id: row.get(0)?,
        dossier_id: row.get(1)?,
        state: JobState::parse(&state).ok_or_else(|| unknown_value(2, "job state", &state))?,
        pages_done: row.get(3)?,
        pages_total: row.get(4)?,
        attempts: row.get(5)?,
        document_id: row.get(6)?,
        error: row.get(7)?,
        created_at: row.get(8)?,
        updated_at: row.get(9)?,
    })
}

impl Jobs {
    pub fn new(store: &Store) -> Jobs {
        Jobs {
            store: store.clone(),
        }
    }

    /// Records the uploads (their bytes already durable in the blob folder) and a queued job
    /// over them, in that order, in one transaction.
    pub fn create(
        &self,
        dossier_id: &str,
        uploads: &[NewUpload<'_>],
        params: &JobParams,
        created_by: &str,
        now: OffsetDateTime,
    ) -> Result<Job, StoreError> {
        let at = timestamp(now);
        let id = random_id();
        let params = serde_json::to_string(params).unwrap_or_else(|_| "{}".to_owned());
        let mut connection = self.store.lock()?;
        let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        transaction.execute(
            "INSERT INTO jobs (id, kind, dossier_id, state, params, created_by, created_at,
                               updated_at)
             VALUES (?1, 'digitize', ?2, 'queued', ?3, ?4, ?5, ?5)",
            params![id, dossier_id, params, created_by, at],
        )?;
        for (position, upload) in uploads.iter().enumerate() {
            let upload_id = random_id();
            transaction.execute(
                "INSERT INTO uploads (id, dossier_id, name, sha256, size, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    upload_id,
                    dossier_id,
                    upload.name,
                    upload.sha256,
                    upload.size as i64,
                    at
                ],
            )?;
            transaction.execute(
                "INSERT INTO job_uploads (job_id, position, upload_id) VALUES (?1, ?2, ?3)",
                params![id, position as i64, upload_id],
            )?;
        }
        let job = transaction.query_row(&format!("{JOB_COLUMNS} WHERE id = ?1"), [&id], job_row)?;
        transaction.commit()?;
        Ok(job)
    }

    pub fn job(&self, id: &str) -> Result<Option<Job>, StoreError> {
        Ok(self
            .store
            .lock()?
            .query_row(&format!("{JOB_COLUMNS} WHERE id = ?1"), [id], job_row)
            .optional()?)
    }

    /// A dossier's jobs, oldest first.
    pub fn jobs_of(&self, dossier_id: &str) -> Result<Vec<Job>, StoreError> {
        let connection = self.store.lock()?;
        let mut statement = connection.prepare(&format!(
            "{JOB_COLUMNS} WHERE dossier_id = ?1 ORDER BY created_at, rowid"
        ))?;
        let rows = statement.query_map([dossier_id], job_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The files of a job, in page order.
    pub fn uploads_of(&self, job_id: &str) -> Result<Vec<UploadRow>, StoreError> {
        let connection = self.store.lock()?;
        let mut statement = connection.prepare(
            "SELECT u.id, u.dossier_id, u.name, u.sha256, u.size, u.created_at
             FROM job_uploads j JOIN uploads u ON u.id = j.upload_id
             WHERE j.job_id = ?1 ORDER BY j.position",
        )?;
        let rows = statement.query_map([job_id], upload_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Takes the oldest queued job for a worker: marks it running and counts the attempt, in
    /// one transaction, so two workers never take the same job.
    pub fn claim(&self, now: OffsetDateTime) -> Result<Option<ClaimedJob>, StoreError> {
        let mut connection = self.store.lock()?;
        let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let next: Option<(String, String, String)> = transaction
            .query_row(
                "SELECT id, params, created_by FROM jobs WHERE state = 'queued'
                 ORDER BY created_at, rowid LIMIT 1",
                [],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .optional()?;
        let Some((id, params, created_by)) = next else {
            return Ok(None);
        };
        transaction.execute(
            "UPDATE jobs SET state = 'running', attempts = attempts + 1, pages_done = 0,
                             updated_at = ?2
             WHERE id = ?1",
            params![id, timestamp(now)],
        )?;
        let job = transaction.query_row(&format!("{JOB_COLUMNS} WHERE id = ?1"), [&id], job_row)?;
        transaction.commit()?;
        drop(connection);
        // Parameters were written by `create`; unreadable ones (a hand-edited row) fall back
        // to the defaults rather than leaving the job stuck.
        let params = serde_json::from_str(&params).unwrap_or(JobParams {
            title: None,
            deskew: true,
        });
        let uploads = self.uploads_of(&id)?;
        Ok(Some(ClaimedJob {
            job,
            params,
            created_by,
            uploads,
        }))
    }

    /// Records the progress of a running job; `None` when it is no longer running.
    pub fn set_progress(
        &self,
        id: &str,
        pages_done: u32,
        pages_total: u32,
        now: OffsetDateTime,
    ) -> Result<Option<Job>, StoreError> {
        let connection = self.store.lock()?;
        let changed = connection.execute(
            "UPDATE jobs SET pages_done = ?2, pages_total = ?3, updated_at = ?4
             WHERE id = ?1 AND state = 'running'",
            params![id, pages_done, pages_total, timestamp(now)],
        )?;
        if changed == 0 {
            return Ok(None);
        }
        Ok(connection
            .query_row(&format!("{JOB_COLUMNS} WHERE id = ?1"), [id], job_row)
            .optional()?)
    }

    /// Records the job's document (its PDF already durable in the blob folder) and marks the
    /// job done, in one transaction. `None` when the job was no longer running (another
    /// worker's or an earlier run's outcome stands), and then nothing is recorded.
    pub fn finish(
        &self,
        id: &str,
        document: &NewDocument<'_>,
        now: OffsetDateTime,
    ) -> Result<Option<(Job, DocumentRow)>, StoreError> {
        let mut connection = self.store.lock()?;
        let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let running: bool = transaction
            .query_row(
                "SELECT state = 'running' FROM jobs WHERE id = ?1",
                [id],
                |row| row.get(0),
            )
            .optional()?
            .unwrap_or(false);
        if !running {
            return Ok(None);
        }
        let document_id = insert_document(&transaction, document, now)?;
        transaction.execute(
            "UPDATE jobs SET state = 'done', document_id = ?2, pages_done = ?3,
                             pages_total = ?3, error = NULL, updated_at = ?4
             WHERE id = ?1",
            params![id, document_id, document.pages, timestamp(now)],
        )?;
        let job = transaction.query_row(&format!("{JOB_COLUMNS} WHERE id = ?1"), [id], job_row)?;
        transaction.commit()?;
        drop(connection);
        let document = Dossiers::new(&self.store)
            .document(&document_id)?
            .ok_or(StoreError::Query(rusqlite::Error::QueryReturnedNoRows))?;
        Ok(Some((job, document)))
    }

    /// Marks a running job failed with `error`; `None` when it was no longer running.
    pub fn fail(
        &self,
        id: &str,
        error: &str,
        now: OffsetDateTime,
    ) -> Result<Option<Job>, StoreError> {
        let connection = self.store.lock()?;
        let changed = connection.execute(
            "UPDATE jobs SET state = 'failed', error = ?2, updated_at = ?3
             WHERE id = ?1 AND state = 'running'",
            params![id, error, timestamp(now)],
        )?;
        if changed == 0 {
            return Ok(None);
        }
        Ok(connection
            .query_row(&format!("{JOB_COLUMNS} WHERE id = ?1"), [id], job_row)
            .optional()?)
    }

    /// Puts a running job back in the queue without counting the attempt: a shutdown that
    /// could not wait for it to finish. `false` when it was no longer running.
    pub fn requeue(&self, id: &str, now: OffsetDateTime) -> Result<bool, StoreError> {
        Ok(self.store.lock()?.execute(
            "UPDATE jobs SET state = 'queued', attempts = max(attempts - 1, 0), pages_done = 0,
                             updated_at = ?2
             WHERE id = ?1 AND state = 'running'",
            params![id, timestamp(now)],
        )? == 1)
    }

    /// At start: the jobs a stopped server left running go back to the queue, except those
    /// already started `max_attempts` times, which fail — a job that keeps stopping the server
    /// must not stop it forever.
    pub fn recover(&self, max_attempts: u32, now: OffsetDateTime) -> Result<Recovery, StoreError> {
        let at = timestamp(now);
        let mut connection = self.store.lock()?;
        let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut recovery = Recovery::default();
        {
            let mut statement =
                transaction.prepare("SELECT id, attempts FROM jobs WHERE state = 'running'")?;
            let rows = statement.query_map([], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, u32>(1)?))
            })?;
            for row in rows {
                let (id, attempts) = row?;
                if attempts >= max_attempts {
                    recovery.failed.push(id);
                } else {
                    recovery.requeued.push(id);
                }
            }
        }
        for id in &recovery.failed {
            transaction.execute(
                "UPDATE jobs SET state = 'failed', updated_at = ?2,
                                 error = 'interrupted ' || attempts || ' times: the server stopped \
                                          while digitizing these scans each time; upload them \
                                          again, and if it happens again tell the administrator'
                 WHERE id = ?1",
                params![id, at],
            )?;
        }
        for id in &recovery.requeued {
            transaction.execute(
                "UPDATE jobs SET state = 'queued', pages_done = 0, updated_at = ?2 WHERE id = ?1",
                params![id, at],
            )?;
        }
        transaction.commit()?;
        Ok(recovery)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::dossiers::DocumentKind;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-23 09:00:00.75 +07:00);

    fn setup() -> (tempfile::TempDir, Jobs, Dossiers, String) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let dossiers = Dossiers::new(&store);
        let dossier = dossiers
            .create_dossier("1.001234", "Nguyễn Văn An", "001089012345", "counter", NOW)
            .unwrap();
        (dir, Jobs::new(&store), dossiers, dossier.id)
    }

    fn scans(jobs: &Jobs, dossier: &str, names: &[&str]) -> Job {
        let uploads: Vec<NewUpload<'_>> = names
            .iter()
            .map(|name| NewUpload {
                name,
                sha256: "ab",
                size: 3,
            })
            .collect();
        let params = JobParams {
            title: Some("Đơn".into()),
            deskew: false,
        };
        jobs.create(dossier, &uploads, &params, "counter:An (t1)", NOW)
            .unwrap()
    }

    fn document<'a>(dossier: &'a str, texts: &'a [String]) -> NewDocument<'a> {
        NewDocument {
            dossier_id: dossier,
            kind: DocumentKind::Digitized,
            title: "Đơn",
            source: None,
            sha256: "cd",
            size: 10,
            action: "digitize",
            actor: "counter:An (t1)",
            page_texts: texts,
            pages: 2,
        }
    }

    #[test]
    fn claimed_oldest_first_once_then_done_with_its_document_in_one_step() {
        let (_dir, jobs, dossiers, dossier) = setup();
        let first = scans(&jobs, &dossier, &["a.png", "b.png"]);
        let second = scans(&jobs, &dossier, &["c.png"]);
        assert_eq!(first.state, JobState::Queued);
        assert_eq!((first.attempts, first.pages_total), (0, None));
        // Whole seconds, so the PDF made from the job does not depend on when it ran.
        assert_eq!(first.created_at, "2026-11-23T09:00:00+07:00");

        let claimed = jobs.claim(NOW).unwrap().unwrap();
        assert_eq!(claimed.job.id, first.id);
        assert_eq!(claimed.job.state, JobState::Running);
        assert_eq!(claimed.job.attempts, 1);
        assert_eq!(claimed.params.title.as_deref(), Some("Đơn"));
        assert!(!claimed.params.deskew);
        assert_eq!(claimed.created_by, "counter:An (t1)");
        let names: Vec<_> = claimed.uploads.iter().map(|u| u.name.as_str()).collect();
        assert_eq!(names, ["a.png", "b.png"]);
        assert_eq!(jobs.claim(NOW).unwrap().unwrap().job.id, second.id);
        assert!(jobs.claim(NOW).unwrap().is_none());

        let progress = jobs.set_progress(&first.id, 1, 2, NOW).unwrap().unwrap();
        assert_eq!((progress.pages_done, progress.pages_total), (1, Some(2)));

        let texts = ["ĐƠN ĐỀ NGHỊ".to_owned(), "Hoàn Kiếm".to_owned()];
        let (done, made) = jobs
            .finish(&first.id, &document(&dossier, &texts), NOW)
            .unwrap()
            .unwrap();
        assert_eq!(done.state, JobState::Done);
        assert_eq!(done.document_id.as_deref(), Some(made.id.as_str()));
        assert_eq!((done.pages_done, done.pages_total), (2, Some(2)));
        assert_eq!(made.last_action, "digitize");
        assert_eq!(dossiers.search("hoan kiem", None, 5).unwrap()[0].page, 2);
        // A finished job is finished: no second document, no progress, no failure.
        assert!(
            jobs.finish(&first.id, &document(&dossier, &texts), NOW)
                .unwrap()
                .is_none()
        );
        assert!(jobs.set_progress(&first.id, 1, 2, NOW).unwrap().is_none());
        assert!(jobs.fail(&first.id, "x", NOW).unwrap().is_none());
        assert_eq!(dossiers.documents_of(&dossier).unwrap().len(), 1);

        let failed = jobs.fail(&second.id, "c.png: not a scan", NOW).unwrap();
        assert_eq!(failed.unwrap().error.as_deref(), Some("c.png: not a scan"));
        let all = jobs.jobs_of(&dossier).unwrap();
        let states: Vec<_> = all.iter().map(|j| j.state).collect();
        assert_eq!(states, [JobState::Done, JobState::Failed]);
    }

    #[test]
    fn interrupted_jobs_are_requeued_until_the_third_interruption() {
        let (_dir, jobs, _dossiers, dossier) = setup();
        let job = scans(&jobs, &dossier, &["a.png"]);
        for attempt in 1..=3 {
            let claimed = jobs.claim(NOW).unwrap().unwrap();
            assert_eq!(claimed.job.attempts, attempt);
            jobs.set_progress(&job.id, 1, 3, NOW).unwrap();
            // The server dies here; the next start recovers.
            let recovery = jobs.recover(3, NOW).unwrap();
            if attempt < 3 {
                assert_eq!(recovery.requeued, std::slice::from_ref(&job.id));
                let again = jobs.job(&job.id).unwrap().unwrap();
                assert_eq!((again.state, again.pages_done), (JobState::Queued, 0));
            } else {
                assert_eq!(recovery.failed, std::slice::from_ref(&job.id));
            }
        }
        let failed = jobs.job(&job.id).unwrap().unwrap();
        assert_eq!(failed.state, JobState::Failed);
        assert!(
            failed
                .error
                .as_deref()
                .unwrap()
                .starts_with("interrupted 3 times"),
            "{failed:?}"
        );
        assert_eq!(jobs.recover(3, NOW).unwrap(), Recovery::default());
    }

    #[test]
    fn a_shutdown_requeue_does_not_count_the_attempt() {
        let (_dir, jobs, _dossiers, dossier) = setup();
        let job = scans(&jobs, &dossier, &["a.png"]);
        jobs.claim(NOW).unwrap().unwrap();
        assert!(jobs.requeue(&job.id, NOW).unwrap());
        assert!(!jobs.requeue(&job.id, NOW).unwrap());
        let queued = jobs.job(&job.id).unwrap().unwrap();
        assert_eq!((queued.state, queued.attempts), (JobState::Queued, 0));
    }
}
