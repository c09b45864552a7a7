//! The watcher's own login: JWT bearer for the monitoring user, or the client-credentials grant
//! of the monitoring app (through the `oauth2` crate over the recording client, as `check`
//! does). Never a refresh of the integration's token, never a web-server or device grant. Also
//! the JWT for the integration user, for the active probes only.

// A refused login is a Finding, returned once per cycle: its size does not matter here.
#![allow(clippy::result_large_err)]

use std::time::Duration;

use super::cycle::CycleContext;
use super::model::{MonitorFlow, WatchOrg};
use crate::engine::classify;
use crate::engine::crypto;
use crate::engine::environment::Environment;
use crate::engine::findings::{Code, Finding};
use crate::engine::http::{Client, Failure, Request, Response};
use crate::engine::model::{Config, Flow};
use crate::engine::{clock, files, oauth, sanitize, trust};

/// A session: where the REST API is and the token for it (held in memory only).
#[derive(Clone)]
pub struct Session {
    pub instance_url: String,
    pub access_token: String,
}

/// The client of one cycle: the shared HTTP stack with a log of its own, or (an org with CAs
/// of its own, or no shared stack) a client built for it.
pub async fn client_for(org: &WatchOrg, ctx: &CycleContext) -> Result<Client, String> {
    if org.ca_certs.is_empty()
        && let Some(c) = &ctx.client
    {
        return Ok(c.with_own_log());
    }
    let env = environment(org)?;
    let mut cfg = Config::new(env, Flow::Jwt, org.client_id.clone());
    cfg.timeout = ctx.http_timeout;
    cfg.connect_timeout = ctx.http_timeout.min(Duration::from_secs(10));
    let paths: Vec<_> = ctx.ca_certs.iter().chain(&org.ca_certs).cloned().collect();
    cfg.ca_certs_pem = tokio::task::spawn_blocking(move || {
        paths
            .iter()
            .map(|p| files::read_user_file(p, files::CA_CERT).map_err(|e| e.to_string()))
            .collect::<Result<Vec<_>, _>>()
    })
    .await
    .map_err(|e| format!("reading the CA certificates: {e}"))?
    .map_err(|e| format!("CA certificate {e}"))?;
    Client::for_config(&cfg, None).map_err(|e| e.to_string())
}

pub fn environment(org: &WatchOrg) -> Result<Environment, String> {
    Environment::parse(&org.environment).map_err(|e| format!("the org's environment: {e}"))
}

fn login_failed(detail: impl Into<String>, ids: Vec<u64>) -> Finding {
    Finding::new(Code::WATCH_LOGIN_FAILED, detail, ids)
}

pub async fn private_key(org: &WatchOrg, ctx: &CycleContext) -> Result<String, Finding> {
    if let Some(pem) = &ctx.private_key_pem {
        return Ok(pem.clone());
    }
    let Some(path) = org.private_key.clone() else {
        return Err(login_failed(
            "The JWT flow needs the monitoring app's private key: set it with `watch add --private-key FILE`.",
            vec![],
        ));
    };
    let shown = path.display().to_string();
    let read =
        tokio::task::spawn_blocking(move || files::read_user_file(&path, files::PRIVATE_KEY)).await;
    match read {
        Ok(Ok(pem)) if pem.contains("PRIVATE KEY-----") => Ok(pem),
        Ok(Ok(_)) => Err(login_failed(
            format!("Private key file {shown}: not a PEM private key"),
            vec![],
        )),
        Ok(Err(e)) => Err(login_failed(format!("Private key file {e}"), vec![])),
        Err(e) => Err(login_failed(
            format!("Private key file {shown}: {e}"),
            vec![],
        )),
    }
}

/// Logs the watcher in by the org's monitoring flow.
pub async fn login(
    org: &WatchOrg,
    ctx: &CycleContext,
    client: &Client,
) -> Result<Session, Finding> {
    let env = environment(org).map_err(|e| login_failed(e, vec![]))?;
    let base = env.login_url();
    match org.flow {
        MonitorFlow::Jwt => {
            let Some(user) = org.username.as_deref() else {
                return Err(login_failed(
                    "The JWT flow needs the monitoring user: set it with `watch add --username`.",
                    vec![],
                ));
            };
            let pem = private_key(org, ctx).await?;
            jwt(client, &env, &org.client_id, user, &pem, Flow::Jwt).await
        }
        MonitorFlow::ClientCredentials => {
            let Some(secret) = ctx.secret.clone() else {
                return Err(login_failed(
                    format!(
                        "No consumer secret is kept for the monitoring app of {}: add the org again with `watch add` and SAGEDIAG_CLIENT_SECRET set.",
                        org.name
                    ),
                    vec![],
                ));
            };
            client.add_secret(&secret);
            let mut cfg = Config::new(env, Flow::ClientCredentials, org.client_id.clone());
            cfg.client_secret = Some(secret);
            let sf = oauth::client(&cfg, &base).map_err(|e| login_failed(e.to_string(), vec![]))?;
            let transport = oauth::Transport::new(client.clone());
            let _ = sf
                .exchange_client_credentials()
                .request_async(&transport)
                .await;
            let (id, answer) = transport.into_exchange();
            session_of(client, &base, Flow::ClientCredentials, id, answer)
        }
    }
}

/// A JWT bearer login of `user` with the monitoring app's key (`flow` words the findings).
pub async fn jwt(
    client: &Client,
    env: &Environment,
    client_id: &str,
    user: &str,
    pem: &str,
    flow: Flow,
) -> Result<Session, Finding> {
    let base = env.login_url();
    let exp = clock::now_secs() + 180;
    let assertion = crypto::jwt_assertion(pem, client_id, user, &env.jwt_audience(), exp)
        .map_err(|e| login_failed(format!("The JWT could not be signed: {e}"), vec![]))?;
    client.add_secret(&assertion);
    let req = Request::post_form(
        format!("{base}/services/oauth2/token"),
        &[
            ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
            ("assertion", assertion.as_str()),
        ],
    );
    let (id, answer) = client.send(req).await;
    session_of(client, &base, flow, id, answer)
}

fn session_of(
    client: &Client,
    base: &str,
    flow: Flow,
    id: u64,
    answer: Result<Response, Failure>,
) -> Result<Session, Finding> {
    let how = match flow {
        Flow::ClientCredentials => "client-credentials login",
        _ => "JWT bearer login",
    };
    let resp = match answer {
        Ok(r) => r,
        Err(f) => {
            let inner = classify::failure(&f, id);
            return Err(login_failed(
                format!(
                    "The monitoring app's {how} got no answer from {base}: {f} ({})",
                    inner.title
                ),
                vec![id],
            ));
        }
    };
    let body = resp.json();
    if resp.status == 200
        && let Some(v) = &body
        && let (Some(token), Some(instance)) =
            (v["access_token"].as_str(), v["instance_url"].as_str())
    {
        client.add_secret(token);
        let instance = instance.trim_end_matches('/').to_string();
        if let Err(refusal) = trust::check(&instance, base, &[]) {
            return Err(Finding::new(
                Code::TOKEN_HOST_UNTRUSTED,
                format!(
                    "The monitoring app's {how} named an instance the token must not go to: {}",
                    sanitize::bounded(refusal.host().unwrap_or("not a URL"), 200, Some(id))
                ),
                vec![id],
            ));
        }
        return Ok(Session {
            instance_url: instance,
            access_token: token.to_string(),
        });
    }
    let why = if resp.is_html() {
        format!(
            "HTTP {} with an HTML page (a proxy or captive portal, not Salesforce)",
            resp.status
        )
    } else if let Some((error, description)) = classify::oauth_pair(&resp) {
        let named = classify::oauth_error(&error, &description, flow, vec![id]);
        let title = named
            .first()
            .map(|f| format!(" ({}: {})", f.code.as_str(), f.title))
            .unwrap_or_default();
        format!("{error}: {description}{title}")
    } else if resp.status >= 500 {
        format!("HTTP {}: the server failed", resp.status)
    } else {
        format!("HTTP {}: {}", resp.status, classify::excerpt(&resp.text()))
    };
    let why = client.scrub(&why);
    Err(login_failed(
        format!(
            "The monitoring app's {how} at {base} was refused: {}",
            sanitize::bounded(&why, 240, Some(id))
        ),
        vec![id],
    ))
}

/// Gives back a token this cycle made for a single use (the probes' JWT session).
pub async fn revoke(client: &Client, base: &str, token: &str) {
    let req = Request::post_form(
        format!("{base}/services/oauth2/revoke"),
        &[("token", token)],
    );
    let _ = client.send(req).await;
}
