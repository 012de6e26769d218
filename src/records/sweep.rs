//! The files of a sweep besides the engine's runs.csv and samples.csv: sweep.csv (one row per
//! point), models.csv (one row per strategy and variant) and the `sweep` section of meta.json.
//! Headers are fixed ([`CsvRecord`]) so an interrupted sweep still leaves readable files.

use serde::{Deserialize, Serialize};

use super::work::Variant;
use super::{CsvRecord, Meta};

pub const SWEEP_CSV: &str = "sweep.csv";
pub const MODELS_CSV: &str = "models.csv";

/// One point of the sweep: a (variant, job size, strategy, workers) over its repetitions.
/// Job size 0 is the fixed-cost point: the same jobs with zero work.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepRow {
    pub variant: Variant,
    pub strategy: String,
    pub workers: usize,
    /// Nominal work per job in ms (0 for the fixed-cost point).
    pub unit_ms: f64,
    /// Jobs per message to a worker process (processes only).
    pub chunk: Option<usize>,
    pub reps: usize,
    pub wall_median_s: f64,
    pub wall_p25_s: f64,
    pub wall_p75_s: f64,
    pub cores_busy_median: f64,
    /// Median wall of the baseline at the same variant and size ÷ this median.
    pub speedup: Option<f64>,
    /// 95 % bootstrap interval of the speedup (empty for a baseline's own row).
    pub speedup_ci_low: Option<f64>,
    pub speedup_ci_high: Option<f64>,
    /// speedup / workers.
    pub efficiency: Option<f64>,
    /// Karp–Flatt's serial fraction (workers > 1 only; past the cores its rise is the missing
    /// cores, not overhead).
    pub karp_flatt: Option<f64>,
    /// What the fitted models predict here (only at the size the fits use).
    pub amdahl_speedup: Option<f64>,
    pub usl_speedup: Option<f64>,
    pub all_correct: bool,
    /// Concurrent waits of a wait sweep (`--waits`): jobs = workers = waiters. Empty for a
    /// job-size sweep, whose rows leave the three columns after it empty too.
    #[serde(default)]
    pub waiters: Option<usize>,
    /// Median wall ÷ the ideal (one wait): 1 is no overhead at all.
    #[serde(default)]
    pub wall_over_ideal: Option<f64>,
    /// Median CPU (user + system) per waiter, in ms.
    #[serde(default)]
    pub cpu_per_waiter_ms: Option<f64>,
    /// Median peak memory above the trial's baseline (runs.csv mem_peak_bytes) per waiter.
    #[serde(default)]
    pub mem_per_waiter_bytes: Option<f64>,
}

impl CsvRecord for SweepRow {
    const HEADER: &'static [&'static str] = &[
        "variant",
        "strategy",
        "workers",
        "unit_ms",
        "chunk",
        "reps",
        "wall_median_s",
        "wall_p25_s",
        "wall_p75_s",
        "cores_busy_median",
        "speedup",
        "speedup_ci_low",
        "speedup_ci_high",
        "efficiency",
        "karp_flatt",
        "amdahl_speedup",
        "usl_speedup",
        "all_correct",
        "waiters",
        "wall_over_ideal",
        "cpu_per_waiter_ms",
        "mem_per_waiter_bytes",
    ];
}

/// The models of one strategy on one variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelRow {
    pub variant: Variant,
    pub strategy: String,
    /// The job size whose worker counts the fits use (the largest of the sweep).
    pub fit_unit_ms: f64,
    /// Distinct worker counts at that size.
    pub fit_points: usize,
    pub amdahl_serial_fraction: Option<f64>,
    pub amdahl_r2: Option<f64>,
    pub amdahl_max_residual: Option<f64>,
    /// Why there is no Amdahl fit (empty when there is one).
    pub amdahl_note: String,
    pub usl_sigma: Option<f64>,
    pub usl_kappa: Option<f64>,
    pub usl_lambda: Option<f64>,
    pub usl_r2: Option<f64>,
    pub usl_max_residual: Option<f64>,
    /// √((1 − σ)/κ); empty when κ = 0 (no peak).
    pub usl_peak_workers: Option<f64>,
    pub usl_note: String,
    /// The worker count the break-even sizes are measured at.
    pub break_even_workers: Option<usize>,
    /// Fixed cost F at that worker count with every worker engaged: the median over rounds of
    /// T_N − T_seq/N (both measured in the round) at the smallest size reaching 90 %
    /// efficiency (at zero work where none does).
    pub fixed_cost_ms: Option<f64>,
    /// Its 95 % order-statistic interval (none below 6 rounds).
    #[serde(default)]
    pub fixed_cost_ci_low_ms: Option<f64>,
    #[serde(default)]
    pub fixed_cost_ci_high_ms: Option<f64>,
    /// The job size F was measured at (0: zero work).
    #[serde(default)]
    pub fixed_cost_unit_ms: Option<f64>,
    /// The same at zero work: a floor (some strategies engage only one worker when there is
    /// nothing to do).
    #[serde(default)]
    pub fixed_cost_zero_work_ms: Option<f64>,
    /// F·N / (J·(N − 1)).
    pub predicted_break_even_ms: Option<f64>,
    /// The smallest size from which on every speedup CI lies above 1 …
    pub break_even_ms: Option<f64>,
    /// … and the size below it, where it did not (the bracket).
    pub break_even_below_ms: Option<f64>,
    /// The same for the speedup itself above 1, significant or not: where it lies below
    /// `break_even_ms`, the sizes between are "not significant yet".
    #[serde(default)]
    pub above_one_ms: Option<f64>,
    #[serde(default)]
    pub above_one_below_ms: Option<f64>,
    pub break_even_note: String,
    /// The smallest size from which on efficiency is at least 90 %, and the size below it.
    pub efficiency90_ms: Option<f64>,
    pub efficiency90_below_ms: Option<f64>,
    pub efficiency90_note: String,
}

impl CsvRecord for ModelRow {
    const HEADER: &'static [&'static str] = &[
        "variant",
        "strategy",
        "fit_unit_ms",
        "fit_points",
        "amdahl_serial_fraction",
        "amdahl_r2",
        "amdahl_max_residual",
        "amdahl_note",
        "usl_sigma",
        "usl_kappa",
        "usl_lambda",
        "usl_r2",
        "usl_max_residual",
        "usl_peak_workers",
        "usl_note",
        "break_even_workers",
        "fixed_cost_ms",
        "fixed_cost_ci_low_ms",
        "fixed_cost_ci_high_ms",
        "fixed_cost_unit_ms",
        "fixed_cost_zero_work_ms",
        "predicted_break_even_ms",
        "break_even_ms",
        "break_even_below_ms",
        "above_one_ms",
        "above_one_below_ms",
        "break_even_note",
        "efficiency90_ms",
        "efficiency90_below_ms",
        "efficiency90_note",
    ];
}

/// One job size of the sweep.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct JobSize {
    pub variant: Variant,
    pub unit_ms: f64,
    /// Kernel iterations per job (CPU-bound sizes).
    pub iters: Option<u64>,
}

/// How a sweep was planned and why it stopped: meta.json's `sweep` section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepSettings {
    /// Every size measured, the fixed-cost size (0) first.
    pub sizes: Vec<JobSize>,
    pub workers: Vec<usize>,
    pub jobs: usize,
    /// `--chunk` of the processes strategy.
    pub chunk: String,
    pub budget_s: f64,
    /// Seconds kept back from the budget for the analysis, charts and report (of the planned
    /// repetitions).
    pub reserve_s: f64,
    pub min_reps: u32,
    pub max_reps: u32,
    pub warmup: u32,
    /// One round's cost as the warm-up measured it (every arm's whole trial, summed).
    pub round_cost_s: Option<f64>,
    /// Rounds that fitted in what was left of the budget at that cost.
    pub fit_reps: u32,
    pub planned_reps: u32,
    pub reps_done: u32,
    /// "planned-reps", "budget", "interrupted" or "failed".
    pub stopped_by: String,
    /// The same in words.
    pub stop_reason: String,
    /// Worker count of the break-even sizes (the largest measured count ≤ the cores).
    pub break_even_workers: Option<usize>,
}

/// meta.json of a sweep: the run's meta with the `sweep` section beside it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepMeta {
    #[serde(flatten)]
    pub meta: Meta,
    pub sweep: SweepSettings,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::rows_tests::serde_header;
    use crate::records::{read_csv, write_csv};

    fn sweep_row() -> SweepRow {
        SweepRow {
            variant: Variant::Cpu,
            strategy: "threads".into(),
            workers: 2,
            unit_ms: 1.0,
            chunk: None,
            reps: 3,
            wall_median_s: 0.004,
            wall_p25_s: 0.004,
            wall_p75_s: 0.004,
            cores_busy_median: 2.0,
            speedup: Some(2.0),
            speedup_ci_low: Some(1.9),
            speedup_ci_high: Some(2.1),
            efficiency: Some(1.0),
            karp_flatt: Some(0.0),
            amdahl_speedup: None,
            usl_speedup: None,
            all_correct: true,
            waiters: None,
            wall_over_ideal: None,
            cpu_per_waiter_ms: None,
            mem_per_waiter_bytes: None,
        }
    }

    #[test]
    fn fixed_headers_match_the_fields() {
        assert_eq!(serde_header(&sweep_row()), SweepRow::HEADER);
        let model = ModelRow {
            variant: Variant::Cpu,
            strategy: "threads".into(),
            fit_unit_ms: 30.0,
            fit_points: 4,
            amdahl_serial_fraction: None,
            amdahl_r2: None,
            amdahl_max_residual: None,
            amdahl_note: String::new(),
            usl_sigma: None,
            usl_kappa: None,
            usl_lambda: None,
            usl_r2: None,
            usl_max_residual: None,
            usl_peak_workers: None,
            usl_note: String::new(),
            break_even_workers: None,
            fixed_cost_ms: None,
            fixed_cost_ci_low_ms: None,
            fixed_cost_ci_high_ms: None,
            fixed_cost_unit_ms: None,
            fixed_cost_zero_work_ms: None,
            predicted_break_even_ms: None,
            break_even_ms: None,
            break_even_below_ms: None,
            above_one_ms: None,
            above_one_below_ms: None,
            break_even_note: String::new(),
            efficiency90_ms: None,
            efficiency90_below_ms: None,
            efficiency90_note: String::new(),
        };
        assert_eq!(serde_header(&model), ModelRow::HEADER);
    }

    #[test]
    fn rows_read_back_as_written() {
        let dir = std::env::temp_dir().join(format!("concbench-sweep-rec-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(SWEEP_CSV);
        let rows = vec![sweep_row()];
        write_csv(&path, &rows).unwrap();
        assert_eq!(read_csv::<SweepRow>(&path).unwrap(), rows);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
