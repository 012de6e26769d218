//! From runs.csv rows to statistics per configuration: the full configuration of a trial
//! (variant, strategy, workers, list size and unit of work) over its repetitions, the speedup
//! over the strategy's baseline measured on the same work (the sequential run of the same
//! runtime: `sequential` for Rust and the gil model, `py-sequential` for CPython) and its 95 %
//! bootstrap confidence interval, given only from [`MIN_INTERVAL_N`] trials of both arms on.
//! summary.csv's rows and a sweep's points are projections of these statistics.

use rayon::prelude::*;

use crate::records::{RunRow, SummaryRow};
use crate::stats::{
    BootstrapSettings, MIN_INTERVAL_N, Summary, bootstrap_clustered_speedup_ci,
    bootstrap_speedup_ci, speedup, stream_seed,
};
use crate::strategy::{baseline_of, ceiling};
use crate::workload::Variant;

/// What makes trials repetitions of one another. Units are compared exactly: every trial of
/// one arm records the same `unit_ms`.
#[derive(Debug, Clone, PartialEq)]
pub struct Configuration {
    pub variant: Variant,
    pub strategy: String,
    pub workers: usize,
    pub items: usize,
    pub unit_ms: f64,
}

impl Configuration {
    pub fn of(r: &RunRow) -> Configuration {
        Configuration {
            variant: r.variant,
            strategy: r.strategy.clone(),
            workers: r.workers,
            items: r.items,
            unit_ms: r.unit_ms,
        }
    }

    fn has(&self, r: &RunRow) -> bool {
        self.same_work(r) && r.strategy == self.strategy && r.workers == self.workers
    }

    /// Whether `r` did the same work: variant, list and unit (any strategy, any workers).
    fn same_work(&self, r: &RunRow) -> bool {
        r.variant == self.variant && r.items == self.items && r.unit_ms == self.unit_ms
    }

    /// The name of this configuration's bootstrap stream in a run: `variant/strategy/workers/
    /// items` (one unit per variant, so the unit need not be named).
    pub fn run_stream(&self) -> String {
        format!(
            "{}/{}/{}/{}",
            self.variant, self.strategy, self.workers, self.items
        )
    }

    /// The name of its stream in a sweep, where each variant has many units: the run's name
    /// and the unit.
    pub fn sweep_stream(&self) -> String {
        format!("{}/{}", self.run_stream(), self.unit_ms)
    }
}

/// One configuration over its repetitions.
#[derive(Debug, Clone)]
pub struct ConfigurationStats<'a> {
    pub config: Configuration,
    /// Its trials, in runs.csv's order.
    pub trials: Vec<&'a RunRow>,
    pub wall: Summary,
    pub cpu_total_median_s: f64,
    pub cores_busy_median: f64,
    /// Whether the configuration is its own baseline (speedup 1, no interval).
    pub is_baseline: bool,
    /// Baseline median wall / this median wall, on the same work; none without a baseline.
    pub speedup: Option<f64>,
    /// None for a baseline, and below [`MIN_INTERVAL_N`] trials of either arm.
    pub speedup_ci: Option<(f64, f64)>,
    pub all_correct: bool,
    /// Median peak memory over the repetitions that measured it.
    pub mem_peak_bytes: Option<u64>,
}

/// Every configuration of `rows` in the order it first appears, with its statistics; the
/// bootstrap stream of each is named by `stream`, so an interval depends on its own rows only.
/// Intervals are computed in parallel (a sweep has hundreds).
pub fn configurations<'a>(
    rows: &'a [RunRow],
    bootstrap: &BootstrapSettings,
    stream: fn(&Configuration) -> String,
) -> Vec<ConfigurationStats<'a>> {
    let mut configs: Vec<Configuration> = Vec::new();
    for r in rows {
        let c = Configuration::of(r);
        if !configs.contains(&c) {
            configs.push(c);
        }
    }
    configs
        .into_par_iter()
        .filter_map(|c| stats_of(rows, c, bootstrap, stream))
        .collect()
}

fn stats_of<'a>(
    rows: &'a [RunRow],
    config: Configuration,
    bootstrap: &BootstrapSettings,
    stream: fn(&Configuration) -> String,
) -> Option<ConfigurationStats<'a>> {
    let median_of = |trials: &[&RunRow], f: fn(&RunRow) -> f64| {
        Summary::of(&trials.iter().map(|r| f(r)).collect::<Vec<f64>>())
    };
    let trials: Vec<&RunRow> = rows.iter().filter(|r| config.has(r)).collect();
    let wall = median_of(&trials, |r| r.wall_s)?;
    let baseline = baseline_of(&config.strategy);
    let base_trials: Vec<&RunRow> = rows
        .iter()
        .filter(|r| config.same_work(r) && r.strategy == baseline)
        .collect();
    let base_wall = median_of(&base_trials, |r| r.wall_s);
    let speedup = base_wall.and_then(|b| speedup(b.median, wall.median));
    let is_baseline = config.strategy == baseline;
    let too_few = wall.n.min(base_wall.map_or(0, |b| b.n)) < MIN_INTERVAL_N;
    let speedup_ci = if is_baseline || speedup.is_none() || too_few {
        None
    } else {
        speedup_interval(&base_trials, &trials, bootstrap, &stream(&config))
    };
    // The median over the repetitions that measured memory (all of them, in files written since).
    let mem: Vec<&RunRow> = trials
        .iter()
        .copied()
        .filter(|r| r.mem_peak_bytes.is_some())
        .collect();
    let mem_peak_bytes =
        median_of(&mem, |r| r.mem_peak_bytes.unwrap_or(0) as f64).map(|m| m.median.round() as u64);
    Some(ConfigurationStats {
        mem_peak_bytes,
        cpu_total_median_s: median_of(&trials, |r| r.cpu_total_s)?.median,
        cores_busy_median: median_of(&trials, |r| r.cores_busy)?.median,
        all_correct: trials.iter().all(|r| r.correct),
        config,
        trials,
        wall,
        is_baseline,
        speedup,
        speedup_ci,
    })
}

/// Summarise measured repetitions with the default (recorded) bootstrap settings.
pub fn summarize(rows: &[RunRow]) -> Vec<SummaryRow> {
    summarize_with(rows, &BootstrapSettings::default())
}

/// summary.csv's rows, in the order configurations first appear. A baseline's own row has
/// speedup 1 by definition and no interval; nor has a row with fewer than [`MIN_INTERVAL_N`]
/// repetitions of it or of its baseline.
pub fn summarize_with(rows: &[RunRow], bootstrap: &BootstrapSettings) -> Vec<SummaryRow> {
    configurations(rows, bootstrap, Configuration::run_stream)
        .iter()
        .map(summary_row)
        .collect::<Vec<SummaryRow>>()
        .with_ceilings()
}

fn summary_row(s: &ConfigurationStats) -> SummaryRow {
    let (c, wall) = (&s.config, &s.wall);
    SummaryRow {
        variant: c.variant,
        strategy: c.strategy.clone(),
        workers: c.workers,
        items: c.items,
        unit_ms: c.unit_ms,
        reps: wall.n,
        wall_median_s: wall.median,
        wall_min_s: wall.min,
        wall_max_s: wall.max,
        wall_p25_s: wall.p25,
        wall_p75_s: wall.p75,
        wall_mean_s: wall.mean,
        wall_stddev_s: wall.stddev,
        wall_outliers: wall.outliers,
        cpu_total_median_s: s.cpu_total_median_s,
        cores_busy_median: s.cores_busy_median,
        speedup: s.speedup,
        efficiency: s
            .speedup
            .map(|x| x / c.workers as f64)
            .or_else(|| efficiency_vs_ideal(s)),
        speedup_ci_low: s.speedup_ci.map(|c| c.0),
        speedup_ci_high: s.speedup_ci.map(|c| c.1),
        all_correct: s.all_correct,
        ceiling_speedup: None,
        efficiency_vs_ceiling: None,
        mem_peak_bytes: s.mem_peak_bytes,
        mem_per_worker_bytes: s
            .mem_peak_bytes
            .map(|b| (b as f64 / c.workers.max(1) as f64).round() as u64),
        server_cpu_median_s: crate::stats::median(
            &s.trials
                .iter()
                .filter_map(|r| r.server_cpu_s)
                .collect::<Vec<f64>>(),
        ),
    }
}

/// Without a baseline in the run (`--strategy threads,async`), the sleep variant still has a
/// yardstick: the ideal wall time, one job's wait × ceil(jobs / workers) — every wait
/// overlapped, nothing else paid. Efficiency is then ideal / median wall. Its shortfall holds
/// the strategy's own cost and the timer's overshoot of the nominal sleep, which a baseline
/// would have paid too. The cpu variant has none: how many CPU jobs overlap depends on the
/// cores, not the workers, and the ceiling measures that where a baseline runs.
fn efficiency_vs_ideal(s: &ConfigurationStats) -> Option<f64> {
    let c = &s.config;
    if c.variant != Variant::Sleep || s.wall.median <= 0.0 {
        return None;
    }
    let jobs = s.trials.first()?.jobs;
    Some(ideal_wall_s(c.unit_ms, jobs, c.workers) / s.wall.median)
}

/// One job's wait × ceil(jobs / workers), in seconds: the sleep variant's ideal wall time.
pub fn ideal_wall_s(unit_ms: f64, jobs: usize, workers: usize) -> f64 {
    unit_ms / 1e3 * jobs.div_ceil(workers.max(1)) as f64
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
        crate::records::rows_tests::run_row(variant, strategy, workers, 25.0, wall_s)
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
    fn no_interval_below_six_trials_of_either_arm() {
        // `n` trials of sequential (0.2 s) and `m` of threads (0.1 s), slightly spread.
        let rows = |n: usize, m: usize| -> Vec<RunRow> {
            let jitter = |i: usize| 1.0 + 0.01 * i as f64;
            let base = (0..n).map(|i| row(Variant::Cpu, "sequential", 1, 0.2 * jitter(i)));
            let cand = (0..m).map(|i| row(Variant::Cpu, "threads", 2, 0.1 * jitter(i)));
            base.chain(cand).collect()
        };
        let threads = |n: usize, m: usize| -> SummaryRow {
            let s = summarize(&rows(n, m));
            s.into_iter().find(|r| r.strategy == "threads").unwrap()
        };
        for (n, m) in [(1, 1), (3, 3), (5, 5), (5, 9), (9, 5)] {
            let t = threads(n, m);
            assert!(t.speedup.is_some(), "{n}/{m}: the point estimate stays");
            assert_eq!(
                (t.speedup_ci_low, t.speedup_ci_high),
                (None, None),
                "{n}/{m}"
            );
        }
        let t = threads(MIN_INTERVAL_N, MIN_INTERVAL_N);
        assert!(t.speedup_ci_low.is_some() && t.speedup_ci_high.is_some());
    }

    #[test]
    fn no_baseline_no_speedup() {
        let rows = vec![row(Variant::Sleep, "py-threads", 2, 0.1)];
        let s = summarize(&rows);
        assert_eq!(s[0].speedup, None);
        assert_eq!(s[0].speedup_ci_low, None);
    }

    #[test]
    fn without_a_baseline_sleep_efficiency_is_against_the_ideal() {
        // 8 jobs of 25 ms on 2 workers: ideal 4 × 25 ms = 100 ms; measured 125 ms -> 80 %.
        assert!((ideal_wall_s(25.0, 8, 2) - 0.1).abs() < 1e-12);
        assert!((ideal_wall_s(25.0, 8, 3) - 0.075).abs() < 1e-12);
        assert!((ideal_wall_s(25.0, 8, 10_000) - 0.025).abs() < 1e-12);
        let s = summarize(&[
            row(Variant::Sleep, "async", 2, 0.125),
            row(Variant::Cpu, "async", 2, 0.125),
        ]);
        assert_eq!(s[0].speedup, None);
        assert!((s[0].efficiency.unwrap() - 0.8).abs() < 1e-9, "{:?}", s[0]);
        // CPU work has no ideal without the cores: nothing.
        assert_eq!((s[1].speedup, s[1].efficiency), (None, None));
        // With its baseline, efficiency stays speedup / workers.
        let s = summarize(&[
            row(Variant::Sleep, "sequential", 1, 0.22),
            row(Variant::Sleep, "async", 2, 0.125),
        ]);
        let a = s.iter().find(|r| r.strategy == "async").unwrap();
        assert!((a.speedup.unwrap() - 1.76).abs() < 1e-9);
        assert!((a.efficiency.unwrap() - 0.88).abs() < 1e-9);
    }
}
