//! Step 4: the token checks (identity, userinfo, introspection, scopes, a real refresh).

use serde_json::Value;

use super::*;
use crate::engine::context::Run;
use crate::engine::findings::{Code, Finding};
use crate::engine::http::Request;
use crate::engine::model::{Flow, Tokens};
use crate::engine::{classify, crypto, landing, oauth};

/// Step 4. Returns a one-line summary. Identity, userinfo, introspection and the refresh test
/// are independent: they are sent together and read in order.
pub async fn token_checks(run: &mut Run, tokens: &mut Tokens) -> String {
    let mut notes = Vec::new();
    let findings_before = run.findings.len();
    // The signature.
    if let (Some(sig), Some(id), Some(at), Some(secret)) = (
        &tokens.signature,
        &tokens.id_url,
        &tokens.issued_at,
        &run.cfg.client_secret,
    ) {
        if crypto::signature_valid(secret, id, at, sig) {
            notes.push("signature verified".to_string());
        } else {
            run.raise(Finding::new(Code::SIGNATURE_INVALID,
                "HMAC-SHA256(consumer secret, id + issued_at) does not match the token response's signature.",
                tokens.response_id.into_iter().collect(),
            ));
        }
    }
    let client = run.client.clone();
    let bearer = crate::engine::http::Bearer::new(&tokens.access_token);
    let identity_req = tokens.id_url.clone().map(|u| Request::get(u).auth(&bearer));
    let userinfo_req =
        Request::get(format!("{}/services/oauth2/userinfo", tokens.instance_url)).auth(&bearer);
    let introspect_req = run.cfg.client_secret.clone().map(|secret| {
        let form = [
            ("token", tokens.access_token.as_str()),
            ("token_type_hint", "access_token"),
            ("client_id", run.cfg.client_id.as_str()),
            ("client_secret", secret.as_str()),
        ];
        Request::post_form(
            format!("{}/services/oauth2/introspect", run.login_url),
            &form,
        )
    });
    // The refresh test refreshes the run's own token only: in the refresh flow the login was the
    // one refresh of the token given (never a second: under rotation that retires it).
    let can_refresh = matches!(run.cfg.flow, Flow::Web | Flow::Device);
    if run.cfg.flow == Flow::Refresh {
        run.refresh_token_issued = Some(true);
        run.refresh_rotated = Some(run.rotation.is_some());
        notes.push(if run.rotation.is_some() {
            "refresh works (rotated: the token given is retired; the integration needs the new one)"
                .into()
        } else {
            "refresh works (refreshed once, the login)".to_string()
        });
    }
    let old_refresh = tokens.refresh_token.clone();
    // The refresh-flow login itself rotated the token given: whoever else holds that token
    // now holds a rotated-out one.
    let login_rotated = run.cfg.flow == Flow::Refresh
        && run.cfg.refresh_token.is_some()
        && old_refresh.is_some()
        && old_refresh != run.cfg.refresh_token;
    // The real refresh goes through oauth2 like the login; its raw answer is judged below.
    let sf = oauth::client(&run.cfg, &run.login_url).ok();
    let refresh_token = old_refresh.clone().filter(|_| can_refresh);
    let refresh_client = client.clone();
    let refreshing = async move {
        let (sf, rt) = (sf?, refresh_token?);
        let transport = oauth::Transport::new(refresh_client);
        let _ = sf
            .exchange_refresh_token(&oauth2::RefreshToken::new(rt))
            .request_async(&transport)
            .await;
        Some(transport.into_exchange())
    };
    let maybe = |r: Option<Request>| {
        let client = client.clone();
        async move {
            match r {
                Some(r) => Some(client.send(r).await),
                None => None,
            }
        }
    };
    let (identity, userinfo, introspect, refreshed) = tokio::join!(
        maybe(identity_req),
        client.send(userinfo_req),
        maybe(introspect_req),
        refreshing
    );

    // Identity.
    match identity {
        Some((_, Ok(r))) if r.status == 200 => {
            let v = r.json().unwrap_or(Value::Null);
            run.org.username = v["username"].as_str().map(str::to_string);
            run.org.user_id = v["user_id"].as_str().map(str::to_string);
            notes.push(format!(
                "identity {}",
                run.org.username.clone().unwrap_or_default()
            ));
        }
        // A redirect is not a warning: the host is wrong for every later call too.
        Some((_, Ok(r))) if (300..400).contains(&r.status) => {
            run.raise(classify::api_error(&r, None));
        }
        Some((_, Ok(r))) => run.raise(classify::as_warning(classify::api_error(&r, None))),
        Some((rid, Err(f))) => run.raise(classify::failure(&f, rid)),
        None => {}
    }
    // Userinfo (also how the token flow learns who it is).
    match userinfo {
        (_, Ok(r)) if r.status == 200 => {
            let v = r.json().unwrap_or(Value::Null);
            if run.org.user_id.is_none() {
                run.org.user_id = v["user_id"].as_str().map(str::to_string);
                run.org.username = v["preferred_username"].as_str().map(str::to_string);
            }
        }
        (_, Ok(r)) if r.status == 401 || r.text().trim() == "Bad_OAuth_Token" => {
            run.raise(classify::api_error(&r, None));
        }
        (_, Ok(r)) if (300..400).contains(&r.status) => run.raise(classify::api_error(&r, None)),
        (_, Ok(_)) => {}
        (rid, Err(f)) => run.raise(classify::failure(&f, rid)),
    }
    // Introspection.
    if let Some((_, Ok(r))) = introspect
        && let Some(exp) = r
            .json()
            .filter(|v| v["active"] == true)
            .and_then(|v| v["exp"].as_u64())
    {
        let now = crate::engine::clock::now_secs();
        notes.push(format!(
            "session valid for {} min",
            exp.saturating_sub(now) / 60
        ));
    }
    // Scopes.
    run.scopes = tokens.scope.clone();
    if let Some(scope) = &tokens.scope {
        if !scope.split_whitespace().any(|s| s == "api" || s == "full") {
            run.raise(Finding::new(
                Code::API_SCOPE_MISSING,
                format!("Granted scopes: {scope}."),
                tokens.response_id.into_iter().collect(),
            ));
        }
        notes.push(format!("scopes {scope}"));
    }
    // Refresh, for real.
    if can_refresh {
        run.refresh_token_issued = Some(old_refresh.is_some());
        match (old_refresh, refreshed) {
            (None, _) => run.raise(Finding::new(
                Code::REFRESH_TOKEN_MISSING,
                format!(
                    "The token response has no refresh_token; granted scopes: {}.",
                    tokens.scope.clone().unwrap_or_else(|| "?".into())
                ),
                tokens.response_id.into_iter().collect(),
            )),
            (Some(rt), Some((rid, answer))) => {
                run.refresh_request = Some(rid);
                let before = run.findings.len();
                let new = match answer {
                    Ok(resp) if login_rotated && landing::refused_as_expired(&resp) => {
                        run.raise(Finding::new(
                            Code::RTR_TOKEN_REUSE,
                            "The refresh-flow login worked and rotated the refresh token given (Refresh Token Rotation is on); a moment later a refresh with the new token answered invalid_grant / expired access/refresh token. Another holder presented the rotated-out token, and Salesforce revoked the current refresh and access tokens (Salesforce Help 005316711).",
                            vec![rid],
                        ));
                        None
                    }
                    Ok(resp) => parse_token_response(run, &resp),
                    Err(f) => {
                        run.raise(classify::failure(&f, rid));
                        None
                    }
                };
                match new {
                    Some(new) => {
                        let rotated = new.refresh_token.as_ref().is_some_and(|n| *n != rt);
                        run.refresh_rotated = Some(rotated);
                        let base = run.login_url.clone();
                        run.cfg.ledger.refreshed(
                            &base,
                            &rt,
                            &new.access_token,
                            new.refresh_token.as_deref().filter(|_| rotated),
                        );
                        if rotated && let Some(n) = &new.refresh_token {
                            crate::engine::ledger::keep_now(run, n).await;
                        }
                        notes.push(if rotated {
                            "refresh works (rotated: store the new refresh token each time)".into()
                        } else {
                            "refresh works".to_string()
                        });
                        tokens.access_token = new.access_token;
                        if rotated {
                            tokens.refresh_token = new.refresh_token;
                        }
                    }
                    None if run.findings.len() == before => run.raise(Finding::new(
                        Code::REFRESH_TOKEN_EXPIRED,
                        "The refresh failed.",
                        vec![rid],
                    )),
                    None => {}
                }
            }
            (Some(_), None) => {}
        }
    }
    // The refresh flow's own refresh rotated the token given, and the new session was refused
    // at once: another holder presented the rotated-out token (the family is revoked).
    if login_rotated
        && !run.has(Code::RTR_TOKEN_REUSE)
        && run
            .findings
            .get(findings_before..)
            .is_some_and(|new| new.iter().any(|f| f.code == Code::SESSION_INVALID))
    {
        run.raise(Finding::new(
            Code::RTR_TOKEN_REUSE,
            "The refresh-flow login worked and rotated the refresh token given (Refresh Token Rotation is on); a moment later the new access token was refused. Another holder presented the rotated-out token, and Salesforce revoked the current refresh and access tokens (Salesforce Help 005316711).",
            tokens.response_id.into_iter().collect(),
        ));
    }
    notes.join("; ")
}
