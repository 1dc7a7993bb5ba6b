//! What pages share: the layout, badges, facts, references to other
//! pages and the rows of metrics and links in tables, and the charts a
//! page draws from the run's results.

use crate::docs::chart::{self, period_label, SeriesChart};
use crate::docs::map;
use crate::docs::Ctx;
use crate::model::{Link, LinkStatus, Metric};
use crate::run::{LinkResult, MetricResult};
use crate::sql::results::{TargetStatus, Verdict};
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
    pub(crate) fn new(label: impl Into<String>, class: &'static str) -> Badge {
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

pub struct Fact {
    pub label: &'static str,
    pub value: String,
    pub href: Option<String>,
    pub badge: Option<Badge>,
}

pub(crate) fn fact(label: &'static str, value: impl Into<String>) -> Fact {
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

pub(crate) fn link_status_badge(status: LinkStatus) -> Badge {
    let class = match status {
        LinkStatus::Hypothesized => "neutral",
        LinkStatus::Testing => "info",
        LinkStatus::Confirmed => "good",
        LinkStatus::Refuted => "bad",
    };
    Badge::new(status.name(), class)
}

pub(crate) fn verdict_badge(result: &LinkResult) -> Badge {
    verdict_badge_of(result.evidence.verdict)
}

pub(crate) fn verdict_badge_of(verdict: Verdict) -> Badge {
    let class = match verdict {
        Verdict::Supports => "good",
        Verdict::Contradicts => "bad",
        Verdict::Inconclusive | Verdict::TooFewPeriods => "neutral",
    };
    Badge::new(format!("data {}", verdict.name().replace('_', " ")), class)
}

pub(crate) fn range_text(metric: &Metric, low: f64, high: f64) -> String {
    format!(
        "{} .. {}",
        format_value(low, &metric.unit),
        format_value(high, &metric.unit)
    )
}

/// The status of a metric's latest value against its target.
pub(crate) fn value_status(result: Option<&MetricResult>, has_data: bool) -> Badge {
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

pub(crate) fn change_text(r: &MetricResult) -> String {
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
    pub(crate) fn links_of(&self, metric: &str) -> impl Iterator<Item = &Link> + '_ {
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

    pub(crate) fn team_ref(&self, root: &str, name: &str) -> Ref {
        Ref {
            href: team_href(root, name),
            label: self
                .model
                .team(name)
                .map_or_else(|| name.to_string(), |t| t.display_name.clone()),
        }
    }

    pub(crate) fn metric_ref(&self, root: &str, name: &str) -> Ref {
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
    pub(crate) fn active_target<'m>(&self, m: &'m Metric) -> Option<&'m crate::model::Target> {
        m.target_on(self.today)
    }

    pub fn link_row(&self, root: &str, l: &Link) -> LinkRow {
        let result = self.links.get(&(l.from.as_str(), l.to.as_str())).copied();
        LinkRow {
            href: link_href(root, l),
            from: self.metric_ref(root, &l.from),
            to: self.metric_ref(root, &l.to),
            hypothesis: l.hypothesis.clone().unwrap_or_default(),
            lag: crate::words::lag(l.lag, l.grain),
            status: link_status_badge(l.status),
            verdict: result.map(verdict_badge),
        }
    }

    /// The spec text of an item, as written.
    pub(crate) fn definition(&self, location: &crate::model::Location) -> String {
        let span = location.item;
        let file = self.sources.get(span.file);
        file.text
            .get(span.range())
            .map(str::to_string)
            .unwrap_or_default()
    }
}

impl Ctx<'_> {
    pub(crate) fn map(&self, root: &str) -> String {
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

    pub(crate) fn series_chart(&self, m: &Metric) -> String {
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

/// An entry of a list page.
pub struct ListItem {
    pub link: Ref,
    pub detail: String,
}
