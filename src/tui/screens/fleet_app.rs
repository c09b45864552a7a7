//! The Fleet screen's routes in the console: its keys, the store's answers, and an org's last
//! cycle shown read-only in the walk-through's steps (its findings with their fixes, and the
//! request log its report lists). Also where the watch store is opened.

use std::fmt::Write as _;

use crate::engine::findings::{Code, Finding, Severity};
use crate::engine::sanitize;
use crate::engine::watch::OrgCycle;
use crate::tui::app::{App, Mode, Screen};
use crate::tui::keymap::Action;
use crate::tui::log::LogRow;
use crate::tui::msg::Effect;

use super::fleet::{FleetMsg, FleetOutcome, ago};

/// The run number of the rows a viewed cycle puts in the request log (no client behind them).
const VIEWED_RUN: u64 = u64::MAX;

impl App {
    /// A key while the Fleet screen is in front; `None`: the key is the console's (quit, help…).
    pub fn fleet_key(&mut self, action: Action) -> Option<Vec<Effect>> {
        match self.screens.fleet.on_action(action) {
            FleetOutcome::Stay => Some(Vec::new()),
            FleetOutcome::Effects(e, said) => {
                if let Some(s) = said {
                    self.say(s);
                }
                Some(e)
            }
            FleetOutcome::Filter => {
                self.form.before = crate::tui::form::first_line(&self.screens.fleet.filter);
                self.mode = Mode::FleetFilter;
                Some(Vec::new())
            }
            FleetOutcome::Leave => {
                self.go(Screen::Environment);
                Some(Vec::new())
            }
            FleetOutcome::Pass => None,
        }
    }

    /// The console starts on the Fleet screen over the store at `url` (`None`: the default);
    /// `by_itself`: with no orgs in it, it goes to the walk-through.
    pub fn start_on_fleet(&mut self, url: Option<String>, by_itself: bool) -> Vec<Effect> {
        self.go(Screen::Fleet);
        self.screens.fleet.opened_by_itself = by_itself;
        self.screens.fleet.opening = true;
        vec![Effect::Fleet(super::fleet::FleetJob::Open {
            url,
            settings: self.screens.fleet.settings.clone(),
        })]
    }

    /// `F`: the Fleet screen, or back to the walk-through from it.
    pub fn toggle_fleet(&mut self) -> Vec<Effect> {
        if self.screen == Screen::Fleet {
            self.go(Screen::Environment);
            return Vec::new();
        }
        self.go(Screen::Fleet);
        if self.screens.fleet.source.is_none() && self.screens.fleet.error.is_none() {
            self.screens.fleet.opening = true;
            return vec![Effect::Fleet(super::fleet::FleetJob::Open {
                url: None,
                settings: self.screens.fleet.settings.clone(),
            })];
        }
        self.screens.fleet.shown()
    }

    /// A store task answered.
    pub fn on_fleet(&mut self, msg: FleetMsg) -> Vec<Effect> {
        let shown = self.screen == Screen::Fleet;
        match msg {
            FleetMsg::Opened(r) => self.screens.fleet.opened(r, shown),
            FleetMsg::Status { generation, result } => {
                let out = self.screens.fleet.on_status(generation, result, shown);
                // Opened on Fleet by itself, over a store with no orgs: the walk-through.
                if self.screens.fleet.opened_by_itself && self.screens.fleet.rows.is_some() {
                    self.screens.fleet.opened_by_itself = false;
                    if shown
                        && self
                            .screens
                            .fleet
                            .rows
                            .as_ref()
                            .is_some_and(|r| r.is_empty())
                    {
                        self.go(Screen::Environment);
                    }
                }
                out
            }
            FleetMsg::Cycle { org, result, fresh } => {
                match result {
                    Ok(Some(c)) => self.view_cycle(*c, fresh),
                    Ok(None) => self.say(format!(
                        "{org}'s last cycle is no longer in the store (pruned)."
                    )),
                    Err(e) if fresh => self.say(format!("{org}: no fresh check: {e}")),
                    Err(e) => self.say(format!("Could not read {org}'s last cycle: {e}")),
                }
                Vec::new()
            }
            FleetMsg::Timeline { org, result } => {
                self.screens.fleet.on_timeline(&org, result);
                Vec::new()
            }
            FleetMsg::Done(s) => {
                self.say(s);
                self.screens.fleet.done()
            }
        }
    }

    /// Shows `cycle` in the steps, read-only: Findings in front, the request log filled from
    /// its report. A run (`r`) replaces it.
    pub fn view_cycle(&mut self, cycle: OrgCycle, fresh: bool) {
        let (findings, rows, unknown) = view_findings(&cycle);
        let org = sanitize::line(&cycle.org).into_owned();
        let when = ago(crate::engine::clock::now_secs() as i64 - cycle.started_at);
        self.run.report = None;
        self.run.steps.clear();
        self.run.endpoints.clear();
        self.run.findings = findings;
        self.screens.findings.selected = 0;
        self.log.rows.retain(|r| r.run != VIEWED_RUN);
        let n = rows.len();
        if n > 0 {
            self.log.rows.push(LogRow::marker(
                VIEWED_RUN,
                format!("{org}: watch cycle, {when} (summaries)"),
            ));
            self.log.rows.extend(rows);
        }
        self.screens.fleet.viewing = Some((org.clone(), cycle.started_at));
        self.go(Screen::Findings);
        let what = if fresh {
            "fresh check, not recorded"
        } else {
            "last cycle"
        };
        let mut said = format!(
            "{org}'s {what} ({when}, {}): {} finding{}",
            cycle.state.word(),
            self.run.findings.len(),
            if self.run.findings.len() == 1 {
                ""
            } else {
                "s"
            }
        );
        if unknown > 0 {
            let _ = write!(said, " ({unknown} with codes this build does not know)");
        }
        if n > 0 {
            let _ = write!(said, "; {n} requests in the log (Tab)");
        }
        said.push_str(". Read-only; F: Fleet.");
        self.say(said);
    }

    /// Keys the walk-through must not act on while it shows a stored cycle; `None`: go on.
    pub fn fleet_readonly(&mut self, a: Action) -> Option<Vec<Effect>> {
        let (org, _) = self.screens.fleet.viewing.clone()?;
        match a {
            Action::Fix | Action::Reprobe => {
                self.say(format!(
                    "Read-only: this is {org}'s cycle from the watch store. Its fix steps are listed; r on Fleet checks it again."
                ));
                Some(Vec::new())
            }
            Action::Run => {
                self.screens.fleet.viewing = None;
                None
            }
            Action::Select | Action::Copy if self.log.focus => {
                let row = self
                    .log
                    .filtered_log()
                    .get(self.log.selected)
                    .map(|r| (r.run, r.id));
                match row {
                    Some((VIEWED_RUN, id)) if id != 0 => {
                        self.say(format!(
                            "Request #{id} is from a stored watch cycle: the store keeps its summary, not its headers or body (sagediag watch report {org} exports the cycle's report)."
                        ));
                        Some(Vec::new())
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    }
}

fn severity(s: &str) -> Severity {
    match s {
        "error" => Severity::Error,
        "warning" => Severity::Warning,
        _ => Severity::Info,
    }
}

fn strings(v: Option<&serde_json::Value>) -> Vec<String> {
    v.and_then(|v| v.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str())
                .map(|s| sanitize::line(s).into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// A stored cycle as the walk-through shows it: its findings (from its report when it has one,
/// for the detail and the evidence; else the cycle's own), its report's request rows, and how
/// many findings carry a code this build does not know (left out).
pub fn view_findings(cycle: &OrgCycle) -> (Vec<Finding>, Vec<LogRow>, usize) {
    let mut out = Vec::new();
    let mut unknown = 0;
    let text = |v: Option<&serde_json::Value>| {
        sanitize::text(v.and_then(|v| v.as_str()).unwrap_or_default()).into_owned()
    };
    let reported = cycle.report.get("findings").and_then(|f| f.as_array());
    match reported {
        Some(list) => {
            for f in list {
                let Some(code) = f.get("code").and_then(|c| c.as_str()).and_then(Code::parse)
                else {
                    unknown += 1;
                    continue;
                };
                out.push(Finding {
                    code,
                    severity: severity(f.get("severity").and_then(|s| s.as_str()).unwrap_or("")),
                    title: text(f.get("title")),
                    detail: text(f.get("detail")),
                    fix: strings(f.get("fix")),
                    request_ids: f
                        .get("request_ids")
                        .and_then(|r| r.as_array())
                        .map(|a| a.iter().filter_map(|i| i.as_u64()).collect())
                        .unwrap_or_default(),
                    subject: None,
                    source: None,
                    record: None,
                });
            }
        }
        None => {
            for w in &cycle.findings {
                let Some(code) = Code::parse(&w.code) else {
                    unknown += 1;
                    continue;
                };
                let detail = cycle
                    .checks
                    .iter()
                    .filter(|c| c.codes.contains(&w.code) && !c.detail.is_empty())
                    .map(|c| format!("{}: {}", c.check, c.detail))
                    .collect::<Vec<_>>()
                    .join("\n");
                out.push(Finding {
                    code,
                    severity: severity(&w.severity),
                    title: sanitize::line(&w.title).into_owned(),
                    detail: sanitize::text(&detail).into_owned(),
                    fix: w
                        .fix
                        .iter()
                        .map(|s| sanitize::line(s).into_owned())
                        .collect(),
                    request_ids: Vec::new(),
                    subject: None,
                    source: None,
                    record: None,
                });
            }
        }
    }
    out.sort_by_key(|f| f.severity);
    let rows = cycle
        .report
        .get("requests")
        .and_then(|r| r.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|r| {
                    Some(LogRow {
                        run: VIEWED_RUN,
                        id: r.get("id")?.as_u64()?.max(1),
                        method: sanitize::line(r.get("method")?.as_str()?).into_owned(),
                        url: sanitize::line(r.get("url")?.as_str()?).into_owned(),
                        status: r
                            .get("status")
                            .and_then(|s| s.as_u64())
                            .and_then(|s| u16::try_from(s).ok()),
                        duration_ms: r.get("duration_ms").and_then(|d| d.as_u64()).unwrap_or(0),
                        bytes: 0,
                        done: true,
                        sent_at: None,
                    })
                })
                .take(crate::tui::log::MAX_LOG / 2)
                .collect()
        })
        .unwrap_or_default();
    (out, rows, unknown)
}
