//! The Rust reference of LANGUAGE.md section 9 (`tests/common/section9.rs`)
//! checked against values worked out by hand and against Python's
//! `math.erfc`, before any SQL is compared with it.

mod common;

use common::section9::{self, evidence, normal_cdf};
use cpic::date::Date;
use cpic::model::Grain;

fn close(what: &str, got: Option<f64>, want: f64) {
    let got = got.unwrap_or_else(|| panic!("{what}: no value"));
    assert!(
        (got - want).abs() <= 1e-12 * want.abs().max(1.0),
        "{what}: {got} != {want}"
    );
}

/// Weekly pairs from Monday 2026-01-05 on, one per value.
fn weekly(x: &[f64], y: &[f64]) -> Vec<(Date, f64, f64)> {
    let start = Date::parse("2026-01-05").unwrap();
    x.iter()
        .zip(y)
        .enumerate()
        .map(|(i, (&x, &y))| (Grain::Week.add(start, i as i64), x, y))
        .collect()
}

#[test]
fn the_normal_distribution_matches_pythons_erfc() {
    // 0.5 * math.erfc(-z / math.sqrt(2)) in Python 3.11.
    for (z, want) in [
        (0.0, 0.5),
        (1.645, 0.9500150944608786),
        (1.96, 0.9750021048517795),
        (-3.0, 0.0013498980316300957),
        (5.0, 0.9999997133484281),
        (-8.0, 6.220960574271819e-16),
    ] {
        let got = normal_cdf(z);
        assert!(
            (got - want).abs() <= 1e-14 + 1e-10 * want,
            "Φ({z}) = {got}, want {want}"
        );
    }
}

/// x = 1 2 4 7 11, y = 2 1 3 3 6: differences a = 1 2 3 4, b = −1 2 0 3;
/// centred u = −1.5 −0.5 0.5 1.5, v = −2 1 −1 2; Σu² = 5, Σv² = 10,
/// Σuv = 5; ρ_a = (0.75 − 0.25 + 0.75)/5 = 0.25, ρ_b = (−2 − 1 − 2)/10 =
/// −0.5; q = −0.125, so m(1−q)/(1+q) = 5.14 and n_eff = min(4, 5.14) = 4.
#[test]
fn a_small_link_worked_by_hand() {
    let e = evidence(
        &weekly(&[1.0, 2.0, 4.0, 7.0, 11.0], &[2.0, 1.0, 3.0, 3.0, 6.0]),
        Grain::Week,
        1,
        3,
    );
    assert_eq!((e.n, e.m), (5, 4));
    close("r", e.r, 28.0 / 924f64.sqrt());
    close("r_diff", e.r_diff, 5.0 / 50f64.sqrt());
    close("rho_from", e.rho_from, 0.25);
    close("rho_to", e.rho_to, -0.5);
    close("n_eff", e.n_eff, 4.0);
    // z = atanh(1/√2)·√max(4 − 3, 1) = ln(1 + √2).
    close("z", e.z, (1.0 + 2f64.sqrt()).ln());
    close("p", e.p, 1.0 - 0.8109421755705899);
    close("effect", e.effect, 1.0);
    // 1.96·√(10·(1 − 0.5)/(max(4 − 2, 1)·5)) = 1.96·√0.5.
    close("effect_low", e.effect_low, 1.0 - 1.96 * 0.5f64.sqrt());
    close("effect_high", e.effect_high, 1.0 + 1.96 * 0.5f64.sqrt());
    assert_eq!(e.verdict, "inconclusive");

    // The same link expected to worsen: the one-sided p turns around.
    let worsens = evidence(
        &weekly(&[1.0, 2.0, 4.0, 7.0, 11.0], &[2.0, 1.0, 3.0, 3.0, 6.0]),
        Grain::Week,
        -1,
        3,
    );
    close("p when worsening", worsens.p, 0.8109421755705899);
    // Too few periods wins over everything else.
    let few = evidence(
        &weekly(&[1.0, 2.0, 4.0, 7.0, 11.0], &[2.0, 1.0, 3.0, 3.0, 6.0]),
        Grain::Week,
        1,
        8,
    );
    assert_eq!(few.verdict, "too_few_periods");
}

#[test]
fn differences_only_join_consecutive_periods() {
    let mut pairs = weekly(&[1.0, 2.0, 4.0, 7.0, 11.0], &[2.0, 1.0, 3.0, 3.0, 6.0]);
    pairs.remove(2); // week 3 missing: no difference for weeks 3 and 4
    let e = evidence(&pairs, Grain::Week, 1, 3);
    assert_eq!((e.n, e.m), (4, 2));
}

#[test]
fn constant_series_have_no_statistics_and_no_verdict() {
    let e = evidence(
        &weekly(
            &[3.0; 10],
            &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0],
        ),
        Grain::Week,
        1,
        8,
    );
    assert_eq!((e.r, e.r_diff, e.z, e.effect), (None, None, None, None));
    assert_eq!(e.verdict, "inconclusive");
}

/// A pattern repeated every year: at month grain with 24 differences or
/// more, the monthly means take all of it and nothing is left to correlate;
/// below 24 the pattern itself correlates.
#[test]
fn seasonal_means_are_removed_from_24_monthly_differences() {
    let pattern = [5.0, 3.0, 8.0, 1.0, 9.0, 2.0, 7.0, 4.0, 6.0, 0.0, 10.0, 3.5];
    let monthly = |months: usize, noise: f64| -> Vec<(Date, f64, f64)> {
        (0..months)
            .map(|i| {
                let period = Grain::Month.add(Date::parse("2022-01-01").unwrap(), i as i64);
                let x = pattern[i % 12];
                let wiggle = if i % 2 == 0 { noise } else { -noise };
                (period, x, 2.0 * x + wiggle)
            })
            .collect()
    };
    let adjusted = evidence(&monthly(36, 0.0), Grain::Month, 1, 8);
    assert_eq!(adjusted.m, 35);
    assert_eq!(
        adjusted.r_diff, None,
        "nothing but the season: {adjusted:?}"
    );

    let short = evidence(&monthly(20, 0.1), Grain::Month, 1, 8);
    assert_eq!(short.m, 19);
    assert!(
        short.r_diff.expect("no adjustment below 24") > 0.99,
        "{short:?}"
    );
}

#[test]
fn a_perfect_correlation_has_no_finite_z_and_follows_its_sign() {
    // Differences 1, 2, 3 and 2, 4, 6: r_diff is exactly 1.
    let pairs = weekly(&[1.0, 2.0, 4.0, 7.0], &[2.0, 4.0, 8.0, 14.0]);
    let up = section9::evidence(&pairs, Grain::Week, 1, 3);
    assert_eq!(up.r_diff, Some(1.0));
    assert_eq!(up.z, None);
    assert_eq!(up.p, Some(0.0));
    assert_eq!(up.verdict, "supports");
    assert_eq!(up.effect, Some(2.0));
    assert_eq!((up.effect_low, up.effect_high), (Some(2.0), Some(2.0)));
    let down = section9::evidence(&pairs, Grain::Week, -1, 3);
    assert_eq!((down.p, down.verdict), (Some(1.0), "contradicts"));
}

#[test]
fn holm_adjusts_in_rank_order_and_keeps_the_order() {
    // k = 4: 0.01·4, max(0.04, 0.02·3), max(0.06, 0.03·2), max(0.06, 0.5).
    let adjusted = section9::holm(&[0.5, 0.02, 0.01, 0.03]);
    let want = [0.5, 0.06, 0.04, 0.06];
    for (got, want) in adjusted.iter().zip(want) {
        assert!((got - want).abs() < 1e-15, "{adjusted:?}");
    }
    assert_eq!(section9::holm(&[0.9, 0.8]), vec![1.0, 1.0]);
}
