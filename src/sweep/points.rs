//! From runs.csv rows to sweep.csv points: one per (variant, job size, strategy, workers), with
//! the speedup over the baseline measured at the same variant and size (the blocks of the
//! schedule keep the two seconds apart), its bootstrap interval, efficiency and Karp–Flatt's
//! serial fraction. Pure: the same rows always give the same points.

use rayon::prelude::*;

use super::records::SweepRow;
use crate::records::RunRow;
use crate::stats::scaling::karp_flatt;
use crate::stats::{BootstrapSettings, Summary, speedup};
use crate::strategy::{self, baseline_of};
use crate::summary::{bootstrap_key, speedup_interval};
use crate::workload::Variant;

/// The identity of a point. Sizes are compared exactly: every trial of one arm records the
/// same `unit_ms`.
#[derive(Debug, Clone, PartialEq)]
struct Key {
    variant: Variant,
    unit_ms: f64,
    strategy: String,
    workers: usize,
}

/// Every point of `rows`, sorted by variant, size, strategy (registry order) and workers. The
/// bootstrap stream of each point is keyed by its variant, strategy, workers, list size and job
/// size, so a point's interval depends on its own rows only. Intervals are computed in
/// parallel: the sweep is over, and there are hundreds of them.
pub fn sweep_points(rows: &[RunRow], bootstrap: &BootstrapSettings) -> Vec<SweepRow> {
    let mut keys: Vec<Key> = Vec::new();
    for r in rows {
        let k = Key {
            variant: r.variant,
            unit_ms: r.unit_ms,
            strategy: r.strategy.clone(),
            workers: r.workers,
        };
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    keys.sort_by(|a, b| {
        a.variant
            .cmp(&b.variant)
            .then(a.unit_ms.total_cmp(&b.unit_ms))
            .then(rank(&a.strategy).cmp(&rank(&b.strategy)))
            .then(a.workers.cmp(&b.workers))
    });
    keys.par_iter()
        .filter_map(|k| point(rows, k, bootstrap))
        .collect()
}

/// Place in the registry (unknown names last, by name).
fn rank(strategy: &str) -> (usize, String) {
    let i = strategy::REGISTRY
        .iter()
        .position(|s| s.name == strategy)
        .unwrap_or(usize::MAX);
    (i, strategy.to_string())
}

fn point(rows: &[RunRow], k: &Key, bootstrap: &BootstrapSettings) -> Option<SweepRow> {
    let same_size = |r: &&RunRow| r.variant == k.variant && r.unit_ms == k.unit_ms;
    let group: Vec<&RunRow> = rows
        .iter()
        .filter(same_size)
        .filter(|r| r.strategy == k.strategy && r.workers == k.workers)
        .collect();
    let walls: Vec<f64> = group.iter().map(|r| r.wall_s).collect();
    let wall = Summary::of(&walls)?;
    let busy: Vec<f64> = group.iter().map(|r| r.cores_busy).collect();
    let baseline = baseline_of(&k.strategy);
    let base_rows: Vec<&RunRow> = rows
        .iter()
        .filter(same_size)
        .filter(|r| r.strategy == baseline)
        .collect();
    let base_walls: Vec<f64> = base_rows.iter().map(|r| r.wall_s).collect();
    let point = Summary::of(&base_walls).and_then(|b| speedup(b.median, wall.median));
    let ci = if k.strategy == baseline || point.is_none() {
        None
    } else {
        let items = group[0].items;
        let key = format!(
            "{}/{}",
            bootstrap_key(k.variant, &k.strategy, k.workers, items),
            k.unit_ms
        );
        speedup_interval(&base_rows, &group, bootstrap, &key)
    };
    let is_baseline = k.strategy == baseline;
    Some(SweepRow {
        variant: k.variant,
        strategy: k.strategy.clone(),
        workers: k.workers,
        unit_ms: k.unit_ms,
        chunk: group[0].chunk,
        reps: wall.n,
        wall_median_s: wall.median,
        wall_p25_s: wall.p25,
        wall_p75_s: wall.p75,
        cores_busy_median: Summary::of(&busy).map_or(0.0, |s| s.median),
        speedup: point,
        speedup_ci_low: ci.map(|c| c.0),
        speedup_ci_high: ci.map(|c| c.1),
        efficiency: point.map(|s| s / k.workers as f64),
        karp_flatt: point
            .filter(|_| !is_baseline)
            .and_then(|s| karp_flatt(s, k.workers)),
        amdahl_speedup: None,
        usl_speedup: None,
        all_correct: group.iter().all(|r| r.correct),
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A runs.csv row of one trial.
    pub fn run(
        variant: Variant,
        unit_ms: f64,
        strategy: &str,
        workers: usize,
        wall: f64,
    ) -> RunRow {
        RunRow {
            variant,
            strategy: strategy.into(),
            workers,
            items: 4,
            jobs: 8,
            unit_ms,
            rep: 1,
            wall_s: wall,
            cpu_user_s: wall,
            cpu_sys_s: 0.0,
            cpu_total_s: wall,
            cores_busy: 1.0,
            peak_rss_kib: 1,
            child_peak_rss_kib: None,
            correct: true,
            started_s: 0.0,
            ended_s: wall,
            round: 0,
            position: 0,
            after: String::new(),
            others_cpu_pct: None,
            sampler_cpu_s: 0.0,
            chunk: None,
            setup_s: None,
            interpreter: None,
        }
    }

    #[test]
    fn each_size_is_compared_with_its_own_baseline() {
        let mut rows = Vec::new();
        for i in 0..5 {
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
