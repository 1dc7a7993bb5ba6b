//! What a run keeps on the database, so that it costs one scan of each
//! source per grain (and dimension) plus small queries over series.
//!
//! - Every series the run needs goes into one temporary table,
//!   `_cpic_series` (`_key`, `_segment`, `_period`, `_value`): a source's
//!   metrics by one scan per time column, grain and dimension (the one-scan
//!   source query, with `_period` and a count of the rows that pass each
//!   distinct filter, see `scans::kept_scan`), then each derived
//!   metric from its inputs there.
//! - The links it tests go into `_cpic_links`, numbered (`_link`), with
//!   the numbers of their series, lag, expected sign and minimum number of
//!   periods.
//! - A `file` source scanned more than once is read into a table of its
//!   own first (DuckDB).
//!
//! The queries of the run are the generator's: with a [`Kept`], a series
//! CTE reads the kept table instead of the rows (`QueryBuilder::series`),
//! and the evidence, pairs and lag profile of every link of one grain come
//! from one query each, keyed by `_link`, through the same statistics
//! ([`super::evidence`]). Temporary objects live in the session's own
//! temporary space: a read-only database stays unchanged.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;

use super::dialect::Dialect;
use super::evidence::{Grouping, LAG, LAGGED_PAIRS, PAIRS};
use super::evidence::{Parameters, EXPECTED_SIGN, LINK, MIN_PERIODS, POOLED, SEGMENT};
use super::results::LAG_PROFILE_MAX;
use super::series::{series_key, QueryBuilder, SeriesOrigin, PERIOD, VALUE};
use super::{links, scans};
use super::{Generator, Unsupported};
use crate::model::{Grain, Link, Measure, Model, Origin, ScalarType, SourceMeasure};

/// The table of kept series and its columns.
pub const SERIES_TABLE: &str = "_cpic_series";
pub const KEY: &str = "_key";
/// The table of the links a run tests.
pub const LINKS_TABLE: &str = "_cpic_links";
const GRAIN: &str = "_grain";
const FROM: &str = "_from";
const TO: &str = "_to";
const FROM_SEGMENTS: &str = "_from_segments";
const TO_SEGMENTS: &str = "_to_segments";
/// A kept scan, between its query and its rows' move to `_cpic_series`.
const SCAN_TABLE: &str = "_cpic_scan";

/// How many branches one `UNION ALL` may have: SQLite allows 500.
const UNION_MAX: usize = 400;
/// How many rows one `INSERT ... VALUES` writes.
const VALUES_MAX: usize = 500;

/// A run's queries read the series it keeps from `_cpic_series` and a file
/// source read once from its table.
impl SeriesOrigin for Kept {
    fn read_series(&self, d: &dyn Dialect, key: &str, by: Option<&str>) -> Option<String> {
        let number = self.number(key)?;
        let mut columns = vec![d.ident(PERIOD)];
        if let Some(dim) = by {
            columns.push(format!("{} AS {}", d.ident(SEGMENT), d.ident(dim)));
        }
        columns.push(d.ident(VALUE));
        Some(format!(
            "SELECT {}\nFROM {}\nWHERE {} = {number}",
            columns.join(", "),
            d.ident(SERIES_TABLE),
            d.ident(KEY),
        ))
    }

    fn source_table(&self, source: &str) -> Option<&str> {
        self.sources.get(source).map(String::as_str)
    }

    fn covers(&self, key: &str) -> bool {
        self.number(key).is_some()
    }
}

/// A series a run keeps: a metric at a grain, per value of a dimension or
/// not.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct KeptSeries {
    pub metric: String,
    pub grain: Grain,
    pub by: Option<String>,
}

/// What a run keeps (see the module's documentation).
#[derive(Clone, Debug, Default)]
pub struct Kept {
    /// Numbered from 1 (`_key`): the shown series first.
    series: Vec<KeptSeries>,
    numbers: FxHashMap<String, i64>,
    /// The first `shown` series are the report's metrics at their grain.
    shown: usize,
    /// The links tested, numbered from 1 (`_link`): indexes into the
    /// model's links.
    links: Vec<usize>,
    /// `file` sources read into a table, by source name.
    sources: BTreeMap<String, String>,
}

impl Kept {
    /// What a run of `model` keeps to show the metrics `shown` (with their
    /// targets: the run's target query covers the metrics kept at their
    /// own grain) and to test the links `links` (indexes into the model's
    /// links). With `tables_for_files`, a file source that more than one
    /// scan reads is read into a table once.
    pub fn plan(model: &Model, shown: &[&str], links: &[usize], tables_for_files: bool) -> Kept {
        let mut kept = Kept {
            links: links.to_vec(),
            ..Kept::default()
        };
        for name in shown {
            let m = model.metric(name).expect("a metric of the model");
            kept.need(model, &m.name, m.grain, None);
        }
        kept.shown = kept.series.len();
        for &i in links {
            let l = &model.links[i];
            for metric in [&l.from, &l.to] {
                kept.need(model, metric, l.grain, None);
                if let Some(dim) = &l.segments {
                    kept.need(model, metric, l.grain, Some(dim));
                }
            }
        }
        if tables_for_files {
            let mut scans_of: BTreeMap<String, usize> = BTreeMap::new();
            for scan in kept.scans(model) {
                *scans_of.entry(scan.source.to_string()).or_default() += 1;
            }
            for (source, scans) in scans_of {
                let file = matches!(
                    model.source(&source).map(|s| &s.origin),
                    Some(Origin::File(_))
                );
                if file && scans > 1 {
                    let table = format!("_cpic_source_{}", kept.sources.len() + 1);
                    kept.sources.insert(source, table);
                }
            }
        }
        kept
    }

    /// Keeps a series and, for a derived metric, its inputs.
    fn need(&mut self, model: &Model, metric: &str, grain: Grain, by: Option<&str>) {
        let key = series_key(metric, grain, by);
        if self.numbers.contains_key(&key) {
            return;
        }
        let m = model.metric(metric).expect("a metric of the model");
        if let Measure::Derived { inputs, .. } = &m.measure {
            for input in inputs {
                self.need(model, input, grain, None);
            }
        }
        self.series.push(KeptSeries {
            metric: metric.to_string(),
            grain,
            by: by.map(str::to_string),
        });
        self.numbers.insert(key, self.series.len() as i64);
    }

    /// The number (`_key`) of the series with this key (see `series_key`).
    pub(super) fn number(&self, key: &str) -> Option<i64> {
        self.numbers.get(key).copied()
    }

    /// The series whose number is `key`.
    pub fn series(&self, key: i64) -> Option<&KeptSeries> {
        usize::try_from(key - 1)
            .ok()
            .and_then(|i| self.series.get(i))
    }

    /// The link (index into the model's links) numbered `number`.
    pub fn link(&self, number: i64) -> Option<usize> {
        usize::try_from(number - 1)
            .ok()
            .and_then(|i| self.links.get(i))
            .copied()
    }

    /// The grains of the links tested, in order.
    pub fn link_grains(&self, model: &Model) -> Vec<Grain> {
        let mut grains: Vec<Grain> = self.links.iter().map(|&i| model.links[i].grain).collect();
        grains.sort();
        grains.dedup();
        grains
    }

    /// The source measures kept, grouped into scans, in a stable order.
    fn scans<'a>(&'a self, model: &'a Model) -> Vec<Scan<'a>> {
        let mut scans: BTreeMap<(&str, &str, Grain, Option<&str>), Scan> = BTreeMap::new();
        for (i, s) in self.series.iter().enumerate() {
            let m = model.metric(&s.metric).expect("a metric of the model");
            let Some(SourceMeasure {
                source,
                time,
                time_type,
                ..
            }) = m.source_measure()
            else {
                continue;
            };
            if !m.in_scan() {
                continue;
            }
            scans
                .entry((source, time, s.grain, s.by.as_deref()))
                .or_insert_with(|| Scan {
                    source,
                    time,
                    time_type: *time_type,
                    grain: s.grain,
                    by: s.by.as_deref(),
                    series: Vec::new(),
                })
                .series
                .push(i as i64 + 1);
        }
        scans.into_values().collect()
    }
}

/// One scan a run keeps: the metrics (their series' numbers) of one
/// source, time column, grain and dimension.
struct Scan<'m> {
    source: &'m str,
    time: &'m str,
    time_type: ScalarType,
    grain: Grain,
    by: Option<&'m str>,
    series: Vec<i64>,
}

/// A statement of a run that returns nothing, and what it does.
pub struct Statement {
    pub what: String,
    pub sql: String,
}

impl Generator<'_> {
    fn kept(&self) -> &Kept {
        self.kept
            .as_ref()
            .expect("a generator for a run (Generator::for_run)")
    }

    /// The kept tables, created empty, and the links tested written into
    /// theirs.
    pub fn kept_tables(&self) -> Vec<Statement> {
        let d = self.dialect.dialect();
        let kept = self.kept();
        let id = |s: &str| d.ident(s);
        let (integer, text, float) = ("BIGINT", d.text_type(), d.float_type());
        let mut statements = vec![
            Statement {
                what: "the table of series".to_string(),
                sql: format!(
                    "CREATE TEMPORARY TABLE {} ({} {integer}, {} {text}, {} {}, {} {float})",
                    id(SERIES_TABLE),
                    id(KEY),
                    id(SEGMENT),
                    id(PERIOD),
                    d.date_type(),
                    id(VALUE),
                ),
            },
            Statement {
                what: "the table of links".to_string(),
                sql: format!(
                    "CREATE TEMPORARY TABLE {} ({})",
                    id(LINKS_TABLE),
                    link_columns()
                        .iter()
                        .map(|&c| format!("{} {}", id(c), if c == GRAIN { text } else { integer }))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            },
        ];
        if d.indexes_help_joins() {
            // The pairs join a series to another at a later period.
            statements.push(Statement {
                what: "the table of series".to_string(),
                sql: format!(
                    "CREATE INDEX {} ON {} ({}, {})",
                    id("_cpic_series_key"),
                    id(SERIES_TABLE),
                    id(KEY),
                    id(PERIOD)
                ),
            });
        }
        let number = |metric: &str, grain: Grain, by: Option<&str>| {
            kept.number(&series_key(metric, grain, by))
        };
        // Grain names and numbers only: no field holds `,`, `;` or a quote.
        let rows: Vec<Vec<Option<String>>> = kept
            .links
            .iter()
            .enumerate()
            .map(|(i, &l)| {
                let l = &self.model.links[l];
                let by = l.segments.as_deref();
                let segments = |metric: &str| by.and_then(|_| number(metric, l.grain, by));
                LinkRow {
                    number: i + 1,
                    grain: l.grain.name(),
                    from: number(&l.from, l.grain, None),
                    to: number(&l.to, l.grain, None),
                    from_segments: segments(&l.from),
                    to_segments: segments(&l.to),
                    lag: l.lag,
                    expected_sign: l.expected_sign,
                    min_periods: l.min_periods,
                }
                .cells()
                .into_iter()
                .map(|(_, value)| value)
                .collect()
            })
            .collect();
        let insert = format!(
            "INSERT INTO {} ({})",
            id(LINKS_TABLE),
            link_columns()
                .iter()
                .map(|c| id(c))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let types: Vec<&str> = link_columns()
            .iter()
            .map(|&c| if c == GRAIN { text } else { integer })
            .collect();
        let selects = match rows.is_empty() {
            true => Vec::new(),
            false => match d.rows_from_text(&rows, &types) {
                Some(select) => vec![select],
                None => rows
                    .chunks(VALUES_MAX)
                    .map(|chunk| {
                        let values: Vec<String> = chunk
                            .iter()
                            .map(|r| {
                                let fields: Vec<String> = r
                                    .iter()
                                    .zip(&types)
                                    .map(|(f, &ty)| match f {
                                        None => "NULL".to_string(),
                                        Some(f) if ty == text => d.string(f),
                                        Some(f) => f.clone(),
                                    })
                                    .collect();
                                format!("({})", fields.join(", "))
                            })
                            .collect();
                        format!("VALUES\n{}", values.join(",\n"))
                    })
                    .collect(),
            },
        };
        for select in selects {
            statements.push(Statement {
                what: "the links".to_string(),
                sql: format!("{insert}\n{select}"),
            });
        }
        statements
    }

    /// Each file source that more than one scan reads, read into a table.
    pub fn kept_sources(&self) -> Vec<Statement> {
        let d = self.dialect.dialect();
        self.kept()
            .sources
            .iter()
            .filter_map(|(name, table)| {
                let source = self.model.source(name)?;
                let origin = d.table(&source.origin)?;
                Some(Statement {
                    what: format!("source `{name}` read once"),
                    sql: format!(
                        "CREATE TEMPORARY TABLE {} AS SELECT * FROM {origin}",
                        d.ident(table)
                    ),
                })
            })
            .collect()
    }

    /// Per kept scan, its statements: the scan into `_cpic_scan`, its
    /// columns moved into `_cpic_series`, and `_cpic_scan` dropped. A
    /// scan of more metrics than the engine allows columns is cut in
    /// parts.
    pub fn kept_scans(&self) -> Result<Vec<Vec<Statement>>, Unsupported> {
        let d = self.dialect.dialect();
        let kept = self.kept();
        let id = |s: &str| d.ident(s);
        let per_scan = d.max_columns().map_or(usize::MAX, |max| (max - 2) / 2);
        let mut all = Vec::new();
        for scan in kept.scans(self.model) {
            let source = self.model.source(scan.source).expect("resolved");
            for part in scan.series.chunks(per_scan) {
                let metrics: Vec<&crate::model::Metric> = part
                    .iter()
                    .map(|&n| {
                        let s = kept.series(n).expect("numbered");
                        self.model.metric(&s.metric).expect("resolved")
                    })
                    .collect();
                let names: Vec<&str> = metrics.iter().map(|m| m.name.as_str()).collect();
                let by = scan.by.map_or(String::new(), |b| format!(" by {b}"));
                let what = format!(
                    "source `{}` per {}{by} (metrics {})",
                    scan.source,
                    scan.grain.name(),
                    names.join(", ")
                );
                let (query, rows_columns) = scans::kept_scan(
                    self.builder(),
                    source,
                    (scan.time, scan.time_type),
                    scan.grain,
                    scan.by,
                    &metrics,
                )?;
                let mut statements = vec![Statement {
                    what: what.clone(),
                    sql: format!("CREATE TEMPORARY TABLE {} AS\n{query}", id(SCAN_TABLE)),
                }];
                let columns: Vec<(i64, String, String)> = part
                    .iter()
                    .zip(&metrics)
                    .zip(&rows_columns)
                    .map(|((&number, metric), rows)| (number, id(&metric.name), id(rows)))
                    .collect();
                let segment_column = scan.by.map(|_| id(SEGMENT));
                let moves = match d.unpivot(SCAN_TABLE, segment_column.as_deref(), &columns) {
                    Some(one) => vec![one],
                    None => {
                        let s = id("_scan");
                        let segment = d.text_column_or_null(&s, segment_column.as_deref());
                        let branches: Vec<String> = columns
                            .iter()
                            .map(|(number, value, rows)| {
                                format!(
                                    "SELECT {number}, {segment}, {s}.{}, {s}.{value}\nFROM {} AS {s}\nWHERE {s}.{rows} > 0",
                                    id(PERIOD),
                                    id(SCAN_TABLE),
                                )
                            })
                            .collect();
                        branches
                            .chunks(UNION_MAX)
                            .map(|chunk| chunk.join("\nUNION ALL\n"))
                            .collect()
                    }
                };
                for select in moves {
                    statements.push(Statement {
                        what: what.clone(),
                        sql: format!("{}\n{select}", insert_series(d)),
                    });
                }
                statements.push(Statement {
                    what,
                    sql: format!("DROP TABLE {}", id(SCAN_TABLE)),
                });
                all.push(statements);
            }
        }
        Ok(all)
    }

    /// Each series kept that no scan computes (derived metrics, from their
    /// inputs there, and source metrics with a window, snapshot, fill or
    /// `followed_by`, from their rows), inputs first.
    pub fn kept_derived(&self) -> Result<Vec<Statement>, Unsupported> {
        let d = self.dialect.dialect();
        let kept = self.kept();
        let id = |s: &str| d.ident(s);
        // A series' inputs come before it in `Kept::series` (`Kept::need`).
        let mut statements = Vec::new();
        for (i, s) in kept.series.iter().enumerate() {
            let m = self.model.metric(&s.metric).expect("resolved");
            if m.in_scan() {
                continue;
            }
            let mut b = self.builder();
            let by = s.by.as_deref();
            let key = series_key(&m.name, s.grain, by);
            let cte = b.build_series(&key, m, s.grain, by)?;
            let c = id(&cte);
            let q = id("_q");
            let (segment, segment_select) = match by {
                Some(dim) => (
                    d.to_text(&format!("{q}.{}", id(dim))),
                    format!("{c}.{d}, ", d = id(dim)),
                ),
                None => (format!("CAST(NULL AS {})", d.text_type()), String::new()),
            };
            let query = b.query.finish(&format!(
                "SELECT {c}.{p} AS {p}, {segment_select}{c}.{v} AS {v}\nFROM {c}",
                p = id(PERIOD),
                v = id(VALUE)
            ));
            let what = match by {
                Some(dim) => format!("metric `{}` per {} and {dim}", m.name, s.grain.name()),
                None => format!("metric `{}` per {}", m.name, s.grain.name()),
            };
            statements.push(Statement {
                what,
                sql: format!(
                    "{}\nSELECT {}, {segment}, {q}.{}, {}\nFROM (\n{}\n) AS {q}",
                    insert_series(d),
                    i + 1,
                    id(PERIOD),
                    d.to_float(&format!("{q}.{}", id(VALUE))),
                    query.trim_end()
                ),
            });
        }
        Ok(statements)
    }

    /// Statistics of the filled tables for the engine's planner, when it
    /// keeps them (`ANALYZE`): without, PostgreSQL guesses a temporary
    /// table's size and may join it row by row.
    pub fn kept_analyze(&self) -> Vec<Statement> {
        let d = self.dialect.dialect();
        if !d.indexes_help_joins() {
            return Vec::new();
        }
        [SERIES_TABLE, LINKS_TABLE]
            .into_iter()
            .map(|table| Statement {
                what: "statistics of the tables".to_string(),
                sql: format!("ANALYZE {}", d.ident(table)),
            })
            .collect()
    }

    /// Session settings the queries of many links need, and their undoing
    /// (see `Dialect::run_settings`).
    pub fn kept_settings(&self) -> (Vec<Statement>, Vec<Statement>) {
        let statement = |sql: &str| Statement {
            what: "the session's settings".to_string(),
            sql: sql.to_string(),
        };
        let settings = self.dialect.dialect().run_settings();
        (
            settings.iter().map(|(set, _)| statement(set)).collect(),
            settings.iter().map(|(_, reset)| statement(reset)).collect(),
        )
    }

    /// The shown series (`_key`, `period`, `value`), by key and period:
    /// each shown metric at its grain, periods with a value only.
    pub fn kept_series_query(&self) -> String {
        let d = self.dialect.dialect();
        let id = |s: &str| d.ident(s);
        let t = id(SERIES_TABLE);
        format!(
            "SELECT\n  {t}.{k} AS {k},\n  {t}.{p} AS {period},\n  {t}.{v} AS {value}\nFROM {t}\nWHERE {t}.{k} <= {} AND {t}.{v} IS NOT NULL\nORDER BY 1, 2",
            self.kept().shown,
            k = id(KEY),
            p = id(PERIOD),
            v = id(VALUE),
            period = id(super::results::SeriesColumn::Period.name()),
            value = id(super::results::SeriesColumn::Value.name()),
        )
    }

    /// The evidence of every link tested at `grain`: `_link`, then the
    /// columns of `results::LinkColumn`; a link's pooled row first, then
    /// its segments by value.
    pub fn links_evidence(&self, grain: Grain) -> String {
        let mut b = self.builder();
        b.query.add_fixed(PAIRS, &self.links_pairs_body(grain));
        links::add_statistics(&mut b, grain, Grouping::Links);
        let (ctes, select) = Grouping::Links
            .statistics(b.d, grain)
            .verdicts(Parameters::Columns { links: LINKS_TABLE });
        for (name, body) in &ctes {
            b.query.add_fixed(name, body);
        }
        b.query.finish(&select)
    }

    /// The pairs of every link tested at `grain`: `_link`, then the
    /// columns of `results::PairColumn`, by link and period.
    pub fn links_pairs(&self, grain: Grain) -> String {
        let mut b = self.builder();
        b.query.add_fixed(PAIRS, &self.links_pairs_body(grain));
        links::add_statistics(&mut b, grain, Grouping::Links);
        let select = links::pairs_select(&b, &[LINK], true);
        b.query.finish(&select)
    }

    /// The lag profile of every link tested at `grain`: `_link`, then the
    /// columns of `results::LagColumn`, by link and lag.
    pub fn links_lag_profile(&self, grain: Grain) -> String {
        let mut b = self.builder();
        let branches: Vec<String> = (0..=LAG_PROFILE_MAX)
            .map(|lag| self.links_pairs_select(&b, grain, Some(lag), None, Side::Pooled))
            .collect();
        b.query
            .add_fixed(LAGGED_PAIRS, &branches.join("\nUNION ALL\n"));
        links::add_statistics(&mut b, grain, Grouping::LinkLags);
        let select = links::lags_select(&b, &[LINK]);
        b.query.finish(&select)
    }

    /// `_pairs` of every link at `grain`: keyed by `_link`, `_pooled`,
    /// `_segment` (see [`super::evidence`]); one branch per lag, pooled and
    /// by segment, and a row of NULLs per link so that a link without
    /// pairs still has its (empty) statistics.
    fn links_pairs_body(&self, grain: Grain) -> String {
        let b = self.builder();
        let d = b.d;
        let id = |s: &str| d.ident(s);
        let kept = self.kept();
        let links: Vec<&Link> = kept
            .links
            .iter()
            .map(|&i| &self.model.links[i])
            .filter(|l| l.grain == grain)
            .collect();
        let lags = |segmented: bool| {
            let mut lags: Vec<i64> = links
                .iter()
                .filter(|l| !segmented || l.segments.is_some())
                .map(|l| l.lag)
                .collect();
            lags.sort_unstable();
            lags.dedup();
            lags
        };
        let mut branches: Vec<String> = lags(false)
            .into_iter()
            .map(|lag| self.links_pairs_select(&b, grain, None, Some(lag), Side::Pooled))
            .collect();
        branches.extend(
            lags(true)
                .into_iter()
                .map(|lag| self.links_pairs_select(&b, grain, None, Some(lag), Side::Segments)),
        );
        // The placeholders: their columns as NULLs.
        let pair = links::pair(&b, grain, 0, &id("_left"), &id("_right"));
        let l = id("_l");
        let nulls: Vec<String> = pair
            .columns
            .iter()
            .map(|(_, name)| format!("NULL AS {name}"))
            .collect();
        branches.push(format!(
            "SELECT\n  {l}.{link} AS {link},\n  1 AS {},\n  {} AS {},\n  {}\nFROM {} AS {l}\nWHERE {l}.{} = {}",
            id(POOLED),
            d.string(""),
            id(SEGMENT),
            nulls.join(",\n  "),
            id(LINKS_TABLE),
            id(GRAIN),
            d.string(grain.name()),
            link = id(LINK),
        ));
        branches.join("\nUNION ALL\n")
    }

    /// One branch of the pairs of the links at `grain`: those whose lag is
    /// `only_lag` (all when None), paired at `at_lag` (their own when
    /// None, then led by `_lag` otherwise), pooled or by segment.
    fn links_pairs_select(
        &self,
        b: &QueryBuilder,
        grain: Grain,
        at_lag: Option<i64>,
        only_lag: Option<i64>,
        side: Side,
    ) -> String {
        let d = b.d;
        let id = |s: &str| d.ident(s);
        let (l, left, right) = (id("_l"), id("_left"), id("_right"));
        let lag = at_lag.or(only_lag).expect("a lag");
        let pair = links::pair(b, grain, lag, &left, &right);
        let mut columns = vec![format!("{l}.{link} AS {link}", link = id(LINK))];
        if at_lag.is_some() {
            columns.push(format!("{lag} AS {}", id(LAG)));
        }
        let (from, to, mut on) = match side {
            Side::Pooled => {
                if at_lag.is_none() {
                    columns.push(format!("1 AS {}", id(POOLED)));
                    columns.push(format!("{} AS {}", d.string(""), id(SEGMENT)));
                }
                (FROM, TO, pair.on.clone())
            }
            Side::Segments => {
                columns.push(format!("0 AS {}", id(POOLED)));
                columns.push(format!("{left}.{s} AS {s}", s = id(SEGMENT)));
                (
                    FROM_SEGMENTS,
                    TO_SEGMENTS,
                    format!("{} AND {right}.{s} = {left}.{s}", pair.on, s = id(SEGMENT)),
                )
            }
        };
        on = format!("{right}.{k} = {l}.{} AND {on}", id(to), k = id(KEY));
        columns.extend(pair.columns.iter().map(|(v, n)| format!("{v} AS {n}")));
        let mut condition = format!("{l}.{} = {}", id(GRAIN), d.string(grain.name()));
        if let Some(only) = only_lag {
            condition.push_str(&format!(" AND {l}.{} = {only}", id(LAG)));
        }
        let series = id(SERIES_TABLE);
        format!(
            "SELECT\n  {}\nFROM {} AS {l}\nJOIN {series} AS {left} ON {left}.{k} = {l}.{}\nJOIN {series} AS {right} ON {on}\nWHERE {condition} AND {}",
            columns.join(",\n  "),
            id(LINKS_TABLE),
            id(from),
            pair.condition,
            k = id(KEY),
        )
    }
}

impl Generator<'_> {
    /// The temporary tables of a run dropped, and its session settings
    /// undone.
    pub fn kept_cleanup(&self) -> Vec<Statement> {
        let d = self.dialect.dialect();
        let kept = self.kept();
        let mut statements: Vec<Statement> = [SERIES_TABLE, LINKS_TABLE]
            .into_iter()
            .chain(kept.sources.values().map(String::as_str))
            .map(|table| Statement {
                what: "the temporary tables".to_string(),
                sql: format!("DROP TABLE {}", d.ident(table)),
            })
            .collect();
        statements.extend(self.kept_settings().1);
        statements
    }
}

/// Which pairs of a link: its pooled ones or its segments'.
#[derive(Clone, Copy)]
enum Side {
    Pooled,
    Segments,
}

/// The columns of `_cpic_links`, in order.
/// A link a run tests, as a row of `_cpic_links`: the numbers of its
/// series (pooled, and per segment when it has `segments`) and its
/// parameters.
#[derive(Default)]
struct LinkRow {
    number: usize,
    grain: &'static str,
    from: Option<i64>,
    to: Option<i64>,
    from_segments: Option<i64>,
    to_segments: Option<i64>,
    lag: i64,
    expected_sign: i8,
    min_periods: i64,
}

impl LinkRow {
    /// Each column's name and value, in the table's order: one list, so
    /// that names and values cannot drift apart.
    fn cells(&self) -> [(&'static str, Option<String>); 9] {
        let text = |n: Option<i64>| n.map(|n| n.to_string());
        [
            (LINK, Some(self.number.to_string())),
            (GRAIN, Some(self.grain.to_string())),
            (FROM, text(self.from)),
            (TO, text(self.to)),
            (FROM_SEGMENTS, text(self.from_segments)),
            (TO_SEGMENTS, text(self.to_segments)),
            (LAG, Some(self.lag.to_string())),
            (EXPECTED_SIGN, Some(self.expected_sign.to_string())),
            (MIN_PERIODS, Some(self.min_periods.to_string())),
        ]
    }
}

/// The columns of `_cpic_links`, in order.
fn link_columns() -> [&'static str; 9] {
    LinkRow::default().cells().map(|(name, _)| name)
}

/// `INSERT INTO _cpic_series (...)`, the start of every insert.
fn insert_series(d: &dyn Dialect) -> String {
    format!(
        "INSERT INTO {} ({}, {}, {}, {})",
        d.ident(SERIES_TABLE),
        d.ident(KEY),
        d.ident(SEGMENT),
        d.ident(PERIOD),
        d.ident(VALUE)
    )
}
