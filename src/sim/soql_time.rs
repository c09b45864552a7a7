//! SOQL datetimes to the millisecond: literals (`2026-11-30T10:00:00Z`, `…+01:00`, `…-0800`)
//! and field values as Salesforce writes them (`2026-12-07T13:05:00.000+0000`), so that
//! `LoginTime >= 2026-11-30T10:00:00Z` compares instants, not days (SOQL and SOSL Reference,
//! "Date Formats and Date Literals": `YYYY-MM-DDThh:mm:ss+hh:mm`, `-hh:mm`, `Z`).

use super::soql::days_from_civil;

fn number(s: &str) -> Option<i64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Milliseconds since 1970 of a datetime with a time and a zone; None for anything else
/// (a date alone included).
pub fn datetime_ms(s: &str) -> Option<i64> {
    if !s.is_ascii() {
        return None;
    }
    let (y, m, d) = (
        number(s.get(0..4)?)?,
        number(s.get(5..7)?)?,
        number(s.get(8..10)?)?,
    );
    let seps = (
        s.get(4..5)?,
        s.get(7..8)?,
        s.get(10..11)?,
        s.get(13..14)?,
        s.get(16..17)?,
    );
    if seps != ("-", "-", "T", ":", ":") && seps != ("-", "-", "t", ":", ":") {
        return None;
    }
    let (hh, mi, ss) = (
        number(s.get(11..13)?)?,
        number(s.get(14..16)?)?,
        number(s.get(17..19)?)?,
    );
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mi > 59 || ss > 59 {
        return None;
    }
    let mut rest = s.get(19..)?;
    let mut millis = 0;
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let first3 = frac.get(..digits.min(3))?;
        millis = number(first3)? * 10_i64.pow(3 - first3.len() as u32);
        rest = frac.get(digits..)?;
    }
    let offset_min = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.get(0..1)? {
                "+" => 1,
                "-" => -1,
                _ => return None,
            };
            let zone = rest.get(1..)?.replace(':', "");
            if zone.len() != 4 {
                return None;
            }
            let (zh, zm) = (number(zone.get(0..2)?)?, number(zone.get(2..4)?)?);
            if zh > 14 || zm > 59 {
                return None;
            }
            sign * (zh * 60 + zm)
        }
    };
    let days = days_from_civil(y, m, d);
    Some(
        days * 86_400_000 + hh * 3_600_000 + mi * 60_000 + ss * 1000 + millis - offset_min * 60_000,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_and_values_read_as_instants() {
        let base = datetime_ms("2026-11-30T00:00:00Z").unwrap();
        assert_eq!(base, 20_787 * 86_400_000);
        assert_eq!(
            datetime_ms("2026-11-30T10:05:00.250+0000"),
            Some(base + (10 * 3600 + 5 * 60) * 1000 + 250)
        );
        assert_eq!(datetime_ms("2026-11-30T01:00:00+01:00"), Some(base));
        assert_eq!(datetime_ms("2026-11-30T00:00:00.5+0000"), Some(base + 500));
        assert_eq!(datetime_ms("2026-11-30T00:00:00.123456Z"), Some(base + 123));
        assert_eq!(datetime_ms("2026-11-29T16:00:00-0800"), Some(base));
        for bad in [
            "2026-11-30",
            "2026-11-30T25:00:00Z",
            "2026-11-30T10:00:00",
            "2026-11-30T10:00:00.Z",
            "2026-11-30T10:00:00+1",
            "2026-11-30T10:00:00Zé",
            "TODAY",
            "",
        ] {
            assert_eq!(datetime_ms(bad), None, "{bad}");
        }
    }
}
