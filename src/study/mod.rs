//! A study: the setup every question (`run`, `claim`, `sweep`) needs around the trial engine,
//! written once. Watch the machine and calibrate ([`prepare`]), build the arms from
//! declarative specs ([`arms`]), build meta.json ([`meta`]), open the session, warm up, run the
//! rounds a [`Policy`] asks for, and close.
//!
//! ```text
//! front end (run / claim / sweep) ──> ArmSpecs + Meta ──> Study ──> Closed (rows, meta)
//!                                                          ▲
//!                                     Policy: fixed reps │ budget │ sequential looks
//! ```
//! The policy decides how many rounds and which arms; the study owns everything else, so the
//! three front ends cannot drift apart (hyperfine splits its scheduler from its executor the
//! same way).

pub mod arms;
pub mod meta;
pub mod policy;

use std::path::PathBuf;
use std::time::{Duration, Instant};

pub use arms::{ArmSpec, Blocks, PythonArm, build_arms, usable_pythons};
pub use meta::{MetaParts, StudyKind, study_meta};
pub use policy::{FixedReps, Policy};

use crate::engine::{
    Arm, Engine, Executor, MetaSection, Order, Preparation, RunTrial, Schedule, Session, Status,
};
use crate::error::{Error, Result};
use crate::measure::load::{BUSY_THRESHOLD_PCT, idle_check};
use crate::records::{Meta, RunRow};
use crate::workload::{self, Calibration};

/// The warm-up rounds' order is seeded apart from the measured rounds' (so they do not use up
/// rows of the balanced design): the study's seed xor this.
pub const WARM_UP_SALT: u64 = 0x5741_524D;

/// How one unit of CPU work is sized.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CpuUnit {
    /// Calibrated on this machine to this many milliseconds.
    Millis(f64),
    /// A fixed iteration count, for comparisons across machines.
    Iters(u64),
}

/// The machine as the study found it: when the study started, how busy other processes kept
/// it just before, and the CPU unit's calibration (when CPU-bound work is measured).
#[derive(Debug, Clone)]
pub struct Prepared {
    pub epoch: Instant,
    pub before: Option<f64>,
    pub calibration: Option<Calibration>,
}

/// Watch the machine for `idle` and calibrate the CPU unit, if one is wanted.
pub fn prepare(idle: Duration, cpu: Option<CpuUnit>) -> Prepared {
    let epoch = Instant::now();
    let before = idle_check(idle);
    let calibration = cpu.map(|unit| match unit {
        CpuUnit::Millis(ms) => workload::calibrate(ms),
        CpuUnit::Iters(n) => workload::fixed_iters(n),
    });
    Prepared {
        epoch,
        before,
        calibration,
    }
}

/// What every study shares: where its files go, the numbers of its jobs, the trial order and
/// what each trial goes through before its clock starts.
#[derive(Debug, Clone)]
pub struct StudyConfig {
    pub out_dir: PathBuf,
    pub numbers: Vec<i64>,
    pub order: Order,
    pub seed: u64,
    pub preparation: Preparation,
    pub sample_interval: Duration,
}

/// An open study: the engine with its arms, the blocks and the schedule of measured rounds.
pub struct Study {
    pub engine: Engine,
    pub blocks: Blocks,
    schedule: Schedule,
    order: Order,
    seed: u64,
    pub epoch: Instant,
}

/// What a study measured, once closed. Once trials have started a study always closes, with
/// the error that ended it early, if one did: the rows measured before are kept.
#[derive(Debug)]
pub struct Closed {
    pub meta: Meta,
    pub rows: Vec<RunRow>,
    /// Trials thrown away by the engine's rerun rule.
    pub discarded_busy: u32,
    pub error: Option<Error>,
}

impl Study {
    /// Open the session (meta.json with the discipline and `section`, runs.csv, samples.csv,
    /// the sampler) around `arms`.
    pub fn open(
        cfg: &StudyConfig,
        epoch: Instant,
        arms: (Vec<Arm>, Blocks),
        meta: Meta,
        section: Option<Box<dyn MetaSection>>,
    ) -> Result<Study> {
        let executor = |session: &Session| -> Box<dyn RunTrial> {
            Box::new(Executor::new(
                epoch,
                &cfg.numbers,
                session.tag.clone(),
                session.sampler_clock(),
                cfg.preparation,
            ))
        };
        Study::open_with(cfg, epoch, arms, meta, section, executor)
    }

    /// [`Study::open`] with the trials run by what `executor` makes of the session (a fake
    /// one, in tests).
    pub fn open_with(
        cfg: &StudyConfig,
        epoch: Instant,
        (arms, blocks): (Vec<Arm>, Blocks),
        mut meta: Meta,
        section: Option<Box<dyn MetaSection>>,
        executor: impl FnOnce(&Session) -> Box<dyn RunTrial>,
    ) -> Result<Study> {
        let schedule = Schedule::new(cfg.order, cfg.seed, blocks.clone());
        meta.discipline = Some(crate::engine::discipline(
            &cfg.preparation,
            cfg.order,
            cfg.seed,
            schedule.balance_period(),
        ));
        let session = Session::open(
            &cfg.out_dir,
            epoch,
            meta,
            section,
            Some(cfg.sample_interval),
        )?;
        let executor = executor(&session);
        Ok(Study {
            engine: Engine::new(session, executor, arms),
            blocks,
            schedule,
            order: cfg.order,
            seed: cfg.seed,
            epoch,
        })
    }

    /// Warn (without tearing the progress bar) when other processes kept the machine busy
    /// `when`.
    pub fn warn_if_busy(&self, when: &str, pct: Option<f64>) {
        if let Some(p) = pct.filter(|&p| p > BUSY_THRESHOLD_PCT) {
            self.engine.say(&busy_warning(when, p));
        }
    }

    /// `rounds` warm-up rounds (measured and verified, not recorded), in an order of their own.
    pub fn warm_up(&mut self, rounds: u32) -> Result<()> {
        let mut warm = Schedule::new(self.order, self.seed ^ WARM_UP_SALT, self.blocks.clone());
        for _ in 0..rounds {
            self.engine.round(&warm.next_round(), true)?;
        }
        Ok(())
    }

    /// One measured round, in the schedule's order.
    pub fn round(&mut self) -> Result<()> {
        let order = self.schedule.next_round();
        self.engine.round(&order, false)
    }

    /// From now on run only the arms marked `active`, in a fresh order seeded with the
    /// study's seed xor `salt`.
    pub fn narrow(&mut self, active: &[bool], salt: u64) {
        let blocks: Blocks = self
            .blocks
            .iter()
            .map(|b| b.iter().copied().filter(|&i| active[i]).collect::<Vec<_>>())
            .filter(|b| !b.is_empty())
            .collect();
        self.schedule = Schedule::new(self.order, self.seed ^ salt, blocks);
    }

    /// What the next round costs with the arms marked `wanted` (each one's last trial, whole).
    pub fn round_cost(&self, wanted: impl Fn(usize) -> bool) -> Duration {
        let arms = self.engine.arms.iter().enumerate();
        arms.filter(|(i, _)| wanted(*i))
            .map(|(_, a)| a.last_cost)
            .sum()
    }

    /// Let `policy` drive the rounds, then close.
    pub fn run(mut self, policy: &mut dyn Policy) -> Closed {
        let result = policy.measure(&mut self);
        policy.finish(&mut self, &result);
        self.close(result)
    }

    /// Close the session with the status `result` gives.
    pub fn close(self, result: Result<()>) -> Closed {
        let discarded_busy = self.engine.discarded_busy;
        let (meta, rows, written) = self.engine.close(&Status::of(&result));
        Closed {
            meta,
            rows,
            discarded_busy,
            error: result.err().or(written.err()),
        }
    }
}

/// The warning for a machine busy with other processes.
pub fn busy_warning(when: &str, pct: f64) -> String {
    format!(
        "concbench: warning: other processes used {pct:.0}% of a core {when} (threshold {BUSY_THRESHOLD_PCT:.0}%): these figures are not to be trusted"
    )
}

/// Warn on stderr when other processes kept the machine busy during a closed study.
pub fn warn_if_busy_during(meta: &Meta, when: &str) {
    if let Some(d) = meta
        .background
        .during_pct_of_core
        .filter(|&d| d > BUSY_THRESHOLD_PCT)
    {
        eprintln!("{}", busy_warning(when, d));
    }
}

#[cfg(test)]
mod tests;
