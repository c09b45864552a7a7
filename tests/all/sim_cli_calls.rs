//! The Salesforce CLI's background calls against the simulated org over real HTTP: the
//! Organization query with `TrialExpirationDate`, semi-joins, `columns=true` on the Tooling
//! query, `/services/oauth2/singleaccess`, `/limits/recordCount`, and the audit fields
//! (`CreatedDate`, …) with date literals.

use crate::common::*;
use reqwest::StatusCode;
use sagediag::sim::Scenario;
use serde_json::Value;

const V: &str = "/services/data/v67.0";

async fn get(sim: &Sim, token: &str, path: &str, query: &[(&str, &str)]) -> (StatusCode, Value) {
    let resp = sim
        .http
        .get(format!("{}{path}", sim.instance()))
        .query(query)
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (resp.status(), resp.json().await.unwrap())
}

#[tokio::test]
async fn the_clis_background_queries_answer() {
    let mut sc = Scenario::load("healthy").unwrap();
    sc.users[0].view_setup = true;
    let sim = start_with(sc).await;
    let token = sim.access_token().await;

    let (status, org) = sim
        .soql(
            &token,
            "Select Id, Name, TrialExpirationDate from Organization",
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{org}");
    assert_eq!(org["totalSize"], 1);
    assert!(org["records"][0]["TrialExpirationDate"].is_null());
    assert!(org["records"][0].get("TrialExpirationDate").is_some());

    // A semi-join: the profiles that have users.
    let (status, semi) = sim
        .soql(
            &token,
            "SELECT Id, Name FROM Profile WHERE Id IN (SELECT ProfileId FROM User WHERE IsActive = true)",
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{semi}");
    assert!(semi["totalSize"].as_u64().unwrap() >= 1);
    let (status, anti) = sim
        .soql(
            &token,
            "SELECT Id FROM Profile WHERE Id NOT IN (SELECT ProfileId FROM User)",
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{anti}");
    assert_eq!(anti["totalSize"], 0);

    // columns=true on the Tooling query.
    let (status, cols) = get(
        &sim,
        &token,
        &format!("{V}/tooling/query"),
        &[
            (
                "q",
                "SELECT Id, SubscriberPackage.Name FROM InstalledSubscriberPackage",
            ),
            ("columns", "true"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{cols}");
    assert_eq!(cols["entityName"], "InstalledSubscriberPackage");
    assert_eq!(cols["columnMetadata"].as_array().unwrap().len(), 2);

    // The audit fields, with date literals, on User and a setup object.
    let (status, users) = sim
        .soql(
            &token,
            "SELECT Id, CreatedDate, LastModifiedDate, SystemModstamp FROM User WHERE CreatedDate < TOMORROW",
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{users}");
    let n_users = users["totalSize"].as_u64().unwrap();
    assert!(n_users >= 1);
    let created = users["records"][0]["CreatedDate"].as_str().unwrap();
    assert!(
        created.ends_with("+0000") && created.contains('T'),
        "{created}"
    );
    let (_, none) = sim
        .soql(&token, "SELECT Id FROM User WHERE CreatedDate > TOMORROW")
        .await;
    assert_eq!(none["totalSize"], 0);
    let (status, sets) = sim
        .soql(
            &token,
            "SELECT Id FROM PermissionSet WHERE LastModifiedDate = LAST_N_DAYS:36500",
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{sets}");
    assert!(sets["totalSize"].as_u64().unwrap() >= 1);
}

#[tokio::test]
async fn singleaccess_and_record_count() {
    let sim = start("healthy").await;
    let token = sim.access_token().await;

    for post in [false, true] {
        let url = format!("{}/services/oauth2/singleaccess", sim.instance());
        let req = if post {
            sim.http.post(&url)
        } else {
            sim.http.get(&url)
        };
        let resp = req.bearer_auth(&token).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        let body: Value = resp.json().await.unwrap();
        let uri = body["frontdoor_uri"].as_str().unwrap();
        assert!(
            uri.starts_with(&format!("{}/secur/frontdoor.jsp?otp=", sim.instance())),
            "{uri}"
        );
    }
    let resp = sim
        .http
        .get(format!("{}/services/oauth2/singleaccess", sim.instance()))
        .bearer_auth("not-a-token")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);

    let (status, counts) = get(
        &sim,
        &token,
        &format!("{V}/limits/recordCount"),
        &[("sObjects", "account,fHCM2__Team_Member__c,NoSuchObject")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{counts}");
    let list = counts["sObjects"].as_array().unwrap();
    assert_eq!(list.len(), 2, "{counts}");
    assert_eq!(list[0]["name"], "Account");
    assert_eq!(list[0]["count"], 2);
    assert_eq!(list[1]["name"], "fHCM2__Team_Member__c");
    assert_eq!(list[1]["count"], 300);
    let (_, all) = get(&sim, &token, &format!("{V}/limits/recordCount"), &[]).await;
    assert!(all["sObjects"].as_array().unwrap().len() > 3);
}

/// The admin's access token (a web-server login as the scenario's admin).
async fn admin_token(sim: &Sim) -> String {
    let admin = sim.running.info.admin_username.clone();
    sim.web_login_as(Some(&admin)).await["access_token"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn patch_on_an_sobject_collection_updates_each_record_or_none() {
    let sim = start("healthy").await;
    let admin = admin_token(&sim).await;
    let (_, logins) = sim
        .soql(&admin, "SELECT Id, UserId, IsFrozen FROM UserLogin")
        .await;
    let ids: Vec<String> = logins["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["Id"].as_str().unwrap().to_string())
        .collect();
    assert!(ids.len() >= 2, "{logins}");
    let patch = |body: Value| {
        let http = sim.http.clone();
        let url = format!("{}{V}/composite/sobjects", sim.instance());
        let admin = admin.clone();
        async move {
            let r = http
                .patch(url)
                .bearer_auth(admin)
                .json(&body)
                .send()
                .await
                .unwrap();
            (r.status(), r.json::<Value>().await.unwrap())
        }
    };
    let rec = |id: &str, field: &str| serde_json::json!({"attributes": {"type": "UserLogin"}, "id": id, field: true});

    // allOrNone: one bad record rolls the good one back.
    let (status, body) = patch(serde_json::json!({
        "allOrNone": true,
        "records": [rec(&ids[0], "IsFrozen"), rec(&ids[1], "NoSuchField")],
    }))
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body[0]["success"], false);
    assert_eq!(
        body[0]["errors"][0]["statusCode"],
        "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    );
    assert_eq!(body[1]["errors"][0]["statusCode"], "INVALID_FIELD");
    assert_eq!(frozen_count(&sim, &admin).await, 0);

    // Without allOrNone: the good record is updated, the bad one says why.
    let (status, body) = patch(serde_json::json!({
        "allOrNone": false,
        "records": [rec(&ids[0], "IsFrozen"), rec(&ids[1], "NoSuchField")],
    }))
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body[0],
        serde_json::json!({"id": ids[0], "success": true, "errors": []})
    );
    assert_eq!(body[1]["success"], false);
    assert_eq!(frozen_count(&sim, &admin).await, 1);

    // Over 200 records: refused whole.
    let many: Vec<Value> = (0..201).map(|_| rec(&ids[0], "IsFrozen")).collect();
    let (status, body) = patch(serde_json::json!({"records": many})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body[0]["errorCode"], "EXCEEDED_ID_LIMIT");
}

async fn frozen_count(sim: &Sim, admin: &str) -> u64 {
    let (_, v) = sim
        .soql(
            admin,
            "SELECT Id, IsFrozen FROM UserLogin WHERE IsFrozen = true",
        )
        .await;
    v["totalSize"].as_u64().unwrap()
}

#[tokio::test]
async fn repeated_slashes_are_collapsed_as_the_cli_sends_them() {
    let sim = start("healthy").await;
    let token = sim.access_token().await;
    for path in ["//services/data", "//services/data/v67.0//limits"] {
        let resp = sim
            .http
            .get(format!("{}{path}", sim.instance()))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
    }
}
