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

use std::time::Duration;

pub use super::decide::{Decision, Judging, decide};
use super::decide::{one_core, unfinished};
use super::stopping::Sequence;
use super::subject::Subject;
use crate::engine::{OnWrongResults, Order, Preparation, RerunRule, default_timeout};
use crate::error::{Error, Result};
use crate::records::{Meta, RunRow, SummaryRow};
use crate::stats::BootstrapSettings;
use crate::strategy::{self, StrategyContext};
use crate::study::{self, ArmSpec, CpuUnit, Policy, Prepared, PythonArm, Study, StudyConfig};
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
    let pythons = describe_pythons(subjects, calibration.as_ref());
    let meta = meta_of(&prepared, pythons);
    let config = StudyConfig {
        out_dir: dir.to_path_buf(),
        numbers: cfg.numbers.clone(),
        order: cfg.order,
        seed: cfg.order_seed,
        preparation: cfg.preparation,
        sample_interval: cfg.sample_interval,
    };
    let epoch = prepared.epoch;
    let mut study = Study::open(&config, epoch, arms, meta, None)?;
    study.engine.on_wrong = OnWrongResults::Fail;
    study.engine.rerun = Some(RerunRule {
        busy_pct: BUSY_TRIAL_PCT,
        max_retries: MAX_RETRIES,
        until: epoch + cfg.budget / 2,
    });
    study.warn_if_busy("before the claims", prepared.before);
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
        cfg,
        states,
        stop_reason: String::new(),
    };
    let closed = study.run(&mut looks);
    let summary = summarize_with(&closed.rows, &cfg.bootstrap);
    Ok(Outcome {
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
    })
}

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
        out.push(strategy::python::describe(
            p,
            calibration,
            strategy::python::PyKernel::Bytecode,
        ));
    }
    out
}

/// One arm per (variant, label) the subjects need (each one's strategy and its baseline), in
/// blocks of arms compared with each other (same variant, same baseline).
fn arm_specs(
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
                (Variant::Cpu, Some(c)) => (WorkUnit::Cpu { iters: c.iters }, c.target_ms),
                _ => (WorkUnit::Sleep(cfg.sleep), cfg.sleep.as_secs_f64() * 1e3),
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

/// The sequential-looks policy: rounds until every claim is decided or the budget allows no
/// further step.
struct SequentialLooks<'a> {
    cfg: &'a Config,
    states: Vec<ClaimState>,
    stop_reason: String,
}

/// Where the rounds stand after `n` of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct LookPoint {
    /// A planned look: `min_reps` reached, and on a step (or at `max_reps`).
    at_look: bool,
    /// The budget will not reach the next round: the final look is now, as soon as a 95 %
    /// interval exists.
    forced: bool,
}

fn look_point(cfg: &Config, n: u32, elapsed: Duration, round_cost: Duration) -> LookPoint {
    LookPoint {
        forced: n >= MIN_FINAL_REPS && elapsed + round_cost > cfg.budget,
        at_look: n >= cfg.min_reps
            && ((n - cfg.min_reps).is_multiple_of(cfg.step) || n >= cfg.max_reps),
    }
}

/// Whether the look after `n` rounds is the final one: forced, at the cap, or the budget
/// allows no further step at what the undecided claims' arms cost (`cost_left` a round).
fn is_final(cfg: &Config, at: LookPoint, n: u32, elapsed: Duration, cost_left: Duration) -> bool {
    at.forced || n >= cfg.max_reps || elapsed + cost_left * cfg.step > cfg.budget
}

impl Policy for SequentialLooks<'_> {
    fn measure(&mut self, study: &mut Study) -> Result<()> {
        let cfg = self.cfg;
        if self.states.iter().all(|s| s.decision.is_some()) {
            self.stop_reason = "nothing to measure".into();
            return Ok(());
        }
        study.warm_up(1)?;
        let mut active: Vec<bool> = vec![true; study.engine.arms.len()];
        let mut n = 0u32;
        loop {
            study.round()?;
            n += 1;
            let needed = needed_arms(study, &self.states);
            let at = look_point(
                cfg,
                n,
                study.epoch.elapsed(),
                study.round_cost(|i| needed[i]),
            );
            if !at.at_look && !at.forced {
                continue;
            }
            // An interim look first (it needs `min_reps`): the claims it decides stop, and what
            // the undecided ones still need decides whether the budget allows another step. If
            // it does not, the same rounds get the final look, with what is left of α (the
            // union bound does not mind two looks at the same data).
            if at.at_look && !at.forced && n < cfg.max_reps {
                self.look(study, false);
            }
            let needed = needed_arms(study, &self.states);
            let cost_left = study.round_cost(|i| needed[i]);
            if is_final(cfg, at, n, study.epoch.elapsed(), cost_left) {
                self.look(study, true);
            }
            let undecided: Vec<String> = self
                .states
                .iter()
                .filter(|s| s.decision.is_none())
                .map(|s| format!("{}:{}", s.subject.spec.claim, s.subject.name))
                .collect();
            if undecided.is_empty() {
                self.stop_reason = format!("every verdict decided after {n} reps");
                return Ok(());
            }
            if !cfg.quiet {
                study.engine.say(&format!(
                    "concbench claim: {n} reps: {} undecided ({}), measuring {} more",
                    undecided.len(),
                    undecided.join(", "),
                    cfg.step
                ));
            }
            let needed = needed_arms(study, &self.states);
            if needed != active {
                active = needed;
                study.narrow(&active, u64::from(n));
            }
        }
    }

    fn finish(&mut self, study: &mut Study, result: &Result<()>) {
        if let Err(e) = result {
            self.stop_reason = format!("stopped early: {e}");
        }
        let rows = &study.engine.session.rows;
        for s in self.states.iter_mut().filter(|s| s.decision.is_none()) {
            s.decision = Some(unfinished(&s.subject, rows, result));
        }
    }
}

impl SequentialLooks<'_> {
    /// One look at every undecided claim.
    fn look(&mut self, study: &Study, is_final: bool) {
        for s in self.states.iter_mut().filter(|s| s.decision.is_none()) {
            let look = s.sequence.next(is_final);
            let d = decide(
                &self.cfg.judging,
                &s.subject,
                &study.engine.session.rows,
                look,
            );
            if s.sequence.settle(look, d.verdict) {
                s.decision = Some(d);
            }
        }
    }
}

/// Arms that some undecided claim still needs.
fn needed_arms(study: &Study, states: &[ClaimState]) -> Vec<bool> {
    study
        .engine
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

#[cfg(test)]
mod tests {
    use super::*;

    fn config(min_reps: u32, step: u32, max_reps: u32, budget_s: u64) -> Config {
        Config {
            workers: 2,
            numbers: vec![2, 3, 8, 9],
            sleep: Duration::from_millis(25),
            cpu_ms: 25.0,
            min_reps,
            max_reps,
            step,
            order_seed: 1,
            bootstrap: BootstrapSettings::default(),
            judging: Judging {
                threshold: 1.10,
                rule: super::super::stopping::StoppingRule::default(),
            },
            cores: 2,
            quiet: true,
            budget: Duration::from_secs(budget_s),
            preparation: Preparation::default(),
            order: Order::Counterbalanced,
            timeout: None,
            sample_interval: Duration::from_millis(250),
            switch_interval_ms: 5.0,
        }
    }

    fn s(x: u64) -> Duration {
        Duration::from_secs(x)
    }

    #[test]
    fn looks_come_at_min_reps_then_every_step() {
        let cfg = config(11, 4, 1000, 40);
        let looks: Vec<u32> = (1..=24)
            .filter(|&n| look_point(&cfg, n, s(0), s(1)).at_look)
            .collect();
        assert_eq!(looks, vec![11, 15, 19, 23]);
        // The cap is a look too, on a step or not.
        let capped = config(11, 4, 13, 40);
        assert!(look_point(&capped, 13, s(0), s(1)).at_look);
    }

    #[test]
    fn the_budget_forces_a_final_look_once_an_interval_exists() {
        let cfg = config(11, 4, 1000, 40);
        // 39 s gone, a round of 2 s: past the budget, but only from MIN_FINAL_REPS rounds on.
        assert!(!look_point(&cfg, MIN_FINAL_REPS - 1, s(39), s(2)).forced);
        let at = look_point(&cfg, MIN_FINAL_REPS, s(39), s(2));
        assert!(at.forced && !at.at_look);
        assert!(is_final(&cfg, at, MIN_FINAL_REPS, s(39), s(2)));
    }

    #[test]
    fn a_look_is_final_when_no_further_step_fits() {
        let cfg = config(11, 4, 1000, 40);
        let at = look_point(&cfg, 11, s(10), s(1));
        assert!(at.at_look && !at.forced);
        // 10 s gone, 4 more rounds at 1 s each fit; at 8 s a round they do not.
        assert!(!is_final(&cfg, at, 11, s(10), s(1)));
        assert!(is_final(&cfg, at, 11, s(10), s(8)));
        // The cap ends it whatever the budget.
        assert!(is_final(&cfg, at, 1000, s(0), s(0)));
    }
}
