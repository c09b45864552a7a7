//! The simulator never panics, hangs or grows without bound, whatever a client or a scenario
//! file does: accented data in SOQL, idle or half-sent connections, large payDetails bodies,
//! scenario paths that are FIFOs or devices, huge clock moves.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::common::*;
use reqwest::StatusCode;
use sagediag::sim::scenario::{MAX_SCENARIO_BYTES, read_scenario_file};
use sagediag::sim::{self, Options, Scenario};
use serde_json::{Value, json};

const V4: &str = "/services/apexrest/spapi/v4";

#[tokio::test]
async fn soql_on_accented_data_answers_instead_of_panicking() {
    let mut sc = Scenario::default();
    // "José Ébrd-Muñoz" is 18 bytes, and byte 15 falls inside the "ñ".
    sc.users[0].first_name = "José".into();
    sc.users[0].last_name = "Ébrd-Muñoz".into();
    let sim = start_with(sc).await;
    let token = sim.access_token().await;
    let (status, body) = sim
        .soql(
            &token,
            "SELECT Id, Name FROM User WHERE Name = 'abcdefghijklmno'",
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["totalSize"], 0);
    let (status, body) = sim
        .soql(
            &token,
            "SELECT Name FROM User WHERE Name = 'JOSÉ ÉBRD-MUÑOZ'",
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["records"][0]["Name"], "José Ébrd-Muñoz");
}

/// Reads until the server closes the connection; how long that took.
fn closed_within(mut stream: TcpStream, bound: Duration) -> Duration {
    let started = Instant::now();
    stream.set_read_timeout(Some(bound)).unwrap();
    let mut buf = [0u8; 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return started.elapsed(),
            Ok(_) => continue,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                panic!("still open after {:?}", started.elapsed())
            }
            // A reset also closes it.
            Err(_) => return started.elapsed(),
        }
    }
}

#[tokio::test]
async fn half_sent_and_idle_connections_are_closed() {
    let running = sim::start_with(
        Scenario::default(),
        "127.0.0.1:0".parse().unwrap(),
        Options {
            header_read_timeout: Duration::from_secs(1),
            ..Options::default()
        },
    )
    .await
    .unwrap();
    let addr = running.addr;
    let took = tokio::task::spawn_blocking(move || {
        let mut half = TcpStream::connect(addr).unwrap();
        half.write_all(b"GET /services/data/ HTTP/1.1\r\nHost: 127.0.0.1\r\nAcc")
            .unwrap();
        let half_took = closed_within(half, Duration::from_secs(10));
        let silent = TcpStream::connect(addr).unwrap();
        let silent_took = closed_within(silent, Duration::from_secs(10));
        (half_took, silent_took)
    })
    .await
    .unwrap();
    assert!(took.0 >= Duration::from_millis(900), "{took:?}");
    assert!(took.0 < Duration::from_secs(5), "{took:?}");
    assert!(took.1 < Duration::from_secs(5), "{took:?}");
    // A whole request is still answered.
    let http = reqwest::Client::new();
    let resp = http
        .get(format!("{}/services/data/", running.info.login_url))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    running.stop().await;
}

#[tokio::test]
async fn the_default_header_read_timeout_is_bounded() {
    assert_eq!(
        Options::default().header_read_timeout,
        sim::server::HEADER_READ_TIMEOUT
    );
    assert!(sim::server::HEADER_READ_TIMEOUT <= Duration::from_secs(60));
}

#[tokio::test]
async fn pay_details_accepts_up_to_6_mb_and_answers_413_above() {
    let sim = start("healthy").await;
    let token = sim.access_token().await;
    let emp = "a2G250000000001EAA";
    let post = |body: String| {
        let sim = &sim;
        let token = token.clone();
        async move {
            sim.http
                .post(format!("{}{V4}/employees/{emp}/payDetails", sim.instance()))
                .bearer_auth(&token)
                .header("Content-Type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap()
        }
    };
    // A 4.5 MB payslip (3.4 MB of PDF, base64): axum's 2 MB default refused it.
    let content = "QUJD".repeat(1_125_000);
    let body =
        json!({"data": {"period": "7", "document": {"name": "payslip.pdf", "content": content}}})
            .to_string();
    assert!(body.len() > 4_000_000 && body.len() < 6 * 1024 * 1024);
    let resp = post(body).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let created: Value = resp.json().await.unwrap();
    assert_eq!(created["data"]["document"], json!({"name": "payslip.pdf"}));
    // Over 6 MB: the documented 413 CONTENT_TOO_LARGE, in the Sage People error shape.
    let content = "QUJD".repeat(1_700_000);
    let body =
        json!({"data": {"period": "7", "document": {"name": "big.pdf", "content": content}}})
            .to_string();
    let resp = post(body).await;
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let err: Value = resp.json().await.unwrap();
    assert_eq!(err["error"]["code"], "REQUEST_ERROR");
    assert_eq!(err["error"]["innererror"]["code"], "CONTENT_TOO_LARGE");
}

#[tokio::test]
async fn huge_clock_moves_and_jwt_expiries_do_not_overflow() {
    let sim = start("healthy").await;
    sim.advance_clock(u64::MAX).await;
    sim.advance_clock(u64::MAX).await;
    let resp = sim
        .token(&[
            ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
            (
                "assertion",
                &jwt(
                    json!({"iss": sim.client_id(), "sub": sim.username(), "aud": "https://login.salesforce.com", "exp": u64::MAX}),
                    DEMO_KEY,
                ),
            ),
        ])
        .await;
    // Answered (the clock is at the end of time), not a dropped connection.
    assert_eq!(resp.0, StatusCode::BAD_REQUEST, "{}", resp.1);
}

/// Runs `f` on a thread; fails if it takes longer than `bound` (instead of hanging the suite).
fn within<T: Send + 'static>(bound: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(bound).expect("returned in time")
}

#[test]
fn a_scenario_path_must_be_a_small_regular_file() {
    let dir = std::env::temp_dir().join(format!("sagediag-sim-read-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    // A FIFO nobody writes to: opening it would wait for ever.
    let fifo = dir.join("org.toml");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success());
    if made {
        let path = fifo.to_str().unwrap().to_string();
        let err = within(Duration::from_secs(5), move || {
            Scenario::load(&path).unwrap_err().to_string()
        });
        assert!(err.contains("not a regular file"), "{err}");
        assert!(err.starts_with(fifo.to_str().unwrap()), "{err}");
    }
    // A device that never ends.
    if std::path::Path::new("/dev/zero").exists() {
        let err = within(Duration::from_secs(5), || {
            Scenario::load("/dev/zero").unwrap_err().to_string()
        });
        assert!(err.contains("not a regular file"), "{err}");
    }
    // A directory.
    let err = Scenario::load(dir.to_str().unwrap())
        .unwrap_err()
        .to_string();
    assert!(err.contains("not a regular file"), "{err}");
    // Too big.
    let big = dir.join("big.toml");
    std::fs::write(&big, "#".repeat(MAX_SCENARIO_BYTES as usize + 1)).unwrap();
    let err = Scenario::load(big.to_str().unwrap())
        .unwrap_err()
        .to_string();
    assert!(err.contains("at most 1048576"), "{err}");
    // A fine one.
    let ok = dir.join("ok.toml");
    std::fs::write(&ok, "name = \"mine\"\n").unwrap();
    assert_eq!(
        read_scenario_file(&ok, MAX_SCENARIO_BYTES).unwrap(),
        "name = \"mine\"\n"
    );
    assert_eq!(Scenario::load(ok.to_str().unwrap()).unwrap().name, "mine");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Issue 24 §5: a WHERE nested thousands deep answers 400 MALFORMED_QUERY over HTTP, and the
/// simulator stays up.
#[tokio::test]
async fn a_deeply_nested_where_answers_malformed_query_and_the_org_stays_up() {
    let sim = start("healthy").await;
    let token = sim.access_token().await;
    let depth = 5_000;
    let q = format!(
        "SELECT Id FROM User WHERE {}IsActive = true{}",
        "(".repeat(depth),
        ")".repeat(depth)
    );
    let (status, body) = sim.soql(&token, &q).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body[0]["errorCode"], "MALFORMED_QUERY");
    assert!(
        body[0]["message"]
            .as_str()
            .unwrap()
            .contains("nested too deeply"),
        "{body}"
    );
    let (status, body) = sim
        .soql(&token, "SELECT Id FROM User WHERE ((IsActive = true))")
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    sim.running.stop().await;
}

/// Issue 24 §5: a request body that never completes is timed out: the request fails and the
/// connection closes, instead of holding a task for ever.
#[tokio::test]
async fn a_body_that_never_completes_is_timed_out() {
    let running = sim::start_with(
        Scenario::default(),
        "127.0.0.1:0".parse().unwrap(),
        Options {
            body_read_timeout: Duration::from_secs(1),
            ..Options::default()
        },
    )
    .await
    .unwrap();
    let addr = running.addr;
    let (took, answer) = tokio::task::spawn_blocking(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(
            b"POST /services/oauth2/token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\ngrant_type=pass",
        )
        .unwrap();
        // Trickle a byte now and then: an idle timeout alone would never fire.
        let started = Instant::now();
        s.set_read_timeout(Some(Duration::from_millis(300))).unwrap();
        let mut answer = Vec::new();
        let mut buf = [0u8; 1024];
        loop {
            assert!(started.elapsed() < Duration::from_secs(10), "still open");
            let _ = s.write_all(b"w");
            match s.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => answer.extend_from_slice(&buf[..n]),
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(_) => break,
            }
        }
        (started.elapsed(), String::from_utf8_lossy(&answer).into_owned())
    })
    .await
    .unwrap();
    assert!(took >= Duration::from_millis(900), "{took:?}");
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    // The org still answers a whole request.
    let resp = reqwest::Client::new()
        .get(format!("{}/services/data/", running.info.login_url))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    running.stop().await;
}

#[tokio::test]
async fn the_default_body_read_timeout_is_bounded() {
    assert_eq!(
        Options::default().body_read_timeout,
        sim::server::BODY_READ_TIMEOUT
    );
    assert!(sim::server::BODY_READ_TIMEOUT <= Duration::from_secs(120));
}
