//! RFC 5280 certificate revocation lists: issuing them for the test PKI from a CA database in
//! the `openssl ca` index format, and reading and checking CRLs fetched from anywhere. Fetching
//! is left to `pki::revocation`, reading files to the caller.

use const_oid::AssociatedOid;
use const_oid::db::rfc5912;
use der::asn1::{BitString, OctetString};
use der::{Decode, Encode};
use openssl::error::ErrorStack;
use openssl::pkey::{Id, PKeyRef, Private};
use spki::AlgorithmIdentifierOwned;
use time::OffsetDateTime;
use x509_cert::Version;
use x509_cert::crl::{CertificateList, RevokedCert, TbsCertList};
use x509_cert::ext::pkix::{AuthorityKeyIdentifier, CrlNumber, CrlReason, KeyUsage};
use x509_cert::ext::{AsExtension, Extension};
use x509_cert::serial_number::SerialNumber;

use super::chain::{
    ParsedCertificate, SignatureError, display_name, display_time, from_x509_time, signed_parts,
    to_x509_time, verify_signature,
};
use super::key::issuer_digest;

/// Clocks of the CRL issuer and of the relying party may differ by this much before a
/// thisUpdate "in the future" is refused.
const CLOCK_SKEW: time::Duration = time::Duration::minutes(5);

/// Why a CRL could not be issued, read or trusted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CrlError {
    #[error("the CRL cannot be read ({source})")]
    Malformed {
        #[source]
        source: der::Error,
    },
    #[error("the issuer certificate cannot be read ({source})")]
    MalformedIssuer {
        #[source]
        source: der::Error,
    },
    #[error("the CRL was issued by {crl_issuer}, not by {expected}")]
    IssuerMismatch {
        crl_issuer: String,
        expected: String,
    },
    #[error("{issuer} is not allowed to sign CRLs (key usage lacks cRLSign)")]
    NotACrlIssuer { issuer: String },
    #[error("the CRL of {issuer} does not carry a valid signature: {source}")]
    BadSignature {
        issuer: String,
        #[source]
        source: SignatureError,
    },
    #[error("the CRL of {issuer} is dated {}, in the future", display_time(*this_update))]
    NotYetValid {
        issuer: String,
        this_update: OffsetDateTime,
    },
    #[error(
        "the CRL of {issuer} is out of date: a newer one was due on {}",
        display_time(*next_update)
    )]
    Stale {
        issuer: String,
        next_update: OffsetDateTime,
    },
    #[error("the CRL of {issuer} has a critical extension {oid} that kyso cannot process")]
    UnknownCriticalExtension {
        issuer: String,
        oid: const_oid::ObjectIdentifier,
    },
    #[error("line {line} of the CA database is not in `openssl ca` index format: {problem}")]
    Database {
        line: usize,
        problem: DatabaseProblem,
    },
    #[error("the private key does not belong to the issuer certificate")]
    KeyMismatch,
    #[error("the time {unix} (Unix seconds) cannot be written into a CRL")]
    TimeOutOfRange { unix: i64 },
    #[error("OpenSSL failed while signing the CRL")]
    Signing {
        #[source]
        source: ErrorStack,
    },
    #[error("the CRL cannot be encoded ({source})")]
    Encoding {
        #[source]
        source: der::Error,
    },
}

/// What is wrong with one line of an `openssl ca` index file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DatabaseProblem {
    #[error("expected 6 tab-separated fields, found {found}")]
    FieldCount { found: usize },
    #[error("unknown status '{status}' (expected V, R or E)")]
    Status { status: String },
    #[error("'{value}' is not a time in YYMMDDHHMMSSZ form")]
    Time { value: String },
    #[error("'{value}' is not a hexadecimal serial number")]
    Serial { value: String },
    #[error("'{value}' is not a revocation reason")]
    Reason { value: String },
    #[error("a revoked entry has no revocation time")]
    MissingRevocation,
}

/// When and why a certificate was revoked (RFC 5280 §5.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Revocation {
    pub time: OffsetDateTime,
    pub reason: Option<CrlReason>,
}

/// One certificate in a CA database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseEntry {
    /// The serial number as unsigned big-endian octets without leading zeros.
    pub serial: Vec<u8>,
    pub expires: OffsetDateTime,
    pub revoked: Option<Revocation>,
    /// The subject as `openssl ca` writes it (`/C=VN/CN=...`), for logs.
    pub subject: String,
}

/// Reads a CA database in the `openssl ca` index format: per line status (V valid, R revoked,
/// E expired), expiry, revocation time with optional reason, serial in hex, file name,
/// subject, separated by tabs.
pub fn parse_database(text: &str) -> Result<Vec<DatabaseEntry>, CrlError> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(index, line)| {
            parse_database_line(line).map_err(|problem| CrlError::Database {
                line: index + 1,
                problem,
            })
        })
        .collect()
}

fn parse_database_line(line: &str) -> Result<DatabaseEntry, DatabaseProblem> {
    let fields: Vec<&str> = line.split('\t').collect();
    let [status, expiry, revocation, serial, _file, subject] = fields[..] else {
        return Err(DatabaseProblem::FieldCount {
            found: fields.len(),
        });
    };
    let expires = parse_index_time(expiry)?;
    let serial = parse_hex_serial(serial)?;
    let revoked = match status {
        "V" | "E" => None,
        "R" => {
            // "time[,reason[,compromise time or hold instruction]]"
            let mut parts = revocation.split(',');
            let time = match parts.next() {
                Some(t) if !t.is_empty() => parse_index_time(t)?,
                _ => return Err(DatabaseProblem::MissingRevocation),
            };
            let reason = parts.next().map(parse_reason).transpose()?;
            Some(Revocation { time, reason })
        }
        other => {
            return Err(DatabaseProblem::Status {
                status: other.to_owned(),
            });
        }
    };
    Ok(DatabaseEntry {
        serial,
        expires,
        revoked,
        subject: subject.to_owned(),
    })
}

/// `YYMMDDHHMMSSZ` (UTCTime, years 1950–2049) or `YYYYMMDDHHMMSSZ` (GeneralizedTime), the two
/// forms `openssl ca` writes.
fn parse_index_time(value: &str) -> Result<OffsetDateTime, DatabaseProblem> {
    let bad = || DatabaseProblem::Time {
        value: value.to_owned(),
    };
    let digits = value.strip_suffix('Z').ok_or_else(bad)?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let number = |range: std::ops::Range<usize>| -> Result<u32, DatabaseProblem> {
        digits
            .get(range)
            .and_then(|d| d.parse().ok())
            .ok_or_else(bad)
    };
    let (year, rest) = match digits.len() {
        12 => {
            let yy = number(0..2)?;
            (if yy < 50 { 2000 + yy } else { 1900 + yy }, 2)
        }
        14 => (number(0..4)?, 4),
        _ => return Err(bad()),
    };
    let field = |i: usize| number(rest + 2 * i..rest + 2 * i + 2);
    let month =
        time::Month::try_from(u8::try_from(field(0)?).map_err(|_| bad())?).map_err(|_| bad())?;
    let date =
        time::Date::from_calendar_date(year as i32, month, field(1)? as u8).map_err(|_| bad())?;
    let clock = time::Time::from_hms(field(2)? as u8, field(3)? as u8, field(4)? as u8)
        .map_err(|_| bad())?;
    Ok(date.with_time(clock).assume_utc())
}

fn parse_hex_serial(value: &str) -> Result<Vec<u8>, DatabaseProblem> {
    let bad = || DatabaseProblem::Serial {
        value: value.to_owned(),
    };
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad());
    }
    let padded = if value.len() % 2 == 1 {
        format!("0{value}")
    } else {
        value.to_owned()
    };
    let bytes = (0..padded.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&padded[i..i + 2], 16).map_err(|_| bad()))
        .collect::<Result<Vec<u8>, _>>()?;
    Ok(strip_leading_zeros(&bytes).to_vec())
}

/// The reason names `openssl ca -crl_reason` accepts (RFC 5280 §5.3.1).
fn parse_reason(value: &str) -> Result<CrlReason, DatabaseProblem> {
    Ok(match value {
        "unspecified" => CrlReason::Unspecified,
        "keyCompromise" => CrlReason::KeyCompromise,
        "CACompromise" => CrlReason::CaCompromise,
        "affiliationChanged" => CrlReason::AffiliationChanged,
        "superseded" => CrlReason::Superseded,
        "cessationOfOperation" => CrlReason::CessationOfOperation,
        "certificateHold" => CrlReason::CertificateHold,
        "removeFromCRL" => CrlReason::RemoveFromCRL,
        "privilegeWithdrawn" => CrlReason::PrivilegeWithdrawn,
        "AACompromise" => CrlReason::AaCompromise,
        _ => {
            return Err(DatabaseProblem::Reason {
                value: value.to_owned(),
            });
        }
    })
}

/// An unsigned big-endian integer without its leading zero octets (keeps one for zero).
pub(crate) fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let first = bytes
        .iter()
        .position(|&b| b != 0)
        .unwrap_or(bytes.len().saturating_sub(1));
    &bytes[first..]
}

/// A DER INTEGER serial number from unsigned octets (X.690 §8.3: a leading zero octet keeps
/// it positive).
pub(crate) fn serial_number(unsigned: &[u8]) -> Result<SerialNumber, der::Error> {
    let magnitude = strip_leading_zeros(unsigned);
    if magnitude.first().is_some_and(|&b| b & 0x80 != 0) {
        let mut positive = Vec::with_capacity(magnitude.len() + 1);
        positive.push(0);
        positive.extend_from_slice(magnitude);
        SerialNumber::new(&positive)
    } else {
        SerialNumber::new(magnitude)
    }
}

/// The AlgorithmIdentifier a key of this type signs with: sha256WithRSAEncryption with NULL
/// parameters (RFC 4055 §5), or ecdsa-with-SHA256/384 without parameters (RFC 5758 §3.2), the
/// digest chosen by [`issuer_digest`].
pub(crate) fn signature_algorithm(key: &PKeyRef<Private>) -> AlgorithmIdentifierOwned {
    let sha384 = issuer_digest(key) == openssl::hash::MessageDigest::sha384();
    match (key.id(), sha384) {
        (Id::EC, true) => AlgorithmIdentifierOwned {
            oid: rfc5912::ECDSA_WITH_SHA_384,
            parameters: None,
        },
        (Id::EC, false) => AlgorithmIdentifierOwned {
            oid: rfc5912::ECDSA_WITH_SHA_256,
            parameters: None,
        },
        _ => AlgorithmIdentifierOwned {
            oid: rfc5912::SHA_256_WITH_RSA_ENCRYPTION,
            parameters: Some(der::asn1::Null.into()),
        },
    }
}

/// Signs `data` as [`signature_algorithm`] names it (ECDSA values come out DER-encoded, as
/// X.509 carries them).
pub(crate) fn sign(key: &PKeyRef<Private>, data: &[u8]) -> Result<Vec<u8>, ErrorStack> {
    let mut signer = openssl::sign::Signer::new(issuer_digest(key), key)?;
    signer.sign_oneshot_to_vec(data)
}

/// The keyIdentifier for an AuthorityKeyIdentifier naming `issuer`: its subjectKeyIdentifier,
/// or else the SHA-1 of its public key (RFC 5280 §4.2.1.2, method 1).
pub(crate) fn authority_key_identifier(issuer: &ParsedCertificate) -> AuthorityKeyIdentifier {
    let key_id = issuer
        .extension::<x509_cert::ext::pkix::SubjectKeyIdentifier>()
        .map(|(_, ski)| ski.0)
        .unwrap_or_else(|| {
            OctetString::new(openssl::sha::sha1(issuer.public_key_bits()).to_vec())
                .expect("20 octets fit an OCTET STRING")
        });
    AuthorityKeyIdentifier {
        key_identifier: Some(key_id),
        authority_cert_issuer: None,
        authority_cert_serial_number: None,
    }
}

/// Issues a v2 CRL (RFC 5280 §5.1) for the CA whose certificate is `issuer_der`, signed with
/// `key`, listing every revoked entry of `entries` with its revocation date and reason code.
/// The CRL number (§5.2.3) is `this_update` in Unix seconds, so it grows with every issue.
pub fn issue_crl(
    issuer_der: &[u8],
    key: &PKeyRef<Private>,
    entries: &[DatabaseEntry],
    this_update: OffsetDateTime,
    next_update: OffsetDateTime,
) -> Result<Vec<u8>, CrlError> {
    let issuer = ParsedCertificate::from_der(issuer_der)
        .map_err(|source| CrlError::MalformedIssuer { source })?;
    let issuer_key = openssl::pkey::PKey::public_key_from_der(&issuer.spki_der())
        .map_err(|source| CrlError::Signing { source })?;
    if !key.public_eq(&issuer_key) {
        return Err(CrlError::KeyMismatch);
    }
    let time = |t: OffsetDateTime| {
        to_x509_time(t).ok_or(CrlError::TimeOutOfRange {
            unix: t.unix_timestamp(),
        })
    };
    let encoding = |source| CrlError::Encoding { source };
    let revoked = entries
        .iter()
        .filter_map(|entry| entry.revoked.map(|r| (entry, r)))
        .map(|(entry, revocation)| {
            // §5.3.1: the reason code is absent rather than "unspecified".
            let extensions = match revocation.reason {
                Some(reason) if reason != CrlReason::Unspecified => Some(vec![
                    reason
                        .to_extension(issuer.subject(), &[])
                        .map_err(encoding)?,
                ]),
                _ => None,
            };
            Ok(RevokedCert {
                serial_number: serial_number(&entry.serial).map_err(encoding)?,
                revocation_date: time(revocation.time)?,
                crl_entry_extensions: extensions,
            })
        })
        .collect::<Result<Vec<_>, CrlError>>()?;
    let number =
        serial_number(&this_update.unix_timestamp().max(0).to_be_bytes()).map_err(encoding)?;
    let crl_number = CrlNumber(der::asn1::Uint::new(number.as_bytes()).map_err(encoding)?);
    let extensions: Vec<Extension> = vec![
        authority_key_identifier(&issuer)
            .to_extension(issuer.subject(), &[])
            .map_err(encoding)?,
        crl_number
            .to_extension(issuer.subject(), &[])
            .map_err(encoding)?,
    ];
    let algorithm = signature_algorithm(key);
    let tbs = TbsCertList {
        version: Version::V2,
        signature: algorithm.clone(),
        issuer: issuer.subject().clone(),
        this_update: time(this_update)?,
        next_update: Some(time(next_update)?),
        // §5.1.2.6: absent, not empty, when nothing is revoked.
        revoked_certificates: (!revoked.is_empty()).then_some(revoked),
        crl_extensions: Some(extensions),
    };
    let tbs_der = tbs.to_der().map_err(encoding)?;
    let signature = sign(key, &tbs_der).map_err(|source| CrlError::Signing { source })?;
    CertificateList {
        tbs_cert_list: tbs,
        signature_algorithm: algorithm,
        signature: BitString::from_bytes(&signature).map_err(encoding)?,
    }
    .to_der()
    .map_err(encoding)
}

/// A CRL as received, decoded.
#[derive(Debug, Clone)]
pub struct Crl {
    der: Vec<u8>,
    list: CertificateList,
}

impl Crl {
    pub fn from_der(der: &[u8]) -> Result<Crl, CrlError> {
        let list =
            CertificateList::from_der(der).map_err(|source| CrlError::Malformed { source })?;
        Ok(Crl {
            der: der.to_vec(),
            list,
        })
    }

    pub fn as_der(&self) -> &[u8] {
        &self.der
    }

    /// The issuer's common name (or whole name), for messages.
    pub fn issuer_name(&self) -> String {
        display_name(&self.list.tbs_cert_list.issuer)
    }

    pub fn this_update(&self) -> OffsetDateTime {
        from_x509_time(self.list.tbs_cert_list.this_update)
    }

    pub fn next_update(&self) -> Option<OffsetDateTime> {
        self.list.tbs_cert_list.next_update.map(from_x509_time)
    }

    /// The CRL number (RFC 5280 §5.2.3) as unsigned big-endian octets.
    pub fn number(&self) -> Option<Vec<u8>> {
        self.extensions()
            .find(|e| e.extn_id == CrlNumber::OID)
            .and_then(|e| CrlNumber::from_der(e.extn_value.as_bytes()).ok())
            .map(|n| strip_leading_zeros(n.0.as_bytes()).to_vec())
    }

    /// How many certificates the CRL lists.
    pub fn revoked_count(&self) -> usize {
        self.list
            .tbs_cert_list
            .revoked_certificates
            .as_ref()
            .map_or(0, Vec::len)
    }

    fn extensions(&self) -> impl Iterator<Item = &Extension> {
        self.list.tbs_cert_list.crl_extensions.iter().flatten()
    }

    /// Checks that the CRL was issued and signed by the CA whose certificate is `issuer_der`
    /// (RFC 5280 §6.3.3 (f), (g)), that `now` lies between thisUpdate and nextUpdate, and that
    /// it has no critical extension kyso does not process (§5.2: such a CRL must not be used;
    /// delta CRLs and issuing distribution points are among them).
    pub fn check(&self, issuer_der: &[u8], now: OffsetDateTime) -> Result<(), CrlError> {
        let issuer = ParsedCertificate::from_der(issuer_der)
            .map_err(|source| CrlError::MalformedIssuer { source })?;
        let crl_issuer = self.issuer_name();
        if &self.list.tbs_cert_list.issuer != issuer.subject() {
            return Err(CrlError::IssuerMismatch {
                crl_issuer,
                expected: issuer.subject_cn(),
            });
        }
        if let Some((_, usage)) = issuer.extension::<KeyUsage>()
            && !usage.crl_sign()
        {
            return Err(CrlError::NotACrlIssuer {
                issuer: issuer.subject_cn(),
            });
        }
        let parts = signed_parts(&self.der).map_err(|source| CrlError::Malformed { source })?;
        verify_signature(
            &issuer.spki_der(),
            &parts.algorithm,
            parts.tbs,
            &parts.signature,
        )
        .map_err(|source| CrlError::BadSignature {
            issuer: crl_issuer.clone(),
            source,
        })?;
        let entry_extensions = self
            .list
            .tbs_cert_list
            .revoked_certificates
            .iter()
            .flatten()
            .flat_map(|r| r.crl_entry_extensions.iter().flatten());
        if let Some(critical) = self
            .extensions()
            .chain(entry_extensions)
            .find(|e| e.critical)
        {
            return Err(CrlError::UnknownCriticalExtension {
                issuer: crl_issuer,
                oid: critical.extn_id,
            });
        }
        if self.this_update() > now + CLOCK_SKEW {
            return Err(CrlError::NotYetValid {
                issuer: crl_issuer,
                this_update: self.this_update(),
            });
        }
        if let Some(next_update) = self.next_update()
            && now > next_update
        {
            return Err(CrlError::Stale {
                issuer: crl_issuer,
                next_update,
            });
        }
        Ok(())
    }

    /// The revocation of the certificate with this serial number (unsigned big-endian octets,
    /// leading zeros ignored), if the CRL lists it.
    pub fn lookup(&self, serial: &[u8]) -> Option<Revocation> {
        let wanted = strip_leading_zeros(serial);
        let entry = self
            .list
            .tbs_cert_list
            .revoked_certificates
            .iter()
            .flatten()
            .find(|r| strip_leading_zeros(r.serial_number.as_bytes()) == wanted)?;
        let reason = entry
            .crl_entry_extensions
            .iter()
            .flatten()
            .find(|e| e.extn_id == CrlReason::OID)
            .and_then(|e| CrlReason::from_der(e.extn_value.as_bytes()).ok());
        Some(Revocation {
            time: from_x509_time(entry.revocation_date),
            reason,
        })
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use openssl::pkey::PKey;
    use openssl::x509::X509;

    use super::*;

    fn read(path: &str) -> Vec<u8> {
        std::fs::read(format!("{}/certs/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    }

    fn cert(path: &str) -> Vec<u8> {
        X509::from_pem(&read(path)).unwrap().to_der().unwrap()
    }

    fn key(path: &str) -> PKey<Private> {
        PKey::private_key_from_pem(&read(path)).unwrap()
    }

    fn public_ca_crl(now: OffsetDateTime) -> Vec<u8> {
        let entries =
            parse_database(std::str::from_utf8(&read("ca/public-ca.index.txt")).unwrap()).unwrap();
        issue_crl(
            &cert("ca/public-ca.pem"),
            &key("ca/public-ca.key.pem"),
            &entries,
            now,
            now + time::Duration::days(7),
        )
        .unwrap()
    }

    #[test]
    fn reads_the_openssl_ca_database() {
        let text = std::str::from_utf8(&read("ca/public-ca.index.txt"))
            .unwrap()
            .to_owned();
        let entries = parse_database(&text).unwrap();
        assert_eq!(entries.len(), 5);
        let revoked: Vec<_> = entries.iter().filter(|e| e.revoked.is_some()).collect();
        assert_eq!(revoked.len(), 1);
        assert!(revoked[0].subject.contains("Lê Hoàng Phúc"));
        let revocation = revoked[0].revoked.unwrap();
        assert_eq!(revocation.reason, Some(CrlReason::KeyCompromise));
        assert_eq!(revocation.time, datetime!(2026-11-21 15:23:23 UTC));
        assert_eq!(revoked[0].serial[0], 0x1b);
        assert_eq!(revoked[0].expires, datetime!(2046-11-17 14:23:23 UTC));

        let bad = parse_database("V\t461117142323Z\t\tXYZ\tunknown\t/CN=x").unwrap_err();
        assert!(matches!(
            bad,
            CrlError::Database {
                line: 1,
                problem: DatabaseProblem::Serial { .. }
            }
        ));
        assert!(matches!(
            parse_database("\nR\t461117142323Z\t\t01\tunknown\t/CN=x"),
            Err(CrlError::Database {
                line: 2,
                problem: DatabaseProblem::MissingRevocation
            })
        ));
        assert!(parse_database("V\t461317142323Z\t\t01\tunknown\t/CN=x").is_err());
        assert!(parse_database("V\t20461117142323Z\t\t01\tunknown\t/CN=x").is_ok());
    }

    #[test]
    fn issues_a_crl_openssl_accepts() {
        let now = datetime!(2026-11-22 16:00:00 UTC);
        let der = public_ca_crl(now);
        let crl = openssl::x509::X509Crl::from_der(&der).unwrap();
        let ca = X509::from_der(&cert("ca/public-ca.pem")).unwrap();
        assert!(crl.verify(&ca.public_key().unwrap()).unwrap());
        let revoked = crl.get_revoked().unwrap();
        assert_eq!(revoked.len(), 1);
        assert_eq!(
            revoked
                .get(0)
                .unwrap()
                .serial_number()
                .to_bn()
                .unwrap()
                .to_hex_str()
                .unwrap()
                .to_string(),
            "1BC9CBB4745E00FBC8EF9818698324B0"
        );
    }

    #[test]
    fn a_p384_ca_signs_with_sha384_and_checks() {
        let now = datetime!(2026-11-22 16:00:00 UTC);
        let der = issue_crl(
            &cert("ca/government-ca.pem"),
            &key("ca/government-ca.key.pem"),
            &[],
            now,
            now + time::Duration::days(7),
        )
        .unwrap();
        let crl = Crl::from_der(&der).unwrap();
        assert_eq!(
            crl.list.signature_algorithm.oid,
            rfc5912::ECDSA_WITH_SHA_384
        );
        assert_eq!(crl.revoked_count(), 0);
        assert_eq!(crl.issuer_name(), "Kyso Test Government CA");
        crl.check(&cert("ca/government-ca.pem"), now).unwrap();
        assert_eq!(
            crl.number(),
            Some(now.unix_timestamp().to_be_bytes()[4..].to_vec())
        );
    }

    #[test]
    fn check_and_lookup() {
        let now = datetime!(2026-11-22 16:00:00 UTC);
        let crl = Crl::from_der(&public_ca_crl(now)).unwrap();
        let issuer = cert("ca/public-ca.pem");
        crl.check(&issuer, now).unwrap();
        assert_eq!(crl.this_update(), now);
        assert_eq!(crl.next_update(), Some(now + time::Duration::days(7)));

        let serial = [
            0x1b, 0xc9, 0xcb, 0xb4, 0x74, 0x5e, 0x00, 0xfb, 0xc8, 0xef, 0x98, 0x18, 0x69, 0x83,
            0x24, 0xb0,
        ];
        let revocation = crl.lookup(&serial).unwrap();
        assert_eq!(revocation.reason, Some(CrlReason::KeyCompromise));
        assert_eq!(revocation.time, datetime!(2026-11-21 15:23:23 UTC));
        let mut with_zero = vec![0];
        with_zero.extend_from_slice(&serial);
        assert!(crl.lookup(&with_zero).is_some());
        assert!(crl.lookup(&[0x66, 0xee]).is_none());

        assert!(matches!(
            crl.check(&issuer, now + time::Duration::days(8)),
            Err(CrlError::Stale { .. })
        ));
        assert!(matches!(
            crl.check(&issuer, now - time::Duration::hours(1)),
            Err(CrlError::NotYetValid { .. })
        ));
        assert!(matches!(
            crl.check(&cert("ca/government-ca.pem"), now),
            Err(CrlError::IssuerMismatch { .. })
        ));
    }

    #[test]
    fn a_tampered_crl_fails_its_signature() {
        let now = datetime!(2026-11-22 16:00:00 UTC);
        let mut der = public_ca_crl(now);
        let last = der.len() - 1;
        der[last] ^= 0x01;
        let crl = Crl::from_der(&der).unwrap();
        assert!(matches!(
            crl.check(&cert("ca/public-ca.pem"), now),
            Err(CrlError::BadSignature { .. })
        ));
    }

    #[test]
    fn the_wrong_key_is_refused() {
        let now = datetime!(2026-11-22 16:00:00 UTC);
        let result = issue_crl(
            &cert("ca/public-ca.pem"),
            &key("ca/government-ca.key.pem"),
            &[],
            now,
            now,
        );
        assert!(matches!(result, Err(CrlError::KeyMismatch)));
        assert!(matches!(
            Crl::from_der(b"\x30\x01\x00"),
            Err(CrlError::Malformed { .. })
        ));
    }
}
