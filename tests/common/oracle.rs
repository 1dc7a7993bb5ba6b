//! A reference evaluator of checked metrics over CSV rows, written
//! independently of the SQL backend: the oracle the end-to-end tests hold
//! `cpic run` to. It follows LANGUAGE.md section 6 literally (rows grouped
//! by period, SQL's three-valued logic, continuous percentiles, division by
//! zero gives no value).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use cpic::date::Date;
use cpic::model::{
    AggFunc, ColumnType, Grain, Measure, Metric, Model, Origin, ScalarType, Snapshot, Source,
    TExpr, TExprKind, Type, Window,
};
use cpic::syntax::ast::BinOp;

#[derive(Clone, Debug, PartialEq)]
pub enum V {
    Null,
    Num(f64),
    Text(String),
    Bool(bool),
    /// Days since the epoch.
    Date(i64),
    /// Seconds since the epoch.
    Ts(f64),
}

impl V {
    fn num(&self) -> Option<f64> {
        match self {
            V::Num(n) => Some(*n),
            V::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
            _ => None,
        }
    }
}

/// A source's rows, columns by name.
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<V>>,
}

fn parse_timestamp(text: &str) -> f64 {
    let date = Date::parse(&text[..10]).unwrap_or_else(|| panic!("a timestamp: {text}"));
    let time = &text[11..];
    let mut parts = time.split(':');
    let h: f64 = parts.next().expect("hours").parse().expect("hours");
    let m: f64 = parts.next().expect("minutes").parse().expect("minutes");
    let s: f64 = parts.next().expect("seconds").parse().expect("seconds");
    date.days_since_epoch() as f64 * 86_400.0 + h * 3600.0 + m * 60.0 + s
}

/// Reads a CSV without quoted fields (the example data has none), typed by
/// the source's declared columns; empty fields are NULL.
pub fn load_csv(path: &Path, source: &Source) -> Table {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines();
    let columns: Vec<String> = lines
        .next()
        .expect("a header")
        .split(',')
        .map(str::to_string)
        .collect();
    let types: Vec<Option<&ColumnType>> = columns
        .iter()
        .map(|c| source.column(c).map(|c| &c.ty))
        .collect();
    let rows = lines
        .map(|line| {
            line.split(',')
                .zip(&types)
                .map(|(field, ty)| match (field, ty) {
                    ("", _) => V::Null,
                    (f, Some(ColumnType::Scalar(ScalarType::Bool))) => V::Bool(f == "true"),
                    (f, Some(ColumnType::Scalar(ScalarType::Date))) => {
                        V::Date(Date::parse(f).expect("a date").days_since_epoch())
                    }
                    (f, Some(ColumnType::Scalar(ScalarType::Timestamp))) => {
                        V::Ts(parse_timestamp(f))
                    }
                    (f, Some(ColumnType::Scalar(ScalarType::Text)) | None) => {
                        V::Text(f.to_string())
                    }
                    (f, Some(_)) => V::Num(f.parse().unwrap_or_else(|_| panic!("a number: {f}"))),
                })
                .collect()
        })
        .collect();
    Table { columns, rows }
}

/// Loads every source of the model: `file:` sources from their path,
/// `table:` sources from `data/<last part of the name>.csv`.
pub fn load_sources(model: &Model, root: &Path) -> BTreeMap<String, Table> {
    model
        .sources
        .iter()
        .map(|s| {
            let path = match &s.origin {
                Origin::File(p) => root.join(p),
                Origin::Table(t) => root
                    .join("data")
                    .join(format!("{}.csv", t.rsplit('.').next().expect("a name"))),
            };
            (s.name.clone(), load_csv(&path, s))
        })
        .collect()
}

struct Row<'a> {
    table: &'a Table,
    values: &'a [V],
}

impl Row<'_> {
    fn get(&self, column: &str) -> V {
        let i = self
            .table
            .columns
            .iter()
            .position(|c| c == column)
            .unwrap_or_else(|| panic!("no column {column}"));
        self.values[i].clone()
    }
}

fn truth(v: &V) -> Option<bool> {
    match v {
        V::Bool(b) => Some(*b),
        V::Null => None,
        other => panic!("not a boolean: {other:?}"),
    }
}

fn compare(op: BinOp, l: &V, r: &V) -> V {
    use std::cmp::Ordering;
    let ordering = match (l, r) {
        (V::Null, _) | (_, V::Null) => return V::Null,
        (V::Text(a), V::Text(b)) => a.cmp(b),
        (V::Date(a), V::Date(b)) => a.cmp(b),
        (V::Date(a), V::Ts(b)) => (*a as f64 * 86_400.0).total_cmp(b),
        (V::Ts(a), V::Date(b)) => a.total_cmp(&(*b as f64 * 86_400.0)),
        (V::Ts(a), V::Ts(b)) => a.total_cmp(b),
        (V::Bool(a), V::Bool(b)) => a.cmp(b),
        (a, b) => a
            .num()
            .expect("a number")
            .total_cmp(&b.num().expect("a number")),
    };
    V::Bool(match op {
        BinOp::Eq => ordering == Ordering::Equal,
        BinOp::Ne => ordering != Ordering::Equal,
        BinOp::Lt => ordering == Ordering::Less,
        BinOp::Le => ordering != Ordering::Greater,
        BinOp::Gt => ordering == Ordering::Greater,
        BinOp::Ge => ordering != Ordering::Less,
        _ => unreachable!(),
    })
}

fn binary(op: BinOp, l: V, r: V, left_ty: &Type) -> V {
    match op {
        BinOp::And => match (truth(&l), truth(&r)) {
            (Some(false), _) | (_, Some(false)) => V::Bool(false),
            (Some(true), Some(true)) => V::Bool(true),
            _ => V::Null,
        },
        BinOp::Or => match (truth(&l), truth(&r)) {
            (Some(true), _) | (_, Some(true)) => V::Bool(true),
            (Some(false), Some(false)) => V::Bool(false),
            _ => V::Null,
        },
        BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
            compare(op, &l, &r)
        }
        BinOp::Sub if *left_ty == Type::Timestamp || *left_ty == Type::Date => match (l, r) {
            (V::Ts(a), V::Ts(b)) => V::Num(a - b),
            (V::Date(a), V::Date(b)) => V::Num((a - b) as f64),
            _ => V::Null,
        },
        _ => {
            let (Some(a), Some(b)) = (l.num(), r.num()) else {
                return V::Null;
            };
            match op {
                BinOp::Add => V::Num(a + b),
                BinOp::Sub => V::Num(a - b),
                BinOp::Mul => V::Num(a * b),
                BinOp::Div if b == 0.0 => V::Null,
                BinOp::Div => V::Num(a / b),
                _ => unreachable!(),
            }
        }
    }
}

/// What an expression reads besides its rows: every source (for
/// `followed_by`), the time column of the rows, and the other metrics'
/// values in the period (a metric and how many periods before).
struct Env<'a> {
    tables: &'a BTreeMap<String, Table>,
    time: &'a str,
    metrics: &'a dyn Fn(&str, i64) -> V,
}

/// A time value in seconds since the epoch (a date at its midnight).
fn seconds(v: &V) -> Option<f64> {
    match v {
        V::Date(d) => Some(*d as f64 * 86_400.0),
        V::Ts(s) => Some(*s),
        _ => None,
    }
}

/// Evaluates `e` for a group of rows (aggregates) or one row (`row`).
fn eval(e: &TExpr, rows: &[Row], row: Option<&Row>, env: &Env) -> V {
    let go = |x: &TExpr| eval(x, rows, row, env);
    match &e.kind {
        TExprKind::Column { name } => row.expect("a row context").get(name),
        TExprKind::Metric { name } => (env.metrics)(name, 0),
        TExprKind::Prior { metric, periods } => (env.metrics)(metric, *periods),
        TExprKind::FollowedBy {
            source,
            column,
            time,
            within,
            filter,
            ..
        } => {
            // LANGUAGE.md section 5, literally: another row of SOURCE with
            // the same non-null COLUMN, its time in [t, t + WINDOW].
            let row = row.expect("a row context");
            let value = row.get(column);
            let Some(t) = seconds(&row.get(env.time)) else {
                return V::Bool(false);
            };
            if value == V::Null {
                return V::Bool(false);
            }
            let table = &env.tables[source];
            let inner = Env { time, ..*env };
            let found = table.rows.iter().any(|values| {
                let other = Row { table, values };
                let Some(theirs) = seconds(&other.get(time)) else {
                    return false;
                };
                compare(BinOp::Eq, &other.get(column), &value) == V::Bool(true)
                    && theirs >= t
                    && theirs <= t + within
                    && filter
                        .as_ref()
                        .is_none_or(|f| truth(&eval(f, &[], Some(&other), &inner)) == Some(true))
            });
            V::Bool(found)
        }
        TExprKind::Number { value } => V::Num(*value),
        TExprKind::Str { value } => V::Text(value.clone()),
        TExprKind::Bool { value } => V::Bool(*value),
        TExprKind::Date { value } => V::Date(value.days_since_epoch()),
        TExprKind::Null => V::Null,
        TExprKind::Neg { operand } => go(operand).num().map_or(V::Null, |n| V::Num(-n)),
        TExprKind::Not { operand } => truth(&go(operand)).map_or(V::Null, |b| V::Bool(!b)),
        TExprKind::Binary { op, left, right } => binary(*op, go(left), go(right), &left.ty),
        TExprKind::IsNull { operand, negated } => V::Bool((go(operand) == V::Null) != *negated),
        TExprKind::InList {
            operand,
            list,
            negated,
        } => {
            let v = go(operand);
            if v == V::Null {
                return V::Null;
            }
            let found = list
                .iter()
                .any(|item| compare(BinOp::Eq, &v, &go(item)) == V::Bool(true));
            V::Bool(found != *negated)
        }
        TExprKind::Coalesce { args } => args
            .iter()
            .map(go)
            .find(|v| *v != V::Null)
            .unwrap_or(V::Null),
        TExprKind::Scale { factor, operand } => {
            go(operand).num().map_or(V::Null, |n| V::Num(n * factor))
        }
        TExprKind::Aggregate {
            func,
            arg,
            fraction,
            filter,
        } => {
            let selected: Vec<&Row> = rows
                .iter()
                .filter(|r| {
                    filter
                        .as_ref()
                        .is_none_or(|f| truth(&eval(f, rows, Some(r), env)) == Some(true))
                })
                .collect();
            let values: Vec<V> = match arg {
                Some(a) => selected
                    .iter()
                    .map(|r| eval(a, rows, Some(r), env))
                    .filter(|v| *v != V::Null)
                    .collect(),
                None => Vec::new(),
            };
            let numbers: Vec<f64> = values.iter().filter_map(V::num).collect();
            match func {
                AggFunc::Count if arg.is_none() => V::Num(selected.len() as f64),
                AggFunc::Count => V::Num(values.len() as f64),
                AggFunc::CountDistinct => {
                    let distinct: BTreeSet<String> =
                        values.iter().map(|v| format!("{v:?}")).collect();
                    V::Num(distinct.len() as f64)
                }
                _ if numbers.is_empty() => V::Null,
                AggFunc::Sum => V::Num(numbers.iter().sum()),
                AggFunc::Avg => V::Num(numbers.iter().sum::<f64>() / numbers.len() as f64),
                AggFunc::Min => V::Num(numbers.iter().copied().fold(f64::INFINITY, f64::min)),
                AggFunc::Max => V::Num(numbers.iter().copied().fold(f64::NEG_INFINITY, f64::max)),
                AggFunc::Median | AggFunc::Percentile => {
                    let mut sorted = numbers;
                    sorted.sort_by(f64::total_cmp);
                    let h = (sorted.len() - 1) as f64 * fraction.unwrap_or(0.5);
                    let lo = h.floor() as usize;
                    let hi = (lo + 1).min(sorted.len() - 1);
                    V::Num(sorted[lo] + (sorted[hi] - sorted[lo]) * (h - lo as f64))
                }
            }
        }
    }
}

/// A metric's series at `grain`: every period with rows (after the filter),
/// and its value there (None when the measure has none).
pub fn series(
    model: &Model,
    tables: &BTreeMap<String, Table>,
    metric: &Metric,
    grain: Grain,
) -> BTreeMap<Date, Option<f64>> {
    series_of(model, tables, metric, grain, None)
}

/// The time of a row as (its day, its instant in seconds).
fn when(v: &V) -> Option<(Date, f64)> {
    match v {
        V::Date(d) => Some((Date::from_days_since_epoch(*d), *d as f64 * 86_400.0)),
        V::Ts(s) => Some((
            Date::from_days_since_epoch((s / 86_400.0).floor() as i64),
            *s,
        )),
        V::Null => None,
        other => panic!("not a time: {other:?}"),
    }
}

/// `date` moved by whole calendar months, at the month's last day when
/// the day does not exist there.
fn add_months(date: Date, months: i64) -> Date {
    let total = i64::from(date.year) * 12 + i64::from(date.month) - 1 + months;
    let (year, month) = (total.div_euclid(12) as i32, total.rem_euclid(12) as u32 + 1);
    (1..=date.day)
        .rev()
        .find_map(|day| Date::from_ymd(year, month, day))
        .expect("a day of the month")
}

/// The first instant (seconds) period `start`'s window holds, None for
/// `all` (LANGUAGE.md section 2, `window`).
fn window_start(window: Window, grain: Grain, start: Date) -> Option<f64> {
    let end = grain.add(start, 1);
    let day = |d: Date| d.days_since_epoch() as f64 * 86_400.0;
    match window {
        Window::Duration { seconds } => Some(day(end) - seconds),
        Window::Months { months } => Some(day(add_months(end, -months))),
        Window::ToDate { grain: unit } => Some(day(unit.period_start(start))),
        Window::All => None,
    }
}

/// The periods from `first` to `last`.
fn periods(grain: Grain, first: Date, last: Date) -> Vec<Date> {
    let mut out = vec![first];
    while let Some(&p) = out.last().filter(|p| **p < last) {
        out.push(grain.add(p, 1));
    }
    out
}

/// [`series`], for the rows whose `dim` is a value (`Some(dim, value)`:
/// the metric per dimension value is the metric over those rows).
pub fn series_of(
    model: &Model,
    tables: &BTreeMap<String, Table>,
    metric: &Metric,
    grain: Grain,
    only: Option<(&str, &V)>,
) -> BTreeMap<Date, Option<f64>> {
    let no_metrics = |_: &str, _: i64| V::Null;
    let mut series: BTreeMap<Date, Option<f64>> = match &metric.measure {
        Measure::Source(cpic::model::SourceMeasure {
            source,
            time,
            expr,
            filter,
            ..
        }) => {
            let table = &tables[source];
            let env = Env {
                tables,
                time,
                metrics: &no_metrics,
            };
            // The metric's rows: a time, the dimension value, the filter.
            let mut rows: Vec<(Date, f64, Row)> = Vec::new();
            for values in &table.rows {
                let row = Row { table, values };
                let Some((day, instant)) = when(&row.get(time)) else {
                    continue;
                };
                if let Some((dim, value)) = only {
                    if row.get(dim) != *value {
                        continue;
                    }
                }
                if let Some(f) = filter {
                    if truth(&eval(f, &[], Some(&row), &env)) != Some(true) {
                        continue;
                    }
                }
                rows.push((grain.period_start(day), instant, row));
            }
            let value = |group: &[&Row]| {
                let group: Vec<Row> = group
                    .iter()
                    .map(|r| Row {
                        table: r.table,
                        values: r.values,
                    })
                    .collect();
                eval(expr, &group, None, &env).num()
            };
            match (metric.window, metric.snapshot) {
                (Some(window), _) => {
                    let (Some(first), Some(last)) = (
                        rows.iter().map(|r| r.0).min(),
                        rows.iter().map(|r| r.0).max(),
                    ) else {
                        return BTreeMap::new();
                    };
                    periods(grain, first, last)
                        .into_iter()
                        .map(|p| {
                            let end = grain.add(p, 1).days_since_epoch() as f64 * 86_400.0;
                            let start = window_start(window, grain, p);
                            let held: Vec<&Row> = rows
                                .iter()
                                .filter(|r| r.1 < end && start.is_none_or(|s| r.1 >= s))
                                .map(|r| &r.2)
                                .collect();
                            (p, value(&held))
                        })
                        .collect()
                }
                (None, snapshot) => {
                    let mut groups: BTreeMap<Date, Vec<(f64, &Row)>> = BTreeMap::new();
                    for (p, instant, row) in &rows {
                        groups.entry(*p).or_default().push((*instant, row));
                    }
                    groups
                        .into_iter()
                        .map(|(p, group)| {
                            let edge = match snapshot {
                                Some(Snapshot::Last) => {
                                    group.iter().map(|g| g.0).fold(f64::MIN, f64::max)
                                }
                                Some(Snapshot::First) => {
                                    group.iter().map(|g| g.0).fold(f64::MAX, f64::min)
                                }
                                None => f64::NAN,
                            };
                            let kept: Vec<&Row> = group
                                .iter()
                                .filter(|g| snapshot.is_none() || g.0 == edge)
                                .map(|g| g.1)
                                .collect();
                            (p, value(&kept))
                        })
                        .collect()
                }
            }
        }
        Measure::Derived { expr, .. } => {
            // What it reads: (metric, periods before), each once.
            let mut reads: Vec<(String, i64)> = Vec::new();
            expr.walk(&mut |e| {
                let read = match &e.kind {
                    TExprKind::Metric { name } => (name.clone(), 0),
                    TExprKind::Prior { metric, periods } => (metric.clone(), *periods),
                    _ => return,
                };
                if !reads.contains(&read) {
                    reads.push(read);
                }
            });
            let inputs: BTreeMap<&str, BTreeMap<Date, Option<f64>>> = reads
                .iter()
                .map(|(name, _)| {
                    let m = model.metric(name).expect("an input");
                    (name.as_str(), series(model, tables, m, grain))
                })
                .collect();
            let at = |name: &str, periods: i64, p: Date| -> Option<&Option<f64>> {
                inputs[name].get(&grain.add(p, -periods))
            };
            let (first_name, first_periods) = &reads[0];
            let candidates: Vec<Date> = inputs[first_name.as_str()]
                .keys()
                .map(|p| grain.add(*p, *first_periods))
                .collect();
            candidates
                .into_iter()
                .filter(|p| reads.iter().all(|(n, k)| at(n, *k, *p).is_some()))
                .map(|p| {
                    let value = |name: &str, periods: i64| {
                        at(name, periods, p)
                            .copied()
                            .flatten()
                            .map_or(V::Null, V::Num)
                    };
                    let env = Env {
                        tables,
                        time: "",
                        metrics: &value,
                    };
                    (p, eval(expr, &[], None, &env).num())
                })
                .collect()
        }
    };
    if let Some(fill) = metric.fill {
        // Every period between the first and the last with a value.
        let valued: Vec<Date> = series
            .iter()
            .filter(|(_, v)| v.is_some())
            .map(|(p, _)| *p)
            .collect();
        if let (Some(&first), Some(&last)) = (valued.first(), valued.last()) {
            for p in periods(grain, first, last) {
                let v = series.entry(p).or_insert(None);
                if v.is_none() {
                    *v = Some(fill);
                }
            }
        }
    }
    series
}

/// A link's evidence (LANGUAGE.md section 9) from the oracle's series:
/// the pairs whose later period ended by `today`, through the section 9
/// reference.
pub fn link(
    model: &Model,
    tables: &BTreeMap<String, Table>,
    link: &cpic::model::Link,
    today: Date,
) -> super::section9::Evidence {
    let pairs: Vec<(Date, f64, f64)> = link_pairs(model, tables, link)
        .into_iter()
        .filter(|(p, _, _)| link.grain.add(link.grain.add(*p, link.lag), 1) <= today)
        .collect();
    super::section9::evidence(&pairs, link.grain, link.expected_sign, link.min_periods)
}

/// The pairs behind a link: (period of FROM, FROM there, TO `lag` later).
pub fn link_pairs(
    model: &Model,
    tables: &BTreeMap<String, Table>,
    link: &cpic::model::Link,
) -> Vec<(Date, f64, f64)> {
    let xs = series(
        model,
        tables,
        model.metric(&link.from).expect("from"),
        link.grain,
    );
    let ys = series(
        model,
        tables,
        model.metric(&link.to).expect("to"),
        link.grain,
    );
    xs.iter()
        .filter_map(|(p, x)| Some((*p, (*x)?, (*ys.get(&link.grain.add(*p, link.lag))?)?)))
        .collect()
}
