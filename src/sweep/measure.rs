//! The measured part of a sweep, on the trial engine: calibrate, build the arms (one block per
//! job size), warm up, plan the repetitions from what the warm-up cost, then measured rounds
//! until the plan is done or the next round would pass the budget.

use std::time::{Duration, Instant};

use super::budget::{Reserve, StoppedBy, fits, plan_reps};
use super::plan::{CpuSizes, SweepPlan, arm_specs};
use crate::engine::{Arm, MetaSection};
use crate::error::{Error, Result};
use crate::measure::machine;
use crate::records::sweep::{JobSize, SweepMeta, SweepSettings};
use crate::records::{Meta, Parameters, RunRow};
use crate::strategy::{self, StrategyContext};
use crate::study::{self, CpuUnit, MetaParts, Policy, Prepared, Study, StudyKind, study_meta};
use crate::workload::Variant;

/// What the measured part produced. Once trials have started it always comes back, with the
/// error that ended it early, if one did: the rows measured before are kept.
#[derive(Debug)]
pub struct Measured {
    pub rows: Vec<RunRow>,
    pub meta: Meta,
    pub settings: SweepSettings,
    pub error: Option<Error>,
}

/// The `sweep` section of meta.json, written beside the common fields on every write.
impl MetaSection for SweepSettings {
    fn render(&self, meta: &Meta) -> Result<String> {
        let whole = SweepMeta {
            meta: meta.clone(),
            sweep: self.clone(),
        };
        serde_json::to_string_pretty(&whole)
            .map_err(|e| Error::Measurement(format!("cannot encode meta.json: {e}")))
    }
}

/// Run the sweep's trials into `plan.study.out_dir`. `started` is when the command started: the
/// budget counts from there.
pub fn run(plan: &SweepPlan, ctx: &StrategyContext, started: Instant) -> Result<Measured> {
    // Timed before any arm exists: a new rayon pool's threads spin for a while and would
    // slow the timing down.
    let per_point_rep = time_one_interval_per_rep();
    let cpu = plan
        .variants
        .contains(&Variant::Cpu)
        .then(|| match &plan.cpu {
            CpuSizes::Millis(ms) => CpuUnit::Millis(ms.iter().copied().fold(0.0, f64::max)),
            CpuSizes::Iters(its) => CpuUnit::Iters(its.iter().copied().max().unwrap_or(1)),
        });
    let prepared = study::prepare(Duration::from_millis(300), cpu);
    let sizes = plan.sizes(prepared.calibration.map_or(1.0, |c| c.iters_per_ms));
    let (arms, blocks) = study::build_arms(&arm_specs(plan, &sizes), ctx)?;
    let reserve = Reserve {
        fixed: Duration::from_secs(2),
        per_point_rep,
        points: arms.len(),
    };
    let settings = initial_settings(plan, &sizes, &reserve);
    let meta = sweep_meta(plan, ctx, &prepared, &sizes, &arms);
    let section = Box::new(settings.clone());
    let study = Study::open(
        &plan.study,
        prepared.epoch,
        (arms, blocks),
        meta,
        Some(section),
    )?;
    study.warn_if_busy("before the sweep", prepared.before);
    let mut budgeted = Budgeted {
        plan,
        started,
        reserve,
        settings,
        stopped_by: StoppedBy::PlannedReps,
    };
    let closed = study.run(&mut budgeted);
    study::warn_if_busy_during(&closed.meta, "during the sweep");
    Ok(Measured {
        rows: closed.rows,
        meta: closed.meta,
        settings: budgeted.settings,
        error: closed.error,
    })
}

fn initial_settings(
    plan: &SweepPlan,
    sizes: &[(JobSize, crate::workload::WorkUnit)],
    reserve: &Reserve,
) -> SweepSettings {
    SweepSettings {
        sizes: sizes.iter().map(|s| s.0).collect(),
        workers: plan.workers.clone(),
        jobs: plan.jobs(),
        chunk: plan.chunk.to_string(),
        budget_s: plan.budget.as_secs_f64(),
        reserve_s: reserve.fixed.as_secs_f64(),
        min_reps: plan.min_reps,
        max_reps: plan.max_reps,
        warmup: plan.warmup,
        round_cost_s: None,
        fit_reps: 0,
        planned_reps: 0,
        reps_done: 0,
        stopped_by: String::new(),
        stop_reason: String::new(),
        break_even_workers: super::models::break_even_workers(
            &plan.workers,
            machine::available_parallelism(),
        ),
    }
}

/// The budgeted policy: warm-up rounds, repetitions planned from what they cost, then
/// measured rounds until the plan is done or the next round would pass the budget.
struct Budgeted<'a> {
    plan: &'a SweepPlan,
    started: Instant,
    reserve: Reserve,
    settings: SweepSettings,
    stopped_by: StoppedBy,
}

impl Policy for Budgeted<'_> {
    fn measure(&mut self, study: &mut Study) -> Result<()> {
        let plan = self.plan;
        let trials = study.engine.arms.len();
        if plan.show_progress {
            study.engine.say(&format!(
                "concbench sweep: {trials} trials per round over {} job sizes (zero work included); warming up",
                study.blocks.len()
            ));
            if let Some(only) = &plan.dask_workers {
                let costly: Vec<String> = plan
                    .strategies
                    .iter()
                    .filter(|s| crate::sweep::plan::at_cores_only(s))
                    .map(|s| match s.name == strategy::python::DASK.name {
                        true => "py-dask starts a Dask cluster".to_string(),
                        false => format!("{} starts its subinterpreters", s.name),
                    })
                    .collect();
                study.engine.say(&format!(
                    "concbench sweep: {} for every trial: {} on {} worker(s) (--workers sets them){}, within a budget of {:.0} s (--budget-s sets it)",
                    costly.join(", "),
                    if costly.len() == 1 { "it runs" } else { "they run" },
                    only.iter().map(|w| w.to_string()).collect::<Vec<_>>().join(","),
                    if plan.strategies.iter().any(|s| s.name == strategy::python::DASK.name) { ", py-dask beside py-pool" } else { "" },
                    plan.budget.as_secs_f64()
                ));
            }
        }
        study.warm_up(plan.warmup)?;
        let reps = self.plan_reps(study);
        if plan.show_progress {
            study.engine.show_progress(u64::from(reps) * trials as u64);
        }
        for r in 0..reps {
            // At least one measured round, whatever the budget: a sweep of nothing says nothing.
            let next = study.round_cost(|_| true);
            if r > 0
                && !fits(
                    self.started.elapsed(),
                    next,
                    r + 1,
                    &self.reserve,
                    plan.budget,
                )
            {
                self.stopped_by = StoppedBy::Budget;
                return Ok(());
            }
            study.round()?;
            self.settings.reps_done = r + 1;
        }
        self.stopped_by = StoppedBy::PlannedReps;
        Ok(())
    }

    fn finish(&mut self, study: &mut Study, result: &Result<()>) {
        self.stopped_by = match result {
            Ok(()) => self.stopped_by,
            Err(Error::Interrupted { .. }) => StoppedBy::Interrupted,
            Err(_) => StoppedBy::Failed,
        };
        let s = &mut self.settings;
        s.stopped_by = self.stopped_by.name().into();
        s.stop_reason = stop_reason(self.stopped_by, s, result);
        let session = &mut study.engine.session;
        session.meta.parameters.reps = s.reps_done;
        session.section = Some(Box::new(s.clone()));
    }
}

impl Budgeted<'_> {
    /// Plan the repetitions from what the last warm-up round cost, note the plan, and say it.
    fn plan_reps(&mut self, study: &Study) -> u32 {
        let plan = self.plan;
        let round_cost = study.round_cost(|_| true);
        let elapsed = self.started.elapsed();
        let rep_plan = plan_reps(
            elapsed,
            plan.budget,
            round_cost,
            &self.reserve,
            plan.min_reps,
            plan.max_reps,
        );
        let s = &mut self.settings;
        s.round_cost_s = Some(round_cost.as_secs_f64());
        s.reserve_s = self.reserve.for_reps(rep_plan.reps).as_secs_f64();
        s.fit_reps = rep_plan.fit;
        s.planned_reps = rep_plan.reps;
        if rep_plan.fit < plan.min_reps {
            let needed =
                elapsed + round_cost * plan.min_reps + self.reserve.for_reps(plan.min_reps);
            study.engine.say(&format!(
                "concbench sweep: warning: a round takes {:.1} s: only {} round(s) fit the budget with their analysis, fewer than --min-reps {}; the sweep stops at the budget (--budget-s {:.0} would fit them)",
                round_cost.as_secs_f64(),
                rep_plan.fit,
                plan.min_reps,
                needed.as_secs_f64().ceil()
            ));
        }
        if plan.show_progress {
            study.engine.say(&format!(
                "concbench sweep: a round takes {:.1} s; {} repetitions planned (budget {:.0} s)",
                round_cost.as_secs_f64(),
                rep_plan.reps,
                plan.budget.as_secs_f64()
            ));
        }
        rep_plan.reps
    }
}

/// What one point's bootstrap interval costs here per repetition (timed at 10 a side;
/// resampling is linear in them): the analysis's cost, in this build on this machine. The
/// fastest of three tries (about 2 ms each in a release build), or of one when it is slow (a
/// debug build): a try that another process interrupted says nothing about the analysis.
fn time_one_interval_per_rep() -> Duration {
    let n = 10;
    let base: Vec<f64> = (0..n).map(|i| 1.0 + 0.01 * (i % 7) as f64).collect();
    let cand: Vec<f64> = (0..n).map(|i| 0.5 + 0.01 * (i % 5) as f64).collect();
    let settings = crate::stats::BootstrapSettings::default();
    let mut best = Duration::MAX;
    for _ in 0..3 {
        let t = Instant::now();
        std::hint::black_box(crate::stats::bootstrap_speedup_ci(
            &base, &cand, &settings, 1,
        ));
        best = best.min(t.elapsed());
        if best > Duration::from_millis(50) {
            break;
        }
    }
    best / n as u32
}

fn stop_reason(by: StoppedBy, s: &SweepSettings, result: &Result<()>) -> String {
    match (by, result) {
        (StoppedBy::PlannedReps, _) => format!(
            "all {} planned repetitions measured (the budget fitted {} rounds of {:.1} s; --min-reps {}, --max-reps {})",
            s.planned_reps,
            s.fit_reps,
            s.round_cost_s.unwrap_or(0.0),
            s.min_reps,
            s.max_reps
        ),
        (StoppedBy::Budget, _) => format!(
            "the next round would have ended after the budget ({:.0} s, {:.1} s of it kept for the report) after {} of {} planned repetitions",
            s.budget_s, s.reserve_s, s.reps_done, s.planned_reps
        ),
        (_, Err(e)) => format!("{e} after {} repetitions", s.reps_done),
        (_, Ok(_)) => String::new(),
    }
}

pub(crate) fn sweep_meta(
    plan: &SweepPlan,
    ctx: &StrategyContext,
    prepared: &Prepared,
    sizes: &[(JobSize, crate::workload::WorkUnit)],
    arms: &[Arm],
) -> Meta {
    let first_sleep = sizes
        .iter()
        .find(|s| s.0.variant == Variant::Sleep)
        .map_or(0.0, |s| s.0.unit_ms);
    let uses_python = plan
        .strategies
        .iter()
        .any(|s| strategy::python::is_python(s));
    let pythons = plan
        .python
        .iter()
        .filter(|_| uses_python)
        .map(|p| strategy::python::describe(p, prepared.calibration.as_ref(), plan.py_kernel))
        .map(|p| strategy::python::recorded(p, ctx.runtime.start_method))
        .collect();
    let parameters = Parameters {
        job_mb: None,
        variants: plan.variants.clone(),
        strategies: plan.display_strategies(),
        workers: plan.workers.clone(),
        numbers: plan.study.numbers.clone(),
        items: plan.study.numbers.len(),
        jobs: plan.jobs(),
        sleep_ms: first_sleep,
        cpu_ms: None,
        cpu_iters: None,
        reps: 0,
        warmup: plan.warmup,
        order: plan.study.order.name().into(),
        seed: Some(plan.study.seed),
        timeout_s: study::arms::timeouts(arms),
        sample_interval_ms: plan.study.sample_interval.as_secs_f64() * 1e3,
    };
    let mut meta = study_meta(
        StudyKind::Sweep,
        MetaParts {
            parameters,
            calibration: prepared.calibration,
            before: prepared.before,
            pythons,
            gil_switch_interval_ms: crate::experiment::gil_switch_interval_ms(
                &plan.strategies,
                ctx,
            ),
            bootstrap: crate::stats::BootstrapSettings::default(),
            command_line: plan.command_line.clone(),
        },
    );
    meta.dask = plan.dask.clone();
    meta
}
