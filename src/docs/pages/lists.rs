//! The lists of teams and of sources.

use askama::Template;

use super::widgets::{source_href, Layout, ListItem, Ref};
use crate::docs::Ctx;
use crate::model::{Origin, Source};

#[derive(Template)]
#[template(path = "list.html")]
pub struct ListPage {
    pub page: Layout,
    pub intro: &'static str,
    pub items: Vec<ListItem>,
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
                    detail: crate::words::count(owned as f64, "metric"),
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

pub(crate) fn origin_text(s: &Source) -> String {
    match &s.origin {
        Origin::Table(t) => format!("table {t}"),
        Origin::File(f) => format!("file {f}"),
    }
}
