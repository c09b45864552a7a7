//! A run as the console follows it: starting one, the engine's events, the report, where the
//! console lands afterwards, the demo org and its self-playing journey.

use super::log::{LogPane, LogRow, MAX_LOG};
use super::msg::{Cmd, Effect};
use super::screens::login::LoginScreen;
use super::state::Screen;
use super::verdict;
use crate::engine::hints;
use crate::engine::{EndpointResult, Event, Finding, Flow, Report, Session, Status, StepId};

/// The demo's self-playing journey.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Autoplay {
    ShowEnvironment,
    ShowApp,
    StartLogin,
    WaitRun,
    Done,
}

/// Where the run is in its life.
#[derive(Default)]
pub enum Phase {
    /// No run yet, or the last one stopped before its report.
    #[default]
    Idle,
    /// In flight; what its login waits for.
    Running(LoginWait),
    /// Ended: its report (as fixes and re-probes change it), and the session when it logged in.
    Done {
        report: Box<Report>,
        session: Option<Session>,
    },
}

/// What a run's login waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginWait {
    /// Nobody: the login goes by itself (or is over).
    Nothing,
    /// A person logging in in a browser (the authorize URL).
    Browser,
    /// A person entering the device code.
    Device,
    /// A pasted redirect URL (the callback port cannot be used).
    Paste,
}

/// A run as the console follows it.
#[derive(Default)]
pub struct RunState {
    /// The number of the current run (events of older runs are dropped).
    pub id: u64,
    pub phase: Phase,
    pub steps: Vec<StepLine>,
    pub authorize_url: Option<String>,
    pub ssh_tunnel: Option<String>,
    pub device: Option<(String, String)>,
    pub endpoints: Vec<EndpointResult>,
    pub findings: Vec<Finding>,
    pub client: Option<crate::engine::http::Client>,
    /// The clients of the last runs, for their rows in the request log.
    pub clients: Vec<(u64, crate::engine::http::Client)>,
    /// A refresh token that replaced the one given (rotation): handed over once, on request
    /// (`c` on the Login step), masked on screen. Never drawn.
    pub rotated_token: Option<String>,
}

pub struct StepLine {
    pub id: StepId,
    pub status: Option<Status>,
    pub summary: String,
    pub duration_ms: u64,
}

impl RunState {
    /// A run is in flight.
    pub fn running(&self) -> bool {
        matches!(self.phase, Phase::Running(_))
    }

    /// A run is in flight and its login waits for a person (a browser, a code, a pasted URL).
    pub fn waiting_for_person(&self) -> bool {
        matches!(self.phase, Phase::Running(w) if w != LoginWait::Nothing)
    }

    /// The last run's report, as it now stands.
    pub fn report(&self) -> Option<&Report> {
        match &self.phase {
            Phase::Done { report, .. } => Some(report),
            _ => None,
        }
    }

    /// The last run's session, when it logged in.
    pub fn session(&self) -> Option<&Session> {
        match &self.phase {
            Phase::Done { session, .. } => session.as_ref(),
            _ => None,
        }
    }

    /// What the login waits for now (while the run is in flight).
    fn wait(&mut self, w: LoginWait) {
        if self.running() {
            self.phase = Phase::Running(w);
        }
    }

    /// No run: the last one stopped, or another org's cycle is shown.
    pub fn stopped(&mut self) {
        self.phase = Phase::Idle;
    }

    /// A run is starting: clear what the last one showed. Returns its marker for the request log
    /// (which keeps the earlier runs' requests).
    pub fn start(&mut self, flow: &str) -> LogRow {
        self.id += 1;
        self.phase = Phase::Running(LoginWait::Nothing);
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
        LogRow::marker(self.id, format!("── run {} · {flow} flow", self.id))
    }

    /// An engine event of this run: steps, the request log's rows, what the login waits for.
    pub fn on_event(&mut self, e: Event, log: &mut LogPane, login: &mut LoginScreen) -> Vec<Cmd> {
        let mut cmds = Vec::new();
        match e {
            Event::StepStarted { .. } => {}
            Event::StepFinished {
                step,
                status,
                duration_ms,
                summary,
            } => {
                cmds.push(Cmd::Effect(Effect::Log(format!(
                    "step {} {} ({duration_ms} ms): {summary}",
                    step.title(),
                    status.word()
                ))));
                if step == StepId::Login {
                    self.wait(LoginWait::Nothing);
                    cmds.push(Cmd::PasteClose);
                }
                if let Some(s) = self.steps.iter_mut().find(|s| s.id == step) {
                    s.status = Some(status);
                    s.summary = summary;
                    s.duration_ms = duration_ms;
                }
            }
            Event::RequestSent { id, method, url } => {
                cmds.push(Cmd::Effect(Effect::Log(format!(
                    "request #{id} {method} {url}"
                ))));
                log.rows.push(LogRow {
                    run: self.id,
                    id,
                    method,
                    url,
                    status: None,
                    duration_ms: 0,
                    bytes: 0,
                    done: false,
                    sent_at: Some(std::time::Instant::now()),
                });
                if log.rows.len() > MAX_LOG {
                    log.rows.remove(0);
                    log.selected = log.selected.saturating_sub(1);
                }
            }
            Event::ResponseReceived {
                id,
                status,
                duration_ms,
                bytes,
            } => {
                cmds.push(Cmd::Effect(Effect::Log(format!(
                    "request #{id} -> {} ({duration_ms} ms, {bytes} bytes)",
                    status.map_or_else(|| "no answer".to_string(), |s| s.to_string())
                ))));
                let run = self.id;
                if let Some(r) = log.rows.iter_mut().find(|r| r.id == id && r.run == run) {
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
            } => {
                // A person must act: the login step is in front.
                self.device = Some((user_code, verification_uri));
                self.wait(LoginWait::Device);
                cmds.push(Cmd::Go(Screen::Login));
            }
            Event::PasteNeeded { reason } => {
                // The callback cannot be used: the paste field opens at once, on step 3. A
                // tunnel to that port would not help: not advised.
                let reason = hints::for_console(&reason);
                self.ssh_tunnel = None;
                cmds.push(Cmd::Say(reason.clone()));
                login.paste_reason = Some(reason);
                self.wait(LoginWait::Paste);
                cmds.push(Cmd::PasteOpen);
                cmds.push(Cmd::Go(Screen::Login));
            }
            Event::PasteRefused { reason } => {
                // Not this login's redirect: said why, and the paste field stays open.
                cmds.push(Cmd::Say(format!("Not taken: {reason}")));
                cmds.push(Cmd::PasteOpen);
            }
            Event::Progress(p) => {
                let p = hints::for_console(&p);
                if p.starts_with("Waiting for the login") {
                    self.wait(LoginWait::Browser);
                    cmds.push(Cmd::Go(Screen::Login));
                }
                cmds.push(Cmd::Say(p));
            }
            Event::Finding(f) => {
                cmds.push(Cmd::Effect(Effect::Log(format!(
                    "finding {} {}",
                    f.code, f.title
                ))));
                self.findings.push(hints::finding_for_console(f));
            }
            Event::Endpoint(e) => self.endpoints.push(e),
        }
        cmds
    }

    /// Run `run` has its HTTP client; the last five runs' clients are kept for their rows in the
    /// request log.
    pub fn add_client(&mut self, run: u64, client: crate::engine::http::Client) {
        if run == self.id {
            self.client = Some(client.clone());
        }
        self.clients.push((run, client));
        if self.clients.len() > 5 {
            self.clients.remove(0);
        }
    }

    /// A stored watch cycle shown read-only in place of a run: its findings, and its requests
    /// in the log (under their own run number).
    pub fn show_stored(&mut self, c: super::screens::fleet::StoredCycle, log: &mut LogPane) {
        self.stopped();
        self.steps.clear();
        self.endpoints.clear();
        self.findings = c.findings;
        let viewed = super::screens::fleet::VIEWED_RUN;
        log.rows.retain(|r| r.run != viewed);
        log.rows.extend(c.rows);
    }

    /// The run ended with its report and session: the rotated refresh token is kept to hand
    /// over (never drawn); returns what to say and the refresh token to keep.
    pub fn ended(
        &mut self,
        report: &Report,
        session: Option<Session>,
    ) -> (Vec<Cmd>, Option<String>) {
        let refresh = session.as_ref().and_then(|s| s.refresh_token.clone());
        let mut cmds = vec![Cmd::Effect(Effect::Log(finished_line(report)))];
        self.rotated_token = None;
        if let Some(rot) = &report.rotation {
            self.rotated_token = refresh.clone();
            cmds.push(Cmd::Say(format!(
                "{} On step 3, c hands it over once (to the clipboard; masked here).",
                rot.loud_line()
            )));
        }
        self.phase = Phase::Done {
            report: Box::new(report.clone()),
            session,
        };
        (cmds, refresh)
    }

    /// The overlay `i` (the integration's record) or `C` (field coverage) opens, or why not.
    pub fn record_overlay(&self, coverage: bool) -> Result<super::overlay::Overlay, &'static str> {
        let r = self.report();
        if coverage {
            r.and_then(|r| r.coverage.as_ref())
                .map(|_| super::overlay::Overlay::Coverage { scroll: 0 })
                .ok_or("No field coverage yet: it runs after the probes when the Employees endpoint answers.")
        } else {
            r.and_then(|r| r.integration.as_ref())
                .map(|_| super::overlay::Overlay::Integration { scroll: 0 })
                .ok_or("No integration record yet: it is read after the login (r runs the check).")
        }
    }

    /// What a fix task works with (None: no run to fix yet).
    pub fn fix_with(&self) -> Option<Box<super::msg::FixWith>> {
        Some(Box::new(super::msg::FixWith {
            client: self.client.clone()?,
            report: self.report()?.clone(),
            session: super::fix::session_actor(self),
        }))
    }

    /// `R` on step 4: re-probe row `index` with the run's session.
    pub fn reprobe(&self, index: usize) -> Effect {
        Effect::Reprobe {
            index,
            via: self.session().cloned().zip(self.client.clone()),
            assigned: self.endpoints.get(index).and_then(|e| e.assigned),
        }
    }

    /// What `W` writes (None: nothing to export yet).
    pub fn export(
        &self,
        bodies: crate::engine::export::HarBodies,
    ) -> Option<Box<super::msg::Export>> {
        Some(Box::new(super::msg::Export {
            report: self.report()?.clone(),
            client: self.client.clone()?,
            bodies,
        }))
    }

    /// The oldest of this run's requests still in flight after 3 s: what the run waits on.
    pub fn waiting_on(&self, log: &LogPane, now: std::time::Instant) -> Option<String> {
        log.rows
            .iter()
            .filter(|r| !r.done && r.run == self.id)
            .filter_map(|r| Some((r, now.checked_duration_since(r.sent_at?)?.as_secs())))
            .filter(|(_, secs)| *secs >= 3)
            .max_by_key(|(_, secs)| *secs)
            .map(|(r, secs)| format!("waiting {secs} s for {} {}", r.method, r.path()))
    }

    /// Where a finished run lands: the first failing step, or Findings when only a warning
    /// (or an error no step shows) is left, or the permissions when all passed.
    pub fn landing(&self) -> Screen {
        let failed = |ids: &[StepId]| {
            self.steps.iter().any(|s| {
                ids.contains(&s.id)
                    && verdict::step(s.id, s.status, &self.endpoints) == Some(Status::Fail)
            })
        };
        if failed(&[StepId::Environment]) {
            Screen::Environment
        } else if failed(&[StepId::Credentials]) {
            Screen::ConnectedApp
        } else if failed(&[StepId::Login, StepId::Token]) {
            Screen::Login
        } else if failed(&[StepId::Org, StepId::Probes]) {
            Screen::Permissions
        } else if verdict::overall(&self.findings) != Status::Pass {
            Screen::Findings
        } else {
            Screen::Permissions
        }
    }

    /// The report as it now stands (a run ended, a fix or a re-probe changed it): every screen
    /// reads it, through the findings, rows and step statuses copied here, in this one place.
    pub fn show_report(&mut self, r: Report) {
        match &mut self.phase {
            Phase::Done { report, .. } => **report = r,
            _ => {
                self.phase = Phase::Done {
                    report: Box::new(r),
                    session: None,
                }
            }
        }
        self.copy_report();
    }

    /// The rows, findings and step statuses the screens show, from the report.
    fn copy_report(&mut self) {
        let Phase::Done { report: r, .. } = &self.phase else {
            return;
        };
        self.endpoints = r.endpoints.clone();
        // In the console's words: its keys and fields, never a command-line option.
        self.findings = r
            .findings
            .iter()
            .cloned()
            .map(hints::finding_for_console)
            .collect();
        for line in self.steps.iter_mut() {
            if let Some(step) = r.steps.iter().find(|s| s.id == line.id) {
                line.status = Some(step.status);
                line.summary = step.summary.clone();
            }
        }
    }

    /// One probe ran again: the engine updates the report (its row, its finding, the steps'
    /// statuses and the outcome). Returns what to say.
    pub fn reprobed(
        &mut self,
        i: usize,
        result: EndpointResult,
        finding: Option<Finding>,
    ) -> String {
        let said = format!(
            "Re-probed {}: {}{}",
            result.name,
            result.status.word(),
            result
                .finding
                .map(|c| format!(" ({c})"))
                .unwrap_or_default()
        );
        if let Phase::Done { report, .. } = &mut self.phase {
            report.reprobed(i, result, finding);
            self.copy_report();
        } else if let Some(e) = self.endpoints.get_mut(i) {
            *e = result;
        }
        said
    }
}

/// What `r` leads to.
pub enum Start {
    /// Look for a kept secret first (then run).
    Recall,
    /// Ask before refreshing a token sagediag did not obtain.
    AskRotation,
    /// Run with this configuration.
    Run(Box<crate::engine::Config>),
}

/// A run's configuration from the form, the Fix overlay's admin session, what was recalled
/// and what the user consented to (each consent holds for one run only).
pub fn prepare(
    form: &super::form::Form,
    admin: Option<Session>,
    recalled_for: Option<super::form::VaultKey>,
    vault: &crate::engine::vault::Vault,
    consent: &mut super::state::Consent,
) -> Result<Start, String> {
    let mut cfg = form.config().map_err(|e| e.to_string())?;
    // The admin logged in from the Fix overlay reads the integration's whole record and
    // counts the user's grants before the login.
    cfg.admin_session = admin;
    let missing =
        cfg.client_secret.is_none() || (cfg.flow == Flow::Refresh && cfg.refresh_token.is_none());
    let key = form.vault_key();
    if missing
        && !matches!(cfg.flow, Flow::Token | Flow::Jwt)
        && key.is_some()
        && recalled_for != key
    {
        return Ok(Start::Recall);
    }
    // A refresh token sagediag did not obtain is refreshed only with consent, asked for each
    // run (under rotation the refresh retires it).
    if cfg.flow == Flow::Refresh
        && cfg.refresh_token.is_some()
        && !std::mem::take(&mut consent.rotation)
    {
        return Ok(Start::AskRotation);
    }
    cfg.allow_rotation = cfg.flow == Flow::Refresh;
    cfg.allow_grant_eviction = std::mem::take(&mut consent.eviction);
    // A refresh token the user keeps is not given back at the end.
    cfg.ledger
        .set_keep(form.keep != crate::engine::vault::Keep::Memory);
    // Kept the moment it arrives, not at the end (an interrupt must not lose it). (A recalled
    // refresh token's rotation goes back where it came from.)
    cfg.keeper = crate::engine::ledger::keeper(&cfg, vault, form.keep, form.refresh_from);
    Ok(Start::Run(Box::new(cfg)))
}

/// The log file's line for a finished run.
pub fn finished_line(report: &Report) -> String {
    format!(
        "run finished: {} ({} findings: {})",
        report.outcome.word(),
        report.findings.len(),
        report
            .findings
            .iter()
            .map(|f| f.code.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    )
}
