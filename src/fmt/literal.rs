//! The canonical spelling of strings and quantities.

/// A `"..."` string with the four escapes of the language, and nothing
/// else escaped.
pub fn string(value: &str, out: &mut String) {
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A `"""` block string whose lines sit two spaces deeper than `indent`,
/// with the closing quotes at `indent`: it reads back as `value` (see
/// `syntax::literals::dedent_block`).
pub fn block_string(value: &str, indent: &str, out: &mut String) {
    out.push_str("\"\"\"\n");
    for line in value.split('\n') {
        if !line.is_empty() {
            out.push_str(indent);
            out.push_str("  ");
            out.push_str(line);
        }
        out.push('\n');
    }
    if value.ends_with('\n') {
        // The reader drops one line break before the closing quotes.
        out.push('\n');
    }
    out.push_str(indent);
    out.push_str("\"\"\"");
}

/// A number or quantity as written, normalised: one space between the
/// number and its unit (`30 s`, `1 week`, `3 {options}`), none before `%`.
pub fn quantity(written: &str) -> String {
    let number_end = written
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || c == '_' || c == '.' || (i == 0 && c == '-')))
        .map_or(written.len(), |(i, _)| i);
    let (number, unit) = written.split_at(number_end);
    let unit = unit.trim();
    match unit {
        "" => number.to_string(),
        "%" => format!("{number}%"),
        _ => format!("{number} {unit}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::literals::{dedent_block, unescape};

    #[test]
    fn strings_read_back_as_their_value() {
        for value in [
            "plain",
            "a \"quote\"",
            "back\\slash",
            "two\nlines\tand tab",
            "",
        ] {
            let mut out = String::new();
            string(value, &mut out);
            let inner = &out[1..out.len() - 1];
            assert_eq!(unescape(inner).unwrap(), value);
        }
    }

    #[test]
    fn block_strings_read_back_as_their_value() {
        for value in [
            "one line",
            "a\n\n  b\nc",
            "",
            "\nafter a blank",
            "x\n",
            "\n",
            "x\n\n",
        ] {
            let mut out = String::new();
            block_string(value, "    ", &mut out);
            let inner = &out[3..out.len() - 3];
            assert_eq!(dedent_block(inner), value, "{out}");
        }
    }

    #[test]
    fn quantities_get_one_space_except_percent() {
        assert_eq!(quantity("30s"), "30 s");
        assert_eq!(quantity("45   min"), "45 min");
        assert_eq!(quantity("12 %"), "12%");
        assert_eq!(quantity("-1_000.5\t{options}"), "-1_000.5 {options}");
        assert_eq!(quantity("42"), "42");
        assert_eq!(quantity("1 week"), "1 week");
    }
}
