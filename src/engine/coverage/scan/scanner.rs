//! The scanner over a page: its structure (records, objects, members).

use std::borrow::Cow;

use super::Record;
use super::keys::*;

/// A string's content (between its quotes) in the body.
#[derive(Clone, Copy)]
pub(super) struct Str {
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) escaped: bool,
    /// May hold a byte over 0x7F (to be checked as UTF-8 before it is read as text); never
    /// false when it does.
    pub(super) high: bool,
}

/// What one field's value says.
#[derive(Default)]
pub(super) struct Value<'a> {
    pub(super) populated: bool,
    pub(super) is_false: bool,
    /// The text of a string, when asked for.
    pub(super) text: Option<Cow<'a, str>>,
}

pub(super) struct Scanner<'a> {
    pub(super) b: &'a [u8],
    pub(super) i: usize,
}

impl<'a> Scanner<'a> {
    #[inline]
    pub(super) fn at(&self, i: usize) -> Option<u8> {
        self.b.get(i).copied()
    }

    #[inline]
    pub(super) fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.at(self.i) {
            self.i += 1;
        }
    }

    #[inline]
    pub(super) fn eat(&mut self, c: u8) -> Option<()> {
        self.ws();
        (self.at(self.i)? == c).then(|| self.i += 1)
    }

    /// A member's key and its colon; decoded only when it holds an escape.
    #[inline]
    pub(super) fn key(&mut self) -> Option<Cow<'a, [u8]>> {
        self.ws();
        let s = self.string()?;
        self.eat(b':')?;
        if s.escaped {
            let text = self.decode(s)?;
            return Some(match text {
                Cow::Borrowed(t) => Cow::Borrowed(t.as_bytes()),
                Cow::Owned(t) => Cow::Owned(t.into_bytes()),
            });
        }
        self.b.get(s.start..s.end).map(Cow::Borrowed)
    }

    /// A key of a skipped object, checked but not decoded (as serde_json ignores it).
    pub(super) fn skip_key(&mut self) -> Option<()> {
        self.ws();
        let s = self.string()?;
        if s.high {
            std::str::from_utf8(self.b.get(s.start..s.end)?).ok()?;
        }
        self.eat(b':')
    }

    /// `data`: an array of records; a value that is not an object counts as an empty record.
    pub(super) fn records(&mut self) -> Option<Vec<Record<'a>>> {
        self.eat(b'[')?;
        let mut out = Vec::with_capacity(200);
        // The order of the keys in the record before, and in its two nested objects.
        let mut orders = [Order::default(), Order::default(), Order::default()];
        self.ws();
        if self.at(self.i) == Some(b']') {
            self.i += 1;
            return Some(out);
        }
        loop {
            self.ws();
            if self.at(self.i) == Some(b'{') {
                out.push(self.record(&mut orders)?);
            } else {
                self.lenient_skip()?;
                out.push(Record::default());
            }
            self.ws();
            match self.at(self.i)? {
                b',' => self.i += 1,
                b']' => {
                    self.i += 1;
                    return Some(out);
                }
                _ => return None,
            }
        }
    }

    /// One employee object.
    pub(super) fn record(&mut self, orders: &mut [Order; 3]) -> Option<Record<'a>> {
        let mut r = Record::default();
        let [top, employment, address] = orders;
        self.members(&TOP, top, |s, name| {
            let Some(slot) = name else {
                return s.skip_value();
            };
            match slot {
                6 => return s.nested(&mut r, 6, &EMPLOYMENT, employment),
                7 => return s.nested(&mut r, 11, &ADDRESS, address),
                _ => {}
            }
            let v = s.value(slot == 0 || slot == 4)?;
            if let Some(p) = r.populated.get_mut(slot) {
                *p = v.populated;
            }
            match slot {
                0 => r.id = v.text,
                4 => r.email = v.text,
                _ => {}
            }
            Some(())
        })?;
        Some(r)
    }

    /// `currentEmployment` or `workAddress`: its fields counted from `first` in [`FIELDS`];
    /// a value that is not an object populates none of them.
    pub(super) fn nested(
        &mut self,
        r: &mut Record<'a>,
        first: usize,
        names: &[Key],
        order: &mut Order,
    ) -> Option<()> {
        self.ws();
        if self.at(self.i) != Some(b'{') {
            return self.lenient_skip();
        }
        self.members(names, order, |s, name| {
            let Some(n) = name else {
                return s.skip_value();
            };
            let v = s.value(false)?;
            if let Some(p) = r.populated.get_mut(first + n) {
                *p = v.populated;
            }
            // `active` of `currentEmployment`.
            if first == 6 && n == 2 {
                r.leaver = v.is_false;
            }
            Some(())
        })
    }

    /// The members of an object whose keys of interest are `names`: `on_member` reads (or skips)
    /// each value, told which of `names` its key is (`None`: another key). A key of `names`
    /// given twice makes the object unreadable, as serde's derive refuses a duplicate field.
    ///
    /// Keys are read where `order` (the keys of the object before, in the order it gave them)
    /// predicts them, by comparing words; a key not predicted is read as any string.
    pub(super) fn members(
        &mut self,
        names: &[Key],
        order: &mut Order,
        mut on_member: impl FnMut(&mut Self, Option<usize>) -> Option<()>,
    ) -> Option<()> {
        self.eat(b'{')?;
        self.ws();
        if self.at(self.i) == Some(b'}') {
            self.i += 1;
            return Some(());
        }
        let mut seen = 0u32;
        let mut k = 0;
        loop {
            self.ws();
            let predicted = order.0.get(k).copied().unwrap_or(Order::OTHER);
            let name = match names.get(usize::from(predicted)) {
                Some(key) if key.is_at(self.b, self.i) => {
                    self.i += key.len;
                    self.eat(b':')?;
                    Some(usize::from(predicted))
                }
                _ => {
                    let key = self.key()?;
                    let n = names.iter().position(|n| n.name == key.as_ref());
                    if let Some(slot) = order.0.get_mut(k) {
                        *slot = n.map_or(Order::OTHER, |n| n as u8);
                    }
                    n
                }
            };
            k += 1;
            if let Some(n) = name {
                (seen & (1 << n) == 0).then(|| seen |= 1 << n)?;
            }
            on_member(self, name)?;
            self.ws();
            match self.at(self.i)? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// A value read where an object is expected and anything else is read as none: serde reads
    /// it as any value, so a number out of range is refused there too.
    pub(super) fn lenient_skip(&mut self) -> Option<()> {
        match self.at(self.i)? {
            b'-' | b'0'..=b'9' => self.value(false).map(|_| ()),
            _ => self.skip_value(),
        }
    }

    /// A field's value; its text kept when `keep_text` and it is a string.
    #[inline(always)]
    pub(super) fn value(&mut self, keep_text: bool) -> Option<Value<'a>> {
        self.ws();
        match self.at(self.i)? {
            b'"' => {
                let s = self.string()?;
                if s.escaped {
                    // Rare: decoded by serde_json.
                    let text = self.decode(s)?;
                    return Some(Value {
                        populated: !text.trim().is_empty(),
                        is_false: false,
                        text: keep_text.then_some(text),
                    });
                }
                let raw = self.b.get(s.start..s.end)?;
                if !s.high && !keep_text {
                    // Raw ASCII in a JSON string: the only whitespace that can occur is a space.
                    return Some(Value {
                        populated: raw.iter().any(|c| *c != b' '),
                        ..Value::default()
                    });
                }
                let text = std::str::from_utf8(raw).ok()?;
                Some(Value {
                    populated: !text.trim().is_empty(),
                    is_false: false,
                    text: keep_text.then_some(Cow::Borrowed(text)),
                })
            }
            b'n' => self.literal(b"null").map(|()| Value::default()),
            b't' => self.literal(b"true").map(|()| Value {
                populated: true,
                ..Value::default()
            }),
            b'f' => self.literal(b"false").map(|()| Value {
                populated: true,
                is_false: true,
                text: None,
            }),
            b'-' | b'0'..=b'9' => {
                let (start, float) = self.number()?;
                if float {
                    // serde_json refuses a number out of the range of f64.
                    let n: f64 = std::str::from_utf8(self.b.get(start..self.i)?)
                        .ok()?
                        .parse()
                        .ok()?;
                    n.is_finite().then_some(())?;
                }
                Some(Value {
                    populated: true,
                    ..Value::default()
                })
            }
            b'{' | b'[' => self.skip_value().map(|()| Value {
                populated: true,
                ..Value::default()
            }),
            _ => None,
        }
    }
}
