//! Statistics over samples: pure functions, no I/O, easy to test.
//! Percentiles use linear interpolation between order statistics (Hyndman & Fan type 7, the
//! default of R, NumPy and criterion), so p50 of an even-sized sample is the mean of the two
//! middle values.

/// The q-th percentile (0 <= q <= 100) of `xs`; `None` for an empty sample.
pub fn percentile(xs: &[f64], q: f64) -> Option<f64> {
    let mut sorted: Vec<f64> = xs.iter().copied().filter(|x| !x.is_nan()).collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(f64::total_cmp);
    Some(percentile_sorted(&sorted, q))
}

fn percentile_sorted(sorted: &[f64], q: f64) -> f64 {
    let rank = (q.clamp(0.0, 100.0) / 100.0) * (sorted.len() - 1) as f64;
    let lo = rank.floor() as usize;
    let hi = rank.ceil() as usize;
    sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo as f64)
}

pub fn median(xs: &[f64]) -> Option<f64> {
    percentile(xs, 50.0)
}

pub fn mean(xs: &[f64]) -> Option<f64> {
    (!xs.is_empty()).then(|| xs.iter().sum::<f64>() / xs.len() as f64)
}

/// Sample standard deviation (n - 1); 0 for a single value.
pub fn stddev(xs: &[f64]) -> Option<f64> {
    let m = mean(xs)?;
    if xs.len() < 2 {
        return Some(0.0);
    }
    let ss: f64 = xs.iter().map(|x| (x - m).powi(2)).sum();
    Some((ss / (xs.len() - 1) as f64).sqrt())
}

/// How many values lie outside Tukey's inner fences [Q1 - 1.5 IQR, Q3 + 1.5 IQR].
/// Outliers are counted and reported, never dropped.
pub fn tukey_outliers(xs: &[f64]) -> usize {
    let (Some(q1), Some(q3)) = (percentile(xs, 25.0), percentile(xs, 75.0)) else {
        return 0;
    };
    let iqr = q3 - q1;
    let (lo, hi) = (q1 - 1.5 * iqr, q3 + 1.5 * iqr);
    xs.iter().filter(|&&x| x < lo || x > hi).count()
}

/// The usual description of a sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub n: usize,
    pub min: f64,
    pub p25: f64,
    pub median: f64,
    pub p75: f64,
    pub max: f64,
    pub mean: f64,
    pub stddev: f64,
    pub outliers: usize,
}

impl Summary {
    pub fn of(xs: &[f64]) -> Option<Summary> {
        let mut sorted: Vec<f64> = xs.iter().copied().filter(|x| !x.is_nan()).collect();
        if sorted.is_empty() {
            return None;
        }
        sorted.sort_by(f64::total_cmp);
        Some(Summary {
            n: sorted.len(),
            min: sorted[0],
            p25: percentile_sorted(&sorted, 25.0),
            median: percentile_sorted(&sorted, 50.0),
            p75: percentile_sorted(&sorted, 75.0),
            max: sorted[sorted.len() - 1],
            mean: mean(&sorted)?,
            stddev: stddev(&sorted)?,
            outliers: tukey_outliers(&sorted),
        })
    }

    /// Coefficient of variation in %: stddev relative to the mean.
    pub fn cv_pct(&self) -> f64 {
        if self.mean > 0.0 {
            100.0 * self.stddev / self.mean
        } else {
            0.0
        }
    }
}

/// Speedup of `candidate` over `baseline` from their medians (ratios of summaries, never a
/// summary of per-run ratios).
pub fn speedup(baseline_median: f64, candidate_median: f64) -> Option<f64> {
    (candidate_median > 0.0).then(|| baseline_median / candidate_median)
}

/// A small, fast, seedable generator (SplitMix64) for shuffling the trial order.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in 0..n (n > 0), by rejection so there is no modulo bias.
    pub fn below(&mut self, n: u64) -> u64 {
        let zone = u64::MAX - u64::MAX % n;
        loop {
            let x = self.next_u64();
            if x < zone {
                return x % n;
            }
        }
    }
    /// Fisher-Yates shuffle.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_interpolate() {
        let xs = [4.0, 1.0, 3.0, 2.0];
        assert_eq!(median(&xs), Some(2.5));
        assert_eq!(percentile(&xs, 0.0), Some(1.0));
        assert_eq!(percentile(&xs, 100.0), Some(4.0));
        assert_eq!(percentile(&xs, 25.0), Some(1.75));
        assert_eq!(median(&[7.0]), Some(7.0));
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn spread_and_outliers() {
        let xs = [1.0, 1.2, 0.9, 1.1, 1.0, 0.95, 1.05, 5.0];
        let s = Summary::of(&xs).unwrap();
        assert_eq!(s.n, 8);
        assert_eq!(s.min, 0.9);
        assert_eq!(s.max, 5.0);
        assert_eq!(s.outliers, 1);
        assert!((stddev(&[2.0, 4.0]).unwrap() - std::f64::consts::SQRT_2).abs() < 1e-12);
        assert_eq!(stddev(&[3.0]), Some(0.0));
    }

    #[test]
    fn speedup_is_a_ratio_of_medians() {
        assert_eq!(speedup(8.0, 4.0), Some(2.0));
        assert_eq!(speedup(8.0, 0.0), None);
    }

    #[test]
    fn shuffle_is_seeded_and_a_permutation() {
        let mut a: Vec<u32> = (0..20).collect();
        let mut b = a.clone();
        SplitMix64::new(7).shuffle(&mut a);
        SplitMix64::new(7).shuffle(&mut b);
        assert_eq!(a, b);
        let mut sorted = a.clone();
        sorted.sort();
        assert_eq!(sorted, (0..20).collect::<Vec<_>>());
        assert_ne!(a, (0..20).collect::<Vec<_>>());
    }
}
