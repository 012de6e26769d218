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

/// Where a predicted size falls relative to the measured crossing, in words.
pub fn agreement(predicted: f64, measured: Crossing) -> &'static str {
    match measured {
        Crossing::Between { below, at } if predicted > below && predicted <= at => {
            "within the measured bracket"
        }
        Crossing::Beyond(last) if predicted > last => "consistent: beyond the largest size too",
        Crossing::AtOrBelow(at) if predicted <= at => "consistent: at or below the smallest size",
        Crossing::Between { below, .. } | Crossing::Beyond(below) if predicted <= below => {
            "below the measured bracket: the model is optimistic"
        }
        Crossing::NoData => "nothing measured to compare",
        _ => "above the measured bracket: the model is pessimistic",
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
        assert_eq!(agreement(0.05, m), "within the measured bracket");
        // The bracket is (below, at]: paying off at `at` is within, at `below` it is not.
        assert_eq!(agreement(0.1, m), "within the measured bracket");
        assert!(agreement(0.01, m).starts_with("below"));
        assert!(agreement(0.005, m).starts_with("below"));
        assert!(agreement(0.5, m).starts_with("above"));
        assert!(agreement(50.0, Crossing::Beyond(30.0)).starts_with("consistent"));
        assert!(agreement(5.0, Crossing::Beyond(30.0)).starts_with("below"));
        assert!(agreement(0.001, Crossing::AtOrBelow(0.01)).starts_with("consistent"));
        assert!(agreement(0.1, Crossing::AtOrBelow(0.01)).starts_with("above"));
    }
}
