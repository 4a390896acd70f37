"""The `kyso verify` corpus (tests/corpus/verify): signed PDFs made by pyHanko and by
`kyso sign`, and attacks on them (USF, ISA, SWA, shadow attacks, certification attacks,
digest and signature damage), each with our expected verdict in expected.json.

- pyHanko (library: validate_pdf_signature / validate_pdf_timestamp, hard-fail revocation,
  the file's DSS only for files marked offline) must agree with the expected intact /
  valid / trusted / modification level and with the bottom line (TOTAL_PASSED or not),
  except where expected.json records, with a reason, that pyHanko judges otherwise; there
  pyHanko must still say what it said when the corpus was made.
- Every attack must change what poppler draws compared with the revision the victim
  signed (the damaged-signature file must not), and that revision must hold a genuine,
  trusted signature.
- `kyso verify FILE --trust ROOT --json` (files marked offline: `--offline --at` the time
  recorded in expected.json, as pyHanko is run for them) must give the expected exit code and, per
  signature, the expected indication and sub-indication.

The revocation and expiry cases need the test PKI's OCSP and CRLs: `kyso serve` runs on
127.0.0.1:8080 for this module (an already running one is used as it is).
"""

import io
import json
import logging
import os
import signal
import subprocess
import time
import urllib.request
from datetime import datetime
from pathlib import Path

import pytest
from pyhanko.sign.validation.errors import NoDSSFoundError

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "corpus" / "verify"
CERTS = ROOT / "certs"
BASE = "http://127.0.0.1:8080"
EXPECTED = json.loads((CORPUS / "expected.json").read_text())
FILES = EXPECTED["files"]
BY_NAME = {entry["file"]: entry for entry in FILES}


def kyso_binary() -> Path:
    if "KYSO_BIN" in os.environ:
        return Path(os.environ["KYSO_BIN"])
    release = ROOT / "target" / "release" / "kyso"
    return release if release.exists() else ROOT / "target" / "debug" / "kyso"


KYSO = kyso_binary()

INDICATIONS = {"TOTAL_PASSED", "INDETERMINATE", "TOTAL_FAILED"}
SUB_INDICATIONS = {
    "HASH_FAILURE", "SIG_CRYPTO_FAILURE", "FORMAT_FAILURE", "REVOKED", "EXPIRED",
    "NOT_YET_VALID", "NO_CERTIFICATE_CHAIN_FOUND", "OUT_OF_BOUNDS_NO_POE", "REVOKED_NO_POE",
    "TRY_LATER", "NO_SIGNING_CERTIFICATE_FOUND", "SIG_CONSTRAINTS_FAILURE",
    "CHAIN_CONSTRAINTS_FAILURE", "CRYPTO_CONSTRAINTS_FAILURE_NO_POE",
}
MODIFICATION_LEVELS = {"NONE": "none", "LTA_UPDATES": "dss", "FORM_FILLING": "form_filling",
                       "ANNOTATIONS": "annotations", "OTHER": "other"}


def ids(entry):
    return entry["file"].removesuffix(".pdf")


def _port_answers() -> bool:
    try:
        with urllib.request.urlopen(BASE + "/healthz", timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture(scope="module")
def services(tmp_path_factory):
    """The test PKI's TSA, OCSP and CRLs on 127.0.0.1:8080 (needed for online checks)."""
    if _port_answers():
        yield None
        return
    process = subprocess.Popen(
        [str(KYSO), "serve", "--listen", "127.0.0.1:8080",
         "--data", str(tmp_path_factory.mktemp("serve")), "--pki", str(CERTS)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while not _port_answers():
        if process.poll() is not None:
            raise RuntimeError("kyso serve exited: " + process.stderr.read().decode())
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("kyso serve did not answer /healthz within 30 s")
        time.sleep(0.1)
    yield process
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


# ---- the corpus itself ---------------------------------------------------------------

def test_every_file_has_exactly_one_entry():
    on_disk = sorted(p.name for p in CORPUS.glob("*.pdf"))
    listed = [entry["file"] for entry in FILES]
    assert sorted(listed) == on_disk
    assert len(set(listed)) == len(listed)


def test_corpus_stays_small():
    total = sum(p.stat().st_size for p in CORPUS.iterdir() if p.is_file())
    assert total < 3_000_000, total


def test_corpus_covers_what_the_issue_asks_for():
    made_by = {entry["made_by"] for entry in FILES}
    assert made_by == {"pyhanko", "kyso", "attack"}
    subs = {s["sub_indication"] for entry in FILES for s in entry["signatures"]}
    for wanted in ["HASH_FAILURE", "SIG_CRYPTO_FAILURE", "FORMAT_FAILURE", "REVOKED",
                   "REVOKED_NO_POE", "EXPIRED", "OUT_OF_BOUNDS_NO_POE",
                   "NO_CERTIFICATE_CHAIN_FOUND", "CRYPTO_CONSTRAINTS_FAILURE_NO_POE"]:
        assert wanted in subs, wanted
    levels = {s["pades_level"] for entry in FILES for s in entry["signatures"]}
    assert {"B-B", "B-T", "B-LT", "B-LTA"} <= levels
    names = " ".join(BY_NAME)
    for attack in ["usf-contents-missing", "usf-contents-null", "usf-contents-empty",
                   "usf-byterange-missing", "usf-byterange-null", "usf-byterange-empty",
                   "byterange-shortened", "byterange-overlapping", "second-contents", "swa",
                   "isa-new-content", "isa-xref-only", "object-replaced", "shadow-hide",
                   "shadow-replace", "shadow-hide-and-replace", "evil-annotation",
                   "sneaky-signature", "cms-transplanted", "flipped-byte"]:
        assert f"attack-{attack}" in names, attack


@pytest.mark.parametrize("entry", FILES, ids=ids)
def test_expected_entry_is_well_formed(entry):
    assert entry["made_by"] in {"pyhanko", "kyso", "attack"}
    assert entry["description"] and entry["viewer_shows"]
    assert entry["trust"] and all((ROOT / t).is_file() for t in entry["trust"])
    assert entry["signatures"]
    for s in entry["signatures"]:
        assert s["field"]
        assert s["indication"] in INDICATIONS
        assert s["kind"] in {"signature", "document_timestamp"}
        if s["indication"] == "TOTAL_PASSED":
            assert s["sub_indication"] is None
            assert s["intact"] and s["valid"] and s["trusted"]
        else:
            assert s["sub_indication"] in SUB_INDICATIONS
        assert s["modification_level"] in {None, "none", "dss", "form_filling", "annotations",
                                           "other"}
        assert s["pades_level"] in {None, "B-B", "B-T", "B-LT", "B-LTA"}
        if s["kind"] == "document_timestamp":
            assert s["pades_level"] is None
    passed = all(s["indication"] == "TOTAL_PASSED" for s in entry["signatures"])
    assert entry["exit"] == (0 if passed else 1)
    if entry["made_by"] == "attack":
        assert entry["exit"] == 1
        assert entry["signed_revision"] is not None
    assert (entry["validate_at"] is not None) == entry["offline"]
    if entry["pyhanko_differs"]:
        assert entry["pyhanko_note"], "a disagreement with pyHanko needs its reason"


# ---- pyHanko's opinion ---------------------------------------------------------------

def pyhanko_judge(entry, data: bytes | None = None) -> dict:
    """pyHanko's verdict on every signature of the file (or of `data` judged with the
    file's settings), as make_corpus.py records it."""
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
    from pyhanko.sign.validation.dss import DocumentSecurityStore
    from pyhanko_certvalidator import ValidationContext

    logging.getLogger("pyhanko").setLevel(logging.CRITICAL)
    roots = [load_cert_from_pemder(str(ROOT / t)) for t in entry["trust"]]
    if data is None:
        data = (CORPUS / entry["file"]).read_bytes()
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        embedded = reader.embedded_signatures
    except Exception as error:
        return {"error": f"{type(error).__name__}: {error}", "signatures": []}
    out = []
    for emb in embedded:
        result = {"field": emb.field_name}
        try:
            if entry["offline"]:
                # As of the recorded time: the DSS's OCSP responses are fresh for a day.
                settings = {"trust_roots": roots, "allow_fetching": False,
                            "revocation_mode": "hard-fail",
                            "moment": datetime.fromisoformat(entry["validate_at"].replace("Z", "+00:00"))}
                try:
                    context = DocumentSecurityStore.read_dss(reader).as_validation_context(settings)
                except NoDSSFoundError:
                    # No DSS: only what the signature carries (adbe-revocationInfoArchival).
                    context = ValidationContext(**settings, **adobe_revinfo(emb))
            else:
                context = ValidationContext(trust_roots=roots, allow_fetching=True,
                                            revocation_mode="hard-fail")
            if emb.sig_object_type == "/DocTimeStamp":
                status = validate_pdf_timestamp(emb, validation_context=context)
            else:
                status = validate_pdf_signature(emb, signer_validation_context=context)
            level = getattr(status, "modification_level", None)
            result.update({
                "intact": bool(status.intact), "valid": bool(status.valid),
                "trusted": bool(status.trusted),
                "modification_level": MODIFICATION_LEVELS[level.name] if level else None,
                "bottom_line": bool(getattr(status, "bottom_line", status.trusted)),
                "summary": status.summary(),
            })
        except Exception as error:
            result["error"] = f"{type(error).__name__}: {error}"
        out.append(result)
    return {"signatures": out}


@pytest.mark.parametrize("entry", FILES, ids=ids)
def test_pyhanko_agrees(entry, services):
    judged = pyhanko_judge(entry)
    recorded = entry["pyhanko"]
    if "error" in recorded:
        # pyHanko could not even read the file: that is a rejection, and must stay one.
        assert "error" in judged, judged
        assert entry["exit"] == 1
        return
    assert [s["field"] for s in judged["signatures"]] == [s["field"] for s in entry["signatures"]]
    for mine, theirs, then in zip(entry["signatures"], judged["signatures"], recorded["signatures"]):
        where = f"{entry['file']} {mine['field']}: pyHanko says {theirs}"
        if "error" in then:
            # pyHanko refused to evaluate this signature (e.g. no /Contents): a rejection.
            assert "error" in theirs, where
            assert mine["indication"] != "TOTAL_PASSED", where
            continue
        assert "error" not in theirs, where
        differs = set(entry["pyhanko_differs"].get(mine["field"], []))
        for key in ("intact", "valid", "trusted", "modification_level"):
            if key in differs:
                # A recorded, explained disagreement: pyHanko must still judge as it did.
                assert theirs[key] == then[key], f"{key}: {where}"
            elif mine[key] is not None and theirs[key] is not None:
                assert theirs[key] == mine[key], f"{key}: {where}"
        if "bottom_line" in differs:
            assert theirs["bottom_line"] == then["bottom_line"], where
        else:
            assert theirs["bottom_line"] == (mine["indication"] == "TOTAL_PASSED"), where


# ---- what a viewer shows -------------------------------------------------------------

def pyhanko_cli(entry) -> dict:
    """`pyhanko sign validate --executive-summary --trust ROOT… --trust-replace FILE`, online
    (revocation from the test PKI's services): {field: "VALID" | "INVALID"}, or {} when
    pyHanko refuses to read the file."""
    trust = [arg for anchor in entry["trust"] for arg in ("--trust", str(ROOT / anchor))]
    result = subprocess.run([str(ROOT / ".venv" / "bin" / "pyhanko"), "sign", "validate",
                             "--executive-summary", *trust, "--trust-replace",
                             str(CORPUS / entry["file"])],
                            capture_output=True, text=True, timeout=120)
    verdicts = {}
    for line in result.stdout.splitlines():
        parts = line.strip().split(":")
        if len(parts) >= 3 and parts[-1] in ("VALID", "INVALID"):
            verdicts[parts[0]] = parts[-1]
    return verdicts


@pytest.mark.parametrize("entry", FILES, ids=ids)
def test_pyhanko_cli_agrees(entry, services):
    """The command the issue names gives the same bottom line per signature as our expected
    verdict (TOTAL_PASSED ⇔ VALID), except where expected.json records, with a reason, that
    pyHanko's bottom line differs; a file pyHanko cannot read counts as rejected."""
    said = pyhanko_cli(entry)
    if not said:
        assert entry["exit"] == 1, f"pyHanko could not read {entry['file']}"
        return
    for mine in entry["signatures"]:
        if mine["kind"] == "document_timestamp":
            continue  # the CLI's executive summary lists signatures proper
        verdict = said.get(mine["field"])
        assert verdict is not None, f"{entry['file']}: pyHanko CLI said {said}"
        expected_valid = mine["indication"] == "TOTAL_PASSED"
        if "bottom_line" in entry["pyhanko_differs"].get(mine["field"], []):
            recorded = next(s for s in entry["pyhanko"]["signatures"] if s["field"] == mine["field"])
            expected_valid = recorded["bottom_line"]
        assert (verdict == "VALID") == expected_valid, \
            f"{entry['file']} {mine['field']}: pyHanko CLI {verdict}, expected {mine['indication']}"


def render_page(data: bytes, tmp_path: Path, name: str) -> bytes:
    src = tmp_path / f"{name}.pdf"
    src.write_bytes(data)
    subprocess.run(["pdftoppm", "-r", "36", "-gray", "-f", "1", "-l", "1", "-singlefile",
                    str(src), str(tmp_path / name)], capture_output=True, timeout=60)
    page = tmp_path / f"{name}.pgm"
    assert page.exists(), f"poppler drew nothing for {name}"
    return page.read_bytes()


ATTACKS = [entry for entry in FILES if entry["signed_revision"] is not None]


@pytest.mark.parametrize("entry", ATTACKS, ids=ids)
def test_attack_changes_what_a_viewer_shows(entry, tmp_path):
    """poppler draws page 1 of the attacked file differently from the revision the
    victim signed (the damaged-signature file: identically)."""
    source = entry["signed_revision"]
    signed = (CORPUS / source["file"]).read_bytes()[:source["length"]]
    attacked = (CORPUS / entry["file"]).read_bytes()
    assert attacked != signed
    changed = render_page(attacked, tmp_path, "attacked") != render_page(signed, tmp_path, "signed")
    assert changed == entry["changes_display"], entry["viewer_shows"]


SIGNED_INSIDE = [entry for entry in ATTACKS if entry["signed_revision"]["file"] == entry["file"]]


@pytest.mark.parametrize("entry", SIGNED_INSIDE, ids=ids)
def test_attack_starts_from_a_valid_signature(entry, services):
    """The victim's revision inside an attacked file (its first bytes) is a genuine,
    trusted signature with nothing after it: what follows is the attack alone."""
    signed = (CORPUS / entry["file"]).read_bytes()[:entry["signed_revision"]["length"]]
    judged = pyhanko_judge(entry, signed)
    assert judged["signatures"], judged
    for theirs in judged["signatures"]:
        assert theirs.get("bottom_line") and theirs["modification_level"] == "none", \
            f"{entry['file']}: {theirs}"


# ---- kyso verify ---------------------------------------------------------------------

def run_kyso_verify(entry) -> subprocess.CompletedProcess:
    trust = [arg for t in entry["trust"] for arg in ("--trust", str(ROOT / t))]
    offline = ["--offline", "--at", entry["validate_at"]] if entry["offline"] else []
    return subprocess.run([str(KYSO), "verify", str(CORPUS / entry["file"]), *trust, *offline,
                           "--json"], capture_output=True, text=True, timeout=120)


VERIFY_CASES = [pytest.param(entry, id=ids(entry)) for entry in FILES]


@pytest.mark.parametrize("entry", VERIFY_CASES)
def test_kyso_verify_agrees(entry, services):
    result = run_kyso_verify(entry)
    assert "not available" not in result.stderr, result.stderr
    assert result.stdout, result.stderr
    report = json.loads(result.stdout)
    assert report["schema"] == "kyso.verify/1"
    got = {s["field"]: s for s in report["signatures"]}
    assert sorted(got) == sorted(s["field"] for s in entry["signatures"]), report

    def verdicts(signatures):
        return [(s["field"], s["kind"], s["indication"], s["sub_indication"]) for s in signatures]

    # On a mismatch, show kyso's modification level and changes next to its verdict.
    details = {f: (got[f].get("modification_level"), got[f].get("changes")) for f in got}
    assert verdicts(got[s["field"]] for s in entry["signatures"]) == verdicts(entry["signatures"]), \
        f"{entry['file']}: {entry['description']}; kyso verify: {details}"
    assert result.returncode == entry["exit"], result.stderr


def adobe_revinfo(emb) -> dict:
    """The OCSP responses and CRLs a signature carries in its signed
    adbe-revocationInfoArchival attribute (ISO 32000-1 §12.8.3.3.2), or else in the
    SignedData's `crls` field (RFC 5652 §10.2.1, RFC 5940), for a ValidationContext."""
    for attribute in emb.signer_info["signed_attrs"]:
        if attribute["type"].dotted == "1.2.840.113583.1.1.8":
            archival = attribute["values"][0]
            return {"ocsps": list(archival["ocsp"]), "crls": list(archival["crl"])}
    choices = emb.signed_data["crls"].native and emb.signed_data["crls"] or []
    crls = [c.chosen for c in choices if c.name == "crl"]
    ocsps = [c.chosen["other_rev_info"] for c in choices
             if c.name == "other" and c.chosen["other_rev_info_format"].native == "ocsp_response"]
    return {"ocsps": ocsps, "crls": crls} if crls or ocsps else {}
