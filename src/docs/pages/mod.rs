//! One typed context per page, filled from the model (and the run's report)
//! and rendered by askama, which escapes every value unless the template
//! says `|safe`; only HTML that cpic drew itself (charts, the map, rendered
//! Markdown) is marked so. One file per page, over the shared widgets.

pub(crate) mod experiment;
mod home;
mod language;
mod link;
mod lists;
mod map;
mod metric;
mod source;
mod sql;
mod team;
pub(crate) mod widgets;

pub use home::home;
pub use language::language;
pub use link::link;
pub use lists::{sources_list, teams_list};
pub use map::map_page;
pub use metric::metric;
pub use source::source;
pub use sql::{SqlQuery, SqlSection, SqlWriter};
pub use team::team;
pub use widgets::{link_href, metric_href, source_href, team_href};
