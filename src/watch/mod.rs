//! `sagediag watch`'s front end: the org list (`cli.rs`: add, list, remove, the config file's
//! `[[watch.org]]`), the cycles (`run.rs`: `--once` and the schedule), the timeline and past
//! reports (`history.rs`), the status page and its listener (`serve.rs`, `page.rs`). The engine
//! decides (src/engine/watch/); this only runs it and shows what it decided.

/// A line on stdout; a closed pipe (`watch --json | head -1`) is not an error worth a panic.
macro_rules! out {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($t)*);
    }};
}

/// Text on stdout as it is.
macro_rules! out_raw {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout().lock(), $($t)*);
    }};
}

/// A line on stderr, never a panic.
macro_rules! err {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr().lock(), $($t)*);
    }};
}

pub mod cli;
pub mod history;
pub mod page;
pub mod run;
pub mod serve;

use crate::engine::watch::store::Store;

pub use run::{RunOptions, Runner};

/// A usage or set-up error: exit status 2, with the message.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Usage(pub String);

/// `sagediag watch …`: returns the exit status (0 no org failing, 1 an org failing, 2 usage or
/// set-up error).
pub async fn main(
    args: crate::cli::WatchArgs,
    settings: crate::settings::Settings,
    ca_certs: Vec<std::path::PathBuf>,
) -> u8 {
    match main_inner(args, settings, ca_certs).await {
        Ok(code) => code,
        Err(Usage(msg)) => {
            err!("sagediag watch: {}", crate::engine::sanitize::text(&msg));
            2
        }
    }
}

async fn open_store(
    args: &crate::cli::WatchArgs,
    settings: &crate::settings::Settings,
) -> Result<Store, Usage> {
    use crate::engine::watch::store::StoreUrl;
    let url = match args.store.as_deref().or(settings.watch.store.as_deref()) {
        Some(u) => StoreUrl::parse(u).map_err(|e| Usage(format!("--store: {e}")))?,
        None => StoreUrl::default_sqlite(),
    };
    Store::open(&url)
        .await
        .map_err(|e| Usage(format!("the store {}: {e}", url.redacted())))
}

fn alerter(
    args: &crate::cli::WatchArgs,
) -> Result<Option<crate::engine::watch::alerts_send::Alerter>, Usage> {
    use crate::engine::watch::alerts::AlertTarget;
    let secret = std::env::var("SAGEDIAG_WEBHOOK_SECRET").ok();
    let mut targets = Vec::new();
    for (i, url) in args.webhook.iter().enumerate() {
        let name = if args.webhook.len() == 1 {
            "webhook".to_string()
        } else {
            format!("webhook-{}", i + 1)
        };
        targets.push(
            AlertTarget::webhook(&name, url, secret.as_deref())
                .map_err(|e| Usage(format!("--webhook: {e}")))?,
        );
    }
    if let Some(url) = &args.slack_webhook {
        targets.push(
            AlertTarget::slack("slack", url).map_err(|e| Usage(format!("--slack-webhook: {e}")))?,
        );
    }
    if targets.is_empty() {
        return Ok(None);
    }
    crate::engine::watch::alerts_send::Alerter::new(targets, std::time::Duration::from_secs(20))
        .map(Some)
        .map_err(|e| Usage(format!("the alert targets: {e}")))
}

async fn main_inner(
    args: crate::cli::WatchArgs,
    settings: crate::settings::Settings,
    ca_certs: Vec<std::path::PathBuf>,
) -> Result<u8, Usage> {
    use crate::cli::WatchCommand;
    use crate::engine::vault::Vault;
    let vault = Vault::from_env();
    let store = open_store(&args, &settings).await?;
    match &args.command {
        Some(WatchCommand::Add(a)) => {
            out!(
                "{}",
                crate::engine::sanitize::text(&cli::add(&store, a, &settings, &vault).await?)
            );
            return Ok(0);
        }
        Some(WatchCommand::Remove { name }) => {
            if cli::remove(&store, name, &vault).await? {
                out!(
                    "No longer watching {}.",
                    crate::engine::sanitize::text(name)
                );
                return Ok(0);
            }
            return Err(Usage(format!(
                "no org named {name} in the store's watch list (orgs from the config file are removed there)"
            )));
        }
        Some(WatchCommand::List { json }) => {
            let list = cli::orgs(&store, &settings).await?;
            out_raw!("{}", cli::list_text(&list, *json));
            return Ok(0);
        }
        Some(WatchCommand::History { name, json, limit }) => {
            out_raw!("{}", history::history(&store, name, *limit, *json).await?);
            return Ok(0);
        }
        Some(WatchCommand::Report { name, cycle, out }) => {
            out!("{}", history::report(&store, name, *cycle, out).await?);
            return Ok(0);
        }
        None => {}
    }
    let alerter = alerter(&args)?;
    let mut ca = settings.ca_certs.clone();
    ca.extend(ca_certs);
    let opts = RunOptions {
        policy: crate::engine::watch::model::IncidentPolicy {
            open_after: args.open_after,
            resolve_after: args.resolve_after,
        },
        concurrency: args.concurrency as usize,
        http_timeout: std::time::Duration::from_secs(args.timeout),
        org_timeout: std::time::Duration::from_secs(args.org_timeout),
        ca_certs: ca,
        retention_days: args.retention_days,
        team: args.team,
        ..RunOptions::default()
    };
    if args.team && !store.is_postgres() {
        return Err(Usage(
            "--team needs a shared PostgreSQL store (--store postgres://…)".into(),
        ));
    }
    let runner = Runner::new(store.clone(), alerter, opts);
    let only = args.org.clone();
    let load = {
        let (store, settings, vault) = (store.clone(), settings.clone(), vault.clone());
        move || {
            let (store, settings, vault, only) =
                (store.clone(), settings.clone(), vault.clone(), only.clone());
            async move {
                let list: Vec<cli::Listed> = cli::orgs(&store, &settings)
                    .await
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|l| only.is_empty() || only.contains(&l.org.name))
                    .collect();
                let secrets = cli::secrets(&list, &vault).await;
                (list, secrets)
            }
        }
    };
    if args.once {
        let load = load;
        let (list, secrets) = load().await;
        if list.is_empty() {
            return Err(Usage(
                "no org to watch: add one with `sagediag watch add NAME …` (or [[watch.org]] in the config file)".into(),
            ));
        }
        let json = args.json;
        let t = std::time::Instant::now();
        let (done, delivery) = runner
            .run_once(&list, &secrets, |r| {
                if json {
                    out!("{}", run::json_line(r));
                } else {
                    out!("{}", run::summary_line(r));
                }
            })
            .await;
        let failing = done.iter().filter(|r| r.cycle.state.is_failing()).count();
        // Team mode: the orgs another watcher had leased for this slot.
        let elsewhere = list.len().saturating_sub(done.len());
        let unrecorded = done.iter().filter(|r| r.error.is_some()).count();
        if !json {
            err!(
                "{} org{} in {:.1} s: {} failing.{}{}",
                done.len(),
                if done.len() == 1 { "" } else { "s" },
                t.elapsed().as_secs_f64(),
                failing,
                if elsewhere > 0 {
                    format!(" {elsewhere} checked by another watcher in this slot.")
                } else {
                    String::new()
                },
                delivery
                    .as_ref()
                    .map(|d| format!(
                        " Alerts: {} sent, {} failed, {} deferred.",
                        d.sent, d.failed, d.deferred
                    ))
                    .unwrap_or_default()
            );
        }
        if let Some(d) = &delivery {
            for e in &d.errors {
                err!(
                    "sagediag watch: alert: {}",
                    crate::engine::sanitize::text(e)
                );
            }
            if let Some(e) = &d.store_error {
                err!(
                    "sagediag watch: alert queue: {}",
                    crate::engine::sanitize::text(e)
                );
            }
        }
        if unrecorded > 0 {
            err!("sagediag watch: {unrecorded} cycle(s) could not be recorded in the store");
        }
        return Ok(u8::from(failing > 0));
    }
    // The schedule, until Ctrl-C or SIGTERM.
    let gauge = serve::CycleGauge::default();
    let token = std::env::var("SAGEDIAG_WATCH_TOKEN").ok();
    let (addr, server) = serve::serve_with(
        store.clone(),
        serve::ServeOptions {
            listen: args.listen,
            token,
        },
        gauge.clone(),
    )
    .await
    .map_err(|e| Usage(e.to_string()))?;
    err!(
        "sagediag watch: watching (store {}); status page, /metrics and /healthz on http://{addr}/. Ctrl-C stops.",
        if store.is_postgres() {
            "PostgreSQL"
        } else {
            "SQLite"
        }
    );
    let json = args.json;
    runner
        .run_forever(
            load,
            stop_signal(),
            move |r| {
                if json {
                    out!("{}", run::json_line(r));
                } else {
                    out!("{}", run::summary_line(r));
                }
            },
            Some(gauge),
        )
        .await;
    server.abort();
    err!("sagediag watch: stopped.");
    Ok(0)
}

/// Resolves on Ctrl-C or SIGTERM.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
