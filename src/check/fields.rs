//! The fields of one block checked against `schema` (unknown, forbidden,
//! repeated, missing), and typed access to them.

use std::collections::HashMap;

use crate::diag::{did_you_mean, Code, Diagnostic};
use crate::keyword::Keyword;
use crate::schema::{Block, Key, ValueKind};
use crate::source::Span;
use crate::syntax::ast::{DateLit, Field, Ident, ItemKind, Quantity, Str, Value};

/// The fields of one item (or target block), validated: no field twice
/// unless repeatable, none that the kind does not take.
pub struct Fields<'a> {
    owner: Block,
    /// The span to point at when a required field is missing.
    anchor: Span,
    what: String,
    by_key: HashMap<Key, Vec<&'a Field>>,
}

impl<'a> Fields<'a> {
    pub fn collect(
        owner: Block,
        anchor: Span,
        what: String,
        fields: &'a [Field],
        diags: &mut Vec<Diagnostic>,
    ) -> Fields<'a> {
        let mut by_key: HashMap<Key, Vec<&'a Field>> = HashMap::new();
        for field in fields {
            if matches!(field.value, Value::Unknown) {
                continue; // already reported by the parser
            }
            let key = field.key.name.as_str();
            let Some(spec) = owner.field_named(key) else {
                let mut d = Diagnostic::new(
                    Code::FieldNotAllowed,
                    field.key.span,
                    format!("field `{key}` is not allowed on {}", owner.describe()),
                )
                .label("not allowed here");
                if key == Key::Outcome.name() && owner == Block::Item(ItemKind::Kpi) {
                    d = d.hint(
                        "an outcome is the customer's; only CPIs have one. Is this metric a CPI?",
                    );
                } else {
                    d = d.hint_opt(did_you_mean(key, owner.fields().map(|f| f.key.name())));
                }
                diags.push(d);
                continue;
            };
            if !fits(spec.value, &field.value) {
                // A key that two grammar rules parse (`expect` of a link
                // is a word, of a metric a range) with the other's value.
                diags.push(
                    Diagnostic::new(
                        Code::InvalidLiteral,
                        field.value_span(),
                        format!(
                            "`{key}` of {} takes {}",
                            owner.describe(),
                            spec.value.describe()
                        ),
                    )
                    .label("another kind of value"),
                );
                continue;
            }
            let entry = by_key.entry(spec.key).or_default();
            if let (false, Some(first)) = (spec.repeatable, entry.first()) {
                diags.push(
                    Diagnostic::new(
                        Code::DuplicateField,
                        field.key.span,
                        format!("field `{key}` is given more than once"),
                    )
                    .label("given again here")
                    .secondary(first.key.span, "first given here")
                    .hint("keep one of them"),
                );
                continue;
            }
            entry.push(field);
        }
        Fields {
            owner,
            anchor,
            what,
            by_key,
        }
    }

    pub fn get(&self, key: Key) -> Option<&'a Field> {
        self.by_key.get(&key).and_then(|v| v.first().copied())
    }

    pub fn all(&self, key: Key) -> &[&'a Field] {
        self.by_key.get(&key).map_or(&[], Vec::as_slice)
    }

    pub fn has(&self, key: Key) -> bool {
        self.by_key.contains_key(&key)
    }

    /// Reports a missing required field.
    pub fn missing(&self, key: Key, diags: &mut Vec<Diagnostic>, hint: Option<String>) {
        diags.push(
            Diagnostic::new(
                Code::MissingField,
                self.anchor,
                format!("{} is missing the required field `{key}`", self.what),
            )
            .label(format!("{} needs `{key}`", self.owner.describe()))
            .hint_opt(hint),
        );
    }

    /// Reports, in one diagnostic, every field the schema requires of this
    /// block that is missing.
    pub fn require(&self, diags: &mut Vec<Diagnostic>, hint: Option<String>) {
        let missing: Vec<Key> = self
            .owner
            .fields()
            .filter(|f| f.required && !self.has(f.key))
            .map(|f| f.key)
            .collect();
        match missing.as_slice() {
            [] => {}
            [one] => self.missing(*one, diags, hint),
            [init @ .., last] => {
                let init: Vec<String> = init.iter().map(|k| format!("`{k}`")).collect();
                diags.push(
                    Diagnostic::new(
                        Code::MissingField,
                        self.anchor,
                        format!(
                            "{} is missing the required fields {} and `{last}`",
                            self.what,
                            init.join(", ")
                        ),
                    )
                    .label(format!("{} needs these fields", self.owner.describe()))
                    .hint_opt(hint),
                )
            }
        }
    }

    pub fn string(&self, key: Key) -> Option<&'a Str> {
        match &self.get(key)?.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn word(&self, key: Key) -> Option<&'a Ident> {
        match &self.get(key)?.value {
            Value::Word(w) => Some(w),
            _ => None,
        }
    }

    pub fn date(&self, key: Key) -> Option<&'a DateLit> {
        match &self.get(key)?.value {
            Value::Date(d) => Some(d),
            _ => None,
        }
    }

    pub fn quantity(&self, key: Key) -> Option<&'a Quantity> {
        match &self.get(key)?.value {
            Value::Quantity(q) => Some(q),
            _ => None,
        }
    }

    /// An enumerated value such as `direction: higher`, reported if unknown.
    pub fn keyword<T: Keyword>(&self, key: Key, diags: &mut Vec<Diagnostic>) -> Option<T> {
        let word = self.word(key)?;
        keyword(word, key.name(), diags)
    }
}

/// Whether a field's value has the shape its schema row says, where the
/// grammar allows another (a key shared by two rules).
fn fits(kind: ValueKind, value: &Value) -> bool {
    match kind {
        ValueKind::Range => matches!(value, Value::Range { .. }),
        ValueKind::Keyword(_) => matches!(value, Value::Word(_)),
        _ => true,
    }
}

/// Looks a word up among the allowed values of an enumerated field.
pub fn keyword<T: Keyword>(word: &Ident, what: &str, diags: &mut Vec<Diagnostic>) -> Option<T> {
    if let Some(value) = T::parse(&word.name) {
        return Some(value);
    }
    let names: Vec<String> = T::NAMES.iter().map(|n| format!("`{n}`")).collect();
    diags.push(
        Diagnostic::new(
            Code::InvalidKeyword,
            word.span,
            format!("`{}` is not a valid {what}", word.name),
        )
        .label(format!("expected one of {}", names.join(", ")))
        .hint_opt(did_you_mean(&word.name, T::NAMES.iter().copied())),
    );
    None
}
