//! From runs.csv rows to summary.csv rows: per (variant, strategy, workers) statistics and the
//! speedup over the sequential baseline of the same variant and list.

use crate::records::{RunRow, SummaryRow};
use crate::stats::{Summary, speedup};
use crate::strategy::BASELINE;

/// Summarise measured repetitions, keeping the order in which configurations first appear.
pub fn summarize(rows: &[RunRow]) -> Vec<SummaryRow> {
    let mut keys: Vec<(crate::workload::Variant, String, usize, usize)> = Vec::new();
    for r in rows {
        let key = (r.variant, r.strategy.clone(), r.workers, r.items);
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    let mut out: Vec<SummaryRow> = keys
        .iter()
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
                speedup: None,
                efficiency: None,
                speedup_ci_low: None,
                speedup_ci_high: None,
                all_correct: group.iter().all(|r| r.correct),
            })
        })
        .collect();
    let baselines: Vec<(crate::workload::Variant, usize, f64)> = out
        .iter()
        .filter(|s| s.strategy == BASELINE)
        .map(|s| (s.variant, s.items, s.wall_median_s))
        .collect();
    for s in &mut out {
        if let Some(&(_, _, base)) = baselines
            .iter()
            .find(|(v, items, _)| *v == s.variant && *items == s.items)
        {
            s.speedup = speedup(base, s.wall_median_s);
            s.efficiency = s.speedup.map(|x| x / s.workers as f64);
        }
    }
    out
}
