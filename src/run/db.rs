//! The databases `cpic run` executes on: an embedded DuckDB (the default,
//! in memory, reading `file` sources directly), a SQLite file, a
//! PostgreSQL server, or Spark through Spark Connect. Every database is opened read-only where the engine
//! allows it: running a spec never changes the data.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::cell::error_chain;
use super::cell::{Cell, ColumnKind};
use super::spark_connect::{ConnectUrl, SparkConnect};
use crate::sql::DialectName;

/// Where to run, parsed from `--db` or `cpi.toml` `[database] url`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// `duckdb://:memory:` (None) or `duckdb://PATH`.
    DuckDb(Option<PathBuf>),
    /// `sqlite://PATH`.
    Sqlite(PathBuf),
    /// `postgres://...` or `postgresql://...`, passed to the driver as is.
    Postgres(String),
    /// `sc://HOST:PORT/;token=...` (Spark Connect).
    SparkConnect(Box<ConnectUrl>),
}

impl DatabaseUrl {
    /// Parses a URL; relative paths are taken from `base` (the project
    /// root for `cpi.toml`, the working directory for `--db`).
    pub fn parse(url: &str, base: &Path) -> Result<DatabaseUrl, String> {
        let path = |rest: &str| {
            if rest.is_empty() {
                return Err(format!("`{url}` names no file"));
            }
            let p = Path::new(rest);
            Ok(if p.is_absolute() {
                p.to_path_buf()
            } else {
                base.join(p)
            })
        };
        if let Some(rest) = url.strip_prefix("duckdb://") {
            if rest == ":memory:" || rest.is_empty() {
                return Ok(DatabaseUrl::DuckDb(None));
            }
            return Ok(DatabaseUrl::DuckDb(Some(path(rest)?)));
        }
        if let Some(rest) = url.strip_prefix("sqlite://") {
            return Ok(DatabaseUrl::Sqlite(path(rest)?));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(url.to_string()));
        }
        if url.starts_with("sc://") {
            return ConnectUrl::parse(url).map(|u| DatabaseUrl::SparkConnect(Box::new(u)));
        }
        Err(format!(
            "`{}` is not a database URL cpic knows: use duckdb://PATH, duckdb://:memory:, sqlite://PATH, postgres://USER@HOST/DB or sc://HOST:PORT (Spark Connect)",
            mask_secrets(url)
        ))
    }

    pub fn dialect(&self) -> DialectName {
        match self {
            DatabaseUrl::DuckDb(_) => DialectName::Duckdb,
            DatabaseUrl::Sqlite(_) => DialectName::Sqlite,
            DatabaseUrl::Postgres(_) => DialectName::Postgres,
            DatabaseUrl::SparkConnect(_) => DialectName::Spark,
        }
    }

    /// The URL as shown to people: a PostgreSQL password and a Spark
    /// Connect token are masked.
    pub fn display(&self) -> String {
        match self {
            DatabaseUrl::DuckDb(None) => "duckdb://:memory:".to_string(),
            DatabaseUrl::DuckDb(Some(p)) => format!("duckdb://{}", p.display()),
            DatabaseUrl::Sqlite(p) => format!("sqlite://{}", p.display()),
            DatabaseUrl::Postgres(url) => mask_password(url),
            DatabaseUrl::SparkConnect(url) => url.display(),
        }
    }
}

/// A database URL as written, its secrets masked: a Spark Connect token,
/// a PostgreSQL password.
pub fn mask_secrets(url: &str) -> String {
    match url.starts_with("sc://") {
        true => super::spark_connect::url::mask_token(url),
        false => mask_password(url),
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`; a
/// password given as a parameter (`?password=secret`, which libpq and
/// the driver accept too) is masked as well.
pub fn mask_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (authority, tail) = match rest.find(['/', '?']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let authority = match authority.rsplit_once('@') {
        Some((user_info, host)) => match user_info.split_once(':') {
            Some((user, _)) => format!("{user}:***@{host}"),
            None => authority.to_string(),
        },
        None => authority.to_string(),
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let parameters: Vec<String> = query
                .split('&')
                .map(|p| match p.split_once('=') {
                    Some((key, _)) if key.eq_ignore_ascii_case("password") => {
                        format!("{key}=***")
                    }
                    _ => p.to_string(),
                })
                .collect();
            format!("{path}?{}", parameters.join("&"))
        }
        None => tail.to_string(),
    };
    format!("{scheme}://{authority}{tail}")
}

/// The row loop of the two embedded engines, whose drivers share
/// rusqlite's API but not its types (a macro, not a generic function).
macro_rules! embedded_rows {
    ($conn:expr, $sql:expr, $kinds:expr, $out:expr) => {{
        let mut stmt = $conn.prepare($sql).map_err(|e| e.to_string())?;
        let mut rows = stmt.query([]).map_err(|e| e.to_string())?;
        while let Some(row) = rows.next().map_err(|e| e.to_string())? {
            $out.push(read_row(
                $kinds,
                |i| row.get(i),
                |i| row.get(i),
                |e| e.to_string(),
            )?);
        }
    }};
}

/// An open connection.
pub enum Database {
    #[cfg(feature = "duckdb")]
    DuckDb(duckdb::Connection),
    Sqlite(rusqlite::Connection),
    Postgres(Box<postgres::Client>),
    SparkConnect(Box<SparkConnect>),
}

/// How long cpic waits for a PostgreSQL server before giving up.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

impl Database {
    /// Opens the database. DuckDB resolves `file` source paths from
    /// `project_root`, so that the generated SQL runs as written.
    pub fn open(url: &DatabaseUrl, project_root: &Path) -> Result<Database, String> {
        match url {
            #[cfg(not(feature = "duckdb"))]
            DatabaseUrl::DuckDb(_) => {
                let _ = project_root;
                Err("this cpic was built without DuckDB (feature `duckdb`)".to_string())
            }
            #[cfg(feature = "duckdb")]
            DatabaseUrl::DuckDb(path) => {
                let conn = match path {
                    None => duckdb::Connection::open_in_memory(),
                    Some(p) => {
                        if !p.exists() {
                            return Err(format!("no DuckDB database at {}", p.display()));
                        }
                        let config = duckdb::Config::default()
                            .access_mode(duckdb::AccessMode::ReadOnly)
                            .map_err(|e| e.to_string())?;
                        duckdb::Connection::open_with_flags(p, config)
                    }
                }
                .map_err(|e| e.to_string())?;
                let root = project_root.to_string_lossy().replace('\'', "''");
                // Never reach the network for an extension. One thread: a
                // parallel sum adds in an order that changes from run to run,
                // and so do the last bits of a statistic (outputs must be
                // byte-identical when repeated).
                conn.execute_batch(&format!(
                    "SET autoinstall_known_extensions = false; SET autoload_known_extensions = false; SET threads = 1; SET file_search_path = '{root}'"
                ))
                    .map_err(|e| e.to_string())?;
                Ok(Database::DuckDb(conn))
            }
            DatabaseUrl::Sqlite(p) => {
                let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY
                    | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
                rusqlite::Connection::open_with_flags(p, flags)
                    .map(Database::Sqlite)
                    .map_err(|e| format!("cannot open {}: {e}", p.display()))
            }
            DatabaseUrl::Postgres(url) => {
                let mut config: postgres::Config = url
                    .parse()
                    .map_err(|e| format!("bad PostgreSQL URL: {e}"))?;
                if config.get_connect_timeout().is_none() {
                    config.connect_timeout(CONNECT_TIMEOUT);
                }
                let mut client = config
                    .connect(postgres::NoTls)
                    .map_err(|e| error_chain(&e))?;
                // Periods are computed in UTC whatever the server's zone.
                client
                    .batch_execute("SET TIME ZONE 'UTC'")
                    .map_err(|e| error_chain(&e))?;
                Ok(Database::Postgres(Box::new(client)))
            }
            DatabaseUrl::SparkConnect(url) => {
                SparkConnect::connect(url).map(|s| Database::SparkConnect(Box::new(s)))
            }
        }
    }

    /// Runs statements that return nothing (`[database] init`).
    pub fn execute_batch(&mut self, sql: &str) -> Result<(), String> {
        match self {
            #[cfg(feature = "duckdb")]
            Database::DuckDb(conn) => conn.execute_batch(sql).map_err(|e| e.to_string()),
            Database::Sqlite(conn) => conn.execute_batch(sql).map_err(|e| e.to_string()),
            Database::Postgres(client) => client.batch_execute(sql).map_err(|e| error_chain(&e)),
            Database::SparkConnect(session) => session.execute_batch(sql),
        }
    }

    /// Runs `sql`, reading its columns as `kinds` (the query casts them).
    pub fn query(&mut self, sql: &str, kinds: &[ColumnKind]) -> Result<Vec<Vec<Cell>>, String> {
        let mut out = Vec::new();
        match self {
            #[cfg(feature = "duckdb")]
            Database::DuckDb(conn) => embedded_rows!(conn, sql, kinds, out),
            Database::Sqlite(conn) => embedded_rows!(conn, sql, kinds, out),
            Database::Postgres(client) => {
                for row in client.query(sql, &[]).map_err(|e| error_chain(&e))? {
                    out.push(read_row(
                        kinds,
                        |i| row.try_get(i),
                        |i| row.try_get(i),
                        |e| error_chain(&e),
                    )?);
                }
            }
            Database::SparkConnect(session) => out = session.query(sql, kinds)?,
        }
        Ok(out)
    }
}

/// One row's cells, each read by the driver as a double or as text.
fn read_row<E>(
    kinds: &[ColumnKind],
    number: impl Fn(usize) -> Result<Option<f64>, E>,
    text: impl Fn(usize) -> Result<Option<String>, E>,
    message: impl Fn(E) -> String,
) -> Result<Vec<Cell>, String> {
    kinds
        .iter()
        .enumerate()
        .map(|(i, kind)| match kind {
            ColumnKind::Number => number(i).map(Cell::Number).map_err(&message),
            ColumnKind::Text => text(i).map(Cell::Text).map_err(&message),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let base = Path::new("/project");
        assert_eq!(
            DatabaseUrl::parse("duckdb://:memory:", base),
            Ok(DatabaseUrl::DuckDb(None))
        );
        assert_eq!(
            DatabaseUrl::parse("duckdb://data/a.duckdb", base),
            Ok(DatabaseUrl::DuckDb(Some(PathBuf::from(
                "/project/data/a.duckdb"
            ))))
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///tmp/x.db", base),
            Ok(DatabaseUrl::Sqlite(PathBuf::from("/tmp/x.db")))
        );
        assert!(DatabaseUrl::parse("mysql://x", base).is_err());
        assert!(DatabaseUrl::parse("sqlite://", base).is_err());
        let pg = DatabaseUrl::parse("postgres://me:secret@db.example/sales", base).expect("a URL");
        assert_eq!(pg.display(), "postgres://me:***@db.example/sales");
        for (url, shown) in [
            (
                "postgres://me@db.example/sales?sslmode=require&password=s3cret&application_name=x",
                "postgres://me@db.example/sales?sslmode=require&password=***&application_name=x",
            ),
            (
                "postgres://me:a@b@db.example?password=s3cret",
                "postgres://me:***@db.example?password=***",
            ),
            (
                "postgresql://db.example/sales",
                "postgresql://db.example/sales",
            ),
            (
                "postgres://db.example/sales?options=-csearch_path%3Dsales",
                "postgres://db.example/sales?options=-csearch_path%3Dsales",
            ),
        ] {
            assert_eq!(mask_password(url), shown, "{url}");
            assert!(!mask_password(url).contains("s3cret"));
        }
        assert_eq!(pg.dialect(), DialectName::Postgres);
        // Spark Connect: the token, parsed or not.
        let sc = DatabaseUrl::parse("sc://h:1/;user_id=ana;token=s3cret", base).expect("a URL");
        assert_eq!(sc.display(), "sc://h:1/;user_id=ana;token=***");
        assert_eq!(sc.dialect(), DialectName::Spark);
        assert_eq!(
            mask_secrets("sc://h:1/;token=s3cret;user_id=ana"),
            "sc://h:1/;token=***;user_id=ana"
        );
        let error = DatabaseUrl::parse("sc://h:port/;token=s3cret", base).expect_err("a bad port");
        assert!(!error.contains("s3cret"), "{error}");
        let error = DatabaseUrl::parse("mysql://me:s3cret@h/db", base).expect_err("unknown");
        assert!(!error.contains("s3cret"), "{error}");
    }
}
