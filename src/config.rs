//! One configuration pipeline: typed layers — defaults < the config file < the environment <
//! the flags — merged once ([`Layer::over`]) and built once ([`Layer::build`]) into the
//! engine's [`Config`]. The build owns the per-flow requirements, the defaults, the clamps, the
//! unit conversions and reading the CA files and the private key. The environment reaches a
//! layer through clap (`SAGEDIAG_CLIENT_SECRET` and the other `env =` arguments of the flags).
//!
//! The console's form is a layer too (`tui::form::Form::layer`), built by the same
//! [`Layer::build`].
//!
//! A new option is one field here, one line in [`Layer::over`] and [`Layer::build`], and a flag
//! or a form field.

use std::path::PathBuf;
use std::time::Duration;

use crate::engine::app::AppKind;
use crate::engine::{self, Config, Environment, Flow};
use crate::settings::Settings;

/// A usage error: what to change.
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
            ..Layer::default()
        }
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
        }
    }

    /// The merged layers built into the engine's `Config`, once: defaults, clamps, units, the
    /// per-flow requirements, the CA files and the private key read. Errors name the flag.
    pub fn build(self) -> Result<Config, Usage> {
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
                            .map_err(|e| Usage(format!("--private-key {e}")))?,
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
