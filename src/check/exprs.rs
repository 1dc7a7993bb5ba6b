//! Expression typing and the unit algebra of LANGUAGE.md section 4.
//!
//! Every check returns `None` after reporting a problem, so one mistake
//! gives one diagnostic rather than a cascade.

use std::collections::HashMap;

use super::SourceInfo;
use crate::diag::{did_you_mean, Code, Diagnostic};
use crate::model::{AggFunc, ColumnType, Grain, ScalarType, TExpr, TExprKind, Type};
use crate::source::Span;
use crate::syntax::ast::{BinOp, Expr, ExprKind, Literal};
use crate::units::{QuantityUnit, Unit};

mod functions;

/// The functions that are not aggregates (the aggregates are spelled by
/// `AggFunc`).
const SCALAR_FUNCTIONS: &[&str] = &[COALESCE, FOLLOWED_BY, PRIOR];
const COALESCE: &str = "coalesce";
const FOLLOWED_BY: &str = "followed_by";
const PRIOR: &str = "prior";

/// Every function of the language: the aggregates, then the others.
pub fn functions() -> impl Iterator<Item = &'static str> {
    AggFunc::NAMES.iter().chain(SCALAR_FUNCTIONS).copied()
}

/// What names in an expression refer to.
pub enum Scope<'s> {
    /// A source measure or filter: names are columns of the source.
    Source {
        source: &'s str,
        columns: &'s HashMap<String, ColumnType>,
        /// Every sound source, for `followed_by`.
        sources: &'s HashMap<&'s str, &'s SourceInfo>,
    },
    /// A derived measure: names are metrics, with their declared units
    /// and grains (for `prior`).
    Derived {
        metrics: &'s HashMap<String, Unit>,
        grains: &'s HashMap<&'s str, (Grain, Span)>,
    },
}

/// Where in a measure an expression sits.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// The top of a source measure: aggregates allowed, bare columns not.
    Measure,
    /// A row expression: a `filter`, or inside an aggregate (`nested`).
    Row { nested: bool },
    /// A derived measure: metrics and literals.
    Derived,
}

pub struct ExprChecker<'a> {
    pub scope: Scope<'a>,
    /// Every metric name (for hints) and what each name in the project is.
    pub names: &'a HashMap<&'a str, &'static str>,
    pub diags: &'a mut Vec<Diagnostic>,
    /// Metrics a derived measure reads, with the span of each reference.
    pub inputs: Vec<(String, Span)>,
}

fn typed(kind: TExprKind, ty: Type) -> TExpr {
    TExpr { kind, ty }
}

fn number_unit(ty: &Type) -> Option<&Unit> {
    match ty {
        Type::Number(u) => Some(u),
        _ => None,
    }
}

fn is_zero(e: &TExpr) -> bool {
    match &e.kind {
        TExprKind::Number { value } => *value == 0.0,
        TExprKind::Neg { operand } => is_zero(operand),
        _ => false,
    }
}

/// Converts an expression by a factor, folding it into literals.
pub fn scale(e: TExpr, factor: f64, unit: Unit) -> TExpr {
    let ty = Type::Number(unit);
    if factor == 1.0 {
        return TExpr { ty, ..e };
    }
    match e.kind {
        TExprKind::Number { value } => typed(
            TExprKind::Number {
                value: value * factor,
            },
            ty,
        ),
        kind => typed(
            TExprKind::Scale {
                factor,
                operand: Box::new(TExpr { kind, ty: e.ty }),
            },
            ty,
        ),
    }
}

impl ExprChecker<'_> {
    fn error(&mut self, code: Code, span: Span, message: String, label: &str) -> Option<TExpr> {
        self.diags
            .push(Diagnostic::new(code, span, message).label(label));
        None
    }

    fn push(&mut self, d: Diagnostic) -> Option<TExpr> {
        self.diags.push(d);
        None
    }

    pub fn check(&mut self, e: &Expr, place: Place) -> Option<TExpr> {
        match &e.kind {
            ExprKind::Error => None,
            ExprKind::Name { name } => self.name(name, e.span, place),
            ExprKind::Literal { literal } => self.literal(literal, e.span),
            ExprKind::Neg { operand } => {
                let operand = self.check(operand, place)?;
                if !matches!(operand.ty, Type::Number(_)) {
                    return self.error(
                        Code::TypeMismatch,
                        e.span,
                        format!("cannot negate {}", operand.ty),
                        "`-` needs a number",
                    );
                }
                let ty = operand.ty.clone();
                Some(typed(
                    TExprKind::Neg {
                        operand: Box::new(operand),
                    },
                    ty,
                ))
            }
            ExprKind::Not { operand } => {
                let operand = self.check(operand, place)?;
                self.expect_bool(&operand, operand_span(e), "`not`")?;
                Some(typed(
                    TExprKind::Not {
                        operand: Box::new(operand),
                    },
                    Type::Bool,
                ))
            }
            ExprKind::Binary { op, left, right } => {
                let (l, r) = (self.check(left, place), self.check(right, place));
                self.binary(*op, l?, r?, left.span, right.span, e.span)
            }
            ExprKind::IsNull { operand, negated } => {
                let operand = self.check(operand, place)?;
                Some(typed(
                    TExprKind::IsNull {
                        operand: Box::new(operand),
                        negated: *negated,
                    },
                    Type::Bool,
                ))
            }
            ExprKind::InList {
                operand,
                list,
                negated,
            } => {
                let operand = self.check(operand, place)?;
                let mut items = Vec::with_capacity(list.len());
                let mut ok = true;
                for item in list {
                    let Some(value) = self.check(item, place) else {
                        ok = false;
                        continue;
                    };
                    match self.comparable(
                        operand.clone(),
                        value,
                        operand_span(e),
                        item.span,
                        e.span,
                    ) {
                        Some((_, value)) => items.push(value),
                        None => ok = false,
                    }
                }
                ok.then(|| {
                    typed(
                        TExprKind::InList {
                            operand: Box::new(operand),
                            list: items,
                            negated: *negated,
                        },
                        Type::Bool,
                    )
                })
            }
            ExprKind::Call {
                function,
                args,
                filter,
            } => self.call(
                &function.name,
                function.span,
                args,
                filter.as_deref(),
                e.span,
                place,
            ),
        }
    }

    fn expect_bool(&mut self, e: &TExpr, span: Span, what: &str) -> Option<()> {
        if e.ty == Type::Bool {
            return Some(());
        }
        self.push(
            Diagnostic::new(
                Code::TypeMismatch,
                span,
                format!("{what} needs a boolean, found {}", e.ty),
            )
            .label("not a boolean"),
        )
        .map(|_| ())
    }

    fn name(&mut self, name: &str, span: Span, place: Place) -> Option<TExpr> {
        match &self.scope {
            Scope::Source {
                source, columns, ..
            } => {
                let Some(column) = columns.get(name) else {
                    let hint = if self.names.get(name).is_some_and(|k| *k == "metric") {
                        Some(format!("`{name}` is a metric: a measure over a source reads only its columns; to combine metrics, remove `source:` and write a derived measure"))
                    } else {
                        did_you_mean(name, columns.keys().map(String::as_str))
                    };
                    let source = source.to_string();
                    return self.push(
                        Diagnostic::new(
                            Code::UnknownColumn,
                            span,
                            format!("source `{source}` has no column `{name}`"),
                        )
                        .label("unknown column")
                        .hint_opt(hint),
                    );
                };
                if place == Place::Measure {
                    return self.push(
                        Diagnostic::new(
                            Code::AggregateContext,
                            span,
                            format!("column `{name}` is used outside an aggregate"),
                        )
                        .label("not aggregated")
                        .hint(format!("a measure computes one value per period: aggregate the column, e.g. `sum({name})` or `avg({name})`")),
                    );
                }
                let ty = match column {
                    ColumnType::Scalar(ScalarType::Text) => Type::Text,
                    ColumnType::Scalar(ScalarType::Bool) => Type::Bool,
                    ColumnType::Scalar(ScalarType::Int | ScalarType::Float) => {
                        Type::Number(Unit::Dimensionless)
                    }
                    ColumnType::Scalar(ScalarType::Date) => Type::Date,
                    ColumnType::Scalar(ScalarType::Timestamp) => Type::Timestamp,
                    ColumnType::Quantity { unit } => Type::Number(unit.clone()),
                };
                Some(typed(
                    TExprKind::Column {
                        name: name.to_string(),
                    },
                    ty,
                ))
            }
            Scope::Derived { metrics, .. } => {
                let Some(unit) = metrics.get(name) else {
                    let kind = self.names.get(name).copied();
                    let d = match kind {
                        Some("metric") => return None, // a metric whose header is broken: reported already
                        Some(other) => Diagnostic::new(
                            Code::WrongKind,
                            span,
                            format!("`{name}` is a {other}, not a metric"),
                        )
                        .label("not a metric")
                        .hint("a derived measure combines other metrics"),
                        None => Diagnostic::new(
                            Code::UnknownMetric,
                            span,
                            format!("no metric named `{name}`"),
                        )
                        .label("unknown metric")
                        .hint_opt(did_you_mean(
                            name,
                            self.names
                                .iter()
                                .filter(|(_, k)| **k == "metric")
                                .map(|(n, _)| *n),
                        ))
                        .hint("a metric without `source:` has a derived measure: its names are metrics, not columns"),
                    };
                    return self.push(d);
                };
                self.inputs.push((name.to_string(), span));
                Some(typed(
                    TExprKind::Metric {
                        name: name.to_string(),
                    },
                    Type::Number(unit.clone()),
                ))
            }
        }
    }

    fn literal(&mut self, literal: &Literal, span: Span) -> Option<TExpr> {
        Some(match literal {
            Literal::Number { value } => typed(
                TExprKind::Number { value: *value },
                Type::Number(Unit::Dimensionless),
            ),
            Literal::Quantity { value, unit } => match unit {
                QuantityUnit::Unit(unit) => typed(
                    TExprKind::Number { value: *value },
                    Type::Number(unit.clone()),
                ),
                QuantityUnit::Calendar(_) => return self.push(
                    Diagnostic::new(
                        Code::CalendarUnit,
                        span,
                        "months, quarters and years have no fixed length".to_string(),
                    )
                    .label("calendar unit")
                    .hint(
                        "calendar units are allowed only in a link's `lag`; use `d` or `wk` here",
                    ),
                ),
            },
            Literal::Str { value } => typed(
                TExprKind::Str {
                    value: value.clone(),
                },
                Type::Text,
            ),
            Literal::Date { value } => typed(TExprKind::Date { value: *value }, Type::Date),
            Literal::Bool { value } => typed(TExprKind::Bool { value: *value }, Type::Bool),
            Literal::Null => typed(TExprKind::Null, Type::Null),
        })
    }

    /// Brings two numbers to one unit for `+`, `-`, comparisons and
    /// `coalesce`: the right side is converted to the left side's unit.
    fn unify(
        &mut self,
        left: TExpr,
        right: TExpr,
        left_span: Span,
        right_span: Span,
        span: Span,
    ) -> Option<(TExpr, TExpr, Unit)> {
        let lu = number_unit(&left.ty).expect("number").clone();
        let ru = number_unit(&right.ty).expect("number").clone();
        if lu == ru {
            return Some((left, right, lu));
        }
        match (lu == Unit::Dimensionless, ru == Unit::Dimensionless) {
            (true, false) if is_zero(&left) => {
                return Some((scale(left, 1.0, ru.clone()), right, ru));
            }
            (false, true) if is_zero(&right) => {
                return Some((left, scale(right, 1.0, lu.clone()), lu));
            }
            (true, false) | (false, true) => {
                let (bare, unit, unit_span) = if lu == Unit::Dimensionless {
                    (left_span, &ru, right_span)
                } else {
                    (right_span, &lu, left_span)
                };
                let d = Diagnostic::new(
                    Code::BareNumber,
                    bare,
                    format!("a bare number cannot be combined with a quantity in `{unit}`"),
                )
                .label("no unit")
                .secondary(unit_span, format!("this is in `{unit}`"))
                .hint(format!(
                    "give the number a unit, e.g. `60 {unit}`, or declare the column with one"
                ));
                self.diags.push(d);
                return None;
            }
            _ => {}
        }
        match ru.factor_to(&lu) {
            Some(factor) => {
                let right = scale(right, factor, lu.clone());
                Some((left, right, lu))
            }
            None => {
                let message = match (&lu, &ru) {
                    (Unit::Money(a), Unit::Money(b)) => {
                        format!("cannot mix `{a}` and `{b}`: currencies are never converted")
                    }
                    _ => format!(
                        "incompatible units: `{lu}` ({}) and `{ru}` ({})",
                        lu.family(),
                        ru.family()
                    ),
                };
                let _ = span;
                let d = Diagnostic::new(Code::IncompatibleUnits, right_span, message)
                    .label(format!("this is in `{ru}`"))
                    .secondary(left_span, format!("this is in `{lu}`"));
                self.diags.push(d);
                None
            }
        }
    }

    /// Checks that two values can be compared; returns them converted.
    fn comparable(
        &mut self,
        left: TExpr,
        right: TExpr,
        left_span: Span,
        right_span: Span,
        span: Span,
    ) -> Option<(TExpr, TExpr)> {
        match (&left.ty, &right.ty) {
            (Type::Number(_), Type::Number(_)) => {
                let (l, r, _) = self.unify(left, right, left_span, right_span, span)?;
                Some((l, r))
            }
            (Type::Null, _) | (_, Type::Null) => {
                self.diags.push(
                    Diagnostic::new(
                        Code::TypeMismatch,
                        span,
                        "comparing with `null` is never true".to_string(),
                    )
                    .label("compares with null")
                    .hint("write `x is null` or `x is not null`"),
                );
                None
            }
            (a, b)
                if a == b
                    || matches!(
                        (a, b),
                        (Type::Date, Type::Timestamp) | (Type::Timestamp, Type::Date)
                    ) =>
            {
                Some((left, right))
            }
            (a, b) => {
                let d = Diagnostic::new(
                    Code::TypeMismatch,
                    span,
                    format!("cannot compare {} with {}", a, b),
                )
                .label("types differ")
                .secondary(left_span, a.to_string())
                .secondary(right_span, b.to_string());
                self.diags.push(d);
                None
            }
        }
    }

    fn binary(
        &mut self,
        op: BinOp,
        left: TExpr,
        right: TExpr,
        left_span: Span,
        right_span: Span,
        span: Span,
    ) -> Option<TExpr> {
        let build = |left: TExpr, right: TExpr, ty: Type| {
            typed(
                TExprKind::Binary {
                    op,
                    left: Box::new(left),
                    right: Box::new(right),
                },
                ty,
            )
        };
        match op {
            BinOp::Or | BinOp::And => {
                self.expect_bool(&left, left_span, &format!("`{}`", op.symbol()))?;
                self.expect_bool(&right, right_span, &format!("`{}`", op.symbol()))?;
                Some(build(left, right, Type::Bool))
            }
            _ if op.is_comparison() => {
                let (left, right) = self.comparable(left, right, left_span, right_span, span)?;
                Some(build(left, right, Type::Bool))
            }
            BinOp::Sub if matches!((&left.ty, &right.ty), (Type::Timestamp, Type::Timestamp)) => {
                Some(build(
                    left,
                    right,
                    Type::Number(Unit::Duration(crate::units::DurationUnit::S)),
                ))
            }
            BinOp::Sub if matches!((&left.ty, &right.ty), (Type::Date, Type::Date)) => Some(build(
                left,
                right,
                Type::Number(Unit::Duration(crate::units::DurationUnit::D)),
            )),
            _ => {
                let (Type::Number(lu), Type::Number(ru)) = (&left.ty, &right.ty) else {
                    let hint = match (&left.ty, &right.ty) {
                        (Type::Timestamp, Type::Date) | (Type::Date, Type::Timestamp) => {
                            "subtract two timestamps or two dates, not one of each"
                        }
                        _ => "arithmetic needs numbers or quantities",
                    };
                    let d = Diagnostic::new(
                        Code::TypeMismatch,
                        span,
                        format!(
                            "cannot apply `{}` to {} and {}",
                            op.symbol(),
                            left.ty,
                            right.ty
                        ),
                    )
                    .label("invalid operands")
                    .hint(hint);
                    return self.push(d);
                };
                match op {
                    BinOp::Add | BinOp::Sub => {
                        let (left, right, unit) =
                            self.unify(left, right, left_span, right_span, span)?;
                        Some(build(left, right, Type::Number(unit)))
                    }
                    BinOp::Mul => {
                        let unit = match (lu, ru) {
                            (Unit::Dimensionless | Unit::Ratio, other) => other.clone(),
                            (other, Unit::Dimensionless | Unit::Ratio) => other.clone(),
                            _ => return self.unit_arithmetic(op, lu.clone(), ru.clone(), span),
                        };
                        Some(build(left, right, Type::Number(unit)))
                    }
                    _ => {
                        // Division.
                        let (lu, ru) = (lu.clone(), ru.clone());
                        if matches!(ru, Unit::Dimensionless | Unit::Ratio) {
                            return Some(build(left, right, Type::Number(lu)));
                        }
                        if lu.is_count() && ru.is_count() {
                            return Some(build(left, right, Type::Number(Unit::Ratio)));
                        }
                        if ru.is_count() && lu != Unit::Dimensionless {
                            return Some(build(left, right, Type::Number(lu)));
                        }
                        if lu != Unit::Dimensionless {
                            if let Some(factor) = ru.factor_to(&lu) {
                                let right = scale(right, factor, lu);
                                return Some(build(left, right, Type::Number(Unit::Ratio)));
                            }
                        }
                        self.unit_arithmetic(op, lu, ru, span)
                    }
                }
            }
        }
    }

    fn unit_arithmetic(&mut self, op: BinOp, lu: Unit, ru: Unit, span: Span) -> Option<TExpr> {
        let show = |u: &Unit| {
            if *u == Unit::Dimensionless {
                "a bare number".to_string()
            } else {
                format!("`{u}`")
            }
        };
        let what = if op == BinOp::Mul {
            "multiply"
        } else {
            "divide"
        };
        self.push(
            Diagnostic::new(
                Code::UnitArithmetic,
                span,
                format!("cannot {what} {} by {}", show(&lu), show(&ru)),
            )
            .label("no unit for the result")
            .hint("multiply or divide by a bare number or a ratio; divide by a count for a mean per item; divide like units for a ratio"),
        )
    }

    fn call(
        &mut self,
        function: &str,
        function_span: Span,
        args: &[Expr],
        filter: Option<&Expr>,
        span: Span,
        place: Place,
    ) -> Option<TExpr> {
        let func = match AggFunc::parse(function) {
            Some(func) => func,
            None if function == COALESCE => return self.coalesce(args, filter, span, place),
            None if function == FOLLOWED_BY => return self.followed_by(args, filter, span, place),
            None if function == PRIOR => return self.prior(args, filter, span, place),
            None => {
                let names: Vec<&str> = functions().collect();
                let (init, last) = names.split_at(names.len() - 1);
                return self.push(
                    Diagnostic::new(
                        Code::UnknownFunction,
                        function_span,
                        format!("unknown function `{function}`"),
                    )
                    .label("unknown function")
                    .hint_opt(did_you_mean(function, functions()))
                    .hint(format!(
                        "the functions are {} and {}",
                        init.join(", "),
                        last[0]
                    )),
                );
            }
        };
        match place {
            Place::Measure => {}
            Place::Row { nested: true } => {
                return self.push(
                    Diagnostic::new(
                        Code::NestedAggregate,
                        span,
                        format!("`{function}` is inside another aggregate"),
                    )
                    .label("nested aggregate")
                    .hint("aggregates combine with arithmetic, e.g. `sum(a) / count()`, but may not nest"),
                )
            }
            Place::Row { nested: false } => {
                return self.push(
                    Diagnostic::new(
                        Code::AggregateContext,
                        span,
                        format!("aggregate `{function}` in a row expression"),
                    )
                    .label("aggregate here")
                    .hint("a `filter` or a `where` clause is tested on each row; it cannot aggregate"),
                )
            }
            Place::Derived => {
                return self.push(
                    Diagnostic::new(
                        Code::DerivedMeasure,
                        span,
                        format!("aggregate `{function}` in a derived measure"),
                    )
                    .label("aggregate here")
                    .hint("a derived measure combines other metrics; to aggregate rows, give the metric a `source:`"),
                )
            }
        }
        let expected = match func {
            AggFunc::Count => 0..=1,
            AggFunc::Percentile => 2..=2,
            _ => 1..=1,
        };
        if !expected.contains(&args.len()) {
            let wanted = match func {
                AggFunc::Count => "0 or 1 arguments".to_string(),
                AggFunc::Percentile => "2 arguments: a value and a fraction".to_string(),
                _ => "1 argument".to_string(),
            };
            return self.push(
                Diagnostic::new(
                    Code::Arity,
                    span,
                    format!("`{function}` takes {wanted}, found {}", args.len()),
                )
                .label("wrong number of arguments"),
            );
        }
        let row = Place::Row { nested: true };
        let arg = args.first().map(|a| (self.check(a, row), a.span));
        let filter = filter.map(|f| (self.check(f, row), f.span));
        let fraction = if func == AggFunc::Percentile {
            self.fraction(&args[1])
        } else {
            None
        };
        let arg = match arg {
            Some((arg, span)) => Some((arg?, span)),
            None => None,
        };
        let filter = match filter {
            Some((f, span)) => {
                let f = f?;
                self.expect_bool(&f, span, "a `where` clause")?;
                Some(Box::new(f))
            }
            None => None,
        };
        if func == AggFunc::Percentile && fraction.is_none() {
            return None;
        }
        let ty = match (&arg, func) {
            (None, _) | (Some(_), AggFunc::Count | AggFunc::CountDistinct) => {
                Type::Number(Unit::Count(None))
            }
            (Some((a, _)), AggFunc::Sum) if a.ty == Type::Bool => Type::Number(Unit::Count(None)),
            (Some((a, _)), AggFunc::Avg) if a.ty == Type::Bool => Type::Number(Unit::Ratio),
            (Some((a, _)), AggFunc::Min | AggFunc::Max)
                if matches!(a.ty, Type::Date | Type::Timestamp) =>
            {
                a.ty.clone()
            }
            (Some((a, _)), _) if matches!(a.ty, Type::Number(_)) => a.ty.clone(),
            (Some((a, arg_span)), _) => {
                let takes = match func {
                    AggFunc::Sum | AggFunc::Avg => "numbers or booleans",
                    AggFunc::Min | AggFunc::Max => "numbers, dates or timestamps",
                    _ => "numbers",
                };
                return self.push(
                    Diagnostic::new(
                        Code::TypeMismatch,
                        *arg_span,
                        format!("`{function}` takes {takes}, found {}", a.ty),
                    )
                    .label("wrong type"),
                );
            }
        };
        Some(typed(
            TExprKind::Aggregate {
                func,
                arg: arg.map(|(a, _)| Box::new(a)),
                fraction,
                filter,
            },
            ty,
        ))
    }

    /// The `p` of `percentile(x, p)`: a bare number literal in (0, 1).
    fn fraction(&mut self, arg: &Expr) -> Option<f64> {
        if let ExprKind::Literal {
            literal: Literal::Number { value },
        } = &arg.kind
        {
            if *value > 0.0 && *value < 1.0 {
                return Some(*value);
            }
        }
        self.push(
            Diagnostic::new(
                Code::PercentileArgument,
                arg.span,
                "the fraction of `percentile` must be a number strictly between 0 and 1"
                    .to_string(),
            )
            .label("not in (0, 1)")
            .hint("for the 90th percentile write `percentile(x, 0.9)`"),
        );
        None
    }
}

fn operand_span(e: &Expr) -> Span {
    match &e.kind {
        ExprKind::Not { operand } | ExprKind::Neg { operand } => operand.span,
        ExprKind::IsNull { operand, .. } | ExprKind::InList { operand, .. } => operand.span,
        _ => e.span,
    }
}
