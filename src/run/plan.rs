//! Which queries a run sends, in which order, decided before the database
//! is opened: the kept plan of `sql::kept`, or the standalone queries of
//! `cpic sql`.

use std::collections::BTreeSet;

use super::types::{RunError, RunOptions};
use crate::model::{Grain, Link, Model};
use crate::sql::kept::Kept;
use crate::sql::{self, DialectName, Options, Unsupported};

/// One query of a run, for progress reporting.
pub struct Step {
    pub what: String,
    pub phase: Phase,
    pub(super) sql: String,
    pub(super) kind: StepKind,
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

pub(super) enum StepKind {
    /// A statement that returns nothing.
    Statement,
    /// A source scan: `period`, then one column per metric.
    Scan(Vec<String>),
    /// A derived metric's series (`SeriesColumn`).
    Series(String),
    /// The kept series shown: `_key`, then `SeriesColumn`.
    KeptSeries,
    /// Link evidence (`LinkColumn`): of the link of this index in the
    /// model, or with `None` of many links, each row led by `_link`.
    Evidence(Option<usize>),
    /// The pairs of links (`PairColumn`), keyed the same way.
    Pairs(Option<usize>),
    /// The lag profiles of links (`LagColumn`), keyed the same way.
    Lags(Option<usize>),
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
    pub(super) wanted: BTreeSet<&'m str>,
    /// The queries, in the order they run.
    pub steps: Vec<Step>,
    /// What the run keeps on the database; None for the standalone
    /// queries.
    pub(super) kept: Option<Kept>,
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
            StepKind::Evidence(None),
            Ok(queries.links_evidence(grain)),
        );
    }
    for &grain in &grains {
        if options.pairs {
            push(
                what("pairs", grain),
                Phase::Pairs,
                StepKind::Pairs(None),
                Ok(queries.links_pairs(grain)),
            );
            push(
                what("lag profiles", grain),
                Phase::Pairs,
                StepKind::Lags(None),
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
        push(
            what,
            Phase::Links,
            StepKind::Evidence(Some(i)),
            queries.evidence(l),
        );
    }
    for &(i, l) in links.iter().filter(|_| options.pairs) {
        push(
            format!("pairs of link `{} -> {}`", l.from, l.to),
            Phase::Pairs,
            StepKind::Pairs(Some(i)),
            queries.pairs(l),
        );
        push(
            format!("lag profile of link `{} -> {}`", l.from, l.to),
            Phase::Pairs,
            StepKind::Lags(Some(i)),
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
