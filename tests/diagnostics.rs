//! One fixture per diagnostic code under `tests/fixtures/diagnostics/`,
//! named after the code (`E0301.cpi`, or a project folder `E0113/`): each
//! must report its code, and its rendered output (plain text, no colour) is
//! snapshotted as `diagnostics__<fixture>.snap`.

mod common;

use cpic::diag::render::human_string;

pub fn fixtures() -> Vec<(String, std::path::PathBuf)> {
    let dir = common::root().join("tests/fixtures/diagnostics");
    let mut fixtures: Vec<(String, std::path::PathBuf)> = std::fs::read_dir(&dir)
        .expect("the fixtures folder")
        .map(|e| e.expect("an entry").path())
        .map(|p| {
            let stem = p
                .file_stem()
                .and_then(|s| s.to_str())
                .expect("a name")
                .to_string();
            (stem, p)
        })
        .collect();
    fixtures.sort();
    fixtures
}

#[test]
fn every_fixture_reports_its_code() {
    let fixtures = fixtures();
    assert!(fixtures.len() >= cpic::diag::Code::ALL.len());
    for (stem, path) in fixtures {
        let code = stem.split('-').next().expect("a code");
        let (db, mut compilation) = common::compile_path(&path);
        // Backend codes (E07xx) come from SQL generation in the project's dialect.
        if let Some(model) = &compilation.model {
            let dialect = model.project.dialect;
            if let Err(diags) =
                cpic::sql::Generator::new(model, dialect, &cpic::sql::Options::default())
                    .all_queries()
            {
                compilation.diagnostics.extend(diags);
                compilation.model = None;
            }
        }
        let codes = common::codes(&compilation);
        assert!(
            codes.contains(&code),
            "fixture {stem} should report {code}, got {codes:?}"
        );
        if code.starts_with('E') {
            assert!(
                compilation.model.is_none(),
                "{stem}: an error must withhold the model"
            );
        } else {
            assert!(
                !compilation.has_errors(),
                "{stem}: a warning fixture must have no error"
            );
            assert!(
                compilation.model.is_some(),
                "{stem}: warnings keep the model"
            );
        }
        insta::assert_snapshot!(stem.as_str(), human_string(&db, &compilation.diagnostics));
    }
}
