"""schemathesis (PyPI) against `kyso serve`'s own /openapi.json: every operation is called with
generated data, valid and invalid, and every answer must be no 5xx, a documented status, a
documented content type, documented headers and a body that conforms to the documented schema.
It runs three times: with an admin token (reaches the handlers' logic), with a counter token
(many 403s) and with no token (401s), since error answers must conform too.

The server gets real data first (dossiers, result PDFs, a job, tokens of every role), handed to
schemathesis as dictionaries, so generated ids hit existing resources half of the time instead
of answering 404 every time."""

import json
import os
import re
import subprocess
import uuid
from pathlib import Path

import pytest

from cscfixture import KYSO, ROOT, CscServer, kyso_env

CHECKS = ",".join([
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
])
SCHEMATHESIS = ROOT / ".venv" / "bin" / "schemathesis"
CITIZEN_CCCD = "001089012345"

# Real PDFs for the routes that take one, besides what schemathesis generates (mostly not
# PDFs, or a blank one): signed ones reach the verification and the report in words.
REAL_PDFS = [ROOT / "tests" / "corpus" / "verify" / name
             for name in ("kyso-b-lt.pdf", "kyso-b-b.pdf", "attack-flipped-byte.pdf")]
REAL_PDFS.append(ROOT / "samples" / "ket-qua-quyet-dinh.pdf")

# schemathesis sends a body of a media type only if it has a serializer for it; the PDF routes
# (results, verify) take the PDF itself. Bytes go as they are; generated text as UTF-8.
HOOKS = '''
import os

import schemathesis
from hypothesis import strategies as st
from schemathesis.transport.serialization import serialize_binary

REAL_PDFS = [open(p, "rb").read() for p in os.environ["KYSO_ST_PDFS"].split(os.pathsep)]
PDF_ROUTES = ("/api/verify", "/api/dossiers/{id}/results")


@schemathesis.serializer("application/pdf")
def pdf_body(ctx, value):
    if isinstance(value, str):
        return value.encode("utf-8")
    return serialize_binary(value)


@schemathesis.hook
def flatmap_body(context, body):
    if context.operation is not None and context.operation.path in PDF_ROUTES:
        return st.sampled_from([body, *REAL_PDFS])
    return st.just(body)
'''


def issue_token(server: CscServer, admin: str, role: str, **extra) -> str:
    reply = server.post("/api/tokens", {"role": role, "name": f"schema {role}", **extra},
                        token=admin)
    assert reply.status == 201, reply
    server.secrets.add(reply.body["token"])
    return reply.body["token"]


def tiny_scan_png() -> bytes:
    """A small white page, so the seeded digitize job does not keep both cores busy."""
    from PIL import Image
    import io
    image = Image.new("L", (400, 560), 255)
    out = io.BytesIO()
    image.save(out, format="PNG", dpi=(72, 72))
    return out.getvalue()


def multipart(fields: list[tuple[str, str, bytes, str | None]]) -> tuple[bytes, str]:
    boundary = "kyso-" + uuid.uuid4().hex
    parts = []
    for name, filename, content, content_type in fields:
        disposition = f'form-data; name="{name}"'
        if filename:
            disposition += f'; filename="{filename}"'
        head = f"--{boundary}\r\nContent-Disposition: {disposition}\r\n"
        if content_type:
            head += f"Content-Type: {content_type}\r\n"
        parts.append(head.encode() + b"\r\n" + content + b"\r\n")
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    base = tmp_path_factory.mktemp("api-schema")
    data = base / "data"
    made = subprocess.run(
        [str(KYSO), "token", "add", "--data", str(data), "--role", "admin", "--name",
         "schema admin", "--json"],
        capture_output=True, text=True, timeout=60, cwd=ROOT, env=kyso_env(),
    )
    assert made.returncode == 0, made.stderr
    admin = json.loads(made.stdout)["token"]
    server = CscServer(data, "--rate-limit", "0")
    server.secrets.add(admin)
    try:
        tokens = {
            "admin": admin,
            "counter": issue_token(server, admin, "counter"),
            "officer": issue_token(server, admin, "officer"),
            "citizen": issue_token(server, admin, "citizen", cccd=CITIZEN_CCCD),
        }
        dossiers = []
        for _ in range(2):
            reply = server.post("/api/dossiers", {"procedure_code": "2.000488",
                                                  "applicant_name": "Nguyễn Văn An",
                                                  "applicant_cccd": CITIZEN_CCCD},
                                token=tokens["counter"])
            assert reply.status == 201, reply
            dossiers.append(reply.body["id"])
        pdf = (ROOT / "samples" / "ket-qua-quyet-dinh.pdf").read_bytes()
        documents = []
        for _ in range(4):
            reply = server.request("POST", f"/api/dossiers/{dossiers[0]}/results", raw=pdf,
                                   token=tokens["officer"],
                                   headers={"Content-Type": "application/pdf"})
            assert reply.status == 201, reply
            documents.append(reply.body["id"])
        body, content_type = multipart([("file", "trang-1.png", tiny_scan_png(), "image/png")])
        reply = server.request("POST", f"/api/dossiers/{dossiers[0]}/scans", raw=body,
                               token=tokens["counter"], headers={"Content-Type": content_type})
        assert reply.status == 202, reply
        jobs = [reply.body["id"]]
        yield server, base, tokens, {"dossier_ids": dossiers, "document_ids": documents,
                                     "job_ids": jobs}
    finally:
        server.stop()


def toml_list(values: list[str]) -> str:
    return "[" + ", ".join(json.dumps(v) for v in values) + "]"


def config(ids: dict[str, list[str]], examples: int) -> str:
    """The schemathesis.toml for one run: the seeded ids as dictionaries bound to the path
    parameters (half of the generated cases use one), and the bounds on the costly operations."""
    dictionaries = "\n".join(f"{name} = {{ values = {toml_list(values)} }}"
                             for name, values in ids.items())
    bindings = [
        (r"^/api/dossiers/\{id\}", "dossier_ids"),
        (r"^/api/documents/\{id\}", "document_ids"),
        (r"^/api/jobs/\{id\}", "job_ids"),
    ]
    operations = "\n".join(
        f'[[operations]]\ninclude-path-regex = {json.dumps(regex)}\n'
        f'parameters = {{ "path.id" = {{ dictionary = "{name}", probability = 0.5 }} }}\n'
        for regex, name in bindings
    )
    operations += (
        '[[operations]]\ninclude-name = "POST /api/dossiers/{id}/reuse"\n'
        'parameters = { "body.document_id" = { dictionary = "document_ids", '
        'probability = 0.5 } }\n'
    )
    return f"""
[generation]
max-examples = {examples}
database = "none"

[phases.stateful]
max-steps = 6

[dictionaries]
{dictionaries}

{operations}

# Every accepted upload queues a digitize job that OCRs its pages on every core, so a few
# uploads test the route; more would only slow the rest of the run.
[[operations]]
include-name = "POST /api/dossiers/{{id}}/scans"
generation.max-examples = 4

# An accepted body is a PDF that is parsed, signed (RSA on the agency key, timestamps and
# revocation data fetched from this server for b-t and above) and stored as a new version.
[[operations]]
include-path-regex = "^/api/documents/\\\\{{id\\\\}}/(sign|certify)$"
generation.max-examples = {max(2, examples // 2)}
"""


def run_schemathesis(base: Path, server: CscServer, ids, name: str, token: str | None,
                     examples: int, phases: str) -> None:
    work = base / f"st-{name}"
    work.mkdir()
    (work / "kyso_st_hooks.py").write_text(HOOKS)
    (work / "schemathesis.toml").write_text(config(ids, examples))
    report = work / "report.json"
    command = [str(SCHEMATHESIS), "--config-file", str(work / "schemathesis.toml"), "run",
               f"{server.base}/openapi.json", "--checks", CHECKS, "--phases", phases,
               "--workers", "2", "--no-color", "--report", "junit",
               "--report-junit-path", str(report.with_suffix(".xml"))]
    if token is not None:
        command += ["--header", f"Authorization: Bearer {token}"]
    env = {**os.environ, "PYTHONPATH": str(work), "SCHEMATHESIS_HOOKS": "kyso_st_hooks",
           "KYSO_ST_PDFS": os.pathsep.join(str(p) for p in REAL_PDFS)}
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=work,
                          env=env)
    output = done.stdout + done.stderr
    (work / "output.txt").write_text(output)
    summary = re.findall(r"^=+ (.+) in [\d.]+s =+$", output, re.MULTILINE)
    assert summary, f"no schemathesis summary ({name}):\n{output}"
    # The last line reads e.g. "No issues found", "2 warnings", "1 failure, 1 error".
    assert not re.search(r"\b(failures?|errors?)\b", summary[-1]), f"{name}:\n{output}"
    assert done.returncode == 0, f"{name}: exit {done.returncode}\n{output}"
    tested = re.search(r"Tested:\s+(\d+)", output)
    selected = re.search(r"Selected:\s+(\d+)/(\d+)", output)
    assert tested and selected, output
    # Nothing left out: every described operation was called.
    assert int(tested.group(1)) == int(selected.group(2)) >= 20, output
    junit = report.with_suffix(".xml").read_text()
    assert "<failure" not in junit and "<error" not in junit, junit[:4000]


def test_admin_calls_conform_to_the_openapi_document(seeded):
    server, base, tokens, ids = seeded
    run_schemathesis(base, server, ids, "admin", tokens["admin"], 40,
                     "examples,coverage,fuzzing,stateful")


def test_counter_calls_conform_including_the_403s(seeded):
    server, base, tokens, ids = seeded
    run_schemathesis(base, server, ids, "counter", tokens["counter"], 15,
                     "examples,coverage,fuzzing")


def test_calls_without_a_token_conform_including_the_401s(seeded):
    server, base, tokens, ids = seeded
    run_schemathesis(base, server, ids, "anonymous", None, 15, "examples,coverage,fuzzing")


def test_the_server_answered_no_5xx_and_logged_no_secret(seeded):
    """schemathesis already fails on a 5xx; the log must also hold no token it was given."""
    server, *_ = seeded
    log = server.log.read_text(errors="replace")
    for secret in server.secrets:
        assert secret not in log, "a token appears in the server's log"
    assert "panicked" not in log, log[-4000:]
