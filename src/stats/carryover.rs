//! Carry-over: how much a trial's wall time depends on the trial that ran just before it.
//!
//! For each arm and each predecessor P, the effect is the arm's median wall time over its
//! trials right after P divided by its median over its trials after any other predecessor,
//! minus 1 (+0.10: 10 % slower after P). Whether it is beyond noise is a two-sided
//! Mann–Whitney test of the two groups, Bonferroni-corrected over the whole family of (arm,
//! predecessor) pairs tested (a run of 10 arms tests 10–30 pairs: corrected per arm only, one
//! of them came out "beyond noise" by chance in most default claim runs), and an effect counts
//! only from [`MIN_EFFECT`] on: with sleep-bound trials a 0.1 % shift can be significant and
//! still mean nothing for a speedup. Medians and ranks, because timing samples have a few far outliers (another
//! process, a migration) that would swing a mean or a least-squares fit; and no model of how
//! effects add up, because the Williams order already spreads every predecessor over rounds
//! and positions, so drift falls on both groups alike.

use super::mann_whitney::mann_whitney_u;
use super::median;

/// Fewest trials on each side (after P, after the others) for P to be tested: with 2 after P
/// and 10 after the others an exact Mann–Whitney p cannot go below 2/66 = 0.03, which a
/// correction over a few predecessors lifts past 0.05, so the test could never find anything.
pub const MIN_TRIALS: usize = 3;

/// The error rate of the family of carry-over tests of one variant.
pub const ALPHA: f64 = 0.05;

/// The smallest effect worth naming: 2 % is below what a speed claim's threshold (10 %) or
/// compare's (5 %) can see.
pub const MIN_EFFECT: f64 = 0.02;

/// Whether an effect is beyond noise and large enough to matter.
pub fn beyond_noise(e: &PredecessorEffect) -> bool {
    e.p_adjusted < ALPHA && e.effect.abs() >= MIN_EFFECT
}

/// One trial: its arm, the arm that ran just before it (empty for the first trial of a run)
/// and its wall time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Observation<'a> {
    pub arm: &'a str,
    pub after: &'a str,
    pub wall_s: f64,
}

/// The effect of one predecessor on one arm.
#[derive(Debug, Clone, PartialEq)]
pub struct PredecessorEffect {
    /// The predecessor, as runs.csv's `after` names it.
    pub after: String,
    /// Median after `after` ÷ median after every other predecessor − 1.
    pub effect: f64,
    /// Two-sided Mann–Whitney p of "after `after`" against "after the others", uncorrected.
    pub p_value: f64,
    /// `p_value` × the number of tests in its family, at most 1 (Bonferroni): every (arm,
    /// predecessor) pair for [`carryover`], every predecessor for [`pooled`].
    pub p_adjusted: f64,
    pub n_after: usize,
    pub n_others: usize,
}

/// Every tested predecessor's effect on one arm.
#[derive(Debug, Clone, PartialEq)]
pub struct ArmCarryover {
    pub arm: String,
    /// The arm's trials (all of them, whatever ran before).
    pub n: usize,
    /// The predecessors with at least [`MIN_TRIALS`] trials on each side, in the order they
    /// first appear.
    pub effects: Vec<PredecessorEffect>,
}

impl ArmCarryover {
    /// The predecessor with the clearest effect (see [`clearest_first`]); `None` when none
    /// could be tested.
    pub fn worst(&self) -> Option<&PredecessorEffect> {
        self.effects.iter().min_by(|a, b| clearest_first(a, b))
    }
}

/// The order effects are named in: those that count ([`beyond_noise`]) first, so a tiny but
/// very significant shift (common in sleep-bound arms) never hides a large one; then the
/// smallest corrected p, then the largest effect either way.
pub fn clearest_first(a: &PredecessorEffect, b: &PredecessorEffect) -> std::cmp::Ordering {
    beyond_noise(b)
        .cmp(&beyond_noise(a))
        .then(a.p_adjusted.total_cmp(&b.p_adjusted))
        .then(b.effect.abs().total_cmp(&a.effect.abs()))
}

/// The carry-over of every arm in `trials`, arms in the order they first appear. Trials with a
/// NaN wall time are left out.
pub fn carryover<'a>(trials: impl IntoIterator<Item = Observation<'a>>) -> Vec<ArmCarryover> {
    let mut arms: Vec<(&str, Vec<(&str, f64)>)> = Vec::new();
    for t in trials.into_iter().filter(|t| !t.wall_s.is_nan()) {
        match arms.iter_mut().find(|(a, _)| *a == t.arm) {
            Some((_, xs)) => xs.push((t.after, t.wall_s)),
            None => arms.push((t.arm, vec![(t.after, t.wall_s)])),
        }
    }
    let mut found: Vec<ArmCarryover> = arms
        .into_iter()
        .map(|(arm, trials)| ArmCarryover {
            arm: arm.to_string(),
            n: trials.len(),
            effects: effects(&trials),
        })
        .collect();
    let family: usize = found.iter().map(|a| a.effects.len()).sum();
    for e in found.iter_mut().flat_map(|a| a.effects.iter_mut()) {
        e.p_adjusted = (e.p_value * family as f64).min(1.0);
    }
    found
}

/// The effect of each predecessor on whichever arm runs next, pooled over the arms in `trials`:
/// every trial's wall time is divided by its arm's median first, so arms of different lengths
/// can be pooled. Each predecessor follows many arms, so this has far more trials per
/// predecessor than [`carryover`]'s per-arm figures (a run of 40 arms and 10 repetitions has 1
/// or 2 per arm and predecessor); an effect on only some arms is diluted by the others.
pub fn pooled<'a>(trials: impl IntoIterator<Item = Observation<'a>>) -> Vec<PredecessorEffect> {
    let trials: Vec<Observation> = trials.into_iter().filter(|t| !t.wall_s.is_nan()).collect();
    let mut medians: Vec<(&str, f64)> = Vec::new();
    for t in &trials {
        if !medians.iter().any(|(a, _)| *a == t.arm) {
            let walls: Vec<f64> = trials
                .iter()
                .filter(|u| u.arm == t.arm)
                .map(|u| u.wall_s)
                .collect();
            medians.push((t.arm, median(&walls).unwrap_or(f64::NAN)));
        }
    }
    let relative: Vec<(&str, f64)> = trials
        .iter()
        .filter_map(|t| {
            let (_, m) = medians.iter().find(|(a, _)| *a == t.arm)?;
            (*m > 0.0).then(|| (t.after, t.wall_s / m))
        })
        .collect();
    effects(&relative)
}

/// The effect of each predecessor of one arm's `(after, wall)` trials that has enough trials
/// on both sides, with Bonferroni-corrected p-values.
fn effects(trials: &[(&str, f64)]) -> Vec<PredecessorEffect> {
    let mut predecessors: Vec<&str> = Vec::new();
    for (after, _) in trials {
        // The first trial of a run follows nothing: no predecessor to blame.
        if !after.is_empty() && !predecessors.contains(after) {
            predecessors.push(after);
        }
    }
    let mut found: Vec<PredecessorEffect> = predecessors
        .into_iter()
        .filter_map(|p| {
            let walls = |follows_p: bool| -> Vec<f64> {
                trials
                    .iter()
                    .filter(|(a, _)| (*a == p) == follows_p)
                    .map(|(_, w)| *w)
                    .collect()
            };
            let (after_p, others) = (walls(true), walls(false));
            if after_p.len() < MIN_TRIALS || others.len() < MIN_TRIALS {
                return None;
            }
            let test = mann_whitney_u(&after_p, &others)?;
            Some(PredecessorEffect {
                after: p.to_string(),
                effect: median(&after_p)? / median(&others)? - 1.0,
                p_value: test.p_value,
                p_adjusted: f64::NAN,
                n_after: after_p.len(),
                n_others: others.len(),
            })
        })
        .collect();
    let tested = found.len() as f64;
    for e in &mut found {
        e.p_adjusted = (e.p_value * tested).min(1.0);
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::SplitMix64;

    /// Trials of a Williams-like cycle of `arms`: each arm after every other arm `cycles`
    /// times, wall times 100 ms × (1 + noise up to ±`noise`) × (1 + e) for each `planted`
    /// (arm, predecessor, e) that matches.
    fn trials(
        arms: &[&'static str],
        cycles: usize,
        noise: f64,
        planted: &[(&str, &str, f64)],
    ) -> Vec<Observation<'static>> {
        let mut rng = SplitMix64::new(11);
        let mut out = Vec::new();
        for _ in 0..cycles {
            for &arm in arms {
                for &after in arms.iter().filter(|&&a| a != arm) {
                    let u = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
                    let mut wall = 0.1 * (1.0 + noise * (2.0 * u - 1.0));
                    for &(a, p, e) in planted {
                        if a == arm && p == after {
                            wall *= 1.0 + e;
                        }
                    }
                    out.push(Observation {
                        arm,
                        after,
                        wall_s: wall,
                    });
                }
            }
        }
        out
    }

    const ARMS: [&str; 4] = ["sequential/1", "threads/2", "rayon/2", "processes/2"];

    #[test]
    fn a_planted_effect_after_one_predecessor_is_found() {
        let all = carryover(trials(
            &ARMS,
            4,
            0.03,
            &[("threads/2", "sequential/1", 0.10)],
        ));
        let threads = all.iter().find(|a| a.arm == "threads/2").unwrap();
        assert_eq!(threads.n, 12);
        assert_eq!(threads.effects.len(), 3);
        let worst = threads.worst().unwrap();
        assert_eq!(worst.after, "sequential/1");
        assert!((worst.effect - 0.10).abs() < 0.04, "{worst:?}");
        assert!(worst.p_adjusted < 0.05, "{worst:?}");
        assert_eq!((worst.n_after, worst.n_others), (4, 8));
        assert!(worst.p_adjusted >= worst.p_value);
        // The other arms carry nothing beyond noise.
        for a in all.iter().filter(|a| a.arm != "threads/2") {
            assert!(a.worst().unwrap().p_adjusted >= 0.05, "{a:?}");
        }
    }

    #[test]
    fn a_large_effect_is_named_before_a_tinier_more_significant_one() {
        let e = |after: &str, effect: f64, p_adjusted: f64| PredecessorEffect {
            after: after.into(),
            effect,
            p_value: p_adjusted,
            p_adjusted,
            n_after: 30,
            n_others: 90,
        };
        let arm = ArmCarryover {
            arm: "threads/2".into(),
            n: 120,
            effects: vec![e("a", 0.005, 2e-5), e("b", 0.099, 0.026), e("c", 0.0, 1.0)],
        };
        assert_eq!(arm.worst().unwrap().after, "b");
    }

    #[test]
    fn a_significant_but_tiny_effect_is_not_named() {
        let e = |effect: f64, p_adjusted: f64| PredecessorEffect {
            after: "sequential/1".into(),
            effect,
            p_value: p_adjusted,
            p_adjusted,
            n_after: 10,
            n_others: 100,
        };
        assert!(
            !beyond_noise(&e(0.001, 0.001)),
            "0.1 % is below what a speedup resolves"
        );
        assert!(!beyond_noise(&e(0.10, 0.2)), "not significant");
        assert!(beyond_noise(&e(-0.05, 0.01)));
    }

    #[test]
    fn without_an_effect_nothing_is_beyond_noise() {
        for a in carryover(trials(&ARMS, 6, 0.05, &[])) {
            let worst = a.worst().unwrap();
            assert!(worst.p_adjusted >= 0.05, "{a:?}");
            assert!(worst.effect.abs() < 0.05, "{a:?}");
        }
    }

    #[test]
    fn pooled_over_arms_the_planted_predecessor_stands_out() {
        // Arms of different lengths: pooling compares each trial with its own arm's median.
        let slower = [
            ("threads/2", "sequential/1", 0.10),
            ("rayon/2", "sequential/1", 0.10),
        ];
        let mut all = trials(&ARMS, 8, 0.03, &slower);
        for t in all.iter_mut().filter(|t| t.arm == "processes/2") {
            t.wall_s *= 3.0;
        }
        let effects = pooled(all);
        assert_eq!(effects.len(), 4, "{effects:?}");
        let clearest = effects
            .iter()
            .min_by(|a, b| a.p_adjusted.total_cmp(&b.p_adjusted))
            .unwrap();
        assert_eq!(clearest.after, "sequential/1");
        assert!(clearest.p_adjusted < 0.05, "{clearest:?}");
        // Two of the three arms after it are 10 % slower: the median trial after it is.
        assert!((clearest.effect - 0.10).abs() < 0.04, "{clearest:?}");
        assert_eq!((clearest.n_after, clearest.n_others), (24, 72));
        for e in effects.iter().filter(|e| e.after != "sequential/1") {
            assert!(e.p_adjusted >= 0.05, "{e:?}");
        }
        let quiet = pooled(trials(&ARMS, 4, 0.05, &[]));
        assert!(quiet.iter().all(|e| e.p_adjusted >= 0.05), "{quiet:?}");
    }

    #[test]
    fn too_few_trials_after_a_predecessor_are_not_tested() {
        // Each arm follows each other arm twice: below MIN_TRIALS.
        let all = carryover(trials(&ARMS, 2, 0.03, &[]));
        assert!(
            all.iter()
                .all(|a| a.effects.is_empty() && a.worst().is_none())
        );
        // The first trial of a run has no predecessor to test.
        let first = Observation {
            arm: "threads/2",
            after: "",
            wall_s: 0.1,
        };
        let all = carryover(vec![first; 5]);
        assert_eq!(all[0].n, 5);
        assert!(all[0].effects.is_empty());
    }
}
