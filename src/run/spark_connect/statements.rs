//! A script cut into statements at the `;` outside quotes and comments:
//! Spark Connect runs one statement per call (`[database] init`).

/// The statements of `sql`, trimmed, empty ones left out.
pub fn split(sql: &str) -> Vec<&str> {
    let bytes = sql.as_bytes();
    let mut statements = Vec::new();
    let (mut start, mut i) = (0, 0);
    while i < bytes.len() {
        match bytes[i] {
            quote @ (b'\'' | b'"' | b'`') => {
                i += 1;
                while i < bytes.len() && bytes[i] != quote {
                    // Spark strings take backslash escapes.
                    if bytes[i] == b'\\' && quote != b'`' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i < bytes.len() && !(bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/')) {
                    i += 1;
                }
                i += 1;
            }
            b';' => {
                statements.push(&sql[start..i]);
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    statements.push(&sql[start.min(sql.len())..]);
    statements
        .into_iter()
        .map(str::trim)
        .filter(|s| !s.is_empty() && !only_comments(s))
        .collect()
}

/// Whether a piece holds comments only (a trailing `-- done`).
fn only_comments(statement: &str) -> bool {
    let mut rest = statement.trim_start();
    loop {
        if let Some(after) = rest.strip_prefix("--") {
            rest = after.split_once('\n').map_or("", |(_, r)| r).trim_start();
        } else if let Some(after) = rest.strip_prefix("/*") {
            rest = after.split_once("*/").map_or("", |(_, r)| r).trim_start();
        } else {
            return rest.is_empty();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn semicolons_inside_quotes_and_comments_do_not_cut() {
        let script = "CREATE TABLE `a;b` (x STRING);\n-- a comment; with a semicolon\nINSERT INTO `a;b` VALUES ('it\\'s; fine'), (\"x;y\");\n/* block; comment */ SELECT 1;\n-- trailing comment only\n";
        assert_eq!(
            split(script),
            vec![
                "CREATE TABLE `a;b` (x STRING)",
                "-- a comment; with a semicolon\nINSERT INTO `a;b` VALUES ('it\\'s; fine'), (\"x;y\")",
                "/* block; comment */ SELECT 1",
            ]
        );
        assert_eq!(split(""), Vec::<&str>::new());
        assert_eq!(split("SELECT 1"), vec!["SELECT 1"]);
        assert_eq!(
            split(";;SELECT 'unterminated;"),
            vec!["SELECT 'unterminated;"]
        );
    }
}
