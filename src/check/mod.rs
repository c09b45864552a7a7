//! `sagediag check`: the non-interactive front end over the engine. Progress goes to stderr,
//! the result to stdout (human or JSON). No diagnosis logic lives here.

use std::io::{BufRead, IsTerminal, Write};
use std::time::Duration;

pub mod fix;
pub mod harm;
mod human;

pub use human::human;

use crate::engine::vault::{self, Keep, Kind, Vault};
use crate::engine::{self, Config, Event, Flow, Session};

/// A usage error: what to change (the configuration pipeline's).
pub use crate::config::Usage;

/// Where to write what the run can be shared as, and where to keep its secrets.
#[derive(Default)]
pub struct Outputs {
    pub json: bool,
    pub report: Option<std::path::PathBuf>,
    pub har: Option<std::path::PathBuf>,
    /// How much of the bodies the HAR carries.
    pub har_bodies: engine::export::HarBodies,
    /// Where to keep the consumer secret and the refresh token after a successful login.
    pub keep: Keep,
    pub vault: Vault,
    /// `--fix-plan` / `sagediag fix`: the plan (and the fixes) after the check.
    pub fix: Option<fix::FixOptions>,
    /// `--show-new-token`: a refresh token that replaced the one given is printed once, on stderr.
    pub show_new_token: bool,
    /// An admin's login (`--admin-*`): logged in before the check, its session reads the
    /// integration's whole record (and makes fix's changes).
    pub admin: Option<Config>,
}

/// Secrets taken from the stores for this run: where each came from.
#[derive(Default)]
struct Recalled {
    client_secret: Option<Keep>,
    refresh_token: Option<Keep>,
}

/// How long a secret store may take (a locked keyring may be waiting for its password).
const STORE_WAIT: Duration = Duration::from_secs(60);

/// Why a secret store did not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Vault(#[from] vault::VaultError),
    #[error("the secret store failed: {0}")]
    Failed(String),
    #[error(
        "the secret store did not answer within {0} s (a locked keyring waiting for its password?)"
    )]
    Timeout(u64),
}

/// A secret-store call (they block) beside the runtime, bounded by [`STORE_WAIT`].
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, StoreError> {
    match tokio::time::timeout(STORE_WAIT, tokio::task::spawn_blocking(f)).await {
        Ok(Ok(t)) => Ok(t),
        Ok(Err(e)) => Err(StoreError::Failed(e.to_string())),
        Err(_) => Err(StoreError::Timeout(STORE_WAIT.as_secs())),
    }
}

/// Fills a missing consumer secret or refresh token from the keyring or the owner-only file,
/// saying so on stderr.
async fn recall(cfg: &mut Config, vault: &Vault) -> Recalled {
    let mut got = Recalled::default();
    if cfg.client_id.is_empty() || matches!(cfg.flow, Flow::Token | Flow::Jwt) {
        return got;
    }
    let login = cfg.environment.login_url();
    let want_secret = cfg.client_secret.is_none();
    let want_refresh = cfg.flow == Flow::Refresh && cfg.refresh_token.is_none();
    if !want_secret && !want_refresh {
        return got;
    }
    let want = vault::RecallFor {
        login_url: login,
        client_id: cfg.client_id.clone(),
        username: cfg.username.clone(),
        secret: want_secret,
        refresh: want_refresh,
    };
    let v = vault.clone();
    // The engine's one recall, off the async threads (a keyring may wait).
    let found = match blocking(move || v.recall(&want)).await {
        Ok(found) => found,
        Err(e) => {
            eprintln!("sagediag check: kept secrets not read: {e}");
            return got;
        }
    };
    for p in &found.problems {
        eprintln!("sagediag check: kept secrets: {p}");
    }
    for (kind, value) in [
        (Kind::ClientSecret, found.secret),
        (Kind::RefreshToken, found.refresh),
    ] {
        if let Some((value, keep)) = value {
            eprintln!(
                "Using the {} kept in {}.",
                kind.label(),
                vault.describe(keep)
            );
            match kind {
                Kind::ClientSecret => {
                    cfg.client_secret = Some(value);
                    got.client_secret = Some(keep);
                }
                Kind::RefreshToken => {
                    cfg.refresh_token = Some(value);
                    got.refresh_token = Some(keep);
                }
            }
        }
    }
    got
}

/// After the run: keeps the consumer secret and the refresh token where the user asked, and puts
/// a rotated refresh token back where it came from.
async fn keep_secrets(
    cfg: &Config,
    session: Option<&Session>,
    out: &Outputs,
    recalled: &Recalled,
) -> Result<(), StoreError> {
    let Some(session) = session else {
        if out.keep != Keep::Memory {
            eprintln!("Nothing kept: the login did not succeed.");
        }
        return Ok(());
    };
    let login = cfg.environment.login_url();
    let writes = vault::plan_keep(vault::AfterLogin {
        login_url: &login,
        client_id: &cfg.client_id,
        username: cfg.username.as_deref(),
        keep: out.keep,
        client_secret: cfg.client_secret.as_deref(),
        secret_from: recalled.client_secret,
        refresh_given: cfg.refresh_token.as_deref(),
        refresh_now: session.refresh_token.as_deref(),
        refresh_from: recalled.refresh_token,
    });
    if writes.is_empty() {
        return Ok(());
    }
    let vault = out.vault.clone();
    let done = blocking(move || {
        writes
            .into_iter()
            .map(|w| {
                vault
                    .store(w.keep, &w.account, &w.secret)
                    .map(|()| (w.kind, vault.describe(w.keep)))
                    .map_err(StoreError::from)
            })
            .collect::<Vec<_>>()
    })
    .await
    .unwrap_or_else(|e| vec![Err(e)]);
    let mut result = Ok(());
    for d in done {
        match d {
            Ok((kind, place)) => eprintln!("Kept the {} in {place}.", kind.label()),
            Err(e) => {
                eprintln!("sagediag check: could not keep a secret: {e}");
                result = Err(e);
            }
        }
    }
    result
}

/// Runs the check; returns the exit code.
pub async fn run(mut cfg: Config, out: Outputs) -> u8 {
    if out.keep == Keep::Keyring
        && let Err(why) = {
            let v = out.vault.clone();
            blocking(move || v.keyring_status())
                .await
                .and_then(|r| r.map_err(StoreError::from))
        }
    {
        eprintln!(
            "sagediag check: --keep-secrets keyring: the OS keyring is not available here: {why}.\n\
             Choose where else to keep them:\n  \
             --keep-secrets file     {} (plain text on disk, readable by you only)\n  \
             --keep-secrets memory   keep nothing: pass them again next time",
            out.vault.describe(Keep::File)
        );
        return 2;
    }
    let recalled = recall(&mut cfg, &out.vault).await;
    if cfg.flow == Flow::Refresh && cfg.refresh_token.is_none() {
        eprintln!(
            "sagediag check: --flow refresh needs a refresh token (SAGEDIAG_REFRESH_TOKEN), or one kept by an earlier run with --keep-secrets"
        );
        return 2;
    }
    if let Some(why) = harm::refusal(&cfg, out.keep, recalled.refresh_token, out.show_new_token) {
        eprintln!("sagediag check: {why}");
        return 2;
    }
    cfg.keeper = harm::keeper(&cfg, &out.vault, out.keep, recalled.refresh_token);
    cfg.ledger.set_keep(out.keep != Keep::Memory);
    let admin_actor = match &out.admin {
        Some(a) => admin_login(a, &cfg).await,
        None => None,
    };
    if let Some(actor) = &admin_actor {
        cfg.admin_session = Some(Session {
            instance_url: actor.instance_url.clone(),
            access_token: actor.access_token.clone(),
            refresh_token: None,
        });
    }
    let given = cfg.clone();
    let timeout = cfg.timeout;
    for host in &cfg.insecure_hosts {
        eprintln!(
            "WARNING: TLS certificate verification is OFF for {host} (--insecure-host): anyone on the network path can impersonate it."
        );
    }
    for host in &cfg.trust_hosts {
        eprintln!("NOTE: the token may go to {host}, outside Salesforce's domains (--trust-host).");
    }
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let pasted = (cfg.flow == Flow::Web).then(|| {
        let (ptx, prx) = tokio::sync::mpsc::unbounded_channel();
        // A pasted redirect URL on stdin; a thread, since stdin reads block.
        std::thread::spawn(move || {
            let stdin = std::io::stdin();
            for line in stdin.lock().lines().map_while(Result::ok) {
                if ptx.send(line).is_err() {
                    break;
                }
            }
        });
        prx
    });
    let client = match engine::http::Client::for_config(&cfg, Some(tx.clone())) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("sagediag check: {e}");
            return 1;
        }
    };
    let engine = tokio::spawn(engine::run(
        cfg,
        tx,
        engine::RunOptions {
            client: Some(client.clone()),
            pasted,
        },
    ));
    let interactive = std::io::stderr().is_terminal();
    // The loop ends with the engine's task, not the channel: the client kept for the HAR export
    // holds a sender, so the channel stays open.
    let mut engine = engine;
    let mut waits = Waits::default();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    // Events are taken every 50 ms, all that came meanwhile: a coverage run sends two for each
    // of thousands of pages, and waking this loop for each one cost more than reading them.
    let mut drain = tokio::time::interval(Duration::from_millis(50));
    let joined = loop {
        tokio::select! {
            _ = drain.tick() => {
                while let Ok(event) = rx.try_recv() {
                    waits.track(&event);
                    progress(&event, interactive);
                }
            }
            _ = tick.tick() => {
                for line in waits.due(std::time::Instant::now(), timeout) {
                    say(&line);
                }
            }
            done = &mut engine => {
                while let Ok(event) = rx.try_recv() {
                    progress(&event, interactive);
                }
                break done;
            }
        }
    };
    let (mut report, session) = match joined {
        Ok(r) => (r.report, r.session),
        Err(e) => {
            eprintln!("sagediag: the check stopped unexpectedly: {e}");
            return 1;
        }
    };
    // Front-end failures (a secret not kept, a file not written) add to the engine's verdict.
    let mut failed = false;
    if keep_secrets(&given, session.as_ref(), &out, &recalled)
        .await
        .is_err()
    {
        failed = true;
        // Not kept: the run's own grant is given back rather than left behind.
        given.ledger.set_keep(false);
    }
    // The fix step runs before the tokens are given back (it uses the session) and before the
    // report and the HAR are written, so that both hold the changes it made and their requests.
    let fixed = match &out.fix {
        Some(f) => Some(
            fix::after(
                &given,
                &mut report,
                session.as_ref(),
                &client,
                f,
                admin_actor.clone(),
            )
            .await,
        ),
        None => None,
    };
    // The end of the run: give back what it obtained (after the fixes, which use the session).
    let admin_ledger = out.admin.as_ref().map(|a| &a.ledger);
    let ledgers: Vec<&engine::ledger::Ledger> =
        std::iter::once(&given.ledger).chain(admin_ledger).collect();
    report.revoked = harm::give_back(&ledgers, &client).await;
    harm::add_later_requests(&mut report, &client);
    // The exit status is the engine's verdict on the report (and on what the fix step did).
    let mut code = engine::verdict::exit_code(
        &report,
        fixed
            .as_ref()
            .map_or(engine::verdict::FixResult::NoChangeAsked, |f| f.result),
    );
    if failed {
        code = code.max(1);
    }
    if out.show_new_token
        && report.rotation.is_some()
        && let Some(rt) = session.as_ref().and_then(|s| s.refresh_token.as_deref())
    {
        // Asked for: the one place a token is printed, once, on the terminal (never stdout).
        eprintln!("New refresh token (shown once, as asked with --show-new-token): {rt}");
    }
    let now = engine::clock::now_ms();
    if let Some(path) = &out.report {
        // Scrubbed again with every secret the run learnt (belt and braces).
        // The report's own "Changes made" says what a fix did: nothing is appended to it.
        let mut markdown = client.scrub(&engine::export::markdown(&report, now));
        if let Some(har) = &out.har {
            markdown.push_str(&engine::export::har_note(
                &har.display().to_string(),
                out.har_bodies,
            ));
        }
        match engine::files::write_private(path, engine::sanitize::text(&markdown).as_bytes()) {
            Ok(()) => eprintln!("Report written to {}", path.display()),
            Err(e) => {
                eprintln!(
                    "sagediag check: cannot write the report to {}: {e}",
                    path.display()
                );
                code = code.max(1);
            }
        }
    }
    if let Some(path) = &out.har {
        // Written entry by entry: the document is never held whole (docs/performance.md).
        let clean = |text: &str| engine::sanitize::json(&client.scrub(text)).into_owned();
        let written = engine::files::write_private_with(path, |w| {
            client.with_exchanges(|log| engine::export::write_har(w, log, out.har_bodies, clean))
        });
        match written {
            Ok(()) => eprintln!("HAR written to {}", path.display()),
            Err(e) => {
                eprintln!(
                    "sagediag check: cannot write the HAR file to {}: {e}",
                    path.display()
                );
                code = code.max(1);
            }
        }
    }
    let mut stdout = std::io::stdout().lock();
    let text = if out.json {
        let mut doc = serde_json::to_value(&report).unwrap_or_default();
        if let (Some(f), Some(obj)) = (&fixed, doc.as_object_mut()) {
            obj.extend(f.json.clone());
        }
        let doc = client.scrub(&serde_json::to_string_pretty(&doc).unwrap_or_default());
        engine::sanitize::json(&doc).into_owned()
    } else {
        let mut text = human(&report);
        if let Some(f) = &fixed {
            text.push_str(&f.human);
        }
        engine::sanitize::text(&client.scrub(&text)).into_owned()
    };
    let _ = writeln!(stdout, "{text}");
    let _ = stdout.flush();
    code
}

/// Logs the admin in before the check (its own client; its progress and findings on stderr).
/// None: it failed, and the check goes on with the API user's session.
async fn admin_login(admin: &Config, cfg: &Config) -> Option<engine::fix::Actor> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let client = match engine::http::Client::for_config(cfg, Some(tx.clone())) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("sagediag check: the admin's login: {e}");
            return None;
        }
    };
    eprintln!("Logging in the admin (--admin-username) to read the integration's record…");
    let mut run = engine::fix::new_run(admin.clone(), client, tx);
    let actor = engine::fix::login_actor(&mut run).await;
    while let Ok(e) = rx.try_recv() {
        progress(&e, false);
    }
    if actor.is_none() {
        eprintln!(
            "sagediag check: the admin's login failed; the integration's record is read as the API user (its own rows only)."
        );
        for f in &run.findings {
            eprintln!("  {} {}: {}", f.code, f.title, f.detail);
        }
    }
    actor
}

/// Requests in flight, so that a slow or dead network says what is being waited on.
#[derive(Default)]
pub struct Waits {
    /// id → (method, URL (redacted), sent, seconds already announced).
    pending: std::collections::BTreeMap<u64, (String, String, std::time::Instant, u64)>,
}

impl Waits {
    pub fn track(&mut self, e: &Event) {
        match e {
            Event::RequestSent { id, method, url } => {
                self.pending.insert(
                    *id,
                    (method.clone(), url.clone(), std::time::Instant::now(), 0),
                );
            }
            Event::ResponseReceived { id, .. } => {
                self.pending.remove(id);
            }
            _ => {}
        }
    }

    /// Lines to print now: a request still waiting after 3 s, then every 10 s.
    pub fn due(&mut self, now: std::time::Instant, timeout: Duration) -> Vec<String> {
        let mut out = Vec::new();
        for (method, url, sent, said) in self.pending.values_mut() {
            let secs = now.duration_since(*sent).as_secs();
            let next = if *said == 0 { 3 } else { *said + 10 };
            if secs >= next {
                *said = secs;
                out.push(format!(
                    "  waiting {secs} s for {method} {url} (gives up after {} s; --timeout changes it)",
                    timeout.as_secs()
                ));
            }
        }
        out
    }
}

/// Prints to stderr through the sanitiser (server text is already sanitised by the engine;
/// this is the last gate before the terminal).
fn say(text: &str) {
    eprintln!("{}", engine::sanitize::text(text));
}

fn progress(e: &Event, _interactive: bool) {
    match e {
        Event::StepStarted { step } => say(&format!("… {}", step.title())),
        Event::StepFinished {
            step,
            status,
            duration_ms,
            summary,
        } => say(&format!(
            "{} {} ({duration_ms} ms){}",
            status.word(),
            step.title(),
            if summary.is_empty() {
                String::new()
            } else {
                format!(": {summary}")
            }
        )),
        Event::AuthorizeUrl { url, ssh_tunnel } => {
            say("Open this URL to log in (or paste the URL the browser lands on here):");
            say(url);
            if let Some(ssh) = ssh_tunnel {
                say(&format!("Over SSH, forward the callback port first: {ssh}"));
            }
        }
        Event::DeviceCode {
            user_code,
            verification_uri,
        } => say(&format!("Enter code {user_code} at {verification_uri}")),
        Event::PasteNeeded { reason } => {
            say(&format!("  {reason}"));
            say("  Paste the URL here and press Enter:");
        }
        Event::PasteRefused { reason } => say(&format!("  {reason}")),
        Event::Progress(p) => say(&format!("  {p}")),
        Event::Finding(f) => say(&format!(
            "  finding {} ({}): {}",
            f.code,
            f.severity.label(),
            f.title
        )),
        Event::RequestSent { .. } | Event::ResponseReceived { .. } | Event::Endpoint(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slow_request_is_announced_at_3_s_then_every_10_s() {
        let mut w = Waits::default();
        w.track(&Event::RequestSent {
            id: 1,
            method: "GET".into(),
            url: "https://login.salesforce.com/services/data/".into(),
        });
        let t0 = w.pending[&1].2;
        let at = |s| t0 + Duration::from_secs(s);
        let t = Duration::from_secs(30);
        assert!(w.due(at(2), t).is_empty());
        let l = w.due(at(3), t);
        assert_eq!(l.len(), 1);
        assert!(l[0].contains("waiting 3 s for GET https://login.salesforce.com/services/data/"));
        assert!(l[0].contains("gives up after 30 s"));
        assert!(w.due(at(4), t).is_empty());
        assert!(w.due(at(12), t).is_empty());
        assert_eq!(w.due(at(13), t).len(), 1);
        w.track(&Event::ResponseReceived {
            id: 1,
            status: Some(200),
            duration_ms: 13_000,
            bytes: 10,
        });
        assert!(w.due(at(40), t).is_empty());
    }
}
