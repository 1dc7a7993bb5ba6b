//! Links: endpoints, direction of the graph (CPI -> KPI or CPI -> CPI),
//! grain and lag, and cycles.

use std::collections::HashMap;

use super::fields::Fields;
use super::metrics::{by_name, index_by_name, MetricInfo};
use super::periods::whole_periods;
use super::{graph, Checker};
use crate::diag::{did_you_mean, Code, Diagnostic};
use crate::model::{Expect, Grain, Link, LinkStatus, MetricKind};
use crate::schema::Key;
use crate::source::Span;
use crate::syntax::ast::{Ident, Item, ItemKind, Quantity};

const DEFAULT_MIN_PERIODS: i64 = 8;

pub(crate) fn check_links(checker: &mut Checker, metrics: &[MetricInfo]) -> Vec<Link> {
    let by_name = by_name(metrics);
    let mut links = Vec::new();
    let mut seen: HashMap<(String, String), Span> = HashMap::new();
    // For cycle detection: (from, to, span of the link).
    let mut edges: Vec<(usize, usize, Span)> = Vec::new();
    let index = index_by_name(metrics);
    for item in checker.items_of(&[ItemKind::Link]) {
        let fields = checker.fields(item);
        let to_ident = item.to.as_ref().expect("a link has two ends");
        let from = endpoint(checker, &item.name, &by_name);
        let to = endpoint(checker, to_ident, &by_name);
        let key = (item.name.name.clone(), to_ident.name.clone());
        if let Some(first) = seen.get(&key) {
            checker.diags.push(
                Diagnostic::new(
                    Code::DuplicateLink,
                    item.name.span.to(to_ident.span),
                    format!("link {} -> {} is declared more than once", key.0, key.1),
                )
                .label("declared again here")
                .secondary(*first, "first declared here")
                .hint("merge the two declarations"),
            );
            continue;
        }
        seen.insert(key, item.name.span.to(to_ident.span));
        if let Some(from) = from {
            if from.kind == MetricKind::Kpi {
                checker.diags.push(
                    Diagnostic::new(
                        Code::LinkFromKpi,
                        item.name.span,
                        format!("link starts at KPI `{}`", from.name()),
                    )
                    .label("a KPI")
                    .secondary(from.item.name.span, "declared as a kpi here")
                    .hint("links run from a CPI (what the company does for the customer) to the KPI it moves, or to another CPI it drives"),
                );
            }
        }
        if let (Some(a), Some(b)) = (
            from.and_then(|m| index.get(m.name())),
            to.and_then(|m| index.get(m.name())),
        ) {
            edges.push((*a, *b, item.name.span.to(to_ident.span)));
        }
        if let Some(link) = link(checker, item, &fields, from, to) {
            links.push(link);
        }
    }
    link_cycles(checker, metrics, &edges);
    links
}

fn endpoint<'m>(
    checker: &mut Checker,
    ident: &Ident,
    metrics: &HashMap<&str, &'m MetricInfo<'m>>,
) -> Option<&'m MetricInfo<'m>> {
    if let Some(m) = metrics.get(ident.name.as_str()) {
        return Some(*m);
    }
    let d = match checker.kinds.get(ident.name.as_str()) {
        Some(&"metric") => return None,
        Some(other) => Diagnostic::new(
            Code::WrongKind,
            ident.span,
            format!("`{}` is a {other}, not a metric", ident.name),
        )
        .label("not a metric")
        .hint("links join a CPI to the KPI (or CPI) it is expected to move"),
        None => Diagnostic::new(
            Code::UnknownMetric,
            ident.span,
            format!("no metric named `{}`", ident.name),
        )
        .label("unknown metric")
        .hint_opt(did_you_mean(&ident.name, metrics.keys().copied())),
    };
    checker.diags.push(d);
    None
}

fn link(
    checker: &mut Checker,
    item: &Item,
    f: &Fields,
    from: Option<&MetricInfo>,
    to: Option<&MetricInfo>,
) -> Option<Link> {
    let expect = match f.word(Key::Expect) {
        Some(_) => f.keyword(Key::Expect, &mut checker.diags),
        None => Some(Expect::Improves),
    };
    let status = match f.word(Key::Status) {
        Some(_) => f.keyword(Key::Status, &mut checker.diags),
        None => Some(LinkStatus::Hypothesized),
    };
    let min_periods = match f.get(Key::MinPeriods).map(|x| &x.value) {
        Some(crate::syntax::ast::Value::Integer { value, span }) => {
            if *value < 3 {
                checker.diags.push(
                    Diagnostic::new(Code::MinPeriods, *span, format!("`min_periods` is {value}; it must be at least 3"))
                        .label("too small")
                        .hint("a correlation and its t statistic need at least 3 pairs of periods; the default is 8"),
                );
                None
            } else {
                Some(*value)
            }
        }
        Some(_) => None,
        None => Some(DEFAULT_MIN_PERIODS),
    };
    let (from, to) = (from?, to?);
    let (from_grain, to_grain) = (from.grain?, to.grain?);
    let coarser = from_grain.max(to_grain);
    // Both series are recomputed from their rows at the link grain, so any
    // grain at least as coarse as both metrics' works.
    let grain = match f.word(Key::Grain) {
        Some(word) => {
            let grain = f.keyword::<Grain>(Key::Grain, &mut checker.diags)?;
            for (metric, metric_grain) in [(from, from_grain), (to, to_grain)] {
                if grain < metric_grain {
                    checker.diags.push(
                        Diagnostic::new(
                            Code::LinkGrain,
                            word.span,
                            format!(
                                "link grain `{}` is finer than `{}`, which is measured per {}",
                                grain.name(),
                                metric.name(),
                                metric_grain.name()
                            ),
                        )
                        .label("too fine")
                        .secondary(
                            metric.item.name.span,
                            format!("grain `{}`", metric_grain.name()),
                        )
                        .hint(format!("use a grain of at least `{}`", coarser.name())),
                    );
                    return None;
                }
            }
            grain
        }
        None => coarser,
    };
    let lag = match f.quantity(Key::Lag) {
        Some(q) => lag_periods(checker, q, grain)?,
        None => 0,
    };
    let segments = match f.word(Key::Segments) {
        Some(word) => Some(segments(checker, word, from, to)?),
        None => None,
    };
    let expected_sign = {
        let directions = from.direction?.sign() * to.direction?.sign();
        match expect? {
            Expect::Improves => directions,
            Expect::Worsens => -directions,
        }
    };
    Some(Link {
        from: from.name().to_string(),
        to: to.name().to_string(),
        hypothesis: f.string(Key::Hypothesis).map(|s| s.value.clone()),
        expect: expect?,
        lag,
        grain,
        status: status?,
        experiment: f
            .string(Key::Experiment)
            .map(|s| s.value.clone())
            .or_else(|| f.word(Key::Experiment).map(|w| w.name.clone())),
        experiment_item: f.word(Key::Experiment).map(|w| w.name.clone()),
        min_periods: min_periods?,
        segments,
        expected_sign,
        location: checker.location(item),
    })
}

/// `segments: DIM`: a dimension both metrics declare.
fn segments(
    checker: &mut Checker,
    word: &Ident,
    from: &MetricInfo,
    to: &MetricInfo,
) -> Option<String> {
    let dimensions = |m: &MetricInfo| -> Vec<String> {
        m.metric
            .as_ref()
            .map_or_else(Vec::new, |metric| metric.dimensions.clone())
    };
    let (of_from, of_to) = (dimensions(from), dimensions(to));
    for (metric, dims) in [(from, &of_from), (to, &of_to)] {
        if !dims.contains(&word.name) {
            let shared: Vec<&str> = of_from
                .iter()
                .filter(|d| of_to.contains(d))
                .map(String::as_str)
                .collect();
            let hint = if shared.is_empty() {
                format!("add `{}` to the `dimensions` of both metrics", word.name)
            } else {
                format!("the dimensions of both metrics are: {}", shared.join(", "))
            };
            checker.diags.push(
                Diagnostic::new(
                    Code::LinkSegments,
                    word.span,
                    format!("`{}` is not a dimension of `{}`", word.name, metric.name()),
                )
                .label("not a dimension of both metrics")
                .secondary(metric.item.name.span, "declared here")
                .hint(hint),
            );
            return None;
        }
    }
    Some(word.name.clone())
}

/// The lag as a whole number of link grains.
fn lag_periods(checker: &mut Checker, q: &Quantity, grain: Grain) -> Option<i64> {
    whole_periods(
        q,
        grain,
        Code::LagGrain,
        ("lag", "the link's grain", "lag: {}"),
    )
    .map_err(|d| checker.diags.push(d))
    .ok()
}

fn link_cycles(checker: &mut Checker, metrics: &[MetricInfo], edges: &[(usize, usize, Span)]) {
    let mut adjacency = vec![Vec::new(); metrics.len()];
    for &(a, b, _) in edges {
        adjacency[a].push(b);
    }
    for cycle in graph::cycles(metrics.len(), &adjacency) {
        let names: Vec<&str> = cycle.iter().map(|&i| metrics[i].name()).collect();
        let spans: Vec<Span> = cycle
            .iter()
            .enumerate()
            .filter_map(|(k, &a)| {
                let b = cycle[(k + 1) % cycle.len()];
                edges
                    .iter()
                    .find(|&&(x, y, _)| x == a && y == b)
                    .map(|&(_, _, s)| s)
            })
            .collect();
        let mut d = Diagnostic::new(
            Code::LinkCycle,
            spans[0],
            format!("links form a cycle: {} -> {}", names.join(" -> "), names[0]),
        )
        .label("part of the cycle");
        for span in &spans[1..] {
            d = d.secondary(*span, "part of the cycle");
        }
        checker
            .diags
            .push(d.hint("CPIs drive KPIs, not the reverse: remove the link that closes the loop"));
    }
}
