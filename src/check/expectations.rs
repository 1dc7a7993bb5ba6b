//! Data expectations (LANGUAGE.md sections 2 and 10): a source's `fresh`,
//! `unique` and `not_null`, a metric's `expect`. `cpic test` evaluates
//! them; the checker makes sure each can be.

use std::collections::HashMap;

use super::fields::Fields;
use super::targets::convert;
use super::Checker;
use crate::diag::{did_you_mean, Code, Diagnostic};
use crate::model::{ColumnType, ColumnsRule, ExpectRange, Fresh, Location};
use crate::schema::Key;
use crate::syntax::ast::{Field, Item, Quantity, Value};
use crate::units::{QuantityUnit, Unit};

/// A source's expectations, checked.
pub(crate) struct SourceExpectations {
    pub fresh: Option<Fresh>,
    pub unique: Option<ColumnsRule>,
    pub not_null: Option<ColumnsRule>,
}

/// A source's `fresh`, `unique` and `not_null`, or None after reporting
/// a problem.
pub(crate) fn source(
    checker: &mut Checker,
    item: &Item,
    f: &Fields,
    has_time: bool,
    columns: &HashMap<String, ColumnType>,
) -> Option<SourceExpectations> {
    let mut ok = true;
    let fresh = match f.get(Key::Fresh) {
        Some(field) => match (&field.value, has_time) {
            (Value::Quantity(q), true) => match duration_seconds(checker, q) {
                Some(seconds) => Some(Fresh {
                    seconds,
                    location: at(checker, item, field),
                }),
                None => {
                    ok = false;
                    None
                }
            },
            (_, false) => {
                checker.diags.push(
                    Diagnostic::new(
                        Code::NoTimeColumn,
                        field.key.span,
                        format!("`fresh` on source `{}`, which has no `time`", item.name.name),
                    )
                    .label("the age of what?")
                    .hint("`fresh` bounds the age of the newest `time` value: declare the source's time column, e.g. `time: created_at`"),
                );
                ok = false;
                None
            }
            _ => None,
        },
        None => None,
    };
    let mut rule = |key: Key| -> Option<ColumnsRule> {
        let field = f.get(key)?;
        let Value::Names { names } = &field.value else {
            return None;
        };
        let mut kept: Vec<String> = Vec::new();
        for name in names {
            if !columns.contains_key(&name.name) {
                checker.diags.push(
                    Diagnostic::new(
                        Code::UnknownColumn,
                        name.span,
                        format!("source `{}` has no column `{}`", item.name.name, name.name),
                    )
                    .label(format!("unknown column in `{key}`"))
                    .hint_opt(did_you_mean(&name.name, columns.keys().map(String::as_str))),
                );
                ok = false;
            } else if !kept.contains(&name.name) {
                kept.push(name.name.clone());
            }
        }
        Some(ColumnsRule {
            columns: kept,
            location: at(checker, item, field),
        })
    };
    let unique = rule(Key::Unique);
    let not_null = rule(Key::NotNull);
    ok.then_some(SourceExpectations {
        fresh,
        unique,
        not_null,
    })
}

/// A metric's `expect: LOW .. HIGH`, in its unit: Ok(None) without one,
/// Err after reporting a problem.
pub(crate) fn metric(
    checker: &mut Checker,
    item: &Item,
    f: &Fields,
    unit: &Unit,
) -> Result<Option<ExpectRange>, ()> {
    let Some(field) = f.get(Key::Expect) else {
        return Ok(None);
    };
    let Value::Range { low, high } = &field.value else {
        return Ok(None); // another kind of value: reported by `Fields`
    };
    let Some(high) = high else {
        checker.diags.push(
            Diagnostic::new(
                Code::ExpectRange,
                low.span,
                "`expect` is a single value, not a range".to_string(),
            )
            .label("single value")
            .hint(format!(
                "write the plausible values as `LOW .. HIGH`, e.g. `expect: 0 {unit} .. {} {unit}`",
                low.value
            )),
        );
        return Err(());
    };
    let (l, h) = (
        convert(checker, low, unit, Code::ExpectUnit),
        convert(checker, high, unit, Code::ExpectUnit),
    );
    let (Some(l), Some(h)) = (l, h) else {
        return Err(());
    };
    if l > h {
        checker.diags.push(
            Diagnostic::new(
                Code::ExpectRange,
                low.span.to(high.span),
                "the low end of `expect` is above its high end".to_string(),
            )
            .label("low > high")
            .hint("write the range as `LOW .. HIGH`, whatever the metric's direction"),
        );
        return Err(());
    }
    Ok(Some(ExpectRange {
        low: l,
        high: h,
        location: at(checker, item, field),
    }))
}

/// A duration in seconds (`fresh`), or E0319.
fn duration_seconds(checker: &mut Checker, q: &Quantity) -> Option<f64> {
    if let Some(QuantityUnit::Unit(Unit::Duration(d))) = &q.unit {
        if q.value > 0.0 {
            return Some(q.value * d.seconds());
        }
    }
    checker.diags.push(
        Diagnostic::new(
            Code::FreshDuration,
            q.span,
            "`fresh` must be a positive duration, such as `2 days`".to_string(),
        )
        .label(if q.value <= 0.0 {
            "not positive"
        } else {
            "not a duration"
        })
        .hint(
            "durations are in `s`, `min`, `h`, `d` or `wk`; months and years have no fixed length",
        ),
    );
    None
}

/// Where a field is written, for the reports that point at it.
fn at(checker: &Checker, item: &Item, field: &Field) -> Location {
    checker.location_at(item, field.key.span)
}
