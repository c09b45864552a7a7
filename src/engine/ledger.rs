//! Doing no harm: what a run obtained from the org, and giving it back.
//!
//! Every token a login of the run obtains is noted here as it arrives (the ledger is shared by
//! every clone of the run's [`Config`](super::model::Config), so a front end that keeps its
//! copy sees it even when the run is aborted mid-way). At the end of the run (`check`, a
//! console re-run, quit, Ctrl-C, SIGTERM/SIGHUP) the front end calls [`revoke`], which revokes
//! through `/services/oauth2/revoke` what the run obtained, except what the user chose to keep,
//! and says what it did in words that never quote a token.
//!
//! A grant sagediag did not create (the refresh token the user handed in, or one kept from an
//! earlier run) is the integration's: nothing of it is revoked, not even the access token its
//! refresh returned (the simulated org's contract says revoking an access token of a grant
//! deletes the grant; Salesforce documents that it revokes the access token only: see
//! docs/security.md).

use std::sync::Arc;

use super::context::Run;
use super::http::{Client, Request};
use super::model::{Event, Flow, Tokens};

use super::model::ledger::Origin;
pub use super::model::ledger::{Keeper, Ledger, Revoked, Rotation, TokenKind};

/// A keeper storing a refresh token where the user chose (`keep`), or back where a kept one
/// came from (`recalled`), under the run's entry. None: nowhere to keep it.
pub fn keeper(
    cfg: &super::model::Config,
    vault: &super::vault::Vault,
    keep: super::vault::Keep,
    recalled: Option<super::vault::Keep>,
) -> Option<Keeper> {
    use super::vault::{Keep, Kind};
    let target = if keep != Keep::Memory {
        keep
    } else {
        recalled?
    };
    let account = super::vault::account(
        Kind::RefreshToken,
        &cfg.environment.login_url(),
        &cfg.client_id,
        cfg.username.as_deref(),
    );
    let vault = vault.clone();
    Some(Arc::new(move |rt: &str| {
        vault
            .store(target, &account, rt)
            .map(|()| vault.describe(target))
            .map_err(|e| e.to_string())
    }))
}

/// After a login: what it obtained goes in the ledger; a refresh token it obtained is kept at
/// once where the user chose; a rotation of a refresh token given is kept at once and said
/// loudly (`run.rotation`).
pub(super) async fn after_login(run: &mut Run, given: Option<String>, tokens: &Tokens) {
    let base = run.login_url.clone();
    match (run.cfg.flow, given) {
        (Flow::Token, _) => {}
        (Flow::Refresh, Some(given)) => {
            let new = tokens
                .refresh_token
                .as_deref()
                .filter(|n| *n != given)
                .map(str::to_string);
            run.cfg
                .ledger
                .refreshed(&base, &given, &tokens.access_token, new.as_deref());
            if let Some(new) = new {
                let (kept_in, keep_failed) = keep_now(run, &new).await;
                let r = Rotation {
                    new_refresh_token: masked(&new),
                    kept_in,
                    keep_failed,
                    old_retired: true,
                };
                run.emit(Event::Progress(r.loud_line()));
                tracing::warn!(
                    kept = r.kept_in.is_some(),
                    "the refresh token given was rotated: the old one is retired"
                );
                run.rotation = Some(r);
            }
        }
        _ => {
            run.cfg
                .ledger
                .login(&base, &tokens.access_token, tokens.refresh_token.as_deref());
            if let Some(rt) = &tokens.refresh_token {
                keep_now(run, rt).await;
            }
        }
    }
}

/// Keeps a refresh token where the user chose, at once (before any later request), when the
/// front end gave a keeper: where it went, or why not.
pub async fn keep_now(run: &Run, refresh_token: &str) -> (Option<String>, Option<String>) {
    let Some(keeper) = run.cfg.keeper.clone() else {
        return (None, None);
    };
    let rt = refresh_token.to_string();
    match tokio::task::spawn_blocking(move || keeper(&rt)).await {
        Ok(Ok(place)) => (Some(place), None),
        Ok(Err(why)) => {
            let why = super::sanitize::bounded(&run.client.scrub(&why), 300, None);
            run.emit(Event::Progress(format!(
                "Could not keep the refresh token: {why}"
            )));
            (None, Some(why))
        }
        Err(e) => (None, Some(e.to_string())),
    }
}

/// Revokes what the ledger holds that the run obtained and nobody keeps, once; says what became
/// of every token held. The requests go through `client` (recorded, redacted) to the login host
/// each token came from.
pub async fn revoke(ledger: &Ledger, client: &Client) -> Vec<Revoked> {
    let (grants, keep, admin) = {
        let mut inner = ledger.lock();
        if let Some(done) = &inner.done {
            return done.clone();
        }
        inner.done = Some(Vec::new());
        (std::mem::take(&mut inner.grants), inner.keep, inner.admin)
    };
    let mut out = Vec::new();
    for g in grants {
        let whose = match (g.origin, admin) {
            (Origin::Given, _) => "the integration's",
            (Origin::Own, true) => "the admin's",
            (Origin::Own, false) => "this run's",
        };
        if g.origin == Origin::Given {
            if g.refresh.is_some() {
                out.push(Revoked {
                    kind: TokenKind::RefreshToken,
                    grant: whose,
                    outcome: "left",
                    detail: "it was given, not obtained: it stays the integration's".into(),
                    request_id: None,
                });
            }
            for _ in &g.access {
                out.push(Revoked {
                    kind: TokenKind::AccessToken,
                    grant: whose,
                    outcome: "left",
                    detail:
                        "issued on the integration's grant; it expires with the session timeout"
                            .into(),
                    request_id: None,
                });
            }
            continue;
        }
        if keep && !admin && g.refresh.is_some() {
            out.push(Revoked {
                kind: TokenKind::RefreshToken,
                grant: whose,
                outcome: "kept",
                detail: "--keep-secrets: the grant stays".into(),
                request_id: None,
            });
            continue;
        }
        let url = format!(
            "{}/services/oauth2/revoke",
            g.login_url.trim_end_matches('/')
        );
        let mut access_left = g.access.clone();
        if let Some(rt) = &g.refresh {
            let (id, result) = send_revoke(client, &url, rt).await;
            let failed = result.clone().err();
            out.push(Revoked {
                kind: TokenKind::RefreshToken,
                grant: whose,
                outcome: if failed.is_none() {
                    "revoked"
                } else {
                    "failed"
                },
                detail: failed.clone().unwrap_or_default(),
                request_id: Some(id),
            });
            if failed.is_none() {
                for _ in access_left.drain(..) {
                    out.push(Revoked {
                        kind: TokenKind::AccessToken,
                        grant: whose,
                        outcome: "revoked with its refresh token",
                        detail: String::new(),
                        request_id: Some(id),
                    });
                }
            }
        }
        for at in access_left {
            let (id, result) = send_revoke(client, &url, &at).await;
            out.push(Revoked {
                kind: TokenKind::AccessToken,
                grant: whose,
                outcome: if result.is_ok() { "revoked" } else { "failed" },
                detail: result.err().unwrap_or_default(),
                request_id: Some(id),
            });
        }
    }
    for r in &out {
        tracing::info!(what = %r.line(), "token given back");
    }
    ledger.lock().done = Some(out.clone());
    out
}

/// One revoke request: Ok on 200, else why (bounded, sanitised, never the token).
async fn send_revoke(client: &Client, url: &str, token: &str) -> (u64, Result<(), String>) {
    client.add_secret(token);
    let (id, result) = client
        .send(Request::post_form(url, &[("token", token)]))
        .await;
    let result = match result {
        Ok(r) if r.status == 200 => Ok(()),
        Ok(r) => Err(super::sanitize::bounded(
            &client.scrub(&format!("HTTP {}: {}", r.status, r.text())),
            200,
            Some(id),
        )),
        Err(f) => Err(super::sanitize::bounded(
            &client.scrub(&f.to_string()),
            200,
            Some(id),
        )),
    };
    (id, result)
}

/// A secret as shown when it must be recognisable but not usable: its length and last four
/// characters.
pub fn masked(secret: &str) -> String {
    let n = secret.chars().count();
    let tail: String = secret.chars().skip(n.saturating_sub(4)).collect::<String>();
    if n < 12 {
        format!("•••• ({n} characters)")
    } else {
        format!("••••{tail} ({n} characters)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refresh_of_a_token_no_login_obtained_is_the_integrations() {
        let l = Ledger::default();
        l.login("https://x", "at1", Some("rt1"));
        l.refreshed("https://x", "rt1", "at2", Some("rt2"));
        l.refreshed("https://x", "given", "at3", None);
        let inner = l.lock();
        assert_eq!(inner.grants.len(), 2);
        assert_eq!(inner.grants[0].refresh.as_deref(), Some("rt2"));
        assert_eq!(inner.grants[0].access, ["at1", "at2"]);
        assert_eq!(inner.grants[1].origin, Origin::Given);
    }

    #[test]
    fn masking_shows_the_tail_only() {
        assert_eq!(
            masked("5Aep861abcdefghijklmnopWXYZ"),
            "••••WXYZ (27 characters)"
        );
        assert_eq!(masked("short"), "•••• (5 characters)");
    }
}
