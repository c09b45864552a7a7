//! The records of the other entities: salaries, bonuses, absences, balances, timesheets.

use serde::Serialize;

use super::*;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Salary {
    pub(super) id: Id,
    pub(super) employee_id: Id,
    pub(super) amount: u64,
    pub(super) multiplier: u64,
    pub(super) currency_name: &'static str,
    pub(super) start_date: Date,
    pub(super) pay_code: &'static str,
    pub(super) additional_fields: [(); 0],
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Bonus {
    pub(super) id: Id,
    pub(super) employee_id: Id,
    pub(super) amount: u64,
    pub(super) currency_name: &'static str,
    pub(super) paid_date: Date,
    pub(super) pay_code: &'static str,
    pub(super) reason: &'static str,
    pub(super) additional_fields: [(); 0],
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Absence {
    pub(super) id: Id,
    pub(super) employee_id: Id,
    pub(super) reason: &'static str,
    pub(super) start_date: Date,
    pub(super) end_date: Date,
    pub(super) duration: u64,
    pub(super) duration_units: &'static str,
    pub(super) approved: bool,
    pub(super) additional_fields: [(); 0],
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AbsenceBalance {
    pub(super) id: Id,
    pub(super) employee_id: Id,
    pub(super) reason: &'static str,
    pub(super) units: &'static str,
    pub(super) calculated_date: &'static str,
    pub(super) period_name: &'static str,
    pub(super) period_end_balance: Balance,
    pub(super) additional_fields: [(); 0],
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Balance {
    pub(super) accrued: u64,
    pub(super) time_off_in_lieu: f64,
    pub(super) carry_over: u64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Timesheet {
    pub(super) id: Id,
    pub(super) employee_id: Id,
    pub(super) hours_worked: u64,
    pub(super) hours_earned: u64,
    pub(super) start_date: Date,
    pub(super) end_date: Date,
    pub(super) status: &'static str,
    pub(super) additional_fields: [(); 0],
}
