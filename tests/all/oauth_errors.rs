//! Every Salesforce OAuth error pair and REST error code collected in
//! `tests/fixtures/oauth_errors.json` (documented in `docs/oauth-errors.md`) lands on its finding,
//! in every wording variant; no well-formed pair is `UNEXPECTED_RESPONSE`. And the API-access
//! answers that Salesforce gives for a user without API Enabled are told apart only as far as
//! the evidence goes.

use std::time::Duration;

use sagediag::engine::Flow;
use sagediag::engine::classify::{self, ApiAccessEvidence};
use sagediag::engine::findings::{self, Finding};
use sagediag::engine::http::Response;
use serde_json::{Value, json};

fn fixture() -> Vec<Value> {
    let text = include_str!("../fixtures/oauth_errors.json");
    serde_json::from_str::<Value>(text)
        .expect("the fixture is JSON")
        .as_array()
        .expect("an array of rows")
        .clone()
}

fn flow(name: &str) -> Flow {
    match name {
        "web" => Flow::Web,
        "device" => Flow::Device,
        "jwt" => Flow::Jwt,
        "client-credentials" => Flow::ClientCredentials,
        "password" => Flow::Password,
        "refresh" => Flow::Refresh,
        "token" => Flow::Token,
        other => panic!("unknown flow {other}"),
    }
}

fn s<'a>(row: &'a Value, key: &str) -> &'a str {
    row[key].as_str().unwrap_or_default()
}

fn rest_response(status: u16, code: &str, message: &str) -> Response {
    Response {
        id: 7,
        status,
        headers: Default::default(),
        body: serde_json::to_vec(&json!([{ "message": message, "errorCode": code }])).unwrap(),
        duration: Duration::ZERO,
        held: Default::default(),
    }
}

#[test]
fn the_fixture_is_complete_and_sourced() {
    let rows = fixture();
    assert!(rows.len() >= 60, "{} rows", rows.len());
    for row in &rows {
        for key in ["kind", "error", "code", "cause", "source", "sure"] {
            assert!(!s(row, key).is_empty(), "{key} missing in {row}");
        }
        assert!(
            ["C", "L", "I"].contains(&s(row, "sure")),
            "sure is C, L or I: {row}"
        );
        // Every expected code is catalogued (and so documented in docs/troubleshooting.md).
        findings::Code::parse(s(row, "code")).unwrap_or_else(|| panic!("unknown code in {row}"));
    }
    // docs/oauth-errors.md has a line for each row.
    let doc = include_str!("../../docs/oauth-errors.md");
    for row in &rows {
        let error = s(row, "error");
        let description = s(row, "description");
        assert!(
            doc.lines().any(|l| l.contains(&format!("`{error}`"))
                && (description.is_empty() || l.contains(description))
                && l.contains(s(row, "code"))),
            "docs/oauth-errors.md lacks {error} / {description}"
        );
    }
}

#[test]
fn every_pair_and_every_wording_lands_on_its_finding() {
    let mut problems = Vec::new();
    for row in fixture().iter().filter(|r| s(r, "kind") == "oauth") {
        let error = s(row, "error");
        let want = s(row, "code");
        let mut descriptions = vec![s(row, "description").to_string()];
        descriptions.extend(
            row["variants"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_string),
        );
        for d in &descriptions {
            // The same pair, whatever the endpoint's flow: the code never depends on it, except
            // that a password-flow authentication failure adds its warning.
            for f in [flow(s(row, "flow")), Flow::Web] {
                let got = classify::oauth_error(error, d, f, vec![1]);
                let first = &got[0];
                if first.code.as_str() != want {
                    problems.push(format!(
                        "{error} / {d:?} ({f:?}): {} (want {want})",
                        first.code
                    ));
                }
                if got.iter().any(|f| f.code.as_str() == "UNEXPECTED_RESPONSE") {
                    problems.push(format!("{error} / {d:?}: UNEXPECTED_RESPONSE"));
                }
                // Salesforce's words are quoted.
                if !first.detail.contains(error) {
                    problems.push(format!("{error} / {d:?}: detail {:?}", first.detail));
                }
                assert_eq!(first.request_ids, [1]);
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn every_rest_error_lands_on_its_finding() {
    for row in fixture().iter().filter(|r| s(r, "kind") == "rest") {
        let status = row["status"].as_u64().unwrap() as u16;
        let f = classify::api_error(
            &rest_response(status, s(row, "error"), s(row, "description")),
            None,
        );
        assert_eq!(f.code.as_str(), s(row, "code"), "{row}");
        assert!(f.detail.contains(s(row, "error")), "{}", f.detail);
    }
}

#[test]
fn a_pair_never_seen_gets_its_family_and_flow() {
    let f = &classify::oauth_error("invalid_grant", "some+new+reason", Flow::Refresh, vec![])[0];
    assert_eq!(f.code.as_str(), "OAUTH_INVALID_GRANT_OTHER");
    assert!(f.detail.contains("some new reason"), "{}", f.detail);
    assert!(!f.fix.is_empty());
    let f = &classify::oauth_error("invalid_request", "something else", Flow::Web, vec![])[0];
    assert_eq!(f.code.as_str(), "OAUTH_INVALID_REQUEST");
    let f = &classify::oauth_error("brand_new_error", "a new description", Flow::Device, vec![])[0];
    assert_eq!(f.code.as_str(), "OAUTH_ERROR_OTHER");
    assert!(f.title.contains("device"), "{}", f.title);
    assert!(f.detail.contains("brand_new_error / a new description"));
    // The password flow's authentication failure keeps its companion warning, in any wording.
    let codes: Vec<_> = classify::oauth_error(
        "invalid_grant",
        "Authentication+Failure.",
        Flow::Password,
        vec![],
    )
    .iter()
    .map(|f| f.code.as_str())
    .collect();
    assert_eq!(
        codes,
        ["AUTHENTICATION_FAILURE", "USERNAME_PASSWORD_FLOW_BLOCKED"]
    );
    // A description with multi-byte characters is quoted whole, never cut inside a character.
    let long = "é".repeat(300);
    let f = &classify::oauth_error("invalid_grant", &long, Flow::Web, vec![])[0];
    assert!(f.detail.ends_with('…'));
}

fn refined(status: u16, code: &str, message: &str, ev: ApiAccessEvidence) -> Finding {
    classify::api_access(
        classify::api_error(&rest_response(status, code, message), None),
        &ev,
    )
}

const ORG_MSG: &str = "The REST API is not enabled for this Organization.";
const USER_MSG: &str = "API is disabled for this User";
const SESSION_MSG: &str = "This session is not valid for use with the REST API";

#[test]
fn api_disabled_for_org_names_both_candidates_until_one_is_confirmed() {
    let nothing = ApiAccessEvidence::default();
    let f = refined(403, "API_DISABLED_FOR_ORG", ORG_MSG, nothing);
    assert_eq!(f.code.as_str(), "API_DISABLED_FOR_ORG");
    assert!(
        f.title.contains("edition") && f.title.contains("API Enabled"),
        "{}",
        f.title
    );
    assert!(f.detail.contains("could not tell"), "{}", f.detail);
    assert!(f.fix.iter().any(|s| s.contains("Organization Edition")));
    assert!(f.fix.iter().any(|s| s.contains("API Enabled")));

    // The user's PermissionsApiEnabled read false: the user, confirmed.
    let f = refined(
        403,
        "API_DISABLED_FOR_ORG",
        ORG_MSG,
        ApiAccessEvidence {
            api_enabled: Some(false),
            ..nothing
        },
    );
    assert_eq!(f.code.as_str(), "API_DISABLED_FOR_USER");
    assert!(
        f.detail
            .contains("Confirmed by the PermissionSetAssignment query")
    );
    assert!(f.detail.contains(ORG_MSG), "Salesforce's words stay quoted");

    // The user has API Enabled: the org's side, confirmed.
    for ev in [
        ApiAccessEvidence {
            api_enabled: Some(true),
            ..nothing
        },
        ApiAccessEvidence {
            rest_worked: true,
            ..nothing
        },
    ] {
        let f = refined(403, "API_DISABLED_FOR_ORG", ORG_MSG, ev);
        assert_eq!(f.code.as_str(), "API_DISABLED_FOR_ORG");
        assert!(f.title.contains("the user has API Enabled"), "{}", f.title);
    }
}

#[test]
fn api_currently_disabled_is_the_user_when_salesforce_says_so() {
    let nothing = ApiAccessEvidence::default();
    for status in [403, 401] {
        let f = refined(status, "API_CURRENTLY_DISABLED", USER_MSG, nothing);
        assert_eq!(f.code.as_str(), "API_DISABLED_FOR_USER");
        assert_eq!(f.title, findings::Code::API_DISABLED_FOR_USER.info().title);
        assert!(f.detail.contains("names the user"), "{}", f.detail);
    }
    // Without the user's name, the code's older meaning (a temporary disablement) remains.
    let f = refined(
        403,
        "API_CURRENTLY_DISABLED",
        "API functionality is temporarily unavailable",
        nothing,
    );
    assert_eq!(f.code.as_str(), "API_DISABLED_FOR_USER");
    assert!(f.title.contains("temporary"), "{}", f.title);
    let f = refined(
        403,
        "API_CURRENTLY_DISABLED",
        "",
        ApiAccessEvidence {
            api_enabled: Some(true),
            ..nothing
        },
    );
    assert!(
        f.title.contains("although the user has API Enabled"),
        "{}",
        f.title
    );
}

#[test]
fn a_401_on_a_live_session_is_api_access_not_an_expired_token() {
    let nothing = ApiAccessEvidence::default();
    // Nothing known: an expired or invalid session, as before.
    let f = refined(
        401,
        "INVALID_SESSION_ID",
        "Session expired or invalid",
        nothing,
    );
    assert_eq!(f.code.as_str(), "SESSION_INVALID");
    // The identity URL took the same token, and it has the api scope: not an expired session.
    let live = ApiAccessEvidence {
        session_valid: Some(true),
        api_scope: Some(true),
        ..nothing
    };
    let f = refined(401, "INVALID_SESSION_ID", SESSION_MSG, live);
    assert_eq!(f.code.as_str(), "API_DISABLED_FOR_USER");
    assert!(f.title.contains("API Access Control"), "{}", f.title);
    assert!(f.detail.contains("has not expired") && f.detail.contains(SESSION_MSG));
    let f = refined(
        401,
        "INVALID_SESSION_ID",
        SESSION_MSG,
        ApiAccessEvidence {
            api_enabled: Some(false),
            ..live
        },
    );
    assert_eq!(f.code.as_str(), "API_DISABLED_FOR_USER");
    assert!(f.detail.contains("Confirmed"), "{}", f.detail);
    // The user has API Enabled, or the api scope is missing: other causes, kept as they were.
    for ev in [
        ApiAccessEvidence {
            api_enabled: Some(true),
            ..live
        },
        ApiAccessEvidence {
            api_scope: Some(false),
            ..live
        },
    ] {
        assert_eq!(
            refined(401, "INVALID_SESSION_ID", SESSION_MSG, ev)
                .code
                .as_str(),
            "SESSION_INVALID"
        );
    }
    // The scope message keeps its own finding.
    let f = refined(
        401,
        "INVALID_SESSION_ID",
        "This session is not valid for use with the specified REST API endpoint. One of the following scopes is required: Manage user data via APIs, Full access",
        live,
    );
    assert_eq!(f.code.as_str(), "API_SCOPE_MISSING");
}

#[test]
fn missing_code_challenge_is_read_in_every_encoding_and_place() {
    let forms = [
        // A callback or error page URL, form-encoded or percent-encoded.
        "http://localhost:1717/callback?error=invalid_request&error_description=missing+required+code+challenge&state=s",
        "https://acme.my.salesforce.com/setup/secur/RemoteAccessErrorPage.apexp?error=invalid_request&error_description=missing%20required%20code%20challenge",
        // Page text, with literal spaces, in markup or on its own line.
        "<p>error=invalid_request&error_description=missing required code challenge</p>",
        "error=invalid_request&error_description=Missing required code challenge.\nmore text",
        "error=invalid_request&error_description=MISSING+REQUIRED+CODE+CHALLENGE",
    ];
    for text in forms {
        let (e, d) = classify::page_pair(text).unwrap_or_else(|| panic!("no pair in {text}"));
        assert_eq!(e, "invalid_request", "{text}");
        let f = &classify::oauth_error(&e, &d, Flow::Web, vec![1])[0];
        assert_eq!(f.code.as_str(), "PKCE_REQUIRED", "{text}: {d:?}");
        let landed = classify::authorize_landing("the error page", text, Flow::Web, vec![1]);
        assert_eq!(landed[0].code.as_str(), "PKCE_REQUIRED", "{text}");
        assert!(landed[0].detail.contains("the error page"));
    }
}

#[test]
fn salesforce_error_pages_name_their_finding() {
    // The page's own text (no query): its OAUTH_ code and words.
    let page = "<h1>OAuth Error</h1><p>We can't authorize you because of an OAuth error.</p><p>OAUTH_APPROVAL_ERROR_GENERIC : An unexpected error has occured during authentication. Please try again.</p>";
    let f = &classify::authorize_landing("p", page, Flow::Web, vec![2])[0];
    assert_eq!(f.code.as_str(), "APP_NOT_INSTALLED");
    let f =
        &classify::authorize_landing("p", "Remote_Error: OAUTH_APP_BLOCKED", Flow::Web, vec![2])[0];
    assert_eq!(f.code.as_str(), "APP_BLOCKED");
    let f = &classify::authorize_landing(
        "p",
        "/setup/secur/RemoteAccessErrorPage.apexp?error=OAUTH_EC_APP_NOT_FOUND",
        Flow::Web,
        vec![2],
    )[0];
    assert_eq!(f.code.as_str(), "ECA_NOT_FOUND");
    // An error sagediag has no specific finding for: the page itself, quoting it.
    let f = &classify::authorize_landing(
        "p",
        "RemoteAccessErrorPage.apexp?error=OAUTH_APP_ACCESS_DENIED",
        Flow::Web,
        vec![2],
    )[0];
    assert_eq!(f.code.as_str(), "AUTHORIZE_ERROR_PAGE");
    assert!(f.title.contains("OAUTH_APP_ACCESS_DENIED"), "{}", f.title);
    // A page with no error at all.
    let f = &classify::authorize_landing("p", "<html>Hello</html>", Flow::Web, vec![2])[0];
    assert_eq!(f.code.as_str(), "AUTHORIZE_ERROR_PAGE");
    assert!(classify::is_error_landing(
        "https://x.my.salesforce.com/setup/secur/RemoteAccessErrorPage.apexp"
    ));
    assert!(!classify::is_error_landing(
        "https://login.salesforce.com/?ec=302&startURL=%2Fsetup%2Fsecur%2FRemoteAccessAuthorizationPage.apexp"
    ));
}

fn redirect_response(status: u16, location: &str) -> Response {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("location", location.parse().unwrap());
    Response {
        id: 9,
        status,
        headers,
        body: Vec::new(),
        duration: Duration::ZERO,
        held: Default::default(),
    }
}

#[test]
fn a_redirect_names_the_salesforce_host_to_use_and_nothing_else() {
    for status in [301, 302, 307, 308] {
        let f = classify::redirect(&redirect_response(
            status,
            "https://acme-hr.my.salesforce.com/services/oauth2/token?x=SECRETISH",
        ))
        .unwrap();
        assert_eq!(f.code.as_str(), "LEGACY_HOST_REDIRECT");
        assert!(
            f.title.contains("https://acme-hr.my.salesforce.com"),
            "{}",
            f.title
        );
        assert!(!f.detail.contains("SECRETISH") && !f.title.contains("SECRETISH"));
        // REST and identity calls read the same way.
        let g = classify::api_error(
            &redirect_response(status, "https://acme-hr.my.salesforce.com/x"),
            None,
        );
        assert_eq!(g.code.as_str(), "LEGACY_HOST_REDIRECT");
    }
    // Not a Salesforce host, or not https: never named as the host to use.
    for loc in [
        "https://evil.example/services/oauth2/token",
        "http://acme.my.salesforce.com/x",
        "https://salesforce.com.evil.example/x",
        "/services/oauth2/token",
    ] {
        let f = classify::redirect(&redirect_response(301, loc)).unwrap();
        assert_eq!(f.code.as_str(), "UNEXPECTED_RESPONSE", "{loc}");
    }
    assert!(classify::redirect(&redirect_response(200, "https://a.my.salesforce.com/")).is_none());
}

#[test]
fn a_refused_authorization_header_is_never_api_access() {
    for (code, msg) in [
        ("INVALID_AUTH_HEADER", "INVALID_HEADER_TYPE"),
        ("INVALID_HEADER_TYPE", ""),
    ] {
        let live = ApiAccessEvidence {
            session_valid: Some(true),
            api_scope: Some(true),
            ..Default::default()
        };
        let f = refined(401, code, msg, live);
        assert_eq!(f.code.as_str(), "AUTH_HEADER_REFUSED", "{code}");
        assert!(f.fix.iter().any(|s| s.contains("proxy")));
    }
}

#[test]
fn an_external_client_app_never_gets_connected_app_words() {
    use sagediag::engine::app::{self, AppKind};
    // Findings that only exist for a connected app.
    let only_ca = ["CONNECTED_APP_LEGACY"];
    let mut problems = Vec::new();
    for code in findings::Code::ALL {
        if only_ca.contains(&code.as_str()) {
            continue;
        }
        let f = app::adapt(
            AppKind::ExternalClientApp,
            None,
            false,
            Finding::new(*code, "seen", vec![]),
        );
        for text in std::iter::once(&f.title).chain(f.fix.iter()) {
            let lower = text.to_lowercase();
            if lower.contains("connectedapp") || lower.contains("connected app") {
                problems.push(format!("{code} (as {}): {text}", f.code));
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
    // The same finding worded back for a connected app.
    let f = app::adapt(
        AppKind::ConnectedApp,
        None,
        false,
        app::adapt(
            AppKind::ExternalClientApp,
            None,
            false,
            Finding::new(findings::Code::PKCE_REQUIRED, "seen", vec![]),
        ),
    );
    assert_eq!(f.title, findings::Code::PKCE_REQUIRED.info().title);
}

#[test]
fn every_page_form_lands_on_its_finding() {
    let rows: Vec<Value> = fixture()
        .into_iter()
        .filter(|r| s(r, "kind") == "page")
        .collect();
    assert!(rows.len() >= 3);
    for row in &rows {
        let texts = row["variants"].as_array().unwrap();
        assert!(!texts.is_empty(), "{row}");
        for text in texts.iter().filter_map(Value::as_str) {
            let got = classify::authorize_landing("the page", text, Flow::Web, vec![1]);
            assert_eq!(got[0].code.as_str(), s(row, "code"), "{text}");
        }
    }
}
