//! Doing no harm, `check`'s side: the consent a refresh of a token given needs, the keeper that
//! stores a new refresh token the moment it arrives, and what the run gives back at its end
//! (`engine::ledger` does the work; this asks and prints).

use crate::engine::ledger::{self, Keeper, Ledger, Revoked};
use crate::engine::vault::{Keep, Vault};
use crate::engine::{self, Config, Flow, Report};

/// Why `check` must not start: a refresh token given would be refreshed without consent, or the
/// new one would have nowhere to go. `recalled`: where a kept refresh token came from.
pub fn refusal(cfg: &Config, keep: Keep, recalled: Option<Keep>, show: bool) -> Option<String> {
    if cfg.flow != Flow::Refresh || cfg.refresh_token.is_none() {
        return None;
    }
    let whose = if recalled.is_some() {
        "the refresh token kept by an earlier run"
    } else {
        "the refresh token given"
    };
    if !cfg.allow_rotation {
        return Some(format!(
            "--flow refresh refreshes {whose} once. Whether the app rotates refresh tokens is not \
             known before login; under rotation that refresh RETIRES the token: the integration's \
             next refresh with it fails, and a reuse revokes the new one too. Nothing was sent.\n  \
             To proceed: --allow-rotation (the new token is kept where --keep-secrets says, or \
             printed once with --show-new-token).\n  To test without touching the integration's \
             token: --flow web or --flow device (sagediag revokes its own token at the end)."
        ));
    }
    if keep == Keep::Memory && recalled.is_none() && !show {
        return Some(
            "--allow-rotation needs a place for the new refresh token, else it would be lost with \
             the old one retired: --keep-secrets file (or keyring) keeps it the moment it arrives, \
             --show-new-token prints it once on the terminal."
                .into(),
        );
    }
    None
}

/// Stores a refresh token where the user chose (or back where a kept one came from), the moment
/// the engine receives it. None: nowhere to keep it.
pub fn keeper(cfg: &Config, vault: &Vault, keep: Keep, recalled: Option<Keep>) -> Option<Keeper> {
    ledger::keeper(cfg, vault, keep, recalled)
}

/// Gives back what the run (and the admin's login) obtained, saying so on stderr.
pub async fn give_back(ledgers: &[&Ledger], client: &engine::http::Client) -> Vec<Revoked> {
    let mut all = Vec::new();
    for l in ledgers {
        all.extend(ledger::revoke(l, client).await);
    }
    for r in &all {
        eprintln!("Given back: {}", engine::sanitize::line(&r.line()));
    }
    all
}

/// The requests sent since the report was made (the revokes): appended to its request list, so
/// that `--json`, the report and the HAR list the same requests.
pub fn add_later_requests(report: &mut Report, client: &engine::http::Client) {
    let last = report.requests.iter().map(|r| r.id).max().unwrap_or(0);
    for e in client.exchanges().into_iter().filter(|e| e.id > last) {
        report.requests.push(engine::RequestSummary {
            id: e.id,
            method: e.method,
            url: e.url,
            status: e.status,
            duration_ms: e.duration_ms,
            summary: e.summary,
        });
    }
}

/// Ends an interrupted check (Ctrl-C, SIGTERM, SIGHUP): gives back what the run obtained, on
/// a client of its own, within `limit`.
pub async fn interrupted(cfg: &Config, admin: Option<&Config>, limit: std::time::Duration) {
    let Ok(client) = engine::http::Client::for_config(cfg, None) else {
        eprintln!("sagediag check: the tokens of this run could not be revoked (no HTTP client)");
        return;
    };
    let mut ledgers = vec![&cfg.ledger];
    if let Some(a) = admin {
        ledgers.push(&a.ledger);
    }
    if tokio::time::timeout(limit, give_back(&ledgers, &client))
        .await
        .is_err()
    {
        eprintln!(
            "sagediag check: revoking this run's tokens took over {} s: some may remain (Setup > Connected Apps OAuth Usage)",
            limit.as_secs()
        );
    }
}
