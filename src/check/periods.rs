//! A length of time as a whole number of periods of a grain: a link's
//! `lag` and the offset of `prior` (LANGUAGE.md sections 2 and 5), one
//! rule for both. Durations count in days (a day or week grain), calendar
//! units in months (a month, quarter or year grain).

use crate::diag::{Code, Diagnostic};
use crate::model::{Grain, PeriodLength};
use crate::syntax::ast::Quantity;
use crate::units::{CalendarUnit, QuantityUnit, Unit};

/// `q` in whole periods of `grain`, or a diagnostic with `code` on its
/// span. `what` names the quantity in messages ("lag", "offset"), `whose`
/// the grain's owner ("the link's grain"), `example` how one is written
/// with `{}` for the quantity ("lag: {}").
pub(crate) fn whole_periods(
    q: &Quantity,
    grain: Grain,
    code: Code,
    (what, whose, example): (&str, &str, &str),
) -> Result<i64, Diagnostic> {
    let report = |message: String, hint: String| {
        Err(Diagnostic::new(code, q.span, message)
            .label("not a whole number of periods")
            .hint(hint))
    };
    if q.value < 0.0 {
        return report(
            format!("a {what} cannot be negative"),
            format!("the {what} counts periods back in time"),
        );
    }
    let periods = match (&q.unit, grain) {
        (None, _) if q.value == 0.0 => Some(0.0),
        (None, _) => {
            return report(
                format!("a {what} needs a unit"),
                format!("write it with a unit, e.g. `{} {}`", q.value, grain.name()),
            )
        }
        (Some(QuantityUnit::Unit(Unit::Duration(_)) | QuantityUnit::Calendar(_)), _)
            if q.value == 0.0 =>
        {
            Some(0.0)
        }
        (Some(QuantityUnit::Unit(Unit::Duration(d))), _) => match grain.length() {
            PeriodLength::Seconds(period) => Some(q.value * d.seconds() / period),
            PeriodLength::Months(_) => None,
        },
        (Some(QuantityUnit::Calendar(c)), _) => match grain.length() {
            PeriodLength::Months(period) => Some(q.value * months(*c) as f64 / period as f64),
            PeriodLength::Seconds(_) => None,
        },
        (Some(QuantityUnit::Unit(u)), _) => {
            return report(
                format!("a {what} is a time, not a quantity in `{u}`"),
                format!("write the {what} in weeks, days, months, ..."),
            )
        }
    };
    match periods {
        Some(p) if (p - p.round()).abs() < 1e-9 => Ok(p.round() as i64),
        _ => report(
            format!(
                "the {what} is not a whole number of {} ({whose})",
                crate::words::plural(grain.name())
            ),
            format!(
                "give the {what} in {}, e.g. `{}`",
                crate::words::plural(grain.name()),
                example.replace("{}", &format!("1 {}", grain.name()))
            ),
        ),
    }
}

/// The months in one calendar unit.
pub(crate) fn months(unit: CalendarUnit) -> i64 {
    match unit {
        CalendarUnit::Month => 1,
        CalendarUnit::Quarter => 3,
        CalendarUnit::Year => 12,
    }
}
