//! Token requests and reading their answers: the tokens, or the findings of the error.

use serde_json::Value;

use crate::engine::context::Run;
use crate::engine::findings::{Code, Finding};
use crate::engine::http::{Request, Response};
use crate::engine::model::Tokens;
use crate::engine::{classify, oauth, trust};

/// POSTs a token request; returns the tokens or raises the findings of the error.
pub(super) async fn token_request(
    run: &mut Run,
    url: &str,
    form: &[(&str, &str)],
) -> Option<Tokens> {
    send_token(run, Request::post_form(url, form)).await
}

/// Sends a built token request; returns the tokens or raises the findings of the error.
pub(super) async fn send_token(run: &mut Run, req: Request) -> Option<Tokens> {
    let (_, resp) = run.send_or_raise(req).await?;
    parse_token_response(run, &resp)
}

pub(super) fn parse_token_response(run: &mut Run, resp: &Response) -> Option<Tokens> {
    if let Some(long) = crate::engine::bounds::long_token_field(&resp.body) {
        run.raise(crate::engine::bounds::finding(&long, resp.id));
        return None;
    }
    if let Some(f) = classify::redirect(resp) {
        run.raise(f);
        return None;
    }
    let Some(v) = resp.json() else {
        let f = if resp.status >= 500 {
            classify::api_error(resp, None)
        } else {
            Finding::new(
                Code::UNEXPECTED_RESPONSE,
                format!(
                    "The token endpoint answered {} with {}: {}",
                    resp.status,
                    if resp.is_html() {
                        "HTML"
                    } else {
                        "something that is not JSON"
                    },
                    classify::excerpt(&resp.text())
                ),
                vec![resp.id],
            )
            .titled("The token endpoint's answer is not JSON")
        };
        run.raise(f);
        return None;
    };
    if resp.status != 200 || v.get("access_token").is_none() {
        match classify::oauth_pair(resp) {
            Some((e, d)) => {
                for f in classify::oauth_error(&e, &d, run.cfg.flow, vec![resp.id]) {
                    run.raise(f);
                }
            }
            None => run.raise(classify::api_error(resp, None)),
        }
        return None;
    }
    let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let tokens = Tokens {
        access_token: s("access_token")?,
        refresh_token: s("refresh_token"),
        instance_url: s("instance_url")
            .unwrap_or_else(|| run.login_url.clone())
            .trim_end_matches('/')
            .to_string(),
        id_url: s("id"),
        issued_at: s("issued_at"),
        signature: s("signature"),
        scope: s("scope"),
        response_id: Some(resp.id),
    };
    accept_tokens(run, resp, tokens)
}

/// The tokens of oauth2's typed answer (Salesforce's fields are its extra fields).
pub(super) fn tokens_of(run: &Run, t: &oauth::TokenResponse, resp: &Response) -> Tokens {
    use oauth2::TokenResponse as _;
    let extra = t.extra_fields();
    Tokens {
        access_token: t.access_token().secret().clone(),
        refresh_token: t.refresh_token().map(|r| r.secret().clone()),
        instance_url: extra
            .instance_url
            .clone()
            .unwrap_or_else(|| run.login_url.clone())
            .trim_end_matches('/')
            .to_string(),
        id_url: extra.id.clone(),
        issued_at: extra.issued_at.clone(),
        signature: extra.signature.clone(),
        scope: t
            .scopes()
            .map(|s| s.iter().map(|x| x.as_str()).collect::<Vec<_>>().join(" ")),
        response_id: Some(resp.id),
    }
}

/// The end of an exchange oauth2 sent: its typed tokens when Salesforce said yes, else the
/// findings read from Salesforce's raw answer (recorded by the transport).
pub(super) fn finish_exchange(
    run: &mut Run,
    transport: oauth::Transport,
    typed: Option<oauth::TokenResponse>,
) -> Option<Tokens> {
    let (id, result) = transport.into_exchange();
    let resp = match result {
        Ok(r) => r,
        Err(f) => {
            run.raise(classify::failure(&f, id));
            return None;
        }
    };
    if let Some(long) = crate::engine::bounds::long_token_field(&resp.body) {
        run.raise(crate::engine::bounds::finding(&long, resp.id));
        return None;
    }
    match typed {
        Some(t) if resp.status == 200 => {
            let tokens = tokens_of(run, &t, &resp);
            accept_tokens(run, &resp, tokens)
        }
        // Salesforce's words, whatever oauth2 made of them.
        _ => parse_token_response(run, &resp),
    }
}

/// The oauth2 client for this run's app and `base`, or the finding that it cannot be built.
pub(super) fn oauth_client(run: &mut Run, base: &str) -> Option<oauth::SalesforceClient> {
    match oauth::client(&run.cfg, base) {
        Ok(c) => Some(c),
        Err(e) => {
            run.raise(Finding::new(Code::LOGIN_URL_INVALID, e.to_string(), vec![]));
            None
        }
    }
}

/// Tokens Salesforce issued: registered as secrets, and the hosts they go to checked.
pub(super) fn accept_tokens(run: &mut Run, resp: &Response, tokens: Tokens) -> Option<Tokens> {
    run.client.add_secret(&tokens.access_token);
    if let Some(r) = &tokens.refresh_token {
        run.client.add_secret(r);
    }
    // The token goes next to the hosts this answer names: check them before anything is sent.
    let named = [
        ("instance_url", Some(tokens.instance_url.as_str())),
        ("id", tokens.id_url.as_deref()),
    ];
    for (field, url) in named {
        let Some(url) = url else { continue };
        if let Err(refusal) = trust::check(url, &run.login_url, &run.cfg.trust_hosts) {
            let why = match &refusal {
                trust::Refusal::NotAUrl => "is not a URL".to_string(),
                trust::Refusal::Cleartext { host } => {
                    format!("sends the token to {host} over plain http")
                }
                trust::Refusal::ForeignHost { host } => {
                    format!(
                        "points at {host}, which is not a Salesforce host nor the login host's domain"
                    )
                }
            };
            let host = refusal.host().unwrap_or("(no host)").to_string();
            run.raise(
                Finding::new(Code::TOKEN_HOST_UNTRUSTED,
                    format!(
                        "The token response's `{field}` ({url}) {why}. sagediag stopped before sending the token anywhere. If {host} is yours, run again with --trust-host {host}."
                    ),
                    vec![resp.id],
                )
                .titled(format!("The token response sends the token to {host}")),
            );
            return None;
        }
    }
    Some(tokens)
}

pub(super) async fn refresh(run: &mut Run, base: &str, refresh_token: &str) -> Option<Tokens> {
    let sf = oauth_client(run, base)?;
    let transport = oauth::Transport::new(run.client.clone());
    let typed = sf
        .exchange_refresh_token(&oauth2::RefreshToken::new(refresh_token.to_string()))
        .request_async(&transport)
        .await
        .ok();
    finish_exchange(run, transport, typed)
}
