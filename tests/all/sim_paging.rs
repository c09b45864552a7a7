//! Query paging in the simulated org over real HTTP: batches, `nextRecordsUrl`,
//! `Sforce-Query-Options: batchSize`, `queryAll`, a stale locator, and the Sage People Team
//! Member object through SOQL.

use crate::common::*;
use reqwest::StatusCode;
use sagediag::sim::Scenario;
use serde_json::Value;

const Q: &str = "SELECT Id, Name, fHCM2__Employment_Status__c FROM fHCM2__Team_Member__c";

async fn get_json(sim: &Sim, token: &str, path: &str, batch: Option<&str>) -> (StatusCode, Value) {
    let mut req = sim
        .http
        .get(format!("{}{path}", sim.instance()))
        .bearer_auth(token);
    if let Some(b) = batch {
        req = req.header("Sforce-Query-Options", b);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap())
}

fn query_path(resource: &str, q: &str) -> String {
    let enc: String = url::form_urlencoded::byte_serialize(q.as_bytes()).collect();
    format!("/services/data/v67.0/{resource}?q={enc}")
}

#[tokio::test]
async fn team_members_page_in_batches_and_a_stale_locator_is_refused() {
    let mut sc = Scenario::load("healthy").unwrap();
    sc.data.employees = 4_500;
    let sim = start_with(sc).await;
    let token = sim.access_token().await;

    // Default batch: 2,000.
    let (status, first) = get_json(&sim, &token, &query_path("query", Q), None).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["totalSize"], 4_500);
    assert_eq!(first["done"], false);
    assert_eq!(first["records"].as_array().unwrap().len(), 2_000);
    assert_eq!(
        first["records"][0]["attributes"]["type"],
        "fHCM2__Team_Member__c"
    );
    let next = first["nextRecordsUrl"].as_str().unwrap().to_string();
    assert!(
        next.starts_with("/services/data/v67.0/query/01g") && next.ends_with("-2000"),
        "{next}"
    );

    // Follow every page: all rows, each id once, the last page done and without a next URL.
    let mut ids: Vec<String> = first["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["Id"].as_str().unwrap().to_string())
        .collect();
    let mut url = next.clone();
    loop {
        let (status, page) = get_json(&sim, &token, &url, None).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert_eq!(page["totalSize"], 4_500);
        ids.extend(
            page["records"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["Id"].as_str().unwrap().to_string()),
        );
        if page["done"] == true {
            assert!(page.get("nextRecordsUrl").is_none());
            break;
        }
        url = page["nextRecordsUrl"].as_str().unwrap().to_string();
    }
    assert_eq!(ids.len(), 4_500);
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 4_500);

    // The finished cursor is released: its locator is now stale.
    let (status, body) = get_json(&sim, &token, &next, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body[0]["errorCode"], "INVALID_QUERY_LOCATOR");
    assert_eq!(body[0]["message"], "invalid query locator");
    let (status, body) = get_json(
        &sim,
        &token,
        "/services/data/v67.0/query/01g5g0000000000AAA-2000",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body[0]["errorCode"], "INVALID_QUERY_LOCATOR");

    // batchSize is honoured within 200..2000; queryAll pages the same way.
    let (_, small) = get_json(
        &sim,
        &token,
        &query_path("queryAll", Q),
        Some("batchSize=500"),
    )
    .await;
    assert_eq!(small["records"].as_array().unwrap().len(), 500);
    assert!(small["nextRecordsUrl"].as_str().unwrap().ends_with("-500"));
    let (_, tiny) = get_json(&sim, &token, &query_path("query", Q), Some("batchSize=10")).await;
    assert_eq!(tiny["records"].as_array().unwrap().len(), 200);

    // A locator lapses after 15 minutes unused.
    let stale = tiny["nextRecordsUrl"].as_str().unwrap().to_string();
    sim.advance_clock(16 * 60).await;
    let (status, body) = get_json(&sim, &token, &stale, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body[0]["errorCode"], "INVALID_QUERY_LOCATOR");

    // A query within one batch is done at once; WHERE and COUNT() work on the object.
    let (_, few) = get_json(
        &sim,
        &token,
        &query_path(
            "query",
            "SELECT COUNT() FROM fHCM2__Team_Member__c WHERE fHCM2__Employment_Status__c = 'Active'",
        ),
        None,
    )
    .await;
    assert_eq!(few["done"], true);
    let active = few["totalSize"].as_u64().unwrap();
    assert!(active > 0 && active < 4_500, "{active}");
}

#[tokio::test]
async fn team_members_are_invisible_without_the_employees_permission_set() {
    let mut sc = Scenario::load("healthy").unwrap();
    for u in &mut sc.users {
        u.permission_sets.clear();
        u.permission_sets_via_group.clear();
    }
    let sim = start_with(sc).await;
    let token = sim.access_token().await;
    let (status, body) = get_json(&sim, &token, &query_path("query", Q), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body[0]["errorCode"], "INVALID_TYPE");
}
