//! Every example project checks without errors, and its checked model is
//! snapshotted.

mod common;

fn check_example(name: &str) {
    let (db, compilation) = common::compile_path(&common::root().join("examples").join(name));
    assert!(
        !compilation.has_errors(),
        "{name} has errors:\n{}",
        cpic::diag::render::human_string(&db, &compilation.diagnostics)
    );
    insta::assert_yaml_snapshot!(name, compilation.model.expect("a model"));
    assert!(
        compilation.diagnostics.is_empty(),
        "{name} should check clean on {}",
        common::TODAY
    );
}

#[test]
fn insurance() {
    check_example("insurance");
}

#[test]
fn online_course() {
    check_example("online-course");
}

#[test]
fn customer_service() {
    check_example("customer-service");
}

#[test]
fn grocery_delivery() {
    check_example("grocery-delivery");
}

/// Between them, the examples use every aggregate, unit family, evidence
/// kind, tier, review cadence and link field.
#[test]
fn examples_cover_the_language() {
    let mut text = String::new();
    for entry in std::fs::read_dir(common::root().join("examples")).expect("examples") {
        let dir = entry.expect("entry").path();
        let db = cpic::source::SourceDb::load(&dir).expect("loads");
        for (_, file) in db.files() {
            text.push_str(&file.text);
        }
    }
    for needle in [
        "count(",
        "count_distinct(",
        "sum(",
        "avg(",
        "min(",
        "max(",
        "median(",
        "percentile(",
        "coalesce(",
        " where ",
        "is not null",
        " in (",
        "not in (",
        "unit: s",
        "unit: min",
        "unit: h",
        "unit: d",
        "unit: USD",
        "unit: EUR",
        "unit: GBP",
        "unit: 1",
        "unit: %",
        "unit: count",
        "unit: {",
        "contextual_inquiry",
        "experiment \"",
        "analytics",
        "survey",
        "focus_group",
        "expert_judgment",
        "benchmark",
        "tier: core",
        "tier: driver",
        "tier: leading",
        "review: weekly",
        "review: monthly",
        "review: quarterly",
        "review: yearly",
        "expect: improves",
        "expect: worsens",
        "lag:",
        "min_periods:",
        "experiment:",
        "status: hypothesized",
        "status: testing",
        "status: confirmed",
        "status: refuted",
        "dimensions:",
        "target h",
        "file:",
        "table:",
        "\"\"\"",
        "time: ",
        "baseline:",
        "competitor:",
        "note:",
    ] {
        assert!(text.contains(needle), "no example uses `{needle}`");
    }
}
