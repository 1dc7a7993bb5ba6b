//! A source measure as a function of per-unit means, for an experiment's
//! variances (LANGUAGE.md section 11): the delta method.
//!
//! Rows of one customer are correlated, so the independent observation is
//! the enrolled unit. Every `count`, `sum` and `count_distinct` of a
//! measure becomes the mean over the variant's enrolled units of what each
//! unit contributes (a *moment*: its rows, its sum; units without rows
//! contribute 0), which is the aggregate divided by the number of units —
//! section 11's per-unit figure. `avg(x)` becomes the mean of the units'
//! sums of `x` over the mean of their counts of `x` (a ratio of moments,
//! exactly the row average). The measure's arithmetic is kept as a
//! [`Form`] over those means; its variance is gᵀ·Σ·g / n, g the
//! [`Form::derivative`]s at the means and Σ the units' covariance matrix of
//! the moments (Deng, Knoblich and Lu, "Applying the delta method in
//! metric analytics", KDD 2018).
//!
//! `count_distinct(x)` credits each distinct value to one unit of the
//! variant (the smallest unit that has it), so the units' credits add up
//! to the variant's count and it is a moment like the others; exact when
//! a value belongs to one unit (orders, tickets, the unit itself).
//! `median` and `percentile` are [`Order`] leaves with their own method
//! (Woodruff's interval, see `effects.rs`); `min` and `max` have a value
//! but no interval.

use crate::model::{AggFunc, TExpr, TExprKind, Type};
use crate::ops::BinOp;

/// What one enrolled unit contributes to a variant: a sum over its rows.
#[derive(Clone, Copy, Debug)]
pub enum Moment<'e> {
    /// Its rows that pass `filter` (with `arg` not null, when given).
    Rows {
        arg: Option<&'e TExpr>,
        filter: Option<&'e TExpr>,
    },
    /// The sum of `arg` over its rows that pass `filter` (a boolean is 1
    /// when true, 0 when false).
    Sum {
        arg: &'e TExpr,
        filter: Option<&'e TExpr>,
    },
    /// The distinct values of `arg` credited to it (see the module).
    Distinct {
        arg: &'e TExpr,
        filter: Option<&'e TExpr>,
    },
}

/// A leaf that is not a mean over units: a quantile or an extreme of the
/// variant's rows.
#[derive(Clone, Copy, Debug)]
pub struct Order<'e> {
    pub func: AggFunc,
    pub arg: &'e TExpr,
    pub filter: Option<&'e TExpr>,
    /// The quantile's fraction (0.5 for the median); None for min and max.
    pub fraction: Option<f64>,
}

/// A variable of a [`Form`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Var {
    /// The mean over the variant's units of moment `i`.
    Mean(usize),
    /// The value of order leaf `i`.
    Order(usize),
}

/// Arithmetic over [`Var`]s.
#[derive(Clone, Debug, PartialEq)]
pub enum Form {
    Const(f64),
    Null,
    Var(Var),
    Neg(Box<Form>),
    Add(Box<Form>, Box<Form>),
    Sub(Box<Form>, Box<Form>),
    Mul(Box<Form>, Box<Form>),
    Div(Box<Form>, Box<Form>),
    /// The first argument that is not NULL.
    Coalesce(Vec<Form>),
    /// `then` when `probe` is NULL, else `otherwise` (a coalesce's
    /// derivative).
    IfNull {
        probe: Box<Form>,
        then: Box<Form>,
        otherwise: Box<Form>,
    },
}

/// How a measure's variance is computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// The delta method over per-unit moments.
    Delta,
    /// One quantile leaf: Woodruff's interval.
    Quantile,
    /// No interval (a `min` or `max`, or a quantile mixed with other
    /// aggregates).
    None,
}

/// A measure as moments, order leaves and the arithmetic over them.
#[derive(Debug)]
pub struct Decomposition<'e> {
    pub moments: Vec<Moment<'e>>,
    pub orders: Vec<Order<'e>>,
    pub form: Form,
}

impl<'e> Decomposition<'e> {
    /// Decomposes a source measure (converted to its metric's unit).
    pub fn of(measure: &'e TExpr) -> Decomposition<'e> {
        let mut d = Decomposition {
            moments: Vec::new(),
            orders: Vec::new(),
            form: Form::Null,
        };
        d.form = d.walk(measure);
        d
    }

    /// How its variance is computed.
    pub fn method(&self) -> Method {
        match (self.moments.len(), self.orders.as_slice()) {
            (_, []) => Method::Delta,
            (0, [one]) if one.fraction.is_some() => Method::Quantile,
            _ => Method::None,
        }
    }

    /// The variables of the form, in order: the means, then the order
    /// leaves.
    pub fn vars(&self) -> Vec<Var> {
        (0..self.moments.len())
            .map(Var::Mean)
            .chain((0..self.orders.len()).map(Var::Order))
            .collect()
    }

    fn moment(&mut self, m: Moment<'e>) -> Form {
        self.moments.push(m);
        Form::Var(Var::Mean(self.moments.len() - 1))
    }

    fn walk(&mut self, e: &'e TExpr) -> Form {
        match &e.kind {
            TExprKind::Number { value } => Form::Const(*value),
            TExprKind::Neg { operand } => Form::Neg(Box::new(self.walk(operand))),
            TExprKind::Scale { factor, operand } => {
                Form::Mul(Box::new(self.walk(operand)), Box::new(Form::Const(*factor)))
            }
            TExprKind::Binary { op, left, right } => {
                let (l, r) = (Box::new(self.walk(left)), Box::new(self.walk(right)));
                match op {
                    BinOp::Add => Form::Add(l, r),
                    BinOp::Sub => Form::Sub(l, r),
                    BinOp::Mul => Form::Mul(l, r),
                    BinOp::Div => Form::Div(l, r),
                    // A measure is a number: the checker allows nothing
                    // else above the aggregates.
                    _ => Form::Null,
                }
            }
            TExprKind::Coalesce { args } => {
                Form::Coalesce(args.iter().map(|a| self.walk(a)).collect())
            }
            TExprKind::Aggregate {
                func,
                arg,
                fraction,
                filter,
            } => {
                let (arg, filter) = (arg.as_deref(), filter.as_deref());
                match (func, arg) {
                    (AggFunc::Count, _) => self.moment(Moment::Rows { arg, filter }),
                    (AggFunc::Sum, Some(arg)) => self.moment(Moment::Sum { arg, filter }),
                    (AggFunc::CountDistinct, Some(arg)) => {
                        self.moment(Moment::Distinct { arg, filter })
                    }
                    (AggFunc::Avg, Some(arg)) => {
                        let sum = self.moment(Moment::Sum { arg, filter });
                        let rows = self.moment(Moment::Rows {
                            arg: Some(arg),
                            filter,
                        });
                        Form::Div(Box::new(sum), Box::new(rows))
                    }
                    (
                        AggFunc::Min | AggFunc::Max | AggFunc::Median | AggFunc::Percentile,
                        Some(arg),
                    ) => {
                        let fraction = match func {
                            AggFunc::Median => Some(0.5),
                            AggFunc::Percentile => Some(fraction.unwrap_or(0.5)),
                            _ => None,
                        };
                        self.orders.push(Order {
                            func: *func,
                            arg,
                            filter,
                            fraction,
                        });
                        Form::Var(Var::Order(self.orders.len() - 1))
                    }
                    _ => Form::Null,
                }
            }
            // Columns, text, dates and conditions do not stand above the
            // aggregates of a numeric measure.
            _ => Form::Null,
        }
    }
}

/// Whether the argument of a moment is a boolean (summed as 1 and 0).
pub fn is_bool(arg: &TExpr) -> bool {
    arg.ty == Type::Bool
}

fn zero(f: &Form) -> bool {
    matches!(f, Form::Const(c) if *c == 0.0)
}

fn one(f: &Form) -> bool {
    matches!(f, Form::Const(c) if *c == 1.0)
}

// Constructors that drop the zeros and ones a derivative is full of.
fn add(a: Form, b: Form) -> Form {
    match (zero(&a), zero(&b)) {
        (true, _) => b,
        (_, true) => a,
        _ => Form::Add(Box::new(a), Box::new(b)),
    }
}

fn sub(a: Form, b: Form) -> Form {
    match (zero(&a), zero(&b)) {
        (_, true) => a,
        (true, _) => neg(b),
        _ => Form::Sub(Box::new(a), Box::new(b)),
    }
}

fn mul(a: Form, b: Form) -> Form {
    if zero(&a) || zero(&b) {
        Form::Const(0.0)
    } else if one(&a) {
        b
    } else if one(&b) {
        a
    } else {
        Form::Mul(Box::new(a), Box::new(b))
    }
}

fn div(a: Form, b: Form) -> Form {
    if zero(&a) {
        Form::Const(0.0)
    } else if one(&b) {
        a
    } else {
        Form::Div(Box::new(a), Box::new(b))
    }
}

fn neg(a: Form) -> Form {
    match a {
        Form::Const(c) => Form::Const(-c),
        a => Form::Neg(Box::new(a)),
    }
}

impl Form {
    /// ∂self/∂v, simplified.
    pub fn derivative(&self, v: Var) -> Form {
        match self {
            Form::Const(_) | Form::Null => Form::Const(0.0),
            Form::Var(w) => Form::Const(if *w == v { 1.0 } else { 0.0 }),
            Form::Neg(a) => neg(a.derivative(v)),
            Form::Add(a, b) => add(a.derivative(v), b.derivative(v)),
            Form::Sub(a, b) => sub(a.derivative(v), b.derivative(v)),
            Form::Mul(a, b) => add(
                mul(a.derivative(v), (**b).clone()),
                mul((**a).clone(), b.derivative(v)),
            ),
            // (a/b)' = a'/b − a·b'/(b·b)
            Form::Div(a, b) => sub(
                div(a.derivative(v), (**b).clone()),
                div(
                    mul((**a).clone(), b.derivative(v)),
                    mul((**b).clone(), (**b).clone()),
                ),
            ),
            Form::Coalesce(args) => match args.split_first() {
                None => Form::Const(0.0),
                Some((first, [])) => first.derivative(v),
                Some((first, rest)) => Form::IfNull {
                    probe: Box::new(first.clone()),
                    then: Box::new(Form::Coalesce(rest.to_vec()).derivative(v)),
                    otherwise: Box::new(first.derivative(v)),
                },
            },
            Form::IfNull {
                probe,
                then,
                otherwise,
            } => Form::IfNull {
                probe: probe.clone(),
                then: Box::new(then.derivative(v)),
                otherwise: Box::new(otherwise.derivative(v)),
            },
        }
    }

    /// Its value when every variable has one, NULL as None: the unit
    /// tests check [`Form::derivative`] against differences of it.
    #[cfg(test)]
    pub fn eval(&self, var: &dyn Fn(Var) -> Option<f64>) -> Option<f64> {
        match self {
            Form::Const(c) => Some(*c),
            Form::Null => None,
            Form::Var(v) => var(*v),
            Form::Neg(a) => a.eval(var).map(|a| -a),
            Form::Add(a, b) => Some(a.eval(var)? + b.eval(var)?),
            Form::Sub(a, b) => Some(a.eval(var)? - b.eval(var)?),
            Form::Mul(a, b) => Some(a.eval(var)? * b.eval(var)?),
            Form::Div(a, b) => {
                let (a, b) = (a.eval(var)?, b.eval(var)?);
                (b != 0.0).then(|| a / b)
            }
            Form::Coalesce(args) => args.iter().find_map(|a| a.eval(var)),
            Form::IfNull {
                probe,
                then,
                otherwise,
            } => match probe.eval(var) {
                None => then.eval(var),
                Some(_) => otherwise.eval(var),
            },
        }
    }

    /// As SQL, with `var` writing a variable and `float` a dialect's
    /// conversion to a float; a division by zero is NULL, as in the
    /// metric's own query.
    pub fn sql(&self, var: &dyn Fn(Var) -> String, float: &dyn Fn(&str) -> String) -> String {
        let go = |f: &Form| f.sql(var, float);
        match self {
            Form::Const(c) => super::render::number(*c),
            Form::Null => "NULL".to_string(),
            Form::Var(v) => var(*v),
            Form::Neg(a) => format!("(-{})", go(a)),
            Form::Add(a, b) => format!("({} + {})", go(a), go(b)),
            Form::Sub(a, b) => format!("({} - {})", go(a), go(b)),
            Form::Mul(a, b) => format!("({} * {})", go(a), go(b)),
            Form::Div(a, b) => format!("({} / NULLIF({}, 0))", float(&go(a)), go(b)),
            Form::Coalesce(args) => {
                let args: Vec<String> = args.iter().map(go).collect();
                format!("COALESCE({})", args.join(", "))
            }
            Form::IfNull {
                probe,
                then,
                otherwise,
            } => format!(
                "CASE WHEN {} IS NULL THEN {} ELSE {} END",
                go(probe),
                go(then),
                go(otherwise)
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn var(v: Var) -> Option<f64> {
        Some(match v {
            Var::Mean(i) => [3.0, 5.0, 7.0][i],
            Var::Order(i) => [11.0][i],
        })
    }

    /// The symbolic derivative against a central difference.
    fn check(f: &Form, vars: &[Var]) {
        for &v in vars {
            let at = |h: f64| {
                f.eval(&|w| var(w).map(|x| if w == v { x + h } else { x }))
                    .expect("a value")
            };
            let numeric = (at(1e-6) - at(-1e-6)) / 2e-6;
            let symbolic = f.derivative(v).eval(&var).expect("a value");
            assert!(
                (numeric - symbolic).abs() < 1e-6 * (1.0 + symbolic.abs()),
                "{f:?} by {v:?}: {symbolic} against {numeric}"
            );
        }
    }

    #[test]
    fn derivatives_match_differences() {
        let m = |i| Box::new(Form::Var(Var::Mean(i)));
        let vars = [Var::Mean(0), Var::Mean(1), Var::Mean(2)];
        let ratio = Form::Div(m(0), m(1));
        check(&ratio, &vars);
        let nested = Form::Sub(
            Box::new(Form::Mul(Box::new(ratio.clone()), m(2))),
            Box::new(Form::Div(
                Box::new(Form::Neg(m(2))),
                Box::new(Form::Add(m(0), Box::new(Form::Const(2.0)))),
            )),
        );
        check(&nested, &vars);
        check(&Form::Coalesce(vec![Form::Null, nested.clone()]), &vars);
        check(&Form::Coalesce(vec![ratio, Form::Const(0.0)]), &vars);
    }

    #[test]
    fn a_division_by_zero_is_null() {
        let f = Form::Div(Box::new(Form::Const(1.0)), Box::new(Form::Const(0.0)));
        assert_eq!(f.eval(&var), None);
    }
}
