//! The map page: the link graph.

use askama::Template;

use super::widgets::{Layout, LinkRow};
use crate::docs::Ctx;

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
