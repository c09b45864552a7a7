//! The SOQL subset against what Salesforce answers.

use super::*;
use serde_json::json;

fn tables() -> Vec<Table> {
    vec![Table {
        name: "PermissionSetAssignment",
        fields: &[
            "Id",
            "AssigneeId",
            "PermissionSet.Name",
            "PermissionSet.Label",
        ],
        rows: vec![
            json!({"Id": "0Pa1", "AssigneeId": "005AAAAAAAAAAAAAAA", "PermissionSet": {"__type": "PermissionSet", "Id": "0PS1", "Name": "A", "Label": "Alpha"}}),
            json!({"Id": "0Pa2", "AssigneeId": "005BBBBBBBBBBBBBBB", "PermissionSet": {"__type": "PermissionSet", "Id": "0PS2", "Name": "B", "Label": "Beta"}}),
        ],
    }]
}

#[test]
fn selects_filters_and_nests_relationships() {
    let r = run(
        "SELECT PermissionSet.Name, permissionset.label FROM PermissionSetAssignment WHERE AssigneeId = '005AAAAAAAAAAAA'",
        &tables(),
        "/services/data/v67.0",
    )
    .unwrap();
    assert_eq!(r["totalSize"], 1);
    assert_eq!(r["records"][0]["PermissionSet"]["Label"], "Alpha");
    assert_eq!(
        r["records"][0]["PermissionSet"]["attributes"]["type"],
        "PermissionSet"
    );
    assert!(r["records"][0]["PermissionSet"].get("__type").is_none());
}

#[test]
fn errors_are_salesforce_shaped() {
    let t = tables();
    let e = run("SELECT Id FROM Nope", &t, "/x").unwrap_err();
    assert_eq!(e.code, "INVALID_TYPE");
    assert!(
        e.message
            .contains("ERROR at Row:1:Column:16\nsObject type 'Nope' is not supported.")
    );
    let e = run("SELECT Foo FROM PermissionSetAssignment", &t, "/x").unwrap_err();
    assert_eq!(e.code, "INVALID_FIELD");
    assert!(
        e.message
            .contains("No such column 'Foo' on entity 'PermissionSetAssignment'")
    );
    assert_eq!(
        run("SELECT FROM x", &t, "/x").unwrap_err().code,
        "MALFORMED_QUERY"
    );
    assert_eq!(
        run("SELECT Id FROM PermissionSetAssignment WHERE", &t, "/x")
            .unwrap_err()
            .code,
        "MALFORMED_QUERY"
    );
}

fn org() -> Vec<Table> {
    vec![
        Table {
            name: "User",
            fields: &[
                "Id",
                "Name",
                "IsActive",
                "ProfileId",
                "CreatedDate",
                "Logins",
            ],
            rows: vec![
                json!({"Id": "005A00000000001AAA", "Name": "José Ébrd-Muñoz", "IsActive": true, "ProfileId": "00eP1", "CreatedDate": "2026-11-20T10:00:00.000+0000", "Logins": 5}),
                json!({"Id": "005A00000000002AAA", "Name": "Zoë Adams", "IsActive": false, "ProfileId": "00eP1", "CreatedDate": "2020-01-01T10:00:00.000+0000", "Logins": 1}),
                json!({"Id": "005A00000000003AAA", "Name": "Ann Lee", "IsActive": true, "ProfileId": "00eP2", "CreatedDate": null, "Logins": 9}),
            ],
        },
        Table {
            name: "PermissionSetAssignment",
            fields: &["Id", "AssigneeId", "PermissionSet.Name"],
            rows: vec![
                json!({"Id": "0Pa1", "AssigneeId": "005A00000000001AAA", "PermissionSet": {"__type": "PermissionSet", "Id": "0PS1", "Name": "A"}}),
                json!({"Id": "0Pa2", "AssigneeId": "005A00000000001AAA", "PermissionSet": {"__type": "PermissionSet", "Id": "0PS2", "Name": "B"}}),
            ],
        },
    ]
}

/// 2026-11-24.
const TODAY: i64 = 20_781;

fn q(text: &str) -> Result<Value, SoqlError> {
    run_at(text, &org(), "/services/data/v67.0", TODAY)
}

#[test]
fn dates_round_trip() {
    assert_eq!(day_str(TODAY), "2026-11-24");
    assert_eq!(parse_date("2026-11-24T00:00:00Z"), Some(TODAY));
    assert_eq!(parse_date("2026-13-01"), None);
    assert_eq!(parse_date("é"), None);
}

#[test]
fn count_group_by_like_or_and_date_literals() {
    assert_eq!(q("SELECT count() FROM User").unwrap()["totalSize"], 3);
    assert_eq!(
        q("SELECT COUNT() FROM User WHERE IsActive = true").unwrap()["totalSize"],
        2
    );
    let r =
        q("SELECT ProfileId, COUNT(Id) n FROM User GROUP BY ProfileId ORDER BY ProfileId").unwrap();
    assert_eq!(
        r["records"][0],
        json!({"attributes": {"type": "AggregateResult"}, "ProfileId": "00eP1", "n": 2})
    );
    let r = q("SELECT COUNT(Id), MAX(Logins), SUM(Logins) FROM User").unwrap();
    assert_eq!(r["records"][0]["expr0"], 3);
    assert_eq!(r["records"][0]["expr1"], 9);
    assert_eq!(r["records"][0]["expr2"], 15.0);
    assert_eq!(
        q("SELECT Id FROM User WHERE Name LIKE 'jos%'").unwrap()["totalSize"],
        1
    );
    assert_eq!(
        q("SELECT Id FROM User WHERE Name LIKE '%muñoz'").unwrap()["totalSize"],
        1
    );
    assert_eq!(
        q("SELECT Id FROM User WHERE Name LIKE '_oë%'").unwrap()["totalSize"],
        1
    );
    assert_eq!(
        q("SELECT Id FROM User WHERE IsActive = false OR Logins > 8").unwrap()["totalSize"],
        2
    );
    assert_eq!(
        q("SELECT Id FROM User WHERE (IsActive = false OR Logins > 8) AND NOT Name = 'Ann Lee'")
            .unwrap()["totalSize"],
        1
    );
    assert_eq!(
        q("SELECT Id FROM User WHERE CreatedDate = LAST_N_DAYS:7").unwrap()["totalSize"],
        1
    );
    assert_eq!(
        q("SELECT Id FROM User WHERE CreatedDate < 2021-01-01").unwrap()["totalSize"],
        1
    );
    assert_eq!(
        q("SELECT Id FROM User WHERE CreatedDate = TODAY").unwrap()["totalSize"],
        0
    );
    assert_eq!(
        q("SELECT Id FROM User WHERE CreatedDate = THIS_YEAR").unwrap()["totalSize"],
        1
    );
    let r =
        q("SELECT Name FROM User ORDER BY CreatedDate DESC NULLS LAST LIMIT 2 OFFSET 1").unwrap();
    assert_eq!(r["records"][0]["Name"], "Zoë Adams");
    assert_eq!(r["records"][1]["Name"], "Ann Lee");
    assert_eq!(r["totalSize"], 2);
}

#[test]
fn parent_child_subqueries() {
    let r = q("SELECT Name, (SELECT PermissionSet.Name FROM PermissionSetAssignments ORDER BY PermissionSet.Name DESC) FROM User ORDER BY Name").unwrap();
    assert_eq!(r["records"][0]["Name"], "Ann Lee");
    assert!(r["records"][0]["PermissionSetAssignments"].is_null());
    let jose = &r["records"][1]["PermissionSetAssignments"];
    assert_eq!(jose["totalSize"], 2);
    assert_eq!(jose["records"][0]["PermissionSet"]["Name"], "B");
    assert_eq!(
        jose["records"][0]["attributes"]["type"],
        "PermissionSetAssignment"
    );
    let e = q("SELECT Id, (SELECT Id FROM Nopes) FROM User").unwrap_err();
    assert_eq!(e.code, "INVALID_TYPE");
    assert!(
        e.message.contains("Didn't understand relationship 'Nopes'"),
        "{}",
        e.message
    );
}

#[test]
fn what_stays_unsupported_is_malformed() {
    for bad in [
        "SELECT Id FROM User WHERE IsActive = true AND Logins > 1 OR Name = 'x'",
        "SELECT Id FROM User WITH SECURITY_ENFORCED",
        "SELECT Id, COUNT() FROM User",
        "SELECT Name, COUNT(Id) FROM User",
        "SELECT FIELDS(ALL) FROM User",
        "SELECT Id FROM User WHERE CreatedDate = NEXT_FORTNIGHT",
        "SELECT Id FROM User WHERE Name = 'x",
        "SELECT Id FROM User GROUP BY ProfileId HAVING COUNT(Id) > 1",
    ] {
        let e = q(bad).unwrap_err();
        assert_eq!(e.code, "MALFORMED_QUERY", "{bad}");
        assert!(
            e.message.contains("ERROR at Row:1:Column:"),
            "{bad}: {}",
            e.message
        );
    }
    let e = q("SELECT Name, COUNT(Id) FROM User").unwrap_err();
    assert!(
        e.message
            .contains("Field must be grouped or aggregated: Name")
    );
}
