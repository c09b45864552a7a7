//! The simulated org's REST API and Sage People API over real HTTP: errors, limits, SOQL,
//! paging, `$filter`, permission sets, payDetails and faults.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use crate::common::*;
use reqwest::StatusCode;
use sagediag::sim::Scenario;
use serde_json::{Value, json};

const V4: &str = "/services/apexrest/spapi/v4";

fn limit_info(resp: &reqwest::Response) -> Option<(u64, u64)> {
    let v = resp.headers().get("sforce-limit-info")?.to_str().ok()?;
    let (used, max) = v.strip_prefix("api-usage=")?.split_once('/')?;
    Some((used.parse().ok()?, max.parse().ok()?))
}

#[tokio::test]
async fn versions_need_no_session_and_carry_no_limit_header() {
    let sim = start("healthy").await;
    let resp = sim
        .http
        .get(format!("{}/services/data/", sim.login()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers().get("sforce-limit-info").is_none());
    let list: Vec<Value> = resp.json().await.unwrap();
    // v30.0 and older are retired (Summer '25): not listed, and 410 Gone.
    assert_eq!(
        list[0],
        json!({"label": "Summer '14", "url": "/services/data/v31.0", "version": "31.0"})
    );
    for old in ["v30.0", "v20.0", "v7.0"] {
        let resp = sim
            .http
            .get(format!("{}/services/data/{old}/", sim.login()))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::GONE, "{old}");
        assert_eq!(
            resp.json::<Value>().await.unwrap()[0]["errorCode"],
            "NOT_FOUND"
        );
    }
    assert_eq!(list.last().unwrap()["label"], "Summer '26");
    assert_eq!(list.last().unwrap()["version"], "67.0");
}

#[tokio::test]
async fn sforce_limit_info_counts_every_api_call() {
    let sim = start("healthy").await;
    let token = sim.access_token().await;
    let r1 = sim.get(&token, "/services/data/v67.0/").await;
    let (u1, max) = limit_info(&r1).expect("header on REST responses");
    assert_eq!(max, 100_000);
    assert_eq!(
        u1, 1_251,
        "starts from the scenario's api_used and counts this call"
    );
    let r2 = sim.get(&token, &format!("{V4}/employees")).await;
    assert_eq!(
        limit_info(&r2).unwrap().0,
        u1 + 1,
        "Sage People calls count too"
    );
    let limits: Value = sim
        .get(&token, "/services/data/v67.0/limits/")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(limits["DailyApiRequests"]["Max"], 100_000);
    assert_eq!(limits["DailyApiRequests"]["Remaining"], 100_000 - (u1 + 2));
    let resources: Value = sim
        .get(&token, "/services/data/v67.0/")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(resources["query"], "/services/data/v67.0/query");
    // The identity URL names the caller, as the token response's `id` does.
    let id = resources["identity"].as_str().unwrap();
    assert!(
        id.starts_with(&format!("{}/id/00D", sim.login())) && id.contains("/005"),
        "{id}"
    );
    let resp = sim.get(&token, "/services/data/v99.0/limits").await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        resp.json::<Value>().await.unwrap()[0]["errorCode"],
        "NOT_FOUND"
    );
}

#[tokio::test]
async fn api_access_errors() {
    let sim = start("healthy").await;
    let resp = sim
        .get("00Dbogus!token", "/services/data/v67.0/limits")
        .await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        resp.json::<Value>().await.unwrap(),
        json!([{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}])
    );
    let resp = sim
        .http
        .get(format!("{}{V4}/employees", sim.instance()))
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        StatusCode::UNAUTHORIZED,
        "no Authorization header"
    );

    let sim = start("api-disabled-for-org").await;
    let token = sim.access_token().await;
    let resp = sim.get(&token, "/services/data/v67.0/limits").await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        resp.json::<Value>().await.unwrap(),
        json!([{"message": "The REST API is not enabled for this Organization.", "errorCode": "API_DISABLED_FOR_ORG"}])
    );

    let sim = start("api-disabled-for-user").await;
    let token = sim.access_token().await;
    let resp = sim.get(&token, &format!("{V4}/employees")).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    // REST answers a user without API Enabled with the org-level pair (docs/simulator.md).
    assert_eq!(
        resp.json::<Value>().await.unwrap(),
        json!([{"message": "The REST API is not enabled for this Organization.", "errorCode": "API_DISABLED_FOR_ORG"}])
    );

    let sim = start("api-limit-exhausted").await;
    let token = sim.access_token().await;
    let resp = sim.get(&token, &format!("{V4}/employees")).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert_eq!(limit_info(&resp), Some((15_000, 15_000)));
    assert_eq!(
        resp.json::<Value>().await.unwrap(),
        json!([{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}])
    );

    // The last call of the allocation succeeds, the next is refused.
    let mut sc = Scenario::load("healthy").unwrap();
    sc.org.daily_api_allocation = 10;
    sc.org.api_used = 8;
    let sim = start_with(sc).await;
    let token = sim.access_token().await;
    let statuses: Vec<u16> = {
        let mut v = Vec::new();
        for _ in 0..3 {
            v.push(
                sim.get(&token, "/services/data/v67.0/limits")
                    .await
                    .status()
                    .as_u16(),
            );
        }
        v
    };
    assert_eq!(statuses, [200, 200, 403]);

    // A token without the api scope is refused by the REST API.
    let sim = start("healthy").await;
    let q = sim.authorize_redirect(&[("scope", "openid")]).await;
    let (_, body, _) = sim
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &q["code"]),
            ("client_id", sim.client_id()),
            ("client_secret", &sim.secret()),
            ("redirect_uri", CALLBACK),
        ])
        .await;
    let resp = sim
        .get(
            body["access_token"].as_str().unwrap(),
            "/services/data/v67.0/limits",
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        resp.json::<Value>().await.unwrap(),
        json!([{"message": "This session is not valid for use with the REST API", "errorCode": "INVALID_SESSION_ID"}])
    );
}

#[tokio::test]
async fn soql_for_an_admin_tool() {
    let sim = start("missing-permission-sets").await;
    let login = sim.web_login().await;
    let token = login["access_token"].as_str().unwrap();
    let user_id = login["id"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();
    let (status, r) = sim
        .soql(token, &format!("SELECT PermissionSet.Name, PermissionSet.Label, PermissionSet.IsOwnedByProfile FROM PermissionSetAssignment WHERE AssigneeId = '{user_id}'"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let labels: BTreeSet<&str> = r["records"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["PermissionSet"]["IsOwnedByProfile"] == false)
        .map(|r| r["PermissionSet"]["Label"].as_str().unwrap())
        .collect();
    assert_eq!(labels.len(), 5);
    assert!(
        !labels.contains("Sage People Salaries API") && !labels.contains("Sage People Bonuses API")
    );
    assert_eq!(
        r["records"][0]["attributes"]["type"],
        "PermissionSetAssignment"
    );

    let (_, r) = sim
        .soql(token, &format!("SELECT PermissionSet.PermissionsApiEnabled FROM PermissionSetAssignment WHERE AssigneeId = '{}' AND PermissionSet.PermissionsApiEnabled = true", &user_id[..15]))
        .await;
    assert_eq!(r["totalSize"], 1, "API Enabled comes from the profile");
    let (_, r) = sim
        .soql(
            token,
            &format!("SELECT Id, Username, IsActive FROM User WHERE Id = '{user_id}'"),
        )
        .await;
    assert_eq!(r["records"][0]["Username"], sim.username());
    let (_, r) = sim.soql(token, "SELECT Name, OptionsAllowAdminApprovedUsersOnly, OptionsRefreshTokenValidityMetric, RefreshTokenValidityPeriod FROM ConnectedApplication").await;
    assert_eq!(r["records"][0]["OptionsAllowAdminApprovedUsersOnly"], false);
    assert_eq!(r["records"][0]["RefreshTokenValidityPeriod"], Value::Null);
    let (_, r) = sim
        .soql(
            token,
            "SELECT NamespacePrefix, Status FROM PackageLicense WHERE NamespacePrefix = 'spapi'",
        )
        .await;
    assert_eq!(r["records"][0]["Status"], "Active");
    let resp = sim
        .http
        .get(format!("{}/services/data/v67.0/tooling/query", sim.instance()))
        .query(&[("q", "SELECT SubscriberPackage.NamespacePrefix, SubscriberPackageVersion.MajorVersion, SubscriberPackageVersion.MinorVersion FROM InstalledSubscriberPackage WHERE SubscriberPackage.NamespacePrefix = 'spapi'")])
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let r: Value = resp.json().await.unwrap();
    assert_eq!(
        r["records"][0]["SubscriberPackageVersion"]["MajorVersion"],
        4
    );
    assert_eq!(
        r["records"][0]["SubscriberPackageVersion"]["MinorVersion"],
        8
    );

    let (status, r) = sim.soql(token, "SELECT Id FROM Nonsense__x").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(r[0]["errorCode"], "INVALID_TYPE");
    let (_, r) = sim.soql(token, "SELECT Bogus FROM User").await;
    assert_eq!(r[0]["errorCode"], "INVALID_FIELD");
    let (_, r) = sim.soql(token, "SELEKT Id FROM User").await;
    assert_eq!(r[0]["errorCode"], "MALFORMED_QUERY");

    // Without View Setup, setup objects do not exist for the user.
    let mut sc = Scenario::load("healthy").unwrap();
    sc.users[0].view_setup = false;
    let sim = start_with(sc).await;
    let token = sim.access_token().await;
    let (status, r) = sim
        .soql(&token, "SELECT Id FROM PermissionSetAssignment")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(r[0]["errorCode"], "INVALID_TYPE");
    let (status, _) = sim.soql(&token, "SELECT Id FROM User").await;
    assert_eq!(status, StatusCode::OK);
}

async fn page_through(
    sim: &Sim,
    token: &str,
    endpoint: &str,
    filter: Option<&str>,
) -> (Vec<Value>, usize) {
    let mut all = Vec::new();
    let mut marker: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut req = sim
            .http
            .get(format!("{}{V4}/{endpoint}", sim.instance()))
            .bearer_auth(token)
            .header("Accept", "application/json");
        if let Some(m) = &marker {
            req = req.query(&[("marker", m)]);
        }
        if let Some(f) = filter {
            req = req.query(&[("$filter", f)]);
        }
        let resp = req.send().await.unwrap();
        if resp.status() == StatusCode::NO_CONTENT {
            assert!(resp.bytes().await.unwrap().is_empty());
            break;
        }
        assert_eq!(resp.status(), StatusCode::OK);
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["version"], "4.8");
        let data = body["data"].as_array().unwrap().clone();
        marker = Some(data.last().unwrap()["id"].as_str().unwrap().to_string());
        all.extend(data);
        pages += 1;
        assert!(pages < 10_000);
    }
    (all, pages)
}

#[tokio::test]
async fn marker_paging_returns_every_record_exactly_once() {
    for (employees, page_size) in [
        (0u32, 200u32),
        (1, 200),
        (200, 200),
        (450, 200),
        (2_500, 2_000),
        (1_000, 7),
    ] {
        let mut sc = Scenario::load("healthy").unwrap();
        sc.data.employees = employees;
        sc.data.page_size = page_size;
        sc.data.absences_per_employee = 3;
        let sim = start_with(sc).await;
        let token = sim.access_token().await;
        for (endpoint, per) in [("employees", 1), ("absences", 3)] {
            let (records, pages) = page_through(&sim, &token, endpoint, None).await;
            let expected = employees as usize * per;
            assert_eq!(
                records.len(),
                expected,
                "{endpoint} with {employees} employees, page {page_size}"
            );
            let ids: BTreeSet<&str> = records.iter().map(|r| r["id"].as_str().unwrap()).collect();
            assert_eq!(ids.len(), expected, "no record twice");
            assert_eq!(pages, expected.div_ceil(page_size as usize));
            let sorted: Vec<&str> = records.iter().map(|r| r["id"].as_str().unwrap()).collect();
            assert!(sorted.windows(2).all(|w| w[0] < w[1]), "ordered by id");
        }
    }
}

#[tokio::test]
async fn records_have_the_documented_shapes() {
    let sim = start("healthy").await;
    let token = sim.access_token().await;
    let required: [(&str, &[&str]); 6] = [
        (
            "employees",
            &[
                "id",
                "hrDepartment",
                "fullName",
                "firstName",
                "lastName",
                "currentEmployment",
                "workAddress",
                "additionalFields",
            ],
        ),
        (
            "salaries",
            &[
                "id",
                "employeeId",
                "amount",
                "multiplier",
                "currencyName",
                "startDate",
                "payCode",
                "additionalFields",
            ],
        ),
        (
            "bonuses",
            &[
                "id",
                "employeeId",
                "amount",
                "currencyName",
                "paidDate",
                "payCode",
                "reason",
                "additionalFields",
            ],
        ),
        (
            "absences",
            &[
                "id",
                "employeeId",
                "reason",
                "startDate",
                "endDate",
                "duration",
                "durationUnits",
                "approved",
                "additionalFields",
            ],
        ),
        (
            "absenceBalances",
            &[
                "id",
                "employeeId",
                "reason",
                "units",
                "calculatedDate",
                "periodName",
                "periodEndBalance",
                "additionalFields",
            ],
        ),
        (
            "timesheets",
            &[
                "id",
                "employeeId",
                "hoursWorked",
                "hoursEarned",
                "startDate",
                "endDate",
                "status",
                "additionalFields",
            ],
        ),
    ];
    for (endpoint, fields) in required {
        let body: Value = sim
            .get(&token, &format!("{V4}/{endpoint}"))
            .await
            .json()
            .await
            .unwrap();
        let first = &body["data"][0];
        for f in fields {
            assert!(
                first.get(*f).is_some(),
                "{endpoint} record lacks {f}: {first}"
            );
        }
        assert_eq!(first["id"].as_str().unwrap().len(), 18);
    }
    let body: Value = sim
        .get(&token, &format!("{V4}/employees"))
        .await
        .json()
        .await
        .unwrap();
    let keys: Vec<&String> = body["data"][0].as_object().unwrap().keys().collect();
    assert_eq!(keys[0], "id", "fields in the API's order");
    let id = body["data"][3]["id"].as_str().unwrap();
    let one: Value = sim
        .get(&token, &format!("{V4}/employees/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(one["data"], body["data"][3]);
    let resp = sim
        .get(&token, &format!("{V4}/employees/a2G250999999999AAA"))
        .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn filters_and_their_errors() {
    let mut sc = Scenario::load("healthy").unwrap();
    sc.data.employees = 500;
    sc.data.page_size = 1_000;
    let sim = start_with(sc).await;
    let token = sim.access_token().await;
    let (all, _) = page_through(&sim, &token, "employees", None).await;
    let (active, _) = page_through(
        &sim,
        &token,
        "employees",
        Some("currentEmployment.active eq true"),
    )
    .await;
    let expected = all
        .iter()
        .filter(|e| e["currentEmployment"]["active"] == true)
        .count();
    assert_eq!(active.len(), expected);
    assert!(expected < all.len() && expected > 0, "the data has leavers");
    let (leavers, _) = page_through(
        &sim,
        &token,
        "employees",
        Some("not (currentEmployment.active eq true) and currentEmployment.endDate ne null"),
    )
    .await;
    assert_eq!(leavers.len(), all.len() - expected);
    let (range, _) = page_through(
        &sim,
        &token,
        "bonuses",
        Some("paidDate ge 2024-01-01 and paidDate le 2024-12-31"),
    )
    .await;
    assert!(
        range
            .iter()
            .all(|b| b["paidDate"].as_str().unwrap().starts_with("2024"))
    );
    let one = all[7]["id"].as_str().unwrap();
    let (mine, _) = page_through(
        &sim,
        &token,
        "absences",
        Some(&format!("employeeId eq '{one}'")),
    )
    .await;
    assert_eq!(mine.len(), 2);

    for (filter, code) in [
        ("currentEmployment.active eq", "SYNTAX_ERROR"),
        ("reason eq 'Perf", "UNTERMINATED_LITERAL"),
        ("nope eq 1", "UNKNOWN_IDENTIFIER"),
        ("workAddress eq null", "INVALID_OPERATION"),
        ("fullName eq 3", "DATA_TYPE_MISMATCH"),
        (
            "fullName eq 'a' and fullName eq 'b' or fullName eq 'c'",
            "CANNOT_DETERMINE_OPERATOR_PRECEDENCE",
        ),
        ("fullName eq eq", "UNEXPECTED_TOKEN"),
    ] {
        let resp = sim
            .http
            .get(format!("{}{V4}/employees", sim.instance()))
            .query(&[("$filter", filter)])
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{filter}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(
            body["error"]["innererror"]["code"], code,
            "{filter}: {body}"
        );
        assert_eq!(body["error"]["code"], "REQUEST_ERROR");
    }
    let resp = sim.get(&token, &format!("{V4}/employees?marker=zzz")).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["error"]["innererror"]["code"],
        "INVALID_MARKER"
    );
    let resp = sim.get(&token, &format!("{V4}/employees?limit=5")).await;
    assert_eq!(
        resp.json::<Value>().await.unwrap()["error"]["innererror"]["code"],
        "INVALID_QUERY_STRING"
    );
}

#[tokio::test]
async fn permission_sets_gate_each_endpoint() {
    let sim = start("missing-permission-sets").await;
    let token = sim.access_token().await;
    for (endpoint, allowed) in [
        ("employees", true),
        ("salaries", false),
        ("bonuses", false),
        ("absences", true),
        ("absenceBalances", true),
        ("timesheets", true),
    ] {
        let resp = sim.get(&token, &format!("{V4}/{endpoint}")).await;
        if allowed {
            assert_eq!(resp.status(), StatusCode::OK, "{endpoint}");
        } else {
            assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{endpoint}");
            let body: Value = resp.json().await.unwrap();
            assert_eq!(
                body["error"]["innererror"]["code"],
                "MISSING_API_PERMISSION"
            );
            assert!(
                body["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("Sage People"),
                "{body}"
            );
            assert_eq!(body["error"]["target"], endpoint);
        }
    }
    let sim = start("no-permission-sets").await;
    let token = sim.access_token().await;
    let emp = "a2G250000000001EAA";
    let resp = sim
        .http
        .post(format!("{}{V4}/employees/{emp}/payDetails", sim.instance()))
        .bearer_auth(&token)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["error"]["innererror"]["code"],
        "MISSING_API_PERMISSION"
    );
}

#[tokio::test]
async fn pay_details_validates_and_keeps_valid_records_in_memory() {
    let sim = start("healthy").await;
    let token = sim.access_token().await;
    let emp = "a2G250000000001EAA";
    let post = |body: Value, ctype: &'static str| {
        let sim = &sim;
        let token = token.clone();
        async move {
            sim.http
                .post(format!("{}{V4}/employees/{emp}/payDetails", sim.instance()))
                .bearer_auth(&token)
                .header("Content-Type", ctype)
                .header("Accept", "application/json")
                .body(body.to_string())
                .send()
                .await
                .unwrap()
        }
    };
    // The probe's deliberately invalid body: 400, never a record.
    let resp = post(json!({}), "application/json").await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["error"]["innererror"]["code"],
        "INVALID_REQUEST_BODY"
    );
    let resp = post(
        json!({"data": {"period": "7", "document": {"name": "x.txt", "content": "%%%"}}}),
        "application/json",
    )
    .await;
    assert_eq!(
        resp.json::<Value>().await.unwrap()["error"]["innererror"]["code"],
        "INVALID_PAYDETAILS_DOCUMENT"
    );
    let resp = post(json!({"data": {"period": "7"}}), "text/plain").await;
    assert_eq!(resp.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let state: Value = sim
        .http
        .get(format!("{}/_sim/state", sim.login()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(state["pay_details_posted"], 0);
    let resp = post(
        json!({"data": {"period": "7", "additionalFields": [{"target": "Document_Type__c", "value": "Payslip"}], "document": {"name": "Sample.txt", "content": "SGVsbG8="}}}),
        "application/json",
    )
    .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(
        body["data"]["document"],
        json!({"name": "Sample.txt"}),
        "content is write-only"
    );
    assert_eq!(body["data"]["employeeId"], emp);
    assert_eq!(body["version"], "4.8");
    let resp = sim
        .get(&token, &format!("{V4}/employees/{emp}/payDetails"))
        .await;
    assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn accept_header_wrong_path_and_missing_package() {
    let sim = start("healthy").await;
    let token = sim.access_token().await;
    let resp = sim
        .http
        .get(format!("{}{V4}/employees", sim.instance()))
        .bearer_auth(&token)
        .header("Accept", "application/xml")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_ACCEPTABLE);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["error"]["innererror"]["code"],
        "INVALID_ACCEPT_HEADER"
    );
    let resp = sim
        .get(&token, "/services/apexrest/spapi/v3/employees")
        .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        resp.json::<Value>().await.unwrap(),
        json!([{"message": "Could not find a match for URL /spapi/v3/employees", "errorCode": "NOT_FOUND"}])
    );
    let resp = sim.get(&token, "/services/apexrest/v4/employees").await;
    assert_eq!(
        resp.json::<Value>().await.unwrap()[0]["message"],
        "Could not find a match for URL /v4/employees"
    );

    let sim = start("package-not-installed").await;
    let token = sim.access_token().await;
    let resp = sim.get(&token, &format!("{V4}/employees")).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        resp.json::<Value>().await.unwrap(),
        json!([{"message": "Could not find a match for URL /spapi/v4/employees", "errorCode": "NOT_FOUND"}])
    );
    let (_, r) = sim
        .soql(
            &token,
            "SELECT NamespacePrefix FROM PackageLicense WHERE NamespacePrefix = 'spapi'",
        )
        .await;
    assert_eq!(r["totalSize"], 0);
}

#[tokio::test]
async fn absence_balance_calculation_off() {
    let mut sc = Scenario::load("healthy").unwrap();
    sc.data.absence_balance_calculation = false;
    let sim = start_with(sc).await;
    let token = sim.access_token().await;
    let resp = sim.get(&token, &format!("{V4}/absenceBalances")).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "SAGE_PEOPLE_CONFIGURATION");
    assert_eq!(
        body["error"]["innererror"]["code"],
        "ABSENCE_BALANCE_CALCULATION_NOT_ENABLED"
    );
}

#[tokio::test]
async fn faults_html_errors_latency_hang_truncation() {
    let sim = start("proxy-html").await;
    let token = sim.access_token().await;
    let resp = sim.get(&token, &format!("{V4}/employees")).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(resp.text().await.unwrap().contains("Web Page Blocked"));

    let sim = start("flaky-org").await;
    let token = sim.access_token().await;
    let mut failures = 0;
    for _ in 0..80 {
        let resp = sim.get(&token, &format!("{V4}/employees")).await;
        if resp.status() == StatusCode::SERVICE_UNAVAILABLE {
            failures += 1;
            assert_eq!(
                resp.json::<Value>().await.unwrap()[0]["errorCode"],
                "UNKNOWN_EXCEPTION"
            );
        } else {
            assert_eq!(resp.status(), StatusCode::OK);
        }
    }
    assert!(
        (8..=35).contains(&failures),
        "about a quarter fail: {failures}/80"
    );

    let sim = start("slow-org").await;
    let started = Instant::now();
    sim.http
        .get(format!("{}/services/data/", sim.login()))
        .send()
        .await
        .unwrap();
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(200), "{took:?}");

    let mut sc = Scenario::load("healthy").unwrap();
    sc.faults.hang_paths = vec!["/services/apexrest/".into()];
    sc.faults.truncate_paths = vec!["/services/data/v67.0/limits".into()];
    let sim = start_with(sc).await;
    let token = sim.access_token().await;
    let err = sim
        .http
        .get(format!("{}{V4}/employees", sim.instance()))
        .bearer_auth(&token)
        .timeout(Duration::from_millis(300))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err}");
    let resp = sim
        .http
        .get(format!("{}/services/data/v67.0/limits", sim.instance()))
        .bearer_auth(&token)
        .send()
        .await;
    let cut = match resp {
        Err(_) => true,
        Ok(r) => r.bytes().await.is_err(),
    };
    assert!(cut, "the body is cut off");
    sim.running.stop().await;
}
