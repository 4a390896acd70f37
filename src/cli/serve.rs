//! `kyso serve`: open the store, load the trust services of the PKI folder, bind the listener
//! and run the HTTP service until SIGINT or SIGTERM.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use kyso::csc::enroll::EnrolledCertificates;
use kyso::csc::service::CscService;
use kyso::pki::crl::parse_database;
use kyso::pki::ocsp::IssuedCertificates;
use kyso::pki::ocsp::OcspResponder;
use kyso::pki::tsa::TimeStampAuthority;
use kyso::server::api::signing::{self, SigningConfig, SigningService, agency};
use kyso::server::csc::CscState;
use kyso::server::jobs::{JobRunner, RunnerConfig};
use kyso::server::verify::VerifyService;
use kyso::server::{self, AppState, TrustServices};
use kyso::sign::Signer;
use kyso::sign::p12::Pkcs12Signer;
use kyso::sign::pkcs11::Pkcs11Signer;
use kyso::store::Store;
use kyso::store::csc::CscDirectory;
use openssl::pkey::PKey;
use openssl::x509::X509;

use super::Outcome;
use super::ca::{CaArgs, HsmArgs, load_citizen_ca, open_hsm};
use super::verify::{TRUST_DIR_VARIABLE, load_anchors};

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address and port to listen on. Use 127.0.0.1 unless a reverse proxy sits in front.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR:PORT")]
    listen: SocketAddr,
    /// Data folder: the SQLite database and stored documents (created on first start).
    #[arg(long, default_value = "./data", value_name = "DIR")]
    data: PathBuf,
    /// PKI folder laid out as `kyso pki demo` writes it (ca/, trust/, services/): serves
    /// /crl/<ca>.crl, /ca/<ca>.cer and /ocsp for it. Default: ./certs if it exists, else
    /// these services are off.
    #[arg(long, value_name = "DIR")]
    pki: Option<PathBuf>,
    /// Base URL written into certificates issued at enrollment (CRL, OCSP, CA lookups).
    /// Default: http://ADDR:PORT of --listen.
    #[arg(long, value_name = "URL")]
    public_url: Option<String>,
    /// How long a SAD from credentials/authorize stays usable, in seconds (CSC SCAL2: minutes
    /// at most).
    #[arg(long, value_name = "SECONDS", default_value_t = 300,
        value_parser = clap::value_parser!(u16).range(1..=900))]
    sad_lifetime: u16,
    /// Trust anchors for `POST /api/verify` (PEM/DER files or folders); also the folder in
    /// KYSO_TRUST_DIR. Default: the PKI folder's trust/ when there is one.
    #[arg(long, value_name = "PEM|DIR")]
    trust: Vec<PathBuf>,
    /// Requests per minute per client address on the public routes (verify, citizen login,
    /// CSC auth/login);
    /// 0 turns the limit off (when a reverse proxy limits instead).
    #[arg(long, value_name = "N", default_value_t = 600)]
    rate_limit: u32,
    /// Turn remote signing (/csc/) off.
    #[arg(long)]
    no_remote_signing: bool,
    #[command(flatten)]
    signing: SigningArgs,
    /// Digitize jobs run at once; each already OCRs its pages on every core.
    #[arg(long, value_name = "N", default_value_t = 1,
        value_parser = clap::value_parser!(u16).range(1..=64))]
    job_workers: u16,
    /// A job interrupted by this many stops of the server (a crash, a kill) fails instead
    /// of starting again.
    #[arg(long, value_name = "N", default_value_t = 3,
        value_parser = clap::value_parser!(u32).range(1..=1000))]
    job_attempts: u32,
    /// On SIGTERM/SIGINT, how long running digitize jobs may take to finish before the
    /// server stops anyway (they are queued again for the next start).
    #[arg(long, value_name = "SECONDS", default_value_t = 120)]
    job_drain_seconds: u64,
    #[command(flatten)]
    hsm: HsmArgs,
    /// A signHash call expected to take at most this many milliseconds (as measured on the
    /// calls before it) signs on the server thread that read it, without a hand-off to the
    /// signing threads; longer ones (a slow or network HSM, a batch) queue for those. 0: every
    /// call queues.
    #[arg(
        long,
        value_name = "MS",
        default_value_t = 2,
        value_parser = clap::value_parser!(u16).range(0..=1000)
    )]
    inline_sign_ms: u16,
}

/// The administrator's bearer token for `/csc/admin/` routes; unset turns them off.
const ADMIN_TOKEN_VAR: &str = "KYSO_ADMIN_TOKEN";
/// Shorter admin tokens are refused: they could be guessed.
const ADMIN_TOKEN_MIN_LEN: usize = 24;

/// The folder `--pki` defaults to.
const DEFAULT_PKI: &str = "certs";

/// The TSA policy of the test PKI's time-stamping unit (RFC 3161 §2.4.2 `policy`): the
/// placeholder `tsa_policy1` of OpenSSL's sample configuration, since the test PKI has no
/// registered arc (2.999, the `example` arc, does not fit const-oid 0.9).
const TEST_TSA_POLICY: const_oid::ObjectIdentifier =
    const_oid::ObjectIdentifier::new_unwrap("1.2.3.4.1");

pub fn run(args: ServeArgs) -> anyhow::Result<Outcome> {
    // Nothing is logged until the store and the socket are both ready, so a start-up
    // failure is the one error line and nothing else.
    let store = Store::open(&args.data)?;
    let pki = args.pki.clone().or_else(|| {
        let default = PathBuf::from(DEFAULT_PKI);
        default.is_dir().then_some(default)
    });
    let admin_token = match std::env::var(ADMIN_TOKEN_VAR) {
        Ok(token) => {
            anyhow::ensure!(
                token.len() >= ADMIN_TOKEN_MIN_LEN,
                "{ADMIN_TOKEN_VAR} must be at least {ADMIN_TOKEN_MIN_LEN} characters"
            );
            Some(kyso::csc::Secret::new(token))
        }
        Err(_) => None,
    };
    let public_url = args
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", args.listen));
    let issued: Arc<dyn IssuedCertificates> =
        Arc::new(EnrolledCertificates(CscDirectory::new(&store)));
    let trust = pki
        .as_deref()
        .map(|dir| load_trust_services(dir, &issued))
        .transpose()?;
    // The HSM is opened before any thread starts: the embedded SoftHSM2 token may set
    // SOFTHSM2_CONF for this process.
    let csc = if args.no_remote_signing {
        None
    } else {
        match open_hsm(&args.hsm, &args.data) {
            Ok(keys) => {
                // Without the public CA, remote signing still works for enrolled citizens;
                // only enrollment over HTTP is off.
                let ca = pki.as_ref().and_then(|pki| {
                    load_citizen_ca(&CaArgs {
                        pki: pki.clone(),
                        public_url: public_url.clone(),
                    })
                    .map_err(|error| {
                        eprintln!("warning: enrollment over HTTP is off: {error:#}");
                    })
                    .ok()
                });
                let mut service = CscService::new(&store, Arc::new(keys))
                    .with_sad_lifetime(time::Duration::seconds(i64::from(args.sad_lifetime)))
                    .with_inline_limit(std::time::Duration::from_millis(u64::from(
                        args.inline_sign_ms,
                    )));
                if let Some(threads) = args.hsm.hsm_threads {
                    service = service.with_hsm_threads(usize::from(threads));
                }
                Some(Arc::new(CscState {
                    service,
                    ca,
                    admin_token,
                }))
            }
            // A configured HSM that fails is an error; the embedded one missing only turns
            // remote signing off, so the other services still start.
            Err(error) if args.hsm.hsm_module.is_some() => return Err(error),
            Err(error) => {
                eprintln!("warning: remote signing is off: {error:#}");
                None
            }
        }
    };
    let mut anchors = Vec::new();
    let configured = std::env::var_os(TRUST_DIR_VARIABLE)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from);
    let mut trust_paths: Vec<PathBuf> = args.trust.iter().cloned().chain(configured).collect();
    if trust_paths.is_empty()
        && let Some(pki) = &pki
        && pki.join("trust").is_dir()
    {
        trust_paths.push(pki.join("trust"));
    }
    for path in &trust_paths {
        load_anchors(path, &mut anchors)?;
    }
    let parallel = std::thread::available_parallelism().map_or(2, |n| n.get());
    let trust = trust.map(Arc::new);
    let signing = signing_service(&args, pki.as_deref(), &public_url, &trust, &anchors)?;
    let verify = Arc::new(VerifyService::new(anchors, parallel, true));
    let runner = JobRunner::open(
        &store,
        &args.data,
        RunnerConfig {
            workers: usize::from(args.job_workers),
            max_attempts: args.job_attempts,
            drain_timeout: std::time::Duration::from_secs(args.job_drain_seconds),
            ..RunnerConfig::default()
        },
    );

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let outcome = runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        let address = listener
            .local_addr()
            .context("cannot read the bound address")?;
        tracing::info!(database = %store.path().display(), "store ready");
        if let Some(trust) = &trust {
            tracing::info!(
                cas = ?trust.ca_slugs().collect::<Vec<_>>(),
                ocsp_responders = trust.ocsp_responder_count(),
                tsa = trust.has_tsa(),
                "trust services ready"
            );
        }
        tracing::info!("listening on http://{address}");
        if csc.is_some() {
            tracing::info!("remote signing ready under /csc/v2 and /csc/v1");
        }
        runner.start().context("cannot recover the digitize jobs")?;
        let state = AppState {
            store,
            trust,
            signing: Some(signing),
            csc,
            verify: Some(verify),
            rate_limit: kyso::server::api::limit::RateLimit::per_minute(args.rate_limit),
            jobs: Some(runner),
        };
        server::serve(listener, state, server::shutdown_signal())
            .await
            .context("the HTTP server failed")?;
        tracing::info!("stopped");
        Ok(Outcome::Success)
    });
    // Tasks still alive (a connection, a server-sent event stream) are dropped now, on the
    // runtime's threads, and waited for: the PKCS#11 sessions their state holds must be
    // closed before the process exits, or SoftHSM2 closes a session while its own exit
    // handlers free it (a segfault at exit, 4 stops in 15 before this wait). A digitize
    // thread the drain gave up on holds the exit 2 s more at most; its job is queued again.
    runtime.shutdown_timeout(std::time::Duration::from_secs(2));
    outcome
}

fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

fn certificate_der(path: &Path) -> anyhow::Result<Vec<u8>> {
    X509::from_pem(&read(path)?)
        .and_then(|cert| cert.to_der())
        .with_context(|| format!("{} is not a PEM certificate", path.display()))
}

fn private_key(path: &Path) -> anyhow::Result<PKey<openssl::pkey::Private>> {
    PKey::private_key_from_pem(&read(path)?)
        .with_context(|| format!("{} is not a PEM private key", path.display()))
}

/// Loads every CA of the folder: `ca/<ca>.index.txt` (its database), its certificate
/// (`ca/<ca>.pem`, or `trust/<ca>.pem` for a root), its key `ca/<ca>.key.pem`, and, when
/// present, its delegated OCSP responder `services/<ca>-ocsp.pem` + `.key.pem`; and the
/// time-stamping unit `services/tsa.p12` (password of the demo PKI) when present.
fn load_trust_services(
    dir: &Path,
    issued: &Arc<dyn IssuedCertificates>,
) -> anyhow::Result<TrustServices> {
    let ca_dir = dir.join("ca");
    let listing = std::fs::read_dir(&ca_dir).with_context(|| {
        format!(
            "{} is not a PKI folder: cannot list {}",
            dir.display(),
            ca_dir.display()
        )
    })?;
    let mut slugs: Vec<String> = listing
        .filter_map(|entry| entry.ok())
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            name.strip_suffix(".index.txt").map(str::to_owned)
        })
        .collect();
    slugs.sort();
    anyhow::ensure!(
        !slugs.is_empty(),
        "{} has no CA database (<ca>.index.txt)",
        ca_dir.display()
    );
    let mut trust = TrustServices::new();
    for slug in slugs {
        let index = ca_dir.join(format!("{slug}.index.txt"));
        let text = String::from_utf8(read(&index)?)
            .with_context(|| format!("{} is not UTF-8 text", index.display()))?;
        let entries =
            parse_database(&text).with_context(|| format!("cannot read {}", index.display()))?;
        let issuing = ca_dir.join(format!("{slug}.pem"));
        let cert_path = if issuing.is_file() {
            issuing
        } else {
            dir.join("trust").join(format!("{slug}.pem"))
        };
        let certificate = certificate_der(&cert_path)?;
        let key = private_key(&ca_dir.join(format!("{slug}.key.pem")))?;
        let responder_cert = dir.join("services").join(format!("{slug}-ocsp.pem"));
        let responder_key = dir.join("services").join(format!("{slug}-ocsp.key.pem"));
        if responder_cert.is_file() && responder_key.is_file() {
            let responder = OcspResponder::new(
                &certificate,
                private_key(&responder_key)?,
                &certificate_der(&responder_cert)?,
                entries.clone(),
            )
            .with_context(|| format!("cannot use {} as OCSP responder", responder_cert.display()))?
            .with_issued(issued.clone());
            trust.add_ocsp_responder(responder);
        }
        trust
            .add_ca(&slug, certificate, key, entries)
            .with_context(|| format!("cannot serve CA {slug} from {}", dir.display()))?;
    }
    let tsa = dir.join("services").join("tsa.p12");
    if tsa.is_file() {
        let signer = Pkcs12Signer::from_pkcs12(&read(&tsa)?, kyso::pki::demo::PKCS12_PASSWORD)
            .with_context(|| format!("cannot open {}", tsa.display()))?;
        trust.set_tsa(TimeStampAuthority::new(Box::new(signer), TEST_TSA_POLICY));
    }
    Ok(trust)
}

/// The agency's key for server-side signing, and where citizens log in for remote signing.
#[derive(Debug, Args)]
struct SigningArgs {
    /// PKCS#11 module (.so) of the token or HSM holding the agency's signing key. Default:
    /// the PKI folder's demo agency key (signers/agency-ubnd-lao-cai), imported once into an
    /// embedded SoftHSM2 token of its own (label kyso-agency, in DATA/softhsm), for
    /// demonstrations and tests.
    #[arg(long, value_name = "SO", requires_all = ["agency_token", "agency_key", "agency_pin_file"])]
    agency_pkcs11_module: Option<PathBuf>,
    /// Label of the agency's token.
    #[arg(long, value_name = "LABEL", requires = "agency_pkcs11_module")]
    agency_token: Option<String>,
    /// Label of the agency's key on the token.
    #[arg(long, value_name = "LABEL", requires = "agency_pkcs11_module")]
    agency_key: Option<String>,
    /// File holding the agency token's user PIN.
    #[arg(long, value_name = "FILE", requires = "agency_pkcs11_module")]
    agency_pin_file: Option<PathBuf>,
    /// The CSC API service citizens log in to (POST /api/login) and sign remotely with.
    /// Default: this server's own, at --public-url.
    #[arg(long, value_name = "URL")]
    csc_url: Option<String>,
}

/// Opens the agency key (a configured token must open; the embedded demo key only warns)
/// and sets up signing. Runs before any thread starts: the embedded token may set
/// SOFTHSM2_CONF for this process.
fn signing_service(
    args: &ServeArgs,
    pki: Option<&Path>,
    public_url: &str,
    trust: &Option<Arc<TrustServices>>,
    anchors: &[Vec<u8>],
) -> anyhow::Result<Arc<SigningService>> {
    let signing = &args.signing;
    let agency: Result<Arc<dyn Signer>, String> = match &signing.agency_pkcs11_module {
        Some(module) => {
            let token = signing.agency_token.as_deref().unwrap_or_default();
            let key = signing.agency_key.as_deref().unwrap_or_default();
            let pin_file = signing.agency_pin_file.as_deref().unwrap_or(Path::new(""));
            let pin = String::from_utf8(read(pin_file)?)
                .with_context(|| format!("{} is not UTF-8 text", pin_file.display()))?;
            let pin = pin.lines().next().unwrap_or_default();
            let signer = Pkcs11Signer::open(module, token, key, pin)
                .with_context(|| format!("cannot use the agency key '{key}' on token '{token}'"))?;
            Ok(Arc::new(signer))
        }
        None => match pki.filter(|pki| pki.join("signers").is_dir()) {
            Some(pki) => {
                let opened = agency::open_embedded(&args.data.join("softhsm"), pki)
                    .map(|signer| Arc::new(signer) as Arc<dyn Signer>);
                opened.map_err(|error| {
                    eprintln!("warning: server-side signing is off: {error}");
                    // The answer names the cause, not the data folder's paths.
                    format!(
                        "{}; the demo agency key of the PKI folder cannot be used",
                        agency::HOW_TO_CONFIGURE
                    )
                })
            }
            None => Err(agency::HOW_TO_CONFIGURE.to_owned()),
        },
    };
    // The base URL the test PKI's certificates name, answered in process like our own.
    let pki_url = pki
        .and_then(|pki| std::fs::read_to_string(pki.join("manifest.json")).ok())
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .and_then(|manifest| manifest["base_url"].as_str().map(str::to_owned));
    let csc_url = match (&signing.csc_url, args.no_remote_signing) {
        (Some(url), _) => Some(url.clone()),
        (None, false) => Some(public_url.to_owned()),
        (None, true) => None,
    };
    Ok(Arc::new(SigningService::new(SigningConfig {
        agency,
        trust: trust.clone(),
        own_urls: pki_url.into_iter().collect(),
        public_url: public_url.to_owned(),
        csc_url,
        anchors: anchors.to_vec(),
        stamp_font: PathBuf::from(signing::DEFAULT_STAMP_FONT),
    })))
}
