//! The parser pest generates from `grammar/cpi.pest`, and its `Rule`s:
//! `parser.rs` runs it, `build.rs` reads its pairs. Pest stays inside
//! `syntax/`.

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/cpi.pest"]
pub(super) struct CpiParser;
