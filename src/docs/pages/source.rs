//! A source's page: its columns, the metrics that read it, its data
//! expectations.

use askama::Template;

use crate::docs::Ctx;
use crate::model::{ColumnType, Expectation, ExpectationKind, Metric, ScalarType, Source};
use crate::run::expectations;

use super::lists::origin_text;
use super::widgets::{Badge, Layout, MetricRow};

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
    pub(crate) fn expectation_row(&self, e: &Expectation) -> ExpectationRow {
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
    pub(crate) fn staleness(&self, m: &Metric) -> Vec<String> {
        let Some(source) = m.source_measure().map(|s| &s.source) else {
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
            .filter(|m| m.source_measure().is_some_and(|m| m.source == s.name))
            .map(|m| ctx.metric_row(root, m))
            .collect(),
        has_data: ctx.has_data,
        location: s.location.to_string(),
        definition: ctx.definition(&s.location),
    }
}
