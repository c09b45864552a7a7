//! The document: an exchange's lines, indexed once. Each line is a few bytes ([`Ix`]): where
//! its text is in the body the log holds (or which header line it is), its width in chars as
//! shown, and its kind and indent. [`Index::rendered`] gives a line in its parts, copying
//! nothing but for a JSON line whose source has whitespace between its tokens.
//!
//! The re-indented text equals `serde_json::to_string_pretty` of the parsed body, but for the
//! text of numbers, kept as sent (`1E2` stays `1E2`; the log's JSON bodies are serde's compact
//! output already, so there they agree too). Columns are counted in chars.

use std::borrow::Cow;
use std::ops::Range;

use super::json::{Json, index_json, key_end, tidy};
use crate::engine::http::{BodyText, Exchange};

/// What the inspector says in place of a body the log dropped.
pub const DROPPED: &str = "body dropped from the log to bound memory";

// An index entry's `meta`: bits 0-1 the kind, bit 2 which body, bit 3 a `"key": ` line, bit 4 a
// line whose source has whitespace between its tokens, the rest the indent depth.
pub(super) const TEXT: u32 = 0;
pub(super) const RAW: u32 = 1;
pub(super) const JSON: u32 = 2;
pub(super) const RESPONSE: u32 = 1 << 2;
pub(super) const KEY: u32 = 1 << 3;
pub(super) const LOOSE: u32 = 1 << 4;
pub(super) const DEPTH_SHIFT: u32 = 5;

/// One line: `start..end` in its body (or, for a text line, `start` indexes `texts`), its width
/// in chars as shown, and `meta`.
#[derive(Clone, Copy, Debug)]
pub(super) struct Ix {
    pub(super) start: u32,
    pub(super) end: u32,
    pub(super) chars: u32,
    pub(super) meta: u32,
}

impl Ix {
    pub(super) fn kind(&self) -> u32 {
        self.meta & 3
    }
    pub(super) fn depth(&self) -> usize {
        (self.meta >> DEPTH_SHIFT) as usize
    }
    pub(super) fn range(&self) -> Range<usize> {
        self.start as usize..self.end as usize
    }
    /// A body line whose source is ASCII (one byte a char): columns are byte offsets.
    pub(super) fn ascii(&self) -> bool {
        let extra = match self.kind() {
            JSON => 2 * self.depth() + usize::from(self.meta & KEY != 0),
            _ => 0,
        };
        self.kind() != TEXT
            && self.meta & LOOSE == 0
            && self.chars as usize == (self.end - self.start) as usize + extra
    }
}

/// An exchange's lines, and the bodies they point into.
pub(super) struct Index {
    texts: Vec<String>,
    request: Option<BodyText>,
    response: Option<BodyText>,
    pub(super) lines: Vec<Ix>,
    /// The lines of each body (for search by bytes), and whether its source is plain enough
    /// (no whitespace between the tokens of a line) for it.
    pub(super) runs: Vec<(Range<usize>, bool)>,
    /// The widest line, in chars.
    pub(super) widest: usize,
}

impl Index {
    pub(super) fn new(e: &Exchange) -> Index {
        let mut b = Builder::default();
        b.text(format!("{} {}", e.method, e.url));
        b.text(format!(
            "status {}  ·  {} ms  ·  {} bytes{}",
            e.status
                .map(|s| s.to_string())
                .unwrap_or_else(|| "—".into()),
            e.duration_ms,
            e.response_bytes,
            if e.body_dropped {
                " (body dropped from the log)".to_string()
            } else if e.body_truncated && e.response_body.as_ref().is_none_or(|b| b.is_empty()) {
                // Bulk pages (field coverage) are logged without their bodies: HR data.
                " (body not kept in the log: bulk HR data)".to_string()
            } else if e.body_truncated {
                format!(
                    " (body cut in the log: its first {} bytes kept)",
                    e.response_body.as_ref().map_or(0, |b| b.len())
                )
            } else {
                String::new()
            }
        ));
        if let Some(err) = &e.error {
            b.text(format!("error: {err}"));
        }
        b.text(String::new());
        b.text("── Request headers".into());
        for (k, v) in &e.request_headers {
            b.text(format!("{k}: {v}"));
        }
        if let Some(body) = &e.request_body {
            b.text(String::new());
            b.text("── Request body".into());
            b.body(body, 0);
        }
        b.text(String::new());
        b.text("── Response headers".into());
        for (k, v) in &e.response_headers {
            b.text(format!("{k}: {v}"));
        }
        if let Some(body) = &e.response_body {
            b.text(String::new());
            b.text("── Response body".into());
            b.body(body, RESPONSE);
        } else if e.body_dropped {
            b.text(String::new());
            b.text("── Response body".into());
            b.text(DROPPED.into());
        }
        let widest = b.lines.iter().map(|l| l.chars as usize).max().unwrap_or(0);
        Index {
            texts: b.texts,
            request: e.request_body.clone(),
            response: e.response_body.clone(),
            lines: b.lines,
            runs: b.runs,
            widest,
        }
    }

    /// Line `i` as shown (materialised: for tests and copying, not for drawing).
    pub(super) fn line(&self, i: usize) -> Option<String> {
        let r = self.rendered(i)?;
        Some(r.chars().collect())
    }

    pub(super) fn body(&self, meta: u32) -> &str {
        let b = if meta & RESPONSE != 0 {
            &self.response
        } else {
            &self.request
        };
        b.as_deref().unwrap_or_default()
    }

    /// Line `i` in its parts, nothing copied but for a line whose source has whitespace
    /// between its tokens.
    pub(super) fn rendered(&self, i: usize) -> Option<Rendered<'_>> {
        let l = self.lines.get(i)?;
        let ascii = l.ascii();
        Some(match l.kind() {
            TEXT => Rendered::plain(self.texts.get(l.start as usize).map_or("", String::as_str)),
            RAW => Rendered {
                ascii,
                ..Rendered::plain(self.body(l.meta).get(l.range()).unwrap_or_default())
            },
            _ => {
                let src = self.body(l.meta).get(l.range()).unwrap_or_default();
                let indent = 2 * l.depth();
                if l.meta & LOOSE != 0 {
                    Rendered {
                        indent,
                        a: Cow::Owned(tidy(src)),
                        space: false,
                        b: "",
                        ascii,
                    }
                } else if l.meta & KEY != 0 {
                    let colon = key_end(src.as_bytes()) + 1;
                    match (src.get(..colon), src.get(colon..)) {
                        (Some(a), Some(b)) => Rendered {
                            indent,
                            a: Cow::Borrowed(a),
                            space: true,
                            b,
                            ascii,
                        },
                        _ => Rendered {
                            indent,
                            a: Cow::Owned(tidy(src)),
                            space: false,
                            b: "",
                            ascii,
                        },
                    }
                } else {
                    Rendered {
                        indent,
                        a: Cow::Borrowed(src),
                        space: false,
                        b: "",
                        ascii,
                    }
                }
            }
        })
    }
}

/// A line as shown: `indent` spaces, `a`, a space when `space`, `b`; `ascii` when `a` and `b`
/// are known to be ASCII.
pub(super) struct Rendered<'a> {
    pub(super) indent: usize,
    pub(super) a: Cow<'a, str>,
    pub(super) space: bool,
    pub(super) b: &'a str,
    pub(super) ascii: bool,
}

impl<'a> Rendered<'a> {
    fn plain(s: &'a str) -> Rendered<'a> {
        Rendered {
            indent: 0,
            a: Cow::Borrowed(s),
            space: false,
            b: "",
            ascii: false,
        }
    }

    pub(super) fn chars(&self) -> impl Iterator<Item = char> + Clone + '_ {
        std::iter::repeat_n(' ', self.indent)
            .chain(self.a.chars())
            .chain(std::iter::repeat_n(' ', usize::from(self.space)))
            .chain(self.b.chars())
    }

    /// Chars `from..from + n`, found without walking the line char by char.
    pub(super) fn window(&self, from: usize, n: usize) -> String {
        let mut out = String::new();
        let mut skip = from;
        let mut take = n;
        let spaces = |count: usize, skip: &mut usize, take: &mut usize, out: &mut String| {
            let s = count.saturating_sub(*skip);
            *skip = skip.saturating_sub(count);
            let t = s.min(*take);
            out.extend(std::iter::repeat_n(' ', t));
            *take -= t;
        };
        spaces(self.indent, &mut skip, &mut take, &mut out);
        for (i, s) in [self.a.as_ref(), self.b].into_iter().enumerate() {
            if i == 1 {
                spaces(usize::from(self.space), &mut skip, &mut take, &mut out);
            }
            if take == 0 {
                break;
            }
            let (at, skipped) = match self.ascii {
                true => (skip.min(s.len()), skip.min(s.len())),
                false => skip_chars(s, skip),
            };
            skip -= skipped;
            if skip > 0 {
                continue;
            }
            let rest = s.get(at..).unwrap_or_default();
            let end = rest.char_indices().nth(take).map_or(rest.len(), |(b, _)| b);
            let part = rest.get(..end).unwrap_or_default();
            take -= part.chars().count();
            out.push_str(part);
        }
        out
    }

    /// Shown in the colour of a JSON key or string.
    pub(super) fn quoted(&self) -> bool {
        self.a.trim_start().starts_with('"')
    }
}

/// Index builder.
#[derive(Default)]
struct Builder {
    texts: Vec<String>,
    lines: Vec<Ix>,
    runs: Vec<(Range<usize>, bool)>,
}

impl Builder {
    fn text(&mut self, s: String) {
        self.lines.push(Ix {
            start: self.texts.len() as u32,
            end: 0,
            chars: s.chars().count() as u32,
            meta: TEXT,
        });
        self.texts.push(s);
    }

    /// A body's lines: JSON (an object or array) re-indented as far as it goes, else its lines.
    fn body(&mut self, body: &str, which: u32) {
        // Offsets are u32: a body past 4 GiB is shown up to there (the log never holds one).
        let body = match body.len() > u32::MAX as usize {
            true => body
                .get(..floor_char(body, u32::MAX as usize))
                .unwrap_or_default(),
            false => body,
        };
        let first = self.lines.len();
        let looks_json = matches!(body.bytes().find(|b| !is_ws(*b)), Some(b'{') | Some(b'['));
        let json = if looks_json {
            index_json(body.as_bytes(), which, &mut self.lines)
        } else {
            None
        };
        match json {
            Some(Json { complete, loose }) => {
                self.runs.push((first..self.lines.len(), !loose));
                if !complete {
                    self.text(format!(
                        "── cut at {} bytes: pretty-printed as far as it goes",
                        body.len()
                    ));
                }
            }
            None => {
                self.lines.truncate(first);
                index_raw(body, which, &mut self.lines);
                self.runs.push((first..self.lines.len(), true));
            }
        }
    }
}

pub(super) fn floor_char(s: &str, mut at: usize) -> usize {
    while at > 0 && !s.is_char_boundary(at) {
        at -= 1;
    }
    at
}

pub(super) fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// Chars in UTF-8 bytes (the bytes that do not continue a char).
pub(super) fn count_chars(b: &[u8]) -> usize {
    b.iter().filter(|&&x| (x as i8) >= -64).count()
}

/// The byte offset of char `n` of `s` (or its end), and how many chars that skipped: counted a
/// block at a time, so a window deep in a 20 MB line is found in a few milliseconds.
pub(super) fn skip_chars(s: &str, n: usize) -> (usize, usize) {
    const BLOCK: usize = 4096;
    let bytes = s.as_bytes();
    let mut at = 0;
    let mut skipped = 0;
    while skipped < n {
        let block = bytes
            .get(at..(at + BLOCK).min(bytes.len()))
            .unwrap_or_default();
        if block.is_empty() {
            break;
        }
        let c = count_chars(block);
        // A whole block, when it ends on a char boundary and does not overshoot.
        if skipped + c <= n && s.is_char_boundary(at + block.len()) {
            skipped += c;
            at += block.len();
            continue;
        }
        for (i, _) in s.get(at..).unwrap_or_default().char_indices() {
            if skipped == n {
                return (at + i, skipped);
            }
            skipped += 1;
        }
        return (bytes.len(), skipped);
    }
    (at, skipped)
}

fn index_raw(body: &str, which: u32, out: &mut Vec<Ix>) {
    // As `str::lines`: split at \n, a trailing \r dropped, no empty line after a final \n.
    let mut start = 0usize;
    let bytes = body.as_bytes();
    for nl in memchr::memchr_iter(b'\n', bytes).chain(std::iter::once(bytes.len())) {
        if nl == bytes.len() && start == bytes.len() {
            break;
        }
        let end = if nl > start && bytes.get(nl - 1) == Some(&b'\r') {
            nl - 1
        } else {
            nl
        };
        out.push(Ix {
            start: start as u32,
            end: end as u32,
            chars: count_chars(bytes.get(start..end).unwrap_or_default()) as u32,
            meta: RAW | which,
        });
        start = nl + 1;
    }
}

#[cfg(test)]
mod tests {
    use super::super::Inspector;
    use super::super::testutil::{employees, exchange};
    use super::*;
    use proptest::prelude::*;
    use serde_json::{Value, json};

    #[test]
    fn the_status_line_says_why_a_body_is_missing_or_short() {
        let status = |e: &Exchange| Inspector::new(e).line(1).unwrap();
        let mut bulk = exchange("");
        (bulk.response_bytes, bulk.body_truncated) = (113_126, true);
        assert!(status(&bulk).ends_with("(body not kept in the log: bulk HR data)"));
        let mut cut = exchange("{\"data\": [");
        (cut.response_bytes, cut.body_truncated) = (40_000_000, true);
        assert!(
            status(&cut).ends_with("(body cut in the log: its first 10 bytes kept)"),
            "{}",
            status(&cut)
        );
        let mut dropped = exchange("");
        (dropped.body_truncated, dropped.body_dropped) = (true, true);
        assert!(status(&dropped).ends_with("(body dropped from the log)"));
        assert!(status(&exchange("{}")).ends_with("bytes"));
    }

    /// The response body's lines as shown (after the "── Response body" line).
    fn body_lines(ins: &Inspector) -> Vec<String> {
        let all: Vec<String> = (0..ins.len()).filter_map(|i| ins.line(i)).collect();
        let at = all.iter().position(|l| l == "── Response body").unwrap();
        all[at + 1..].to_vec()
    }

    fn shown(body: &str) -> Vec<String> {
        body_lines(&Inspector::new(&exchange(body)))
    }

    fn pretty(v: &Value) -> Vec<String> {
        serde_json::to_string_pretty(v)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn json_is_shown_as_serde_pretty_prints_it() {
        for v in [
            employees(3),
            json!([]),
            json!({}),
            json!([[], {}, [[]], {"": ""}]),
            json!({"a": {"b": {"c": [1, -2.5e-7, "x:y,{z}[w]\"", null]}}}),
        ] {
            assert_eq!(shown(&v.to_string()), pretty(&v), "{v}");
            // From the pretty text itself (whitespace between tokens), the same.
            let p = serde_json::to_string_pretty(&v).unwrap();
            assert_eq!(shown(&p), pretty(&v), "{p}");
            // With odd whitespace.
            let odd = v.to_string().replace(':', " :\n ").replace(',', " ,\t");
            if serde_json::from_str::<Value>(&odd).is_ok_and(|w| w == v) {
                assert_eq!(shown(&odd), pretty(&v), "{odd}");
            }
        }
        // Widths as counted at open equal the lines as shown.
        let ins = Inspector::new(&exchange(&employees(2).to_string()));
        for i in 0..ins.len() {
            assert_eq!(
                ins.doc.lines[i].chars as usize,
                ins.line(i).unwrap().chars().count()
            );
        }
    }

    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::from),
            ".*".prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 40, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
                prop::collection::vec((".*", inner), 0..6)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn any_json_document_is_shown_as_serde_pretty_prints_it(v in value()) {
            let doc = match v {
                Value::Array(_) | Value::Object(_) => v,
                other => json!([other]),
            };
            prop_assert_eq!(shown(&doc.to_string()), pretty(&doc));
        }
    }

    #[test]
    #[allow(clippy::string_slice)] // a test over ASCII fixtures
    fn a_cut_json_body_is_pretty_printed_as_far_as_it_goes() {
        let v = employees(4);
        let full = pretty(&v);
        let compact = v.to_string();
        for cut in [
            1,
            17,
            compact.len() / 3,
            compact.len() / 2 + 5,
            compact.len() - 1,
        ] {
            let at = floor_char(&compact, cut);
            let body = &compact[..at];
            let lines = shown(body);
            let (note, lines) = lines.split_last().unwrap();
            assert_eq!(
                note,
                &format!("── cut at {at} bytes: pretty-printed as far as it goes")
            );
            let (last, before) = lines.split_last().unwrap();
            assert_eq!(before, &full[..before.len()], "cut at {at}");
            assert!(
                full[before.len()].starts_with(last.as_str()),
                "{last:?} at {at}"
            );
        }
        // Not JSON after all: its lines as they are.
        assert_eq!(shown("{\"a\":1}}\nnext"), ["{\"a\":1}}", "next"]);
        assert_eq!(shown("plain\r\ntext\n"), ["plain", "text"]);
        assert!(shown("").is_empty());
    }

    #[test]
    fn windows_are_cut_at_chars() {
        let r = Rendered {
            indent: 2,
            a: Cow::Borrowed("\"é\":"),
            space: true,
            b: "\"ü✓\"",
            ascii: false,
        };
        let all: String = r.chars().collect();
        assert_eq!(all, "  \"é\": \"ü✓\"");
        for from in 0..12 {
            for n in 0..12 {
                let want: String = all.chars().skip(from).take(n).collect();
                assert_eq!(r.window(from, n), want, "{from} {n}");
            }
        }
        let long = "é".repeat(10_000) + "x";
        assert_eq!(skip_chars(&long, 9_999), (19_998, 9_999));
        assert_eq!(skip_chars(&long, 20_000), (20_001, 10_001));
    }
}
