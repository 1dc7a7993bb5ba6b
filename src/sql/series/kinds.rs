//! The metric kinds of LANGUAGE.md version 1 as CTEs over a metric's rows:
//! `followed_by` flags joined to the rows, a `snapshot`'s rows at the
//! period's edge, a `window`'s rows per period of a calendar, and `fill`
//! over a series. Each returns a CTE shaped like the rows (or the series)
//! it was given, so that the aggregation of `build_series` reads it as it
//! reads the plain rows.

use std::rc::Rc;

use super::{indent, QueryBuilder, PERIOD, VALUE};
use crate::model::{
    AggFunc, Grain, PeriodLength, ScalarType, Snapshot, Source, TExpr, TExprKind, Window,
};
use crate::sql::render::{number, ExprContext, ExprWriter};
use crate::sql::Unsupported;

/// The column of a window's rows that says a row was joined (a period
/// whose window holds no row has one row of NULLs, which no aggregate may
/// count).
pub(super) const PRESENT: &str = "_in";

/// How the flag columns of `followed_by` start.
const FOLLOWED: &str = "_followed_";

/// The flag column of the `n`-th `followed_by` (from 1) of a measure.
pub(super) fn followed_column(n: usize) -> String {
    format!("{FOLLOWED}{n}")
}

/// The `followed_by` nodes of some expressions (a measure and its filter,
/// or the measures and filters of an experiment's metrics of one source),
/// each once, in order; their position (from 1) numbers their flag column.
pub(in crate::sql) fn followed_by_nodes<'e>(
    exprs: impl IntoIterator<Item = &'e TExpr>,
) -> Vec<&'e TExpr> {
    let mut found: Vec<&TExpr> = Vec::new();
    let mut keys: Vec<String> = Vec::new();
    for e in exprs {
        e.walk(&mut |node| {
            if matches!(node.kind, TExprKind::FollowedBy { .. }) {
                let key = followed_key(node);
                if !keys.contains(&key) {
                    keys.push(key);
                    found.push(node);
                }
            }
        });
    }
    found
}

/// Where the rows of [`QueryBuilder::followed_rows`] keep the flag of each
/// of its `followed_by` nodes.
#[derive(Default)]
pub(in crate::sql) struct FlagColumns(Vec<String>);

impl FlagColumns {
    /// The columns of `nodes`' flags, numbered in their order.
    pub(in crate::sql) fn of(nodes: &[&TExpr]) -> FlagColumns {
        FlagColumns(nodes.iter().map(|n| followed_key(n)).collect())
    }

    /// The flag column of the `followed_by` node `e` (unquoted).
    pub(in crate::sql) fn column(&self, e: &TExpr) -> String {
        let key = followed_key(e);
        let n = self
            .0
            .iter()
            .position(|k| *k == key)
            .expect("the rows carry every followed_by of the measure");
        followed_column(n + 1)
    }
}

/// When every aggregate of `expr` is a `count_distinct`, the columns (of
/// `columns`, the rows') it reads, with the `followed_by` flags: its value
/// over some rows depends only on their distinct combinations.
pub(super) fn distinct_columns(expr: &TExpr, columns: &[String]) -> Option<Vec<String>> {
    let mut all_distinct = true;
    let mut read: Vec<String> = Vec::new();
    expr.walk(&mut |e| match &e.kind {
        TExprKind::Aggregate { func, .. } => all_distinct &= *func == AggFunc::CountDistinct,
        TExprKind::Column { name } => read.push(name.clone()),
        _ => {}
    });
    let flags = columns.iter().filter(|c| c.starts_with(FOLLOWED));
    let keep: Vec<String> = columns
        .iter()
        .filter(|c| read.contains(c))
        .chain(flags)
        .cloned()
        .collect();
    all_distinct.then_some(keep)
}

/// `count_distinct(x [where f])`, possibly converted (`factor`): its
/// argument, its own filter and the factor.
pub(super) fn lone_count_distinct(expr: &TExpr) -> Option<(&TExpr, Option<&TExpr>, f64)> {
    let (inner, factor) = match &expr.kind {
        TExprKind::Scale { factor, operand } => (&**operand, *factor),
        _ => (expr, 1.0),
    };
    match &inner.kind {
        TExprKind::Aggregate {
            func: AggFunc::CountDistinct,
            arg: Some(arg),
            filter,
            ..
        } => Some((arg, filter.as_deref(), factor)),
        _ => None,
    }
}

/// What identifies a `followed_by`: two equal calls share one flag.
pub(super) fn followed_key(e: &TExpr) -> String {
    format!("{:?}", e.kind)
}

/// Row expressions over one relation (an alias): `followed_by`'s own
/// condition over the other source's rows.
struct Alias {
    d: &'static dyn crate::sql::dialect::Dialect,
    alias: String,
}

impl ExprContext for Alias {
    fn dialect(&self) -> &'static dyn crate::sql::dialect::Dialect {
        self.d
    }
    fn column(&self, name: &str) -> String {
        format!("{}.{}", self.alias, self.d.ident(name))
    }
}

/// A length window (`28 days`, `3 months`) in periods of `grain`, when it
/// is a whole number of them.
fn whole_periods(window: Window, grain: Grain) -> Option<i64> {
    let periods = match (window, grain.length()) {
        (Window::Duration { seconds }, PeriodLength::Seconds(period)) => seconds / period,
        (Window::Months { months }, PeriodLength::Months(period)) => months as f64 / period as f64,
        _ => return None,
    };
    (periods.fract() == 0.0).then_some(periods as i64)
}

/// Whether a window's bounds fall on period starts of `grain` (so that a
/// row's period alone says which windows hold it).
pub(super) fn aligned(window: Window, grain: Grain) -> bool {
    match window {
        Window::Duration { .. } | Window::Months { .. } => whole_periods(window, grain).is_some(),
        Window::ToDate { grain: unit } => {
            grain == Grain::Day || unit == grain || (grain != Grain::Week && unit >= grain)
        }
        Window::All => true,
    }
}

impl QueryBuilder<'_> {
    /// Both times as comparable SQL: dates stay dates when both are, else
    /// both are timestamps.
    fn comparable(&self, a: (&str, ScalarType), b: (&str, ScalarType)) -> (String, String, bool) {
        let both_dates = a.1 == ScalarType::Date && b.1 == ScalarType::Date;
        let widen = |(sql, ty): (&str, ScalarType)| {
            if ty == ScalarType::Date && !both_dates {
                self.d.date_as_timestamp(sql)
            } else {
                sql.to_string()
            }
        };
        (widen(a), widen(b), both_dates)
    }

    /// `rows` with a flag per `followed_by` of the measure
    /// (`_followed_<n>`): whether the other source has a row with the same
    /// non-null column at a time in `[t, t + window]`, from the other
    /// source's first and last time per key and bucket of time (see
    /// below).
    pub(in crate::sql) fn followed_rows(
        &mut self,
        key: &str,
        preferred: &str,
        rows: &str,
        (time, time_type): (&str, ScalarType),
        nodes: &[&TExpr],
    ) -> Result<Rc<str>, Unsupported> {
        let r = self.id(rows);
        let mut select = vec![format!("{r}.*")];
        let mut joins = String::new();
        for (i, node) in nodes.iter().enumerate() {
            let TExprKind::FollowedBy {
                source,
                column,
                time: their_time,
                time_type: their_type,
                within,
                filter,
            } = &node.kind
            else {
                unreachable!("followed_by nodes")
            };
            let n = i + 1;
            let target = self
                .model
                .source(source)
                .expect("the model resolves sources");
            let table = self.table_of(target)?;
            let (k, s) = (self.id("_key"), self.id("_s"));
            let c = self.id(column);
            let (theirs, ours, both_dates) = self.comparable(
                (&format!("{s}.{}", self.id(their_time)), *their_type),
                (&format!("{r}.{}", self.id(time)), time_type),
            );
            let mut conditions = vec![format!("{s}.{c} IS NOT NULL")];
            if let Some(f) = filter {
                let mut cx = Alias {
                    d: self.d,
                    alias: s.clone(),
                };
                conditions.push(format!("({})", ExprWriter::new(&mut cx).expr(f)));
            }
            let limit = if both_dates {
                within / 86_400.0
            } else {
                *within
            };
            let gap = |later: &str, earlier: &str| {
                if both_dates {
                    self.d.days_between(later, earlier)
                } else {
                    self.d.seconds_between(later, earlier)
                }
            };
            // Time in buckets as long as the window: a match of a row in
            // bucket b lies in bucket b (at or after the row: then within
            // the window, as the bucket is no longer) or in bucket b + 1
            // (within the window when that bucket's first is). So the other
            // source's latest time in a bucket and earliest in the next
            // decide: one row per (key, bucket), and each row is joined to
            // at most one, however many matches its key has (one join of
            // the rows instead of two: a quarter faster on the benchmark).
            // A window of 0 has buckets of one instant.
            let epoch = crate::date::Date::from_days_since_epoch(0);
            let origin = if both_dates {
                self.d.date(epoch)
            } else {
                self.d.date_as_timestamp(&self.d.date(epoch))
            };
            let bucket = |time: &str| {
                let position = gap(time, &origin);
                if limit > 0.0 {
                    self.d.floor(&format!("{position} / {}", number(limit)))
                } else {
                    position
                }
            };
            let (b, last, next) = (self.id("_b"), self.id("_last"), self.id("_next"));
            let targets_key = format!("{key} followed {n}");
            let targets = self
                .query
                .names
                .claim(&targets_key, format!("{preferred}_followed_{n}"));
            let per_bucket = |latest: &str, next_earliest: &str, shift: &str| {
                format!(
                    "SELECT\n  {s}.{c} AS {k},\n  {bt}{shift} AS {b},\n  {latest} AS {last},\n  {next_earliest} AS {next}\nFROM {table} AS {s}\nWHERE {}\nGROUP BY {s}.{c}, {bt}",
                    conditions.join("\n  AND "),
                    bt = bucket(&theirs),
                )
            };
            let body = if limit > 0.0 {
                // The earliest time of bucket b + 1 is filed under b.
                let (u, null) = (self.id("_u"), "NULL");
                format!(
                    "SELECT\n  {u}.{k} AS {k},\n  {u}.{b} AS {b},\n  MAX({u}.{last}) AS {last},\n  MIN({u}.{next}) AS {next}\nFROM (\n{}\nUNION ALL\n{}\n) AS {u}\nGROUP BY {u}.{k}, {u}.{b}",
                    indent(&per_bucket(&format!("MAX({theirs})"), null, ""), 2),
                    indent(&per_bucket(null, &format!("MIN({theirs})"), " - 1"), 2),
                )
            } else {
                per_bucket(&format!("MAX({theirs})"), "NULL", "")
            };
            self.query.add(&targets_key, targets.clone(), &body);
            let (tg, m) = (self.id(&targets), self.id(&format!("_match_{n}")));
            let no = self.d.boolean(false);
            let mut flag = format!(
                "COALESCE({} >= 0, {no})",
                gap(&format!("{m}.{last}"), &ours)
            );
            if limit > 0.0 {
                flag.push_str(&format!(
                    " OR COALESCE({} <= {}, {no})",
                    gap(&format!("{m}.{next}"), &ours),
                    number(limit)
                ));
            }
            joins.push_str(&format!(
                "\nLEFT JOIN {tg} AS {m} ON {m}.{k} = {r}.{c} AND {m}.{b} = {}",
                bucket(&ours)
            ));
            select.push(format!("({flag}) AS {}", self.id(&followed_column(n))));
        }
        let rows_key = format!("{key} followed rows");
        let name = self
            .query
            .names
            .claim(&rows_key, format!("{preferred}_rows"));
        let body = format!("SELECT\n  {}\nFROM {r}{joins}", select.join(",\n  "));
        self.query.add(&rows_key, name.clone(), &body);
        Ok(name)
    }

    /// The rows of a `snapshot`: those (passing `filter`, SQL over `rows`)
    /// whose time is the latest (`last`) or earliest (`first`) of their
    /// period, per value of `by`.
    pub(super) fn snapshot_rows(
        &mut self,
        key: &str,
        preferred: &str,
        rows: &str,
        (time, snapshot): (&str, Snapshot),
        filter: Option<&str>,
        by: Option<&str>,
    ) -> Rc<str> {
        let r = self.id(rows);
        let mut partition = vec![format!("{r}.{}", self.id(PERIOD))];
        if let Some(dim) = by {
            partition.push(format!("{r}.{}", self.id(dim)));
        }
        let edge = match snapshot {
            Snapshot::Last => "MAX",
            Snapshot::First => "MIN",
        };
        let (e, s) = (self.id("_edge"), self.id("_snapshot"));
        let mut inner = format!(
            "SELECT\n  {r}.*,\n  {edge}({r}.{t}) OVER (PARTITION BY {}) AS {e}\nFROM {r}",
            partition.join(", "),
            t = self.id(time),
        );
        if let Some(f) = filter {
            inner.push_str(&format!("\nWHERE {f}"));
        }
        let snapshot_key = format!("{key} snapshot");
        let name = self
            .query
            .names
            .claim(&snapshot_key, format!("{preferred}_snapshot"));
        let body = format!(
            "SELECT {s}.*\nFROM (\n{}\n) AS {s}\nWHERE {s}.{t} = {s}.{e}",
            indent(&inner, 2),
            t = self.id(time),
        );
        self.query.add(&snapshot_key, name.clone(), &body);
        name
    }

    /// The periods of `grain` from each `_first` to its `_last` in `span`
    /// (a CTE with those columns, per value of `by` when given), as a CTE
    /// of `_period` (and `by`): a calendar without gaps, from a table of
    /// numbers (10,000 periods; 100,000 days).
    fn calendar(
        &mut self,
        key: &str,
        preferred: &str,
        span: &str,
        grain: Grain,
        by: Option<&str>,
    ) -> Rc<str> {
        let digits = if grain == Grain::Day { 5 } else { 4 };
        let numbers_key = format!("numbers {digits}");
        let numbers = match self.query.names.get(&numbers_key) {
            Some(name) => name.clone(),
            None => {
                let d = self.id("_d");
                let digit = (0..10)
                    .map(|i| format!("SELECT {i} AS {d}"))
                    .collect::<Vec<_>>()
                    .join(" UNION ALL ");
                if self.query.names.get("_digits").is_none() {
                    let digits_name = self.query.claim_fixed("_digits");
                    self.query.add("_digits", digits_name, &digit);
                }
                let dn = self.id("_digits");
                let terms: Vec<String> = (0..digits)
                    .map(|i| format!("{} * {}.{d}", 10_i64.pow(i), self.id(&format!("_d{i}"))))
                    .collect();
                let froms: Vec<String> = (0..digits)
                    .map(|i| format!("{dn} AS {}", self.id(&format!("_d{i}"))))
                    .collect();
                let body = format!(
                    "SELECT {} AS {}\nFROM {}",
                    terms.join(" + "),
                    self.id("_n"),
                    froms.join("\nCROSS JOIN ")
                );
                let name = self
                    .query
                    .names
                    .claim(&numbers_key, format!("_numbers_{digits}"));
                self.query.add(&numbers_key, name.clone(), &body);
                name
            }
        };
        let sp = self.id(span);
        let (first, last, n) = (self.id("_first"), self.id("_last"), self.id("_n"));
        let b = self.id("_bounds");
        let nn = self.id(&numbers);
        let day = self
            .d
            .add_periods_by(&format!("{b}.{first}"), grain, &format!("{nn}.{n}"));
        let all_key = format!("{key} all periods");
        let all = self
            .query
            .names
            .claim(&all_key, format!("{preferred}_periods"));
        let body = format!(
            "SELECT {day} AS {p}\nFROM (\n  SELECT MIN({sp}.{first}) AS {first}, MAX({sp}.{last}) AS {last}\n  FROM {sp}\n) AS {b}\nCROSS JOIN {nn}\nWHERE {day} <= {b}.{last}",
            p = self.id(PERIOD),
        );
        self.query.add(&all_key, all.clone(), &body);
        let a = self.id(&all);
        let mut select = vec![format!("{a}.{p} AS {p}", p = self.id(PERIOD))];
        if let Some(dim) = by {
            select.push(format!("{sp}.{d} AS {d}", d = self.id(dim)));
        }
        let calendar_key = format!("{key} calendar");
        let name = self
            .query
            .names
            .claim(&calendar_key, format!("{preferred}_calendar"));
        let body = format!(
            "SELECT\n  {}\nFROM {a}\nJOIN {sp} ON {a}.{p} >= {sp}.{first} AND {a}.{p} <= {sp}.{last}",
            select.join(",\n  "),
            p = self.id(PERIOD),
        );
        self.query.add(&calendar_key, name.clone(), &body);
        name
    }

    /// The first and last `_period` of `relation` where `condition` holds,
    /// per value of `by`.
    fn span(
        &mut self,
        key: &str,
        name: String,
        relation: &str,
        condition: Option<&str>,
        by: Option<&str>,
    ) -> Rc<str> {
        let r = self.id(relation);
        let p = self.id(PERIOD);
        let mut select = Vec::new();
        if let Some(dim) = by {
            select.push(format!("{r}.{d} AS {d}", d = self.id(dim)));
        }
        select.push(format!("MIN({r}.{p}) AS {}", self.id("_first")));
        select.push(format!("MAX({r}.{p}) AS {}", self.id("_last")));
        let mut body = format!("SELECT\n  {}\nFROM {r}", select.join(",\n  "));
        if let Some(c) = condition {
            body.push_str(&format!("\nWHERE {c}"));
        }
        if let Some(dim) = by {
            body.push_str(&format!("\nGROUP BY {r}.{}", self.id(dim)));
        }
        let span_key = format!("{key} span");
        let claimed = self.query.names.claim(&span_key, name);
        self.query.add(&span_key, claimed.clone(), &body);
        claimed
    }

    /// The rows of a windowed metric: for each period of its calendar
    /// (from the first to the last period holding one of its rows passing
    /// `filter`), the rows its window holds, with `_period` the window's
    /// period and `_in` = 1; a period whose window holds none has one row
    /// of NULLs with `_in` = 0.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn window_rows(
        &mut self,
        key: &str,
        preferred: &str,
        (rows, columns, distinct): (&str, &[String], Option<&[String]>),
        (time, time_type): (&str, ScalarType),
        (window, grain): (Window, Grain),
        filter: Option<&str>,
        by: Option<&str>,
    ) -> Rc<str> {
        let rows_key = format!("{key} rows");
        let span = self.span(&rows_key, format!("{preferred}_span"), rows, filter, by);
        let calendar = self.calendar(&rows_key, preferred, &span, grain, by);
        let aligned = aligned(window, grain);
        // With bounds on period starts a row's period decides which
        // windows hold it; a measure of `count_distinct`s then needs each
        // distinct combination of its columns once per period.
        let (rows, columns, filter) = match distinct.filter(|_| aligned) {
            Some(keep) => {
                let r = self.id(rows);
                let mut select = vec![format!("{r}.{p}", p = self.id(PERIOD))];
                select.extend(by.map(|d| format!("{r}.{}", self.id(d))));
                select.extend(
                    keep.iter()
                        .filter(|c| Some(c.as_str()) != by)
                        .map(|c| format!("{r}.{}", self.id(c))),
                );
                let mut body = format!("SELECT DISTINCT\n  {}\nFROM {r}", select.join(",\n  "));
                if let Some(f) = filter {
                    body.push_str(&format!("\nWHERE {f}"));
                }
                let distinct_key = format!("{key} distinct rows");
                let name = self
                    .query
                    .names
                    .claim(&distinct_key, format!("{preferred}_distinct"));
                self.query.add(&distinct_key, name.clone(), &body);
                (name, keep, None)
            }
            None => (Rc::from(rows), columns, filter),
        };
        let rows = &*rows;
        let (r, w) = (self.id(rows), self.id("_w"));
        let p = self.id(PERIOD);
        let c = self.id(&calendar);
        let (start, end) = (self.id("_start"), self.id("_end"));
        let period = format!("{c}.{p}");
        let end_sql = self.d.add_periods(&period, grain, 1);
        let start_sql = match window {
            Window::Duration { seconds } if seconds % 86_400.0 == 0.0 => Some(self.d.add_periods(
                &end_sql,
                Grain::Day,
                -((seconds / 86_400.0) as i64),
            )),
            Window::Duration { .. } => None, // compared in seconds below
            Window::Months { months } => Some(self.d.add_periods(&end_sql, Grain::Month, -months)),
            Window::ToDate { grain: unit } => {
                Some(self.d.period_start(unit, &period, ScalarType::Date))
            }
            Window::All => None,
        };
        let mut bounds = vec![format!("{c}.*"), format!("{end_sql} AS {end}")];
        if let Some(start_sql) = &start_sql {
            bounds.push(format!("{start_sql} AS {start}"));
        }
        // Aligned bounds compare the row's period, else its time.
        let (t, time_type) = if aligned {
            (format!("{r}.{}", self.id(PERIOD)), ScalarType::Date)
        } else {
            (format!("{r}.{}", self.id(time)), time_type)
        };
        let timed = |sql: String| {
            if time_type == ScalarType::Timestamp {
                self.d.date_as_timestamp(&sql)
            } else {
                sql
            }
        };
        let mut on = vec![format!("{t} < {}", timed(format!("{w}.{end}")))];
        match (window, &start_sql) {
            (_, Some(_)) => on.push(format!("{t} >= {}", timed(format!("{w}.{start}")))),
            (Window::Duration { seconds }, None) => {
                let t_ts = if time_type == ScalarType::Date {
                    self.d.date_as_timestamp(&t)
                } else {
                    t.clone()
                };
                let gap = self
                    .d
                    .seconds_between(&self.d.date_as_timestamp(&format!("{w}.{end}")), &t_ts);
                on.push(format!("{gap} <= {}", number(seconds)));
            }
            _ => {}
        }
        if let Some(dim) = by {
            let d = self.id(dim);
            on.push(self.d.same(&format!("{r}.{d}"), &format!("{w}.{d}")));
        }
        if let Some(f) = filter {
            on.push(format!("({f})"));
        }
        let mut select = vec![format!("{w}.{p} AS {p}")];
        if let Some(dim) = by {
            select.push(format!("{w}.{d} AS {d}", d = self.id(dim)));
        }
        for column in columns.iter().filter(|c| Some(c.as_str()) != by) {
            select.push(format!("{r}.{c} AS {c}", c = self.id(column)));
        }
        select.push(format!(
            "CASE WHEN {r}.{p} IS NULL THEN 0 ELSE 1 END AS {}",
            self.id(PRESENT)
        ));
        let window_key = format!("{key} window");
        let name = self
            .query
            .names
            .claim(&window_key, format!("{preferred}_window"));
        let body = format!(
            "SELECT\n  {}\nFROM (\n  SELECT\n    {}\n  FROM {c}\n) AS {w}\nLEFT JOIN {r} ON {}",
            select.join(",\n  "),
            bounds.join(",\n    "),
            on.join("\n  AND ")
        );
        self.query.add(&window_key, name.clone(), &body);
        name
    }

    /// The series of `count_distinct(x)` over a window whose bounds fall
    /// on period starts, without joining rows to windows: each distinct
    /// (period, value) pair covers the periods whose windows hold its
    /// period, from its own to `end` (k periods later, the end of its
    /// `*_to_date` unit, or never for `all`); a value is counted in a
    /// period when one of its pairs covers it. Each pair adds the part of
    /// its coverage the value's previous pair did not (+1 where it starts,
    /// -1 where it ends), and a running sum over the calendar counts.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn windowed_distinct(
        &mut self,
        (key, name): (&str, Rc<str>),
        preferred: &str,
        rows: &str,
        (x, own, factor): (String, Option<String>, f64),
        filter: Option<&str>,
        (window, grain): (Window, Grain),
        by: Option<&str>,
    ) {
        let rows_key = format!("{key} rows");
        let span = self.span(&rows_key, format!("{preferred}_span"), rows, filter, by);
        let calendar = self.calendar(&rows_key, preferred, &span, grain, by);
        let (r, p, xv) = (self.id(rows), self.id(PERIOD), self.id("_x"));
        let dim = by.map(|d| self.id(d));
        let with_dim = |alias: &str| {
            dim.as_ref()
                .map(|d| format!("{alias}.{d} AS {d}, "))
                .unwrap_or_default()
        };
        // The distinct (period, value) pairs.
        let mut conditions: Vec<String> = filter.iter().map(|f| format!("({f})")).collect();
        conditions.extend(own.map(|f| format!("({f})")));
        conditions.push(format!("{x} IS NOT NULL"));
        let pairs_key = format!("{key} pairs");
        let pairs = self
            .query
            .names
            .claim(&pairs_key, format!("{preferred}_pairs"));
        let body = format!(
            "SELECT DISTINCT {r}.{p} AS {p}, {}{x} AS {xv}\nFROM {r}\nWHERE {}",
            with_dim(&r),
            conditions.join("\n  AND ")
        );
        self.query.add(&pairs_key, pairs.clone(), &body);
        // Each pair with the value's previous pair.
        let pa = self.id(&pairs);
        let prev = self.id("_prev");
        let partition = match &dim {
            Some(d) => format!("{pa}.{d}, {pa}.{xv}"),
            None => format!("{pa}.{xv}"),
        };
        let previous_key = format!("{key} previous");
        let previous = self
            .query
            .names
            .claim(&previous_key, format!("{preferred}_previous"));
        let body = format!(
            "SELECT {pa}.*, LAG({pa}.{p}) OVER (PARTITION BY {partition} ORDER BY {pa}.{p}) AS {prev}\nFROM {pa}"
        );
        self.query.add(&previous_key, previous.clone(), &body);
        // Where each pair's new coverage starts (+1) and ends (-1).
        let c = self.id(&previous);
        let end = |q: &str| -> Option<String> {
            Some(match window {
                Window::Duration { .. } | Window::Months { .. } => {
                    let k = whole_periods(window, grain).expect("an aligned window");
                    self.d.add_periods(q, grain, k)
                }
                Window::ToDate { grain: unit } => {
                    self.d
                        .add_periods(&self.d.period_start(unit, q, ScalarType::Date), unit, 1)
                }
                Window::All => return None,
            })
        };
        let d_ = self.id("_d");
        let body = match end(&format!("{c}.{p}")) {
            Some(end_q) => {
                let end_prev = end(&format!("{c}.{prev}")).expect("a bounded window");
                format!(
                    "SELECT CASE WHEN {c}.{prev} IS NULL OR {end_prev} <= {c}.{p} THEN {c}.{p} ELSE {end_prev} END AS {p}, {}1 AS {d_}\nFROM {c}\nUNION ALL\nSELECT {end_q} AS {p}, {}-1 AS {d_}\nFROM {c}",
                    with_dim(&c),
                    with_dim(&c),
                )
            }
            None => format!(
                "SELECT {c}.{p} AS {p}, {}1 AS {d_}\nFROM {c}\nWHERE {c}.{prev} IS NULL",
                with_dim(&c)
            ),
        };
        let deltas_key = format!("{key} deltas");
        let deltas = self
            .query
            .names
            .claim(&deltas_key, format!("{preferred}_deltas"));
        self.query.add(&deltas_key, deltas.clone(), &body);
        let de = self.id(&deltas);
        let group = match &dim {
            Some(d) => format!("{de}.{p}, {de}.{d}"),
            None => format!("{de}.{p}"),
        };
        let counts_key = format!("{key} changes");
        let counts = self
            .query
            .names
            .claim(&counts_key, format!("{preferred}_changes"));
        let body = format!(
            "SELECT {de}.{p} AS {p}, {}SUM({de}.{d_}) AS {d_}\nFROM {de}\nGROUP BY {group}",
            with_dim(&de)
        );
        self.query.add(&counts_key, counts.clone(), &body);
        // The running sum over the calendar.
        let (ca, n) = (self.id(&calendar), self.id(&counts));
        let mut on = vec![format!("{n}.{p} = {ca}.{p}")];
        if let Some(d) = &dim {
            on.push(self.d.same(&format!("{n}.{d}"), &format!("{ca}.{d}")));
        }
        let over = match &dim {
            Some(d) => format!("PARTITION BY {ca}.{d} ORDER BY {ca}.{p}"),
            None => format!("ORDER BY {ca}.{p}"),
        };
        let count = format!(
            "SUM(COALESCE({n}.{d_}, 0)) OVER ({over} ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)"
        );
        let value = if factor == 1.0 {
            count
        } else {
            format!("({} * {})", self.d.to_float(&count), number(factor))
        };
        let body = format!(
            "SELECT {ca}.{p} AS {p}, {}{value} AS {}\nFROM {ca}\nLEFT JOIN {n} ON {}",
            with_dim(&ca),
            self.id(VALUE),
            on.join(" AND ")
        );
        self.query.add(key, name, &body);
    }

    /// `fill`: the series `core` with every period between its first and
    /// last period with a value (per value of `by`) that has none set to
    /// `fill`.
    pub(super) fn filled(
        &mut self,
        (key, name): (&str, Rc<str>),
        preferred: &str,
        core: &str,
        (grain, by): (Grain, Option<&str>),
        fill: f64,
    ) -> Rc<str> {
        let s = self.id(core);
        let v = self.id(VALUE);
        let fill_key = format!("{key} fill");
        let fill_name = format!("{preferred}_fill");
        let span = self.span(
            &fill_key,
            format!("{fill_name}_span"),
            core,
            Some(&format!("{s}.{v} IS NOT NULL")),
            by,
        );
        let calendar = self.calendar(&fill_key, &fill_name, &span, grain, by);
        let c = self.id(&calendar);
        let p = self.id(PERIOD);
        let mut on = vec![format!("{s}.{p} = {c}.{p}")];
        let mut select = vec![format!("{c}.{p} AS {p}")];
        if let Some(dim) = by {
            let d = self.id(dim);
            on.push(self.d.same(&format!("{s}.{d}"), &format!("{c}.{d}")));
            select.push(format!("{c}.{d} AS {d}"));
        }
        select.push(format!("COALESCE({s}.{v}, {}) AS {v}", number(fill)));
        let body = format!(
            "SELECT\n  {}\nFROM {c}\nLEFT JOIN {s} ON {}",
            select.join(",\n  "),
            on.join(" AND ")
        );
        self.query.add(key, name.clone(), &body);
        name
    }

    /// The table a source's rows are read from (the run's copy of a file
    /// source when it keeps one).
    pub(in crate::sql) fn table_of(&self, source: &Source) -> Result<String, Unsupported> {
        match self.origin.source_table(&source.name) {
            Some(kept) => Ok(self.id(kept)),
            None => self
                .d
                .table(&source.origin)
                .ok_or_else(|| Unsupported::file_source(self.d.name(), source)),
        }
    }
}
