//! `concbench run`: a fixed number of repetitions of every (variant, strategy, workers), on the
//! trial engine. Plan → prepare (calibrate, build the arms) → trials → summary.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::engine::{
    self, Arm, Engine, Executor, Order, Preparation, Schedule, Session, Status, default_timeout,
};
use crate::error::{Error, Result};
use crate::measure::load::{BUSY_THRESHOLD_PCT, idle_check};
use crate::measure::machine;
use crate::records::{self, BackgroundLoad, Meta, Parameters, RunRow, SUMMARY_CSV, SummaryRow};
use crate::strategy::{self, StrategyContext, StrategyInfo};
use crate::summary::{sort_like, summarize};
use crate::workload::{self, Calibration, Variant, WorkUnit};

/// How one unit of CPU work is sized.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CpuUnit {
    /// Calibrated on this machine to this many milliseconds.
    Millis(f64),
    /// A fixed iteration count, for comparisons across machines.
    Iters(u64),
}

/// Everything an experiment needs, already validated.
#[derive(Debug, Clone)]
pub struct Plan {
    pub variants: Vec<Variant>,
    /// In display order (the command line's); trials run in the schedule's order.
    pub strategies: Vec<&'static StrategyInfo>,
    pub workers: Vec<usize>,
    pub numbers: Vec<i64>,
    pub sleep: Duration,
    pub cpu: CpuUnit,
    pub reps: u32,
    pub warmup: u32,
    pub order: Order,
    pub seed: u64,
    /// Per-trial timeout; `None` derives one from the size of the work.
    pub timeout: Option<Duration>,
    pub sample_interval: Duration,
    /// Watch the machine for this long before starting, to catch a busy machine.
    pub idle_check: Duration,
    pub preparation: Preparation,
    /// Measure the machine's parallel ceiling beside CPU-bound strategies.
    pub ceiling: bool,
    /// The interpreters of the py-* strategies (each gets its own, labelled with its version
    /// when there are several), and their CPU kernel.
    pub pythons: Vec<std::sync::Arc<strategy::python::Interpreter>>,
    pub py_kernel: strategy::python::PyKernel,
    pub out_dir: PathBuf,
    pub show_progress: bool,
    pub command_line: Vec<String>,
}

impl Plan {
    /// The tutorial's experiment with the documented defaults.
    pub fn tutorial(out_dir: impl Into<PathBuf>) -> Plan {
        Plan {
            variants: Variant::ALL.to_vec(),
            strategies: strategy::default_strategies(),
            workers: vec![2],
            numbers: vec![2, 3, 8, 9],
            sleep: Duration::from_millis(25),
            cpu: CpuUnit::Millis(25.0),
            reps: 10,
            warmup: 1,
            order: Order::Counterbalanced,
            seed: 0,
            timeout: None,
            sample_interval: crate::measure::sampler::DEFAULT_INTERVAL,
            idle_check: Duration::from_millis(300),
            preparation: Preparation::default(),
            ceiling: true,
            pythons: Vec::new(),
            py_kernel: strategy::python::PyKernel::default(),
            out_dir: out_dir.into(),
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
        for v in Variant::ALL
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
                    out.extend(workers.iter().map(|&w| (v, info, w)));
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
    let epoch = Instant::now();
    let before = idle_check(plan.idle_check);
    let numbers = &plan.numbers;
    let calibration = plan
        .variants
        .contains(&Variant::Cpu)
        .then(|| match plan.cpu {
            CpuUnit::Millis(ms) => workload::calibrate(ms),
            CpuUnit::Iters(n) => workload::fixed_iters(n),
        });
    let (arms, blocks) = build_arms(plan, ctx, calibration.as_ref())?;
    let meta = initial_meta(plan, ctx, calibration, before, &arms);
    let session = Session::open(&plan.out_dir, epoch, meta, Some(plan.sample_interval))?;
    let executor = Executor::new(
        epoch,
        numbers,
        session.tag.clone(),
        session.sampler_clock(),
        plan.preparation,
    );
    let mut engine = Engine::new(session, executor, arms);
    let schedule = Schedule::new(plan.order, plan.seed, blocks.clone());
    engine.session.meta.discipline =
        Some(engine.discipline(plan.order, plan.seed, schedule.balance_period()));
    engine.session.write_meta()?;
    if plan.show_progress {
        engine.show_progress(u64::from(plan.reps) * engine.arms.len() as u64);
    }
    if before.is_some_and(|b| b > BUSY_THRESHOLD_PCT) {
        engine.say(&busy_warning("before the run", before.unwrap_or(0.0)));
    }
    let result = trials(&mut engine, plan, schedule, blocks);
    let status = Status::of(&result);
    let (meta, rows, written) = engine.close(&status);
    if let Some(d) = meta
        .background
        .during_pct_of_core
        .filter(|&d| d > BUSY_THRESHOLD_PCT)
    {
        eprintln!("{}", busy_warning("during the run", d));
    }
    let summary = sort_like(summarize(&rows), &plan.variants, &plan.display_strategies());
    let summary_written = records::write_csv(&plan.out_dir.join(SUMMARY_CSV), &summary);
    Ok(Outcome {
        summary,
        meta,
        out_dir: plan.out_dir.clone(),
        error: result.err().or(written.err()).or(summary_written.err()),
    })
}

/// One arm per configuration (a CPython strategy once per interpreter), in one block per
/// variant; the py-* arms of one interpreter and variant share an interpreter per round.
fn build_arms(
    plan: &Plan,
    ctx: &StrategyContext,
    calibration: Option<&Calibration>,
) -> Result<(Vec<Arm>, Vec<Vec<usize>>)> {
    let jobs = plan.numbers.len() * 2;
    let tags = strategy::python::version_tags(&plan.pythons);
    let kernel_tag = match plan.py_kernel {
        strategy::python::PyKernel::Bytecode => String::new(),
        k => format!("+{}", k.name()),
    };
    let mut arms: Vec<Arm> = Vec::new();
    let mut blocks: Vec<Vec<usize>> = Vec::new();
    let mut hosts: Vec<(Variant, usize, std::sync::Arc<strategy::python::PyHost>)> = Vec::new();
    for (variant, info, workers) in plan.configurations() {
        let (unit, unit_ms) = unit_of(plan, variant, calibration);
        let timeout = plan
            .timeout
            .unwrap_or_else(|| default_timeout(jobs, unit_ms));
        if !arms.iter().any(|a: &Arm| a.variant == variant) {
            blocks.push(Vec::new());
        }
        let interpreters: Vec<Option<usize>> = if strategy::python::is_python(info) {
            (0..plan.pythons.len()).map(Some).collect()
        } else {
            vec![None]
        };
        for python in interpreters {
            let mut ctx = ctx.clone();
            if let Some(i) = python {
                let p = &plan.pythons[i];
                ctx.runtime.python = Some(PathBuf::from(&p.info.requested));
                ctx.runtime.py_kernel = plan.py_kernel;
                ctx.runtime.py_label = format!("{kernel_tag}{}", tags[i]);
                let host = match hosts.iter().find(|h| (h.0, h.1) == (variant, i)) {
                    Some(h) => std::sync::Arc::clone(&h.2),
                    None => {
                        let h = std::sync::Arc::new(strategy::python::PyHost::default());
                        hosts.push((variant, i, std::sync::Arc::clone(&h)));
                        h
                    }
                };
                ctx.py_host = Some(host);
            }
            if let Some(b) = blocks.last_mut() {
                b.push(arms.len());
            }
            arms.push(Arm {
                variant,
                unit,
                unit_ms,
                timeout,
                strategy: (info.build)(workers, &ctx)?,
                measured: 0,
                last_cost: Duration::ZERO,
            });
        }
    }
    Ok((arms, blocks))
}

/// The rounds: warm-up rounds in an order of their own (so they do not use up rows of the
/// balanced design), then the measured rounds.
fn trials(
    engine: &mut Engine,
    plan: &Plan,
    schedule: Schedule,
    blocks: Vec<Vec<usize>>,
) -> Result<()> {
    let mut warm = Schedule::new(plan.order, plan.seed ^ 0x5741_524D, blocks);
    for _ in 0..plan.warmup {
        engine.round(&warm.next_round(), true)?;
    }
    let mut schedule = schedule;
    for _ in 0..plan.reps {
        engine.round(&schedule.next_round(), false)?;
    }
    Ok(())
}

fn unit_of(plan: &Plan, variant: Variant, calibration: Option<&Calibration>) -> (WorkUnit, f64) {
    match (variant, calibration) {
        (Variant::Cpu, Some(c)) => (WorkUnit::Cpu { iters: c.iters }, c.target_ms),
        _ => (WorkUnit::Sleep(plan.sleep), plan.sleep.as_secs_f64() * 1e3),
    }
}

fn initial_meta(
    plan: &Plan,
    ctx: &StrategyContext,
    calibration: Option<Calibration>,
    before: Option<f64>,
    arms: &[Arm],
) -> Meta {
    let uses_python = arms
        .iter()
        .any(|a| a.strategy.name().starts_with(strategy::python::PREFIX));
    let pythons: Vec<strategy::python::PythonInfo> = if uses_python {
        plan.pythons
            .iter()
            .map(|p| strategy::python::describe(p, calibration.as_ref(), plan.py_kernel))
            .collect()
    } else {
        Vec::new()
    };
    Meta {
        concbench_version: env!("CARGO_PKG_VERSION").into(),
        status: "running".into(),
        command_line: plan.command_line.clone(),
        started_at: machine::utc_now(),
        finished_at: None,
        total_wall_s: None,
        machine: machine::describe(),
        parameters: parameters(plan, arms),
        calibration,
        background: BackgroundLoad {
            before_pct_of_core: before,
            threshold_pct_of_core: BUSY_THRESHOLD_PCT,
            ..Default::default()
        },
        sampler: None,
        mismatches: 0,
        python: pythons.first().cloned(),
        pythons: if pythons.len() > 1 {
            pythons
        } else {
            Vec::new()
        },
        gil_switch_interval_ms: plan
            .strategies
            .iter()
            .any(|s| s.name == strategy::gil::INFO.name)
            .then_some(ctx.runtime.switch_interval.as_secs_f64() * 1e3),
        bootstrap: Some(crate::stats::BootstrapSettings::default()),
        claims: None,
        discipline: None,
        signal: None,
    }
}

fn parameters(plan: &Plan, arms: &[Arm]) -> Parameters {
    let mut timeouts: Vec<(Variant, f64)> = Vec::new();
    for a in arms {
        if !timeouts.iter().any(|t| t.0 == a.variant) {
            timeouts.push((a.variant, a.timeout.as_secs_f64()));
        }
    }
    Parameters {
        variants: plan.variants.clone(),
        strategies: plan.display_strategies(),
        workers: plan.workers.clone(),
        numbers: plan.numbers.clone(),
        items: plan.numbers.len(),
        jobs: plan.numbers.len() * 2,
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
        order: plan.order.name().into(),
        seed: Some(plan.seed),
        timeout_s: timeouts,
        sample_interval_ms: plan.sample_interval.as_secs_f64() * 1e3,
    }
}

/// The warning for a machine busy with other processes.
pub fn busy_warning(when: &str, pct: f64) -> String {
    format!(
        "concbench: warning: other processes used {pct:.0}% of a core {when} (threshold {BUSY_THRESHOLD_PCT:.0}%): these figures are not to be trusted"
    )
}

/// Check that an output folder can be written before anything runs.
pub fn check_writable(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let probe = dir.join(".concbench-write-test");
    std::fs::write(&probe, b"").map_err(|e| Error::io(dir, e))?;
    let _ = std::fs::remove_file(probe);
    Ok(())
}

/// Keep only the rows measured so far, for a summary of an unfinished run.
pub fn summary_of(rows: &[RunRow], plan: &Plan) -> Vec<SummaryRow> {
    sort_like(summarize(rows), &plan.variants, &plan.display_strategies())
}

#[doc(hidden)]
pub use engine::DEFAULT_PRIME_MS;
