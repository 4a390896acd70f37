//! Scan uploads and digitize jobs over real HTTP: `kyso serve` as a process on 127.0.0.1,
//! the counter uploads a sample scan, follows the job as server-sent events, downloads the
//! PDF/A and finds the page by a word of its OCR text; wrong roles and bad uploads are
//! refused with the documented status.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{kyso, repo_root, run, stderr, stdout};

const SAMPLE: &str = "samples/don-de-nghi-300dpi.png";
const CCCD: &str = "001089012345";
const OTHER_CCCD: &str = "079195004321";

/// `kyso serve` on a free port with its own data folder and the test PKI.
struct Service {
    child: Child,
    base: String,
    agent: ureq::Agent,
    data: tempfile::TempDir,
    counter: String,
    officer: String,
    citizen: String,
    stranger: String,
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn token(data: &Path, role: &str, cccd: Option<&str>) -> String {
    let mut command = kyso();
    command.args(["token", "add", "--data"]).arg(data);
    command.args(["--role", role, "--name", role, "--json"]);
    if let Some(cccd) = cccd {
        command.args(["--cccd", cccd]);
    }
    let output = run(&mut command);
    assert!(output.status.success(), "{}", stderr(&output));
    let made: Value = serde_json::from_str(&stdout(&output)).expect("token JSON");
    made["token"].as_str().expect("token").to_owned()
}

/// A reply: status and body bytes.
struct Reply {
    status: u16,
    body: Vec<u8>,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|_| {
            panic!(
                "HTTP {} not JSON: {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

/// Starts `kyso serve` on `data` and returns it with its base address once it listens.
fn spawn(data: &Path) -> (Child, String) {
    // Port 0: the system picks a free port in its ephemeral range (above 32767), which the
    // service logs.
    let mut child = kyso()
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--no-remote-signing",
            "--data",
        ])
        .arg(data)
        .arg("--pki")
        .arg(repo_root().join("certs"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kyso serve starts");
    let lines = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(lines).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let address = loop {
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("kyso serve logs its address within 30 s");
        if let Some(rest) = line.split("listening on http://").nth(1) {
            break rest.trim().to_owned();
        }
    };
    (child, format!("http://{address}"))
}

impl Service {
    fn start() -> Service {
        let data = tempfile::tempdir().unwrap();
        let counter = token(data.path(), "counter", None);
        let officer = token(data.path(), "officer", None);
        let citizen = token(data.path(), "citizen", Some(CCCD));
        let stranger = token(data.path(), "citizen", Some(OTHER_CCCD));
        let (child, base) = spawn(data.path());
        Service {
            child,
            base,
            agent: kyso::net::agent(Duration::from_secs(120), 0),
            data,
            counter,
            officer,
            citizen,
            stranger,
        }
    }

    /// Stops the service and starts it again on the same data folder.
    fn restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        (self.child, self.base) = spawn(self.data.path());
    }

    /// The names of the files in the blob folder.
    fn blobs(&self) -> Vec<String> {
        let root = self.data.path().join("blobs");
        let mut names = Vec::new();
        for folder in std::fs::read_dir(root).into_iter().flatten().flatten() {
            for entry in std::fs::read_dir(folder.path())
                .into_iter()
                .flatten()
                .flatten()
            {
                names.push(entry.file_name().to_string_lossy().into_owned());
            }
        }
        names.sort();
        names
    }

    fn read(response: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Reply {
        let mut response = response.expect("HTTP exchange");
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .with_config()
            .limit(100 * 1024 * 1024)
            .read_to_vec()
            .unwrap();
        Reply { status, body }
    }

    fn get(&self, path: &str, token: &str) -> Reply {
        Self::read(
            self.agent
                .get(format!("{}{path}", self.base))
                .header("Authorization", format!("Bearer {token}"))
                .call(),
        )
    }

    fn post(&self, path: &str, token: Option<&str>, content_type: &str, body: &[u8]) -> Reply {
        let mut request = self
            .agent
            .post(format!("{}{path}", self.base))
            .header("Content-Type", content_type);
        if let Some(token) = token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        Self::read(request.send(body))
    }

    fn create_dossier(&self, cccd: &str) -> String {
        let body = json!({"procedure_code": "2.000488", "applicant_name": "Nguyễn Văn An",
                          "applicant_cccd": cccd});
        let reply = self.post(
            "/api/dossiers",
            Some(&self.counter),
            "application/json",
            body.to_string().as_bytes(),
        );
        assert_eq!(
            reply.status,
            201,
            "{}",
            String::from_utf8_lossy(&reply.body)
        );
        reply.json()["id"].as_str().unwrap().to_owned()
    }

    fn upload(&self, dossier: &str, token: &str, parts: &[Part<'_>]) -> Reply {
        let (content_type, body) = multipart(parts);
        self.post(
            &format!("/api/dossiers/{dossier}/scans"),
            Some(token),
            &content_type,
            &body,
        )
    }

    /// The events of a job's stream until the server closes it: (name, Job JSON).
    fn events(&self, job: &str, token: &str) -> Vec<(String, Value)> {
        let mut response = self
            .agent
            .get(format!("{}/api/jobs/{job}/events", self.base))
            .header("Authorization", format!("Bearer {token}"))
            .call()
            .expect("event stream");
        assert_eq!(response.status().as_u16(), 200);
        let content_type = response.headers()["content-type"].to_str().unwrap();
        assert!(
            content_type.starts_with("text/event-stream"),
            "{content_type}"
        );
        let reader = BufReader::new(response.body_mut().as_reader());
        let mut events = Vec::new();
        let (mut name, mut data) = (String::new(), String::new());
        for line in reader.lines() {
            let line = line.expect("event stream line");
            if let Some(value) = line.strip_prefix("event:") {
                name = value.trim().to_owned();
            } else if let Some(value) = line.strip_prefix("data:") {
                data.push_str(value.trim());
            } else if line.is_empty() && !data.is_empty() {
                let job = serde_json::from_str(&data).expect("event data is JSON");
                events.push((std::mem::take(&mut name), job));
                data.clear();
            }
        }
        events
    }
}

/// One part of a multipart/form-data body.
enum Part<'a> {
    File(&'a str, &'a [u8]),
    Text(&'a str, &'a str),
}

fn multipart(parts: &[Part<'_>]) -> (String, Vec<u8>) {
    let boundary = "kyso-test-boundary-7d1f0c";
    let mut body = Vec::new();
    for part in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match part {
            Part::File(name, bytes) => {
                body.extend_from_slice(
                    format!(
                        "Content-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
                         Content-Type: application/octet-stream\r\n\r\n"
                    )
                    .as_bytes(),
                );
                body.extend_from_slice(bytes);
            }
            Part::Text(name, value) => {
                body.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}")
                        .as_bytes(),
                );
            }
        }
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

fn sha256_hex(bytes: &[u8]) -> String {
    openssl::sha::sha256(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn scans_become_a_searchable_pdf_followed_over_server_sent_events() {
    let service = Service::start();
    let dossier = service.create_dossier(CCCD);
    let scan = std::fs::read(repo_root().join(SAMPLE)).unwrap();

    // Two jobs: the second waits while the first runs, so its stream shows it queued,
    // then running page by page, then done.
    let first = service.upload(
        &dossier,
        &service.counter,
        &[
            Part::File("trang-1.png", &scan),
            Part::Text("deskew", "false"),
        ],
    );
    assert_eq!(
        first.status,
        202,
        "{}",
        String::from_utf8_lossy(&first.body)
    );
    let first = first.json();
    assert_eq!(first["state"], "queued");
    assert_eq!(first["pages_total"], Value::Null);
    assert_eq!(first["dossier_id"], dossier.as_str());
    let second = service.upload(
        &dossier,
        &service.counter,
        &[
            Part::Text("title", "Đơn đề nghị cấp bản sao"),
            Part::File("don-de-nghi.png", &scan),
        ],
    );
    assert_eq!(second.status, 202);
    let job_id = second.json()["id"].as_str().unwrap().to_owned();

    let events = service.events(&job_id, &service.counter);
    let names: Vec<&str> = events.iter().map(|(name, _)| name.as_str()).collect();
    let (last, progress) = names.split_last().expect("some events");
    assert_eq!(*last, "done", "{names:?}");
    assert!(!progress.is_empty(), "no progress before done: {names:?}");
    assert!(progress.iter().all(|n| *n == "progress"), "{names:?}");
    let states: Vec<&str> = events
        .iter()
        .map(|(_, job)| job["state"].as_str().unwrap())
        .collect();
    assert!(states.contains(&"running"), "{states:?}");
    // Progress only moves forward, and each event is a change.
    for pair in events.windows(2) {
        assert_ne!(pair[0].1, pair[1].1, "an event repeated the job unchanged");
        assert!(pair[0].1["pages_done"].as_u64() <= pair[1].1["pages_done"].as_u64());
    }
    let done = &events.last().unwrap().1;
    assert_eq!(done["id"], job_id.as_str());
    assert_eq!(
        (done["pages_done"].as_u64(), done["pages_total"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(done["attempts"], 1);
    assert_eq!(done["error"], Value::Null);
    let document_id = done["document_id"]
        .as_str()
        .expect("document_id")
        .to_owned();

    // The job as read, and a finished job's stream: one final event at once.
    let read = service.get(&format!("/api/jobs/{job_id}"), &service.counter);
    assert_eq!((read.status, &read.json()), (200, done));
    let again = service.events(&job_id, &service.counter);
    assert_eq!(again.len(), 1);
    assert_eq!((again[0].0.as_str(), &again[0].1), ("done", done));

    // The document: digitized, titled, one page; its PDF matches its SHA-256.
    let document = service.get(&format!("/api/documents/{document_id}"), &service.counter);
    assert_eq!(document.status, 200);
    let document = document.json();
    assert_eq!(document["kind"], "digitized");
    assert_eq!(document["title"], "Đơn đề nghị cấp bản sao");
    assert_eq!(document["pages"], 1);
    assert_eq!(document["last_action"], "digitize");
    let pdf = service.get(
        &format!("/api/documents/{document_id}/pdf"),
        &service.counter,
    );
    assert_eq!(pdf.status, 200);
    assert!(pdf.body.starts_with(b"%PDF-"));
    assert_eq!(sha256_hex(&pdf.body), document["sha256"].as_str().unwrap());
    assert_eq!(pdf.body.len() as u64, document["size"].as_u64().unwrap());

    // The first job made its own document from the same scan.
    let jobs = service.get(&format!("/api/dossiers/{dossier}/jobs"), &service.counter);
    assert_eq!(jobs.status, 200);
    let jobs = jobs.json()["jobs"].as_array().unwrap().clone();
    let ids: Vec<&str> = jobs.iter().map(|j| j["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [first["id"].as_str().unwrap(), job_id.as_str()]);
    assert!(jobs.iter().all(|j| j["state"] == "done"), "{jobs:?}");

    // Search finds the page by words of its OCR text, diacritics optional.
    let hits = service.get(
        "/api/dossiers?q=%C4%91%E1%BB%81%20ngh%E1%BB%8B",
        &service.officer,
    );
    assert_eq!(hits.status, 200);
    let hits = hits.json()["hits"].as_array().unwrap().clone();
    assert!(
        hits.iter()
            .any(|h| h["document_id"] == document_id.as_str() && h["page"] == 1),
        "{hits:?}"
    );
    let plain = service
        .get("/api/dossiers?q=cap%20ban%20sao", &service.counter)
        .json();
    assert!(!plain["hits"].as_array().unwrap().is_empty(), "{plain}");

    // The applicant sees the job; another citizen learns nothing about it.
    assert_eq!(
        service
            .get(&format!("/api/jobs/{job_id}"), &service.citizen)
            .status,
        200
    );
    for path in [
        format!("/api/jobs/{job_id}"),
        format!("/api/jobs/{job_id}/events"),
        format!("/api/dossiers/{dossier}/jobs"),
    ] {
        let reply = service.get(&path, &service.stranger);
        assert_eq!(reply.status, 404, "{path}");
    }
    assert_eq!(service.get("/api/jobs/0123", &service.counter).status, 404);
}

#[test]
fn uploads_are_refused_with_the_documented_status_and_bad_scans_fail_with_words() {
    let mut service = Service::start();
    let dossier = service.create_dossier(CCCD);
    let scan = std::fs::read(repo_root().join(SAMPLE)).unwrap();
    // Refusals that come before the body is read get a small body: a client still sending
    // a large one when the answer comes may see the connection close instead.
    let tiny = b"\x89PNG\r\n\x1a\n-not-read-";
    let good = [Part::File("trang-1.png", tiny)];

    // Only the counter (and admin) upload.
    for token in [&service.officer, &service.citizen] {
        let reply = service.upload(&dossier, token, &good);
        assert_eq!(
            reply.status,
            403,
            "{}",
            String::from_utf8_lossy(&reply.body)
        );
        assert_eq!(reply.json()["error"], "forbidden");
    }
    let (content_type, body) = multipart(&good);
    let path = format!("/api/dossiers/{dossier}/scans");
    assert_eq!(service.post(&path, None, &content_type, &body).status, 401);
    let unknown = service.upload("0000", &service.counter, &good);
    assert_eq!(unknown.status, 404);

    // A file that is no scan, named in the answer.
    let text = service.upload(
        &dossier,
        &service.counter,
        &[
            Part::File("trang-1.png", &scan),
            Part::File("ghi-chu.txt", b"ghi chu: day khong phai anh quet"),
        ],
    );
    assert_eq!(text.status, 415);
    let words = text.json()["error_description"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(words.contains("file 2 (ghi-chu.txt)"), "{words}");
    // The first file was stored before the second was refused; nothing refers to it, and
    // the next start removes it.
    let orphan = sha256_hex(&scan);
    assert_eq!(service.blobs(), std::slice::from_ref(&orphan));
    service.restart();
    // The server answers only once its start-up (the sweep included) is done.
    assert_eq!(service.get("/healthz", &service.counter).status, 200);
    assert_eq!(service.blobs(), Vec::<String>::new());

    // No file, an empty file, an unknown part, a broken body, not multipart at all.
    let none = service.upload(&dossier, &service.counter, &[Part::Text("title", "Đơn")]);
    assert_eq!(none.status, 400);
    assert!(
        none.json()["error_description"]
            .as_str()
            .unwrap()
            .contains("no scan")
    );
    let empty = service.upload(&dossier, &service.counter, &[Part::File("a.png", b"")]);
    assert_eq!(empty.status, 400);
    let odd = service.upload(&dossier, &service.counter, &[Part::Text("page", "1")]);
    assert_eq!(odd.status, 400);
    // Refused at the first part with a large file still to come: the server reads the rest
    // of the body, so the client gets the answer instead of a closed connection.
    let skew = service.upload(
        &dossier,
        &service.counter,
        &[Part::Text("deskew", "maybe"), Part::File("a.png", &scan)],
    );
    assert_eq!(skew.status, 400);
    let cut = &body[..body.len() / 2];
    let broken = service.post(&path, Some(&service.counter), &content_type, cut);
    assert_eq!(
        broken.status,
        400,
        "{}",
        String::from_utf8_lossy(&broken.body)
    );
    assert_eq!(broken.json()["error"], "invalid_request");
    let no_boundary = service.post(&path, Some(&service.counter), "multipart/form-data", &body);
    assert_eq!(no_boundary.status, 400);
    let json_body = service.post(&path, Some(&service.counter), "application/json", b"{}");
    assert_eq!(json_body.status, 415);

    // Nothing was queued by the refused uploads.
    let jobs = service.get(&format!("/api/dossiers/{dossier}/jobs"), &service.counter);
    assert_eq!(jobs.json()["jobs"], json!([]));

    // A PDF with real text passes the upload check but is no scan: the job fails and says
    // why, naming the file.
    let born_digital = std::fs::read(repo_root().join("samples/ket-qua-quyet-dinh.pdf")).unwrap();
    let queued = service.upload(
        &dossier,
        &service.counter,
        &[Part::File("quyet-dinh.pdf", &born_digital)],
    );
    assert_eq!(queued.status, 202);
    let job = queued.json()["id"].as_str().unwrap().to_owned();
    let events = service.events(&job, &service.counter);
    let (name, failed) = events.last().unwrap();
    assert_eq!(name, "failed");
    assert_eq!(failed["state"], "failed");
    assert_eq!(failed["document_id"], Value::Null);
    let error = failed["error"].as_str().unwrap();
    assert!(
        error.contains("quyet-dinh.pdf") && error.contains("real text"),
        "{error}"
    );
    let dossier_view = service.get(&format!("/api/dossiers/{dossier}"), &service.counter);
    assert_eq!(dossier_view.json()["documents"], json!([]));
}

#[test]
fn the_openapi_document_describes_the_job_routes() {
    let doc: Value =
        serde_json::from_str(&kyso::server::api::openapi_document().to_json().unwrap()).unwrap();
    let upload = &doc["paths"]["/api/dossiers/{id}/scans"]["post"];
    for status in ["202", "400", "401", "403", "404", "413", "415"] {
        assert!(upload["responses"][status].is_object(), "scans {status}");
    }
    assert!(upload["requestBody"]["content"]["multipart/form-data"].is_object());
    let events = &doc["paths"]["/api/jobs/{id}/events"]["get"];
    assert!(events["responses"]["200"]["content"]["text/event-stream"].is_object());
    for path in ["/api/jobs/{id}", "/api/dossiers/{id}/jobs"] {
        assert!(
            doc["paths"][path]["get"]["responses"]["404"].is_object(),
            "{path}"
        );
    }
    let job = &doc["components"]["schemas"]["Job"]["properties"];
    for field in [
        "id",
        "state",
        "pages_done",
        "pages_total",
        "attempts",
        "document_id",
        "error",
    ] {
        assert!(job[field].is_object(), "Job.{field}");
    }
}
