//! Small helpers shared by the drawings: escaping, numbers, axis ticks.
//!
//! Drawings are SVG strings built by cpic and inserted into pages as they
//! are; every piece of spec text in them goes through [`escape`].

use std::fmt::Write;

/// Text or an attribute value made safe for SVG and HTML.
pub fn escape(text: &str) -> String {
    escape_with(text, true)
}

/// Text made safe as the content of an HTML element (never an attribute):
/// quotes need no escape there, which keeps the SQL on the pages a third
/// smaller (every identifier is quoted).
pub fn escape_text(text: &str) -> String {
    escape_with(text, false)
}

fn escape_with(text: &str, quotes: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if quotes => out.push_str("&quot;"),
            '\'' if quotes => out.push_str("&#39;"),
            // Control characters are not allowed in XML.
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// A coordinate with at most one decimal: small files, stable output.
pub fn coord(x: f64) -> String {
    let rounded = (x * 10.0).round() / 10.0;
    if rounded == rounded.trunc() {
        format!("{}", rounded as i64)
    } else {
        format!("{rounded:.1}")
    }
}

/// "Nice" tick values covering `[low, high]`: about `count` steps of 1, 2
/// or 5 times a power of ten.
pub fn ticks(low: f64, high: f64, count: usize) -> Vec<f64> {
    let (low, high) = if high > low {
        (low, high)
    } else {
        let pad = if low == 0.0 { 1.0 } else { low.abs() * 0.1 };
        (low - pad, high + pad)
    };
    let raw = (high - low) / count.max(1) as f64;
    let power = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * power);
    let first = (low / step).floor() as i64;
    let last = (high / step).ceil() as i64;
    // Rounded to the step's decimals so that 3 x 0.05 reads 0.15.
    let digits = 10f64.powi((-step.log10().floor()).max(0.0) as i32 + 1);
    (first..=last)
        .map(|i| (i as f64 * step * digits).round() / digits)
        .collect()
}

/// A tick label: as many decimals as the step needs, grouped thousands.
pub fn tick_label(value: f64, step: f64) -> String {
    let decimals = if step >= 1.0 {
        0
    } else {
        (-step.log10().floor()) as usize
    };
    let text = format!("{:.*}", decimals, value.abs());
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let mut out = String::new();
    if value < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0') {
        out.push('-');
    }
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if !frac.is_empty() {
        let _ = write!(out, ".{frac}");
    }
    out
}

/// A linear map from data to pixels.
#[derive(Clone, Copy)]
pub struct Scale {
    pub d0: f64,
    pub d1: f64,
    pub p0: f64,
    pub p1: f64,
}

impl Scale {
    pub fn at(&self, v: f64) -> f64 {
        if self.d1 == self.d0 {
            return (self.p0 + self.p1) / 2.0;
        }
        self.p0 + (v - self.d0) / (self.d1 - self.d0) * (self.p1 - self.p0)
    }
}

/// Shortens `text` to `max` characters with an ellipsis.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
        assert_eq!(escape("a\u{7}b"), "a\u{FFFD}b");
    }

    #[test]
    fn element_content_keeps_quotes_but_never_markup() {
        assert_eq!(
            escape_text("SELECT \"a\" FROM t WHERE x < 1 AND '</code><script>' = y & z"),
            "SELECT \"a\" FROM t WHERE x &lt; 1 AND '&lt;/code&gt;&lt;script&gt;' = y &amp; z"
        );
        assert_eq!(escape_text("a\u{7}b"), "a\u{FFFD}b");
    }

    #[test]
    fn ticks_are_round_and_cover_the_range() {
        assert_eq!(ticks(3.0, 47.0, 5), vec![0.0, 10.0, 20.0, 30.0, 40.0, 50.0]);
        assert_eq!(ticks(0.12, 0.31, 4), vec![0.1, 0.15, 0.2, 0.25, 0.3, 0.35]);
        let flat = ticks(5.0, 5.0, 4);
        assert!(flat.first().unwrap() <= &5.0 && flat.last().unwrap() >= &5.0);
        assert_eq!(tick_label(12500.0, 500.0), "12,500");
        assert_eq!(tick_label(0.25, 0.05), "0.25");
        assert_eq!(tick_label(-0.0, 1.0), "0");
    }

    #[test]
    fn truncates_by_characters() {
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("é😀", 4), "é😀");
    }
}
