//! Descriptions as Markdown, safely: raw HTML is shown as text, links and
//! images only keep addresses whose scheme is harmless, and headings start
//! below the page's own title.

use pulldown_cmark::{html, CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

/// Renders `text` to HTML that cannot carry script.
pub fn render(text: &str) -> String {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    safe_html(Parser::new_ext(text, options), |_| true, demote)
}

/// The language reference (`docs/language.md`, compiled in) as the site's
/// page: its headings get the ids GitHub gives them, so that the page's own
/// table of contents works in both places; links to the repository's other
/// Markdown files become their text (the site does not have them); the
/// comments that mark the generated tables are dropped.
pub fn reference(text: &str) -> String {
    let text: String = text
        .lines()
        .filter(|l| !(l.starts_with("<!--") && l.ends_with("-->")))
        .map(|l| format!("{l}\n"))
        .collect();
    let mut events: Vec<Event> = Parser::new_ext(&text, Options::ENABLE_TABLES).collect();
    // Each heading's id, from the text between its start and its end.
    for i in 0..events.len() {
        if let Event::Start(Tag::Heading { .. }) = &events[i] {
            let words: String = events[i + 1..]
                .iter()
                .take_while(|e| !matches!(e, Event::End(TagEnd::Heading(_))))
                .filter_map(|e| match e {
                    Event::Text(t) | Event::Code(t) => Some(&**t),
                    _ => None,
                })
                .collect();
            if let Event::Start(Tag::Heading { id, .. }) = &mut events[i] {
                *id = Some(CowStr::from(slug(&words)));
            }
        }
    }
    safe_html(events, |url| !url.ends_with(".md"), |level| level)
}

/// HTML from Markdown events, made safe for any text: raw HTML becomes
/// visible text (escaped by the HTML writer), links keep only harmless
/// addresses that `keep_link` also keeps (the others become their text),
/// pictures only the site's own; headings are moved to `level(...)`.
fn safe_html<'a>(
    events: impl IntoIterator<Item = Event<'a>>,
    keep_link: impl Fn(&str) -> bool,
    level: impl Fn(HeadingLevel) -> HeadingLevel,
) -> String {
    let mut dropped_links = Vec::new();
    let mut replacing_image = false;
    let events = events.into_iter().filter_map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Some(Event::Text(raw)),
        Event::Start(Tag::Link { ref dest_url, .. }) => {
            let keep = safe_url(dest_url) && keep_link(dest_url);
            dropped_links.push(!keep);
            keep.then_some(event)
        }
        Event::End(TagEnd::Link) => {
            let dropped = dropped_links.pop().unwrap_or(false);
            (!dropped).then_some(event)
        }
        Event::Start(Tag::Image { ref dest_url, .. })
            if !safe_url(dest_url) || !local_url(dest_url) =>
        {
            // Only pictures shipped with the site: the site works offline
            // and never calls out. Others become their alt text in brackets.
            replacing_image = true;
            Some(Event::Text(CowStr::from("[image: ")))
        }
        Event::End(TagEnd::Image) if replacing_image => {
            replacing_image = false;
            Some(Event::Text(CowStr::from("]")))
        }
        Event::Start(Tag::Heading {
            level: at,
            id,
            classes,
            attrs,
        }) => Some(Event::Start(Tag::Heading {
            level: level(at),
            id,
            classes,
            attrs,
        })),
        Event::End(TagEnd::Heading(at)) => Some(Event::End(TagEnd::Heading(level(at)))),
        other => Some(other),
    });
    let mut out = String::new();
    html::push_html(&mut out, events);
    out
}

/// A heading's anchor as GitHub makes it: lower case, spaces to hyphens,
/// anything but letters, digits, `-` and `_` left out.
fn slug(text: &str) -> String {
    text.trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

fn demote(level: HeadingLevel) -> HeadingLevel {
    match level {
        HeadingLevel::H1 => HeadingLevel::H3,
        HeadingLevel::H2 => HeadingLevel::H3,
        HeadingLevel::H3 => HeadingLevel::H4,
        HeadingLevel::H4 => HeadingLevel::H5,
        _ => HeadingLevel::H6,
    }
}

/// `http`, `https`, `mailto` or a relative address. Browsers ignore
/// whitespace and control characters inside a scheme, so they are removed
/// before looking (`java\tscript:` is `javascript:`).
fn safe_url(url: &str) -> bool {
    let cleaned: String = url
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect::<String>()
        .to_ascii_lowercase();
    match cleaned.find([':', '/', '?', '#']) {
        Some(i) if cleaned.as_bytes()[i] == b':' => {
            matches!(&cleaned[..i], "http" | "https" | "mailto")
        }
        _ => true,
    }
}

/// An address inside the site (no scheme, no host).
fn local_url(url: &str) -> bool {
    !url.contains(':') && !url.starts_with("//")
}

#[cfg(test)]
mod tests {
    use super::render;

    #[test]
    fn markdown_is_rendered() {
        let html = render("# Why\n\nMedian **time** to a [quote](https://example.com/q).");
        assert!(html.contains("<h3>Why</h3>"), "{html}");
        assert!(html.contains("<strong>time</strong>"));
        assert!(html.contains("<a href=\"https://example.com/q\">quote</a>"));
    }

    #[test]
    fn raw_html_is_text() {
        let html = render("<script>alert(1)</script>\n\nand <img src=x onerror=alert(2)> inline");
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{html}"
        );
    }

    #[test]
    fn dangerous_links_lose_their_address_but_keep_their_text() {
        for url in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            "java\tscript:alert(1)",
            " javascript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:msgbox",
        ] {
            let html = render(&format!("[click me](<{url}>)"));
            assert!(!html.contains("href"), "{url}: {html}");
            assert!(html.contains("click me"), "{url}: {html}");
        }
        let html = render("[docs](../metrics/x.html) [mail](mailto:a@b.example)");
        assert!(html.contains("href=\"../metrics/x.html\""), "{html}");
        assert!(html.contains("href=\"mailto:a@b.example\""), "{html}");
    }

    #[test]
    fn remote_images_are_not_loaded() {
        let html = render("![chart](https://tracker.example/pixel.png \"Chart\")");
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains("[image: chart]"), "{html}");
        let html = render("![alt](javascript:alert(1))");
        assert!(
            !html.contains("<img") && !html.contains("javascript"),
            "{html}"
        );
    }
}

/// A plain sentence whose `backticked` spans become code, escaped for
/// HTML (the run's sentences name variants and metrics that way).
pub fn inline_code(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    // Odd parts are inside backticks; an unmatched one stays text.
    let paired = text.matches('`').count().is_multiple_of(2);
    for (i, part) in text.split('`').enumerate() {
        let part = super::svg::escape_text(part);
        if i % 2 == 1 && paired {
            out.push_str("<code>");
            out.push_str(&part);
            out.push_str("</code>");
        } else {
            if i % 2 == 1 {
                out.push('`');
            }
            out.push_str(&part);
        }
    }
    out
}

#[cfg(test)]
mod inline_tests {
    use super::inline_code;

    #[test]
    fn backticks_become_code_and_everything_is_escaped() {
        assert_eq!(
            inline_code("`a<b>` beat `control`"),
            "<code>a&lt;b&gt;</code> beat <code>control</code>"
        );
        assert_eq!(inline_code("one ` alone"), "one ` alone");
    }
}
