//! From runs.csv rows to sweep.csv points: one per (variant, job size, strategy, workers), with
//! the speedup over the baseline measured at the same variant and size (the blocks of the
//! schedule keep the two seconds apart), its bootstrap interval, efficiency and Karp–Flatt's
//! serial fraction. Pure: the same rows always give the same points.

use crate::records::RunRow;
use crate::records::sweep::SweepRow;
use crate::stats::BootstrapSettings;
use crate::stats::scaling::karp_flatt;
use crate::strategy;
use crate::summary::{Configuration, ConfigurationStats, configurations};

/// Every point of `rows`, sorted by variant, size, strategy (registry order) and workers: the
/// summary's configurations projected onto sweep.csv's columns. The bootstrap stream of each
/// point is keyed by its variant, strategy, workers, list size and job size, so a point's
/// interval depends on its own rows only.
pub fn sweep_points(rows: &[RunRow], bootstrap: &BootstrapSettings) -> Vec<SweepRow> {
    let mut stats = configurations(rows, bootstrap, Configuration::sweep_stream);
    stats.sort_by(|a, b| {
        let (a, b) = (&a.config, &b.config);
        a.variant
            .cmp(&b.variant)
            .then(a.unit_ms.total_cmp(&b.unit_ms))
            .then(rank(&a.strategy).cmp(&rank(&b.strategy)))
            .then(a.workers.cmp(&b.workers))
    });
    stats.iter().map(point).collect()
}

/// Place in the registry (unknown names last, by name).
fn rank(strategy: &str) -> (usize, String) {
    let i = strategy::REGISTRY
        .iter()
        .position(|s| s.name == strategy)
        .unwrap_or(usize::MAX);
    (i, strategy.to_string())
}

/// A size sweep's point: the configuration's medians, its speedup and what follows from it.
pub(crate) fn point(s: &ConfigurationStats) -> SweepRow {
    let c = &s.config;
    SweepRow {
        variant: c.variant,
        strategy: c.strategy.clone(),
        workers: c.workers,
        unit_ms: c.unit_ms,
        chunk: s.trials[0].chunk,
        reps: s.wall.n,
        wall_median_s: s.wall.median,
        wall_p25_s: s.wall.p25,
        wall_p75_s: s.wall.p75,
        cores_busy_median: s.cores_busy_median,
        speedup: s.speedup,
        speedup_ci_low: s.speedup_ci.map(|c| c.0),
        speedup_ci_high: s.speedup_ci.map(|c| c.1),
        efficiency: s.speedup.map(|x| x / c.workers as f64),
        karp_flatt: s
            .speedup
            .filter(|_| !s.is_baseline)
            .and_then(|x| karp_flatt(x, c.workers)),
        amdahl_speedup: None,
        usl_speedup: None,
        all_correct: s.all_correct,
        waiters: None,
        wall_over_ideal: None,
        cpu_per_waiter_ms: None,
        mem_per_waiter_bytes: None,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::workload::Variant;

    /// A runs.csv row of one trial.
    pub fn run(
        variant: Variant,
        unit_ms: f64,
        strategy: &str,
        workers: usize,
        wall: f64,
    ) -> RunRow {
        crate::records::rows_tests::run_row(variant, strategy, workers, unit_ms, wall)
    }

    #[test]
    fn each_size_is_compared_with_its_own_baseline() {
        let mut rows = Vec::new();
        for i in 0..crate::stats::MIN_INTERVAL_N {
            let j = 1.0 + 0.001 * i as f64;
            // 1 ms per job: sequential 8 ms, threads on 2 workers 4 ms (2x).
            rows.push(run(Variant::Cpu, 1.0, "sequential", 1, 0.008 * j));
            rows.push(run(Variant::Cpu, 1.0, "threads", 2, 0.004 * j));
            // 0.01 ms per job: sequential 80 µs, threads 160 µs (0.5x).
            rows.push(run(Variant::Cpu, 0.01, "sequential", 1, 80e-6 * j));
            rows.push(run(Variant::Cpu, 0.01, "threads", 2, 160e-6 * j));
        }
        let points = sweep_points(&rows, &BootstrapSettings::default());
        assert_eq!(points.len(), 4);
        // Sorted by size first.
        assert_eq!(points[0].unit_ms, 0.01);
        assert_eq!(points[0].strategy, "sequential");
        let get = |u: f64, s: &str| {
            points
                .iter()
                .find(|p| p.unit_ms == u && p.strategy == s)
                .unwrap()
        };
        let big = get(1.0, "threads");
        assert!((big.speedup.unwrap() - 2.0).abs() < 1e-9, "{big:?}");
        assert!((big.efficiency.unwrap() - 1.0).abs() < 1e-9);
        assert!(big.karp_flatt.unwrap().abs() < 1e-9);
        assert!(big.speedup_ci_low.unwrap() > 1.9 && big.speedup_ci_high.unwrap() < 2.1);
        let small = get(0.01, "threads");
        assert!((small.speedup.unwrap() - 0.5).abs() < 1e-9);
        // A slowdown on 2 workers: Karp–Flatt above 1.
        assert!((small.karp_flatt.unwrap() - 3.0).abs() < 1e-9);
        let base = get(1.0, "sequential");
        assert_eq!(base.speedup, Some(1.0));
        assert_eq!((base.speedup_ci_low, base.karp_flatt), (None, None));
        // Reproducible.
        assert_eq!(sweep_points(&rows, &BootstrapSettings::default()), points);
    }
}
