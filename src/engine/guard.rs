//! The five-grant cap. Salesforce keeps at most five grants (refresh tokens) per user per app
//! and revokes the oldest when a sixth is made: usually the production integration's. Before a
//! web-server or device login, with a session that may read the user's OauthToken rows (an
//! admin's, `check --admin-*`), the grants are counted; at five of five no token request is
//! made without consent (`--allow-grant-eviction`, the console's question). After the login
//! they are counted again (the admin's session, else the new one: every user reads their own):
//! which grant the run made, and whether an earlier one is gone.

use super::context::Run;
use super::findings::{Code, Finding};
use super::model::{Event, Flow, Tokens};
use super::record::grants::{GRANT_CAP, OauthGrant, read_grants};
use super::record::query::Reader;

/// What was counted before the login.
pub struct Before {
    /// The app's name when the org says which app it is (one app in the org).
    app: Option<String>,
    /// The grants of the app (or, the app unknown, of the app with the most grants).
    grants: Vec<OauthGrant>,
}

/// A grant as the guard tells grants apart: its DeleteToken (never shown), else its creation.
fn same(a: &OauthGrant, b: &OauthGrant) -> bool {
    match (a.delete_token(), b.delete_token()) {
        (Some(x), Some(y)) => x == y,
        _ => a.created_ms == b.created_ms && a.app_name == b.app_name,
    }
}

fn when(g: &OauthGrant) -> String {
    format!(
        "created {}, last used {}",
        g.created.as_deref().unwrap_or("at an unknown time"),
        g.last_used.as_deref().unwrap_or("never")
    )
}

/// A SOQL string literal's inside: backslashes and quotes escaped.
fn soql_text(s: &str) -> String {
    s.replace('\\', "\\\\").replace('\'', "\\'")
}

/// The grants of `app`, or (app unknown) of the app holding the most; oldest first.
pub(crate) fn of_app(all: &[OauthGrant], app: Option<&str>) -> (Option<String>, Vec<OauthGrant>) {
    let name = app.map(str::to_string).or_else(|| {
        let mut names: Vec<&str> = all.iter().map(|g| g.app_name.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        names
            .into_iter()
            .max_by_key(|n| all.iter().filter(|g| g.is_for(n)).count())
            .map(str::to_string)
    });
    let mut list: Vec<OauthGrant> = match &name {
        Some(n) => all.iter().filter(|g| g.is_for(n)).cloned().collect(),
        None => Vec::new(),
    };
    list.sort_by_key(|g| g.created_ms);
    (name, list)
}

/// The app's name, when the org holds exactly one connected app or External Client App (the
/// consumer key names no app an admin can query).
async fn app_name(reader: &Reader<'_>) -> Option<String> {
    let ca = reader
        .query_all("SELECT Name FROM ConnectedApplication")
        .await
        .ok()?;
    let eca = reader
        .query_all("SELECT MasterLabel FROM ExternalClientApplication")
        .await
        .map(|r| r.records)
        .unwrap_or_default();
    let names: Vec<String> = ca
        .records
        .iter()
        .filter_map(|r| r["Name"].as_str())
        .chain(eca.iter().filter_map(|r| r["MasterLabel"].as_str()))
        .map(|s| super::sanitize::bounded(s, super::sanitize::MAX_VALUE, None))
        .collect();
    match names.as_slice() {
        [one] => Some(one.clone()),
        _ => None,
    }
}

/// Counts before a login that makes a grant. `Err`: at the cap without consent (the finding
/// is raised; nothing may be sent). `Ok(None)`: not counted (a progress line says why).
pub async fn before_login(run: &mut Run) -> Result<Option<Before>, ()> {
    if !matches!(run.cfg.flow, Flow::Web | Flow::Device) {
        return Ok(None);
    }
    let Some(admin) = run.cfg.admin_session.clone() else {
        run.emit(Event::Progress(
            "The user's grants for the app were not counted before this login (no admin session: --admin-username): the login makes a grant, and at five Salesforce revokes the oldest.".into(),
        ));
        return Ok(None);
    };
    let Some(username) = run.cfg.username.clone() else {
        run.emit(Event::Progress(
            "The user's grants were not counted before this login: no --username to find the user by.".into(),
        ));
        return Ok(None);
    };
    let client = run.client.clone();
    let reader = Reader {
        client: &client,
        instance_url: &admin.instance_url,
        access_token: &admin.access_token,
    };
    let user_id = match reader
        .query_all(&format!(
            "SELECT Id FROM User WHERE Username = '{}'",
            soql_text(&username)
        ))
        .await
    {
        Ok(rows) => rows
            .records
            .first()
            .and_then(|r| r["Id"].as_str())
            .filter(|id| super::record::is_sf_id(id))
            .map(str::to_string),
        Err(_) => None,
    };
    let Some(user_id) = user_id else {
        run.emit(Event::Progress(format!(
            "The user's grants were not counted before this login: the admin session found no user {username}."
        )));
        return Ok(None);
    };
    let app = app_name(&reader).await;
    let all = match read_grants(&client, &admin.instance_url, &admin.access_token, &user_id).await {
        Ok((all, _)) => all,
        Err(e) => {
            run.emit(Event::Progress(format!(
                "The user's grants were not counted before this login (OauthToken: {e}; needs Manage Users)."
            )));
            return Ok(None);
        }
    };
    let (name, grants) = of_app(&all, app.as_deref());
    let shown = name.clone().unwrap_or_else(|| "the app".into());
    if grants.len() >= GRANT_CAP
        && let Some(oldest) = grants.first()
    {
        let which = format!(
            "{username} holds {} of {GRANT_CAP} grants for {shown}; a new login revokes the oldest ({}){}.",
            grants.len(),
            when(oldest),
            if app.is_none() {
                " (the org has several apps: the count is of the app holding the most grants)"
            } else {
                ""
            }
        );
        if !run.cfg.allow_grant_eviction {
            run.raise(
                Finding::new(
                    Code::GRANT_CAP_CONSENT_NEEDED,
                    format!(
                        "{which} It is often the integration's own grant. No token request was made: run again with --allow-grant-eviction to log in anyway (the console asks), or revoke a stale grant first."
                    ),
                    vec![],
                )
                .titled(format!(
                    "At {} of {GRANT_CAP} grants: the login would revoke the grant {}",
                    grants.len(),
                    when(oldest)
                )),
            );
            return Err(());
        }
        run.emit(Event::Progress(format!("--allow-grant-eviction: {which}")));
    } else {
        run.emit(Event::Progress(format!(
            "{username} holds {} of {GRANT_CAP} grants for {shown} before this login.",
            grants.len()
        )));
    }
    Ok(Some(Before { app: name, grants }))
}

/// Counts again after a login that made a grant, from the integration's record read after it
/// (the admin's session, else the new one: every user reads their own grants): which grant the
/// run made, and whether an earlier one is gone (an error finding).
pub fn after_login(run: &mut Run, before: Option<Before>, tokens: &Tokens) {
    if !matches!(run.cfg.flow, Flow::Web | Flow::Device) || tokens.refresh_token.is_none() {
        return;
    }
    let Some(all) = run
        .integration
        .as_ref()
        .and_then(|r| r.grants.as_ref())
        .map(|g| g.grants.clone())
    else {
        run.emit(Event::Progress(
            "The user's grants were not counted after this login (OauthToken could not be read: see the record's unknowns).".into(),
        ));
        return;
    };
    // The run's grant: the newest, made since the run began (two minutes of clock skew).
    let since = run.started_ms.saturating_sub(120_000);
    let ours = all
        .iter()
        .filter(|g| g.created_ms.is_some_and(|c| c >= since))
        .max_by_key(|g| g.created_ms)
        .cloned();
    let app = before
        .as_ref()
        .and_then(|b| b.app.clone())
        .or_else(|| ours.as_ref().map(|g| g.app_name.clone()));
    let (name, now) = of_app(&all, app.as_deref());
    let shown = name.unwrap_or_else(|| "the app".into());
    let mine = ours
        .as_ref()
        .map(|g| format!("this run's grant is the one {}", when(g)))
        .unwrap_or_else(|| "this run's grant is not among them".into());
    run.emit(Event::Progress(format!(
        "After this login the user holds {} of {GRANT_CAP} grants for {shown}: {mine}.",
        now.len()
    )));
    match before {
        Some(b) => {
            let gone: Vec<&OauthGrant> = b
                .grants
                .iter()
                .filter(|old| !now.iter().any(|n| same(old, n)))
                .collect();
            for g in gone {
                run.raise(
                    Finding::new(
                        Code::GRANT_EVICTED,
                        format!(
                            "Before this login the user held {} grants for {shown}; the grant {} is gone now: Salesforce revoked it to make room for this run's. If it was the integration's, its next refresh fails with invalid_grant: log the integration in again.",
                            b.grants.len(),
                            when(g)
                        ),
                        vec![],
                    )
                    .titled(format!("This run's login evicted the grant {}", when(g))),
                );
            }
        }
        None if now.len() >= GRANT_CAP => {
            run.raise(
                Finding::new(
                    Code::GRANT_EVICTED,
                    format!(
                        "After this login the user holds {} of {GRANT_CAP} grants for {shown}, one of them this run's. Unless the user held only {} before, Salesforce revoked the oldest grant to make room (often the integration's): check that the integration still refreshes, and log it in again if not. Next time give --admin-username: sagediag then counts first and asks.",
                        now.len(),
                        GRANT_CAP - 1
                    ),
                    vec![],
                )
                .titled("This run's login may have evicted the user's oldest grant"),
            );
        }
        None => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn soql_literals_are_escaped() {
        assert_eq!(soql_text(r"o'brien\x@acme.com"), r"o\'brien\\x@acme.com");
    }
}
