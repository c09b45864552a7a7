//! Bounds under the response cap (issue 24 §4): a token answer whose fields are far longer than
//! Salesforce's is refused before anything copies them (the oauth2 parse, the `Tokens`, the
//! secret list, a bearer header per request), so a 30 MiB `access_token` costs one read buffer.

use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::findings::{Code, Finding};

/// The longest field (name or string value) a token answer may hold. Salesforce's access and
/// refresh tokens are about 112 characters, its URLs a few dozen, an OpenID Connect `id_token`
/// (a signed JWT) one or two KB.
pub const MAX_TOKEN_FIELD: usize = 8 * 1024;

/// A field of a token answer longer than [`MAX_TOKEN_FIELD`]: its name (at most 64 characters
/// of it, for the message) and its length in bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LongField {
    pub name: String,
    pub bytes: usize,
}

/// The longest top-level field of a JSON object answer when it is over [`MAX_TOKEN_FIELD`]
/// (a key or a string value). Nothing is copied: strings are measured where serde_json reads
/// them. `None` for a body that is not a JSON object (other checks read those).
pub fn long_token_field(body: &[u8]) -> Option<LongField> {
    // Cheap test first: a body this short cannot hold a field this long.
    if body.len() <= MAX_TOKEN_FIELD {
        return None;
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    de.deserialize_map(Fields).ok().flatten()
}

/// The finding for a refused token answer.
pub fn finding(long: &LongField, response_id: u64) -> Finding {
    Finding::new(
        Code::TOKEN_FIELD_TOO_LONG,
        format!(
            "The token response's `{}` is {} bytes long; sagediag accepts at most {MAX_TOKEN_FIELD} (Salesforce's tokens are about 112 characters). The answer was refused and the token sent nowhere.",
            long.name, long.bytes
        ),
        vec![response_id],
    )
    .titled(format!(
        "The token response's `{}` is {} bytes long",
        long.name, long.bytes
    ))
}

struct Fields;

impl<'de> Visitor<'de> for Fields {
    type Value = Option<LongField>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut longest: Option<LongField> = None;
        while let Some(key) = map.next_key::<Name>()? {
            let value = map.next_value::<Len>()?;
            let bytes = key.bytes.max(value.0);
            if bytes > MAX_TOKEN_FIELD && longest.as_ref().is_none_or(|l| bytes > l.bytes) {
                longest = Some(LongField {
                    name: key.shown,
                    bytes,
                });
            }
        }
        Ok(longest)
    }
}

/// A key: its first 64 characters and its length.
struct Name {
    shown: String,
    bytes: usize,
}

impl<'de> de::Deserialize<'de> for Name {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Name;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Name, E> {
                Ok(Name {
                    shown: v.chars().take(64).collect(),
                    bytes: v.len(),
                })
            }
        }
        d.deserialize_str(V)
    }
}

/// A value's length when it is a string (0 otherwise); arrays and objects are skipped unread.
struct Len(usize);

impl<'de> de::Deserialize<'de> for Len {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Len;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Len, E> {
                Ok(Len(v.len()))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Len, E> {
                Ok(Len(0))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Len, E> {
                Ok(Len(0))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Len, E> {
                Ok(Len(0))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Len, E> {
                Ok(Len(0))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Len, E> {
                Ok(Len(0))
            }
            fn visit_none<E: de::Error>(self) -> Result<Len, E> {
                Ok(Len(0))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<Len, A::Error> {
                while s.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Len(0))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Len, A::Error> {
                while m.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Len(0))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_salesforce_answer_passes_and_a_long_field_is_named() {
        let ok = br#"{"access_token":"00Dxx0000001gPL!AR8AQJXg5oj8jXSgxJfA0lBog.39AsX.LVpxezPwuX5VAIrrbbHMuol7GQxnMeYMN7cj8EoWr78nT1jHTjnoifrTzuuJBE8Z","instance_url":"https://acme.my.salesforce.com","id_token":"x","scope":"api refresh_token"}"#;
        assert_eq!(long_token_field(ok), None);
        let padded = format!(
            r#"{{"access_token":"00D!ok","nested":{{"x":"{}"}}, "list":["{}"]}}{}"#,
            "y".repeat(20_000),
            "z".repeat(20_000),
            " ".repeat(20_000)
        );
        assert_eq!(
            long_token_field(padded.as_bytes()),
            None,
            "only top-level strings count"
        );
        for field in ["access_token", "refresh_token", "id_token", "instance_url"] {
            let body = format!(
                r#"{{"token_type":"Bearer","{field}":"{}","scope":"api"}}"#,
                "A".repeat(MAX_TOKEN_FIELD + 1)
            );
            assert_eq!(
                long_token_field(body.as_bytes()),
                Some(LongField {
                    name: field.into(),
                    bytes: MAX_TOKEN_FIELD + 1
                })
            );
        }
        let escaped = format!(r#"{{"access_token":"{}"}}"#, "\\u0041".repeat(2_000));
        assert_eq!(
            long_token_field(escaped.as_bytes()),
            None,
            "2,000 decoded bytes"
        );
        let key = format!(r#"{{"{}":1}}"#, "k".repeat(MAX_TOKEN_FIELD + 5));
        let long = long_token_field(key.as_bytes()).unwrap();
        assert_eq!(
            (long.name.chars().count(), long.bytes),
            (64, MAX_TOKEN_FIELD + 5)
        );
        assert_eq!(long_token_field(&[b'['; 20_000]), None);
    }
}
