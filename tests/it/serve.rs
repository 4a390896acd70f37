//! `kyso serve` as an operator runs it: a real process on 127.0.0.1, `/healthz` over HTTP,
//! the database created on first start, and a clean exit on SIGTERM and SIGINT.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::support::{assert_clean_error, kyso, run};

struct Server {
    child: Child,
    address: String,
    logs: mpsc::Receiver<String>,
}

impl Server {
    fn start(data: &std::path::Path) -> Server {
        let mut child = kyso()
            .args(["serve", "--listen", "127.0.0.1:0", "--data"])
            .arg(data)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("kyso serve starts");
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let address = loop {
            let line = rx
                .recv_timeout(Duration::from_secs(20))
                .expect("kyso serve logs its address within 20 s");
            if let Some(rest) = line.split("listening on http://").nth(1) {
                break rest.trim().to_owned();
            }
        };
        Server {
            child,
            address,
            logs: rx,
        }
    }

    fn get(&self, path: &str) -> (u16, String) {
        let mut stream = TcpStream::connect(&self.address).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.address
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let status = response
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let body = response
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_owned())
            .unwrap_or_default();
        (status, body)
    }

    /// Sends `signal` and waits (bounded) for the process to exit; returns its exit code and
    /// the log lines it wrote after the address.
    fn stop(mut self, signal: &str) -> (Option<i32>, Vec<String>) {
        let pid = self.child.id().to_string();
        assert!(
            Command::new("kill")
                .args(["-s", signal, &pid])
                .status()
                .unwrap()
                .success()
        );
        for _ in 0..100 {
            if let Some(status) = self.child.try_wait().unwrap() {
                let logs = self.logs.try_iter().collect();
                return (status.code(), logs);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        panic!("kyso serve did not stop within 10 s of {signal}");
    }
}

#[test]
fn healthz_over_http_then_sigterm_stops_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = Server::start(&data);
    let (status, body) = server.get("/healthz");
    assert_eq!(status, 200, "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["status"], "ok");
    assert_eq!(json["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(json["store"]["status"], "ok");
    assert_eq!(
        json["store"]["schema_version"],
        kyso::store::MIGRATIONS.len()
    );
    assert!(
        data.join("kyso.sqlite3").is_file(),
        "database created on first start"
    );
    assert!(
        !body.contains(dir.path().to_str().unwrap()),
        "no paths in public responses"
    );
    assert_eq!(server.get("/no-such-route").0, 404);

    let (code, logs) = server.stop("TERM");
    assert_eq!(code, Some(0), "{logs:?}");
    assert!(logs.iter().any(|l| l.contains("SIGTERM")), "{logs:?}");

    // A second start reuses the database (migrations already applied).
    let again = Server::start(&data);
    assert_eq!(again.get("/healthz").0, 200);
    let (code, logs) = again.stop("INT");
    assert_eq!(code, Some(0), "{logs:?}");
    assert!(logs.iter().any(|l| l.contains("SIGINT")), "{logs:?}");
}

#[test]
fn unusable_data_folder_or_port_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plain-file");
    std::fs::write(&file, b"not a folder").unwrap();
    let output = run(kyso()
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(&file));
    assert_clean_error(&output, "plain-file");

    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    let output = run(kyso()
        .args(["serve", "--listen", &address, "--data"])
        .arg(dir.path().join("data")));
    assert_clean_error(&output, &address);
}
