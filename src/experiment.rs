//! The experiment: plan the trials (variants x strategies x workers x repetitions), run them
//! interleaved, measure each one, verify every result, and stream the records to disk.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use crate::error::{Error, Result};
use crate::measure::load::{BUSY_THRESHOLD_PCT, LoadMark, idle_check};
use crate::measure::machine;
use crate::measure::sampler::{CpuSampler, TrialTag};
use crate::measure::usage::measure;
use crate::records::{
    self, BackgroundLoad, META_JSON, Meta, Parameters, RUNS_CSV, RunRow, RunWriter, SAMPLES_CSV,
    SUMMARY_CSV, SampleWriter, SummaryRow,
};
use crate::stats::SplitMix64;
use crate::strategy::{self, Strategy, StrategyContext, StrategyInfo};
use crate::summary::summarize;
use crate::workload::{self, Job, Variant, WorkUnit};

/// How one unit of CPU work is sized.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CpuUnit {
    /// Calibrated on this machine to this many milliseconds.
    Millis(f64),
    /// A fixed iteration count, for comparisons across machines.
    Iters(u64),
}

/// The order of trials within a round.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Order {
    /// Every configuration once per round, always in the same order.
    RoundRobin,
    /// Every configuration once per round, in an order shuffled with this seed.
    Shuffled { seed: u64 },
}

/// Everything an experiment needs, already validated.
#[derive(Debug, Clone)]
pub struct Plan {
    pub variants: Vec<Variant>,
    pub strategies: Vec<&'static StrategyInfo>,
    pub workers: Vec<usize>,
    pub numbers: Vec<i64>,
    pub sleep: Duration,
    pub cpu: CpuUnit,
    pub reps: u32,
    pub warmup: u32,
    pub order: Order,
    /// Per-trial timeout; `None` derives one from the size of the work.
    pub timeout: Option<Duration>,
    pub sample_interval: Duration,
    /// Watch the machine for this long before starting, to catch a busy machine.
    pub idle_check: Duration,
    pub out_dir: PathBuf,
    pub show_progress: bool,
    pub command_line: Vec<String>,
}

impl Plan {
    /// The tutorial's experiment with the documented defaults.
    pub fn tutorial(out_dir: impl Into<PathBuf>) -> Plan {
        Plan {
            variants: Variant::ALL.to_vec(),
            strategies: strategy::REGISTRY.iter().collect(),
            workers: vec![2],
            numbers: vec![2, 3, 8, 9],
            sleep: Duration::from_millis(25),
            cpu: CpuUnit::Millis(25.0),
            reps: 10,
            warmup: 1,
            order: Order::RoundRobin,
            timeout: None,
            sample_interval: crate::measure::sampler::DEFAULT_INTERVAL,
            idle_check: Duration::from_millis(500),
            out_dir: out_dir.into(),
            show_progress: true,
            command_line: std::env::args().collect(),
        }
    }

    /// The (strategy, workers) configurations: strategies that ignore `--workers` appear once.
    pub fn configurations(&self) -> Vec<(&'static StrategyInfo, usize)> {
        let mut out = Vec::new();
        for &s in &self.strategies {
            if s.uses_workers {
                for &w in &self.workers {
                    out.push((s, w));
                }
            } else {
                out.push((s, 1));
            }
        }
        out
    }
}

/// What a finished experiment produced.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub summary: Vec<SummaryRow>,
    pub meta: Meta,
    pub out_dir: PathBuf,
}

/// Run the experiment. Files are written as the trials finish; on a failed trial, what was
/// measured so far stays on disk (runs.csv, samples.csv, a summary of it and meta.json with
/// the failure) and the error names the trial.
pub fn run(plan: &Plan, ctx: &StrategyContext) -> Result<Outcome> {
    let epoch = Instant::now();
    let out = plan.out_dir.as_path();
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    let mut runs = RunWriter::create(&out.join(RUNS_CSV))?;
    let samples = SampleWriter::create(&out.join(SAMPLES_CSV))?;

    let machine = machine::describe();
    let before = idle_check(plan.idle_check);
    let jobs = workload::jobs_for(&plan.numbers);
    let calibration = plan
        .variants
        .contains(&Variant::Cpu)
        .then(|| match plan.cpu {
            CpuUnit::Millis(ms) => workload::calibrate(ms),
            CpuUnit::Iters(n) => workload::fixed_iters(n),
        });
    let units: Vec<(Variant, WorkUnit, f64)> = plan
        .variants
        .iter()
        .map(|&v| match v {
            Variant::Sleep => (
                v,
                WorkUnit::Sleep(plan.sleep),
                plan.sleep.as_secs_f64() * 1e3,
            ),
            Variant::Cpu => {
                let c = calibration.expect("calibrated when cpu is planned");
                (v, WorkUnit::Cpu { iters: c.iters }, c.target_ms)
            }
        })
        .collect();
    let timeouts: Vec<(Variant, Duration)> = units
        .iter()
        .map(|&(v, _, unit_ms)| {
            (
                v,
                plan.timeout
                    .unwrap_or_else(|| default_timeout(jobs.len(), unit_ms)),
            )
        })
        .collect();

    let mut meta = Meta {
        concbench_version: env!("CARGO_PKG_VERSION").into(),
        status: "running".into(),
        command_line: plan.command_line.clone(),
        started_at: machine::utc_now(),
        finished_at: None,
        total_wall_s: None,
        machine,
        parameters: parameters(plan, &jobs, &timeouts),
        calibration,
        background: BackgroundLoad {
            before_pct_of_core: before,
            threshold_pct_of_core: BUSY_THRESHOLD_PCT,
            ..Default::default()
        },
        sampler: None,
        mismatches: 0,
        python: strategy::python::describe_for_plan(
            &plan.strategies,
            calibration.as_ref(),
            ctx.runtime.python.as_deref(),
        ),
        gil_switch_interval_ms: plan
            .strategies
            .iter()
            .any(|s| s.name == strategy::gil::INFO.name)
            .then_some(ctx.runtime.switch_interval.as_secs_f64() * 1e3),
        bootstrap: Some(crate::stats::BootstrapSettings::default()),
        claims: None,
    };
    let meta_path = out.join(META_JSON);
    records::write_meta(&meta_path, &meta)?;

    let configs = plan.configurations();
    let mut prepared = Vec::with_capacity(configs.len());
    for &(info, workers) in &configs {
        prepared.push((info.build)(workers, ctx)?);
    }

    let progress = progress_bar(plan, configs.len() * units.len());
    if before.is_some_and(|b| b > BUSY_THRESHOLD_PCT) {
        progress.suspend(|| warn_busy("before the run", before.unwrap_or(0.0)));
    }
    let tag = TrialTag::default();
    let sampler = CpuSampler::start(plan.sample_interval, epoch, tag.clone(), samples)?;
    let load_start = LoadMark::now();
    let mut measured: Vec<RunRow> = Vec::new();
    let mut rng = match plan.order {
        Order::Shuffled { seed } => Some(SplitMix64::new(seed)),
        Order::RoundRobin => None,
    };

    let mut failure: Option<Error> = None;
    'variants: for &(variant, unit, unit_ms) in &units {
        let timeout = timeouts
            .iter()
            .find(|t| t.0 == variant)
            .map_or(Duration::MAX, |t| t.1);
        let reference = workload::reference_results(&jobs);
        for round in 0..plan.warmup + plan.reps {
            let warm = round < plan.warmup;
            let mut order: Vec<usize> = (0..prepared.len()).collect();
            if let Some(rng) = rng.as_mut() {
                rng.shuffle(&mut order);
            }
            for &i in &order {
                let strategy = prepared[i].as_mut();
                let label = trial_label(variant, strategy, round, plan.warmup);
                progress.set_message(label.clone());
                match run_trial(strategy, &jobs, unit, &tag, &label, timeout, epoch) {
                    Err(e) => {
                        failure = Some(e);
                        break 'variants;
                    }
                    Ok((output, usage, started_s, ended_s)) => {
                        let correct = output.results == reference;
                        if !correct {
                            meta.mismatches += 1;
                            progress.suspend(|| {
                                eprintln!(
                                    "concbench: trial {label} returned wrong results: {}",
                                    first_difference(&jobs, &reference, &output.results)
                                )
                            });
                        }
                        if !warm {
                            let row = RunRow {
                                variant,
                                strategy: strategy.name().to_string(),
                                workers: strategy.workers(),
                                items: plan.numbers.len(),
                                jobs: jobs.len(),
                                unit_ms,
                                rep: round - plan.warmup + 1,
                                wall_s: usage.wall_s,
                                cpu_user_s: usage.cpu.user_s,
                                cpu_sys_s: usage.cpu.sys_s,
                                cpu_total_s: usage.cpu.total_s(),
                                cores_busy: usage.cores_busy(),
                                peak_rss_kib: usage.peak_rss_kib,
                                child_peak_rss_kib: output.child_peak_rss_kib,
                                correct,
                                started_s,
                                ended_s,
                            };
                            runs.write(std::slice::from_ref(&row))?;
                            measured.push(row);
                            progress.inc(1);
                        }
                    }
                }
            }
        }
    }
    let load_end = LoadMark::now();
    let sampler_report = sampler.stop();
    progress.finish_and_clear();

    let during = load_end.others_pct_since(&load_start);
    meta.background.during_pct_of_core = during;
    meta.background.trustworthy = [before, during]
        .iter()
        .all(|x| x.is_none_or(|p| p <= BUSY_THRESHOLD_PCT));
    if during.is_some_and(|d| d > BUSY_THRESHOLD_PCT) {
        warn_busy("during the run", during.unwrap_or(0.0));
    }
    meta.sampler = sampler_report.as_ref().ok().copied();
    meta.finished_at = Some(machine::utc_now());
    meta.total_wall_s = Some(epoch.elapsed().as_secs_f64());
    let summary = summarize(&measured);
    records::write_csv(&out.join(SUMMARY_CSV), &summary)?;
    if let Some(e) = failure {
        meta.status = format!("failed: {e}");
        records::write_meta(&meta_path, &meta)?;
        return Err(e);
    }
    sampler_report?;
    meta.status = "complete".into();
    records::write_meta(&meta_path, &meta)?;
    Ok(Outcome {
        summary,
        meta,
        out_dir: out.to_path_buf(),
    })
}

type TrialResult = (
    strategy::StrategyOutput,
    crate::measure::usage::TrialUsage,
    f64,
    f64,
);

fn run_trial(
    strategy: &mut dyn Strategy,
    jobs: &[Job],
    unit: WorkUnit,
    tag: &TrialTag,
    label: &str,
    timeout: Duration,
    epoch: Instant,
) -> Result<TrialResult> {
    strategy.set_timeout(timeout);
    tag.set(label);
    let started_s = epoch.elapsed().as_secs_f64();
    let (output, mut usage) = measure(|| strategy.run(jobs, unit));
    let ended_s = epoch.elapsed().as_secs_f64();
    tag.clear();
    let output = output.map_err(|e| Error::Trial {
        trial: label.to_string(),
        message: e.to_string(),
    })?;
    // Strategies that start an interpreter measure their work themselves (see
    // Strategy::self_measured); their start-up is not part of the work.
    if let Some(work) = strategy.self_measured() {
        usage.wall_s = work.wall_s;
        usage.cpu = work.cpu;
    }
    Ok((output, usage, started_s, ended_s))
}

/// 10 s plus five times the sequential cost of the work: generous for any strategy, short
/// enough that a hung worker is noticed.
pub fn default_timeout(jobs: usize, unit_ms: f64) -> Duration {
    Duration::from_secs_f64(10.0 + 5.0 * jobs as f64 * unit_ms / 1e3)
}

fn trial_label(variant: Variant, s: &dyn Strategy, round: u32, warmup: u32) -> String {
    if round < warmup {
        format!("{variant}/{}/{}/warmup{}", s.name(), s.workers(), round + 1)
    } else {
        format!(
            "{variant}/{}/{}/rep{}",
            s.name(),
            s.workers(),
            round - warmup + 1
        )
    }
}

fn first_difference(jobs: &[Job], expected: &[i128], got: &[i128]) -> String {
    if expected.len() != got.len() {
        return format!("{} results instead of {}", got.len(), expected.len());
    }
    match (0..expected.len()).find(|&i| expected[i] != got[i]) {
        Some(i) => format!(
            "{} of {} should be {}, got {}",
            jobs[i].task.name(),
            jobs[i].number,
            expected[i],
            got[i]
        ),
        None => "no difference".into(),
    }
}

fn parameters(plan: &Plan, jobs: &[Job], timeouts: &[(Variant, Duration)]) -> Parameters {
    Parameters {
        variants: plan.variants.clone(),
        strategies: plan.strategies.iter().map(|s| s.name.to_string()).collect(),
        workers: plan.workers.clone(),
        numbers: plan.numbers.clone(),
        items: plan.numbers.len(),
        jobs: jobs.len(),
        sleep_ms: plan.sleep.as_secs_f64() * 1e3,
        cpu_ms: match plan.cpu {
            CpuUnit::Millis(ms) => Some(ms),
            CpuUnit::Iters(_) => None,
        },
        cpu_iters: match plan.cpu {
            CpuUnit::Iters(n) => Some(n),
            CpuUnit::Millis(_) => None,
        },
        reps: plan.reps,
        warmup: plan.warmup,
        order: match plan.order {
            Order::RoundRobin => "round-robin".into(),
            Order::Shuffled { .. } => "shuffled".into(),
        },
        seed: match plan.order {
            Order::Shuffled { seed } => Some(seed),
            Order::RoundRobin => None,
        },
        timeout_s: timeouts
            .iter()
            .map(|&(v, d)| (v, d.as_secs_f64()))
            .collect(),
        sample_interval_ms: plan.sample_interval.as_secs_f64() * 1e3,
    }
}

fn progress_bar(plan: &Plan, per_round: usize) -> ProgressBar {
    if !plan.show_progress {
        return ProgressBar::hidden();
    }
    // Hidden automatically when stderr is not a terminal.
    let pb = ProgressBar::new((per_round as u64) * plan.reps as u64);
    if let Ok(style) = ProgressStyle::with_template("{bar:30} {pos}/{len} trials, ETA {eta} {msg}")
    {
        pb.set_style(style);
    }
    pb
}

fn warn_busy(when: &str, pct: f64) {
    eprintln!(
        "concbench: warning: other processes used {pct:.0}% of a core {when} (threshold {BUSY_THRESHOLD_PCT:.0}%): these figures are not to be trusted"
    );
}

/// Check that an output folder can be written before anything runs.
pub fn check_writable(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let probe = dir.join(".concbench-write-test");
    std::fs::write(&probe, b"").map_err(|e| Error::io(dir, e))?;
    let _ = std::fs::remove_file(probe);
    Ok(())
}
