//! A link's evidence in words a CX lead reads without statistics: the
//! effect per unit of the CPI, in the better direction of the CPI, with its
//! interval; the verdict in a sentence. The table of `cpic run` and the
//! docs site both say it this way.

use super::Evidence;
use crate::model::{Direction, Link, Metric};
use crate::sql::results::Verdict;
use crate::units::{format_change, Unit};
use crate::words::{count, lag_later, one_unit_of_change};

/// The effect as a step of one unit of FROM in its better direction:
/// (`1 s less` or `1 pp more`, the effect per step, its interval). A step
/// down turns the slope's sign and swaps the interval's ends.
pub fn per_better_step(from: &Metric, effect: f64, low: f64, high: f64) -> (String, f64, f64, f64) {
    let one = one_unit_of_change(&from.unit).unwrap_or_else(|| "1".to_string());
    match from.direction {
        Direction::Higher => (format!("{one} more"), effect, low, high),
        Direction::Lower => (format!("{one} less"), -effect, -high, -low),
    }
}

/// "each 1 s less → +0.12 pp bind_rate 1 week later (95% CI +0.05 ..
/// +0.19)", TO named by `to_label`; None without an effect.
pub fn effect_sentence(
    link: &Link,
    from: &Metric,
    to: (&Metric, &str),
    e: &Evidence,
) -> Option<String> {
    let (to, to_label) = to;
    let effect = e.effect?;
    let (low, high) = (
        e.effect_low.unwrap_or(effect),
        e.effect_high.unwrap_or(effect),
    );
    let (step, effect, low, high) = per_better_step(from, effect, low, high);
    let interval = match (e.effect_low, e.effect_high) {
        (Some(_), Some(_)) => format!(
            " (95% CI {} .. {})",
            format_change(low, &Unit::Dimensionless),
            format_change(high, &Unit::Dimensionless)
        ),
        _ => String::new(),
    };
    Some(format!(
        "each {step} → {} {} {}{interval}",
        format_change(effect, &to.unit),
        to_label,
        lag_later(link.lag, link.grain)
    ))
}

/// What a verdict means, in one sentence.
pub fn verdict_sentence(verdict: Verdict, link: &Link) -> String {
    match verdict {
        Verdict::Supports => "Period to period, the two moved together in the expected direction more than chance explains (one-sided test at 5%).".to_string(),
        Verdict::Contradicts => "Period to period, the two moved together in the opposite direction to the hypothesis, more than chance explains.".to_string(),
        Verdict::Inconclusive => "What the data show could be chance: no conclusion either way yet.".to_string(),
        Verdict::TooFewPeriods => format!(
            "Fewer than {} pairs of complete periods (the link's min_periods): too few to judge.",
            link.min_periods
        ),
    }
}

/// The evidence explained step by step for a reader who is not a
/// statistician: what was compared, why changes, what the effective number
/// means, what the p says, and that association is not proof.
pub fn explanation(link: &Link, from: &Metric, to: &Metric, e: &Evidence) -> Vec<String> {
    let grain = link.grain.name();
    let mut paragraphs = vec![format!(
        "cpic paired each {grain} of {} with {} {}: {} pairs of {grain}s that have ended.",
        from.title,
        to.title,
        lag_later(link.lag, link.grain),
        e.n
    )];
    let seasonal = crate::sql::evidence::Season::of(link.grain)
        .filter(|s| e.m >= s.min_differences)
        .map_or(String::new(), |_| {
            ", after taking out the change usual for that time of year".to_string()
        });
    paragraphs.push(format!(
        "Two numbers that both drift over time look related even when neither moves the other. So cpic does not compare the levels: it compares how each changed from one {grain} to the next ({} changes{seasonal}) and asks whether the changes move together.",
        e.m
    ));
    if let Some(n_eff) = e.n_eff {
        paragraphs.push(format!(
            "Changes that follow on from each other carry less information than independent ones: taken together, these {} changes count as {n_eff:.1} independent observations.",
            e.m
        ));
    }
    if let (Some(r), Some(p)) = (e.r_diff, e.p) {
        let strength = match r.abs() {
            a if a >= 0.5 => "strongly",
            a if a >= 0.3 => "moderately",
            a if a >= 0.1 => "weakly",
            _ => "hardly at all",
        };
        let follows = if r >= 0.0 { "rise" } else { "fall" };
        let p_text = if p < 0.001 {
            "p < 0.001".to_string()
        } else {
            format!("p = {p:.3}")
        };
        paragraphs.push(format!(
            "When {} rose, {} tended to {follows} {}: {strength} (correlation of the changes {r:.2}). Were the two unrelated, changes would line up this well in the direction the link expects in {} of cases ({p_text}).",
            from.title,
            to.title,
            lag_later(link.lag, link.grain),
            percent_of_cases(p)
        ));
    }
    paragraphs.push(match (&link.experiment, link.status) {
        (Some(experiment), crate::model::LinkStatus::Confirmed) => format!(
            "This is association in time; the link's proof is its experiment: {experiment}."
        ),
        _ => "This is association in time, not proof that one causes the other: a controlled experiment that changes the CPI for some customers and not for others is the proof.".to_string(),
    });
    paragraphs
}

/// `3%`, `less than 0.1%`, `12%`.
fn percent_of_cases(p: f64) -> String {
    let percent = 100.0 * p;
    if percent < 0.1 {
        "less than 0.1%".to_string()
    } else if percent < 1.0 {
        format!("{percent:.1}%")
    } else {
        format!("{percent:.0}%")
    }
}

/// What reaching FROM's target would mean for TO by the effect and its
/// interval: "Moving Time to a firm quote from 52 s into 30 s .. 45 s goes
/// with +0.8 to +2.9 pp Bind rate 1 week later, if the association holds."
/// None when FROM has no latest value outside an active target, or the
/// link no effect interval.
pub fn target_implication(
    link: &Link,
    from: &Metric,
    to: &Metric,
    latest: f64,
    target: &crate::model::Target,
    e: &Evidence,
) -> Option<String> {
    let (low, high) = (e.effect_low?, e.effect_high?);
    let moves = [target.low - latest, target.high - latest];
    if target.low <= latest && latest <= target.high {
        return None;
    }
    let outcomes: Vec<f64> = moves.iter().flat_map(|dx| [low * dx, high * dx]).collect();
    let least = outcomes.iter().copied().fold(f64::INFINITY, f64::min);
    let most = outcomes.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let proven = link.status == crate::model::LinkStatus::Confirmed && link.experiment.is_some();
    let (verb, condition) = if proven {
        ("is expected to bring", "")
    } else {
        ("goes with", ", if the association holds")
    };
    Some(format!(
        "Moving {} from {} into {} .. {} {verb} {} to {} {} {}{condition}.",
        from.title,
        crate::units::format_value(latest, &from.unit),
        crate::units::format_value(target.low, &from.unit),
        crate::units::format_value(target.high, &from.unit),
        format_change(least, &to.unit),
        format_change(most, &to.unit),
        to.title,
        lag_later(link.lag, link.grain),
    ))
}

/// What an experiment's verdict for one treatment means, in one sentence
/// for a reader who is not a statistician.
pub fn experiment_verdict_sentence(
    verdict: crate::sql::results::ExperimentVerdict,
    e: &crate::model::Experiment,
    variant: &str,
) -> String {
    use crate::sql::results::ExperimentVerdict as V;
    let (cpi, kpi, control) = (&e.tests.from, &e.tests.to, &e.control);
    match verdict {
        V::Confirmed => format!(
            "Against `{control}`, `{variant}` improved {cpi} and {kpi} more than chance explains (95% intervals on the better side of zero): the experiment confirms that {cpi} moves {kpi}."
        ),
        V::Contradicted => format!(
            "`{variant}` improved {cpi} against `{control}`, but {kpi} got worse, more than chance explains: the experiment contradicts the link."
        ),
        V::NotConfirmed => format!(
            "`{variant}` improved {cpi} against `{control}`, but {kpi}'s change could be chance (its 95% interval holds zero): the link is not confirmed."
        ),
        V::CpiUnchanged => format!(
            "`{variant}` did not improve {cpi} against `{control}` beyond chance, so it does not test whether {cpi} moves {kpi}."
        ),
        V::SampleRatioMismatch => format!(
            "The units enrolled are off the planned split (sample-ratio p below {}): assignment or logging went wrong, so no verdict is given until that is fixed.",
            crate::sql::results::SRM_ALPHA
        ),
    }
}

/// An experiment's effect as people read it, in the metric's unit: the
/// same words in the report and on the site.
pub struct EffectText {
    pub control: String,
    pub value: String,
    pub difference: String,
    /// `low .. high`.
    pub interval: String,
    /// `+12.3% (+4.5% .. +20.1%)`.
    pub relative: String,
    pub p: String,
}

/// [`EffectText`] of `f`, with `dash` for what does not exist.
pub fn effect_text(f: &super::Effect, unit: &crate::units::Unit, dash: &str) -> EffectText {
    use crate::units::{format_change, format_value};
    let dash = || dash.to_string();
    let value = |v: Option<f64>| v.map_or_else(dash, |v| format_value(v, unit));
    let change = |v: Option<f64>| v.map_or_else(dash, |v| format_change(v, unit));
    let percent = |v: Option<f64>| v.map_or_else(dash, |v| format!("{:+.1}%", v * 100.0));
    EffectText {
        control: value(f.control_value),
        value: value(f.value),
        difference: change(f.difference),
        interval: match (f.low, f.high) {
            (Some(_), Some(_)) => format!("{} .. {}", change(f.low), change(f.high)),
            _ => dash(),
        },
        relative: match (f.relative_low, f.relative_high) {
            (Some(_), Some(_)) => format!(
                "{} ({} .. {})",
                percent(f.relative),
                percent(f.relative_low),
                percent(f.relative_high)
            ),
            _ => percent(f.relative),
        },
        p: f.p.map_or_else(dash, p_text),
    }
}

/// A p-value as the report and the site print it.
pub fn p_text(p: f64) -> String {
    if p < 0.001 {
        "<0.001".to_string()
    } else {
        format!("{p:.3}")
    }
}

/// A length of time in the largest whole unit: "28 days", "36 hours".
pub(crate) fn duration_phrase(seconds: f64) -> String {
    let (n, unit) = [(86_400.0, "day"), (3_600.0, "hour"), (60.0, "minute")]
        .into_iter()
        .find(|(size, _)| seconds % size == 0.0)
        .map_or((seconds, "second"), |(size, unit)| (seconds / size, unit));
    count(n, unit)
}

/// What a metric's window, snapshot, fill, `prior` and `followed_by` mean
/// for it, in words (the docs' metric page), as (fact, sentence).
pub fn period_kinds(m: &Metric) -> Vec<(&'static str, String)> {
    use crate::model::{Snapshot, TExprKind, Window};
    let grain = m.grain.name();
    let mut out = Vec::new();
    if let Some(window) = m.window {
        let text = match window {
            Window::Duration { seconds } => format!(
                "each {grain}'s value is computed over the rows of the {} up to the end of the {grain}",
                duration_phrase(seconds)
            ),
            Window::Months { months } => format!(
                "each {grain}'s value is computed over the rows of the {} up to the end of the {grain}",
                match months {
                    1 => "month".to_string(),
                    n => format!("{n} months"),
                }
            ),
            Window::ToDate { grain: unit } => format!(
                "each {grain}'s value is computed over the rows from the start of its {} up to the end of the {grain} ({} to date)",
                unit.name(),
                unit.name()
            ),
            Window::All => format!(
                "each {grain}'s value is computed over every row up to the end of the {grain} (a running total)"
            ),
        } + &format!("; every {grain} from the first to the last with rows has a value, even one without rows of its own");
        out.push(("Window", text));
    }
    if let Some(snapshot) = m.snapshot {
        let edge = match snapshot {
            Snapshot::Last => "latest",
            Snapshot::First => "earliest",
        };
        out.push((
            "Snapshot",
            format!(
                "a level, not a total: each {grain} reads only its rows at the {edge} time among them (per dimension value when broken down)"
            ),
        ));
    }
    if let Some(fill) = m.fill {
        out.push((
            "Fill",
            format!(
                "a {grain} without a value between the first and the last {grain} with one counts as {}",
                crate::units::format_value(fill, &m.unit)
            ),
        ));
    }
    let exprs = m.measure.exprs();
    let mut seen = Vec::new();
    for e in exprs {
        e.walk(&mut |node| {
            let text = match &node.kind {
                TExprKind::Prior { metric, periods } => format!(
                    "compares with `{metric}` {}",
                    match periods {
                        1 => format!("one {grain} earlier"),
                        n => format!("{n} {grain}s earlier"),
                    }
                ),
                TExprKind::FollowedBy {
                    source,
                    column,
                    within,
                    filter,
                    ..
                } => format!(
                    "a row counts as followed when source `{source}` has a row{} with the same `{column}` within {} after it (both ends included)",
                    if filter.is_some() { " passing its condition" } else { "" },
                    duration_phrase(*within)
                ),
                _ => return,
            };
            if !seen.contains(&text) {
                seen.push(text);
            }
        });
    }
    for text in seen {
        let label = if text.starts_with("compares") {
            "Prior period"
        } else {
            "Conversion"
        };
        out.push((label, text));
    }
    out
}
