//! `PACKAGE_NOT_INSTALLED` against what the Sage People endpoints say (issue 24 §6): a package
//! query listing no spapi package while the endpoints answer 200 is a contradiction, raised as
//! a warning worded for it; the Org step and the report agree. Over loopback: a front that
//! forwards to the simulated org and empties the InstalledSubscriberPackage answer.

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use crate::common::*;
use sagediag::engine::{self, Config, Environment, Flow, Report, Severity, Status, StepId};

/// A front on loopback forwarding every request to `sim_port`, URLs in answers rewritten to
/// itself; the InstalledSubscriberPackage query answers no row.
async fn hiding_front(sim_port: u16) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let forward = move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
        let http = http.clone();
        async move {
            let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
            if path.contains("InstalledSubscriberPackage") {
                let empty = r#"{"size":0,"totalSize":0,"done":true,"queryLocator":null,"entityTypeName":"InstalledSubscriberPackage","records":[]}"#;
                return (
                    StatusCode::OK,
                    [("content-type", "application/json")],
                    empty,
                )
                    .into_response();
            }
            let mut req = http.request(method, format!("http://127.0.0.1:{sim_port}{path}"));
            for (k, v) in &headers {
                if k != "host" && k != "content-length" {
                    req = req.header(k, v);
                }
            }
            let resp = req.body(body).send().await.unwrap();
            let status = resp.status();
            let mut out = Response::builder().status(status);
            for (k, v) in resp.headers() {
                if k != "content-length" {
                    out = out.header(k, v);
                }
            }
            let text = resp.text().await.unwrap();
            let text = text
                .replace(
                    &format!("127.0.0.1:{sim_port}"),
                    &format!("127.0.0.1:{port}"),
                )
                .replace(
                    &format!("localhost:{sim_port}"),
                    &format!("localhost:{port}"),
                );
            out.body(axum::body::Body::from(text)).unwrap()
        }
    };
    let app = axum::Router::new().fallback(forward);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    port
}

async fn run(login: &str, sim: &Sim) -> Report {
    let mut cfg = Config::new(
        Environment::parse(login).unwrap(),
        Flow::Password,
        sim.client_id(),
    );
    cfg.client_secret = Some(sim.secret());
    cfg.username = Some(sim.username().to_string());
    cfg.password = Some(sim.running.info.password.clone());
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    engine::run(cfg, tx, Default::default()).await.report
}

fn step(r: &Report, id: StepId) -> Status {
    r.steps.iter().find(|s| s.id == id).unwrap().status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hidden_package_whose_endpoints_answer_is_a_warning_not_an_error() {
    let sim = start("healthy").await;
    let sim_port = url::Url::parse(sim.login()).unwrap().port().unwrap();
    let front = hiding_front(sim_port).await;
    let r = run(&format!("http://127.0.0.1:{front}"), &sim).await;
    let f = r
        .findings
        .iter()
        .find(|f| f.code.as_str() == "PACKAGE_NOT_INSTALLED")
        .unwrap_or_else(|| panic!("{:?}", r.findings));
    assert_eq!(f.severity, Severity::Warning);
    assert!(
        f.detail.contains(
            "yet 7 of the 7 Sage People API endpoints answer as the installed package does"
        ),
        "{}",
        f.detail
    );
    assert!(f.fix[0].starts_with("Nothing to install"), "{:?}", f.fix);
    // The step that raised it and the report agree: a warning, the probes pass.
    assert_eq!(step(&r, StepId::Org), Status::Warn);
    assert_eq!(step(&r, StepId::Probes), Status::Pass);
    assert!(r.endpoints.iter().all(|e| e.status == Status::Pass));
    assert_ne!(
        r.outcome,
        sagediag::engine::Verdict::Fail,
        "{:?}",
        r.findings
    );
    assert!(r.org.package_version.is_none());

    // Not installed at all: the error, the Org step fails with it.
    let sim = start("package-not-installed").await;
    let r = run(sim.login(), &sim).await;
    let f = r
        .findings
        .iter()
        .find(|f| f.code.as_str() == "PACKAGE_NOT_INSTALLED")
        .unwrap();
    assert_eq!(f.severity, Severity::Error);
    assert_eq!(step(&r, StepId::Org), Status::Fail);
}
