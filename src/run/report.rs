//! A run's report as a table for people, JSON for programs (schema
//! `cpic-run/2`, documented in `docs/run-json.md`) or CSV (one row per
//! metric and period).

use std::io::{self, Write};

use codespan_reporting::term::termcolor::{Color, ColorSpec, WriteColor};
use serde_json::{json, Value};

use super::words::p_text;
use super::{words, Evidence, ExperimentResult, LinkResult, MetricResult, Report};
use crate::model::MetricKind;
use crate::sql::results::{ExperimentVerdict, Verdict};
use crate::units::{format_difference, format_value};

/// Glyphs for a terminal, or plain ASCII for pipes and files.
#[derive(Clone, Copy)]
pub struct Style {
    pub unicode: bool,
}

impl Style {
    fn arrow(self, up: bool) -> &'static str {
        match (self.unicode, up) {
            (true, true) => "▲",
            (true, false) => "▼",
            (false, true) => "up",
            (false, false) => "down",
        }
    }

    fn mark(self, good: bool) -> &'static str {
        match (self.unicode, good) {
            (true, true) => "✓",
            (true, false) => "✗",
            (false, true) => "(good)",
            (false, false) => "(bad)",
        }
    }

    fn dash(self) -> &'static str {
        if self.unicode {
            "–"
        } else {
            "-"
        }
    }

    fn arrow_link(self) -> &'static str {
        if self.unicode {
            "→"
        } else {
            "->"
        }
    }
}

/// One cell of the table: text and an optional colour.
struct Cell {
    text: String,
    color: Option<Color>,
}

fn cell(text: impl Into<String>) -> Cell {
    Cell {
        text: printable(text.into()),
        color: None,
    }
}

fn colored(text: impl Into<String>, color: Color) -> Cell {
    Cell {
        text: printable(text.into()),
        color: Some(color),
    }
}

/// Spec strings reach a terminal: control characters (line breaks, escape
/// sequences) become spaces, so no title can break the table or drive the
/// terminal.
fn printable(text: String) -> String {
    if text.chars().any(char::is_control) {
        text.chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect()
    } else {
        text
    }
}

fn metric_row(m: &MetricResult, style: Style) -> Vec<Cell> {
    let metric = m.metric;
    let (period, value) = match m.latest {
        Some(p) => (p.period.to_string(), format_value(p.value, &metric.unit)),
        None => (style.dash().to_string(), "no data".to_string()),
    };
    let change = match (m.change(), m.change_is_better()) {
        (Some(c), Some(better)) => {
            let mut text = format!(
                "{} {}",
                style.arrow(c > 0.0),
                format_difference(c.abs(), &metric.unit)
            );
            if !style.unicode {
                // Without colour, say it.
                text.push_str(if better { ", better" } else { ", worse" });
            }
            colored(text, if better { Color::Green } else { Color::Red })
        }
        (Some(_), None) => cell("unchanged"),
        (None, _) => cell(style.dash()),
    };
    let (target, status) = match &m.target {
        Some(t) => (
            cell(format!(
                "{} .. {}",
                format_value(t.low, &metric.unit),
                format_value(t.high, &metric.unit)
            )),
            colored(
                format!("{} {}", t.status, style.mark(t.good)),
                if t.good { Color::Green } else { Color::Red },
            ),
        ),
        None => (cell(style.dash()), cell(style.dash())),
    };
    vec![
        cell(&metric.name),
        cell(&metric.title),
        cell(&metric.owner),
        cell(period),
        cell(value),
        change,
        target,
        status,
    ]
}

fn link_row(l: &LinkResult, model: &crate::model::Model, style: Style) -> Vec<Cell> {
    let link = l.link;
    let mut row = evidence_cells(l, &l.evidence, model, style);
    row.insert(
        0,
        cell(format!("{} {} {}", link.from, style.arrow_link(), link.to)),
    );
    row.push(cell(link.status.name()));
    row
}

/// A segment under its link: `  channel = web`, its evidence, and the
/// Holm-adjusted p in place of the declared status.
fn segment_row(
    l: &LinkResult,
    s: &super::SegmentResult,
    model: &crate::model::Model,
    style: Style,
) -> Vec<Cell> {
    let dimension = l.link.segments.as_deref().unwrap_or("segment");
    let mut row = evidence_cells(l, &s.evidence, model, style);
    row.insert(0, cell(format!("  {dimension} = {}", s.segment)));
    row.push(cell(
        s.p_adjusted
            .map_or(String::new(), |p| format!("Holm p {}", p_text(p))),
    ));
    row
}

/// lag, n, effect, p and verdict.
fn evidence_cells(
    l: &LinkResult,
    e: &Evidence,
    model: &crate::model::Model,
    style: Style,
) -> Vec<Cell> {
    let link = l.link;
    let p = e.p.map_or(style.dash().to_string(), p_text);
    let effect = match (model.metric(&link.from), model.metric(&link.to)) {
        (Some(from), Some(to)) => words::effect_sentence(link, from, (to, &to.name), e),
        _ => None,
    };
    let effect = effect.unwrap_or_else(|| style.dash().to_string());
    let effect = if style.unicode {
        effect
    } else {
        effect.replace('→', "->")
    };
    vec![
        cell(crate::words::lag(link.lag, link.grain)),
        cell(format!("{}", e.n)),
        cell(effect),
        cell(p),
        colored(e.verdict.name(), verdict_color(e.verdict)),
    ]
}

/// Green when the data support the link, red when they contradict it.
pub fn verdict_color(verdict: Verdict) -> Color {
    match verdict {
        Verdict::Supports => Color::Green,
        Verdict::Contradicts => Color::Red,
        Verdict::Inconclusive | Verdict::TooFewPeriods => Color::Yellow,
    }
}

/// Writes rows as aligned columns (two spaces apart); the last column is
/// not padded.
fn write_table(out: &mut dyn WriteColor, header: &[&str], rows: &[Vec<Cell>]) -> io::Result<()> {
    let width = |s: &str| s.chars().count();
    let mut widths: Vec<usize> = header.iter().map(|h| width(h)).collect();
    for row in rows {
        for (i, c) in row.iter().enumerate() {
            widths[i] = widths[i].max(width(&c.text));
        }
    }
    let last = header.len() - 1;
    out.set_color(ColorSpec::new().set_bold(true))?;
    for (i, h) in header.iter().enumerate() {
        let pad = if i == last { 0 } else { widths[i] - width(h) };
        write!(out, "  {h}{}", " ".repeat(pad))?;
    }
    out.reset()?;
    writeln!(out)?;
    for row in rows {
        for (i, c) in row.iter().enumerate() {
            write!(out, "  ")?;
            if let Some(color) = c.color {
                out.set_color(ColorSpec::new().set_fg(Some(color)))?;
            }
            write!(out, "{}", c.text)?;
            if c.color.is_some() {
                out.reset()?;
            }
            if i != last {
                write!(out, "{}", " ".repeat(widths[i] - width(&c.text)))?;
            }
        }
        writeln!(out)?;
    }
    Ok(())
}

/// The report for people.
pub fn table(report: &Report, out: &mut dyn WriteColor, style: Style) -> io::Result<()> {
    out.set_color(ColorSpec::new().set_bold(true))?;
    write!(out, "{}", printable(report.model.project.name.clone()))?;
    out.reset()?;
    write!(
        out,
        ": latest complete periods as of {} on {}",
        report.today, report.database
    )?;
    if let Some(since) = report.since {
        write!(out, ", periods since {since}")?;
    }
    writeln!(out)?;
    let header = [
        "", "title", "owner", "period", "value", "change", "target", "status",
    ];
    for (kind, heading) in [(MetricKind::Cpi, "CPIs"), (MetricKind::Kpi, "KPIs")] {
        let rows: Vec<Vec<Cell>> = report
            .metrics
            .iter()
            .filter(|m| m.metric.kind == kind)
            .map(|m| metric_row(m, style))
            .collect();
        if rows.is_empty() {
            continue;
        }
        writeln!(out)?;
        let mut header = header;
        header[0] = heading;
        write_table(out, &header, &rows)?;
    }
    if !report.links.is_empty() {
        writeln!(out)?;
        let mut rows: Vec<Vec<Cell>> = Vec::new();
        for l in &report.links {
            rows.push(link_row(l, report.model, style));
            rows.extend(
                l.segments
                    .iter()
                    .map(|s| segment_row(l, s, report.model, style)),
            );
        }
        write_table(
            out,
            &["Links", "lag", "n", "effect", "p", "verdict", "declared"],
            &rows,
        )?;
        for l in &report.links {
            if let Some(warning) = l.disagreement() {
                out.set_color(ColorSpec::new().set_fg(Some(Color::Yellow)).set_bold(true))?;
                write!(out, "warning")?;
                out.reset()?;
                writeln!(
                    out,
                    ": {} {} {}: {warning}",
                    l.link.from,
                    style.arrow_link(),
                    l.link.to
                )?;
            }
        }
    }
    experiments_table(report, out, style)
}

/// Green when the experiment confirmed the link, red when it contradicted
/// it or its enrolment is off.
pub fn experiment_verdict_color(verdict: ExperimentVerdict) -> Color {
    match verdict {
        ExperimentVerdict::Confirmed => Color::Green,
        ExperimentVerdict::Contradicted | ExperimentVerdict::SampleRatioMismatch => Color::Red,
        ExperimentVerdict::NotConfirmed | ExperimentVerdict::CpiUnchanged => Color::Yellow,
    }
}

fn warning_line(out: &mut dyn WriteColor, text: &str) -> io::Result<()> {
    out.set_color(ColorSpec::new().set_fg(Some(Color::Yellow)).set_bold(true))?;
    write!(out, "warning")?;
    out.reset()?;
    writeln!(out, ": {}", printable(text.to_string()))
}

/// Each experiment: its enrolment, a row per metric and treatment, the
/// verdicts in words and the warnings.
fn experiments_table(report: &Report, out: &mut dyn WriteColor, style: Style) -> io::Result<()> {
    for x in &report.experiments {
        let e = x.experiment;
        writeln!(out)?;
        out.set_color(ColorSpec::new().set_bold(true))?;
        write!(out, "Experiment {}", e.name)?;
        out.reset()?;
        writeln!(
            out,
            ": {} (tests {} {} {}, {} .. {})",
            printable(e.title.clone()),
            e.tests.from,
            style.arrow_link(),
            e.tests.to,
            e.from,
            e.until
        )?;
        let units: Vec<String> = x
            .variants
            .iter()
            .map(|v| {
                format!(
                    "{} {}",
                    printable(v.variant.clone()),
                    grouped_count(v.units)
                )
            })
            .collect();
        writeln!(
            out,
            "  units: {}; left out (in several variants): {}; sample-ratio p: {}",
            units.join(", "),
            x.left_out,
            x.srm_p.map_or(style.dash().to_string(), p_text)
        )?;
        let rows: Vec<Vec<Cell>> = x
            .effects
            .iter()
            .map(|f| {
                let unit = report.model.metric(&f.metric).map(|m| m.unit.clone());
                let unit = unit.unwrap_or(crate::units::Unit::Dimensionless);
                let text = words::effect_text(f, &unit, style.dash());
                vec![
                    cell(&f.metric),
                    cell(printable(f.variant.clone())),
                    cell(text.control),
                    cell(text.value),
                    cell(text.difference),
                    cell(text.interval),
                    cell(text.relative),
                    cell(text.p),
                ]
            })
            .collect();
        if !rows.is_empty() {
            write_table(
                out,
                &[
                    "metric",
                    "variant",
                    "control",
                    "value",
                    "difference",
                    "95% interval",
                    "relative (95%)",
                    "p",
                ],
                &rows,
            )?;
        }
        for (variant, verdict) in &x.verdicts {
            write!(out, "  {}: ", printable(variant.clone()))?;
            out.set_color(ColorSpec::new().set_fg(Some(experiment_verdict_color(*verdict))))?;
            write!(out, "{verdict}")?;
            out.reset()?;
            writeln!(
                out,
                ". {}",
                printable(words::experiment_verdict_sentence(*verdict, e, variant))
            )?;
        }
        for warning in x.warnings(report.model) {
            warning_line(out, &warning)?;
        }
    }
    Ok(())
}

/// `12,345`.
fn grouped_count(n: i64) -> String {
    format_value(n as f64, &crate::units::Unit::Count(None))
}

fn number(v: Option<f64>) -> Value {
    v.filter(|v| v.is_finite())
        .map_or(Value::Null, |v| json!(v))
}

/// Section 9's numbers, by their column names (`LinkColumn`).
fn evidence_json(e: &Evidence) -> Value {
    json!({
        "n": e.n,
        "m": e.m,
        "r": number(e.r),
        "r_diff": number(e.r_diff),
        "rho_from": number(e.rho_from),
        "rho_to": number(e.rho_to),
        "n_eff": number(e.n_eff),
        "z": number(e.z),
        "p": number(e.p),
        "effect": number(e.effect),
        "effect_low": number(e.effect_low),
        "effect_high": number(e.effect_high),
        "verdict": e.verdict,
    })
}

/// `pp per s`: the unit of a link's effect.
fn effect_unit(model: &crate::model::Model, link: &crate::model::Link) -> Value {
    let (Some(from), Some(to)) = (model.metric(&link.from), model.metric(&link.to)) else {
        return Value::Null;
    };
    let of =
        |u: &crate::units::Unit| crate::units::unit_of_change(u).unwrap_or_else(|| "1".to_string());
    json!(format!("{} per {}", of(&to.unit), of(&from.unit)))
}

/// The name and version of the JSON report's schema (`docs/run-json.md`):
/// the report and `cpic run --help` read it here.
pub const JSON_SCHEMA: &str = "cpic-run/2";

/// The report for programs: schema [`JSON_SCHEMA`].
pub fn json(report: &Report) -> Value {
    let metrics: Vec<Value> = report
        .metrics
        .iter()
        .map(|m| {
            let metric = m.metric;
            let point = |p: Option<super::Point>| {
                p.map_or(Value::Null, |p| json!({ "period": p.period, "value": number(Some(p.value)) }))
            };
            json!({
                "name": metric.name,
                "kind": metric.kind.name(),
                "title": metric.title,
                "owner": metric.owner,
                "unit": metric.unit,
                "direction": metric.direction,
                "grain": metric.grain,
                "tier": metric.tier,
                "latest": point(m.latest),
                "previous": point(m.previous),
                "change": number(m.change()),
                "change_is": match (m.change(), m.change_is_better()) {
                    (None, _) => Value::Null,
                    (Some(_), None) => json!("unchanged"),
                    (Some(_), Some(true)) => json!("better"),
                    (Some(_), Some(false)) => json!("worse"),
                },
                "target": m.target.as_ref().map_or(Value::Null, |t| json!({
                    "low": t.low,
                    "high": t.high,
                    "status": t.status,
                    "good": t.good,
                })),
                "series": m.series.iter().map(|p| json!({ "period": p.period, "value": number(Some(p.value)) })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let links: Vec<Value> = report
        .links
        .iter()
        .map(|l| {
            let link = l.link;
            let mut value = json!({
                "from": link.from,
                "to": link.to,
                "hypothesis": link.hypothesis,
                "expect": link.expect,
                "lag": link.lag,
                "grain": link.grain,
                "min_periods": link.min_periods,
                "declared_status": link.status,
                "effect_unit": effect_unit(report.model, link),
                "expected_sign": l.expected_sign,
                "segment_dimension": link.segments,
                "segments": l.segments.iter().map(|s| {
                    let mut segment = evidence_json(&s.evidence);
                    segment["segment"] = json!(s.segment);
                    segment["p_adjusted"] = number(s.p_adjusted);
                    segment
                }).collect::<Vec<_>>(),
                "warning": l.disagreement(),
            });
            if let (Value::Object(fields), Value::Object(evidence)) =
                (&mut value, evidence_json(&l.evidence))
            {
                fields.extend(evidence);
            }
            value
        })
        .collect();
    json!({
        "schema": JSON_SCHEMA,
        "project": report.model.project.name,
        "database": report.database,
        "today": report.today,
        "since": report.since,
        "metrics": metrics,
        "links": links,
        "experiments": report.experiments.iter().map(|x| experiment_json(report, x)).collect::<Vec<_>>(),
        "expectations": report.expectations.as_deref().map(super::test_report::json),
    })
}

/// One experiment (`cpic-run/2`'s `experiments`).
fn experiment_json(report: &Report, x: &ExperimentResult) -> Value {
    let e = x.experiment;
    json!({
        "name": e.name,
        "title": e.title,
        "tests": { "from": e.tests.from, "to": e.tests.to },
        "control": e.control,
        "from": e.from,
        "until": e.until,
        "variants": x.variants.iter().map(|v| json!({
            "variant": v.variant,
            "units": v.units,
            "expected_units": number(v.expected),
        })).collect::<Vec<_>>(),
        "left_out_units": x.left_out,
        "chi_squared": number(x.chi_squared),
        "srm_p": number(x.srm_p),
        "results": x.effects.iter().map(|f| json!({
            "metric": f.metric,
            "unit": report.model.metric(&f.metric).map(|m| m.unit.to_string()),
            "variant": f.variant,
            "control_value": number(f.control_value),
            "value": number(f.value),
            "difference": number(f.difference),
            "low": number(f.low),
            "high": number(f.high),
            "p": number(f.p),
            "relative": number(f.relative),
            "relative_low": number(f.relative_low),
            "relative_high": number(f.relative_high),
        })).collect::<Vec<_>>(),
        "verdicts": x.verdicts.iter().map(|(v, verdict)| json!({
            "variant": v,
            "verdict": verdict,
            "explanation": words::experiment_verdict_sentence(*verdict, e, v),
        })).collect::<Vec<_>>(),
        "warnings": x.warnings(report.model),
    })
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// One row per metric and period: `metric,kind,unit,grain,period,value`.
pub fn csv(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "metric,kind,unit,grain,period,value")?;
    for m in &report.metrics {
        let metric = m.metric;
        for p in &m.series {
            writeln!(
                out,
                "{},{},{},{},{},{}",
                csv_field(&metric.name),
                metric.kind.name(),
                csv_field(&metric.unit.to_string()),
                metric.grain.name(),
                p.period,
                p.value
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_strings_cannot_drive_the_terminal() {
        assert_eq!(cell("a\u{1b}[31mred\nline").text, "a [31mred line");
    }
}
