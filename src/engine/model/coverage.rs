//! The vocabulary of field coverage: the fields a sync loads and what a coverage run counted.
//! The step that walks the employees is `engine::coverage`.

use serde::Serialize;

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
