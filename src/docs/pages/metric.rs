//! A metric's page.

use askama::Template;

use super::sql::{SqlQuery, SqlSection, SqlWriter};
use super::widgets::{
    fact, range_text, source_href, team_href, Badge, Fact, Layout, LinkRow, MetricRow,
};
use crate::docs::chart::period_label;
use crate::docs::{markdown, Ctx};
use crate::model::{ExpectationKind, Measure, Metric, Tier};
use crate::run::words;
use crate::units::format_value;

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
        Measure::Source(s) => {
            facts.push(Fact {
                href: Some(source_href(root, &s.source)),
                ..fact("Source", s.source.clone())
            });
            facts.push(fact("Time column", s.time.clone()));
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
pub(crate) fn review_fact(ctx: &Ctx, m: &Metric) -> Fact {
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
