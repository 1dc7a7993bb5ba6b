//! Every name in the project's syntax trees, as a definition or a
//! reference of a symbol: teams, sources, metrics, experiments and
//! columns. Built from
//! the AST, so it works while other parts of the project have errors.

use crate::schema::Key;
use crate::source::{FileId, Span};
use crate::syntax::ast::{Expr, ExprKind, Field, Ident, Item, ItemKind, Value};
use crate::syntax::Ast;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Symbol {
    /// A team, source, metric or experiment (one namespace).
    Item(String),
    Column {
        source: String,
        column: String,
    },
}

#[derive(Clone, Debug)]
pub struct Occurrence {
    pub symbol: Symbol,
    pub span: Span,
    pub definition: bool,
}

pub fn occurrences(ast: &Ast) -> Vec<Occurrence> {
    let mut out = Vec::new();
    for (_, file) in &ast.files {
        for item in &file.items {
            item_occurrences(item, &mut out);
        }
    }
    out
}

fn word(item: &Item, key: Key) -> Option<&Ident> {
    item.fields
        .iter()
        .find_map(|f| match (&f.value, f.is(key)) {
            (Value::Word(w), true) => Some(w),
            _ => None,
        })
}

fn item_occurrences(item: &Item, out: &mut Vec<Occurrence>) {
    let reference = |ident: &Ident, symbol: Symbol| Occurrence {
        symbol,
        span: ident.span,
        definition: false,
    };
    if item.kind == ItemKind::Link {
        out.push(reference(&item.name, Symbol::Item(item.name.name.clone())));
        if let Some(to) = &item.to {
            out.push(reference(to, Symbol::Item(to.name.clone())));
        }
        // `experiment: NAME` (a note in quotes names nothing).
        if let Some(w) = word(item, Key::Experiment) {
            out.push(reference(w, Symbol::Item(w.name.clone())));
        }
        return;
    }
    out.push(Occurrence {
        symbol: Symbol::Item(item.name.name.clone()),
        span: item.name.span,
        definition: true,
    });
    // The source whose columns this item's column names mean.
    let source = match item.kind {
        ItemKind::Source => Some(item.name.name.clone()),
        // An experiment's columns are its assignments'.
        ItemKind::Experiment => word(item, Key::Assignments).map(|w| w.name.clone()),
        _ => word(item, Key::Source).map(|w| w.name.clone()),
    };
    let column = |name: &str| {
        source.as_ref().map(|s| Symbol::Column {
            source: s.clone(),
            column: name.to_string(),
        })
    };
    for field in &item.fields {
        field_occurrences(item, field, &column, out);
    }
}

fn field_occurrences(
    item: &Item,
    field: &Field,
    column: &dyn Fn(&str) -> Option<Symbol>,
    out: &mut Vec<Occurrence>,
) {
    let mut push = |ident: &Ident, symbol: Option<Symbol>, definition: bool| {
        if let Some(symbol) = symbol {
            out.push(Occurrence {
                symbol,
                span: ident.span,
                definition,
            });
        }
    };
    match (&field.value, field.key.name.as_str()) {
        (Value::Word(w), "owner" | "source" | "assignments") => {
            push(w, Some(Symbol::Item(w.name.clone())), false)
        }
        (Value::Word(w), "time" | "variant") => push(w, column(&w.name), false),
        (Value::Unit(w), "unit") if item.kind == ItemKind::Experiment => {
            push(w, column(&w.name), false)
        }
        (Value::Names { names }, "dimensions") => {
            for name in names {
                push(name, column(&name.name), false);
            }
        }
        (Value::Names { names }, "guardrails") => {
            for name in names {
                push(name, Some(Symbol::Item(name.name.clone())), false);
            }
        }
        (Value::LinkRef { from, to }, _) => {
            push(from, Some(Symbol::Item(from.name.clone())), false);
            push(to, Some(Symbol::Item(to.name.clone())), false);
        }
        (Value::Columns { columns }, _) if item.kind == ItemKind::Source => {
            for c in columns {
                push(&c.name, column(&c.name.name), true);
            }
        }
        (Value::Expr(expr), _) => {
            let has_source = column("x").is_some();
            expr_names(expr, &mut |name, span| {
                let symbol = if has_source {
                    column(name)
                } else {
                    Some(Symbol::Item(name.to_string()))
                };
                if let Some(symbol) = symbol {
                    out.push(Occurrence {
                        symbol,
                        span,
                        definition: false,
                    });
                }
            });
        }
        _ => {}
    }
}

fn expr_names(expr: &Expr, f: &mut dyn FnMut(&str, Span)) {
    match &expr.kind {
        ExprKind::Name { name } => f(name, expr.span),
        ExprKind::Neg { operand }
        | ExprKind::Not { operand }
        | ExprKind::IsNull { operand, .. } => expr_names(operand, f),
        ExprKind::Binary { left, right, .. } => {
            expr_names(left, f);
            expr_names(right, f);
        }
        ExprKind::InList { operand, list, .. } => {
            expr_names(operand, f);
            list.iter().for_each(|e| expr_names(e, f));
        }
        ExprKind::Call { args, filter, .. } => {
            args.iter().for_each(|e| expr_names(e, f));
            if let Some(filter) = filter {
                expr_names(filter, f);
            }
        }
        ExprKind::Literal { .. } | ExprKind::Error => {}
    }
}

/// The occurrence under byte `offset` of `file`.
pub fn at(occurrences: &[Occurrence], file: FileId, offset: usize) -> Option<&Occurrence> {
    occurrences.iter().find(|o| {
        let range = o.span.range();
        o.span.file == file && range.start <= offset && offset <= range.end
    })
}

/// The item of `ast` with this name (not a link).
pub fn find_item<'a>(ast: &'a Ast, name: &str) -> Option<(FileId, &'a Item)> {
    ast.files.iter().find_map(|(id, file)| {
        file.items
            .iter()
            .find(|i| i.kind != ItemKind::Link && i.name.name == name)
            .map(|i| (*id, i))
    })
}

#[cfg(test)]
mod tests {
    use super::{occurrences, Symbol};
    use crate::source::SourceDb;

    #[test]
    fn an_experiment_defines_its_name_and_refers_to_links_metrics_and_columns() {
        let text = "link wait -> conversion { experiment: fast_lane }\nexperiment fast_lane {\n  owner: ops\n  tests: wait -> conversion\n  guardrails: revenue\n  assignments: quote_assignments\n  unit: customer_id\n  variant: arm\n}\n";
        let mut db = SourceDb::new();
        db.add("a.cpi", text);
        let (ast, _) = crate::syntax::parse(&db);
        let found: Vec<(String, bool)> = occurrences(&ast)
            .iter()
            .map(|o| {
                let name = match &o.symbol {
                    Symbol::Item(name) => name.clone(),
                    Symbol::Column { source, column } => format!("{source}.{column}"),
                };
                (name, o.definition)
            })
            .collect();
        let has = |name: &str, definition: bool| found.contains(&(name.to_string(), definition));
        assert!(
            has("fast_lane", true) && has("fast_lane", false),
            "{found:?}"
        );
        for reference in ["wait", "conversion", "revenue", "ops", "quote_assignments"] {
            assert!(has(reference, false), "{reference} in {found:?}");
        }
        assert!(has("quote_assignments.customer_id", false), "{found:?}");
        assert!(has("quote_assignments.arm", false), "{found:?}");
    }
}
