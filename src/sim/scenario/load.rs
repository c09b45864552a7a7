//! Reading a scenario: the file (capped), the TOML, the checks of every value.

use std::collections::BTreeSet;
use std::path::Path;

use super::*;

impl Scenario {
    /// Names and one-line descriptions of the shipped scenarios.
    pub fn shipped() -> Vec<(String, String)> {
        SHIPPED
            .iter()
            .map(|(name, src)| {
                let description = Scenario::parse(src, name)
                    .map(|s| s.description)
                    .unwrap_or_default();
                (name.to_string(), description)
            })
            .collect()
    }

    /// A shipped scenario by name, or a scenario file by path.
    pub fn load(name_or_path: &str) -> Result<Scenario, ScenarioError> {
        if let Some((name, src)) = SHIPPED.iter().find(|(n, _)| *n == name_or_path) {
            return Scenario::parse(src, &format!("assets/scenarios/{name}.toml"));
        }
        let path = Path::new(name_or_path);
        if !path.exists() && !name_or_path.contains(['/', '.']) {
            let names: Vec<&str> = SHIPPED.iter().map(|(n, _)| *n).collect();
            return Err(ScenarioError {
                file: name_or_path.into(),
                line: None,
                field: None,
                message: format!(
                    "no shipped scenario of that name and no such file; shipped: {}",
                    names.join(", ")
                ),
            });
        }
        let src = read_scenario_file(path, MAX_SCENARIO_BYTES).map_err(|e| ScenarioError {
            file: name_or_path.into(),
            line: None,
            field: None,
            message: e.to_string(),
        })?;
        let mut scenario = Scenario::parse(&src, name_or_path)?;
        if scenario.name == "custom"
            && let Some(stem) = path.file_stem()
        {
            scenario.name = stem.to_string_lossy().into_owned();
        }
        Ok(scenario)
    }

    /// Parses and validates a scenario; `file` names it in errors.
    pub fn parse(src: &str, file: &str) -> Result<Scenario, ScenarioError> {
        let scenario: Scenario = toml::from_str(src).map_err(|e| {
            let message = e.message().trim().to_string();
            let mut line = e
                .span()
                .map(|span| crate::toml_at::line_of(src, span.start));
            let mut field = line.and_then(|l| crate::toml_at::field_on_line(src, l));
            // toml reports an unknown key at its table; point at the key itself.
            if let Some(key) = message
                .strip_prefix("unknown field `")
                .and_then(|m| m.split('`').next())
            {
                let from = line.unwrap_or(1) - 1;
                if let Some(at) = src.lines().enumerate().skip(from).find(|(_, l)| {
                    l.trim_start()
                        .strip_prefix(key)
                        .is_some_and(|r| r.trim_start().starts_with('='))
                }) {
                    line = Some(at.0 + 1);
                    field = Some(key.to_string());
                }
            }
            ScenarioError {
                file: file.into(),
                line,
                field,
                message,
            }
        })?;
        scenario
            .validate()
            .map_err(|(field, message, user)| ScenarioError {
                file: file.into(),
                line: locate_field(src, &field, user),
                field: Some(field),
                message,
            })?;
        Ok(scenario)
    }

    /// Err: (dotted field, message, index of the user it concerns).
    fn validate(&self) -> Result<(), (String, String, Option<usize>)> {
        let err = |field: &str, msg: String| Err((field.to_string(), msg, None));
        if let Some((field, why)) = self.answers.problem() {
            return err(field, why);
        }
        if !is_sf_id(&self.org.id, "00D") {
            return err(
                "org.id",
                format!(
                    "`{}` is not a 15-character org id starting 00D",
                    self.org.id
                ),
            );
        }
        if self.app.consumer_key.trim().is_empty() {
            return err("app.consumer_key", "must not be empty".into());
        }
        if self.users.is_empty() {
            return err("users", "the org needs at least one user".into());
        }
        let mut seen = BTreeSet::new();
        for (i, user) in self.users.iter().enumerate() {
            let user_err = |field: &str, msg: String| Err((field.to_string(), msg, Some(i)));
            if !seen.insert(user.username.to_ascii_lowercase()) {
                return user_err(
                    "users.username",
                    format!("user `{}` is listed twice", user.username),
                );
            }
            if !user.id.is_empty() && !is_sf_id(&user.id, "005") {
                return user_err(
                    "users.id",
                    format!("`{}` is not a 15-character user id starting 005", user.id),
                );
            }
            for set in user
                .permission_sets
                .iter()
                .chain(&user.permission_sets_via_group)
                .chain(&user.lacks_license_for)
            {
                if PermissionSetDef::lookup(set).is_none() {
                    let known: Vec<&str> = PERMISSION_SETS.iter().map(|p| p.label).collect();
                    return user_err(
                        "users.permission_sets",
                        format!(
                            "unknown permission set `{set}`; known: {}",
                            known.join(", ")
                        ),
                    );
                }
            }
        }
        let run_as = &self.app.client_credentials_run_as;
        if !run_as.is_empty() && self.user(run_as).is_none() {
            return err(
                "app.client_credentials_run_as",
                format!("`{run_as}` is not one of the scenario's users"),
            );
        }
        if parse_day(&self.app.created_date).is_none() {
            return err("app.created_date", "expected YYYY-MM-DD".into());
        }
        for set in &self.app.preauthorized_permission_sets {
            if PermissionSetDef::lookup(set).is_none() {
                return err(
                    "app.preauthorized_permission_sets",
                    format!("unknown permission set `{set}`"),
                );
            }
        }
        if let Some(pem) = &self.app.jwt_public_key
            && let Err(e) = crypto::parse_public_key_pem(pem)
        {
            return err("app.jwt_public_key", e.to_string());
        }
        if parse_package_version(&self.org.package_version).is_none() {
            return err(
                "org.package_version",
                "expected major.minor.patch.build, e.g. 4.8.0.2".into(),
            );
        }
        if self.data.page_size == 0 || self.data.page_size > 10_000 {
            return err("data.page_size", "must be between 1 and 10000".into());
        }
        if self.data.employees > 1_000_000 {
            return err("data.employees", "at most 1000000".into());
        }
        // Record ids carry nine digits of index, and a list scans the records in order: keep
        // both finite and fast.
        for (field, v) in [
            (
                "data.salaries_per_employee",
                self.data.salaries_per_employee,
            ),
            ("data.bonuses_per_employee", self.data.bonuses_per_employee),
            (
                "data.absences_per_employee",
                self.data.absences_per_employee,
            ),
            (
                "data.absence_balances_per_employee",
                self.data.absence_balances_per_employee,
            ),
            (
                "data.timesheets_per_employee",
                self.data.timesheets_per_employee,
            ),
        ] {
            if v > MAX_PER_EMPLOYEE {
                return err(field, format!("{v} is more than {MAX_PER_EMPLOYEE}"));
            }
        }
        // Durations: a huge value would overflow the org's clock arithmetic or hang a request
        // for ever (a hang is what `hang_paths` is for).
        for (field, v, max) in [
            ("faults.latency_ms", self.faults.latency_ms, MAX_DELAY_MS),
            ("faults.jitter_ms", self.faults.jitter_ms, MAX_DELAY_MS),
            (
                "org.session_timeout_secs",
                self.org.session_timeout_secs,
                MAX_SESSION_SECS,
            ),
            (
                "app.refresh_token_validity_hours",
                self.app.refresh_token_validity_hours,
                MAX_REFRESH_HOURS,
            ),
            (
                "org.device_interval_secs",
                self.org.device_interval_secs,
                MAX_DEVICE_INTERVAL_SECS,
            ),
        ] {
            if v > max {
                return err(field, format!("{v} is more than the maximum, {max}"));
            }
        }
        if !matches!(
            self.shapes.api_disabled_for_user_code.as_str(),
            "API_DISABLED_FOR_ORG" | "API_CURRENTLY_DISABLED"
        ) {
            return err(
                "shapes.api_disabled_for_user_code",
                "must be API_DISABLED_FOR_ORG or API_CURRENTLY_DISABLED".into(),
            );
        }
        if self.org.session_timeout_secs == 0 {
            return err("org.session_timeout_secs", "must be at least 1".into());
        }
        if parse_api_version(&self.org.api_version).is_none() {
            return err(
                "org.api_version",
                format!(
                    "`{}` is not a served REST API version: {OLDEST_API_VERSION}.0 to 99.0 (30.0 and older are retired)",
                    self.org.api_version
                ),
            );
        }
        for (field, v) in [
            ("data.leaver_percent", self.data.leaver_percent),
            (
                "data.missing_email_percent",
                self.data.missing_email_percent,
            ),
            (
                "data.duplicate_email_percent",
                self.data.duplicate_email_percent,
            ),
        ] {
            if v > 100 {
                return err(field, format!("{v} is not a percentage"));
            }
        }
        if let Err((field, message)) = crate::sim::seed::validate(self) {
            return Err((field, message, None));
        }
        if self.faults.huge_body_bytes > MAX_HUGE_BODY {
            return err(
                "faults.huge_body_bytes",
                format!(
                    "{} is more than the maximum, {MAX_HUGE_BODY}",
                    self.faults.huge_body_bytes
                ),
            );
        }
        if !(0.0..=1.0).contains(&self.faults.error_rate) {
            return err("faults.error_rate", "must be between 0 and 1".into());
        }
        for (field, status) in [
            ("faults.error_status", self.faults.error_status),
            ("faults.html_status", self.faults.html_status),
        ] {
            if status != 0 && !(100..=599).contains(&status) {
                return err(field, format!("{status} is not an HTTP status"));
            }
        }
        Ok(())
    }
}

/// The major of a REST API version the org may serve (`67.0` → 67), `OLDEST_API_VERSION`
/// to 99.
pub fn parse_api_version(v: &str) -> Option<u32> {
    let major: u32 = v.strip_suffix(".0")?.parse().ok()?;
    (OLDEST_API_VERSION..=99).contains(&major).then_some(major)
}

/// Why a scenario file the user named cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScenarioFileError {
    #[error("not a regular file (a FIFO, device or directory cannot be a scenario)")]
    NotRegular,
    #[error("the file is {size} bytes; a scenario file may have at most {cap}")]
    TooLarge { size: u64, cap: u64 },
    #[error("cannot read the scenario file: {0}")]
    Unreadable(String),
    #[error("the scenario file is not UTF-8 text")]
    NotUtf8,
}

/// Reads a scenario file the user named: it must be a regular file of at most `cap` bytes.
/// A FIFO, a device (`/dev/zero`) or a directory is refused at once, before it is opened
/// (opening a FIFO would wait for a writer), and the read itself stops after `cap` bytes.
pub fn read_scenario_file(path: &Path, cap: u64) -> Result<String, ScenarioFileError> {
    use std::io::Read;
    let regular = |meta: &std::fs::Metadata| -> Result<(), ScenarioFileError> {
        if !meta.is_file() {
            return Err(ScenarioFileError::NotRegular);
        }
        if meta.len() > cap {
            return Err(ScenarioFileError::TooLarge {
                size: meta.len(),
                cap,
            });
        }
        Ok(())
    };
    let unreadable = |e: std::io::Error| ScenarioFileError::Unreadable(e.to_string());
    let meta = std::fs::metadata(path).map_err(unreadable)?;
    regular(&meta)?;
    let file = std::fs::File::open(path).map_err(unreadable)?;
    // The path may have been swapped between the two looks: check what was opened.
    regular(&file.metadata().map_err(unreadable)?)?;
    let mut bytes = Vec::new();
    file.take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > cap {
        return Err(ScenarioFileError::TooLarge {
            size: bytes.len() as u64,
            cap,
        });
    }
    String::from_utf8(bytes).map_err(|_| ScenarioFileError::NotUtf8)
}

/// `major.minor.patch.build`.
pub fn parse_package_version(v: &str) -> Option<[u32; 4]> {
    let parts: Vec<u32> = v
        .split('.')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    <[u32; 4]>::try_from(parts).ok()
}

fn is_sf_id(id: &str, prefix: &str) -> bool {
    id.len() == 15 && id.starts_with(prefix) && id.chars().all(|c| c.is_ascii_alphanumeric())
}

/// The line assigning `field` (its last dotted part): the first such line, or for a user's
/// field the first one after that user's `[[users]]` header.
fn locate_field(src: &str, field: &str, user: Option<usize>) -> Option<usize> {
    let key = field.rsplit('.').next()?;
    let start = match user {
        None => 0,
        Some(n) => src
            .lines()
            .enumerate()
            .filter(|(_, l)| l.trim() == "[[users]]")
            .nth(n)
            .map_or(0, |(i, _)| i),
    };
    crate::toml_at::line_of_key(src, key, start)
}
