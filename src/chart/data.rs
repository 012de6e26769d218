//! The small vocabulary the charts and REPORT.md share (strategy order, baselines, ideal
//! speedups, time units). A run's files are loaded by [`crate::results::run_folder`].

use crate::workload::Variant;

/// Whether `strategy` is a speedup baseline ("sequential", "py-sequential", ...).
pub fn is_baseline(strategy: &str) -> bool {
    crate::strategy::baseline_of(strategy) == strategy
}

/// The baseline a strategy's speedup is relative to (the same rule summary.csv was made with).
pub fn baseline_of(strategy: &str) -> String {
    crate::strategy::baseline_of(strategy)
}

/// The best speedup the hardware and the work allow: one per worker, never more than there are
/// jobs, and for CPU-bound work never more than the cores (waiting work needs no core).
pub fn ideal_speedup(variant: Variant, workers: usize, jobs: usize, cores: usize) -> f64 {
    let mut ideal = workers.min(jobs.max(1));
    if variant == Variant::Cpu {
        ideal = ideal.min(cores);
    }
    ideal.max(1) as f64
}

/// "sleep-bound" / "CPU-bound" / "HTTP-bound".
pub fn variant_words(variant: Variant) -> &'static str {
    match variant {
        Variant::Sleep => "sleep-bound",
        Variant::Cpu => "CPU-bound",
        Variant::Http => "HTTP-bound",
    }
}

/// A time unit that keeps the numbers of an axis readable.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimeUnit {
    pub per_second: f64,
    pub name: &'static str,
}

impl TimeUnit {
    /// The unit for values up to `max_s` seconds.
    pub fn for_max(max_s: f64) -> TimeUnit {
        if max_s >= 1.0 {
            TimeUnit {
                per_second: 1.0,
                name: "s",
            }
        } else if max_s >= 1e-3 {
            TimeUnit {
                per_second: 1e3,
                name: "ms",
            }
        } else {
            TimeUnit {
                per_second: 1e6,
                name: "µs",
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn baselines() {
        assert!(is_baseline("sequential") && is_baseline("py-sequential"));
        assert!(!is_baseline("threads") && !is_baseline("py-threads"));
        assert_eq!(baseline_of("threads"), "sequential");
        assert_eq!(baseline_of("gil"), "sequential");
        assert_eq!(baseline_of("py-threads"), "py-sequential");
    }

    #[test]
    fn ideals() {
        assert_eq!(ideal_speedup(Variant::Sleep, 4, 8, 2), 4.0);
        assert_eq!(ideal_speedup(Variant::Cpu, 4, 8, 2), 2.0);
        assert_eq!(ideal_speedup(Variant::Sleep, 16, 8, 2), 8.0);
        assert_eq!(ideal_speedup(Variant::Cpu, 1, 8, 2), 1.0);
    }
}
