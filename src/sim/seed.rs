//! What a scenario file may seed in the org's record: `[[login_history]]` rows and
//! `[[oauth_tokens]]` grants, at times given relative to the org's start ("3d 4h", "90m", or
//! a number of minutes). Validated with the rest of the scenario.

use serde::{Deserialize, Serialize};

use super::scenario::Scenario;

/// At most this many seeded LoginHistory rows in all.
pub const MAX_SEEDED_LOGINS: u64 = 10_000;
/// A seeded time lies at most this far back (Salesforce keeps LoginHistory six months).
pub const MAX_AGO_DAYS: u64 = 400;
/// Salesforce's cap: five grants (refresh tokens) per user per app.
pub const GRANT_CAP: usize = 5;

/// A time before the org's start: `"3d 4h"`, `"90m"`, `"45s"`, or a number of minutes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Ago(pub String);

impl Serialize for Ago {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Ago {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Minutes(u64),
            Text(String),
        }
        Ok(match Raw::deserialize(d)? {
            Raw::Minutes(n) => Ago(format!("{n}m")),
            Raw::Text(s) => Ago(s),
        })
    }
}

impl Ago {
    /// Milliseconds; None when the text is not of the form, or lies past `MAX_AGO_DAYS`.
    /// Empty is zero.
    pub fn ms(&self) -> Option<u64> {
        let mut total: u64 = 0;
        for part in self.0.split_whitespace() {
            let unit = part.chars().last()?;
            let digits = part.strip_suffix(unit)?;
            let n: u64 = if unit.is_ascii_digit() {
                part.parse::<u64>().ok()?.checked_mul(60)?
            } else {
                let n: u64 = digits.parse().ok()?;
                match unit {
                    'd' => n.checked_mul(86_400)?,
                    'h' => n.checked_mul(3_600)?,
                    'm' => n.checked_mul(60)?,
                    's' => n,
                    _ => return None,
                }
            };
            total = total.checked_add(n)?;
        }
        (total <= MAX_AGO_DAYS * 86_400).then_some(total.saturating_mul(1000))
    }

    pub fn is_empty(&self) -> bool {
        self.0.trim().is_empty()
    }
}

/// `[[login_history]]`: `count` rows with one Status, the newest `ago` before the start, the
/// others spread evenly over `span` before it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct LoginHistorySeed {
    /// The user's username; empty: the integration user.
    pub user: String,
    /// Salesforce's exact Status text, e.g. `Failed: Invalid Code Verifier`.
    pub status: String,
    /// Empty: the app's name.
    pub application: String,
    pub login_type: String,
    pub source_ip: String,
    pub ago: Ago,
    pub span: Ago,
    pub count: u64,
}

impl Default for LoginHistorySeed {
    fn default() -> Self {
        Self {
            user: String::new(),
            status: "Success".into(),
            application: String::new(),
            login_type: "Remote Access 2.0".into(),
            source_ip: "203.0.113.10".into(),
            ago: Ago::default(),
            span: Ago::default(),
            count: 1,
        }
    }
}

/// `[[oauth_tokens]]`: a grant the user gave the app before the start (an OauthToken row).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(default, deny_unknown_fields)]
pub struct OauthTokenSeed {
    /// The user's username; empty: the integration user.
    pub user: String,
    /// Empty: the app's name.
    pub app: String,
    pub created_ago: Ago,
    /// Empty: never used (LastUsedDate null).
    pub last_used_ago: Ago,
    pub use_count: u64,
}

/// The user the scenario's integration runs as (`sagediag sim` hands out its credentials): the
/// first auto-approved user, else the first; never the admin the simulator adds
/// (`sobjects::add_admin`), so that seeds name the same user before and after it is added.
pub fn integration_user(s: &Scenario) -> usize {
    s.users
        .iter()
        .position(|u| u.auto_approve && !(u.manage_users && u.assign_permission_sets))
        .unwrap_or(0)
}

/// The user a seed names (empty: the integration user).
pub fn seed_user(s: &Scenario, username: &str) -> Option<usize> {
    if username.is_empty() {
        Some(integration_user(s))
    } else {
        s.user(username).map(|(i, _)| i)
    }
}

fn bad_ago(a: &Ago) -> String {
    format!(
        "`{}` is not a time ago: use e.g. \"3d 4h\", \"90m\" or a number of minutes, at most {MAX_AGO_DAYS} days",
        a.0
    )
}

/// Err: (dotted field, message).
pub fn validate(s: &Scenario) -> Result<(), (String, String)> {
    let err = |f: &str, m: String| Err((f.to_string(), m));
    let mut rows: u64 = 0;
    for seed in &s.login_history {
        if seed_user(s, &seed.user).is_none() {
            return err(
                "login_history.user",
                format!("`{}` is not one of the scenario's users", seed.user),
            );
        }
        if seed.status.trim().is_empty() {
            return err("login_history.status", "must not be empty".into());
        }
        for (f, a) in [
            ("login_history.ago", &seed.ago),
            ("login_history.span", &seed.span),
        ] {
            if a.ms().is_none() {
                return err(f, bad_ago(a));
            }
        }
        if seed.count == 0 {
            return err("login_history.count", "must be at least 1".into());
        }
        rows = rows.saturating_add(seed.count);
        if rows > MAX_SEEDED_LOGINS {
            return err(
                "login_history.count",
                format!("at most {MAX_SEEDED_LOGINS} seeded rows in all"),
            );
        }
    }
    let mut per: Vec<(usize, String)> = Vec::new();
    for seed in &s.oauth_tokens {
        let Some(user) = seed_user(s, &seed.user) else {
            return err(
                "oauth_tokens.user",
                format!("`{}` is not one of the scenario's users", seed.user),
            );
        };
        let (Some(created), last) = (seed.created_ago.ms(), seed.last_used_ago.ms()) else {
            return err("oauth_tokens.created_ago", bad_ago(&seed.created_ago));
        };
        let Some(last) = last else {
            return err("oauth_tokens.last_used_ago", bad_ago(&seed.last_used_ago));
        };
        if !seed.last_used_ago.is_empty() && last > created {
            return err(
                "oauth_tokens.last_used_ago",
                "a grant cannot be used before it was created".into(),
            );
        }
        let app = if seed.app.is_empty() {
            s.app.name.clone()
        } else {
            seed.app.clone()
        };
        per.push((user, app.to_lowercase()));
        let key = per.last().cloned().unwrap_or_default();
        if per.iter().filter(|k| **k == key).count() > GRANT_CAP {
            return err(
                "oauth_tokens.app",
                format!("at most {GRANT_CAP} grants per user per app (Salesforce's cap)"),
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agos_parse() {
        assert_eq!(
            Ago("3d 4h".into()).ms(),
            Some((3 * 86_400 + 4 * 3600) * 1000)
        );
        assert_eq!(Ago("90".into()).ms(), Some(90 * 60_000));
        assert_eq!(Ago("".into()).ms(), Some(0));
        assert_eq!(Ago("3 fortnights".into()).ms(), None);
        assert_eq!(Ago("401d".into()).ms(), None);
        assert_eq!(Ago("é".into()).ms(), None);
        assert_eq!(Ago("99999999999999999999d".into()).ms(), None);
    }
}
