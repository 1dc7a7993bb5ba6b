//! Repository hygiene: every diagnostic code is documented and has a
//! fixture; every fixture and snapshot belongs to something; no pending
//! snapshots.

mod common;

use cpic::diag::Code;

fn fixture_names() -> Vec<String> {
    std::fs::read_dir(common::root().join("tests/fixtures/diagnostics"))
        .expect("fixtures")
        .map(|e| e.expect("entry").path())
        .map(|p| {
            p.file_stem()
                .and_then(|s| s.to_str())
                .expect("name")
                .to_string()
        })
        .collect()
}

#[test]
fn every_code_has_an_explanation() {
    for code in Code::ALL {
        let text = code.explanation();
        assert!(
            text.starts_with(&format!("## {}: {}", code.as_str(), code.title())),
            "{}: the explanation must start with its heading and title",
            code.as_str()
        );
        for section in [
            "**What it means.**",
            "**Why it matters.**",
            "**How to fix.**",
            "**Example.**",
        ] {
            assert!(text.contains(section), "{} lacks {section}", code.as_str());
        }
    }
}

#[test]
fn every_code_has_a_fixture() {
    let fixtures = fixture_names();
    for code in Code::ALL {
        assert!(
            fixtures
                .iter()
                .any(|f| f.split('-').next() == Some(code.as_str())),
            "{} has no fixture under tests/fixtures/diagnostics/",
            code.as_str()
        );
    }
}

#[test]
fn every_fixture_is_named_after_a_code() {
    for name in fixture_names() {
        let code = name.split('-').next().expect("code");
        assert!(
            Code::parse(code).is_some(),
            "fixture {name} is not named after a code"
        );
    }
}

#[test]
fn codes_are_unique_and_in_their_family() {
    let mut seen = std::collections::HashSet::new();
    for code in Code::ALL {
        assert!(
            seen.insert(code.as_str()),
            "{} is used twice",
            code.as_str()
        );
        let warning = code.as_str().starts_with('W');
        assert_eq!(warning, code.severity() == cpic::diag::Severity::Warning);
    }
}

#[test]
fn no_pending_or_orphaned_snapshots() {
    let fixtures = fixture_names();
    let examples: Vec<String> = std::fs::read_dir(common::root().join("examples"))
        .expect("examples")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    for entry in std::fs::read_dir(common::root().join("tests/snapshots")).expect("snapshots") {
        let name = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        assert!(
            name.ends_with(".snap"),
            "pending or stray snapshot file: {name} (review it with `cargo insta review`)"
        );
        let stem = name.trim_end_matches(".snap");
        let (test, case) = stem
            .split_once("__")
            .expect("insta names snapshots test__name");
        let known = match test {
            "diagnostics" => fixtures.iter().any(|f| f == case),
            "examples" => examples.iter().any(|e| e == case),
            "sql_golden" => case.rsplit_once("__").is_some_and(|(e, d)| {
                (examples.iter().any(|x| x == e) || e == "kinds" || e == "expectations")
                    && cpic::sql::DialectName::parse(d).is_some()
            }),
            _ => true,
        };
        assert!(known, "snapshot {name} belongs to no fixture or example");
    }
}

/// The keys each `*_key` rule of the grammar lists, by rule name.
fn grammar_keys() -> Vec<(String, Vec<String>)> {
    let grammar =
        std::fs::read_to_string(common::root().join("grammar/cpi.pest")).expect("grammar");
    grammar
        .lines()
        .filter_map(|line| {
            let (rule, body) = line.split_once('=')?;
            let rule = rule.trim();
            if !rule.ends_with("_key") || rule == "known_key" {
                return None;
            }
            let keys = body
                .split('"')
                .skip(1)
                .step_by(2)
                .map(str::to_string)
                .collect();
            Some((rule.to_string(), keys))
        })
        .collect()
}

/// The grammar rule whose keys take values of this kind.
fn rule_of(value: cpic::schema::ValueKind) -> &'static [&'static str] {
    use cpic::schema::ValueKind as V;
    match value {
        V::Text => &["string_key", "note_key"],
        V::Name(_) | V::Keyword(_) => &["ident_key"],
        V::Unit => &["unit_key"],
        V::Expr => &["expr_key"],
        V::Evidence(_) => &["evidence_key"],
        V::Columns | V::Metrics => &["dims_key"],
        V::TextOrName(_) => &["string_key", "ident_key"],
        V::LinkRef => &["link_ref_key"],
        V::Shares => &["split_key"],
        V::UnitColumn => &["unit_key"],
        V::Quantity => &["lag_key", "quantity_key"],
        V::Window(_) => &["window_key"],
        V::Integer => &["int_key"],
        V::Date => &["date_key"],
        V::ColumnBlock => &["columns_key"],
        V::TargetBlock => &["target_key"],
        V::Range => &["range_key"],
    }
}

#[test]
fn the_schema_and_the_grammar_list_the_same_keys() {
    use cpic::schema::BLOCKS;
    let grammar = grammar_keys();
    assert!(
        grammar.len() >= 10,
        "the grammar's key rules were not found: {grammar:?}"
    );
    // Every field of the schema is a key of the grammar, in a rule that
    // parses the value the schema says it takes.
    for &block in BLOCKS {
        for field in block.fields() {
            let rules = rule_of(field.value);
            assert!(
                grammar
                    .iter()
                    .any(|(rule, keys)| rules.contains(&rule.as_str())
                        && keys.iter().any(|k| k == field.key.name())),
                "{block:?} field `{}` ({:?}) is not a key of {rules:?} in grammar/cpi.pest",
                field.key,
                field.value
            );
        }
    }
    // Every key of the grammar is a field of some block.
    for (rule, keys) in &grammar {
        for key in keys {
            assert!(
                BLOCKS.iter().any(|b| b.field_named(key).is_some()),
                "grammar/cpi.pest's {rule} lists `{key}`, which no block of src/schema.rs takes"
            );
        }
    }
}

/// The table of fields docs/language.md shows for one schema table, made
/// from `src/schema.rs`: key, whether it is required, its value in the
/// words of the diagnostics, its line of documentation.
fn field_table(fields: &[cpic::schema::FieldSpec]) -> String {
    let mut table = String::from("| field | | value | what it says |\n|---|---|---|---|\n");
    for field in fields {
        let mut need = String::from(if field.required {
            "required"
        } else {
            "optional"
        });
        if field.repeatable {
            need.push_str(", repeatable");
        }
        if let Some(kind) = field.only {
            need.push_str(&format!(", {kind} only"));
        }
        let cell = |text: String| text.replace('|', "\\|");
        table.push_str(&format!(
            "| `{}` | {need} | {} | {} |\n",
            field.key,
            cell(field.value.describe()),
            cell(field.doc.to_string())
        ));
    }
    table
}

/// docs/language.md's tables of fields are the schema's, each between
/// `<!-- fields: NAME -->` and `<!-- /fields -->`. With `CPIC_BLESS=1`
/// the test writes the schema's tables into the page instead of failing.
#[test]
fn the_language_reference_lists_the_schema_fields() {
    use cpic::schema::Block;
    use cpic::syntax::ast::ItemKind;
    let tables = [
        ("team", Block::Item(ItemKind::Team)),
        ("source", Block::Item(ItemKind::Source)),
        ("metric", Block::Item(ItemKind::Cpi)),
        ("target", Block::Target),
        ("link", Block::Item(ItemKind::Link)),
        ("experiment", Block::Item(ItemKind::Experiment)),
    ];
    // Every table of the schema is shown once.
    for &block in cpic::schema::BLOCKS {
        assert!(
            tables
                .iter()
                .any(|(_, shown)| std::ptr::eq(shown.table(), block.table())),
            "{block:?}'s fields have no table in docs/language.md"
        );
    }
    let path = common::root().join("docs/language.md");
    let page = std::fs::read_to_string(&path).expect("docs/language.md");
    let mut expected = page.clone();
    for (name, block) in tables {
        let open = format!("<!-- fields: {name} -->\n");
        let start = expected
            .find(&open)
            .unwrap_or_else(|| panic!("docs/language.md has no `{}`", open.trim()))
            + open.len();
        let end = start
            + expected[start..]
                .find("<!-- /fields -->")
                .unwrap_or_else(|| panic!("the table of {name} in docs/language.md is not closed"));
        expected.replace_range(start..end, &field_table(block.table()));
    }
    if expected != page && std::env::var_os("CPIC_BLESS").is_some() {
        std::fs::write(&path, &expected).expect("docs/language.md written");
        return;
    }
    assert!(
        expected == page,
        "docs/language.md's tables of fields differ from src/schema.rs; \
         run `CPIC_BLESS=1 cargo test --release --test tidy` and read the diff"
    );
}

/// The modules of `src` (a file each: `sql::queries::kinds`), with the
/// modules each one imports (`use crate::…`, `use super::…`, a child's
/// `use child::…`, and paths written out in the code), tests left out.
/// An import of an ancestor (a child reading its parent's items) is not
/// an edge: the parent declares the child, that is not a loop of files.
fn module_imports() -> std::collections::BTreeMap<String, std::collections::BTreeSet<String>> {
    use std::collections::{BTreeMap, BTreeSet};
    fn files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("src") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                files(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let src = common::root().join("src");
    let mut paths = Vec::new();
    files(&src, &mut paths);
    let module_of = |path: &std::path::Path| {
        let relative = path
            .strip_prefix(&src)
            .expect("under src")
            .with_extension("");
        let mut parts: Vec<String> = relative
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        if parts.last().is_some_and(|p| p == "mod") {
            parts.pop();
        }
        parts.join("::")
    };
    let modules: BTreeSet<String> = paths.iter().map(|p| module_of(p)).collect();
    // Expands `a::{b, c::{d, self}}` into its paths.
    fn expand(path: &str, out: &mut Vec<String>) {
        let path = path.trim();
        let Some(open) = path.find('{') else {
            out.push(path.split(" as ").next().unwrap_or(path).trim().to_string());
            return;
        };
        let prefix = path[..open].trim_end_matches("::");
        let close = path.rfind('}').filter(|&c| c > open).unwrap_or(path.len());
        let body = &path[open + 1..close];
        let (mut depth, mut start) = (0, 0);
        let mut parts = Vec::new();
        for (i, c) in body.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    parts.push(&body[start..i]);
                    start = i + 1;
                }
                _ => {}
            }
        }
        parts.push(&body[start..]);
        for part in parts.into_iter().map(str::trim).filter(|p| !p.is_empty()) {
            if part == "self" {
                out.push(prefix.to_string());
            } else {
                expand(&format!("{prefix}::{part}"), out);
            }
        }
    }
    let mut graph = BTreeMap::new();
    for path in &paths {
        let module = module_of(path);
        let text = std::fs::read_to_string(path).expect("a source file");
        let text = text.split("#[cfg(test)]\nmod tests").next().unwrap_or("");
        let code: String = text
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        // `use` statements: from a line that starts with one to its `;`.
        let mut written = Vec::new();
        let mut statement: Option<String> = None;
        for line in code.lines() {
            let line = line.trim();
            let start = ["use ", "pub use ", "pub(crate) use ", "pub(super) use "]
                .iter()
                .find_map(|p| line.strip_prefix(p));
            let text = match (&mut statement, start) {
                (Some(open), _) => {
                    open.push(' ');
                    open.push_str(line);
                    open.clone()
                }
                (None, Some(rest)) => rest.to_string(),
                (None, None) => continue,
            };
            match text.find(';') {
                Some(end) => {
                    expand(&text[..end], &mut written);
                    statement = None;
                }
                None => statement = Some(text),
            }
        }
        // Paths written out: `crate::period::is_complete(...)`.
        for (i, _) in code
            .match_indices("crate::")
            .chain(code.match_indices("super::"))
        {
            let tail: String = code[i..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            written.push(tail);
        }
        let here: Vec<&str> = module.split("::").collect();
        let mut imports = BTreeSet::new();
        for path in written {
            let parts: Vec<&str> = path.split("::").filter(|p| !p.is_empty()).collect();
            let mut full: Vec<&str> = match parts.first() {
                Some(&"crate") => parts[1..].to_vec(),
                Some(&"super") => {
                    let ups = parts.iter().take_while(|p| **p == "super").count();
                    let mut base = here[..here.len().saturating_sub(ups)].to_vec();
                    base.extend(&parts[ups..]);
                    base
                }
                Some(&"self") => here
                    .iter()
                    .copied()
                    .chain(parts[1..].iter().copied())
                    .collect(),
                Some(first) if modules.contains(&format!("{module}::{first}")) => {
                    here.iter().copied().chain(parts.iter().copied()).collect()
                }
                _ => continue,
            };
            while !full.is_empty() {
                let candidate = full.join("::");
                if modules.contains(&candidate) {
                    let ancestor = module.starts_with(&format!("{candidate}::"));
                    if candidate != module && !ancestor {
                        imports.insert(candidate);
                    }
                    break;
                }
                full.pop();
            }
        }
        graph.insert(module, imports);
    }
    graph
}

/// ARCHITECTURE.md's layers: its table "| layer | modules |", lowest
/// first; each top-level module of `src` in one layer.
fn layers() -> std::collections::BTreeMap<String, usize> {
    let text =
        std::fs::read_to_string(common::root().join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let table = text
        .split("| layer | modules |")
        .nth(1)
        .expect("ARCHITECTURE.md has a table of layers");
    let mut layers = std::collections::BTreeMap::new();
    for line in table.lines().skip(2).take_while(|l| l.starts_with('|')) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let layer: usize = cells[1].parse().expect("a layer's number");
        for module in cells[2].split(',') {
            let module = module.trim().trim_matches('`').trim_end_matches('/');
            layers.insert(module.to_string(), layer);
        }
    }
    layers
}

#[test]
fn src_has_no_import_cycle() {
    let graph = module_imports();
    assert!(graph.len() > 30, "the modules of src were not found");
    assert!(
        graph["period"].contains("model"),
        "imports are not read: {graph:?}"
    );
    // Tarjan's strongly connected components, iteratively over the
    // sorted modules: any component of two or more modules is a loop.
    let names: Vec<&String> = graph.keys().collect();
    let index_of = |m: &str| names.iter().position(|n| *n == m).expect("a module");
    let edges: Vec<Vec<usize>> = names
        .iter()
        .map(|m| graph[*m].iter().map(|t| index_of(t)).collect())
        .collect();
    let n = names.len();
    let (mut index, mut low, mut on_stack) = (vec![usize::MAX; n], vec![0; n], vec![false; n]);
    let (mut stack, mut next, mut cycles) = (Vec::new(), 0, Vec::new());
    for root in 0..n {
        if index[root] != usize::MAX {
            continue;
        }
        let mut work = vec![(root, 0)];
        while let Some((v, child)) = work.pop() {
            if child == 0 {
                index[v] = next;
                low[v] = next;
                next += 1;
                stack.push(v);
                on_stack[v] = true;
            }
            if let Some(&w) = edges[v].get(child) {
                work.push((v, child + 1));
                if index[w] == usize::MAX {
                    work.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            if low[v] == index[v] {
                let mut component = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    component.push(names[w].clone());
                    if w == v {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.sort();
                    cycles.push(component);
                }
            }
            if let Some(&(parent, _)) = work.last() {
                low[parent] = low[parent].min(low[v]);
            }
        }
    }
    assert!(
        cycles.is_empty(),
        "modules that import each other in a loop: {cycles:?}"
    );
}

#[test]
fn src_imports_only_from_its_layer_or_below() {
    let layers = layers();
    let graph = module_imports();
    let top = |m: &str| m.split("::").next().unwrap_or(m).to_string();
    let layer_of = |m: &str| {
        *layers
            .get(&top(m))
            .unwrap_or_else(|| panic!("`{}` is in no layer of ARCHITECTURE.md", top(m)))
    };
    let mut upward = Vec::new();
    for (module, imports) in &graph {
        if module == "lib" || module == "main" {
            continue;
        }
        for import in imports {
            if layer_of(import) > layer_of(module) {
                upward.push(format!("{module} -> {import}"));
            }
        }
    }
    assert!(
        upward.is_empty(),
        "imports from a lower layer up to a higher one: {upward:#?}"
    );
}

#[test]
fn no_file_of_src_is_longer_than_900_lines() {
    let graph = module_imports();
    let mut long = Vec::new();
    for module in graph.keys() {
        let base = common::root().join("src").join(module.replace("::", "/"));
        let path = [base.with_extension("rs"), base.join("mod.rs")]
            .into_iter()
            .find(|p| p.exists())
            .expect("the module's file");
        let lines = std::fs::read_to_string(&path)
            .expect("a file")
            .lines()
            .count();
        if lines > 900 {
            long.push(format!("{} ({lines} lines)", path.display()));
        }
    }
    assert!(long.is_empty(), "files over 900 lines: {long:?}");
}
