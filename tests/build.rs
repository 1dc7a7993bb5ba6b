//! `cpic build`: SQL for every dialect, the docs site and `manifest.json`
//! in one folder; the manifest is the checked model and validates against
//! the committed JSON Schema (`schemas/manifest.schema.json`).

mod common;

use std::path::Path;

fn build(project: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    common::cpic()
        .args(build_args(project, out, extra))
        .output()
        .expect("cpic runs")
}

/// `cpic build` that must succeed.
fn build_ok(project: &Path, out: &Path, extra: &[&str]) {
    common::cpic_ok(build_args(project, out, extra));
}

fn build_args(project: &Path, out: &Path, extra: &[&str]) -> Vec<std::ffi::OsString> {
    let mut args: Vec<std::ffi::OsString> = ["build", "--today", common::TODAY]
        .iter()
        .chain(extra)
        .map(Into::into)
        .collect();
    args.extend([project.into(), "-o".into(), out.into()]);
    args
}

use common::examples;

fn files_under(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).expect("a folder") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push(rel);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// The manifest's errors against `schemas/manifest.schema.json`.
fn schema_errors(python: &Path, instance: &Path) -> Vec<String> {
    common::schema_errors(
        python,
        &common::root().join("schemas/manifest.schema.json"),
        instance,
    )
}

#[test]
fn every_example_builds_and_its_manifest_is_the_model() {
    let python = common::jsonschema_python();
    for example in examples() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("build");
        build_ok(&example, &out, &["--no-data"]);
        let manifest: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
        assert_eq!(manifest["schema_version"], 1);
        assert_eq!(manifest["as_of"], common::TODAY);
        assert_eq!(manifest["docs_with_data"], false);

        // The manifest holds the checked model, field for field.
        let (_, compilation) = common::compile_path(&example);
        // (Through text, as the manifest went: serde_json's float parsing
        // is not exact in the last digit.)
        let model = serde_json::to_string(&compilation.model.expect("checks")).unwrap();
        let model: serde_json::Value = serde_json::from_str(&model).unwrap();
        for key in ["teams", "sources", "metrics", "links"] {
            assert_eq!(manifest[key], model[key], "{key} of {}", example.display());
        }

        // Every listed SQL file is there, and nothing else is under sql/.
        let on_disk = files_under(&out);
        let mut listed: Vec<String> = Vec::new();
        for (dialect, output) in manifest["sql"].as_object().unwrap() {
            match output.get("files") {
                Some(files) => {
                    for file in files.as_array().unwrap() {
                        let file = file.as_str().unwrap();
                        assert!(file.starts_with(&format!("sql/{dialect}/")));
                        listed.push(file.to_string());
                    }
                }
                None => assert!(!output["unsupported"].as_array().unwrap().is_empty()),
            }
        }
        listed.sort();
        let sql_on_disk: Vec<String> = on_disk
            .iter()
            .filter(|f| f.starts_with("sql/"))
            .cloned()
            .collect();
        assert_eq!(listed, sql_on_disk);
        assert!(on_disk.contains(&"docs/index.html".to_string()));

        // The SQL is what `cpic sql -o` writes for the same dialect.
        let duckdb = manifest["sql"]["duckdb"]["files"]
            .as_array()
            .expect("duckdb always compiles");
        assert!(!duckdb.is_empty());
        let sql_dir = dir.path().join("sql");
        let sql = common::cpic()
            .args(["sql", "--dialect", "duckdb", "--today", common::TODAY, "-o"])
            .arg(&sql_dir)
            .arg(&example)
            .output()
            .unwrap();
        assert!(sql.status.success());
        for file in duckdb {
            let file = file.as_str().unwrap();
            let inside = file.strip_prefix("sql/").unwrap();
            assert_eq!(
                std::fs::read(out.join(file)).unwrap(),
                std::fs::read(sql_dir.join(inside)).unwrap(),
                "{file}"
            );
        }

        if let Some(python) = &python {
            let errors = schema_errors(python, &out.join("manifest.json"));
            assert!(errors.is_empty(), "{}: {errors:#?}", example.display());
        }
    }
}

/// A way of breaking a manifest, and its description.
type Mutation = (&'static str, fn(&mut serde_json::Value));

/// The schema is strict enough to catch a manifest that drifted from it.
#[test]
fn the_schema_rejects_a_drifted_manifest() {
    let Some(python) = common::jsonschema_python() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("build");
    build_ok(&examples()[2], &out, &["--no-data"]);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    let mutations: [Mutation; 4] = [
        ("an unknown top-level field", |m| {
            m["extra"] = serde_json::json!(1);
        }),
        ("a metric without a title", |m| {
            m["metrics"][0].as_object_mut().unwrap().remove("title");
        }),
        ("a link with an unknown status", |m| {
            m["links"][0]["status"] = serde_json::json!("proven");
        }),
        ("a renamed field", |m| {
            let v = m["metrics"][0]
                .as_object_mut()
                .unwrap()
                .remove("unit")
                .unwrap();
            m["metrics"][0]["units"] = v;
        }),
    ];
    for (what, mutate) in mutations {
        let mut drifted = manifest.clone();
        mutate(&mut drifted);
        let path = dir.path().join("drifted.json");
        std::fs::write(&path, serde_json::to_vec(&drifted).unwrap()).unwrap();
        assert!(
            !schema_errors(&python, &path).is_empty(),
            "{what} must be rejected"
        );
    }
}

#[test]
fn a_build_is_byte_identical_when_repeated() {
    let dir = tempfile::tempdir().unwrap();
    let example = &examples()[0];
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    build_ok(example, &a, &[]);
    build_ok(example, &b, &[]);
    let files = files_under(&a);
    assert_eq!(files, files_under(&b));
    for file in files {
        assert_eq!(
            std::fs::read(a.join(&file)).unwrap(),
            std::fs::read(b.join(&file)).unwrap(),
            "{file}"
        );
    }
}

#[test]
fn the_manifest_masks_a_database_password() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("p");
    std::fs::create_dir(&project).unwrap();
    for entry in std::fs::read_dir(examples()[0].clone()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "cpi") {
            std::fs::copy(&path, project.join(path.file_name().unwrap())).unwrap();
        }
    }
    std::fs::write(
        project.join("cpi.toml"),
        "[database]\nurl = \"postgres://analyst:s3cret@127.0.0.1:1/db\"\n",
    )
    .unwrap();
    let out = dir.path().join("build");
    build_ok(&project, &out, &["--no-data"]);
    let manifest = std::fs::read_to_string(out.join("manifest.json")).unwrap();
    assert!(!manifest.contains("s3cret"));
    assert!(manifest.contains("postgres://analyst:***@127.0.0.1:1/db"));
}

#[test]
fn a_project_with_errors_builds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.cpi"), "cpi x { unit: s }").unwrap();
    let out = dir.path().join("build");
    let run = build(dir.path(), &out, &["--no-data"]);
    assert_eq!(run.status.code(), Some(1));
    assert!(!out.exists());
}

/// The site inlines the SQL of the project's dialect only (Snowflake in
/// this example); the other dialects are links to the files the build
/// wrote beside it (each link resolves) and the command that prints the
/// query; `cpic docs` alone gives the command.
#[test]
fn the_site_links_the_other_dialects_queries() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let project = common::example("customer-service");
    let out = dir.path().join("build");
    build_ok(&project, &out, &["--no-data"]);
    let mut pages = 0;
    for rel in files_under(&out.join("docs")) {
        if !(rel.starts_with("metrics/") || rel.starts_with("links/")) {
            continue;
        }
        pages += 1;
        let page = out.join("docs").join(&rel);
        let html = std::fs::read_to_string(&page).expect("a page");
        assert_eq!(html.matches("<pre><code id=\"code-sql").count(), 1, "{rel}");
        assert_eq!(html.matches("cpic sql --dialect ").count(), 1, "{rel}");
        assert!(
            html.contains("</a>, or <code>cpic sql --dialect &#60;dialect&#62; --"),
            "{rel}"
        );
        let hrefs: Vec<&str> = html
            .split("href=\"")
            .skip(1)
            .filter_map(|s| s.split('"').next())
            .filter(|h| h.ends_with(".sql"))
            .collect();
        assert_eq!(hrefs.len(), 6, "{rel}: a file per other dialect");
        for href in hrefs {
            let target = page.parent().expect("a folder").join(href);
            assert!(target.is_file(), "{rel}: {href} resolves");
        }
    }
    assert!(pages > 10);
    let site = dir.path().join("site");
    common::cpic_ok(
        ["docs", "--no-data", "--today", common::TODAY]
            .iter()
            .map(std::ffi::OsString::from)
            .chain([project.into_os_string(), "-o".into(), site.clone().into()]),
    );
    let html = std::fs::read_to_string(site.join("metrics/first_contact_resolution.html"))
        .expect("a page");
    assert_eq!(html.matches("<pre><code id=\"code-sql").count(), 1);
    assert!(html.contains(
        "Other dialects: <code>cpic sql --dialect &#60;dialect&#62; --metric first_contact_resolution</code>, for duckdb, postgres, sqlite, bigquery, spark or trino."
    ), "{html}");
    assert!(!html.contains(".sql\""), "no link without the files");

    // The insurance example reads files, which only DuckDB can.
    let site = dir.path().join("insurance");
    common::cpic_ok(
        ["docs", "--no-data", "--today", common::TODAY]
            .iter()
            .map(std::ffi::OsString::from)
            .chain([
                common::example("insurance").into_os_string(),
                "-o".into(),
                site.clone().into(),
            ]),
    );
    let html = std::fs::read_to_string(site.join("metrics/quote_turnaround.html")).expect("a page");
    assert_eq!(html.matches("<pre><code id=\"code-sql").count(), 1);
    assert!(html.contains("<p class=\"note\">Not available in PostgreSQL, SQLite, BigQuery, Snowflake, Spark, Trino: source `quotes` reads a file, and only DuckDB reads files in a query</p>"), "{html}");
    assert!(!html.contains("Other dialects"));
}
