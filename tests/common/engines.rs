//! Real SQL engines for the execution tests: DuckDB and SQLite in memory,
//! and PostgreSQL when `CPIC_TEST_POSTGRES_URL` names a server (`.ci/run`
//! starts one on loopback).

use cpic::sql::DialectName;

#[derive(Clone, Debug, PartialEq)]
pub enum Val {
    Num(Option<f64>),
    Text(Option<String>),
}

impl Val {
    pub fn num(&self) -> Option<f64> {
        match self {
            Val::Num(v) => *v,
            Val::Text(t) => t.as_deref().and_then(|t| t.parse().ok()),
        }
    }

    pub fn text(&self) -> Option<String> {
        match self {
            Val::Text(t) => t.clone(),
            Val::Num(v) => v.map(|v| v.to_string()),
        }
    }
}

#[derive(Clone, Copy)]
pub enum Kind {
    Num,
    Text,
}

pub trait Engine {
    fn dialect(&self) -> DialectName;
    fn execute(&mut self, sql: &str);
    /// Runs a query whose columns are cast to `DOUBLE PRECISION` (Num) or
    /// `TEXT` (Text), in order.
    fn rows(&mut self, sql: &str, kinds: &[Kind]) -> Vec<Vec<Val>>;
}

pub struct DuckDb(pub duckdb::Connection);

impl DuckDb {
    pub fn new() -> DuckDb {
        DuckDb(duckdb::Connection::open_in_memory().expect("an in-memory DuckDB"))
    }
}

impl Engine for DuckDb {
    fn dialect(&self) -> DialectName {
        DialectName::Duckdb
    }
    fn execute(&mut self, sql: &str) {
        self.0.execute_batch(sql).unwrap_or_else(|e| panic!("duckdb: {e}\n{sql}"));
    }
    fn rows(&mut self, sql: &str, kinds: &[Kind]) -> Vec<Vec<Val>> {
        let mut stmt = self.0.prepare(sql).unwrap_or_else(|e| panic!("duckdb: {e}\n{sql}"));
        let mut rows = stmt.query([]).unwrap_or_else(|e| panic!("duckdb: {e}\n{sql}"));
        let mut out = Vec::new();
        while let Some(row) = rows.next().expect("a row") {
            out.push(
                kinds
                    .iter()
                    .enumerate()
                    .map(|(i, k)| match k {
                        Kind::Num => Val::Num(row.get::<_, Option<f64>>(i).expect("a number")),
                        Kind::Text => Val::Text(row.get::<_, Option<String>>(i).expect("text")),
                    })
                    .collect(),
            );
        }
        out
    }
}

pub struct Sqlite(pub rusqlite::Connection);

impl Sqlite {
    pub fn new() -> Sqlite {
        Sqlite(rusqlite::Connection::open_in_memory().expect("an in-memory SQLite"))
    }
}

impl Engine for Sqlite {
    fn dialect(&self) -> DialectName {
        DialectName::Sqlite
    }
    fn execute(&mut self, sql: &str) {
        self.0.execute_batch(sql).unwrap_or_else(|e| panic!("sqlite: {e}\n{sql}"));
    }
    fn rows(&mut self, sql: &str, kinds: &[Kind]) -> Vec<Vec<Val>> {
        let mut stmt = self.0.prepare(sql).unwrap_or_else(|e| panic!("sqlite: {e}\n{sql}"));
        let rows = stmt
            .query_map([], |row| {
                Ok(kinds
                    .iter()
                    .enumerate()
                    .map(|(i, k)| match k {
                        Kind::Num => Val::Num(row.get::<_, Option<f64>>(i).expect("a number")),
                        Kind::Text => Val::Text(row.get::<_, Option<String>>(i).expect("text")),
                    })
                    .collect())
            })
            .unwrap_or_else(|e| panic!("sqlite: {e}\n{sql}"));
        rows.map(|r| r.expect("a row")).collect()
    }
}

pub struct Postgres {
    client: postgres::Client,
    schema: String,
}

impl Postgres {
    /// Connects to the test server, in a fresh schema; None (with the
    /// reason printed) when no server is configured outside CI.
    pub fn connect(test: &str) -> Option<Postgres> {
        let Ok(url) = std::env::var("CPIC_TEST_POSTGRES_URL") else {
            if std::env::var_os("CI").is_some() {
                panic!("CI must provide a PostgreSQL server in CPIC_TEST_POSTGRES_URL");
            }
            eprintln!("skipping PostgreSQL for {test}: CPIC_TEST_POSTGRES_URL is not set");
            return None;
        };
        let mut client = postgres::Client::connect(&url, postgres::NoTls).expect("PostgreSQL is reachable");
        let schema = format!("cpic_{}_{}", test, std::process::id());
        client
            .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}; SET search_path TO {schema}"))
            .expect("a fresh schema");
        Some(Postgres { client, schema })
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = self.client.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema));
    }
}

impl Engine for Postgres {
    fn dialect(&self) -> DialectName {
        DialectName::Postgres
    }
    fn execute(&mut self, sql: &str) {
        self.client.batch_execute(sql).unwrap_or_else(|e| panic!("postgres: {e}\n{sql}"));
    }
    fn rows(&mut self, sql: &str, kinds: &[Kind]) -> Vec<Vec<Val>> {
        let rows = self.client.query(sql, &[]).unwrap_or_else(|e| panic!("postgres: {e}\n{sql}"));
        rows.iter()
            .map(|row| {
                kinds
                    .iter()
                    .enumerate()
                    .map(|(i, k)| match k {
                        Kind::Num => Val::Num(row.get::<_, Option<f64>>(i)),
                        Kind::Text => Val::Text(row.get::<_, Option<String>>(i)),
                    })
                    .collect()
            })
            .collect()
    }
}

/// Every engine available here: DuckDB, SQLite, and PostgreSQL if configured.
pub fn all(test: &str) -> Vec<Box<dyn Engine>> {
    let mut engines: Vec<Box<dyn Engine>> = vec![Box::new(DuckDb::new()), Box::new(Sqlite::new())];
    if let Some(pg) = Postgres::connect(test) {
        engines.push(Box::new(pg));
    }
    engines
}

/// Relative comparison at 1e-9 (absolute near zero).
pub fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}
