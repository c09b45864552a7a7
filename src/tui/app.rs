//! The console's state, and how input and engine events change it. Nothing here draws or
//! waits: keys become [`Effect`]s the event loop carries out (start a run, switch the demo
//! scenario, copy), and the screen is drawn from this state alone.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui_textarea::TextArea;
use std::fmt::Write as _;

use crate::engine::http::{Client, Exchange, REDACTED};
use crate::engine::vault::{self, Keep, Kind, Vault};
use crate::engine::{
    Config, EndpointResult, Environment, Event, Finding, Flow, Report, Status, StepId,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Environment,
    ConnectedApp,
    Login,
    Permissions,
    Findings,
}

impl Screen {
    pub const ALL: [Screen; 5] = [
        Screen::Environment,
        Screen::ConnectedApp,
        Screen::Login,
        Screen::Permissions,
        Screen::Findings,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Screen::Environment => "Environment",
            Screen::ConnectedApp => "Connected app",
            Screen::Login => "Login",
            Screen::Permissions => "Permissions",
            Screen::Findings => "Findings",
        }
    }

    fn index(self) -> usize {
        Screen::ALL.iter().position(|s| *s == self).unwrap_or(0)
    }
}

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

    fn callback(self) -> Option<&'static str> {
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
    pub field: usize,
    /// A text field is being edited: keys go to it.
    pub editing: bool,
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
}

fn text(s: &str) -> TextArea<'static> {
    let mut t = TextArea::new(vec![s.to_string()]);
    t.move_cursor(ratatui_textarea::CursorMove::End);
    t
}

fn masked(s: &str) -> TextArea<'static> {
    let mut t = text(s);
    t.set_mask_char('•');
    t
}

pub fn first_line(t: &TextArea) -> String {
    t.lines().first().cloned().unwrap_or_default()
}

impl Form {
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
            field: 0,
            editing: false,
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
        }
    }

    pub fn login_url(&self) -> Result<Environment, String> {
        match self.env {
            EnvChoice::Production => Ok(Environment::Production),
            EnvChoice::Sandbox => Ok(Environment::Sandbox),
            EnvChoice::Custom => {
                Environment::parse(&first_line(&self.custom_url)).map_err(|e| e.to_string())
            }
            EnvChoice::Demo => self
                .demo_url
                .as_deref()
                .map(|u| Environment::parse(u).map_err(|e| e.to_string()))
                .unwrap_or_else(|| Err("no demo org is running".into())),
        }
    }

    pub fn callback(&self) -> String {
        self.preset
            .callback()
            .map(str::to_string)
            .unwrap_or_else(|| "http://localhost:1717/OauthRedirect".into())
    }

    pub fn config(&self) -> Result<Config, String> {
        let env = self.login_url()?;
        let client_id = first_line(&self.client_id).trim().to_string();
        if client_id.is_empty() {
            return Err("Enter the consumer key (Connected app, step 2).".into());
        }
        let mut cfg = Config::new(env, self.flow, client_id);
        cfg.client_secret = Some(first_line(&self.client_secret)).filter(|s| !s.is_empty());
        cfg.username =
            Some(first_line(&self.username).trim().to_string()).filter(|s| !s.is_empty());
        cfg.pkce = self.pkce;
        cfg.redirect_uri = self.preset.callback().map(str::to_string);
        cfg.open_browser = false;
        cfg.login_timeout = std::time::Duration::from_secs(300);
        cfg.timeout = std::time::Duration::from_secs(self.timeout_secs.max(1));
        cfg.connect_timeout = std::time::Duration::from_secs(self.connect_timeout_secs.max(1));
        cfg.coverage_limit = Some(self.coverage_limit);
        let credential = Some(first_line(&self.credential)).filter(|s| !s.trim().is_empty());
        match self.flow {
            Flow::Jwt => {
                let path = credential.ok_or(
                    "The JWT flow needs the private key file (PEM) whose certificate is on the connected app: step 2, Private key file.",
                )?;
                let path = path.trim();
                let pem = crate::engine::files::read_user_file(
                    std::path::Path::new(path),
                    crate::engine::files::PRIVATE_KEY,
                )
                .map_err(|e| format!("Private key file {e}"))?;
                if !pem.contains("PRIVATE KEY-----") {
                    return Err(format!(
                        "Private key file {path}: not a PEM private key (-----BEGIN PRIVATE KEY-----)"
                    ));
                }
                cfg.private_key_pem = Some(pem);
            }
            Flow::Password => cfg.password = credential,
            Flow::Refresh => {
                cfg.refresh_token = credential.or_else(|| {
                    (self.refresh_key.is_some() && self.refresh_key == self.vault_key())
                        .then(|| self.refresh_token.clone())
                        .flatten()
                });
            }
            Flow::Token => {
                cfg.access_token = Some(
                    credential
                        .ok_or("The token flow needs an access token: step 2, Access token.")?,
                );
                // The session's instance is the My Domain URL chosen as the environment.
                if self.env != EnvChoice::Custom && self.env != EnvChoice::Demo {
                    return Err("The token flow needs the instance URL: choose My Domain / custom URL in step 1 and enter the instance (My Domain) URL.".into());
                }
                cfg.instance_url = Some(cfg.environment.login_url());
            }
            _ => {}
        }
        cfg.ca_certs_pem = self.ca_certs_pem.clone();
        cfg.insecure_hosts = self.insecure_hosts.clone();
        cfg.trust_hosts = self.trust_hosts.clone();
        if let Some(max) = self.max_response_bytes {
            cfg.max_response_bytes = max;
        }
        Ok(cfg)
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
        f.extend([Field::Pkce, Field::Preset, Field::Keep]);
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

/// What the secret stores answered (their calls block, so they run beside the loop).
pub enum VaultMsg {
    /// Whether the OS keyring can be used here; `select`: the user asked for it on the form.
    Keyring {
        result: Result<(), String>,
        select: bool,
    },
    /// Kept secrets found for `key` (or not), and problems reading a store.
    Recalled {
        key: VaultKey,
        secret: Option<(String, Keep)>,
        refresh: Option<(String, Keep)>,
        problems: Vec<String>,
        then_run: bool,
    },
    /// What was kept where, or why not.
    Kept(Vec<Result<(Kind, Keep), String>>),
}

/// One secret to keep: where, under which entry, which kind, the secret.
pub struct KeepWrite {
    pub keep: Keep,
    pub account: String,
    pub kind: Kind,
    pub secret: String,
}

impl Default for Form {
    fn default() -> Self {
        Form::new()
    }
}

#[derive(Debug, Clone)]
pub struct LogRow {
    pub id: u64,
    pub method: String,
    pub url: String,
    pub status: Option<u16>,
    pub duration_ms: u64,
    pub bytes: usize,
    pub done: bool,
    /// When the request went out (for "waiting N s for …").
    pub sent_at: Option<std::time::Instant>,
}

impl LogRow {
    pub fn path(&self) -> String {
        match url::Url::parse(&self.url) {
            Ok(u) => {
                let mut p = u.path().to_string();
                if let Some(q) = u.query() {
                    p.push('?');
                    p.push_str(q);
                }
                p
            }
            Err(_) => self.url.clone(),
        }
    }
}

/// The inspector: an exchange prepared once into lines; drawing takes a slice.
pub struct Inspector {
    pub id: u64,
    pub lines: Vec<String>,
    pub scroll: usize,
    pub wrap: bool,
    pub search: Option<String>,
    pub curl: String,
}

impl Inspector {
    pub fn new(e: &Exchange) -> Inspector {
        let mut lines = vec![format!("{} {}", e.method, e.url)];
        lines.push(format!(
            "status {}  ·  {} ms  ·  {} bytes{}",
            e.status
                .map(|s| s.to_string())
                .unwrap_or_else(|| "—".into()),
            e.duration_ms,
            e.response_bytes,
            if e.body_truncated {
                " (body truncated in the log)"
            } else {
                ""
            }
        ));
        if let Some(err) = &e.error {
            lines.push(format!("error: {err}"));
        }
        lines.push(String::new());
        lines.push("── Request headers".into());
        lines.extend(e.request_headers.iter().map(|(k, v)| format!("{k}: {v}")));
        if let Some(b) = &e.request_body {
            lines.push(String::new());
            lines.push("── Request body".into());
            lines.extend(pretty(b));
        }
        lines.push(String::new());
        lines.push("── Response headers".into());
        lines.extend(e.response_headers.iter().map(|(k, v)| format!("{k}: {v}")));
        if let Some(b) = &e.response_body {
            lines.push(String::new());
            lines.push("── Response body".into());
            lines.extend(pretty(b));
        }
        Inspector {
            id: e.id,
            lines,
            scroll: 0,
            wrap: false,
            search: None,
            curl: curl(e),
        }
    }

    fn find_next(&mut self) {
        let Some(q) = self
            .search
            .as_ref()
            .filter(|q| !q.is_empty())
            .map(|q| q.to_lowercase())
        else {
            return;
        };
        let n = self.lines.len();
        for k in 1..=n {
            let i = (self.scroll + k) % n;
            if self.lines[i].to_lowercase().contains(&q) {
                self.scroll = i;
                return;
            }
        }
    }
}

fn pretty(body: &str) -> Vec<String> {
    match serde_json::from_str::<serde_json::Value>(body) {
        Ok(v) => serde_json::to_string_pretty(&v)
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect(),
        Err(_) => body.lines().map(str::to_string).collect(),
    }
}

/// The exchange as a curl command, secrets redacted (as captured).
pub fn curl(e: &Exchange) -> String {
    let q = |s: &str| format!("'{}'", s.replace('\'', "'\\''"));
    let mut parts = vec!["curl".to_string()];
    if e.method != "GET" {
        parts.push(format!("-X {}", e.method));
    }
    for (k, v) in &e.request_headers {
        parts.push(format!("-H {}", q(&format!("{k}: {v}"))));
    }
    if let Some(b) = &e.request_body {
        parts.push(format!("--data {}", q(b)));
    }
    parts.push(q(&e.url));
    parts.join(" ")
}

pub enum Overlay {
    None,
    Help,
    /// The field-coverage table of the last run.
    Coverage,
    Inspector(Inspector),
    ConfirmQuit,
    /// Text that was copied (also shown, since some terminals drop OSC 52).
    Copied(String),
}

/// What the event loop must do for the app. (No `Debug`: a run's config holds secrets.)
pub enum Effect {
    StartRun(Box<Config>),
    NextScenario,
    Copy(String),
    Paste(String),
    /// The request console: `METHOD /path [json body]` or a SOQL query.
    SendRequest(String),
    /// Write the Markdown report and the HAR file of the last run.
    Export,
    /// Re-run one permission-set probe (an index into `ENDPOINTS`).
    Reprobe(usize),
    /// Find out whether the OS keyring can be used here (and choose it, if `select`).
    ProbeKeyring {
        select: bool,
    },
    /// Look for a kept consumer secret and refresh token for the form; then maybe run.
    Recall {
        then_run: bool,
    },
    /// Keep secrets after a successful login.
    Keep(Vec<KeepWrite>),
}

/// The demo's self-playing journey.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Autoplay {
    ShowEnvironment,
    ShowApp,
    StartLogin,
    WaitRun,
    Done,
}

pub struct StepLine {
    pub id: StepId,
    pub status: Option<Status>,
    pub summary: String,
    pub duration_ms: u64,
}

pub struct App {
    pub screen: Screen,
    pub log_focus: bool,
    pub show_log: bool,
    pub overlay: Overlay,
    pub form: Form,
    pub running: bool,
    pub steps: Vec<StepLine>,
    pub authorize_url: Option<String>,
    pub ssh_tunnel: Option<String>,
    pub device: Option<(String, String)>,
    pub paste: TextArea<'static>,
    pub pasting: bool,
    /// What a HAR export keeps of the bodies (config `har_bodies`; default shape).
    pub har_bodies: crate::engine::export::HarBodies,
    pub endpoints: Vec<EndpointResult>,
    pub findings: Vec<Finding>,
    pub report: Option<Report>,
    pub log: Vec<LogRow>,
    pub log_selected: usize,
    pub log_filter: TextArea<'static>,
    pub filtering: bool,
    pub searching: bool,
    pub perm_selected: usize,
    pub finding_selected: usize,
    pub env_selected: usize,
    pub status: Option<String>,
    pub quit: bool,
    pub color: bool,
    pub client: Option<Client>,
    pub demo_scenario: Option<String>,
    pub autoplay: Option<Autoplay>,
    pub log_path: Option<String>,
    pub spinner: usize,
    /// The request console's input line (`:` opens it).
    pub console: Option<TextArea<'static>>,
    /// Saved profiles (no secrets), most recent first.
    pub profiles: Vec<super::profile::Profile>,
    pub profile_index: usize,
    /// Colours for a light terminal.
    pub light: bool,
    /// Plain mode for screen readers: no box drawing, no spinner, no colour.
    pub plain: bool,
    /// Vim keys (h j k l, g G, Ctrl-d Ctrl-u) move too (config `key_style = "vim"`).
    pub vim: bool,
    /// While a run waits long on one request: what it waits on (the top line shows it).
    pub waiting: Option<String>,
    /// Whether the OS keyring can be used here (`None`: not asked yet).
    pub keyring: Option<Result<(), String>>,
    /// The owner-only secrets file.
    pub vault: Vault,
    /// The form a recall last ran for (a run does not look twice).
    pub recalled_for: Option<VaultKey>,
}

impl App {
    pub fn new() -> App {
        App {
            screen: Screen::Environment,
            log_focus: false,
            show_log: false,
            overlay: Overlay::None,
            form: Form::new(),
            running: false,
            steps: Vec::new(),
            authorize_url: None,
            ssh_tunnel: None,
            device: None,
            paste: text(""),
            pasting: false,
            har_bodies: Default::default(),
            endpoints: Vec::new(),
            findings: Vec::new(),
            report: None,
            log: Vec::new(),
            log_selected: 0,
            log_filter: text(""),
            filtering: false,
            searching: false,
            perm_selected: 0,
            finding_selected: 0,
            env_selected: 0,
            status: None,
            quit: false,
            color: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
            client: None,
            demo_scenario: None,
            autoplay: None,
            log_path: None,
            spinner: 0,
            console: None,
            profiles: Vec::new(),
            profile_index: 0,
            light: false,
            plain: false,
            vim: false,
            waiting: None,
            keyring: None,
            vault: Vault::default(),
            recalled_for: None,
        }
    }

    /// The demo org is running: environment and credentials filled in.
    pub fn set_demo(
        &mut self,
        scenario: &str,
        login_url: &str,
        client_id: &str,
        client_secret: &str,
        username: &str,
    ) {
        self.demo_scenario = Some(scenario.to_string());
        self.form.env = EnvChoice::Demo;
        self.env_selected = 3;
        self.form.demo_url = Some(login_url.to_string());
        self.form.client_id = text(client_id);
        self.form.client_secret = text(client_secret);
        self.form.client_secret.set_mask_char('•');
        self.form.username = text(username);
    }

    pub fn filtered_log(&self) -> Vec<&LogRow> {
        let f = first_line(&self.log_filter).to_lowercase();
        self.log
            .iter()
            .filter(|r| {
                f.is_empty()
                    || r.url.to_lowercase().contains(&f)
                    || r.method.to_lowercase().contains(&f)
                    || r.status.is_some_and(|s| s.to_string().contains(&f))
            })
            .collect()
    }

    /// The spinner's tick: the oldest request still in flight after 3 s is what the run waits on.
    pub fn tick(&mut self, now: std::time::Instant) {
        self.spinner = self.spinner.wrapping_add(1);
        self.waiting = self
            .log
            .iter()
            .filter(|r| !r.done)
            .filter_map(|r| Some((r, now.checked_duration_since(r.sent_at?)?.as_secs())))
            .filter(|(_, secs)| *secs >= 3)
            .max_by_key(|(_, secs)| *secs)
            .map(|(r, secs)| format!("waiting {secs} s for {} {}", r.method, r.path()));
    }

    /// A run is starting: clear what the last one showed.
    pub fn run_started(&mut self) {
        self.running = true;
        self.steps = [
            StepId::Environment,
            StepId::Credentials,
            StepId::Login,
            StepId::Token,
            StepId::Org,
            StepId::Probes,
        ]
        .into_iter()
        .map(|id| StepLine {
            id,
            status: None,
            summary: String::new(),
            duration_ms: 0,
        })
        .collect();
        self.authorize_url = None;
        self.ssh_tunnel = None;
        self.device = None;
        self.endpoints.clear();
        self.findings.clear();
        self.report = None;
        self.log.clear();
        self.log_selected = 0;
        self.status = Some("Running…".into());
        if matches!(self.screen, Screen::Environment | Screen::ConnectedApp) {
            self.screen = Screen::Login;
        }
    }

    pub fn on_engine(&mut self, e: Event) {
        match e {
            Event::StepStarted { .. } => {}
            Event::StepFinished {
                step,
                status,
                duration_ms,
                summary,
            } => {
                if let Some(s) = self.steps.iter_mut().find(|s| s.id == step) {
                    s.status = Some(status);
                    s.summary = summary;
                    s.duration_ms = duration_ms;
                }
            }
            Event::RequestSent { id, method, url } => self.log.push(LogRow {
                id,
                method,
                url,
                status: None,
                duration_ms: 0,
                bytes: 0,
                done: false,
                sent_at: Some(std::time::Instant::now()),
            }),
            Event::ResponseReceived {
                id,
                status,
                duration_ms,
                bytes,
            } => {
                if let Some(r) = self.log.iter_mut().find(|r| r.id == id) {
                    r.status = status;
                    r.duration_ms = duration_ms;
                    r.bytes = bytes;
                    r.done = true;
                }
            }
            Event::AuthorizeUrl { url, ssh_tunnel } => {
                self.authorize_url = Some(url);
                self.ssh_tunnel = ssh_tunnel;
            }
            Event::DeviceCode {
                user_code,
                verification_uri,
            } => self.device = Some((user_code, verification_uri)),
            Event::PasteNeeded { reason } => {
                // The callback cannot be used: the paste field opens at once, on step 3.
                self.status = Some(reason);
                self.pasting = true;
                self.screen = Screen::Login;
            }
            Event::PasteRefused { reason } => {
                self.status = Some(reason);
                self.pasting = true;
            }
            Event::Progress(p) => self.status = Some(p),
            Event::Finding(f) => self.findings.push(f),
            Event::Endpoint(e) => self.endpoints.push(e),
        }
    }

    pub fn on_report(&mut self, r: Report) {
        self.running = false;
        self.waiting = None;
        self.endpoints = r.endpoints.clone();
        self.findings = r.findings.clone();
        let errors = r
            .findings
            .iter()
            .filter(|f| f.severity == crate::engine::Severity::Error)
            .count();
        self.status = Some(if r.outcome == "pass" {
            "Done: PASS — every check passed.".into()
        } else {
            format!("Done: FAIL — {errors} error finding(s); see Findings (5).")
        });
        self.report = Some(r);
        if self.screen == Screen::Login {
            self.screen = Screen::Permissions;
        }
        if self.autoplay == Some(Autoplay::WaitRun) {
            self.autoplay = Some(Autoplay::Done);
        }
    }

    /// One step of the demo's journey; returns what the loop must do.
    pub fn autoplay_step(&mut self) -> Option<Effect> {
        match self.autoplay? {
            Autoplay::ShowEnvironment => {
                self.screen = Screen::Environment;
                self.autoplay = Some(Autoplay::ShowApp);
                None
            }
            Autoplay::ShowApp => {
                self.screen = Screen::ConnectedApp;
                self.autoplay = Some(Autoplay::StartLogin);
                None
            }
            Autoplay::StartLogin => {
                self.autoplay = Some(Autoplay::WaitRun);
                self.start_run()
            }
            Autoplay::WaitRun | Autoplay::Done => None,
        }
    }

    pub fn start_run(&mut self) -> Option<Effect> {
        match self.form.config() {
            Ok(cfg) => {
                let missing = cfg.client_secret.is_none()
                    || (cfg.flow == Flow::Refresh && cfg.refresh_token.is_none());
                let key = self.form.vault_key();
                if missing
                    && !matches!(cfg.flow, Flow::Token | Flow::Jwt)
                    && key.is_some()
                    && self.recalled_for != key
                {
                    return Some(Effect::Recall { then_run: true });
                }
                Some(Effect::StartRun(Box::new(cfg)))
            }
            Err(e) => {
                self.status = Some(e);
                None
            }
        }
    }

    pub fn open_inspector(&mut self, id: u64) {
        if let Some(e) = self.client.as_ref().and_then(|c| c.exchange(id)) {
            self.overlay = Overlay::Inspector(Inspector::new(&e));
        } else {
            self.status = Some(format!("Request #{id} is no longer in the log."));
        }
    }

    fn text_field(&mut self) -> Option<&mut TextArea<'static>> {
        match self.screen {
            Screen::Environment if self.form.env == EnvChoice::Custom => {
                Some(&mut self.form.custom_url)
            }
            Screen::ConnectedApp => match self.form.selected() {
                Field::ClientId => Some(&mut self.form.client_id),
                Field::ClientSecret => Some(&mut self.form.client_secret),
                Field::Username => Some(&mut self.form.username),
                Field::Credential => Some(&mut self.form.credential),
                _ => None,
            },
            _ => None,
        }
    }

    /// Turns a key into state changes and, maybe, an effect.
    pub fn on_key(&mut self, key: KeyEvent) -> Option<Effect> {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl && key.code == KeyCode::Char('c') {
            self.quit = true;
            return None;
        }
        let typing = self.console.is_some()
            || self.pasting
            || self.filtering
            || self.form.editing
            || self.searching;
        let key = if typing { key } else { self.nav_key(key) };
        // Overlays take the keys first.
        match &mut self.overlay {
            Overlay::Help | Overlay::Copied(_) | Overlay::Coverage => {
                if matches!(
                    key.code,
                    KeyCode::Esc | KeyCode::Char('?') | KeyCode::Char('q') | KeyCode::Enter
                ) {
                    self.overlay = Overlay::None;
                }
                return None;
            }
            Overlay::ConfirmQuit => {
                match key.code {
                    KeyCode::Char('y') | KeyCode::Char('q') => self.quit = true,
                    _ => self.overlay = Overlay::None,
                }
                return None;
            }
            Overlay::Inspector(ins) => {
                if self.searching {
                    match key.code {
                        KeyCode::Enter | KeyCode::Esc => self.searching = false,
                        KeyCode::Backspace => {
                            if let Some(s) = ins.search.as_mut() {
                                s.pop();
                            }
                        }
                        KeyCode::Char(c) => {
                            ins.search.get_or_insert_with(String::new).push(c);
                            ins.find_next();
                        }
                        _ => {}
                    }
                    return None;
                }
                let max = ins.lines.len().saturating_sub(1);
                match key.code {
                    KeyCode::Esc | KeyCode::Char('q') => self.overlay = Overlay::None,
                    KeyCode::Down => ins.scroll = (ins.scroll + 1).min(max),
                    KeyCode::Up => ins.scroll = ins.scroll.saturating_sub(1),
                    KeyCode::PageDown | KeyCode::Char(' ') => {
                        ins.scroll = (ins.scroll + 20).min(max);
                    }
                    KeyCode::PageUp => ins.scroll = ins.scroll.saturating_sub(20),
                    KeyCode::Home => ins.scroll = 0,
                    KeyCode::End => ins.scroll = max,
                    KeyCode::Char('w') => ins.wrap = !ins.wrap,
                    KeyCode::Char('/') => {
                        ins.search = Some(String::new());
                        self.searching = true;
                    }
                    KeyCode::Char('n') => ins.find_next(),
                    KeyCode::Char('c') => return Some(Effect::Copy(ins.curl.clone())),
                    _ => {}
                }
                return None;
            }
            Overlay::None => {}
        }
        // Text entry.
        if let Some(console) = self.console.as_mut() {
            match key.code {
                KeyCode::Esc => self.console = None,
                KeyCode::Enter => {
                    let line = first_line(console).trim().to_string();
                    self.console = None;
                    if !line.is_empty() {
                        return Some(Effect::SendRequest(line));
                    }
                }
                _ => {
                    console.input(key);
                }
            }
            return None;
        }
        if self.pasting {
            match key.code {
                KeyCode::Esc => self.pasting = false,
                KeyCode::Enter => {
                    self.pasting = false;
                    let url = first_line(&self.paste);
                    self.paste = text("");
                    return Some(Effect::Paste(url));
                }
                _ => {
                    self.paste.input(key);
                }
            }
            return None;
        }
        if self.filtering {
            match key.code {
                KeyCode::Esc | KeyCode::Enter => self.filtering = false,
                _ => {
                    self.log_filter.input(key);
                    self.log_selected = 0;
                }
            }
            return None;
        }
        if self.form.editing {
            match key.code {
                KeyCode::Esc | KeyCode::Enter | KeyCode::Tab => self.form.editing = false,
                _ => {
                    if let Some(t) = self.text_field() {
                        t.input(key);
                    }
                }
            }
            return None;
        }
        // Global keys.
        match key.code {
            KeyCode::Char('q') => {
                if self.running && self.screen == Screen::Login && self.report.is_none() {
                    self.overlay = Overlay::ConfirmQuit;
                } else {
                    self.quit = true;
                }
                return None;
            }
            KeyCode::Char('?') => {
                self.overlay = Overlay::Help;
                return None;
            }
            KeyCode::Char(':') => {
                self.console = Some(text(""));
                return None;
            }
            KeyCode::Char('W') => return Some(Effect::Export),
            KeyCode::Char('C') => {
                if self.report.as_ref().is_some_and(|r| r.coverage.is_some()) {
                    self.overlay = Overlay::Coverage;
                } else {
                    self.status = Some("No field coverage yet: it runs after the probes when the Employees endpoint answers.".into());
                }
                return None;
            }
            KeyCode::Char('P') if !self.profiles.is_empty() && self.demo_scenario.is_none() => {
                self.profile_index = (self.profile_index + 1) % self.profiles.len();
                let p = self.profiles[self.profile_index].clone();
                self.apply_profile(&p);
                return Some(Effect::Recall { then_run: false });
            }
            KeyCode::Tab => {
                self.show_log = true;
                self.log_focus = !self.log_focus;
                return None;
            }
            KeyCode::Char('L') => {
                self.show_log = !self.show_log;
                self.log_focus = self.show_log;
                return None;
            }
            KeyCode::Char(c @ '1'..='5') => {
                self.screen = Screen::ALL[(c as u8 - b'1') as usize];
                self.log_focus = false;
                return None;
            }
            KeyCode::Char(']') | KeyCode::Right => {
                self.screen = Screen::ALL[(self.screen.index() + 1).min(4)];
                return None;
            }
            KeyCode::Char('[') | KeyCode::Left => {
                self.screen = Screen::ALL[self.screen.index().saturating_sub(1)];
                return None;
            }
            KeyCode::Char('r') => {
                self.autoplay = None;
                return self.start_run();
            }
            KeyCode::Char('s') if self.demo_scenario.is_some() => {
                self.autoplay = None;
                return Some(Effect::NextScenario);
            }
            _ => {}
        }
        if self.log_focus {
            return self.log_key(key);
        }
        match self.screen {
            Screen::Environment => self.environment_key(key),
            Screen::ConnectedApp => self.app_key(key),
            Screen::Login => self.login_key(key),
            Screen::Permissions => {
                let n = self.endpoints.len().max(1);
                match key.code {
                    KeyCode::Down => self.perm_selected = (self.perm_selected + 1).min(n - 1),
                    KeyCode::Up => self.perm_selected = self.perm_selected.saturating_sub(1),
                    KeyCode::Enter => {
                        if let Some(id) = self
                            .endpoints
                            .get(self.perm_selected)
                            .and_then(|e| e.request_id)
                        {
                            self.open_inspector(id);
                        }
                    }
                    KeyCode::Char('R') if !self.running && !self.endpoints.is_empty() => {
                        return Some(Effect::Reprobe(self.perm_selected));
                    }
                    _ => {}
                }
                None
            }
            Screen::Findings => {
                let n = self.findings.len().max(1);
                match key.code {
                    KeyCode::Down => self.finding_selected = (self.finding_selected + 1).min(n - 1),
                    KeyCode::Up => self.finding_selected = self.finding_selected.saturating_sub(1),
                    KeyCode::Enter => {
                        if let Some(id) = self
                            .findings
                            .get(self.finding_selected)
                            .and_then(|f| f.request_ids.first().copied())
                        {
                            self.open_inspector(id);
                        }
                    }
                    KeyCode::Char('c') => {
                        if let Some(f) = self.findings.get(self.finding_selected) {
                            let text = f
                                .fix
                                .iter()
                                .enumerate()
                                .map(|(i, s)| format!("{}. {s}", i + 1))
                                .collect::<Vec<_>>()
                                .join("\n");
                            return Some(Effect::Copy(text));
                        }
                    }
                    _ => {}
                }
                None
            }
        }
    }

    /// With the vim key style, h j k l, g G and Ctrl-d Ctrl-u become the keys they stand for.
    fn nav_key(&self, key: KeyEvent) -> KeyEvent {
        if !self.vim {
            return key;
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let code = match key.code {
            KeyCode::Char('j') => KeyCode::Down,
            KeyCode::Char('k') => KeyCode::Up,
            KeyCode::Char('h') => KeyCode::Left,
            KeyCode::Char('l') => KeyCode::Right,
            KeyCode::Char('g') => KeyCode::Home,
            KeyCode::Char('G') => KeyCode::End,
            KeyCode::Char('d') if ctrl => KeyCode::PageDown,
            KeyCode::Char('u') if ctrl => KeyCode::PageUp,
            _ => return key,
        };
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn log_key(&mut self, key: KeyEvent) -> Option<Effect> {
        let n = self.filtered_log().len().max(1);
        match key.code {
            KeyCode::Down => self.log_selected = (self.log_selected + 1).min(n - 1),
            KeyCode::Up => self.log_selected = self.log_selected.saturating_sub(1),
            KeyCode::PageDown => self.log_selected = (self.log_selected + 10).min(n - 1),
            KeyCode::PageUp => self.log_selected = self.log_selected.saturating_sub(10),
            KeyCode::Home => self.log_selected = 0,
            KeyCode::End => self.log_selected = n - 1,
            KeyCode::Char('/') => self.filtering = true,
            KeyCode::Esc => self.log_focus = false,
            KeyCode::Enter => {
                if let Some(id) = self.filtered_log().get(self.log_selected).map(|r| r.id) {
                    self.open_inspector(id);
                }
            }
            KeyCode::Char('c') => {
                let id = self.filtered_log().get(self.log_selected).map(|r| r.id);
                if let Some(e) = id.and_then(|id| self.client.as_ref().and_then(|c| c.exchange(id)))
                {
                    return Some(Effect::Copy(curl(&e)));
                }
            }
            _ => {}
        }
        None
    }

    fn environment_key(&mut self, key: KeyEvent) -> Option<Effect> {
        let choices = [
            EnvChoice::Production,
            EnvChoice::Sandbox,
            EnvChoice::Custom,
            EnvChoice::Demo,
        ];
        let n = if self.form.demo_url.is_some() { 4 } else { 3 };
        match key.code {
            KeyCode::Down => self.env_selected = (self.env_selected + 1).min(n - 1),
            KeyCode::Up => self.env_selected = self.env_selected.saturating_sub(1),
            KeyCode::Enter | KeyCode::Char(' ') => {
                self.form.env = choices[self.env_selected];
                if self.form.env == EnvChoice::Custom {
                    self.form.editing = true;
                } else {
                    self.screen = Screen::ConnectedApp;
                }
            }
            KeyCode::Char('e') if self.form.env == EnvChoice::Custom => self.form.editing = true,
            _ => {}
        }
        None
    }

    fn app_key(&mut self, key: KeyEvent) -> Option<Effect> {
        let field = self.form.selected();
        let n = self.form.fields().len();
        match key.code {
            KeyCode::Down => self.form.field = (self.form.field + 1).min(n - 1),
            KeyCode::Up => self.form.field = self.form.field.saturating_sub(1),
            KeyCode::Char('v') => {
                self.form.reveal_secret = !self.form.reveal_secret;
                if self.form.reveal_secret {
                    self.form.client_secret.clear_mask_char();
                } else {
                    self.form.client_secret.set_mask_char('•');
                }
            }
            KeyCode::Char('c') => return Some(Effect::Copy(self.form.callback())),
            KeyCode::Enter | KeyCode::Char(' ') | KeyCode::Char('e') => match field {
                Field::ClientId | Field::ClientSecret | Field::Username | Field::Credential => {
                    self.form.editing = true;
                }
                Field::Flow => {
                    let i = Flow::ALL
                        .iter()
                        .position(|f| *f == self.form.flow)
                        .unwrap_or(0);
                    self.form.flow = Flow::ALL[(i + 1) % Flow::ALL.len()];
                    // Another flow, another credential.
                    self.form.credential = text("");
                }
                Field::Pkce => self.form.pkce = !self.form.pkce,
                Field::Keep => return self.cycle_keep(),
                Field::Preset => {
                    self.form.preset = match self.form.preset {
                        Preset::Custom => Preset::StackOne,
                        Preset::StackOne => Preset::Nango,
                        Preset::Nango => Preset::Custom,
                    };
                    // StackOne sends no code challenge: reproduce it exactly.
                    self.form.pkce = self.form.preset != Preset::StackOne;
                }
            },
            _ => {}
        }
        None
    }

    fn login_key(&mut self, key: KeyEvent) -> Option<Effect> {
        match key.code {
            KeyCode::Char('p') => self.pasting = true,
            KeyCode::Char('c') => {
                if let Some(u) = &self.authorize_url {
                    return Some(Effect::Copy(u.clone()));
                }
            }
            _ => {}
        }
        None
    }

    /// Memory → OS keyring → owner-only file → memory; the keyring only where there is one.
    fn cycle_keep(&mut self) -> Option<Effect> {
        match self.form.keep {
            Keep::Memory => match &self.keyring {
                None => return Some(Effect::ProbeKeyring { select: true }),
                Some(Ok(())) => {
                    self.form.keep = Keep::Keyring;
                    self.status = Some(format!(
                        "After a successful login the consumer secret and refresh token go to {}.",
                        self.vault.describe(Keep::Keyring)
                    ));
                }
                Some(Err(_)) => self.keep_file(),
            },
            Keep::Keyring => self.keep_file(),
            Keep::File => {
                self.form.keep = Keep::Memory;
                self.status = Some("Secrets are kept in memory only (forgotten on exit).".into());
            }
        }
        None
    }

    fn keep_file(&mut self) {
        self.form.keep = Keep::File;
        self.status = Some(format!(
            "After a successful login the consumer secret and refresh token go to {}: plain text on disk, readable by you only.",
            self.vault.describe(Keep::File)
        ));
    }

    /// A secret store answered.
    pub fn on_vault(&mut self, msg: VaultMsg) -> Option<Effect> {
        match msg {
            VaultMsg::Keyring { result, select } => {
                match (&result, select) {
                    (Ok(()), true) => {
                        self.form.keep = Keep::Keyring;
                        self.status = Some(format!(
                            "After a successful login the consumer secret and refresh token go to {}.",
                            self.vault.describe(Keep::Keyring)
                        ));
                    }
                    (Err(why), true) => {
                        self.status = Some(format!(
                            "No OS keyring here: {why}. Enter again offers an owner-only file (plain text, readable by you only); otherwise secrets stay in memory only."
                        ));
                    }
                    (Err(why), false) if self.form.keep == Keep::Keyring => {
                        self.form.keep = Keep::Memory;
                        self.status = Some(format!(
                            "The config's keep_secrets = \"keyring\" cannot be honoured — no OS keyring here: {why}. Secrets stay in memory; step 2 offers an owner-only file."
                        ));
                    }
                    _ => {}
                }
                self.keyring = Some(result);
                None
            }
            VaultMsg::Recalled {
                key,
                secret,
                refresh,
                problems,
                then_run,
            } => {
                if self.form.vault_key().as_ref() != Some(&key) {
                    return None;
                }
                self.recalled_for = Some(key);
                let mut said = Vec::new();
                if let Some((s, keep)) = secret
                    && first_line(&self.form.client_secret).is_empty()
                {
                    self.form.client_secret = text(&s);
                    if !self.form.reveal_secret {
                        self.form.client_secret.set_mask_char('•');
                    }
                    self.form.secret_from = Some(keep);
                    said.push(format!(
                        "consumer secret from {}",
                        self.vault.describe(keep)
                    ));
                }
                if let Some((r, keep)) = refresh {
                    self.form.refresh_token = Some(r);
                    self.form.refresh_key = self.form.vault_key();
                    self.form.refresh_from = Some(keep);
                    said.push(format!("refresh token from {}", self.vault.describe(keep)));
                }
                let mut status = if said.is_empty() {
                    String::new()
                } else {
                    format!("Kept secrets: {}. ", said.join("; "))
                };
                if let Some(p) = problems.first() {
                    let _ = write!(status, "Kept secrets: {p}");
                }
                if !status.is_empty() {
                    self.status = Some(status.trim_end().to_string());
                }
                if then_run {
                    return self.start_run();
                }
                None
            }
            VaultMsg::Kept(results) => {
                // Short enough for the status line of an 80-column terminal.
                let prefix = self
                    .report
                    .as_ref()
                    .map(|r| format!("Done: {} · ", r.outcome.to_uppercase()))
                    .unwrap_or_default();
                let mut kept: Vec<(Keep, Vec<&str>)> = Vec::new();
                let mut failed = None;
                for r in results {
                    match r {
                        Ok((kind, keep)) => {
                            let what = match kind {
                                Kind::ClientSecret => "secret",
                                Kind::RefreshToken => "refresh token",
                            };
                            match kept.iter_mut().find(|(k, _)| *k == keep) {
                                Some((_, w)) => w.push(what),
                                None => kept.push((keep, vec![what])),
                            }
                        }
                        Err(e) => failed = failed.or(Some(e)),
                    }
                }
                let mut parts: Vec<String> = kept
                    .into_iter()
                    .map(|(keep, whats)| {
                        let place = match (keep, &self.vault.file) {
                            (Keep::File, Some(p)) => p.display().to_string(),
                            (Keep::Keyring, _) => "the OS keyring".to_string(),
                            _ => self.vault.describe(keep),
                        };
                        format!("kept {} in {place}", whats.join(" + "))
                    })
                    .collect();
                if let Some(e) = failed {
                    parts.push(format!("could not keep a secret: {e}"));
                }
                self.status = Some(format!("{prefix}{}", parts.join(" · ")));
                None
            }
        }
    }

    /// A run logged in: the refresh token stays in memory for the refresh flow, and secrets are
    /// kept where the user asked (a rotated refresh token goes back where it came from).
    pub fn on_session(&mut self, refresh_token: Option<String>) -> Option<Effect> {
        let key = self.form.vault_key()?;
        if self.form.refresh_key.as_ref() != Some(&key) {
            self.form.refresh_token = None;
            self.form.refresh_from = None;
        }
        let rotated = refresh_token.is_some() && refresh_token != self.form.refresh_token;
        if refresh_token.is_some() {
            self.form.refresh_token = refresh_token.clone();
            self.form.refresh_key = Some(key.clone());
        }
        let (login, client_id, username) = key;
        let mut writes = Vec::new();
        let keep = self.form.keep;
        let secret = first_line(&self.form.client_secret);
        if keep != Keep::Memory && !secret.is_empty() && self.form.secret_from != Some(keep) {
            writes.push(KeepWrite {
                keep,
                account: vault::account(Kind::ClientSecret, &login, &client_id, None),
                kind: Kind::ClientSecret,
                secret,
            });
        }
        let refresh_to = if keep != Keep::Memory {
            Some(keep)
        } else if rotated {
            self.form.refresh_from
        } else {
            None
        };
        if let (Some(to), Some(rt)) = (refresh_to, refresh_token)
            && (rotated || self.form.refresh_from != Some(to))
        {
            writes.push(KeepWrite {
                keep: to,
                account: vault::account(
                    Kind::RefreshToken,
                    &login,
                    &client_id,
                    username.as_deref(),
                ),
                kind: Kind::RefreshToken,
                secret: rt,
            });
            self.form.refresh_from = Some(to);
        }
        if writes.iter().any(|w| w.kind == Kind::ClientSecret) {
            self.form.secret_from = Some(keep);
        }
        (!writes.is_empty()).then_some(Effect::Keep(writes))
    }

    /// One probe ran again: its row, and its finding, replace the old ones (here and in the report).
    pub fn on_reprobe(&mut self, i: usize, result: EndpointResult, finding: Option<Finding>) {
        let Some(old) = self.endpoints.get(i).cloned() else {
            return;
        };
        let about = |f: &Finding| {
            old.request_id.is_some_and(|id| f.request_ids == [id])
                || (f.code == crate::engine::Code::PERMISSION_SET_MISSING
                    && f.title.contains(old.permission_set))
        };
        self.status = Some(format!(
            "Re-probed {}: {}{}",
            result.name,
            result.status.word(),
            result
                .finding
                .map(|c| format!(" ({c})"))
                .unwrap_or_default()
        ));
        self.findings.retain(|f| !about(f));
        self.findings.extend(finding.clone());
        self.endpoints[i] = result.clone();
        if let Some(r) = self.report.as_mut() {
            r.findings.retain(|f| !about(f));
            r.findings.extend(finding);
            if let Some(e) = r.endpoints.get_mut(i) {
                *e = result;
            }
            r.outcome = if r.has_errors() { "fail" } else { "pass" };
        }
        self.finding_selected = self
            .finding_selected
            .min(self.findings.len().saturating_sub(1));
    }

    /// Defaults from the config file: theme, environment, flow.
    pub fn apply_settings(&mut self, s: &crate::settings::Settings) {
        use crate::settings::{KeyStyle, Theme};
        self.vim = s.key_style == KeyStyle::Vim;
        self.form.insecure_hosts = crate::settings::host_list(&s.insecure_hosts);
        self.form.trust_hosts = crate::settings::host_list(&s.trust_hosts);
        self.form.max_response_bytes = s
            .max_response_mb
            .map(|mb| (mb as usize).saturating_mul(1024 * 1024));
        self.har_bodies = s.har_bodies.unwrap_or_default();
        self.form.ca_certs_pem.clear();
        for path in &s.ca_certs {
            match crate::settings::read_ca(path) {
                Ok(pem) => self.form.ca_certs_pem.push(pem),
                Err(e) => self.status = Some(format!("CA certificate not used: {e}")),
            }
        }
        match s.theme {
            Theme::Dark => {}
            Theme::Light => self.light = true,
            Theme::NoColor => self.color = false,
            Theme::Plain => {
                self.plain = true;
                self.color = false;
            }
        }
        if let Some(env) = &s.environment {
            match Environment::parse(env) {
                Ok(Environment::Production) => self.form.env = EnvChoice::Production,
                Ok(Environment::Sandbox) => {
                    self.form.env = EnvChoice::Sandbox;
                    self.env_selected = 1;
                }
                Ok(Environment::Custom(u)) => {
                    self.form.env = EnvChoice::Custom;
                    self.env_selected = 2;
                    self.form.custom_url = text(&u);
                }
                Err(_) => {}
            }
        }
        if let Some(flow) = s.flow.as_deref().and_then(Flow::parse) {
            self.form.flow = flow;
        }
        if let Some(keep) = s.keep_secrets {
            self.form.keep = keep;
        }
        if let Some(t) = s.timeout_secs {
            self.form.timeout_secs = t;
        }
        if let Some(t) = s.connect_timeout_secs {
            self.form.connect_timeout_secs = t;
        }
        if let Some(n) = s.coverage_limit {
            self.form.coverage_limit = n;
        }
    }

    /// Fills the form from a saved profile (never secrets).
    pub fn apply_profile(&mut self, p: &super::profile::Profile) {
        match p.env.as_str() {
            "production" => {
                self.form.env = EnvChoice::Production;
                self.env_selected = 0;
            }
            "sandbox" => {
                self.form.env = EnvChoice::Sandbox;
                self.env_selected = 1;
            }
            url => {
                self.form.env = EnvChoice::Custom;
                self.env_selected = 2;
                self.form.custom_url = text(url);
            }
        }
        self.form.client_id = text(&p.client_id);
        self.form.username = text(&p.username);
        self.form.client_secret = masked("");
        self.form.credential = text("");
        self.form.reveal_secret = false;
        self.form.secret_from = None;
        self.form.refresh_from = None;
        self.form.flow = Flow::parse(&p.flow).unwrap_or(Flow::Web);
        if let Some(path) = p
            .private_key_path
            .as_deref()
            .filter(|_| self.form.flow == Flow::Jwt)
        {
            self.form.credential = text(path);
        }
        self.form.pkce = p.pkce;
        self.form.preset = match p.preset.as_str() {
            "StackOne" => Preset::StackOne,
            "Nango" => Preset::Nango,
            _ => Preset::Custom,
        };
        self.status = Some(format!(
            "Profile {} ({} of {}; P cycles). Profiles hold no secrets: enter the consumer secret, or keep it (step 2, Keep secrets).",
            p.label(),
            self.profile_index + 1,
            self.profiles.len()
        ));
    }

    /// The current form as a profile (no secrets).
    pub fn profile(&self) -> Option<super::profile::Profile> {
        let env = match self.form.env {
            EnvChoice::Production => "production".to_string(),
            EnvChoice::Sandbox => "sandbox".to_string(),
            EnvChoice::Custom => first_line(&self.form.custom_url),
            EnvChoice::Demo => return None,
        };
        Some(super::profile::Profile {
            env,
            client_id: first_line(&self.form.client_id).trim().to_string(),
            username: first_line(&self.form.username).trim().to_string(),
            flow: self.form.flow.name().to_string(),
            pkce: self.form.pkce,
            preset: self.form.preset.name().to_string(),
            callback: self.form.callback(),
            private_key_path: (self.form.flow == Flow::Jwt)
                .then(|| first_line(&self.form.credential).trim().to_string())
                .filter(|p| !p.is_empty()),
        })
    }

    /// The secret as shown: masked unless revealed.
    pub fn secret_display(&self) -> String {
        let s = first_line(&self.form.client_secret);
        if self.form.reveal_secret || s.is_empty() {
            s
        } else {
            REDACTED.to_string()
        }
    }
}

impl Default for App {
    fn default() -> Self {
        App::new()
    }
}
