//! The wall clock, in the units the engine records and Salesforce speaks: milliseconds (log
//! timestamps, `issued_at`) and seconds (JWT `exp`, introspection `exp`) since the Unix epoch.
//! A clock before 1970 reads as 0.

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Seconds since the Unix epoch.
pub fn now_secs() -> u64 {
    now_ms() / 1000
}
