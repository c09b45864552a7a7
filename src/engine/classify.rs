//! Reads what Salesforce actually sends — the OAuth `error`/`error_description` pair, the REST
//! `errorCode`, the Sage People `innererror.code`, the status and headers — and names the
//! finding. Wording variants (old and new, key order, pretty-printing, case) land on the same
//! code; anything unrecognised is kept, raw, as `UNEXPECTED_RESPONSE`.

use super::findings::Code;
use serde_json::Value;

use super::findings::{Finding, Severity};
use super::http::{Failure, Response};
use super::model::Flow;

/// A short, single-line excerpt of a body for a finding's detail.
pub fn excerpt(text: &str) -> String {
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() > 200 {
        format!("{}…", one_line.chars().take(200).collect::<String>())
    } else {
        one_line
    }
}

/// `+` and `%XX` decoded (Salesforce sends descriptions form-encoded in redirects and pages,
/// and some clients pass them on undecoded). Byte-wise, so never splits a character.
fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => match (hex(b[i + 1]), hex(b[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Words of a text for matching on meaning: decoded, lower-cased, punctuation dropped,
/// whitespace collapsed ("Audience validation failed." = "audience+validation+failed").
fn words(s: &str) -> String {
    decode(s)
        .to_lowercase()
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether the normalised text `d` contains `needle`'s words, on word boundaries.
fn has(d: &str, needle: &str) -> bool {
    format!(" {d} ").contains(&format!(" {} ", words(needle)))
}

/// An OAuth `error` value as a key: decoded, trimmed, lower-case, `-` and spaces as `_`
/// (Salesforce Help shows both `access-denied` and `access_denied`).
fn error_key(e: &str) -> String {
    decode(e)
        .trim()
        .to_lowercase()
        .chars()
        .map(|c| {
            if c == '-' || c.is_whitespace() {
                '_'
            } else {
                c
            }
        })
        .collect()
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
    let tail = text.get(start..)?;
    // A query ends at markup, a quote or the line's end; literal spaces stay (page text shows
    // "error_description=missing required code challenge" unencoded).
    let end = tail
        .find(['<', '"', '\'', '\n', '\r', '#'])
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

/// The OAuth error a page states (Salesforce's authorization error page, or any page the
/// authorize step lands on): the `error`/`error_description` pair of its URL or its text in any
/// encoding (`+`, `%20`, literal spaces), else the `OAUTH_…` code Salesforce's page prints
/// ("OAUTH_APPROVAL_ERROR_GENERIC : An unexpected error…", "Remote_Error: OAUTH_APP_BLOCKED")
/// with the words after it.
pub fn page_pair(text: &str) -> Option<(String, String)> {
    if let Some(pair) = pair_from_query(text).filter(|(e, _)| !e.trim().is_empty()) {
        return Some(pair);
    }
    let start = text.find("OAUTH_")?;
    let tail = text.get(start..)?;
    let end = tail
        .find(|c: char| !(c.is_ascii_uppercase() || c == '_'))
        .unwrap_or(tail.len());
    let code = tail.get(..end)?.trim_end_matches('_');
    if code.len() <= "OAUTH_".len() {
        return None;
    }
    let rest = tail.get(end..).unwrap_or_default();
    let words = rest
        .trim_start_matches([' ', ':', '-'])
        .split(['<', '\n', '\r'])
        .next()
        .unwrap_or_default()
        .trim();
    Some((code.to_string(), words.to_string()))
}

/// Whether a URL the authorize step landed on is Salesforce's authorization error page (or
/// carries an OAuth error) rather than a login or consent page.
pub fn is_error_landing(url: &str) -> bool {
    let path_and_query = url.split('#').next().unwrap_or(url);
    path_and_query.contains("RemoteAccessErrorPage")
        || path_and_query
            .split_once('?')
            .is_some_and(|(_, q)| q.split('&').any(|kv| kv.starts_with("error=")))
}

/// The findings of a page the authorize step landed on instead of the callback: the page's
/// error when sagediag knows it (quoting where it was shown), else `AUTHORIZE_ERROR_PAGE`
/// with the page's words. `text` is the URL, the page's text, or both.
pub fn authorize_landing(where_: &str, text: &str, flow: Flow, ids: Vec<u64>) -> Vec<Finding> {
    let shown = excerpt(where_);
    let Some((e, d)) = page_pair(text) else {
        return vec![Finding::new(
            Code::AUTHORIZE_ERROR_PAGE,
            format!(
                "The authorize step landed on {shown} instead of the callback, and the page names no OAuth error sagediag can read."
            ),
            ids,
        )];
    };
    let mut out = oauth_error(&e, &d, flow, ids.clone());
    let specific = out.first().is_some_and(|f| {
        !matches!(
            f.code,
            Code::OAUTH_ERROR_OTHER
                | Code::OAUTH_INVALID_REQUEST
                | Code::OAUTH_INVALID_GRANT_OTHER
                | Code::UNEXPECTED_RESPONSE
        )
    });
    if specific {
        for f in &mut out {
            f.detail = format!(
                "{} (shown on Salesforce's page {shown}, not sent to the callback)",
                f.detail
            );
        }
        return out;
    }
    let said = out.first().map(|f| f.detail.clone()).unwrap_or_default();
    vec![
        Finding::new(
            Code::AUTHORIZE_ERROR_PAGE,
            format!("The authorize step landed on {shown} instead of the callback. {said}."),
            ids,
        )
        .titled(format!(
            "Salesforce's authorization error page: {}",
            excerpt(&decode(&e))
        )),
    ]
}

/// The finding of a redirect answered to a call (the token, identity or REST call): 301, 302,
/// 303, 307 or 308 with a Location. Salesforce answers a call this way only from a legacy host
/// (enhanced domains); sagediag never follows it with a token. The finding names the host to
/// use when the Location is an https Salesforce host, and only its host.
pub fn redirect(resp: &Response) -> Option<Finding> {
    if !matches!(resp.status, 301 | 302 | 303 | 307 | 308) {
        return None;
    }
    let location = resp.header("location")?;
    let ids = vec![resp.id];
    let target = url::Url::parse(location).ok();
    let host = target
        .as_ref()
        .and_then(|u| u.host_str())
        .map(str::to_ascii_lowercase);
    let https = target.as_ref().is_some_and(|u| u.scheme() == "https");
    match host {
        Some(h) if https && is_salesforce_host(&h) => Some(
            Finding::new(
                Code::LEGACY_HOST_REDIRECT,
                format!(
                    "HTTP {} with Location on https://{h}: this host only redirects (a legacy host after enhanced domains). sagediag did not follow it and sent nothing there. Use https://{h}.",
                    resp.status
                ),
                ids,
            )
            .titled(format!("The host redirects to https://{h}: use that host")),
        ),
        Some(h) => Some(
            Finding::new(
                Code::UNEXPECTED_RESPONSE,
                format!(
                    "HTTP {} with Location on {h}, which is not an https Salesforce host (a proxy, captive portal or misconfigured gateway?). sagediag did not follow it.",
                    resp.status
                ),
                ids,
            )
            .titled("The call was redirected away from Salesforce"),
        ),
        None => Some(
            Finding::new(
                Code::UNEXPECTED_RESPONSE,
                format!(
                    "HTTP {} with Location {}: a redirect on the same host, which Salesforce does not answer to this call. sagediag did not follow it.",
                    resp.status,
                    excerpt(location)
                ),
                ids,
            )
            .titled("The call was redirected"),
        ),
    }
}

/// A host under one of Salesforce's domains, made only of the characters a host name has.
fn is_salesforce_host(host: &str) -> bool {
    host.chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        && super::trust::SALESFORCE_DOMAINS.iter().any(|d| {
            host.strip_suffix(d)
                .is_some_and(|rest| rest.ends_with('.') && rest.len() > 1)
        })
}

/// The finding code for a description that names its cause, whatever the `error` value
/// (Salesforce pairs the same words with `invalid_grant` or `invalid_request` over time).
fn by_description(d: &str) -> Option<Code> {
    Some(if has(d, "already being processed") {
        // Summer '24: a refresh while another refresh of the same token is in flight.
        Code::RTR_CONCURRENT_REFRESH
    } else if has(d, "code challenge") {
        Code::PKCE_REQUIRED
    } else if has(d, "code verifier") {
        Code::PKCE_VERIFIER_REJECTED
    } else if has(d, "authentication failure") || has(d, "invalid user credentials") {
        Code::AUTHENTICATION_FAILURE
    } else if has(d, "inactive user") || has(d, "user is inactive") {
        Code::USER_INACTIVE
    } else if has(d, "approved this consumer")
        || has(d, "preauthorized")
        || has(d, "pre authorized")
    {
        // Also "refresh_token scope is required and the connected app should be installed and
        // preauthorized" (JWT): checked before the refresh-token words below.
        Code::USER_NOT_PREAUTHORIZED
    } else if has(d, "admin approved") {
        Code::USER_NOT_ADMIN_APPROVED
    } else if has(d, "expired access refresh token") || has(d, "refresh token") {
        Code::REFRESH_TOKEN_EXPIRED
    } else if has(d, "authorization code") {
        Code::AUTH_CODE_INVALID
    } else if has(d, "audience") {
        Code::JWT_AUDIENCE_INVALID
    } else if has(d, "assertion") {
        Code::JWT_ASSERTION_INVALID
    } else if has(d, "ip restricted") || has(d, "login hours") {
        Code::IP_RESTRICTED
    } else if has(d, "not supported on this domain") {
        Code::CLIENT_CREDENTIALS_WRONG_HOST
    } else if has(d, "client credentials user") {
        Code::CLIENT_CREDENTIALS_NO_RUN_AS_USER
    } else if has(d, "login rate") || has(d, "rate exceeded") || has(d, "logins exceeded") {
        Code::LOGIN_RATE_EXCEEDED
    } else if has(d, "installed") {
        // "app must be installed into org", "External client app is not installed in this org".
        Code::APP_NOT_INSTALLED
    } else {
        return None;
    })
}

/// The finding for an OAuth error pair (authorize redirect, 400 page, or the token, revoke,
/// introspect or device endpoints). The description is matched on meaning (`+`/`%20`, case,
/// punctuation and spacing do not matter); a pair with no specific finding still gets its
/// `error` family's finding, quoting Salesforce's words. Only a pair without an `error` value
/// is `UNEXPECTED_RESPONSE`.
pub fn oauth_error(error: &str, description: &str, flow: Flow, ids: Vec<u64>) -> Vec<Finding> {
    let e = error_key(error);
    let d = words(description);
    let shown = excerpt(&decode(description));
    let said = format!(
        "Salesforce answered {}{}",
        excerpt(error),
        if shown.is_empty() {
            String::new()
        } else {
            format!(" / {shown}")
        }
    );
    let one = |code: Code| vec![Finding::new(code, said.clone(), ids.clone())];
    let titled = |code: Code, title: String| {
        vec![Finding::new(code, said.clone(), ids.clone()).titled(title)]
    };
    let code = match e.as_str() {
        "" => return vec![unrecognised(&said, ids)],
        "invalid_client_id" | "app_not_found" => Code::CLIENT_ID_INVALID,
        "invalid_client" | "invalid_client_credentials" | "invalid_basic_auth_header" => {
            if has(&d, "installed") {
                Code::APP_NOT_INSTALLED
            } else if has(&d, "blocked") {
                Code::APP_BLOCKED
            } else {
                Code::CLIENT_SECRET_INVALID
            }
        }
        "redirect_uri_mismatch" => Code::REDIRECT_URI_MISMATCH,
        "redirect_uri_missing" => {
            return titled(
                Code::OAUTH_INVALID_REQUEST,
                "The authorization request has no redirect_uri".into(),
            );
        }
        "invalid_app_access" => Code::USER_NOT_ADMIN_APPROVED,
        "unsupported_grant_type" | "oauth_flow_disabled" => Code::GRANT_TYPE_NOT_ENABLED,
        "access_denied" => Code::CONSENT_DENIED,
        "immediate_unsuccessful" => Code::IMMEDIATE_UNSUCCESSFUL,
        "rate_limit_exceeded" => Code::LOGIN_RATE_EXCEEDED,
        "inactive_user" => Code::USER_INACTIVE,
        "inactive_org" => Code::ORG_INACTIVE,
        "invalid_scope" => Code::SCOPE_NOT_ALLOWED,
        "app_blocked" | "fail_close_app_blocked" | "oauth_app_blocked" => Code::APP_BLOCKED,
        "oauth_ec_app_not_found" => Code::ECA_NOT_FOUND,
        // The error page's code for the September 2025 block on uninstalled apps (and rarer
        // policy refusals, which the description then names).
        "oauth_approval_error_generic" => by_description(&d).unwrap_or(Code::APP_NOT_INSTALLED),
        "ecapp_policy_not_found" | "oauth_policy_not_found" => Code::APP_NOT_INSTALLED,
        "invalid_session_level" => Code::SESSION_LEVEL_REQUIRED,
        "bad_jti_claim" | "invalid_assertion_type" => Code::JWT_ASSERTION_INVALID,
        "authorization_pending" | "slow_down" | "expired_token" => Code::DEVICE_FLOW_PENDING,
        "invalid_token" | "unsupported_token_type" => Code::OAUTH_TOKEN_INVALID,
        "server_error"
        | "temporarily_unavailable"
        | "service_unavailable"
        | "system_down"
        | "unknown_error" => Code::SERVER_ERROR,
        "unsupported_response_type" | "invalid_dpop_proof" | "use_dpop_nonce" => {
            Code::OAUTH_INVALID_REQUEST
        }
        "invalid_request" => by_description(&d).unwrap_or(Code::OAUTH_INVALID_REQUEST),
        "invalid_grant" => by_description(&d).unwrap_or(Code::OAUTH_INVALID_GRANT_OTHER),
        _ => {
            return titled(
                Code::OAUTH_ERROR_OTHER,
                format!(
                    "Salesforce refused the {} login with {} (no specific finding)",
                    flow.name(),
                    excerpt(error)
                ),
            );
        }
    };
    let mut out = one(code);
    if code == Code::AUTHENTICATION_FAILURE && flow == Flow::Password {
        out.push(Finding::new(Code::USERNAME_PASSWORD_FLOW_BLOCKED,
            "The password grant failed with authentication failure. Orgs created since Summer '23 block this flow by default and Salesforce gives no other sign of it.",
            ids.clone(),
        ));
    }
    out
}

fn unrecognised(said: &str, ids: Vec<u64>) -> Finding {
    Finding::new(
        Code::UNEXPECTED_RESPONSE,
        format!("{said} (not an error sagediag recognises)"),
        ids,
    )
    .titled("Salesforce answered with an unrecognised error")
}

/// The finding for a transport failure.
pub fn failure(f: &Failure, id: u64) -> Finding {
    let detail = f.to_string();
    match f {
        Failure::Timeout => Finding::new(Code::TIMEOUT, detail, vec![id]),
        Failure::Dns(_) | Failure::Connect(_) => {
            Finding::new(Code::HOST_UNREACHABLE, detail, vec![id])
        }
        Failure::Tls(_) => Finding::new(Code::TLS_UNTRUSTED, detail, vec![id]),
        Failure::Body(_) => Finding::new(Code::UNEXPECTED_RESPONSE, detail, vec![id])
            .titled("The response was cut off"),
        Failure::TooLarge { .. } => Finding::new(Code::RESPONSE_TOO_LARGE, detail, vec![id]),
        Failure::Other(_) => Finding::new(Code::UNEXPECTED_RESPONSE, detail, vec![id]),
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
    if let Some(f) = redirect(resp) {
        return f;
    }
    let ids = vec![resp.id];
    let Some(v) = resp.json() else {
        if resp.text().trim() == "Bad_OAuth_Token" {
            // The identity URL's and userinfo's answer to an expired or revoked token.
            return Finding::new(
                Code::SESSION_INVALID,
                format!(
                    "HTTP {} Bad_OAuth_Token: the identity service refused the access token (expired, revoked or of another org).",
                    resp.status
                ),
                ids,
            );
        }
        if resp.status >= 500 {
            return Finding::new(
                Code::SERVER_ERROR,
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
            Code::UNEXPECTED_RESPONSE,
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
        "INVALID_SESSION_ID" if words(&message).contains("scope") => {
            Finding::new(Code::API_SCOPE_MISSING, said, ids)
        }
        "INVALID_SESSION_ID" => Finding::new(Code::SESSION_INVALID, said, ids),
        // The header itself, not the session or API access: never refined into those.
        "INVALID_AUTH_HEADER" | "INVALID_HEADER_TYPE" => {
            Finding::new(Code::AUTH_HEADER_REFUSED, said, ids)
        }
        "API_DISABLED_FOR_ORG" => Finding::new(Code::API_DISABLED_FOR_ORG, said, ids),
        "API_CURRENTLY_DISABLED" => Finding::new(Code::API_DISABLED_FOR_USER, said, ids),
        "REQUEST_LIMIT_EXCEEDED" => Finding::new(Code::API_LIMIT_EXCEEDED, said, ids),
        "MISSING_API_PERMISSION" => {
            let set = permission_set.unwrap_or("the endpoint's permission set");
            Finding::new(Code::PERMISSION_SET_MISSING, said, ids)
                .titled(format!("Permission set not assigned: {set}"))
        }
        "NOT_FOUND" if has(&words(&message), "could not find a match for url") => {
            Finding::new(Code::PACKAGE_NOT_INSTALLED, said, ids)
        }
        _ if resp.status >= 500 => Finding::new(Code::SERVER_ERROR, said, ids),
        _ => Finding::new(
            Code::UNEXPECTED_RESPONSE,
            format!("{said} (raw: {})", excerpt(&resp.text())),
            ids,
        )
        .titled("The API answered with an unexpected error"),
    }
}

/// What the engine knows, when the REST API refuses a call, about the candidates behind
/// Salesforce's answer. A user without API Enabled is answered `403 API_DISABLED_FOR_ORG`
/// ("The REST API is not enabled for this Organization."), `403 API_CURRENTLY_DISABLED`
/// ("API is disabled for this User") or `401 INVALID_SESSION_ID`, depending on the org and
/// release; the same codes also mean an edition without API access, a temporary
/// disablement, or an expired session.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ApiAccessEvidence {
    /// The identity URL or userinfo accepted this access token (so it has not expired).
    pub session_valid: Option<bool>,
    /// The granted scopes include `api` or `full` (None: the token response had no scope).
    pub api_scope: Option<bool>,
    /// PermissionsApiEnabled through the user's profile or permission sets, from the
    /// PermissionSetAssignment query (None: it could not be read).
    pub api_enabled: Option<bool>,
    /// A REST query of this run answered 200 (so the org and the user have API access).
    pub rest_worked: bool,
}

/// Refines an API-access finding (`API_DISABLED_FOR_ORG`, `API_DISABLED_FOR_USER`,
/// `SESSION_INVALID`) with what the engine could check: the finding names the candidates that
/// remain, says which one the evidence confirmed, and switches code when the evidence
/// settles it. Any other finding is returned unchanged.
pub fn api_access(f: Finding, ev: &ApiAccessEvidence) -> Finding {
    let said = f.detail.trim_end_matches(['.', ' ']).to_string();
    let ids = f.request_ids.clone();
    let severity = f.severity;
    let scope_ok = ev.api_scope != Some(false);
    let out = match f.code {
        Code::API_DISABLED_FOR_ORG => {
            if ev.api_enabled == Some(false) {
                Finding::new(
                    Code::API_DISABLED_FOR_USER,
                    format!(
                        "{said}. Confirmed by the PermissionSetAssignment query: neither the user's profile nor any of their permission sets grants API Enabled (Salesforce answers such a user with this organization-level code)."
                    ),
                    ids,
                )
            } else if ev.api_enabled == Some(true) || ev.rest_worked {
                f.titled("The org refuses REST API access (the user has API Enabled)")
                    .with_detail(format!("{said}. The user has API Enabled ({}), so the refusal is the org's: its edition or API add-on.", if ev.api_enabled == Some(true) { "PermissionSetAssignment query" } else { "a REST query of this run answered" }))
            } else {
                f.titled("REST API refused: the org's edition, or the user's API Enabled (not told apart)")
                    .with_detail(format!("{said}. Salesforce sends this code both for an edition without API access and for a user without API Enabled. sagediag could not tell which: every REST query, including the one for the user's PermissionsApiEnabled and the org's edition, answered the same. Check both (see the fix)."))
            }
        }
        Code::API_DISABLED_FOR_USER => {
            let names_user = has(&words(&said), "for this user");
            if ev.api_enabled == Some(false) {
                f.with_detail(format!("{said}. Confirmed by the PermissionSetAssignment query: no profile or permission set of the user grants API Enabled."))
            } else if names_user {
                f.with_detail(format!("{said}. Salesforce's message names the user; the PermissionSetAssignment query could not confirm it (the API refuses every query)."))
            } else if ev.api_enabled == Some(true) {
                f.titled("The API is disabled although the user has API Enabled")
                    .with_detail(format!("{said}. The user has API Enabled (PermissionSetAssignment query); API_CURRENTLY_DISABLED then means a temporary Salesforce-side disablement: retry later, check https://status.salesforce.com."))
            } else {
                f.titled("API disabled: the user's API Enabled, or a temporary Salesforce-side disablement")
                    .with_detail(format!("{said}. Candidates: the user lacks API Enabled (most likely), or Salesforce disabled the API temporarily (the code's older meaning). sagediag could not read the user's PermissionsApiEnabled: the API refuses every query."))
            }
        }
        Code::SESSION_INVALID
            if ev.session_valid == Some(true)
                && scope_ok
                && ev.api_enabled != Some(true)
                && !ev.rest_worked =>
        {
            let confirmed = ev.api_enabled == Some(false);
            Finding::new(Code::API_DISABLED_FOR_USER,
                format!(
                    "{said}. The identity URL accepted the same access token{}, so the session has not expired. {}",
                    if ev.api_scope == Some(true) { " and its scopes include api" } else { "" },
                    if confirmed {
                        "Confirmed by the PermissionSetAssignment query: no profile or permission set of the user grants API Enabled."
                    } else {
                        "Candidates: the user lacks API Enabled, or API Access Control allows only approved apps (this one is not allowed for the user). sagediag could not read the user's PermissionsApiEnabled: the API refuses every query."
                    }
                ),
                ids,
            )
            .titled(if confirmed {
                "The API user lacks API Enabled (the REST API answers 401 INVALID_SESSION_ID)"
            } else {
                "The REST API refuses a valid session: API Enabled missing, or API Access Control"
            })
        }
        Code::SESSION_INVALID if ev.session_valid == Some(false) => f.with_detail(format!(
            "{said}. The identity URL refused the same token too: the session itself is not valid."
        )),
        _ => return f,
    };
    out.severity(severity)
}

/// Lowers a finding to a warning (for checks that are informative only).
pub fn as_warning(f: Finding) -> Finding {
    f.severity(Severity::Warning)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding_and_words_are_char_safe() {
        assert_eq!(decode("a+b%20c%zz%"), "a b c%zz%");
        assert_eq!(decode("caf%C3%A9+%E2%9C%93"), "café ✓");
        assert_eq!(
            words("  Audience+validation   FAILED. "),
            "audience validation failed"
        );
        assert_eq!(words("user hasn't approved"), "user hasn t approved");
        assert_eq!(error_key(" Access-Denied "), "access_denied");
        assert!(has(
            &words("IP restricted or invalid login hours"),
            "ip restricted"
        ));
        assert!(!has(&words("unscoped"), "scope"));
    }

    #[test]
    fn wording_variants_land_on_one_code() {
        for d in [
            "authentication failure",
            "Authentication failure - invalid password",
            "  authentication   failure. ",
        ] {
            assert_eq!(
                oauth_error("invalid_grant", d, Flow::Web, vec![])[0].code,
                Code::AUTHENTICATION_FAILURE
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
            [
                Code::AUTHENTICATION_FAILURE,
                Code::USERNAME_PASSWORD_FLOW_BLOCKED
            ]
        );
        assert_eq!(
            oauth_error(
                "invalid_grant",
                "Audience validation failed",
                Flow::Jwt,
                vec![]
            )[0]
            .code,
            Code::JWT_AUDIENCE_INVALID
        );
        // A pair never seen still gets its family's finding, quoting Salesforce's words.
        let f = &oauth_error("invalid_grant", "something new", Flow::Web, vec![])[0];
        assert_eq!(f.code, Code::OAUTH_INVALID_GRANT_OTHER);
        assert!(f.detail.contains("something new"), "{}", f.detail);
        let f = &oauth_error("weird", "", Flow::Jwt, vec![])[0];
        assert_eq!(f.code, Code::OAUTH_ERROR_OTHER);
        assert!(
            f.title.contains("jwt") && f.title.contains("weird"),
            "{}",
            f.title
        );
        // Only a pair without an error value is not an OAuth error.
        assert_eq!(
            oauth_error("", "", Flow::Web, vec![])[0].code,
            Code::UNEXPECTED_RESPONSE
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
