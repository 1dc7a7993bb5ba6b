//! `cpic graph`: the link graph as Graphviz DOT, Mermaid or JSON. Nodes are
//! the metrics (title and unit), edges the links (status, lag and the
//! experiments that test them) and, drawn apart, what each derived metric
//! is computed from (an input, or its value some periods earlier:
//! `prior`).

use serde::Serialize;

use crate::model::{Expect, Link, LinkStatus, Measure, Metric, MetricKind, Model, Tier};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum GraphFormat {
    Dot,
    Mermaid,
    Json,
}

/// The graph in `format`, ending with a line break.
pub fn render(model: &Model, format: GraphFormat) -> String {
    match format {
        GraphFormat::Dot => dot(model),
        GraphFormat::Mermaid => mermaid(model),
        GraphFormat::Json => json(model),
    }
}

fn node_label(metric: &Metric) -> String {
    format!("{} ({})", metric.title, metric.unit)
}

fn edge_label(model: &Model, link: &Link) -> String {
    let mut label = format!(
        "{}, {}",
        link.status.name(),
        crate::words::lag(link.lag, link.grain)
    );
    if link.expect == Expect::Worsens {
        label.push_str(", worsens");
    }
    for experiment in experiments_of(model, link) {
        label.push_str(&format!(", experiment {experiment}"));
    }
    label
}

/// What a derived metric reads: (input, periods earlier), each once, in
/// order of first use; nothing for a source metric.
fn inputs_of(metric: &Metric) -> Vec<(&str, i64)> {
    match &metric.measure {
        Measure::Derived { expr, .. } => expr.reads(),
        Measure::Source(_) => Vec::new(),
    }
}

/// The label of an input edge: "input", "input, 52 weeks earlier".
fn input_label(metric: &Metric, periods: i64) -> String {
    match periods {
        0 => "input".to_string(),
        n => format!("input, {} earlier", crate::words::periods(n, metric.grain)),
    }
}

/// The experiments that test `link`, by name.
fn experiments_of<'m>(model: &'m Model, link: &'m Link) -> Vec<&'m str> {
    model
        .experiments_testing(link)
        .map(|e| e.name.as_str())
        .collect()
}

// ------------------------------------------------------------------ DOT

/// A DOT double-quoted string: `"` and `\` escaped, line breaks as `\n`.
fn dot_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn dot(model: &Model) -> String {
    let mut out = format!("digraph {} {{\n", dot_string(&model.project.name));
    out.push_str("  rankdir=LR;\n  node [fontname=\"sans-serif\"];\n  edge [fontname=\"sans-serif\", fontsize=10];\n");
    for metric in &model.metrics {
        let shape = match metric.kind {
            MetricKind::Cpi => "box",
            MetricKind::Kpi => "ellipse",
        };
        let core = if metric.tier == Some(Tier::Core) {
            ", peripheries=2"
        } else {
            ""
        };
        out.push_str(&format!(
            "  {} [label={}, shape={shape}{core}];\n",
            dot_string(&metric.name),
            dot_string(&format!("{}\n({})", metric.title, metric.unit)),
        ));
    }
    for link in &model.links {
        let style = match link.status {
            LinkStatus::Hypothesized => "dashed",
            LinkStatus::Testing => "bold",
            LinkStatus::Confirmed => "solid",
            LinkStatus::Refuted => "dotted",
        };
        out.push_str(&format!(
            "  {} -> {} [label={}, style={style}];\n",
            dot_string(&link.from),
            dot_string(&link.to),
            dot_string(&edge_label(model, link)),
        ));
    }
    for metric in &model.metrics {
        for (input, periods) in inputs_of(metric) {
            out.push_str(&format!(
                "  {} -> {} [label={}, color=\"gray50\", fontcolor=\"gray50\", arrowhead=onormal];\n",
                dot_string(input),
                dot_string(&metric.name),
                dot_string(&input_label(metric, periods)),
            ));
        }
    }
    out.push_str("}\n");
    out
}

// ------------------------------------------------------------------ Mermaid

/// Text inside a Mermaid `"..."` label: the characters Mermaid reads as
/// syntax or HTML become its `#...;` entity codes; line breaks become spaces.
fn mermaid_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '#' => out.push_str("#35;"),
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '&' => out.push_str("#amp;"),
            '|' => out.push_str("#124;"),
            '`' => out.push_str("#96;"),
            '\n' | '\r' | '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Node ids get a prefix: a metric named `end` or `graph` would otherwise
/// be read as a Mermaid keyword.
fn mermaid_id(name: &str) -> String {
    format!("m_{name}")
}

fn mermaid(model: &Model) -> String {
    let mut out = String::from("flowchart LR\n");
    for metric in &model.metrics {
        let (open, close) = match metric.kind {
            MetricKind::Cpi => ("[\"", "\"]"),
            MetricKind::Kpi => ("([\"", "\"])"),
        };
        out.push_str(&format!(
            "  {}{open}{}{close}\n",
            mermaid_id(&metric.name),
            mermaid_text(&node_label(metric))
        ));
    }
    for link in &model.links {
        let arrow = match link.status {
            LinkStatus::Hypothesized | LinkStatus::Refuted => "-.->",
            LinkStatus::Testing => "-->",
            LinkStatus::Confirmed => "==>",
        };
        out.push_str(&format!(
            "  {} {arrow}|\"{}\"| {}\n",
            mermaid_id(&link.from),
            mermaid_text(&edge_label(model, link)),
            mermaid_id(&link.to)
        ));
    }
    for metric in &model.metrics {
        for (input, periods) in inputs_of(metric) {
            out.push_str(&format!(
                "  {} --o|\"{}\"| {}\n",
                mermaid_id(input),
                mermaid_text(&input_label(metric, periods)),
                mermaid_id(&metric.name)
            ));
        }
    }
    for (class, kind) in [("cpi", MetricKind::Cpi), ("kpi", MetricKind::Kpi)] {
        let ids: Vec<String> = model
            .metrics
            .iter()
            .filter(|m| m.kind == kind)
            .map(|m| mermaid_id(&m.name))
            .collect();
        if !ids.is_empty() {
            out.push_str(&format!("  class {} {class}\n", ids.join(",")));
        }
    }
    out.push_str("  classDef cpi fill:#e8f1fb,stroke:#1f5fa8\n");
    out.push_str("  classDef kpi fill:#fdf0e6,stroke:#a8561f\n");
    out
}

// ------------------------------------------------------------------ JSON

#[derive(Serialize)]
struct GraphJson<'a> {
    schema: &'static str,
    project: &'a str,
    nodes: Vec<NodeJson<'a>>,
    edges: Vec<EdgeJson<'a>>,
}

#[derive(Serialize)]
struct NodeJson<'a> {
    name: &'a str,
    kind: &'static str,
    title: &'a str,
    unit: String,
    owner: &'a str,
    direction: crate::model::Direction,
    tier: Option<Tier>,
    /// What a derived metric is computed from.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    inputs: Vec<InputJson<'a>>,
}

#[derive(Serialize)]
struct InputJson<'a> {
    metric: &'a str,
    /// How many periods earlier it is read (`prior`); 0 for the same one.
    periods_before: i64,
}

#[derive(Serialize)]
struct EdgeJson<'a> {
    from: &'a str,
    to: &'a str,
    status: &'static str,
    expect: Expect,
    /// In periods of `grain`.
    lag: i64,
    grain: &'static str,
    hypothesis: Option<&'a str>,
    /// The experiments that test it.
    experiments: Vec<&'a str>,
}

fn json(model: &Model) -> String {
    let graph = GraphJson {
        schema: "cpic-graph/1",
        project: &model.project.name,
        nodes: model
            .metrics
            .iter()
            .map(|m| NodeJson {
                name: &m.name,
                kind: m.kind.name(),
                title: &m.title,
                unit: m.unit.to_string(),
                owner: &m.owner,
                direction: m.direction,
                tier: m.tier,
                inputs: inputs_of(m)
                    .into_iter()
                    .map(|(metric, periods_before)| InputJson {
                        metric,
                        periods_before,
                    })
                    .collect(),
            })
            .collect(),
        edges: model
            .links
            .iter()
            .map(|l| EdgeJson {
                from: &l.from,
                to: &l.to,
                status: l.status.name(),
                expect: l.expect,
                lag: l.lag,
                grain: l.grain.name(),
                hypothesis: l.hypothesis.as_deref(),
                experiments: experiments_of(model, l),
            })
            .collect(),
    };
    let mut out = serde_json::to_string_pretty(&graph).expect("the graph serialises");
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_strings_escape_quotes_and_backslashes() {
        assert_eq!(dot_string("a \"b\" \\ c\nd"), "\"a \\\"b\\\" \\\\ c\\nd\"");
    }

    #[test]
    fn mermaid_text_has_no_syntax_left() {
        let text = mermaid_text("x\"]) --> y |<b>#1&`");
        assert!(!text.contains(['"', '<', '>', '|', '`']), "{text}");
        assert_eq!(mermaid_text("#"), "#35;");
    }
}
