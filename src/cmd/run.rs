//! `concbench run` (and `concbench` without a subcommand): fixed repetitions of every (variant,
//! strategy, workers), then the console table, the speed claims the data supports, and the
//! report.

use std::path::Path;
use std::time::Duration;

use clap::Args;

use super::Outcome;
use crate::cli::parse::{self, NumberList};
use crate::cli::{EngineArgs, random_seed};
use crate::engine::Order;
use crate::error::{Error, Result};
use crate::experiment::{self, CpuUnit, Plan};
use crate::results::FolderLock;
use crate::strategy::{self, StrategyContext};
use crate::worker::Fault;
use crate::workload::Variant;
use crate::{claim, console, records};

/// `concbench run` options.
#[derive(Args, Clone, Debug)]
pub struct RunArgs {
    /// Workload variants, comma-separated: sleep (each job sleeps), cpu (each job burns CPU)
    /// and/or http (each job is an HTTP request to a local server that answers after --sleep-ms)
    #[arg(long, value_name = "LIST", value_delimiter = ',', default_value = "sleep,cpu", value_parser = parse::variant)]
    pub variant: Vec<Variant>,

    /// Strategies, comma-separated [default: all but ceiling, which joins CPU-bound runs by
    /// itself, and py-pool, which runs when asked for]
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = parse::strategy_name, long_help = strategy_help())]
    pub strategy: Vec<String>,

    /// Worker counts, comma-separated (1-100000 or `auto` = available parallelism); every
    /// strategy runs with each, and refuses counts above its own limit (async 100000, threads
    /// and py-threads 30000, the CPU pools 1024, py-interpreters 64, py-dask 16:
    /// docs/methodology.md says why)
    #[arg(allow_negative_numbers = true, long, value_name = "LIST", value_delimiter = ',', default_value = "2", value_parser = parse::worker_count)]
    pub workers: Vec<usize>,

    /// The numbers to square and cube, comma-separated integers (negatives and 0 allowed)
    #[arg(allow_hyphen_values = true, long, value_name = "LIST", default_value = "2,3,8,9", value_parser = parse::numbers, conflicts_with = "items")]
    pub numbers: NumberList,

    /// Use the numbers 1..=N instead of --numbers (1-100000)
    #[arg(allow_negative_numbers = true, long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub items: Option<u64>,

    /// Milliseconds each job sleeps in the sleep variant, and the server's delay before each
    /// answer in the http variant (0.001-60000)
    #[arg(allow_negative_numbers = true, long, value_name = "MS", default_value = "25", value_parser = parse::job_ms)]
    pub sleep_ms: f64,

    /// Milliseconds of CPU each job burns in the cpu variant, calibrated on this machine
    /// (0.001-60000)
    #[arg(allow_negative_numbers = true, long, value_name = "MS", default_value = "25", value_parser = parse::job_ms, conflicts_with = "cpu_iters")]
    pub cpu_ms: f64,

    /// Fixed kernel iterations per CPU job instead of --cpu-ms, to compare machines
    #[arg(allow_negative_numbers = true, long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=1_000_000_000_000))]
    pub cpu_iters: Option<u64>,

    /// MiB every job maps and touches while it works, freed after it (1-1048576): a load whose
    /// peak is known, N MiB per job running at once, to check the memory figures against
    #[arg(allow_negative_numbers = true, long, value_name = "N", value_parser = parse::job_mb)]
    pub job_mb: Option<u64>,

    /// Measured repetitions of every configuration (1-100000)
    #[arg(allow_negative_numbers = true, long, value_name = "N", default_value_t = experiment::DEFAULT_REPS, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub reps: u32,

    /// Discarded warm-up repetitions before the measured ones (0-1000)
    #[arg(allow_negative_numbers = true, long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(0..=1000))]
    pub warmup: u32,

    #[command(flatten)]
    pub engine: EngineArgs,

    /// Same as --order shuffle
    #[arg(long, hide = true)]
    pub shuffle: bool,

    /// Run every trial on the calling thread instead of a thread started for it (to measure
    /// what that changes)
    #[arg(long, hide = true)]
    pub same_thread: bool,

    /// Don't measure the machine's parallel ceiling beside CPU-bound strategies
    #[arg(long)]
    pub no_ceiling: bool,

    /// Switch interval of the gil model in ms, like sys.setswitchinterval (0.01-10000)
    #[arg(long, value_name = "MS", default_value = "5", value_parser = parse::switch_interval_ms)]
    pub switch_interval_ms: f64,

    /// CPU kernel of the py-* strategies: bytecode (pure Python, holds the GIL) or native
    /// (hashlib.sha256 on 64 KiB buffers, releases the GIL)
    #[arg(long, value_name = "KERNEL", default_value = "bytecode")]
    pub py_kernel: strategy::python::PyKernel,

    /// Jobs per message to a worker process (processes): a number, or auto (Pool.map's rule,
    /// about 4 chunks per worker)
    #[arg(long, value_name = "N|auto", default_value = "auto")]
    pub chunk: strategy::processes::Chunk,

    /// Internal: make worker processes misbehave (crash, exit, hang, garbage; KIND@INDEX for one)
    #[arg(long, hide = true, value_name = "FAULT")]
    pub worker_fault: Option<Fault>,
}

fn strategy_help() -> String {
    format!(
        "Strategies, comma-separated [default: all but ceiling, which joins CPU-bound runs by itself, and py-pool, which runs when asked for]:\n{}",
        strategy::help_lines()
    )
}

/// The results folder of `run` unless `--out` says otherwise.
pub const DEFAULT_OUT: &str = "results/latest";

impl RunArgs {
    /// The validated plan (interpreters not yet probed).
    pub fn plan(&self) -> Result<Plan> {
        let e = &self.engine;
        let mut plan = Plan::tutorial(e.out_or(DEFAULT_OUT));
        plan.variants = dedup(self.variant.clone());
        if !self.strategy.is_empty() {
            plan.strategies = dedup(self.strategy.clone())
                .iter()
                .map(|s| strategy::find(s))
                .collect::<Result<_>>()?;
        }
        plan.workers = dedup(self.workers.clone());
        plan.study.numbers = match self.items {
            Some(n) => (1..=n as i64).collect(),
            None => self.numbers.0.clone(),
        };
        plan.sleep = Duration::from_secs_f64(self.sleep_ms / 1e3);
        plan.cpu = match self.cpu_iters {
            Some(n) => CpuUnit::Iters(n),
            None => CpuUnit::Millis(self.cpu_ms),
        };
        plan.job_bytes = self.job_mb.unwrap_or(0) << 20;
        plan.reps = self.reps;
        plan.warmup = self.warmup;
        plan.study.order = if self.shuffle {
            Order::Shuffled
        } else {
            e.order
        };
        plan.study.seed = e.seed_or(random_seed);
        plan.study.preparation = e.preparation();
        plan.study.preparation.fresh_thread = !self.same_thread;
        plan.ceiling = !self.no_ceiling;
        plan.timeout = e.timeout();
        plan.study.sample_interval = e.sample_interval();
        plan.show_progress = !e.quiet;
        plan.py_kernel = self.py_kernel;
        experiment::check_worker_limits(&plan)?;
        Ok(plan)
    }

    fn context(&self) -> Result<StrategyContext> {
        let mut ctx = StrategyContext::current_exe(Duration::from_secs(60))?;
        ctx.runtime = strategy::RuntimeSettings {
            switch_interval: Duration::from_secs_f64(self.switch_interval_ms / 1e3),
            py_kernel: self.py_kernel,
            dask_scheduler: self.engine.dask_scheduler.clone(),
            start_method: self.engine.start_method,
            ..strategy::RuntimeSettings::default()
        };
        ctx.chunk = self.chunk;
        if let Some(f) = &self.worker_fault {
            ctx.worker_args = vec!["--fault".into(), f.to_string()];
        }
        Ok(ctx)
    }
}

fn dedup<T: PartialEq>(items: Vec<T>) -> Vec<T> {
    let mut out = Vec::with_capacity(items.len());
    for x in items {
        if !out.contains(&x) {
            out.push(x);
        }
    }
    out
}

/// `concbench run`.
pub fn execute(args: &RunArgs) -> Result<Outcome> {
    let mut plan = args.plan()?;
    experiment::check_job_memory(&plan)?;
    // Bad input first: an unwritable --out, or one another run is writing into, gets its one
    // line before any interpreter is probed. The lock is held until the report is written.
    let _lock = FolderLock::for_output(&plan.study.out_dir)?;
    plan.pythons = crate::study::arms::pythons_for(&mut plan.strategies, &args.engine.python);
    crate::strategy::python::subinterpreters::interpreters_for(&mut plan.strategies, &plan.pythons);
    plan.dask = crate::study::arms::dask_for(
        &mut plan.strategies,
        &plan.pythons,
        args.engine.dask_scheduler.as_deref(),
        plan.workers.iter().copied().max().unwrap_or(1),
    )?;
    if plan.strategies.is_empty() {
        return Err(Error::Usage("no strategy left to run".into()));
    }
    crate::lifecycle::install()?;
    let outcome = experiment::run(&plan, &args.context()?)?;
    let out = &outcome.out_dir;
    if !outcome.summary.is_empty() {
        console::emit(&console::summary_table(&outcome.summary, &outcome.meta));
    }
    write_claims(&outcome)?;
    let reported = if outcome.summary.is_empty() {
        Ok(())
    } else {
        crate::report::generate(out)
    };
    if let Some(e) = &outcome.error {
        say_what_was_kept(e, &outcome, reported.is_ok());
        return Ok(Outcome::ended_by(e));
    }
    reported?;
    console::emit(&format!(
        "results, charts and REPORT.md in {}\n",
        out.display()
    ));
    Ok(Outcome::after_mismatches(outcome.meta.mismatches))
}

/// The speed claims this run's data supports (C4 and C5 need `concbench claim`): claims.csv
/// and the console table, or no claims.csv when none is supported. A write failure after a
/// run that ended early is not reported: the first error is.
fn write_claims(outcome: &experiment::Outcome) -> Result<()> {
    let verdicts = claim::speedup_verdicts(&outcome.summary, &outcome.meta);
    let claims_csv = outcome.out_dir.join(records::CLAIMS_CSV);
    if verdicts.is_empty() {
        let _ = std::fs::remove_file(&claims_csv);
        return Ok(());
    }
    let written = records::write_csv(&claims_csv, &verdicts);
    // After a failure, the first error is the one to report; this is best effort.
    if outcome.error.is_none() {
        written?;
    }
    console::emit(&claim::claims_table(
        &verdicts,
        outcome.meta.machine.available_parallelism,
    ));
    console::emit(console::RUN_CLAIMS_NOTE);
    Ok(())
}

/// After a run that ended early: what was measured is on disk; say where, and how it ended.
fn say_what_was_kept(e: &Error, outcome: &experiment::Outcome, reported: bool) {
    let out: &Path = &outcome.out_dir;
    let kept = outcome.summary.iter().map(|r| r.reps).sum::<usize>();
    let summary_written = out.join(records::SUMMARY_CSV).exists();
    eprintln!(
        "concbench: {e}; {kept} measured trial(s) kept in {}: runs.csv{}{}",
        out.display(),
        if summary_written { ", summary.csv" } else { "" },
        if reported && kept > 0 {
            ", REPORT.md and charts"
        } else {
            ""
        },
    );
}
