//! Keys found by words: a record's keys where the record before gave them.

use super::super::FIELDS;
use super::{HIGH, ONES};

/// A set high bit in each byte of `w` that is zero; exact up to the lowest such byte.
#[inline]
pub(super) fn zero_bytes(w: u64) -> u64 {
    w.wrapping_sub(ONES) & !w & HIGH
}

/// A key coverage looks for, and its bytes in a page when written plainly (`"name"`), as
/// words: compared at a position in two loads instead of scanned as a string.
pub(super) struct Key {
    pub(super) name: &'static [u8],
    /// The length of `"name"`.
    pub(super) len: usize,
    /// Its first eight bytes (little-endian; zero-padded when shorter), and which are its own.
    pub(super) head: u64,
    pub(super) mask: u64,
    /// Its last eight bytes (when it has eight).
    pub(super) tail: u64,
}

impl Key {
    pub(super) const fn new(name: &'static [u8]) -> Key {
        let len = name.len() + 2;
        let (mut head, mut tail, mut i) = (0u64, 0u64, 0);
        while i < 8 && i < len {
            head |= Key::byte(name, i) << (8 * i);
            if len >= 8 {
                tail |= Key::byte(name, len - 8 + i) << (8 * i);
            }
            i += 1;
        }
        let mask = if len >= 8 {
            u64::MAX
        } else {
            (1u64 << (8 * len)) - 1
        };
        Key {
            name,
            len,
            head,
            mask,
            tail,
        }
    }

    /// Byte `i` of `"name"`.
    pub(super) const fn byte(name: &[u8], i: usize) -> u64 {
        if i == 0 || i == name.len() + 1 {
            b'"' as u64
        } else {
            name[i - 1] as u64
        }
    }

    /// Whether `b` holds exactly this key, quoted, at `i`. The name holds no quote or backslash,
    /// so the string there is this name and no other. Near the end of `b`: false (read as any
    /// string).
    #[inline]
    pub(super) fn is_at(&self, b: &[u8], i: usize) -> bool {
        let word = |at: usize| -> Option<u64> {
            let w: [u8; 8] = b.get(at..at + 8)?.try_into().ok()?;
            Some(u64::from_le_bytes(w))
        };
        match word(i) {
            Some(w) if self.len < 8 => w & self.mask == self.head,
            Some(w) => w == self.head && word(i + self.len - 8) == Some(self.tail),
            None => false,
        }
    }
}

/// The top-level keys counted, in the order of [`FIELDS`] (0–5), then the two nested objects.
pub(super) const TOP: [Key; 8] = {
    let six: [Key; 6] = keys(0);
    let [a, b, c, d, e, f] = six;
    [
        a,
        b,
        c,
        d,
        e,
        f,
        Key::new(b"currentEmployment"),
        Key::new(b"workAddress"),
    ]
};

/// `currentEmployment`'s fields: [`FIELDS`] 6–10.
pub(super) const EMPLOYMENT: [Key; 5] = keys(6);

/// `workAddress`'s fields: [`FIELDS`] 11–18.
pub(super) const ADDRESS: [Key; 8] = keys(11);

/// The keys of [`FIELDS`] from `first` on: each path's last part.
pub(super) const fn keys<const N: usize>(first: usize) -> [Key; N] {
    let mut out = [const { Key::new(b"") }; N];
    let mut i = 0;
    while i < N {
        let path = FIELDS[first + i].1.as_bytes();
        let mut dot = path.len();
        while dot > 0 && path[dot - 1] != b'.' {
            dot -= 1;
        }
        out[i] = Key::new(path.split_at(dot).1);
        i += 1;
    }
    out
}

/// The keys of the object before, in its order (an index into its names, or [`Order::OTHER`]):
/// records of a page give their keys in the same order, so each key is looked for where the one
/// before was.
pub(super) struct Order(pub(super) [u8; 32]);

impl Order {
    pub(super) const OTHER: u8 = u8::MAX;
}

impl Default for Order {
    fn default() -> Order {
        Order([Order::OTHER; 32])
    }
}

/// Eight bytes of a string as a word.
#[inline]
pub(super) fn word(chunk: &[u8]) -> Option<u64> {
    Some(u64::from_le_bytes(chunk.try_into().ok()?))
}

/// A set high bit in each byte of `w` that ends a plain run of string: a quote, a backslash or
/// a control character; exact up to the lowest such byte.
#[inline]
pub(super) fn stops(w: u64) -> u64 {
    zero_bytes(w ^ (ONES * u64::from(b'"')))
        | zero_bytes(w ^ (ONES * u64::from(b'\\')))
        | (w.wrapping_sub(ONES * 0x20) & !w & HIGH)
}
