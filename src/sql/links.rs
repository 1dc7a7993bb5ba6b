//! Link evidence as queries (section 9): a link's pairs of periods, its
//! statistics and verdict, its pairs for charts and its lag profile. The
//! statistics themselves are `evidence`'s; a run's queries of many links
//! (`kept`) read the same pairs through [`pair`].

use std::rc::Rc;

use super::evidence::{
    Grouping, Parameters, Season, GROUPED_PAIRS, LAG, LAGGED_PAIRS, PAIRS, POOLED, SEGMENT,
};
use super::query::Cte;
use super::results::{LagColumn, PairColumn, LAG_PROFILE_MAX};
use super::series::{QueryBuilder, PERIOD, VALUE};
use super::Unsupported;
use crate::model::{Grain, Link};

/// Which group of a link a row of pairs belongs to, written as its leading
/// columns.
enum PairsKey<'a> {
    Pooled,
    /// `_pooled` = 0 and the value of this dimension as `_segment`.
    Segment(&'a str),
    /// `_lag`: the link's lag.
    Lag,
}

/// The parts of a SELECT of pairs (see [`pair`]).
pub(super) struct Pair {
    /// (value, quoted name): `_period`, `_before`, [`_season`], `_x`, `_y`.
    pub columns: Vec<(String, String)>,
    /// The join of the right series to the left one.
    pub on: String,
    /// The WHERE condition.
    pub condition: String,
}

/// The evidence query of a link (LANGUAGE.md section 9): the pooled
/// row, then one row per segment when the link has `segments`.
pub(super) fn link_query(mut b: QueryBuilder<'_>, link: &Link) -> Result<String, Unsupported> {
    link_pairs(&mut b, link)?;
    let grouping = match &link.segments {
        Some(dim) => {
            link_segment_pairs(&mut b, link, dim)?;
            Grouping::Segments
        }
        None => Grouping::Pooled,
    };
    add_statistics(&mut b, link.grain, grouping);
    let shared = b.shared;
    let parameters = Parameters::Link {
        expected_sign: link.expected_sign,
        min_periods: link.min_periods,
    };
    let verdict_key = (parameters, grouping);
    let cached = shared.link_verdicts.borrow().get(&verdict_key).cloned();
    let verdicts = cached.unwrap_or_else(|| {
        let verdicts = Rc::new(grouping.statistics(b.d, link.grain).verdicts(parameters));
        shared
            .link_verdicts
            .borrow_mut()
            .insert(verdict_key, verdicts.clone());
        verdicts
    });
    let (ctes, select) = &*verdicts;
    for (name, body) in ctes {
        b.query.add_fixed(name, body);
    }
    Ok(b.query.finish(select))
}

/// Adds the statistics CTEs of section 9 (see [`Statistics::ctes`])
/// for a grouping of a link's pairs. They depend on the link only
/// through its grain: built once per dialect for each grouping.
pub(super) fn add_statistics(b: &mut QueryBuilder<'_>, grain: Grain, grouping: Grouping) {
    let shared = b.shared;
    let key = (grain, grouping);
    let cached = shared.link_statistics.borrow().get(&key).cloned();
    let statistics = cached.unwrap_or_else(|| {
        let mut alone = QueryBuilder::new(b.model, b.d, &b.options, shared, b.origin);
        for (name, body) in grouping.statistics(b.d, grain).ctes() {
            alone.query.add_fixed(name, &body);
        }
        let ctes: Rc<[Cte]> = alone.query.ctes.into();
        shared
            .link_statistics
            .borrow_mut()
            .insert(key, ctes.clone());
        ctes
    });
    debug_assert!(statistics.iter().all(|cte| b.query.names.fits(cte)));
    b.query.merge(&statistics);
}

/// The correlation of a link's differences at lags 0 to
/// `LAG_PROFILE_MAX` (`LagColumn`): the same statistics, keyed by lag.
pub(super) fn lag_profile_query(
    mut b: QueryBuilder<'_>,
    link: &Link,
) -> Result<String, Unsupported> {
    let mut union = String::new();
    for lag in 0..=LAG_PROFILE_MAX {
        let at_lag = Link {
            lag,
            ..link.clone()
        };
        let body = pairs_body(&mut b, &at_lag, PairsKey::Lag)?;
        if lag > 0 {
            union.push_str("\nUNION ALL\n");
        }
        union.push_str(&body);
    }
    b.query.add_fixed(LAGGED_PAIRS, &union);
    add_statistics(&mut b, link.grain, Grouping::Lags);
    let select = lags_select(&b, &[]);
    Ok(b.query.finish(&select))
}

/// The SELECT of [`LagColumn`] (led by the `outer` keys) from the
/// correlations of `_lagged_pairs`, by lag.
pub(super) fn lags_select(b: &QueryBuilder<'_>, outer: &[&str]) -> String {
    let id = |s: &str| b.d.ident(s);
    let c = id("_correlations");
    let mut columns: Vec<String> = outer
        .iter()
        .map(|k| format!("{c}.{k} AS {k}", k = id(k)))
        .collect();
    for (column, name) in [
        (LAG, LagColumn::Lag),
        ("_n", LagColumn::N),
        (LagColumn::RDiff.name(), LagColumn::RDiff),
    ] {
        columns.push(format!("{c}.{} AS {}", id(column), id(name.name())));
    }
    let order: Vec<String> = (1..=outer.len() + 1).map(|i| i.to_string()).collect();
    format!(
        "SELECT\n  {}\nFROM {c}\nORDER BY {}",
        columns.join(",\n  "),
        order.join(", ")
    )
}

/// The pairs behind a link's evidence: `period` (of the left metric),
/// `x` (its value) and `y` (the right metric's value `lag` periods
/// later), oldest first.
pub(super) fn link_pairs_query(
    mut b: QueryBuilder<'_>,
    link: &Link,
) -> Result<String, Unsupported> {
    link_pairs(&mut b, link)?;
    add_statistics(&mut b, link.grain, Grouping::Pooled);
    let select = pairs_select(&b, &[], false);
    Ok(b.query.finish(&select))
}

/// The SELECT of [`PairColumn`] (led by the `outer` keys) from `_pairs`
/// and the changes in `_centred`, joined on the keys and the period,
/// oldest first; with `segmented` keys, the pooled pairs only.
pub(super) fn pairs_select(b: &QueryBuilder<'_>, outer: &[&str], segmented: bool) -> String {
    let id = |s: &str| b.d.ident(s);
    let (pairs, centred) = (id(PAIRS), id("_centred"));
    let mut keys: Vec<&str> = outer.to_vec();
    if segmented {
        keys.extend([POOLED, SEGMENT]);
    }
    keys.push(PERIOD);
    let on: Vec<String> = keys
        .iter()
        .map(|k| format!("{centred}.{k} = {pairs}.{k}", k = id(k)))
        .collect();
    let mut columns: Vec<String> = outer
        .iter()
        .map(|k| format!("{pairs}.{k} AS {k}", k = id(k)))
        .collect();
    for (from, column, name) in [
        (&pairs, PERIOD, PairColumn::Period),
        (&pairs, "_x", PairColumn::X),
        (&pairs, "_y", PairColumn::Y),
        (&centred, "_u", PairColumn::U),
        (&centred, "_v", PairColumn::V),
    ] {
        columns.push(format!("{from}.{} AS {}", id(column), id(name.name())));
    }
    let filter = match segmented {
        true => format!(
            "\nWHERE {pairs}.{} = 1 AND {pairs}.{} IS NOT NULL",
            id(POOLED),
            id("_x")
        ),
        false => String::new(),
    };
    let order: Vec<String> = (1..=outer.len() + 1).map(|i| i.to_string()).collect();
    format!(
        "SELECT\n  {}\nFROM {pairs}\nLEFT JOIN {centred} ON {}{filter}\nORDER BY {}",
        columns.join(",\n  "),
        on.join(" AND "),
        order.join(", ")
    )
}

/// Adds `_pairs`: the left metric's value and the right metric's value
/// `lag` periods later, for every period where both exist and the later
/// one has ended by today (section 9), with the period before
/// (`_before`) and, at month and quarter grain, the month of the year
/// (`_season`: at quarter grain, the quarter's first month).
pub(super) fn link_pairs(b: &mut QueryBuilder<'_>, link: &Link) -> Result<(), Unsupported> {
    let body = pairs_body(b, link, PairsKey::Pooled)?;
    b.query.add_fixed(PAIRS, &body);
    Ok(())
}

/// Adds `_grouped_pairs`: the pooled pairs (`_pooled` = 1) and each
/// segment's (`_pooled` = 0, `_segment` the value of `dim` as text).
/// Rows whose dimension value is NULL belong to no segment.
fn link_segment_pairs(b: &mut QueryBuilder<'_>, link: &Link, dim: &str) -> Result<(), Unsupported> {
    let by_segment = pairs_body(b, link, PairsKey::Segment(dim))?;
    let id = |s: &str| b.d.ident(s);
    let pairs = id(PAIRS);
    let mut pooled = format!(
        "SELECT\n  1 AS {},\n  {} AS {},\n  {pairs}.*\nFROM {pairs}",
        id(POOLED),
        b.d.string(""),
        id(SEGMENT),
    );
    pooled.push_str("\nUNION ALL\n");
    pooled.push_str(&by_segment);
    b.query.add_fixed(GROUPED_PAIRS, &pooled);
    Ok(())
}

/// The SELECT of a link's pairs, led by the columns of `key`; per
/// value of the dimension of a `PairsKey::Segment`.
fn pairs_body(b: &mut QueryBuilder<'_>, link: &Link, key: PairsKey) -> Result<String, Unsupported> {
    let dim = match key {
        PairsKey::Segment(dim) => Some(dim),
        PairsKey::Pooled | PairsKey::Lag => None,
    };
    let from = b.model.metric(&link.from).expect("resolved");
    let to = b.model.metric(&link.to).expect("resolved");
    let x = b.series(from, link.grain, dim)?;
    let y = b.series(to, link.grain, dim)?;
    let id = |s: &str| b.d.ident(s);
    let (xs, ys) = (id(&x), id(&y));
    let pair = pair(b, link.grain, link.lag, &xs, &ys);
    let mut columns = Vec::new();
    let mut on = pair.on;
    if let PairsKey::Lag = key {
        columns.push(format!("{} AS {}", link.lag, id(LAG)));
    }
    if let Some(dim) = dim {
        let d = id(dim);
        columns.push(format!("0 AS {}", id(POOLED)));
        columns.push(format!(
            "{} AS {}",
            b.d.to_text(&format!("{xs}.{d}")),
            id(SEGMENT)
        ));
        on.push_str(&format!(" AND {ys}.{d} = {xs}.{d}"));
    }
    columns.extend(
        pair.columns
            .iter()
            .map(|(value, name)| format!("{value} AS {name}")),
    );
    Ok(format!(
        "SELECT\n  {}\nFROM {xs}\nJOIN {ys} ON {on}\nWHERE {}",
        columns.join(",\n  "),
        pair.condition,
    ))
}

/// A row of pairs (section 9) from the left metric's series `xs` and
/// the right one's `ys` (relations with `_period` and `_value`, quoted):
/// the right value `lag` periods later, both values present, and that
/// later period ended by today. Every relation of pairs is made here.
pub(super) fn pair(b: &QueryBuilder<'_>, grain: Grain, lag: i64, xs: &str, ys: &str) -> Pair {
    let id = |s: &str| b.d.ident(s);
    let (p, v) = (id(PERIOD), id(VALUE));
    let later = b.d.add_periods(&format!("{xs}.{p}"), grain, lag);
    let complete = b.d.period_is_complete(grain, &later, &b.today());
    let mut columns = vec![
        (format!("{xs}.{p}"), p.clone()),
        (
            b.d.add_periods(&format!("{xs}.{p}"), grain, -1),
            id("_before"),
        ),
    ];
    if Season::of(grain).is_some() {
        columns.push((b.d.month_of_year(&format!("{xs}.{p}")), id("_season")));
    }
    columns.push((b.d.to_float(&format!("{xs}.{v}")), id("_x")));
    columns.push((b.d.to_float(&format!("{ys}.{v}")), id("_y")));
    Pair {
        columns,
        on: format!("{ys}.{p} = {later}"),
        condition: format!("{xs}.{v} IS NOT NULL AND {ys}.{v} IS NOT NULL AND {complete}"),
    }
}
