//! CPIs and KPIs: fields, measures (source and derived), dependencies
//! between derived metrics.

use std::collections::HashMap;

use super::exprs::{scale, ExprChecker, Place, Scope};
use super::fields::{keyword, Fields};
use super::{graph, periods, targets, Checker, SourceInfo};
use crate::diag::{did_you_mean, Code, Diagnostic};
use crate::model::{
    Direction, Evidence, EvidenceKind, Grain, Measure, Metric, MetricKind, PeriodLength, Snapshot,
    SourceMeasure, TExpr, Tier, Type, Window, WindowWord,
};
use crate::schema::Key;
use crate::source::Span;
use crate::syntax::ast::{Expr, ExprKind, Item, ItemKind, Value};
use crate::units::{QuantityUnit, Unit};

/// What the rest of the checker knows about a metric, even a broken one.
pub(crate) struct MetricInfo<'a> {
    pub item: &'a Item,
    pub kind: MetricKind,
    pub canonical: bool,
    pub direction: Option<Direction>,
    pub grain: Option<Grain>,
    pub tier: Option<Tier>,
    pub title: Option<String>,
    pub evidence: Vec<EvidenceKind>,
    /// The complete metric, when it has no error.
    pub metric: Option<Metric>,
}

/// Each metric (its first definition) by name.
pub(crate) fn by_name<'m>(metrics: &'m [MetricInfo<'m>]) -> HashMap<&'m str, &'m MetricInfo<'m>> {
    metrics
        .iter()
        .filter(|m| m.canonical)
        .map(|m| (m.name(), m))
        .collect()
}

/// Position of each metric (its first definition) by name.
pub(crate) fn index_by_name<'m>(metrics: &'m [MetricInfo]) -> HashMap<&'m str, usize> {
    metrics
        .iter()
        .enumerate()
        .filter(|(_, m)| m.canonical)
        .map(|(i, m)| (m.name(), i))
        .collect()
}

impl MetricInfo<'_> {
    pub fn name(&self) -> &str {
        &self.item.name.name
    }
}

struct Header<'a> {
    fields: Fields<'a>,
    unit: Option<Unit>,
    grain: Option<Grain>,
}

pub(crate) fn check_metrics<'a>(
    checker: &mut Checker<'a>,
    sources: &[SourceInfo],
) -> Vec<MetricInfo<'a>> {
    let items = checker.items_of(&[ItemKind::Cpi, ItemKind::Kpi]);
    // Pass 1: headers, so that derived measures know every metric's unit.
    let headers: Vec<Header<'a>> = items.iter().map(|item| header(checker, item)).collect();
    let mut cx = Context {
        units: HashMap::new(),
        grains: HashMap::new(),
        sources: sources
            .iter()
            .map(|s| (s.source.name.as_str(), s))
            .collect(),
    };
    for (item, h) in items.iter().zip(&headers) {
        if checker.is_canonical(item) {
            if let Some(unit) = &h.unit {
                cx.units.insert(item.name.name.clone(), unit.clone());
            }
            if let (Some(grain), Some(f)) = (h.grain, h.fields.get(Key::Grain)) {
                cx.grains.insert(&item.name.name, (grain, f.value_span()));
            }
        }
    }

    // Pass 2: measures, targets and the rest.
    let mut infos = Vec::with_capacity(items.len());
    let mut dependencies: Vec<Vec<(String, Span)>> = Vec::with_capacity(items.len());
    for (item, h) in items.iter().zip(&headers) {
        let (info, inputs) = metric(checker, item, h, &cx);
        infos.push(info);
        dependencies.push(inputs);
    }
    derived_cycles(checker, &infos, &dependencies);
    infos
}

fn header<'a>(checker: &mut Checker<'a>, item: &'a Item) -> Header<'a> {
    let fields = checker.fields(item);
    let unit = match fields.get(Key::Unit).map(|f| &f.value) {
        Some(Value::Unit(word)) => checker.unit(word),
        _ => None,
    };
    let grain = fields.keyword(Key::Grain, &mut checker.diags);
    Header {
        fields,
        unit,
        grain,
    }
}

/// What checking one metric reads about the rest of the project.
struct Context<'c> {
    /// Declared unit of every metric whose header is sound.
    units: HashMap<String, Unit>,
    /// Grain of every metric, with the span of its `grain:` value.
    grains: HashMap<&'c str, (Grain, Span)>,
    sources: HashMap<&'c str, &'c SourceInfo>,
}

fn metric<'a>(
    checker: &mut Checker<'a>,
    item: &'a Item,
    h: &Header<'a>,
    cx: &Context,
) -> (MetricInfo<'a>, Vec<(String, Span)>) {
    let f = &h.fields;
    let diags = &mut checker.diags;
    let kind = if item.kind == ItemKind::Cpi {
        MetricKind::Cpi
    } else {
        MetricKind::Kpi
    };
    let hint = (kind == MetricKind::Cpi && !f.has(Key::Outcome)).then(|| {
        "a CPI states the customer's desired outcome, in the customer's words: `outcome: \"Know the price before calling anyone else\"`".to_string()
    });
    f.require(diags, hint);
    let title = f.string(Key::Title).map(|s| s.value.clone());
    let outcome = f.string(Key::Outcome).map(|s| s.value.clone());
    let description = f.string(Key::Description).map(|s| s.value.clone());
    let direction = f.keyword(Key::Direction, diags);
    let tier = f.keyword(Key::Tier, diags);
    let review = f.keyword(Key::Review, diags);
    let reviewed = f.date(Key::Reviewed).map(|d| d.value);
    let mut evidence = Vec::new();
    let mut evidence_ok = true;
    for field in f.all(Key::Evidence) {
        if let Value::Evidence { kind, text } = &field.value {
            match keyword(kind, "evidence kind", diags) {
                Some(kind) => evidence.push(Evidence {
                    kind,
                    text: text.value.clone(),
                }),
                None => evidence_ok = false,
            }
        }
    }
    let owner = f
        .word(Key::Owner)
        .filter(|owner| {
            checker.refers_to(
                owner,
                "team",
                Code::UnknownTeam,
                "`owner` names the team accountable for the metric",
            )
        })
        .map(|owner| owner.name.clone());

    let (measure, inputs) = measure(checker, item, h, cx);
    let kinds = period_kinds(checker, h, f.has(Key::Source));
    let targets = match &h.unit {
        Some(unit) => targets::check_targets(checker, f, unit),
        None => None,
    };
    let expect = match &h.unit {
        Some(unit) => super::expectations::metric(checker, item, f, unit),
        None => Err(()),
    };

    let complete = (|| {
        Some(Metric {
            name: item.name.name.clone(),
            kind,
            title: title.clone()?,
            outcome: match kind {
                MetricKind::Cpi => Some(outcome?),
                MetricKind::Kpi => None,
            },
            description,
            owner: owner?,
            unit: h.unit.clone()?,
            direction: direction?,
            tier,
            evidence: evidence_ok.then_some(evidence.clone())?,
            measure: measure?,
            grain: h.grain?,
            dimensions: f
                .get(Key::Dimensions)
                .map(|d| match &d.value {
                    Value::Names { names } => names.iter().map(|n| n.name.clone()).collect(),
                    _ => Vec::new(),
                })
                .unwrap_or_default(),
            review,
            reviewed,
            window: kinds?.window,
            snapshot: kinds?.snapshot,
            fill: kinds?.fill,
            expect: expect.ok()?,
            targets: targets?,
            location: checker.location(item),
        })
    })();
    let info = MetricInfo {
        item,
        kind,
        canonical: checker.is_canonical(item),
        direction,
        grain: h.grain,
        tier,
        title,
        evidence: evidence.iter().map(|e| e.kind).collect(),
        metric: complete,
    };
    (info, inputs)
}

/// `window`, `snapshot` and `fill`: which rows each period reads, and the
/// value of a period without one (LANGUAGE.md section 2).
#[derive(Clone, Copy)]
struct PeriodKinds {
    window: Option<Window>,
    snapshot: Option<Snapshot>,
    fill: Option<f64>,
}

fn period_kinds(checker: &mut Checker, h: &Header, has_source: bool) -> Option<PeriodKinds> {
    let f = &h.fields;
    let mut ok = true;
    let window = match f.get(Key::Window) {
        Some(field) => {
            let window = window(checker, field, h.grain);
            ok &= window.is_some();
            window
        }
        None => None,
    };
    let snapshot = f.keyword::<Snapshot>(Key::Snapshot, &mut checker.diags);
    ok &= f.has(Key::Snapshot) == snapshot.is_some();
    for key in [Key::Window, Key::Snapshot] {
        if let (Some(field), false) = (f.get(key), has_source) {
            ok = false;
            checker.diags.push(
                Diagnostic::new(
                    Code::WindowPlace,
                    field.key.span,
                    format!("a derived metric cannot have `{key}`"),
                )
                .label("not on a derived metric")
                .hint(format!(
                    "a derived measure has no rows of its own: put `{key}` on the metrics it reads"
                )),
            );
        }
    }
    if let (Some(w), Some(s)) = (f.get(Key::Window), f.get(Key::Snapshot)) {
        if has_source {
            ok = false;
            checker.diags.push(
                Diagnostic::new(
                    Code::WindowPlace,
                    s.key.span,
                    "`window` and `snapshot` exclude each other".to_string(),
                )
                .label("a snapshot here")
                .secondary(w.key.span, "a window here")
                .hint("a window reads the rows of several periods, a snapshot the rows of one instant: keep one"),
            );
        }
    }
    let fill = match (f.quantity(Key::Fill), &h.unit) {
        (Some(q), Some(unit)) => {
            let fill = targets::convert(checker, q, unit, Code::FillUnit);
            ok &= fill.is_some();
            fill
        }
        (Some(_), None) => None,
        (None, _) => None,
    };
    ok.then_some(PeriodKinds {
        window,
        snapshot,
        fill,
    })
}

/// The longest period of a grain, in seconds: a window must hold it.
fn longest_period(grain: Grain) -> f64 {
    86_400.0
        * match grain {
            Grain::Day => 1.0,
            Grain::Week => 7.0,
            Grain::Month => 31.0,
            Grain::Quarter => 92.0,
            Grain::Year => 366.0,
        }
}

/// The months of a grain's period (day and week: none whole).
fn grain_months(grain: Grain) -> i64 {
    match grain.length() {
        PeriodLength::Months(months) => months,
        PeriodLength::Seconds(_) => 0,
    }
}

fn window(
    checker: &mut Checker,
    field: &crate::syntax::ast::Field,
    grain: Option<Grain>,
) -> Option<Window> {
    let report = |checker: &mut Checker, span: Span, message: String, hint: String| {
        checker.diags.push(
            Diagnostic::new(Code::WindowLength, span, message)
                .label("not a window of this metric")
                .hint(hint),
        );
        None
    };
    let window =
        match &field.value {
            Value::Word(word) => {
                Window::of_word(keyword::<WindowWord>(word, "window", &mut checker.diags)?)
            }
            Value::Quantity(q) => match &q.unit {
                Some(QuantityUnit::Unit(Unit::Duration(d))) if q.value > 0.0 => Window::Duration {
                    seconds: q.value * d.seconds(),
                },
                Some(QuantityUnit::Calendar(c)) if q.value > 0.0 && q.value.fract() == 0.0 => {
                    Window::Months {
                        months: q.value as i64 * periods::months(*c),
                    }
                }
                _ => return report(
                    checker,
                    q.span,
                    "a `window` is a positive length of time, such as `28 days` or `3 months`"
                        .to_string(),
                    "or `all`, `week_to_date`, `month_to_date`, `quarter_to_date`, `year_to_date`"
                        .to_string(),
                ),
            },
            _ => return None, // reported by the parser
        };
    let grain = grain?;
    let span = field.value_span();
    let grain_name = grain.name();
    match window {
        Window::Duration { seconds } if seconds < longest_period(grain) => report(
            checker,
            span,
            format!("the window is shorter than a {grain_name}, the metric's grain"),
            format!(
                "a window must hold a whole period: at least {} days for a {grain_name}",
                longest_period(grain) / 86_400.0
            ),
        ),
        Window::Months { months } if months < grain_months(grain) => report(
            checker,
            span,
            format!("the window is shorter than a {grain_name}, the metric's grain"),
            format!(
                "a window must hold a whole period: at least {} months",
                grain_months(grain)
            ),
        ),
        Window::ToDate { grain: unit } if unit < grain => report(
            checker,
            span,
            format!(
                "`{}_to_date` is finer than the metric's grain `{grain_name}`",
                unit.name()
            ),
            "a `*_to_date` window must be at least as coarse as the grain".to_string(),
        ),
        window => Some(window),
    }
}

fn contains_aggregate(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Call {
            function,
            args,
            filter,
        } => {
            crate::model::AggFunc::parse(&function.name).is_some()
                || args.iter().any(contains_aggregate)
                || filter.is_some()
        }
        ExprKind::Neg { operand }
        | ExprKind::Not { operand }
        | ExprKind::IsNull { operand, .. } => contains_aggregate(operand),
        ExprKind::InList { operand, .. } => contains_aggregate(operand),
        ExprKind::Binary { left, right, .. } => {
            contains_aggregate(left) || contains_aggregate(right)
        }
        ExprKind::Name { .. } | ExprKind::Literal { .. } | ExprKind::Error => false,
    }
}

/// Checks the measure (and filter, time column, dimensions). Returns the
/// measure and, for a derived one, the metrics it reads.
fn measure<'a>(
    checker: &mut Checker<'a>,
    item: &'a Item,
    h: &Header<'a>,
    cx: &Context,
) -> (Option<Measure>, Vec<(String, Span)>) {
    let f = &h.fields;
    let Some(measure_field) = f.get(Key::Measure) else {
        return (None, Vec::new());
    };
    let Value::Expr(expr) = &measure_field.value else {
        return (None, Vec::new());
    };
    let source_word = f.word(Key::Source);
    if source_word.is_none() {
        if contains_aggregate(expr) {
            f.missing(
                Key::Source,
                &mut checker.diags,
                Some("a measure that aggregates rows needs `source:`; a derived measure (over other metrics) has no aggregates".into()),
            );
            return (None, Vec::new());
        }
        return derived(checker, item, h, expr, &cx.units, &cx.grains);
    }
    let source_word = source_word.expect("checked above");
    let Some(source) = cx.sources.get(source_word.name.as_str()) else {
        let name = source_word.name.as_str();
        let d = match checker.kinds.get(name) {
            Some(&"source") => return (None, Vec::new()), // broken source, already reported
            Some(other) => Diagnostic::new(
                Code::WrongKind,
                source_word.span,
                format!("`{name}` is a {other}, not a source"),
            )
            .label("not a source")
            .hint("to combine other metrics, remove `source:` and write a derived measure"),
            None => Diagnostic::new(
                Code::UnknownSource,
                source_word.span,
                format!("no source named `{name}`"),
            )
            .label("unknown source")
            .hint_opt(did_you_mean(name, cx.sources.keys().copied())),
        };
        checker.diags.push(d);
        return (None, Vec::new());
    };

    // The time column: the metric's own, else the source's.
    let time_word = f.word(Key::Time);
    let time = match time_word {
        Some(word) => checker
            .time_column(&source.source.name, word, &source.columns)
            .map(|t| (word.name.clone(), t)),
        None => match &source.source.time {
            Some(name) => match source.columns.get(name) {
                Some(crate::model::ColumnType::Scalar(
                    t @ (crate::model::ScalarType::Date | crate::model::ScalarType::Timestamp),
                )) => Some((name.clone(), *t)),
                _ => None, // reported on the source
            },
            None => {
                checker.diags.push(
                    Diagnostic::new(
                        Code::NoTimeColumn,
                        source_word.span,
                        format!("metric `{}` has no time column", item.name.name),
                    )
                    .label(format!(
                        "source `{}` declares no `time`",
                        source.source.name
                    ))
                    .secondary(source.source.location.span, "source defined here")
                    .hint("add `time: COLUMN` to the source or to the metric"),
                );
                None
            }
        },
    };

    for dims in f.all(Key::Dimensions) {
        if let Value::Names { names } = &dims.value {
            for name in names {
                if !source.columns.contains_key(&name.name) {
                    checker.diags.push(
                        Diagnostic::new(
                            Code::UnknownColumn,
                            name.span,
                            format!(
                                "source `{}` has no column `{}`",
                                source.source.name, name.name
                            ),
                        )
                        .label("unknown dimension")
                        .hint_opt(did_you_mean(
                            &name.name,
                            source.columns.keys().map(String::as_str),
                        )),
                    );
                }
            }
        }
    }

    let scope = || Scope::Source {
        source: &source.source.name,
        columns: &source.columns,
        sources: &cx.sources,
    };
    let mut ec = ExprChecker {
        scope: scope(),
        names: &checker.kinds,
        diags: &mut checker.diags,
        inputs: Vec::new(),
    };
    let checked = ec.check(expr, Place::Measure);
    let filter = match f.get(Key::Filter).map(|f| &f.value) {
        Some(Value::Expr(filter_expr)) => {
            let mut ec = ExprChecker {
                scope: scope(),
                names: &checker.kinds,
                diags: &mut checker.diags,
                inputs: Vec::new(),
            };
            match ec.check(filter_expr, Place::Row { nested: false }) {
                Some(f) if f.ty == Type::Bool => Some(Some(f)),
                Some(f) => {
                    checker.diags.push(
                        Diagnostic::new(
                            Code::TypeMismatch,
                            filter_expr.span,
                            "a `filter` must be a boolean row expression".to_string(),
                        )
                        .label(format!("this is {}", f.ty)),
                    );
                    None
                }
                None => None,
            }
        }
        _ => Some(None),
    };
    let expr = checked.and_then(|e| to_declared_unit(checker, e, h.unit.as_ref(), expr.span));
    let measure = (|| {
        let (time, time_type) = time?;
        Some(Measure::Source(SourceMeasure {
            source: source.source.name.clone(),
            time,
            time_type,
            expr: expr?,
            filter: filter?,
        }))
    })();
    (measure, Vec::new())
}

/// Converts a measure to the metric's declared unit, or reports why not.
fn to_declared_unit(
    checker: &mut Checker,
    e: TExpr,
    declared: Option<&Unit>,
    span: Span,
) -> Option<TExpr> {
    let declared = declared?;
    let Type::Number(unit) = &e.ty else {
        checker.diags.push(
            Diagnostic::new(
                Code::TypeMismatch,
                span,
                format!("a measure must be a number, found {}", e.ty),
            )
            .label("not a number"),
        );
        return None;
    };
    // A bare number is a plain fraction when the metric is a ratio.
    let from = if *unit == Unit::Dimensionless && matches!(declared, Unit::Ratio | Unit::Percent) {
        Unit::Ratio
    } else {
        unit.clone()
    };
    match from.factor_to(declared) {
        Some(factor) => Some(scale(e, factor, declared.clone())),
        None => {
            let hint = if *unit == Unit::Dimensionless {
                "the measure is a bare number: declare the columns it reads with units (e.g. `premium: USD`)".to_string()
            } else {
                format!(
                    "the measure is in `{unit}` ({}), the metric in `{declared}` ({})",
                    unit.family(),
                    declared.family()
                )
            };
            checker.diags.push(
                Diagnostic::new(
                    Code::MeasureUnit,
                    span,
                    format!("the measure's unit `{unit}` does not convert to the metric's unit `{declared}`"),
                )
                .label(format!("in `{unit}`"))
                .hint(hint),
            );
            None
        }
    }
}

fn derived<'a>(
    checker: &mut Checker<'a>,
    item: &'a Item,
    h: &Header<'a>,
    expr: &Expr,
    units: &HashMap<String, Unit>,
    grains: &HashMap<&str, (Grain, Span)>,
) -> (Option<Measure>, Vec<(String, Span)>) {
    let f = &h.fields;
    let mut ok = true;
    for key in [Key::Filter, Key::Dimensions, Key::Time] {
        if let Some(field) = f.get(key) {
            ok = false;
            checker.diags.push(
                Diagnostic::new(
                    Code::DerivedMeasure,
                    field.key.span,
                    format!("a derived metric cannot have `{key}`"),
                )
                .label("not allowed on a derived metric")
                .hint("a derived measure combines whole metrics period by period; put rows-level settings on its inputs"),
            );
        }
    }
    let mut ec = ExprChecker {
        scope: Scope::Derived {
            metrics: units,
            grains,
        },
        names: &checker.kinds,
        diags: &mut checker.diags,
        inputs: Vec::new(),
    };
    let checked = ec.check(expr, Place::Derived);
    let inputs = std::mem::take(&mut ec.inputs);
    if checked.is_some() && inputs.is_empty() {
        checker.diags.push(
            Diagnostic::new(
                Code::DerivedMeasure,
                expr.span,
                "a measure without `source:` must refer to at least one metric".to_string(),
            )
            .label("no metric here")
            .hint("add `source:` and aggregate its rows, or combine other metrics"),
        );
        ok = false;
    }
    if let Some(grain) = h.grain {
        for (input, span) in &inputs {
            if let Some((input_grain, grain_span)) = grains.get(input.as_str()) {
                if *input_grain != grain {
                    ok = false;
                    checker.diags.push(
                        Diagnostic::new(
                            Code::DerivedGrain,
                            *span,
                            format!(
                                "`{input}` has grain `{}` but `{}` has grain `{}`",
                                input_grain.name(),
                                item.name.name,
                                grain.name()
                            ),
                        )
                        .label("different grain")
                        .secondary(*grain_span, format!("`{input}`'s grain"))
                        .hint("the inputs of a derived metric are joined on the period: they must share its grain"),
                    );
                }
            }
        }
    }
    let expr = checked.and_then(|e| to_declared_unit(checker, e, h.unit.as_ref(), expr.span));
    let mut names: Vec<String> = inputs.iter().map(|(n, _)| n.clone()).collect();
    names.sort();
    names.dedup();
    let measure = expr.filter(|_| ok).map(|expr| Measure::Derived {
        expr,
        inputs: names,
    });
    (measure, inputs)
}

/// Derived metrics must not depend on themselves, directly or not.
fn derived_cycles(
    checker: &mut Checker,
    infos: &[MetricInfo],
    dependencies: &[Vec<(String, Span)>],
) {
    let index = index_by_name(infos);
    let edges: Vec<Vec<usize>> = dependencies
        .iter()
        .map(|deps| {
            deps.iter()
                .filter_map(|(n, _)| index.get(n.as_str()).copied())
                .collect()
        })
        .collect();
    for cycle in graph::cycles(infos.len(), &edges) {
        let names: Vec<&str> = cycle.iter().map(|&i| infos[i].name()).collect();
        let first = cycle[0];
        let next = cycle[1 % cycle.len()];
        let span = dependencies[first]
            .iter()
            .find(|(n, _)| n == infos[next].name())
            .map_or(infos[first].item.name.span, |(_, s)| *s);
        let mut d = Diagnostic::new(
            Code::MetricCycle,
            span,
            format!(
                "derived metrics depend on each other: {} -> {}",
                names.join(" -> "),
                names[0]
            ),
        )
        .label("closes the cycle");
        for &i in &cycle[1..] {
            d = d.secondary(
                infos[i].item.name.span,
                format!("`{}` is part of the cycle", infos[i].name()),
            );
        }
        checker.diags.push(
            d.hint("a derived metric cannot depend on itself: compute one of them from its source"),
        );
    }
}
