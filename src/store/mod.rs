//! Persistence: the embedded SQLite database in the data folder, its migrations and its
//! health. Documents, jobs, credentials and the audit log get their tables here as they come;
//! what is stored is decided by the callers.

pub mod audit;
pub mod blobs;
pub mod csc;
pub mod dossiers;
pub mod jobs;
mod migrations;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

pub use migrations::MIGRATIONS;

/// The database file inside the data folder.
pub const DATABASE_FILE: &str = "kyso.sqlite3";

/// Why the store could not be opened or used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    #[error("cannot create the data folder {path}")]
    CreateFolder {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot open the database {path}")]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error(
        "the database {path} has schema version {found}, newer than this kyso knows \
         ({known}); upgrade kyso or use another data folder"
    )]
    TooNew {
        path: PathBuf,
        found: u32,
        known: u32,
    },
    #[error("migration {version} ({name}) failed")]
    Migration {
        version: u32,
        name: &'static str,
        #[source]
        source: rusqlite::Error,
    },
    #[error("database query failed")]
    Query(#[from] rusqlite::Error),
    #[error("the database connection was poisoned by an earlier panic")]
    Poisoned,
}

/// A text column holding a value this kyso does not know (`what` names the column), as the
/// error a row mapping returns.
pub(crate) fn unknown_value(column: usize, what: &str, value: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        column,
        rusqlite::types::Type::Text,
        format!("unknown {what} {value:?}").into(),
    )
}

/// The health of the store, as `/healthz` reports it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StoreHealth {
    pub schema_version: u32,
    pub journal_mode: String,
}

/// The embedded SQLite store. Cloning shares the connection and the readers.
#[derive(Clone)]
pub struct Store {
    path: PathBuf,
    connection: Arc<Mutex<Connection>>,
    /// Read-only connections kept for [`Store::read`], at most [`IDLE_READERS`].
    readers: Arc<Mutex<Vec<Connection>>>,
}

/// How many idle read-only connections are kept for reuse; more are opened when more
/// threads read at once, and closed when they are done.
const IDLE_READERS: usize = 8;

/// A read-only connection of [`Store::read`]; goes back to the store's idle readers when
/// dropped.
pub(crate) struct Reader<'a> {
    connection: Option<Connection>,
    idle: &'a Mutex<Vec<Connection>>,
}

impl std::ops::Deref for Reader<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        self.connection
            .as_ref()
            .expect("a reader holds its connection until dropped")
    }
}

impl Drop for Reader<'_> {
    fn drop(&mut self) {
        let Some(connection) = self.connection.take() else {
            return;
        };
        // A poisoned list only means another reader panicked while pushing or popping.
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < IDLE_READERS {
            idle.push(connection);
        }
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Opens (creating on first use) `kyso.sqlite3` in `data_dir`, in WAL mode, and applies
    /// pending migrations.
    pub fn open(data_dir: &Path) -> Result<Store, StoreError> {
        std::fs::create_dir_all(data_dir).map_err(|source| StoreError::CreateFolder {
            path: data_dir.to_owned(),
            source,
        })?;
        let path = data_dir.join(DATABASE_FILE);
        let open_err = |source| StoreError::Open {
            path: path.clone(),
            source,
        };
        let mut connection = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(open_err)?;
        connection
            .busy_timeout(Duration::from_secs(5))
            .map_err(open_err)?;
        // WAL survives crashes without losing committed transactions and lets readers run
        // beside the writer; NORMAL sync is durable in WAL mode except on power loss.
        connection
            .pragma_update(None, "journal_mode", "WAL")
            .map_err(open_err)?;
        connection
            .pragma_update(None, "synchronous", "NORMAL")
            .map_err(open_err)?;
        connection
            .pragma_update(None, "foreign_keys", "ON")
            .map_err(open_err)?;
        migrations::apply(&mut connection, &path)?;
        Ok(Store {
            path,
            connection: Arc::new(Mutex::new(connection)),
            readers: Arc::default(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The connection, for the table modules; waits while another call holds it.
    pub(crate) fn lock(&self) -> Result<std::sync::MutexGuard<'_, Connection>, StoreError> {
        self.connection.lock().map_err(|_| StoreError::Poisoned)
    }

    /// A read-only connection of its own, for a query that must not wait while the shared
    /// connection writes (in WAL mode readers and the writer do not block each other). It
    /// sees every transaction committed before its query starts. Blocking.
    pub(crate) fn read(&self) -> Result<Reader<'_>, StoreError> {
        let idle = self
            .readers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let connection = match idle {
            Some(connection) => connection,
            None => {
                let open_err = |source| StoreError::Open {
                    path: self.path.clone(),
                    source,
                };
                let connection = Connection::open_with_flags(
                    &self.path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )
                .map_err(open_err)?;
                connection
                    .busy_timeout(Duration::from_secs(5))
                    .map_err(open_err)?;
                connection
            }
        };
        Ok(Reader {
            connection: Some(connection),
            idle: &self.readers,
        })
    }

    /// Runs a query against the database: proves it is readable and reports its state.
    /// Blocking; async callers run it on a blocking thread.
    pub fn health(&self) -> Result<StoreHealth, StoreError> {
        let connection = self.connection.lock().map_err(|_| StoreError::Poisoned)?;
        let schema_version = migrations::current_version(&connection)?;
        let journal_mode: String =
            connection.pragma_query_value(None, "journal_mode", |row| row.get(0))?;
        Ok(StoreHealth {
            schema_version,
            journal_mode,
        })
    }

    /// The value stored under `key` in the store's own settings table.
    pub fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        let connection = self.connection.lock().map_err(|_| StoreError::Poisoned)?;
        let mut statement = connection.prepare("SELECT value FROM settings WHERE key = ?1")?;
        let mut rows = statement.query([key])?;
        Ok(match rows.next()? {
            Some(row) => Some(row.get(0)?),
            None => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_open_creates_and_migrates_then_reopen_keeps_the_instance() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("nested/data");
        let store = Store::open(&data).unwrap();
        let health = store.health().unwrap();
        assert_eq!(health.schema_version, MIGRATIONS.len() as u32);
        assert_eq!(health.journal_mode, "wal");
        let instance = store.setting("instance_id").unwrap().unwrap();
        assert_eq!(instance.len(), 32);
        drop(store);

        let again = Store::open(&data).unwrap();
        assert_eq!(again.setting("instance_id").unwrap(), Some(instance));
        assert_eq!(again.setting("no such key").unwrap(), None);
    }

    #[test]
    fn a_reader_sees_what_the_writer_committed_and_cannot_write() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let count = |reader: &Connection| -> i64 {
            reader
                .query_row("SELECT count(*) FROM settings WHERE key = 'k'", [], |row| {
                    row.get(0)
                })
                .unwrap()
        };
        {
            let reader = store.read().unwrap();
            assert_eq!(count(&reader), 0);
            // The writer commits while the reader is open (and idle between queries).
            store
                .lock()
                .unwrap()
                .execute("INSERT INTO settings (key, value) VALUES ('k', 'v')", [])
                .unwrap();
            assert_eq!(count(&reader), 1);
            let refused = reader.execute("DELETE FROM settings WHERE key = 'k'", []);
            assert!(refused.is_err(), "a reader must not write");
        }
        // The reader went back to the idle list and is handed out again.
        assert_eq!(store.readers.lock().unwrap().len(), 1);
        let again = store.read().unwrap();
        assert_eq!(count(&again), 1);
        assert!(store.readers.lock().unwrap().is_empty());
    }

    #[test]
    fn refuses_a_database_from_a_newer_kyso() {
        let dir = tempfile::tempdir().unwrap();
        drop(Store::open(dir.path()).unwrap());
        let connection = Connection::open(dir.path().join(DATABASE_FILE)).unwrap();
        connection
            .execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)",
                [],
            )
            .unwrap();
        drop(connection);
        match Store::open(dir.path()) {
            Err(StoreError::TooNew { found: 999, .. }) => {}
            other => panic!("expected TooNew, got {other:?}"),
        }
    }

    #[test]
    fn a_data_path_that_is_a_file_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("not-a-folder");
        std::fs::write(&file, b"x").unwrap();
        let err = Store::open(&file).unwrap_err();
        assert!(matches!(err, StoreError::CreateFolder { .. }), "{err:?}");
    }
}
