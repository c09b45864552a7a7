//! Sending the queued alerts: [`Alerter::deliver_due`] takes the deliveries that are due from the
//! store, sends each once, and records the outcome: delivered, or failed with the time of the
//! next attempt (exponential backoff with jitter, or the receiver's `Retry-After` on 429/503). A
//! failed delivery stays in the store and is tried again on a later cycle: never lost.
//!
//! Each target has its own rate limit (Slack allows about one message a second per webhook), and
//! a target that asked to wait (`Retry-After`) is not sent anything else until then. The HTTP
//! client is the engine's (src/engine/http/): TLS always verified (tls.rs), no redirects
//! followed, responses read up to a small cap; targets take https only, plain http only to
//! loopback (alerts.rs).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use super::alerts::{AlertTarget, event_type, slack_body, webhook_body};
use super::model::Delivery;
use crate::engine::http::{Client, Failure, Request, SetupError};
use crate::engine::sanitize;

/// The store's delivery queue as the alerter uses it. Implemented by the watch store (and by
/// test doubles); its errors are the store's own messages.
pub trait DeliveryQueue: Sync {
    /// The deliveries due at `now` (claimed for this watcher), at most `limit`.
    fn due_deliveries(
        &self,
        now: i64,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<Delivery>, String>> + Send;
    /// Delivery `id` was accepted (2xx) at `at`.
    fn delivered(&self, id: i64, at: i64) -> impl Future<Output = Result<(), String>> + Send;
    /// Delivery `id` failed (or waits): tried again from `next_attempt_at`. `error` is already
    /// redacted, sanitised and bounded.
    fn delivery_failed(
        &self,
        id: i64,
        next_attempt_at: i64,
        error: &str,
    ) -> impl Future<Output = Result<(), String>> + Send;
}

impl DeliveryQueue for super::store::Store {
    async fn due_deliveries(&self, now: i64, limit: usize) -> Result<Vec<Delivery>, String> {
        super::store::Store::due_deliveries(self, now, limit)
            .await
            .map_err(|e| e.to_string())
    }
    async fn delivered(&self, id: i64, at: i64) -> Result<(), String> {
        super::store::Store::delivered(self, id, at)
            .await
            .map_err(|e| e.to_string())
    }
    async fn delivery_failed(
        &self,
        id: i64,
        next_attempt_at: i64,
        error: &str,
    ) -> Result<(), String> {
        super::store::Store::delivery_failed(self, id, next_attempt_at, error)
            .await
            .map_err(|e| e.to_string())
    }
}

/// How failed deliveries are retried.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// The wait after the first failure; doubled after each further one.
    pub base: Duration,
    /// The longest wait between attempts (also the cap on a `Retry-After`).
    pub max: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            base: Duration::from_secs(30),
            max: Duration::from_secs(3600),
        }
    }
}

impl RetryPolicy {
    /// The wait before attempt `attempts + 1`, after `attempts` failures (the one just made
    /// included): `base · 2^(attempts-1)` capped at `max`, with "equal jitter" (a random point
    /// in its upper half) so that many failed deliveries do not come back at once.
    pub fn backoff(&self, attempts: u32, jitter: f64) -> Duration {
        let exp = attempts.saturating_sub(1).min(20);
        let full = self
            .base
            .saturating_mul(1u32 << exp)
            .min(self.max)
            .max(Duration::from_secs(1));
        let half = full / 2;
        half + half.mul_f64(jitter.clamp(0.0, 1.0))
    }
}

/// A uniform random number in [0, 1) from the system's random source (0.5 if it fails).
fn jitter() -> f64 {
    use aws_lc_rs::rand::SecureRandom;
    let mut b = [0u8; 4];
    match aws_lc_rs::rand::SystemRandom::new().fill(&mut b) {
        Ok(()) => f64::from(u32::from_le_bytes(b)) / (f64::from(u32::MAX) + 1.0),
        Err(_) => 0.5,
    }
}

/// `Retry-After` (RFC 9110 §10.2.3): delay-seconds or an HTTP-date; the seconds to wait from
/// `now`. None when absent or unreadable.
pub fn retry_after(value: Option<&str>, now: i64) -> Option<i64> {
    let v = value?.trim();
    if let Ok(secs) = v.parse::<i64>() {
        return (secs >= 0).then_some(secs);
    }
    // IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) reads as RFC 2822 with the zone `GMT`.
    let at = chrono::DateTime::parse_from_rfc2822(v).ok()?.timestamp();
    Some((at - now).max(0))
}

/// The time-out of one alert request: the Standard Webhooks spec recommends giving a receiver
/// 15 to 30 s.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);

/// What one call of [`Alerter::deliver_due`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    /// Accepted by their target (2xx).
    pub sent: u32,
    /// Sent and refused, or not sent for a network failure: retried later.
    pub failed: u32,
    /// Not attempted this time (the target asked to wait, the call's time ran out, no target of
    /// that name is configured): retried later.
    pub deferred: u32,
    /// One line per failure: target name, redacted and sanitised.
    pub errors: Vec<String>,
    /// The store could not be read or written (its message).
    pub store_error: Option<String>,
}

/// A target with its rate limit and its "wait until" state (kept across calls).
struct Sender {
    target: AlertTarget,
    /// The least time between two sends.
    interval: Duration,
    state: Mutex<SendState>,
}

#[derive(Default)]
struct SendState {
    last_sent: Option<Instant>,
    /// The receiver asked to wait until this Unix second (a `Retry-After`).
    hold_until: i64,
}

/// Sends alerts to the configured targets. Cheap to clone (shared state).
#[derive(Clone)]
pub struct Alerter {
    senders: Arc<Vec<Sender>>,
    client: Client,
    policy: RetryPolicy,
    /// Most deliveries taken from the store per call.
    batch: usize,
    /// The most time one target may spend sending in one call (the rest wait for the next).
    budget: Duration,
}

/// The body of an answer, as it may be stored: sanitised, one line, at most 200 bytes.
fn reply_excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body.get(..600).unwrap_or(body));
    sanitize::bounded(text.trim(), 200, None)
}

/// What one send came to.
enum Outcome {
    Sent,
    /// Failed; retry after this many seconds (None: the backoff decides), with this error.
    Failed(Option<i64>, String),
}

impl Alerter {
    /// The alerter for `targets`, on an HTTP client with `timeout` per request
    /// ([`DEFAULT_TIMEOUT`] unless there is a reason).
    pub fn new(targets: Vec<AlertTarget>, timeout: Duration) -> Result<Alerter, SetupError> {
        let client = Client::new(timeout, None)?.with_max_response(64 * 1024);
        let senders = targets
            .into_iter()
            .map(|target| {
                // The URL's secrets are scrubbed from the client's own log and tracing too.
                for part in target.secret_parts() {
                    client.add_secret(&part);
                }
                let interval = if target.is_slack() {
                    Duration::from_millis(1100)
                } else {
                    Duration::from_millis(100)
                };
                Sender {
                    target,
                    interval,
                    state: Mutex::new(SendState::default()),
                }
            })
            .collect();
        Ok(Alerter {
            senders: Arc::new(senders),
            client,
            policy: RetryPolicy::default(),
            batch: 200,
            budget: Duration::from_secs(60),
        })
    }

    /// The same alerter with another retry policy (tests: short waits).
    pub fn with_policy(mut self, policy: RetryPolicy) -> Alerter {
        self.policy = policy;
        self
    }

    /// The same alerter with another per-target rate limit (tests).
    pub fn with_interval(mut self, target: &str, interval: Duration) -> Alerter {
        if let Some(senders) = Arc::get_mut(&mut self.senders) {
            for s in senders.iter_mut().filter(|s| s.target.name() == target) {
                s.interval = interval;
            }
        }
        self
    }

    /// The targets' names and redacted URLs (for `watch` to say where alerts go).
    pub fn targets(&self) -> Vec<(String, String)> {
        self.senders
            .iter()
            .map(|s| (s.target.name().to_string(), s.target.redacted_url()))
            .collect()
    }

    /// Sends every delivery due at `now` (Unix seconds, the cycle's clock), each once, targets
    /// in parallel and each target's in order under its rate limit; records each outcome in
    /// the store.
    pub async fn deliver_due<Q: DeliveryQueue>(&self, store: &Q, now: i64) -> DeliveryReport {
        let mut report = DeliveryReport::default();
        let due = match store.due_deliveries(now, self.batch).await {
            Ok(d) => d,
            Err(e) => {
                report.store_error = Some(sanitize::bounded(&e, 500, None));
                return report;
            }
        };
        if due.is_empty() {
            return report;
        }
        let mut by_target: HashMap<&str, Vec<Delivery>> = HashMap::new();
        let mut orphans = Vec::new();
        for d in due {
            match self.senders.iter().find(|s| s.target.name() == d.target) {
                Some(s) => by_target.entry(s.target.name()).or_default().push(d),
                None => orphans.push(d),
            }
        }
        for d in orphans {
            // The target was removed from the configuration: kept, and tried again later in
            // case it comes back.
            let msg = format!(
                "no alert target named `{}` is configured; kept until one is",
                sanitize::bounded(&d.target, 100, None)
            );
            record(
                store,
                &mut report,
                d.id,
                Err((now + self.policy.max.as_secs() as i64, msg)),
            )
            .await;
            report.deferred += 1;
        }
        let runs = self.senders.iter().filter_map(|s| {
            by_target
                .remove(s.target.name())
                .map(|ds| self.run_target(store, s, ds, now))
        });
        for r in futures_util::future::join_all(runs).await {
            report.sent += r.sent;
            report.failed += r.failed;
            report.deferred += r.deferred;
            report.errors.extend(r.errors);
            if report.store_error.is_none() {
                report.store_error = r.store_error;
            }
        }
        report
    }

    /// One target's deliveries, in order, one at a time.
    async fn run_target<Q: DeliveryQueue>(
        &self,
        store: &Q,
        sender: &Sender,
        deliveries: Vec<Delivery>,
        now: i64,
    ) -> DeliveryReport {
        let mut report = DeliveryReport::default();
        let started = Instant::now();
        let mut state = sender.state.lock().await;
        for d in deliveries {
            // The clock of this call: `now` plus the time spent sending.
            let at = now + started.elapsed().as_secs() as i64;
            if state.hold_until > at {
                let msg = format!(
                    "not sent: {} asked to wait until {} (Retry-After)",
                    sender.target.name(),
                    super::alerts::rfc3339(state.hold_until)
                );
                record(store, &mut report, d.id, Err((state.hold_until, msg))).await;
                report.deferred += 1;
                continue;
            }
            if started.elapsed() > self.budget {
                let msg =
                    "not sent: this cycle's time for alerts ran out; sent on the next".to_string();
                record(store, &mut report, d.id, Err((at + 1, msg))).await;
                report.deferred += 1;
                continue;
            }
            if let Some(last) = state.last_sent {
                let wait = sender.interval.saturating_sub(last.elapsed());
                if !wait.is_zero() {
                    tokio::time::sleep(wait).await;
                }
            }
            state.last_sent = Some(Instant::now());
            let at = now + started.elapsed().as_secs() as i64;
            match self.send_one(&sender.target, &d, at).await {
                Outcome::Sent => {
                    record(store, &mut report, d.id, Ok(at)).await;
                    report.sent += 1;
                }
                Outcome::Failed(after, error) => {
                    let attempts = d.attempts.saturating_add(1);
                    let wait = match after {
                        Some(secs) => {
                            let secs = secs.clamp(1, self.policy.max.as_secs() as i64);
                            state.hold_until = at + secs;
                            secs
                        }
                        None => self.policy.backoff(attempts, jitter()).as_secs() as i64,
                    };
                    let line = format!("{}: {error}", sender.target.name());
                    tracing::warn!(target_name = %sender.target.name(), delivery = d.id, attempts, retry_in_secs = wait, error = %error, "alert not delivered");
                    report.errors.push(line);
                    record(store, &mut report, d.id, Err((at + wait.max(1), error))).await;
                    report.failed += 1;
                }
            }
        }
        report
    }

    /// Sends one delivery; never retries by itself.
    async fn send_one(&self, target: &AlertTarget, d: &Delivery, now: i64) -> Outcome {
        let request = match target {
            AlertTarget::Webhook { url, secret, .. } => {
                let body = webhook_body(&d.transition);
                let id = format!("msg_{}", d.id);
                let Ok(doc) = serde_json::from_str::<serde_json::Value>(&body) else {
                    return Outcome::Failed(None, "the alert could not be encoded".into());
                };
                // The engine's client sends `doc.to_string()`: the same compact bytes as
                // `body` (serde_json writes one form), which is what is signed.
                let mut req = Request::post_json(url.as_str(), doc)
                    .header("webhook-id", &id)
                    .header("webhook-timestamp", &now.to_string())
                    .header("x-sagediag-event", event_type(d.transition.kind));
                if let Some(secret) = secret {
                    req = req.header("webhook-signature", &secret.sign(&id, now, &body));
                }
                req
            }
            AlertTarget::Slack { url, .. } => {
                Request::post_json(url.as_str(), slack_body(&d.transition))
            }
        };
        let (_, result) = self.client.send(request.without_body_in_log()).await;
        match result {
            Err(f) => {
                let text = match &f {
                    Failure::Timeout => "no answer within the time-out".to_string(),
                    other => other.to_string(),
                };
                Outcome::Failed(None, target.scrub(&text))
            }
            Ok(r) if (200..300).contains(&r.status) => Outcome::Sent,
            Ok(r) => {
                let excerpt = target.scrub(&reply_excerpt(&r.body));
                let why = match r.status {
                    300..=399 => {
                        " (redirects are not followed: configure the final URL)".to_string()
                    }
                    410 => " (the receiver says it no longer wants these alerts)".to_string(),
                    _ => String::new(),
                };
                let error = if excerpt.is_empty() {
                    format!("HTTP {}{why}", r.status)
                } else {
                    format!("HTTP {}{why}: {excerpt}", r.status)
                };
                let after = match r.status {
                    429 | 503 => retry_after(r.header("retry-after"), now),
                    _ => None,
                };
                Outcome::Failed(after, target.scrub(&error))
            }
        }
    }
}

/// Records one outcome in the store: `Ok(at)` delivered, `Err((next, error))` failed.
async fn record<Q: DeliveryQueue>(
    store: &Q,
    report: &mut DeliveryReport,
    id: i64,
    outcome: Result<i64, (i64, String)>,
) {
    let result = match &outcome {
        Ok(at) => store.delivered(id, *at).await,
        Err((next, error)) => store.delivery_failed(id, *next, error).await,
    };
    if let Err(e) = result
        && report.store_error.is_none()
    {
        report.store_error = Some(sanitize::bounded(&e, 500, None));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_with_jitter_in_the_upper_half() {
        let p = RetryPolicy::default();
        assert_eq!(p.backoff(1, 1.0), Duration::from_secs(30));
        assert_eq!(p.backoff(1, 0.0), Duration::from_secs(15));
        assert_eq!(p.backoff(2, 1.0), Duration::from_secs(60));
        assert_eq!(p.backoff(3, 1.0), Duration::from_secs(120));
        assert_eq!(p.backoff(30, 1.0), Duration::from_secs(3600));
        assert_eq!(p.backoff(u32::MAX, 0.0), Duration::from_secs(1800));
        let j = jitter();
        assert!((0.0..1.0).contains(&j));
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        assert_eq!(retry_after(Some("120"), 0), Some(120));
        assert_eq!(retry_after(Some(" 0 "), 0), Some(0));
        assert_eq!(retry_after(Some("-5"), 0), None);
        assert_eq!(retry_after(None, 0), None);
        assert_eq!(retry_after(Some("soon"), 0), None);
        // 1994-11-06T08:49:37Z is 784111777.
        assert_eq!(
            retry_after(Some("Sun, 06 Nov 1994 08:49:37 GMT"), 784_111_700),
            Some(77)
        );
        assert_eq!(
            retry_after(Some("Sun, 06 Nov 1994 08:49:37 GMT"), 784_111_800),
            Some(0)
        );
    }
}
