//! The user's config file (TOML): defaults for both front ends. `SAGEDIAG_CONFIG` points to it;
//! otherwise `config.toml` in the user's config directory, if present. An invalid file is
//! refused with its path, the line and the field.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::engine::vault::Keep;
use crate::engine::{Environment, Flow};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Theme {
    /// Colours for dark terminals.
    #[default]
    Dark,
    /// Colours for light terminals.
    Light,
    /// No colour (as NO_COLOR).
    NoColor,
    /// For screen readers: no colour, no box drawing, no spinner.
    Plain,
}

/// How the console's lists move.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum KeyStyle {
    /// Arrow keys, Page Up/Down, Home/End; letters are commands only.
    #[default]
    Default,
    /// Also h/j/k/l, g/G, Ctrl-d/Ctrl-u.
    Vim,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// `production`, `sandbox`, or a login URL (validated as it is read).
    pub environment: Option<Environment>,
    /// web, device, jwt, client-credentials, password, refresh, token.
    pub flow: Option<Flow>,
    pub callback_port: Option<u16>,
    pub timeout_secs: Option<u64>,
    pub connect_timeout_secs: Option<u64>,
    pub coverage_limit: Option<u64>,
    /// Days of the integration user's LoginHistory read, as `--history-days` (1-180).
    pub history_days: Option<u32>,
    pub theme: Theme,
    pub key_style: KeyStyle,
    /// Where secrets the user chooses to keep go: memory (not kept), keyring, file.
    pub keep_secrets: Option<Keep>,
    /// Extra CA certificates (PEM files), as `--ca-cert`.
    pub ca_certs: Vec<PathBuf>,
    /// Hosts whose TLS certificate is not verified, as `--insecure-host`.
    pub insecure_hosts: Vec<String>,
    /// Hosts outside Salesforce's domains allowed to receive the token, as `--trust-host`.
    pub trust_hosts: Vec<String>,
    /// The largest response body read, in MiB, as `--max-response-mb`.
    pub max_response_mb: Option<u64>,
    /// What a HAR export keeps of the bodies, as `--har-bodies`: full, shape, none.
    pub har_bodies: Option<crate::engine::export::HarBodies>,
    /// `sagediag watch`: the store and the orgs (`[[watch.org]]`).
    pub watch: WatchSettings,
}

/// The `[watch]` table: the store and `[[watch.org]]` entries.
#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct WatchSettings {
    /// As `watch --store`: sqlite:PATH or postgres://….
    pub store: Option<String>,
    pub org: Vec<WatchOrgSettings>,
}

/// One `[[watch.org]]`: an org watched besides the store's list (the file wins on a name
/// clash). Its consumer secret, for client credentials, is the one `watch add` kept under the
/// org's name, or the environment variable `client_secret_env` names.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WatchOrgSettings {
    pub name: String,
    #[serde(default = "production")]
    pub environment: String,
    /// jwt or client-credentials.
    #[serde(default = "jwt")]
    pub flow: String,
    pub client_id: String,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub private_key: Option<PathBuf>,
    #[serde(default)]
    pub client_secret_env: Option<String>,
    pub integration_user: String,
    #[serde(default)]
    pub integration_app: Option<String>,
    /// `900`, `15m`, `1h`.
    #[serde(default)]
    pub interval: Option<String>,
    /// Seconds first, UTC.
    #[serde(default)]
    pub cron: Option<String>,
    #[serde(default)]
    pub probe_as_integration: bool,
    #[serde(default)]
    pub ca_certs: Vec<PathBuf>,
}

fn production() -> String {
    "production".into()
}

fn jwt() -> String {
    "jwt".into()
}

impl WatchOrgSettings {
    /// The org as watch keeps it, or what is wrong with the entry.
    pub fn to_org(&self) -> Result<crate::engine::watch::WatchOrg, String> {
        use crate::engine::watch::{MonitorFlow, Schedule, WatchOrg, schedule};
        let flow = match self.flow.as_str() {
            "jwt" => MonitorFlow::Jwt,
            "client-credentials" => MonitorFlow::ClientCredentials,
            other => return Err(format!("flow `{other}` is not jwt or client-credentials")),
        };
        let schedule = match (&self.interval, &self.cron) {
            (Some(_), Some(_)) => return Err("give interval or cron, not both".into()),
            (Some(i), None) => Schedule::Interval {
                secs: schedule::parse_duration(i)
                    .ok_or_else(|| format!("interval `{i}` is not a duration (900, 15m, 1h)"))?,
            },
            (None, Some(c)) => Schedule::Cron { expr: c.clone() },
            (None, None) => Schedule::default(),
        };
        schedule::validate(&schedule).map_err(|e| e.to_string())?;
        Environment::parse(&self.environment).map_err(|e| e.to_string())?;
        Ok(WatchOrg {
            name: self.name.clone(),
            environment: self.environment.clone(),
            flow,
            client_id: self.client_id.clone(),
            username: self.username.clone(),
            private_key: self.private_key.clone(),
            integration_user: self.integration_user.clone(),
            integration_app: self.integration_app.clone(),
            probe_as_integration: self.probe_as_integration,
            schedule,
            ca_certs: self.ca_certs.clone(),
        })
    }
}

/// A config file that could not be used: its path, the line and the field, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SettingsError(pub String);

/// A CA certificate file that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaError {
    /// Not readable as a file the user named (missing, a FIFO, too large, …).
    #[error("{0}")]
    Unreadable(String),
    /// Read, but holds no PEM certificate.
    #[error("{path}: not a PEM certificate (-----BEGIN CERTIFICATE-----)")]
    NotPem { path: String },
}

pub fn default_path() -> Option<PathBuf> {
    crate::engine::paths::config_file()
}

/// Loads the config: `SAGEDIAG_CONFIG` (which must exist), else the default path if present.
pub fn load() -> Result<Settings, SettingsError> {
    match std::env::var_os("SAGEDIAG_CONFIG") {
        Some(p) => load_from(Path::new(&p)),
        None => match default_path().filter(|p| p.exists()) {
            Some(p) => load_from(&p),
            None => Ok(Settings::default()),
        },
    }
}

pub fn load_from(path: &Path) -> Result<Settings, SettingsError> {
    let file = path.display().to_string();
    let src = crate::engine::files::read_user_file(path, crate::engine::files::CONFIG)
        .map_err(|e| SettingsError(e.to_string()))?;
    let settings: Settings = toml::from_str(&src).map_err(|e| {
        let msg = e.message().trim().to_string();
        let mut line = e.span().map(|s| crate::toml_at::line_of(&src, s.start));
        let mut field = line
            .and_then(|l| src.lines().nth(l - 1))
            .and_then(|t| t.split_once('='))
            .map(|(k, _)| k.trim().to_string());
        if let Some(key) = msg
            .strip_prefix("unknown field `")
            .and_then(|m| m.split('`').next())
        {
            line = crate::toml_at::line_of_key(&src, key, 0).or(line);
            field = Some(key.to_string());
        }
        let at = line.map(|l| format!(":{l}")).unwrap_or_default();
        let field = field.map(|f| format!(": field `{f}`")).unwrap_or_default();
        SettingsError(format!("{file}{at}{field}: {msg}"))
    })?;
    let bad = |key: &str, msg: String| {
        SettingsError(format!(
            "{file}:{}: field `{key}`: {msg}",
            crate::toml_at::line_of_key(&src, key, 0).unwrap_or(1)
        ))
    };
    if settings.callback_port == Some(0) {
        return Err(bad(
            "callback_port",
            "must be a port between 1 and 65535".into(),
        ));
    }
    if let Some(t) = settings.timeout_secs
        && !(1..=600).contains(&t)
    {
        return Err(bad(
            "timeout_secs",
            format!("{t} is not between 1 and 600 seconds"),
        ));
    }
    if let Some(t) = settings.connect_timeout_secs
        && !(1..=600).contains(&t)
    {
        return Err(bad(
            "connect_timeout_secs",
            format!("{t} is not between 1 and 600 seconds"),
        ));
    }
    if let Some(d) = settings.history_days
        && !(1..=crate::engine::record::MAX_HISTORY_DAYS).contains(&d)
    {
        return Err(bad(
            "history_days",
            format!(
                "{d} is not between 1 and {} days",
                crate::engine::record::MAX_HISTORY_DAYS
            ),
        ));
    }
    if settings.coverage_limit == Some(0) {
        return Err(bad("coverage_limit", "must be at least 1".into()));
    }
    // Relative CA paths are relative to the config file.
    let mut settings = settings;
    let base = path.parent().unwrap_or(Path::new("."));
    for ca in settings.ca_certs.iter_mut() {
        if ca.is_relative() {
            *ca = base.join(&*ca);
        }
        read_ca(ca).map_err(|e| bad("ca_certs", e.to_string()))?;
    }
    for (field, hosts) in [
        ("insecure_hosts", &settings.insecure_hosts),
        ("trust_hosts", &settings.trust_hosts),
    ] {
        for host in hosts {
            if host_name(host).is_err() {
                return Err(bad(
                    field,
                    format!("`{host}` is not a host name (e.g. \"proxy.corp.example\")"),
                ));
            }
        }
    }
    for org in settings.watch.org.iter_mut() {
        if let Some(k) = org.private_key.as_mut()
            && k.is_relative()
        {
            *k = base.join(&*k);
        }
        for ca in org.ca_certs.iter_mut() {
            if ca.is_relative() {
                *ca = base.join(&*ca);
            }
        }
        org.to_org().map_err(|e| {
            SettingsError(format!(
                "{file}:{}: [[watch.org]] `{}`: {e}",
                src.lines()
                    .position(
                        |l| l.trim_start().starts_with("name") && l.contains(org.name.as_str())
                    )
                    .map_or(1, |p| p + 1),
                org.name
            ))
        })?;
    }
    if settings
        .max_response_mb
        .is_some_and(|m| m == 0 || m > MAX_RESPONSE_MB)
    {
        return Err(bad(
            "max_response_mb",
            format!("must be between 1 and {MAX_RESPONSE_MB}"),
        ));
    }
    Ok(settings)
}

/// The largest `max_response_mb` / `--max-response-mb` accepted.
pub const MAX_RESPONSE_MB: u64 = 1024;

/// Host names as `--insecure-host` takes them: trimmed, lower case, each once.
pub fn host_list<'a>(hosts: impl IntoIterator<Item = &'a String>) -> Vec<String> {
    let mut v: Vec<String> = hosts
        .into_iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .filter(|h| !h.is_empty())
        .collect();
    v.sort();
    v.dedup();
    v
}

/// `--trust-host`, `--insecure-host` and the config file's `trust_hosts`, `insecure_hosts`: a host name (letters, digits, `-` and `.`, labels of 1 to
/// 63) or an IPv4 address, lower-cased. No scheme, port, path or space.
pub fn host_name(s: &str) -> Result<String, String> {
    let h = s.trim().to_ascii_lowercase();
    let label_ok = |l: &str| {
        (1..=63).contains(&l.len())
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    if h.len() <= 253 && h.split('.').all(label_ok) {
        Ok(h)
    } else {
        Err("not a host name (e.g. gw.corp.example): no scheme, port, path or space".into())
    }
}

/// A CA certificate file's PEM text, or why it cannot be used.
pub fn read_ca(path: &Path) -> Result<String, CaError> {
    let pem = crate::engine::files::read_user_file(path, crate::engine::files::CA_CERT)
        .map_err(|e| CaError::Unreadable(e.to_string()))?;
    if !pem.contains("-----BEGIN CERTIFICATE-----") {
        return Err(CaError::NotPem {
            path: path.display().to_string(),
        });
    }
    Ok(pem)
}
