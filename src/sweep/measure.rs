//! The measured part of a sweep, on the trial engine: calibrate, build the arms (one block per
//! job size), warm up, plan the repetitions from what the warm-up cost, then measured rounds
//! until the plan is done or the next round would pass the budget.

use std::time::{Duration, Instant};

use super::budget::{Reserve, StoppedBy, fits, plan_reps};
use super::plan::{CpuSizes, SweepPlan, build_arms};
use super::records::{JobSize, SweepSettings};
use crate::engine::{Engine, Executor, Schedule, Session, Status};
use crate::error::{Error, Result};
use crate::experiment::busy_warning;
use crate::measure::load::{BUSY_THRESHOLD_PCT, idle_check};
use crate::measure::machine;
use crate::records::{BackgroundLoad, Meta, Parameters, RunRow};
use crate::strategy::{self, StrategyContext};
use crate::workload::{self, Calibration, Variant};

/// What the measured part produced. Once trials have started it always comes back, with the
/// error that ended it early, if one did: the rows measured before are kept.
#[derive(Debug)]
pub struct Measured {
    pub rows: Vec<RunRow>,
    pub meta: Meta,
    pub settings: SweepSettings,
    pub error: Option<Error>,
}

/// Run the sweep's trials into `plan.out_dir`. `started` is when the command started: the
/// budget counts from there.
pub fn run(plan: &SweepPlan, ctx: &StrategyContext, started: Instant) -> Result<Measured> {
    let epoch = Instant::now();
    let before = idle_check(Duration::from_millis(300));
    // Timed before any arm exists: a new rayon pool's threads spin for a while and would
    // slow the timing down.
    let per_point_rep = time_one_interval_per_rep();
    let calibration = plan
        .variants
        .contains(&Variant::Cpu)
        .then(|| match &plan.cpu {
            CpuSizes::Millis(ms) => workload::calibrate(ms.iter().copied().fold(0.0, f64::max)),
            CpuSizes::Iters(its) => workload::fixed_iters(its.iter().copied().max().unwrap_or(1)),
        });
    let sizes = plan.sizes(calibration.map_or(1.0, |c| c.iters_per_ms));
    let (arms, blocks) = build_arms(plan, ctx, &sizes)?;
    let reserve = Reserve {
        fixed: Duration::from_secs(2),
        per_point_rep,
        points: arms.len(),
    };
    let mut settings = SweepSettings {
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
    };
    let timeout_s = arms
        .iter()
        .map(|a| (a.variant, a.timeout.as_secs_f64()))
        .fold(Vec::new(), |mut acc: Vec<(Variant, f64)>, (v, t)| {
            match acc.iter_mut().find(|x| x.0 == v) {
                Some(x) => x.1 = x.1.max(t),
                None => acc.push((v, t)),
            }
            acc
        });
    let meta = initial_meta(plan, ctx, calibration, before, &sizes, timeout_s);
    let session = Session::open(
        &plan.out_dir,
        epoch,
        meta,
        Some(crate::measure::sampler::DEFAULT_INTERVAL),
    )?;
    let executor = Executor::new(
        epoch,
        &plan.numbers,
        session.tag.clone(),
        session.sampler_clock(),
        crate::engine::Preparation::default(),
    );
    let mut engine = Engine::new(session, executor, arms);
    let schedule = Schedule::new(plan.order, plan.seed, blocks.clone());
    engine.session.meta.discipline =
        Some(engine.discipline(plan.order, plan.seed, schedule.balance_period()));
    super::records::write_meta(
        &plan.out_dir,
        &super::records::SweepMeta {
            meta: engine.session.meta.clone(),
            sweep: settings.clone(),
        },
    )?;
    if let Some(b) = before.filter(|&b| b > BUSY_THRESHOLD_PCT) {
        engine.say(&busy_warning("before the sweep", b));
    }
    let result = rounds(
        &mut engine,
        plan,
        blocks,
        schedule,
        started,
        &reserve,
        &mut settings,
    );
    let stopped_by = match &result {
        Ok(s) => *s,
        Err(Error::Interrupted { .. }) => StoppedBy::Interrupted,
        Err(_) => StoppedBy::Failed,
    };
    settings.stopped_by = stopped_by.name().into();
    settings.stop_reason = stop_reason(stopped_by, &settings, &result);
    engine.session.meta.parameters.reps = settings.reps_done;
    let status = Status::of(&result);
    let (meta, rows, written) = engine.close(&status);
    if let Some(d) = meta
        .background
        .during_pct_of_core
        .filter(|&d| d > BUSY_THRESHOLD_PCT)
    {
        eprintln!("{}", busy_warning("during the sweep", d));
    }
    Ok(Measured {
        rows,
        meta,
        settings,
        error: result.err().or(written.err()),
    })
}

/// Warm-up rounds (their own order), the plan, then measured rounds.
fn rounds(
    engine: &mut Engine,
    plan: &SweepPlan,
    blocks: Vec<Vec<usize>>,
    mut schedule: Schedule,
    started: Instant,
    reserve: &Reserve,
    settings: &mut SweepSettings,
) -> Result<StoppedBy> {
    let trials = engine.arms.len();
    if plan.show_progress {
        engine.say(&format!(
            "concbench sweep: {trials} trials per round over {} job sizes (zero work included); warming up",
            blocks.len()
        ));
    }
    let mut warm = Schedule::new(plan.order, plan.seed ^ 0x5741_524D, blocks);
    for _ in 0..plan.warmup {
        engine.round(&warm.next_round(), true)?;
    }
    let round_cost = next_round_cost(engine);
    let rep_plan = plan_reps(
        started.elapsed(),
        plan.budget,
        round_cost,
        reserve,
        plan.min_reps,
        plan.max_reps,
    );
    settings.round_cost_s = Some(round_cost.as_secs_f64());
    settings.reserve_s = reserve.for_reps(rep_plan.reps).as_secs_f64();
    settings.fit_reps = rep_plan.fit;
    settings.planned_reps = rep_plan.reps;
    if rep_plan.fit < plan.min_reps {
        let needed =
            started.elapsed() + round_cost * plan.min_reps + reserve.for_reps(plan.min_reps);
        engine.say(&format!(
            "concbench sweep: warning: a round takes {:.1} s: only {} round(s) fit the budget with their analysis, fewer than --min-reps {}; the sweep stops at the budget (--budget-s {:.0} would fit them)",
            round_cost.as_secs_f64(),
            rep_plan.fit,
            plan.min_reps,
            needed.as_secs_f64().ceil()
        ));
    }
    if plan.show_progress {
        engine.say(&format!(
            "concbench sweep: a round takes {:.1} s; {} repetitions planned (budget {:.0} s)",
            round_cost.as_secs_f64(),
            rep_plan.reps,
            plan.budget.as_secs_f64()
        ));
        engine.show_progress(u64::from(rep_plan.reps) * trials as u64);
    }
    for r in 0..rep_plan.reps {
        // At least one measured round, whatever the budget: a sweep of nothing says nothing.
        let next = next_round_cost(engine);
        if r > 0 && !fits(started.elapsed(), next, r + 1, reserve, plan.budget) {
            return Ok(StoppedBy::Budget);
        }
        engine.round(&schedule.next_round(), false)?;
        settings.reps_done = r + 1;
    }
    Ok(StoppedBy::PlannedReps)
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

/// What the next round will cost: every arm's last trial, whole (settling, preparing, running,
/// finishing).
fn next_round_cost(engine: &Engine) -> Duration {
    engine.arms.iter().map(|a| a.last_cost).sum()
}

fn stop_reason(by: StoppedBy, s: &SweepSettings, result: &Result<StoppedBy>) -> String {
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

fn initial_meta(
    plan: &SweepPlan,
    ctx: &StrategyContext,
    calibration: Option<Calibration>,
    before: Option<f64>,
    sizes: &[(JobSize, crate::workload::WorkUnit)],
    timeout_s: Vec<(Variant, f64)>,
) -> Meta {
    let first_sleep = sizes
        .iter()
        .find(|s| s.0.variant == Variant::Sleep)
        .map_or(0.0, |s| s.0.unit_ms);
    Meta {
        concbench_version: env!("CARGO_PKG_VERSION").into(),
        status: "running".into(),
        command_line: plan.command_line.clone(),
        started_at: machine::utc_now(),
        finished_at: None,
        total_wall_s: None,
        machine: machine::describe(),
        parameters: Parameters {
            variants: plan.variants.clone(),
            strategies: plan.display_strategies(),
            workers: plan.workers.clone(),
            numbers: plan.numbers.clone(),
            items: plan.numbers.len(),
            jobs: plan.jobs(),
            sleep_ms: first_sleep,
            cpu_ms: None,
            cpu_iters: None,
            reps: 0,
            warmup: plan.warmup,
            order: plan.order.name().into(),
            seed: Some(plan.seed),
            timeout_s,
            sample_interval_ms: crate::measure::sampler::DEFAULT_INTERVAL.as_secs_f64() * 1e3,
        },
        calibration,
        background: BackgroundLoad {
            before_pct_of_core: before,
            threshold_pct_of_core: BUSY_THRESHOLD_PCT,
            ..Default::default()
        },
        sampler: None,
        mismatches: 0,
        python: plan
            .strategies
            .iter()
            .any(|s| strategy::python::is_python(s))
            .then(|| strategy::python::interpreter(ctx.runtime.python.as_deref()).ok())
            .flatten()
            .map(|p| strategy::python::describe(&p, calibration.as_ref(), ctx.runtime.py_kernel)),
        pythons: Vec::new(),
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
