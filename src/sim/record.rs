//! The org's own record of logins and grants, as Salesforce keeps it: LoginHistory (one row
//! per login attempt, with Salesforce's Status wording), OauthToken (one row per grant, at most
//! five per user per app, the oldest evicted), and UserLogin (IsFrozen). Queryable with SOQL by
//! those allowed: every user reads their own rows, a user with Manage Users reads all.

use std::collections::{HashSet, VecDeque};

use serde_json::{Value, json};

use super::crypto::{self, sf_id18};
use super::scenario::Scenario;
use super::seed::{self, GRANT_CAP};
use super::soql::Table;
use super::state::{Inner, Org};

/// LoginHistory rows kept (the oldest go first).
pub const MAX_LOGIN_HISTORY: usize = 20_000;
/// Grants kept in all (the oldest go first).
pub const MAX_GRANTS: usize = 20_000;
/// Every client of the simulator is on loopback.
pub const SOURCE_IP: &str = "127.0.0.1";

pub struct LoginRow {
    pub seq: u64,
    pub user: usize,
    /// Milliseconds since the epoch.
    pub time: u64,
    pub status: String,
    pub application: String,
    pub login_type: String,
    pub source_ip: String,
}

/// One OauthToken row: a grant a user gave an app (a refresh-token family, or a seeded grant
/// held by an integration outside the simulator).
pub struct Grant {
    pub seq: u64,
    pub user: usize,
    pub app: String,
    /// The refresh-token family the grant issued (None: seeded).
    pub family: Option<u64>,
    pub created: u64,
    pub last_used: Option<u64>,
    pub use_count: u64,
    /// A secret: revokes the grant at `/services/oauth2/revoke`.
    pub delete_token: String,
}

#[derive(Default)]
pub struct Record {
    pub logins: VecDeque<LoginRow>,
    pub grants: Vec<Grant>,
    pub frozen: HashSet<usize>,
    next_login: u64,
    next_grant: u64,
}

impl Record {
    /// The record a scenario starts with: its seeded rows and grants, its frozen users (whose
    /// grants were revoked when they were frozen).
    pub fn seeded(s: &Scenario, now: u64) -> Record {
        let mut r = Record::default();
        let mut rows: Vec<(u64, &seed::LoginHistorySeed, usize)> = Vec::new();
        for sd in &s.login_history {
            let Some(user) = seed::seed_user(s, &sd.user) else {
                continue;
            };
            let newest = now.saturating_sub(sd.ago.ms().unwrap_or(0));
            let span = sd.span.ms().unwrap_or(0);
            let n = sd.count.max(1);
            for i in 0..n {
                // Evenly spread over the span, the newest at `ago`.
                let back = if n > 1 {
                    span.saturating_mul(i) / (n - 1)
                } else {
                    0
                };
                rows.push((newest.saturating_sub(back), sd, user));
            }
        }
        rows.sort_by_key(|(t, _, _)| *t);
        for (time, sd, user) in rows {
            let application = if sd.application.is_empty() {
                s.app.name.clone()
            } else {
                sd.application.clone()
            };
            r.push_login(LoginRow {
                seq: 0,
                user,
                time,
                status: sd.status.clone(),
                application,
                login_type: sd.login_type.clone(),
                source_ip: sd.source_ip.clone(),
            });
        }
        for sd in &s.oauth_tokens {
            let Some(user) = seed::seed_user(s, &sd.user) else {
                continue;
            };
            let app = if sd.app.is_empty() {
                s.app.name.clone()
            } else {
                sd.app.clone()
            };
            let created = now.saturating_sub(sd.created_ago.ms().unwrap_or(0));
            let last_used = (!sd.last_used_ago.is_empty())
                .then(|| now.saturating_sub(sd.last_used_ago.ms().unwrap_or(0)));
            r.add_grant(user, &app, None, created);
            if let Some(g) = r.grants.last_mut() {
                g.last_used = last_used;
                g.use_count = sd.use_count;
            }
        }
        for (i, u) in s.users.iter().enumerate() {
            if u.frozen {
                r.frozen.insert(i);
                r.grants.retain(|g| g.user != i);
            }
        }
        r
    }

    pub fn push_login(&mut self, mut row: LoginRow) {
        self.next_login += 1;
        row.seq = self.next_login;
        self.logins.push_back(row);
        while self.logins.len() > MAX_LOGIN_HISTORY {
            self.logins.pop_front();
        }
    }

    /// Adds a grant; at the cap, the user's oldest grants for the app go first. Returns the
    /// refresh-token families of the grants evicted (to be revoked).
    pub fn add_grant(&mut self, user: usize, app: &str, family: Option<u64>, now: u64) -> Vec<u64> {
        let mut evicted = Vec::new();
        loop {
            let same = |g: &&Grant| g.user == user && g.app.eq_ignore_ascii_case(app);
            if self.grants.iter().filter(same).count() < GRANT_CAP {
                break;
            }
            // The oldest by creation (the issue's word; Salesforce's page says "least recently
            // used": docs/simulator.md).
            let Some(oldest) = self
                .grants
                .iter()
                .enumerate()
                .filter(|(_, g)| same(g))
                .min_by_key(|(_, g)| (g.created, g.seq))
                .map(|(i, _)| i)
            else {
                break;
            };
            let gone = self.grants.remove(oldest);
            evicted.extend(gone.family);
        }
        while self.grants.len() >= MAX_GRANTS {
            let gone = self.grants.remove(0);
            evicted.extend(gone.family);
        }
        self.next_grant += 1;
        self.grants.push(Grant {
            seq: self.next_grant,
            user,
            app: app.to_string(),
            family,
            created: now,
            last_used: None,
            use_count: 0,
            delete_token: crypto::random_token(24),
        });
        evicted
    }

    /// A refresh through the grant's family: its last use and use count.
    pub fn touch(&mut self, family: u64, now: u64) {
        if let Some(g) = self.grants.iter_mut().find(|g| g.family == Some(family)) {
            g.last_used = Some(now);
            g.use_count = g.use_count.saturating_add(1);
        }
    }
}

/// `2026-12-07T13:05:00.000+0000`, as Salesforce writes a datetime.
pub fn sf_datetime(ms: u64) -> String {
    let days = i64::try_from(ms / 86_400_000).unwrap_or(0);
    let (y, m, d) = super::soql::civil(days);
    let rem = ms % 86_400_000;
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}+0000",
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1000 % 60,
        rem % 1000
    )
}

impl Org {
    /// Manage Users (the org's admin): reads everyone's record and may unfreeze.
    pub fn manages_users(&self, user: usize) -> bool {
        let u = self.user(user);
        u.manage_users || u.assign_permission_sets
    }

    pub fn is_frozen(&self, user: usize) -> bool {
        self.lock().record.frozen.contains(&user)
    }

    /// The LoginHistory Status of a failed token request, from its error pair: Salesforce's
    /// words (field-2026.md §2.4); the pairs marked "guess" in docs/simulator.md are guesses.
    pub fn login_status(&self, error: &str, description: &str) -> &'static str {
        let shapes = &self.scenario.shapes;
        if error == shapes.login_rate_error && description == shapes.login_rate_description {
            return "Login rate exceeded";
        }
        match (error, description) {
            ("invalid_grant", "invalid code verifier") => "Failed: Invalid Code Verifier",
            ("invalid_grant", "inactive user") => "User is frozen",
            ("inactive_user", _) => "User is inactive",
            ("invalid_grant", "ip restricted") => "Restricted IP",
            ("invalid_app_access", _) => "Failed: Not approved for access",
            ("invalid_grant", "user hasn't approved this consumer") => {
                "Failed: Not approved for access"
            }
            ("invalid_grant", "authentication failure") => {
                if self.scenario.org.username_password_flow {
                    "Invalid password"
                } else {
                    "Username-Password Flow Disabled"
                }
            }
            ("redirect_uri_mismatch", _) => "Failed: Invalid Callback URL",
            ("invalid_grant", "expired access/refresh token" | "expired authorization code") => {
                "Failed: Invalid Token"
            }
            ("invalid_grant", "token request is already being processed") => {
                "Failed: Token request is already being processed"
            }
            _ => "Login invalid",
        }
    }

    /// Writes a LoginHistory row for the user, now.
    pub fn log_login(&self, user: usize, status: &str, login_type: &str) {
        self.log_login_to(user, status, login_type, &self.scenario.app.name);
    }

    /// Writes a LoginHistory row for the user's login to `application`, now.
    pub fn log_login_to(&self, user: usize, status: &str, login_type: &str, application: &str) {
        let now = self.now_ms();
        let application = application.to_string();
        let mut inner = self.lock();
        // Strictly after the row before: ORDER BY LoginTime sees every attempt in its order.
        let time = inner
            .record
            .logins
            .back()
            .map_or(now, |last| now.max(last.time.saturating_add(1)));
        inner.record.push_login(LoginRow {
            seq: 0,
            user,
            time,
            status: status.to_string(),
            application,
            login_type: login_type.to_string(),
            source_ip: SOURCE_IP.to_string(),
        });
    }

    /// Freezes or unfreezes a user. `revoke`: every grant of theirs goes too, as Salesforce's
    /// high-risk-IP containment does (2026); an admin's freeze leaves them (a guess).
    pub fn set_frozen(inner: &mut Inner, user: usize, frozen: bool, revoke: bool) {
        if !frozen {
            inner.record.frozen.remove(&user);
            return;
        }
        inner.record.frozen.insert(user);
        if !revoke {
            return;
        }
        let families: Vec<u64> = inner
            .record
            .grants
            .iter()
            .filter(|g| g.user == user)
            .filter_map(|g| g.family)
            .collect();
        inner.record.grants.retain(|g| g.user != user);
        for f in families {
            Org::revoke_family(inner, f);
        }
    }

    /// Revokes the grant whose DeleteToken this is; false when none is.
    pub fn revoke_by_delete_token(&self, inner: &mut Inner, token: &str) -> bool {
        let Some(i) = inner
            .record
            .grants
            .iter()
            .position(|g| g.delete_token == token)
        else {
            return false;
        };
        let gone = inner.record.grants.remove(i);
        if let Some(f) = gone.family {
            Org::revoke_family(inner, f);
        }
        true
    }

    pub fn user_login_id(&self, user: usize) -> String {
        sf_id18(&format!("0605g{:010}", user))
    }

    /// The user a UserLogin id names.
    pub fn user_of_login_id(&self, id: &str) -> Option<usize> {
        (0..self.scenario.users.len()).find(|u| {
            let full = self.user_login_id(*u);
            full.eq_ignore_ascii_case(id) || (id.len() == 15 && full.get(..15) == Some(id))
        })
    }

    /// LoginHistory, OauthToken and UserLogin as `caller` may read them: own rows, or every
    /// row with Manage Users. Rows one may not read are filtered out, not refused.
    pub fn record_tables(&self, caller: usize) -> Vec<Table> {
        let all = self.manages_users(caller) || self.user(caller).view_all_users;
        let visible = |u: usize| all || u == caller;
        let inner = self.lock();
        let r = &inner.record;
        let login_url = self
            .login_url
            .split("://")
            .nth(1)
            .unwrap_or_default()
            .to_string();
        let logins: Vec<Value> = r
            .logins
            .iter()
            .filter(|l| visible(l.user))
            .map(|l| {
                json!({
                    "Id": sf_id18(&format!("0Ya5g{:010}", l.seq)), "UserId": self.user_id18(l.user),
                    "LoginTime": sf_datetime(l.time), "Status": l.status, "Application": l.application,
                    "LoginType": l.login_type, "SourceIp": l.source_ip, "LoginUrl": login_url,
                    "Browser": "Unknown", "Platform": "Unknown", "ApiType": "N/A", "ApiVersion": "N/A",
                })
            })
            .collect();
        let installed = self.scenario.app.installed;
        let tokens: Vec<Value> = r
            .grants
            .iter()
            .filter(|g| visible(g.user))
            .map(|g| {
                // "Id: reserved for future use; currently always null" (object reference).
                json!({
                    "Id": null, "UserId": self.user_id18(g.user), "AppName": g.app,
                    "AppMenuItemId": if installed && g.app.eq_ignore_ascii_case(&self.scenario.app.name) {
                        json!(sf_id18("0Pp5g000000XyZa")) } else { Value::Null },
                    "CreatedDate": sf_datetime(g.created), "LastUsedDate": g.last_used.map(sf_datetime),
                    "UseCount": g.use_count, "DeleteToken": g.delete_token,
                })
            })
            .collect();
        let user_logins: Vec<Value> = (0..self.scenario.users.len())
            .filter(|u| visible(*u))
            .map(|u| {
                json!({
                    "Id": self.user_login_id(u), "UserId": self.user_id18(u),
                    "IsFrozen": r.frozen.contains(&u), "IsPasswordLocked": false,
                })
            })
            .collect();
        vec![
            Table {
                name: "LoginHistory",
                fields: &[
                    "Id",
                    "UserId",
                    "LoginTime",
                    "Status",
                    "Application",
                    "LoginType",
                    "SourceIp",
                    "LoginUrl",
                    "Browser",
                    "Platform",
                    "ApiType",
                    "ApiVersion",
                ],
                rows: logins,
            },
            Table {
                name: "OauthToken",
                fields: &[
                    "Id",
                    "UserId",
                    "AppName",
                    "AppMenuItemId",
                    "CreatedDate",
                    "LastUsedDate",
                    "UseCount",
                    "DeleteToken",
                ],
                rows: tokens,
            },
            Table {
                name: "UserLogin",
                fields: &["Id", "UserId", "IsFrozen", "IsPasswordLocked"],
                rows: user_logins,
            },
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetimes_are_salesforce_shaped() {
        // 2026-12-07T13:05:00.250Z
        let ms = (20_794 * 86_400 + 13 * 3600 + 5 * 60) * 1000 + 250;
        assert_eq!(sf_datetime(ms), "2026-12-07T13:05:00.250+0000");
    }

    #[test]
    fn seeds_default_to_the_integration_user_not_the_added_admin() {
        let mut s = Scenario::default();
        s.users[0].auto_approve = false;
        s.login_history = vec![seed::LoginHistorySeed::default()];
        s.oauth_tokens = vec![seed::OauthTokenSeed::default()];
        super::super::sobjects::add_admin(&mut s);
        assert!(s.users[1].auto_approve);
        let r = Record::seeded(&s, 1_000_000_000);
        assert_eq!(r.logins[0].user, 0);
        assert_eq!(r.grants[0].user, 0);
        assert_eq!(seed::integration_user(&s), 0);
    }

    #[test]
    fn the_sixth_grant_evicts_the_oldest() {
        let mut r = Record::default();
        for i in 0..5u64 {
            assert!(r.add_grant(0, "App", Some(i), 100 - i).is_empty());
        }
        // Another user's and another app's grants do not count.
        assert!(r.add_grant(1, "App", Some(10), 1).is_empty());
        assert!(r.add_grant(0, "Other", Some(11), 1).is_empty());
        // The oldest by creation is family 4 (created at 96).
        assert_eq!(r.add_grant(0, "app", Some(5), 200), vec![4]);
        assert_eq!(r.grants.len(), 7);
    }
}
