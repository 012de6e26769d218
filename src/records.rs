//! The files of a run and their schemas: runs.csv and samples.csv (streamed, flushed after
//! every row so an interrupted run keeps what it measured), summary.csv and meta.json.
//! Readers give errors that name the file and the line, for `concbench report`.

use std::fs::File;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::measure::machine::Machine;
use crate::measure::sampler::SamplerReport;
use crate::workload::{Calibration, Variant};

pub const RUNS_CSV: &str = "runs.csv";
pub const SUMMARY_CSV: &str = "summary.csv";
pub const SAMPLES_CSV: &str = "samples.csv";
pub const META_JSON: &str = "meta.json";
pub const CLAIMS_CSV: &str = "claims.csv";

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
    /// Whether the results equal the sequential reference exactly.
    pub correct: bool,
    /// When the trial started and ended, in seconds since the run began (to line up with
    /// samples.csv).
    pub started_s: f64,
    pub ended_s: f64,
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
    /// The figures the verdict rests on (speedup median and 95 % CI, reps, cores; or observed
    /// values).
    pub evidence: String,
    /// HOLDS, DOES NOT HOLD or INCONCLUSIVE.
    pub verdict: String,
    pub reason: String,
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
    /// "running", "complete", or "failed: <reason>".
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
    pub mismatches: usize,
}

/// A CSV file written one record at a time, flushed after each.
pub struct StreamWriter<T> {
    path: PathBuf,
    inner: csv::Writer<File>,
    _row: std::marker::PhantomData<fn(&T)>,
}

impl<T: Serialize> StreamWriter<T> {
    pub fn create(path: &Path) -> Result<Self> {
        let file = File::create(path).map_err(|e| Error::io(path, e))?;
        Ok(StreamWriter {
            path: path.to_path_buf(),
            inner: csv::Writer::from_writer(file),
            _row: std::marker::PhantomData,
        })
    }

    pub fn write(&mut self, rows: &[T]) -> Result<()> {
        for row in rows {
            self.inner
                .serialize(row)
                .map_err(|e| Error::io(&self.path, std::io::Error::other(e)))?;
        }
        self.inner.flush().map_err(|e| Error::io(&self.path, e))
    }
}

pub type RunWriter = StreamWriter<RunRow>;
pub type SampleWriter = StreamWriter<SampleRow>;

/// Write a whole CSV file at once.
pub fn write_csv<T: Serialize>(path: &Path, rows: &[T]) -> Result<()> {
    let mut w = StreamWriter::create(path)?;
    w.write(rows)
}

/// Read a whole CSV file, with errors naming the file and the line.
pub fn read_csv<T: DeserializeOwned>(path: &Path) -> Result<Vec<T>> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut reader = csv::Reader::from_reader(file);
    let mut rows = Vec::new();
    for row in reader.deserialize() {
        rows.push(row.map_err(|e| {
            let line = e.position().map(|p| p.line());
            Error::BadInput {
                path: path.to_path_buf(),
                message: match line {
                    Some(line) => format!("line {line}: {}", csv_reason(&e)),
                    None => csv_reason(&e),
                },
            }
        })?);
    }
    Ok(rows)
}

fn csv_reason(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Deserialize { err, .. } => match err.field() {
            Some(field) => format!("field {}: {}", field + 1, err.kind()),
            None => err.kind().to_string(),
        },
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("{len} fields where the header has {expected_len}"),
        _ => e.to_string(),
    }
}

pub fn write_meta(path: &Path, meta: &Meta) -> Result<()> {
    let text = serde_json::to_string_pretty(meta)
        .map_err(|e| Error::Measurement(format!("cannot encode meta.json: {e}")))?;
    // Write then rename, so a reader never sees half a file.
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, text + "\n").map_err(|e| Error::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
}

pub fn read_meta(path: &Path) -> Result<Meta> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    serde_json::from_str(&text).map_err(|e| Error::BadInput {
        path: path.to_path_buf(),
        message: format!("line {}: {e}", e.line()),
    })
}
