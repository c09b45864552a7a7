//! An employee, and its JSON written without serde's machinery.

use serde::Serialize;

use super::*;

impl Employee {
    pub(super) fn write_json(&self, j: &mut Json) {
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
    pub(super) id: Id,
    pub(super) hr_department: Option<&'static str>,
    pub(super) full_name: FullName,
    pub(super) first_name: &'static str,
    pub(super) last_name: &'static str,
    pub(super) email_address: Option<Email>,
    pub(super) current_employment: Employment,
    pub(super) work_address: WorkAddress,
    pub(super) additional_fields: [EmployeeNumber; 1],
}

#[derive(Debug, Clone, Copy)]
pub(super) struct FullName(pub(super) &'static str, pub(super) &'static str);

impl FullName {
    pub(super) fn text(self) -> Buf {
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
pub(super) struct Email {
    pub(super) first: &'static str,
    pub(super) last: &'static str,
    pub(super) round: u64,
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
    pub(super) fn text(self) -> Option<Buf> {
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
pub(super) struct Employment {
    pub(super) start_date: Date,
    pub(super) name: EmploymentName,
    pub(super) job_title: &'static str,
    pub(super) end_date: Option<Date>,
    pub(super) active: bool,
}

/// `2019.07 #12`: start year, a month, the employee's number.
#[derive(Debug, Clone, Copy)]
pub(super) struct EmploymentName(pub(super) u32, pub(super) u64, pub(super) u64);

impl EmploymentName {
    pub(super) fn text(self) -> Buf {
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
pub(super) struct WorkAddress(pub(super) usize);

impl WorkAddress {
    pub(super) fn address(self) -> Address {
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
    pub(super) fn written(self) -> Option<&'static serde_json::value::RawValue> {
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
pub(super) struct Address {
    pub(super) name: &'static str,
    pub(super) line1: &'static str,
    pub(super) line2: Option<&'static str>,
    pub(super) line3: Option<&'static str>,
    pub(super) city: &'static str,
    pub(super) region: Option<&'static str>,
    pub(super) postal_code: Option<&'static str>,
    pub(super) country: &'static str,
}

/// `{"name": "Employee Number", "value": "E000001", "source": "fHCM2__Unique_Id__c"}`.
#[derive(Debug, Clone, Copy)]
pub(super) struct EmployeeNumber(pub(super) u64);

impl EmployeeNumber {
    pub(super) fn text(self) -> Buf {
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
