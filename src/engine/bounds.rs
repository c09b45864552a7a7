//! Bounds under the response cap (issue 24 §4): a token answer whose fields are far longer than
//! Salesforce's is refused before anything copies them (the oauth2 parse, the `Tokens`, the
//! secret list, a bearer header per request), so a 30 MiB `access_token` costs one read buffer;
//! and the bodies read and held at once share one budget ([`Budget`], [`read_capped`]).

use std::fmt;
use std::sync::Arc;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::findings::{Code, Finding};
use super::http::Failure;

/// Bytes of response bodies the client holds at once (being read, or read and not yet dropped)
/// by default: twice the default read cap, so one answer at the cap always fits beside another
/// big one. The probes and org queries go out together; fifteen 30 MiB answers at once would
/// otherwise hold 450 MiB.
pub const IN_FLIGHT_BUDGET: usize = 64 * 1024 * 1024;

/// The response bytes a client may hold at once, shared by its clones.
#[derive(Clone)]
pub struct Budget {
    permits: Arc<Semaphore>,
    bytes: usize,
}

impl Budget {
    /// A budget of `bytes` (at least twice `cap`, the read cap, and [`IN_FLIGHT_BUDGET`]).
    pub fn for_cap(cap: usize) -> Budget {
        let bytes = IN_FLIGHT_BUDGET
            .max(cap.saturating_mul(2))
            .min(Semaphore::MAX_PERMITS);
        Budget {
            permits: Arc::new(Semaphore::new(bytes)),
            bytes,
        }
    }
    pub fn bytes(&self) -> usize {
        self.bytes
    }
    /// Bytes of the budget not held now.
    pub fn available(&self) -> usize {
        self.permits.available_permits()
    }
}

/// A body's share of the budget, given back when the response holding it is dropped.
#[derive(Default, Debug)]
pub struct Held(Option<OwnedSemaphorePermit>);

impl Held {
    /// Takes `n` more bytes of `budget` now, or says no (never waits: a response waiting for
    /// another held by its own caller would wait for ever).
    fn take(&mut self, budget: &Budget, n: usize) -> bool {
        if n == 0 {
            return true;
        }
        let Ok(n) = u32::try_from(n) else {
            return false;
        };
        match budget.permits.clone().try_acquire_many_owned(n) {
            Ok(p) => {
                match &mut self.0 {
                    Some(held) => held.merge(p),
                    None => self.0 = Some(p),
                }
                true
            }
            Err(_) => false,
        }
    }
    pub fn bytes(&self) -> usize {
        self.0.as_ref().map_or(0, |p| p.num_permits())
    }
}

/// Reads a body up to `cap` bytes, each chunk taken from `budget` as it arrives: the body and its
/// share of the budget, or what was read and why it stopped, when it did not finish.
pub async fn read_capped(
    mut resp: reqwest::Response,
    cap: usize,
    budget: &Budget,
) -> Result<(Vec<u8>, Held), (Vec<u8>, Held, Failure)> {
    let mut held = Held::default();
    let declared = resp.content_length();
    if let Some(n) = declared.filter(|n| *n > cap as u64) {
        return Err((
            Vec::new(),
            held,
            Failure::TooLarge {
                read: 0,
                declared: Some(n),
                cap,
                budget: false,
            },
        ));
    }
    // A declared length (within the cap) is taken from the budget at once and allocated once:
    // no doubling of the buffer as it fills (a 30 MiB body would pass through 16 + 32 MiB).
    let declared_len = declared.map_or(0, |n| n as usize);
    if !held.take(budget, declared_len) {
        let failure = Failure::TooLarge {
            read: 0,
            declared,
            cap: budget.bytes(),
            budget: true,
        };
        return Err((Vec::new(), held, failure));
    }
    let mut body = Vec::with_capacity(declared_len);
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                // Bytes past what is already held (a server sending more than it declared).
                let more = (body.len() + chunk.len()).saturating_sub(held.bytes());
                if body.len() + chunk.len() > cap {
                    let room = cap - body.len();
                    let part = chunk.get(..room).unwrap_or_default();
                    let more = (body.len() + part.len()).saturating_sub(held.bytes());
                    if held.take(budget, more) {
                        body.extend_from_slice(part);
                    }
                    let read = body.len() + (chunk.len() - part.len());
                    let failure = Failure::TooLarge {
                        read,
                        declared,
                        cap,
                        budget: false,
                    };
                    return Err((body, held, failure));
                }
                if !held.take(budget, more) {
                    let failure = Failure::TooLarge {
                        read: body.len() + chunk.len(),
                        declared,
                        cap: budget.bytes(),
                        budget: true,
                    };
                    return Err((body, held, failure));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok((body, held)),
            Err(e) => {
                let f = if e.is_timeout() {
                    Failure::Timeout
                } else {
                    Failure::Body(super::http::error_chain(&e))
                };
                return Err((body, held, f));
            }
        }
    }
}

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
