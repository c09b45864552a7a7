//! Redaction by name, at capture: headers, query strings, forms and JSON bodies (and bodies
//! that do not parse, as text).

use std::borrow::Cow;

use serde_json::Value;

use super::PARSE_LIMIT;

pub const REDACTED: &str = "[REDACTED]";
/// Query and form parameters whose values are secrets.
const SECRET_PARAMS: &[&str] = &[
    "client_secret",
    "password",
    "code",
    "code_verifier",
    "assertion",
    "refresh_token",
    "access_token",
    "token",
    "device_code",
    "client_assertion",
    "sid",
];
/// JSON keys whose values are secrets. (Not `code`: error bodies use it for error codes, and
/// authorization codes never travel in JSON; the by-value scrub catches them anywhere.)
const SECRET_JSON_KEYS: &[&str] = &[
    "access_token",
    "refresh_token",
    "id_token",
    "device_code",
    "client_secret",
    "password",
    "assertion",
    "code_verifier",
    "token",
    // OauthToken's secrets: DeleteToken revokes the grant.
    "DeleteToken",
    "AccessToken",
    "RequestToken",
];

pub fn redact_header(name: &str, value: &str) -> String {
    match name.to_ascii_lowercase().as_str() {
        "authorization" | "proxy-authorization" => match value.split_once(' ') {
            Some((scheme, _)) => format!("{scheme} {REDACTED}"),
            None => REDACTED.into(),
        },
        "cookie" | "set-cookie" => REDACTED.into(),
        // A redirect carries the authorization code (or a token) in its query.
        "location" | "content-location" | "refresh" => redact_url(value),
        _ => value.to_string(),
    }
}

fn is_secret_param(k: &str) -> bool {
    SECRET_PARAMS.iter().any(|s| s.eq_ignore_ascii_case(k))
}

pub fn redact_url(url: &str) -> String {
    let Ok(mut u) = url::Url::parse(url) else {
        return url.to_string();
    };
    if u.query().is_none() {
        return url.to_string();
    }
    let pairs: Vec<(String, String)> = u
        .query_pairs()
        .map(|(k, v)| {
            let v = if is_secret_param(&k) {
                REDACTED.to_string()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    u.query_pairs_mut().clear().extend_pairs(pairs);
    u.to_string()
}

pub(super) fn redact_form(form: &[(String, String)]) -> String {
    form.iter()
        .map(|(k, v)| {
            let v = if is_secret_param(k) {
                REDACTED
            } else {
                v.as_str()
            };
            format!(
                "{k}={}",
                url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>()
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

pub fn redact_json(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for (k, val) in map.iter_mut() {
                if SECRET_JSON_KEYS.iter().any(|s| s == k) && !val.is_null() {
                    *val = Value::from(REDACTED);
                } else {
                    redact_json(val);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_json),
        _ => {}
    }
}

/// A captured body with its secrets redacted by name: a JSON document; else (form-encoded, cut
/// off, mislabelled) every `"key": "value"` and `key=value` of a secret name.
///
/// A body over [`PARSE_LIMIT`] is redacted as text (no `Value` of it: that would take ten times
/// its size), as bodies cut at the log's old 4 MiB limit always were.
///
/// A body in which no secret name can occur (no `"name"`, no `name=`, no `\u` escape that could
/// spell a JSON key) is returned as it is, borrowed: neither parsed nor copied.
pub fn redact_body(text: &str) -> Cow<'_, str> {
    if !may_name_a_secret(text) {
        return Cow::Borrowed(text);
    }
    if text.len() > PARSE_LIMIT {
        return Cow::Owned(redact_fragments(text));
    }
    if let Ok(mut v) = serde_json::from_str::<Value>(text) {
        redact_json(&mut v);
        return Cow::Owned(v.to_string());
    }
    Cow::Owned(redact_fragments(text))
}

/// Whether `text` holds a pattern [`redact_fragments`] or [`redact_json`] acts on: a secret
/// name quoted or followed by `=`, or a `\u` escape (with which a JSON key can spell a name).
fn may_name_a_secret(text: &str) -> bool {
    static PATTERNS: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| {
        SECRET_JSON_KEYS
            .iter()
            .chain(SECRET_PARAMS)
            .flat_map(|k| [format!("\"{k}\""), format!("{k}=")])
            .collect()
    });
    text.contains("\\u") || PATTERNS.iter().any(|p| text.contains(p.as_str()))
}

/// Redacts secret values in text that does not parse: `"access_token" : "…` up to the closing
/// quote (or the end of a cut-off text), and `access_token=…` up to `&` or whitespace.
fn redact_fragments(text: &str) -> String {
    let mut out = text.to_string();
    for key in SECRET_JSON_KEYS.iter().chain(SECRET_PARAMS) {
        for pattern in [format!("\"{key}\""), format!("{key}=")] {
            let mut from = 0;
            while let Some(at) = out.get(from..).and_then(|rest| rest.find(&pattern)) {
                let key_end = from + at + pattern.len();
                // A parameter name must start a field (`&key=`, `?key=`, line start).
                if pattern.ends_with('=') {
                    let before = out.get(..from + at).and_then(|b| b.chars().last());
                    if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
                        from = key_end;
                        continue;
                    }
                }
                let Some(rest) = out.get(key_end..) else {
                    break;
                };
                let (start, end) = if pattern.ends_with('=') {
                    let len = rest
                        .find(|c: char| c == '&' || c.is_whitespace() || c == '"')
                        .unwrap_or(rest.len());
                    (key_end, key_end + len)
                } else {
                    let trimmed = rest.trim_start_matches(|c: char| c.is_whitespace() || c == ':');
                    let Some(value) = trimmed.strip_prefix('"') else {
                        from = key_end;
                        continue;
                    };
                    let start = key_end + (rest.len() - value.len());
                    let mut len = value.len();
                    let mut escaped = false;
                    for (i, c) in value.char_indices() {
                        match c {
                            '\\' if !escaped => escaped = true,
                            '"' if !escaped => {
                                len = i;
                                break;
                            }
                            _ => escaped = false,
                        }
                    }
                    (start, start + len)
                };
                if out
                    .get(start..end)
                    .is_some_and(|v| !v.is_empty() && v != REDACTED)
                {
                    out.replace_range(start..end, REDACTED);
                }
                from = start + REDACTED.len().min(out.len() - start);
            }
        }
    }
    out
}

pub(super) fn redact_json_text(text: &str) -> String {
    match serde_json::from_str::<Value>(text) {
        Ok(mut v) => {
            redact_json(&mut v);
            v.to_string()
        }
        Err(_) => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oauth_token_delete_tokens_are_redacted_in_bodies() {
        let body = r#"{"totalSize":1,"done":true,"records":[{"Id":"0CR1","AppName":"StackOne","DeleteToken":"DT-SECRET-1","UseCount":3}]}"#;
        let out = redact_body(body);
        assert!(!out.contains("DT-SECRET-1"), "{out}");
        assert!(out.contains("StackOne") && out.contains(REDACTED), "{out}");
        // Cut off mid-document: redacted as text.
        let cut = r#"{"records":[{"DeleteToken": "DT-SECRET-2", "Id""#;
        assert!(!redact_body(cut).contains("DT-SECRET-2"));
    }

    #[test]
    fn redacts_by_name() {
        assert_eq!(
            redact_url("http://x/cb?code=abc%3D%3D&state=s"),
            "http://x/cb?code=%5BREDACTED%5D&state=s"
        );
        assert_eq!(
            redact_header("Authorization", "Bearer 00D!abc"),
            "Bearer [REDACTED]"
        );
        let form = vec![
            ("client_secret".to_string(), "s3cret".to_string()),
            ("grant_type".to_string(), "password".to_string()),
        ];
        assert_eq!(
            redact_form(&form),
            "client_secret=%5BREDACTED%5D&grant_type=password"
        );
        let mut v = serde_json::json!({"access_token": "x", "nested": [{"refresh_token": "y"}], "id": "keep"});
        redact_json(&mut v);
        assert_eq!(
            v,
            serde_json::json!({"access_token": REDACTED, "nested": [{"refresh_token": REDACTED}], "id": "keep"})
        );
    }

    #[test]
    fn redacts_bodies_that_do_not_parse() {
        let cut = r#"{"access_token": "00Dxx!AQ.secret-token-value", "instance_url": "https://a.my.salesforce.com", "refresh_token":"5Aep8"#;
        let r = redact_body(cut);
        assert!(
            !r.contains("secret-token-value") && !r.contains("5Aep8"),
            "{r}"
        );
        assert!(r.contains("instance_url"));
        let form = "access_token=00Dxx%21AQ.tok&instance_url=https%3A%2F%2Fa&refresh_token=5Aep8x";
        let r = redact_body(form);
        assert!(!r.contains("tok&") && !r.contains("5Aep8x"), "{r}");
        assert_eq!(redact_body("no secrets here"), "no secrets here");
        assert_eq!(redact_body("my_token=keep"), "my_token=keep");
    }

    #[test]
    fn a_body_naming_no_secret_is_kept_as_sent_without_a_copy() {
        let page = r#"{"data":[{"id":"a2G","postalCode":"EC1A","payCode":"X1","reason":"token of thanks"}],"version":"4"}"#;
        assert!(matches!(redact_body(page), Cow::Borrowed(p) if p == page));
        // Pretty-printed as sent stays pretty-printed (it used to come back compact).
        let pretty = "{\n  \"data\": []\n}";
        assert_eq!(redact_body(pretty), pretty);
        // A secret name, or a `\u` escape that could spell one, still goes through redaction.
        let escaped = r#"{"access\u005ftoken":"00Dxx!AQ.hidden","x":1}"#;
        let r = redact_body(escaped);
        assert!(!r.contains("hidden"), "{r}");
        let named = r#"{"refresh_token":"5Aep8-hidden"}"#;
        assert!(!redact_body(named).contains("hidden"));
        assert!(!redact_body("device_code=hidden&x=1").contains("hidden"));
    }
}
