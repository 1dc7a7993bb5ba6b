//! The SQL section of a page: the project's dialect inline, the others
//! as a command or as files beside the site.

use crate::model::{Link, Metric, Model};
use crate::sql::{self, DialectName, Generator, Unsupported};

/// A page's SQL: the project's dialect inline (or why it cannot be
/// written), the other dialects as the command that prints them and, in
/// `cpic build`, the files beside the site. A tab per dialect inlined
/// seven queries on every page (600 MB at 12,000 metrics); tabs that only
/// held a link each were six clicks for one line.
pub struct SqlSection {
    /// The project's dialect.
    pub label: &'static str,
    /// The query, escaped as element content (`svg::escape_text`).
    pub sql_html: Option<String>,
    pub problem: Option<String>,
    /// The other dialects that can write this query.
    pub others: Vec<OtherDialect>,
    /// `cpic sql --dialect <dialect> ...` for this query.
    pub command: String,
    /// The other dialects' names, for the command ("duckdb, sqlite or
    /// trino").
    pub names: String,
    /// The dialects that cannot (their labels), with why.
    pub unavailable: Vec<(String, String)>,
}

impl SqlSection {
    /// Whether the other dialects' queries are files beside the site.
    pub fn has_files(&self) -> bool {
        self.others.iter().any(|o| o.href.is_some())
    }
}

pub struct OtherDialect {
    pub label: &'static str,
    /// The query's file of `cpic build`, when the site has one.
    pub href: Option<String>,
}

pub(crate) fn dialect_label(d: DialectName) -> &'static str {
    match d {
        DialectName::Duckdb => "DuckDB",
        DialectName::Postgres => "PostgreSQL",
        DialectName::Sqlite => "SQLite",
        DialectName::Bigquery => "BigQuery",
        DialectName::Snowflake => "Snowflake",
        DialectName::Spark => "Spark",
        DialectName::Trino => "Trino",
    }
}

/// The SQL generator of the project's dialect, for the pages one worker
/// renders (the series a metric's page made are reused by its links'
/// pages), and where the other dialects' queries are. Only the project's
/// dialect is inline: seven dialects on every page made a site of 12,000
/// metrics 600 MB.
pub struct SqlWriter<'m> {
    model: &'m Model,
    generator: Generator<'m>,
    files: Option<&'m crate::docs::SqlFiles>,
}

/// What a page shows: the query of a metric, of a link or the effects
/// of an experiment.
pub enum SqlQuery<'a> {
    Metric(&'a Metric),
    Link(&'a Link),
    Experiment(&'a crate::model::Experiment),
}

impl<'m> SqlWriter<'m> {
    pub fn new(model: &'m Model, files: Option<&'m crate::docs::SqlFiles>) -> SqlWriter<'m> {
        SqlWriter {
            model,
            generator: Generator::new(model, model.project.dialect, &sql::Options::default()),
            files,
        }
    }

    /// The project's dialect's query (or why it cannot be written), the
    /// other dialects' files and command.
    pub(crate) fn section(&self, root: &str, query: SqlQuery) -> SqlSection {
        // The experiment's assignments are read like its metrics' sources.
        let mut assignments = None;
        let (path, arguments, metrics) = match query {
            SqlQuery::Metric(m) => (
                sql::metric_file(&m.name),
                format!("--metric {}", m.name),
                vec![m],
            ),
            SqlQuery::Link(l) => (
                sql::link_file(l),
                format!("--link {} {}", l.from, l.to),
                [&l.from, &l.to]
                    .into_iter()
                    .filter_map(|name| self.model.metric(name))
                    .collect(),
            ),
            SqlQuery::Experiment(e) => {
                assignments = self.model.source(&e.assignments);
                (
                    sql::experiment_file(e, "effects"),
                    format!("--experiment {}", e.name),
                    e.metrics()
                        .filter_map(|name| self.model.metric(name))
                        .collect(),
                )
            }
        };
        let own = self.generator.dialect();
        let result = match query {
            SqlQuery::Metric(m) => self.generator.series(m),
            SqlQuery::Link(l) => self.generator.evidence(l),
            SqlQuery::Experiment(e) => self.generator.effects(e),
        };
        let (sql_html, problem) = match result {
            Ok(sql) => (Some(crate::docs::svg::escape_text(&sql)), None),
            Err(Unsupported(diags)) => (
                None,
                Some(
                    diags
                        .first()
                        .map_or_else(|| "not available".to_string(), |d| d.message.clone()),
                ),
            ),
        };
        let (mut others, mut names) = (Vec::new(), Vec::new());
        let mut unavailable: Vec<(String, String)> = Vec::new();
        for &d in DialectName::ALL.iter().filter(|&&d| d != own) {
            let label = dialect_label(d);
            let unreadable = assignments
                .filter(|s| d.dialect().table(&s.origin).is_none())
                .or_else(|| {
                    metrics
                        .iter()
                        .find_map(|m| sql::unreadable_source(self.model, d, m))
                });
            match unreadable {
                Some(source) => {
                    let problem = format!(
                        "source `{}` reads a file, and only DuckDB reads files in a query",
                        source.name
                    );
                    match unavailable.iter_mut().find(|(_, p)| *p == problem) {
                        Some((labels, _)) => *labels = format!("{labels}, {label}"),
                        None => unavailable.push((label.to_string(), problem)),
                    }
                }
                None => {
                    names.push(d.name());
                    others.push(OtherDialect {
                        label,
                        href: self
                            .files
                            .filter(|f| f.dialects.contains(&d))
                            .map(|f| format!("{root}{}{}/{path}", f.base, d.name())),
                    })
                }
            }
        }
        SqlSection {
            label: dialect_label(own),
            sql_html,
            problem,
            others,
            command: format!("cpic sql --dialect <dialect> {arguments}"),
            names: match names.split_last() {
                Some((last, [])) => last.to_string(),
                Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
                None => String::new(),
            },
            unavailable,
        }
    }
}
