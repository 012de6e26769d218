//! From runs.csv rows to summary.csv rows: per (variant, strategy, workers) statistics, the
//! speedup over the strategy's baseline (the sequential run of the same runtime, same variant
//! and list: `sequential` for Rust and the gil model, `py-sequential` for CPython) and its 95 %
//! bootstrap confidence interval.

use crate::records::{RunRow, SummaryRow};
use crate::stats::{
    BootstrapSettings, Summary, bootstrap_clustered_speedup_ci, bootstrap_speedup_ci, speedup,
    stream_seed,
};
use crate::strategy::{baseline_of, ceiling};
use crate::workload::Variant;

/// Summarise measured repetitions with the default (recorded) bootstrap settings.
pub fn summarize(rows: &[RunRow]) -> Vec<SummaryRow> {
    summarize_with(rows, &BootstrapSettings::default())
}

/// The stream key of one row's bootstrap: `variant/strategy/workers/items`.
pub fn bootstrap_key(variant: Variant, strategy: &str, workers: usize, items: usize) -> String {
    format!("{variant}/{strategy}/{workers}/{items}")
}

/// Summarise measured repetitions, keeping the order in which configurations first appear.
/// A baseline's own row has speedup 1 by definition and no interval.
pub fn summarize_with(rows: &[RunRow], bootstrap: &BootstrapSettings) -> Vec<SummaryRow> {
    let mut keys: Vec<(Variant, String, usize, usize)> = Vec::new();
    for r in rows {
        let key = (r.variant, r.strategy.clone(), r.workers, r.items);
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    let walls_of = |variant: Variant, strategy: &str, workers: Option<usize>, items: usize| {
        rows.iter()
            .filter(|r| {
                r.variant == variant
                    && r.strategy == strategy
                    && workers.is_none_or(|w| r.workers == w)
                    && r.items == items
            })
            .map(|r| r.wall_s)
            .collect::<Vec<f64>>()
    };
    keys.iter()
        .filter_map(|(variant, strategy, workers, items)| {
            let group: Vec<&RunRow> = rows
                .iter()
                .filter(|r| {
                    r.variant == *variant
                        && &r.strategy == strategy
                        && r.workers == *workers
                        && r.items == *items
                })
                .collect();
            let walls: Vec<f64> = group.iter().map(|r| r.wall_s).collect();
            let cpus: Vec<f64> = group.iter().map(|r| r.cpu_total_s).collect();
            let busy: Vec<f64> = group.iter().map(|r| r.cores_busy).collect();
            let wall = Summary::of(&walls)?;
            let baseline = baseline_of(strategy);
            let base_walls = walls_of(*variant, &baseline, None, *items);
            let base = Summary::of(&base_walls);
            let speedup = base.and_then(|b| speedup(b.median, wall.median));
            let ci = if *strategy == baseline {
                None
            } else {
                let base_rows: Vec<&RunRow> = rows
                    .iter()
                    .filter(|r| {
                        r.variant == *variant && r.strategy == baseline && r.items == *items
                    })
                    .collect();
                let key = bootstrap_key(*variant, strategy, *workers, *items);
                base.and_then(|_| speedup_interval(&base_rows, &group, bootstrap, &key))
            };
            Some(SummaryRow {
                variant: *variant,
                strategy: strategy.clone(),
                workers: *workers,
                items: *items,
                unit_ms: group[0].unit_ms,
                reps: wall.n,
                wall_median_s: wall.median,
                wall_min_s: wall.min,
                wall_max_s: wall.max,
                wall_p25_s: wall.p25,
                wall_p75_s: wall.p75,
                wall_mean_s: wall.mean,
                wall_stddev_s: wall.stddev,
                wall_outliers: wall.outliers,
                cpu_total_median_s: Summary::of(&cpus)?.median,
                cores_busy_median: Summary::of(&busy)?.median,
                speedup,
                efficiency: speedup.map(|x| x / *workers as f64),
                speedup_ci_low: ci.map(|c| c.0),
                speedup_ci_high: ci.map(|c| c.1),
                all_correct: group.iter().all(|r| r.correct),
                ceiling_speedup: None,
                efficiency_vs_ceiling: None,
            })
        })
        .collect::<Vec<SummaryRow>>()
        .with_ceilings()
}

/// The bootstrap interval of `median(baseline) / median(candidate)` for two arms' rows:
/// resampling whole interpreters when every trial of both arms names the interpreter that ran
/// it and they share some (the py-* arms of a round share one), each arm on its own otherwise.
pub fn speedup_interval(
    baseline: &[&RunRow],
    candidate: &[&RunRow],
    settings: &BootstrapSettings,
    key: &str,
) -> Option<(f64, f64)> {
    let seed = stream_seed(settings.seed, key);
    let clustered = |rows: &[&RunRow]| -> Option<Vec<(u64, f64)>> {
        rows.iter()
            .map(|r| r.interpreter.map(|i| (i, r.wall_s)))
            .collect()
    };
    if let (Some(b), Some(c)) = (clustered(baseline), clustered(candidate))
        && b.iter().any(|x| c.iter().any(|y| y.0 == x.0))
    {
        return bootstrap_clustered_speedup_ci(&b, &c, settings, seed);
    }
    let walls = |rows: &[&RunRow]| rows.iter().map(|r| r.wall_s).collect::<Vec<f64>>();
    bootstrap_speedup_ci(&walls(baseline), &walls(candidate), settings, seed)
}

/// Adds the ceiling columns: for every row on the Rust kernel (baseline `sequential`), the
/// `ceiling` reference's speedup at the same variant, list, unit and worker count.
trait WithCeilings {
    fn with_ceilings(self) -> Self;
}

impl WithCeilings for Vec<SummaryRow> {
    fn with_ceilings(mut self) -> Self {
        let ceilings: Vec<(Variant, usize, f64, usize, Option<f64>)> = self
            .iter()
            .filter(|r| r.strategy == ceiling::INFO.name)
            .map(|r| (r.variant, r.items, r.unit_ms, r.workers, r.speedup))
            .collect();
        for r in &mut self {
            if baseline_of(&r.strategy) != crate::strategy::BASELINE {
                continue;
            }
            let c = ceilings
                .iter()
                .find(|c| (c.0, c.1, c.3) == (r.variant, r.items, r.workers) && c.2 == r.unit_ms)
                .and_then(|c| c.4);
            r.ceiling_speedup = c;
            r.efficiency_vs_ceiling = match (r.speedup, c) {
                (Some(s), Some(c)) if c > 0.0 && s.is_finite() => Some(s / c),
                _ => None,
            };
        }
        self
    }
}

/// Rows sorted for display: by the listed variants, then the listed strategies, then workers.
/// Anything not listed goes last, in its current order.
pub fn sort_like(
    mut rows: Vec<SummaryRow>,
    variants: &[Variant],
    strategies: &[String],
) -> Vec<SummaryRow> {
    let rank = |r: &SummaryRow| {
        (
            variants
                .iter()
                .position(|v| *v == r.variant)
                .unwrap_or(usize::MAX),
            strategies
                .iter()
                .position(|s| *s == r.strategy)
                .unwrap_or(usize::MAX),
            r.workers,
        )
    };
    rows.sort_by_key(rank);
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fixed_header_matches_the_fields() {
        let summary = summarize(&[row(Variant::Cpu, "threads", 2, 0.1)]);
        assert_eq!(
            crate::records::rows_tests::serde_header(&summary[0]),
            <SummaryRow as crate::records::CsvRecord>::HEADER
        );
    }

    fn row(variant: Variant, strategy: &str, workers: usize, wall_s: f64) -> RunRow {
        RunRow {
            variant,
            strategy: strategy.into(),
            workers,
            items: 4,
            jobs: 8,
            unit_ms: 25.0,
            rep: 1,
            wall_s,
            cpu_user_s: wall_s,
            cpu_sys_s: 0.0,
            cpu_total_s: wall_s,
            cores_busy: 1.0,
            peak_rss_kib: 1,
            child_peak_rss_kib: None,
            correct: true,
            started_s: 0.0,
            ended_s: wall_s,
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
    fn each_runtime_is_compared_with_its_own_sequential_run() {
        let mut rows = Vec::new();
        for i in 0..6 {
            let jitter = 1.0 + 0.01 * i as f64;
            rows.push(row(Variant::Cpu, "sequential", 1, 0.2 * jitter));
            rows.push(row(Variant::Cpu, "threads", 2, 0.1 * jitter));
            rows.push(row(Variant::Cpu, "py-sequential", 1, 0.8 * jitter));
            rows.push(row(Variant::Cpu, "py-threads", 2, 0.8 * jitter));
        }
        let s = summarize(&rows);
        let get = |name: &str| s.iter().find(|r| r.strategy == name).unwrap();
        assert!((get("threads").speedup.unwrap() - 2.0).abs() < 1e-9);
        assert!((get("py-threads").speedup.unwrap() - 1.0).abs() < 1e-9);
        assert_eq!(get("sequential").speedup, Some(1.0));
        assert_eq!(get("sequential").speedup_ci_low, None);
        let t = get("threads");
        let (lo, hi) = (t.speedup_ci_low.unwrap(), t.speedup_ci_high.unwrap());
        assert!(lo <= 2.0 && 2.0 <= hi && hi - lo < 0.2, "[{lo}, {hi}]");
        // Reproducible: the same rows give the same intervals.
        assert_eq!(summarize(&rows), s);
    }

    #[test]
    fn no_baseline_no_speedup() {
        let rows = vec![row(Variant::Sleep, "py-threads", 2, 0.1)];
        let s = summarize(&rows);
        assert_eq!(s[0].speedup, None);
        assert_eq!(s[0].speedup_ci_low, None);
    }
}
