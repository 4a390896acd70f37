//! The HSM side of CSC remote signing (CSC API v2 `signatures/signHash`): one token, logged in
//! once, holding a key pair per credential that is generated inside it and never leaves it,
//! and a pool of sessions so that many requests sign at once. Hashing, SAD checks and CMS
//! assembly are left to the caller; this file does no file I/O.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex, PoisonError, RwLock};

use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::Mechanism;
use cryptoki::mechanism::MechanismType;
use cryptoki::mechanism::rsa::{PkcsMgfType, PkcsPssParams};
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::Session;
use cryptoki::types::Ulong;

use super::signer::{KeyProtection, digest_info_prefix, read_protection};
use super::{Pkcs11Error, context, find_token, lock, login, signing_key_attributes, token_error};
use crate::sign::algorithm::ecdsa_raw_to_der;
use crate::sign::{DigestAlgorithm, KeyKind, SignatureScheme};

/// CKA_EC_PARAMS of P-256: the DER OID `prime256v1` (RFC 5480 §2.1.1.1, PKCS#11 v2.40
/// §2.3.3 "namedCurve").
const P256_PARAMS: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
/// CKA_EC_PARAMS of P-384: the DER OID `secp384r1` (RFC 5480 §2.1.1.1).
const P384_PARAMS: &[u8] = &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22];

/// The key pairs the CSC service generates for a credential (Circular 15/2025/TT-BKHCN:
/// RSA ≥ 2048 or ECDSA ≥ 256).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HsmKeySpec {
    Rsa2048,
    Rsa3072,
    EcP256,
}

impl HsmKeySpec {
    /// The kind of key this spec generates.
    pub fn kind(self) -> KeyKind {
        match self {
            HsmKeySpec::Rsa2048 => KeyKind::Rsa { bits: 2048 },
            HsmKeySpec::Rsa3072 => KeyKind::Rsa { bits: 3072 },
            HsmKeySpec::EcP256 => KeyKind::EcP256,
        }
    }
}

/// A private key found on the token: its handle, which every session and thread of this
/// application may use (PKCS#11 v2.20 §6.7.5 "Session handles and object handles", kept in
/// the v2.40 Usage Guide), and what kind of key it is. A handle need not last as long as the
/// object, so a handle the token no longer knows is looked up again (see `sign_digest`).
#[derive(Debug, Clone, Copy)]
struct StoredKey {
    handle: ObjectHandle,
    kind: KeyKind,
}

/// A PKCS#11 token holding one key pair per CSC credential, identified by CKA_ID.
///
/// The token is opened and logged in as the user once; `sessions` read-write sessions are
/// kept open and lent to one thread at a time (a cryptoki `Session` is `Send` but not
/// `Sync`, and a session has one active signing operation at a time: C_SignInit answers
/// CKR_OPERATION_ACTIVE otherwise, PKCS#11 v2.40 §5.11), so `sessions` signatures run at once
/// and further callers wait for whichever session comes back first.
pub struct KeyStore {
    pool: SessionPool,
    /// CKA_ID → private key, so signing does not search the token each time.
    keys: RwLock<HashMap<Vec<u8>, StoredKey>>,
    /// Ids and labels of key pairs being generated, so two enrollments cannot both pass the
    /// uniqueness check before either key exists.
    generating: Mutex<Vec<(Vec<u8>, String)>>,
    module: PathBuf,
    token_label: String,
}

// Sessions are only reached through the pool's mutex; the rest is plain data.
const _: fn() = || {
    fn shared<T: Send + Sync>() {}
    shared::<KeyStore>();
};

impl fmt::Debug for KeyStore {
    /// Never shows the PIN, which the store does not keep.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyStore")
            .field("module", &self.module)
            .field("token", &self.token_label)
            .field("sessions", &self.pool.size)
            .field(
                "cached_keys",
                &self
                    .keys
                    .read()
                    .unwrap_or_else(PoisonError::into_inner)
                    .len(),
            )
            .finish_non_exhaustive()
    }
}

impl KeyStore {
    /// Opens the token labelled `token_label` in `module` with `sessions` read-write sessions
    /// (at least one) and logs in as the user with `user_pin` once; the login holds for every
    /// session (PKCS#11 v2.40 §5.6). A wrong PIN is reported and never retried.
    pub fn open(
        module: &Path,
        token_label: &str,
        user_pin: &str,
        sessions: usize,
    ) -> Result<KeyStore, Pkcs11Error> {
        let context = context(module)?;
        let slot = find_token(&context, token_label)?;
        let size = sessions.max(1);
        let mut open = Vec::with_capacity(size);
        for _ in 0..size {
            open.push(
                context
                    .open_rw_session(slot)
                    .map_err(token_error("opening a session"))?,
            );
        }
        login(&context, module, slot, &open[0], user_pin, token_label)?;
        Ok(KeyStore {
            pool: SessionPool {
                free: Mutex::new(open),
                returned: Condvar::new(),
                size,
            },
            keys: RwLock::new(HashMap::new()),
            generating: Mutex::new(Vec::new()),
            module: module.to_path_buf(),
            token_label: token_label.to_owned(),
        })
    }

    /// The label of the token the keys are on.
    pub fn token_label(&self) -> &str {
        &self.token_label
    }

    /// How many signatures can run at once: the number of open sessions.
    pub fn sessions(&self) -> usize {
        self.pool.size
    }

    /// Generates a key pair inside the token (C_GenerateKeyPair, PKCS#11 v2.40 §5.14) under
    /// CKA_ID `id` and CKA_LABEL `label`, and returns its public key as a DER
    /// SubjectPublicKeyInfo (RFC 5280 §4.1.2.7) for the certificate request.
    ///
    /// The private key is a token object that is private, sensitive, never extractable and
    /// only signs (§4.9): it cannot decrypt, unwrap or derive, so a key certified for
    /// signatures cannot be turned into a decryption oracle. An id or label already on the
    /// token is refused with [`Pkcs11Error::LabelTaken`].
    pub fn generate(
        &self,
        label: &str,
        id: &[u8],
        spec: HsmKeySpec,
    ) -> Result<Vec<u8>, Pkcs11Error> {
        let _reservation = self.reserve(label, id)?;
        let session = self.pool.take();
        self.refuse_taken(&session, label, id)?;

        let naming = [
            Attribute::Id(id.to_vec()),
            Attribute::Label(label.as_bytes().to_vec()),
        ];
        let mut public = vec![
            Attribute::Token(true),
            Attribute::Private(false),
            Attribute::Verify(true),
            Attribute::Encrypt(false),
            Attribute::Wrap(false),
        ];
        let mut private = signing_key_attributes();
        public.extend(naming.iter().cloned());
        private.extend(naming);
        let mechanism = match spec {
            HsmKeySpec::Rsa2048 | HsmKeySpec::Rsa3072 => {
                let bits: u64 = if spec == HsmKeySpec::Rsa2048 {
                    2048
                } else {
                    3072
                };
                // F4 = 65537 (RFC 8017 §3.1; PKCS#11 v2.40 §2.1.4 CKM_RSA_PKCS_KEY_PAIR_GEN).
                public.push(Attribute::ModulusBits(Ulong::from(bits)));
                public.push(Attribute::PublicExponent(vec![0x01, 0x00, 0x01]));
                Mechanism::RsaPkcsKeyPairGen
            }
            HsmKeySpec::EcP256 => {
                // PKCS#11 v2.40 §2.3.5 CKM_EC_KEY_PAIR_GEN: the curve goes in the public template.
                public.push(Attribute::EcParams(P256_PARAMS.to_vec()));
                Mechanism::EccKeyPairGen
            }
        };
        let (public_handle, private_handle) = session
            .generate_key_pair(&mechanism, &public, &private)
            .map_err(token_error("generating a key pair"))?;
        match public_key_info(&session, public_handle) {
            Ok(spki) => {
                self.write_keys().insert(
                    id.to_vec(),
                    StoredKey {
                        handle: private_handle,
                        kind: spec.kind(),
                    },
                );
                Ok(spki)
            }
            Err(e) => {
                // Leave no half-enrolled key behind: nothing can be certified without SPKI.
                let _ = session.destroy_object(private_handle);
                let _ = session.destroy_object(public_handle);
                Err(e)
            }
        }
    }

    /// Signs a hash computed elsewhere (CSC `signatures/signHash`) with the private key of
    /// CKA_ID `id`, and returns the signature value as CMS carries it (RFC 5652 §5.3): the
    /// RSA signature octets, or for ECDSA the DER `Ecdsa-Sig-Value` (RFC 5480 §2.2 via
    /// RFC 5753 §7.2).
    ///
    /// - RSASSA-PKCS1-v1_5: CKM_RSA_PKCS over the DER DigestInfo (RFC 8017 §9.2 step 2,
    ///   PKCS#11 v2.40 §2.1.6);
    /// - RSASSA-PSS: CKM_RSA_PKCS_PSS with MGF1 over the same hash and a salt as long as
    ///   the hash (RFC 4055 §3.1; PKCS#11 v2.40 §2.1.10);
    /// - ECDSA: CKM_ECDSA over the hash (PKCS#11 v2.40 §2.3.6).
    pub fn sign_digest(
        &self,
        id: &[u8],
        digest: DigestAlgorithm,
        scheme: SignatureScheme,
        hash: &[u8],
    ) -> Result<Vec<u8>, Pkcs11Error> {
        if hash.len() != digest.output_len() {
            return Err(Pkcs11Error::HashLength {
                digest: digest.name(),
                expected: digest.output_len(),
                actual: hash.len(),
            });
        }
        let key = self.key(id)?;
        if !key.kind.allows(scheme) {
            return Err(Pkcs11Error::SchemeMismatch {
                key: key.kind,
                scheme,
            });
        }
        let (mechanism, input) = signing_input(digest, scheme, hash);
        let signature = {
            let session = self.pool.take();
            match session.sign(&mechanism, key.handle, &input) {
                // Another application (or another KeyStore) destroyed and perhaps recreated
                // the key since it was cached: find it again once.
                Err(CkError::Pkcs11(
                    RvError::KeyHandleInvalid | RvError::ObjectHandleInvalid,
                    _,
                )) => {
                    self.forget(id);
                    let key = self.find(&session, id)?;
                    session.sign(&mechanism, key.handle, &input)
                }
                other => other,
            }
            .map_err(|e| match e {
                CkError::Pkcs11(RvError::UserNotLoggedIn, _) => Pkcs11Error::Token {
                    context: "signing",
                    detail: "the token is no longer logged in (removed or logged out)".into(),
                },
                other => token_error("signing")(other),
            })?
        };
        if scheme == SignatureScheme::Ecdsa {
            // CKM_ECDSA returns r || s (PKCS#11 v2.40 §2.3.1).
            ecdsa_raw_to_der(&signature).ok_or_else(|| Pkcs11Error::Token {
                context: "reading the ECDSA signature",
                detail: format!("{} bytes is not r || s", signature.len()),
            })
        } else {
            Ok(signature)
        }
    }

    /// The protection attributes of the private key `id` as the token reports them now.
    pub fn protection(&self, id: &[u8]) -> Result<KeyProtection, Pkcs11Error> {
        let key = self.key(id)?;
        read_protection(&self.pool.take(), key.handle)
    }

    /// The public key of `id` as a DER SubjectPublicKeyInfo (RFC 5280 §4.1.2.7), read from
    /// the public key object with the same CKA_ID.
    pub fn public_key(&self, id: &[u8]) -> Result<Vec<u8>, Pkcs11Error> {
        let session = self.pool.take();
        let handle = self.find_one(&session, ObjectClass::PUBLIC_KEY, id)?;
        public_key_info(&session, handle)
    }

    /// The kind and size of the private key `id`.
    pub fn key_kind(&self, id: &[u8]) -> Result<KeyKind, Pkcs11Error> {
        Ok(self.key(id)?.kind)
    }

    /// Destroys the private and public key objects with CKA_ID `id` (C_DestroyObject,
    /// PKCS#11 v2.40 §5.7), to roll back a failed enrollment or revoke a credential.
    pub fn delete(&self, id: &[u8]) -> Result<(), Pkcs11Error> {
        let session = self.pool.take();
        self.forget(id);
        let mut handles = Vec::new();
        for class in [ObjectClass::PRIVATE_KEY, ObjectClass::PUBLIC_KEY] {
            handles.extend(
                session
                    .find_objects(&[Attribute::Class(class), Attribute::Id(id.to_vec())])
                    .map_err(token_error("searching for the key to delete"))?,
            );
        }
        if handles.is_empty() {
            return Err(self.not_found(id));
        }
        for handle in handles {
            session
                .destroy_object(handle)
                .map_err(token_error("destroying a key"))?;
        }
        // A signer that cached the handle meanwhile gets KeyHandleInvalid and looks again.
        self.forget(id);
        Ok(())
    }

    /// The private key `id`, from the cache or else from the token.
    fn key(&self, id: &[u8]) -> Result<StoredKey, Pkcs11Error> {
        if let Some(key) = self
            .keys
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(id)
        {
            return Ok(*key);
        }
        self.find(&self.pool.take(), id)
    }

    /// Searches the token for the private key `id`, reads its kind and caches it.
    fn find(&self, session: &Session, id: &[u8]) -> Result<StoredKey, Pkcs11Error> {
        let handle = self.find_one(session, ObjectClass::PRIVATE_KEY, id)?;
        let key = StoredKey {
            handle,
            kind: private_key_kind(session, handle)?,
        };
        self.write_keys().insert(id.to_vec(), key);
        Ok(key)
    }

    /// The one key object of `class` with CKA_ID `id`.
    fn find_one(
        &self,
        session: &Session,
        class: ObjectClass,
        id: &[u8],
    ) -> Result<ObjectHandle, Pkcs11Error> {
        let handles = session
            .find_objects(&[Attribute::Class(class), Attribute::Id(id.to_vec())])
            .map_err(token_error("searching for the key"))?;
        match handles.as_slice() {
            [handle] => Ok(*handle),
            [] => Err(self.not_found(id)),
            many => Err(Pkcs11Error::AmbiguousKey {
                label: id_label(id),
                count: many.len(),
            }),
        }
    }

    fn forget(&self, id: &[u8]) {
        self.write_keys().remove(id);
    }

    fn write_keys(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<Vec<u8>, StoredKey>> {
        self.keys.write().unwrap_or_else(PoisonError::into_inner)
    }

    fn not_found(&self, id: &[u8]) -> Pkcs11Error {
        Pkcs11Error::KeyNotFound {
            token: self.token_label.clone(),
            label: id_label(id),
            available: Vec::new(),
        }
    }

    /// Claims `label` and `id` for one generation at a time in this store.
    fn reserve(&self, label: &str, id: &[u8]) -> Result<Reservation<'_>, Pkcs11Error> {
        let mut generating = lock(&self.generating);
        for (taken_id, taken_label) in generating.iter() {
            let taken = if taken_label == label {
                label.to_owned()
            } else if taken_id == id {
                id_label(id)
            } else {
                continue;
            };
            return Err(Pkcs11Error::LabelTaken {
                token: self.token_label.clone(),
                label: taken,
            });
        }
        generating.push((id.to_vec(), label.to_owned()));
        Ok(Reservation {
            store: self,
            id: id.to_vec(),
        })
    }

    /// Refuses an id or label that a key (private or public) on the token already has.
    fn refuse_taken(&self, session: &Session, label: &str, id: &[u8]) -> Result<(), Pkcs11Error> {
        let checks = [
            (
                Attribute::Label(label.as_bytes().to_vec()),
                label.to_owned(),
            ),
            (Attribute::Id(id.to_vec()), id_label(id)),
        ];
        for (attribute, name) in checks {
            for class in [ObjectClass::PRIVATE_KEY, ObjectClass::PUBLIC_KEY] {
                let found = session
                    .find_objects(&[Attribute::Class(class), attribute.clone()])
                    .map_err(token_error("checking that the key is new"))?;
                if !found.is_empty() {
                    return Err(Pkcs11Error::LabelTaken {
                        token: self.token_label.clone(),
                        label: name,
                    });
                }
            }
        }
        Ok(())
    }
}

/// Releases a [`KeyStore::reserve`] claim when generation ends, however it ends.
struct Reservation<'a> {
    store: &'a KeyStore,
    id: Vec<u8>,
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        lock(&self.store.generating).retain(|(id, _)| *id != self.id);
    }
}

/// Open sessions lent to one thread at a time; a borrower waits for whichever comes back
/// first rather than for one particular session.
struct SessionPool {
    free: Mutex<Vec<Session>>,
    returned: Condvar,
    size: usize,
}

impl SessionPool {
    fn take(&self) -> PooledSession<'_> {
        let mut free = lock(&self.free);
        loop {
            if let Some(session) = free.pop() {
                return PooledSession {
                    pool: self,
                    session: Some(session),
                };
            }
            free = self
                .returned
                .wait(free)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

/// A session on loan from the pool, returned when dropped.
struct PooledSession<'a> {
    pool: &'a SessionPool,
    session: Option<Session>,
}

impl std::ops::Deref for PooledSession<'_> {
    type Target = Session;

    fn deref(&self) -> &Session {
        self.session.as_ref().expect("present until dropped")
    }
}

impl Drop for PooledSession<'_> {
    fn drop(&mut self) {
        if let Some(session) = self.session.take() {
            lock(&self.pool.free).push(session);
            self.pool.returned.notify_one();
        }
    }
}

/// The mechanism and the bytes the token signs for a precomputed `hash`.
fn signing_input(
    digest: DigestAlgorithm,
    scheme: SignatureScheme,
    hash: &[u8],
) -> (Mechanism<'static>, Vec<u8>) {
    match scheme {
        // RFC 8017 §9.2: EMSA-PKCS1-v1_5 pads the DER DigestInfo; CKM_RSA_PKCS adds only the
        // padding, so the DigestInfo is built here.
        SignatureScheme::RsaPkcs1v15 => (
            Mechanism::RsaPkcs,
            [digest_info_prefix(digest), hash].concat(),
        ),
        SignatureScheme::RsaPss => (Mechanism::RsaPkcsPss(pss_params(digest)), hash.to_vec()),
        SignatureScheme::Ecdsa => (Mechanism::Ecdsa, hash.to_vec()),
    }
}

/// CK_RSA_PKCS_PSS_PARAMS for `digest`: MGF1 with the same hash and a salt as long as the
/// hash (RFC 4055 §3.1; Circular 15/2025).
fn pss_params(digest: DigestAlgorithm) -> PkcsPssParams {
    let (hash_alg, mgf) = match digest {
        DigestAlgorithm::Sha256 => (MechanismType::SHA256, PkcsMgfType::MGF1_SHA256),
        DigestAlgorithm::Sha384 => (MechanismType::SHA384, PkcsMgfType::MGF1_SHA384),
        DigestAlgorithm::Sha512 => (MechanismType::SHA512, PkcsMgfType::MGF1_SHA512),
    };
    PkcsPssParams {
        hash_alg,
        mgf,
        s_len: Ulong::from(digest.output_len() as u64),
    }
}

/// How an id appears in [`Pkcs11Error::KeyNotFound`] and [`Pkcs11Error::LabelTaken`].
fn id_label(id: &[u8]) -> String {
    let hex: String = id.iter().map(|b| format!("{b:02x}")).collect();
    format!("id {hex}")
}

/// The kind of a private key from its public attributes: CKA_KEY_TYPE, and CKA_MODULUS or
/// CKA_EC_PARAMS (PKCS#11 v2.40 §2.1.3, §2.3.4).
fn private_key_kind(session: &Session, key: ObjectHandle) -> Result<KeyKind, Pkcs11Error> {
    let attributes = session
        .get_attributes(
            key,
            &[
                AttributeType::KeyType,
                AttributeType::Modulus,
                AttributeType::EcParams,
            ],
        )
        .map_err(token_error("reading the key's type"))?;
    let mut key_type = None;
    let mut modulus = None;
    let mut params = None;
    for attribute in attributes {
        match attribute {
            Attribute::KeyType(t) => key_type = Some(t),
            Attribute::Modulus(n) => modulus = Some(n),
            Attribute::EcParams(p) => params = Some(p),
            _ => {}
        }
    }
    kind_from_attributes(key_type, modulus.as_deref(), params.as_deref())
}

fn kind_from_attributes(
    key_type: Option<KeyType>,
    modulus: Option<&[u8]>,
    params: Option<&[u8]>,
) -> Result<KeyKind, Pkcs11Error> {
    match (key_type, modulus, params) {
        (Some(KeyType::RSA), Some(n), _) => {
            let bits = openssl::bn::BigNum::from_slice(n)
                .map(|n| n.num_bits())
                .unwrap_or(0);
            let bits = u32::try_from(bits).unwrap_or(0);
            if bits < 2048 {
                return Err(Pkcs11Error::UnsupportedKey {
                    detail: format!("RSA of {bits} bits"),
                });
            }
            Ok(KeyKind::Rsa { bits })
        }
        (Some(KeyType::EC), _, Some(P256_PARAMS)) => Ok(KeyKind::EcP256),
        (Some(KeyType::EC), _, Some(P384_PARAMS)) => Ok(KeyKind::EcP384),
        (Some(KeyType::EC), _, _) => Err(Pkcs11Error::UnsupportedKey {
            detail: "EC on a curve other than P-256/P-384".into(),
        }),
        (other, _, _) => Err(Pkcs11Error::UnsupportedKey {
            detail: match other {
                Some(t) => format!("of PKCS#11 key type {t}"),
                None => "of no stated type".into(),
            },
        }),
    }
}

/// The DER SubjectPublicKeyInfo of a public key object (RFC 5280 §4.1.2.7; RFC 8017 A.1.1
/// for RSA, RFC 5480 §2 for EC), built by OpenSSL from CKA_MODULUS and
/// CKA_PUBLIC_EXPONENT, or CKA_EC_PARAMS and CKA_EC_POINT.
fn public_key_info(session: &Session, key: ObjectHandle) -> Result<Vec<u8>, Pkcs11Error> {
    let attributes = session
        .get_attributes(
            key,
            &[
                AttributeType::KeyType,
                AttributeType::Modulus,
                AttributeType::PublicExponent,
                AttributeType::EcParams,
                AttributeType::EcPoint,
            ],
        )
        .map_err(token_error("reading the public key"))?;
    let (mut key_type, mut n, mut e, mut params, mut point) = (None, None, None, None, None);
    for attribute in attributes {
        match attribute {
            Attribute::KeyType(t) => key_type = Some(t),
            Attribute::Modulus(v) => n = Some(v),
            Attribute::PublicExponent(v) => e = Some(v),
            Attribute::EcParams(v) => params = Some(v),
            Attribute::EcPoint(v) => point = Some(v),
            _ => {}
        }
    }
    let unreadable = |detail: String| Pkcs11Error::UnsupportedKey { detail };
    let openssl_failed = |e: openssl::error::ErrorStack| unreadable(format!("unreadable ({e})"));
    match (key_type, n, e, params, point) {
        (Some(KeyType::RSA), Some(n), Some(e), _, _) => {
            let rsa = openssl::rsa::Rsa::from_public_components(
                openssl::bn::BigNum::from_slice(&n).map_err(openssl_failed)?,
                openssl::bn::BigNum::from_slice(&e).map_err(openssl_failed)?,
            )
            .map_err(openssl_failed)?;
            openssl::pkey::PKey::from_rsa(rsa)
                .and_then(|key| key.public_key_to_der())
                .map_err(openssl_failed)
        }
        (Some(KeyType::EC), _, _, Some(params), Some(point)) => {
            let (nid, field_len) = match params.as_slice() {
                P256_PARAMS => (openssl::nid::Nid::X9_62_PRIME256V1, 32),
                P384_PARAMS => (openssl::nid::Nid::SECP384R1, 48),
                _ => return Err(unreadable("EC on a curve other than P-256/P-384".into())),
            };
            let point = ec_point_octets(&point, field_len).ok_or_else(|| {
                unreadable(format!("an EC point of {} unexpected bytes", point.len()))
            })?;
            let group = openssl::ec::EcGroup::from_curve_name(nid).map_err(openssl_failed)?;
            let mut ctx = openssl::bn::BigNumContext::new().map_err(openssl_failed)?;
            let point = openssl::ec::EcPoint::from_bytes(&group, point, &mut ctx)
                .map_err(openssl_failed)?;
            openssl::ec::EcKey::from_public_key(&group, &point)
                .and_then(openssl::pkey::PKey::from_ec_key)
                .and_then(|key| key.public_key_to_der())
                .map_err(openssl_failed)
        }
        (other, ..) => Err(unreadable(match other {
            Some(t) => format!("a public key of PKCS#11 type {t} without its public parts"),
            None => "a public key of no stated type".into(),
        })),
    }
}

/// The uncompressed point (X9.62 `04 || X || Y`) inside CKA_EC_POINT. PKCS#11 v2.40 §2.3.3
/// says the attribute is the DER OCTET STRING of the point, as SoftHSM2 returns it; some
/// tokens return the bare point. Told apart by length, not by trying to parse: a bare P-256
/// point whose X begins with 0x3f is also a well-formed 63-byte OCTET STRING.
fn ec_point_octets(value: &[u8], field_len: usize) -> Option<&[u8]> {
    let point_len = 1 + 2 * field_len;
    let bare = |p: &[u8]| p.len() == point_len && p[0] == 0x04;
    if bare(value) {
        return Some(value);
    }
    // A point of at most 127 bytes has a one-byte DER length (X.690 §8.1.3.4).
    match value {
        [0x04, len, point @ ..] if usize::from(*len) == point_len && bare(point) => Some(point),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use der::Encode;

    /// DigestInfo ::= SEQUENCE { digestAlgorithm AlgorithmIdentifier, digest OCTET STRING }
    /// (RFC 8017 §9.2), with the NULL parameters of RFC 8017 A.2.4 / RFC 4055 §2.1 footnote.
    #[test]
    fn pkcs1_input_is_the_der_digest_info_of_the_hash() {
        for digest in [
            DigestAlgorithm::Sha256,
            DigestAlgorithm::Sha384,
            DigestAlgorithm::Sha512,
        ] {
            let hash = digest.digest(b"kyso");
            let (mechanism, input) = signing_input(digest, SignatureScheme::RsaPkcs1v15, &hash);
            assert_eq!(mechanism.mechanism_type(), MechanismType::RSA_PKCS);

            #[derive(der::Sequence)]
            struct DigestInfo {
                algorithm: spki::AlgorithmIdentifierOwned,
                digest: der::asn1::OctetString,
            }
            let expected = DigestInfo {
                algorithm: spki::AlgorithmIdentifierOwned {
                    oid: digest.oid(),
                    parameters: Some(der::Any::null()),
                },
                digest: der::asn1::OctetString::new(hash.clone()).unwrap(),
            }
            .to_der()
            .unwrap();
            assert_eq!(input, expected, "{}", digest.name());
        }
        // The SHA-256 prefix as printed in RFC 8017 §9.2, note 1.
        let known = [
            0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
            0x01, 0x05, 0x00, 0x04, 0x20,
        ];
        let (_, input) = signing_input(
            DigestAlgorithm::Sha256,
            SignatureScheme::RsaPkcs1v15,
            &[0xab; 32],
        );
        assert_eq!(&input[..19], &known);
        assert_eq!(&input[19..], &[0xab; 32]);
    }

    #[test]
    fn pss_uses_mgf1_of_the_same_hash_and_a_hash_long_salt() {
        let (mechanism, input) =
            signing_input(DigestAlgorithm::Sha384, SignatureScheme::RsaPss, &[7; 48]);
        assert_eq!(input, vec![7; 48]);
        match mechanism {
            Mechanism::RsaPkcsPss(params) => {
                assert_eq!(params.hash_alg, MechanismType::SHA384);
                assert_eq!(params.mgf, PkcsMgfType::MGF1_SHA384);
                assert_eq!(usize::from(params.s_len), 48);
            }
            other => panic!("{other:?}"),
        }
        let (mechanism, input) =
            signing_input(DigestAlgorithm::Sha256, SignatureScheme::Ecdsa, &[9; 32]);
        assert_eq!(mechanism.mechanism_type(), MechanismType::ECDSA);
        assert_eq!(input, vec![9; 32]);
    }

    #[test]
    fn ec_params_are_the_curve_oids() {
        let p256 = const_oid::ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
        let p384 = const_oid::ObjectIdentifier::new_unwrap("1.3.132.0.34");
        assert_eq!(p256.to_der().unwrap(), P256_PARAMS);
        assert_eq!(p384.to_der().unwrap(), P384_PARAMS);
    }

    #[test]
    fn ec_point_is_read_wrapped_or_bare_and_never_truncated() {
        let mut bare = vec![0x04];
        // X begins with 0x3f, so the bare point is also a well-formed 63-byte OCTET STRING.
        bare.extend([0x3f; 32]);
        bare.extend([0x02; 32]);
        assert_eq!(ec_point_octets(&bare, 32), Some(bare.as_slice()));
        let misread: der::asn1::OctetString = der::Decode::from_der(&bare).unwrap();
        assert_eq!(misread.as_bytes().len(), 63);
        let wrapped = der::asn1::OctetString::new(bare.clone())
            .unwrap()
            .to_der()
            .unwrap();
        assert_eq!(&wrapped[..2], &[0x04, 0x41]);
        assert_eq!(ec_point_octets(&wrapped, 32), Some(bare.as_slice()));
        // Compressed or cut points are refused rather than guessed at.
        assert_eq!(ec_point_octets(&bare[..33], 32), None);
        assert_eq!(ec_point_octets(&wrapped[..60], 32), None);
        assert_eq!(ec_point_octets(&wrapped, 48), None);
    }

    #[test]
    fn key_kinds_from_token_attributes() {
        let n = [0xc3; 256];
        assert_eq!(
            kind_from_attributes(Some(KeyType::RSA), Some(&n), None).unwrap(),
            KeyKind::Rsa { bits: 2048 }
        );
        assert!(matches!(
            kind_from_attributes(Some(KeyType::RSA), Some(&[0xc3; 128]), None),
            Err(Pkcs11Error::UnsupportedKey { .. })
        ));
        assert_eq!(
            kind_from_attributes(Some(KeyType::EC), None, Some(P256_PARAMS)).unwrap(),
            KeyKind::EcP256
        );
        assert!(kind_from_attributes(Some(KeyType::EC), None, Some(&[0x06, 0x01, 0x00])).is_err());
        assert!(kind_from_attributes(None, None, None).is_err());
    }
}
