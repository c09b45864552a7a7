//! The simulated org's runtime state: the clock, issued codes and tokens, device
//! authorizations, API usage and records posted to it. One mutex, never held across an await.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use super::crypto::{self, sf_id18};
use super::scenario::{PERMISSION_SETS, PermissionSetDef, RefreshPolicy, Scenario, UserConfig};

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/// Authorization codes live 15 minutes.
pub const CODE_TTL_MS: u64 = 15 * 60 * 1000;
/// Device codes live 10 minutes.
pub const DEVICE_TTL_MS: u64 = 10 * 60 * 1000;

/// Bounds on the org's memory: at most this many of each, whatever clients do. Dead entries
/// go first (expired, used, revoked: kept a while so that a late retry still gets "expired"
/// rather than "invalid"), then the oldest.
pub const MAX_CODES: usize = 10_000;
pub const MAX_ACCESS_TOKENS: usize = 20_000;
pub const MAX_REFRESH_TOKENS: usize = 20_000;
pub const MAX_DEVICE_CODES: usize = 5_000;
/// payDetails records kept (newest first), in bytes of JSON.
pub const MAX_PAY_DETAILS_BYTES: usize = 32 * 1024 * 1024;
/// Dead entries are swept every this many insertions (and whenever a map is full).
const SWEEP_EVERY: u64 = 64;

pub struct Org {
    pub scenario: Scenario,
    /// Plays login.salesforce.com (or test.salesforce.com for a sandbox).
    pub login_url: String,
    /// Plays the org's My Domain (`instance_url`).
    pub instance_url: String,
    /// The host (with port) that counts as My Domain: `localhost:PORT`.
    pub my_domain_host: String,
    pub jwt_key_der: Option<Vec<u8>>,
    /// The Sage People list pages served (see `PageCache`); a fleet's orgs of the same data
    /// share one (pages depend only on the data and the API version).
    // layering: the org holds each handler's cache; its type lives with the handler that fills it.
    pub pages: std::sync::Arc<super::sage::PageCache>,
    /// The fleet's monitoring app and user (`sagediag sim --orgs`), if the org has one.
    pub monitor: Option<super::monitor::Monitor>,
    inner: Mutex<Inner>,
}

#[derive(Default)]
pub struct Inner {
    pub clock_offset_ms: u64,
    pub api_used: u64,
    pub requests: u64,
    pub codes: HashMap<String, AuthCode>,
    pub access: HashMap<String, AccessToken>,
    pub refresh: HashMap<String, RefreshToken>,
    pub device: HashMap<String, DeviceAuth>,
    pub logins: HashMap<usize, VecDeque<u64>>,
    /// Users who approved the app on a consent page (JWT then works for them).
    pub approved: HashSet<usize>,
    /// The newest payDetails records posted, within `MAX_PAY_DETAILS_BYTES`.
    pub pay_details: VecDeque<(Value, usize)>,
    pub pay_details_bytes: usize,
    /// Every payDetails record ever created (numbers the ids).
    pub pay_details_posted: u64,
    /// The users' direct PermissionSetAssignment rows of the seven Sage People sets: the
    /// scenario's at start, then as `sagediag fix` (or any client) creates and deletes them.
    pub assignments: Vec<Assignment>,
    /// Ids of assignments deleted (a second delete answers ENTITY_IS_DELETED).
    pub deleted_assignments: HashSet<String>,
    /// Numbers the created assignments' ids.
    pub assignments_created: u64,
    /// LoginHistory, OauthToken grants and frozen users (`record.rs`).
    pub record: super::record::Record,
    /// Open query locators (`query_api.rs`).
    // layering: the org holds each handler's cache; its type lives with the handler that fills it.
    pub cursors: super::query_api::Cursors,
    /// Every request but `/_sim/…` (`GET /_sim/state`'s `requests_total`).
    pub requests_total: u64,
    /// Token requests and API calls by user (`GET /_sim/state`'s `requests_by_user`).
    pub requests_by_user: HashMap<usize, u64>,
    next_family: u64,
    inserts: u64,
}

/// One PermissionSetAssignment of a Sage People set (index into `PERMISSION_SETS`).
#[derive(Debug, Clone)]
pub struct Assignment {
    /// 18-character id (`0Pa…`).
    pub id: String,
    pub user: usize,
    pub set: usize,
    /// The user who created it through the API (None: the scenario's).
    pub created_by: Option<usize>,
    /// When it was created through the API, on the org's clock (its `SystemModstamp`, "Date
    /// Assigned"); None: the scenario's, assigned long ago.
    pub assigned_ms: Option<u64>,
}

pub struct AuthCode {
    pub user: usize,
    pub redirect_uri: String,
    pub challenge: Option<String>,
    pub scopes: Vec<String>,
    pub issued: u64,
    pub used: bool,
    /// The OpenID Connect `nonce` of the authorize request, echoed in the `id_token`.
    pub nonce: Option<String>,
}

pub struct AccessToken {
    pub user: usize,
    pub scopes: Vec<String>,
    pub expires: u64,
    pub issued: u64,
    pub revoked: bool,
    pub family: Option<u64>,
}

pub struct RefreshToken {
    pub user: usize,
    pub scopes: Vec<String>,
    pub issued: u64,
    pub last_used: u64,
    pub revoked: bool,
    pub rotated_out: bool,
    pub family: u64,
}

pub struct DeviceAuth {
    pub user_code: String,
    pub scopes: Vec<String>,
    pub approved_by: Option<usize>,
    pub denied: bool,
    pub polls: u32,
    pub last_poll: Option<u64>,
    pub issued: u64,
    pub done: bool,
}

impl Org {
    pub fn new(
        scenario: Scenario,
        login_url: String,
        instance_url: String,
        my_domain_host: String,
    ) -> Org {
        let jwt_key_der = scenario
            .app
            .jwt_public_key
            .as_deref()
            .and_then(|p| crypto::parse_public_key_pem(p).ok());
        let mut assignments = Vec::new();
        for (ui, u) in scenario.users.iter().enumerate() {
            for (si, def) in PERMISSION_SETS.iter().enumerate() {
                if u.assigned_directly(def) {
                    assignments.push(Assignment {
                        id: sf_id18(&format!("0Pa5g0000{:03}{:03}", ui, si + 1)),
                        user: ui,
                        set: si,
                        created_by: None,
                        assigned_ms: None,
                    });
                }
            }
        }
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            .unwrap_or(0);
        let inner = Inner {
            api_used: scenario.org.api_used,
            assignments,
            record: super::record::Record::seeded(&scenario, now),
            ..Default::default()
        };
        Org {
            scenario,
            login_url,
            instance_url,
            my_domain_host,
            jwt_key_der,
            pages: Default::default(),
            monitor: None,
            inner: Mutex::new(inner),
        }
    }

    pub fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves plain data behind; keep serving.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The user has the set's permissions: a PermissionSetAssignment row names it, or a
    /// permission set group grants it.
    pub fn has_permission_set(&self, user: usize, def: &PermissionSetDef) -> bool {
        let via_group = self
            .user(user)
            .permission_sets_via_group
            .iter()
            .any(|s| PermissionSetDef::lookup(s) == Some(def));
        via_group
            || self
                .lock()
                .assignments
                .iter()
                .any(|a| a.user == user && PERMISSION_SETS.get(a.set) == Some(def))
    }

    /// Milliseconds since the epoch on the org's clock (which tests may move forward).
    pub fn now_ms(&self) -> u64 {
        let real = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            .unwrap_or(0);
        real.saturating_add(self.lock().clock_offset_ms)
    }

    pub fn org_id18(&self) -> String {
        sf_id18(&self.scenario.org.id)
    }

    pub fn user_id18(&self, user: usize) -> String {
        sf_id18(&self.user_id15(user))
    }

    pub fn user_id15(&self, user: usize) -> String {
        let u = &self.scenario.users[user];
        if u.id.is_empty() {
            format!("0055g00000{:05}", 10_000 + user)
        } else {
            u.id.clone()
        }
    }

    pub fn user(&self, user: usize) -> &UserConfig {
        &self.scenario.users[user]
    }

    /// The identity URL: on the login host even when the request went to My Domain.
    pub fn identity_url(&self, user: usize) -> String {
        format!(
            "{}/id/{}/{}",
            self.login_url,
            self.org_id18(),
            self.user_id18(user)
        )
    }

    pub fn api_path(&self) -> String {
        format!("/services/data/v{}", self.scenario.org.api_version)
    }

    /// Counts a token request or API call made by (or for) the user.
    pub fn note_request_by(&self, user: usize) {
        let mut inner = self.lock();
        let n = inner.requests_by_user.entry(user).or_default();
        *n = n.saturating_add(1);
    }

    /// Records a login attempt; false when the user is over the hourly login rate.
    pub fn note_login(&self, user: usize) -> bool {
        let now = self.now_ms();
        let limit = self.scenario.org.login_rate_per_hour as usize;
        let mut inner = self.lock();
        let q = inner.logins.entry(user).or_default();
        while q
            .front()
            .is_some_and(|t| now.saturating_sub(*t) > 3_600_000)
        {
            q.pop_front();
        }
        q.push_back(now);
        let ok = q.len() <= limit;
        // One over the limit is enough to know: the queue never grows past it.
        while q.len() > limit.saturating_add(1) {
            q.pop_front();
        }
        ok
    }

    /// Keeps the authorize request's `nonce` with its code.
    pub fn set_code_nonce(&self, code: &str, nonce: &str) {
        if let Some(c) = self.lock().codes.get_mut(code) {
            c.nonce = Some(nonce.to_string());
        }
    }

    pub fn new_code(
        &self,
        user: usize,
        redirect_uri: &str,
        challenge: Option<String>,
        scopes: Vec<String>,
    ) -> String {
        let code = format!("aPrx{}==", crypto::random_from(BASE62, 76));
        let issued = self.now_ms();
        let mut inner = self.lock();
        self.make_room(&mut inner, issued);
        inner.codes.insert(
            code.clone(),
            AuthCode {
                user,
                redirect_uri: redirect_uri.into(),
                challenge,
                scopes,
                issued,
                used: false,
                nonce: None,
            },
        );
        code
    }

    /// Issues an access token (and a refresh token when asked) and returns Salesforce's
    /// token response.
    pub fn issue_tokens(
        &self,
        user: usize,
        scopes: &[String],
        with_refresh: bool,
        family: Option<u64>,
    ) -> Value {
        let now = self.now_ms();
        let access = format!(
            "{}!AQ{}",
            self.scenario.org.id,
            crypto::random_from(BASE62, 110)
        );
        let granted_refresh = with_refresh
            && scopes
                .iter()
                .any(|s| s == "refresh_token" || s == "offline_access");
        let mut inner = self.lock();
        self.make_room(&mut inner, now);
        let mut refresh = None;
        let mut fam = family;
        if granted_refresh {
            let family_is_new = family.is_none();
            let family = family.unwrap_or_else(|| {
                inner.next_family += 1;
                inner.next_family
            });
            fam = Some(family);
            if family_is_new {
                // A new grant (OauthToken row); at five for the user and app, the oldest goes.
                for gone in inner
                    .record
                    .add_grant(user, &self.scenario.app.name, Some(family), now)
                {
                    Org::revoke_family(&mut inner, gone);
                }
            }
            let token = format!("5Aep861{}", crypto::random_from(BASE62, 80));
            inner.refresh.insert(
                token.clone(),
                RefreshToken {
                    user,
                    scopes: scopes.to_vec(),
                    issued: now,
                    last_used: now,
                    revoked: false,
                    rotated_out: false,
                    family,
                },
            );
            refresh = Some(token);
        }
        let expires =
            now.saturating_add(self.scenario.org.session_timeout_secs.saturating_mul(1000));
        inner.access.insert(
            access.clone(),
            AccessToken {
                user,
                scopes: scopes.to_vec(),
                expires,
                issued: now,
                revoked: false,
                family: fam,
            },
        );
        drop(inner);
        let id = self.identity_url(user);
        let issued_at = now.to_string();
        let signature =
            crypto::token_signature(&self.scenario.app.consumer_secret, &id, &issued_at);
        let mut body = json!({
            "access_token": access,
            "signature": signature,
            "scope": scopes.join(" "),
            "instance_url": self.instance_url,
            "id": id,
            "token_type": "Bearer",
            "issued_at": issued_at,
        });
        if let Some(r) = refresh {
            body["refresh_token"] = Value::from(r);
        }
        body
    }

    /// The OpenID Connect signing key: one per process, made on first use (key generation
    /// takes a moment), shared by every org as Salesforce's login hosts share theirs.
    pub fn id_key(&self) -> Option<&'static crypto::IdTokenKey> {
        static KEY: std::sync::OnceLock<Option<crypto::IdTokenKey>> = std::sync::OnceLock::new();
        KEY.get_or_init(crypto::IdTokenKey::generate).as_ref()
    }

    /// Adds a signed `id_token` to a token response when the `openid` scope was granted
    /// (web-server, device and refresh flows, as Salesforce documents them).
    pub fn add_id_token(&self, body: &mut Value, user: usize, scopes: &[String]) {
        self.add_id_token_with_nonce(body, user, scopes, None);
    }

    /// As `add_id_token`, echoing the authorize request's `nonce` (OpenID Connect Core 1.0
    /// §3.1.3.6: the claim must be present, with the value sent, when a nonce was sent).
    pub fn add_id_token_with_nonce(
        &self,
        body: &mut Value,
        user: usize,
        scopes: &[String],
        nonce: Option<&str>,
    ) {
        if !scopes.iter().any(|s| s == "openid") {
            return;
        }
        let Some(key) = self.id_key() else {
            return;
        };
        let u = self.user(user);
        let now = self.now_ms() / 1000;
        let access = body["access_token"].as_str().unwrap_or_default();
        let mut claims = json!({
            "at_hash": crypto::at_hash(access),
            "sub": self.identity_url(user),
            "aud": self.scenario.app.consumer_key,
            "iss": self.login_url,
            "exp": now.saturating_add(300),
            "iat": now,
            "name": format!("{} {}", u.first_name, u.last_name),
            "preferred_username": u.username,
            "nickname": u.username.split('@').next().unwrap_or_default(),
            "given_name": u.first_name,
            "family_name": u.last_name,
            "email": u.email,
            "email_verified": true,
            "zoneinfo": "Europe/London",
            "locale": "en_GB",
            "updated_at": "2026-10-01T09:00:00Z",
        });
        if let Some(n) = nonce {
            claims["nonce"] = Value::from(n);
        }
        if let Some(jwt) = key.sign_jwt(&claims) {
            body["id_token"] = Value::from(jwt);
        }
    }

    /// The user behind a valid access token, with its scopes.
    pub fn check_access(&self, token: &str) -> Option<(usize, Vec<String>)> {
        let now = self.now_ms();
        let inner = self.lock();
        let t = inner.access.get(token)?;
        (!t.revoked && now < t.expires).then(|| (t.user, t.scopes.clone()))
    }

    /// Whether a refresh token may still be used, under the app's refresh-token policy.
    pub fn refresh_usable(&self, t: &RefreshToken, now: u64) -> bool {
        let hours = self
            .scenario
            .app
            .refresh_token_validity_hours
            .saturating_mul(3_600_000);
        !t.revoked
            && !t.rotated_out
            && match self.scenario.app.refresh_token_policy {
                RefreshPolicy::UntilRevoked => true,
                RefreshPolicy::ExpireImmediately => false,
                RefreshPolicy::ExpireIfUnused => now.saturating_sub(t.last_used) < hours,
                RefreshPolicy::ExpireAfter => now.saturating_sub(t.issued) < hours,
            }
    }

    /// Sweeps dead entries now and then, and makes room in every full map, before an insert.
    pub fn make_room(&self, inner: &mut Inner, now: u64) {
        inner.inserts += 1;
        let full = inner.codes.len() >= MAX_CODES
            || inner.access.len() >= MAX_ACCESS_TOKENS
            || inner.refresh.len() >= MAX_REFRESH_TOKENS
            || inner.device.len() >= MAX_DEVICE_CODES;
        if full || inner.inserts.is_multiple_of(SWEEP_EVERY) {
            self.sweep(inner, now);
        }
        evict_oldest(&mut inner.codes, MAX_CODES, |c| c.issued);
        evict_oldest(&mut inner.access, MAX_ACCESS_TOKENS, |t| t.issued);
        evict_oldest(&mut inner.refresh, MAX_REFRESH_TOKENS, |t| t.last_used);
        evict_oldest(&mut inner.device, MAX_DEVICE_CODES, |d| d.issued);
    }

    /// Drops what can never be used again. Codes and device codes stay for twice their
    /// lifetime (a late retry still reads "expired"); a rotated-out refresh token stays while
    /// its family lives (its reuse revokes the family).
    pub fn sweep(&self, inner: &mut Inner, now: u64) {
        inner
            .codes
            .retain(|_, c| now.saturating_sub(c.issued) <= 2 * CODE_TTL_MS);
        inner
            .device
            .retain(|_, d| now.saturating_sub(d.issued) <= 2 * DEVICE_TTL_MS);
        inner.access.retain(|_, t| !t.revoked && now < t.expires);
        inner
            .refresh
            .retain(|_, t| !t.revoked && (t.rotated_out || self.refresh_usable(t, now)));
    }

    /// Keeps a payDetails record, dropping the oldest beyond the memory budget; its number.
    pub fn keep_pay_details(inner: &mut Inner, record: Value) -> u64 {
        let size = record.to_string().len();
        inner.pay_details.push_back((record, size));
        inner.pay_details_bytes += size;
        while inner.pay_details_bytes > MAX_PAY_DETAILS_BYTES
            && let Some((_, n)) = inner.pay_details.pop_front()
        {
            inner.pay_details_bytes -= n;
        }
        inner.pay_details_posted += 1;
        inner.pay_details_posted
    }

    /// Revokes a refresh-token family and every access token issued from it, and deletes its
    /// grant (OauthToken row).
    pub fn revoke_family(inner: &mut Inner, family: u64) {
        inner.record.grants.retain(|g| g.family != Some(family));
        for t in inner.refresh.values_mut().filter(|t| t.family == family) {
            t.revoked = true;
        }
        for t in inner
            .access
            .values_mut()
            .filter(|t| t.family == Some(family))
        {
            t.revoked = true;
        }
    }
}

/// Removes the oldest entries until there is room for one more.
fn evict_oldest<V>(map: &mut HashMap<String, V>, cap: usize, age: impl Fn(&V) -> u64) {
    while map.len() >= cap {
        let Some(oldest) = map
            .iter()
            .min_by_key(|(_, v)| age(v))
            .map(|(k, _)| k.clone())
        else {
            return;
        };
        map.remove(&oldest);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org() -> Org {
        Org::new(
            Scenario::default(),
            "http://127.0.0.1:1".into(),
            "http://localhost:1".into(),
            "localhost:1".into(),
        )
    }

    #[test]
    fn dead_codes_and_tokens_are_swept() {
        let org = org();
        for i in 0..100 {
            org.new_code(0, "http://localhost:1717/OauthRedirect", None, vec![]);
            // Five grants: more would evict (and revoke) the oldest.
            org.issue_tokens(0, &["api".into(), "refresh_token".into()], i >= 95, None);
        }
        {
            let inner = org.lock();
            assert_eq!((inner.codes.len(), inner.access.len()), (100, 100));
        }
        // Past the codes' grace period and the sessions' timeout.
        org.lock().clock_offset_ms = 3 * CODE_TTL_MS + 7_200_000;
        for _ in 0..SWEEP_EVERY {
            org.new_code(0, "http://localhost:1717/OauthRedirect", None, vec![]);
        }
        let inner = org.lock();
        assert!(
            inner.codes.len() <= SWEEP_EVERY as usize,
            "{}",
            inner.codes.len()
        );
        assert_eq!(inner.access.len(), 0);
        // Refresh tokens valid until revoked stay.
        assert_eq!(inner.refresh.len(), 5);
        assert_eq!(inner.record.grants.len(), 5);
    }

    #[test]
    fn maps_never_grow_past_their_cap() {
        let org = org();
        for _ in 0..MAX_CODES + 50 {
            org.new_code(0, "http://localhost:1717/OauthRedirect", None, vec![]);
        }
        assert_eq!(org.lock().codes.len(), MAX_CODES);
        let mut inner = org.lock();
        for i in 0..MAX_DEVICE_CODES + 5 {
            org.make_room(&mut inner, 0);
            inner.device.insert(
                format!("d{i}"),
                DeviceAuth {
                    user_code: String::new(),
                    scopes: vec![],
                    approved_by: None,
                    denied: false,
                    polls: 0,
                    last_poll: None,
                    issued: i as u64,
                    done: false,
                },
            );
        }
        assert_eq!(inner.device.len(), MAX_DEVICE_CODES);
        // The oldest went first.
        assert!(!inner.device.contains_key("d0"));
        assert!(
            inner
                .device
                .contains_key(&format!("d{}", MAX_DEVICE_CODES + 4))
        );
    }

    #[test]
    fn pay_details_stay_within_their_budget() {
        let org = org();
        let mut inner = org.lock();
        let big = Value::from("x".repeat(1024 * 1024));
        for _ in 0..40 {
            Org::keep_pay_details(&mut inner, big.clone());
        }
        assert!(inner.pay_details_bytes <= MAX_PAY_DETAILS_BYTES);
        assert_eq!(inner.pay_details_posted, 40);
    }
}
