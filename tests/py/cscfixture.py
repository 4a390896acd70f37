"""What test_csc.py needs around `kyso serve`'s CSC API: a free port on 127.0.0.1, the server
started with its own data folder, embedded SoftHSM2 token and debug log, JSON calls over
plain HTTP, TOTP codes (RFC 6238, computed here) and delivered codes read from the admin
outbox."""

import base64
import hashlib
import hmac
import json
import os
import random
import re
import signal
import socket
import struct
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CERTS = ROOT / "certs"
KYSO = Path(os.environ.get("KYSO_BIN", ROOT / "target" / "debug" / "kyso"))
ADMIN_TOKEN = "kyso-test-admin-token-" + base64.b32encode(os.urandom(10)).decode()

SHA256 = "2.16.840.1.101.3.4.2.1"
SHA256_WITH_RSA = "1.2.840.113549.1.1.11"
RSA_ENCRYPTION = "1.2.840.113549.1.1.1"
RSASSA_PSS = "1.2.840.113549.1.1.10"
ECDSA_WITH_SHA256 = "1.2.840.10045.4.3.2"

TOTP_STEP = 30


def free_port() -> int:
    """A random port in 20000–60999 (never 8080, which the test PKI's own services use) that
    binds on 127.0.0.1 right now."""
    for _ in range(200):
        port = random.randint(20000, 60999)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port on 127.0.0.1")


def kyso_env(**extra: str) -> dict:
    """The environment for kyso processes: SOFTHSM2_CONF unset, so each data folder gets its
    own embedded token; debug logging on (kyso reads KYSO_LOG; RUST_LOG is set too, for
    anything that reads that)."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("SOFTHSM2_CONF", "KYSO_ADMIN_TOKEN", "KYSO_CSC_PASSWORD")}
    env.update(KYSO_LOG="debug", RUST_LOG="debug")
    env.update(extra)
    return env


def totp_code(secret_b32: str, step: int) -> str:
    """RFC 6238 / RFC 4226 with HMAC-SHA1, 6 digits."""
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    number = struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF
    return f"{number % 1_000_000:06d}"


@dataclass
class Totp:
    """An authenticator app for one credential. The server takes each step once per
    credential and accepts ±1 step, so a fresh code is the lowest unused step of the window
    (the previous step only while it has a few seconds left), else a wait for the next one."""
    secret: str
    used: int = -1

    @classmethod
    def from_uri(cls, uri: str) -> "Totp":
        query = urllib.parse.parse_qs(urllib.parse.urlparse(uri).query)
        return cls(query["secret"][0])

    def fresh(self) -> str:
        while True:
            now = time.time()
            step = int(now // TOTP_STEP)
            left = TOTP_STEP - now % TOTP_STEP
            candidates = ([step - 1] if left > 5 else []) + [step, step + 1]
            for candidate in candidates:
                if candidate > self.used:
                    self.used = candidate
                    return totp_code(self.secret, candidate)
            time.sleep(left + 0.2)

    def wrong(self) -> str:
        """A code no step near now has."""
        step = int(time.time() // TOTP_STEP)
        near = {totp_code(self.secret, s) for s in range(step - 3, step + 4)}
        code = int(totp_code(self.secret, step))
        while f"{code:06d}" in near:
            code = (code + 1) % 1_000_000
        return f"{code:06d}"


@dataclass
class Reply:
    status: int
    body: dict
    headers: dict = field(default_factory=dict)

    def __repr__(self):
        return f"HTTP {self.status} {self.body}"


class CscServer:
    """`kyso serve` on a free 127.0.0.1 port with the test PKI (OCSP, TSA), an admin token,
    debug logging, and stdout+stderr going to `log`."""

    def __init__(self, data: Path, *extra: str, port: int | None = None):
        self.data = data
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = data.parent / f"{data.name}-serve.log"
        self._log_file = self.log.open("wb")
        # Every PIN, password, OTP, SAD and token this server was given or gave out, for the
        # test that looks for them in its log.
        self.secrets: set[str] = {ADMIN_TOKEN}
        # The one-time codes among them: the demo outbox keeps delivered ones by design.
        self.otps: set[str] = set()
        self.process = subprocess.Popen(
            [str(KYSO), "serve", "--listen", f"127.0.0.1:{self.port}", "--data", str(data),
             "--pki", str(CERTS), "--public-url", self.base, *extra],
            stdout=self._log_file, stderr=subprocess.STDOUT, cwd=ROOT,
            env=kyso_env(KYSO_ADMIN_TOKEN=ADMIN_TOKEN),
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            if self.process.poll() is not None:
                raise RuntimeError("kyso serve exited: " + self.log.read_text(errors="replace"))
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("kyso serve did not answer /healthz within 60 s")
            time.sleep(0.1)

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log_file.close()

    # --- HTTP ---------------------------------------------------------------------------

    def request(self, method: str, path: str, body=None, *, token: str | None = None,
                basic: tuple[str, str] | None = None, raw: bytes | None = None,
                headers: dict | None = None) -> Reply:
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        if token is not None:
            all_headers["Authorization"] = f"Bearer {token}"
        if basic is not None:
            pair = base64.b64encode(f"{basic[0]}:{basic[1]}".encode()).decode()
            all_headers["Authorization"] = f"Basic {pair}"
        request = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers=all_headers)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                status, text, got = response.status, response.read(), response.headers
        except urllib.error.HTTPError as error:
            status, text, got = error.code, error.read(), error.headers
        try:
            parsed = json.loads(text) if text else {}
        except ValueError:
            parsed = {"_raw": text.decode(errors="replace")}
        return Reply(status, parsed, {k.lower(): v for k, v in got.items()})

    def post(self, path: str, body=None, **kw) -> Reply:
        return self.request("POST", path, body, **kw)

    # --- admin --------------------------------------------------------------------------

    def enroll(self, **fields) -> dict:
        self.secrets.update(v for k, v in fields.items() if k in ("pin", "password"))
        reply = self.post("/csc/admin/enroll", fields, token=ADMIN_TOKEN)
        assert reply.status == 201, reply
        if reply.body.get("totpUri"):
            self.secrets.add(Totp.from_uri(reply.body["totpUri"]).secret)
        return reply.body

    def unlock(self, credential: str) -> Reply:
        return self.post(f"/csc/admin/credentials/{credential}/unlock", token=ADMIN_TOKEN)

    def outbox(self, credential: str) -> list[dict]:
        reply = self.request("GET", f"/csc/admin/outbox?credential={credential}",
                             token=ADMIN_TOKEN)
        assert reply.status == 200, reply
        return reply.body["messages"]

    # --- user ---------------------------------------------------------------------------

    def login(self, user: str, password: str, version: str = "v2") -> str:
        self.secrets.add(password)
        reply = self.post(f"/csc/{version}/auth/login", basic=(user, password))
        assert reply.status == 200, reply
        self.secrets.add(reply.body["access_token"])
        return reply.body["access_token"]

    def delivered_code(self, token: str, credential: str, version: str = "v2") -> str:
        """Asks for a delivered code and reads it from the outbox (newest message first)."""
        path = "credentials/getChallenge" if version == "v2" else "credentials/sendOTP"
        reply = self.post(f"/csc/{version}/{path}", {"credentialID": credential}, token=token)
        assert reply.status == 200, reply
        newest = max(self.outbox(credential), key=lambda m: m["seq"])
        code = re.search(r"Mã OTP ký số của bạn: (\d+)", newest["message"]).group(1)
        self.secrets.add(code)
        self.otps.add(code)
        return code

    def authorize(self, token: str, credential: str, hashes: list[bytes], pin: str, otp: str,
                  version: str = "v2") -> Reply:
        b64 = [base64.b64encode(h).decode() for h in hashes]
        if version == "v2":
            body = {"credentialID": credential, "numSignatures": len(hashes), "hashes": b64,
                    "hashAlgorithmOID": SHA256,
                    "authData": [{"id": "PIN", "value": pin}, {"id": "OTP", "value": otp}]}
        else:
            body = {"credentialID": credential, "numSignatures": len(hashes), "hash": b64,
                    "PIN": pin, "OTP": otp}
        self.secrets.update((pin, otp))
        self.otps.add(otp)
        reply = self.post(f"/csc/{version}/credentials/authorize", body, token=token)
        if "SAD" in reply.body:
            self.secrets.add(reply.body["SAD"])
        return reply

    def sign_hash(self, token: str, credential: str, sad: str, hashes: list[bytes],
                  sign_algo: str = SHA256_WITH_RSA, params: bytes | None = None,
                  version: str = "v2") -> Reply:
        b64 = [base64.b64encode(h).decode() for h in hashes]
        body = {"credentialID": credential, "SAD": sad, "signAlgo": sign_algo}
        if version == "v2":
            body.update(hashes=b64, hashAlgorithmOID=SHA256)
        else:
            body.update(hash=b64, hashAlgo=SHA256)
        if params is not None:
            body["signAlgoParams"] = base64.b64encode(params).decode()
        return self.post(f"/csc/{version}/signatures/signHash", body, token=token)


def enroll_cli(data: Path, cccd: str, name: str, pin_file: Path, password_file: Path,
               public_url: str, *extra: str) -> subprocess.CompletedProcess:
    """`kyso ca enroll` on a data folder the server has not opened yet."""
    return subprocess.run(
        [str(KYSO), "ca", "enroll", "--cccd", cccd, "--name", name,
         "--pin-file", str(pin_file), "--password-file", str(password_file),
         "--data", str(data), "--pki", str(CERTS), "--public-url", public_url, *extra],
        capture_output=True, text=True, timeout=120, cwd=ROOT, env=kyso_env(),
    )


# --- asking the token directly (PKCS#11 through ctypes) ------------------------------------------

def probe_private_keys(module: str, label: str, user_pin: str) -> list[dict]:
    """Logs in to the token `label` and, for every private key, reads its CKA_SENSITIVE /
    CKA_EXTRACTABLE / CKA_ALWAYS_SENSITIVE / CKA_NEVER_EXTRACTABLE flags, tries to read its
    secret components (RSA: CKA_PRIVATE_EXPONENT, CKA_PRIME_1; EC: CKA_VALUE) and to export
    it wrapped under a fresh AES session key (CKM_AES_KEY_WRAP_PAD). Returns the PKCS#11
    return values, per key. Run it in a process of its own: SoftHSM2 reads SOFTHSM2_CONF at
    C_Initialize. Types and constants are PKCS#11 v2.40's (pkcs11t.h), for LP64 Linux."""
    import ctypes
    ulong = ctypes.c_ulong

    class Attribute(ctypes.Structure):
        _fields_ = [("type", ulong), ("value", ctypes.c_void_p), ("length", ulong)]

    class Mechanism(ctypes.Structure):
        _fields_ = [("mechanism", ulong), ("parameter", ctypes.c_void_p), ("length", ulong)]

    lib = ctypes.CDLL(module)

    def call(name, *args, ok=(0,)):
        rv = getattr(lib, name)(*args)
        if rv not in ok:
            raise RuntimeError(f"{name} returned 0x{rv:x}")
        return rv

    def template(*pairs):
        values = []
        attributes = (Attribute * len(pairs))()
        for i, (kind, value) in enumerate(pairs):
            if isinstance(value, bool):
                buffer = ctypes.c_ubyte(1 if value else 0)
            else:
                buffer = ulong(value)
            values.append(buffer)
            attributes[i] = Attribute(kind, ctypes.cast(ctypes.pointer(buffer), ctypes.c_void_p),
                                      ctypes.sizeof(buffer))
        return attributes, values

    CKA_CLASS, CKA_TOKEN, CKA_VALUE, CKA_KEY_TYPE = 0x0, 0x1, 0x11, 0x100
    CKA_SENSITIVE, CKA_WRAP, CKA_PRIVATE_EXPONENT, CKA_PRIME_1 = 0x103, 0x106, 0x123, 0x124
    CKA_VALUE_LEN, CKA_EXTRACTABLE = 0x161, 0x162
    CKA_NEVER_EXTRACTABLE, CKA_ALWAYS_SENSITIVE = 0x164, 0x165
    CKO_PRIVATE_KEY, CKO_SECRET_KEY, CKK_RSA, CKK_AES = 3, 4, 0x0, 0x1F
    CKM_AES_KEY_GEN, CKM_AES_KEY_WRAP_PAD = 0x1080, 0x210A

    call("C_Initialize", None)
    try:
        count = ulong()
        call("C_GetSlotList", ctypes.c_ubyte(1), None, ctypes.byref(count))
        slots = (ulong * count.value)()
        call("C_GetSlotList", ctypes.c_ubyte(1), slots, ctypes.byref(count))
        session = ulong()
        for slot in slots[:count.value]:
            info = ctypes.create_string_buffer(512)  # CK_TOKEN_INFO starts with label[32]
            call("C_GetTokenInfo", ulong(slot), info)
            if info.raw[:32].decode(errors="replace").rstrip() == label:
                call("C_OpenSession", ulong(slot), ulong(0x6), None, None, ctypes.byref(session))
                break
        else:
            raise RuntimeError(f"no token labelled {label}")
        pin = user_pin.encode()
        call("C_Login", session, ulong(1), ctypes.c_char_p(pin), ulong(len(pin)))

        wanted, keep = template((CKA_CLASS, CKO_PRIVATE_KEY))
        call("C_FindObjectsInit", session, wanted, ulong(1))
        handles = (ulong * 256)()
        found = ulong()
        call("C_FindObjects", session, handles, ulong(256), ctypes.byref(found))
        call("C_FindObjectsFinal", session)

        secret, keep2 = template((CKA_CLASS, CKO_SECRET_KEY), (CKA_KEY_TYPE, CKK_AES),
                                 (CKA_VALUE_LEN, 32), (CKA_WRAP, True), (CKA_TOKEN, False))
        wrapping = ulong()
        generate = Mechanism(CKM_AES_KEY_GEN, None, 0)
        call("C_GenerateKey", session, ctypes.byref(generate), secret, ulong(len(secret)),
             ctypes.byref(wrapping))

        keys = []
        for handle in handles[:found.value]:
            flags, keep3 = template((CKA_KEY_TYPE, 0xFFFF), (CKA_SENSITIVE, False),
                                    (CKA_EXTRACTABLE, True), (CKA_ALWAYS_SENSITIVE, False),
                                    (CKA_NEVER_EXTRACTABLE, False))
            call("C_GetAttributeValue", session, ulong(handle), flags, ulong(len(flags)))
            kind = keep3[0].value
            names = ["sensitive", "extractable", "always_sensitive", "never_extractable"]
            report = {"key_type": "rsa" if kind == CKK_RSA else f"0x{kind:x}"}
            report.update({name: bool(v.value) for name, v in zip(names, keep3[1:])})
            components = [CKA_PRIVATE_EXPONENT, CKA_PRIME_1] if kind == CKK_RSA else [CKA_VALUE]
            report["read"] = {}
            for component in components:
                probe = (Attribute * 1)(Attribute(component, None, 0))
                rv = lib.C_GetAttributeValue(session, ulong(handle), probe, ulong(1))
                report["read"][f"0x{component:x}"] = {"rv": rv, "length": probe[0].length}
            wrap = Mechanism(CKM_AES_KEY_WRAP_PAD, None, 0)
            length = ulong(0)
            report["wrap_rv"] = lib.C_WrapKey(session, ctypes.byref(wrap), wrapping,
                                              ulong(handle), None, ctypes.byref(length))
            report["wrapped_length"] = length.value
            keys.append(report)
        call("C_Logout", session)
        call("C_CloseSession", session)
        return keys
    finally:
        lib.C_Finalize(None)


if __name__ == "__main__":
    import sys
    if sys.argv[1:2] == ["probe-private-keys"]:
        print(json.dumps(probe_private_keys(*sys.argv[2:5])))
