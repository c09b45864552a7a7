//! Deterministic Sage People records. Nothing is stored: record `i` of an entity is computed
//! from the seed and `i`, so an org of hundreds of thousands of employees costs no memory and
//! paging by `marker` is a constant-time jump. Ids sort in index order, as Salesforce ids of
//! records created in sequence do.//!
//! `employee.rs` is the employee and its JSON, `records.rs` the other entities' records,
//! `generate.rs` the deterministic generator (names, departments, locations), `json.rs` the stack
//! buffer and JSON writer the records are written with.

mod employee;
mod generate;
mod json;
mod records;

pub use employee::Employee;
pub use generate::mix;
pub use json::Record;
pub use records::{Absence, AbsenceBalance, Bonus, Salary, Timesheet};

use employee::*;
use generate::*;
use json::*;
use records::*;

use serde::Serialize;
use serde_json::Value;

use super::crypto::sf_id18;
use super::scenario::DataConfig;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Entity {
    Employees,
    Salaries,
    Bonuses,
    Absences,
    AbsenceBalances,
    Timesheets,
}

impl Entity {
    pub const LISTS: [Entity; 6] = [
        Entity::Employees,
        Entity::Salaries,
        Entity::Bonuses,
        Entity::Absences,
        Entity::AbsenceBalances,
        Entity::Timesheets,
    ];

    pub fn from_path(segment: &str) -> Option<Entity> {
        Entity::LISTS.into_iter().find(|e| e.path() == segment)
    }

    pub fn path(self) -> &'static str {
        match self {
            Entity::Employees => "employees",
            Entity::Salaries => "salaries",
            Entity::Bonuses => "bonuses",
            Entity::Absences => "absences",
            Entity::AbsenceBalances => "absenceBalances",
            Entity::Timesheets => "timesheets",
        }
    }

    /// The record-id key prefix (as in the API's published examples).
    fn key_prefix(self) -> &'static str {
        match self {
            Entity::Employees => "a2G",
            Entity::Salaries => "a1q",
            Entity::Bonuses => "a0J",
            Entity::Absences => "a08",
            Entity::AbsenceBalances => "a2e",
            Entity::Timesheets => "a2R",
        }
    }

    fn per_employee(self, cfg: &DataConfig) -> u64 {
        u64::from(match self {
            Entity::Employees => 1,
            Entity::Salaries => cfg.salaries_per_employee,
            Entity::Bonuses => cfg.bonuses_per_employee,
            Entity::Absences => cfg.absences_per_employee,
            Entity::AbsenceBalances => cfg.absence_balances_per_employee,
            Entity::Timesheets => cfg.timesheets_per_employee,
        })
    }

    pub fn count(self, cfg: &DataConfig) -> u64 {
        u64::from(cfg.employees) * self.per_employee(cfg)
    }

    /// The id of record `i`: prefix, pod `250`, nine digits of index, checksum.
    pub fn id(self, i: u64) -> String {
        sf_id18(&format!("{}250{:09}", self.key_prefix(), i))
    }

    /// The index of a record id of this entity (15 or 18 characters), if it is one.
    pub fn index_of(self, id: &str) -> Option<u64> {
        let body = id.get(..15)?;
        if id.len() != 15 && !(id.len() == 18 && sf_id18(body) == id) {
            return None;
        }
        let digits = body.strip_prefix(self.key_prefix())?.strip_prefix("250")?;
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse().ok()
    }

    /// Record `i` (which must be below `count`) as a JSON value (for `$filter` and tests).
    pub fn record(self, cfg: &DataConfig, i: u64) -> Value {
        serde_json::to_value(self.typed(cfg, i)).unwrap_or(Value::Null)
    }

    /// Record `i` (which must be below `count`) as a typed record: it serialises to the same
    /// JSON as [`Entity::record`], field for field, without building a `Value` tree.
    pub fn typed(self, cfg: &DataConfig, i: u64) -> Record {
        let per = self.per_employee(cfg).max(1);
        let emp = i / per;
        let k = i % per;
        let mut r = Rng::new(cfg.seed, self as u64, i);
        let id = Id::new(self, i);
        let employee_id = Id::new(Entity::Employees, emp);
        let currency_name = employee_currency(cfg, emp);
        match self {
            Entity::Employees => Record::Employee(employee(cfg, i)),
            Entity::Salaries => {
                let monthly = r.below(3) == 0;
                let annual = 28_000 + r.below(90) * 1_000;
                let year = 2019 + k as u32 + r.below(4) as u32;
                Record::Salary(Salary {
                    id,
                    employee_id,
                    amount: if monthly { annual / 12 } else { annual },
                    multiplier: if monthly { 12 } else { 1 },
                    currency_name,
                    start_date: date(year, &mut r),
                    pay_code: pick(&mut r, &["X1", "P01", "SAL"]),
                    additional_fields: [],
                })
            }
            Entity::Bonuses => {
                let amount = 500 + r.below(40) * 250;
                let year = 2022 + r.below(5) as u32;
                let paid_date = date(year, &mut r);
                let pay_code = pick(&mut r, &["B1", "BON"]);
                Record::Bonus(Bonus {
                    id,
                    employee_id,
                    amount,
                    currency_name,
                    paid_date,
                    pay_code,
                    reason: pick(&mut r, &["Performance", "Retention", "Sign-on", "Referral"]),
                    additional_fields: [],
                })
            }
            Entity::Absences => {
                let reason = pick(
                    &mut r,
                    &["Planned Vacation", "Sickness", "Maternity", "Training"],
                );
                let start = 1 + r.below(20);
                let days = 1 + r.below(5);
                let month = 1 + r.below(12);
                Record::Absence(Absence {
                    id,
                    employee_id,
                    reason,
                    start_date: Date(2026, month, start),
                    end_date: Date(2026, month, start + days - 1),
                    duration: days,
                    duration_units: "Day",
                    approved: r.below(5) != 0,
                    additional_fields: [],
                })
            }
            Entity::AbsenceBalances => {
                let accrued = 20 + r.below(11);
                let time_off_in_lieu = r.below(6) as f64 / 2.0;
                let carry_over = r.below(6);
                Record::AbsenceBalance(AbsenceBalance {
                    id,
                    employee_id,
                    reason: if k == 0 {
                        "Planned Vacation"
                    } else {
                        "Time Off In Lieu"
                    },
                    units: "days",
                    calculated_date: "2026-11-01T02:00:00Z",
                    period_name: "2026",
                    period_end_balance: Balance {
                        accrued,
                        time_off_in_lieu,
                        carry_over,
                    },
                    additional_fields: [],
                })
            }
            Entity::Timesheets => {
                let hours = 30 + r.below(11);
                let week = 1 + (k * 7 + r.below(3)) % 27;
                Record::Timesheet(Timesheet {
                    id,
                    employee_id,
                    hours_worked: hours,
                    hours_earned: hours,
                    start_date: Date(2026, 10, week),
                    end_date: Date(2026, 10, week + 4),
                    status: pick(
                        &mut r,
                        &["draft", "submitted", "approved", "approved", "rejected"],
                    ),
                    additional_fields: [],
                })
            }
        }
    }
}

/// A record id (18 ASCII characters), written without an allocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Id([u8; 18]);

impl Id {
    fn new(entity: Entity, i: u64) -> Id {
        const ALPHA: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";
        let mut b = [b'0'; 18];
        for (slot, c) in b.iter_mut().zip(entity.key_prefix().bytes()) {
            *slot = c;
        }
        b[3] = b'2';
        b[4] = b'5';
        b[5] = b'0';
        // Nine digits of index (an index past nine digits keeps its low nine, as
        // `format!("{:09}")` would not; no org here comes near a billion records).
        let mut n = i;
        for slot in b[6..15].iter_mut().rev() {
            *slot = b'0' + (n % 10) as u8;
            n /= 10;
        }
        // The checksum of `sf_id18`: one character per five, from which are upper case.
        for (chunk, out) in (0..3).map(|c| (c * 5, 15 + c)) {
            let bits = (0..5)
                .filter(|j| b[chunk + j].is_ascii_uppercase())
                .fold(0usize, |acc, j| acc | (1 << j));
            b[out] = ALPHA[bits];
        }
        Id(b)
    }

    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl std::fmt::Display for Id {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Id {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy)]
pub struct Date(u32, u64, u64);

impl Date {
    fn text(self) -> Buf {
        let mut b = Buf::default();
        b.num(u64::from(self.0), 1);
        b.push(b"-");
        b.num(self.1, 2);
        b.push(b"-");
        b.num(self.2, 2);
        b
    }
}

impl Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.text().as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::string_slice)] // a test over ASCII fixtures
    fn ids_round_trip_and_sort_in_index_order() {
        for e in Entity::LISTS {
            let a = e.id(7);
            let b = e.id(10);
            assert_eq!(a.len(), 18);
            assert!(a < b);
            assert_eq!(e.index_of(&a), Some(7));
            assert_eq!(e.index_of(&a[..15]), Some(7));
        }
        assert_eq!(Entity::Salaries.index_of(&Entity::Employees.id(3)), None);
        assert_eq!(Entity::Employees.index_of("a2G250000000003XYZ"), None);
    }

    #[test]
    fn stack_written_fields_read_as_formatted_text() {
        let json = |v: &dyn erased::Ser| v.json();
        for (y, m, d) in [(2010, 1, 1), (2026, 12, 28), (999, 7, 9), (12345, 10, 31)] {
            assert_eq!(json(&Date(y, m, d)), format!("\"{y}-{m:02}-{d:02}\""));
            assert_eq!(
                json(&EmploymentName(y, m, d)),
                format!("\"{y}.{m:02} #{d}\"")
            );
        }
        for n in [0u64, 1, 42, 999_999, 1_000_000, u64::MAX] {
            let mut b = Buf::default();
            b.num(n, 6);
            assert_eq!(b.as_str(), format!("{n:06}"));
        }
        for first in FIRST {
            for last in LAST {
                for round in [0, 1, 17] {
                    let e = Email { first, last, round };
                    assert_eq!(json(&e), format!("\"{e}\""));
                }
                assert_eq!(json(&FullName(first, last)), format!("\"{first} {last}\""));
            }
        }
        for l in 0..LOCATIONS.len() {
            let written = WorkAddress(l);
            assert_eq!(json(&written), json(&written.address()));
            assert_eq!(
                serde_json::to_value(written).unwrap(),
                serde_json::to_value(written.address()).unwrap()
            );
        }
        // A name outside ASCII takes the general path, with the same text.
        let e = Email {
            first: "Zoë",
            last: "Ångström",
            round: 2,
        };
        assert_eq!(json(&e), "\"zoë.ngstrm2@acme-hr.example\"");
    }

    /// Serialising any of the field types above to its JSON text.
    mod erased {
        pub trait Ser {
            fn json(&self) -> String;
        }
        impl<T: serde::Serialize> Ser for T {
            fn json(&self) -> String {
                serde_json::to_string(self).unwrap()
            }
        }
    }

    #[test]
    fn records_written_directly_are_the_serializers_bytes() {
        for (seed, missing, dup, leavers) in [(7, 2, 1, 10), (42, 0, 0, 0), (1, 30, 30, 60)] {
            let mut cfg = super::super::scenario::Scenario::load("healthy")
                .unwrap()
                .data;
            cfg.seed = seed;
            cfg.missing_email_percent = missing;
            cfg.duplicate_email_percent = dup;
            cfg.leaver_percent = leavers;
            cfg.employees = 3_000;
            for e in Entity::LISTS {
                for i in (0..e.count(&cfg)).step_by(3).take(3_000) {
                    let rec = e.typed(&cfg, i);
                    let mut direct = Vec::new();
                    rec.write_json(&mut direct);
                    assert_eq!(
                        String::from_utf8(direct).unwrap(),
                        serde_json::to_string(&rec).unwrap(),
                        "{e:?} {i}"
                    );
                }
            }
        }
        // Strings that need escaping take serde_json's path, with its bytes.
        let mut out = Vec::new();
        Json(&mut out).str("a \"b\" \\ \u{1} é");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            serde_json::to_string("a \"b\" \\ \u{1} é").unwrap()
        );
    }

    #[test]
    fn records_are_deterministic_and_small_orgs_have_unique_names() {
        let cfg = DataConfig {
            duplicate_email_percent: 0,
            missing_email_percent: 0,
            ..Default::default()
        };
        assert_eq!(
            Entity::Employees.record(&cfg, 5),
            Entity::Employees.record(&cfg, 5)
        );
        let emails: std::collections::BTreeSet<String> = (0..2_000)
            .map(|i| {
                Entity::Employees.record(&cfg, i)["emailAddress"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        assert_eq!(emails.len(), 2_000);
    }
}
