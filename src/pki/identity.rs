//! Vietnamese certificate identities: the prefixed `UID` attributes (`CCCD:`, `CMND:`, `HC:`,
//! `MST:`, `MNS:`) and the subject names that carry them as UTF8String. Chain building and
//! revocation are left to the validation code.

use std::fmt;
use std::str::FromStr;

use openssl::asn1::Asn1Type;
use openssl::nid::Nid;
use openssl::x509::{X509Name, X509NameRef};

use super::PkiError;

/// The kind of identifier a Vietnamese CA writes into a `UID` attribute, by its prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum IdentityKind {
    /// Căn cước công dân / căn cước: 12 digits.
    Cccd,
    /// Chứng minh nhân dân (the old ID card): 9 or 12 digits.
    Cmnd,
    /// Hộ chiếu (passport): a letter and 7 or 8 digits.
    Passport,
    /// Mã số thuế (tax code): 10 digits, or 10 digits, a dash and 3 digits for a branch.
    TaxCode,
    /// Mã đơn vị có quan hệ với ngân sách (state budget unit code): 7 digits.
    BudgetUnit,
}

impl IdentityKind {
    pub const ALL: [IdentityKind; 5] = [
        IdentityKind::Cccd,
        IdentityKind::Cmnd,
        IdentityKind::Passport,
        IdentityKind::TaxCode,
        IdentityKind::BudgetUnit,
    ];

    /// The prefix written before the colon in the `UID` value.
    pub fn prefix(self) -> &'static str {
        match self {
            IdentityKind::Cccd => "CCCD",
            IdentityKind::Cmnd => "CMND",
            IdentityKind::Passport => "HC",
            IdentityKind::TaxCode => "MST",
            IdentityKind::BudgetUnit => "MNS",
        }
    }

    fn accepts(self, value: &str) -> bool {
        let digits = |s: &str, lens: &[usize]| {
            lens.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
        };
        match self {
            IdentityKind::Cccd => digits(value, &[12]),
            IdentityKind::Cmnd => digits(value, &[9, 12]),
            IdentityKind::Passport => {
                let mut chars = value.chars();
                chars.next().is_some_and(|c| c.is_ascii_uppercase())
                    && digits(chars.as_str(), &[7, 8])
            }
            IdentityKind::TaxCode => match value.split_once('-') {
                Some((main, branch)) => digits(main, &[10]) && digits(branch, &[3]),
                None => digits(value, &[10]),
            },
            IdentityKind::BudgetUnit => digits(value, &[7]),
        }
    }
}

/// One identity from a `UID` attribute, e.g. `CCCD:001089012345`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Identity {
    pub kind: IdentityKind,
    pub value: String,
}

impl Identity {
    pub fn new(kind: IdentityKind, value: &str) -> Result<Identity, PkiError> {
        if !kind.accepts(value) {
            return Err(PkiError::InvalidIdentity {
                value: format!("{}:{value}", kind.prefix()),
            });
        }
        Ok(Identity {
            kind,
            value: value.to_owned(),
        })
    }
}

impl FromStr for Identity {
    type Err = PkiError;

    fn from_str(uid: &str) -> Result<Identity, PkiError> {
        let invalid = || PkiError::InvalidIdentity {
            value: uid.to_owned(),
        };
        let (prefix, value) = uid.split_once(':').ok_or_else(invalid)?;
        let kind = IdentityKind::ALL
            .into_iter()
            .find(|kind| kind.prefix().eq_ignore_ascii_case(prefix.trim()))
            .ok_or_else(invalid)?;
        Identity::new(kind, value.trim()).map_err(|_| invalid())
    }
}

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind.prefix(), self.value)
    }
}

/// The subject fields kyso writes and reads. Every string but `C` is a UTF8String so that
/// Vietnamese diacritics survive (RFC 5280 §4.1.2.6 prefers UTF8String; `C` is a
/// PrintableString by definition, X.520).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct SubjectName {
    pub common_name: String,
    pub organization: Option<String>,
    pub organizational_unit: Option<String>,
    pub locality: Option<String>,
    pub state: Option<String>,
    pub country: Option<String>,
    pub identities: Vec<Identity>,
    /// `UID` values without a known prefix, kept so nothing the CA wrote is dropped.
    pub other_uids: Vec<String>,
}

impl SubjectName {
    /// Encodes the name in the order Vietnamese CAs use: C, ST, L, O, OU, CN, then UIDs.
    pub fn to_x509_name(&self) -> Result<X509Name, PkiError> {
        let openssl = PkiError::openssl("building a subject name");
        let mut name = X509Name::builder().map_err(openssl)?;
        if let Some(country) = &self.country {
            name.append_entry_by_nid_with_type(
                Nid::COUNTRYNAME,
                country,
                Asn1Type::PRINTABLESTRING,
            )
            .map_err(PkiError::openssl("encoding the country"))?;
        }
        let utf8_fields = [
            (Nid::STATEORPROVINCENAME, self.state.as_deref()),
            (Nid::LOCALITYNAME, self.locality.as_deref()),
            (Nid::ORGANIZATIONNAME, self.organization.as_deref()),
            (
                Nid::ORGANIZATIONALUNITNAME,
                self.organizational_unit.as_deref(),
            ),
            (Nid::COMMONNAME, Some(self.common_name.as_str())),
        ];
        for (nid, value) in utf8_fields {
            if let Some(value) = value {
                name.append_entry_by_nid_with_type(nid, value, Asn1Type::UTF8STRING)
                    .map_err(PkiError::openssl("encoding a subject attribute"))?;
            }
        }
        let uids = self
            .identities
            .iter()
            .map(Identity::to_string)
            .chain(self.other_uids.iter().cloned());
        for uid in uids {
            name.append_entry_by_nid_with_type(Nid::USERID, &uid, Asn1Type::UTF8STRING)
                .map_err(PkiError::openssl("encoding a UID"))?;
        }
        Ok(name.build())
    }

    /// Reads the fields back from a certificate's subject or issuer. Multi-valued fields keep
    /// the first value, except `UID`, which is repeated by design.
    pub fn from_x509_name(name: &X509NameRef) -> Result<SubjectName, PkiError> {
        let text = |nid: Nid| -> Result<Option<String>, PkiError> {
            name.entries_by_nid(nid)
                .next()
                .map(|entry| {
                    entry
                        .data()
                        .to_string()
                        .map_err(PkiError::openssl("decoding a subject attribute"))
                })
                .transpose()
        };
        let mut subject = SubjectName {
            common_name: text(Nid::COMMONNAME)?.unwrap_or_default(),
            organization: text(Nid::ORGANIZATIONNAME)?,
            organizational_unit: text(Nid::ORGANIZATIONALUNITNAME)?,
            locality: text(Nid::LOCALITYNAME)?,
            state: text(Nid::STATEORPROVINCENAME)?,
            country: text(Nid::COUNTRYNAME)?,
            ..SubjectName::default()
        };
        for entry in name.entries_by_nid(Nid::USERID) {
            let uid = entry
                .data()
                .to_string()
                .map_err(PkiError::openssl("decoding a UID"))?;
            match uid.parse::<Identity>() {
                Ok(identity) => subject.identities.push(identity),
                Err(_) => subject.other_uids.push(uid),
            }
        }
        Ok(subject)
    }

    /// The first identity of the given kind, e.g. the citizen's CCCD number.
    pub fn identity(&self, kind: IdentityKind) -> Option<&str> {
        self.identities
            .iter()
            .find(|identity| identity.kind == kind)
            .map(|identity| identity.value.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_prefix() {
        let cases = [
            ("CCCD:001089012345", IdentityKind::Cccd),
            ("CMND:012345678", IdentityKind::Cmnd),
            ("HC:B1234567", IdentityKind::Passport),
            ("MST:0101234567", IdentityKind::TaxCode),
            ("MST:0101234567-001", IdentityKind::TaxCode),
            ("MNS:1058432", IdentityKind::BudgetUnit),
            ("cccd:001089012345", IdentityKind::Cccd),
        ];
        for (uid, kind) in cases {
            let identity: Identity = uid.parse().unwrap();
            assert_eq!(identity.kind, kind, "{uid}");
            assert!(uid.eq_ignore_ascii_case(&identity.to_string()), "{uid}");
        }
    }

    #[test]
    fn rejects_malformed_identities() {
        for uid in [
            "CCCD:12345",
            "CCCD:00108901234X",
            "CMND:1234567890",
            "HC:12345678",
            "MST:01012345",
            "MNS:12345678",
            "SDT:0912345678",
            "001089012345",
        ] {
            assert!(uid.parse::<Identity>().is_err(), "{uid} should be refused");
        }
    }

    #[test]
    fn vietnamese_subject_round_trips_as_utf8() {
        let subject = SubjectName {
            common_name: "Nguyễn Thị Ánh Tuyết".into(),
            organization: Some("Ủy ban nhân dân phường Đống Đa".into()),
            locality: Some("Hà Nội".into()),
            country: Some("VN".into()),
            identities: vec![
                "CCCD:001190004567".parse().unwrap(),
                "CMND:012345678".parse().unwrap(),
            ],
            other_uids: vec!["EMAIL:ntat@example.vn".into()],
            ..SubjectName::default()
        };
        let name = subject.to_x509_name().unwrap();
        // Each value sits in the DER as tag, one-byte length, bytes: 0x0c is UTF8String,
        // 0x13 PrintableString (X.690 §8.23).
        let der = name.to_der().unwrap();
        let encoded = |tag: u8, value: &str| {
            let mut tlv = vec![tag, value.len() as u8];
            tlv.extend_from_slice(value.as_bytes());
            der.windows(tlv.len()).any(|w| w == tlv.as_slice())
        };
        assert!(encoded(0x13, "VN"));
        for value in [
            "Nguyễn Thị Ánh Tuyết",
            "Ủy ban nhân dân phường Đống Đa",
            "Hà Nội",
            "CCCD:001190004567",
            "CMND:012345678",
            "EMAIL:ntat@example.vn",
        ] {
            assert!(encoded(0x0c, value), "{value} is not a UTF8String");
        }
        let back = SubjectName::from_x509_name(&name).unwrap();
        assert_eq!(back, subject);
        assert_eq!(back.identity(IdentityKind::Cccd), Some("001190004567"));
        assert_eq!(back.identity(IdentityKind::Passport), None);
    }
}
