"""Crash safety of digitize jobs: `kyso serve` is killed with SIGKILL at random moments while
jobs run, 20 times, and restarted on the same data folder each time. At the end nothing is
lost: every accepted upload's file is stored and hash-checks, every job is done, every
document's PDF hash-checks and passes `qpdf --check`, the blob folder holds no partial file
and nothing but the uploads and the documents (a retried job writes the very same bytes), and
the database passes its integrity check.

The scans are small (strips of a 200 dpi page) so a job takes about a second and the whole
test well under four minutes. A job interrupted by this many kills would fail by the
`--job-attempts` rule ("interrupted N times"); that rule is tested by the store's own tests,
so here it is raised above the number of kills and every job must end done."""

import hashlib
import io
import random
import re
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

import pytest
from PIL import Image

from apifixture import KysoServer, make_token
from cscfixture import ROOT

SAMPLE = ROOT / "samples" / "don-de-nghi-300dpi.png"
ROUNDS = 20
JOBS = 22
SHA256_NAME = re.compile(r"^[0-9a-f]{64}$")


def scans(count: int) -> list[bytes]:
    """`count` different one-page scans: horizontal strips of the sample page at 200 dpi."""
    page = Image.open(SAMPLE)
    width, height = page.size
    small = page.resize((width * 2 // 3, height * 2 // 3), Image.Resampling.LANCZOS)
    strip = small.height // 5
    made = []
    for index in range(count):
        top = (index * small.height // count) % (small.height - strip)
        out = io.BytesIO()
        small.crop((0, top, small.width, top + strip)).save(out, "PNG", dpi=(200, 200))
        made.append(out.getvalue())
    assert len({hashlib.sha256(s).hexdigest() for s in made}) == count
    return made


def blob_path(data: Path, sha256: str) -> Path:
    return data / "blobs" / sha256[:2] / sha256


def partial_files(data: Path) -> list[Path]:
    root = data / "blobs"
    if not root.exists():
        return []
    return [p for p in root.rglob("*") if p.is_file() and not SHA256_NAME.match(p.name)]


def test_kill_9_at_random_moments_loses_nothing(tmp_path):
    started = time.monotonic()
    rng = random.Random()
    seed = rng.randrange(1 << 32)
    rng.seed(seed)
    data = tmp_path / "data"
    counter = make_token(data, "counter", "Quầy một cửa")
    extra = ("--no-remote-signing", "--job-attempts", str(ROUNDS + 2), "--rate-limit", "0")
    inputs = scans(JOBS)

    server = KysoServer(data, *extra)
    dossier = server.create_dossier(counter)["id"]
    uploaded: dict[str, str] = {}  # job id -> sha256 of its scan
    kills_while_running = 0
    partial_seen = 0
    for round_ in range(ROUNDS):
        if round_ > 0:
            server = KysoServer(data, *extra)
        # Three jobs at first, then one more each round while they last: several are
        # queued while one runs, and the kills land on different jobs at different stages.
        for scan in inputs[len(uploaded):3 if round_ == 0 else len(uploaded) + 1]:
            name = f"trang-{len(uploaded) + 1}.png"
            reply = server.upload_scans(dossier, counter, [(name, scan)])
            assert reply.status == 202, reply
            uploaded[reply.json()["id"]] = hashlib.sha256(scan).hexdigest()
        # A random moment while a job runs: from its start to about a job's length later
        # (pages read upright at the first try take about a second here).
        deadline = time.monotonic() + 30
        while not any(j["state"] == "running" for j in
                      server.get(f"/api/dossiers/{dossier}/jobs", counter).json()["jobs"]):
            if time.monotonic() > deadline:
                break
            time.sleep(0.02)
        time.sleep(rng.uniform(0.0, 1.0))
        jobs = server.get(f"/api/dossiers/{dossier}/jobs", counter).json()["jobs"]
        kills_while_running += any(j["state"] == "running" for j in jobs)
        server.kill()
        partial_seen += len(partial_files(data))
        if round_ == ROUNDS // 2:
            # What a kill in the middle of writing a blob leaves (rarely hit by chance: the
            # window is a write and an fsync); the next start must remove it.
            half = inputs[0][:len(inputs[0]) // 2]
            planted = data / "blobs" / "00" / ".partial-killed"
            planted.parent.mkdir(parents=True, exist_ok=True)
            planted.write_bytes(half)

    # The last start: the rest of the queue runs to the end, then a clean stop.
    server = KysoServer(data, *extra)
    deadline = time.monotonic() + 180
    while True:
        jobs = server.get(f"/api/dossiers/{dossier}/jobs", counter).json()["jobs"]
        if all(j["state"] in ("done", "failed") for j in jobs):
            break
        assert time.monotonic() < deadline, jobs
        time.sleep(0.2)
    documents = {}
    for job in jobs:
        assert job["state"] == "done", job
        assert job["error"] is None and job["pages_done"] == job["pages_total"] == 1, job
        document = server.get(f"/api/documents/{job['document_id']}", counter).json()
        pdf = server.get(f"/api/documents/{job['document_id']}/pdf", counter)
        assert pdf.status == 200, pdf
        assert hashlib.sha256(pdf.body).hexdigest() == document["sha256"]
        documents[job["id"]] = document
    assert sorted(j["id"] for j in jobs) == sorted(uploaded)
    # Each job's followers get its end at once.
    last = jobs[-1]["id"]
    assert [name for name, _ in server.events(last, counter)] == ["done"]
    assert server.stop() == 0

    # On disk, with the server stopped: uploads and PDFs stored whole, nothing else.
    for sha256 in uploaded.values():
        assert hashlib.sha256(blob_path(data, sha256).read_bytes()).hexdigest() == sha256
    for document in documents.values():
        path = blob_path(data, document["sha256"])
        assert hashlib.sha256(path.read_bytes()).hexdigest() == document["sha256"]
        check = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
    assert partial_files(data) == []
    assert not (data / "blobs" / "00" / ".partial-killed").exists()
    stored = {p.name for p in (data / "blobs").rglob("*") if p.is_file()}
    expected = set(uploaded.values()) | {d["sha256"] for d in documents.values()}
    assert stored == expected, "files no row refers to: a retried job wrote different bytes"

    database = sqlite3.connect(f"file:{data / 'kyso.sqlite3'}?mode=ro", uri=True)
    assert database.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    rows = dict(database.execute(
        "SELECT j.id, u.sha256 FROM jobs j JOIN job_uploads ju ON ju.job_id = j.id "
        "JOIN uploads u ON u.id = ju.upload_id"))
    assert rows == uploaded
    documents_rows = database.execute("SELECT count(*) FROM documents").fetchone()[0]
    assert documents_rows == len(uploaded), "a job made more than one document"
    attempts = sum(j["attempts"] for j in jobs)
    database.close()

    elapsed = time.monotonic() - started
    print(f"\ncrash test: seed {seed}, {ROUNDS} kills ({kills_while_running} while a job "
          f"ran), {len(jobs)} jobs done in {attempts} attempts, {partial_seen} partial files "
          f"left by the kills (one more planted; all swept), {elapsed:.0f} s")
    assert kills_while_running >= ROUNDS // 2, "the kills did not hit running jobs"
    assert attempts > len(jobs), "no job was ever interrupted"


def wait_for(server: KysoServer, dossier: str, token: str, ready, timeout: float = 60) -> list:
    deadline = time.monotonic() + timeout
    while True:
        jobs = server.get(f"/api/dossiers/{dossier}/jobs", token).json()["jobs"]
        if ready(jobs):
            return jobs
        assert time.monotonic() < deadline, jobs
        time.sleep(0.02)


def test_sigterm_finishes_the_running_job_and_keeps_the_queue(tmp_path):
    data = tmp_path / "data"
    counter = make_token(data, "counter")
    first, second = scans(2)
    server = KysoServer(data, "--no-remote-signing")
    dossier = server.create_dossier(counter)["id"]
    ids = [server.upload_scans(dossier, counter, [(f"trang-{n}.png", scan)]).json()["id"]
           for n, scan in enumerate((first, second), 1)]
    wait_for(server, dossier, counter, lambda jobs: jobs[0]["state"] == "running")
    # A follower of the queued job: its stream closes when the server stops.
    followed = []
    follower = threading.Thread(target=lambda: followed.extend(server.events(ids[1], counter)))
    follower.start()
    time.sleep(0.2)
    assert server.stop() == 0
    follower.join(timeout=10)
    assert not follower.is_alive()
    assert followed and all(name == "progress" for name, _ in followed), followed

    # The running job was finished before the exit; the queued one was not started.
    server = KysoServer(data, "--no-remote-signing", "--job-workers", "1")
    job = server.get(f"/api/jobs/{ids[0]}", counter).json()
    assert (job["state"], job["attempts"]) == ("done", 1), job
    # With no time to wait, a running job goes back to the queue, the attempt not counted.
    wait_for(server, dossier, counter, lambda jobs: jobs[1]["state"] == "running")
    server.kill()
    server = KysoServer(data, "--no-remote-signing", "--job-drain-seconds", "0")
    jobs = wait_for(server, dossier, counter, lambda jobs: jobs[1]["state"] == "running")
    assert jobs[1]["attempts"] == 2, jobs  # one interrupted by the kill, this one
    started = time.monotonic()
    assert server.stop() == 0
    assert time.monotonic() - started < 5
    server = KysoServer(data, "--no-remote-signing")
    jobs = wait_for(server, dossier, counter, lambda jobs: jobs[1]["state"] == "done")
    assert jobs[1]["attempts"] == 2, jobs
    assert server.stop() == 0


if __name__ == "__main__":
    raise SystemExit(pytest.main(["-q", "-s", __file__]))
