//! The language reference: `docs/language.md`, compiled into cpic, as a
//! page of every site, so that the people who read the metrics can read
//! the language they are written in.

use askama::Template;

use super::widgets::Layout;
use crate::docs::{markdown, Ctx};

/// The repository's reference of the language, as cpic was built with it.
const REFERENCE: &str = include_str!("../../../docs/language.md");

#[derive(Template)]
#[template(path = "language.html")]
pub struct LanguagePage {
    pub page: Layout,
    /// The reference rendered (cpic's own text, not a spec's).
    pub body: String,
}

pub fn language(ctx: &Ctx) -> LanguagePage {
    LanguagePage {
        page: ctx.layout("", "The cpi language", "language"),
        body: markdown::reference(REFERENCE),
    }
}
