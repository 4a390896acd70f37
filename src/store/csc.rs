//! The remote-signing tables: citizens, their credentials (the HSM key id, certificates,
//! PIN hash, OTP factor and lockout counter), the delivery outbox, and the certificates the
//! server's CA issued. Plain rows in and out; what they mean is `csc::service`'s business.

use rusqlite::{OptionalExtension, params};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{Store, StoreError};
use crate::csc::Lockout;

/// One citizen account of the remote-signing service.
#[derive(Clone)]
pub struct UserRow {
    /// The login name: the citizen's CCCD number.
    pub id: String,
    pub name: String,
    /// Argon2id PHC string of the login password.
    pub password_hash: String,
}

impl std::fmt::Debug for UserRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRow")
            .field("id", &self.id)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// How a credential's one-time password reaches its owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OtpFactor {
    /// RFC 6238 TOTP from an authenticator app; the key and the last accepted time step.
    Totp {
        secret: Vec<u8>,
        last_step: Option<u64>,
    },
    /// A code the server sends (SMS or e-mail; here, the outbox) to `address`.
    Delivered { address: String },
}

/// One signing credential: a key in the HSM and what unlocks it.
#[derive(Clone)]
pub struct CredentialRow {
    pub id: String,
    pub user_id: String,
    /// CKA_ID of the key pair in the token.
    pub key_id: Vec<u8>,
    /// DER certificates, the signer's first.
    pub certificates: Vec<Vec<u8>>,
    pub pin_hash: String,
    pub otp: OtpFactor,
    pub lockout: Lockout,
}

impl std::fmt::Debug for CredentialRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialRow")
            .field("id", &self.id)
            .field("user_id", &self.user_id)
            .field("certificates", &self.certificates.len())
            .field("lockout", &self.lockout)
            .finish_non_exhaustive()
    }
}

/// What `signatures/signHash` needs of a credential, and no more: its owner, its key and its
/// lockout counter. Read fresh on every call, never cached: the counter changes with every
/// wrong authorize and with an administrator's unlock, possibly in another process sharing
/// the database file, and a stale "not locked" would let a locked credential sign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningCredential {
    pub user_id: String,
    /// CKA_ID of the key pair in the token.
    pub key_id: Vec<u8>,
    pub lockout: Lockout,
}

/// A message the outbox "sent".
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OutboxMessage {
    pub seq: i64,
    pub credential_id: String,
    pub address: String,
    pub message: String,
    pub created_at: String,
}

/// A certificate issued by this server's CA, for its OCSP responder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedRow {
    /// Lower-case hex SHA-256 of the issuing CA's certificate.
    pub issuer_sha256: String,
    /// Serial number as lower-case hex of its unsigned octets, no leading zeros.
    pub serial: String,
    pub subject: String,
    pub not_after: i64,
    pub revoked_at: Option<i64>,
}

fn rfc3339(now: OffsetDateTime) -> String {
    now.format(&Rfc3339)
        .unwrap_or_else(|_| now.unix_timestamp().to_string())
}

fn encode_certificates(certificates: &[Vec<u8>]) -> String {
    use base64ct::{Base64, Encoding};
    serde_json::Value::Array(
        certificates
            .iter()
            .map(|c| serde_json::Value::String(Base64::encode_string(c)))
            .collect(),
    )
    .to_string()
}

fn decode_certificates(text: &str) -> Option<Vec<Vec<u8>>> {
    use base64ct::{Base64, Encoding};
    let list: Vec<String> = serde_json::from_str(text).ok()?;
    list.iter().map(|c| Base64::decode_vec(c).ok()).collect()
}

const CREDENTIAL_COLUMNS: &str = "id, user_id, key_id, certificates, pin_hash, otp_kind, \
     totp_secret, totp_last_step, otp_address, lockout";

fn credential_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<CredentialRow> {
    let corrupt = |column: usize, what: &str| {
        rusqlite::Error::FromSqlConversionFailure(
            column,
            rusqlite::types::Type::Text,
            format!("unreadable {what}").into(),
        )
    };
    let certificates: String = row.get(3)?;
    let kind: String = row.get(5)?;
    let otp = match kind.as_str() {
        "totp" => OtpFactor::Totp {
            secret: row
                .get::<_, Option<Vec<u8>>>(6)?
                .ok_or_else(|| corrupt(6, "TOTP key"))?,
            last_step: row.get::<_, Option<i64>>(7)?.map(|s| s.max(0) as u64),
        },
        _ => OtpFactor::Delivered {
            address: row
                .get::<_, Option<String>>(8)?
                .ok_or_else(|| corrupt(8, "OTP address"))?,
        },
    };
    let lockout: String = row.get(9)?;
    Ok(CredentialRow {
        id: row.get(0)?,
        user_id: row.get(1)?,
        key_id: row.get(2)?,
        certificates: decode_certificates(&certificates)
            .ok_or_else(|| corrupt(3, "certificates"))?,
        pin_hash: row.get(4)?,
        otp,
        lockout: serde_json::from_str(&lockout).map_err(|_| corrupt(9, "lockout"))?,
    })
}

/// The remote-signing tables of a store. Cheap to make; shares the store's connection.
/// Every call blocks; async callers run them on a blocking thread.
#[derive(Debug, Clone)]
pub struct CscDirectory {
    store: Store,
}

impl CscDirectory {
    pub fn new(store: &Store) -> CscDirectory {
        CscDirectory {
            store: store.clone(),
        }
    }

    /// Adds a user; `Ok(false)` when the id is taken (the row is left alone).
    pub fn insert_user(&self, user: &UserRow, now: OffsetDateTime) -> Result<bool, StoreError> {
        let changed = self.store.lock()?.execute(
            "INSERT INTO csc_users (id, name, password_hash, created_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (id) DO NOTHING",
            params![user.id, user.name, user.password_hash, rfc3339(now)],
        )?;
        Ok(changed == 1)
    }

    pub fn user(&self, id: &str) -> Result<Option<UserRow>, StoreError> {
        Ok(self
            .store
            .lock()?
            .query_row(
                "SELECT id, name, password_hash FROM csc_users WHERE id = ?1",
                [id],
                |row| {
                    Ok(UserRow {
                        id: row.get(0)?,
                        name: row.get(1)?,
                        password_hash: row.get(2)?,
                    })
                },
            )
            .optional()?)
    }

    pub fn insert_credential(
        &self,
        credential: &CredentialRow,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let (kind, secret, step, address) = match &credential.otp {
            OtpFactor::Totp { secret, last_step } => (
                "totp",
                Some(secret.clone()),
                last_step.map(|s| s as i64),
                None,
            ),
            OtpFactor::Delivered { address } => ("delivered", None, None, Some(address.clone())),
        };
        let lockout = serde_json::to_string(&credential.lockout).unwrap_or_else(|_| "{}".into());
        self.store.lock()?.execute(
            &format!(
                "INSERT INTO csc_credentials ({CREDENTIAL_COLUMNS}, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
            ),
            params![
                credential.id,
                credential.user_id,
                credential.key_id,
                encode_certificates(&credential.certificates),
                credential.pin_hash,
                kind,
                secret,
                step,
                address,
                lockout,
                rfc3339(now)
            ],
        )?;
        Ok(())
    }

    pub fn credential(&self, id: &str) -> Result<Option<CredentialRow>, StoreError> {
        Ok(self
            .store
            .lock()?
            .query_row(
                &format!("SELECT {CREDENTIAL_COLUMNS} FROM csc_credentials WHERE id = ?1"),
                [id],
                credential_from_row,
            )
            .optional()?)
    }

    /// The owner, key and lockout counter of credential `id`: the three columns signHash
    /// reads on every call, without decoding the certificates or the OTP factor.
    pub fn signing_credential(&self, id: &str) -> Result<Option<SigningCredential>, StoreError> {
        // A reader of its own: signHash does not wait while the shared connection commits
        // (an audit entry, another credential's lockout), and still sees every committed
        // lockout.
        Ok(self
            .store
            .read()?
            .prepare_cached("SELECT user_id, key_id, lockout FROM csc_credentials WHERE id = ?1")?
            .query_row([id], |row| {
                let lockout: String = row.get(2)?;
                Ok(SigningCredential {
                    user_id: row.get(0)?,
                    key_id: row.get(1)?,
                    lockout: serde_json::from_str(&lockout).map_err(|_| {
                        rusqlite::Error::FromSqlConversionFailure(
                            2,
                            rusqlite::types::Type::Text,
                            "unreadable lockout".into(),
                        )
                    })?,
                })
            })
            .optional()?)
    }

    /// The ids of `user`'s credentials, oldest first.
    pub fn credential_ids(&self, user: &str) -> Result<Vec<String>, StoreError> {
        let connection = self.store.lock()?;
        let mut statement = connection
            .prepare("SELECT id FROM csc_credentials WHERE user_id = ?1 ORDER BY rowid")?;
        let ids = statement
            .query_map([user], |row| row.get(0))?
            .collect::<Result<Vec<String>, _>>()?;
        Ok(ids)
    }

    pub fn set_lockout(&self, id: &str, lockout: &Lockout) -> Result<bool, StoreError> {
        let text = serde_json::to_string(lockout).unwrap_or_else(|_| "{}".into());
        let changed = self.store.lock()?.execute(
            "UPDATE csc_credentials SET lockout = ?2 WHERE id = ?1",
            params![id, text],
        )?;
        Ok(changed == 1)
    }

    /// Records the TOTP step just accepted, only if it is later than the stored one; returns
    /// `false` when another request accepted this step (or a later one) first — a replay.
    pub fn advance_totp_step(&self, id: &str, step: u64) -> Result<bool, StoreError> {
        let changed = self.store.lock()?.execute(
            "UPDATE csc_credentials SET totp_last_step = ?2
             WHERE id = ?1 AND otp_kind = 'totp'
               AND (totp_last_step IS NULL OR totp_last_step < ?2)",
            params![id, step as i64],
        )?;
        Ok(changed == 1)
    }

    /// Removes a credential whose key could not be made (enrollment roll-back). Outbox rows
    /// for it go too.
    pub fn delete_credential(&self, id: &str) -> Result<(), StoreError> {
        let mut connection = self.store.lock()?;
        let transaction = connection.transaction()?;
        transaction.execute("DELETE FROM csc_outbox WHERE credential_id = ?1", [id])?;
        transaction.execute("DELETE FROM csc_credentials WHERE id = ?1", [id])?;
        transaction.commit()?;
        Ok(())
    }

    /// Removes an account that has no credential (enrollment roll-back).
    pub fn delete_user(&self, id: &str) -> Result<(), StoreError> {
        self.store.lock()?.execute(
            "DELETE FROM csc_users WHERE id = ?1
             AND NOT EXISTS (SELECT 1 FROM csc_credentials WHERE user_id = ?1)",
            [id],
        )?;
        Ok(())
    }

    pub fn push_outbox(
        &self,
        credential_id: &str,
        address: &str,
        message: &str,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.store.lock()?.execute(
            "INSERT INTO csc_outbox (credential_id, address, message, created_at)
             VALUES (?1, ?2, ?3, ?4)",
            params![credential_id, address, message, rfc3339(now)],
        )?;
        Ok(())
    }

    /// The newest `limit` messages, newest first, for one credential or for all.
    pub fn outbox(
        &self,
        credential_id: Option<&str>,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>, StoreError> {
        let connection = self.store.lock()?;
        let mut statement = connection.prepare(
            "SELECT seq, credential_id, address, message, created_at FROM csc_outbox
             WHERE ?1 IS NULL OR credential_id = ?1 ORDER BY seq DESC LIMIT ?2",
        )?;
        let rows = statement
            .query_map(params![credential_id, limit], |row| {
                Ok(OutboxMessage {
                    seq: row.get(0)?,
                    credential_id: row.get(1)?,
                    address: row.get(2)?,
                    message: row.get(3)?,
                    created_at: row.get(4)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    pub fn record_issued(&self, row: &IssuedRow) -> Result<(), StoreError> {
        self.store.lock()?.execute(
            "INSERT INTO ca_issued (issuer_sha256, serial, subject, not_after, revoked_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                row.issuer_sha256,
                row.serial,
                row.subject,
                row.not_after,
                row.revoked_at
            ],
        )?;
        Ok(())
    }

    pub fn issued(
        &self,
        issuer_sha256: &str,
        serial: &str,
    ) -> Result<Option<IssuedRow>, StoreError> {
        Ok(self
            .store
            .lock()?
            .query_row(
                "SELECT issuer_sha256, serial, subject, not_after, revoked_at FROM ca_issued
                 WHERE issuer_sha256 = ?1 AND serial = ?2",
                [issuer_sha256, serial],
                |row| {
                    Ok(IssuedRow {
                        issuer_sha256: row.get(0)?,
                        serial: row.get(1)?,
                        subject: row.get(2)?,
                        not_after: row.get(3)?,
                        revoked_at: row.get(4)?,
                    })
                },
            )
            .optional()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(unix: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(unix).unwrap()
    }

    fn credential(id: &str, user: &str, otp: OtpFactor) -> CredentialRow {
        CredentialRow {
            id: id.into(),
            user_id: user.into(),
            key_id: id.as_bytes().to_vec(),
            certificates: vec![vec![0x30, 0x03, 1, 2, 3], vec![0x30, 0]],
            pin_hash: "$argon2id$stub".into(),
            otp,
            lockout: Lockout::default(),
        }
    }

    #[test]
    fn users_credentials_and_lockout_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let directory = CscDirectory::new(&store);
        let user = UserRow {
            id: "012345678901".into(),
            name: "Nguyễn Văn A".into(),
            password_hash: "$argon2id$x".into(),
        };
        assert!(directory.insert_user(&user, at(1_800_000_000)).unwrap());
        assert!(!directory.insert_user(&user, at(1_800_000_000)).unwrap());
        assert_eq!(
            directory.user("012345678901").unwrap().unwrap().name,
            "Nguyễn Văn A"
        );
        assert!(directory.user("nobody").unwrap().is_none());

        let totp = credential(
            "c1",
            &user.id,
            OtpFactor::Totp {
                secret: vec![7; 20],
                last_step: None,
            },
        );
        let sms = credential(
            "c2",
            &user.id,
            OtpFactor::Delivered {
                address: "+84901234567".into(),
            },
        );
        directory.insert_credential(&totp, at(1)).unwrap();
        directory.insert_credential(&sms, at(2)).unwrap();
        assert_eq!(directory.credential_ids(&user.id).unwrap(), ["c1", "c2"]);
        let read = directory.credential("c2").unwrap().unwrap();
        assert_eq!(read.certificates, sms.certificates);
        assert_eq!(read.otp, sms.otp);

        let mut lockout = Lockout::default();
        lockout.record_failure(at(3));
        assert!(directory.set_lockout("c1", &lockout).unwrap());
        assert_eq!(
            directory.credential("c1").unwrap().unwrap().lockout,
            lockout
        );

        assert!(directory.advance_totp_step("c1", 10).unwrap());
        assert!(
            !directory.advance_totp_step("c1", 10).unwrap(),
            "same step twice"
        );
        assert!(!directory.advance_totp_step("c1", 9).unwrap());
        assert!(directory.advance_totp_step("c1", 11).unwrap());
        assert!(
            !directory.advance_totp_step("c2", 12).unwrap(),
            "not a TOTP credential"
        );

        directory
            .push_outbox("c2", "+84901234567", "Mã OTP: 123456", at(4))
            .unwrap();
        assert_eq!(directory.outbox(Some("c2"), 10).unwrap().len(), 1);
        assert!(directory.outbox(Some("c1"), 10).unwrap().is_empty());
        directory.delete_credential("c2").unwrap();
        assert!(directory.credential("c2").unwrap().is_none());
        assert!(directory.outbox(None, 10).unwrap().is_empty());
    }

    /// signHash's read of a credential is never stale: a lockout or an unlock written by
    /// another handle on the store, or by another connection to the file (another process),
    /// is seen by the next read.
    #[test]
    fn signing_credential_sees_every_lockout_change_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let directory = CscDirectory::new(&store);
        let row = credential(
            "c1",
            "012345678901",
            OtpFactor::Delivered {
                address: "+84901234567".into(),
            },
        );
        directory
            .insert_user(
                &UserRow {
                    id: row.user_id.clone(),
                    name: "A".into(),
                    password_hash: "$argon2id$x".into(),
                },
                at(1),
            )
            .unwrap();
        directory.insert_credential(&row, at(1)).unwrap();
        let read = directory.signing_credential("c1").unwrap().unwrap();
        assert_eq!(
            (read.user_id.as_str(), read.key_id.as_slice()),
            ("012345678901", b"c1".as_slice())
        );
        assert!(read.lockout.check().is_ok());

        let mut locked = Lockout::default();
        while locked.check().is_ok() {
            locked.record_failure(at(2));
        }
        CscDirectory::new(&store)
            .set_lockout("c1", &locked)
            .unwrap();
        let read = directory.signing_credential("c1").unwrap().unwrap();
        assert!(
            read.lockout.check().is_err(),
            "locked through another handle"
        );

        let other =
            rusqlite::Connection::open(dir.path().join(super::super::DATABASE_FILE)).unwrap();
        other
            .execute(
                "UPDATE csc_credentials SET lockout = ?1 WHERE id = 'c1'",
                [serde_json::to_string(&Lockout::default()).unwrap()],
            )
            .unwrap();
        let read = directory.signing_credential("c1").unwrap().unwrap();
        assert!(
            read.lockout.check().is_ok(),
            "unlocked by another connection"
        );
        assert!(directory.signing_credential("c2").unwrap().is_none());
    }

    #[test]
    fn issued_certificates_are_found_by_issuer_and_serial() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let directory = CscDirectory::new(&store);
        let row = IssuedRow {
            issuer_sha256: "ab".repeat(32),
            serial: "1f2e".into(),
            subject: "/CN=A".into(),
            not_after: 2_000_000_000,
            revoked_at: None,
        };
        directory.record_issued(&row).unwrap();
        assert_eq!(
            directory.issued(&row.issuer_sha256, "1f2e").unwrap(),
            Some(row.clone())
        );
        assert!(
            directory
                .issued(&row.issuer_sha256, "1f2f")
                .unwrap()
                .is_none()
        );
        assert!(
            directory.record_issued(&row).is_err(),
            "a serial is issued once"
        );
    }
}
