//! One fresh cycle of one watched org, on demand (the console's `r` on the Fleet screen): the
//! org as the watch list has it (a config-file entry wins over the store's of the same name),
//! its monitoring secret, then [`run_cycle`]. The cycle is returned, never recorded.

use std::path::PathBuf;

use super::cycle::{CycleContext, run_cycle};
use super::store::Store;
use super::{MonitorFlow, OrgCycle, WatchOrg};
use crate::engine::vault::Vault;

/// The vault account of an org's monitoring consumer secret.
pub fn secret_account(name: &str) -> String {
    format!("watch:{name}:client-secret")
}

/// An org the config file watches (it replaces a store org of the same name), and the
/// environment variable that holds its consumer secret, if one is named.
#[derive(Debug, Clone)]
pub struct ConfiguredOrg {
    pub org: WatchOrg,
    pub secret_env: Option<String>,
}

/// The consumer secret of a client-credentials org: the named variable's value, else the one
/// kept in the vault under [`secret_account`]. `None` for a JWT org. Blocks (the vault may).
pub fn monitoring_secret(
    org: &WatchOrg,
    secret_env: Option<&str>,
    vault: &Vault,
) -> Option<String> {
    if org.flow != MonitorFlow::ClientCredentials {
        return None;
    }
    if let Some(s) = secret_env
        .and_then(|e| std::env::var(e).ok())
        .filter(|s| !s.is_empty())
    {
        return Some(s);
    }
    vault.find(&secret_account(&org.name)).0.map(|(s, _)| s)
}

/// What a fresh check needs besides the store.
pub struct CheckNow {
    /// The config file's orgs (searched first).
    pub configured: Vec<ConfiguredOrg>,
    /// Extra CA certificates trusted for every org.
    pub ca_certs: Vec<PathBuf>,
    /// Who runs it (shown in the cycle).
    pub watcher: String,
    /// Where kept secrets are looked up.
    pub vault: Vault,
}

/// Runs one cycle of `org` now with its monitoring credentials; the store is read (the org,
/// its login high-water mark), never written. An error says what to do.
pub async fn check_now(store: &Store, org: &str, with: CheckNow) -> Result<OrgCycle, String> {
    let configured = with.configured.into_iter().find(|c| c.org.name == org);
    let (target, secret_env) = match configured {
        Some(c) => (c.org, c.secret_env),
        None => {
            let listed = store.list_orgs().await.map_err(|e| e.to_string())?;
            let Some(o) = listed.into_iter().find(|o| o.name == org) else {
                return Err(format!(
                    "{org} is no longer on the watch list (sagediag watch list)"
                ));
            };
            (o, None)
        }
    };
    let vault = with.vault;
    let lookup = target.clone();
    let secret = tokio::task::spawn_blocking(move || {
        monitoring_secret(&lookup, secret_env.as_deref(), &vault)
    })
    .await
    .unwrap_or_default();
    let mut ctx = CycleContext::new(with.watcher);
    ctx.ca_certs = with.ca_certs;
    ctx.secret = secret;
    ctx.login_high_water = store
        .login_high_water(org)
        .await
        .map_err(|e| e.to_string())?;
    Ok(run_cycle(&target, &ctx).await)
}
