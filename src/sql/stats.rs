//! Statistics written as SQL expressions of arithmetic, `ABS` and `EXP`
//! alone, which every dialect has, so that the seven engines compute them
//! the same way (LANGUAGE.md section 9's link evidence).

use super::render::number;

/// Hastings' coefficients of Abramowitz and Stegun 26.2.17.
const P: f64 = 0.231_641_9;
const B: [f64; 5] = [
    0.319_381_530,
    -0.356_563_782,
    1.781_477_937,
    -1.821_255_978,
    1.330_274_429,
];
/// 1/√(2π).
const INV_SQRT_TAU: f64 = 0.398_942_280_401_432_7;

/// Φ(z), the standard normal distribution function, by Abramowitz and
/// Stegun 26.2.17 (Hastings' rational approximation, absolute error below
/// 7.5e-8): with t = 1/(1 + p·|z|), the upper tail is
/// φ(|z|)·t·(b₁ + t·(b₂ + t·(b₃ + t·(b₄ + t·b₅)))). `z` is a float SQL
/// expression (a column, usually); NULL gives NULL.
pub fn normal_cdf(z: &str) -> String {
    let a = format!("ABS({z})");
    let t = format!("(1.0E0 / (1.0E0 + {} * {a}))", number(P));
    let mut poly = number(B[4]);
    for b in B[..4].iter().rev() {
        poly = format!("({} + {t} * {poly})", number(*b));
    }
    let tail = format!(
        "(EXP(-({a}) * ({a}) / 2.0E0) * {} * {t} * {poly})",
        number(INV_SQRT_TAU)
    );
    format!("(CASE WHEN {z} >= 0 THEN 1.0E0 - {tail} ELSE {tail} END)")
}
