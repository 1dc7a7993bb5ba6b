//! The row functions and `prior` typed (LANGUAGE.md section 5):
//! `followed_by` against the other source's columns and time, `prior`'s
//! input and offset in whole periods, `coalesce`'s unified type.

use super::{typed, ExprChecker, Place, Scope};
use crate::check::periods::whole_periods;
use crate::diag::{did_you_mean, Code, Diagnostic};
use crate::model::{ColumnType, ScalarType, TExpr, TExprKind, Type};
use crate::source::Span;
use crate::syntax::ast::{Expr, ExprKind, Literal};
use crate::units::{QuantityUnit, Unit};

impl ExprChecker<'_> {
    /// `followed_by(SOURCE, COLUMN, WINDOW [where COND])`, a boolean row
    /// expression (LANGUAGE.md section 5).
    pub(super) fn followed_by(
        &mut self,
        args: &[Expr],
        filter: Option<&Expr>,
        span: Span,
        place: Place,
    ) -> Option<TExpr> {
        let Scope::Source {
            columns, sources, ..
        } = self.scope
        else {
            return self.push(
                Diagnostic::new(
                    Code::FunctionPlace,
                    span,
                    "`followed_by` in a derived measure".to_string(),
                )
                .label("a row function here")
                .hint("`followed_by` judges each row of a source: aggregate it in a source measure, e.g. `avg(followed_by(policies, customer_id, 7 days))`"),
            );
        };
        if place == Place::Measure {
            return self.push(
                Diagnostic::new(
                    Code::FunctionPlace,
                    span,
                    "`followed_by` is used outside an aggregate".to_string(),
                )
                .label("not aggregated")
                .hint("it is true or false for each row: aggregate it, e.g. `avg(followed_by(...))` for a share, `sum(...)` for a count"),
            );
        }
        let [source_arg, column_arg, window_arg] = args else {
            return self.push(
                Diagnostic::new(
                    Code::Arity,
                    span,
                    format!("`followed_by` takes 3 arguments: a source, a column and a window, found {}", args.len()),
                )
                .label("wrong number of arguments")
                .hint("e.g. `followed_by(policies, customer_id, 7 days)`"),
            );
        };
        let ExprKind::Name { name: source_name } = &source_arg.kind else {
            return self.error(
                Code::UnknownSource,
                source_arg.span,
                "the first argument of `followed_by` must name a source".to_string(),
                "not a source name",
            );
        };
        let Some(target) = sources.get(source_name.as_str()).copied() else {
            let d = match self.names.get(source_name.as_str()) {
                Some(&"source") => return None, // a broken source, reported already
                Some(other) => Diagnostic::new(
                    Code::WrongKind,
                    source_arg.span,
                    format!("`{source_name}` is a {other}, not a source"),
                )
                .label("not a source"),
                None => Diagnostic::new(
                    Code::UnknownSource,
                    source_arg.span,
                    format!("no source named `{source_name}`"),
                )
                .label("unknown source")
                .hint_opt(did_you_mean(source_name, sources.keys().copied())),
            };
            return self.push(d);
        };
        let ExprKind::Name { name: column } = &column_arg.kind else {
            return self.error(
                Code::UnknownColumn,
                column_arg.span,
                "the second argument of `followed_by` must name a column of both sources"
                    .to_string(),
                "not a column name",
            );
        };
        let here = columns.get(column.as_str());
        let there = target.columns.get(column.as_str());
        let (here, there) = match (here, there) {
            (Some(here), Some(there)) => (here, there),
            (None, _) | (_, None) => {
                let missing_in = if here.is_none() {
                    match &self.scope {
                        Scope::Source { source, .. } => source.to_string(),
                        Scope::Derived { .. } => unreachable!("a source scope"),
                    }
                } else {
                    source_name.clone()
                };
                return self.push(
                    Diagnostic::new(
                        Code::UnknownColumn,
                        column_arg.span,
                        format!("source `{missing_in}` has no column `{column}`"),
                    )
                    .label("not a column of both sources")
                    .hint("`followed_by` matches the rows of two sources on a column both declare"),
                );
            }
        };
        if here != there {
            let spell = |t: &ColumnType| match t {
                ColumnType::Scalar(s) => s.name().to_string(),
                ColumnType::Quantity { unit } => unit.to_string(),
            };
            return self.push(
                Diagnostic::new(
                    Code::TypeMismatch,
                    column_arg.span,
                    format!(
                        "column `{column}` is `{}` here but `{}` in source `{source_name}`",
                        spell(here),
                        spell(there)
                    ),
                )
                .label("different types")
                .hint("the column must have the same type in both sources"),
            );
        }
        let within = self.window_seconds(window_arg)?;
        let time = target
            .source
            .time
            .as_ref()
            .and_then(|t| match target.columns.get(t) {
                Some(ColumnType::Scalar(tt @ (ScalarType::Date | ScalarType::Timestamp))) => {
                    Some((t.clone(), *tt))
                }
                _ => None,
            });
        let Some((time, time_type)) = time else {
            return self.push(
                Diagnostic::new(
                    Code::NoTimeColumn,
                    source_arg.span,
                    format!("source `{source_name}` has no time column"),
                )
                .label("`followed_by` needs its `time`")
                .secondary(target.source.location.span, "source defined here")
                .hint("add `time: COLUMN` to the source"),
            );
        };
        // The condition is over the other source's rows.
        let filter = match filter {
            Some(f) => {
                let outer = std::mem::replace(
                    &mut self.scope,
                    Scope::Source {
                        source: &target.source.name,
                        columns: &target.columns,
                        sources,
                    },
                );
                let checked = self.check(f, Place::Row { nested: true });
                self.scope = outer;
                let checked = checked?;
                self.expect_bool(&checked, f.span, "a `where` clause")?;
                if checked.contains_followed_by() {
                    return self.error(
                        Code::FunctionPlace,
                        f.span,
                        "`followed_by` inside the condition of `followed_by`".to_string(),
                        "a conversion of a conversion",
                    );
                }
                Some(Box::new(checked))
            }
            None => None,
        };
        Some(typed(
            TExprKind::FollowedBy {
                source: source_name.clone(),
                column: column.clone(),
                time,
                time_type,
                within,
                filter,
            },
            Type::Bool,
        ))
    }

    /// The window of `followed_by`: a duration literal, in seconds.
    fn window_seconds(&mut self, arg: &Expr) -> Option<f64> {
        if let ExprKind::Literal {
            literal:
                Literal::Quantity {
                    value,
                    unit: QuantityUnit::Unit(Unit::Duration(d)),
                },
        } = &arg.kind
        {
            if *value >= 0.0 {
                return Some(value * d.seconds());
            }
        }
        self.push(
            Diagnostic::new(
                Code::WindowLength,
                arg.span,
                "the window of `followed_by` must be a duration, such as `7 days`".to_string(),
            )
            .label("not a duration")
            .hint("durations are in `s`, `min`, `h`, `d` or `wk`; months and years have no fixed length"),
        );
        None
    }

    /// `prior(METRIC, N UNIT)`: METRIC's value N periods before
    /// (LANGUAGE.md section 5), in derived measures only.
    pub(super) fn prior(
        &mut self,
        args: &[Expr],
        filter: Option<&Expr>,
        span: Span,
        place: Place,
    ) -> Option<TExpr> {
        let Scope::Derived { grains, .. } = self.scope else {
            return self.push(
                Diagnostic::new(
                    Code::FunctionPlace,
                    span,
                    "`prior` outside a derived measure".to_string(),
                )
                .label("not in a derived measure")
                .hint("`prior` reads another metric's earlier period: use it in a metric without `source:`, e.g. `measure: revenue - prior(revenue, 52 weeks)`"),
            );
        };
        debug_assert!(place == Place::Derived);
        if let Some(filter) = filter {
            return self.error(
                Code::AggregateContext,
                filter.span,
                "`where` is allowed only in aggregates".to_string(),
                "not an aggregate",
            );
        }
        let (metric_arg, offset) = match args {
            [metric] => (metric, None),
            [metric, offset] => (metric, Some(offset)),
            _ => {
                return self.push(
                    Diagnostic::new(
                        Code::Arity,
                        span,
                        format!(
                            "`prior` takes a metric and an optional offset, found {} arguments",
                            args.len()
                        ),
                    )
                    .label("wrong number of arguments")
                    .hint("e.g. `prior(revenue, 52 weeks)`; without an offset, one period"),
                )
            }
        };
        let ExprKind::Name { name } = &metric_arg.kind else {
            return self.error(
                Code::UnknownMetric,
                metric_arg.span,
                "the first argument of `prior` must name a metric".to_string(),
                "not a metric name",
            );
        };
        let metric = self.name(name, metric_arg.span, Place::Derived)?;
        let Some(&(grain, _)) = grains.get(name.as_str()) else {
            return None; // a metric whose grain is broken: reported already
        };
        let periods = match offset {
            None => 1,
            Some(offset) => {
                let quantity = match &offset.kind {
                    ExprKind::Literal {
                        literal: Literal::Quantity { value, unit },
                    } => Some(crate::syntax::ast::Quantity {
                        value: *value,
                        unit: Some(unit.clone()),
                        span: offset.span,
                    }),
                    ExprKind::Literal {
                        literal: Literal::Number { value },
                    } => Some(crate::syntax::ast::Quantity {
                        value: *value,
                        unit: None,
                        span: offset.span,
                    }),
                    _ => None,
                };
                let Some(quantity) = quantity else {
                    return self.error(
                        Code::PriorOffset,
                        offset.span,
                        "the offset of `prior` must be a length of time, such as `52 weeks`"
                            .to_string(),
                        "not a length of time",
                    );
                };
                match whole_periods(
                    &quantity,
                    grain,
                    Code::PriorOffset,
                    (
                        "offset",
                        &format!("`{name}`'s grain"),
                        &format!("prior({name}, {{}})"),
                    ),
                ) {
                    Ok(periods) => periods,
                    Err(d) => return self.push(d),
                }
            }
        };
        Some(typed(
            TExprKind::Prior {
                metric: name.clone(),
                periods,
            },
            metric.ty,
        ))
    }

    pub(super) fn coalesce(
        &mut self,
        args: &[Expr],
        filter: Option<&Expr>,
        span: Span,
        place: Place,
    ) -> Option<TExpr> {
        if let Some(filter) = filter {
            return self.push(
                Diagnostic::new(
                    Code::AggregateContext,
                    filter.span,
                    "`where` is allowed only in aggregates".to_string(),
                )
                .label("not an aggregate")
                .hint("`coalesce` is a row function"),
            );
        }
        if args.is_empty() {
            return self.push(
                Diagnostic::new(
                    Code::Arity,
                    span,
                    "`coalesce` needs at least one argument".to_string(),
                )
                .label("no arguments"),
            );
        }
        let checked: Vec<Option<TExpr>> = args.iter().map(|a| self.check(a, place)).collect();
        let mut checked: Vec<TExpr> = checked.into_iter().collect::<Option<_>>()?;
        let Some(first) = checked.iter().position(|a| a.ty != Type::Null) else {
            return Some(typed(TExprKind::Coalesce { args: checked }, Type::Null));
        };
        let ty = checked[first].ty.clone();
        for i in 0..checked.len() {
            if i == first || checked[i].ty == Type::Null {
                continue;
            }
            let arg = checked[i].clone();
            let (_, converted) = self.comparable(
                checked[first].clone(),
                arg,
                args[first].span,
                args[i].span,
                span,
            )?;
            checked[i] = converted;
        }
        if let Type::Number(_) = ty {
            for a in checked.iter_mut() {
                if a.ty == Type::Null {
                    a.ty = ty.clone();
                }
            }
        }
        Some(typed(TExprKind::Coalesce { args: checked }, ty))
    }
}
