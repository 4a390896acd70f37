//! The remote-signing service behind the CSC routes: login and bearer tokens, credential
//! listing and information, OTP challenges, SCAL2 authorization (PIN + OTP → SAD) and
//! signHash with keys that never leave the HSM, each step audited. Wire formats (v1, v2) are
//! the HTTP layer's; the clock is the caller's (`now` everywhere). Every method blocks.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use base64ct::{Base64UrlUnpadded, Encoding};
use const_oid::ObjectIdentifier;
use openssl::hash::{MessageDigest, hash};
use time::{Duration, OffsetDateTime};

use super::algo::{self, AlgoError};
use super::hsm_threads::HsmThreads;
use super::otp::{DeliveredCode, OtpError, TotpParams, TotpSecret};
use super::pin::{PinError, PinHash};
use super::placement::{DEFAULT_INLINE_LIMIT, Placement};
use super::sad::{SadError, SadRequest, SadStore};
use super::{LockoutError, Secret};
use crate::sign::pkcs11::{KeyStore, Pkcs11Error};
use crate::sign::{DigestAlgorithm, KeyKind};
use crate::store::audit::{AuditError, AuditLog};
use crate::store::csc::{CredentialRow, CscDirectory, OtpFactor};
use crate::store::{Store, StoreError};

/// How long a bearer token from `auth/login` lives.
pub const ACCESS_TOKEN_LIFETIME: Duration = Duration::hours(1);
/// The most hashes one authorize or signHash call may carry (`multisign`).
pub const MAX_BATCH: usize = 100;

/// Why a request was refused or failed. Client errors carry no secret; the HTTP layer maps
/// each to a status and a CSC error code.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CscError {
    #[error("the user name or password is wrong")]
    BadLogin,
    #[error("the access token is missing, unknown or expired; log in again")]
    BadToken,
    /// Also for another user's credential: ids of others are not confirmed to exist.
    #[error("no credential with this id belongs to you")]
    UnknownCredential,
    #[error("{0}")]
    Lockout(#[from] LockoutError),
    #[error("{0}")]
    Sad(#[from] SadError),
    #[error("{0}")]
    Algorithm(#[from] AlgoError),
    #[error("the SAD was authorized for {authorized}, the request says {requested}")]
    HashAlgorithmMismatch {
        authorized: &'static str,
        requested: &'static str,
    },
    #[error("hash number {index} is {len} bytes; {algorithm} hashes are {expected}")]
    HashLength {
        index: usize,
        len: usize,
        algorithm: &'static str,
        expected: usize,
    },
    #[error("between 1 and {MAX_BATCH} hashes per request, got {0}")]
    BatchSize(usize),
    #[error("invalid request: {0}")]
    Invalid(String),
    #[error("the signing device failed")]
    Device(#[source] Pkcs11Error),
    #[error("the store failed")]
    Store(#[from] StoreError),
    #[error("the audit log failed")]
    Audit(#[from] AuditError),
    #[error("internal failure: {0}")]
    Internal(&'static str),
}

impl CscError {
    /// Whether the fault is the client's (4xx) rather than the server's.
    pub fn is_client_error(&self) -> bool {
        !matches!(
            self,
            CscError::Device(_) | CscError::Store(_) | CscError::Audit(_) | CscError::Internal(_)
        )
    }
}

/// What `credentials/info` tells about a credential.
#[derive(Debug, Clone)]
pub struct CredentialInfo {
    pub id: String,
    pub key: KeyKind,
    /// DER, the signer's certificate first.
    pub certificates: Vec<Vec<u8>>,
    /// `true` for a delivered code, `false` for TOTP.
    pub delivered_otp: bool,
    pub locked: bool,
    pub algorithms: Vec<&'static str>,
}

/// The factors presented to `credentials/authorize`.
pub struct Authorization {
    pub hashes: Vec<Vec<u8>>,
    /// `None` in v1, where the hash algorithm is named only at signHash: it is then taken
    /// from the hash length and checked again at signHash.
    pub hash_algorithm: Option<ObjectIdentifier>,
    pub num_signatures: u32,
    pub pin: Secret,
    pub otp: Secret,
}

/// The algorithm fields of a signHash request.
pub struct SignRequest<'a> {
    pub hashes: Vec<Vec<u8>>,
    pub hash_algorithm: Option<&'a str>,
    pub sign_algo: &'a str,
    pub sign_algo_params: Option<Vec<u8>>,
}

/// Signatures made by [`CscService::sign_unrecorded`] whose audit entry is not stored yet.
/// Only [`CscService::record_signature`] opens it.
#[must_use = "the signatures are handed out only by CscService::record_signature"]
pub struct Unrecorded {
    signatures: Vec<Vec<u8>>,
    now: OffsetDateTime,
    user: String,
    credential_id: String,
    details: serde_json::Value,
}

impl std::fmt::Debug for Unrecorded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Unrecorded")
            .field("credential_id", &self.credential_id)
            .field("signatures", &self.signatures.len())
            .finish_non_exhaustive()
    }
}

/// Outstanding bearer tokens, by SHA-256 of the token (a memory dump yields none).
#[derive(Default)]
struct AccessTokens {
    tokens: Mutex<HashMap<[u8; 32], (String, OffsetDateTime)>>,
}

fn token_key(token: &Secret) -> [u8; 32] {
    openssl::sha::sha256(token.expose().as_bytes())
}

impl AccessTokens {
    fn issue(&self, user: &str, now: OffsetDateTime) -> Result<Secret, CscError> {
        let mut raw = [0u8; 32];
        openssl::rand::rand_bytes(&mut raw).map_err(|_| CscError::Internal("randomness"))?;
        let token = Secret::new(Base64UrlUnpadded::encode_string(&raw));
        let mut tokens = self.tokens.lock().unwrap_or_else(PoisonError::into_inner);
        tokens.retain(|_, (_, expires)| *expires > now);
        tokens.insert(
            token_key(&token),
            (user.to_owned(), now + ACCESS_TOKEN_LIFETIME),
        );
        Ok(token)
    }

    fn user(&self, token: &Secret, now: OffsetDateTime) -> Result<String, CscError> {
        let tokens = self.tokens.lock().unwrap_or_else(PoisonError::into_inner);
        match tokens.get(&token_key(token)) {
            Some((user, expires)) if *expires > now => Ok(user.clone()),
            _ => Err(CscError::BadToken),
        }
    }

    fn revoke(&self, token: &Secret) {
        let mut tokens = self.tokens.lock().unwrap_or_else(PoisonError::into_inner);
        tokens.remove(&token_key(token));
    }
}

/// The service: one per server process.
pub struct CscService {
    directory: CscDirectory,
    audit: AuditLog,
    keys: Arc<KeyStore>,
    sads: SadStore,
    tokens: AccessTokens,
    /// Delivered codes waiting for authorize, by credential id. One per credential: a new
    /// challenge replaces the old code.
    codes: Mutex<HashMap<String, DeliveredCode>>,
    /// One lock per credential around the read-modify-write of its lockout counter, so
    /// parallel wrong attempts all count, while other credentials' PIN checks (Argon2id,
    /// tens of milliseconds) run alongside.
    attempts: Mutex<HashMap<String, Arc<Mutex<()>>>>,
    totp: TotpParams,
    /// The threads for async callers' signHash calls, started at the first (see
    /// [`CscService::hsm_threads`]).
    hsm_threads: OnceLock<HsmThreads>,
    hsm_thread_count: usize,
    /// Whether an async caller's signHash runs on its own thread or on the HSM threads.
    placement: Placement,
}

/// As many signing threads as cores, at most one per HSM session: a software token such as
/// the embedded SoftHSM2 signs on this machine's CPU, where more signatures at once only
/// take turns on the cores (measured in benches/csc_sign_hash.rs).
fn default_hsm_threads(keys: &KeyStore) -> usize {
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
    cores.min(keys.sessions()).max(1)
}

impl std::fmt::Debug for CscService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CscService").finish_non_exhaustive()
    }
}

impl CscService {
    pub fn new(store: &Store, keys: Arc<KeyStore>) -> CscService {
        CscService {
            hsm_threads: OnceLock::new(),
            hsm_thread_count: default_hsm_threads(&keys),
            placement: Placement::new(DEFAULT_INLINE_LIMIT),
            directory: CscDirectory::new(store),
            audit: AuditLog::new(store),
            keys,
            sads: SadStore::default(),
            tokens: AccessTokens::default(),
            codes: Mutex::new(HashMap::new()),
            attempts: Mutex::new(HashMap::new()),
            totp: TotpParams::default(),
        }
    }

    /// The same service with `threads` signHash calls signing at once (default: one per
    /// core, at most one per HSM session). A network HSM, whose signatures are not made on
    /// this machine's CPU, may want more; each needs a session of its own.
    pub fn with_hsm_threads(mut self, threads: usize) -> CscService {
        self.hsm_thread_count = threads.clamp(1, self.keys.sessions());
        self
    }

    /// The same service with async callers signing on their own thread the calls expected
    /// to take at most `limit` (default [`DEFAULT_INLINE_LIMIT`]; zero: none). See
    /// [`CscService::placement`].
    pub fn with_inline_limit(mut self, limit: std::time::Duration) -> CscService {
        self.placement = Placement::new(limit);
        self
    }

    /// The same service with SADs living `lifetime` (default 5 minutes).
    pub fn with_sad_lifetime(mut self, lifetime: Duration) -> CscService {
        self.sads = SadStore::new(lifetime);
        self
    }

    pub fn directory(&self) -> &CscDirectory {
        &self.directory
    }

    pub fn keys(&self) -> &KeyStore {
        &self.keys
    }

    /// Threads for [`CscService::sign_unrecorded`] calls (see
    /// [`CscService::with_hsm_threads`]), started at the first call. An async caller queues
    /// its call there rather than on a blocking thread of its own: each hand-off between the
    /// runtime and a blocking thread would leave the HSM idle meanwhile.
    pub fn hsm_threads(&self) -> &HsmThreads {
        self.hsm_threads
            .get_or_init(|| HsmThreads::start(self.hsm_thread_count))
    }

    /// Where an async caller runs a signHash call: on its own thread when the calls so far
    /// say it will be short, else on [`CscService::hsm_threads`]. The caller reports each
    /// call's time to it.
    pub fn placement(&self) -> &Placement {
        &self.placement
    }

    /// Appends to the audit log (no secrets in `details`).
    pub fn record(
        &self,
        now: OffsetDateTime,
        actor: &str,
        action: &str,
        subject: &str,
        details: serde_json::Value,
    ) -> Result<(), CscError> {
        self.audit.append(now, actor, action, subject, &details)?;
        Ok(())
    }

    /// `auth/login`: checks the password and returns a bearer token. Failures are audited
    /// with the user name tried, never the password.
    pub fn login(
        &self,
        user: &str,
        password: &Secret,
        now: OffsetDateTime,
    ) -> Result<(Secret, Duration), CscError> {
        let row = self.directory.user(user)?;
        let verified = match &row {
            Some(row) => PinHash::from_phc(row.password_hash.clone())
                .and_then(|hash| hash.verify(password))
                .is_ok(),
            None => {
                // Spend the same Argon2 time for an unknown user, so timing does not tell
                // which CCCD numbers have accounts.
                let _ = PinHash::for_password(&Secret::new("timing-equalizer"));
                false
            }
        };
        if !verified {
            self.record(now, user, "login_failed", user, serde_json::json!({}))?;
            return Err(CscError::BadLogin);
        }
        let token = self.tokens.issue(user, now)?;
        self.record(now, user, "login", user, serde_json::json!({}))?;
        Ok((token, ACCESS_TOKEN_LIFETIME))
    }

    /// The user a bearer token belongs to.
    pub fn authenticate(&self, token: &Secret, now: OffsetDateTime) -> Result<String, CscError> {
        self.tokens.user(token, now)
    }

    /// `auth/revoke` of the token itself.
    pub fn logout(&self, token: &Secret) {
        self.tokens.revoke(token);
    }

    fn attempt_lock(&self, credential_id: &str) -> Arc<Mutex<()>> {
        let mut locks = self.attempts.lock().unwrap_or_else(PoisonError::into_inner);
        // Locks nobody holds are dropped now and then, so the map stays as small as the
        // number of credentials in use.
        if locks.len() > 1024 {
            locks.retain(|_, lock| Arc::strong_count(lock) > 1);
        }
        Arc::clone(locks.entry(credential_id.to_owned()).or_default())
    }

    /// `credentials/list`: the user's own credential ids.
    pub fn list(&self, user: &str) -> Result<Vec<String>, CscError> {
        Ok(self.directory.credential_ids(user)?)
    }

    fn owned(&self, user: &str, credential_id: &str) -> Result<CredentialRow, CscError> {
        match self.directory.credential(credential_id)? {
            Some(row) if row.user_id == user => Ok(row),
            _ => Err(CscError::UnknownCredential),
        }
    }

    fn key_kind(row: &CredentialRow) -> Result<KeyKind, CscError> {
        row.certificates
            .first()
            .and_then(|der| openssl::x509::X509::from_der(der).ok())
            .and_then(|cert| cert.public_key().ok())
            .and_then(|key| KeyKind::of_key(&key))
            .ok_or(CscError::Internal("unreadable credential certificate"))
    }

    /// `credentials/info`.
    pub fn info(&self, user: &str, credential_id: &str) -> Result<CredentialInfo, CscError> {
        let row = self.owned(user, credential_id)?;
        let key = Self::key_kind(&row)?;
        Ok(CredentialInfo {
            id: row.id.clone(),
            key,
            algorithms: algo::advertised(key),
            delivered_otp: matches!(row.otp, OtpFactor::Delivered { .. }),
            locked: row.lockout.is_locked(),
            certificates: row.certificates,
        })
    }

    /// `credentials/getChallenge` (v1 `credentials/sendOTP`): for a delivered-code
    /// credential, draws a code and "sends" it through the outbox. Authenticator users need
    /// no challenge; the call succeeds and sends nothing. Returns whether a code was sent.
    pub fn challenge(
        &self,
        user: &str,
        credential_id: &str,
        now: OffsetDateTime,
    ) -> Result<bool, CscError> {
        let row = self.owned(user, credential_id)?;
        row.lockout.check()?;
        let OtpFactor::Delivered { address } = &row.otp else {
            return Ok(false);
        };
        let (code, value) =
            DeliveredCode::issue(now).map_err(|_| CscError::Internal("drawing an OTP"))?;
        let message = format!(
            "Mã OTP ký số của bạn: {} (hiệu lực 5 phút). Không chia sẻ mã này với bất kỳ ai. / \
             Your signing OTP: {} (valid 5 minutes). Never share it.",
            value.expose(),
            value.expose()
        );
        self.directory
            .push_outbox(credential_id, address, &message, now)?;
        self.codes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(credential_id.to_owned(), code);
        self.record(
            now,
            user,
            "otp_sent",
            credential_id,
            serde_json::json!({ "channel": "outbox" }),
        )?;
        Ok(true)
    }

    /// `credentials/authorize`: checks the lock, then the PIN and the OTP (both, always, so
    /// the answer does not say which was wrong), and issues a SAD bound to the user, the
    /// credential and exactly `authorization.hashes`.
    pub fn authorize(
        &self,
        user: &str,
        credential_id: &str,
        authorization: Authorization,
        now: OffsetDateTime,
    ) -> Result<super::Sad, CscError> {
        let count = authorization.hashes.len();
        if count == 0 || count > MAX_BATCH {
            return Err(CscError::BatchSize(count));
        }
        let hash_algorithm = match authorization.hash_algorithm {
            Some(oid) => {
                DigestAlgorithm::from_oid(&oid).ok_or_else(|| AlgoError::UnsupportedHash {
                    oid: oid.to_string(),
                })?
            }
            None => infer_digest(authorization.hashes[0].len())?,
        };
        check_lengths(&authorization.hashes, hash_algorithm)?;
        let attempt_lock = self.attempt_lock(credential_id);
        let _one_at_a_time = attempt_lock.lock().unwrap_or_else(PoisonError::into_inner);
        let mut row = self.owned(user, credential_id)?;
        row.lockout.check()?;

        let pin_ok = PinHash::from_phc(row.pin_hash.clone())
            .map_err(|_| CscError::Internal("stored PIN hash"))?
            .verify(&authorization.pin);
        let pin_ok = match pin_ok {
            Ok(()) => true,
            Err(PinError::Wrong) => false,
            Err(_) => return Err(CscError::Internal("checking the PIN")),
        };
        let otp_ok = self.check_otp(&row, &authorization.otp, now)?;
        if !(pin_ok && otp_ok) {
            let refusal = row.lockout.record_failure(now);
            self.directory.set_lockout(credential_id, &row.lockout)?;
            let factor = match (pin_ok, otp_ok) {
                (false, false) => "pin_and_otp",
                (false, true) => "pin",
                _ => "otp",
            };
            self.record(
                now,
                user,
                "authorize_failed",
                credential_id,
                serde_json::json!({ "factor": factor, "failures": row.lockout.failures() }),
            )?;
            if let LockoutError::Locked { .. } = refusal {
                self.record(
                    now,
                    user,
                    "lockout",
                    credential_id,
                    serde_json::json!({ "failures": row.lockout.failures() }),
                )?;
                return Err(CscError::Lockout(refusal));
            }
            return Err(CscError::Lockout(refusal));
        }
        if row.lockout.failures() > 0 {
            row.lockout.record_success()?;
            self.directory.set_lockout(credential_id, &row.lockout)?;
        }
        let sad = self.sads.issue(
            SadRequest {
                user: user.to_owned(),
                credential_id: credential_id.to_owned(),
                hashes: authorization.hashes.clone(),
                hash_algorithm: hash_algorithm.oid(),
                num_signatures: authorization.num_signatures,
            },
            now,
        )?;
        self.record(
            now,
            user,
            "authorize",
            credential_id,
            serde_json::json!({
                "hash_algorithm": hash_algorithm.name(),
                "hashes": authorization.hashes.iter().map(|h| crate::hex::lower(h)).collect::<Vec<_>>(),
            }),
        )?;
        Ok(sad)
    }

    /// Checks the OTP; `Ok(false)` for a wrong, replayed, expired or missing code.
    fn check_otp(
        &self,
        row: &CredentialRow,
        otp: &Secret,
        now: OffsetDateTime,
    ) -> Result<bool, CscError> {
        match &row.otp {
            OtpFactor::Totp { secret, last_step } => {
                let secret = TotpSecret::from_bytes(secret.clone());
                match secret.verify(&self.totp, otp, now, *last_step) {
                    // The conditional update makes two requests racing with one code end
                    // with one success.
                    Ok(step) => Ok(self.directory.advance_totp_step(&row.id, step)?),
                    Err(OtpError::Wrong | OtpError::Replayed) => Ok(false),
                    Err(_) => Err(CscError::Internal("checking the TOTP")),
                }
            }
            OtpFactor::Delivered { .. } => {
                let mut codes = self.codes.lock().unwrap_or_else(PoisonError::into_inner);
                let Some(code) = codes.get_mut(&row.id) else {
                    return Ok(false);
                };
                let verdict = code.verify(otp, now);
                if verdict.is_ok() || matches!(verdict, Err(OtpError::Expired)) {
                    codes.remove(&row.id);
                }
                Ok(verdict.is_ok())
            }
        }
    }

    /// `signatures/signHash`: redeems the SAD for exactly these hashes, signs each in the
    /// HSM and records the signing in the audit log. Returns the signature values (RSA
    /// octets, ECDSA DER) in request order, once their audit entry is stored.
    pub fn sign_hash(
        &self,
        user: &str,
        credential_id: &str,
        sad: &Secret,
        request: SignRequest<'_>,
        now: OffsetDateTime,
    ) -> Result<Vec<Vec<u8>>, CscError> {
        let signed = self.sign_unrecorded(user, credential_id, sad, request, now)?;
        self.record_signature(signed)
    }

    /// [`CscService::sign_hash`] up to the audit entry: checks the credential and the
    /// request, redeems the SAD (it cannot be used again, whatever follows) and signs in the
    /// HSM. The signatures come out only through [`CscService::record_signature`].
    pub fn sign_unrecorded(
        &self,
        user: &str,
        credential_id: &str,
        sad: &Secret,
        request: SignRequest<'_>,
        now: OffsetDateTime,
    ) -> Result<Unrecorded, CscError> {
        let count = request.hashes.len();
        if count == 0 || count > MAX_BATCH {
            return Err(CscError::BatchSize(count));
        }
        // Only the owner, key and lockout columns, read fresh: no certificates to decode.
        let row = match self.directory.signing_credential(credential_id)? {
            Some(row) if row.user_id == user => row,
            _ => return Err(CscError::UnknownCredential),
        };
        row.lockout.check()?;
        // The token's own record of the key (cached), not a parse of the certificate.
        let key = self.keys.key_kind(&row.key_id).map_err(CscError::Device)?;
        let (digest, scheme) = algo::resolve(
            key,
            request.sign_algo,
            request.hash_algorithm,
            request.sign_algo_params.as_deref(),
        )?;
        check_lengths(&request.hashes, digest)?;
        let authorization = self
            .sads
            .redeem(sad, user, credential_id, &request.hashes, now)?;
        let authorized = DigestAlgorithm::from_oid(&authorization.hash_algorithm())
            .ok_or(CscError::Internal("authorized hash algorithm"))?;
        if authorized != digest {
            return Err(CscError::HashAlgorithmMismatch {
                authorized: authorized.name(),
                requested: digest.name(),
            });
        }
        let signatures = request
            .hashes
            .iter()
            .map(|h| self.keys.sign_digest(&row.key_id, digest, scheme, h))
            .collect::<Result<Vec<_>, _>>()
            .map_err(CscError::Device)?;
        Ok(Unrecorded {
            signatures,
            now,
            user: user.to_owned(),
            credential_id: credential_id.to_owned(),
            details: serde_json::json!({
                "scheme": format!("{scheme:?}"),
                "hash_algorithm": digest.name(),
                "hashes": request.hashes.iter().map(|h| crate::hex::lower(h)).collect::<Vec<_>>(),
            }),
        })
    }

    /// Stores the audit entry of signatures made by [`CscService::sign_unrecorded`], then
    /// hands them out. When the entry cannot be stored, the signatures are dropped: nothing
    /// is answered as signed without its entry.
    pub fn record_signature(&self, signed: Unrecorded) -> Result<Vec<Vec<u8>>, CscError> {
        self.record(
            signed.now,
            &signed.user,
            "sign",
            &signed.credential_id,
            signed.details,
        )?;
        Ok(signed.signatures)
    }

    /// The administrator's unlock of a locked credential.
    pub fn unlock(
        &self,
        admin: &str,
        credential_id: &str,
        now: OffsetDateTime,
    ) -> Result<(), CscError> {
        let attempt_lock = self.attempt_lock(credential_id);
        let _one_at_a_time = attempt_lock.lock().unwrap_or_else(PoisonError::into_inner);
        let mut row = self
            .directory
            .credential(credential_id)?
            .ok_or(CscError::UnknownCredential)?;
        let was_locked = row.lockout.is_locked();
        row.lockout.unlock();
        self.directory.set_lockout(credential_id, &row.lockout)?;
        self.record(
            now,
            admin,
            "unlock",
            credential_id,
            serde_json::json!({ "was_locked": was_locked }),
        )
    }
}

/// v1 authorize names no hash algorithm: SHA-2 lengths are distinct, so the length says it.
fn infer_digest(len: usize) -> Result<DigestAlgorithm, CscError> {
    [
        DigestAlgorithm::Sha256,
        DigestAlgorithm::Sha384,
        DigestAlgorithm::Sha512,
    ]
    .into_iter()
    .find(|d| d.output_len() == len)
    .ok_or_else(|| CscError::Invalid(format!("a {len}-byte hash is not SHA-256/384/512")))
}

fn check_lengths(hashes: &[Vec<u8>], digest: DigestAlgorithm) -> Result<(), CscError> {
    match hashes
        .iter()
        .enumerate()
        .find(|(_, h)| h.len() != digest.output_len())
    {
        Some((index, h)) => Err(CscError::HashLength {
            index,
            len: h.len(),
            algorithm: digest.name(),
            expected: digest.output_len(),
        }),
        None => Ok(()),
    }
}

/// The SHA-256 of a certificate, lower-case hex: how `ca_issued` names an issuer.
pub fn certificate_sha256(der: &[u8]) -> String {
    hash(MessageDigest::sha256(), der)
        .map(|d| crate::hex::lower(&d))
        .unwrap_or_default()
}
