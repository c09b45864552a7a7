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

/// Milliseconds since the Unix epoch of a datetime as Salesforce sends it
/// (`2026-12-07T13:05:00.000+0000`; also `Z`, `+00:00`, no fraction). None if it is not one.
pub fn parse_sf_datetime(s: &str) -> Option<u64> {
    let s = s.trim();
    let num = |from: usize, len: usize| -> Option<i64> {
        let part = s.get(from..from + len)?;
        part.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let (y, mo, d) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    let (h, mi, sec) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    if s.get(4..5) != Some("-") || s.get(7..8) != Some("-") || s.get(10..11) != Some("T") {
        return None;
    }
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let mut rest = s.get(19..)?;
    let mut ms = 0i64;
    if let Some(frac) = rest.strip_prefix('.') {
        let digits: String = frac.chars().take_while(char::is_ascii_digit).collect();
        let n = digits.len();
        if n == 0 {
            return None;
        }
        let first3: String = digits.chars().chain("000".chars()).take(3).collect();
        ms = first3.parse().ok()?;
        rest = frac.get(n..)?;
    }
    let offset_min = match rest {
        "" | "Z" => 0,
        tz => {
            let sign = match tz.get(..1)? {
                "+" => 1,
                "-" => -1,
                _ => return None,
            };
            let digits: String = tz.chars().skip(1).filter(|c| *c != ':').collect();
            if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let hh: i64 = digits.get(..2)?.parse().ok()?;
            let mm: i64 = digits.get(2..)?.parse().ok()?;
            sign * (hh * 60 + mm)
        }
    };
    // Days from the civil date (Howard Hinnant's algorithm).
    let y2 = if mo <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = if mo > 2 { mo - 3 } else { mo + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + h * 3600 + mi * 60 + sec - offset_min * 60;
    u64::try_from(secs * 1000 + ms).ok()
}

/// `2026-11-22T20:53:11.123Z` from milliseconds since the epoch.
pub fn iso8601(unix_ms: u64) -> String {
    let secs = unix_ms / 1000;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        unix_ms % 1000
    )
}

#[cfg(test)]
mod tests {
    use super::parse_sf_datetime;

    #[test]
    fn salesforce_datetimes_parse() {
        assert_eq!(parse_sf_datetime("1970-01-01T00:00:00.000+0000"), Some(0));
        assert_eq!(
            parse_sf_datetime("2026-12-07T13:05:00.000+0000"),
            Some(1_796_648_700_000)
        );
        assert_eq!(
            parse_sf_datetime("2026-12-07T14:05:00.250+0100"),
            Some(1_796_648_700_250)
        );
        assert_eq!(
            parse_sf_datetime("2026-12-07T13:05:00Z"),
            Some(1_796_648_700_000)
        );
        for bad in [
            "",
            "2026-12-07",
            "2026-13-07T13:05:00Z",
            "2026-12-07T13:05:00+00",
            "x026-12-07T13:05:00Z",
            "2026-12-07T13:05:00.+0000",
        ] {
            assert_eq!(parse_sf_datetime(bad), None, "{bad}");
        }
    }
}
