//! `kyso audit verify` against a data folder written through the library, then tampered with
//! as someone holding the database file would (rusqlite, triggers dropped). The chain logic
//! itself is unit-tested in `src/store/audit.rs`.

use std::path::Path;

use kyso::store::audit::AuditLog;
use kyso::store::{DATABASE_FILE, Store};
use serde_json::json;
use time::OffsetDateTime;

use crate::support::{assert_clean_error, kyso, run, stdout};

fn data_with_entries(dir: &Path, count: u64) {
    let store = Store::open(dir).unwrap();
    let log = AuditLog::new(&store);
    for i in 1..=count {
        let now = OffsetDateTime::from_unix_timestamp(1_800_000_000 + i as i64).unwrap();
        log.append(
            now,
            "nguyen-van-a",
            if i % 2 == 0 { "authorize" } else { "sign" },
            "cred-0001",
            &json!({ "request": i }),
        )
        .unwrap();
    }
}

fn tamper(dir: &Path, sql: &str) {
    let connection = rusqlite::Connection::open(dir.join(DATABASE_FILE)).unwrap();
    connection
        .execute_batch(&format!(
            "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete; {sql}"
        ))
        .unwrap();
}

fn verify(dir: &Path, extra: &[&str]) -> std::process::Output {
    run(kyso()
        .args(["audit", "verify", "--data"])
        .arg(dir)
        .args(extra))
}

#[test]
fn audit_verify_passes_an_intact_log_and_names_an_edited_entry() {
    let dir = tempfile::tempdir().unwrap();
    data_with_entries(dir.path(), 30);
    let output = verify(dir.path(), &[]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let text = stdout(&output);
    assert!(text.starts_with("audit log intact: 30 entries\n"), "{text}");
    assert!(text.contains("head: 30:"), "{text}");

    tamper(
        dir.path(),
        r#"UPDATE audit_log SET details = '{"request":1000}' WHERE seq = 17"#,
    );
    let output = verify(dir.path(), &[]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let text = stdout(&output);
    assert!(
        text.contains("NOT intact") && text.contains("entry 17 "),
        "{text}"
    );
}

#[test]
fn audit_verify_names_a_deleted_entry() {
    let dir = tempfile::tempdir().unwrap();
    data_with_entries(dir.path(), 10);
    tamper(dir.path(), "DELETE FROM audit_log WHERE seq = 4");
    let output = verify(dir.path(), &[]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let text = stdout(&output);
    assert!(text.contains("entry 4 is missing"), "{text}");
}

#[test]
fn audit_verify_sees_a_cut_tail_only_with_the_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    data_with_entries(dir.path(), 10);
    let head = stdout(&verify(dir.path(), &[]));
    let checkpoint = head
        .lines()
        .find_map(|line| line.strip_prefix("head: "))
        .unwrap()
        .to_owned();
    tamper(dir.path(), "DELETE FROM audit_log WHERE seq > 8");
    assert_eq!(verify(dir.path(), &[]).status.code(), Some(0));
    let output = verify(dir.path(), &["--checkpoint", &checkpoint]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(stdout(&output).contains("entry 10 "), "{}", stdout(&output));
}

#[test]
fn audit_verify_of_a_folder_without_a_database_is_a_clean_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-data");
    let output = verify(&missing, &[]);
    assert_clean_error(&output, "no kyso database");
    assert!(!missing.exists(), "verify must not create the data folder");
    let output = verify(dir.path(), &["--checkpoint", "12"]);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
}
