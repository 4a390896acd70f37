//! Content-addressed files: every upload and every document version is stored once under
//! `blobs/<first two hex digits>/<SHA-256 in hex>` in the data folder, written to a temporary
//! file, synced and renamed into place, and checked against its name whenever it is read.
//! The database only ever refers to a blob after it is durable.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Why a blob could not be stored or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BlobError {
    #[error("cannot write to the blob folder {path}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the stored file {sha256} is missing")]
    Missing { sha256: String },
    #[error("cannot read the stored file {sha256}")]
    Read {
        sha256: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the stored file {sha256} is corrupt: its content no longer matches its hash")]
    Corrupt { sha256: String },
    #[error("{0:?} is not a SHA-256 in lower-case hex")]
    BadName(String),
}

/// Names of files still being written start with this; a crash can leave them behind.
const PARTIAL_PREFIX: &str = ".partial-";

/// What [`BlobStore::sweep`] removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    /// Files a crash left half written.
    pub partial: usize,
    /// Whole files no row refers to.
    pub unreferenced: usize,
}

/// The blob folder of a data folder.
#[derive(Debug, Clone)]
pub struct BlobStore {
    root: PathBuf,
}

impl BlobStore {
    /// `data_dir/blobs`, created on first write.
    pub fn new(data_dir: &Path) -> BlobStore {
        BlobStore {
            root: data_dir.join("blobs"),
        }
    }

    /// SHA-256 of `bytes` in lower-case hex: the name a blob is stored under.
    pub fn name_of(bytes: &[u8]) -> String {
        crate::hex::lower(&openssl::sha::sha256(bytes))
    }

    fn path_of(&self, sha256: &str) -> Result<PathBuf, BlobError> {
        let valid = sha256.len() == 64
            && sha256
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !valid {
            return Err(BlobError::BadName(sha256.to_owned()));
        }
        Ok(self.root.join(&sha256[..2]).join(sha256))
    }

    /// Stores `bytes` durably and returns their name. Storing the same bytes again is cheap
    /// and harmless; a damaged earlier copy is replaced.
    pub fn put(&self, bytes: &[u8]) -> Result<String, BlobError> {
        let sha256 = Self::name_of(bytes);
        let path = self.path_of(&sha256)?;
        if let Ok(existing) = std::fs::read(&path)
            && Self::name_of(&existing) == sha256
        {
            return Ok(sha256);
        }
        let folder = path.parent().unwrap_or(&self.root).to_owned();
        let failed = |source| BlobError::Write {
            path: folder.clone(),
            source,
        };
        std::fs::create_dir_all(&folder).map_err(failed)?;
        let mut file = tempfile::Builder::new()
            .prefix(PARTIAL_PREFIX)
            .tempfile_in(&folder)
            .map_err(failed)?;
        file.write_all(bytes).map_err(failed)?;
        file.as_file().sync_all().map_err(failed)?;
        file.persist(&path).map_err(|e| failed(e.error))?;
        // The rename is durable only once the folder itself is synced.
        std::fs::File::open(&folder)
            .and_then(|dir| dir.sync_all())
            .map_err(failed)?;
        Ok(sha256)
    }

    /// Removes what no row refers to: partial files a crash left mid-write, and whole files
    /// that were stored for a request that then failed (an upload refused at a later part, a
    /// signature that lost a race) or for work a crash cut short. Run it at start, before
    /// anything writes or is served: a blob is stored before the row that refers to it, so
    /// while requests run an unreferenced blob may be about to be referred to.
    pub fn sweep(&self, referenced: &HashSet<String>) -> Result<Swept, BlobError> {
        let failed = |path: &Path| {
            let path = path.to_owned();
            move |source| BlobError::Write { path, source }
        };
        let mut swept = Swept::default();
        let folders = match std::fs::read_dir(&self.root) {
            Ok(folders) => folders,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(swept),
            Err(source) => return Err(failed(&self.root)(source)),
        };
        for folder in folders {
            let folder = folder.map_err(failed(&self.root))?.path();
            if !folder.is_dir() {
                continue;
            }
            for entry in std::fs::read_dir(&folder).map_err(failed(&folder))? {
                let entry = entry.map_err(failed(&folder))?;
                let name = entry.file_name().to_string_lossy().into_owned();
                let counter = if name.starts_with(PARTIAL_PREFIX) {
                    &mut swept.partial
                } else if self.path_of(&name).is_ok() && !referenced.contains(&name) {
                    &mut swept.unreferenced
                } else {
                    continue;
                };
                std::fs::remove_file(entry.path()).map_err(failed(&folder))?;
                *counter += 1;
            }
        }
        Ok(swept)
    }

    /// The bytes stored as `sha256`, after checking they still hash to it.
    pub fn get(&self, sha256: &str) -> Result<Vec<u8>, BlobError> {
        let path = self.path_of(sha256)?;
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Err(BlobError::Missing {
                    sha256: sha256.to_owned(),
                });
            }
            Err(source) => {
                return Err(BlobError::Read {
                    sha256: sha256.to_owned(),
                    source,
                });
            }
        };
        if Self::name_of(&bytes) != sha256 {
            return Err(BlobError::Corrupt {
                sha256: sha256.to_owned(),
            });
        }
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stores_once_reads_back_and_detects_damage() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = BlobStore::new(dir.path());
        let name = blobs.put(b"trang 1").unwrap();
        assert_eq!(name, BlobStore::name_of(b"trang 1"));
        assert_eq!(blobs.put(b"trang 1").unwrap(), name);
        assert_eq!(blobs.get(&name).unwrap(), b"trang 1");

        let path = dir.path().join("blobs").join(&name[..2]).join(&name);
        std::fs::write(&path, b"trang 2").unwrap();
        assert!(matches!(blobs.get(&name), Err(BlobError::Corrupt { .. })));
        // Storing the same content again repairs the damaged copy.
        blobs.put(b"trang 1").unwrap();
        assert_eq!(blobs.get(&name).unwrap(), b"trang 1");

        let absent = BlobStore::name_of(b"absent");
        assert!(matches!(blobs.get(&absent), Err(BlobError::Missing { .. })));
        assert!(matches!(
            blobs.get("../../etc/passwd"),
            Err(BlobError::BadName(_))
        ));
    }

    #[test]
    fn sweeping_removes_partial_and_unreferenced_files_only() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = BlobStore::new(dir.path());
        assert_eq!(blobs.sweep(&HashSet::new()).unwrap(), Swept::default());
        let kept = blobs.put(b"trang 1").unwrap();
        let orphan = blobs.put(b"trang 2").unwrap();
        let folder = dir.path().join("blobs").join(&kept[..2]);
        std::fs::write(folder.join(".partial-abc123"), b"tra").unwrap();
        std::fs::write(folder.join("README"), b"not a blob").unwrap();
        let referenced = HashSet::from([kept.clone()]);
        let swept = blobs.sweep(&referenced).unwrap();
        assert_eq!((swept.partial, swept.unreferenced), (1, 1));
        assert_eq!(blobs.sweep(&referenced).unwrap(), Swept::default());
        assert_eq!(blobs.get(&kept).unwrap(), b"trang 1");
        assert!(matches!(blobs.get(&orphan), Err(BlobError::Missing { .. })));
        assert!(
            folder.join("README").exists(),
            "only blob names are touched"
        );
    }
}
