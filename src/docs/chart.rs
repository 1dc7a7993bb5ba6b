//! Charts drawn by cpic: a metric's series with its target bands, and the
//! scatter of a link's lagged pairs with the fitted line.

use std::fmt::Write;

use super::svg::{coord, escape, tick_label, ticks, Scale};
use crate::date::Date;
use crate::model::{Grain, Target};
use crate::run::{Pair, Point};
use crate::units::Unit;
use crate::units::{format_change, format_value};

/// A period as people name it at this grain: `2026-03-02`, `2026-03`,
/// `2026 Q1`, `2026`.
pub fn period_label(period: Date, grain: Grain) -> String {
    match grain {
        Grain::Day | Grain::Week => period.to_string(),
        Grain::Month => format!("{:04}-{:02}", period.year, period.month),
        Grain::Quarter => format!("{} Q{}", period.year, (period.month - 1) / 3 + 1),
        Grain::Year => format!("{}", period.year),
    }
}

/// The distance between two ticks.
fn tick_step(ticks: &[f64]) -> f64 {
    ticks.get(1).map_or(1.0, |b| b - ticks[0])
}

/// A scale from the first to the last tick onto `p0..p1` pixels.
fn tick_scale(ticks: &[f64], p0: f64, p1: f64) -> Scale {
    Scale {
        d0: ticks[0],
        d1: *ticks.last().expect("ticks"),
        p0,
        p1,
    }
}

/// The vertical axis: a grid line and a label per tick from `LEFT` to
/// `right`, and the title turned along the axis.
fn value_axis(svg: &mut String, ticks: &[f64], y: Scale, right: f64, title: &str) {
    for v in ticks {
        let py = coord(y.at(*v));
        let _ = write!(
            svg,
            "<line class=\"grid\" x1=\"{LEFT}\" x2=\"{right}\" y1=\"{py}\" y2=\"{py}\"/><text class=\"tick\" x=\"{}\" y=\"{py}\" dy=\"0.32em\" text-anchor=\"end\">{}</text>",
            LEFT - 8.0,
            tick_label(*v, tick_step(ticks))
        );
    }
    let mid = coord((y.p0 + y.p1) / 2.0);
    let _ = write!(
        svg,
        "<text class=\"axis-title\" x=\"12\" y=\"{mid}\" transform=\"rotate(-90 12 {mid})\" text-anchor=\"middle\">{}</text>",
        escape(title)
    );
}

pub struct SeriesChart<'a> {
    /// Prefix of the SVG's element ids, unique on its page.
    pub id: &'a str,
    pub title: &'a str,
    pub unit: &'a Unit,
    pub grain: Grain,
    pub points: &'a [Point],
    pub targets: &'a [Target],
    /// The latest complete period, highlighted, and whether it is on target.
    pub latest: Option<Point>,
    pub good: Option<bool>,
}

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 280.0;
const LEFT: f64 = 72.0;
const RIGHT: f64 = 24.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 36.0;
/// Above this many points, only the latest gets a dot.
const MAX_DOTS: usize = 120;

pub fn series(chart: &SeriesChart) -> String {
    let points = chart.points;
    let mut svg = String::new();
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return svg;
    };
    let day = |d: Date| d.days_since_epoch() as f64;
    let (start, end) = (first.period, chart.grain.add(last.period, 1));
    let bands: Vec<&Target> = chart
        .targets
        .iter()
        .filter(|t| t.from < end && t.until >= start)
        .collect();
    let mut low = points.iter().map(|p| p.value).fold(f64::INFINITY, f64::min);
    let mut high = points
        .iter()
        .map(|p| p.value)
        .fold(f64::NEG_INFINITY, f64::max);
    for t in &bands {
        low = low.min(t.low);
        high = high.max(t.high);
    }
    let ys = ticks(low, high, 5);
    let y = tick_scale(&ys, HEIGHT - BOTTOM, TOP);
    let x = Scale {
        d0: day(first.period),
        d1: day(last.period),
        p0: LEFT + 8.0,
        p1: WIDTH - RIGHT - 8.0,
    };
    let unit = chart.unit.to_string();
    let latest_text = chart.latest.map(|p| {
        format!(
            "; latest {} in {}",
            format_value(p.value, chart.unit),
            period_label(p.period, chart.grain)
        )
    });
    let _ = write!(
        svg,
        "<svg class=\"chart\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" aria-labelledby=\"{id}-title {id}-desc\" xmlns=\"http://www.w3.org/2000/svg\">\
<title id=\"{id}-title\">{}</title><desc id=\"{id}-desc\">{} values per {} from {} to {}{}{}</desc>",
        escape(chart.title),
        points.len(),
        chart.grain.name(),
        period_label(first.period, chart.grain),
        period_label(last.period, chart.grain),
        escape(&latest_text.unwrap_or_default()),
        if bands.is_empty() {
            String::new()
        } else {
            "; shaded: target ranges".to_string()
        },
        id = chart.id,
    );
    for t in &bands {
        let x0 = x.at(day(t.from.max(start))).max(LEFT);
        let x1 = x.at(day(t.until.min(last.period))).min(WIDTH - RIGHT);
        let (y0, y1) = (y.at(t.high), y.at(t.low));
        let _ = write!(
            svg,
            "<rect class=\"band\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"><title>Target {}{} .. {}, {} to {}</title></rect>",
            coord(x0),
            coord(y0),
            coord((x1 - x0).max(2.0)),
            coord((y1 - y0).max(1.0)),
            t.name.as_deref().map(|n| format!("{} ", escape(n))).unwrap_or_default(),
            escape(&format_value(t.low, chart.unit)),
            escape(&format_value(t.high, chart.unit)),
            t.from,
            t.until
        );
    }
    value_axis(&mut svg, &ys, y, WIDTH - RIGHT, &unit);
    let labels = 6.min(points.len());
    let mut shown = Vec::new();
    for k in 0..labels {
        let i = if labels == 1 {
            0
        } else {
            (k * (points.len() - 1) + (labels - 1) / 2) / (labels - 1)
        };
        if shown.last() == Some(&i) {
            continue;
        }
        shown.push(i);
        let p = points[i];
        let anchor = if k == 0 && labels > 1 {
            "start"
        } else if k + 1 == labels && labels > 1 {
            "end"
        } else {
            "middle"
        };
        let _ = write!(
            svg,
            "<text class=\"tick\" x=\"{}\" y=\"{}\" text-anchor=\"{anchor}\">{}</text>",
            coord(x.at(day(p.period))),
            coord(HEIGHT - BOTTOM + 20.0),
            period_label(p.period, chart.grain)
        );
    }
    let mut path = String::new();
    let mut previous: Option<Date> = None;
    for p in points {
        // A missing period breaks the line rather than bridging the gap.
        let joined = previous.is_some_and(|d| chart.grain.add(d, 1) == p.period);
        let _ = write!(
            path,
            "{}{} {}",
            if joined { " L" } else { " M" },
            coord(x.at(day(p.period))),
            coord(y.at(p.value))
        );
        previous = Some(p.period);
    }
    let _ = write!(svg, "<path class=\"line\" d=\"{}\"/>", path.trim_start());
    if points.len() <= MAX_DOTS {
        for p in points {
            let _ = write!(
                svg,
                "<circle class=\"dot\" cx=\"{}\" cy=\"{}\" r=\"2.5\"><title>{}: {}</title></circle>",
                coord(x.at(day(p.period))),
                coord(y.at(p.value)),
                period_label(p.period, chart.grain),
                escape(&format_value(p.value, chart.unit))
            );
        }
    }
    if let Some(p) = chart.latest {
        let class = match chart.good {
            Some(true) => "latest good",
            Some(false) => "latest bad",
            None => "latest",
        };
        let (px, py) = (x.at(day(p.period)), y.at(p.value));
        let _ = write!(
            svg,
            "<circle class=\"{class}\" cx=\"{}\" cy=\"{}\" r=\"5\"><title>Latest: {}: {}</title></circle>",
            coord(px),
            coord(py),
            period_label(p.period, chart.grain),
            escape(&format_value(p.value, chart.unit))
        );
        let anchor = if px > WIDTH / 2.0 { "end" } else { "start" };
        let dx = if px > WIDTH / 2.0 { -9.0 } else { 9.0 };
        let dy = if py < TOP + 20.0 { 16.0 } else { -10.0 };
        let _ = write!(
            svg,
            "<text class=\"value-label\" x=\"{}\" y=\"{}\" text-anchor=\"{anchor}\">{}</text>",
            coord(px + dx),
            coord(py + dy),
            escape(&format_value(p.value, chart.unit))
        );
    }
    svg.push_str("</svg>");
    svg
}

pub struct ScatterChart<'a> {
    pub title: &'a str,
    pub x_label: &'a str,
    pub y_label: &'a str,
    pub x_unit: &'a Unit,
    pub y_unit: &'a Unit,
    pub grain: Grain,
    /// Plotted by their changes (`Pair::change`); pairs without are not.
    pub pairs: &'a [Pair],
    /// The effect and its interval, from the evidence query.
    pub fit: Option<Fit>,
}

/// A fitted slope of y on x and its 95% interval, drawn through the
/// centre of the points.
#[derive(Clone, Copy)]
pub struct Fit {
    pub slope: f64,
    pub low: f64,
    pub high: f64,
}

const S_WIDTH: f64 = 520.0;
const S_HEIGHT: f64 = 360.0;
const S_BOTTOM: f64 = 52.0;

pub fn scatter(chart: &ScatterChart) -> String {
    let pairs: Vec<Pair> = chart
        .pairs
        .iter()
        .filter_map(|p| {
            let (x, y) = p.change?;
            Some(Pair { x, y, ..*p })
        })
        .collect();
    let fit = chart
        .fit
        .filter(|f| f.slope.is_finite() && f.low.is_finite() && f.high.is_finite());
    let mut svg = String::new();
    if pairs.is_empty() {
        return svg;
    }
    let range = |values: &mut dyn Iterator<Item = f64>| {
        values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        })
    };
    let (x_lo, x_hi) = range(&mut pairs.iter().map(|p| p.x));
    let (y_lo, y_hi) = range(&mut pairs.iter().map(|p| p.y));
    let (xt, yt) = (ticks(x_lo, x_hi, 5), ticks(y_lo, y_hi, 5));
    let x = tick_scale(&xt, LEFT, S_WIDTH - RIGHT);
    let y = tick_scale(&yt, S_HEIGHT - S_BOTTOM, TOP);
    let _ = write!(
        svg,
        "<svg class=\"chart scatter\" viewBox=\"0 0 {S_WIDTH} {S_HEIGHT}\" role=\"img\" aria-labelledby=\"scatter-title scatter-desc\" xmlns=\"http://www.w3.org/2000/svg\">\
<title id=\"scatter-title\">{}</title><desc id=\"scatter-desc\">{} pairs; horizontal: {}; vertical: {}{}</desc>\
<defs><clipPath id=\"plot-area\"><rect x=\"{LEFT}\" y=\"{TOP}\" width=\"{}\" height=\"{}\"/></clipPath></defs>",
        escape(chart.title),
        pairs.len(),
        escape(chart.x_label),
        escape(chart.y_label),
        if fit.is_some() {
            "; the line is the fitted slope, the shaded band its 95% interval"
        } else {
            ""
        },
        S_WIDTH - RIGHT - LEFT,
        S_HEIGHT - S_BOTTOM - TOP
    );
    for v in &xt {
        let px = coord(x.at(*v));
        let _ = write!(
            svg,
            "<line class=\"grid\" x1=\"{px}\" x2=\"{px}\" y1=\"{TOP}\" y2=\"{}\"/><text class=\"tick\" x=\"{px}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            S_HEIGHT - S_BOTTOM,
            S_HEIGHT - S_BOTTOM + 18.0,
            tick_label(*v, tick_step(&xt))
        );
    }
    value_axis(&mut svg, &yt, y, S_WIDTH - RIGHT, chart.y_label);
    let _ = write!(
        svg,
        "<text class=\"axis-title\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
        coord((LEFT + S_WIDTH - RIGHT) / 2.0),
        S_HEIGHT - 10.0,
        escape(chart.x_label),
    );
    if let Some(fit) = fit {
        let n = pairs.len() as f64;
        let mx = pairs.iter().map(|p| p.x).sum::<f64>() / n;
        let my = pairs.iter().map(|p| p.y).sum::<f64>() / n;
        let line = |slope: f64, v: f64| y.at(my + slope * (v - mx));
        let (x0, x1) = (x.d0, x.d1);
        let _ = write!(
            svg,
            "<polygon class=\"fit-band\" clip-path=\"url(#plot-area)\" points=\"{},{} {},{} {},{} {},{}\"/>",
            coord(x.at(x0)),
            coord(line(fit.low, x0)),
            coord(x.at(x1)),
            coord(line(fit.high, x1)),
            coord(x.at(x1)),
            coord(line(fit.low, x1)),
            coord(x.at(x0)),
            coord(line(fit.high, x0)),
        );
        let _ = write!(
            svg,
            "<line class=\"fit\" clip-path=\"url(#plot-area)\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>",
            coord(x.at(x0)),
            coord(line(fit.slope, x0)),
            coord(x.at(x1)),
            coord(line(fit.slope, x1))
        );
    }
    for p in &pairs {
        let _ = write!(
            svg,
            "<circle class=\"dot\" cx=\"{}\" cy=\"{}\" r=\"3.5\"><title>{}: {} and then {}</title></circle>",
            coord(x.at(p.x)),
            coord(y.at(p.y)),
            period_label(p.period, chart.grain),
            escape(&format_change(p.x, chart.x_unit)),
            escape(&format_change(p.y, chart.y_unit))
        );
    }
    svg.push_str("</svg>");
    svg
}

/// One row of a forest plot: an estimate and its 95% interval.
pub struct ForestRow {
    pub label: String,
    pub estimate: f64,
    pub low: f64,
    pub high: f64,
    /// Whether a higher value is better for this row's metric (the
    /// better side is shaded by the reader's eye from the caption).
    pub higher_is_better: bool,
}

const F_WIDTH: f64 = 640.0;
const F_LABELS: f64 = 230.0;
const F_ROW: f64 = 30.0;

/// A forest plot: per row, a dot at the estimate and a whisker over its
/// interval, on one axis through zero (the relative differences of an
/// experiment's metrics, in %). Rows without finite numbers are left out.
pub fn forest(title: &str, axis: &str, rows: &[ForestRow]) -> String {
    let rows: Vec<&ForestRow> = rows
        .iter()
        .filter(|r| r.estimate.is_finite() && r.low.is_finite() && r.high.is_finite())
        .collect();
    let mut svg = String::new();
    if rows.is_empty() {
        return svg;
    }
    let lo = rows.iter().map(|r| r.low).fold(0.0, f64::min);
    let hi = rows.iter().map(|r| r.high).fold(0.0, f64::max);
    let t = ticks(lo, hi, 5);
    let x = tick_scale(&t, F_LABELS, F_WIDTH - RIGHT);
    let height = TOP + F_ROW * rows.len() as f64 + 44.0;
    let bottom = height - 44.0;
    let _ = write!(
        svg,
        "<svg class=\"chart forest\" viewBox=\"0 0 {F_WIDTH} {}\" role=\"img\" aria-labelledby=\"forest-title forest-desc\" xmlns=\"http://www.w3.org/2000/svg\">\
<title id=\"forest-title\">{}</title><desc id=\"forest-desc\">{} rows; each dot is an estimate and its line the 95% interval; the vertical line is no difference</desc>",
        coord(height),
        escape(title),
        rows.len()
    );
    let step = tick_step(&t);
    for v in &t {
        let px = coord(x.at(*v));
        let _ = write!(
            svg,
            "<line class=\"grid\" x1=\"{px}\" x2=\"{px}\" y1=\"{TOP}\" y2=\"{}\"/><text class=\"tick\" x=\"{px}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            coord(bottom),
            coord(bottom + 18.0),
            tick_label(*v, step)
        );
    }
    let zero = coord(x.at(0.0));
    let _ = write!(
        svg,
        "<line class=\"zero\" x1=\"{zero}\" x2=\"{zero}\" y1=\"{TOP}\" y2=\"{}\"/><text class=\"axis-title\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
        coord(bottom),
        coord((F_LABELS + F_WIDTH - RIGHT) / 2.0),
        coord(height - 8.0),
        escape(axis)
    );
    for (i, r) in rows.iter().enumerate() {
        let cy = coord(TOP + F_ROW * (i as f64 + 0.5));
        let better = if r.higher_is_better {
            r.low > 0.0
        } else {
            r.high < 0.0
        };
        let worse = if r.higher_is_better {
            r.high < 0.0
        } else {
            r.low > 0.0
        };
        let class = if better {
            "better"
        } else if worse {
            "worse"
        } else {
            "unclear"
        };
        let _ = write!(
            svg,
            "<text class=\"tick\" x=\"{}\" y=\"{cy}\" dy=\"0.35em\" text-anchor=\"end\">{}</text><line class=\"whisker {class}\" x1=\"{}\" x2=\"{}\" y1=\"{cy}\" y2=\"{cy}\"/><circle class=\"estimate {class}\" cx=\"{}\" cy=\"{cy}\" r=\"5\"><title>{}: {} ({} .. {})</title></circle>",
            coord(F_LABELS - 10.0),
            escape(&r.label),
            coord(x.at(r.low)),
            coord(x.at(r.high)),
            coord(x.at(r.estimate)),
            escape(&r.label),
            tick_label(r.estimate, step / 10.0),
            tick_label(r.low, step / 10.0),
            tick_label(r.high, step / 10.0),
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    #[test]
    fn a_gap_in_the_series_breaks_the_line() {
        let points = [
            Point {
                period: d("2026-01-01"),
                value: 1.0,
            },
            Point {
                period: d("2026-02-01"),
                value: 2.0,
            },
            Point {
                period: d("2026-04-01"),
                value: 3.0,
            },
        ];
        let svg = series(&SeriesChart {
            id: "series",
            title: "<b>t</b>",
            unit: &Unit::Percent,
            grain: Grain::Month,
            points: &points,
            targets: &[],
            latest: Some(points[2]),
            good: Some(true),
        });
        let path = svg.split("class=\"line\" d=\"").nth(1).unwrap();
        let path = &path[..path.find('"').unwrap()];
        assert_eq!(path.matches('M').count(), 2, "{path}");
        assert_eq!(path.matches('L').count(), 1, "{path}");
        assert!(svg.contains("&lt;b&gt;t&lt;/b&gt;") && !svg.contains("<b>"));
        assert!(svg.contains("class=\"latest good\""));
    }

    #[test]
    fn quarters_and_years_are_named_as_people_name_them() {
        assert_eq!(period_label(d("2026-07-01"), Grain::Quarter), "2026 Q3");
        assert_eq!(period_label(d("2026-07-01"), Grain::Month), "2026-07");
        assert_eq!(period_label(d("2026-01-01"), Grain::Year), "2026");
    }
}
