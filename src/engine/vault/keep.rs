//! The one keep/rotation policy: what to keep, where, after a login.

use super::{Kind, account};

/// Where kept secrets go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Keep {
    /// Not kept: forgotten when the program ends.
    #[default]
    Memory,
    /// The OS keyring.
    Keyring,
    /// A JSON file readable and writable by its owner only (plain text on disk).
    File,
}

impl Keep {
    pub const ALL: [Keep; 3] = [Keep::Memory, Keep::Keyring, Keep::File];

    pub fn name(self) -> &'static str {
        match self {
            Keep::Memory => "memory",
            Keep::Keyring => "keyring",
            Keep::File => "file",
        }
    }

    pub fn parse(s: &str) -> Option<Keep> {
        Keep::ALL.into_iter().find(|k| k.name() == s)
    }
}

/// One secret to keep, where, under which entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Write {
    pub keep: Keep,
    pub kind: Kind,
    pub account: String,
    pub secret: String,
}

/// What a successful login knows about its secrets, for [`plan_keep`].
#[derive(Debug, Clone, Copy)]
pub struct AfterLogin<'a> {
    pub login_url: &'a str,
    pub client_id: &'a str,
    pub username: Option<&'a str>,
    /// Where the user asked to keep secrets.
    pub keep: Keep,
    /// The consumer secret used, and the store it was recalled from (if any).
    pub client_secret: Option<&'a str>,
    pub secret_from: Option<Keep>,
    /// The refresh token the run started with, the one it ends with (after the token checks'
    /// refresh, which rotates it when rotation is on), and the store it was recalled from.
    pub refresh_given: Option<&'a str>,
    pub refresh_now: Option<&'a str>,
    pub refresh_from: Option<Keep>,
}

/// The one keep/rotation policy of both front ends: after a successful login, keep the consumer
/// secret and the current refresh token where the user asked; and even when the user keeps
/// nothing, put a rotated refresh token back where the old one came from (else the store would
/// hold a retired token whose reuse revokes the whole family).
pub fn plan_keep(a: AfterLogin<'_>) -> Vec<Write> {
    let mut writes = Vec::new();
    if let Some(secret) = a.client_secret.filter(|s| !s.is_empty())
        && a.keep != Keep::Memory
        && a.secret_from != Some(a.keep)
    {
        writes.push(Write {
            keep: a.keep,
            kind: Kind::ClientSecret,
            account: account(Kind::ClientSecret, a.login_url, a.client_id, None),
            secret: secret.to_string(),
        });
    }
    let rotated = a.refresh_now.is_some() && a.refresh_now != a.refresh_given;
    let target = if a.keep != Keep::Memory {
        Some(a.keep)
    } else if rotated {
        a.refresh_from
    } else {
        None
    };
    if let (Some(to), Some(rt)) = (target, a.refresh_now)
        && (rotated || a.refresh_from != Some(to))
    {
        writes.push(Write {
            keep: to,
            kind: Kind::RefreshToken,
            account: account(Kind::RefreshToken, a.login_url, a.client_id, a.username),
            secret: rt.to_string(),
        });
    }
    writes
}

#[cfg(test)]
mod plan_tests {
    use super::*;

    fn after<'a>(keep: Keep) -> AfterLogin<'a> {
        AfterLogin {
            login_url: "https://login.salesforce.com",
            client_id: "3MVG9x",
            username: Some("api@acme.com"),
            keep,
            client_secret: Some("s3cret"),
            secret_from: None,
            refresh_given: None,
            refresh_now: Some("rt-1"),
            refresh_from: None,
        }
    }

    #[test]
    fn keeps_what_was_asked_and_puts_rotated_tokens_back() {
        let kinds = |w: &[Write]| w.iter().map(|w| (w.kind, w.keep)).collect::<Vec<_>>();
        // Memory keeps nothing...
        assert!(plan_keep(after(Keep::Memory)).is_empty());
        // ...except a rotated refresh token recalled from a store: it goes back there.
        let rotated = AfterLogin {
            refresh_given: Some("rt-0"),
            refresh_from: Some(Keep::File),
            ..after(Keep::Memory)
        };
        assert_eq!(
            kinds(&plan_keep(rotated)),
            [(Kind::RefreshToken, Keep::File)]
        );
        // Keep = file: both, under their accounts.
        let w = plan_keep(after(Keep::File));
        assert_eq!(
            kinds(&w),
            [
                (Kind::ClientSecret, Keep::File),
                (Kind::RefreshToken, Keep::File)
            ]
        );
        assert!(w[1].account.contains("api@acme.com"));
        // Recalled from the same store and unchanged: nothing to write.
        let same = AfterLogin {
            secret_from: Some(Keep::File),
            refresh_given: Some("rt-1"),
            refresh_from: Some(Keep::File),
            ..after(Keep::File)
        };
        assert!(plan_keep(same).is_empty());
    }
}
