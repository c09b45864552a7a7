//! Reads what Salesforce actually sends — the OAuth `error`/`error_description` pair, the REST
//! `errorCode`, the Sage People `innererror.code`, the status and headers — and names the
//! finding. Wording variants (old and new, key order, pretty-printing, case) land on the same
//! code; anything unrecognised is kept, raw, as `UNEXPECTED_RESPONSE`.

use serde_json::Value;

use super::Flow;
use super::findings::{Finding, Severity};
use super::http::{Failure, Response};

/// A short, single-line excerpt of a body for a finding's detail.
pub fn excerpt(text: &str) -> String {
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() > 200 {
        format!("{}…", one_line.chars().take(200).collect::<String>())
    } else {
        one_line
    }
}

fn norm(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_lowercase()
        .trim_end_matches('.')
        .to_string()
}

/// The OAuth error pair of a response: a JSON body, or a form-encoded page (`error=…&…`).
pub fn oauth_pair(resp: &Response) -> Option<(String, String)> {
    if let Some(v) = resp.json() {
        let e = v.get("error")?.as_str()?.to_string();
        let d = v
            .get("error_description")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        return Some((e, d));
    }
    pair_from_query(&resp.text())
}

/// The error pair in a query string or form-encoded text (a redirect, or Salesforce's 400 page).
pub fn pair_from_query(text: &str) -> Option<(String, String)> {
    let start = text.find("error=")?;
    let tail = &text[start..];
    let end = tail
        .find(|c: char| c.is_whitespace() || c == '<' || c == '"')
        .unwrap_or(tail.len());
    let map: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(&tail.as_bytes()[..end])
            .into_owned()
            .collect();
    Some((
        map.get("error")?.clone(),
        map.get("error_description").cloned().unwrap_or_default(),
    ))
}

/// The finding for an OAuth error pair (authorize redirect, 400 page, or token endpoint).
pub fn oauth_error(error: &str, description: &str, flow: Flow, ids: Vec<u64>) -> Vec<Finding> {
    let e = norm(error);
    let d = norm(description);
    let said = format!(
        "Salesforce answered {error}{}",
        if description.is_empty() {
            String::new()
        } else {
            format!(" / {description}")
        }
    );
    let one = |code: &'static str| vec![Finding::new(code, said.clone(), ids.clone())];
    match e.as_str() {
        "invalid_client_id" => one("CLIENT_ID_INVALID"),
        "invalid_client" if d.contains("must be installed") => one("APP_NOT_INSTALLED"),
        "invalid_client" | "invalid_client_credentials" => one("CLIENT_SECRET_INVALID"),
        "redirect_uri_mismatch" => one("REDIRECT_URI_MISMATCH"),
        "invalid_app_access" => one("USER_NOT_ADMIN_APPROVED"),
        "unsupported_grant_type" => one("GRANT_TYPE_NOT_ENABLED"),
        "access_denied" => one("CONSENT_DENIED"),
        "rate_limit_exceeded" => one("LOGIN_RATE_EXCEEDED"),
        "inactive_user" => vec![
            Finding::new("AUTHENTICATION_FAILURE", said.clone(), ids.clone())
                .titled("The user is inactive"),
        ],
        "invalid_request" if d.contains("code challenge") => one("PKCE_REQUIRED"),
        "invalid_scope" => vec![
            Finding::new("API_SCOPE_MISSING", said.clone(), ids.clone())
                .titled("A requested scope is not selected on the connected app"),
        ],
        "invalid_grant" | "invalid_request" => {
            let code = if d.contains("authentication failure") {
                "AUTHENTICATION_FAILURE"
            } else if d.contains("expired access/refresh token") || d.contains("refresh token") {
                "REFRESH_TOKEN_EXPIRED"
            } else if d.contains("code verifier") {
                "PKCE_VERIFIER_REJECTED"
            } else if d.contains("authorization code") {
                "AUTH_CODE_INVALID"
            } else if d.contains("approved this consumer") {
                "USER_NOT_PREAUTHORIZED"
            } else if d.contains("audience") {
                "JWT_AUDIENCE_INVALID"
            } else if d.contains("assertion") {
                "JWT_ASSERTION_INVALID"
            } else if d.contains("ip restricted") {
                "IP_RESTRICTED"
            } else if d.contains("not supported on this domain") {
                "CLIENT_CREDENTIALS_WRONG_HOST"
            } else if d.contains("client credentials user") {
                "CLIENT_CREDENTIALS_NO_RUN_AS_USER"
            } else if d.contains("login rate") || d.contains("rate exceeded") {
                "LOGIN_RATE_EXCEEDED"
            } else {
                return vec![unrecognised(&said, ids)];
            };
            let mut out = one(code);
            if code == "AUTHENTICATION_FAILURE" && flow == Flow::Password {
                out.push(Finding::new(
                    "USERNAME_PASSWORD_FLOW_BLOCKED",
                    "The password grant failed with authentication failure. Orgs created since Summer '23 block this flow by default and Salesforce gives no other sign of it.",
                    ids.clone(),
                ));
            }
            out
        }
        _ => vec![unrecognised(&said, ids)],
    }
}

fn unrecognised(said: &str, ids: Vec<u64>) -> Finding {
    Finding::new(
        "UNEXPECTED_RESPONSE",
        format!("{said} (not an error sagediag recognises)"),
        ids,
    )
    .titled("Salesforce answered with an unrecognised error")
}

/// The finding for a transport failure.
pub fn failure(f: &Failure, id: u64) -> Finding {
    let detail = f.to_string();
    match f {
        Failure::Timeout => Finding::new("TIMEOUT", detail, vec![id]),
        Failure::Dns(_) | Failure::Connect(_) => Finding::new("HOST_UNREACHABLE", detail, vec![id]),
        Failure::Tls(_) => Finding::new("TLS_UNTRUSTED", detail, vec![id]),
        Failure::Body(_) => {
            Finding::new("UNEXPECTED_RESPONSE", detail, vec![id]).titled("The response was cut off")
        }
        Failure::TooLarge { .. } => Finding::new("RESPONSE_TOO_LARGE", detail, vec![id]),
        Failure::Other(_) => Finding::new("UNEXPECTED_RESPONSE", detail, vec![id]),
    }
}

/// The Sage People `innererror.code`, or the REST `errorCode`, of an error body.
pub fn api_error_code(v: &Value) -> Option<String> {
    if let Some(inner) = v.pointer("/error/innererror/code").and_then(Value::as_str) {
        return Some(inner.to_string());
    }
    v.as_array()?
        .first()?
        .get("errorCode")?
        .as_str()
        .map(str::to_string)
}

fn api_message(v: &Value) -> String {
    v.pointer("/error/message")
        .or_else(|| v.pointer("/0/message"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// The finding for a failed REST or Sage People API response. `permission_set` names the set
/// of the endpoint probed, if any.
pub fn api_error(resp: &Response, permission_set: Option<&str>) -> Finding {
    let ids = vec![resp.id];
    let Some(v) = resp.json() else {
        if resp.status >= 500 {
            return Finding::new(
                "SERVER_ERROR",
                format!("HTTP {}: {}", resp.status, excerpt(&resp.text())),
                ids,
            );
        }
        let what = if resp.is_html() {
            "an HTML page (a proxy, captive portal or maintenance page?)"
        } else {
            "a body that is not JSON"
        };
        return Finding::new(
            "UNEXPECTED_RESPONSE",
            format!(
                "HTTP {} with {what}: {}",
                resp.status,
                excerpt(&resp.text())
            ),
            ids,
        )
        .titled("The answer is HTML or not JSON");
    };
    let code = api_error_code(&v).unwrap_or_default();
    let message = api_message(&v);
    let said = format!("HTTP {} {code}: {message}", resp.status);
    match code.as_str() {
        "INVALID_SESSION_ID" if norm(&message).contains("scope") => {
            Finding::new("API_SCOPE_MISSING", said, ids)
        }
        "INVALID_SESSION_ID" | "INVALID_AUTH_HEADER" => Finding::new("SESSION_INVALID", said, ids),
        "API_DISABLED_FOR_ORG" => Finding::new("API_DISABLED_FOR_ORG", said, ids),
        "API_CURRENTLY_DISABLED" => Finding::new("API_DISABLED_FOR_USER", said, ids),
        "REQUEST_LIMIT_EXCEEDED" => Finding::new("API_LIMIT_EXCEEDED", said, ids),
        "MISSING_API_PERMISSION" => {
            let set = permission_set.unwrap_or("the endpoint's permission set");
            Finding::new("PERMISSION_SET_MISSING", said, ids)
                .titled(format!("Permission set not assigned: {set}"))
        }
        "NOT_FOUND" if norm(&message).contains("could not find a match for url") => {
            Finding::new("PACKAGE_NOT_INSTALLED", said, ids)
        }
        _ if resp.status >= 500 => Finding::new("SERVER_ERROR", said, ids),
        _ => Finding::new(
            "UNEXPECTED_RESPONSE",
            format!("{said} (raw: {})", excerpt(&resp.text())),
            ids,
        )
        .titled("The API answered with an unexpected error"),
    }
}

/// Lowers a finding to a warning (for checks that are informative only).
pub fn as_warning(f: Finding) -> Finding {
    f.severity(Severity::Warning)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wording_variants_land_on_one_code() {
        for d in [
            "authentication failure",
            "Authentication failure - invalid password",
            "  authentication   failure. ",
        ] {
            assert_eq!(
                oauth_error("invalid_grant", d, Flow::Web, vec![])[0].code,
                "AUTHENTICATION_FAILURE"
            );
        }
        let f = oauth_error(
            "invalid_grant",
            "authentication failure",
            Flow::Password,
            vec![],
        );
        assert_eq!(
            f.iter().map(|f| f.code).collect::<Vec<_>>(),
            ["AUTHENTICATION_FAILURE", "USERNAME_PASSWORD_FLOW_BLOCKED"]
        );
        assert_eq!(
            oauth_error(
                "invalid_grant",
                "Audience validation failed",
                Flow::Jwt,
                vec![]
            )[0]
            .code,
            "JWT_AUDIENCE_INVALID"
        );
        assert_eq!(
            oauth_error("invalid_grant", "something new", Flow::Web, vec![])[0].code,
            "UNEXPECTED_RESPONSE"
        );
        assert_eq!(
            oauth_error("weird", "", Flow::Web, vec![])[0].code,
            "UNEXPECTED_RESPONSE"
        );
        assert_eq!(
            pair_from_query(
                "error=invalid_client_id&error_description=client%20identifier%20invalid"
            ),
            Some((
                "invalid_client_id".into(),
                "client identifier invalid".into()
            ))
        );
    }
}
