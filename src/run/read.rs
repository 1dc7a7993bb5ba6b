//! A query's rows read back: every column as a double or as text (by the
//! result enums of `sql::results`), cells and words read, and the rows of
//! a query of many links grouped by link. Knows nothing of the report.

use super::cell::{Cell, ColumnKind};
use super::db::Database;
use crate::date::Date;
use crate::keyword::Keyword;
use crate::sql::kept::Kept;
use crate::sql::results::{position, ResultColumn};
use crate::sql::{self, DialectName};

/// The rows of a query whose columns are the enum `C`, in its order.
pub(super) fn fetch_all<C: ResultColumn>(
    db: &mut Database,
    sql: &str,
    dialect: DialectName,
) -> Result<Vec<Vec<Cell>>, String> {
    fetch(db, sql, dialect, &ColumnKind::of::<C>())
}

/// Runs a query with every column read back as a double or as text,
/// whatever types the engine chose (the query is wrapped in casts).
pub(super) fn fetch(
    db: &mut Database,
    sql: &str,
    dialect: DialectName,
    columns: &[(&str, ColumnKind)],
) -> Result<Vec<Vec<Cell>>, String> {
    let kinds: Vec<ColumnKind> = columns.iter().map(|c| c.1).collect();
    db.query(&read_as(sql, dialect, columns), &kinds)
}

/// The wrapping query of `fetch`.
pub(super) fn read_as(sql: &str, dialect: DialectName, columns: &[(&str, ColumnKind)]) -> String {
    let d = dialect.dialect();
    let list: Vec<String> = columns
        .iter()
        .map(|(name, kind)| {
            let column = format!("{}.{}", d.ident("_q"), d.ident(name));
            match kind {
                ColumnKind::Number => d.to_float(&column),
                ColumnKind::Text => d.to_text(&column),
            }
        })
        .collect();
    format!(
        "SELECT {} FROM (\n{}\n) AS {}",
        list.join(", "),
        sql.trim_end().trim_end_matches(';'),
        d.ident("_q")
    )
}

/// A cell of a row of a query whose columns are the enum `C`.
pub(super) fn cell<C: Keyword + PartialEq>(row: &[Cell], column: C) -> &Cell {
    &row[position(column)]
}

pub(super) fn period(cell: &Cell) -> Option<Date> {
    cell.text().and_then(|t| Date::parse(t.get(..10)?))
}

/// A word the query wrote into a keyword column, read back as its enum: a
/// word the run does not know is an error, never a silent default.
pub(super) fn word<K: Keyword>(cell: &Cell, what: &str) -> Result<K, String> {
    let text = cell.text().unwrap_or("");
    K::parse(text).ok_or_else(|| {
        format!(
            "the query returned `{text}` as the {what}, which is not one of {}",
            K::NAMES.join(", ")
        )
    })
}

/// Rows of a query, each a cell per column.
pub(super) type Rows = Vec<Vec<Cell>>;

/// The column of a query of many links that holds the link's number.
pub(super) const LINK_KEY: &str = sql::evidence::LINK;

/// A whole number read back as a double.
pub(super) fn cell_number(cell: &Cell) -> Option<i64> {
    cell.number().map(|n| n.round() as i64)
}

/// The rows of a query whose first column is the number `key` and the
/// others the enum `C`, in its order.
pub(super) fn fetch_keyed<C: ResultColumn>(
    db: &mut Database,
    sql: &str,
    dialect: DialectName,
    key: &str,
) -> Result<Vec<Vec<Cell>>, String> {
    let columns: Vec<(&str, ColumnKind)> = std::iter::once((key, ColumnKind::Number))
        .chain(ColumnKind::of::<C>())
        .collect();
    fetch(db, sql, dialect, &columns)
}

/// The rows of a link query (`C`'s columns) per link, by the link's index
/// in the model: the one link's rows, or with `link` None the rows of a
/// query of many links (each led by `_link`, numbered by `kept`), grouped
/// and without their key.
pub(super) fn link_rows<C: ResultColumn>(
    db: &mut Database,
    sql: &str,
    dialect: DialectName,
    link: Option<usize>,
    kept: Option<&Kept>,
) -> Result<Vec<(usize, Rows)>, String> {
    if let Some(i) = link {
        return Ok(vec![(i, fetch_all::<C>(db, sql, dialect)?)]);
    }
    let rows = fetch_keyed::<C>(db, sql, dialect, LINK_KEY)?;
    group_by_key(&rows)
        .into_iter()
        .map(|(number, group)| {
            let link = number
                .and_then(|n| kept?.link(n))
                .ok_or_else(|| "the query returned a row of no link".to_string())?;
            Ok((link, without_key(group)))
        })
        .collect()
}

/// Rows without their first column (the key of [`group_by_key`]).
pub(super) fn without_key(rows: &[Vec<Cell>]) -> Vec<Vec<Cell>> {
    rows.iter().map(|r| r[1..].to_vec()).collect()
}

/// Rows ordered by their first column (a number), in runs of one value.
pub(super) fn group_by_key(rows: &[Vec<Cell>]) -> Vec<(Option<i64>, &[Vec<Cell>])> {
    rows.chunk_by(|a, b| cell_number(&a[0]) == cell_number(&b[0]))
        .map(|group| (cell_number(&group[0][0]), group))
        .collect()
}
