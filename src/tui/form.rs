//! The form: environment and connected app, what each field holds, and how a field is typed in
//! (Esc puts it back, Ctrl-U clears to the start, Ctrl-W deletes a word, a paste loses its
//! newlines). `config()` turns it into the engine's run configuration.

use super::error::FormError;
use crossterm::event::KeyEvent;
use ratatui_textarea::TextArea;

use crate::config::Layer;
use crate::engine::app::AppKind;
use crate::engine::setup;
use crate::engine::vault::Keep;
use crate::engine::{Config, Environment, Flow};

use super::keymap::Action;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnvChoice {
    Production,
    Sandbox,
    Custom,
    Demo,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    Custom,
    StackOne,
    Nango,
}

impl Preset {
    pub fn name(self) -> &'static str {
        match self {
            Preset::Custom => "Custom",
            Preset::StackOne => "StackOne",
            Preset::Nango => "Nango",
        }
    }

    /// What the connected app must be set to for this integration platform.
    pub fn advice(self) -> &'static str {
        match self {
            Preset::Custom => "sagediag's loopback callback; PKCE on.",
            Preset::StackOne => {
                "Callback https://api.stackone.com/connect/oauth2/sagepeople/callback; untick Require PKCE (StackOne sends no code challenge); keep Require Secret for Web Server and Refresh Token flows ticked; assign all seven permission sets."
            }
            Preset::Nango => {
                "Callback https://api.nango.dev/oauth/callback; prompt=consent; scopes api + refresh_token, offline_access; refresh policy: valid until revoked."
            }
        }
    }

    /// The engine's name for it (the set-up sheet's platform).
    pub fn engine(self) -> setup::Preset {
        match self {
            Preset::Custom => setup::Preset::Custom,
            Preset::StackOne => setup::Preset::StackOne,
            Preset::Nango => setup::Preset::Nango,
        }
    }

    pub fn callback(self) -> Option<&'static str> {
        match self {
            Preset::Custom => None,
            Preset::StackOne => Some("https://api.stackone.com/connect/oauth2/sagepeople/callback"),
            Preset::Nango => Some("https://api.nango.dev/oauth/callback"),
        }
    }
}

/// The connected-app form's fields, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    ClientId,
    ClientSecret,
    Username,
    Flow,
    Pkce,
    Preset,
    /// Connected app or External Client App (or not declared: detected after login).
    AppKind,
    Keep,
    /// The flow's own credential: private key file (jwt), password, refresh token, access token.
    Credential,
}

pub struct Form {
    pub env: EnvChoice,
    pub custom_url: TextArea<'static>,
    pub client_id: TextArea<'static>,
    pub client_secret: TextArea<'static>,
    pub username: TextArea<'static>,
    /// The flow's own credential (see [`Form::credential_label`]); drawn masked unless a path.
    pub credential: TextArea<'static>,
    pub reveal_secret: bool,
    pub flow: Flow,
    pub pkce: bool,
    pub preset: Preset,
    /// The kind of app declared (`Unknown`: not declared, detected once logged in).
    pub app_kind: AppKind,
    pub field: usize,
    /// The demo org's login URL.
    pub demo_url: Option<String>,
    /// Extra CA certificates (PEM text), from `--ca-cert` or the config file.
    pub ca_certs_pem: Vec<String>,
    /// Hosts whose certificate is not verified (`--insecure-host`): a banner shows them.
    pub insecure_hosts: Vec<String>,
    /// Hosts outside Salesforce's domains the token may go to (config `trust_hosts`).
    pub trust_hosts: Vec<String>,
    /// The response-body cap (config `max_response_mb`), when set.
    pub max_response_bytes: Option<usize>,
    /// Where the consumer secret and refresh token are kept after a successful login.
    pub keep: Keep,
    /// The refresh token of the last login (memory), or one recalled from a store; never drawn.
    pub refresh_token: Option<String>,
    /// The form (login URL, consumer key, username) the refresh token belongs to.
    pub refresh_key: Option<VaultKey>,
    /// Where the consumer secret and the refresh token were recalled from.
    pub secret_from: Option<Keep>,
    pub refresh_from: Option<Keep>,
    /// Seconds each request may take (config `timeout_secs`).
    pub timeout_secs: u64,
    /// Seconds to open a connection (config `connect_timeout_secs`).
    pub connect_timeout_secs: u64,
    /// Most employees field coverage reads (config `coverage_limit`).
    pub coverage_limit: u64,
    /// Days of the integration user's Login History read (config `history_days`).
    pub history_days: u32,
}

pub fn text(s: &str) -> TextArea<'static> {
    let mut t = TextArea::new(vec![s.to_string()]);
    t.move_cursor(ratatui_textarea::CursorMove::End);
    t
}

pub fn masked(s: &str) -> TextArea<'static> {
    let mut t = text(s);
    t.set_mask_char('•');
    t
}

pub fn first_line(t: &TextArea) -> String {
    t.lines().first().cloned().unwrap_or_default()
}

impl Form {
    /// The demo org is running: environment and credentials filled in.
    pub fn set_demo(&mut self, login_url: &str, client_id: &str, secret: &str, username: &str) {
        self.env = EnvChoice::Demo;
        self.demo_url = Some(login_url.to_string());
        self.client_id = text(client_id);
        set_text(&mut self.client_secret, secret);
        self.client_secret.set_mask_char('•');
        self.username = text(username);
    }

    /// A demo scenario's preset (flow, PKCE, the flow's credential, the host) so a run
    /// reproduces it.
    pub fn apply_preset(&mut self, preset: &super::demo::DemoPreset) {
        if let Some(host) = &preset.host {
            self.demo_url = Some(host.clone());
        }
        self.flow = preset.flow;
        self.pkce = preset.pkce;
        self.app_kind = preset.app_kind.unwrap_or_default();
        self.credential = text(preset.credential.as_deref().unwrap_or(""));
        self.field = 0;
    }

    /// The text of a field that is typed in (`None`: the custom URL).
    pub fn field_mut(&mut self, field: Option<Field>) -> Option<&mut TextArea<'static>> {
        match field {
            None => Some(&mut self.custom_url),
            Some(Field::ClientId) => Some(&mut self.client_id),
            Some(Field::ClientSecret) => Some(&mut self.client_secret),
            Some(Field::Username) => Some(&mut self.username),
            Some(Field::Credential) => Some(&mut self.credential),
            Some(_) => None,
        }
    }

    pub fn new() -> Form {
        Form {
            env: EnvChoice::Production,
            custom_url: text("https://"),
            client_id: text(""),
            client_secret: masked(""),
            username: text(""),
            credential: text(""),
            reveal_secret: false,
            flow: Flow::Web,
            pkce: true,
            preset: Preset::Custom,
            app_kind: AppKind::Unknown,
            field: 0,
            demo_url: None,
            ca_certs_pem: Vec::new(),
            insecure_hosts: Vec::new(),
            trust_hosts: Vec::new(),
            max_response_bytes: None,
            keep: Keep::Memory,
            refresh_token: None,
            refresh_key: None,
            secret_from: None,
            refresh_from: None,
            timeout_secs: 30,
            connect_timeout_secs: 10,
            coverage_limit: 20_000,
            history_days: crate::engine::record::DEFAULT_HISTORY_DAYS,
        }
    }

    pub fn login_url(&self) -> Result<Environment, super::error::FormError> {
        match self.env {
            EnvChoice::Production => Ok(Environment::Production),
            EnvChoice::Sandbox => Ok(Environment::Sandbox),
            EnvChoice::Custom => Environment::parse(&first_line(&self.custom_url))
                .map_err(|e| FormError(e.to_string()))
                .and_then(valid_url),
            EnvChoice::Demo => self
                .demo_url
                .as_deref()
                .map(|u| Environment::parse(u).map_err(|e| FormError(e.to_string())))
                .unwrap_or_else(|| Err("no demo org is running".into())),
        }
    }

    pub fn callback(&self) -> String {
        self.preset
            .callback()
            .map(str::to_string)
            .unwrap_or_else(crate::engine::default_redirect_uri)
    }

    /// The form as a layer of the one configuration pipeline (`crate::config`): what the
    /// console's fields and its config-file settings say, checked in the console's words.
    pub fn layer(&self) -> Result<Layer, super::error::FormError> {
        let env = self.login_url()?;
        let client_id = first_line(&self.client_id).trim().to_string();
        if client_id.is_empty() {
            return Err("Enter the consumer key (Connected app, step 2).".into());
        }
        let mut layer = Layer {
            environment: Some(env.clone()),
            flow: Some(self.flow),
            client_id: Some(client_id),
            client_secret: Some(first_line(&self.client_secret)).filter(|s| !s.is_empty()),
            username: Some(first_line(&self.username).trim().to_string()).filter(|s| !s.is_empty()),
            pkce: Some(self.pkce),
            redirect_uri: self.preset.callback().map(str::to_string),
            app_kind: Some(self.app_kind),
            open_browser: Some(false),
            login_timeout_secs: Some(300),
            timeout_secs: Some(self.timeout_secs),
            connect_timeout_secs: Some(self.connect_timeout_secs),
            coverage: Some(true),
            coverage_limit: Some(self.coverage_limit),
            history_days: Some(self.history_days),
            ca_pems: self.ca_certs_pem.clone(),
            insecure_hosts: self.insecure_hosts.clone(),
            trust_hosts: self.trust_hosts.clone(),
            max_response_bytes: self.max_response_bytes,
            ..Layer::default()
        };
        let credential = Some(first_line(&self.credential)).filter(|s| !s.trim().is_empty());
        match self.flow {
            Flow::Jwt => {
                let path = credential.ok_or(
                    "The JWT flow needs the private key file (PEM) whose certificate is on the connected app: step 2, Private key file.",
                )?;
                // Read by the run on its own task (no reading on the console's loop); a file that
                // is not there is the form's error, naming the path, not a finding with a fix.
                let path = std::path::PathBuf::from(expand_tilde(path.trim()));
                match std::fs::metadata(&path) {
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                        return Err(format!(
                            "No private key file at {}: check the path (step 2, Private key file).",
                            path.display()
                        )
                        .into());
                    }
                    Ok(m) if !m.is_file() => {
                        return Err(format!(
                            "{} is not a file: the JWT flow needs the private key file (PEM), step 2, Private key file.",
                            path.display()
                        )
                        .into());
                    }
                    _ => {}
                }
                layer.private_key = Some(path);
                layer.key_read_by_run = Some(true);
            }
            Flow::Password => {
                if credential.is_none() || layer.username.is_none() {
                    return Err(
                        "The password flow needs the username and the password (step 2).".into(),
                    );
                }
                layer.password = credential;
            }
            Flow::Refresh => {
                layer.refresh_token = credential.or_else(|| {
                    (self.refresh_key.is_some() && self.refresh_key == self.vault_key())
                        .then(|| self.refresh_token.clone())
                        .flatten()
                });
            }
            Flow::Token => {
                layer.access_token = Some(
                    credential
                        .ok_or("The token flow needs an access token: step 2, Access token.")?,
                );
                // The session's instance is the My Domain URL chosen as the environment.
                if self.env != EnvChoice::Custom && self.env != EnvChoice::Demo {
                    return Err("The token flow needs the instance URL: choose My Domain / custom URL in step 1 and enter the instance (My Domain) URL.".into());
                }
                layer.instance_url = Some(env.login_url());
            }
            _ => {}
        }
        Ok(layer)
    }

    /// The engine's `Config` for a run from the console: the form's layer, built by the one
    /// pipeline (`crate::config::Layer::build`).
    pub fn config(&self) -> Result<Config, super::error::FormError> {
        self.layer()?
            .build()
            .map_err(|u| super::error::FormError::from(u.0))
    }
}

impl Form {
    /// The form's fields for its flow: the flow's own credential follows the flow.
    pub fn fields(&self) -> Vec<Field> {
        let mut f = vec![
            Field::ClientId,
            Field::ClientSecret,
            Field::Username,
            Field::Flow,
        ];
        if self.credential_label().is_some() {
            f.push(Field::Credential);
        }
        f.extend([Field::Pkce, Field::Preset, Field::AppKind, Field::Keep]);
        f
    }

    /// What the flow needs beyond key, secret and username, if anything.
    pub fn credential_label(&self) -> Option<&'static str> {
        match self.flow {
            Flow::Jwt => Some("Private key file"),
            Flow::Password => Some("Password"),
            Flow::Refresh => Some("Refresh token"),
            Flow::Token => Some("Access token"),
            _ => None,
        }
    }

    /// The set-up checklist for the platform and kind of app on the form.
    pub fn sheet(&self) -> setup::Sheet {
        setup::sheet(self.preset.engine(), self.app_kind)
    }

    /// The checklist for the kind declared on the form or, when none is, the kind the last run
    /// found (`detected`).
    pub fn sheet_after(&self, detected: Option<AppKind>) -> setup::Sheet {
        let kind = match (self.app_kind, detected) {
            (AppKind::Unknown, Some(k)) => k,
            (k, _) => k,
        };
        setup::sheet(self.preset.engine(), kind)
    }

    /// The selected field.
    pub fn selected(&self) -> Field {
        let f = self.fields();
        f[self.field.min(f.len() - 1)]
    }

    /// Which kept secrets belong to this form: (login URL, consumer key, username).
    pub fn vault_key(&self) -> Option<VaultKey> {
        let login = self.login_url().ok()?.login_url();
        let client_id = first_line(&self.client_id).trim().to_string();
        if client_id.is_empty() {
            return None;
        }
        let username =
            Some(first_line(&self.username).trim().to_string()).filter(|s| !s.is_empty());
        Some((login, client_id, username))
    }
}

/// Which app's secrets: (login URL, consumer key, username).
pub type VaultKey = (String, String, Option<String>);

impl Default for Form {
    fn default() -> Self {
        Form::new()
    }
}

/// A custom login URL as it will be saved: one scheme, a host that is a name.
fn valid_url(env: Environment) -> Result<Environment, super::error::FormError> {
    if let Environment::Custom(u) = &env {
        let parsed = url::Url::parse(u).map_err(|e| format!("not a URL: {e}"))?;
        let host = parsed.host_str().unwrap_or_default();
        if matches!(host, "http" | "https") || u.matches("://").count() > 1 {
            return Err(format!(
                "{u}: the scheme is typed twice; enter https://host (e.g. https://acme.my.salesforce.com)"
            ).into());
        }
        if host.is_empty() || host.contains(['/', ' ']) {
            return Err(format!("{u}: no host").into());
        }
    }
    Ok(env)
}

/// `~` and `~/…` as the home directory (paths typed into the form).
pub fn expand_tilde(path: &str) -> String {
    let home = || std::env::var("HOME").ok().filter(|h| !h.is_empty());
    if path == "~" {
        return home().unwrap_or_else(|| path.to_string());
    }
    match (path.strip_prefix("~/"), home()) {
        (Some(rest), Some(h)) => format!("{}/{rest}", h.trim_end_matches('/')),
        _ => path.to_string(),
    }
}

/// A single-line text field being typed in: the value before editing, for Esc.
pub struct Editing {
    pub before: String,
}

/// What a key did to a field being typed in.
#[derive(Debug, PartialEq, Eq)]
pub enum EditOutcome {
    Typing,
    Done,
    Cancelled,
}

/// A key in a text field: `action` is what the keymap's text scope made of it.
pub fn edit_key(
    ta: &mut TextArea<'static>,
    before: &str,
    action: Option<Action>,
    key: KeyEvent,
) -> EditOutcome {
    match action {
        Some(Action::Select) => EditOutcome::Done,
        Some(Action::Back) => {
            set_text(ta, before);
            EditOutcome::Cancelled
        }
        Some(Action::ClearLine) => {
            ta.delete_line_by_head();
            EditOutcome::Typing
        }
        Some(Action::DeleteWord) => {
            ta.delete_word();
            EditOutcome::Typing
        }
        Some(Action::Up | Action::Down) => EditOutcome::Typing,
        _ => {
            ta.input(key);
            EditOutcome::Typing
        }
    }
}

/// A paste into a single-line field: line breaks become nothing (a pasted secret stays secret
/// and never submits), control characters are dropped.
pub fn paste_into(ta: &mut TextArea<'static>, text: &str) {
    let clean: String = text
        .chars()
        .filter(|c| !matches!(c, '\r' | '\n') && !c.is_control())
        .collect();
    ta.insert_str(clean);
}

/// Replaces a field's text, keeping its mask.
pub fn set_text(ta: &mut TextArea<'static>, s: &str) {
    let mask = ta.mask_char();
    *ta = text(s);
    if let Some(m) = mask {
        ta.set_mask_char(m);
    }
}
