//! The waits axis of `concbench sweep --waits LIST`: which waiter counts, which strategies
//! hold them, and the arms. N waiters are N sleep-bound jobs on N workers (the numbers
//! 1..=N/2, squared and cubed), one wait each: every waiter waits at once, so the ideal wall
//! time is one wait.

use std::time::Duration;

use crate::error::{Error, Result};
use crate::strategy::{self, Role, StrategyInfo, WorkerLimit};
use crate::study::ArmSpec;
use crate::sweep::plan::SweepPlan;
pub use crate::sweep::plan::WaitsAxis;
use crate::workload::{Variant, WorkUnit};

/// The most waiters a wait sweep measures: the most concurrent waits any strategy holds.
pub const MAX_WAITERS: usize = WorkerLimit::WAITS.max;
/// One wait per job unless `--sleep-ms` says otherwise: long enough that a strategy's
/// start-up shows as overhead on top of it, short enough that `--waits 10,100,1000,10000`
/// under threads, async, py-threads and py-asyncio fits well within three minutes.
pub const DEFAULT_WAIT_MS: f64 = 500.0;
/// Measured repetitions of every (strategy, waiters) unless `--reps` says otherwise.
pub const DEFAULT_REPS: u32 = 3;

/// One item of `--waits`: 1-100000; an odd count is measured as the next even one (the jobs
/// come in square/cube pairs of the same number).
pub fn parse_waiters(s: &str) -> std::result::Result<usize, String> {
    match s.trim().parse::<i64>() {
        Ok(n) if (1..=MAX_WAITERS as i64).contains(&n) => Ok((n as usize).next_multiple_of(2)),
        Ok(n) => Err(format!("{n} waiters is out of range (1-{MAX_WAITERS})")),
        Err(_) => Err(format!("'{s}' is not a waiter count (1-{MAX_WAITERS})")),
    }
}

/// A strategy built to hold many waits holds at least this many: threads (30,000, bounded by
/// the kernel's memory maps per process), async and py-asyncio (100,000), py-threads (30,000).
pub const MANY_WAITS: usize = 10_000;

/// Whether `info` can hold `n` concurrent waits.
pub fn holds(info: &StrategyInfo, n: usize) -> bool {
    info.max_workers.max >= n
}

/// The strategies of a wait sweep unless `--strategy` says otherwise: every registered one
/// built to hold many waits (a worker limit of at least [`MANY_WAITS`]): threads, async,
/// py-threads and py-asyncio.
pub fn default_strategies() -> Vec<&'static StrategyInfo> {
    strategy::REGISTRY
        .iter()
        .filter(|s| s.uses_workers && s.role != Role::Reference && holds(s, MANY_WAITS))
        .collect()
}

/// The listed strategies, checked: each must wait concurrently (not a baseline that runs one
/// job at a time, not a reference), and every waiter count needs one that holds it. A
/// strategy that cannot hold some count is skipped there, not refused.
pub fn checked_strategies(
    listed: Vec<&'static StrategyInfo>,
    waiters: &[usize],
) -> Result<Vec<&'static StrategyInfo>> {
    for s in &listed {
        if !s.uses_workers || s.role == Role::Reference {
            return Err(Error::Usage(format!(
                "--strategy {}: runs {}; a wait sweep needs strategies that wait concurrently ({})",
                s.name,
                if s.uses_workers {
                    "as a reference of the machine, not as a way to wait"
                } else {
                    "one job at a time"
                },
                default_strategies()
                    .iter()
                    .map(|s| s.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    }
    for &n in waiters {
        if !listed.iter().any(|s| holds(s, n)) {
            return Err(Error::Usage(format!(
                "--waits {n}: none of {} can hold {n} waiters ({})",
                listed.iter().map(|s| s.name).collect::<Vec<_>>().join(", "),
                listed
                    .iter()
                    .map(|s| format!(
                        "{}: at most {}, {}",
                        s.name, s.max_workers.max, s.max_workers.why
                    ))
                    .collect::<Vec<_>>()
                    .join("; ")
            )));
        }
    }
    Ok(listed)
}

/// The numbers of `n` jobs: 1..=n/2, each squared and cubed.
pub fn numbers_for(n: usize) -> Vec<i64> {
    (1..=(n / 2) as i64).collect()
}

/// A trial's time limit: the wait, plenty for starting N threads or an interpreter's
/// coroutines on a slow machine (a millisecond per waiter), and a margin.
pub fn timeout_for(n: usize, wait_ms: f64) -> Duration {
    Duration::from_secs_f64(60.0 + 20.0 * wait_ms / 1e3 + n as f64 * 1e-3)
}

/// The arms, one block each: every (waiters, strategy that holds them), waiters ascending.
/// Each arm is a block of its own, so a py-* arm gets an interpreter of its own and its memory
/// is not what another strategy left behind.
pub fn arm_specs(plan: &SweepPlan, axis: &WaitsAxis) -> Vec<ArmSpec> {
    let unit = WorkUnit::sleep(Duration::from_secs_f64(axis.wait_ms / 1e3));
    let mut specs = Vec::new();
    for &n in &axis.waiters {
        for &info in plan.strategies.iter().filter(|s| holds(s, n)) {
            let python = plan.python_arm(info);
            specs.push(ArmSpec {
                variant: Variant::Sleep,
                unit,
                unit_ms: axis.wait_ms,
                timeout: plan.timeout.unwrap_or_else(|| timeout_for(n, axis.wait_ms)),
                strategy: info,
                workers: n,
                python,
                block: specs.len(),
            });
        }
    }
    specs
}

/// (strategy, waiters) pairs a strategy of the plan cannot hold: skipped, with the reason.
pub fn skipped(strategies: &[&'static StrategyInfo], waiters: &[usize]) -> Vec<String> {
    let mut out = Vec::new();
    for s in strategies {
        let over: Vec<String> = waiters
            .iter()
            .filter(|&&n| !holds(s, n))
            .map(|n| n.to_string())
            .collect();
        if !over.is_empty() {
            out.push(format!(
                "{} skipped at {} waiters: it holds at most {} ({})",
                s.name,
                over.join(", "),
                s.max_workers.max,
                s.max_workers.why
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waiter_counts_are_even_and_within_the_limit() {
        assert_eq!(parse_waiters("10"), Ok(10));
        assert_eq!(parse_waiters("5"), Ok(6));
        assert_eq!(parse_waiters("1"), Ok(2));
        assert_eq!(parse_waiters("100000"), Ok(100_000));
        for bad in ["0", "-3", "100001", "x", ""] {
            assert!(parse_waiters(bad).is_err(), "{bad}");
        }
        assert_eq!(numbers_for(6), vec![1, 2, 3]);
    }

    #[test]
    fn only_strategies_that_hold_many_waits_join_by_default() {
        let names: Vec<&str> = default_strategies().iter().map(|s| s.name).collect();
        for always in ["threads", "async", "py-threads", "py-asyncio"] {
            assert!(names.contains(&always), "{always} in {names:?}");
        }
        for never in [
            "sequential",
            "py-sequential",
            "processes",
            "ceiling",
            "rayon",
        ] {
            assert!(!names.contains(&never), "{never}");
        }
    }

    #[test]
    fn a_count_nobody_holds_is_refused_and_others_are_skipped() {
        let procs = strategy::find("processes").unwrap();
        let threads = strategy::find("threads").unwrap();
        let e = checked_strategies(vec![procs], &[10, 5000]).unwrap_err();
        assert!(
            e.to_string().starts_with(
                "--waits 5000: none of processes can hold 5000 waiters (processes: at most 1024"
            ),
            "{e}"
        );
        assert!(checked_strategies(vec![procs, threads], &[10, 5000]).is_ok());
        let notes = skipped(&[procs, threads], &[10, 5000]);
        assert_eq!(notes.len(), 1);
        assert!(
            notes[0].starts_with("processes skipped at 5000 waiters"),
            "{notes:?}"
        );
        let seq = strategy::find("sequential").unwrap();
        assert!(checked_strategies(vec![seq, threads], &[10]).is_err());
    }
}
