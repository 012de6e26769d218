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
use crate::stats::BootstrapSettings;
use crate::strategy::python::PythonInfo;
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
    /// The interpreter behind the py-* strategies: version, GIL, calibration, start-up cost.
    /// Absent when no Python strategy ran (and in files written before it existed).
    #[serde(default)]
    pub python: Option<PythonInfo>,
    /// Every interpreter of the run (`--python LIST`), `python` being the first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pythons: Vec<PythonInfo>,
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
    pub stopping_rule: Option<crate::claim::stopping::StoppingRule>,
}

/// A CSV file written one record at a time, each record in one write and synced to the file
/// at once, so an interrupted run keeps what it measured. A write that fails (disk full, folder
/// removed) is cut back to the last whole record, so the file stays valid CSV.
pub struct StreamWriter<T> {
    path: PathBuf,
    file: File,
    /// Bytes of whole records written so far.
    len: u64,
    _row: std::marker::PhantomData<fn(&T)>,
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
    ];
}

impl<T: CsvRecord> StreamWriter<T> {
    pub fn create(path: &Path) -> Result<Self> {
        let file = File::create(path).map_err(|e| Error::io(path, e))?;
        let mut w = StreamWriter {
            path: path.to_path_buf(),
            file,
            len: 0,
            _row: std::marker::PhantomData,
        };
        let header = encode(|c| c.write_record(T::HEADER))
            .map_err(|e| Error::io(path, std::io::Error::other(e)))?;
        w.append(&header).map_err(|e| match e {
            Error::Write { source, .. } => Error::io(path, source),
            e => e,
        })?;
        Ok(w)
    }

    pub fn write(&mut self, rows: &[T]) -> Result<()>
    where
        T: Serialize,
    {
        let bytes = encode(|c| rows.iter().try_for_each(|r| c.serialize(r)))
            .map_err(|e| Error::write(&self.path, std::io::Error::other(e)))?;
        self.append(&bytes)
    }

    fn append(&mut self, bytes: &[u8]) -> Result<()> {
        use std::io::Write as _;
        if let Err(e) = self.file.write_all(bytes) {
            // Cut a half-written record off (truncating needs no free space).
            let _ = self.file.set_len(self.len);
            return Err(Error::write(&self.path, e));
        }
        self.len += bytes.len() as u64;
        Ok(())
    }
}

/// CSV records encoded in memory, to be written in one piece.
fn encode(
    f: impl FnOnce(&mut csv::Writer<Vec<u8>>) -> std::result::Result<(), csv::Error>,
) -> std::result::Result<Vec<u8>, csv::Error> {
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    f(&mut w)?;
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

pub type RunWriter = StreamWriter<RunRow>;
pub type SampleWriter = StreamWriter<SampleRow>;

/// Write a whole CSV file at once: under a temporary name, renamed into place when complete,
/// so a failed write never leaves half a file where a whole one was.
pub fn write_csv<T: CsvRecord>(path: &Path, rows: &[T]) -> Result<()> {
    let tmp = path.with_extension("csv.tmp");
    let result = StreamWriter::<T>::create(&tmp).and_then(|mut w| w.write(rows));
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(match e {
            Error::Io { source, .. } | Error::Write { source, .. } => Error::write(path, source),
            e => e,
        });
    }
    std::fs::rename(&tmp, path).map_err(|e| Error::write(path, e))
}

/// Read a whole CSV file, with errors naming the file and the line.
pub fn read_csv<T: DeserializeOwned>(path: &Path) -> Result<Vec<T>> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    parse_csv(&bytes, path)
}

/// Parse CSV text read from `path` (named in errors, with the line).
pub fn parse_csv<T: DeserializeOwned>(bytes: &[u8], path: &Path) -> Result<Vec<T>> {
    let mut reader = csv::Reader::from_reader(bytes);
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

/// A message fit for one line: control characters (a quoted field may hold a line break)
/// escaped, and cut at 200 characters.
pub fn one_line(text: &str) -> String {
    let escaped: String = text
        .chars()
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<char>>()
            } else {
                vec![c]
            }
        })
        .collect();
    match escaped.char_indices().nth(200) {
        Some((cut, _)) => format!("{}...", &escaped[..cut]),
        None => escaped,
    }
}

fn csv_reason(e: &csv::Error) -> String {
    one_line(&match e.kind() {
        csv::ErrorKind::Deserialize { err, .. } => match err.field() {
            Some(field) => format!("field {}: {}", field + 1, err.kind()),
            None => err.kind().to_string(),
        },
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("{len} fields where the header has {expected_len}"),
        _ => e.to_string(),
    })
}

pub fn write_meta(path: &Path, meta: &Meta) -> Result<()> {
    let text = serde_json::to_string_pretty(meta)
        .map_err(|e| Error::Measurement(format!("cannot encode meta.json: {e}")))?;
    // Write then rename, so a reader never sees half a file.
    let tmp = path.with_extension("json.tmp");
    if let Err(e) = std::fs::write(&tmp, text + "\n") {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::write(path, e));
    }
    std::fs::rename(&tmp, path).map_err(|e| Error::write(path, e))
}

pub fn read_meta(path: &Path) -> Result<Meta> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    parse_meta(&bytes, path)
}

/// Parse meta.json text read from `path` (named in errors, with the line).
pub fn parse_meta(bytes: &[u8], path: &Path) -> Result<Meta> {
    serde_json::from_slice(bytes).map_err(|e| Error::BadInput {
        path: path.to_path_buf(),
        message: format!("line {}: {}", e.line(), one_line(&e.to_string())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The header serde would write for one row.
    fn serde_header<T: Serialize>(row: &T) -> Vec<String> {
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
        let run = RunRow {
            variant: Variant::Cpu,
            strategy: "threads".into(),
            workers: 2,
            items: 4,
            jobs: 8,
            unit_ms: 25.0,
            rep: 1,
            wall_s: 0.1,
            cpu_user_s: 0.2,
            cpu_sys_s: 0.0,
            cpu_total_s: 0.2,
            cores_busy: 2.0,
            peak_rss_kib: 1,
            child_peak_rss_kib: None,
            correct: true,
            started_s: 0.0,
            ended_s: 0.1,
            round: 0,
            position: 0,
            after: String::new(),
            others_cpu_pct: None,
            sampler_cpu_s: 0.0,
            chunk: None,
            setup_s: None,
            interpreter: None,
        };
        assert_eq!(serde_header(&run), RunRow::HEADER);
        let sample = SampleRow {
            t_s: 0.0,
            core: 0,
            usage_pct: 0.0,
            process_cpu_pct: 0.0,
            trial: String::new(),
        };
        assert_eq!(serde_header(&sample), SampleRow::HEADER);
        let summary = crate::summary::summarize(&[run]);
        assert_eq!(serde_header(&summary[0]), SummaryRow::HEADER);
        let claim = ClaimRow {
            claim: "C1".into(),
            statement: String::new(),
            subject: String::new(),
            evidence: String::new(),
            verdict: String::new(),
            reason: String::new(),
        };
        assert_eq!(serde_header(&claim), ClaimRow::HEADER);
    }

    #[test]
    fn empty_files_still_have_a_header_and_bad_rows_name_the_line() {
        let dir = std::env::temp_dir().join(format!("concbench-records-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("runs.csv");
        write_csv::<RunRow>(&path, &[]).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.trim_end(), RunRow::HEADER.join(","));
        assert!(read_csv::<RunRow>(&path).unwrap().is_empty());
        std::fs::write(
            &path,
            format!("{}\ncpu,threads,two\n", RunRow::HEADER.join(",")),
        )
        .unwrap();
        let err = read_csv::<RunRow>(&path).unwrap_err().to_string();
        assert!(err.contains("runs.csv") && err.contains("line 2"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
