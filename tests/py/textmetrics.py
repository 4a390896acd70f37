"""Text comparison for OCR results: NFC, whitespace folded, character error rate by
Levenshtein distance (numpy row recurrence, so multi-page texts stay fast)."""

import unicodedata

import numpy as np


def fold(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def levenshtein(a: str, b: str) -> int:
    if not a:
        return len(b)
    if not b:
        return len(a)
    codes_b = np.array([ord(c) for c in b], dtype=np.int64)
    positions = np.arange(len(b) + 1, dtype=np.int64)
    row = positions.copy()
    for i, char in enumerate(a, 1):
        substitution = row[:-1] + (codes_b != ord(char))
        deletion = row[1:] + 1
        best = np.empty_like(row)
        best[0] = i
        best[1:] = np.minimum(substitution, deletion)
        # Insertions chain along the row: new[j] = min(best[j], new[j-1] + 1), which is a
        # running minimum of best[j] - j, shifted back by j.
        row = np.minimum.accumulate(best - positions) + positions
    return int(row[-1])


def cer(reference: str, hypothesis: str) -> float:
    ref, hyp = fold(reference), fold(hypothesis)
    return levenshtein(ref, hyp) / max(1, len(ref))


def test_levenshtein_matches_the_definition():
    assert levenshtein("kitten", "sitting") == 3
    assert levenshtein("", "abc") == 3
    assert levenshtein("Nguyễn", "Nguyen") == 1
    assert cer("ĐƠN  ĐỀ\nNGHỊ", "ĐƠN ĐỀ NGHỊ") == 0.0
    # NFD input folds to NFC before comparing.
    assert cer("Việt", unicodedata.normalize("NFD", "Việt")) == 0.0
