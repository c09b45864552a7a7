//! The Fleet screen's part in the console: its keys and the store's answers, as [`Cmd`]s for
//! the rest of the console, and an org's cycle shown read-only in the walk-through's steps (its
//! findings with their fixes, and the request log its report lists).

use std::fmt::Write as _;

use crate::engine::findings::{Code, Finding, Severity};
use crate::engine::sanitize;
use crate::engine::watch::OrgCycle;
use crate::tui::keymap::Action;
use crate::tui::log::LogRow;
use crate::tui::msg::{Cmd, Effect};
use crate::tui::state::{Mode, Screen};

use super::fleet::{FleetJob, FleetMsg, FleetOutcome, FleetScreen, ago};

/// The run number of the rows a viewed cycle puts in the request log (no client behind them).
pub const VIEWED_RUN: u64 = u64::MAX;

/// A stored cycle as the steps show it: its findings, and the request log's rows (the marker
/// first; all of run [`VIEWED_RUN`], replacing any shown before).
pub struct StoredCycle {
    pub findings: Vec<Finding>,
    pub rows: Vec<LogRow>,
}

impl FleetScreen {
    /// A key while the Fleet screen is in front; `None`: the key is the console's (quit, help…).
    pub fn key(&mut self, action: Action) -> Option<Vec<Cmd>> {
        match self.on_action(action) {
            FleetOutcome::Stay => Some(Vec::new()),
            FleetOutcome::Effects(e, said) => Some(
                said.map(Cmd::Say)
                    .into_iter()
                    .chain(e.into_iter().map(Cmd::Effect))
                    .collect(),
            ),
            FleetOutcome::Filter => Some(vec![Cmd::Mode(Mode::FleetFilter {
                before: crate::tui::form::first_line(&self.filter),
            })]),
            FleetOutcome::Leave => Some(vec![Cmd::Go(Screen::Environment)]),
            FleetOutcome::Pass => None,
        }
    }

    /// The console starts on the Fleet screen over the store at `url` (`None`: the default);
    /// `by_itself`: with no orgs in it, it goes to the walk-through.
    fn start(&mut self, url: Option<String>, by_itself: bool) -> Vec<Cmd> {
        self.opened_by_itself = by_itself;
        self.opening = true;
        vec![
            Cmd::Go(Screen::Fleet),
            Cmd::Effect(Effect::Fleet(FleetJob::Open {
                url,
                settings: self.settings.clone(),
            })),
        ]
    }

    /// `F`: the Fleet screen (`shown`: it is in front), or back to the walk-through from it.
    pub fn toggle(&mut self, shown: bool) -> Vec<Cmd> {
        if shown {
            return vec![Cmd::Go(Screen::Environment)];
        }
        let mut out = vec![Cmd::Go(Screen::Fleet)];
        if self.source.is_none() && self.error.is_none() {
            self.opening = true;
            out.push(Cmd::Effect(Effect::Fleet(FleetJob::Open {
                url: None,
                settings: self.settings.clone(),
            })));
        } else {
            out.extend(self.shown().into_iter().map(Cmd::Effect));
        }
        out
    }

    /// A store task answered (or the console starts on Fleet); `shown`: the screen is in front.
    pub fn on_msg(&mut self, msg: FleetMsg, shown: bool) -> Vec<Cmd> {
        let effects = |e: Vec<Effect>| e.into_iter().map(Cmd::Effect).collect::<Vec<_>>();
        match msg {
            FleetMsg::Start { url, by_itself } => self.start(url, by_itself),
            FleetMsg::Opened(r) => effects(self.opened(r, shown)),
            FleetMsg::Status { generation, result } => {
                let mut out = effects(self.on_status(generation, result, shown));
                // Opened on Fleet by itself, over a store with no orgs: the walk-through.
                if self.opened_by_itself && self.rows.is_some() {
                    self.opened_by_itself = false;
                    if shown && self.rows.as_ref().is_some_and(|r| r.is_empty()) {
                        out.push(Cmd::Go(Screen::Environment));
                    }
                }
                out
            }
            FleetMsg::Cycle { org, result, fresh } => match result {
                Ok(Some(c)) => self.view_cycle(*c, fresh),
                Ok(None) => vec![Cmd::Say(format!(
                    "{org}'s last cycle is no longer in the store (pruned)."
                ))],
                Err(e) if fresh => vec![Cmd::Say(format!("{org}: no fresh check: {e}"))],
                Err(e) => vec![Cmd::Say(format!("Could not read {org}'s last cycle: {e}"))],
            },
            FleetMsg::Timeline { org, result } => {
                self.on_timeline(&org, result);
                Vec::new()
            }
            FleetMsg::Done(s) => {
                let mut out = vec![Cmd::Say(s)];
                out.extend(effects(self.done()));
                out
            }
        }
    }

    /// Shows `cycle` in the steps, read-only: Findings in front, the request log filled from
    /// its report. A run (`r`) replaces it.
    fn view_cycle(&mut self, cycle: OrgCycle, fresh: bool) -> Vec<Cmd> {
        let (findings, rows, unknown) = view_findings(&cycle);
        let org = sanitize::line(&cycle.org).into_owned();
        let when = ago(crate::engine::clock::now_secs() as i64 - cycle.started_at);
        let n = rows.len();
        let count = findings.len();
        let mut shown = Vec::new();
        if n > 0 {
            shown.push(LogRow::marker(
                VIEWED_RUN,
                format!("{org}: watch cycle, {when} (summaries)"),
            ));
            shown.extend(rows);
        }
        self.viewing = Some((org.clone(), cycle.started_at));
        let what = if fresh {
            "fresh check, not recorded"
        } else {
            "last cycle"
        };
        let mut said = format!(
            "{org}'s {what} ({when}, {}): {count} finding{}",
            cycle.state.word(),
            if count == 1 { "" } else { "s" }
        );
        if unknown > 0 {
            let _ = write!(said, " ({unknown} with codes this build does not know)");
        }
        if n > 0 {
            let _ = write!(said, "; {n} requests in the log (Tab)");
        }
        said.push_str(". Read-only; F: Fleet.");
        vec![
            Cmd::ShowCycle(Box::new(StoredCycle {
                findings,
                rows: shown,
            })),
            Cmd::Say(said),
        ]
    }

    /// Keys the walk-through must not act on while it shows a stored cycle; `None`: go on.
    /// `log_row`: the request log's selected row (run, id) when the log has the keys.
    pub fn readonly(&mut self, a: Action, log_row: Option<(u64, u64)>) -> Option<Vec<Cmd>> {
        let (org, _) = self.viewing.clone()?;
        match a {
            Action::Fix | Action::Reprobe => Some(vec![Cmd::Say(format!(
                "Read-only: this is {org}'s cycle from the watch store. Its fix steps are listed; r on Fleet checks it again."
            ))]),
            Action::Run => {
                self.viewing = None;
                None
            }
            Action::Select | Action::Copy => match log_row {
                Some((VIEWED_RUN, id)) if id != 0 => Some(vec![Cmd::Say(format!(
                    "Request #{id} is from a stored watch cycle: the store keeps its summary, not its headers or body (sagediag watch report {org} exports the cycle's report)."
                ))]),
                _ => None,
            },
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
