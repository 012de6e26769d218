//! The measurements behind the speed claims (C1-C3), on the trial engine, with the
//! sequential stopping rule of [`super::stopping`].
//!
//! Every claim needs two arms: its strategy and that strategy's sequential baseline, in the
//! claim's variant. Arms compared with each other form a block (same variant, same baseline)
//! and run back to back. After one warm-up round, rounds run in a counterbalanced order; from
//! `min_reps` on, every `step` rounds is a look: each undecided claim's speedup interval is
//! computed at the look's level and judged against the threshold. Arms that no undecided claim
//! needs stop. The last look is the one after which the time budget (or `--max-reps`) allows
//! no further step; a claim still undecided there is INCONCLUSIVE.

use std::time::{Duration, Instant};

use super::stopping::{Look, Sequence, StoppingRule};
use super::{SpeedClaim, Verdict, judge};
use crate::engine::{
    Arm, Engine, Executor, OnWrongResults, Order, Preparation, RerunRule, Schedule, Session,
    Status, default_timeout,
};
use crate::error::{Error, Result};
use crate::measure::load::{BUSY_THRESHOLD_PCT, idle_check};
use crate::records::{Meta, RunRow, SummaryRow};
use crate::stats::{BootstrapSettings, median, median_ci, paired_ratios, speedup};
use crate::strategy::{self, StrategyContext};
use crate::summary::summarize_with;
use crate::workload::{self, Calibration, Variant, WorkUnit};

/// What the campaign measures and how long it may go on.
#[derive(Debug, Clone)]
pub struct Config {
    pub workers: usize,
    pub numbers: Vec<i64>,
    pub sleep: Duration,
    pub cpu_ms: f64,
    pub min_reps: u32,
    pub max_reps: u32,
    pub step: u32,
    pub order_seed: u64,
    pub bootstrap: BootstrapSettings,
    pub threshold: f64,
    pub rule: StoppingRule,
    /// Available parallelism: with one core the CPU-bound claims cannot be decided.
    pub cores: usize,
    pub quiet: bool,
    /// No step is started that would end after this much measuring.
    pub budget: Duration,
    pub preparation: Preparation,
}

/// A trial during which other processes used more than this share of one core is discarded
/// and run again, at most [`MAX_RETRIES`] times and only during the first half of the budget.
pub const BUSY_TRIAL_PCT: f64 = 25.0;
pub const MAX_RETRIES: u32 = 2;

/// How one speed claim was decided.
#[derive(Debug, Clone)]
pub struct Decision {
    pub claim: &'static SpeedClaim,
    pub verdict: Verdict,
    pub reason: String,
    /// The speedup (ratio of medians) and its interval at the deciding look.
    pub speedup: Option<f64>,
    pub ci: Option<(f64, f64)>,
    /// "99.9%" and "interim look 2" / "final look".
    pub level: String,
    pub look: String,
    /// Medians and repetitions of baseline and strategy at that look.
    pub medians: Option<(f64, f64)>,
    pub reps: usize,
}

/// What the campaign measured.
#[derive(Debug)]
pub struct Outcome {
    pub runs: Vec<RunRow>,
    pub summary: Vec<SummaryRow>,
    pub decisions: Vec<Decision>,
    pub meta: Meta,
    pub stop_reason: String,
    pub discarded_busy: u32,
    /// The error that ended the measurements early (a stop signal, a failed trial).
    pub error: Option<Error>,
}

struct ClaimState {
    spec: &'static SpeedClaim,
    sequence: Sequence,
    decision: Option<Decision>,
}

/// Run the measurements the claims need, into `meta`'s run folder `dir`.
pub fn run(
    cfg: &Config,
    claims: &[&'static SpeedClaim],
    ctx: &StrategyContext,
    dir: &std::path::Path,
    mut meta: Meta,
) -> Result<Outcome> {
    let epoch = Instant::now();
    meta.background.before_pct_of_core = idle_check(Duration::from_millis(300));
    let needs_cpu = claims.iter().any(|c| c.variant == Variant::Cpu);
    let calibration = needs_cpu.then(|| workload::calibrate(cfg.cpu_ms));
    let (arms, blocks) = build_arms(cfg, claims, ctx, calibration.as_ref())?;
    let infos: Vec<&'static strategy::StrategyInfo> = arms
        .iter()
        .filter_map(|a| strategy::find(a.strategy.name()).ok())
        .collect();
    meta.calibration = calibration;
    meta.python = strategy::python::describe_for_plan(
        &infos,
        calibration.as_ref(),
        ctx.runtime.python.as_deref(),
        ctx.runtime.py_kernel,
    )
    .or(meta.python);
    let session = Session::open(
        dir,
        epoch,
        meta,
        Some(crate::measure::sampler::DEFAULT_INTERVAL),
    )?;
    let executor = Executor::new(
        epoch,
        &cfg.numbers,
        session.tag.clone(),
        session.sampler_clock(),
        cfg.preparation,
    );
    let mut engine = Engine::new(session, executor, arms);
    engine.on_wrong = OnWrongResults::Fail;
    engine.rerun = Some(RerunRule {
        busy_pct: BUSY_TRIAL_PCT,
        max_retries: MAX_RETRIES,
        until: epoch + cfg.budget / 2,
    });
    let first = Schedule::new(Order::Counterbalanced, cfg.order_seed, blocks.clone());
    engine.session.meta.discipline = Some(engine.discipline(
        Order::Counterbalanced,
        cfg.order_seed,
        first.balance_period(),
    ));
    if let Some(b) = engine
        .session
        .meta
        .background
        .before_pct_of_core
        .filter(|&b| b > BUSY_THRESHOLD_PCT)
    {
        engine.say(&crate::experiment::busy_warning("before the claims", b));
    }
    let mut states: Vec<ClaimState> = claims
        .iter()
        .map(|&spec| ClaimState {
            spec,
            sequence: Sequence::default(),
            decision: (spec.variant == Variant::Cpu && cfg.cores < 2).then(|| one_core(spec)),
        })
        .collect();
    let mut stop_reason = String::new();
    let result = measure(
        cfg,
        &mut engine,
        &mut states,
        blocks,
        first,
        epoch,
        &mut stop_reason,
    );
    if let Err(e) = &result {
        stop_reason = format!("stopped early: {e}");
    }
    for s in states.iter_mut().filter(|s| s.decision.is_none()) {
        s.decision = Some(unfinished(s.spec, &engine.session.rows, &result));
    }
    let discarded_busy = engine.discarded_busy;
    let status = Status::of(&result);
    let (meta, runs, written) = engine.close(&status);
    let summary = summarize_with(&runs, &cfg.bootstrap);
    Ok(Outcome {
        summary,
        runs,
        decisions: states.into_iter().filter_map(|s| s.decision).collect(),
        meta,
        stop_reason,
        discarded_busy,
        error: result.err().or(written.err()),
    })
}

type Blocks = Vec<Vec<usize>>;

fn build_arms(
    cfg: &Config,
    claims: &[&'static SpeedClaim],
    ctx: &StrategyContext,
    calibration: Option<&Calibration>,
) -> Result<(Vec<Arm>, Blocks)> {
    let mut wanted: Vec<(Variant, &'static str)> = Vec::new();
    for c in claims {
        for name in [strategy::baseline_of(c.strategy), c.strategy] {
            if !wanted.contains(&(c.variant, name)) {
                wanted.push((c.variant, name));
            }
        }
    }
    let jobs = cfg.numbers.len() * 2;
    let mut arms: Vec<Arm> = Vec::new();
    let mut blocks: Blocks = Vec::new();
    let mut block_keys: Vec<(Variant, &'static str)> = Vec::new();
    let mut hosts: Vec<std::sync::Arc<strategy::python::PyHost>> = Vec::new();
    for (variant, name) in wanted {
        let info = strategy::find(name)?;
        let (unit, unit_ms) = match (variant, calibration) {
            (Variant::Cpu, Some(c)) => (WorkUnit::Cpu { iters: c.iters }, c.target_ms),
            _ => (WorkUnit::Sleep(cfg.sleep), cfg.sleep.as_secs_f64() * 1e3),
        };
        let workers = if info.uses_workers { cfg.workers } else { 1 };
        let key = (variant, strategy::baseline_of(name));
        let b = match block_keys.iter().position(|k| *k == key) {
            Some(b) => b,
            None => {
                block_keys.push(key);
                blocks.push(Vec::new());
                // The py-* arms of one block share an interpreter per round (see PyHost).
                hosts.push(std::sync::Arc::new(strategy::python::PyHost::default()));
                blocks.len() - 1
            }
        };
        blocks[b].push(arms.len());
        let mut ctx = ctx.clone();
        ctx.py_host = Some(std::sync::Arc::clone(&hosts[b]));
        arms.push(Arm {
            variant,
            unit,
            unit_ms,
            timeout: default_timeout(jobs, unit_ms),
            strategy: (info.build)(workers, &ctx)?,
            measured: 0,
            last_cost: Duration::ZERO,
        });
    }
    Ok((arms, blocks))
}

/// The rounds and looks. Returns when every claim is decided, or with the error that stopped
/// the measurements.
fn measure(
    cfg: &Config,
    engine: &mut Engine,
    states: &mut [ClaimState],
    blocks: Blocks,
    first: Schedule,
    epoch: Instant,
    stop_reason: &mut String,
) -> Result<()> {
    if states.iter().all(|s| s.decision.is_some()) {
        *stop_reason = "nothing to measure".into();
        return Ok(());
    }
    let mut warm = Schedule::new(
        Order::Counterbalanced,
        cfg.order_seed ^ 0x5741_524D,
        blocks.clone(),
    );
    engine.round(&warm.next_round(), true)?;
    let mut schedule = first;
    let mut active: Vec<bool> = vec![true; engine.arms.len()];
    let mut n = 0u32;
    loop {
        engine.round(&schedule.next_round(), false)?;
        n += 1;
        let at_look =
            n >= cfg.min_reps && ((n - cfg.min_reps).is_multiple_of(cfg.step) || n >= cfg.max_reps);
        if !at_look {
            continue;
        }
        let needed = needed_arms(engine, states);
        let step_cost: Duration = needed
            .iter()
            .zip(&engine.arms)
            .filter(|(need, _)| **need)
            .map(|(_, a)| a.last_cost * cfg.step)
            .sum();
        let is_final = n >= cfg.max_reps || epoch.elapsed() + step_cost > cfg.budget;
        look(cfg, engine, states, is_final);
        let undecided: Vec<String> = states
            .iter()
            .filter(|s| s.decision.is_none())
            .map(|s| format!("{}:{}", s.spec.claim, s.spec.subject))
            .collect();
        if undecided.is_empty() {
            *stop_reason = format!("every verdict decided after {n} reps");
            return Ok(());
        }
        if !cfg.quiet {
            engine.say(&format!(
                "concbench claim: {n} reps: {} undecided ({}), measuring {} more",
                undecided.len(),
                undecided.join(", "),
                cfg.step
            ));
        }
        let needed = needed_arms(engine, states);
        if needed != active {
            active = needed;
            let blocks: Blocks = blocks
                .iter()
                .map(|b| b.iter().copied().filter(|&i| active[i]).collect::<Vec<_>>())
                .filter(|b: &Vec<usize>| !b.is_empty())
                .collect();
            schedule = Schedule::new(
                Order::Counterbalanced,
                cfg.order_seed ^ u64::from(n),
                blocks,
            );
        }
    }
}

/// Arms that some undecided claim still needs.
fn needed_arms(engine: &Engine, states: &[ClaimState]) -> Vec<bool> {
    engine
        .arms
        .iter()
        .map(|a| {
            states.iter().filter(|s| s.decision.is_none()).any(|s| {
                a.variant == s.spec.variant
                    && (a.strategy.name() == s.spec.strategy
                        || a.strategy.name() == strategy::baseline_of(s.spec.strategy))
            })
        })
        .collect()
}

/// One look at every undecided claim.
fn look(cfg: &Config, engine: &Engine, states: &mut [ClaimState], is_final: bool) {
    for s in states.iter_mut().filter(|s| s.decision.is_none()) {
        let look = s.sequence.next(is_final);
        let d = decide(cfg, s.spec, &engine.session.rows, look);
        if s.sequence.settle(look, d.verdict) {
            s.decision = Some(d);
        }
    }
}

/// The rows of one arm.
fn arm_rows<'a>(rows: &'a [RunRow], variant: Variant, strategy: &str) -> Vec<&'a RunRow> {
    rows.iter()
        .filter(|r| r.variant == variant && r.strategy == strategy)
        .collect()
}

/// The walls of one arm.
fn walls(rows: &[RunRow], variant: Variant, strategy: &str) -> Vec<f64> {
    arm_rows(rows, variant, strategy)
        .iter()
        .map(|r| r.wall_s)
        .collect()
}

/// Judge one claim on the rows so far, with the interval at `look`'s level: the median over
/// rounds of the speedup measured within each round (baseline and strategy run back to back,
/// in one interpreter for the py-* arms), and its order-statistic interval.
pub fn decide(cfg: &Config, spec: &'static SpeedClaim, rows: &[RunRow], look: Look) -> Decision {
    let baseline = strategy::baseline_of(spec.strategy);
    let keyed = |name: &str| -> Vec<(u64, f64)> {
        arm_rows(rows, spec.variant, name)
            .iter()
            .map(|r| (u64::from(r.round), r.wall_s))
            .collect()
    };
    let ratios = paired_ratios(&keyed(baseline), &keyed(spec.strategy));
    let base = walls(rows, spec.variant, baseline);
    let cand = walls(rows, spec.variant, spec.strategy);
    let medians = median(&base).zip(median(&cand));
    let point = median(&ratios).filter(|s| s.is_finite());
    let confidence = cfg.rule.confidence(look);
    let ci = median_ci(&ratios, confidence);
    let look_words = match look {
        Look::Interim(k) => format!("interim look {k}"),
        Look::Final { .. } => "final look".to_string(),
    };
    let (verdict, reason) = match (point, ci) {
        (Some(_), Some((lo, hi, _))) => {
            let v = judge(spec.direction, (lo, hi), cfg.threshold);
            let mut reason = super::verdict::reason(spec.direction, (lo, hi), cfg.threshold);
            if v == Verdict::Inconclusive && matches!(look, Look::Final { .. }) {
                reason.push_str(&format!(
                    " at the final look ({} paired rounds): the time budget allows no more",
                    ratios.len()
                ));
            }
            (v, reason)
        }
        (Some(_), None) => (
            Verdict::Inconclusive,
            format!(
                "{} paired rounds are too few for a {} interval",
                ratios.len(),
                cfg.rule.level_words(look)
            ),
        ),
        (None, _) => (
            Verdict::Inconclusive,
            format!(
                "no interval: no round with a positive, finite wall time on both sides ({baseline} {:?}, {} {:?})",
                median(&base),
                spec.strategy,
                median(&cand)
            ),
        ),
    };
    Decision {
        claim: spec,
        verdict,
        reason,
        speedup: point,
        ci: ci.map(|c| (c.0, c.1)),
        level: cfg.rule.level_words(look),
        look: look_words,
        medians,
        reps: ratios.len(),
    }
}

fn one_core(spec: &'static SpeedClaim) -> Decision {
    Decision {
        claim: spec,
        verdict: Verdict::Inconclusive,
        reason: "only 1 core available: CPU-bound work cannot run in parallel on this machine"
            .into(),
        speedup: None,
        ci: None,
        level: String::new(),
        look: String::new(),
        medians: None,
        reps: 0,
    }
}

/// A claim the measurements ended before deciding.
fn unfinished(spec: &'static SpeedClaim, rows: &[RunRow], result: &Result<()>) -> Decision {
    let base = walls(rows, spec.variant, strategy::baseline_of(spec.strategy));
    let cand = walls(rows, spec.variant, spec.strategy);
    let why = match result {
        Err(e) => format!("{e}"),
        Ok(()) => "the measurements ended".into(),
    };
    Decision {
        claim: spec,
        verdict: Verdict::Inconclusive,
        reason: format!(
            "not decided: {why} after {} reps",
            base.len().min(cand.len())
        ),
        speedup: median(&base)
            .zip(median(&cand))
            .and_then(|(b, c)| speedup(b, c)),
        ci: None,
        level: String::new(),
        look: String::new(),
        medians: median(&base).zip(median(&cand)),
        reps: base.len().min(cand.len()),
    }
}
