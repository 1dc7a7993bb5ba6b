//! Pest pairs to AST nodes: one method per grammar rule. Literals are
//! decoded here (escapes, block-string indentation, numbers, dates, units),
//! and problems with them are reported as E01xx diagnostics.

use pest::iterators::Pair;

use super::ast::*;
use super::grammar::Rule;
use super::literals;
use crate::diag::{did_you_mean, Code, Diagnostic};
use crate::ops;
use crate::source::{FileId, Span};
use crate::units::{self, QuantityUnit};

/// Expressions deeper than this (counting every operator) are rejected:
/// the checker and every backend walk expressions recursively.
pub const MAX_EXPR_DEPTH: usize = 200;

pub(super) struct Builder<'d> {
    file: FileId,
    offset: usize,
    diags: &'d mut Vec<Diagnostic>,
    /// Whether the current expression was already reported as too deep.
    too_deep_reported: bool,
}

/// Where an expression field's text ends: after the expression's last
/// operand (`from`) and any closing parentheses, before trailing trivia.
fn expression_end(text: &str, from: usize) -> usize {
    let bytes = text.as_bytes();
    let (mut at, mut end) = (from, from);
    while at < bytes.len() {
        match bytes[at] {
            b')' => {
                at += 1;
                end = at;
            }
            b'/' if bytes.get(at + 1) == Some(&b'/') => {
                at = text[at..].find('\n').map_or(bytes.len(), |n| at + n);
            }
            c if c.is_ascii_whitespace() => at += 1,
            _ => break,
        }
    }
    end
}

/// An operator waiting for its operands during precedence resolution.
enum Pending {
    /// `not` (binds looser than comparisons) or unary `-` (tightest).
    Prefix {
        not: bool,
        span: Span,
    },
    Infix(BinOp),
}

impl Pending {
    fn binding(&self) -> u8 {
        match self {
            Pending::Prefix { not: true, .. } => ops::NOT,
            Pending::Prefix { not: false, .. } => ops::NEG,
            Pending::Infix(op) => op.binding(),
        }
    }
}

type P<'i> = Pair<'i, Rule>;

impl<'d> Builder<'d> {
    pub fn new(file: FileId, offset: usize, diags: &'d mut Vec<Diagnostic>) -> Builder<'d> {
        Builder {
            file,
            offset,
            diags,
            too_deep_reported: false,
        }
    }

    fn span(&self, pair: &P) -> Span {
        let s = pair.as_span();
        Span::new(self.file, self.offset + s.start(), self.offset + s.end())
    }

    fn ident(&self, pair: &P) -> Ident {
        Ident {
            name: pair.as_str().to_string(),
            span: self.span(pair),
        }
    }

    /// An identifier that names an item or a column: `[a-z][a-z0-9_]*`, not reserved.
    fn name(&mut self, pair: &P) -> Ident {
        let ident = self.ident(pair);
        if let Some(problem) = literals::name_problem(&ident.name) {
            self.diags.push(
                Diagnostic::new(
                    Code::InvalidName,
                    ident.span,
                    format!("`{}` is not a valid name: {problem}", ident.name),
                )
                .label("invalid name")
                .hint("names are lowercase letters, digits and `_`, starting with a letter, e.g. `quote_turnaround`"),
            );
        }
        ident
    }

    pub fn item(&mut self, pair: P) -> Item {
        let span = self.span(&pair);
        let pair = pair.into_inner().next().expect("item has one alternative");
        let rule = pair.as_rule();
        let mut inner = pair.into_inner();
        let keyword = inner.next().expect("item keyword");
        let kind = match (rule, keyword.as_str()) {
            (Rule::link_item, _) => ItemKind::Link,
            (_, "team") => ItemKind::Team,
            (_, "source") => ItemKind::Source,
            (_, "cpi") => ItemKind::Cpi,
            (_, "experiment") => ItemKind::Experiment,
            _ => ItemKind::Kpi,
        };
        let name = self.name(&inner.next().expect("item name"));
        let mut to = None;
        let mut fields = Vec::new();
        for part in inner {
            match part.as_rule() {
                Rule::word => to = Some(self.name(&part)),
                Rule::body => {
                    for field in part.into_inner().filter(|p| p.as_rule() == Rule::field) {
                        fields.push(self.field(field, false));
                    }
                }
                _ => {}
            }
        }
        Item {
            kind,
            name,
            to,
            fields,
            span,
        }
    }

    /// A field of an item, or of a target block when `in_target`.
    fn field(&mut self, pair: P, in_target: bool) -> Field {
        let span = self.span(&pair);
        let field_text = pair.as_str();
        let pair = pair.into_inner().next().expect("field has one alternative");
        let rule = pair.as_rule();
        let mut inner = pair.into_inner().filter(|p| p.as_rule() != Rule::colon);
        let key_pair = inner.next().expect("field key");
        let key = self.ident(&key_pair);
        let value = match rule {
            Rule::string_field | Rule::note_field => {
                Value::Str(self.text(inner.next().expect("text")))
            }
            Rule::ident_field => Value::Word(self.ident(&inner.next().expect("word"))),
            Rule::unit_field => Value::Unit(self.ident(&inner.next().expect("unit"))),
            Rule::expr_field => Value::Expr(self.expr_root(inner.next().expect("expr"))),
            Rule::evidence_field => {
                let kind = self.ident(&inner.next().expect("evidence kind"));
                let text = self.text(inner.next().expect("evidence text"));
                Value::Evidence { kind, text }
            }
            Rule::dims_field => Value::Names {
                names: inner
                    .filter(|p| p.as_rule() == Rule::word)
                    .map(|p| self.ident(&p))
                    .collect(),
            },
            Rule::lag_field | Rule::quantity_field => {
                match self.quantity_value(inner.next().expect("quantity")) {
                    Some(q) => Value::Quantity(q),
                    None => Value::Unknown,
                }
            }
            Rule::window_field => {
                let value = inner.next().expect("window");
                if value.as_rule() == Rule::word {
                    Value::Word(self.ident(&value))
                } else {
                    match self.quantity_value(value) {
                        Some(q) => Value::Quantity(q),
                        None => Value::Unknown,
                    }
                }
            }
            Rule::int_field => self.integer(inner.next().expect("number")),
            Rule::link_ref_field => {
                let mut ends = inner.filter(|p| p.as_rule() == Rule::word);
                let from = self.name(&ends.next().expect("from"));
                let to = self.name(&ends.next().expect("to"));
                Value::LinkRef { from, to }
            }
            Rule::split_field => {
                let quantities: Option<Vec<Quantity>> = inner
                    .filter(|p| p.as_rule() == Rule::quantity_value)
                    .map(|p| self.quantity_value(p))
                    .collect();
                match quantities {
                    Some(quantities) => Value::Quantities { quantities },
                    None => Value::Unknown,
                }
            }
            Rule::columns_block => Value::Columns {
                columns: inner
                    .filter(|p| p.as_rule() == Rule::column)
                    .map(|p| self.column(p))
                    .collect(),
            },
            Rule::target_block => {
                let mut name = None;
                let mut fields = Vec::new();
                for part in inner {
                    match part.as_rule() {
                        Rule::word => name = Some(self.name(&part)),
                        Rule::target_field => fields.push(self.field(part, true)),
                        _ => {}
                    }
                }
                Value::Target(Target { name, fields, span })
            }
            Rule::range_field => {
                let low = self.quantity_value(inner.next().expect("low"));
                let high = inner
                    .find(|p| p.as_rule() == Rule::quantity_value)
                    .map(|p| self.quantity_value(p));
                match (low, high) {
                    (Some(low), None) => Value::Range { low, high: None },
                    (Some(low), Some(Some(high))) => Value::Range {
                        low,
                        high: Some(high),
                    },
                    _ => Value::Unknown,
                }
            }
            Rule::date_field => {
                let pair = inner.next().expect("date");
                let span = self.span(&pair);
                match crate::date::Date::parse(pair.as_str()) {
                    Some(value) => Value::Date(DateLit { value, span }),
                    None => {
                        self.invalid_literal(
                            span,
                            format!("`{}` is not a date", pair.as_str()),
                            "dates are written `YYYY-MM-DD` and must exist in the calendar",
                        );
                        Value::Unknown
                    }
                }
            }
            _ => {
                // unknown_field
                let candidates = if in_target {
                    crate::schema::keys(crate::schema::Block::Target)
                } else {
                    crate::schema::item_keys()
                };
                self.diags.push(
                    Diagnostic::new(
                        Code::UnknownField,
                        key.span,
                        format!("unknown field `{}`", key.name),
                    )
                    .label("not a field of the language")
                    .hint_opt(did_you_mean(&key.name, candidates)),
                );
                Value::Unknown
            }
        };
        // Pest skips the trivia after an expression while it looks for one
        // more operator; the field ends where the expression does, so that
        // a comment below it is not inside it.
        let span = match &value {
            Value::Expr(expr) => {
                let start = span.range().start;
                let end = expression_end(field_text, expr.span.range().end - start);
                Span::new(self.file, start, start + end)
            }
            _ => span,
        };
        Field { key, value, span }
    }

    fn column(&mut self, pair: P) -> Column {
        let span = self.span(&pair);
        let mut inner = pair.into_inner().filter(|p| p.as_rule() != Rule::colon);
        let name = self.name(&inner.next().expect("column name"));
        let ty = self.ident(&inner.next().expect("column type"));
        Column { name, ty, span }
    }

    fn invalid_literal(&mut self, span: Span, message: String, hint: &str) {
        self.diags.push(
            Diagnostic::new(Code::InvalidLiteral, span, message)
                .label("invalid literal")
                .hint(hint),
        );
    }

    fn text(&mut self, pair: P) -> Str {
        let span = self.span(&pair);
        let block = pair.as_rule() == Rule::block_string;
        let inner = pair.into_inner().next().expect("string content");
        let raw = inner.as_str();
        let value = if block {
            literals::dedent_block(raw)
        } else {
            match literals::unescape(raw) {
                Ok(v) => v,
                Err((at, len)) => {
                    let base = self.offset + inner.as_span().start();
                    let span = Span::new(self.file, base + at, base + at + len);
                    self.invalid_literal(
                        span,
                        format!("unknown escape `{}` in a string", &raw[at..at + len]),
                        "the escapes are `\\\"`, `\\\\`, `\\n` and `\\t`",
                    );
                    String::new()
                }
            }
        };
        Str { value, span }
    }

    fn number(&mut self, pair: &P) -> Option<f64> {
        let value = literals::parse_number(pair.as_str());
        if value.is_none() {
            let span = self.span(pair);
            self.invalid_literal(
                span,
                format!(
                    "`{}` is not a number that can be represented",
                    pair.as_str()
                ),
                "numbers are finite decimals such as `42`, `3.5` or `1_000`",
            );
        }
        value
    }

    fn integer(&mut self, pair: P) -> Value {
        let span = self.span(&pair);
        match pair.as_str().replace('_', "").parse::<i64>() {
            Ok(value) => Value::Integer { value, span },
            Err(_) => {
                self.invalid_literal(
                    span,
                    format!("`{}` is not a whole number", pair.as_str()),
                    "write a whole number such as `12`",
                );
                Value::Unknown
            }
        }
    }

    fn unit(&mut self, pair: &P) -> Option<QuantityUnit> {
        match units::parse_quantity_unit(pair.as_str()) {
            Ok(unit) => Some(unit),
            Err(_) => {
                let span = self.span(pair);
                self.diags.push(
                    Diagnostic::new(Code::UnknownUnit, span, format!("unknown unit `{}`", pair.as_str()))
                        .label("not a unit")
                        .hint_opt(did_you_mean(pair.as_str(), units::SPELLINGS.iter().copied()))
                        .hint("units are `s`, `min`, `h`, `d`, `wk` (or `seconds`, ...), currency codes such as `USD`, `%`, `count` and `{things}`"),
                );
                None
            }
        }
    }

    /// `30s`, `-1`, `2 weeks`: None when the number or the unit is invalid
    /// (already reported).
    fn quantity_value(&mut self, pair: P) -> Option<Quantity> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let number = inner.next().expect("number");
        let value = self.number(&number);
        let unit = match inner.next() {
            Some(unit) => Some(self.unit(&unit)?),
            None => None,
        };
        Some(Quantity {
            value: value?,
            unit,
            span,
        })
    }

    // ------------------------------------------------------------ expressions

    fn expr_root(&mut self, pair: P) -> Expr {
        self.too_deep_reported = false;
        let (expr, _) = self.expr(pair);
        if self.too_deep_reported {
            // Reported once; checking what is left would only add noise.
            return Expr {
                kind: ExprKind::Error,
                span: expr.span,
            };
        }
        expr
    }

    /// Builds a node from its children, enforcing the depth bound.
    fn node(&mut self, kind: ExprKind, span: Span, depth: usize) -> (Expr, usize) {
        if depth <= MAX_EXPR_DEPTH {
            return (Expr { kind, span }, depth);
        }
        if !self.too_deep_reported {
            self.too_deep_reported = true;
            self.diags.push(
                Diagnostic::new(
                    Code::TooDeep,
                    span,
                    format!("expression nested more than {MAX_EXPR_DEPTH} operators deep"),
                )
                .label("too deep")
                .hint("split the expression into simpler metrics"),
            );
        }
        (
            Expr {
                kind: ExprKind::Error,
                span,
            },
            1,
        )
    }

    /// Builds an expression from its flat parse (operands, prefix, infix
    /// and postfix operators in a row) by operator precedence, without
    /// recursion, and returns it with its depth.
    fn expr(&mut self, pair: P) -> (Expr, usize) {
        let mut out: Vec<(Expr, usize)> = Vec::new();
        let mut ops: Vec<Pending> = Vec::new();
        for part in pair.into_inner() {
            let span = self.span(&part);
            match part.as_rule() {
                Rule::not_op => ops.push(Pending::Prefix { not: true, span }),
                Rule::neg_op => ops.push(Pending::Prefix { not: false, span }),
                Rule::or_op | Rule::and_op | Rule::cmp_op | Rule::add_op | Rule::mul_op => {
                    let op = BinOp::parse(part.as_str()).expect("the grammar's operators");
                    self.reduce(&mut out, &mut ops, op.binding());
                    ops.push(Pending::Infix(op));
                }
                Rule::is_null | Rule::in_list => {
                    self.reduce(&mut out, &mut ops, ops::COMPARISON);
                    let (operand, depth) =
                        out.pop().expect("a postfix operator follows an operand");
                    let span = operand.span.to(span);
                    let operand = Box::new(operand);
                    let kind = if part.as_rule() == Rule::is_null {
                        let negated = part.into_inner().any(|p| p.as_rule() == Rule::not_op);
                        ExprKind::IsNull { operand, negated }
                    } else {
                        let mut negated = false;
                        let mut list = Vec::new();
                        for item in part.into_inner() {
                            match item.as_rule() {
                                Rule::not_op => negated = true,
                                Rule::literal => {
                                    let span = self.span(&item);
                                    let kind =
                                        self.literal(item).map_or(ExprKind::Error, |literal| {
                                            ExprKind::Literal { literal }
                                        });
                                    list.push(Expr { kind, span });
                                }
                                _ => {}
                            }
                        }
                        ExprKind::InList {
                            operand,
                            list,
                            negated,
                        }
                    };
                    let node = self.node(kind, span, depth + 1);
                    out.push(node);
                }
                Rule::paren => {
                    let inner = part
                        .into_inner()
                        .find(|p| p.as_rule() == Rule::expr)
                        .expect("expr");
                    out.push(self.expr(inner));
                }
                Rule::call => out.push(self.call(part)),
                Rule::literal => {
                    let kind = self
                        .literal(part)
                        .map_or(ExprKind::Error, |literal| ExprKind::Literal { literal });
                    out.push((Expr { kind, span }, 1));
                }
                Rule::name_ref => out.push((
                    Expr {
                        kind: ExprKind::Name {
                            name: part.as_str().to_string(),
                        },
                        span,
                    },
                    1,
                )),
                rule => unreachable!("unexpected rule in expression: {rule:?}"),
            }
        }
        self.reduce(&mut out, &mut ops, 0);
        out.pop().expect("an expression has an operand")
    }

    /// Applies the pending operators that bind at least as tightly as `min`
    /// (all of them when `min` is 0).
    fn reduce(&mut self, out: &mut Vec<(Expr, usize)>, ops: &mut Vec<Pending>, min: u8) {
        while ops.last().is_some_and(|op| op.binding() >= min) {
            let op = ops.pop().expect("checked above");
            let (right, right_depth) = out.pop().expect("an operator has an operand");
            let node = match op {
                Pending::Prefix { not, span } => {
                    let span = span.to(right.span);
                    let operand = Box::new(right);
                    let kind = if not {
                        ExprKind::Not { operand }
                    } else {
                        ExprKind::Neg { operand }
                    };
                    self.node(kind, span, right_depth + 1)
                }
                Pending::Infix(op) => {
                    let (left, left_depth) = out.pop().expect("an infix operator has two operands");
                    let span = left.span.to(right.span);
                    let kind = ExprKind::Binary {
                        op,
                        left: Box::new(left),
                        right: Box::new(right),
                    };
                    self.node(kind, span, left_depth.max(right_depth) + 1)
                }
            };
            out.push(node);
        }
    }

    fn call(&mut self, pair: P) -> (Expr, usize) {
        let span = self.span(&pair);
        let mut function = None;
        let mut args = Vec::new();
        let mut filter = None;
        let mut depth = 0;
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::word => function = Some(self.ident(&part)),
                Rule::call_args => {
                    for arg in part.into_inner().filter(|p| p.as_rule() == Rule::expr) {
                        let (arg, d) = self.expr(arg);
                        depth = depth.max(d);
                        args.push(arg);
                    }
                }
                Rule::where_clause => {
                    let inner = part
                        .into_inner()
                        .find(|p| p.as_rule() == Rule::expr)
                        .expect("expr");
                    let (f, d) = self.expr(inner);
                    depth = depth.max(d);
                    filter = Some(Box::new(f));
                }
                _ => {}
            }
        }
        let expr = Expr {
            kind: ExprKind::Call {
                function: function.expect("call has a name"),
                args,
                filter,
            },
            span,
        };
        (expr, depth + 1)
    }

    fn literal(&mut self, pair: P) -> Option<Literal> {
        let pair = pair.into_inner().next().expect("literal alternative");
        match pair.as_rule() {
            Rule::string => Some(Literal::Str {
                value: self.text(pair).value,
            }),
            Rule::date => {
                let span = self.span(&pair);
                match crate::date::Date::parse(pair.as_str()) {
                    Some(value) => Some(Literal::Date { value }),
                    None => {
                        self.invalid_literal(
                            span,
                            format!("`{}` is not a date", pair.as_str()),
                            "dates are written `YYYY-MM-DD` and must exist in the calendar",
                        );
                        None
                    }
                }
            }
            Rule::quantity => self.quantity_literal(pair, false),
            Rule::neg_literal => {
                let inner = pair.into_inner().next().expect("negated literal");
                if inner.as_rule() == Rule::quantity {
                    self.quantity_literal(inner, true)
                } else {
                    self.number(&inner).map(|v| Literal::Number { value: -v })
                }
            }
            Rule::number => self.number(&pair).map(|value| Literal::Number { value }),
            Rule::boolean => Some(Literal::Bool {
                value: pair.as_str() == "true",
            }),
            _ => Some(Literal::Null),
        }
    }

    fn quantity_literal(&mut self, pair: P, negate: bool) -> Option<Literal> {
        let mut inner = pair.into_inner();
        let number = self.number(&inner.next().expect("number"));
        let unit = self.unit(&inner.next().expect("unit"));
        let value = number?;
        Some(Literal::Quantity {
            value: if negate { -value } else { value },
            unit: unit?,
        })
    }
}
