//! `concbench sweep` options, parsed by clap (a bad value is one line naming its flag, exit 2)
//! and turned into a validated [`SweepPlan`].

use std::time::Duration;

use clap::Args;

use super::plan::{
    CpuSizes, DEFAULT_SIZES_MS, DEFAULT_STRATEGIES, SweepPlan, default_workers, with_baselines,
    with_companions,
};
use crate::cli::parse::{self, NumberList};
use crate::cli::{EngineArgs, random_seed};
use crate::error::{Error, Result};
use crate::measure::machine::available_parallelism;
use crate::strategy::{
    self, processes::Chunk, python::DASK, python::INTERPRETERS, python::PyKernel,
};
use crate::study::StudyConfig;
use crate::workload::Variant;

/// `concbench sweep` options.
#[derive(Debug, Clone, Args)]
pub struct SweepArgs {
    /// Variants, comma-separated: cpu (each job burns CPU) and/or sleep (each job sleeps)
    /// [default: cpu; sleep with --waits, which takes sleep only]
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = parse::variant)]
    pub variant: Vec<Variant>,

    /// Strategies, comma-separated; each one's baseline (sequential, py-sequential) joins by
    /// itself, and so does the ceiling on CPU-bound sizes [default:
    /// sequential,threads,rayon,processes,gil]
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = parse::strategy_name)]
    pub strategy: Vec<String>,

    /// Worker counts, comma-separated: N, A-B (every count from A to B) or auto (the available
    /// parallelism), each 1-1024 [default: 1 to 2 × the available parallelism]
    #[arg(long, value_name = "LIST", value_delimiter = ',', allow_hyphen_values = true, value_parser = parse_workers)]
    pub workers: Vec<WorkerCounts>,

    /// CPU-bound job sizes in ms of CPU per job, comma-separated, calibrated on this machine
    /// (0.001-60000 each) [default: 1 µs to 30 ms, 26 sizes, eighth-decade steps from 10 µs to 1.8 ms]
    #[arg(long, value_name = "LIST", value_delimiter = ',', allow_hyphen_values = true, value_parser = parse::job_ms, conflicts_with = "cpu_iters")]
    pub cpu_ms: Vec<f64>,

    /// CPU-bound job sizes as fixed kernel iterations per job instead of --cpu-ms, to compare
    /// machines (1-1000000000000 each)
    #[arg(long, value_name = "LIST", value_delimiter = ',', allow_hyphen_values = true, value_parser = clap::value_parser!(u64).range(1..=1_000_000_000_000))]
    pub cpu_iters: Vec<u64>,

    /// Sleep-bound job sizes in ms of sleep per job, comma-separated (0.001-60000 each)
    /// [default: the same sizes as --cpu-ms; with --waits one wait per job, default 500]
    #[arg(long, value_name = "LIST", value_delimiter = ',', allow_hyphen_values = true, value_parser = parse::job_ms)]
    pub sleep_ms: Vec<f64>,

    /// The numbers to square and cube, comma-separated integers
    #[arg(allow_hyphen_values = true, long, value_name = "LIST", default_value = "2,3,8,9", value_parser = parse::numbers, conflicts_with = "items")]
    pub numbers: NumberList,

    /// Use the numbers 1..=N instead of --numbers (1-100000)
    #[arg(allow_negative_numbers = true, long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub items: Option<u64>,

    /// Jobs per message to a worker process (processes): a number, or auto (Pool.map's rule)
    #[arg(long, value_name = "N|auto", default_value = "auto")]
    pub chunk: Chunk,

    /// Seconds the whole sweep may take, analysis and report included: repetitions are planned
    /// from the warm-up's cost to fill it, and no round starts that would end after it (1-86400)
    /// [default: 110; 160 with py-interpreters, 300 with py-dask: they start subinterpreters, a
    /// cluster, for every trial]
    #[arg(allow_negative_numbers = true, long, value_name = "SECONDS", value_parser = parse::budget_s)]
    pub budget_s: Option<f64>,

    /// Repetitions planned at least, even when the budget fits fewer (the budget still stops
    /// the sweep between rounds); a point gets a speedup interval, and so a break-even, only
    /// from 6 on (1-1000)
    #[arg(allow_negative_numbers = true, long, value_name = "N", default_value_t = 6, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub min_reps: u32,

    /// Repetitions planned at most, however much the budget fits (1-100000)
    #[arg(allow_negative_numbers = true, long, value_name = "N", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub max_reps: u32,

    /// Warm-up rounds (measured, verified, not recorded); the last one's trial costs plan the
    /// repetitions (1-100)
    #[arg(allow_negative_numbers = true, long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub warmup: u32,

    /// Don't measure the machine's parallel ceiling beside CPU-bound strategies
    #[arg(long)]
    pub no_ceiling: bool,

    /// Switch interval of the gil model in ms, like sys.setswitchinterval (0.01-10000)
    #[arg(allow_negative_numbers = true, long, value_name = "MS", default_value = "5", value_parser = parse::switch_interval_ms)]
    pub switch_interval_ms: f64,

    /// CPU kernel of the py-* strategies: bytecode (pure Python) or native (hashlib)
    #[arg(long, value_name = "KERNEL", default_value = "bytecode")]
    pub py_kernel: PyKernel,

    /// Waiting at scale instead of job sizes: for each N, N concurrent waits (N sleep-bound
    /// jobs on N workers, one --sleep-ms wait each) under every listed strategy that can hold
    /// N, comma-separated (1-100000 each; an odd N counts as N+1: jobs come in square/cube
    /// pairs); without --strategy, every strategy built to hold 100000 waits
    #[arg(long, value_name = "LIST", value_delimiter = ',', allow_hyphen_values = true, value_parser = super::waits::plan::parse_waiters, conflicts_with_all = ["cpu_ms", "cpu_iters", "workers", "numbers", "items", "budget_s", "min_reps", "max_reps", "no_ceiling"])]
    pub waits: Vec<usize>,

    /// Measured repetitions of every point of a wait sweep (--waits only; 1-1000) [default: 3]
    #[arg(allow_negative_numbers = true, long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub reps: Option<u32>,

    #[command(flatten)]
    pub engine: EngineArgs,
}

/// The results folder of `sweep` unless `--out` says otherwise.
pub const DEFAULT_OUT: &str = "results/sweep";

/// One item of `--workers`: a count, a range, or `auto`.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkerCounts(pub Vec<usize>);

const MAX_WORKERS: i64 = 1024;

/// The budget of a sweep without py-dask, in seconds.
pub const DEFAULT_BUDGET_S: f64 = 110.0;
/// The budget of a sweep with py-dask: its rounds cost about three times py-pool's.
pub const DASK_BUDGET_S: f64 = 300.0;
/// The budget of a sweep with py-interpreters (and not py-dask): creating a trial's
/// subinterpreters takes 45-75 ms here, and with py-threads, py-processes and py-pool beside it a
/// round took 22-25 s, so 110 s held 3 rounds, too few for an interval; at the cores only, a
/// round is about 20 s and 160 s holds the warm-up and 6.
pub const INTERPRETERS_BUDGET_S: f64 = 160.0;

/// The strategies a sweep runs at one worker count, the cores, unless --workers is given: each
/// of their trials starts something costly (a Dask cluster; N subinterpreters), untimed but
/// paid in every round. Each with its default budget.
const AT_CORES_ONLY: [(&str, f64); 2] = [
    (DASK.name, DASK_BUDGET_S),
    (INTERPRETERS.name, INTERPRETERS_BUDGET_S),
];

fn count(s: &str) -> std::result::Result<usize, String> {
    match s.trim().parse::<i64>() {
        Ok(n) if (1..=MAX_WORKERS).contains(&n) => Ok(n as usize),
        Ok(n) => Err(format!("{n} workers is out of range (1-{MAX_WORKERS})")),
        Err(_) => Err(format!(
            "'{s}' is not a worker count (N, A-B or auto; 1-{MAX_WORKERS})"
        )),
    }
}

pub fn parse_workers(s: &str) -> std::result::Result<WorkerCounts, String> {
    let s = s.trim();
    if s == "auto" {
        return Ok(WorkerCounts(vec![available_parallelism()]));
    }
    match s.split_once('-') {
        Some((a, b)) if !a.trim().is_empty() => {
            let (a, b) = (count(a)?, count(b)?);
            if a > b {
                return Err(format!("the range {a}-{b} is empty"));
            }
            Ok(WorkerCounts((a..=b).collect()))
        }
        _ => count(s).map(|n| WorkerCounts(vec![n])),
    }
}

impl SweepArgs {
    /// The variants as listed, each once; cpu when none is.
    fn variants_or_cpu(&self) -> Vec<Variant> {
        let mut variants: Vec<Variant> = Vec::new();
        for v in &self.variant {
            if !variants.contains(v) {
                variants.push(*v);
            }
        }
        if variants.is_empty() {
            variants.push(Variant::Cpu);
        }
        variants
    }
}

/// Distinct values, ascending.
fn distinct<T: PartialOrd + Copy>(mut xs: Vec<T>) -> Vec<T> {
    xs.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    xs.dedup_by(|a, b| a == b);
    xs
}

impl SweepArgs {
    /// py-dask's worker counts and the budget: a Dask cluster starts for every trial (0.2-0.9 s
    /// here), so py-dask runs at one worker count, the cores, unless --workers says otherwise,
    /// and the default budget fits its rounds.
    fn dask_rule(
        &self,
        strategies: &[&'static strategy::StrategyInfo],
    ) -> (Option<Vec<usize>>, f64) {
        let costly: Vec<f64> = AT_CORES_ONLY
            .iter()
            .filter(|(name, _)| strategies.iter().any(|s| s.name == *name))
            .map(|(_, budget)| *budget)
            .collect();
        let at_cores =
            (!costly.is_empty() && self.workers.is_empty()).then(|| vec![available_parallelism()]);
        let default = costly.into_iter().fold(DEFAULT_BUDGET_S, f64::max);
        (at_cores, self.budget_s.unwrap_or(default))
    }

    /// The validated plan of the job-size sweep ([`crate::sweep::plan`] picks it or the wait
    /// sweep's). Combinations clap cannot check come back as one-line usage errors naming the
    /// flag.
    pub fn plan(&self) -> Result<SweepPlan> {
        let e = &self.engine;
        crate::sweep::one_python(&e.python)?;
        if self.max_reps < self.min_reps {
            return Err(Error::Usage(format!(
                "--max-reps {} is below --min-reps {}",
                self.max_reps, self.min_reps
            )));
        }
        let listed: Vec<&'static strategy::StrategyInfo> = if self.strategy.is_empty() {
            DEFAULT_STRATEGIES
                .iter()
                .map(|s| strategy::find(s))
                .collect::<Result<_>>()?
        } else {
            self.strategy
                .iter()
                .map(|s| strategy::find(s))
                .collect::<Result<_>>()?
        };
        let strategies = with_companions(with_baselines(&listed)?)?;
        if strategies.iter().all(|s| s.baseline() == s.name) {
            return Err(Error::Usage(
                "--strategy: a sweep needs a strategy to compare with its baseline (threads, rayon, processes, ...)".into(),
            ));
        }
        let workers = if self.workers.is_empty() {
            default_workers(available_parallelism())
        } else {
            distinct(self.workers.iter().flat_map(|w| w.0.clone()).collect())
        };
        let (dask_workers, budget_s) = self.dask_rule(&strategies);
        let cpu = if self.cpu_iters.is_empty() {
            let ms = if self.cpu_ms.is_empty() {
                DEFAULT_SIZES_MS.to_vec()
            } else {
                self.cpu_ms.clone()
            };
            CpuSizes::Millis(distinct(ms))
        } else {
            CpuSizes::Iters(distinct(self.cpu_iters.clone()))
        };
        let sleep_ms = if self.sleep_ms.is_empty() {
            match &cpu {
                CpuSizes::Millis(ms) => ms.clone(),
                CpuSizes::Iters(_) => DEFAULT_SIZES_MS.to_vec(),
            }
        } else {
            distinct(self.sleep_ms.clone())
        };
        let variants = self.variants_or_cpu();
        Ok(SweepPlan {
            variants,
            strategies,
            workers,
            cpu,
            sleep_ms,
            budget: Duration::from_secs_f64(budget_s),
            dask_workers,
            min_reps: self.min_reps,
            max_reps: self.max_reps,
            warmup: self.warmup,
            ceiling: !self.no_ceiling,
            chunk: self.chunk,
            python: None,
            dask: None,
            py_kernel: self.py_kernel,
            timeout: e.timeout(),
            show_progress: !e.quiet,
            command_line: std::env::args().collect(),
            study: StudyConfig {
                out_dir: e.out_or(DEFAULT_OUT),
                numbers: match self.items {
                    Some(n) => (1..=n as i64).collect(),
                    None => self.numbers.0.clone(),
                },
                order: e.order,
                seed: e.seed_or(random_seed),
                preparation: e.preparation(),
                sample_interval: e.sample_interval(),
            },
            waits: None,
        })
    }
}

/// A sweep starts no server: `--variant http` is for `concbench run`.
pub fn refuse_http(variants: &[Variant]) -> Result<()> {
    if variants.contains(&Variant::Http) {
        return Err(Error::Usage(
            "sweep does not take --variant http (it starts no server): use `concbench run --variant http`".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Sweep {
        #[command(flatten)]
        args: SweepArgs,
    }

    fn plan(args: &[&str]) -> SweepPlan {
        Sweep::try_parse_from(std::iter::once("sweep").chain(args.iter().copied()))
            .unwrap()
            .args
            .plan()
            .unwrap()
    }

    fn names(plan: &SweepPlan) -> Vec<&str> {
        plan.strategies.iter().map(|s| s.name).collect()
    }

    #[test]
    fn py_dask_runs_beside_py_pool_at_the_cores_within_its_own_budget() {
        let p = plan(&["--strategy", "py-dask"]);
        assert_eq!(names(&p), ["py-sequential", "py-pool", "py-dask"]);
        assert_eq!(p.dask_workers, Some(vec![available_parallelism()]));
        assert_eq!(p.budget.as_secs_f64(), DASK_BUDGET_S);
        let dask: Vec<usize> = p
            .configurations(crate::workload::Variant::Cpu)
            .into_iter()
            .filter(|(info, _)| info.name == DASK.name)
            .map(|(_, w)| w)
            .collect();
        assert_eq!(dask, [available_parallelism()]);
        // --workers and --budget-s are the user's: all counts, the budget given.
        let p = plan(&[
            "--strategy",
            "py-dask",
            "--workers",
            "1-3",
            "--budget-s",
            "50",
        ]);
        assert_eq!(p.dask_workers, None);
        assert_eq!(p.budget.as_secs_f64(), 50.0);
        // Without py-dask nothing changes.
        let p = plan(&["--strategy", "py-threads"]);
        assert_eq!(names(&p), ["py-sequential", "py-threads"]);
        assert_eq!(p.budget.as_secs_f64(), DEFAULT_BUDGET_S);
    }

    /// py-interpreters runs at the cores only, with its own budget; py-threads beside it at
    /// every count; with py-dask too, the larger budget.
    #[test]
    fn py_interpreters_runs_at_the_cores_within_its_own_budget() {
        let p = plan(&["--strategy", "py-threads,py-interpreters"]);
        assert_eq!(p.budget.as_secs_f64(), INTERPRETERS_BUDGET_S);
        let counts = |name: &str| -> Vec<usize> {
            p.configurations(crate::workload::Variant::Cpu)
                .into_iter()
                .filter(|(info, _)| info.name == name)
                .map(|(_, w)| w)
                .collect()
        };
        assert_eq!(counts(INTERPRETERS.name), [available_parallelism()]);
        assert_eq!(counts("py-threads"), p.workers);
        let p = plan(&["--strategy", "py-interpreters,py-dask"]);
        assert_eq!(p.budget.as_secs_f64(), DASK_BUDGET_S);
    }

    #[test]
    fn worker_lists_take_counts_ranges_and_auto() {
        assert_eq!(parse_workers("3"), Ok(WorkerCounts(vec![3])));
        assert_eq!(parse_workers("2-4"), Ok(WorkerCounts(vec![2, 3, 4])));
        assert_eq!(
            parse_workers("auto"),
            Ok(WorkerCounts(vec![available_parallelism()]))
        );
        for bad in ["0", "-2", "4-2", "1-2000", "x", "", "2-"] {
            assert!(parse_workers(bad).is_err(), "{bad}");
        }
    }
}
