//! Alerts against receivers on loopback: a generic webhook whose Standard Webhooks signature the
//! test verifies on its own (HMAC-SHA256 computed here with aws-lc-rs), retries after 503 and 429
//! with `Retry-After`, redirects and URLs with secrets that never reach the store or an error,
//! and the Slack message's shape and rate limit.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use sagediag::engine::watch::alerts::AlertTarget;
use sagediag::engine::watch::alerts_send::{Alerter, DeliveryQueue};
use sagediag::engine::watch::model::{Delivery, Transition, TransitionKind};
use serde_json::Value;

// A fresh 32-byte secret in the spec's form (base64 of "sagediag-test-secret-32-bytes!!!").
const SECRET: &str = "whsec_c2FnZWRpYWctdGVzdC1zZWNyZXQtMzItYnl0ZXMhISE=";

/// The store's delivery queue, in memory: what `Store` does with deliveries, as the contract
/// says (due when `next_attempt_at <= now` and not delivered; a failure counts an attempt).
#[derive(Clone, Default)]
struct Queue(Arc<Mutex<Vec<Delivery>>>);

impl Queue {
    fn push(&self, id: i64, target: &str, kind: TransitionKind, now: i64) {
        self.0.lock().unwrap().push(Delivery {
            id,
            target: target.into(),
            transition: Transition {
                incident_id: 40 + id,
                org: "acme-prod".into(),
                code: "PERMISSION_SET_MISSING".into(),
                kind,
                severity: "error".into(),
                title: "The integration user lost a permission set".into(),
                fix: vec!["Assign the permission set again, then re-run".into()],
                first_seen: now - 1800,
                last_seen: now - 60,
                at: now - 60,
            },
            attempts: 0,
            next_attempt_at: now,
            last_error: None,
            delivered_at: None,
        });
    }
    fn get(&self, id: i64) -> Delivery {
        self.0
            .lock()
            .unwrap()
            .iter()
            .find(|d| d.id == id)
            .cloned()
            .unwrap()
    }
}

impl DeliveryQueue for Queue {
    fn due_deliveries(
        &self,
        now: i64,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<Delivery>, String>> + Send {
        let due: Vec<Delivery> = self
            .0
            .lock()
            .unwrap()
            .iter()
            .filter(|d| d.delivered_at.is_none() && d.next_attempt_at <= now)
            .take(limit)
            .cloned()
            .collect();
        async move { Ok(due) }
    }
    fn delivered(&self, id: i64, at: i64) -> impl Future<Output = Result<(), String>> + Send {
        if let Some(d) = self.0.lock().unwrap().iter_mut().find(|d| d.id == id) {
            d.delivered_at = Some(at);
        }
        async { Ok(()) }
    }
    fn delivery_failed(
        &self,
        id: i64,
        next_attempt_at: i64,
        error: &str,
    ) -> impl Future<Output = Result<(), String>> + Send {
        if let Some(d) = self.0.lock().unwrap().iter_mut().find(|d| d.id == id) {
            d.attempts += 1;
            d.next_attempt_at = next_attempt_at;
            d.last_error = Some(error.to_string());
        }
        async { Ok(()) }
    }
}

/// One request the receiver got.
#[derive(Clone, Debug)]
struct Got {
    path: String,
    headers: HeaderMap,
    body: Bytes,
    at: Instant,
}

/// A scripted answer: a status and its headers.
type Answer = (u16, Vec<(&'static str, String)>);

/// A receiver on loopback: answers each request with the next scripted answer (then 200).
#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<Got>>>,
    script: Arc<Mutex<Vec<Answer>>>,
}

impl Receiver {
    async fn start(script: Vec<Answer>) -> (Receiver, SocketAddr) {
        let r = Receiver {
            got: Arc::default(),
            script: Arc::new(Mutex::new(script)),
        };
        let shared = r.clone();
        let app = axum::Router::new().fallback(
            move |uri: axum::http::Uri, headers: HeaderMap, body: Bytes| {
                let shared = shared.clone();
                async move {
                    shared.got.lock().unwrap().push(Got {
                        path: uri.to_string(),
                        headers,
                        body,
                        at: Instant::now(),
                    });
                    let next = {
                        let mut s = shared.script.lock().unwrap();
                        (!s.is_empty()).then(|| s.remove(0))
                    };
                    let (status, hdrs) = next.unwrap_or((200, vec![]));
                    let mut resp: Response =
                        (StatusCode::from_u16(status).unwrap(), "<b>busy</b>\x1b[2J")
                            .into_response();
                    for (k, v) in hdrs {
                        resp.headers_mut().insert(k, v.parse().unwrap());
                    }
                    resp
                }
            },
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (r, addr)
    }
    fn got(&self) -> Vec<Got> {
        self.got.lock().unwrap().clone()
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Verifies a request's Standard Webhooks signature on its own: HMAC-SHA256 keyed with the
/// secret's decoded bytes over `id.timestamp.body`, base64, compared in constant time.
fn verify(got: &Got) -> (String, i64) {
    let h = |n: &str| got.headers.get(n).unwrap().to_str().unwrap().to_string();
    let (id, ts, sig) = (
        h("webhook-id"),
        h("webhook-timestamp"),
        h("webhook-signature"),
    );
    let key_bytes = base64::engine::general_purpose::STANDARD
        .decode(SECRET.strip_prefix("whsec_").unwrap())
        .unwrap();
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &key_bytes);
    let mut signed = format!("{id}.{ts}.").into_bytes();
    signed.extend_from_slice(&got.body);
    let expected = base64::engine::general_purpose::STANDARD
        .encode(aws_lc_rs::hmac::sign(&key, &signed).as_ref());
    let given = sig
        .split(' ')
        .find_map(|s| s.strip_prefix("v1,"))
        .expect("a v1 signature");
    assert!(
        aws_lc_rs::constant_time::verify_slices_are_equal(given.as_bytes(), expected.as_bytes())
            .is_ok(),
        "the signature does not verify"
    );
    let ts: i64 = ts.parse().unwrap();
    assert!((ts - now()).abs() <= 10, "timestamp {ts} is not now");
    (id, ts)
}

fn alerter(targets: Vec<AlertTarget>) -> Alerter {
    Alerter::new(targets, Duration::from_secs(5)).unwrap()
}

#[tokio::test]
async fn a_signed_webhook_is_delivered_once_and_verifies() {
    let (rx, addr) = Receiver::start(vec![]).await;
    let target =
        AlertTarget::webhook("webhook-1", &format!("http://{addr}/hook"), Some(SECRET)).unwrap();
    let alerter = alerter(vec![target]);
    let q = Queue::default();
    let t0 = now();
    q.push(1, "webhook-1", TransitionKind::Opened, t0);
    q.push(2, "webhook-1", TransitionKind::Resolved, t0);
    let r = alerter.deliver_due(&q, t0).await;
    assert_eq!((r.sent, r.failed, r.deferred), (2, 0, 0), "{r:?}");
    assert!(r.store_error.is_none());
    let got = rx.got();
    assert_eq!(got.len(), 2);
    let (id, _) = verify(&got[0]);
    assert_eq!(id, "msg_1");
    assert_eq!(verify(&got[1]).0, "msg_2");
    assert_eq!(
        got[0].headers["content-type"].to_str().unwrap(),
        "application/json"
    );
    let body: Value = serde_json::from_slice(&got[0].body).unwrap();
    assert_eq!(body["type"], "incident.opened");
    assert_eq!(body["data"]["org"], "acme-prod");
    assert_eq!(body["data"]["code"], "PERMISSION_SET_MISSING");
    assert_eq!(body["data"]["kind"], "opened");
    assert!(body["timestamp"].as_str().unwrap().ends_with('Z'));
    let body2: Value = serde_json::from_slice(&got[1].body).unwrap();
    assert_eq!(body2["type"], "incident.resolved");
    assert_eq!(q.get(1).delivered_at, Some(t0));
    // Nothing is delivered twice.
    let again = alerter.deliver_due(&q, t0 + 3600).await;
    assert_eq!((again.sent, again.failed), (0, 0));
    assert_eq!(rx.got().len(), 2);
}

#[tokio::test]
async fn a_503_with_retry_after_is_retried_when_the_receiver_said() {
    let (rx, addr) = Receiver::start(vec![(503, vec![("retry-after", "7".into())])]).await;
    let target =
        AlertTarget::webhook("webhook-1", &format!("http://{addr}/hook"), Some(SECRET)).unwrap();
    let alerter = alerter(vec![target]);
    let q = Queue::default();
    let t0 = now();
    q.push(5, "webhook-1", TransitionKind::Opened, t0);
    let r = alerter.deliver_due(&q, t0).await;
    assert_eq!((r.sent, r.failed), (0, 1), "{r:?}");
    let d = q.get(5);
    assert_eq!(d.next_attempt_at, t0 + 7, "Retry-After: 7 honoured");
    assert_eq!(d.attempts, 1);
    let err = d.last_error.unwrap();
    assert!(err.starts_with("HTTP 503"), "{err}");
    // The reply is sanitised: no raw escape reaches the store.
    assert!(!err.contains('\x1b') && err.contains("\\x1b"), "{err}");
    // Not before the time it asked for…
    let early = alerter.deliver_due(&q, t0 + 6).await;
    assert_eq!((early.sent, early.failed), (0, 0));
    assert_eq!(rx.got().len(), 1);
    // …and then once, with the same webhook-id.
    let later = alerter.deliver_due(&q, t0 + 7).await;
    assert_eq!(later.sent, 1, "{later:?}");
    let got = rx.got();
    assert_eq!(got.len(), 2);
    assert_eq!(verify(&got[0]).0, verify(&got[1]).0);
    assert!(q.get(5).delivered_at.is_some());
}

#[tokio::test]
async fn a_429_holds_the_whole_target_until_its_http_date() {
    let t0 = now();
    let date = chrono::DateTime::from_timestamp(t0 + 120, 0)
        .unwrap()
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    let (rx, addr) = Receiver::start(vec![(429, vec![("retry-after", date)])]).await;
    let target = AlertTarget::webhook("w", &format!("http://{addr}/"), None).unwrap();
    let alerter = alerter(vec![target]);
    let q = Queue::default();
    for id in 1..=3 {
        q.push(id, "w", TransitionKind::Opened, t0);
    }
    let r = alerter.deliver_due(&q, t0).await;
    assert_eq!((r.sent, r.failed, r.deferred), (0, 1, 2), "{r:?}");
    assert_eq!(
        rx.got().len(),
        1,
        "nothing else sent to a target that asked to wait"
    );
    for id in 1..=3 {
        let d = q.get(id);
        assert!(
            (t0 + 119..=t0 + 121).contains(&d.next_attempt_at),
            "delivery {id}: {d:?}"
        );
    }
    assert!(q.get(2).last_error.unwrap().contains("Retry-After"));
    // An unsigned webhook has no signature header.
    assert!(rx.got()[0].headers.get("webhook-signature").is_none());
    assert!(rx.got()[0].headers.get("webhook-id").is_some());
    let r = alerter.deliver_due(&q, t0 + 121).await;
    assert_eq!(r.sent, 3, "{r:?}");
}

#[tokio::test]
async fn a_failure_without_retry_after_backs_off_with_jitter() {
    let (_rx, addr) = Receiver::start(vec![(500, vec![]), (500, vec![])]).await;
    let target = AlertTarget::webhook("w", &format!("http://{addr}/"), None).unwrap();
    let alerter = alerter(vec![target]);
    let q = Queue::default();
    let t0 = now();
    q.push(1, "w", TransitionKind::Opened, t0);
    alerter.deliver_due(&q, t0).await;
    let first = q.get(1).next_attempt_at - t0;
    assert!((15..=31).contains(&first), "first wait {first}");
    let t1 = q.get(1).next_attempt_at;
    alerter.deliver_due(&q, t1).await;
    let second = q.get(1).next_attempt_at - t1;
    assert!((30..=61).contains(&second), "second wait {second}");
    assert_eq!(q.get(1).attempts, 2);
}

#[tokio::test]
async fn secrets_in_urls_never_reach_the_store_or_an_error() {
    // A redirect whose Location carries a secret: not followed, not recorded.
    let (rx, addr) = Receiver::start(vec![(
        302,
        vec![(
            "location",
            "https://elsewhere.example/next?token=L0cationS3cret".into(),
        )],
    )])
    .await;
    let url = format!(
        "http://alice:Pa55w0rdXYZ@{addr}/hooks/abcdefghijklmnopqrstuvwxyz0123?sig=Qu3rySecretValue"
    );
    let target = AlertTarget::webhook("w", &url, None).unwrap();
    let shown = target.redacted_url();
    assert_eq!(shown, format!("http://{addr}/hooks/[REDACTED]?[REDACTED]"));
    // A dead port: the HTTP stack's own error quotes the URL.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let dead_url = format!("http://bob:An0therPass@{dead}/services/x?key=DeadQu3ry");
    let dead_target = AlertTarget::webhook("dead", &dead_url, None).unwrap();
    let alerter = alerter(vec![target, dead_target]);
    let q = Queue::default();
    let t0 = now();
    q.push(1, "w", TransitionKind::Opened, t0);
    q.push(2, "dead", TransitionKind::Opened, t0);
    let r = alerter.deliver_due(&q, t0).await;
    assert_eq!((r.sent, r.failed), (0, 2), "{r:?}");
    assert_eq!(rx.got().len(), 1, "the redirect is not followed");
    // The receiver got the credentials as Basic auth only because the URL carried them; they
    // are the user's to give. What matters: none of it is kept or shown.
    let mut all = r.errors.join("\n");
    for id in [1, 2] {
        all.push('\n');
        all.push_str(&q.get(id).last_error.unwrap());
    }
    for secret in [
        "Pa55w0rdXYZ",
        "Qu3rySecretValue",
        "abcdefghijklmnopqrstuvwxyz0123",
        "L0cationS3cret",
        "An0therPass",
        "DeadQu3ry",
        "alice",
    ] {
        assert!(!all.contains(secret), "{secret} leaked into: {all}");
    }
    assert!(all.contains("HTTP 302"), "{all}");
    assert!(all.contains("redirects are not followed"), "{all}");
    assert!(
        all.contains("dead: connection failed"),
        "the dead target's error says what happened: {all}"
    );
    // The targets as `watch` lists them.
    let listed = format!("{:?}", alerter.targets());
    assert!(!listed.contains("Pa55w0rdXYZ") && !listed.contains("An0therPass"));
}

#[tokio::test]
async fn slack_gets_a_text_message_with_blocks_one_a_second() {
    let (rx, addr) = Receiver::start(vec![]).await;
    let url = format!("http://{addr}/services/T0000/B0000/SlackS3cretPath");
    let target = AlertTarget::slack("slack", &url).unwrap();
    assert_eq!(
        target.redacted_url(),
        format!("http://{addr}/services/[REDACTED]")
    );
    let alerter = alerter(vec![target]);
    let q = Queue::default();
    let t0 = now();
    q.push(1, "slack", TransitionKind::Opened, t0);
    q.push(2, "slack", TransitionKind::Resolved, t0);
    let r = alerter.deliver_due(&q, t0).await;
    assert_eq!(r.sent, 2, "{r:?}");
    let got = rx.got();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].path, "/services/T0000/B0000/SlackS3cretPath");
    let gap = got[1].at.duration_since(got[0].at);
    assert!(
        gap >= Duration::from_millis(1000),
        "Slack's rate limit (about 1 a second): {gap:?}"
    );
    let msg: Value = serde_json::from_slice(&got[0].body).unwrap();
    let text = msg["text"].as_str().unwrap();
    for part in [
        "acme-prod",
        "PERMISSION_SET_MISSING",
        "opened",
        "Assign the permission set again",
        "First seen",
    ] {
        assert!(text.contains(part), "{part} missing from: {text}");
    }
    let blocks = msg["blocks"].as_array().unwrap();
    assert_eq!(blocks[0]["type"], "section");
    assert_eq!(blocks[0]["text"]["type"], "mrkdwn");
    assert_eq!(blocks[1]["type"], "context");
    assert!(got[0].headers.get("webhook-signature").is_none());
    let resolved: Value = serde_json::from_slice(&got[1].body).unwrap();
    assert!(resolved["text"].as_str().unwrap().contains("resolved"));
    // A target that is not configured any more: kept for later, never dropped.
    q.push(3, "gone", TransitionKind::Opened, t0);
    let r = alerter.deliver_due(&q, t0).await;
    assert_eq!((r.sent, r.deferred), (0, 1));
    let d = q.get(3);
    assert!(d.delivered_at.is_none() && d.next_attempt_at > t0);
    assert!(
        d.last_error
            .unwrap()
            .contains("no alert target named `gone`")
    );
}
