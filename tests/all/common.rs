//! Helpers for tests that talk to the simulated org over real loopback sockets.
#![allow(dead_code)]

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::{Client, Response, StatusCode, redirect};
use sagediag::sim::{self, RunningSim, Scenario, crypto};
use serde_json::{Value, json};

pub const CALLBACK: &str = "http://localhost:1717/OauthRedirect";

pub struct Sim {
    pub running: RunningSim,
    pub http: Client,
}

pub async fn start(name: &str) -> Sim {
    start_with(Scenario::load(name).expect("shipped scenario")).await
}

pub async fn start_with(scenario: Scenario) -> Sim {
    let running = sim::start(scenario, "127.0.0.1:0".parse().unwrap(), false)
        .await
        .expect("sim starts");
    let http = Client::builder()
        .redirect(redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(20))
        .build()
        .unwrap();
    Sim { running, http }
}

/// Parses `a=b&c=d` (a query string or a Location's query).
pub fn query_of(url: &str) -> HashMap<String, String> {
    let q = url.split_once('?').map(|(_, q)| q).unwrap_or(url);
    url::form_urlencoded::parse(q.as_bytes())
        .into_owned()
        .collect()
}

impl Sim {
    pub fn login(&self) -> &str {
        &self.running.info.login_url
    }
    pub fn instance(&self) -> &str {
        &self.running.info.instance_url
    }
    pub fn client_id(&self) -> &str {
        &self.running.info.client_id
    }
    pub fn secret(&self) -> String {
        self.running.org.scenario.app.consumer_secret.clone()
    }
    pub fn username(&self) -> &str {
        &self.running.info.username
    }

    pub async fn authorize(&self, extra: &[(&str, &str)]) -> Response {
        let mut params: Vec<(&str, &str)> = vec![
            ("response_type", "code"),
            ("client_id", self.client_id()),
            ("redirect_uri", CALLBACK),
            ("state", "st4te"),
            ("login_hint", self.username()),
        ];
        for (k, v) in extra {
            params.retain(|(pk, _)| pk != k);
            params.push((k, v));
        }
        self.http
            .get(format!("{}/services/oauth2/authorize", self.login()))
            .query(&params)
            .send()
            .await
            .unwrap()
    }

    /// The callback's query parameters after an auto-approved authorize.
    pub async fn authorize_redirect(&self, extra: &[(&str, &str)]) -> HashMap<String, String> {
        let resp = self.authorize(extra).await;
        assert_eq!(
            resp.status(),
            StatusCode::FOUND,
            "authorize should redirect"
        );
        let location = resp.headers()["location"].to_str().unwrap().to_string();
        assert!(location.starts_with(CALLBACK), "{location}");
        query_of(&location)
    }

    pub async fn token(
        &self,
        form: &[(&str, &str)],
    ) -> (StatusCode, Value, reqwest::header::HeaderMap) {
        self.token_at(self.login(), form).await
    }

    pub async fn token_at(
        &self,
        host: &str,
        form: &[(&str, &str)],
    ) -> (StatusCode, Value, reqwest::header::HeaderMap) {
        let resp = self
            .http
            .post(format!("{host}/services/oauth2/token"))
            .form(form)
            .send()
            .await
            .unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp.json::<Value>().await.unwrap_or(Value::Null);
        (status, body, headers)
    }

    /// A full web-server login with PKCE; returns the token response.
    pub async fn web_login(&self) -> Value {
        self.web_login_as(None).await
    }

    /// [`Sim::web_login`] as `hint` (auto-approved through `login_hint`), else the API user.
    pub async fn web_login_as(&self, hint: Option<&str>) -> Value {
        let verifier = crypto::random_token(64);
        let challenge = crypto::pkce_challenge(&verifier);
        let mut params = vec![("code_challenge", challenge.as_str())];
        params.extend(hint.map(|h| ("login_hint", h)));
        let q = self.authorize_redirect(&params).await;
        let secret = self.secret();
        let (status, body, _) = self
            .token(&[
                ("grant_type", "authorization_code"),
                ("code", &q["code"]),
                ("client_id", self.client_id()),
                ("client_secret", &secret),
                ("redirect_uri", CALLBACK),
                ("code_verifier", &verifier),
            ])
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    pub async fn access_token(&self) -> String {
        self.web_login().await["access_token"]
            .as_str()
            .unwrap()
            .to_string()
    }

    pub async fn get(&self, token: &str, path: &str) -> Response {
        self.http
            .get(format!("{}{}", self.instance(), path))
            .bearer_auth(token)
            .header("Accept", "application/json")
            .send()
            .await
            .unwrap()
    }

    pub async fn advance_clock(&self, secs: u64) {
        let r = self
            .http
            .post(format!("{}/_sim/clock?advance_secs={secs}", self.login()))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success());
    }

    pub async fn soql(&self, token: &str, q: &str) -> (StatusCode, Value) {
        let resp = self
            .http
            .get(format!("{}/services/data/v67.0/query", self.instance()))
            .query(&[("q", q)])
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        (resp.status(), resp.json().await.unwrap())
    }
}

/// An RS256 JWT signed with the demo key (or another PKCS#8 PEM).
pub fn jwt(claims: Value, key_pem: &str) -> String {
    let header = URL_SAFE_NO_PAD.encode(json!({"alg": "RS256"}).to_string());
    let body = URL_SAFE_NO_PAD.encode(claims.to_string());
    let der = crypto::pem_to_der(key_pem, "PRIVATE KEY").unwrap();
    let key = aws_lc_rs::signature::RsaKeyPair::from_pkcs8(&der).unwrap();
    let mut sig = vec![0; key.public_modulus_len()];
    key.sign(
        &aws_lc_rs::signature::RSA_PKCS1_SHA256,
        &aws_lc_rs::rand::SystemRandom::new(),
        format!("{header}.{body}").as_bytes(),
        &mut sig,
    )
    .unwrap();
    format!("{header}.{body}.{}", URL_SAFE_NO_PAD.encode(sig))
}

pub const DEMO_KEY: &str = include_str!("../../assets/keys/demo-jwt.key.pem");

pub fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A fresh RSA key (PKCS#8 PEM) the org does not know.
pub fn other_key_pem() -> String {
    use aws_lc_rs::encoding::AsDer;
    let key = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
    let der = AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&key).unwrap();
    let b64 = base64::engine::general_purpose::STANDARD.encode(der.as_ref());
    format!("-----BEGIN PRIVATE KEY-----\n{b64}\n-----END PRIVATE KEY-----\n")
}

/// A TLS acceptor for a certificate and PKCS#8 key in PEM (test servers over TLS).
pub fn tls_acceptor(cert_pem: &str, key_pem: &str) -> tokio_rustls::TlsAcceptor {
    use std::sync::Arc;
    use tokio_rustls::rustls;
    let cert = rustls::pki_types::CertificateDer::from(
        crypto::pem_to_der(cert_pem, "CERTIFICATE").unwrap(),
    );
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(
        crypto::pem_to_der(key_pem, "PRIVATE KEY").unwrap().into(),
    );
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![cert], key)
    .unwrap();
    tokio_rustls::TlsAcceptor::from(Arc::new(config))
}
