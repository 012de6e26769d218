//! When a claim run looks at its claims, and the policy that runs rounds until every claim is
//! decided or the budget allows no further step ([`SequentialLooks`]).
//!
//! After round `n`: from `min_reps` on, every `step` rounds (and at `--max-reps`) is a planned
//! look. The look is final when the budget (or the cap) allows no further step; when the budget
//! will not even reach the next round, the final look is forced as soon as an interval exists
//! ([`MIN_FINAL_REPS`] rounds), between planned looks or before the first one. A planned look
//! that is not final is an interim look, and a final look may follow it on the same rounds.

use std::time::Duration;

use super::decide::{Decision, Judging, decide, unfinished};
use super::stopping::Sequence;
use super::subject::Subject;
use crate::error::Result;
use crate::study::{Policy, Study};

/// The fewest paired rounds with a 95 % interval of their median ([min, max] of 6 covers
/// 96.9 %): a final look forced by the budget waits for them.
pub const MIN_FINAL_REPS: u32 = crate::stats::MIN_INTERVAL_N as u32;

/// Where the planned looks fall.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    pub min_reps: u32,
    pub step: u32,
    pub max_reps: u32,
}

/// The looks due after one round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Due {
    pub interim: bool,
    pub final_look: bool,
}

impl Schedule {
    /// A planned look after `n` rounds: `min_reps` reached, and on a step (or at `max_reps`).
    pub fn planned(&self, n: u32) -> bool {
        n >= self.min_reps && ((n - self.min_reps).is_multiple_of(self.step) || n >= self.max_reps)
    }

    /// The budget will not reach round `n + 1`: the final look is now, once an interval exists.
    pub fn forced(&self, n: u32, next_round_fits: bool) -> bool {
        n >= MIN_FINAL_REPS && !next_round_fits
    }

    /// The looks due after round `n`. `step_fits` says whether `step` more rounds fit in the
    /// budget (asked after the interim look, whose decided claims no longer cost a round).
    pub fn due(&self, n: u32, next_round_fits: bool, step_fits: impl FnOnce() -> bool) -> Due {
        let (planned, forced) = (self.planned(n), self.forced(n, next_round_fits));
        if !planned && !forced {
            return Due::default();
        }
        let interim = planned && !forced && n < self.max_reps;
        Due {
            interim,
            final_look: forced || n >= self.max_reps || !step_fits(),
        }
    }

    /// The looks of a claim measured on and on when every round costs the same and `budget`
    /// rounds fit: after which round each look comes, and whether it is the final one.
    pub fn looks(&self, budget: u32) -> Vec<(u32, bool)> {
        let mut out = Vec::new();
        for n in 1.. {
            let due = self.due(n, n < budget, || n + self.step <= budget);
            if due.interim {
                out.push((n, false));
            }
            if due.final_look {
                out.push((n, true));
                return out;
            }
        }
        unreachable!("the cap ends the looks")
    }
}

/// Where the budget stands: measured time in a claim run; the rows' own wall times in tests, so
/// that a fake executor can spend a budget without anything being timed.
pub trait Clock {
    /// Measuring time spent so far.
    fn elapsed(&self, study: &Study) -> Duration;
    /// What the next round costs with the arms marked `wanted`.
    fn round_cost(&self, study: &Study, wanted: &[bool]) -> Duration;
}

/// Time as measured: since the study began, and each arm's last trial.
pub struct WallClock;

impl Clock for WallClock {
    fn elapsed(&self, study: &Study) -> Duration {
        study.epoch.elapsed()
    }
    fn round_cost(&self, study: &Study, wanted: &[bool]) -> Duration {
        study.round_cost(|i| wanted[i])
    }
}

/// Where one claim stands.
pub struct ClaimState {
    pub subject: Subject,
    pub sequence: Sequence,
    pub decision: Option<Decision>,
}

/// The sequential-looks policy: rounds until every claim is decided or the budget allows no
/// further step.
pub struct SequentialLooks<C: Clock> {
    pub schedule: Schedule,
    pub judging: Judging,
    pub budget: Duration,
    pub quiet: bool,
    pub clock: C,
    pub states: Vec<ClaimState>,
    pub stop_reason: String,
}

impl<C: Clock> Policy for SequentialLooks<C> {
    fn measure(&mut self, study: &mut Study) -> Result<()> {
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
            let next_round = self.clock.elapsed(study) + self.clock.round_cost(study, &needed);
            let due = self.schedule.due(n, next_round <= self.budget, || true);
            if due == Due::default() {
                continue;
            }
            // An interim look first: the claims it decides stop, and what the undecided ones
            // still need decides whether the budget allows another step. If it does not, the
            // same rounds get the final look, with what is left of α (the union bound does not
            // mind two looks at the same data).
            if due.interim {
                self.look(study, false);
            }
            if self.final_due(study, n, next_round <= self.budget) {
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
            if !self.quiet {
                study.engine.say(&format!(
                    "concbench claim: {n} reps: {} undecided ({}), measuring {} more",
                    undecided.len(),
                    undecided.join(", "),
                    self.schedule.step
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

impl<C: Clock> SequentialLooks<C> {
    /// Whether the look after round `n` is the final one, asked after its interim look: the
    /// undecided claims' arms are what the next step costs.
    fn final_due(&self, study: &Study, n: u32, next_round_fits: bool) -> bool {
        let needed = needed_arms(study, &self.states);
        let cost_left = self.clock.round_cost(study, &needed);
        let elapsed = self.clock.elapsed(study);
        let step_fits = || elapsed + cost_left * self.schedule.step <= self.budget;
        self.schedule.due(n, next_round_fits, step_fits).final_look
    }

    /// One look at every undecided claim (none for a claim past its last interim look).
    fn look(&mut self, study: &Study, is_final: bool) {
        let rule = self.judging.rule;
        for s in self.states.iter_mut().filter(|s| s.decision.is_none()) {
            let Some(look) = s.sequence.next(&rule, is_final) else {
                continue;
            };
            let d = decide(&self.judging, &s.subject, &study.engine.session.rows, look);
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
mod fake_engine;

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule(min_reps: u32, step: u32, max_reps: u32) -> Schedule {
        Schedule {
            min_reps,
            step,
            max_reps,
        }
    }

    #[test]
    fn looks_come_at_min_reps_then_every_step() {
        let s = schedule(11, 4, 1000);
        let looks: Vec<u32> = (1..=24).filter(|&n| s.planned(n)).collect();
        assert_eq!(looks, vec![11, 15, 19, 23]);
        // The cap is a look too, on a step or not.
        assert!(schedule(11, 4, 13).planned(13));
    }

    #[test]
    fn the_budget_forces_a_final_look_once_an_interval_exists() {
        let s = schedule(11, 4, 1000);
        // The next round does not fit, but only from MIN_FINAL_REPS rounds on.
        assert_eq!(s.due(MIN_FINAL_REPS - 1, false, || false), Due::default());
        let due = s.due(MIN_FINAL_REPS, false, || true);
        assert!(due.final_look && !due.interim);
    }

    #[test]
    fn a_look_is_final_when_no_further_step_fits() {
        let s = schedule(11, 4, 1000);
        let step_fits = s.due(11, true, || true);
        assert!(step_fits.interim && !step_fits.final_look);
        let no_step = s.due(11, true, || false);
        assert!(no_step.interim && no_step.final_look);
        // The cap ends it whatever the budget, without an interim look on the same rounds.
        let capped = s.due(1000, true, || true);
        assert!(capped.final_look && !capped.interim);
    }
}
