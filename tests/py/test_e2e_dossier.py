"""The dossier service end to end over real HTTP, as a province runs it: the counter opens a
dossier and uploads a scan, kyso digitizes it, an officer signs the digitized copy, the
citizen logs in and signs it remotely with PIN + OTP, the officer adds and certifies the
result, and anyone verifies: every one of the three signatures is TOTAL_PASSED for kyso's
own verifier and for pyHanko, and a phrase from the scanned page is found by search."""

import json
import re
import time
import urllib.parse
import urllib.request

import pytest

from apifixture import make_token, multipart
from cscfixture import ROOT, CscServer
from test_api_sign import pyhanko_validate

SAMPLES = ROOT / "samples"
SCAN = SAMPLES / "don-de-nghi-300dpi.png"
RESULT = SAMPLES / "ket-qua-quyet-dinh.pdf"

CITIZEN = {"cccd": "036094001234", "name": "Đặng Thị Quỳnh Hương", "pin": "246810",
           "password": "mat-khau-cong-dan-2026", "phone": "0912345678"}


def fetch_pdf(server: CscServer, document: str, bearer: str) -> bytes:
    request = urllib.request.Request(f"{server.base}/api/documents/{document}/pdf",
                                     headers={"Authorization": f"Bearer {bearer}"})
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.headers["Content-Type"] == "application/pdf"
        return response.read()


def verify_over_http(server: CscServer, pdf: bytes) -> dict:
    reply = server.request("POST", "/api/verify", raw=pdf,
                           headers={"Content-Type": "application/pdf"})
    assert reply.status == 200, reply
    return reply.body


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    data = tmp_path_factory.mktemp("e2e") / "data"
    server = CscServer(data, "--rate-limit", "0")
    try:
        yield server
    finally:
        server.stop()


def test_dossier_scans_signatures_certification_verify_and_search(service, tmp_path):
    server = service
    counter = make_token(server.data, "counter", "Nguyễn Thị Mai (một cửa)")
    officer = make_token(server.data, "officer", "Phạm Minh Đức")
    enrolled = server.enroll(cccd=CITIZEN["cccd"], name=CITIZEN["name"], pin=CITIZEN["pin"],
                             password=CITIZEN["password"], phone=CITIZEN["phone"])
    credential = enrolled["credentialID"]

    # The counter opens the dossier and uploads the scan.
    reply = server.post("/api/dossiers", {"procedure_code": "2.000635",
                                          "applicant_name": CITIZEN["name"],
                                          "applicant_cccd": CITIZEN["cccd"]}, token=counter)
    assert reply.status == 201, reply
    dossier = reply.body
    assert re.fullmatch(r"HS-\d{8}-\d{4}", dossier["code"]), dossier
    content_type, body = multipart([(SCAN.name, SCAN.read_bytes())],
                                   {"title": "Tờ khai đề nghị cấp bản sao"})
    reply = server.request("POST", f"/api/dossiers/{dossier['id']}/scans", raw=body,
                           token=counter, headers={"Content-Type": content_type})
    assert reply.status == 202, reply
    job = reply.body
    deadline = time.monotonic() + 600
    while job["state"] not in ("done", "failed"):
        assert time.monotonic() < deadline, f"the digitize job did not finish: {job}"
        time.sleep(0.5)
        reply = server.request("GET", f"/api/jobs/{job['id']}", token=counter)
        assert reply.status == 200, reply
        job = reply.body
    assert job["state"] == "done", job
    assert job["pages_done"] == job["pages_total"] == 1, job
    digitized = job["document_id"]

    # The officer signs the digitized copy with the agency's key, at B-LT.
    reply = server.post(f"/api/documents/{digitized}/sign",
                        {"level": "b-lt", "reason": "Sao y bản chính"}, token=officer)
    assert reply.status == 200, reply
    assert (reply.body["version"], reply.body["last_action"]) == (2, "sign"), reply

    # The citizen logs in and signs remotely: the OTP arrives by "SMS" (the outbox).
    reply = server.post("/api/login", {"cccd": CITIZEN["cccd"],
                                       "password": CITIZEN["password"]})
    assert reply.status == 200, reply
    citizen = reply.body["token"]
    server.secrets.add(citizen)
    reply = server.post(f"/api/documents/{digitized}/remote-sign", {}, token=citizen)
    assert reply.status == 200, reply
    session = reply.body["session_id"]
    assert reply.body["otp"] == "delivered", reply
    newest = max(server.outbox(credential), key=lambda m: m["seq"])
    otp = re.search(r"Mã OTP ký số của bạn: (\d+)", newest["message"]).group(1)
    reply = server.post(f"/api/documents/{digitized}/remote-sign/complete",
                        {"session_id": session, "pin": CITIZEN["pin"], "otp": otp},
                        token=citizen)
    assert reply.status == 200, reply
    assert (reply.body["version"], reply.body["last_action"]) == (3, "remote-sign"), reply

    # The officer adds the result and certifies it.
    title = urllib.parse.quote("Quyết định")
    reply = server.request("POST", f"/api/dossiers/{dossier['id']}/results?title={title}",
                           raw=RESULT.read_bytes(), token=officer,
                           headers={"Content-Type": "application/pdf"})
    assert reply.status == 201, reply
    result = reply.body["id"]
    reply = server.post(f"/api/documents/{result}/certify", {"permission": "form-fill"},
                        token=officer)
    assert reply.status == 200, reply
    assert reply.body["last_action"] == "certify", reply

    # Anyone verifies: three signatures, all TOTAL_PASSED, for kyso and for pyHanko.
    passed = 0
    for document, count, bearer in ((digitized, 2, officer), (result, 1, citizen)):
        pdf = fetch_pdf(server, document, bearer)
        report = verify_over_http(server, pdf)
        signatures = report["signatures"]
        assert len(signatures) == count, report
        for signature in signatures:
            assert signature["indication"] == "TOTAL_PASSED", json.dumps(signature)[:2000]
            passed += 1
        path = tmp_path / f"{document}.pdf"
        path.write_bytes(pdf)
        pyhanko_validate(path, count)
    assert passed == 3

    # The dossier shows both documents; search finds a phrase from the scanned page.
    reply = server.request("GET", f"/api/dossiers/{dossier['id']}", token=citizen)
    assert reply.status == 200, reply
    assert {d["id"] for d in reply.body["documents"]} == {digitized, result}
    phrase = urllib.parse.quote("trích lục hộ tịch")
    reply = server.request("GET", f"/api/dossiers?q={phrase}", token=counter)
    assert reply.status == 200, reply
    hits = reply.body["hits"]
    assert any(h["document_id"] == digitized and h["page"] == 1 for h in hits), hits

    # The citizen reuses the signed copy in a new dossier; the same phrase finds it there.
    reply = server.post("/api/dossiers", {"procedure_code": "2.000635",
                                          "applicant_name": CITIZEN["name"],
                                          "applicant_cccd": CITIZEN["cccd"]}, token=counter)
    assert reply.status == 201, reply
    second = reply.body["id"]
    reply = server.post(f"/api/dossiers/{second}/reuse", {"document_id": digitized},
                        token=citizen)
    assert reply.status == 201, reply
    reused = reply.body["id"]
    reply = server.request("GET", f"/api/dossiers?q={phrase}", token=citizen)
    assert reply.status == 200, reply
    hits = reply.body["hits"]
    assert any(h["document_id"] == reused and h["dossier_id"] == second
               and h["page"] == 1 for h in hits), hits

    # No token, PIN, OTP or password reached the server's log.
    server.secrets.update({counter, officer, CITIZEN["pin"], CITIZEN["password"]})
    log = server.log.read_text(errors="replace")
    leaked = [s for s in server.secrets if s and s in log and s not in server.otps]
    assert not leaked, f"secrets in the log: {len(leaked)}"
