//! The run plan (series kept in temporary tables) against the standalone
//! queries: one run of each by the library, and every number of two
//! reports compared.

use std::path::Path;

use cpic::date::Date;
use cpic::model::Model;

use super::loaded::assert_close as close;

/// A run by the library, with the pairs and lag profiles the docs use: by
/// the run plan (series kept in temporary tables, every link of a grain in
/// one query) or by the standalone queries of `cpic sql` one by one.
pub fn library_run<'m>(
    model: &'m Model,
    root: &Path,
    url: &cpic::run::db::DatabaseUrl,
    today: Date,
    standalone: bool,
) -> cpic::run::Report<'m> {
    use cpic::run::{execute, plan, RunOptions};
    let options = RunOptions {
        metrics: Vec::new(),
        since: None,
        today,
        pairs: true,
        standalone,
        experiments: Vec::new(),
    };
    let plan = plan(model, url.dialect(), options).expect("a plan");
    assert_eq!(plan.keeps_series(), !standalone);
    let mut db = cpic::run::db::Database::open(url, root).expect("the database opens");
    if let Some(init) = &model.project.database_init {
        let sql = std::fs::read_to_string(root.join(init)).expect("the init file");
        db.execute_batch(&sql).expect("the init file runs");
    }
    let report = execute(model, &mut db, "test", &plan, &mut |_, _| {}).expect("the run succeeds");
    assert!(report.notes.is_empty(), "{:?}", report.notes);
    report
}

/// Two reports agree number for number (to 1e-9: sums may add in another
/// order), with the same periods, words, pairs and lag profiles.
pub fn assert_same_results(a: &cpic::run::Report, b: &cpic::run::Report, what: &str) {
    assert_eq!(a.metrics.len(), b.metrics.len(), "{what}: metrics");
    for (x, y) in a.metrics.iter().zip(&b.metrics) {
        let name = format!("{what}: {}", x.metric.name);
        assert_eq!(x.metric.name, y.metric.name);
        assert_eq!(x.series.len(), y.series.len(), "{name}: periods");
        for (p, q) in x
            .series
            .iter()
            .chain(&x.latest)
            .zip(y.series.iter().chain(&y.latest))
        {
            assert_eq!(p.period, q.period, "{name}");
            close(
                &format!("{name} at {}", p.period),
                Some(p.value),
                Some(q.value),
            );
        }
        assert_eq!(x.target, y.target, "{name}: target");
        assert_eq!(
            x.previous.map(|p| p.period),
            y.previous.map(|p| p.period),
            "{name}"
        );
    }
    let same_evidence = |what: &str, e: &cpic::run::Evidence, f: &cpic::run::Evidence| {
        assert_eq!((e.n, e.m, e.verdict), (f.n, f.m, f.verdict), "{what}");
        for (key, g, w) in [
            ("r", e.r, f.r),
            ("r_diff", e.r_diff, f.r_diff),
            ("rho_from", e.rho_from, f.rho_from),
            ("rho_to", e.rho_to, f.rho_to),
            ("n_eff", e.n_eff, f.n_eff),
            ("z", e.z, f.z),
            ("p", e.p, f.p),
            ("effect", e.effect, f.effect),
            ("effect_low", e.effect_low, f.effect_low),
            ("effect_high", e.effect_high, f.effect_high),
        ] {
            close(&format!("{what}: {key}"), g, w);
        }
    };
    assert_eq!(a.links.len(), b.links.len(), "{what}: links");
    for (x, y) in a.links.iter().zip(&b.links) {
        let name = format!("{what}: {} -> {}", x.link.from, x.link.to);
        assert_eq!(
            (&x.link.from, &x.link.to),
            (&y.link.from, &y.link.to),
            "{name}: the same link"
        );
        same_evidence(&name, &x.evidence, &y.evidence);
        assert_eq!(x.segments.len(), y.segments.len(), "{name}: segments");
        for (s, t) in x.segments.iter().zip(&y.segments) {
            assert_eq!(s.segment, t.segment, "{name}");
            same_evidence(
                &format!("{name} in {}", s.segment),
                &s.evidence,
                &t.evidence,
            );
            close(
                &format!("{name} in {}", s.segment),
                s.p_adjusted,
                t.p_adjusted,
            );
        }
        assert_eq!(x.pairs.len(), y.pairs.len(), "{name}: pairs");
        for (p, q) in x.pairs.iter().zip(&y.pairs) {
            assert_eq!(p.period, q.period, "{name}");
            close(&name, Some(p.x), Some(q.x));
            close(&name, Some(p.y), Some(q.y));
            close(&name, p.change.map(|c| c.0), q.change.map(|c| c.0));
            close(&name, p.change.map(|c| c.1), q.change.map(|c| c.1));
        }
        assert_eq!(x.lags.len(), y.lags.len(), "{name}: lags");
        for (p, q) in x.lags.iter().zip(&y.lags) {
            assert_eq!((p.0, p.1), (q.0, q.1), "{name}: lag");
            close(&format!("{name} at lag {}", p.0), p.2, q.2);
        }
    }
}
