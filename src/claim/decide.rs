//! One look at one subject: the median of the per-round speedups and its order-statistic
//! interval at the look's level, judged against the threshold.

use super::stopping::{Look, StoppingRule};
use super::subject::Subject;
use super::{Verdict, judge};
use crate::error::Result;
use crate::records::RunRow;
use crate::stats::{median, median_ci, paired_ratios};
use crate::workload::Variant;

/// What a look judges by: the threshold and the stopping rule that sets each look's level.
#[derive(Debug, Clone, Copy)]
pub struct Judging {
    pub threshold: f64,
    pub rule: StoppingRule,
}

/// How one speed claim was decided.
#[derive(Debug, Clone)]
pub struct Decision {
    pub subject: Subject,
    pub verdict: Verdict,
    pub reason: String,
    /// The speedup: the median over paired rounds of baseline ÷ strategy within the round (a
    /// median of ratios, not a ratio of medians), and its order-statistic interval at the
    /// deciding look.
    pub speedup: Option<f64>,
    pub ci: Option<(f64, f64)>,
    /// "99.9%" (the level asked for) and "interim look 2" / "final look".
    pub level: String,
    pub look: String,
    /// The coverage the interval has (at least the level asked for: order statistics give
    /// discrete levels, 96.9 % for [min, max] of 6).
    pub level_achieved: Option<f64>,
    /// Medians of baseline and strategy, and the paired rounds, at that look.
    pub medians: Option<(f64, f64)>,
    pub reps: usize,
}

/// The rows of one arm.
fn arm_rows<'a>(rows: &'a [RunRow], variant: Variant, strategy: &str) -> Vec<&'a RunRow> {
    rows.iter()
        .filter(|r| r.variant == variant && r.strategy == strategy)
        .collect()
}

/// The walls of one arm.
fn walls(rows: &[RunRow], variant: Variant, strategy: &str) -> Vec<f64> {
    arm_rows(rows, variant, strategy)
        .iter()
        .map(|r| r.wall_s)
        .collect()
}

/// The speedup measured within each round (baseline and strategy run back to back, in one
/// interpreter for the py-* arms), in round order.
fn paired_speedups(subject: &Subject, rows: &[RunRow]) -> Vec<f64> {
    let keyed = |name: &str| -> Vec<(u64, f64)> {
        arm_rows(rows, subject.variant(), name)
            .iter()
            .map(|r| (u64::from(r.round), r.wall_s))
            .collect()
    };
    paired_ratios(&keyed(&subject.baseline()), &keyed(&subject.label))
}

/// Judge one claim on the rows so far, with the interval at `look`'s level: the median over
/// rounds of the paired speedups, and its order-statistic interval.
pub fn decide(cfg: &Judging, subject: &Subject, rows: &[RunRow], look: Look) -> Decision {
    let spec = subject.spec;
    let baseline = subject.baseline();
    let ratios = paired_speedups(subject, rows);
    let base = walls(rows, spec.variant, &baseline);
    let cand = walls(rows, spec.variant, &subject.label);
    let medians = median(&base).zip(median(&cand));
    let point = median(&ratios).filter(|s| s.is_finite());
    let confidence = cfg.rule.confidence(look);
    let ci = median_ci(&ratios, confidence);
    let look_words = match look {
        Look::Interim(k) => format!("interim look {k}"),
        Look::Final { .. } => "final look".to_string(),
    };
    let (verdict, reason) = match (point, ci) {
        (Some(_), Some((lo, hi, _))) => {
            let v = judge(spec.direction, (lo, hi), cfg.threshold);
            let mut reason = super::verdict::reason(spec.direction, (lo, hi), cfg.threshold);
            if v == Verdict::Inconclusive && matches!(look, Look::Final { .. }) {
                reason.push_str(&format!(
                    " at the final look ({} paired rounds): the time budget allows no more",
                    ratios.len()
                ));
            }
            (v, reason)
        }
        (Some(_), None) => (
            Verdict::Inconclusive,
            format!(
                "{} paired rounds are too few for a {} interval",
                ratios.len(),
                cfg.rule.level_words(look)
            ),
        ),
        (None, _) => (
            Verdict::Inconclusive,
            format!(
                "no interval: no round with a positive, finite wall time on both sides ({baseline} {:?}, {} {:?})",
                median(&base),
                subject.label,
                median(&cand)
            ),
        ),
    };
    Decision {
        subject: subject.clone(),
        verdict,
        reason,
        speedup: point,
        ci: ci.map(|c| (c.0, c.1)),
        level: cfg.rule.level_words(look),
        look: look_words,
        level_achieved: ci.map(|c| c.2),
        medians,
        reps: ratios.len(),
    }
}

pub(super) fn one_core(subject: &Subject) -> Decision {
    Decision {
        subject: subject.clone(),
        verdict: Verdict::Inconclusive,
        reason: "only 1 core available: CPU-bound work cannot run in parallel on this machine"
            .into(),
        speedup: None,
        ci: None,
        level: String::new(),
        look: String::new(),
        level_achieved: None,
        medians: None,
        reps: 0,
    }
}

/// A claim the measurements ended before deciding: its speedup as a decided one's (the median
/// of the paired rounds so far), with no interval.
pub(super) fn unfinished(subject: &Subject, rows: &[RunRow], result: &Result<()>) -> Decision {
    let base = walls(rows, subject.variant(), &subject.baseline());
    let cand = walls(rows, subject.variant(), &subject.label);
    let ratios = paired_speedups(subject, rows);
    let why = match result {
        Err(e) => format!("{e}"),
        Ok(()) => "the measurements ended".into(),
    };
    Decision {
        subject: subject.clone(),
        verdict: Verdict::Inconclusive,
        reason: format!("not decided: {why} after {} paired rounds", ratios.len()),
        speedup: median(&ratios).filter(|s| s.is_finite()),
        ci: None,
        level: String::new(),
        look: String::new(),
        level_achieved: None,
        medians: median(&base).zip(median(&cand)),
        reps: ratios.len(),
    }
}
