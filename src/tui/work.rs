//! Carrying out effects: runs, probes, the request console, the secret stores, files and the
//! log file all happen on tasks (or a writer thread) that answer with a [`Msg`] on the queue.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Mutex;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio::task::JoinHandle;

use super::app::App;
use super::demo::DemoOrg;
use super::fix::{FixJob, FixMsg};
use super::msg::{Effect, Msg, VaultMsg};
use super::profile;
use crate::engine::http::{Client, Request};
use crate::engine::{self, Session, vault};

/// What the loop owns besides the app's state: the queue, the running jobs, the demo org, the
/// log file's writer.
pub struct Ctx {
    pub tx: UnboundedSender<Msg>,
    pub rx: UnboundedReceiver<Msg>,
    job: Option<JoinHandle<()>>,
    paste: Option<UnboundedSender<String>>,
    pub demo: Option<Arc<Mutex<Box<dyn DemoOrg>>>>,
    /// Pause between the demo's steps.
    pub autoplay_delay: Duration,
    /// A real terminal: OSC 52 on copy, Ctrl-Z suspends.
    pub terminal_io: bool,
    pub mouse: bool,
    /// Every drawn frame as text, for tests that watch the real loop.
    pub frames: Option<tokio::sync::watch::Sender<String>>,
    /// The last run's ledger and client: what it obtained is given back on a re-run or quit.
    given: Option<(engine::ledger::Ledger, Client)>,
    /// Where `W` writes the report and the HAR (None: the current directory).
    pub export_dir: Option<std::path::PathBuf>,
}

impl Ctx {
    pub fn new() -> Ctx {
        let (tx, rx) = unbounded_channel();
        Ctx {
            tx,
            rx,
            job: None,
            paste: None,
            demo: None,
            autoplay_delay: Duration::from_millis(1200),
            terminal_io: false,
            mouse: false,
            frames: None,
            given: None,
            export_dir: None,
        }
    }

    /// A console over a demo org.
    pub fn with_demo(org: Box<dyn DemoOrg>) -> Ctx {
        let mut c = Ctx::new();
        c.demo = Some(Arc::new(Mutex::new(org)));
        c
    }

    /// One line of the console's log: a tracing event, written by the non-blocking file writer
    /// `main` set up (owner-only, rotated, timestamped, sanitised), so the loop never waits.
    fn log_line(&self, line: String) {
        tracing::info!(target: "sagediag::console", "{}", engine::sanitize::line(&line));
    }

    fn say(&self, s: impl Into<String>) {
        let _ = self.tx.send(Msg::Say(s.into()));
    }

    /// Starts the demo org before the loop runs (the loop restarts it through effects).
    pub async fn start_demo(
        &mut self,
        app: &mut App,
        scenario: &str,
    ) -> Result<(), super::error::DemoError> {
        let demo = self
            .demo
            .clone()
            .ok_or_else(|| super::error::DemoError("no demo org".into()))?;
        let mut org = demo.lock().await;
        app.update(Msg::Scenarios(org.scenarios()));
        let info = org.start(scenario).await?;
        drop(org);
        for e in app.update(Msg::DemoStarted(Ok(info))) {
            self.apply(e);
        }
        Ok(())
    }

    pub async fn stop(&mut self) {
        if let Some(job) = self.job.take() {
            job.abort();
        }
        // Quit, Ctrl-C, SIGTERM/SIGHUP: give back what the last run obtained, within a bound.
        if let Some((ledger, client)) = self.given.take() {
            let limit = Duration::from_secs(10);
            match tokio::time::timeout(limit, engine::ledger::revoke(&ledger, &client)).await {
                Ok(done) => {
                    for r in done {
                        self.log_line(format!("given back: {}", r.line()));
                    }
                }
                Err(_) => self.log_line("revoking the last run's tokens took over 10 s".into()),
            }
        }
        if let Some(d) = self.demo.take() {
            d.lock().await.stop().await;
        }
    }

    /// Carries out one effect, from what the effect carries (the app is not read).
    pub fn apply(&mut self, effect: Effect) {
        let tx = self.tx.clone();
        match effect {
            Effect::StartRun { run, cfg, profile } => {
                if let Some(job) = self.job.take() {
                    job.abort();
                }
                let (etx, mut erx) = unbounded_channel();
                let (ptx, prx) = unbounded_channel();
                let client = match Client::for_config(&cfg, Some(etx.clone())) {
                    Ok(c) => c,
                    Err(e) => {
                        let _ = tx.send(Msg::RunDone {
                            run,
                            result: Err(super::error::RunError(e.to_string())),
                        });
                        return;
                    }
                };
                let _ = tx.send(Msg::RunClient {
                    run,
                    client: client.clone(),
                });
                if let Some(p) = profile {
                    self.apply(Effect::SaveProfile(p));
                }
                self.paste = Some(ptx);
                // A re-run: the last run's tokens are given back (its session is dropped).
                if let Some((ledger, old)) =
                    self.given.replace((cfg.ledger.clone(), client.clone()))
                {
                    let tx = tx.clone();
                    tokio::spawn(async move {
                        for r in engine::ledger::revoke(&ledger, &old).await {
                            let _ = tx.send(Msg::Say(format!("Given back: {}", r.line())));
                        }
                    });
                }
                self.log_line(format!(
                    "run started: {} flow at {}",
                    cfg.flow.name(),
                    cfg.environment.login_url()
                ));
                // One task runs the check and forwards its events in order, then its result,
                // then the events of later requests on the same client (console, re-probes).
                self.job = Some(tokio::spawn(async move {
                    let fut = engine::run(
                        *cfg,
                        etx,
                        engine::RunOptions {
                            client: Some(client),
                            pasted: Some(prx),
                        },
                    );
                    tokio::pin!(fut);
                    let result = loop {
                        tokio::select! {
                            biased;
                            Some(event) = erx.recv() => { let _ = tx.send(Msg::Engine { run, event }); }
                            r = &mut fut => break (r.report, r.session),
                        }
                    };
                    while let Ok(event) = erx.try_recv() {
                        let _ = tx.send(Msg::Engine { run, event });
                    }
                    let _ = tx.send(Msg::RunDone {
                        run,
                        result: Ok(Box::new(result)),
                    });
                    while let Some(event) = erx.recv().await {
                        let _ = tx.send(Msg::Engine { run, event });
                    }
                }));
            }
            Effect::StartDemo(name) => {
                let Some(demo) = self.demo.clone() else {
                    self.say("No demo org here (sagediag demo).");
                    return;
                };
                if let Some(job) = self.job.take() {
                    job.abort();
                }
                tokio::spawn(async move {
                    let r = demo.lock().await.start(&name).await;
                    let _ = tx.send(Msg::DemoStarted(r));
                });
            }
            Effect::Osc52(text) => {
                if self.terminal_io {
                    let _ = crossterm::execute!(
                        io::stdout(),
                        crossterm::clipboard::CopyToClipboard::to_clipboard_from(text)
                    );
                }
            }
            Effect::Paste(url) => match &self.paste {
                Some(p) => {
                    let _ = p.send(url);
                }
                None => self.say("No login is waiting for a redirect URL (r starts one)."),
            },
            Effect::Log(line) => self.log_line(line),
            Effect::Fleet(job) => {
                tokio::spawn(async move {
                    let _ = tx.send(Msg::Fleet(super::screens::fleet::run_job(job).await));
                });
            }
            Effect::SaveProfile(p) => {
                tokio::task::spawn_blocking(move || {
                    let r = profile::save(&p)
                        .map(|()| profile::load())
                        .map_err(|e| super::error::ProfileError(e.to_string()));
                    let _ = tx.send(Msg::ProfilesSaved(r));
                });
            }
            Effect::WriteValue { name, text } => {
                tokio::task::spawn_blocking(move || {
                    let path = std::path::Path::new(&name);
                    let said = match engine::files::write_private(path, text.as_bytes()) {
                        Ok(()) => format!("Wrote {name} (owner-only) in the current directory."),
                        Err(e) => format!("Could not write {name}: {e}"),
                    };
                    let _ = tx.send(Msg::Say(said));
                });
            }
            Effect::Export(what) => export(what, tx, self.export_dir.clone()),
            Effect::Reprobe {
                index: i,
                via,
                assigned,
            } => {
                let (Some((session, client)), Some(def)) = (via, engine::ENDPOINTS.get(i).copied())
                else {
                    self.say("No session yet: run the check (r) first.");
                    return;
                };
                self.say(format!("Re-probing {}…", def.name));
                tokio::spawn(async move {
                    let answer = client
                        .send(engine::org::probe_request(
                            &def,
                            &session.instance_url,
                            &session.access_token,
                        ))
                        .await;
                    let (result, finding) = engine::org::judge_probe(&def, answer, assigned);
                    let _ = tx.send(Msg::Reprobed {
                        index: i,
                        result,
                        finding,
                    });
                });
            }
            Effect::SendRequest { line, via } => {
                let Some((session, client)) = via else {
                    self.say("No session yet: run the check (r) and log in first.");
                    return;
                };
                match console_request(&line, &session) {
                    Ok(req) => {
                        self.say(format!("Sending: {line}"));
                        tokio::spawn(async move {
                            let id = client.send(req).await.0;
                            let _ = tx.send(Msg::ConsoleDone(id));
                        });
                    }
                    Err(e) => self.say(e),
                }
            }
            Effect::ProbeKeyring { select, vault: v } => {
                if select {
                    self.say("Looking for the OS keyring…");
                }
                tokio::task::spawn_blocking(move || {
                    let result = v.keyring_status();
                    let _ = tx.send(Msg::Vault(VaultMsg::Keyring { result, select }));
                });
            }
            Effect::Recall {
                then_run,
                key,
                vault: v,
            } => {
                let Some(key) = key else {
                    return;
                };
                let (login, client_id, username) = key.clone();
                if then_run {
                    self.say("Looking for kept secrets…");
                }
                tokio::task::spawn_blocking(move || {
                    // The engine's one recall: both secrets, whichever the form lacks.
                    let found = v.recall(&vault::RecallFor {
                        login_url: login,
                        client_id,
                        username,
                        secret: true,
                        refresh: true,
                    });
                    let _ = tx.send(Msg::Vault(VaultMsg::Recalled {
                        key,
                        secret: found.secret,
                        refresh: found.refresh,
                        problems: found.problems,
                        then_run,
                    }));
                });
            }
            Effect::Keep { writes, vault: v } => {
                tokio::task::spawn_blocking(move || {
                    let results = writes
                        .into_iter()
                        .map(|w| {
                            v.store(w.keep, &w.account, &w.secret)
                                .map(|()| (w.kind, w.keep))
                        })
                        .collect();
                    let _ = tx.send(Msg::Vault(VaultMsg::Kept(results)));
                });
            }
            Effect::Fix { job, with } => self.fix(job, with),
            Effect::Suspend => {}
        }
    }
}

impl Ctx {
    /// A fix task: reads the plan, logs the admin in, or (after the user's `y`) makes or undoes
    /// the change and re-runs the affected probes with the session. Its requests join the log
    /// through the run's client; its progress lines go to the status line.
    fn fix(&mut self, job: FixJob, with: Option<Box<super::msg::FixWith>>) {
        let tx = self.tx.clone();
        let Some(with) = with else {
            self.say("Nothing to fix yet: run the check (r) first.");
            return;
        };
        let super::msg::FixWith {
            client,
            report,
            session,
        } = *with;
        // The demo's changes are to its simulated org, which ends with the console: journalled
        // beside it in a temporary directory, never among the journals of real orgs.
        let journal_dir = if self.demo.is_some() {
            Some(std::env::temp_dir().join(format!("sagediag-demo-{}", std::process::id())))
        } else {
            engine::journal::dir()
        };
        let (etx, mut erx) = unbounded_channel();
        // The changes' progress goes to the status line; the admin login's own remarks (its
        // flow's caveats) are not the user's business here: the overlay says how it went.
        let say = matches!(job, FixJob::Change { .. }).then(|| tx.clone());
        tokio::spawn(async move {
            while let Some(e) = erx.recv().await {
                if let (engine::Event::Progress(p), Some(say)) = (e, &say) {
                    let _ = say.send(Msg::Say(p));
                }
            }
        });
        tokio::spawn(async move {
            let msg = match job {
                FixJob::Plan { cfg } => {
                    let mut run = engine::fix::new_run(*cfg, client, etx);
                    let plan = engine::fix::plan(&mut run, &report, session.as_ref()).await;
                    let may_assign = match &session {
                        Some(s) => engine::fix::may_assign(&mut run, s).await,
                        None => None,
                    };
                    FixMsg::Planned { plan, may_assign }
                }
                FixJob::Admin { cfg } => {
                    let mut run = engine::fix::new_run(*cfg, client, etx);
                    match engine::fix::login_actor(&mut run).await {
                        Some(a) => FixMsg::Admin(Ok(a)),
                        None => FixMsg::Admin(Err(super::error::AdminLoginError(
                            run.findings
                                .iter()
                                .map(|f| {
                                    engine::hints::for_console(&format!("{}: {}", f.code, f.title))
                                })
                                .collect::<Vec<_>>()
                                .join("; "),
                        ))),
                    }
                }
                FixJob::Change {
                    cfg,
                    plan,
                    undo,
                    actor,
                } => {
                    let mut run = engine::fix::new_run(*cfg, client.clone(), etx);
                    let is_undo = undo.is_some();
                    let action = if is_undo {
                        engine::journal::Action::Undo
                    } else {
                        engine::journal::Action::Apply
                    };
                    // Every change is journalled before it is sent; no journal, no change.
                    let journal = match &journal_dir {
                        Some(d) => engine::journal::Journal::create_in(d, action, &actor),
                        None => Err(std::io::Error::other(
                            "no state directory (no home directory; set SAGEDIAG_STATE_DIR=DIR)",
                        )),
                    };
                    let mut report = report;
                    let changed = match journal {
                        Err(e) => {
                            run.raise(engine::findings::Finding::new(
                                engine::findings::Code::FIX_FAILED,
                                format!("The fix journal cannot be written ({e}): nothing was changed. Set SAGEDIAG_STATE_DIR to a writable directory."),
                                vec![],
                            ));
                            None
                        }
                        Ok(mut j) => {
                            let proof = match (&undo, journal_dir.as_deref()) {
                                (Some(_), Some(d)) => {
                                    engine::journal::apply_records(d, &actor.instance_url)
                                }
                                _ => Vec::new(),
                            };
                            let request = match &undo {
                                Some(r) => engine::change::Request::Undo {
                                    records: r,
                                    proof: &proof,
                                },
                                None => engine::change::Request::Apply(&plan),
                            };
                            // The change, the affected probes again as the session's user, and
                            // the report updated: one engine operation.
                            Some(
                                engine::change::apply_or_undo(
                                    &mut run,
                                    &mut report,
                                    request,
                                    &actor,
                                    session.as_ref(),
                                    &mut j,
                                )
                                .await,
                            )
                        }
                    };
                    let (records, probes) =
                        changed.map(|c| (c.records, c.probes)).unwrap_or_default();
                    FixMsg::Done {
                        undo: is_undo,
                        records,
                        probes,
                        report: Box::new(report),
                        findings: run.findings,
                    }
                }
            };
            let _ = tx.send(Msg::Fix(msg));
        });
    }
}

impl Default for Ctx {
    fn default() -> Self {
        Ctx::new()
    }
}

/// `W`: the report and the HAR export, written by a task.
fn export(
    what: Option<Box<super::msg::Export>>,
    tx: UnboundedSender<Msg>,
    dir: Option<std::path::PathBuf>,
) {
    let Some(what) = what else {
        let _ = tx.send(Msg::Say(
            "Nothing to export yet: run the check first (r).".into(),
        ));
        return;
    };
    let super::msg::Export {
        report,
        client,
        bodies,
    } = *what;
    tokio::task::spawn_blocking(move || {
        let now = engine::clock::now_ms();
        let stamp = engine::export::iso8601(now).replace([':', '.'], "-");
        let md = format!("sagediag-report-{stamp}.md");
        let har = format!("sagediag-{stamp}.har");
        let mut md_text = client.scrub(&engine::export::markdown(&report, now));
        md_text.push_str(&engine::export::har_note(&har, bodies));
        let md_text = engine::sanitize::text(&md_text).into_owned();
        let dir = dir.unwrap_or_default();
        let said = match (
            engine::files::write_private(&dir.join(&md), md_text.as_bytes()),
            // Entry by entry, as `check --har`: the document is never held whole.
            engine::files::write_private_with(&dir.join(&har), |w| {
                let clean = |text: &str| engine::sanitize::json(&client.scrub(text)).into_owned();
                client.with_exchanges(|log| engine::export::write_har(w, log, bodies, clean))
            }),
        ) {
            (Ok(()), Ok(())) => format!(
                "Wrote {md} and {har} (secrets redacted; HAR bodies: {}, har_bodies in the config file changes it).",
                bodies.name()
            ),
            (Err(e), _) | (_, Err(e)) => format!("Could not write the report: {e}"),
        };
        let _ = tx.send(Msg::Say(said));
    });
}

/// Bracketed paste always (a paste is text, never keys); mouse reporting with `--mouse`.
pub fn enter_extras(mouse: bool) {
    let _ = crossterm::execute!(io::stdout(), crossterm::event::EnableBracketedPaste);
    if mouse {
        let _ = crossterm::execute!(io::stdout(), crossterm::event::EnableMouseCapture);
    }
}

pub fn leave_extras(mouse: bool) {
    if mouse {
        let _ = crossterm::execute!(io::stdout(), crossterm::event::DisableMouseCapture);
    }
    let _ = crossterm::execute!(io::stdout(), crossterm::event::DisableBracketedPaste);
}

/// Ctrl-Z: the terminal as it was, the process stopped; on `fg`, the console again.
pub fn suspend(mouse: bool) {
    leave_extras(mouse);
    ratatui::restore();
    // SIGSTOP stops this process until SIGCONT (the shell's `fg`); SIGTSTP would not, since the
    // console catches it to come here first.
    #[cfg(unix)]
    let _ = rustix::process::kill_process(rustix::process::getpid(), rustix::process::Signal::STOP);
    resume(mouse);
}

/// Back from a stop: raw mode, the alternate screen and the console's terminal modes again.
pub fn resume(mouse: bool) {
    let _ = crossterm::terminal::enable_raw_mode();
    let _ = crossterm::execute!(io::stdout(), crossterm::terminal::EnterAlternateScreen);
    enter_extras(mouse);
}

/// A request-console line as a request under the instance URL, with the session's token:
/// `SELECT …` (a SOQL query), or `METHOD /path[?query] [json body]`.
pub fn console_request(
    line: &str,
    session: &Session,
) -> Result<Request, super::error::RequestLineError> {
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
            )
            .into());
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
