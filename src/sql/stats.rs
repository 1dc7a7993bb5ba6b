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

/// The variable t = 1/(1 + p·|x|) of Abramowitz and Stegun 26.2.17, for
/// [`normal_cdf`]: a query keeps it as a column (one CTE before the one
/// that reads it), so that the polynomial reads a column five times
/// instead of repeating `x` five times. NULL gives NULL.
pub fn tail_variable(x: &str) -> String {
    format!("1.0E0 / (1.0E0 + {} * ABS({x}))", number(P))
}

/// Φ(x), the standard normal distribution function, by Abramowitz and
/// Stegun 26.2.17 (Hastings' rational approximation, absolute error below
/// 7.5e-8): with t = 1/(1 + p·|x|), the upper tail at |x| is
/// φ(|x|)·t·(b₁ + t·(b₂ + t·(b₃ + t·(b₄ + t·b₅)))). `x` is a float SQL
/// expression and `t` its [`tail_variable`] (of `x` or of `-x`: it
/// depends on |x| only), usually both columns; NULL gives NULL.
pub fn normal_cdf(x: &str, t: &str) -> String {
    let mut poly = number(B[4]);
    for b in B[..4].iter().rev() {
        poly = format!("({} + {t} * {poly})", number(*b));
    }
    let tail = format!(
        "EXP(-({x}) * ({x}) / 2.0E0) * {} * {t} * {poly}",
        number(INV_SQRT_TAU)
    );
    // 1 − tail above zero, the tail below: the tail written once.
    format!("ABS(CASE WHEN {x} >= 0 THEN 1.0E0 ELSE 0.0E0 END - {tail})")
}
