//! Target blocks: ranges in the metric's unit, dates, no overlap, and the
//! methodology warnings about targets (single value, no baseline, expired).

use super::fields::Fields;
use super::Checker;
use crate::diag::{Code, Diagnostic};
use crate::model::Target;
use crate::schema::{Block, Key};
use crate::source::Span;
use crate::syntax::ast::{Quantity, Value};
use crate::units::{QuantityUnit, Unit};

/// Checks every target of a metric. None if any has an error.
pub(crate) fn check_targets(checker: &mut Checker, f: &Fields, unit: &Unit) -> Option<Vec<Target>> {
    let mut ok = true;
    let mut checked: Vec<(Target, Span)> = Vec::new();
    // The latest `until` of any target, for W0606.
    let mut latest: Option<(crate::date::Date, Span)> = None;
    let mut names: Vec<(String, Span)> = Vec::new();
    for field in f.all(Key::Target) {
        let Value::Target(block) = &field.value else {
            continue;
        };
        let anchor = block.name.as_ref().map_or(field.key.span, |n| n.span);
        if let Some(name) = &block.name {
            if let Some((_, first)) = names.iter().find(|(n, _)| *n == name.name) {
                checker.diags.push(
                    Diagnostic::new(
                        Code::DuplicateTarget,
                        name.span,
                        format!("target `{}` is defined twice on this metric", name.name),
                    )
                    .label("defined again here")
                    .secondary(*first, "first defined here"),
                );
                ok = false;
            }
            names.push((name.name.clone(), name.span));
        }
        for until in block.fields.iter().filter(|f| f.is(Key::Until)) {
            if let Value::Date(d) = &until.value {
                if latest.is_none_or(|(l, _)| d.value > l) {
                    latest = Some((d.value, d.span));
                }
            }
        }
        let tf = Fields::collect(
            Block::Target,
            anchor,
            "this target".to_string(),
            &block.fields,
            &mut checker.diags,
        );
        match target(checker, &tf, unit, field.key.span) {
            Some(t) => checked.push((
                Target {
                    name: block.name.as_ref().map(|n| n.name.clone()),
                    ..t
                },
                anchor,
            )),
            None => ok = false,
        }
    }
    // Targets must be revised: warn when even the latest one has ended.
    if let Some((until, span)) = latest {
        if until < checker.today {
            checker.diags.push(
                Diagnostic::new(Code::ExpiredTarget, span, format!("the latest target ended on {until}"))
                    .label("in the past")
                    .hint("revise targets when they expire: set a new one from the latest baseline, or remove the old one"),
            );
        }
    }
    // Targets of one metric must not overlap in time.
    checked.sort_by_key(|(t, _)| (t.from, t.until));
    for pair in checked.windows(2) {
        let ((a, a_span), (b, b_span)) = (&pair[0], &pair[1]);
        if b.from <= a.until {
            checker.diags.push(
                Diagnostic::new(
                    Code::TargetOverlap,
                    *b_span,
                    format!(
                        "this target ({} to {}) overlaps another ({} to {})",
                        b.from, b.until, a.from, a.until
                    ),
                )
                .label("overlaps")
                .secondary(*a_span, "the other target")
                .hint(
                    "at any date a metric has at most one target: end one before the next begins",
                ),
            );
            ok = false;
        }
    }
    ok.then(|| checked.into_iter().map(|(t, _)| t).collect())
}

fn target(checker: &mut Checker, f: &Fields, unit: &Unit, keyword: Span) -> Option<Target> {
    let diags = &mut checker.diags;
    f.require(
        diags,
        Some("a target is an achievable range held for a stated time: `range: 30s .. 45s  from: 2026-01-01  until: 2026-12-31`".into()),
    );
    let (from, until) = (f.date(Key::From), f.date(Key::Until));
    let mut ok = true;
    if let (Some(from), Some(until)) = (&from, &until) {
        if from.value > until.value {
            diags.push(
                Diagnostic::new(
                    Code::TargetDates,
                    until.span,
                    format!(
                        "the target ends ({}) before it starts ({})",
                        until.value, from.value
                    ),
                )
                .label("before `from`")
                .secondary(from.span, "starts here"),
            );
            ok = false;
        }
    }
    let range = match f.get(Key::Range).map(|x| &x.value) {
        Some(Value::Range { low, high }) => {
            let low_value = convert(checker, low, unit, Code::TargetUnit);
            let high_value = match high {
                Some(high) => convert(checker, high, unit, Code::TargetUnit),
                None => {
                    checker.diags.push(
                        Diagnostic::new(
                            Code::SingleValueTarget,
                            low.span,
                            "the target is a single value, not a range".to_string(),
                        )
                        .label("single value")
                        .hint("targets are achievable ranges set from baseline data: write `LOW .. HIGH`"),
                    );
                    low_value
                }
            };
            match (low_value, high_value) {
                (Some(l), Some(h)) if l > h => {
                    checker.diags.push(
                        Diagnostic::new(
                            Code::TargetRange,
                            high.as_ref().map_or(low.span, |h| low.span.to(h.span)),
                            "the low end of the range is above its high end".to_string(),
                        )
                        .label("low > high")
                        .hint("write the range as `LOW .. HIGH`, whatever the metric's direction"),
                    );
                    None
                }
                (Some(l), Some(h)) => Some((l, h)),
                _ => None,
            }
        }
        _ => None,
    };
    let optional = |checker: &mut Checker, key: Key| -> Result<Option<f64>, ()> {
        match f.quantity(key) {
            Some(q) => convert(checker, q, unit, Code::TargetUnit)
                .map(Some)
                .ok_or(()),
            None => Ok(None),
        }
    };
    let baseline = optional(checker, Key::Baseline);
    let competitor = optional(checker, Key::Competitor);
    if f.get(Key::Baseline).is_none() {
        checker.diags.push(
            Diagnostic::new(Code::NoBaseline, keyword, "the target has no baseline".to_string())
                .label("no `baseline`")
                .hint("set targets from baseline data: record where the metric stood, e.g. `baseline: 55s`"),
        );
    }
    let (low, high) = range?;
    if !ok {
        return None;
    }
    Some(Target {
        name: None,
        low,
        high,
        from: from?.value,
        until: until?.value,
        baseline: baseline.ok()?,
        competitor: competitor.ok()?,
        note: f.string(Key::Note).map(|s| s.value.clone()),
    })
}

/// A target quantity in the metric's unit.
/// A quantity in the metric's `unit`, or a diagnostic (`code` when its
/// unit does not convert).
pub(crate) fn convert(checker: &mut Checker, q: &Quantity, unit: &Unit, code: Code) -> Option<f64> {
    let from = match &q.unit {
        Some(QuantityUnit::Unit(u)) => u.clone(),
        Some(QuantityUnit::Calendar(_)) => {
            checker.diags.push(
                Diagnostic::new(
                    Code::CalendarUnit,
                    q.span,
                    "months, quarters and years have no fixed length".to_string(),
                )
                .label("calendar unit")
                .hint("calendar units count calendar periods: they are allowed only in a link's `lag`, a metric's `window` and `prior`"),
            );
            return None;
        }
        // A bare number: the plain-fraction unit `1` takes it as is, and 0 fits every unit.
        None if *unit == Unit::Ratio || q.value == 0.0 => return Some(q.value),
        None => {
            checker.diags.push(
                Diagnostic::new(
                    Code::BareNumber,
                    q.span,
                    format!("a bare number where a quantity in `{unit}` is expected"),
                )
                .label("no unit")
                .hint(format!("write the unit: `{} {unit}`", q.value)),
            );
            return None;
        }
    };
    match from.factor_to(unit) {
        Some(factor) => Some(q.value * factor),
        None => {
            checker.diags.push(
                Diagnostic::new(
                    code,
                    q.span,
                    format!("`{from}` does not convert to the metric's unit `{unit}`"),
                )
                .label(format!("in `{from}`"))
                .hint(format!(
                    "the metric is measured in `{unit}` ({})",
                    unit.family()
                )),
            );
            None
        }
    }
}
