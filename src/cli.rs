//! The command line.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "sagediag",
    version = env!("SAGEDIAG_VERSION_LINE"),
    about = "Set up and diagnose the Salesforce OAuth connection of a Sage People integration",
    long_about = "Set up and diagnose the Salesforce OAuth connection of a Sage People integration.\n\n\
sagediag ships a simulated Salesforce + Sage People org (`sagediag sim`) that answers as \
Salesforce does, with scenarios reproducing each set-up pitfall.",
    after_help = "Examples:\n  sagediag                              open the console\n  sagediag demo                         the console on the embedded simulated org\n  sagediag check --env production --client-id 3MVG9...\n  sagediag sim                          start the healthy simulated org on a free port\n  sagediag sim --scenario pkce-required  reproduce \"missing required code challenge\"\n  sagediag sim --list                   list the shipped scenarios\n  sagediag --ca-cert corp-ca.pem        the console, trusting a TLS-inspection proxy's CA\n  sagediag secrets status               is there an OS keyring here? what is kept?\n\n\
Defaults (environment, flow, theme, key style, where to keep secrets, CAs) come from the config file:\n\
SAGEDIAG_CONFIG, or config.toml in the user's config directory (see docs/check.md)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Turn mouse capture on in the console (off by default: it breaks text selection over SSH).
    #[arg(long, global = true)]
    pub mouse: bool,
    /// The console's colours: dark, light, no-color, or plain (screen readers: no colour, no box
    /// drawing). Overrides the config file's `theme`.
    #[arg(long, global = true, value_name = "THEME", value_enum)]
    pub theme: Option<crate::settings::Theme>,
    /// Also trust this CA certificate (PEM; e.g. a corporate TLS-inspection CA). Repeatable.
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Vec<std::path::PathBuf>,
    /// Do not verify the TLS certificate of this host (only this one; a banner says so on every
    /// screen). Repeatable.
    #[arg(long, value_name = "HOST")]
    pub insecure_host: Vec<String>,
    /// How much the log says: error, warn, info, debug, trace, or per target
    /// (`sagediag=debug,hyper=info`). The console logs to sagediag.log in the state directory;
    /// `check --verbose` to stderr. [default: RUST_LOG, else info (console) / debug (--verbose)]
    #[arg(long, global = true, value_name = "LEVEL")]
    pub log_level: Option<String>,
    /// The console's watch store, for its Fleet screen: `sqlite:PATH` or `postgres://…`
    /// [default: watch.sqlite3 in the state directory, when it exists]
    #[arg(long, value_name = "URL", env = "SAGEDIAG_WATCH_STORE")]
    pub store: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Diagnose a connection non-interactively: log in, check the token and the org, probe the
    /// seven permission-set-gated endpoints, print the findings with their fixes.
    Check(Box<CheckArgs>),
    /// Run the simulated Salesforce + Sage People org.
    Sim(SimArgs),
    /// Check, print the fix plan, and with --yes assign the missing permission sets (as an
    /// admin), re-probe at once, and record each change; --undo FILE deletes what a run created.
    Fix(Box<FixArgs>),
    /// Open the console on the embedded simulated org; it plays the journey, then hands over.
    Demo(DemoArgs),
    /// Print shell completions (e.g. `sagediag completions bash > /etc/bash_completion.d/sagediag`).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), e.g. `sagediag man > sagediag.1 && man ./sagediag.1`.
    Man,
    /// Where kept secrets are (OS keyring, owner-only file) and how to forget them.
    #[command(subcommand)]
    Secrets(SecretsCommand),
    /// Watch many orgs over time: one cycle of passive signals per org (LoginHistory, grants,
    /// frozen user, permission sets, app policies, package, limits) with the watcher's own
    /// monitoring credentials, kept as history, with incidents and alerts.
    Watch(Box<WatchArgs>),
    /// Print what to create and tick in Salesforce Setup for an integration platform: callback,
    /// scopes, PKCE, secrets, permitted users and the permission sets to pre-authorize.
    SetupSheet {
        /// The integration platform.
        #[arg(long, value_parser = ["stackone", "nango", "custom"], default_value = "custom")]
        preset: String,
        /// An External Client App (what a new app is since Spring '26) or a connected app.
        #[arg(long, value_parser = ["eca", "connected-app"], default_value = "eca")]
        kind: String,
    },
}

#[derive(Debug, Subcommand)]
#[command(
    after_help = "Examples:\n  sagediag secrets status\n  sagediag secrets forget --env sandbox --client-id 3MVG9... --username api@acme.com.uat"
)]
pub enum SecretsCommand {
    /// Whether the OS keyring can be used here, and what the owner-only file holds (names only).
    Status,
    /// Remove the kept consumer secret (and the user's refresh token) of one app from the OS
    /// keyring and the owner-only file.
    Forget {
        /// production, sandbox, or the login URL.
        #[arg(long, default_value = "production")]
        env: String,
        /// The connected app's consumer key.
        #[arg(long)]
        client_id: String,
        /// Also forget this user's refresh token.
        #[arg(long)]
        username: Option<String>,
    },
}

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  sagediag demo                                  plays environment, login, probes on the healthy org\n  sagediag demo --scenario missing-permission-sets\n  sagediag demo --manual                         start at step 1 and drive it yourself\n\nIn the console: ? lists every key; s switches the demo org to the next scenario and runs again."
)]
pub struct DemoArgs {
    /// The shipped scenario (see `sagediag sim --list`) or a scenario file.
    #[arg(long, default_value = "healthy")]
    pub scenario: String,
    /// Start at step 1 instead of playing the journey.
    #[arg(long)]
    pub manual: bool,
    /// A small simulated fleet under watch instead: the console opens on the Fleet screen
    /// while a scripted story breaks and mends its orgs (docs/watch.md#the-demo-fleet).
    #[arg(long, conflicts_with_all = ["scenario", "manual"])]
    pub watch: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OnOff {
    On,
    Off,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Secrets may come from the environment instead of flags (kept out of shell history and ps):\n  SAGEDIAG_CLIENT_SECRET, SAGEDIAG_PASSWORD, SAGEDIAG_REFRESH_TOKEN, SAGEDIAG_ACCESS_TOKEN\n\n\
Examples:\n  sagediag check --env production --client-id 3MVG9... --no-browser\n  SAGEDIAG_CLIENT_SECRET=... sagediag check --env https://acme.my.salesforce.com --flow client-credentials --client-id 3MVG9...\n  sagediag check --env sandbox --flow jwt --client-id 3MVG9... --username api@acme.com.uat --private-key server.key --json\n  sagediag check --env http://127.0.0.1:PORT --client-id ... --username integration@acme-hr.example   (the simulated org)\n\n\
In the web flow the authorize URL is printed alone on one line of stderr; paste the URL the browser lands on into stdin.\n\
Defaults for --env, --flow, --callback-port, --timeout, --coverage-limit and the other non-secret options come from the environment (SAGEDIAG_ENVIRONMENT, SAGEDIAG_FLOW, SAGEDIAG_TIMEOUT_SECS, …: one variable per config-file key, docs/check.md), then the config file (SAGEDIAG_CONFIG, or config.toml in the user's config directory).\n\
Exit status: 0 no error finding, 1 at least one, 2 usage error."
)]
pub struct CheckArgs {
    /// production, sandbox, or the login URL (e.g. https://acme.my.salesforce.com).
    /// [default: the config file's `environment`, else production]
    #[arg(long, value_name = "ENV")]
    pub env: Option<crate::engine::Environment>,
    /// web, device, jwt, client-credentials, password, refresh or token.
    /// [default: the config file's `flow`, else web]
    #[arg(long, value_enum)]
    pub flow: Option<crate::engine::Flow>,
    /// The connected app's consumer key.
    #[arg(long, env = "SAGEDIAG_CLIENT_ID", hide_env_values = true)]
    pub client_id: Option<String>,
    /// The consumer secret (prefer SAGEDIAG_CLIENT_SECRET).
    #[arg(long, env = "SAGEDIAG_CLIENT_SECRET", hide_env_values = true)]
    pub client_secret: Option<String>,
    /// The API user's username (also the login hint in the web flow).
    #[arg(long)]
    pub username: Option<String>,
    /// The password (+ security token) for the password flow (prefer SAGEDIAG_PASSWORD).
    #[arg(long, env = "SAGEDIAG_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
    /// PEM private key for the JWT flow.
    #[arg(long, value_parser = private_key_path)]
    pub private_key: Option<std::path::PathBuf>,
    /// A refresh token for the refresh flow (prefer SAGEDIAG_REFRESH_TOKEN).
    #[arg(long, env = "SAGEDIAG_REFRESH_TOKEN", hide_env_values = true)]
    pub refresh_token: Option<String>,
    /// An access token for the token flow (prefer SAGEDIAG_ACCESS_TOKEN).
    #[arg(long, env = "SAGEDIAG_ACCESS_TOKEN", hide_env_values = true)]
    pub access_token: Option<String>,
    /// The instance URL that goes with --access-token.
    #[arg(long)]
    pub instance_url: Option<String>,
    /// Send a PKCE code challenge in the web flow (off reproduces integrations that send none).
    #[arg(long, value_enum, default_value_t = OnOff::On)]
    pub pkce: OnOff,
    /// Use the integration's own registered callback instead of sagediag's loopback one.
    #[arg(long, value_parser = redirect_uri)]
    pub redirect_uri: Option<String>,
    /// Port of the loopback callback (http://localhost:PORT/OauthRedirect). [default: 1717]
    #[arg(long)]
    pub callback_port: Option<u16>,
    /// Never open a browser (the URL is always printed).
    #[arg(long)]
    pub no_browser: bool,
    /// OAuth scopes to request (default: the app's).
    #[arg(long)]
    pub scope: Option<String>,
    /// Print one JSON document instead of the human report.
    #[arg(long)]
    pub json: bool,
    /// Also log every request, step and finding to stderr (tracing; --log-level or RUST_LOG
    /// sets how much).
    #[arg(long, short = 'v')]
    pub verbose: bool,
    /// Seconds each request may take, 1 to 600. [default: the config file's `timeout_secs`, else 30]
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub timeout: Option<u64>,
    /// Seconds to open a connection (a dead host or a dropping firewall fails this fast).
    /// [default: the config file's `connect_timeout_secs`, else 10]
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=600))]
    pub connect_timeout: Option<u64>,
    /// Seconds to wait for a person to log in (web and device flows).
    #[arg(long, default_value_t = 300)]
    pub login_timeout: u64,
    /// JWT audience instead of the environment's login host (like the Salesforce CLI's SF_AUDIENCE_URL).
    #[arg(long, value_name = "URL", value_parser = jwt_audience)]
    pub jwt_audience: Option<String>,
    /// Also trust this CA certificate (PEM; e.g. a corporate TLS-inspection CA). Repeatable.
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Vec<std::path::PathBuf>,
    /// Do not verify the TLS certificate of this host (only this one; a warning says so
    /// throughout). Repeatable.
    #[arg(long, value_name = "HOST", value_parser = crate::settings::host_name)]
    pub insecure_host: Vec<String>,
    /// Allow the token to go to this host although it is not a Salesforce host (a custom
    /// domain or an API gateway in front of Salesforce; https only; a line says so in the
    /// output). Repeatable.
    #[arg(long, value_name = "HOST", value_parser = crate::settings::host_name)]
    pub trust_host: Vec<String>,
    /// The largest response body read, in MiB; a larger one stops with RESPONSE_TOO_LARGE.
    /// [default: the config file's `max_response_mb`, else 32]
    #[arg(long, value_name = "MIB", value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub max_response_mb: Option<u64>,
    /// Write a Markdown report for support (no secrets) to this file.
    #[arg(long, value_name = "FILE.md", value_parser = output_path)]
    pub report: Option<std::path::PathBuf>,
    /// Export the request log as HAR 1.2 (secrets redacted) to this file.
    #[arg(long, value_name = "FILE", value_parser = output_path)]
    pub har: Option<std::path::PathBuf>,
    /// What the HAR keeps of the bodies: full, shape (Sage People records keep their structure
    /// and field names, every value replaced: safe for a ticket) or none.
    /// [default: SAGEDIAG_HAR_BODIES, the config file's `har_bodies`, else shape]
    #[arg(long, value_name = "WHAT", value_enum)]
    pub har_bodies: Option<crate::engine::export::HarBodies>,
    /// Field coverage for downstream sync: page through the employees and count populated
    /// fields, missing and duplicate emails, leavers with email.
    #[arg(long)]
    pub coverage: bool,
    /// After a successful login keep the consumer secret and the refresh token: in the OS
    /// keyring, or an owner-only file (plain text, readable by you only). Later runs without
    /// them use the kept ones (and `--flow refresh` the kept refresh token).
    /// [default: the config file's `keep_secrets`, else memory: nothing kept]
    #[arg(long, value_name = "WHERE", value_enum)]
    pub keep_secrets: Option<crate::engine::vault::Keep>,
    /// Most employees field coverage reads. [default: 100000]
    #[arg(long, value_name = "N")]
    pub coverage_limit: Option<u64>,
    /// The kind of OAuth app the consumer key belongs to, if you know it: words the fixes of a
    /// login that fails before sagediag can read the org (after login the org says).
    #[arg(long, value_name = "KIND", value_enum)]
    pub app_kind: Option<crate::engine::app::AppKind>,
    /// Consent to refresh a refresh token sagediag did not obtain (`--flow refresh`, or one kept
    /// by an earlier run): under rotation that refresh retires it, and the integration must be
    /// given the new one. Without this flag `--flow refresh` sends nothing.
    #[arg(long)]
    pub allow_rotation: bool,
    /// Consent to a web-server or device login although the user holds five grants for the app
    /// (counted first with --admin-username): the login makes Salesforce revoke the oldest,
    /// often the integration's. Without it sagediag makes no token request then.
    #[arg(long)]
    pub allow_grant_eviction: bool,
    /// When a refresh returns a new refresh token in place of the one given, print it once on
    /// the terminal (stderr), so that the integration can be given it.
    #[arg(long)]
    pub show_new_token: bool,
    /// After the report, print how each finding is fixed (`--json`: a `fixes` array; for
    /// `apply` fixes the exact request `sagediag fix --yes` would send). Changes nothing.
    #[arg(long)]
    pub fix_plan: bool,
    /// Days of the integration user's Login History to read after login (1-180).
    /// [default: the config file's `history_days`, else 7]
    #[arg(long, value_name = "DAYS", value_parser = clap::value_parser!(u32).range(1..=180))]
    pub history_days: Option<u32>,
    #[command(flatten)]
    pub admin: AdminArgs,
}

/// An admin's login: `fix` changes the org with it; `check` (and `fix`) read the integration's
/// whole record with it (Login History, OAuth grants, whether the user is frozen).
#[derive(Debug, Args, Clone)]
pub struct AdminArgs {
    /// The admin's login flow (web, device, jwt, password, …). [default: --flow]
    #[arg(long, value_enum)]
    pub admin_flow: Option<crate::engine::Flow>,
    /// An admin (Manage Users; Assign Permission Sets for fix): reads the integration's whole
    /// record, and makes fix's changes (default: the check's own session, if it may).
    #[arg(long)]
    pub admin_username: Option<String>,
    /// The admin's password for --admin-flow password (prefer SAGEDIAG_ADMIN_PASSWORD).
    #[arg(long, env = "SAGEDIAG_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<String>,
    /// The admin's PEM private key for --admin-flow jwt.
    #[arg(long, value_name = "FILE")]
    pub admin_private_key: Option<std::path::PathBuf>,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Secrets come from the environment: SAGEDIAG_CLIENT_SECRET (watch add, client credentials), SAGEDIAG_WEBHOOK_SECRET (whsec_…, signs --webhook).\n\n\
Examples:\n  SAGEDIAG_CLIENT_SECRET=... sagediag watch add acme --env https://acme.my.salesforce.com --flow client-credentials --client-id 3MVG9... --integration-user api@acme.com --integration-app 'StackOne'\n  \
sagediag watch add globex --env production --flow jwt --client-id 3MVG9... --username monitor@globex.com --private-key monitor.key --integration-user api@globex.com\n  \
sagediag watch --once --json                    one cycle of every org, one JSON document per org\n  \
sagediag watch --webhook https://hooks.example.com/sagediag --listen 127.0.0.1:9464\n  \
sagediag watch history acme\n\n\
Exit status of --once: 0 no org failing, 1 at least one org failing (a FAIL or ERROR check), 2 usage or set-up error."
)]
pub struct WatchArgs {
    #[command(subcommand)]
    pub command: Option<WatchCommand>,
    /// Where the history lives: sqlite:PATH, or postgres://USER@HOST/DB for a team.
    /// [default: sqlite: watch.sqlite3 in the state directory]
    #[arg(
        long,
        global = true,
        value_name = "URL",
        env = "SAGEDIAG_WATCH_STORE",
        hide_env_values = true
    )]
    pub store: Option<String>,
    /// Run one cycle of every org, deliver the alerts due, and exit (for cron, systemd timers
    /// and tests).
    #[arg(long)]
    pub once: bool,
    /// Print one JSON document per org cycle (JSON lines) instead of the summary.
    #[arg(long)]
    pub json: bool,
    /// Serve /metrics, /healthz and the status page here (without --once).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:9464")]
    pub listen: std::net::SocketAddr,
    /// A generic webhook for incident alerts, signed the Standard Webhooks way with
    /// SAGEDIAG_WEBHOOK_SECRET (whsec_…). Repeatable.
    #[arg(long, value_name = "URL")]
    pub webhook: Vec<String>,
    /// A Slack incoming webhook for incident alerts.
    #[arg(long, value_name = "URL")]
    pub slack_webhook: Option<String>,
    /// An incident opens after this many failing cycles in a row.
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub open_after: u32,
    /// An incident resolves after this many passing cycles in a row.
    #[arg(long, value_name = "M", default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub resolve_after: u32,
    /// Days of history kept (older cycles are pruned).
    #[arg(long, value_name = "DAYS", default_value_t = 90, value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub retention_days: u32,
    /// Orgs in flight at once.
    #[arg(long, value_name = "N", default_value_t = 16, value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub concurrency: u64,
    /// Seconds one org's whole cycle may take; past it the org is ERROR and the others go on.
    #[arg(long, value_name = "SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub org_timeout: u64,
    /// Seconds each request may take.
    #[arg(long, value_name = "SECS", default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub timeout: u64,
    /// Only these orgs (by name). Repeatable.
    #[arg(long, value_name = "NAME")]
    pub org: Vec<String>,
    /// Team mode: several watchers share one PostgreSQL store, each org's cycle run by one of
    /// them (a lease per org and slot).
    #[arg(long)]
    pub team: bool,
}

#[derive(Debug, Subcommand)]
pub enum WatchCommand {
    /// Add an org to the watch list (or replace it), with the monitoring app's credentials.
    Add(Box<WatchAddArgs>),
    /// List the orgs watched (the store's list and the config file's `[[watch.org]]`).
    List {
        /// One JSON document.
        #[arg(long)]
        json: bool,
    },
    /// Remove an org from the watch list and forget its kept secret.
    Remove { name: String },
    /// An org's timeline: its cycles, newest first, and its incidents.
    History {
        name: String,
        /// One JSON document.
        #[arg(long)]
        json: bool,
        /// Cycles shown.
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// Export the report of a past cycle (the document `check --json` prints, as far as a cycle
    /// fills it) to an owner-only file.
    Report {
        name: String,
        /// The cycle's id (from `watch history`).
        #[arg(long)]
        cycle: i64,
        #[arg(long, value_name = "FILE", value_parser = output_path)]
        out: std::path::PathBuf,
    },
}

#[derive(Debug, Args)]
pub struct WatchAddArgs {
    /// The org's name on the watch list (letters, digits, '.', '_', '-').
    pub name: String,
    /// production, sandbox, or the login URL (client credentials need the My Domain URL).
    #[arg(long, default_value = "production")]
    pub env: String,
    /// The monitoring app's flow: jwt or client-credentials (never the integration's own).
    #[arg(long, value_parser = ["jwt", "client-credentials"], default_value = "jwt")]
    pub flow: String,
    /// The monitoring app's consumer key.
    #[arg(long, env = "SAGEDIAG_CLIENT_ID", hide_env_values = true)]
    pub client_id: Option<String>,
    /// The monitoring app's consumer secret, for client credentials (prefer
    /// SAGEDIAG_CLIENT_SECRET). Kept as --keep-secrets says, never in the store.
    #[arg(long, env = "SAGEDIAG_CLIENT_SECRET", hide_env_values = true)]
    pub client_secret: Option<String>,
    /// The monitoring user (JWT bearer's subject).
    #[arg(long)]
    pub username: Option<String>,
    /// The monitoring app's private key (PEM) for JWT; the path is kept, not the key.
    #[arg(long, value_parser = private_key_path)]
    pub private_key: Option<std::path::PathBuf>,
    /// The integration user whose record is watched.
    #[arg(long)]
    pub integration_user: String,
    /// The integration's app as the org names it (LoginHistory's Application, OauthToken's
    /// AppName). Without it every app of the user is watched.
    #[arg(long)]
    pub integration_app: Option<String>,
    /// Every this long: 900, 15m, 1h. [default: 15m]
    #[arg(long, value_name = "DURATION", conflicts_with = "cron")]
    pub interval: Option<String>,
    /// A cron expression (seconds first, UTC), e.g. "0 */15 * * * *".
    #[arg(long, value_name = "EXPR")]
    pub cron: Option<String>,
    /// Also probe the seven endpoints as the integration user, through a JWT for that user
    /// (the monitoring app's key must be allowed to sign in as it).
    #[arg(long)]
    pub probe_as_integration: bool,
    /// Also trust this CA certificate (PEM) for this org. Repeatable.
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Vec<std::path::PathBuf>,
    /// Where the consumer secret is kept: keyring or file (owner-only).
    /// [default: the config file's `keep_secrets`, else the keyring when there is one, else file]
    #[arg(long, value_name = "WHERE", value_parser = ["keyring", "file"])]
    pub keep_secrets: Option<String>,
}

impl CheckArgs {
    /// The flags (and, through clap, the environment) as a layer of the one configuration
    /// pipeline (`crate::config`).
    pub fn layer(&self) -> crate::config::Layer {
        crate::config::Layer {
            environment: self.env.clone(),
            flow: self.flow,
            client_id: self.client_id.clone(),
            client_secret: self.client_secret.clone(),
            username: self.username.clone(),
            password: self.password.clone(),
            private_key: self.private_key.clone(),
            refresh_token: self.refresh_token.clone(),
            access_token: self.access_token.clone(),
            instance_url: self.instance_url.clone(),
            pkce: Some(self.pkce == OnOff::On),
            redirect_uri: self.redirect_uri.clone(),
            callback_port: self.callback_port,
            open_browser: Some(!self.no_browser),
            scope: self.scope.clone(),
            timeout_secs: self.timeout,
            connect_timeout_secs: self.connect_timeout,
            login_timeout_secs: Some(self.login_timeout),
            jwt_audience: self.jwt_audience.clone(),
            ca_certs: self.ca_cert.clone(),
            insecure_hosts: self.insecure_host.clone(),
            trust_hosts: self.trust_host.clone(),
            max_response_mb: self.max_response_mb,
            coverage: Some(self.coverage),
            coverage_limit: self.coverage_limit,
            app_kind: self.app_kind,
            allow_rotation: Some(self.allow_rotation),
            allow_grant_eviction: Some(self.allow_grant_eviction),
            history_days: self.history_days,
            admin_flow: self.admin.admin_flow,
            admin_username: self.admin.admin_username.clone(),
            admin_password: self.admin.admin_password.clone(),
            admin_private_key: self.admin.admin_private_key.clone(),
            keep_secrets: self.keep_secrets,
            har_bodies: self.har_bodies,
            ..crate::config::Layer::default()
        }
    }
}

#[derive(Debug, Args)]
#[command(
    after_help = "Without --yes nothing is changed in the org: the plan is printed.\n\
Admin secrets come from the environment as well: SAGEDIAG_ADMIN_PASSWORD. They are held in memory only.\n\n\
Examples:\n  sagediag fix --env sandbox --client-id 3MVG9... --username api@acme.com.uat --admin-username admin@acme.com.uat\n  \
sagediag fix ... --admin-username admin@acme.com --yes --json > fix.json\n  sagediag fix ... --admin-username admin@acme.com --undo fix.json --yes\n  sagediag fix ... --admin-username admin@acme.com --undo-last --yes\n\n\
Exit status: 0 every applied fix re-probed PASS (or every undo deleted), 1 otherwise, 2 usage error."
)]
pub struct FixArgs {
    #[command(flatten)]
    pub check: CheckArgs,
    /// Consent: make the `apply` fixes (or the undo). Without it nothing is changed.
    #[arg(long)]
    pub yes: bool,
    /// Delete the PermissionSetAssignment rows a former run created: FILE is its fix journal
    /// (state directory, fix-journal/*.jsonl) or the JSON `sagediag fix --yes --json` printed
    /// (owner-only). Only rows a journal records as created by sagediag are deleted.
    #[arg(long, value_name = "FILE", conflicts_with = "undo_last")]
    pub undo: Option<std::path::PathBuf>,
    /// Undo the newest fix journal of this org (an interrupted run's too): deletes what it
    /// records as created, settling any change whose answer was lost by reading the org first.
    #[arg(long)]
    pub undo_last: bool,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  sagediag                              open the console\n  sagediag demo                         the console on the embedded simulated org\n  sagediag check --env production --client-id 3MVG9...\n  sagediag sim --scenario healthy --port 8443\n  sagediag sim --scenario ./my-org.toml\n  sagediag sim --list\n\n\
Once it accepts connections it prints one JSON line on stdout (login_url, instance_url, \
client_id, client_secret, username, password, callback_url, scenario), then logs each request \
on stderr until Ctrl-C or SIGTERM. 127.0.0.1 plays the login host, localhost the org's My Domain."
)]
pub struct SimArgs {
    /// Port to listen on (0: a free one).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Address to listen on; anything but loopback exposes the org to the network.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    pub bind: IpAddr,
    /// A shipped scenario's name or the path of a scenario TOML file.
    #[arg(long, default_value = "healthy")]
    pub scenario: String,
    /// List the shipped scenarios and exit.
    #[arg(long)]
    pub list: bool,
    /// Serve HTTPS with a certificate authority made at start; the JSON line gains `ca_file`.
    #[arg(long)]
    pub tls: bool,
    /// Stop when stdin closes (the demo console runs its org so: it ends with the console).
    #[arg(long, hide = true)]
    pub until_stdin_closes: bool,
    /// Serve N healthy orgs (org-001 …), each on its own port with a monitoring app; prints
    /// one JSON line `{"orgs":[…]}` (docs/simulator.md, "Fleets").
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=5000), conflicts_with_all = ["fleet", "scenario", "list"])]
    pub orgs: Option<u16>,
    /// Serve the orgs a TOML file lists: `[[org]]` with `name = "…"` and `scenario = "…"`.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["scenario", "list"])]
    pub fleet: Option<std::path::PathBuf>,
}

impl SimArgs {
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::new(self.bind, self.port)
    }
}

/// `--redirect-uri`: an absolute http or https URL with a host (Salesforce compares it with the
/// app's callback).
pub fn redirect_uri(s: &str) -> Result<String, String> {
    match url::Url::parse(s) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => {
            Ok(s.to_string())
        }
        Ok(u) => Err(format!(
            "must be an http(s) URL (the app's callback), not {}:",
            u.scheme()
        )),
        Err(e) => Err(format!(
            "not a URL ({e}); e.g. https://app.example.com/oauth/callback"
        )),
    }
}

/// `--jwt-audience`: a non-empty URL (e.g. https://test.salesforce.com).
pub fn jwt_audience(s: &str) -> Result<String, String> {
    let t = s.trim();
    if t.is_empty() {
        return Err("empty: give the audience URL (e.g. https://test.salesforce.com), or leave the flag out".into());
    }
    url::Url::parse(t)
        .map(|_| t.to_string())
        .map_err(|e| format!("not a URL ({e}); e.g. https://test.salesforce.com"))
}

/// `--report`, `--har`: a file that can be written: its directory exists and is writable, and
/// the path is not a directory.
pub fn output_path(s: &str) -> Result<std::path::PathBuf, String> {
    let p = std::path::PathBuf::from(s);
    if s.is_empty() {
        return Err("empty: give a file name".into());
    }
    if p.is_dir() {
        return Err("is a directory: give a file name inside it".into());
    }
    let dir = crate::engine::files::dir_of(&p);
    if !dir.is_dir() {
        return Err(format!("its directory {} does not exist", dir.display()));
    }
    #[cfg(unix)]
    if rustix::fs::access(dir, rustix::fs::Access::WRITE_OK).is_err() {
        return Err(format!("its directory {} is not writable", dir.display()));
    }
    Ok(p)
}

/// `--private-key`: refused at once when the file is a certificate (the public half) rather
/// than a private key. Anything else is read and judged later (a missing file, a FIFO…).
pub fn private_key_path(s: &str) -> Result<std::path::PathBuf, String> {
    let p = std::path::PathBuf::from(s);
    if let Ok(pem) = crate::engine::files::read_user_file(&p, crate::engine::files::PRIVATE_KEY)
        && pem.contains("-----BEGIN CERTIFICATE-----")
        && !pem.contains("PRIVATE KEY-----")
    {
        return Err("is a certificate (the public half, uploaded to the app), not a private key: give the key file (-----BEGIN PRIVATE KEY-----), e.g. server.key".into());
    }
    Ok(p)
}

#[cfg(test)]
mod parse_tests {
    use super::*;

    #[test]
    fn hosts_urls_and_audiences_are_checked_at_parse_time() {
        use crate::settings::host_name;
        assert_eq!(host_name(" GW.Corp.example ").unwrap(), "gw.corp.example");
        for bad in [
            "",
            "https://x.example",
            "x.example:443",
            "a b",
            "x..y",
            "-x.example",
            "\x1b[31m",
        ] {
            assert!(host_name(bad).is_err(), "{bad:?}");
        }
        assert!(redirect_uri("https://app.example.com/cb").is_ok());
        assert!(redirect_uri("javascript:alert(1)").is_err());
        assert!(redirect_uri("ftp://x.example/cb").is_err());
        assert!(jwt_audience("").is_err());
        assert!(jwt_audience("  ").is_err());
        assert!(jwt_audience("https://test.salesforce.com").is_ok());
        assert!(output_path("/nonexistent-dir/report.md").is_err());
        assert!(output_path("/").is_err());
        assert!(output_path("report.md").is_ok());
    }

    #[test]
    fn a_certificate_is_not_a_private_key() {
        let dir = std::env::temp_dir().join(format!("sagediag-cert-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let cert = dir.join("server.crt");
        std::fs::write(
            &cert,
            "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let err = private_key_path(cert.to_str().unwrap()).unwrap_err();
        assert!(err.contains("is a certificate"), "{err}");
        let key = dir.join("server.key");
        std::fs::write(
            &key,
            "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n",
        )
        .unwrap();
        assert!(private_key_path(key.to_str().unwrap()).is_ok());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
