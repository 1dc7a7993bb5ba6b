//! The home page: counts, the core metric, the CPIs by team, the KPIs.

use askama::Template;

use super::widgets::{Layout, MetricRow, Ref};
use crate::docs::Ctx;
use crate::model::{MetricKind, Tier};

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
