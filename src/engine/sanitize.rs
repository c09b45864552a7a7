//! The one sanitiser. Every text that a server chose — an OAuth `error_description`, a REST
//! `message`, an HTML excerpt, a user name, a scope list, an app name, a device `user_code` —
//! passes through here before it reaches a terminal, a report, a log file or an export.
//!
//! What it does:
//! - control characters (C0 but, where lines are kept, `\n` and `\t`; DEL; C1), the bidi
//!   overrides and isolates (U+202A–U+202E, U+2066–U+2069, U+061C, U+200E, U+200F) and the
//!   Unicode line/paragraph separators are shown visibly, as `\x1b` or `\u{202e}`, never emitted.
//!   An escape sequence therefore prints as harmless text (`\x1b]0;title\x07`), a bidi override
//!   cannot reorder what a reader sees, and a value cannot start a line of its own (forging an
//!   "Outcome: PASS" line in a report).
//! - long values are bounded: [`bounded`] keeps at most `max` bytes (cut at a character
//!   boundary) and says how much more there was and where to find it.
//!
//! Escaping is idempotent: the escapes it writes are plain printable ASCII, so sanitising
//! twice gives the same text. A backslash is left as it is.

use std::borrow::Cow;
use std::fmt::Write as _;

/// The longest server-derived value shown in a finding, a report line or a terminal line.
pub const MAX_VALUE: usize = 2048;

/// Characters that must never be emitted raw.
fn dangerous(c: char, keep_lines: bool) -> bool {
    match c {
        '\n' | '\t' => !keep_lines,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' => true,
        // Bidi embeddings, overrides and isolates; the Arabic letter mark; LRM/RLM.
        '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{61c}' | '\u{200e}' | '\u{200f}' => {
            true
        }
        // Line and paragraph separators: some terminals and viewers break lines on them.
        '\u{2028}' | '\u{2029}' => true,
        _ => false,
    }
}

fn escape_into(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if (c as u32) < 0x80 => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
}

fn clean(s: &str, keep_lines: bool) -> Cow<'_, str> {
    if !s.chars().any(|c| dangerous(c, keep_lines)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if dangerous(c, keep_lines) {
            escape_into(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A single-line value: every control character, newlines included, shown visibly.
pub fn line(s: &str) -> Cow<'_, str> {
    clean(s, false)
}

/// A multi-line text (a body, a whole report): `\n` and `\t` kept, everything else escaped.
/// A `\r\n` line end is kept as `\n`.
pub fn text(s: &str) -> Cow<'_, str> {
    if s.contains("\r\n") {
        Cow::Owned(clean(&s.replace("\r\n", "\n"), true).into_owned())
    } else {
        clean(s, true)
    }
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
pub fn prefix(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or_default()
}

/// A single-line value bounded to `max` bytes; what is cut is counted, with the request that
/// holds it in full when there is one.
pub fn bounded(s: &str, max: usize, request: Option<u64>) -> String {
    let cleaned = line(s);
    if cleaned.len() <= max {
        return cleaned.into_owned();
    }
    let kept = prefix(&cleaned, max);
    let more = cleaned.len() - kept.len();
    match request {
        Some(id) => format!("{kept}… {more} bytes more, see request #{id}"),
        None => format!("{kept}… {more} bytes more"),
    }
}

/// A JSON document about to be written (`--json`, HAR): the characters JSON allows raw but a
/// terminal or viewer would act on (DEL, C1, bidi controls, line separators) become `\uXXXX`
/// escapes. The document means exactly the same; C0 controls are already escaped by serde_json.
pub fn json(doc: &str) -> Cow<'_, str> {
    if !doc.chars().any(|c| dangerous(c, true)) {
        return Cow::Borrowed(doc);
    }
    let mut out = String::with_capacity(doc.len() + 16);
    for c in doc.chars() {
        if dangerous(c, true) {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                let _ = write!(out, "\\u{:04x}", u);
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_are_visible_and_idempotent() {
        let hostile = "ok\x1b]0;pwned\x07\x1b[2J\u{9b}31m\u{202e}gnp.exe\nOutcome: PASS\r";
        let once = line(hostile);
        assert!(!once.chars().any(|c| c.is_control()));
        assert!(once.contains("\\x1b]0;pwned\\x07"));
        assert!(once.contains("\\u{202e}"));
        assert!(once.contains("\\nOutcome: PASS\\r"));
        assert_eq!(line(&once), once);
        let multi = text("a\r\nb\tc\x1bd");
        assert_eq!(multi, "a\nb\tc\\x1bd");
    }

    #[test]
    fn clean_text_is_borrowed() {
        assert!(matches!(line("Jürgen — plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn bounded_cuts_on_a_character_boundary() {
        let s = "é".repeat(3000);
        let b = bounded(&s, 2049, Some(7));
        assert!(b.starts_with(&"é".repeat(1024)));
        assert!(b.ends_with("… 3952 bytes more, see request #7"), "{b}");
        assert_eq!(bounded("short", 10, None), "short");
    }

    #[test]
    fn json_escapes_keep_the_meaning() {
        let v = serde_json::json!({"m": "a\u{202e}b\u{85}c\u{7f}"});
        let doc = v.to_string();
        let safe = json(&doc);
        assert!(!safe.contains('\u{202e}') && !safe.contains('\u{85}'));
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back, v);
    }
}
