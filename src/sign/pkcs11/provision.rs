//! Provisioning test tokens: initializing a SoftHSM2 token and importing a key with its
//! certificates as sensitive, non-extractable objects. Signing is in `signer.rs`.

use std::path::Path;
use std::sync::Mutex;

use cryptoki::object::{Attribute, CertificateType, KeyType, ObjectClass};
use cryptoki::session::UserType;
use cryptoki::types::AuthPin;
use openssl::pkey::{Id, PKey};
use openssl::x509::X509;

use super::signer::find_private_key;
use super::{Pkcs11Error, context, find_token, lock, login, signing_key_attributes, token_error};
use crate::sign::{DigestAlgorithm, KeyKind};

/// Initializes the first free slot's token as `label` with a security officer PIN and a user
/// PIN (PKCS#11 v2.40 §5.6 C_InitToken, C_InitPIN). For test tokens in SoftHSM2.
pub fn init_token(
    module: impl AsRef<Path>,
    label: &str,
    so_pin: &str,
    user_pin: &str,
) -> Result<(), Pkcs11Error> {
    static INIT: Mutex<()> = Mutex::new(());
    let _one_at_a_time = lock(&INIT);
    let module = module.as_ref();
    let context = context(module)?;
    let slots = context
        .get_slots_with_token()
        .map_err(token_error("listing slots"))?;
    let free = slots
        .into_iter()
        .find(|s| {
            context
                .get_token_info(*s)
                .is_ok_and(|i| !i.token_initialized())
        })
        .ok_or_else(|| Pkcs11Error::Token {
            context: "initializing a token",
            detail: "no slot with an uninitialized token".into(),
        })?;
    context
        .init_token(free, &AuthPin::from(so_pin), label)
        .map_err(token_error("initializing the token"))?;
    // SoftHSM2 moves an initialized token to a new slot id, so look it up again.
    let slot = find_token(&context, label)?;
    let session = context
        .open_rw_session(slot)
        .map_err(token_error("opening a session"))?;
    session
        .login(UserType::So, Some(&AuthPin::from(so_pin)))
        .map_err(token_error("logging in as security officer"))?;
    session
        .init_pin(&AuthPin::from(user_pin))
        .map_err(token_error("setting the user PIN"))?;
    session
        .logout()
        .map_err(token_error("logging out the security officer"))
}

/// Imports a private key (PKCS#8 DER) and its certificate chain (DER, leaf first) into the
/// token labelled `token_label`, the key as CKA_TOKEN, CKA_PRIVATE, CKA_SENSITIVE, not
/// CKA_EXTRACTABLE, CKA_SIGN only (PKCS#11 v2.40 §4.9), with the leaf certificate under the
/// same CKA_ID and CKA_LABEL so [`Pkcs11Signer::open`] finds them.
pub fn import_key(
    module: impl AsRef<Path>,
    token_label: &str,
    pin: &str,
    key_label: &str,
    id: &[u8],
    private_key_pkcs8_der: &[u8],
    chain_der: &[Vec<u8>],
) -> Result<(), Pkcs11Error> {
    let module = module.as_ref();
    let context = context(module)?;
    let slot = find_token(&context, token_label)?;
    let session = context
        .open_rw_session(slot)
        .map_err(token_error("opening a session"))?;
    login(&context, module, slot, &session, pin, token_label)?;
    if find_private_key(&session, token_label, key_label).is_ok() {
        return Err(Pkcs11Error::LabelTaken {
            token: token_label.to_owned(),
            label: key_label.to_owned(),
        });
    }
    let key = PKey::private_key_from_pkcs8(private_key_pkcs8_der)
        .map_err(|source| Pkcs11Error::ImportKey { source })?;
    let label = Attribute::Label(key_label.as_bytes().to_vec());
    let mut private = vec![Attribute::Class(ObjectClass::PRIVATE_KEY)];
    private.extend(signing_key_attributes());
    private.extend([label.clone(), Attribute::Id(id.to_vec())]);
    let mut public = vec![
        Attribute::Class(ObjectClass::PUBLIC_KEY),
        Attribute::Token(true),
        Attribute::Private(false),
        Attribute::Verify(true),
        Attribute::Encrypt(false),
        Attribute::Wrap(false),
        label.clone(),
        Attribute::Id(id.to_vec()),
    ];
    let import = |source| Pkcs11Error::ImportKey { source };
    match key.id() {
        Id::RSA => {
            let rsa = key.rsa().map_err(import)?;
            let part =
                |b: Option<&openssl::bn::BigNumRef>| b.map(|n| n.to_vec()).unwrap_or_default();
            private.extend([
                Attribute::KeyType(KeyType::RSA),
                Attribute::Modulus(rsa.n().to_vec()),
                Attribute::PublicExponent(rsa.e().to_vec()),
                Attribute::PrivateExponent(rsa.d().to_vec()),
                Attribute::Prime1(part(rsa.p())),
                Attribute::Prime2(part(rsa.q())),
                Attribute::Exponent1(part(rsa.dmp1())),
                Attribute::Exponent2(part(rsa.dmq1())),
                Attribute::Coefficient(part(rsa.iqmp())),
            ]);
            public.extend([
                Attribute::KeyType(KeyType::RSA),
                Attribute::Modulus(rsa.n().to_vec()),
                Attribute::PublicExponent(rsa.e().to_vec()),
            ]);
        }
        Id::EC => {
            let ec = key.ec_key().map_err(import)?;
            let params = ec_params(&key)?;
            let mut ctx = openssl::bn::BigNumContext::new().map_err(import)?;
            let point = ec
                .public_key()
                .to_bytes(
                    ec.group(),
                    openssl::ec::PointConversionForm::UNCOMPRESSED,
                    &mut ctx,
                )
                .map_err(import)?;
            // CKA_EC_POINT is the DER OCTET STRING of the point (PKCS#11 v2.40 §2.3.3).
            let point = der::Encode::to_der(&der::asn1::OctetString::new(point).map_err(|e| {
                Pkcs11Error::UnsupportedKey {
                    detail: e.to_string(),
                }
            })?)
            .map_err(|e| Pkcs11Error::UnsupportedKey {
                detail: e.to_string(),
            })?;
            private.extend([
                Attribute::KeyType(KeyType::EC),
                Attribute::EcParams(params.clone()),
                Attribute::Value(ec.private_key().to_vec()),
            ]);
            public.extend([
                Attribute::KeyType(KeyType::EC),
                Attribute::EcParams(params),
                Attribute::EcPoint(point),
            ]);
        }
        other => {
            return Err(Pkcs11Error::UnsupportedKey {
                detail: format!("{other:?}"),
            });
        }
    }
    session
        .create_object(&private)
        .map_err(token_error("creating the private key"))?;
    session
        .create_object(&public)
        .map_err(token_error("creating the public key"))?;
    for (index, certificate) in chain_der.iter().enumerate() {
        let parsed = X509::from_der(certificate).map_err(import)?;
        let (certificate_label, certificate_id) = if index == 0 {
            (key_label.as_bytes().to_vec(), id.to_vec())
        } else {
            let label = format!("{key_label} issuer {index}");
            let id = DigestAlgorithm::Sha256.digest(certificate)[..20].to_vec();
            (label.into_bytes(), id)
        };
        let serial = parsed.serial_number().to_bn().map_err(import)?;
        let serial = der::Encode::to_der(&der::asn1::Int::from(
            der::asn1::Uint::new(&serial.to_vec()).map_err(|e| Pkcs11Error::UnsupportedKey {
                detail: e.to_string(),
            })?,
        ))
        .map_err(|e| Pkcs11Error::UnsupportedKey {
            detail: e.to_string(),
        })?;
        session
            .create_object(&[
                Attribute::Class(ObjectClass::CERTIFICATE),
                Attribute::CertificateType(CertificateType::X_509),
                Attribute::Token(true),
                Attribute::Private(false),
                Attribute::Label(certificate_label),
                Attribute::Id(certificate_id),
                Attribute::Subject(parsed.subject_name().to_der().map_err(import)?),
                Attribute::Issuer(parsed.issuer_name().to_der().map_err(import)?),
                Attribute::SerialNumber(serial),
                Attribute::Value(certificate.clone()),
            ])
            .map_err(token_error("creating a certificate"))?;
    }
    Ok(())
}

/// CKA_EC_PARAMS: the DER OID of the named curve (PKCS#11 v2.40 §2.3.3, RFC 5480 §2.1.1).
fn ec_params(key: &PKey<openssl::pkey::Private>) -> Result<Vec<u8>, Pkcs11Error> {
    let oid = match KeyKind::of_key(key) {
        Some(KeyKind::EcP256) => "1.2.840.10045.3.1.7",
        Some(KeyKind::EcP384) => "1.3.132.0.34",
        _ => {
            return Err(Pkcs11Error::UnsupportedKey {
                detail: format!("EC on another curve than P-256/P-384 ({} bits)", key.bits()),
            });
        }
    };
    Ok(der::Encode::to_der(&const_oid::ObjectIdentifier::new_unwrap(oid)).expect("a known OID"))
}
