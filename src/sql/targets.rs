//! The target status query: for each metric with a target active on its
//! latest complete period, the value, the range and the status.

use std::fmt::Write;

use super::query::push_indented;
use super::render::number;
use super::results::{TargetColumn, TargetStatus};
use super::series::{series_key, QueryBuilder, PERIOD, VALUE};
use super::Unsupported;
use crate::model::{Grain, Metric};

/// For each metric with a target active on its latest complete period
/// (the last one that ended on or before `as_of` and has a value): the
/// value, the range and the status.
pub(super) fn targets_query(mut b: QueryBuilder<'_>) -> Result<String, Unsupported> {
    let today = b.today();
    let id = |s: &str| b.d.ident(s);
    let (p, v) = (id(PERIOD), id(VALUE));
    let (metric_c, last_c) = (id(TargetColumn::Metric.name()), id("_last_day"));
    let (low_c, high_c) = (id(TargetColumn::Low.name()), id(TargetColumn::High.name()));
    let (from_c, until_c, direction_c) = (id("_from"), id("_until"), id("_direction"));
    let model = b.model;
    // A run's query covers the metrics it keeps (those it shows).
    let with_targets: Vec<&Metric> = model
        .metrics
        .iter()
        .filter(|m| !m.targets.is_empty())
        .filter(|m| b.origin.covers(&series_key(&m.name, m.grain, None)))
        .collect();
    let mut series = Vec::with_capacity(with_targets.len());
    for metric in &with_targets {
        series.push(b.series(metric, metric.grain, None)?);
    }
    // Thousands of SELECTs, each written once, indented, into the CTE
    // text (a few MB for a large project: no copies, no regrowth).
    let mut scratch = String::new();
    let mut latest = b.query.cte_start("_latest", with_targets.len() * 700);
    let mut targets = b.query.cte_start("_targets", with_targets.len() * 400);
    // Between two SELECTs, not before the first (just after `AS (`).
    let union = |sql: &mut String| {
        if !sql.ends_with(" AS (\n") {
            sql.push_str("\n    UNION ALL\n");
        }
    };
    for (metric, cte) in with_targets.iter().zip(&series) {
        let c = id(cte);
        let start = format!("{c}.{p}");
        let end = b.d.add_periods(&start, metric.grain, 1);
        let last = b.d.add_periods(&end, Grain::Day, -1);
        let complete = b.d.period_is_complete(metric.grain, &start, &today);
        let name = b.d.string(&metric.name);
        scratch.clear();
        let _ = write!(
            scratch,
            "SELECT\n  {name} AS {metric_c},\n  {c}.{p} AS {p},\n  {last} AS {last_c},\n  {c}.{v} AS {v}\nFROM {c}\nWHERE {c}.{p} = (\n  SELECT MAX({c}.{p}) FROM {c} WHERE {c}.{v} IS NOT NULL AND {complete}\n)",
        );
        union(&mut latest);
        push_indented(&mut latest, &scratch, "    ");
        let direction = metric.direction.sign();
        for t in &metric.targets {
            scratch.clear();
            let _ = write!(
                scratch,
                "SELECT {name} AS {metric_c}, {} AS {low_c}, {} AS {high_c}, {} AS {from_c}, {} AS {until_c}, {direction} AS {direction_c}",
                number(t.low),
                number(t.high),
                b.d.date(t.from),
                b.d.date(t.until),
            );
            union(&mut targets);
            push_indented(&mut targets, &scratch, "    ");
        }
    }
    if with_targets.is_empty() {
        // No metric has a target: an empty result with the same columns.
        let (empty, today) = (b.d.string(""), b.d.current_date());
        let _ = write!(
            latest,
            "    SELECT {empty} AS {metric_c}, {today} AS {p}, {today} AS {last_c}, {} AS {v} WHERE 1 = 0",
            number(0.0)
        );
        let _ = write!(
            targets,
            "    SELECT {empty} AS {metric_c}, {zero} AS {low_c}, {zero} AS {high_c}, {today} AS {from_c}, {today} AS {until_c}, 1 AS {direction_c}",
            zero = number(0.0),
        );
    }
    latest.push_str("\n  )");
    targets.push_str("\n  )");
    let (l, t) = (id("_latest"), id("_targets"));
    let value = format!("{l}.{v}");
    let (low, high) = (format!("{t}.{low_c}"), format!("{t}.{high_c}"));
    let dir = format!("{t}.{direction_c}");
    let select = format!(
        "SELECT\n  {l}.{metric_c} AS {metric_c},\n  {l}.{p} AS {period},\n  {value} AS {value_c},\n  {low} AS {low_c},\n  {high} AS {high_c},\n  CASE WHEN {value} < {low} THEN {below} WHEN {value} > {high} THEN {above} ELSE {within} END AS {status},\n  ({value} >= {low} AND {value} <= {high}) OR ({value} < {low} AND {dir} < 0) OR ({value} > {high} AND {dir} > 0) AS {good}\nFROM {l}\nJOIN {t} ON {t}.{metric_c} = {l}.{metric_c} AND {t}.{from_c} <= {l}.{last_c} AND {t}.{until_c} >= {l}.{last_c}\nORDER BY 1",
        period = id(TargetColumn::Period.name()),
        value_c = id(TargetColumn::Value.name()),
        status = id(TargetColumn::Status.name()),
        good = id(TargetColumn::Good.name()),
        below = b.d.string(TargetStatus::Below.name()),
        above = b.d.string(TargetStatus::Above.name()),
        within = b.d.string(TargetStatus::Within.name()),
    );
    Ok(b.query.finish_with(&[latest, targets], &select))
}
