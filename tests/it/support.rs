//! Shared helpers: running the `kyso` binary and external judges, and reading the committed
//! test PKI's manifest.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn kyso() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kyso"));
    command.env_remove("KYSO_LOG");
    // The test process points SoftHSM2 at its shared test tokens; a `kyso serve` started by a
    // test keeps its own embedded token in its data folder unless a test says otherwise.
    command.env_remove("SOFTHSM2_CONF");
    command
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs a command and returns its output; panics with a readable message if it cannot start.
pub fn run(command: &mut Command) -> Output {
    command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"))
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Asserts the error contract of the CLI: exit code 2 and exactly one line on stderr, starting
/// with `kyso: error:`, and no panic or backtrace.
pub fn assert_clean_error(output: &Output, must_mention: &str) {
    let err = stderr(output);
    assert_eq!(output.status.code(), Some(2), "stderr: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "not one line: {err}");
    assert!(err.starts_with("kyso: error: "), "{err}");
    assert!(
        err.contains(must_mention),
        "{err:?} should mention {must_mention:?}"
    );
    assert!(
        !err.contains("panicked") && !err.contains("backtrace"),
        "{err}"
    );
}

/// The committed test PKI's `manifest.json`.
pub fn manifest(certs: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(certs.join("manifest.json")).expect("manifest.json");
    serde_json::from_str(&text).expect("manifest.json is JSON")
}

/// One SoftHSM2 configuration for the whole test process: SoftHSM reads SOFTHSM2_CONF once,
/// at C_Initialize, and PKCS#11 modules initialize once per process. Tests use distinct
/// token labels. Returns the directory holding `softhsm2.conf` and `tokens/`.
pub fn softhsm_conf() -> &'static Path {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        // Per process, under the target's scratch dir; leftovers of finished runs go first.
        let base = Path::new(env!("CARGO_TARGET_TMPDIR"));
        for entry in std::fs::read_dir(base).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(pid) = name.strip_prefix("softhsm-")
                && !Path::new("/proc").join(pid).exists()
            {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
        let dir = base.join(format!("softhsm-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("tokens")).unwrap();
        let conf = dir.join("softhsm2.conf");
        std::fs::write(
            &conf,
            format!(
                "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
                dir.join("tokens").display()
            ),
        )
        .unwrap();
        // SAFETY: set once, before the module is loaded; no test reads this variable from
        // another thread before the OnceLock is initialized.
        unsafe { std::env::set_var("SOFTHSM2_CONF", &conf) };
        dir
    })
}
