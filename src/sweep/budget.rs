//! The time budget of a sweep: how many repetitions to plan from what the warm-up round cost,
//! and whether one more round still fits. Pure functions of durations.
//!
//! The budget covers the whole command: calibration, warm-up, the measured rounds, and the
//! analysis, charts and report at the end, for which a [`Reserve`] is kept back.

use std::time::Duration;

/// What stopped the measured rounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoppedBy {
    /// Every planned repetition was measured.
    PlannedReps,
    /// The next round would have ended after the budget.
    Budget,
    /// A stop signal.
    Interrupted,
    /// A trial failed or a file could not be written.
    Failed,
}

impl StoppedBy {
    pub fn name(self) -> &'static str {
        match self {
            StoppedBy::PlannedReps => "planned-reps",
            StoppedBy::Budget => "budget",
            StoppedBy::Interrupted => "interrupted",
            StoppedBy::Failed => "failed",
        }
    }
}

/// What the analysis at the end will cost, kept back from the budget: a fixed part (the fits,
/// two charts in two formats, REPORT.md) and, per point and per repetition, the bootstrap
/// interval's share (resampling is linear in the repetitions). Timed on this machine and build
/// before the sweep: about 1 ms per point and repetition in a release build, ten times that in a
/// debug one; the analysis runs on every core, so this errs on the safe side.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reserve {
    pub fixed: Duration,
    pub per_point_rep: Duration,
    pub points: usize,
}

impl Reserve {
    /// The analysis of `reps` repetitions of every point.
    pub fn for_reps(&self, reps: u32) -> Duration {
        self.fixed
            + self
                .per_point_rep
                .mul_f64(self.points as f64 * f64::from(reps))
    }
}

/// The repetitions planned after the warm-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RepPlan {
    /// Rounds that fit in the budget at the warm-up's cost per round, their analysis included.
    pub fit: u32,
    /// What will be attempted: `fit`, but at least `min` and at most `max`.
    pub reps: u32,
}

/// Plan the repetitions: as many rounds as fit between `elapsed` and `budget` at `round_cost`
/// each, with the analysis of that many kept back, but at least `min` (fewer cannot give an
/// interval worth reading) and at most `max`. When `min` is more than fits, the stop rule
/// ([`fits`]) still ends the sweep at the budget.
pub fn plan_reps(
    elapsed: Duration,
    budget: Duration,
    round_cost: Duration,
    reserve: &Reserve,
    min: u32,
    max: u32,
) -> RepPlan {
    let left = budget.saturating_sub(elapsed + reserve.fixed).as_secs_f64();
    let per_rep =
        round_cost.as_secs_f64() + reserve.per_point_rep.as_secs_f64() * reserve.points as f64;
    let fit = if per_rep <= 0.0 {
        max
    } else {
        (left / per_rep).floor().min(f64::from(u32::MAX)) as u32
    };
    RepPlan {
        fit,
        reps: fit.clamp(min, max.max(min)),
    }
}

/// Whether a round costing `next`, after which `reps` repetitions will have been measured, still
/// ends with their analysis by `budget`, at `elapsed` since the start.
pub fn fits(
    elapsed: Duration,
    next: Duration,
    reps: u32,
    reserve: &Reserve,
    budget: Duration,
) -> bool {
    elapsed + next + reserve.for_reps(reps) <= budget
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: f64) -> Duration {
        Duration::from_secs_f64(x)
    }

    fn reserve(points: usize, per_point_rep_s: f64) -> Reserve {
        Reserve {
            fixed: s(2.0),
            per_point_rep: s(per_point_rep_s),
            points,
        }
    }

    #[test]
    fn reps_fill_the_budget_within_their_bounds() {
        let none = reserve(0, 0.0);
        // 110 s budget, 8 s gone, 2 s kept: 100 s left at 6 s per round: 16 rounds fit.
        assert_eq!(
            plan_reps(s(8.0), s(110.0), s(6.0), &none, 3, 30),
            RepPlan { fit: 16, reps: 16 }
        );
        // The analysis of each repetition counts: 200 points at 5 ms per point and rep add
        // 1 s per round, so 100 s fit 14 rounds of 7 s.
        assert_eq!(
            plan_reps(s(8.0), s(110.0), s(6.0), &reserve(200, 0.005), 3, 30).fit,
            14
        );
        // Capped by --max-reps.
        assert_eq!(plan_reps(s(8.0), s(110.0), s(1.0), &none, 3, 30).reps, 30);
        // At least --min-reps, even when fewer fit (the stop rule still applies).
        assert_eq!(
            plan_reps(s(0.0), s(12.0), s(6.0), &none, 3, 30),
            RepPlan { fit: 1, reps: 3 }
        );
        assert_eq!(plan_reps(s(20.0), s(10.0), s(6.0), &none, 3, 30).reps, 3);
        // A round that cost nothing measurable: the cap.
        assert_eq!(
            plan_reps(s(0.0), s(10.0), Duration::ZERO, &none, 3, 30).reps,
            30
        );
        // max below min: min wins (the front end refuses that combination anyway).
        assert_eq!(plan_reps(s(0.0), s(100.0), s(1.0), &none, 5, 2).reps, 5);
    }

    #[test]
    fn a_round_fits_only_if_it_and_its_analysis_end_by_the_budget() {
        let r = reserve(100, 0.001);
        // 90 + 5 + (2 + 100 × 0.001 × 30) = 100.
        assert!(fits(s(90.0), s(5.0), 30, &r, s(100.0)));
        assert!(!fits(s(90.0), s(5.0), 31, &r, s(100.0)));
        assert!(!fits(s(90.5), s(5.0), 30, &r, s(100.0)));
    }

    #[test]
    fn the_reserve_grows_with_points_and_reps() {
        let r = reserve(200, 0.001);
        assert_eq!(r.for_reps(0), s(2.0));
        assert_eq!(r.for_reps(10), s(4.0));
    }
}
