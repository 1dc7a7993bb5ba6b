//! The operators of the language, once: their symbols and how tightly they
//! bind. The parser resolves precedence with these binding powers and the
//! formatter prints the fewest parentheses they allow, so that
//! **`cpic fmt` never changes meaning** rests on one table, not two.
//! The AST, the model, the checker and the SQL backend share `BinOp`.

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BinOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
}

/// Binding powers, loose to tight.
pub const OR: u8 = 1;
pub const AND: u8 = 2;
/// Prefix `not`: looser than comparisons, so `not a = b` is `not (a = b)`.
pub const NOT: u8 = 3;
/// Comparisons, `is null` and `in`.
pub const COMPARISON: u8 = 4;
pub const ADDITIVE: u8 = 5;
pub const MULTIPLICATIVE: u8 = 6;
/// Prefix `-`: the tightest operator.
pub const NEG: u8 = 7;
/// Names, literals, calls and parenthesised expressions.
pub const ATOM: u8 = 8;

impl BinOp {
    pub const ALL: [BinOp; 12] = [
        BinOp::Or,
        BinOp::And,
        BinOp::Eq,
        BinOp::Ne,
        BinOp::Lt,
        BinOp::Le,
        BinOp::Gt,
        BinOp::Ge,
        BinOp::Add,
        BinOp::Sub,
        BinOp::Mul,
        BinOp::Div,
    ];

    /// As written in a spec (and in SQL, where the two agree).
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Or => "or",
            BinOp::And => "and",
            BinOp::Eq => "=",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
        }
    }

    /// The operator written `symbol`.
    pub fn parse(symbol: &str) -> Option<BinOp> {
        BinOp::ALL.into_iter().find(|op| op.symbol() == symbol)
    }

    /// How tightly it binds its operands (all infix operators are
    /// left-associative).
    pub fn binding(self) -> u8 {
        match self {
            BinOp::Or => OR,
            BinOp::And => AND,
            BinOp::Add | BinOp::Sub => ADDITIVE,
            BinOp::Mul | BinOp::Div => MULTIPLICATIVE,
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => COMPARISON,
        }
    }

    pub fn is_comparison(self) -> bool {
        self.binding() == COMPARISON
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_symbol_reads_back_as_its_operator() {
        for op in BinOp::ALL {
            assert_eq!(BinOp::parse(op.symbol()), Some(op));
        }
    }
}
