//! How cpic says a number of things, a lag and a length of time, once.
//!
//! **Every word about a quantity, a lag or a period comes from here**: the
//! link graph, `cpic run`'s table, the site and the language server say
//! `1 option` and `2 options`, `1 week` and `same week` the same way.
//! Sentences that only one output uses live with that output; the words
//! they are made of come from here.

use crate::model::Grain;
use crate::units::{unit_of_change, Unit};

/// `1 option`, `2 options`, `0 options`, `1.5 days`: a count of a thing
/// named in the singular.
pub fn count(n: impl Into<f64>, singular: &str) -> String {
    let n = n.into();
    if n == 1.0 {
        format!("1 {singular}")
    } else {
        format!("{n} {}", plural(singular))
    }
}

/// The plural of an English noun as the language's counted things and
/// cpic's own words need it: `week` → `weeks`, `box` → `boxes`, `query`
/// → `queries`.
pub fn plural(singular: &str) -> String {
    let ends = |s: &str| singular.ends_with(s);
    if ends("s") || ends("x") || ends("z") || ends("ch") || ends("sh") {
        format!("{singular}es")
    } else if ends("y") && !["ay", "ey", "iy", "oy", "uy"].iter().any(|v| ends(v)) {
        format!("{}ies", &singular[..singular.len() - 1])
    } else {
        format!("{singular}s")
    }
}

/// The singular of a counted thing, which the language names in the
/// plural (`{options}`, `{friends}`, `{boxes}`, `{queries}`): the inverse
/// of [`plural`] where a word has one; a word that is not a plural is
/// left as it is (`{staff}`).
pub fn singular(plural: &str) -> String {
    let ends = |s: &str| plural.ends_with(s);
    let stem = |n: usize| plural[..plural.len() - n].to_string();
    if ends("ies") && plural.len() > 4 {
        format!("{}y", stem(3))
    } else if ["sses", "xes", "zes", "ches", "shes"]
        .iter()
        .any(|e| ends(e))
    {
        stem(2)
    } else if ends("s") && !ends("ss") && plural.len() > 1 {
        stem(1)
    } else {
        plural.to_string()
    }
}

/// `1 week`, `3 months`: a number of periods of a grain.
pub fn periods(n: i64, grain: Grain) -> String {
    count(n as f64, grain.name())
}

/// A link's lag: `same week`, `1 week`, `2 weeks`.
pub fn lag(lag: i64, grain: Grain) -> String {
    match lag {
        0 => format!("same {}", grain.name()),
        n => periods(n, grain),
    }
}

/// When the effect of a link shows: `the same week`, `1 week later`,
/// `2 weeks later`.
pub fn lag_later(lag: i64, grain: Grain) -> String {
    match lag {
        0 => format!("the same {}", grain.name()),
        n => format!("{} later", periods(n, grain)),
    }
}

/// One unit of a metric's change: `1 s`, `1 pp`, `1 USD`, `1 option`;
/// None for a plain fraction or count, whose change has no unit.
pub fn one_unit_of_change(unit: &Unit) -> Option<String> {
    let word = unit_of_change(unit)?;
    Some(match unit {
        Unit::Count(Some(thing)) => count(1.0, &singular(thing)),
        _ => format!("1 {word}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_plurals() {
        assert_eq!(count(1, "option"), "1 option");
        assert_eq!(count(2, "option"), "2 options");
        assert_eq!(count(0, "week"), "0 weeks");
        assert_eq!(count(1.5, "day"), "1.5 days");
        assert_eq!(plural("box"), "boxes");
        assert_eq!(plural("query"), "queries");
        assert_eq!(plural("day"), "days");
        for word in ["option", "friend", "box", "query", "day", "match", "class"] {
            assert_eq!(singular(&plural(word)), word, "{word}");
        }
        assert_eq!(singular("staff"), "staff");
        assert_eq!(singular("s"), "s");
    }

    #[test]
    fn lags_and_periods() {
        assert_eq!(periods(1, Grain::Week), "1 week");
        assert_eq!(periods(3, Grain::Month), "3 months");
        assert_eq!(lag(0, Grain::Week), "same week");
        assert_eq!(lag(1, Grain::Day), "1 day");
        assert_eq!(lag(2, Grain::Quarter), "2 quarters");
        assert_eq!(lag_later(0, Grain::Week), "the same week");
        assert_eq!(lag_later(1, Grain::Week), "1 week later");
        assert_eq!(lag_later(2, Grain::Month), "2 months later");
    }

    #[test]
    fn one_unit() {
        let count = |thing: &str| Unit::Count(Some(thing.to_string()));
        assert_eq!(
            one_unit_of_change(&count("options")).as_deref(),
            Some("1 option")
        );
        assert_eq!(one_unit_of_change(&Unit::Percent).as_deref(), Some("1 pp"));
        assert_eq!(one_unit_of_change(&Unit::Ratio), None);
        assert_eq!(one_unit_of_change(&Unit::Count(None)), None);
    }
}
