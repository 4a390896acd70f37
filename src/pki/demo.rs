//! The demo test PKI that `kyso pki demo` writes to `certs/`: two hierarchies mirroring
//! Vietnam (the national root with a public CA for citizens; the government special-use root
//! with a CA for officers and agencies), a TSA, OCSP responders, revoked and expired signers.
//! This module only computes the files; writing them is left to the caller.

use openssl::pkcs12::Pkcs12;
use openssl::pkey::{PKey, Private};
use openssl::stack::Stack;
use openssl::x509::X509;
use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::PkiError;
use super::identity::{Identity, SubjectName};
use super::key::KeySpec;
use super::profile::{self, CertificateRequest, Endpoints, Issuer, Role, SubjectKey, Validity};

/// The password of every PKCS#12 file in the demo PKI. Test keys only.
pub const PKCS12_PASSWORD: &str = "kyso-test";

/// The base URL the certificates point at unless told otherwise: `kyso serve`'s default.
pub const DEFAULT_BASE_URL: &str = "http://127.0.0.1:8080";

const DAY: i64 = 86_400;
const YEAR: i64 = 365 * DAY;

/// Whether a signer can be used, as the tests expect it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Valid,
    /// Revoked one hour after issuance, reason keyCompromise.
    Revoked,
    /// Its validity period ended a year before the PKI was made.
    Expired,
}

/// Which hierarchy an entity belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Hierarchy {
    /// Public digital signature services for citizens, under the national root.
    Public,
    /// Government special-use digital signatures (chữ ký số chuyên dùng Chính phủ).
    Government,
}

struct EntitySpec {
    slug: &'static str,
    role: Role,
    hierarchy: Hierarchy,
    key: KeySpec,
    issuer: Option<&'static str>,
    status: Status,
    purpose: &'static str,
    subject: fn() -> SubjectName,
}

fn name(
    cn: &str,
    organization: Option<&str>,
    locality: Option<&str>,
    uids: &[&str],
) -> SubjectName {
    SubjectName {
        common_name: cn.to_owned(),
        organization: organization.map(str::to_owned),
        locality: locality.map(str::to_owned),
        country: Some("VN".to_owned()),
        identities: uids
            .iter()
            .map(|uid| {
                uid.parse::<Identity>()
                    .expect("demo identities are well-formed")
            })
            .collect(),
        ..SubjectName::default()
    }
}

const TEST_PKI: &str = "Kyso Test PKI - chỉ dùng để thử nghiệm";
const GOV_ORG: &str = "Cơ quan chứng thực số chuyên dùng Chính phủ (thử nghiệm Kyso)";

/// Issuers come before what they issue.
const ENTITIES: &[EntitySpec] = &[
    EntitySpec {
        slug: "national-root",
        role: Role::RootCa,
        hierarchy: Hierarchy::Public,
        key: KeySpec::Rsa3072,
        issuer: None,
        status: Status::Valid,
        purpose: "trust anchor standing for the national root CA",
        subject: || name("Kyso Test National Root CA", Some(TEST_PKI), None, &[]),
    },
    EntitySpec {
        slug: "government-root",
        role: Role::RootCa,
        hierarchy: Hierarchy::Government,
        key: KeySpec::Rsa3072,
        issuer: None,
        status: Status::Valid,
        purpose: "trust anchor standing for the government special-use root CA",
        subject: || name("Kyso Test Government Root CA", Some(GOV_ORG), None, &[]),
    },
    EntitySpec {
        slug: "public-ca",
        role: Role::IssuingCa,
        hierarchy: Hierarchy::Public,
        key: KeySpec::Rsa3072,
        issuer: Some("national-root"),
        status: Status::Valid,
        purpose: "public CA issuing citizens' remote-signing certificates, the TSA and its OCSP responder",
        subject: || name("Kyso Test Public CA", Some(TEST_PKI), None, &[]),
    },
    EntitySpec {
        slug: "government-ca",
        role: Role::IssuingCa,
        hierarchy: Hierarchy::Government,
        key: KeySpec::EcP384,
        issuer: Some("government-root"),
        status: Status::Valid,
        purpose: "government special-use CA issuing officer and agency certificates",
        subject: || name("Kyso Test Government CA", Some(GOV_ORG), None, &[]),
    },
    EntitySpec {
        slug: "citizen-nguyen-van-an",
        role: Role::Signer,
        hierarchy: Hierarchy::Public,
        key: KeySpec::Rsa2048,
        issuer: Some("public-ca"),
        status: Status::Valid,
        purpose: "citizen signer, RSA-2048, with a CCCD and an old CMND identity",
        subject: || {
            name(
                "Nguyễn Văn An",
                None,
                Some("Hà Nội"),
                &["CCCD:001089012345", "CMND:012345678"],
            )
        },
    },
    EntitySpec {
        slug: "citizen-tran-thi-ngoc-anh",
        role: Role::Signer,
        hierarchy: Hierarchy::Public,
        key: KeySpec::EcP256,
        issuer: Some("public-ca"),
        status: Status::Valid,
        purpose: "citizen signer, ECDSA P-256",
        subject: || {
            name(
                "Trần Thị Ngọc Ánh",
                None,
                Some("Thành phố Hồ Chí Minh"),
                &["CCCD:079195004321"],
            )
        },
    },
    EntitySpec {
        slug: "citizen-le-hoang-phuc",
        role: Role::Signer,
        hierarchy: Hierarchy::Public,
        key: KeySpec::Rsa2048,
        issuer: Some("public-ca"),
        status: Status::Revoked,
        purpose: "citizen signer, RSA-2048, REVOKED (keyCompromise)",
        subject: || {
            name(
                "Lê Hoàng Phúc",
                None,
                Some("Đà Nẵng"),
                &["CCCD:048090007788"],
            )
        },
    },
    EntitySpec {
        slug: "tsa",
        role: Role::TimeStamping,
        hierarchy: Hierarchy::Public,
        key: KeySpec::Rsa2048,
        issuer: Some("public-ca"),
        status: Status::Valid,
        purpose: "RFC 3161 time-stamping unit (critical EKU timeStamping) for POST /tsa",
        subject: || {
            name(
                "Kyso Test Time-Stamping Authority",
                Some(TEST_PKI),
                None,
                &[],
            )
        },
    },
    EntitySpec {
        slug: "public-ca-ocsp",
        role: Role::OcspResponder,
        hierarchy: Hierarchy::Public,
        key: KeySpec::EcP256,
        issuer: Some("public-ca"),
        status: Status::Valid,
        purpose: "delegated OCSP responder for certificates of the public CA (id-pkix-ocsp-nocheck)",
        subject: || {
            name(
                "Kyso Test Public CA OCSP Responder",
                Some(TEST_PKI),
                None,
                &[],
            )
        },
    },
    EntitySpec {
        slug: "officer-pham-minh-duc",
        role: Role::Signer,
        hierarchy: Hierarchy::Government,
        key: KeySpec::Rsa3072,
        issuer: Some("government-ca"),
        status: Status::Valid,
        purpose: "officer signer, RSA-3072",
        subject: || {
            name(
                "Phạm Minh Đức",
                Some("Sở Tư pháp tỉnh Lào Cai"),
                Some("Lào Cai"),
                &["CCCD:010085001122"],
            )
        },
    },
    EntitySpec {
        slug: "officer-do-thi-huong",
        role: Role::Signer,
        hierarchy: Hierarchy::Government,
        key: KeySpec::EcP256,
        issuer: Some("government-ca"),
        status: Status::Valid,
        purpose: "officer signer, ECDSA P-256",
        subject: || {
            name(
                "Đỗ Thị Hương",
                Some("Ủy ban nhân dân phường Hoàn Kiếm"),
                Some("Hà Nội"),
                &["CCCD:001186009876"],
            )
        },
    },
    EntitySpec {
        slug: "officer-vu-quoc-khanh",
        role: Role::Signer,
        hierarchy: Hierarchy::Government,
        key: KeySpec::Rsa2048,
        issuer: Some("government-ca"),
        status: Status::Expired,
        purpose: "officer signer, RSA-2048, EXPIRED",
        subject: || {
            name(
                "Vũ Quốc Khánh",
                Some("Văn phòng Ủy ban nhân dân tỉnh Nghệ An"),
                Some("Nghệ An"),
                &["CCCD:040083003344"],
            )
        },
    },
    EntitySpec {
        slug: "agency-ubnd-lao-cai",
        role: Role::Signer,
        hierarchy: Hierarchy::Government,
        key: KeySpec::Rsa2048,
        issuer: Some("government-ca"),
        status: Status::Valid,
        purpose: "agency (organisation) signer, RSA-2048, identified by its budget unit code",
        subject: || {
            name(
                "Ủy ban nhân dân tỉnh Lào Cai",
                Some("Ủy ban nhân dân tỉnh Lào Cai"),
                Some("Lào Cai"),
                &["MNS:1058432"],
            )
        },
    },
    EntitySpec {
        slug: "government-ca-ocsp",
        role: Role::OcspResponder,
        hierarchy: Hierarchy::Government,
        key: KeySpec::EcP256,
        issuer: Some("government-ca"),
        status: Status::Valid,
        purpose: "delegated OCSP responder for certificates of the government CA (id-pkix-ocsp-nocheck)",
        subject: || {
            name(
                "Kyso Test Government CA OCSP Responder",
                Some(GOV_ORG),
                None,
                &[],
            )
        },
    },
];

/// What to make: where the certificates point and the moment the PKI is made.
#[derive(Debug, Clone)]
pub struct DemoConfig {
    pub endpoints: Endpoints,
    /// Unix seconds; validity periods and the revocation are relative to it.
    pub now: i64,
}

/// One file of the demo PKI, relative to the output folder, with `/` separators.
#[derive(Debug, Clone)]
pub struct DemoFile {
    pub path: String,
    pub contents: Vec<u8>,
}

/// One certificate of the demo PKI, as `manifest.json` lists it.
#[derive(Debug, Clone, Serialize)]
pub struct EntityRecord {
    pub slug: &'static str,
    pub role: Role,
    pub hierarchy: Hierarchy,
    pub key: KeySpec,
    pub issuer: Option<&'static str>,
    pub status: Status,
    pub purpose: &'static str,
    pub subject: SubjectName,
    /// Uppercase hexadecimal, as OpenSSL prints it.
    pub serial: String,
    pub not_before: String,
    pub not_after: String,
    #[serde(skip)]
    not_after_unix: i64,
    pub revoked_at: Option<String>,
    pub certificate: String,
    pub private_key: String,
    pub pkcs12: Option<String>,
    pub chain: Option<String>,
}

/// The whole demo PKI, ready to be written.
#[derive(Debug, Clone)]
pub struct DemoPki {
    pub entities: Vec<EntityRecord>,
    pub files: Vec<DemoFile>,
}

struct Made {
    slug: &'static str,
    certificate: X509,
    key: PKey<Private>,
    record_index: usize,
}

/// Generates every key and certificate, the PKCS#12 files, the OpenSSL-style CA databases,
/// `manifest.json` and `README.md`.
pub fn generate(config: &DemoConfig) -> Result<DemoPki, PkiError> {
    let mut made: Vec<Made> = Vec::with_capacity(ENTITIES.len());
    let mut pki = DemoPki {
        entities: Vec::new(),
        files: Vec::new(),
    };
    for spec in ENTITIES {
        let key = spec.key.generate()?;
        let issuer = spec
            .issuer
            .map(|slug| {
                made.iter()
                    .find(|m| m.slug == slug)
                    .ok_or(PkiError::Internal {
                        what: "a demo entity listed before its issuer",
                    })
            })
            .transpose()?;
        let subject = (spec.subject)();
        let validity = validity_of(spec, config.now);
        let certificate = profile::issue(&CertificateRequest {
            role: spec.role,
            subject: &subject,
            key: SubjectKey::Pair(&key),
            validity,
            issuer: issuer.map(|m| Issuer {
                certificate: &m.certificate,
                key: &m.key,
                slug: m.slug,
            }),
            endpoints: &config.endpoints,
        })?;
        let issuing_ca = issuer.filter(|_| spec.role != Role::IssuingCa);
        let record = write_entity(&mut pki.files, spec, &certificate, &key, issuing_ca)?;
        pki.entities.push(EntityRecord {
            subject,
            serial: serial_hex(&certificate)?,
            not_before: rfc3339(validity.not_before)?,
            not_after: rfc3339(validity.not_after)?,
            not_after_unix: validity.not_after,
            revoked_at: match spec.status {
                Status::Revoked => Some(rfc3339(revocation_time(config.now))?),
                _ => None,
            },
            ..record
        });
        made.push(Made {
            slug: spec.slug,
            certificate,
            key,
            record_index: pki.entities.len() - 1,
        });
    }
    for ca in made.iter().filter(|m| {
        matches!(
            pki.entities[m.record_index].role,
            Role::RootCa | Role::IssuingCa
        )
    }) {
        pki.files.push(DemoFile {
            path: format!("ca/{}.index.txt", ca.slug),
            contents: ca_database(&pki.entities, ca.slug, config.now)?.into_bytes(),
        });
    }
    let manifest = serde_json::to_vec_pretty(&Manifest {
        base_url: config.endpoints.base(),
        generated_at: rfc3339(config.now)?,
        pkcs12_password: PKCS12_PASSWORD,
        entities: &pki.entities,
    })
    .map_err(|_| PkiError::Internal {
        what: "the manifest could not be serialised",
    })?;
    pki.files.push(DemoFile {
        path: "manifest.json".into(),
        contents: manifest,
    });
    let readme = readme(&pki, config)?;
    pki.files.push(DemoFile {
        path: "README.md".into(),
        contents: readme.into_bytes(),
    });
    Ok(pki)
}

#[derive(Serialize)]
struct Manifest<'a> {
    base_url: &'a str,
    generated_at: String,
    pkcs12_password: &'a str,
    entities: &'a [EntityRecord],
}

fn validity_of(spec: &EntitySpec, now: i64) -> Validity {
    match (spec.role, spec.status) {
        // CAs are backdated so the expired officer's whole life lies inside its issuer's.
        (Role::RootCa | Role::IssuingCa, _) => Validity {
            not_before: now - 3 * YEAR,
            not_after: now + 21 * YEAR,
        },
        (_, Status::Expired) => Validity {
            not_before: now - 2 * YEAR,
            not_after: now - YEAR,
        },
        _ => Validity {
            not_before: now - DAY,
            not_after: now + 20 * YEAR,
        },
    }
}

fn revocation_time(now: i64) -> i64 {
    now - 23 * 3600
}

/// Writes the certificate, key and (for everything that signs) the chain and PKCS#12 files.
fn write_entity(
    files: &mut Vec<DemoFile>,
    spec: &EntitySpec,
    certificate: &X509,
    key: &PKey<Private>,
    issuing_ca: Option<&Made>,
) -> Result<EntityRecord, PkiError> {
    let openssl = PkiError::openssl("encoding the demo PKI files");
    let folder = match spec.role {
        Role::RootCa => "trust",
        Role::IssuingCa => "ca",
        Role::Signer => "signers",
        Role::TimeStamping | Role::OcspResponder => "services",
    };
    let key_folder = if spec.role == Role::RootCa {
        "ca"
    } else {
        folder
    };
    let cert_path = format!("{folder}/{}.pem", spec.slug);
    let key_path = format!("{key_folder}/{}.key.pem", spec.slug);
    files.push(DemoFile {
        path: cert_path.clone(),
        contents: certificate.to_pem().map_err(openssl)?,
    });
    files.push(DemoFile {
        path: key_path.clone(),
        contents: key.private_key_to_pem_pkcs8().map_err(openssl)?,
    });
    let mut record = EntityRecord {
        slug: spec.slug,
        role: spec.role,
        hierarchy: spec.hierarchy,
        key: spec.key,
        issuer: spec.issuer,
        status: spec.status,
        purpose: spec.purpose,
        subject: SubjectName::default(),
        serial: String::new(),
        not_before: String::new(),
        not_after: String::new(),
        not_after_unix: 0,
        revoked_at: None,
        certificate: cert_path,
        private_key: key_path,
        pkcs12: None,
        chain: None,
    };
    if let Some(ca) = issuing_ca {
        let chain_path = format!("{folder}/{}.chain.pem", spec.slug);
        let mut chain = certificate.to_pem().map_err(openssl)?;
        chain.extend(ca.certificate.to_pem().map_err(openssl)?);
        files.push(DemoFile {
            path: chain_path.clone(),
            contents: chain,
        });
        let mut cas = Stack::new().map_err(openssl)?;
        cas.push(ca.certificate.clone()).map_err(openssl)?;
        let p12 = Pkcs12::builder()
            .name(spec.slug)
            .pkey(key)
            .cert(certificate)
            .ca(cas)
            .build2(PKCS12_PASSWORD)
            .map_err(PkiError::openssl("building a PKCS#12 file"))?;
        let p12_path = format!("{folder}/{}.p12", spec.slug);
        files.push(DemoFile {
            path: p12_path.clone(),
            contents: p12.to_der().map_err(openssl)?,
        });
        record.pkcs12 = Some(p12_path);
        record.chain = Some(chain_path);
    }
    Ok(record)
}

fn serial_hex(certificate: &X509) -> Result<String, PkiError> {
    let openssl = PkiError::openssl("reading a serial number");
    let hex = certificate
        .serial_number()
        .to_bn()
        .map_err(openssl)?
        .to_hex_str()
        .map_err(openssl)?
        .to_string();
    Ok(if hex.len() % 2 == 1 {
        format!("0{hex}")
    } else {
        hex
    })
}

fn datetime(unix: i64) -> Result<OffsetDateTime, PkiError> {
    OffsetDateTime::from_unix_timestamp(unix).map_err(|_| PkiError::TimeOutOfRange { unix })
}

fn rfc3339(unix: i64) -> Result<String, PkiError> {
    datetime(unix)?
        .format(&Rfc3339)
        .map_err(|_| PkiError::TimeOutOfRange { unix })
}

/// UTCTime before 2050, GeneralizedTime from then on, as OpenSSL's `ca` database writes them
/// (RFC 5280 §4.1.2.5).
fn asn1_time_text(unix: i64) -> Result<String, PkiError> {
    let t = datetime(unix)?;
    let clock = format!(
        "{:02}{:02}{:02}{:02}{:02}Z",
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    Ok(if t.year() < 2050 {
        format!("{:02}{clock}", t.year().rem_euclid(100))
    } else {
        format!("{:04}{clock}", t.year())
    })
}

/// The CA database (`index.txt`) that `openssl ca` and `openssl ocsp -index` read: one line
/// per issued certificate, `V` or `R`, expiry, revocation time and reason, serial, subject.
fn ca_database(entities: &[EntityRecord], ca: &str, now: i64) -> Result<String, PkiError> {
    let mut out = String::new();
    for entity in entities.iter().filter(|e| e.issuer == Some(ca)) {
        let (flag, revoked) = match entity.status {
            Status::Revoked => (
                'R',
                format!("{},keyCompromise", asn1_time_text(revocation_time(now))?),
            ),
            _ => ('V', String::new()),
        };
        let dn: String = [
            ("C", entity.subject.country.as_deref()),
            ("L", entity.subject.locality.as_deref()),
            ("O", entity.subject.organization.as_deref()),
            ("CN", Some(entity.subject.common_name.as_str())),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| format!("/{k}={v}")))
        .chain(
            entity
                .subject
                .identities
                .iter()
                .map(|id| format!("/UID={id}")),
        )
        .collect();
        out.push_str(&format!(
            "{flag}\t{}\t{revoked}\t{}\tunknown\t{dn}\n",
            asn1_time_text(entity.not_after_unix)?,
            entity.serial
        ));
    }
    Ok(out)
}

fn readme(pki: &DemoPki, config: &DemoConfig) -> Result<String, PkiError> {
    let mut out = format!(
        "# Test PKI (test keys only — never trust these anywhere else)\n\n\
         Generated by `kyso pki demo --out certs --base-url {base}` on {at}.\n\
         Regenerating replaces every key, so committed signed test files must be re-made too.\n\n\
         - Password of every `.p12` file: `{PKCS12_PASSWORD}` (private keys in `.key.pem` are \
         unencrypted PKCS#8).\n\
         - Trust anchors: only the two roots, in `trust/`.\n\
         - Certificates point at `{base}`: CRLs at `/crl/<ca>.crl`, CA certificates at \
         `/ca/<ca>.cer`, OCSP at `/ocsp`, the TSA at `/tsa`.\n\
         - `ca/<ca>.index.txt` is each CA's database in the format of `openssl ca` \
         (status, expiry, revocation, serial, subject), usable with `openssl ocsp -index`.\n\
         - `manifest.json` lists every certificate with subject, serial, validity and status.\n\
         - Names are UTF8String; read them with `openssl x509 -noout -subject -nameopt utf8`.\n\n\
         ## Hierarchies\n\n\
         ```\n\
         national-root   Kyso Test National Root CA      (stands for the national root)\n\
         └─ public-ca    Kyso Test Public CA             citizens, TSA, OCSP responder\n\
         government-root Kyso Test Government Root CA    (stands for the special-use root)\n\
         └─ government-ca Kyso Test Government CA        officers, agency, OCSP responder\n\
         ```\n\n\
         ## Certificates\n\n\
         | slug | role | key | issuer | status | subject | purpose |\n\
         |---|---|---|---|---|---|---|\n",
        base = config.endpoints.base(),
        at = rfc3339(config.now)?,
    );
    for e in &pki.entities {
        let mut subject = e.subject.common_name.clone();
        for (label, value) in [("O", &e.subject.organization), ("L", &e.subject.locality)] {
            if let Some(value) = value {
                subject.push_str(&format!(", {label}={value}"));
            }
        }
        for identity in &e.subject.identities {
            subject.push_str(&format!(", UID={identity}"));
        }
        out.push_str(&format!(
            "| {} | {:?} | {} | {} | {:?} | {} | {} |\n",
            e.slug,
            e.role,
            e.key,
            e.issuer.unwrap_or("(self)"),
            e.status,
            subject,
            e.purpose
        ));
    }
    out.push_str("\n## Files\n\n| file | what it is |\n|---|---|\n");
    for file in &pki.files {
        out.push_str(&format!(
            "| `{}` | {} |\n",
            file.path,
            describe(&file.path, pki)
        ));
    }
    out.push_str("| `README.md` | this file |\n");
    Ok(out)
}

fn describe(path: &str, pki: &DemoPki) -> String {
    if path == "manifest.json" {
        return "machine-readable list of every certificate (used by the tests)".into();
    }
    let stem = path.rsplit('/').next().unwrap_or(path);
    let (slug, kind) = match stem.split_once('.') {
        Some(split) => split,
        None => return String::new(),
    };
    let who = pki
        .entities
        .iter()
        .find(|e| e.slug == slug)
        .map_or(slug.to_owned(), |e| e.subject.common_name.clone());
    match kind {
        "pem" => format!("certificate of {who} (PEM)"),
        "key.pem" => format!("private key of {who} (PKCS#8 PEM, unencrypted)"),
        "chain.pem" => format!("{who}: certificate followed by its issuing CA (PEM)"),
        "p12" => format!(
            "{who}: key, certificate and issuing CA (PKCS#12, password `{PKCS12_PASSWORD}`)"
        ),
        "index.txt" => format!("CA database of {who} (openssl ca format)"),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_issuer_precedes_what_it_issues() {
        for (i, spec) in ENTITIES.iter().enumerate() {
            if let Some(issuer) = spec.issuer {
                assert!(
                    ENTITIES[..i].iter().any(|e| e.slug == issuer),
                    "{} is listed before its issuer {issuer}",
                    spec.slug
                );
            }
        }
    }

    #[test]
    fn asn1_time_switches_to_generalized_time_in_2050() {
        // 2049-12-31T23:59:59Z and 2050-01-01T00:00:00Z.
        assert_eq!(asn1_time_text(2_524_607_999).unwrap(), "491231235959Z");
        assert_eq!(asn1_time_text(2_524_608_000).unwrap(), "20500101000000Z");
    }
}
