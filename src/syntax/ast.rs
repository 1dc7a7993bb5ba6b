//! The abstract syntax tree: what a file says, before any name is resolved.
//! Every node owns a [`Span`]; enumerated values are already validated.

use serde::Serialize;

use crate::date::Date;
pub use crate::ops::BinOp;
use crate::source::Span;
use crate::units::QuantityUnit;

#[derive(Clone, Debug, Serialize)]
pub struct File {
    pub items: Vec<Item>,
}

/// The keyword that starts an item: the schema's (it lists each kind's
/// fields), named here too because the tree holds it.
pub use crate::schema::ItemKind;

#[derive(Clone, Debug, Serialize)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

#[derive(Clone, Debug, Serialize)]
pub struct Item {
    pub kind: ItemKind,
    /// The item's name; for a link, its `FROM` end.
    pub name: Ident,
    /// A link's `TO` end.
    pub to: Option<Ident>,
    pub fields: Vec<Field>,
    /// From the keyword to the closing brace.
    pub span: Span,
}

#[derive(Clone, Debug, Serialize)]
pub struct Field {
    pub key: Ident,
    pub value: Value,
    pub span: Span,
}

impl Field {
    /// Whether the field's key is `key`.
    pub fn is(&self, key: crate::schema::Key) -> bool {
        self.key.name == key.name()
    }

    /// The span of the value (after `key:`).
    pub fn value_span(&self) -> Span {
        Span {
            start: self.key.span.end,
            ..self.span
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Str {
    pub value: String,
    pub span: Span,
}

#[derive(Clone, Debug, Serialize)]
pub struct Quantity {
    pub value: f64,
    /// None for a bare number.
    pub unit: Option<QuantityUnit>,
    pub span: Span,
}

#[derive(Clone, Debug, Serialize)]
pub struct Column {
    pub name: Ident,
    /// The declared type, as written (`timestamp`, `USD`, ...).
    pub ty: Ident,
    pub span: Span,
}

#[derive(Clone, Debug, Serialize)]
pub struct Target {
    pub name: Option<Ident>,
    pub fields: Vec<Field>,
    pub span: Span,
}

#[derive(Clone, Debug, Serialize)]
pub struct DateLit {
    pub value: Date,
    pub span: Span,
}

/// A field's value. Which variant a key takes is fixed by the grammar.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "value_kind", rename_all = "snake_case")]
pub enum Value {
    Str(Str),
    /// A word: a name reference or an enumerated value, validated by the checker.
    Word(Ident),
    /// A unit as written in `unit:`.
    Unit(Ident),
    Expr(Expr),
    Evidence {
        kind: Ident,
        text: Str,
    },
    Names {
        names: Vec<Ident>,
    },
    /// `FROM -> TO`: a link by its two ends (`tests:`).
    LinkRef {
        from: Ident,
        to: Ident,
    },
    /// Quantities in a row (`split: 50% 50%`).
    Quantities {
        quantities: Vec<Quantity>,
    },
    Quantity(Quantity),
    Range {
        low: Quantity,
        high: Option<Quantity>,
    },
    Integer {
        value: i64,
        span: Span,
    },
    Date(DateLit),
    Columns {
        columns: Vec<Column>,
    },
    Target(Target),
    /// An unknown field's raw value (already reported).
    Unknown,
}

#[derive(Clone, Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Literal {
    Number { value: f64 },
    Quantity { value: f64, unit: QuantityUnit },
    Str { value: String },
    Date { value: Date },
    Bool { value: bool },
    Null,
}

#[derive(Clone, Debug, Serialize)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ExprKind {
    /// A column or a metric, resolved by the checker.
    Name {
        name: String,
    },
    Literal {
        literal: Literal,
    },
    Neg {
        operand: Box<Expr>,
    },
    Not {
        operand: Box<Expr>,
    },
    Binary {
        op: BinOp,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    IsNull {
        operand: Box<Expr>,
        negated: bool,
    },
    InList {
        operand: Box<Expr>,
        list: Vec<Expr>,
        negated: bool,
    },
    Call {
        function: Ident,
        args: Vec<Expr>,
        filter: Option<Box<Expr>>,
    },
    /// Stands in for a sub-expression that was already reported as broken.
    Error,
}
