//! The executor: runs one trial of one arm and measures it, the same way for every question
//! concbench asks (`run`, `claim`, `sweep`).
//!
//! Each trial goes through the same steps, so none inherits a state another did not:
//! 1. **settle**: wait (briefly) until concbench's own threads are idle, so a rayon pool still
//!    spinning after the last trial is not counted in this one;
//! 2. on a **fresh thread** started for this trial: `prepare` (untimed: the ceiling's parked
//!    threads, an interpreter waiting for "go"), **prime** every core with a short busy phase
//!    (untimed), then the timed `run`, then `finish` (untimed: reaping, last checks). The fresh
//!    thread matters on Linux: a thread that just ran a long single-threaded trial carries a
//!    load history, and threads it spawns next are all placed on the *other* core and spread
//!    out only milliseconds later (measured: 5 % on a 100 ms trial);
//! 3. **measure**: wall clock and getrusage of concbench and its reaped children around `run`
//!    only, minus what concbench's sampler thread used meanwhile; other processes' CPU over the
//!    whole trial, from the most precise counter the machine offers;
//! 4. **verify**: the results against the reference.

use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::lifecycle;
use crate::measure::load::{LoadMark, LoadSource, best_source};
use crate::measure::memory::{MemoryPeak, MemoryWatch};
use crate::measure::sampler::{SamplerClock, TrialTag};
use crate::measure::usage::{CpuTimes, TrialUsage, measure};
use crate::strategy::{Strategy, StrategyOutput};
use crate::workload::{self, Job, Variant, WorkUnit, burn};

/// One configuration to measure: a strategy with its workers, on one variant and unit.
pub struct Arm {
    pub variant: Variant,
    pub unit: WorkUnit,
    /// Nominal cost of one job in ms (the sleep, or the calibrated CPU burn).
    pub unit_ms: f64,
    pub timeout: Duration,
    pub strategy: Box<dyn Strategy>,
    /// Measured repetitions recorded so far.
    pub measured: u32,
    /// How long its last trial took in all (settling, preparing, priming, running,
    /// finishing): what one more repetition will cost.
    pub last_cost: Duration,
}

impl Arm {
    /// `variant/strategy/workers`: the name of a configuration in files and messages.
    pub fn key(&self) -> String {
        format!(
            "{}/{}/{}",
            self.variant,
            self.strategy.label(),
            self.strategy.workers()
        )
    }
}

/// What every trial goes through before its clock starts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Preparation {
    /// Run each trial on a thread started for it.
    pub fresh_thread: bool,
    /// Wait at most this long for concbench's own threads to go idle.
    pub settle_max: Duration,
    /// Keep every core busy this long just before the clock starts.
    pub prime: Duration,
}

impl Default for Preparation {
    fn default() -> Self {
        Preparation {
            fresh_thread: true,
            settle_max: Duration::from_millis(50),
            prime: Duration::from_millis(DEFAULT_PRIME_MS),
        }
    }
}

/// Default busy phase before each trial, in ms.
pub const DEFAULT_PRIME_MS: u64 = 0;

/// One measured trial.
#[derive(Debug, Clone)]
pub struct Trial {
    pub output: StrategyOutput,
    pub usage: TrialUsage,
    pub started_s: f64,
    pub ended_s: f64,
    /// Other processes' CPU over the whole trial (prepare to finish), % of one core.
    pub others_pct: Option<f64>,
    /// The http variant's server's CPU over the whole trial (prepare to finish), kept out of
    /// the strategy's CPU and out of other processes' use; `None` for other variants.
    pub server_cpu_s: Option<f64>,
    /// The sampler thread's CPU during `run`, already taken out of `usage`.
    pub sampler_cpu_s: f64,
    /// Peak memory of concbench and the processes it started, above the trial's baseline;
    /// the memory sampler's CPU is already taken out of `usage`.
    pub memory: MemoryPeak,
    pub correct: bool,
    /// What differs from the reference, when not correct.
    pub difference: Option<String>,
}

/// Runs trials: the jobs, their reference results and how trials are prepared.
pub struct Executor {
    epoch: Instant,
    pub jobs: Vec<Job>,
    reference: Vec<i128>,
    tag: TrialTag,
    sampler: SamplerClock,
    preparation: Preparation,
    cores: usize,
    load_source: Option<LoadSource>,
    memory: MemoryWatch,
}

impl Executor {
    pub fn new(
        epoch: Instant,
        numbers: &[i64],
        tag: TrialTag,
        sampler: SamplerClock,
        preparation: Preparation,
    ) -> Self {
        let jobs = workload::jobs_for(numbers);
        Executor {
            epoch,
            reference: workload::reference_results(&jobs),
            jobs,
            tag,
            sampler,
            preparation,
            cores: crate::measure::machine::available_parallelism(),
            load_source: best_source(),
            memory: MemoryWatch::start(crate::measure::memory::DEFAULT_INTERVAL),
        }
    }

    pub fn preparation(&self) -> Preparation {
        self.preparation
    }

    /// The memory watch, for what its sampling cost over the run.
    pub fn memory_watch(&self) -> &MemoryWatch {
        &self.memory
    }

    /// Run and measure one trial of `arm`, labelled `label` in messages and samples.
    /// A stop signal during the trial gives [`Error::Interrupted`]; the trial is not kept.
    pub fn run(&self, arm: &mut Arm, label: &str) -> Result<Trial> {
        if lifecycle::stop_requested() {
            return Err(Error::interrupted());
        }
        settle(self.preparation.settle_max);
        let server = ServerMark::before(arm.variant);
        let before = LoadMark::with(self.load_source);
        let measured = if self.preparation.fresh_thread {
            std::thread::scope(|s| {
                std::thread::Builder::new()
                    .name("concbench-trial".into())
                    .spawn_scoped(s, || self.measure_arm(arm, label))
                    .map_err(|e| Error::Measurement(format!("cannot start a trial thread: {e}")))?
                    .join()
                    .map_err(|_| Error::Measurement(format!("trial {label} panicked")))?
            })
        } else {
            self.measure_arm(arm, label)
        };
        // The executor's measurement, or the strategy's own where it has one (py-*).
        let reporting = arm.strategy.self_reporting();
        let external_cpu_s = reporting.as_ref().map_or(0.0, |r| r.external_cpu_s());
        let work = reporting.and_then(|r| r.self_measured());
        // The server's CPU is ours, not another process's.
        let server_cpu_s = server.and_then(ServerMark::since);
        let others_pct = LoadMark::with(self.load_source)
            .others_pct_besides(&before, external_cpu_s + server_cpu_s.unwrap_or(0.0));
        if lifecycle::stop_requested() {
            return Err(Error::interrupted());
        }
        let (output, mut usage, started_s, ended_s, sampler_cpu_s, memory) =
            measured.map_err(|e| match e {
                Error::Trial { .. } | Error::Interrupted { .. } | Error::Write { .. } => e,
                e => Error::Trial {
                    trial: label.to_string(),
                    message: e.to_string(),
                },
            })?;
        // Strategies that start an interpreter measure their work themselves.
        if let Some(work) = work {
            usage.wall_s = work.wall_s;
            usage.cpu = work.cpu;
        }
        let difference = (output.results != self.reference)
            .then(|| first_difference(&self.jobs, &self.reference, &output.results));
        Ok(Trial {
            correct: difference.is_none(),
            difference,
            output,
            usage,
            started_s,
            ended_s,
            others_pct,
            server_cpu_s,
            sampler_cpu_s,
            memory,
        })
    }

    #[allow(clippy::type_complexity)]
    fn measure_arm(
        &self,
        arm: &mut Arm,
        label: &str,
    ) -> Result<(StrategyOutput, TrialUsage, f64, f64, f64, MemoryPeak)> {
        let strategy = arm.strategy.as_mut();
        strategy.set_timeout(arm.timeout);
        if let Err(e) = strategy.prepare(&self.jobs, arm.unit) {
            let _ = strategy.finish();
            return Err(e);
        }
        prime(self.cores, self.preparation.prime);
        self.tag.set(label);
        self.memory.begin(strategy.uses_child_processes());
        let sampler0 = self.sampler.cpu_s();
        let started_s = self.epoch.elapsed().as_secs_f64();
        let (output, mut usage) = measure(|| strategy.run(&self.jobs, arm.unit));
        let ended_s = self.epoch.elapsed().as_secs_f64();
        let sampler_cpu_s = (self.sampler.cpu_s() - sampler0).max(0.0);
        let memory = self.memory.end();
        self.tag.clear();
        let finished = strategy.finish();
        let output = output?;
        finished?;
        // Both samplers run in this process, so getrusage(SELF) counted them: out they go. The
        // memory sampler's time is reading /proc, system time; any rest comes out of user time.
        let sys_s = (usage.cpu.sys_s - memory.sampler_cpu_s).max(0.0);
        let rest = memory.sampler_cpu_s - (usage.cpu.sys_s - sys_s);
        usage.cpu = CpuTimes {
            user_s: (usage.cpu.user_s - sampler_cpu_s - rest).max(0.0),
            sys_s,
        };
        Ok((output, usage, started_s, ended_s, sampler_cpu_s, memory))
    }
}

/// The http server's CPU when a trial of the http variant starts.
#[derive(Debug, Clone, Copy)]
struct ServerMark {
    pid: u32,
    cpu_s: f64,
}

impl ServerMark {
    fn before(variant: Variant) -> Option<ServerMark> {
        let pid = (variant == Variant::Http)
            .then(crate::http::child::running_pid)
            .flatten()?;
        let cpu_s = crate::http::child::process_cpu_s(pid)?;
        Some(ServerMark { pid, cpu_s })
    }

    /// What it used since (10 ms ticks of /proc/PID/stat).
    fn since(self) -> Option<f64> {
        let now = crate::http::child::process_cpu_s(self.pid)?;
        Some((now - self.cpu_s).max(0.0))
    }
}

/// Wait until concbench's own threads use less than 5 % of a core over 0.5 ms windows, for at
/// most `max`: a thread pool still spinning after the last trial must not be counted in this
/// one.
fn settle(max: Duration) {
    let deadline = Instant::now() + max;
    let window = Duration::from_micros(500);
    loop {
        let before = CpuTimes::now();
        let t = Instant::now();
        std::thread::sleep(window);
        let busy = CpuTimes::now().since(before).total_s() / t.elapsed().as_secs_f64();
        if busy < 0.05 || Instant::now() >= deadline {
            return;
        }
    }
}

/// Keep `cores` cores busy for `d` (untimed), then let them go: the cores a trial will use
/// start from the same state, however idle the trial before left them.
pub fn prime(cores: usize, d: Duration) {
    if d.is_zero() {
        return;
    }
    let deadline = Instant::now() + d;
    std::thread::scope(|s| {
        for _ in 0..cores.max(1) {
            s.spawn(move || {
                while Instant::now() < deadline {
                    std::hint::black_box(burn(4096));
                }
            });
        }
    });
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
