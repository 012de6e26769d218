//! When `concbench claim` may stop measuring a claim: a group-sequential rule with
//! Haybittle–Peto boundaries (Haybittle 1971; Peto et al. 1976) and a cap on the interim looks.
//!
//! Looking at a 95 % interval after every few repetitions and stopping as soon as it decides
//! would be wrong more often than 5 % of the time: every look is another chance for noise to
//! decide (at the threshold, 11.4 % with looks at 11, 15, ..., 51 rounds). So the looks are split:
//! - **interim looks** (every `step` repetitions from `min_reps` on) decide only on
//!   overwhelming evidence: a 99.9 % interval (two-sided α = 0.001 per look). A claim takes at
//!   most [`StoppingRule::max_interim_looks`] of them (25: together they spend at most half of
//!   α); past that it is measured on without looking until its final look;
//! - the **final look**, when the time budget (or `--max-reps`) allows no further step, uses
//!   what is left of α = 0.05 after the interim looks (Bonferroni: α − looks × 0.001, so 0.04
//!   after ten interim looks, a 96 % interval, and never less than α / 2, a 97.5 % interval).
//!
//! By the union bound, the chance that any look decides wrongly is at most α whatever
//! `--max-reps` and the budget are: a claim takes at most 26 looks. Each side of the interval
//! gets half of it: "speeds up" is concluded wrongly (the true speedup at or below the
//! threshold) at most 2.5 % of the time, and so is "no real speedup". The levels are minimums:
//! an order-statistic interval's coverage comes in steps, so each look spends at most its share
//! (tests/stopping_exact.rs computes the exact error). A claim still undecided at its final look
//! is INCONCLUSIVE.

/// Defined with the file schemas it is recorded in.
pub use crate::records::StoppingRule;

impl Default for StoppingRule {
    fn default() -> Self {
        StoppingRule {
            alpha: 0.05,
            interim_alpha: 0.001,
        }
    }
}

/// Which look this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Look {
    /// The n-th interim look (1-based).
    Interim(u32),
    /// The final look, after this many interim looks.
    Final { after_interim: u32 },
}

impl StoppingRule {
    /// The most interim looks one claim takes: as many as spend at most half of α, so the
    /// final look always has the other half, however long the claim is measured.
    pub fn max_interim_looks(&self) -> u32 {
        // The small slack keeps 0.025 / 0.001 at 25 despite rounding.
        (self.alpha / 2.0 / self.interim_alpha + 1e-9).floor() as u32
    }

    /// The confidence level of the interval at `look`.
    pub fn confidence(&self, look: Look) -> f64 {
        match look {
            Look::Interim(_) => 1.0 - self.interim_alpha,
            Look::Final { after_interim } => {
                let spent = after_interim.min(self.max_interim_looks());
                1.0 - (self.alpha - f64::from(spent) * self.interim_alpha)
            }
        }
    }

    /// "99.9 %", "96.0 %": the level in words, with as many decimals as it needs.
    pub fn level_words(&self, look: Look) -> String {
        let pct = self.confidence(look) * 100.0;
        if (pct - pct.round()).abs() < 1e-9 {
            format!("{pct:.0}%")
        } else if (pct * 10.0 - (pct * 10.0).round()).abs() < 1e-9 {
            format!("{pct:.1}%")
        } else {
            format!("{pct:.2}%")
        }
    }
}

/// Where one claim's sequential test stands: how many interim looks it has had.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sequence {
    pub interim_looks: u32,
}

impl Sequence {
    /// The next look: the final one when the budget allows no further step, else the next
    /// interim look, or none once the claim has had all the interim looks `rule` allows.
    pub fn next(&self, rule: &StoppingRule, is_final: bool) -> Option<Look> {
        if is_final {
            Some(Look::Final {
                after_interim: self.interim_looks,
            })
        } else if self.interim_looks < rule.max_interim_looks() {
            Some(Look::Interim(self.interim_looks + 1))
        } else {
            None
        }
    }

    /// Whether `verdict` at `look` ends the claim's measurements (decided, or the final look);
    /// an undecided interim look is counted, so later looks know how much α is left.
    pub fn settle(&mut self, look: Look, verdict: super::Verdict) -> bool {
        if verdict != super::Verdict::Inconclusive || matches!(look, Look::Final { .. }) {
            return true;
        }
        self.interim_looks += 1;
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interim_looks_are_strict_and_the_final_look_gets_the_rest() {
        let r = StoppingRule::default();
        assert!((r.confidence(Look::Interim(1)) - 0.999).abs() < 1e-12);
        assert!((r.confidence(Look::Interim(7)) - 0.999).abs() < 1e-12);
        assert!((r.confidence(Look::Final { after_interim: 0 }) - 0.95).abs() < 1e-12);
        assert!((r.confidence(Look::Final { after_interim: 10 }) - 0.96).abs() < 1e-12);
        // Half of α is kept for the final look, however many looks there were.
        assert_eq!(r.max_interim_looks(), 25);
        assert!((r.confidence(Look::Final { after_interim: 25 }) - 0.975).abs() < 1e-12);
        assert!((r.confidence(Look::Final { after_interim: 500 }) - 0.975).abs() < 1e-12);
        assert_eq!(r.level_words(Look::Interim(1)), "99.9%");
        assert_eq!(r.level_words(Look::Final { after_interim: 0 }), "95%");
        assert_eq!(r.level_words(Look::Final { after_interim: 3 }), "95.3%");
    }

    #[test]
    fn a_claim_takes_at_most_the_capped_interim_looks_then_only_its_final_one() {
        let r = StoppingRule::default();
        let mut seq = Sequence::default();
        let mut interim = 0;
        while let Some(look) = seq.next(&r, false) {
            assert!(!seq.settle(look, super::super::Verdict::Inconclusive));
            interim += 1;
        }
        assert_eq!(interim, 25);
        assert_eq!(seq.next(&r, true), Some(Look::Final { after_interim: 25 }));
        // Spent in all: the interim looks' share and the final look's, at most α.
        let final_alpha = 1.0 - r.confidence(Look::Final { after_interim: 25 });
        assert!(f64::from(interim) * r.interim_alpha + final_alpha <= r.alpha + 1e-12);
    }
}
