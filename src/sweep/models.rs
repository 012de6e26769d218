//! models.csv: for every strategy and variant, the scaling models over worker counts (Amdahl,
//! USL) at the sweep's largest job size, and where parallelism starts to pay over job sizes at
//! one worker count: measured (bracketed by sweep points) and predicted from the fixed cost
//! measured in the same sweep. Pure functions of sweep.csv's points.
//!
//! - **Which size the fits use**: the largest job size of the variant, where fixed costs weigh
//!   least, so the fit describes how the strategy scales rather than what it costs to start.
//! - **Which worker count the break-even uses**: the largest measured count that the cores can
//!   run at once (≤ available parallelism, at least 2): the configuration one would pick.
//! - **Fixed cost F**: the strategy's median wall time on the same jobs with zero work, minus
//!   the baseline's at zero work (what the strategy adds over running the jobs in turn).

use super::breakeven::{Crossing, agreement, predicted_break_even_ms, sustained_from};
use super::records::{ModelRow, SweepRow};
use crate::stats::scaling::{ScalingPoint, amdahl_speedup, fit_amdahl, fit_usl};
use crate::strategy::baseline_of;
use crate::workload::Variant;

/// Efficiency that counts as "worth it" for the second crossing.
pub const EFFICIENCY_TARGET: f64 = 0.9;

/// The worker count break-even sizes are measured at, among `measured`: the largest count
/// within the cores (at least 2), else the smallest above 1; `None` without one above 1.
pub fn break_even_workers(measured: &[usize], cores: usize) -> Option<usize> {
    let parallel = measured.iter().copied().filter(|&w| w > 1);
    parallel
        .clone()
        .filter(|&w| w <= cores.max(2))
        .max()
        .or_else(|| parallel.min())
}

/// One row per (variant, strategy) that has points at a job size above 0, baselines excluded.
pub fn models(points: &[SweepRow], jobs: usize, cores: usize) -> Vec<ModelRow> {
    let mut out = Vec::new();
    for variant in Variant::ALL {
        let sized: Vec<&SweepRow> = points
            .iter()
            .filter(|p| p.variant == variant && p.unit_ms > 0.0)
            .collect();
        let Some(fit_unit) = sized.iter().map(|p| p.unit_ms).reduce(f64::max) else {
            continue;
        };
        let mut strategies: Vec<&str> = Vec::new();
        for p in &sized {
            if baseline_of(&p.strategy) != p.strategy && !strategies.contains(&p.strategy.as_str())
            {
                strategies.push(&p.strategy);
            }
        }
        for s in strategies {
            out.push(model(points, variant, s, fit_unit, jobs, cores));
        }
    }
    out
}

fn model(
    points: &[SweepRow],
    variant: Variant,
    strategy: &str,
    fit_unit: f64,
    jobs: usize,
    cores: usize,
) -> ModelRow {
    let mine: Vec<&SweepRow> = points
        .iter()
        .filter(|p| p.variant == variant && p.strategy == strategy && p.unit_ms > 0.0)
        .collect();
    let fit_points: Vec<ScalingPoint> = mine
        .iter()
        .filter(|p| p.unit_ms == fit_unit)
        .filter_map(|p| {
            p.speedup.map(|speedup| ScalingPoint {
                workers: p.workers,
                speedup,
            })
        })
        .collect();
    // Amdahl's law counts processors: past the core count more workers add none, and a fit
    // through the flat part reads the machine's limit as serial code. So Amdahl sees only
    // worker counts up to the cores (and is refused when that leaves too few); USL, which
    // models contention, sees them all.
    let within_cores: Vec<ScalingPoint> = fit_points
        .iter()
        .copied()
        .filter(|p| p.workers <= cores.max(1))
        .collect();
    let amdahl = fit_amdahl(&within_cores).map_err(|e| format!("{e} within the {cores} cores"));
    let usl = fit_usl(&fit_points);
    let mut workers: Vec<usize> = mine.iter().map(|p| p.workers).collect();
    workers.sort_unstable();
    workers.dedup();
    let n = break_even_workers(&workers, cores);
    let series = |pass: &dyn Fn(&SweepRow) -> bool| -> Vec<(f64, bool)> {
        mine.iter()
            .filter(|p| Some(p.workers) == n)
            .map(|p| (p.unit_ms, pass(p)))
            .collect()
    };
    let pays = sustained_from(&series(&|p| p.speedup_ci_low.is_some_and(|lo| lo > 1.0)));
    let efficient = sustained_from(&series(&|p| {
        p.efficiency.is_some_and(|e| e >= EFFICIENCY_TARGET)
    }));
    // The fixed cost a run pays when all its workers take part: at zero work some strategies
    // never engage their second worker (rayon's wakes only when there is work to steal), so
    // the zero-work cost is a floor; the overhead over the ideal at the size where the strategy
    // first reaches 90 % efficiency is what a working run pays. The zero-work cost stands in
    // where no size reaches 90 %.
    let zero_work = n.and_then(|n| fixed_cost_ms(points, strategy, n));
    let engaged = n
        .zip(efficient.at())
        .and_then(|(n, s90)| engaged_fixed_cost_ms(&mine, n, s90, jobs));
    let fixed = engaged.or(zero_work);
    let predicted = fixed
        .zip(n)
        .and_then(|(f, n)| predicted_break_even_ms(f, n, jobs));
    let mut usl_note = usl.as_ref().err().cloned().unwrap_or_default();
    if usl.is_ok() && fit_points.iter().any(|p| p.workers > cores) {
        usl_note = format!("includes worker counts above the {cores} cores");
    }
    ModelRow {
        variant,
        strategy: strategy.to_string(),
        fit_unit_ms: fit_unit,
        fit_points: {
            let mut w: Vec<usize> = fit_points.iter().map(|p| p.workers).collect();
            w.sort_unstable();
            w.dedup();
            w.len()
        },
        amdahl_serial_fraction: amdahl.as_ref().ok().map(|f| f.serial_fraction),
        amdahl_r2: amdahl.as_ref().ok().and_then(|f| f.quality.r2),
        amdahl_max_residual: amdahl.as_ref().ok().map(|f| f.quality.max_residual),
        amdahl_note: amdahl.as_ref().err().cloned().unwrap_or_default(),
        usl_sigma: usl.as_ref().ok().map(|f| f.sigma),
        usl_kappa: usl.as_ref().ok().map(|f| f.kappa),
        usl_lambda: usl.as_ref().ok().map(|f| f.lambda),
        usl_r2: usl.as_ref().ok().and_then(|f| f.quality.r2),
        usl_max_residual: usl.as_ref().ok().map(|f| f.quality.max_residual),
        usl_peak_workers: usl.as_ref().ok().and_then(|f| f.peak_workers()),
        usl_note,
        break_even_workers: n,
        fixed_cost_ms: fixed,
        fixed_cost_zero_work_ms: zero_work,
        predicted_break_even_ms: predicted,
        break_even_ms: pays.at(),
        break_even_below_ms: pays.below(),
        break_even_note: crossing_note(pays, "its speedup CI lies above 1", predicted),
        efficiency90_ms: efficient.at(),
        efficiency90_below_ms: efficient.below(),
        efficiency90_note: crossing_note(efficient, "efficiency is at least 90%", None),
    }
}

/// F with every worker engaged: at `workers` and job size `unit_ms` (where the strategy runs at
/// 90 % efficiency or better), its median wall time minus the ideal J·u/N, in ms.
pub fn engaged_fixed_cost_ms(
    mine: &[&SweepRow],
    workers: usize,
    unit_ms: f64,
    jobs: usize,
) -> Option<f64> {
    let p = mine
        .iter()
        .find(|p| p.workers == workers && p.unit_ms == unit_ms)?;
    let ideal_ms = jobs as f64 * unit_ms / workers as f64;
    Some((p.wall_median_s * 1e3 - ideal_ms).max(0.0))
}

/// F at `workers` with zero work: the strategy's zero-work median minus its baseline's, in ms.
pub fn fixed_cost_ms(points: &[SweepRow], strategy: &str, workers: usize) -> Option<f64> {
    let zero = |s: &str, w: Option<usize>| {
        points
            .iter()
            .find(|p| p.unit_ms == 0.0 && p.strategy == s && w.is_none_or(|w| p.workers == w))
            .map(|p| p.wall_median_s)
    };
    let own = zero(strategy, Some(workers))?;
    let base = zero(&baseline_of(strategy), None)?;
    Some((own - base) * 1e3)
}

/// What a crossing means, in words, for models.csv.
fn crossing_note(c: Crossing, condition: &str, predicted: Option<f64>) -> String {
    let mut s = match c {
        Crossing::AtOrBelow(at) => {
            format!("{condition} at every size, the smallest ({at} ms) included")
        }
        Crossing::Between { below, at } => {
            format!("{condition} from {at} ms per job on; not at {below} ms")
        }
        Crossing::Beyond(last) => format!("not at the largest size ({last} ms)"),
        Crossing::NoData => "no sizes at this worker count".into(),
    };
    if let Some(p) = predicted {
        s.push_str(&format!("; predicted {p:.4} ms: {}", agreement(p, c)));
    }
    s
}

/// Fill each point's predicted speedups from its strategy's fits (at the fit size only).
pub fn add_predictions(points: &mut [SweepRow], models: &[ModelRow]) {
    for p in points.iter_mut() {
        let Some(m) = models
            .iter()
            .find(|m| m.variant == p.variant && m.strategy == p.strategy)
        else {
            continue;
        };
        if p.unit_ms != m.fit_unit_ms {
            continue;
        }
        let n = p.workers as f64;
        p.amdahl_speedup = m.amdahl_serial_fraction.map(|s| amdahl_speedup(s, n));
        p.usl_speedup = match (m.usl_lambda, m.usl_sigma, m.usl_kappa) {
            (Some(l), Some(s), Some(k)) => Some(l * n / (1.0 + s * (n - 1.0) + k * n * (n - 1.0))),
            _ => None,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sweep::records::SweepRow;

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

    #[test]
    fn break_even_is_bracketed_and_predicted_from_the_fixed_cost() {
        let m = models(&synthetic(), 8, 2);
        assert_eq!(m.len(), 1);
        let t = &m[0];
        assert_eq!(t.break_even_workers, Some(2));
        // With every worker engaged (at the 90 % efficiency size) and with zero work, F = 0.2.
        assert!((t.fixed_cost_ms.unwrap() - 0.2).abs() < 1e-9, "{t:?}");
        assert!(
            (t.fixed_cost_zero_work_ms.unwrap() - 0.2).abs() < 1e-9,
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
            t.break_even_note.contains("within the measured bracket"),
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
        let m = models(&pts, 8, 8);
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
        let r = &models(&pts, 8, 4)[0];
        assert!(
            (r.amdahl_serial_fraction.unwrap() - 0.1).abs() < 1e-6,
            "the flat part past the cores is not read as serial code: {r:?}"
        );
        // On 2 cores only one count above 1 is left: refused, with the reason.
        let r = &models(&pts, 8, 2)[0];
        assert_eq!(r.amdahl_serial_fraction, None);
        assert!(r.amdahl_note.contains("within the 2 cores"), "{r:?}");
    }

    #[test]
    fn the_break_even_worker_count_is_the_largest_within_the_cores() {
        assert_eq!(break_even_workers(&[1, 2, 3, 4], 2), Some(2));
        assert_eq!(break_even_workers(&[1, 2, 4, 8], 6), Some(4));
        assert_eq!(break_even_workers(&[1, 3, 4], 2), Some(3));
        assert_eq!(break_even_workers(&[1, 2, 3], 1), Some(2));
        assert_eq!(break_even_workers(&[1], 4), None);
    }
}
