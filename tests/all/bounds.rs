//! Bounds under the response cap (issue 24 §4), over loopback: a token answer with a field far
//! longer than Salesforce's is refused with a finding and the token goes nowhere; the log keeps
//! a cut body of each answer, said to be cut.

use crate::common::*;
use sagediag::engine::{self, Config, Environment, Flow, Report};
use sagediag::sim::Scenario;

async fn run(sim: &Sim, flow: Flow) -> (Report, engine::http::Client) {
    // Client credentials go to the org's own host (My Domain).
    let host = match flow {
        Flow::ClientCredentials => sim.instance(),
        _ => sim.login(),
    };
    let mut cfg = Config::new(Environment::parse(host).unwrap(), flow, sim.client_id());
    cfg.client_secret = Some(sim.secret());
    cfg.username = Some(sim.username().to_string());
    cfg.password = Some(sim.running.info.password.clone());
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let client = engine::http::Client::for_config(&cfg, Some(tx.clone())).unwrap();
    let report = engine::run(
        cfg,
        tx,
        engine::RunOptions {
            client: Some(client.clone()),
            ..Default::default()
        },
    )
    .await
    .report;
    (report, client)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_field_of_a_mib_is_refused_and_the_token_sent_nowhere() {
    let mut sc = Scenario::load("healthy").unwrap();
    sc.faults.huge_body_paths = vec!["/services/oauth2/token".into()];
    sc.faults.huge_body_bytes = 1024 * 1024;
    let sim = start_with(sc).await;
    // Password goes through the engine's own token request, client credentials through oauth2.
    for flow in [Flow::Password, Flow::ClientCredentials] {
        let (report, client) = run(&sim, flow).await;
        let codes: Vec<&str> = report.findings.iter().map(|f| f.code.as_str()).collect();
        assert!(
            codes.contains(&"TOKEN_FIELD_TOO_LONG"),
            "{flow:?}: {codes:?}"
        );
        let f = report
            .findings
            .iter()
            .find(|f| f.code.as_str() == "TOKEN_FIELD_TOO_LONG")
            .unwrap();
        assert!(
            f.detail.contains("`access_token` is 1048580 bytes long"),
            "{}",
            f.detail
        );
        let log = client.exchanges();
        assert!(
            log.iter().all(|e| !e
                .request_headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("authorization"))),
            "{flow:?}: the token was sent: {:?}",
            log.iter().map(|e| &e.url).collect::<Vec<_>>()
        );
        let token = log
            .iter()
            .find(|e| e.url.ends_with("/services/oauth2/token"))
            .unwrap();
        let body = token.response_body.as_ref().unwrap();
        assert!(
            body.len() < 4096,
            "redacted in the log: {} bytes",
            body.len()
        );
        assert!(!body.contains("AAAAAAAA"), "{body}");
        assert!(report.endpoints.iter().all(|e| e.http_status.is_none()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn big_answers_are_read_whole_and_the_log_keeps_a_cut_of_each() {
    let mut sc = Scenario::load("healthy").unwrap();
    sc.faults.huge_body_paths = vec!["/services/apexrest".into()];
    sc.faults.huge_body_bytes = 3 * 1024 * 1024;
    let sim = start_with(sc).await;
    let (report, client) = run(&sim, Flow::Password).await;
    // The answers mean what they meant (spaces after the JSON): every probe passes.
    assert_eq!(
        report.outcome,
        sagediag::engine::Verdict::Pass,
        "{:?}",
        report.findings
    );
    let probes: Vec<_> = client
        .exchanges()
        .into_iter()
        .filter(|e| e.url.contains("/apexrest/"))
        .collect();
    assert_eq!(probes.len(), 7);
    for e in probes {
        assert!(e.response_bytes > 3 * 1024 * 1024, "{}", e.response_bytes);
        assert!(e.body_truncated && !e.body_dropped, "{}", e.url);
        // Its first MiB at most (the sanitiser drops the trailing spaces).
        let kept = e.response_body.as_ref().unwrap();
        assert!(kept.len() <= engine::http::LOG_BODY_KEPT, "{}", kept.len());
        assert!(kept.starts_with('{') || kept.starts_with('['), "{kept}");
    }
    // Every body read was given back to the budget.
    assert_eq!(client.budget_available(), engine::bounds::IN_FLIGHT_BUDGET);
}
