//! The fixed cost F of a strategy on N workers at job size u: what a run pays beyond a perfect
//! split of the sequential run, F = T_N(u) − T_seq(u)/N. T_seq is the sequential baseline
//! measured at the same size in the same round (a block runs the two seconds apart), not the
//! nominal J·u: real jobs overshoot their nominal time (timer slack, calibration error), and
//! subtracting the nominal J·u/N left that overshoot in F, so F and the break-even it
//! predicts grew with u.
//!
//! One value per round, F_r = T_N,r − T_seq,r/N; F is their median and its interval the 95 %
//! order-statistic (sign-test) interval of that median: paired by round, so what a round does
//! to both arms cancels; distribution-free, so one slow trial does not stretch it; and none
//! below [`MIN_INTERVAL_N`] rounds.

use crate::records::RunRow;
use crate::stats::{MIN_INTERVAL_N, median, median_ci};
use crate::strategy::baseline_of;
use crate::workload::Variant;

/// The confidence of F's interval.
pub const FIXED_COST_CONFIDENCE: f64 = 0.95;

/// F in ms, with its interval where there are enough rounds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FixedCost {
    pub ms: f64,
    pub ci_ms: Option<(f64, f64)>,
}

/// F of `strategy` on `workers` at job size `unit_ms` (0: the zero-work block, which runs on
/// the CPU variant whatever the variants swept), from the rounds that measured both it and
/// its baseline; `None` without such a round.
pub fn fixed_cost(
    rows: &[RunRow],
    variant: Variant,
    strategy: &str,
    workers: usize,
    unit_ms: f64,
) -> Option<FixedCost> {
    let at_size = |r: &&RunRow| r.unit_ms == unit_ms && (unit_ms == 0.0 || r.variant == variant);
    let baseline = baseline_of(strategy);
    let base: Vec<&RunRow> = rows
        .iter()
        .filter(at_size)
        .filter(|r| r.strategy == baseline)
        .collect();
    let per_round: Vec<f64> = rows
        .iter()
        .filter(at_size)
        .filter(|r| r.strategy == strategy && r.workers == workers)
        .filter_map(|r| {
            let seq = base.iter().find(|b| b.round == r.round)?;
            Some((r.wall_s - seq.wall_s / workers as f64) * 1e3)
        })
        .collect();
    let ms = median(&per_round)?;
    let ci_ms = if per_round.len() >= MIN_INTERVAL_N {
        median_ci(&per_round, FIXED_COST_CONFIDENCE).map(|(lo, hi, _)| (lo, hi))
    } else {
        None
    };
    Some(FixedCost { ms, ci_ms })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::rows_tests::run_row;

    /// `rounds` rounds at job size `unit_ms`: sequential takes `seq_s` (times a per-round
    /// factor both arms share), threads on 2 workers half of it plus `f_s`.
    fn rows(rounds: u32, unit_ms: f64, seq_s: f64, f_s: f64) -> Vec<RunRow> {
        let mut v = Vec::new();
        for round in 0..rounds {
            let slow = 1.0 + 0.05 * f64::from(round % 3);
            for (strategy, workers, wall) in [
                ("sequential", 1, seq_s * slow),
                ("threads", 2, seq_s * slow / 2.0 + f_s),
            ] {
                let mut r = run_row(Variant::Cpu, strategy, workers, unit_ms, wall);
                r.round = round;
                v.push(r);
            }
        }
        v
    }

    #[test]
    fn f_is_what_a_run_adds_to_half_the_measured_sequential_time() {
        // Sequential overshoots its nominal 8 × 1 ms by 10 %: F stays 0.2 ms, where the
        // nominal formula (T_N − J·u/N) would read 0.6 ms and more at larger sizes.
        for (unit_ms, seq_s) in [(1.0, 0.0088), (10.0, 0.088)] {
            let f = fixed_cost(
                &rows(6, unit_ms, seq_s, 0.2e-3),
                Variant::Cpu,
                "threads",
                2,
                unit_ms,
            )
            .unwrap();
            assert!((f.ms - 0.2).abs() < 1e-9, "{unit_ms}: {f:?}");
            // Paired by round: the rounds' shared slowdown leaves no width.
            let (lo, hi) = f.ci_ms.unwrap();
            assert!((lo - 0.2).abs() < 1e-9 && (hi - 0.2).abs() < 1e-9, "{f:?}");
        }
    }

    #[test]
    fn f_has_no_interval_below_six_rounds() {
        let f = fixed_cost(
            &rows(5, 1.0, 0.008, 0.2e-3),
            Variant::Cpu,
            "threads",
            2,
            1.0,
        );
        assert_eq!(f.map(|f| f.ci_ms), Some(None));
        // No round with both arms: no F.
        let lone = &rows(6, 1.0, 0.008, 0.2e-3)[1..2];
        assert_eq!(fixed_cost(lone, Variant::Cpu, "threads", 2, 1.0), None);
        // The zero-work block is on the CPU variant whatever the variant asked for.
        let zero = rows(6, 0.0, 1e-6, 0.1e-3);
        let f = fixed_cost(&zero, Variant::Sleep, "threads", 2, 0.0).unwrap();
        assert!((f.ms - 0.1).abs() < 1e-9, "{f:?}");
    }
}
