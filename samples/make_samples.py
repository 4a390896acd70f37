#!/usr/bin/env python3
"""Generate kyso's sample inputs: scanned-looking Vietnamese administrative pages
(PNG, JPEG, multi-page CCITT G4 TIFF) and one born-digital PDF, each with a
ground-truth .txt, plus manifest.json.

The output is deterministic: every page has its own fixed numpy seed, no file
carries a timestamp, and the PDF has a fixed creation date (its /ID is a hash
of its content).  Same library versions + same font files => same bytes.

All texts below are original sample texts written for kyso; names, numbers and
addresses are fictitious.

Usage (from the repository root):
    .venv/bin/python samples/make_samples.py                 # everything, into samples/
    .venv/bin/python samples/make_samples.py --out DIR       # into DIR
    .venv/bin/python samples/make_samples.py --only NAME ... # only these outputs (no manifest)
    .venv/bin/python samples/make_samples.py --list          # list output names
    .venv/bin/python samples/make_samples.py --ocr-report    # tesseract CER vs ground truth
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from fontTools.ttLib import TTFont
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

HERE = Path(__file__).resolve().parent
FONT_DIR = Path(os.environ.get("KYSO_FONT_DIR", "/usr/share/fonts/truetype/liberation2"))
FONT_FILES = {
    "R": "LiberationSerif-Regular.ttf",
    "B": "LiberationSerif-Bold.ttf",
    "I": "LiberationSerif-Italic.ttf",
    "BI": "LiberationSerif-BoldItalic.ttf",
}
R, B, I, BI = "R", "B", "I", "BI"

# --------------------------------------------------------------------------
# Page geometry (points).  A4; margins as in Nghị định 30/2020 (top/bottom
# 20 mm, left 30 mm, right 15 mm).
# --------------------------------------------------------------------------
MM = 72.0 / 25.4
PAGE_W = 210 * MM
PAGE_H = 297 * MM
M_TOP, M_BOTTOM, M_LEFT, M_RIGHT = 20 * MM, 20 * MM, 30 * MM, 15 * MM
CONTENT_W = PAGE_W - M_LEFT - M_RIGHT
CM = 10 * MM

SKEW_CONVENTION = (
    "skew_degrees is the angle the upright page content was rotated by before saving, "
    "positive = counter-clockwise as the image is displayed (PIL Image.rotate(angle)); "
    "to deskew rotate by -skew_degrees (i.e. clockwise for a positive value). Skew and the "
    "quarter-turn 'rotation' commute, so the stored image shows the same signed skew."
)
ROTATION_CONVENTION = (
    "rotation is the clockwise rotation (0/90/180/270 degrees) that must be applied to the "
    "stored image to make the page upright."
)


def nfc(s: str) -> str:
    return unicodedata.normalize("NFC", s)


# --------------------------------------------------------------------------
# Font metrics (fontTools, unhinted advances: identical for raster and PDF).
# --------------------------------------------------------------------------
class Metrics:
    def __init__(self) -> None:
        self.cmap, self.hmtx, self.upem = {}, {}, {}
        for style, fname in FONT_FILES.items():
            f = TTFont(str(FONT_DIR / fname))
            self.cmap[style] = f.getBestCmap()
            self.hmtx[style] = f["hmtx"]
            self.upem[style] = f["head"].unitsPerEm
        self._cache: dict = {}

    def width(self, text: str, style: str, size: float) -> float:
        key = (text, style)
        w = self._cache.get(key)
        if w is None:
            cmap, hmtx = self.cmap[style], self.hmtx[style]
            units = 0
            for ch in text:
                g = cmap.get(ord(ch))
                if g is None:
                    raise ValueError(f"glyph missing for {ch!r} (U+{ord(ch):04X}) in {style}")
                units += hmtx[g][0]
            w = units / self.upem[style]
            self._cache[key] = w
        return w * size


# --------------------------------------------------------------------------
# Document model
# --------------------------------------------------------------------------
def runs(*items) -> list[tuple[str, str]]:
    """'text' -> regular run; (style, 'text') -> styled run."""
    out = []
    for it in items:
        if isinstance(it, str):
            out.append((R, nfc(it)))
        else:
            out.append((it[0], nfc(it[1])))
    return out


@dataclass
class Para:
    runs: list
    size: float = 14
    align: str = "J"  # J, L, C, R
    indent: float = 1.0 * CM
    left: float = 0.0
    before: float = 0.0
    after: float = 6.0
    leading: float = 1.2


@dataclass
class CL:  # one (wrappable) line of a column block
    text: str
    style: str = R
    size: float = 13


@dataclass
class Rule:  # horizontal rule under the previous column line
    length: float | None = None  # None: as wide as the previous line's text


@dataclass
class Gap:
    h: float
    signature: bool = False  # raster output draws a handwritten-looking scribble here


@dataclass
class Cols:
    left: list
    right: list
    split: float = 0.37  # left column width as a fraction of the content width
    left_align: str = "C"
    right_align: str = "C"
    before: float = 0.0
    after: float = 6.0
    leading: float = 1.15
    x0: float = 0.0  # shift of the block's left edge (negative: into the left margin, as header tables do)


@dataclass
class Tabs:  # one line with tab stops: [(x offset in pt, runs), ...]
    segments: list
    size: float = 13
    after: float = 3.0
    leading: float = 1.2


@dataclass
class Space:
    h: float


@dataclass
class PageBreak:
    pass


@dataclass
class Doc:
    key: str
    title: str
    blocks: list
    page_numbers: bool = True


@dataclass
class Page:
    ops: list = field(default_factory=list)  # ("text", x, baseline, text, style, size) | ("rule", x1, x2, y, w) | ("sig", x, y, w, h)
    lines: list = field(default_factory=list)  # ground truth, reading order


# --------------------------------------------------------------------------
# Layout
# --------------------------------------------------------------------------
def baseline_offset(size: float, leading: float) -> float:
    # centre the em box vertically in the line box; ascent of Liberation is 0.891 em
    return (leading - 1.0) * size / 2 + 0.891 * size


def tokenize(rs: list[tuple[str, str]]) -> list[list[tuple[str, str]]]:
    """Split runs into words; a word is a list of (style, text) pieces."""
    words: list[list[tuple[str, str]]] = []
    cur: list[tuple[str, str]] = []
    for style, text in rs:
        buf = ""
        for ch in text:
            if ch == " ":
                if buf:
                    cur.append((style, buf))
                    buf = ""
                if cur:
                    words.append(cur)
                    cur = []
            else:
                buf += ch
        if buf:
            cur.append((style, buf))
    if cur:
        words.append(cur)
    return words


class Layout:
    def __init__(self, m: Metrics, page_numbers: bool) -> None:
        self.m = m
        self.page_numbers = page_numbers
        self.pages: list[Page] = []
        self.new_page()

    def new_page(self) -> None:
        p = Page()
        self.pages.append(p)
        self.y = M_TOP
        self.at_top = True
        if self.page_numbers and len(self.pages) > 1:
            n = str(len(self.pages))
            x = M_LEFT + (CONTENT_W - self.m.width(n, R, 13)) / 2
            p.ops.append(("text", x, 11 * MM, n, R, 13))
            p.lines.append(n)

    @property
    def page(self) -> Page:
        return self.pages[-1]

    def room(self, h: float) -> bool:
        return self.y + h <= PAGE_H - M_BOTTOM + 0.01

    def vspace(self, h: float) -> None:
        if not self.at_top:
            self.y += h

    # ---- words -----------------------------------------------------------
    def word_w(self, word, size) -> float:
        return sum(self.m.width(t, s, size) for s, t in word)

    def space_w(self, word, size) -> float:
        return self.m.width(" ", word[-1][0], size)

    def break_lines(self, words, size, first_w, other_w):
        lines, cur, cur_w = [], [], 0.0
        for w in words:
            ww = self.word_w(w, size)
            avail = first_w if not lines else other_w
            if cur:
                nw = cur_w + self.space_w(cur[-1], size) + ww
                if nw <= avail:
                    cur.append(w)
                    cur_w = nw
                    continue
                lines.append(cur)
            cur, cur_w = [w], ww
            if ww > (first_w if not lines else other_w):
                raise ValueError(f"word too wide: {w}")
        if cur:
            lines.append(cur)
        return lines

    def emit_words(self, line, x0, baseline, size, extra_gap=0.0) -> str:
        x = x0
        for i, w in enumerate(line):
            if i:
                x += self.space_w(line[i - 1], size) + extra_gap
            for style, text in w:
                self.page.ops.append(("text", x, baseline, text, style, size))
                x += self.m.width(text, style, size)
        return " ".join("".join(t for _, t in w) for w in line)

    def natural_w(self, line, size) -> float:
        return sum(self.word_w(w, size) for w in line) + sum(
            self.space_w(line[i - 1], size) for i in range(1, len(line))
        )

    # ---- blocks ----------------------------------------------------------
    def para(self, p: Para) -> None:
        self.vspace(p.before)
        words = tokenize(p.runs)
        full = CONTENT_W - p.left
        lines = self.break_lines(words, p.size, full - p.indent, full)
        lh = p.leading * p.size
        for i, line in enumerate(lines):
            if not self.room(lh):
                self.new_page()
            x0 = M_LEFT + p.left + (p.indent if i == 0 else 0.0)
            avail = full - (p.indent if i == 0 else 0.0)
            nat = self.natural_w(line, p.size)
            gap = 0.0
            if p.align == "J" and i < len(lines) - 1 and len(line) > 1:
                gap = (avail - nat) / (len(line) - 1)
            elif p.align == "C":
                x0 += (avail - nat) / 2
            elif p.align == "R":
                x0 += avail - nat
            text = self.emit_words(line, x0, self.y + baseline_offset(p.size, p.leading), p.size, gap)
            self.page.lines.append(text)
            self.y += lh
            self.at_top = False
        self.y += p.after

    def column_items(self, items, width, align, leading):
        """Wrap column lines; return [(kind, payload, height)]."""
        out = []
        for it in items:
            if isinstance(it, CL):
                words = tokenize(runs((it.style, it.text)))
                for line in self.break_lines(words, it.size, width, width):
                    out.append(("line", (line, it.size), leading * it.size))
            elif isinstance(it, Rule):
                out.append(("rule", it.length, 5.0))
            elif isinstance(it, Gap):
                out.append(("gap", it.signature, it.h))
            else:
                raise TypeError(it)
        return out

    def cols(self, c: Cols) -> None:
        self.vspace(c.before)
        total = CONTENT_W - c.x0
        lw = total * c.split
        x = M_LEFT + c.x0
        geo = [(x, lw, c.left_align, c.left), (x + lw, total - lw, c.right_align, c.right)]
        laid = [self.column_items(items, w, al, c.leading) for _, w, al, items in geo]
        h = max(sum(i[2] for i in col) for col in laid)
        if not self.room(h):
            self.new_page()
        for (x_col, w_col, align, _), items in zip(geo, laid):
            y = self.y
            last_w = 0.0
            for kind, payload, ih in items:
                if kind == "line":
                    line, size = payload
                    nat = self.natural_w(line, size)
                    x0 = x_col + ((w_col - nat) / 2 if align == "C" else 0.0)
                    text = self.emit_words(line, x0, y + baseline_offset(size, c.leading), size)
                    self.page.lines.append(text)
                    last_w = nat
                elif kind == "rule":
                    length = payload if payload is not None else last_w
                    x0 = x_col + ((w_col - length) / 2 if align == "C" else 0.0)
                    self.page.ops.append(("rule", x0, x0 + length, y + 1.0, 0.6))
                elif kind == "gap" and payload:
                    self.page.ops.append(("sig", x_col + w_col * 0.2, y, w_col * 0.6, ih))
                y += ih
        self.y += h + c.after
        self.at_top = False

    def tabs(self, t: Tabs) -> None:
        lh = t.leading * t.size
        if not self.room(lh):
            self.new_page()
        texts = []
        for off, rs in t.segments:
            line = tokenize(rs)
            texts.append(self.emit_words(line, M_LEFT + off, self.y + baseline_offset(t.size, t.leading), t.size))
        self.page.lines.append(" ".join(texts))
        self.y += lh + t.after
        self.at_top = False

    def run(self, blocks) -> list[Page]:
        for b in blocks:
            if isinstance(b, Para):
                self.para(b)
            elif isinstance(b, Cols):
                self.cols(b)
            elif isinstance(b, Tabs):
                self.tabs(b)
            elif isinstance(b, Space):
                self.vspace(b.h)
            elif isinstance(b, PageBreak):
                self.new_page()
            else:
                raise TypeError(b)
        return self.pages


def ground_truth(pages: list[Page]) -> str:
    """Lines joined by \\n, each page ends with \\n, pages separated by \\f (like pdftotext)."""
    return "\f".join("\n".join(p.lines) + "\n" for p in pages)


# --------------------------------------------------------------------------
# The documents (original sample texts; all persons and numbers fictitious)
# --------------------------------------------------------------------------
MOTTO = [CL("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", B, 13), CL("Độc lập - Tự do - Hạnh phúc", B, 13), Rule()]


def motto_centered() -> Cols:
    # citizen forms: motto centred over the full width, no agency column
    return Cols(left=[], right=MOTTO, split=0.0, after=10)


def fld(label: str, value: str, size: float = 13, after: float = 3) -> Para:
    return Para(runs(label + " ", value), size=size, align="L", indent=0, after=after)


def item(text: str, size: float = 14, after: float = 3, align: str = "J") -> Para:
    return Para(runs(text), size=size, align=align, indent=1.0 * CM, after=after)


def doc_don_de_nghi() -> Doc:
    s = 13
    return Doc("don-de-nghi", "Tờ khai đề nghị cấp bản sao trích lục hộ tịch", [
        motto_centered(),
        Para(runs((B, "TỜ KHAI ĐỀ NGHỊ CẤP BẢN SAO TRÍCH LỤC HỘ TỊCH")), size=14, align="C", indent=0, after=8),
        Para(runs("Kính gửi: Ủy ban nhân dân phường Hòa Bình, tỉnh Phú Thọ"), size=s, align="C", indent=0, after=10),
        fld("Họ, chữ đệm, tên người yêu cầu:", "ĐẶNG THỊ QUỲNH HƯƠNG"),
        Tabs([(0, runs("Ngày, tháng, năm sinh: 14/07/1989")), (245, runs("Giới tính: Nữ")), (355, runs("Dân tộc: Kinh"))], size=s),
        fld("Số định danh cá nhân:", "025189023457"),
        fld("Giấy tờ tùy thân:", "Thẻ căn cước công dân số 025189023457, cấp ngày 22/04/2021, nơi cấp: Cục Cảnh sát quản lý hành chính về trật tự xã hội"),
        fld("Nơi cư trú:", "Số 27, ngõ 112 đường Lê Đại Hành, phường Hòa Bình, tỉnh Phú Thọ"),
        fld("Quan hệ với người được cấp bản sao trích lục hộ tịch:", "Mẹ đẻ"),
        Para(runs((B, "Đề nghị cấp bản sao trích lục hộ tịch về khai sinh cho người có tên dưới đây:")), size=s, align="L", indent=0, before=4, after=3),
        fld("Họ, chữ đệm, tên:", "LÊ ĐỨC MINH"),
        Tabs([(0, runs("Ngày, tháng, năm sinh: 03/11/2018")), (245, runs("Giới tính: Nam")), (355, runs("Quốc tịch: Việt Nam"))], size=s),
        fld("Nơi sinh:", "Bệnh viện Sản Nhi tỉnh Phú Thọ"),
        fld("Số định danh cá nhân:", "025218006734"),
        fld("Đã đăng ký khai sinh tại:", "Ủy ban nhân dân phường Gia Cẩm, thành phố Việt Trì, tỉnh Phú Thọ"),
        fld("Theo Giấy khai sinh số:", "412, quyển số: 02/2018, ngày đăng ký: 15/11/2018"),
        fld("Số lượng bản sao đề nghị cấp:", "02 (hai) bản"),
        fld("Mục đích sử dụng:", "Bổ sung hồ sơ chuyển trường cho con từ tỉnh Phú Thọ về thành phố Đà Nẵng"),
        Para(runs("Tôi cam đoan những nội dung khai trên đây là đúng sự thật, được sự thỏa thuận nhất trí của "
                  "các bên liên quan và chịu trách nhiệm trước pháp luật về cam đoan của mình."),
             size=s, align="J", indent=1.0 * CM, before=6, after=10),
        Cols(left=[], right=[CL("Hòa Bình, ngày 05 tháng 3 năm 2026", I, s),
                             CL("NGƯỜI YÊU CẦU", B, s), CL("(Ký, ghi rõ họ, chữ đệm, tên)", I, s),
                             Gap(62, signature=True), CL("Đặng Thị Quỳnh Hương", B, s)], split=0.40),
    ], page_numbers=False)


HEADER_X0 = -8 * MM


def header(agency: list, number: str, date_line: str, split: float = 0.40) -> list:
    return [
        Cols(left=agency, right=MOTTO, split=split, after=4, x0=HEADER_X0),
        Cols(left=[CL(number, R, 13)], right=[CL(date_line, I, 14)], split=split, after=14, x0=HEADER_X0),
    ]


UBND_DH = [CL("ỦY BAN NHÂN DÂN", B, 13), CL("XÃ ĐỨC HÒA", B, 13), Rule(60)]


def doc_quyet_dinh_quy_che() -> Doc:
    blocks = header(UBND_DH, "Số: 1523/QĐ-UBND", "Đức Hòa, ngày 12 tháng 3 năm 2026")
    blocks += [
        Para(runs((B, "QUYẾT ĐỊNH")), align="C", indent=0, after=0),
        Para(runs((B, "Về việc ban hành Quy chế tiếp nhận, giải quyết thủ tục hành chính theo cơ chế "
                      "một cửa tại Trung tâm Phục vụ hành chính công xã Đức Hòa")),
             align="C", indent=0, after=14),
        Para(runs((B, "CHỦ TỊCH ỦY BAN NHÂN DÂN XÃ ĐỨC HÒA")), align="C", indent=0, after=10),
        Para(runs((I, "Căn cứ Luật Tổ chức chính quyền địa phương ngày 16 tháng 6 năm 2025;"))),
        Para(runs((I, "Căn cứ Nghị định số 118/2025/NĐ-CP ngày 09 tháng 6 năm 2025 của Chính phủ về thực hiện "
                      "thủ tục hành chính theo cơ chế một cửa, một cửa liên thông tại Bộ phận Một cửa và Cổng "
                      "Dịch vụ công quốc gia;"))),
        Para(runs((I, "Theo đề nghị của Chánh Văn phòng Hội đồng nhân dân và Ủy ban nhân dân xã."))),
        Para(runs((B, "QUYẾT ĐỊNH:")), align="C", indent=0, before=4, after=8),
        Para(runs((B, "Điều 1."), " Ban hành kèm theo Quyết định này Quy chế tiếp nhận, giải quyết thủ tục hành "
                  "chính theo cơ chế một cửa tại Trung tâm Phục vụ hành chính công xã Đức Hòa.")),
        Para(runs((B, "Điều 2."), " Quyết định này có hiệu lực kể từ ngày ký và thay thế Quyết định số 87/QĐ-UBND "
                  "ngày 02 tháng 7 năm 2025 của Ủy ban nhân dân xã về việc ban hành quy trình tiếp nhận hồ sơ "
                  "tại Bộ phận Một cửa.")),
        Para(runs((B, "Điều 3."), " Chánh Văn phòng Hội đồng nhân dân và Ủy ban nhân dân xã, Trưởng các phòng "
                  "chuyên môn, Giám đốc Trung tâm Phục vụ hành chính công xã, công chức làm việc tại Bộ phận "
                  "Một cửa và các tổ chức, cá nhân có liên quan chịu trách nhiệm thi hành Quyết định này./."),
             after=14),
        Cols(left=[CL("Nơi nhận:", BI, 12), CL("- Như Điều 3;", R, 11), CL("- Văn phòng UBND tỉnh;", R, 11),
                   CL("- TT Đảng ủy, TT HĐND xã;", R, 11), CL("- Chủ tịch, các PCT UBND xã;", R, 11),
                   CL("- Cổng thông tin điện tử xã;", R, 11), CL("- Lưu: VT, VP.", R, 11)],
             right=[CL("CHỦ TỊCH", B, 14), Gap(70, signature=True), CL("Nguyễn Hữu Phước", B, 14)],
             split=0.5, left_align="L"),
        PageBreak(),
        Cols(left=UBND_DH, right=MOTTO, split=0.40, after=16, x0=HEADER_X0),
        Para(runs((B, "QUY CHẾ")), align="C", indent=0, after=0),
        Para(runs((B, "Tiếp nhận, giải quyết thủ tục hành chính theo cơ chế một cửa tại Trung tâm Phục vụ "
                      "hành chính công xã Đức Hòa")), align="C", indent=0, after=2),
        Para(runs((I, "(Ban hành kèm theo Quyết định số 1523/QĐ-UBND ngày 12 tháng 3 năm 2026 của Chủ tịch "
                      "Ủy ban nhân dân xã Đức Hòa)")), align="C", indent=0, after=12),
        Para(runs((B, "Chương I")), align="C", indent=0, after=0),
        Para(runs((B, "QUY ĐỊNH CHUNG")), align="C", indent=0, after=8),
        Para(runs((B, "Điều 1. Phạm vi điều chỉnh và đối tượng áp dụng"))),
        item("1. Quy chế này quy định về nguyên tắc, trình tự tiếp nhận hồ sơ, chuyển hồ sơ, giải quyết và trả "
             "kết quả giải quyết thủ tục hành chính cho tổ chức, cá nhân tại Trung tâm Phục vụ hành chính công "
             "xã Đức Hòa (sau đây gọi là Trung tâm)."),
        item("2. Quy chế này áp dụng đối với cán bộ, công chức, viên chức được cử đến làm việc tại Trung tâm; "
             "các phòng chuyên môn thuộc Ủy ban nhân dân xã và tổ chức, cá nhân có yêu cầu giải quyết thủ tục "
             "hành chính.", after=6),
        Para(runs((B, "Điều 2. Nguyên tắc thực hiện"))),
        item("1. Lấy sự hài lòng của tổ chức, cá nhân là thước đo chất lượng và hiệu quả phục vụ của cán bộ, "
             "công chức, viên chức."),
        item("2. Việc giải quyết thủ tục hành chính được quản lý tập trung, thống nhất; công khai, minh bạch, "
             "đúng thời hạn; không yêu cầu tổ chức, cá nhân nộp thêm giấy tờ ngoài quy định."),
        item("3. Ưu tiên tiếp nhận và trả kết quả trực tuyến; hồ sơ giấy được số hóa ngay khi tiếp nhận và lưu "
             "trữ điện tử theo quy định.", after=8),
        Para(runs((B, "Chương II")), align="C", indent=0, after=0),
        Para(runs((B, "TRÌNH TỰ TIẾP NHẬN VÀ TRẢ KẾT QUẢ")), align="C", indent=0, after=8),
        Para(runs((B, "Điều 3. Tiếp nhận hồ sơ"))),
        item("1. Công chức tiếp nhận kiểm tra tính đầy đủ, hợp lệ của hồ sơ. Trường hợp hồ sơ chưa đầy đủ, "
             "phải hướng dẫn một lần, đầy đủ bằng Phiếu hướng dẫn hoàn thiện hồ sơ."),
        item("2. Trường hợp hồ sơ đầy đủ, công chức cập nhật vào Hệ thống thông tin giải quyết thủ tục hành "
             "chính, lập Giấy tiếp nhận hồ sơ và hẹn trả kết quả, trao cho người nộp."),
        item("3. Thành phần hồ sơ bản giấy được quét thành tệp PDF có nhận dạng ký tự, được ký số xác thực của "
             "Trung tâm trước khi chuyển cho phòng chuyên môn xử lý.", after=6),
        Para(runs((B, "Điều 4. Giải quyết hồ sơ"))),
        item("1. Phòng chuyên môn thẩm định, trình lãnh đạo Ủy ban nhân dân xã phê duyệt trong thời hạn quy "
             "định; không để hồ sơ quá hạn mà không có lý do."),
        item("2. Trường hợp hồ sơ quá hạn giải quyết, cơ quan có trách nhiệm gửi Phiếu xin lỗi và hẹn lại ngày "
             "trả kết quả, nêu rõ lý do và thời gian trả kết quả mới.", after=6),
        Para(runs((B, "Điều 5. Trả kết quả"))),
        item("1. Kết quả được trả tại Trung tâm, qua dịch vụ bưu chính công ích hoặc trên Cổng Dịch vụ công "
             "quốc gia theo đăng ký của tổ chức, cá nhân."),
        item("2. Kết quả điện tử có giá trị pháp lý như kết quả bản giấy khi được ký số theo quy định.", after=8),
        Para(runs((B, "Chương III")), align="C", indent=0, after=0),
        Para(runs((B, "TỔ CHỨC THỰC HIỆN")), align="C", indent=0, after=8),
        Para(runs((B, "Điều 6. Trách nhiệm thi hành"))),
        item("Giám đốc Trung tâm có trách nhiệm hướng dẫn, kiểm tra việc thực hiện Quy chế này. Trong quá "
             "trình thực hiện, nếu có khó khăn, vướng mắc, các đơn vị phản ánh kịp thời về Văn phòng Hội đồng "
             "nhân dân và Ủy ban nhân dân xã để tổng hợp, báo cáo Chủ tịch Ủy ban nhân dân xã xem xét, sửa "
             "đổi, bổ sung cho phù hợp./.", after=14),
        Cols(left=[], right=[CL("CHỦ TỊCH", B, 14), Gap(70, signature=True), CL("Nguyễn Hữu Phước", B, 14)], split=0.5),
    ]
    return Doc("quyet-dinh", "Quyết định ban hành Quy chế một cửa (kèm Quy chế)", blocks)


def doc_xac_nhan_cu_tru() -> Doc:
    s = 13
    blocks = header([CL("CÔNG AN TỈNH ĐỒNG THÁP", R, 13), CL("CÔNG AN XÃ TÂN PHƯỚC", B, 13), Rule(60)],
                    "Số: 2607/XN-CAX", "Tân Phước, ngày 09 tháng 3 năm 2026")
    blocks += [
        Para(runs((B, "GIẤY XÁC NHẬN THÔNG TIN VỀ CƯ TRÚ")), align="C", indent=0, after=12),
        Para(runs("Công an xã Tân Phước xác nhận thông tin về cư trú của công dân như sau:"), size=14, after=6),
        fld("1. Họ, chữ đệm và tên:", "TRẦN QUỐC ĐẠT", s),
        Tabs([(0, runs("2. Ngày, tháng, năm sinh: 21/09/1994")), (260, runs("3. Giới tính: Nam"))], size=s),
        fld("4. Số định danh cá nhân:", "087094015628", s),
        fld("5. Nơi thường trú:", "Ấp Mỹ Hưng, xã Tân Phước, tỉnh Đồng Tháp", s),
        fld("6. Nơi tạm trú:", "Không", s),
        fld("7. Nơi ở hiện tại:", "Ấp Mỹ Hưng, xã Tân Phước, tỉnh Đồng Tháp", s),
        Tabs([(0, runs("8. Họ, chữ đệm và tên chủ hộ: TRẦN VĂN ỨNG")), (300, runs("9. Quan hệ với chủ hộ: Con"))], size=s),
        fld("10. Thông tin về các thành viên trong hộ gia đình:", "", s),
        Para(runs("- Trần Văn Ứng, sinh năm 1966, số định danh cá nhân 087066004913, quan hệ: Chủ hộ;"), size=s, align="L", indent=0, left=0.5 * CM, after=2),
        Para(runs("- Lê Thị Ơn, sinh năm 1969, số định danh cá nhân 087169002385, quan hệ: Vợ chủ hộ;"), size=s, align="L", indent=0, left=0.5 * CM, after=2),
        Para(runs("- Trần Quốc Đạt, sinh năm 1994, số định danh cá nhân 087094015628, quan hệ: Con;"), size=s, align="L", indent=0, left=0.5 * CM, after=2),
        Para(runs("- Trần Ngọc Ánh, sinh năm 2001, số định danh cá nhân 087301007742, quan hệ: Con."), size=s, align="L", indent=0, left=0.5 * CM, after=6),
        Para(runs("Giấy xác nhận này có giá trị 06 tháng kể từ ngày cấp, được cấp theo đề nghị của công dân để "
                  "bổ sung hồ sơ đăng ký hộ kinh doanh tại Ủy ban nhân dân xã Tân Phước."), size=14, after=14),
        Cols(left=[CL("Nơi nhận:", BI, 12), CL("- Công dân;", R, 11), CL("- Lưu: HS, CAX.", R, 11)],
             right=[CL("TRƯỞNG CÔNG AN XÃ", B, 14), Gap(70, signature=True), CL("Thiếu tá Huỳnh Minh Ấn", B, 14)],
             split=0.5, left_align="L"),
    ]
    return Doc("xac-nhan-cu-tru", "Giấy xác nhận thông tin về cư trú", blocks, page_numbers=False)


def doc_giay_tiep_nhan() -> Doc:
    s = 13
    blocks = header([CL("UBND XÃ ĐỨC HÒA", R, 13), CL("TRUNG TÂM PHỤC VỤ", B, 13), CL("HÀNH CHÍNH CÔNG", B, 13),
                     Rule(60)], "Số: 0347/TNHS", "Đức Hòa, ngày 10 tháng 3 năm 2026")
    blocks += [
        Para(runs((B, "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ")), align="C", indent=0, after=2),
        Para(runs("Mã hồ sơ: 000.31.12.H58-260310-0347"), size=s, align="C", indent=0, after=10),
        Para(runs("Trung tâm Phục vụ hành chính công xã Đức Hòa đã tiếp nhận hồ sơ của:"), size=s, after=4),
        fld("Ông/bà:", "NGÔ THỊ THÚY HẰNG", s),
        Tabs([(0, runs("Số CCCD: 080186009173")), (260, runs("Điện thoại: 0918 452 736"))], size=s),
        fld("Địa chỉ:", "Số 14, tổ 5, ấp Hòa Hiệp, xã Đức Hòa, tỉnh Tây Ninh", s),
        fld("Nội dung yêu cầu giải quyết:", "Đăng ký thành lập hộ kinh doanh", s, after=6),
        fld("1. Thành phần hồ sơ nộp gồm:", "", s),
        Para(runs("- Giấy đề nghị đăng ký hộ kinh doanh: 01 bản chính;"), size=s, align="L", indent=0, left=0.5 * CM, after=2),
        Para(runs("- Bản sao thẻ căn cước công dân của chủ hộ kinh doanh: 01 bản;"), size=s, align="L", indent=0, left=0.5 * CM, after=2),
        Para(runs("- Biên bản họp thành viên hộ gia đình về việc thành lập hộ kinh doanh: 01 bản;"), size=s, align="L", indent=0, left=0.5 * CM, after=2),
        Para(runs("- Bản sao hợp đồng thuê địa điểm kinh doanh: 01 bản."), size=s, align="L", indent=0, left=0.5 * CM, after=3),
        fld("2. Số lượng hồ sơ:", "01 (một) bộ.", s),
        fld("3. Thời gian giải quyết hồ sơ theo quy định:", "03 ngày làm việc.", s),
        fld("4. Thời gian nhận hồ sơ:", "09 giờ 25 phút, ngày 10/3/2026.", s),
        fld("5. Thời gian trả kết quả giải quyết hồ sơ:", "14 giờ 00 phút, ngày 13/3/2026.", s),
        fld("6. Đăng ký nhận kết quả tại:", "Trung tâm Phục vụ hành chính công xã Đức Hòa.", s),
        fld("Vào Sổ theo dõi hồ sơ, Quyển số:", "02, Số thứ tự: 347.", s, after=14),
        Cols(left=[CL("NGƯỜI NỘP HỒ SƠ", B, s), CL("(Ký và ghi rõ họ tên)", I, s), Gap(60, signature=True),
                   CL("Ngô Thị Thúy Hằng", B, s)],
             right=[CL("NGƯỜI TIẾP NHẬN HỒ SƠ", B, s), CL("(Ký và ghi rõ họ tên)", I, s), Gap(60, signature=True),
                    CL("Đoàn Thị Mỹ Lệ", B, s)], split=0.5),
    ]
    return Doc("giay-tiep-nhan", "Giấy tiếp nhận hồ sơ và hẹn trả kết quả", blocks, page_numbers=False)


def doc_dang_ky_hkd() -> Doc:
    s = 13
    return Doc("dang-ky-ho-kinh-doanh", "Giấy đề nghị đăng ký hộ kinh doanh", [
        motto_centered(),
        Cols(left=[], right=[CL("Đức Hòa, ngày 09 tháng 3 năm 2026", I, s)], split=0.40, after=10),
        Para(runs((B, "GIẤY ĐỀ NGHỊ ĐĂNG KÝ HỘ KINH DOANH")), size=14, align="C", indent=0, after=4),
        Para(runs("Kính gửi: Phòng Kinh tế xã Đức Hòa"), size=s, align="C", indent=0, after=10),
        fld("Tôi là (ghi họ tên bằng chữ in hoa):", "NGÔ THỊ THÚY HẰNG", s),
        Tabs([(0, runs("Ngày, tháng, năm sinh: 17/05/1986")), (245, runs("Giới tính: Nữ")), (355, runs("Dân tộc: Kinh"))], size=s),
        fld("Số định danh cá nhân:", "080186009173", s),
        fld("Địa chỉ liên lạc:", "Số 14, tổ 5, ấp Hòa Hiệp, xã Đức Hòa, tỉnh Tây Ninh", s),
        Tabs([(0, runs("Điện thoại: 0918 452 736")), (200, runs("Thư điện tử: thuyhang.anhduong@example.com"))], size=s, after=6),
        Para(runs("Đăng ký hộ kinh doanh do tôi là chủ hộ với các nội dung sau:"), size=s, align="L", after=4),
        fld("1. Tên hộ kinh doanh:", "TIỆM BÁNH ÁNH DƯƠNG", s),
        fld("2. Địa chỉ trụ sở hộ kinh doanh:", "Số 52 đường Hùng Vương, ấp Hòa Hiệp, xã Đức Hòa, tỉnh Tây Ninh", s),
        fld("3. Ngành, nghề kinh doanh:", "Sản xuất, kinh doanh bánh ngọt, bánh mì; bán lẻ đồ uống không cồn tại cửa hàng.", s),
        fld("4. Vốn kinh doanh:", "150.000.000 đồng (Một trăm năm mươi triệu đồng).", s),
        fld("5. Số lượng lao động:", "04 người.", s),
        fld("6. Thành viên hộ gia đình tham gia hộ kinh doanh:", "Không có.", s, after=6),
        Para(runs("Tôi cam kết: bản thân không thuộc diện bị cấm đăng ký hộ kinh doanh; trụ sở hộ kinh doanh "
                  "thuộc quyền sử dụng hợp pháp của tôi; chịu trách nhiệm trước pháp luật về tính hợp pháp, chính "
                  "xác và trung thực của nội dung đề nghị đăng ký nêu trên."), size=s, after=12),
        Cols(left=[], right=[CL("CHỦ HỘ KINH DOANH", B, s), CL("(Ký và ghi họ tên)", I, s), Gap(60, signature=True),
                             CL("Ngô Thị Thúy Hằng", B, s)], split=0.40),
    ], page_numbers=False)


def doc_giay_uy_quyen() -> Doc:
    s = 13
    return Doc("giay-uy-quyen", "Giấy ủy quyền nộp hồ sơ và nhận kết quả", [
        motto_centered(),
        Para(runs((B, "GIẤY ỦY QUYỀN")), size=14, align="C", indent=0, after=0),
        Para(runs((I, "(Về việc nộp hồ sơ và nhận kết quả giải quyết thủ tục hành chính)")), size=s, align="C",
             indent=0, after=10),
        Para(runs("Hôm nay, ngày 06 tháng 3 năm 2026, tại Trung tâm Phục vụ hành chính công xã Đức Hòa, tỉnh "
                  "Tây Ninh, chúng tôi gồm:"), size=s, after=6),
        Para(runs((B, "BÊN ỦY QUYỀN:")), size=s, align="L", indent=0, after=3),
        fld("Họ và tên:", "NGÔ THỊ THÚY HẰNG", s),
        Tabs([(0, runs("Ngày sinh: 17/05/1986")), (200, runs("Số định danh cá nhân: 080186009173"))], size=s),
        fld("Nơi cư trú:", "Số 14, tổ 5, ấp Hòa Hiệp, xã Đức Hòa, tỉnh Tây Ninh", s, after=6),
        Para(runs((B, "BÊN ĐƯỢC ỦY QUYỀN:")), size=s, align="L", indent=0, after=3),
        fld("Họ và tên:", "VÕ THANH TÙNG", s),
        Tabs([(0, runs("Ngày sinh: 02/12/1990")), (200, runs("Số định danh cá nhân: 080090011547"))], size=s),
        fld("Nơi cư trú:", "Số 8, đường Nguyễn Trung Trực, ấp Hòa Hiệp, xã Đức Hòa, tỉnh Tây Ninh", s),
        fld("Quan hệ với bên ủy quyền:", "Em họ", s, after=6),
        Para(runs((B, "NỘI DUNG ỦY QUYỀN:")), size=s, align="L", indent=0, after=3),
        item("1. Bên được ủy quyền thay mặt bên ủy quyền nộp hồ sơ đăng ký thành lập hộ kinh doanh TIỆM BÁNH "
             "ÁNH DƯƠNG, bổ sung giấy tờ khi được yêu cầu và nhận kết quả giải quyết tại Trung tâm Phục vụ "
             "hành chính công xã Đức Hòa.", size=s),
        item("2. Bên được ủy quyền không được ủy quyền lại cho người khác và không được ký thay bên ủy quyền "
             "trên Giấy đề nghị đăng ký hộ kinh doanh.", size=s),
        item("3. Thời hạn ủy quyền: kể từ ngày ký đến hết ngày 31 tháng 3 năm 2026.", size=s, after=6),
        Para(runs("Hai bên cam kết thực hiện đúng nội dung ủy quyền nêu trên và cùng chịu trách nhiệm trước pháp "
                  "luật về việc ủy quyền này. Giấy ủy quyền được lập thành 02 bản, mỗi bên giữ 01 bản có giá trị "
                  "như nhau."), size=s, after=14),
        Cols(left=[CL("BÊN ĐƯỢC ỦY QUYỀN", B, s), CL("(Ký, ghi rõ họ tên)", I, s), Gap(60, signature=True),
                   CL("Võ Thanh Tùng", B, s)],
             right=[CL("BÊN ỦY QUYỀN", B, s), CL("(Ký, ghi rõ họ tên)", I, s), Gap(60, signature=True),
                    CL("Ngô Thị Thúy Hằng", B, s)], split=0.5),
    ], page_numbers=False)


def doc_ket_qua_quyet_dinh() -> Doc:
    blocks = header([CL("ỦY BAN NHÂN DÂN", B, 13), CL("XÃ TÂN PHƯỚC", B, 13), Rule(60)],
                    "Số: 412/QĐ-UBND", "Tân Phước, ngày 16 tháng 3 năm 2026")
    households = [
        ("Hộ ông Trần Văn Ứng, ấp Mỹ Hưng", "50.000.000"),
        ("Hộ bà Lê Thị Ơn Nhi, ấp Mỹ Hưng", "45.000.000"),
        ("Hộ ông Huỳnh Văn Ẩn, ấp Tân Đông", "55.000.000"),
        ("Hộ bà Đỗ Thị Ngọc Ưng, ấp Tân Tây", "50.000.000"),
        ("Hộ ông Phạm Quốc Ơn, ấp Phước Lợi", "50.000.000"),
    ]
    blocks += [
        Para(runs((B, "QUYẾT ĐỊNH")), align="C", indent=0, after=0),
        Para(runs((B, "Về việc hỗ trợ kinh phí sửa chữa nhà ở cho hộ gia đình có hoàn cảnh khó khăn trên địa "
                      "bàn xã Tân Phước năm 2026")), align="C", indent=0, after=14),
        Para(runs((B, "CHỦ TỊCH ỦY BAN NHÂN DÂN XÃ TÂN PHƯỚC")), align="C", indent=0, after=10),
        Para(runs((I, "Căn cứ Luật Tổ chức chính quyền địa phương ngày 16 tháng 6 năm 2025;"))),
        Para(runs((I, "Căn cứ Nghị quyết số 05/NQ-HĐND ngày 20 tháng 01 năm 2026 của Hội đồng nhân dân xã Tân "
                      "Phước về kế hoạch an sinh xã hội năm 2026;"))),
        Para(runs((I, "Xét đề nghị của Trưởng phòng Văn hóa - Xã hội xã tại Tờ trình số 37/TTr-VHXH ngày 11 "
                      "tháng 3 năm 2026."))),
        Para(runs((B, "QUYẾT ĐỊNH:")), align="C", indent=0, before=4, after=8),
        Para(runs((B, "Điều 1."), " Hỗ trợ kinh phí sửa chữa nhà ở cho 05 (năm) hộ gia đình có hoàn cảnh khó "
                  "khăn trên địa bàn xã, tổng số tiền là 250.000.000 đồng (Hai trăm năm mươi triệu đồng), cụ "
                  "thể như sau:"), after=3),
    ]
    for i, (who, amount) in enumerate(households, 1):
        end = "." if i == len(households) else ";"
        blocks.append(item(f"{i}. {who}: {amount} đồng{end}", after=2, align="L"))
    blocks += [
        Para(runs((B, "Điều 2."), " Nguồn kinh phí hỗ trợ được bố trí từ Quỹ Vì người nghèo xã Tân Phước và "
                  "nguồn vận động xã hội hóa năm 2026. Kinh phí được chuyển khoản trực tiếp vào tài khoản của "
                  "chủ hộ sau khi có biên bản nghiệm thu phần việc sửa chữa."), before=4),
        Para(runs((B, "Điều 3."), " Giao Phòng Văn hóa - Xã hội xã chủ trì, phối hợp với Ban Quản lý các ấp "
                  "hướng dẫn các hộ gia đình lập hồ sơ thanh toán, giám sát việc sử dụng kinh phí đúng mục "
                  "đích, báo cáo kết quả thực hiện về Ủy ban nhân dân xã trước ngày 30 tháng 9 năm 2026.")),
        Para(runs((B, "Điều 4."), " Quyết định này có hiệu lực kể từ ngày ký. Chánh Văn phòng Hội đồng nhân dân "
                  "và Ủy ban nhân dân xã, Trưởng phòng Văn hóa - Xã hội, Trưởng các ấp có liên quan và các hộ "
                  "gia đình có tên tại Điều 1 chịu trách nhiệm thi hành Quyết định này./."), after=14),
        Cols(left=[CL("Nơi nhận:", BI, 12), CL("- Như Điều 4;", R, 11), CL("- TT Đảng ủy, TT HĐND xã;", R, 11),
                   CL("- Ủy ban MTTQ Việt Nam xã;", R, 11), CL("- Lưu: VT, VHXH.", R, 11)],
             right=[CL("TM. ỦY BAN NHÂN DÂN", B, 14), CL("KT. CHỦ TỊCH", B, 14), CL("PHÓ CHỦ TỊCH", B, 14),
                    Gap(70), CL("Lâm Thị Kiều Oanh", B, 14)],
             split=0.5, left_align="L"),
    ]
    return Doc("ket-qua-quyet-dinh", "Quyết định hỗ trợ kinh phí sửa chữa nhà ở (born-digital)", blocks)


# --------------------------------------------------------------------------
# Raster backend + scan simulation
# --------------------------------------------------------------------------
def a4_px(dpi: int) -> tuple[int, int]:
    return round(210 / 25.4 * dpi), round(297 / 25.4 * dpi)


_font_cache: dict = {}


def pil_font(style: str, px: float) -> ImageFont.FreeTypeFont:
    key = (style, round(px, 4))
    f = _font_cache.get(key)
    if f is None:
        f = ImageFont.truetype(str(FONT_DIR / FONT_FILES[style]), size=px,
                               layout_engine=ImageFont.Layout.BASIC)
        _font_cache[key] = f
    return f


def scribble(draw: ImageDraw.ImageDraw, box, s: float, rng: np.random.Generator) -> None:
    """A loose handwritten-looking signature (not text) inside box (pt), scale s px/pt."""
    x, y, w, h = box
    t = np.linspace(0.0, 1.0, 500)
    f1, f2 = rng.uniform(3.5, 6.0), rng.uniform(1.0, 2.0)
    p1, p2 = rng.uniform(0, 2 * np.pi, 2)
    env = np.sin(np.pi * t) ** 0.6
    xs = x + w * (0.1 + 0.8 * t) + 0.05 * w * np.sin(2 * np.pi * f1 * t + p1)
    ys = y + h * (0.55 - 0.15 * t) + 0.28 * h * env * np.sin(2 * np.pi * f1 * t * 1.07 + p2) \
        + 0.08 * h * np.sin(2 * np.pi * f2 * t)
    pts = [(float(a * s), float(b * s)) for a, b in zip(xs, ys)]
    draw.line(pts, fill=255, width=max(2, round(0.9 * s)), joint="curve")
    # final flourish under the scribble
    draw.line([(float((x + w * 0.15) * s), float((y + h * 0.78) * s)),
               (float((x + w * 0.85) * s), float((y + h * 0.70) * s))], fill=255, width=max(2, round(0.7 * s)))


def render_masks(page: Page, dpi: int, rng: np.random.Generator, signatures: bool):
    """Ink coverage masks (L, 255 = full ink) for print and for handwriting."""
    W, H = a4_px(dpi)
    s = dpi / 72.0
    text = Image.new("L", (W, H), 0)
    hand = Image.new("L", (W, H), 0)
    dt, dh = ImageDraw.Draw(text), ImageDraw.Draw(hand)
    for op in page.ops:
        if op[0] == "text":
            _, x, base, t, style, size = op
            dt.text((x * s, base * s), t, font=pil_font(style, size * s), fill=255, anchor="ls")
        elif op[0] == "rule":
            _, x1, x2, y, w = op
            dt.rectangle([x1 * s, (y - w / 2) * s, x2 * s, (y + w / 2) * s], fill=255)
        elif op[0] == "sig" and signatures:
            scribble(dh, op[1:], s, rng)
    return text, hand


def add_speckles(mask: Image.Image, n: int, rng: np.random.Generator, max_r: float) -> Image.Image:
    """Sparse dust specks added to an ink-coverage mask."""
    W, H = mask.size
    dust = Image.new("L", (W, H), 0)
    d = ImageDraw.Draw(dust)
    xs = rng.uniform(0, W, n)
    ys = rng.uniform(0, H, n)
    rs = rng.uniform(0.6, max_r, n)
    vs = rng.integers(90, 231, n)
    for x, y, r, v in zip(xs, ys, rs, vs):
        d.ellipse([x - r, y - r, x + r, y + r], fill=int(v))
    return ImageChops.lighter(mask, dust)


def low_freq(shape, rng: np.random.Generator, cells: int = 6) -> np.ndarray:
    """Smooth field in [-1, 1] (uneven illumination / paper)."""
    H, W = shape
    g = rng.uniform(-1, 1, (cells, cells)).astype(np.float32)
    img = Image.fromarray(((g + 1) * 127.5).astype(np.uint8), "L").resize((W, H), Image.Resampling.BICUBIC)
    return np.asarray(img, dtype=np.float32) / 127.5 - 1.0


@dataclass
class Output:
    name: str  # file name
    doc: str  # Doc key
    fmt: str  # png | jpeg | tiff | pdf
    dpi: int | None
    mode: str | None  # L | RGB | 1
    skew: float = 0.0
    rotation: int = 0  # clockwise rotation needed to make it upright
    seed: int = 0
    defects: str = ""
    speckles: int = 0
    noise: float = 0.0  # per-pixel Gaussian sigma (8-bit levels), JPEG only
    paper: tuple = (255, 255, 255)
    ink: tuple = (20, 20, 20)
    hand_ink: tuple = (35, 55, 150)
    blur: float = 0.6  # Gaussian radius in px at 300 dpi (scaled with dpi)
    quality: int = 85


def skew_blur(mask: Image.Image, angle: float, radius: float, crop: bool = False) -> Image.Image:
    """Rotate an ink mask about the page centre (ink-free fill) and blur it.
    crop=True works on the mask's bounding box only (same geometry, much faster
    for sparse masks such as handwriting)."""
    W, H = mask.size
    if crop:
        bbox = mask.getbbox()
        if bbox is None:
            return mask
        pad = int(abs(angle) * np.pi / 180 * max(W, H)) + 16
        x0, y0 = max(0, bbox[0] - pad), max(0, bbox[1] - pad)
        x1, y1 = min(W, bbox[2] + pad), min(H, bbox[3] + pad)
        part = mask.crop((x0, y0, x1, y1))
        if angle:
            part = part.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=0,
                               center=(W / 2 - x0, H / 2 - y0))
        if radius > 0:
            part = part.filter(ImageFilter.GaussianBlur(radius))
        out = Image.new("L", (W, H), 0)
        out.paste(part, (x0, y0))
        return out
    if angle:
        mask = mask.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=0)
    if radius > 0:
        mask = mask.filter(ImageFilter.GaussianBlur(radius))
    return mask


def gray(rgb) -> int:
    r, g, b = rgb
    return round(0.299 * r + 0.587 * g + 0.114 * b)


def simulate_page(page: Page, o: Output, rng: np.random.Generator) -> Image.Image:
    dpi = o.dpi
    text, hand = render_masks(page, dpi, rng, signatures=True)
    radius = o.blur * dpi / 300.0
    text = skew_blur(text, o.skew, radius)
    hand = skew_blur(hand, o.skew, radius, crop=True)
    if o.speckles:
        text = add_speckles(text, o.speckles, rng, 1.4 * dpi / 300.0)
    size = text.size

    if o.mode == "1":
        ink = ImageChops.lighter(text, hand)
        img = ink.point(lambda v: 0 if v >= 115 else 255, mode="1")
    elif o.mode == "L":
        img = Image.new("L", size, gray(o.paper))
        img = Image.composite(Image.new("L", size, gray(o.ink)), img, text)
        img = Image.composite(Image.new("L", size, gray(o.hand_ink)), img, hand)
    else:
        # off-white paper with uneven illumination, then ink, then monochrome sensor noise
        W, H = size
        light = 1.0 + 0.015 * low_freq((H, W), rng)
        paper = np.asarray(o.paper, np.float32)[None, None, :] * light[..., None]
        img = Image.fromarray(np.clip(np.rint(paper), 0, 255).astype(np.uint8), "RGB")
        # toner density varies slightly across the page
        dens = Image.fromarray(np.clip(np.rint(255 * (0.93 + 0.07 * low_freq((H, W), rng, 4))), 0, 255)
                               .astype(np.uint8), "L")
        text = ImageChops.multiply(text, dens)
        img = Image.composite(Image.new("RGB", size, tuple(o.ink)), img, text)
        img = Image.composite(Image.new("RGB", size, tuple(o.hand_ink)), img, hand)
        if o.noise:
            arr = np.asarray(img, dtype=np.int16)
            noise = np.rint(rng.normal(0.0, o.noise, (H, W))).astype(np.int16)
            img = Image.fromarray(np.clip(arr + noise[..., None], 0, 255).astype(np.uint8), "RGB")
    if o.rotation:
        # the stored image must be rotated `rotation` degrees clockwise to be upright,
        # so turn the upright page counter-clockwise by that much (lossless transpose)
        img = img.rotate(o.rotation, expand=True)
    return img


def save_image(pages: list[Image.Image], o: Output, path: Path) -> None:
    dpi = (o.dpi, o.dpi)
    if o.fmt == "png":
        pages[0].save(path, format="PNG", dpi=dpi, optimize=True)
    elif o.fmt == "jpeg":
        pages[0].save(path, format="JPEG", dpi=dpi, quality=o.quality, optimize=True, subsampling="4:2:0")
    elif o.fmt == "tiff":
        pages[0].save(path, format="TIFF", dpi=dpi, compression="group4", save_all=True,
                      append_images=pages[1:])
    else:
        raise ValueError(o.fmt)


# --------------------------------------------------------------------------
# PDF backend (fpdf2, vector text, embedded subset of Liberation Serif)
# --------------------------------------------------------------------------
PDF_DATE = datetime(2026, 3, 16, 8, 30, 0, tzinfo=timezone.utc)


def write_pdf(doc: Doc, pages: list[Page], path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF(unit="pt", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    pdf.set_creation_date(PDF_DATE)
    pdf.set_title(nfc(doc.title))
    pdf.set_author(nfc("Ủy ban nhân dân xã Tân Phước (mẫu thử kyso)"))
    pdf.set_subject(nfc("Tài liệu mẫu, dữ liệu hư cấu"))
    pdf.set_creator("kyso samples/make_samples.py")
    pdf.set_lang("vi-VN")
    styles = {"R": "", "B": "B", "I": "I", "BI": "BI"}
    for st, fname in FONT_FILES.items():
        pdf.add_font("LiberationSerif", styles[st], str(FONT_DIR / fname))
    for page in pages:
        pdf.add_page()
        for op in page.ops:
            if op[0] == "text":
                _, x, base, t, style, size = op
                pdf.set_font("LiberationSerif", styles[style], size)
                pdf.text(x, base, t)
            elif op[0] == "rule":
                _, x1, x2, y, w = op
                pdf.set_line_width(w)
                pdf.line(x1, y, x2, y)
    pdf.output(str(path))


# --------------------------------------------------------------------------
# Outputs
# --------------------------------------------------------------------------
DOCS = {
    "don-de-nghi": doc_don_de_nghi,
    "quyet-dinh": doc_quyet_dinh_quy_che,
    "xac-nhan-cu-tru": doc_xac_nhan_cu_tru,
    "giay-tiep-nhan": doc_giay_tiep_nhan,
    "dang-ky-ho-kinh-doanh": doc_dang_ky_hkd,
    "giay-uy-quyen": doc_giay_uy_quyen,
    "ket-qua-quyet-dinh": doc_ket_qua_quyet_dinh,
}

OUTPUTS = [
    Output("don-de-nghi-300dpi.png", "don-de-nghi", "png", 300, "L", skew=1.5, seed=1101,
           speckles=250, paper=(252, 252, 252),
           defects="skew +1.5° (counter-clockwise), Gaussian blur 0.6 px, sparse dust specks"),
    Output("xac-nhan-cu-tru-300dpi.jpg", "xac-nhan-cu-tru", "jpeg", 300, "RGB", skew=-0.8, seed=1202,
           speckles=120, noise=2.0, paper=(247, 242, 226), ink=(30, 30, 36),
           defects="skew -0.8° (clockwise), yellowish paper, uneven illumination, mild noise, JPEG q85"),
    Output("giay-tiep-nhan-rot90-300dpi.png", "giay-tiep-nhan", "png", 300, "L", rotation=90, seed=1303,
           speckles=200, paper=(250, 250, 250),
           defects="page turned 90° counter-clockwise (rotate 90° clockwise to read), blur 0.6 px, sparse specks"),
    Output("quyet-dinh-3-trang-300dpi-g4.tif", "quyet-dinh", "tiff", 300, "1", skew=0.4, seed=1404,
           speckles=150, defects="3 pages, bilevel CCITT G4, skew +0.4° (counter-clockwise) on every page, "
                                 "sparse specks"),
    Output("dang-ky-ho-kinh-doanh-200dpi.jpg", "dang-ky-ho-kinh-doanh", "jpeg", 200, "RGB", skew=0.6,
           seed=1505, speckles=100, noise=2.0, paper=(246, 243, 232), ink=(28, 28, 34),
           defects="200 dpi, skew +0.6° (counter-clockwise), off-white paper, mild noise, JPEG q85"),
    Output("giay-uy-quyen-rot180-300dpi-color.png", "giay-uy-quyen", "png", 300, "RGB", skew=1.0, rotation=180,
           seed=1606, speckles=150, paper=(250, 248, 238), ink=(26, 26, 32),
           defects="colour PNG, page upside down (rotate 180°), skew +1.0° (counter-clockwise), cream paper, "
                   "uneven illumination, sparse specks"),
    Output("ket-qua-quyet-dinh.pdf", "ket-qua-quyet-dinh", "pdf", None, None, seed=0,
           defects="none (born-digital, vector text, embedded Liberation Serif subset)"),
]


def stem(name: str) -> str:
    return name.rsplit(".", 1)[0]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build(o: Output, out: Path, metrics: Metrics) -> dict:
    doc = DOCS[o.doc]()
    pages = Layout(metrics, doc.page_numbers).run(doc.blocks)
    gt = ground_truth(pages)
    assert gt == nfc(gt)
    path = out / o.name
    if o.fmt == "pdf":
        write_pdf(doc, pages, path)
    else:
        rng = np.random.default_rng(o.seed)
        imgs = [simulate_page(p, o, rng) for p in pages]
        save_image(imgs, o, path)
    gt_path = out / (stem(o.name) + ".txt")
    gt_path.write_bytes(gt.encode("utf-8"))
    W, H = a4_px(o.dpi) if o.dpi else (None, None)
    if o.rotation in (90, 270):
        W, H = H, W
    return {
        "format": o.fmt,
        "dpi": o.dpi,
        "pages": len(pages),
        "mode": o.mode,
        "compression": {"tiff": "group4", "jpeg": "jpeg", "png": "deflate", "pdf": None}[o.fmt],
        "width_px": W,
        "height_px": H,
        "skew_degrees": o.skew,
        "rotation": o.rotation,
        "defects": o.defects,
        "simulation": None if o.fmt == "pdf" else {
            "gaussian_blur_px": round(o.blur * o.dpi / 300.0, 3), "speckles": o.speckles,
            "noise_sigma": o.noise, "jpeg_quality": o.quality if o.fmt == "jpeg" else None,
            "seed": o.seed},
        "title": doc.title,
        "sha256": sha256(path),
        "ground_truth": gt_path.name,
        "ground_truth_sha256": sha256(gt_path),
    }


def generator_info() -> dict:
    import fontTools
    import fpdf
    import PIL

    return {
        "script": "samples/make_samples.py",
        "python_packages": {"pillow": PIL.__version__, "numpy": np.__version__,
                            "fpdf2": fpdf.FPDF_VERSION, "fonttools": fontTools.version},
        "fonts": {f: sha256(FONT_DIR / f) for f in sorted(FONT_FILES.values())},
    }


def generate(out: Path, only: list[str] | None = None) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    metrics = Metrics()
    selected = OUTPUTS
    if only:
        want = set(only)
        selected = [o for o in OUTPUTS if o.name in want or stem(o.name) in want]
        unknown = want - {o.name for o in selected} - {stem(o.name) for o in selected}
        if unknown:
            raise SystemExit(f"unknown output(s): {sorted(unknown)}; see --list")
    files = {o.name: build(o, out, metrics) for o in selected}
    manifest = {
        "conventions": {"skew_degrees": SKEW_CONVENTION, "rotation": ROTATION_CONVENTION,
                        "ground_truth": "UTF-8, NFC, one line per typeset line in reading order (a column "
                                        "block is read before the block to its right); every page ends with "
                                        "\\n and pages are separated by \\f, as pdftotext prints them",
                        "page_size": "A4 (210 x 297 mm) at the stated dpi"},
        "generator": generator_info(),
        "files": files,
    }
    if not only:
        (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n",
                                           encoding="utf-8")
    return manifest


# --------------------------------------------------------------------------
# OCR sanity check (tesseract CER vs ground truth)
# --------------------------------------------------------------------------
def fold(s: str) -> str:
    return " ".join(nfc(s).split())


def levenshtein(a: str, b: str) -> int:
    if len(a) < len(b):
        a, b = b, a
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def cer(ref: str, hyp: str) -> float:
    ref, hyp = fold(ref), fold(hyp)
    return levenshtein(ref, hyp) / max(1, len(ref))


def word_recall(ref: str, hyp: str) -> float:
    """Share of ground-truth words found by OCR, ignoring order (column reading order
    differences do not count here, misread words do)."""
    from collections import Counter

    r, h = Counter(fold(ref).split()), Counter(fold(hyp).split())
    return sum((r & h).values()) / max(1, sum(r.values()))


def order_adjusted_cer(ref: str, hyp: str) -> float:
    """CER after putting the ground-truth lines in the order OCR read them: each line
    is placed where its longest exact match occurs in the OCR text, so reading the
    two columns of a header or signature block row by row is not counted as errors."""
    import difflib

    h = fold(hyp)
    keyed, prev = [], 0.0
    for i, line in enumerate(ln for ln in ref.replace("\f", "\n").split("\n") if ln.strip()):
        line = fold(line)
        sm = difflib.SequenceMatcher(None, h, line, autojunk=False)
        key = prev + 0.5  # not found: keep it where it was
        # look after the previous line first; then a little earlier (two columns read row by row)
        p = int(prev)
        for lo, hi in ((p - 20, p + 600), (p - 300, p + 600), (0, len(h))):
            m = sm.find_longest_match(max(0, lo), min(len(h), hi), 0, len(line))
            if m.size >= max(4, len(line) // 3):
                key = float(m.a - m.b)
                break
        keyed.append((key, i, line))
        prev = max(prev, key)
    return cer(" ".join(line for _, _, line in sorted(keyed)), hyp)


def ocr_report(out: Path) -> None:
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    for name, e in manifest["files"].items():
        if e["format"] == "pdf":
            continue
        gt = (out / e["ground_truth"]).read_text(encoding="utf-8")
        with tempfile.TemporaryDirectory() as td:
            src = out / name
            if e["rotation"]:
                img = Image.open(src)
                src = Path(td) / "upright.png"
                img.rotate(-e["rotation"], expand=True).save(src, dpi=(e["dpi"], e["dpi"]))
            t0 = time.time()
            hyp = subprocess.run(["tesseract", str(src), "-", "-l", "vie"], capture_output=True,
                                 check=True).stdout.decode("utf-8")
            dt = time.time() - t0
        print(f"{name:40s} dpi={e['dpi']} pages={e['pages']} CER={100 * cer(gt, hyp):5.2f}%  "
              f"order-adjusted CER={100 * order_adjusted_cer(gt, hyp):5.2f}%  word recall (order-free)={100 * word_recall(gt, hyp):5.1f}%  ({dt:.1f}s)")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=HERE, help="output directory (default: the script's folder)")
    ap.add_argument("--only", nargs="+", metavar="NAME", help="generate only these outputs (file name or stem); "
                    "manifest.json is not written")
    ap.add_argument("--list", action="store_true", help="list output names and exit")
    ap.add_argument("--ocr-report", action="store_true", help="run tesseract on the files in --out and print CER")
    args = ap.parse_args(argv)
    if args.list:
        for o in OUTPUTS:
            print(o.name)
        return 0
    if args.ocr_report:
        ocr_report(args.out)
        return 0
    t0 = time.time()
    manifest = generate(args.out, args.only)
    for name, e in manifest["files"].items():
        print(f"{name:40s} {(args.out / name).stat().st_size:>9d} bytes  {e['pages']} page(s)")
    print(f"done in {time.time() - t0:.1f}s -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
