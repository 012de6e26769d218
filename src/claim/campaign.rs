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

use std::sync::Arc;
use std::time::Duration;

use super::decide::one_core;
pub use super::decide::{Decision, Judging, decide};
pub use super::looks::MIN_FINAL_REPS;
use super::looks::{ClaimState, Clock, Schedule, SequentialLooks, WallClock};
use super::stopping::Sequence;
use super::subject::Subject;
use crate::engine::{OnWrongResults, Order, Preparation, RerunRule, default_timeout};
use crate::error::{Error, Result};
use crate::records::{Meta, RunRow, SummaryRow};
use crate::stats::BootstrapSettings;
use crate::strategy::python::Interpreter;
use crate::strategy::{self, StrategyContext};
use crate::study::{self, ArmSpec, CpuUnit, Prepared, PythonArm, Study, StudyConfig};
use crate::summary::summarize_with;
use crate::workload::{Calibration, Variant, WorkUnit};

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
    pub order: Order,
    /// Per-trial timeout; `None` derives one from the size of the work.
    pub timeout: Option<Duration>,
    pub sample_interval: Duration,
    /// The gil model's switch interval, for meta.json.
    pub switch_interval_ms: f64,
}

/// A trial during which other processes used more than this share of one core is discarded
/// and run again, at most [`MAX_RETRIES`] times and only during the first half of the budget.
pub const BUSY_TRIAL_PCT: f64 = 25.0;

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

/// Run the measurements the subjects need, into the run folder `dir`, with the meta.json
/// `meta_of` makes of the machine as prepared and the subjects' interpreters, described.
pub fn run(
    cfg: &Config,
    subjects: &[Subject],
    ctx: &StrategyContext,
    dir: &std::path::Path,
    meta_of: impl FnOnce(&Prepared, Vec<strategy::python::PythonInfo>) -> Meta,
) -> Result<Outcome> {
    let needs_cpu = subjects.iter().any(|c| c.variant() == Variant::Cpu);
    let prepared = study::prepare(
        Duration::from_millis(300),
        needs_cpu.then_some(CpuUnit::Millis(cfg.cpu_ms)),
    );
    let calibration = prepared.calibration;
    let specs = arm_specs(cfg, subjects, calibration.as_ref())?;
    let arms = study::build_arms(&specs, ctx)?;
    let pythons = describe_pythons(subjects, calibration.as_ref())
        .into_iter()
        .map(|p| strategy::python::recorded(p, ctx.runtime.start_method))
        .collect();
    let meta = meta_of(&prepared, pythons);
    let epoch = prepared.epoch;
    let mut study = Study::open(&study_config(cfg, dir), epoch, arms, meta, None)?;
    study.engine.on_wrong = OnWrongResults::Fail;
    study.engine.rerun = Some(RerunRule {
        busy_pct: BUSY_TRIAL_PCT,
        max_retries: MAX_RETRIES,
        until: epoch + cfg.budget / 2,
    });
    study.warn_if_busy("before the claims", prepared.before);
    Ok(measure(cfg, subjects, study, WallClock))
}

/// The study of a claim run in `dir`.
pub(super) fn study_config(cfg: &Config, dir: &std::path::Path) -> StudyConfig {
    StudyConfig {
        out_dir: dir.to_path_buf(),
        numbers: cfg.numbers.clone(),
        order: cfg.order,
        seed: cfg.order_seed,
        preparation: cfg.preparation,
        sample_interval: cfg.sample_interval,
    }
}

/// The sequential looks on an open study, with the budget kept by `clock`, until every claim
/// is decided or the budget (or the cap) ends them; then the study closes.
pub(super) fn measure(
    cfg: &Config,
    subjects: &[Subject],
    study: Study,
    clock: impl Clock,
) -> Outcome {
    let states = subjects
        .iter()
        .map(|subject| ClaimState {
            subject: subject.clone(),
            sequence: Sequence::default(),
            decision: (subject.variant() == Variant::Cpu && cfg.cores < 2)
                .then(|| one_core(subject)),
        })
        .collect();
    let mut looks = SequentialLooks {
        schedule: Schedule {
            min_reps: cfg.min_reps,
            step: cfg.step,
            max_reps: cfg.max_reps,
        },
        judging: cfg.judging,
        budget: cfg.budget,
        quiet: cfg.quiet,
        clock,
        states,
        stop_reason: String::new(),
    };
    let closed = study.run(&mut looks);
    let summary = summarize_with(&closed.rows, &cfg.bootstrap);
    Outcome {
        summary,
        runs: closed.rows,
        decisions: looks
            .states
            .into_iter()
            .filter_map(|s| s.decision)
            .collect(),
        meta: closed.meta,
        stop_reason: looks.stop_reason,
        discarded_busy: closed.discarded_busy,
        error: closed.error,
    }
}

/// The interpreters of the CPython subjects, described (and calibrated to the CPU unit) for
/// meta.json, in the order given.
fn describe_pythons(
    subjects: &[Subject],
    calibration: Option<&Calibration>,
) -> Vec<strategy::python::PythonInfo> {
    let mut pythons: Vec<Arc<Interpreter>> = Vec::new();
    for s in subjects {
        let Some(p) = &s.python else { continue };
        if !pythons.iter().any(|i| Arc::ptr_eq(i, p)) {
            pythons.push(Arc::clone(p));
        }
    }
    strategy::python::describe_all(&pythons, calibration, strategy::python::PyKernel::Bytecode)
}

/// One arm per (variant, label) the subjects need (each one's strategy and its baseline), in
/// blocks of arms compared with each other (same variant, same baseline).
pub(super) fn arm_specs(
    cfg: &Config,
    subjects: &[Subject],
    calibration: Option<&Calibration>,
) -> Result<Vec<ArmSpec>> {
    let jobs = cfg.numbers.len() * 2;
    let mut specs: Vec<ArmSpec> = Vec::new();
    let mut labels: Vec<(Variant, String)> = Vec::new();
    let mut block_keys: Vec<(Variant, String)> = Vec::new();
    for subject in subjects {
        for label in [subject.baseline(), subject.label.clone()] {
            let variant = subject.variant();
            if labels.contains(&(variant, label.clone())) {
                continue;
            }
            labels.push((variant, label.clone()));
            let info = strategy::find(strategy::name_in_label(&label))?;
            let (unit, unit_ms) = match (variant, calibration) {
                (Variant::Cpu, Some(c)) => (WorkUnit::cpu(c.iters), c.target_ms),
                _ => (WorkUnit::sleep(cfg.sleep), cfg.sleep.as_secs_f64() * 1e3),
            };
            let key = (variant, subject.baseline());
            let found = block_keys.iter().position(|k| *k == key);
            let block = found.unwrap_or_else(|| {
                block_keys.push(key);
                block_keys.len() - 1
            });
            specs.push(ArmSpec {
                variant,
                unit,
                unit_ms,
                timeout: cfg
                    .timeout
                    .unwrap_or_else(|| default_timeout(jobs, unit_ms)),
                strategy: info,
                workers: if info.uses_workers { cfg.workers } else { 1 },
                python: subject.python.as_ref().map(|p| PythonArm {
                    interpreter: std::sync::Arc::clone(p),
                    kernel: subject.kernel(),
                    label: subject.label_suffix().to_string(),
                }),
                block,
            });
        }
    }
    Ok(specs)
}
