//! The console: a ratatui front end over the engine. One loop, a biased `select!` over engine
//! events, the run's completion, terminal input and the demo's timer; the screen is redrawn
//! only when something changed (no fixed-rate redraw while idle; a spinner ticks only while a
//! run is in flight).

pub mod app;
pub mod profile;
pub mod ui;

use std::fmt::Write as _;
use std::io;
use std::time::Duration;

use crossterm::event::{Event as TermEvent, KeyEventKind};
use futures_util::{Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::Backend;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::engine::http::{Client, Request};
use crate::engine::{self, Event, Report, Session};
use crate::sim::{self, RunningSim, Scenario, scenario::SHIPPED};
use app::{App, Autoplay, Effect, Overlay, VaultMsg};
use engine::vault::{self, Keep};

pub struct DemoOptions {
    pub scenario: String,
    pub manual: bool,
}

/// What the loop owns besides the app's state: the running check, the demo org, the log file.
pub struct Ctx {
    pub sim: Option<RunningSim>,
    job: Option<JoinHandle<(Report, Option<Session>)>>,
    session: Option<Session>,
    console_job: Option<JoinHandle<u64>>,
    reprobe_job: Option<JoinHandle<(usize, engine::EndpointResult, Option<engine::Finding>)>>,
    events: Option<UnboundedReceiver<Event>>,
    paste: Option<UnboundedSender<String>>,
    autoplay_at: Option<Instant>,
    /// Pause between the demo's steps.
    pub autoplay_delay: Duration,
    /// Write OSC 52 to stdout on copy (off for a test backend).
    pub osc52: bool,
    /// Every drawn frame as text, for tests that watch the real loop.
    pub frames: Option<tokio::sync::watch::Sender<String>>,
    /// Answers of the secret stores, whose calls block and so run beside the loop.
    vault_tx: UnboundedSender<VaultMsg>,
    vault_rx: UnboundedReceiver<VaultMsg>,
}

impl Ctx {
    pub fn new() -> Ctx {
        let (vault_tx, vault_rx) = unbounded_channel();
        Ctx {
            sim: None,
            job: None,
            session: None,
            console_job: None,
            reprobe_job: None,
            events: None,
            paste: None,
            autoplay_at: None,
            autoplay_delay: Duration::from_millis(1200),
            osc52: false,
            frames: None,
            vault_tx,
            vault_rx,
        }
    }

    /// One line of the console's log file: a timestamp, then the text through the sanitiser
    /// (server text never reaches the file raw).
    fn log_line(&mut self, line: &str) {
        tracing::info!(target: "sagediag::console", "{}", engine::sanitize::line(line));
    }

    /// Starts (or restarts) the demo org on a free loopback port with a shipped scenario.
    pub async fn start_demo(&mut self, app: &mut App, scenario: &str) -> Result<(), String> {
        if let Some(old) = self.sim.take() {
            old.stop().await;
        }
        let sc = Scenario::load(scenario).map_err(|e| e.to_string())?;
        let running = sim::start(sc, std::net::SocketAddr::from(([127, 0, 0, 1], 0)), false)
            .await
            .map_err(|e| format!("cannot start the demo org: {e}"))?;
        let i = &running.info;
        app.set_demo(
            &i.scenario,
            &i.login_url,
            &i.client_id,
            &i.client_secret,
            &i.username,
        );
        app.status = Some(format!(
            "Demo org: scenario {} — {}",
            i.scenario, running.org.scenario.description
        ));
        self.log_line(&format!(
            "demo org started: scenario {} at {}",
            i.scenario, i.login_url
        ));
        self.sim = Some(running);
        Ok(())
    }

    pub async fn stop(&mut self) {
        if let Some(job) = self.job.take() {
            job.abort();
        }
        if let Some(s) = self.sim.take() {
            s.stop().await;
        }
    }
}

impl Default for Ctx {
    fn default() -> Self {
        Ctx::new()
    }
}

/// Runs the console in the real terminal until the user quits.
pub async fn run(
    demo: Option<DemoOptions>,
    mouse: bool,
    settings: crate::settings::Settings,
) -> io::Result<()> {
    let mut app = App::new();
    app.vault = vault::Vault::from_env();
    app.apply_settings(&settings);
    let mut ctx = Ctx::new();
    ctx.osc52 = true;
    // The log file itself is tracing's (set up by main before the console starts).
    app.log_path = crate::logging::default_log_path().map(|p| p.display().to_string());
    if demo.is_none() {
        app.profiles = profile::load();
        if let Some(p) = app.profiles.first().cloned() {
            app.apply_profile(&p);
            apply(&mut app, &mut ctx, Effect::Recall { then_run: false }).await;
        }
    }
    if let Some(d) = &demo {
        if let Err(e) = ctx.start_demo(&mut app, &d.scenario).await {
            return Err(io::Error::other(e));
        }
        // The demo org's credentials are throwaway: kept only if chosen on the form.
        app.form.keep = Keep::Memory;
        if !d.manual {
            app.autoplay = Some(Autoplay::ShowEnvironment);
        }
    }
    if app.form.keep == Keep::Keyring {
        apply(&mut app, &mut ctx, Effect::ProbeKeyring { select: false }).await;
    }
    // ratatui::init enters the alternate screen, raw mode, and restores the terminal on panic.
    let mut terminal = ratatui::init();
    if mouse {
        let _ = crossterm::execute!(io::stdout(), crossterm::event::EnableMouseCapture);
        // A panic restores the terminal (ratatui's hook); mouse reporting is turned off first.
        let restore = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let _ = crossterm::execute!(io::stdout(), crossterm::event::DisableMouseCapture);
            restore(info);
        }));
    }
    let result = run_loop(
        &mut terminal,
        &mut app,
        &mut ctx,
        crossterm::event::EventStream::new(),
    )
    .await;
    if mouse {
        let _ = crossterm::execute!(io::stdout(), crossterm::event::DisableMouseCapture);
    }
    ratatui::restore();
    ctx.stop().await;
    result
}

async fn next_event(rx: &mut Option<UnboundedReceiver<Event>>) -> Option<Event> {
    match rx {
        Some(r) => r.recv().await,
        None => std::future::pending().await,
    }
}

async fn job_done<T>(job: &mut Option<JoinHandle<T>>) -> Result<T, tokio::task::JoinError> {
    match job {
        Some(j) => j.await,
        None => std::future::pending().await,
    }
}

async fn until(at: Option<Instant>) {
    match at {
        Some(t) => tokio::time::sleep_until(t).await,
        None => std::future::pending().await,
    }
}

/// The signals that end the console from outside (SIGTERM, SIGINT, SIGHUP, SIGQUIT): each
/// quits through the same path as `q`, so the terminal is always restored.
#[cfg(unix)]
fn ending_signals() -> Vec<tokio::signal::unix::Signal> {
    use tokio::signal::unix::{SignalKind, signal};
    [
        SignalKind::terminate(),
        SignalKind::interrupt(),
        SignalKind::hangup(),
        SignalKind::quit(),
    ]
    .into_iter()
    .filter_map(|k| signal(k).ok())
    .collect()
}

#[cfg(unix)]
async fn terminate(sigs: &mut [tokio::signal::unix::Signal]) {
    if sigs.is_empty() {
        return std::future::pending().await;
    }
    let waits = sigs.iter_mut().map(|s| Box::pin(s.recv()));
    let _ = futures_util::future::select_all(waits).await;
}

/// The event loop, over any backend and any input stream (the real terminal, or a test's).
pub async fn run_loop<B, S>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    ctx: &mut Ctx,
    mut input: S,
) -> io::Result<()>
where
    B: Backend,
    B::Error: std::fmt::Display,
    S: Stream<Item = io::Result<TermEvent>> + Unpin,
{
    #[cfg(unix)]
    let mut term_signal = ending_signals();
    let mut dirty = true;
    loop {
        if app
            .autoplay
            .is_some_and(|a| !matches!(a, Autoplay::WaitRun | Autoplay::Done))
            && ctx.autoplay_at.is_none()
        {
            ctx.autoplay_at = Some(Instant::now() + ctx.autoplay_delay);
        }
        if dirty {
            let completed = terminal
                .draw(|f| ui::draw(f, app))
                .map_err(|e| io::Error::other(e.to_string()))?;
            if let Some(tx) = &ctx.frames {
                let _ = tx.send(buffer_text(completed.buffer));
            }
            dirty = false;
        }
        if app.quit {
            return Ok(());
        }
        let mut effect = None;
        #[cfg(unix)]
        let sigterm = terminate(&mut term_signal);
        #[cfg(not(unix))]
        let sigterm = std::future::pending::<()>();
        tokio::select! {
            biased;
            _ = sigterm => app.quit = true,
            ev = next_event(&mut ctx.events) => {
                if let Some(ev) = ev {
                    log_event(ctx, &ev);
                    app.on_engine(ev);
                    while let Some(Ok(ev)) = ctx.events.as_mut().map(|r| r.try_recv()) {
                        log_event(ctx, &ev);
                        app.on_engine(ev);
                    }
                }
                dirty = true;
            }
            Some(msg) = ctx.vault_rx.recv() => {
                effect = app.on_vault(msg);
                dirty = true;
            }
            done = job_done(&mut ctx.job) => {
                ctx.job = None;
                match done {
                    Ok((report, session)) => {
                        let refresh = session.as_ref().and_then(|s| s.refresh_token.clone());
                        let logged_in = session.is_some();
                        ctx.session = session;
                        ctx.log_line(&format!("run finished: {} ({} findings: {})", report.outcome, report.findings.len(), report.findings.iter().map(|f| f.code.as_str()).collect::<Vec<_>>().join(", ")));
                        app.on_report(report);
                        if logged_in {
                            effect = app.on_session(refresh);
                        }
                    }
                    Err(e) if e.is_cancelled() => {}
                    Err(e) => {
                        app.running = false;
                        app.status = Some(format!("The check stopped unexpectedly: {e}"));
                    }
                }
                dirty = true;
            }
            done = job_done(&mut ctx.reprobe_job) => {
                ctx.reprobe_job = None;
                if let Ok((i, result, finding)) = done {
                    app.on_reprobe(i, result, finding);
                }
                dirty = true;
            }
            done = job_done(&mut ctx.console_job) => {
                ctx.console_job = None;
                if let Ok(id) = done {
                    app.open_inspector(id);
                }
                dirty = true;
            }
            ev = input.next() => {
                match ev {
                    Some(Ok(TermEvent::Key(k))) if k.kind != KeyEventKind::Release => {
                        effect = app.on_key(k);
                        dirty = true;
                    }
                    Some(Ok(TermEvent::Paste(text))) if app.pasting || app.screen == app::Screen::Login => {
                        effect = Some(Effect::Paste(text));
                        dirty = true;
                    }
                    Some(Ok(_)) => dirty = true,
                    Some(Err(e)) => return Err(e),
                    None => app.quit = true,
                }
            }
            _ = until(ctx.autoplay_at) => {
                ctx.autoplay_at = None;
                effect = app.autoplay_step();
                dirty = true;
            }
            _ = tokio::time::sleep(Duration::from_millis(250)), if app.running => {
                app.tick(std::time::Instant::now());
                dirty = true;
            }
        }
        if let Some(e) = effect {
            apply(app, ctx, e).await;
            dirty = true;
        }
    }
}

fn log_event(ctx: &mut Ctx, ev: &Event) {
    match ev {
        Event::StepFinished {
            step,
            status,
            duration_ms,
            summary,
        } => ctx.log_line(&format!(
            "step {} {} ({duration_ms} ms): {summary}",
            step.title(),
            status.word()
        )),
        Event::ResponseReceived {
            id,
            status,
            duration_ms,
            ..
        } => ctx.log_line(&format!("request #{id} -> {status:?} ({duration_ms} ms)")),
        Event::RequestSent { id, method, url } => {
            ctx.log_line(&format!("request #{id} {method} {url}"));
        }
        Event::Finding(f) => ctx.log_line(&format!("finding {} {}", f.code, f.title)),
        _ => {}
    }
}

async fn apply(app: &mut App, ctx: &mut Ctx, effect: Effect) {
    match effect {
        Effect::StartRun(cfg) => {
            if let Some(job) = ctx.job.take() {
                job.abort();
            }
            let (tx, rx) = unbounded_channel();
            let (ptx, prx) = unbounded_channel();
            let client = match Client::for_config(&cfg, Some(tx.clone())) {
                Ok(c) => c,
                Err(e) => {
                    app.status = Some(e.to_string());
                    return;
                }
            };
            app.client = Some(client.clone());
            app.run_started();
            ctx.session = None;
            if let Some(p) = app.profile() {
                match profile::save(&p) {
                    Ok(()) => app.profiles = profile::load(),
                    Err(e) => app.status = Some(format!("Could not save the profile: {e}")),
                }
            }
            ctx.events = Some(rx);
            ctx.paste = Some(ptx);
            ctx.log_line(&format!(
                "run started: {} flow at {}",
                cfg.flow.name(),
                cfg.environment.login_url()
            ));
            ctx.job = Some(tokio::spawn(engine::run_session(
                *cfg,
                client,
                tx,
                Some(prx),
            )));
        }
        Effect::NextScenario => {
            let current = app.demo_scenario.clone().unwrap_or_default();
            let i = SHIPPED
                .iter()
                .position(|(n, _)| *n == current)
                .map(|i| (i + 1) % SHIPPED.len())
                .unwrap_or(0);
            if let Some(job) = ctx.job.take() {
                job.abort();
            }
            app.running = false;
            match ctx.start_demo(app, SHIPPED[i].0).await {
                Ok(()) => {
                    if let Some(e) = app_start(app) {
                        Box::pin(apply(app, ctx, e)).await;
                    }
                }
                Err(e) => app.status = Some(e),
            }
        }
        Effect::Copy(text) => {
            if ctx.osc52 {
                let _ = crossterm::execute!(
                    io::stdout(),
                    crossterm::clipboard::CopyToClipboard::to_clipboard_from(text.clone())
                );
            }
            app.overlay = Overlay::Copied(text);
        }
        Effect::Export => {
            let (Some(report), Some(client)) = (&app.report, &app.client) else {
                app.status = Some("Nothing to export yet: run the check first (r).".into());
                return;
            };
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis() as u64)
                .unwrap_or(0);
            let stamp = engine::export::iso8601(now).replace([':', '.'], "-");
            let md = format!("sagediag-report-{stamp}.md");
            let har = format!("sagediag-{stamp}.har");
            let bodies = app.har_bodies;
            let har_text = client.scrub(
                &serde_json::to_string_pretty(&engine::export::har_with(
                    &client.exchanges(),
                    bodies,
                ))
                .unwrap_or_default(),
            );
            let har_text = engine::sanitize::json(&har_text).into_owned();
            let mut md_text = client.scrub(&engine::export::markdown(report, now));
            let _ = write!(
                md_text,
                "\n_The HAR export of this run (`{har}`) carries bodies as `{}` (`har_bodies`)._\n",
                bodies.name()
            );
            let md_text = engine::sanitize::text(&md_text).into_owned();
            app.status = Some(
                match (
                    engine::files::write_private(std::path::Path::new(&md), md_text.as_bytes()),
                    engine::files::write_private(std::path::Path::new(&har), har_text.as_bytes()),
                ) {
                    (Ok(()), Ok(())) => format!(
                        "Wrote {md} and {har} (secrets redacted; HAR bodies: {}, har_bodies in the config file changes it).",
                        bodies.name()
                    ),
                    (Err(e), _) | (_, Err(e)) => format!("Could not write the report: {e}"),
                },
            );
        }
        Effect::Reprobe(i) => {
            let (Some(session), Some(client), Some(def)) = (
                ctx.session.clone(),
                app.client.clone(),
                engine::ENDPOINTS.get(i).copied(),
            ) else {
                app.status = Some("No session yet: run the check (r) first.".into());
                return;
            };
            let assigned = app.endpoints.get(i).and_then(|e| e.assigned);
            app.status = Some(format!("Re-probing {}…", def.name));
            ctx.reprobe_job = Some(tokio::spawn(async move {
                let answer = client
                    .send(engine::org::probe_request(
                        &def,
                        &session.instance_url,
                        &session.access_token,
                    ))
                    .await;
                let (result, finding) = engine::org::judge_probe(&def, answer, assigned);
                (i, result, finding)
            }));
        }
        Effect::SendRequest(line) => {
            let (Some(session), Some(client)) = (ctx.session.clone(), app.client.clone()) else {
                app.status = Some("No session yet: run the check (r) and log in first.".into());
                return;
            };
            match console_request(&line, &session) {
                Ok(req) => {
                    app.status = Some(format!("Sending: {line}"));
                    app.show_log = true;
                    ctx.console_job = Some(tokio::spawn(async move { client.send(req).await.0 }));
                }
                Err(e) => app.status = Some(e),
            }
        }
        Effect::ProbeKeyring { select } => {
            if select {
                app.status = Some("Looking for the OS keyring…".into());
            }
            let (v, tx) = (app.vault.clone(), ctx.vault_tx.clone());
            tokio::task::spawn_blocking(move || {
                let result = v.keyring_status().map_err(|e| e.to_string());
                let _ = tx.send(VaultMsg::Keyring { result, select });
            });
        }
        Effect::Recall { then_run } => {
            let Some(key) = app.form.vault_key() else {
                return;
            };
            let (login, client_id, username) = key.clone();
            let (v, tx) = (app.vault.clone(), ctx.vault_tx.clone());
            if then_run {
                app.status = Some("Looking for kept secrets…".into());
            }
            tokio::task::spawn_blocking(move || {
                let (secret, mut problems) = v.find(&vault::account(
                    vault::Kind::ClientSecret,
                    &login,
                    &client_id,
                    None,
                ));
                let (refresh, more) = v.find(&vault::account(
                    vault::Kind::RefreshToken,
                    &login,
                    &client_id,
                    username.as_deref(),
                ));
                problems.extend(more);
                let _ = tx.send(VaultMsg::Recalled {
                    key,
                    secret,
                    refresh,
                    problems,
                    then_run,
                });
            });
        }
        Effect::Keep(writes) => {
            let (v, tx) = (app.vault.clone(), ctx.vault_tx.clone());
            tokio::task::spawn_blocking(move || {
                let results = writes
                    .into_iter()
                    .map(|w| {
                        v.store(w.keep, &w.account, &w.secret)
                            .map(|()| (w.kind, w.keep))
                            .map_err(|e| e.to_string())
                    })
                    .collect();
                let _ = tx.send(VaultMsg::Kept(results));
            });
        }
        Effect::Paste(url) => match &ctx.paste {
            Some(tx) if app.running => {
                let _ = tx.send(url);
                app.status = Some("Redirect URL received; exchanging the code…".into());
            }
            _ => app.status = Some("No login is waiting for a redirect URL (r starts one).".into()),
        },
    }
}

/// A request-console line as a request under the instance URL, with the session's token:
/// `SELECT …` (a SOQL query), or `METHOD /path[?query] [json body]`.
pub fn console_request(line: &str, session: &Session) -> Result<Request, String> {
    let base = session.instance_url.trim_end_matches('/');
    if line
        .get(..7)
        .is_some_and(|head| head.eq_ignore_ascii_case("select "))
        && line.len() > 7
    {
        let q: String = url::form_urlencoded::byte_serialize(line.as_bytes()).collect();
        return Ok(Request::get(format!(
            "{base}/services/data/{}/query?q={q}",
            engine::API_VERSION
        ))
        .bearer(&session.access_token));
    }
    let (method, rest) = line.split_once(' ').ok_or(
        "Type METHOD /path (e.g. GET /services/apexrest/spapi/v4/employees) or a SELECT query.",
    )?;
    let method = match method.to_ascii_uppercase().as_str() {
        "GET" => reqwest::Method::GET,
        "POST" => reqwest::Method::POST,
        "PATCH" => reqwest::Method::PATCH,
        "PUT" => reqwest::Method::PUT,
        "DELETE" => reqwest::Method::DELETE,
        "HEAD" => reqwest::Method::HEAD,
        _ => {
            return Err(format!(
                "`{method}` is not an HTTP method (GET, POST, PATCH, PUT, DELETE)"
            ));
        }
    };
    let rest = rest.trim();
    if !rest.starts_with('/') {
        return Err("The path must start with / (it is sent to the instance URL).".into());
    }
    // A JSON body may follow the path, after the first space before a `{` or `[`.
    let (path, body) = match rest
        .split_once(' ')
        .filter(|(_, after)| after.trim_start().starts_with(['{', '[']))
    {
        Some((path, after)) => (path.to_string(), Some(after.trim().to_string())),
        None => (rest.to_string(), None),
    };
    let mut url = url::Url::parse(&format!(
        "{base}{}",
        path.split('?').next().unwrap_or(&path)
    ))
    .map_err(|e| format!("bad path: {e}"))?;
    if let Some((_, q)) = path.split_once('?') {
        let mut pairs = url.query_pairs_mut();
        for part in q.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            pairs.append_pair(k, v);
        }
    }
    let mut req = match body {
        Some(b) => {
            let v: serde_json::Value =
                serde_json::from_str(&b).map_err(|e| format!("the body is not JSON: {e}"))?;
            let mut r = Request::post_json(url.to_string(), v);
            r.method = method;
            r
        }
        None => Request::get(url.to_string()).with_method(method),
    };
    req = req
        .bearer(&session.access_token)
        .header("Accept", "application/json");
    Ok(req)
}

/// The run a scenario switch starts: the same as pressing r.
fn app_start(app: &mut App) -> Option<Effect> {
    match app.form.config() {
        Ok(cfg) => Some(Effect::StartRun(Box::new(cfg))),
        Err(e) => {
            app.status = Some(e);
            None
        }
    }
}

/// A drawn buffer as plain text, one line per row.
pub fn buffer_text(buf: &ratatui::buffer::Buffer) -> String {
    let mut out = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}
