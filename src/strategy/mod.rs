//! Strategies: ways of running the same jobs. Each lives in its own file behind [`Strategy`];
//! adding one means writing that file and adding one line to [`REGISTRY`].
//!
//! A strategy only runs jobs and returns their results in job order. It neither times itself
//! nor checks its own results: the experiment measures around [`Strategy::run`] and verifies
//! the output against the sequential reference.

pub mod async_tasks;
pub mod ceiling;
pub mod gil;
pub mod processes;
pub mod python;
pub mod rayon;
pub mod sequential;
pub mod threads;

use std::path::PathBuf;
use std::time::Duration;

use crate::measure::usage::CpuTimes;

use crate::error::{Error, Result};
use crate::workload::{Job, WorkUnit};

/// What one run of a strategy produced.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StrategyOutput {
    /// One result per job, in job order.
    pub results: Vec<i128>,
    /// Pids of the child processes that did the work (empty for in-process strategies).
    pub child_pids: Vec<u32>,
    /// Largest peak RSS among the reaped children, in KiB.
    pub child_peak_rss_kib: Option<u64>,
    /// How many results the children appended to their own global list (the tutorial's
    /// `result.append`): proof that each child had its own copy, never the parent's.
    pub child_appends: Vec<usize>,
}

impl StrategyOutput {
    pub fn in_process(results: Vec<i128>) -> Self {
        StrategyOutput {
            results,
            ..Default::default()
        }
    }
}

/// A way of running jobs. Built once per (strategy, workers) outside any timed region; `run`
/// is what gets timed.
pub trait Strategy: Send {
    /// The registry name (`threads`, `rayon`, ...).
    fn name(&self) -> &'static str;
    /// The name in files and tables: the registry name, plus `+KERNEL` and `@VERSION` for a
    /// CPython strategy on a non-default kernel or one of several interpreters
    /// (`py-threads+native@3.12`).
    fn label(&self) -> String {
        self.name().to_string()
    }
    /// Number of workers this instance uses.
    fn workers(&self) -> usize;
    /// Untimed, just before the clock starts: get ready what is not part of the strategy's
    /// cost (the ceiling's parked threads; an interpreter started and waiting for "go").
    /// Strategies whose start-up is part of what they cost (threads, processes) do nothing.
    fn prepare(&mut self, _jobs: &[Job], _unit: WorkUnit) -> Result<()> {
        Ok(())
    }
    /// Run every job once with the given unit of work and return the results in job order.
    /// This is what is timed.
    fn run(&mut self, jobs: &[Job], unit: WorkUnit) -> Result<StrategyOutput>;
    /// Untimed, after the clock stops, whether `run` succeeded or not: reap what the trial
    /// started and make the last checks (an interpreter's exit status).
    fn finish(&mut self) -> Result<()> {
        Ok(())
    }
    /// Strategies that can hang (child processes) stop a trial that runs longer than this.
    fn set_timeout(&mut self, _timeout: Duration) {}
    /// Whether the work runs in other processes (worker processes, an interpreter): their
    /// memory is then sampled during the trial, not only concbench's own.
    fn uses_child_processes(&self) -> bool {
        false
    }
    /// Jobs sent to a worker in one message, for strategies that send them (processes).
    fn chunk_size(&self, _jobs: usize) -> Option<usize> {
        None
    }
    /// What the strategy measures itself, beyond the executor's clock and getrusage: only the
    /// py-* strategies have it. The executor picks its measurement per arm by this.
    fn self_reporting(&mut self) -> Option<&mut dyn SelfReporting> {
        None
    }
}

/// What a strategy that starts or shares an interpreter measures and keeps itself (the py-*
/// strategies), apart from [`Strategy`] so that the other strategies know nothing of it (as
/// criterion's `Measurement` is apart from its benchmarks). The executor uses it for the arms
/// whose strategy has one ([`Strategy::self_reporting`]).
pub trait SelfReporting {
    /// The cost of the work alone, for strategies whose timed call also pays a start-up that is
    /// not part of the work (an interpreter started each trial): recorded instead of the
    /// executor's measurement of the whole call; `None` keeps the executor's.
    fn self_measured(&self) -> Option<SelfMeasured>;
    /// Which interpreter process ran the last trial: trials of two arms with the same number
    /// ran in one process, and their comparison is paired.
    fn process_id(&self) -> Option<u64>;
    /// CPU used for the last trial by processes concbench has not reaped yet (a shared
    /// interpreter): taken out of what counts as other processes' use during the trial.
    fn external_cpu_s(&self) -> f64;
    /// After every round the strategy ran in: end what lives for one round (a shared
    /// interpreter), between trials rather than inside one.
    fn end_round(&mut self) -> Result<()>;
}

/// Wall and CPU time of the work of the last run, measured inside the strategy (see
/// [`SelfReporting::self_measured`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SelfMeasured {
    pub wall_s: f64,
    /// CPU of the process that did the work plus its reaped children.
    pub cpu: CpuTimes,
    /// Untimed preparation the strategy measured (a pool's start-up), reported separately.
    pub setup_s: Option<f64>,
    /// Whether the GIL was on when the work ended, where the runtime says (CPython 3.13+).
    pub gil_enabled: Option<bool>,
}

/// What some strategies need from outside: the worker binary and how long a trial may take.
#[derive(Debug, Clone)]
pub struct StrategyContext {
    /// The worker binary: the small `concbench-worker` beside concbench when it exists,
    /// otherwise concbench itself with the hidden `worker` subcommand.
    pub worker_exe: PathBuf,
    /// `Some("worker")` when `worker_exe` is concbench itself.
    pub worker_subcommand: Option<String>,
    /// The concbench binary itself (the claims' demonstrations start its hidden subcommands).
    pub concbench_exe: PathBuf,
    /// Jobs per message for `processes`.
    pub chunk: processes::Chunk,
    /// Extra arguments for every worker (tests use them to inject faults).
    pub worker_args: Vec<String>,
    /// A trial that takes longer is stopped and reported as hung.
    pub timeout: Duration,
    /// The Python interpreter and the gil model's switch interval.
    pub runtime: RuntimeSettings,
    /// The interpreter host the py-* strategies built with this context share (one per block);
    /// `None`: each gets its own, one trial per process.
    pub py_host: Option<std::sync::Arc<python::PyHost>>,
}

impl StrategyContext {
    /// The workers of the binary currently running, as used by `concbench run`: the small
    /// `concbench-worker` beside it when there is one.
    pub fn current_exe(timeout: Duration) -> Result<Self> {
        let exe = std::env::current_exe()
            .map_err(|e| Error::Measurement(format!("cannot locate the concbench binary: {e}")))?;
        Ok(Self::with_worker_near(&exe, timeout))
    }

    /// The workers for the concbench binary `exe`: `concbench-worker` in the same folder if it
    /// is there, else `exe worker`.
    pub fn with_worker_near(exe: &std::path::Path, timeout: Duration) -> Self {
        let lean = exe.with_file_name(WORKER_BINARY);
        let (worker_exe, worker_subcommand) = if lean.is_file() {
            (lean, None)
        } else {
            (exe.to_path_buf(), Some("worker".to_string()))
        };
        StrategyContext {
            worker_exe,
            worker_subcommand,
            concbench_exe: exe.to_path_buf(),
            chunk: processes::Chunk::Auto,
            worker_args: Vec::new(),
            timeout,
            runtime: RuntimeSettings::default(),
            py_host: None,
        }
    }
}

/// How a strategy joins a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// One of the default run's strategies.
    Default,
    /// Run only when listed (`--strategy py-pool`): the default run shows what it always did.
    OnRequest,
    /// A measurement of the machine rather than a way to run jobs (`ceiling`): added to plans
    /// by itself where it applies.
    Reference,
}

/// The small binary `processes` starts (built beside concbench by cargo).
pub const WORKER_BINARY: &str = "concbench-worker";

/// A registry entry.
pub struct StrategyInfo {
    pub name: &'static str,
    pub summary: &'static str,
    /// False for strategies that always use one worker (sequential): `--workers` is ignored.
    pub uses_workers: bool,
    /// Whether a plan runs it without being asked.
    pub role: Role,
    /// The most workers it can run with, and why (`--workers` above it is refused).
    pub max_workers: WorkerLimit,
    pub build: fn(workers: usize, ctx: &StrategyContext) -> Result<Box<dyn Strategy>>,
}

/// The most workers a strategy holds, with the reason, for the one-line refusal above it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkerLimit {
    pub max: usize,
    pub why: &'static str,
}

impl WorkerLimit {
    /// The most concurrent waits any strategy runs: threads, async tasks, coroutines.
    pub const WAITS: WorkerLimit = WorkerLimit {
        max: 100_000,
        why: "the most concurrent waits concbench runs",
    };
    /// Strategies built for CPU work: one OS thread or process per worker, sized to cores.
    pub const CPU_POOL: WorkerLimit = WorkerLimit {
        max: 1024,
        why: "one OS thread or process per worker, sized for CPU work, not for waiting",
    };
}

impl std::fmt::Debug for StrategyInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

impl StrategyInfo {
    /// A strategy that runs with N workers, in every plan by default.
    pub const fn parallel(
        name: &'static str,
        summary: &'static str,
        build: fn(workers: usize, ctx: &StrategyContext) -> Result<Box<dyn Strategy>>,
    ) -> StrategyInfo {
        StrategyInfo {
            name,
            summary,
            uses_workers: true,
            role: Role::Default,
            max_workers: WorkerLimit::CPU_POOL,
            build,
        }
    }

    /// The strategy this one's speedup is relative to: the sequential run of the same runtime
    /// (`py-sequential` for the CPython strategies, `sequential` for everything else).
    pub fn baseline(&self) -> String {
        baseline_of(self.name)
    }
}

/// The baseline of a strategy by label (see [`Strategy::label`]): `sequential` for Rust
/// strategies and the gil model; for a CPython one, `py-sequential` on the same kernel and
/// interpreter (`py-threads+native@3.12` -> `py-sequential+native@3.12`).
pub fn baseline_of(label: &str) -> String {
    if label.starts_with(python::PREFIX) {
        format!("{}{}", python::BASELINE, label_suffix(label))
    } else {
        BASELINE.to_string()
    }
}

/// The registry name in a label (`py-threads@3.12` -> `py-threads`).
pub fn name_in_label(label: &str) -> &str {
    label.split(['+', '@']).next().unwrap_or(label)
}

/// What a label adds to the registry name (`py-threads+native@3.12` -> `+native@3.12`).
pub fn label_suffix(label: &str) -> &str {
    label.find(['+', '@']).map_or("", |i| &label[i..])
}

/// Every strategy, in display order. Speedups are relative to each one's
/// [`StrategyInfo::baseline`].
pub const REGISTRY: &[StrategyInfo] = &[
    sequential::INFO,
    threads::INFO,
    async_tasks::INFO,
    rayon::INFO,
    processes::INFO,
    gil::INFO,
    python::SEQUENTIAL,
    python::THREADS,
    python::ASYNCIO,
    python::PROCESSES,
    python::POOL,
    python::INTERPRETERS,
    python::DASK,
    ceiling::INFO,
];

/// The strategies a plan runs by default.
pub fn default_strategies() -> Vec<&'static StrategyInfo> {
    REGISTRY
        .iter()
        .filter(|s| s.role == Role::Default)
        .collect()
}

/// One line per strategy, for `--help`.
pub fn help_lines() -> String {
    REGISTRY
        .iter()
        .map(|s| format!("  {:<13} {}", s.name, s.summary))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Look a strategy up by name.
pub fn find(name: &str) -> Result<&'static StrategyInfo> {
    REGISTRY.iter().find(|s| s.name == name).ok_or_else(|| {
        Error::Usage(format!(
            "--strategy: unknown strategy '{name}' (expected one of: {})",
            names().join(", ")
        ))
    })
}

/// All registered names.
pub fn names() -> Vec<&'static str> {
    REGISTRY.iter().map(|s| s.name).collect()
}

/// The baseline of the Rust strategies (and of the gil model, which runs Rust code).
pub const BASELINE: &str = "sequential";

/// Settings of the runtimes that concbench models (`gil`) or runs (`py-*`), from the front
/// end's flags; part of the [`StrategyContext`] every strategy is built with.
#[derive(Debug, Clone, PartialEq)]
pub struct RuntimeSettings {
    /// The Python interpreter (`--python`); `None` means `python3` from PATH.
    pub python: Option<PathBuf>,
    /// The gil model's switch interval (`--switch-interval-ms`).
    pub switch_interval: Duration,
    /// The CPU kernel of the py-* strategies (`--py-kernel`).
    pub py_kernel: python::PyKernel,
    /// Added to the py-* strategies' names in files and tables (`@3.12`, `+native`), when a
    /// run has more than one interpreter or kernel to tell apart.
    pub py_label: String,
    /// py-dask: an existing Dask scheduler to run on (`--dask-scheduler`) instead of a
    /// LocalCluster started for each trial.
    pub dask_scheduler: Option<String>,
    /// How py-processes and py-pool start their workers (`--start-method`); `None`: the
    /// interpreter's own default.
    pub start_method: Option<python::StartMethod>,
}

impl Default for RuntimeSettings {
    fn default() -> Self {
        RuntimeSettings {
            python: None,
            switch_interval: gil::DEFAULT_SWITCH_INTERVAL,
            py_kernel: python::PyKernel::default(),
            py_label: String::new(),
            dask_scheduler: None,
            start_method: None,
        }
    }
}
