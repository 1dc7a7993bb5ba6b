//! Experiments (LANGUAGE.md section 11): the link they test, the
//! assignments source and its unit, variant and time columns, the analysed
//! metrics (source measures whose sources have the unit column too), the
//! split and the dates; and the links whose `experiment:` names one.

use std::collections::HashMap;

use super::fields::Fields;
use super::metrics::{by_name, MetricInfo};
use super::{Checker, SourceInfo};
use crate::diag::{did_you_mean, Code, Diagnostic};
use crate::model::{ColumnType, Experiment, Link, LinkEnds, Measure, ScalarType, Type};
use crate::schema::Key;
use crate::syntax::ast::{Ident, Item, ItemKind, Quantity, Value};
use crate::units::{QuantityUnit, Unit};

/// Shares may miss 100% by this much (`33.33% 33.33% 33.34%` is fine).
const SHARE_TOLERANCE: f64 = 1e-6;

pub(crate) fn check_experiments(
    checker: &mut Checker,
    sources: &[SourceInfo],
    metrics: &[MetricInfo],
    links: &[Link],
) -> Vec<Experiment> {
    let sources: HashMap<&str, &SourceInfo> = sources
        .iter()
        .map(|s| (s.source.name.as_str(), s))
        .collect();
    let metrics = by_name(metrics);
    let mut experiments = Vec::new();
    for item in checker.items_of(&[ItemKind::Experiment]) {
        let f = checker.fields(item);
        f.require(&mut checker.diags, None);
        let experiment = experiment(checker, item, &f, &sources, &metrics, links);
        if let (Some(experiment), true) = (experiment, checker.is_canonical(item)) {
            experiments.push(experiment);
        }
    }
    experiments.sort_by(|a, b| a.name.cmp(&b.name));
    named_by_links(checker, &experiments);
    experiments
}

/// One experiment, when all of it is valid.
fn experiment(
    checker: &mut Checker,
    item: &Item,
    f: &Fields,
    sources: &HashMap<&str, &SourceInfo>,
    metrics: &HashMap<&str, &MetricInfo>,
    links: &[Link],
) -> Option<Experiment> {
    let title = f.string(Key::Title).map(|s| s.value.clone());
    let description = f.string(Key::Description).map(|s| s.value.clone());
    let owner = f
        .word(Key::Owner)
        .filter(|w| {
            checker.refers_to(
                w,
                "team",
                Code::UnknownTeam,
                "`owner` names the team that runs the experiment",
            )
        })
        .map(|w| w.name.clone());
    let tests = tested_link(checker, f, links);
    let guardrails: Vec<&Ident> = match f.get(Key::Guardrails).map(|g| &g.value) {
        Some(Value::Names { names }) => names.iter().collect(),
        _ => Vec::new(),
    };
    // Every guardrail is checked (and reported), not only the first.
    let mut guardrails_ok = true;
    for g in &guardrails {
        guardrails_ok &= checker.refers_to(
            g,
            "metric",
            Code::UnknownMetric,
            "guardrails are metrics the experiment must not make worse",
        );
    }
    let assignments = f.word(Key::Assignments).and_then(|w| {
        checker
            .refers_to(
                w,
                "source",
                Code::UnknownSource,
                "`assignments` names the source with a row per assigned unit",
            )
            .then(|| sources.get(w.name.as_str()).copied())
            .flatten()
    });
    let (time, unit, variant) = match assignments {
        Some(a) => assignment_columns(checker, f, a),
        None => (None, None, None),
    };
    let control = f.string(Key::Control).map(|s| s.value.clone());
    let split = split(checker, f);
    let (from, until) = (f.date(Key::From), f.date(Key::Until));
    if let (Some(from), Some(until)) = (from, until) {
        if from.value > until.value {
            checker.diags.push(
                Diagnostic::new(
                    Code::ExperimentDates,
                    from.span,
                    format!("experiment `from` ({}) is after `until` ({})", from.value, until.value),
                )
                .label("after `until`")
                .secondary(until.span, "`until`")
                .hint("`from` is the first day of enrolment and `until` the last day analysed; swap them"),
            );
            return None;
        }
    }
    // The analysed metrics: the link's two ends (checked against the
    // `tests` field), then the guardrails.
    let tests_spans = match f.get(Key::Tests).map(|t| &t.value) {
        Some(Value::LinkRef { from, to }) => Some((from.span, to.span)),
        _ => None,
    };
    let mut analysed_ok = true;
    if let (Some(tests), Some((from_span, to_span)), Some((unit_name, unit_type))) =
        (&tests, tests_spans, &unit)
    {
        let ends = [(&tests.from, from_span), (&tests.to, to_span)];
        let guards = guardrails.iter().map(|g| (&g.name, g.span));
        for (name, span) in ends.into_iter().chain(guards) {
            let Some(metric) = metrics.get(name.as_str()).and_then(|m| m.metric.as_ref()) else {
                analysed_ok = false; // unknown or broken: reported elsewhere
                continue;
            };
            match &metric.measure {
                Measure::Derived { .. } => {
                    analysed_ok = false;
                    checker.diags.push(
                        Diagnostic::new(
                            Code::ExperimentDerivedMetric,
                            span,
                            format!("metric `{name}` is derived from other metrics; an experiment analyses source measures"),
                        )
                        .label("a derived metric")
                        .hint("analyse the source metrics it is made of (as guardrails), or compare it by hand from their results"),
                    );
                }
                Measure::Source(_) if metric.snapshot.is_some() => {
                    // A snapshot keeps the rows at a period's edge; an
                    // experiment has no periods, and summing a level over
                    // a unit's rows measures nothing. (A `window` or `fill`
                    // only shapes periods: the experiment reads the
                    // measure over the rows, as LANGUAGE.md section 11
                    // says; `followed_by` is a flag of each row.)
                    analysed_ok = false;
                    checker.diags.push(
                        Diagnostic::new(
                            Code::ExperimentDerivedMetric,
                            span,
                            format!("metric `{name}` has a `snapshot`; an experiment analyses a measure over each variant's rows, which a level taken at a period's edge is not"),
                        )
                        .label("a snapshot")
                        .hint("analyse a metric of the events that change the level (e.g. tickets opened, tickets closed)"),
                    );
                }
                Measure::Source(m) => {
                    let Some(source) = sources.get(m.source.as_str()) else {
                        continue;
                    };
                    if source.columns.get(unit_name.as_str()) != Some(unit_type) {
                        analysed_ok = false;
                        let found = match source.columns.get(unit_name.as_str()) {
                            Some(other) => format!("has `{unit_name}` as {}", column_type(other)),
                            None => format!("has no column `{unit_name}`"),
                        };
                        checker.diags.push(
                            Diagnostic::new(
                                Code::ExperimentMetricUnit,
                                span,
                                format!(
                                    "metric `{name}` reads source `{}`, which {found}; the experiment's unit `{unit_name}` is {}",
                                    source.source.name,
                                    column_type(unit_type)
                                ),
                            )
                            .label("its rows cannot be joined to the assignments")
                            .secondary(source.source.location.span, "the metric's source")
                            .hint(format!("declare `{unit_name}` with the same type in source `{}`, so that each row names its unit", source.source.name)),
                        );
                    }
                }
            }
        }
    }
    let (time, time_type) = time?;
    let (unit, _) = unit?;
    if !analysed_ok || !guardrails_ok {
        return None;
    }
    Some(Experiment {
        name: item.name.name.clone(),
        title: title?,
        description,
        owner: owner?,
        tests: tests?,
        guardrails: guardrails.iter().map(|g| g.name.clone()).collect(),
        assignments: assignments?.source.name.clone(),
        time,
        time_type,
        unit,
        variant: variant?,
        control: control?,
        split: split?,
        from: from?.value,
        until: until?.value,
        location: checker.location(item),
    })
}

/// The declared link of `tests: FROM -> TO`.
fn tested_link(checker: &mut Checker, f: &Fields, links: &[Link]) -> Option<LinkEnds> {
    let field = f.get(Key::Tests)?;
    let Value::LinkRef { from, to } = &field.value else {
        return None;
    };
    if links.iter().any(|l| l.from == from.name && l.to == to.name) {
        return Some(LinkEnds {
            from: from.name.clone(),
            to: to.name.clone(),
        });
    }
    let declared: Vec<String> = links
        .iter()
        .map(|l| format!("{} -> {}", l.from, l.to))
        .collect();
    let written = format!("{} -> {}", from.name, to.name);
    let hint = did_you_mean(&written, declared.iter().map(String::as_str)).unwrap_or_else(|| {
        format!(
            "declare the link first: `link {} -> {} {{ hypothesis: \"...\" }}`; an experiment tests a hypothesis the spec states",
            from.name, to.name
        )
    });
    checker.diags.push(
        Diagnostic::new(
            Code::ExperimentLink,
            from.span.to(to.span),
            format!("no link {written} is declared"),
        )
        .label("not a declared link")
        .hint(hint),
    );
    None
}

type Column = Option<(String, ScalarType)>;

/// The assignments' time column (the source's `time`), the unit column
/// with its type, and the variant column (text).
fn assignment_columns(
    checker: &mut Checker,
    f: &Fields,
    assignments: &SourceInfo,
) -> (Column, Option<(String, ColumnType)>, Option<String>) {
    let source = &assignments.source;
    let time = match &source.time {
        Some(name) => match assignments.columns.get(name) {
            Some(ColumnType::Scalar(t @ (ScalarType::Date | ScalarType::Timestamp))) => {
                Some((name.clone(), *t))
            }
            _ => None, // reported on the source
        },
        None => {
            let anchor = f.word(Key::Assignments).map(|w| w.span);
            if let Some(span) = anchor {
                checker.diags.push(
                    Diagnostic::new(
                        Code::NoTimeColumn,
                        span,
                        format!("source `{}` has no `time` column: when was each unit assigned?", source.name),
                    )
                    .label("assignments without a time")
                    .secondary(source.location.span, "the source")
                    .hint(format!("add `time: COLUMN` to source `{}`: a unit is enrolled by the time of its assignment", source.name)),
                );
            }
            None
        }
    };
    let unit = match f.get(Key::Unit).map(|u| &u.value) {
        Some(Value::Unit(word)) => match assignments.columns.get(&word.name) {
            Some(ty) => Some((word.name.clone(), ty.clone())),
            None => {
                checker.diags.push(
                    Diagnostic::new(
                        Code::ExperimentUnit,
                        word.span,
                        format!("source `{}` has no column `{}`", source.name, word.name),
                    )
                    .label("not a column of the assignments")
                    .secondary(source.location.span, "the assignments source")
                    .hint_opt(did_you_mean(
                        &word.name,
                        source.columns.iter().map(|c| c.name.as_str()),
                    ))
                    .hint("`unit` names the column that identifies a unit (a customer, an account) in the assignments and in every analysed metric's source"),
                );
                None
            }
        },
        _ => None,
    };
    let variant = f.word(Key::Variant).and_then(|word| {
        let problem = match assignments.columns.get(&word.name) {
            Some(ColumnType::Scalar(ScalarType::Text)) => return Some(word.name.clone()),
            Some(other) => format!("column `{}` is {}, not text", word.name, column_type(other)),
            None => format!("source `{}` has no column `{}`", source.name, word.name),
        };
        checker.diags.push(
            Diagnostic::new(Code::ExperimentVariant, word.span, problem)
                .label("not a text column of the assignments")
                .secondary(source.location.span, "the assignments source")
                .hint("`variant` names the text column that says which variant a unit was assigned to (`control`, `treatment`, ...)"),
        );
        None
    });
    (time, unit, variant)
}

/// `split: 50% 50%`: percentages above 0 that sum to 100%. None (the
/// outer) when invalid; Some(None) when absent (equal shares).
fn split(checker: &mut Checker, f: &Fields) -> Option<Option<Vec<f64>>> {
    let Some(field) = f.get(Key::Split) else {
        return Some(None);
    };
    let Value::Quantities { quantities } = &field.value else {
        return None;
    };
    let percent = |q: &Quantity| matches!(&q.unit, Some(QuantityUnit::Unit(Unit::Percent)));
    let all = match (quantities.first(), quantities.last()) {
        (Some(first), Some(last)) => first.span.to(last.span),
        _ => field.value_span(),
    };
    let problem = if let Some(q) = quantities.iter().find(|q| !percent(q)) {
        Some((
            q.span,
            "each share is a percentage, such as `50%`".to_string(),
        ))
    } else if let Some(q) = quantities.iter().find(|q| q.value <= 0.0) {
        Some((q.span, "a share must be above 0%".to_string()))
    } else if quantities.len() < 2 {
        Some((
            all,
            "an experiment has a control and at least one treatment: give a share per variant"
                .to_string(),
        ))
    } else {
        let sum: f64 = quantities.iter().map(|q| q.value).sum();
        ((sum - 100.0).abs() > SHARE_TOLERANCE)
            .then(|| (all, format!("the shares sum to {sum}%, not 100%")))
    };
    match problem {
        Some((span, message)) => {
            checker.diags.push(
                Diagnostic::new(Code::ExperimentSplit, span, message)
                    .label("not a valid split")
                    .hint("`split` gives the expected share of each variant, in the variants' sorted order, summing to 100%: `split: 50% 50%`"),
            );
            None
        }
        None => Some(Some(quantities.iter().map(|q| q.value).collect())),
    }
}

/// A link's `experiment: NAME` names an experiment that tests it.
fn named_by_links(checker: &mut Checker, experiments: &[Experiment]) {
    for item in checker.items_of(&[ItemKind::Link]) {
        let Some(field) = item.fields.iter().find(|f| f.is(Key::Experiment)) else {
            continue;
        };
        let Value::Word(word) = &field.value else {
            continue;
        };
        let to = item
            .to
            .as_ref()
            .map(|t| t.name.as_str())
            .unwrap_or_default();
        let ends = LinkEnds {
            from: item.name.name.clone(),
            to: to.to_string(),
        };
        match experiments.iter().find(|e| e.name == word.name) {
            Some(e) if e.tests == ends => {}
            Some(e) => checker.diags.push(
                Diagnostic::new(
                    Code::ExperimentOfAnotherLink,
                    word.span,
                    format!(
                        "experiment `{}` tests {} -> {}, not this link",
                        e.name, e.tests.from, e.tests.to
                    ),
                )
                .label("tests another link")
                .secondary(e.location.span, "the experiment")
                .hint("name the experiment that tests this link, or write a note in quotes"),
            ),
            // An experiment with errors of its own was reported there.
            None => {
                let note = "`experiment:` names an `experiment` item, or is a note in quotes: `experiment: \"EXP-142, March 2026\"`";
                if let Some(d) =
                    checker.unresolved(word, "experiment", Code::UnknownExperiment, note)
                {
                    let d = if d.code == Code::UnknownExperiment {
                        d.hint(note)
                    } else {
                        d
                    };
                    checker.diags.push(d);
                }
            }
        }
    }
}

/// A column type in words: "text", "a quantity in `s`".
fn column_type(ty: &ColumnType) -> String {
    match ty {
        ColumnType::Scalar(t) => t.name().to_string(),
        ColumnType::Quantity { unit } => Type::Number(unit.clone()).to_string(),
    }
}
