//! The SOAP partner `login()`: what simple-salesforce and jsforce send and parse.

use crate::common::*;
use reqwest::StatusCode;
use sagediag::sim::Scenario;

/// simple-salesforce's security-token login body (`simple_salesforce/login.py`).
fn login_body(username: &str, password: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8" ?>
        <env:Envelope xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
                xmlns:env="http://schemas.xmlsoap.org/soap/envelope/" xmlns:urn="urn:partner.soap.sforce.com">
            <env:Header><urn:CallOptions><urn:client>RestForce</urn:client><urn:defaultNamespace>sf</urn:defaultNamespace></urn:CallOptions></env:Header>
            <env:Body><n1:login xmlns:n1="urn:partner.soap.sforce.com"><n1:username>{username}</n1:username><n1:password>{password}</n1:password></n1:login></env:Body>
        </env:Envelope>"#
    )
}

async fn soap(sim: &Sim, version: &str, body: String) -> (StatusCode, String) {
    let resp = sim
        .http
        .post(format!("{}/services/Soap/u/{version}", sim.login()))
        .header("Content-Type", "text/xml")
        .header("SOAPAction", "login")
        .body(body)
        .send()
        .await
        .unwrap();
    (resp.status(), resp.text().await.unwrap())
}

fn tag<'a>(xml: &'a str, name: &str) -> &'a str {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    xml.split_once(open.as_str())
        .and_then(|(_, r)| r.split_once(close.as_str()))
        .map(|(t, _)| t)
        .unwrap_or_default()
}

#[tokio::test]
async fn soap_login_gives_a_session_the_rest_api_accepts() {
    let sim = start("healthy").await;
    let (status, xml) = soap(
        &sim,
        "67.0",
        login_body(sim.username(), &sim.running.info.password),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{xml}");
    let session = tag(&xml, "sessionId");
    let server = tag(&xml, "serverUrl");
    assert!(session.starts_with("00D"), "{xml}");
    assert!(server.starts_with(&format!("{}/services/Soap/u/67.0/00D", sim.instance())));
    assert!(tag(&xml, "organizationId").starts_with("00D"));
    assert_eq!(tag(&xml, "passwordExpired"), "false");
    let resp = sim.get(session, "/services/data/v67.0/limits").await;
    assert_eq!(resp.status(), StatusCode::OK);
}

#[tokio::test]
async fn soap_login_faults_are_salesforce_shaped() {
    let sim = start("healthy").await;
    let (status, xml) = soap(&sim, "67.0", login_body(sim.username(), "wrong")).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(tag(&xml, "sf:exceptionCode"), "INVALID_LOGIN");
    assert_eq!(
        tag(&xml, "sf:exceptionMessage"),
        "Invalid username, password, security token; or user locked out."
    );
    assert_eq!(
        tag(&xml, "faultstring"),
        "INVALID_LOGIN: Invalid username, password, security token; or user locked out."
    );
    assert!(xml.contains(r#"<sf:LoginFault xsi:type="sf:LoginFault">"#));
    // A retired version.
    let (status, xml) = soap(
        &sim,
        "30.0",
        login_body(sim.username(), &sim.running.info.password),
    )
    .await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(tag(&xml, "sf:exceptionCode"), "UNSUPPORTED_API_VERSION");

    let sim = start("api-disabled-for-user").await;
    let (_, xml) = soap(
        &sim,
        "67.0",
        login_body(sim.username(), &sim.running.info.password),
    )
    .await;
    assert_eq!(tag(&xml, "sf:exceptionCode"), "API_CURRENTLY_DISABLED");
    assert_eq!(
        tag(&xml, "sf:exceptionMessage"),
        "API is disabled for this User"
    );

    let sim = start("api-disabled-for-org").await;
    let (_, xml) = soap(
        &sim,
        "67.0",
        login_body(sim.username(), &sim.running.info.password),
    )
    .await;
    assert_eq!(tag(&xml, "sf:exceptionCode"), "API_DISABLED_FOR_ORG");
}

#[tokio::test]
async fn an_expired_password_still_logs_in_and_says_so() {
    let mut sc = Scenario::default();
    sc.users[0].password_expired = true;
    let sim = start_with(sc).await;
    let (status, xml) = soap(
        &sim,
        "67.0",
        login_body(sim.username(), &sim.running.info.password),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(tag(&xml, "passwordExpired"), "true");
}
