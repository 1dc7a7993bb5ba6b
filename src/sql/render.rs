//! Checked expressions to SQL text in one dialect.

use super::dialect::Dialect;
use crate::model::{AggFunc, TExpr, TExprKind, Type};
use crate::syntax::ast::BinOp;

/// A percentile the dialect cannot compute as an aggregate: the query
/// builder computes it in window-function CTEs and joins it back.
pub struct EmulatedPercentile {
    /// The value, a row expression over the rows CTE.
    pub value: String,
    pub fraction: f64,
    /// Rows that take part (the metric's filter and the aggregate's own).
    pub condition: Option<String>,
    /// The CTE that will hold the result (`_period`, dims, `_v`).
    pub cte: String,
}

/// What differs between the places that write expressions: how names are
/// referred to and how an emulated percentile's CTE is named. Everything
/// else (operators, aggregates, filters, conversions) is `ExprWriter`'s.
pub trait ExprContext {
    fn dialect(&self) -> &'static dyn Dialect;

    /// A column of the rows (source measures and filters); unqualified by
    /// default.
    fn column(&self, name: &str) -> String {
        self.dialect().ident(name)
    }

    /// Another metric's value (derived measures); a column of its name by
    /// default.
    fn metric(&self, name: &str) -> String {
        self.dialect().ident(name)
    }

    /// The flag of a `followed_by` (the node `e`) for the current row: a
    /// column the query builder joined to the rows. Only source measures
    /// have one: the checker keeps `followed_by` out of derived measures
    /// and experiments, and the MetricFlow export leaves such metrics out.
    fn followed_by(&mut self, e: &TExpr) -> String {
        unreachable!("`followed_by` outside a source measure: {e:?}")
    }

    /// `prior(metric, periods)`: the metric's series shifted by `periods`.
    /// Only derived measures have one (the checker keeps it there).
    fn prior(&self, metric: &str, periods: i64) -> String {
        unreachable!("`prior({metric}, {periods})` outside a derived measure")
    }

    /// A name for the CTE of the next emulated percentile, unique within
    /// its query; `_percentile_<n>` by default.
    fn percentile_name(&mut self, n: usize) -> String {
        format!("_percentile_{n}")
    }
}

/// Renders expressions; collects emulated percentiles on the way.
pub struct ExprWriter<'a> {
    pub cx: &'a mut dyn ExprContext,
    /// A row condition ANDed into every aggregate (a metric's filter, when
    /// several metrics share one scan).
    pub fold_filter: Option<String>,
    /// A row condition applied by a WHERE clause already, which emulated
    /// percentiles must apply themselves.
    pub where_filter: Option<String>,
    pub percentiles: Vec<EmulatedPercentile>,
}

fn and(a: Option<&str>, b: Option<&str>) -> Option<String> {
    match (a, b) {
        (Some(a), Some(b)) => Some(format!("({a}) AND ({b})")),
        (Some(a), None) | (None, Some(a)) => Some(a.to_string()),
        (None, None) => None,
    }
}

/// A float literal that every dialect reads the same way.
pub fn number(value: f64) -> String {
    let text = format!("{value:?}");
    if value < 0.0 {
        format!("({text})")
    } else {
        text
    }
}

impl<'a> ExprWriter<'a> {
    pub fn new(cx: &'a mut dyn ExprContext) -> ExprWriter<'a> {
        ExprWriter {
            cx,
            fold_filter: None,
            where_filter: None,
            percentiles: Vec::new(),
        }
    }

    pub fn expr(&mut self, e: &TExpr) -> String {
        let d = self.cx.dialect();
        match &e.kind {
            TExprKind::Column { name } => self.cx.column(name),
            TExprKind::Metric { name } => self.cx.metric(name),
            TExprKind::Number { value } => number(*value),
            TExprKind::Str { value } => d.string(value),
            TExprKind::Bool { value } => d.boolean(*value),
            TExprKind::Date { value } => d.date(*value),
            TExprKind::Null => "NULL".to_string(),
            TExprKind::Neg { operand } => format!("(-{})", self.expr(operand)),
            TExprKind::Not { operand } => format!("(NOT {})", self.expr(operand)),
            TExprKind::Binary { op, left, right } => self.binary(*op, left, right),
            TExprKind::IsNull { operand, negated } => {
                format!(
                    "({} IS {}NULL)",
                    self.expr(operand),
                    if *negated { "NOT " } else { "" }
                )
            }
            TExprKind::InList {
                operand,
                list,
                negated,
            } => {
                let items: Vec<String> = list.iter().map(|i| self.expr(i)).collect();
                format!(
                    "({} {}IN ({}))",
                    self.expr(operand),
                    if *negated { "NOT " } else { "" },
                    items.join(", ")
                )
            }
            TExprKind::Coalesce { args } => {
                let args: Vec<String> = args.iter().map(|a| self.expr(a)).collect();
                format!("COALESCE({})", args.join(", "))
            }
            TExprKind::FollowedBy { .. } => self.cx.followed_by(e),
            TExprKind::Prior { metric, periods } => self.cx.prior(metric, *periods),
            TExprKind::Scale { factor, operand } => {
                format!(
                    "({} * {})",
                    d.to_float(&self.expr(operand)),
                    number(*factor)
                )
            }
            TExprKind::Aggregate {
                func,
                arg,
                fraction,
                filter,
            } => {
                let own = filter.as_ref().map(|f| self.expr(f));
                let condition = and(self.fold_filter.as_deref(), own.as_deref());
                let value = arg.as_ref().map(|a| self.expr(a));
                let is_bool = arg.as_ref().is_some_and(|a| a.ty == Type::Bool);
                self.aggregate(*func, value, is_bool, *fraction, condition)
            }
        }
    }

    fn binary(&mut self, op: BinOp, left: &TExpr, right: &TExpr) -> String {
        let d = self.cx.dialect();
        let (l, r) = (self.expr(left), self.expr(right));
        match op {
            BinOp::Sub if left.ty == Type::Timestamp && right.ty == Type::Timestamp => {
                d.seconds_between(&l, &r)
            }
            BinOp::Sub if left.ty == Type::Date && right.ty == Type::Date => d.days_between(&l, &r),
            BinOp::Div => format!("({} / NULLIF({r}, 0))", d.to_float(&l)),
            _ if op.is_comparison() => {
                // Dates compared with timestamps are widened to timestamps.
                let (l, r) = match (&left.ty, &right.ty) {
                    (Type::Date, Type::Timestamp) => (d.date_as_timestamp(&l), r),
                    (Type::Timestamp, Type::Date) => (l, d.date_as_timestamp(&r)),
                    _ => (l, r),
                };
                let symbol = if op == BinOp::Ne { "<>" } else { op.symbol() };
                format!("({l} {symbol} {r})")
            }
            BinOp::And => format!("({l} AND {r})"),
            BinOp::Or => format!("({l} OR {r})"),
            _ => format!("({l} {} {r})", op.symbol()),
        }
    }

    fn aggregate(
        &mut self,
        func: AggFunc,
        value: Option<String>,
        is_bool: bool,
        fraction: Option<f64>,
        condition: Option<String>,
    ) -> String {
        let d = self.cx.dialect();
        // `AGG(CASE WHEN condition THEN value END)`: rows outside the
        // condition become NULL, which every aggregate but COUNT(*) ignores.
        let filtered = |value: &str| match &condition {
            Some(c) => format!("CASE WHEN {c} THEN {value} END"),
            None => value.to_string(),
        };
        let boolean_as = |value: &str, one: &str, zero: &str| match &condition {
            Some(c) => format!(
                "CASE WHEN ({c}) AND {value} THEN {one} WHEN ({c}) AND NOT {value} THEN {zero} END"
            ),
            None => format!("CASE WHEN {value} THEN {one} WHEN NOT {value} THEN {zero} END"),
        };
        match (func, value) {
            (AggFunc::Count, None) => match &condition {
                Some(c) => format!("COUNT(CASE WHEN {c} THEN 1 END)"),
                None => "COUNT(*)".to_string(),
            },
            (AggFunc::Count, Some(v)) => format!("COUNT({})", filtered(&v)),
            (AggFunc::CountDistinct, Some(v)) => format!("COUNT(DISTINCT {})", filtered(&v)),
            (AggFunc::Sum, Some(v)) if is_bool => format!("SUM({})", boolean_as(&v, "1", "0")),
            // A float, not `1.0`: Spark reads that as a DECIMAL and rounds
            // the average.
            (AggFunc::Avg, Some(v)) if is_bool => {
                format!("AVG({})", d.to_float(&boolean_as(&v, "1", "0")))
            }
            (AggFunc::Sum, Some(v)) => format!("SUM({})", filtered(&v)),
            (AggFunc::Avg, Some(v)) => format!("AVG({})", d.to_float(&filtered(&v))),
            (AggFunc::Min, Some(v)) => format!("MIN({})", filtered(&v)),
            (AggFunc::Max, Some(v)) => format!("MAX({})", filtered(&v)),
            (AggFunc::Median | AggFunc::Percentile, Some(v)) => {
                let fraction = fraction.unwrap_or(0.5);
                match d.percentile(&d.to_float(&filtered(&v)), fraction) {
                    Some(sql) => sql,
                    None => {
                        let cte = self.cx.percentile_name(self.percentiles.len() + 1);
                        let reference = format!("MAX({}.{})", d.ident(&cte), d.ident("_v"));
                        self.percentiles.push(EmulatedPercentile {
                            value: v,
                            fraction,
                            condition: and(self.where_filter.as_deref(), condition.as_deref()),
                            cte,
                        });
                        reference
                    }
                }
            }
            (_, None) => "NULL".to_string(),
        }
    }
}
