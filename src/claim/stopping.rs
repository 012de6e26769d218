//! When `concbench claim` may stop measuring a claim: a group-sequential rule with
//! Haybittle–Peto boundaries (Haybittle 1971; Peto et al. 1976).
//!
//! Looking at a 95 % interval after every few repetitions and stopping as soon as it decides
//! would be wrong more often than 5 % of the time: every look is another chance for noise to
//! decide. So the looks are split:
//! - **interim looks** (every `step` repetitions from `min_reps` on) decide only on
//!   overwhelming evidence: a 99.9 % interval (two-sided α = 0.001 per look);
//! - the **final look**, when the time budget (or `--max-reps`) allows no further step, uses
//!   what is left of α = 0.05 after the interim looks (Bonferroni: α − looks × 0.001, so at
//!   least 0.05 − 10 × 0.001 = 0.04 after ten interim looks, a 96 % interval).
//!
//! By the union bound, the chance that any look decides wrongly is at most α, whatever the
//! number of looks. Each side of the interval gets half of it: "speeds up" is concluded
//! wrongly (the true speedup at or below the threshold) at most 2.5 % of the time, and so is
//! "no real speedup". A claim still undecided at its final look is INCONCLUSIVE.

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
    /// The confidence level of the interval at `look`.
    pub fn confidence(&self, look: Look) -> f64 {
        match look {
            Look::Interim(_) => 1.0 - self.interim_alpha,
            Look::Final { after_interim } => {
                let left = self.alpha - f64::from(after_interim) * self.interim_alpha;
                1.0 - left.max(self.interim_alpha)
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
    /// interim look.
    pub fn next(&self, is_final: bool) -> Look {
        if is_final {
            Look::Final {
                after_interim: self.interim_looks,
            }
        } else {
            Look::Interim(self.interim_looks + 1)
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
        // Never weaker than an interim look, however many looks there were.
        assert!((r.confidence(Look::Final { after_interim: 500 }) - 0.999).abs() < 1e-12);
        assert_eq!(r.level_words(Look::Interim(1)), "99.9%");
        assert_eq!(r.level_words(Look::Final { after_interim: 0 }), "95%");
        assert_eq!(r.level_words(Look::Final { after_interim: 3 }), "95.3%");
    }
}
