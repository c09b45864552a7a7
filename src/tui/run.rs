//! A run as the console follows it: starting one, the engine's events, the report, where the
//! console lands afterwards, the demo org and its self-playing journey.

use super::app::{App, Mode, Screen};
use super::demo::DemoInfo;
use super::form::{EnvChoice, first_line, set_text, text};
use super::log::{LogRow, MAX_LOG};
use super::msg::Effect;
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

/// A run as the console follows it.
#[derive(Default)]
pub struct RunState {
    /// The number of the current run (events of older runs are dropped).
    pub id: u64,
    pub running: bool,
    pub steps: Vec<StepLine>,
    pub authorize_url: Option<String>,
    pub ssh_tunnel: Option<String>,
    pub device: Option<(String, String)>,
    /// The login waits for a person (a browser login, a pasted URL).
    pub waiting_for_person: bool,
    pub endpoints: Vec<EndpointResult>,
    pub findings: Vec<Finding>,
    pub report: Option<Report>,
    pub session: Option<Session>,
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

impl App {
    /// The demo org is running: environment and credentials filled in.
    pub fn set_demo(
        &mut self,
        scenario: &str,
        login_url: &str,
        client_id: &str,
        client_secret: &str,
        username: &str,
    ) {
        self.demo.scenario = Some(scenario.to_string());
        self.form.env = EnvChoice::Demo;
        self.screens.environment.selected = 3;
        self.form.demo_url = Some(login_url.to_string());
        self.form.client_id = text(client_id);
        set_text(&mut self.form.client_secret, client_secret);
        self.form.client_secret.set_mask_char('•');
        self.form.username = text(username);
    }

    /// The demo org (re)started: its scenario's preset goes on the form (flow, PKCE, the
    /// flow's credential) so a run reproduces it; its description stays on screen.
    pub fn on_demo_started(&mut self, r: Result<DemoInfo, super::error::DemoError>) -> Vec<Effect> {
        let info = match r {
            Ok(i) => i,
            Err(e) => {
                self.say(e);
                return Vec::new();
            }
        };
        let restart = self.demo.scenario.is_some();
        self.set_demo(
            &info.scenario,
            &info.login_url,
            &info.client_id,
            &info.client_secret,
            &info.username,
        );
        if let Some(host) = &info.preset.host {
            self.form.demo_url = Some(host.clone());
        }
        self.form.flow = info.preset.flow;
        self.form.pkce = info.preset.pkce;
        self.form.app_kind = info.preset.app_kind.unwrap_or_default();
        self.form.credential = text(info.preset.credential.as_deref().unwrap_or(""));
        self.form.field = 0;
        self.demo.description = Some(info.description.clone());
        self.demo.admin = Some(info.admin_username.clone()).filter(|u| !u.is_empty());
        // Another org: changes made on the last one are not this one's to undo.
        self.fix.records.clear();
        self.fix.admin = None;
        self.say(format!(
            "Demo org: scenario {} — {} ({} flow, PKCE {}{})",
            info.scenario,
            info.description,
            info.preset.flow.name(),
            if info.preset.pkce { "on" } else { "off" },
            info.preset
                .app_kind
                .map(|k| format!(", app kind {}", k.label()))
                .unwrap_or_default()
        ));
        let mut effects = vec![Effect::Log(format!(
            "demo org started: scenario {} at {}",
            info.scenario, info.login_url
        ))];
        if restart {
            effects.extend(self.start_run());
        }
        effects
    }

    /// The spinner's tick: the oldest request still in flight after 3 s is what the run waits on.
    pub fn tick(&mut self, now: std::time::Instant) {
        self.status.spinner = self.status.spinner.wrapping_add(1);
        self.status.waiting = self
            .log
            .rows
            .iter()
            .filter(|r| !r.done && r.run == self.run.id)
            .filter_map(|r| Some((r, now.checked_duration_since(r.sent_at?)?.as_secs())))
            .filter(|(_, secs)| *secs >= 3)
            .max_by_key(|(_, secs)| *secs)
            .map(|(r, secs)| format!("waiting {secs} s for {} {}", r.method, r.path()));
    }

    /// A run is starting: clear what the last one showed (the request log keeps the earlier
    /// runs' requests, under a marker); the login step is where a person may have to act.
    pub fn run_started(&mut self) {
        self.run.running = true;
        self.run.steps = [
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
        self.run.authorize_url = None;
        self.run.ssh_tunnel = None;
        self.run.device = None;
        self.run.waiting_for_person = false;
        self.screens.login.paste_reason = None;
        self.run.endpoints.clear();
        self.run.findings.clear();
        self.run.report = None;
        self.run.session = None;
        self.screens.login.scroll = 0;
        if self.mode == Mode::Paste {
            self.mode = Mode::Normal;
        }
        self.log.rows.push(LogRow::marker(
            self.run.id,
            format!("── run {} · {} flow", self.run.id, self.form.flow.name()),
        ));
        if self.log.rows.len() > MAX_LOG {
            let extra = self.log.rows.len() - MAX_LOG;
            self.log.rows.drain(..extra);
        }
        // The log's selection waits on this run's first request (just below its marker).
        self.log.selected = self.filtered_log().len();
        self.say("Running…");
        self.go(Screen::Login);
    }

    pub fn on_engine(&mut self, e: Event) -> Vec<Effect> {
        let mut effects = Vec::new();
        match e {
            Event::StepStarted { .. } => {}
            Event::StepFinished {
                step,
                status,
                duration_ms,
                summary,
            } => {
                effects.push(Effect::Log(format!(
                    "step {} {} ({duration_ms} ms): {summary}",
                    step.title(),
                    status.word()
                )));
                if step == StepId::Login {
                    self.run.waiting_for_person = false;
                    if self.mode == Mode::Paste {
                        self.mode = Mode::Normal;
                    }
                }
                if let Some(s) = self.run.steps.iter_mut().find(|s| s.id == step) {
                    s.status = Some(status);
                    s.summary = summary;
                    s.duration_ms = duration_ms;
                }
            }
            Event::RequestSent { id, method, url } => {
                effects.push(Effect::Log(format!("request #{id} {method} {url}")));
                self.log.rows.push(LogRow {
                    run: self.run.id,
                    id,
                    method,
                    url,
                    status: None,
                    duration_ms: 0,
                    bytes: 0,
                    done: false,
                    sent_at: Some(std::time::Instant::now()),
                });
                if self.log.rows.len() > MAX_LOG {
                    self.log.rows.remove(0);
                    self.log.selected = self.log.selected.saturating_sub(1);
                }
            }
            Event::ResponseReceived {
                id,
                status,
                duration_ms,
                bytes,
            } => {
                effects.push(Effect::Log(format!(
                    "request #{id} -> {} ({duration_ms} ms, {bytes} bytes)",
                    status.map_or_else(|| "no answer".to_string(), |s| s.to_string())
                )));
                let run = self.run.id;
                if let Some(r) = self
                    .log
                    .rows
                    .iter_mut()
                    .find(|r| r.id == id && r.run == run)
                {
                    r.status = status;
                    r.duration_ms = duration_ms;
                    r.bytes = bytes;
                    r.done = true;
                }
            }
            Event::AuthorizeUrl { url, ssh_tunnel } => {
                self.run.authorize_url = Some(url);
                self.run.ssh_tunnel = ssh_tunnel;
            }
            Event::DeviceCode {
                user_code,
                verification_uri,
            } => {
                // A person must act: the login step is in front.
                self.run.device = Some((user_code, verification_uri));
                self.run.waiting_for_person = true;
                self.go(Screen::Login);
            }
            Event::PasteNeeded { reason } => {
                // The callback cannot be used: the paste field opens at once, on step 3. A
                // tunnel to that port would not help: not advised.
                let reason = hints::for_console(&reason);
                self.run.ssh_tunnel = None;
                self.say(reason.clone());
                self.screens.login.paste_reason = Some(reason);
                self.run.waiting_for_person = true;
                self.open_paste();
                self.go(Screen::Login);
            }
            Event::PasteRefused { reason } => {
                // Not this login's redirect: said why, and the paste field stays open.
                self.say(format!("Not taken: {reason}"));
                self.open_paste();
            }
            Event::Progress(p) => {
                let p = hints::for_console(&p);
                if p.starts_with("Waiting for the login") {
                    self.run.waiting_for_person = true;
                    self.go(Screen::Login);
                }
                self.say(p);
            }
            Event::Finding(f) => {
                effects.push(Effect::Log(format!("finding {} {}", f.code, f.title)));
                self.run.findings.push(hints::finding_for_console(f));
            }
            Event::Endpoint(e) => self.run.endpoints.push(e),
        }
        effects
    }

    fn open_paste(&mut self) {
        if !matches!(self.mode, Mode::Edit(_) | Mode::Console) {
            self.mode = Mode::Paste;
        }
    }

    pub fn on_run_done(
        &mut self,
        result: Result<Box<(Report, Option<Session>)>, super::error::RunError>,
    ) -> Vec<Effect> {
        match result {
            Ok(done) => {
                let (report, session) = *done;
                let refresh = session.as_ref().and_then(|s| s.refresh_token.clone());
                self.run.rotated_token = None;
                if let Some(rot) = &report.rotation {
                    self.run.rotated_token = refresh.clone();
                    self.say(format!(
                        "{} On step 3, c hands it over once (to the clipboard; masked here).",
                        rot.loud_line()
                    ));
                }
                let logged_in = session.is_some();
                self.run.session = session;
                let mut effects = vec![Effect::Log(format!(
                    "run finished: {} ({} findings: {})",
                    report.outcome.word(),
                    report.findings.len(),
                    report
                        .findings
                        .iter()
                        .map(|f| f.code.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))];
                self.on_report(report);
                // At five grants nothing was sent: ask, naming the grant that would go.
                if let Some(f) = self
                    .run
                    .findings
                    .iter()
                    .find(|f| f.code == crate::engine::Code::GRANT_CAP_CONSENT_NEEDED)
                {
                    self.overlay = super::overlay::Overlay::ConfirmEviction(f.detail.clone());
                }
                if logged_in {
                    effects.extend(self.keep.on_session(&mut self.form, refresh));
                }
                effects
            }
            Err(e) => {
                self.run.running = false;
                self.run.waiting_for_person = false;
                self.say(format!("The check stopped unexpectedly: {e}"));
                Vec::new()
            }
        }
    }

    pub fn on_report(&mut self, r: Report) {
        self.run.running = false;
        self.status.waiting = None;
        self.run.waiting_for_person = false;
        if self.mode == Mode::Paste {
            self.mode = Mode::Normal;
        }
        self.show_report(r);
        self.say(verdict::done_line(&self.run.findings));
        let landing = self.landing();
        self.go(landing);
        if self.demo.autoplay == Some(Autoplay::WaitRun) {
            self.demo.autoplay = Some(Autoplay::Done);
        }
    }

    /// Where a finished run lands: the first failing step, or Findings when only a warning
    /// (or an error no step shows) is left, or the permissions when all passed.
    pub fn landing(&self) -> Screen {
        let failed = |ids: &[StepId]| {
            self.run.steps.iter().any(|s| {
                ids.contains(&s.id)
                    && verdict::step(s.id, s.status, &self.run.endpoints) == Some(Status::Fail)
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
        } else if verdict::overall(&self.run.findings) != Status::Pass {
            Screen::Findings
        } else {
            Screen::Permissions
        }
    }

    /// One step of the demo's journey; returns what the loop must do.
    pub fn autoplay_step(&mut self) -> Option<Effect> {
        match self.demo.autoplay? {
            Autoplay::ShowEnvironment => {
                self.screen = Screen::Environment;
                self.demo.autoplay = Some(Autoplay::ShowApp);
                None
            }
            Autoplay::ShowApp => {
                self.screen = Screen::ConnectedApp;
                self.demo.autoplay = Some(Autoplay::StartLogin);
                None
            }
            Autoplay::StartLogin => {
                self.demo.autoplay = Some(Autoplay::WaitRun);
                self.start_run()
            }
            Autoplay::WaitRun | Autoplay::Done => None,
        }
    }

    /// `r`: a run of the form as it is (or first a look for kept secrets).
    pub fn start_run(&mut self) -> Option<Effect> {
        match self.form.config() {
            Ok(mut cfg) => {
                // The admin logged in from the Fix overlay reads the integration's whole record.
                cfg.admin_session = self.fix.admin.as_ref().map(|a| crate::engine::Session {
                    instance_url: a.instance_url.clone(),
                    access_token: a.access_token.clone(),
                    refresh_token: None,
                });
                let missing = cfg.client_secret.is_none()
                    || (cfg.flow == Flow::Refresh && cfg.refresh_token.is_none());
                let key = self.form.vault_key();
                if missing
                    && !matches!(cfg.flow, Flow::Token | Flow::Jwt)
                    && key.is_some()
                    && self.keep.recalled_for != key
                {
                    return Some(Effect::Recall { then_run: true });
                }
                // A refresh token sagediag did not obtain is refreshed only with consent, asked
                // for each run (under rotation the refresh retires it).
                if cfg.flow == Flow::Refresh
                    && cfg.refresh_token.is_some()
                    && !std::mem::take(&mut self.consent.rotation)
                {
                    self.overlay = super::overlay::Overlay::ConfirmRotation;
                    return None;
                }
                let mut cfg = cfg;
                cfg.allow_rotation = cfg.flow == Flow::Refresh;
                cfg.allow_grant_eviction = std::mem::take(&mut self.consent.eviction);
                // The Fix overlay's admin login counts the user's grants before the login.
                if cfg.admin_session.is_none()
                    && let Some(a) = &self.fix.admin
                {
                    cfg.admin_session = Some(Session {
                        instance_url: a.instance_url.clone(),
                        access_token: a.access_token.clone(),
                        refresh_token: None,
                    });
                }
                // A refresh token the user keeps is not given back at the end.
                cfg.ledger
                    .set_keep(self.form.keep != crate::engine::vault::Keep::Memory);
                // Kept the moment it arrives, not at the end (an interrupt must not lose it).
                // (A recalled refresh token's rotation goes back where it came from.)
                cfg.keeper = crate::engine::ledger::keeper(
                    &cfg,
                    &self.keep.vault,
                    self.form.keep,
                    self.form.refresh_from,
                );
                self.run.id += 1;
                self.run_started();
                Some(Effect::StartRun {
                    run: self.run.id,
                    cfg: Box::new(cfg),
                })
            }
            Err(e) => {
                self.say(e);
                None
            }
        }
    }

    /// The report as it now stands (a run ended, a fix or a re-probe changed it): every screen
    /// reads it, through the findings, rows and step statuses copied here, in this one place.
    pub fn show_report(&mut self, r: Report) {
        self.run.endpoints = r.endpoints.clone();
        // In the console's words: its keys and fields, never a command-line option.
        self.run.findings = r
            .findings
            .iter()
            .cloned()
            .map(hints::finding_for_console)
            .collect();
        for line in self.run.steps.iter_mut() {
            if let Some(step) = r.steps.iter().find(|s| s.id == line.id) {
                line.status = Some(step.status);
                line.summary = step.summary.clone();
            }
        }
        self.run.report = Some(r);
        self.screens.findings.selected = self
            .screens
            .findings
            .selected
            .min(self.run.findings.len().saturating_sub(1));
        self.screens.permissions.selected = self
            .screens
            .permissions
            .selected
            .min(self.run.endpoints.len().saturating_sub(1));
    }

    /// One probe ran again: the engine updates the report (its row, its finding, the steps'
    /// statuses and the outcome), and the console shows the report.
    pub fn on_reprobe(&mut self, i: usize, result: EndpointResult, finding: Option<Finding>) {
        self.say(format!(
            "Re-probed {}: {}{}",
            result.name,
            result.status.word(),
            result
                .finding
                .map(|c| format!(" ({c})"))
                .unwrap_or_default()
        ));
        match self.run.report.take() {
            Some(mut r) => {
                r.reprobed(i, result, finding);
                self.show_report(r);
            }
            None => {
                if let Some(e) = self.run.endpoints.get_mut(i) {
                    *e = result;
                }
            }
        }
    }

    /// The secret as shown: masked unless revealed.
    pub fn secret_display(&self) -> String {
        let s = first_line(&self.form.client_secret);
        if self.form.reveal_secret || s.is_empty() {
            s
        } else {
            crate::engine::http::REDACTED.to_string()
        }
    }
}
