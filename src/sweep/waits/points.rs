//! From runs.csv rows to a wait sweep's sweep.csv points, one per (strategy, waiters): wall
//! time over the ideal (one wait), CPU and memory per waiter, medians over the repetitions;
//! and the rule that says from how many waiters a strategy falls behind another. Pure.

use crate::records::RunRow;
use crate::records::sweep::SweepRow;
use crate::stats::BootstrapSettings;
use crate::strategy;
use crate::summary::{Configuration, ConfigurationStats, configurations};

/// Falling behind on time: wall ÷ ideal more than 10 % above the reference's.
pub const WALL_MARGIN: f64 = 1.10;
/// Falling behind on memory: more than 4 times the reference's memory per waiter …
pub const MEMORY_FACTOR: f64 = 4.0;
/// … where the strategy's peak is at least 1 MiB: below that, a page or two of noise in the
/// sampled peak divided by a few waiters would decide.
pub const MEMORY_FLOOR_BYTES: f64 = 1024.0 * 1024.0;

/// The async runtimes the others are read against.
pub const RUST_ASYNC: &str = "async";
pub const PY_ASYNC: &str = "py-asyncio";

/// Every point of `rows`, by waiters, then strategy in registry order.
pub fn wait_points(rows: &[RunRow], bootstrap: &BootstrapSettings) -> Vec<SweepRow> {
    let stats = configurations(rows, bootstrap, Configuration::sweep_stream);
    let mut points: Vec<SweepRow> = stats.iter().map(point).collect();
    points.sort_by_key(|p| (p.waiters, rank(&p.strategy)));
    points
}

fn rank(name: &str) -> (usize, String) {
    let name = strategy::name_in_label(name);
    let i = strategy::REGISTRY.iter().position(|s| s.name == name);
    (i.unwrap_or(usize::MAX), name.to_string())
}

fn point(s: &ConfigurationStats) -> SweepRow {
    let n = s.trials[0].jobs.max(1);
    let ideal_s = s.config.unit_ms / 1e3;
    // The size sweep's point, without what a wait sweep has no baseline for (speedup and
    // what follows from it), with the per-waiter figures.
    SweepRow {
        speedup: None,
        speedup_ci_low: None,
        speedup_ci_high: None,
        efficiency: None,
        karp_flatt: None,
        waiters: Some(n),
        wall_over_ideal: (ideal_s > 0.0).then(|| s.wall.median / ideal_s),
        cpu_per_waiter_ms: Some(s.cpu_total_median_s * 1e3 / n as f64),
        mem_per_waiter_bytes: s.mem_peak_bytes.map(|b| b as f64 / n as f64),
        ..crate::sweep::points::point(s)
    }
}

/// Where a strategy falls behind its reference.
#[derive(Debug, Clone, PartialEq)]
pub enum Behind {
    /// From this many waiters on (the smallest count where it does), on time, memory or both.
    At {
        waiters: usize,
        wall: bool,
        memory: bool,
    },
    /// Not at any count both measured, up to this one.
    NotUpTo(usize),
    /// No count measured under both.
    NoCommonCount,
}

/// The smallest waiter count both measured where `s`'s wall ÷ ideal exceeds `reference`'s by
/// more than [`WALL_MARGIN`], or its memory per waiter exceeds `reference`'s
/// [`MEMORY_FACTOR`] times (where its peak reaches [`MEMORY_FLOOR_BYTES`]).
pub fn falls_behind(s: &[&SweepRow], reference: &[&SweepRow]) -> Behind {
    let mut common: Vec<(&SweepRow, &SweepRow)> = s
        .iter()
        .filter_map(|p| {
            let r = reference.iter().find(|r| r.waiters == p.waiters)?;
            Some((*p, *r))
        })
        .collect();
    common.sort_by_key(|(p, _)| p.waiters);
    for (p, r) in &common {
        let wall = match (p.wall_over_ideal, r.wall_over_ideal) {
            (Some(a), Some(b)) => a > b * WALL_MARGIN,
            _ => false,
        };
        let memory = match (p.mem_per_waiter_bytes, r.mem_per_waiter_bytes) {
            (Some(a), Some(b)) => {
                let peak = a * p.waiters.unwrap_or(0) as f64;
                peak >= MEMORY_FLOOR_BYTES && a > b.max(0.0) * MEMORY_FACTOR
            }
            _ => false,
        };
        if wall || memory {
            return Behind::At {
                waiters: p.waiters.unwrap_or(0),
                wall,
                memory,
            };
        }
    }
    match common.last() {
        Some((p, _)) => Behind::NotUpTo(p.waiters.unwrap_or(0)),
        None => Behind::NoCommonCount,
    }
}

/// What `name` is read against among `present` (display order): async where it ran, else the
/// best strategy present (the one measured at the most waiters, then the lowest wall ÷ ideal
/// there); and py-asyncio for the other CPython strategies where it ran.
pub fn references_for(name: &str, present: &[String], points: &[SweepRow]) -> Vec<String> {
    let mut refs = Vec::new();
    let has = |s: &str| present.iter().any(|p| p == s);
    if has(RUST_ASYNC) {
        refs.push(RUST_ASYNC.to_string());
    } else if let Some(best) = best_present(present, points) {
        refs.push(best);
    }
    if strategy::name_in_label(name).starts_with(strategy::python::PREFIX) && has(PY_ASYNC) {
        refs.push(PY_ASYNC.to_string());
    }
    refs.dedup();
    refs.retain(|r| r != name);
    refs
}

/// The strategy measured at the most waiters, then the lowest wall ÷ ideal there.
pub fn best_present(present: &[String], points: &[SweepRow]) -> Option<String> {
    let top = |s: &String| {
        points
            .iter()
            .filter(|p| &p.strategy == s)
            .max_by_key(|p| p.waiters)
            .map(|p| {
                (
                    p.waiters.unwrap_or(0),
                    p.wall_over_ideal.unwrap_or(f64::MAX),
                )
            })
    };
    present
        .iter()
        .filter_map(|s| top(s).map(|t| (s, t)))
        .max_by(|(_, a), (_, b)| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)))
        .map(|(s, _)| s.clone())
}

#[cfg(test)]
mod tests;
