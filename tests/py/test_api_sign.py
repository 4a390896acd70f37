"""Signatures made through the dossier API, judged by independent tools: `kyso serve --pki
certs` on a free port signs with the agency key (with the visible stamp), certifies a result
(DocMDP), embeds an officer's own signature in two steps (the officer's key here, in Python),
and adds a citizen's remote signature (PIN + a delivered OTP). Every output is validated by
`pyhanko sign validate` against the test roots and by poppler's `pdfsig`."""

import base64
import json
import re
import subprocess
from pathlib import Path

import pytest

from cscfixture import CERTS, KYSO, ROOT, CscServer, kyso_env

TRUST = sorted((CERTS / "trust").glob("*.pem"))
RESULT = ROOT / "samples" / "ket-qua-quyet-dinh.pdf"
CITIZEN = {"cccd": "036094007788", "name": "Lò Văn Páo", "pin": "975310",
           "password": "mat-khau-lo-van-pao-26", "phone": "0987654321"}


def token(data: Path, role: str, name: str) -> str:
    result = subprocess.run(
        [str(KYSO), "token", "add", "--data", str(data), "--role", role, "--name", name,
         "--json"],
        capture_output=True, text=True, timeout=60, cwd=ROOT, env=kyso_env(),
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["token"]


def pyhanko_validate(path: Path, signatures: int):
    """`pyhanko sign validate` for integrity and the chain to the test roots (the addresses
    in the test certificates are not served here, so without fetching), then pyHanko's
    library with revocation from the file's DSS alone, hard-fail: the B-LT evidence kyso
    embedded must be enough."""
    trust = [arg for root in TRUST for arg in ("--trust", str(root))]
    result = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "pyhanko"), "sign", "validate", *trust,
         "--trust-replace", "--no-revocation-check", str(path)],
        capture_output=True, text=True, timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert len(lines) == signatures, result.stdout
    for line in lines:
        assert line.split(":", 2)[2].startswith("INTACT:TRUSTED"), line

    from pyhanko.keys import load_cert_from_pemder
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.dss import DocumentSecurityStore
    with path.open("rb") as f:
        reader = PdfFileReader(f)
        embedded = reader.embedded_regular_signatures
        assert len(embedded) == signatures
        for signature in embedded:
            context = DocumentSecurityStore.read_dss(reader).as_validation_context({
                "trust_roots": [load_cert_from_pemder(str(root)) for root in TRUST],
                "allow_fetching": False,
                "revocation_mode": "hard-fail",
            })
            status = validate_pdf_signature(signature, signer_validation_context=context)
            summary = status.summary()
            assert status.bottom_line, summary
            assert summary.startswith("INTACT:TRUSTED,TIMESTAMP_TOKEN<INTACT:TRUSTED>"), summary


def pdfsig_valid(path: Path, signatures: int):
    result = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, timeout=60)
    assert result.stdout.count("Signature is Valid") == signatures, result.stdout + result.stderr
    assert "Signature is Invalid" not in result.stdout


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    data = tmp_path_factory.mktemp("api-sign") / "data"
    server = CscServer(data, "--rate-limit", "0")
    try:
        server.officer = token(data, "officer", "Phạm Minh Đức")
        server.counter = token(data, "counter", "Quầy một cửa")
        reply = server.post("/api/dossiers", {"procedure_code": "1.001234",
                                              "applicant_name": CITIZEN["name"],
                                              "applicant_cccd": CITIZEN["cccd"]},
                            token=server.counter)
        assert reply.status == 201, reply
        server.dossier = reply.body["id"]
        yield server
    finally:
        server.stop()


def new_result(server: CscServer) -> str:
    reply = server.request("POST", f"/api/dossiers/{server.dossier}/results",
                           raw=RESULT.read_bytes(), token=server.officer,
                           headers={"Content-Type": "application/pdf"})
    assert reply.status == 201, reply
    return reply.body["id"]


def download(server: CscServer, document: str, folder: Path) -> Path:
    import urllib.request
    request = urllib.request.Request(f"{server.base}/api/documents/{document}/pdf",
                                     headers={"Authorization": f"Bearer {server.officer}"})
    with urllib.request.urlopen(request, timeout=60) as response:
        path = folder / f"{document}.pdf"
        path.write_bytes(response.read())
    return path


def test_agency_signature_with_stamp_then_the_citizens_remote_signature(service, tmp_path):
    server = service
    document = new_result(server)
    reply = server.post(f"/api/documents/{document}/sign",
                        {"reason": "Sao y bản chính", "stamp": True}, token=server.officer)
    assert reply.status == 200, reply
    path = download(server, document, tmp_path)
    pyhanko_validate(path, 1)
    pdfsig_valid(path, 1)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True).stdout
    assert "LiberationSerif" in fonts, fonts

    enrolled = server.enroll(cccd=CITIZEN["cccd"], name=CITIZEN["name"], pin=CITIZEN["pin"],
                             password=CITIZEN["password"], phone=CITIZEN["phone"])
    reply = server.post("/api/login", {"cccd": CITIZEN["cccd"], "password": CITIZEN["password"]})
    assert reply.status == 200, reply
    citizen = reply.body["token"]
    server.secrets.add(citizen)
    reply = server.post(f"/api/documents/{document}/remote-sign", {}, token=citizen)
    assert reply.status == 200 and reply.body["otp"] == "delivered", reply
    newest = max(server.outbox(enrolled["credentialID"]), key=lambda m: m["seq"])
    otp = re.search(r"Mã OTP ký số của bạn: (\d+)", newest["message"]).group(1)
    server.otps.add(otp)
    reply = server.post(f"/api/documents/{document}/remote-sign/complete",
                        {"session_id": reply.body["session_id"], "pin": CITIZEN["pin"],
                         "otp": otp}, token=citizen)
    assert reply.status == 200, reply
    assert reply.body["last_action"] == "remote-sign", reply
    path = download(server, document, tmp_path)
    pyhanko_validate(path, 2)
    pdfsig_valid(path, 2)

    # Neither the PIN, the password nor the citizen's token reached the log.
    log = server.log.read_text(errors="replace")
    for secret in (CITIZEN["pin"], CITIZEN["password"], citizen):
        assert secret not in log


def test_certification_allows_form_filling(service, tmp_path):
    server = service
    document = new_result(server)
    reply = server.post(f"/api/documents/{document}/certify", {"permission": "form-fill"},
                        token=server.officer)
    assert reply.status == 200, reply
    path = download(server, document, tmp_path)
    pyhanko_validate(path, 1)
    pdfsig_valid(path, 1)
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.fields import MDPPerm
    with path.open("rb") as f:
        embedded = PdfFileReader(f).embedded_signatures
        assert len(embedded) == 1
        assert embedded[0].docmdp_level == MDPPerm.FILL_FORMS
    reply = server.post(f"/api/documents/{document}/certify", {}, token=server.officer)
    assert reply.status == 409, reply


def test_two_step_signature_made_outside_the_server(service, tmp_path):
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography import x509
    server = service
    document = new_result(server)
    chain = [base64.b64encode(x509.load_pem_x509_certificate(
        (CERTS / name).read_bytes()).public_bytes(serialization.Encoding.DER)).decode()
        for name in ("signers/officer-do-thi-huong.pem", "ca/government-ca.pem")]
    reply = server.post(f"/api/documents/{document}/sign/prepare",
                        {"certificates": chain, "level": "b-lt"}, token=server.officer)
    assert reply.status == 200, reply
    assert reply.body["signature_algorithm"] == "ECDSA", reply
    key = serialization.load_pem_private_key(
        (CERTS / "signers" / "officer-do-thi-huong.key.pem").read_bytes(), password=None)
    value = key.sign(base64.b64decode(reply.body["to_be_signed"]), ec.ECDSA(hashes.SHA256()))
    reply = server.post(f"/api/documents/{document}/sign/complete",
                        {"session_id": reply.body["session_id"],
                         "signature": base64.b64encode(value).decode()}, token=server.officer)
    assert reply.status == 200, reply
    path = download(server, document, tmp_path)
    pyhanko_validate(path, 1)
    pdfsig_valid(path, 1)
    pdfsig = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout
    assert "Đỗ Thị Hương" in pdfsig, pdfsig
