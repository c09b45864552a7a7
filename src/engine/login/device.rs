//! The device flow: the code shown, the polls at the interval the server asks.

use std::time::Duration;

use serde_json::Value;

use super::*;
use crate::engine::classify;
use crate::engine::context::Run;
use crate::engine::findings::{Code, Finding};
use crate::engine::http::Request;
use crate::engine::model::{Event, Flow, Tokens};

pub(super) async fn device(run: &mut Run, base: &str) -> Option<Tokens> {
    let scope = run
        .cfg
        .scopes
        .clone()
        .unwrap_or_else(|| "api refresh_token".into());
    let form = [
        ("response_type", "device_code"),
        ("client_id", run.cfg.client_id.as_str()),
        ("scope", scope.as_str()),
    ];
    let (id, resp) = run
        .send_or_raise(Request::post_form(token_url(base), &form))
        .await?;
    let v = resp.json().unwrap_or(Value::Null);
    let (Some(device_code), Some(user_code)) = (v["device_code"].as_str(), v["user_code"].as_str())
    else {
        match classify::oauth_pair(&resp) {
            Some((e, d)) => run.raise_all(classify::oauth_error(&e, &d, Flow::Device, vec![id])),
            None => run.raise(classify::api_error(&resp, None)),
        }
        return None;
    };
    let device_code = device_code.to_string();
    run.client.add_secret(&device_code);
    // The server's interval, within reason: a hostile `interval` must not park the run.
    let mut interval = Duration::from_secs(
        v["interval"]
            .as_u64()
            .unwrap_or(5)
            .clamp(1, MAX_DEVICE_INTERVAL_SECS),
    );
    let verification_uri = v["verification_uri"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    run.emit(Event::DeviceCode {
        user_code: user_code.to_string(),
        verification_uri,
    });
    let deadline = tokio::time::Instant::now() + run.cfg.login_timeout;
    loop {
        // Never sleep past the deadline (--login-timeout).
        tokio::time::sleep_until((tokio::time::Instant::now() + interval).min(deadline)).await;
        if tokio::time::Instant::now() >= deadline {
            run.raise(
                Finding::new(
                    Code::TIMEOUT,
                    "Nobody approved the device code in time.",
                    vec![id],
                )
                .titled("The device login was not approved"),
            );
            return None;
        }
        let form = [
            ("grant_type", "device"),
            ("client_id", run.cfg.client_id.as_str()),
            ("code", device_code.as_str()),
        ];
        let (_, resp) = run
            .send_or_raise(Request::post_form(token_url(base), &form))
            .await?;
        match classify::oauth_pair(&resp).map(|(e, _)| e).as_deref() {
            Some("authorization_pending") => continue,
            Some("slow_down") => {
                interval = (interval + Duration::from_secs(5))
                    .min(Duration::from_secs(MAX_DEVICE_INTERVAL_SECS));
                continue;
            }
            _ => return parse_token_response(run, &resp),
        }
    }
}
