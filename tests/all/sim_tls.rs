//! `sagediag sim --tls`: HTTPS on both host names with a CA generated at start, whose PEM is
//! written owner-only and named in the JSON line.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use reqwest::StatusCode;
use sagediag::sim::{self, Options, Scenario, SimInfo};
use serde_json::Value;

fn client(ca_file: &str) -> reqwest::Client {
    let pem = std::fs::read(ca_file).unwrap();
    reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&pem).unwrap()])
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn tls_serves_both_hosts_with_a_generated_ca() {
    let running = sim::start_with(
        Scenario::default(),
        "127.0.0.1:0".parse().unwrap(),
        Options {
            tls: true,
            ..Options::default()
        },
    )
    .await
    .unwrap();
    let info = running.info.clone();
    assert!(info.login_url.starts_with("https://127.0.0.1:"));
    assert!(info.instance_url.starts_with("https://localhost:"));
    let ca_file = info.ca_file.clone().expect("ca_file");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&ca_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "owner-only");
    }
    let http = client(&ca_file);
    for base in [&info.login_url, &info.instance_url] {
        let resp = http
            .get(format!("{base}/services/data/"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{base}");
    }
    // A whole login and an API call over TLS.
    let token: Value = http
        .post(format!("{}/services/oauth2/token", info.instance_url))
        .form(&[
            ("grant_type", "password"),
            ("client_id", info.client_id.as_str()),
            ("client_secret", info.client_secret.as_str()),
            ("username", info.username.as_str()),
            ("password", info.password.as_str()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        token["instance_url"]
            .as_str()
            .unwrap()
            .starts_with("https://localhost:")
    );
    let resp = http
        .get(format!(
            "{}/services/apexrest/spapi/v4/employees",
            info.instance_url
        ))
        .bearer_auth(token["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    // A client that does not trust the CA is refused.
    let untrusting = reqwest::Client::new();
    assert!(
        untrusting
            .get(format!("{}/services/data/", info.login_url))
            .send()
            .await
            .is_err()
    );
    running.stop().await;
    assert!(!std::path::Path::new(&ca_file).exists(), "removed on stop");
}

#[tokio::test]
async fn plain_http_stays_the_default_and_has_no_ca_file() {
    let running = sim::start(Scenario::default(), "127.0.0.1:0".parse().unwrap(), false)
        .await
        .unwrap();
    assert!(running.info.login_url.starts_with("http://"));
    let line = serde_json::to_string(&running.info).unwrap();
    assert!(!line.contains("ca_file"), "{line}");
    running.stop().await;
}

#[tokio::test]
async fn the_binary_prints_ca_file_with_tls() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sagediag"))
        .args(["sim", "--tls"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let info: SimInfo = serde_json::from_str(&line).unwrap();
    assert!(info.login_url.starts_with("https://"), "{line}");
    let ca = info.ca_file.expect("ca_file in the JSON line");
    assert!(ca.ends_with("-ca.pem"), "{ca}");
    assert!(std::path::Path::new(&ca).exists());
    // It answers over TLS with that CA (and by then it listens for SIGTERM).
    let resp = client(&ca)
        .get(format!("{}/services/data/", info.login_url))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    // SIGTERM stops it cleanly, and the CA file goes with it.
    let stopped = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .is_ok_and(|s| s.success());
    if !stopped {
        let _ = child.kill();
    }
    let _ = child.wait();
    if stopped {
        assert!(!std::path::Path::new(&ca).exists(), "{ca} left behind");
    }
}
