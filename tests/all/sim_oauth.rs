//! The simulated org's OAuth endpoints over real HTTP: every grant, every error pair.

use crate::common::*;
use reqwest::StatusCode;
use sagediag::sim::Scenario;
use sagediag::sim::crypto;
use serde_json::{Value, json};

fn pair(body: &Value) -> (&str, &str) {
    (
        body["error"].as_str().unwrap_or("<none>"),
        body["error_description"].as_str().unwrap_or(""),
    )
}

#[tokio::test]
async fn web_server_flow_with_pkce_returns_a_salesforce_shaped_token() {
    let sim = start("healthy").await;
    let verifier = crypto::random_token(96);
    let q = sim
        .authorize_redirect(&[
            ("code_challenge", &crypto::pkce_challenge(&verifier)),
            ("code_challenge_method", "S256"),
        ])
        .await;
    assert_eq!(q["state"], "st4te");
    let secret = sim.secret();
    let (status, body, headers) = sim
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &q["code"]),
            ("client_id", sim.client_id()),
            ("client_secret", &secret),
            ("redirect_uri", CALLBACK),
            ("code_verifier", &verifier),
        ])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["cache-control"], "no-store");
    let access = body["access_token"].as_str().unwrap();
    assert!(access.starts_with("00D5g000004XyZa!"), "{access}");
    assert!(body["refresh_token"].as_str().unwrap().starts_with("5Aep8"));
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["instance_url"], sim.instance());
    assert!(
        body.get("expires_in").is_none(),
        "Salesforce sends no expires_in"
    );
    let issued_at = body["issued_at"].as_str().unwrap();
    assert!(
        issued_at.len() == 13 && issued_at.bytes().all(|b| b.is_ascii_digit()),
        "ms: {issued_at}"
    );
    let id = body["id"].as_str().unwrap();
    assert!(
        id.starts_with(&format!("{}/id/00D5g000004XyZaEAK/005", sim.login())),
        "{id}"
    );
    // signature = base64(HMAC-SHA256(secret, id + issued_at))
    assert_eq!(
        body["signature"],
        crypto::token_signature(&secret, id, issued_at)
    );
    assert_ne!(
        body["signature"],
        crypto::token_signature("wrong", id, issued_at)
    );
    assert!(
        body["scope"]
            .as_str()
            .unwrap()
            .split(' ')
            .any(|s| s == "api")
    );
}

#[tokio::test]
async fn pkce_challenge_without_method_is_s256_and_bad_verifiers_are_refused() {
    let sim = start("healthy").await;
    let secret = sim.secret();
    let verifier = "a".repeat(43) + "-._";
    for (sent, expect_ok) in [
        (verifier.clone(), true),
        ("wrong-verifier-0123456789012345678901234567".into(), false),
        (String::new(), false),
    ] {
        let q = sim
            .authorize_redirect(&[("code_challenge", &crypto::pkce_challenge(&verifier))])
            .await;
        let (status, body, _) = sim
            .token(&[
                ("grant_type", "authorization_code"),
                ("code", &q["code"]),
                ("client_id", sim.client_id()),
                ("client_secret", &secret),
                ("redirect_uri", CALLBACK),
                ("code_verifier", &sent),
            ])
            .await;
        if expect_ok {
            assert_eq!(status, StatusCode::OK, "{body}");
        } else {
            assert_eq!(status, StatusCode::BAD_REQUEST);
            assert_eq!(pair(&body), ("invalid_grant", "invalid code verifier"));
        }
    }
    // A verifier with `~` is refused even when it matches.
    let tilde = "abc~".repeat(12);
    let q = sim
        .authorize_redirect(&[("code_challenge", &crypto::pkce_challenge(&tilde))])
        .await;
    let (_, body, _) = sim
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &q["code"]),
            ("client_id", sim.client_id()),
            ("client_secret", &secret),
            ("redirect_uri", CALLBACK),
            ("code_verifier", &tilde),
        ])
        .await;
    assert_eq!(pair(&body), ("invalid_grant", "invalid code verifier"));
    // Only S256.
    let resp = sim
        .authorize(&[
            ("code_challenge", "abc"),
            ("code_challenge_method", "plain"),
        ])
        .await;
    assert!(
        resp.headers()["location"]
            .to_str()
            .unwrap()
            .contains("error=invalid_request")
    );
}

#[tokio::test]
async fn authorize_errors_match_salesforce() {
    let sim = start("healthy").await;
    // Unknown consumer key: a 400 page, no redirect.
    let resp = sim.authorize(&[("client_id", "3MVG9nope")]).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(resp.headers().get("location").is_none());
    assert_eq!(
        resp.text().await.unwrap(),
        "error=invalid_client_id&error_description=client%20identifier%20invalid"
    );
    // Callback not registered: the mismatch page.
    let resp = sim
        .authorize(&[("redirect_uri", "https://evil.example/cb")])
        .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(resp.text().await.unwrap().contains(
        "error=redirect_uri_mismatch&error_description=redirect_uri%20must%20match%20configuration"
    ));
    // Trailing slash is a different URL.
    let resp = sim
        .authorize(&[("redirect_uri", "http://localhost:1717/OauthRedirect/")])
        .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    // A scope the app lacks: Salesforce's own error page, never the callback.
    let resp = sim.authorize(&[("scope", "api chatter_api")]).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(resp.headers().get("location").is_none());
    assert_eq!(
        resp.text().await.unwrap(),
        "error=invalid_scope&error_description=the%20requested%20scope%20is%20not%20allowed"
    );
    // No login_hint: a login page a person can use.
    let resp = sim.authorize(&[("login_hint", "")]).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let page = resp.text().await.unwrap();
    assert!(page.contains("<form") && page.contains("name=\"pw\""));
}

#[tokio::test]
async fn login_page_post_logs_in_or_denies() {
    let sim = start("healthy").await;
    let form = |action: &'static str, pw: &'static str| {
        vec![
            ("response_type", "code".to_string()),
            ("client_id", sim.client_id().to_string()),
            ("redirect_uri", CALLBACK.to_string()),
            ("state", "s".to_string()),
            ("username", sim.username().to_string()),
            ("pw", pw.to_string()),
            ("action", action.to_string()),
        ]
    };
    let url = format!("{}/services/oauth2/authorize", sim.login());
    let resp = sim
        .http
        .post(&url)
        .form(&form("allow", "Demo-Passw0rd!"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FOUND);
    assert!(query_of(resp.headers()["location"].to_str().unwrap()).contains_key("code"));
    let resp = sim
        .http
        .post(&url)
        .form(&form("deny", "Demo-Passw0rd!"))
        .send()
        .await
        .unwrap();
    let q = query_of(resp.headers()["location"].to_str().unwrap());
    assert_eq!(q["error"], "access_denied");
    assert_eq!(q["state"], "s");
    let resp = sim
        .http
        .post(&url)
        .form(&form("allow", "bad"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("Please check your username and password")
    );
}

#[tokio::test]
async fn pkce_required_redirects_with_missing_required_code_challenge() {
    let sim = start("pkce-required").await;
    let resp = sim.authorize(&[]).await;
    assert_eq!(resp.status(), StatusCode::FOUND);
    let location = resp.headers()["location"].to_str().unwrap();
    assert!(
        location.starts_with(&format!(
            "{CALLBACK}?error=invalid_request&error_description=missing+required+code+challenge"
        )),
        "{location}"
    );
    assert!(location.ends_with("&state=st4te"));
    // With a challenge it works.
    assert!(sim.web_login().await["access_token"].is_string());
}

#[tokio::test]
async fn code_exchange_errors() {
    let sim = start("healthy").await;
    let secret = sim.secret();
    let exchange = |code: String, redirect: &'static str, secret: Option<String>| {
        let sim = &sim;
        async move {
            let mut form = vec![
                ("grant_type", "authorization_code".to_string()),
                ("code", code),
                ("client_id", sim.client_id().to_string()),
                ("redirect_uri", redirect.to_string()),
            ];
            if let Some(s) = secret {
                form.push(("client_secret", s));
            }
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            sim.token(&form).await
        }
    };
    let code = sim.authorize_redirect(&[]).await["code"].clone();
    let (_, body, _) = exchange(code.clone(), CALLBACK, Some("not-the-secret".into())).await;
    assert_eq!(
        pair(&body),
        ("invalid_client", "invalid client credentials")
    );
    let (_, body, _) = exchange(code.clone(), CALLBACK, None).await;
    assert_eq!(
        pair(&body),
        ("invalid_client", "invalid client credentials")
    );
    let (_, body, _) = exchange(
        code.clone(),
        "https://api.nango.dev/oauth/callback",
        Some(secret.clone()),
    )
    .await;
    assert_eq!(
        pair(&body),
        (
            "redirect_uri_mismatch",
            "redirect_uri must match configuration"
        )
    );
    // Codes are single-use: the second exchange of a good code is refused.
    let (status, _, _) = exchange(code.clone(), CALLBACK, Some(secret.clone())).await;
    assert_eq!(status, StatusCode::OK);
    let (_, body, _) = exchange(code, CALLBACK, Some(secret.clone())).await;
    assert_eq!(pair(&body), ("invalid_grant", "expired authorization code"));
    let (status, body, headers) =
        exchange("aPrxNotACode".into(), CALLBACK, Some(secret.clone())).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(pair(&body), ("invalid_grant", "invalid authorization code"));
    // Codes expire after 15 minutes.
    let code = sim.authorize_redirect(&[]).await["code"].clone();
    sim.advance_clock(16 * 60).await;
    let (_, body, _) = exchange(code, CALLBACK, Some(secret.clone())).await;
    assert_eq!(pair(&body), ("invalid_grant", "expired authorization code"));
    // Wrong consumer key at the token endpoint.
    let (_, body, _) = sim
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", "x"),
            ("client_id", "3MVG9nope"),
        ])
        .await;
    assert_eq!(
        pair(&body),
        ("invalid_client_id", "client identifier invalid")
    );
}

#[tokio::test]
async fn secret_optional_when_require_secret_is_off() {
    let mut sc = Scenario::load("healthy").unwrap();
    sc.app.require_secret_web_server = false;
    let sim = start_with(sc).await;
    let code = sim.authorize_redirect(&[]).await["code"].clone();
    let (status, body, _) = sim
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("client_id", sim.client_id()),
            ("redirect_uri", CALLBACK),
        ])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn grant_type_errors() {
    let sim = start("healthy").await;
    let (_, body, _) = sim.token(&[("client_id", sim.client_id())]).await;
    assert_eq!(pair(&body), ("invalid_request", "grant type is missing"));
    let (_, body, _) = sim
        .token(&[("grant_type", "magic"), ("client_id", sim.client_id())])
        .await;
    assert_eq!(
        pair(&body),
        ("unsupported_grant_type", "grant type not supported")
    );
    // A JSON body is not read.
    let resp = sim
        .http
        .post(format!("{}/services/oauth2/token", sim.login()))
        .json(&json!({"grant_type": "password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        pair(&resp.json::<Value>().await.unwrap()),
        ("unsupported_grant_type", "grant type not supported")
    );
}

#[tokio::test]
async fn refresh_grant_and_policies() {
    let sim = start("healthy").await;
    let login = sim.web_login().await;
    let refresh = login["refresh_token"].as_str().unwrap();
    let secret = sim.secret();
    let form = |secret: &str| {
        vec![
            ("grant_type", "refresh_token".to_string()),
            ("refresh_token", refresh.to_string()),
            ("client_id", sim.client_id().to_string()),
            ("client_secret", secret.to_string()),
        ]
    };
    let f = form(&secret);
    let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, body, _) = sim.token(&f).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.get("refresh_token").is_none(),
        "no rotation: no new refresh token"
    );
    assert_ne!(body["access_token"], login["access_token"]);
    let f2 = form("");
    let f2: Vec<(&str, &str)> = f2.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (_, body, _) = sim.token(&f2).await;
    assert_eq!(
        pair(&body),
        ("invalid_client", "invalid client credentials"),
        "Require Secret for Refresh Token Flow"
    );

    let sim = start("refresh-expires-immediately").await;
    let login = sim.web_login().await;
    let (_, body, _) = sim
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", login["refresh_token"].as_str().unwrap()),
            ("client_id", sim.client_id()),
            ("client_secret", &sim.secret()),
        ])
        .await;
    assert_eq!(
        pair(&body),
        ("invalid_grant", "expired access/refresh token")
    );

    let mut sc = Scenario::load("healthy").unwrap();
    sc.app.refresh_token_policy = sagediag::sim::scenario::RefreshPolicy::ExpireIfUnused;
    sc.app.refresh_token_validity_hours = 1;
    let sim = start_with(sc).await;
    let login = sim.web_login().await;
    sim.advance_clock(2 * 3600).await;
    let (_, body, _) = sim
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", login["refresh_token"].as_str().unwrap()),
            ("client_id", sim.client_id()),
            ("client_secret", &sim.secret()),
        ])
        .await;
    assert_eq!(
        pair(&body),
        ("invalid_grant", "expired access/refresh token")
    );
}

#[tokio::test]
async fn refresh_rotation_retires_old_tokens_and_reuse_revokes_the_family() {
    let sim = start("refresh-rotation").await;
    let login = sim.web_login().await;
    let secret = sim.secret();
    let r0 = login["refresh_token"].as_str().unwrap().to_string();
    let refresh = |t: String| {
        let sim = &sim;
        let secret = secret.clone();
        async move {
            sim.token(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", &t),
                ("client_id", sim.client_id()),
                ("client_secret", &secret),
            ])
            .await
        }
    };
    let (status, b1, _) = refresh(r0.clone()).await;
    assert_eq!(status, StatusCode::OK);
    let r1 = b1["refresh_token"]
        .as_str()
        .expect("rotation returns a new refresh token")
        .to_string();
    assert_ne!(r0, r1);
    let a1 = b1["access_token"].as_str().unwrap().to_string();
    assert_eq!(
        sim.get(&a1, "/services/data/v67.0/limits").await.status(),
        StatusCode::OK
    );
    // Reusing the retired token fails and revokes the current one and its access tokens.
    let (_, body, _) = refresh(r0).await;
    assert_eq!(
        pair(&body),
        ("invalid_grant", "expired access/refresh token")
    );
    let (_, body, _) = refresh(r1).await;
    assert_eq!(
        pair(&body),
        ("invalid_grant", "expired access/refresh token")
    );
    assert_eq!(
        sim.get(&a1, "/services/data/v67.0/limits").await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn no_refresh_scope_means_no_refresh_token() {
    let sim = start("no-refresh-scope").await;
    let login = sim.web_login().await;
    assert!(login.get("refresh_token").is_none());
    assert!(!login["scope"].as_str().unwrap().contains("refresh_token"));
    // Asking for it is refused as a scope the app does not have.
    let resp = sim.authorize(&[("scope", "api refresh_token")]).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let q = query_of(&resp.text().await.unwrap());
    assert_eq!(q["error"], "invalid_scope");
    assert_eq!(q["error_description"], "the requested scope is not allowed");
}

#[tokio::test]
async fn password_grant() {
    let sim = start("healthy").await;
    let secret = sim.secret();
    let pw = |p: &str| {
        let sim = &sim;
        let secret = secret.clone();
        let p = p.to_string();
        async move {
            sim.token(&[
                ("grant_type", "password"),
                ("client_id", sim.client_id()),
                ("client_secret", &secret),
                ("username", sim.username()),
                ("password", &p),
            ])
            .await
        }
    };
    let (status, body, _) = pw("Demo-Passw0rd!").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.get("refresh_token").is_none());
    let (_, body, _) = pw("nope").await;
    assert_eq!(pair(&body), ("invalid_grant", "authentication failure"));

    let sim = start("username-password-disabled").await;
    let (_, body, _) = sim
        .token(&[
            ("grant_type", "password"),
            ("client_id", sim.client_id()),
            ("client_secret", &sim.secret()),
            ("username", sim.username()),
            ("password", "Demo-Passw0rd!"),
        ])
        .await;
    assert_eq!(pair(&body), ("invalid_grant", "authentication failure"));

    let mut sc = Scenario::load("healthy").unwrap();
    sc.users[0].security_token = Some("TOKEN123".into());
    let sim = start_with(sc).await;
    let (status, _, _) = sim
        .token(&[
            ("grant_type", "password"),
            ("client_id", sim.client_id()),
            ("client_secret", &sim.secret()),
            ("username", sim.username()),
            ("password", "Demo-Passw0rd!TOKEN123"),
        ])
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn client_credentials_only_on_my_domain_and_with_a_run_as_user() {
    let sim = start("healthy").await;
    let secret = sim.secret();
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", sim.client_id()),
        ("client_secret", secret.as_str()),
    ];
    let (_, body, _) = sim.token_at(sim.login(), &form).await;
    assert_eq!(
        pair(&body),
        ("invalid_grant", "request not supported on this domain")
    );
    let (status, body, _) = sim.token_at(sim.instance(), &form).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.get("refresh_token").is_none());

    let sim = start("client-credentials-no-run-as-user").await;
    let secret = sim.secret();
    let (_, body, _) = sim
        .token_at(
            sim.instance(),
            &[
                ("grant_type", "client_credentials"),
                ("client_id", sim.client_id()),
                ("client_secret", &secret),
            ],
        )
        .await;
    assert_eq!(
        pair(&body),
        ("invalid_grant", "no client credentials user enabled")
    );

    let mut sc = Scenario::load("healthy").unwrap();
    sc.app.client_credentials_flow = false;
    let sim = start_with(sc).await;
    let secret = sim.secret();
    let (_, body, _) = sim
        .token_at(
            sim.instance(),
            &[
                ("grant_type", "client_credentials"),
                ("client_id", sim.client_id()),
                ("client_secret", &secret),
            ],
        )
        .await;
    assert_eq!(
        pair(&body),
        ("unsupported_grant_type", "grant type not supported")
    );
}

#[tokio::test]
async fn jwt_bearer_checks_signature_iss_sub_aud_exp_and_approval() {
    let mut sc = Scenario::load("healthy").unwrap();
    sc.app.permitted_users = sagediag::sim::scenario::PermittedUsers::AdminApproved;
    let sim = start_with(sc).await;
    let grant = |assertion: String| {
        let sim = &sim;
        async move {
            sim.token(&[
                ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                ("assertion", &assertion),
            ])
            .await
        }
    };
    let claims = |aud: &str, exp: u64| json!({"iss": sim.client_id(), "sub": sim.username(), "aud": aud, "exp": exp});
    let (status, body, _) = grant(jwt(
        claims("https://login.salesforce.com", now_secs() + 180),
        DEMO_KEY,
    ))
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.get("refresh_token").is_none());
    let (_, body, _) = grant(jwt(
        claims("https://test.salesforce.com", now_secs() + 180),
        DEMO_KEY,
    ))
    .await;
    assert_eq!(pair(&body), ("invalid_grant", "audience is invalid"));
    let (_, body, _) = grant(jwt(
        claims("https://login.salesforce.com", now_secs() - 10),
        DEMO_KEY,
    ))
    .await;
    assert_eq!(pair(&body), ("invalid_grant", "expired authorization code"));
    let (_, body, _) = grant(jwt(
        claims("https://login.salesforce.com", now_secs() + 180),
        &other_key_pem(),
    ))
    .await;
    assert_eq!(pair(&body), ("invalid_grant", "invalid assertion"));
    let (_, body, _) = grant("not.a.jwt".into()).await;
    assert_eq!(pair(&body), ("invalid_grant", "invalid assertion"));
    let bad_iss = json!({"iss": "3MVG9other", "sub": sim.username(), "aud": "https://login.salesforce.com", "exp": now_secs() + 60});
    let (_, body, _) = grant(jwt(bad_iss, DEMO_KEY)).await;
    assert_eq!(
        pair(&body),
        ("invalid_client_id", "client identifier invalid")
    );

    // Self-authorizing app: JWT works only after the user approved the app once.
    let sim = start("healthy").await;
    let claims = json!({"iss": sim.client_id(), "sub": sim.username(), "aud": sim.login(), "exp": now_secs() + 60});
    let form = |a: String| {
        vec![
            (
                "grant_type".to_string(),
                "urn:ietf:params:oauth:grant-type:jwt-bearer".to_string(),
            ),
            ("assertion".to_string(), a),
        ]
    };
    let f = form(jwt(claims.clone(), DEMO_KEY));
    let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (_, body, _) = sim.token(&f).await;
    assert_eq!(
        pair(&body),
        ("invalid_grant", "user hasn't approved this consumer")
    );
    sim.web_login().await;
    let (status, _, _) = sim.token(&f).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn device_flow_pending_slow_down_and_approval() {
    let mut sc = Scenario::load("healthy").unwrap();
    sc.org.device_auto_approve_after_polls = 0;
    sc.org.device_interval_secs = 5;
    let sim = start_with(sc).await;
    let (status, start, _) = sim
        .token(&[
            ("response_type", "device_code"),
            ("client_id", sim.client_id()),
            ("scope", "api refresh_token"),
        ])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(start["interval"], 5);
    assert_eq!(
        start["verification_uri"],
        format!("{}/setup/connect", sim.login())
    );
    let device_code = start["device_code"].as_str().unwrap().to_string();
    let poll = || {
        let sim = &sim;
        let device_code = device_code.clone();
        async move {
            sim.token(&[
                ("grant_type", "device"),
                ("client_id", sim.client_id()),
                ("code", &device_code),
            ])
            .await
        }
    };
    let (status, body, _) = poll().await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "authorization_pending");
    let (_, body, _) = poll().await;
    assert_eq!(body["error"], "slow_down");
    // A person approves at /setup/connect.
    let page = sim
        .http
        .post(format!("{}/setup/connect", sim.login()))
        .form(&[
            ("user_code", start["user_code"].as_str().unwrap()),
            ("username", sim.username()),
            ("pw", "Demo-Passw0rd!"),
            ("action", "allow"),
        ])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Access granted"));
    sim.advance_clock(6).await;
    let (status, body, _) = poll().await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["refresh_token"].is_string());
    let (_, body, _) = poll().await;
    assert_eq!(body["error"], "invalid_grant", "a device code is used once");

    // The demo's auto-approval after a number of polls.
    let mut sc = Scenario::load("healthy").unwrap();
    sc.org.device_interval_secs = 0;
    let sim = start_with(sc).await;
    let (_, start, _) = sim
        .token(&[
            ("response_type", "device_code"),
            ("client_id", sim.client_id()),
        ])
        .await;
    let code = start["device_code"].as_str().unwrap();
    let mut errors = Vec::new();
    let token = loop {
        let (status, body, _) = sim
            .token(&[
                ("grant_type", "device"),
                ("client_id", sim.client_id()),
                ("code", code),
            ])
            .await;
        if status == StatusCode::OK {
            break body;
        }
        errors.push(body["error"].as_str().unwrap().to_string());
        assert!(errors.len() < 10);
    };
    assert_eq!(errors, ["authorization_pending", "authorization_pending"]);
    assert!(token["access_token"].is_string());
}

#[tokio::test]
async fn user_and_app_policy_errors() {
    let sim = start("admin-approval-required").await;
    let q = sim.authorize_redirect(&[]).await;
    let (_, body, _) = sim
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &q["code"]),
            ("client_id", sim.client_id()),
            ("client_secret", &sim.secret()),
            ("redirect_uri", CALLBACK),
        ])
        .await;
    assert_eq!(
        pair(&body),
        (
            "invalid_app_access",
            "user is not admin approved to access this app"
        )
    );

    let sim = start("app-not-installed").await;
    let resp = sim.authorize(&[]).await;
    let location = resp.headers()["location"].to_str().unwrap();
    assert!(
        location.contains("error=invalid_client&error_description=app+must+be+installed+into+org"),
        "{location}"
    );

    let mut sc = Scenario::load("healthy").unwrap();
    sc.users[0].ip_restricted = true;
    let sim = start_with(sc).await;
    let (_, body, _) = sim
        .token(&[
            ("grant_type", "password"),
            ("client_id", sim.client_id()),
            ("client_secret", &sim.secret()),
            ("username", sim.username()),
            ("password", "Demo-Passw0rd!"),
        ])
        .await;
    assert_eq!(pair(&body), ("invalid_grant", "ip restricted"));

    let mut sc = Scenario::load("healthy").unwrap();
    sc.org.login_rate_per_hour = 2;
    let sim = start_with(sc).await;
    let secret = sim.secret();
    let mut last = Value::Null;
    for _ in 0..3 {
        last = sim
            .token(&[
                ("grant_type", "password"),
                ("client_id", sim.client_id()),
                ("client_secret", &secret),
                ("username", sim.username()),
                ("password", "Demo-Passw0rd!"),
            ])
            .await
            .1;
    }
    assert_eq!(pair(&last), ("invalid_grant", "login rate exceeded"));

    let mut sc = Scenario::load("healthy").unwrap();
    sc.users[0].denies_consent = true;
    let sim = start_with(sc).await;
    let q = sim.authorize_redirect(&[]).await;
    assert_eq!(q["error"], "access_denied");
}

#[tokio::test]
async fn revoke_expiry_introspection_identity() {
    let sim = start("healthy").await;
    let login = sim.web_login().await;
    let access = login["access_token"].as_str().unwrap();
    let refresh = login["refresh_token"].as_str().unwrap();
    let secret = sim.secret();

    let introspect = |token: &str| {
        let sim = &sim;
        let secret = secret.clone();
        let token = token.to_string();
        async move {
            sim.http
                .post(format!("{}/services/oauth2/introspect", sim.login()))
                .form(&[
                    ("token", token.as_str()),
                    ("token_type_hint", "access_token"),
                    ("client_id", sim.client_id()),
                    ("client_secret", &secret),
                ])
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let info = introspect(access).await;
    assert_eq!(info["active"], true);
    assert_eq!(info["username"], sim.username());
    assert!(info["exp"].as_u64().unwrap() > now_secs() + 7000);

    let who = sim
        .get(access, "/services/oauth2/userinfo")
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(who["preferred_username"], sim.username());
    let id = sim
        .http
        .get(login["id"].as_str().unwrap())
        .bearer_auth(access)
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(id["username"], sim.username());
    assert!(id["urls"]["rest"].as_str().unwrap().contains("{version}"));
    let wk = sim
        .http
        .get(format!("{}/.well-known/openid-configuration", sim.login()))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(
        wk["token_endpoint"],
        format!("{}/services/oauth2/token", sim.login())
    );

    // Revoking the refresh token revokes its access tokens.
    let resp = sim
        .http
        .post(format!("{}/services/oauth2/revoke", sim.login()))
        .form(&[("token", refresh)])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = sim.get(access, "/services/data/v67.0/limits").await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        resp.json::<Value>().await.unwrap(),
        json!([{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}])
    );
    assert_eq!(introspect(access).await, json!({"active": false}));
    let resp = sim
        .http
        .post(format!("{}/services/oauth2/revoke", sim.login()))
        .form(&[("token", "nope")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    // Form-encoded, not JSON.
    assert_eq!(
        resp.headers()["content-type"],
        "application/x-www-form-urlencoded"
    );
    assert_eq!(
        resp.text().await.unwrap(),
        "error=invalid_token&error_description=invalid%20token"
    );

    // Access tokens revoked by GET ?token= too, and they expire after the session timeout.
    let a2 = sim.access_token().await;
    let resp = sim
        .http
        .get(format!("{}/services/oauth2/revoke?token={a2}", sim.login()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        sim.get(&a2, "/services/data/v67.0/limits").await.status(),
        StatusCode::UNAUTHORIZED
    );
    let a3 = sim.access_token().await;
    assert_eq!(
        sim.get(&a3, "/services/data/v67.0/limits").await.status(),
        StatusCode::OK
    );
    sim.advance_clock(7_201).await;
    assert_eq!(
        sim.get(&a3, "/services/data/v67.0/limits").await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn jwt_exp_as_a_numeric_string_is_accepted() {
    // simple-salesforce sends `"exp": "1767225600"` (a string).
    let sim = start("healthy").await;
    // The user approves the app once (a web login); JWT then works for them.
    sim.web_login().await;
    let user = sim.username().to_string();
    let exp = (now_secs() + 180).to_string();
    let (status, body, _) = sim
        .token(&[
            ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
            (
                "assertion",
                &jwt(
                    json!({"iss": sim.client_id(), "sub": user, "aud": "https://login.salesforce.com", "exp": exp}),
                    DEMO_KEY,
                ),
            ),
        ])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["access_token"].is_string());
    // Not a number at all: the expiry is unknown, so the assertion is expired.
    let (status, body, _) = sim
        .token(&[
            ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
            (
                "assertion",
                &jwt(
                    json!({"iss": sim.client_id(), "sub": user, "aud": "https://login.salesforce.com", "exp": "soon"}),
                    DEMO_KEY,
                ),
            ),
        ])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(pair(&body), ("invalid_grant", "expired authorization code"));
}

#[tokio::test]
async fn openid_scope_gives_an_id_token_the_jwks_verifies() {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let sim = start("healthy").await;
    let login = sim.web_login().await;
    let id_token = login["id_token"].as_str().expect("id_token with openid");
    let access = login["access_token"].as_str().unwrap();
    let parts: Vec<&str> = id_token.split('.').collect();
    assert_eq!(parts.len(), 3);
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    assert_eq!(header["alg"], "RS256");
    assert_eq!(claims["aud"], sim.client_id());
    assert_eq!(claims["iss"], sim.login());
    assert_eq!(claims["sub"], login["id"]);
    assert_eq!(claims["at_hash"], crypto::at_hash(access));
    let jwks: Value = sim
        .http
        .get(format!("{}/id/keys", sim.login()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == header["kid"])
        .expect("the kid is published");
    assert_eq!(key["kty"], "RSA");
    let n = URL_SAFE_NO_PAD.decode(key["n"].as_str().unwrap()).unwrap();
    let e = URL_SAFE_NO_PAD.decode(key["e"].as_str().unwrap()).unwrap();
    let public = aws_lc_rs::signature::RsaPublicKeyComponents { n: &n, e: &e };
    let sig = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
    public
        .verify(
            &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
            format!("{}.{}", parts[0], parts[1]).as_bytes(),
            &sig,
        )
        .expect("the id_token verifies with /id/keys");
    // Without openid: no id_token.
    let mut sc = Scenario::default();
    sc.app.scopes.retain(|s| s != "openid");
    let sim = start_with(sc).await;
    assert!(sim.web_login().await.get("id_token").is_none());
}

#[tokio::test]
async fn the_authorize_nonce_is_echoed_in_the_id_token() {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let sim = start("healthy").await;
    let claims_of = |body: &Value| -> Value {
        let id_token = body["id_token"].as_str().expect("id_token with openid");
        let part = id_token.split('.').nth(1).unwrap();
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
    };
    let verifier = crypto::random_token(64);
    let challenge = crypto::pkce_challenge(&verifier);
    let q = sim
        .authorize_redirect(&[("code_challenge", &challenge), ("nonce", "n-0S6_WzA2Mj")])
        .await;
    let secret = sim.secret();
    let (status, body, _) = sim
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &q["code"]),
            ("client_id", sim.client_id()),
            ("client_secret", &secret),
            ("redirect_uri", CALLBACK),
            ("code_verifier", &verifier),
        ])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(claims_of(&body)["nonce"], "n-0S6_WzA2Mj");
    // Without a nonce on the authorize request, the id_token has none.
    assert!(claims_of(&sim.web_login().await).get("nonce").is_none());
}

#[tokio::test]
async fn jwt_refusals_for_a_user_not_pre_authorized_and_an_app_without_refresh_token() {
    let jwt_form = |sim: &Sim| {
        let claims = json!({"iss": sim.client_id(), "sub": sim.username(), "aud": sim.login(), "exp": now_secs() + 60});
        jwt(claims, DEMO_KEY)
    };
    async fn grant(sim: &Sim, assertion: &str) -> (StatusCode, Value) {
        let (status, body, _) = sim
            .token(&[
                ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                ("assertion", assertion),
            ])
            .await;
        (status, body)
    }
    // Admin-approved app, the user not pre-authorized: even after approving on a consent page.
    let mut sc = Scenario::load("healthy").unwrap();
    sc.app.permitted_users = sagediag::sim::scenario::PermittedUsers::AdminApproved;
    for u in &mut sc.users {
        u.pre_authorized = false;
    }
    let sim = start_with(sc).await;
    let (status, body) = grant(&sim, &jwt_form(&sim)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        pair(&body),
        (
            "invalid_app_access",
            "user is not admin approved to access this app"
        )
    );

    // Self-authorizing app without the refresh_token scope: a prior approval does not count.
    let mut sc = Scenario::load("healthy").unwrap();
    sc.app
        .scopes
        .retain(|s| s != "refresh_token" && s != "offline_access");
    let sim = start_with(sc).await;
    sim.web_login().await;
    let (status, body) = grant(&sim, &jwt_form(&sim)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        pair(&body),
        ("invalid_grant", "user hasn't approved this consumer")
    );
}

#[tokio::test]
async fn a_revoke_without_a_token_answers_salesforces_words() {
    let sim = start("healthy").await;
    let resp = sim
        .http
        .post(format!("{}/services/oauth2/revoke", sim.login()))
        .form(&[("token[access_token]", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        resp.text().await.unwrap(),
        "error=unsupported_token_type&error_description=this%20token%20type%20is%20not%20supported"
    );
}
