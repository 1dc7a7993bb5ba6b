//! Finds the `//` comments of a file and attaches each to the syntax node it
//! belongs with, so that the printer can move fields and keep every comment.

use std::collections::BTreeMap;
use std::ops::Range;

use crate::syntax::literals::{unit_annotation_end, WHITESPACE as SPACE};

/// One `//` comment, as written (trailing whitespace dropped).
#[derive(Clone, Debug)]
pub struct Comment {
    pub text: String,
    pub start: usize,
    /// Code precedes it on its line.
    pub trailing: bool,
    /// A blank line separates it from what comes before it.
    pub blank_before: bool,
    /// A blank line separates it from what comes after it.
    pub blank_after: bool,
}

/// Every comment of `text`, in order. Strings and block strings are skipped:
/// a `//` inside them is text, not a comment.
pub fn scan(text: &str) -> Vec<Comment> {
    let bytes = text.as_bytes();
    let mut comments = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => i = crate::syntax::literals::string_end(text, i),
            b'{' => i = unit_annotation_end(text, i).unwrap_or(i + 1),
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                let end = text[i..].find('\n').map_or(bytes.len(), |n| i + n);
                let line_start = text[..i].rfind('\n').map_or(0, |n| n + 1);
                comments.push(Comment {
                    text: text[i..end].trim_end().to_string(),
                    start: i,
                    trailing: !text[line_start..i].trim_matches(SPACE).is_empty(),
                    blank_before: blank_line_between(&text[..line_start]),
                    blank_after: blank_line_after(&text[end..]),
                });
                i = end;
            }
            _ => i += 1,
        }
    }
    comments
}

/// Whether the text before a line ends with an empty line (after the
/// previous non-blank content).
fn blank_line_between(before: &str) -> bool {
    let trimmed = before.trim_end_matches([' ', '\t', '\r', '\u{FEFF}']);
    let Some(rest) = trimmed.strip_suffix('\n') else {
        return false;
    };
    let content_end = rest.trim_end_matches(SPACE).len();
    rest[content_end..].contains('\n') && content_end > 0
}

fn blank_line_after(after: &str) -> bool {
    // `after` starts at the comment's line break.
    let content = after.len() - after.trim_start_matches(SPACE).len();
    after[..content].matches('\n').count() >= 2 && content < after.len()
}

/// A syntax node as the attacher sees it: its span and, for nodes with
/// braces, the range strictly inside them.
#[derive(Debug)]
pub struct Node {
    pub span: Range<usize>,
    pub body: Option<Range<usize>>,
    pub children: Vec<Node>,
}

/// Where comments go: indices into the comment list, keyed by the start of
/// a node's span (`leading`, `trailing`) or of its body (`header`,
/// `dangling`); every node and every body starts at a distinct offset.
#[derive(Debug, Default)]
pub struct Attached {
    pub leading: BTreeMap<usize, Vec<usize>>,
    pub trailing: BTreeMap<usize, Vec<usize>>,
    /// After the `{` of a node, on its header line.
    pub header: BTreeMap<usize, Vec<usize>>,
    /// Inside a node's braces after its last child (or at the end of the file).
    pub dangling: BTreeMap<usize, Vec<usize>>,
}

fn add(map: &mut BTreeMap<usize, Vec<usize>>, key: usize, comment: usize) {
    map.entry(key).or_default().push(comment);
}

/// Attaches every comment to a node of `root` (the whole file):
/// - inside a child's braces: recursively to that child's children;
/// - inside a node without braces (a field whose expression spans lines):
///   before that node;
/// - at the end of a line: after the node that ends on that line, or after
///   the `{` of the enclosing node;
/// - on a line of its own: before the next node, or before the closing brace.
pub fn attach(text: &str, root: &Node, comments: &[Comment]) -> Attached {
    let mut attached = Attached::default();
    for (index, comment) in comments.iter().enumerate() {
        let mut node = root;
        'descend: loop {
            for child in &node.children {
                if !child.span.contains(&comment.start) {
                    continue;
                }
                match &child.body {
                    Some(body) if body.contains(&comment.start) => {
                        node = child;
                        continue 'descend;
                    }
                    _ => {
                        add(&mut attached.leading, child.span.start, index);
                        break 'descend;
                    }
                }
            }
            let body_start = node.body.as_ref().map_or(node.span.start, |b| b.start);
            if comment.trailing {
                let line = line_start(text, comment.start);
                let before = node
                    .children
                    .iter()
                    .rev()
                    .find(|c| c.span.end <= comment.start && c.span.end > line);
                match before {
                    Some(child) => add(&mut attached.trailing, child.span.start, index),
                    None => add(&mut attached.header, body_start, index),
                }
                break;
            }
            match node.children.iter().find(|c| c.span.start > comment.start) {
                Some(child) => add(&mut attached.leading, child.span.start, index),
                None => add(&mut attached.dangling, body_start, index),
            }
            break;
        }
    }
    attached
}

fn line_start(text: &str, at: usize) -> usize {
    text[..at].rfind('\n').map_or(0, |n| n + 1)
}

/// The position just after the first `{` at or after `from` that is not in a
/// comment (item and block headers hold only words, spaces and comments).
pub fn open_brace(text: &str, from: usize) -> Option<usize> {
    let mut i = from;
    let bytes = text.as_bytes();
    while i < bytes.len() {
        match bytes[i] {
            b'{' => return Some(i + 1),
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                i = text[i..].find('\n').map_or(bytes.len(), |n| i + n);
            }
            _ => i += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_in_strings_are_text() {
        let text = "a: \"x // y\" // real\nb: \"\"\"\n // not\n\"\"\"\n// own\n";
        let found = scan(text);
        let texts: Vec<_> = found.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(texts, ["// real", "// own"]);
        assert!(found[0].trailing);
        assert!(!found[1].trailing);
    }

    #[test]
    fn blank_lines_around_comments_are_seen() {
        let text = "a\n\n// one\n\nb\n// two\nc";
        let found = scan(text);
        assert!(found[0].blank_before && found[0].blank_after);
        assert!(!found[1].blank_before && !found[1].blank_after);
    }
}
