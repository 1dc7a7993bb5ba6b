//! A team's page.

use askama::Template;

use super::widgets::{Layout, LinkRow, MetricRow};
use crate::docs::Ctx;
use crate::model::{Link, Metric, Team};

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
pub(crate) fn is_email(text: &str) -> bool {
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
