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

pub use super::decide::{Decision, Judging, decide};
use super::decide::{one_core, unfinished};
use super::stopping::Sequence;
use super::subject::Subject;
use crate::engine::{
    Arm, Engine, Executor, OnWrongResults, Order, Preparation, RerunRule, Schedule, Session,
    Status, default_timeout,
};
use crate::error::{Error, Result};
use crate::measure::load::{BUSY_THRESHOLD_PCT, idle_check};
use crate::records::{Meta, RunRow, SummaryRow};
use crate::stats::BootstrapSettings;
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
    pub judging: Judging,
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

/// The fewest paired rounds with a 95 % interval of their median ([min, max] of 6 covers
/// 96.9 %): a final look forced by the budget waits for them.
pub const MIN_FINAL_REPS: u32 = 6;
pub const MAX_RETRIES: u32 = 2;

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
    subject: Subject,
    sequence: Sequence,
    decision: Option<Decision>,
}

/// Run the measurements the subjects need, into `meta`'s run folder `dir`.
pub fn run(
    cfg: &Config,
    subjects: &[Subject],
    ctx: &StrategyContext,
    dir: &std::path::Path,
    mut meta: Meta,
) -> Result<Outcome> {
    let epoch = Instant::now();
    meta.background.before_pct_of_core = idle_check(Duration::from_millis(300));
    let needs_cpu = subjects.iter().any(|c| c.variant() == Variant::Cpu);
    let calibration = needs_cpu.then(|| workload::calibrate(cfg.cpu_ms));
    let (arms, blocks) = build_arms(cfg, subjects, ctx, calibration.as_ref())?;
    meta.calibration = calibration;
    meta.pythons = describe_pythons(subjects, calibration.as_ref());
    if let Some(p) = meta.pythons.first() {
        meta.python = Some(p.clone());
    }
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
    let mut states: Vec<ClaimState> = subjects
        .iter()
        .map(|subject| ClaimState {
            subject: subject.clone(),
            sequence: Sequence::default(),
            decision: (subject.variant() == Variant::Cpu && cfg.cores < 2)
                .then(|| one_core(subject)),
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
        s.decision = Some(unfinished(&s.subject, &engine.session.rows, &result));
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

/// The interpreters of the CPython subjects, described (and calibrated to the CPU unit) for
/// meta.json, in the order given.
fn describe_pythons(
    subjects: &[Subject],
    calibration: Option<&Calibration>,
) -> Vec<strategy::python::PythonInfo> {
    let mut out: Vec<strategy::python::PythonInfo> = Vec::new();
    for s in subjects {
        let Some(p) = &s.python else { continue };
        if out.iter().any(|i| i.executable == p.info.executable) {
            continue;
        }
        let mut info = p.info.clone();
        if let Some(c) = calibration {
            info.cpu_calibration = strategy::python::calibrate(
                p,
                c.iters,
                c.target_ms,
                strategy::python::PyKernel::Bytecode,
            )
            .ok();
        }
        out.push(info);
    }
    out
}

/// One arm per (variant, label) the subjects need (each one's strategy and its baseline), in
/// blocks of arms compared with each other; the CPython arms of a block share an interpreter
/// per round.
fn build_arms(
    cfg: &Config,
    subjects: &[Subject],
    ctx: &StrategyContext,
    calibration: Option<&Calibration>,
) -> Result<(Vec<Arm>, Blocks)> {
    let jobs = cfg.numbers.len() * 2;
    let mut arms: Vec<Arm> = Vec::new();
    let mut labels: Vec<(Variant, String)> = Vec::new();
    let mut blocks: Blocks = Vec::new();
    let mut block_keys: Vec<(Variant, String)> = Vec::new();
    let mut hosts: Vec<std::sync::Arc<strategy::python::PyHost>> = Vec::new();
    for subject in subjects {
        for label in [subject.baseline(), subject.label.clone()] {
            let variant = subject.variant();
            if labels.contains(&(variant, label.clone())) {
                continue;
            }
            labels.push((variant, label.clone()));
            let info = strategy::find(strategy::name_in_label(&label))?;
            let (unit, unit_ms) = match (variant, calibration) {
                (Variant::Cpu, Some(c)) => (WorkUnit::Cpu { iters: c.iters }, c.target_ms),
                _ => (WorkUnit::Sleep(cfg.sleep), cfg.sleep.as_secs_f64() * 1e3),
            };
            let key = (variant, subject.baseline());
            let b = match block_keys.iter().position(|k| *k == key) {
                Some(b) => b,
                None => {
                    block_keys.push(key);
                    blocks.push(Vec::new());
                    hosts.push(std::sync::Arc::new(strategy::python::PyHost::default()));
                    blocks.len() - 1
                }
            };
            blocks[b].push(arms.len());
            let mut ctx = ctx.clone();
            ctx.py_host = Some(std::sync::Arc::clone(&hosts[b]));
            if let Some(p) = &subject.python {
                ctx.runtime.python = Some(std::path::PathBuf::from(&p.info.requested));
                ctx.runtime.py_kernel = subject.kernel();
                ctx.runtime.py_label = subject.label_suffix().to_string();
            }
            let workers = if info.uses_workers { cfg.workers } else { 1 };
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
        let needed = needed_arms(engine, states);
        let round_cost: Duration = needed
            .iter()
            .zip(&engine.arms)
            .filter(|(need, _)| **need)
            .map(|(_, a)| a.last_cost)
            .sum();
        // When the budget will not reach the first planned look (many interpreters, say), the
        // last round it allows is the final look, as soon as a 95 % interval exists.
        let forced = n >= MIN_FINAL_REPS && epoch.elapsed() + round_cost > cfg.budget;
        let at_look =
            n >= cfg.min_reps && ((n - cfg.min_reps).is_multiple_of(cfg.step) || n >= cfg.max_reps);
        if !at_look && !forced {
            continue;
        }
        // An interim look first (it needs `min_reps`): the claims it decides stop, and what the
        // undecided ones still need decides whether the budget allows another step. If it does
        // not, the same rounds get the final look, with what is left of α (the union bound
        // does not mind two looks at the same data).
        if at_look && !forced && n < cfg.max_reps {
            look(cfg, engine, states, false);
        }
        let cost_left: Duration = needed_arms(engine, states)
            .iter()
            .zip(&engine.arms)
            .filter(|(need, _)| **need)
            .map(|(_, a)| a.last_cost)
            .sum();
        let is_final =
            forced || n >= cfg.max_reps || epoch.elapsed() + cost_left * cfg.step > cfg.budget;
        if is_final {
            look(cfg, engine, states, true);
        }
        let undecided: Vec<String> = states
            .iter()
            .filter(|s| s.decision.is_none())
            .map(|s| format!("{}:{}", s.subject.spec.claim, s.subject.name))
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
            let label = a.strategy.label();
            states.iter().filter(|s| s.decision.is_none()).any(|s| {
                a.variant == s.subject.variant()
                    && (label == s.subject.label || label == s.subject.baseline())
            })
        })
        .collect()
}

/// One look at every undecided claim.
fn look(cfg: &Config, engine: &Engine, states: &mut [ClaimState], is_final: bool) {
    for s in states.iter_mut().filter(|s| s.decision.is_none()) {
        let look = s.sequence.next(is_final);
        let d = decide(&cfg.judging, &s.subject, &engine.session.rows, look);
        if s.sequence.settle(look, d.verdict) {
            s.decision = Some(d);
        }
    }
}
