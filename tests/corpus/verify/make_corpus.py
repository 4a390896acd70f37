"""Regenerate the `kyso verify` test corpus: signed PDFs made by pyHanko and by `kyso sign`,
and attacked variants of them, each with the verdict the verifier must give.

Run from the repository root, with the release binary built and port 8080 free:

    cargo build --release --locked
    .venv/bin/python tests/corpus/verify/make_corpus.py
    .venv/bin/python tests/corpus/verify/make_corpus.py --readme-only   # README from expected.json
    .venv/bin/python tests/corpus/verify/make_corpus.py --only crypto   # only build_crypto()'s files

It starts `kyso serve` (TSA, OCSP, CRL of the test PKI in certs/) on 127.0.0.1:8080, writes
every file into tests/corpus/verify/, writes expected.json (our verdicts, plus what pyHanko
said about each file at generation time) and stops the server. Signatures carry the time
they were made, so a rerun gives different bytes: the committed files are the ones whose
expected verdicts were agreed with pyHanko, and tests/py/test_verify_corpus.py judges those.
Rerun only when the test PKI in certs/ is regenerated (its keys sign everything here), then
check the regenerated expected.json with the test before committing.

The hand-written base documents and the attacks are in pdf_attacks.py, written from their
published descriptions (pdf-insecurity.org: USF, ISA, SWA; Mainka et al., "Shadow
Attacks", NDSS 2021; Rohlmann et al., "Breaking the Specification: PDF Certification",
IEEE S&P 2021). Each attack is checked here to change what a viewer shows: poppler renders page 1 of the attacked file and of the revision the victim
signed, and the two images must differ.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from pdf_attacks import (AMOUNT_9, AMOUNT_Y, append_update, base_amount, base_form,
                         base_shadow, byte_range_overlapping, byte_range_shortened, cms_of,
                         evil_annotation, flip_amount, flip_signature_value, isa_new_content,
                         isa_xref_only, next_object_number, object_body, object_replaced,
                         second_contents, shadow_hide, shadow_hide_and_replace,
                         shadow_replace_font, shadow_replace_overlay, signature_wrapping,
                         stream, usf)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
CERTS = ROOT / "certs"
KYSO = Path(os.environ.get("KYSO_BIN", ROOT / "target" / "release" / "kyso"))
BASE_URL = "http://127.0.0.1:8080"
TSA_URL = BASE_URL + "/tsa"
PASSWORD = "kyso-test"
NATIONAL_ROOT = "certs/trust/national-root.pem"
GOVERNMENT_ROOT = "certs/trust/government-root.pem"

# Signers (certs/manifest.json): officers chain to the government root, citizens to the
# national root. le-hoang-phuc was revoked on 2026-11-21T15:23:23Z; vu-quoc-khanh's
# certificate expired on 2025-11-22T14:23:23Z. Both are used after those dates.
OFFICER = "officer-pham-minh-duc"
OFFICER_EC = "officer-do-thi-huong"
AGENCY = "agency-ubnd-lao-cai"
CITIZEN = "citizen-nguyen-van-an"
CITIZEN_EC = "citizen-tran-thi-ngoc-anh"
REVOKED = "citizen-le-hoang-phuc"
EXPIRED = "officer-vu-quoc-khanh"


# --------------------------------------------------------------------------------------
# Trust services and signers
# --------------------------------------------------------------------------------------

class Server:
    """`kyso serve` with the test PKI's TSA, OCSP and CRLs on the certificates' address."""

    def __init__(self, data: Path):
        self.process = subprocess.Popen(
            [str(KYSO), "serve", "--listen", "127.0.0.1:8080", "--data", str(data),
             "--pki", str(CERTS)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(BASE_URL + "/healthz", timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            if self.process.poll() is not None:
                raise RuntimeError("kyso serve exited: " + self.process.stderr.read().decode())
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("kyso serve did not answer /healthz within 30 s")
            time.sleep(0.1)

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=30)


def p12(slug: str) -> Path:
    return CERTS / "signers" / f"{slug}.p12"


def trust_roots(paths):
    from pyhanko.keys import load_cert_from_pemder
    return [load_cert_from_pemder(str(ROOT / p)) for p in paths]


def pyhanko_sign(data: bytes, slug: str, *, field_name: str = "Signature1", level: str = "b-b",
                 certify: str | None = None, appearance=None, tsa: bool | None = None,
                 adobe_revinfo: bool = False, md: str = "sha256",
                 cms_revinfo: dict | None = None) -> bytes:
    """Sign `data` with pyHanko's library (PAdES, SHA-256 unless `md` names another digest).
    `certify` is a DocMDP permission name of pyHanko's MDPPerm; `appearance` = (box, text)
    draws a visible field. `adobe_revinfo` makes an adbe.pkcs7.detached signature that carries
    its OCSP responses in the signed adbe-revocationInfoArchival attribute instead of a DSS.
    `cms_revinfo` ({"ocsps": [...], "crls": [...]}) is put in the SignedData's own `crls`
    field (RFC 5652 §10.2.1; OCSP responses as id-ri-ocsp-response, RFC 5940)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers, timestamps
    from pyhanko.sign.fields import MDPPerm, SigFieldSpec, SigSeedSubFilter
    from pyhanko.stamp import TextStampStyle
    from pyhanko_certvalidator import ValidationContext

    signer = signers.SimpleSigner.load_pkcs12(str(p12(slug)), passphrase=PASSWORD.encode())
    if cms_revinfo is not None:
        signer = CrlsFieldSigner(signer, cms_revinfo)
    long_term = level in ("b-lt", "b-lta") or adobe_revinfo
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        subfilter=SigSeedSubFilter.ADOBE_PKCS7_DETACHED if adobe_revinfo else SigSeedSubFilter.PADES,
        md_algorithm=md,
        certify=certify is not None,
        docmdp_permissions=MDPPerm[certify] if certify else MDPPerm.FILL_FORMS,
        embed_validation_info=long_term,
        use_pades_lta=level == "b-lta",
        validation_context=ValidationContext(
            trust_roots=trust_roots([NATIONAL_ROOT, GOVERNMENT_ROOT]), allow_fetching=True)
        if long_term else None,
    )
    use_tsa = level != "b-b" if tsa is None else tsa
    timestamper = timestamps.HTTPTimeStamper(TSA_URL) if use_tsa else None
    spec = None
    style = None
    if appearance:
        box, text = appearance
        spec = SigFieldSpec(sig_field_name=field_name, on_page=0, box=box)
        # A white box the size of the field, then the text in Helvetica 11 pt, unscaled,
        # left-aligned like the page's own lines: the appearance paints over the page.
        from pyhanko.pdf_utils.content import RawContent
        from pyhanko.pdf_utils.font.basic import SimpleFontEngineFactory
        from pyhanko.pdf_utils.layout import (AxisAlignment, BoxConstraints, InnerScaling,
                                              Margins, SimpleBoxLayoutRule)
        from pyhanko.pdf_utils.text import TextBoxStyle
        width, height = box[2] - box[0], box[3] - box[1]
        style = TextStampStyle(
            stamp_text=text, border_width=0, background_opacity=1.0,
            background=RawContent(b"1 g 0 0 %d %d re f" % (width, height),
                                  box=BoxConstraints(width, height)),
            background_layout=SimpleBoxLayoutRule(
                x_align=AxisAlignment.ALIGN_MIN, y_align=AxisAlignment.ALIGN_MIN,
                inner_content_scaling=InnerScaling.STRETCH_FILL),
            text_box_style=TextBoxStyle(font=SimpleFontEngineFactory("Helvetica", 0.5), font_size=11),
            inner_content_layout=SimpleBoxLayoutRule(
                x_align=AxisAlignment.ALIGN_MIN, y_align=AxisAlignment.ALIGN_MID,
                margins=Margins(left=5), inner_content_scaling=InnerScaling.NO_SCALING))
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    out = io.BytesIO()
    signers.PdfSigner(meta, signer=signer, timestamper=timestamper, new_field_spec=spec,
                      stamp_style=style).sign_pdf(writer, output=out)
    return out.getvalue()


def CrlsFieldSigner(inner, revinfo: dict):
    """pyHanko's signer for `inner`'s key, whose SignedData also carries `revinfo` in its
    unsigned `crls` field (RevocationInfoChoices): CRLs as `crl`, OCSP responses as `other`
    with id-ri-ocsp-response. The signed attributes are untouched."""
    from asn1crypto import cms
    from pyhanko.sign import signers

    class Signer(signers.SimpleSigner):
        async def async_sign(self, *args, **kwargs):
            content_info = await super().async_sign(*args, **kwargs)
            choices = [cms.RevocationInfoChoice(name="crl", value=crl)
                       for crl in revinfo.get("crls", [])]
            choices += [cms.RevocationInfoChoice(name="other", value=cms.OtherRevocationInfoFormat({
                "other_rev_info_format": "ocsp_response", "other_rev_info": response}))
                for response in revinfo.get("ocsps", [])]
            content_info["content"]["crls"] = cms.RevocationInfoChoices(choices)
            return content_info

    return Signer(signing_cert=inner.signing_cert, signing_key=inner.signing_key,
                  cert_registry=inner.cert_registry)


def kyso_sign(data: bytes, slug: str, *options: str) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        src, dst, pw = Path(tmp, "in.pdf"), Path(tmp, "out.pdf"), Path(tmp, "pw")
        src.write_bytes(data)
        pw.write_text(PASSWORD + "\n")
        result = subprocess.run(
            [str(KYSO), "sign", str(src), "-o", str(dst), "--p12", str(p12(slug)),
             "--password-file", str(pw), *options], capture_output=True, text=True, timeout=300)
        if result.returncode != 0:
            raise RuntimeError(f"kyso sign failed: {result.stderr}")
        return dst.read_bytes()



def transplanted_cms(victim: bytes) -> bytes:
    """A CMS with a mismatched messageDigest: the attacker prepares his own document
    (amount 9,000,000) with pyHanko's signature placeholder and pastes into it the
    genuine CMS of the victim's signature on the real document. The CMS's signature
    over its signed attributes is valid; its messageDigest is that of the other
    document."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.fields import SigSeedSubFilter
    from pyhanko.sign.signers.pdf_signer import PdfTBSDocument
    forged_base = flip_amount(base_amount())
    signer = signers.SimpleSigner.load_pkcs12(str(p12(OFFICER)), passphrase=PASSWORD.encode())
    meta = signers.PdfSignatureMetadata(field_name="Signature1", subfilter=SigSeedSubFilter.PADES,
                                        md_algorithm="sha256")
    pdf_signer = signers.PdfSigner(meta, signer=signer)
    writer = IncrementalPdfFileWriter(io.BytesIO(forged_base))
    prepared, _tbs, output = asyncio.run(
        pdf_signer.async_digest_doc_for_signing(writer, output=io.BytesIO()))
    PdfTBSDocument.finish_signing(output, prepared, cms_of(victim))
    return output.getvalue()



# --------------------------------------------------------------------------------------
# Judges: pyHanko's opinion, and what poppler shows
# --------------------------------------------------------------------------------------

MODIFICATION_LEVELS = {"NONE": "none", "LTA_UPDATES": "dss", "FORM_FILLING": "form_filling",
                       "ANNOTATIONS": "annotations", "OTHER": "other"}


def adobe_revinfo(emb) -> dict:
    """The OCSP responses and CRLs a signature carries in its signed
    adbe-revocationInfoArchival attribute (ISO 32000-1 §12.8.3.3.2), or else in the
    SignedData's `crls` field (RFC 5652 §10.2.1, RFC 5940), for a ValidationContext."""
    for attribute in emb.signer_info["signed_attrs"]:
        if attribute["type"].dotted == "1.2.840.113583.1.1.8":
            archival = attribute["values"][0]
            return {"ocsps": list(archival["ocsp"]), "crls": list(archival["crl"])}
    return cms_crls_field(emb.signed_data)


def cms_crls_field(signed_data) -> dict:
    """The CRLs and OCSP responses in a SignedData's `crls` field."""
    choices = signed_data["crls"].native and signed_data["crls"] or []
    crls = [c.chosen for c in choices if c.name == "crl"]
    ocsps = [c.chosen["other_rev_info"] for c in choices
             if c.name == "other" and c.chosen["other_rev_info_format"].native == "ocsp_response"]
    return {"ocsps": ocsps, "crls": crls} if crls or ocsps else {}


def validation_context(reader, trust: list[str], offline: bool, at: str | None = None, emb=None):
    """Online: fetch OCSP/CRLs now. Offline: only the file's DSS, as of `at` (the OCSP
    responses in a DSS are fresh for a day only; the corpus records when it was made)."""
    from datetime import datetime
    from pyhanko.sign.validation.dss import DocumentSecurityStore
    from pyhanko_certvalidator import ValidationContext
    roots = trust_roots(trust)
    if offline:
        settings = {"trust_roots": roots, "allow_fetching": False,
                    "revocation_mode": "hard-fail", "moment": datetime.fromisoformat(at)}
        from pyhanko.sign.validation.errors import NoDSSFoundError
        try:
            return DocumentSecurityStore.read_dss(reader).as_validation_context(settings)
        except NoDSSFoundError:
            # No DSS: only what the signature carries (adbe-revocationInfoArchival).
            return ValidationContext(**settings, **(adobe_revinfo(emb) if emb else {}))
    return ValidationContext(trust_roots=roots, allow_fetching=True, revocation_mode="hard-fail")


def pyhanko_opinion(data: bytes, trust: list[str], offline: bool, at: str | None = None) -> dict:
    """What pyHanko's validate_pdf_signature / validate_pdf_timestamp say about every
    signature of the file (an exception is recorded as pyHanko's answer)."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        embedded = reader.embedded_signatures
    except Exception as error:  # pyHanko could not read the file: that is its answer
        return {"error": f"{type(error).__name__}: {error}"[:300], "signatures": []}
    out = []
    for emb in embedded:
        entry = {"field": emb.field_name}
        try:
            vc = validation_context(reader, trust, offline, at, emb)
            if emb.sig_object_type == "/DocTimeStamp":
                status = validate_pdf_timestamp(emb, validation_context=vc)
            else:
                status = validate_pdf_signature(emb, signer_validation_context=vc)
            level = getattr(status, "modification_level", None)
            entry.update({
                "summary": status.summary(),
                "intact": bool(status.intact),
                "valid": bool(status.valid),
                "trusted": bool(status.trusted),
                "revoked": bool(status.revoked),
                "modification_level": MODIFICATION_LEVELS[level.name] if level is not None else None,
                "docmdp_ok": getattr(status, "docmdp_ok", None),
                # A document timestamp's status has no bottom line: intact, valid, trusted.
                "bottom_line": bool(getattr(status, "bottom_line", status.trusted)),
            })
        except Exception as error:
            entry["error"] = f"{type(error).__name__}: {error}"[:300]
        out.append(entry)
    return {"signatures": out}


def render(data: bytes) -> bytes:
    """Page 1 as poppler draws it (grey, 36 dpi)."""
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp, "in.pdf")
        src.write_bytes(data)
        subprocess.run(["pdftoppm", "-r", "36", "-gray", "-f", "1", "-l", "1", "-singlefile",
                        str(src), str(Path(tmp, "page"))], capture_output=True, timeout=60)
        page = Path(tmp, "page.pgm")
        assert page.exists(), "poppler drew nothing"
        return page.read_bytes()




# --------------------------------------------------------------------------------------
# The corpus
# --------------------------------------------------------------------------------------

def sig(field_name, indication, sub=None, *, intact=True, valid=True, trusted=True,
        mod="none", level="B-B", kind="signature") -> dict:
    return {"field": field_name, "indication": indication, "sub_indication": sub,
            "intact": intact, "valid": valid, "trusted": trusted, "modification_level": mod,
            "pades_level": level, "kind": kind}


def passed(field_name="Signature1", **kw) -> dict:
    return sig(field_name, "TOTAL_PASSED", **kw)


def hash_failed_by_update(field_name="Signature1", mod="other", **kw) -> dict:
    """The signed bytes are intact, but a later revision changes what the page shows."""
    return sig(field_name, "TOTAL_FAILED", "HASH_FAILURE", mod=mod, **kw)


# A malformed /ByteRange or /Contents stops validation before the digest is even computed:
# nothing is established (intact, valid, trusted all false) and no modification level is
# given (null).
FORMAT = dict(intact=False, valid=False, trusted=False, mod=None)


def format_failed(field_name="Signature1", **kw) -> dict:
    return sig(field_name, "TOTAL_FAILED", "FORMAT_FAILURE", **{**FORMAT, **kw})


def digest_failed(field_name="Signature1") -> dict:
    """The signed bytes do not hash to the CMS's messageDigest (intact false); the CMS's
    own signature over its signed attributes still verifies (valid true, as pyHanko
    reports it); nothing is trusted."""
    return sig(field_name, "TOTAL_FAILED", "HASH_FAILURE", intact=False, valid=True, trusted=False)


PYHANKO_ON_BAD_BYTE_RANGE = (
    "pyHanko hashes whatever the malformed /ByteRange names (intact false here) and checks "
    "the CMS signature over its signed attributes on its own (valid true); we stop at the "
    "malformed /ByteRange and establish nothing. Both reject the signature.")
PYHANKO_ON_WRAPPED = (
    "pyHanko hashes what the /ByteRange names, finds the signed bytes unchanged and so "
    "reports intact, valid and trusted, but flags NONSTANDARD_COVERAGE and "
    "ILLEGAL_MODIFICATIONS (bottom line false); we reject the layout itself "
    "(the gap is more than the /Contents string) before hashing.")


PYHANKO_ON_SHA1 = (
    "pyHanko refuses SHA-1 too: its default algorithm policy disallows the sha1_rsa "
    "mechanism (DisallowedAlgorithmError), its AdES indication is "
    "INDETERMINATE/CRYPTO_CONSTRAINTS_FAILURE, and it reports that as not trusted (intact "
    "and valid true, bottom line false). We report the chain itself as trusted (it is) and "
    "the weak hash in the verdict: INDETERMINATE/CRYPTO_CONSTRAINTS_FAILURE_NO_POE. Same "
    "indication, same negative bottom line.")


UNEXPLAINED: list[str] = []   # pyHanko disagreements that no note explains


@dataclass
class Entry:
    file: str
    made_by: str
    description: str
    viewer: str
    signatures: list
    data: bytes
    # Both roots by default: the TSA chains to the national root.
    trust: list = field(default_factory=lambda: [NATIONAL_ROOT, GOVERNMENT_ROOT])
    offline: bool = False
    victim: bytes | None = None   # the signed file the attack starts from
    pyhanko_note: str | None = None
    changes_display: bool = True  # whether a viewer shows other content than was signed

    def expected(self, opinion: dict) -> dict:
        judged = opinion["signatures"]
        for n, mine in enumerate(self.signatures):
            if mine["field"] is None:   # a document timestamp's field name is chosen at signing
                mine["field"] = judged[n]["field"]
        differs = {}
        if len(judged) == len(self.signatures):
            for mine, theirs in zip(self.signatures, judged):
                if "error" in theirs:
                    continue
                keys = [k for k in ("intact", "valid", "trusted", "modification_level")
                        if mine[k] is not None and theirs.get(k) is not None and mine[k] != theirs[k]]
                if (mine["indication"] == "TOTAL_PASSED") != theirs["bottom_line"]:
                    keys.append("bottom_line")
                if keys:
                    differs[mine["field"]] = keys
        if differs and not self.pyhanko_note:
            UNEXPLAINED.append(f"{self.file}: pyHanko differs on {differs}: "
                               + json.dumps(judged))
        exit_code = 0 if all(s["indication"] == "TOTAL_PASSED" for s in self.signatures) else 1
        return {"file": self.file, "made_by": self.made_by, "description": self.description,
                "viewer_shows": self.viewer, "trust": self.trust, "offline": self.offline,
                "exit": exit_code, "signatures": self.signatures, "pyhanko": opinion,
                "pyhanko_differs": differs, "pyhanko_note": self.pyhanko_note,
                "changes_display": self.changes_display if self.victim is not None else None}


def build() -> list[Entry]:
    amount, shadow, form = base_amount(), base_shadow(), base_form()
    entries: list[Entry] = []
    add = entries.append
    both = [NATIONAL_ROOT, GOVERNMENT_ROOT]
    shows = "the decision as signed: 1,000,000 VND"

    # ---- made by pyHanko ---------------------------------------------------------------
    victim = pyhanko_sign(amount, OFFICER)
    add(Entry("pyhanko-b-b.pdf", "pyhanko", "PAdES B-B by an officer (RSA-3072), pyHanko",
              shows, [passed()], victim))
    add(Entry("pyhanko-b-t.pdf", "pyhanko", "PAdES B-T (signature timestamp from the test TSA)",
              shows, [passed(level="B-T")], pyhanko_sign(amount, OFFICER_EC, level="b-t")))
    add(Entry("pyhanko-b-lt.pdf", "pyhanko",
              "PAdES B-LT: timestamp, then a DSS revision with the chain, OCSP and CRLs; "
              "validated offline from the DSS",
              shows, [passed(level="B-LT", mod="dss")], pyhanko_sign(amount, OFFICER, level="b-lt"),
              offline=True))
    lta = pyhanko_sign(amount, OFFICER, level="b-lta")
    add(Entry("pyhanko-b-lta.pdf", "pyhanko",
              "PAdES B-LTA: B-LT plus a document timestamp; validated offline from the DSS",
              shows, [passed(level="B-LTA", mod="dss"),
                      # pyHanko adds the TSA's validation data in a DSS revision after it.
                      passed(None, level=None, kind="document_timestamp", mod="dss")],
              lta, offline=True))
    add(Entry("pyhanko-adbe-revinfo.pdf", "pyhanko",
              "adbe.pkcs7.detached with the OCSP responses inside the signed attributes "
              "(adbe-revocationInfoArchival), no DSS; validated offline from the CMS",
              shows, [passed(level=None)],
              pyhanko_sign(amount, CITIZEN,
                           adobe_revinfo=True),
              offline=True))
    add(Entry("pyhanko-certified.pdf", "pyhanko",
              "certification signature (DocMDP /P 1, no changes allowed), B-T",
              shows, [passed(level="B-T")],
              pyhanko_sign(amount, AGENCY, level="b-t", certify="NO_CHANGES")))
    two = pyhanko_sign(pyhanko_sign(amount, CITIZEN, field_name="Citizen"), OFFICER,
                       field_name="Officer", level="b-t")
    add(Entry("pyhanko-two-signatures.pdf", "pyhanko",
              "two approval signatures: a citizen (B-B), then an officer (B-T)", shows,
              [passed("Citizen", mod="form_filling"), passed("Officer", level="B-T")], two,
              trust=both))
    certified_form = pyhanko_sign(form, AGENCY, certify="FILL_FORMS", level="b-t")
    field_body = object_body(certified_form, 9)
    ap = next_object_number(certified_form)
    filled_body = field_body.replace(b"/V ()", b"/V (Nguyen Van An)").replace(
        b"/AP << /N 10 0 R >>", b"/AP << /N %d 0 R >>" % ap)
    assert filled_body != field_body
    filled = append_update(certified_form, {9: filled_body, ap: stream(
        b"/Tx BMC q BT /Helv 11 Tf 2 5 Td (Nguyen Van An) Tj ET Q EMC",
        b" /Type /XObject /Subtype /Form /BBox [0 0 240 18] /Resources << /Font << /Helv 6 0 R >> >>")})
    add(Entry("pyhanko-certified-form-filled.pdf", "pyhanko",
              "certification with DocMDP /P 2 (form filling), B-T, then an unsigned update "
              "that fills the text field ho_ten: allowed", "the form with the name filled in",
              [passed(mod="form_filling", level="B-T")], filled))
    certified = pyhanko_sign(amount, AGENCY, certify="FILL_FORMS")
    add(Entry("pyhanko-certified-then-signed.pdf", "pyhanko",
              "certification with /P 2, then a citizen's approval signature in a new "
              "invisible field: allowed", shows,
              [passed(mod="form_filling"), passed("Citizen")],
              pyhanko_sign(certified, CITIZEN, field_name="Citizen"), trust=both))
    add(Entry("revoked-b-b.pdf", "pyhanko",
              "signed (B-B) by le-hoang-phuc after his certificate was revoked "
              "(2026-11-21T15:23:23Z, keyCompromise); no proof the signature existed before",
              shows, [sig("Signature1", "INDETERMINATE", "REVOKED_NO_POE", trusted=False)],
              pyhanko_sign(amount, REVOKED), trust=[NATIONAL_ROOT]))
    add(Entry("revoked-b-t.pdf", "pyhanko",
              "signed (B-T) by le-hoang-phuc after revocation; the signature timestamp "
              "proves it was made after the revocation", shows,
              [sig("Signature1", "TOTAL_FAILED", "REVOKED", trusted=False, level="B-T")],
              pyhanko_sign(amount, REVOKED, level="b-t"), trust=[NATIONAL_ROOT]))
    add(Entry("expired-b-b.pdf", "pyhanko",
              "signed (B-B) with vu-quoc-khanh's certificate, expired 2025-11-22; no proof of "
              "existence before expiry", shows,
              [sig("Signature1", "INDETERMINATE", "OUT_OF_BOUNDS_NO_POE", trusted=False)],
              pyhanko_sign(amount, EXPIRED)))
    add(Entry("expired-b-t.pdf", "pyhanko",
              "signed (B-T) with the expired certificate; the timestamp proves the "
              "signature was made after expiry", shows,
              [sig("Signature1", "TOTAL_FAILED", "EXPIRED", trusted=False, level="B-T")],
              pyhanko_sign(amount, EXPIRED, level="b-t")))
    add(Entry("untrusted-root.pdf", "pyhanko",
              "a citizen's B-B signature (national root) checked against the government "
              "root only", shows,
              [sig("Signature1", "INDETERMINATE", "NO_CERTIFICATE_CHAIN_FOUND", trusted=False)],
              pyhanko_sign(amount, CITIZEN), trust=[GOVERNMENT_ROOT]))

    # ---- made by kyso sign -------------------------------------------------------------
    tsa = ["--tsa", TSA_URL]
    add(Entry("kyso-b-b.pdf", "kyso", "kyso sign, B-B, officer ECDSA P-256", shows,
              [passed("Signature1")], kyso_sign(amount, OFFICER_EC, "--field", "Signature1")))
    add(Entry("kyso-b-t.pdf", "kyso", "kyso sign, B-T, citizen RSA-2048 RSASSA-PSS", shows,
              [passed(level="B-T")],
              kyso_sign(amount, CITIZEN, "--field", "Signature1", "--level", "b-t", *tsa),
              trust=[NATIONAL_ROOT]))
    add(Entry("kyso-b-lt.pdf", "kyso", "kyso sign, B-LT (validated offline from the DSS)", shows,
              [passed(level="B-LT", mod="dss")],
              kyso_sign(amount, AGENCY, "--field", "Signature1", "--level", "b-lt", *tsa),
              offline=True))
    add(Entry("kyso-b-lta.pdf", "kyso", "kyso sign, B-LTA on the born-digital sample "
              "samples/ket-qua-quyet-dinh.pdf (validated offline)",
              "the born-digital decision as signed",
              [passed(level="B-LTA", mod="dss"), passed(None, level=None, kind="document_timestamp")],
              kyso_sign((ROOT / "samples" / "ket-qua-quyet-dinh.pdf").read_bytes(), OFFICER,
                        "--field", "Signature1", "--level", "b-lta", *tsa), offline=True,
              pyhanko_note="pyHanko calls the revisions after the signature FORM_FILLING, "
                           "not LTA_UPDATES, though they hold only the DSS and the document "
                           "timestamp. The cause is the (empty) /AP appearance kyso gives the "
                           "timestamp's invisible widget (pyHanko's own has none): with that "
                           "/AP blanked out pyHanko reports LTA_UPDATES. Both accept the file"))
    kyso_certified = kyso_sign(amount, AGENCY, "--field", "Signature1", "--certify", "form-fill",
                               "--stamp", "--level", "b-t", *tsa)
    add(Entry("kyso-certified-stamp.pdf", "kyso",
              "kyso sign --certify form-fill --stamp, B-T: certification (/P 2) with the "
              "visible stamp of Circular 05/2025", shows + ", with the agency's stamp top right",
              [passed(level="B-T")], kyso_certified))
    kyso_two = kyso_sign(kyso_sign(amount, CITIZEN_EC, "--field", "Citizen", "--level", "b-t", *tsa),
                         OFFICER, "--field", "Officer", "--level", "b-t", *tsa)
    add(Entry("kyso-two-signatures.pdf", "kyso",
              "kyso sign twice: a citizen (ECDSA, B-T), then an officer (B-T)", shows,
              [passed("Citizen", level="B-T", mod="form_filling"), passed("Officer", level="B-T")],
              kyso_two, trust=both))

    # ---- attacks ---------------------------------------------------------------------
    nine = "the amount 9,000,000 VND instead of the signed 1,000,000 VND"
    add(Entry("attack-flipped-byte.pdf", "attack",
              "one byte inside the signed range changed: '1' -> '9' in the page content",
              nine, [digest_failed()], flip_amount(victim), victim=victim))
    for name, key, value in [("contents-missing", b"/Contents", None),
                             ("contents-null", b"/Contents", b"null"),
                             ("contents-empty", b"/Contents", b"<>"),
                             ("byterange-missing", b"/ByteRange", None),
                             ("byterange-null", b"/ByteRange", b"null"),
                             ("byterange-empty", b"/ByteRange", b"[]")]:
        what = {None: "removed", b"null": "null", b"<>": "an empty string", b"[]": "an empty array"}[value]
        add(Entry(f"attack-usf-{name}.pdf", "attack",
                  f"USF: the signature dictionary's {key.decode()} is {what}; the amount is "
                  "changed too", nine + " (next to a signature naming the officer)",
                  [format_failed()], usf(victim, key, value), victim=victim,
                  pyhanko_note=PYHANKO_ON_BAD_BYTE_RANGE if value == b"[]" else None))
    add(Entry("attack-byterange-shortened.pdf", "attack",
              "/ByteRange edited in place: its second range stops before the signed "
              "revision's xref and trailer; the amount is changed too", nine,
              [format_failed()], byte_range_shortened(victim), victim=victim,
              pyhanko_note=PYHANKO_ON_BAD_BYTE_RANGE))
    add(Entry("attack-byterange-overlapping.pdf", "attack",
              "/ByteRange edited in place: the second range starts inside the first and "
              "runs over /Contents; the amount is changed too", nine,
              [format_failed()], byte_range_overlapping(victim), victim=victim,
              pyhanko_note=PYHANKO_ON_BAD_BYTE_RANGE))
    add(Entry("attack-second-contents.pdf", "attack",
              "a second /Contents in the /ByteRange gap: the unhashed gap is rewritten to hold "
              "the genuine CMS, then a second /Contents whose literal string hides a new body "
              "of the page content (object 5); an update made of an xref section alone points "
              "object 5 there. No signed byte changes (poppler and qpdf take the last "
              "/Contents, pyHanko the gap)",
              nine, [format_failed()], second_contents(victim), victim=victim,
              pyhanko_note=PYHANKO_ON_WRAPPED))
    add(Entry("attack-swa.pdf", "attack",
              "signature wrapping: the second signed range moved to the end of the file, "
              "the gap widened to hold a new /ByteRange, a new xref and a new page content; "
              "every hashed byte is a signed byte", nine,
              [format_failed()], signature_wrapping(victim), victim=victim,
              pyhanko_note=PYHANKO_ON_WRAPPED))
    add(Entry("attack-isa-new-content.pdf", "attack",
              "ISA: unsigned update adding a content stream (white box + new amount) to the page",
              nine, [hash_failed_by_update()], isa_new_content(victim), victim=victim))
    add(Entry("attack-isa-xref-only.pdf", "attack",
              "ISA: unsigned update whose xref section re-points only the old object number 5 "
              "(page content) at a new body", nine, [hash_failed_by_update()],
              isa_xref_only(victim), victim=victim))
    add(Entry("attack-object-replaced.pdf", "attack",
              "a signed object (the font, 6 0 obj) replaced by a new revision whose encoding "
              "draws '1' as '9'", nine + " (and every other 1 as 9)", [hash_failed_by_update()],
              object_replaced(victim), victim=victim))
    shadow_victim = pyhanko_sign(shadow, OFFICER)
    shadow_shows = "at signing: 1,000,000 VND"
    for name, attack, shown in [
            ("hide", shadow_hide, "9,000,000 VND (the cover is gone)"),
            ("replace-font", shadow_replace_font, "9,000,000 VND and every 1 as 9"),
            ("replace-overlay", shadow_replace_overlay, "50,000,000 VND (the overlay is on)"),
            ("hide-and-replace", shadow_hide_and_replace,
             "another decision: Tran Van Gia, 90,000,000 VND")]:
        add(Entry(f"attack-shadow-{name}.pdf", "attack",
                  "shadow attack, " + name + ": " + " ".join(attack.__doc__.split(": ", 1)[1].split()),
                  f"{shadow_shows}; after the update: {shown}", [hash_failed_by_update()],
                  attack(shadow_victim), victim=shadow_victim))
    for subtype in (b"FreeText", b"Stamp"):
        add(Entry(f"attack-evil-annotation-{subtype.decode().lower()}.pdf", "attack",
                  f"evil annotation: certified /P 2 (B-B), then an unsigned update adding a "
                  f"{subtype.decode()} annotation whose appearance covers the amount",
                  nine + " (drawn by the annotation)",
                  [hash_failed_by_update(mod="annotations")], evil_annotation(certified, subtype),
                  victim=certified,
                  pyhanko_note="pyHanko's default diff policy has no ANNOTATIONS level: it "
                               "calls any annotation change OTHER"))
    sneaky = pyhanko_sign(certified, CITIZEN_EC, field_name="Attacker",
                          appearance=((27, AMOUNT_Y - 12, 365, AMOUNT_Y + 22), AMOUNT_9.decode()))
    add(Entry("attack-sneaky-signature.pdf", "attack",
              "sneaky signature: certified /P 2, then the attacker (a valid citizen "
              "certificate) signs in a new signature field whose visible appearance draws "
              "the new amount over the old one",
              nine + " (drawn by the new signature's appearance)",
              [hash_failed_by_update(mod="form_filling"), passed("Attacker")], sneaky,
              trust=both, victim=certified,
              pyhanko_note="pyHanko rejects it too, but calls the change OTHER (it accepts "
                           "a new invisible signature field after a /P 2 certification, see "
                           "pyhanko-certified-then-signed.pdf, not a visible one); we call "
                           "it form_filling (a signature in a new field), forbidden here "
                           "because the new field's appearance paints over the page"))
    add(Entry("attack-cms-transplanted.pdf", "attack",
              "CMS with a mismatched messageDigest: the genuine CMS of pyhanko-b-b.pdf pasted "
              "into the attacker's own document (amount 9,000,000) prepared with the same layout",
              nine + " (next to the officer's genuine CMS)",
              [digest_failed()], transplanted_cms(victim), victim=victim))
    add(Entry("tamper-signature-value.pdf", "attack",
              "signature value in the CMS damaged (one bit of SignerInfo.signature); the "
              "hashed bytes are unchanged", shows + " (a damaged signature, not a content attack)",
              [sig("Signature1", "TOTAL_FAILED", "SIG_CRYPTO_FAILURE", valid=False, trusted=False)],
              flip_signature_value(victim), victim=victim, changes_display=False))
    return entries + build_crypto()


def build_crypto() -> list[Entry]:
    """Algorithm strength and the CMS `crls` field (made after the rest, regenerated alone
    with --only crypto)."""
    amount = base_amount()
    shows = "the decision as signed: 1,000,000 VND"
    entries: list[Entry] = []
    entries.append(Entry(
        "pyhanko-sha1.pdf", "pyhanko",
        "PAdES B-B by an officer (RSA-3072) with SHA-1 as digest and signature hash "
        "(md_algorithm sha1): weak since 2009-01-01, and no proof of existence before that",
        shows, [sig("Signature1", "INDETERMINATE", "CRYPTO_CONSTRAINTS_FAILURE_NO_POE")],
        pyhanko_sign(amount, OFFICER, md="sha1"),
        pyhanko_note=PYHANKO_ON_SHA1))
    # The OCSP responses pyHanko fetches for an adbe-revocationInfoArchival signature,
    # moved into the SignedData's own `crls` field of a PAdES signature.
    with_archival = pyhanko_sign(amount, CITIZEN, adobe_revinfo=True)
    from pyhanko.pdf_utils.reader import PdfFileReader
    revinfo = adobe_revinfo(PdfFileReader(io.BytesIO(with_archival)).embedded_signatures[0])
    assert revinfo.get("ocsps"), "pyHanko fetched no OCSP response"
    entries.append(Entry(
        "pyhanko-cms-crls.pdf", "pyhanko",
        "PAdES B-B by a citizen carrying its OCSP responses in the CMS SignedData `crls` "
        "field (RevocationInfoChoice other, id-ri-ocsp-response), no DSS; validated offline "
        "from the CMS", shows, [passed()],
        pyhanko_sign(amount, CITIZEN, cms_revinfo=revinfo), offline=True))
    return entries


README_HEAD = """# `kyso verify` test corpus

Signed PDFs and attacks on them, each with the verdict `kyso verify` must give (ETSI EN 319
102-1 indications). Everything here is made by `make_corpus.py`, with the hand-written base
documents and the attacks in `pdf_attacks.py` (see its docstring: run it from the repository
root with port 8080 free; it starts `kyso serve` for the TSA, OCSP and CRLs of the test PKI
in `certs/`). Signatures carry their signing time, so the committed
files are the ones whose verdicts were agreed with pyHanko; `expected.json` holds, per file,
our verdict per signature, the trust roots, whether to validate offline (from the DSS, as of
`validate_at`), what pyHanko 0.38 said, and where and why pyHanko judges otherwise.
`tests/py/test_verify_corpus.py` checks pyHanko's opinion, that every attack changes what
poppler draws, and `kyso verify --json` against it.

Conventions: a malformed /ByteRange or /Contents (USF, SWA, overlap, a second /Contents) is
TOTAL_FAILED/FORMAT_FAILURE with nothing established (intact, valid, trusted false,
modification level null); a digest that does not match is TOTAL_FAILED/HASH_FAILURE (intact
false; valid stays true when the CMS's own signature verifies, as pyHanko reports it); a
later unsigned change that alters what a page shows or that DocMDP forbids is
TOTAL_FAILED/HASH_FAILURE with its modification level, the signed bytes themselves being
intact; a later update affects only the signatures before it. The attacks are written from
pdf-insecurity.org (USF, ISA, SWA), Mainka et al., "Shadow Attacks", NDSS 2021, and Rohlmann
et al., "Breaking the Specification: PDF Certification", IEEE S&P 2021. The base documents
are written by hand (uncompressed, Helvetica, A5) so the attacks are plain byte edits.

Trust: N = certs/trust/national-root.pem, G = certs/trust/government-root.pem.

| file | made by | what it is | what a viewer shows | expected verdict (per signature) | exit | pyHanko says |
|---|---|---|---|---|---|---|
"""


def write_readme(expected: dict) -> None:
    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    rows = []
    for entry in expected["files"]:
        trust = "+".join("N" if "national" in t else "G" for t in entry["trust"])
        verdicts = "<br>".join(
            f"{s['field'] if len(s['field']) < 20 else s['field'][:18] + '…'}: {s['indication']}"
            + (f"/{s['sub_indication']}" if s["sub_indication"] else "")
            + (f" ({s['modification_level']})" if s["modification_level"] not in (None, "none") else "")
            for s in entry["signatures"])
        judged = entry["pyhanko"]
        said = "<br>".join(f"`{cell(text)}`" for text in (
            [judged["error"]] if "error" in judged else
            [s.get("summary") or s.get("error", "?") for s in judged["signatures"]]))
        if entry["pyhanko_differs"]:
            said += "<br>*differs: " + entry["pyhanko_note"] + "*"
        where = f"trust {trust}" + (", offline" if entry["offline"] else "")
        rows.append(f"| `{entry['file']}` | {entry['made_by']} | {cell(entry['description'])} "
                    f"({where}) | {cell(entry['viewer_shows'])} | {verdicts} | {entry['exit']} "
                    f"| {said} |")
    (HERE / "README.md").write_text(README_HEAD + "\n".join(rows) + "\n")


def main() -> int:
    if sys.argv[1:] == ["--readme-only"]:
        write_readme(json.loads((HERE / "expected.json").read_text()))
        return 0
    only_crypto = sys.argv[1:] == ["--only", "crypto"]
    import logging
    logging.getLogger("pyhanko").setLevel(logging.CRITICAL)
    logging.getLogger("pyhanko_certvalidator").setLevel(logging.CRITICAL)
    if subprocess.run(["ss", "-ltn", "sport = :8080"], capture_output=True, text=True).stdout.count("LISTEN"):
        print("port 8080 is in use: stop that server first", file=sys.stderr)
        return 2
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(Path(tmp))
        try:
            entries = build_crypto() if only_crypto else build()
            # Offline files are judged as of now (after the last signature was made), and
            # that time is recorded: kyso verify --at and pyHanko's moment use it later.
            from datetime import datetime, timezone
            validate_at = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
            validate_at = validate_at.replace("+00:00", "Z")
            expected = []
            for entry in entries:
                signed_revision = None
                if entry.victim is not None:
                    changed = render(entry.data) != render(entry.victim)
                    assert changed == entry.changes_display, \
                        f"{entry.file}: what poppler draws changed: {changed}"
                    # Where a test finds what the victim signed: a corpus file, or the
                    # first bytes of the attacked file itself.
                    same = [e.file for e in entries if e.data == entry.victim]
                    if same:
                        signed_revision = {"file": same[0], "length": len(entry.victim)}
                    else:
                        assert entry.data.startswith(entry.victim), entry.file
                        signed_revision = {"file": entry.file, "length": len(entry.victim)}
                (HERE / entry.file).write_bytes(entry.data)
                at = validate_at if entry.offline else None
                opinion = pyhanko_opinion(entry.data, entry.trust, entry.offline,
                                          at.replace("Z", "+00:00") if at else None)
                expected.append({**entry.expected(opinion), "validate_at": at,
                                 "signed_revision": signed_revision})
                print(f"{entry.file:45} {len(entry.data):7d}  "
                      + "; ".join(s.get("summary") or s.get("error", "?") for s in opinion["signatures"])
                      + (opinion.get("error") or ""))
        finally:
            server.stop()
    if only_crypto:
        # The other files stay as they are; these entries replace their namesakes.
        kept = json.loads((HERE / "expected.json").read_text())
        new = {entry["file"] for entry in expected}
        expected = [e for e in kept["files"] if e["file"] not in new] + expected
    document = {"schema": "kyso.verify.corpus/1",
                "note": "Our verdicts for `kyso verify`; 'pyhanko' is what pyHanko 0.38 said at "
                        "generation time (library validate_pdf_signature / "
                        "validate_pdf_timestamp, hard-fail revocation; the DSS only, as of "
                        "validate_at, when offline).",
                "files": expected}
    (HERE / "expected.json").write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n")
    write_readme(document)
    for line in UNEXPLAINED:
        print("UNEXPLAINED", line, file=sys.stderr)
    print(f"{len(expected)} files in {time.monotonic() - started:.1f} s")
    return 1 if UNEXPLAINED else 0


if __name__ == "__main__":
    sys.exit(main())
