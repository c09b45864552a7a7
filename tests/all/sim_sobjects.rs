//! sObject resources and `?columns=true` over the objects the simulated org has.

use crate::common::*;
use reqwest::StatusCode;
use serde_json::Value;

const V: &str = "/services/data/v67.0";

async fn get_json(sim: &Sim, token: &str, path: &str) -> (StatusCode, Value) {
    let resp = sim.get(token, path).await;
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn describe_global_basic_describe_and_records() {
    let sim = start("healthy").await;
    let token = sim.access_token().await;
    let (status, global) = get_json(&sim, &token, &format!("{V}/sobjects")).await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<&str> = global["sobjects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    for n in [
        "User",
        "Organization",
        "Profile",
        "PermissionSet",
        "PermissionSetAssignment",
        "Account",
    ] {
        assert!(names.contains(&n), "{n} in {names:?}");
    }
    let user = global["sobjects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "User")
        .unwrap();
    assert_eq!(user["keyPrefix"], "005");
    assert_eq!(
        user["urls"]["describe"],
        format!("{V}/sobjects/User/describe")
    );

    let (status, basic) = get_json(&sim, &token, &format!("{V}/sobjects/User")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(basic["objectDescribe"]["name"], "User");
    assert!(basic["recentItems"].is_array());

    let (status, d) = get_json(&sim, &token, &format!("{V}/sobjects/user/describe")).await;
    assert_eq!(status, StatusCode::OK);
    let fields = d["fields"].as_array().unwrap();
    let id = fields.iter().find(|f| f["name"] == "Id").unwrap();
    assert_eq!(id["type"], "id");
    let active = fields.iter().find(|f| f["name"] == "IsActive").unwrap();
    assert_eq!(active["type"], "boolean");

    // A record, all fields or those asked for.
    let (_, q) = sim.soql(&token, "SELECT Id FROM User").await;
    let uid = q["records"][0]["Id"].as_str().unwrap().to_string();
    let (status, rec) = get_json(&sim, &token, &format!("{V}/sobjects/User/{uid}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(rec["Id"], uid.as_str());
    assert_eq!(rec["attributes"]["type"], "User");
    assert!(rec["Username"].is_string());
    let (status, rec) = get_json(
        &sim,
        &token,
        &format!("{V}/sobjects/User/{}?fields=Username,IsActive", &uid[..15]),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{rec}");
    assert_eq!(rec.as_object().unwrap().len(), 3, "{rec}");

    // Salesforce's errors.
    let (status, e) = get_json(&sim, &token, &format!("{V}/sobjects/Nope/describe")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(e[0]["errorCode"], "NOT_FOUND");
    let (status, e) = get_json(
        &sim,
        &token,
        &format!("{V}/sobjects/User/005000000000000AAA"),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(e[0]["message"], "The requested resource does not exist");
    let (status, e) = get_json(
        &sim,
        &token,
        &format!("{V}/sobjects/User/{uid}?fields=Nope"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(e[0]["errorCode"], "INVALID_FIELD");
    // Organization and Account are queryable too.
    let (status, o) = sim
        .soql(&token, "SELECT Id, Name, IsSandbox FROM Organization")
        .await;
    assert_eq!(status, StatusCode::OK, "{o}");
    assert_eq!(o["records"][0]["IsSandbox"], false);
    let (status, a) = sim.soql(&token, "SELECT Name FROM Account").await;
    assert_eq!(status, StatusCode::OK, "{a}");
    assert_eq!(a["totalSize"], 2);
}

#[tokio::test]
async fn columns_true_gives_the_cli_column_metadata() {
    let sim = start("healthy").await;
    let token = sim.access_token().await;
    let resp = sim
        .http
        .get(format!("{}{V}/query", sim.instance()))
        .query(&[
            ("q", "SELECT Id, Name, Profile.Name, Profile.Id FROM User"),
            ("columns", "true"),
        ])
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let c: Value = resp.json().await.unwrap();
    assert_eq!(c["entityName"], "User");
    assert_eq!(c["keyPrefix"], "005");
    assert_eq!(c["idSelected"], true);
    assert_eq!(c["groupBy"], false);
    let cols = c["columnMetadata"].as_array().unwrap();
    assert_eq!(cols.len(), 3, "{c}");
    assert_eq!(cols[0]["columnName"], "Id");
    assert_eq!(cols[0]["aggregate"], false);
    let profile = &cols[2];
    assert_eq!(profile["columnName"], "Profile");
    let joins = profile["joinColumns"].as_array().unwrap();
    assert_eq!(joins.len(), 2);
    assert_eq!(joins[0]["columnName"], "Name");
    assert_eq!(joins[0]["displayName"], "Profile.Name");
    // Errors as for the query itself.
    let resp = sim
        .http
        .get(format!("{}{V}/query", sim.instance()))
        .query(&[("q", "SELECT Id FROM Nope"), ("columns", "true")])
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        resp.json::<Value>().await.unwrap()[0]["errorCode"],
        "INVALID_TYPE"
    );
}
