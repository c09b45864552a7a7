//! Values read and skipped: literals, numbers, strings, any value in a loop.

use std::borrow::Cow;

use super::HIGH;
use super::keys::*;
use super::scanner::*;

/// The containers open in a skipped value: a bit each (set for an array), 128 to a word.
#[derive(Default)]
pub(super) struct Open {
    pub(super) n: usize,
    pub(super) bits: u128,
    /// Full words below `bits`, for nesting deeper than 128.
    pub(super) below: Vec<u128>,
}

impl Open {
    pub(super) fn push(&mut self, array: bool) {
        if self.n > 0 && self.n.is_multiple_of(128) {
            self.below.push(self.bits);
            self.bits = 0;
        }
        self.bits = (self.bits << 1) | u128::from(array);
        self.n += 1;
    }

    /// Whether the innermost open container is an array; `None` when none is open.
    pub(super) fn top(&self) -> Option<bool> {
        (self.n > 0).then_some(self.bits & 1 == 1)
    }

    pub(super) fn pop(&mut self) {
        self.bits >>= 1;
        self.n -= 1;
        if self.n > 0 && self.n.is_multiple_of(128) {
            self.bits = self.below.pop().unwrap_or_default();
        }
    }
}

impl<'a> Scanner<'a> {
    #[inline(always)]
    pub(super) fn literal(&mut self, word: &[u8]) -> Option<()> {
        (self.b.get(self.i..self.i + word.len())? == word).then(|| self.i += word.len())
    }

    /// A number's grammar; returns where it starts and whether it is read as a float (a
    /// fraction, an exponent or more digits than a u64 holds).
    pub(super) fn number(&mut self) -> Option<(usize, bool)> {
        let start = self.i;
        if self.at(self.i) == Some(b'-') {
            self.i += 1;
        }
        let digits = |s: &mut Self| -> usize {
            let from = s.i;
            while let Some(b'0'..=b'9') = s.at(s.i) {
                s.i += 1;
            }
            s.i - from
        };
        match self.at(self.i)? {
            b'0' => self.i += 1,
            b'1'..=b'9' => {
                digits(self);
            }
            _ => return None,
        }
        let mut float = self.i - start > 19;
        if self.at(self.i) == Some(b'.') {
            self.i += 1;
            (digits(self) > 0).then_some(())?;
            float = true;
        }
        if let Some(b'e' | b'E') = self.at(self.i) {
            self.i += 1;
            if let Some(b'+' | b'-') = self.at(self.i) {
                self.i += 1;
            }
            (digits(self) > 0).then_some(())?;
            float = true;
        }
        Some((start, float))
    }

    /// A string starting at its opening quote: its escapes checked, control characters refused.
    #[inline(always)]
    pub(super) fn string(&mut self) -> Option<Str> {
        (self.at(self.i)? == b'"').then_some(())?;
        let start = self.i + 1;
        let mut i = start;
        let (mut escaped, mut high) = (false, false);
        loop {
            // Eight bytes at a time to the first quote, backslash or control character.
            while let Some(chunk) = self.b.get(i..i + 8) {
                let w = word(chunk)?;
                let stop = stops(w);
                // High bytes past the stop (rare in JSON's syntax) only cost a UTF-8 check.
                high |= w & HIGH != 0;
                if stop != 0 {
                    i += (stop.trailing_zeros() / 8) as usize;
                    break;
                }
                i += 8;
            }
            match self.at(i)? {
                b'"' => {
                    self.i = i + 1;
                    return Some(Str {
                        start,
                        end: i,
                        escaped,
                        high,
                    });
                }
                b'\\' => {
                    escaped = true;
                    i = match self.at(i + 1)? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => i + 2,
                        b'u' => {
                            let hex = self.b.get(i + 2..i + 6)?;
                            hex.iter().all(u8::is_ascii_hexdigit).then_some(())?;
                            i + 6
                        }
                        _ => return None,
                    };
                }
                c if c < 0x20 => return None,
                c => {
                    high |= c >= 0x80;
                    i += 1;
                }
            }
        }
    }

    /// A string with escapes, decoded as serde_json decodes it.
    pub(super) fn decode(&self, s: Str) -> Option<Cow<'a, str>> {
        let quoted = self.b.get(s.start - 1..s.end + 1)?;
        serde_json::from_slice::<String>(quoted)
            .ok()
            .map(Cow::Owned)
    }

    /// Any value, validated and skipped, in a loop (no recursion).
    pub(super) fn skip_value(&mut self) -> Option<()> {
        let mut open = Open::default();
        loop {
            self.ws();
            match self.at(self.i)? {
                b'"' => {
                    let s = self.string()?;
                    if s.high {
                        std::str::from_utf8(self.b.get(s.start..s.end)?).ok()?;
                    }
                }
                b'n' => self.literal(b"null")?,
                b't' => self.literal(b"true")?,
                b'f' => self.literal(b"false")?,
                b'-' | b'0'..=b'9' => {
                    self.number()?;
                }
                c @ (b'{' | b'[') => {
                    self.i += 1;
                    self.ws();
                    let close = if c == b'{' { b'}' } else { b']' };
                    if self.at(self.i) == Some(close) {
                        self.i += 1;
                    } else {
                        open.push(c == b'[');
                        if c == b'{' {
                            self.skip_key()?;
                        }
                        continue;
                    }
                }
                _ => return None,
            }
            // After a value: close what ends here, then the next member or element.
            loop {
                let Some(in_array) = open.top() else {
                    return Some(());
                };
                self.ws();
                match (self.at(self.i)?, in_array) {
                    (b',', _) => {
                        self.i += 1;
                        if !in_array {
                            self.skip_key()?;
                        }
                        break;
                    }
                    (b']', true) | (b'}', false) => {
                        self.i += 1;
                        open.pop();
                    }
                    _ => return None,
                }
            }
        }
    }
}
