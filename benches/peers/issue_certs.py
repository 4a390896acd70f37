"""Peer for benches/pki_issue.rs: issue N end-entity certificates with Python `cryptography`
(the library pyHanko's tooling builds on), with the same profile kyso uses (P-256 issuer and
subjects, UTF8String Vietnamese names with UID, basic constraints, key usage, SKI, AKI, CRL
distribution point, AIA). Keys are made before the clock starts. Prints seconds per
certificate."""

import sys
import time
from datetime import datetime, timedelta, timezone

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import AuthorityInformationAccessOID, NameOID

n = int(sys.argv[1])
base = "http://127.0.0.1:8080"
now = datetime(2026, 1, 1, tzinfo=timezone.utc)


def name(cn, uid=None):
    attrs = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
        x509.NameAttribute(NameOID.LOCALITY_NAME, "Hà Nội"),
        x509.NameAttribute(NameOID.COMMON_NAME, cn),
    ]
    if uid:
        attrs.append(x509.NameAttribute(NameOID.USER_ID, uid))
    return x509.Name(attrs)


ca_key = ec.generate_private_key(ec.SECP256R1())
ca_name = name("Kyso Bench CA")
leaf_keys = [ec.generate_private_key(ec.SECP256R1()) for _ in range(n)]
ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())

start = time.perf_counter()
for key in leaf_keys:
    public = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name("Nguyễn Văn An", "CCCD:001089012345"))
        .issuer_name(ca_name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=7300))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski),
            critical=False,
        )
        .add_extension(
            x509.CRLDistributionPoints(
                [
                    x509.DistributionPoint(
                        [x509.UniformResourceIdentifier(base + "/crl/bench-ca.crl")],
                        None,
                        None,
                        None,
                    )
                ]
            ),
            critical=False,
        )
        .add_extension(
            x509.AuthorityInformationAccess(
                [
                    x509.AccessDescription(
                        AuthorityInformationAccessOID.OCSP,
                        x509.UniformResourceIdentifier(base + "/ocsp"),
                    ),
                    x509.AccessDescription(
                        AuthorityInformationAccessOID.CA_ISSUERS,
                        x509.UniformResourceIdentifier(base + "/ca/bench-ca.cer"),
                    ),
                ]
            ),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    cert.public_bytes(Encoding.DER)
elapsed = time.perf_counter() - start
print(f"{elapsed / n:.9f}")
