//! Schema migrations, applied in order inside one transaction each and recorded in
//! `schema_migrations`. A migration, once released, is never edited: add a new one.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension};

use super::StoreError;

/// One schema step: its version (1-based, contiguous), a name, and the SQL to run.
pub struct Migration {
    pub version: u32,
    pub name: &'static str,
    pub sql: &'static str,
}

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "settings",
        // The instance id lets logs and audit entries from several kyso servers be told apart.
        sql: "CREATE TABLE settings (
              key   TEXT PRIMARY KEY NOT NULL,
              value TEXT NOT NULL
          ) STRICT;
          INSERT INTO settings (key, value) VALUES ('instance_id', lower(hex(randomblob(16))));",
    },
    Migration {
        version: 2,
        name: "audit_log",
        // Hash-chained entries (see store::audit); hashes are lower-case hex. The triggers
        // stop updates and deletes by mistake; against a deliberate edit of the file, the
        // chain and external checkpoints are the protection.
        sql: "CREATE TABLE audit_log (
              seq       INTEGER PRIMARY KEY NOT NULL CHECK (seq > 0),
              time      TEXT NOT NULL,
              actor     TEXT NOT NULL,
              action    TEXT NOT NULL,
              subject   TEXT NOT NULL,
              details   TEXT NOT NULL,
              prev_hash TEXT NOT NULL,
              hash      TEXT NOT NULL
          ) STRICT;
          CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
          BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
          CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
          BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;",
    },
    Migration {
        version: 3,
        name: "remote_signing",
        // Citizens of the remote-signing service, their credentials (one HSM key each), the
        // outbox standing in for SMS/e-mail delivery, and the certificates this server's CA
        // issued (so its OCSP responder knows them). Secrets are stored only as Argon2id
        // PHC strings, except the TOTP key, which the server must be able to use.
        sql: "CREATE TABLE csc_users (
              id            TEXT PRIMARY KEY NOT NULL,
              name          TEXT NOT NULL,
              password_hash TEXT NOT NULL,
              created_at    TEXT NOT NULL
          ) STRICT;
          CREATE TABLE csc_credentials (
              id             TEXT PRIMARY KEY NOT NULL,
              user_id        TEXT NOT NULL REFERENCES csc_users (id),
              key_id         BLOB NOT NULL UNIQUE,
              certificates   TEXT NOT NULL,
              pin_hash       TEXT NOT NULL,
              otp_kind       TEXT NOT NULL CHECK (otp_kind IN ('totp', 'delivered')),
              totp_secret    BLOB,
              totp_last_step INTEGER,
              otp_address    TEXT,
              lockout        TEXT NOT NULL,
              created_at     TEXT NOT NULL
          ) STRICT;
          CREATE INDEX csc_credentials_by_user ON csc_credentials (user_id);
          CREATE TABLE csc_outbox (
              seq           INTEGER PRIMARY KEY NOT NULL,
              credential_id TEXT NOT NULL REFERENCES csc_credentials (id),
              address       TEXT NOT NULL,
              message       TEXT NOT NULL,
              created_at    TEXT NOT NULL
          ) STRICT;
          CREATE TABLE ca_issued (
              issuer_sha256 TEXT NOT NULL,
              serial        TEXT NOT NULL,
              subject       TEXT NOT NULL,
              not_after     INTEGER NOT NULL,
              revoked_at    INTEGER,
              PRIMARY KEY (issuer_sha256, serial)
          ) STRICT;",
    },
];

const BOOKKEEPING: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY NOT NULL,
    name       TEXT NOT NULL,
    applied_at INTEGER NOT NULL
) STRICT;";

/// The highest applied migration, 0 for a new database.
pub fn current_version(connection: &Connection) -> Result<u32, StoreError> {
    Ok(connection
        .query_row("SELECT max(version) FROM schema_migrations", [], |row| {
            row.get::<_, Option<u32>>(0)
        })
        .optional()?
        .flatten()
        .unwrap_or(0))
}

pub(super) fn apply(connection: &mut Connection, path: &Path) -> Result<(), StoreError> {
    connection.execute_batch(BOOKKEEPING)?;
    let found = current_version(connection)?;
    let known = MIGRATIONS.len() as u32;
    if found > known {
        return Err(StoreError::TooNew {
            path: path.to_owned(),
            found,
            known,
        });
    }
    for migration in MIGRATIONS.iter().filter(|m| m.version > found) {
        let failed = |source| StoreError::Migration {
            version: migration.version,
            name: migration.name,
            source,
        };
        let transaction = connection.transaction().map_err(failed)?;
        transaction.execute_batch(migration.sql).map_err(failed)?;
        transaction
            .execute(
                "INSERT INTO schema_migrations (version, name, applied_at) \
                 VALUES (?1, ?2, unixepoch())",
                (migration.version, migration.name),
            )
            .map_err(failed)?;
        transaction.commit().map_err(failed)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_contiguous_from_one() {
        for (i, migration) in MIGRATIONS.iter().enumerate() {
            assert_eq!(migration.version as usize, i + 1, "{}", migration.name);
        }
    }
}
