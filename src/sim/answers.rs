//! How Salesforce answers in 2026 (docs/oauth-errors.md, docs/simulator.md): a refresh refused
//! while another is in flight, a rotated-out refresh token presented again, the authorization
//! error page, and legacy hosts that only redirect after enhanced domains. A scenario turns each
//! on in its `[answers]` section; every field's default is off.

use std::sync::Arc;

use axum::extract::{Query, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};

use super::state::Org;

/// Salesforce's authorization error page (the authorize step lands here instead of the
/// callback when a policy forbids the authorization).
pub const ERROR_PAGE_PATH: &str = "/setup/secur/RemoteAccessErrorPage.apexp";

/// The error page's URL for an OAuth error pair, as Salesforce builds it (form-encoded: `+`
/// for spaces), e.g. `…/RemoteAccessErrorPage.apexp?error=invalid_client&error_description=app+must+be+installed+into+org`.
pub fn error_page_url(error: &str, description: &str) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    q.append_pair("error", error);
    if !description.is_empty() {
        q.append_pair("error_description", description);
    }
    format!("{ERROR_PAGE_PATH}?{}", q.finish())
}

/// The redirect to the error page, when the scenario refuses every authorization with one.
pub fn authorize_refusal(org: &Org) -> Option<Response> {
    let a = &org.scenario.answers;
    (!a.authorize_error.is_empty()).then(|| {
        redirect_to(&error_page_url(
            &a.authorize_error,
            &a.authorize_error_description,
        ))
    })
}

/// Salesforce redirects with 302 Found.
pub fn redirect_to(location: &str) -> Response {
    (
        StatusCode::FOUND,
        [(header::LOCATION, location.to_string())],
    )
        .into_response()
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `GET /setup/secur/RemoteAccessErrorPage.apexp`: the page a person sees. Its wording follows
/// the pages quoted in public help articles ("We can't authorize you because of an OAuth
/// error…", "OAUTH_APPROVAL_ERROR_GENERIC : An unexpected error has occured during
/// authentication."); the layout is a guess.
pub async fn error_page(Query(q): Query<std::collections::HashMap<String, String>>) -> Response {
    let error = q.get("error").map(String::as_str).unwrap_or_default();
    let description = q
        .get("error_description")
        .map(String::as_str)
        .unwrap_or_default();
    let code = match error {
        "invalid_client" if description.contains("installed") => "OAUTH_APPROVAL_ERROR_GENERIC",
        e if e.starts_with("OAUTH_") => e,
        _ => "OAUTH_APPROVAL_ERROR_GENERIC",
    };
    Html(format!(
        r#"<!DOCTYPE html><html><head><title>OAuth Error</title></head><body><h1>OAuth Error</h1>
<p>We can't authorize you because of an OAuth error. For more information, contact your Salesforce administrator.</p>
<p>{code} : {}</p></body></html>"#,
        esc(if description.is_empty() {
            "An unexpected error has occured during authentication. Please try again."
        } else {
            description
        })
    ))
    .into_response()
}

/// Legacy hosts: every call but the simulator's own answers 301 to the My Domain.
pub async fn legacy_hosts(State(org): State<Arc<Org>>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if !org.scenario.answers.legacy_host || path.starts_with("/_sim/") {
        return next.run(req).await;
    }
    let target = format!(
        "https://{}.my.salesforce.com{}",
        org.scenario.org.my_domain,
        req.uri()
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or(path)
    );
    (StatusCode::MOVED_PERMANENTLY, [(header::LOCATION, target)]).into_response()
}

/// An Authorization header that is present but empty or not `Bearer <token>` (nor Salesforce's
/// older `OAuth <token>`): REST answers `401 INVALID_AUTH_HEADER` / `INVALID_HEADER_TYPE`
/// (the pairing is inferred from a client's comment, /work/shared/reference/salesforce-oauth.md
/// §6). A missing header stays `INVALID_SESSION_ID`, as Salesforce answers it.
pub fn auth_header_refusal(headers: &axum::http::HeaderMap) -> Option<Response> {
    let value = headers.get(header::AUTHORIZATION)?;
    let text = value.to_str().unwrap_or_default();
    let token = text
        .strip_prefix("Bearer ")
        .or_else(|| text.strip_prefix("OAuth "))
        .map(str::trim)
        .filter(|t| !t.is_empty() && !t.contains(char::is_whitespace));
    if token.is_some() {
        return None;
    }
    Some(
        (
            StatusCode::UNAUTHORIZED,
            axum::Json(serde_json::json!([
                {"message": "INVALID_HEADER_TYPE", "errorCode": "INVALID_AUTH_HEADER"}
            ])),
        )
            .into_response(),
    )
}

/// What the identity URL and `/services/oauth2/userinfo` answer a missing, expired or revoked
/// access token: `403 Forbidden` with the text `Bad_OAuth_Token` (not REST's JSON
/// `INVALID_SESSION_ID`).
pub fn bad_oauth_token() -> Response {
    (
        StatusCode::FORBIDDEN,
        [(header::CONTENT_TYPE, "text/plain;charset=UTF-8")],
        "Bad_OAuth_Token",
    )
        .into_response()
}
