//! The language as LANGUAGE.md defines it: precedence, literals, units and
//! their conversions, links, targets, and independence from file order.

mod common;

use cpic::model::{Measure, TExpr, TExprKind, Type};
use cpic::syntax::ast::{ExprKind, Literal, Value};
use cpic::units::{DurationUnit, Unit};

const PRELUDE: &str = r#"
team ops { name: "Ops" }
source events {
  table: "app.events"
  time: at
  columns { at: timestamp  done_at: timestamp  day: date  amount: USD  ok: bool  kind: text  n: int  wait: s  items: {items} }
}
"#;

/// Fully parenthesised form of an expression, to see its structure.
fn shape(e: &cpic::syntax::ast::Expr) -> String {
    match &e.kind {
        ExprKind::Name { name } => name.clone(),
        ExprKind::Literal { literal } => match literal {
            Literal::Number { value } => value.to_string(),
            Literal::Quantity { value, unit } => format!("{value}{unit:?}"),
            Literal::Str { value } => format!("{value:?}"),
            Literal::Date { value } => value.to_string(),
            Literal::Bool { value } => value.to_string(),
            Literal::Null => "null".into(),
        },
        ExprKind::Neg { operand } => format!("(-{})", shape(operand)),
        ExprKind::Not { operand } => format!("(not {})", shape(operand)),
        ExprKind::Binary { op, left, right } => {
            format!("({} {} {})", shape(left), op.symbol(), shape(right))
        }
        ExprKind::IsNull { operand, negated } => {
            format!(
                "({} is {}null)",
                shape(operand),
                if *negated { "not " } else { "" }
            )
        }
        ExprKind::InList {
            operand,
            list,
            negated,
        } => format!(
            "({} {}in [{}])",
            shape(operand),
            if *negated { "not " } else { "" },
            list.iter().map(shape).collect::<Vec<_>>().join(", ")
        ),
        ExprKind::Call {
            function,
            args,
            filter,
        } => format!(
            "{}({}{})",
            function.name,
            args.iter().map(shape).collect::<Vec<_>>().join(", "),
            filter
                .as_ref()
                .map_or(String::new(), |f| format!(" where {}", shape(f)))
        ),
        ExprKind::Error => "<error>".into(),
    }
}

fn parse_filter(expr: &str) -> String {
    let text = format!("kpi k {{ filter: {expr} }}");
    let (_, c) = common::compile_text(&[("a.cpi", &text)]);
    let item = &c.ast.files[0].1.items[0];
    match &item.fields[0].value {
        Value::Expr(e) => shape(e),
        other => panic!("not an expression: {other:?}"),
    }
}

#[test]
fn precedence_from_loose_to_tight() {
    assert_eq!(parse_filter("a or b and c"), "(a or (b and c))");
    assert_eq!(parse_filter("not a = b"), "(not (a = b))");
    assert_eq!(parse_filter("not a and b"), "((not a) and b)");
    assert_eq!(
        parse_filter("a + b * c > d - e / f"),
        "((a + (b * c)) > (d - (e / f)))"
    );
    assert_eq!(parse_filter("-a * b"), "((-a) * b)");
    assert_eq!(parse_filter("a - b - c"), "((a - b) - c)");
    assert_eq!(parse_filter("a / b / c"), "((a / b) / c)");
    assert_eq!(parse_filter("(a + b) * c"), "((a + b) * c)");
    assert_eq!(parse_filter("a + b is null"), "((a + b) is null)");
    assert_eq!(parse_filter("not a is not null"), "(not (a is not null))");
    assert_eq!(
        parse_filter("a not in (\"x\", \"y\") or b"),
        "((a not in [\"x\", \"y\"]) or b)"
    );
    assert_eq!(
        parse_filter("count(where a and b) > 1"),
        "(count( where (a and b)) > 1)"
    );
    assert_eq!(
        parse_filter("sum(a where b) / count()"),
        "(sum(a where b) / count())"
    );
}

#[test]
fn literals() {
    assert_eq!(parse_filter("x > 30s"), "(x > 30Unit(Duration(S)))");
    assert_eq!(parse_filter("x > 45 min"), "(x > 45Unit(Duration(Min)))");
    assert_eq!(parse_filter("x > 2.5h"), "(x > 2.5Unit(Duration(H)))");
    assert_eq!(parse_filter("x > 2 weeks"), "(x > 2Unit(Duration(Wk)))");
    assert_eq!(parse_filter("x > 12%"), "(x > 12Unit(Percent))");
    assert_eq!(
        parse_filter("x > 9.99 USD"),
        "(x > 9.99Unit(Money(\"USD\")))"
    );
    assert_eq!(
        parse_filter("x > 3 {options}"),
        "(x > 3Unit(Count(Some(\"options\"))))"
    );
    assert_eq!(parse_filter("x > 1_000"), "(x > 1000)");
    assert_eq!(parse_filter("x in (-1, 2)"), "(x in [-1, 2])");
    assert_eq!(parse_filter("d >= 2026-01-01"), "(d >= 2026-01-01)");
    assert_eq!(
        parse_filter("s = \"a \\\"b\\\" \\\\ c\\n\""),
        "(s = \"a \\\"b\\\" \\\\ c\\n\")"
    );
    assert_eq!(
        parse_filter("b = true or c = false"),
        "((b = true) or (c = false))"
    );
}

#[test]
fn fields_share_lines_and_comments_are_ignored() {
    let (_, c) = common::compile_text(&[(
        "a.cpi",
        "team a { name: \"A\" contact: \"x\" } // trailing\n// full line\nteam b {\n  name: \"B\" // the name\n}",
    )]);
    assert!(c.diagnostics.is_empty(), "{:?}", c.diagnostics);
    let model = c.model.expect("model");
    assert_eq!(model.teams.len(), 2);
    assert_eq!(model.teams[0].contact.as_deref(), Some("x"));
}

#[test]
fn block_strings_lose_their_indentation() {
    let text = format!(
        "{PRELUDE}kpi k {{\n  title: \"K\" owner: ops unit: % direction: higher grain: week source: events measure: avg(ok)\n  description: \"\"\"\n    First line.\n\n      Indented *Markdown*.\n  \"\"\"\n}}\n"
    );
    let (_, c) = common::compile_text(&[("a.cpi", &text)]);
    let model = c.model.expect("model");
    assert_eq!(
        model.metrics[0].description.as_deref(),
        Some("First line.\n\n  Indented *Markdown*.")
    );
}

fn metric_expr(extra: &str, unit: &str, measure: &str) -> TExpr {
    let text = format!(
        "{PRELUDE}kpi k {{\n  title: \"K\" owner: ops unit: {unit} direction: higher grain: week\n  {extra}\n  measure: {measure}\n}}\n"
    );
    let (db, c) = common::compile_text(&[("a.cpi", &text)]);
    assert!(
        !c.has_errors(),
        "{}",
        cpic::diag::render::human_string(&db, &c.diagnostics)
    );
    match c
        .model
        .expect("model")
        .metrics
        .into_iter()
        .next()
        .expect("metric")
        .measure
    {
        Measure::Source(cpic::model::SourceMeasure { expr, .. })
        | Measure::Derived { expr, .. } => expr,
    }
}

fn scale_of(e: &TExpr) -> Option<f64> {
    match &e.kind {
        TExprKind::Scale { factor, .. } => Some(*factor),
        _ => None,
    }
}

#[test]
fn the_checker_inserts_unit_conversions() {
    // Timestamp differences are seconds; a metric in minutes divides by 60.
    let e = metric_expr("source: events", "min", "median(done_at - at)");
    assert_eq!(scale_of(&e), Some(1.0 / 60.0));
    assert_eq!(e.ty, Type::Number(Unit::Duration(DurationUnit::Min)));
    // A ratio shown as % is multiplied by 100.
    let e = metric_expr("source: events", "%", "count(where ok) / count()");
    assert_eq!(scale_of(&e), Some(100.0));
    // avg(bool) is a ratio.
    assert_eq!(
        scale_of(&metric_expr("source: events", "%", "avg(ok)")),
        Some(100.0)
    );
    assert_eq!(
        scale_of(&metric_expr("source: events", "1", "avg(ok)")),
        None
    );
    // Seconds in weeks.
    assert_eq!(
        scale_of(&metric_expr("source: events", "wk", "sum(wait)")),
        Some(1.0 / 604_800.0)
    );
    // X / count keeps X; sum(bool) is a count; {items} and count mix.
    assert_eq!(
        metric_expr("source: events", "USD", "sum(amount) / count()").ty,
        Type::Number(Unit::Money("USD".into()))
    );
    metric_expr("source: events", "{items}", "sum(items) + sum(ok)");
    // Date differences are days.
    assert_eq!(
        scale_of(&metric_expr("source: events", "h", "avg(day - day)")),
        Some(24.0)
    );
    // Right operands are converted to the left's unit, folded into literals.
    let e = metric_expr("source: events", "s", "sum(wait) + 2 min");
    assert_eq!(e.ty, Type::Number(Unit::Duration(DurationUnit::S)));
    match &e.kind {
        TExprKind::Binary { right, .. } => {
            assert!(matches!(right.kind, TExprKind::Number { value } if value == 120.0))
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn zero_fits_every_unit() {
    metric_expr("source: events", "USD", "coalesce(sum(amount), 0)");
    metric_expr("source: events", "count", "count(where wait > 0)");
}

#[test]
fn unit_errors() {
    let cases = [
        ("USD", "sum(amount) + sum(wait)", "E0301"),
        ("count", "count(where wait > 60)", "E0302"),
        ("USD", "sum(amount) * sum(amount)", "E0303"),
        ("USD", "count() / sum(amount)", "E0303"),
        ("h", "sum(amount)", "E0305"),
        ("USD", "sum(n)", "E0305"),
        ("%", "sum(kind)", "E0304"),
        ("s", "median(at)", "E0304"),
    ];
    for (unit, measure, code) in cases {
        let text = format!(
            "{PRELUDE}kpi k {{\n  title: \"K\" owner: ops unit: {unit} direction: higher grain: week source: events\n  measure: {measure}\n}}\n"
        );
        let (_, c) = common::compile_text(&[("a.cpi", &text)]);
        assert!(
            common::codes(&c).contains(&code),
            "{measure}: expected {code}, got {:?}",
            common::codes(&c)
        );
    }
}

#[test]
fn targets_are_converted_to_the_metric_unit() {
    let text = format!(
        "{PRELUDE}kpi k {{\n  title: \"K\" owner: ops unit: s direction: lower grain: week source: events measure: median(wait)\n  target {{ range: 0.5 min .. 1 minute from: 2026-01-01 until: 2026-12-31 baseline: 2 min competitor: 45 seconds }}\n}}\n"
    );
    let (_, c) = common::compile_text(&[("a.cpi", &text)]);
    let target = &c.model.expect("model").metrics[0].targets[0];
    assert_eq!((target.low, target.high), (30.0, 60.0));
    assert_eq!(target.baseline, Some(120.0));
    assert_eq!(target.competitor, Some(45.0));
}

#[test]
fn links_lags_and_expected_signs() {
    let text = format!(
        "{PRELUDE}
cpi fast {{ title: \"F\" outcome: \"o\" owner: ops unit: s direction: lower tier: core evidence: contextual_inquiry \"v\" source: events measure: median(wait) grain: week }}
kpi weekly {{ title: \"W\" owner: ops unit: % direction: higher source: events measure: avg(ok) grain: week }}
kpi monthly {{ title: \"M\" owner: ops unit: USD direction: lower source: events measure: sum(amount) grain: month }}
link fast -> weekly {{ lag: 14 days }}
link fast -> monthly {{ lag: 1 quarter expect: worsens }}
"
    );
    let (db, c) = common::compile_text(&[("a.cpi", &text)]);
    assert!(
        !c.has_errors(),
        "{}",
        cpic::diag::render::human_string(&db, &c.diagnostics)
    );
    let model = c.model.expect("model");
    let weekly = model.links.iter().find(|l| l.to == "weekly").expect("link");
    assert_eq!(
        (
            weekly.lag,
            weekly.grain.name(),
            weekly.expected_sign,
            weekly.min_periods
        ),
        (2, "week", -1, 8)
    );
    let monthly = model
        .links
        .iter()
        .find(|l| l.to == "monthly")
        .expect("link");
    // Default grain: the coarser of the two; lower-is-better on both ends,
    // `worsens`: the raw values move in opposite directions.
    assert_eq!(
        (monthly.lag, monthly.grain.name(), monthly.expected_sign),
        (3, "month", -1)
    );
}

#[test]
fn file_order_never_changes_the_model() {
    let team = "team ops { name: \"Ops\" }\n";
    let metrics = PRELUDE.replace(team, "")
        + "kpi k { title: \"K\" owner: ops unit: % direction: higher grain: week source: events measure: avg(ok) }\n";
    let (_, a) = common::compile_text(&[("a.cpi", team), ("b.cpi", &metrics)]);
    let (_, b) = common::compile_text(&[("z.cpi", team), ("m.cpi", &metrics)]);
    let strip = |c: cpic::Compilation| {
        let mut v = serde_json::to_value(c.model.expect("model")).expect("json");
        fn drop_locations(v: &mut serde_json::Value) {
            match v {
                serde_json::Value::Object(map) => {
                    map.remove("location");
                    map.values_mut().for_each(drop_locations);
                }
                serde_json::Value::Array(items) => items.iter_mut().for_each(drop_locations),
                _ => {}
            }
        }
        drop_locations(&mut v);
        v
    };
    assert_eq!(strip(a), strip(b));
}

#[test]
fn duplicates_across_files_point_at_both() {
    let (_, c) = common::compile_text(&[
        ("a.cpi", "team ops { name: \"A\" }"),
        ("b.cpi", "\n\nteam ops { name: \"B\" }"),
    ]);
    let d = &c.diagnostics[0];
    assert_eq!(d.code.as_str(), "E0201");
    assert_eq!(d.span.file, cpic::source::FileId(1));
    assert_eq!(d.secondary[0].span.file, cpic::source::FileId(0));
}

#[test]
fn parsing_resumes_at_the_next_item() {
    let (_, c) = common::compile_text(&[(
        "a.cpi",
        "team a { name: }\nteam b { name: \"B\" nme: \"x\" }\nteam c { name: 3 }\nteam d { }\n",
    )]);
    let codes = common::codes(&c);
    assert_eq!(
        codes,
        vec!["E0102", "E0107", "E0102", "E0109"],
        "{:?}",
        c.diagnostics
    );
}

#[test]
fn all_problems_are_reported_not_only_the_first() {
    let (_, c) = common::compile_text(&[(
        "a.cpi",
        "kpi a { title: \"A\" owner: nobody unit: parsecs direction: up grain: fortnight measure: x }",
    )]);
    let codes = common::codes(&c);
    for code in ["E0202", "E0106", "E0105", "E0205"] {
        assert!(codes.contains(&code), "{code} missing from {codes:?}");
    }
}

/// An experiment (LANGUAGE.md section 11) in the model: every field, the
/// link it tests, and a link whose `experiment:` names it; a note in
/// quotes stays a note.
#[test]
fn experiments_are_checked_into_the_model() {
    let text = r#"
team ops { name: "Ops" }
source events {
  table: "app.events"
  time: at
  columns { customer_id: int  at: timestamp  done_at: timestamp  ok: bool  amount: USD }
}
source assignments {
  table: "app.assignments"
  time: assigned_at
  columns { customer_id: int  assigned_at: date  arm: text }
}
cpi wait {
  title: "Wait" outcome: "Be served" owner: ops unit: s direction: lower tier: core
  evidence: contextual_inquiry "Visits" source: events measure: median(done_at - at) grain: week
}
kpi conversion { title: "Conversion" owner: ops unit: % direction: higher source: events measure: avg(ok) grain: week }
kpi revenue { title: "Revenue" owner: ops unit: USD direction: higher source: events measure: sum(amount) grain: week }
link wait -> conversion { hypothesis: "h" experiment: fast_lane }
link wait -> revenue { hypothesis: "h" experiment: "EXP-7, a note" }
experiment fast_lane {
  title: "Fast lane"
  description: "Serve half the customers first."
  owner: ops
  tests: wait -> conversion
  guardrails: revenue
  assignments: assignments
  unit: customer_id
  variant: arm
  control: "control"
  split: 40% 60%
  from: 2026-04-01
  until: 2026-04-28
}
"#;
    let (db, c) = common::compile_text(&[("a.cpi", text)]);
    assert!(
        !c.has_errors(),
        "{}",
        cpic::diag::render::human_string(&db, &c.diagnostics)
    );
    let model = c.model.expect("model");
    let e = model.experiment("fast_lane").expect("the experiment");
    assert_eq!(
        (e.tests.from.as_str(), e.tests.to.as_str()),
        ("wait", "conversion")
    );
    assert_eq!(
        e.metrics().collect::<Vec<_>>(),
        ["wait", "conversion", "revenue"]
    );
    assert_eq!(
        (
            e.assignments.as_str(),
            e.time.as_str(),
            e.time_type.name(),
            e.unit.as_str(),
            e.variant.as_str(),
            e.control.as_str()
        ),
        (
            "assignments",
            "assigned_at",
            "date",
            "customer_id",
            "arm",
            "control"
        )
    );
    assert_eq!(e.split, Some(vec![40.0, 60.0]));
    assert_eq!(
        (e.from.to_string(), e.until.to_string()),
        ("2026-04-01".into(), "2026-04-28".into())
    );
    assert_eq!(
        e.description.as_deref(),
        Some("Serve half the customers first.")
    );
    let named = model.link("wait", "conversion").expect("a link");
    assert_eq!(named.experiment_item.as_deref(), Some("fast_lane"));
    let noted = model.link("wait", "revenue").expect("a link");
    assert_eq!(noted.experiment.as_deref(), Some("EXP-7, a note"));
    assert_eq!(noted.experiment_item, None);
    assert_eq!(
        model
            .experiments_testing(named)
            .map(|e| e.name.as_str())
            .collect::<Vec<_>>(),
        ["fast_lane"]
    );
    assert_eq!(model.experiments_testing(noted).count(), 0);

    // Without `split` the shares are equal (None); experiments share the
    // one namespace of items.
    let equal = text.replace("  split: 40% 60%\n", "");
    let (_, c) = common::compile_text(&[("a.cpi", &equal)]);
    assert_eq!(c.model.expect("model").experiments[0].split, None);
    let clash = format!("{text}\nteam fast_lane {{ name: \"Clash\" }}\n");
    let (_, c) = common::compile_text(&[("a.cpi", &clash)]);
    assert!(
        common::codes(&c).contains(&"E0201"),
        "{:?}",
        common::codes(&c)
    );
    // A link's `experiment:` naming another kind of item is E0206, as
    // every name of the wrong kind.
    let team = text.replace("experiment: fast_lane }", "experiment: ops }");
    let (_, c) = common::compile_text(&[("a.cpi", &team)]);
    assert!(
        common::codes(&c).contains(&"E0206"),
        "{:?}",
        common::codes(&c)
    );
    // A missing required field is named; the others are checked still.
    let missing = text
        .replace("  control: \"control\"\n", "")
        .replace("  unit: customer_id\n", "  unit: customer\n");
    let (_, c) = common::compile_text(&[("a.cpi", &missing)]);
    let codes = common::codes(&c);
    assert!(
        codes.contains(&"E0109") && codes.contains(&"E0804"),
        "{codes:?}"
    );
}
