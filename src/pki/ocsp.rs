//! RFC 6960 OCSP: requests and responses for the client, and a responder for the test PKI that
//! answers from a CA database. Sending requests is left to `pki::revocation` and `net`,
//! serving them over HTTP to `server::trust`.

use const_oid::AssociatedOid;
use const_oid::db::rfc5912;
use der::asn1::{BitString, Null, OctetString};
use der::{Decode, Encode};
use openssl::pkey::{PKey, Private};
use spki::AlgorithmIdentifierOwned;
use time::OffsetDateTime;
use x509_cert::Certificate;
use x509_cert::ext::AsExtension;
use x509_cert::ext::pkix::CrlReason;
use x509_ocsp::ext::Nonce;
use x509_ocsp::{
    BasicOcspResponse, CertId, CertStatus, OcspGeneralizedTime, OcspRequest, OcspResponse,
    OcspResponseStatus, Request, ResponderId, ResponseData, RevokedInfo, SingleResponse,
    TbsRequest, Version,
};

use super::chain::{
    ParsedCertificate, SignatureError, display_time, signed_parts, to_der_date_time,
    verify_signature,
};
use super::crl::{DatabaseEntry, Revocation, strip_leading_zeros};

/// Clocks of the responder and of the relying party may differ by this much before a
/// thisUpdate "in the future" is refused.
const CLOCK_SKEW: time::Duration = time::Duration::minutes(5);

/// How long a response of the test responder stays fresh (its nextUpdate).
const RESPONSE_VALIDITY: time::Duration = time::Duration::days(1);

/// The hash a CertID identifies the issuer with (RFC 6960 §4.1.1). SHA-1 is what the
/// lightweight profile asks for (RFC 5019 §2.1.1) and what most responders understand; it only
/// identifies, it does not sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertIdHash {
    Sha1,
    Sha256,
}

impl CertIdHash {
    fn oid(self) -> const_oid::ObjectIdentifier {
        match self {
            CertIdHash::Sha1 => rfc5912::ID_SHA_1,
            CertIdHash::Sha256 => rfc5912::ID_SHA_256,
        }
    }

    fn from_oid(oid: const_oid::ObjectIdentifier) -> Option<CertIdHash> {
        [CertIdHash::Sha1, CertIdHash::Sha256]
            .into_iter()
            .find(|h| h.oid() == oid)
    }

    fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            CertIdHash::Sha1 => openssl::sha::sha1(data).to_vec(),
            CertIdHash::Sha256 => openssl::sha::sha256(data).to_vec(),
        }
    }
}

/// The status of one certificate (RFC 6960 §2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertificateStatus {
    Good,
    Revoked(Revocation),
    /// The responder does not know the certificate or its issuer.
    Unknown,
}

/// What a checked OCSP response says about one certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OcspStatus {
    pub status: CertificateStatus,
    pub this_update: OffsetDateTime,
    pub next_update: Option<OffsetDateTime>,
    pub produced_at: OffsetDateTime,
    /// The certificate (DER) whose key signed the response: the issuer itself or its
    /// delegated responder.
    pub responder: Vec<u8>,
    /// The nonce the responder echoed (RFC 8954), for the caller to compare with its own.
    pub nonce: Option<Vec<u8>>,
}

/// The responseStatus of an OCSPResponse that carries no answer (RFC 6960 §4.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseStatus {
    MalformedRequest,
    InternalError,
    TryLater,
    SigRequired,
    Unauthorized,
}

/// Why an OCSP request could not be made or a response could not be trusted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OcspError {
    #[error("the {which} certificate cannot be read ({source})")]
    MalformedCertificate {
        which: &'static str,
        #[source]
        source: der::Error,
    },
    #[error("the OCSP response cannot be read ({source})")]
    Malformed {
        #[source]
        source: der::Error,
    },
    #[error("the OCSP responder gave no answer: {status:?}")]
    Unsuccessful { status: ResponseStatus },
    #[error("the OCSP response is of an unsupported type {oid}")]
    UnsupportedResponseType { oid: const_oid::ObjectIdentifier },
    #[error("the OCSP response does not mention the certificate of {subject}")]
    NoResponseForCertificate { subject: String },
    #[error("the OCSP response was signed by a responder that is not among its certificates")]
    UnknownResponder,
    #[error("{responder} is not authorised to answer for certificates of {issuer}")]
    ResponderNotAuthorized { responder: String, issuer: String },
    #[error("the OCSP response of {responder} does not carry a valid signature: {source}")]
    BadSignature {
        responder: String,
        #[source]
        source: SignatureError,
    },
    #[error("the OCSP response is dated {}, in the future", display_time(*this_update))]
    NotYetValid { this_update: OffsetDateTime },
    #[error(
        "the OCSP response is out of date: a newer one was due on {}",
        display_time(*next_update)
    )]
    Stale { next_update: OffsetDateTime },
    #[error("the private key does not belong to the responder certificate")]
    KeyMismatch,
    #[error("the OCSP message cannot be encoded ({source})")]
    Encoding {
        #[source]
        source: der::Error,
    },
}

fn malformed_certificate(which: &'static str) -> impl Fn(der::Error) -> OcspError {
    move |source| OcspError::MalformedCertificate { which, source }
}

/// The CertID of `cert` issued by `issuer` (RFC 6960 §4.1.1): hashes of the issuer's name and
/// of its subjectPublicKey bits, and the serial number.
fn cert_id(
    cert: &ParsedCertificate,
    issuer: &ParsedCertificate,
    hash: CertIdHash,
) -> Result<CertId, der::Error> {
    Ok(CertId {
        hash_algorithm: AlgorithmIdentifierOwned {
            oid: hash.oid(),
            parameters: Some(Null.into()),
        },
        issuer_name_hash: OctetString::new(hash.digest(&cert.issuer().to_der()?))?,
        issuer_key_hash: OctetString::new(hash.digest(issuer.public_key_bits()))?,
        serial_number: cert.cert.tbs_certificate.serial_number.clone(),
    })
}

/// Whether `id` names a certificate issued by `issuer`, whatever hash it uses.
fn identifies_issuer(id: &CertId, issuer: &ParsedCertificate) -> bool {
    let Some(hash) = CertIdHash::from_oid(id.hash_algorithm.oid) else {
        return false;
    };
    let Ok(name) = issuer.subject().to_der() else {
        return false;
    };
    id.issuer_name_hash.as_bytes() == hash.digest(&name).as_slice()
        && id.issuer_key_hash.as_bytes() == hash.digest(issuer.public_key_bits()).as_slice()
}

/// An OCSPRequest (RFC 6960 §4.1.1) for `cert_der` issued by `issuer_der`, unsigned, with a
/// nonce extension (RFC 8954 §2.1) when `nonce` is given.
pub fn request(
    cert_der: &[u8],
    issuer_der: &[u8],
    hash: CertIdHash,
    nonce: Option<&[u8]>,
) -> Result<Vec<u8>, OcspError> {
    let cert = ParsedCertificate::from_der(cert_der).map_err(malformed_certificate("checked"))?;
    let issuer =
        ParsedCertificate::from_der(issuer_der).map_err(malformed_certificate("issuer"))?;
    let encoding = |source| OcspError::Encoding { source };
    let request_extensions = match nonce {
        Some(nonce) => Some(vec![
            Nonce::new(nonce)
                .and_then(|n| n.to_extension(issuer.subject(), &[]))
                .map_err(encoding)?,
        ]),
        None => None,
    };
    OcspRequest {
        tbs_request: TbsRequest {
            version: Version::V1,
            requestor_name: None,
            request_list: vec![Request {
                req_cert: cert_id(&cert, &issuer, hash).map_err(encoding)?,
                single_request_extensions: None,
            }],
            request_extensions,
        },
        optional_signature: None,
    }
    .to_der()
    .map_err(encoding)
}

/// Whether the ResponderID names `cert`, by name or by the SHA-1 of its key (§4.2.2.3).
fn responder_is(id: &ResponderId, cert: &ParsedCertificate) -> bool {
    match id {
        ResponderId::ByName(name) => name == cert.subject(),
        ResponderId::ByKey(hash) => {
            hash.as_bytes() == openssl::sha::sha1(cert.public_key_bits()).as_slice()
        }
    }
}

fn generalized(time: OcspGeneralizedTime) -> OffsetDateTime {
    let seconds = i64::try_from(time.0.to_unix_duration().as_secs()).unwrap_or(i64::MAX);
    OffsetDateTime::from_unix_timestamp(seconds).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// Reads an OCSPResponse about `cert_der` (issued by `issuer_der`) and checks it at `now`
/// (RFC 6960 §3.2): a basic response that covers the certificate, signed by the issuer or by
/// a delegated responder that the issuer certified with id-kp-OCSPSigning (§4.2.2.2), current
/// at `now`. The revocation status of a delegated responder is not checked: the test PKI's
/// responders carry id-pkix-ocsp-nocheck (§4.2.2.2.1).
pub fn parse_response(
    response_der: &[u8],
    cert_der: &[u8],
    issuer_der: &[u8],
    now: OffsetDateTime,
) -> Result<OcspStatus, OcspError> {
    let cert = ParsedCertificate::from_der(cert_der).map_err(malformed_certificate("checked"))?;
    let issuer =
        ParsedCertificate::from_der(issuer_der).map_err(malformed_certificate("issuer"))?;
    let malformed = |source| OcspError::Malformed { source };
    let response = OcspResponse::from_der(response_der).map_err(malformed)?;
    let status = match response.response_status {
        OcspResponseStatus::Successful => None,
        OcspResponseStatus::MalformedRequest => Some(ResponseStatus::MalformedRequest),
        OcspResponseStatus::InternalError => Some(ResponseStatus::InternalError),
        OcspResponseStatus::TryLater => Some(ResponseStatus::TryLater),
        OcspResponseStatus::SigRequired => Some(ResponseStatus::SigRequired),
        OcspResponseStatus::Unauthorized => Some(ResponseStatus::Unauthorized),
    };
    if let Some(status) = status {
        return Err(OcspError::Unsuccessful { status });
    }
    let bytes = response
        .response_bytes
        .ok_or(der::Tag::Sequence.value_error())
        .map_err(malformed)?;
    if bytes.response_type != BasicOcspResponse::OID {
        return Err(OcspError::UnsupportedResponseType {
            oid: bytes.response_type,
        });
    }
    let basic_der = bytes.response.as_bytes();
    let basic = BasicOcspResponse::from_der(basic_der).map_err(malformed)?;
    let parts = signed_parts(basic_der).map_err(malformed)?;
    let data = &basic.tbs_response_data;

    let single = data
        .responses
        .iter()
        .find(|single| {
            identifies_issuer(&single.cert_id, &issuer)
                && strip_leading_zeros(single.cert_id.serial_number.as_bytes())
                    == strip_leading_zeros(cert.cert.tbs_certificate.serial_number.as_bytes())
        })
        .ok_or_else(|| OcspError::NoResponseForCertificate {
            subject: cert.subject_cn(),
        })?;

    let responder = find_responder(&basic, &issuer, now)?;
    verify_signature(
        &responder.spki_der(),
        &parts.algorithm,
        parts.tbs,
        &parts.signature,
    )
    .map_err(|source| OcspError::BadSignature {
        responder: responder.subject_cn(),
        source,
    })?;

    let this_update = generalized(single.this_update);
    let next_update = single.next_update.map(generalized);
    if this_update > now + CLOCK_SKEW {
        return Err(OcspError::NotYetValid { this_update });
    }
    if let Some(next_update) = next_update
        && now > next_update
    {
        return Err(OcspError::Stale { next_update });
    }
    let status = match single.cert_status {
        CertStatus::Good(_) => CertificateStatus::Good,
        CertStatus::Unknown(_) => CertificateStatus::Unknown,
        CertStatus::Revoked(info) => CertificateStatus::Revoked(Revocation {
            time: generalized(info.revocation_time),
            reason: info.revocation_reason,
        }),
    };
    Ok(OcspStatus {
        status,
        this_update,
        next_update,
        produced_at: generalized(data.produced_at),
        responder: responder.der,
        nonce: data.nonce().map(|n| n.0.as_bytes().to_vec()),
    })
}

/// The certificate whose key signed `basic`: the issuer, or a certificate in `certs` that the
/// issuer certified for OCSP signing (RFC 6960 §4.2.2.2).
fn find_responder(
    basic: &BasicOcspResponse,
    issuer: &ParsedCertificate,
    now: OffsetDateTime,
) -> Result<ParsedCertificate, OcspError> {
    let id = &basic.tbs_response_data.responder_id;
    if responder_is(id, issuer) {
        return Ok(issuer.clone());
    }
    let delegate = basic
        .certs
        .iter()
        .flatten()
        .filter_map(|c| c.to_der().ok())
        .filter_map(|der| ParsedCertificate::from_der(&der).ok())
        .find(|c| responder_is(id, c))
        .ok_or(OcspError::UnknownResponder)?;
    let authorized = delegate.names_issuer(issuer)
        && delegate.verify_issued_by(issuer).is_ok()
        && delegate.has_extended_key_usage(const_oid::db::rfc5280::ID_KP_OCSP_SIGNING)
        && delegate.not_before() <= now
        && now <= delegate.not_after();
    if !authorized {
        return Err(OcspError::ResponderNotAuthorized {
            responder: delegate.subject_cn(),
            issuer: issuer.subject_cn(),
        });
    }
    Ok(delegate)
}

/// Certificates a CA issued after its database file was read (e.g. by remote-signing
/// enrollment, kept in the store): consulted for serials the database does not list.
pub trait IssuedCertificates: Send + Sync {
    /// The entry for `serial` (unsigned big-endian, no leading zeros) issued by the CA whose
    /// certificate is `ca_der`.
    fn entry(&self, ca_der: &[u8], serial: &[u8]) -> Option<DatabaseEntry>;
}

/// An OCSP responder for one CA (RFC 6960 §2.2), answering from the CA's database. It signs
/// with the CA's key or with a delegated responder's.
pub struct OcspResponder {
    ca: ParsedCertificate,
    signer: ParsedCertificate,
    signer_key: PKey<Private>,
    entries: Vec<DatabaseEntry>,
    issued: Option<std::sync::Arc<dyn IssuedCertificates>>,
}

impl std::fmt::Debug for OcspResponder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OcspResponder")
            .field("ca", &self.ca.subject_cn())
            .field("signer", &self.signer.subject_cn())
            .field("entries", &self.entries.len())
            .finish_non_exhaustive()
    }
}

impl OcspResponder {
    /// A responder for the CA whose certificate is `ca_der`, signing with `signer_key`, whose
    /// certificate `signer_der` is the CA's own or one the CA issued with id-kp-OCSPSigning.
    pub fn new(
        ca_der: &[u8],
        signer_key: PKey<Private>,
        signer_der: &[u8],
        entries: Vec<DatabaseEntry>,
    ) -> Result<OcspResponder, OcspError> {
        let ca = ParsedCertificate::from_der(ca_der).map_err(malformed_certificate("CA"))?;
        let signer =
            ParsedCertificate::from_der(signer_der).map_err(malformed_certificate("responder"))?;
        let public =
            PKey::public_key_from_der(&signer.spki_der()).map_err(|_| OcspError::KeyMismatch)?;
        if !signer_key.public_eq(&public) {
            return Err(OcspError::KeyMismatch);
        }
        let delegated = signer.der != ca.der;
        if delegated
            && !(signer.names_issuer(&ca)
                && signer.verify_issued_by(&ca).is_ok()
                && signer.has_extended_key_usage(const_oid::db::rfc5280::ID_KP_OCSP_SIGNING))
        {
            return Err(OcspError::ResponderNotAuthorized {
                responder: signer.subject_cn(),
                issuer: ca.subject_cn(),
            });
        }
        Ok(OcspResponder {
            ca,
            signer,
            signer_key,
            entries,
            issued: None,
        })
    }

    /// Also answers for the certificates `issued` knows.
    pub fn with_issued(mut self, issued: std::sync::Arc<dyn IssuedCertificates>) -> Self {
        self.issued = Some(issued);
        self
    }

    /// The CA's certificate (DER).
    pub fn ca_certificate(&self) -> &[u8] {
        &self.ca.der
    }

    /// Whether this responder answers for the certificate `id` names.
    fn serves(&self, id: &CertId) -> bool {
        identifies_issuer(id, &self.ca)
    }

    /// Answers an OCSPRequest at `now`. Always returns an OCSPResponse: malformedRequest for
    /// what cannot be read, unauthorized when no certificate in it is of this CA (§2.3).
    pub fn respond(&self, request_der: &[u8], now: OffsetDateTime) -> Vec<u8> {
        match OcspRequest::from_der(request_der) {
            Ok(request) if !request.tbs_request.request_list.is_empty() => {
                self.answer(&request, now)
            }
            _ => encode_status(OcspResponse::malformed_request()),
        }
    }

    fn answer(&self, request: &OcspRequest, now: OffsetDateTime) -> Vec<u8> {
        let list = &request.tbs_request.request_list;
        if !list.iter().any(|r| self.serves(&r.req_cert)) {
            return encode_status(OcspResponse::unauthorized());
        }
        match self.sign_response(request, now) {
            Ok(der) => der,
            Err(error) => {
                tracing::error!(%error, "cannot encode an OCSP response");
                encode_status(OcspResponse::internal_error())
            }
        }
    }

    fn status_of(&self, id: &CertId) -> CertStatus {
        if !self.serves(id) {
            return CertStatus::unknown();
        }
        let serial = strip_leading_zeros(id.serial_number.as_bytes());
        let issued = || {
            self.issued
                .as_ref()
                .and_then(|issued| issued.entry(&self.ca.der, serial))
        };
        let found = match self.entries.iter().find(|e| e.serial == serial) {
            Some(entry) => Some(entry.clone()),
            None => issued(),
        };
        match found {
            None => CertStatus::unknown(),
            Some(DatabaseEntry {
                revoked: Some(revocation),
                ..
            }) => match to_der_date_time(revocation.time) {
                Some(time) => CertStatus::revoked(RevokedInfo {
                    revocation_time: time.into(),
                    revocation_reason: revocation.reason.filter(|r| *r != CrlReason::Unspecified),
                }),
                None => CertStatus::unknown(),
            },
            // RFC 6960 §2.2: "good" also for certificates past their expiry; the relying
            // party checks validity periods itself.
            Some(_) => CertStatus::good(),
        }
    }

    fn sign_response(&self, request: &OcspRequest, now: OffsetDateTime) -> Result<Vec<u8>, Error> {
        let time = |t: OffsetDateTime| -> Result<OcspGeneralizedTime, Error> {
            to_der_date_time(t)
                .map(OcspGeneralizedTime::from)
                .ok_or(Error::Time)
        };
        let responses = request
            .tbs_request
            .request_list
            .iter()
            .map(|r| {
                Ok(SingleResponse {
                    cert_id: r.req_cert.clone(),
                    cert_status: self.status_of(&r.req_cert),
                    this_update: time(now)?,
                    next_update: Some(time(now + RESPONSE_VALIDITY)?),
                    single_extensions: None,
                })
            })
            .collect::<Result<Vec<_>, Error>>()?;
        // RFC 8954 §2.1: the nonce comes back unchanged.
        let nonce = request
            .tbs_request
            .request_extensions
            .iter()
            .flatten()
            .find(|e| e.extn_id == Nonce::OID)
            .cloned();
        let data = ResponseData {
            version: Version::V1,
            responder_id: ResponderId::ByKey(OctetString::new(
                openssl::sha::sha1(self.signer.public_key_bits()).to_vec(),
            )?),
            produced_at: time(now)?,
            responses,
            response_extensions: nonce.map(|n| vec![n]),
        };
        let algorithm = super::crl::signature_algorithm(&self.signer_key);
        let signature = super::crl::sign(&self.signer_key, &data.to_der()?)?;
        // The delegated responder's certificate and its issuer, so that a client holding only
        // the root can build the responder's chain (§4.2.2.2, `certs`).
        let mut certs = vec![Certificate::from_der(&self.signer.der)?];
        if self.signer.der != self.ca.der {
            certs.push(Certificate::from_der(&self.ca.der)?);
        }
        let basic = BasicOcspResponse {
            tbs_response_data: data,
            signature_algorithm: algorithm,
            signature: BitString::from_bytes(&signature)?,
            certs: Some(certs),
        };
        Ok(OcspResponse::successful(basic)?.to_der()?)
    }
}

/// Why a response could not be produced; only logged, the client sees internalError.
#[derive(Debug, thiserror::Error)]
enum Error {
    #[error("encoding failed: {0}")]
    Der(#[from] der::Error),
    #[error("signing failed: {0}")]
    OpenSsl(#[from] openssl::error::ErrorStack),
    #[error("a time is out of the encodable range")]
    Time,
}

fn encode_status(response: OcspResponse) -> Vec<u8> {
    // An OCSPResponse without responseBytes is a fixed five-octet value; encoding it cannot
    // fail, the fallback is for the compiler.
    response
        .to_der()
        .unwrap_or_else(|_| vec![0x30, 0x03, 0x0a, 0x01, 0x02])
}

/// Answers an OCSPRequest with the responder whose CA issued the first certificate asked
/// about: malformedRequest if it cannot be read, unauthorized if no responder serves it.
pub fn respond(responders: &[OcspResponder], request_der: &[u8], now: OffsetDateTime) -> Vec<u8> {
    let Ok(request) = OcspRequest::from_der(request_der) else {
        return encode_status(OcspResponse::malformed_request());
    };
    let Some(first) = request.tbs_request.request_list.first() else {
        return encode_status(OcspResponse::malformed_request());
    };
    match responders.iter().find(|r| r.serves(&first.req_cert)) {
        Some(responder) => responder.answer(&request, now),
        None => encode_status(OcspResponse::unauthorized()),
    }
}

#[cfg(test)]
mod tests {
    use openssl::x509::X509;
    use time::macros::datetime;
    use x509_cert::ext::pkix::CrlReason;

    use super::*;
    use crate::pki::crl::parse_database;

    const NOW: OffsetDateTime = datetime!(2026-11-22 16:00:00 UTC);

    fn read(path: &str) -> Vec<u8> {
        std::fs::read(format!("{}/certs/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    }

    fn cert(path: &str) -> Vec<u8> {
        X509::from_pem(&read(path)).unwrap().to_der().unwrap()
    }

    fn key(path: &str) -> PKey<Private> {
        PKey::private_key_from_pem(&read(path)).unwrap()
    }

    fn entries(ca: &str) -> Vec<DatabaseEntry> {
        parse_database(std::str::from_utf8(&read(&format!("ca/{ca}.index.txt"))).unwrap()).unwrap()
    }

    fn public_responder() -> OcspResponder {
        OcspResponder::new(
            &cert("ca/public-ca.pem"),
            key("services/public-ca-ocsp.key.pem"),
            &cert("services/public-ca-ocsp.pem"),
            entries("public-ca"),
        )
        .unwrap()
    }

    fn ask(
        responder: &OcspResponder,
        signer: &str,
        hash: CertIdHash,
    ) -> Result<OcspStatus, OcspError> {
        let leaf = cert(&format!("signers/{signer}.pem"));
        let issuer = cert("ca/public-ca.pem");
        let request = request(&leaf, &issuer, hash, Some(b"0123456789abcdef")).unwrap();
        let response = responder.respond(&request, NOW);
        parse_response(&response, &leaf, &issuer, NOW + time::Duration::minutes(1))
    }

    #[test]
    fn a_delegated_responder_answers_good_and_revoked() {
        let responder = public_responder();
        let good = ask(&responder, "citizen-nguyen-van-an", CertIdHash::Sha1).unwrap();
        assert_eq!(good.status, CertificateStatus::Good);
        assert_eq!(good.this_update, NOW);
        assert_eq!(good.produced_at, NOW);
        assert_eq!(good.next_update, Some(NOW + RESPONSE_VALIDITY));
        assert_eq!(good.responder, cert("services/public-ca-ocsp.pem"));
        assert_eq!(good.nonce.as_deref(), Some(&b"0123456789abcdef"[..]));

        let revoked = ask(&responder, "citizen-le-hoang-phuc", CertIdHash::Sha256).unwrap();
        assert_eq!(
            revoked.status,
            CertificateStatus::Revoked(Revocation {
                time: datetime!(2026-11-21 15:23:23 UTC),
                reason: Some(CrlReason::KeyCompromise),
            })
        );
    }

    #[test]
    fn the_ca_can_answer_for_itself() {
        let ca = cert("ca/government-ca.pem");
        let responder = OcspResponder::new(
            &ca,
            key("ca/government-ca.key.pem"),
            &ca,
            entries("government-ca"),
        )
        .unwrap();
        let leaf = cert("signers/officer-vu-quoc-khanh.pem");
        let request = request(&leaf, &ca, CertIdHash::Sha1, None).unwrap();
        let status = parse_response(&responder.respond(&request, NOW), &leaf, &ca, NOW).unwrap();
        assert_eq!(status.status, CertificateStatus::Good);
        assert_eq!(status.responder, ca);
        assert_eq!(status.nonce, None);
    }

    #[test]
    fn stale_tampered_and_foreign_responses_are_refused() {
        let responder = public_responder();
        let leaf = cert("signers/citizen-nguyen-van-an.pem");
        let issuer = cert("ca/public-ca.pem");
        let request = request(&leaf, &issuer, CertIdHash::Sha1, None).unwrap();
        let response = responder.respond(&request, NOW);
        assert!(matches!(
            parse_response(&response, &leaf, &issuer, NOW + time::Duration::days(2)),
            Err(OcspError::Stale { .. })
        ));
        assert!(matches!(
            parse_response(&response, &leaf, &issuer, NOW - time::Duration::hours(1)),
            Err(OcspError::NotYetValid { .. })
        ));
        let other = cert("signers/citizen-tran-thi-ngoc-anh.pem");
        assert!(matches!(
            parse_response(&response, &other, &issuer, NOW),
            Err(OcspError::NoResponseForCertificate { .. })
        ));
        // The signature sits just before `[0] certs`; flip a bit of the producedAt time
        // instead, inside the signed data.
        let mut tampered = response.clone();
        let at = tampered
            .windows(15)
            .position(|w| w == b"20261122160000Z")
            .unwrap();
        tampered[at + 13] ^= 0x01;
        assert!(matches!(
            parse_response(&tampered, &leaf, &issuer, NOW),
            Err(OcspError::BadSignature { .. })
        ));
    }

    #[test]
    fn a_responder_without_ocsp_signing_is_not_trusted() {
        // Built around `new`, which refuses this combination.
        let rogue = OcspResponder {
            ca: ParsedCertificate::from_der(&cert("ca/public-ca.pem")).unwrap(),
            signer: ParsedCertificate::from_der(&cert("services/tsa.pem")).unwrap(),
            signer_key: key("services/tsa.key.pem"),
            entries: entries("public-ca"),
            issued: None,
        };
        assert!(matches!(
            ask(&rogue, "citizen-nguyen-van-an", CertIdHash::Sha1),
            Err(OcspError::ResponderNotAuthorized { .. })
        ));
        assert!(matches!(
            OcspResponder::new(
                &cert("ca/public-ca.pem"),
                key("services/tsa.key.pem"),
                &cert("services/tsa.pem"),
                vec![],
            ),
            Err(OcspError::ResponderNotAuthorized { .. })
        ));
        assert!(matches!(
            OcspResponder::new(
                &cert("ca/public-ca.pem"),
                key("services/tsa.key.pem"),
                &cert("services/public-ca-ocsp.pem"),
                vec![],
            ),
            Err(OcspError::KeyMismatch)
        ));
    }

    fn status_of(response: &[u8]) -> OcspResponseStatus {
        OcspResponse::from_der(response).unwrap().response_status
    }

    #[test]
    fn bad_input_gets_an_ocsp_error_status_never_a_panic() {
        let responder = public_responder();
        let responders = [public_responder()];
        assert_eq!(
            status_of(&responder.respond(b"garbage", NOW)),
            OcspResponseStatus::MalformedRequest
        );
        assert_eq!(
            status_of(&respond(&responders, b"", NOW)),
            OcspResponseStatus::MalformedRequest
        );
        // An officer's certificate belongs to the government CA: not ours to answer.
        let officer = cert("signers/officer-pham-minh-duc.pem");
        let government = cert("ca/government-ca.pem");
        let foreign = request(&officer, &government, CertIdHash::Sha1, None).unwrap();
        assert_eq!(
            status_of(&respond(&responders, &foreign, NOW)),
            OcspResponseStatus::Unauthorized
        );
        assert!(matches!(
            parse_response(
                &respond(&responders, &foreign, NOW),
                &officer,
                &government,
                NOW
            ),
            Err(OcspError::Unsuccessful {
                status: ResponseStatus::Unauthorized
            })
        ));
        // Every truncation of a valid request is answered.
        let valid = request(
            &cert("signers/citizen-nguyen-van-an.pem"),
            &cert("ca/public-ca.pem"),
            CertIdHash::Sha1,
            Some(b"n"),
        )
        .unwrap();
        assert_eq!(
            status_of(&respond(&responders, &valid, NOW)),
            OcspResponseStatus::Successful
        );
        for end in 0..valid.len() {
            let answer = respond(&responders, &valid[..end], NOW);
            assert_eq!(status_of(&answer), OcspResponseStatus::MalformedRequest);
        }
    }
}
