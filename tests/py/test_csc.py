"""Remote signing (ký số từ xa) through `kyso serve`'s CSC API, over real HTTP on a free
127.0.0.1 port: pyHanko's `CSCSigner` (CSC API v1) and kyso's own `kyso sign --csc` (v1, v2)
sign through it, and the results are judged by pyHanko and `kyso verify`; then the SCAL2
guarantees: lockout after 5 wrong attempts, OTP checks, SADs bound to one user, one
credential and exactly the authorized hashes, single use and short-lived; users fenced off
from each other's credentials; CSC error JSON, never a 5xx, for bad requests; private keys
that the token will not reveal; and no secret in the server's debug log or the CLI's stderr.

The test PKI's CA certificates name http://127.0.0.1:8080 for their own CRLs, a port these
tests leave alone, so the CA-level CRLs are fetched from this server's /crl/ and handed to the
validators; the signer's revocation comes from this server's /ocsp (the address enrollment
writes into the certificate)."""

import asyncio
import base64
import hashlib
import json
import logging
import re
import sqlite3
import subprocess
import time
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest

from cscfixture import (
    ADMIN_TOKEN, CERTS, ECDSA_WITH_SHA256, KYSO, ROOT, RSA_ENCRYPTION, RSASSA_PSS,
    SHA256_WITH_RSA, CscServer, Totp, enroll_cli, free_port, kyso_env,
)

SOURCE = ROOT / "samples" / "ket-qua-quyet-dinh.pdf"
TRUST_DIR = CERTS / "trust"
SOFTHSM_MODULE = "/usr/lib/softhsm/libsofthsm2.so"

# Citizens. PINs are 10 digits so that they cannot turn up in a log by chance.
A = SimpleNamespace(cccd="012345678901", name="Nguyễn Văn A", password="mat-khau-cua-A-2026",
                    pin_rsa="3141592653", pin_ec="2718281828", pin_del="1618033988")
B = SimpleNamespace(cccd="079123456789", name="Trần Thị Bích", password="mat-khau-cua-B-2026",
                    pin="1414213562")
L = SimpleNamespace(cccd="001099001234", name="Lê Hoàng Long", password="mat-khau-cua-L-2026",
                    pin="1732050807")


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def server_login(csc, user) -> str:
    return csc.server.login(user.cccd, user.password)


def run_kyso(csc, *args: str, timeout: int = 120) -> subprocess.CompletedProcess:
    """Runs the kyso CLI and keeps its stderr for the no-secrets test."""
    result = subprocess.run([str(KYSO), *args], capture_output=True, text=True,
                            timeout=timeout, cwd=ROOT, env=kyso_env())
    csc.cli_stderr.append((" ".join(args[:2]), result.stderr))
    return result


@pytest.fixture(scope="module")
def csc(tmp_path_factory):
    """One server for the module: A enrolled by the CLI before it starts (RSA-2048 with an
    authenticator, then RSA-2048 with SMS codes), the rest through the admin API once it runs."""
    folder = tmp_path_factory.mktemp("csc")
    data = folder / "data"
    port = free_port()
    public_url = f"http://127.0.0.1:{port}"
    files = SimpleNamespace()
    for name, value in [("pin_rsa", A.pin_rsa), ("pin_del", A.pin_del), ("pin_ec", A.pin_ec),
                        ("password", A.password)]:
        path = folder / f"a-{name}.txt"
        path.write_text(value + "\n")
        setattr(files, name, path)
    cli_stderr = []
    enrolled = enroll_cli(data, A.cccd, A.name, files.pin_rsa, files.password, public_url)
    assert enrolled.returncode == 0, enrolled.stderr
    cli_stderr.append(("ca enroll (totp)", enrolled.stderr))
    a_rsa = enrolled.stdout.strip()
    uri = re.search(r"otpauth://\S+", enrolled.stderr).group(0)
    enrolled_del = enroll_cli(data, A.cccd, A.name, files.pin_del, files.password, public_url,
                              "--phone", "0901234567")
    assert enrolled_del.returncode == 0, enrolled_del.stderr
    cli_stderr.append(("ca enroll (sms)", enrolled_del.stderr))
    a_del = enrolled_del.stdout.strip()

    server = CscServer(data, port=port)
    server.secrets.update({A.password, A.pin_rsa, A.pin_del, Totp.from_uri(uri).secret})
    try:
        a_ec = server.enroll(cccd=A.cccd, name=A.name, pin=A.pin_ec, key="ec-p256")
        b_del = server.enroll(cccd=B.cccd, name=B.name, pin=B.pin, password=B.password,
                              email="bich.tran@example.vn")
        l_del = server.enroll(cccd=L.cccd, name=L.name, pin=L.pin, password=L.password,
                              phone="0987654321", key="ec-p256")
        yield SimpleNamespace(
            server=server, data=data, folder=folder, files=files, cli_stderr=cli_stderr,
            cli_enroll=(enrolled, enrolled_del),
            a_rsa=a_rsa, a_rsa_totp=Totp.from_uri(uri), a_del=a_del,
            a_ec=a_ec["credentialID"], a_ec_totp=Totp.from_uri(a_ec["totpUri"]),
            b_del=b_del["credentialID"], l_del=l_del["credentialID"],
            a_token=server.login(A.cccd, A.password), b_token=server.login(B.cccd, B.password),
            extra_logs=[],
        )
    finally:
        server.stop()


# --- validation ----------------------------------------------------------------------------

def ca_crls(server) -> list[bytes]:
    """The CA-level CRLs, from this server (the certificates say :8080)."""
    return [urllib.request.urlopen(f"{server.base}/crl/{ca}.crl", timeout=10).read()
            for ca in ("national-root", "public-ca")]


def validation_context(server, session):
    """Trust in certs/trust only, hard-fail revocation: the CA CRLs handed over, the signer's
    OCSP response fetched from this server through `session`."""
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko_certvalidator import ValidationContext
    from pyhanko_certvalidator.fetchers.aiohttp_fetchers import AIOHttpFetcherBackend
    roots = [load_cert_from_pemder(str(p)) for p in sorted(TRUST_DIR.glob("*.pem"))]
    return ValidationContext(trust_roots=roots, crls=ca_crls(server), allow_fetching=True,
                             revocation_mode="hard-fail",
                             fetcher_backend=AIOHttpFetcherBackend(session))


def with_session(work):
    """Runs `work(session)` in a fresh event loop with an aiohttp session that gets closed."""
    import aiohttp

    async def run():
        async with aiohttp.ClientSession() as session:
            return await work(session)
    return asyncio.run(run())


def assert_pyhanko_valid(server, path: Path, mechanism: str):
    """pyHanko: intact, valid, trusted with hard-fail revocation, timestamped, the signer's
    OCSP response from this server in the DSS, and the expected signature mechanism."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import async_validate_pdf_signature
    from pyhanko.sign.validation.dss import DocumentSecurityStore
    with path.open("rb") as f:
        reader = PdfFileReader(f)
        signatures = reader.embedded_regular_signatures
        assert len(signatures) == 1
        status = with_session(lambda session: async_validate_pdf_signature(
            signatures[0], signer_validation_context=validation_context(server, session)))
        summary = status.summary()
        assert status.intact and status.valid and status.trusted, summary
        assert status.bottom_line, summary
        assert summary.startswith("INTACT:TRUSTED,TIMESTAMP_TOKEN<INTACT:TRUSTED>"), summary
        assert status.md_algorithm == "sha256"
        assert signatures[0].signer_info["signature_algorithm"]["algorithm"].native == mechanism
        assert DocumentSecurityStore.read_dss(reader).ocsps, "no OCSP response in the DSS"


def assert_kyso_verify_passes(csc, path: Path, *extra: str):
    result = run_kyso(csc, "verify", str(path), "--trust", str(TRUST_DIR), "--json", *extra)
    report = json.loads(result.stdout)
    assert result.returncode == 0, json.dumps(report, ensure_ascii=False)[:3000]
    assert report["indication"] == "TOTAL_PASSED"
    [signature] = report["signatures"]
    assert signature["indication"] == "TOTAL_PASSED", signature
    assert signature["intact"] and signature["valid"] and signature["trusted"]
    assert signature["revocation"]["status"] == "good"
    assert {"kind": "CCCD", "value": A.cccd} in signature["signer"]["identities"]
    return signature


def add_dss(server, path: Path, out: Path):
    """pyHanko's LTV fix: the revocation data of the signer (this server's OCSP) and of the
    CAs (this server's CRLs) into a DSS revision, so `kyso verify` can reach a verdict
    without the :8080 addresses of the test PKI."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation.dss import async_add_validation_info
    with path.open("rb") as f, out.open("wb") as o:
        reader = PdfFileReader(f)
        with_session(lambda session: async_add_validation_info(
            reader.embedded_regular_signatures[0], validation_context(server, session),
            output=o))


# --- pyHanko's CSCSigner (CSC API v1) --------------------------------------------------------

def pyhanko_sign(server, token: str, credential: str, pin: str, otp, out: Path, *,
                 prefer_pss: bool = False, pss_salt: int | None = None, capture=None):
    """Signs SOURCE at PAdES B-LT (our /tsa, our revocation data) with pyHanko's CSCSigner
    over /csc/v1. `otp` is called once per authorization. `pss_salt` forces RSASSA-PSS with
    that salt length; `capture` receives the signHash request pyHanko sent."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko.sign.general import SigningError
    from pyhanko.sign.signers.csc_signer import (
        CSCAuthorizationManager, CSCServiceSessionInfo, CSCSigner,
        fetch_certs_in_csc_credential,
    )
    from pyhanko.sign.timestamps import HTTPTimeStamper

    class PinAndOtp(CSCAuthorizationManager):
        """SCAL2: the hashes, the PIN and a one-time code in v1 credentials/authorize."""

        def __init__(self, info, credential_info, session):
            super().__init__(info, credential_info)
            self.session = session

        async def authorize_signature(self, hash_b64s):
            body = self.format_csc_auth_request(pin=pin, otp=otp(), hash_b64s=hash_b64s)
            server.secrets.update((pin, body["OTP"]))
            server.otps.add(body["OTP"])
            url = self.csc_session_info.endpoint_url("credentials/authorize")
            async with self.session.post(url, headers=self.auth_headers, json=body) as reply:
                data = await reply.json()
            if reply.status != 200:
                raise SigningError(f"authorize refused: {reply.status} {data}")
            server.secrets.add(data["SAD"])
            return self.parse_csc_auth_response(data)

    class Signer(CSCSigner):
        def get_signature_mechanism_for_digest(self, digest_algorithm):
            if pss_salt is None:
                return super().get_signature_mechanism_for_digest(digest_algorithm)
            from asn1crypto import algos
            return algos.SignedDigestAlgorithm({
                "algorithm": "rsassa_pss",
                "parameters": algos.RSASSAPSSParams({
                    "hash_algorithm": {"algorithm": digest_algorithm},
                    "mask_gen_algorithm": {"algorithm": "mgf1",
                                           "parameters": {"algorithm": digest_algorithm}},
                    "salt_length": pss_salt,
                }),
            })

        async def format_csc_signing_req(self, tbs_hashes, digest_algorithm):
            request = await super().format_csc_signing_req(tbs_hashes, digest_algorithm)
            if capture is not None:
                capture.append(request)
            return request

    async def sign(session):
        info = CSCServiceSessionInfo(server.base, credential, oauth_token=token, api_ver="v1")
        credential_info = await fetch_certs_in_csc_credential(session, info)
        signer = Signer(session, PinAndOtp(info, credential_info, session),
                        prefer_pss=prefer_pss or pss_salt is not None)
        meta = signers.PdfSignatureMetadata(
            field_name="Signature1", md_algorithm="sha256",
            subfilter=fields.SigSeedSubFilter.PADES, embed_validation_info=True,
            validation_context=validation_context(server, session))
        timestamper = HTTPTimeStamper(server.base + "/tsa", session=session)
        pdf_signer = signers.PdfSigner(meta, signer, timestamper=timestamper)
        with SOURCE.open("rb") as f, out.open("wb") as o:
            await pdf_signer.async_sign_pdf(IncrementalPdfFileWriter(f), output=o)

    with_session(sign)


def test_cli_enrollment_prints_the_credential_id_and_the_totp_uri_once(csc):
    totp, sms = csc.cli_enroll
    assert re.fullmatch(r"cred-[0-9a-f]{24}", csc.a_rsa), totp.stdout
    assert re.fullmatch(r"cred-[0-9a-f]{24}", csc.a_del), sms.stdout
    uris = re.findall(r"otpauth://\S+", totp.stderr)
    assert uris == [f"otpauth://totp/kyso:{A.cccd}?secret={csc.a_rsa_totp.secret}&issuer=kyso"]
    assert "otpauth" not in totp.stdout
    assert "otpauth" not in sms.stdout + sms.stderr, "an SMS credential has no authenticator"


def test_info_names_the_api_versions(csc):
    for version, specs in [("v1", "1.0.4.0"), ("v2", "2.0.0.2")]:
        reply = csc.server.post(f"/csc/{version}/info", {})
        assert reply.status == 200, reply
        assert reply.body["specs"] == specs
        assert "credentials/authorize" in reply.body["methods"]


def test_credentials_list_shows_only_the_users_own(csc):
    reply = csc.server.post("/csc/v2/credentials/list", {}, token=csc.a_token)
    assert reply.status == 200, reply
    assert sorted(reply.body["credentialIDs"]) == sorted([csc.a_rsa, csc.a_del, csc.a_ec])
    reply = csc.server.post("/csc/v2/credentials/list", {"userID": A.cccd}, token=csc.a_token)
    assert reply.status == 200, reply
    reply = csc.server.post("/csc/v1/credentials/list", {}, token=csc.b_token)
    assert reply.body["credentialIDs"] == [csc.b_del], reply


def test_credentials_info_gives_the_chain_to_a_trusted_root(csc):
    from asn1crypto import x509
    reply = csc.server.post("/csc/v2/credentials/info",
                            {"credentialID": csc.a_ec, "certificates": "chain",
                             "certInfo": True}, token=csc.a_token)
    assert reply.status == 200, reply
    chain = [x509.Certificate.load(base64.b64decode(c)) for c in reply.body["cert"]["certificates"]]
    assert len(chain) >= 2
    assert chain[0].subject.native["common_name"] == A.name
    assert chain[0].public_key.algorithm == "ec"
    assert reply.body["key"]["status"] == "enabled"
    assert ECDSA_WITH_SHA256 in reply.body["key"]["algo"]
    assert reply.body["SCAL"] == "2"
    ocsp = chain[0].ocsp_urls
    assert ocsp == [f"{csc.server.base}/ocsp"], ocsp
    roots = [x509.Certificate.load(pem_der(p)) for p in TRUST_DIR.glob("*.pem")]
    assert chain[-1].issuer in [root.subject for root in roots]
    for child, parent in zip(chain, chain[1:]):
        assert child.issuer == parent.subject


def pem_der(path: Path) -> bytes:
    from asn1crypto import pem
    return pem.unarmor(path.read_bytes())[2]


def test_pyhanko_signs_with_rsa_pkcs1v15(csc):
    out = csc.folder / "pyhanko-rsa-pkcs1v15.pdf"
    pyhanko_sign(csc.server, csc.a_token, csc.a_rsa, A.pin_rsa, csc.a_rsa_totp.fresh, out)
    assert out.read_bytes().startswith(SOURCE.read_bytes())
    assert_pyhanko_valid(csc.server, out, "sha256_rsa")
    signature = assert_kyso_verify_passes(csc, out, "--offline")
    assert signature["pades_level"] == "B-LT"
    assert_kyso_verify_passes(csc, out)


def test_pyhanko_signs_with_ecdsa_p256(csc):
    out = csc.folder / "pyhanko-ecdsa.pdf"
    pyhanko_sign(csc.server, csc.a_token, csc.a_ec, A.pin_ec, csc.a_ec_totp.fresh, out)
    assert_pyhanko_valid(csc.server, out, "sha256_ecdsa")
    signature = assert_kyso_verify_passes(csc, out, "--offline")
    assert signature["signature_algorithm"] == "ECDSA"


def test_pyhanko_prefer_pss_uses_the_maximal_salt_which_the_server_refuses(csc):
    """pyHanko's prefer_pss=True asks for the largest salt (emLen − hLen − 2 = 222 bytes for
    RSA-2048 with SHA-256); kyso's HSM signs with a salt as long as the hash (RFC 4055 §3.1),
    so signHash refuses with a 400 that says so — and the SAD stays usable."""
    from pyhanko.sign.general import SigningError
    logging.getLogger("pyhanko.sign.signers.csc_signer").setLevel(logging.CRITICAL)
    sent = []
    otp = lambda: csc.server.delivered_code(csc.a_token, csc.a_del, "v1")  # noqa: E731
    with pytest.raises(SigningError):
        pyhanko_sign(csc.server, csc.a_token, csc.a_del, A.pin_del, otp,
                     csc.folder / "pyhanko-pss-max-salt.pdf", prefer_pss=True, capture=sent)
    [request] = sent
    assert request["signAlgo"] == RSASSA_PSS
    from asn1crypto import algos
    params = algos.RSASSAPSSParams.load(base64.b64decode(request["signAlgoParams"]))
    assert params["salt_length"].native == 222
    reply = csc.server.post("/csc/v1/signatures/signHash", request, token=csc.a_token)
    assert reply.status == 400, reply
    assert reply.body["error"] == "invalid_request"
    assert "saltLength must equal the hash length" in reply.body["error_description"]
    # The refusal came before the SAD was spent: the same request with a 32-byte salt signs.
    params["salt_length"] = 32
    request["signAlgoParams"] = base64.b64encode(params.dump(force=True)).decode()
    reply = csc.server.post("/csc/v1/signatures/signHash", request, token=csc.a_token)
    assert reply.status == 200, reply


def test_pyhanko_signs_with_rsassa_pss_and_a_hash_length_salt(csc):
    out = csc.folder / "pyhanko-rsa-pss.pdf"
    otp = lambda: csc.server.delivered_code(csc.a_token, csc.a_del, "v1")  # noqa: E731
    pyhanko_sign(csc.server, csc.a_token, csc.a_del, A.pin_del, otp, out, pss_salt=32)
    assert_pyhanko_valid(csc.server, out, "rsassa_pss")
    signature = assert_kyso_verify_passes(csc, out, "--offline")
    assert signature["signature_algorithm"] == "RSASSA-PSS"


# --- kyso sign --csc ------------------------------------------------------------------------

@pytest.mark.parametrize("version", ["2", "1"])
def test_kyso_sign_through_the_csc_api(csc, version):
    server = csc.server
    code = server.delivered_code(csc.a_token, csc.a_del)
    signed = csc.folder / f"kyso-sign-v{version}.pdf"
    result = run_kyso(
        csc, "sign", str(SOURCE), "-o", str(signed), "--csc", server.base, "--user", A.cccd,
        "--credential", csc.a_del, "--pin-file", str(csc.files.pin_del), "--otp", code,
        "--csc-password-file", str(csc.files.password), "--csc-version", version,
        "--level", "b-t", "--tsa", server.base + "/tsa")
    assert result.returncode == 0, result.stderr
    assert signed.read_bytes().startswith(SOURCE.read_bytes())
    # B-T names revocation data only at :8080 for the CA level: pyHanko adds it (LTV fix)
    # from this server, then both judges must reach a full pass.
    with_dss = csc.folder / f"kyso-sign-v{version}-dss.pdf"
    add_dss(server, signed, with_dss)
    assert_pyhanko_valid(server, with_dss, "rsassa_pss")
    signature = assert_kyso_verify_passes(csc, with_dss, "--offline")
    assert signature["signature_algorithm"] == "RSASSA-PSS"


def test_kyso_sign_with_a_wrong_code_fails_and_writes_nothing(csc):
    signed = csc.folder / "kyso-sign-wrong-otp.pdf"
    result = run_kyso(
        csc, "sign", str(SOURCE), "-o", str(signed), "--csc", csc.server.base, "--user", A.cccd,
        "--credential", csc.a_del, "--pin-file", str(csc.files.pin_del), "--otp", "000000",
        "--csc-password-file", str(csc.files.password))
    assert result.returncode == 2, result.stderr
    assert "wrong PIN or one-time code" in result.stderr
    assert not signed.exists()


# --- SCAL2: PIN, OTP, lockout ----------------------------------------------------------------

def test_five_wrong_pins_lock_the_credential_until_an_admin_unlocks_it(csc):
    server, token, credential = csc.server, server_login(csc, L), csc.l_del
    digest = sha256(b"lockout")
    for attempt in range(1, 5):
        code = server.delivered_code(token, credential)
        reply = server.authorize(token, credential, [digest], "9999999999", code)
        assert (reply.status, reply.body["error"]) == (400, "invalid_pin_or_otp"), reply
        assert f"{5 - attempt} attempt(s) left" in reply.body["error_description"]
    # The fifth: wrong PIN, and a code that stays unspent for the sixth.
    code = server.delivered_code(token, credential)
    reply = server.authorize(token, credential, [digest], "9999999999", "000000")
    assert (reply.status, reply.body["error"]) == (403, "credential_locked"), reply
    # The sixth, with the right PIN and the right code: still locked.
    reply = server.authorize(token, credential, [digest], L.pin, code)
    assert (reply.status, reply.body["error"]) == (403, "credential_locked"), reply
    reply = server.post("/csc/v2/credentials/getChallenge", {"credentialID": credential},
                        token=token)
    assert (reply.status, reply.body["error"]) == (403, "credential_locked"), reply
    info = server.post("/csc/v2/credentials/info", {"credentialID": credential}, token=token)
    assert info.body["key"]["status"] == "disabled", info
    # A user's token is not the admin's.
    assert server.post(f"/csc/admin/credentials/{credential}/unlock", token=token).status == 403
    assert server.unlock(credential).status == 204
    reply = server.authorize(token, credential, [digest], L.pin, code)
    assert reply.status == 200, reply
    reply = server.sign_hash(token, credential, reply.body["SAD"], [digest], ECDSA_WITH_SHA256)
    assert reply.status == 200, reply
    audit = run_kyso(csc, "audit", "verify", "--data", str(csc.data))
    assert audit.returncode == 0, audit.stdout + audit.stderr
    actions = audit_actions(csc, credential)
    expected = ["authorize_failed"] * 5 + ["lockout", "unlock", "authorize", "sign"]
    assert is_subsequence(expected, actions), actions


def audit_actions(csc, subject: str) -> list[str]:
    import sqlite3
    with sqlite3.connect(f"file:{csc.data / 'kyso.sqlite3'}?mode=ro", uri=True) as db:
        return [row[0] for row in db.execute(
            "SELECT action FROM audit_log WHERE subject = ? ORDER BY seq", (subject,))]


def is_subsequence(wanted: list, items: list) -> bool:
    remaining = iter(items)
    return all(any(item == w for item in remaining) for w in wanted)


def test_kyso_ca_unlock_and_outbox_from_the_command_line(csc):
    server, token, credential = csc.server, server_login(csc, L), csc.l_del
    digest = sha256(b"lock again")
    code = server.delivered_code(token, credential)
    sad = server.authorize(token, credential, [digest], L.pin, code).body["SAD"]
    for _ in range(5):
        reply = server.authorize(token, credential, [digest], "8888888888", "000000")
    assert (reply.status, reply.body["error"]) == (403, "credential_locked"), reply
    # A SAD issued before the lock does not sign while it lasts.
    reply = server.sign_hash(token, credential, sad, [digest], ECDSA_WITH_SHA256)
    assert (reply.status, reply.body["error"]) == (403, "credential_locked"), reply
    unlock = run_kyso(csc, "ca", "unlock", credential, "--data", str(csc.data))
    assert unlock.returncode == 0, unlock.stderr
    code = server.delivered_code(token, credential)
    reply = server.authorize(token, credential, [digest], L.pin, code)
    assert reply.status == 200, reply
    outbox = run_kyso(csc, "ca", "outbox", "--data", str(csc.data), "--credential", credential)
    assert outbox.returncode == 0, outbox.stderr
    assert code in outbox.stdout and "0987654321" in outbox.stdout


def test_a_wrong_authenticator_code_with_the_right_pin_is_refused(csc):
    digest = sha256(b"wrong totp")
    reply = csc.server.authorize(csc.a_token, csc.a_rsa, [digest], A.pin_rsa,
                                 csc.a_rsa_totp.wrong())
    assert (reply.status, reply.body["error"]) == (400, "invalid_pin_or_otp"), reply
    assert "SAD" not in reply.body


def test_a_wrong_delivered_code_with_the_right_pin_is_refused(csc):
    server = csc.server
    digest = sha256(b"wrong sms code")
    code = server.delivered_code(csc.a_token, csc.a_del)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    reply = server.authorize(csc.a_token, csc.a_del, [digest], A.pin_del, wrong)
    assert (reply.status, reply.body["error"]) == (400, "invalid_pin_or_otp"), reply
    # A code spent once cannot be used again.
    reply = server.authorize(csc.a_token, csc.a_del, [digest], A.pin_del, code)
    assert reply.status == 200, reply
    reply = server.authorize(csc.a_token, csc.a_del, [digest], A.pin_del, code)
    assert (reply.status, reply.body["error"]) == (400, "invalid_pin_or_otp"), reply


def test_an_authenticator_code_is_taken_once(csc):
    server, totp = csc.server, csc.a_ec_totp
    code = totp.fresh()
    digest = sha256(b"totp replay")
    assert server.authorize(csc.a_token, csc.a_ec, [digest], A.pin_ec, code).status == 200
    reply = server.authorize(csc.a_token, csc.a_ec, [digest], A.pin_ec, code)
    assert (reply.status, reply.body["error"]) == (400, "invalid_pin_or_otp"), reply


def test_a_missing_factor_is_refused(csc):
    digest = base64.b64encode(sha256(b"no otp")).decode()
    body = {"credentialID": csc.a_del, "numSignatures": 1, "hashes": [digest],
            "hashAlgorithmOID": "2.16.840.1.101.3.4.2.1",
            "authData": [{"id": "PIN", "value": A.pin_del}]}
    reply = csc.server.post("/csc/v2/credentials/authorize", body, token=csc.a_token)
    assert (reply.status, reply.body["error"]) == (400, "invalid_request"), reply


# --- SAD ---------------------------------------------------------------------------------------

def authorized(csc, digests: list[bytes], version: str = "v2") -> str:
    """A SAD for A's SMS credential over `digests`."""
    server = csc.server
    code = server.delivered_code(csc.a_token, csc.a_del, version)
    reply = server.authorize(csc.a_token, csc.a_del, digests, A.pin_del, code, version)
    assert reply.status == 200, reply
    assert 0 < reply.body["expiresIn"] <= 300
    return reply.body["SAD"]


def verify_rsa(csc, credential: str, digest: bytes, signature: bytes):
    """Checks an RSA PKCS#1 v1.5 signature over a SHA-256 digest against the credential's
    certificate."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, utils
    reply = csc.server.post("/csc/v2/credentials/info", {"credentialID": credential},
                            token=csc.a_token)
    cert = x509.load_der_x509_certificate(base64.b64decode(reply.body["cert"]["certificates"][0]))
    cert.public_key().verify(signature, digest, padding.PKCS1v15(),
                             utils.Prehashed(hashes.SHA256()))


@pytest.mark.parametrize("version", ["v2", "v1"])
def test_a_sad_signs_once(csc, version):
    server = csc.server
    digest = sha256(b"replay " + version.encode())
    sad = authorized(csc, [digest], version)
    reply = server.sign_hash(csc.a_token, csc.a_del, sad, [digest], version=version)
    assert reply.status == 200, reply
    verify_rsa(csc, csc.a_del, digest, base64.b64decode(reply.body["signatures"][0]))
    replay = server.sign_hash(csc.a_token, csc.a_del, sad, [digest], version=version)
    assert (replay.status, replay.body["error"]) == (400, "invalid_sad"), replay


def test_a_sad_does_not_sign_another_hash(csc):
    server = csc.server
    digest, other = sha256(b"authorized"), sha256(b"slipped in")
    sad = authorized(csc, [digest])
    reply = server.sign_hash(csc.a_token, csc.a_del, sad, [other])
    assert (reply.status, reply.body["error"]) == (400, "invalid_sad"), reply
    assert "signatures" not in reply.body
    reply = server.sign_hash(csc.a_token, csc.a_del, sad, [digest, other])
    assert (reply.status, reply.body["error"]) == (400, "invalid_sad"), reply
    # What it does cover can still be signed, once.
    reply = server.sign_hash(csc.a_token, csc.a_del, sad, [digest])
    assert reply.status == 200, reply


def test_a_sad_of_another_user_is_refused(csc):
    server = csc.server
    digest = sha256(b"stolen sad")
    sad = authorized(csc, [digest])
    # B with A's SAD, on A's credential: B cannot address it at all.
    reply = server.sign_hash(csc.b_token, csc.a_del, sad, [digest])
    assert reply.status in (400, 403, 404) and "signatures" not in reply.body, reply
    # B with A's SAD, on B's own credential: the SAD is not B's.
    reply = server.sign_hash(csc.b_token, csc.b_del, sad, [digest])
    assert (reply.status, reply.body["error"]) == (400, "invalid_sad"), reply
    # A SAD shown by someone else has leaked: it is revoked for A too.
    reply = server.sign_hash(csc.a_token, csc.a_del, sad, [digest])
    assert (reply.status, reply.body["error"]) == (400, "invalid_sad"), reply


def test_a_sad_for_one_credential_does_not_sign_with_another_of_the_same_user(csc):
    server = csc.server
    digest = sha256(b"other credential")
    sad = authorized(csc, [digest])
    reply = server.sign_hash(csc.a_token, csc.a_rsa, sad, [digest])
    assert (reply.status, reply.body["error"]) == (400, "invalid_sad"), reply
    assert "signatures" not in reply.body


def test_one_sad_raced_by_parallel_requests_signs_once(csc):
    from concurrent.futures import ThreadPoolExecutor
    server = csc.server
    digest = sha256(b"race")
    sad = authorized(csc, [digest])
    with ThreadPoolExecutor(max_workers=4) as pool:
        replies = list(pool.map(
            lambda _: server.sign_hash(csc.a_token, csc.a_del, sad, [digest]), range(4)))
    assert sorted(r.status for r in replies) == [200, 400, 400, 400], replies
    assert all(r.body["error"] == "invalid_sad" for r in replies if r.status == 400), replies


def test_one_authenticator_code_raced_by_parallel_requests_authorizes_once(csc):
    from concurrent.futures import ThreadPoolExecutor
    server = csc.server
    code = csc.a_ec_totp.fresh()
    digest = sha256(b"totp race")
    with ThreadPoolExecutor(max_workers=3) as pool:
        replies = list(pool.map(
            lambda _: server.authorize(csc.a_token, csc.a_ec, [digest], A.pin_ec, code),
            range(3)))
    assert sorted(r.status for r in replies) == [200, 400, 400], replies


def test_a_sad_expires(csc, tmp_path):
    """A server whose SADs live one second."""
    server = CscServer(tmp_path / "data", "--sad-lifetime", "1")
    try:
        server.enroll(cccd=B.cccd, name=B.name, pin=B.pin, password=B.password,
                      email="bich.tran@example.vn")
        token = server.login(B.cccd, B.password)
        [credential] = server.post("/csc/v2/credentials/list", {}, token=token).body["credentialIDs"]
        digest = sha256(b"late")
        code = server.delivered_code(token, credential)
        reply = server.authorize(token, credential, [digest], B.pin, code)
        assert reply.status == 200 and reply.body["expiresIn"] <= 1, reply
        time.sleep(1.5)
        reply = server.sign_hash(token, credential, reply.body["SAD"], [digest])
        assert (reply.status, reply.body["error"]) == (400, "expired_sad"), reply
    finally:
        server.stop()
        csc.extra_logs.append((server.log, server.secrets))


@pytest.mark.parametrize("inline_ms", ["20", "0"])
def test_sign_hash_answers_alike_on_the_reading_thread_and_the_signing_threads(
        csc, tmp_path, inline_ms):
    """Short calls sign on the thread that read them (`--inline-sign-ms 20`) once calls have
    been timed; the first call and a 100-hash batch (100 signatures, far over 20 ms of CPU)
    go to the signing threads; with 0 every call does. Each way every signature verifies, a
    spent SAD stays spent, and every call leaves its audit entry."""
    server = CscServer(tmp_path / "data", "--inline-sign-ms", inline_ms)
    try:
        server.enroll(cccd=B.cccd, name=B.name, pin=B.pin, password=B.password,
                      email="bich.tran@example.vn")
        token = server.login(B.cccd, B.password)
        [credential] = server.post("/csc/v2/credentials/list", {}, token=token).body["credentialIDs"]
        info = server.post("/csc/v2/credentials/info", {"credentialID": credential}, token=token)
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding, utils
        key = x509.load_der_x509_certificate(
            base64.b64decode(info.body["cert"]["certificates"][0])).public_key()

        def sign(digests):
            code = server.delivered_code(token, credential)
            reply = server.authorize(token, credential, digests, B.pin, code)
            assert reply.status == 200, reply
            sad = reply.body["SAD"]
            reply = server.sign_hash(token, credential, sad, digests)
            assert reply.status == 200, reply
            signatures = [base64.b64decode(s) for s in reply.body["signatures"]]
            assert len(signatures) == len(digests)
            for digest, signature in zip(digests, signatures):
                key.verify(signature, digest, padding.PKCS1v15(), utils.Prehashed(hashes.SHA256()))
            replay = server.sign_hash(token, credential, sad, digests)
            assert (replay.status, replay.body["error"]) == (400, "invalid_sad"), replay

        for i in range(6):
            sign([sha256(f"one {i}".encode())])
        sign([sha256(f"batch {i}".encode()) for i in range(100)])
    finally:
        server.stop()
        csc.extra_logs.append((server.log, server.secrets))
    log = server.log.read_text(errors="replace")
    # Lines in the order the calls were answered: `1` for the one-hash calls, `100` for the
    # batch.
    calls = re.findall(r"signHash signed on (the thread that read it|an HSM thread) hashes=(\d+)",
                       log)
    where = ["reader" if place.startswith("the") else "threads" for place, _ in calls]
    assert [n for _, n in calls] == ["1"] * 6 + ["100"], log
    if inline_ms == "0":
        assert where == ["threads"] * 7, calls
    else:
        # The first call is timed on the threads; a slow first one (sessions, connections
        # opened) may keep one more there; from then on one-hash calls stay on the reader.
        assert where[0] == "threads" and where[3:6] == ["reader"] * 3, calls
        assert where[6] == "threads", calls
    audit = subprocess.run([str(KYSO), "audit", "verify", "--data", str(tmp_path / "data")],
                           capture_output=True, text=True, env=kyso_env())
    assert audit.returncode == 0, audit.stderr
    signs = sqlite3.connect(tmp_path / "data" / "kyso.sqlite3").execute(
        "SELECT count(*) FROM audit_log WHERE action = 'sign'").fetchone()[0]
    assert signs == 7


def test_login_attempts_are_rate_limited_per_address(csc, tmp_path):
    """`--rate-limit 8` per minute: a burst of 2 logins from one address, then 429 in CSC's
    error form with Retry-After, even with the right password, on v1 and v2 alike; a token
    already given out keeps working."""
    server = CscServer(tmp_path / "data", "--rate-limit", "8")
    try:
        server.enroll(cccd=B.cccd, name=B.name, pin=B.pin, password=B.password,
                      email="bich.tran@example.vn")
        token = server.login(B.cccd, B.password)
        guess = server.post("/csc/v1/auth/login", basic=(B.cccd, "doan-sai"))
        assert guess.status == 401, guess
        for version in ("v2", "v1"):
            reply = server.post(f"/csc/{version}/auth/login", basic=(B.cccd, B.password))
            assert (reply.status, reply.body["error"]) == (429, "access_denied"), reply
            assert "access_token" not in reply.body, reply
            assert 1 <= int(reply.headers["retry-after"]) <= 8, reply
        reply = server.post("/csc/v2/credentials/list", {}, token=token)
        assert reply.status == 200 and len(reply.body["credentialIDs"]) == 1, reply
    finally:
        server.stop()
        csc.extra_logs.append((server.log, server.secrets))


# --- one user, another's credentials ------------------------------------------------------------

def test_a_user_cannot_list_read_or_use_another_users_credentials(csc):
    server, token, theirs = csc.server, csc.a_token, csc.b_del
    reply = server.post("/csc/v2/credentials/list", {"userID": B.cccd}, token=token)
    assert (reply.status, reply.body["error"]) == (403, "access_denied"), reply
    reply = server.post("/csc/v1/credentials/list", {"userID": B.cccd}, token=token)
    assert reply.status == 403, reply
    for version in ("v1", "v2"):
        reply = server.post(f"/csc/{version}/credentials/info",
                            {"credentialID": theirs, "certificates": "chain"}, token=token)
        assert 400 <= reply.status < 500 and "cert" not in reply.body, reply
    reply = server.post("/csc/v2/credentials/getChallenge", {"credentialID": theirs},
                        token=token)
    assert 400 <= reply.status < 500, reply
    assert server.outbox(theirs) == [], "a challenge for B's credential went out"
    digest = sha256(b"not mine")
    reply = server.authorize(token, theirs, [digest], B.pin, "123456")
    assert 400 <= reply.status < 500 and "SAD" not in reply.body, reply
    # B's SAD, B's credential, A's token.
    code = server.delivered_code(csc.b_token, theirs)
    sad = server.authorize(csc.b_token, theirs, [digest], B.pin, code).body["SAD"]
    reply = server.sign_hash(token, theirs, sad, [digest])
    assert 400 <= reply.status < 500 and "signatures" not in reply.body, reply
    # None of that counted against B's lockout or spent B's SAD.
    reply = server.post("/csc/v2/credentials/info", {"credentialID": theirs},
                        token=csc.b_token)
    assert reply.body["key"]["status"] == "enabled", reply
    reply = server.sign_hash(csc.b_token, theirs, sad, [digest])
    assert reply.status == 200, reply


def test_another_users_credential_and_a_missing_one_look_the_same(csc):
    server = csc.server
    for version in ("v1", "v2"):
        theirs = server.post(f"/csc/{version}/credentials/info", {"credentialID": csc.b_del},
                             token=csc.a_token)
        missing = server.post(f"/csc/{version}/credentials/info",
                              {"credentialID": "cred-000000000000000000000000"},
                              token=csc.a_token)
        assert (theirs.status, theirs.body) == (missing.status, missing.body), (theirs, missing)


def test_admin_routes_need_the_admin_token(csc):
    server = csc.server
    enroll = {"cccd": "036200001111", "name": "Phạm Thị Thu", "pin": "5772156649",
              "password": "mat-khau-cua-T-2026"}
    server.secrets.update((enroll["pin"], enroll["password"]))
    for method, path, body in [("POST", "/csc/admin/enroll", enroll),
                               ("POST", f"/csc/admin/credentials/{csc.a_del}/unlock", None),
                               ("GET", f"/csc/admin/outbox?credential={csc.a_del}", None)]:
        reply = server.request(method, path, body)
        assert reply.status == 401, (path, reply)
        for token, status in [(csc.a_token, 403), ("x" * 40, 403), (ADMIN_TOKEN + "x", 403)]:
            reply = server.request(method, path, body, token=token)
            assert reply.status == status, (path, reply)
            assert reply.body["error"] == "access_denied", (path, reply)
            assert "messages" not in reply.body and "credentialID" not in reply.body
    reply = server.post("/csc/v2/auth/login", basic=(enroll["cccd"], enroll["password"]))
    assert reply.status == 401, "an enrollment went through without the admin token"


@pytest.mark.parametrize("change", [
    {"cccd": "12345"}, {"cccd": "01234567890a"}, {"pin": "12ab56"}, {"pin": "123"},
    {"pin": "1234567890123"}, {"password": "short"}, {"key": "rsa-1024"},
    {"phone": "0901234567", "email": "t@example.vn"}, {"name": ""},
], ids=lambda change: "-".join(f"{k}={v}" for k, v in change.items()))
def test_admin_enrollment_refuses_bad_input(csc, change):
    body = {"cccd": "036200002222", "name": "Phạm Văn Tư", "pin": "4669201609",
            "password": "mat-khau-cua-T-2026", **change}
    # Refused values too must not be logged (the short ones could match anything).
    csc.server.secrets.update(v for k, v in body.items()
                              if k in ("pin", "password") and len(v) >= 8)
    reply = csc.server.post("/csc/admin/enroll", body, token=ADMIN_TOKEN)
    assert (reply.status, reply.body.get("error")) == (400, "invalid_request"), reply
    assert reply.body.get("error_description")


# --- bad requests --------------------------------------------------------------------------------

USER_ROUTES = ["auth/revoke", "credentials/list", "credentials/info", "credentials/authorize",
               "signatures/signHash"]


def well_formed(csc, version: str) -> dict:
    """A body each user route would accept, so that only the token is wrong."""
    digest = base64.b64encode(sha256(b"well formed")).decode()
    if version == "v2":
        authorize = {"credentialID": csc.a_del, "numSignatures": 1, "hashes": [digest],
                     "hashAlgorithmOID": "2.16.840.1.101.3.4.2.1",
                     "authData": [{"id": "PIN", "value": A.pin_del},
                                  {"id": "OTP", "value": "123456"}]}
        sign = {"credentialID": csc.a_del, "SAD": "x", "hashes": [digest],
                "hashAlgorithmOID": "2.16.840.1.101.3.4.2.1", "signAlgo": SHA256_WITH_RSA}
        challenge = "credentials/getChallenge"
    else:
        authorize = {"credentialID": csc.a_del, "numSignatures": 1, "hash": [digest],
                     "PIN": A.pin_del, "OTP": "123456"}
        sign = {"credentialID": csc.a_del, "SAD": "x", "hash": [digest],
                "hashAlgo": "2.16.840.1.101.3.4.2.1", "signAlgo": SHA256_WITH_RSA}
        challenge = "credentials/sendOTP"
    return {"auth/revoke": {}, "credentials/list": {},
            "credentials/info": {"credentialID": csc.a_del},
            "credentials/authorize": authorize, "signatures/signHash": sign,
            challenge: {"credentialID": csc.a_del}}


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_no_or_garbage_bearer_token_is_401(csc, version):
    server = csc.server
    for route, body in well_formed(csc, version).items():
        path = f"/csc/{version}/{route}"
        for headers in ({}, {"Authorization": "Bearer "},
                        {"Authorization": "Bearer not-a-token-at-all"},
                        {"Authorization": "Basic " + base64.b64encode(
                            f"{A.cccd}:{A.password}".encode()).decode()},
                        {"Authorization": "Bearer " + csc.a_token + "x"},
                        {"Authorization": "Bearer " + ADMIN_TOKEN}):
            reply = server.post(path, body, headers=headers)
            assert reply.status == 401, (path, headers, reply)
            assert reply.body["error"] == "invalid_token", (path, reply)
            assert reply.body["error_description"]
            assert reply.headers.get("www-authenticate", "").startswith("Bearer")
    for user, password in [(A.cccd, "wrong password"), ("000000000000", A.password),
                           (A.cccd, "")]:
        reply = server.post(f"/csc/{version}/auth/login", basic=(user, password))
        assert (reply.status, reply.body["error"]) == (401, "authentication_error"), reply
    reply = server.post(f"/csc/{version}/auth/login", {})
    assert reply.status == 401, reply
    # A's credentials are untouched by all this.
    info = server.post("/csc/v2/credentials/info", {"credentialID": csc.a_del},
                       token=csc.a_token)
    assert info.body["key"]["status"] == "enabled", info


def test_a_revoked_token_is_refused(csc):
    server = csc.server
    token = server.login(A.cccd, A.password)
    assert server.post("/csc/v2/auth/revoke", {}, token=token).status in (200, 204)
    reply = server.post("/csc/v2/credentials/list", {}, token=token)
    assert (reply.status, reply.body["error"]) == (401, "invalid_token"), reply


SYNTAX = [b"{", b"{\"credentialID\": ", b"[1, 2]", b"null", b"\"text\"", b"42",
          b"\xff\xfe\x00",
          b"{\"userID\": \"\xff\", \"credentialID\": \"\xff\"}"]
# Per route: a field of the wrong type or out of range.
TYPES = {
    "credentials/list": [b"{\"userID\": 5}", b"{\"maxResults\": -1}",
                         b"{\"maxResults\": \"ten\"}"],
    "credentials/info": [b"{\"credentialID\": 5}", b"{\"credentialID\": \"x\", \"certInfo\": \"yes\"}"],
    "credentials/getChallenge": [b"{\"credentialID\": null}"],
    "credentials/sendOTP": [b"{\"credentialID\": []}"],
    "credentials/authorize": [
        b"{\"credentialID\": \"x\", \"numSignatures\": -1}",
        b"{\"credentialID\": \"x\", \"numSignatures\": 99999999999999999999}",
        b"{\"credentialID\": \"x\", \"numSignatures\": 1, \"hashes\": \"AAAA\"}",
        b"{\"credentialID\": \"x\", \"numSignatures\": 1, \"authData\": {}}"],
    "signatures/signHash": [b"{\"credentialID\": [], \"SAD\": {}, \"signAlgo\": 1}",
                            b"{\"credentialID\": \"x\", \"SAD\": \"x\", \"signAlgo\": \"x\","
                            b" \"hash\": [1]}"],
}


def test_malformed_requests_get_a_csc_error_never_a_5xx(csc):
    server, token = csc.server, csc.a_token
    routes = [f"/csc/{v}/{r}" for v in ("v1", "v2") for r in USER_ROUTES[1:]]
    routes += ["/csc/v2/credentials/getChallenge", "/csc/v1/credentials/sendOTP"]
    for path in routes:
        route = path.split("/", 3)[3]
        for raw in SYNTAX + TYPES[route]:
            reply = server.post(path, raw=raw, token=token)
            assert reply.status < 500, (path, raw, reply)
            assert reply.status == 400, (path, raw, reply)
            assert reply.body.get("error") == "invalid_request", (path, raw, reply)
            assert reply.body.get("error_description"), (path, raw, reply)
    reply = server.post("/csc/admin/enroll", raw=b"{\"cccd\": ", token=ADMIN_TOKEN)
    assert (reply.status, reply.body.get("error")) == (400, "invalid_request"), reply
    digest = base64.b64encode(sha256(b"x")).decode()
    valid_auth = {"credentialID": csc.a_del, "numSignatures": 1, "hashes": [digest],
                  "hashAlgorithmOID": "2.16.840.1.101.3.4.2.1",
                  "authData": [{"id": "PIN", "value": "1"}, {"id": "OTP", "value": "1"}]}
    semantic = [
        ("/csc/v2/credentials/authorize", {**valid_auth, "hashes": ["not base64!"]}),
        ("/csc/v2/credentials/authorize", {**valid_auth, "numSignatures": 2}),
        ("/csc/v2/credentials/authorize", {**valid_auth, "hashes": []}),
        ("/csc/v2/credentials/authorize", {**valid_auth, "hashes": [digest] * 101,
                                           "numSignatures": 101}),
        ("/csc/v2/credentials/authorize", {**valid_auth, "hashAlgorithmOID": "1.3.14.3.2.26"}),
        ("/csc/v2/credentials/authorize", {**valid_auth, "hashAlgorithmOID": "sha256"}),
        ("/csc/v2/credentials/authorize", {**valid_auth,
                                           "hashes": [base64.b64encode(b"short").decode()]}),
        ("/csc/v2/credentials/authorize", {**valid_auth, "authData": [{"id": "X", "value": "1"}]}),
        ("/csc/v2/credentials/info", {"credentialID": csc.a_del, "certificates": "all"}),
        ("/csc/v2/signatures/signHash", {"credentialID": csc.a_del, "SAD": "x",
                                         "hashes": [digest], "signAlgo": "1.2.3.4"}),
        ("/csc/v2/signatures/signHash", {"credentialID": csc.a_del, "SAD": "x",
                                         "hashes": [digest], "signAlgo": SHA256_WITH_RSA,
                                         "operationMode": "A"}),
        ("/csc/v2/signatures/signHash", {"credentialID": csc.a_del, "SAD": "x",
                                         "hashes": [digest], "signAlgo": RSASSA_PSS,
                                         "hashAlgorithmOID": "2.16.840.1.101.3.4.2.1",
                                         "signAlgoParams": "MAA="}),
        ("/csc/v2/signatures/signHash", {"credentialID": csc.a_del, "SAD": "x",
                                         "hashes": [digest], "signAlgo": RSA_ENCRYPTION}),
        ("/csc/v2/signatures/signHash", {"credentialID": csc.a_del, "SAD": "x",
                                         "hashes": [digest], "signAlgo": ECDSA_WITH_SHA256,
                                         "hashAlgorithmOID": "2.16.840.1.101.3.4.2.1"}),
    ]
    for path, body in semantic:
        reply = server.post(path, body, token=token)
        assert 400 <= reply.status < 500, (path, body, reply)
        assert reply.body.get("error") and reply.body.get("error_description"), (path, reply)
    # None of these touched the lockout counter of A's SMS credential.
    info = server.post("/csc/v2/credentials/info", {"credentialID": csc.a_del}, token=token)
    assert info.body["key"]["status"] == "enabled"
    assert server.authorize(token, csc.a_del, [sha256(b"y")], A.pin_del,
                            server.delivered_code(token, csc.a_del)).status == 200


def test_an_oversized_body_gets_a_csc_error(csc):
    """The body limit answers before the route: its refusal should still be CSC error JSON
    (CSC API v2 §10.1), as for every other bad request."""
    digest = base64.b64encode(sha256(b"big")).decode()
    body = {"credentialID": csc.a_del, "numSignatures": 1, "hashes": [digest],
            "hashAlgorithmOID": "2.16.840.1.101.3.4.2.1",
            "authData": [{"id": "PIN", "value": "1"}, {"id": "OTP", "value": "1"}],
            "description": "x" * (3 * 1024 * 1024)}
    reply = csc.server.post("/csc/v2/credentials/authorize", body, token=csc.a_token)
    assert reply.status == 413, reply
    assert reply.body.get("error") and reply.body.get("error_description"), reply


# --- the token ---------------------------------------------------------------------------------

def pkcs11_tool(csc, *args: str) -> subprocess.CompletedProcess:
    pins = dict(line.split("=", 1) for line in
                (csc.data / "softhsm" / "pins").read_text().split())
    csc.server.secrets.update(pins.values())
    return subprocess.run(
        # The data folder's SoftHSM2 also holds the agency's token; name the CSC one.
        ["pkcs11-tool", "--module", SOFTHSM_MODULE, "--token-label", "kyso-csc", "--login",
         "--pin", pins["user-pin"], *args],
        capture_output=True, text=True, timeout=60,
        env={**kyso_env(), "SOFTHSM2_CONF": str(csc.data / "softhsm" / "softhsm2.conf")})


def test_private_keys_are_sensitive_and_never_extractable(csc):
    listing = pkcs11_tool(csc, "--list-objects", "--type", "privkey")
    assert listing.returncode == 0, listing.stderr
    blocks = listing.stdout.split("Private Key Object")[1:]
    # A: RSA, RSA (SMS), EC; B: RSA; L: EC.
    assert len(blocks) == 5, listing.stdout
    labels = set()
    for block in blocks:
        access = re.search(r"Access:\s*(.*)", block).group(1)
        flags = {flag.strip() for flag in access.split(",")}
        assert {"sensitive", "always sensitive", "never extractable", "local"} <= flags, block
        assert "extractable" not in flags, block
        labels.add(re.search(r"label:\s*(\S+)", block).group(1))
        key_id = re.search(r"ID:\s*([0-9a-f]+)", block).group(1)
        out = csc.folder / f"privkey-{key_id[:8]}.der"
        read = pkcs11_tool(csc, "--read-object", "--type", "privkey", "--id", key_id,
                           "-o", str(out))
        assert not out.exists() or out.stat().st_size == 0, read.stdout + read.stderr
        said = read.stdout + read.stderr
        assert re.search(r"not \(yet\) supported|CKR_ATTRIBUTE_SENSITIVE|error", said), said
    assert {csc.a_rsa, csc.a_del, csc.a_ec, csc.b_del, csc.l_del} <= labels, labels


def test_the_token_refuses_to_reveal_or_wrap_any_private_key(csc):
    """pkcs11-tool 0.23 will not even try to read a private key, so ask the token itself:
    C_GetAttributeValue of the secret components must answer CKR_ATTRIBUTE_SENSITIVE and
    C_WrapKey under a fresh AES key CKR_KEY_UNEXTRACTABLE (PKCS#11 v2.40: CKA_SENSITIVE and
    CKA_EXTRACTABLE of private key objects; C_GetAttributeValue; C_WrapKey)."""
    import sys
    pins = dict(line.split("=", 1) for line in
                (csc.data / "softhsm" / "pins").read_text().split())
    probe = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("cscfixture.py")), "probe-private-keys",
         SOFTHSM_MODULE, "kyso-csc", pins["user-pin"]],
        capture_output=True, text=True, timeout=60,
        env={**kyso_env(), "SOFTHSM2_CONF": str(csc.data / "softhsm" / "softhsm2.conf")})
    assert probe.returncode == 0, probe.stderr
    keys = json.loads(probe.stdout)
    assert len(keys) == 5, keys
    assert sorted(k["key_type"] for k in keys).count("rsa") == 3, keys
    CKR_ATTRIBUTE_SENSITIVE, CKR_KEY_UNEXTRACTABLE = 0x11, 0x6A
    for key in keys:
        assert key["sensitive"] and key["always_sensitive"], key
        assert not key["extractable"] and key["never_extractable"], key
        for component in key["read"].values():
            assert component["rv"] == CKR_ATTRIBUTE_SENSITIVE, key
        assert key["wrap_rv"] == CKR_KEY_UNEXTRACTABLE and key["wrapped_length"] == 0, key


def test_no_token_file_holds_a_plain_private_key(csc):
    """The token files may hold public values; an unencrypted PKCS#1 RSAPrivateKey or SEC 1
    ECPrivateKey would show as the DER that starts one, right next to that public value."""
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
    blobs = [p.read_bytes() for p in (csc.data / "softhsm" / "tokens").rglob("*") if p.is_file()]
    assert blobs
    patterns = []
    for credential, token in [(csc.a_rsa, csc.a_token), (csc.a_del, csc.a_token),
                              (csc.a_ec, csc.a_token), (csc.b_del, csc.b_token)]:
        reply = csc.server.post("/csc/v2/credentials/info", {"credentialID": credential},
                                token=token)
        key = x509.load_der_x509_certificate(
            base64.b64decode(reply.body["cert"]["certificates"][0])).public_key()
        if isinstance(key, rsa.RSAPublicKey):
            n = key.public_numbers().n.to_bytes(257, "big")  # leading 0x00: INTEGER is positive
            # RSAPrivateKey ::= SEQUENCE { version 0, modulus, publicExponent, privateExponent…
            patterns.append(b"\x02\x01\x00\x02\x82\x01\x01" + n)
        else:
            assert isinstance(key, ec.EllipticCurvePublicKey)
            point = key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
            # ECPrivateKey ::= SEQUENCE { 1, privateKey, [0] prime256v1, [1] publicKey }
            patterns.append(b"\xa0\x0a\x06\x08\x2a\x86\x48\xce\x3d\x03\x01\x07\xa1\x44\x03\x42\x00"
                            + point)
    for pattern in patterns:
        assert not any(pattern in blob for blob in blobs)


def test_the_audit_log_is_intact(csc):
    result = run_kyso(csc, "audit", "verify", "--data", str(csc.data))
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_database_keeps_no_pin_password_sad_or_token(csc):
    """The demo outbox keeps delivered codes by design; nothing else secret is stored."""
    server = csc.server
    stored = b"".join(p.read_bytes() for p in csc.data.glob("kyso.sqlite3*"))
    secrets = server.secrets - server.otps
    assert len(secrets) > 10
    found = [s for s in secrets if s.encode() in stored]
    assert not found, found


# --- last: no secret anywhere it should not be ---------------------------------------------------

TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")


def leaked(text: str, secrets: set[str]) -> list[str]:
    """The secrets in `text`, digits matched as whole numbers, log timestamps left out (their
    microseconds are six digits too)."""
    text = TIMESTAMP.sub(" ", text)
    found = []
    for secret in secrets:
        if not secret:
            continue
        pattern = (rf"(?<!\d){re.escape(secret)}(?!\d)" if secret.isdigit()
                   else re.escape(secret))
        if re.search(pattern, text):
            found.append(secret)
    return found


def test_no_secret_in_the_server_log_or_the_cli_stderr(csc):
    server = csc.server
    server.stop()  # flush and close the log
    log = server.log.read_text(errors="replace")
    assert "INFO" in log, "the server logged nothing"
    assert not leaked(log, server.secrets), leaked(log, server.secrets)
    for path, secrets in csc.extra_logs:
        text = path.read_text(errors="replace")
        assert not leaked(text, secrets), (path.name, leaked(text, secrets))
    totp_secret = csc.a_rsa_totp.secret
    for command, stderr in csc.cli_stderr:
        allowed = {totp_secret} if command == "ca enroll (totp)" else set()
        assert not leaked(stderr, server.secrets - allowed), (command, stderr)
    assert leaked(csc.cli_stderr[0][1], {totp_secret}) == [totp_secret]
