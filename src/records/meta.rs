//! meta.json: everything needed to trace a result set back to its command line, machine,
//! calibration and discipline, and the small descriptions it holds (the machine, the
//! sampler's cost).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::python::PythonInfo;
use super::work::{Calibration, Variant};
use crate::stats::BootstrapSettings;

/// The parameters of a run, as resolved from the command line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Parameters {
    pub variants: Vec<Variant>,
    pub strategies: Vec<String>,
    pub workers: Vec<usize>,
    pub numbers: Vec<i64>,
    pub items: usize,
    pub jobs: usize,
    pub sleep_ms: f64,
    pub cpu_ms: Option<f64>,
    pub cpu_iters: Option<u64>,
    /// MiB every job holds while it works (`--job-mb`); absent when jobs hold none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_mb: Option<u64>,
    pub reps: u32,
    pub warmup: u32,
    /// "round-robin" or "shuffled".
    pub order: String,
    pub seed: Option<u64>,
    /// Per-trial timeout in seconds, per variant.
    pub timeout_s: Vec<(Variant, f64)>,
    pub sample_interval_ms: f64,
}

/// How busy the machine was with other processes (in % of one core).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct BackgroundLoad {
    pub before_pct_of_core: Option<f64>,
    pub during_pct_of_core: Option<f64>,
    pub threshold_pct_of_core: f64,
    pub trustworthy: bool,
}

/// Everything needed to trace a result set back to its command line and machine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Meta {
    pub concbench_version: String,
    /// `running`, `complete`, or `failed: <reason>`.
    pub status: String,
    pub command_line: Vec<String>,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub total_wall_s: Option<f64>,
    pub machine: Machine,
    pub parameters: Parameters,
    pub calibration: Option<Calibration>,
    pub background: BackgroundLoad,
    pub sampler: Option<SamplerReport>,
    /// What measuring memory cost: the tree sampler behind mem_peak_bytes. Absent in files
    /// written before memory was measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_sampler: Option<MemorySamplerReport>,
    pub mismatches: usize,
    /// The interpreter behind the py-* strategies: version, GIL, calibration, start-up cost.
    /// Absent when no Python strategy ran (and in files written before it existed).
    #[serde(default)]
    pub python: Option<PythonInfo>,
    /// Every interpreter of the run (`--python LIST`), `python` being the first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pythons: Vec<PythonInfo>,
    /// py-dask's cluster, when py-dask ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dask: Option<super::python::DaskInfo>,
    /// The switch interval of the `gil` model, when it ran.
    #[serde(default)]
    pub gil_switch_interval_ms: Option<f64>,
    /// How summary.csv's speedup confidence intervals were computed (seeded, reproducible).
    #[serde(default)]
    pub bootstrap: Option<BootstrapSettings>,
    /// `concbench claim` only: the verdict rule and how the repetitions stopped.
    #[serde(default)]
    pub claims: Option<ClaimSettings>,
    /// How every trial was run: order, core preparation, where others' CPU was read.
    #[serde(default)]
    pub discipline: Option<Discipline>,
    /// The signal that interrupted the run (status "interrupted").
    #[serde(default)]
    pub signal: Option<String>,
}

/// The trial discipline of a run: what every trial went through, for the record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Discipline {
    /// "counterbalanced", "round-robin" or "shuffled".
    pub order: String,
    pub seed: u64,
    /// Rounds after which the order is fully balanced (every arm in every position and after
    /// every other arm equally often).
    pub balance_period: usize,
    /// Each trial runs on a thread started for it, so no trial inherits the scheduler's load
    /// history of the thread that ran the one before.
    pub fresh_thread: bool,
    /// Before each trial: wait until concbench's own threads are idle (at most this long).
    pub settle_max_ms: f64,
    /// Before each trial: every core kept busy this long (untimed).
    pub prime_ms: f64,
    /// Where others' CPU use comes from, and its resolution.
    pub load_source: String,
    pub load_resolution_s: f64,
}

/// The verdict rule of `concbench claim` and how its adaptive repetitions went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClaimSettings {
    /// "Speeds up" holds when the CI's low end is above this; "doesn't speed up" holds when the
    /// CI's high end is below it; an interval that contains it is inconclusive.
    pub threshold: f64,
    /// Repetitions every configuration gets before the first verdict.
    pub min_reps: u32,
    /// Repetitions are added, `step` at a time, only while a verdict is undecided, up to this.
    pub max_reps: u32,
    pub step: u32,
    /// Repetitions actually measured, per `variant/strategy/workers`.
    pub reps_reached: Vec<(String, u32)>,
    /// "every CI decided" or "cap of N reps reached with K undecided".
    pub stop_reason: String,
    /// Seed of the trial order within each round.
    pub order_seed: u64,
    /// No repetitions are added after this many seconds of measuring.
    #[serde(default)]
    pub budget_s: f64,
    /// A trial during which other processes used more than this (% of one core) is re-run.
    #[serde(default)]
    pub busy_trial_pct: f64,
    /// How many trials were discarded and re-run for that reason.
    #[serde(default)]
    pub discarded_busy_trials: u32,
    /// The sequential rule: α overall and per interim look (Haybittle–Peto).
    #[serde(default)]
    pub stopping_rule: Option<StoppingRule>,
}

/// The machine and build a result set was measured on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Machine {
    pub hostname: String,
    pub os: String,
    pub kernel: String,
    pub arch: String,
    pub cpu_model: String,
    pub logical_cores: usize,
    pub physical_cores: Option<usize>,
    /// std::thread::available_parallelism: what `--workers auto` means (cgroup quotas count).
    pub available_parallelism: usize,
    pub total_memory_gib: f64,
    pub rustc: String,
    pub crate_versions: BTreeMap<String, String>,
    /// The commit of the working tree concbench ran in, if it is a git checkout.
    pub git_commit: Option<String>,
    /// Whether that working tree had uncommitted changes.
    pub git_dirty: Option<bool>,
}

impl Machine {
    /// One line for chart footers and tables: "2 logical cores, AMD EPYC ...".
    pub fn short(&self) -> String {
        format!("{} logical cores, {}", self.logical_cores, self.cpu_model)
    }
}

/// What the sampler did and what it cost.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SamplerReport {
    pub interval_ms: f64,
    pub samples: u64,
    /// CPU time of the sampler thread itself.
    pub cpu_s: f64,
    /// How long the sampler ran.
    pub wall_s: f64,
    /// cpu_s / wall_s in % of one core: the sampler's cost.
    pub overhead_pct_of_core: f64,
}

/// What the memory sampler did and cost (see measure::memory). Only trials whose work ran in
/// other processes walk the whole process tree at each sample; the others read only concbench's
/// own status.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MemorySamplerReport {
    pub interval_ms: f64,
    /// Trials whose process tree was sampled.
    pub sampled_trials: u32,
    pub samples: u64,
    /// CPU time of the memory sampler thread, over all sampled trials.
    pub cpu_s: f64,
    /// How long it sampled, over all sampled trials.
    pub sampling_wall_s: f64,
    /// cpu_s / sampling_wall_s in % of one core: its cost while it runs.
    pub overhead_pct_of_core: f64,
}

/// The sequential decision rule of `concbench claim`: its error rates (see claim::stopping).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StoppingRule {
    /// Overall two-sided error rate of one claim (0.05).
    pub alpha: f64,
    /// Two-sided error rate spent at each interim look (0.001).
    pub interim_alpha: f64,
}
