//! Rows decoded into the report's types: a series' points, a link's
//! evidence, pairs and lag profile.

use super::cell::Cell;
use super::read::{cell, cell_number, period, word};
use super::types::{Evidence, LinkResult, Pair, Point, SegmentResult};
use crate::model::Link;
use crate::sql::results::{LagColumn, LinkColumn, PairColumn};

/// The periods with a value in column `column` (the period is column 0).
pub(super) fn points(rows: &[Vec<Cell>], column: usize) -> Vec<Point> {
    rows.iter()
        .filter_map(|r| {
            Some(Point {
                period: period(&r[0])?,
                value: r[column].number()?,
            })
        })
        .collect()
}

/// A row of a link's evidence query.
pub(super) fn evidence(row: &[Cell]) -> Result<Evidence, String> {
    let number = |c| cell(row, c).number();
    // Counts are whole numbers, however the engine types them.
    let count = |c| number(c).map_or(0, |n: f64| n.round() as i64);
    Ok(Evidence {
        n: count(LinkColumn::N),
        m: count(LinkColumn::M),
        r: number(LinkColumn::R),
        r_diff: number(LinkColumn::RDiff),
        rho_from: number(LinkColumn::RhoFrom),
        rho_to: number(LinkColumn::RhoTo),
        n_eff: number(LinkColumn::NEff),
        z: number(LinkColumn::Z),
        p: number(LinkColumn::P),
        effect: number(LinkColumn::Effect),
        effect_low: number(LinkColumn::EffectLow),
        effect_high: number(LinkColumn::EffectHigh),
        verdict: word(cell(row, LinkColumn::Verdict), "verdict")?,
    })
}

/// A link's result from the rows of its evidence (`LinkColumn`): the
/// pooled row, then its segments'.
pub(super) fn link_result<'m>(
    link: &'m Link,
    rows: &[Vec<Cell>],
) -> Result<LinkResult<'m>, String> {
    let (pooled, segments) = rows
        .split_first()
        .ok_or_else(|| "the query returned no row".to_string())?;
    let segments = segments
        .iter()
        .map(|row| {
            Ok(SegmentResult {
                segment: cell(row, LinkColumn::Segment)
                    .text()
                    .unwrap_or_default()
                    .to_string(),
                evidence: evidence(row)?,
                p_adjusted: cell(row, LinkColumn::PAdjusted).number(),
            })
        })
        .collect::<Result<_, String>>()?;
    Ok(LinkResult {
        link,
        pairs: Vec::new(),
        evidence: evidence(pooled)?,
        expected_sign: link.expected_sign,
        segments,
        lags: Vec::new(),
    })
}

/// The pairs of a link from the rows of its pairs query (`PairColumn`).
pub(super) fn pairs(rows: &[Vec<Cell>]) -> Vec<Pair> {
    rows.iter()
        .filter_map(|r| {
            Some(Pair {
                period: period(cell(r, PairColumn::Period))?,
                x: cell(r, PairColumn::X).number()?,
                y: cell(r, PairColumn::Y).number()?,
                change: cell(r, PairColumn::U)
                    .number()
                    .zip(cell(r, PairColumn::V).number()),
            })
        })
        .collect()
}

/// A link's lag profile from the rows of its query (`LagColumn`).
pub(super) fn lags(rows: &[Vec<Cell>]) -> Vec<(i64, i64, Option<f64>)> {
    rows.iter()
        .filter_map(|r| {
            Some((
                cell_number(cell(r, LagColumn::Lag))?,
                cell_number(cell(r, LagColumn::N)).unwrap_or(0),
                cell(r, LagColumn::RDiff).number(),
            ))
        })
        .collect()
}
