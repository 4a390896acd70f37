#!/usr/bin/env python3
"""Load on `kyso serve` over loopback with wrk: `POST /api/verify` (a signed B-LT PDF, offline,
so it measures kyso and not the network) and the officer's `POST /api/documents/{id}/sign`
(level B-B with the agency key, spread over many result documents), each at 50 concurrent
connections, plus the same requests one at a time on a single connection for comparison.

Prints, per scenario, requests per second, p50 and p99 latency, and the errors (answers that
are not 2xx/3xx, and socket errors: connect, read, write, timeout). Exits non-zero when a
scenario had errors or the sign route is missing.

    .venv/bin/python benches/api_load.py [--duration 15] [--connections 50] [--documents 200]

It builds the release binary first (`cargo build --release`; `--no-build` to skip) and needs
`wrk` (Debian package `wrk`; installed with apt-get when missing and allowed)."""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "py"))
from cscfixture import free_port, kyso_env  # noqa: E402

KYSO = ROOT / "target" / "release" / "kyso"
SIGNED_PDF = ROOT / "tests" / "corpus" / "verify" / "kyso-b-lt.pdf"
RESULT_PDF = ROOT / "samples" / "ket-qua-quyet-dinh.pdf"

# wrk calls done() once at the end; it prints one JSON line the script reads back.
REPORT_LUA = r"""
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\nKYSO-RESULT {"requests": %d, "duration_us": %d, "status": %d, "connect": %d, ' ..
    '"read": %d, "write": %d, "timeout": %d, "p50_us": %d, "p99_us": %d, "mean_us": %.1f, ' ..
    '"max_us": %d}\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.mean, latency.max))
end
"""

VERIFY_LUA = r"""
local file = assert(io.open(os.getenv("KYSO_BENCH_PDF"), "rb"))
wrk.method = "POST"
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = "application/pdf"
""" + REPORT_LUA

# Each wrk thread signs its own share of the documents (thread t takes ids t, t+T, t+2T, …),
# round robin, so no two connections sign the same document at the same moment.
SIGN_LUA = r"""
local ids = {}
for id in io.lines(os.getenv("KYSO_BENCH_IDS")) do ids[#ids + 1] = id end
local threads = {}
local count = 0

function setup(thread)
  thread:set("tid", count)
  count = count + 1
  threads[#threads + 1] = thread
end

function init(args)
  mine = {}
  for i = tid + 1, #ids, count_of_threads do mine[#mine + 1] = ids[i] end
  next_index = 0
  headers = {["Content-Type"] = "application/json",
             ["Authorization"] = "Bearer " .. os.getenv("KYSO_BENCH_TOKEN")}
  body = '{"level": "b-b"}'
end

function request()
  next_index = next_index % #mine + 1
  return wrk.format("POST", "/api/documents/" .. mine[next_index] .. "/sign", headers, body)
end
""" + REPORT_LUA


def find_wrk() -> str:
    """`wrk` on PATH, else installed from Debian (as root, or with passwordless sudo)."""
    found = shutil.which("wrk")
    if found:
        return found
    install = ["apt-get", "install", "-y", "wrk"]
    if os.geteuid() != 0:
        install = ["sudo", "-n", *install]
    print("wrk is missing; installing the Debian package:", " ".join(install), flush=True)
    done = subprocess.run(install, capture_output=True, text=True)
    if done.returncode != 0:
        update = ["apt-get", "update"] if os.geteuid() == 0 else ["sudo", "-n", "apt-get",
                                                                   "update"]
        subprocess.run(update, capture_output=True)
        done = subprocess.run(install, capture_output=True, text=True)
    found = shutil.which("wrk")
    if not found:
        sys.exit(f"cannot install wrk: {done.stderr.strip()}")
    return found


def request(base: str, method: str, path: str, body: bytes | None = None,
            token: str | None = None, content_type: str | None = None) -> tuple[int, dict]:
    headers = {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if content_type:
        headers["Content-Type"] = content_type
    req = urllib.request.Request(base + path, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=120) as response:
            status, text = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read()
    try:
        return status, json.loads(text) if text else {}
    except ValueError:
        return status, {"_raw": text[:200].decode(errors="replace")}


def issue_token(data: Path, role: str) -> str:
    done = subprocess.run([str(KYSO), "token", "add", "--data", str(data), "--role", role,
                           "--name", f"bench {role}", "--json"],
                          capture_output=True, text=True, check=True, env=kyso_env())
    return json.loads(done.stdout)["token"]


class Server:
    def __init__(self, data: Path, port: int):
        self.base = f"http://127.0.0.1:{port}"
        self.log = (data.parent / "serve.log").open("wb")
        # Info logging, as a deployment runs it; a debug log would measure the logger.
        env = kyso_env(KYSO_LOG="info", RUST_LOG="info")
        self.process = subprocess.Popen(
            [str(KYSO), "serve", "--listen", f"127.0.0.1:{port}", "--data", str(data),
             "--pki", str(ROOT / "certs"), "--rate-limit", "0"],
            stdout=self.log, stderr=subprocess.STDOUT, cwd=ROOT, env=env)
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                sys.exit("kyso serve did not start; see " + str(data.parent / "serve.log"))
            time.sleep(0.1)

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def run_wrk(wrk: str, url: str, script: Path, env: dict, connections: int, threads: int,
            seconds: int) -> dict:
    command = [wrk, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s",
               "--latency", "-s", str(script), url]
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, **env})
    line = next((l for l in done.stdout.splitlines() if l.startswith("KYSO-RESULT ")), None)
    if done.returncode != 0 or line is None:
        sys.exit(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    result = json.loads(line.removeprefix("KYSO-RESULT "))
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    result["socket_errors"] = sum(result[k] for k in ("connect", "read", "write", "timeout"))
    result["errors"] = result["status"] + result["socket_errors"]
    result["command"] = " ".join(command[:-2] + [script.name, url])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=15, help="seconds per loaded run")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--documents", type=int, default=2000,
                        help="result documents the sign scenario rotates over (enough that "
                             "each is signed about once, as an officer does)")
    parser.add_argument("--sequential", type=int, default=5,
                        help="seconds of one-connection runs (the single-request latency)")
    parser.add_argument("--no-build", action="store_true")
    args = parser.parse_args()

    if not args.no_build:
        subprocess.run(["cargo", "build", "--release"], cwd=ROOT, check=True)
    wrk = find_wrk()
    version = subprocess.run([wrk, "-v"], capture_output=True, text=True)
    wrk_version = " ".join((version.stdout + version.stderr).split()[:2])

    # Other work on the machine skews the numbers; the 1-minute load average says how much.
    load_before = os.getloadavg()[0]
    work = Path(tempfile.mkdtemp(prefix="kyso-api-load-"))
    data = work / "data"
    officer = issue_token(data, "officer")
    counter = issue_token(data, "counter")
    server = Server(data, free_port())
    rows = []
    failed = False
    try:
        verify_lua = work / "verify.lua"
        verify_lua.write_text(VERIFY_LUA)
        verify_env = {"KYSO_BENCH_PDF": str(SIGNED_PDF)}
        status, report = request(server.base, "POST", "/api/verify?offline=true",
                                 SIGNED_PDF.read_bytes(), content_type="application/pdf")
        if status != 200 or report.get("indication") != "TOTAL_PASSED":
            sys.exit(f"verify does not answer TOTAL_PASSED for {SIGNED_PDF.name}: "
                     f"{status} {report}")
        url = f"{server.base}/api/verify?offline=true"
        print(f"verify: {SIGNED_PDF.name}, {args.connections} connections, "
              f"{args.duration} s", flush=True)
        loaded = run_wrk(wrk, url, verify_lua, verify_env, args.connections, args.threads,
                         args.duration)
        single = run_wrk(wrk, url, verify_lua, verify_env, 1, 1, args.sequential)
        rows.append(("POST /api/verify (kyso-b-lt.pdf, offline)", loaded, single))

        # The sign scenario: a dossier with many result documents to sign.
        status, dossier = request(server.base, "POST", "/api/dossiers", json.dumps(
            {"procedure_code": "2.000488", "applicant_name": "Nguyễn Văn An",
             "applicant_cccd": "001089012345"}).encode(), counter, "application/json")
        assert status == 201, (status, dossier)
        pdf = RESULT_PDF.read_bytes()
        ids = []
        for _ in range(args.documents):
            status, document = request(server.base, "POST",
                                       f"/api/dossiers/{dossier['id']}/results", pdf, officer,
                                       "application/pdf")
            assert status == 201, (status, document)
            ids.append(document["id"])
        status, answer = request(server.base, "POST", f"/api/documents/{ids[0]}/sign",
                                 b'{"level": "b-b"}', officer, "application/json")
        if status != 200:
            print(f"the officer sign route does not work here: HTTP {status} {answer}",
                  file=sys.stderr)
            failed = True
        else:
            ids_file = work / "ids.txt"
            ids_file.write_text("\n".join(ids) + "\n")
            sign_lua = work / "sign.lua"
            sign_lua.write_text(SIGN_LUA.replace("count_of_threads", str(args.threads)))
            sign_env = {"KYSO_BENCH_IDS": str(ids_file), "KYSO_BENCH_TOKEN": officer}
            print(f"sign: {len(ids)} documents, {args.connections} connections, "
                  f"{args.duration} s", flush=True)
            loaded = run_wrk(wrk, server.base, sign_lua, sign_env, args.connections,
                             args.threads, args.duration)
            # One thread for the single connection: its share is every document.
            sign_one = work / "sign-one.lua"
            sign_one.write_text(SIGN_LUA.replace("count_of_threads", "1"))
            single = run_wrk(wrk, server.base, sign_one, sign_env, 1, 1, args.sequential)
            versions = []
            for document in ids[:: max(1, len(ids) // 20)]:
                status, row = request(server.base, "GET", f"/api/documents/{document}",
                                      token=officer)
                versions.append(row.get("version", 0) - 1)
            rows.append((f"POST /api/documents/{{id}}/sign (b-b, {len(ids)} documents)",
                         loaded, single))
            print(f"signatures per document afterwards (a sample of {len(versions)}): "
                  f"{min(versions)}–{max(versions)}")
    finally:
        server.stop()

    print()
    print(f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, "
          f"{wrk_version}, release build, --rate-limit 0, loopback; load average before: "
          f"{load_before:.2f}")
    print()
    print(f"| scenario | conns | req/s | p50 ms | p99 ms | errors | 1 conn req/s | "
          f"1 conn p50 ms | 1 conn p99 ms |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, loaded, single in rows:
        print(f"| {name} | {args.connections} | {loaded['rps']:.0f} | "
              f"{loaded['p50_us'] / 1000:.1f} | {loaded['p99_us'] / 1000:.1f} | "
              f"{loaded['errors']} ({loaded['status']} non-2xx, {loaded['socket_errors']} "
              f"socket) | {single['rps']:.0f} | {single['p50_us'] / 1000:.1f} | "
              f"{single['p99_us'] / 1000:.1f} |")
        failed |= loaded["errors"] > 0 or single["errors"] > 0
    print()
    for name, loaded, single in rows:
        print(f"{name}: {loaded['command']}")
    if failed:
        print(f"kept for a look: {work} (server log: {work / 'serve.log'})")
        return 1
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
