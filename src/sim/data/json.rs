//! A stack buffer for computed strings, and JSON written into a buffer.

use serde::Serialize;

use super::*;

/// A short string built on the stack: the computed fields of a record (dates, names, emails,
/// numbers) are written into one and serialised as a plain string, without `format!` or the
/// formatting machinery (a page of 200 employees has about 1,400 of them). Bytes past its
/// capacity are dropped; nothing written here comes near it.
pub(super) struct Buf {
    pub(super) b: [u8; 96],
    pub(super) n: usize,
}

impl Default for Buf {
    fn default() -> Buf {
        Buf { b: [0; 96], n: 0 }
    }
}

impl Buf {
    pub(super) fn push(&mut self, bytes: &[u8]) {
        for &c in bytes {
            if let Some(slot) = self.b.get_mut(self.n) {
                *slot = c;
                self.n += 1;
            }
        }
    }

    /// `n` in decimal, zero-padded to `width` digits.
    pub(super) fn num(&mut self, mut n: u64, width: usize) {
        let mut digits = [b'0'; 20];
        let mut k = 0;
        while k < digits.len() && (n > 0 || k < width.max(1)) {
            digits[digits.len() - 1 - k] = b'0' + (n % 10) as u8;
            n /= 10;
            k += 1;
        }
        self.push(digits.get(digits.len() - k..).unwrap_or_default());
    }

    pub(super) fn as_str(&self) -> &str {
        // Only ASCII and whole `&str`s are pushed, so this is always valid UTF-8.
        self.b
            .get(..self.n)
            .and_then(|b| std::str::from_utf8(b).ok())
            .unwrap_or_default()
    }
}

/// One record of a list endpoint. Unboxed: a page's records are built once, moved into its
/// vector and serialised, and a box each would cost an allocation per record.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Record {
    Employee(Employee),
    Salary(Salary),
    Bonus(Bonus),
    Absence(Absence),
    AbsenceBalance(AbsenceBalance),
    Timesheet(Timesheet),
}

impl Record {
    /// The record's JSON appended to `out`: the bytes `serde_json::to_writer` writes (a test
    /// holds it), an employee written directly — its keys and most values known to need no
    /// escaping — which is about twice as fast as through the serializer.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        match self {
            Record::Employee(e) => e.write_json(&mut Json(out)),
            other => {
                let _ = serde_json::to_writer(out, other);
            }
        }
    }
}

/// Writing JSON text into a buffer: raw pieces, and strings escaped as serde_json does.
pub(super) struct Json<'a>(pub(super) &'a mut Vec<u8>);

impl Json<'_> {
    pub(super) fn raw(&mut self, s: &str) {
        self.0.extend_from_slice(s.as_bytes());
    }

    pub(super) fn str(&mut self, s: &str) {
        // serde_json escapes control characters, '"' and '\\' only.
        if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
            self.0.push(b'"');
            self.0.extend_from_slice(s.as_bytes());
            self.0.push(b'"');
        } else {
            let _ = serde_json::to_writer(&mut *self.0, s);
        }
    }

    pub(super) fn opt(&mut self, s: Option<&str>) {
        match s {
            Some(s) => self.str(s),
            None => self.raw("null"),
        }
    }

    pub(super) fn value(&mut self, v: &impl Serialize) {
        let _ = serde_json::to_writer(&mut *self.0, v);
    }
}
