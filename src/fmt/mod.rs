//! `cpic fmt`: one canonical layout for spec files.
//!
//! The formatter prints the syntax tree again rather than editing text:
//! fields in the order of LANGUAGE.md, one per line, strings and quantities
//! in one spelling, expressions with the fewest parentheses. Comments are
//! not in the tree, so they are found in the text and attached to the node
//! they sit on, above or at the end of (`comments`). Before it returns, the
//! formatter parses its own output and requires the same tree (fields
//! reordered, spans aside) and the same comments: a bug in the printer
//! becomes an error, never a changed spec.

mod comments;
mod expr;
mod literal;
mod print;

use std::ops::Range;

use crate::diag::{Diagnostic, Severity};
use crate::schema::Block;
use crate::source::{FileId, Span};
use crate::syntax::ast::{Field, File, Value};

/// Why a file was not formatted.
#[derive(Debug)]
pub enum FormatError {
    /// The file has syntax errors: fix them first.
    Syntax(Vec<Diagnostic>),
    /// The printed text would not read back as the same spec (a bug in the
    /// formatter, caught before anything is written).
    Unfaithful { what: &'static str },
}

/// Formats one file. Files with syntax errors are not formatted: their
/// diagnostics are returned instead.
pub fn format_file(file: FileId, text: &str) -> Result<String, FormatError> {
    let mut diags = Vec::new();
    let ast = crate::syntax::parse_text(file, text, &mut diags);
    if diags.iter().any(|d| d.severity == Severity::Error) {
        return Err(FormatError::Syntax(diags));
    }
    let found = comments::scan(text);
    let attached = comments::attach(text, &node_tree(text, &ast), &found);
    let ordered = canonical_order(&ast);
    let printer = print::Printer {
        text,
        comments: &found,
        attached: &attached,
    };
    let formatted = printer.file(&ordered);
    verify(file, &ordered, &found, &formatted)?;
    Ok(formatted)
}

/// The formatted text must say what the original said.
fn verify(
    file: FileId,
    ordered: &File,
    found: &[comments::Comment],
    formatted: &str,
) -> Result<(), FormatError> {
    let mut diags = Vec::new();
    let reparsed = crate::syntax::parse_text(file, formatted, &mut diags);
    let same_tree = !diags.iter().any(|d| d.severity == Severity::Error)
        && without_spans(&reparsed) == without_spans(ordered);
    let mut before: Vec<&str> = found.iter().map(|c| c.text.as_str()).collect();
    let after = comments::scan(formatted);
    let mut after: Vec<&str> = after.iter().map(|c| c.text.as_str()).collect();
    before.sort_unstable();
    after.sort_unstable();
    if same_tree && before == after {
        return Ok(());
    }
    Err(FormatError::Unfaithful {
        what: if same_tree {
            "its comments"
        } else {
            "its meaning"
        },
    })
}

fn without_spans(file: &File) -> serde_json::Value {
    fn strip(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Object(map) => {
                map.remove("span");
                map.values_mut().for_each(strip);
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut value = serde_json::to_value(file).unwrap_or_default();
    strip(&mut value);
    value
}

/// The position just after the `{` that opens a node at `span`.
fn body_start(text: &str, span: Span) -> usize {
    let span = span.range();
    comments::open_brace(text, span.start).unwrap_or(span.end)
}

fn body(text: &str, span: Span) -> Option<Range<usize>> {
    Some(body_start(text, span)..span.range().end.saturating_sub(1))
}

/// The shape the comment attacher walks: items, their fields, and the
/// children of `columns` and `target` blocks.
fn node_tree(text: &str, file: &File) -> comments::Node {
    let field_node = |field: &Field| {
        let children = match &field.value {
            Value::Columns { columns } => columns.iter().map(|c| leaf(c.span.range())).collect(),
            Value::Target(target) => target.fields.iter().map(|f| leaf(f.span.range())).collect(),
            _ => return leaf(field.span.range()),
        };
        comments::Node {
            span: field.span.range(),
            body: body(text, field.span),
            children,
        }
    };
    comments::Node {
        span: 0..text.len(),
        body: Some(0..text.len()),
        children: file
            .items
            .iter()
            .map(|item| comments::Node {
                span: item.span.range(),
                body: body(text, item.span),
                children: item.fields.iter().map(field_node).collect(),
            })
            .collect(),
    }
}

fn leaf(span: Range<usize>) -> comments::Node {
    comments::Node {
        span,
        body: None,
        children: Vec::new(),
    }
}

/// The file with every item's fields (and every target's) in canonical
/// order; a stable sort, so repeated fields keep their order.
fn canonical_order(file: &File) -> File {
    let sort = |fields: &mut Vec<Field>, block: Block| {
        let order = block.table();
        fields.sort_by_key(|f| {
            order
                .iter()
                .position(|spec| spec.key.name() == f.key.name)
                .unwrap_or(order.len())
        });
    };
    let mut file = file.clone();
    for item in &mut file.items {
        sort(&mut item.fields, Block::Item(item.kind));
        for field in &mut item.fields {
            if let Value::Target(target) = &mut field.value {
                sort(&mut target.fields, Block::Target);
            }
        }
    }
    file
}
