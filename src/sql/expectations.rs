//! Data expectations as SQL (LANGUAGE.md section 10): one query each,
//! whose columns are `results::ExpectationColumn` then the example's
//! values. The status is decided here, in SQL, like every other verdict;
//! the reader only reads it.

use super::series::{QueryBuilder, PERIOD, VALUE};
use crate::date::Moment;
use crate::model::{
    ColumnType, ColumnsRule, ExpectRange, Expectation, Fresh, Metric, ScalarType, Source,
};
use crate::sql::render::number;
use crate::sql::results::{expectation_value, ExpectationColumn as C, ExpectationStatus};
use crate::sql::Unsupported;

/// How many examples `unique` and `not_null` return (`expect` returns
/// every period out of its range).
pub const EXAMPLES: usize = 5;

/// The columns a `not_null` example shows, in order: the `unique` key
/// (which row it is), the time (when), then the columns that must not be
/// null (which one is); each once.
pub fn null_example_columns<'s>(source: &'s Source, rule: &'s ColumnsRule) -> Vec<&'s str> {
    let mut shown: Vec<&str> = Vec::new();
    let key = source.unique.iter().flat_map(|u| u.columns.iter());
    for c in key.chain(source.time.iter()).chain(rule.columns.iter()) {
        if !shown.contains(&c.as_str()) {
            shown.push(c);
        }
    }
    shown
}

/// The query of one expectation; `now` is what `fresh` measures ages
/// from (its date is today for `expect`'s complete periods).
pub(super) fn expectation_query(
    b: QueryBuilder<'_>,
    e: &Expectation,
    now: Moment,
) -> Result<String, Unsupported> {
    match *e {
        Expectation::Fresh(source, fresh) => fresh_query(b, source, fresh, now),
        Expectation::Unique(source, rule) => unique_query(b, source, rule),
        Expectation::NotNull(source, rule) => not_null_query(b, source, rule),
        Expectation::Expect(metric, range) => expect_query(b, metric, range, now),
    }
}

/// `CASE WHEN passes THEN 'pass' ELSE 'fail' END`.
fn status(b: &QueryBuilder<'_>, passes: &str) -> String {
    format!(
        "CASE WHEN {passes} THEN {} ELSE {} END",
        b.d.string(ExpectationStatus::Pass.name()),
        b.d.string(ExpectationStatus::Fail.name())
    )
}

/// `expr AS "column"` for each fixed column, then the example values.
fn expectation_select(b: &QueryBuilder<'_>, fixed: [&str; 6], values: &[String]) -> String {
    let mut list: Vec<String> = C::ALL
        .iter()
        .zip(fixed)
        .map(|(c, e)| format!("{e} AS {}", b.id(c.name())))
        .collect();
    for (i, v) in values.iter().enumerate() {
        list.push(format!("{v} AS {}", b.id(&expectation_value(i + 1))));
    }
    list.join(",\n  ")
}

/// The expression ordering a column's values the same on every engine
/// (NULLs first, text by its bytes).
fn stable_order(b: &QueryBuilder<'_>, source: &Source, alias: &str, column: &str) -> String {
    let c = format!("{alias}.{}", b.id(column));
    let value = match source.column(column).map(|c| &c.ty) {
        Some(ColumnType::Scalar(ScalarType::Text)) => b.d.binary_order(&c),
        _ => c.clone(),
    };
    format!("CASE WHEN {c} IS NULL THEN 0 ELSE 1 END, {value}")
}

/// The query of an expectation that counts what it found: `_summary`
/// (`_found`, `_checked`) and `_examples` (ranked by `_example`), added
/// by the caller; it fails when anything was found. A row of the
/// summary alone, then a row per example (the first `limit`, or all)
/// with its `number` column and `values` (quoted names in
/// `_examples`). A `UNION ALL`, not an outer join on a constant, which
/// BigQuery refuses.
fn counted(
    b: QueryBuilder<'_>,
    number: Option<&str>,
    values: &[String],
    limit: Option<usize>,
) -> String {
    let (m, r) = (b.id("_summary"), b.id("_examples"));
    let (found, checked, rank) = (b.id("_found"), b.id("_checked"), b.id("_example"));
    let status = status(&b, &format!("{m}.{found} = 0"));
    let (found, checked) = (format!("{m}.{found}"), format!("{m}.{checked}"));
    let nulls = vec!["NULL".to_string(); values.len()];
    let summary = expectation_select(
        &b,
        [&status, &found, &checked, "NULL", "NULL", "NULL"],
        &nulls,
    );
    let values: Vec<String> = values.iter().map(|c| format!("{r}.{c}")).collect();
    let examples = expectation_select(
        &b,
        [
            &status,
            &found,
            &checked,
            "NULL",
            &format!("{r}.{rank}"),
            &number.map_or_else(|| "NULL".to_string(), |n| format!("{r}.{n}")),
        ],
        &values,
    );
    let limit = limit.map_or_else(String::new, |n| format!("\nWHERE {r}.{rank} <= {n}"));
    let select = format!(
        "SELECT\n  {summary}\nFROM {m}\nUNION ALL\nSELECT\n  {examples}\nFROM {r}\nCROSS JOIN {m}{limit}"
    );
    b.query.finish(&select)
}

fn fresh_query(
    b: QueryBuilder<'_>,
    source: &Source,
    fresh: &Fresh,
    now: Moment,
) -> Result<String, Unsupported> {
    let table = b.table_of(source)?;
    let s = b.id("_source");
    let time = source.time.as_deref().expect("the checker requires `time`");
    let t = format!("{s}.{}", b.id(time));
    let newest = format!("MAX({t})");
    let is_date = matches!(
        source.column(time).map(|c| &c.ty),
        Some(ColumnType::Scalar(ScalarType::Date))
    );
    // A date is a whole day old on the next day: ages in whole days.
    let age = if is_date {
        format!(
            "({} * 86400)",
            b.d.days_between(&b.d.date(now.date), &newest)
        )
    } else {
        let now = b.d.date_as_timestamp(&b.d.string(&now.to_string()));
        b.d.seconds_between(&now, &newest)
    };
    let null = "NULL";
    let select = format!(
        "SELECT\n  {}\nFROM {table} AS {s}",
        expectation_select(
            &b,
            [
                &status(&b, &format!("{age} <= {}", number(fresh.seconds))),
                &age,
                &format!("COUNT({t})"),
                &newest,
                null,
                null,
            ],
            &[],
        )
    );
    Ok(b.query.finish(&select))
}

fn unique_query(
    mut b: QueryBuilder<'_>,
    source: &Source,
    rule: &ColumnsRule,
) -> Result<String, Unsupported> {
    let table = b.table_of(source)?;
    let (s, g) = (b.id("_source"), b.id("_groups"));
    let (rows, rank) = (b.id("_rows"), b.id("_example"));
    let columns: Vec<String> = rule.columns.iter().map(|c| b.id(c)).collect();
    let keyed: Vec<String> = columns.iter().map(|c| format!("{s}.{c}")).collect();
    let whole: Vec<String> = keyed.iter().map(|c| format!("{c} IS NOT NULL")).collect();
    // Like a SQL UNIQUE constraint: a key with a NULL is no key
    // (`not_null` is the expectation for those).
    b.query.add_fixed(
        "_groups",
        &format!(
            "SELECT\n  {},\n  COUNT(*) AS {rows}\nFROM {table} AS {s}\nWHERE {}\nGROUP BY {}",
            keyed
                .iter()
                .zip(&columns)
                .map(|(k, c)| format!("{k} AS {c}"))
                .collect::<Vec<_>>()
                .join(",\n  "),
            whole.join("\n  AND "),
            keyed.join(", ")
        ),
    );
    let order: Vec<String> = rule
        .columns
        .iter()
        .map(|c| stable_order(&b, source, &g, c))
        .collect();
    b.query.add_fixed(
        "_examples",
        &format!(
            "SELECT\n  {g}.*,\n  ROW_NUMBER() OVER (ORDER BY {g}.{rows} DESC, {}) AS {rank}\nFROM {g}\nWHERE {g}.{rows} > 1",
            order.join(", ")
        ),
    );
    let (found, checked) = (b.id("_found"), b.id("_checked"));
    b.query.add_fixed(
        "_summary",
        &format!(
            "SELECT\n  COALESCE(SUM(CASE WHEN {g}.{rows} > 1 THEN 1 ELSE 0 END), 0) AS {found},\n  COALESCE(SUM({g}.{rows}), 0) AS {checked}\nFROM {g}"
        ),
    );
    Ok(counted(b, Some(&rows), &columns, Some(EXAMPLES)))
}

fn not_null_query(
    mut b: QueryBuilder<'_>,
    source: &Source,
    rule: &ColumnsRule,
) -> Result<String, Unsupported> {
    let table = b.table_of(source)?;
    let s = b.id("_source");
    let rank = b.id("_example");
    let (found, checked) = (b.id("_found"), b.id("_checked"));
    let has_null = rule
        .columns
        .iter()
        .map(|c| format!("{s}.{} IS NULL", b.id(c)))
        .collect::<Vec<_>>()
        .join(" OR ");
    b.query.add_fixed(
        "_summary",
        &format!(
            "SELECT\n  COALESCE(SUM(CASE WHEN {has_null} THEN 1 ELSE 0 END), 0) AS {found},\n  COUNT(*) AS {checked}\nFROM {table} AS {s}"
        ),
    );
    let shown = null_example_columns(source, rule);
    let order: Vec<String> = shown
        .iter()
        .map(|c| stable_order(&b, source, &s, c))
        .collect();
    let columns: Vec<String> = shown.iter().map(|c| b.id(c)).collect();
    b.query.add_fixed(
        "_examples",
        &format!(
            "SELECT\n  {},\n  ROW_NUMBER() OVER (ORDER BY {}) AS {rank}\nFROM {table} AS {s}\nWHERE {has_null}",
            columns
                .iter()
                .map(|c| format!("{s}.{c} AS {c}"))
                .collect::<Vec<_>>()
                .join(",\n  "),
            order.join(", ")
        ),
    );
    Ok(counted(b, None, &columns, Some(EXAMPLES)))
}

/// Every complete period with a value must lie in the range (both ends
/// included); a period still running is not judged, as its value is
/// not final.
fn expect_query(
    mut b: QueryBuilder<'_>,
    metric: &Metric,
    range: &ExpectRange,
    now: Moment,
) -> Result<String, Unsupported> {
    let series = b.series(metric, metric.grain, None)?;
    let c = b.id(&series);
    let (p, v) = (b.id(PERIOD), b.id(VALUE));
    let today = b.d.date(now.date);
    let complete =
        b.d.period_is_complete(metric.grain, &format!("{c}.{p}"), &today);
    let k = b.id("_judged");
    let (rank, found, checked) = (b.id("_example"), b.id("_found"), b.id("_checked"));
    b.query.add_fixed(
        "_judged",
        &format!(
            "SELECT\n  {c}.{p} AS {p},\n  {c}.{v} AS {v},\n  ({c}.{v} < {low} OR {c}.{v} > {high}) AS {out}\nFROM {c}\nWHERE {c}.{v} IS NOT NULL\n  AND {complete}",
            low = number(range.low),
            high = number(range.high),
            out = b.id("_out"),
        ),
    );
    let out = format!("{k}.{}", b.id("_out"));
    b.query.add_fixed(
        "_examples",
        &format!(
            "SELECT\n  {k}.{p} AS {p},\n  {k}.{v} AS {v},\n  ROW_NUMBER() OVER (ORDER BY {k}.{p}) AS {rank}\nFROM {k}\nWHERE {out}"
        ),
    );
    b.query.add_fixed(
        "_summary",
        &format!(
            "SELECT\n  COALESCE(SUM(CASE WHEN {out} THEN 1 ELSE 0 END), 0) AS {found},\n  COUNT(*) AS {checked}\nFROM {k}"
        ),
    );
    Ok(counted(b, Some(&v), &[p], None))
}
