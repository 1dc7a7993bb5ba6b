//! `cpic lsp`, driven by scripted sessions over its standard input and
//! output, as an editor would: initialize, open a file with errors, hover,
//! go to definition, find references, complete, format, shut down.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{json, Value};

struct Session {
    child: Child,
    stdin: ChildStdin,
    messages: mpsc::Receiver<Value>,
    next_id: i64,
    /// Notifications received while waiting for responses.
    notifications: Vec<Value>,
}

fn read_message(reader: &mut BufReader<ChildStdout>) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(value) = line.strip_prefix("Content-Length: ") {
            length = value.parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

impl Session {
    fn start(root: &Path) -> Session {
        let mut child = common::cpic()
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("cpic lsp starts");
        let stdin = child.stdin.take().unwrap();
        let mut reader = BufReader::new(child.stdout.take().unwrap());
        let (sender, messages) = mpsc::channel();
        std::thread::spawn(move || {
            while let Some(message) = read_message(&mut reader) {
                if sender.send(message).is_err() {
                    break;
                }
            }
        });
        let mut session = Session {
            child,
            stdin,
            messages,
            next_id: 0,
            notifications: Vec::new(),
        };
        let result = session.request(
            "initialize",
            json!({ "processId": null, "rootUri": uri(root), "capabilities": {} }),
        );
        assert!(
            result["capabilities"]["hoverProvider"]
                .as_bool()
                .unwrap_or(false),
            "{result}"
        );
        session.notify("initialized", json!({}));
        session
    }

    fn send(&mut self, message: Value) {
        let body = serde_json::to_string(&message).unwrap();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    fn receive(&mut self) -> Value {
        self.messages
            .recv_timeout(Duration::from_secs(30))
            .expect("the server answers within 30 s")
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        loop {
            let message = self.receive();
            if message["id"] == id {
                assert!(message.get("error").is_none(), "{method}: {message}");
                return message["result"].clone();
            }
            self.notifications.push(message);
        }
    }

    /// The next diagnostics published for `uri`.
    fn diagnostics_for(&mut self, uri: &str) -> Vec<Value> {
        if let Some(i) = self.notifications.iter().position(|n| {
            n["method"] == "textDocument/publishDiagnostics" && n["params"]["uri"] == uri
        }) {
            let n = self.notifications.remove(i);
            return n["params"]["diagnostics"].as_array().unwrap().clone();
        }
        loop {
            let message = self.receive();
            if message["method"] == "textDocument/publishDiagnostics"
                && message["params"]["uri"] == uri
            {
                return message["params"]["diagnostics"].as_array().unwrap().clone();
            }
            self.notifications.push(message);
        }
    }

    fn at(&mut self, method: &str, file: &str, line: u32, character: u32) -> Value {
        let mut params = json!({
            "textDocument": { "uri": file },
            "position": { "line": line, "character": character },
        });
        if method == "textDocument/references" {
            params["context"] = json!({ "includeDeclaration": true });
        }
        self.request(method, params)
    }

    fn shutdown(mut self) {
        self.request("shutdown", Value::Null);
        self.notify("exit", Value::Null);
        let status = self.child.wait().unwrap();
        assert!(status.success(), "cpic lsp exits cleanly: {status}");
    }
}

fn uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// A copy of the insurance example in a temporary folder.
fn insurance() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let from = common::root().join("examples/insurance");
    for entry in std::fs::read_dir(&from).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
        }
    }
    dir
}

/// Line and UTF-16 column of the first occurrence of `needle` (+ `shift`).
fn find(text: &str, needle: &str, shift: usize) -> (u32, u32) {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle} in the text"))
        + shift;
    let line = text[..at].matches('\n').count();
    let column = at - text[..at].rfind('\n').map_or(0, |i| i + 1);
    (line as u32, column as u32)
}

#[test]
fn diagnostics_follow_the_edits() {
    let project = insurance();
    let metrics = project.path().join("metrics.cpi");
    let metrics_uri = uri(&metrics);
    let original = std::fs::read_to_string(&metrics).unwrap();
    let mut session = Session::start(project.path());

    // An owner that does not exist: E0202 at the right place.
    let broken = original.replacen("owner: sales", "owner: salez", 1);
    session.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": metrics_uri, "languageId": "cpi", "version": 1, "text": broken } }),
    );
    let diagnostics = session.diagnostics_for(&metrics_uri);
    let unknown = diagnostics
        .iter()
        .find(|d| d["code"] == "E0202")
        .unwrap_or_else(|| panic!("E0202 in {diagnostics:#?}"));
    let (line, column) = find(&broken, "salez", 0);
    assert_eq!(
        unknown["range"]["start"],
        json!({ "line": line, "character": column })
    );
    assert_eq!(
        unknown["range"]["end"],
        json!({ "line": line, "character": column + 5 })
    );
    assert_eq!(unknown["severity"], 1);
    assert_eq!(unknown["source"], "cpic");

    // A syntax error while typing: E0102, and the rest of the file still read.
    let typing = original
        .replacen("direction: lower", "direction: ", 1)
        .replacen("grain: week", "grain: week }", 1);
    session.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": metrics_uri, "version": 2 }, "contentChanges": [{ "text": typing }] }),
    );
    let diagnostics = session.diagnostics_for(&metrics_uri);
    assert!(
        diagnostics
            .iter()
            .any(|d| d["code"].as_str().is_some_and(|c| c.starts_with("E01"))),
        "{diagnostics:#?}"
    );

    // Fixed: no errors left (warnings may stay).
    session.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": metrics_uri, "version": 3 }, "contentChanges": [{ "text": original }] }),
    );
    let diagnostics = session.diagnostics_for(&metrics_uri);
    assert!(
        diagnostics.iter().all(|d| d["severity"] != 1),
        "{diagnostics:#?}"
    );
    session.shutdown();
}

#[test]
fn hover_definition_references_completion_and_formatting() {
    let project = insurance();
    let metrics = project.path().join("metrics.cpi");
    let metrics_uri = uri(&metrics);
    let text = std::fs::read_to_string(&metrics).unwrap();
    let mut session = Session::start(project.path());
    session.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": metrics_uri, "languageId": "cpi", "version": 1, "text": text } }),
    );

    // Hover over a metric named in a link: title, kind, unit, owner, target.
    let (line, column) = find(&text, "link quote_turnaround", 6);
    let hover = session.at("textDocument/hover", &metrics_uri, line, column);
    let shown = hover["contents"]["value"].as_str().unwrap();
    for part in [
        "Time to a firm quote",
        "CPI",
        "`s`",
        "lower is better",
        "Sales",
        "`sales`",
        "target `",
    ] {
        assert!(shown.contains(part), "{part} in {shown}");
    }

    // Go to the definition of a team from `owner:`: teams.cpi.
    let (line, column) = find(&text, "owner: sales", 8);
    let definition = session.at("textDocument/definition", &metrics_uri, line, column);
    let teams = std::fs::read_to_string(project.path().join("teams.cpi")).unwrap();
    let (team_line, team_column) = find(&teams, "team sales", 5);
    assert_eq!(definition[0]["uri"], uri(&project.path().join("teams.cpi")));
    assert_eq!(
        definition[0]["range"]["start"],
        json!({ "line": team_line, "character": team_column })
    );

    // A column in a measure goes to its declaration in sources.cpi.
    let (line, column) = find(&text, "median(quoted_at", 7);
    let definition = session.at("textDocument/definition", &metrics_uri, line, column);
    assert_eq!(
        definition[0]["uri"],
        uri(&project.path().join("sources.cpi"))
    );

    // References of a metric: its definition, every link end and the
    // experiment that tests it.
    let (line, column) = find(&text, "cpi quote_turnaround", 4);
    let references = session.at("textDocument/references", &metrics_uri, line, column);
    let expected = 1
        + text.matches("link quote_turnaround").count()
        + text.matches("-> quote_turnaround").count()
        + text.matches("tests: quote_turnaround").count();
    assert_eq!(
        references.as_array().unwrap().len(),
        expected,
        "{references:#}"
    );

    // Completion after `owner: ` lists the teams; in a measure, the columns.
    let (line, _) = find(&text, "owner: sales", 0);
    let items = session.at("textDocument/completion", &metrics_uri, line, 9);
    let labels: Vec<&str> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap())
        .collect();
    assert!(
        labels.contains(&"sales") && labels.contains(&"marketing") && !labels.contains(&"quotes"),
        "{labels:?}"
    );
    let (line, column) = find(&text, "measure: median(", 16);
    let items = session.at("textDocument/completion", &metrics_uri, line, column);
    let labels: Vec<&str> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap())
        .collect();
    assert!(
        labels.contains(&"quoted_at")
            && labels.contains(&"median")
            && labels.contains(&"followed_by")
            && labels.contains(&"prior"),
        "{labels:?}"
    );

    // At the start of a field, a metric's fields, with `expect` (a range
    // here, not a link's word), and its schema documentation.
    let (line, _) = find(&text, "  title: \"Time to a firm quote\"", 0);
    let items = session.at("textDocument/completion", &metrics_uri, line, 2);
    let expect = items
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["label"] == "expect")
        .unwrap_or_else(|| panic!("`expect` is offered: {items:#}"));
    assert!(expect.to_string().contains("LOW .. HIGH"), "{expect:#}");

    // Formatting: a messy file becomes what `cpic fmt` makes of it.
    let messy = text.replacen(
        "  title: \"Time to a firm quote\"",
        "title:    \"Time to a firm quote\"",
        1,
    );
    session.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": metrics_uri, "version": 2 }, "contentChanges": [{ "text": messy }] }),
    );
    let edits = session.request(
        "textDocument/formatting",
        json!({ "textDocument": { "uri": metrics_uri }, "options": { "tabSize": 2, "insertSpaces": true } }),
    );
    assert_eq!(edits.as_array().unwrap().len(), 1, "{edits}");
    assert_eq!(edits[0]["newText"], text.as_str());
    session.shutdown();
}
