//! Units of measure (LANGUAGE.md section 4): parsing, compatibility and exact
//! conversion factors.

use std::fmt;

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DurationUnit {
    S,
    Min,
    H,
    D,
    Wk,
}

impl DurationUnit {
    /// Seconds in one of this unit: conversions between durations are exact.
    pub fn seconds(self) -> f64 {
        match self {
            DurationUnit::S => 1.0,
            DurationUnit::Min => 60.0,
            DurationUnit::H => 3_600.0,
            DurationUnit::D => 86_400.0,
            DurationUnit::Wk => 604_800.0,
        }
    }

    fn symbol(self) -> &'static str {
        match self {
            DurationUnit::S => "s",
            DurationUnit::Min => "min",
            DurationUnit::H => "h",
            DurationUnit::D => "d",
            DurationUnit::Wk => "wk",
        }
    }
}

/// Calendar units: allowed only in a link's `lag`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CalendarUnit {
    Month,
    Quarter,
    Year,
}

/// A unit of measure. `Dimensionless` is the unit of a bare number.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Unit {
    Dimensionless,
    Duration(DurationUnit),
    /// An ISO 4217 currency code.
    Money(String),
    /// `1`: a plain fraction.
    Ratio,
    /// `%`: a fraction ×100.
    Percent,
    /// `count` (None) or a counted thing `{options}`.
    Count(Option<String>),
}

impl Serialize for Unit {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unit::Dimensionless => f.write_str("(none)"),
            Unit::Duration(d) => f.write_str(d.symbol()),
            Unit::Money(code) => f.write_str(code),
            Unit::Ratio => f.write_str("1"),
            Unit::Percent => f.write_str("%"),
            Unit::Count(None) => f.write_str("count"),
            Unit::Count(Some(thing)) => write!(f, "{{{thing}}}"),
        }
    }
}

/// The unit of a quantity literal, which may also be a calendar unit.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum QuantityUnit {
    Unit(Unit),
    Calendar(CalendarUnit),
}

/// Why a unit spelling was rejected.
#[derive(Debug, PartialEq)]
pub enum UnitError {
    Unknown,
    /// A long duration form (`seconds`) where only symbols are allowed.
    LongFormInDeclaration(&'static str),
}

/// All unit spellings, for "did you mean" hints.
pub const SPELLINGS: &[&str] = &[
    "s", "min", "h", "d", "wk", "1", "%", "count", "USD", "EUR", "GBP", "second", "seconds",
    "minute", "minutes", "hour", "hours", "day", "days", "week", "weeks",
];

impl Unit {
    /// Parses a unit as declared in `unit:` or a column type (symbols only).
    pub fn parse_declared(text: &str) -> Result<Unit, UnitError> {
        if text == "1" {
            return Ok(Unit::Ratio);
        }
        if let Some(symbol) = long_form_symbol(text) {
            return Err(UnitError::LongFormInDeclaration(symbol));
        }
        match parse_quantity_unit(text)? {
            QuantityUnit::Unit(unit) => Ok(unit),
            QuantityUnit::Calendar(_) => Err(UnitError::Unknown),
        }
    }

    pub fn family(&self) -> &'static str {
        match self {
            Unit::Dimensionless => "dimensionless",
            Unit::Duration(_) => "duration",
            Unit::Money(_) => "money",
            Unit::Ratio | Unit::Percent => "ratio",
            Unit::Count(_) => "count",
        }
    }

    /// Whether values of the two units can be added, compared or converted.
    pub fn compatible(&self, other: &Unit) -> bool {
        self.factor_to(other).is_some()
    }

    /// The factor that converts a value in `self` to `to`, if they are compatible.
    pub fn factor_to(&self, to: &Unit) -> Option<f64> {
        match (self, to) {
            (Unit::Dimensionless, Unit::Dimensionless) => Some(1.0),
            (Unit::Duration(a), Unit::Duration(b)) => Some(a.seconds() / b.seconds()),
            (Unit::Money(a), Unit::Money(b)) if a == b => Some(1.0),
            (Unit::Ratio, Unit::Ratio) | (Unit::Percent, Unit::Percent) => Some(1.0),
            (Unit::Ratio, Unit::Percent) => Some(100.0),
            (Unit::Percent, Unit::Ratio) => Some(0.01),
            (Unit::Count(a), Unit::Count(b)) if a.is_none() || b.is_none() || a == b => Some(1.0),
            _ => None,
        }
    }

    pub fn is_count(&self) -> bool {
        matches!(self, Unit::Count(_))
    }
}

fn long_form_symbol(text: &str) -> Option<&'static str> {
    Some(match text {
        "second" | "seconds" => "s",
        "minute" | "minutes" => "min",
        "hour" | "hours" => "h",
        "day" | "days" => "d",
        "week" | "weeks" => "wk",
        _ => return None,
    })
}

/// Parses the unit of a quantity literal (`30s`, `2 weeks`, `3 {options}`).
pub fn parse_quantity_unit(text: &str) -> Result<QuantityUnit, UnitError> {
    use DurationUnit::*;
    let unit = match text {
        "s" | "second" | "seconds" => Unit::Duration(S),
        "min" | "minute" | "minutes" => Unit::Duration(Min),
        "h" | "hour" | "hours" => Unit::Duration(H),
        "d" | "day" | "days" => Unit::Duration(D),
        "wk" | "week" | "weeks" => Unit::Duration(Wk),
        "month" | "months" => return Ok(QuantityUnit::Calendar(CalendarUnit::Month)),
        "quarter" | "quarters" => return Ok(QuantityUnit::Calendar(CalendarUnit::Quarter)),
        "year" | "years" => return Ok(QuantityUnit::Calendar(CalendarUnit::Year)),
        "%" => Unit::Percent,
        "count" => Unit::Count(None),
        _ if text.len() == 3 && text.bytes().all(|b| b.is_ascii_uppercase()) => {
            Unit::Money(text.to_string())
        }
        _ if text.starts_with('{') && text.ends_with('}') && text.len() > 2 => {
            let thing = &text[1..text.len() - 1];
            let valid = thing
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == ' ')
                && !thing.trim().is_empty();
            if !valid {
                return Err(UnitError::Unknown);
            }
            Unit::Count(Some(thing.trim().to_string()))
        }
        _ => return Err(UnitError::Unknown),
    };
    Ok(QuantityUnit::Unit(unit))
}

/// A value in its unit as people read it: `38 s`, `81.4 %`, `12.90 EUR`,
/// `3.2 options`.
pub fn format_value(value: f64, unit: &Unit) -> String {
    let number = value_number(value, unit);
    match unit {
        Unit::Dimensionless | Unit::Ratio => number,
        Unit::Count(None) => number,
        Unit::Count(Some(thing)) => format!("{number} {thing}"),
        other => format!("{number} {other}"),
    }
}

/// The size of a difference between two values in `unit`, written as
/// [`format_value`] writes values but in the unit of a change: `2.7 pp`
/// between 5.4% and 2.7% (percentage points, not a percent of the value),
/// `3.5 min`, `12.00 USD`.
pub fn format_difference(value: f64, unit: &Unit) -> String {
    let number = value_number(value, unit);
    match unit_of_change(unit) {
        Some(u) => format!("{number} {u}"),
        None => number,
    }
}

/// The number of [`format_value`]: money to the cent, percentages to a
/// tenth, other quantities to three significant digits or so.
fn value_number(value: f64, unit: &Unit) -> String {
    match unit {
        Unit::Money(_) => grouped(value, 2),
        Unit::Percent => grouped(value, 1),
        _ => {
            let decimals = if value.abs() >= 100.0 {
                0
            } else if value.abs() >= 10.0 {
                1
            } else {
                2
            };
            trim_zeros(grouped(value, decimals))
        }
    }
}

/// A change or a rate of change as people read it, signed, to two
/// significant digits: `+0.12 pp` (a change of a percentage is in
/// percentage points), `-3.4 s`, `+1,200 USD`, `+0.0051`.
pub fn format_change(value: f64, unit: &Unit) -> String {
    let sign = if value > 0.0 {
        "+"
    } else if value < 0.0 {
        "-"
    } else {
        ""
    };
    let digits = if value == 0.0 {
        0
    } else {
        // Two significant digits: 0.123 → 2 decimals, 12.3 → 0.
        (1 - value.abs().log10().floor() as i64).clamp(0, 9) as usize
    };
    let digits_only = trim_zeros(grouped(value.abs(), digits));
    let number = if digits_only == "0" {
        digits_only
    } else {
        format!("{sign}{digits_only}")
    };
    match unit_of_change(unit) {
        Some(u) => format!("{number} {u}"),
        None => number,
    }
}

/// The unit of a change in `unit`, as written after a number: `pp` for
/// percentages; None for plain numbers.
pub fn unit_of_change(unit: &Unit) -> Option<String> {
    match unit {
        Unit::Dimensionless | Unit::Ratio | Unit::Count(None) => None,
        Unit::Percent => Some("pp".to_string()),
        Unit::Count(Some(thing)) => Some(thing.clone()),
        other => Some(other.to_string()),
    }
}

/// `1234567.891` with 2 decimals → `1,234,567.89`.
fn grouped(value: f64, decimals: usize) -> String {
    let text = format!("{:.*}", decimals, value.abs());
    let (int, frac) = text
        .split_once('.')
        .map_or((text.as_str(), None), |(i, f)| (i, Some(f)));
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(frac) = frac {
        out.push('.');
        out.push_str(frac);
    }
    // No "-0": a value that rounds to zero has no sign.
    if value < 0.0 && out.chars().any(|c| c.is_ascii_digit() && c != '0') {
        out.insert(0, '-');
    }
    out
}

fn trim_zeros(text: String) -> String {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_are_signed_to_two_significant_digits() {
        assert_eq!(format_change(0.1234, &Unit::Percent), "+0.12 pp");
        assert_eq!(format_difference(2.7, &Unit::Percent), "2.7 pp");
        assert_eq!(format_value(2.7, &Unit::Percent), "2.7 %");
        assert_eq!(
            format_difference(12.0, &Unit::Money("USD".into())),
            "12.00 USD"
        );
        assert_eq!(
            format_difference(3.0, &Unit::Count(Some("options".into()))),
            "3 options"
        );
        assert_eq!(format_difference(0.25, &Unit::Ratio), "0.25");
        assert_eq!(
            format_change(-3.41, &Unit::Duration(DurationUnit::S)),
            "-3.4 s"
        );
        assert_eq!(
            format_change(1234.0, &Unit::Money("USD".into())),
            "+1,234 USD"
        );
        assert_eq!(format_change(0.005123, &Unit::Ratio), "+0.0051");
        assert_eq!(format_change(0.0, &Unit::Ratio), "0");
        assert_eq!(
            format_change(2.0, &Unit::Count(Some("options".into()))),
            "+2 options"
        );
    }

    #[test]
    fn durations_convert_exactly() {
        let min = Unit::Duration(DurationUnit::Min);
        let s = Unit::Duration(DurationUnit::S);
        assert_eq!(s.factor_to(&min), Some(1.0 / 60.0));
        assert_eq!(
            Unit::Duration(DurationUnit::Wk).factor_to(&Unit::Duration(DurationUnit::D)),
            Some(7.0)
        );
    }

    #[test]
    fn currencies_never_convert() {
        assert_eq!(
            Unit::Money("USD".into()).factor_to(&Unit::Money("EUR".into())),
            None
        );
    }

    #[test]
    fn ratio_to_percent_is_times_100() {
        assert_eq!(Unit::Ratio.factor_to(&Unit::Percent), Some(100.0));
    }

    #[test]
    fn counted_things_are_counts() {
        let options = Unit::Count(Some("options".into()));
        assert!(options.compatible(&Unit::Count(None)));
        assert!(!options.compatible(&Unit::Count(Some("friends".into()))));
    }

    #[test]
    fn declared_units_use_symbols() {
        assert_eq!(Unit::parse_declared("1"), Ok(Unit::Ratio));
        assert_eq!(
            Unit::parse_declared("seconds"),
            Err(UnitError::LongFormInDeclaration("s"))
        );
        assert_eq!(Unit::parse_declared("usd"), Err(UnitError::Unknown));
        assert_eq!(
            Unit::parse_declared("{options}"),
            Ok(Unit::Count(Some("options".into())))
        );
    }

    #[test]
    fn values_read_naturally() {
        assert_eq!(format_value(38.0, &Unit::Duration(DurationUnit::S)), "38 s");
        assert_eq!(format_value(81.4321, &Unit::Percent), "81.4 %");
        assert_eq!(format_value(12.9, &Unit::Money("EUR".into())), "12.90 EUR");
        assert_eq!(
            format_value(1234567.891, &Unit::Money("USD".into())),
            "1,234,567.89 USD"
        );
        assert_eq!(format_value(-0.001, &Unit::Money("USD".into())), "0.00 USD");
        assert_eq!(
            format_value(3.25, &Unit::Count(Some("options".into()))),
            "3.25 options"
        );
        assert_eq!(format_value(-12.0, &Unit::Count(None)), "-12");
        assert_eq!(format_value(0.5, &Unit::Ratio), "0.5");
    }
}
