//! `sagediag check --fix-plan` and `sagediag fix`: after the check, the plan for its findings;
//! with `--yes`, the `apply` fixes made (as the admin given, or the session if it may) and the
//! affected probes re-run at once; with `--undo FILE`, the assignments a former run created
//! deleted. The engine does the work (`engine::fix`); this prints.

use std::fmt::Write as _;

use serde_json::{Map, Value, json};

use crate::engine::change;
use crate::engine::fix::{self, Actor, Applied, FixKind, Plan};
use crate::engine::journal::{self, Action, Journal};
use crate::engine::verdict::FixResult;
use crate::engine::{self, Config, Report, Session};

/// What to do after the check.
#[derive(Clone, Default)]
pub struct FixOptions {
    /// `sagediag fix` (false: `check --fix-plan`, which only prints the plan).
    pub fix: bool,
    /// The admin's consent: without it nothing is changed.
    pub yes: bool,
    /// The admin's login (None: the check's session, if its user may assign permission sets).
    pub admin: Option<Config>,
    /// What to undo (`--undo FILE`, `--undo-last`).
    pub undo: Option<Undo>,
}

/// What `fix` is asked to undo.
#[derive(Clone, Debug)]
pub enum Undo {
    /// The records of a fix journal or of a former `fix --json` (`--undo FILE`). `proof`: the
    /// journal's own records when the file is a journal; None: the journals in the state
    /// directory are the proof.
    Records {
        records: Vec<Applied>,
        proof: Option<Vec<Applied>>,
    },
    /// The newest apply journal for the org logged in to (`--undo-last`).
    Last,
}

/// Why a record of a former `sagediag fix --json` cannot be used for `--undo`.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("{0}")]
    Unreadable(String),
    #[error("not JSON: {0}")]
    NotJson(String),
    #[error("no `applied` records: {0}")]
    NoRecords(String),
}

/// Reads what `--undo FILE` names: a fix journal (`fix-journal/*.jsonl` in the state
/// directory), or the JSON a former `sagediag fix --yes --json` printed. Either must be
/// owner-only, ours and not a symbolic link (`chmod 600 FILE`): an undo deletes what it names.
pub fn read_record(path: &std::path::Path) -> Result<Undo, RecordError> {
    let text = journal::read_text(path).map_err(RecordError::Unreadable)?;
    if journal::is_journal(&text) {
        let read = journal::parse(&text).map_err(RecordError::NotJson)?;
        return Ok(Undo::Records {
            proof: Some(read.records.clone()),
            records: read.records,
        });
    }
    let v: Value = serde_json::from_str(&text).map_err(|e| RecordError::NotJson(e.to_string()))?;
    let applied = v.get("applied").cloned().unwrap_or(Value::Array(vec![]));
    let records =
        serde_json::from_value(applied).map_err(|e| RecordError::NoRecords(e.to_string()))?;
    Ok(Undo::Records {
        records,
        proof: None,
    })
}

/// What the fix step adds to the output (the plan, the journal; the changes themselves are in
/// the report), and what it did, for the engine's verdict ([`crate::engine::verdict::exit_code`]).
pub struct FixOutcome {
    pub json: Map<String, Value>,
    pub human: String,
    pub result: FixResult,
}

fn drain(rx: &mut tokio::sync::mpsc::UnboundedReceiver<engine::Event>) {
    while let Ok(e) = rx.try_recv() {
        super::progress(&e, false);
    }
}

/// Runs after the check: the plan, and for `sagediag fix` the apply or undo step.
pub async fn after(
    cfg: &Config,
    report: &mut Report,
    session: Option<&Session>,
    client: &engine::http::Client,
    opts: &FixOptions,
    logged_in_admin: Option<Actor>,
) -> FixOutcome {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut run = fix::new_run(cfg.clone(), client.clone(), tx);
    let integration = session.map(|s| Actor {
        instance_url: s.instance_url.clone(),
        access_token: s.access_token.clone(),
        username: report.org.username.clone().unwrap_or_default(),
        user_id: report.org.user_id.clone(),
    });
    let plan = fix::plan(&mut run, report, integration.as_ref()).await;
    drain(&mut rx);
    let mut json = Map::new();
    json.insert("fixes".into(), json!(plan.fixes));
    let mut human = plan_text(&plan);
    let mut result = FixResult::NoChangeAsked;
    if opts.fix {
        let mut applied = Vec::new();
        let mut undone = Vec::new();
        let mut reprobed = Vec::new();
        let wants_change = match &opts.undo {
            Some(Undo::Records { records, .. }) => !records.is_empty(),
            Some(Undo::Last) => true,
            None => plan.applicable().next().is_some(),
        };
        if !opts.yes {
            let n = plan.applicable().count();
            let _ = writeln!(
                human,
                "\nNothing was changed: run again with --yes to apply the {n} `apply` fix(es){}.",
                if opts.undo.is_some() {
                    " (or the undo)"
                } else {
                    ""
                }
            );
            if wants_change {
                result = FixResult::NotConsented;
            }
        } else if wants_change {
            let actor = match (&opts.admin, logged_in_admin) {
                (Some(_), Some(actor)) => Some(actor),
                (Some(admin_cfg), None) => {
                    let mut admin_run =
                        fix::new_run(admin_cfg.clone(), client.clone(), run.events.clone());
                    let actor = fix::login_actor(&mut admin_run).await;
                    for f in admin_run.findings {
                        run.raise(f);
                    }
                    actor
                }
                (None, _) => integration.clone(),
            };
            drain(&mut rx);
            result = FixResult::NotMade;
            match actor {
                None => {
                    let _ = writeln!(
                        human,
                        "\nNo session to change the org with: nothing was changed."
                    );
                }
                Some(actor) => {
                    let action = if opts.undo.is_some() {
                        Action::Undo
                    } else {
                        Action::Apply
                    };
                    match Journal::create(action, &actor) {
                        Err(e) => {
                            let _ = writeln!(
                                human,
                                "\nNothing was changed: the fix journal cannot be written ({e}). Every change is recorded before it is sent; set SAGEDIAG_STATE_DIR to a writable directory."
                            );
                        }
                        Ok(mut j) => {
                            json.insert("journal".into(), json!(j.path()));
                            let _ = writeln!(human, "\nJournal: {}", j.path().display());
                            if let Some(undo) = &opts.undo {
                                let dir = journal::dir();
                                let (records, proof) = match undo {
                                    Undo::Records { records, proof } => (
                                        records.clone(),
                                        proof.clone().unwrap_or_else(|| {
                                            dir.as_deref()
                                                .map(|d| {
                                                    journal::apply_records(d, &actor.instance_url)
                                                })
                                                .unwrap_or_default()
                                        }),
                                    ),
                                    Undo::Last => {
                                        match dir.as_deref().and_then(|d| {
                                            journal::latest_apply(d, &actor.instance_url)
                                        }) {
                                            Some((path, read)) => {
                                                let _ = writeln!(
                                                    human,
                                                    "Undoing the journal {}",
                                                    path.display()
                                                );
                                                json.insert("undoing".into(), json!(path));
                                                (read.records.clone(), read.records)
                                            }
                                            None => {
                                                let _ = writeln!(
                                                    human,
                                                    "No fix journal of this org in {}: nothing to undo.",
                                                    dir.as_deref()
                                                        .map(|d| d.display().to_string())
                                                        .unwrap_or_default()
                                                );
                                                (Vec::new(), Vec::new())
                                            }
                                        }
                                    }
                                };
                                let changed = change::apply_or_undo(
                                    &mut run,
                                    report,
                                    change::Request::Undo {
                                        records: &records,
                                        proof: &proof,
                                    },
                                    &actor,
                                    integration.as_ref(),
                                    &mut j,
                                )
                                .await;
                                result = FixResult::Made { ok: changed.ok };
                                undone = changed.records;
                                reprobed = changed.probes;
                            } else {
                                let changed = change::apply_or_undo(
                                    &mut run,
                                    report,
                                    change::Request::Apply(&plan),
                                    &actor,
                                    integration.as_ref(),
                                    &mut j,
                                )
                                .await;
                                result = FixResult::Made { ok: changed.ok };
                                applied = changed.records;
                                reprobed = changed.probes;
                            }
                        }
                    }
                }
            }
            drain(&mut rx);
        } else {
            let _ = writeln!(human, "\nNothing sagediag can apply through the API.");
        }
        // What the fix step raised (a refused login, a probe still failing) is in the report,
        // with the re-run probes' rows and the changes made: the report says it, once.
        report.add_findings(&run.findings);
        json.insert("applied".into(), json!(applied));
        json.insert("undone".into(), json!(undone));
        json.insert("reprobed".into(), json!(reprobed));
        json.insert("fix_findings".into(), json!(run.findings));
    }
    FixOutcome {
        json,
        human,
        result,
    }
}

fn plan_text(plan: &Plan) -> String {
    let mut out = String::from("\nFix plan:\n");
    if plan.fixes.is_empty() {
        out.push_str("  nothing to fix\n");
    }
    for (i, f) in plan.fixes.iter().enumerate() {
        let kind = match f.kind {
            FixKind::Apply => "apply",
            FixKind::Command => "command",
            FixKind::Metadata => "metadata",
            FixKind::Setup => "setup",
        };
        let _ = writeln!(out, "  {}. [{kind}] {} — {}", i + 1, f.finding, f.target);
        if let Some(r) = &f.request {
            let _ = writeln!(out, "     {} {} {}", r.method, r.url, r.body);
        }
        if let Some(c) = &f.command {
            let _ = writeln!(out, "     or: {c}");
        }
        if let Some(m) = &f.metadata {
            let _ = writeln!(
                out,
                "     {}\n     in {}: {}\n     {}",
                m.retrieve, m.file, m.element, m.deploy
            );
        }
        if f.kind == FixKind::Setup {
            for step in &f.steps {
                let _ = writeln!(out, "     - {step}");
            }
        }
    }
    out
}
