//! The Sage People Team Member object (`fHCM2__Team_Member__c`) through SOQL: the record behind
//! the `spapi/v4/employees` endpoint, one row per simulated employee, same id. Field names are
//! the managed package's (`../shared/reference/sage-people-api.md`, "Team Member fields").
//! Who may read it: a user the Sage People Employees API permission set is granted to (a
//! guess: the set is what grants the object in the simulated org); anyone else gets
//! `INVALID_TYPE`, as Salesforce answers for an object the user cannot read.

use serde_json::{Value, json};

use super::data::Entity;
use super::scenario::PermissionSetDef;
use super::soql::Table;
use super::state::Org;

pub const OBJECT: &str = "fHCM2__Team_Member__c";
pub const OBJECT_LOWER: &str = "fhcm2__team_member__c";

const FIELDS: &[&str] = &[
    "Id",
    "Name",
    "fHCM2__First_Name__c",
    "fHCM2__Surname__c",
    "fHCM2__Email__c",
    "fHCM2__Unique_Id__c",
    "fHCM2__Job_Title__c",
    "fHCM2__Department__c",
    "fHCM2__Employment_Status__c",
    "fHCM2__Hire_Date__c",
    "fHCM2__End_Date__c",
    "CreatedDate",
    "LastModifiedDate",
    "SystemModstamp",
];

/// The table, if `user` may read the object.
pub fn table(org: &Org, user: usize) -> Option<Table> {
    let def = PermissionSetDef::for_endpoint("employees")?;
    if !org.has_permission_set(user, def) {
        return None;
    }
    let cfg = &org.scenario.data;
    let n = Entity::Employees.count(cfg);
    let rows = (0..n)
        .map(|i| row(&Entity::Employees.record(cfg, i)))
        .collect();
    Some(Table {
        name: OBJECT,
        fields: FIELDS,
        rows,
    })
}

/// A Team Member row from the employee record the Sage People API serves.
fn row(e: &Value) -> Value {
    let job = &e["currentEmployment"];
    let start = job["startDate"].as_str().unwrap_or("2020-01-01");
    let stamp = format!("{start}T09:00:00.000+0000");
    let status = if job["active"] == false {
        "Leaver"
    } else {
        "Active"
    };
    json!({
        "Id": e["id"],
        "Name": e["fullName"],
        "fHCM2__First_Name__c": e["firstName"],
        "fHCM2__Surname__c": e["lastName"],
        "fHCM2__Email__c": e["emailAddress"],
        "fHCM2__Unique_Id__c": e["additionalFields"][0]["value"],
        "fHCM2__Job_Title__c": job["jobTitle"],
        "fHCM2__Department__c": e["hrDepartment"],
        "fHCM2__Employment_Status__c": status,
        "fHCM2__Hire_Date__c": job["startDate"],
        "fHCM2__End_Date__c": job["endDate"],
        "CreatedDate": stamp,
        "LastModifiedDate": stamp,
        "SystemModstamp": stamp,
    })
}
