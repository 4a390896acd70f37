"""The committed test PKI, judged by pyHanko (the PDF-signing reference): every PKCS#12 file
loads with the documented password into a signer whose certificate and chain are the ones the
manifest names, and Vietnamese names read back intact."""

import json
import unicodedata
from pathlib import Path

import pytest
from pyhanko.sign import signers

CERTS = Path(__file__).resolve().parents[2] / "certs"
MANIFEST = json.loads((CERTS / "manifest.json").read_text(encoding="utf-8"))
WITH_P12 = [e for e in MANIFEST["entities"] if e["pkcs12"]]


def test_every_signer_and_service_has_a_pkcs12_file():
    assert len(WITH_P12) == 10
    assert {e["key"] for e in WITH_P12 if e["role"] == "signer"} == {
        "RSA-2048",
        "RSA-3072",
        "ECDSA P-256",
    }


@pytest.mark.parametrize("entity", WITH_P12, ids=lambda e: e["slug"])
def test_pyhanko_loads_pkcs12(entity):
    signer = signers.SimpleSigner.load_pkcs12(
        str(CERTS / entity["pkcs12"]),
        passphrase=MANIFEST["pkcs12_password"].encode(),
    )
    assert signer is not None, "pyHanko could not load the PKCS#12 file"
    cert = signer.signing_cert
    assert format(cert.serial_number, "X").rjust(len(entity["serial"]), "0") == entity["serial"]
    cn = cert.subject.native["common_name"]
    assert cn == entity["subject"]["common_name"]
    assert unicodedata.is_normalized("NFC", cn)
    issuer_cn = next(
        e["subject"]["common_name"] for e in MANIFEST["entities"] if e["slug"] == entity["issuer"]
    )
    chain_cns = [c.subject.native["common_name"] for c in signer.cert_registry]
    assert issuer_cn in chain_cns


def test_wrong_password_is_refused():
    entity = WITH_P12[0]
    assert (
        signers.SimpleSigner.load_pkcs12(str(CERTS / entity["pkcs12"]), passphrase=b"wrong")
        is None
    )
