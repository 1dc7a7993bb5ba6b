//! The link graph as an SVG: CPIs on the left (drivers further left), KPIs
//! on the right, edges coloured by declared status and marked by the data's
//! verdict. Every node and edge is a link to its page.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::svg::{coord, escape, truncate};
use crate::model::{MetricKind, Model};
use crate::run::{LinkResult, MetricResult};
use crate::sql::results::Verdict;

const NODE_W: f64 = 230.0;
const NODE_H: f64 = 48.0;
const COL_GAP: f64 = 150.0;
const ROW_GAP: f64 = 14.0;
const PAD: f64 = 16.0;

/// What the map knows about the data, when there is any.
pub struct MapData<'a> {
    /// The run's results by metric name.
    pub results: &'a BTreeMap<&'a str, &'a MetricResult<'a>>,
    /// The run's link results by (from, to).
    pub links: &'a BTreeMap<(&'a str, &'a str), &'a LinkResult<'a>>,
}

/// The column of every metric: KPIs in the last one; a CPI one column left
/// of the leftmost CPI it drives (the checker guarantees no cycle).
fn columns(model: &Model) -> BTreeMap<&str, usize> {
    // depth: how many CPI steps a CPI is away from the KPI side.
    let mut depth: BTreeMap<&str, usize> = BTreeMap::new();
    let kind = |name: &str| model.metric(name).map(|m| m.kind);
    let mut changed = true;
    let mut rounds = 0;
    while changed && rounds <= model.metrics.len() {
        changed = false;
        rounds += 1;
        for l in &model.links {
            if kind(&l.to) == Some(MetricKind::Cpi) {
                let want = depth.get(l.to.as_str()).copied().unwrap_or(0) + 1;
                let d = depth.entry(l.from.as_str()).or_insert(0);
                if *d < want {
                    *d = want;
                    changed = true;
                }
            }
        }
    }
    let max = depth.values().copied().max().unwrap_or(0);
    model
        .metrics
        .iter()
        .map(|m| {
            let column = match m.kind {
                MetricKind::Kpi => max + 1,
                MetricKind::Cpi => max - depth.get(m.name.as_str()).copied().unwrap_or(0),
            };
            (m.name.as_str(), column)
        })
        .collect()
}

/// The map; `root` leads from the page to the site's root folder.
pub fn draw(model: &Model, root: &str, data: Option<&MapData>) -> String {
    let column_of = columns(model);
    let count = column_of.values().copied().max().map_or(0, |m| m + 1);
    let mut by_column: Vec<Vec<&str>> = vec![Vec::new(); count];
    for m in &model.metrics {
        by_column[column_of[m.name.as_str()]].push(m.name.as_str());
    }
    // Order each column by the mean row of what it links to (right to
    // left), which removes most crossings; names break ties.
    let mut row: BTreeMap<&str, f64> = BTreeMap::new();
    let mut links_from: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for l in &model.links {
        links_from
            .entry(l.from.as_str())
            .or_default()
            .push(l.to.as_str());
    }
    for c in (0..count).rev() {
        let mut keyed: Vec<(f64, &str)> = by_column[c]
            .iter()
            .map(|name| {
                let targets: Vec<f64> = links_from
                    .get(name)
                    .into_iter()
                    .flatten()
                    .filter_map(|to| row.get(to).copied())
                    .collect();
                let key = if targets.is_empty() {
                    f64::INFINITY
                } else {
                    targets.iter().sum::<f64>() / targets.len() as f64
                };
                (key, *name)
            })
            .collect();
        keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(b.1)));
        for (i, (_, name)) in keyed.iter().enumerate() {
            row.insert(name, i as f64);
        }
        by_column[c] = keyed.into_iter().map(|(_, n)| n).collect();
    }
    let rows = by_column.iter().map(Vec::len).max().unwrap_or(0) as f64;
    let width = PAD * 2.0 + count as f64 * NODE_W + (count.saturating_sub(1)) as f64 * COL_GAP;
    let height = PAD * 2.0 + 28.0 + rows * NODE_H + (rows - 1.0).max(0.0) * ROW_GAP;
    let place = |name: &str| {
        let c = column_of[name];
        let r = row.get(name).copied().unwrap_or(0.0);
        // Shorter columns are centred vertically.
        let offset = (rows - by_column[c].len() as f64) * (NODE_H + ROW_GAP) / 2.0;
        (
            PAD + c as f64 * (NODE_W + COL_GAP),
            PAD + 28.0 + offset + r * (NODE_H + ROW_GAP),
        )
    };
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg class=\"map\" viewBox=\"0 0 {} {}\" width=\"{}\" role=\"img\" aria-labelledby=\"map-title map-desc\" xmlns=\"http://www.w3.org/2000/svg\">\
<title id=\"map-title\">How CPIs are hypothesized to move KPIs</title>\
<desc id=\"map-desc\">{} metrics and {} links; CPIs on the left, KPIs on the right; each box and arrow links to its page.</desc><defs>",
        coord(width),
        coord(height),
        coord(width),
        model.metrics.len(),
        model.links.len()
    );
    for status in crate::model::LinkStatus::NAMES {
        let _ = write!(
            svg,
            "<marker id=\"arrow-{status}\" class=\"arrow-{status}\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0 0 L10 5 L0 10 z\"/></marker>"
        );
    }
    svg.push_str("</defs>");
    let heads: Vec<(usize, &str)> = if count > 1 {
        vec![
            (0, "CPIs: how we perform for customers"),
            (count - 1, "KPIs: how customers perform for us"),
        ]
    } else {
        vec![(0, "Metrics")]
    };
    for (c, label) in heads {
        let anchor = if c == 0 { "start" } else { "end" };
        let x = if c == 0 {
            PAD
        } else {
            PAD + c as f64 * (NODE_W + COL_GAP) + NODE_W
        };
        let _ = write!(
            svg,
            "<text class=\"map-head\" x=\"{}\" y=\"{}\" text-anchor=\"{anchor}\">{label}</text>",
            coord(x),
            coord(PAD + 14.0)
        );
    }
    for l in &model.links {
        let (x1, y1) = place(&l.from);
        let (x2, y2) = place(&l.to);
        let (ax, ay) = (x1 + NODE_W, y1 + NODE_H / 2.0);
        let (bx, by) = (x2 - 2.0, y2 + NODE_H / 2.0);
        let mid = (ax + bx) / 2.0;
        let status = l.status.name();
        let verdict = data
            .and_then(|d| d.links.get(&(l.from.as_str(), l.to.as_str())))
            .map(|r| &r.evidence.verdict);
        let _ = write!(
            svg,
            "<a href=\"{root}links/{}__{}.html\" class=\"edge edge-{status}\"><title>{} → {}: {status}{}</title>\
<path d=\"M{} {} C{} {} {} {} {} {}\" marker-end=\"url(#arrow-{status})\"/>",
            l.from,
            l.to,
            l.from,
            l.to,
            verdict.map(|v| format!(", data {v}")).unwrap_or_default(),
            coord(ax),
            coord(ay),
            coord(mid),
            coord(ay),
            coord(mid),
            coord(by),
            coord(bx),
            coord(by)
        );
        if let Some(v) = verdict {
            let glyph = match v {
                Verdict::Supports => "✓",
                Verdict::Contradicts => "✗",
                Verdict::Inconclusive => "?",
                Verdict::TooFewPeriods => "…",
            };
            let (cx, cy) = (mid, (ay + by) / 2.0);
            let _ = write!(
                svg,
                "<circle class=\"verdict verdict-{}\" cx=\"{}\" cy=\"{}\" r=\"10\"/><text class=\"verdict-glyph\" x=\"{}\" y=\"{}\" dy=\"0.35em\" text-anchor=\"middle\">{glyph}</text>",
                v.name(),
                coord(cx),
                coord(cy),
                coord(cx),
                coord(cy)
            );
        }
        svg.push_str("</a>");
    }
    for m in &model.metrics {
        let (x, y) = place(&m.name);
        let kind = m.kind.name();
        // Tinted only when the latest complete period has a target.
        let state = data
            .and_then(|d| d.results.get(m.name.as_str()))
            .and_then(|r| r.latest.and(r.target.as_ref()))
            .map(|t| if t.good { " on-target" } else { " off-target" })
            .unwrap_or("");
        let _ = write!(
            svg,
            "<a href=\"{root}metrics/{}.html\" class=\"node node-{kind}{state}\"><title>{}: {} ({})</title>\
<rect x=\"{}\" y=\"{}\" width=\"{NODE_W}\" height=\"{NODE_H}\" rx=\"8\"/>\
<text class=\"node-title\" x=\"{}\" y=\"{}\">{}</text>\
<text class=\"node-sub\" x=\"{}\" y=\"{}\">{} · {}</text></a>",
            m.name,
            kind.to_uppercase(),
            escape(&m.title),
            escape(&m.unit.to_string()),
            coord(x),
            coord(y),
            coord(x + 12.0),
            coord(y + 20.0),
            escape(&truncate(&m.title, 26)),
            coord(x + 12.0),
            coord(y + 37.0),
            kind.to_uppercase(),
            escape(&truncate(&m.unit.to_string(), 24))
        );
    }
    svg.push_str("</svg>");
    svg
}
