//! SQL dialects: a trait whose methods default to generic SQL; each engine
//! overrides only where it differs.

use crate::date::Date;
use crate::model::{Grain, Origin, ScalarType};

pub use crate::model::DialectName;

impl DialectName {
    pub fn dialect(self) -> &'static dyn Dialect {
        match self {
            DialectName::Duckdb => &DuckDb,
            DialectName::Postgres => &Postgres,
            DialectName::Sqlite => &Sqlite,
            DialectName::Bigquery => &BigQuery,
            DialectName::Snowflake => &Snowflake,
            DialectName::Spark => &Spark,
            DialectName::Trino => &Trino,
        }
    }
}

/// How one SQL engine spells things. Defaults are generic (ANSI-like) SQL.
pub trait Dialect: Sync {
    fn name(&self) -> DialectName;

    /// A quoted identifier: every identifier cpic writes goes through here.
    fn ident(&self, name: &str) -> String {
        quoted(name, '"', |c| (c == '"').then_some("\"\""))
    }

    /// A table reference `a.b.c`, each dotted part quoted; None for a file,
    /// which only DuckDB reads.
    fn table(&self, origin: &Origin) -> Option<String> {
        match origin {
            Origin::Table(name) => Some(table_name(name, |p| self.ident(p))),
            Origin::File(_) => None,
        }
    }

    /// A string literal, escaped. Line breaks are written as character
    /// codes: queries are indented line by line, which would pad the inside
    /// of a literal that spanned lines and change its value.
    fn string(&self, value: &str) -> String {
        without_line_breaks(
            value,
            |part| format!("'{}'", part.replace('\'', "''")),
            |code| self.char_code(code),
        )
    }

    /// The one-character string with this code (`\n` and `\r` only).
    fn char_code(&self, code: u32) -> String {
        format!("CHR({code})")
    }

    fn date(&self, date: Date) -> String {
        format!("DATE '{date}'")
    }

    fn boolean(&self, value: bool) -> String {
        if value { "TRUE" } else { "FALSE" }.to_string()
    }

    fn float_type(&self) -> &'static str {
        "DOUBLE PRECISION"
    }

    fn text_type(&self) -> &'static str {
        "TEXT"
    }

    /// The type of a period's first day, as `period_start` writes it.
    fn date_type(&self) -> &'static str {
        "DATE"
    }

    /// The most columns a table (or a SELECT) may have, when the engine
    /// has a limit a scan of many metrics can reach.
    fn max_columns(&self) -> Option<usize> {
        None
    }

    /// The rows of `table` (a kept scan: `_period`, the metrics' columns
    /// and their `_rows_<i>`), one per period and metric, as `_key`, the
    /// segment (the column `segment`, quoted, or NULL), `_period`,
    /// `_value`, where the metric's rows count is above 0 — in one
    /// operator, when the engine has one (`columns`: key, value column
    /// and rows column, quoted). None: the caller writes a `UNION ALL` of
    /// a SELECT per metric, which reads the table once per metric.
    fn unpivot(
        &self,
        _table: &str,
        _segment: Option<&str>,
        _columns: &[(i64, String, String)],
    ) -> Option<String> {
        None
    }

    /// `expr` (text) ordered by its bytes, whatever the database's
    /// collation: the order `split` lists variants in.
    fn binary_order(&self, expr: &str) -> String {
        expr.to_string()
    }

    /// `alias.column` (both quoted), or a text NULL without a column: the
    /// segment of an unpivoted scan.
    fn text_column_or_null(&self, alias: &str, column: Option<&str>) -> String {
        column.map_or_else(
            || format!("CAST(NULL AS {})", self.text_type()),
            |column| format!("{alias}.{column}"),
        )
    }

    /// A SELECT of `rows` (fields without `,` or `;`; None for NULL) as
    /// columns of `types`, from one text literal, for an engine that
    /// parses that much faster than a VALUES list of thousands of rows.
    /// None: the caller writes VALUES.
    fn rows_from_text(&self, _rows: &[Vec<Option<String>>], _types: &[&str]) -> Option<String> {
        None
    }

    /// Session settings (set, reset) a run that keeps its series makes
    /// for the queries of many links, undone at its end.
    fn run_settings(&self) -> &'static [(&'static str, &'static str)] {
        &[]
    }

    /// Whether an index (and `ANALYZE`) on a run's table of series helps
    /// the engine join it: not for engines that hash-join everything.
    fn indexes_help_joins(&self) -> bool {
        true
    }

    /// Whether a session may create and fill temporary tables (`CREATE
    /// TEMPORARY TABLE`, `INSERT`), which a run keeps its series in (see
    /// `sql::kept`); without them a run sends the standalone queries.
    fn temporary_tables(&self) -> bool {
        true
    }

    /// A value as text (dates as `YYYY-MM-DD`).
    fn to_text(&self, expr: &str) -> String {
        format!("CAST({expr} AS {})", self.text_type())
    }

    /// A value as floating point, so that no division is an integer one.
    fn to_float(&self, expr: &str) -> String {
        format!("CAST({expr} AS {})", self.float_type())
    }

    fn floor(&self, expr: &str) -> String {
        format!("FLOOR({expr})")
    }

    /// The smallest whole number at or above `expr` (applied to values
    /// >= 0).
    fn ceil(&self, expr: &str) -> String {
        format!("CEIL({expr})")
    }

    /// The first day (a date) of the period of `grain` holding `time`.
    /// Weeks start on Monday.
    fn period_start(&self, grain: Grain, time: &str, _time_type: ScalarType) -> String {
        format!("CAST(DATE_TRUNC('{}', {time}) AS DATE)", grain.name())
    }

    /// `date + n periods of grain`, a date.
    fn add_periods(&self, date: &str, grain: Grain, n: i64) -> String {
        let (unit, n) = interval(grain, n);
        format!("CAST({date} + INTERVAL '{n}' {unit} AS DATE)")
    }

    /// Whether the period of `grain` starting on the date `start` is
    /// complete on the date `today`: [`crate::period::is_complete`]'s
    /// rule, in SQL (a final method: dialects differ in `add_periods`).
    fn period_is_complete(&self, grain: Grain, start: &str, today: &str) -> String {
        format!("{} <= {today}", self.add_periods(start, grain, 1))
    }

    /// `date + n periods of grain` for an integer expression `n`, a date.
    fn add_periods_by(&self, date: &str, grain: Grain, n: &str) -> String {
        let (unit, k) = interval(grain, 1);
        format!("CAST({date} + INTERVAL '1' {unit} * (({n}) * {k}) AS DATE)")
    }

    /// `a = b` where two NULLs are equal (a dimension's values).
    fn same(&self, a: &str, b: &str) -> String {
        format!("({a} IS NOT DISTINCT FROM {b})")
    }

    /// The month of the year (1..12) of a date, an integer.
    fn month_of_year(&self, date: &str) -> String {
        format!("EXTRACT(MONTH FROM {date})")
    }

    /// Seconds between two timestamps (`a - b`), with fractions.
    fn seconds_between(&self, a: &str, b: &str) -> String {
        format!("EXTRACT(EPOCH FROM ({a} - {b}))")
    }

    /// Days between two dates (`a - b`).
    fn days_between(&self, a: &str, b: &str) -> String {
        format!("({a} - {b})")
    }

    /// A date compared with a timestamp.
    fn date_as_timestamp(&self, date: &str) -> String {
        format!("CAST({date} AS TIMESTAMP)")
    }

    /// The continuous percentile aggregate, or None when the engine has no
    /// exact one and cpic must emulate it with window functions.
    fn percentile(&self, value: &str, fraction: f64) -> Option<String> {
        Some(format!(
            "PERCENTILE_CONT({fraction:?}) WITHIN GROUP (ORDER BY {value})"
        ))
    }

    fn current_date(&self) -> &'static str {
        "CURRENT_DATE"
    }
}

/// A period count as an interval unit and amount.
fn interval(grain: Grain, n: i64) -> (&'static str, i64) {
    match grain {
        Grain::Day => ("DAY", n),
        Grain::Week => ("DAY", 7 * n),
        Grain::Month => ("MONTH", n),
        Grain::Quarter => ("MONTH", 3 * n),
        Grain::Year => ("MONTH", 12 * n),
    }
}

pub struct DuckDb;
impl Dialect for DuckDb {
    fn name(&self) -> DialectName {
        DialectName::Duckdb
    }
    fn table(&self, origin: &Origin) -> Option<String> {
        match origin {
            // Relative to the project root: the SQL is run from there.
            Origin::File(path) if path.to_ascii_lowercase().ends_with(".parquet") => {
                Some(format!("read_parquet({})", self.string(path)))
            }
            Origin::File(path) => Some(format!("read_csv({}, header = true)", self.string(path))),
            Origin::Table(name) => Some(table_name(name, |p| self.ident(p))),
        }
    }
    fn float_type(&self) -> &'static str {
        "DOUBLE"
    }
    fn indexes_help_joins(&self) -> bool {
        false
    }
    fn rows_from_text(&self, rows: &[Vec<Option<String>>], types: &[&str]) -> Option<String> {
        // DuckDB binds a VALUES list at ~0.25 ms a row; one string splits
        // in milliseconds.
        let text: Vec<String> = rows
            .iter()
            .map(|r| {
                r.iter()
                    .map(|f| f.as_deref().unwrap_or(""))
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .collect();
        let (fields, row) = (self.ident("_fields"), self.ident("_row"));
        let columns: Vec<String> = types
            .iter()
            .enumerate()
            .map(|(i, ty)| format!("CAST(NULLIF({fields}[{}], '') AS {ty})", i + 1))
            .collect();
        Some(format!(
            "SELECT {}\nFROM (SELECT string_split({row}, ',') AS {fields} FROM (SELECT unnest(string_split({}, ';')) AS {row}))",
            columns.join(", "),
            self.string(&text.join(";"))
        ))
    }
    fn unpivot(
        &self,
        table: &str,
        segment: Option<&str>,
        columns: &[(i64, String, String)],
    ) -> Option<String> {
        // A UNION ALL of thousands of SELECTs takes DuckDB seconds to plan.
        let list: Vec<String> = columns
            .iter()
            .map(|(key, value, rows)| format!("({value}, {rows}) AS '{key}'"))
            .collect();
        let (u, k, v, r) = (
            self.ident("_unpivoted"),
            self.ident("_k"),
            self.ident("_value"),
            self.ident("_rows"),
        );
        let segment = self.text_column_or_null(&u, segment);
        Some(format!(
            "SELECT CAST({u}.{k} AS BIGINT), {segment}, {u}.{p}, {u}.{v}\nFROM {} UNPIVOT INCLUDE NULLS (({v}, {r}) FOR {k} IN (\n  {}\n)) AS {u}\nWHERE {u}.{r} > 0",
            self.ident(table),
            list.join(",\n  "),
            p = self.ident("_period"),
        ))
    }
    fn percentile(&self, value: &str, fraction: f64) -> Option<String> {
        Some(format!("QUANTILE_CONT({value}, {fraction:?})"))
    }
    fn current_date(&self) -> &'static str {
        // The UTC date without the ICU extension (which `CURRENT_DATE`
        // needs): milliseconds since the epoch as a plain TIMESTAMP.
        "CAST(EPOCH_MS(CAST(EPOCH_MS(GET_CURRENT_TIMESTAMP()) AS BIGINT)) AS DATE)"
    }
}

/// `schema.table` with each dotted part quoted.
/// `value` as literals of its parts joined by `||` with the character codes
/// of its line breaks, so that no literal spans lines.
fn without_line_breaks(
    value: &str,
    quote: impl Fn(&str) -> String,
    code: impl Fn(u32) -> String,
) -> String {
    if !value.contains(['\n', '\r']) {
        return quote(value);
    }
    let mut parts = Vec::new();
    let mut rest = value;
    while let Some(i) = rest.find(['\n', '\r']) {
        if i > 0 {
            parts.push(quote(&rest[..i]));
        }
        parts.push(code(u32::from(rest.as_bytes()[i])));
        rest = &rest[i + 1..];
    }
    if !rest.is_empty() {
        parts.push(quote(rest));
    }
    format!("({})", parts.join(" || "))
}

/// `name` between two `quote`s, with the characters `escape` names
/// replaced. Every identifier of every query goes through here, so it
/// allocates once.
fn quoted(name: &str, quote: char, escape: impl Fn(char) -> Option<&'static str>) -> String {
    let mut out = String::with_capacity(name.len() + 2);
    out.push(quote);
    if name.chars().any(|c| escape(c).is_some()) {
        for c in name.chars() {
            match escape(c) {
                Some(escaped) => out.push_str(escaped),
                None => out.push(c),
            }
        }
    } else {
        out.push_str(name);
    }
    out.push(quote);
    out
}

fn table_name(name: &str, ident: impl Fn(&str) -> String) -> String {
    name.split('.').map(ident).collect::<Vec<_>>().join(".")
}

pub struct Postgres;
impl Dialect for Postgres {
    fn name(&self) -> DialectName {
        DialectName::Postgres
    }
    fn max_columns(&self) -> Option<usize> {
        // 1,600 columns per table (and 1,664 entries per SELECT).
        Some(1600)
    }
    fn run_settings(&self) -> &'static [(&'static str, &'static str)] {
        // The statistics join a relation of pairs to itself (`_differences`,
        // `_lag_products`); with every link in it, PostgreSQL guesses those
        // CTEs far too small and joins them row by row: minutes at 1,000
        // links where hash joins take two seconds.
        &[("SET enable_nestloop = off", "RESET enable_nestloop")]
    }
    fn binary_order(&self, expr: &str) -> String {
        // The database's collation may be a locale's.
        format!("{expr} COLLATE \"C\"")
    }
    fn unpivot(
        &self,
        table: &str,
        segment: Option<&str>,
        columns: &[(i64, String, String)],
    ) -> Option<String> {
        // A VALUES list per scanned row reads the scan once; a UNION ALL
        // of a SELECT per metric read it once per metric (16 of the 20 s
        // of a run of 1,000 links).
        let (s, u) = (self.ident("_scan"), self.ident("_unpivoted"));
        let (k, v, r) = (self.ident("_k"), self.ident("_value"), self.ident("_rows"));
        let segment = self.text_column_or_null(&s, segment);
        let rows: Vec<String> = columns
            .iter()
            .map(|(key, value, rows)| format!("({key}, {s}.{value}, {s}.{rows})"))
            .collect();
        Some(format!(
            "SELECT {u}.{k}, {segment}, {s}.{p}, {u}.{v}\nFROM {} AS {s}\nCROSS JOIN LATERAL (VALUES\n  {}\n) AS {u} ({k}, {v}, {r})\nWHERE {u}.{r} > 0",
            self.ident(table),
            rows.join(",\n  "),
            p = self.ident("_period"),
        ))
    }
}

/// SQLite: timestamps are ISO-8601 text, dates `YYYY-MM-DD`, booleans 0/1,
/// and there is no percentile: it is emulated.
pub struct Sqlite;
impl Dialect for Sqlite {
    fn name(&self) -> DialectName {
        DialectName::Sqlite
    }
    fn date(&self, date: Date) -> String {
        format!("'{date}'")
    }
    fn boolean(&self, value: bool) -> String {
        if value { "1" } else { "0" }.to_string()
    }
    fn float_type(&self) -> &'static str {
        "REAL"
    }
    fn date_type(&self) -> &'static str {
        "TEXT"
    }
    fn max_columns(&self) -> Option<usize> {
        // SQLITE_MAX_COLUMN, as compiled by default.
        Some(2000)
    }
    fn char_code(&self, code: u32) -> String {
        format!("CHAR({code})")
    }
    fn floor(&self, expr: &str) -> String {
        // Only applied to values >= 0, where truncation is the floor.
        format!("CAST({expr} AS INTEGER)")
    }
    fn ceil(&self, expr: &str) -> String {
        format!("(CAST({expr} AS INTEGER) + ({expr} > CAST({expr} AS INTEGER)))")
    }
    fn period_start(&self, grain: Grain, time: &str, _time_type: ScalarType) -> String {
        match grain {
            Grain::Day => format!("date({time})"),
            Grain::Week => format!("date({time}, 'weekday 0', '-6 days')"),
            Grain::Month => format!("strftime('%Y-%m-01', {time})"),
            Grain::Quarter => format!(
                "printf('%04d-%02d-01', CAST(strftime('%Y', {time}) AS INTEGER), ((CAST(strftime('%m', {time}) AS INTEGER) - 1) / 3) * 3 + 1)"
            ),
            Grain::Year => format!("strftime('%Y-01-01', {time})"),
        }
    }
    fn add_periods(&self, date: &str, grain: Grain, n: i64) -> String {
        match interval(grain, n) {
            ("DAY", n) => format!("date({date}, '{n:+} days')"),
            // SQLite rolls 31 March - 1 month over to 3 March; the other
            // engines (and the calendar) stop at the month's last day.
            (_, n) => format!(
                "min(date({date}, 'start of month', '{n:+} months', printf('%+d days', CAST(strftime('%d', {date}) AS INTEGER) - 1)), date({date}, 'start of month', '{:+} months', '-1 days'))",
                n + 1
            ),
        }
    }
    fn add_periods_by(&self, date: &str, grain: Grain, n: &str) -> String {
        let (unit, k) = interval(grain, 1);
        let unit = if unit == "DAY" { "days" } else { "months" };
        format!("date({date}, printf('%+d {unit}', ({n}) * {k}))")
    }
    fn same(&self, a: &str, b: &str) -> String {
        format!("({a} IS {b})")
    }
    fn month_of_year(&self, date: &str) -> String {
        format!("CAST(strftime('%m', {date}) AS INTEGER)")
    }
    fn seconds_between(&self, a: &str, b: &str) -> String {
        // Whole seconds exactly (integers), plus the difference of fractions.
        format!(
            "((CAST(strftime('%s', {a}) AS INTEGER) - CAST(strftime('%s', {b}) AS INTEGER)) + ((CAST(strftime('%f', {a}) AS REAL) - CAST(strftime('%S', {a}) AS INTEGER)) - (CAST(strftime('%f', {b}) AS REAL) - CAST(strftime('%S', {b}) AS INTEGER))))"
        )
    }
    fn days_between(&self, a: &str, b: &str) -> String {
        format!("(julianday({a}) - julianday({b}))")
    }
    fn date_as_timestamp(&self, date: &str) -> String {
        date.to_string()
    }
    fn percentile(&self, _value: &str, _fraction: f64) -> Option<String> {
        None
    }
    fn current_date(&self) -> &'static str {
        "date('now')"
    }
}

/// BigQuery: backtick identifiers, backslash escapes, and no exact
/// percentile aggregate (only an analytic function): emulated.
pub struct BigQuery;
impl Dialect for BigQuery {
    fn name(&self) -> DialectName {
        DialectName::Bigquery
    }
    fn ident(&self, name: &str) -> String {
        quoted(name, '`', |c| match c {
            '\\' => Some("\\\\"),
            '`' => Some("\\`"),
            _ => None,
        })
    }
    fn string(&self, value: &str) -> String {
        backslash_string(value)
    }
    fn float_type(&self) -> &'static str {
        "FLOAT64"
    }
    fn text_type(&self) -> &'static str {
        "STRING"
    }
    fn period_start(&self, grain: Grain, time: &str, time_type: ScalarType) -> String {
        let date = if time_type == ScalarType::Date {
            time.to_string()
        } else {
            format!("DATE({time})")
        };
        let part = match grain {
            Grain::Week => "WEEK(MONDAY)".to_string(),
            other => other.name().to_ascii_uppercase(),
        };
        format!("DATE_TRUNC({date}, {part})")
    }
    fn add_periods(&self, date: &str, grain: Grain, n: i64) -> String {
        let (unit, n) = interval(grain, n);
        format!("DATE_ADD({date}, INTERVAL {n} {unit})")
    }
    fn add_periods_by(&self, date: &str, grain: Grain, n: &str) -> String {
        let (unit, k) = interval(grain, 1);
        format!("DATE_ADD({date}, INTERVAL ({n}) * {k} {unit})")
    }
    fn seconds_between(&self, a: &str, b: &str) -> String {
        format!("(TIMESTAMP_DIFF({a}, {b}, MICROSECOND) / 1000000.0)")
    }
    fn days_between(&self, a: &str, b: &str) -> String {
        format!("DATE_DIFF({a}, {b}, DAY)")
    }
    fn percentile(&self, _value: &str, _fraction: f64) -> Option<String> {
        None
    }
}

fn backslash_string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// Snowflake: unquoted identifiers are stored upper-case, so cpic quotes
/// the upper-case form (what `CREATE TABLE quotes (...)` created); string
/// constants process backslash escapes.
pub struct Snowflake;
impl Dialect for Snowflake {
    fn name(&self) -> DialectName {
        DialectName::Snowflake
    }
    fn text_type(&self) -> &'static str {
        "VARCHAR"
    }
    fn ident(&self, name: &str) -> String {
        quoted(&name.to_uppercase(), '"', |c| (c == '"').then_some("\"\""))
    }
    fn string(&self, value: &str) -> String {
        let escaped = value
            .replace('\\', "\\\\")
            .replace('\'', "''")
            .replace('\n', "\\n")
            .replace('\r', "\\r");
        format!("'{escaped}'")
    }
    fn float_type(&self) -> &'static str {
        "DOUBLE"
    }
    fn period_start(&self, grain: Grain, time: &str, _time_type: ScalarType) -> String {
        match grain {
            // Independent of the session's WEEK_START.
            Grain::Week => format!("DATEADD(DAY, 1 - DAYOFWEEKISO({time}), CAST({time} AS DATE))"),
            other => format!("CAST(DATE_TRUNC('{}', {time}) AS DATE)", other.name()),
        }
    }
    fn add_periods(&self, date: &str, grain: Grain, n: i64) -> String {
        let (unit, n) = interval(grain, n);
        format!("DATEADD({unit}, {n}, {date})")
    }
    fn add_periods_by(&self, date: &str, grain: Grain, n: &str) -> String {
        let (unit, k) = interval(grain, 1);
        format!("DATEADD({unit}, ({n}) * {k}, {date})")
    }
    fn seconds_between(&self, a: &str, b: &str) -> String {
        format!("(TIMESTAMPDIFF(MICROSECOND, {b}, {a}) / 1000000.0)")
    }
    fn days_between(&self, a: &str, b: &str) -> String {
        format!("DATEDIFF(DAY, {b}, {a})")
    }
}

/// Spark SQL (Databricks): backtick identifiers, backslash escapes, an
/// exact `percentile` aggregate.
pub struct Spark;
impl Dialect for Spark {
    fn name(&self) -> DialectName {
        DialectName::Spark
    }
    fn text_type(&self) -> &'static str {
        "STRING"
    }
    fn ident(&self, name: &str) -> String {
        quoted(name, '`', |c| (c == '`').then_some("``"))
    }
    fn string(&self, value: &str) -> String {
        backslash_string(value)
    }
    fn float_type(&self) -> &'static str {
        "DOUBLE"
    }
    fn add_periods(&self, date: &str, grain: Grain, n: i64) -> String {
        match interval(grain, n) {
            ("DAY", n) => format!("DATE_ADD({date}, {n})"),
            (_, n) => format!("ADD_MONTHS({date}, {n})"),
        }
    }
    fn add_periods_by(&self, date: &str, grain: Grain, n: &str) -> String {
        match interval(grain, 1) {
            ("DAY", k) => format!("DATE_ADD({date}, CAST(({n}) * {k} AS INT))"),
            (_, k) => format!("ADD_MONTHS({date}, CAST(({n}) * {k} AS INT))"),
        }
    }
    fn same(&self, a: &str, b: &str) -> String {
        format!("({a} <=> {b})")
    }
    fn seconds_between(&self, a: &str, b: &str) -> String {
        format!("((UNIX_MICROS({a}) - UNIX_MICROS({b})) / 1000000.0)")
    }
    fn days_between(&self, a: &str, b: &str) -> String {
        format!("DATEDIFF({a}, {b})")
    }
    fn percentile(&self, value: &str, fraction: f64) -> Option<String> {
        Some(format!("PERCENTILE({value}, {fraction:?})"))
    }
    /// Spark's temporary objects are views: nothing can be inserted into
    /// them.
    fn temporary_tables(&self) -> bool {
        false
    }
}

/// Trino: only an approximate percentile exists: emulated exactly.
pub struct Trino;
impl Dialect for Trino {
    fn name(&self) -> DialectName {
        DialectName::Trino
    }
    fn text_type(&self) -> &'static str {
        "VARCHAR"
    }
    fn float_type(&self) -> &'static str {
        "DOUBLE"
    }
    fn add_periods(&self, date: &str, grain: Grain, n: i64) -> String {
        let (unit, n) = interval(grain, n);
        format!("DATE_ADD('{}', {n}, {date})", unit.to_lowercase())
    }
    fn add_periods_by(&self, date: &str, grain: Grain, n: &str) -> String {
        let (unit, k) = interval(grain, 1);
        format!("DATE_ADD('{}', ({n}) * {k}, {date})", unit.to_lowercase())
    }
    fn seconds_between(&self, a: &str, b: &str) -> String {
        format!("(DATE_DIFF('millisecond', {b}, {a}) / 1000.0)")
    }
    fn days_between(&self, a: &str, b: &str) -> String {
        format!("DATE_DIFF('day', {b}, {a})")
    }
    fn percentile(&self, _value: &str, _fraction: f64) -> Option<String> {
        None
    }
}
