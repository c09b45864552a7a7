//! Where in a TOML file something is, for error messages that name the file, the line and the
//! field. Used by the config file (`settings.rs`) and the simulator's scenario files
//! (`sim/scenario.rs`) alike: a text utility, neither client nor server.

/// The 1-based line of a byte offset (a TOML parser's span), clamped to the text and never
/// splitting a character.
pub fn line_of(src: &str, offset: usize) -> usize {
    let mut at = offset.min(src.len());
    while !src.is_char_boundary(at) {
        at -= 1;
    }
    src.get(..at).unwrap_or_default().lines().count().max(1)
}

/// The 1-based line assigning `key` (`key = …`), searching from line `from` (0-based).
pub fn line_of_key(src: &str, key: &str, from: usize) -> Option<usize> {
    src.lines()
        .enumerate()
        .skip(from)
        .find(|(_, l)| {
            l.trim_start()
                .strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        })
        .map(|(i, _)| i + 1)
}

/// The key assigned on a 1-based line (`key = …`), or the table header's name.
pub fn field_on_line(src: &str, line: usize) -> Option<String> {
    let text = src.lines().nth(line.checked_sub(1)?)?.trim();
    if let Some((key, _)) = text.split_once('=') {
        return Some(key.trim().to_string());
    }
    text.strip_prefix('[')
        .map(|t| t.trim_matches(['[', ']']).trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_keys() {
        let src = "# é\nflow = \"web\"\n[app]\nname = \"x\"\n";
        assert_eq!(line_of(src, 0), 1);
        assert_eq!(line_of(src, 3), 1, "inside é: no split, line 1");
        assert_eq!(line_of(src, src.find("flow").unwrap() + 2), 2);
        assert_eq!(line_of_key(src, "name", 0), Some(4));
        assert_eq!(line_of_key(src, "name", 4), None);
        assert_eq!(field_on_line(src, 2).as_deref(), Some("flow"));
        assert_eq!(field_on_line(src, 3).as_deref(), Some("app"));
        assert_eq!(field_on_line(src, 0), None);
    }
}
