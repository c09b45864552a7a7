//! Deterministic Sage People records. Nothing is stored: record `i` of an entity is computed
//! from the seed and `i`, so an org of hundreds of thousands of employees costs no memory and
//! paging by `marker` is a constant-time jump. Ids sort in index order, as Salesforce ids of
//! records created in sequence do.

use serde_json::{Value, json};

use super::crypto::sf_id18;
use super::scenario::DataConfig;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

    /// Record `i` (which must be below `count`).
    pub fn record(self, cfg: &DataConfig, i: u64) -> Value {
        let per = self.per_employee(cfg).max(1);
        let emp = i / per;
        let k = i % per;
        let mut r = Rng::new(cfg.seed, self as u64, i);
        let employee_id = Entity::Employees.id(emp);
        let currency = employee_currency(cfg, emp);
        match self {
            Entity::Employees => employee(cfg, i),
            Entity::Salaries => {
                let monthly = r.below(3) == 0;
                let annual = 28_000 + r.below(90) * 1_000;
                json!({
                    "id": self.id(i), "employeeId": employee_id,
                    "amount": if monthly { annual / 12 } else { annual },
                    "multiplier": if monthly { 12 } else { 1 },
                    "currencyName": currency,
                    "startDate": date(2019 + k as u32 + r.below(4) as u32, &mut r),
                    "payCode": pick(&mut r, &["X1", "P01", "SAL"]),
                    "additionalFields": []
                })
            }
            Entity::Bonuses => json!({
                "id": self.id(i), "employeeId": employee_id,
                "amount": 500 + r.below(40) * 250, "currencyName": currency,
                "paidDate": date(2022 + r.below(5) as u32, &mut r),
                "payCode": pick(&mut r, &["B1", "BON"]),
                "reason": pick(&mut r, &["Performance", "Retention", "Sign-on", "Referral"]),
                "additionalFields": []
            }),
            Entity::Absences => {
                let reason = pick(
                    &mut r,
                    &["Planned Vacation", "Sickness", "Maternity", "Training"],
                );
                let start = 1 + r.below(20) as u32;
                let days = 1 + r.below(5) as u32;
                let month = 1 + r.below(12) as u32;
                json!({
                    "id": self.id(i), "employeeId": employee_id, "reason": reason,
                    "startDate": format!("2026-{month:02}-{start:02}"),
                    "endDate": format!("2026-{month:02}-{:02}", start + days - 1),
                    "duration": days, "durationUnits": "Day",
                    "approved": r.below(5) != 0, "additionalFields": []
                })
            }
            Entity::AbsenceBalances => json!({
                "id": self.id(i), "employeeId": employee_id,
                "reason": if k == 0 { "Planned Vacation" } else { "Time Off In Lieu" },
                "units": "days", "calculatedDate": "2026-11-01T02:00:00Z", "periodName": "2026",
                "periodEndBalance": {
                    "accrued": 20 + r.below(11), "timeOffInLieu": r.below(6) as f64 / 2.0,
                    "carryOver": r.below(6)
                },
                "additionalFields": []
            }),
            Entity::Timesheets => {
                let hours = 30 + r.below(11);
                let week = 1 + (k as u32 * 7 + r.below(3) as u32) % 27;
                json!({
                    "id": self.id(i), "employeeId": employee_id,
                    "hoursWorked": hours, "hoursEarned": hours,
                    "startDate": format!("2026-10-{week:02}"), "endDate": format!("2026-10-{:02}", week + 4),
                    "status": pick(&mut r, &["draft", "submitted", "approved", "approved", "rejected"]),
                    "additionalFields": []
                })
            }
        }
    }
}

const FIRST: [&str; 48] = [
    "Charles", "Amelia", "Oliver", "Isla", "George", "Ava", "Harry", "Mia", "Noah", "Sophie",
    "Jacob", "Grace", "Leo", "Chloe", "Oscar", "Emily", "Arthur", "Lily", "Henry", "Ella",
    "Thomas", "Freya", "James", "Evie", "William", "Poppy", "Lucas", "Ruby", "Samuel", "Alice",
    "Daniel", "Florence", "Joseph", "Rosie", "Ethan", "Hannah", "Adam", "Zara", "Mohammed",
    "Priya", "Lukas", "Elena", "Mateo", "Chiara", "Pierre", "Camille", "Kenji", "Aisha",
];
const LAST: [&str; 50] = [
    "Hamilton",
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Patel",
    "Robinson",
    "Wright",
    "Thompson",
    "Evans",
    "Walker",
    "White",
    "Roberts",
    "Green",
    "Hall",
    "Wood",
    "Jackson",
    "Clarke",
    "Khan",
    "Lewis",
    "Harris",
    "Martin",
    "Cooper",
    "King",
    "Lee",
    "Baker",
    "Moreau",
    "Dubois",
    "Schmidt",
    "Fischer",
    "Rossi",
    "Bianchi",
    "Garcia",
    "Martinez",
    "Novak",
    "Kowalski",
    "Murphy",
    "O'Brien",
    "Nguyen",
    "Tanaka",
    "Singh",
    "Ahmed",
    "Fernandes",
    "Silva",
    "Jensen",
    "Larsen",
];
const DEPARTMENTS: [(&str, [&str; 3]); 8] = [
    (
        "Finance",
        ["Finance Assistant", "Financial Analyst", "Finance Director"],
    ),
    (
        "Engineering",
        [
            "Software Engineer",
            "Senior Engineer",
            "Engineering Manager",
        ],
    ),
    (
        "Sales",
        [
            "Account Executive",
            "Sales Development Rep",
            "Head of Sales",
        ],
    ),
    (
        "People",
        ["HR Advisor", "People Partner", "Chief People Officer"],
    ),
    (
        "Operations",
        ["Operations Analyst", "Office Manager", "COO"],
    ),
    (
        "Marketing",
        ["Content Marketer", "Product Marketing Manager", "CMO"],
    ),
    (
        "Customer Success",
        [
            "Support Specialist",
            "Customer Success Manager",
            "Head of Support",
        ],
    ),
    ("Legal", ["Paralegal", "Legal Counsel", "General Counsel"]),
];
/// (location name, line1, city, region, postal code, country, currency)
const LOCATIONS: [(&str, &str, &str, &str, &str, &str, &str); 6] = [
    (
        "Reading HQ",
        "Hoover Bldg",
        "Reading",
        "Berkshire",
        "RG1 2YY",
        "United Kingdom",
        "GBP",
    ),
    (
        "London Office",
        "1 Finsbury Ave",
        "London",
        "Greater London",
        "EC2M 2PF",
        "United Kingdom",
        "GBP",
    ),
    (
        "Newcastle Hub",
        "C23 Cobalt Park",
        "Newcastle upon Tyne",
        "Tyne and Wear",
        "NE27 0QQ",
        "United Kingdom",
        "GBP",
    ),
    (
        "Paris Office",
        "10 Rue Fructidor",
        "Paris",
        "Ile-de-France",
        "75017",
        "France",
        "EUR",
    ),
    (
        "Atlanta Office",
        "271 17th St NW",
        "Atlanta",
        "Georgia",
        "30363",
        "United States",
        "USD",
    ),
    (
        "Remote",
        "Home working",
        "Various",
        "",
        "",
        "United Kingdom",
        "GBP",
    ),
];

fn employee_currency(cfg: &DataConfig, emp: u64) -> &'static str {
    LOCATIONS[location_of(cfg, emp)].6
}

fn location_of(cfg: &DataConfig, emp: u64) -> usize {
    Rng::new(cfg.seed, 100, emp).below(LOCATIONS.len() as u64) as usize
}

/// (first, last) names: a bijection over the name grid so small orgs have no repeated names.
fn names(cfg: &DataConfig, i: u64) -> (&'static str, &'static str) {
    let grid = (FIRST.len() * LAST.len()) as u64;
    let n = (i.wrapping_mul(1_201) + cfg.seed) % grid; // 1201 is prime to 2400
    (
        FIRST[(n % FIRST.len() as u64) as usize],
        LAST[(n / FIRST.len() as u64) as usize],
    )
}

fn email_of(cfg: &DataConfig, i: u64) -> String {
    let (first, last) = names(cfg, i);
    let round = i / (FIRST.len() * LAST.len()) as u64;
    let suffix = if round == 0 {
        String::new()
    } else {
        round.to_string()
    };
    let last: String = last.chars().filter(|c| c.is_ascii_alphabetic()).collect();
    format!(
        "{}.{}{}@acme-hr.example",
        first.to_lowercase(),
        last.to_lowercase(),
        suffix
    )
}

fn employee(cfg: &DataConfig, i: u64) -> Value {
    let mut r = Rng::new(cfg.seed, 0, i);
    let (first, last) = names(cfg, i);
    // Record 0 always has every field and object populated, so that it documents the shape.
    let leaver = i > 0 && r.below(100) < u64::from(cfg.leaver_percent);
    let no_email = i > 0 && r.below(100) < u64::from(cfg.missing_email_percent);
    let dup_email = i > 0 && r.below(100) < u64::from(cfg.duplicate_email_percent);
    let email = if no_email {
        Value::Null
    } else if dup_email {
        Value::from(email_of(cfg, i - 1))
    } else {
        Value::from(email_of(cfg, i))
    };
    let (dept, titles) = DEPARTMENTS[r.below(DEPARTMENTS.len() as u64) as usize];
    let title = titles[(r.below(10) as usize).min(9) / 4];
    let start_year = 2010 + r.below(16) as u32;
    let start = date(start_year, &mut r);
    let end = leaver.then(|| date((start_year + 1 + r.below(3) as u32).min(2026), &mut r));
    let loc = LOCATIONS[location_of(cfg, i)];
    json!({
        "id": Entity::Employees.id(i),
        "hrDepartment": if i > 0 && r.below(50) == 0 { Value::Null } else { Value::from(dept) },
        "fullName": format!("{first} {last}"),
        "firstName": first,
        "lastName": last,
        "emailAddress": email,
        "currentEmployment": {
            "startDate": start,
            "name": format!("{}.{:02} #{}", start_year, 1 + r.below(12), i + 1),
            "jobTitle": title,
            "endDate": end,
            "active": !leaver
        },
        "workAddress": {
            "name": loc.0, "line1": loc.1, "line2": Value::Null, "line3": Value::Null,
            "city": loc.2, "region": if loc.3.is_empty() { Value::Null } else { Value::from(loc.3) },
            "postalCode": if loc.4.is_empty() { Value::Null } else { Value::from(loc.4) },
            "country": loc.5
        },
        "additionalFields": [
            {"name": "Employee Number", "value": format!("E{:06}", i + 1), "source": "fHCM2__Unique_Id__c"}
        ]
    })
}

fn date(year: u32, r: &mut Rng) -> String {
    format!("{year}-{:02}-{:02}", 1 + r.below(12), 1 + r.below(28))
}

fn pick<'a>(r: &mut Rng, options: &[&'a str]) -> &'a str {
    options[r.below(options.len() as u64) as usize]
}

/// SplitMix64: tiny, fast and stable across versions, which a seeded data set needs (a
/// general-purpose RNG crate does not promise the same stream from one release to the next).
struct Rng(u64);

impl Rng {
    fn new(seed: u64, stream: u64, index: u64) -> Rng {
        let mut r = Rng(seed
            ^ stream.wrapping_mul(0xA076_1D64_78BD_642F)
            ^ index.wrapping_mul(0xE703_7ED1_A0B4_28DB));
        r.next();
        r
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// A well-mixed hash of one number (for deterministic fault draws).
pub fn mix(x: u64) -> u64 {
    Rng::new(x, 0xFA17, 0).next()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
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
