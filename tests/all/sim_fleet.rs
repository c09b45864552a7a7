//! Simulated fleets (`sagediag sim --orgs`, `sim::fleet::start_fleet`) over real loopback
//! sockets: orgs independent of each other, the monitoring app and user, the control API, and
//! the binary's JSON line.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use reqwest::{Client, StatusCode, redirect};
use sagediag::sim::fleet::{Fleet, FleetOrgInfo, FleetSpec, start_fleet};
use sagediag::sim::{self, Scenario};
use serde_json::{Value, json};

use crate::common::{jwt, now_secs};

const API: &str = "/services/data/v67.0";
const EMPLOYEES: &str = "/services/apexrest/spapi/v4/employees";

fn http() -> Client {
    Client::builder()
        .redirect(redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(20))
        .build()
        .unwrap()
}

async fn fleet(names: &[(&str, &str)]) -> Fleet {
    let specs = names
        .iter()
        .map(|(name, scenario)| FleetSpec {
            name: name.to_string(),
            scenario: Scenario::load(scenario).unwrap(),
        })
        .collect();
    start_fleet(specs, sim::Options::default()).await.unwrap()
}

fn info<'a>(f: &'a Fleet, name: &str) -> &'a FleetOrgInfo {
    f.orgs.iter().find(|o| o.name == name).unwrap()
}

async fn form(http: &Client, url: &str, pairs: &[(&str, &str)]) -> (StatusCode, Value) {
    let r = http.post(url).form(pairs).send().await.unwrap();
    (r.status(), r.json().await.unwrap())
}

/// The monitor's access token, by client credentials on My Domain.
async fn monitor_token(http: &Client, o: &FleetOrgInfo) -> String {
    let (status, body) = form(
        http,
        &format!("{}/services/oauth2/token", o.sim.instance_url),
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &o.monitor_client_id),
            ("client_secret", &o.monitor_client_secret),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.get("refresh_token").is_none(), "{body}");
    body["access_token"].as_str().unwrap().to_string()
}

/// The integration user's access token by the password flow (no refresh token: no grant).
async fn integration_token(http: &Client, o: &FleetOrgInfo) -> (StatusCode, Value) {
    form(
        http,
        &format!("{}/services/oauth2/token", o.sim.login_url),
        &[
            ("grant_type", "password"),
            ("client_id", &o.sim.client_id),
            ("client_secret", &o.sim.client_secret),
            ("username", &o.sim.username),
            ("password", &o.sim.password),
        ],
    )
    .await
}

async fn soql(http: &Client, o: &FleetOrgInfo, token: &str, q: &str) -> Value {
    let r = http
        .get(format!("{}{API}/query", o.sim.instance_url))
        .query(&[("q", q)])
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{q}");
    r.json().await.unwrap()
}

async fn control(
    http: &Client,
    o: &FleetOrgInfo,
    action: &str,
    body: Value,
) -> (StatusCode, Value) {
    let r = http
        .post(format!("{}/_sim/fleet/{action}", o.sim.login_url))
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status(), r.json().await.unwrap())
}

async fn state(http: &Client, o: &FleetOrgInfo) -> Value {
    http.get(format!("{}/_sim/state", o.sim.login_url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn sage_sets(psa: &Value) -> Vec<String> {
    let mut v: Vec<String> = psa["records"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["PermissionSet"]["IsOwnedByProfile"] == false)
        .map(|r| r["PermissionSet"]["Name"].as_str().unwrap().to_string())
        .collect();
    v.sort();
    v
}

async fn integration_id(http: &Client, o: &FleetOrgInfo, token: &str) -> String {
    let q = format!(
        "SELECT Id FROM User WHERE Username = '{}'",
        o.integration_user
    );
    soql(http, o, token, &q).await["records"][0]["Id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn two_orgs_are_independent() {
    let f = fleet(&[("acme", "healthy"), ("globex", "healthy")]).await;
    let http = http();
    let (a, b) = (info(&f, "acme"), info(&f, "globex"));
    assert_ne!(a.sim.login_url, b.sim.login_url);
    assert_ne!(a.monitor_client_id, b.monitor_client_id);
    // One org's monitor is unknown to the other.
    let (status, body) = form(
        &http,
        &format!("{}/services/oauth2/token", b.sim.instance_url),
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &a.monitor_client_id),
            ("client_secret", &a.monitor_client_secret),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    let (status, _) = control(
        &http,
        a,
        "permission-set",
        json!({"name": "Sage_People_Salaries_API", "assigned": false}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    control(&http, a, "freeze", json!({"frozen": true})).await;
    control(
        &http,
        a,
        "login-failure",
        json!({"status": "Failed: Not approved for access", "count": 3}),
    )
    .await;

    let (ta, tb) = (monitor_token(&http, a).await, monitor_token(&http, b).await);
    let (ia, ib) = (
        integration_id(&http, a, &ta).await,
        integration_id(&http, b, &tb).await,
    );
    let psa = |id: &str| {
        format!(
            "SELECT PermissionSet.Name, PermissionSet.IsOwnedByProfile FROM PermissionSetAssignment WHERE AssigneeId = '{id}'"
        )
    };
    let (sa, sb) = (
        sage_sets(&soql(&http, a, &ta, &psa(&ia)).await),
        sage_sets(&soql(&http, b, &tb, &psa(&ib)).await),
    );
    assert_eq!(sb.len(), 7);
    assert_eq!(sa.len(), 6);
    assert!(!sa.contains(&"Sage_People_Salaries_API".to_string()));
    let frozen = |id: &str| format!("SELECT IsFrozen FROM UserLogin WHERE UserId = '{id}'");
    assert_eq!(
        soql(&http, a, &ta, &frozen(&ia)).await["records"][0]["IsFrozen"],
        true
    );
    assert_eq!(
        soql(&http, b, &tb, &frozen(&ib)).await["records"][0]["IsFrozen"],
        false
    );
    let failed = "SELECT Status FROM LoginHistory WHERE Status = 'Failed: Not approved for access'";
    assert_eq!(soql(&http, a, &ta, failed).await["totalSize"], 3);
    assert_eq!(soql(&http, b, &tb, failed).await["totalSize"], 0);
    // The frozen integration user of one org logs in to the other.
    assert_eq!(integration_token(&http, a).await.0, StatusCode::BAD_REQUEST);
    let (status, body) = integration_token(&http, b).await;
    assert_eq!(status, StatusCode::OK);
    // The HR data, read-only and the same, is rendered once for both orgs.
    assert!(std::sync::Arc::ptr_eq(
        &f.org("acme").unwrap().pages,
        &f.org("globex").unwrap().pages
    ));
    let r = http
        .get(format!("{}{EMPLOYEES}", b.sim.instance_url))
        .bearer_auth(body["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let employees: Value = r.json().await.unwrap();
    assert_eq!(employees["data"].as_array().unwrap().len(), 200);
}

#[tokio::test]
async fn the_monitor_logs_in_by_client_credentials_and_jwt_and_reads_the_record() {
    let f = fleet(&[("acme", "healthy")]).await;
    let http = http();
    let o = info(&f, "acme");
    let before = state(&http, o).await["integration_grants"].clone();
    assert_eq!(before.as_array().unwrap().len(), 1, "{before}");

    // Client credentials: on My Domain only, as on Salesforce.
    let (status, body) = form(
        &http,
        &format!("{}/services/oauth2/token", o.sim.login_url),
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &o.monitor_client_id),
            ("client_secret", &o.monitor_client_secret),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["error_description"],
        "request not supported on this domain"
    );
    let (status, body) = form(
        &http,
        &format!("{}/services/oauth2/token", o.sim.instance_url),
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &o.monitor_client_id),
            ("client_secret", "wrong"),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_client"))
    );
    let cc = monitor_token(&http, o).await;

    // JWT bearer with the fleet's key, for the monitoring user only.
    let key = std::fs::read_to_string(&o.monitor_key_file).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&o.monitor_key_file)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "the key file is owner-only");
    }
    let assertion = |sub: &str| {
        jwt(
            json!({"iss": o.monitor_client_id, "sub": sub, "aud": "https://login.salesforce.com", "exp": now_secs() + 300}),
            &key,
        )
    };
    let grant = "urn:ietf:params:oauth:grant-type:jwt-bearer";
    let url = format!("{}/services/oauth2/token", o.sim.login_url);
    let (status, body) = form(
        &http,
        &url,
        &[
            ("grant_type", grant),
            ("assertion", &assertion(&o.monitor_username)),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.get("refresh_token").is_none());
    let jwt_token = body["access_token"].as_str().unwrap().to_string();
    // Another key is refused.
    let other = jwt(
        json!({"iss": o.monitor_client_id, "sub": o.monitor_username, "aud": "https://login.salesforce.com", "exp": now_secs() + 300}),
        &crate::common::other_key_pem(),
    );
    let (status, _) = form(&http, &url, &[("grant_type", grant), ("assertion", &other)]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    for token in [&cc, &jwt_token] {
        let me = soql(
            &http,
            o,
            token,
            &format!(
                "SELECT Id FROM User WHERE Username = '{}'",
                o.monitor_username
            ),
        )
        .await;
        let monitor_id = me["records"][0]["Id"].as_str().unwrap().to_string();
        let integration = integration_id(&http, o, token).await;
        // LoginHistory: the monitor's logins are its own, under its own app.
        let rows = soql(
            &http,
            o,
            token,
            "SELECT UserId, Status, Application, LoginType FROM LoginHistory ORDER BY LoginTime",
        )
        .await;
        let rows = rows["records"].as_array().unwrap().clone();
        assert!(!rows.is_empty());
        for r in &rows {
            if r["Application"] == "sagediag Monitor" {
                assert_eq!(r["UserId"], monitor_id.as_str(), "{r}");
            }
            assert_ne!(
                r["UserId"],
                integration.as_str(),
                "no integration login happened: {r}"
            );
        }
        assert!(
            rows.iter()
                .any(|r| r["Status"] == "Success" && r["LoginType"] == "Remote Access 2.0")
        );
        assert!(
            rows.iter()
                .any(|r| r["Status"] == "Success" && r["LoginType"] == "OAuth JWT Bearer")
        );
        // OauthToken: the integration user's grant, read by the monitor; none of the monitor's.
        let grants = soql(
            &http,
            o,
            token,
            "SELECT UserId, AppName, LastUsedDate, UseCount FROM OauthToken",
        )
        .await;
        assert_eq!(grants["totalSize"], 1, "{grants}");
        assert_eq!(grants["records"][0]["UserId"], integration.as_str());
        assert_eq!(grants["records"][0]["AppName"], o.integration_app.as_str());
        let frozen = soql(
            &http,
            o,
            token,
            &format!("SELECT IsFrozen FROM UserLogin WHERE UserId = '{integration}'"),
        )
        .await;
        assert_eq!(frozen["records"][0]["IsFrozen"], false);
        let psa = soql(&http, o, token, &format!("SELECT PermissionSet.Name, PermissionSet.IsOwnedByProfile FROM PermissionSetAssignment WHERE AssigneeId = '{integration}'")).await;
        assert_eq!(sage_sets(&psa).len(), 7);
        let limits: Value = http
            .get(format!("{}{API}/limits", o.sim.instance_url))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(limits["DailyApiRequests"]["Max"].is_number(), "{limits}");
        // The monitor has no Sage People permission set: it cannot read HR data.
        let r = http
            .get(format!("{}{EMPLOYEES}", o.sim.instance_url))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
    }
    // Not for the integration user: the monitor's app is not theirs (an attempt Salesforce
    // records in that user's LoginHistory).
    let (status, body) = form(
        &http,
        &url,
        &[
            ("grant_type", grant),
            ("assertion", &assertion(&o.integration_user)),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_app_access");
    let rows = soql(
        &http,
        o,
        &cc,
        "SELECT Status, Application FROM LoginHistory WHERE Status != 'Success'",
    )
    .await;
    // Only that one: a wrong secret, a wrong key or the wrong host names no user.
    assert_eq!(rows["totalSize"], 1, "{rows}");
    assert_eq!(
        rows["records"][0]["Status"],
        "Failed: Not approved for access"
    );
    let st = state(&http, o).await;
    assert_eq!(
        st["integration_grants"], before,
        "the integration user's grants are untouched"
    );
    let by_user = st["requests_by_user"].as_object().unwrap();
    // One request as the integration user: the refused JWT above.
    assert_eq!(by_user[&o.integration_user], 1, "{st}");
    assert!(by_user[&o.monitor_username].as_u64().unwrap() >= 16, "{st}");
    assert!(
        st["requests_total"].as_u64().unwrap() >= by_user[&o.monitor_username].as_u64().unwrap()
    );
}

#[tokio::test]
async fn each_control_endpoint_changes_what_the_org_answers() {
    let f = fleet(&[("acme", "healthy")]).await;
    let http = http();
    let o = info(&f, "acme");
    let m = monitor_token(&http, o).await;
    let integration = integration_id(&http, o, &m).await;

    // permission-set: the assignment and the endpoint it gates.
    let (_, body) = integration_token(&http, o).await;
    let it = body["access_token"].as_str().unwrap().to_string();
    let employees = |token: String| {
        let http = http.clone();
        let url = format!("{}{EMPLOYEES}", o.sim.instance_url);
        async move {
            http.get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(employees(it.clone()).await, StatusCode::OK);
    let (status, body) = control(
        &http,
        o,
        "permission-set",
        json!({"name": "Sage People Employees API", "assigned": false}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["name"], "Sage_People_Employees_API");
    assert_eq!(employees(it.clone()).await, StatusCode::FORBIDDEN);
    let psa = format!(
        "SELECT PermissionSet.Name, PermissionSet.IsOwnedByProfile FROM PermissionSetAssignment WHERE AssigneeId = '{integration}'"
    );
    assert!(
        !sage_sets(&soql(&http, o, &m, &psa).await)
            .contains(&"Sage_People_Employees_API".to_string())
    );
    control(
        &http,
        o,
        "permission-set",
        json!({"name": "Sage_People_Employees_API", "assigned": true}),
    )
    .await;
    assert_eq!(employees(it.clone()).await, StatusCode::OK);
    assert_eq!(sage_sets(&soql(&http, o, &m, &psa).await).len(), 7);

    // age-grants: LastUsedDate moves back, in OauthToken and in /_sim/state.
    let last = |v: &Value| {
        v["records"][0]["LastUsedDate"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let q = "SELECT LastUsedDate FROM OauthToken";
    let before = last(&soql(&http, o, &m, q).await);
    let (status, body) = control(&http, o, "age-grants", json!({"days": 25})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["grants_aged"], 1);
    let after = last(&soql(&http, o, &m, q).await);
    let day = |s: &str| {
        chrono::NaiveDateTime::parse_from_str(s.get(..19).unwrap(), "%Y-%m-%dT%H:%M:%S").unwrap()
    };
    assert_eq!(
        (day(&before) - day(&after)).num_days(),
        25,
        "{before} → {after}"
    );
    assert_eq!(
        state(&http, o).await["integration_grants"][0]["last_used"],
        after.as_str()
    );

    // login-failure: rows of the integration user with that Status.
    let (status, _) = control(
        &http,
        o,
        "login-failure",
        json!({"status": "Failed: Invalid Code Verifier", "count": 2}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let rows = soql(&http, o, &m, "SELECT UserId, Application FROM LoginHistory WHERE Status = 'Failed: Invalid Code Verifier'").await;
    assert_eq!(rows["totalSize"], 2);
    assert_eq!(rows["records"][0]["UserId"], integration.as_str());
    assert_eq!(
        rows["records"][0]["Application"],
        o.integration_app.as_str()
    );

    // freeze: UserLogin and the next login.
    control(&http, o, "freeze", json!({"frozen": true})).await;
    let frozen = format!("SELECT IsFrozen FROM UserLogin WHERE UserId = '{integration}'");
    assert_eq!(
        soql(&http, o, &m, &frozen).await["records"][0]["IsFrozen"],
        true
    );
    let (status, body) = integration_token(&http, o).await;
    assert_eq!(
        (status, body["error_description"].as_str()),
        (StatusCode::BAD_REQUEST, Some("inactive user"))
    );
    // An admin's freeze leaves the grant.
    assert_eq!(
        state(&http, o).await["integration_grants"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    control(&http, o, "freeze", json!({"frozen": false})).await;
    assert_eq!(
        soql(&http, o, &m, &frozen).await["records"][0]["IsFrozen"],
        false
    );
    assert_eq!(integration_token(&http, o).await.0, StatusCode::OK);

    // Bad input: 400 naming what is wrong.
    for (action, body, want) in [
        (
            "permission-set",
            json!({"name": "Nope", "assigned": false}),
            "`name`",
        ),
        (
            "permission-set",
            json!({"name": "Sage_People_Salaries_API"}),
            "assigned",
        ),
        ("freeze", json!({"frozen": "yes"}), "frozen"),
        ("age-grants", json!({"days": 0}), "`days`"),
        ("age-grants", json!({"days": 9999}), "`days`"),
        (
            "login-failure",
            json!({"status": "", "count": 1}),
            "`status`",
        ),
        (
            "login-failure",
            json!({"status": "Failed: x", "count": 0}),
            "`count`",
        ),
        (
            "login-failure",
            json!({"status": "Failed: x", "colour": 1}),
            "colour",
        ),
        ("reboot", json!({}), "unknown control"),
    ] {
        let (status, resp) = control(&http, o, action, body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{action} {body}");
        let e = resp["error"].as_str().unwrap();
        assert!(e.contains(want), "{action} {body}: {e}");
    }
    let r = http
        .post(format!("{}/_sim/fleet/freeze", o.sim.login_url))
        .body("not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[test]
fn sim_orgs_3_prints_one_json_line_with_three_orgs() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sagediag"))
        .args(["sim", "--orgs", "3", "--until-stdin-closes"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let v: Value = serde_json::from_str(&line).expect("one JSON line");
    let orgs: Vec<FleetOrgInfo> = serde_json::from_value(v["orgs"].clone()).unwrap();
    let names: Vec<&str> = orgs.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["org-001", "org-002", "org-003"]);
    let mut ports: Vec<&str> = orgs.iter().map(|o| o.sim.login_url.as_str()).collect();
    ports.dedup();
    assert_eq!(ports.len(), 3);
    for o in &orgs {
        assert!(o.sim.login_url.starts_with("http://127.0.0.1:"));
        assert!(o.sim.instance_url.starts_with("http://localhost:"));
        assert!(!o.monitor_client_id.is_empty() && !o.monitor_client_secret.is_empty());
        assert_eq!(o.integration_user, o.sim.username);
        assert!(std::path::Path::new(&o.monitor_key_file).is_file());
    }
    let key_file = orgs[0].monitor_key_file.clone();
    // It serves: the versions list of the first org.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let status = rt.block_on(async {
        reqwest::get(format!("{}/services/data/", orgs[0].sim.login_url))
            .await
            .unwrap()
            .status()
    });
    assert_eq!(status, StatusCode::OK);
    // Closing stdin stops it, and the key goes with it.
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{:?}", out.status);
    assert!(!std::path::Path::new(&key_file).exists());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains(&orgs[0].monitor_client_secret));

    let bad = Command::new(env!("CARGO_BIN_EXE_sagediag"))
        .args(["sim", "--fleet", "/nonexistent/fleet.toml"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("bad fleet"));
}

/// What the engine reads for the record and the app's policies (src/engine/record/,
/// org.rs, app.rs), answered for the monitor of a connected-app org and of an ECA org.
#[tokio::test]
async fn the_monitor_reads_what_the_engine_reads() {
    let f = fleet(&[("ca", "healthy"), ("eca", "eca-healthy")]).await;
    let http = http();
    for (name, app_q, want_rows) in [
        (
            "ca",
            "SELECT Name, OptionsAllowAdminApprovedUsersOnly, OptionsRefreshTokenValidityMetric, RefreshTokenValidityPeriod, CreatedDate FROM ConnectedApplication",
            1,
        ),
        (
            "eca",
            "SELECT ExternalClientApplicationId, PermittedUsersPolicyType, RefreshTokenPolicyType, RefreshTokenValidityPeriod, RefreshTokenValidityUnit, IpRelaxationPolicyType FROM ExtlClntAppOauthPlcyCnfg",
            1,
        ),
        (
            "eca",
            "SELECT ExternalClientApplicationId, IsPkceRequired, IsConsumerSecretOptional, IsSecretRequiredForRefreshToken, IsRefreshTokenRotationEnabled, IsClientCredentialsFlowEnabled FROM ExtlClntAppOauthSettings",
            1,
        ),
        (
            "eca",
            "SELECT Id, MasterLabel, DeveloperName, DistributionState, CreatedDate FROM ExternalClientApplication",
            1,
        ),
    ] {
        let o = info(&f, name);
        let m = monitor_token(&http, o).await;
        let uid = integration_id(&http, o, &m).await;
        assert_eq!(
            soql(&http, o, &m, app_q).await["totalSize"],
            want_rows,
            "{name}: {app_q}"
        );
        for q in [
            format!("SELECT Id, UserId, LoginTime, Status, Application, LoginType, SourceIp FROM LoginHistory WHERE UserId = '{uid}' AND LoginTime = LAST_N_DAYS:30 ORDER BY LoginTime DESC"),
            format!("SELECT Id, UserId, IsFrozen, IsPasswordLocked FROM UserLogin WHERE UserId = '{uid}'"),
            format!("SELECT Id, UserId, AppName, AppMenuItemId, CreatedDate, LastUsedDate, UseCount, DeleteToken FROM OauthToken WHERE UserId = '{uid}'"),
            format!("SELECT PermissionSet.Name, PermissionSet.Label, PermissionSet.IsOwnedByProfile, PermissionSet.PermissionsApiEnabled FROM PermissionSetAssignment WHERE AssigneeId = '{uid}'"),
            "SELECT Id, Username, IsActive, UserType, Profile.Name, Profile.UserLicense.Name FROM User".to_string(),
        ] {
            soql(&http, o, &m, &q).await;
        }
        let r = http
            .get(format!("{}{API}/tooling/query", o.sim.instance_url))
            .query(&[("q", "SELECT SubscriberPackage.NamespacePrefix, SubscriberPackageVersion.MajorVersion FROM InstalledSubscriberPackage WHERE SubscriberPackage.NamespacePrefix = 'spapi'")])
            .bearer_auth(&m)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["totalSize"], 1, "{v}");
    }
}
