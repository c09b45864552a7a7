//! The seven permission sets, and the scenarios shipped with the simulator.

/// The seven Sage People API permission sets, one per endpoint. Labels are documented; the API
/// names are a guess (no public source gives them), so scenarios may refer to a set by either.
pub const PERMISSION_SETS: [PermissionSetDef; 7] = [
    PermissionSetDef::new(
        "employees",
        "Sage_People_Employees_API",
        "Sage People Employees API",
    ),
    PermissionSetDef::new(
        "payDetails",
        "Sage_People_Pay_Details_API",
        "Sage People Pay Details API",
    ),
    PermissionSetDef::new(
        "salaries",
        "Sage_People_Salaries_API",
        "Sage People Salaries API",
    ),
    PermissionSetDef::new(
        "bonuses",
        "Sage_People_Bonuses_API",
        "Sage People Bonuses API",
    ),
    PermissionSetDef::new(
        "absences",
        "Sage_People_Absences_API",
        "Sage People Absences API",
    ),
    PermissionSetDef::new(
        "absenceBalances",
        "Sage_People_Absence_Balances_API",
        "Sage People Absence Balances API",
    ),
    PermissionSetDef::new(
        "timesheets",
        "Sage_People_Timesheets_API",
        "Sage People Timesheets API",
    ),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PermissionSetDef {
    /// The endpoint it gates, as named in the API path (`employees`, `payDetails`, …).
    pub endpoint: &'static str,
    pub name: &'static str,
    pub label: &'static str,
}

impl PermissionSetDef {
    const fn new(endpoint: &'static str, name: &'static str, label: &'static str) -> Self {
        Self {
            endpoint,
            name,
            label,
        }
    }

    pub fn for_endpoint(endpoint: &str) -> Option<&'static PermissionSetDef> {
        PERMISSION_SETS.iter().find(|p| p.endpoint == endpoint)
    }

    /// Finds a set by API name or label, ignoring case.
    pub fn lookup(name_or_label: &str) -> Option<&'static PermissionSetDef> {
        PERMISSION_SETS.iter().find(|p| {
            p.name.eq_ignore_ascii_case(name_or_label)
                || p.label.eq_ignore_ascii_case(name_or_label)
        })
    }
}

/// The shipped scenarios: (name, TOML source).
pub const SHIPPED: &[(&str, &str)] = &[
    (
        "healthy",
        include_str!("../../../assets/scenarios/healthy.toml"),
    ),
    (
        "sandbox-healthy",
        include_str!("../../../assets/scenarios/sandbox-healthy.toml"),
    ),
    (
        "pkce-required",
        include_str!("../../../assets/scenarios/pkce-required.toml"),
    ),
    (
        "missing-permission-sets",
        include_str!("../../../assets/scenarios/missing-permission-sets.toml"),
    ),
    (
        "no-permission-sets",
        include_str!("../../../assets/scenarios/no-permission-sets.toml"),
    ),
    (
        "no-refresh-scope",
        include_str!("../../../assets/scenarios/no-refresh-scope.toml"),
    ),
    (
        "refresh-expires-immediately",
        include_str!("../../../assets/scenarios/refresh-expires-immediately.toml"),
    ),
    (
        "refresh-rotation",
        include_str!("../../../assets/scenarios/refresh-rotation.toml"),
    ),
    (
        "package-not-installed",
        include_str!("../../../assets/scenarios/package-not-installed.toml"),
    ),
    (
        "api-disabled-for-user",
        include_str!("../../../assets/scenarios/api-disabled-for-user.toml"),
    ),
    (
        "api-disabled-for-org",
        include_str!("../../../assets/scenarios/api-disabled-for-org.toml"),
    ),
    (
        "secret-required",
        include_str!("../../../assets/scenarios/secret-required.toml"),
    ),
    (
        "callback-mismatch",
        include_str!("../../../assets/scenarios/callback-mismatch.toml"),
    ),
    (
        "admin-approval-required",
        include_str!("../../../assets/scenarios/admin-approval-required.toml"),
    ),
    (
        "app-not-installed",
        include_str!("../../../assets/scenarios/app-not-installed.toml"),
    ),
    (
        "client-credentials-no-run-as-user",
        include_str!("../../../assets/scenarios/client-credentials-no-run-as-user.toml"),
    ),
    (
        "username-password-disabled",
        include_str!("../../../assets/scenarios/username-password-disabled.toml"),
    ),
    (
        "api-limit-exhausted",
        include_str!("../../../assets/scenarios/api-limit-exhausted.toml"),
    ),
    (
        "slow-org",
        include_str!("../../../assets/scenarios/slow-org.toml"),
    ),
    (
        "flaky-org",
        include_str!("../../../assets/scenarios/flaky-org.toml"),
    ),
    (
        "proxy-html",
        include_str!("../../../assets/scenarios/proxy-html.toml"),
    ),
    (
        "eca-healthy",
        include_str!("../../../assets/scenarios/eca-healthy.toml"),
    ),
    (
        "eca-not-preauthorized",
        include_str!("../../../assets/scenarios/eca-not-preauthorized.toml"),
    ),
    (
        "eca-pkce-required",
        include_str!("../../../assets/scenarios/eca-pkce-required.toml"),
    ),
    (
        "eca-secret-required-for-refresh",
        include_str!("../../../assets/scenarios/eca-secret-required-for-refresh.toml"),
    ),
    (
        "eca-client-credentials-disabled",
        include_str!("../../../assets/scenarios/eca-client-credentials-disabled.toml"),
    ),
    (
        "eca-refresh-rotation",
        include_str!("../../../assets/scenarios/eca-refresh-rotation.toml"),
    ),
    // Salesforce as it answers in 2026.
    (
        "concurrent-refresh",
        include_str!("../../../assets/scenarios/concurrent-refresh.toml"),
    ),
    (
        "refresh-token-reuse",
        include_str!("../../../assets/scenarios/refresh-token-reuse.toml"),
    ),
    (
        "eca-not-found",
        include_str!("../../../assets/scenarios/eca-not-found.toml"),
    ),
    (
        "app-blocked",
        include_str!("../../../assets/scenarios/app-blocked.toml"),
    ),
    (
        "legacy-host-redirect",
        include_str!("../../../assets/scenarios/legacy-host-redirect.toml"),
    ),
    (
        "authorize-error-page",
        include_str!("../../../assets/scenarios/authorize-error-page.toml"),
    ),
    // The org's record (issue 21).
    (
        "integration-history",
        include_str!("../../../assets/scenarios/integration-history.toml"),
    ),
    (
        "grant-cap",
        include_str!("../../../assets/scenarios/grant-cap.toml"),
    ),
    (
        "user-frozen",
        include_str!("../../../assets/scenarios/user-frozen.toml"),
    ),
    (
        "refresh-idle-expiry",
        include_str!("../../../assets/scenarios/refresh-idle-expiry.toml"),
    ),
];
