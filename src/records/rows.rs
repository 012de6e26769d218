//! The rows of concbench's CSV files (runs.csv, summary.csv, samples.csv, claims.csv), each
//! with its fixed header.

use serde::{Deserialize, Serialize};

use super::work::Variant;

/// One measured repetition of one (variant, strategy, workers).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRow {
    pub variant: Variant,
    pub strategy: String,
    pub workers: usize,
    /// Numbers in the list; the jobs are twice as many (square and cube).
    pub items: usize,
    pub jobs: usize,
    /// Nominal cost of one job in milliseconds (the sleep, or the calibrated CPU burn).
    pub unit_ms: f64,
    pub rep: u32,
    pub wall_s: f64,
    pub cpu_user_s: f64,
    pub cpu_sys_s: f64,
    pub cpu_total_s: f64,
    /// cpu_total_s / wall_s: how many cores were busy on average.
    pub cores_busy: f64,
    /// Peak RSS of concbench itself during the trial.
    pub peak_rss_kib: u64,
    /// Largest peak RSS of a child process (processes strategy only).
    pub child_peak_rss_kib: Option<u64>,
    /// Peak memory of concbench and every process it started during the trial, above the
    /// baseline just before it (docs/methodology.md, "Memory"). Empty in files written before
    /// it was measured.
    #[serde(default)]
    pub mem_peak_bytes: Option<u64>,
    /// Samples behind mem_peak_bytes: of the whole process tree, or of concbench alone when the
    /// work stayed in it.
    #[serde(default)]
    pub mem_samples: u32,
    /// CPU of the memory sampler during the trial, already taken out of the CPU columns.
    #[serde(default)]
    pub mem_sampler_cpu_s: f64,
    /// Whether the results equal the sequential reference exactly.
    pub correct: bool,
    /// When the trial started and ended, in seconds since the run began (to line up with
    /// samples.csv).
    pub started_s: f64,
    pub ended_s: f64,
    /// The round (0 is the first measured one) and the trial's position in it: with the
    /// trial before it (`after`), enough to check any order effect from this file alone.
    #[serde(default)]
    pub round: u32,
    #[serde(default)]
    pub position: u32,
    /// The trial that ran just before this one (`variant/strategy/workers`), empty for the first.
    #[serde(default)]
    pub after: String,
    /// CPU used by other processes during the trial, in % of one core (precise source in
    /// meta.json `discipline.load_source`); empty where it cannot be read.
    #[serde(default)]
    pub others_cpu_pct: Option<f64>,
    /// CPU of concbench's own sampler thread during the trial, already taken out of
    /// cpu_user_s and cpu_total_s.
    #[serde(default)]
    pub sampler_cpu_s: f64,
    /// Jobs per message to a worker process (processes only).
    #[serde(default)]
    pub chunk: Option<usize>,
    /// Untimed preparation the strategy measured itself (py-pool: starting and warming the
    /// pool), reported beside the timed work, never in it.
    #[serde(default)]
    pub setup_s: Option<f64>,
    /// The interpreter process that ran the trial (py-*), numbered within the run: the py-*
    /// arms of a round share one, and their speedup intervals resample whole interpreters.
    #[serde(default)]
    pub interpreter: Option<u64>,
    /// The http variant's server's CPU over the trial (a child process of its own, from
    /// /proc, 10 ms ticks): not in the cpu_* columns, not in others_cpu_pct. Empty for other
    /// variants.
    #[serde(default)]
    pub server_cpu_s: Option<f64>,
    /// py-*: whether the GIL was on when the work ended (`sys._is_gil_enabled()`, 3.13+):
    /// a free-threaded build runs with it off unless forced on (`+gil`), or unless an extension
    /// module turned it back on. Empty before 3.13 (always on) and for the Rust strategies.
    #[serde(default)]
    pub gil_enabled: Option<bool>,
}

/// Statistics of one (variant, strategy, workers) over its repetitions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummaryRow {
    pub variant: Variant,
    pub strategy: String,
    pub workers: usize,
    pub items: usize,
    pub unit_ms: f64,
    pub reps: usize,
    pub wall_median_s: f64,
    pub wall_min_s: f64,
    pub wall_max_s: f64,
    pub wall_p25_s: f64,
    pub wall_p75_s: f64,
    pub wall_mean_s: f64,
    pub wall_stddev_s: f64,
    /// Repetitions outside Tukey's fences (counted, not removed).
    pub wall_outliers: usize,
    pub cpu_total_median_s: f64,
    pub cores_busy_median: f64,
    /// Sequential median wall / this median wall, same variant and items. Empty without a
    /// sequential baseline.
    pub speedup: Option<f64>,
    /// speedup / workers.
    pub efficiency: Option<f64>,
    /// 95 % bootstrap confidence interval of the speedup (ratio of medians); empty when not
    /// computed.
    pub speedup_ci_low: Option<f64>,
    pub speedup_ci_high: Option<f64>,
    pub all_correct: bool,
    /// The machine's parallel ceiling for this variant, unit and worker count: the `ceiling`
    /// reference's speedup (CPU-bound work on the Rust kernel only; empty otherwise).
    #[serde(default)]
    pub ceiling_speedup: Option<f64>,
    /// speedup / ceiling_speedup: how much of what the machine allows this strategy reached.
    #[serde(default)]
    pub efficiency_vs_ceiling: Option<f64>,
    /// Median over repetitions of runs.csv's mem_peak_bytes; empty where it was not measured.
    #[serde(default)]
    pub mem_peak_bytes: Option<u64>,
    /// mem_peak_bytes / workers: what each worker costs in memory.
    #[serde(default)]
    pub mem_per_worker_bytes: Option<u64>,
    /// Median over repetitions of runs.csv's server_cpu_s (the http variant's server); empty
    /// for other variants.
    #[serde(default)]
    pub server_cpu_median_s: Option<f64>,
}

/// One verdict of `concbench claim` (claims.csv).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClaimRow {
    /// C1 ... C5.
    pub claim: String,
    /// The claim in words.
    pub statement: String,
    /// The runtime/strategy judged (rust-threads, rayon, gil, cpython-threads, ...).
    pub subject: String,
    /// The figures the verdict rests on (the speedup and its interval, reps, cores; or observed
    /// values).
    pub evidence: String,
    /// HOLDS, DOES NOT HOLD or INCONCLUSIVE.
    pub verdict: String,
    pub reason: String,
    /// The coverage the verdict's interval actually has, as a fraction: an order-statistic
    /// interval's comes in steps (0.96875 for [min, max] of 6 at 95 %); a bootstrap's is its
    /// nominal level. Empty without an interval.
    #[serde(default)]
    pub level_achieved: Option<f64>,
    /// `order-statistic` (claim: the median of paired per-round speedups) or `bootstrap` (run:
    /// the ratio of medians, arms resampled apart); empty without an interval.
    #[serde(default)]
    pub interval_kind: String,
}

impl ClaimRow {
    /// A row with only its claim, subject and verdict (the rest empty): what tests and
    /// readers that look a verdict up need.
    pub fn verdict_only(claim: &str, subject: &str, verdict: &str) -> ClaimRow {
        ClaimRow {
            claim: claim.into(),
            statement: String::new(),
            subject: subject.into(),
            evidence: String::new(),
            verdict: verdict.into(),
            reason: String::new(),
            level_achieved: None,
            interval_kind: String::new(),
        }
    }
}

/// One sysinfo sample of one core.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleRow {
    /// Seconds since the run began.
    pub t_s: f64,
    pub core: usize,
    /// That core's usage over the last interval, 0-100.
    pub usage_pct: f64,
    /// concbench's own CPU use over the last interval, 0-100 per core (children not included).
    pub process_cpu_pct: f64,
    /// The trial running when the sample was taken (empty between trials).
    pub trial: String,
}

/// A row type with a fixed CSV header, so a file gets its header even before (or without)
/// any row: an interrupted run or an empty sample set still leaves a readable file.
pub trait CsvRecord: Serialize {
    const HEADER: &'static [&'static str];
}
impl CsvRecord for RunRow {
    const HEADER: &'static [&'static str] = &[
        "variant",
        "strategy",
        "workers",
        "items",
        "jobs",
        "unit_ms",
        "rep",
        "wall_s",
        "cpu_user_s",
        "cpu_sys_s",
        "cpu_total_s",
        "cores_busy",
        "peak_rss_kib",
        "child_peak_rss_kib",
        "mem_peak_bytes",
        "mem_samples",
        "mem_sampler_cpu_s",
        "correct",
        "started_s",
        "ended_s",
        "round",
        "position",
        "after",
        "others_cpu_pct",
        "sampler_cpu_s",
        "chunk",
        "setup_s",
        "interpreter",
        "server_cpu_s",
        "gil_enabled",
    ];
}

impl CsvRecord for SampleRow {
    const HEADER: &'static [&'static str] =
        &["t_s", "core", "usage_pct", "process_cpu_pct", "trial"];
}

impl CsvRecord for SummaryRow {
    const HEADER: &'static [&'static str] = &[
        "variant",
        "strategy",
        "workers",
        "items",
        "unit_ms",
        "reps",
        "wall_median_s",
        "wall_min_s",
        "wall_max_s",
        "wall_p25_s",
        "wall_p75_s",
        "wall_mean_s",
        "wall_stddev_s",
        "wall_outliers",
        "cpu_total_median_s",
        "cores_busy_median",
        "speedup",
        "efficiency",
        "speedup_ci_low",
        "speedup_ci_high",
        "all_correct",
        "ceiling_speedup",
        "efficiency_vs_ceiling",
        "mem_peak_bytes",
        "mem_per_worker_bytes",
        "server_cpu_median_s",
    ];
}

impl CsvRecord for ClaimRow {
    const HEADER: &'static [&'static str] = &[
        "claim",
        "statement",
        "subject",
        "evidence",
        "verdict",
        "reason",
        "level_achieved",
        "interval_kind",
    ];
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A runs.csv row of one correct trial on 4 numbers (8 jobs), one core busy.
    pub(crate) fn run_row(
        variant: Variant,
        strategy: &str,
        workers: usize,
        unit_ms: f64,
        wall_s: f64,
    ) -> RunRow {
        RunRow {
            variant,
            strategy: strategy.into(),
            workers,
            items: 4,
            jobs: 8,
            unit_ms,
            rep: 1,
            wall_s,
            cpu_user_s: wall_s,
            cpu_sys_s: 0.0,
            cpu_total_s: wall_s,
            cores_busy: 1.0,
            peak_rss_kib: 1,
            child_peak_rss_kib: None,
            mem_peak_bytes: None,
            mem_samples: 0,
            mem_sampler_cpu_s: 0.0,
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
            server_cpu_s: None,
            gil_enabled: None,
        }
    }

    /// The header serde would write for one row.
    pub(crate) fn serde_header<T: Serialize>(row: &T) -> Vec<String> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.serialize(row).unwrap();
        let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
        text.lines()
            .next()
            .unwrap()
            .split(',')
            .map(String::from)
            .collect()
    }

    #[test]
    fn fixed_headers_match_the_fields() {
        let run = run_row(Variant::Cpu, "threads", 2, 25.0, 0.1);
        assert_eq!(serde_header(&run), RunRow::HEADER);
        let sample = SampleRow {
            t_s: 0.0,
            core: 0,
            usage_pct: 0.0,
            process_cpu_pct: 0.0,
            trial: String::new(),
        };
        assert_eq!(serde_header(&sample), SampleRow::HEADER);
        let claim = ClaimRow {
            claim: "C1".into(),
            statement: String::new(),
            subject: String::new(),
            evidence: String::new(),
            verdict: String::new(),
            reason: String::new(),
            level_achieved: None,
            interval_kind: String::new(),
        };
        assert_eq!(serde_header(&claim), ClaimRow::HEADER);
    }
}
