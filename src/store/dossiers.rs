//! The dossier service's tables: API tokens, dossiers, documents and their versions, uploads,
//! and the OCR text of every page for full-text search. Plain rows in and out; who may do
//! what is the server's business. Every call blocks; async callers use a blocking thread.

use std::collections::HashSet;

use rusqlite::{OptionalExtension, Row, TransactionBehavior, params};
use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{Store, StoreError, unknown_value};

/// Who a bearer token speaks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Staff at the one-stop counter: create dossiers, upload scans.
    Counter,
    /// An officer: signs digitized copies and certifies results.
    Officer,
    /// A citizen: sees and signs only their own dossiers.
    Citizen,
    /// Manages tokens.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Counter => "counter",
            Role::Officer => "officer",
            Role::Citizen => "citizen",
            Role::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        Some(match text {
            "counter" => Role::Counter,
            "officer" => Role::Officer,
            "citizen" => Role::Citizen,
            "admin" => Role::Admin,
            _ => return None,
        })
    }
}

/// A token's holder, as found from the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenHolder {
    pub token_id: String,
    pub role: Role,
    pub name: String,
    /// The citizen's CCCD; only citizens have one.
    pub cccd: Option<String>,
}

/// One dossier (hồ sơ) handed in at the counter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DossierRow {
    pub id: String,
    /// The code printed on the receipt, e.g. `HS-20261123-0007`.
    pub code: String,
    pub procedure_code: String,
    pub applicant_name: String,
    pub applicant_cccd: String,
    pub created_by: String,
    pub created_at: String,
}

/// What a document is in its dossier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DocumentKind {
    /// The PDF/A made from the counter's scans.
    Digitized,
    /// The result the agency returns to the citizen.
    Result,
    /// A citizen's earlier signed document, brought in by reference.
    Reused,
}

impl DocumentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentKind::Digitized => "digitized",
            DocumentKind::Result => "result",
            DocumentKind::Reused => "reused",
        }
    }

    fn parse(text: &str) -> Option<DocumentKind> {
        Some(match text {
            "digitized" => DocumentKind::Digitized,
            "result" => DocumentKind::Result,
            "reused" => DocumentKind::Reused,
            _ => return None,
        })
    }
}

/// A document with its latest version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DocumentRow {
    pub id: String,
    pub dossier_id: String,
    pub kind: DocumentKind,
    pub title: String,
    pub pages: u32,
    /// For a reused document, the document it was brought in from.
    pub source: Option<String>,
    pub created_at: String,
    /// The latest version: 1 when made, one more for every signature.
    pub version: u32,
    /// SHA-256 of the latest version's bytes, in hex.
    pub sha256: String,
    pub size: u64,
    /// What made the latest version: `digitize`, `upload`, `reuse`, `sign`, `remote-sign`,
    /// `certify`.
    pub last_action: String,
}

/// A new document's first version.
#[derive(Debug, Clone)]
pub struct NewDocument<'a> {
    pub dossier_id: &'a str,
    pub kind: DocumentKind,
    pub title: &'a str,
    pub source: Option<&'a str>,
    pub sha256: &'a str,
    pub size: u64,
    pub action: &'a str,
    pub actor: &'a str,
    /// The OCR text of each page, in order, for search; empty when there is none.
    pub page_texts: &'a [String],
    pub pages: u32,
}

/// A document's next version: new bytes (already in the blob folder) and what made them.
#[derive(Debug, Clone)]
pub struct NewVersion<'a> {
    pub sha256: &'a str,
    pub size: u64,
    /// `sign`, `remote-sign`, `certify`, …
    pub action: &'a str,
    pub actor: &'a str,
}

/// A page that matched a search.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SearchHit {
    pub dossier_id: String,
    pub dossier_code: String,
    pub document_id: String,
    /// 1-based page number.
    pub page: u32,
    /// The matching words in context, the matches between `[` and `]`.
    pub snippet: String,
}

/// A file uploaded to a dossier (a scan), stored in the blob folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct UploadRow {
    pub id: String,
    pub dossier_id: String,
    pub name: String,
    pub sha256: String,
    pub size: u64,
    pub created_at: String,
}

/// The dossier tables of a store. Cheap to make; shares the store's connection.
#[derive(Debug, Clone)]
pub struct Dossiers {
    store: Store,
}

/// A random identifier: 128 bits in hex, so ids cannot be guessed.
pub fn random_id() -> String {
    let mut bytes = [0u8; 16];
    // OpenSSL's CSPRNG fails only when the system has no entropy source at all.
    openssl::rand::rand_bytes(&mut bytes).expect("the system random generator failed");
    crate::hex::lower(&bytes)
}

/// SHA-256 of a token in hex: only this is stored.
pub fn token_hash(token: &str) -> String {
    crate::hex::lower(&openssl::sha::sha256(token.as_bytes()))
}

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_default()
}

impl Dossiers {
    pub fn new(store: &Store) -> Dossiers {
        Dossiers {
            store: store.clone(),
        }
    }

    /// Makes a token for `role` and returns its id and the token itself, which is shown once
    /// and stored only as a hash.
    pub fn create_token(
        &self,
        role: Role,
        name: &str,
        cccd: Option<&str>,
        expires_at: Option<OffsetDateTime>,
        now: OffsetDateTime,
    ) -> Result<(String, String), StoreError> {
        let id = random_id();
        let mut secret = [0u8; 32];
        openssl::rand::rand_bytes(&mut secret).expect("the system random generator failed");
        let token = format!("kyso_{}", crate::hex::lower(&secret));
        self.store.lock()?.execute(
            "INSERT INTO api_tokens (id, token_hash, role, name, cccd, expires_at, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                id,
                token_hash(&token),
                role.as_str(),
                name,
                cccd,
                expires_at.map(OffsetDateTime::unix_timestamp),
                rfc3339(now)
            ],
        )?;
        Ok((id, token))
    }

    /// The holder of `token`, unless it is unknown or expired at `now`.
    pub fn token_holder(
        &self,
        token: &str,
        now: OffsetDateTime,
    ) -> Result<Option<TokenHolder>, StoreError> {
        let row = self
            .store
            .lock()?
            .query_row(
                "SELECT id, role, name, cccd FROM api_tokens
                 WHERE token_hash = ?1 AND (expires_at IS NULL OR expires_at > ?2)",
                params![token_hash(token), now.unix_timestamp()],
                |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, String>(2)?,
                        row.get::<_, Option<String>>(3)?,
                    ))
                },
            )
            .optional()?;
        Ok(row.and_then(|(token_id, role, name, cccd)| {
            Some(TokenHolder {
                token_id,
                role: Role::parse(&role)?,
                name,
                cccd,
            })
        }))
    }

    /// Revokes a token by id; `false` when there was none.
    pub fn revoke_token(&self, id: &str) -> Result<bool, StoreError> {
        Ok(self
            .store
            .lock()?
            .execute("DELETE FROM api_tokens WHERE id = ?1", [id])?
            == 1)
    }

    /// Creates a dossier with the next code of the day (`HS-YYYYMMDD-NNNN`).
    pub fn create_dossier(
        &self,
        procedure_code: &str,
        applicant_name: &str,
        applicant_cccd: &str,
        created_by: &str,
        now: OffsetDateTime,
    ) -> Result<DossierRow, StoreError> {
        let mut connection = self.store.lock()?;
        let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let day = format!(
            "HS-{:04}{:02}{:02}-",
            now.year(),
            u8::from(now.month()),
            now.day()
        );
        let today: u32 = transaction.query_row(
            "SELECT count(*) FROM dossiers WHERE code LIKE ?1 || '%'",
            [&day],
            |row| row.get(0),
        )?;
        let dossier = DossierRow {
            id: random_id(),
            code: format!("{day}{:04}", today + 1),
            procedure_code: procedure_code.to_owned(),
            applicant_name: applicant_name.to_owned(),
            applicant_cccd: applicant_cccd.to_owned(),
            created_by: created_by.to_owned(),
            created_at: rfc3339(now),
        };
        transaction.execute(
            "INSERT INTO dossiers (id, code, procedure_code, applicant_name, applicant_cccd,
                                   created_by, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                dossier.id,
                dossier.code,
                dossier.procedure_code,
                dossier.applicant_name,
                dossier.applicant_cccd,
                dossier.created_by,
                dossier.created_at
            ],
        )?;
        transaction.commit()?;
        Ok(dossier)
    }

    pub fn dossier(&self, id: &str) -> Result<Option<DossierRow>, StoreError> {
        Ok(self
            .store
            .lock()?
            .query_row(
                &format!("{DOSSIER_COLUMNS} WHERE id = ?1"),
                [id],
                dossier_row,
            )
            .optional()?)
    }

    /// The newest dossiers first, all of them or one citizen's, at most `limit`.
    pub fn list_dossiers(
        &self,
        cccd: Option<&str>,
        limit: u32,
    ) -> Result<Vec<DossierRow>, StoreError> {
        let connection = self.store.lock()?;
        let mut statement = connection.prepare(&format!(
            "{DOSSIER_COLUMNS} WHERE (?1 IS NULL OR applicant_cccd = ?1)
             ORDER BY created_at DESC, code DESC LIMIT ?2"
        ))?;
        let rows = statement.query_map(params![cccd, limit], dossier_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Records a new document with its first version and its pages' text, in one
    /// transaction, and returns it.
    pub fn add_document(
        &self,
        new: &NewDocument<'_>,
        now: OffsetDateTime,
    ) -> Result<DocumentRow, StoreError> {
        let mut connection = self.store.lock()?;
        let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let id = insert_document(&transaction, new, now)?;
        transaction.commit()?;
        drop(connection);
        self.document(&id)?
            .ok_or(StoreError::Query(rusqlite::Error::QueryReturnedNoRows))
    }

    /// Adds version `expected + 1` of a document; `Ok(None)` when another version was added
    /// since the caller read `expected` (the caller starts again from the new bytes).
    pub fn add_version(
        &self,
        document_id: &str,
        expected: u32,
        version: &NewVersion<'_>,
        now: OffsetDateTime,
    ) -> Result<Option<DocumentRow>, StoreError> {
        let inserted = self.store.lock()?.execute(
            "INSERT INTO document_versions (document_id, version, sha256, size, action, actor,
                                            created_at)
             SELECT ?1, ?2 + 1, ?3, ?4, ?5, ?6, ?7
             WHERE (SELECT max(version) FROM document_versions WHERE document_id = ?1) = ?2
             ON CONFLICT (document_id, version) DO NOTHING",
            params![
                document_id,
                expected,
                version.sha256,
                version.size as i64,
                version.action,
                version.actor,
                rfc3339(now)
            ],
        )?;
        if inserted == 0 {
            return Ok(None);
        }
        self.document(document_id)
    }

    /// A document with its latest version.
    pub fn document(&self, id: &str) -> Result<Option<DocumentRow>, StoreError> {
        Ok(self
            .store
            .lock()?
            .query_row(
                &format!("{DOCUMENT_COLUMNS} WHERE d.id = ?1"),
                [id],
                document_row,
            )
            .optional()?)
    }

    /// A dossier's documents, oldest first, each with its latest version.
    pub fn documents_of(&self, dossier_id: &str) -> Result<Vec<DocumentRow>, StoreError> {
        let connection = self.store.lock()?;
        let mut statement = connection.prepare(&format!(
            "{DOCUMENT_COLUMNS} WHERE d.dossier_id = ?1 ORDER BY d.created_at, d.id"
        ))?;
        let rows = statement.query_map([dossier_id], document_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every blob a row refers to: uploads and document versions.
    pub fn referenced_blobs(&self) -> Result<HashSet<String>, StoreError> {
        let connection = self.store.lock()?;
        let mut statement = connection
            .prepare("SELECT sha256 FROM uploads UNION SELECT sha256 FROM document_versions")?;
        let names = statement
            .query_map([], |row| row.get::<_, String>(0))?
            .collect::<rusqlite::Result<HashSet<_>>>()?;
        Ok(names)
    }

    /// The searchable text of each of a document's pages, page 1 first; a page without text
    /// is an empty string. Empty for a document that has none (or does not exist).
    pub fn page_texts(&self, document_id: &str) -> Result<Vec<String>, StoreError> {
        let connection = self.store.lock()?;
        let mut statement = connection
            .prepare("SELECT page, text FROM page_text WHERE document_id = ?1 ORDER BY page")?;
        let rows = statement.query_map([document_id], |row| {
            Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?))
        })?;
        let mut texts = Vec::new();
        for row in rows {
            let (page, text) = row?;
            let index = usize::try_from(page.max(1) - 1).unwrap_or(0);
            if texts.len() <= index {
                texts.resize(index + 1, String::new());
            }
            texts[index] = text;
        }
        Ok(texts)
    }

    /// Pages whose OCR text matches `query` (words, all required; diacritics optional),
    /// best first, within one citizen's dossiers when `cccd` is given. The query is taken
    /// as plain words, never as FTS5 syntax.
    pub fn search(
        &self,
        query: &str,
        cccd: Option<&str>,
        limit: u32,
    ) -> Result<Vec<SearchHit>, StoreError> {
        let Some(expression) = fts_phrase_query(query) else {
            return Ok(Vec::new());
        };
        let connection = self.store.lock()?;
        let mut statement = connection.prepare(
            "SELECT p.dossier_id, d.code, p.document_id, p.page,
                    snippet(page_text, 0, '[', ']', '…', 12)
             FROM page_text p JOIN dossiers d ON d.id = p.dossier_id
             WHERE page_text MATCH ?1 AND (?2 IS NULL OR d.applicant_cccd = ?2)
             ORDER BY bm25(page_text) LIMIT ?3",
        )?;
        let rows = statement.query_map(params![expression, cccd, limit], |row| {
            Ok(SearchHit {
                dossier_id: row.get(0)?,
                dossier_code: row.get(1)?,
                document_id: row.get(2)?,
                page: row.get(3)?,
                snippet: row.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Records an upload whose bytes are already durable in the blob folder.
    pub fn add_upload(
        &self,
        dossier_id: &str,
        name: &str,
        sha256: &str,
        size: u64,
        now: OffsetDateTime,
    ) -> Result<UploadRow, StoreError> {
        let upload = UploadRow {
            id: random_id(),
            dossier_id: dossier_id.to_owned(),
            name: name.to_owned(),
            sha256: sha256.to_owned(),
            size,
            created_at: rfc3339(now),
        };
        self.store.lock()?.execute(
            "INSERT INTO uploads (id, dossier_id, name, sha256, size, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                upload.id,
                upload.dossier_id,
                upload.name,
                upload.sha256,
                upload.size as i64,
                upload.created_at
            ],
        )?;
        Ok(upload)
    }

    pub fn upload(&self, id: &str) -> Result<Option<UploadRow>, StoreError> {
        Ok(self
            .store
            .lock()?
            .query_row(
                "SELECT id, dossier_id, name, sha256, size, created_at FROM uploads WHERE id = ?1",
                [id],
                upload_row,
            )
            .optional()?)
    }
}

/// An `uploads` row in its column order (id, dossier_id, name, sha256, size, created_at).
pub(crate) fn upload_row(row: &Row<'_>) -> rusqlite::Result<UploadRow> {
    Ok(UploadRow {
        id: row.get(0)?,
        dossier_id: row.get(1)?,
        name: row.get(2)?,
        sha256: row.get(3)?,
        size: row.get::<_, i64>(4)?.max(0) as u64,
        created_at: row.get(5)?,
    })
}

/// Inserts a new document, its first version and its pages' text within the caller's
/// transaction, so the caller can commit it together with its own rows; returns its id.
pub(crate) fn insert_document(
    transaction: &rusqlite::Transaction<'_>,
    new: &NewDocument<'_>,
    now: OffsetDateTime,
) -> Result<String, StoreError> {
    let id = random_id();
    let at = rfc3339(now);
    transaction.execute(
        "INSERT INTO documents (id, dossier_id, kind, title, pages, source, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            id,
            new.dossier_id,
            new.kind.as_str(),
            new.title,
            new.pages,
            new.source,
            at
        ],
    )?;
    transaction.execute(
        "INSERT INTO document_versions (document_id, version, sha256, size, action, actor,
                                        created_at)
         VALUES (?1, 1, ?2, ?3, ?4, ?5, ?6)",
        params![id, new.sha256, new.size as i64, new.action, new.actor, at],
    )?;
    for (index, text) in new.page_texts.iter().enumerate() {
        if text.trim().is_empty() {
            continue;
        }
        transaction.execute(
            "INSERT INTO page_text (text, dossier_id, document_id, page)
             VALUES (?1, ?2, ?3, ?4)",
            params![text, new.dossier_id, id, index as i64 + 1],
        )?;
    }
    Ok(id)
}

const DOSSIER_COLUMNS: &str = "SELECT id, code, procedure_code, applicant_name, applicant_cccd, \
                               created_by, created_at FROM dossiers";

fn dossier_row(row: &Row<'_>) -> rusqlite::Result<DossierRow> {
    Ok(DossierRow {
        id: row.get(0)?,
        code: row.get(1)?,
        procedure_code: row.get(2)?,
        applicant_name: row.get(3)?,
        applicant_cccd: row.get(4)?,
        created_by: row.get(5)?,
        created_at: row.get(6)?,
    })
}

const DOCUMENT_COLUMNS: &str = "SELECT d.id, d.dossier_id, d.kind, d.title, d.pages, d.source, \
     d.created_at, v.version, v.sha256, v.size, v.action \
     FROM documents d JOIN document_versions v ON v.document_id = d.id \
     AND v.version = (SELECT max(version) FROM document_versions WHERE document_id = d.id)";

fn document_row(row: &Row<'_>) -> rusqlite::Result<DocumentRow> {
    let kind: String = row.get(2)?;
    Ok(DocumentRow {
        id: row.get(0)?,
        dossier_id: row.get(1)?,
        kind: DocumentKind::parse(&kind).ok_or_else(|| unknown_value(2, "document kind", &kind))?,
        title: row.get(3)?,
        pages: row.get(4)?,
        source: row.get(5)?,
        created_at: row.get(6)?,
        version: row.get(7)?,
        sha256: row.get(8)?,
        size: row.get::<_, i64>(9)?.max(0) as u64,
        last_action: row.get(10)?,
    })
}

/// `query`'s words as one FTS5 expression of quoted tokens (all required), or `None` when
/// it has no word. Quoting keeps FTS5 operators and punctuation in the query inert.
fn fts_phrase_query(query: &str) -> Option<String> {
    let words: Vec<String> = query
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(32)
        .map(|w| format!("\"{w}\""))
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-23 09:00 +07:00);

    fn store() -> (tempfile::TempDir, Dossiers) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        (dir, Dossiers::new(&store))
    }

    #[test]
    fn tokens_are_found_by_secret_only_and_expire() {
        let (_dir, dossiers) = store();
        let (id, token) = dossiers
            .create_token(
                Role::Citizen,
                "Nguyễn Văn An",
                Some("001089012345"),
                None,
                NOW,
            )
            .unwrap();
        let holder = dossiers.token_holder(&token, NOW).unwrap().unwrap();
        assert_eq!(holder.role, Role::Citizen);
        assert_eq!(holder.cccd.as_deref(), Some("001089012345"));
        assert_eq!(holder.token_id, id);
        assert!(dossiers.token_holder("kyso_wrong", NOW).unwrap().is_none());
        assert!(dossiers.token_holder(&id, NOW).unwrap().is_none());

        let expires = NOW + time::Duration::hours(1);
        let (_, short) = dossiers
            .create_token(Role::Officer, "Cán bộ", None, Some(expires), NOW)
            .unwrap();
        assert!(dossiers.token_holder(&short, NOW).unwrap().is_some());
        assert!(dossiers.token_holder(&short, expires).unwrap().is_none());
        assert!(dossiers.revoke_token(&id).unwrap());
        assert!(dossiers.token_holder(&token, NOW).unwrap().is_none());
    }

    #[test]
    fn dossier_codes_count_up_within_a_day() {
        let (_dir, dossiers) = store();
        let a = dossiers
            .create_dossier("1.001234", "Nguyễn Văn An", "001089012345", "counter", NOW)
            .unwrap();
        let b = dossiers
            .create_dossier(
                "1.001234",
                "Trần Thị Ngọc Ánh",
                "079195004321",
                "counter",
                NOW,
            )
            .unwrap();
        assert_eq!(a.code, "HS-20261123-0001");
        assert_eq!(b.code, "HS-20261123-0002");
        assert_ne!(a.id, b.id);
        assert_eq!(dossiers.dossier(&a.id).unwrap().unwrap(), a);
        assert_eq!(
            dossiers.list_dossiers(Some("079195004321"), 10).unwrap(),
            std::slice::from_ref(&b)
        );
        assert_eq!(dossiers.list_dossiers(None, 10).unwrap().len(), 2);
    }

    fn version(sha256: &str) -> NewVersion<'_> {
        NewVersion {
            sha256,
            size: 20,
            action: "sign",
            actor: "officer",
        }
    }

    #[test]
    fn versions_advance_only_from_the_latest_and_search_finds_pages() {
        let (_dir, dossiers) = store();
        let dossier = dossiers
            .create_dossier("1.001234", "Nguyễn Văn An", "001089012345", "counter", NOW)
            .unwrap();
        let texts = [
            "ĐƠN ĐỀ NGHỊ cấp bản sao".to_owned(),
            "Nơi cư trú: phường Hoàn Kiếm, Hà Nội".to_owned(),
        ];
        let document = dossiers
            .add_document(
                &NewDocument {
                    dossier_id: &dossier.id,
                    kind: DocumentKind::Digitized,
                    title: "Đơn",
                    source: None,
                    sha256: &"a".repeat(64),
                    size: 10,
                    action: "digitize",
                    actor: "counter",
                    page_texts: &texts,
                    pages: 2,
                },
                NOW,
            )
            .unwrap();
        assert_eq!(document.version, 1);
        let signed = dossiers
            .add_version(&document.id, 1, &version(&"b".repeat(64)), NOW)
            .unwrap()
            .unwrap();
        assert_eq!((signed.version, signed.last_action.as_str()), (2, "sign"));
        // A writer that read version 1 loses the race instead of overwriting version 2.
        assert!(
            dossiers
                .add_version(&document.id, 1, &version(&"c".repeat(64)), NOW)
                .unwrap()
                .is_none()
        );
        assert_eq!(dossiers.documents_of(&dossier.id).unwrap(), [signed]);

        assert_eq!(dossiers.page_texts(&document.id).unwrap(), texts);
        assert!(dossiers.page_texts("no-such-document").unwrap().is_empty());
        let hits = dossiers.search("Hoàn Kiếm", None, 10).unwrap();
        assert_eq!(hits.len(), 1);
        assert_eq!(
            (hits[0].page, hits[0].dossier_code.as_str()),
            (2, dossier.code.as_str())
        );
        assert!(hits[0].snippet.contains("[Hoàn]"), "{}", hits[0].snippet);
        // Without diacritics too, and operators in the query are plain words.
        assert_eq!(dossiers.search("hoan kiem", None, 10).unwrap().len(), 1);
        assert!(
            dossiers
                .search("Hoàn OR NEAR(", None, 10)
                .unwrap()
                .is_empty()
        );
        assert!(dossiers.search("   ", None, 10).unwrap().is_empty());
        assert!(
            dossiers
                .search("Hoàn Kiếm", Some("079195004321"), 10)
                .unwrap()
                .is_empty()
        );
    }
}
