//! Lays out a file: items one blank line apart, fields in the order of
//! LANGUAGE.md one per line, two spaces per level, column types and
//! end-of-line comments aligned, every comment where it belongs.

use super::comments::{Attached, Comment};
use super::{expr, literal};
use crate::syntax::ast::{Field, File, Item, ItemKind, Str, Target, Value};

pub struct Printer<'a> {
    /// The text the AST was parsed from: literals keep their spelling.
    pub text: &'a str,
    pub comments: &'a [Comment],
    pub attached: &'a Attached,
}

/// One child of a block: the comments on the lines above it, its text
/// (possibly several lines, each indented) and its end-of-line comment.
struct Line<'c> {
    leading: Vec<&'c Comment>,
    text: String,
    trailing: Option<&'c Comment>,
}

impl<'a> Printer<'a> {
    fn comments_at(
        &self,
        map: &std::collections::BTreeMap<usize, Vec<usize>>,
        key: usize,
    ) -> Vec<&'a Comment> {
        map.get(&key)
            .map(|ids| ids.iter().map(|&i| &self.comments[i]).collect())
            .unwrap_or_default()
    }

    pub fn file(&self, file: &File) -> String {
        let mut out = String::new();
        for (i, item) in file.items.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            let leading = self.comments_at(&self.attached.leading, item.span.range().start);
            for (k, comment) in leading.iter().enumerate() {
                if k > 0 && comment.blank_before {
                    out.push('\n');
                }
                out.push_str(&comment.text);
                out.push('\n');
            }
            if leading.last().is_some_and(|c| c.blank_after) {
                out.push('\n');
            }
            out.push_str(&self.item(item));
            if let Some(comment) = self.trailing(item.span.range().start).first() {
                out.push_str("  ");
                out.push_str(&comment.text);
            }
            out.push('\n');
        }
        for comment in self.comments_at(&self.attached.dangling, 0) {
            if comment.blank_before && !out.is_empty() {
                out.push('\n');
            }
            out.push_str(&comment.text);
            out.push('\n');
        }
        out
    }

    fn trailing(&self, start: usize) -> Vec<&'a Comment> {
        self.comments_at(&self.attached.trailing, start)
    }

    fn item(&self, item: &Item) -> String {
        let open = match (&item.kind, &item.to) {
            (ItemKind::Link, Some(to)) => format!("link {} -> {} {{", item.name.name, to.name),
            (kind, _) => format!("{} {} {{", kind.name(), item.name.name),
        };
        let lines = item
            .fields
            .iter()
            .map(|field| self.line(field.span.range().start, self.field(field, "  ")))
            .collect();
        let body_start = super::body_start(self.text, item.span);
        self.block(open, body_start, lines, "")
    }

    fn line(&self, start: usize, text: String) -> Line<'a> {
        let mut trailing = self.trailing(start);
        let mut leading = self.comments_at(&self.attached.leading, start);
        // Only one comment ends a line; any other stays just above it.
        let last = if trailing.is_empty() {
            None
        } else {
            Some(trailing.remove(trailing.len() - 1))
        };
        leading.extend(trailing);
        Line {
            leading,
            text,
            trailing: last,
        }
    }

    /// `open` (ending in `{`), the lines at `indent` + two spaces, and `}`.
    fn block(&self, open: String, body_start: usize, lines: Vec<Line<'a>>, indent: &str) -> String {
        let header = self.comments_at(&self.attached.header, body_start);
        let dangling = self.comments_at(&self.attached.dangling, body_start);
        if lines.is_empty() && header.is_empty() && dangling.is_empty() {
            return format!("{open}}}");
        }
        let inner = format!("{indent}  ");
        let mut out = open;
        if let Some(first) = header.first() {
            out.push_str("  ");
            out.push_str(&first.text);
        }
        out.push('\n');
        for comment in header.iter().skip(1) {
            push_comment_line(&mut out, &inner, comment);
        }
        let columns = comment_columns(&lines, inner.chars().count());
        for (line, column) in lines.iter().zip(columns) {
            for comment in &line.leading {
                push_comment_line(&mut out, &inner, comment);
            }
            out.push_str(&inner);
            out.push_str(&line.text);
            if let Some(comment) = line.trailing {
                let width = inner.chars().count() + last_line_width(&line.text);
                let pad = column.map_or(2, |c| c - width);
                out.extend(std::iter::repeat_n(' ', pad));
                out.push_str(&comment.text);
            }
            out.push('\n');
        }
        for comment in dangling {
            push_comment_line(&mut out, &inner, comment);
        }
        out.push_str(indent);
        out.push('}');
        out
    }

    /// A field's text at `indent` (the indentation of its first line).
    fn field(&self, field: &Field, indent: &str) -> String {
        let key = &field.key.name;
        let mut out = String::new();
        match &field.value {
            Value::Str(s) => {
                out.push_str(key);
                out.push_str(": ");
                self.text_value(s, indent, &mut out);
            }
            Value::Word(word) | Value::Unit(word) => {
                out.push_str(&format!("{key}: {}", word.name));
            }
            Value::Expr(e) => {
                out.push_str(key);
                out.push_str(": ");
                expr::print(e, self.text, &mut out);
            }
            Value::Evidence { kind, text } => {
                out.push_str(&format!("{key}: {} ", kind.name));
                self.text_value(text, indent, &mut out);
            }
            Value::Names { names } => {
                let names: Vec<&str> = names.iter().map(|n| n.name.as_str()).collect();
                out.push_str(&format!("{key}: {}", names.join(", ")));
            }
            Value::Quantity(q) => {
                out.push_str(&format!(
                    "{key}: {}",
                    literal::quantity(&self.text[q.span.range()])
                ));
            }
            Value::LinkRef { from, to } => {
                out.push_str(&format!("{key}: {} -> {}", from.name, to.name));
            }
            Value::Quantities { quantities } => {
                let written: Vec<String> = quantities
                    .iter()
                    .map(|q| literal::quantity(&self.text[q.span.range()]))
                    .collect();
                out.push_str(&format!("{key}: {}", written.join(" ")));
            }
            Value::Range { low, high } => {
                out.push_str(&format!(
                    "{key}: {}",
                    literal::quantity(&self.text[low.span.range()])
                ));
                if let Some(high) = high {
                    out.push_str(" .. ");
                    out.push_str(&literal::quantity(&self.text[high.span.range()]));
                }
            }
            Value::Integer { value, .. } => out.push_str(&format!("{key}: {value}")),
            Value::Date(date) => out.push_str(&format!("{key}: {}", date.value)),
            Value::Columns { columns } => {
                let width = columns
                    .iter()
                    .map(|c| c.name.name.chars().count())
                    .max()
                    .unwrap_or(0);
                let lines = columns
                    .iter()
                    .map(|c| {
                        let name = format!("{}:", c.name.name);
                        self.line(
                            c.span.range().start,
                            format!("{name:<w$} {}", c.ty.name, w = width + 1),
                        )
                    })
                    .collect();
                let open = format!("{key} {{");
                let body_start = super::body_start(self.text, field.span);
                out.push_str(&self.block(open, body_start, lines, indent));
            }
            Value::Target(target) => out.push_str(&self.target(key, target, indent)),
            // Files with errors are never formatted; keep the text if one slips by.
            Value::Unknown => out.push_str(&self.text[field.span.range()]),
        }
        out
    }

    fn target(&self, key: &str, target: &Target, indent: &str) -> String {
        let open = match &target.name {
            Some(name) => format!("{key} {} {{", name.name),
            None => format!("{key} {{"),
        };
        let inner = format!("{indent}  ");
        let lines = target
            .fields
            .iter()
            .map(|f| self.line(f.span.range().start, self.field(f, &inner)))
            .collect();
        let body_start = super::body_start(self.text, target.span);
        self.block(open, body_start, lines, indent)
    }

    /// A string as written: a `"""` block stays a block, a `"..."` string
    /// stays one line.
    fn text_value(&self, s: &Str, indent: &str, out: &mut String) {
        if self.text[s.span.range()].starts_with("\"\"\"") {
            literal::block_string(&s.value, indent, out);
        } else {
            literal::string(&s.value, out);
        }
    }
}

fn push_comment_line(out: &mut String, indent: &str, comment: &Comment) {
    out.push_str(indent);
    out.push_str(&comment.text);
    out.push('\n');
}

fn last_line_width(text: &str) -> usize {
    text.rsplit('\n').next().unwrap_or("").chars().count()
}

/// The column at which each line's end-of-line comment starts: runs of
/// consecutive one-line children with such comments share one column, two
/// spaces after the longest of them.
fn comment_columns(lines: &[Line], indent: usize) -> Vec<Option<usize>> {
    let mut columns = vec![None; lines.len()];
    let mut i = 0;
    while i < lines.len() {
        let aligned = |line: &Line| line.trailing.is_some() && !line.text.contains('\n');
        if !aligned(&lines[i]) {
            i += 1;
            continue;
        }
        let mut end = i + 1;
        while end < lines.len() && aligned(&lines[end]) && lines[end].leading.is_empty() {
            end += 1;
        }
        let widest = lines[i..end]
            .iter()
            .map(|l| l.text.chars().count())
            .max()
            .unwrap_or(0);
        for column in &mut columns[i..end] {
            *column = Some(indent + widest + 2);
        }
        i = end;
    }
    columns
}
