//! What decides how many rounds a study runs, and on which arms. Three policies: fixed
//! repetitions ([`FixedReps`], `run`), a time budget (`sweep`, in `sweep::measure`) and
//! sequential looks (`claim`, in `claim::campaign`). Their decisions are pure functions of
//! counts and durations, tested without running a trial.

use super::Study;
use crate::error::Result;

/// Drives a study's rounds.
pub trait Policy {
    /// Warm up and run measured rounds until the policy is done, or a round fails.
    fn measure(&mut self, study: &mut Study) -> Result<()>;

    /// Called once after [`Policy::measure`], before the study closes: note how it ended
    /// (in meta.json's section, say).
    fn finish(&mut self, _study: &mut Study, _result: &Result<()>) {}
}

/// `concbench run`: `warmup` rounds, then `reps` measured rounds of every arm.
#[derive(Debug, Clone, Copy)]
pub struct FixedReps {
    pub warmup: u32,
    pub reps: u32,
    pub show_progress: bool,
}

impl FixedReps {
    /// Whether another measured round is due after `done` of them.
    pub fn wants_round(&self, done: u32) -> bool {
        done < self.reps
    }

    /// Measured trials in all, for the progress bar.
    pub fn trials(&self, arms: usize) -> u64 {
        u64::from(self.reps) * arms as u64
    }
}

impl Policy for FixedReps {
    fn measure(&mut self, study: &mut Study) -> Result<()> {
        if self.show_progress {
            let trials = self.trials(study.engine.arms.len());
            study.engine.show_progress(trials);
        }
        study.warm_up(self.warmup)?;
        let mut done = 0;
        while self.wants_round(done) {
            study.round()?;
            done += 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_reps_run_exactly_reps_rounds() {
        let p = FixedReps {
            warmup: 1,
            reps: 3,
            show_progress: false,
        };
        let rounds = (0..).take_while(|&done| p.wants_round(done)).count();
        assert_eq!(rounds, 3);
        assert_eq!(p.trials(5), 15);
        let none = FixedReps { reps: 0, ..p };
        assert!(!none.wants_round(0));
    }
}
