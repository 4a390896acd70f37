//! RFC 3161 time-stamping (with RFC 5816's ESSCertIDv2): requests and checked tokens for the
//! client side, and a time-stamping authority that answers requests with tokens signed by any
//! [`Signer`]. Time and serial numbers are passed in; carrying requests over HTTP is left to
//! `net` and `server`.

use const_oid::ObjectIdentifier;
use der::asn1::{Any, BitString, GeneralizedTime, Int, OctetString, Uint};
use der::{Decode, Encode, Sequence, Tag, Tagged};
use time::OffsetDateTime;
use x509_cert::Certificate;
use x509_cert::ext::pkix::ExtendedKeyUsage;
use x509_cert::ext::pkix::name::GeneralName;
use x509_tsp::{Accuracy, MessageImprint, TimeStampReq, TspVersion};

use crate::sign::cms::{self, CmsError, EssCertificateCheck, ID_CT_TST_INFO, SignedDataParams};
use crate::sign::{DigestAlgorithm, KeyKind, SignatureScheme, Signer};

/// `id-kp-timeStamping` (RFC 3161 §2.3).
const ID_KP_TIME_STAMPING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.8");
/// `id-ce-extKeyUsage` (RFC 5280 §4.2.1.12).
const ID_CE_EXT_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37");

/// Why a timestamp could not be obtained or accepted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TsaError {
    #[error("the time-stamp request is malformed: {source}")]
    Request {
        #[source]
        source: der::Error,
    },
    #[error("the time-stamping authority's answer is malformed ({context}): {source}")]
    Response {
        context: &'static str,
        #[source]
        source: der::Error,
    },
    #[error("the time-stamping authority refused the request (PKIStatus {status}, {failures:?}){}",
        text.as_deref().map(|t| format!(": {t}")).unwrap_or_default())]
    Rejected {
        status: u32,
        failures: Vec<FailureInfo>,
        text: Option<String>,
    },
    #[error("the time-stamping authority granted the request but sent no token")]
    MissingToken,
    #[error("the token holds {content_type}, not a TSTInfo (1.2.840.113549.1.9.16.1.4)")]
    NotTstInfo { content_type: ObjectIdentifier },
    #[error("the token's TSTInfo is malformed: {detail}")]
    MalformedTstInfo { detail: String },
    #[error("the token time-stamps other data than what was sent (message imprint differs)")]
    ImprintMismatch,
    #[error("the token's nonce does not match the request's (RFC 3161 §2.4.2)")]
    NonceMismatch,
    #[error("the token is for policy {found}, but {requested} was requested")]
    PolicyMismatch {
        requested: ObjectIdentifier,
        found: ObjectIdentifier,
    },
    #[error("the token's signature is not valid: {0}")]
    Cms(#[from] CmsError),
    #[error("the token's TSTInfo does not hash to its message-digest attribute")]
    MessageDigestMismatch,
    #[error(
        "the token does not carry the time-stamping authority's certificate (ask with certReq)"
    )]
    NoTsaCertificate,
    #[error(
        "the token's signer certificate is not a time-stamping certificate: RFC 3161 §2.3 asks \
         for a critical extended key usage with id-kp-timeStamping"
    )]
    NotTimeStampingCertificate,
    #[error(
        "the token does not bind its signer's certificate (ESS signing-certificate: {check:?})"
    )]
    SigningCertificate { check: EssCertificateCheck },
}

/// The failure reasons of a rejection (RFC 3161 §2.4.2, `PKIFailureInfo`), with their bit
/// numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureInfo {
    /// Unrecognized or unsupported algorithm.
    BadAlg = 0,
    /// Transaction not permitted or supported.
    BadRequest = 2,
    /// The data submitted has the wrong format.
    BadDataFormat = 5,
    /// The TSA's time source is not available.
    TimeNotAvailable = 14,
    /// The requested TSA policy is not supported by the TSA.
    UnacceptedPolicy = 15,
    /// The requested extension is not supported by the TSA.
    UnacceptedExtension = 16,
    /// The request cannot be handled due to system failure.
    SystemFailure = 25,
}

impl FailureInfo {
    const ALL: [FailureInfo; 7] = [
        FailureInfo::BadAlg,
        FailureInfo::BadRequest,
        FailureInfo::BadDataFormat,
        FailureInfo::TimeNotAvailable,
        FailureInfo::UnacceptedPolicy,
        FailureInfo::UnacceptedExtension,
        FailureInfo::SystemFailure,
    ];

    /// A named BIT STRING with only this bit set; DER drops trailing zero bits
    /// (X.690 §11.2.2), so the string ends at this bit.
    fn bit_string(self) -> BitString {
        let bit = self as usize;
        let mut bytes = vec![0u8; bit / 8 + 1];
        bytes[bit / 8] = 0x80 >> (bit % 8);
        BitString::new((7 - bit % 8) as u8, bytes).expect("unused bits are below 8")
    }

    fn from_bit_string(bits: &BitString) -> Vec<FailureInfo> {
        let bytes = bits.raw_bytes();
        FailureInfo::ALL
            .into_iter()
            .filter(|f| {
                let bit = *f as usize;
                bytes
                    .get(bit / 8)
                    .is_some_and(|b| b & (0x80 >> (bit % 8)) != 0)
            })
            .collect()
    }
}

/// ```text
/// PKIStatusInfo ::= SEQUENCE {
///     status        PKIStatus,
///     statusString  PKIFreeText     OPTIONAL,
///     failInfo      PKIFailureInfo  OPTIONAL  }
/// ```
/// (RFC 3161 §2.4.2; PKIFreeText is a SEQUENCE OF UTF8String.)
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct PkiStatusInfo {
    status: u32,
    #[asn1(optional = "true")]
    status_string: Option<Vec<String>>,
    #[asn1(optional = "true")]
    fail_info: Option<BitString>,
}

/// `PKIStatus` values (RFC 3161 §2.4.2).
const GRANTED: u32 = 0;
const GRANTED_WITH_MODS: u32 = 1;
const REJECTION: u32 = 2;

/// ```text
/// TimeStampResp ::= SEQUENCE  {
///     status                  PKIStatusInfo,
///     timeStampToken          TimeStampToken     OPTIONAL  }
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct TimeStampResp {
    status: PkiStatusInfo,
    #[asn1(optional = "true")]
    time_stamp_token: Option<Any>,
}

/// What a timestamp token says (RFC 3161 §2.4.2 TSTInfo), with the TSA's certificate when
/// the token carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TstInfo {
    pub policy: ObjectIdentifier,
    /// The hash algorithm of the message imprint; `None` if it is not a SHA-2 kyso knows.
    pub imprint_digest: Option<DigestAlgorithm>,
    pub imprint_algorithm: ObjectIdentifier,
    pub imprint: Vec<u8>,
    /// The serial number, big-endian, without leading zeros.
    pub serial: Vec<u8>,
    pub gen_time: OffsetDateTime,
    pub accuracy: Option<time::Duration>,
    pub ordering: bool,
    /// The nonce's INTEGER content octets, if any.
    pub nonce: Option<Vec<u8>>,
    /// The certificate that signed the token, if the token carries it.
    pub tsa_certificate: Option<Vec<u8>>,
}

/// A TimeStampReq (RFC 3161 §2.4.1) for `imprint`, the hash of the data with `digest`.
/// With `cert_req`, the TSA puts its certificate in the token, which
/// [`token_from_response`] needs to check the signature.
///
/// Panics only for an imprint longer than DER can carry (256 MiB), a programmer error.
pub fn request(
    digest: DigestAlgorithm,
    imprint: &[u8],
    nonce: Option<u64>,
    cert_req: bool,
) -> Vec<u8> {
    TimeStampReq {
        version: TspVersion::V1,
        message_imprint: MessageImprint {
            // RFC 5754 §2: SHA-2 identifiers are generated with absent parameters.
            hash_algorithm: spki::AlgorithmIdentifier {
                oid: digest.oid(),
                parameters: None,
            },
            hashed_message: OctetString::new(imprint).expect("an imprint is a digest"),
        },
        req_policy: None,
        nonce: nonce.map(|n| unsigned_int(&n.to_be_bytes())),
        cert_req,
        extensions: None,
    }
    .to_der()
    .expect("a TimeStampReq always encodes")
}

/// Takes the token out of a TimeStampResp after checking it against `request_der`: status
/// granted, message imprint and nonce as requested, policy as requested (if one was), and a
/// valid signature by a time-stamping certificate carried in the token.
pub fn token_from_response(response_der: &[u8], request_der: &[u8]) -> Result<Vec<u8>, TsaError> {
    let request =
        TimeStampReq::from_der(request_der).map_err(|source| TsaError::Request { source })?;
    let response = TimeStampResp::from_der(response_der).map_err(|source| TsaError::Response {
        context: "TimeStampResp",
        source,
    })?;
    let status = &response.status;
    if status.status != GRANTED && status.status != GRANTED_WITH_MODS {
        return Err(TsaError::Rejected {
            status: status.status,
            failures: status
                .fail_info
                .as_ref()
                .map(FailureInfo::from_bit_string)
                .unwrap_or_default(),
            text: status.status_string.as_ref().map(|s| s.join("; ")),
        });
    }
    let token = response
        .time_stamp_token
        .ok_or(TsaError::MissingToken)?
        .to_der()
        .map_err(|source| TsaError::Response {
            context: "timeStampToken",
            source,
        })?;
    let imprint = &request.message_imprint;
    let digest = DigestAlgorithm::from_oid(&imprint.hash_algorithm.oid).ok_or(TsaError::Cms(
        CmsError::UnsupportedAlgorithm {
            what: "message imprint",
            oid: imprint.hash_algorithm.oid,
        },
    ))?;
    let info = verify_token(&token, digest, imprint.hashed_message.as_bytes())?;
    let requested_nonce = request.nonce.as_ref().map(|n| n.as_bytes().to_vec());
    if requested_nonce.is_some() && info.nonce != requested_nonce {
        return Err(TsaError::NonceMismatch);
    }
    if let Some(requested) = request.req_policy
        && requested != info.policy
    {
        return Err(TsaError::PolicyMismatch {
            requested,
            found: info.policy,
        });
    }
    Ok(token)
}

/// Checks a timestamp token on its own (as a verifier meets it in a PDF): it is a SignedData
/// over a TSTInfo whose imprint is `imprint` hashed with `digest`, signed — with ESS
/// signing-certificate(-v2) bound — by a certificate in the token that has the critical
/// timeStamping extended key usage. Whether that certificate is trusted is left to the caller.
pub fn verify_token(
    token_der: &[u8],
    digest: DigestAlgorithm,
    imprint: &[u8],
) -> Result<TstInfo, TsaError> {
    let parsed = cms::parse(token_der)?;
    let info = tst_info_of(&parsed)?;
    if info.imprint_digest != Some(digest) || info.imprint != imprint {
        return Err(TsaError::ImprintMismatch);
    }
    let certificate = parsed
        .signer_certificate
        .as_ref()
        .ok_or(TsaError::NoTsaCertificate)?;
    let content = parsed.encapsulated.as_deref().unwrap_or_default();
    if parsed.message_digest.as_deref() != Some(&parsed.digest_algorithm.digest(content)[..]) {
        return Err(TsaError::MessageDigestMismatch);
    }
    parsed.verify_signature()?;
    match parsed.check_signing_certificate() {
        EssCertificateCheck::Matches { .. } => {}
        check => return Err(TsaError::SigningCertificate { check }),
    }
    if !is_time_stamping_certificate(certificate) {
        return Err(TsaError::NotTimeStampingCertificate);
    }
    Ok(info)
}

/// Reads the TSTInfo of a token without checking its signature.
pub fn tst_info(token_der: &[u8]) -> Result<TstInfo, TsaError> {
    tst_info_of(&cms::parse(token_der)?)
}

fn tst_info_of(parsed: &cms::ParsedSignedData) -> Result<TstInfo, TsaError> {
    if parsed.content_type != ID_CT_TST_INFO {
        return Err(TsaError::NotTstInfo {
            content_type: parsed.content_type,
        });
    }
    let content = parsed
        .encapsulated
        .as_deref()
        .ok_or_else(|| malformed("the token has no encapsulated TSTInfo"))?;
    let mut info = decode_tst_info(content)?;
    info.tsa_certificate = parsed.signer_certificate.clone();
    Ok(info)
}

fn malformed(detail: impl Into<String>) -> TsaError {
    TsaError::MalformedTstInfo {
        detail: detail.into(),
    }
}

/// Decodes a TSTInfo field by field rather than with `x509_tsp::TstInfo`, whose
/// GeneralizedTime refuses the fractional seconds many TSAs send (RFC 3161 §2.4.2 allows
/// them).
fn decode_tst_info(der_bytes: &[u8]) -> Result<TstInfo, TsaError> {
    use der::asn1::AnyRef;
    let bad = |e: der::Error| malformed(e.to_string());
    let outer = AnyRef::from_der(der_bytes).map_err(bad)?;
    let mut reader = der::SliceReader::new(outer.value()).map_err(bad)?;
    let mut fields = Vec::new();
    while !der::Reader::is_finished(&reader) {
        fields.push(AnyRef::decode(&mut reader).map_err(bad)?);
    }
    if fields.len() < 5 {
        return Err(malformed("fewer than five fields"));
    }
    if fields[0].decode_as::<u8>().map_err(bad)? != 1 {
        return Err(malformed("version is not 1"));
    }
    let policy = fields[1].decode_as::<ObjectIdentifier>().map_err(bad)?;
    let imprint = fields[2].decode_as::<MessageImprint>().map_err(bad)?;
    let serial = fields[3].decode_as::<Int>().map_err(bad)?;
    if fields[4].tag() != Tag::GeneralizedTime {
        return Err(malformed("genTime is not a GeneralizedTime"));
    }
    let gen_time = parse_generalized_time(fields[4].value())
        .ok_or_else(|| malformed("genTime is not YYYYMMDDhhmmss[.f]Z"))?;

    let mut info = TstInfo {
        policy,
        imprint_digest: DigestAlgorithm::from_oid(&imprint.hash_algorithm.oid),
        imprint_algorithm: imprint.hash_algorithm.oid,
        imprint: imprint.hashed_message.as_bytes().to_vec(),
        serial: strip_zeros(serial.as_bytes()).to_vec(),
        gen_time,
        accuracy: None,
        ordering: false,
        nonce: None,
        tsa_certificate: None,
    };
    for field in &fields[5..] {
        match field.tag() {
            Tag::Sequence => {
                let accuracy = field.decode_as::<Accuracy>().map_err(bad)?;
                info.accuracy = Some(
                    time::Duration::seconds(accuracy.seconds.unwrap_or(0) as i64)
                        + time::Duration::milliseconds(accuracy.millis.unwrap_or(0).into())
                        + time::Duration::microseconds(accuracy.micros.unwrap_or(0).into()),
                );
            }
            Tag::Boolean => info.ordering = field.decode_as::<bool>().map_err(bad)?,
            Tag::Integer => {
                info.nonce = Some(field.decode_as::<Int>().map_err(bad)?.as_bytes().to_vec());
            }
            // tsa [0] and extensions [1] are not needed by kyso.
            _ => {}
        }
    }
    Ok(info)
}

/// `YYYYMMDDhhmmss[.f+]Z`, the only form RFC 3161 §2.4.2 allows for genTime.
fn parse_generalized_time(text: &[u8]) -> Option<OffsetDateTime> {
    let text = std::str::from_utf8(text).ok()?;
    let body = text.strip_suffix('Z')?;
    let (whole, fraction) = match body.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (body, None),
    };
    if whole.len() != 14 || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let number = |range: std::ops::Range<usize>| whole[range].parse::<u32>().ok();
    let date = time::Date::from_calendar_date(
        number(0..4)? as i32,
        time::Month::try_from(number(4..6)? as u8).ok()?,
        number(6..8)? as u8,
    )
    .ok()?;
    let nanos = match fraction {
        None => 0,
        Some(f) if (1..=9).contains(&f.len()) && f.bytes().all(|b| b.is_ascii_digit()) => {
            f.parse::<u32>().ok()? * 10u32.pow(9 - f.len() as u32)
        }
        Some(_) => return None,
    };
    let clock = time::Time::from_hms_nano(
        number(8..10)? as u8,
        number(10..12)? as u8,
        number(12..14)? as u8,
        nanos,
    )
    .ok()?;
    Some(time::PrimitiveDateTime::new(date, clock).assume_utc())
}

/// RFC 3161 §2.3: the TSA's certificate has exactly one extended key usage extension, it is
/// critical, and it names id-kp-timeStamping.
fn is_time_stamping_certificate(certificate_der: &[u8]) -> bool {
    let Ok(certificate) = Certificate::from_der(certificate_der) else {
        return false;
    };
    let extensions = certificate.tbs_certificate.extensions.unwrap_or_default();
    let mut eku = extensions
        .iter()
        .filter(|e| e.extn_id == ID_CE_EXT_KEY_USAGE);
    match (eku.next(), eku.next()) {
        (Some(extension), None) => {
            extension.critical
                && ExtendedKeyUsage::from_der(extension.extn_value.as_bytes())
                    .is_ok_and(|usage| usage.0.contains(&ID_KP_TIME_STAMPING))
        }
        _ => false,
    }
}

/// A time-stamping authority (RFC 3161 §2.1) signing with one key.
pub struct TimeStampAuthority {
    signer: Box<dyn Signer>,
    policy: ObjectIdentifier,
    accuracy_seconds: Option<u64>,
}

impl std::fmt::Debug for TimeStampAuthority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TimeStampAuthority")
            .field("policy", &self.policy)
            .field("key", &self.signer.key_kind())
            .field("accuracy_seconds", &self.accuracy_seconds)
            .finish()
    }
}

/// Why a request was turned down, before it becomes a rejection response.
struct Refusal {
    failure: FailureInfo,
    text: &'static str,
}

impl TimeStampAuthority {
    /// A TSA answering under `policy`. The signer's certificate should carry the critical
    /// timeStamping extended key usage (RFC 3161 §2.3); clients check it.
    pub fn new(signer: Box<dyn Signer>, policy: ObjectIdentifier) -> TimeStampAuthority {
        TimeStampAuthority {
            signer,
            policy,
            accuracy_seconds: Some(1),
        }
    }

    /// The accuracy stated in tokens (RFC 3161 §2.4.2); `None` leaves it out. Default: 1 s,
    /// since genTime is written to the second.
    pub fn with_accuracy(mut self, seconds: Option<u64>) -> TimeStampAuthority {
        self.accuracy_seconds = seconds;
        self
    }

    pub fn policy(&self) -> ObjectIdentifier {
        self.policy
    }

    /// Answers a TimeStampReq. Always returns a TimeStampResp DER: a token with status
    /// granted, or a rejection naming the failure (RFC 3161 §2.4.2) for input it cannot
    /// serve — never a panic. `serial` must be unique per token (§2.4.2).
    pub fn respond(&self, request_der: &[u8], now: OffsetDateTime, serial: u128) -> Vec<u8> {
        let (status, token) = match self.issue(request_der, now, serial) {
            Ok(token) => (
                PkiStatusInfo {
                    status: GRANTED,
                    status_string: None,
                    fail_info: None,
                },
                Some(token),
            ),
            Err(refusal) => (
                PkiStatusInfo {
                    status: REJECTION,
                    status_string: Some(vec![refusal.text.to_owned()]),
                    fail_info: Some(refusal.failure.bit_string()),
                },
                None,
            ),
        };
        let time_stamp_token = token.and_then(|t| Any::from_der(&t).ok());
        TimeStampResp {
            status,
            time_stamp_token,
        }
        .to_der()
        // SEQUENCE { SEQUENCE { INTEGER 2, BIT STRING systemFailure } }, for the case
        // that cannot happen: a response that does not encode.
        .unwrap_or_else(|_| {
            vec![
                0x30, 0x0c, 0x30, 0x0a, 0x02, 0x01, 0x02, 0x03, 0x05, 0x06, 0x00, 0x00, 0x00, 0x40,
            ]
        })
    }

    fn issue(
        &self,
        request_der: &[u8],
        now: OffsetDateTime,
        serial: u128,
    ) -> Result<Vec<u8>, Refusal> {
        let refuse = |failure, text| Refusal { failure, text };
        let request = TimeStampReq::from_der(request_der).map_err(|_| {
            refuse(
                FailureInfo::BadDataFormat,
                "the request is not a DER TimeStampReq",
            )
        })?;
        let imprint = &request.message_imprint;
        let digest = DigestAlgorithm::from_oid(&imprint.hash_algorithm.oid)
            .filter(|_| {
                imprint
                    .hash_algorithm
                    .parameters
                    .as_ref()
                    .is_none_or(|p| p.is_null())
            })
            .ok_or_else(|| {
                refuse(
                    FailureInfo::BadAlg,
                    "the message imprint must use SHA-256, SHA-384 or SHA-512",
                )
            })?;
        if imprint.hashed_message.as_bytes().len() != digest.output_len() {
            return Err(refuse(
                FailureInfo::BadDataFormat,
                "the message imprint has the wrong length for its hash algorithm",
            ));
        }
        if request.req_policy.is_some_and(|p| p != self.policy) {
            return Err(refuse(
                FailureInfo::UnacceptedPolicy,
                "this TSA serves only its own policy",
            ));
        }
        if request.extensions.as_ref().is_some_and(|e| !e.is_empty()) {
            return Err(refuse(
                FailureInfo::UnacceptedExtension,
                "this TSA supports no request extensions",
            ));
        }
        let seconds = u64::try_from(now.unix_timestamp()).map_err(|_| {
            refuse(
                FailureInfo::TimeNotAvailable,
                "the TSA clock is before 1970",
            )
        })?;
        let system = |_| refuse(FailureInfo::SystemFailure, "the TSA could not sign");
        let gen_time = GeneralizedTime::from_unix_duration(std::time::Duration::from_secs(seconds))
            .map_err(system)?;

        let chain = self.signer.certificate_chain();
        let tsa_name = chain
            .first()
            .and_then(|leaf| Certificate::from_der(leaf).ok())
            .map(|c| GeneralName::DirectoryName(c.tbs_certificate.subject));
        let tst_info = x509_tsp::TstInfo {
            version: TspVersion::V1,
            policy: self.policy,
            // RFC 3161 §2.4.2: MUST have the same value as in the request.
            message_imprint: imprint.clone(),
            serial_number: unsigned_int(&serial.to_be_bytes()),
            gen_time,
            accuracy: self.accuracy_seconds.map(|s| Accuracy {
                seconds: Some(s),
                millis: None,
                micros: None,
            }),
            ordering: false,
            nonce: request.nonce.clone(),
            tsa: tsa_name,
            extensions: None,
        }
        .to_der()
        .map_err(system)?;

        // Interoperability: PKCS#1 v1.5 for RSA, which every RFC 3161 client reads.
        let scheme = match self.signer.key_kind() {
            KeyKind::Rsa { .. } => SignatureScheme::RsaPkcs1v15,
            KeyKind::EcP256 | KeyKind::EcP384 => SignatureScheme::Ecdsa,
        };
        let params = SignedDataParams {
            digest: DigestAlgorithm::Sha256,
            scheme,
            content_type: ID_CT_TST_INFO,
            message_digest: DigestAlgorithm::Sha256.digest(&tst_info),
            encapsulated: Some(tst_info),
            chain: chain.to_vec(),
            signing_time: None,
            include_certificates: request.cert_req,
        };
        cms::sign_detached(&params, self.signer.as_ref()).map_err(|e| {
            tracing::error!(error = %e, "the TSA could not sign a token");
            refuse(FailureInfo::SystemFailure, "the TSA could not sign")
        })
    }
}

/// A non-negative INTEGER from big-endian bytes.
fn unsigned_int(be: &[u8]) -> Int {
    let stripped = strip_zeros(be);
    let bytes = if stripped.is_empty() {
        &[0u8][..]
    } else {
        stripped
    };
    Int::from(Uint::new(bytes).expect("at most 16 bytes"))
}

fn strip_zeros(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    &bytes[first..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_bits_are_der_named_bit_strings() {
        // badAlg (bit 0): 03 02 07 80; badRequest (bit 2): 03 02 05 20;
        // systemFailure (bit 25): 03 05 06 00 00 00 40.
        assert_eq!(
            FailureInfo::BadAlg.bit_string().to_der().unwrap(),
            [0x03, 0x02, 0x07, 0x80]
        );
        assert_eq!(
            FailureInfo::BadRequest.bit_string().to_der().unwrap(),
            [0x03, 0x02, 0x05, 0x20]
        );
        assert_eq!(
            FailureInfo::SystemFailure.bit_string().to_der().unwrap(),
            [0x03, 0x05, 0x06, 0x00, 0x00, 0x00, 0x40]
        );
        for f in FailureInfo::ALL {
            assert_eq!(FailureInfo::from_bit_string(&f.bit_string()), vec![f]);
        }
    }

    #[test]
    fn fallback_response_is_a_system_failure_rejection() {
        let fallback = [
            0x30, 0x0c, 0x30, 0x0a, 0x02, 0x01, 0x02, 0x03, 0x05, 0x06, 0x00, 0x00, 0x00, 0x40,
        ];
        let response = TimeStampResp::from_der(&fallback).unwrap();
        assert_eq!(response.status.status, REJECTION);
        assert_eq!(
            FailureInfo::from_bit_string(response.status.fail_info.as_ref().unwrap()),
            vec![FailureInfo::SystemFailure]
        );
    }

    #[test]
    fn generalized_time_with_and_without_fractions() {
        let t = parse_generalized_time(b"20260301083000Z").unwrap();
        assert_eq!(t, time::macros::datetime!(2026-03-01 08:30:00 UTC));
        let t = parse_generalized_time(b"20260301083000.125Z").unwrap();
        assert_eq!(t, time::macros::datetime!(2026-03-01 08:30:00.125 UTC));
        assert!(parse_generalized_time(b"20260301083000").is_none());
        assert!(parse_generalized_time(b"20261301083000Z").is_none());
        assert!(parse_generalized_time(b"20260301083000.Z").is_none());
    }

    #[test]
    fn request_round_trips_and_nonce_is_positive() {
        let imprint = DigestAlgorithm::Sha256.digest(b"hello");
        let der = request(DigestAlgorithm::Sha256, &imprint, Some(u64::MAX), true);
        let parsed = TimeStampReq::from_der(&der).unwrap();
        assert!(parsed.cert_req);
        assert_eq!(parsed.message_imprint.hashed_message.as_bytes(), imprint);
        // 2^64-1 needs a leading zero byte to stay positive.
        let nonce = parsed.nonce.unwrap();
        assert_eq!(nonce.as_bytes()[0], 0x00);
        assert_eq!(nonce.as_bytes().len(), 9);
        assert_eq!(unsigned_int(&0u128.to_be_bytes()).as_bytes(), [0]);
    }
}
