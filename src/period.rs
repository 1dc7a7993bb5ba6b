//! When a period counts, once: a period is **complete** when it has ended
//! on or before today, that is when the next period starts on or before
//! `today`. An incomplete period (this week, so far) is never a metric's
//! latest value and never judged against a target. The run applies the
//! rule with [`is_complete`]; the SQL backend writes the same rule with
//! `sql::Dialect::period_is_complete` (the SQL half lives on the SQL side,
//! so that this module stays on the model's floor). Both read
//! `Grain::add`'s calendar (weeks start on Monday; months, quarters and
//! years on their first day).

use crate::date::Date;
use crate::model::Grain;

/// Whether the period of `grain` starting on `start` is complete on `today`.
pub fn is_complete(grain: Grain, start: Date, today: Date) -> bool {
    grain.add(start, 1) <= today
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_period_is_complete_from_the_day_after_it_ends() {
        let d = |s| Date::parse(s).expect("a date");
        let week = d("2026-11-23"); // a Monday
        assert!(!is_complete(Grain::Week, week, d("2026-11-29")));
        assert!(is_complete(Grain::Week, week, d("2026-11-30")));
        assert!(!is_complete(Grain::Month, d("2026-11-01"), d("2026-11-30")));
        assert!(is_complete(Grain::Month, d("2026-11-01"), d("2026-12-01")));
        assert!(is_complete(Grain::Day, d("2026-11-29"), d("2026-11-30")));
        assert!(!is_complete(Grain::Day, d("2026-11-29"), d("2026-11-29")));
    }
}
