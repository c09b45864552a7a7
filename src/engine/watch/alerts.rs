//! Alert targets and what is sent to them: a generic webhook signed the Standard Webhooks way,
//! and a Slack incoming webhook. One notification per incident transition (opened, escalated,
//! resolved), naming the org, the finding, its fix and the times. Sending, retries and rate
//! limits are in `alerts_send.rs`.
//!
//! Secrets: the signing secret (`whsec_…`) never leaves [`WebhookSecret`] (no `Display`, a
//! redacted `Debug`, no `Serialize`); a webhook URL's secrets (Slack's `/services/T…/B…/…` path,
//! any query string, a user name and password, long path segments that look like tokens) are
//! shown only as [`AlertTarget::redacted_url`], and every error text is scrubbed of them
//! ([`AlertTarget::scrub`]) before it reaches the store, a log or the screen.

use aws_lc_rs::hmac;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use url::Url;

use super::model::{Transition, TransitionKind};
use crate::engine::environment::is_loopback_url;
use crate::engine::http::REDACTED;
use crate::engine::sanitize;

/// The Standard Webhooks signing secret: `whsec_` then the base64 of 24 to 64 random bytes
/// (standard-webhooks spec 1.0.0, "Signature scheme": "Random. At least 24 bytes", base64,
/// prefixed `whsec_`). Only the decoded bytes are kept; they key the HMAC and nothing else.
#[derive(Clone)]
pub struct WebhookSecret(Vec<u8>);

impl std::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "WebhookSecret({REDACTED})")
    }
}

/// Why a target cannot be used. The messages never quote a secret or a whole URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error(
        "the webhook signing secret is not in the Standard Webhooks form `whsec_<base64>` (SAGEDIAG_WEBHOOK_SECRET): {0}"
    )]
    BadSecret(&'static str),
    #[error("the {what} URL is not a URL ({reason}): give the full https://… address")]
    NotAUrl { what: &'static str, reason: String },
    #[error(
        "the {what} URL `{shown}` uses plain http: alerts go over https (plain http only to a loopback address)"
    )]
    PlainHttp { what: &'static str, shown: String },
    #[error("the {what} URL `{shown}` uses {scheme}: give an https URL")]
    Scheme {
        what: &'static str,
        shown: String,
        scheme: String,
    },
    #[error(
        "`{shown}` is not a Slack incoming webhook: it is https://hooks.slack.com/services/T…/B…/… (Slack: Apps, Incoming Webhooks)"
    )]
    NotSlack { shown: String },
}

impl WebhookSecret {
    /// Reads `whsec_<base64>`. The error says what is wrong, never what was given.
    pub fn parse(s: &str) -> Result<WebhookSecret, TargetError> {
        let b64 = s
            .trim()
            .strip_prefix("whsec_")
            .ok_or(TargetError::BadSecret("it does not start with `whsec_`"))?;
        let bytes = STANDARD
            .decode(b64)
            .map_err(|_| TargetError::BadSecret("what follows `whsec_` is not base64"))?;
        if bytes.len() < 24 {
            return Err(TargetError::BadSecret(
                "the secret is shorter than 24 bytes (generate 32 random bytes and base64 them)",
            ));
        }
        if bytes.len() > 64 {
            return Err(TargetError::BadSecret("the secret is longer than 64 bytes"));
        }
        Ok(WebhookSecret(bytes))
    }

    /// `v1,<base64(HMAC-SHA256(secret, "{id}.{timestamp}.{body}"))>`.
    ///
    /// Signed with aws-lc-rs (already in the tree for TLS and the JWT) rather than the
    /// `standardwebhooks` crate: that crate brings base64 0.21, http 0.2, time and its own
    /// SHA-256 (`hmac-sha256`), duplicates of what sagediag already has, for three lines.
    pub fn sign(&self, id: &str, timestamp: i64, body: &str) -> String {
        let key = hmac::Key::new(hmac::HMAC_SHA256, &self.0);
        let tag = hmac::sign(&key, format!("{id}.{timestamp}.{body}").as_bytes());
        format!("v1,{}", STANDARD.encode(tag.as_ref()))
    }
}

/// Where alerts go. The name is what the store keeps (`Delivery::target`), never the URL.
#[derive(Debug, Clone)]
pub enum AlertTarget {
    Webhook {
        name: String,
        url: Url,
        secret: Option<WebhookSecret>,
    },
    Slack {
        name: String,
        url: Url,
    },
}

/// Checks the scheme: https anywhere, plain http only to loopback.
fn check_scheme(what: &'static str, url: &Url) -> Result<(), TargetError> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback_url(url.as_str()) => Ok(()),
        "http" => Err(TargetError::PlainHttp {
            what,
            shown: redact(url, false),
        }),
        other => Err(TargetError::Scheme {
            what,
            shown: redact(url, false),
            scheme: sanitize::bounded(other, 40, None),
        }),
    }
}

fn parse_url(what: &'static str, s: &str) -> Result<Url, TargetError> {
    let url = Url::parse(s.trim()).map_err(|e| TargetError::NotAUrl {
        what,
        reason: e.to_string(),
    })?;
    if url.host_str().is_none_or(str::is_empty) {
        return Err(TargetError::NotAUrl {
            what,
            reason: "no host".into(),
        });
    }
    Ok(url)
}

/// A path segment that looks like a token (Discord's and Teams' webhook paths carry one).
fn looks_secret(segment: &str) -> bool {
    segment.chars().count() >= 20
}

/// The URL as it may be shown: no user name or password, no query or fragment; for Slack
/// nothing after `/services/`; elsewhere any path segment of 20 characters or more redacted.
fn redact(url: &Url, slack: bool) -> String {
    let mut shown = format!("{}://", url.scheme());
    if let Some(host) = url.host_str() {
        shown.push_str(host);
    }
    if let Some(port) = url.port() {
        shown.push(':');
        shown.push_str(&port.to_string());
    }
    let segments: Vec<&str> = url.path_segments().map(|s| s.collect()).unwrap_or_default();
    if slack {
        let mut it = segments.iter();
        match it.next() {
            Some(first) if !first.is_empty() => {
                shown.push('/');
                shown.push_str(first);
                if it.next().is_some() {
                    shown.push('/');
                    shown.push_str(REDACTED);
                }
            }
            _ => shown.push('/'),
        }
    } else {
        for s in &segments {
            shown.push('/');
            shown.push_str(if looks_secret(s) { REDACTED } else { s });
        }
        if segments.is_empty() {
            shown.push('/');
        }
    }
    if url.query().is_some() {
        shown.push('?');
        shown.push_str(REDACTED);
    }
    sanitize::bounded(&shown, 300, None)
}

impl AlertTarget {
    /// A generic webhook target; `secret` is `SAGEDIAG_WEBHOOK_SECRET`'s `whsec_…`, if any.
    pub fn webhook(
        name: &str,
        url: &str,
        secret: Option<&str>,
    ) -> Result<AlertTarget, TargetError> {
        let url = parse_url("webhook", url)?;
        check_scheme("webhook", &url)?;
        let secret = secret
            .filter(|s| !s.trim().is_empty())
            .map(WebhookSecret::parse)
            .transpose()?;
        Ok(AlertTarget::Webhook {
            name: name.to_string(),
            url,
            secret,
        })
    }

    /// A Slack incoming webhook (`https://hooks.slack.com/services/…`; any loopback URL whose
    /// path starts `/services/` for tests).
    pub fn slack(name: &str, url: &str) -> Result<AlertTarget, TargetError> {
        let url = parse_url("Slack webhook", url)?;
        check_scheme("Slack webhook", &url)?;
        let services = url.path().starts_with("/services/");
        let slack_host = url.host_str() == Some("hooks.slack.com")
            || url
                .host_str()
                .is_some_and(|h| h.ends_with(".slack-gov.com") || h == "hooks.slack-gov.com");
        if !services || !(slack_host || is_loopback_url(url.as_str())) {
            return Err(TargetError::NotSlack {
                shown: redact(&url, true),
            });
        }
        Ok(AlertTarget::Slack {
            name: name.to_string(),
            url,
        })
    }

    pub fn name(&self) -> &str {
        match self {
            AlertTarget::Webhook { name, .. } | AlertTarget::Slack { name, .. } => name,
        }
    }

    pub fn url(&self) -> &Url {
        match self {
            AlertTarget::Webhook { url, .. } | AlertTarget::Slack { url, .. } => url,
        }
    }

    pub fn is_slack(&self) -> bool {
        matches!(self, AlertTarget::Slack { .. })
    }

    /// The URL as it may be shown anywhere (see the module's comment).
    pub fn redacted_url(&self) -> String {
        redact(self.url(), self.is_slack())
    }

    /// The parts of the URL that are secrets, longest first: what [`AlertTarget::scrub`]
    /// removes from any text (an error of the HTTP stack quotes the whole URL).
    pub fn secret_parts(&self) -> Vec<String> {
        let url = self.url();
        let mut parts = vec![url.as_str().to_string()];
        if let Some(p) = url.password() {
            parts.push(p.to_string());
            if let Ok(decoded) = urlencoding_decode(p) {
                parts.push(decoded);
            }
        }
        if !url.username().is_empty() {
            parts.push(format!("{}@", url.username()));
        }
        if let Some(q) = url.query() {
            parts.push(q.to_string());
            for (_, v) in url.query_pairs() {
                parts.push(v.into_owned());
            }
        }
        let segments: Vec<&str> = url.path_segments().map(|s| s.collect()).unwrap_or_default();
        if self.is_slack() {
            // Everything after /services/.
            if let Some(rest) = url.path().strip_prefix("/services/") {
                parts.push(rest.to_string());
            }
            parts.extend(segments.iter().skip(1).map(|s| s.to_string()));
        } else {
            parts.extend(
                segments
                    .iter()
                    .filter(|s| looks_secret(s))
                    .map(|s| s.to_string()),
            );
        }
        // Short values (a one-letter query value) would shred unrelated text; the whole URL and
        // the query string still cover them.
        parts.retain(|p| p.chars().count() >= 4);
        parts.sort_by_key(|p| std::cmp::Reverse(p.len()));
        parts.dedup();
        parts
    }

    /// A text with every secret part of the URL replaced (the whole URL by its redacted form),
    /// then sanitised and bounded: what may be stored or shown of an error.
    pub fn scrub(&self, text: &str) -> String {
        let mut out = text.replace(self.url().as_str(), &self.redacted_url());
        for part in self.secret_parts() {
            if out.contains(part.as_str()) {
                out = out.replace(part.as_str(), REDACTED);
            }
        }
        sanitize::bounded(&out, 500, None)
    }
}

/// Percent-decoding of a URL's password (the `url` crate keeps it encoded).
fn urlencoding_decode(s: &str) -> Result<String, std::string::FromUtf8Error> {
    let bytes: Vec<u8> = url::form_urlencoded::parse(format!("p={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned().into_bytes())
        .unwrap_or_default();
    String::from_utf8(bytes)
}

/// `incident.opened`, `incident.escalated`, `incident.resolved`.
pub fn event_type(kind: TransitionKind) -> &'static str {
    match kind {
        TransitionKind::Opened => "incident.opened",
        TransitionKind::Escalated => "incident.escalated",
        TransitionKind::Resolved => "incident.resolved",
    }
}

/// Unix seconds as RFC 3339 in UTC (`2026-12-07T16:50:34Z`).
pub fn rfc3339(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|| secs.to_string())
}

/// A transition with its server-derived texts sanitised and bounded (they were when stored;
/// this holds whatever a store holds).
fn clean(t: &Transition) -> Transition {
    let mut t = t.clone();
    t.org = sanitize::bounded(&t.org, 200, None);
    t.code = sanitize::bounded(&t.code, 100, None);
    t.severity = sanitize::bounded(&t.severity, 40, None);
    t.title = sanitize::bounded(&t.title, 500, None);
    t.fix = t
        .fix
        .iter()
        .take(20)
        .map(|f| sanitize::bounded(f, 1000, None))
        .collect();
    t
}

/// The generic webhook's body: `{"type", "timestamp" (the transition's time), "data"}` with
/// `data` the [`Transition`], as one compact JSON text (the exact bytes signed and sent).
pub fn webhook_body(t: &Transition) -> String {
    let doc = json!({
        "type": event_type(t.kind),
        "timestamp": rfc3339(t.at),
        "data": clean(t),
    });
    sanitize::json(&doc.to_string()).into_owned()
}

/// Slack's mrkdwn needs `&`, `<` and `>` escaped (Slack API docs, "Formatting text").
fn slack_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The Slack message: a `text` fallback (notifications, screen readers) and blocks with the
/// same words: the org, the finding, its fix and the times.
pub fn slack_body(t: &Transition) -> Value {
    let t = clean(t);
    let (verb, mark) = match t.kind {
        TransitionKind::Opened => ("opened", ":red_circle:"),
        TransitionKind::Escalated => ("escalated", ":rotating_light:"),
        TransitionKind::Resolved => ("resolved", ":large_green_circle:"),
    };
    let org = slack_escape(&t.org);
    let title = slack_escape(&t.title);
    let code = slack_escape(&t.code);
    let sev = slack_escape(&t.severity);
    let headline = format!(
        "{mark} sagediag: incident {verb} on {org}: {code} ({sev}) {title}",
        mark = mark
    );
    let times = format!(
        "First seen {} · last seen {} · {verb} {}",
        rfc3339(t.first_seen),
        rfc3339(t.last_seen),
        rfc3339(t.at)
    );
    let fix = if t.kind == TransitionKind::Resolved || t.fix.is_empty() {
        String::new()
    } else {
        let steps: Vec<String> = t
            .fix
            .iter()
            .map(|f| format!("• {}", slack_escape(f)))
            .collect();
        format!("Fix:\n{}", steps.join("\n"))
    };
    let mut text = format!("{headline}\n{times}");
    if !fix.is_empty() {
        text.push('\n');
        text.push_str(&fix);
    }
    let mut blocks = vec![
        json!({"type": "section", "text": {"type": "mrkdwn", "text": headline}}),
        json!({"type": "context", "elements": [{"type": "mrkdwn", "text": times}]}),
    ];
    if !fix.is_empty() {
        // A section's text is at most 3000 characters (Slack Block Kit reference).
        let fix: String = fix.chars().take(2900).collect();
        blocks.push(json!({"type": "section", "text": {"type": "mrkdwn", "text": fix}}));
    }
    json!({"text": text, "blocks": blocks})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transition() -> Transition {
        Transition {
            incident_id: 7,
            org: "acme".into(),
            code: "PERMISSION_SET_MISSING".into(),
            kind: TransitionKind::Opened,
            severity: "error".into(),
            title: "A permission set <b>is</b> missing\x1b[31m".into(),
            fix: vec!["Assign it again & re-run".into()],
            first_seen: 1_765_000_000,
            last_seen: 1_765_000_900,
            at: 1_765_000_900,
        }
    }

    #[test]
    fn secrets_parse_and_sign_like_the_spec() {
        // The reference libraries' test vector (standard-webhooks, libraries' test suites):
        // secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw, id msg_p5jXN8AQM9LWM0D4loKWxJek,
        // timestamp 1614265330, body {"test": 2432232314}.
        let s = WebhookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        assert_eq!(
            s.sign(
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1614265330,
                r#"{"test": 2432232314}"#
            ),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
        assert!(format!("{s:?}").contains(REDACTED));
        for bad in ["MfKQ9r8", "whsec_!!!", "whsec_c2hvcnQ="] {
            let e = WebhookSecret::parse(bad).unwrap_err().to_string();
            assert!(!e.contains("MfKQ") && !e.contains("c2hvcnQ"), "{e}");
        }
    }

    #[test]
    fn urls_are_checked_and_redacted() {
        let slack = AlertTarget::slack(
            "slack",
            "https://hooks.slack.com/services/T0001/B0002/XXXXsecretXXXX",
        )
        .unwrap();
        assert_eq!(
            slack.redacted_url(),
            "https://hooks.slack.com/services/[REDACTED]"
        );
        let e = slack.scrub(
            "error sending request for url (https://hooks.slack.com/services/T0001/B0002/XXXXsecretXXXX)",
        );
        assert!(!e.contains("XXXXsecret") && !e.contains("T0001"), "{e}");
        let hook = AlertTarget::webhook(
            "webhook-1",
            "https://bob:pa55word@alerts.example.com/hooks/abcdefghijklmnopqrstuvwxyz?token=s3cr3t",
            None,
        )
        .unwrap();
        let shown = hook.redacted_url();
        assert_eq!(
            shown,
            "https://alerts.example.com/hooks/[REDACTED]?[REDACTED]"
        );
        let e = hook.scrub("failed: pa55word s3cr3t abcdefghijklmnopqrstuvwxyz bob@");
        assert!(!e.contains("pa55word") && !e.contains("s3cr3t") && !e.contains("abcdefghij"));
        assert!(matches!(
            AlertTarget::webhook("w", "http://alerts.example.com/x?token=s3cr3t", None),
            Err(TargetError::PlainHttp { shown, .. }) if !shown.contains("s3cr3t")
        ));
        assert!(AlertTarget::webhook("w", "http://127.0.0.1:9/x", None).is_ok());
        assert!(AlertTarget::webhook("w", "ftp://x.example/", None).is_err());
        assert!(matches!(
            AlertTarget::slack("s", "https://evil.example/services/T/B/X"),
            Err(TargetError::NotSlack { .. })
        ));
        let e = AlertTarget::webhook("w", "https://a.example/", Some("nope")).unwrap_err();
        assert!(matches!(e, TargetError::BadSecret(_)));
    }

    #[test]
    fn bodies_name_the_org_the_finding_its_fix_and_the_times() {
        let body = webhook_body(&transition());
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["type"], "incident.opened");
        assert_eq!(v["timestamp"], "2025-12-06T06:01:40Z");
        assert_eq!(v["data"]["org"], "acme");
        assert_eq!(v["data"]["incident_id"], 7);
        assert!(!body.contains('\x1b'));
        let slack = slack_body(&transition());
        let text = slack["text"].as_str().unwrap();
        assert!(text.contains("acme") && text.contains("PERMISSION_SET_MISSING"));
        assert!(text.contains("&lt;b&gt;") && text.contains("&amp; re-run"));
        assert!(text.contains("First seen 2025-12-06T05:46:40Z"));
        assert!(!text.contains('\x1b'));
        assert_eq!(slack["blocks"].as_array().unwrap().len(), 3);
    }
}
