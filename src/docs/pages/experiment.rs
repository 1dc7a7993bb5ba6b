//! An experiment's page and the list of experiments (LANGUAGE.md section
//! 11): what was tested and why, the variants and their units, the
//! sample-ratio check, a forest plot of each metric's relative difference,
//! the verdict in words.

use askama::Template;

use super::lists::ListPage;
use super::widgets::{experiment_href, fact, link_href, Badge, Fact, Layout, ListItem, Ref};
use crate::docs::chart::{self, ForestRow};
use crate::docs::markdown;
use crate::docs::Ctx;
use crate::model::{Direction, Experiment};
use crate::run::{words, ExperimentResult};
use crate::sql::results::{ExperimentVerdict, SRM_ALPHA};

/// The badge of a verdict.
pub fn verdict_badge(v: ExperimentVerdict) -> Badge {
    let class = match v {
        ExperimentVerdict::Confirmed => "good",
        ExperimentVerdict::Contradicted | ExperimentVerdict::SampleRatioMismatch => "bad",
        ExperimentVerdict::NotConfirmed => "warn",
        ExperimentVerdict::CpiUnchanged => "neutral",
    };
    Badge::new(v.name().replace('_', " "), class)
}

/// An experiment in a list: its page and its verdicts (when it ran).
pub struct ExperimentRow {
    pub link: Ref,
    pub detail: String,
    pub verdicts: Vec<Badge>,
}

impl Ctx<'_> {
    /// These experiments as rows of a list, with their verdicts.
    pub(super) fn experiment_rows<'e>(
        &self,
        root: &str,
        experiments: impl IntoIterator<Item = &'e Experiment>,
    ) -> Vec<ExperimentRow> {
        experiments
            .into_iter()
            .map(|e| ExperimentRow {
                link: Ref {
                    href: experiment_href(root, &e.name),
                    label: e.title.clone(),
                },
                detail: format!(
                    "tests {} → {}, {} .. {}",
                    e.tests.from, e.tests.to, e.from, e.until
                ),
                verdicts: self
                    .experiments
                    .get(e.name.as_str())
                    .map(|r| r.verdicts.iter().map(|(_, v)| verdict_badge(*v)).collect())
                    .unwrap_or_default(),
            })
            .collect()
    }
}

pub fn experiments_list(ctx: &Ctx) -> ListPage {
    ListPage {
        page: ctx.layout("", "Experiments", "experiments"),
        intro: "Controlled tests of the links: each assigns customers at random to variants and says whether improving the CPI moved the KPI.",
        items: ctx
            .experiment_rows("", &ctx.model.experiments)
            .into_iter()
            .map(|r| ListItem {
                link: r.link,
                detail: match r.verdicts.first() {
                    Some(_) => format!(
                        "{}; {}",
                        r.detail,
                        r.verdicts.iter().map(|b| b.label.as_str()).collect::<Vec<_>>().join(", ")
                    ),
                    None => r.detail,
                },
            })
            .collect(),
    }
}

/// One metric in one treatment, as the page shows it.
pub struct EffectRow {
    pub metric: Ref,
    pub variant: String,
    pub text: words::EffectText,
}

#[derive(Template)]
#[template(path = "experiment.html")]
pub struct ExperimentPage {
    pub page: Layout,
    pub description: Option<String>,
    pub tests: Ref,
    pub from: Ref,
    pub to: Ref,
    pub facts: Vec<Fact>,
    pub has_data: bool,
    /// The run's figures, when it ran.
    pub ran: bool,
    pub variants: Vec<VariantRow>,
    pub left_out: i64,
    pub srm_badge: Option<Badge>,
    pub srm_sentence: String,
    pub verdicts: Vec<VerdictLine>,
    pub forest: String,
    pub rows: Vec<EffectRow>,
    /// As HTML.
    pub warnings: Vec<String>,
    pub sql: super::SqlSection,
    pub location: String,
    pub definition: String,
}

/// A variant of an experiment and its units.
pub struct VariantRow {
    pub variant: String,
    pub control: bool,
    pub units: String,
    /// The units the split expects of it.
    pub expected: String,
}

/// A treatment's verdict on the tested link.
pub struct VerdictLine {
    pub variant: String,
    pub badge: Badge,
    /// The verdict in a sentence, as HTML.
    pub sentence: String,
}

pub fn experiment<'m>(
    ctx: &Ctx<'m>,
    sql: &super::SqlWriter<'m>,
    e: &'m Experiment,
) -> ExperimentPage {
    let root = "../";
    let link = ctx.model.link(&e.tests.from, &e.tests.to);
    let result: Option<&ExperimentResult> = ctx.experiments.get(e.name.as_str()).copied();
    let mut facts = vec![
        Fact {
            href: Some(super::team_href(root, &e.owner)),
            ..fact("Owner", ctx.team_ref(root, &e.owner).label)
        },
        Fact {
            href: Some(super::source_href(root, &e.assignments)),
            ..fact("Assignments", e.assignments.clone())
        },
        fact("Unit", e.unit.clone()),
        fact("Variant column", e.variant.clone()),
        fact("Control", e.control.clone()),
        fact(
            "Split",
            e.split.as_ref().map_or_else(
                || "equal shares".to_string(),
                |s| {
                    s.iter()
                        .map(|p| format!("{p}%"))
                        .collect::<Vec<_>>()
                        .join(" · ")
                },
            ),
        ),
        fact(
            "Enrolment and analysis",
            format!("{} .. {}", e.from, e.until),
        ),
    ];
    for g in &e.guardrails {
        facts.push(Fact {
            href: Some(super::metric_href(root, g)),
            ..fact("Guardrail", ctx.metric_ref(root, g).label)
        });
    }
    let unit_of = |m: &str| {
        ctx.model
            .metric(m)
            .map(|m| m.unit.clone())
            .unwrap_or(crate::units::Unit::Dimensionless)
    };
    let dash = || "–".to_string();
    let (mut variants, mut verdicts, mut rows, mut forest_rows) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut srm_badge = None;
    let mut srm_sentence = String::new();
    let mut left_out = 0;
    let mut warnings = Vec::new();
    if let Some(r) = result {
        left_out = r.left_out;
        for v in &r.variants {
            variants.push(VariantRow {
                variant: v.variant.clone(),
                control: v.variant == e.control,
                units: v.units.to_string(),
                expected: v.expected.map_or_else(dash, |x| format!("{x:.1}")),
            });
        }
        (srm_badge, srm_sentence) = match r.srm_p {
            Some(p) if p < SRM_ALPHA => (
                Some(Badge::new("sample-ratio mismatch", "bad")),
                format!("The units per variant are off the planned split (p = {p:.2e}, below {SRM_ALPHA}): assignment or logging went wrong, and no verdict is given until that is fixed."),
            ),
            Some(p) => (
                Some(Badge::new("split as planned", "good")),
                format!("The units per variant are as close to the planned split as chance allows (p = {p:.3}): the assignment looks healthy."),
            ),
            None => (None, "No sample-ratio check: the split does not list one share per variant found.".to_string()),
        };
        for (variant, verdict) in &r.verdicts {
            verdicts.push(VerdictLine {
                variant: variant.clone(),
                badge: verdict_badge(*verdict),
                sentence: markdown::inline_code(&words::experiment_verdict_sentence(
                    *verdict, e, variant,
                )),
            });
        }
        for f in &r.effects {
            rows.push(EffectRow {
                metric: Ref {
                    href: super::metric_href(root, &f.metric),
                    label: f.metric.clone(),
                },
                variant: f.variant.clone(),
                text: words::effect_text(f, &unit_of(&f.metric), "–"),
            });
            if let (Some(estimate), Some(low), Some(high)) =
                (f.relative, f.relative_low, f.relative_high)
            {
                let several = r.verdicts.len() > 1;
                forest_rows.push(ForestRow {
                    label: if several {
                        format!("{} ({})", f.metric, f.variant)
                    } else {
                        f.metric.clone()
                    },
                    estimate: estimate * 100.0,
                    low: low * 100.0,
                    high: high * 100.0,
                    higher_is_better: ctx
                        .model
                        .metric(&f.metric)
                        .is_none_or(|m| m.direction == Direction::Higher),
                });
            }
        }
        warnings = r
            .warnings(ctx.model)
            .iter()
            .map(|w| markdown::inline_code(w))
            .collect();
    }
    ExperimentPage {
        page: ctx.layout(root, &e.title, "experiments"),
        description: e.description.as_deref().map(markdown::render),
        tests: Ref {
            href: link.map_or_else(String::new, |l| link_href(root, l)),
            label: format!("{} → {}", e.tests.from, e.tests.to),
        },
        from: ctx.metric_ref(root, &e.tests.from),
        to: ctx.metric_ref(root, &e.tests.to),
        facts,
        has_data: ctx.has_data,
        ran: result.is_some(),
        variants,
        left_out,
        srm_badge,
        srm_sentence,
        verdicts,
        forest: chart::forest(
            &format!("Relative difference of each metric in {}", e.title),
            "relative difference against the control, %",
            &forest_rows,
        ),
        rows,
        warnings,
        sql: sql.section(root, super::SqlQuery::Experiment(e)),
        location: e.location.to_string(),
        definition: ctx.definition(&e.location),
    }
}
