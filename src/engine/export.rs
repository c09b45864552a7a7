//! What a run can be shared as: a Markdown report a customer can send to support, and the
//! request log as HAR 1.2 (read by browsers' devtools and HAR viewers). Both are built from what
//! the engine captured, which is redacted at capture; nothing here sees a secret.

use serde_json::{Value, json};

use super::http::Exchange;
use super::model::Report;

pub use super::clock::iso8601;

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        302 => "Found",
        303 => "See Other",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        413 => "Payload Too Large",
        415 => "Unsupported Media Type",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "",
    }
}

fn header_value<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// How much of the bodies a HAR export carries.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    serde::Serialize,
    serde::Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum HarBodies {
    /// Every body as captured (secrets are redacted, HR data is not).
    Full,
    /// Sage People record bodies keep their JSON structure, field names and counts; every value
    /// is replaced by a placeholder, so a HAR can go into a ticket without salaries in it.
    #[default]
    Shape,
    /// No bodies at all, only sizes.
    None,
}

impl HarBodies {
    pub fn parse(s: &str) -> Option<HarBodies> {
        match s {
            "full" => Some(HarBodies::Full),
            "shape" => Some(HarBodies::Shape),
            "none" => Some(HarBodies::None),
            _ => None,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            HarBodies::Full => "full",
            HarBodies::Shape => "shape",
            HarBodies::None => "none",
        }
    }
}

/// Whether an exchange carries Sage People records (the Apex REST API's answers and requests).
fn holds_hr_data(e: &Exchange) -> bool {
    url::Url::parse(&e.url)
        .map(|u| u.path().starts_with("/services/apexrest/"))
        .unwrap_or(true)
}

/// The structure of a JSON value with every scalar replaced by a placeholder of its type.
pub fn shape(v: &Value) -> Value {
    match v {
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), shape(v))).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(shape).collect()),
        Value::String(_) => Value::from("<string>"),
        Value::Number(_) => Value::from(0),
        Value::Bool(_) => Value::from("<bool>"),
        Value::Null => Value::Null,
    }
}

/// `shape(&parsed).to_string()` for a JSON text, written as it is read: no `Value` tree of a
/// page of records is built (a key repeated in one object is kept each time it appears, where
/// a `Value` keeps the last). None when the text is not JSON.
pub fn shape_text(json: &str) -> Option<String> {
    use serde::de::DeserializeSeed as _;
    let mut out = String::with_capacity(json.len() / 2);
    let mut de = serde_json::Deserializer::from_str(json);
    ShapeOut(&mut out).deserialize(&mut de).ok()?;
    de.end().ok()?;
    Some(out)
}

/// Writes the shape of the value it reads to its string.
struct ShapeOut<'a>(&'a mut String);

impl<'de> serde::de::DeserializeSeed<'de> for ShapeOut<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for ShapeOut<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<(), E> {
        self.0.push_str("\"<bool>\"");
        Ok(())
    }
    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<(), E> {
        self.0.push('0');
        Ok(())
    }
    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<(), E> {
        self.0.push('0');
        Ok(())
    }
    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<(), E> {
        self.0.push('0');
        Ok(())
    }
    fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<(), E> {
        self.0.push_str("\"<string>\"");
        Ok(())
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        self.0.push_str("null");
        Ok(())
    }
    fn visit_none<E: serde::de::Error>(self) -> Result<(), E> {
        self.visit_unit()
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        self.0.push('[');
        let mut first = true;
        loop {
            let before = self.0.len();
            if !first {
                self.0.push(',');
            }
            if seq.next_element_seed(ShapeOut(self.0))?.is_none() {
                // Only the comma (ASCII) was written since `before`.
                self.0.truncate(before);
                break;
            }
            first = false;
        }
        self.0.push(']');
        Ok(())
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        self.0.push('{');
        let mut first = true;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if !first {
                self.0.push(',');
            }
            first = false;
            // A key is written as serde_json writes any string (escapes included).
            self.0
                .push_str(&serde_json::to_string(&key).unwrap_or_else(|_| "\"\"".into()));
            self.0.push(':');
            map.next_value_seed(ShapeOut(self.0))?;
        }
        self.0.push('}');
        Ok(())
    }
}

/// A body as the chosen mode exports it (None: leave it out, with a comment).
fn export_body(
    body: &str,
    mode: HarBodies,
    hr: bool,
    success: bool,
) -> Result<String, &'static str> {
    match mode {
        HarBodies::Full => Ok(body.to_string()),
        HarBodies::None => Err("body left out (--har-bodies none)"),
        // Error bodies carry Salesforce's words, not records: they are the evidence, kept.
        HarBodies::Shape if !hr || !success => Ok(body.to_string()),
        HarBodies::Shape => shape_text(body)
            .ok_or("body left out: Sage People data that is not JSON (--har-bodies shape)"),
    }
}

/// The request log as a HAR 1.2 document, bodies as `--har-bodies` chose.
pub fn har(exchanges: &[Exchange]) -> Value {
    har_with(exchanges, HarBodies::Full)
}

/// One exchange as a HAR 1.2 entry, bodies as `mode` says.
fn har_entry(e: &Exchange, mode: HarBodies) -> Value {
    let query: Vec<Value> = url::Url::parse(&e.url)
        .map(|u| {
            u.query_pairs()
                .map(|(k, v)| json!({"name": k, "value": v}))
                .collect()
        })
        .unwrap_or_default();
    let headers = |hs: &[(String, String)]| -> Vec<Value> {
        hs.iter()
            .map(|(k, v)| json!({"name": k, "value": v}))
            .collect()
    };
    let mut request = json!({
        "method": e.method, "url": e.url, "httpVersion": "HTTP/1.1", "cookies": [],
        "headers": headers(&e.request_headers), "queryString": query, "headersSize": -1,
        "bodySize": e.request_body.as_ref().map(|b| b.len() as i64).unwrap_or(0),
    });
    let hr = holds_hr_data(e);
    let success = e.status.is_some_and(|s| (200..300).contains(&s));
    if let Some(body) = &e.request_body {
        let mime =
            header_value(&e.request_headers, "content-type").unwrap_or("application/octet-stream");
        let mut post = match export_body(body, mode, hr, true) {
            Ok(text) => json!({"mimeType": mime, "text": text}),
            Err(why) => json!({"mimeType": mime, "text": "", "comment": why}),
        };
        let as_captured = mode == HarBodies::Full || (mode == HarBodies::Shape && !hr);
        if as_captured && mime.starts_with("application/x-www-form-urlencoded") {
            post["params"] = url::form_urlencoded::parse(body.as_bytes())
                .map(|(k, v)| json!({"name": k, "value": v}))
                .collect();
        }
        request["postData"] = post;
    }
    let mime = header_value(&e.response_headers, "content-type")
        .unwrap_or("")
        .to_string();
    let mut content = json!({"size": e.response_bytes, "mimeType": mime});
    match &e.response_body {
        Some(b) if !b.is_empty() => match export_body(b, mode, hr, success) {
            Ok(text) => {
                if e.body_truncated {
                    content["comment"] = Value::from(format!(
                        "body cut in sagediag's log: its first {} of {} bytes",
                        b.len(),
                        e.response_bytes
                    ));
                }
                content["text"] = Value::from(text);
            }
            Err(why) => content["comment"] = Value::from(why),
        },
        _ if e.body_dropped => {
            content["comment"] = Value::from("body dropped from sagediag's log to bound memory");
        }
        _ if e.response_bytes > 0 => {
            content["comment"] = Value::from("body not kept in sagediag's log");
        }
        _ => {}
    }
    let status = e.status.unwrap_or(0);
    let mut entry = json!({
        "startedDateTime": iso8601(e.started_unix_ms),
        "time": e.duration_ms,
        "request": request,
        "response": {
            "status": status, "statusText": reason(status), "httpVersion": "HTTP/1.1", "cookies": [],
            "headers": headers(&e.response_headers), "content": content,
            "redirectURL": header_value(&e.response_headers, "location").unwrap_or(""),
            "headersSize": -1, "bodySize": e.response_bytes,
        },
        "cache": {},
        "timings": {"send": 0, "wait": e.duration_ms, "receive": 0},
        // The request id findings cite as evidence (a custom field, as HAR allows).
        "_id": e.id,
    });
    if let Some(err) = &e.error {
        entry["comment"] = Value::from(err.clone());
    }
    if let Some(summary) = &e.summary {
        entry["comment"] = Value::from(summary.clone());
    }
    entry
}

/// The request log as a HAR 1.2 document with bodies as `mode` says.
pub fn har_with(exchanges: &[Exchange], mode: HarBodies) -> Value {
    let entries: Vec<Value> = exchanges.iter().map(|e| har_entry(e, mode)).collect();
    json!({"log": {
        "version": "1.2",
        "creator": {"name": "sagediag", "version": env!("CARGO_PKG_VERSION")},
        "pages": [],
        "entries": entries,
        "comment": format!("Exported by sagediag; secrets (tokens, secrets, passwords, codes, verifiers, assertions) are redacted; bodies: {} (--har-bodies).", mode.name()),
    }})
}

/// The HAR document's opening and closing text around its entries, as `to_string_pretty`
/// writes them.
fn har_frame(mode: HarBodies) -> (String, String) {
    let doc = serde_json::to_string_pretty(&har_with(&[], mode)).unwrap_or_default();
    match doc.split_once("\"entries\": []") {
        Some((head, tail)) => (format!("{head}\"entries\": ["), format!("]{tail}")),
        None => (String::new(), String::new()),
    }
}

/// One HAR entry's text as `to_string_pretty` writes it inside the document (at depth 3).
fn entry_text(e: &Exchange, mode: HarBodies) -> String {
    let v = har_entry(e, mode);
    let text = serde_json::to_string_pretty(&v).unwrap_or_default();
    drop(v);
    // Pretty JSON has no raw newline inside a string: every newline starts a line to indent.
    text.replace('\n', "\n      ")
}

/// Writes the request log as HAR 1.2 to `out`, entry by entry, bodies as `mode` says, each
/// piece passed through `clean` (the client's scrub, then the JSON sanitiser). The bytes are
/// those of `clean(to_string_pretty(&har_with(exchanges, mode)))`, but only one entry is held
/// at a time.
pub fn write_har<'a, W: std::io::Write>(
    out: &mut W,
    exchanges: impl IntoIterator<Item = &'a Exchange>,
    mode: HarBodies,
    clean: impl Fn(&str) -> String,
) -> std::io::Result<()> {
    let (head, tail) = har_frame(mode);
    if head.is_empty() {
        return Err(std::io::Error::other("the HAR frame could not be built"));
    }
    out.write_all(clean(&head).as_bytes())?;
    let mut any = false;
    for e in exchanges {
        out.write_all(if any { b",\n      " } else { b"\n      " })?;
        out.write_all(clean(&entry_text(e, mode)).as_bytes())?;
        any = true;
    }
    if any {
        out.write_all(b"\n    ")?;
    }
    out.write_all(clean(&tail).as_bytes())?;
    out.flush()
}

/// The report's line saying what the run's HAR export keeps of the bodies.
pub fn har_note(har: &str, bodies: HarBodies) -> String {
    format!(
        "\n_The HAR export of this run (`{har}`) carries bodies as `{}` (`--har-bodies`)._\n",
        bodies.name()
    )
}

/// A Markdown report a customer can send to support: the one rendering
/// ([`super::render::report`]) in Markdown.
pub fn markdown(r: &Report, generated_unix_ms: u64) -> String {
    super::render::report(r, super::render::Style::Markdown, Some(generated_unix_ms))
}

#[cfg(test)]
mod tests {
    #[test]
    fn iso8601_dates() {
        // Cross-checked with `date -u -d @SECONDS`.
        assert_eq!(super::iso8601(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(super::iso8601(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(
            super::iso8601(1_795_378_616_330),
            "2026-11-22T20:16:56.330Z"
        );
    }

    fn exchange(id: u64, url: &str, body: Option<&str>) -> super::Exchange {
        super::Exchange {
            id,
            method: "POST".into(),
            url: url.into(),
            request_headers: vec![(
                "content-type".into(),
                "application/x-www-form-urlencoded".into(),
            )],
            request_body: Some("grant_type=password&client_secret=hush-hush-secret".into()),
            status: Some(200),
            response_headers: vec![("content-type".into(), "application/json".into())],
            response_body: body.map(Into::into),
            response_bytes: body.map_or(12, str::len),
            body_truncated: false,
            body_dropped: false,
            duration_ms: 7,
            started_unix_ms: 1_795_378_616_330,
            error: (id == 2).then(|| "timed out\nafter 30 s".into()),
            summary: (id == 3).then(|| "pages 11-110".into()),
        }
    }

    #[test]
    fn streamed_har_is_the_pretty_document_byte_for_byte() {
        let log = [
            exchange(
                1,
                "https://login.example/services/oauth2/token",
                Some("{\"a\":\"b\u{202e}\"}"),
            ),
            exchange(
                2,
                "https://x.example/services/apexrest/spapi/v4/employees?marker=a&b=%20c",
                Some(
                    "{\"data\":[{\"id\":\"x\",\"n\":3,\"ok\":true,\"e\":null}],\"version\":\"4.8\"}",
                ),
            ),
            exchange(
                3,
                "https://x.example/services/apexrest/spapi/v4/salaries",
                None,
            ),
        ];
        let clean = |t: &str| {
            super::super::sanitize::json(&t.replace("hush-hush-secret", "[REDACTED]")).into_owned()
        };
        for mode in [
            super::HarBodies::Full,
            super::HarBodies::Shape,
            super::HarBodies::None,
        ] {
            for n in 0..=log.len() {
                let whole = clean(
                    &serde_json::to_string_pretty(&super::har_with(&log[..n], mode)).unwrap(),
                );
                let mut streamed = Vec::new();
                super::write_har(&mut streamed, &log[..n], mode, clean).unwrap();
                assert_eq!(
                    String::from_utf8(streamed).unwrap(),
                    whole,
                    "{mode:?}, {n} entries"
                );
            }
        }
    }

    #[test]
    fn shape_text_is_the_shape_of_the_parsed_value() {
        for body in [
            r#"{"data":[{"id":"a2G","n":-3,"f":1.5e3,"ok":true,"no":false,"e":null,"x":{},"y":[],"z":[[1,"s"],{"k":null}]}],"version":"4.8"}"#,
            r#"{"k\"é\u0007\u202e":"v","\ud83d\ude00":[1,2,3],"big":123456789012345678901234567890}"#,
            " [ ] ",
            "\"top\"",
            "42",
            "null",
            r#"{"nested":[[[[{"a":[{"b":[]}]}]]]]}"#,
        ] {
            let v: serde_json::Value = serde_json::from_str(body).unwrap();
            assert_eq!(
                super::shape_text(body),
                Some(super::shape(&v).to_string()),
                "{body}"
            );
        }
        for bad in ["", "{", "[1,]", "{\"a\":1} x", "{\"a\" 1}", "nul"] {
            assert_eq!(super::shape_text(bad), None, "{bad}");
        }
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert_eq!(
            super::shape_text(&deep),
            None,
            "serde_json's recursion limit holds"
        );
    }
}
