//! The OauthToken grants of a user (one per refresh token the user gave an app), and the
//! forecast of a grant's expiry under the app's refresh-token policy. Reusable on its own: the
//! do-no-harm guard counts the grants before and after a login with [`read_grants`].

use super::query::{ReadError, Reader};
use crate::engine::app::RefreshExpiry;
use crate::engine::clock;
use crate::engine::clock::iso8601;
use crate::engine::sanitize;

pub use crate::engine::model::record::{Forecast, GRANT_CAP, OauthGrant};

/// The OauthToken SOQL of the contract (the engine filters by app itself).
pub fn grants_query(user_id: &str) -> String {
    format!(
        "SELECT Id, UserId, AppName, AppMenuItemId, CreatedDate, LastUsedDate, UseCount, DeleteToken FROM OauthToken WHERE UserId = '{user_id}'"
    )
}

/// The user's grants, of every app (filter with [`OauthGrant::is_for`]). Every user reads their
/// own; Manage Users reads everyone's (others' rows are filtered out, not refused). The
/// DeleteTokens read are added to the client's secrets. `user_id` must be a Salesforce id.
pub async fn read_grants(
    client: &crate::engine::http::Client,
    instance_url: &str,
    access_token: &str,
    user_id: &str,
) -> Result<(Vec<OauthGrant>, Vec<u64>), ReadError> {
    if !super::is_sf_id(user_id) {
        return Err(ReadError::Failed("not a Salesforce user id".into()));
    }
    let reader = Reader {
        client,
        instance_url,
        access_token,
    };
    let rows = reader.query_all(&grants_query(user_id)).await?;
    Ok((grants_of(client, &rows), rows.request_ids))
}

/// The grants in an OauthToken query's rows (their DeleteTokens added to the client's secrets).
pub fn grants_of(
    client: &crate::engine::http::Client,
    rows: &super::query::Rows,
) -> Vec<OauthGrant> {
    let line = |v: &serde_json::Value| {
        v.as_str()
            .map(|s| sanitize::bounded(s, sanitize::MAX_VALUE, None))
    };
    rows.records
        .iter()
        .map(|r| {
            let delete_token = r["DeleteToken"].as_str().map(str::to_string);
            if let Some(t) = &delete_token {
                client.add_secret(t);
            }
            let created_ms = r["CreatedDate"].as_str().and_then(clock::parse_sf_datetime);
            let last_used_ms = r["LastUsedDate"]
                .as_str()
                .and_then(clock::parse_sf_datetime);
            OauthGrant {
                id: line(&r["Id"]),
                app_name: line(&r["AppName"]).unwrap_or_default(),
                created: created_ms.map(iso8601).or_else(|| line(&r["CreatedDate"])),
                last_used: last_used_ms
                    .map(iso8601)
                    .or_else(|| line(&r["LastUsedDate"])),
                use_count: r["UseCount"].as_u64(),
                created_ms,
                last_used_ms,
                this_run: false,
                expiry: None,
                delete_token,
            }
        })
        .collect()
}

const HOUR_MS: i64 = 3_600_000;

/// The forecast: an idle policy counts from the last use (or the creation, never used), an
/// absolute one from the creation. None when the dates are missing.
pub fn forecast(
    policy: RefreshExpiry,
    created_ms: Option<u64>,
    last_used_ms: Option<u64>,
    now_ms: u64,
) -> Option<Forecast> {
    let base = if policy.idle {
        last_used_ms.or(created_ms)?
    } else {
        created_ms?
    };
    let expires = base.saturating_add(policy.hours.saturating_mul(HOUR_MS as u64));
    let left_ms = expires as i64 - now_ms as i64;
    let rounded = |ms: i64, unit: i64| (ms.abs() + unit / 2) / unit;
    let span = |ms: i64| {
        if ms.abs() >= 24 * HOUR_MS {
            let d = rounded(ms, 24 * HOUR_MS);
            format!("{d} day{}", if d == 1 { "" } else { "s" })
        } else {
            let h = rounded(ms, HOUR_MS);
            format!("{h} hour{}", if h == 1 { "" } else { "s" })
        }
    };
    let text = if left_ms > 0 {
        format!("expires in {}", span(left_ms))
    } else {
        format!("expired {} ago", span(left_ms))
    };
    Some(Forecast {
        expires: iso8601(expires),
        hours_left: left_ms.div_euclid(HOUR_MS),
        text,
    })
}

/// Whether a forecast is close enough to warn: within 7 days or a quarter of the period,
/// whichever is shorter (or already expired).
pub fn expires_soon(policy: RefreshExpiry, f: &Forecast) -> bool {
    let window = (policy.hours / 4).min(7 * 24) as i64;
    f.hours_left < window
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: u64 = 24 * 3_600_000;

    #[test]
    fn the_idle_policy_counts_from_the_last_use() {
        let now = 1_796_648_700_000;
        let p = RefreshExpiry {
            idle: true,
            hours: 720,
        };
        let f = forecast(p, Some(now - 200 * DAY), Some(now - 27 * DAY), now).unwrap();
        assert_eq!(f.text, "expires in 3 days");
        assert_eq!(f.hours_left, 72);
        assert!(expires_soon(p, &f));
        let f = forecast(p, Some(now - 200 * DAY), Some(now - 2 * DAY), now).unwrap();
        assert_eq!(f.text, "expires in 28 days");
        assert!(!expires_soon(p, &f));
        // Never used: from the creation.
        let f = forecast(p, Some(now - 31 * DAY), None, now).unwrap();
        assert_eq!(f.text, "expired 1 day ago");
        assert!(f.hours_left < 0 && expires_soon(p, &f));
        // A few seconds after "27 days ago" still reads 3 days.
        let f = forecast(p, None, Some(now - 27 * DAY - 5_000), now).unwrap();
        assert_eq!(f.text, "expires in 3 days");
        assert_eq!(forecast(p, None, None, now), None);
    }

    #[test]
    fn the_absolute_policy_counts_from_the_creation() {
        let now = 1_796_648_700_000;
        let p = RefreshExpiry {
            idle: false,
            hours: 24,
        };
        let f = forecast(p, Some(now - 20 * 3_600_000), Some(now), now).unwrap();
        assert_eq!(f.text, "expires in 4 hours");
        assert!(expires_soon(p, &f));
    }

    #[test]
    fn the_delete_token_never_serialises_or_debugs() {
        let g = OauthGrant {
            id: Some("0CR000000000001".into()),
            app_name: "StackOne".into(),
            created: None,
            last_used: None,
            use_count: Some(3),
            created_ms: None,
            last_used_ms: None,
            this_run: false,
            expiry: None,
            delete_token: Some("SECRET-DELETE-TOKEN".into()),
        };
        let json = serde_json::to_string(&g).unwrap();
        assert!(
            !json.contains("SECRET-DELETE-TOKEN") && !json.contains("delete"),
            "{json}"
        );
        assert!(!format!("{g:?}").contains("SECRET-DELETE-TOKEN"));
        assert_eq!(g.delete_token(), Some("SECRET-DELETE-TOKEN"));
        assert!(g.is_for(" stackone "));
    }
}

#[cfg(test)]
pub mod tests_support {
    use super::*;

    /// A grant of `app` created and last used at the given times (no DeleteToken).
    pub fn grant(app: &str, created_ms: u64, last_used_ms: u64) -> OauthGrant {
        OauthGrant {
            id: None,
            app_name: app.into(),
            created: Some(iso8601(created_ms)),
            last_used: Some(iso8601(last_used_ms)),
            use_count: Some(1),
            created_ms: Some(created_ms),
            last_used_ms: Some(last_used_ms),
            this_run: false,
            expiry: None,
            delete_token: None,
        }
    }
}
