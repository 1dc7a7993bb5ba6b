//! Checked expressions: their types and their tree, as the checker leaves
//! them (every name resolved, every unit conversion an explicit `Scale`).

use serde::Serialize;

use super::ScalarType;
use crate::date::Date;
use crate::ops::BinOp;
use crate::units::Unit;

/// The type of a checked expression.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "type", content = "unit")]
pub enum Type {
    Number(Unit),
    Bool,
    Text,
    Date,
    Timestamp,
    /// The literal `null`, compatible with everything.
    Null,
}

/// The type in words, for messages: "a quantity in `s`", "a boolean".
impl std::fmt::Display for Type {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Type::Number(Unit::Dimensionless) => f.write_str("a number"),
            Type::Number(u) => write!(f, "a quantity in `{u}`"),
            Type::Bool => f.write_str("a boolean"),
            Type::Text => f.write_str("text"),
            Type::Date => f.write_str("a date"),
            Type::Timestamp => f.write_str("a timestamp"),
            Type::Null => f.write_str("`null`"),
        }
    }
}

keyword_enum! {
    /// The aggregate functions, spelled as in a measure.
    pub enum AggFunc {
        Count = "count",
        CountDistinct = "count_distinct",
        Sum = "sum",
        Avg = "avg",
        Min = "min",
        Max = "max",
        Median = "median",
        Percentile = "percentile",
    }
}

/// A checked expression.
#[derive(Clone, Debug, Serialize)]
pub struct TExpr {
    #[serde(flatten)]
    pub kind: TExprKind,
    #[serde(rename = "result")]
    pub ty: Type,
}

impl TExpr {
    /// Every node, this one first (depth first, left to right), with the
    /// conditions of `followed_by`.
    pub fn walk<'e>(&'e self, visit: &mut dyn FnMut(&'e TExpr)) {
        visit(self);
        let children: Vec<&TExpr> = match &self.kind {
            TExprKind::Neg { operand }
            | TExprKind::Not { operand }
            | TExprKind::IsNull { operand, .. }
            | TExprKind::Scale { operand, .. } => vec![operand],
            TExprKind::Binary { left, right, .. } => vec![left, right],
            TExprKind::InList { operand, list, .. } => {
                std::iter::once(&**operand).chain(list).collect()
            }
            TExprKind::Aggregate { arg, filter, .. } => {
                arg.iter().chain(filter).map(|b| &**b).collect()
            }
            TExprKind::Coalesce { args } => args.iter().collect(),
            TExprKind::FollowedBy { filter, .. } => filter.iter().map(|b| &**b).collect(),
            TExprKind::Column { .. }
            | TExprKind::Metric { .. }
            | TExprKind::Number { .. }
            | TExprKind::Str { .. }
            | TExprKind::Bool { .. }
            | TExprKind::Date { .. }
            | TExprKind::Null
            | TExprKind::Prior { .. } => Vec::new(),
        };
        for child in children {
            child.walk(visit);
        }
    }

    /// The metrics a derived measure reads, each with how many periods
    /// earlier (`prior`; 0 for the period itself), each once, in order of
    /// first use.
    pub fn reads(&self) -> Vec<(&str, i64)> {
        let mut reads = Vec::new();
        self.walk(&mut |e| {
            let read = match &e.kind {
                TExprKind::Metric { name } => (name.as_str(), 0),
                TExprKind::Prior { metric, periods } => (metric.as_str(), *periods),
                _ => return,
            };
            if !reads.contains(&read) {
                reads.push(read);
            }
        });
        reads
    }

    /// Whether it uses `followed_by`.
    pub fn contains_followed_by(&self) -> bool {
        let mut found = false;
        self.walk(&mut |e| found |= matches!(e.kind, TExprKind::FollowedBy { .. }));
        found
    }
}

#[derive(Clone, Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TExprKind {
    Column {
        name: String,
    },
    Metric {
        name: String,
    },
    Number {
        value: f64,
    },
    Str {
        value: String,
    },
    Bool {
        value: bool,
    },
    Date {
        value: Date,
    },
    Null,
    Neg {
        operand: Box<TExpr>,
    },
    Not {
        operand: Box<TExpr>,
    },
    /// For `-` on two timestamps or two dates, the result is a duration in
    /// seconds or days (see the operands' types).
    Binary {
        op: BinOp,
        left: Box<TExpr>,
        right: Box<TExpr>,
    },
    IsNull {
        operand: Box<TExpr>,
        negated: bool,
    },
    InList {
        operand: Box<TExpr>,
        list: Vec<TExpr>,
        negated: bool,
    },
    Aggregate {
        func: AggFunc,
        arg: Option<Box<TExpr>>,
        /// The fraction of `percentile(x, p)`.
        fraction: Option<f64>,
        filter: Option<Box<TExpr>>,
    },
    Coalesce {
        args: Vec<TExpr>,
    },
    /// `followed_by(source, column, within where filter)`: whether `source`
    /// has a row with this row's non-null `column` whose time (`time`, the
    /// source's) lies in `[t, t + within seconds]`, t being this row's time
    /// (the metric's time column); `filter` is over `source`'s rows.
    FollowedBy {
        source: String,
        column: String,
        time: String,
        time_type: ScalarType,
        within: f64,
        filter: Option<Box<TExpr>>,
    },
    /// `prior(metric, N)` in a derived measure: `metric`'s value `periods`
    /// periods (of its grain) before the period.
    Prior {
        metric: String,
        periods: i64,
    },
    /// A unit conversion inserted by the checker: `operand * factor`.
    Scale {
        factor: f64,
        operand: Box<TExpr>,
    },
}
