//! Field coverage for downstream sync: pages through `/employees` (every page, up to a limit)
//! and counts, per field of the employee record, how many records have it populated; finds
//! missing and duplicate emails (a sync key must be unique) and leavers still holding a work
//! email. Memory is bounded: one page at a time, and one 8-byte hash per distinct email.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, DefaultHasher, Hasher};

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::classify;
use super::http::Request;
use super::model::{SAGE_BASE, Tokens};
use super::run::Run;

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

/// What coverage needs of one field's value: populated (not null, not a blank string), and
/// whether it is the boolean `false` (a leaver's `active`). Nested content is skipped, never built.
#[derive(Debug, Default, Clone, Copy)]
struct Field {
    populated: bool,
    is_false: bool,
}

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Field, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Field;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_bool<E>(self, b: bool) -> Result<Field, E> {
                Ok(Field {
                    populated: true,
                    is_false: !b,
                })
            }
            fn visit_i64<E>(self, _: i64) -> Result<Field, E> {
                Ok(Field::set())
            }
            fn visit_u64<E>(self, _: u64) -> Result<Field, E> {
                Ok(Field::set())
            }
            fn visit_f64<E>(self, _: f64) -> Result<Field, E> {
                Ok(Field::set())
            }
            fn visit_str<E>(self, s: &str) -> Result<Field, E> {
                Ok(Field {
                    populated: !s.trim().is_empty(),
                    is_false: false,
                })
            }
            fn visit_unit<E>(self) -> Result<Field, E> {
                Ok(Field::default())
            }
            fn visit_none<E>(self) -> Result<Field, E> {
                Ok(Field::default())
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Field, D::Error> {
                Field::deserialize(d)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Field, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Field::set())
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Field, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Field::set())
            }
        }
        d.deserialize_any(V)
    }
}

impl Field {
    fn set() -> Field {
        Field {
            populated: true,
            is_false: false,
        }
    }
}

/// A field whose text coverage needs (id, email): borrowed from the page when it can be.
#[derive(Debug, Default)]
enum Text<'a> {
    #[default]
    Null,
    Str(Cow<'a, str>),
    /// Populated, but not a string.
    Other,
}

impl<'a> Text<'a> {
    fn populated(&self) -> bool {
        match self {
            Text::Null => false,
            Text::Str(s) => !s.trim().is_empty(),
            Text::Other => true,
        }
    }
    fn as_str(&self) -> Option<&str> {
        match self {
            Text::Str(s) => Some(s),
            _ => None,
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Text<'a>, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Text<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Text<'a>, E> {
                Ok(Text::Str(Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Text<'a>, E> {
                Ok(Text::Str(Cow::Owned(s.to_string())))
            }
            fn visit_string<E>(self, s: String) -> Result<Text<'a>, E> {
                Ok(Text::Str(Cow::Owned(s)))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Text<'a>, E> {
                Ok(Text::Other)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Text<'a>, E> {
                Ok(Text::Other)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Text<'a>, E> {
                Ok(Text::Other)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Text<'a>, E> {
                Ok(Text::Other)
            }
            fn visit_unit<E>(self) -> Result<Text<'a>, E> {
                Ok(Text::Null)
            }
            fn visit_none<E>(self) -> Result<Text<'a>, E> {
                Ok(Text::Null)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Text<'a>, D::Error> {
                Text::deserialize(d)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Text<'a>, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Text::Other)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Text<'a>, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Text::Other)
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// An object read as `T`, or `T::default()` when the value is not an object (as a path lookup
/// into a non-object finds nothing).
#[derive(Debug, Default)]
struct Lenient<T>(T);

impl<'de, T: Deserialize<'de> + Default> Deserialize<'de> for Lenient<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Lenient<T>, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de> + Default> Visitor<'de> for V<T> {
            type Value = Lenient<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Lenient<T>, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map)).map(Lenient)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Lenient<T>, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Lenient(T::default()))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Lenient<T>, D::Error> {
                Lenient::deserialize(d)
            }
            fn visit_none<E>(self) -> Result<Lenient<T>, E> {
                Ok(Lenient(T::default()))
            }
            fn visit_unit<E>(self) -> Result<Lenient<T>, E> {
                Ok(Lenient(T::default()))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Lenient<T>, E> {
                Ok(Lenient(T::default()))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Lenient<T>, E> {
                Ok(Lenient(T::default()))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Lenient<T>, E> {
                Ok(Lenient(T::default()))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Lenient<T>, E> {
                Ok(Lenient(T::default()))
            }
            fn visit_str<E>(self, _: &str) -> Result<Lenient<T>, E> {
                Ok(Lenient(T::default()))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// `currentEmployment`: only the fields coverage counts.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct Employment {
    job_title: Field,
    name: Field,
    active: Field,
    start_date: Field,
    end_date: Field,
}

/// `workAddress`: only the fields coverage counts.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct Address {
    name: Field,
    line1: Field,
    line2: Field,
    line3: Field,
    city: Field,
    region: Field,
    postal_code: Field,
    country: Field,
}

/// One employee record, as coverage reads it (every other field is skipped unparsed).
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Employee<'a> {
    #[serde(borrow)]
    id: Text<'a>,
    full_name: Field,
    first_name: Field,
    last_name: Field,
    #[serde(borrow)]
    email_address: Text<'a>,
    hr_department: Field,
    current_employment: Lenient<Employment>,
    work_address: Lenient<Address>,
}

impl Employee<'_> {
    /// Populated or not, in the order of [`FIELDS`].
    fn populated(&self) -> [bool; FIELDS.len()] {
        let e = &self.current_employment.0;
        let a = &self.work_address.0;
        [
            self.id.populated(),
            self.full_name.populated,
            self.first_name.populated,
            self.last_name.populated,
            self.email_address.populated(),
            self.hr_department.populated,
            e.job_title.populated,
            e.name.populated,
            e.active.populated,
            e.start_date.populated,
            e.end_date.populated,
            a.name.populated,
            a.line1.populated,
            a.line2.populated,
            a.line3.populated,
            a.city.populated,
            a.region.populated,
            a.postal_code.populated,
            a.country.populated,
        ]
    }
}

/// One page of `/employees`: its records, borrowing from the body.
#[derive(Deserialize)]
struct Page<'a> {
    #[serde(borrow)]
    data: Vec<Lenient<Employee<'a>>>,
}

/// A `u64` that is already a hash, used as its own hash.
#[derive(Default)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type HashBuild = BuildHasherDefault<PassThrough>;

/// A 64-bit hash of an email, trimmed and lower-cased (no allocation for ASCII emails). Two
/// distinct emails collide with probability about n²/2⁶⁵: one in 30 million at a million emails.
fn email_hash(email: &str) -> u64 {
    let e = email.trim();
    let mut h = DefaultHasher::new();
    let mut buf = [0u8; 128];
    if e.is_ascii() && e.len() <= buf.len() {
        let lower = &mut buf[..e.len()];
        lower.copy_from_slice(e.as_bytes());
        lower.make_ascii_lowercase();
        h.write(lower);
    } else {
        h.write(e.to_lowercase().as_bytes());
    }
    h.finish()
}

/// Pages logged one by one before the rest are folded into summary entries.
const KEEP_PAGES: u64 = 10;

/// Up to five example ids per problem.
const EXAMPLES: usize = 5;

/// Accumulates records one page at a time, in memory bounded by the number of distinct emails
/// (8 bytes each, plus the hash table's overhead) and constant CPU per record.
#[derive(Default)]
pub struct Tally {
    pub c: Coverage,
    counts: [u64; FIELDS.len()],
    /// Hashes of every email seen.
    seen: HashSet<u64, HashBuild>,
    /// Hashes of the emails seen more than once, and how many records hold each.
    shared: HashMap<u64, u32, HashBuild>,
    /// The previous record's email hash and id: a duplicate's first holder is often the
    /// record just before it, and then it is named among the examples too.
    previous: Option<u64>,
    previous_id: String,
}

impl Tally {
    /// Adds one record given as a JSON value.
    pub fn add(&mut self, r: &Value) {
        let e = Lenient::<Employee>::deserialize(r).unwrap_or_default();
        self.add_employee(&e.0);
    }

    /// Adds one record.
    pub fn add_employee(&mut self, r: &Employee<'_>) {
        self.c.employees += 1;
        for (n, p) in self.counts.iter_mut().zip(r.populated()) {
            *n += u64::from(p);
        }
        let id = r.id.as_str().unwrap_or_default();
        let email = r.email_address.as_str().filter(|e| !e.trim().is_empty());
        let leaver = r.current_employment.0.active.is_false;
        if leaver {
            self.c.leavers += 1;
        }
        let example = |list: &mut Vec<String>, id: &str| {
            if list.len() < EXAMPLES && !list.iter().any(|x| x == id) {
                list.push(id.to_string());
            }
        };
        let Some(email) = email else {
            self.c.missing_email += 1;
            example(&mut self.c.examples_missing_email, id);
            self.previous = None;
            return;
        };
        if leaver {
            self.c.leavers_with_email += 1;
            example(&mut self.c.examples_leaver_with_email, id);
        }
        let h = email_hash(email);
        if !self.seen.insert(h) {
            *self.shared.entry(h).or_insert(1) += 1;
            if self.previous == Some(h) {
                example(&mut self.c.examples_duplicate_email, &self.previous_id);
            }
            example(&mut self.c.examples_duplicate_email, id);
        }
        self.previous = Some(h);
        self.previous_id.clear();
        self.previous_id.push_str(id);
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
        self.c.duplicate_emails = self.shared.len() as u64;
        self.c.records_with_duplicate_email = self.shared.values().map(|n| u64::from(*n)).sum();
        self.c
    }
}

/// Pages through `/employees` up to `limit` records. `limited` is set only when more records
/// exist past the limit (a limit that ends exactly on the last record is not "reached").
pub async fn coverage(run: &mut Run, tokens: &Tokens, limit: u64) -> Coverage {
    let mut tally = Tally::default();
    let mut marker: Option<String> = None;
    let base = format!("{}{SAGE_BASE}/employees", tokens.instance_url);
    loop {
        // At the limit, one more page tells whether records remain; none of it is counted.
        let peek = tally.c.employees >= limit;
        let url = match &marker {
            Some(m) => format!(
                "{base}?marker={}",
                url::form_urlencoded::byte_serialize(m.as_bytes()).collect::<String>()
            ),
            None => base.clone(),
        };
        let mut req = Request::get(url)
            .bearer(&tokens.access_token)
            .header("Accept", "application/json")
            .without_body_in_log();
        // The first pages are logged one by one; later ones folded, a summary per 100 pages,
        // so a long run never evicts the evidence of the checks before it.
        if tally.c.pages >= KEEP_PAGES {
            req = req.folded();
        }
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
        let page = (resp.status == 200)
            .then(|| serde_json::from_slice::<Page>(&resp.body).ok())
            .flatten();
        let Some(page) = page else {
            let finding = classify::api_error(&resp, Some("Sage People Employees API"));
            tally.c.stopped = Some(format!(
                "page {} failed: {}",
                tally.c.pages + 1,
                finding.detail
            ));
            run.raise(classify::as_warning(finding));
            break;
        };
        if page.data.is_empty() {
            if !peek {
                tally.c.pages += 1;
            }
            break;
        }
        if peek {
            tally.c.limited = true;
            break;
        }
        tally.c.pages += 1;
        let room = usize::try_from(limit - tally.c.employees).unwrap_or(usize::MAX);
        for r in page.data.iter().take(room) {
            tally.add_employee(&r.0);
        }
        if page.data.len() > room {
            tally.c.limited = true;
            break;
        }
        let last = page
            .data
            .last()
            .and_then(|r| r.0.id.as_str())
            .map(str::to_string);
        if last.is_none() || last == marker {
            tally.c.stopped = Some("the marker did not advance".into());
            break;
        }
        marker = last;
    }
    run.client.flush_folded();
    tally.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn employee(id: &str, email: Option<&str>, active: bool) -> Value {
        json!({
            "id": id, "fullName": "A B", "firstName": "A", "lastName": " ",
            "emailAddress": email,
            "hrDepartment": null,
            "currentEmployment": {"active": active, "jobTitle": "Analyst", "endDate": null},
            "workAddress": "not an object",
            "additionalFields": [{"name": "x", "value": {"deep": [1, 2, 3]}}]
        })
    }

    fn count(c: &Coverage, path: &str) -> u64 {
        c.fields.iter().find(|f| f.path == path).unwrap().populated
    }

    #[test]
    fn tally_counts_fields_missing_duplicates_and_leavers() {
        let mut t = Tally::default();
        t.add(&employee("a1", Some("Ann@Acme.example"), true));
        t.add(&employee("a2", Some(" ann@acme.EXAMPLE "), false)); // same email, a leaver
        t.add(&employee("a3", None, false)); // leaver without email
        t.add(&employee("a4", Some("   "), true)); // blank = missing
        t.add(&employee("a5", Some("bob@acme.example"), true));
        t.add(&employee("a6", Some("cy@acme.example"), true));
        t.add(&employee("a7", Some("BOB@acme.example"), true)); // not adjacent to a5
        t.add(&employee("a8", Some("bob@acme.example"), true));
        t.add(&employee("a9", Some("Ünïcode@Acme.example"), true));
        t.add(&employee("a10", Some("ünïcode@acme.example"), true));
        t.add(&json!(42)); // not an object: counted, nothing populated
        let c = t.finish();
        assert_eq!(c.employees, 11);
        assert_eq!(c.missing_email, 3);
        assert_eq!(c.examples_missing_email, ["a3", "a4", ""]);
        assert_eq!(c.duplicate_emails, 3, "ann, bob, ünïcode");
        assert_eq!(c.records_with_duplicate_email, 7);
        assert_eq!(c.examples_duplicate_email, ["a1", "a2", "a7", "a8", "a9"]);
        assert_eq!(c.leavers, 2);
        assert_eq!(c.leavers_with_email, 1);
        assert_eq!(c.examples_leaver_with_email, ["a2"]);
        assert_eq!(count(&c, "id"), 10);
        assert_eq!(count(&c, "fullName"), 10);
        assert_eq!(count(&c, "lastName"), 0, "blank strings are not populated");
        assert_eq!(count(&c, "emailAddress"), 8);
        assert_eq!(count(&c, "hrDepartment"), 0);
        assert_eq!(
            count(&c, "currentEmployment.active"),
            10,
            "false is populated"
        );
        assert_eq!(count(&c, "currentEmployment.endDate"), 0);
        assert_eq!(count(&c, "workAddress.city"), 0);
        assert_eq!(c.fields.len(), FIELDS.len());
    }

    #[test]
    fn a_page_parses_without_building_values() {
        let body = br#"{"data": [{"id": "a\u0031", "emailAddress": "x@y.z", "currentEmployment": {"active": false}, "workAddress": {"city": "Reading", "postalCode": ""}}, {"id": "a2"}], "meta": {"x": [1]}}"#;
        let page: Page = serde_json::from_slice(body).unwrap();
        let mut t = Tally::default();
        for r in &page.data {
            t.add_employee(&r.0);
        }
        assert_eq!(page.data.last().and_then(|r| r.0.id.as_str()), Some("a2"));
        let c = t.finish();
        assert_eq!(
            (c.employees, c.leavers_with_email, c.missing_email),
            (2, 1, 1)
        );
        assert_eq!(c.examples_leaver_with_email, ["a1"]);
        assert_eq!(count(&c, "workAddress.city"), 1);
        assert_eq!(count(&c, "workAddress.postalCode"), 0);
        // No `data` array: not a page.
        assert!(serde_json::from_slice::<Page>(br#"{"data": {"id": 1}}"#).is_err());
        assert!(serde_json::from_slice::<Page>(br#"[{"errorCode": "X"}]"#).is_err());
    }
}
