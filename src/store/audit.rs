//! The audit log: an append-only table of who did what (login, authorize, sign, lockout,
//! enrollment), each entry hash-chained to the one before so that editing, deleting or
//! reordering entries is detected by [`AuditLog::verify`]. Deciding what to log, and keeping
//! checkpoints somewhere other than this database, are the callers' job.
//!
//! # What the chain proves, and what it does not
//!
//! Entry `n` stores `hash_n = SHA-256(encoding(n, time, actor, action, subject, details,
//! hash_{n-1}))` with `hash_0` = 32 zero bytes. [`AuditLog::verify`] recomputes every hash
//! and finds the first entry that was edited (its hash no longer matches), deleted (a gap in
//! `seq`) or moved (its `prev_hash` no longer links to the entry before it).
//!
//! The chain has no key: whoever can write the database file can also delete the last
//! entries, or rewrite an entry and recompute every hash after it, and `verify` alone cannot
//! tell. Against that, record a [`Checkpoint`] ([`AuditLog::head`]) outside the database
//! (another server, a signed report, paper) and verify against it with
//! [`AuditLog::verify_from_checkpoint`]: any change to entries up to the checkpoint, or a tail
//! cut below it, is then detected.
//!
//! Never put a PIN, OTP, SAD, password or key in an entry; [`AuditLog::append`] refuses
//! detail keys that name one, and [`crate::csc::Secret`] cannot be serialized at all.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use openssl::hash::{MessageDigest, hash};
use rusqlite::{OptionalExtension, TransactionBehavior};
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

use super::{Store, StoreError};

/// Domain separation for the entry hash, versioned in case the encoding ever changes.
const ENCODING_TAG: &[u8] = b"kyso audit entry v1\n";

/// The `prev_hash` of the first entry.
pub const GENESIS_HASH: [u8; 32] = [0; 32];

/// Detail keys that would carry a secret; compared case-insensitively, at any depth.
const SECRET_KEYS: &[&str] = &[
    "pin",
    "otp",
    "sad",
    "password",
    "passphrase",
    "secret",
    "private_key",
];

/// How an entry was found to be wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Tamper {
    /// The entry with this `seq` is missing: deleted (or never written).
    Missing,
    /// The entry's hash does not match its contents: edited.
    Altered,
    /// The entry does not link to the one before it: moved, or a neighbour was replaced.
    BrokenChain,
    /// A column does not have the shape `append` writes (bad hash text, bad `seq`).
    Malformed,
    /// The log ends before the checkpoint's entry: its tail was cut.
    Truncated,
    /// The checkpoint's entry has another hash: entries up to it were rewritten.
    NotOnCheckpoint,
}

impl fmt::Display for Tamper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Tamper::Missing => "is missing (deleted)",
            Tamper::Altered => "was altered (its hash does not match its contents)",
            Tamper::BrokenChain => "does not link to the entry before it (moved or replaced)",
            Tamper::Malformed => "is malformed",
            Tamper::Truncated => "is missing: the log was cut short before the checkpoint",
            Tamper::NotOnCheckpoint => "does not match the checkpoint (entries were rewritten)",
        })
    }
}

/// Why appending or verifying failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuditError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("audit log query failed")]
    Query(#[from] rusqlite::Error),
    #[error("audit details must be a JSON object")]
    DetailsNotObject,
    #[error("the time of an audit entry must be within years 0000–9999 (RFC 3339)")]
    BadTime,
    #[error("audit details must not carry secrets; remove the key {key:?}")]
    SecretInDetails { key: String },
    #[error("audit log entry {seq} {kind}")]
    Tampered { seq: u64, kind: Tamper },
    /// The entry was queued with others and their common transaction failed: nothing of it
    /// was stored. The thread that wrote the batch got the cause.
    #[error("the audit entry was not stored: the transaction writing it with others failed")]
    BatchFailed,
}

impl AuditError {
    /// The first bad entry, when the error is a verdict on the log's integrity.
    pub fn tampered_seq(&self) -> Option<u64> {
        match self {
            AuditError::Tampered { seq, .. } => Some(*seq),
            _ => None,
        }
    }
}

/// One stored entry, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub seq: u64,
    /// RFC 3339, UTC.
    pub time: String,
    /// Who acted: a user name, `admin:<name>`, or `system`.
    pub actor: String,
    /// What happened, e.g. `login`, `authorize`, `sign`, `lockout`, `enroll`.
    pub action: String,
    /// What it happened to, e.g. a credential id.
    pub subject: String,
    /// A JSON object, as stored.
    pub details: String,
    pub prev_hash: [u8; 32],
    pub hash: [u8; 32],
}

/// A (seq, hash) pair to keep outside the database and verify against later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checkpoint {
    pub seq: u64,
    pub hash: [u8; 32],
}

impl fmt::Display for Checkpoint {
    /// `SEQ:HEX`, the form `kyso audit verify --checkpoint` reads.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.seq, crate::hex::lower(&self.hash))
    }
}

/// A checkpoint that is not `SEQ:HEX` with a positive `SEQ` and 64 hex digits.
#[derive(Debug, thiserror::Error)]
#[error(
    "a checkpoint is SEQ:HASH as `kyso audit verify` prints it after \"head:\": \
     an entry number, a colon and 64 hex digits"
)]
pub struct BadCheckpoint;

impl FromStr for Checkpoint {
    type Err = BadCheckpoint;

    fn from_str(text: &str) -> Result<Checkpoint, BadCheckpoint> {
        let (seq, hex) = text.trim().split_once(':').ok_or(BadCheckpoint)?;
        let seq: u64 = seq.parse().map_err(|_| BadCheckpoint)?;
        let hash = from_hex(hex).ok_or(BadCheckpoint)?;
        if seq == 0 {
            return Err(BadCheckpoint);
        }
        Ok(Checkpoint { seq, hash })
    }
}

/// The audit log of a store. Cheap to make; shares the store's connection. Clones share
/// one queue of entries waiting to be written (see [`AuditLog::append`]).
#[derive(Debug, Clone)]
pub struct AuditLog {
    store: Store,
    batching: Arc<Batching>,
}

/// An entry that passed the checks and waits for its place in the chain.
#[derive(Debug)]
struct Draft {
    time: String,
    actor: String,
    action: String,
    subject: String,
    details: String,
}

/// Group commit: entries appended while another thread is writing wait in `queue`, and the
/// next writer stores all of them in one transaction.
#[derive(Debug, Default)]
struct Batching {
    state: Mutex<Queue>,
    /// Signalled whenever a batch has been written (or has failed).
    written: Condvar,
}

#[derive(Debug, Default)]
struct Queue {
    next_ticket: u64,
    /// Waiting entries, oldest first, by ticket.
    queue: Vec<(u64, Draft)>,
    /// Whether a thread is writing a batch now.
    writing: bool,
    /// `seq` and hash of the last entry this log wrote, so that the next batch need not
    /// read it back. Only a hint: see [`AuditLog::write`].
    head: Option<(u64, [u8; 32])>,
    /// Outcomes of written batches for the threads still to collect them: the stored record,
    /// or `None` when the batch's transaction failed and nothing of it was stored.
    outcomes: HashMap<u64, Option<AuditRecord>>,
}

impl Batching {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        // Every change to the queue is completed before the lock is released, and the
        // writer's guard settles its batch even when it panics: a poisoned lock is safe.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Held by the thread writing a batch: when dropped without [`Writing::finish`] (a panic
/// while writing), marks the batch failed so that nobody waits for it forever.
struct Writing<'a> {
    batching: &'a Batching,
    tickets: Vec<u64>,
}

impl Writing<'_> {
    /// Hands each ticket other than `own` its outcome, wakes their threads, and returns the
    /// outcome for `own`.
    fn finish(
        mut self,
        own: u64,
        written: Result<Vec<AuditRecord>, AuditError>,
    ) -> Result<AuditRecord, AuditError> {
        let tickets = std::mem::take(&mut self.tickets);
        let mut queue = self.batching.lock();
        queue.writing = false;
        let mut mine = Err(AuditError::BatchFailed);
        match written {
            Ok(records) => {
                if let Some(last) = records.last() {
                    queue.head = Some((last.seq, last.hash));
                }
                for (ticket, record) in tickets.into_iter().zip(records) {
                    if ticket == own {
                        mine = Ok(record);
                    } else {
                        queue.outcomes.insert(ticket, Some(record));
                    }
                }
            }
            Err(error) => {
                for ticket in tickets.into_iter().filter(|&t| t != own) {
                    queue.outcomes.insert(ticket, None);
                }
                mine = Err(error);
            }
        }
        drop(queue);
        self.batching.written.notify_all();
        mine
    }
}

impl Drop for Writing<'_> {
    fn drop(&mut self) {
        if self.tickets.is_empty() {
            return;
        }
        let mut queue = self.batching.lock();
        queue.writing = false;
        for ticket in self.tickets.drain(..) {
            queue.outcomes.insert(ticket, None);
        }
        drop(queue);
        self.batching.written.notify_all();
    }
}

impl AuditLog {
    pub fn new(store: &Store) -> AuditLog {
        AuditLog {
            store: store.clone(),
            batching: Arc::default(),
        }
    }

    /// Appends an entry at `now` and returns it once it is stored (committed). `details`
    /// must be a JSON object without secrets. Blocking; async callers run it on a blocking
    /// thread.
    ///
    /// Entries appended by several threads at once are written together (group commit):
    /// the first becomes the writer and stores every entry queued meanwhile in one
    /// transaction, the others wait until that transaction has committed. No caller returns
    /// before its own entry is stored; when the transaction fails, every entry of the batch
    /// fails with it (the writer gets the cause, the others [`AuditError::BatchFailed`]).
    pub fn append(
        &self,
        now: OffsetDateTime,
        actor: &str,
        action: &str,
        subject: &str,
        details: &serde_json::Value,
    ) -> Result<AuditRecord, AuditError> {
        let object = details.as_object().ok_or(AuditError::DetailsNotObject)?;
        if let Some(key) = secret_key(object) {
            return Err(AuditError::SecretInDetails { key });
        }
        let time = now
            .checked_to_offset(UtcOffset::UTC)
            .ok_or(AuditError::BadTime)?
            .format(&Rfc3339)
            .map_err(|_| AuditError::BadTime)?;
        let draft = Draft {
            time,
            actor: actor.to_owned(),
            action: action.to_owned(),
            subject: subject.to_owned(),
            details: details.to_string(),
        };
        let mut queue = self.batching.lock();
        let ticket = queue.next_ticket;
        queue.next_ticket += 1;
        queue.queue.push((ticket, draft));
        loop {
            if let Some(outcome) = queue.outcomes.remove(&ticket) {
                return outcome.ok_or(AuditError::BatchFailed);
            }
            if !queue.writing {
                // Our entry is still queued (a writer takes the whole queue, and would have
                // left an outcome): write it with everything queued before it.
                let batch = std::mem::take(&mut queue.queue);
                let head = queue.head;
                queue.writing = true;
                drop(queue);
                let writing = Writing {
                    batching: &self.batching,
                    tickets: batch.iter().map(|(ticket, _)| *ticket).collect(),
                };
                let drafts: Vec<Draft> = batch.into_iter().map(|(_, draft)| draft).collect();
                let written = self.write(&drafts, head);
                return writing.finish(ticket, written);
            }
            queue = self
                .batching
                .written
                .wait(queue)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Stores `drafts` after the current head, in order, all or none.
    ///
    /// `head` is the last entry this log wrote, if any. It saves reading the head back, and
    /// is checked for free: `seq` is the table's primary key and entries are never deleted,
    /// so when another writer (another process sharing the file) has appended since, the
    /// entry after `head` exists and the first insert fails as a whole; the head is then
    /// read and the batch written after it. A single entry after a known head is one INSERT,
    /// atomic on its own; otherwise the batch is one transaction.
    fn write(
        &self,
        drafts: &[Draft],
        head: Option<(u64, [u8; 32])>,
    ) -> Result<Vec<AuditRecord>, AuditError> {
        let mut connection = self.store.lock()?;
        let mut head = head;
        if let (Some(known), [_]) = (head, drafts) {
            match Self::insert(&connection, drafts, known) {
                Err(error) if is_taken_seq(&error) => head = None,
                other => return other,
            }
        }
        // IMMEDIATE takes the write lock before the head is read, so two processes sharing
        // the file cannot both append after the same entry. Dropped uncommitted, the
        // transaction rolls back: nothing of a failed batch is stored.
        let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let written = match head {
            Some(known) => match Self::insert(&transaction, drafts, known) {
                Err(error) if is_taken_seq(&error) => None,
                other => Some(other?),
            },
            None => None,
        };
        let records = match written {
            Some(records) => records,
            None => {
                let head = Self::read_head(&transaction)?;
                Self::insert(&transaction, drafts, head)?
            }
        };
        transaction.commit()?;
        Ok(records)
    }

    /// The last entry's `seq` and hash, or (0, genesis) for an empty log.
    fn read_head(connection: &rusqlite::Connection) -> Result<(u64, [u8; 32]), AuditError> {
        let head: Option<(i64, String)> = connection
            .prepare_cached("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")?
            .query_row([], |row| Ok((row.get(0)?, row.get(1)?)))
            .optional()?;
        match head {
            None => Ok((0, GENESIS_HASH)),
            Some((seq, hash)) => {
                let seq = u64::try_from(seq).unwrap_or(0);
                let hash = from_hex(&hash).ok_or(AuditError::Tampered {
                    seq,
                    kind: Tamper::Malformed,
                })?;
                Ok((seq, hash))
            }
        }
    }

    /// Inserts `drafts` as the entries after `head`.
    fn insert(
        connection: &rusqlite::Connection,
        drafts: &[Draft],
        (head_seq, head_hash): (u64, [u8; 32]),
    ) -> Result<Vec<AuditRecord>, AuditError> {
        let mut statement = connection.prepare_cached(
            "INSERT INTO audit_log (seq, time, actor, action, subject, details, prev_hash, hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?;
        let mut records: Vec<AuditRecord> = Vec::with_capacity(drafts.len());
        for draft in drafts {
            let (seq, prev_hash) = records
                .last()
                .map_or((head_seq + 1, head_hash), |last| (last.seq + 1, last.hash));
            let mut record = AuditRecord {
                seq,
                time: draft.time.clone(),
                actor: draft.actor.clone(),
                action: draft.action.clone(),
                subject: draft.subject.clone(),
                details: draft.details.clone(),
                prev_hash,
                hash: [0; 32],
            };
            record.hash = entry_hash(&record);
            statement.execute((
                record.seq as i64,
                &record.time,
                &record.actor,
                &record.action,
                &record.subject,
                &record.details,
                crate::hex::lower(&record.prev_hash),
                crate::hex::lower(&record.hash),
            ))?;
            records.push(record);
        }
        Ok(records)
    }

    /// The last entry as a checkpoint; `None` for an empty log.
    pub fn head(&self) -> Result<Option<Checkpoint>, AuditError> {
        let connection = self
            .store
            .connection
            .lock()
            .map_err(|_| StoreError::Poisoned)?;
        let head: Option<(i64, String)> = connection
            .query_row(
                "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        head.map(|(seq, hash)| {
            let seq = u64::try_from(seq).unwrap_or(0);
            from_hex(&hash)
                .map(|hash| Checkpoint { seq, hash })
                .ok_or(AuditError::Tampered {
                    seq,
                    kind: Tamper::Malformed,
                })
        })
        .transpose()
    }

    /// Walks the whole chain and returns the number of entries, or the first bad entry as
    /// [`AuditError::Tampered`]. Cannot see a cut tail or a consistently recomputed chain:
    /// see the module documentation and [`AuditLog::verify_from_checkpoint`].
    pub fn verify(&self) -> Result<usize, AuditError> {
        self.walk(None)
    }

    /// [`AuditLog::verify`], and also checks that the entry at `checkpoint.seq` still exists
    /// with `checkpoint.hash`.
    pub fn verify_from_checkpoint(&self, checkpoint: &Checkpoint) -> Result<usize, AuditError> {
        self.walk(Some(checkpoint))
    }

    fn walk(&self, checkpoint: Option<&Checkpoint>) -> Result<usize, AuditError> {
        let connection = self
            .store
            .connection
            .lock()
            .map_err(|_| StoreError::Poisoned)?;
        let mut statement = connection.prepare(
            "SELECT seq, time, actor, action, subject, details, prev_hash, hash
             FROM audit_log ORDER BY seq",
        )?;
        let mut rows = statement.query([])?;
        let mut expected_seq: u64 = 1;
        let mut prev = GENESIS_HASH;
        let mut checkpoint_seen = false;
        while let Some(row) = rows.next()? {
            let raw_seq: i64 = row.get(0)?;
            let tampered = |seq, kind| AuditError::Tampered { seq, kind };
            let seq = u64::try_from(raw_seq)
                .ok()
                .filter(|&seq| seq >= expected_seq)
                .ok_or(tampered(expected_seq, Tamper::Malformed))?;
            if seq != expected_seq {
                return Err(tampered(expected_seq, Tamper::Missing));
            }
            let hex = |index| -> Result<[u8; 32], AuditError> {
                let text: String = row.get(index)?;
                from_hex(&text).ok_or(tampered(seq, Tamper::Malformed))
            };
            let record = AuditRecord {
                seq,
                time: row.get(1)?,
                actor: row.get(2)?,
                action: row.get(3)?,
                subject: row.get(4)?,
                details: row.get(5)?,
                prev_hash: hex(6)?,
                hash: hex(7)?,
            };
            if record.prev_hash != prev {
                return Err(tampered(seq, Tamper::BrokenChain));
            }
            if entry_hash(&record) != record.hash {
                return Err(tampered(seq, Tamper::Altered));
            }
            if let Some(checkpoint) = checkpoint
                && checkpoint.seq == seq
            {
                if checkpoint.hash != record.hash {
                    return Err(tampered(seq, Tamper::NotOnCheckpoint));
                }
                checkpoint_seen = true;
            }
            prev = record.hash;
            expected_seq += 1;
        }
        if let Some(checkpoint) = checkpoint
            && !checkpoint_seen
        {
            return Err(AuditError::Tampered {
                seq: checkpoint.seq,
                kind: Tamper::Truncated,
            });
        }
        Ok((expected_seq - 1) as usize)
    }
}

/// An insert that failed on the `seq` primary key: another writer appended that entry first.
fn is_taken_seq(error: &AuditError) -> bool {
    matches!(
        error,
        AuditError::Query(rusqlite::Error::SqliteFailure(failure, _))
            if failure.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
    )
}

/// SHA-256 over the canonical encoding: the tag, `seq` as 8 big-endian bytes, each text
/// field as an 8-byte big-endian length and its UTF-8 bytes (so no field can bleed into the
/// next), then `prev_hash`. Text fields are hashed exactly as stored.
fn entry_hash(record: &AuditRecord) -> [u8; 32] {
    let mut encoding = Vec::with_capacity(256 + record.details.len());
    encoding.extend_from_slice(ENCODING_TAG);
    encoding.extend_from_slice(&record.seq.to_be_bytes());
    for field in [
        &record.time,
        &record.actor,
        &record.action,
        &record.subject,
        &record.details,
    ] {
        encoding.extend_from_slice(&(field.len() as u64).to_be_bytes());
        encoding.extend_from_slice(field.as_bytes());
    }
    encoding.extend_from_slice(&record.prev_hash);
    let digest = hash(MessageDigest::sha256(), &encoding).expect("SHA-256 is available");
    let mut out = [0u8; 32];
    out.copy_from_slice(&digest);
    out
}

/// The first key, at any depth, that names a secret.
fn secret_key(object: &serde_json::Map<String, serde_json::Value>) -> Option<String> {
    for (key, value) in object {
        if SECRET_KEYS.iter().any(|s| key.eq_ignore_ascii_case(s)) {
            return Some(key.clone());
        }
        let nested = match value {
            serde_json::Value::Object(inner) => secret_key(inner),
            serde_json::Value::Array(items) => items
                .iter()
                .filter_map(serde_json::Value::as_object)
                .find_map(secret_key),
            _ => None,
        };
        if nested.is_some() {
            return nested;
        }
    }
    None
}

/// Exactly 64 lower- or upper-case hex digits.
fn from_hex(text: &str) -> Option<[u8; 32]> {
    if text.len() != 64 || !text.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests;
