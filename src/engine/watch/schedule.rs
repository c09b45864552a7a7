//! When each org's next cycle is due: an interval with a per-org jitter (a stable offset from a
//! hash of the org's name, so a fleet's cycles spread over the interval instead of firing at
//! once), or a cron expression (the `cron` crate: seconds field first, in UTC). A slot's start
//! is also its lease key in team mode (`Store::try_lease`): two watchers compute the same slot.

use std::str::FromStr;

use chrono::{DateTime, Utc};

use super::model::Schedule;

/// The shortest interval accepted (a cycle writes LoginHistory rows of the monitoring user
/// and spends API calls: field-2026 §3.1 rule 6).
pub const MIN_INTERVAL_SECS: u64 = 60;

/// Why a schedule cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error(
        "the cron expression `{expr}` is not valid: {why} (six or seven fields, seconds first, e.g. \"0 */15 * * * *\")"
    )]
    Cron { expr: String, why: String },
    #[error("the interval must be at least {MIN_INTERVAL_SECS} seconds (got {0})")]
    Interval(u64),
    #[error("the cron expression `{0}` never fires again")]
    Never(String),
}

/// Checks a schedule.
pub fn validate(s: &Schedule) -> Result<(), ScheduleError> {
    match s {
        Schedule::Interval { secs } if *secs < MIN_INTERVAL_SECS => {
            Err(ScheduleError::Interval(*secs))
        }
        Schedule::Interval { .. } => Ok(()),
        Schedule::Cron { expr } => parse_cron(expr).map(|_| ()),
    }
}

fn parse_cron(expr: &str) -> Result<cron::Schedule, ScheduleError> {
    cron::Schedule::from_str(expr).map_err(|e| ScheduleError::Cron {
        expr: expr.to_string(),
        why: e.to_string(),
    })
}

/// Parses `15m`, `1h`, `900`, `90s`, `2h30m` into seconds.
pub fn parse_duration(s: &str) -> Option<u64> {
    let s = s.trim();
    if let Ok(n) = s.parse::<u64>() {
        return Some(n);
    }
    let mut total: u64 = 0;
    let mut num = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let n: u64 = num.parse().ok()?;
        num.clear();
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return None,
        };
        total = total.checked_add(n.checked_mul(unit)?)?;
    }
    if !num.is_empty() {
        return None;
    }
    (total > 0).then_some(total)
}

/// A stable offset in [0, interval) from the org's name (FNV-1a).
pub fn jitter(name: &str, interval: u64) -> u64 {
    if interval == 0 {
        return 0;
    }
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h % interval
}

/// The slot (its start, Unix seconds) that is due at or before `now`, and the next slot's
/// start after `now`. For an interval: slots start at `k * interval + jitter`.
pub fn slots(name: &str, s: &Schedule, now: i64) -> Result<(i64, i64), ScheduleError> {
    match s {
        Schedule::Interval { secs } => {
            let every = (*secs).max(1) as i64;
            let off = jitter(name, *secs) as i64;
            let k = (now - off).div_euclid(every);
            let current = k * every + off;
            Ok((current, current + every))
        }
        Schedule::Cron { expr } => {
            let sched = parse_cron(expr)?;
            let at = DateTime::<Utc>::from_timestamp(now, 0).unwrap_or_default();
            let next = sched
                .after(&at)
                .next()
                .ok_or_else(|| ScheduleError::Never(expr.clone()))?
                .timestamp();
            // The slot due now: the last fire time at or before `now` (searched from one
            // period before the next fire, bounded).
            let mut current = None;
            let mut from = now - (next - now).max(60) * 2 - 1;
            for _ in 0..4 {
                let start = DateTime::<Utc>::from_timestamp(from, 0).unwrap_or_default();
                current = sched
                    .after(&start)
                    .take_while(|t| t.timestamp() <= now)
                    .last()
                    .map(|t| t.timestamp());
                if current.is_some() {
                    break;
                }
                from -= (next - now).max(60) * 8;
            }
            Ok((current.unwrap_or(now), next))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interval_slots_are_stable_and_jittered_per_org() {
        let s = Schedule::Interval { secs: 900 };
        let (a, next) = slots("org-001", &s, 10_000).unwrap();
        assert!(a <= 10_000 && next > 10_000 && next - a == 900);
        let (b, _) = slots("org-001", &s, a + 899).unwrap();
        assert_eq!(a, b, "the same slot within the interval");
        let offs: std::collections::BTreeSet<u64> = (0..50)
            .map(|i| jitter(&format!("org-{i:03}"), 900))
            .collect();
        assert!(offs.len() > 40, "names spread over the interval: {offs:?}");
    }

    #[test]
    fn cron_slots_find_the_last_and_next_fire() {
        let s = Schedule::Cron {
            expr: "0 */15 * * * *".into(),
        };
        let now = 1_765_000_000; // 2025-12-06T05:46:40Z
        let (cur, next) = slots("x", &s, now).unwrap();
        assert_eq!(cur % 900, 0);
        assert!(
            cur <= now && next > now && next - cur == 900,
            "{cur} {next}"
        );
        assert!(
            validate(&Schedule::Cron {
                expr: "nonsense".into()
            })
            .is_err()
        );
        assert!(validate(&Schedule::Interval { secs: 5 }).is_err());
    }

    #[test]
    fn durations_read_as_people_write_them() {
        assert_eq!(parse_duration("900"), Some(900));
        assert_eq!(parse_duration("15m"), Some(900));
        assert_eq!(parse_duration("1h30m"), Some(5400));
        assert_eq!(parse_duration("1x"), None);
        assert_eq!(parse_duration("10m5"), None);
    }
}
