//! `cpic run`: every metric, target and link computed on a database.
//!
//! **Invariant: the semantics live in the SQL backend only.** This stage
//! executes the one-scan source queries, the series of derived metrics, the
//! link evidence queries and the targets query, and reads their results; it
//! computes nothing about the data itself beyond picking the latest
//! complete period of a series.

pub mod db;
pub mod report;

use std::collections::BTreeSet;

use serde::Serialize;

use crate::date::Date;
use crate::diag::Diagnostic;
use crate::model::{Link, LinkStatus, Measure, Metric, Model};
use crate::sql::{self, DialectName, Options, SqlRequestError};
use db::{Cell, ColumnKind, Database};

/// What to run and as of when.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Only these metrics (and the links that touch them); empty: all.
    pub metrics: Vec<String>,
    /// Only periods that start on or after this date.
    pub since: Option<Date>,
    /// Periods that end after this date are not complete.
    pub today: Date,
    /// Also fetch the pairs behind every link's evidence (for charts).
    pub pairs: bool,
}

/// One period of a series.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Point {
    pub period: Date,
    pub value: f64,
}

/// The target active on the latest complete period, and where the value is.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TargetStatus {
    pub low: f64,
    pub high: f64,
    /// `below`, `within` or `above`.
    pub status: String,
    /// Within the range, or beyond it on the better side.
    pub good: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct MetricResult<'m> {
    #[serde(skip)]
    pub metric: &'m Metric,
    /// Every period with a value, oldest first.
    pub series: Vec<Point>,
    /// The last period that ended on or before today and has a value.
    pub latest: Option<Point>,
    /// The period just before `latest`, when it has a value.
    pub previous: Option<Point>,
    pub target: Option<TargetStatus>,
}

impl MetricResult<'_> {
    /// `latest - previous`.
    pub fn change(&self) -> Option<f64> {
        Some(self.latest?.value - self.previous?.value)
    }

    /// Whether the change is an improvement for the metric's direction
    /// (None when there is no change to judge).
    pub fn change_is_better(&self) -> Option<bool> {
        let change = self.change()?;
        if change == 0.0 {
            return None;
        }
        Some((change > 0.0) == (self.metric.direction == crate::model::Direction::Higher))
    }
}

/// One pair behind a link's evidence: the left metric in `period` and the
/// right metric `lag` periods later.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Pair {
    pub period: Date,
    pub x: f64,
    pub y: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct LinkResult<'m> {
    #[serde(skip)]
    pub link: &'m Link,
    /// Only with `RunOptions::pairs`.
    #[serde(skip)]
    pub pairs: Vec<Pair>,
    pub n: f64,
    pub r: Option<f64>,
    pub slope: Option<f64>,
    pub t: Option<f64>,
    pub r_diff: Option<f64>,
    pub expected_sign: i8,
    /// `supports`, `contradicts` or `inconclusive`.
    pub verdict: String,
}

impl LinkResult<'_> {
    /// A warning when the declared status disagrees with the data.
    pub fn disagreement(&self) -> Option<String> {
        match (self.link.status, self.verdict.as_str()) {
            (LinkStatus::Confirmed, "contradicts") => {
                Some("declared `confirmed`, but the data contradicts it".to_string())
            }
            (LinkStatus::Refuted, "supports") => {
                Some("declared `refuted`, but the data supports it".to_string())
            }
            _ => None,
        }
    }
}

/// Everything a run computed.
#[derive(Clone, Debug)]
pub struct Report<'m> {
    pub model: &'m Model,
    pub database: String,
    pub today: Date,
    pub since: Option<Date>,
    /// CPIs first, then KPIs; by name within each.
    pub metrics: Vec<MetricResult<'m>>,
    pub links: Vec<LinkResult<'m>>,
}

/// Why a run failed.
#[derive(Debug)]
pub enum RunError {
    /// `--metric` names no metric.
    NoSuchMetric(String),
    /// The spec cannot be compiled to the database's dialect.
    Unsupported(Vec<Diagnostic>),
    /// The database rejected a query.
    Query {
        /// What the query computes (`source quotes (metrics a, b)`).
        what: String,
        database: String,
        message: String,
    },
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::NoSuchMetric(name) => write!(f, "no metric named `{name}`"),
            RunError::Unsupported(d) => {
                write!(f, "{} problem(s) with this database's dialect", d.len())
            }
            RunError::Query {
                what,
                database,
                message,
            } => {
                write!(f, "cannot compute {what} on {database}: {message}")
            }
        }
    }
}

/// One query of a run, for progress reporting.
pub struct Step {
    pub what: String,
    sql: String,
    kind: StepKind,
}

enum StepKind {
    /// A source scan: `period`, then one column per metric.
    Scan(Vec<String>),
    /// A derived metric's series: `period`, `value`.
    Series(String),
    Link(usize),
    /// The pairs of a link: `period`, `x`, `y`.
    LinkPairs(usize),
    Targets,
}

/// The queries a run executes, in order, before any is run: a spec that
/// cannot be compiled for the database fails before the database is used.
pub fn plan(
    model: &Model,
    dialect: DialectName,
    options: &RunOptions,
) -> Result<Vec<Step>, RunError> {
    let wanted = wanted_metrics(model, options)?;
    let sql_options = Options {
        as_of: Some(options.today),
        since: options.since,
    };
    let needed = needed_series(model, &wanted);
    let mut steps = Vec::new();
    let mut problems = Vec::new();
    let mut push = |what: String, kind: StepKind, result: Result<String, SqlRequestError>| {
        if let Some(sql) = sql::sql_or_problems(result, &mut problems) {
            steps.push(Step { what, sql, kind });
        }
    };
    // One generator: the series the queries share are built once.
    let queries = sql::Generator::new(model, dialect, &sql_options);
    for scan in sql::source_scans(model) {
        if !scan
            .metrics
            .iter()
            .any(|m| needed.contains(m.name.as_str()))
        {
            continue;
        }
        let names: Vec<String> = scan.metrics.iter().map(|m| m.name.clone()).collect();
        let what = format!(
            "source `{}` (metrics {})",
            scan.source.name,
            names.join(", ")
        );
        push(what, StepKind::Scan(names), queries.source_scan(&scan));
    }
    for m in &model.metrics {
        if matches!(m.measure, Measure::Derived { .. }) && needed.contains(m.name.as_str()) {
            let what = format!("metric `{}`", m.name);
            let result = queries.metric_series(&m.name, None);
            push(what, StepKind::Series(m.name.clone()), result);
        }
    }
    for (i, l) in model.links.iter().enumerate() {
        if wanted.contains(l.from.as_str()) || wanted.contains(l.to.as_str()) {
            let what = format!("link `{} -> {}`", l.from, l.to);
            push(
                what,
                StepKind::Link(i),
                queries.link_evidence(&l.from, &l.to),
            );
            if options.pairs {
                push(
                    format!("pairs of link `{} -> {}`", l.from, l.to),
                    StepKind::LinkPairs(i),
                    queries.link_pairs(&l.from, &l.to),
                );
            }
        }
    }
    if model
        .metrics
        .iter()
        .any(|m| !m.targets.is_empty() && wanted.contains(m.name.as_str()))
    {
        push(
            "target status".to_string(),
            StepKind::Targets,
            queries.target_status(),
        );
    }
    if problems.is_empty() {
        Ok(steps)
    } else {
        crate::diag::sort(&mut problems);
        Err(RunError::Unsupported(problems))
    }
}

/// The metrics the report shows.
fn wanted_metrics<'m>(
    model: &'m Model,
    options: &RunOptions,
) -> Result<BTreeSet<&'m str>, RunError> {
    if options.metrics.is_empty() {
        return Ok(model.metrics.iter().map(|m| m.name.as_str()).collect());
    }
    options
        .metrics
        .iter()
        .map(|name| {
            model
                .metric(name)
                .map(|m| m.name.as_str())
                .ok_or_else(|| RunError::NoSuchMetric(name.clone()))
        })
        .collect()
}

/// The metrics whose series must be computed: the wanted ones and the
/// other ends of their links.
fn needed_series<'m>(model: &'m Model, wanted: &BTreeSet<&'m str>) -> BTreeSet<&'m str> {
    let mut needed = wanted.clone();
    for l in &model.links {
        if wanted.contains(l.from.as_str()) || wanted.contains(l.to.as_str()) {
            needed.insert(l.from.as_str());
            needed.insert(l.to.as_str());
        }
    }
    needed
}

/// Runs a query with every column read back as a double or as text,
/// whatever types the engine chose (the query is wrapped in casts).
fn fetch(
    db: &mut Database,
    sql: &str,
    dialect: DialectName,
    columns: &[(&str, ColumnKind)],
) -> Result<Vec<Vec<Cell>>, String> {
    let kinds: Vec<ColumnKind> = columns.iter().map(|c| c.1).collect();
    db.query(&read_as(sql, dialect, columns), &kinds)
}

/// The wrapping query of `fetch`.
fn read_as(sql: &str, dialect: DialectName, columns: &[(&str, ColumnKind)]) -> String {
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

fn period(cell: &Cell) -> Option<Date> {
    cell.text().and_then(|t| Date::parse(t.get(..10)?))
}

/// The periods with a value in column `column` (the period is column 0).
fn points(rows: &[Vec<Cell>], column: usize) -> Vec<Point> {
    rows.iter()
        .filter_map(|r| {
            Some(Point {
                period: period(&r[0])?,
                value: r[column].number()?,
            })
        })
        .collect()
}

/// Runs the plan on `db`, calling `progress` after each query.
pub fn execute<'m>(
    model: &'m Model,
    db: &mut Database,
    database: &str,
    dialect: DialectName,
    options: &RunOptions,
    steps: &[Step],
    progress: &mut dyn FnMut(&Step),
) -> Result<Report<'m>, RunError> {
    let wanted = wanted_metrics(model, options)?;
    let mut series: std::collections::BTreeMap<String, Vec<Point>> = Default::default();
    let mut links = Vec::new();
    let mut targets: std::collections::BTreeMap<String, TargetStatus> = Default::default();
    let fail = |step: &Step, message: String| RunError::Query {
        what: step.what.clone(),
        database: database.to_string(),
        message,
    };
    for step in steps {
        match &step.kind {
            StepKind::Scan(names) => {
                let mut columns = vec![("period", ColumnKind::Text)];
                columns.extend(names.iter().map(|n| (n.as_str(), ColumnKind::Number)));
                let rows = fetch(db, &step.sql, dialect, &columns).map_err(|e| fail(step, e))?;
                for (i, name) in names.iter().enumerate() {
                    series.insert(name.clone(), points(&rows, i + 1));
                }
            }
            StepKind::Series(name) => {
                let columns = [("period", ColumnKind::Text), ("value", ColumnKind::Number)];
                let rows = fetch(db, &step.sql, dialect, &columns).map_err(|e| fail(step, e))?;
                series.insert(name.clone(), points(&rows, 1));
            }
            StepKind::Link(i) => {
                let link = &model.links[*i];
                let columns = [
                    ("n", ColumnKind::Number),
                    ("r", ColumnKind::Number),
                    ("slope", ColumnKind::Number),
                    ("t", ColumnKind::Number),
                    ("r_diff", ColumnKind::Number),
                    ("verdict", ColumnKind::Text),
                ];
                let rows = fetch(db, &step.sql, dialect, &columns).map_err(|e| fail(step, e))?;
                let row = rows
                    .first()
                    .ok_or_else(|| fail(step, "the query returned no row".to_string()))?;
                links.push(LinkResult {
                    link,
                    pairs: Vec::new(),
                    n: row[0].number().unwrap_or(0.0),
                    r: row[1].number(),
                    slope: row[2].number(),
                    t: row[3].number(),
                    r_diff: row[4].number(),
                    expected_sign: link.expected_sign,
                    verdict: row[5].text().unwrap_or("inconclusive").to_string(),
                });
            }
            StepKind::LinkPairs(i) => {
                let columns = [
                    ("period", ColumnKind::Text),
                    ("x", ColumnKind::Number),
                    ("y", ColumnKind::Number),
                ];
                let rows = fetch(db, &step.sql, dialect, &columns).map_err(|e| fail(step, e))?;
                let pairs = rows
                    .iter()
                    .filter_map(|r| {
                        Some(Pair {
                            period: period(&r[0])?,
                            x: r[1].number()?,
                            y: r[2].number()?,
                        })
                    })
                    .collect();
                // `plan` puts a link's pairs right after its evidence.
                let result = links
                    .last_mut()
                    .filter(|l| std::ptr::eq(l.link, &model.links[*i]))
                    .expect("the evidence step precedes the pairs step");
                result.pairs = pairs;
            }
            StepKind::Targets => {
                let columns = [
                    ("metric", ColumnKind::Text),
                    ("low", ColumnKind::Number),
                    ("high", ColumnKind::Number),
                    ("status", ColumnKind::Text),
                    ("good", ColumnKind::Text),
                ];
                let rows = fetch(db, &step.sql, dialect, &columns).map_err(|e| fail(step, e))?;
                for r in rows {
                    let (Some(metric), Some(low), Some(high), Some(status)) =
                        (r[0].text(), r[1].number(), r[2].number(), r[3].text())
                    else {
                        continue;
                    };
                    let good = matches!(r[4].text(), Some("true" | "1" | "t"));
                    targets.insert(
                        metric.to_string(),
                        TargetStatus {
                            low,
                            high,
                            status: status.to_string(),
                            good,
                        },
                    );
                }
            }
        }
        progress(step);
    }
    let mut metrics: Vec<MetricResult> = model
        .metrics
        .iter()
        .filter(|m| wanted.contains(m.name.as_str()))
        .map(|m| {
            let points = series.remove(&m.name).unwrap_or_default();
            let complete = |p: &&Point| m.grain.add(p.period, 1) <= options.today;
            let latest = points.iter().rfind(complete).copied();
            let previous = latest.and_then(|l| {
                let before = m.grain.add(l.period, -1);
                points.iter().find(|p| p.period == before).copied()
            });
            MetricResult {
                metric: m,
                series: points,
                latest,
                previous,
                target: targets.remove(&m.name),
            }
        })
        .collect();
    metrics.sort_by_key(|r| {
        (
            r.metric.kind != crate::model::MetricKind::Cpi,
            r.metric.name.clone(),
        )
    });
    Ok(Report {
        model,
        database: database.to_string(),
        today: options.today,
        since: options.since,
        metrics,
        links,
    })
}
