//! Field coverage for downstream sync: pages through `/employees` (every page, up to a limit)
//! and counts, per field of the employee record, how many records have it populated; finds
//! missing and duplicate emails (a sync key must be unique) and leavers still holding a work
//! email. Memory is bounded: one page at a time, and one 8-byte hash per distinct email.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};

use serde::Serialize;
use serde_json::Value;

use super::classify;
use super::http::Request;
use super::{Run, SAGE_BASE, Tokens};

/// The employee fields a sync loads (`../shared/reference/integrations.md`), as API paths.
pub const FIELDS: [(&str, &str); 19] = [
    ("ID", "id"),
    ("Full Name", "fullName"),
    ("First Name", "firstName"),
    ("Last Name", "lastName"),
    ("Email", "emailAddress"),
    ("HR Department", "hrDepartment"),
    ("Job Title", "currentEmployment.jobTitle"),
    ("Employment Name", "currentEmployment.name"),
    ("Employment Active", "currentEmployment.active"),
    ("Start Date", "currentEmployment.startDate"),
    ("End Date", "currentEmployment.endDate"),
    ("Work Location", "workAddress.name"),
    ("Address line 1", "workAddress.line1"),
    ("Address line 2", "workAddress.line2"),
    ("Address line 3", "workAddress.line3"),
    ("City", "workAddress.city"),
    ("Region", "workAddress.region"),
    ("Postal Code", "workAddress.postalCode"),
    ("Country", "workAddress.country"),
];

#[derive(Debug, Clone, Serialize)]
pub struct FieldCount {
    pub label: &'static str,
    pub path: &'static str,
    pub populated: u64,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct Coverage {
    pub employees: u64,
    pub pages: u64,
    /// Stopped at the limit before the last page.
    pub limited: bool,
    /// Why paging stopped early, if it did.
    pub stopped: Option<String>,
    pub fields: Vec<FieldCount>,
    pub missing_email: u64,
    /// Distinct emails held by more than one record, and the records holding them.
    pub duplicate_emails: u64,
    pub records_with_duplicate_email: u64,
    pub leavers: u64,
    pub leavers_with_email: u64,
    /// Up to five example record ids per problem (ids only: no personal data).
    pub examples_missing_email: Vec<String>,
    pub examples_duplicate_email: Vec<String>,
    pub examples_leaver_with_email: Vec<String>,
}

impl Coverage {
    /// The share of employees with a field populated, in percent.
    pub fn percent(&self, populated: u64) -> f64 {
        if self.employees == 0 {
            0.0
        } else {
            populated as f64 * 100.0 / self.employees as f64
        }
    }
}

fn populated(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.trim().is_empty(),
        _ => true,
    }
}

fn get<'a>(r: &'a Value, path: &str) -> &'a Value {
    path.split('.')
        .fold(r, |v, p| v.get(p).unwrap_or(&Value::Null))
}

/// Accumulates records one page at a time.
#[derive(Default)]
pub struct Tally {
    pub c: Coverage,
    counts: [u64; FIELDS.len()],
    emails: HashMap<u64, (u32, String)>,
}

impl Tally {
    pub fn add(&mut self, r: &Value) {
        self.c.employees += 1;
        for (i, (_, path)) in FIELDS.iter().enumerate() {
            if populated(get(r, path)) {
                self.counts[i] += 1;
            }
        }
        let id = r["id"].as_str().unwrap_or_default().to_string();
        let email = r["emailAddress"]
            .as_str()
            .map(|e| e.trim().to_lowercase())
            .filter(|e| !e.is_empty());
        let leaver = get(r, "currentEmployment.active") == &Value::Bool(false);
        if leaver {
            self.c.leavers += 1;
        }
        match email {
            None => {
                self.c.missing_email += 1;
                if self.c.examples_missing_email.len() < 5 {
                    self.c.examples_missing_email.push(id);
                }
            }
            Some(e) => {
                if leaver {
                    self.c.leavers_with_email += 1;
                    if self.c.examples_leaver_with_email.len() < 5 {
                        self.c.examples_leaver_with_email.push(id.clone());
                    }
                }
                let mut h = DefaultHasher::new();
                e.hash(&mut h);
                let entry = self.emails.entry(h.finish()).or_insert((0, String::new()));
                entry.0 += 1;
                if entry.0 == 1 {
                    entry.1 = id;
                } else if self.c.examples_duplicate_email.len() < 5 {
                    if entry.0 == 2 {
                        self.c.examples_duplicate_email.push(entry.1.clone());
                    }
                    self.c.examples_duplicate_email.push(id);
                }
            }
        }
    }

    pub fn finish(mut self) -> Coverage {
        self.c.fields = FIELDS
            .iter()
            .zip(self.counts)
            .map(|((label, path), n)| FieldCount {
                label,
                path,
                populated: n,
            })
            .collect();
        for (n, _) in self.emails.values().filter(|(n, _)| *n > 1) {
            self.c.duplicate_emails += 1;
            self.c.records_with_duplicate_email += u64::from(*n);
        }
        self.c.examples_duplicate_email.truncate(5);
        self.c
    }
}

/// Pages through `/employees` up to `limit` records.
pub async fn coverage(run: &mut Run, tokens: &Tokens, limit: u64) -> Coverage {
    let mut tally = Tally::default();
    let mut marker: Option<String> = None;
    let base = format!("{}{SAGE_BASE}/employees", tokens.instance_url);
    loop {
        if tally.c.employees >= limit {
            tally.c.limited = true;
            break;
        }
        let url = match &marker {
            Some(m) => format!(
                "{base}?marker={}",
                url::form_urlencoded::byte_serialize(m.as_bytes()).collect::<String>()
            ),
            None => base.clone(),
        };
        let req = Request::get(url)
            .bearer(&tokens.access_token)
            .header("Accept", "application/json")
            .without_body_in_log();
        let (id, result) = run.client.send(req).await;
        let resp = match result {
            Ok(r) => r,
            Err(f) => {
                let finding = classify::failure(&f, id);
                tally.c.stopped = Some(format!(
                    "page {} failed: {}",
                    tally.c.pages + 1,
                    finding.detail
                ));
                run.raise(classify::as_warning(finding));
                break;
            }
        };
        if resp.status == 204 {
            break;
        }
        let data = match resp
            .json()
            .filter(|_| resp.status == 200)
            .and_then(|v| v.get("data").and_then(Value::as_array).cloned())
        {
            Some(d) => d,
            None => {
                let finding = classify::api_error(&resp, Some("Sage People Employees API"));
                tally.c.stopped = Some(format!(
                    "page {} failed: {}",
                    tally.c.pages + 1,
                    finding.detail
                ));
                run.raise(classify::as_warning(finding));
                break;
            }
        };
        tally.c.pages += 1;
        if data.is_empty() {
            break;
        }
        let room = (limit - tally.c.employees) as usize;
        for r in data.iter().take(room) {
            tally.add(r);
        }
        let last = data
            .last()
            .and_then(|r| r["id"].as_str())
            .map(str::to_string);
        if last.is_none() || last == marker {
            tally.c.stopped = Some("the marker did not advance".into());
            break;
        }
        marker = last;
    }
    tally.finish()
}
