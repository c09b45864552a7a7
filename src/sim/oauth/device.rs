//! The OAuth 2.0 device flow: the start (`response_type=device_code` at the token endpoint),
//! the polls (`grant_type=device`), and the page where a person enters the user code.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use serde_json::json;

use super::{
    Attempt, Params, app_active, bad, esc, grant_scopes, parse_form, token_ok, user_login_checks,
};
use crate::sim::crypto;
use crate::sim::state::{DEVICE_TTL_MS, DeviceAuth, Org};

pub(super) fn device_start(org: &Org, client_id: Option<&str>, form: &Params) -> Response {
    if !app_active(org, client_id) {
        return bad("invalid_client_id", "client identifier invalid");
    }
    if !org.scenario.app.device_flow {
        return bad("unsupported_grant_type", "grant type not supported");
    }
    let Ok(scopes) = grant_scopes(org, form.get("scope")) else {
        return bad("invalid_scope", "the requested scope is not allowed");
    };
    let device_code = crypto::random_token(32);
    let user_code = crypto::random_from(b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789", 8);
    let issued = org.now_ms();
    let mut inner = org.lock();
    org.make_room(&mut inner, issued);
    inner.device.insert(
        device_code.clone(),
        DeviceAuth {
            user_code: user_code.clone(),
            scopes,
            approved_by: None,
            denied: false,
            polls: 0,
            last_poll: None,
            issued,
            done: false,
        },
    );
    drop(inner);
    token_ok(json!({
        "device_code": device_code,
        "user_code": user_code,
        "verification_uri": format!("{}/setup/connect", org.login_url),
        "interval": org.scenario.org.device_interval_secs,
    }))
}

pub(super) fn device_poll(org: &Org, form: &Params, att: &mut Attempt) -> Response {
    let code = form.get("code").cloned().unwrap_or_default();
    let now = org.now_ms();
    let interval = org.scenario.org.device_interval_secs.saturating_mul(1000);
    let auto_after = org.scenario.org.device_auto_approve_after_polls;
    let auto_user = org
        .scenario
        .users
        .iter()
        .position(|u| u.auto_approve && u.active);
    let (user, scopes) = {
        let mut inner = org.lock();
        let Some(d) = inner.device.get_mut(&code) else {
            return bad("invalid_grant", "invalid device code");
        };
        if d.done || now.saturating_sub(d.issued) > DEVICE_TTL_MS {
            return bad("invalid_grant", "expired device code");
        }
        if d.last_poll
            .is_some_and(|last| now.saturating_sub(last) < interval)
        {
            d.last_poll = Some(now);
            return bad("slow_down", "polling too quickly for the token endpoint");
        }
        d.last_poll = Some(now);
        d.polls += 1;
        if d.approved_by.is_none() && auto_after > 0 && d.polls > auto_after {
            d.approved_by = auto_user;
        }
        if d.denied {
            return bad("access_denied", "end-user denied authorization");
        }
        let Some(user) = d.approved_by else {
            return bad("authorization_pending", "");
        };
        d.done = true;
        (user, d.scopes.clone())
    };
    att.user = Some(user);
    if let Err(resp) = user_login_checks(org, user) {
        return resp;
    }
    let mut body = org.issue_tokens(user, &scopes, true, None);
    org.add_id_token(&mut body, user, &scopes);
    token_ok(body)
}

/// `GET /setup/connect`: where a person enters the device flow's user code.
pub async fn connect_get(State(org): State<Arc<Org>>) -> Response {
    connect_page(&org, None)
}

fn connect_page(org: &Org, message: Option<&str>) -> Response {
    let message = message
        .map(|m| format!("<p>{}</p>", esc(m)))
        .unwrap_or_default();
    Html(format!(
        r#"<!DOCTYPE html><html><head><title>Connect | Salesforce (simulated org)</title></head><body>
<h1>Connect a device to {}</h1>{message}<form method="post" action="/setup/connect">
<label>Code <input name="user_code"></label><br><label>Username <input name="username"></label><br>
<label>Password <input name="pw" type="password"></label><br>
<button name="action" value="allow">Allow</button> <button name="action" value="deny">Deny</button></form></body></html>"#,
        esc(&org.scenario.app.name)
    ))
    .into_response()
}

pub async fn connect_post(State(org): State<Arc<Org>>, body: Bytes) -> Response {
    let form = parse_form(&body);
    let code = form
        .get("user_code")
        .map(|c| c.trim().to_ascii_uppercase())
        .unwrap_or_default();
    let user = form
        .get("username")
        .and_then(|u| org.scenario.user(u))
        .filter(|(_, u)| u.active && Some(&u.password) == form.get("pw"));
    let Some((user, _)) = user else {
        return connect_page(&org, Some("Please check your username and password."));
    };
    let deny = form.get("action").map(String::as_str) == Some("deny");
    let mut inner = org.lock();
    match inner
        .device
        .values_mut()
        .find(|d| d.user_code == code && !d.done)
    {
        Some(d) => {
            if deny {
                d.denied = true;
            } else {
                d.approved_by = Some(user);
            }
            drop(inner);
            connect_page(
                &org,
                Some(if deny {
                    "Access denied."
                } else {
                    "Access granted. You may close this window."
                }),
            )
        }
        None => {
            drop(inner);
            connect_page(&org, Some("That code is invalid or has expired."))
        }
    }
}
