//! Runs the pest grammar over a file one item at a time, with error recovery
//! and a bound on nesting depth. Pest stays inside this module and
//! [`super::build`]; nothing else in the compiler sees a `Pair`.

use pest::Parser;

use super::ast;
use super::build::Builder;
use super::grammar::{CpiParser, Rule};
use crate::diag::{Code, Diagnostic};
use crate::source::{FileId, Span};

/// Parentheses and braces nested deeper than this are a syntax error
/// (E0103): it bounds the recursion of the parser on hostile input.
pub const MAX_NESTING: usize = 32;

/// At most this many syntax errors are reported per file; a binary file
/// would otherwise produce one per line.
const MAX_SYNTAX_ERRORS: usize = 50;

const ITEM_KEYWORDS: [&str; 6] = ["team", "source", "cpi", "kpi", "link", "experiment"];

pub fn parse_file(file: FileId, text: &str, diags: &mut Vec<Diagnostic>) -> ast::File {
    let item_starts = item_starts(text);
    let too_deep = too_deep_positions(text, &item_starts);
    let mut items = Vec::new();
    let mut errors = 0;
    let mut pos = 0;
    loop {
        pos = skip_trivia(text, pos);
        if pos >= text.len() {
            break;
        }
        let next = next_start_after(&item_starts, pos, text.len());
        let deep = too_deep.partition_point(|&d| d < pos);
        if let Some(&at) = too_deep.get(deep).filter(|&&d| d < next) {
            diags.push(
                Diagnostic::new(
                    Code::TooDeep,
                    Span::new(file, at, at + 1),
                    format!("parentheses or braces nested more than {MAX_NESTING} deep"),
                )
                .label("too deep here")
                .hint("split the expression into simpler metrics"),
            );
            pos = next;
            continue;
        }
        match parse_item(text, pos, next, &item_starts) {
            Ok(mut pairs) => {
                let pair = pairs.next().expect("a successful parse yields the item");
                let end = pos + pair.as_span().end();
                let mut builder = Builder::new(file, pos, diags);
                items.push(builder.item(pair));
                pos = end;
            }
            Err(error) => {
                errors += 1;
                let (at, diagnostic) = syntax_error(file, text, pos, &error);
                if errors <= MAX_SYNTAX_ERRORS {
                    diags.push(diagnostic);
                } else if errors == MAX_SYNTAX_ERRORS + 1 {
                    diags.push(
                        Diagnostic::new(
                            Code::Syntax,
                            Span::new(file, at, at),
                            "too many syntax errors; the rest of this file is skipped",
                        )
                        .label("skipped from here"),
                    );
                    break;
                }
                // Resume at the next item keyword that starts a line.
                pos = if at < next {
                    next
                } else {
                    next_start_after(&item_starts, at, text.len())
                };
            }
        }
    }
    ast::File { items }
}

/// At most this many times a parse is retried over a wider region when an
/// item runs past the next line that looks like an item start (a block
/// string may contain such a line).
const MAX_REGION_EXTENSIONS: usize = 16;

/// Parses the item at `pos`, giving pest only the text up to the next item
/// start: pest indexes the lines of its whole input on every call, so
/// handing it the rest of the file would make parsing quadratic.
fn parse_item<'t>(
    text: &'t str,
    pos: usize,
    next: usize,
    item_starts: &[usize],
) -> Result<pest::iterators::Pairs<'t, Rule>, Box<pest::error::Error<Rule>>> {
    let mut end = next;
    let mut extensions = 0;
    loop {
        let result = CpiParser::parse(Rule::item, &text[pos..end]).map_err(Box::new);
        match &result {
            Err(e)
                if end < text.len()
                    && extensions < MAX_REGION_EXTENSIONS
                    && error_offset(e) + pos >= end =>
            {
                end = next_start_after(item_starts, end, text.len());
                extensions += 1;
            }
            _ => return result,
        }
    }
}

fn error_offset(error: &pest::error::Error<Rule>) -> usize {
    match error.location {
        pest::error::InputLocation::Pos(p) => p,
        pest::error::InputLocation::Span((s, _)) => s,
    }
}

fn skip_trivia(text: &str, mut pos: usize) -> usize {
    let bytes = text.as_bytes();
    loop {
        while pos < bytes.len() && matches!(bytes[pos], b' ' | b'\t' | b'\r' | b'\n') {
            pos += 1;
        }
        if text[pos..].starts_with('\u{FEFF}') {
            pos += '\u{FEFF}'.len_utf8();
        } else if bytes[pos..].starts_with(b"//") {
            pos = memchr_newline(bytes, pos);
        } else {
            return pos;
        }
    }
}

fn memchr_newline(bytes: &[u8], from: usize) -> usize {
    bytes[from..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |i| from + i)
}

/// Offsets of every line whose first word is an item keyword followed by a
/// space: where parsing may resume after an error. One pass over the file.
fn item_starts(text: &str) -> Vec<usize> {
    let mut starts = Vec::new();
    let mut line_start = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start_matches([' ', '\t']);
        let at = line_start + (line.len() - trimmed.len());
        let starts_item = ITEM_KEYWORDS.iter().any(|kw| {
            trimmed.starts_with(kw)
                && trimmed[kw.len()..].starts_with([' ', '\t'])
                && trimmed[kw.len()..]
                    .trim_start_matches([' ', '\t'])
                    .starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        });
        if starts_item {
            starts.push(at);
        }
        line_start += line.len();
    }
    starts
}

/// The first item start on a later line than `pos`.
fn next_start_after(starts: &[usize], pos: usize, len: usize) -> usize {
    let i = starts.partition_point(|&s| s <= pos);
    starts.get(i).copied().unwrap_or(len)
}

/// Positions where parentheses or braces (outside strings and comments)
/// first exceed [`MAX_NESTING`]. Depth restarts at every item start, so an
/// unclosed parenthesis in one item cannot condemn the next.
fn too_deep_positions(text: &str, item_starts: &[usize]) -> Vec<usize> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut depth = 0usize;
    let mut next_start = 0;
    let mut i = 0;
    while i < bytes.len() {
        if item_starts.get(next_start) == Some(&i) {
            depth = 0;
            next_start += 1;
        }
        match bytes[i] {
            b'(' | b'{' => {
                depth += 1;
                if depth == MAX_NESTING + 1 {
                    found.push(i);
                }
            }
            b')' | b'}' => depth = depth.saturating_sub(1),
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                i = memchr_newline(bytes, i);
                continue;
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                i = bytes[i + 3..]
                    .windows(3)
                    .position(|w| w == b"\"\"\"")
                    .map_or(bytes.len(), |p| i + 3 + p + 3);
                continue;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && !matches!(bytes[i], b'"' | b'\n') {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            _ => {}
        }
        // Skip item starts that strings or comments jumped over.
        while item_starts.get(next_start).is_some_and(|&s| s < i) {
            next_start += 1;
        }
        i += 1;
    }
    found
}

/// Turns a pest error into a diagnostic that names, in words, what was
/// expected and what was found. Returns the absolute error offset too.
fn syntax_error(
    file: FileId,
    text: &str,
    offset: usize,
    error: &pest::error::Error<Rule>,
) -> (usize, Diagnostic) {
    let at = offset + error_offset(error);
    let at = at.min(text.len());
    let expected = match &error.variant {
        pest::error::ErrorVariant::ParsingError { positives, .. } => {
            let mut words: Vec<&str> = Vec::new();
            for rule in positives {
                if let Some(word) = describe(*rule) {
                    if !words.contains(&word) {
                        words.push(word);
                    }
                }
            }
            words.sort_by_key(|w| describe_order(w));
            words
        }
        pest::error::ErrorVariant::CustomError { .. } => Vec::new(),
    };
    let found = describe_found(&text[at..]);
    let message = if expected.is_empty() {
        format!("unexpected {found}")
    } else {
        format!("expected {}, found {found}", join_or(&expected))
    };
    let end = (at + token_len(&text[at..])).min(text.len());
    let diagnostic = Diagnostic::new(Code::Syntax, Span::new(file, at, end), message).label(
        if expected.is_empty() {
            "unexpected here".to_string()
        } else {
            format!("expected {}", join_or(&expected))
        },
    );
    (at, diagnostic)
}

fn join_or(words: &[&str]) -> String {
    match words {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// The human name of a grammar rule, for "expected ..." messages.
fn describe(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::item | Rule::named_item | Rule::link_item | Rule::item_kw | Rule::kw_link => {
            "an item (`team`, `source`, `cpi`, `kpi`, `link` or `experiment`)"
        }
        Rule::word => "a name",
        Rule::arrow => "`->`",
        Rule::lbrace | Rule::body => "`{`",
        Rule::rbrace => "`}`",
        Rule::colon => "`:`",
        Rule::comma => "`,`",
        Rule::lparen | Rule::paren => "`(`",
        Rule::rparen => "`)`",
        Rule::range_dots => "`..`",
        Rule::field
        | Rule::string_key
        | Rule::ident_key
        | Rule::unit_key
        | Rule::expr_key
        | Rule::evidence_key
        | Rule::dims_key
        | Rule::lag_key
        | Rule::window_key
        | Rule::int_key
        | Rule::columns_key
        | Rule::target_key
        | Rule::unknown_field
        | Rule::string_field
        | Rule::ident_field
        | Rule::unit_field
        | Rule::expr_field
        | Rule::evidence_field
        | Rule::dims_field
        | Rule::lag_field
        | Rule::window_field
        | Rule::int_field
        | Rule::columns_block
        | Rule::target_block => "a field such as `title: \"...\"`",
        Rule::target_field
        | Rule::range_field
        | Rule::date_field
        | Rule::quantity_field
        | Rule::note_field
        | Rule::range_key
        | Rule::date_key
        | Rule::quantity_key
        | Rule::note_key => {
            "a target field (`range`, `from`, `until`, `baseline`, `competitor`, `note`)"
        }
        Rule::column => "a column such as `premium: USD`",
        Rule::string | Rule::block_string => "a string",
        Rule::number | Rule::signed_number | Rule::quantity_value => {
            "a number or a quantity such as `30 s`"
        }
        Rule::date => "a date such as `2026-01-01`",
        Rule::unit_token | Rule::quantity_unit | Rule::bad_unit => {
            "a unit such as `s`, `%` or `USD`"
        }
        Rule::expr
        | Rule::call
        | Rule::literal
        | Rule::name_ref
        | Rule::neg_literal
        | Rule::quantity
        | Rule::boolean
        | Rule::null
        | Rule::not_op
        | Rule::neg_op => "an expression",
        Rule::or_op | Rule::and_op | Rule::cmp_op | Rule::add_op | Rule::mul_op => "an operator",
        Rule::is_null | Rule::kw_is => "`is`",
        Rule::in_list | Rule::kw_in => "`in`",
        Rule::where_clause | Rule::kw_where => "`where`",
        Rule::call_args => "an argument",
        _ => return None,
    })
}

/// A stable order for the alternatives of a message: punctuation last.
fn describe_order(word: &str) -> (bool, &str) {
    (word.starts_with('`'), word)
}

fn describe_found(rest: &str) -> String {
    let Some(c) = rest.chars().next() else {
        return "end of file".to_string();
    };
    if c == '"' {
        let line = rest.lines().next().unwrap_or(rest);
        let closed = line[1..]
            .replace("\\\\", "")
            .replace("\\\"", "")
            .contains('"');
        return if closed {
            "a string".to_string()
        } else {
            "an unterminated string (a `\"` is missing before the end of the line)".to_string()
        };
    }
    if c == '\n' || c == '\r' {
        return "end of line".to_string();
    }
    let token = &rest[..token_len(rest)];
    let shown: String = token.chars().take(24).collect();
    let ellipsis = if shown.len() < token.len() { "…" } else { "" };
    format!("`{}{ellipsis}`", shown.escape_debug())
}

/// Length in bytes of the token at the start of `rest` (for spans and messages).
fn token_len(rest: &str) -> usize {
    let mut chars = rest.char_indices();
    let Some((_, first)) = chars.next() else {
        return 0;
    };
    if first.is_alphanumeric() || first == '_' {
        rest.char_indices()
            .find(|(_, c)| !(c.is_alphanumeric() || *c == '_' || *c == '.'))
            .map_or(rest.len(), |(i, _)| i)
    } else if first == '"' {
        rest[1..]
            .find(['"', '\n'])
            .map_or(rest.len(), |i| (i + 2).min(rest.len()))
    } else {
        first.len_utf8()
    }
}
