//! Networks: the simulated org served over TLS by a test CA (trusted only with `--ca-cert`),
//! reached through a local CONNECT proxy given by HTTPS_PROXY, which the report shows.

use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use crate::common::*;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

const CA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/test-ca.cert.pem"
);

/// A TLS front on loopback (the test CA's leaf certificate) relaying to `backend`.
async fn tls_front(backend: u16) -> u16 {
    let acceptor = tls_acceptor(
        include_str!("../fixtures/leaf.cert.pem"),
        include_str!("../fixtures/leaf.key.pem"),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                if let Ok(mut tls) = acceptor.accept(tcp).await
                    && let Ok(mut up) = TcpStream::connect(("127.0.0.1", backend)).await
                {
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut up).await;
                }
            });
        }
    });
    port
}

/// A CONNECT proxy on loopback; records the targets it tunnelled to.
async fn connect_proxy() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen2 = seen.clone();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let seen = seen2.clone();
            tokio::spawn(async move {
                let mut reader = BufReader::new(client);
                let mut line = String::new();
                if reader.read_line(&mut line).await.is_err() {
                    return;
                }
                // Skip the rest of the request head.
                loop {
                    let mut h = String::new();
                    if reader.read_line(&mut h).await.unwrap_or(0) == 0 || h == "\r\n" {
                        break;
                    }
                }
                let mut client = reader.into_inner();
                let Some(target) = line
                    .strip_prefix("CONNECT ")
                    .and_then(|r| r.split_whitespace().next())
                    .map(str::to_string)
                else {
                    let _ = client
                        .write_all(b"HTTP/1.1 405 Method Not Allowed\r\ncontent-length: 0\r\n\r\n")
                        .await;
                    return;
                };
                seen.lock().unwrap().push(target.clone());
                if let Ok(mut up) = TcpStream::connect(target.as_str()).await {
                    let _ = client
                        .write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
                        .await;
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut up).await;
                }
            });
        }
    });
    (port, seen)
}

async fn check(args: Vec<String>, env: Vec<(&'static str, String)>) -> (Value, String) {
    let out = tokio::task::spawn_blocking(move || {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_sagediag"));
        cmd.args(&args).stdin(Stdio::null());
        for k in [
            "HTTPS_PROXY",
            "https_proxy",
            "HTTP_PROXY",
            "http_proxy",
            "NO_PROXY",
            "no_proxy",
            "ALL_PROXY",
            "all_proxy",
        ] {
            cmd.env_remove(k);
        }
        // Never the developer's own keyring or secrets file.
        cmd.env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/sagediag-test-bus",
        )
        .env("SAGEDIAG_SECRETS", "/nonexistent/sagediag/secrets.json");
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let json = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{e}: {stdout}\n{}", String::from_utf8_lossy(&out.stderr)));
    (json, String::from_utf8_lossy(&out.stderr).into_owned())
}

fn codes(j: &Value) -> Vec<String> {
    j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_test_ca_over_a_connect_proxy() {
    let sim = start("healthy").await;
    let tls = tls_front(sim.running.addr.port()).await;
    let (proxy, seen) = connect_proxy().await;
    let env_url = format!("https://127.0.0.1:{tls}");
    let base = |extra: &[&str]| {
        let mut v: Vec<String> = [
            "check",
            "--json",
            "--no-browser",
            "--env",
            &env_url,
            "--client-id",
            sim.client_id(),
            "--username",
            sim.username(),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    let proxy_env = vec![
        ("SAGEDIAG_CLIENT_SECRET", sim.secret()),
        ("HTTPS_PROXY", format!("http://127.0.0.1:{proxy}")),
        // The instance URL (plain http on loopback) goes direct.
        ("NO_PROXY", "localhost".to_string()),
    ];

    // Without the CA: the inspection CA is not trusted.
    let (j, _) = check(base(&[]), proxy_env.clone()).await;
    assert_eq!(codes(&j), ["TLS_UNTRUSTED"], "{j}");

    // With --ca-cert: the whole check passes, through the proxy, and the report says so.
    let (j, stderr) = check(base(&["--ca-cert", CA]), proxy_env).await;
    assert_eq!(j["outcome"], "pass", "{:?}\n{stderr}", codes(&j));
    assert_eq!(
        j["environment"]["proxy"],
        format!("http://127.0.0.1:{proxy}/")
    );
    let tunnelled = seen.lock().unwrap().clone();
    assert!(
        tunnelled.iter().all(|t| *t == format!("127.0.0.1:{tls}")) && tunnelled.len() >= 2,
        "{tunnelled:?}"
    );
    assert!(
        stderr.contains(&format!("proxy http://127.0.0.1:{proxy}/")),
        "the proxy in use is shown: {stderr}"
    );

    // The config file's `ca_certs` does the same (a path relative to the config file).
    let dir = std::env::temp_dir().join(format!("sagediag-ca-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(CA, dir.join("corp-ca.pem")).unwrap();
    let config = dir.join("config.toml");
    std::fs::write(&config, "ca_certs = [\"corp-ca.pem\"]\n").unwrap();
    let mut env = vec![
        ("SAGEDIAG_CLIENT_SECRET", sim.secret()),
        ("SAGEDIAG_CONFIG", config.display().to_string()),
    ];
    env.push(("NO_PROXY", "*".into()));
    let (j, stderr) = check(base(&[]), env).await;
    assert_eq!(j["outcome"], "pass", "{:?}\n{stderr}", codes(&j));
    let _ = std::fs::remove_dir_all(&dir);

    // A bad --ca-cert file is a usage error.
    let (code, err) = {
        let out = Command::new(env!("CARGO_BIN_EXE_sagediag"))
            .args([
                "check",
                "--client-id",
                "x",
                "--ca-cert",
                concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"),
            ])
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    assert_eq!(code, Some(2));
    assert!(err.contains("not a PEM certificate"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn insecure_host_skips_verification_for_that_host_only_and_says_so() {
    let sim = start("healthy").await;
    let tls = tls_front(sim.running.addr.port()).await;
    let env_url = format!("https://127.0.0.1:{tls}");
    let args = |host: &str| -> Vec<String> {
        [
            "check",
            "--json",
            "--no-browser",
            "--env",
            &env_url,
            "--client-id",
            sim.client_id(),
            "--username",
            sim.username(),
            "--insecure-host",
            host,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let env = vec![("SAGEDIAG_CLIENT_SECRET", sim.secret())];
    let (j, stderr) = check(args("127.0.0.1"), env.clone()).await;
    assert_eq!(j["outcome"], "pass", "{:?}", codes(&j));
    assert_eq!(
        j["environment"]["insecure_hosts"],
        serde_json::json!(["127.0.0.1"])
    );
    assert!(
        stderr.contains("WARNING: TLS certificate verification is OFF for 127.0.0.1"),
        "{stderr}"
    );
    // Another host named: 127.0.0.1 is still verified.
    let (j, _) = check(args("localhost"), env.clone()).await;
    assert_eq!(codes(&j), ["TLS_UNTRUSTED"]);
    // Through the proxy too, and the human report carries the warning.
    let (proxy, _) = connect_proxy().await;
    let out = tokio::task::spawn_blocking({
        let mut a = args("127.0.0.1");
        a.retain(|x| x != "--json");
        move || {
            Command::new(env!("CARGO_BIN_EXE_sagediag"))
                .args(&a)
                .env("SAGEDIAG_CLIENT_SECRET", &env[0].1)
                .env("HTTPS_PROXY", format!("http://127.0.0.1:{proxy}"))
                .env("NO_PROXY", "localhost")
                .stdin(Stdio::null())
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("WARNING: TLS certificate verification was OFF for 127.0.0.1"),
        "{text}"
    );
    assert!(text.contains("Outcome: PASS"), "{text}");
}

/// A machine with no CA store (rustls-platform-verifier reads `SSL_CERT_FILE`/`SSL_CERT_DIR`
/// instead of the system's paths when either is set: here an empty directory and a missing
/// file): the bundled public roots verify, the environment step says so, the test CA is still
/// refused, and `--ca-cert` and `SSL_CERT_FILE` still add it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_system_ca_store_falls_back_to_the_bundled_roots_and_says_so() {
    let sim = start("healthy").await;
    let tls = tls_front(sim.running.addr.port()).await;
    let env_url = format!("https://127.0.0.1:{tls}");
    let empty = std::env::temp_dir().join(format!("sagediag-no-ca-store-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    let args = |extra: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = [
            "check",
            "--json",
            "--no-browser",
            "--env",
            &env_url,
            "--client-id",
            sim.client_id(),
            "--username",
            sim.username(),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    let bare = |file: String| {
        vec![
            ("SAGEDIAG_CLIENT_SECRET", sim.secret()),
            ("SSL_CERT_DIR", empty.display().to_string()),
            ("SSL_CERT_FILE", file),
        ]
    };
    let missing = empty.join("none.pem").display().to_string();
    const BUNDLED: &str = "TLS verified against sagediag's bundled public roots (no system trust store found: SSL_CERT_FILE or --ca-cert names a CA bundle)";

    // Verification stays on: the bundled public roots do not trust the test CA.
    let (j, stderr) = check(args(&[]), bare(missing.clone())).await;
    assert_eq!(codes(&j), ["TLS_UNTRUSTED"], "{j}\n{stderr}");
    assert!(stderr.contains(BUNDLED), "{stderr}");

    // --ca-cert adds the CA to the bundled roots: the whole check passes, and says how.
    let (j, stderr) = check(args(&["--ca-cert", CA]), bare(missing)).await;
    assert_eq!(j["outcome"], "pass", "{:?}\n{stderr}", codes(&j));
    assert!(
        stderr.contains(&format!(
            "{BUNDLED} and the CA file given (--ca-cert/ca_certs)"
        )),
        "{stderr}"
    );

    // SSL_CERT_FILE naming a bundle is a trust store: it is used, not the bundled roots.
    let (j, stderr) = check(args(&[]), bare(CA.to_string())).await;
    assert_eq!(j["outcome"], "pass", "{:?}\n{stderr}", codes(&j));
    assert!(
        stderr.contains("TLS verified against the system's trust store")
            && !stderr.contains(BUNDLED),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&empty);
}

/// A server that answers the first request on a connection, then reads the second and closes
/// the connection without a byte of answer (an idle time-out racing the request); every later
/// connection answers each request. Returns its port and the connections it accepted.
async fn closes_a_kept_alive_connection() -> (u16, Arc<Mutex<usize>>) {
    use tokio::io::AsyncReadExt;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = Arc::new(Mutex::new(0usize));
    let count = accepted.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = listener.accept().await else {
                return;
            };
            let n = {
                let mut c = count.lock().unwrap();
                *c += 1;
                *c
            };
            tokio::spawn(async move {
                let mut answered = 0;
                loop {
                    // One request: its head (the requests here have no body).
                    let mut head = Vec::new();
                    let mut byte = [0u8; 1];
                    while !head.ends_with(b"\r\n\r\n") {
                        match s.read(&mut byte).await {
                            Ok(1) => head.push(byte[0]),
                            _ => return,
                        }
                    }
                    if n == 1 && answered == 1 {
                        // The second request on the first connection: closed unanswered.
                        return;
                    }
                    let body = format!("{{\"connection\":{n}}}");
                    let answer = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                        body.len()
                    );
                    if s.write_all(answer.as_bytes()).await.is_err() {
                        return;
                    }
                    answered += 1;
                }
            });
        }
    });
    (port, accepted)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_get_on_a_connection_closed_before_the_answer_is_sent_again_on_a_fresh_one() {
    use sagediag::engine::http::{Client, Failure, Request};
    let (port, accepted) = closes_a_kept_alive_connection().await;
    let c = Client::new(std::time::Duration::from_secs(10), None).unwrap();
    let url = format!("http://127.0.0.1:{port}/x");
    let (_, first) = c.send(Request::get(url.clone())).await;
    assert_eq!(first.unwrap().json().unwrap()["connection"], 1);
    // Sent on the kept-alive connection, which the server closes: sent again on a new one.
    let (_, second) = c.send(Request::get(url.clone())).await;
    assert_eq!(second.unwrap().json().unwrap()["connection"], 2);
    assert_eq!(
        *accepted.lock().unwrap(),
        2,
        "one retry, one new connection"
    );

    // A POST is never sent twice: the same close is its failure.
    let (port, accepted) = closes_a_kept_alive_connection().await;
    let c = Client::new(std::time::Duration::from_secs(10), None).unwrap();
    let url = format!("http://127.0.0.1:{port}/x");
    let (_, first) = c.send(Request::get(url.clone())).await;
    assert!(first.is_ok());
    let (_, post) = c
        .send(Request::post_form(url, &[("grant_type", "password")]))
        .await;
    let Err(f) = post else {
        panic!("a POST was sent twice")
    };
    assert!(matches!(f, Failure::Body(_) | Failure::Other(_)), "{f:?}");
    assert_eq!(*accepted.lock().unwrap(), 1);
}
