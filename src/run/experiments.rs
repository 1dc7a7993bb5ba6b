//! An experiment's results, read from its enrolment and effects queries
//! (LANGUAGE.md section 11), and what the run says about them.

use super::cell::Cell;
use crate::keyword::Keyword;
use crate::model::{Experiment, LinkStatus, Model};
use crate::sql::results::{position, EffectColumn, EnrolmentColumn, ExperimentVerdict};

/// Enrolled units of one variant.
#[derive(Clone, Debug)]
pub struct VariantUnits {
    pub variant: String,
    pub units: i64,
    /// What `split` expects of it; None when `split` lists another number
    /// of shares than variants were found.
    pub expected: Option<f64>,
}

/// One analysed metric in one treatment, against the control.
#[derive(Clone, Debug)]
pub struct Effect {
    pub metric: String,
    pub variant: String,
    pub control_value: Option<f64>,
    pub value: Option<f64>,
    pub difference: Option<f64>,
    pub low: Option<f64>,
    pub high: Option<f64>,
    pub p: Option<f64>,
    pub relative: Option<f64>,
    pub relative_low: Option<f64>,
    pub relative_high: Option<f64>,
}

/// Everything a run computed of one experiment.
#[derive(Clone, Debug)]
pub struct ExperimentResult<'m> {
    pub experiment: &'m Experiment,
    /// Every variant found, and the control; in sorted order.
    pub variants: Vec<VariantUnits>,
    /// Units assigned to more than one variant.
    pub left_out: i64,
    pub chi_squared: Option<f64>,
    pub srm_p: Option<f64>,
    /// Per analysed metric (the link's two ends, then the guardrails),
    /// per treatment.
    pub effects: Vec<Effect>,
    /// Per treatment.
    pub verdicts: Vec<(String, ExperimentVerdict)>,
}

impl ExperimentResult<'_> {
    /// Whether a treatment confirmed the link.
    pub fn confirmed(&self) -> bool {
        self.verdicts
            .iter()
            .any(|(_, v)| *v == ExperimentVerdict::Confirmed)
    }

    /// What the run warns about this experiment, one sentence each: a
    /// `split` that does not fit the variants found, a control without
    /// units, and a link declared `confirmed` that the experiment did not
    /// confirm.
    pub fn warnings(&self, model: &Model) -> Vec<String> {
        let e = self.experiment;
        let mut warnings = Vec::new();
        if let Some(split) = &e.split {
            if split.len() != self.variants.len() {
                let names: Vec<&str> = self.variants.iter().map(|v| v.variant.as_str()).collect();
                warnings.push(format!(
                    "experiment `{}`: `split` lists {} shares but {} variants were found ({}), so there is no sample-ratio check",
                    e.name,
                    split.len(),
                    self.variants.len(),
                    names.join(", ")
                ));
            }
        }
        if self
            .variants
            .iter()
            .any(|v| v.variant == e.control && v.units == 0)
        {
            warnings.push(format!(
                "experiment `{}`: no unit was enrolled in the control `{}` between {} and {}",
                e.name, e.control, e.from, e.until
            ));
        }
        let declared_confirmed = model.link(&e.tests.from, &e.tests.to).is_some_and(|l| {
            l.status == LinkStatus::Confirmed
                && l.experiment_item.as_deref() == Some(e.name.as_str())
        });
        if declared_confirmed && !self.confirmed() {
            let verdicts: Vec<String> = self
                .verdicts
                .iter()
                .map(|(v, verdict)| format!("{v}: {verdict}"))
                .collect();
            warnings.push(format!(
                "link {} -> {} is declared `confirmed`, but its experiment `{}` did not confirm it ({})",
                e.tests.from,
                e.tests.to,
                e.name,
                if verdicts.is_empty() {
                    "no treatment".to_string()
                } else {
                    verdicts.join("; ")
                }
            ));
        }
        warnings
    }
}

fn column<C: Keyword + PartialEq>(row: &[Cell], c: C) -> &Cell {
    &row[position(c)]
}

/// An experiment's result from the rows of its enrolment query
/// (`EnrolmentColumn`); the effects are added by [`add_effects`].
pub fn enrolment<'m>(e: &'m Experiment, rows: &[Vec<Cell>]) -> ExperimentResult<'m> {
    let first = rows.first();
    let number = |c: EnrolmentColumn| first.and_then(|r| column(r, c).number());
    ExperimentResult {
        experiment: e,
        variants: rows
            .iter()
            .map(|r| VariantUnits {
                variant: column(r, EnrolmentColumn::Variant)
                    .text()
                    .unwrap_or_default()
                    .to_string(),
                units: column(r, EnrolmentColumn::Units)
                    .number()
                    .map_or(0, |n| n.round() as i64),
                expected: column(r, EnrolmentColumn::Expected).number(),
            })
            .collect(),
        left_out: number(EnrolmentColumn::LeftOut).map_or(0, |n| n.round() as i64),
        chi_squared: number(EnrolmentColumn::ChiSquared),
        srm_p: number(EnrolmentColumn::SrmP),
        effects: Vec::new(),
        verdicts: Vec::new(),
    }
}

/// Adds the rows of the effects query (`EffectColumn`).
pub fn add_effects(result: &mut ExperimentResult, rows: &[Vec<Cell>]) -> Result<(), String> {
    for r in rows {
        let text = |c| column(r, c).text().unwrap_or_default().to_string();
        let number = |c| column(r, c).number();
        let effect = Effect {
            metric: text(EffectColumn::Metric),
            variant: text(EffectColumn::Variant),
            control_value: number(EffectColumn::ControlValue),
            value: number(EffectColumn::Value),
            difference: number(EffectColumn::Difference),
            low: number(EffectColumn::Low),
            high: number(EffectColumn::High),
            p: number(EffectColumn::P),
            relative: number(EffectColumn::Relative),
            relative_low: number(EffectColumn::RelativeLow),
            relative_high: number(EffectColumn::RelativeHigh),
        };
        if !result.verdicts.iter().any(|(v, _)| *v == effect.variant) {
            let verdict =
                super::read::word(column(r, EffectColumn::Verdict), "experiment verdict")?;
            result.verdicts.push((effect.variant.clone(), verdict));
        }
        result.effects.push(effect);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = r#"
team t { name: "T" }
source s { table: "s" time: at columns { u: text  at: date  ok: bool } }
source a { table: "a" time: at columns { u: text  at: date  arm: text } }
cpi c { title: "C" outcome: "o" owner: t unit: % direction: higher tier: core
  evidence: contextual_inquiry "v" source: s measure: avg(ok) grain: week }
kpi k { title: "K" owner: t unit: % direction: higher source: s measure: avg(ok) grain: week }
link c -> k { hypothesis: "h" status: confirmed experiment: x }
experiment x { title: "X" owner: t tests: c -> k assignments: a unit: u variant: arm
  control: "a" split: 50% 50% from: 2026-04-01 until: 2026-04-28 }
"#;

    fn model() -> Model {
        let mut db = crate::source::SourceDb::new();
        db.add("x.cpi", SPEC);
        let options = crate::Options {
            today: crate::date::Date::parse("2026-06-01").expect("a date"),
        };
        crate::compile(&db, &options).model.expect("checks")
    }

    fn result<'m>(
        model: &'m Model,
        units: &[(&str, i64)],
        verdict: ExperimentVerdict,
    ) -> ExperimentResult<'m> {
        ExperimentResult {
            experiment: model.experiment("x").expect("x"),
            variants: units
                .iter()
                .map(|(v, n)| VariantUnits {
                    variant: v.to_string(),
                    units: *n,
                    expected: None,
                })
                .collect(),
            left_out: 0,
            chi_squared: None,
            srm_p: None,
            effects: Vec::new(),
            verdicts: vec![("b".to_string(), verdict)],
        }
    }

    #[test]
    fn the_run_warns_about_an_unconfirmed_link_a_misfit_split_and_an_empty_control() {
        let model = model();
        let fine = result(
            &model,
            &[("a", 10), ("b", 12)],
            ExperimentVerdict::Confirmed,
        );
        assert!(fine.warnings(&model).is_empty());
        let unconfirmed = result(
            &model,
            &[("a", 10), ("b", 12)],
            ExperimentVerdict::NotConfirmed,
        );
        assert_eq!(
            unconfirmed.warnings(&model),
            ["link c -> k is declared `confirmed`, but its experiment `x` did not confirm it (b: not_confirmed)"]
        );
        let misfit = result(
            &model,
            &[("a", 0), ("b", 12), ("c", 3)],
            ExperimentVerdict::Confirmed,
        );
        assert_eq!(
            misfit.warnings(&model),
            [
                "experiment `x`: `split` lists 2 shares but 3 variants were found (a, b, c), so there is no sample-ratio check",
                "experiment `x`: no unit was enrolled in the control `a` between 2026-04-01 and 2026-04-28",
            ]
        );
    }
}
