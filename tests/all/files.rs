//! Files at the trust boundary, through the real binary: what the user names (private key, CA
//! certificate, config file) must be a regular file under a size cap — a FIFO or `/dev/zero`
//! fails at once with what to do instead of reading forever; what sagediag writes (report, HAR)
//! is owner-only and never written through a symbolic link.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Nothing that could reach a real keyring.
const NO_BUS: &str = "unix:path=/nonexistent/sagediag-test-bus";

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sagediag-files-it-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs the binary with `args` and `env`; a run longer than 20 s is killed and fails the test
/// (a regression would read a FIFO or /dev/zero forever).
fn run(args: &[&str], env: &[(&str, &Path)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sagediag"));
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env("DBUS_SESSION_BUS_ADDRESS", NO_BUS)
        .env("SAGEDIAG_SECRETS", "/nonexistent/sagediag/secrets.json")
        .env_remove("SAGEDIAG_CLIENT_SECRET");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "sagediag {args:?} still running after 20 s (reading forever?); stderr: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[cfg(unix)]
fn mkfifo(path: &Path) -> bool {
    Command::new("mkfifo")
        .arg(path)
        .status()
        .is_ok_and(|s| s.success())
}

/// Every special file to try: `/dev/zero` and, where mkfifo exists, a FIFO; with the words the
/// message must use.
#[cfg(unix)]
fn specials(dir: &Path) -> Vec<(PathBuf, &'static str)> {
    let mut v = vec![(PathBuf::from("/dev/zero"), "(a character device)")];
    let fifo = dir.join("fifo");
    if mkfifo(&fifo) {
        v.push((fifo, "(a FIFO)"));
    } else {
        eprintln!("no mkfifo here: the FIFO cases are skipped");
    }
    v
}

fn assert_refused(out: &Output, expect: &[&str]) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    for e in expect {
        assert!(err.contains(e), "expected `{e}` in: {err}");
    }
}

#[cfg(unix)]
#[test]
fn a_special_file_as_private_key_fails_at_once() {
    let dir = scratch("key");
    for (path, kind) in specials(&dir) {
        let p = path.to_str().unwrap();
        let out = run(
            &[
                "check",
                "--env",
                "http://127.0.0.1:9",
                "--flow",
                "jwt",
                "--client-id",
                "x",
                "--username",
                "u@example.com",
                "--private-key",
                p,
            ],
            &[],
        );
        let msg =
            format!("--private-key {p}: not a regular file {kind}; give the path of the PEM file");
        assert_refused(&out, &[&msg]);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[cfg(unix)]
#[test]
fn a_special_file_as_ca_cert_fails_at_once() {
    let dir = scratch("ca");
    for (path, kind) in specials(&dir) {
        let p = path.to_str().unwrap();
        let out = run(
            &[
                "check",
                "--env",
                "http://127.0.0.1:9",
                "--client-id",
                "x",
                "--ca-cert",
                p,
            ],
            &[],
        );
        let msg =
            format!("--ca-cert {p}: not a regular file {kind}; give the path of the PEM file");
        assert_refused(&out, &[&msg]);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[cfg(unix)]
#[test]
fn a_special_file_as_config_fails_at_once() {
    let dir = scratch("config");
    for (path, kind) in specials(&dir) {
        let out = run(
            &["check", "--env", "http://127.0.0.1:9", "--client-id", "x"],
            &[("SAGEDIAG_CONFIG", &path)],
        );
        let msg = format!(
            "{}: not a regular file {kind}; give the path of the TOML file",
            path.display()
        );
        assert_refused(&out, &[&msg]);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A private key larger than any key is refused by its size, before it is read.
#[test]
fn an_oversized_private_key_is_refused() {
    let dir = scratch("bigkey");
    let key = dir.join("huge.pem");
    std::fs::write(&key, vec![b'A'; 1024 * 1024]).unwrap();
    let out = run(
        &[
            "check",
            "--env",
            "http://127.0.0.1:9",
            "--flow",
            "jwt",
            "--client-id",
            "x",
            "--username",
            "u@example.com",
            "--private-key",
            key.to_str().unwrap(),
        ],
        &[],
    );
    assert_refused(
        &out,
        &[
            "too large for a private key",
            "give the path of the PEM file",
        ],
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The report and the HAR file are written owner-only (0600), even over a file open to all; a
/// symbolic link at either path is refused and its target left alone.
#[cfg(unix)]
#[test]
fn report_and_har_are_owner_only_and_never_written_through_a_link() {
    use std::os::unix::fs::PermissionsExt;
    let dir = scratch("exports");
    let (md, har) = (dir.join("report.md"), dir.join("log.har"));
    std::fs::write(&md, "old report").unwrap();
    std::fs::set_permissions(&md, std::fs::Permissions::from_mode(0o644)).unwrap();
    // Port 9 (discard) refuses: the check fails at the environment step and still writes both.
    let args = |md: &Path, har: &Path| -> Vec<String> {
        [
            "check",
            "--env",
            "http://127.0.0.1:9",
            "--client-id",
            "x",
            "--no-browser",
            "--timeout",
            "5",
            "--report",
            md.to_str().unwrap(),
            "--har",
            har.to_str().unwrap(),
        ]
        .map(String::from)
        .to_vec()
    };
    let a = args(&md, &har);
    let out = run(&a.iter().map(String::as_str).collect::<Vec<_>>(), &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("Report written to"), "{err}");
    assert!(err.contains("HAR written to"), "{err}");
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&md), 0o600, "report");
    assert_eq!(mode(&har), 0o600, "HAR");
    assert!(std::fs::read_to_string(&md).unwrap().contains("sagediag"));

    let victim = dir.join("victim");
    std::fs::write(&victim, "the victim's").unwrap();
    let (md_link, har_link) = (dir.join("link.md"), dir.join("link.har"));
    std::os::unix::fs::symlink(&victim, &md_link).unwrap();
    std::os::unix::fs::symlink(&victim, &har_link).unwrap();
    let a = args(&md_link, &har_link);
    let out = run(&a.iter().map(String::as_str).collect::<Vec<_>>(), &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot write the report"), "{err}");
    assert!(err.contains("cannot write the HAR file"), "{err}");
    assert!(err.contains("symbolic link"), "{err}");
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "the victim's");
    let _ = std::fs::remove_dir_all(&dir);
}
