//! What every database client gives back: cells read as numbers or text,
//! and errors with their causes. A leaf: the clients (`db`, the Spark
//! Connect session and its Arrow reader) import it, it imports none of
//! them.

use crate::sql::results::ResultColumn;

/// A query result read back as numbers (doubles) and text.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Number(Option<f64>),
    Text(Option<String>),
}

impl Cell {
    pub fn number(&self) -> Option<f64> {
        match self {
            Cell::Number(n) => *n,
            Cell::Text(t) => t.as_deref().and_then(|t| t.parse().ok()),
        }
    }

    pub fn text(&self) -> Option<&str> {
        match self {
            Cell::Text(t) => t.as_deref(),
            Cell::Number(_) => None,
        }
    }
}

/// How a column is read back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnKind {
    Number,
    Text,
}

impl ColumnKind {
    /// Each column of the result `C`, in SELECT order, with how it is read
    /// back (the result's enum says which are text).
    pub fn of<C: ResultColumn>() -> Vec<(&'static str, ColumnKind)> {
        C::ALL
            .iter()
            .map(|&c| {
                let kind = if c.is_text() {
                    ColumnKind::Text
                } else {
                    ColumnKind::Number
                };
                (c.name(), kind)
            })
            .collect()
    }
}

/// An error with its causes ("db error: ERROR: relation ... does not exist").
pub fn error_chain(e: &dyn std::error::Error) -> String {
    with_causes(e.to_string(), e.source())
}

/// `text` followed by each cause it does not already say.
pub fn with_causes(mut text: String, mut source: Option<&dyn std::error::Error>) -> String {
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = s.source();
    }
    text
}
