//! Completion from the text before the cursor: names after `owner:`,
//! `source:`, `assignments:`, `guardrails:`, `tests:` and `experiment:` and
//! in link headers, columns and functions in expressions,
//! units and keyword values after their keys, field names at the start of
//! a line inside an item, item keywords at the top level.

use lsp_types::{CompletionItem, CompletionItemKind};

use super::symbols::find_item;
use crate::schema::{Block, Refers, ValueKind, BLOCKS};
use crate::source::{FileId, SourceDb};
use crate::syntax::ast::{ItemKind, Value};
use crate::syntax::Ast;

const UNITS: &[&str] = &[
    "s", "min", "h", "d", "wk", "%", "1", "count", "USD", "EUR", "GBP", "{items}",
];
fn item(label: &str, kind: CompletionItemKind, detail: Option<String>) -> CompletionItem {
    CompletionItem {
        label: label.to_string(),
        kind: Some(kind),
        detail,
        ..CompletionItem::default()
    }
}

/// The blocks open at `offset`: each block's header words (`cpi x`,
/// `target h1`, `columns`), outermost first. Strings and comments skipped.
fn open_blocks(text: &str) -> Vec<String> {
    let mut stack = Vec::new();
    let mut header_start = 0;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i = crate::syntax::literals::string_end(text, i);
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                i = text[i..].find('\n').map_or(bytes.len(), |n| i + n);
                continue;
            }
            b'{' => {
                // A unit such as `{options}` or `{a//b}`: not a block, and
                // what it holds is neither a comment nor a string.
                if let Some(end) = crate::syntax::literals::unit_annotation_end(text, i) {
                    i = end;
                    continue;
                }
                // The header is the last line's words before the brace.
                let header = text[header_start..i]
                    .rsplit(['\n', '}'])
                    .next()
                    .unwrap_or("")
                    .trim();
                let first = header.split_whitespace().next().unwrap_or("");
                let is_block = matches!(
                    first,
                    "team"
                        | "source"
                        | "cpi"
                        | "kpi"
                        | "link"
                        | "experiment"
                        | "target"
                        | "columns"
                );
                stack.push(is_block.then(|| header.to_string()));
                header_start = i + 1;
            }
            b'}' => {
                stack.pop();
                header_start = i + 1;
            }
            b'\n' => {}
            _ => {}
        }
        i += 1;
    }
    stack.into_iter().flatten().collect()
}

pub fn items(ast: &Ast, db: &SourceDb, file: FileId, offset: usize) -> Vec<CompletionItem> {
    let text = &db.get(file).text;
    let offset = offset.min(text.len());
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line = &text[line_start..offset];
    let blocks = open_blocks(&text[..offset]);
    let names = |kind: ItemKind| -> Vec<CompletionItem> {
        ast.files
            .iter()
            .flat_map(|(_, f)| &f.items)
            .filter(|i| i.kind == kind || (kind == ItemKind::Cpi && i.kind == ItemKind::Kpi))
            .map(|i| {
                item(
                    &i.name.name,
                    CompletionItemKind::REFERENCE,
                    Some(i.kind.name().to_string()),
                )
            })
            .collect()
    };
    let trimmed = line.trim_start();
    // `link a -> b`: metric names.
    if trimmed.starts_with("link ") && !trimmed.contains('{') {
        return names(ItemKind::Cpi);
    }
    // The innermost block the cursor is in, as the schema knows it.
    let block = blocks
        .last()
        .and_then(|b| b.split_whitespace().next())
        .and_then(Block::parse);
    if let Some((key, _value)) = trimmed.split_once(':') {
        let key = key.trim();
        let spec = block
            .and_then(|b| b.field_named(key))
            .or_else(|| BLOCKS.iter().find_map(|b| b.field_named(key)));
        return match spec.map(|s| s.value) {
            Some(ValueKind::Name(Refers::Team)) => names(ItemKind::Team),
            Some(ValueKind::Name(Refers::Source)) => names(ItemKind::Source),
            Some(ValueKind::Name(Refers::Column) | ValueKind::Columns | ValueKind::UnitColumn) => {
                columns(ast, &blocks)
            }
            // `tests: a -> b` names a link by its two metrics.
            Some(ValueKind::Metrics | ValueKind::LinkRef) => names(ItemKind::Cpi),
            Some(
                ValueKind::TextOrName(Refers::Experiment) | ValueKind::Name(Refers::Experiment),
            ) => names(ItemKind::Experiment),
            Some(ValueKind::Expr) => {
                let mut out = columns(ast, &blocks);
                out.extend(
                    crate::check::functions().map(|f| item(f, CompletionItemKind::FUNCTION, None)),
                );
                out.push(item("where", CompletionItemKind::KEYWORD, None));
                // A derived measure reads other metrics.
                if key == "measure" {
                    out.extend(names(ItemKind::Cpi));
                }
                out
            }
            Some(
                ValueKind::Keyword(words) | ValueKind::Evidence(words) | ValueKind::Window(words),
            ) => words
                .iter()
                .map(|v| item(v, CompletionItemKind::ENUM_MEMBER, None))
                .collect(),
            Some(ValueKind::Unit) => UNITS
                .iter()
                .map(|v| item(v, CompletionItemKind::ENUM_MEMBER, None))
                .collect(),
            _ => Vec::new(),
        };
    }
    if trimmed.contains(char::is_whitespace) {
        return Vec::new();
    }
    match (blocks.last(), block) {
        (None, _) => ItemKind::NAMES
            .iter()
            .map(|k| item(k, CompletionItemKind::KEYWORD, None))
            .collect(),
        (Some(_), Some(block)) => block
            .fields()
            .map(|f| CompletionItem {
                insert_text: Some(if f.value.is_block() {
                    format!("{} {{\n}}", f.key)
                } else {
                    format!("{}: ", f.key)
                }),
                ..item(
                    f.key.name(),
                    CompletionItemKind::FIELD,
                    Some(f.doc.to_string()),
                )
            })
            .collect(),
        (Some(_), None) => Vec::new(),
    }
}

/// The columns of the source of the item the cursor is in.
fn columns(ast: &Ast, blocks: &[String]) -> Vec<CompletionItem> {
    let Some(header) = blocks.first() else {
        return Vec::new();
    };
    let mut words = header.split_whitespace();
    let (Some(kind), Some(name)) = (words.next(), words.next()) else {
        return Vec::new();
    };
    let source = if kind == "source" {
        Some(name.to_string())
    } else {
        find_item(ast, name).and_then(|(_, item)| {
            item.fields
                .iter()
                .find_map(|f| match (&f.value, f.key.name.as_str()) {
                    // An experiment's columns are its assignments'.
                    (Value::Word(w), "source" | "assignments") => Some(w.name.clone()),
                    _ => None,
                })
        })
    };
    let Some((_, source)) = source.and_then(|s| find_item(ast, &s)) else {
        return Vec::new();
    };
    source
        .fields
        .iter()
        .flat_map(|f| match &f.value {
            Value::Columns { columns } => columns.as_slice(),
            _ => &[],
        })
        .map(|c| {
            item(
                &c.name.name,
                CompletionItemKind::FIELD,
                Some(c.ty.name.clone()),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{items, open_blocks};
    use crate::source::SourceDb;

    /// The labels completed where `|` stands in `text`.
    fn labels_at(text: &str) -> Vec<String> {
        let offset = text.find('|').expect("a cursor");
        let text = text.replacen('|', "", 1);
        let mut db = SourceDb::new();
        db.add("a.cpi", text.as_str());
        let (ast, _) = crate::syntax::parse(&db);
        let (file, _) = db.files().next().expect("a file");
        items(&ast, &db, file, offset)
            .into_iter()
            .map(|i| i.label)
            .collect()
    }

    const PROJECT: &str = "team ops { name: \"O\" }\nsource assignments { table: \"a\" time: at columns { customer_id: int  at: date  arm: text } }\ncpi wait { unit: s }\nkpi conversion { unit: % }\nexperiment fast_lane { title: \"F\" }\n";

    #[test]
    fn an_experiment_completes_its_names_and_columns() {
        let at = |body: &str| labels_at(&format!("{PROJECT}experiment e {{\n  {body}\n}}\n"));
        assert!(at("tests: |").contains(&"wait".to_string()));
        assert!(at("guardrails: |").contains(&"conversion".to_string()));
        assert_eq!(at("assignments: |"), ["assignments"]);
        assert_eq!(
            at("assignments: assignments\n  unit: |customer_id"),
            ["customer_id", "at", "arm"]
        );
        let fields = at("|");
        for key in [
            "tests",
            "assignments",
            "unit",
            "variant",
            "control",
            "split",
            "from",
            "until",
        ] {
            assert!(fields.contains(&key.to_string()), "{key} in {fields:?}");
        }
        let link = labels_at(&format!(
            "{PROJECT}link wait -> conversion {{\n  experiment: |\n}}\n"
        ));
        assert_eq!(link, ["fast_lane"]);
    }

    #[test]
    fn open_blocks_are_found_outside_strings_and_units() {
        let text =
            "team a { name: \"{ not\" }\ncpi x {\n  unit: {options}\n  target h {\n    range: 1";
        assert_eq!(open_blocks(text), ["cpi x", "target h"]);
    }

    #[test]
    fn a_unit_annotation_holds_no_comment_and_no_string() {
        // `//` and `"` inside `{...}` are annotation text: the closing
        // brace of the annotation, and then of `cpi x`, still count.
        for unit in ["{a//b}", "{a\"b}"] {
            let text = format!("cpi x {{\n  unit: {unit}\n  target {{ range: 1 {unit} .. 2 {unit} }}\n}}\nkpi k {{\n  ");
            assert_eq!(open_blocks(&text), ["kpi k"], "{unit}");
        }
    }
}
