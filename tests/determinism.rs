//! The same project gives the same bytes whatever order its files are
//! added in (issue 7, item 3): SQL for every dialect, the docs site and the
//! checked model, over every example, with files added in shuffled orders.

mod common;

use cpic::source::SourceDb;
use cpic::sql::{self, DialectName};

/// Every output of a project, as bytes by name.
fn outputs(db: &SourceDb) -> Vec<(String, Vec<u8>)> {
    let compilation = cpic::compile(db, &common::options());
    let model = compilation.model.expect("the example checks");
    let mut out = vec![("model".to_string(), serde_json::to_vec(&model).unwrap())];
    for &dialect in DialectName::ALL {
        if let Ok(files) =
            sql::Generator::new(&model, dialect, &sql::Options::default()).all_queries()
        {
            for file in files {
                out.push((
                    format!("{}/{}", dialect.name(), file.path),
                    file.sql.into_bytes(),
                ));
            }
        }
    }
    let today = cpic::date::Date::parse(common::TODAY).unwrap();
    for (path, bytes) in cpic::docs::build(&model, db, None, today).files {
        out.push((format!("docs/{path}"), bytes));
    }
    out
}

#[test]
fn file_order_never_changes_the_output() {
    for &example in common::EXAMPLES {
        let dir = common::example(example);
        let loaded = SourceDb::load(&dir).unwrap();
        let files: Vec<(String, String)> = loaded
            .files()
            .map(|(_, f)| (f.name.clone(), f.text.clone()))
            .collect();
        let mut reference = None;
        // Every rotation and the reverse of every rotation.
        for start in 0..files.len() {
            for reverse in [false, true] {
                let mut order: Vec<&(String, String)> =
                    files.iter().cycle().skip(start).take(files.len()).collect();
                if reverse {
                    order.reverse();
                }
                let mut db = SourceDb::new();
                if let Some(root) = &loaded.root {
                    db.set_root(root.clone());
                }
                for (name, text) in order {
                    db.add(name.clone(), text.as_bytes());
                }
                let got = outputs(&db);
                match &reference {
                    None => reference = Some(got),
                    Some(want) => {
                        assert!(want == &got, "{example}: order {start}/{reverse} differs")
                    }
                }
            }
        }
        assert!(
            reference.is_some_and(|r| r.len() > 20),
            "{example} has outputs"
        );
    }
}
