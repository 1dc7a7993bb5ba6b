//! Queries of series: a metric's series alone, and one scan of a source
//! computing every metric on it (the standalone run's and `cpic sql
//! --source`'s), or the scan a run keeps.

use rustc_hash::FxHashMap;

use super::evidence::SEGMENT;
use super::results::SeriesColumn;
use super::series::{scan_rows_column, FilterAs, QueryBuilder, PERIOD, VALUE};
use super::Unsupported;
use crate::model::{Grain, Metric, ScalarType, Source, SourceMeasure};

/// The series query of a metric: `period`, [dimension], `value`.
pub(super) fn series_query(
    mut b: QueryBuilder<'_>,
    metric: &Metric,
    by: Option<&str>,
) -> Result<String, Unsupported> {
    let cte = b.series(metric, metric.grain, by)?;
    let c = b.id(&cte);
    let mut columns = vec![format!(
        "{c}.{} AS {}",
        b.id(PERIOD),
        b.id(SeriesColumn::Period.name())
    )];
    if let Some(dim) = by {
        columns.push(format!("{c}.{d} AS {d}", d = b.id(dim)));
    }
    columns.push(format!(
        "{c}.{} AS {}",
        b.id(VALUE),
        b.id(SeriesColumn::Value.name())
    ));
    let order = if by.is_some() { "1, 2" } else { "1" };
    let select = format!(
        "SELECT\n  {}\nFROM {c}\nWHERE {c}.{} IS NOT NULL\nORDER BY {order}",
        columns.join(",\n  "),
        b.id(VALUE)
    );
    Ok(b.query.finish(&select))
}

/// One scan of a source computing every metric on it with this grain
/// and time column: one column per metric.
pub(super) fn source_scan(
    mut b: QueryBuilder<'_>,
    source: &Source,
    time: &str,
    time_type: ScalarType,
    grain: Grain,
    metrics: &[&Metric],
) -> Result<String, Unsupported> {
    let rows = b.rows(source, time, time_type, grain)?;
    let r = b.id(&rows);
    let period = format!(
        "{r}.{} AS {}",
        b.id(PERIOD),
        b.id(SeriesColumn::Period.name())
    );
    let (columns, joins, _) = scan_columns(&mut b, &rows, None, metrics, false);
    let select = format!(
        "SELECT\n  {period},\n  {}\nFROM {r}{joins}\nGROUP BY {r}.{}\nORDER BY 1",
        columns.join(",\n  "),
        b.id(PERIOD)
    );
    Ok(b.query.finish(&select))
}

/// The scan a run keeps (see [`super::kept`]): [`source_scan`]
/// with `_period`, per value of the dimension `by` (as `_segment`) when
/// there is one, each metric's value as a double, and the number of
/// rows that pass each distinct filter (`_rows_<i>`): a period where
/// none passes a metric's has no value, where one does a value that
/// may be NULL. Also returns each metric's rows column.
pub(super) fn kept_scan(
    mut b: QueryBuilder<'_>,
    source: &Source,
    (time, time_type): (&str, ScalarType),
    grain: Grain,
    by: Option<&str>,
    metrics: &[&Metric],
) -> Result<(String, Vec<String>), Unsupported> {
    let rows = b.rows(source, time, time_type, grain)?;
    let r = b.id(&rows);
    let p = b.id(PERIOD);
    let mut keys = vec![format!("{r}.{p}")];
    let mut select = vec![format!("{r}.{p} AS {p}")];
    if let Some(dim) = by {
        let column = format!("{r}.{}", b.id(dim));
        select.push(format!("{} AS {}", b.d.to_text(&column), b.id(SEGMENT)));
        keys.push(column);
    }
    let (columns, joins, rows_columns) = scan_columns(&mut b, &rows, by, metrics, true);
    select.extend(columns);
    let select = format!(
        "SELECT\n  {}\nFROM {r}{joins}\nGROUP BY {}",
        select.join(",\n  "),
        keys.join(", ")
    );
    Ok((b.query.finish(&select), rows_columns))
}

/// The columns of a scan, one per metric named after it (and with
/// `presence`, the `_rows_<i>` of [`kept_scan`]), the joins of
/// its emulated percentiles, and with `presence` the rows column of
/// each metric.
fn scan_columns(
    b: &mut QueryBuilder<'_>,
    rows: &str,
    by: Option<&str>,
    metrics: &[&Metric],
    presence: bool,
) -> (Vec<String>, String, Vec<String>) {
    let mut columns = Vec::new();
    let mut counts: FxHashMap<String, String> = FxHashMap::default();
    let mut rows_columns = Vec::new();
    let mut all_percentiles = Vec::new();
    for metric in metrics {
        let Some(SourceMeasure { expr, filter, .. }) = metric.source_measure() else {
            continue;
        };
        let (filter_sql, value, percentiles) = b.source_measure(
            rows,
            expr,
            filter.as_ref(),
            FilterAs::Folded,
            ("scan", "_percentile_", all_percentiles.len() + 1),
        );
        all_percentiles.extend(percentiles);
        if !presence {
            // A period where no row passes the metric's filter has no
            // value.
            let value = match &filter_sql {
                Some(f) => {
                    format!("CASE WHEN COUNT(CASE WHEN {f} THEN 1 END) > 0 THEN {value} END")
                }
                None => value,
            };
            columns.push(format!("{value} AS {}", b.id(&metric.name)));
            continue;
        }
        // Kept values are doubles, as the pairs read them; a period
        // where no row passes the filter is left out by its count, so
        // the value needs no guard (which would double the aggregates).
        columns.push(format!(
            "{} AS {}",
            b.d.to_float(&value),
            b.id(&metric.name)
        ));
        // One count per distinct filter: metrics often share one.
        let rows = match filter_sql {
            Some(f) => format!("COUNT(CASE WHEN {f} THEN 1 END)"),
            None => "COUNT(*)".to_string(),
        };
        let next = counts.len();
        let name = counts.entry(rows.clone()).or_insert_with(|| {
            let name = scan_rows_column(next);
            columns.push(format!("{rows} AS {}", b.d.ident(&name)));
            name
        });
        rows_columns.push(name.clone());
    }
    let pct_names: Vec<String> = all_percentiles.iter().map(|(_, p)| p.cte.clone()).collect();
    b.emulate_percentiles(rows, by, all_percentiles);
    (
        columns,
        b.percentile_joins(rows, by, &pct_names),
        rows_columns,
    )
}
