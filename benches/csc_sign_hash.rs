//! Benchmark: CSC remote signing (`signatures/signHash`) over loopback HTTP against its floor,
//! the raw rate of the HSM it signs with, measured in the same run: RSA-2048 PKCS#1 v1.5
//! signatures over SHA-256 hashes by the embedded SoftHSM2 token.
//!
//! Rows, all on the same machine in one run:
//!
//! - raw: `KeyStore::sign_digest` in this process on a token of its own holding 10 keys (as
//!   many as the server's credentials; thread t signs with key t mod 10). Context rows first:
//!   as many threads as cores on a single key, 1 thread, and 50 threads with a session each.
//!   Then, just before and just after every service row, the raw rate "beside" it: as many
//!   threads as cores with a session each, and 50 threads over the server's pool (2 × cores
//!   sessions), 2 s each; the better of the two is that moment's raw rate;
//! - in-process service: `CscService::sign_hash` with that pool, 50 threads, one hash per
//!   call (SAD redemption, credential lookup, audit record; no HTTP);
//! - HTTP: `kyso serve` (as it is configured by default: one-hash calls sign on the runtime
//!   thread that read them, batches on one signing thread per core, each with its own session
//!   of the server's embedded token; `KYSO_BENCH_INLINE_SIGN_MS=0` sends every call to the
//!   signing threads) on a free 127.0.0.1 port with a fresh data folder, 10 citizens with one
//!   credential each enrolled over `/csc/admin/enroll`, 50 client threads (5 per credential).
//!   In each phase every client asks for a delivered code (`credentials/getChallenge`, read
//!   back from the admin outbox; the clients of one credential take turns, as a new code
//!   replaces the last) and authorizes 40 hashes (timed apart) with `ureq`, then, after a
//!   barrier, signs them in 40 signHash calls of one hash, or 4 calls of 10 hashes, each
//!   timed, on a keep-alive connection of its own with the requests built beforehand and the
//!   answers read after the phase (the way wrk loads a server: the clients share the 2 cores
//!   with the server, so they should take as little of them as they can). Meanwhile another
//!   thread asks for `/healthz` every 20 ms: what signing costs the server's other requests.
//!   Phases of one and of ten hashes per call take turns, 4 of each.
//!
//! Each service row is held against the raw rate around it (the mean of the raw rates just
//! before and just after it), because this machine's speed drifts by a third within a minute,
//! and also against the best raw row of the whole run.
//!
//! Below the table: each kind of phase put together (ratio per phase, median and lowest,
//! latency over all calls, CPU per signature against the raw rows'); that every signHash call
//! of the in-process and HTTP rows left its audit entry and that the chain verifies; what the
//! service does per signHash call besides signing, each step timed alone in this process
//! (median of 40); and one Argon2id PIN check, which `credentials/authorize` makes while
//! holding the credential's lockout lock.
//!
//! Throughput is signatures over the wall time from the start barrier to the last thread's
//! end. CPU ms per signature is the user + system time of the process doing the work over
//! that window (this process for raw and in-process rows; the server process for HTTP rows,
//! with the clients' own CPU beside it), per signature.
//!
//! Run: `cargo build --release && cargo bench --bench csc_sign_hash`. Needs the `softhsm2`
//! package. Writes only to a temporary folder.

// Shared by the benches; this one uses the root, the binary and the timing loop.
#[allow(dead_code)]
mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use base64ct::{Base64, Encoding};
use common::{kyso_bin, root, time};
use kyso::csc::Secret;
use kyso::csc::enroll::{self, CitizenCa, Enrollment, OtpChoice};
use kyso::csc::service::{Authorization, CscService, SignRequest};
use kyso::pki::Endpoints;
use kyso::sign::pkcs11::{HsmKeySpec, KeyStore, prepare_embedded_token};
use kyso::sign::{DigestAlgorithm, SignatureScheme};
use kyso::store::Store;
use openssl::x509::X509;
use serde_json::{Value, json};

/// Concurrent clients (and threads of the matching raw row).
const CLIENTS: usize = 50;
/// Hashes each client authorizes per SAD and signs in one phase (about 3 s of signing).
const HASHES: usize = 40;
/// HTTP phases of each kind (one hash per call, ten per call), each between two raw rows.
const PHASES: usize = 4;
/// Citizens enrolled on the server, one credential each, shared by `CLIENTS / USERS` clients.
const USERS: usize = 10;
/// How long each raw row of the context rows signs.
const RAW_RUN: Duration = Duration::from_secs(3);
/// How long each of the two raw rows beside an HTTP phase signs.
const BESIDE_RUN: Duration = Duration::from_secs(2);
const PIN: &str = "246810";
const PASSWORD: &str = "mat-khau-thu-nghiem";
const SHA256_OID: &str = "2.16.840.1.101.3.4.2.1";
const RSA_PKCS1: &str = "1.2.840.113549.1.1.1";

/// One row's measurement.
struct Measured {
    signatures: usize,
    wall: Duration,
    /// One per call (a call signs one or `batch` hashes).
    latencies: Vec<Duration>,
    /// CPU time of the process doing the work, over `wall`.
    cpu: Duration,
    /// CPU time of the clients (this process) beside a server, over `wall`.
    client_cpu: Option<Duration>,
    /// CPU time the hypervisor gave to other guests over `wall`, summed over this machine's
    /// cores ("steal" in /proc/stat).
    stolen: Duration,
    /// For HTTP rows: how long `GET /healthz`, asked every [`PROBE_EVERY`] meanwhile, took
    /// to answer; what the signing costs the server's other requests.
    probes: Vec<Duration>,
}

/// How often the HTTP rows ask for `/healthz` while the clients sign.
const PROBE_EVERY: Duration = Duration::from_millis(20);

impl Measured {
    fn rate(&self) -> f64 {
        self.signatures as f64 / self.wall.as_secs_f64()
    }

    fn percentile_ms(&self, p: usize) -> f64 {
        let mut sorted = self.latencies.clone();
        sorted.sort();
        percentile_ms(&sorted, p)
    }

    /// Cores the working process kept busy on average: how much of the machine it got.
    fn cores_used(&self) -> f64 {
        self.cpu.as_secs_f64() / self.wall.as_secs_f64()
    }

    fn cpu_ms_per_signature(&self) -> f64 {
        self.cpu.as_secs_f64() * 1000.0 / self.signatures as f64
    }

    /// The share of the machine's CPU time the hypervisor kept for other guests.
    fn stolen_share(&self, cores: usize) -> f64 {
        self.stolen.as_secs_f64() / (cores as f64 * self.wall.as_secs_f64())
    }

    /// Signatures per second of the CPU time the machine was given (wall time × cores,
    /// less what was stolen), as a rate on `cores` whole cores. Idle time counts against it.
    fn rate_on_given_cpu(&self, cores: usize) -> f64 {
        self.rate() / (1.0 - self.stolen_share(cores)).max(0.01)
    }
}

/// The `p`th percentile of `sorted`, in milliseconds.
fn percentile_ms(sorted: &[Duration], p: usize) -> f64 {
    sorted[(sorted.len() * p / 100).min(sorted.len() - 1)].as_secs_f64() * 1000.0
}

/// CPU time stolen from this machine by the hypervisor so far, summed over its cores: the
/// eighth value of /proc/stat's `cpu` line, in clock ticks of 1/100 s.
fn stolen_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/stat").expect("/proc/stat");
    let ticks = stat
        .lines()
        .next()
        .and_then(|line| line.split_whitespace().nth(8))
        .and_then(|field| field.parse::<u64>().ok())
        .unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

/// User + system CPU time of process `pid` so far, from /proc/PID/stat (fields 14 and 15, in
/// clock ticks of 1/100 s on Linux).
fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("/proc stat");
    // The command name may hold spaces; the fields after it are space-separated.
    let after = &stat[stat.rfind(')').expect("stat format") + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: u64 =
        fields[11].parse::<u64>().unwrap_or(0) + fields[12].parse::<u64>().unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

fn random_hashes(count: usize) -> Vec<Vec<u8>> {
    (0..count)
        .map(|_| {
            let mut hash = vec![0u8; 32];
            openssl::rand::rand_bytes(&mut hash).expect("randomness");
            hash
        })
        .collect()
}

/// `threads` threads signing with `keys` for `run` each, after a warm-up; thread `t` signs
/// with key `ids[t % ids.len()]`.
fn raw(keys: &KeyStore, ids: &[Vec<u8>], threads: usize, run: Duration) -> Measured {
    let barrier = Barrier::new(threads + 1);
    let pid = std::process::id();
    let (per_thread, cpu, stolen) = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let barrier = &barrier;
                scope.spawn(move || {
                    let sign = |i: usize| {
                        let hash = openssl::sha::sha256(format!("{t}/{i}").as_bytes());
                        keys.sign_digest(
                            &ids[t % ids.len()],
                            DigestAlgorithm::Sha256,
                            SignatureScheme::RsaPkcs1v15,
                            &hash,
                        )
                        .expect("raw signature")
                    };
                    for i in 0..3 {
                        sign(i);
                    }
                    barrier.wait();
                    let start = Instant::now();
                    let mut latencies = Vec::new();
                    while start.elapsed() < run {
                        let call = Instant::now();
                        std::hint::black_box(sign(latencies.len() + 3));
                        latencies.push(call.elapsed());
                    }
                    (latencies, start.elapsed())
                })
            })
            .collect();
        barrier.wait();
        let (cpu_before, steal_before) = (cpu_time(pid), stolen_time());
        let results: Vec<_> = workers
            .into_iter()
            .map(|w| w.join().expect("raw thread"))
            .collect();
        (
            results,
            cpu_time(pid) - cpu_before,
            stolen_time() - steal_before,
        )
    });
    let wall = per_thread
        .iter()
        .map(|(_, took)| *took)
        .max()
        .unwrap_or_default();
    let latencies: Vec<Duration> = per_thread.into_iter().flat_map(|(l, _)| l).collect();
    Measured {
        signatures: latencies.len(),
        wall,
        latencies,
        cpu,
        client_cpu: None,
        stolen,
        probes: Vec::new(),
    }
}

/// The public CA of the test PKI, as `kyso serve --pki certs` loads it.
fn citizen_ca() -> CitizenCa {
    let read = |p: &str| std::fs::read(root().join(p)).expect("test PKI file");
    CitizenCa {
        certificate: X509::from_pem(&read("certs/ca/public-ca.pem")).expect("CA certificate"),
        key: openssl::pkey::PKey::private_key_from_pem(&read("certs/ca/public-ca.key.pem"))
            .expect("CA key"),
        slug: "public-ca".into(),
        parents: vec![
            X509::from_pem(&read("certs/trust/national-root.pem"))
                .and_then(|root| root.to_der())
                .expect("root certificate"),
        ],
        endpoints: Endpoints::new("http://127.0.0.1:9").expect("URL"),
    }
}

fn six_digits(message: &str) -> String {
    let bytes = message.as_bytes();
    (0..bytes.len().saturating_sub(5))
        .find(|&i| {
            bytes[i..i + 6].iter().all(u8::is_ascii_digit)
                && bytes.get(i + 6).is_none_or(|b| !b.is_ascii_digit())
                && (i == 0 || !bytes[i - 1].is_ascii_digit())
        })
        .map(|i| message[i..i + 6].to_owned())
        .expect("a 6-digit code in the message")
}

/// Credentials of the in-process service (one citizen).
const IN_PROCESS_CREDENTIALS: usize = 5;
/// The citizen of the in-process service.
const IN_PROCESS_USER: &str = "001089000001";

/// `CscService::sign_hash` in this process: [`IN_PROCESS_CREDENTIALS`] credentials of one
/// citizen, `CLIENTS` threads sharing them, each with its own SAD for [`HASHES`] hashes, one
/// hash per call. Returns the store and a credential id too, for [`per_call_steps`].
fn in_process(keys: Arc<KeyStore>, data: &Path) -> (Measured, Store, String) {
    let store = Store::open(data).expect("store");
    let service = CscService::new(&store, keys);
    let ca = citizen_ca();
    let user = IN_PROCESS_USER;
    let now = time::OffsetDateTime::now_utc;
    let credentials: Vec<String> = (0..IN_PROCESS_CREDENTIALS)
        .map(|_| {
            enroll::enroll(
                &service,
                &ca,
                Enrollment {
                    cccd: user.into(),
                    name: "Nguyễn Văn A".into(),
                    otp: OtpChoice::Delivered {
                        address: "0901234567".into(),
                    },
                    pin: Secret::new(PIN),
                    password: Some(Secret::new(PASSWORD)),
                    key: HsmKeySpec::Rsa2048,
                },
                "bench",
                now(),
            )
            .expect("enrollment")
            .credential_id
        })
        .collect();
    // One SAD per thread, made one at a time: a new challenge replaces a credential's code.
    let grants: Vec<(String, Secret, Vec<Vec<u8>>)> = (0..CLIENTS)
        .map(|c| {
            let id = credentials[c % credentials.len()].clone();
            assert!(service.challenge(user, &id, now()).expect("challenge"));
            let message = &service.directory().outbox(Some(&id), 1).expect("outbox")[0].message;
            let hashes = random_hashes(HASHES);
            let sad = service
                .authorize(
                    user,
                    &id,
                    Authorization {
                        num_signatures: HASHES as u32,
                        hashes: hashes.clone(),
                        hash_algorithm: Some(SHA256_OID.parse().expect("OID")),
                        pin: Secret::new(PIN),
                        otp: Secret::new(six_digits(message)),
                    },
                    now(),
                )
                .expect("authorize");
            (id, sad.token, hashes)
        })
        .collect();
    let barrier = Barrier::new(CLIENTS + 1);
    let pid = std::process::id();
    let (latencies, wall, cpu, stolen) = std::thread::scope(|scope| {
        let workers: Vec<_> = grants
            .iter()
            .map(|(id, sad, hashes)| {
                let (barrier, service) = (&barrier, &service);
                scope.spawn(move || {
                    barrier.wait();
                    hashes
                        .iter()
                        .map(|hash| {
                            let call = Instant::now();
                            let signatures = service
                                .sign_hash(
                                    user,
                                    id,
                                    sad,
                                    SignRequest {
                                        hashes: vec![hash.clone()],
                                        hash_algorithm: Some(SHA256_OID),
                                        sign_algo: RSA_PKCS1,
                                        sign_algo_params: None,
                                    },
                                    now(),
                                )
                                .expect("signHash in process");
                            std::hint::black_box(signatures);
                            call.elapsed()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        barrier.wait();
        let (start, cpu_before, steal_before) = (Instant::now(), cpu_time(pid), stolen_time());
        let latencies: Vec<Duration> = workers
            .into_iter()
            .flat_map(|w| w.join().expect("service thread"))
            .collect();
        (
            latencies,
            start.elapsed(),
            cpu_time(pid) - cpu_before,
            stolen_time() - steal_before,
        )
    });
    let measured = Measured {
        signatures: latencies.len(),
        wall,
        latencies,
        cpu,
        client_cpu: None,
        stolen,
        probes: Vec::new(),
    };
    (measured, store, credentials[0].clone())
}

/// What `CscService::sign_hash` does per call besides signing, each step alone, single
/// threaded, median of [`common::ROUNDS`]: (step, ms).
fn per_call_steps(
    keys: &KeyStore,
    raw_id: &[u8],
    store: &Store,
    credential: &str,
) -> Vec<(&'static str, f64)> {
    let directory = kyso::store::csc::CscDirectory::new(store);
    let audit = kyso::store::audit::AuditLog::new(store);
    let row = directory
        .credential(credential)
        .expect("lookup")
        .expect("the credential");
    let hash = random_hashes(1).remove(0);
    let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let mut pin_hash = None;
    vec![
        (
            "HSM signature (`KeyStore::sign_digest`)",
            ms(time(|| {
                std::hint::black_box(
                    keys.sign_digest(
                        raw_id,
                        DigestAlgorithm::Sha256,
                        SignatureScheme::RsaPkcs1v15,
                        &hash,
                    )
                    .expect("signature"),
                );
            })),
        ),
        (
            "credential row from SQLite, as signHash reads it (`CscDirectory::signing_credential`)",
            ms(time(|| {
                std::hint::black_box(directory.signing_credential(credential).expect("lookup"));
            })),
        ),
        (
            "whole credential row (`CscDirectory::credential`, not read by signHash)",
            ms(time(|| {
                std::hint::black_box(directory.credential(credential).expect("lookup"));
            })),
        ),
        (
            "key kind (`KeyStore::key_kind`, cached with the key handle)",
            ms(time(|| {
                std::hint::black_box(keys.key_kind(&row.key_id).expect("key kind"));
            })),
        ),
        (
            "audit record (`AuditLog::append`, one hash)",
            ms(time(|| {
                let details = json!({
                    "scheme": "RsaPkcs1v15", "hash_algorithm": "SHA-256", "hashes": [hex.clone()],
                });
                audit
                    .append(
                        time::OffsetDateTime::now_utc(),
                        IN_PROCESS_USER,
                        "sign",
                        credential,
                        &details,
                    )
                    .expect("audit");
            })),
        ),
        (
            "Argon2id PIN check (`PinHash::verify`, in authorize)",
            ms(time(|| {
                let hash = pin_hash.get_or_insert_with(|| {
                    kyso::csc::PinHash::new(&Secret::new(PIN)).expect("PIN hash")
                });
                hash.verify(&Secret::new(PIN)).expect("the PIN");
            })),
        ),
    ]
}

/// `kyso serve` on `port` with a fresh data folder, stopped (SIGTERM, then SIGKILL) when
/// dropped, also when the bench panics.
struct Server {
    child: Child,
    base: String,
    /// The server's stderr, shown when the bench fails.
    log: std::path::PathBuf,
}

impl Server {
    fn start(data: &Path, port: u16, admin_token: &str) -> Server {
        let listen = format!("127.0.0.1:{port}");
        let base = format!("http://{listen}");
        let log = data.with_extension("log");
        let child = Command::new(kyso_bin())
            .args([
                "serve",
                "--listen",
                &listen,
                "--public-url",
                &base,
                "--data",
            ])
            .arg(data)
            .arg("--pki")
            .arg(root().join("certs"))
            .args(inline_sign_args())
            .env("KYSO_ADMIN_TOKEN", admin_token)
            // This process pointed SoftHSM2 at its own token; the server uses DATA/softhsm.
            .env_remove("SOFTHSM2_CONF")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("server log"))
            .spawn()
            .expect("kyso serve");
        let mut server = Server { child, base, log };
        let deadline = Instant::now() + Duration::from_secs(60);
        while !healthz(&listen) {
            assert!(
                server.child.try_wait().ok().flatten().is_none(),
                "kyso serve exited at start (is port {port} taken?)"
            );
            assert!(
                Instant::now() < deadline,
                "kyso serve did not answer /healthz"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        server
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if std::thread::panicking() {
            // The temporary folder goes with the bench: what the server said goes to stderr.
            let said = std::fs::read_to_string(&self.log).unwrap_or_default();
            let tail: Vec<&str> = said.lines().rev().take(40).collect();
            eprintln!("kyso serve's last log lines:");
            for line in tail.iter().rev() {
                eprintln!("  {line}");
            }
        }
        if self.child.try_wait().ok().flatten().is_some() {
            return;
        }
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self.child.try_wait().ok().flatten().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `--inline-sign-ms` for the server from `KYSO_BENCH_INLINE_SIGN_MS` (0: every call on the
/// signing threads), to compare the two placements; the server's default otherwise.
fn inline_sign_args() -> Vec<String> {
    std::env::var("KYSO_BENCH_INLINE_SIGN_MS")
        .map(|ms| vec!["--inline-sign-ms".to_owned(), ms])
        .unwrap_or_default()
}

fn healthz(listen: &str) -> bool {
    let Ok(mut stream) = TcpStream::connect(listen) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    if stream
        .write_all(b"GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok() && head.ends_with(b" 200")
}

/// A port nothing listens on now (the kernel's pick, never 8080).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// A keep-alive client. Its timeouts are per phase (connect, send, receive), not global: a
/// global (or per-call, or resolve) timeout makes ureq resolve the host on a new thread for
/// every request, even for an IP address on a pooled connection, which cost the clients
/// about as much CPU per call as the server's whole HTTP layer.
fn agent() -> ureq::Agent {
    let limit = Some(Duration::from_secs(120));
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(limit)
        .timeout_send_request(limit)
        .timeout_send_body(limit)
        .timeout_recv_response(limit)
        .timeout_recv_body(limit)
        .build()
        .into()
}

/// POSTs `body` (or nothing) with `authorization`; the JSON answer of a 2xx, else panics
/// with the server's error.
fn post(agent: &ureq::Agent, url: &str, authorization: &str, body: Option<&Value>) -> Value {
    let request = agent
        .post(url)
        .header("Authorization", authorization)
        .header("Content-Type", "application/json");
    let response = match body {
        Some(body) => request.send(body.to_string().as_str()),
        None => request.send_empty(),
    };
    answer(url, response)
}

fn answer(url: &str, response: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Value {
    let mut response = response.unwrap_or_else(|e| panic!("{url}: {e}"));
    let status = response.status();
    let text = response
        .body_mut()
        .read_to_string()
        .unwrap_or_else(|e| panic!("{url}: {e}"));
    assert!(status.is_success(), "{url}: {status} {text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{url}: {e}: {text}"))
}

/// A client of the server: its credential, bearer token and keep-alive agent.
struct Client {
    credential: String,
    token: String,
    agent: ureq::Agent,
    /// Held from getChallenge to authorize by the clients of one credential in turn: a new
    /// challenge replaces the credential's code.
    turn: Arc<Mutex<()>>,
}

impl Client {
    /// A delivered code, then a SAD for `hashes`. Returns the SAD and how long authorize took.
    fn authorize(&self, base: &str, admin: &str, hashes: &[Vec<u8>]) -> (String, Duration) {
        let _turn = self
            .turn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let bearer = format!("Bearer {}", self.token);
        let challenge = json!({ "credentialID": self.credential });
        post(
            &self.agent,
            &format!("{base}/csc/v2/credentials/getChallenge"),
            &bearer,
            Some(&challenge),
        );
        let outbox = answer(
            "outbox",
            self.agent
                .get(format!(
                    "{base}/csc/admin/outbox?credential={}&limit=1",
                    self.credential
                ))
                .header("Authorization", format!("Bearer {admin}"))
                .call(),
        );
        let code = six_digits(outbox["messages"][0]["message"].as_str().expect("message"));
        let body = json!({
            "credentialID": self.credential,
            "numSignatures": hashes.len(),
            "hashes": hashes.iter().map(|h| Base64::encode_string(h)).collect::<Vec<_>>(),
            "hashAlgorithmOID": SHA256_OID,
            "authData": [{"id": "PIN", "value": PIN}, {"id": "OTP", "value": code}],
        });
        let start = Instant::now();
        let sad = post(
            &self.agent,
            &format!("{base}/csc/v2/credentials/authorize"),
            &bearer,
            Some(&body),
        );
        let took = start.elapsed();
        (sad["SAD"].as_str().expect("SAD").to_owned(), took)
    }

    /// The signHash request for `hashes` as bytes on the wire (HTTP/1.1, keep-alive).
    fn sign_request(&self, host: &str, sad: &str, hashes: &[Vec<u8>]) -> Vec<u8> {
        let body = json!({
            "credentialID": self.credential,
            "SAD": sad,
            "hashes": hashes.iter().map(|h| Base64::encode_string(h)).collect::<Vec<_>>(),
            "hashAlgorithmOID": SHA256_OID,
            "signAlgo": RSA_PKCS1,
        })
        .to_string();
        let mut request = format!(
            "POST /csc/v2/signatures/signHash HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            self.token,
            body.len()
        )
        .into_bytes();
        request.extend_from_slice(body.as_bytes());
        request
    }
}

/// A keep-alive HTTP/1.1 connection for the timed signHash calls, in the manner of load
/// generators such as wrk: requests are built before the clock starts and the answers are
/// kept as they came, to be read once the phase is over, so the clients take as little as
/// they can of the cores they share with the server. What the server sees is the same
/// request a CSC client sends.
struct Wire {
    stream: BufReader<TcpStream>,
}

impl Wire {
    fn connect(host: &str) -> Wire {
        let stream = TcpStream::connect(host).expect("connect to kyso serve");
        stream.set_nodelay(true).expect("TCP_NODELAY");
        let limit = Some(Duration::from_secs(120));
        stream.set_read_timeout(limit).expect("read timeout");
        stream.set_write_timeout(limit).expect("write timeout");
        Wire {
            stream: BufReader::new(stream),
        }
    }

    /// Sends `request` and returns the answer's status and body (the server gives every
    /// answer a Content-Length).
    fn call(&mut self, request: &[u8]) -> (u16, Vec<u8>) {
        self.stream
            .get_mut()
            .write_all(request)
            .expect("send signHash");
        let mut line = String::new();
        self.stream.read_line(&mut line).expect("status line");
        let status: u16 = line
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or_else(|| panic!("not an HTTP status line: {line:?}"));
        let mut length = None;
        loop {
            line.clear();
            self.stream.read_line(&mut line).expect("header line");
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse::<usize>().ok();
            }
        }
        let length = length.expect("signHash answers carry a Content-Length");
        let mut body = vec![0; length];
        self.stream.read_exact(&mut body).expect("answer body");
        (status, body)
    }
}

/// The signatures of a signHash answer; panics, with the server's words, on anything else.
fn signatures_of(status: u16, body: &[u8]) -> Vec<Vec<u8>> {
    let text = String::from_utf8_lossy(body);
    assert_eq!(status, 200, "signHash: {status} {text}");
    let answer: Value =
        serde_json::from_slice(body).unwrap_or_else(|e| panic!("signHash: {e}: {text}"));
    answer["signatures"]
        .as_array()
        .expect("signatures")
        .iter()
        .map(|s| Base64::decode_vec(s.as_str().expect("base64")).expect("base64"))
        .collect()
}

/// Enrolls [`USERS`] citizens with one credential each over the admin route (as many at a
/// time as cores), logs each in, and returns `CLIENTS / USERS` clients per credential, with
/// the credential's certificate.
fn enroll_clients(base: &str, admin: &str) -> Vec<(Client, X509)> {
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let cccds: Vec<String> = (0..USERS).map(|u| format!("0010890000{u:02}")).collect();
    let enrolled: Vec<(String, String, X509)> = std::thread::scope(|scope| {
        let handles: Vec<_> = cccds
            .chunks(USERS.div_ceil(workers))
            .map(|chunk| {
                scope.spawn(move || {
                    let agent = agent();
                    chunk
                        .iter()
                        .map(|cccd| {
                            let body = json!({
                                "cccd": cccd, "name": "Nguyễn Văn A", "pin": PIN,
                                "password": PASSWORD, "phone": "0901234567",
                            });
                            let url = format!("{base}/csc/admin/enroll");
                            let answer =
                                post(&agent, &url, &format!("Bearer {admin}"), Some(&body));
                            let der = answer["certificate"].as_str().expect("certificate");
                            let certificate =
                                X509::from_der(&Base64::decode_vec(der).expect("base64"))
                                    .expect("certificate");
                            let basic =
                                Base64::encode_string(format!("{cccd}:{PASSWORD}").as_bytes());
                            let url = format!("{base}/csc/v2/auth/login");
                            let login = post(&agent, &url, &format!("Basic {basic}"), None);
                            (
                                answer["credentialID"]
                                    .as_str()
                                    .expect("credentialID")
                                    .to_owned(),
                                login["access_token"]
                                    .as_str()
                                    .expect("access_token")
                                    .to_owned(),
                                certificate,
                            )
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("enrollment"))
            .collect()
    });
    enrolled
        .into_iter()
        .flat_map(|(credential, token, certificate)| {
            let turn = Arc::new(Mutex::new(()));
            (0..CLIENTS / USERS)
                .map(|_| {
                    (
                        Client {
                            credential: credential.clone(),
                            token: token.clone(),
                            agent: agent(),
                            turn: turn.clone(),
                        },
                        certificate.clone(),
                    )
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Every client authorizes [`HASHES`] hashes at once (timed apart), then, after a barrier,
/// signs them `batch` per signHash call. Returns the signing measurement and the authorize
/// latencies. The first signature of each client is checked against its certificate.
fn over_http(
    server: &Server,
    admin: &str,
    clients: &[(Client, X509)],
    batch: usize,
) -> (Measured, Vec<Duration>) {
    // The clients, the /healthz prober and this thread.
    let barrier = Barrier::new(clients.len() + 2);
    let base = server.base.as_str();
    let host = base.trim_start_matches("http://");
    let (server_pid, own_pid) = (server.child.id(), std::process::id());
    let signing = AtomicBool::new(true);
    let (results, measured, probes) = std::thread::scope(|scope| {
        let workers: Vec<_> = clients
            .iter()
            .map(|(client, _)| {
                let barrier = &barrier;
                scope.spawn(move || {
                    let hashes = random_hashes(HASHES);
                    let (sad, authorize) = client.authorize(base, admin, &hashes);
                    let requests: Vec<Vec<u8>> = hashes
                        .chunks(batch)
                        .map(|chunk| client.sign_request(host, &sad, chunk))
                        .collect();
                    let mut wire = Wire::connect(host);
                    barrier.wait();
                    let mut latencies = Vec::with_capacity(requests.len());
                    let mut answers = Vec::with_capacity(requests.len());
                    for request in &requests {
                        let call = Instant::now();
                        answers.push(wire.call(request));
                        latencies.push(call.elapsed());
                    }
                    (latencies, authorize, hashes, answers)
                })
            })
            .collect();
        let prober = {
            let (barrier, signing) = (&barrier, &signing);
            scope.spawn(move || {
                let mut wire = Wire::connect(host);
                let request = format!("GET /healthz HTTP/1.1\r\nHost: {host}\r\n\r\n").into_bytes();
                let mut probes = Vec::new();
                barrier.wait();
                while signing.load(Ordering::Relaxed) {
                    let asked = Instant::now();
                    let (status, _) = wire.call(&request);
                    probes.push(asked.elapsed());
                    assert_eq!(status, 200, "/healthz while signing");
                    std::thread::sleep(PROBE_EVERY.saturating_sub(asked.elapsed()));
                }
                probes
            })
        };
        barrier.wait();
        let start = Instant::now();
        let (server_before, own_before, steal_before) =
            (cpu_time(server_pid), cpu_time(own_pid), stolen_time());
        let results: Vec<_> = workers
            .into_iter()
            .map(|w| w.join().expect("client"))
            .collect();
        let wall = start.elapsed();
        let measured = (
            wall,
            cpu_time(server_pid) - server_before,
            cpu_time(own_pid) - own_before,
            stolen_time() - steal_before,
        );
        signing.store(false, Ordering::Relaxed);
        let probes = prober.join().expect("prober");
        (results, measured, probes)
    });
    let (wall, cpu, client_cpu, stolen) = measured;
    // Every answer is read now, outside the measured window: one signature per hash, and
    // the first of each client's checked against its certificate.
    for ((_, certificate), (_, _, hashes, answers)) in clients.iter().zip(&results) {
        let signatures: Vec<Vec<u8>> = answers
            .iter()
            .flat_map(|(status, body)| signatures_of(*status, body))
            .collect();
        assert_eq!(signatures.len(), hashes.len(), "one signature per hash");
        check_signature(certificate, &hashes[0], &signatures[0]);
    }
    let authorize = results.iter().map(|(_, a, _, _)| *a).collect();
    let latencies: Vec<Duration> = results.into_iter().flat_map(|(l, ..)| l).collect();
    (
        Measured {
            signatures: latencies.len() * batch,
            wall,
            latencies,
            cpu,
            client_cpu: Some(client_cpu),
            stolen,
            probes,
        },
        authorize,
    )
}

/// An RSASSA-PKCS1-v1_5 signature (RFC 8017 §8.2) over `hash` by the certificate's key: the
/// recovered DigestInfo ends with the hash.
fn check_signature(certificate: &X509, hash: &[u8], signature: &[u8]) {
    let rsa = certificate
        .public_key()
        .and_then(|key| key.rsa())
        .expect("an RSA certificate");
    let mut recovered = vec![0u8; rsa.size() as usize];
    let len = rsa
        .public_decrypt(signature, &mut recovered, openssl::rsa::Padding::PKCS1)
        .expect("a PKCS#1 v1.5 signature");
    assert!(
        recovered[..len].ends_with(hash),
        "the signature is not over the hash"
    );
}

/// The raw rate beside an HTTP phase or the in-process row, measured just before or after
/// it: the raw row with a session per thread (as many threads as cores), and the raw row
/// shaped like the server (50 threads over its pool of sessions), [`BESIDE_RUN`] each.
struct Beside {
    own: Measured,
    pooled: Measured,
    at: Duration,
}

impl Beside {
    fn measure(
        wide: &KeyStore,
        pooled: &KeyStore,
        ids: &[Vec<u8>],
        cores: usize,
        t0: Instant,
    ) -> Beside {
        let at = t0.elapsed();
        Beside {
            own: raw(wide, ids, cores, BESIDE_RUN),
            pooled: raw(pooled, ids, CLIENTS, BESIDE_RUN),
            at,
        }
    }

    /// The better of the two: the raw rate the phase beside it is held against; on the CPU
    /// the machine was given when `given`.
    fn rate(&self, given: Option<usize>) -> f64 {
        let rate = |m: &Measured| given.map_or(m.rate(), |cores| m.rate_on_given_cpu(cores));
        rate(&self.own).max(rate(&self.pooled))
    }
}

/// The raw rates around a phase, the mean of those just before and just after it: plain,
/// and on the CPU the machine was given.
fn around(before: &Beside, after: &Beside, cores: usize) -> Around {
    Around {
        plain: (before.rate(None) + after.rate(None)) / 2.0,
        given: (before.rate(Some(cores)) + after.rate(Some(cores))) / 2.0,
    }
}

#[derive(Clone, Copy)]
struct Around {
    plain: f64,
    given: f64,
}

/// One row of the table, in the order the run measured it.
struct Row<'a> {
    at: Duration,
    path: String,
    threads: usize,
    sessions: usize,
    per_call: usize,
    measured: &'a Measured,
    /// The raw rates around it, for the service's rows.
    around: Option<Around>,
}

fn print_row(row: &Row<'_>, best: f64, cores: usize) {
    let m = row.measured;
    let cpu = match m.client_cpu {
        Some(client) => format!(
            "{:.2} (+ clients {:.2})",
            m.cpu_ms_per_signature(),
            client.as_secs_f64() * 1000.0 / m.signatures as f64
        ),
        None => format!("{:.2}", m.cpu_ms_per_signature()),
    };
    let (around, around_given) = row.around.map_or((String::new(), String::new()), |r| {
        (
            format!("{:.0} %", 100.0 * m.rate() / r.plain),
            format!("**{:.0} %**", 100.0 * m.rate_on_given_cpu(cores) / r.given),
        )
    });
    println!(
        "| {:.0} | {} | {} | {} | {} | {} | {:.0} | {:.0} % | {:.0} | {:.2} | {:.2} | {cpu} | {:.2} | {around} | {around_given} | {:.0} % |",
        row.at.as_secs_f64(),
        row.path,
        row.threads,
        row.sessions,
        row.per_call,
        m.signatures,
        m.rate(),
        100.0 * m.stolen_share(cores),
        m.rate_on_given_cpu(cores),
        m.percentile_ms(50),
        m.percentile_ms(99),
        m.cores_used(),
        100.0 * m.rate() / best,
    );
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n.is_multiple_of(2) {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    } else {
        values[n / 2]
    }
}

/// The HTTP phases of one kind put together: their ratios to the raw rates around each,
/// all their calls' latencies, and their CPU per signature against the raw rows'.
fn summarize(
    label: &str,
    phases: &[(&Measured, Around)],
    raw_cpu_ms: f64,
    best: f64,
    cores: usize,
) {
    let ratios = |rate: &dyn Fn(&Measured, Around) -> f64| -> (f64, f64, String) {
        let mut values: Vec<f64> = phases.iter().map(|(m, a)| 100.0 * rate(m, *a)).collect();
        let listed = values
            .iter()
            .map(|r| format!("{r:.0} %"))
            .collect::<Vec<_>>()
            .join(", ");
        let lowest = values.iter().copied().fold(f64::INFINITY, f64::min);
        (median(&mut values), lowest, listed)
    };
    let (given, given_lowest, given_listed) = ratios(&|m, a| m.rate_on_given_cpu(cores) / a.given);
    let (plain, plain_lowest, plain_listed) = ratios(&|m, a| m.rate() / a.plain);
    let mut latencies: Vec<Duration> = phases
        .iter()
        .flat_map(|(m, _)| m.latencies.iter().copied())
        .collect();
    latencies.sort();
    let ms = |p: usize| percentile_ms(&latencies, p);
    let signatures: usize = phases.iter().map(|(m, _)| m.signatures).sum();
    let wall: f64 = phases.iter().map(|(m, _)| m.wall.as_secs_f64()).sum();
    let cpu: f64 = phases.iter().map(|(m, _)| m.cpu.as_secs_f64()).sum();
    let client: f64 = phases
        .iter()
        .filter_map(|(m, _)| m.client_cpu)
        .map(|c| c.as_secs_f64())
        .sum();
    let per = |seconds: f64| seconds * 1000.0 / signatures as f64;
    println!(
        "- {label}, {} phase(s): **{given:.0} %** of the raw rate around each phase on the CPU \
         the machine was given (median; lowest {given_lowest:.0} %; in order: {given_listed}); \
         {plain:.0} % counting the stolen time too (lowest {plain_lowest:.0} %; {plain_listed}); \
         {:.0} % of the best raw row of the run. {signatures} signatures in {wall:.1} s \
         ({:.0}/s); per call p50 {:.2} ms, p99 {:.2} ms. CPU per signature: {:.2} ms (+ clients \
         {:.2}) against {raw_cpu_ms:.2} ms for the raw rows beside with a session per thread: {:.0} % of the raw rate by \
         the service's CPU, {:.0} % counting the clients'.",
        phases.len(),
        100.0 * (signatures as f64 / wall) / best,
        signatures as f64 / wall,
        ms(50),
        ms(99),
        per(cpu),
        per(client),
        100.0 * raw_cpu_ms / per(cpu),
        100.0 * raw_cpu_ms / (per(cpu) + per(client)),
    );
}

fn main() {
    // SAFETY: no other thread exists yet. The bench's token must not follow a SOFTHSM2_CONF
    // of the caller's: prepare_embedded_token points the module at the temporary folder.
    unsafe { std::env::remove_var("SOFTHSM2_CONF") };
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let server_sessions = 2 * cores;
    let work = tempfile::tempdir().expect("temp dir");
    let kyso = kyso_bin();
    eprintln!("using {}", kyso.display());

    // 1. Raw: this process's own embedded token.
    let token = prepare_embedded_token(&work.path().join("bench-softhsm")).expect("SoftHSM2 token");
    let wide = KeyStore::open(&token.module, &token.token_label, &token.user_pin, CLIENTS)
        .expect("token with a session per thread");
    // As many keys as the server's credentials: SoftHSM2 serializes some work per key object.
    let ids: Vec<Vec<u8>> = (0..USERS)
        .map(|k| {
            let label = format!("bench-raw-{k}");
            wide.generate(&label, label.as_bytes(), HsmKeySpec::Rsa2048)
                .expect("RSA-2048 key");
            label.into_bytes()
        })
        .collect();
    let pooled = Arc::new(
        KeyStore::open(
            &token.module,
            &token.token_label,
            &token.user_pin,
            server_sessions,
        )
        .expect("token with the server's pool"),
    );
    let t0 = Instant::now();
    let beside = || Beside::measure(&wide, &pooled, &ids, cores, t0);
    eprintln!("raw signing, context rows of {} s", RAW_RUN.as_secs());
    let at_context = t0.elapsed();
    // One key against the 10 the other rows spread over, like the server's credentials.
    let raw_one_key = raw(&wide, &ids[..1], cores, RAW_RUN);
    let raw_one = raw(&wide, &ids, 1, RAW_RUN);
    let raw_wide = raw(&wide, &ids, CLIENTS, RAW_RUN);

    // 2. The service in process, with the server's pool, between two raw measurements.
    eprintln!("CscService::sign_hash in process");
    let before_in_process = beside();
    let at_in_process = t0.elapsed();
    let (service, store, credential) = in_process(pooled.clone(), &work.path().join("in-process"));
    let after_in_process = beside();
    let audited_in_process = audited_signatures(&work.path().join("in-process"), CLIENTS * HASHES);
    let steps = per_call_steps(&pooled, &ids[0], &store, &credential);

    // 3. Over HTTP: phases of one hash per call and of ten, taking turns, each between two
    //    raw measurements, so that every phase is held against the machine's speed of the
    //    moment (it drifts by a third within a minute here).
    let mut secret = [0u8; 24];
    openssl::rand::rand_bytes(&mut secret).expect("randomness");
    let admin: String = secret.iter().map(|b| format!("{b:02x}")).collect();
    let port = free_port();
    let server = Server::start(&work.path().join("serve"), port, &admin);
    eprintln!("kyso serve on 127.0.0.1:{port}; enrolling {USERS} credentials");
    let enrolling = Instant::now();
    let clients = enroll_clients(&server.base, &admin);
    eprintln!(
        "enrolled in {:.1} s; {PHASES} phases of each kind",
        enrolling.elapsed().as_secs_f64()
    );
    let mut besides = vec![beside()];
    let mut phases = Vec::new();
    for _ in 0..PHASES {
        for batch in [1, 10] {
            let at = t0.elapsed();
            let (measured, authorize) = over_http(&server, &admin, &clients, batch);
            phases.push((at, batch, measured, authorize));
            besides.push(beside());
        }
    }
    drop(server);
    // One entry per signHash call: HASHES calls of one hash and HASHES / 10 of ten per phase.
    let audited_http = audited_signatures(
        &work.path().join("serve"),
        PHASES * CLIENTS * (HASHES + HASHES / 10),
    );

    let all_besides = [&before_in_process, &after_in_process]
        .into_iter()
        .chain(besides.iter());
    let best = [&raw_one_key, &raw_one, &raw_wide]
        .into_iter()
        .chain(all_besides.clone().flat_map(|b| [&b.own, &b.pooled]))
        .map(|m| m.rate())
        .fold(0.0, f64::max);
    println!(
        "RSA-2048 PKCS#1 v1.5 over SHA-256, SoftHSM2 {}; {cores} cores; every service row held \
         against the raw rate around it (mean of the raw rows just before and after; each the \
         better of {cores} threads with a session each and {CLIENTS} threads over \
         {server_sessions} sessions) and against the best raw row of the run ({best:.0}/s)",
        softhsm_version()
    );
    println!();
    println!(
        "| at s | path | threads | HSM sessions signing | hashes / call | signatures | signatures/s | stolen | signatures/s on the CPU given | p50 ms / call | p99 ms / call | CPU ms / signature | cores busy | / raw around | / raw around, on the CPU given | / best raw |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    let raw_path = format!("raw `KeyStore::sign_digest`, {USERS} keys");
    let mut rows = vec![
        Row {
            at: at_context,
            path: "raw `KeyStore::sign_digest`, 1 key".into(),
            threads: cores,
            sessions: CLIENTS,
            per_call: 1,
            measured: &raw_one_key,
            around: None,
        },
        Row {
            at: at_context + RAW_RUN,
            path: raw_path.clone(),
            threads: 1,
            sessions: CLIENTS,
            per_call: 1,
            measured: &raw_one,
            around: None,
        },
        Row {
            at: at_context + 2 * RAW_RUN,
            path: raw_path.clone(),
            threads: CLIENTS,
            sessions: CLIENTS,
            per_call: 1,
            measured: &raw_wide,
            around: None,
        },
    ];
    for (b, m, threads, sessions) in all_besides.clone().flat_map(|b| {
        [
            (b, &b.own, cores, CLIENTS),
            (b, &b.pooled, CLIENTS, server_sessions),
        ]
    }) {
        let at = if threads == cores {
            b.at
        } else {
            b.at + BESIDE_RUN
        };
        rows.push(Row {
            at,
            path: format!("{raw_path}, beside"),
            threads,
            sessions,
            per_call: 1,
            measured: m,
            around: None,
        });
    }
    rows.push(Row {
        at: at_in_process,
        path: "`CscService::sign_hash` in process".into(),
        threads: CLIENTS,
        sessions: server_sessions,
        per_call: 1,
        measured: &service,
        around: Some(around(&before_in_process, &after_in_process, cores)),
    });
    for (i, (at, batch, measured, _)) in phases.iter().enumerate() {
        rows.push(Row {
            at: *at,
            path: "**HTTP signHash**".into(),
            threads: CLIENTS,
            // The server signs on one thread per core, each with a session of its own.
            sessions: cores,
            per_call: *batch,
            measured,
            around: Some(around(&besides[i], &besides[i + 1], cores)),
        });
    }
    rows.sort_by_key(|row| row.at);
    for row in &rows {
        print_row(row, best, cores);
    }
    println!();
    // The HSM's own CPU per signature: the raw rows beside with a session per thread.
    let (raw_cpu, raw_signatures) = all_besides
        .clone()
        .map(|b| &b.own)
        .fold((0.0, 0usize), |(cpu, n), m| {
            (cpu + m.cpu.as_secs_f64(), n + m.signatures)
        });
    let raw_cpu_ms = raw_cpu * 1000.0 / raw_signatures as f64;
    for batch in [1, 10] {
        let of_kind: Vec<(&Measured, Around)> = phases
            .iter()
            .enumerate()
            .filter(|(_, (_, b, _, _))| *b == batch)
            .map(|(i, (_, _, m, _))| (m, around(&besides[i], &besides[i + 1], cores)))
            .collect();
        let label = if batch == 1 {
            "HTTP signHash, 1 hash per call".to_owned()
        } else {
            format!("HTTP signHash, {batch} hashes per call")
        };
        summarize(&label, &of_kind, raw_cpu_ms, best, cores);
    }
    summarize(
        "`CscService::sign_hash` in process, 1 hash per call",
        &[(
            &service,
            around(&before_in_process, &after_in_process, cores),
        )],
        raw_cpu_ms,
        best,
        cores,
    );
    println!();
    for batch in [1, 10] {
        let mut latencies: Vec<Duration> = phases
            .iter()
            .filter(|(_, b, _, _)| *b == batch)
            .flat_map(|(_, _, _, a)| a.iter().copied())
            .collect();
        latencies.sort();
        let ms = |p: usize| percentile_ms(&latencies, p);
        println!(
            "authorize ({HASHES} hashes, PIN + OTP, {CLIENTS} clients at once, before the \
             {batch}-hash phases, {} calls): p50 {:.0} ms, p99 {:.0} ms",
            latencies.len(),
            ms(50),
            ms(99)
        );
    }
    println!();
    for batch in [1, 10] {
        let mut probes: Vec<Duration> = phases
            .iter()
            .filter(|(_, b, _, _)| *b == batch)
            .flat_map(|(_, _, m, _)| m.probes.iter().copied())
            .collect();
        probes.sort();
        let ms = |p: usize| percentile_ms(&probes, p);
        println!(
            "GET /healthz every {} ms during the {batch}-hash phases ({} answers): p50 {:.2} ms, \
             p99 {:.2} ms, longest {:.2} ms",
            PROBE_EVERY.as_millis(),
            probes.len(),
            ms(50),
            ms(99),
            probes.last().map_or(0.0, |d| d.as_secs_f64() * 1000.0)
        );
    }
    println!();
    for (label, (entries, hashes)) in [("in process", audited_in_process), ("HTTP", audited_http)] {
        println!(
            "audit log, {label}: {entries} sign entries naming {hashes} hashes, one per call; \
             the chain verifies"
        );
    }
    println!();
    println!("| step, one thread | ms (median of {}) |", common::ROUNDS);
    println!("|---|---|");
    for (step, ms) in steps {
        println!("| {step} | {ms:.3} |");
    }
}

/// Checks that the audit log in the data folder `data` holds `calls` `sign` entries and
/// verifies as one unbroken chain (`kyso audit verify`), after 50 clients signed at once;
/// returns (entries, hashes they name).
fn audited_signatures(data: &Path, calls: usize) -> (usize, usize) {
    let store = Store::open(data).expect("the store");
    let entries = kyso::store::audit::AuditLog::new(&store)
        .verify()
        .expect("the audit chain verifies");
    let connection = rusqlite::Connection::open(store.path()).expect("the database");
    let (signs, hashes): (i64, i64) = connection
        .query_row(
            "SELECT count(*), coalesce(sum(json_array_length(details, '$.hashes')), 0)
             FROM audit_log WHERE action = 'sign'",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .expect("counting sign entries");
    assert_eq!(signs as usize, calls, "one audit entry per signHash call");
    assert!(entries >= calls);
    (signs as usize, hashes as usize)
}

/// SoftHSM2's version, as `softhsm2-util --version` prints it.
fn softhsm_version() -> String {
    Command::new("softhsm2-util")
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "(version unknown)".into())
}
