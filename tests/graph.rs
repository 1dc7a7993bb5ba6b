//! `cpic graph`: every metric is a node labelled with its title and unit,
//! every link an edge with its status and lag, in DOT, Mermaid and JSON;
//! hostile titles cannot break out of their labels.

mod common;

use std::path::Path;

fn graph(path: &Path, format: &str) -> String {
    let path = path.to_string_lossy();
    let out = common::cpic_ok(["graph", "--today", common::TODAY, "--format", format, &path]);
    String::from_utf8(out.stdout).expect("UTF-8")
}

use common::examples;

#[test]
fn json_has_every_metric_and_link() {
    for example in examples() {
        let (_, compilation) = common::compile_path(&example);
        let model = compilation.model.expect("the example checks");
        let json: serde_json::Value = serde_json::from_str(&graph(&example, "json")).expect("JSON");
        assert_eq!(json["schema"], "cpic-graph/1");
        let nodes = json["nodes"].as_array().expect("nodes");
        assert_eq!(nodes.len(), model.metrics.len());
        for (node, metric) in nodes.iter().zip(&model.metrics) {
            assert_eq!(node["name"], metric.name.as_str());
            assert_eq!(node["title"], metric.title.as_str());
            assert_eq!(node["unit"], metric.unit.to_string());
            assert_eq!(node["kind"], metric.kind.name());
        }
        let edges = json["edges"].as_array().expect("edges");
        assert_eq!(edges.len(), model.links.len());
        for (edge, link) in edges.iter().zip(&model.links) {
            assert_eq!(edge["from"], link.from.as_str());
            assert_eq!(edge["to"], link.to.as_str());
            assert_eq!(edge["status"], link.status.name());
            assert_eq!(edge["lag"], link.lag);
            assert_eq!(edge["grain"], link.grain.name());
        }
    }
}

#[test]
fn dot_and_mermaid_name_every_node_and_edge() {
    let insurance = common::root().join("examples/insurance");
    let dot = graph(&insurance, "dot");
    assert!(dot.starts_with("digraph \"Acme Insurance\" {\n"), "{dot}");
    assert!(dot.contains(
        "\"quote_turnaround\" [label=\"Time to a firm quote\\n(s)\", shape=box, peripheries=2];"
    ));
    assert!(dot.contains(
        "\"quote_turnaround\" -> \"bind_rate\" [label=\"confirmed, 1 week, experiment instant_quotes\", style=solid];"
    ));
    assert!(
        dot.contains("\"payment_options\" -> \"renewal_rate\" [label=\"hypothesized, 1 quarter\"")
    );
    let mermaid = graph(&insurance, "mermaid");
    assert!(mermaid.starts_with("flowchart LR\n"));
    assert!(mermaid.contains("  m_bind_rate([\"Quote-to-policy conversion (%)\"])\n"));
    assert!(mermaid.contains(
        "  m_quote_turnaround ==>|\"confirmed, 1 week, experiment instant_quotes\"| m_bind_rate\n"
    ));
    assert!(
        mermaid.contains("  m_slow_quote_share -->|\"testing, same week\"| m_quote_turnaround\n")
    );
    // A derived metric is drawn from its inputs, `prior` with its offset.
    assert!(dot.contains(
        "\"bound_premium\" -> \"premium_growth\" [label=\"input, 52 weeks earlier\", color=\"gray50\""
    ));
    assert!(dot.contains("\"bound_quotes\" -> \"premium_per_policy\" [label=\"input\""));
    assert!(
        mermaid.contains("  m_bound_premium --o|\"input, 52 weeks earlier\"| m_premium_growth\n")
    );
    let json: serde_json::Value = serde_json::from_str(&graph(&insurance, "json")).expect("JSON");
    let growth = json["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["name"] == "premium_growth")
        .expect("the node");
    assert_eq!(
        growth["inputs"],
        serde_json::json!([
            { "metric": "bound_premium", "periods_before": 0 },
            { "metric": "bound_premium", "periods_before": 52 }
        ])
    );
}

/// Graphviz itself reads the DOT of every example and of the hostile
/// fixture (`.ci/run` installs it; elsewhere the test needs `dot` on PATH
/// or skips that part unless `CI` is set).
#[test]
fn graphviz_reads_the_dot() {
    let has_dot = std::process::Command::new("dot").arg("-V").output().is_ok();
    if !has_dot {
        assert!(std::env::var_os("CI").is_none(), "CI must install graphviz");
        eprintln!("skipped: no `dot` on PATH");
        return;
    }
    let mut projects = examples();
    projects.push(common::root().join("tests/fixtures/docs/hostile"));
    for project in projects {
        let dot = graph(&project, "dot");
        let mut child = std::process::Command::new("dot")
            .arg("-Tsvg")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("dot runs");
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(dot.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && stderr.is_empty(),
            "{}: {stderr}\n{dot}",
            project.display()
        );
        let svg = String::from_utf8_lossy(&out.stdout);
        let (_, compilation) = common::compile_path(&project);
        let model = compilation.model.expect("checks");
        let nodes = svg.matches("class=\"node\"").count();
        let edges = svg.matches("class=\"edge\"").count();
        assert_eq!(
            (nodes, edges),
            (model.metrics.len(), model.links.len() + input_edges(&model)),
            "{}",
            project.display()
        );
    }
}

/// Every Mermaid line of the hostile fixture has the shape cpic writes, with
/// exactly one quoted label and no raw quote, bracket or pipe inside it.
#[test]
fn hostile_titles_stay_inside_mermaid_labels() {
    let hostile = common::root().join("tests/fixtures/docs/hostile");
    let mermaid = graph(&hostile, "mermaid");
    let (_, compilation) = common::compile_path(&hostile);
    let model = compilation.model.expect("checks");
    let mut node_lines = 0;
    let mut edge_lines = 0;
    let mut input_lines = 0;
    for line in mermaid.lines().skip(1) {
        let line = line.trim_start();
        if line.starts_with("class ") || line.starts_with("classDef ") {
            continue;
        }
        assert_eq!(line.matches('"').count(), 2, "one quoted label: {line}");
        let label = line.split('"').nth(1).unwrap();
        assert!(!label.contains(['<', '>', '|', '`', '\n']), "{label}");
        if line.contains("--o") {
            input_lines += 1;
        } else if line.contains("-.->") || line.contains("-->") || line.contains("==>") {
            edge_lines += 1;
            let words: Vec<&str> = line.split_whitespace().collect();
            assert!(
                words[0].starts_with("m_") && words.last().unwrap().starts_with("m_"),
                "{line}"
            );
        } else {
            node_lines += 1;
            assert!(line.starts_with("m_"), "{line}");
        }
    }
    assert_eq!(
        (node_lines, edge_lines, input_lines),
        (model.metrics.len(), model.links.len(), input_edges(&model))
    );
}

#[test]
fn a_project_with_errors_has_no_graph() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.cpi"), "cpi x { unit: s }").unwrap();
    let out = common::cpic()
        .args(["graph"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
}

/// The edges from inputs to derived metrics: one per input read at one
/// offset (`x` and `prior(x, 52 weeks)` are two).
fn input_edges(model: &cpic::model::Model) -> usize {
    use cpic::model::{Measure, TExprKind};
    model
        .metrics
        .iter()
        .map(|m| {
            let Measure::Derived { expr, .. } = &m.measure else {
                return 0;
            };
            let mut reads = std::collections::BTreeSet::new();
            expr.walk(&mut |e| match &e.kind {
                TExprKind::Metric { name } => {
                    reads.insert((name.clone(), 0));
                }
                TExprKind::Prior { metric, periods } => {
                    reads.insert((metric.clone(), *periods));
                }
                _ => {}
            });
            reads.len()
        })
        .sum()
}
