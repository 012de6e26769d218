//! models.csv's rows from synthetic sweeps: break-even brackets, F and its prediction, the
//! fits' choice of points.

use super::*;
use crate::records::sweep::SweepRow;

/// A synthetic point: speedup with a ±2 % interval.
fn pt(unit_ms: f64, strategy: &str, workers: usize, speedup: f64, wall_s: f64) -> SweepRow {
    let base = baseline_of(strategy) == strategy;
    SweepRow {
        variant: Variant::Cpu,
        strategy: strategy.into(),
        workers,
        unit_ms,
        chunk: None,
        reps: 5,
        wall_median_s: wall_s,
        wall_p25_s: wall_s,
        wall_p75_s: wall_s,
        cores_busy_median: 1.0,
        speedup: Some(speedup),
        speedup_ci_low: (!base).then_some(speedup * 0.98),
        speedup_ci_high: (!base).then_some(speedup * 1.02),
        efficiency: Some(speedup / workers as f64),
        karp_flatt: None,
        amdahl_speedup: None,
        usl_speedup: None,
        all_correct: true,
        waiters: None,
        wall_over_ideal: None,
        cpu_per_waiter_ms: None,
        mem_per_waiter_bytes: None,
    }
}

/// A sweep where threads cost F = 0.2 ms over sequential at zero work, on 8 jobs, so that
/// on 2 workers the speedup is 8u / (4u + 0.2 ms): it crosses 1 at u = 0.05 ms.
fn synthetic() -> Vec<SweepRow> {
    let mut v = vec![
        pt(0.0, "sequential", 1, 1.0, 1e-6),
        pt(0.0, "threads", 1, 1.0, 1e-6 + 0.2e-3),
        pt(0.0, "threads", 2, 1.0, 1e-6 + 0.2e-3),
    ];
    for u in [0.01, 0.03, 0.1, 0.3, 1.0, 3.0] {
        v.push(pt(u, "sequential", 1, 1.0, 8.0 * u / 1e3));
        for w in [1, 2] {
            let wall_ms = 8.0 * u / w.min(2) as f64 + 0.2;
            v.push(pt(u, "threads", w, 8.0 * u / wall_ms, wall_ms / 1e3));
        }
    }
    v
}

/// runs.csv's rows behind `points`: `rounds` rounds, each trial at its point's median.
fn rows_of(points: &[SweepRow], rounds: u32) -> Vec<RunRow> {
    let mut v = Vec::new();
    for round in 0..rounds {
        for p in points {
            let mut r = crate::records::rows_tests::run_row(
                p.variant,
                &p.strategy,
                p.workers,
                p.unit_ms,
                p.wall_median_s,
            );
            r.round = round;
            v.push(r);
        }
    }
    v
}

#[test]
fn break_even_is_bracketed_and_predicted_from_the_fixed_cost() {
    let m = models(&synthetic(), &rows_of(&synthetic(), 6), 8, 2);
    assert_eq!(m.len(), 1);
    let t = &m[0];
    assert_eq!(t.break_even_workers, Some(2));
    // With every worker engaged (at the 90 % efficiency size, 1 ms), F = T_N − T_seq/N =
    // 0.2, with an interval from 6 rounds; at zero work T_seq is 1 µs: 0.2 + 0.0005.
    assert!((t.fixed_cost_ms.unwrap() - 0.2).abs() < 1e-9, "{t:?}");
    assert_eq!(t.fixed_cost_unit_ms, Some(1.0));
    let (lo, hi) = (
        t.fixed_cost_ci_low_ms.unwrap(),
        t.fixed_cost_ci_high_ms.unwrap(),
    );
    assert!((lo - 0.2).abs() < 1e-9 && (hi - 0.2).abs() < 1e-9, "{t:?}");
    assert!(
        (t.fixed_cost_zero_work_ms.unwrap() - 0.2005).abs() < 1e-9,
        "{t:?}"
    );
    // u > F·N/(J·(N−1)) = 0.2·2/8 = 0.05 ms.
    assert!((t.predicted_break_even_ms.unwrap() - 0.05).abs() < 1e-9);
    // Speedups: 0.01 → 0.29, 0.03 → 0.75, 0.1 → 1.33: CI above 1 from 0.1 on.
    assert_eq!(
        (t.break_even_below_ms, t.break_even_ms),
        (Some(0.03), Some(0.1))
    );
    assert!(
        t.break_even_note.contains("predicted crossing")
            && t.break_even_note.contains("within the measured bracket")
            && !t.break_even_note.contains("not significant yet"),
        "{t:?}"
    );
    // Efficiency 90 %: S/2 ≥ 0.9 ⇔ 8u/(4u+0.2) ≥ 1.8 ⇔ u ≥ 0.45: between 0.3 and 1.
    assert_eq!(
        (t.efficiency90_below_ms, t.efficiency90_ms),
        (Some(0.3), Some(1.0))
    );
    // Two worker counts: too few for USL and (with one above 1) for Amdahl; said, not fitted.
    assert_eq!(t.fit_unit_ms, 3.0);
    assert_eq!(t.usl_sigma, None);
    assert!(t.usl_note.contains("at least 6"), "{t:?}");
    assert_eq!(t.amdahl_serial_fraction, None);
    assert!(t.amdahl_note.contains("above 1, has 1"), "{t:?}");
}

#[test]
fn fits_use_the_largest_size_and_predictions_land_there() {
    let mut pts = vec![pt(0.0, "sequential", 1, 1.0, 1e-6)];
    for u in [1.0, 10.0] {
        pts.push(pt(u, "sequential", 1, 1.0, 8.0 * u / 1e3));
        for w in 1..=8usize {
            // Amdahl with s = 0.1 at the large size; noise elsewhere.
            let s = if u == 10.0 {
                amdahl_speedup(0.1, w as f64)
            } else {
                0.5
            };
            pts.push(pt(u, "rayon", w, s, 0.0));
        }
    }
    let m = models(&pts, &rows_of(&pts, 6), 8, 8);
    let r = &m[0];
    assert_eq!(r.fit_unit_ms, 10.0);
    assert_eq!(r.fit_points, 8);
    assert!(
        (r.amdahl_serial_fraction.unwrap() - 0.1).abs() < 1e-6,
        "{r:?}"
    );
    assert!((r.usl_sigma.unwrap() - 0.1).abs() < 1e-3, "{r:?}");
    assert!(r.usl_kappa.unwrap() < 1e-6, "{r:?}");
    assert_eq!(r.break_even_workers, Some(8));
    // No zero-work point for rayon: no fixed cost, no prediction.
    assert_eq!(r.fixed_cost_ms, None);
    add_predictions(&mut pts, &m);
    for p in pts.iter().filter(|p| p.strategy == "rayon") {
        if p.unit_ms == 10.0 {
            let want = amdahl_speedup(0.1, p.workers as f64);
            assert!((p.amdahl_speedup.unwrap() - want).abs() < 1e-6);
            assert!((p.usl_speedup.unwrap() - want).abs() < 1e-3);
        } else {
            assert_eq!((p.amdahl_speedup, p.usl_speedup), (None, None));
        }
    }
}

#[test]
fn amdahl_sees_only_the_worker_counts_within_the_cores() {
    // 8 workers on 4 cores: Amdahl (s = 0.1) up to 4, flat past the cores.
    let mut pts = vec![pt(10.0, "sequential", 1, 1.0, 0.08)];
    for w in 1..=8usize {
        let s = amdahl_speedup(0.1, w.min(4) as f64);
        pts.push(pt(10.0, "threads", w, s, 0.0));
    }
    let r = &models(&pts, &[], 8, 4)[0];
    assert!(
        (r.amdahl_serial_fraction.unwrap() - 0.1).abs() < 1e-6,
        "the flat part past the cores is not read as serial code: {r:?}"
    );
    // On 2 cores only one count above 1 is left: refused, with the reason.
    let r = &models(&pts, &[], 8, 2)[0];
    assert_eq!(r.amdahl_serial_fraction, None);
    assert!(r.amdahl_note.contains("within the 2 cores"), "{r:?}");
}

#[test]
fn without_intervals_no_break_even_is_claimed_and_the_speedup_is_not_significant_yet() {
    // Too few repetitions: no point has an interval, and F has none either.
    let mut points = synthetic();
    for p in &mut points {
        (p.speedup_ci_low, p.speedup_ci_high) = (None, None);
    }
    let t = &models(&points, &rows_of(&points, 5), 8, 2)[0];
    assert_eq!((t.break_even_ms, t.break_even_below_ms), (None, Some(3.0)));
    // The speedup itself passes 1 between 0.03 and 0.1 ms.
    assert_eq!(
        (t.above_one_below_ms, t.above_one_ms),
        (Some(0.03), Some(0.1))
    );
    assert!((t.fixed_cost_ms.unwrap() - 0.2).abs() < 1e-9, "{t:?}");
    assert_eq!(
        (t.fixed_cost_ci_low_ms, t.fixed_cost_ci_high_ms),
        (None, None)
    );
    let note = &t.break_even_note;
    assert!(note.contains("not at the largest size (3 ms)"), "{note}");
    assert!(
        note.contains("not significant yet: speedup above 1 from 0.1 ms on"),
        "{note}"
    );
    // The prediction (0.05 ms) is not called optimistic: only significance is missing.
    assert!(
        note.contains("predicted crossing") && !note.contains("optimistic"),
        "{note}"
    );
}

#[test]
fn the_break_even_worker_count_is_the_largest_within_the_cores() {
    assert_eq!(break_even_workers(&[1, 2, 3, 4], 2), Some(2));
    assert_eq!(break_even_workers(&[1, 2, 4, 8], 6), Some(4));
    assert_eq!(break_even_workers(&[1, 3, 4], 2), Some(3));
    assert_eq!(break_even_workers(&[1, 2, 3], 1), Some(2));
    assert_eq!(break_even_workers(&[1], 4), None);
}
