//! Deterministic Sage People records. Nothing is stored: record `i` of an entity is computed
//! from the seed and `i`, so an org of hundreds of thousands of employees costs no memory and
//! paging by `marker` is a constant-time jump. Ids sort in index order, as Salesforce ids of
//! records created in sequence do.

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

/// A short string built on the stack: the computed fields of a record (dates, names, emails,
/// numbers) are written into one and serialised as a plain string, without `format!` or the
/// formatting machinery (a page of 200 employees has about 1,400 of them). Bytes past its
/// capacity are dropped; nothing written here comes near it.
struct Buf {
    b: [u8; 96],
    n: usize,
}

impl Default for Buf {
    fn default() -> Buf {
        Buf { b: [0; 96], n: 0 }
    }
}

impl Buf {
    fn push(&mut self, bytes: &[u8]) {
        for &c in bytes {
            if let Some(slot) = self.b.get_mut(self.n) {
                *slot = c;
                self.n += 1;
            }
        }
    }

    /// `n` in decimal, zero-padded to `width` digits.
    fn num(&mut self, mut n: u64, width: usize) {
        let mut digits = [b'0'; 20];
        let mut k = 0;
        while k < digits.len() && (n > 0 || k < width.max(1)) {
            digits[digits.len() - 1 - k] = b'0' + (n % 10) as u8;
            n /= 10;
            k += 1;
        }
        self.push(digits.get(digits.len() - k..).unwrap_or_default());
    }

    fn as_str(&self) -> &str {
        // Only ASCII and whole `&str`s are pushed, so this is always valid UTF-8.
        self.b
            .get(..self.n)
            .and_then(|b| std::str::from_utf8(b).ok())
            .unwrap_or_default()
    }
}

/// One record of a list endpoint. Unboxed: a page's records are built once, moved into its
/// vector and serialised, and a box each would cost an allocation per record.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Record {
    Employee(Employee),
    Salary(Salary),
    Bonus(Bonus),
    Absence(Absence),
    AbsenceBalance(AbsenceBalance),
    Timesheet(Timesheet),
}

impl Record {
    /// The record's JSON appended to `out`: the bytes `serde_json::to_writer` writes (a test
    /// holds it), an employee written directly — its keys and most values known to need no
    /// escaping — which is about twice as fast as through the serializer.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        match self {
            Record::Employee(e) => e.write_json(&mut Json(out)),
            other => {
                let _ = serde_json::to_writer(out, other);
            }
        }
    }
}

/// Writing JSON text into a buffer: raw pieces, and strings escaped as serde_json does.
struct Json<'a>(&'a mut Vec<u8>);

impl Json<'_> {
    fn raw(&mut self, s: &str) {
        self.0.extend_from_slice(s.as_bytes());
    }

    fn str(&mut self, s: &str) {
        // serde_json escapes control characters, '"' and '\\' only.
        if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
            self.0.push(b'"');
            self.0.extend_from_slice(s.as_bytes());
            self.0.push(b'"');
        } else {
            let _ = serde_json::to_writer(&mut *self.0, s);
        }
    }

    fn opt(&mut self, s: Option<&str>) {
        match s {
            Some(s) => self.str(s),
            None => self.raw("null"),
        }
    }

    fn value(&mut self, v: &impl Serialize) {
        let _ = serde_json::to_writer(&mut *self.0, v);
    }
}

impl Employee {
    fn write_json(&self, j: &mut Json) {
        j.raw("{\"id\":");
        j.str(self.id.as_str());
        j.raw(",\"hrDepartment\":");
        j.opt(self.hr_department);
        j.raw(",\"fullName\":");
        j.str(self.full_name.text().as_str());
        j.raw(",\"firstName\":");
        j.str(self.first_name);
        j.raw(",\"lastName\":");
        j.str(self.last_name);
        j.raw(",\"emailAddress\":");
        match self.email_address.map(|e| (e, e.text())) {
            None => j.raw("null"),
            Some((_, Some(text))) => j.str(text.as_str()),
            Some((e, None)) => j.value(&e),
        }
        let c = &self.current_employment;
        j.raw(",\"currentEmployment\":{\"startDate\":");
        j.str(c.start_date.text().as_str());
        j.raw(",\"name\":");
        j.str(c.name.text().as_str());
        j.raw(",\"jobTitle\":");
        j.str(c.job_title);
        j.raw(",\"endDate\":");
        j.opt(c.end_date.map(Date::text).as_ref().map(Buf::as_str));
        j.raw(if c.active {
            ",\"active\":true},\"workAddress\":"
        } else {
            ",\"active\":false},\"workAddress\":"
        });
        match self.work_address.written() {
            Some(raw) => j.raw(raw.get()),
            None => j.value(&self.work_address.address()),
        }
        j.raw(",\"additionalFields\":[{\"name\":\"Employee Number\",\"value\":");
        j.str(self.additional_fields[0].text().as_str());
        j.raw(",\"source\":\"fHCM2__Unique_Id__c\"}]}");
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Employee {
    id: Id,
    hr_department: Option<&'static str>,
    full_name: FullName,
    first_name: &'static str,
    last_name: &'static str,
    email_address: Option<Email>,
    current_employment: Employment,
    work_address: WorkAddress,
    additional_fields: [EmployeeNumber; 1],
}

#[derive(Debug, Clone, Copy)]
struct FullName(&'static str, &'static str);

impl FullName {
    fn text(self) -> Buf {
        let mut b = Buf::default();
        b.push(self.0.as_bytes());
        b.push(b" ");
        b.push(self.1.as_bytes());
        b
    }
}

impl Serialize for FullName {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.text().as_str())
    }
}

/// `first.last[round]@acme-hr.example`, lower case, the last name's letters only.
#[derive(Debug, Clone, Copy)]
struct Email {
    first: &'static str,
    last: &'static str,
    round: u64,
}

impl std::fmt::Display for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use std::fmt::Write as _;
        for c in self.first.chars().flat_map(char::to_lowercase) {
            f.write_char(c)?;
        }
        f.write_char('.')?;
        for c in self
            .last
            .chars()
            .filter(char::is_ascii_alphabetic)
            .flat_map(char::to_lowercase)
        {
            f.write_char(c)?;
        }
        if self.round > 0 {
            write!(f, "{}", self.round)?;
        }
        f.write_str("@acme-hr.example")
    }
}

impl Email {
    /// The same text as `Display`, on the stack, for ASCII names (lower-casing is then per
    /// byte); None for others.
    fn text(self) -> Option<Buf> {
        if !(self.first.is_ascii() && self.last.is_ascii()) {
            return None;
        }
        let mut b = Buf::default();
        for c in self.first.bytes() {
            b.push(&[c.to_ascii_lowercase()]);
        }
        b.push(b".");
        for c in self.last.bytes().filter(u8::is_ascii_alphabetic) {
            b.push(&[c.to_ascii_lowercase()]);
        }
        if self.round > 0 {
            b.num(self.round, 1);
        }
        b.push(b"@acme-hr.example");
        Some(b)
    }
}

impl Serialize for Email {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.text() {
            Some(b) => s.serialize_str(b.as_str()),
            None => s.collect_str(self),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct Employment {
    start_date: Date,
    name: EmploymentName,
    job_title: &'static str,
    end_date: Option<Date>,
    active: bool,
}

/// `2019.07 #12`: start year, a month, the employee's number.
#[derive(Debug, Clone, Copy)]
struct EmploymentName(u32, u64, u64);

impl EmploymentName {
    fn text(self) -> Buf {
        let mut b = Buf::default();
        b.num(u64::from(self.0), 1);
        b.push(b".");
        b.num(self.1, 2);
        b.push(b" #");
        b.num(self.2, 1);
        b
    }
}

impl Serialize for EmploymentName {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.text().as_str())
    }
}

/// An employee's work address: one of the org's locations, whose JSON is written once per
/// process and copied into every record that has it (eight keys and values fewer to escape per
/// employee; a page of 200 is rendered about a third faster).
#[derive(Debug, Clone, Copy)]
struct WorkAddress(usize);

impl WorkAddress {
    fn address(self) -> Address {
        let loc = LOCATIONS[self.0 % LOCATIONS.len()];
        let some = |s: &'static str| (!s.is_empty()).then_some(s);
        Address {
            name: loc.0,
            line1: loc.1,
            line2: None,
            line3: None,
            city: loc.2,
            region: some(loc.3),
            postal_code: some(loc.4),
            country: loc.5,
        }
    }
}

impl WorkAddress {
    /// The address's JSON, written once per process.
    fn written(self) -> Option<&'static serde_json::value::RawValue> {
        static WRITTEN: std::sync::OnceLock<Vec<Option<Box<serde_json::value::RawValue>>>> =
            std::sync::OnceLock::new();
        let written = WRITTEN.get_or_init(|| {
            (0..LOCATIONS.len())
                .map(|l| serde_json::value::to_raw_value(&WorkAddress(l).address()).ok())
                .collect()
        });
        written.get(self.0).and_then(Option::as_deref)
    }
}

impl Serialize for WorkAddress {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.written() {
            Some(raw) => raw.serialize(s),
            None => self.address().serialize(s),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct Address {
    name: &'static str,
    line1: &'static str,
    line2: Option<&'static str>,
    line3: Option<&'static str>,
    city: &'static str,
    region: Option<&'static str>,
    postal_code: Option<&'static str>,
    country: &'static str,
}

/// `{"name": "Employee Number", "value": "E000001", "source": "fHCM2__Unique_Id__c"}`.
#[derive(Debug, Clone, Copy)]
struct EmployeeNumber(u64);

impl EmployeeNumber {
    fn text(self) -> Buf {
        let mut b = Buf::default();
        b.push(b"E");
        b.num(self.0, 6);
        b
    }
}

impl Serialize for EmployeeNumber {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap as _;
        let mut m = s.serialize_map(Some(3))?;
        m.serialize_entry("name", "Employee Number")?;
        m.serialize_entry("value", self.text().as_str())?;
        m.serialize_entry("source", "fHCM2__Unique_Id__c")?;
        m.end()
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Salary {
    id: Id,
    employee_id: Id,
    amount: u64,
    multiplier: u64,
    currency_name: &'static str,
    start_date: Date,
    pay_code: &'static str,
    additional_fields: [(); 0],
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Bonus {
    id: Id,
    employee_id: Id,
    amount: u64,
    currency_name: &'static str,
    paid_date: Date,
    pay_code: &'static str,
    reason: &'static str,
    additional_fields: [(); 0],
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Absence {
    id: Id,
    employee_id: Id,
    reason: &'static str,
    start_date: Date,
    end_date: Date,
    duration: u64,
    duration_units: &'static str,
    approved: bool,
    additional_fields: [(); 0],
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AbsenceBalance {
    id: Id,
    employee_id: Id,
    reason: &'static str,
    units: &'static str,
    calculated_date: &'static str,
    period_name: &'static str,
    period_end_balance: Balance,
    additional_fields: [(); 0],
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct Balance {
    accrued: u64,
    time_off_in_lieu: f64,
    carry_over: u64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Timesheet {
    id: Id,
    employee_id: Id,
    hours_worked: u64,
    hours_earned: u64,
    start_date: Date,
    end_date: Date,
    status: &'static str,
    additional_fields: [(); 0],
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

fn email_of(cfg: &DataConfig, i: u64) -> Email {
    let (first, last) = names(cfg, i);
    Email {
        first,
        last,
        round: i / (FIRST.len() * LAST.len()) as u64,
    }
}

fn employee(cfg: &DataConfig, i: u64) -> Employee {
    let mut r = Rng::new(cfg.seed, 0, i);
    let (first, last) = names(cfg, i);
    // Record 0 always has every field and object populated, so that it documents the shape.
    let leaver = i > 0 && r.below(100) < u64::from(cfg.leaver_percent);
    let no_email = i > 0 && r.below(100) < u64::from(cfg.missing_email_percent);
    let dup_email = i > 0 && r.below(100) < u64::from(cfg.duplicate_email_percent);
    let email = if no_email {
        None
    } else if dup_email {
        Some(email_of(cfg, i - 1))
    } else {
        Some(email_of(cfg, i))
    };
    let (dept, titles) = DEPARTMENTS[r.below(DEPARTMENTS.len() as u64) as usize];
    let title = titles[(r.below(10) as usize).min(9) / 4];
    let start_year = 2010 + r.below(16) as u32;
    let start = date(start_year, &mut r);
    let end = leaver.then(|| date((start_year + 1 + r.below(3) as u32).min(2026), &mut r));
    // The draws in the order the record has always made them (department, then month).
    let hr_department = if i > 0 && r.below(50) == 0 {
        None
    } else {
        Some(dept)
    };
    let month = 1 + r.below(12);
    Employee {
        id: Id::new(Entity::Employees, i),
        hr_department,
        full_name: FullName(first, last),
        first_name: first,
        last_name: last,
        email_address: email,
        current_employment: Employment {
            start_date: start,
            name: EmploymentName(start_year, month, i + 1),
            job_title: title,
            end_date: end,
            active: !leaver,
        },
        work_address: WorkAddress(location_of(cfg, i)),
        additional_fields: [EmployeeNumber(i + 1)],
    }
}

fn date(year: u32, r: &mut Rng) -> Date {
    let month = 1 + r.below(12);
    Date(year, month, 1 + r.below(28))
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
