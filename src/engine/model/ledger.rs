//! The vocabulary of doing no harm: the run's [`Ledger`] of what it obtained, what was given
//! back ([`Revoked`]), a rotation said loudly ([`Rotation`]), where a new refresh token is kept
//! ([`Keeper`]). Noting and giving back is `engine::ledger`.

use std::sync::{Arc, Mutex};

use serde::Serialize;

/// Keeps a new refresh token where the user chose (blocking: the engine calls it on a blocking
/// thread); answers where it went, or why it could not.
pub type Keeper = Arc<dyn Fn(&str) -> Result<String, String> + Send + Sync>;

/// A refresh of a refresh token sagediag did not obtain returned a new one: the token given is
/// retired, and the integration must be given the new one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rotation {
    /// The new refresh token, masked ([`masked`]).
    pub new_refresh_token: String,
    /// Where it was kept as soon as it arrived (None: not kept; the front end hands it over).
    pub kept_in: Option<String>,
    /// Why it could not be kept, when keeping failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keep_failed: Option<String>,
    /// Always true: the token given no longer works.
    pub old_retired: bool,
}

impl Rotation {
    /// The loud line every front end shows.
    pub fn loud_line(&self) -> String {
        let place = match (&self.kept_in, &self.keep_failed) {
            (Some(p), _) => format!("It was kept in {p} as soon as it arrived."),
            (None, Some(why)) => format!("It could NOT be kept ({why})."),
            (None, None) => "sagediag did not keep it.".into(),
        };
        format!(
            "ROTATED: the refresh token given is now RETIRED. The new one is {}. {place} Give the integration the new refresh token now: its next refresh with the old one fails (and, under rotation, revokes the new one too).",
            self.new_refresh_token
        )
    }
}

/// A kind of token, as `--json` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    RefreshToken,
    AccessToken,
}

impl TokenKind {
    pub fn label(self) -> &'static str {
        match self {
            TokenKind::RefreshToken => "refresh token",
            TokenKind::AccessToken => "access token",
        }
    }
}

/// What became of one token the run held at its end. Never the token itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Revoked {
    pub kind: TokenKind,
    /// Whose grant: `"this run's"` or `"the integration's"` (a given or kept refresh token),
    /// or `"the admin's"`.
    pub grant: &'static str,
    /// `revoked`, `revoked with its refresh token`, `kept`, `left`, or `failed`.
    pub outcome: &'static str,
    /// Why, in a sentence (the server's error, sanitised and bounded).
    pub detail: String,
    /// The revoke request in the log, when one was sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<u64>,
}

impl Revoked {
    /// One line for a terminal or a report.
    pub fn line(&self) -> String {
        format!(
            "{} of {} grant: {}{}",
            self.kind.label(),
            self.grant,
            self.outcome,
            if self.detail.is_empty() {
                String::new()
            } else {
                format!(" ({})", self.detail)
            }
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// A login of this run created the grant.
    Own,
    /// The grant was handed in (a given or kept refresh token): the integration's.
    Given,
}

pub(crate) struct Grant {
    pub(crate) origin: Origin,
    /// Where the tokens came from (and go back to).
    pub(crate) login_url: String,
    /// The grant's current refresh token (after any rotation).
    pub(crate) refresh: Option<String>,
    /// Access tokens obtained on the grant (or alone, for flows without a refresh token).
    pub(crate) access: Vec<String>,
}

#[derive(Default)]
pub(crate) struct Inner {
    pub(crate) grants: Vec<Grant>,
    /// The user keeps this run's refresh token (`--keep-secrets`): its grant stays.
    pub(crate) keep: bool,
    /// The admin's ledger (its tokens are always given back).
    pub(crate) admin: bool,
    /// What [`revoke`] did, once it ran (a second call repeats the answer).
    pub(crate) done: Option<Vec<Revoked>>,
}

/// What a run obtained, shared by every clone.
#[derive(Clone, Default)]
pub struct Ledger(Arc<Mutex<Inner>>);

impl Ledger {
    /// A ledger whose grants are an admin's (named so in what [`revoke`] says).
    pub fn admin() -> Ledger {
        let l = Ledger::default();
        l.lock().admin = true;
        l
    }

    pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The user keeps the run's refresh token: its grant is not revoked at the end.
    pub fn set_keep(&self, keep: bool) {
        self.lock().keep = keep;
    }

    /// A login of this run obtained these tokens (a new grant, or a bare access token).
    pub fn login(&self, login_url: &str, access: &str, refresh: Option<&str>) {
        self.lock().grants.push(Grant {
            origin: Origin::Own,
            login_url: login_url.to_string(),
            refresh: refresh.map(str::to_string),
            access: vec![access.to_string()],
        });
    }

    /// Refreshing `old` returned `access` (and `new`, under rotation). A token no grant of this
    /// run holds is the integration's: its grant is noted as given.
    pub fn refreshed(&self, login_url: &str, old: &str, access: &str, new: Option<&str>) {
        let mut inner = self.lock();
        let found = inner
            .grants
            .iter_mut()
            .find(|g| g.refresh.as_deref() == Some(old));
        let grant = match found {
            Some(g) => g,
            None => {
                inner.grants.push(Grant {
                    origin: Origin::Given,
                    login_url: login_url.to_string(),
                    refresh: Some(old.to_string()),
                    access: Vec::new(),
                });
                let Some(g) = inner.grants.last_mut() else {
                    return;
                };
                g
            }
        };
        grant.access.push(access.to_string());
        if let Some(n) = new {
            grant.refresh = Some(n.to_string());
        }
    }

    /// Whether the run holds a token of its own to give back.
    pub fn holds_own(&self) -> bool {
        self.lock().grants.iter().any(|g| g.origin == Origin::Own)
    }
}
