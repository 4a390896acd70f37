//! One-time passwords for authorizing a signature: HOTP (RFC 4226), TOTP (RFC 6238) with
//! replay protection, their secrets and `otpauth://` enrollment URIs, and the delivered code
//! for citizens without an authenticator app. Sending the delivered code (SMS, e-mail, the
//! demo outbox) and storing secrets are left to the server and the store.

use openssl::hash::{MessageDigest, hash};
use openssl::pkey::PKey;
use openssl::sign::Signer;
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use super::Secret;

/// Why a one-time password was not accepted, or could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OtpError {
    #[error("the one-time password is wrong")]
    Wrong,
    /// A TOTP code for a time step already used (RFC 6238 §5.2: "the verifier MUST NOT accept
    /// the second attempt of the OTP after the successful validation has been issued").
    #[error("the one-time password was already used; wait for the next one")]
    Replayed,
    #[error("the one-time password has expired; ask for a new one")]
    Expired,
    #[error("the one-time password was already used; ask for a new one")]
    AlreadyUsed,
    #[error("an OTP secret must be base32 (RFC 4648 §6) of at least 16 bytes")]
    BadSecret,
    #[error("a time before the TOTP epoch T0")]
    BeforeEpoch,
    /// Digits outside 1..=9 or a zero time step (e.g. from a corrupted stored setting).
    #[error("unusable OTP parameters")]
    BadParams,
    #[error("cryptographic library failure")]
    Crypto(#[from] openssl::error::ErrorStack),
}

/// The HMAC behind HOTP/TOTP. RFC 4226 uses SHA-1; RFC 6238 §1.2 allows SHA-256 and SHA-512.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum HmacAlgorithm {
    Sha1,
    Sha256,
    Sha512,
}

impl HmacAlgorithm {
    fn digest(self) -> MessageDigest {
        match self {
            HmacAlgorithm::Sha1 => MessageDigest::sha1(),
            HmacAlgorithm::Sha256 => MessageDigest::sha256(),
            HmacAlgorithm::Sha512 => MessageDigest::sha512(),
        }
    }
}

/// HOTP value for `counter` (RFC 4226 §5.3): HMAC, dynamic truncation, modulo 10^digits,
/// left-padded with zeros to `digits` (1..=9) characters.
pub fn hotp(
    key: &[u8],
    counter: u64,
    digits: u32,
    algorithm: HmacAlgorithm,
) -> Result<Secret, OtpError> {
    if !(1..=9).contains(&digits) {
        return Err(OtpError::BadParams);
    }
    // RFC 4226 §5.3 step 1: HS = HMAC(K, C), C an 8-byte big-endian counter.
    let pkey = PKey::hmac(key)?;
    let mut signer = Signer::new(algorithm.digest(), &pkey)?;
    signer.update(&counter.to_be_bytes())?;
    let hs = signer.sign_to_vec()?;
    // Step 2: dynamic truncation — the low 4 bits of the last byte give the offset, and the
    // 31-bit big-endian number there is Snum (the top bit masked off).
    let offset = usize::from(hs[hs.len() - 1] & 0x0f);
    let snum = u32::from_be_bytes([hs[offset], hs[offset + 1], hs[offset + 2], hs[offset + 3]])
        & 0x7fff_ffff;
    // Step 3: D = Snum mod 10^Digit.
    let value = snum % 10u32.pow(digits);
    Ok(Secret::new(format!(
        "{value:0width$}",
        width = digits as usize
    )))
}

/// TOTP parameters (RFC 6238 §4.1): time step X, epoch T0, digits, HMAC, and how many steps
/// either side of now are accepted for clock drift (§5.2 recommends at most one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotpParams {
    pub step_seconds: u32,
    pub t0: i64,
    pub digits: u32,
    pub algorithm: HmacAlgorithm,
    pub window: u32,
}

impl Default for TotpParams {
    /// What authenticator apps assume when the URI says nothing: 30 s, 6 digits, HMAC-SHA1,
    /// with a window of ±1 step.
    fn default() -> TotpParams {
        TotpParams {
            step_seconds: 30,
            t0: 0,
            digits: 6,
            algorithm: HmacAlgorithm::Sha1,
            window: 1,
        }
    }
}

impl TotpParams {
    /// The time step T = floor((unix time − T0) / X) (RFC 6238 §4.2).
    pub fn step_at(&self, now: OffsetDateTime) -> Result<u64, OtpError> {
        if self.step_seconds == 0 {
            return Err(OtpError::BadParams);
        }
        let elapsed = now.unix_timestamp() - self.t0;
        if elapsed < 0 {
            return Err(OtpError::BeforeEpoch);
        }
        Ok(elapsed as u64 / u64::from(self.step_seconds))
    }
}

/// The shared TOTP key of one enrolled user. Its `Debug` is redacted; like [`Secret`] it has
/// no `==`.
#[derive(Clone)]
pub struct TotpSecret(Vec<u8>);

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret([redacted])")
    }
}

/// Length of generated secrets: 160 bits, the HMAC-SHA1 output size RFC 4226 §4 (R6)
/// recommends.
pub const SECRET_LEN: usize = 20;

impl TotpSecret {
    /// A new random secret from OpenSSL's CSPRNG.
    pub fn generate() -> Result<TotpSecret, OtpError> {
        let mut key = vec![0u8; SECRET_LEN];
        openssl::rand::rand_bytes(&mut key)?;
        Ok(TotpSecret(key))
    }

    /// Wraps raw key bytes (e.g. the RFC test seeds, or a stored key).
    pub fn from_bytes(key: Vec<u8>) -> TotpSecret {
        TotpSecret(key)
    }

    /// Reads the base32 form users type or apps export (case-insensitive, padding and
    /// spaces ignored). Keys shorter than 128 bits (RFC 4226 §4 R6) are refused.
    pub fn from_base32(text: &str) -> Result<TotpSecret, OtpError> {
        let key = base32_decode(text).ok_or(OtpError::BadSecret)?;
        if key.len() < 16 {
            return Err(OtpError::BadSecret);
        }
        Ok(TotpSecret(key))
    }

    /// The raw key, for the store to persist (encrypted at rest is the store's business).
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// Base32 without padding, as `otpauth://` URIs carry it.
    pub fn to_base32(&self) -> Secret {
        Secret::new(base32_encode(&self.0))
    }

    /// The enrollment URI authenticator apps read from a QR code (Google Authenticator key
    /// URI format): `otpauth://totp/kyso:{account}?secret=…&issuer=kyso`. The account is
    /// percent-encoded (RFC 3986 §2.1). It contains the secret, hence [`Secret`].
    pub fn otpauth_uri(&self, account: &str) -> Secret {
        Secret::new(format!(
            "otpauth://totp/kyso:{}?secret={}&issuer=kyso",
            percent_encode(account),
            base32_encode(&self.0)
        ))
    }

    /// The TOTP value at `now` (RFC 6238 §4.2: TOTP = HOTP(K, T)).
    pub fn code_at(&self, params: &TotpParams, now: OffsetDateTime) -> Result<Secret, OtpError> {
        hotp(
            &self.0,
            params.step_at(now)?,
            params.digits,
            params.algorithm,
        )
    }

    /// Checks `code` against the steps within `params.window` of `now`, refusing any step at
    /// or before `last_accepted_step` (the one stored after the previous success), so a code
    /// seen once cannot be replayed (RFC 6238 §5.2). Returns the step to store on success.
    pub fn verify(
        &self,
        params: &TotpParams,
        code: &Secret,
        now: OffsetDateTime,
        last_accepted_step: Option<u64>,
    ) -> Result<u64, OtpError> {
        let current = params.step_at(now)?;
        let window = u64::from(params.window);
        let mut fresh = None;
        let mut replayed = false;
        // Every candidate is computed and compared, so the time taken does not tell which
        // step (if any) matched.
        for step in current.saturating_sub(window)..=current.saturating_add(window) {
            let expected = hotp(&self.0, step, params.digits, params.algorithm)?;
            if constant_time_eq(expected.expose().as_bytes(), code.expose().as_bytes()) {
                if last_accepted_step.is_some_and(|last| step <= last) {
                    replayed = true;
                } else if fresh.is_none() {
                    fresh = Some(step);
                }
            }
        }
        match (fresh, replayed) {
            (Some(step), _) => Ok(step),
            (None, true) => Err(OtpError::Replayed),
            (None, false) => Err(OtpError::Wrong),
        }
    }
}

/// Equal-length byte strings compared in constant time (`CRYPTO_memcmp`); different lengths
/// are unequal at once, which reveals only the length.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && openssl::memcmp::eq(a, b)
}

/// How long a delivered code stays valid.
pub const DELIVERED_CODE_LIFETIME: Duration = Duration::minutes(5);
/// Digits of a delivered code.
pub const DELIVERED_CODE_DIGITS: usize = 6;

/// A one-time code sent to a citizen without an authenticator (by SMS or e-mail; the demo
/// outbox). Only a salted SHA-256 of the code is kept; it expires after
/// [`DELIVERED_CODE_LIFETIME`] and works once.
///
/// Six digits are only 10^6 possibilities: the salt stops precomputed tables, not a search of
/// a stolen row. What protects the code is its short life and the lockout after 5 failures.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveredCode {
    salt: [u8; 16],
    digest: [u8; 32],
    #[serde(with = "time::serde::rfc3339")]
    expires_at: OffsetDateTime,
    used: bool,
}

impl std::fmt::Debug for DeliveredCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeliveredCode")
            .field("expires_at", &self.expires_at)
            .field("used", &self.used)
            .finish_non_exhaustive()
    }
}

impl DeliveredCode {
    /// Draws a new code at `now`. Returns what to keep and the code to deliver.
    pub fn issue(now: OffsetDateTime) -> Result<(DeliveredCode, Secret), OtpError> {
        let code = Secret::new(random_digits(DELIVERED_CODE_DIGITS)?);
        let mut salt = [0u8; 16];
        openssl::rand::rand_bytes(&mut salt)?;
        let digest = salted_digest(&salt, &code)?;
        Ok((
            DeliveredCode {
                salt,
                digest,
                expires_at: now + DELIVERED_CODE_LIFETIME,
                used: false,
            },
            code,
        ))
    }

    pub fn expires_at(&self) -> OffsetDateTime {
        self.expires_at
    }

    /// Checks `code` at `now`; on success the code is spent. A wrong code does not spend it
    /// (the lockout counter limits guessing).
    pub fn verify(&mut self, code: &Secret, now: OffsetDateTime) -> Result<(), OtpError> {
        if self.used {
            return Err(OtpError::AlreadyUsed);
        }
        if now >= self.expires_at {
            return Err(OtpError::Expired);
        }
        let digest = salted_digest(&self.salt, code)?;
        if !constant_time_eq(&digest, &self.digest) {
            return Err(OtpError::Wrong);
        }
        self.used = true;
        Ok(())
    }
}

fn salted_digest(salt: &[u8; 16], code: &Secret) -> Result<[u8; 32], OtpError> {
    let mut input = Vec::with_capacity(salt.len() + code.expose().len());
    input.extend_from_slice(salt);
    input.extend_from_slice(code.expose().as_bytes());
    let digest = hash(MessageDigest::sha256(), &input)?;
    let mut out = [0u8; 32];
    out.copy_from_slice(&digest);
    Ok(out)
}

/// `count` uniformly random decimal digits: 32-bit draws at or above the largest multiple
/// of 10^9 are drawn again, so no digit is favoured (no modulo bias).
fn random_digits(count: usize) -> Result<String, OtpError> {
    const LIMIT: u32 = 4_000_000_000; // 4 × 10^9 ≤ 2^32
    let mut digits = String::with_capacity(count);
    while digits.len() < count {
        let mut bytes = [0u8; 4];
        openssl::rand::rand_bytes(&mut bytes)?;
        let draw = u32::from_be_bytes(bytes);
        if draw >= LIMIT {
            continue;
        }
        let chunk = format!("{:09}", draw % 1_000_000_000);
        let take = (count - digits.len()).min(chunk.len());
        digits.push_str(&chunk[..take]);
    }
    Ok(digits)
}

const BASE32_ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// Base32 (RFC 4648 §6) without the `=` padding (the key URI format leaves it out).
pub fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for &byte in bytes {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(BASE32_ALPHABET[((buffer >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(BASE32_ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// Base32 (RFC 4648 §6), accepting lower case, spaces, and trailing padding. `None` for any
/// other character or an impossible length.
pub fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let mut buffer: u32 = 0;
    let mut bits = 0;
    let mut count = 0usize;
    let trimmed = text.trim_end_matches('=');
    for c in trimmed.chars().filter(|c| *c != ' ') {
        let upper = c.to_ascii_uppercase();
        let value = BASE32_ALPHABET.iter().position(|&a| a as char == upper)? as u32;
        buffer = (buffer << 5) | value;
        bits += 5;
        count += 1;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
        buffer &= (1 << bits) - 1;
    }
    // RFC 4648 §6: a final quantum has 2, 4, 5 or 7 characters (or none).
    if matches!(count % 8, 1 | 3 | 6) {
        return None;
    }
    Some(out)
}

/// Percent-encodes all but RFC 3986 §2.3 unreserved characters.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(unix: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(unix).unwrap()
    }

    const RFC_SEED_SHA1: &[u8] = b"12345678901234567890";

    #[test]
    fn rfc4226_appendix_d_hotp_values() {
        let expected = [
            "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583",
            "399871", "520489",
        ];
        for (counter, want) in expected.iter().enumerate() {
            let got = hotp(RFC_SEED_SHA1, counter as u64, 6, HmacAlgorithm::Sha1).unwrap();
            assert_eq!(got.expose(), *want, "count {counter}");
        }
    }

    #[test]
    fn rfc6238_appendix_b_totp_values() {
        let seed256 = b"12345678901234567890123456789012";
        let seed512 =
            b"1234567890123456789012345678901234567890123456789012345678901234".as_slice();
        // (time, SHA1, SHA256, SHA512), all 8 digits.
        let table = [
            (59, "94287082", "46119246", "90693936"),
            (1111111109, "07081804", "68084774", "25091201"),
            (1111111111, "14050471", "67062674", "99943326"),
            (1234567890, "89005924", "91819424", "93441116"),
            (2000000000, "69279037", "90698825", "38618901"),
            (20000000000, "65353130", "77737706", "47863826"),
        ];
        for (time, sha1, sha256, sha512) in table {
            for (seed, algorithm, want) in [
                (RFC_SEED_SHA1, HmacAlgorithm::Sha1, sha1),
                (seed256.as_slice(), HmacAlgorithm::Sha256, sha256),
                (seed512, HmacAlgorithm::Sha512, sha512),
            ] {
                let params = TotpParams {
                    digits: 8,
                    algorithm,
                    ..TotpParams::default()
                };
                let secret = TotpSecret::from_bytes(seed.to_vec());
                let code = secret.code_at(&params, at(time)).unwrap();
                assert_eq!(code.expose(), want, "T={time} {algorithm:?}");
            }
        }
    }

    #[test]
    fn totp_accepts_one_step_of_drift_and_not_two() {
        let secret = TotpSecret::generate().unwrap();
        let params = TotpParams::default();
        let now = at(1_800_000_015);
        let step = params.step_at(now).unwrap();
        for (offset, accepted) in [
            (-60, false),
            (-30, true),
            (0, true),
            (30, true),
            (60, false),
        ] {
            let code = secret.code_at(&params, at(1_800_000_015 + offset)).unwrap();
            let result = secret.verify(&params, &code, now, None);
            assert_eq!(result.is_ok(), accepted, "offset {offset}: {result:?}");
            if accepted {
                assert_eq!(result.unwrap() as i64, step as i64 + offset / 30);
            }
        }
    }

    #[test]
    fn totp_refuses_a_replayed_step_and_an_older_one() {
        let secret = TotpSecret::generate().unwrap();
        let params = TotpParams::default();
        let now = at(1_800_000_000);
        let code = secret.code_at(&params, now).unwrap();
        let step = secret.verify(&params, &code, now, None).unwrap();
        // Same code again, even a few seconds later within its step: refused.
        let again = secret.verify(&params, &code, at(1_800_000_005), Some(step));
        assert!(matches!(again, Err(OtpError::Replayed)), "{again:?}");
        // The previous step's code is still inside the window but older than the last use.
        let older = secret.code_at(&params, at(1_800_000_000 - 30)).unwrap();
        let result = secret.verify(&params, &older, now, Some(step));
        assert!(matches!(result, Err(OtpError::Replayed)), "{result:?}");
        // The next step's code is accepted and moves the mark on.
        let later = at(1_800_000_030);
        let next = secret.code_at(&params, later).unwrap();
        assert_eq!(
            secret.verify(&params, &next, later, Some(step)).unwrap(),
            step + 1
        );
    }

    #[test]
    fn totp_refuses_wrong_and_malformed_codes() {
        let secret = TotpSecret::from_bytes(RFC_SEED_SHA1.to_vec());
        let params = TotpParams::default();
        let now = at(59);
        let right = secret.code_at(&params, now).unwrap();
        assert_eq!(right.expose(), "287082"); // RFC 6238's 94287082, cut to 6 digits.
        for wrong in ["287083", "", "28708", "2870820", "94287082", "abcdef"] {
            let result = secret.verify(&params, &Secret::from(wrong), now, None);
            assert!(
                matches!(result, Err(OtpError::Wrong)),
                "{wrong}: {result:?}"
            );
        }
        assert!(matches!(
            secret.verify(&params, &right, at(-1), None),
            Err(OtpError::BeforeEpoch)
        ));
        for bad in [
            TotpParams {
                digits: 0,
                ..params
            },
            TotpParams {
                digits: 10,
                ..params
            },
            TotpParams {
                step_seconds: 0,
                ..params
            },
        ] {
            assert!(matches!(
                secret.verify(&bad, &right, now, None),
                Err(OtpError::BadParams)
            ));
        }
    }

    #[test]
    fn base32_rfc4648_section_10_vectors_without_padding() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "MY"),
            ("fo", "MZXQ"),
            ("foo", "MZXW6"),
            ("foob", "MZXW6YQ"),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI"),
        ] {
            assert_eq!(base32_encode(plain.as_bytes()), encoded);
            assert_eq!(base32_decode(encoded).unwrap(), plain.as_bytes());
        }
        // Padding, lower case and spaces are accepted on input.
        assert_eq!(base32_decode("mzxw 6ytb oi======").unwrap(), b"foobar");
        assert_eq!(base32_decode("MZXW1"), None); // 1 is not in the alphabet
        assert_eq!(base32_decode("MZX"), None); // 3 characters cannot end a quantum
    }

    #[test]
    fn generated_secret_round_trips_through_the_otpauth_uri() {
        let secret = TotpSecret::generate().unwrap();
        assert_eq!(secret.expose().len(), SECRET_LEN);
        assert_ne!(secret.expose(), TotpSecret::generate().unwrap().expose());
        let encoded = secret.to_base32();
        assert_eq!(encoded.expose().len(), 32);
        assert_eq!(
            TotpSecret::from_base32(encoded.expose()).unwrap().expose(),
            secret.expose()
        );
        let uri = secret.otpauth_uri("Nguyễn Văn A");
        assert_eq!(
            uri.expose(),
            format!(
                "otpauth://totp/kyso:Nguy%E1%BB%85n%20V%C4%83n%20A?secret={}&issuer=kyso",
                encoded.expose()
            )
        );
        assert_eq!(format!("{secret:?}"), "TotpSecret([redacted])");
        assert!(matches!(
            TotpSecret::from_base32("MZXW6YTBOI"),
            Err(OtpError::BadSecret)
        ));
    }

    #[test]
    fn delivered_code_works_once_within_five_minutes() {
        let now = at(1_800_000_000);
        let (mut stored, code) = DeliveredCode::issue(now).unwrap();
        assert_eq!(code.expose().len(), 6);
        assert!(code.expose().bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(stored.expires_at(), now + Duration::minutes(5));
        let debug = format!("{stored:?}");
        assert!(
            !debug.contains(code.expose()) && !debug.contains("digest"),
            "{debug}"
        );

        let wrong = Secret::new(if code.expose() == "000000" {
            "000001"
        } else {
            "000000"
        });
        assert!(matches!(stored.verify(&wrong, now), Err(OtpError::Wrong)));
        stored.verify(&code, now + Duration::seconds(299)).unwrap();
        assert!(matches!(
            stored.verify(&code, now + Duration::seconds(300)),
            Err(OtpError::AlreadyUsed)
        ));

        let (mut late, code) = DeliveredCode::issue(now).unwrap();
        assert!(matches!(
            late.verify(&code, now + Duration::minutes(5)),
            Err(OtpError::Expired)
        ));
    }

    #[test]
    fn delivered_code_survives_serialization_without_the_code() {
        let now = at(1_800_000_000);
        let (stored, code) = DeliveredCode::issue(now).unwrap();
        let json = serde_json::to_string(&stored).unwrap();
        assert!(
            json.contains("\"expires_at\":\"2027-01-15T08:05:00Z\""),
            "{json}"
        );
        let mut back: DeliveredCode = serde_json::from_str(&json).unwrap();
        back.verify(&code, now).unwrap();
    }

    #[test]
    fn random_digits_are_digits_and_vary() {
        let a = random_digits(6).unwrap();
        let long = random_digits(20).unwrap();
        assert_eq!(long.len(), 20);
        assert!(long.bytes().all(|b| b.is_ascii_digit()));
        let draws: std::collections::HashSet<String> =
            (0..50).map(|_| random_digits(6).unwrap()).collect();
        assert!(draws.len() > 45, "{a}");
    }
}
