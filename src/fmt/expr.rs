//! Prints expressions on one line with the fewest parentheses that parse
//! back to the same tree (the binding powers of `ops`, which the parser
//! resolves precedence with).

use super::literal;
use crate::ops::{ATOM, COMPARISON, NEG, NOT};
use crate::syntax::ast::{Expr, ExprKind, Literal};

fn power(expr: &Expr) -> u8 {
    match &expr.kind {
        ExprKind::Binary { op, .. } => op.binding(),
        ExprKind::Not { .. } => NOT,
        ExprKind::IsNull { .. } | ExprKind::InList { .. } => COMPARISON,
        ExprKind::Neg { .. } => NEG,
        ExprKind::Name { .. }
        | ExprKind::Literal { .. }
        | ExprKind::Call { .. }
        | ExprKind::Error => ATOM,
    }
}

/// Prints `expr`; `text` is the file it was parsed from (literals keep
/// their spelling, normalised).
pub fn print(expr: &Expr, text: &str, out: &mut String) {
    match &expr.kind {
        ExprKind::Name { name } => out.push_str(name),
        ExprKind::Literal { literal: lit } => print_literal(lit, expr, text, out),
        ExprKind::Neg { operand } => {
            out.push('-');
            // `--x` would read as two operators too; `-(-x)` says what it means.
            let wrap = power(operand) < NEG || starts_with_minus(operand, text);
            operand_in(operand, wrap, text, out);
        }
        ExprKind::Not { operand } => {
            out.push_str("not ");
            // `not a = b` means `not (a = b)`, but reads as `(not a) = b`:
            // an operator under `not` always gets its parentheses.
            operand_in(operand, power(operand) < NEG, text, out);
        }
        ExprKind::Binary { op, left, right } => {
            let p = op.binding();
            // Left-associative: the right operand needs parentheses at the
            // same binding power, the left one only below it.
            operand_in(left, power(left) < p, text, out);
            out.push(' ');
            out.push_str(op.symbol());
            out.push(' ');
            operand_in(right, power(right) <= p, text, out);
        }
        ExprKind::IsNull { operand, negated } => {
            operand_in(operand, power(operand) < COMPARISON, text, out);
            out.push_str(if *negated { " is not null" } else { " is null" });
        }
        ExprKind::InList {
            operand,
            list,
            negated,
        } => {
            operand_in(operand, power(operand) < COMPARISON, text, out);
            out.push_str(if *negated { " not in (" } else { " in (" });
            for (i, item) in list.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                print(item, text, out);
            }
            out.push(')');
        }
        ExprKind::Call {
            function,
            args,
            filter,
        } => {
            out.push_str(&function.name);
            out.push('(');
            for (i, arg) in args.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                print(arg, text, out);
            }
            if let Some(filter) = filter {
                if !args.is_empty() {
                    out.push(' ');
                }
                out.push_str("where ");
                print(filter, text, out);
            }
            out.push(')');
        }
        // Files with errors are never formatted; keep the text if one slips by.
        ExprKind::Error => out.push_str(&text[expr.span.range()]),
    }
}

fn operand_in(expr: &Expr, parens: bool, text: &str, out: &mut String) {
    if parens {
        out.push('(');
        print(expr, text, out);
        out.push(')');
    } else {
        print(expr, text, out);
    }
}

fn starts_with_minus(expr: &Expr, text: &str) -> bool {
    match &expr.kind {
        ExprKind::Neg { .. } => true,
        ExprKind::Literal { .. } => text[expr.span.range()].starts_with('-'),
        _ => false,
    }
}

fn print_literal(lit: &Literal, expr: &Expr, text: &str, out: &mut String) {
    match lit {
        Literal::Str { value } => literal::string(value, out),
        Literal::Date { value } => out.push_str(&value.to_string()),
        Literal::Bool { value } => out.push_str(if *value { "true" } else { "false" }),
        Literal::Null => out.push_str("null"),
        Literal::Number { .. } | Literal::Quantity { .. } => {
            out.push_str(&literal::quantity(&text[expr.span.range()]));
        }
    }
}
