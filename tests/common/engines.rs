//! Real SQL engines for the execution tests: DuckDB and SQLite in memory,
//! PostgreSQL when `CPIC_TEST_POSTGRES_URL` names a server (`.ci/run`
//! starts one on loopback) and Spark when `CPIC_TEST_SPARK_CONNECT` names a
//! Spark Connect server (`.ci/run` starts one on loopback).

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
    /// Runs a query whose columns are cast with `as_num` (Num) or
    /// `as_text` (Text), in order.
    fn rows(&mut self, sql: &str, kinds: &[Kind]) -> Vec<Vec<Val>>;
    fn as_text(&self, expr: &str) -> String {
        format!("CAST({expr} AS TEXT)")
    }
    fn as_num(&self, expr: &str) -> String {
        format!("CAST({expr} AS DOUBLE PRECISION)")
    }
    /// The column type of a test table's column of cpi type `ty`.
    fn column_type(&self, ty: &str) -> &'static str {
        match ty {
            "text" => "TEXT",
            "timestamp" => "TIMESTAMP",
            "date" => "DATE",
            "number" => "DOUBLE PRECISION",
            "bool" => "BOOLEAN",
            "int" => "INTEGER",
            other => panic!("no column type for {other}"),
        }
    }
    /// A literal of cpi type `ty` written as text (`2026-01-05 10:00:00`,
    /// `true`, `1.5`, a string) for an INSERT.
    fn literal(&self, ty: &str, text: Option<&str>) -> String {
        let Some(text) = text else {
            return "NULL".to_string();
        };
        match ty {
            "text" => format!("'{}'", text.replace('\'', "''")),
            "timestamp" => format!("TIMESTAMP '{text}'"),
            "date" => format!("DATE '{text}'"),
            _ => text.to_string(),
        }
    }
}

pub struct DuckDb(pub duckdb::Connection);

impl DuckDb {
    pub fn new() -> DuckDb {
        let conn = duckdb::Connection::open_in_memory().expect("an in-memory DuckDB");
        // Tests never reach the network, not even for an extension.
        conn.execute_batch(
            "SET autoinstall_known_extensions = false; SET autoload_known_extensions = false",
        )
        .expect("settings");
        DuckDb(conn)
    }
}

impl Engine for DuckDb {
    fn dialect(&self) -> DialectName {
        DialectName::Duckdb
    }
    fn execute(&mut self, sql: &str) {
        self.0
            .execute_batch(sql)
            .unwrap_or_else(|e| panic!("duckdb: {e}\n{sql}"));
    }
    fn rows(&mut self, sql: &str, kinds: &[Kind]) -> Vec<Vec<Val>> {
        let mut stmt = self
            .0
            .prepare(sql)
            .unwrap_or_else(|e| panic!("duckdb: {e}\n{sql}"));
        let mut rows = stmt
            .query([])
            .unwrap_or_else(|e| panic!("duckdb: {e}\n{sql}"));
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
    fn column_type(&self, ty: &str) -> &'static str {
        match ty {
            "text" | "timestamp" | "date" => "TEXT",
            "number" => "REAL",
            "bool" | "int" => "INTEGER",
            other => panic!("no column type for {other}"),
        }
    }
    fn literal(&self, ty: &str, text: Option<&str>) -> String {
        match (ty, text) {
            (_, None) => "NULL".to_string(),
            ("text" | "timestamp" | "date", Some(t)) => format!("'{}'", t.replace('\'', "''")),
            ("bool", Some(t)) => if t == "true" { "1" } else { "0" }.to_string(),
            (_, Some(t)) => t.to_string(),
        }
    }
    fn execute(&mut self, sql: &str) {
        self.0
            .execute_batch(sql)
            .unwrap_or_else(|e| panic!("sqlite: {e}\n{sql}"));
    }
    fn rows(&mut self, sql: &str, kinds: &[Kind]) -> Vec<Vec<Val>> {
        let mut stmt = self
            .0
            .prepare(sql)
            .unwrap_or_else(|e| panic!("sqlite: {e}\n{sql}"));
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
    url: String,
    /// Whether the schema is this connection's own, dropped with it.
    own_schema: bool,
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
        let mut client =
            postgres::Client::connect(&url, postgres::NoTls).expect("PostgreSQL is reachable");
        let schema = format!("cpic_{}_{}", test, std::process::id());
        client
            .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}; SET search_path TO {schema}"))
            .expect("a fresh schema");
        Some(Postgres {
            client,
            schema,
            url,
            own_schema: true,
        })
    }

    /// A connection made by the test, its tables in `public`, which is
    /// left as it is.
    pub fn from_client(client: postgres::Client, url: &str) -> Postgres {
        Postgres {
            client,
            schema: "public".to_string(),
            url: url.to_string(),
            own_schema: false,
        }
    }

    /// The server's URL (as given in `CPIC_TEST_POSTGRES_URL`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The schema this connection's tables are in.
    pub fn schema(&self) -> &str {
        &self.schema
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if !self.own_schema {
            return;
        }
        let _ = self
            .client
            .batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema));
    }
}

impl Engine for Postgres {
    fn dialect(&self) -> DialectName {
        DialectName::Postgres
    }
    fn execute(&mut self, sql: &str) {
        self.client
            .batch_execute(sql)
            .unwrap_or_else(|e| panic!("postgres: {e}\n{sql}"));
    }
    fn rows(&mut self, sql: &str, kinds: &[Kind]) -> Vec<Vec<Val>> {
        let rows = self
            .client
            .query(sql, &[])
            .unwrap_or_else(|e| panic!("postgres: {e}\n{sql}"));
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

/// Spark SQL on a Spark Connect server (`CPIC_TEST_SPARK_CONNECT`, an
/// `sc://` URL; `.ci/run` starts one from the PySpark wheel), spoken to
/// through cpic's own client (`cpic::run::spark_connect`), each test's
/// tables in a database of its own, which is the session's current one.
pub struct Spark {
    db: cpic::run::db::Database,
    url: String,
    database: String,
}

impl Spark {
    /// Connects, in a fresh database named after the test; None (with the
    /// reason printed) when no server is configured outside CI.
    pub fn start(test: &str) -> Option<Spark> {
        let url = spark_connect_url(test)?;
        let parsed = cpic::run::db::DatabaseUrl::parse(&url, std::path::Path::new("."))
            .expect("a Spark Connect URL");
        let mut db = cpic::run::db::Database::open(&parsed, std::path::Path::new("."))
            .unwrap_or_else(|e| panic!("Spark Connect at {}: {e}", parsed.display()));
        let database = format!("cpic_{}_{}", test, std::process::id());
        db.execute_batch(&format!(
            "DROP DATABASE IF EXISTS {database} CASCADE; CREATE DATABASE {database}; USE {database}"
        ))
        .unwrap_or_else(|e| panic!("a fresh database: {e}"));
        Some(Spark { db, url, database })
    }

    /// The server's URL (as given in `CPIC_TEST_SPARK_CONNECT`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The database this connection's tables are in.
    pub fn database(&self) -> &str {
        &self.database
    }
}

/// The test server's URL; None (with the reason printed) outside CI when
/// none is configured.
pub fn spark_connect_url(test: &str) -> Option<String> {
    match std::env::var("CPIC_TEST_SPARK_CONNECT") {
        Ok(url) => Some(url),
        Err(_) if std::env::var_os("CI").is_some() => {
            panic!("CI must provide a Spark Connect server in CPIC_TEST_SPARK_CONNECT")
        }
        Err(_) => {
            eprintln!("skipping Spark Connect for {test}: CPIC_TEST_SPARK_CONNECT is not set");
            None
        }
    }
}

impl Drop for Spark {
    fn drop(&mut self) {
        let _ = self.db.execute_batch(&format!(
            "DROP DATABASE IF EXISTS {} CASCADE",
            self.database
        ));
    }
}

impl Engine for Spark {
    fn dialect(&self) -> DialectName {
        DialectName::Spark
    }
    fn execute(&mut self, sql: &str) {
        self.db
            .execute_batch(sql)
            .unwrap_or_else(|e| panic!("spark connect: {e}\n{sql}"));
    }
    fn rows(&mut self, sql: &str, kinds: &[Kind]) -> Vec<Vec<Val>> {
        use cpic::run::cell::{Cell, ColumnKind};
        let kinds: Vec<ColumnKind> = kinds
            .iter()
            .map(|k| match k {
                Kind::Num => ColumnKind::Number,
                Kind::Text => ColumnKind::Text,
            })
            .collect();
        self.db
            .query(sql, &kinds)
            .unwrap_or_else(|e| panic!("spark connect: {e}\n{sql}"))
            .into_iter()
            .map(|row| {
                row.into_iter()
                    .map(|cell| match cell {
                        Cell::Number(n) => Val::Num(n),
                        Cell::Text(t) => Val::Text(t),
                    })
                    .collect()
            })
            .collect()
    }
    fn as_text(&self, expr: &str) -> String {
        format!("CAST({expr} AS STRING)")
    }
    fn as_num(&self, expr: &str) -> String {
        format!("CAST({expr} AS DOUBLE)")
    }
    fn column_type(&self, ty: &str) -> &'static str {
        match ty {
            "text" => "STRING",
            "number" => "DOUBLE",
            "int" => "INT",
            "timestamp" => "TIMESTAMP",
            "date" => "DATE",
            "bool" => "BOOLEAN",
            other => panic!("no column type for {other}"),
        }
    }
    fn literal(&self, ty: &str, text: Option<&str>) -> String {
        match (ty, text) {
            (_, None) => "NULL".to_string(),
            // Spark strings process backslash escapes.
            ("text", Some(t)) => format!("'{}'", t.replace('\\', "\\\\").replace('\'', "\\'")),
            ("timestamp", Some(t)) => format!("TIMESTAMP '{t}'"),
            ("date", Some(t)) => format!("DATE '{t}'"),
            (_, Some(t)) => t.to_string(),
        }
    }
}

/// A row of a test table: a text per column as [`Engine::literal`] reads
/// it, None for NULL. Each test's row type says how it is written; every
/// table is loaded by [`load_table`].
pub trait TableRow {
    fn texts(&self) -> Vec<Option<String>>;
}

impl TableRow for Vec<Option<String>> {
    fn texts(&self) -> Vec<Option<String>> {
        self.clone()
    }
}

/// Creates `table` with `columns` (name and cpi type, as
/// [`Engine::column_type`] reads it) and inserts `rows`, a few hundred
/// rows per INSERT.
pub fn load_table<R: TableRow>(
    engine: &mut dyn Engine,
    table: &str,
    columns: &[(&str, &str)],
    rows: &[R],
) {
    let d = engine.dialect().dialect();
    let definitions: Vec<String> = columns
        .iter()
        .map(|(name, ty)| format!("{} {}", d.ident(name), engine.column_type(ty)))
        .collect();
    engine.execute(&format!(
        "CREATE TABLE {table} ({})",
        definitions.join(", ")
    ));
    for chunk in rows.chunks(300) {
        let values: Vec<String> = chunk
            .iter()
            .map(|row| {
                let literals: Vec<String> = columns
                    .iter()
                    .zip(row.texts())
                    .map(|((_, ty), text)| engine.literal(ty, text.as_deref()))
                    .collect();
                format!("({})", literals.join(", "))
            })
            .collect();
        engine.execute(&format!("INSERT INTO {table} VALUES {}", values.join(", ")));
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

/// Two probabilities within the accuracy of the SQL's Φ (Abramowitz and
/// Stegun 26.2.17, absolute error below 7.5e-8).
pub fn close_p(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-7
}

/// Two optional numbers agree: both absent, or both present and `near`.
pub fn assert_same(what: &str, got: Option<f64>, want: Option<f64>, near: fn(f64, f64) -> bool) {
    match (got, want) {
        (Some(g), Some(w)) => assert!(near(g, w), "{what}: got {g}, want {w}"),
        (None, None) => {}
        _ => panic!("{what}: got {got:?}, want {want:?}"),
    }
}

/// Runs `sql` as a subquery and reads `columns` from it, each cast to text
/// or to a double, in order.
pub fn select(engine: &mut dyn Engine, sql: &str, columns: &[(&str, Kind)]) -> Vec<Vec<Val>> {
    let d = engine.dialect().dialect();
    let list: Vec<String> = columns
        .iter()
        .map(|(column, kind)| {
            let column = format!("q.{}", d.ident(column));
            match kind {
                Kind::Num => engine.as_num(&column),
                Kind::Text => engine.as_text(&column),
            }
        })
        .collect();
    let kinds: Vec<Kind> = columns.iter().map(|(_, k)| *k).collect();
    let sql = sql.trim_end().trim_end_matches(';');
    engine.rows(
        &format!("SELECT {} FROM (\n{sql}\n) AS q", list.join(", ")),
        &kinds,
    )
}
