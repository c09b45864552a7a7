//! JSON re-indented as serde's pretty printer does, by a tolerant byte-level tokenizer (no
//! parse): a body cut off mid-document is pretty-printed as far as it goes.

use super::index::{DEPTH_SHIFT, Ix, JSON, KEY, LOOSE, count_chars, is_ws};

/// Where a JSON line's key (a string at its start) ends: the colon's offset.
pub(super) fn key_end(line: &[u8]) -> usize {
    let mut i = 1;
    while let Some(&b) = line.get(i) {
        match b {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    line.len()
}

/// A JSON line's source as shown: whitespace between tokens dropped, `: ` after a key.
pub(super) fn tidy(src: &str) -> String {
    let mut out = String::with_capacity(src.len() + 1);
    let mut in_str = false;
    let mut escaped = false;
    for c in src.chars() {
        if in_str {
            out.push(c);
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_str = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_str = true;
                out.push(c);
            }
            ':' => out.push_str(": "),
            ' ' | '\t' | '\n' | '\r' => {}
            _ => out.push(c),
        }
    }
    out
}

pub(super) struct Json {
    /// Every container closed.
    pub(super) complete: bool,
    /// Some line has whitespace between its tokens in the source.
    pub(super) loose: bool,
}

/// The line being built.
struct Cur {
    start: usize,
    end: usize,
    chars: usize,
    depth: usize,
    key: bool,
    loose: bool,
}

/// Re-indents JSON as serde's pretty printer does, by tokens (strings with their escapes,
/// brackets, commas, colons, scalars), as far as the text goes. None when it is not JSON after
/// all (a closing bracket that does not match, or text after the document).
pub(super) fn index_json(b: &[u8], which: u32, out: &mut Vec<Ix>) -> Option<Json> {
    let n = b.len();
    let mut i = 0;
    let mut stack: Vec<u8> = Vec::new();
    let mut cur: Option<Cur> = None;
    let mut gap = false;
    let mut done = false;
    let mut loose = false;
    let mut flush = |cur: &mut Option<Cur>, loose: &mut bool| {
        if let Some(c) = cur.take() {
            let mut meta = JSON | which | ((c.depth.min(1 << 26) as u32) << DEPTH_SHIFT);
            if c.key {
                meta |= KEY;
            }
            if c.loose {
                meta |= LOOSE;
                *loose = true;
            }
            out.push(Ix {
                start: c.start as u32,
                end: c.end as u32,
                chars: (c.chars + 2 * c.depth).min(u32::MAX as usize) as u32,
                meta,
            });
        }
    };
    // Adds the token `start..end` (`chars` wide as shown) to the line.
    let add = |cur: &mut Option<Cur>, gap: &mut bool, depth: usize, start, end, chars| {
        match cur {
            Some(c) => {
                c.loose |= *gap;
                c.end = end;
                c.chars += chars;
            }
            None => {
                *cur = Some(Cur {
                    start,
                    end,
                    chars,
                    depth,
                    key: false,
                    loose: false,
                });
            }
        }
        *gap = false;
    };
    while i < n {
        let c = b.get(i).copied().unwrap_or(b' ');
        if is_ws(c) {
            gap = true;
            i += 1;
            continue;
        }
        if done {
            return None;
        }
        let depth = stack.len();
        match c {
            b'{' | b'[' => {
                let close = if c == b'{' { b'}' } else { b']' };
                let mut j = i + 1;
                while j < n && b.get(j).is_some_and(|x| is_ws(*x)) {
                    j += 1;
                }
                if b.get(j) == Some(&close) {
                    // Empty: `{}` / `[]` on the line.
                    add(&mut cur, &mut gap, depth, i, j + 1, 2);
                    if let Some(l) = cur.as_mut() {
                        l.loose |= j > i + 1;
                    }
                    i = j + 1;
                    done = stack.is_empty();
                } else {
                    add(&mut cur, &mut gap, depth, i, i + 1, 1);
                    flush(&mut cur, &mut loose);
                    stack.push(c);
                    i += 1;
                }
            }
            b'}' | b']' => {
                let open = if c == b'}' { b'{' } else { b'[' };
                if stack.last() != Some(&open) {
                    return None;
                }
                flush(&mut cur, &mut loose);
                stack.pop();
                gap = false;
                add(&mut cur, &mut gap, stack.len(), i, i + 1, 1);
                i += 1;
                done = stack.is_empty();
            }
            b',' => {
                if stack.is_empty() {
                    return None;
                }
                add(&mut cur, &mut gap, depth, i, i + 1, 1);
                flush(&mut cur, &mut loose);
                i += 1;
            }
            b':' => {
                add(&mut cur, &mut gap, depth, i, i + 1, 2);
                if let Some(l) = cur.as_mut() {
                    // A key line shown as its source split after the colon; anything else
                    // (no string before the colon) is tidied when shown.
                    let line = b.get(l.start..i + 1).unwrap_or_default();
                    if line.first() == Some(&b'"') && key_end(line) == i - l.start && !l.key {
                        l.key = true;
                    } else {
                        l.loose = true;
                    }
                }
                // Whitespace after the colon is what the shown space stands for.
                while i + 1 < n && b.get(i + 1).is_some_and(|x| is_ws(*x)) {
                    i += 1;
                    if let Some(l) = cur.as_mut() {
                        l.loose = true;
                    }
                }
                i += 1;
            }
            b'"' => {
                let mut j = i + 1;
                let mut chars = 1;
                // A block at a time up to the next quote or backslash.
                while j < n {
                    let rest = b.get(j..).unwrap_or_default();
                    match memchr::memchr2(b'"', b'\\', rest) {
                        Some(k) => {
                            chars += count_chars(rest.get(..k).unwrap_or_default());
                            j += k;
                            if b.get(j) == Some(&b'\\') {
                                // The escape and the byte it escapes (ASCII in JSON).
                                chars += count_chars(b.get(j..(j + 2).min(n)).unwrap_or_default());
                                j += 2;
                            } else {
                                chars += 1;
                                j += 1;
                                break;
                            }
                        }
                        None => {
                            chars += count_chars(rest);
                            j = n;
                        }
                    }
                }
                let j = j.min(n);
                add(&mut cur, &mut gap, depth, i, j, chars);
                i = j;
                done = stack.is_empty();
            }
            _ => {
                let mut j = i + 1;
                while j < n
                    && b.get(j).is_some_and(|x| {
                        !is_ws(*x) && !matches!(x, b',' | b':' | b'{' | b'}' | b'[' | b']' | b'"')
                    })
                {
                    j += 1;
                }
                let chars = count_chars(b.get(i..j).unwrap_or_default());
                add(&mut cur, &mut gap, depth, i, j, chars);
                i = j;
                done = stack.is_empty();
            }
        }
    }
    flush(&mut cur, &mut loose);
    Some(Json {
        complete: stack.is_empty(),
        loose,
    })
}
