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
    Migration {
        version: 4,
        name: "dossier_service",
        // The dossier service: API tokens (only their SHA-256 kept), dossiers, their documents
        // and each document's versions (every signature makes a new version; the bytes live
        // in the content-addressed blob folder, named by SHA-256), the uploads of a scan job,
        // the jobs themselves (durable: a restart picks up what was queued or running), and
        // the OCR text of every page for full-text search.
        sql: "CREATE TABLE api_tokens (
              id          TEXT PRIMARY KEY NOT NULL,
              token_hash  TEXT NOT NULL UNIQUE,
              role        TEXT NOT NULL CHECK (role IN ('counter', 'officer', 'citizen', 'admin')),
              name        TEXT NOT NULL,
              cccd        TEXT,
              expires_at  INTEGER,
              created_at  TEXT NOT NULL,
              CHECK (role <> 'citizen' OR cccd IS NOT NULL)
          ) STRICT;
          CREATE TABLE dossiers (
              id              TEXT PRIMARY KEY NOT NULL,
              code            TEXT NOT NULL UNIQUE,
              procedure_code  TEXT NOT NULL,
              applicant_name  TEXT NOT NULL,
              applicant_cccd  TEXT NOT NULL,
              created_by      TEXT NOT NULL,
              created_at      TEXT NOT NULL
          ) STRICT;
          CREATE INDEX dossiers_by_cccd ON dossiers (applicant_cccd);
          CREATE TABLE documents (
              id          TEXT PRIMARY KEY NOT NULL,
              dossier_id  TEXT NOT NULL REFERENCES dossiers (id),
              kind        TEXT NOT NULL CHECK (kind IN ('digitized', 'result', 'reused')),
              title       TEXT NOT NULL,
              pages       INTEGER NOT NULL,
              source      TEXT,
              created_at  TEXT NOT NULL
          ) STRICT;
          CREATE INDEX documents_by_dossier ON documents (dossier_id);
          CREATE TABLE document_versions (
              document_id TEXT NOT NULL REFERENCES documents (id),
              version     INTEGER NOT NULL CHECK (version > 0),
              sha256      TEXT NOT NULL,
              size        INTEGER NOT NULL,
              action      TEXT NOT NULL,
              actor       TEXT NOT NULL,
              created_at  TEXT NOT NULL,
              PRIMARY KEY (document_id, version)
          ) STRICT;
          CREATE TABLE uploads (
              id          TEXT PRIMARY KEY NOT NULL,
              dossier_id  TEXT NOT NULL REFERENCES dossiers (id),
              name        TEXT NOT NULL,
              sha256      TEXT NOT NULL,
              size        INTEGER NOT NULL,
              created_at  TEXT NOT NULL
          ) STRICT;
          CREATE TABLE jobs (
              id           TEXT PRIMARY KEY NOT NULL,
              kind         TEXT NOT NULL CHECK (kind IN ('digitize')),
              dossier_id   TEXT NOT NULL REFERENCES dossiers (id),
              state        TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
              attempts     INTEGER NOT NULL DEFAULT 0,
              pages_done   INTEGER NOT NULL DEFAULT 0,
              pages_total  INTEGER,
              params       TEXT NOT NULL,
              document_id  TEXT REFERENCES documents (id),
              error        TEXT,
              created_by   TEXT NOT NULL,
              created_at   TEXT NOT NULL,
              updated_at   TEXT NOT NULL
          ) STRICT;
          CREATE INDEX jobs_by_state ON jobs (state, created_at);
          CREATE TABLE job_uploads (
              job_id     TEXT NOT NULL REFERENCES jobs (id),
              position   INTEGER NOT NULL,
              upload_id  TEXT NOT NULL REFERENCES uploads (id),
              PRIMARY KEY (job_id, position)
          ) STRICT;
          CREATE VIRTUAL TABLE page_text USING fts5 (
              text,
              dossier_id UNINDEXED,
              document_id UNINDEXED,
              page UNINDEXED,
              tokenize = 'unicode61 remove_diacritics 2'
          );",
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
