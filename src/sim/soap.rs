//! The SOAP partner API's `login()` (`POST /services/Soap/u/NN.0`), which simple-salesforce
//! and jsforce use for username + password (+ security token) logins: a `loginResponse` with
//! `serverUrl` and `sessionId`, or Salesforce's SOAP fault (HTTP 500, `sf:LoginFault` with
//! `sf:exceptionCode` and `sf:exceptionMessage`, which simple-salesforce reads; jsforce reads
//! `faultstring`).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::scenario::{OLDEST_API_VERSION, OrgKind};
use super::state::Org;

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

fn xml_unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// The text of the first element named `name` (any namespace prefix), unescaped.
fn element(xml: &str, name: &str) -> Option<String> {
    let mut rest = xml;
    while let Some((_, after)) = rest.split_once('<') {
        rest = after;
        let (tag, body) = after.split_once('>')?;
        let local = tag
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .rsplit(':')
            .next()
            .unwrap_or_default();
        if local == name && !tag.starts_with('/') && !tag.ends_with('/') {
            let (text, _) = body.split_once('<')?;
            return Some(xml_unescape(text));
        }
    }
    None
}

fn xml(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/xml;charset=UTF-8")],
        body,
    )
        .into_response()
}

/// A SOAP `LoginFault`, HTTP 500, as Salesforce sends it.
pub fn login_fault(code: &str, message: &str) -> Response {
    let message = xml_escape(message);
    xml(
        StatusCode::INTERNAL_SERVER_ERROR,
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:sf="urn:fault.partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault><faultcode>sf:{code}</faultcode><faultstring>{code}: {message}</faultstring><detail><sf:LoginFault xsi:type="sf:LoginFault"><sf:exceptionCode>{code}</sf:exceptionCode><sf:exceptionMessage>{message}</sf:exceptionMessage></sf:LoginFault></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>"#
        ),
    )
}

/// `POST /services/Soap/u/{version}` (and `/services/Soap/u/{version}/{org}`).
pub async fn partner(
    State(org): State<Arc<Org>>,
    Path(path): Path<String>,
    body: Bytes,
) -> Response {
    let version = path.split('/').next().unwrap_or_default();
    let major = version
        .strip_suffix(".0")
        .and_then(|v| v.parse::<u32>().ok());
    let max = org
        .scenario
        .org
        .api_version
        .strip_suffix(".0")
        .and_then(|v| v.parse::<u32>().ok())
        .unwrap_or(67);
    // Retired (v30.0 and older) or unknown versions: help article 000354473, "SOAP API returns
    // 500: UNSUPPORTED_API_VERSION" (the message is a guess).
    if !major.is_some_and(|v| (OLDEST_API_VERSION..=max).contains(&v)) {
        return login_fault(
            "UNSUPPORTED_API_VERSION",
            &format!("Invalid Api version specified on URL: {version}"),
        );
    }
    let text = String::from_utf8_lossy(&body);
    if element(&text, "login").is_none() {
        return xml(
            StatusCode::INTERNAL_SERVER_ERROR,
            r#"<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><soapenv:Fault><faultcode>soapenv:Client</faultcode><faultstring>No operation available for request</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>"#.to_string(),
        );
    }
    let username = element(&text, "username").unwrap_or_default();
    let password = element(&text, "password").unwrap_or_default();
    let invalid = || {
        login_fault(
            "INVALID_LOGIN",
            "Invalid username, password, security token; or user locked out.",
        )
    };
    let Some((user, cfg)) = org.scenario.user(username.trim()) else {
        return invalid();
    };
    let expected = format!(
        "{}{}",
        cfg.password,
        cfg.security_token.as_deref().unwrap_or_default()
    );
    // Every attempt of a known user is a LoginHistory row (LoginType a guess: docs/simulator.md).
    let log = |status: &str| org.log_login(user, status, "Other Apex API");
    let refused = if password != expected {
        Some("Invalid password")
    } else if !cfg.active {
        Some("User is inactive")
    } else if cfg.ip_restricted {
        Some("Restricted IP")
    } else if org.is_frozen(user) {
        Some("User is frozen")
    } else {
        None
    };
    if let Some(status) = refused {
        log(status);
        return invalid();
    }
    if !org.scenario.org.api_enabled {
        log("Login invalid");
        return login_fault(
            "API_DISABLED_FOR_ORG",
            "API is not enabled for this Organization or Partner",
        );
    }
    if !cfg.api_enabled {
        log("Login invalid");
        return login_fault("API_CURRENTLY_DISABLED", "API is disabled for this User");
    }
    if !org.note_login(user) {
        log("Login rate exceeded");
        return login_fault("LOGIN_RATE_EXCEEDED", "Login rate exceeded for this user");
    }
    log("Success");
    let scopes = vec!["api".to_string(), "full".to_string()];
    let token = org.issue_tokens(user, &scopes, false, None);
    let session = token["access_token"].as_str().unwrap_or_default();
    let base = &org.instance_url;
    let org_id = org.org_id18();
    let user_id = org.user_id18(user);
    let sandbox = org.scenario.org.kind == OrgKind::Sandbox;
    let e = |s: &str| xml_escape(s);
    xml(
        StatusCode::OK,
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="urn:partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><loginResponse><result><metadataServerUrl>{base}/services/Soap/m/{version}/{org_id}</metadataServerUrl><passwordExpired>{expired}</passwordExpired><sandbox>{sandbox}</sandbox><serverUrl>{base}/services/Soap/u/{version}/{org_id}</serverUrl><sessionId>{session}</sessionId><userId>{user_id}</userId><userInfo><accessibilityMode>false</accessibilityMode><currencySymbol>£</currencySymbol><orgAttachmentFileSizeLimit>5242880</orgAttachmentFileSizeLimit><orgDefaultCurrencyIsoCode>GBP</orgDefaultCurrencyIsoCode><orgDisallowHtmlAttachments>false</orgDisallowHtmlAttachments><orgHasPersonAccounts>false</orgHasPersonAccounts><organizationId>{org_id}</organizationId><organizationMultiCurrency>false</organizationMultiCurrency><organizationName>{org_name}</organizationName><profileId>00e5g000000XyZaAAK</profileId><roleId xsi:nil="true"/><sessionSecondsValid>{secs}</sessionSecondsValid><userDefaultCurrencyIsoCode xsi:nil="true"/><userEmail>{email}</userEmail><userFullName>{full}</userFullName><userId>{user_id}</userId><userLanguage>en_US</userLanguage><userLocale>en_GB</userLocale><userName>{username}</userName><userTimeZone>Europe/London</userTimeZone><userType>Standard</userType><userUiSkin>Theme3</userUiSkin></userInfo></result></loginResponse></soapenv:Body></soapenv:Envelope>"#,
            expired = cfg.password_expired,
            secs = org.scenario.org.session_timeout_secs,
            email = e(&cfg.email),
            full = e(&format!("{} {}", cfg.first_name, cfg.last_name)),
            username = e(&cfg.username),
            org_name = e(&org.scenario.org.my_domain),
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elements_are_found_whatever_their_prefix() {
        let x = r#"<env:Body><n1:login xmlns:n1="urn:partner.soap.sforce.com"><n1:username>a@b.c</n1:username><n1:password>p&amp;w</n1:password></n1:login></env:Body>"#;
        assert_eq!(element(x, "username").as_deref(), Some("a@b.c"));
        assert_eq!(element(x, "password").as_deref(), Some("p&w"));
        assert_eq!(element(x, "nope"), None);
        assert_eq!(element("<<<>é<", "x"), None);
    }
}
