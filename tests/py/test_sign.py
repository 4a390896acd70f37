"""`kyso sign` at every PAdES level with RSA-PSS, RSA PKCS#1 v1.5 and ECDSA signers, on a
digitized PDF/A and on a born-digital sample, judged by independent tools: pyHanko
(`pyhanko sign validate`), poppler's `pdfsig`, `openssl cms -verify` over the /ByteRange
bytes, `qpdf --check` and pikepdf's PDF/A-2b validator. The timestamp, OCSP and CRL
services are `kyso serve` on 127.0.0.1:8080, the address the test certificates carry; the
B-LT and B-LTA files are validated again after it stops."""

import os
import re
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pikepdf
import pytest

ROOT = Path(__file__).resolve().parents[2]
CERTS = ROOT / "certs"
SAMPLES = ROOT / "samples"
KYSO = Path(os.environ.get("KYSO_BIN", ROOT / "target" / "debug" / "kyso"))
BASE = "http://127.0.0.1:8080"
TSA = BASE + "/tsa"
TRUST = [CERTS / "trust" / "national-root.pem", CERTS / "trust" / "government-root.pem"]
PASSWORD = "kyso-test"

# (certificate slug, extra options): RSA-3072 with the default RSASSA-PSS, RSA-2048 with
# PKCS#1 v1.5 on request, ECDSA P-256.
SIGNERS = {
    "rsa-pss": ("officer-pham-minh-duc", []),
    "rsa-v15": ("citizen-nguyen-van-an", ["--scheme", "pkcs1v15"]),
    "ecdsa": ("officer-do-thi-huong", []),
}
LEVELS = ["b-b", "b-t", "b-lt", "b-lta"]
INPUTS = ["digitized", "born-digital"]


class Server:
    """`kyso serve` with the test PKI's trust services, on the certificates' address."""

    def __init__(self, data: Path):
        self.process = subprocess.Popen(
            [str(KYSO), "serve", "--listen", "127.0.0.1:8080", "--data", str(data),
             "--pki", str(CERTS)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(BASE + "/healthz", timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            if self.process.poll() is not None:
                raise RuntimeError("kyso serve exited: " + self.process.stderr.read().decode())
            if time.monotonic() > deadline:
                raise RuntimeError("kyso serve did not answer /healthz within 30 s")
            time.sleep(0.1)

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=30)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    server = Server(tmp_path_factory.mktemp("serve"))
    yield server
    server.stop()


def password_file(folder: Path) -> Path:
    path = folder / "password.txt"
    path.write_text(PASSWORD + "\n")
    return path


def sign(src: Path, out: Path, slug: str, *extra: str, password: Path | None = None):
    folder = out.parent
    return subprocess.run(
        [str(KYSO), "sign", str(src), "-o", str(out),
         "--p12", str(CERTS / "signers" / f"{slug}.p12"),
         "--password-file", str(password or password_file(folder)), *extra],
        capture_output=True, text=True, timeout=120,
    )


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("inputs")
    digitized = folder / "digitized.pdf"
    subprocess.run(
        [str(KYSO), "digitize", str(SAMPLES / "dang-ky-ho-kinh-doanh-200dpi.jpg"),
         "-o", str(digitized), "--title", "Giấy đăng ký hộ kinh doanh"],
        check=True, capture_output=True, env={**os.environ, "SOURCE_DATE_EPOCH": "1767225600"},
        timeout=600,
    )
    return {"digitized": digitized, "born-digital": SAMPLES / "ket-qua-quyet-dinh.pdf"}


@pytest.fixture(scope="module")
def signed(server, inputs, tmp_path_factory):
    folder = tmp_path_factory.mktemp("signed")
    made = {}
    for source in INPUTS:
        for key, (slug, extra) in SIGNERS.items():
            for level in LEVELS:
                out = folder / f"{source}-{key}-{level}.pdf"
                options = ["--level", level] + (["--tsa", TSA] if level != "b-b" else [])
                result = sign(inputs[source], out, slug, *options, *extra)
                assert result.returncode == 0, f"{out.name}: {result.stderr}"
                made[(source, key, level)] = out
    return made


CASES = [(s, k, lv) for s in INPUTS for k in SIGNERS for lv in LEVELS]


def case_id(case):
    return "-".join(case)


def pyhanko_validate(path: Path, *extra: str) -> subprocess.CompletedProcess:
    trust = [arg for root in TRUST for arg in ("--trust", str(root))]
    return subprocess.run(
        [str(ROOT / ".venv" / "bin" / "pyhanko"), "sign", "validate", *trust, "--trust-replace",
         *extra, str(path)],
        capture_output=True, text=True, timeout=120,
    )


def assert_pyhanko_ok(result: subprocess.CompletedProcess, signatures: int = 1):
    assert result.returncode == 0, result.stdout + result.stderr
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert len(lines) == signatures, result.stdout
    for line in lines:
        status = line.split(":", 2)[2]
        assert status.startswith("INTACT:TRUSTED"), line


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_original_is_an_exact_prefix(signed, inputs, case):
    original = inputs[case[0]].read_bytes()
    assert signed[case].read_bytes().startswith(original)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_pyhanko_intact_valid_trusted(signed, case):
    assert_pyhanko_ok(pyhanko_validate(signed[case]))


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_pdfsig_signature_is_valid(signed, case):
    result = subprocess.run(["pdfsig", str(signed[case])], capture_output=True, text=True)
    assert "Signature is Valid" in result.stdout, result.stdout + result.stderr
    assert "Signature is Invalid" not in result.stdout


def byte_range_and_contents(path: Path):
    with pikepdf.open(path) as pdf:
        field = next(f for f in pdf.Root.AcroForm.Fields if f.get("/FT") == "/Sig")
        value = field.V
        ranges = [int(x) for x in value.ByteRange]
        contents = bytes(value.Contents)
    return ranges, contents


def der_element(data: bytes) -> bytes:
    """The first DER element of `data`: the CMS without the placeholder's zero padding
    (stripping zeros would also cut a CMS that happens to end in a zero byte)."""
    first = data[1]
    if first < 0x80:
        return data[:2 + first]
    count = first & 0x7F
    return data[:2 + count + int.from_bytes(data[2:2 + count], "big")]


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_openssl_cms_verifies_over_the_byte_range(signed, case, tmp_path):
    path = signed[case]
    ranges, contents = byte_range_and_contents(path)
    data = path.read_bytes()
    assert ranges[0] == 0
    covered = data[ranges[0]:ranges[0] + ranges[1]] + data[ranges[2]:ranges[2] + ranges[3]]
    # The hole is exactly the /Contents hex string with its brackets.
    assert data[ranges[1]:ranges[1] + 1] == b"<" and data[ranges[2] - 1:ranges[2]] == b">"
    (tmp_path / "data.bin").write_bytes(covered)
    (tmp_path / "sig.der").write_bytes(der_element(contents))
    roots = tmp_path / "roots.pem"
    roots.write_bytes(b"".join(r.read_bytes() for r in TRUST))
    result = subprocess.run(
        ["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", str(tmp_path / "sig.der"),
         "-content", str(tmp_path / "data.bin"), "-CAfile", str(roots), "-purpose", "any",
         "-out", os.devnull],
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "Verification successful" in result.stderr


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_qpdf_check_is_clean(signed, case):
    result = subprocess.run(["qpdf", "--check", str(signed[case])], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNING" not in result.stdout + result.stderr


# pikepdf 10.17's PDF/A validator does not walk /AcroForm (every signed PDF has one), /Perms
# (a certification) or /DSS (B-LT and above): it reports them as "unsupported", not as
# violations. Everything else, the widget annotations on the page included, is checked.
SIGNATURE_KEYS = ("/AcroForm", "/Perms", "/DSS")


def assert_pdfa_2b_apart_from_signature_keys(path: Path):
    report = pikepdf.pdfa.validate_written(path, "2b")
    violations = [f for f in report.findings if f.kind != "unsupported"]
    assert not violations, report.summary()
    for finding in report.findings:
        assert finding.rule == "pikepdf:schema-Catalog", report.summary()
        assert any(key in str(finding) for key in SIGNATURE_KEYS), report.summary()


def test_pdfa_judge_passes_the_unsigned_input(inputs):
    report = pikepdf.pdfa.validate_written(inputs["digitized"], "2b")
    assert report.passed, report.summary()


@pytest.mark.parametrize("level", LEVELS)
def test_signed_pdfa_stays_pdfa_2b(signed, level):
    for key in SIGNERS:
        assert_pdfa_2b_apart_from_signature_keys(signed[("digitized", key, level)])


def test_three_signatures_in_a_row_all_stay_valid(server, inputs, tmp_path):
    current = inputs["digitized"]
    for n, (key, level) in enumerate([("rsa-pss", "b-t"), ("ecdsa", "b-b"), ("rsa-v15", "b-t")]):
        slug, extra = SIGNERS[key]
        out = tmp_path / f"signed-{n}.pdf"
        options = ["--level", level] + (["--tsa", TSA] if level != "b-b" else [])
        result = sign(current, out, slug, *options, *extra)
        assert result.returncode == 0, result.stderr
        assert out.read_bytes().startswith(current.read_bytes())
        current = out
    assert_pyhanko_ok(pyhanko_validate(current), signatures=3)
    pdfsig = subprocess.run(["pdfsig", str(current)], capture_output=True, text=True).stdout
    assert pdfsig.count("Signature is Valid") == 3, pdfsig


def test_certified_with_stamp(server, inputs, tmp_path):
    out = tmp_path / "certified.pdf"
    result = sign(inputs["digitized"], out, "agency-ubnd-lao-cai", "--certify", "form-fill",
                  "--stamp", "--level", "b-t", "--tsa", TSA, "--reason", "Kết quả giải quyết")
    assert result.returncode == 0, result.stderr
    assert_pyhanko_ok(pyhanko_validate(out))
    # pyHanko's reader sees a certification signature allowing form filling (DocMDP /P 2).
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.fields import MDPPerm
    with out.open("rb") as f:
        embedded = PdfFileReader(f).embedded_signatures
        assert len(embedded) == 1
        assert embedded[0].docmdp_level == MDPPerm.FILL_FORMS
    fonts = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True).stdout
    stamp_font = [line for line in fonts.splitlines() if "LiberationSerif" in line]
    assert stamp_font and stamp_font[0].split()[-5:-2] == ["yes", "yes", "yes"], fonts
    # The stamp sits over the page's top-right corner: read only the widget's rectangle.
    with pikepdf.open(out) as pdf:
        page = pdf.pages[0]
        widget = next(a for a in page.Annots if a.get("/FT") == "/Sig")
        llx, lly, urx, ury = [float(v) for v in widget.Rect]
        top = float(page.MediaBox[3])
    area = [str(round(v)) for v in (llx, top - ury, urx - llx, ury - lly)]
    text = subprocess.run(["pdftotext", "-r", "72", "-x", area[0], "-y", area[1], "-W", area[2],
                           "-H", area[3], "-l", "1", str(out), "-"],
                          capture_output=True, text=True).stdout
    assert "Ký bởi: Ủy ban nhân dân tỉnh Lào Cai" in text, text
    # The scan's own header ("VIỆT NAM") lies under the stamp, and pdftotext may interleave
    # its words with the stamp's line; the stamp's words are all there, in order.
    assert "Cơ quan: Ủy ban nhân dân tỉnh Lào Cai" in text, text
    assert re.search(r"Thời gian\S*\s+(\S+\s+)?ký: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00", text), text
    assert_pdfa_2b_apart_from_signature_keys(out)


def refused(result: subprocess.CompletedProcess, out: Path, *words: str):
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("kyso: error:"), result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    assert not out.exists()
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".kyso-")]


def test_refuses_expired_signer(server, inputs, tmp_path):
    out = tmp_path / "out.pdf"
    refused(sign(inputs["born-digital"], out, "officer-vu-quoc-khanh"), out, "expired")


def test_refuses_revoked_signer(server, inputs, tmp_path):
    out = tmp_path / "out.pdf"
    refused(sign(inputs["born-digital"], out, "citizen-le-hoang-phuc"), out, "revoked")


def test_refuses_wrong_password(inputs, tmp_path):
    out = tmp_path / "out.pdf"
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("not-the-password\n")
    result = sign(inputs["born-digital"], out, "officer-pham-minh-duc", password=wrong)
    refused(result, out, "password")
    assert "not-the-password" not in result.stderr


def test_refuses_encrypted_pdf(inputs, tmp_path):
    encrypted = tmp_path / "encrypted.pdf"
    subprocess.run(["qpdf", "--encrypt", "user", "owner", "256", "--", str(inputs["born-digital"]),
                    str(encrypted)], check=True)
    out = tmp_path / "out.pdf"
    refused(sign(encrypted, out, "officer-pham-minh-duc"), out, "encrypted.pdf")


def test_refuses_malformed_pdf(inputs, tmp_path):
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(inputs["born-digital"].read_bytes()[:2000])
    out = tmp_path / "out.pdf"
    refused(sign(broken, out, "officer-pham-minh-duc"), out, "broken.pdf")


def test_refuses_b_t_when_the_tsa_is_unreachable(inputs, tmp_path):
    out = tmp_path / "out.pdf"
    result = sign(inputs["born-digital"], out, "officer-pham-minh-duc", "--level", "b-t",
                  "--tsa", "http://127.0.0.1:9/tsa")
    refused(result, out, "time-stamping")


def test_file_with_object_and_xref_streams_signs_at_b_lta(server, inputs, tmp_path):
    """A file rewritten by qpdf into object streams and a cross-reference stream: the update
    must be a cross-reference stream too, and the original must stay a byte-exact prefix."""
    packed = tmp_path / "packed.pdf"
    subprocess.run(["qpdf", "--object-streams=generate", str(inputs["born-digital"]), str(packed)],
                   check=True)
    assert b"/ObjStm" in packed.read_bytes()
    out = tmp_path / "signed.pdf"
    result = sign(packed, out, "officer-do-thi-huong", "--level", "b-lta", "--tsa", TSA)
    assert result.returncode == 0, result.stderr
    signed = out.read_bytes()
    assert signed.startswith(packed.read_bytes())
    assert b"/Type/XRef" in signed[len(packed.read_bytes()):].replace(b" ", b"")
    assert_pyhanko_ok(pyhanko_validate(out))
    check = subprocess.run(["qpdf", "--check", str(out)], capture_output=True, text=True)
    assert check.returncode == 0 and "WARNING" not in check.stdout + check.stderr, check.stdout


# Last: this test stops the server.
def dss_validation_context(reader):
    """pyHanko's validation context from the file's DSS alone: no fetching, hard-fail
    revocation checking, only the test roots trusted."""
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko.sign.validation.dss import DocumentSecurityStore
    dss = DocumentSecurityStore.read_dss(reader)
    return dss.as_validation_context({
        "trust_roots": [load_cert_from_pemder(str(root)) for root in TRUST],
        "allow_fetching": False,
        "revocation_mode": "hard-fail",
    })


@pytest.mark.parametrize("level", ["b-lt", "b-lta"])
def test_long_term_levels_validate_with_the_services_stopped(server, signed, level):
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
    server.stop()
    with pytest.raises(OSError):
        urllib.request.urlopen(BASE + "/healthz", timeout=1)
    for source in INPUTS:
        for key in SIGNERS:
            path = signed[(source, key, level)]
            with path.open("rb") as f:
                reader = PdfFileReader(f)
                status = validate_pdf_signature(
                    reader.embedded_regular_signatures[0],
                    signer_validation_context=dss_validation_context(reader))
                summary = status.summary()
                assert status.bottom_line, f"{path.name}: {summary}"
                assert summary.startswith("INTACT:TRUSTED,TIMESTAMP_TOKEN<INTACT:TRUSTED>"), summary
                # What came after the signature is only the DSS and the document timestamp:
                # the invisible timestamp widget brings no appearance stream that pyHanko's
                # diff analysis would take for form filling.
                assert status.modification_level == ModificationLevel.LTA_UPDATES, summary
                timestamps = reader.embedded_timestamp_signatures
                assert len(timestamps) == (1 if level == "b-lta" else 0)
                for timestamp in timestamps:
                    ts_status = validate_pdf_timestamp(
                        timestamp, validation_context=dss_validation_context(reader))
                    assert ts_status.intact and ts_status.valid and ts_status.trusted, \
                        f"{path.name}: {ts_status.summary()}"
                    assert not ts_status.revoked
