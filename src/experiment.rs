//! `concbench run`: a fixed number of repetitions of every (variant, strategy, workers), on the
//! trial engine. Plan → prepare (calibrate, build the arms) → trials → summary.

use std::path::PathBuf;
use std::time::Duration;

use crate::engine::{Arm, Order, Preparation, default_timeout};
use crate::error::{Error, Result};
use crate::records::{self, Meta, Parameters, RunRow, SUMMARY_CSV, SummaryRow};
use crate::strategy::{self, StrategyContext, StrategyInfo};
use crate::study::{
    self, ArmSpec, FixedReps, MetaParts, PythonArm, Study, StudyConfig, StudyKind, study_meta,
};
use crate::summary::{sort_like, summarize};
use crate::workload::{Calibration, Variant, WorkUnit};

pub use crate::study::CpuUnit;

/// Measured repetitions of the default run: 8 keeps every configuration's speedup interval
/// (6 at least) and the whole run, with `async` in both variants, within 30 s on 2 cores.
pub const DEFAULT_REPS: u32 = 8;

/// Everything an experiment needs, already validated.
#[derive(Debug, Clone)]
pub struct Plan {
    pub variants: Vec<Variant>,
    /// In display order (the command line's); trials run in the schedule's order.
    pub strategies: Vec<&'static StrategyInfo>,
    pub workers: Vec<usize>,
    pub sleep: Duration,
    pub cpu: CpuUnit,
    /// Bytes every job holds while it works (`--job-mb`); 0 for none.
    pub job_bytes: u64,
    pub reps: u32,
    pub warmup: u32,
    /// Per-trial timeout; `None` derives one from the size of the work.
    pub timeout: Option<Duration>,
    /// Watch the machine for this long before starting, to catch a busy machine.
    pub idle_check: Duration,
    /// Measure the machine's parallel ceiling beside CPU-bound strategies.
    pub ceiling: bool,
    /// The interpreters of the py-* strategies (each gets its own, labelled with its version
    /// when there are several), and their CPU kernel.
    pub pythons: Vec<std::sync::Arc<strategy::python::Interpreter>>,
    /// py-dask's cluster, probed before the run (meta.json `dask`).
    pub dask: Option<records::DaskInfo>,
    pub py_kernel: strategy::python::PyKernel,
    pub show_progress: bool,
    pub command_line: Vec<String>,
    /// Where the files go, the numbers, the trial order and each trial's preparation.
    pub study: StudyConfig,
}

impl Plan {
    /// The tutorial's experiment with the documented defaults.
    pub fn tutorial(out_dir: impl Into<PathBuf>) -> Plan {
        Plan {
            variants: Variant::ALL.to_vec(),
            strategies: strategy::default_strategies(),
            workers: vec![2],
            sleep: Duration::from_millis(25),
            cpu: CpuUnit::Millis(25.0),
            job_bytes: 0,
            reps: DEFAULT_REPS,
            warmup: 1,
            timeout: None,
            idle_check: Duration::from_millis(300),
            ceiling: true,
            pythons: Vec::new(),
            dask: None,
            py_kernel: strategy::python::PyKernel::default(),
            study: StudyConfig {
                out_dir: out_dir.into(),
                numbers: vec![2, 3, 8, 9],
                order: Order::Counterbalanced,
                seed: 0,
                preparation: Preparation::default(),
                sample_interval: crate::measure::sampler::DEFAULT_INTERVAL,
            },
            show_progress: true,
            command_line: std::env::args().collect(),
        }
    }

    /// Every (variant, strategy, workers) to measure, in a fixed canonical order (variants,
    /// then the registry's order, then workers ascending), so that the order strategies are
    /// listed in changes nothing about when they run. The ceiling joins every CPU-bound worker
    /// count that a Rust strategy uses.
    pub fn configurations(&self) -> Vec<(Variant, &'static StrategyInfo, usize)> {
        let mut workers = self.workers.clone();
        workers.sort_unstable();
        let mut out = Vec::new();
        for v in Variant::EVERY
            .into_iter()
            .filter(|v| self.variants.contains(v))
        {
            for info in strategy::REGISTRY.iter() {
                let listed = self.strategies.iter().any(|s| s.name == info.name);
                let automatic = info.name == strategy::ceiling::INFO.name
                    && self.ceiling
                    && v == Variant::Cpu
                    && self
                        .strategies
                        .iter()
                        .any(|s| s.uses_workers && !strategy::python::is_python(s));
                if !listed && !automatic {
                    continue;
                }
                if info.uses_workers {
                    // The ceiling joins only the counts it can hold (a CPU pool): 10,000
                    // threads waiting have no CPU ceiling to compare with.
                    let held = |w: &&usize| listed || **w <= info.max_workers.max;
                    out.extend(workers.iter().filter(held).map(|&w| (v, info, w)));
                } else {
                    out.push((v, info, 1));
                }
            }
        }
        out
    }

    /// The strategies in display order, the ceiling last when it runs.
    fn display_strategies(&self) -> Vec<String> {
        let mut names: Vec<String> = self.strategies.iter().map(|s| s.name.to_string()).collect();
        for (_, info, _) in self.configurations() {
            if !names.iter().any(|n| n == info.name) {
                names.push(info.name.to_string());
            }
        }
        names
    }
}

/// What a run produced: its summary and meta, and the error that ended it early, if one did
/// (a failed trial, a write error, a stop signal): the files hold what was measured before.
#[derive(Debug)]
pub struct Outcome {
    pub summary: Vec<SummaryRow>,
    pub meta: Meta,
    pub out_dir: PathBuf,
    pub error: Option<Error>,
}

/// Run the experiment. Errors before the first trial (calibration, building strategies, an
/// unwritable folder) come back as `Err`; once trials have started, the outcome always comes
/// back, with the error that stopped it.
pub fn run(plan: &Plan, ctx: &StrategyContext) -> Result<Outcome> {
    let cpu = plan.variants.contains(&Variant::Cpu).then_some(plan.cpu);
    let prepared = study::prepare(plan.idle_check, cpu);
    // Before the first trial, untimed; killed and reaped when this function returns, however.
    let server = crate::http::child::start_if_planned(&plan.variants, &ctx.concbench_exe)?;
    let port = server.as_ref().map(|s| s.port());
    let specs = arm_specs(plan, prepared.calibration.as_ref(), port);
    let (arms, blocks) = study::build_arms(&specs, ctx)?;
    let mut meta = study_meta(
        StudyKind::Run,
        MetaParts {
            parameters: parameters(plan, &arms),
            calibration: prepared.calibration,
            before: prepared.before,
            pythons: describe_pythons(plan, &arms, prepared.calibration.as_ref())
                .into_iter()
                .map(|p| strategy::python::recorded(p, ctx.runtime.start_method))
                .collect(),
            gil_switch_interval_ms: gil_switch_interval_ms(&plan.strategies, ctx),
            bootstrap: crate::stats::BootstrapSettings::default(),
            command_line: plan.command_line.clone(),
        },
    );
    meta.dask = plan.dask.clone();
    let study = Study::open(&plan.study, prepared.epoch, (arms, blocks), meta, None)?;
    study.warn_if_busy("before the run", prepared.before);
    let closed = study.run(&mut FixedReps {
        warmup: plan.warmup,
        reps: plan.reps,
        show_progress: plan.show_progress,
    });
    study::warn_if_busy_during(&closed.meta, "during the run");
    let summary = summary_of(&closed.rows, plan);
    let summary_written = records::write_csv(&plan.study.out_dir.join(SUMMARY_CSV), &summary);
    Ok(Outcome {
        summary,
        meta: closed.meta,
        out_dir: plan.study.out_dir.clone(),
        error: closed.error.or(summary_written.err()),
    })
}

/// One arm per configuration (a CPython strategy once per interpreter), in one block per
/// variant; the py-* arms of one interpreter and variant share an interpreter per round.
fn arm_specs(plan: &Plan, calibration: Option<&Calibration>, port: Option<u16>) -> Vec<ArmSpec> {
    let jobs = plan.study.numbers.len() * 2;
    let tags = strategy::python::version_tags(&plan.pythons);
    let kernel_tag = match plan.py_kernel {
        strategy::python::PyKernel::Bytecode => String::new(),
        k => format!("+{}", k.name()),
    };
    let mut specs = Vec::new();
    for (variant, info, workers) in plan.configurations() {
        let (unit, unit_ms) = unit_of(plan, variant, calibration, port);
        let timeout = plan
            .timeout
            .unwrap_or_else(|| default_timeout(jobs, unit_ms));
        let pythons: Vec<Option<PythonArm>> = if strategy::python::is_python(info) {
            let each = plan.pythons.iter().zip(&tags);
            // py-interpreters on an interpreter without subinterpreters: no arm (the front end
            // said so in one line).
            let each =
                each.filter(|(p, _)| strategy::python::subinterpreters::runs_on(info.name, p));
            each.map(|(p, tag)| {
                Some(PythonArm {
                    interpreter: std::sync::Arc::clone(p),
                    kernel: plan.py_kernel,
                    label: format!("{kernel_tag}{tag}"),
                })
            })
            .collect()
        } else {
            vec![None]
        };
        for python in pythons {
            specs.push(ArmSpec {
                variant,
                unit,
                unit_ms,
                timeout,
                strategy: info,
                workers,
                python,
                block: variant as usize,
            });
        }
    }
    specs
}

fn unit_of(
    plan: &Plan,
    variant: Variant,
    calibration: Option<&Calibration>,
    port: Option<u16>,
) -> (WorkUnit, f64) {
    match (variant, calibration, port) {
        (Variant::Cpu, Some(c), _) => (WorkUnit::cpu(c.iters).holding(plan.job_bytes), c.target_ms),
        (Variant::Http, _, Some(port)) => (
            WorkUnit::http(plan.sleep, port).holding(plan.job_bytes),
            plan.sleep.as_secs_f64() * 1e3,
        ),
        _ => (
            WorkUnit::sleep(plan.sleep).holding(plan.job_bytes),
            plan.sleep.as_secs_f64() * 1e3,
        ),
    }
}

/// Every listed strategy must hold the most workers asked for: above its limit, one line
/// naming the strategy, its limit and why (`--workers 5000: processes holds at most 1024
/// workers (...)`). Strategies that always use one worker (sequential) ignore `--workers`.
pub fn check_worker_limits(plan: &Plan) -> Result<()> {
    let Some(&most) = plan.workers.iter().max() else {
        return Ok(());
    };
    for s in plan.strategies.iter().filter(|s| s.uses_workers) {
        let limit = s.max_workers;
        if most > limit.max {
            return Err(Error::Usage(format!(
                "--workers {most}: {} holds at most {} workers ({})",
                s.name, limit.max, limit.why
            )));
        }
    }
    Ok(())
}

/// `--job-mb` must fit: every job running at once (the most workers any strategy of the plan
/// runs, never more than the jobs) holds its memory together, and that must fit in what the
/// machine has available now, or the run would swap or be killed halfway.
pub fn check_job_memory(plan: &Plan) -> Result<()> {
    if plan.job_bytes == 0 {
        return Ok(());
    }
    let jobs = plan.study.numbers.len() * 2;
    let at_once = plan
        .strategies
        .iter()
        .map(|s| {
            if s.uses_workers {
                plan.workers.iter().copied().max().unwrap_or(1)
            } else {
                1
            }
        })
        .max()
        .unwrap_or(1)
        .min(jobs.max(1));
    let needed = plan.job_bytes.saturating_mul(at_once as u64);
    let available = crate::measure::memory::available_bytes();
    match available {
        Some(free) if needed > free => Err(Error::Usage(format!(
            "--job-mb: {} MiB per job x {at_once} jobs at once = {} MiB, more than the {} MiB available",
            plan.job_bytes >> 20,
            needed >> 20,
            free >> 20
        ))),
        _ => Ok(()),
    }
}

/// The interpreters of the py-* arms, described and calibrated, when any arm is one.
fn describe_pythons(
    plan: &Plan,
    arms: &[Arm],
    calibration: Option<&Calibration>,
) -> Vec<strategy::python::PythonInfo> {
    let uses_python = arms
        .iter()
        .any(|a| a.strategy.name().starts_with(strategy::python::PREFIX));
    if !uses_python {
        return Vec::new();
    }
    strategy::python::describe_all(&plan.pythons, calibration, plan.py_kernel)
}

/// The gil model's switch interval, when the gil strategy is measured.
pub fn gil_switch_interval_ms(
    strategies: &[&'static StrategyInfo],
    ctx: &StrategyContext,
) -> Option<f64> {
    strategies
        .iter()
        .any(|s| s.name == strategy::gil::INFO.name)
        .then_some(ctx.runtime.switch_interval.as_secs_f64() * 1e3)
}

fn parameters(plan: &Plan, arms: &[Arm]) -> Parameters {
    Parameters {
        variants: plan.variants.clone(),
        strategies: plan.display_strategies(),
        workers: plan.workers.clone(),
        numbers: plan.study.numbers.clone(),
        items: plan.study.numbers.len(),
        jobs: plan.study.numbers.len() * 2,
        sleep_ms: plan.sleep.as_secs_f64() * 1e3,
        cpu_ms: match plan.cpu {
            CpuUnit::Millis(ms) => Some(ms),
            CpuUnit::Iters(_) => None,
        },
        cpu_iters: match plan.cpu {
            CpuUnit::Iters(n) => Some(n),
            CpuUnit::Millis(_) => None,
        },
        job_mb: (plan.job_bytes > 0).then_some(plan.job_bytes >> 20),
        reps: plan.reps,
        warmup: plan.warmup,
        order: plan.study.order.name().into(),
        seed: Some(plan.study.seed),
        timeout_s: crate::study::arms::timeouts(arms),
        sample_interval_ms: plan.study.sample_interval.as_secs_f64() * 1e3,
    }
}

/// Keep only the rows measured so far, for a summary of an unfinished run.
pub fn summary_of(rows: &[RunRow], plan: &Plan) -> Vec<SummaryRow> {
    sort_like(summarize(rows), &plan.variants, &plan.display_strategies())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ceiling_joins_only_the_worker_counts_it_holds() {
        let mut plan = Plan::tutorial("unused");
        plan.strategies = vec![strategy::find("threads").unwrap()];
        plan.variants = vec![Variant::Cpu];
        plan.workers = vec![2, 5000];
        let ceiling: Vec<usize> = plan
            .configurations()
            .into_iter()
            .filter(|c| c.1.name == strategy::ceiling::INFO.name)
            .map(|c| c.2)
            .collect();
        assert_eq!(ceiling, vec![2]);
        assert!(check_worker_limits(&plan).is_ok());
        plan.strategies.push(strategy::find("processes").unwrap());
        let refused = check_worker_limits(&plan).unwrap_err().to_string();
        assert!(
            refused.starts_with("--workers 5000: processes holds at most 1024 workers ("),
            "{refused}"
        );
    }
}
