//! SQL generation: the checked model to queries in seven dialects.
//!
//! **Invariant: backends read only the checked model, never the AST.** Every
//! identifier is quoted and every literal escaped by the dialect; internal
//! names start with `_`, which no spec name can.

pub mod dialect;
mod queries;
mod render;
pub mod results;

pub use render::{number, ExprWriter};

pub use dialect::{Dialect, DialectName};

/// What every query of one generation shares.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// The date the targets query takes as today (default: the engine's
    /// current date).
    pub as_of: Option<Date>,
    /// Only periods that start on or after this date take part.
    pub since: Option<Date>,
}

use queries::{comment_text, QueryBuilder, SharedCtes, SqlError};

use crate::date::Date;
use crate::diag::{Code, Diagnostic};
use crate::model::{Grain, Link, Measure, Metric, Model, ScalarType};

/// One generated query and where it goes under `DIR/<dialect>/`.
#[derive(Clone, Debug, PartialEq)]
pub struct SqlFile {
    pub path: String,
    pub sql: String,
}

/// Why a requested query cannot be produced.
#[derive(Debug)]
pub enum SqlRequestError {
    NoSuchMetric(String),
    NoSuchDimension {
        metric: String,
        dimension: String,
    },
    NoSuchLink {
        from: String,
        to: String,
    },
    /// The spec cannot be compiled to this dialect (e.g. a file source).
    Unsupported(Vec<Diagnostic>),
}

impl std::fmt::Display for SqlRequestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SqlRequestError::NoSuchMetric(m) => write!(f, "no metric named `{m}`"),
            SqlRequestError::NoSuchDimension { metric, dimension } => {
                write!(f, "metric `{metric}` has no dimension `{dimension}`")
            }
            SqlRequestError::NoSuchLink { from, to } => write!(f, "no link {from} -> {to}"),
            SqlRequestError::Unsupported(d) => {
                write!(f, "{} problem(s) with this dialect", d.len())
            }
        }
    }
}

fn unsupported(dialect: DialectName, e: SqlError) -> Diagnostic {
    match e {
        SqlError::FileSource { source, span } => {
            Diagnostic::new(
                Code::FileSourceInDialect,
                span,
                format!("source `{source}` reads a file, which {} cannot do", dialect.name()),
            )
            .label("a `file` source")
            .hint("load the file into a table and use `table:`, or generate SQL for duckdb, which reads CSV and Parquet directly")
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

/// Makes the queries of one dialect. The queries one generator makes
/// share what they have in common: a metric's series is in its own query,
/// in every link it takes part in and in the target query, and is built
/// once. The free functions of this module each use a generator of their
/// own.
pub struct Generator<'m> {
    model: &'m Model,
    dialect: DialectName,
    options: Options,
    shared: SharedCtes,
}

impl<'m> Generator<'m> {
    pub fn new(model: &'m Model, dialect: DialectName, options: &Options) -> Generator<'m> {
        Generator {
            model,
            dialect,
            options: *options,
            shared: SharedCtes::default(),
        }
    }

    fn builder(&self) -> QueryBuilder<'_> {
        QueryBuilder::new(
            self.model,
            self.dialect.dialect(),
            &self.options,
            &self.shared,
        )
    }

    fn unsupported(&self, e: SqlError) -> SqlRequestError {
        SqlRequestError::Unsupported(vec![unsupported(self.dialect, e)])
    }

    /// The series query of a metric: `period`, [the dimension], `value`.
    pub fn metric_series(&self, metric: &str, by: Option<&str>) -> Result<String, SqlRequestError> {
        let m = self
            .model
            .metric(metric)
            .ok_or_else(|| SqlRequestError::NoSuchMetric(metric.to_string()))?;
        if let Some(dim) = by {
            if !m.dimensions.iter().any(|d| d == dim) {
                return Err(SqlRequestError::NoSuchDimension {
                    metric: metric.to_string(),
                    dimension: dim.to_string(),
                });
            }
        }
        self.builder()
            .with_header(metric_header(m, by))
            .series_query(m, by)
            .map_err(|e| self.unsupported(e))
    }

    /// The evidence query of the link `from -> to`.
    pub fn link_evidence(&self, from: &str, to: &str) -> Result<String, SqlRequestError> {
        self.link_sql(from, to, QueryBuilder::link_query, |l| {
            format!(
                "Evidence for link {} -> {}: does {} move {} after {} {}(s)?",
                l.from,
                l.to,
                l.from,
                l.to,
                l.lag,
                l.grain.name()
            )
        })
    }

    /// The pairs behind the evidence of the link `from -> to`: `period`,
    /// `x`, `y` (the right metric `lag` periods later), oldest first.
    /// Charts use it.
    pub fn link_pairs(&self, from: &str, to: &str) -> Result<String, SqlRequestError> {
        self.link_sql(from, to, QueryBuilder::link_pairs_query, |l| {
            format!(
                "Pairs of link {} -> {}: {} and {} {} {}(s) later",
                l.from,
                l.to,
                l.from,
                l.to,
                l.lag,
                l.grain.name()
            )
        })
    }

    /// A query about one link, headed by `what` it is.
    fn link_sql<'g>(
        &'g self,
        from: &str,
        to: &str,
        build: fn(QueryBuilder<'g>, &'g Link) -> Result<String, SqlError>,
        what: fn(&Link) -> String,
    ) -> Result<String, SqlRequestError> {
        let link = find_link(self.model, from, to)?;
        let builder = self
            .builder()
            .with_header(header(&what(link), &link.location));
        build(builder, link).map_err(|e| self.unsupported(e))
    }

    /// The target status query. `as_of` replaces the engine's current date.
    pub fn target_status(&self) -> Result<String, SqlRequestError> {
        let header = format!(
            "-- Target status of every metric with a target active on its latest complete period\n-- Project: {}\n",
            comment_text(&self.model.project.name)
        );
        self.builder()
            .with_header(header)
            .targets_query()
            .map_err(|e| self.unsupported(e))
    }

    /// The one-scan query of a source scan.
    pub fn source_scan(&self, scan: &SourceScan) -> Result<String, SqlRequestError> {
        let names: Vec<&str> = scan.metrics.iter().map(|m| m.name.as_str()).collect();
        let what = format!(
            "One scan of source `{}` per {} (time: {}): {}",
            scan.source.name,
            scan.grain.name(),
            scan.time,
            names.join(", ")
        );
        self.builder()
            .with_header(header(&what, &scan.source.location))
            .source_scan(
                scan.source,
                &scan.time,
                scan.time_type,
                scan.grain,
                &scan.metrics,
            )
            .map_err(|e| self.unsupported(e))
    }

    /// Every query of the project: `metrics/`, `links/`, `sources/` and
    /// `targets.sql`. Problems (file sources in a dialect that cannot read
    /// them) are returned as diagnostics, once per source.
    pub fn all_queries(&self) -> DialectQueries {
        let model = self.model;
        let mut files = Vec::new();
        let mut problems: Vec<Diagnostic> = Vec::new();
        let mut keep = |path: String, result: Result<String, SqlRequestError>| {
            if let Some(sql) = sql_or_problems(result, &mut problems) {
                files.push(SqlFile { path, sql });
            }
        };
        for m in &model.metrics {
            keep(
                format!("metrics/{}.sql", m.name),
                self.metric_series(&m.name, None),
            );
        }
        for l in &model.links {
            keep(
                format!("links/{}__{}.sql", l.from, l.to),
                self.link_evidence(&l.from, &l.to),
            );
        }
        for scan in source_scans(model) {
            keep(
                format!("sources/{}.sql", scan.file_name()),
                self.source_scan(&scan),
            );
        }
        keep("targets.sql".to_string(), self.target_status());
        if problems.is_empty() {
            Ok(files)
        } else {
            crate::diag::sort(&mut problems);
            Err(problems)
        }
    }
}

/// The SQL of a query asked for by the model's own names, or None when
/// the dialect cannot write it: its diagnostics then join `problems`, each
/// once (a file source read by many queries is one problem).
pub fn sql_or_problems(
    result: Result<String, SqlRequestError>,
    problems: &mut Vec<Diagnostic>,
) -> Option<String> {
    match result {
        Ok(sql) => Some(sql),
        Err(SqlRequestError::Unsupported(diags)) => {
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
        Err(other) => unreachable!("every name comes from the model: {other}"),
    }
}

/// The series query of a metric: `period`, [the dimension], `value`.
pub fn metric_series(
    model: &Model,
    dialect: DialectName,
    options: &Options,
    metric: &str,
    by: Option<&str>,
) -> Result<String, SqlRequestError> {
    Generator::new(model, dialect, options).metric_series(metric, by)
}

fn find_link<'m>(model: &'m Model, from: &str, to: &str) -> Result<&'m Link, SqlRequestError> {
    // The checker sorts links by (from, to).
    model
        .links
        .binary_search_by(|l| (l.from.as_str(), l.to.as_str()).cmp(&(from, to)))
        .ok()
        .map(|i| &model.links[i])
        .ok_or_else(|| SqlRequestError::NoSuchLink {
            from: from.to_string(),
            to: to.to_string(),
        })
}

/// The evidence query of the link `from -> to`.
pub fn link_evidence(
    model: &Model,
    dialect: DialectName,
    options: &Options,
    from: &str,
    to: &str,
) -> Result<String, SqlRequestError> {
    Generator::new(model, dialect, options).link_evidence(from, to)
}

/// The pairs behind the evidence of the link `from -> to` (see
/// [`Generator::link_pairs`]).
pub fn link_pairs(
    model: &Model,
    dialect: DialectName,
    options: &Options,
    from: &str,
    to: &str,
) -> Result<String, SqlRequestError> {
    Generator::new(model, dialect, options).link_pairs(from, to)
}

/// The target status query. `as_of` replaces the engine's current date.
pub fn target_status(
    model: &Model,
    dialect: DialectName,
    options: &Options,
) -> Result<String, SqlRequestError> {
    Generator::new(model, dialect, options).target_status()
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
        let Measure::Source {
            source,
            time,
            time_type,
            ..
        } = &m.measure
        else {
            continue;
        };
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

/// The one-scan query of a source scan.
pub fn source_scan(
    model: &Model,
    dialect: DialectName,
    options: &Options,
    scan: &SourceScan,
) -> Result<String, SqlRequestError> {
    Generator::new(model, dialect, options).source_scan(scan)
}

/// What [`all_queries`] gives for one dialect.
pub type DialectQueries = Result<Vec<SqlFile>, Vec<Diagnostic>>;

/// [`all_queries`] for every dialect, on every core, handed to `sink` in
/// [`DialectName::ALL`] order as they are made; at most one dialect per
/// core is held at once (a dialect of a 12,000-metric project is ~75 MB).
/// Stops at the first error of `sink`.
pub fn for_each_dialect<E>(
    model: &Model,
    options: &Options,
    mut sink: impl FnMut(DialectName, DialectQueries) -> Result<(), E>,
) -> Result<(), E> {
    crate::parallel::map_in_order(
        DialectName::ALL,
        1,
        |&dialect| all_queries(model, dialect, options),
        |&dialect, queries| sink(dialect, queries),
    )
}

/// Every query of the project in one dialect (see
/// [`Generator::all_queries`]).
pub fn all_queries(model: &Model, dialect: DialectName, options: &Options) -> DialectQueries {
    Generator::new(model, dialect, options).all_queries()
}
