//! The Mann–Whitney U test (two-sided), computed as scipy's
//! `mannwhitneyu(x, y, alternative='two-sided', method='auto')` does, so a p-value here can be
//! checked against scipy's:
//!
//! - U1 = R1 - n1(n1 + 1)/2 from average ranks of the pooled sample; the test statistic is
//!   U = max(U1, n1 n2 - U1) and p = 2 P(U' >= U), at most 1.
//! - **exact** when either sample has at most 8 values and no value occurs twice in the pooled
//!   sample: the null distribution of U counted exactly;
//! - otherwise the **normal approximation** with the tie correction of the variance and a
//!   continuity correction of 1/2;
//! - **no test** when every value of both samples is the same: there is no order to rank
//!   (scipy's formula divides by a zero variance there and reports p = 1).

use std::cmp::Ordering;

/// The largest sample size for which the exact distribution is used (when the other sample is
/// larger, scipy uses it too, as long as there are no ties).
pub const EXACT_MAX: usize = 8;

/// How the p-value was computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    Exact,
    Asymptotic,
}

/// The outcome of one test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MannWhitney {
    /// U of the first sample (scipy's `statistic`): pairs (x, y) with x > y, ties counting 1/2.
    pub u1: f64,
    /// Two-sided p-value.
    pub p_value: f64,
    pub method: Method,
}

/// Two-sided Mann–Whitney U test of `x` against `y`; `None` when there is nothing to rank: a
/// sample is empty, holds a NaN, or every value of both is the same.
pub fn mann_whitney_u(x: &[f64], y: &[f64]) -> Option<MannWhitney> {
    let (n1, n2) = (x.len(), y.len());
    if n1 == 0 || n2 == 0 || x.iter().chain(y).any(|v| v.is_nan()) {
        return None;
    }
    let (ranks, ties) = average_ranks(&[x, y].concat());
    if ties.len() == 1 {
        return None;
    }
    let r1: f64 = ranks[..n1].iter().sum();
    let (n1f, n2f) = (n1 as f64, n2 as f64);
    let u1 = r1 - n1f * (n1f + 1.0) / 2.0;
    let u = u1.max(n1f * n2f - u1);
    let has_ties = ties.iter().any(|&t| t > 1);
    let exact = (n1 <= EXACT_MAX || n2 <= EXACT_MAX) && !has_ties;
    // Without ties U is a whole number; the exact counts overflow only for absurd sizes (one
    // sample of 8 against hundreds of thousands), where the normal approximation is excellent.
    if exact && let Some(p) = exact_sf(u as u64, n1.min(n2), n1.max(n2)) {
        return Some(MannWhitney {
            u1,
            p_value: (2.0 * p).min(1.0),
            method: Method::Exact,
        });
    }
    let n = n1f + n2f;
    let tie_term: f64 = ties.iter().map(|&t| (t as f64).powi(3) - t as f64).sum();
    let sigma = (n1f * n2f / 12.0 * ((n + 1.0) - tie_term / (n * (n - 1.0)))).sqrt();
    let numerator = u - n1f * n2f / 2.0 - 0.5;
    // At least two distinct values (checked above): the tie-corrected variance is positive.
    let p = 2.0 * normal_sf(numerator / sigma);
    Some(MannWhitney {
        u1,
        p_value: p.clamp(0.0, 1.0),
        method: Method::Asymptotic,
    })
}

/// Ranks 1..=n of `xs` (ties get the average of the ranks they span) and the size of every tie
/// group (1 for a value that occurs once).
fn average_ranks(xs: &[f64]) -> (Vec<f64>, Vec<usize>) {
    let mut order: Vec<usize> = (0..xs.len()).collect();
    order.sort_by(|&a, &b| xs[a].partial_cmp(&xs[b]).unwrap_or(Ordering::Equal));
    let mut ranks = vec![0.0; xs.len()];
    let mut ties = Vec::new();
    let mut i = 0;
    while i < order.len() {
        let mut j = i + 1;
        while j < order.len() && xs[order[j]] == xs[order[i]] {
            j += 1;
        }
        // Positions i..j (0-based) hold ranks i+1..=j; their mean is (i + 1 + j) / 2.
        let rank = (i + 1 + j) as f64 / 2.0;
        for &k in &order[i..j] {
            ranks[k] = rank;
        }
        ties.push(j - i);
        i = j;
    }
    (ranks, ties)
}

/// P(U >= u) under the null hypothesis for samples of `m <= n` values without ties, from the
/// exact counts; `None` if a count does not fit in 128 bits.
fn exact_sf(u: u64, m: usize, n: usize) -> Option<f64> {
    let counts = u_counts(m, n)?;
    let total: i128 = counts.iter().sum();
    let at_least: i128 = counts.iter().skip(u as usize).sum();
    Some(at_least as f64 / total as f64)
}

/// How many of the C(m + n, m) orderings of m x's and n y's give U = 0, 1, ..., m n: the
/// coefficients of the Gaussian binomial [m + n choose m]_q = prod_{i=1..m} (1 - q^(n+i)) /
/// (1 - q^i), built one factor at a time (each partial product is [n + i choose i]_q, whose
/// coefficients are whole numbers). O(m * m n) operations.
fn u_counts(m: usize, n: usize) -> Option<Vec<i128>> {
    // The largest coefficient is below the sum C(m + n, m): refuse before allocating m n + 1
    // slots for counts that would not fit anyway.
    let total: f64 = (1..=m).map(|i| (n + i) as f64 / i as f64).product();
    if total > 1e37 {
        return None;
    }
    let mut poly: Vec<i128> = vec![1];
    for i in 1..=m {
        let degree = i * n;
        let mut next = vec![0i128; degree + 1];
        // Multiply by (1 - q^(n+i)) ...
        for (k, slot) in next.iter_mut().enumerate() {
            let keep = poly.get(k).copied().unwrap_or(0);
            let drop = k
                .checked_sub(n + i)
                .and_then(|j| poly.get(j))
                .copied()
                .unwrap_or(0);
            *slot = keep.checked_sub(drop)?;
        }
        // ... then divide by (1 - q^i): a running sum with stride i.
        for k in i..=degree {
            next[k] = next[k].checked_add(next[k - i])?;
        }
        poly = next;
    }
    Some(poly)
}

/// P(Z > z) for a standard normal Z.
pub fn normal_sf(z: f64) -> f64 {
    if z.is_nan() {
        return f64::NAN;
    }
    0.5 * erfc(z / std::f64::consts::SQRT_2)
}

/// The complementary error function, to about 1e-15 absolute and far better than 1e-9 relative
/// over the range p-values need.
fn erfc(x: f64) -> f64 {
    if x < 0.0 {
        return 2.0 - erfc(-x);
    }
    if x > 27.0 {
        // Below the smallest positive f64.
        0.0
    } else if x < 3.0 {
        1.0 - erf_series(x)
    } else {
        erfc_continued_fraction(x)
    }
}

/// erf(x) = 2/sqrt(pi) exp(-x^2) sum_k 2^k x^(2k+1) / (1 3 5 ... (2k+1)): every term is
/// positive, so nothing cancels.
fn erf_series(x: f64) -> f64 {
    let x2 = x * x;
    let mut term = x;
    let mut sum = x;
    let mut k = 0.0;
    while term > sum * 1e-17 {
        k += 1.0;
        term *= 2.0 * x2 / (2.0 * k + 1.0);
        sum += term;
    }
    2.0 / std::f64::consts::PI.sqrt() * (-x2).exp() * sum
}

/// erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...))))), by the
/// modified Lentz method; converges fast for x >= 3.
fn erfc_continued_fraction(x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let mut f = x;
    let mut c = x;
    let mut d = 0.0;
    for k in 1..500 {
        let a = k as f64 / 2.0;
        d = x + a * d;
        d = if d.abs() < TINY { TINY } else { d };
        c = x + a / c;
        c = if c.abs() < TINY { TINY } else { c };
        d = 1.0 / d;
        let delta = c * d;
        f *= delta;
        if (delta - 1.0).abs() < 1e-16 {
            break;
        }
    }
    (-x * x).exp() / std::f64::consts::PI.sqrt() / f
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 + 1e-9 * b.abs()
    }

    /// The test on `x` and `y` gives scipy 1.17.1's statistic `u1` and p-value `p` of
    /// `scipy.stats.mannwhitneyu(x, y, alternative='two-sided', method='auto')`, by the method
    /// scipy's 'auto' picks.
    fn scipy(x: &[f64], y: &[f64], u1: f64, p: f64, method: Method) {
        let r = mann_whitney_u(x, y).unwrap();
        assert_eq!(r.u1, u1, "{x:?} vs {y:?}");
        assert!(close(r.p_value, p), "{x:?} vs {y:?}: {} vs {p}", r.p_value);
        assert_eq!(r.method, method, "{x:?} vs {y:?}");
        // Two-sided: swapping the samples changes U1 into n1 n2 - U1, not p.
        let swapped = mann_whitney_u(y, x).unwrap();
        assert!(close(swapped.p_value, p));
        assert_eq!(swapped.u1, (x.len() * y.len()) as f64 - u1);
    }

    fn range(n: usize, offset: f64) -> Vec<f64> {
        (0..n).map(|i| i as f64 + offset).collect()
    }

    #[test]
    fn small_samples_without_ties_get_scipys_exact_p_values() {
        use Method::Exact;
        let (x, y) = ([1., 2., 3., 4., 5.], [6., 7., 8., 9., 10.]);
        scipy(&x, &y, 0.0, 0.007936507936507936, Exact);
        let (x, y) = ([0.8, 1.3, 2.2, 3.1], [1.1, 1.9, 2.5, 4.0, 5.2]);
        scipy(&x, &y, 6.0, 0.4126984126984127, Exact);
        // One sample of 5 against 20: still exact (only one needs to be small).
        let x = [0.5, 2.5, 4.5, 6.5, 8.5];
        scipy(&x, &range(20, 0.0), 25.0, 0.09696969696969696, Exact);
        // 3 against 3 can never reach p < 0.05; 4 against 4 can.
        scipy(&[1., 2., 3.], &[4., 5., 6.], 0.0, 0.1, Exact);
        let (x, y) = ([1., 2., 3., 4.], [5., 6., 7., 8.]);
        scipy(&x, &y, 0.0, 0.02857142857142857, Exact);
    }

    #[test]
    fn ties_and_large_samples_get_scipys_asymptotic_p_values() {
        use Method::Asymptotic;
        // Ties: the normal approximation with the tie-corrected variance, small or not.
        let x = [1., 2., 2., 3., 3., 3., 4., 5., 5., 6.];
        let y = [3., 4., 4., 5., 6., 6., 7., 7., 8., 9.];
        scipy(&x, &y, 15.5, 0.00949585610483713, Asymptotic);
        let (x, y) = ([1., 1., 2., 3.], [2., 3., 4., 4., 5.]);
        scipy(&x, &y, 2.0, 0.06168916598092455, Asymptotic);
        // Both above 8, no ties: normal approximation.
        let x = [
            0.101, 0.103, 0.099, 0.108, 0.102, 0.1005, 0.097, 0.111, 0.104, 0.1001,
        ];
        let y = [
            0.1012, 0.1023, 0.1051, 0.1062, 0.1071, 0.1093, 0.1101, 0.1122, 0.1039, 0.1088, 0.1131,
            0.1065,
        ];
        scipy(&x, &y, 23.0, 0.016095680379275525, Asymptotic);
        let (x, y) = (range(10, 0.0), range(10, 10.5));
        scipy(&x, &y, 0.0, 0.00018267179110955002, Asymptotic);
        // A sample against itself: every value tied once, U at its mean, p = 1.
        let x = [
            0.2, 0.21, 0.205, 0.199, 0.201, 0.22, 0.203, 0.207, 0.198, 0.202,
        ];
        scipy(&x, &x, 50.0, 1.0, Asymptotic);
    }

    #[test]
    fn exact_counts_are_gaussian_binomials() {
        // [4 choose 2]_q = 1 + q + 2q^2 + q^3 + q^4.
        assert_eq!(u_counts(2, 2).unwrap(), vec![1, 1, 2, 1, 1]);
        // C(16, 8) orderings in all, symmetric.
        let c = u_counts(8, 8).unwrap();
        assert_eq!(c.iter().sum::<i128>(), 12870);
        assert!(c.iter().eq(c.iter().rev()));
        // Too big for 128 bits: no exact answer rather than a wrong one (and no allocation).
        assert_eq!(u_counts(8, 1_000_000), None);
    }

    #[test]
    fn normal_tail() {
        // Values of scipy.stats.norm.sf.
        assert!(close(normal_sf(0.0), 0.5));
        assert!(close(normal_sf(1.959963984540054), 0.025));
        assert!(close(normal_sf(-1.0), 0.8413447460685429));
        assert!(close(normal_sf(0.7), 0.24196365222307303));
        assert!(close(normal_sf(3.0), 0.0013498980316300933));
        // Either side of the switch from the series to the continued fraction (x = 3).
        assert!(close(normal_sf(4.2426), 1.1047251836953543e-05));
        assert!(close(normal_sf(4.2427), 1.1042328692575501e-05));
        assert!(close(normal_sf(5.0), 2.866515718791933e-07));
        assert!(close(normal_sf(6.5), 4.016000583859088e-11));
        assert!(close(normal_sf(10.0), 7.61985302416047e-24));
        assert_eq!(normal_sf(f64::INFINITY), 0.0);
    }

    #[test]
    fn nothing_to_rank() {
        assert_eq!(mann_whitney_u(&[], &[1.0]), None);
        assert_eq!(mann_whitney_u(&[1.0], &[f64::NAN]), None);
        // One value throughout: no order, so no test (scipy reports p = 1 from a 0/0).
        assert_eq!(mann_whitney_u(&[2., 2., 2.], &[2., 2., 2., 2.]), None);
        assert_eq!(mann_whitney_u(&[2.], &[2.]), None);
        // Two values are enough to rank.
        let r = mann_whitney_u(&[2., 2., 3.], &[2., 2., 2.]).unwrap();
        assert_eq!(r.method, Method::Asymptotic);
    }
}
