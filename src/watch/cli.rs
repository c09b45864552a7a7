//! The watch list: `watch add`, `watch list`, `watch remove`, and the orgs a run watches (the
//! store's list merged with the config file's `[[watch.org]]`; the file wins on a name clash).
//! Secrets never go in the store: the monitoring app's consumer secret is kept as
//! `check --keep-secrets` keeps secrets (src/engine/vault.rs), under the org's name.

use std::collections::BTreeMap;

use super::Usage;
use crate::cli::WatchAddArgs;
use crate::engine::sanitize;
use crate::engine::vault::{Keep, Vault};
use crate::engine::watch::model::{MonitorFlow, Schedule, WatchOrg};
use crate::engine::watch::schedule;
use crate::engine::watch::store::Store;
use crate::engine::{Environment, files};
use crate::settings::Settings;

pub use crate::engine::watch::now::secret_account;

/// An org name: 1-64 letters, digits, '.', '_', '-' (it goes in file names, URLs and labels).
pub fn valid_name(name: &str) -> Result<(), Usage> {
    let ok = (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(Usage(format!(
            "`{}` is not an org name: use 1 to 64 letters, digits, '.', '_' or '-'",
            sanitize::bounded(name, 80, None)
        )))
    }
}

/// The org `watch add` describes, checked.
pub fn org_of(a: &WatchAddArgs) -> Result<WatchOrg, Usage> {
    valid_name(&a.name)?;
    Environment::parse(&a.env).map_err(|e| Usage(format!("--env: {e}")))?;
    let flow = match a.flow.as_str() {
        "client-credentials" => MonitorFlow::ClientCredentials,
        _ => MonitorFlow::Jwt,
    };
    let client_id = a
        .client_id
        .clone()
        .filter(|c| !c.trim().is_empty())
        .ok_or_else(|| {
            Usage("--client-id (the monitoring app's consumer key) is required".into())
        })?;
    match flow {
        MonitorFlow::Jwt if a.username.is_none() || a.private_key.is_none() => {
            return Err(Usage(
                "--flow jwt needs --username (the monitoring user) and --private-key FILE".into(),
            ));
        }
        MonitorFlow::ClientCredentials if a.client_secret.is_none() => {
            return Err(Usage(
                "--flow client-credentials needs the monitoring app's consumer secret in SAGEDIAG_CLIENT_SECRET".into(),
            ));
        }
        _ => {}
    }
    if let Some(k) = &a.private_key {
        files::read_user_file(k, files::PRIVATE_KEY)
            .map_err(|e| Usage(format!("--private-key: {e}")))?;
    }
    let schedule = match (&a.interval, &a.cron) {
        (Some(i), _) => Schedule::Interval {
            secs: schedule::parse_duration(i).ok_or_else(|| {
                Usage(format!("--interval `{i}` is not a duration (900, 15m, 1h)"))
            })?,
        },
        (None, Some(c)) => Schedule::Cron { expr: c.clone() },
        (None, None) => Schedule::default(),
    };
    schedule::validate(&schedule).map_err(|e| Usage(e.to_string()))?;
    let abs = |p: &std::path::PathBuf| std::path::absolute(p).unwrap_or_else(|_| p.clone());
    Ok(WatchOrg {
        name: a.name.clone(),
        environment: a.env.clone(),
        flow,
        client_id,
        username: a.username.clone(),
        private_key: a.private_key.as_ref().map(abs),
        integration_user: a.integration_user.clone(),
        integration_app: a.integration_app.clone(),
        probe_as_integration: a.probe_as_integration,
        schedule,
        ca_certs: a.ca_cert.iter().map(abs).collect(),
    })
}

/// `watch add`: keeps the secret first (so a stored org always has its secret), then the org.
pub async fn add(
    store: &Store,
    a: &WatchAddArgs,
    settings: &Settings,
    vault: &Vault,
) -> Result<String, Usage> {
    let org = org_of(a)?;
    let mut said = String::new();
    if let (MonitorFlow::ClientCredentials, Some(secret)) = (org.flow, a.client_secret.clone()) {
        let v = vault.clone();
        let keep = match a
            .keep_secrets
            .as_deref()
            .and_then(Keep::parse)
            .or(settings.keep_secrets)
        {
            Some(Keep::Memory) | None => {
                let v2 = v.clone();
                let has_keyring = tokio::task::spawn_blocking(move || v2.keyring_status().is_ok())
                    .await
                    .unwrap_or(false);
                if has_keyring {
                    Keep::Keyring
                } else {
                    Keep::File
                }
            }
            Some(k) => k,
        };
        let account = secret_account(&org.name);
        let where_ = v.describe(keep);
        tokio::task::spawn_blocking(move || v.store(keep, &account, &secret))
            .await
            .map_err(|e| Usage(e.to_string()))?
            .map_err(|e| Usage(format!("the consumer secret could not be kept: {e}")))?;
        said = format!(" Its consumer secret is kept in {where_}.");
    }
    store
        .upsert_org(&org)
        .await
        .map_err(|e| Usage(e.to_string()))?;
    Ok(format!(
        "Watching {} ({}, {}, integration user {}).{said}",
        org.name,
        org.environment,
        flow_name(org.flow),
        org.integration_user
    ))
}

pub fn flow_name(f: MonitorFlow) -> &'static str {
    match f {
        MonitorFlow::Jwt => "jwt",
        MonitorFlow::ClientCredentials => "client-credentials",
    }
}

/// `watch remove`: the org and its kept secret.
pub async fn remove(store: &Store, name: &str, vault: &Vault) -> Result<bool, Usage> {
    let gone = store
        .remove_org(name)
        .await
        .map_err(|e| Usage(e.to_string()))?;
    let v = vault.clone();
    let account = secret_account(name);
    let _ = tokio::task::spawn_blocking(move || v.forget(&account)).await;
    Ok(gone)
}

/// Where an org on the list comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Store,
    Config,
}

/// A watched org, and for config-file orgs the variable holding its secret.
#[derive(Debug, Clone)]
pub struct Listed {
    pub org: WatchOrg,
    pub source: Source,
    pub secret_env: Option<String>,
}

/// The orgs watched: the store's, then the config file's (which replace a store org of the
/// same name), by name.
pub async fn orgs(store: &Store, settings: &Settings) -> Result<Vec<Listed>, Usage> {
    let mut all: BTreeMap<String, Listed> = BTreeMap::new();
    for org in store.list_orgs().await.map_err(|e| Usage(e.to_string()))? {
        all.insert(
            org.name.clone(),
            Listed {
                org,
                source: Source::Store,
                secret_env: None,
            },
        );
    }
    for o in &settings.watch.org {
        let org = o.to_org().map_err(Usage)?;
        all.insert(
            org.name.clone(),
            Listed {
                org,
                source: Source::Config,
                secret_env: o.client_secret_env.clone(),
            },
        );
    }
    Ok(all.into_values().collect())
}

/// The consumer secrets of the client-credentials orgs, read once (vault lookups block).
pub async fn secrets(list: &[Listed], vault: &Vault) -> BTreeMap<String, String> {
    let wanted: Vec<(String, Option<String>)> = list
        .iter()
        .filter(|l| l.org.flow == MonitorFlow::ClientCredentials)
        .map(|l| (l.org.name.clone(), l.secret_env.clone()))
        .collect();
    let v = vault.clone();
    tokio::task::spawn_blocking(move || {
        let mut out = BTreeMap::new();
        for (name, env) in wanted {
            if let Some(s) = env
                .and_then(|e| std::env::var(e).ok())
                .filter(|s| !s.is_empty())
            {
                out.insert(name, s);
                continue;
            }
            if let (Some((s, _)), _) = v.find(&secret_account(&name)) {
                out.insert(name, s);
            }
        }
        out
    })
    .await
    .unwrap_or_default()
}

/// `watch list`: one line per org (or one JSON document).
pub fn list_text(list: &[Listed], json: bool) -> String {
    if json {
        let v: Vec<serde_json::Value> = list
            .iter()
            .map(|l| {
                let mut o = serde_json::to_value(&l.org).unwrap_or_default();
                o["source"] = serde_json::to_value(l.source).unwrap_or_default();
                o
            })
            .collect();
        return sanitize::json(&serde_json::to_string_pretty(&v).unwrap_or_default()).into_owned()
            + "\n";
    }
    if list.is_empty() {
        return "No org is watched: add one with `sagediag watch add NAME …`.\n".into();
    }
    let mut out = String::new();
    for l in list {
        let sched = match &l.org.schedule {
            Schedule::Interval { secs } => format!("every {secs} s"),
            Schedule::Cron { expr } => format!("cron {expr}"),
        };
        let line = format!(
            "{:<20} {:<18} {:<40} {} {}{}\n",
            l.org.name,
            flow_name(l.org.flow),
            l.org.environment,
            l.org.integration_user,
            sched,
            if l.source == Source::Config {
                " (config file)"
            } else {
                ""
            }
        );
        out += &sanitize::text(&line);
    }
    out
}
