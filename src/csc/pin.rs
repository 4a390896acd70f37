//! The credential PIN: its policy (6–12 digits), Argon2id hashing into a PHC string and
//! verification. Counting failures is [`super::lockout`]'s job; storing the hash is the
//! store's.

use argon2::{Argon2, PasswordHasher, PasswordVerifier};

use super::Secret;

pub const PIN_MIN_DIGITS: usize = 6;
pub const PIN_MAX_DIGITS: usize = 12;

/// Why a PIN was refused or could not be hashed. Never carries the PIN.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PinError {
    #[error("a PIN must be {PIN_MIN_DIGITS} to {PIN_MAX_DIGITS} digits (0–9)")]
    Policy,
    #[error("a password must be 8 to 128 characters")]
    PasswordPolicy,
    #[error("the PIN is wrong")]
    Wrong,
    #[error("the stored PIN hash is not an Argon2id PHC string")]
    BadHash,
    #[error("cryptographic library failure")]
    Crypto(#[from] openssl::error::ErrorStack),
    #[error("Argon2 failed: {0}")]
    Argon2(argon2::password_hash::Error),
}

/// Checks the PIN policy: ASCII digits only, [`PIN_MIN_DIGITS`]..=[`PIN_MAX_DIGITS`] of them.
pub fn check_policy(pin: &Secret) -> Result<(), PinError> {
    let pin = pin.expose();
    if (PIN_MIN_DIGITS..=PIN_MAX_DIGITS).contains(&pin.len())
        && pin.bytes().all(|b| b.is_ascii_digit())
    {
        Ok(())
    } else {
        Err(PinError::Policy)
    }
}

/// An Argon2id hash of a PIN in PHC string format
/// (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`), what the store keeps. Its `Debug` hides
/// the salt and hash: a 6-digit PIN falls to an offline search of a leaked hash, slowly.
#[derive(Clone, PartialEq, Eq)]
pub struct PinHash(String);

impl std::fmt::Debug for PinHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PinHash(argon2id, [redacted])")
    }
}

impl PinHash {
    /// Hashes a PIN that meets the policy with Argon2id v1.3 at the crate's defaults
    /// (m = 19 MiB, t = 2, p = 1: OWASP's recommended minimum) and a 16-byte salt from
    /// OpenSSL's CSPRNG (RFC 9106 §3.1 asks for 128 bits).
    pub fn new(pin: &Secret) -> Result<PinHash, PinError> {
        check_policy(pin)?;
        let mut salt = [0u8; 16];
        openssl::rand::rand_bytes(&mut salt)?;
        let hash = Argon2::default()
            .hash_password_with_salt(pin.expose().as_bytes(), &salt)
            .map_err(PinError::Argon2)?;
        Ok(PinHash(hash.to_string()))
    }

    /// Hashes a login password the same way. Passwords are 8 to 128 characters; beyond the
    /// length, strength is the account holder's business (NIST SP 800-63B §5.1.1.2).
    pub fn for_password(password: &Secret) -> Result<PinHash, PinError> {
        let length = password.expose().chars().count();
        if !(8..=128).contains(&length) {
            return Err(PinError::PasswordPolicy);
        }
        let mut salt = [0u8; 16];
        openssl::rand::rand_bytes(&mut salt)?;
        let hash = Argon2::default()
            .hash_password_with_salt(password.expose().as_bytes(), &salt)
            .map_err(PinError::Argon2)?;
        Ok(PinHash(hash.to_string()))
    }

    /// A hash read back from the store. Only Argon2id PHC strings are accepted, so a
    /// tampered row cannot downgrade the algorithm.
    pub fn from_phc(phc: String) -> Result<PinHash, PinError> {
        let parsed = argon2::PasswordHash::new(&phc).map_err(|_| PinError::BadHash)?;
        if parsed.algorithm != argon2::ARGON2ID_IDENT || parsed.hash.is_none() {
            return Err(PinError::BadHash);
        }
        Ok(PinHash(phc))
    }

    /// The PHC string to store.
    pub fn as_phc(&self) -> &str {
        &self.0
    }

    /// Checks `pin` against this hash (Argon2's comparison is constant-time).
    pub fn verify(&self, pin: &Secret) -> Result<(), PinError> {
        match Argon2::default().verify_password(pin.expose().as_bytes(), self.0.as_str()) {
            Ok(()) => Ok(()),
            Err(argon2::password_hash::Error::PasswordInvalid) => Err(PinError::Wrong),
            Err(other) => Err(PinError::Argon2(other)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_is_six_to_twelve_digits() {
        for good in ["123456", "000000", "123456789012"] {
            check_policy(&Secret::from(good)).unwrap();
        }
        for bad in [
            "",
            "12345",
            "1234567890123",
            "12345a",
            "12 3456",
            "１２３４５６", // full-width digits
            "-123456",
        ] {
            assert!(
                matches!(check_policy(&Secret::from(bad)), Err(PinError::Policy)),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn hash_verifies_the_right_pin_only() {
        let pin = Secret::from("246810");
        let hash = PinHash::new(&pin).unwrap();
        assert!(hash.as_phc().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        hash.verify(&pin).unwrap();
        assert!(matches!(
            hash.verify(&Secret::from("246811")),
            Err(PinError::Wrong)
        ));
        // Salted: the same PIN hashes differently each time.
        assert_ne!(PinHash::new(&pin).unwrap(), hash);
        // Round trip through the store.
        let back = PinHash::from_phc(hash.as_phc().to_owned()).unwrap();
        back.verify(&pin).unwrap();
        let debug = format!("{back:?}");
        assert!(!debug.contains('$') && !debug.contains("246810"), "{debug}");
    }

    #[test]
    fn hashing_refuses_a_pin_outside_the_policy() {
        assert!(matches!(
            PinHash::new(&Secret::from("1234")),
            Err(PinError::Policy)
        ));
    }

    #[test]
    fn stored_hash_must_be_argon2id() {
        for bad in [
            "",
            "246810",
            "$argon2i$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$qFOw5gFXW3bSqoe5tSxl2A",
            "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA",
        ] {
            assert!(
                matches!(PinHash::from_phc(bad.to_owned()), Err(PinError::BadHash)),
                "{bad:?}"
            );
        }
    }
}
