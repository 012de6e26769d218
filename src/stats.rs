//! Statistics over samples: pure functions, no I/O, easy to test.
//! Percentiles use linear interpolation between order statistics (Hyndman & Fan type 7, the
//! default of R, NumPy and criterion), so p50 of an even-sized sample is the mean of the two
//! middle values.

pub mod carryover;
pub mod mann_whitney;
pub mod scaling;

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

/// The fewest values per arm (a configuration and its baseline) from which an interval is
/// given, and below which a verdict is not: with fewer, a percentile bootstrap of a ratio of
/// medians covers far less than it says (about 67 % at 2, 90 % at 3), and the order-statistic
/// interval of a median cannot reach 95 % (at most 93.8 % with 5 values, 96.9 % with 6).
pub const MIN_INTERVAL_N: usize = 6;

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

/// How speedup confidence intervals are computed: a percentile bootstrap of the ratio of
/// medians, each arm (baseline and candidate) resampled with replacement independently.
/// Recorded in meta.json so every interval can be recomputed from runs.csv.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BootstrapSettings {
    /// Base seed; each (variant, strategy, workers) derives its own stream from it, so one
    /// row's interval does not depend on which other rows exist.
    pub seed: u64,
    /// Resamples per interval.
    pub resamples: u32,
    /// Two-sided confidence level, e.g. 0.95.
    pub confidence: f64,
    /// The generator (named so a reader can reproduce the streams).
    #[serde(default = "default_rng_name")]
    pub rng: String,
}

fn default_rng_name() -> String {
    RNG_NAME.into()
}

const RNG_NAME: &str = "ChaCha8 (rand_chacha 0.10), stream seed = splitmix64(seed ^ fnv1a(key))";

/// The default bootstrap seed (fixed, so the same runs.csv always gives the same intervals).
pub const DEFAULT_BOOTSTRAP_SEED: u64 = 0xC0C0_BE4C_2026_0005;

impl Default for BootstrapSettings {
    fn default() -> Self {
        BootstrapSettings {
            seed: DEFAULT_BOOTSTRAP_SEED,
            resamples: 10_000,
            confidence: 0.95,
            rng: RNG_NAME.into(),
        }
    }
}

/// A seed for one named stream: FNV-1a of `key`, mixed with `base` through SplitMix64.
pub fn stream_seed(base: u64, key: &str) -> u64 {
    let mut h: u64 = 0xCBF2_9CE4_8422_2325;
    for b in key.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01B3);
    }
    SplitMix64::new(base ^ h).next_u64()
}

/// The median (type 7: the mean of the two middle values for an even count), by selection
/// rather than a full sort: the bootstrap calls this tens of thousands of times.
fn median_in_place(xs: &mut [f64]) -> f64 {
    let n = xs.len();
    let (_, hi, _) = xs.select_nth_unstable_by(n / 2, f64::total_cmp);
    let hi = *hi;
    if n % 2 == 1 {
        return hi;
    }
    let lo = xs[..n / 2]
        .iter()
        .copied()
        .fold(f64::NEG_INFINITY, f64::max);
    (lo + hi) / 2.0
}

/// Ratios `baseline / candidate` of the trials that share a key (a round: the two arms of a
/// comparison run back to back in every round, in one interpreter for the py-* ones), in key
/// order. Keys seen on one side only are left out.
pub fn paired_ratios(baseline: &[(u64, f64)], candidate: &[(u64, f64)]) -> Vec<f64> {
    let mut out: Vec<(u64, f64)> = baseline
        .iter()
        .filter_map(|&(k, b)| {
            candidate
                .iter()
                .find(|c| c.0 == k)
                .filter(|c| c.1 > 0.0 && b > 0.0 && b.is_finite() && c.1.is_finite())
                .map(|c| (k, b / c.1))
        })
        .collect();
    out.sort_by_key(|x| x.0);
    out.into_iter().map(|x| x.1).collect()
}

/// P(X <= k) for X ~ Binomial(n, 1/2), for every k in 0..=last, in one pass: each term's
/// log C(n, i) is the one before plus one more factor, so the whole list costs O(last).
fn binomial_half_cdfs(n: usize, last: usize) -> Vec<f64> {
    let ln_2n = n as f64 * std::f64::consts::LN_2;
    let mut ln_choose = 0.0;
    let mut cdf = 0.0;
    (0..=last.min(n))
        .map(|i| {
            if i > 0 {
                ln_choose += ((n + 1 - i) as f64 / i as f64).ln();
            }
            cdf += (ln_choose - ln_2n).exp();
            f64::min(cdf, 1.0)
        })
        .collect()
}

/// The distribution-free confidence interval of a median from order statistics (the
/// sign-test interval; Le Boudec, *Performance Evaluation*, Thm 2.1): the narrowest
/// `[x(k), x(n+1-k)]` whose coverage `1 - 2 P(Bin(n, 1/2) <= k-1)` is at least `confidence`.
/// Exact for any continuous distribution. `None` when even `[min, max]` covers less (with 6
/// values, at most 96.9 %; a 99.9 % interval needs 11). Returns the interval and its coverage
/// (the level it achieves, at least `confidence`: order statistics give discrete levels).
/// O(n) after the sort.
pub fn median_ci(xs: &[f64], confidence: f64) -> Option<(f64, f64, f64)> {
    let mut sorted: Vec<f64> = xs.iter().copied().filter(|x| x.is_finite()).collect();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let cdfs = binomial_half_cdfs(n, n.div_ceil(2));
    let coverage = |k: usize| 1.0 - 2.0 * cdfs[k - 1];
    if coverage(1) < confidence {
        return None;
    }
    let mut k = 1;
    while k < n.div_ceil(2) && coverage(k + 1) >= confidence {
        k += 1;
    }
    Some((sorted[k - 1], sorted[n - k], coverage(k)))
}

/// `median(b) / median(c)` of one resample (each sorted in place); `None` when a median is not
/// positive, which ends the bootstrap.
fn median_ratio(b: &mut [f64], c: &mut [f64]) -> Option<f64> {
    let (mb, mc) = (median_in_place(b), median_in_place(c));
    if mc <= 0.0 || mb <= 0.0 {
        return None;
    }
    Some(mb / mc)
}

/// The percentile interval at `confidence` of the resampled ratios.
fn percentile_interval(mut ratios: Vec<f64>, confidence: f64) -> (f64, f64) {
    ratios.sort_unstable_by(f64::total_cmp);
    let tail = (1.0 - confidence.clamp(0.0, 1.0)) / 2.0 * 100.0;
    (
        percentile_sorted(&ratios, tail),
        percentile_sorted(&ratios, 100.0 - tail),
    )
}

/// Percentile-bootstrap interval of `median(baseline) / median(candidate)` when trials come
/// in clusters that both arms share (the interpreter process that ran them: `(cluster,
/// value)`). Each resample draws whole clusters with replacement, with every trial of both
/// arms in them, so what a cluster gives both arms (one interpreter's speed) moves both
/// medians together instead of widening the interval. `None` without data, without a cluster
/// that holds both arms, or when a median is not positive.
pub fn bootstrap_clustered_speedup_ci(
    baseline: &[(u64, f64)],
    candidate: &[(u64, f64)],
    settings: &BootstrapSettings,
    stream_seed: u64,
) -> Option<(f64, f64)> {
    use rand::{RngExt, SeedableRng};
    let mut clusters: Vec<u64> = baseline.iter().chain(candidate).map(|c| c.0).collect();
    clusters.sort_unstable();
    clusters.dedup();
    let of = |arm: &[(u64, f64)], c: u64| -> Vec<f64> {
        arm.iter()
            .filter(|x| x.0 == c && !x.1.is_nan())
            .map(|x| x.1)
            .collect()
    };
    let groups: Vec<(Vec<f64>, Vec<f64>)> = clusters
        .iter()
        .map(|&c| (of(baseline, c), of(candidate, c)))
        .collect();
    if settings.resamples == 0 || !groups.iter().any(|(b, c)| !b.is_empty() && !c.is_empty()) {
        return None;
    }
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(stream_seed);
    let (mut b, mut c) = (Vec::new(), Vec::new());
    let mut ratios = Vec::with_capacity(settings.resamples as usize);
    let mut draws = 0u64;
    while ratios.len() < settings.resamples as usize {
        draws += 1;
        if draws > 20 * u64::from(settings.resamples) {
            return None; // almost every resample missed an arm: too few shared clusters
        }
        b.clear();
        c.clear();
        for _ in 0..groups.len() {
            let (gb, gc) = &groups[rng.random_range(0..groups.len())];
            b.extend_from_slice(gb);
            c.extend_from_slice(gc);
        }
        if b.is_empty() || c.is_empty() {
            continue;
        }
        ratios.push(median_ratio(&mut b, &mut c)?);
    }
    Some(percentile_interval(ratios, settings.confidence))
}

/// Percentile-bootstrap confidence interval of the speedup `median(baseline) /
/// median(candidate)`: each resample draws `baseline.len()` values from the baseline and
/// `candidate.len()` from the candidate, with replacement and independently, and forms the ratio
/// of their medians; the interval is the (1 - confidence)/2 and (1 + confidence)/2 percentiles
/// of those ratios. `None` when either sample is empty (NaNs are ignored) or a median is not
/// positive.
pub fn bootstrap_speedup_ci(
    baseline: &[f64],
    candidate: &[f64],
    settings: &BootstrapSettings,
    stream_seed: u64,
) -> Option<(f64, f64)> {
    use rand::{RngExt, SeedableRng};
    let base: Vec<f64> = baseline.iter().copied().filter(|x| !x.is_nan()).collect();
    let cand: Vec<f64> = candidate.iter().copied().filter(|x| !x.is_nan()).collect();
    if base.is_empty() || cand.is_empty() || settings.resamples == 0 {
        return None;
    }
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(stream_seed);
    let mut b = vec![0.0; base.len()];
    let mut c = vec![0.0; cand.len()];
    let mut ratios = Vec::with_capacity(settings.resamples as usize);
    for _ in 0..settings.resamples {
        for x in b.iter_mut() {
            *x = base[rng.random_range(0..base.len())];
        }
        for x in c.iter_mut() {
            *x = cand[rng.random_range(0..cand.len())];
        }
        ratios.push(median_ratio(&mut b, &mut c)?);
    }
    Some(percentile_interval(ratios, settings.confidence))
}

#[cfg(test)]
mod tests;
