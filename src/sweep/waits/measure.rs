//! The measured part of a wait sweep, on the trial engine: one arm per (waiters, strategy that
//! holds them), warm-up rounds, then `--reps` measured rounds. Every waiter count has jobs of
//! its own, so the trials run on one executor per count.

use std::time::{Duration, Instant};

use super::plan::{WaitsAxis, arm_specs, numbers_for};
use crate::engine::{Arm, Executor, Preparation, RunTrial, Trial};
use crate::error::{Error, Result};
use crate::measure::sampler::{SamplerClock, TrialTag};
use crate::records::MemorySamplerReport;
use crate::records::sweep::{JobSize, SweepSettings};
use crate::strategy::StrategyContext;
use crate::study::{self, FixedReps, Policy, Study};
use crate::sweep::measure::{Measured, sweep_meta};
use crate::sweep::plan::SweepPlan;
use crate::workload::Variant;

/// One executor per waiter count: an arm's trial runs on the one of its worker count (jobs =
/// workers = waiters).
pub struct WaitsExecutor {
    by_waiters: Vec<(usize, Executor)>,
}

impl WaitsExecutor {
    pub fn new(
        epoch: Instant,
        waiters: &[usize],
        tag: &TrialTag,
        sampler: &SamplerClock,
        preparation: Preparation,
    ) -> Self {
        let by_waiters = waiters
            .iter()
            .map(|&n| {
                let numbers = numbers_for(n);
                let ex = Executor::new(epoch, &numbers, tag.clone(), sampler.clone(), preparation);
                (n, ex)
            })
            .collect();
        WaitsExecutor { by_waiters }
    }

    fn of(&self, arm: &Arm) -> Result<&Executor> {
        let n = arm.strategy.workers();
        self.by_waiters
            .iter()
            .find(|(w, _)| *w == n)
            .map(|(_, ex)| ex)
            .ok_or_else(|| Error::Measurement(format!("no jobs for {n} waiters")))
    }
}

impl RunTrial for WaitsExecutor {
    fn run(&self, arm: &mut Arm, label: &str) -> Result<Trial> {
        self.of(arm)?.run(arm, label)
    }

    /// The largest count's jobs (each row gets its own from [`RunTrial::jobs_of`]).
    fn jobs(&self) -> usize {
        self.by_waiters
            .iter()
            .map(|(_, ex)| ex.jobs.len())
            .max()
            .unwrap_or(0)
    }

    fn jobs_of(&self, arm: &Arm) -> usize {
        self.of(arm).map_or(0, |ex| ex.jobs.len())
    }

    /// Every executor's memory sampler, added up.
    fn memory_report(&self) -> Option<MemorySamplerReport> {
        let reports: Vec<MemorySamplerReport> = self
            .by_waiters
            .iter()
            .filter_map(|(_, ex)| RunTrial::memory_report(ex))
            .collect();
        let first = reports.first()?;
        let mut sum = MemorySamplerReport {
            interval_ms: first.interval_ms,
            sampled_trials: 0,
            samples: 0,
            cpu_s: 0.0,
            sampling_wall_s: 0.0,
            overhead_pct_of_core: 0.0,
        };
        for r in &reports {
            sum.sampled_trials += r.sampled_trials;
            sum.samples += r.samples;
            sum.cpu_s += r.cpu_s;
            sum.sampling_wall_s += r.sampling_wall_s;
        }
        if sum.sampling_wall_s > 0.0 {
            sum.overhead_pct_of_core = 100.0 * sum.cpu_s / sum.sampling_wall_s;
        }
        Some(sum)
    }
}

/// Run the wait sweep's trials into `plan.study.out_dir`.
pub fn run(plan: &SweepPlan, axis: &WaitsAxis, ctx: &StrategyContext) -> Result<Measured> {
    let prepared = study::prepare(Duration::from_millis(300), None);
    let sizes = [(
        JobSize {
            variant: Variant::Sleep,
            unit_ms: axis.wait_ms,
            iters: None,
        },
        crate::workload::WorkUnit::sleep(Duration::from_secs_f64(axis.wait_ms / 1e3)),
    )];
    let (arms, blocks) = study::build_arms(&arm_specs(plan, axis), ctx)?;
    let settings = initial_settings(plan, axis, &sizes[0].0);
    let mut meta = sweep_meta(plan, ctx, &prepared, &sizes, &arms);
    let most = axis.waiters.iter().copied().max().unwrap_or(0);
    // Each waiter count has its own numbers (1..=N/2): the largest count's stand for them.
    meta.parameters.numbers = Vec::new();
    meta.parameters.items = most / 2;
    meta.parameters.jobs = most;
    let cfg = &plan.study;
    let executor = |session: &crate::engine::Session| -> Box<dyn RunTrial> {
        Box::new(WaitsExecutor::new(
            prepared.epoch,
            &axis.waiters,
            &session.tag,
            &session.sampler_clock(),
            cfg.preparation,
        ))
    };
    let section = Box::new(settings.clone());
    let study = Study::open_with(
        cfg,
        prepared.epoch,
        (arms, blocks),
        meta,
        Some(section),
        executor,
    )?;
    study.warn_if_busy("before the sweep", prepared.before);
    let mut policy = Counted {
        inner: FixedReps {
            warmup: plan.warmup,
            reps: axis.reps,
            show_progress: plan.show_progress,
        },
        settings,
    };
    let closed = study.run(&mut policy);
    study::warn_if_busy_during(&closed.meta, "during the sweep");
    Ok(Measured {
        rows: closed.rows,
        meta: closed.meta,
        settings: policy.settings,
        error: closed.error,
    })
}

fn initial_settings(plan: &SweepPlan, axis: &WaitsAxis, size: &JobSize) -> SweepSettings {
    SweepSettings {
        sizes: vec![*size],
        workers: axis.waiters.clone(),
        jobs: axis.waiters.iter().copied().max().unwrap_or(0),
        chunk: plan.chunk.to_string(),
        budget_s: 0.0,
        reserve_s: 0.0,
        min_reps: axis.reps,
        max_reps: axis.reps,
        warmup: plan.warmup,
        round_cost_s: None,
        fit_reps: 0,
        planned_reps: axis.reps,
        reps_done: 0,
        stopped_by: String::new(),
        stop_reason: String::new(),
        break_even_workers: None,
    }
}

/// Fixed repetitions, noted in meta.json's `sweep` section as they end.
struct Counted {
    inner: FixedReps,
    settings: SweepSettings,
}

impl Policy for Counted {
    fn measure(&mut self, study: &mut Study) -> Result<()> {
        if self.inner.show_progress {
            study.engine.say(&format!(
                "concbench sweep --waits: {} trials per round, {} warm-up and {} measured round(s)",
                study.engine.arms.len(),
                self.inner.warmup,
                self.inner.reps
            ));
        }
        self.inner.measure(study)
    }

    fn finish(&mut self, study: &mut Study, result: &Result<()>) {
        let s = &mut self.settings;
        // Every arm ran once per measured round: the fewest measured tells the rounds done.
        s.reps_done = study
            .engine
            .arms
            .iter()
            .map(|a| a.measured)
            .min()
            .unwrap_or(0);
        let (by, reason) = match result {
            Ok(()) => (
                "planned-reps",
                format!(
                    "all {} planned repetitions measured (--reps)",
                    s.planned_reps
                ),
            ),
            Err(e @ Error::Interrupted { .. }) => (
                "interrupted",
                format!("{e} after {} repetitions", s.reps_done),
            ),
            Err(e) => ("failed", format!("{e} after {} repetitions", s.reps_done)),
        };
        s.stopped_by = by.into();
        s.stop_reason = reason;
        let session = &mut study.engine.session;
        session.meta.parameters.reps = s.reps_done;
        session.section = Some(Box::new(s.clone()));
    }
}
