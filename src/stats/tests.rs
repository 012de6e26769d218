//! Unit tests of the statistics in `stats.rs`.
use super::*;

fn settings(resamples: u32) -> BootstrapSettings {
    BootstrapSettings {
        resamples,
        ..BootstrapSettings::default()
    }
}

#[test]
fn bootstrap_of_constant_samples_is_the_exact_ratio() {
    let ci = bootstrap_speedup_ci(&[2.0; 8], &[1.0; 5], &settings(1000), 1).unwrap();
    assert_eq!(ci, (2.0, 2.0));
}

#[test]
fn bootstrap_of_two_values_spans_them() {
    // The median of a resample of {1, 3} is 1 (p = 1/4), 2 (p = 1/2) or 3 (p = 1/4):
    // the 2.5 % and 97.5 % percentiles of 10 000 resamples are 1 and 3.
    let ci = bootstrap_speedup_ci(&[1.0, 3.0], &[1.0], &settings(10_000), 7).unwrap();
    assert_eq!(ci, (1.0, 3.0));
    // Candidate side: 1 / {0.5, 1.0 medians} mirrors it.
    let ci = bootstrap_speedup_ci(&[1.0], &[0.5, 1.5], &settings(10_000), 7).unwrap();
    assert!(
        (ci.0 - 1.0 / 1.5).abs() < 1e-12 && (ci.1 - 2.0).abs() < 1e-12,
        "{ci:?}"
    );
}

#[test]
fn bootstrap_is_seeded_and_brackets_the_estimate() {
    let base = [1.00, 1.02, 0.99, 1.05, 1.01, 0.98, 1.03, 1.00, 1.04, 0.97];
    let cand = [0.51, 0.50, 0.52, 0.49, 0.55, 0.50, 0.51, 0.53, 0.50, 0.48];
    let s = BootstrapSettings::default();
    let a = bootstrap_speedup_ci(&base, &cand, &s, 42).unwrap();
    assert_eq!(a, bootstrap_speedup_ci(&base, &cand, &s, 42).unwrap());
    let point = speedup(median(&base).unwrap(), median(&cand).unwrap()).unwrap();
    assert!(a.0 <= point && point <= a.1, "{a:?} vs {point}");
    // Every resampled median lies within the sample's range, so the ratio does too.
    assert!(a.0 >= 0.97 / 0.55 && a.1 <= 1.05 / 0.48, "{a:?}");
    assert!(a.1 - a.0 < 0.15, "{a:?}");
    // Another stream gives another (but similar) interval.
    let b = bootstrap_speedup_ci(&base, &cand, &s, 43).unwrap();
    assert!((a.0 - b.0).abs() < 0.05 && (a.1 - b.1).abs() < 0.05);
}

#[test]
fn bootstrap_needs_data() {
    let s = settings(100);
    assert_eq!(bootstrap_speedup_ci(&[], &[1.0], &s, 0), None);
    assert_eq!(bootstrap_speedup_ci(&[1.0], &[f64::NAN], &s, 0), None);
    assert_eq!(bootstrap_speedup_ci(&[1.0], &[0.0], &s, 0), None);
}

#[test]
fn stream_seeds_differ_by_key_and_base() {
    assert_eq!(
        stream_seed(1, "cpu/threads/2"),
        stream_seed(1, "cpu/threads/2")
    );
    assert_ne!(
        stream_seed(1, "cpu/threads/2"),
        stream_seed(1, "cpu/rayon/2")
    );
    assert_ne!(
        stream_seed(1, "cpu/threads/2"),
        stream_seed(2, "cpu/threads/2")
    );
}

#[test]
fn order_statistic_intervals_match_the_tables() {
    // Le Boudec, Table A.1: n=6 -> [x(1), x(6)] (96.9 %), n=10 -> [x(2), x(9)] (97.9 %),
    // n=20 -> [x(6), x(15)] (95.9 %), n=30 -> [x(10), x(21)] (95.7 %).
    for (n, lo, hi, cov) in [
        (6, 1, 6, 0.969),
        (10, 2, 9, 0.979),
        (20, 6, 15, 0.959),
        (30, 10, 21, 0.957),
    ] {
        let xs: Vec<f64> = (1..=n).map(f64::from).collect();
        let (a, b, c) = median_ci(&xs, 0.95).unwrap();
        assert_eq!((a, b), (f64::from(lo), f64::from(hi)), "n={n}");
        assert!((c - cov).abs() < 0.001, "n={n}: {c}");
    }
    // 99.9 % needs 11 values: 1 - 2/2^11 = 0.99902.
    let ten: Vec<f64> = (1..=10).map(f64::from).collect();
    assert_eq!(median_ci(&ten, 0.999), None);
    let eleven: Vec<f64> = (1..=11).map(f64::from).collect();
    assert_eq!(
        median_ci(&eleven, 0.999).map(|c| (c.0, c.1)),
        Some((1.0, 11.0))
    );
    assert_eq!(median_ci(&[], 0.5), None);
}

/// `median_ci` as it was (the binomial CDF summed afresh for every k: O(n³)), to check
/// the O(n) one against.
fn median_ci_cubic(xs: &[f64], confidence: f64) -> Option<(f64, f64, f64)> {
    let cdf = |n: usize, k: usize| -> f64 {
        let ln_choose = |n: usize, i: usize| -> f64 {
            (1..=i).map(|j| ((n + 1 - j) as f64 / j as f64).ln()).sum()
        };
        (0..=k.min(n))
            .map(|i| (ln_choose(n, i) - n as f64 * std::f64::consts::LN_2).exp())
            .sum::<f64>()
            .min(1.0)
    };
    let mut sorted: Vec<f64> = xs.iter().copied().filter(|x| x.is_finite()).collect();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let coverage = |k: usize| 1.0 - 2.0 * cdf(n, k - 1);
    if n == 0 || coverage(1) < confidence {
        return None;
    }
    let mut k = 1;
    while k < n.div_ceil(2) && coverage(k + 1) >= confidence {
        k += 1;
    }
    Some((sorted[k - 1], sorted[n - k], coverage(k)))
}

#[test]
fn the_linear_median_ci_gives_what_the_cubic_one_gave() {
    let mut rng = SplitMix64::new(7);
    let sizes = (0..=130).chain([199, 256, 401]);
    for n in sizes {
        let xs: Vec<f64> = (0..n).map(|_| rng.next_u64() as f64).collect();
        for confidence in [0.5, 0.9, 0.95, 0.96, 0.975, 0.99, 0.999, 0.9999] {
            let (new, old) = (median_ci(&xs, confidence), median_ci_cubic(&xs, confidence));
            // Bit for bit: the same ranks and the same coverage.
            let bits = |c: Option<(f64, f64, f64)>| c.map(|c| (c.0, c.1, c.2.to_bits()));
            assert_eq!(bits(new), bits(old), "n={n}, confidence {confidence}");
        }
    }
}

#[test]
fn ratios_pair_by_key() {
    let base = [(3, 2.0), (1, 4.0), (2, 9.0)];
    let cand = [(1, 2.0), (3, 1.0), (7, 5.0)];
    assert_eq!(paired_ratios(&base, &cand), vec![2.0, 2.0]);
}

#[test]
fn the_selection_median_is_the_sorted_median() {
    for xs in [
        vec![3.0],
        vec![2.0, 1.0],
        vec![5.0, 1.0, 4.0, 2.0],
        vec![9.0, 1.0, 5.0, 7.0, 3.0],
    ] {
        let mut v = xs.clone();
        assert_eq!(median_in_place(&mut v), median(&xs).unwrap(), "{xs:?}");
    }
}

#[test]
fn clusters_shared_by_both_arms_cancel_out() {
    // Each cluster (an interpreter) runs both arms at its own speed, from 0.7 to 1.3:
    // the baseline takes 2 units, the candidate 1, times the cluster's factor.
    let factors = [0.7, 1.3, 0.9, 1.2, 1.0, 0.8, 1.1, 0.75, 1.25, 0.95];
    let base: Vec<(u64, f64)> = factors
        .iter()
        .enumerate()
        .map(|(i, f)| (i as u64, 2.0 * f))
        .collect();
    let cand: Vec<(u64, f64)> = factors
        .iter()
        .enumerate()
        .map(|(i, f)| (i as u64, 1.0 * f))
        .collect();
    let s = BootstrapSettings::default();
    let paired = bootstrap_clustered_speedup_ci(&base, &cand, &s, 5).unwrap();
    assert!(
        (paired.0 - 2.0).abs() < 1e-9 && (paired.1 - 2.0).abs() < 1e-9,
        "{paired:?}"
    );
    // The same values taken as independent samples: the factors widen the interval.
    let strip = |v: &[(u64, f64)]| v.iter().map(|x| x.1).collect::<Vec<f64>>();
    let independent = bootstrap_speedup_ci(&strip(&base), &strip(&cand), &s, 5).unwrap();
    assert!(independent.1 - independent.0 > 0.5, "{independent:?}");
    // Arms that share no cluster have no paired interval.
    let apart: Vec<(u64, f64)> = cand.iter().map(|&(i, v)| (i + 100, v)).collect();
    assert_eq!(bootstrap_clustered_speedup_ci(&base, &apart, &s, 5), None);
}

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
