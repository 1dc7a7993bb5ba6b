//! A plan run on a database: each step's rows decoded once and gathered
//! into the report.

use std::time::{Duration, Instant};

use super::cell::ColumnKind;
use super::db::Database;
use super::decode::{lags, link_result, pairs, points};
use super::experiments;
use super::experiments::ExperimentResult;
use super::plan::StepKind;
use super::plan::{Plan, Step};
use super::read::{
    cell, fetch, fetch_all, fetch_keyed, group_by_key, link_rows, without_key, word,
};
use super::types::{LinkResult, MetricResult, Point, Report, RunError, RunOptions, TargetResult};
use crate::model::Model;
use crate::sql::results::{
    position, EffectColumn, EnrolmentColumn, LagColumn, LinkColumn, PairColumn, SeriesColumn,
    TargetColumn,
};
use crate::sql::{self};

/// Runs the plan on `db`, calling `progress` after each query with the
/// time it took. When the database refuses the first temporary table (a
/// PostgreSQL role without `TEMP`), the run falls back to the standalone
/// queries and says so in `Report::notes`.
pub fn execute<'m>(
    model: &'m Model,
    db: &mut Database,
    database: &str,
    plan: &Plan<'m>,
    progress: &mut dyn FnMut(&Step, Duration),
) -> Result<Report<'m>, RunError> {
    if let (Some(_), Some(first)) = (&plan.kept, plan.steps.first()) {
        let started = Instant::now();
        if let Err(message) = db.execute_batch(&first.sql) {
            let options = RunOptions {
                standalone: true,
                ..plan.options.clone()
            };
            let standalone = super::plan::plan(model, plan.dialect, options)?;
            let mut report = run_steps(
                model,
                db,
                database,
                &standalone,
                &standalone.steps,
                progress,
            )?;
            report.notes.push(format!(
                "cpic could not create a temporary table on {database} ({}), so it ran the standalone queries one by one (slower); grant TEMP on the database to make runs cost one scan per source",
                message.lines().next().unwrap_or_default()
            ));
            return Ok(report);
        }
        progress(first, started.elapsed());
        return run_steps(model, db, database, plan, &plan.steps[1..], progress);
    }
    run_steps(model, db, database, plan, &plan.steps, progress)
}

/// Runs `steps` of `plan` and builds the report.
fn run_steps<'m>(
    model: &'m Model,
    db: &mut Database,
    database: &str,
    plan: &Plan<'m>,
    steps: &[Step],
    progress: &mut dyn FnMut(&Step, Duration),
) -> Result<Report<'m>, RunError> {
    let dialect = plan.dialect;
    let mut series: std::collections::BTreeMap<String, Vec<Point>> = Default::default();
    // Each tested link's result by its index in the model: in the model's
    // order at the end, whichever queries computed them.
    let mut links: std::collections::BTreeMap<usize, LinkResult> = Default::default();
    let mut targets: std::collections::BTreeMap<String, TargetResult> = Default::default();
    let mut experiments: std::collections::BTreeMap<usize, ExperimentResult> = Default::default();
    let fail = |step: &Step, message: String| RunError::Query {
        what: step.what.clone(),
        database: database.to_string(),
        message,
    };
    let kept = || {
        plan.kept
            .as_ref()
            .expect("a kept step of a plan that keeps")
    };
    for step in steps {
        let started = Instant::now();
        match &step.kind {
            StepKind::Statement => db.execute_batch(&step.sql).map_err(|e| fail(step, e))?,
            StepKind::Scan(names) => {
                let mut columns = vec![(SeriesColumn::Period.name(), ColumnKind::Text)];
                columns.extend(names.iter().map(|n| (n.as_str(), ColumnKind::Number)));
                let rows = fetch(db, &step.sql, dialect, &columns).map_err(|e| fail(step, e))?;
                for (i, name) in names.iter().enumerate() {
                    series.insert(name.clone(), points(&rows, i + 1));
                }
            }
            StepKind::Series(name) => {
                let rows =
                    fetch_all::<SeriesColumn>(db, &step.sql, dialect).map_err(|e| fail(step, e))?;
                series.insert(name.clone(), points(&rows, position(SeriesColumn::Value)));
            }
            StepKind::KeptSeries => {
                let rows = fetch_keyed::<SeriesColumn>(db, &step.sql, dialect, sql::kept::KEY)
                    .map_err(|e| fail(step, e))?;
                for (key, group) in group_by_key(&rows) {
                    let s = key.and_then(|k| kept().series(k)).ok_or_else(|| {
                        fail(step, "the query returned a row of no series".into())
                    })?;
                    let rows = without_key(group);
                    series.insert(
                        s.metric.clone(),
                        points(&rows, position(SeriesColumn::Value)),
                    );
                }
            }
            StepKind::Evidence(link) => {
                for (i, rows) in
                    link_rows::<LinkColumn>(db, &step.sql, dialect, *link, plan.kept.as_ref())
                        .map_err(|e| fail(step, e))?
                {
                    let result = link_result(&model.links[i], &rows).map_err(|e| fail(step, e))?;
                    links.insert(i, result);
                }
            }
            StepKind::Pairs(link) => {
                for (i, rows) in
                    link_rows::<PairColumn>(db, &step.sql, dialect, *link, plan.kept.as_ref())
                        .map_err(|e| fail(step, e))?
                {
                    if let Some(link) = links.get_mut(&i) {
                        link.pairs = pairs(&rows);
                    }
                }
            }
            StepKind::Lags(link) => {
                for (i, rows) in
                    link_rows::<LagColumn>(db, &step.sql, dialect, *link, plan.kept.as_ref())
                        .map_err(|e| fail(step, e))?
                {
                    if let Some(link) = links.get_mut(&i) {
                        link.lags = lags(&rows);
                    }
                }
            }
            StepKind::Targets => {
                let rows =
                    fetch_all::<TargetColumn>(db, &step.sql, dialect).map_err(|e| fail(step, e))?;
                for r in rows {
                    let (Some(metric), Some(low), Some(high)) = (
                        cell(&r, TargetColumn::Metric).text(),
                        cell(&r, TargetColumn::Low).number(),
                        cell(&r, TargetColumn::High).number(),
                    ) else {
                        continue;
                    };
                    let status = cell(&r, TargetColumn::Status);
                    if status.text().is_none() {
                        continue;
                    }
                    let status = word(status, "target status").map_err(|e| fail(step, e))?;
                    // Engines spell a true boolean as text in their own way.
                    let good = matches!(
                        cell(&r, TargetColumn::Good).text(),
                        Some("true" | "1" | "t")
                    );
                    targets.insert(
                        metric.to_string(),
                        TargetResult {
                            low,
                            high,
                            status,
                            good,
                        },
                    );
                }
            }
            StepKind::Enrolment(i) => {
                let rows = fetch_all::<EnrolmentColumn>(db, &step.sql, dialect)
                    .map_err(|e| fail(step, e))?;
                experiments.insert(*i, experiments::enrolment(&model.experiments[*i], &rows));
            }
            StepKind::Effects(i) => {
                let rows =
                    fetch_all::<EffectColumn>(db, &step.sql, dialect).map_err(|e| fail(step, e))?;
                if let Some(result) = experiments.get_mut(i) {
                    experiments::add_effects(result, &rows).map_err(|e| fail(step, e))?;
                }
            }
        }
        progress(step, started.elapsed());
    }
    let links: Vec<LinkResult> = links.into_values().collect();
    let experiments: Vec<ExperimentResult> = experiments.into_values().collect();
    let today = plan.options.today;
    let mut metrics: Vec<MetricResult> = model
        .metrics
        .iter()
        .filter(|m| plan.wanted.contains(m.name.as_str()))
        .map(|m| {
            let points = series.remove(&m.name).unwrap_or_default();
            let latest = points
                .iter()
                .rfind(|p| crate::period::is_complete(m.grain, p.period, today))
                .copied();
            let previous = latest.and_then(|l| {
                let before = m.grain.add(l.period, -1);
                points.iter().find(|p| p.period == before).copied()
            });
            MetricResult {
                metric: m,
                series: points,
                latest,
                previous,
                target: targets.remove(&m.name),
            }
        })
        .collect();
    metrics.sort_by_key(|r| {
        (
            r.metric.kind != crate::model::MetricKind::Cpi,
            r.metric.name.clone(),
        )
    });
    Ok(Report {
        model,
        database: database.to_string(),
        today,
        since: plan.options.since,
        metrics,
        links,
        experiments,
        notes: Vec::new(),
        expectations: None,
    })
}
