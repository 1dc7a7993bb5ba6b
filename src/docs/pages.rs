//! One typed context per page, filled from the model (and the run's report)
//! and rendered by askama, which escapes every value unless the template
//! says `|safe`; only HTML that cpic drew itself (charts, the map, rendered
//! Markdown) is marked so.

use askama::Template;

use super::chart::{self, period_label, Fit, ScatterChart, SeriesChart};
use super::map;
use super::{markdown, Ctx};
use crate::model::{
    ColumnType, Direction, Expect, Expectation, ExpectationKind, Link, LinkStatus, Measure, Metric,
    MetricKind, Model, Origin, ScalarType, Source, Team, Tier,
};
use crate::run::{expectations, words, LinkResult, MetricResult};
use crate::sql::results::{TargetStatus, Verdict};
use crate::sql::{self, DialectName, Generator, Unsupported};
use crate::units::{format_difference, format_value};

/// What every page shares: where the root is, the title, the footer.
pub struct Layout {
    /// `""` for pages at the root, `"../"` one folder down.
    pub root: &'static str,
    pub title: String,
    pub project: String,
    /// Which entry of the navigation is current.
    pub section: &'static str,
    pub footer: String,
}

/// A short coloured label: `class` is one of good, bad, warn, info, neutral.
#[derive(Clone)]
pub struct Badge {
    pub label: String,
    pub class: &'static str,
}

impl Badge {
    pub(super) fn new(label: impl Into<String>, class: &'static str) -> Badge {
        Badge {
            label: label.into(),
            class,
        }
    }
}

/// A reference to another page.
#[derive(Clone)]
pub struct Ref {
    pub href: String,
    pub label: String,
}

/// A metric in a table.
pub struct MetricRow {
    pub href: String,
    pub name: String,
    pub title: String,
    pub kind: &'static str,
    pub owner: Ref,
    pub unit: String,
    pub value: String,
    pub period: String,
    pub change: String,
    pub target: String,
    pub status: Badge,
}

/// A link in a table.
pub struct LinkRow {
    pub href: String,
    pub from: Ref,
    pub to: Ref,
    pub hypothesis: String,
    pub lag: String,
    pub status: Badge,
    pub verdict: Option<Badge>,
}

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

pub struct Fact {
    pub label: &'static str,
    pub value: String,
    pub href: Option<String>,
    pub badge: Option<Badge>,
}

pub(super) fn fact(label: &'static str, value: impl Into<String>) -> Fact {
    Fact {
        label,
        value: value.into(),
        href: None,
        badge: None,
    }
}

pub fn metric_href(root: &str, name: &str) -> String {
    format!("{root}metrics/{name}.html")
}

pub fn team_href(root: &str, name: &str) -> String {
    format!("{root}teams/{name}.html")
}

pub fn source_href(root: &str, name: &str) -> String {
    format!("{root}sources/{name}.html")
}

pub fn experiment_href(root: &str, name: &str) -> String {
    format!("{root}experiments/{name}.html")
}

pub fn link_href(root: &str, link: &Link) -> String {
    format!("{root}links/{}__{}.html", link.from, link.to)
}

fn dialect_label(d: DialectName) -> &'static str {
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

fn link_status_badge(status: LinkStatus) -> Badge {
    let class = match status {
        LinkStatus::Hypothesized => "neutral",
        LinkStatus::Testing => "info",
        LinkStatus::Confirmed => "good",
        LinkStatus::Refuted => "bad",
    };
    Badge::new(status.name(), class)
}

fn verdict_badge(result: &LinkResult) -> Badge {
    verdict_badge_of(result.evidence.verdict)
}

fn verdict_badge_of(verdict: Verdict) -> Badge {
    let class = match verdict {
        Verdict::Supports => "good",
        Verdict::Contradicts => "bad",
        Verdict::Inconclusive | Verdict::TooFewPeriods => "neutral",
    };
    Badge::new(format!("data {}", verdict.name().replace('_', " ")), class)
}

fn range_text(metric: &Metric, low: f64, high: f64) -> String {
    format!(
        "{} .. {}",
        format_value(low, &metric.unit),
        format_value(high, &metric.unit)
    )
}

/// The status of a metric's latest value against its target.
fn value_status(result: Option<&MetricResult>, has_data: bool) -> Badge {
    let Some(r) = result else {
        return if has_data {
            Badge::new("not computed", "neutral")
        } else {
            Badge::new("no data loaded", "neutral")
        };
    };
    match (&r.latest, &r.target) {
        (None, _) => Badge::new("no complete period", "neutral"),
        (Some(_), None) => Badge::new("no active target", "neutral"),
        (Some(_), Some(t)) => {
            let label = match (t.status, t.good) {
                (TargetStatus::Within, _) => "on target".to_string(),
                (side, true) => format!("{side} target, better"),
                (side, false) => format!("{side} target"),
            };
            Badge::new(label, if t.good { "good" } else { "bad" })
        }
    }
}

fn change_text(r: &MetricResult) -> String {
    let Some(change) = r.change() else {
        return String::new();
    };
    let arrow = if change > 0.0 {
        "▲"
    } else if change < 0.0 {
        "▼"
    } else {
        "="
    };
    let judgement = match r.change_is_better() {
        Some(true) => ", better",
        Some(false) => ", worse",
        None => "",
    };
    format!(
        "{arrow} {}{judgement}",
        format_difference(change.abs(), &r.metric.unit)
    )
}

impl Ctx<'_> {
    /// The links from or to a metric, in model order.
    fn links_of(&self, metric: &str) -> impl Iterator<Item = &Link> + '_ {
        self.links_of.get(metric).into_iter().flatten().copied()
    }

    pub fn layout(&self, root: &'static str, title: &str, section: &'static str) -> Layout {
        Layout {
            root,
            title: title.to_string(),
            project: self.model.project.name.clone(),
            section,
            footer: self.footer.clone(),
        }
    }

    pub(super) fn team_ref(&self, root: &str, name: &str) -> Ref {
        Ref {
            href: team_href(root, name),
            label: self
                .model
                .team(name)
                .map_or_else(|| name.to_string(), |t| t.display_name.clone()),
        }
    }

    pub(super) fn metric_ref(&self, root: &str, name: &str) -> Ref {
        Ref {
            href: metric_href(root, name),
            label: self
                .model
                .metric(name)
                .map_or_else(|| name.to_string(), |m| m.title.clone()),
        }
    }

    pub fn metric_row(&self, root: &str, m: &Metric) -> MetricRow {
        let result = self.results.get(m.name.as_str()).copied();
        let latest = result.and_then(|r| r.latest);
        MetricRow {
            href: metric_href(root, &m.name),
            name: m.name.clone(),
            title: m.title.clone(),
            kind: m.kind.label(),
            owner: self.team_ref(root, &m.owner),
            unit: m.unit.to_string(),
            value: latest.map_or_else(String::new, |p| format_value(p.value, &m.unit)),
            period: latest.map_or_else(String::new, |p| period_label(p.period, m.grain)),
            change: result.map(change_text).unwrap_or_default(),
            target: match result.and_then(|r| r.target.as_ref()) {
                Some(t) => range_text(m, t.low, t.high),
                None => self
                    .active_target(m)
                    .map(|t| range_text(m, t.low, t.high))
                    .unwrap_or_default(),
            },
            status: value_status(result, self.has_data),
        }
    }

    /// The target in force today, if any.
    fn active_target<'m>(&self, m: &'m Metric) -> Option<&'m crate::model::Target> {
        m.target_on(self.today)
    }

    pub fn link_row(&self, root: &str, l: &Link) -> LinkRow {
        let result = self.links.get(&(l.from.as_str(), l.to.as_str())).copied();
        LinkRow {
            href: link_href(root, l),
            from: self.metric_ref(root, &l.from),
            to: self.metric_ref(root, &l.to),
            hypothesis: l.hypothesis.clone().unwrap_or_default(),
            lag: lag_text(l),
            status: link_status_badge(l.status),
            verdict: result.map(verdict_badge),
        }
    }

    /// The spec text of an item, as written.
    pub(super) fn definition(&self, location: &crate::model::Location) -> String {
        let span = location.item;
        let file = self.sources.get(span.file);
        file.text
            .get(span.range())
            .map(str::to_string)
            .unwrap_or_default()
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
    pub(super) fn section(&self, root: &str, query: SqlQuery) -> SqlSection {
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
            Ok(sql) => (Some(super::svg::escape_text(&sql)), None),
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

fn lag_text(l: &Link) -> String {
    match l.lag {
        0 => format!("none (same {})", l.grain.name()),
        1 => format!("1 {}", l.grain.name()),
        n => format!("{n} {}s", l.grain.name()),
    }
}

// ------------------------------------------------------------------ home

#[derive(Template)]
#[template(path = "index.html")]
pub struct HomePage {
    pub page: Layout,
    pub counts: Vec<(usize, &'static str)>,
    pub core: Vec<CoreCard>,
    pub cpi_groups: Vec<(Ref, Vec<MetricRow>)>,
    pub kpis: Vec<MetricRow>,
    pub map: String,
    pub has_data: bool,
    pub data_note: String,
}

/// The core metric, front and centre.
pub struct CoreCard {
    pub row: MetricRow,
    pub outcome: Option<String>,
    pub chart: String,
}

pub fn home(ctx: &Ctx) -> HomePage {
    let model = ctx.model;
    let root = "";
    let count = |kind| model.metrics.iter().filter(|m| m.kind == kind).count();
    let core = model
        .metrics
        .iter()
        .filter(|m| m.tier == Some(Tier::Core))
        .map(|m| CoreCard {
            row: ctx.metric_row(root, m),
            outcome: m.outcome.clone(),
            chart: ctx.series_chart(m),
        })
        .collect();
    let mut cpi_groups = Vec::new();
    for team in &model.teams {
        let rows: Vec<MetricRow> = model
            .metrics
            .iter()
            .filter(|m| m.kind == MetricKind::Cpi && m.owner == team.name)
            .map(|m| ctx.metric_row(root, m))
            .collect();
        if !rows.is_empty() {
            cpi_groups.push((ctx.team_ref(root, &team.name), rows));
        }
    }
    HomePage {
        page: ctx.layout(root, "Overview", "home"),
        counts: vec![
            (count(MetricKind::Cpi), "CPIs"),
            (count(MetricKind::Kpi), "KPIs"),
            (model.links.len(), "links"),
            (model.teams.len(), "teams"),
            (model.sources.len(), "sources"),
        ],
        core,
        cpi_groups,
        kpis: model
            .metrics
            .iter()
            .filter(|m| m.kind == MetricKind::Kpi)
            .map(|m| ctx.metric_row(root, m))
            .collect(),
        map: ctx.map(root),
        has_data: ctx.has_data,
        data_note: ctx.data_note.clone(),
    }
}

// ------------------------------------------------------------------ map

#[derive(Template)]
#[template(path = "map.html")]
pub struct MapPage {
    pub page: Layout,
    pub map: String,
    pub links: Vec<LinkRow>,
    pub experiments: Vec<super::experiment::ExperimentRow>,
    pub has_data: bool,
}

pub fn map_page(ctx: &Ctx) -> MapPage {
    MapPage {
        page: ctx.layout("", "Map of CPIs and KPIs", "map"),
        map: ctx.map(""),
        links: ctx
            .model
            .links
            .iter()
            .map(|l| ctx.link_row("", l))
            .collect(),
        experiments: ctx.experiment_rows("", &ctx.model.experiments),
        has_data: ctx.has_data,
    }
}

impl Ctx<'_> {
    fn map(&self, root: &str) -> String {
        if self.has_data {
            map::draw(
                self.model,
                root,
                Some(&map::MapData {
                    results: &self.results,
                    links: &self.links,
                }),
            )
        } else {
            map::draw(self.model, root, None)
        }
    }

    fn series_chart(&self, m: &Metric) -> String {
        let Some(r) = self.results.get(m.name.as_str()) else {
            return String::new();
        };
        chart::series(&SeriesChart {
            id: "series",
            title: &format!("{} per {}", m.title, m.grain.name()),
            unit: &m.unit,
            grain: m.grain,
            points: &r.series,
            targets: &m.targets,
            latest: r.latest,
            good: r.target.as_ref().map(|t| t.good),
        })
    }
}

// ------------------------------------------------------------------ lists

#[derive(Template)]
#[template(path = "list.html")]
pub struct ListPage {
    pub page: Layout,
    pub intro: &'static str,
    pub items: Vec<ListItem>,
}

pub struct ListItem {
    pub link: Ref,
    pub detail: String,
}

pub fn teams_list(ctx: &Ctx) -> ListPage {
    ListPage {
        page: ctx.layout("", "Teams", "teams"),
        intro: "Every metric has one owning team, accountable for moving it.",
        items: ctx
            .model
            .teams
            .iter()
            .map(|t| {
                let owned = ctx
                    .model
                    .metrics
                    .iter()
                    .filter(|m| m.owner == t.name)
                    .count();
                ListItem {
                    link: ctx.team_ref("", &t.name),
                    detail: format!("{owned} metric{}", if owned == 1 { "" } else { "s" }),
                }
            })
            .collect(),
    }
}

pub fn sources_list(ctx: &Ctx) -> ListPage {
    ListPage {
        page: ctx.layout("", "Sources", "sources"),
        intro: "Where the rows behind the metrics come from.",
        items: ctx
            .model
            .sources
            .iter()
            .map(|s| ListItem {
                link: Ref {
                    href: source_href("", &s.name),
                    label: s.name.clone(),
                },
                detail: origin_text(s),
            })
            .collect(),
    }
}

fn origin_text(s: &Source) -> String {
    match &s.origin {
        Origin::Table(t) => format!("table {t}"),
        Origin::File(f) => format!("file {f}"),
    }
}

// ------------------------------------------------------------------ metric

#[derive(Template)]
#[template(path = "metric.html")]
pub struct MetricPage {
    pub page: Layout,
    pub name: String,
    pub kind: &'static str,
    pub tier: Option<&'static str>,
    pub title: String,
    pub outcome: Option<String>,
    pub description: Option<String>,
    pub row: MetricRow,
    pub has_data: bool,
    pub chart: String,
    pub table: Vec<(String, String)>,
    pub facts: Vec<Fact>,
    pub evidence: Vec<(String, String)>,
    pub targets: Vec<TargetRow>,
    pub links_out: Vec<LinkRow>,
    pub links_in: Vec<LinkRow>,
    /// The experiments that analyse it.
    pub experiments: Vec<super::experiment::ExperimentRow>,
    /// Its source failed `fresh`, when the site was built with data.
    pub warnings: Vec<String>,
    pub sql: SqlSection,
    pub location: String,
    pub definition: String,
}

pub struct TargetRow {
    pub name: String,
    pub range: String,
    pub from: String,
    pub until: String,
    pub baseline: String,
    pub competitor: String,
    pub note: String,
    pub state: Badge,
}

pub fn metric<'m>(ctx: &Ctx<'m>, sql: &SqlWriter<'m>, m: &'m Metric) -> MetricPage {
    let root = "../";
    let result = ctx.results.get(m.name.as_str()).copied();
    let mut facts = vec![
        Fact {
            href: Some(team_href(root, &m.owner)),
            ..fact("Owner", ctx.team_ref(root, &m.owner).label)
        },
        fact("Unit", m.unit.to_string()),
        fact("Better when", m.direction.name()),
        fact("Grain", m.grain.name()),
    ];
    match &m.measure {
        Measure::Source { source, time, .. } => {
            facts.push(Fact {
                href: Some(source_href(root, source)),
                ..fact("Source", source.clone())
            });
            facts.push(fact("Time column", time.clone()));
        }
        Measure::Derived { inputs, .. } => {
            facts.push(fact("Computed from", inputs.join(", ")));
        }
    }
    if !m.dimensions.is_empty() {
        facts.push(fact("Dimensions", m.dimensions.join(", ")));
    }
    for (label, text) in words::period_kinds(m) {
        facts.push(fact(label, text));
    }
    if m.review.is_some() || m.reviewed.is_some() {
        facts.push(review_fact(ctx, m));
    }
    if let Some(e) = ctx
        .model
        .expectations()
        .into_iter()
        .find(|e| e.owner() == m.name && e.kind() == ExpectationKind::Expect)
    {
        let row = ctx.expectation_row(&e);
        let text = if row.found.is_empty() {
            row.expected
        } else {
            format!("{}; {}", row.expected, row.found)
        };
        facts.push(Fact {
            badge: Some(row.state),
            ..fact("Expected range", text)
        });
    }
    let targets = m
        .targets
        .iter()
        .map(|t| {
            let state = if t.until < ctx.today {
                Badge::new("expired", "neutral")
            } else if t.from > ctx.today {
                Badge::new("upcoming", "info")
            } else {
                Badge::new("active", "good")
            };
            let opt = |v: Option<f64>| v.map(|v| format_value(v, &m.unit)).unwrap_or_default();
            TargetRow {
                name: t.name.clone().unwrap_or_default(),
                range: range_text(m, t.low, t.high),
                from: t.from.to_string(),
                until: t.until.to_string(),
                baseline: opt(t.baseline),
                competitor: opt(t.competitor),
                note: t.note.clone().unwrap_or_default(),
                state,
            }
        })
        .collect();
    MetricPage {
        page: ctx.layout(root, &m.title, "metrics"),
        name: m.name.clone(),
        kind: m.kind.label(),
        tier: m.tier.map(Tier::name),
        title: m.title.clone(),
        outcome: m.outcome.clone(),
        description: m.description.as_deref().map(markdown::render),
        row: ctx.metric_row(root, m),
        has_data: ctx.has_data,
        chart: ctx.series_chart(m),
        table: result
            .map(|r| {
                r.series
                    .iter()
                    .rev()
                    .map(|p| {
                        (
                            period_label(p.period, m.grain),
                            format_value(p.value, &m.unit),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default(),
        facts,
        evidence: m
            .evidence
            .iter()
            .map(|e| (crate::keyword::label(e.kind.name()), e.text.clone()))
            .collect(),
        targets,
        links_out: ctx
            .links_of(&m.name)
            .filter(|l| l.from == m.name)
            .map(|l| ctx.link_row(root, l))
            .collect(),
        experiments: ctx.experiment_rows(
            root,
            ctx.model
                .experiments
                .iter()
                .filter(|e| e.metrics().any(|x| x == m.name)),
        ),
        links_in: ctx
            .links_of(&m.name)
            .filter(|l| l.to == m.name)
            .map(|l| ctx.link_row(root, l))
            .collect(),
        warnings: ctx.staleness(m),
        sql: sql.section(root, SqlQuery::Metric(m)),
        location: m.location.to_string(),
        definition: ctx.definition(&m.location),
    }
}

/// The review cadence, the last review and whether the next is overdue.
fn review_fact(ctx: &Ctx, m: &Metric) -> Fact {
    let (value, badge) = match (m.review, m.reviewed) {
        (Some(cadence), Some(last)) => {
            let due = cadence.next_due(last);
            let badge = if due < ctx.today {
                Badge::new(format!("overdue since {due}"), "bad")
            } else {
                Badge::new(format!("next by {due}"), "good")
            };
            (format!("{}, last on {last}", cadence.name()), Some(badge))
        }
        (Some(cadence), None) => (
            cadence.name().to_string(),
            Some(Badge::new("no review recorded", "warn")),
        ),
        (None, Some(last)) => (format!("last on {last}"), None),
        (None, None) => (String::new(), None),
    };
    Fact {
        badge,
        ..fact("Review", value)
    }
}

// ------------------------------------------------------------------ team

#[derive(Template)]
#[template(path = "team.html")]
pub struct TeamPage {
    pub page: Layout,
    pub name: String,
    pub display_name: String,
    pub contact: Option<String>,
    pub mailto: Option<String>,
    pub metrics: Vec<MetricRow>,
    pub links: Vec<LinkRow>,
    pub has_data: bool,
    pub location: String,
}

pub fn team(ctx: &Ctx, t: &Team) -> TeamPage {
    let root = "../";
    let owned: &[&Metric] = ctx.owned_by.get(t.name.as_str()).map_or(&[], Vec::as_slice);
    // Each link once, in model order (sorted by from, to).
    let mut links: Vec<&Link> = owned.iter().flat_map(|m| ctx.links_of(&m.name)).collect();
    links.sort_by(|a, b| (&a.from, &a.to).cmp(&(&b.from, &b.to)));
    links.dedup_by(|a, b| a.from == b.from && a.to == b.to);
    TeamPage {
        page: ctx.layout(root, &t.display_name, "teams"),
        name: t.name.clone(),
        display_name: t.display_name.clone(),
        contact: t.contact.clone(),
        mailto: t
            .contact
            .as_deref()
            .filter(|c| is_email(c))
            .map(|c| format!("mailto:{c}")),
        metrics: owned.iter().map(|m| ctx.metric_row(root, m)).collect(),
        links: links.iter().map(|l| ctx.link_row(root, l)).collect(),
        has_data: ctx.has_data,
        location: t.location.to_string(),
    }
}

/// A plain address (`name@host.tld`): only then is a contact a mail link.
fn is_email(text: &str) -> bool {
    let Some((user, host)) = text.split_once('@') else {
        return false;
    };
    let ok = |s: &str, extra: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-_".contains(c) || extra.contains(c))
    };
    ok(user, "+") && ok(host, "") && host.contains('.')
}

// ------------------------------------------------------------------ link

#[derive(Template)]
#[template(path = "link.html")]
pub struct LinkPage {
    pub page: Layout,
    pub row: LinkRow,
    pub expect: String,
    pub facts: Vec<Fact>,
    pub stats: Vec<(&'static str, String)>,
    pub verdict: Option<Badge>,
    pub verdict_reason: String,
    /// The evidence in plain words, paragraph by paragraph.
    pub explanation: Vec<String>,
    /// What reaching the CPI's target would mean for the KPI.
    pub implication: Option<String>,
    /// The dimension of the segments, and one row per segment: value, n,
    /// effect, p, Holm-adjusted p, verdict badge.
    pub segment_dimension: Option<String>,
    pub segments: Vec<(String, String, String, String, String, Badge)>,
    pub grain: &'static str,
    /// Both metrics over the paired periods, side by side: FROM at p and
    /// TO at p + lag, drawn at p (the lag applied).
    pub levels: Vec<String>,
    pub lag_words: String,
    /// (lag in words, pairs, correlation of changes, whether it is the
    /// link's lag) at lags 0 to 6: context, never the verdict.
    pub lags: Vec<(String, String, String, bool)>,
    pub warning: Option<String>,
    /// The experiments that test it.
    pub experiments: Vec<super::experiment::ExperimentRow>,
    pub has_data: bool,
    pub chart: String,
    pub sql: SqlSection,
    pub location: String,
    pub definition: String,
}

pub fn link<'m>(ctx: &Ctx<'m>, sql: &SqlWriter<'m>, l: &'m Link) -> LinkPage {
    let root = "../";
    let from = ctx.model.metric(&l.from).expect("resolved");
    let to = ctx.model.metric(&l.to).expect("resolved");
    let result = ctx.links.get(&(l.from.as_str(), l.to.as_str())).copied();
    let direction = |m: &Metric| match m.direction {
        Direction::Higher => "rises",
        Direction::Lower => "falls",
    };
    let expect = match l.expect {
        Expect::Improves => format!(
            "When {} gets better, {} gets better: as {} {}, {} {}.",
            from.title,
            to.title,
            from.name,
            direction(from),
            to.name,
            direction(to)
        ),
        Expect::Worsens => format!("When {} gets better, {} gets worse.", from.title, to.title),
    };
    let mut facts = vec![
        fact(
            "Expected correlation",
            if l.expected_sign > 0 {
                "positive"
            } else {
                "negative"
            },
        ),
        fact("Lag", lag_text(l)),
        fact("Grain", l.grain.name()),
        fact("Minimum periods", l.min_periods.to_string()),
    ];
    if let Some(e) = &l.experiment {
        facts.push(Fact {
            href: l
                .experiment_item
                .as_deref()
                .map(|name| experiment_href(root, name)),
            ..fact("Experiment", e.clone())
        });
    }
    let number = |v: Option<f64>, digits: usize| {
        v.map_or_else(|| "n/a".to_string(), |v| format!("{v:.digits$}"))
    };
    let stats = result
        .map(|r| {
            let e = &r.evidence;
            let mut stats = vec![
                ("Periods paired (n)", e.n.to_string()),
                ("Changes compared (m)", e.m.to_string()),
                ("Correlation of changes", number(e.r_diff, 3)),
                ("Effective number of changes", number(e.n_eff, 1)),
                ("z", number(e.z, 2)),
                ("p (one-sided)", number(e.p, 4)),
                ("Correlation of levels (not used)", number(e.r, 3)),
            ];
            if let Some(effect) = words::effect_sentence(l, from, (to, &to.title), e) {
                stats.insert(0, ("Effect", effect));
            }
            stats
        })
        .unwrap_or_default();
    let verdict_reason = result.map_or_else(String::new, |r| {
        words::verdict_sentence(r.evidence.verdict, l)
    });
    let explanation =
        result.map_or_else(Vec::new, |r| words::explanation(l, from, to, &r.evidence));
    let implication = result.and_then(|r| {
        let latest = ctx.results.get(from.name.as_str())?.latest?;
        let target = from.target_on(ctx.today)?;
        words::target_implication(l, from, to, latest.value, target, &r.evidence)
    });
    let lag_words = words::lag_phrase(l.lag, l.grain);
    let p_text = |p: Option<f64>| p.map_or_else(|| "n/a".to_string(), |p| format!("{p:.3}"));
    let segments = result.map_or_else(Vec::new, |r| {
        r.segments
            .iter()
            .map(|s| {
                (
                    s.segment.clone(),
                    s.evidence.n.to_string(),
                    words::effect_sentence(l, from, (to, &to.title), &s.evidence)
                        .unwrap_or_else(|| "n/a".to_string()),
                    p_text(s.evidence.p),
                    p_text(s.p_adjusted),
                    verdict_badge_of(s.evidence.verdict),
                )
            })
            .collect()
    });
    let chart = result
        .filter(|r| !r.pairs.is_empty())
        .map(|r| {
            chart::scatter(&ScatterChart {
                title: &format!("Changes of {} and of {} {lag_words}", from.title, to.title),
                x_label: &format!("change of {} ({})", from.title, from.unit),
                y_label: &format!("change of {} ({}), {lag_words}", to.title, to.unit),
                x_unit: &from.unit,
                y_unit: &to.unit,
                grain: l.grain,
                pairs: &r.pairs,
                fit: match (
                    r.evidence.effect,
                    r.evidence.effect_low,
                    r.evidence.effect_high,
                ) {
                    (Some(slope), Some(low), Some(high)) => Some(Fit { slope, low, high }),
                    _ => None,
                },
            })
        })
        .unwrap_or_default();
    LinkPage {
        page: ctx.layout(root, &format!("{} → {}", from.title, to.title), "map"),
        row: ctx.link_row(root, l),
        expect,
        facts,
        stats,
        verdict: result.map(verdict_badge),
        verdict_reason,
        explanation,
        implication,
        segment_dimension: l.segments.clone(),
        grain: l.grain.name(),
        levels: result.map_or_else(Vec::new, |r| levels_charts(l, from, to, &r.pairs)),
        lags: result.map_or_else(Vec::new, |r| {
            r.lags
                .iter()
                .map(|&(lag, n, r_diff)| {
                    (
                        words::lag_phrase(lag, l.grain),
                        n.to_string(),
                        number(r_diff, 2),
                        lag == l.lag,
                    )
                })
                .collect()
        }),
        segments,
        lag_words,
        warning: result.and_then(|r| r.disagreement()),
        experiments: ctx.experiment_rows(root, ctx.model.experiments_testing(l)),
        has_data: ctx.has_data,
        chart,
        sql: sql.section(root, SqlQuery::Link(l)),
        location: l.location.to_string(),
        definition: ctx.definition(&l.location),
    }
}

/// FROM and TO over a link's pairs, each at FROM's period (TO `lag`
/// later): two series charts to read side by side.
fn levels_charts(l: &Link, from: &Metric, to: &Metric, pairs: &[crate::run::Pair]) -> Vec<String> {
    if pairs.is_empty() {
        return Vec::new();
    }
    let xs: Vec<crate::run::Point> = pairs
        .iter()
        .map(|p| crate::run::Point {
            period: p.period,
            value: p.x,
        })
        .collect();
    let ys: Vec<crate::run::Point> = pairs
        .iter()
        .map(|p| crate::run::Point {
            period: p.period,
            value: p.y,
        })
        .collect();
    let lag = words::lag_phrase(l.lag, l.grain);
    vec![
        chart::series(&SeriesChart {
            id: "levels-from",
            title: &format!("{} per {}", from.title, l.grain.name()),
            unit: &from.unit,
            grain: l.grain,
            points: &xs,
            targets: &[],
            latest: None,
            good: None,
        }),
        chart::series(&SeriesChart {
            id: "levels-to",
            title: &format!("{}, {lag}, drawn at the period of {}", to.title, from.title),
            unit: &to.unit,
            grain: l.grain,
            points: &ys,
            targets: &[],
            latest: None,
            good: None,
        }),
    ]
}

// ------------------------------------------------------------------ source

#[derive(Template)]
#[template(path = "source.html")]
pub struct SourcePage {
    pub page: Layout,
    pub name: String,
    pub origin: String,
    pub time: String,
    pub columns: Vec<(String, String)>,
    pub expectations: Vec<ExpectationRow>,
    pub metrics: Vec<MetricRow>,
    pub has_data: bool,
    pub location: String,
    pub definition: String,
}

/// A data expectation as the source page lists it.
pub struct ExpectationRow {
    pub name: String,
    pub expected: String,
    pub state: Badge,
    /// What `cpic test` found, when the site was built with data.
    pub found: String,
}

impl Ctx<'_> {
    /// The row of an expectation, with its outcome when evaluated.
    fn expectation_row(&self, e: &Expectation) -> ExpectationRow {
        let name = e.name();
        let outcome = self.expectations.get(name.as_str());
        let state = match outcome {
            Some(o) if o.passed() => Badge::new("holds", "good"),
            Some(_) => Badge::new("fails", "bad"),
            None => Badge::new("not checked", "neutral"),
        };
        ExpectationRow {
            expected: expectations::expected(e),
            found: outcome
                .map(|o| expectations::summary(o))
                .unwrap_or_default(),
            name,
            state,
        }
    }

    /// Warnings for a metric whose source failed its `fresh`: recent
    /// periods may lack rows.
    fn staleness(&self, m: &Metric) -> Vec<String> {
        let Measure::Source { source, .. } = &m.measure else {
            return Vec::new();
        };
        let Some(fresh) = self
            .model
            .source(source)
            .and_then(|s| Some(Expectation::Fresh(s, s.fresh.as_ref()?)))
        else {
            return Vec::new();
        };
        match self.expectations.get(fresh.name().as_str()) {
            Some(o) if !o.passed() => vec![format!(
                "Source {source} may be stale: it is expected that {}, but {}. Its latest periods may be missing rows.",
                o.expected,
                expectations::summary(o)
            )],
            _ => Vec::new(),
        }
    }
}

pub fn source(ctx: &Ctx, s: &Source) -> SourcePage {
    let root = "../";
    let type_name = |t: &ColumnType| match t {
        ColumnType::Scalar(s) => match s {
            ScalarType::Text => "text".to_string(),
            ScalarType::Bool => "bool".to_string(),
            ScalarType::Int => "int".to_string(),
            ScalarType::Float => "float".to_string(),
            ScalarType::Date => "date".to_string(),
            ScalarType::Timestamp => "timestamp".to_string(),
        },
        ColumnType::Quantity { unit } => format!("number in {unit}"),
    };
    SourcePage {
        page: ctx.layout(root, &s.name, "sources"),
        name: s.name.clone(),
        origin: origin_text(s),
        time: s.time.clone().unwrap_or_default(),
        columns: s
            .columns
            .iter()
            .map(|c| (c.name.clone(), type_name(&c.ty)))
            .collect(),
        expectations: ctx
            .model
            .expectations()
            .iter()
            .filter(|e| e.owner() == s.name && e.kind() != ExpectationKind::Expect)
            .map(|e| ctx.expectation_row(e))
            .collect(),
        metrics: ctx
            .model
            .metrics
            .iter()
            .filter(|m| matches!(&m.measure, Measure::Source { source, .. } if *source == s.name))
            .map(|m| ctx.metric_row(root, m))
            .collect(),
        has_data: ctx.has_data,
        location: s.location.to_string(),
        definition: ctx.definition(&s.location),
    }
}
