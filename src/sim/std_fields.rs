//! The audit fields every Salesforce object has — `CreatedDate`, `LastModifiedDate`,
//! `SystemModstamp` — on every queryable object of the simulated org that does not carry its
//! own. Their values are the simulated org's setup time (a fixed instant, a guess: the org
//! has no history before its scenario), so that `WHERE CreatedDate < TOMORROW` and the like
//! answer as on a real org.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use serde_json::Value;

use super::soql::Table;

pub const AUDIT_FIELDS: [&str; 3] = ["CreatedDate", "LastModifiedDate", "SystemModstamp"];

/// When the simulated org's records were made (the same instant as the scenario's assignments).
pub const SETUP_STAMP: &str = "2025-01-06T09:00:00.000+0000";

/// Each field list with the audit fields added, made once per list. The key is the static
/// list's address and length (an object may have more than one list, as
/// `ExtlClntAppOauthSettings` has by scenario shape): a handful of lists, so bounded.
type Key = (&'static str, usize, usize);
static EXTENDED: LazyLock<Mutex<HashMap<Key, &'static [&'static str]>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

fn extended(t: &Table) -> &'static [&'static str] {
    let mut map = EXTENDED.lock().unwrap_or_else(|e| e.into_inner());
    let key = (t.name, t.fields.as_ptr() as usize, t.fields.len());
    map.entry(key).or_insert_with(|| {
        let mut v: Vec<&'static str> = t.fields.to_vec();
        for f in AUDIT_FIELDS {
            if !v.iter().any(|x| x.eq_ignore_ascii_case(f)) {
                v.push(f);
            }
        }
        Vec::leak(v)
    })
}

/// Adds the audit fields to each table (and row) that lacks them.
pub fn add(tables: &mut [Table]) {
    for t in tables.iter_mut() {
        if AUDIT_FIELDS
            .iter()
            .all(|f| t.fields.iter().any(|x| x.eq_ignore_ascii_case(f)))
        {
            continue;
        }
        t.fields = extended(t);
        for row in &mut t.rows {
            if let Some(m) = row.as_object_mut() {
                let stamp = m
                    .get("SystemModstamp")
                    .or_else(|| m.get("CreatedDate"))
                    .cloned()
                    .unwrap_or_else(|| Value::from(SETUP_STAMP));
                for f in AUDIT_FIELDS {
                    m.entry(f).or_insert_with(|| stamp.clone());
                }
            }
        }
    }
}
