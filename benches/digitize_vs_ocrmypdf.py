"""Side-by-side: `kyso digitize` and OCRmyPDF on the scanned samples, same pages, same machine,
same run. OCRmyPDF gets its best setting here (`-l vie --deskew --output-type pdfa-2 -j N`
with OMP_THREAD_LIMIT=1); kyso gets `--jobs N`. Prints seconds, bytes and CER (pdftotext
against the ground truth) for both, and the ratios.

Run from the repository root after `make test` (which creates .venv):
    cargo build --release && .venv/bin/python benches/digitize_vs_ocrmypdf.py [--repeat 1]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "py"))
from textmetrics import cer  # noqa: E402

SAMPLES = ROOT / "samples"
MANIFEST = json.loads((SAMPLES / "manifest.json").read_text(encoding="utf-8"))["files"]
SCANS = sorted(name for name, e in MANIFEST.items() if e["format"] != "pdf")
KYSO = ROOT / "target" / "release" / "kyso"
OCRMYPDF = ROOT / ".venv" / "bin" / "ocrmypdf"


def timed(command: list[str], env: dict) -> float:
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"{command[0]} failed on {command}: {result.stderr[-2000:]}")
    return elapsed


def text_of(pdf: Path) -> str:
    return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=1, help="runs per tool; best is kept")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    env = {**os.environ, "OMP_THREAD_LIMIT": "1", "SOURCE_DATE_EPOCH": "1767225600"}
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for name in SCANS:
            source = SAMPLES / name
            truth = (SAMPLES / MANIFEST[name]["ground_truth"]).read_text(encoding="utf-8")
            ours, theirs = Path(folder, "kyso.pdf"), Path(folder, "ocrmypdf.pdf")
            kyso_cmd = [str(KYSO), "digitize", str(source), "-o", str(ours),
                        "--jobs", str(args.jobs)]
            peer_cmd = [str(OCRMYPDF), "-l", "vie", "--deskew", "--rotate-pages",
                        "--output-type", "pdfa-2", "-j", str(args.jobs), "--quiet",
                        str(source), str(theirs)]
            t_ours = min(timed(kyso_cmd, env) for _ in range(args.repeat))
            t_theirs = min(timed(peer_cmd, env) for _ in range(args.repeat))
            rows.append((name, MANIFEST[name]["pages"],
                         t_ours, ours.stat().st_size, cer(truth, text_of(ours)),
                         t_theirs, theirs.stat().st_size, cer(truth, text_of(theirs))))

    header = (f"{'sample':40} {'pp':>2} | {'kyso s':>7} {'kyso KB':>8} {'CER':>6} | "
              f"{'ocrmypdf s':>10} {'KB':>8} {'CER':>6} | {'time':>5} {'size':>5}")
    print(header)
    print("-" * len(header))
    for name, pages, t1, b1, c1, t2, b2, c2 in rows:
        print(f"{name:40} {pages:>2} | {t1:7.2f} {b1 / 1024:8.0f} {c1:6.2%} | "
              f"{t2:10.2f} {b2 / 1024:8.0f} {c2:6.2%} | {t1 / t2:5.2f} {b1 / b2:5.2f}")
    total = [sum(r[i] for r in rows) for i in (2, 3, 5, 6)]
    print(f"{'total':43} | {total[0]:7.2f} {total[1] / 1024:8.0f} {'':6} | "
          f"{total[2]:10.2f} {total[3] / 1024:8.0f} {'':6} | "
          f"{total[0] / total[2]:5.2f} {total[1] / total[3]:5.2f}")
    print("ratios are kyso / OCRmyPDF (lower is better)")


if __name__ == "__main__":
    main()
