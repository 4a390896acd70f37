"""`kyso digitize` on every scanned sample, judged by independent tools: pikepdf's PDF/A-2b
validator, `qpdf --check`, `pdffonts`, `pdftotext` (CER against the ground truth) and
`pdfinfo`; the detected rotation and skew against what the sample generator applied."""

import json
import os
import subprocess
from pathlib import Path

import pikepdf
import pytest

from textmetrics import cer

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
MANIFEST = json.loads((SAMPLES / "manifest.json").read_text(encoding="utf-8"))["files"]
SCANS = sorted(name for name, e in MANIFEST.items() if e["format"] != "pdf")
KYSO = Path(os.environ.get("KYSO_BIN", ROOT / "target" / "debug" / "kyso"))
FIXED_CLOCK = "1767225600"  # 2026-01-01T00:00:00Z

# Character error rate of the text layer against the ground truth, per sample: a regression
# guard about half a point above what kyso measured on 2026-11-22 (0.16 %, 0.14 %, 3.05 %,
# 0.45 %, 2.10 %, 0.24 %, in the order below). The target is 1 % on the 300 dpi pages. What
# is left above it on giay-tiep-nhan and giay-uy-quyen is reading order: two signature
# columns side by side (title, "(Ký ...)", name) form a 2×2 grid of centred blocks that
# poppler's TextOutputDev takes for a table and reads row by row, while the ground truth
# reads column by column; a text layer that keeps every word where it is on the image
# cannot change that.
MAX_CER = {
    "dang-ky-ho-kinh-doanh-200dpi.jpg": 0.007,
    "don-de-nghi-300dpi.png": 0.007,
    "giay-tiep-nhan-rot90-300dpi.png": 0.036,
    "quyet-dinh-3-trang-300dpi-g4.tif": 0.010,
    "giay-uy-quyen-rot180-300dpi-color.png": 0.026,
    "xac-nhan-cu-tru-300dpi.jpg": 0.008,
}


def digitize(name: str, out: Path, *extra: str) -> dict:
    result = subprocess.run(
        [str(KYSO), "digitize", str(SAMPLES / name), "-o", str(out), "--json",
         "--dossier", "000.00.00.H00-260101-0001", "--title", MANIFEST[name]["title"], *extra],
        capture_output=True, text=True, env={**os.environ, "SOURCE_DATE_EPOCH": FIXED_CLOCK},
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("digitized")
    made = {}
    for name in SCANS:
        out = folder / (Path(name).stem + ".pdf")
        made[name] = (out, digitize(name, out))
    return made


@pytest.mark.parametrize("name", SCANS)
def test_pdfa_2b_valid_by_pikepdf(outputs, name):
    out, _ = outputs[name]
    report = pikepdf.pdfa.validate_written(out, "2b")
    assert report.passed, report.summary()


@pytest.mark.parametrize("name", SCANS)
def test_qpdf_check_is_clean(outputs, name):
    out, _ = outputs[name]
    result = subprocess.run(["qpdf", "--check", str(out)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No syntax or stream encoding errors" in result.stdout
    assert "WARNING" not in result.stdout + result.stderr


@pytest.mark.parametrize("name", SCANS)
def test_fonts_are_embedded(outputs, name):
    out, _ = outputs[name]
    lines = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True,
                           check=True).stdout.splitlines()[2:]
    assert lines, "no font: the text layer is missing"
    for line in lines:
        columns = line.split()
        # name type [encoding...] emb sub uni object-id generation: emb/sub/uni are the
        # three yes/no columns before the object reference.
        emb, _sub, uni = columns[-5:-2]
        assert (emb, uni) == ("yes", "yes"), line


@pytest.mark.parametrize("name", SCANS)
def test_every_page_is_kept_in_order(outputs, name):
    out, summary = outputs[name]
    info = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True,
                          check=True).stdout
    pages = int(next(l for l in info.splitlines() if l.startswith("Pages:")).split()[1])
    assert pages == MANIFEST[name]["pages"] == len(summary["pages"])
    assert [p["input_page"] for p in summary["pages"]] == list(range(1, pages + 1))


@pytest.mark.parametrize("name", SCANS)
def test_text_layer_matches_ground_truth(outputs, name):
    out, _ = outputs[name]
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True,
                          check=True).stdout
    truth = (SAMPLES / MANIFEST[name]["ground_truth"]).read_text(encoding="utf-8")
    rate = cer(truth, text)
    print(f"{name}: CER {rate:.2%}")
    assert rate <= MAX_CER[name], f"{name}: CER {rate:.2%}"


@pytest.mark.parametrize("name", SCANS)
def test_rotation_and_skew_are_detected(outputs, name):
    _, summary = outputs[name]
    expected = MANIFEST[name]
    for page in summary["pages"]:
        assert page["rotation_degrees"] == expected["rotation"], page
        assert abs(page["skew_degrees"] - expected["skew_degrees"]) <= 0.25, page



@pytest.mark.parametrize("turn", [90, 180, 270])
def test_every_quarter_turn_is_found_from_the_ink(tmp_path, turn):
    """The upright sample turned each way comes back upright, read once: the ink says which
    way is up, so the orientation detector is not asked (its score stays null)."""
    from PIL import Image

    name = "don-de-nghi-300dpi.png"
    turned = tmp_path / f"turned-{turn}.png"
    with Image.open(SAMPLES / name) as image:
        # PIL turns counter-clockwise: the page needs `turn` degrees clockwise to stand up.
        image.rotate(turn, expand=True).save(turned, dpi=(300, 300))
    out = tmp_path / f"turned-{turn}.pdf"
    result = subprocess.run(
        [str(KYSO), "digitize", str(turned), "-o", str(out), "--json"],
        capture_output=True, text=True, env={**os.environ, "SOURCE_DATE_EPOCH": FIXED_CLOCK},
        timeout=600, check=True,
    )
    (page,) = json.loads(result.stdout)["pages"]
    assert page["rotation_degrees"] == turn, page
    assert page["orientation_confidence"] is None, page
    assert abs(page["skew_degrees"] - MANIFEST[name]["skew_degrees"]) <= 0.25, page
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True,
                          check=True).stdout
    truth = (SAMPLES / MANIFEST[name]["ground_truth"]).read_text(encoding="utf-8")
    assert cer(truth, text) <= MAX_CER[name]

def test_low_resolution_page_is_warned(outputs):
    _, summary = outputs["dang-ky-ho-kinh-doanh-200dpi.jpg"]
    assert summary["warnings"] == [], "200 dpi meets the minimum"
    _, summary = outputs["don-de-nghi-300dpi.png"]
    assert summary["pages"][0]["dpi"] == pytest.approx(300, abs=0.5)


def test_jpeg_and_g4_are_placed_without_re_encoding(outputs):
    out, summary = outputs["xac-nhan-cu-tru-300dpi.jpg"]
    assert summary["pages"][0]["image"] == "jpeg"
    original = (SAMPLES / "xac-nhan-cu-tru-300dpi.jpg").read_bytes()
    with pikepdf.open(out) as pdf:
        images = [img for page in pdf.pages for img in page.images.values()]
        assert any(img.read_raw_bytes() == original for img in images)
    _, summary = outputs["quyet-dinh-3-trang-300dpi-g4.tif"]
    assert {p["image"] for p in summary["pages"]} == {"ccitt-g4"}


def test_output_is_deterministic(tmp_path, outputs):
    name = "quyet-dinh-3-trang-300dpi-g4.tif"
    again = tmp_path / "again.pdf"
    digitize(name, again)
    assert again.read_bytes() == outputs[name][0].read_bytes()


def test_pdfa_2u_differs_from_2b_only_in_its_claim(tmp_path):
    # pikepdf validates 1b, 2b and 3b only: a 2u file checked as 2b must fail on exactly one
    # rule, the conformance letter (ISO 19005-2 §6.6.4), and nothing else.
    out = tmp_path / "u.pdf"
    digitize("dang-ky-ho-kinh-doanh-200dpi.jpg", out, "--pdfa", "2u")
    report = pikepdf.pdfa.validate_written(out, "2b")
    rules = {finding.rule for finding in report.violations}
    assert len(rules) == 1 and "6.6.4-3" in next(iter(rules)), report.summary()
    assert not report.unsupported, report.summary()
    with pikepdf.open(out) as pdf:
        meta = pdf.open_metadata()
        assert meta["pdfaid:part"] == "2"
        assert meta["pdfaid:conformance"] == "U"


# Scanned PDFs as input: each page's one image is taken out and kept as it was coded.
IMG2PDF = ROOT / ".venv" / "bin" / "img2pdf"


@pytest.fixture(scope="module")
def scanned_pdfs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("scanned")
    made = {}
    for name in ("xac-nhan-cu-tru-300dpi.jpg", "quyet-dinh-3-trang-300dpi-g4.tif"):
        pdf = folder / (Path(name).stem + ".pdf")
        subprocess.run([str(IMG2PDF), str(SAMPLES / name), "-o", str(pdf)], check=True)
        made[name] = pdf
    return made


@pytest.mark.parametrize("name", ["xac-nhan-cu-tru-300dpi.jpg", "quyet-dinh-3-trang-300dpi-g4.tif"])
def test_scanned_pdf_input_is_digitized_like_its_images(tmp_path, scanned_pdfs, name):
    out = tmp_path / "out.pdf"
    result = subprocess.run(
        [str(KYSO), "digitize", str(scanned_pdfs[name]), "-o", str(out), "--json"],
        capture_output=True, text=True, env={**os.environ, "SOURCE_DATE_EPOCH": FIXED_CLOCK},
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    expected = MANIFEST[name]
    assert len(summary["pages"]) == expected["pages"]
    for page in summary["pages"]:
        assert page["dpi"] == pytest.approx(expected["dpi"], abs=1)
        assert abs(page["skew_degrees"] - expected["skew_degrees"]) <= 0.25
        assert page["image"] == ("jpeg" if expected["format"] == "jpeg" else "ccitt-g4")
    assert pikepdf.pdfa.validate_written(out, "2b").passed
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True,
                          check=True).stdout
    truth = (SAMPLES / expected["ground_truth"]).read_text(encoding="utf-8")
    assert cer(truth, text) <= MAX_CER[name]
    if expected["format"] == "jpeg":
        with pikepdf.open(out) as pdf:
            raw = [img.read_raw_bytes() for p in pdf.pages for img in p.images.values()]
        assert (SAMPLES / name).read_bytes() in raw, "the JPEG was re-encoded"


def test_born_digital_pdf_is_refused(tmp_path):
    out = tmp_path / "out.pdf"
    result = subprocess.run(
        [str(KYSO), "digitize", str(SAMPLES / "ket-qua-quyet-dinh.pdf"), "-o", str(out)],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2
    assert "has real text; it is not a scan" in result.stderr
    assert result.stderr.count("\n") == 1
    assert not out.exists()
