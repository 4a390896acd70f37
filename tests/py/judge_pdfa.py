"""Judge a PDF with pikepdf's PDF/A validator and print the verdict as one JSON object.

Usage:  .venv/bin/python tests/py/judge_pdfa.py FILE [FLAVOUR]   (FLAVOUR defaults to 2b)

Prints {"verdict": "pass"|"fail"|"not_checked", "findings": [{rule, where, message, kind}]}
and exits 0 when the verdict is "pass", 1 otherwise. The Rust integration tests
(tests/it/pdf_writer.rs) call it, so that an independent validator, not kyso, decides.
"""
from __future__ import annotations

import json
import sys

import pikepdf.pdfa


def main() -> int:
    path = sys.argv[1]
    flavour = sys.argv[2] if len(sys.argv) > 2 else "2b"
    report = pikepdf.pdfa.validate_written(path, flavour)
    print(
        json.dumps(
            {
                "verdict": report.verdict,
                "output_intent": report.output_intent,
                "findings": [f._asdict() for f in report.findings],
            },
            ensure_ascii=False,
        )
    )
    return 0 if report.verdict == "pass" else 1


if __name__ == "__main__":
    sys.exit(main())
