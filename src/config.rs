//! One configuration pipeline: typed layers — defaults < the config file < the environment <
//! the flags (or the console's form) — merged once ([`Layer::over`]) and built once: into the
//! engine's [`Config`] ([`Layer::build`]), the admin's login ([`Layer::build_admin`]) and the
//! console's own settings ([`Layer::console`]). The build owns the per-flow requirements, the
//! defaults, the clamps, the unit conversions and reading the CA files and the private key.
//!
//! The environment is two things:
//! - the non-secret options, one `SAGEDIAG_*` variable per config-file key ([`ENV_VARS`],
//!   read by [`Layer::from_env`]): a layer between the config file and the flags;
//! - secrets (`SAGEDIAG_CLIENT_SECRET`, `SAGEDIAG_PASSWORD`, …) and the consumer key, read by
//!   clap as the flags' `env =` values: never written to a file, so never in a lower layer.
//!
//! The console's form is a layer too (`tui::form::Form::layer`), put over the config file and
//! the environment by [`under_form`] and built by the same [`Layer::build`].
//!
//! A new option is one field here, one line in [`Layer::over`] and [`Layer::build`], and a flag
//! or a form field (and, when it is not a secret, a config-file key and a row of [`ENV_VARS`]).

use std::path::PathBuf;
use std::time::Duration;

use crate::engine::app::AppKind;
use crate::engine::export::HarBodies;
use crate::engine::vault::Keep;
use crate::engine::{self, Config, Environment, Flow};
use crate::settings::{KeyStyle, Settings, Theme};

/// A usage error: what to change.
#[derive(Debug)]
pub struct Usage(pub String);

/// One layer of settings: what it sets (None, or empty: the layer below decides).
#[derive(Debug, Clone, Default)]
pub struct Layer {
    /// production, sandbox, or a login URL (`--env`, the config file, the console's step 1).
    pub environment: Option<Environment>,
    pub flow: Option<Flow>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    /// The JWT flow's private key file (read by the build, or by the run: `key_read_by_run`).
    pub private_key: Option<PathBuf>,
    /// The key file is read by the run on its own task (the console: no file I/O on its loop).
    pub key_read_by_run: Option<bool>,
    pub refresh_token: Option<String>,
    pub access_token: Option<String>,
    pub instance_url: Option<String>,
    /// Send a PKCE code challenge in the web flow.
    pub pkce: Option<bool>,
    pub redirect_uri: Option<String>,
    pub callback_port: Option<u16>,
    pub open_browser: Option<bool>,
    pub scope: Option<String>,
    pub timeout_secs: Option<u64>,
    pub connect_timeout_secs: Option<u64>,
    pub login_timeout_secs: Option<u64>,
    pub jwt_audience: Option<String>,
    /// Extra CA certificate files (every layer's, read by the build).
    pub ca_certs: Vec<PathBuf>,
    /// CA certificates already read (PEM text; the console reads them at start).
    pub ca_pems: Vec<String>,
    /// Hosts whose certificate is not verified (every layer's).
    pub insecure_hosts: Vec<String>,
    /// Hosts outside Salesforce's domains the token may go to (every layer's).
    pub trust_hosts: Vec<String>,
    pub max_response_mb: Option<u64>,
    /// The cap in bytes, when a front end holds it so (wins over `max_response_mb`).
    pub max_response_bytes: Option<usize>,
    /// Field coverage: whether to run it, and its limit.
    pub coverage: Option<bool>,
    pub coverage_limit: Option<u64>,
    pub app_kind: Option<AppKind>,
    pub allow_rotation: Option<bool>,
    pub allow_grant_eviction: Option<bool>,
    pub history_days: Option<u32>,
    /// The admin's login (`--admin-*`): the same app and environment, the admin's own flow
    /// and credentials ([`Layer::build_admin`]).
    pub admin_flow: Option<Flow>,
    pub admin_username: Option<String>,
    pub admin_password: Option<String>,
    pub admin_private_key: Option<PathBuf>,
    /// Where the consumer secret and refresh token are kept after a login (both front ends).
    pub keep_secrets: Option<Keep>,
    /// What a HAR export keeps of the bodies (both front ends).
    pub har_bodies: Option<HarBodies>,
    /// The console's colours and keys ([`Layer::console`]).
    pub theme: Option<Theme>,
    pub key_style: Option<KeyStyle>,
    /// Mouse capture in the console (`--mouse`).
    pub mouse: Option<bool>,
}

/// The console's own settings, typed and built from the merged layers ([`Layer::console`]):
/// what the console reads instead of the config file's `Settings`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Console {
    pub theme: Theme,
    pub key_style: KeyStyle,
    /// Where secrets go after a successful login (the form's Keep secrets starts here).
    pub keep: Keep,
    /// What `W`'s HAR export keeps of the bodies.
    pub har_bodies: HarBodies,
    pub mouse: bool,
}

/// The defaults under every layer.
pub const DEFAULT_TIMEOUT_SECS: u64 = 30;
pub const DEFAULT_CONNECT_TIMEOUT_SECS: u64 = 10;
pub const DEFAULT_LOGIN_TIMEOUT_SECS: u64 = 300;
pub const DEFAULT_COVERAGE_LIMIT: u64 = 100_000;

impl Layer {
    /// The config file as a layer.
    pub fn from_settings(s: &Settings) -> Layer {
        Layer {
            environment: s.environment.clone(),
            flow: s.flow,
            callback_port: s.callback_port,
            timeout_secs: s.timeout_secs,
            connect_timeout_secs: s.connect_timeout_secs,
            coverage_limit: s.coverage_limit,
            history_days: s.history_days,
            ca_certs: s.ca_certs.clone(),
            insecure_hosts: s.insecure_hosts.clone(),
            trust_hosts: s.trust_hosts.clone(),
            max_response_mb: s.max_response_mb,
            keep_secrets: s.keep_secrets,
            har_bodies: s.har_bodies,
            // The file's theme and key style are typed with defaults; they still only set what
            // the file says, so a lower layer is never hidden by a default.
            theme: (s.theme != Theme::default()).then_some(s.theme),
            key_style: (s.key_style != KeyStyle::default()).then_some(s.key_style),
            ..Layer::default()
        }
    }

    /// The non-secret options from the environment (one `SAGEDIAG_*` variable per config-file
    /// key, [`ENV_VARS`]): a layer between the config file and the flags. An empty variable is
    /// unset. A bad value is a usage error naming the variable.
    pub fn from_env() -> Result<Layer, Usage> {
        Layer::from_env_with(|name| std::env::var_os(name))
    }

    /// [`Layer::from_env`] over any lookup (tests).
    pub fn from_env_with(get: impl Fn(&str) -> Option<std::ffi::OsString>) -> Result<Layer, Usage> {
        let var = |name: &str| -> Result<Option<String>, Usage> {
            match get(name) {
                None => Ok(None),
                Some(v) => match v.into_string() {
                    Ok(v) if v.trim().is_empty() => Ok(None),
                    Ok(v) => Ok(Some(v.trim().to_string())),
                    Err(_) => Err(Usage(format!("{name}: not valid UTF-8"))),
                },
            }
        };
        let bad = |name: &str, v: &str, why: String| {
            Usage(format!(
                "{name}={}: {why} (unset it, or see docs/check.md#environment-variables)",
                crate::engine::sanitize::line(v)
            ))
        };
        // Enumerations read with the config file's names (serde), so both spell them alike.
        fn named<T: serde::de::DeserializeOwned>(v: &str) -> Result<T, String> {
            T::deserialize(serde::de::value::StrDeserializer::<serde::de::value::Error>::new(v))
                .map_err(|e| e.to_string())
        }
        let num = |name: &str, lo: u64, hi: u64, unit: &str| -> Result<Option<u64>, Usage> {
            match var(name)? {
                None => Ok(None),
                Some(v) => match v.parse::<u64>() {
                    Ok(n) if (lo..=hi).contains(&n) => Ok(Some(n)),
                    _ if hi == u64::MAX => Err(bad(
                        name,
                        &v,
                        format!("not a whole number of {unit}, at least {lo}"),
                    )),
                    _ => Err(bad(
                        name,
                        &v,
                        format!("not a whole number of {unit} between {lo} and {hi}"),
                    )),
                },
            }
        };
        let mut layer = Layer::default();
        macro_rules! enumerated {
            ($field:ident, $name:literal) => {
                if let Some(v) = var($name)? {
                    layer.$field = Some(named(&v).map_err(|e| bad($name, &v, e))?);
                }
            };
        }
        enumerated!(environment, "SAGEDIAG_ENVIRONMENT");
        enumerated!(flow, "SAGEDIAG_FLOW");
        enumerated!(keep_secrets, "SAGEDIAG_KEEP_SECRETS");
        enumerated!(har_bodies, "SAGEDIAG_HAR_BODIES");
        enumerated!(theme, "SAGEDIAG_THEME");
        enumerated!(key_style, "SAGEDIAG_KEY_STYLE");
        layer.callback_port = num("SAGEDIAG_CALLBACK_PORT", 1, u64::from(u16::MAX), "port")?
            .and_then(|n| u16::try_from(n).ok());
        layer.timeout_secs = num("SAGEDIAG_TIMEOUT_SECS", 1, 600, "seconds")?;
        layer.connect_timeout_secs = num("SAGEDIAG_CONNECT_TIMEOUT_SECS", 1, 600, "seconds")?;
        layer.coverage_limit = num("SAGEDIAG_COVERAGE_LIMIT", 1, u64::MAX, "employees")?;
        layer.history_days = num(
            "SAGEDIAG_HISTORY_DAYS",
            1,
            u64::from(engine::record::MAX_HISTORY_DAYS),
            "days",
        )?
        .and_then(|n| u32::try_from(n).ok());
        layer.max_response_mb = num(
            "SAGEDIAG_MAX_RESPONSE_MB",
            1,
            crate::settings::MAX_RESPONSE_MB,
            "MiB",
        )?;
        for (name, hosts) in [
            ("SAGEDIAG_INSECURE_HOSTS", &mut layer.insecure_hosts),
            ("SAGEDIAG_TRUST_HOSTS", &mut layer.trust_hosts),
        ] {
            if let Some(v) = var(name)? {
                for h in v.split([',', ' ']).filter(|h| !h.is_empty()) {
                    hosts.push(
                        crate::settings::host_name(h)
                            .map_err(|e| bad(name, &v, format!("`{h}`: {e}")))?,
                    );
                }
            }
        }
        if let Some(v) = get("SAGEDIAG_CA_CERTS").filter(|v| !v.is_empty()) {
            for path in std::env::split_paths(&v).filter(|p| !p.as_os_str().is_empty()) {
                crate::settings::read_ca(&path).map_err(|e| {
                    Usage(format!("SAGEDIAG_CA_CERTS: {e} (unset it, or see docs/check.md#environment-variables)"))
                })?;
                layer.ca_certs.push(path);
            }
        }
        Ok(layer)
    }

    /// The console's own settings from the merged layers: theme, key style, where secrets go,
    /// the HAR's bodies, the mouse.
    pub fn console(&self) -> Console {
        Console {
            theme: self.theme.unwrap_or_default(),
            key_style: self.key_style.unwrap_or_default(),
            keep: self.keep_secrets.unwrap_or_default(),
            har_bodies: self.har_bodies.unwrap_or_default(),
            mouse: self.mouse.unwrap_or(false),
        }
    }

    /// The admin's login (`--admin-*`) from the merged layers, built by the same build: the
    /// check's app, environment, CAs and limits, the admin's own flow (else the check's) and
    /// credentials, no token of the integration user. Its tokens are the admin's: given back
    /// at the end, never kept. None: no admin was given.
    pub fn build_admin(&self) -> Result<Option<Config>, Usage> {
        let Some(username) = self.admin_username.clone() else {
            return Ok(None);
        };
        let flow = self.admin_flow.or(self.flow).unwrap_or(Flow::Web);
        match flow {
            Flow::Token | Flow::Refresh => {
                return Err(Usage(
                    "--admin-flow must log in: web, device, jwt, password or client-credentials"
                        .into(),
                ));
            }
            Flow::Jwt if self.admin_private_key.is_none() => {
                return Err(Usage("--admin-flow jwt needs --admin-private-key".into()));
            }
            Flow::Password if self.admin_password.is_none() => {
                return Err(Usage(
                    "--admin-flow password needs the admin's password (SAGEDIAG_ADMIN_PASSWORD)"
                        .into(),
                ));
            }
            _ => {}
        }
        let admin = Layer {
            flow: Some(flow),
            username: Some(username),
            password: self.admin_password.clone(),
            private_key: self.admin_private_key.clone(),
            key_read_by_run: None,
            refresh_token: None,
            access_token: None,
            ..self.clone()
        };
        let mut cfg = admin.build_as(true)?;
        cfg.ledger = engine::ledger::Ledger::admin();
        cfg.keeper = None;
        Ok(Some(cfg))
    }

    /// This layer over `lower`: what this one sets wins; lists add up (this layer's first).
    pub fn over(self, lower: Layer) -> Layer {
        fn cat<T>(mut a: Vec<T>, b: Vec<T>) -> Vec<T> {
            a.extend(b);
            a
        }
        Layer {
            environment: self.environment.or(lower.environment),
            flow: self.flow.or(lower.flow),
            client_id: self.client_id.or(lower.client_id),
            client_secret: self.client_secret.or(lower.client_secret),
            username: self.username.or(lower.username),
            password: self.password.or(lower.password),
            private_key: self.private_key.or(lower.private_key),
            key_read_by_run: self.key_read_by_run.or(lower.key_read_by_run),
            refresh_token: self.refresh_token.or(lower.refresh_token),
            access_token: self.access_token.or(lower.access_token),
            instance_url: self.instance_url.or(lower.instance_url),
            pkce: self.pkce.or(lower.pkce),
            redirect_uri: self.redirect_uri.or(lower.redirect_uri),
            callback_port: self.callback_port.or(lower.callback_port),
            open_browser: self.open_browser.or(lower.open_browser),
            scope: self.scope.or(lower.scope),
            timeout_secs: self.timeout_secs.or(lower.timeout_secs),
            connect_timeout_secs: self.connect_timeout_secs.or(lower.connect_timeout_secs),
            login_timeout_secs: self.login_timeout_secs.or(lower.login_timeout_secs),
            jwt_audience: self.jwt_audience.or(lower.jwt_audience),
            ca_certs: cat(self.ca_certs, lower.ca_certs),
            ca_pems: cat(self.ca_pems, lower.ca_pems),
            insecure_hosts: cat(self.insecure_hosts, lower.insecure_hosts),
            trust_hosts: cat(self.trust_hosts, lower.trust_hosts),
            max_response_mb: self.max_response_mb.or(lower.max_response_mb),
            max_response_bytes: self.max_response_bytes.or(lower.max_response_bytes),
            coverage: self.coverage.or(lower.coverage),
            coverage_limit: self.coverage_limit.or(lower.coverage_limit),
            app_kind: self.app_kind.or(lower.app_kind),
            allow_rotation: self.allow_rotation.or(lower.allow_rotation),
            allow_grant_eviction: self.allow_grant_eviction.or(lower.allow_grant_eviction),
            history_days: self.history_days.or(lower.history_days),
            admin_flow: self.admin_flow.or(lower.admin_flow),
            admin_username: self.admin_username.or(lower.admin_username),
            admin_password: self.admin_password.or(lower.admin_password),
            admin_private_key: self.admin_private_key.or(lower.admin_private_key),
            keep_secrets: self.keep_secrets.or(lower.keep_secrets),
            har_bodies: self.har_bodies.or(lower.har_bodies),
            theme: self.theme.or(lower.theme),
            key_style: self.key_style.or(lower.key_style),
            mouse: self.mouse.or(lower.mouse),
        }
    }

    /// The merged layers built into the engine's `Config`, once: defaults, clamps, units, the
    /// per-flow requirements, the CA files and the private key read. Errors name the flag.
    pub fn build(self) -> Result<Config, Usage> {
        self.build_as(false)
    }

    /// The build; `admin`: the admin's login, whose key flag is `--admin-private-key`.
    fn build_as(self, admin: bool) -> Result<Config, Usage> {
        let key_flag = if admin {
            "--admin-private-key"
        } else {
            "--private-key"
        };
        let environment = self.environment.unwrap_or(Environment::Production);
        let flow = self.flow.unwrap_or(Flow::Web);
        let client_id = self.client_id.unwrap_or_default();
        if client_id.trim().is_empty() && flow != Flow::Token {
            return Err(Usage("--client-id is required (the connected app's consumer key, from Manage Consumer Details)".into()));
        }
        let mut cfg = Config::new(environment, flow, client_id);
        cfg.client_secret = self.client_secret.filter(|s| !s.is_empty());
        cfg.username = self.username;
        cfg.password = self.password;
        cfg.refresh_token = self.refresh_token;
        cfg.access_token = self.access_token;
        cfg.instance_url = self.instance_url;
        cfg.pkce = self.pkce.unwrap_or(true);
        cfg.allow_rotation = self.allow_rotation.unwrap_or(false);
        cfg.allow_grant_eviction = self.allow_grant_eviction.unwrap_or(false);
        cfg.redirect_uri = self.redirect_uri;
        cfg.callback_port = self.callback_port.unwrap_or(engine::DEFAULT_CALLBACK_PORT);
        cfg.open_browser = self.open_browser.unwrap_or(true);
        cfg.scopes = self.scope;
        let secs = |v: Option<u64>, default: u64| Duration::from_secs(v.unwrap_or(default).max(1));
        cfg.timeout = secs(self.timeout_secs, DEFAULT_TIMEOUT_SECS);
        cfg.connect_timeout = secs(self.connect_timeout_secs, DEFAULT_CONNECT_TIMEOUT_SECS);
        cfg.login_timeout = secs(self.login_timeout_secs, DEFAULT_LOGIN_TIMEOUT_SECS);
        cfg.coverage_limit = self
            .coverage
            .unwrap_or(false)
            .then(|| self.coverage_limit.unwrap_or(DEFAULT_COVERAGE_LIMIT));
        cfg.jwt_audience = self.jwt_audience;
        cfg.history_days = self
            .history_days
            .unwrap_or(engine::record::DEFAULT_HISTORY_DAYS)
            .clamp(1, engine::record::MAX_HISTORY_DAYS);
        cfg.app_kind = self.app_kind.filter(|k| *k != AppKind::Unknown);
        cfg.insecure_hosts = crate::settings::host_list(&self.insecure_hosts);
        cfg.trust_hosts = crate::settings::host_list(&self.trust_hosts);
        for host in &cfg.trust_hosts {
            if host.contains(['/', ':', ' ']) {
                return Err(Usage(format!(
                    "--trust-host `{host}` is not a host name (e.g. gw.corp.example)"
                )));
            }
        }
        cfg.max_response_bytes = self
            .max_response_bytes
            .or(self
                .max_response_mb
                .map(|mb| (mb as usize).saturating_mul(1024 * 1024)))
            .unwrap_or(engine::http::MAX_RESPONSE_BYTES);
        cfg.ca_certs_pem = self.ca_pems;
        for path in &self.ca_certs {
            cfg.ca_certs_pem
                .push(crate::settings::read_ca(path).map_err(|e| Usage(format!("--ca-cert {e}")))?);
        }
        match flow {
            Flow::Jwt => {
                let path = self.private_key.as_ref().ok_or_else(|| {
                    Usage("--flow jwt needs --private-key FILE and --username".into())
                })?;
                if self.key_read_by_run == Some(true) {
                    cfg.private_key_path = Some(path.clone());
                } else {
                    if cfg.username.is_none() {
                        return Err(Usage("--flow jwt needs --username".into()));
                    }
                    cfg.private_key_pem = Some(
                        engine::files::read_user_file(path, engine::files::PRIVATE_KEY)
                            .map_err(|e| Usage(format!("{key_flag} {e}")))?,
                    );
                }
            }
            Flow::Password if cfg.username.is_none() || cfg.password.is_none() => {
                return Err(Usage(
                    "--flow password needs --username and a password (SAGEDIAG_PASSWORD)".into(),
                ));
            }
            Flow::Token if cfg.access_token.is_none() || cfg.instance_url.is_none() => {
                return Err(Usage(
                    "--flow token needs an access token (SAGEDIAG_ACCESS_TOKEN) and --instance-url"
                        .into(),
                ));
            }
            _ => {}
        }
        if let Some(i) = &cfg.instance_url {
            cfg.instance_url = Some(
                engine::environment::validate_login_url(i)
                    .map_err(|e| Usage(format!("--instance-url: {e}")))?,
            );
        }
        Ok(cfg)
    }
}

/// The environment variables of the non-secret options: each is the config-file key of the
/// same name (upper case, `SAGEDIAG_` before it) and reads as that key does.
pub const ENV_VARS: &[(&str, &str)] = &[
    (
        "SAGEDIAG_ENVIRONMENT",
        "production, sandbox, or a login URL (as --env)",
    ),
    (
        "SAGEDIAG_FLOW",
        "web, device, jwt, client-credentials, password, refresh or token (as --flow)",
    ),
    (
        "SAGEDIAG_CALLBACK_PORT",
        "the loopback callback's port, 1-65535 (as --callback-port)",
    ),
    (
        "SAGEDIAG_TIMEOUT_SECS",
        "seconds each request may take, 1-600 (as --timeout)",
    ),
    (
        "SAGEDIAG_CONNECT_TIMEOUT_SECS",
        "seconds to open a connection, 1-600 (as --connect-timeout)",
    ),
    (
        "SAGEDIAG_COVERAGE_LIMIT",
        "most employees field coverage reads (as --coverage-limit)",
    ),
    (
        "SAGEDIAG_HISTORY_DAYS",
        "days of LoginHistory read, 1-180 (as --history-days)",
    ),
    (
        "SAGEDIAG_MAX_RESPONSE_MB",
        "the largest response body read, MiB, 1-1024 (as --max-response-mb)",
    ),
    (
        "SAGEDIAG_CA_CERTS",
        "extra CA certificate files, separated as PATH is (as --ca-cert)",
    ),
    (
        "SAGEDIAG_INSECURE_HOSTS",
        "hosts whose certificate is not verified, comma-separated (as --insecure-host)",
    ),
    (
        "SAGEDIAG_TRUST_HOSTS",
        "hosts outside Salesforce allowed the token, comma-separated (as --trust-host)",
    ),
    (
        "SAGEDIAG_KEEP_SECRETS",
        "memory, keyring or file (as --keep-secrets)",
    ),
    (
        "SAGEDIAG_HAR_BODIES",
        "full, shape or none (as --har-bodies)",
    ),
    (
        "SAGEDIAG_THEME",
        "dark, light, no-color or plain (as --theme)",
    ),
    ("SAGEDIAG_KEY_STYLE", "default or vim (the console's keys)"),
];

/// The config file and the environment merged: the layers under the flags or the console's
/// form. A bad variable is a usage error naming it.
pub fn file_and_env(file: &Settings) -> Result<Layer, Usage> {
    Ok(Layer::from_env()?.over(Layer::from_settings(file)))
}

/// What the console's form goes over: the console's flags (`--theme`, `--mouse`, `--ca-cert`,
/// `--insecure-host`) over the environment over the config file. Its [`Layer::console`] is the
/// console's own settings; [`under_form`] puts the form over it.
pub fn console_below(file: &Settings, flags: Layer) -> Result<Layer, Usage> {
    Ok(flags.over(file_and_env(file)?))
}

/// The console's form over the layers under it (the config file and the environment, from
/// [`file_and_env`]): the form sets what the user set on it, the rest comes from below. The
/// console builds the result with [`Layer::build`], so it need not copy the config file's
/// values into its form.
pub fn under_form(form: Layer, below: &Layer) -> Layer {
    form.over(below.clone())
}

/// The config file's settings with the environment's (and the flags') console-relevant values
/// put over them: what `tui::run` is given until the console reads [`Console`] and a [`Layer`]
/// itself. Lists add up; a value set in `layer` wins.
pub fn settings_over(mut file: Settings, layer: &Layer) -> Settings {
    if layer.environment.is_some() {
        file.environment = layer.environment.clone();
    }
    file.flow = layer.flow.or(file.flow);
    file.callback_port = layer.callback_port.or(file.callback_port);
    file.timeout_secs = layer.timeout_secs.or(file.timeout_secs);
    file.connect_timeout_secs = layer.connect_timeout_secs.or(file.connect_timeout_secs);
    file.coverage_limit = layer.coverage_limit.or(file.coverage_limit);
    file.history_days = layer.history_days.or(file.history_days);
    file.max_response_mb = layer.max_response_mb.or(file.max_response_mb);
    file.keep_secrets = layer.keep_secrets.or(file.keep_secrets);
    file.har_bodies = layer.har_bodies.or(file.har_bodies);
    file.theme = layer.theme.unwrap_or(file.theme);
    file.key_style = layer.key_style.unwrap_or(file.key_style);
    for p in &layer.ca_certs {
        if !file.ca_certs.contains(p) {
            file.ca_certs.push(p.clone());
        }
    }
    for h in &layer.insecure_hosts {
        if !file.insecure_hosts.contains(h) {
            file.insecure_hosts.push(h.clone());
        }
    }
    for h in &layer.trust_hosts {
        if !file.trust_hosts.contains(h) {
            file.trust_hosts.push(h.clone());
        }
    }
    file
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)]) -> Result<Layer, String> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Layer::from_env_with(|name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.into()))
            .map_err(|e| e.0)
    }

    #[test]
    fn the_environment_reads_each_option_typed_and_names_a_bad_one() {
        let l = env(&[
            ("SAGEDIAG_ENVIRONMENT", "sandbox"),
            ("SAGEDIAG_FLOW", "client-credentials"),
            ("SAGEDIAG_CALLBACK_PORT", "8787"),
            ("SAGEDIAG_TIMEOUT_SECS", " 12 "),
            ("SAGEDIAG_HISTORY_DAYS", "30"),
            ("SAGEDIAG_KEEP_SECRETS", "file"),
            ("SAGEDIAG_HAR_BODIES", "none"),
            ("SAGEDIAG_THEME", "no-color"),
            ("SAGEDIAG_KEY_STYLE", "vim"),
            ("SAGEDIAG_TRUST_HOSTS", "GW.corp.example, api.corp.example"),
            ("SAGEDIAG_COVERAGE_LIMIT", ""),
        ])
        .unwrap();
        assert_eq!(l.environment, Some(Environment::Sandbox));
        assert_eq!(l.flow, Some(Flow::ClientCredentials));
        assert_eq!(l.callback_port, Some(8787));
        assert_eq!(l.timeout_secs, Some(12));
        assert_eq!(l.history_days, Some(30));
        assert_eq!(l.coverage_limit, None, "an empty variable is unset");
        assert_eq!(l.trust_hosts, ["gw.corp.example", "api.corp.example"]);
        let c = l.console();
        assert_eq!(
            (c.keep, c.har_bodies, c.theme, c.key_style),
            (Keep::File, HarBodies::None, Theme::NoColor, KeyStyle::Vim)
        );
        for (var, value) in [
            ("SAGEDIAG_CALLBACK_PORT", "0"),
            ("SAGEDIAG_CALLBACK_PORT", "70000"),
            ("SAGEDIAG_HISTORY_DAYS", "181"),
            ("SAGEDIAG_MAX_RESPONSE_MB", "2048"),
            ("SAGEDIAG_KEEP_SECRETS", "disk"),
            ("SAGEDIAG_INSECURE_HOSTS", "a b:1"),
        ] {
            let e = env(&[(var, value)]).unwrap_err();
            assert!(e.starts_with(&format!("{var}=")), "{e}");
        }
    }

    #[test]
    fn every_environment_variable_is_read_and_documented() {
        let doc = include_str!("../docs/check.md");
        for (var, _) in ENV_VARS {
            assert!(
                doc.contains(&format!("| `{var}` |")),
                "docs/check.md lists {var}"
            );
            // Read: a value no option takes is refused, naming the variable.
            if *var != "SAGEDIAG_CA_CERTS" && *var != "SAGEDIAG_ENVIRONMENT" {
                let e = env(&[(var, "\u{1}bad value")]).unwrap_err();
                assert!(e.starts_with(&format!("{var}=")), "{e}");
            }
        }
    }

    #[test]
    fn the_layers_merge_file_then_environment_then_flags() {
        let file = Settings {
            flow: Some(Flow::Device),
            timeout_secs: Some(20),
            keep_secrets: Some(Keep::Keyring),
            ..Settings::default()
        };
        let env = env(&[
            ("SAGEDIAG_TIMEOUT_SECS", "40"),
            ("SAGEDIAG_HAR_BODIES", "full"),
        ])
        .unwrap();
        let flags = Layer {
            client_id: Some("3MVG9x".into()),
            flow: Some(Flow::Web),
            ..Layer::default()
        };
        let merged = flags.over(env.over(Layer::from_settings(&file)));
        let c = merged.console();
        assert_eq!((c.keep, c.har_bodies), (Keep::Keyring, HarBodies::Full));
        let cfg = merged.build().map_err(|e| e.0).unwrap();
        assert_eq!(cfg.flow, Flow::Web);
        assert_eq!(cfg.timeout, Duration::from_secs(40));
        // The console's form over the same layers.
        let below = Layer::from_settings(&file);
        let form = Layer {
            client_id: Some("3MVG9x".into()),
            ..Layer::default()
        };
        let cfg = under_form(form, &below).build().map_err(|e| e.0).unwrap();
        assert_eq!((cfg.flow, cfg.timeout.as_secs()), (Flow::Device, 20));
    }

    #[test]
    fn the_admin_login_is_built_by_the_same_pipeline() {
        let base = Layer {
            environment: Some(Environment::Sandbox),
            client_id: Some("3MVG9x".into()),
            username: Some("api@acme.example".into()),
            refresh_token: Some("5Aep-integration".into()),
            flow: Some(Flow::Refresh),
            timeout_secs: Some(9),
            ..Layer::default()
        };
        assert!(base.build_admin().unwrap().is_none());
        let admin = |l: Layer| l.build_admin().map_err(|e| e.0);
        let refused = |l: Layer| match l.build_admin() {
            Ok(_) => panic!("an admin login was built"),
            Err(e) => e.0,
        };
        let with = |flow: Option<Flow>, pw: Option<&str>| Layer {
            admin_username: Some("admin@acme.example".into()),
            admin_flow: flow,
            admin_password: pw.map(str::to_string),
            ..base.clone()
        };
        // The check's flow (refresh) cannot log an admin in.
        assert!(refused(with(None, None)).contains("--admin-flow must log in"));
        assert!(refused(with(Some(Flow::Jwt), None)).contains("--admin-private-key"));
        assert!(refused(with(Some(Flow::Password), None)).contains("SAGEDIAG_ADMIN_PASSWORD"));
        let cfg = admin(with(Some(Flow::Password), Some("pw")))
            .unwrap()
            .unwrap();
        assert_eq!(cfg.flow, Flow::Password);
        assert_eq!(cfg.username.as_deref(), Some("admin@acme.example"));
        assert_eq!(cfg.password.as_deref(), Some("pw"));
        assert_eq!(cfg.refresh_token, None, "no token of the integration user");
        assert_eq!(cfg.environment, Environment::Sandbox);
        assert_eq!(cfg.timeout, Duration::from_secs(9));
        assert!(cfg.keeper.is_none());
        let missing = Layer {
            admin_private_key: Some("/nonexistent/admin.key".into()),
            ..with(Some(Flow::Jwt), None)
        };
        assert!(refused(missing).starts_with("--admin-private-key "));
    }
}
