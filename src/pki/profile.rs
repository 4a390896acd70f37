//! Certificate profiles (RFC 5280) for the roles a Vietnamese signing PKI has — roots,
//! issuing CAs, signers, time-stamping units, OCSP responders — and issuing one certificate
//! from a profile. Which entities exist is left to the caller (see `demo`).

use openssl::asn1::{Asn1Integer, Asn1Object, Asn1OctetString, Asn1Time};
use openssl::bn::{BigNum, MsbOption};
use openssl::pkey::{PKeyRef, Private, Public};
use openssl::x509::extension::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectKeyIdentifier,
};
use openssl::x509::{X509, X509Builder, X509Extension, X509Ref};

use super::PkiError;
use super::der;
use super::identity::SubjectName;
use super::key::issuer_digest;

/// What a certificate is for; decides its extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// A self-signed trust anchor.
    RootCa,
    /// A CA that issues end-entity certificates (path length 0).
    IssuingCa,
    /// A person or an agency signing documents: digitalSignature + nonRepudiation.
    Signer,
    /// An RFC 3161 time-stamping unit: the only extended key usage is timeStamping, critical
    /// (RFC 3161 §2.3).
    TimeStamping,
    /// A delegated OCSP responder: id-kp-OCSPSigning and id-pkix-ocsp-nocheck (RFC 6960
    /// §4.2.2.2, §4.2.2.2.1).
    OcspResponder,
}

/// Seconds since the Unix epoch, inclusive on both ends (RFC 5280 §4.1.2.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Validity {
    pub not_before: i64,
    pub not_after: i64,
}

/// The public URLs that certificates point at: where `kyso serve` publishes CA certificates,
/// CRLs and answers OCSP requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    base: String,
}

impl Endpoints {
    /// Accepts an absolute `http://` or `https://` URL without query or fragment; a trailing
    /// slash is dropped.
    pub fn new(base_url: &str) -> Result<Endpoints, PkiError> {
        let invalid = || PkiError::InvalidBaseUrl {
            url: base_url.to_owned(),
        };
        let rest = base_url
            .strip_prefix("http://")
            .or_else(|| base_url.strip_prefix("https://"))
            .ok_or_else(invalid)?;
        let host = rest.split('/').next().unwrap_or_default();
        if host.is_empty()
            || rest.contains(['?', '#'])
            || !base_url.is_ascii()
            || base_url.contains(|c: char| c.is_ascii_whitespace() || c.is_ascii_control())
        {
            return Err(invalid());
        }
        Ok(Endpoints {
            base: base_url.trim_end_matches('/').to_owned(),
        })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// `GET /crl/<ca>.crl`: the CRL the CA named `ca` issues.
    pub fn crl(&self, ca: &str) -> String {
        format!("{}/crl/{ca}.crl", self.base)
    }

    /// `GET /ca/<ca>.cer`: the CA certificate in DER, for AIA chasing.
    pub fn ca_issuers(&self, ca: &str) -> String {
        format!("{}/ca/{ca}.cer", self.base)
    }

    /// `GET|POST /ocsp`: one responder URL for every CA; the request names the issuer.
    pub fn ocsp(&self) -> String {
        format!("{}/ocsp", self.base)
    }
}

/// The issuer of a certificate: its certificate, key and the short name its URLs use.
pub struct Issuer<'a> {
    pub certificate: &'a X509Ref,
    pub key: &'a PKeyRef<Private>,
    pub slug: &'a str,
}

/// The key a certificate certifies: a key pair kyso holds, or only the public half of a key
/// kept elsewhere (in an HSM, for remote signing).
#[derive(Clone, Copy)]
pub enum SubjectKey<'a> {
    Pair(&'a PKeyRef<Private>),
    Public(&'a PKeyRef<Public>),
}

/// Everything one certificate needs. `issuer: None` makes a self-signed root, which needs
/// [`SubjectKey::Pair`].
pub struct CertificateRequest<'a> {
    pub role: Role,
    pub subject: &'a SubjectName,
    pub key: SubjectKey<'a>,
    pub validity: Validity,
    pub issuer: Option<Issuer<'a>>,
    pub endpoints: &'a Endpoints,
}

const OID_CRL_DISTRIBUTION_POINTS: &str = "2.5.29.31";
const OID_AUTHORITY_INFO_ACCESS: &str = "1.3.6.1.5.5.7.1.1";
const OID_OCSP_NOCHECK: &str = "1.3.6.1.5.5.7.48.1.5";
const OID_AD_OCSP: &str = "1.3.6.1.5.5.7.48.1";
const OID_AD_CA_ISSUERS: &str = "1.3.6.1.5.5.7.48.2";

/// Issues one certificate with a fresh random 127-bit serial (RFC 5280 §4.1.2.2 allows up to
/// 20 octets; CA/B Forum asks for at least 64 bits of entropy).
pub fn issue(request: &CertificateRequest<'_>) -> Result<X509, PkiError> {
    let openssl = PkiError::openssl("issuing a certificate");
    let mut builder = X509Builder::new().map_err(openssl)?;
    builder.set_version(2).map_err(openssl)?;
    let mut serial = BigNum::new().map_err(openssl)?;
    serial
        .rand(127, MsbOption::MAYBE_ZERO, false)
        .map_err(openssl)?;
    let serial = Asn1Integer::from_bn(&serial).map_err(openssl)?;
    builder.set_serial_number(&serial).map_err(openssl)?;
    let subject = request.subject.to_x509_name()?;
    builder.set_subject_name(&subject).map_err(openssl)?;
    match &request.issuer {
        Some(issuer) => builder.set_issuer_name(issuer.certificate.subject_name()),
        None => builder.set_issuer_name(&subject),
    }
    .map_err(openssl)?;
    match request.key {
        SubjectKey::Pair(key) => builder.set_pubkey(key),
        SubjectKey::Public(key) => builder.set_pubkey(key),
    }
    .map_err(openssl)?;
    let not_before = Asn1Time::from_unix(request.validity.not_before).map_err(openssl)?;
    let not_after = Asn1Time::from_unix(request.validity.not_after).map_err(openssl)?;
    builder.set_not_before(&not_before).map_err(openssl)?;
    builder.set_not_after(&not_after).map_err(openssl)?;

    for extension in extensions(request, &builder)? {
        builder.append_extension(extension).map_err(openssl)?;
    }
    let signing_key = match (&request.issuer, request.key) {
        (Some(issuer), _) => issuer.key,
        (None, SubjectKey::Pair(key)) => key,
        (None, SubjectKey::Public(_)) => return Err(PkiError::SelfSignedNeedsPrivateKey),
    };
    builder
        .sign(signing_key, issuer_digest(signing_key))
        .map_err(openssl)?;
    Ok(builder.build())
}

fn extensions(
    request: &CertificateRequest<'_>,
    builder: &X509Builder,
) -> Result<Vec<X509Extension>, PkiError> {
    let openssl = PkiError::openssl("building certificate extensions");
    let issuer_cert = request.issuer.as_ref().map(|i| i.certificate);
    let ctx = builder.x509v3_context(issuer_cert, None);
    let mut out = Vec::new();

    let mut basic = BasicConstraints::new();
    basic.critical();
    match request.role {
        RootCa => basic.ca(),
        IssuingCa => basic.ca().pathlen(0),
        _ => &mut basic,
    };
    out.push(basic.build().map_err(openssl)?);

    let mut usage = KeyUsage::new();
    usage.critical();
    match request.role {
        RootCa | IssuingCa => usage.key_cert_sign().crl_sign(),
        Signer | TimeStamping => usage.digital_signature().non_repudiation(),
        OcspResponder => usage.digital_signature(),
    };
    out.push(usage.build().map_err(openssl)?);

    match request.role {
        TimeStamping => out.push(
            ExtendedKeyUsage::new()
                .critical()
                .time_stamping()
                .build()
                .map_err(openssl)?,
        ),
        OcspResponder => {
            out.push(
                ExtendedKeyUsage::new()
                    .other("OCSPSigning")
                    .build()
                    .map_err(openssl)?,
            );
            out.push(raw_extension(OID_OCSP_NOCHECK, &der::tlv(der::NULL, &[]))?);
        }
        RootCa | IssuingCa | Signer => {}
    }

    out.push(SubjectKeyIdentifier::new().build(&ctx).map_err(openssl)?);
    if let Some(issuer) = &request.issuer {
        out.push(
            AuthorityKeyIdentifier::new()
                .keyid(true)
                .build(&ctx)
                .map_err(openssl)?,
        );
        out.push(crl_distribution_points(
            &request.endpoints.crl(issuer.slug),
        )?);
        let ocsp = matches!(request.role, Signer | TimeStamping).then(|| request.endpoints.ocsp());
        out.push(authority_info_access(
            ocsp.as_deref(),
            &request.endpoints.ca_issuers(issuer.slug),
        )?);
    }
    Ok(out)
}

use Role::{IssuingCa, OcspResponder, RootCa, Signer, TimeStamping};

/// CRLDistributionPoints with one full-name URI (RFC 5280 §4.2.1.13):
/// `SEQUENCE { SEQUENCE { [0] { [0] { [6] uri } } } }`.
fn crl_distribution_points(url: &str) -> Result<X509Extension, PkiError> {
    let full_name = der::tlv(
        der::CONTEXT_0_CONSTRUCTED,
        &der::tlv(der::GENERAL_NAME_URI, url.as_bytes()),
    );
    let point = der::sequence(&[der::tlv(der::CONTEXT_0_CONSTRUCTED, &full_name)]);
    raw_extension(OID_CRL_DISTRIBUTION_POINTS, &der::sequence(&[point]))
}

/// AuthorityInfoAccessSyntax (RFC 5280 §4.2.2.1): OCSP when given, then caIssuers.
fn authority_info_access(ocsp: Option<&str>, ca_issuers: &str) -> Result<X509Extension, PkiError> {
    let description = |method: &str, url: &str| -> Result<Vec<u8>, PkiError> {
        let method = der::oid(method).ok_or(PkiError::Internal {
            what: "a malformed access method OID",
        })?;
        Ok(der::sequence(&[
            method,
            der::tlv(der::GENERAL_NAME_URI, url.as_bytes()),
        ]))
    };
    let mut descriptions = Vec::new();
    if let Some(ocsp) = ocsp {
        descriptions.push(description(OID_AD_OCSP, ocsp)?);
    }
    descriptions.push(description(OID_AD_CA_ISSUERS, ca_issuers)?);
    raw_extension(OID_AUTHORITY_INFO_ACCESS, &der::sequence(&descriptions))
}

fn raw_extension(oid: &str, value: &[u8]) -> Result<X509Extension, PkiError> {
    let openssl = PkiError::openssl("encoding an extension");
    let object = Asn1Object::from_str(oid).map_err(openssl)?;
    let contents = Asn1OctetString::new_from_bytes(value).map_err(openssl)?;
    X509Extension::new_from_der(&object, false, &contents).map_err(openssl)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::key::KeySpec;

    #[test]
    fn endpoints_refuse_what_is_not_a_base_url() {
        for bad in [
            "ftp://x",
            "127.0.0.1:8080",
            "http://",
            "http://h/a?b",
            "http://h/ä",
            "http://h x",
        ] {
            assert!(Endpoints::new(bad).is_err(), "{bad}");
        }
        let ok = Endpoints::new("https://ca.example.vn/kyso/").unwrap();
        assert_eq!(
            ok.crl("public-ca"),
            "https://ca.example.vn/kyso/crl/public-ca.crl"
        );
        assert_eq!(ok.ocsp(), "https://ca.example.vn/kyso/ocsp");
    }

    #[test]
    fn issued_leaf_chains_to_its_issuer() {
        let endpoints = Endpoints::new("http://127.0.0.1:8080").unwrap();
        let validity = Validity {
            not_before: 1_700_000_000,
            not_after: 1_900_000_000,
        };
        let root_key = KeySpec::EcP256.generate().unwrap();
        let root_name = SubjectName {
            common_name: "Gốc thử".into(),
            ..SubjectName::default()
        };
        let root = issue(&CertificateRequest {
            role: Role::RootCa,
            subject: &root_name,
            key: SubjectKey::Pair(&root_key),
            validity,
            issuer: None,
            endpoints: &endpoints,
        })
        .unwrap();
        let leaf_key = KeySpec::EcP256.generate().unwrap();
        let leaf_name = SubjectName {
            common_name: "Người ký".into(),
            ..SubjectName::default()
        };
        let leaf = issue(&CertificateRequest {
            role: Role::OcspResponder,
            subject: &leaf_name,
            key: SubjectKey::Pair(&leaf_key),
            validity,
            issuer: Some(Issuer {
                certificate: &root,
                key: &root_key,
                slug: "root",
            }),
            endpoints: &endpoints,
        })
        .unwrap();
        assert!(leaf.verify(&root.public_key().unwrap()).unwrap());
        assert_eq!(leaf.crl_distribution_points().unwrap().len(), 1);
        let serial = leaf.serial_number().to_bn().unwrap();
        assert!(serial.num_bits() > 64 && !serial.is_negative());
    }
}
