//! `cpic run`: every metric, target and link computed on a database.
//!
//! **Invariant: the semantics live in the SQL backend only.** This stage
//! executes the one-scan source queries, the series of derived metrics, the
//! link evidence queries and the targets query, and reads their results; it
//! computes nothing about the data itself beyond picking the latest
//! complete period of a series.

pub mod db;
pub mod expectations;
pub mod experiments;
pub mod report;
pub mod spark_connect;
pub mod test_report;
pub mod words;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::date::Date;
use crate::diag::Diagnostic;
use crate::keyword::Keyword;
use crate::model::{Grain, Link, LinkStatus, Metric, Model};
use crate::sql::kept::Kept;
use crate::sql::results::{
    position, EffectColumn, EnrolmentColumn, LagColumn, LinkColumn, PairColumn, SeriesColumn,
    TargetColumn, TargetStatus, Verdict,
};
use crate::sql::{self, DialectName, Options, Unsupported};
use db::{Cell, ColumnKind, Database};
pub use experiments::{Effect, ExperimentResult, VariantUnits};

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
    /// Run the self-contained queries of `cpic sql` one by one instead of
    /// keeping series in temporary tables.
    pub standalone: bool,
    /// Only these experiments; empty: every experiment that analyses a
    /// metric of the run.
    pub experiments: Vec<String>,
}

/// One period of a series.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Point {
    pub period: Date,
    pub value: f64,
}

/// The target active on the latest complete period, and where the value is.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TargetResult {
    pub low: f64,
    pub high: f64,
    pub status: TargetStatus,
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
    pub target: Option<TargetResult>,
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
        Some((change > 0.0) == (self.metric.direction.sign() > 0))
    }
}

/// One pair behind a link's evidence: the left metric in `period` and the
/// right metric `lag` periods later.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Pair {
    pub period: Date,
    pub x: f64,
    pub y: f64,
    /// The changes section 9 correlates, when the period before has a
    /// pair (`PairColumn::U`, `V`).
    pub change: Option<(f64, f64)>,
}

/// What LANGUAGE.md section 9 says of a link, or of one of its segments
/// (the columns of `LinkColumn`; see there for each).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Evidence {
    pub n: i64,
    pub m: i64,
    pub r: Option<f64>,
    pub r_diff: Option<f64>,
    pub rho_from: Option<f64>,
    pub rho_to: Option<f64>,
    pub n_eff: Option<f64>,
    pub z: Option<f64>,
    pub p: Option<f64>,
    /// In the TO metric's unit per one unit of the FROM metric's.
    pub effect: Option<f64>,
    pub effect_low: Option<f64>,
    pub effect_high: Option<f64>,
    pub verdict: Verdict,
}

/// The evidence for one value of a link's `segments` dimension.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SegmentResult {
    pub segment: String,
    #[serde(flatten)]
    pub evidence: Evidence,
    /// Holm-adjusted across the segments (None when not tested).
    pub p_adjusted: Option<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct LinkResult<'m> {
    #[serde(skip)]
    pub link: &'m Link,
    /// Only with `RunOptions::pairs`.
    #[serde(skip)]
    pub pairs: Vec<Pair>,
    /// The pooled evidence: the link's verdict.
    #[serde(flatten)]
    pub evidence: Evidence,
    pub expected_sign: i8,
    /// Per value of the link's `segments` dimension, by value.
    pub segments: Vec<SegmentResult>,
    /// Only with `RunOptions::pairs`: (lag, n, r_diff) at lags 0 to
    /// `LAG_PROFILE_MAX`, context for the docs.
    #[serde(skip)]
    pub lags: Vec<(i64, i64, Option<f64>)>,
}

impl LinkResult<'_> {
    /// A warning when the declared status disagrees with the data.
    pub fn disagreement(&self) -> Option<String> {
        match (self.link.status, self.evidence.verdict) {
            (LinkStatus::Confirmed, Verdict::Contradicts) => {
                Some("declared `confirmed`, but the data contradicts it".to_string())
            }
            (LinkStatus::Refuted, Verdict::Supports) => {
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
    /// In the model's order (by name).
    pub experiments: Vec<ExperimentResult<'m>>,
    /// What the run has to say about how it ran (a fallback), one line
    /// each.
    pub notes: Vec<String>,
    /// The data expectations, when evaluated (`cpic run --test`, the
    /// docs with data); by name.
    pub expectations: Option<Vec<expectations::Outcome>>,
}

/// Why a run failed.
#[derive(Debug)]
pub enum RunError {
    /// `--metric` names no metric.
    NoSuchMetric(String),
    /// `--experiment` names no experiment.
    NoSuchExperiment(String),
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
            RunError::NoSuchExperiment(name) => write!(f, "no experiment named `{name}`"),
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
    pub phase: Phase,
    sql: String,
    kind: StepKind,
}

/// What a step computes, for `--timings` and the progress bar.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    /// The temporary tables of a run, and the links written into them.
    Tables,
    /// File sources read into tables.
    Sources,
    /// One scan per source, time column, grain (and dimension).
    Scans,
    /// Derived metrics from their inputs.
    Derived,
    /// The series shown, read back.
    Series,
    Links,
    /// The pairs and lag profiles of links (for the docs).
    Pairs,
    Targets,
    /// The temporary tables dropped.
    Cleanup,
    /// Experiments: their enrolment and effects.
    Experiments,
}

impl Phase {
    pub fn name(self) -> &'static str {
        match self {
            Phase::Tables => "tables",
            Phase::Sources => "sources",
            Phase::Scans => "scans",
            Phase::Derived => "derived series",
            Phase::Series => "series",
            Phase::Links => "links",
            Phase::Pairs => "pairs",
            Phase::Targets => "targets",
            Phase::Cleanup => "cleanup",
            Phase::Experiments => "experiments",
        }
    }
}

enum StepKind {
    /// A statement that returns nothing.
    Statement,
    /// A source scan: `period`, then one column per metric.
    Scan(Vec<String>),
    /// A derived metric's series (`SeriesColumn`).
    Series(String),
    /// The kept series shown: `_key`, then `SeriesColumn`.
    KeptSeries,
    /// A link's evidence (`LinkColumn`).
    Link(usize),
    /// The evidence of many links: `_link`, then `LinkColumn`.
    Links,
    /// The pairs of a link (`PairColumn`).
    LinkPairs(usize),
    /// The pairs of many links: `_link`, then `PairColumn`.
    LinksPairs,
    /// The lag profile of a link (`LagColumn`).
    LinkLags(usize),
    /// The lag profiles of many links: `_link`, then `LagColumn`.
    LinksLags,
    /// The status of every target (`TargetColumn`).
    Targets,
    /// An experiment's enrolment (`EnrolmentColumn`), by its index.
    Enrolment(usize),
    /// An experiment's effects (`EffectColumn`), by its index.
    Effects(usize),
}

/// What a run will do, decided before the database is used: a spec that
/// cannot be compiled for the database fails before it is opened.
pub struct Plan<'m> {
    pub dialect: DialectName,
    pub options: RunOptions,
    /// The metrics the report shows.
    wanted: BTreeSet<&'m str>,
    /// The queries, in the order they run.
    pub steps: Vec<Step>,
    /// What the run keeps on the database; None for the standalone
    /// queries.
    kept: Option<Kept>,
}

impl Plan<'_> {
    /// The phases of the plan, in order.
    pub fn phases(&self) -> Vec<Phase> {
        let mut phases: Vec<Phase> = self.steps.iter().map(|s| s.phase).collect();
        phases.dedup();
        phases
    }

    /// Whether the run keeps series in temporary tables.
    pub fn keeps_series(&self) -> bool {
        self.kept.is_some()
    }
}

/// Plans the queries of a run in the database's dialect: series kept in
/// temporary tables and every link of a grain in one query, or with
/// `RunOptions::standalone` the self-contained queries of `cpic sql`.
pub fn plan<'m>(
    model: &'m Model,
    dialect: DialectName,
    options: RunOptions,
) -> Result<Plan<'m>, RunError> {
    let wanted = wanted_metrics(model, &options)?;
    let sql_options = Options {
        as_of: Some(options.today),
        since: options.since,
    };
    let mut steps = Vec::new();
    let mut problems = Vec::new();
    let mut push =
        |what: String, phase: Phase, kind: StepKind, result: Result<String, Unsupported>| {
            if let Some(sql) = sql::sql_or_problems(result, &mut problems) {
                steps.push(Step {
                    what,
                    phase,
                    sql,
                    kind,
                });
            }
        };
    let links: Vec<usize> = model
        .links
        .iter()
        .enumerate()
        .filter(|(_, l)| wanted.contains(l.from.as_str()) || wanted.contains(l.to.as_str()))
        .map(|(i, _)| i)
        .collect();
    let targets = model
        .metrics
        .iter()
        .any(|m| !m.targets.is_empty() && wanted.contains(m.name.as_str()));
    let kept = if options.standalone || !dialect.dialect().temporary_tables() {
        standalone_steps(model, dialect, &sql_options, &wanted, &options, &mut push);
        None
    } else {
        let shown: Vec<&str> = model
            .metrics
            .iter()
            .map(|m| m.name.as_str())
            .filter(|m| wanted.contains(m))
            .collect();
        let kept = Kept::plan(model, &shown, &links, dialect == DialectName::Duckdb);
        kept_steps(
            model,
            dialect,
            &sql_options,
            &kept,
            &options,
            targets,
            &mut push,
        );
        Some(kept)
    };
    let queries = sql::Generator::new(model, dialect, &sql_options);
    for i in wanted_experiments(model, &options, &wanted)? {
        let e = &model.experiments[i];
        push(
            format!("enrolment of experiment {}", e.name),
            Phase::Experiments,
            StepKind::Enrolment(i),
            queries.enrolment(e),
        );
        push(
            format!("effects of experiment {}", e.name),
            Phase::Experiments,
            StepKind::Effects(i),
            queries.effects(e),
        );
    }
    if !problems.is_empty() {
        crate::diag::sort(&mut problems);
        return Err(RunError::Unsupported(problems));
    }
    Ok(Plan {
        dialect,
        options,
        wanted,
        steps,
        kept,
    })
}

/// The steps of a run that keeps series in temporary tables (see
/// [`sql::kept`]): the tables, the sources read once, a scan per source,
/// time column, grain (and dimension), the derived series, the series
/// shown, per link grain the evidence (and pairs and lag profiles) of
/// every link, the targets, and the tables dropped.
fn kept_steps(
    model: &Model,
    dialect: DialectName,
    sql_options: &Options,
    kept: &Kept,
    options: &RunOptions,
    targets: bool,
    push: &mut dyn FnMut(String, Phase, StepKind, Result<String, Unsupported>),
) {
    let queries = sql::Generator::for_run(model, dialect, sql_options, kept.clone());
    let statements =
        |push: &mut dyn FnMut(String, Phase, StepKind, Result<String, Unsupported>),
         phase: Phase,
         list: Result<Vec<sql::kept::Statement>, Unsupported>| match list {
            Ok(list) => {
                for s in list {
                    push(s.what, phase, StepKind::Statement, Ok(s.sql));
                }
            }
            Err(e) => push(String::new(), phase, StepKind::Statement, Err(e)),
        };
    statements(push, Phase::Tables, Ok(queries.kept_tables()));
    statements(push, Phase::Tables, Ok(queries.kept_settings().0));
    statements(push, Phase::Sources, Ok(queries.kept_sources()));
    statements(
        push,
        Phase::Scans,
        queries
            .kept_scans()
            .map(|s| s.into_iter().flatten().collect()),
    );
    statements(push, Phase::Derived, queries.kept_derived());
    statements(push, Phase::Derived, Ok(queries.kept_analyze()));
    push(
        "the series".to_string(),
        Phase::Series,
        StepKind::KeptSeries,
        Ok(queries.kept_series_query()),
    );
    let grains = kept.link_grains(model);
    let what = |what: &str, grain: Grain| format!("{what} of the links per {}", grain.name());
    for &grain in &grains {
        push(
            what("evidence", grain),
            Phase::Links,
            StepKind::Links,
            Ok(queries.links_evidence(grain)),
        );
    }
    for &grain in &grains {
        if options.pairs {
            push(
                what("pairs", grain),
                Phase::Pairs,
                StepKind::LinksPairs,
                Ok(queries.links_pairs(grain)),
            );
            push(
                what("lag profiles", grain),
                Phase::Pairs,
                StepKind::LinksLags,
                Ok(queries.links_lag_profile(grain)),
            );
        }
    }
    if targets {
        push(
            "target status".to_string(),
            Phase::Targets,
            StepKind::Targets,
            queries.target_status(),
        );
    }
    statements(push, Phase::Cleanup, Ok(queries.kept_cleanup()));
}

/// The steps of a run by the self-contained queries of `cpic sql`, one by
/// one: a scan per source, grain and time column, a query per derived
/// metric, per link (and its pairs and lag profile) and the targets.
fn standalone_steps<'m>(
    model: &'m Model,
    dialect: DialectName,
    sql_options: &Options,
    wanted: &BTreeSet<&'m str>,
    options: &RunOptions,
    push: &mut dyn FnMut(String, Phase, StepKind, Result<String, Unsupported>),
) {
    let needed = needed_series(model, wanted);
    // One generator: the series the queries share are built once.
    let queries = sql::Generator::new(model, dialect, sql_options);
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
        push(
            what,
            Phase::Scans,
            StepKind::Scan(names),
            queries.source_scan(&scan),
        );
    }
    for m in &model.metrics {
        if !m.in_scan() && needed.contains(m.name.as_str()) {
            let what = format!("metric `{}`", m.name);
            let result = queries.series(m);
            push(
                what,
                Phase::Derived,
                StepKind::Series(m.name.clone()),
                result,
            );
        }
    }
    let links: Vec<(usize, &Link)> = model
        .links
        .iter()
        .enumerate()
        .filter(|(_, l)| wanted.contains(l.from.as_str()) || wanted.contains(l.to.as_str()))
        .collect();
    for &(i, l) in &links {
        let what = format!("link `{} -> {}`", l.from, l.to);
        push(what, Phase::Links, StepKind::Link(i), queries.evidence(l));
    }
    for &(i, l) in links.iter().filter(|_| options.pairs) {
        push(
            format!("pairs of link `{} -> {}`", l.from, l.to),
            Phase::Pairs,
            StepKind::LinkPairs(i),
            queries.pairs(l),
        );
        push(
            format!("lag profile of link `{} -> {}`", l.from, l.to),
            Phase::Pairs,
            StepKind::LinkLags(i),
            queries.lag_profile(l),
        );
    }
    if model
        .metrics
        .iter()
        .any(|m| !m.targets.is_empty() && wanted.contains(m.name.as_str()))
    {
        push(
            "target status".to_string(),
            Phase::Targets,
            StepKind::Targets,
            queries.target_status(),
        );
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

/// The experiments a run executes, by index: those named, or every
/// experiment that analyses a metric of the run.
fn wanted_experiments(
    model: &Model,
    options: &RunOptions,
    wanted: &BTreeSet<&str>,
) -> Result<Vec<usize>, RunError> {
    if options.experiments.is_empty() {
        return Ok(model
            .experiments
            .iter()
            .enumerate()
            .filter(|(_, e)| e.metrics().any(|m| wanted.contains(m)))
            .map(|(i, _)| i)
            .collect());
    }
    let mut list = options
        .experiments
        .iter()
        .map(|name| {
            model
                .experiments
                .iter()
                .position(|e| e.name == *name)
                .ok_or_else(|| RunError::NoSuchExperiment(name.clone()))
        })
        .collect::<Result<Vec<usize>, RunError>>()?;
    list.sort_unstable();
    list.dedup();
    Ok(list)
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

/// How the run reads each column of a result set: every one a number but
/// the text columns named here.
fn kind_of(name: &str) -> ColumnKind {
    let text = [
        SeriesColumn::Period.name(),
        EffectColumn::Metric.name(),
        EffectColumn::Variant.name(),
        LinkColumn::Segment.name(),
        LinkColumn::Verdict.name(),
        TargetColumn::Metric.name(),
        TargetColumn::Status.name(),
        TargetColumn::Good.name(),
    ];
    if text.contains(&name) {
        ColumnKind::Text
    } else {
        ColumnKind::Number
    }
}

/// The rows of a query whose columns are the enum `C`, in its order.
fn fetch_all<C: Keyword>(
    db: &mut Database,
    sql: &str,
    dialect: DialectName,
) -> Result<Vec<Vec<Cell>>, String> {
    let columns: Vec<(&str, ColumnKind)> = C::NAMES.iter().map(|&n| (n, kind_of(n))).collect();
    fetch(db, sql, dialect, &columns)
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

/// A cell of a row of a query whose columns are the enum `C`.
fn cell<C: Keyword + PartialEq>(row: &[Cell], column: C) -> &Cell {
    &row[position(column)]
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

/// A word the query wrote into a keyword column, read back as its enum: a
/// word the run does not know is an error, never a silent default.
fn word<K: Keyword>(cell: &Cell, what: &str) -> Result<K, String> {
    let text = cell.text().unwrap_or("");
    K::parse(text).ok_or_else(|| {
        format!(
            "the query returned `{text}` as the {what}, which is not one of {}",
            K::NAMES.join(", ")
        )
    })
}

/// A row of a link's evidence query.
fn evidence(row: &[Cell]) -> Result<Evidence, String> {
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

/// Runs the plan on `db`, calling `progress` after each query with the
/// time it took. When the database refuses the first temporary table (a
/// PostgreSQL role without `TEMP`), the run falls back to the standalone
/// queries and says so in `Report::notes`.
pub fn execute<'m>(
    model: &'m Model,
    db: &mut Database,
    database: &str,
    plan: &Plan<'m>,
    progress: &mut dyn FnMut(&Step, Duration),
) -> Result<Report<'m>, RunError> {
    if let (Some(_), Some(first)) = (&plan.kept, plan.steps.first()) {
        let started = Instant::now();
        if let Err(message) = db.execute_batch(&first.sql) {
            let options = RunOptions {
                standalone: true,
                ..plan.options.clone()
            };
            let standalone = self::plan(model, plan.dialect, options)?;
            let mut report = run_steps(
                model,
                db,
                database,
                &standalone,
                &standalone.steps,
                progress,
            )?;
            report.notes.push(format!(
                "cpic could not create a temporary table on {database} ({}), so it ran the standalone queries one by one (slower); grant TEMP on the database to make runs cost one scan per source",
                message.lines().next().unwrap_or_default()
            ));
            return Ok(report);
        }
        progress(first, started.elapsed());
        return run_steps(model, db, database, plan, &plan.steps[1..], progress);
    }
    run_steps(model, db, database, plan, &plan.steps, progress)
}

/// Runs `steps` of `plan` and builds the report.
fn run_steps<'m>(
    model: &'m Model,
    db: &mut Database,
    database: &str,
    plan: &Plan<'m>,
    steps: &[Step],
    progress: &mut dyn FnMut(&Step, Duration),
) -> Result<Report<'m>, RunError> {
    let dialect = plan.dialect;
    let mut series: std::collections::BTreeMap<String, Vec<Point>> = Default::default();
    // Each tested link's result by its index in the model: in the model's
    // order at the end, whichever queries computed them.
    let mut links: std::collections::BTreeMap<usize, LinkResult> = Default::default();
    let mut targets: std::collections::BTreeMap<String, TargetResult> = Default::default();
    let mut experiments: std::collections::BTreeMap<usize, ExperimentResult> = Default::default();
    let fail = |step: &Step, message: String| RunError::Query {
        what: step.what.clone(),
        database: database.to_string(),
        message,
    };
    let kept = || {
        plan.kept
            .as_ref()
            .expect("a kept step of a plan that keeps")
    };
    // The rows of a query of many links, per model link, without `_link`.
    let by_link = |rows: &[Vec<Cell>]| -> Result<Vec<(usize, Rows)>, String> {
        group_by_key(rows)
            .into_iter()
            .map(|(number, group)| {
                let link = number
                    .and_then(|n| kept().link(n))
                    .ok_or_else(|| "the query returned a row of no link".to_string())?;
                Ok((link, without_key(group)))
            })
            .collect()
    };
    for step in steps {
        let started = Instant::now();
        match &step.kind {
            StepKind::Statement => db.execute_batch(&step.sql).map_err(|e| fail(step, e))?,
            StepKind::Scan(names) => {
                let mut columns = vec![(SeriesColumn::Period.name(), ColumnKind::Text)];
                columns.extend(names.iter().map(|n| (n.as_str(), ColumnKind::Number)));
                let rows = fetch(db, &step.sql, dialect, &columns).map_err(|e| fail(step, e))?;
                for (i, name) in names.iter().enumerate() {
                    series.insert(name.clone(), points(&rows, i + 1));
                }
            }
            StepKind::Series(name) => {
                let rows =
                    fetch_all::<SeriesColumn>(db, &step.sql, dialect).map_err(|e| fail(step, e))?;
                series.insert(name.clone(), points(&rows, position(SeriesColumn::Value)));
            }
            StepKind::KeptSeries => {
                let rows = fetch_keyed::<SeriesColumn>(db, &step.sql, dialect, sql::kept::KEY)
                    .map_err(|e| fail(step, e))?;
                for (key, group) in group_by_key(&rows) {
                    let s = key.and_then(|k| kept().series(k)).ok_or_else(|| {
                        fail(step, "the query returned a row of no series".into())
                    })?;
                    let rows = without_key(group);
                    series.insert(
                        s.metric.clone(),
                        points(&rows, position(SeriesColumn::Value)),
                    );
                }
            }
            StepKind::Link(i) => {
                let rows =
                    fetch_all::<LinkColumn>(db, &step.sql, dialect).map_err(|e| fail(step, e))?;
                let result = link_result(&model.links[*i], &rows).map_err(|e| fail(step, e))?;
                links.insert(*i, result);
            }
            StepKind::Links => {
                let rows = fetch_keyed::<LinkColumn>(db, &step.sql, dialect, LINK_KEY)
                    .map_err(|e| fail(step, e))?;
                for (i, rows) in by_link(&rows).map_err(|e| fail(step, e))? {
                    let result = link_result(&model.links[i], &rows).map_err(|e| fail(step, e))?;
                    links.insert(i, result);
                }
            }
            StepKind::LinkPairs(i) => {
                let rows =
                    fetch_all::<PairColumn>(db, &step.sql, dialect).map_err(|e| fail(step, e))?;
                if let Some(link) = links.get_mut(i) {
                    link.pairs = pairs(&rows);
                }
            }
            StepKind::LinksPairs => {
                let rows = fetch_keyed::<PairColumn>(db, &step.sql, dialect, LINK_KEY)
                    .map_err(|e| fail(step, e))?;
                for (i, rows) in by_link(&rows).map_err(|e| fail(step, e))? {
                    if let Some(link) = links.get_mut(&i) {
                        link.pairs = pairs(&rows);
                    }
                }
            }
            StepKind::LinkLags(i) => {
                let rows =
                    fetch_all::<LagColumn>(db, &step.sql, dialect).map_err(|e| fail(step, e))?;
                if let Some(link) = links.get_mut(i) {
                    link.lags = lags(&rows);
                }
            }
            StepKind::LinksLags => {
                let rows = fetch_keyed::<LagColumn>(db, &step.sql, dialect, LINK_KEY)
                    .map_err(|e| fail(step, e))?;
                for (i, rows) in by_link(&rows).map_err(|e| fail(step, e))? {
                    if let Some(link) = links.get_mut(&i) {
                        link.lags = lags(&rows);
                    }
                }
            }
            StepKind::Targets => {
                let rows =
                    fetch_all::<TargetColumn>(db, &step.sql, dialect).map_err(|e| fail(step, e))?;
                for r in rows {
                    let (Some(metric), Some(low), Some(high)) = (
                        cell(&r, TargetColumn::Metric).text(),
                        cell(&r, TargetColumn::Low).number(),
                        cell(&r, TargetColumn::High).number(),
                    ) else {
                        continue;
                    };
                    let status = cell(&r, TargetColumn::Status);
                    if status.text().is_none() {
                        continue;
                    }
                    let status = word(status, "target status").map_err(|e| fail(step, e))?;
                    // Engines spell a true boolean as text in their own way.
                    let good = matches!(
                        cell(&r, TargetColumn::Good).text(),
                        Some("true" | "1" | "t")
                    );
                    targets.insert(
                        metric.to_string(),
                        TargetResult {
                            low,
                            high,
                            status,
                            good,
                        },
                    );
                }
            }
            StepKind::Enrolment(i) => {
                let rows = fetch_all::<EnrolmentColumn>(db, &step.sql, dialect)
                    .map_err(|e| fail(step, e))?;
                experiments.insert(*i, experiments::enrolment(&model.experiments[*i], &rows));
            }
            StepKind::Effects(i) => {
                let rows =
                    fetch_all::<EffectColumn>(db, &step.sql, dialect).map_err(|e| fail(step, e))?;
                if let Some(result) = experiments.get_mut(i) {
                    experiments::add_effects(result, &rows).map_err(|e| fail(step, e))?;
                }
            }
        }
        progress(step, started.elapsed());
    }
    let links: Vec<LinkResult> = links.into_values().collect();
    let experiments: Vec<ExperimentResult> = experiments.into_values().collect();
    let today = plan.options.today;
    let mut metrics: Vec<MetricResult> = model
        .metrics
        .iter()
        .filter(|m| plan.wanted.contains(m.name.as_str()))
        .map(|m| {
            let points = series.remove(&m.name).unwrap_or_default();
            let latest = points
                .iter()
                .rfind(|p| crate::period::is_complete(m.grain, p.period, today))
                .copied();
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
        today,
        since: plan.options.since,
        metrics,
        links,
        experiments,
        notes: Vec::new(),
        expectations: None,
    })
}

/// Rows of a query, each a cell per column.
type Rows = Vec<Vec<Cell>>;

/// The column of a query of many links that holds the link's number.
const LINK_KEY: &str = sql::evidence::LINK;

/// A whole number read back as a double.
fn cell_number(cell: &Cell) -> Option<i64> {
    cell.number().map(|n| n.round() as i64)
}

/// The rows of a query whose first column is the number `key` and the
/// others the enum `C`, in its order.
fn fetch_keyed<C: Keyword>(
    db: &mut Database,
    sql: &str,
    dialect: DialectName,
    key: &str,
) -> Result<Vec<Vec<Cell>>, String> {
    let columns: Vec<(&str, ColumnKind)> = std::iter::once((key, ColumnKind::Number))
        .chain(C::NAMES.iter().map(|&n| (n, kind_of(n))))
        .collect();
    fetch(db, sql, dialect, &columns)
}

/// Rows without their first column (the key of [`group_by_key`]).
fn without_key(rows: &[Vec<Cell>]) -> Vec<Vec<Cell>> {
    rows.iter().map(|r| r[1..].to_vec()).collect()
}

/// Rows ordered by their first column (a number), in runs of one value.
fn group_by_key(rows: &[Vec<Cell>]) -> Vec<(Option<i64>, &[Vec<Cell>])> {
    rows.chunk_by(|a, b| cell_number(&a[0]) == cell_number(&b[0]))
        .map(|group| (cell_number(&group[0][0]), group))
        .collect()
}

/// A link's result from the rows of its evidence (`LinkColumn`): the
/// pooled row, then its segments'.
fn link_result<'m>(link: &'m Link, rows: &[Vec<Cell>]) -> Result<LinkResult<'m>, String> {
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
fn pairs(rows: &[Vec<Cell>]) -> Vec<Pair> {
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
fn lags(rows: &[Vec<Cell>]) -> Vec<(i64, i64, Option<f64>)> {
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
