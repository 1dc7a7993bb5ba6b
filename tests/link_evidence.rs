//! The link evidence query of every dialect that runs here (DuckDB, SQLite,
//! PostgreSQL, Spark) against the Rust reference of LANGUAGE.md section 9
//! (`common/section9.rs`): every number to 1e-9 relative (p to 1e-7, the
//! accuracy of the SQL's Φ), every verdict exactly, pooled and per segment.
//!
//! The fixtures are small links on one table, one per situation section 9
//! names: trends, gaps, an incomplete last period, seasonal adjustment at
//! month and quarter grain (and its absence below the count), constant
//! series, `expect: worsens`, lags in calendar units, a perfect
//! correlation, and segments, one of them with too few periods and one
//! with a hostile value. The expected numbers come from the rows the test
//! writes, not from anything cpic computes.

mod common;

use std::collections::BTreeMap;

use common::engines::{self, assert_same, close, close_p, select, Engine, Kind};
use common::plans;
use common::section9::{self, Evidence};
use cpic::date::Date;
use cpic::model::{Grain, Model};
use cpic::random::SplitMix64;
use cpic::sql::{self, Options};

/// Every query takes this as today: the last period of each fixture has
/// begun and not ended, so it never takes part.
fn as_of() -> Date {
    Date::parse("2026-06-03").expect("a date")
}

/// A segment value no query may trip on.
const HOSTILE: &str = "it's \"q\" \\ ; DROP TABLE obs; --";

struct Row {
    at: Date,
    seg: String,
    x: Option<f64>,
    y: Option<f64>,
}

impl Row {
    /// A row of a fixture without segments.
    fn all(at: Date, x: f64, y: f64) -> Row {
        Row {
            at,
            seg: "all".into(),
            x: Some(x),
            y: Some(y),
        }
    }
}

struct Fixture {
    name: &'static str,
    grain: Grain,
    /// As written in the spec.
    lag: &'static str,
    /// In periods of the grain.
    lag_periods: i64,
    worsens: bool,
    /// Directions of FROM and TO: true for `higher`.
    higher: (bool, bool),
    min_periods: i64,
    segments: bool,
    rows: Vec<Row>,
}

impl Fixture {
    fn expected_sign(&self) -> i8 {
        let sign = |higher: bool| if higher { 1 } else { -1 };
        let directions = sign(self.higher.0) * sign(self.higher.1);
        if self.worsens {
            -directions
        } else {
            directions
        }
    }

    /// The pairs of the rows whose segment passes `keep`: sums per period
    /// (a period whose values are all NULL has none), TO `lag` later, the
    /// later period ended by [`as_of`].
    fn pairs(&self, keep: impl Fn(&str) -> bool) -> Vec<(Date, f64, f64)> {
        self.pairs_at(self.lag_periods, keep)
    }

    fn pairs_at(&self, lag: i64, keep: impl Fn(&str) -> bool) -> Vec<(Date, f64, f64)> {
        let mut sums: BTreeMap<Date, (Option<f64>, Option<f64>)> = BTreeMap::new();
        for r in self.rows.iter().filter(|r| keep(&r.seg)) {
            let entry = sums.entry(r.at).or_default();
            let add = |sum: &mut Option<f64>, v: Option<f64>| {
                if let Some(v) = v {
                    *sum = Some(sum.unwrap_or(0.0) + v);
                }
            };
            add(&mut entry.0, r.x);
            add(&mut entry.1, r.y);
        }
        sums.iter()
            .filter_map(|(&p, &(x, _))| {
                let later = self.grain.add(p, lag);
                let y = sums.get(&later)?.1?;
                (self.grain.add(later, 1) <= as_of()).then_some((p, x?, y))
            })
            .collect()
    }

    fn segment_values(&self) -> Vec<String> {
        let mut values: Vec<String> = self.rows.iter().map(|r| r.seg.clone()).collect();
        values.sort();
        values.dedup();
        values
    }
}

/// `count` periods of `grain` ending with the one holding [`as_of`].
fn periods(grain: Grain, count: i64) -> Vec<Date> {
    let last = match grain {
        Grain::Day => as_of(),
        Grain::Week => Date::parse("2026-06-01").expect("a Monday"),
        Grain::Month => Date::parse("2026-06-01").expect("a date"),
        Grain::Quarter => Date::parse("2026-04-01").expect("a date"),
        Grain::Year => Date::parse("2026-01-01").expect("a date"),
    };
    (0..count).map(|i| grain.add(last, i - count + 1)).collect()
}

fn normal(rng: &mut SplitMix64) -> f64 {
    // Box-Muller.
    let (u, v) = (rng.unit().max(1e-300), rng.unit());
    (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}

fn fixtures() -> Vec<Fixture> {
    let mut rng = SplitMix64(16);
    let mut fixtures = Vec::new();
    let base = |name, grain, lag, lag_periods| Fixture {
        name,
        grain,
        lag,
        lag_periods,
        worsens: false,
        higher: (false, true),
        min_periods: 8,
        segments: false,
        rows: Vec::new(),
    };

    // Trends in both, a lagged effect, three segments: one hostile, one
    // with too few periods.
    let mut f = base("trend", Grain::Week, "1 week", 1);
    f.segments = true;
    for (s, seg) in ["web", HOSTILE, "tiny"].into_iter().enumerate() {
        let weeks = periods(Grain::Week, if seg == "tiny" { 5 } else { 40 });
        let mut previous = 0.0;
        for (t, &at) in weeks.iter().enumerate() {
            let x = 50.0 - 0.3 * t as f64 + 2.0 * normal(&mut rng) + s as f64;
            let y = 20.0 + 0.05 * t as f64 - 0.4 * previous + normal(&mut rng);
            previous = x - 50.0;
            f.rows.push(Row {
                at,
                seg: seg.to_string(),
                x: Some(x),
                y: Some(y),
            });
        }
    }
    fixtures.push(f);

    // Gaps: weeks without FROM, a week without TO, a week with no rows.
    let mut f = base("gaps", Grain::Week, "0 weeks", 0);
    for (t, at) in periods(Grain::Week, 30).into_iter().enumerate() {
        if t == 17 {
            continue;
        }
        let x = (![5, 11, 12].contains(&t)).then(|| 10.0 + normal(&mut rng));
        let y = (t != 20).then(|| 3.0 + 0.5 * normal(&mut rng));
        f.rows.push(Row {
            at,
            seg: "all".into(),
            x,
            y,
        });
    }
    fixtures.push(f);

    // A yearly season at month grain: adjusted with 24 differences or more.
    for (name, count) in [("monthly", 40), ("monthly_short", 16)] {
        let mut f = base(name, Grain::Month, "1 month", 1);
        f.higher = (true, true);
        for (t, at) in periods(Grain::Month, count).into_iter().enumerate() {
            let season = (std::f64::consts::TAU * f64::from(at.month) / 12.0).sin();
            let x = 100.0 + 10.0 * season + normal(&mut rng) + 0.2 * t as f64;
            let y = 40.0 - 5.0 * season + normal(&mut rng);
            f.rows.push(Row::all(at, x, y));
        }
        fixtures.push(f);
    }

    // Quarters, a lag in months, a season: adjusted from 8 differences.
    let mut f = base("quarterly", Grain::Quarter, "3 months", 1);
    for at in periods(Grain::Quarter, 16) {
        let season = f64::from(at.month) / 3.0;
        let x = 60.0 + 4.0 * season + normal(&mut rng);
        let y = 10.0 + season + normal(&mut rng);
        f.rows.push(Row::all(at, x, y));
    }
    fixtures.push(f);

    // A constant FROM: no variance, no statistics, never a division.
    let mut f = base("constant", Grain::Week, "0 weeks", 0);
    for at in periods(Grain::Week, 20) {
        let y = 7.0 + normal(&mut rng);
        f.rows.push(Row {
            at,
            seg: "all".into(),
            x: Some(5.0),
            y: Some(y),
        });
    }
    fixtures.push(f);

    // `expect: worsens` at day grain, a lag in days.
    let mut f = base("worsens", Grain::Day, "2 days", 2);
    f.worsens = true;
    f.higher = (true, false);
    let mut xs = Vec::new();
    for (t, at) in periods(Grain::Day, 60).into_iter().enumerate() {
        let x = 5.0 + normal(&mut rng);
        xs.push(x);
        let y = 2.0 + if t >= 2 { 0.6 * xs[t - 2] } else { 0.0 } + 0.5 * normal(&mut rng);
        f.rows.push(Row::all(at, x, y));
    }
    fixtures.push(f);

    // Fewer pairs than min_periods.
    let mut f = base("few", Grain::Week, "0 weeks", 0);
    for at in periods(Grain::Week, 7) {
        let (x, y) = (normal(&mut rng), normal(&mut rng));
        f.rows.push(Row::all(at, x, y));
    }
    fixtures.push(f);

    // Differences 1, 2, 3 and 2, 4, 6 (exact in binary): r_diff = 1.
    let mut f = base("perfect", Grain::Week, "0 weeks", 0);
    f.min_periods = 3;
    f.higher = (true, true);
    let weeks = periods(Grain::Week, 5);
    for (at, x) in weeks.into_iter().zip([1.0, 2.0, 4.0, 7.0, 11.0]) {
        f.rows.push(Row {
            at,
            seg: "all".into(),
            x: Some(x),
            y: Some(2.0 * x),
        });
    }
    fixtures.push(f);
    fixtures
}

fn spec(fixtures: &[Fixture]) -> String {
    let mut spec = String::from(
        "team t { name: \"T\" }\nsource obs {\n  table: \"obs\"\n  time: at\n  columns { at: date  scenario: text  seg: text  x: s  y: USD }\n}\n",
    );
    let direction = |higher: bool| if higher { "higher" } else { "lower" };
    for f in fixtures {
        let dims = if f.segments { "dimensions: seg" } else { "" };
        let grain = f.grain.to_string();
        spec.push_str(&format!(
            "cpi x_{n} {{\n  title: \"X {n}\" outcome: \"o\" owner: t unit: s direction: {}\n  evidence: contextual_inquiry \"v\"\n  source: obs measure: sum(x) filter: scenario = \"{n}\" grain: {grain} {dims}\n}}\n",
            direction(f.higher.0),
            n = f.name,
        ));
        spec.push_str(&format!(
            "kpi y_{n} {{\n  title: \"Y {n}\" owner: t unit: USD direction: {}\n  source: obs measure: sum(y) filter: scenario = \"{n}\" grain: {grain} {dims}\n}}\n",
            direction(f.higher.1),
            n = f.name,
        ));
        let segments = if f.segments { "segments: seg" } else { "" };
        spec.push_str(&format!(
            "link x_{n} -> y_{n} {{ hypothesis: \"h\" lag: {} expect: {} min_periods: {} {segments} }}\n",
            f.lag,
            if f.worsens { "worsens" } else { "improves" },
            f.min_periods,
            n = f.name,
        ));
    }
    spec
}

fn model(fixtures: &[Fixture]) -> Model {
    let spec = spec(fixtures);
    let (_, compilation) = common::compile_text(&[("links.cpi", &spec)]);
    assert!(
        !compilation.has_errors(),
        "{spec}\n{:?}",
        common::codes(&compilation)
    );
    compilation.model.expect("a model")
}

/// Every fixture's rows in one table, `scenario` naming the fixture.
fn load(engine: &mut dyn Engine, fixtures: &[Fixture]) {
    let columns = [
        ("at", "date"),
        ("scenario", "text"),
        ("seg", "text"),
        ("x", "number"),
        ("y", "number"),
    ];
    let rows: Vec<Vec<Option<String>>> = fixtures
        .iter()
        .flat_map(|f| {
            f.rows.iter().map(move |r| {
                vec![
                    Some(r.at.to_string()),
                    Some(f.name.to_string()),
                    Some(r.seg.clone()),
                    r.x.map(|v| format!("{v:?}")),
                    r.y.map(|v| format!("{v:?}")),
                ]
            })
        })
        .collect();
    engines::load_table(engine, "obs", &columns, &rows);
}

const COLUMNS: [(&str, Kind); 16] = [
    ("segment", Kind::Text),
    ("n", Kind::Num),
    ("m", Kind::Num),
    ("r", Kind::Num),
    ("r_diff", Kind::Num),
    ("rho_from", Kind::Num),
    ("rho_to", Kind::Num),
    ("n_eff", Kind::Num),
    ("z", Kind::Num),
    ("p", Kind::Num),
    ("p_adjusted", Kind::Num),
    ("effect", Kind::Num),
    ("effect_low", Kind::Num),
    ("effect_high", Kind::Num),
    ("expected_sign", Kind::Num),
    ("verdict", Kind::Text),
];

/// One row of the query against the reference.
fn check_row(what: &str, row: &[engines::Val], want: &Evidence, adjusted: Option<f64>, sign: i8) {
    let num = |i: usize| row[i].num();
    assert_eq!(num(1), Some(want.n as f64), "{what}: n");
    assert_eq!(num(2), Some(want.m as f64), "{what}: m");
    let numbers = [
        ("r", 3, want.r),
        ("r_diff", 4, want.r_diff),
        ("rho_from", 5, want.rho_from),
        ("rho_to", 6, want.rho_to),
        ("n_eff", 7, want.n_eff),
        ("z", 8, want.z),
        ("effect", 11, want.effect),
        ("effect_low", 12, want.effect_low),
        ("effect_high", 13, want.effect_high),
    ];
    for (name, i, value) in numbers {
        assert_same(&format!("{what}: {name}"), num(i), value, close);
    }
    assert_same(&format!("{what}: p"), num(9), want.p, close_p);
    assert_same(&format!("{what}: p_adjusted"), num(10), adjusted, |a, b| {
        (a - b).abs() < 1e-6
    });
    assert_eq!(num(14), Some(f64::from(sign)), "{what}: expected_sign");
    assert_eq!(
        row[15].text().as_deref(),
        Some(want.verdict),
        "{what}: verdict"
    );
}

fn check(engine: &mut dyn Engine, fixtures: &[Fixture], model: &Model) {
    let dialect = engine.dialect();
    let options = Options {
        as_of: Some(as_of()),
        since: None,
    };
    let generator = sql::Generator::new(model, dialect, &options);
    let mut verdicts = std::collections::BTreeSet::new();
    for f in fixtures {
        let (from, to) = (format!("x_{}", f.name), format!("y_{}", f.name));
        let query = generator.link_evidence(&from, &to).expect("sql");
        let rows = select(engine, &query, &COLUMNS);
        let e = dialect.name();
        let sign = f.expected_sign();
        let pooled = section9::evidence(&f.pairs(|_| true), f.grain, sign, f.min_periods);
        assert_eq!(
            rows[0][0].text(),
            None,
            "{e} {}: the pooled row comes first",
            f.name
        );
        check_row(&format!("{e} {}", f.name), &rows[0], &pooled, None, sign);
        verdicts.insert(pooled.verdict);
        if !f.segments {
            assert_eq!(rows.len(), 1, "{e} {}: one row", f.name);
            continue;
        }
        let values = f.segment_values();
        let segments: Vec<Evidence> = values
            .iter()
            .map(|v| section9::evidence(&f.pairs(|s| s == v), f.grain, sign, f.min_periods))
            .collect();
        let decided = section9::segment_verdicts(&segments, f.min_periods);
        assert_eq!(
            rows.len(),
            1 + values.len(),
            "{e} {}: pooled and segments",
            f.name
        );
        for (i, value) in values.iter().enumerate() {
            let row = rows[1..]
                .iter()
                .find(|r| r[0].text().as_deref() == Some(value.as_str()))
                .unwrap_or_else(|| panic!("{e} {}: no row for segment {value:?}", f.name));
            let mut want = segments[i].clone();
            want.verdict = decided[i].1;
            check_row(
                &format!("{e} {} segment {value:?}", f.name),
                row,
                &want,
                decided[i].0,
                sign,
            );
            verdicts.insert(want.verdict);
        }
    }
    // The lag profile: the same statistics at lags 0 to 6.
    for f in fixtures
        .iter()
        .filter(|f| ["trend", "monthly", "worsens"].contains(&f.name))
    {
        let link = model
            .link(&format!("x_{}", f.name), &format!("y_{}", f.name))
            .expect("a link");
        let query = generator.lag_profile(link).expect("sql");
        let columns = [("lag", Kind::Num), ("n", Kind::Num), ("r_diff", Kind::Num)];
        let rows = select(engine, &query, &columns);
        assert_eq!(rows.len(), 7, "{}: lags 0 to 6", f.name);
        for (lag, row) in rows.iter().enumerate() {
            let want = section9::evidence(
                &f.pairs_at(lag as i64, |_| true),
                f.grain,
                f.expected_sign(),
                f.min_periods,
            );
            let what = format!("{} {} at lag {lag}", dialect.name(), f.name);
            assert_eq!(row[0].num(), Some(lag as f64), "{what}");
            assert_eq!(row[1].num(), Some(want.n as f64), "{what}: n");
            assert_same(&format!("{what}: r_diff"), row[2].num(), want.r_diff, close);
        }
    }
    for verdict in ["supports", "contradicts", "inconclusive", "too_few_periods"] {
        assert!(
            verdicts.contains(verdict),
            "the fixtures show `{verdict}`: {verdicts:?}"
        );
    }
}

#[test]
fn the_fixtures_cover_what_section_9_names() {
    let fixtures = fixtures();
    let by_name = |n: &str| fixtures.iter().find(|f| f.name == n).expect("a fixture");
    // The incomplete last period holds rows that never take part.
    let trend = by_name("trend");
    let all = trend.pairs(|_| true);
    assert!(all
        .iter()
        .all(|p| trend.grain.add(trend.grain.add(p.0, 1), 1) <= as_of()));
    assert!(trend
        .rows
        .iter()
        .any(|r| trend.grain.add(r.at, 1) > as_of()));
    // Gaps: fewer differences than pairs minus one.
    let gaps = section9::evidence(&by_name("gaps").pairs(|_| true), Grain::Week, -1, 8);
    assert!(gaps.m + 1 < gaps.n, "{gaps:?}");
    // The season is removed at 40 months, not at 16.
    let monthly = by_name("monthly").pairs(|_| true);
    assert!(monthly.len() > 24);
    assert!(by_name("monthly_short").pairs(|_| true).len() < 24);
    let constant = section9::evidence(&by_name("constant").pairs(|_| true), Grain::Week, -1, 8);
    assert_eq!((constant.r_diff, constant.z), (None, None));
    assert_eq!(constant.verdict, "inconclusive");
}

#[test]
fn link_evidence_matches_section_9_on_every_engine() {
    let fixtures = fixtures();
    let model = model(&fixtures);
    for mut engine in engines::all("link_evidence") {
        load(engine.as_mut(), &fixtures);
        check(engine.as_mut(), &fixtures, &model);
    }
}

#[test]
fn link_evidence_matches_section_9_on_spark() {
    let Some(mut spark) = engines::Spark::start("link_evidence") else {
        return;
    };
    let fixtures = fixtures();
    let model = model(&fixtures);
    load(&mut spark, &fixtures);
    check(&mut spark, &fixtures, &model);
}

/// Every fixture (segments with hostile names, gaps, seasons, quarters,
/// constant and perfectly correlated series, too few periods) gives the
/// same evidence, pairs and lag profile by the run plan (every link in one
/// query) as by the standalone queries, on a DuckDB file, a SQLite file and
/// PostgreSQL.
#[test]
fn the_run_plan_gives_every_fixture_the_same_evidence() {
    let fixtures = fixtures();
    let model = model(&fixtures);
    let dir = tempfile::tempdir().expect("a temporary folder");
    let mut urls = Vec::new();
    let duckdb = dir.path().join("fixtures.duckdb");
    {
        let mut engine = engines::DuckDb(duckdb::Connection::open(&duckdb).expect("a DuckDB file"));
        load(&mut engine, &fixtures);
    }
    urls.push(cpic::run::db::DatabaseUrl::DuckDb(Some(duckdb)));
    let sqlite = dir.path().join("fixtures.sqlite");
    {
        let mut engine =
            engines::Sqlite(rusqlite::Connection::open(&sqlite).expect("a SQLite file"));
        load(&mut engine, &fixtures);
    }
    urls.push(cpic::run::db::DatabaseUrl::Sqlite(sqlite));
    // Kept until the end: its schema goes with it.
    let postgres = engines::Postgres::connect("plan_fixtures");
    if let Some(mut pg) = postgres {
        load(&mut pg, &fixtures);
        let separator = if pg.url().contains('?') { '&' } else { '?' };
        urls.push(cpic::run::db::DatabaseUrl::Postgres(format!(
            "{}{separator}options=-csearch_path%3D{}",
            pg.url(),
            pg.schema()
        )));
        check_plans(&model, dir.path(), &urls);
    } else {
        check_plans(&model, dir.path(), &urls);
    }
}

fn check_plans(model: &Model, root: &std::path::Path, urls: &[cpic::run::db::DatabaseUrl]) {
    for url in urls {
        let kept = plans::library_run(model, root, url, as_of(), false);
        let standalone = plans::library_run(model, root, url, as_of(), true);
        assert_eq!(kept.links.len(), model.links.len());
        assert!(kept.links.iter().any(|l| !l.segments.is_empty()));
        plans::assert_same_results(&kept, &standalone, &url.display());
    }
}
