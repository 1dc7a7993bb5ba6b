//! The examples loaded into a database as tables, and two reports of
//! `cpic run` compared number by number.

use std::path::{Path, PathBuf};

use cpic::model::{self, Model};
use serde_json::Value;

use super::engines::{self, close, Engine};
use super::example;

/// A number of a report's JSON (None for `null`).
pub fn num(v: &Value) -> Option<f64> {
    v.as_f64()
}

/// Two numbers of reports equal to the engines' tolerance, or both absent.
pub fn assert_close(what: &str, got: Option<f64>, want: Option<f64>) {
    engines::assert_same(what, got, want, close);
}

/// A copy of `name` whose sources are plain tables named after their data
/// files, without the DuckDB init file, for SQLite and PostgreSQL.
pub fn tables_copy(name: &str, dir: &Path) -> PathBuf {
    tables_copy_in(name, dir, None)
}

/// [`tables_copy`] with every table in `schema` (`schema.table`), for a
/// server whose tests share one catalog (Spark).
pub fn tables_copy_in(name: &str, dir: &Path, schema: Option<&str>) -> PathBuf {
    let from = example(name);
    let to = dir.join(name);
    std::fs::create_dir_all(&to).expect("a folder");
    for entry in std::fs::read_dir(&from).expect("the example") {
        let path = entry.expect("an entry").path();
        let file = path
            .file_name()
            .expect("a name")
            .to_string_lossy()
            .into_owned();
        if file.ends_with(".cpi") {
            let text = std::fs::read_to_string(&path).expect("a spec");
            let text: String = text
                .lines()
                .map(|line| {
                    let trimmed = line.trim_start();
                    let value = trimmed
                        .strip_prefix("file: \"data/")
                        .and_then(|r| r.strip_suffix(".csv\""))
                        .or_else(|| {
                            trimmed
                                .strip_prefix("table: \"")
                                .and_then(|r| r.strip_suffix('"'))
                                .and_then(|r| r.rsplit('.').next())
                        });
                    match value {
                        Some(table) => match schema {
                            Some(schema) => format!("  table: \"{schema}.{table}\"\n"),
                            None => format!("  table: \"{table}\"\n"),
                        },
                        None => format!("{line}\n"),
                    }
                })
                .collect();
            std::fs::write(to.join(&file), text).expect("write");
        } else if file == "cpi.toml" {
            let text = std::fs::read_to_string(&path).expect("cpi.toml");
            let kept: Vec<&str> = text
                .lines()
                .filter(|l| !l.starts_with("init") && !l.starts_with("url"))
                .collect();
            std::fs::write(to.join(&file), kept.join("\n")).expect("write");
        }
    }
    to
}

/// Loads the example's data into `engine` as tables named after the files
/// (each prefixed with `prefix`, such as `schema.`).
pub fn load_tables(engine: &mut dyn Engine, model: &Model, root: &Path, prefix: &str) {
    for source in &model.sources {
        let path = match &source.origin {
            model::Origin::File(p) => root.join(p),
            model::Origin::Table(t) => root
                .join("data")
                .join(format!("{}.csv", t.rsplit('.').next().expect("a name"))),
        };
        let table = path
            .file_stem()
            .expect("a stem")
            .to_string_lossy()
            .into_owned();
        let table = format!("{prefix}{table}");
        let text = std::fs::read_to_string(&path).expect("the data");
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().expect("a header").split(',').collect();
        let types: Vec<&str> = header
            .iter()
            .map(|c| match source.column(c).map(|c| &c.ty) {
                Some(model::ColumnType::Scalar(s)) => match s {
                    model::ScalarType::Text => "text",
                    model::ScalarType::Bool => "bool",
                    model::ScalarType::Int => "int",
                    model::ScalarType::Float => "number",
                    model::ScalarType::Date => "date",
                    model::ScalarType::Timestamp => "timestamp",
                },
                Some(model::ColumnType::Quantity { .. }) => "number",
                None => "text",
            })
            .collect();
        let columns: Vec<String> = header
            .iter()
            .zip(&types)
            .map(|(c, t)| {
                format!(
                    "{} {}",
                    engine.dialect().dialect().ident(c),
                    engine.column_type(t)
                )
            })
            .collect();
        engine.execute(&format!("CREATE TABLE {table} ({})", columns.join(", ")));
        let rows: Vec<String> = lines
            .map(|line| {
                let values: Vec<String> = line
                    .split(',')
                    .zip(&types)
                    .map(|(v, t)| engine.literal(t, (!v.is_empty()).then_some(v)))
                    .collect();
                format!("({})", values.join(", "))
            })
            .collect();
        for chunk in rows.chunks(1000) {
            engine.execute(&format!("INSERT INTO {table} VALUES {}", chunk.join(", ")));
        }
    }
}

/// Every number of two reports agrees.
pub fn assert_same_report(a: &Value, b: &Value, what: &str) {
    let (ma, mb) = (
        a["metrics"].as_array().expect("metrics"),
        b["metrics"].as_array().expect("metrics"),
    );
    assert_eq!(ma.len(), mb.len());
    for (x, y) in ma.iter().zip(mb) {
        assert_eq!(x["name"], y["name"]);
        let (sx, sy) = (
            x["series"].as_array().expect("series"),
            y["series"].as_array().expect("series"),
        );
        assert_eq!(sx.len(), sy.len(), "{what}: periods of {}", x["name"]);
        for (p, q) in sx.iter().zip(sy) {
            assert_eq!(p["period"], q["period"]);
            assert_close(
                &format!("{what}: {}", x["name"]),
                num(&p["value"]),
                num(&q["value"]),
            );
        }
        assert_eq!(
            x["target"]["status"], y["target"]["status"],
            "{what}: {}",
            x["name"]
        );
    }
    let (la, lb) = (
        a["links"].as_array().expect("links"),
        b["links"].as_array().expect("links"),
    );
    for (x, y) in la.iter().zip(lb) {
        for key in [
            "n",
            "m",
            "r",
            "r_diff",
            "rho_from",
            "rho_to",
            "n_eff",
            "z",
            "p",
            "effect",
            "effect_low",
            "effect_high",
        ] {
            assert_close(
                &format!("{what}: {key} of {} -> {}", x["from"], x["to"]),
                num(&x[key]),
                num(&y[key]),
            );
        }
        assert_eq!(x["verdict"], y["verdict"]);
    }
    for section in ["experiments", "expectations"] {
        assert_same_values(&a[section], &b[section], &format!("{what}: {section}"));
    }
}

/// Two JSON values agree: numbers within [`close`], everything else equal.
pub fn assert_same_values(a: &Value, b: &Value, at: &str) {
    match (a, b) {
        (Value::Number(_), Value::Number(_)) => assert_close(at, num(a), num(b)),
        (Value::Array(x), Value::Array(y)) => {
            assert_eq!(x.len(), y.len(), "{at}: lengths");
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                assert_same_values(p, q, &format!("{at}[{i}]"));
            }
        }
        (Value::Object(x), Value::Object(y)) => {
            assert_eq!(
                x.keys().collect::<Vec<_>>(),
                y.keys().collect::<Vec<_>>(),
                "{at}: keys"
            );
            for (key, p) in x {
                assert_same_values(p, &y[key], &format!("{at}.{key}"));
            }
        }
        _ => assert_eq!(a, b, "{at}"),
    }
}
