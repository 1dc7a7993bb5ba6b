//! Data expectations on a database (`cpic test`, `cpic run --test`, the
//! docs): each expectation's query from the SQL backend, run and read into
//! an [`Outcome`]. The status comes from the query; this module only reads
//! it and says it in words.

use serde::Serialize;

use super::cell::{Cell, ColumnKind};
use super::db::Database;
use crate::date::Moment;
use crate::model::{Expectation, ExpectationKind, Location, Model};
use crate::sql::results::{expectation_value, position, ExpectationColumn, ExpectationStatus};
use crate::sql::{null_example_columns, DialectName, Generator, Options};
use crate::units::format_value;

/// The result of one expectation.
#[derive(Clone, Debug, Serialize)]
pub struct Outcome {
    /// `<source>.fresh`, `<metric>.expect`, ...
    pub name: String,
    pub kind: ExpectationKind,
    pub status: ExpectationStatus,
    /// What was expected, in words.
    pub expected: String,
    pub found: Found,
    #[serde(skip)]
    pub location: Location,
}

impl Outcome {
    pub fn passed(&self) -> bool {
        self.status == ExpectationStatus::Pass
    }
}

/// A column's value in an example (NULL: None).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Value {
    pub column: String,
    pub value: Option<String>,
}

/// What was found, per kind; `summary` says it in a sentence.
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub enum Found {
    Fresh {
        /// The newest time, as the engine writes it; None without rows.
        newest: Option<String>,
        /// Its age in seconds when judged.
        age_seconds: Option<f64>,
        /// Rows with a time.
        rows: u64,
    },
    Unique {
        /// Keys that more than one row shares.
        duplicate_keys: u64,
        /// Rows with the whole key.
        rows: u64,
        /// The first five, most repeated first.
        examples: Vec<DuplicateKey>,
    },
    NotNull {
        rows_with_null: u64,
        rows: u64,
        /// The first five, each with the key, the time and the columns
        /// that must not be null.
        examples: Vec<Vec<Value>>,
    },
    Expect {
        /// Complete periods with a value out of the range.
        out_of_range: u64,
        /// Complete periods with a value.
        periods: u64,
        /// Every period out of the range, in time order.
        examples: Vec<PeriodValue>,
    },
    /// The query failed: the engine's message (a missing table, ...).
    Error { message: String },
}

#[derive(Clone, Debug, Serialize)]
pub struct DuplicateKey {
    pub key: Vec<Value>,
    pub rows: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct PeriodValue {
    pub period: String,
    pub value: f64,
    /// The value as people read it, in the metric's unit.
    pub shown: String,
}

/// Which expectations `--only NAME` keeps: the one named so, or every one
/// of the source or metric named so. None when NAME names none.
pub fn select<'m>(model: &'m Model, only: Option<&str>) -> Option<Vec<Expectation<'m>>> {
    let all = model.expectations();
    match only {
        None => Some(all),
        Some(name) => {
            let kept: Vec<Expectation> = all
                .into_iter()
                .filter(|e| e.name() == name || e.owner() == name)
                .collect();
            (!kept.is_empty()).then_some(kept)
        }
    }
}

/// Runs each expectation's query on `db` and reads its outcome. A query
/// the engine refuses (a missing table) fails its expectation with the
/// engine's message; the others still run.
pub fn evaluate(
    model: &Model,
    expectations: &[Expectation],
    db: &mut Database,
    dialect: DialectName,
    now: Moment,
) -> Vec<Outcome> {
    evaluate_with(model, expectations, dialect, now, &mut |sql, columns| {
        super::read::fetch(db, sql, dialect, columns)
    })
}

/// [`evaluate`] with any way of running a query and reading its columns
/// as numbers or text (`query(sql, columns)`): the tests run Spark's
/// through PySpark.
pub fn evaluate_with(
    model: &Model,
    expectations: &[Expectation],
    dialect: DialectName,
    now: Moment,
    query: &mut Query,
) -> Vec<Outcome> {
    let generator = Generator::new(model, dialect, &Options::default());
    expectations
        .iter()
        .map(|e| {
            let found = match generator.expectation(e, now) {
                Ok(sql) => match read(query, e, &sql) {
                    Ok(found) => found,
                    Err(message) => (ExpectationStatus::Fail, Found::Error { message }),
                },
                Err(crate::sql::Unsupported(diags)) => (
                    ExpectationStatus::Fail,
                    Found::Error {
                        message: diags
                            .first()
                            .map_or_else(String::new, |d| d.message.clone()),
                    },
                ),
            };
            Outcome {
                name: e.name(),
                kind: e.kind(),
                status: found.0,
                expected: expected(e),
                found: found.1,
                location: e.location().clone(),
            }
        })
        .collect()
}

/// Runs a query, reading the named columns as numbers or text.
pub type Query<'q> = dyn FnMut(&str, &[(&str, ColumnKind)]) -> Result<Vec<Vec<Cell>>, String> + 'q;

/// The columns an expectation's query shows after the fixed ones.
fn value_columns<'m>(e: &Expectation<'m>) -> Vec<&'m str> {
    match *e {
        Expectation::Fresh(..) => Vec::new(),
        Expectation::Unique(_, rule) => rule.columns.iter().map(String::as_str).collect(),
        Expectation::NotNull(source, rule) => null_example_columns(source, rule),
        Expectation::Expect(..) => vec!["period"],
    }
}

fn read(
    query: &mut Query,
    e: &Expectation,
    sql: &str,
) -> Result<(ExpectationStatus, Found), String> {
    let shown = value_columns(e);
    let names: Vec<String> = (1..=shown.len()).map(expectation_value).collect();
    let mut columns: Vec<(&str, ColumnKind)> = ColumnKind::of::<ExpectationColumn>();
    columns.extend(names.iter().map(|n| (n.as_str(), ColumnKind::Text)));
    let mut rows = query(sql, &columns)?;
    let first = rows.first().ok_or("the query returned no row")?.clone();
    let first = first.as_slice();
    let cell = |row: &[Cell], c: ExpectationColumn| row[position(c)].clone();
    let status_word = cell(first, ExpectationColumn::Status);
    let status = status_word
        .text()
        .and_then(ExpectationStatus::parse)
        .ok_or_else(|| format!("unexpected status {status_word:?}"))?;
    let count = |row: &[Cell], c| cell(row, c).number().map_or(0, |n| n as u64);
    let (found, checked) = (
        count(first, ExpectationColumn::Found),
        count(first, ExpectationColumn::Checked),
    );
    // The examples in rank order (the engine may not keep the query's).
    rows.retain(|r| cell(r, ExpectationColumn::Example).number().is_some());
    rows.sort_by(|a, b| {
        let rank = |r: &Vec<Cell>| cell(r, ExpectationColumn::Example).number();
        rank(a).partial_cmp(&rank(b)).expect("ranks are numbers")
    });
    let fixed = ExpectationColumn::ALL.len();
    let values = |row: &[Cell]| -> Vec<Value> {
        shown
            .iter()
            .enumerate()
            .map(|(i, column)| Value {
                column: column.to_string(),
                value: row[fixed + i].text().map(str::to_string),
            })
            .collect()
    };
    let found = match *e {
        Expectation::Fresh(..) => Found::Fresh {
            newest: cell(first, ExpectationColumn::Newest)
                .text()
                .map(str::to_string),
            age_seconds: cell(first, ExpectationColumn::Found).number(),
            rows: checked,
        },
        Expectation::Unique(..) => Found::Unique {
            duplicate_keys: found,
            rows: checked,
            examples: rows
                .iter()
                .map(|r| DuplicateKey {
                    key: values(r),
                    rows: count(r, ExpectationColumn::Number),
                })
                .collect(),
        },
        Expectation::NotNull(..) => Found::NotNull {
            rows_with_null: found,
            rows: checked,
            examples: rows.iter().map(|r| values(r)).collect(),
        },
        Expectation::Expect(metric, _) => Found::Expect {
            out_of_range: found,
            periods: checked,
            examples: rows
                .iter()
                .filter_map(|r| {
                    let value = cell(r, ExpectationColumn::Number).number()?;
                    Some(PeriodValue {
                        period: values(r).pop()?.value?,
                        value,
                        shown: format_value(value, &metric.unit),
                    })
                })
                .collect(),
        },
    };
    Ok((status, found))
}

/// What an expectation expects, in words.
pub fn expected(e: &Expectation) -> String {
    let list = |columns: &[String], joiner: &str| {
        let quoted: Vec<String> = columns.iter().map(|c| format!("`{c}`")).collect();
        quoted.join(joiner)
    };
    match *e {
        Expectation::Fresh(source, fresh) => format!(
            "the newest `{}` is at most {} old",
            source.time.as_deref().unwrap_or_default(),
            super::words::duration_phrase(fresh.seconds)
        ),
        Expectation::Unique(_, rule) if rule.columns.len() == 1 => {
            format!("no two rows share a value of {}", list(&rule.columns, ""))
        }
        Expectation::Unique(_, rule) => {
            format!("no two rows share the same ({})", list(&rule.columns, ", "))
        }
        Expectation::NotNull(_, rule) => {
            format!("no row has a null in {}", list(&rule.columns, " or "))
        }
        Expectation::Expect(metric, range) => format!(
            "every complete {}'s value lies in {} .. {}",
            metric.grain.name(),
            format_value(range.low, &metric.unit),
            format_value(range.high, &metric.unit)
        ),
    }
}

/// What was found, in a sentence: for a failure, what is wrong and where.
pub fn summary(outcome: &Outcome) -> String {
    let plural = |n: u64, one: &str, many: &str| {
        if n == 1 {
            format!("1 {one}")
        } else {
            format!("{n} {many}")
        }
    };
    let shown = |values: &[Value]| -> String {
        values
            .iter()
            .map(|v| format!("{} = {}", v.column, v.value.as_deref().unwrap_or("null")))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match &outcome.found {
        Found::Fresh { newest: None, .. } => "no row has a time".to_string(),
        Found::Fresh {
            newest: Some(newest),
            age_seconds,
            ..
        } => format!(
            "the newest is {newest}, {} old",
            age_phrase(age_seconds.unwrap_or(0.0))
        ),
        Found::Unique {
            duplicate_keys: 0,
            rows,
            ..
        } => format!("{} checked, no key repeated", plural(*rows, "row", "rows")),
        Found::Unique {
            duplicate_keys,
            examples,
            ..
        } => {
            let listed: Vec<String> = examples
                .iter()
                .map(|d| format!("{} ({} rows)", shown(&d.key), d.rows))
                .collect();
            format!(
                "{} shared by more than one row: {}{}",
                plural(*duplicate_keys, "key is", "keys are"),
                listed.join("; "),
                more(*duplicate_keys, examples.len())
            )
        }
        Found::NotNull {
            rows_with_null: 0,
            rows,
            ..
        } => format!("{} checked, none with a null", plural(*rows, "row", "rows")),
        Found::NotNull {
            rows_with_null,
            rows,
            examples,
        } => {
            let listed: Vec<String> = examples.iter().map(|e| shown(e)).collect();
            format!(
                "{rows_with_null} of {} {} a null: {}{}",
                plural(*rows, "row", "rows"),
                if *rows_with_null == 1 { "has" } else { "have" },
                listed.join("; "),
                more(*rows_with_null, examples.len())
            )
        }
        Found::Expect { periods: 0, .. } => "no complete period with a value to judge".to_string(),
        Found::Expect {
            out_of_range: 0,
            periods,
            ..
        } => format!(
            "{} judged, all in the range",
            plural(*periods, "complete period", "complete periods")
        ),
        Found::Expect {
            out_of_range,
            periods,
            examples,
        } => {
            let listed: Vec<String> = examples
                .iter()
                .take(crate::sql::EXAMPLES)
                .map(|p| format!("{}: {}", p.period, p.shown))
                .collect();
            format!(
                "{out_of_range} of {} out of the range: {}{}",
                plural(*periods, "complete period", "complete periods"),
                listed.join(", "),
                more(*out_of_range, examples.len().min(crate::sql::EXAMPLES))
            )
        }
        Found::Error { message } => format!("the query failed: {message}"),
    }
}

/// ", and 12 more" when `total` exceeds what is listed.
fn more(total: u64, listed: usize) -> String {
    match total.saturating_sub(listed as u64) {
        0 => String::new(),
        n => format!(", and {n} more"),
    }
}

/// An age as people say it, in its largest unit and the next: "2 days
/// 3 hours", "5 minutes" (seconds beyond are dropped).
pub fn age_phrase(seconds: f64) -> String {
    if seconds < 0.0 {
        return format!("{} in the future", age_phrase(-seconds));
    }
    const UNITS: [(u64, &str); 4] = [
        (86_400, "day"),
        (3_600, "hour"),
        (60, "minute"),
        (1, "second"),
    ];
    let s = seconds.round() as u64;
    let count = |n: u64, name: &str| crate::words::count(n as f64, name);
    let i = UNITS.iter().position(|(size, _)| s >= *size).unwrap_or(3);
    let (size, name) = UNITS[i];
    let mut phrase = count(s / size, name);
    if let Some((next, next_name)) = UNITS.get(i + 1) {
        let n = s % size / next;
        if n > 0 {
            phrase = format!("{phrase} {}", count(n, next_name));
        }
    }
    phrase
}

#[cfg(test)]
mod tests {
    use super::age_phrase;

    #[test]
    fn ages_read_in_two_units() {
        assert_eq!(age_phrase(0.0), "0 seconds");
        assert_eq!(age_phrase(59.0), "59 seconds");
        assert_eq!(age_phrase(3_600.0), "1 hour");
        assert_eq!(age_phrase(90_061.0), "1 day 1 hour");
        assert_eq!(age_phrase(2.0 * 86_400.0 + 120.0), "2 days");
        assert_eq!(age_phrase(-7_200.0), "2 hours in the future");
    }
}
