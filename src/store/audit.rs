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

use std::fmt;
use std::str::FromStr;

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
        write!(f, "{}:{}", self.seq, to_hex(&self.hash))
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

/// The audit log of a store. Cheap to make; shares the store's connection.
#[derive(Debug, Clone)]
pub struct AuditLog {
    store: Store,
}

impl AuditLog {
    pub fn new(store: &Store) -> AuditLog {
        AuditLog {
            store: store.clone(),
        }
    }

    /// Appends an entry at `now` and returns it. `details` must be a JSON object without
    /// secrets. Blocking; async callers run it on a blocking thread.
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
        let details = details.to_string();
        let mut connection = self
            .store
            .connection
            .lock()
            .map_err(|_| StoreError::Poisoned)?;
        // IMMEDIATE takes the write lock before reading the head, so two processes sharing
        // the file cannot both append after the same entry.
        let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let head: Option<(i64, String)> = transaction
            .query_row(
                "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        let (seq, prev_hash) = match head {
            None => (1, GENESIS_HASH),
            Some((seq, hash)) => {
                let malformed = AuditError::Tampered {
                    seq: seq.max(0) as u64,
                    kind: Tamper::Malformed,
                };
                let hash = from_hex(&hash).ok_or(malformed)?;
                (seq as u64 + 1, hash)
            }
        };
        let mut record = AuditRecord {
            seq,
            time,
            actor: actor.to_owned(),
            action: action.to_owned(),
            subject: subject.to_owned(),
            details,
            prev_hash,
            hash: [0; 32],
        };
        record.hash = entry_hash(&record);
        transaction.execute(
            "INSERT INTO audit_log (seq, time, actor, action, subject, details, prev_hash, hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            (
                record.seq as i64,
                &record.time,
                &record.actor,
                &record.action,
                &record.subject,
                &record.details,
                to_hex(&record.prev_hash),
                to_hex(&record.hash),
            ),
        )?;
        transaction.commit()?;
        Ok(record)
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

fn to_hex(bytes: &[u8; 32]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
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
mod tests {
    use super::*;
    use serde_json::json;

    fn at(unix: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(unix).unwrap()
    }

    /// A store in a temporary folder with `n` entries.
    fn log_with(n: u64) -> (tempfile::TempDir, Store, AuditLog) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let log = AuditLog::new(&store);
        for i in 1..=n {
            let record = log
                .append(
                    at(1_800_000_000 + i as i64),
                    "alice",
                    "sign",
                    &format!("cred-{}", i % 3),
                    &json!({ "n": i, "hashes": 1 }),
                )
                .unwrap();
            assert_eq!(record.seq, i);
        }
        (dir, store, log)
    }

    /// Runs SQL as an attacker with the file would: the append-only triggers dropped first.
    fn tamper(store: &Store, sql: &str) {
        let connection = store.connection.lock().unwrap();
        connection
            .execute_batch(&format!(
                "DROP TRIGGER IF EXISTS audit_log_no_update;
                 DROP TRIGGER IF EXISTS audit_log_no_delete;
                 {sql}"
            ))
            .unwrap();
    }

    fn tampered(result: Result<usize, AuditError>) -> (u64, Tamper) {
        match result {
            Err(AuditError::Tampered { seq, kind }) => (seq, kind),
            other => panic!("expected a tampering verdict, got {other:?}"),
        }
    }

    #[test]
    fn hundred_entries_verify_and_chain_from_genesis() {
        let (_dir, store, log) = log_with(100);
        assert_eq!(log.verify().unwrap(), 100);
        let head = log.head().unwrap().unwrap();
        assert_eq!(head.seq, 100);
        assert_eq!(log.verify_from_checkpoint(&head).unwrap(), 100);
        let connection = store.connection.lock().unwrap();
        let (first_prev, time): (String, String) = connection
            .query_row(
                "SELECT prev_hash, time FROM audit_log WHERE seq = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(first_prev, "0".repeat(64));
        assert_eq!(time, "2027-01-15T08:00:01Z");
    }

    #[test]
    fn empty_log_verifies_with_zero_entries() {
        let (_dir, _store, log) = log_with(0);
        assert_eq!(log.verify().unwrap(), 0);
        assert_eq!(log.head().unwrap(), None);
    }

    #[test]
    fn edited_details_are_detected_at_their_seq() {
        let (_dir, store, log) = log_with(100);
        tamper(
            &store,
            r#"UPDATE audit_log SET details = '{"hashes":1,"n":999}' WHERE seq = 42"#,
        );
        assert_eq!(tampered(log.verify()), (42, Tamper::Altered));
    }

    #[test]
    fn every_field_is_covered_by_the_hash() {
        for column in ["time", "actor", "action", "subject", "details"] {
            let (_dir, store, log) = log_with(5);
            tamper(
                &store,
                &format!("UPDATE audit_log SET {column} = {column} || ' ' WHERE seq = 3"),
            );
            assert_eq!(tampered(log.verify()), (3, Tamper::Altered), "{column}");
        }
    }

    #[test]
    fn deleted_middle_entry_is_detected() {
        let (_dir, store, log) = log_with(100);
        tamper(&store, "DELETE FROM audit_log WHERE seq = 50");
        assert_eq!(tampered(log.verify()), (50, Tamper::Missing));
    }

    #[test]
    fn deleted_and_renumbered_entries_break_the_chain() {
        let (_dir, store, log) = log_with(100);
        tamper(
            &store,
            "DELETE FROM audit_log WHERE seq = 50;
             UPDATE audit_log SET seq = seq - 1 WHERE seq > 50;",
        );
        // Entry 51 moved to seq 50: its seq is hashed, and it does not link to entry 49.
        assert_eq!(tampered(log.verify()).0, 50);
    }

    #[test]
    fn swapped_entries_are_detected() {
        let (_dir, store, log) = log_with(20);
        tamper(
            &store,
            "UPDATE audit_log SET seq = 1000 WHERE seq = 10;
             UPDATE audit_log SET seq = 10 WHERE seq = 11;
             UPDATE audit_log SET seq = 11 WHERE seq = 1000;",
        );
        assert_eq!(tampered(log.verify()), (10, Tamper::BrokenChain));
    }

    #[test]
    fn a_cut_tail_is_seen_only_with_a_checkpoint() {
        let (_dir, store, log) = log_with(100);
        let checkpoint = log.head().unwrap().unwrap();
        tamper(&store, "DELETE FROM audit_log WHERE seq > 97");
        // The documented limit: the remaining chain is intact.
        assert_eq!(log.verify().unwrap(), 97);
        assert_eq!(
            tampered(log.verify_from_checkpoint(&checkpoint)),
            (100, Tamper::Truncated)
        );
    }

    #[test]
    fn a_recomputed_chain_is_seen_only_with_a_checkpoint() {
        let (_dir, store, log) = log_with(10);
        let checkpoint = log.head().unwrap().unwrap();
        // The attacker edits entry 4 and recomputes every hash from there.
        tamper(
            &store,
            r#"UPDATE audit_log SET details = '{"n":"forged"}' WHERE seq = 4"#,
        );
        {
            let connection = store.connection.lock().unwrap();
            let mut prev: [u8; 32] = {
                let text: String = connection
                    .query_row("SELECT hash FROM audit_log WHERE seq = 3", [], |r| r.get(0))
                    .unwrap();
                from_hex(&text).unwrap()
            };
            for seq in 4..=10u64 {
                let mut record = connection
                    .query_row(
                        "SELECT time, actor, action, subject, details FROM audit_log WHERE seq = ?1",
                        [seq as i64],
                        |r| {
                            Ok(AuditRecord {
                                seq,
                                time: r.get(0)?,
                                actor: r.get(1)?,
                                action: r.get(2)?,
                                subject: r.get(3)?,
                                details: r.get(4)?,
                                prev_hash: prev,
                                hash: [0; 32],
                            })
                        },
                    )
                    .unwrap();
                record.hash = entry_hash(&record);
                connection
                    .execute(
                        "UPDATE audit_log SET prev_hash = ?1, hash = ?2 WHERE seq = ?3",
                        (to_hex(&record.prev_hash), to_hex(&record.hash), seq as i64),
                    )
                    .unwrap();
                prev = record.hash;
            }
        }
        assert_eq!(log.verify().unwrap(), 10);
        assert_eq!(
            tampered(log.verify_from_checkpoint(&checkpoint)),
            (10, Tamper::NotOnCheckpoint)
        );
    }

    #[test]
    fn malformed_hash_text_is_reported() {
        let (_dir, store, log) = log_with(3);
        tamper(&store, "UPDATE audit_log SET hash = 'zz' WHERE seq = 2");
        assert_eq!(tampered(log.verify()), (2, Tamper::Malformed));
    }

    #[test]
    fn the_table_refuses_updates_and_deletes() {
        let (_dir, store, log) = log_with(3);
        let connection = store.connection.lock().unwrap();
        for sql in [
            "UPDATE audit_log SET actor = 'mallory' WHERE seq = 1",
            "DELETE FROM audit_log WHERE seq = 3",
        ] {
            let err = connection.execute(sql, []).unwrap_err();
            assert!(err.to_string().contains("append-only"), "{err}");
        }
        drop(connection);
        assert_eq!(log.verify().unwrap(), 3);
    }

    #[test]
    fn details_must_be_an_object_without_secrets() {
        let (_dir, _store, log) = log_with(0);
        let now = at(1_800_000_000);
        assert!(matches!(
            log.append(now, "a", "b", "c", &json!([1, 2])),
            Err(AuditError::DetailsNotObject)
        ));
        for details in [
            json!({ "PIN": "x" }),
            json!({ "auth": { "otp": "x" } }),
            json!({ "steps": [{ "sad": "x" }] }),
        ] {
            assert!(
                matches!(
                    log.append(now, "a", "b", "c", &details),
                    Err(AuditError::SecretInDetails { .. })
                ),
                "{details}"
            );
        }
        assert_eq!(log.verify().unwrap(), 0);
    }

    #[test]
    fn a_time_rfc3339_cannot_write_is_refused() {
        let (_dir, _store, log) = log_with(0);
        // About 250 BC: RFC 3339 has no negative years.
        let ancient = at(-70_000_000_000);
        assert!(matches!(
            log.append(ancient, "a", "b", "c", &json!({})),
            Err(AuditError::BadTime)
        ));
    }

    #[test]
    fn checkpoint_text_round_trips() {
        let checkpoint = Checkpoint {
            seq: 42,
            hash: [0xab; 32],
        };
        let text = checkpoint.to_string();
        assert_eq!(text, format!("42:{}", "ab".repeat(32)));
        assert_eq!(text.parse::<Checkpoint>().unwrap(), checkpoint);
        for bad in ["", "42", "0:00", "x:ab", &format!("0:{}", "ab".repeat(32))] {
            assert!(bad.parse::<Checkpoint>().is_err(), "{bad:?}");
        }
    }
}
