"""Who may call what, over real HTTP against `kyso serve`: for every route of the dossier API, the
roles allowed (the call gets past authorization), the roles refused (403), the citizen who is
not the dossier's applicant (404: they must not learn it exists), and no token (401); the
public routes answer without one. Then hostile input: oversized bodies (413), malformed JSON
(400/422), wrong content types (415), malformed multipart and random bytes as scans, odd ids
and path traversal, always a 4xx and never a 5xx. At the end, no token, password or PIN given
to or issued by the server appears in its debug log."""

import http.client
import io
import json
import os
import re
import subprocess
import time
import uuid
from dataclasses import dataclass

import pytest

from cscfixture import KYSO, ROOT, CscServer, kyso_env

SAMPLES = ROOT / "samples"
SCAN = SAMPLES / "dang-ky-ho-kinh-doanh-200dpi.jpg"
# A phrase of that scan (samples/dang-ky-ho-kinh-doanh-200dpi.txt), for the search checks.
SCAN_PHRASE = "TIỆM BÁNH ÁNH DƯƠNG"
RESULT_PDF = SAMPLES / "ket-qua-quyet-dinh.pdf"
SIGNED_PDF = ROOT / "tests" / "corpus" / "verify" / "kyso-b-lt.pdf"
CITIZEN_A = {"cccd": "036094001234", "name": "Đặng Thị Quỳnh Hương", "pin": "246810",
             "password": "mat-khau-cong-dan-A-2026", "phone": "0912345678"}
CITIZEN_B_CCCD = "079201005678"
STAFF = ("admin", "counter", "officer")
ROLES = STAFF + ("citizen_a", "citizen_b")
MIB = 1024 * 1024


def officer_chain() -> list[str]:
    """The test PKI officer's certificate and its CA, base64 DER, signer first, as the
    two-step prepare takes them."""
    pem = (ROOT / "certs" / "signers" / "officer-pham-minh-duc.chain.pem").read_text()
    blocks = re.findall(r"-----BEGIN CERTIFICATE-----(.+?)-----END CERTIFICATE-----", pem,
                        re.DOTALL)
    return ["".join(block.split()) for block in blocks]


@dataclass
class Answer:
    status: int
    headers: dict
    body: bytes

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def __repr__(self):
        return f"HTTP {self.status} {self.body[:300]!r}"


def call(server: CscServer, method: str, path: str, *, token: str | None = None,
         body: bytes | None = None, content_type: str | None = None,
         headers: dict | None = None, read_body: bool = True) -> Answer:
    """One request on its own connection; the path goes on the wire exactly as given. When the
    server answers before taking a large body (413) and closes, the answer is still read."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
    all_headers = dict(headers or {})
    if token is not None:
        all_headers["Authorization"] = f"Bearer {token}"
    if content_type is not None:
        all_headers["Content-Type"] = content_type
    try:
        connection.putrequest(method, path, skip_accept_encoding=True)
        for name, value in all_headers.items():
            connection.putheader(name, value)
        if body is not None:
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders()
        if body is not None:
            try:
                view = memoryview(body)
                for start in range(0, len(body), MIB):
                    connection.send(view[start:start + MIB])
            except (BrokenPipeError, ConnectionResetError):
                pass
        response = connection.getresponse()
        # An event stream stays open while its job runs: the status line is what matters.
        data = response.read() if read_body or response.status != 200 else b""
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, data)
    finally:
        connection.close()


def call_json(server, method, path, payload, **kw) -> Answer:
    return call(server, method, path, body=json.dumps(payload).encode(),
                content_type="application/json", **kw)


def multipart(parts: list[tuple[str, str | None, bytes, str | None]]) -> tuple[bytes, str]:
    boundary = "kyso-" + uuid.uuid4().hex
    out = io.BytesIO()
    for name, filename, content, content_type in parts:
        disposition = f'form-data; name="{name}"'
        if filename:
            disposition += f'; filename="{filename}"'
        out.write(f"--{boundary}\r\nContent-Disposition: {disposition}\r\n".encode())
        if content_type:
            out.write(f"Content-Type: {content_type}\r\n".encode())
        out.write(b"\r\n" + content + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def tiny_png() -> bytes:
    from PIL import Image
    out = io.BytesIO()
    Image.new("L", (400, 560), 255).save(out, format="PNG", dpi=(72, 72))
    return out.getvalue()


class World:
    """The server and what the tests act on: a token per role, citizen A's dossiers with
    result documents, a job, citizen B's own dossier."""

    def __init__(self, server: CscServer, admin: str):
        self.server = server
        self.tokens = {"admin": admin}
        self.tokens["counter"] = self.issue("counter")
        self.tokens["officer"] = self.issue("officer")
        self.tokens["citizen_b"] = self.issue("citizen", cccd=CITIZEN_B_CCCD)
        server.enroll(cccd=CITIZEN_A["cccd"], name=CITIZEN_A["name"], pin=CITIZEN_A["pin"],
                      password=CITIZEN_A["password"], phone=CITIZEN_A["phone"])
        login = call_json(server, "POST", "/api/login",
                          {"cccd": CITIZEN_A["cccd"], "password": CITIZEN_A["password"]})
        assert login.status == 200, login
        self.tokens["citizen_a"] = login.json()["token"]
        server.secrets.add(self.tokens["citizen_a"])
        self.dossier_a = self.open_dossier(CITIZEN_A["cccd"], CITIZEN_A["name"])
        self.dossier_a2 = self.open_dossier(CITIZEN_A["cccd"], CITIZEN_A["name"])
        self.dossier_b = self.open_dossier(CITIZEN_B_CCCD, "Trần Văn Bình")
        self.earlier = self.add_result(self.dossier_a2)
        # The real scan: its digitized text is what the search checks look for.
        body, content_type = multipart([("file", SCAN.name, SCAN.read_bytes(), "image/jpeg")])
        reply = call(server, "POST", f"/api/dossiers/{self.dossier_a}/scans", body=body,
                     content_type=content_type, token=self.tokens["counter"])
        assert reply.status == 202, reply
        self.scan_job = reply.json()["id"]

    def issue(self, role: str, **extra) -> str:
        reply = call_json(self.server, "POST", "/api/tokens",
                          {"role": role, "name": f"security {role}", **extra},
                          token=self.tokens["admin"])
        assert reply.status == 201, reply
        self.server.secrets.add(reply.json()["token"])
        return reply.json()["token"]

    def issue_id(self) -> str:
        reply = call_json(self.server, "POST", "/api/tokens",
                          {"role": "counter", "name": "to revoke"}, token=self.tokens["admin"])
        assert reply.status == 201, reply
        self.server.secrets.add(reply.json()["token"])
        return reply.json()["id"]

    def open_dossier(self, cccd: str, name: str) -> str:
        reply = call_json(self.server, "POST", "/api/dossiers",
                          {"procedure_code": "2.000488", "applicant_name": name,
                           "applicant_cccd": cccd}, token=self.tokens["counter"])
        assert reply.status == 201, reply
        return reply.json()["id"]

    def add_result(self, dossier: str) -> str:
        reply = call(self.server, "POST", f"/api/dossiers/{dossier}/results",
                     body=RESULT_PDF.read_bytes(), content_type="application/pdf",
                     token=self.tokens["officer"])
        assert reply.status == 201, reply
        return reply.json()["id"]

    def job(self, job_id: str, wait: bool = False) -> dict:
        deadline = time.monotonic() + 600
        while True:
            reply = call(self.server, "GET", f"/api/jobs/{job_id}", token=self.tokens["counter"])
            assert reply.status == 200, reply
            job = reply.json()
            if not wait or job["state"] in ("done", "failed"):
                return job
            assert time.monotonic() < deadline, f"the job did not finish: {job}"
            time.sleep(0.5)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    data = tmp_path_factory.mktemp("api-security") / "data"
    made = subprocess.run(
        [str(KYSO), "token", "add", "--data", str(data), "--role", "admin", "--name",
         "security admin", "--json"],
        capture_output=True, text=True, timeout=60, cwd=ROOT, env=kyso_env(),
    )
    assert made.returncode == 0, made.stderr
    admin = json.loads(made.stdout)["token"]
    server = CscServer(data, "--rate-limit", "0")
    server.secrets.add(admin)
    try:
        yield World(server, admin)
    finally:
        server.stop()


# --- the role matrix ------------------------------------------------------------------------

@dataclass
class Route:
    method: str
    path: str
    allowed: frozenset
    # What to send: a function of (world, role) → (path, body bytes | None, content type).
    request: object
    # Whether citizen B, when the citizen role is allowed, must get 404 (citizen A's resource).
    scoped: bool = True
    # Statuses an allowed caller may get besides 2xx: bodies built to pass authorization only.
    also_ok: frozenset = frozenset()
    read_body: bool = True


def fmt(path: str, w: World, **more) -> str:
    return path.format(dossier=w.dossier_a, job=w.scan_job, **more)


def no_body(path):
    return lambda w, role: (fmt(path, w), None, None)


def json_body(path, payload):
    return lambda w, role: (fmt(path, w), json.dumps(payload).encode(), "application/json")


def on_fresh_document(path, payload):
    """A new result document per call, so one role's signature does not change another's."""
    def build(w, role):
        document = w.add_result(w.dossier_a)
        return path.format(document=document), json.dumps(payload).encode(), "application/json"
    return build


def on_document(path, payload=None):
    def build(w, role):
        document = w.add_result(w.dossier_a)
        body = None if payload is None else json.dumps(payload).encode()
        return path.format(document=document), body, None if body is None else "application/json"
    return build


def revoke(w, role):
    return f"/api/tokens/{w.issue_id()}", None, None


def result_pdf(w, role):
    return fmt("/api/dossiers/{dossier}/results", w), RESULT_PDF.read_bytes(), "application/pdf"


def scans(w, role):
    body, content_type = multipart([("file", "trang.png", tiny_png(), "image/png")])
    return fmt("/api/dossiers/{dossier}/scans", w), body, content_type


def reuse(w, role):
    body = json.dumps({"document_id": w.earlier}).encode()
    return fmt("/api/dossiers/{dossier}/reuse", w), body, "application/json"


EVERYONE = frozenset(ROLES)
OFFICER = frozenset({"officer", "admin"})

ROUTE_TABLE = [
    Route("POST", "/api/dossiers", frozenset({"counter", "admin"}),
          json_body("/api/dossiers", {"procedure_code": "2.000488",
                                      "applicant_name": "Lê Văn Cường",
                                      "applicant_cccd": "001089099999"}), scoped=False),
    Route("GET", "/api/dossiers", EVERYONE, no_body("/api/dossiers"), scoped=False),
    Route("GET", "/api/dossiers/{id}", EVERYONE, no_body("/api/dossiers/{dossier}")),
    Route("POST", "/api/dossiers/{id}/results", OFFICER, result_pdf),
    Route("POST", "/api/dossiers/{id}/scans", frozenset({"counter", "admin"}), scans),
    Route("GET", "/api/dossiers/{id}/jobs", EVERYONE, no_body("/api/dossiers/{dossier}/jobs")),
    Route("GET", "/api/jobs/{id}", EVERYONE, no_body("/api/jobs/{job}")),
    Route("GET", "/api/jobs/{id}/events", EVERYONE, no_body("/api/jobs/{job}/events"),
          read_body=False),
    Route("GET", "/api/documents/{id}", EVERYONE, on_document("/api/documents/{document}")),
    Route("GET", "/api/documents/{id}/pdf", EVERYONE,
          on_document("/api/documents/{document}/pdf")),
    Route("POST", "/api/documents/{id}/sign", OFFICER,
          on_fresh_document("/api/documents/{document}/sign", {"level": "b-b"})),
    Route("POST", "/api/documents/{id}/certify", OFFICER,
          on_fresh_document("/api/documents/{document}/certify",
                            {"permission": "no-changes", "level": "b-b"})),
    Route("POST", "/api/documents/{id}/sign/prepare", OFFICER,
          on_fresh_document("/api/documents/{document}/sign/prepare",
                            {"certificates": officer_chain()})),
    Route("POST", "/api/documents/{id}/sign/complete", OFFICER,
          on_fresh_document("/api/documents/{document}/sign/complete",
                            {"session_id": "0" * 32, "signature": "AAAA"}),
          also_ok=frozenset({400, 404, 409, 422})),
    Route("POST", "/api/documents/{id}/remote-sign", frozenset({"citizen_a", "citizen_b"}),
          on_fresh_document("/api/documents/{document}/remote-sign", {})),
    Route("POST", "/api/documents/{id}/remote-sign/complete",
          frozenset({"citizen_a", "citizen_b"}),
          on_fresh_document("/api/documents/{document}/remote-sign/complete",
                            {"session_id": "0" * 32, "pin": "000000", "otp": "000000"}),
          also_ok=frozenset({400, 404, 409, 422})),
    Route("POST", "/api/dossiers/{id}/reuse",
          frozenset({"citizen_a", "citizen_b", "counter", "admin"}), reuse,
          also_ok=frozenset({409, 422})),
    Route("POST", "/api/tokens", frozenset({"admin"}),
          json_body("/api/tokens", {"role": "officer", "name": "matrix officer"}),
          scoped=False),
    Route("DELETE", "/api/tokens/{id}", frozenset({"admin"}), revoke, scoped=False),
]


def expected(route: Route, role: str | None) -> str:
    if role is None:
        return "401"
    as_role = "citizen_a" if role == "citizen_b" and "citizen_b" in route.allowed else role
    if as_role not in route.allowed:
        return "403"
    if role == "citizen_b" and route.scoped:
        return "404"
    return "ok"


def judge(route: Route, role: str | None, answer: Answer) -> str | None:
    """None when `answer` is what `role` must get, else words saying what is wrong."""
    want = expected(route, role)
    if answer.status >= 500:
        return f"{want} expected, got a server error: {answer!r}"
    if want == "ok":
        if 200 <= answer.status < 300 or answer.status in route.also_ok:
            return None
        return f"allowed, got {answer!r}"
    if str(answer.status) != want:
        return f"{want} expected, got {answer!r}"
    body = answer.json()
    if not (isinstance(body, dict) and body.get("error") and body.get("error_description")):
        return f"{want} without the API's error body: {answer!r}"
    if want == "401" and answer.headers.get("www-authenticate", "").lower() != "bearer":
        return f"401 without WWW-Authenticate: Bearer: {answer.headers}"
    return None


@pytest.mark.parametrize("route", ROUTE_TABLE, ids=lambda r: f"{r.method} {r.path}")
def test_every_role_gets_what_the_route_table_says(world, route):
    wrong = []
    for role in (None, *ROLES):
        path, body, content_type = route.request(world, role)
        token = None if role is None else world.tokens[role]
        answer = call(world.server, route.method, path, token=token, body=body,
                      content_type=content_type, read_body=route.read_body)
        problem = judge(route, role, answer)
        if problem:
            wrong.append(f"{role or 'no token'}: {problem}")
    assert not wrong, "\n".join(wrong)


def test_the_table_covers_every_described_operation(world):
    """A route added to /openapi.json without a row here fails this test."""
    described = json.loads(call(world.server, "GET", "/openapi.json").body)["paths"]
    operations = {(m.upper(), p) for p, item in described.items() for m in item}
    public = {("POST", "/api/verify"), ("POST", "/api/login")}
    tabled = {(r.method, r.path) for r in ROUTE_TABLE}
    assert operations - public <= tabled, sorted(operations - public - tabled)
    assert tabled <= operations, sorted(tabled - operations)


def test_a_forged_expired_or_foreign_scheme_token_gets_401(world):
    path = f"/api/dossiers/{world.dossier_a}"
    admin = world.tokens["admin"]
    for headers in ({"Authorization": "Bearer kyso_" + "0" * 64},
                    {"Authorization": "Bearer " + admin[:-1] + ("0" if admin[-1] != "0" else "1")},
                    {"Authorization": "Basic " + admin},
                    {"Authorization": admin},
                    {"Authorization": "Bearer " + "a" * 5000},
                    {"Authorization": "Bearer"}):
        answer = call(world.server, "GET", path, headers=headers)
        assert answer.status == 401, (headers["Authorization"][:40], answer)
    # A token in the query string is not a credential.
    answer = call(world.server, "GET", f"{path}?access_token={admin}")
    assert answer.status == 401, answer
    # A revoked token stops working at once.
    revoked = world.issue("officer")
    assert call(world.server, "GET", "/api/dossiers", token=revoked).status == 200
    reply = call_json(world.server, "POST", "/api/tokens",
                      {"role": "counter", "name": "short-lived"}, token=admin)
    token_id = reply.json()["id"]
    world.server.secrets.add(reply.json()["token"])
    assert call(world.server, "DELETE", f"/api/tokens/{token_id}", token=admin).status == 204
    assert call(world.server, "GET", "/api/dossiers",
                token=reply.json()["token"]).status == 401


def test_public_routes_answer_without_a_token(world):
    for path in ("/", "/counter", "/officer", "/citizen", "/verify", "/healthz",
                 "/openapi.json"):
        answer = call(world.server, "GET", path)
        assert answer.status == 200, (path, answer)
    answer = call(world.server, "POST", "/api/verify?offline=true", body=SIGNED_PDF.read_bytes(),
                  content_type="application/pdf")
    assert answer.status == 200, answer
    assert answer.json()["schema"] == "kyso.verify/1"
    answer = call_json(world.server, "POST", "/api/login",
                       {"cccd": CITIZEN_A["cccd"], "password": "not-the-password"})
    assert answer.status == 401, answer
    assert answer.json()["error"], answer
    answer = call_json(world.server, "POST", "/api/login",
                       {"cccd": CITIZEN_A["cccd"], "password": CITIZEN_A["password"]})
    assert answer.status == 200, answer
    assert answer.json()["role"] == "citizen" and answer.json()["cccd"] == CITIZEN_A["cccd"]
    world.server.secrets.add(answer.json()["token"])


# --- citizens see only their own ------------------------------------------------------------

def test_a_citizen_cannot_read_or_find_another_citizens_dossier(world):
    w = world
    document = w.add_result(w.dossier_a)
    job = w.job(w.scan_job, wait=True)
    assert job["state"] == "done", job
    digitized = job["document_id"]
    for token, visible in ((w.tokens["citizen_a"], True), (w.tokens["citizen_b"], False)):
        for path in (f"/api/dossiers/{w.dossier_a}", f"/api/dossiers/{w.dossier_a}/jobs",
                     f"/api/documents/{document}", f"/api/documents/{document}/pdf",
                     f"/api/documents/{digitized}", f"/api/documents/{digitized}/pdf",
                     f"/api/jobs/{w.scan_job}", f"/api/jobs/{w.scan_job}/events"):
            answer = call(w.server, "GET", path, token=token)
            assert answer.status == (200 if visible else 404), (visible, path, answer)
            if not visible:
                # The same answer as for an id that does not exist.
                missing = call(w.server, "GET", re.sub(r"[0-9a-f]{32}", "f" * 32, path),
                               token=token)
                assert (missing.status, missing.json()) == (404, answer.json()), path

    # Listing: B sees only B's dossier; A never sees B's.
    listed_b = call(w.server, "GET", "/api/dossiers", token=w.tokens["citizen_b"]).json()
    assert {d["id"] for d in listed_b["dossiers"]} == {w.dossier_b}, listed_b
    listed_a = call(w.server, "GET", "/api/dossiers", token=w.tokens["citizen_a"]).json()
    assert w.dossier_b not in {d["id"] for d in listed_a["dossiers"]}
    assert w.dossier_a in {d["id"] for d in listed_a["dossiers"]}

    # Search: staff and A find the scanned page; B finds nothing, with or without diacritics.
    for words in ("TIỆM BÁNH", "tiem banh anh duong", "Đức Hòa"):
        query = "/api/dossiers?q=" + urlquote(words)
        for role, finds in (("counter", True), ("officer", True), ("citizen_a", True),
                            ("citizen_b", False)):
            hits = call(w.server, "GET", query, token=w.tokens[role]).json()["hits"]
            ids = {h["document_id"] for h in hits}
            assert (digitized in ids) == finds, (words, role, hits)
            if role == "citizen_b":
                assert hits == [], hits


def urlquote(text: str) -> str:
    from urllib.parse import quote
    return quote(text, safe="")


def test_a_citizen_cannot_sign_reuse_or_upload_into_another_citizens_dossier(world):
    w = world
    document = w.add_result(w.dossier_a)
    b_doc_path = f"/api/documents/{document}"
    for path, payload in ((f"{b_doc_path}/remote-sign", {}),
                          (f"{b_doc_path}/remote-sign/complete",
                           {"session_id": "0" * 32, "pin": "1", "otp": "1"}),
                          (f"/api/dossiers/{w.dossier_a}/reuse", {"document_id": w.earlier})):
        answer = call_json(w.server, "POST", path, payload, token=w.tokens["citizen_b"])
        assert answer.status == 404, (path, answer)
    # A cannot pull B's document into A's own dossier either.
    b_document = w.add_result(w.dossier_b)
    answer = call_json(w.server, "POST", f"/api/dossiers/{w.dossier_a}/reuse",
                       {"document_id": b_document}, token=w.tokens["citizen_a"])
    assert answer.status == 404, answer
    # Nor can the counter reuse one citizen's document for another citizen's dossier.
    answer = call_json(w.server, "POST", f"/api/dossiers/{w.dossier_b}/reuse",
                       {"document_id": w.earlier}, token=w.tokens["counter"])
    assert 400 <= answer.status < 500, answer
    dossier_b = call(w.server, "GET", f"/api/dossiers/{w.dossier_b}",
                     token=w.tokens["counter"]).json()
    assert [d["id"] for d in dossier_b["documents"]] == [b_document], dossier_b


# --- hostile input --------------------------------------------------------------------------

def test_oversized_bodies_get_413(world):
    w = world
    big_json = json.dumps({"procedure_code": "x" * (3 * MIB), "applicant_name": "A",
                           "applicant_cccd": "001089012345"}).encode()
    document = w.add_result(w.dossier_a)
    for path, token in (("/api/dossiers", "counter"), ("/api/tokens", "admin"),
                        (f"/api/documents/{document}/sign", "officer"),
                        (f"/api/documents/{document}/certify", "officer"),
                        (f"/api/documents/{document}/sign/prepare", "officer"),
                        (f"/api/dossiers/{w.dossier_a}/reuse", "counter"),
                        ("/api/login", None)):
        answer = call(w.server, "POST", path, body=big_json, content_type="application/json",
                      token=None if token is None else w.tokens[token])
        assert answer.status == 413, (path, answer)
        assert answer.json() and answer.json()["error"], (path, answer)
    huge_pdf = b"%PDF-1.7\n" + b" " * (64 * MIB)
    for path, token in ((f"/api/dossiers/{w.dossier_a}/results", w.tokens["officer"]),
                        ("/api/verify", None)):
        answer = call(w.server, "POST", path, body=huge_pdf, content_type="application/pdf",
                      token=token)
        assert answer.status == 413, (path, answer)
        assert answer.json() and answer.json()["error"], (path, answer)
    body, content_type = multipart([("file", "big.png", b"\x89PNG\r\n\x1a\n" + b"\0" * (51 * MIB),
                                     "image/png")])
    answer = call(w.server, "POST", f"/api/dossiers/{w.dossier_a}/scans", body=body,
                  content_type=content_type, token=w.tokens["counter"])
    assert answer.status == 413, answer
    assert answer.json() and answer.json()["error"], answer


def json_routes(w: World) -> list[tuple[str, str]]:
    document = w.add_result(w.dossier_a)
    return [("/api/dossiers", "counter"), ("/api/tokens", "admin"),
            (f"/api/documents/{document}/sign", "officer"),
            (f"/api/documents/{document}/certify", "officer"),
            (f"/api/documents/{document}/sign/prepare", "officer"),
            (f"/api/documents/{document}/sign/complete", "officer"),
            (f"/api/documents/{document}/remote-sign", "citizen_a"),
            (f"/api/documents/{document}/remote-sign/complete", "citizen_a"),
            (f"/api/dossiers/{w.dossier_a}/reuse", "counter"),
            ("/api/login", None)]


def test_malformed_json_gets_400_or_422_and_wrong_content_types_415(world):
    w = world
    bodies = [b"{", b'{"procedure_code": ', b"[1, 2", b"\xff\xfe\x00garbage", b"null",
              b'"a string"', b"[]", b'{"level": 5, "certificates": "x", "cccd": []}',
              b'{"' + b"a" * 10_000 + b'": 1}', b"{" * 5000 + b"}" * 5000]
    for path, role in json_routes(w):
        token = None if role is None else w.tokens[role]
        for body in bodies:
            answer = call(w.server, "POST", path, body=body, content_type="application/json",
                          token=token)
            assert answer.status in (400, 422), (path, body[:30], answer)
            assert answer.json() and answer.json()["error"], (path, answer)
        for content_type in ("text/plain", "application/x-www-form-urlencoded", None):
            answer = call(w.server, "POST", path, body=b'{"a": 1}', content_type=content_type,
                          token=token)
            assert answer.status == 415, (path, content_type, answer)
            assert answer.json() and answer.json()["error"], (path, answer)
    pdf = RESULT_PDF.read_bytes()
    for path, token in ((f"/api/dossiers/{w.dossier_a}/results", w.tokens["officer"]),
                        ("/api/verify", None)):
        for content_type in ("text/plain", "application/json", "image/png"):
            answer = call(w.server, "POST", path, body=pdf, content_type=content_type,
                          token=token)
            assert answer.status == 415, (path, content_type, answer)
    answer = call(w.server, "POST", f"/api/dossiers/{w.dossier_a}/scans", body=b'{"file": 1}',
                  content_type="application/json", token=w.tokens["counter"])
    assert answer.status == 415, answer


def test_malformed_uploads_and_random_bytes_get_4xx(world):
    w = world
    scans = f"/api/dossiers/{w.dossier_a}/scans"
    counter = w.tokens["counter"]
    rng = os.urandom
    good, content_type = multipart([("file", "a.png", tiny_png(), "image/png")])
    boundary = content_type.split("boundary=")[1]
    malformed = [
        (b"", content_type),
        (b"not multipart at all", content_type),
        (good[: len(good) // 2], content_type),                     # cut off
        (good.replace(b"\r\n", b"\n"), content_type),                 # bare newlines
        (good, "multipart/form-data"),                                # no boundary
        (good, "multipart/form-data; boundary=other"),                # wrong boundary
        (good, f"multipart/form-data; boundary={'x' * 5000}"),        # absurd boundary
        (f"--{boundary}\r\n\r\n\r\n--{boundary}--\r\n".encode(), content_type),  # no headers
        (multipart([("title", None, b"only a title", None)])),        # no file
        (multipart([("file", "empty.png", b"", "image/png")])),      # empty file
        (multipart([("other", "a.png", tiny_png(), "image/png")])),  # unknown part
        (multipart([("file", "../../etc/passwd", tiny_png(), "image/png"),
                    ("deskew", None, b"perhaps", None)])),          # bad field value
        (multipart([("file", "x.png", rng(4096), "image/png")])),    # random bytes as PNG
        (multipart([("file", "x.jpg", rng(4096), "image/jpeg")])),
        (multipart([("file", "x.bin", rng(4096), "application/octet-stream")])),
        (multipart([("file", "x.png", tiny_png(), "image/png"),
                    ("file", "y.png", rng(4096), "image/png")])),      # one good, one not
    ]
    for number, (body, ctype) in enumerate(malformed):
        answer = call(w.server, "POST", scans, body=body, content_type=ctype, token=counter)
        assert 400 <= answer.status < 500, (number, ctype[:60], body[:300], answer)
        assert answer.json() and answer.json()["error"], answer
    # Random bytes behind a valid file signature: refused at once, or accepted and then the
    # job fails with words for the counter; never a server error, never a document.
    for name, head, media in (("x.jpg", b"\xff\xd8\xff\xe0", "image/jpeg"),
                              ("x.png", b"\x89PNG\r\n\x1a\n", "image/png"),
                              ("x.tif", b"II*\x00", "image/tiff"),
                              ("x.pdf", b"%PDF-1.7\n", "application/pdf")):
        body, ctype = multipart([("file", name, head + rng(4096), media)])
        answer = call(w.server, "POST", scans, body=body, content_type=ctype, token=counter)
        assert 400 <= answer.status < 500 or answer.status == 202, (name, answer)
        if answer.status == 202:
            job = w.job(answer.json()["id"], wait=True)
            assert job["state"] == "failed" and job["error"], (name, job)
            assert job["document_id"] is None, job
    for body in (rng(4096), b"%PDF-1.7\n" + rng(4096), b"%PDF-", b""):
        answer = call(w.server, "POST", f"/api/dossiers/{w.dossier_a}/results", body=body,
                      content_type="application/pdf", token=w.tokens["officer"])
        assert answer.status in (400, 422), answer
        answer = call(w.server, "POST", "/api/verify", body=body,
                      content_type="application/pdf")
        assert answer.status in (400, 422), answer
        assert answer.json() and answer.json()["error"], answer


ODD_IDS = [
    "not-hex", "ZZZZ", "0" * 31, "0" * 33, "g" * 32, "a" * 10_000, "..", "..%2F..%2Fkyso.sqlite3",
    "%2E%2E%2F%2E%2E%2Fetc%2Fpasswd", "..%5C..%5Cwindows", "%00", "abc%00def", "%FF%FE",
    "%C0%AE%C0%AE%2F", "1%20OR%201=1", "'%3B--", "%E2%80%AE", "%0D%0ASet-Cookie:%20a=b",
]


def test_odd_ids_and_traversal_get_404_never_5xx(world):
    w = world
    templates = ["/api/dossiers/{id}", "/api/dossiers/{id}/jobs", "/api/documents/{id}",
                 "/api/documents/{id}/pdf", "/api/jobs/{id}", "/api/jobs/{id}/events"]
    session = {"session_id": "0" * 32}
    # Bodies of the right shape, so that only the id can be wrong; the role each route takes.
    posts = {
        "/api/dossiers/{id}/results": ({}, "officer"),
        "/api/dossiers/{id}/scans": ({}, "counter"),
        "/api/dossiers/{id}/reuse": ({"document_id": w.earlier}, "counter"),
        "/api/documents/{id}/sign": ({}, "officer"),
        "/api/documents/{id}/certify": ({}, "officer"),
        "/api/documents/{id}/sign/prepare": ({"certificates": officer_chain()},
                                             "officer"),
        "/api/documents/{id}/sign/complete": ({**session, "signature": "AAAA"}, "officer"),
        "/api/documents/{id}/remote-sign": ({}, "citizen_a"),
        "/api/documents/{id}/remote-sign/complete": ({**session, "pin": "1", "otp": "1"},
                                                     "citizen_a"),
    }
    wrong = []
    for odd in ODD_IDS:
        for method, template in [("GET", t) for t in templates] + [("POST", t) for t in posts] \
                + [("DELETE", "/api/tokens/{id}")]:
            path = template.format(id=odd)
            if method == "POST":
                payload, role = posts[template]
                answer = call_json(w.server, method, path, payload, token=w.tokens[role])
            else:
                answer = call(w.server, method, path, token=w.tokens["admin"])
            body = answer.json()
            # An id naming nothing is 404 in the API's error shape, whatever its bytes are
            # (not even UTF-8, a NUL, 10 000 characters, a traversal).
            if answer.status != 404 or not (isinstance(body, dict) and body.get("error")):
                wrong.append(f"{method} {template} id={odd[:40]}: {answer!r}")
            assert "set-cookie" not in answer.headers, answer.headers
    assert not wrong, "\n".join(wrong)
    for path in ("/static/..%2F..%2FCargo.toml", "/static/../../Cargo.toml",
                 "/static/%2E%2E%2Fsrc%2Fmain.rs", "/../../etc/passwd", "/static/app.js%00.html",
                 "/%2e%2e/%2e%2e/etc/passwd", "/static/" + "a" * 10_000):
        answer = call(w.server, "GET", path)
        assert answer.status in (400, 404), (path[:60], answer)
        assert b"[package]" not in answer.body and b"root:" not in answer.body


def test_no_secret_in_the_debug_log(world):
    """Runs last: every token, password and PIN the server was given or issued above."""
    w = world
    # One more failed login and a wrong PIN: secrets in failed attempts must not be logged.
    wrong = "sai-mat-khau-" + uuid.uuid4().hex
    w.server.secrets.add(wrong)
    answer = call_json(w.server, "POST", "/api/login",
                       {"cccd": CITIZEN_A["cccd"], "password": wrong})
    assert answer.status == 401, answer
    log = w.server.log.read_text(errors="replace")
    assert "DEBUG" in log, "the server did not log at debug level"
    assert len(w.server.secrets) >= 8, w.server.secrets
    leaked = [s[:6] + "…" for s in w.server.secrets if s and s in log]
    assert not leaked, f"secrets in the server's log: {leaked}"
    assert "panicked" not in log
