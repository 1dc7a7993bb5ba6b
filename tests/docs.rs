//! `cpic docs` end to end: the real binary builds sites from the examples
//! and from a hostile fixture; pages are snapshotted (main region), crawled
//! for broken links and assets, searched for anything a spec string could
//! have injected, and rebuilt for byte equality.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The date of every site built here (the examples' data ends in 2026).
const TODAY: &str = "2026-11-23";

use common::{example, files};

fn hostile() -> PathBuf {
    common::root().join("tests/fixtures/docs/hostile")
}

/// Runs `cpic docs` and returns (exit status, stderr).
fn docs(args: &[&str]) -> (i32, String) {
    let out = common::cpic()
        .arg("docs")
        .args(args)
        .output()
        .expect("cpic runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Builds the site of `project` into a new temporary folder.
fn build(project: &Path, extra: &[&str]) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("a temporary folder");
    let out = tmp.path().join("site");
    let project = project.to_string_lossy();
    let out_arg = out.to_string_lossy();
    let mut args = vec![project.as_ref(), "-o", out_arg.as_ref(), "--today", TODAY];
    args.extend_from_slice(extra);
    let (status, stderr) = docs(&args);
    assert_eq!(status, 0, "cpic docs {project} failed: {stderr}");
    (tmp, out)
}

fn html_pages(site: &BTreeMap<String, Vec<u8>>) -> Vec<(&str, String)> {
    site.iter()
        .filter(|(p, _)| p.ends_with(".html"))
        .map(|(p, b)| (p.as_str(), String::from_utf8(b.clone()).expect("UTF-8")))
        .collect()
}

/// The page's main region, with the SQL replaced by its line count (the
/// SQL itself has its own golden files and execution tests).
fn main_region(html: &str) -> String {
    let start = html.find("<main").expect("a main element");
    let end = html.find("</main>").expect("a main end") + "</main>".len();
    let mut main = html[start..end].to_string();
    while let Some(i) = main.find("<pre><code id=\"code-") {
        let body = main[i..].find("\">").expect("tag end") + i + 2;
        let close = main[body..].find("</code>").expect("code end") + body;
        let lines = main[body..close].lines().count();
        main.replace_range(i..close, &format!("<pre><code>[{lines} lines of SQL]"));
    }
    main
}

/// The values of `attr="..."` in a page, unescaped.
fn attribute_values(html: &str, attr: &str) -> Vec<String> {
    let needle = format!(" {attr}=\"");
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find(&needle) {
        rest = &rest[i + needle.len()..];
        let end = rest.find('"').expect("a closing quote");
        out.push(rest[..end].replace("&amp;", "&").replace("&#x2f;", "/"));
        rest = &rest[end..];
    }
    out
}

/// Resolves `href` from the page at `page` (both relative to the root).
fn resolve(page: &str, href: &str) -> String {
    let mut parts: Vec<&str> = page.split('/').collect();
    parts.pop();
    for seg in href.split('/') {
        match seg {
            ".." => {
                parts.pop();
            }
            "." | "" => {}
            s => parts.push(s),
        }
    }
    parts.join("/")
}

fn check_links(site: &BTreeMap<String, Vec<u8>>) -> usize {
    let mut checked = 0;
    let pages = html_pages(site);
    let ids: BTreeMap<&str, BTreeSet<String>> = pages
        .iter()
        .map(|(p, html)| (*p, attribute_values(html, "id").into_iter().collect()))
        .collect();
    for (page, html) in &pages {
        for target in attribute_values(html, "href")
            .into_iter()
            .chain(attribute_values(html, "src"))
        {
            if target.starts_with("https://") || target.starts_with("mailto:") {
                continue;
            }
            assert!(
                !target.contains(':'),
                "{page}: a link with a scheme the site must not have: {target}"
            );
            let (path, fragment) = target.split_once('#').unwrap_or((&target, ""));
            let file = if path.is_empty() {
                page.to_string()
            } else {
                resolve(page, path)
            };
            assert!(
                site.contains_key(&file),
                "{page}: broken link or missing asset `{target}` ({file})"
            );
            if !fragment.is_empty() {
                assert!(
                    ids.get(file.as_str())
                        .is_some_and(|ids| ids.contains(fragment)),
                    "{page}: `{target}` points to no element"
                );
            }
            checked += 1;
        }
    }
    checked
}

#[test]
fn every_example_builds_a_site_without_broken_links_or_missing_assets() {
    for &name in common::EXAMPLES {
        let (_tmp, out) = build(&example(name), &[]);
        let site = files(&out);
        for required in [
            "index.html",
            "map.html",
            "teams.html",
            "sources.html",
            "assets/style.css",
            "assets/site.js",
            "assets/search-index.js",
            cpic::output::MARKER,
        ] {
            assert!(site.contains_key(required), "{name}: no {required}");
        }
        let (_, c) = common::compile_path(&example(name));
        let model = c.model.expect("a model");
        for m in &model.metrics {
            assert!(site.contains_key(&format!("metrics/{}.html", m.name)));
        }
        for l in &model.links {
            assert!(site.contains_key(&format!("links/{}__{}.html", l.from, l.to)));
        }
        for t in &model.teams {
            assert!(site.contains_key(&format!("teams/{}.html", t.name)));
        }
        for s in &model.sources {
            assert!(site.contains_key(&format!("sources/{}.html", s.name)));
        }
        let checked = check_links(&site);
        assert!(checked > 50, "{name}: only {checked} links checked");
        // No page reaches the network: no absolute address in a src, no
        // stylesheet or script from elsewhere.
        for (page, html) in html_pages(&site) {
            for src in attribute_values(&html, "src") {
                assert!(!src.contains("//"), "{page} loads {src}");
            }
            assert!(html.contains("lang=\"en\""), "{page}");
        }
    }
}

#[test]
fn the_crawler_finds_a_broken_link() {
    let (_tmp, out) = build(&example("insurance"), &["--no-data"]);
    let mut site = files(&out);
    site.remove("teams/finance.html");
    let caught = std::panic::catch_unwind(|| check_links(&site));
    assert!(caught.is_err(), "a missing page must fail the crawl");
}

#[test]
fn pages_snapshot() {
    let (_tmp, out) = build(&example("insurance"), &[]);
    for page in [
        "metrics/quote_turnaround.html",
        "teams/sales.html",
        "links/quote_turnaround__bind_rate.html",
    ] {
        let html = std::fs::read_to_string(out.join(page)).expect("the page");
        insta::assert_snapshot!(page.replace('/', "__"), main_region(&html));
    }
}

#[test]
fn pages_show_the_data_of_the_run() {
    let (_tmp, out) = build(&example("insurance"), &[]);
    let read = |p: &str| std::fs::read_to_string(out.join(p)).expect("the page");
    let home = read("index.html");
    // The core metric front and centre, with its value and target band.
    let core = &home[home.find("class=\"core\"").expect("the core card")..];
    let core = &core[..core.find("</section>").expect("its end")];
    assert!(core.contains("Time to a firm quote"), "{core}");
    assert!(core.contains("32.5 s"), "{core}");
    assert!(core.contains("Target 30 s .. 45 s"), "{core}");
    assert!(core.contains("<svg class=\"chart\""), "{core}");
    let metric = read("metrics/quote_turnaround.html");
    assert!(
        metric.contains("class=\"band\""),
        "the target band is shaded"
    );
    assert!(metric.contains("on target"));
    let link = read("links/quote_turnaround__bind_rate.html");
    assert!(link.contains("data supports"));
    assert!(link.contains("<svg class=\"chart scatter\""));
    assert!(link.contains("class=\"fit\""), "the fitted line");
    assert!(link.contains("class=\"fit-band\""), "its 95% band");
    assert!(link.contains("levels-from-title") && link.contains("levels-to-title"));
    assert!(link.contains("1 week later (declared)"), "the lag profile");
    assert!(link.contains("By channel") && link.contains("corrected p"));
    assert!(link.contains("association in time"));
    // What reaching the CPI's target would mean: options are below their
    // 3 .. 5 range; the effect's interval times the moves to either end.
    let options = read("links/payment_options__bind_rate.html");
    assert!(
        options.contains("Moving Payment-plan options offered from 2.29 options into 3 options .. 5 options goes with -17 pp to +3.2 pp Quote-to-policy conversion the same week, if the association holds."),
        "the target's implication"
    );
    let map = read("map.html");
    assert!(map.contains("edge-confirmed") && map.contains("verdict-contradicts"));
    // Every link and metric of the model is on the map, as a link.
    let (_, c) = common::compile_path(&example("insurance"));
    let model = c.model.expect("a model");
    for m in &model.metrics {
        assert!(map.contains(&format!("href=\"metrics/{}.html\"", m.name)));
    }
    for l in &model.links {
        assert!(map.contains(&format!("href=\"links/{}__{}.html\"", l.from, l.to)));
    }
}

#[test]
fn without_data_the_site_has_no_values_and_says_why() {
    let (_tmp, out) = build(&example("insurance"), &["--no-data"]);
    let home = std::fs::read_to_string(out.join("index.html")).expect("home");
    assert!(home.contains("Built without data"));
    assert!(!home.contains("<svg class=\"chart\""));
    assert!(!home.contains("verdict-"), "no verdicts without data");
    let link = std::fs::read_to_string(out.join("links/quote_turnaround__bind_rate.html"))
        .expect("a link page");
    assert!(link.contains("the statistics appear when the site is built with a reachable database"));
}

#[test]
fn an_unreachable_default_database_gives_a_site_without_data_but_an_explicit_one_fails() {
    let tmp = tempfile::tempdir().expect("a temporary folder");
    let project = tmp.path().join("p");
    std::fs::create_dir_all(&project).expect("a folder");
    let spec = std::fs::read_to_string(example("insurance").join("metrics.cpi")).expect("spec");
    let sources = std::fs::read_to_string(example("insurance").join("sources.cpi"))
        .expect("spec")
        .replace(
            "file: \"data/quotes.csv\"",
            "table: \"warehouse.missing_quotes\"",
        );
    std::fs::write(project.join("metrics.cpi"), spec).expect("write");
    std::fs::write(project.join("sources.cpi"), sources).expect("write");
    std::fs::copy(
        example("insurance").join("teams.cpi"),
        project.join("teams.cpi"),
    )
    .expect("copy");
    let out = tmp.path().join("site");
    let (status, stderr) = docs(&[
        project.to_str().expect("UTF-8"),
        "-o",
        out.to_str().expect("UTF-8"),
        "--today",
        TODAY,
    ]);
    assert_eq!(status, 0, "{stderr}");
    assert!(
        stderr.contains("warning: building the site without data"),
        "{stderr}"
    );
    assert!(
        stderr.contains("cannot compute") && stderr.contains("duckdb://:memory:"),
        "the reason is given: {stderr}"
    );
    assert!(out.join("index.html").exists());

    let out2 = tmp.path().join("site2");
    let (status, stderr) = docs(&[
        project.to_str().expect("UTF-8"),
        "-o",
        out2.to_str().expect("UTF-8"),
        "--db",
        "postgres://nobody:secret@127.0.0.1:9/none",
    ]);
    assert_eq!(status, 1, "{stderr}");
    assert!(
        !stderr.contains("secret"),
        "the password is masked: {stderr}"
    );
    assert!(!out2.exists(), "no site is written");
}

#[test]
fn hostile_strings_appear_only_as_text() {
    let (_tmp, out) = build(&hostile(), &[]);
    let site = files(&out);
    let pages = html_pages(&site);
    assert!(pages.len() >= 9);
    for (page, html) in &pages {
        // The only scripts are the site's own two files.
        let mut rest = html.as_str();
        let mut scripts = 0;
        while let Some(i) = rest.to_ascii_lowercase().find("<script") {
            let tag_end = rest[i..].find('>').expect("tag end") + i;
            let tag = &rest[i..=tag_end];
            assert!(
                tag.contains("assets/search-index.js") || tag.contains("assets/site.js"),
                "{page}: unexpected script tag {tag}"
            );
            scripts += 1;
            rest = &rest[tag_end..];
        }
        assert_eq!(scripts, 2, "{page}");
        // No element carries an event handler or a dangerous address.
        let lower = html.to_ascii_lowercase();
        let mut rest = lower.as_str();
        while let Some(i) = rest.find('<') {
            let tag_end = rest[i..].find('>').map_or(rest.len(), |e| e + i);
            let tag = &rest[i..tag_end];
            if tag[1..].starts_with(|c: char| c.is_ascii_alphabetic()) {
                for bad in [
                    " onerror",
                    " onload",
                    " onclick",
                    " onmouseover",
                    "javascript:",
                    " srcdoc",
                ] {
                    assert!(!tag.contains(bad), "{page}: injected `{bad}` in {tag}");
                }
                for banned in ["<img", "<iframe", "<b ", "<svg onload"] {
                    assert!(!tag.starts_with(banned), "{page}: injected element {tag}");
                }
            }
            rest = &rest[tag_end.max(i + 1)..];
        }
    }
    // askama writes `&#60;`, the drawings `&lt;`: compare one spelling.
    let metric = String::from_utf8(site["metrics/fast.html"].clone())
        .expect("UTF-8")
        .replace("&#60;", "&lt;")
        .replace("&#62;", "&gt;")
        .replace("&#34;", "&quot;")
        .replace("&#38;", "&amp;");
    for shown in [
        "&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt;",
        "&lt;/blockquote&gt;&lt;img src=x onerror=alert(&#39;outcome&#39;)&gt;",
        "&lt;b onmouseover=alert(&#39;evidence&#39;)&gt;visits&lt;/b&gt;",
        "&lt;svg onload=alert(&#39;note&#39;)&gt;",
    ] {
        assert!(metric.contains(shown), "`{shown}` is shown escaped");
    }
    // Markdown: the link text stays, the address does not.
    assert!(metric.contains("click me") && !metric.contains("click me</a>"));
    // The mail link only for a plain address.
    let ops = String::from_utf8(site["teams/ops.html"].clone()).expect("UTF-8");
    assert!(!ops.contains("mailto:"), "a hostile contact is not a link");
    let care = String::from_utf8(site["teams/safe_team.html"].clone()).expect("UTF-8");
    assert!(care.contains("href=\"mailto:care+docs@support.example\""));
    // The search index is data: valid JSON holding the strings as they are.
    let index = String::from_utf8(site["assets/search-index.js"].clone()).expect("UTF-8");
    let json = index
        .strip_prefix("window.CPIC_SEARCH = ")
        .and_then(|s| s.strip_suffix(";\n"))
        .expect("one assignment");
    let entries: serde_json::Value = serde_json::from_str(json).expect("JSON");
    assert!(entries
        .as_array()
        .expect("a list")
        .iter()
        .any(|e| e["t"] == "<script>alert('title')</script>"));
    check_links(&site);
}

#[test]
fn overdue_reviews_are_flagged() {
    let (_tmp, out) = build(&hostile(), &["--no-data"]);
    let metric = std::fs::read_to_string(out.join("metrics/fast.html")).expect("page");
    assert!(
        metric.contains("monthly, last on 2026-01-15"),
        "the cadence and last review"
    );
    assert!(
        metric.contains("overdue since 2026-02-15"),
        "due a month after the review"
    );
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("site");
    let (status, stderr) = docs(&[
        hostile().to_str().expect("UTF-8"),
        "-o",
        out.to_str().expect("UTF-8"),
        "--no-data",
        "--today",
        "2026-02-10",
    ]);
    assert_eq!(status, 0, "{stderr}");
    let metric = std::fs::read_to_string(out.join("metrics/fast.html")).expect("page");
    assert!(metric.contains("next by 2026-02-15"), "not yet due");
}

#[test]
fn rebuilding_gives_the_same_bytes() {
    for extra in [&[][..], &["--no-data"][..]] {
        let (_a, first) = build(&example("insurance"), extra);
        let (_b, second) = build(&example("insurance"), extra);
        let (first, second) = (files(&first), files(&second));
        assert_eq!(
            first.keys().collect::<Vec<_>>(),
            second.keys().collect::<Vec<_>>()
        );
        for (path, bytes) in &first {
            assert!(bytes == &second[path], "{path} differs between two builds");
        }
    }
}

#[test]
fn a_project_with_errors_writes_no_site() {
    let tmp = tempfile::tempdir().expect("tmp");
    std::fs::write(
        tmp.path().join("bad.cpi"),
        "cpi x { title: \"X\" unit: lightyears }\n",
    )
    .expect("write");
    let out = tmp.path().join("site");
    let (status, stderr) = docs(&[
        tmp.path().to_str().expect("UTF-8"),
        "-o",
        out.to_str().expect("UTF-8"),
    ]);
    assert_eq!(status, 1, "{stderr}");
    assert!(
        stderr.contains("error["),
        "diagnostics as in `cpic check`: {stderr}"
    );
    assert!(!out.exists());
}

#[test]
fn a_folder_that_cpic_did_not_write_is_never_replaced() {
    let tmp = tempfile::tempdir().expect("tmp");
    let precious = tmp.path().join("precious");
    std::fs::create_dir_all(&precious).expect("mkdir");
    std::fs::write(precious.join("notes.txt"), "keep").expect("write");
    let (status, stderr) = docs(&[
        example("insurance").to_str().expect("UTF-8"),
        "-o",
        precious.to_str().expect("UTF-8"),
        "--no-data",
    ]);
    assert_eq!(status, 2, "{stderr}");
    assert!(stderr.contains("was not written by cpic"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(precious.join("notes.txt")).expect("kept"),
        "keep"
    );
    // Its own output is replaced whole.
    let (_tmp, out) = build(&example("insurance"), &["--no-data"]);
    std::fs::write(out.join("stale.html"), "old").expect("write");
    let (status, stderr) = docs(&[
        example("insurance").to_str().expect("UTF-8"),
        "-o",
        out.to_str().expect("UTF-8"),
        "--no-data",
    ]);
    assert_eq!(status, 0, "{stderr}");
    assert!(!out.join("stale.html").exists());
}

/// The language reference is a page of every site, from docs/language.md
/// (the crawl of `every_example_builds_a_site_...` checks that its table
/// of contents points to its headings).
#[test]
fn the_site_has_the_language_reference() {
    let (_tmp, out) = build(&example("insurance"), &[]);
    let html = std::fs::read_to_string(out.join("language.html")).expect("the page");
    let main = main_region(&html);
    assert!(
        main.contains("<h1 id=\"the-cpi-language\">The cpi language</h1>"),
        "{main}"
    );
    assert!(main.contains("<h2 id=\"9-link-evidence\">9. Link evidence</h2>"));
    assert!(main.contains("href=\"#9-link-evidence\""));
    // The schema's tables, without the comments that mark them, and no
    // link to a file the site does not have.
    assert!(main.contains("<td>the team's display name</td>"), "{main}");
    assert!(!main.contains("<!--") && !main.contains("fields: team"));
    assert!(!main.contains(".md\""));
    let index = std::fs::read_to_string(out.join("index.html")).expect("the home page");
    assert!(index.contains("<a href=\"language.html\">Language</a>"));
}
