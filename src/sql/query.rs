//! A query being built: its CTEs, in the order they were added, and their
//! names by what they hold. A value that knows nothing of metrics or links:
//! the builders of series, link evidence, targets, expectations and
//! experiments add to it, and it writes the query.

use std::rc::Rc;

use rustc_hash::{FxHashMap, FxHashSet};

use super::dialect::Dialect;

/// One CTE of a query, rendered (`  "name" AS (` ... `  )`).
#[derive(Clone)]
pub(super) struct Cte {
    /// What it holds, e.g. `series m_1 week`: one key, one content.
    pub(super) key: Rc<str>,
    pub(super) name: Rc<str>,
    text: Rc<str>,
}

/// The CTE names of one query, by what they hold. A name is made from
/// spec names (`_series_<metric>__<grain>`), which may contain `__`
/// themselves, so two different CTEs can want one name: the later one
/// gets a numbered name instead.
#[derive(Default)]
pub(super) struct Names {
    by_key: FxHashMap<Rc<str>, Rc<str>>,
    taken: FxHashSet<Rc<str>>,
}

impl Names {
    pub(super) fn get(&self, key: &str) -> Option<&Rc<str>> {
        self.by_key.get(key)
    }

    /// A name for `key`: `preferred`, or `preferred_2`, `_3`... if taken.
    pub(super) fn claim(&mut self, key: &str, preferred: String) -> Rc<str> {
        let mut name = preferred.clone();
        let mut n = 1;
        while self.taken.contains(name.as_str()) {
            n += 1;
            name = format!("{preferred}_{n}");
        }
        let name: Rc<str> = name.into();
        self.taken.insert(name.clone());
        self.by_key.insert(key.into(), name.clone());
        name
    }

    /// Whether `cte` can join this query as it is: its key is here under
    /// the same name, or neither is here.
    pub(super) fn fits(&self, cte: &Cte) -> bool {
        match self.by_key.get(&cte.key) {
            Some(name) => *name == cte.name,
            None => !self.taken.contains(&cte.name),
        }
    }
}

/// The CTEs of one query and the comment lines before it.
pub(super) struct Query {
    d: &'static dyn Dialect,
    /// Comment lines written before the query.
    pub(super) header: String,
    pub(super) ctes: Vec<Cte>,
    pub(super) names: Names,
}

impl Query {
    pub(super) fn new(d: &'static dyn Dialect) -> Query {
        Query {
            d,
            header: String::new(),
            ctes: Vec::new(),
            names: Names::default(),
        }
    }

    /// `  "name" AS (` and a line break, in a buffer with room for a body
    /// of `capacity` bytes: the body follows, indented by four spaces,
    /// then `\n  )`.
    pub(super) fn open_cte(&self, name: &str, capacity: usize) -> String {
        let quoted = self.d.ident(name);
        let mut text = String::with_capacity(quoted.len() + capacity + 16);
        text.push_str("  ");
        text.push_str(&quoted);
        text.push_str(" AS (\n");
        text
    }

    /// Adds the CTE `name` (claimed for `key`) with this body.
    pub(super) fn add(&mut self, key: &str, name: Rc<str>, body: &str) {
        let mut text = self.open_cte(&name, body.len() + body.len() / 4);
        push_indented(&mut text, body, "    ");
        text.push_str("\n  )");
        self.ctes.push(Cte {
            key: key.into(),
            name,
            text: text.into(),
        });
    }

    /// Claims a fixed internal name (`_pairs`, `_latest`...), which no CTE
    /// named after a spec name can take.
    pub(super) fn claim_fixed(&mut self, name: &str) -> Rc<str> {
        let claimed = self.names.claim(name, name.to_string());
        debug_assert_eq!(&*claimed, name);
        claimed
    }

    /// Adds a CTE of a fixed internal name.
    pub(super) fn add_fixed(&mut self, name: &str, body: &str) {
        let claimed = self.claim_fixed(name);
        self.add(name, claimed, body);
    }

    /// Adds CTEs built by another query of this dialect; those already
    /// here are skipped. The caller has checked that they fit.
    pub(super) fn merge(&mut self, ctes: &[Cte]) {
        for cte in ctes {
            if self.names.get(&cte.key).is_none() {
                self.names.taken.insert(cte.name.clone());
                self.names.by_key.insert(cte.key.clone(), cte.name.clone());
                self.ctes.push(cte.clone());
            }
        }
    }

    /// The header, then `WITH ... SELECT ...`
    pub(super) fn finish(self, select: &str) -> String {
        self.finish_with(&[], select)
    }

    /// [`Self::finish`] with `more` CTEs after those added, written by the
    /// caller (see [`Self::cte_start`]).
    pub(super) fn finish_with(self, more: &[String], select: &str) -> String {
        // One buffer: the target query of a large project is megabytes.
        let texts = || {
            self.ctes
                .iter()
                .map(|c| &*c.text)
                .chain(more.iter().map(String::as_str))
        };
        let size: usize = texts().map(|t| t.len() + 2).sum();
        let mut out = String::with_capacity(self.header.len() + size + select.len() + 8);
        out.push_str(&self.header);
        for (i, text) in texts().enumerate() {
            out.push_str(if i == 0 { "WITH\n" } else { ",\n" });
            out.push_str(text);
        }
        if size > 0 {
            out.push('\n');
        }
        out.push_str(select);
        out.push('\n');
        out
    }

    /// The start of a CTE of a fixed internal name written in place (see
    /// [`Self::open_cte`]), for [`Self::finish_with`].
    pub(super) fn cte_start(&mut self, name: &str, capacity: usize) -> String {
        self.claim_fixed(name);
        self.open_cte(name, capacity)
    }
}

pub(super) fn indent(sql: &str, by: usize) -> String {
    let mut out = String::with_capacity(sql.len() + sql.len() / 8);
    push_indented(&mut out, sql, &" ".repeat(by));
    out
}

/// Appends `sql` to `out` with every non-empty line prefixed by `pad` (and
/// no final line break). Literals never span lines (see
/// `Dialect::string`), so no literal is padded.
pub(super) fn push_indented(out: &mut String, sql: &str, pad: &str) {
    for (i, line) in sql.lines().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if !line.is_empty() {
            out.push_str(pad);
            out.push_str(line);
        }
    }
}
