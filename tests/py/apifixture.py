"""The dossier API around a real `kyso serve`: the server on a free 127.0.0.1 port with its own
data folder and the test PKI, bearer tokens made with `kyso token add --json`, JSON and
multipart calls, and server-sent events read to the end."""

import json
import signal
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from cscfixture import CERTS, KYSO, ROOT, free_port, kyso_env


def make_token(data: Path, role: str, name: str | None = None, cccd: str | None = None) -> str:
    """A bearer token for `role` in the data folder `data` (works with or without a server)."""
    command = [str(KYSO), "token", "add", "--data", str(data), "--role", role,
               "--name", name or role, "--json"]
    if cccd is not None:
        command += ["--cccd", cccd]
    made = subprocess.run(command, check=True, capture_output=True, env=kyso_env(), cwd=ROOT)
    return json.loads(made.stdout)["token"]


def multipart(files: list[tuple[str, bytes]], fields: dict[str, str] | None = None
              ) -> tuple[str, bytes]:
    """A multipart/form-data body: text `fields`, then one part named `file` per file."""
    boundary = "kyso-" + uuid.uuid4().hex
    body = bytearray()
    for name, value in (fields or {}).items():
        body += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n"
                 f"{value}\r\n").encode()
    for name, data in files:
        body += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
                 f"filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                 ).encode()
        body += data + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return f"multipart/form-data; boundary={boundary}", bytes(body)


@dataclass
class Reply:
    status: int
    body: bytes
    headers: dict = field(default_factory=dict)

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return f"HTTP {self.status} {self.body[:500]!r}"


class KysoServer:
    """`kyso serve` on a free 127.0.0.1 port over the data folder `data`, with the test PKI;
    its output goes to `<data>-serve.log` (appended across restarts)."""

    def __init__(self, data: Path, *extra: str, port: int | None = None):
        self.data = data
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = data.parent / f"{data.name}-serve.log"
        self._log_file = self.log.open("ab")
        self.process = subprocess.Popen(
            [str(KYSO), "serve", "--listen", f"127.0.0.1:{self.port}", "--data", str(data),
             "--pki", str(CERTS), *extra],
            stdout=self._log_file, stderr=subprocess.STDOUT, cwd=ROOT, env=kyso_env(),
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
                self._log_file.close()
                raise RuntimeError("kyso serve exited: " + self.log.read_text(errors="replace"))
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError("kyso serve did not answer /healthz within 60 s")
            time.sleep(0.05)

    def kill(self):
        """SIGKILL: the crash no code can react to."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        self._log_file.close()

    def stop(self, timeout: float = 60) -> int:
        """SIGTERM, then the exit code (SIGKILL after `timeout` seconds)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log_file.close()
        return self.process.returncode

    # --- HTTP ---------------------------------------------------------------------------

    def request(self, method: str, path: str, *, token: str | None = None, json_body=None,
                raw: bytes | None = None, content_type: str | None = None,
                timeout: float = 60) -> Reply:
        headers = {}
        data = raw
        if json_body is not None:
            data = json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
        if content_type is not None:
            headers["Content-Type"] = content_type
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                status, body, got = response.status, response.read(), response.headers
        except urllib.error.HTTPError as error:
            status, body, got = error.code, error.read(), error.headers
        return Reply(status, body, {k.lower(): v for k, v in got.items()})

    def get(self, path: str, token: str | None = None, **kw) -> Reply:
        return self.request("GET", path, token=token, **kw)

    def post_json(self, path: str, body, token: str | None = None) -> Reply:
        return self.request("POST", path, token=token, json_body=body)

    def create_dossier(self, token: str, cccd: str = "001089012345",
                       name: str = "Nguyễn Văn An", procedure: str = "2.000488") -> dict:
        reply = self.post_json("/api/dossiers", {"procedure_code": procedure,
                                                 "applicant_name": name,
                                                 "applicant_cccd": cccd}, token)
        assert reply.status == 201, reply
        return reply.json()

    def upload_scans(self, dossier: str, token: str, files: list[tuple[str, bytes]],
                     **fields: str) -> Reply:
        content_type, body = multipart(files, fields)
        return self.request("POST", f"/api/dossiers/{dossier}/scans", token=token, raw=body,
                            content_type=content_type)

    def events(self, job: str, token: str, timeout: float = 300) -> list[tuple[str, dict]]:
        """The events of a job's stream until the server closes it: (name, Job)."""
        request = urllib.request.Request(f"{self.base}/api/jobs/{job}/events",
                                         headers={"Authorization": f"Bearer {token}"})
        events, name, data = [], "message", []
        with urllib.request.urlopen(request, timeout=timeout) as response:
            assert response.headers["Content-Type"].startswith("text/event-stream")
            for raw in response:
                line = raw.decode().rstrip("\r\n")
                if line.startswith("event:"):
                    name = line[6:].strip()
                elif line.startswith("data:"):
                    data.append(line[5:].strip())
                elif not line and data:
                    events.append((name, json.loads("\n".join(data))))
                    name, data = "message", []
        return events
