//! LANGUAGE.md section 9 (link evidence), computed directly in Rust from a
//! link's pairs: the independent reference that the generated SQL of every
//! dialect is to be checked against (issue 16), written from the text of
//! the section and nothing else: plain loops, a normal distribution of its
//! own (series and continued fraction, not the SQL's approximation).

use cpic::date::Date;
use cpic::model::Grain;

/// Everything section 9 defines for one link (or one segment).
#[derive(Clone, Debug, PartialEq)]
pub struct Evidence {
    /// Pairs (x_p, y_p) = (X at p, Y at p + lag).
    pub n: usize,
    /// Differences between pairs of consecutive periods.
    pub m: usize,
    /// The levels' Pearson correlation (display only).
    pub r: Option<f64>,
    pub r_diff: Option<f64>,
    /// Lag-1 autocorrelations of the (adjusted, centred) differences.
    pub rho_from: Option<f64>,
    pub rho_to: Option<f64>,
    pub n_eff: Option<f64>,
    pub z: Option<f64>,
    /// One-sided, in the expected direction.
    pub p: Option<f64>,
    /// The slope of the TO differences on the FROM differences.
    pub effect: Option<f64>,
    pub effect_low: Option<f64>,
    pub effect_high: Option<f64>,
    pub verdict: &'static str,
}

/// The one-sided 5% critical value of section 9's test.
const CRITICAL: f64 = 1.645;

/// Section 9 over `pairs` (period of X, x, y), which must hold only pairs
/// whose later period has ended; `expected_sign` is +1 or -1.
pub fn evidence(
    pairs: &[(Date, f64, f64)],
    grain: Grain,
    expected_sign: i8,
    min_periods: i64,
) -> Evidence {
    let mut pairs = pairs.to_vec();
    pairs.sort_by_key(|p| p.0);
    let n = pairs.len();
    let levels: Vec<(f64, f64)> = pairs.iter().map(|&(_, x, y)| (x, y)).collect();
    let r = correlation(&levels);

    // 1. Differences between pairs of consecutive periods.
    let mut diffs: Vec<(Date, f64, f64)> = Vec::new();
    for &(p, x, y) in &pairs {
        let before = grain.add(p, -1);
        if let Some(&(_, x0, y0)) = pairs.iter().find(|q| q.0 == before) {
            diffs.push((p, x - x0, y - y0));
        }
    }
    let m = diffs.len();

    // 2. Seasonal means removed at month and quarter grain.
    let month_of_year: fn(Date) -> u32 = |d| d.month;
    let quarter_of_year: fn(Date) -> u32 = |d| (d.month - 1) / 3 + 1;
    let season = match grain {
        Grain::Month if m >= 24 => Some((12, month_of_year)),
        Grain::Quarter if m >= 8 => Some((4, quarter_of_year)),
        _ => None,
    };
    let s = season.map_or(0, |(s, _)| s);
    if let Some((_, of)) = season {
        let means: Vec<(u32, f64, f64)> = {
            let mut groups: Vec<(u32, f64, f64, f64)> = Vec::new();
            for &(p, a, b) in &diffs {
                match groups.iter_mut().find(|g| g.0 == of(p)) {
                    Some(g) => {
                        g.1 += a;
                        g.2 += b;
                        g.3 += 1.0;
                    }
                    None => groups.push((of(p), a, b, 1.0)),
                }
            }
            groups
                .into_iter()
                .map(|(k, a, b, c)| (k, a / c, b / c))
                .collect()
        };
        for d in &mut diffs {
            let &(_, ma, mb) = means.iter().find(|g| g.0 == of(d.0)).expect("its group");
            d.1 -= ma;
            d.2 -= mb;
        }
    }

    // 3. Centred differences and their correlation.
    let mf = m as f64;
    let (mean_a, mean_b) = if m == 0 {
        (0.0, 0.0)
    } else {
        (
            diffs.iter().map(|d| d.1).sum::<f64>() / mf,
            diffs.iter().map(|d| d.2).sum::<f64>() / mf,
        )
    };
    let centred: Vec<(Date, f64, f64)> = diffs
        .iter()
        .map(|&(p, a, b)| (p, a - mean_a, b - mean_b))
        .collect();
    let suu: f64 = centred.iter().map(|d| d.1 * d.1).sum();
    let svv: f64 = centred.iter().map(|d| d.2 * d.2).sum();
    let suv: f64 = centred.iter().map(|d| d.1 * d.2).sum();
    let r_diff = (suu > 0.0 && svv > 0.0).then(|| suv / (suu * svv).sqrt());

    // 4. Lag-1 autocorrelations over consecutive differences.
    let (mut luu, mut lvv) = (0.0, 0.0);
    for &(p, u, v) in &centred {
        let before = grain.add(p, -1);
        if let Some(&(_, u0, v0)) = centred.iter().find(|d| d.0 == before) {
            luu += u * u0;
            lvv += v * v0;
        }
    }
    let rho_from = (suu > 0.0).then(|| luu / suu);
    let rho_to = (svv > 0.0).then(|| lvv / svv);

    // 5. Effective size.
    let n_eff = match (r_diff, rho_from, rho_to) {
        (Some(_), Some(ra), Some(rb)) => {
            let q = ra * rb;
            let raw = if 1.0 + q > 0.0 {
                mf * (1.0 - q) / (1.0 + q)
            } else {
                f64::INFINITY
            };
            Some(mf.min(raw.max(3.0)) * (mf - s as f64) / mf)
        }
        _ => None,
    };

    // 6. Fisher's z and the one-sided p in the expected direction. A
    // perfect correlation (|r_diff| = 1) has an infinite z, which neither
    // SQL nor JSON holds: cpic leaves z empty, p is 0 or 1 by the sign and
    // the verdict follows the sign (what an infinite z would give).
    let e = f64::from(expected_sign);
    let infinite = |z: f64| z.is_infinite() || z.is_nan();
    let z_full = match (r_diff, n_eff) {
        (Some(r), Some(ne)) => Some(if r.abs() >= 1.0 {
            f64::INFINITY * r.signum()
        } else {
            r.atanh() * (ne - 3.0).max(1.0).sqrt()
        }),
        _ => None,
    };
    let p = z_full.map(|z| {
        if infinite(z) {
            if e * z > 0.0 {
                0.0
            } else {
                1.0
            }
        } else {
            1.0 - normal_cdf(e * z)
        }
    });

    // 7. Verdict.
    let verdict = match z_full {
        _ if (n as i64) < min_periods => "too_few_periods",
        Some(z) if e * z >= CRITICAL => "supports",
        Some(z) if e * z <= -CRITICAL => "contradicts",
        _ => "inconclusive",
    };
    let z = z_full.filter(|z| !infinite(*z));

    // 8. Effect and its 95% interval.
    let effect = (suu > 0.0).then(|| suv / suu);
    let half = match (effect, r_diff, n_eff) {
        (Some(_), Some(r), Some(ne)) => {
            Some(1.96 * (svv * (1.0 - r * r).max(0.0) / ((ne - 2.0).max(1.0) * suu)).sqrt())
        }
        _ => None,
    };
    Evidence {
        n,
        m,
        r,
        r_diff,
        rho_from,
        rho_to,
        n_eff,
        z,
        p,
        effect,
        effect_low: effect.zip(half).map(|(b, h)| b - h),
        effect_high: effect.zip(half).map(|(b, h)| b + h),
        verdict,
    }
}

/// Pearson's correlation, two-pass; None without variance.
pub fn correlation(pairs: &[(f64, f64)]) -> Option<f64> {
    if pairs.is_empty() {
        return None;
    }
    let n = pairs.len() as f64;
    let mx = pairs.iter().map(|p| p.0).sum::<f64>() / n;
    let my = pairs.iter().map(|p| p.1).sum::<f64>() / n;
    let sxy: f64 = pairs.iter().map(|(x, y)| (x - mx) * (y - my)).sum();
    let sxx: f64 = pairs.iter().map(|(x, _)| (x - mx) * (x - mx)).sum();
    let syy: f64 = pairs.iter().map(|(_, y)| (y - my) * (y - my)).sum();
    (sxx > 0.0 && syy > 0.0).then(|| sxy / (sxx * syy).sqrt())
}

/// The standard normal distribution function Φ, to ~1e-14: erf's Taylor
/// series near the centre, erfc's continued fraction (Lentz) in the tails.
pub fn normal_cdf(z: f64) -> f64 {
    if z.is_nan() {
        return f64::NAN;
    }
    let x = z.abs() / std::f64::consts::SQRT_2;
    let upper_tail = if x < 3.0 {
        0.5 * (1.0 - erf_series(x))
    } else {
        0.5 * erfc_continued_fraction(x)
    };
    if z >= 0.0 {
        1.0 - upper_tail
    } else {
        upper_tail
    }
}

/// erf(x) = 2/√π Σ (−1)ⁿ x²ⁿ⁺¹ / (n! (2n+1)).
fn erf_series(x: f64) -> f64 {
    let mut term = x; // (−1)ⁿ x²ⁿ⁺¹ / n!
    let mut sum = x;
    for n in 1..200 {
        term *= -x * x / n as f64;
        let add = term / (2 * n + 1) as f64;
        sum += add;
        if add.abs() < 1e-17 * sum.abs() {
            break;
        }
    }
    sum * 2.0 / std::f64::consts::PI.sqrt()
}

/// erfc(x) for x ≥ 3: e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))).
fn erfc_continued_fraction(x: f64) -> f64 {
    let tiny = 1e-300;
    let mut f = x;
    let mut c = x;
    let mut d = 0.0;
    for k in 1..500 {
        let a = k as f64 / 2.0;
        d = x + a * d;
        d = if d.abs() < tiny { tiny } else { d };
        c = x + a / c;
        c = if c.abs() < tiny { tiny } else { c };
        d = 1.0 / d;
        let delta = c * d;
        f *= delta;
        if (delta - 1.0).abs() < 1e-16 {
            break;
        }
    }
    (-x * x).exp() / std::f64::consts::PI.sqrt() / f
}

/// Holm's step-down adjustment of `ps` (same order): sorted ascending, the
/// i-th (from 1) becomes max over j ≤ i of min(1, (k − j + 1)·p_(j)).
pub fn holm(ps: &[f64]) -> Vec<f64> {
    let k = ps.len();
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by(|&a, &b| ps[a].total_cmp(&ps[b]));
    let mut adjusted = vec![0.0; k];
    let mut running: f64 = 0.0;
    for (rank, &i) in order.iter().enumerate() {
        running = running.max(((k - rank) as f64 * ps[i]).min(1.0));
        adjusted[i] = running;
    }
    adjusted
}

/// A segment's verdict (LANGUAGE.md section 2, `segments`): its one-sided
/// p in the direction of its own sign, min(p, 1 − p), Holm-adjusted across
/// the tested segments (enough periods and a p), decides at 5%.
pub fn segment_verdicts(
    segments: &[Evidence],
    min_periods: i64,
) -> Vec<(Option<f64>, &'static str)> {
    let tested: Vec<usize> = (0..segments.len())
        .filter(|&i| segments[i].n as i64 >= min_periods && segments[i].p.is_some())
        .collect();
    let directional: Vec<f64> = tested
        .iter()
        .map(|&i| {
            let p = segments[i].p.expect("tested");
            p.min(1.0 - p)
        })
        .collect();
    let adjusted = holm(&directional);
    segments
        .iter()
        .enumerate()
        .map(|(i, s)| {
            if (s.n as i64) < min_periods {
                return (None, "too_few_periods");
            }
            let Some(at) = tested.iter().position(|&t| t == i) else {
                return (None, "inconclusive");
            };
            let (adj, p) = (adjusted[at], s.p.expect("tested"));
            let verdict = match () {
                _ if adj < 0.05 && p < 0.5 => "supports",
                _ if adj < 0.05 && p > 0.5 => "contradicts",
                _ => "inconclusive",
            };
            (Some(adj), verdict)
        })
        .collect()
}
