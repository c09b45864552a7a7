//! The engine's web login as a person completes it — through the loopback callback server, or
//! by pasting the redirect URL — against the simulated org; and TLS verification.

use std::time::Duration;

use crate::common::*;
use sagediag::engine::{self, Config, Environment, Event, Flow, Report};
use sagediag::sim::{Scenario, crypto};
use tokio::sync::mpsc;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A sim whose app also registers `http://localhost:PORT/OauthRedirect` for this test alone.
async fn sim_with_callback(port: u16) -> Sim {
    let mut sc = Scenario::load("healthy").unwrap();
    sc.app
        .callback_urls
        .push(format!("http://localhost:{port}/OauthRedirect"));
    start_with(sc).await
}

struct Login {
    events: mpsc::UnboundedReceiver<Event>,
    paste: mpsc::UnboundedSender<String>,
    run: tokio::task::JoinHandle<Report>,
}

/// Starts a web login with no login hint: the org shows its login page, so the engine waits
/// for a person.
fn begin(sim: &Sim, port: u16) -> Login {
    let mut cfg = Config::new(
        Environment::parse(sim.login()).unwrap(),
        Flow::Web,
        sim.client_id(),
    );
    cfg.client_secret = Some(sim.secret());
    cfg.callback_port = port;
    cfg.login_timeout = Duration::from_secs(20);
    let (tx, events) = mpsc::unbounded_channel();
    let (paste, prx) = mpsc::unbounded_channel();
    let run = tokio::spawn(async move {
        let opts = engine::RunOptions {
            pasted: Some(prx),
            ..Default::default()
        };
        engine::run(cfg, tx, opts).await.report
    });
    Login { events, paste, run }
}

impl Login {
    /// The first event `pick` takes (others are skipped), within 10 s; `what` names it.
    async fn next<T>(&mut self, what: &str, pick: impl Fn(Event) -> Option<T>) -> T {
        loop {
            match tokio::time::timeout(Duration::from_secs(10), self.events.recv())
                .await
                .unwrap_or_else(|_| panic!("no {what} within 10 s"))
            {
                Some(e) => {
                    if let Some(t) = pick(e) {
                        return t;
                    }
                }
                None => panic!("the engine stopped before {what}"),
            }
        }
    }

    async fn authorize_url(&mut self) -> String {
        self.next("the authorize URL", |e| match e {
            Event::AuthorizeUrl { url, .. } => Some(url),
            _ => None,
        })
        .await
    }

    /// Waits until the engine serves its callback (after the pre-flight).
    async fn waiting(&mut self) {
        self.next("waiting", |e| match e {
            Event::Progress(p) if p.starts_with("Waiting for the login") => Some(()),
            _ => None,
        })
        .await;
    }

    /// The reason of the next refused paste.
    async fn refused(&mut self) -> String {
        self.next("a refused paste", |e| match e {
            Event::PasteRefused { reason } => Some(reason),
            _ => None,
        })
        .await
    }

    /// The reason the paste field opened on its own (the callback cannot be used).
    async fn paste_needed(&mut self) -> String {
        self.next("asking for a paste", |e| match e {
            Event::PasteNeeded { reason } => Some(reason),
            _ => None,
        })
        .await
    }

    async fn report(mut self) -> Report {
        let drain = tokio::spawn(async move { while self.events.recv().await.is_some() {} });
        let r = tokio::time::timeout(Duration::from_secs(30), self.run)
            .await
            .unwrap()
            .unwrap();
        drain.abort();
        r
    }
}

/// What a person does in a browser with the authorize URL: logs in on the org's page and
/// allows the app. The redirect URL the browser would land on.
async fn approve_as_a_person(sim: &Sim, url: &str) -> String {
    let mut form: Vec<(String, String)> = query_of(url).into_iter().collect();
    form.extend([
        ("username".into(), sim.username().into()),
        ("pw".into(), "Demo-Passw0rd!".into()),
        ("action".into(), "allow".into()),
    ]);
    let resp = sim
        .http
        .post(format!("{}/services/oauth2/authorize", sim.login()))
        .form(&form)
        .send()
        .await
        .unwrap();
    resp.headers()["location"].to_str().unwrap().to_string()
}

fn codes(r: &Report) -> Vec<&'static str> {
    r.findings.iter().map(|f| f.code.as_str()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_logs_in_and_the_loopback_callback_completes_the_flow() {
    let port = free_port();
    let sim = sim_with_callback(port).await;
    let mut login = begin(&sim, port);
    let url = login.authorize_url().await;
    assert!(url.contains("code_challenge=") && url.contains("code_challenge_method=S256"));
    login.waiting().await;
    // The "browser": open the authorize URL, log in on the org's page, follow the redirect.
    let page = sim.http.get(&url).send().await.unwrap();
    assert!(
        page.text().await.unwrap().contains("name=\"pw\""),
        "the org shows its login page"
    );
    let location = approve_as_a_person(&sim, &url).await;
    assert!(location.starts_with(&format!("http://localhost:{port}/OauthRedirect?code=")));
    let landing = sim.http.get(&location).send().await.unwrap();
    assert!(
        landing
            .text()
            .await
            .unwrap()
            .contains("You can close this window")
    );
    let report = login.report().await;
    assert_eq!(
        report.outcome,
        sagediag::engine::Verdict::Pass,
        "{:?}",
        codes(&report)
    );
    assert_eq!(report.refresh_token_issued, Some(true));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pasted_redirects_bad_code_wrong_verifier_and_wrong_state() {
    let port = free_port();
    let sim = sim_with_callback(port).await;
    let callback = format!("http://localhost:{port}/OauthRedirect");

    // A code that was never issued.
    let mut login = begin(&sim, port);
    let state = query_of(&login.authorize_url().await)["state"].clone();
    login.waiting().await;
    login
        .paste
        .send(format!("{callback}?code=aPrxBogusCode%3D%3D&state={state}"))
        .unwrap();
    let report = login.report().await;
    assert_eq!(codes(&report), ["AUTH_CODE_INVALID"]);

    // A real code, issued for another PKCE challenge: the engine's verifier does not match.
    let mut login = begin(&sim, port);
    let state = query_of(&login.authorize_url().await)["state"].clone();
    login.waiting().await;
    let other = crypto::pkce_challenge("a-verifier-the-engine-never-saw-0123456789abcdef");
    let resp = sim
        .authorize(&[
            ("redirect_uri", callback.as_str()),
            ("code_challenge", other.as_str()),
        ])
        .await;
    let q = query_of(resp.headers()["location"].to_str().unwrap());
    let code: String = url::form_urlencoded::byte_serialize(q["code"].as_bytes()).collect();
    login
        .paste
        .send(format!("{callback}?code={code}&state={state}"))
        .unwrap();
    let report = login.report().await;
    assert_eq!(codes(&report), ["PKCE_VERIFIER_REJECTED"]);
    // The code never shows in the report or the log.
    let all = serde_json::to_string(&report).unwrap();
    assert!(!all.contains(&q["code"]) && !all.contains(&code));

    // A redirect from another login attempt (state mismatch), and a text that is no redirect,
    // are refused with a reason; the login keeps waiting and nothing is exchanged for them.
    let mut login = begin(&sim, port);
    let state = query_of(&login.authorize_url().await)["state"].clone();
    login.waiting().await;
    login
        .paste
        .send(format!("{callback}?code=aPrxX&state=not-ours"))
        .unwrap();
    let why = login.refused().await;
    assert!(why.contains("earlier login attempt"), "{why}");
    login.paste.send("hello, is this it?".into()).unwrap();
    let why = login.refused().await;
    assert!(why.contains("not the redirect URL"), "{why}");
    login
        .paste
        .send(format!("{callback}?code=aPrxNeverIssued&state={state}"))
        .unwrap();
    let report = login.report().await;
    assert_eq!(codes(&report), ["AUTH_CODE_INVALID"]);
    assert_eq!(
        report
            .requests
            .iter()
            .filter(|r| r.url.ends_with("/services/oauth2/token"))
            .count(),
        1,
        "only the current login's redirect was exchanged"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_callback_port_falls_back_to_paste_at_once_and_the_login_completes() {
    // Another program holds the port (as the Salesforce CLI holds 1717).
    let holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = holder.local_addr().unwrap().port();
    let sim = sim_with_callback(port).await;
    let mut cfg = Config::new(
        Environment::parse(sim.login()).unwrap(),
        Flow::Web,
        sim.client_id(),
    );
    cfg.client_secret = Some(sim.secret());
    cfg.callback_port = port;
    cfg.redirect_uri = None;
    cfg.login_timeout = Duration::from_secs(20);
    let (tx, events) = mpsc::unbounded_channel();
    let (paste, prx) = mpsc::unbounded_channel();
    let started = std::time::Instant::now();
    let run = tokio::spawn(async move {
        let opts = engine::RunOptions {
            pasted: Some(prx),
            ..Default::default()
        };
        engine::run(cfg, tx, opts).await.report
    });
    let mut login = Login { events, paste, run };
    let url = login.authorize_url().await;
    let reason = login.paste_needed().await;
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(
        reason.contains(&format!("callback port {port} cannot be used")),
        "{reason}"
    );
    assert!(reason.contains("--callback-port"), "{reason}");
    // The person logs in in a browser elsewhere and pastes where it landed.
    let location = approve_as_a_person(&sim, &url).await;
    login.paste.send(location).unwrap();
    let report = login.report().await;
    assert_eq!(
        report.outcome,
        sagediag::engine::Verdict::Pass,
        "{:?}",
        codes(&report)
    );
    drop(holder);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_port_with_nothing_to_paste_says_so_at_once() {
    let holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = holder.local_addr().unwrap().port();
    let sim = sim_with_callback(port).await;
    let mut cfg = Config::new(
        Environment::parse(sim.login()).unwrap(),
        Flow::Web,
        sim.client_id(),
    );
    cfg.client_secret = Some(sim.secret());
    cfg.callback_port = port;
    cfg.login_timeout = Duration::from_secs(300);
    let (tx, mut events) = mpsc::unbounded_channel();
    let drain = tokio::spawn(async move { while events.recv().await.is_some() {} });
    let report = tokio::time::timeout(
        Duration::from_secs(10),
        engine::run(cfg, tx, Default::default()),
    )
    .await
    .expect("no 300 s wait when nothing can arrive")
    .report;
    drain.abort();
    assert_eq!(codes(&report), ["TIMEOUT"]);
    let detail = &report.findings[0].detail;
    assert!(
        detail.contains("could not be started") && !detail.contains("within 300 s"),
        "{detail}"
    );
    drop(holder);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stray_callback_requests_get_400_and_the_login_keeps_waiting_then_closes() {
    let port = free_port();
    let sim = sim_with_callback(port).await;
    let mut login = begin(&sim, port);
    let url = login.authorize_url().await;
    login.waiting().await;
    let cb = format!("http://127.0.0.1:{port}/OauthRedirect");
    // An <img> on some page, and an old tab's redirect: 400, the login goes on.
    for stray in [cb.clone(), format!("{cb}?code=old&state=other")] {
        let r = sim.http.get(&stray).send().await.unwrap();
        assert_eq!(r.status(), 400, "{stray}");
    }
    // Both loopback addresses are held while the login waits (when this machine has ::1).
    if std::net::TcpListener::bind("[::1]:0").is_ok() {
        assert!(
            std::net::TcpListener::bind(("::1", port)).is_err(),
            "[::1] is held too"
        );
    }
    // Complete it through the callback.
    let location = approve_as_a_person(&sim, &url).await;
    let landing = sim.http.get(&location).send().await.unwrap();
    assert_eq!(landing.status(), 200);
    let report = login.report().await;
    assert_eq!(
        report.outcome,
        sagediag::engine::Verdict::Pass,
        "{:?}",
        codes(&report)
    );
    // The run is over: the callback server is closed (the port can be bound again).
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(std::net::TcpListener::bind(("127.0.0.1", port)).is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_a_waiting_login_closes_its_callback_server() {
    let port = free_port();
    let sim = sim_with_callback(port).await;
    let mut login = begin(&sim, port);
    login.authorize_url().await;
    login.waiting().await;
    assert!(std::net::TcpListener::bind(("127.0.0.1", port)).is_err());
    login.run.abort();
    let _ = login.run.await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        std::net::TcpListener::bind(("127.0.0.1", port)).is_ok(),
        "the re-run can use the port"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untrusted_certificate_is_tls_untrusted() {
    let cert_pem = include_str!("../fixtures/selfsigned.cert.pem");
    let key_pem = include_str!("../fixtures/selfsigned.key.pem");
    let acceptor = tls_acceptor(cert_pem, key_pem);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                if let Ok(mut tls) = acceptor.accept(tcp).await {
                    use tokio::io::AsyncWriteExt;
                    let _ = tls
                        .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n[]")
                        .await;
                }
            });
        }
    });
    let cfg = Config::new(
        Environment::parse(&format!("https://127.0.0.1:{port}")).unwrap(),
        Flow::Web,
        "3MVG9x",
    );
    let (tx, mut rx) = mpsc::unbounded_channel();
    let drain = tokio::spawn(async move { while rx.recv().await.is_some() {} });
    let report = engine::run(cfg, tx, Default::default()).await.report;
    drain.abort();
    server.abort();
    assert_eq!(codes(&report), ["TLS_UNTRUSTED"], "{:?}", report.findings);
    assert!(
        report.findings[0]
            .detail
            .to_lowercase()
            .contains("certificate"),
        "{}",
        report.findings[0].detail
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_run_reads_the_jwt_key_file_and_says_when_it_cannot() {
    let sim = start("healthy").await;
    let mut cfg = Config::new(
        Environment::parse(sim.login()).unwrap(),
        Flow::Jwt,
        sim.client_id(),
    );
    cfg.username = Some(sim.username().to_string());
    cfg.private_key_path = Some("/nonexistent/key.pem".into());
    let (tx, mut events) = mpsc::unbounded_channel();
    let drain = tokio::spawn(async move { while events.recv().await.is_some() {} });
    let report = engine::run(cfg.clone(), tx, Default::default())
        .await
        .report;
    assert_eq!(codes(&report), ["JWT_ASSERTION_INVALID"]);
    assert!(
        report.findings[0]
            .detail
            .contains("Private key file /nonexistent/key.pem"),
        "{}",
        report.findings[0].detail
    );
    drain.abort();
    // The demo key, by path: the run reads it, signs the assertion and sends it (the healthy org
    // answers for the app's approval, not for the key).
    cfg.private_key_path =
        Some(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/keys/demo-jwt.key.pem").into());
    let (tx, mut events) = mpsc::unbounded_channel();
    let drain = tokio::spawn(async move { while events.recv().await.is_some() {} });
    let report = engine::run(cfg, tx, Default::default()).await.report;
    drain.abort();
    assert!(
        !codes(&report).contains(&"JWT_ASSERTION_INVALID"),
        "{:?}",
        codes(&report)
    );
    assert!(
        report
            .requests
            .iter()
            .any(|r| r.url.ends_with("/services/oauth2/token")),
        "the signed assertion was sent"
    );
}
