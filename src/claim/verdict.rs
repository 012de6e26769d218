//! The verdict rule: a claim about speed is decided by where a confidence interval of the
//! speedup lies relative to a threshold (1.10), never by one number. `concbench claim` uses the
//! order-statistic interval of the median of paired speedups at its stopping rule's level
//! (99.9 % at interim looks, 95-97.5 % at the final one); `concbench run` the 95 % bootstrap
//! interval of the ratio of medians, from 6 repetitions on.

use std::fmt;
use std::str::FromStr;

/// "Speeds up" holds above this, "doesn't speed up" below it.
pub const THRESHOLD: f64 = 1.10;

/// claims.csv's `interval_kind`: `claim`'s interval of a median from order statistics.
pub const ORDER_STATISTIC: &str = "order-statistic";
/// claims.csv's `interval_kind`: `run`'s percentile bootstrap of a ratio of medians.
pub const BOOTSTRAP: &str = "bootstrap";

/// The outcome of checking a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verdict {
    Holds,
    DoesNotHold,
    Inconclusive,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Holds => "HOLDS",
            Verdict::DoesNotHold => "DOES NOT HOLD",
            Verdict::Inconclusive => "INCONCLUSIVE",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Verdict {
    type Err = String;
    /// `HOLDS`, `DOES_NOT_HOLD` (or `DOES NOT HOLD`, `does-not-hold`), `INCONCLUSIVE`.
    fn from_str(s: &str) -> Result<Self, String> {
        let norm: String = s
            .trim()
            .chars()
            .map(|c| match c {
                '-' | ' ' => '_',
                c => c.to_ascii_uppercase(),
            })
            .collect();
        match norm.as_str() {
            "HOLDS" => Ok(Verdict::Holds),
            "DOES_NOT_HOLD" => Ok(Verdict::DoesNotHold),
            "INCONCLUSIVE" => Ok(Verdict::Inconclusive),
            _ => Err(format!(
                "'{s}' is not a verdict (expected HOLDS, DOES_NOT_HOLD or INCONCLUSIVE)"
            )),
        }
    }
}

/// Which way a speed claim points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// "X speeds up the work": holds when the CI's low end is above the threshold.
    SpeedsUp,
    /// "X doesn't speed up the work": holds when the CI's high end is below the threshold.
    DoesNotSpeedUp,
}

/// Judge a claim from the speedup's confidence interval `(low, high)`. An interval that
/// contains (or touches) the threshold is inconclusive.
pub fn judge(direction: Direction, ci: (f64, f64), threshold: f64) -> Verdict {
    let (low, high) = ci;
    let above = low > threshold;
    let below = high < threshold;
    match (direction, above, below) {
        (Direction::SpeedsUp, true, _) | (Direction::DoesNotSpeedUp, _, true) => Verdict::Holds,
        (Direction::SpeedsUp, _, true) | (Direction::DoesNotSpeedUp, true, _) => {
            Verdict::DoesNotHold
        }
        _ => Verdict::Inconclusive,
    }
}

/// A CI bound with 2 decimals, or as many more as it takes not to round it onto the
/// threshold (1.0996 is below 1.10 and must not read "1.10 < 1.10").
pub fn bound(x: f64, threshold: f64) -> String {
    (2..=6)
        .map(|d| (format!("{x:.d$}"), format!("{threshold:.d$}")))
        .find(|(a, b)| a != b || x == threshold)
        .map_or_else(|| format!("{x:.6}"), |(a, _)| a)
}

/// One line saying why, for a decided or undecided interval.
pub fn reason(direction: Direction, ci: (f64, f64), threshold: f64) -> String {
    let (low, high) = (bound(ci.0, threshold), bound(ci.1, threshold));
    match judge(direction, ci, threshold) {
        Verdict::Holds | Verdict::DoesNotHold if ci.0 > threshold => {
            format!("CI low {low} > {threshold:.2}: it speeds up")
        }
        Verdict::Holds | Verdict::DoesNotHold => {
            format!("CI high {high} < {threshold:.2}: no real speedup")
        }
        Verdict::Inconclusive => {
            format!("CI [{low}, {high}] straddles {threshold:.2}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Direction::*;

    #[test]
    fn the_rule_at_its_edges() {
        let t = THRESHOLD;
        // Just above: the whole interval clears 1.10.
        assert_eq!(judge(SpeedsUp, (1.1001, 1.3), t), Verdict::Holds);
        assert_eq!(
            judge(DoesNotSpeedUp, (1.1001, 1.3), t),
            Verdict::DoesNotHold
        );
        // Just below: the whole interval stays under 1.10.
        assert_eq!(judge(SpeedsUp, (0.9, 1.0999), t), Verdict::DoesNotHold);
        assert_eq!(judge(DoesNotSpeedUp, (0.9, 1.0999), t), Verdict::Holds);
        // Straddling, or touching the threshold: undecided.
        for ci in [(1.05, 1.15), (1.10, 1.3), (0.9, 1.10), (1.10, 1.10)] {
            assert_eq!(judge(SpeedsUp, ci, t), Verdict::Inconclusive, "{ci:?}");
            assert_eq!(
                judge(DoesNotSpeedUp, ci, t),
                Verdict::Inconclusive,
                "{ci:?}"
            );
        }
    }

    #[test]
    fn verdicts_parse_in_every_spelling() {
        for s in ["DOES_NOT_HOLD", "does not hold", "Does-Not-Hold"] {
            assert_eq!(s.parse::<Verdict>(), Ok(Verdict::DoesNotHold));
        }
        assert_eq!("holds".parse::<Verdict>(), Ok(Verdict::Holds));
        assert_eq!("INCONCLUSIVE".parse::<Verdict>(), Ok(Verdict::Inconclusive));
        assert!("maybe".parse::<Verdict>().is_err());
        assert_eq!(Verdict::DoesNotHold.to_string(), "DOES NOT HOLD");
    }

    #[test]
    fn reasons_name_the_bound_that_decided() {
        assert!(reason(SpeedsUp, (1.9, 2.1), THRESHOLD).contains("CI low 1.90"));
        assert!(reason(DoesNotSpeedUp, (0.9, 1.0), THRESHOLD).contains("CI high 1.00"));
        assert!(reason(SpeedsUp, (1.0, 1.2), THRESHOLD).contains("straddles"));
        assert!(reason(DoesNotSpeedUp, (0.9, 1.0996), THRESHOLD).contains("CI high 1.0996 < 1.10"));
    }
}
