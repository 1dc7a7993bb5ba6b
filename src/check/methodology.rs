//! Methodology warnings (LANGUAGE.md section 7): how CPIs are found, one
//! core metric, CPIs linked to KPIs, confirmed links backed by experiments.
//! Target warnings live with the targets.

use std::collections::{HashMap, HashSet};

use super::metrics::MetricInfo;
use super::Checker;
use crate::diag::{Code, Diagnostic};
use crate::model::{EvidenceKind, Link, LinkStatus, MetricKind, Tier};

/// Words that mark a score the company cares about, not the customer.
const COMPANY_CENTRIC: &[&str] = &[
    "nps",
    "net promoter",
    "promoter score",
    "csat",
    "satisfaction score",
    "revenue",
    "profit",
    "margin",
    "churn",
    "retention",
    "conversion",
    "lifetime value",
    "ltv",
    "arpu",
    "upsell",
    "share of wallet",
];

pub(crate) fn lint(checker: &mut Checker, metrics: &[MetricInfo], links: &[Link]) {
    let canonical: Vec<&MetricInfo> = metrics.iter().filter(|m| m.canonical).collect();
    for m in &canonical {
        if m.kind == MetricKind::Cpi {
            evidence(checker, m);
            company_centric(checker, m);
        }
    }
    core(checker, &canonical);
    linkage(checker, &canonical, links);
    for link in links {
        if link.status == LinkStatus::Confirmed && link.experiment.is_none() {
            checker.diags.push(
                Diagnostic::new(
                    Code::ConfirmedWithoutExperiment,
                    link.location.span,
                    format!("link {} -> {} is confirmed, but no experiment is recorded", link.from, link.to),
                )
                .label("confirmed by what?")
                .hint("record the controlled experiment that confirmed it: `experiment: \"EXP-142 ...\"`, or set `status: testing`"),
            );
        }
    }
}

fn evidence(checker: &mut Checker, m: &MetricInfo) {
    let span = m.item.name.span;
    if m.evidence.is_empty() {
        checker.diags.push(
            Diagnostic::new(Code::NoEvidence, span, format!("CPI `{}` records no evidence", m.name()))
                .label("how was this outcome found?")
                .hint("customer outcomes are found by contextual inquiry: observe customers pursuing the outcome and record it as `evidence: contextual_inquiry \"...\"`"),
        );
        return;
    }
    let weak = |k: &EvidenceKind| {
        matches!(
            k,
            EvidenceKind::Survey | EvidenceKind::FocusGroup | EvidenceKind::ExpertJudgment
        )
    };
    if m.evidence.iter().all(weak) {
        checker.diags.push(
            Diagnostic::new(
                Code::WeakEvidence,
                span,
                format!("CPI `{}` rests only on surveys, focus groups or expert judgment", m.name()),
            )
            .label("weak evidence")
            .hint("surveys miss what customers don't think to say, focus groups breed group-think and experts guess: confirm the outcome by contextual inquiry"),
        );
    }
}

fn company_centric(checker: &mut Checker, m: &MetricInfo) {
    let name = m.name().replace('_', " ");
    let title = m.title.as_deref().unwrap_or("").to_lowercase();
    let words = |text: &str, pattern: &str| {
        text.match_indices(pattern).any(|(i, _)| {
            let before = text[..i].chars().next_back();
            let after = text[i + pattern.len()..].chars().next();
            !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
        })
    };
    if let Some(pattern) = COMPANY_CENTRIC
        .iter()
        .find(|p| words(&name, p) || words(&title, p))
    {
        checker.diags.push(
            Diagnostic::new(
                Code::CompanyCentricCpi,
                m.item.name.span,
                format!("CPI `{}` looks like a company-centric score (`{pattern}`)", m.name()),
            )
            .label("measures the company, not the customer")
            .hint("a CPI measures how the company performs for the customer, in units customers value; declare scores such as NPS, revenue or retention as a `kpi`"),
        );
    }
}

fn core(checker: &mut Checker, metrics: &[&MetricInfo]) {
    let cores: Vec<&&MetricInfo> = metrics
        .iter()
        .filter(|m| m.tier == Some(Tier::Core))
        .collect();
    match cores.as_slice() {
        [] => {
            if let Some(first) = metrics.first() {
                checker.diags.push(
                    Diagnostic::new(Code::NoCoreMetric, first.item.name.span, "no metric has `tier: core`".to_string())
                        .label("no core metric in the project")
                        .hint("pick one core CX metric that every employee understands, that is actionable and tied to business goals, and mark it `tier: core`"),
                );
            }
        }
        [_] => {}
        [first, rest @ ..] => {
            for other in rest {
                checker.diags.push(
                    Diagnostic::new(
                        Code::ManyCoreMetrics,
                        other.item.name.span,
                        format!("`{}` is a second core metric", other.name()),
                    )
                    .label("also `tier: core`")
                    .secondary(first.item.name.span, "the first core metric")
                    .hint(
                        "keep one core metric; mark the others `tier: driver` or `tier: leading`",
                    ),
                );
            }
        }
    }
}

/// CPIs should reach a KPI through links (directly or through CPIs they
/// drive); KPIs should be reached from some CPI.
fn linkage(checker: &mut Checker, metrics: &[&MetricInfo], links: &[Link]) {
    let kind: HashMap<&str, MetricKind> = metrics.iter().map(|m| (m.name(), m.kind)).collect();
    let mut out: HashMap<&str, Vec<&str>> = HashMap::new();
    let mut reached_from_cpi: HashSet<&str> = HashSet::new();
    for link in links {
        out.entry(link.from.as_str())
            .or_default()
            .push(link.to.as_str());
        if kind.get(link.from.as_str()) == Some(&MetricKind::Cpi) {
            reached_from_cpi.insert(link.to.as_str());
        }
    }
    for m in metrics {
        match m.kind {
            MetricKind::Cpi => {
                // Breadth-first over links from this CPI.
                let mut seen: HashSet<&str> = HashSet::from([m.name()]);
                let mut queue = vec![m.name()];
                let mut reaches_kpi = false;
                while let Some(node) = queue.pop() {
                    for &next in out.get(node).map_or(&[][..], Vec::as_slice) {
                        if kind.get(next) == Some(&MetricKind::Kpi) {
                            reaches_kpi = true;
                        }
                        if seen.insert(next) {
                            queue.push(next);
                        }
                    }
                    if reaches_kpi {
                        break;
                    }
                }
                if !reaches_kpi {
                    checker.diags.push(
                        Diagnostic::new(Code::UnlinkedCpi, m.item.name.span, format!("CPI `{}` is linked to no KPI", m.name()))
                            .label("no link to a KPI")
                            .hint(format!("state which business result it should move: `link {} -> some_kpi {{ hypothesis: \"...\" }}`", m.name())),
                    );
                }
            }
            MetricKind::Kpi => {
                if !reached_from_cpi.contains(m.name()) {
                    checker.diags.push(
                        Diagnostic::new(
                            Code::UnlinkedKpi,
                            m.item.name.span,
                            format!("no CPI links to KPI `{}`", m.name()),
                        )
                        .label("no CPI moves this KPI")
                        .hint("find the customer outcome that drives it and link that CPI to it"),
                    );
                }
            }
        }
    }
}
