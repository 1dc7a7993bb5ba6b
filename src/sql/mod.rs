//! SQL generation: the checked model to queries in seven dialects.
//!
//! **Invariant: backends read only the checked model, never the AST.** Every
//! identifier is quoted and every literal escaped by the dialect; internal
//! names start with `_`, which no spec name can.

pub mod dialect;
mod queries;
mod render;

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

use queries::{comment_text, QueryBuilder, SqlError};

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

fn unsupported(model: &Model, dialect: DialectName, e: SqlError) -> Diagnostic {
    match e {
        SqlError::FileSource { source, span } => {
            let _ = model;
            Diagnostic::new(
                Code::FileSourceInDialect,
                span,
                format!("source `{source}` reads a file, which {} cannot do", dialect.as_str()),
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
            match m.kind {
                crate::model::MetricKind::Cpi => "CPI",
                crate::model::MetricKind::Kpi => "KPI",
            },
            m.name,
            m.title,
            m.unit,
            m.grain.name()
        ),
        &m.location,
    )
}

/// The series query of a metric: `period`, [the dimension], `value`.
pub fn metric_series(
    model: &Model,
    dialect: DialectName,
    options: &Options,
    metric: &str,
    by: Option<&str>,
) -> Result<String, SqlRequestError> {
    let m = model
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
    let sql = QueryBuilder::new(model, dialect.dialect(), options)
        .series_query(m, by)
        .map_err(|e| SqlRequestError::Unsupported(vec![unsupported(model, dialect, e)]))?;
    Ok(format!("{}{sql}", metric_header(m, by)))
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
    link_sql(
        model,
        dialect,
        options,
        from,
        to,
        QueryBuilder::link_query,
        |l| {
            format!(
                "Evidence for link {} -> {}: does {} move {} after {} {}(s)?",
                l.from,
                l.to,
                l.from,
                l.to,
                l.lag,
                l.grain.name()
            )
        },
    )
}

/// The pairs behind the evidence of the link `from -> to`: `period`, `x`,
/// `y` (the right metric `lag` periods later), oldest first. Charts use it.
pub fn link_pairs(
    model: &Model,
    dialect: DialectName,
    options: &Options,
    from: &str,
    to: &str,
) -> Result<String, SqlRequestError> {
    link_sql(
        model,
        dialect,
        options,
        from,
        to,
        QueryBuilder::link_pairs_query,
        |l| {
            format!(
                "Pairs of link {} -> {}: {} and {} {} {}(s) later",
                l.from,
                l.to,
                l.from,
                l.to,
                l.lag,
                l.grain.name()
            )
        },
    )
}

/// A query about one link, with its header comment.
fn link_sql<'m>(
    model: &'m Model,
    dialect: DialectName,
    options: &Options,
    from: &str,
    to: &str,
    build: fn(QueryBuilder<'m>, &Link) -> Result<String, SqlError>,
    what: fn(&Link) -> String,
) -> Result<String, SqlRequestError> {
    let link = find_link(model, from, to)?;
    let sql = build(QueryBuilder::new(model, dialect.dialect(), options), link)
        .map_err(|e| SqlRequestError::Unsupported(vec![unsupported(model, dialect, e)]))?;
    Ok(format!("{}{sql}", header(&what(link), &link.location)))
}

/// The target status query. `as_of` replaces the engine's current date.
pub fn target_status(
    model: &Model,
    dialect: DialectName,
    options: &Options,
) -> Result<String, SqlRequestError> {
    let sql = QueryBuilder::new(model, dialect.dialect(), options)
        .targets_query()
        .map_err(|e| SqlRequestError::Unsupported(vec![unsupported(model, dialect, e)]))?;
    Ok(format!(
        "-- Target status of every metric with a target active on its latest complete period\n-- Project: {}\n{sql}",
        comment_text(&model.project.name)
    ))
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
        match scans
            .iter_mut()
            .find(|s| s.source.name == *source && s.grain == m.grain && s.time == *time)
        {
            Some(scan) => scan.metrics.push(m),
            None => scans.push(SourceScan {
                source: model.source(source).expect("resolved"),
                grain: m.grain,
                time: time.clone(),
                time_type: *time_type,
                metrics: vec![m],
            }),
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
    let sql = QueryBuilder::new(model, dialect.dialect(), options)
        .source_scan(
            scan.source,
            &scan.time,
            scan.time_type,
            scan.grain,
            &scan.metrics,
        )
        .map_err(|e| SqlRequestError::Unsupported(vec![unsupported(model, dialect, e)]))?;
    let names: Vec<&str> = scan.metrics.iter().map(|m| m.name.as_str()).collect();
    let what = format!(
        "One scan of source `{}` per {} (time: {}): {}",
        scan.source.name,
        scan.grain.name(),
        scan.time,
        names.join(", ")
    );
    Ok(format!("{}{sql}", header(&what, &scan.source.location)))
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
        &DialectName::ALL,
        1,
        |&dialect| all_queries(model, dialect, options),
        |&dialect, queries| sink(dialect, queries),
    )
}

/// Every query of the project: `metrics/`, `links/`, `sources/` and
/// `targets.sql`. Problems (file sources in a dialect that cannot read
/// them) are returned as diagnostics, once per source.
pub fn all_queries(
    model: &Model,
    dialect: DialectName,
    options: &Options,
) -> Result<Vec<SqlFile>, Vec<Diagnostic>> {
    let mut files = Vec::new();
    let mut problems: Vec<Diagnostic> = Vec::new();
    let mut keep = |path: String, result: Result<String, SqlRequestError>| match result {
        Ok(sql) => files.push(SqlFile { path, sql }),
        Err(SqlRequestError::Unsupported(diags)) => {
            for d in diags {
                if !problems
                    .iter()
                    .any(|p| p.span == d.span && p.code == d.code)
                {
                    problems.push(d);
                }
            }
        }
        Err(other) => unreachable!("every name comes from the model: {other}"),
    };
    for m in &model.metrics {
        keep(
            format!("metrics/{}.sql", m.name),
            metric_series(model, dialect, options, &m.name, None),
        );
    }
    for l in &model.links {
        keep(
            format!("links/{}__{}.sql", l.from, l.to),
            link_evidence(model, dialect, options, &l.from, &l.to),
        );
    }
    for scan in source_scans(model) {
        keep(
            format!("sources/{}.sql", scan.file_name()),
            source_scan(model, dialect, options, &scan),
        );
    }
    keep(
        "targets.sql".to_string(),
        target_status(model, dialect, options),
    );
    if problems.is_empty() {
        Ok(files)
    } else {
        crate::diag::sort(&mut problems);
        Err(problems)
    }
}
