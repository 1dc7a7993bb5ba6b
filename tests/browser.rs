//! The docs site in a real browser: headless Chromium opens the pages from
//! disk, and the test fails on any console error, exception, failed load or
//! dialog; it checks the visible text, the search, the copy button, keyboard
//! navigation, phone width, dark mode and text contrast, and saves
//! screenshots under `target/browser-screenshots/` (CI artifacts).
//!
//! Needs Chromium (`CPIC_TEST_CHROMIUM`, else /usr/bin/chromium): skipped
//! without it, except under `CI=true`, where `.ci/run` installs it.

mod common;

use std::path::{Path, PathBuf};

use common::browser::{chromium, Browser};
use serde_json::Value;

fn screenshots() -> PathBuf {
    common::root().join("target/browser-screenshots")
}

fn browser() -> Option<Browser> {
    match chromium() {
        Some(path) => Some(Browser::launch(&path)),
        None if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("CI=true but no Chromium: install Debian's `chromium` or set CPIC_TEST_CHROMIUM")
        }
        None => {
            eprintln!("skipped: no Chromium (set CPIC_TEST_CHROMIUM)");
            None
        }
    }
}

fn build(project: &Path, out: &Path) {
    common::cpic_ok([
        "docs".as_ref(),
        project.as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
        "--today".as_ref(),
        std::ffi::OsStr::new("2026-11-23"),
    ]);
}

fn url(site: &Path, page: &str) -> String {
    format!("file://{}/{page}", site.display())
}

fn text(b: &mut Browser) -> String {
    b.eval("document.body.innerText")
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn assert_clean(b: &mut Browser, page: &str) {
    let problems = b.problems();
    assert!(problems.is_empty(), "{page}: {problems:?}");
}

/// The lowest contrast ratio between the text of any visible element
/// matching `selector` and the background behind it (WCAG formula).
const CONTRAST: &str = r#"
(function (selector) {
  function rgb(s) { var m = s.match(/[\d.]+/g).map(Number); return { r: m[0], g: m[1], b: m[2], a: m.length > 3 ? m[3] : 1 }; }
  function lum(c) { return [c.r, c.g, c.b].map(function (v) { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); })
    .reduce(function (s, v, i) { return s + v * [0.2126, 0.7152, 0.0722][i]; }, 0); }
  function background(el) {
    for (var e = el; e; e = e.parentElement) { var c = rgb(getComputedStyle(e).backgroundColor); if (c.a > 0.5) { return c; } }
    return rgb(getComputedStyle(document.documentElement).backgroundColor || 'rgb(255,255,255)');
  }
  var worst = 99, where = '';
  document.querySelectorAll(selector).forEach(function (el) {
    if (!el.offsetParent || !el.textContent.trim()) { return; }
    var a = lum(rgb(getComputedStyle(el).color)), b = lum(background(el));
    var ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < worst) { worst = ratio; where = el.className + ': ' + el.textContent.trim().slice(0, 40); }
  });
  return [worst, where];
})
"#;

fn min_contrast(b: &mut Browser, selector: &str) -> (f64, String) {
    let v: Value = b.eval(&format!("{CONTRAST}({selector:?})"));
    (
        v[0].as_f64().unwrap_or(0.0),
        v[1].as_str().unwrap_or_default().to_string(),
    )
}

#[test]
fn the_site_works_in_a_browser() {
    let Some(mut b) = browser() else { return };
    let tmp = tempfile::tempdir().expect("tmp");
    let site = tmp.path().join("site");
    build(&common::root().join("examples/insurance"), &site);
    let shots = screenshots();

    // Home: the core metric with its value, teams, KPIs, the map.
    b.open(&url(&site, "index.html"));
    assert_clean(&mut b, "index.html");
    let home = text(&mut b);
    for expected in [
        "Acme Insurance",
        "Core metric",
        "Time to a firm quote",
        "Know the price before calling anyone else",
        "32.5 s",
        "on target",
        "CPIs by team",
        "Sales Operations",
        "KPIs",
        "Quote-to-policy conversion",
        "CPI → KPI map",
    ] {
        assert!(home.contains(expected), "home shows `{expected}`:\n{home}");
    }
    b.screenshot(&shots.join("home.png"));

    // Keyboard: the first Tab reaches the skip link, the next the brand.
    b.press("Tab", "Tab", 9, false);
    assert_eq!(b.eval("document.activeElement.className"), "skip");
    b.press("Tab", "Tab", 9, false);
    assert_eq!(b.eval("document.activeElement.className"), "brand");

    // Search: typing shows matches as text; Enter opens the first.
    b.eval("document.getElementById('search-input').focus()");
    b.type_text("firm quote");
    let results = b.eval("document.getElementById('search-results').innerText");
    let results = results.as_str().unwrap_or_default();
    assert!(results.contains("Time to a firm quote"), "{results}");
    assert_eq!(
        b.eval("document.getElementById('search-input').getAttribute('aria-expanded')"),
        "true"
    );
    b.press("Enter", "Enter", 13, false);
    let mut landed = String::new();
    for _ in 0..50 {
        std::thread::sleep(std::time::Duration::from_millis(100));
        if let Some(Value::String(path)) = b.try_eval("location.pathname") {
            if path.ends_with("metrics/quote_turnaround.html") {
                landed = path;
                break;
            }
        }
    }
    assert!(
        !landed.is_empty(),
        "Enter on a search hit opens its page (at {:?})",
        b.try_eval("location.href + ' ' + document.activeElement.id")
    );

    // A metric page: facts, evidence, the chart, the SQL and its copy button.
    b.open(&url(&site, "metrics/quote_turnaround.html"));
    assert_clean(&mut b, "metrics/quote_turnaround.html");
    let metric = text(&mut b);
    for expected in [
        "Time to a firm quote",
        "Know the price before calling anyone else",
        "Sales Operations",
        "Contextual inquiry",
        "Targets",
        "h2_2026",
        "What this moves",
        "Quote-to-policy conversion",
        "DuckDB",
        "metrics.cpi",
    ] {
        assert!(metric.contains(expected), "metric page shows `{expected}`");
    }
    assert_eq!(
        b.eval("document.querySelectorAll('svg.chart title').length > 0"),
        true
    );
    assert_eq!(
        b.eval("document.querySelectorAll('pre code[id^=code-sql]').length"),
        1,
        "the query of the project's dialect, once"
    );
    assert_eq!(
        b.eval("document.querySelector('.sql-query .copy').hidden"),
        false,
        "the copy button shows where scripts run"
    );
    let notes = b.eval("document.getElementById('sql').parentElement.textContent");
    assert!(
        notes.as_str().is_some_and(|t| t.contains(
            "Not available in PostgreSQL, SQLite, BigQuery, Snowflake, Spark, Trino: source `quotes` reads a file"
        )),
        "the other dialects cannot read the example's files: {notes:?}"
    );
    let (ratio, which) = min_contrast(
        &mut b,
        "p, td, th, dt, dd, a, .badge, .note, .sub, h1, h2, h3, code, .tick",
    );
    assert!(ratio >= 4.5, "light theme contrast {ratio:.2} for {which}");
    b.screenshot(&shots.join("metric.png"));

    b.color_scheme("dark");
    let (ratio, which) = min_contrast(
        &mut b,
        "p, td, th, dt, dd, a, .badge, .note, .sub, h1, h2, h3, code",
    );
    assert!(ratio >= 4.5, "dark theme contrast {ratio:.2} for {which}");
    assert_ne!(
        b.eval("getComputedStyle(document.body).backgroundColor"),
        "rgb(255, 255, 255)",
        "dark mode follows the system preference"
    );
    b.screenshot(&shots.join("metric-dark.png"));
    b.color_scheme("light");

    // Phone width: the page itself never scrolls sideways.
    b.viewport(390, 844);
    b.open(&url(&site, "metrics/quote_turnaround.html"));
    assert_eq!(
        b.eval("document.documentElement.scrollWidth <= window.innerWidth + 1"),
        true,
        "no horizontal scrolling at phone width"
    );
    b.screenshot(&shots.join("metric-phone.png"));
    b.viewport(1280, 900);

    // The map: every metric and link is a link; the legend explains them.
    b.open(&url(&site, "map.html"));
    assert_clean(&mut b, "map.html");
    let (_, c) = common::compile_path(&common::root().join("examples/insurance"));
    let model = c.model.expect("a model");
    assert_eq!(
        b.eval("document.querySelectorAll('svg.map a').length"),
        model.metrics.len() + model.links.len()
    );
    let map = text(&mut b);
    for expected in ["hypothesized", "confirmed", "data supports", "Links"] {
        assert!(map.contains(expected), "map page shows `{expected}`");
    }
    b.screenshot(&shots.join("map.png"));

    // A link page with its scatter plot.
    b.open(&url(&site, "links/quote_turnaround__bind_rate.html"));
    assert_clean(&mut b, "links/quote_turnaround__bind_rate.html");
    assert!(text(&mut b).contains("What the data says"));
    assert_eq!(
        b.eval("document.querySelectorAll('svg.scatter circle').length > 10"),
        true
    );
    b.screenshot(&shots.join("link.png"));
}

#[test]
fn hostile_strings_do_not_run_in_a_browser() {
    let Some(mut b) = browser() else { return };
    let tmp = tempfile::tempdir().expect("tmp");
    let site = tmp.path().join("site");
    build(&common::root().join("tests/fixtures/docs/hostile"), &site);
    for page in [
        "index.html",
        "metrics/fast.html",
        "metrics/money.html",
        "links/fast__money.html",
        "teams/ops.html",
        "map.html",
    ] {
        b.open(&url(&site, page));
        assert_clean(&mut b, page);
        assert_eq!(
            b.eval("document.scripts.length"),
            2,
            "{page}: only the site's scripts"
        );
        assert_eq!(
            b.eval("document.querySelectorAll('img, iframe').length"),
            0,
            "{page}"
        );
    }
    b.open(&url(&site, "metrics/fast.html"));
    assert!(
        text(&mut b).contains("<script>alert('title')</script>"),
        "shown as text"
    );
    b.eval("document.getElementById('search-input').focus()");
    b.type_text("script");
    let results = b.eval("document.getElementById('search-results').innerText");
    assert!(results
        .as_str()
        .unwrap_or_default()
        .contains("<script>alert('title')</script>"));
    assert_eq!(
        b.eval("document.querySelectorAll('#search-results script, #search-results img').length"),
        0
    );
    assert_clean(&mut b, "search on the hostile site");
    b.screenshot(&screenshots().join("hostile.png"));
}
