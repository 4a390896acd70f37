"""Checks of the sample inputs in samples/ (made by samples/make_samples.py).

Run from the repository root:  .venv/bin/python -m pytest tests/py/test_samples.py
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from PIL import Image

from textmetrics import cer, fold

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
SCRIPT = SAMPLES / "make_samples.py"
MANIFEST = json.loads((SAMPLES / "manifest.json").read_text(encoding="utf-8"))
FILES = MANIFEST["files"]
IMAGES = sorted(n for n, e in FILES.items() if e["format"] != "pdf")
PDFS = sorted(n for n, e in FILES.items() if e["format"] == "pdf")
MAX_TOTAL = 8 * 1024 * 1024
A4_MM = (210.0, 297.0)
PIL_FORMAT = {"png": "PNG", "jpeg": "JPEG", "tiff": "TIFF"}
# what the determinism test regenerates: one PNG, the G4 TIFF, the born-digital PDF
REGEN_SUBSET = ["don-de-nghi-300dpi.png", "quyet-dinh-3-trang-300dpi-g4.tif", "ket-qua-quyet-dinh.pdf"]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def vietnamese(c: str) -> bool:
    """A letter with a Vietnamese diacritic (tone mark, breve, circumflex, horn) or đ/Đ."""
    return c in "đĐ" or (c.isalpha() and len(unicodedata.normalize("NFD", c)) > 1)


def ground_truth(name: str) -> str:
    return (SAMPLES / FILES[name]["ground_truth"]).read_text(encoding="utf-8")


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} not installed: `make test` installs poppler-utils and qpdf")
    return path


# ---------------------------------------------------------------------------


def test_manifest_conventions_and_coverage():
    assert {"skew_degrees", "rotation", "ground_truth"} <= set(MANIFEST["conventions"])
    assert len(IMAGES) >= 6 and PDFS
    pages = sum(FILES[n]["pages"] for n in IMAGES)
    assert pages >= 6
    formats = {(e["format"], e["mode"]) for e in FILES.values()}
    assert {("png", "L"), ("jpeg", "RGB"), ("tiff", "1"), ("pdf", None)} <= formats
    assert any(e["rotation"] == 90 for e in FILES.values())
    assert any(e["dpi"] == 200 for e in FILES.values())
    # every data file in samples/ is described by the manifest
    described = set(FILES) | {e["ground_truth"] for e in FILES.values()}
    own = {"make_samples.py", "README.md", "manifest.json"}
    extra = {p.name for p in SAMPLES.iterdir() if p.is_file()} - described - own
    assert not extra, f"files in samples/ missing from manifest.json: {sorted(extra)}"


@pytest.mark.parametrize("name", sorted(FILES))
def test_files_match_manifest_sha256(name):
    e = FILES[name]
    assert name.isascii() and name == name.lower()
    assert sha256(SAMPLES / name) == e["sha256"]
    assert sha256(SAMPLES / e["ground_truth"]) == e["ground_truth_sha256"]
    assert e["ground_truth"] == name.rsplit(".", 1)[0] + ".txt"
    assert e["rotation"] in (0, 90, 180, 270)
    assert abs(e["skew_degrees"]) <= 5.0


@pytest.mark.parametrize("name", IMAGES)
def test_image_properties(name):
    e = FILES[name]
    dpi = e["dpi"]
    if e["rotation"] in (90, 270):
        want_w, want_h = A4_MM[1] / 25.4 * dpi, A4_MM[0] / 25.4 * dpi
    else:
        want_w, want_h = A4_MM[0] / 25.4 * dpi, A4_MM[1] / 25.4 * dpi
    with Image.open(SAMPLES / name) as im:
        assert im.format == PIL_FORMAT[e["format"]]
        assert getattr(im, "n_frames", 1) == e["pages"]
        for i in range(e["pages"]):
            im.seek(i)
            assert im.mode == e["mode"], f"page {i + 1}"
            got = im.info.get("dpi")
            assert got is not None, f"page {i + 1}: no resolution in the file"
            assert abs(float(got[0]) - dpi) < 0.5 and abs(float(got[1]) - dpi) < 0.5, got
            w, h = im.size
            assert abs(w - want_w) / want_w <= 0.02 and abs(h - want_h) / want_h <= 0.02, (w, h)
            assert (w, h) == (e["width_px"], e["height_px"])
            if e["format"] == "tiff":
                assert im.info.get("compression") == "group4"
            im.load()
            lo, hi = im.convert("L").getextrema()
            assert lo < 80 and hi > 200, "page should have dark ink on light paper"


@pytest.mark.parametrize("name", sorted(FILES))
def test_ground_truth_text(name):
    raw = (SAMPLES / FILES[name]["ground_truth"]).read_bytes()
    text = raw.decode("utf-8")
    assert text.strip()
    assert unicodedata.normalize("NFC", text) == text, "ground truth must be NFC"
    assert "\r" not in text and text.endswith("\n") and not text.startswith("\ufeff")
    assert text.count("\f") == FILES[name]["pages"] - 1
    for page in text.split("\f"):
        assert page.strip(), "empty page in ground truth"
    viet = [c for c in text if vietnamese(c)]
    assert len(viet) >= 100, "too few Vietnamese diacritics"
    assert sum(c.isupper() for c in viet) >= 10, "too few capital letters with diacritics"
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert "Độc lập - Tự do - Hạnh phúc" in text
    assert sum(c.isdigit() for c in text) >= 10


@pytest.mark.parametrize("name", PDFS)
def test_pdf_text_and_fonts(name):
    path = SAMPLES / name
    gt = ground_truth(name)
    out = subprocess.run([tool("pdftotext"), "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True)
    text = out.stdout.decode("utf-8")
    assert text.count("\f") >= FILES[name]["pages"] - 1
    if fold(text) != fold(gt):
        assert cer(gt, text) < 0.01, "pdftotext output differs from the ground truth"

    info = subprocess.run([tool("pdfinfo"), str(path)], capture_output=True, check=True, text=True).stdout
    assert ["Pages:", str(FILES[name]["pages"])] in [line.split() for line in info.splitlines()]

    fonts = subprocess.run([tool("pdffonts"), str(path)], capture_output=True, check=True, text=True).stdout
    rows = fonts.splitlines()[2:]
    assert rows, "no fonts in the PDF"
    header = fonts.splitlines()[0]
    emb_at = header.index("emb")
    for row in rows:
        assert row[emb_at:emb_at + 3] == "yes", f"font not embedded: {row}"
        assert "LiberationSerif" in row

    if shutil.which("qpdf"):
        check = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr


def test_total_size_under_limit():
    total = sum(p.stat().st_size for p in SAMPLES.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    assert total < MAX_TOTAL, f"samples/ is {total} bytes"


def _generator_info() -> dict:
    spec = importlib.util.spec_from_file_location("make_samples", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["make_samples"] = mod  # dataclasses look their module up here
    dont_write = sys.dont_write_bytecode
    sys.dont_write_bytecode = True  # leave no __pycache__ in samples/
    try:
        spec.loader.exec_module(mod)
        return mod.generator_info()
    finally:
        sys.dont_write_bytecode = dont_write
        sys.modules.pop("make_samples", None)


def test_regeneration_is_byte_identical(tmp_path):
    """Re-running the generator (on a representative subset) reproduces the committed bytes."""
    info = _generator_info()
    if info != MANIFEST["generator"]:
        pytest.fail(f"the pinned generator inputs changed (library versions or font files): "
                    f"{info} != {MANIFEST['generator']}; regenerate samples/ and commit them")
    subprocess.run([sys.executable, str(SCRIPT), "--out", str(tmp_path), "--only", *REGEN_SUBSET],
                   check=True, capture_output=True, cwd=ROOT)
    for name in REGEN_SUBSET:
        e = FILES[name]
        assert sha256(tmp_path / name) == e["sha256"], name
        assert sha256(tmp_path / e["ground_truth"]) == e["ground_truth_sha256"], e["ground_truth"]
    assert not (tmp_path / "manifest.json").exists()  # --only never writes a partial manifest
