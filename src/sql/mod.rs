//! SQL generation: the checked model to queries in seven dialects.
//!
//! **Invariant: backends read only the checked model, never the AST.** Every
//! identifier is quoted and every literal escaped by the dialect; internal
//! names start with `_`, which no spec name can.

pub mod delta;
pub mod dialect;
mod effects;
pub mod evidence;
mod expectations;
pub mod experiment;
pub mod kept;
mod links;
mod query;
mod render;
pub mod results;
mod scans;
mod series;
pub mod stats;
mod targets;

pub use render::{number, ExprContext, ExprWriter};

pub use dialect::{Dialect, DialectName};

/// What every query of one generation shares.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// The date the targets and link evidence queries take as today
    /// (default: the engine's current date): periods that end after it
    /// are incomplete.
    pub as_of: Option<Date>,
    /// Only periods that start on or after this date take part.
    pub since: Option<Date>,
}

pub use expectations::{null_example_columns, EXAMPLES};
use series::{comment_text, QueryBuilder, SharedCtes};

use crate::date::Date;
use crate::diag::{Code, Diagnostic};
use crate::model::{
    Experiment, Grain, Link, Measure, Metric, Model, ScalarType, Source, SourceMeasure,
};

/// One generated query and where it goes under `DIR/<dialect>/`.
#[derive(Clone, Debug, PartialEq)]
pub struct SqlFile {
    pub path: String,
    pub sql: String,
}

/// Why the spec cannot be written in a dialect: the diagnostics to show
/// (a `file` source in a dialect that cannot read files, E0701).
#[derive(Debug)]
pub struct Unsupported(pub Vec<Diagnostic>);

impl Unsupported {
    fn file_source(dialect: DialectName, source: &Source) -> Unsupported {
        Unsupported(vec![Diagnostic::new(
            Code::FileSourceInDialect,
            source.location.span,
            format!("source `{}` reads a file, which {dialect} cannot do", source.name),
        )
        .label("a `file` source")
        .hint("load the file into a table and use `table:`, or generate SQL for duckdb, which reads CSV and Parquet directly")])
    }
}

/// Why a query asked for by name cannot be produced.
#[derive(Debug)]
pub enum SqlError {
    NoSuchMetric(String),
    NoSuchDimension { metric: String, dimension: String },
    NoSuchLink { from: String, to: String },
    NoSuchExperiment(String),
    Unsupported(Unsupported),
}

impl From<Unsupported> for SqlError {
    fn from(e: Unsupported) -> SqlError {
        SqlError::Unsupported(e)
    }
}

impl std::fmt::Display for SqlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SqlError::NoSuchMetric(m) => write!(f, "no metric named `{m}`"),
            SqlError::NoSuchDimension { metric, dimension } => {
                write!(f, "metric `{metric}` has no dimension `{dimension}`")
            }
            SqlError::NoSuchLink { from, to } => write!(f, "no link {from} -> {to}"),
            SqlError::NoSuchExperiment(e) => write!(f, "no experiment named `{e}`"),
            SqlError::Unsupported(Unsupported(d)) => {
                write!(f, "{} problem(s) with this dialect", d.len())
            }
        }
    }
}

fn header(what: &str, location: &crate::model::Location) -> String {
    format!(
        "-- {}\n-- Defined at {}:{}\n",
        comment_text(what),
        comment_text(&location.file),
        location.line
    )
}

fn metric_header(m: &Metric, by: Option<&str>) -> String {
    let by = by.map_or(String::new(), |d| format!(", by {d}"));
    header(
        &format!(
            "Series of {} `{}` ({}), in {} per {}{by}",
            m.kind.label(),
            m.name,
            m.title,
            m.unit,
            m.grain.name()
        ),
        &m.location,
    )
}

/// Makes the queries of one dialect: **the one entry point of the SQL
/// backend**. The queries one generator makes share what they have in
/// common: a metric's series is in its own query, in every link it takes
/// part in and in the target query, and is built once. Queries of model
/// items (`series`, `evidence`, ...) can only be unsupported by the
/// dialect; queries asked for by name (`metric_series`, ...) can also name
/// nothing.
pub struct Generator<'m> {
    model: &'m Model,
    dialect: DialectName,
    options: Options,
    shared: SharedCtes,
    /// For a run's queries: what the run keeps on the database.
    kept: Option<kept::Kept>,
}

impl<'m> Generator<'m> {
    pub fn new(model: &'m Model, dialect: DialectName, options: &Options) -> Generator<'m> {
        Generator {
            model,
            dialect,
            options: *options,
            shared: SharedCtes::default(),
            kept: None,
        }
    }

    /// The generator of a run's queries, which read the series `kept`
    /// keeps on the database instead of the rows (see [`kept`]).
    pub fn for_run(
        model: &'m Model,
        dialect: DialectName,
        options: &Options,
        kept: kept::Kept,
    ) -> Generator<'m> {
        Generator {
            kept: Some(kept),
            ..Generator::new(model, dialect, options)
        }
    }

    pub fn dialect(&self) -> DialectName {
        self.dialect
    }

    fn builder(&self) -> QueryBuilder<'_> {
        QueryBuilder::new(
            self.model,
            self.dialect.dialect(),
            &self.options,
            &self.shared,
            match &self.kept {
                Some(kept) => kept,
                None => &series::FromSources,
            },
        )
    }

    /// The series query of a metric (`results::SeriesColumn`).
    pub fn series(&self, metric: &Metric) -> Result<String, Unsupported> {
        scans::series_query(
            self.builder().with_header(metric_header(metric, None)),
            metric,
            None,
        )
    }

    /// The series query of the metric named `metric`: `period`, [the
    /// dimension `by`], `value`.
    pub fn metric_series(&self, metric: &str, by: Option<&str>) -> Result<String, SqlError> {
        let m = self
            .model
            .metric(metric)
            .ok_or_else(|| SqlError::NoSuchMetric(metric.to_string()))?;
        if let Some(dim) = by {
            if !m.dimensions.iter().any(|d| d == dim) {
                return Err(SqlError::NoSuchDimension {
                    metric: metric.to_string(),
                    dimension: dim.to_string(),
                });
            }
        }
        Ok(scans::series_query(
            self.builder().with_header(metric_header(m, by)),
            m,
            by,
        )?)
    }

    /// The evidence query of a link (`results::LinkColumn`).
    pub fn evidence(&self, link: &Link) -> Result<String, Unsupported> {
        let Link { from, to, lag, .. } = link;
        let what = format!(
            "Evidence for link {from} -> {to}: does {from} move {to} after {lag} {}(s)?",
            link.grain
        );
        self.link_sql(link, &what, links::link_query)
    }

    /// The evidence query of the link `from -> to`.
    pub fn link_evidence(&self, from: &str, to: &str) -> Result<String, SqlError> {
        Ok(self.evidence(self.link(from, to)?)?)
    }

    /// The pairs behind a link's evidence (`results::PairColumn`): the
    /// right metric `lag` periods later, oldest first. Charts use it.
    pub fn pairs(&self, link: &Link) -> Result<String, Unsupported> {
        let Link { from, to, lag, .. } = link;
        let what = format!(
            "Pairs of link {from} -> {to}: {from} and {to} {lag} {}(s) later",
            link.grain
        );
        self.link_sql(link, &what, links::link_pairs_query)
    }

    /// A query about one link, headed by `what` it is.
    fn link_sql<'g>(
        &'g self,
        link: &'g Link,
        what: &str,
        build: fn(QueryBuilder<'g>, &'g Link) -> Result<String, Unsupported>,
    ) -> Result<String, Unsupported> {
        build(
            self.builder().with_header(header(what, &link.location)),
            link,
        )
    }

    /// The correlation of a link's differences at lags 0 to
    /// `results::LAG_PROFILE_MAX` (`results::LagColumn`): context for the
    /// docs, never a verdict.
    pub fn lag_profile(&self, link: &Link) -> Result<String, Unsupported> {
        let Link { from, to, .. } = link;
        let what = format!(
            "Lag profile of link {from} -> {to}: the correlation of the changes at lags 0 to {}",
            crate::words::periods(results::LAG_PROFILE_MAX, link.grain)
        );
        self.link_sql(link, &what, links::lag_profile_query)
    }

    /// The enrolment of an experiment (`results::EnrolmentColumn`): units
    /// per variant, units left out, the sample-ratio check.
    pub fn enrolment(&self, e: &Experiment) -> Result<String, Unsupported> {
        let what = format!(
            "Enrolment of experiment {}: units per variant and the sample-ratio check against its split",
            e.name
        );
        experiment::enrolment_query(
            self.builder().with_header(header(&what, &e.location)),
            self.model,
            e,
        )
    }

    /// The enrolment of the experiment named `name`.
    pub fn experiment_enrolment(&self, name: &str) -> Result<String, SqlError> {
        let e = self
            .model
            .experiment(name)
            .ok_or_else(|| SqlError::NoSuchExperiment(name.to_string()))?;
        Ok(self.enrolment(e)?)
    }

    /// The effects of an experiment (`results::EffectColumn`): per
    /// analysed metric and treatment, the comparison with the control and
    /// the verdict on the tested link.
    pub fn effects(&self, e: &Experiment) -> Result<String, Unsupported> {
        let what = format!(
            "Effects of experiment {}: each metric per treatment against the control, and the verdict on link {} -> {}",
            e.name, e.tests.from, e.tests.to
        );
        effects::effects_query(
            self.builder().with_header(header(&what, &e.location)),
            self.model,
            e,
        )
    }

    /// The effects of the experiment named `name`.
    pub fn experiment_effects(&self, name: &str) -> Result<String, SqlError> {
        let e = self
            .model
            .experiment(name)
            .ok_or_else(|| SqlError::NoSuchExperiment(name.to_string()))?;
        Ok(self.effects(e)?)
    }

    /// The pairs behind the evidence of the link `from -> to`.
    pub fn link_pairs(&self, from: &str, to: &str) -> Result<String, SqlError> {
        Ok(self.pairs(self.link(from, to)?)?)
    }

    fn link(&self, from: &str, to: &str) -> Result<&'m Link, SqlError> {
        self.model
            .link(from, to)
            .ok_or_else(|| SqlError::NoSuchLink {
                from: from.to_string(),
                to: to.to_string(),
            })
    }

    /// The target status query (`results::TargetColumn`). `as_of`
    /// replaces the engine's current date.
    pub fn target_status(&self) -> Result<String, Unsupported> {
        let header = format!(
            "-- Target status of every metric with a target active on its latest complete period\n-- Project: {}\n",
            comment_text(&self.model.project.name)
        );
        targets::targets_query(self.builder().with_header(header))
    }

    /// The query of a data expectation (`results::ExpectationColumn`);
    /// `now` is the moment `fresh` measures ages from, and its date the
    /// day from which `expect` judges complete periods.
    pub fn expectation(
        &self,
        e: &crate::model::Expectation,
        now: crate::date::Moment,
    ) -> Result<String, Unsupported> {
        let what = format!("Expectation `{}`, as of {now} UTC", e.name());
        expectations::expectation_query(
            self.builder().with_header(header(&what, e.location())),
            e,
            now,
        )
    }

    /// The one-scan query of a source scan: `period`, then a column per
    /// metric.
    pub fn source_scan(&self, scan: &SourceScan) -> Result<String, Unsupported> {
        let names: Vec<&str> = scan.metrics.iter().map(|m| m.name.as_str()).collect();
        let what = format!(
            "One scan of source `{}` per {} (time: {}): {}",
            scan.source.name,
            scan.grain.name(),
            scan.time,
            names.join(", ")
        );
        scans::source_scan(
            self.builder()
                .with_header(header(&what, &scan.source.location)),
            scan.source,
            &scan.time,
            scan.time_type,
            scan.grain,
            &scan.metrics,
        )
    }

    /// Every query of the project: `metrics/`, `links/`, `sources/` and
    /// `targets.sql`. Problems (file sources in a dialect that cannot read
    /// them) are returned as diagnostics, once per source.
    pub fn all_queries(&self) -> DialectQueries {
        let model = self.model;
        let mut files = Vec::new();
        let mut problems: Vec<Diagnostic> = Vec::new();
        let mut keep = |path: String, result: Result<String, Unsupported>| {
            if let Some(sql) = sql_or_problems(result, &mut problems) {
                files.push(SqlFile { path, sql });
            }
        };
        for m in &model.metrics {
            keep(metric_file(&m.name), self.series(m));
        }
        for l in &model.links {
            keep(link_file(l), self.evidence(l));
        }
        for scan in source_scans(model) {
            keep(
                format!("sources/{}.sql", scan.file_name()),
                self.source_scan(&scan),
            );
        }
        keep("targets.sql".to_string(), self.target_status());
        for e in &model.experiments {
            keep(experiment_file(e, "enrolment"), self.enrolment(e));
            keep(experiment_file(e, "effects"), self.effects(e));
        }
        if problems.is_empty() {
            Ok(files)
        } else {
            crate::diag::sort(&mut problems);
            Err(problems)
        }
    }
}

/// Where an experiment's enrolment or effects query goes under
/// `DIR/<dialect>/`.
pub fn experiment_file(e: &Experiment, which: &str) -> String {
    format!("experiments/{}.{which}.sql", e.name)
}

/// Where a metric's series query goes under `DIR/<dialect>/`.
pub fn metric_file(metric: &str) -> String {
    format!("metrics/{metric}.sql")
}

/// Where a link's evidence query goes under `DIR/<dialect>/`.
pub fn link_file(link: &Link) -> String {
    format!("links/{}__{}.sql", link.from, link.to)
}

/// The `file` source that `dialect` cannot read and the series of
/// `metric` needs (its own, or a derived metric's inputs'), found without
/// writing the query.
pub fn unreadable_source<'m>(
    model: &'m Model,
    dialect: DialectName,
    metric: &Metric,
) -> Option<&'m Source> {
    match &metric.measure {
        Measure::Source(m) => model
            .source(&m.source)
            .filter(|s| dialect.dialect().table(&s.origin).is_none()),
        Measure::Derived { inputs, .. } => inputs
            .iter()
            .filter_map(|i| model.metric(i))
            .find_map(|m| unreadable_source(model, dialect, m)),
    }
}

/// The SQL of a query, or None when the dialect cannot write it: its
/// diagnostics then join `problems`, each once (a file source read by many
/// queries is one problem).
pub fn sql_or_problems(
    result: Result<String, Unsupported>,
    problems: &mut Vec<Diagnostic>,
) -> Option<String> {
    match result {
        Ok(sql) => Some(sql),
        Err(Unsupported(diags)) => {
            for d in diags {
                if !problems
                    .iter()
                    .any(|p| p.span == d.span && p.code == d.code)
                {
                    problems.push(d);
                }
            }
            None
        }
    }
}

/// A source scan: one query computing every metric on `source` that has
/// this grain and time column, one column per metric.
#[derive(Clone, Debug)]
pub struct SourceScan<'m> {
    pub source: &'m crate::model::Source,
    pub grain: Grain,
    pub time: String,
    pub time_type: ScalarType,
    pub metrics: Vec<&'m Metric>,
}

impl SourceScan<'_> {
    /// `sources/<source>__<grain>.sql`, with the time column when it is
    /// not the source's default.
    pub fn file_name(&self) -> String {
        if self.source.time.as_deref() == Some(self.time.as_str()) {
            format!("{}__{}", self.source.name, self.grain.name())
        } else {
            format!("{}__{}__{}", self.source.name, self.time, self.grain.name())
        }
    }
}

/// Groups source metrics by (source, grain, time column), in name order.
pub fn source_scans(model: &Model) -> Vec<SourceScan<'_>> {
    let mut scans: Vec<SourceScan> = Vec::new();
    let mut index: std::collections::HashMap<(&str, &str, &str), usize> = Default::default();
    for m in &model.metrics {
        let Some(SourceMeasure {
            source,
            time,
            time_type,
            ..
        }) = m.source_measure()
        else {
            continue;
        };
        if !m.in_scan() {
            continue;
        }
        let key = (source.as_str(), m.grain.name(), time.as_str());
        match index.get(&key) {
            Some(&i) => scans[i].metrics.push(m),
            None => {
                index.insert(key, scans.len());
                scans.push(SourceScan {
                    source: model.source(source).expect("resolved"),
                    grain: m.grain,
                    time: time.clone(),
                    time_type: *time_type,
                    metrics: vec![m],
                });
            }
        }
    }
    scans.sort_by_key(SourceScan::file_name);
    scans
}

/// What [`Generator::all_queries`] gives for one dialect.
pub type DialectQueries = Result<Vec<SqlFile>, Vec<Diagnostic>>;

/// [`Generator::all_queries`] for every dialect, on every core, handed to
/// `sink` in [`DialectName::ALL`] order as they are made; at most one
/// dialect per core is held at once (a dialect of a 12,000-metric project
/// is ~75 MB). Stops at the first error of `sink`.
pub fn for_each_dialect<E>(
    model: &Model,
    options: &Options,
    mut sink: impl FnMut(DialectName, DialectQueries) -> Result<(), E>,
) -> Result<(), E> {
    crate::parallel::map_in_order(
        DialectName::ALL,
        1,
        |&dialect| Generator::new(model, dialect, options).all_queries(),
        |&dialect, queries| sink(dialect, queries),
    )
}
