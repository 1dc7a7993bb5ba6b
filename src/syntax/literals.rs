//! Decoding of literal text: strings, block strings, numbers and names.

/// Words that cannot name an item or a column: they are expression keywords.
pub const RESERVED: &[&str] = &[
    "or", "and", "not", "is", "in", "null", "where", "true", "false",
];

/// Decodes the escapes of a `"..."` string. On an unknown escape, returns its
/// byte offset and length within `raw`.
pub fn unescape(raw: &str) -> Result<String, (usize, usize)> {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.char_indices();
    while let Some((i, c)) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some((_, '"')) => out.push('"'),
            Some((_, '\\')) => out.push('\\'),
            Some((_, 'n')) => out.push('\n'),
            Some((_, 't')) => out.push('\t'),
            Some((_, other)) => return Err((i, 1 + other.len_utf8())),
            None => return Err((i, 1)),
        }
    }
    Ok(out)
}

/// The content of a `"""` block string: the first line break after the
/// opening quotes and the indentation before the closing quotes are dropped,
/// then the indentation common to all non-blank lines is removed.
pub fn dedent_block(raw: &str) -> String {
    let raw = raw.replace("\r\n", "\n");
    let raw = raw.strip_prefix('\n').unwrap_or(&raw);
    let raw = match raw.rfind('\n') {
        Some(i) if raw[i + 1..].trim().is_empty() => &raw[..i],
        _ => raw.trim_end_matches([' ', '\t']),
    };
    let indent = raw
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start_matches([' ', '\t']).len())
        .min()
        .unwrap_or(0);
    raw.lines()
        .map(|l| {
            if l.len() >= indent {
                &l[indent..]
            } else {
                l.trim_start()
            }
        })
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The offset just after the string or `"""` block string that starts at
/// `at` (a `"`), or the end of the text when it is not closed. A `"..."`
/// string also ends at a line break, as the grammar has it.
pub fn string_end(text: &str, at: usize) -> usize {
    let bytes = text.as_bytes();
    if text[at..].starts_with("\"\"\"") {
        return text[at + 3..]
            .find("\"\"\"")
            .map_or(bytes.len(), |end| at + 3 + end + 3);
    }
    let mut i = at + 1;
    while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
        i += if bytes[i] == b'\\' { 2 } else { 1 };
    }
    (i + 1).min(bytes.len())
}

/// The grammar's whitespace (`WHITESPACE` in grammar/cpi.pest): a byte
/// order mark counts, anywhere, and `str::trim` does not know that.
pub const WHITESPACE: [char; 5] = [' ', '\t', '\r', '\n', '\u{FEFF}'];

/// The end of a `{...}` unit annotation (`unit: {items}`, `5 {items}`)
/// that opens at `open`, or None for a block's brace. An annotation holds
/// any character but `}` and a line break, `//` and `"` included, which are
/// then no comment and no string (found by the fmt fuzz target). It
/// follows a `:` or a number and closes on its line; a block's `{` follows
/// a name or keyword. Scanners of raw text (the formatter's comments, the
/// language server's open blocks) skip annotations with it.
pub fn unit_annotation_end(text: &str, open: usize) -> Option<usize> {
    let before = text[..open].trim_end_matches(WHITESPACE);
    // The character found may be several bytes (a byte order mark, found
    // by the fuzzer): step over it, not over one byte.
    let word_start = before
        .char_indices()
        .rev()
        .find(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
        .map_or(0, |(p, c)| p + c.len_utf8());
    let word = &before[word_start..];
    let after_number = word.starts_with(|c: char| c.is_ascii_digit())
        && word
            .chars()
            .all(|c| c.is_ascii_digit() || c == '_' || c == '.');
    if !(before.ends_with(':') || after_number) {
        return None;
    }
    let close = open + text[open..].find(['}', '\n'])?;
    (text.as_bytes()[close] == b'}').then_some(close + 1)
}

/// Parses `42`, `3.5`, `1_000`; None if it is not finite.
pub fn parse_number(text: &str) -> Option<f64> {
    let value: f64 = text.replace('_', "").parse().ok()?;
    value.is_finite().then_some(value)
}

/// Why a word cannot be a name, if it cannot.
pub fn name_problem(name: &str) -> Option<&'static str> {
    let mut chars = name.chars();
    if !chars.next().is_some_and(|c| c.is_ascii_lowercase()) {
        return Some("a name starts with a lowercase letter");
    }
    if !chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
        return Some("a name has only lowercase letters, digits and `_`");
    }
    if RESERVED.contains(&name) {
        return Some("it is a keyword of the expression language");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescapes_the_four_escapes() {
        assert_eq!(unescape(r#"a\"b\\c\nd\te"#).unwrap(), "a\"b\\c\nd\te");
        assert_eq!(unescape(r"bad \q"), Err((4, 2)));
    }

    #[test]
    fn block_strings_lose_common_indentation() {
        let raw = "\n    Median time.\n      Indented.\n\n    Markdown.\n  ";
        assert_eq!(dedent_block(raw), "Median time.\n  Indented.\n\nMarkdown.");
    }

    #[test]
    fn numbers_allow_underscores() {
        assert_eq!(parse_number("1_000"), Some(1000.0));
        assert_eq!(parse_number("3.5"), Some(3.5));
    }

    #[test]
    fn names_are_lowercase_and_not_keywords() {
        assert!(name_problem("quote_turnaround").is_none());
        assert!(name_problem("Quote").is_some());
        assert!(name_problem("or").is_some());
        assert!(name_problem("_x").is_some());
    }
}
