//! A link's page: its evidence, charts and lag profile.

use askama::Template;

use super::sql::{SqlQuery, SqlSection, SqlWriter};
use super::widgets::{
    experiment_href, fact, verdict_badge, verdict_badge_of, Badge, Fact, Layout, LinkRow,
};
use crate::docs::chart::{self, Fit, ScatterChart, SeriesChart};
use crate::docs::Ctx;
use crate::model::{Direction, Expect, Link, Metric};
use crate::run::words;

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
    /// The dimension of the segments, and one row per segment.
    pub segment_dimension: Option<String>,
    pub segments: Vec<SegmentRow>,
    pub grain: &'static str,
    /// Both metrics over the paired periods, side by side: FROM at p and
    /// TO at p + lag, drawn at p (the lag applied).
    pub levels: Vec<String>,
    pub lag_words: String,
    /// At lags 0 to 6: context, never the verdict.
    pub lags: Vec<LagRow>,
    pub warning: Option<String>,
    /// The experiments that test it.
    pub experiments: Vec<super::experiment::ExperimentRow>,
    pub has_data: bool,
    pub chart: String,
    pub sql: SqlSection,
    pub location: String,
    pub definition: String,
}

/// A segment's evidence (`segments:`), as the table shows it.
pub struct SegmentRow {
    pub value: String,
    pub n: String,
    pub effect: String,
    pub p: String,
    /// Holm-adjusted across the segments.
    pub adjusted: String,
    pub verdict: Badge,
}

/// The correlation of the changes at one lag.
pub struct LagRow {
    /// The lag in words.
    pub lag: String,
    pub n: String,
    pub r: String,
    /// Whether it is the link's own lag.
    pub declared: bool,
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
        fact("Lag", crate::words::lag(l.lag, l.grain)),
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
    let lag_words = crate::words::lag_later(l.lag, l.grain);
    let p_text = |p: Option<f64>| p.map_or_else(|| "n/a".to_string(), |p| format!("{p:.3}"));
    let segments = result.map_or_else(Vec::new, |r| {
        r.segments
            .iter()
            .map(|s| SegmentRow {
                value: s.segment.clone(),
                n: s.evidence.n.to_string(),
                effect: words::effect_sentence(l, from, (to, &to.title), &s.evidence)
                    .unwrap_or_else(|| "n/a".to_string()),
                p: p_text(s.evidence.p),
                adjusted: p_text(s.p_adjusted),
                verdict: verdict_badge_of(s.evidence.verdict),
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
                .map(|&(lag, n, r_diff)| LagRow {
                    lag: crate::words::lag_later(lag, l.grain),
                    n: n.to_string(),
                    r: number(r_diff, 2),
                    declared: lag == l.lag,
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
pub(crate) fn levels_charts(
    l: &Link,
    from: &Metric,
    to: &Metric,
    pairs: &[crate::run::Pair],
) -> Vec<String> {
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
    let lag = crate::words::lag_later(l.lag, l.grain);
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
