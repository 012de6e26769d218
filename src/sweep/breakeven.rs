//! Where parallelism starts to pay, from a sweep over job sizes: measured (the smallest size
//! from which on a condition holds, bracketed by the sweep points around it) and predicted
//! (from the strategy's fixed cost). Pure functions.

/// Where a condition (a speedup CI above 1, efficiency ≥ 90 %) starts to hold for good, over
/// job sizes in ascending order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Crossing {
    /// It holds at every size measured, the smallest included: the crossing is at or below it.
    AtOrBelow(f64),
    /// It holds from `at` on, and did not at `below`, the next smaller size: the crossing lies
    /// in (below, at].
    Between { below: f64, at: f64 },
    /// It does not hold at the largest size measured: the crossing, if any, lies beyond it.
    Beyond(f64),
    /// No sizes.
    NoData,
}

impl Crossing {
    /// The size from which on it holds, if any.
    pub fn at(self) -> Option<f64> {
        match self {
            Crossing::AtOrBelow(at) | Crossing::Between { at, .. } => Some(at),
            _ => None,
        }
    }

    /// The size just below the crossing, where it did not hold.
    pub fn below(self) -> Option<f64> {
        match self {
            Crossing::Between { below, .. } => Some(below),
            Crossing::Beyond(last) => Some(last),
            _ => None,
        }
    }

    /// Rebuild from the two columns of models.csv.
    pub fn from_columns(at: Option<f64>, below: Option<f64>) -> Crossing {
        match (at, below) {
            (Some(at), None) => Crossing::AtOrBelow(at),
            (Some(at), Some(below)) => Crossing::Between { below, at },
            (None, Some(last)) => Crossing::Beyond(last),
            (None, None) => Crossing::NoData,
        }
    }
}

/// The smallest size from which on `holds` is true at every larger size too: a single lucky
/// size below a failing one does not count as paying off.
pub fn sustained_from(series: &[(f64, bool)]) -> Crossing {
    let mut sorted = series.to_vec();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let Some(&(last, last_holds)) = sorted.last() else {
        return Crossing::NoData;
    };
    if !last_holds {
        return Crossing::Beyond(last);
    }
    let first_of_run = sorted
        .iter()
        .rposition(|&(_, holds)| !holds)
        .map_or(0, |i| i + 1);
    match first_of_run {
        0 => Crossing::AtOrBelow(sorted[0].0),
        i => Crossing::Between {
            below: sorted[i - 1].0,
            at: sorted[i].0,
        },
    }
}

/// The job size above which N workers beat sequential, from a fixed cost F per run of J jobs:
/// parallel ≈ J·u/N + F, sequential ≈ J·u, so it pays off when u > F·N / (J·(N − 1)). `None`
/// for one worker (it never pays) or no jobs.
pub fn predicted_break_even_ms(fixed_cost_ms: f64, workers: usize, jobs: usize) -> Option<f64> {
    if workers < 2 || jobs == 0 || !fixed_cost_ms.is_finite() {
        return None;
    }
    let n = workers as f64;
    Some(fixed_cost_ms.max(0.0) * n / (jobs as f64 * (n - 1.0)))
}

/// The sizes where the speedup is above 1 but its interval does not lie above 1 (it includes
/// 1, or there is none: too few repetitions): from the speedup's own crossing `above_one` up to
/// the significant one. `Some((from, until))`, `until` being the significant crossing if any.
pub fn not_significant_yet(
    significant: Crossing,
    above_one: Crossing,
) -> Option<(f64, Option<f64>)> {
    let from = above_one.at()?;
    match significant.at() {
        Some(until) if until <= from => None,
        until => Some((from, until)),
    }
}

/// Where a predicted crossing falls relative to the measured (significant) one, in words. A
/// prediction below the significant bracket is optimistic only where the speedup itself is not
/// above 1 there either; where it is, the measurement has not had the repetitions to confirm
/// it, which says nothing against the model.
pub fn agreement(predicted: f64, significant: Crossing, above_one: Crossing) -> &'static str {
    let below_bracket = match significant {
        Crossing::Between { below, at } if predicted > below && predicted <= at => {
            return "within the measured bracket";
        }
        Crossing::Beyond(last) if predicted > last => {
            return "consistent: beyond the largest size too";
        }
        Crossing::AtOrBelow(at) if predicted <= at => {
            return "consistent: at or below the smallest size";
        }
        Crossing::NoData => return "nothing measured to compare",
        Crossing::Between { below, .. } | Crossing::Beyond(below) => predicted <= below,
        Crossing::AtOrBelow(_) => false,
    };
    if !below_bracket {
        return "above the measured bracket: the model is pessimistic";
    }
    let speedup_agrees = match above_one {
        Crossing::Between { below, .. } => predicted > below,
        Crossing::AtOrBelow(_) => true,
        Crossing::Beyond(_) => false,
        // Files from before the speedup's own crossing was recorded.
        Crossing::NoData => return "below the measured bracket: the model is optimistic",
    };
    if speedup_agrees {
        "below the significant bracket, where the speedup is above 1 but not significant yet: more repetitions may confirm it"
    } else {
        "below the measured bracket, where the speedup is not above 1 either: the model is optimistic"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_crossing_is_bracketed_by_the_points_around_it() {
        let s = [(0.001, false), (0.01, false), (0.1, true), (1.0, true)];
        assert_eq!(
            sustained_from(&s),
            Crossing::Between {
                below: 0.01,
                at: 0.1
            }
        );
        // Order of the input does not matter.
        let mut r = s;
        r.reverse();
        assert_eq!(sustained_from(&r), sustained_from(&s));
        // A lucky small size followed by a failing one does not count.
        let lucky = [(0.001, true), (0.01, false), (0.1, true), (1.0, true)];
        assert_eq!(
            sustained_from(&lucky),
            Crossing::Between {
                below: 0.01,
                at: 0.1
            }
        );
        assert_eq!(
            sustained_from(&[(0.01, true), (0.1, true)]),
            Crossing::AtOrBelow(0.01)
        );
        assert_eq!(
            sustained_from(&[(0.01, true), (0.1, false)]),
            Crossing::Beyond(0.1)
        );
        assert_eq!(sustained_from(&[]), Crossing::NoData);
    }

    #[test]
    fn crossings_round_trip_through_their_columns() {
        for c in [
            Crossing::AtOrBelow(0.01),
            Crossing::Between {
                below: 0.1,
                at: 0.3,
            },
            Crossing::Beyond(30.0),
            Crossing::NoData,
        ] {
            assert_eq!(Crossing::from_columns(c.at(), c.below()), c);
        }
    }

    #[test]
    fn predicted_break_even_follows_the_fixed_cost_formula() {
        // F = 0.1 ms, 2 workers, 8 jobs: u > 0.1·2/(8·1) = 0.025 ms.
        assert!((predicted_break_even_ms(0.1, 2, 8).unwrap() - 0.025).abs() < 1e-15);
        // 4 workers: 0.1·4/(8·3).
        assert!((predicted_break_even_ms(0.1, 4, 8).unwrap() - 0.4 / 24.0).abs() < 1e-15);
        assert_eq!(predicted_break_even_ms(0.1, 1, 8), None);
        assert_eq!(predicted_break_even_ms(0.1, 2, 0), None);
        // A strategy cheaper than sequential at zero work pays off at once.
        assert_eq!(predicted_break_even_ms(-0.01, 2, 8), Some(0.0));
    }

    #[test]
    fn agreement_says_where_the_prediction_falls() {
        let m = Crossing::Between {
            below: 0.01,
            at: 0.1,
        };
        // The speedup itself passes 1 where it is significant.
        let agree = |p: f64, m: Crossing| agreement(p, m, m);
        assert_eq!(agree(0.05, m), "within the measured bracket");
        // The bracket is (below, at]: paying off at `at` is within, at `below` it is not.
        assert_eq!(agree(0.1, m), "within the measured bracket");
        assert!(agree(0.01, m).ends_with("optimistic"));
        assert!(agree(0.005, m).ends_with("optimistic"));
        assert!(agree(0.5, m).ends_with("pessimistic"));
        assert!(agree(50.0, Crossing::Beyond(30.0)).starts_with("consistent"));
        assert!(agree(5.0, Crossing::Beyond(30.0)).ends_with("optimistic"));
        assert!(agree(0.001, Crossing::AtOrBelow(0.01)).starts_with("consistent"));
        assert!(agree(0.1, Crossing::AtOrBelow(0.01)).ends_with("pessimistic"));
    }

    #[test]
    fn a_prediction_below_a_crossing_not_yet_significant_is_not_called_optimistic() {
        // No interval anywhere (too few repetitions), the speedup above 1 from 1 ms on.
        let significant = Crossing::Beyond(30.0);
        let above_one = Crossing::Between {
            below: 0.3,
            at: 1.0,
        };
        assert_eq!(
            not_significant_yet(significant, above_one),
            Some((1.0, None))
        );
        assert!(agreement(0.5, significant, above_one).contains("not significant yet"));
        // Below where even the speedup passes 1: optimistic.
        assert!(agreement(0.1, significant, above_one).ends_with("optimistic"));
        // Significant from 3 ms, above 1 from 1 ms: 1 ms up to 3 ms is not significant yet.
        let significant = Crossing::Between {
            below: 1.0,
            at: 3.0,
        };
        assert_eq!(
            not_significant_yet(significant, above_one),
            Some((1.0, Some(3.0)))
        );
        assert_eq!(not_significant_yet(significant, significant), None);
        assert_eq!(
            not_significant_yet(significant, Crossing::Beyond(30.0)),
            None
        );
    }
}
