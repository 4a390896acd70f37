//! Signature Activation Data for SCAL2 (CSC API v2 §11.6 `credentials/authorize`, §11.9
//! `signatures/signHash`): a short-lived, single-use token bound to one user, one credential
//! and exactly the hashes the user authorized. Checking the PIN and OTP before issuing, and
//! signing after redeeming, are the server's job; this module only keeps the grants, in memory.

use std::collections::HashMap;
use std::sync::Mutex;

use base64ct::{Base64UrlUnpadded, Encoding};
use const_oid::ObjectIdentifier;
use openssl::hash::{MessageDigest, hash};
use time::{Duration, OffsetDateTime};

use super::Secret;

/// How long a SAD lives unless the store is built with another lifetime.
pub const DEFAULT_SAD_LIFETIME: Duration = Duration::minutes(5);

/// Why a SAD was not issued or not accepted. Never carries the token.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SadError {
    /// SCAL2 authorizes a list of hashes: one per signature (CSC API v2 §11.6, `hashes`).
    #[error("authorize needs as many hashes as numSignatures ({num_signatures}), got {hashes}")]
    HashCount { hashes: usize, num_signatures: u32 },
    #[error("the SAD is unknown or already used")]
    Unknown,
    #[error("the SAD has expired; authorize again")]
    Expired,
    #[error("the SAD was issued to another user")]
    OtherUser,
    #[error("the SAD was issued for another credential")]
    OtherCredential,
    #[error("the SAD authorizes {remaining} more signature(s), {requested} were requested")]
    TooManySignatures { requested: usize, remaining: usize },
    #[error(
        "hash number {index} of the request was not authorized by this SAD, or is already signed"
    )]
    HashNotAuthorized { index: usize },
    #[error("cryptographic library failure")]
    Crypto(#[from] openssl::error::ErrorStack),
}

/// What the user authorized (the body of `credentials/authorize`, after PIN and OTP passed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SadRequest {
    pub user: String,
    pub credential_id: String,
    /// The raw hash values (not base64), one per signature.
    pub hashes: Vec<Vec<u8>>,
    pub hash_algorithm: ObjectIdentifier,
    pub num_signatures: u32,
}

/// An issued SAD: the token to hand to the client and when it expires.
#[derive(Debug, Clone)]
pub struct Sad {
    pub token: Secret,
    pub expires_at: OffsetDateTime,
}

impl Sad {
    /// Seconds left at `now`, for the `expiresIn` field of the authorize response.
    pub fn expires_in(&self, now: OffsetDateTime) -> i64 {
        (self.expires_at - now).whole_seconds().max(0)
    }
}

/// The proof that a signHash request may go ahead: only [`SadStore::redeem`] makes one. It
/// says which hash algorithm was authorized, for the route to check against `signAlgo`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureAuthorization {
    hash_algorithm: ObjectIdentifier,
    signatures: usize,
}

impl SignatureAuthorization {
    pub fn hash_algorithm(&self) -> ObjectIdentifier {
        self.hash_algorithm
    }

    /// How many signatures this redemption covers.
    pub fn signatures(&self) -> usize {
        self.signatures
    }
}

/// One outstanding grant, keyed by the SHA-256 of its token.
#[derive(Debug)]
struct Grant {
    user: String,
    credential_id: String,
    hash_algorithm: ObjectIdentifier,
    /// Authorized hashes not yet signed (a multiset: each entry signs once).
    unsigned: Vec<Vec<u8>>,
    expires_at: OffsetDateTime,
}

/// The outstanding SADs of this server process.
///
/// Only a SHA-256 of each token is kept, so a memory dump or debug print does not yield a
/// usable SAD. Grants die with the process; a restarted server asks users to authorize again.
pub struct SadStore {
    lifetime: Duration,
    grants: Mutex<HashMap<[u8; 32], Grant>>,
}

impl std::fmt::Debug for SadStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SadStore")
            .field("lifetime", &self.lifetime)
            .field("outstanding", &self.outstanding())
            .finish()
    }
}

impl Default for SadStore {
    fn default() -> SadStore {
        SadStore::new(DEFAULT_SAD_LIFETIME)
    }
}

impl SadStore {
    pub fn new(lifetime: Duration) -> SadStore {
        SadStore {
            lifetime,
            grants: Mutex::new(HashMap::new()),
        }
    }

    fn grants(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], Grant>> {
        // Every update below is a single map operation, so a panic elsewhere cannot leave a
        // half-changed grant behind: a poisoned lock is safe to keep using.
        self.grants
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Issues a SAD for `request` at `now`: 32 random bytes, base64url without padding.
    /// Expired grants are swept on the way, so memory stays bounded by the issue rate.
    pub fn issue(&self, request: SadRequest, now: OffsetDateTime) -> Result<Sad, SadError> {
        if request.hashes.is_empty() || request.hashes.len() != request.num_signatures as usize {
            return Err(SadError::HashCount {
                hashes: request.hashes.len(),
                num_signatures: request.num_signatures,
            });
        }
        let mut raw = [0u8; 32];
        openssl::rand::rand_bytes(&mut raw)?;
        let token = Secret::new(Base64UrlUnpadded::encode_string(&raw));
        let key = token_key(&token)?;
        let expires_at = now + self.lifetime;
        let mut grants = self.grants();
        grants.retain(|_, grant| grant.expires_at > now);
        grants.insert(
            key,
            Grant {
                user: request.user,
                credential_id: request.credential_id,
                hash_algorithm: request.hash_algorithm,
                unsigned: request.hashes,
                expires_at,
            },
        );
        Ok(Sad { token, expires_at })
    }

    /// Checks that `sad` lets `user` sign `hashes` with `credential_id` at `now`, and spends
    /// those hashes. All or nothing: a refused request signs none of its hashes.
    ///
    /// A SAD presented by another user or for another credential has leaked: it is revoked.
    /// A hash it does not cover, or too many, is a client mistake: the SAD stays usable for
    /// what it does cover. Once its last hash is signed the SAD is gone.
    pub fn redeem(
        &self,
        sad: &Secret,
        user: &str,
        credential_id: &str,
        hashes: &[Vec<u8>],
        now: OffsetDateTime,
    ) -> Result<SignatureAuthorization, SadError> {
        let key = token_key(sad)?;
        let mut grants = self.grants();
        let grant = grants.get(&key).ok_or(SadError::Unknown)?;
        let refusal = if now >= grant.expires_at {
            Some(SadError::Expired)
        } else if grant.user != user {
            Some(SadError::OtherUser)
        } else if grant.credential_id != credential_id {
            Some(SadError::OtherCredential)
        } else {
            None
        };
        if let Some(refusal) = refusal {
            grants.remove(&key);
            return Err(refusal);
        }
        if hashes.len() > grant.unsigned.len() {
            return Err(SadError::TooManySignatures {
                requested: hashes.len(),
                remaining: grant.unsigned.len(),
            });
        }
        let mut unsigned = grant.unsigned.clone();
        for (index, requested) in hashes.iter().enumerate() {
            match unsigned.iter().position(|h| h == requested) {
                Some(found) => {
                    unsigned.swap_remove(found);
                }
                None => return Err(SadError::HashNotAuthorized { index }),
            }
        }
        let authorization = SignatureAuthorization {
            hash_algorithm: grant.hash_algorithm,
            signatures: hashes.len(),
        };
        if unsigned.is_empty() {
            grants.remove(&key);
        } else if let Some(grant) = grants.get_mut(&key) {
            grant.unsigned = unsigned;
        }
        Ok(authorization)
    }

    /// Drops every grant expired at `now`; returns how many went.
    pub fn sweep(&self, now: OffsetDateTime) -> usize {
        let mut grants = self.grants();
        let before = grants.len();
        grants.retain(|_, grant| grant.expires_at > now);
        before - grants.len()
    }

    /// SADs issued and not yet spent, expired or revoked (expired ones count until swept).
    pub fn outstanding(&self) -> usize {
        self.grants().len()
    }
}

fn token_key(token: &Secret) -> Result<[u8; 32], SadError> {
    let digest = hash(MessageDigest::sha256(), token.expose().as_bytes())?;
    let mut key = [0u8; 32];
    key.copy_from_slice(&digest);
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");

    fn now() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap()
    }

    fn h(byte: u8) -> Vec<u8> {
        vec![byte; 32]
    }

    fn request(hashes: Vec<Vec<u8>>) -> SadRequest {
        SadRequest {
            user: "alice".into(),
            credential_id: "cred-a".into(),
            num_signatures: hashes.len() as u32,
            hashes,
            hash_algorithm: SHA256,
        }
    }

    fn issue(store: &SadStore, hashes: Vec<Vec<u8>>) -> Sad {
        store.issue(request(hashes), now()).unwrap()
    }

    #[test]
    fn token_is_32_random_bytes_in_base64url_and_not_kept() {
        let store = SadStore::default();
        let sad = issue(&store, vec![h(1)]);
        let token = sad.token.expose();
        assert_eq!(token.len(), 43);
        assert_eq!(Base64UrlUnpadded::decode_vec(token).unwrap().len(), 32);
        assert_eq!(sad.expires_at, now() + Duration::minutes(5));
        assert_eq!(sad.expires_in(now()), 300);
        assert_ne!(issue(&store, vec![h(1)]).token.expose(), token);
        assert!(!format!("{store:?}{sad:?}").contains(token));
        let grants = store.grants();
        assert!(
            grants
                .keys()
                .all(|key| Base64UrlUnpadded::encode_string(key) != token)
        );
    }

    #[test]
    fn authorized_hashes_sign_once_each_then_the_sad_is_spent() {
        let store = SadStore::default();
        let sad = issue(&store, vec![h(1), h(2), h(3)]);
        let ok = store
            .redeem(&sad.token, "alice", "cred-a", &[h(2)], now())
            .unwrap();
        assert_eq!(ok.hash_algorithm(), SHA256);
        assert_eq!(ok.signatures(), 1);
        // The same hash a second time: refused, the others still usable.
        assert!(matches!(
            store.redeem(&sad.token, "alice", "cred-a", &[h(2)], now()),
            Err(SadError::HashNotAuthorized { index: 0 })
        ));
        store
            .redeem(&sad.token, "alice", "cred-a", &[h(3), h(1)], now())
            .unwrap();
        assert_eq!(store.outstanding(), 0);
        assert!(matches!(
            store.redeem(&sad.token, "alice", "cred-a", &[h(1)], now()),
            Err(SadError::Unknown)
        ));
    }

    #[test]
    fn refuses_an_unknown_sad() {
        let store = SadStore::default();
        issue(&store, vec![h(1)]);
        assert!(matches!(
            store.redeem(&Secret::from("made-up"), "alice", "cred-a", &[h(1)], now()),
            Err(SadError::Unknown)
        ));
    }

    #[test]
    fn refuses_a_replayed_sad() {
        let store = SadStore::default();
        let sad = issue(&store, vec![h(1)]);
        store
            .redeem(&sad.token, "alice", "cred-a", &[h(1)], now())
            .unwrap();
        assert!(matches!(
            store.redeem(&sad.token, "alice", "cred-a", &[h(1)], now()),
            Err(SadError::Unknown)
        ));
    }

    #[test]
    fn refuses_an_expired_sad_and_forgets_it() {
        let store = SadStore::new(Duration::minutes(2));
        let sad = issue(&store, vec![h(1)]);
        let at_expiry = now() + Duration::minutes(2);
        assert!(matches!(
            store.redeem(&sad.token, "alice", "cred-a", &[h(1)], at_expiry),
            Err(SadError::Expired)
        ));
        assert_eq!(store.outstanding(), 0);
        // One second earlier it would have worked.
        let sad = issue(&store, vec![h(1)]);
        store
            .redeem(
                &sad.token,
                "alice",
                "cred-a",
                &[h(1)],
                at_expiry - Duration::SECOND,
            )
            .unwrap();
    }

    #[test]
    fn refuses_another_user_and_revokes_the_leaked_sad() {
        let store = SadStore::default();
        let sad = issue(&store, vec![h(1)]);
        assert!(matches!(
            store.redeem(&sad.token, "mallory", "cred-a", &[h(1)], now()),
            Err(SadError::OtherUser)
        ));
        assert!(matches!(
            store.redeem(&sad.token, "alice", "cred-a", &[h(1)], now()),
            Err(SadError::Unknown)
        ));
    }

    #[test]
    fn refuses_another_credential_and_revokes_the_sad() {
        let store = SadStore::default();
        let sad = issue(&store, vec![h(1)]);
        assert!(matches!(
            store.redeem(&sad.token, "alice", "cred-b", &[h(1)], now()),
            Err(SadError::OtherCredential)
        ));
        assert_eq!(store.outstanding(), 0);
    }

    #[test]
    fn refuses_a_hash_not_authorized_and_signs_none_of_the_batch() {
        let store = SadStore::default();
        let sad = issue(&store, vec![h(1), h(2)]);
        assert!(matches!(
            store.redeem(&sad.token, "alice", "cred-a", &[h(1), h(9)], now()),
            Err(SadError::HashNotAuthorized { index: 1 })
        ));
        // h(1) was not spent by the refused batch.
        store
            .redeem(&sad.token, "alice", "cred-a", &[h(1), h(2)], now())
            .unwrap();
    }

    #[test]
    fn refuses_more_signatures_than_authorized() {
        let store = SadStore::default();
        let sad = issue(&store, vec![h(1), h(2)]);
        assert!(matches!(
            store.redeem(&sad.token, "alice", "cred-a", &[h(1), h(2), h(1)], now()),
            Err(SadError::TooManySignatures {
                requested: 3,
                remaining: 2
            })
        ));
        // A duplicate within the count: the second copy is not covered.
        assert!(matches!(
            store.redeem(&sad.token, "alice", "cred-a", &[h(1), h(1)], now()),
            Err(SadError::HashNotAuthorized { index: 1 })
        ));
    }

    #[test]
    fn authorize_needs_one_hash_per_signature() {
        let store = SadStore::default();
        let mut bad = request(vec![h(1), h(2)]);
        bad.num_signatures = 3;
        assert!(matches!(
            store.issue(bad, now()),
            Err(SadError::HashCount {
                hashes: 2,
                num_signatures: 3
            })
        ));
        assert!(matches!(
            store.issue(request(vec![]), now()),
            Err(SadError::HashCount { .. })
        ));
    }

    #[test]
    fn sweep_drops_expired_grants_and_issue_sweeps_too() {
        let store = SadStore::default();
        issue(&store, vec![h(1)]);
        issue(&store, vec![h(2)]);
        assert_eq!(store.sweep(now() + Duration::minutes(4)), 0);
        assert_eq!(store.sweep(now() + Duration::minutes(5)), 2);
        issue(&store, vec![h(1)]);
        store
            .issue(request(vec![h(3)]), now() + Duration::minutes(10))
            .unwrap();
        assert_eq!(store.outstanding(), 1);
    }
}
