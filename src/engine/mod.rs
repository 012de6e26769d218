//! The trial engine shared by every question concbench asks: `run`, `claim` and `sweep` build
//! their arms and ask for rounds; the engine orders them ([`schedule`]), runs and measures each
//! trial the same way ([`executor`]) and streams the rows to the run's folder ([`session`]).
//!
//! ```text
//! arms ──> Schedule (counterbalanced, seeded; blocks kept together)
//!            │
//!            ▼
//!          Executor (settle, fresh thread, prepare, prime, timed run, finish, verify)
//!            │   ▲ lifecycle: a stop signal kills the trial's children and ends the round
//!            ▼
//!          Session (runs.csv, samples.csv streamed; meta.json status)
//! ```
//! A question module never measures by itself: it builds arms, asks for rounds, and reads
//! the rows back.

pub mod executor;
pub mod schedule;
pub mod session;

use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

pub use executor::{Arm, DEFAULT_PRIME_MS, Executor, Preparation, Trial};
pub use schedule::{Order, Schedule};
pub use session::{MetaSection, Session, Status};

use crate::error::{Error, Result};
use crate::records::{Discipline, MemorySamplerReport, RunRow};

/// Re-run a trial during which other processes were busy (the claim runner uses it): at most
/// `max_retries` times per trial, and only until `until`, so constant load cannot stall a run.
#[derive(Debug, Clone, Copy)]
pub struct RerunRule {
    pub busy_pct: f64,
    pub max_retries: u32,
    pub until: Instant,
}

/// What to do with a trial whose results are wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnWrongResults {
    /// Keep it (correct=false in runs.csv), warn, and count it in meta.json.
    Record,
    /// Fail the run: nothing may rest on it.
    Fail,
}

/// What runs one trial of an arm: the [`Executor`], or a fake one in tests (hyperfine's
/// `MockExecutor` is the model), so the rounds, the rows and the policies above them can be
/// tested without timing anything.
pub trait RunTrial: Send {
    /// Run and measure one trial of `arm`, labelled `label` in messages.
    fn run(&self, arm: &mut Arm, label: &str) -> Result<Trial>;
    /// Jobs per trial.
    fn jobs(&self) -> usize;
    /// Jobs per trial of `arm` (a wait sweep gives each waiter count its own jobs).
    fn jobs_of(&self, _arm: &Arm) -> usize {
        self.jobs()
    }
    /// What measuring memory cost over the trials so far (none where nothing measured it).
    fn memory_report(&self) -> Option<MemorySamplerReport> {
        None
    }
}

impl RunTrial for Executor {
    fn run(&self, arm: &mut Arm, label: &str) -> Result<Trial> {
        Executor::run(self, arm, label)
    }
    fn jobs(&self) -> usize {
        self.jobs.len()
    }
    fn memory_report(&self) -> Option<MemorySamplerReport> {
        let watch = self.memory_watch();
        let t = watch.totals();
        Some(MemorySamplerReport {
            interval_ms: watch.interval().as_secs_f64() * 1e3,
            sampled_trials: t.sampled_trials,
            samples: t.samples,
            cpu_s: t.cpu_s,
            sampling_wall_s: t.sampling_wall_s,
            overhead_pct_of_core: if t.sampling_wall_s > 0.0 {
                100.0 * t.cpu_s / t.sampling_wall_s
            } else {
                0.0
            },
        })
    }
}

/// Arms, an executor and a session: ask it for rounds.
pub struct Engine {
    pub session: Session,
    pub executor: Box<dyn RunTrial>,
    pub arms: Vec<Arm>,
    pub progress: ProgressBar,
    pub rerun: Option<RerunRule>,
    pub on_wrong: OnWrongResults,
    /// Trials thrown away by the rerun rule.
    pub discarded_busy: u32,
    /// The arm that ran last, for `after`.
    last: Option<String>,
    /// Measured rounds so far.
    rounds: u32,
}

impl Engine {
    pub fn new(session: Session, executor: Box<dyn RunTrial>, arms: Vec<Arm>) -> Engine {
        Engine {
            session,
            executor,
            arms,
            progress: ProgressBar::hidden(),
            rerun: None,
            on_wrong: OnWrongResults::Record,
            discarded_busy: 0,
            last: None,
            rounds: 0,
        }
    }

    /// A progress bar of `trials` measured trials on stderr (hidden when it is not a terminal).
    pub fn show_progress(&mut self, trials: u64) {
        let pb = ProgressBar::new(trials);
        if let Ok(style) =
            ProgressStyle::with_template("{bar:30} {pos}/{len} trials, ETA {eta} {msg}")
        {
            pb.set_style(style);
        }
        self.progress = pb;
    }

    /// Print a line without tearing the progress bar.
    pub fn say(&self, line: &str) {
        self.progress.suspend(|| eprintln!("{line}"));
    }

    /// Run one round: each arm of `order` once, in that order. Warm-up rounds are measured
    /// and verified but not recorded.
    pub fn round(&mut self, order: &[usize], warm: bool) -> Result<()> {
        for (position, &i) in order.iter().enumerate() {
            self.trial(i, position as u32, warm)?;
        }
        for &i in order {
            let arm = &mut self.arms[i];
            let key = arm.key();
            if let Some(r) = arm.strategy.self_reporting() {
                r.end_round().map_err(|e| Error::Trial {
                    trial: format!("{key}/end of round"),
                    message: e.to_string(),
                })?;
            }
        }
        if !warm {
            self.rounds += 1;
        }
        Ok(())
    }

    fn trial(&mut self, i: usize, position: u32, warm: bool) -> Result<()> {
        let mut retries = 0;
        loop {
            let arm = &mut self.arms[i];
            let label = if warm {
                format!("{}/warmup", arm.key())
            } else {
                format!("{}/rep{}", arm.key(), arm.measured + 1)
            };
            self.progress.set_message(label.clone());
            let started = Instant::now();
            let trial = self.executor.run(arm, &label)?;
            arm.last_cost = started.elapsed();
            let after = self.last.replace(arm.key()).unwrap_or_default();
            if let Some(diff) = &trial.difference {
                if self.on_wrong == OnWrongResults::Fail {
                    return Err(Error::Trial {
                        trial: label,
                        message: format!("returned wrong results ({diff}): nothing may rest on it"),
                    });
                }
                self.session.meta.mismatches += 1;
                self.say(&format!(
                    "concbench: trial {label} returned wrong results: {diff}"
                ));
            }
            if warm {
                return Ok(());
            }
            if let Some(rule) = self.rerun
                && trial.others_pct.is_some_and(|o| o > rule.busy_pct)
                && retries < rule.max_retries
                && Instant::now() < rule.until
            {
                retries += 1;
                self.discarded_busy += 1;
                continue;
            }
            let jobs = self.executor.jobs_of(&self.arms[i]);
            let arm = &mut self.arms[i];
            arm.measured += 1;
            let row = run_row(arm, &trial, jobs, self.rounds, position, after);
            self.session.record(row)?;
            self.progress.inc(1);
            return Ok(());
        }
    }

    /// Finish: clear the progress bar and close the session with `status`.
    pub fn close(mut self, status: &Status) -> (crate::records::Meta, Vec<RunRow>, Result<()>) {
        self.progress.finish_and_clear();
        self.session.meta.memory_sampler = self.executor.memory_report();
        self.session.close(status)
    }
}

/// How the trials are run, for meta.json: known before the first trial, so the first write of
/// meta.json already has it.
pub fn discipline(p: &Preparation, order: Order, seed: u64, balance_period: usize) -> Discipline {
    let source = crate::measure::load::best_source();
    Discipline {
        order: order.name().into(),
        seed,
        balance_period,
        fresh_thread: p.fresh_thread,
        settle_max_ms: p.settle_max.as_secs_f64() * 1e3,
        prime_ms: p.prime.as_secs_f64() * 1e3,
        load_source: source.map_or_else(|| "unavailable".into(), |s| s.describe()),
        load_resolution_s: source.map_or(0.0, |s| s.resolution_s()),
    }
}

/// The runs.csv row of one measured trial: built here and nowhere else.
fn run_row(
    arm: &mut Arm,
    trial: &Trial,
    jobs: usize,
    round: u32,
    position: u32,
    after: String,
) -> RunRow {
    let u = &trial.usage;
    let reported = arm.strategy.self_reporting();
    let setup_s = reported.as_ref().and_then(|r| r.self_measured()?.setup_s);
    let gil_enabled = reported
        .as_ref()
        .and_then(|r| r.self_measured()?.gil_enabled);
    let interpreter = reported.and_then(|r| r.process_id());
    RunRow {
        variant: arm.variant,
        strategy: arm.strategy.label(),
        workers: arm.strategy.workers(),
        items: jobs / 2,
        jobs,
        unit_ms: arm.unit_ms,
        rep: arm.measured,
        wall_s: u.wall_s,
        cpu_user_s: u.cpu.user_s,
        cpu_sys_s: u.cpu.sys_s,
        cpu_total_s: u.cpu.total_s(),
        cores_busy: u.cores_busy(),
        peak_rss_kib: u.peak_rss_kib,
        child_peak_rss_kib: trial.output.child_peak_rss_kib,
        mem_peak_bytes: Some(trial.memory.peak_bytes),
        mem_samples: trial.memory.samples,
        mem_sampler_cpu_s: trial.memory.sampler_cpu_s,
        correct: trial.correct,
        started_s: trial.started_s,
        ended_s: trial.ended_s,
        round,
        position,
        after,
        others_cpu_pct: trial.others_pct,
        server_cpu_s: trial.server_cpu_s,
        gil_enabled,
        sampler_cpu_s: trial.sampler_cpu_s,
        chunk: arm.strategy.chunk_size(jobs),
        setup_s,
        interpreter,
    }
}

/// 10 s plus five times the sequential cost of the work: generous for any strategy, short
/// enough that a hung worker is noticed.
pub fn default_timeout(jobs: usize, unit_ms: f64) -> Duration {
    Duration::from_secs_f64(10.0 + 5.0 * jobs as f64 * unit_ms / 1e3)
}
