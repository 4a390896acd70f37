//! Tests of the audit log: the chain and its tamper verdicts, checkpoints, refused details,
//! and group commit under concurrent appends.

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
                    (
                        crate::hex::lower(&record.prev_hash),
                        crate::hex::lower(&record.hash),
                        seq as i64,
                    ),
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

/// Every stored row, as `verify` reads it, for comparing with what `append` returned.
fn stored(store: &Store) -> Vec<AuditRecord> {
    let connection = store.connection.lock().unwrap();
    let mut statement = connection
        .prepare(
            "SELECT seq, time, actor, action, subject, details, prev_hash, hash
             FROM audit_log ORDER BY seq",
        )
        .unwrap();
    statement
        .query_map([], |r| {
            Ok(AuditRecord {
                seq: r.get::<_, i64>(0)? as u64,
                time: r.get(1)?,
                actor: r.get(2)?,
                action: r.get(3)?,
                subject: r.get(4)?,
                details: r.get(5)?,
                prev_hash: from_hex(&r.get::<_, String>(6)?).unwrap(),
                hash: from_hex(&r.get::<_, String>(7)?).unwrap(),
            })
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// Group commit: many threads on clones of one log, and a second log on the same store
/// (whose remembered head goes stale at every turn), all at once. Every entry is stored
/// exactly once, as returned, in one unbroken chain.
#[test]
fn concurrent_appends_are_all_stored_in_one_chain() {
    let (_dir, store, log) = log_with(0);
    let other = AuditLog::new(&store);
    let (threads, each) = (12, 40);
    let returned: Vec<AuditRecord> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let log = if t % 4 == 0 {
                    other.clone()
                } else {
                    log.clone()
                };
                scope.spawn(move || {
                    (0..each)
                        .map(|i| {
                            log.append(
                                at(1_800_000_000),
                                &format!("user-{t}"),
                                "sign",
                                "cred",
                                &json!({ "thread": t, "i": i }),
                            )
                            .unwrap()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    assert_eq!(log.verify().unwrap(), threads * each);
    let mut returned = returned;
    returned.sort_by_key(|r| r.seq);
    assert_eq!(returned, stored(&store));
    // Each thread's own entries are in the order it appended them.
    for t in 0..threads {
        let mine: Vec<u64> = returned
            .iter()
            .filter(|r| r.actor == format!("user-{t}"))
            .map(|r| {
                serde_json::from_str::<serde_json::Value>(&r.details).unwrap()["i"]
                    .as_u64()
                    .unwrap()
            })
            .collect();
        assert_eq!(mine, (0..each as u64).collect::<Vec<_>>());
    }
}

/// Another writer (here a second log on the same file, standing in for another
/// process) appended after this log's last entry: the next entry links to the real head.
#[test]
fn a_head_moved_by_another_writer_is_read_again() {
    let (_dir, store, log) = log_with(3);
    let other = AuditLog::new(&store);
    for i in 0..2 {
        other
            .append(at(1_800_000_100 + i), "bob", "sign", "c", &json!({}))
            .unwrap();
    }
    let record = log
        .append(at(1_800_000_200), "alice", "sign", "c", &json!({}))
        .unwrap();
    assert_eq!(record.seq, 6);
    assert_eq!(log.verify().unwrap(), 6);
    assert_eq!(log.head().unwrap().unwrap().hash, record.hash);
}

/// An entry the database refuses is not stored, is reported to its caller, and leaves
/// the chain and the log's memory of its head as they were; with refused and accepted
/// entries appended at once, exactly the entries reported stored are stored.
#[test]
fn refused_entries_store_nothing_and_the_log_goes_on() {
    let (_dir, store, log) = log_with(2);
    store
        .connection
        .lock()
        .unwrap()
        .execute_batch(
            "CREATE TRIGGER refuse BEFORE INSERT ON audit_log WHEN NEW.actor = 'refused'
             BEGIN SELECT RAISE(ABORT, 'refused'); END;",
        )
        .unwrap();
    assert!(matches!(
        log.append(at(1_800_000_300), "refused", "sign", "c", &json!({})),
        Err(AuditError::Query(_))
    ));
    assert_eq!(log.verify().unwrap(), 2);
    let ok = log
        .append(at(1_800_000_301), "alice", "sign", "c", &json!({}))
        .unwrap();
    assert_eq!(ok.seq, 3);

    let outcomes: Vec<Result<AuditRecord, AuditError>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..8)
            .map(|t| {
                let log = log.clone();
                scope.spawn(move || {
                    let actor = if t % 3 == 0 { "refused" } else { "alice" };
                    (0..20)
                        .map(|i| {
                            log.append(at(1_800_000_400), actor, "sign", "c", &json!({ "i": i }))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    let mut accepted: Vec<AuditRecord> = Vec::new();
    for outcome in outcomes {
        match outcome {
            Ok(record) => accepted.push(record),
            Err(AuditError::Query(_) | AuditError::BatchFailed) => {}
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    accepted.sort_by_key(|r| r.seq);
    let stored = stored(&store);
    assert_eq!(&stored[3..], accepted.as_slice());
    assert!(stored.iter().all(|r| r.actor != "refused"));
    assert_eq!(log.verify().unwrap(), stored.len());
}
