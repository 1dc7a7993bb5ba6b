//! The search index, written at build time as a script that sets one
//! global (a `fetch` of a JSON file is refused on `file://`).

use serde::Serialize;

use super::pages::{link_href, metric_href, source_href, team_href};
use super::Ctx;

/// One searchable page. Short keys keep the index small at 12,000 metrics.
#[derive(Serialize)]
struct Entry<'a> {
    /// Title.
    t: String,
    /// Kind: CPI, KPI, Team, Source, Link.
    k: &'a str,
    /// Name.
    n: String,
    /// The customer outcome (CPIs) or hypothesis (links).
    o: &'a str,
    /// The owner's name.
    w: &'a str,
    /// The page, relative to the site's root.
    u: String,
}

pub fn index_script(ctx: &Ctx) -> String {
    let model = ctx.model;
    let owner = |name: &str| model.team(name).map_or("", |t| t.display_name.as_str());
    let mut entries = Vec::new();
    for m in &model.metrics {
        entries.push(Entry {
            t: m.title.clone(),
            k: m.kind.label(),
            n: m.name.clone(),
            o: m.outcome.as_deref().unwrap_or(""),
            w: owner(&m.owner),
            u: metric_href("", &m.name),
        });
    }
    for l in &model.links {
        entries.push(Entry {
            t: format!(
                "{} → {}",
                model.metric(&l.from).map_or("", |m| m.title.as_str()),
                model.metric(&l.to).map_or("", |m| m.title.as_str())
            ),
            k: "Link",
            n: format!("{} -> {}", l.from, l.to),
            o: l.hypothesis.as_deref().unwrap_or(""),
            w: "",
            u: link_href("", l),
        });
    }
    for t in &model.teams {
        entries.push(Entry {
            t: t.display_name.clone(),
            k: "Team",
            n: t.name.clone(),
            o: "",
            w: "",
            u: team_href("", &t.name),
        });
    }
    for s in &model.sources {
        entries.push(Entry {
            t: s.name.clone(),
            k: "Source",
            n: s.name.clone(),
            o: "",
            w: "",
            u: source_href("", &s.name),
        });
    }
    let json = serde_json::to_string(&entries).expect("plain data serialises");
    // `</script` cannot end anything in a separate file, but U+2028 and
    // U+2029 are escaped for older JavaScript parsers all the same.
    let json = json
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029");
    format!("window.CPIC_SEARCH = {json};\n")
}
