//! `concbench sweep --waits LIST`: waiting at scale. For each N of the list, N concurrent
//! waits (N sleep-bound jobs on N workers, one wait each) under every listed strategy that can
//! hold N: wall time over the ideal (one wait), CPU and memory per waiter; then from how many
//! waiters each strategy falls behind async (and the CPython ones behind py-asyncio), and why.
//!
//! ```text
//! args ─> plan (waiters, holders) ─> measure (fixed reps, one executor per N) ─> runs.csv
//!                                          │
//!                                          ▼
//!              points (sweep.csv, `waiters` filled) ─> chart (waits.png) + markdown (REPORT.md)
//! ```

pub mod args;
pub mod chart;
pub mod markdown;
pub mod measure;
pub mod plan;
pub mod points;

use std::fmt::Write as _;
use std::path::Path;

pub use chart::SPEC as WAITS_CHART;
pub use plan::WaitsAxis;

use crate::error::Result;
use crate::records::sweep::{MODELS_CSV, ModelRow, SWEEP_CSV, SweepRow};
use crate::records::write_csv;
use crate::results::run_folder::SweepData;
use crate::strategy;

/// Whether a sweep's folder holds a wait sweep (its points have waiters).
pub fn is_wait_sweep(data: &SweepData) -> bool {
    data.points.iter().any(|p| p.waiters.is_some())
}

/// sweep.csv from what was measured, and an empty models.csv (a wait sweep fits no model, but
/// the folder reads like any sweep's). Returns the points.
pub fn analyse(out: &Path, measured: &crate::sweep::measure::Measured) -> Result<Vec<SweepRow>> {
    let bootstrap = measured.meta.bootstrap.clone().unwrap_or_default();
    let points = points::wait_points(&measured.rows, &bootstrap);
    write_csv(&out.join(SWEEP_CSV), &points)?;
    write_csv::<ModelRow>(&out.join(MODELS_CSV), &[])?;
    Ok(points)
}

/// The strategies with points, in display order.
pub fn strategies(data: &SweepData) -> Vec<String> {
    data.strategies()
}

/// One strategy's points, waiters ascending.
pub fn points_of<'a>(data: &'a SweepData, name: &str) -> Vec<&'a SweepRow> {
    let mut pts: Vec<&SweepRow> = data
        .points
        .iter()
        .filter(|p| p.strategy == name && p.waiters.is_some())
        .collect();
    pts.sort_by_key(|p| p.waiters);
    pts
}

/// The (strategy, waiters) pairs the sweep's strategies could not hold, from the registry's
/// limits and the waiter counts in meta.json.
pub fn skipped_notes(data: &SweepData) -> Vec<String> {
    let listed: Vec<&'static strategy::StrategyInfo> = data
        .meta
        .meta
        .parameters
        .strategies
        .iter()
        .filter_map(|s| strategy::find(strategy::name_in_label(s)).ok())
        .collect();
    plan::skipped(&listed, &data.meta.sweep.workers)
}

/// What stdout gets: the answer, then one line per point.
pub fn console_summary(data: &SweepData) -> String {
    let mut s = String::new();
    for a in markdown::answer(data) {
        let _ = writeln!(s, "{}", a.replace("**", ""));
    }
    for n in skipped_notes(data) {
        let _ = writeln!(s, "{n}");
    }
    let _ = writeln!(
        s,
        "{:<13} {:>8} {:>11} {:>12} {:>15} {:>17}",
        "strategy", "waiters", "wall", "wall ÷ ideal", "CPU per waiter", "memory per waiter"
    );
    for name in strategies(data) {
        for p in points_of(data, &name) {
            let _ = writeln!(
                s,
                "{:<13} {:>8} {:>11} {:>12} {:>15} {:>17}",
                p.strategy,
                p.waiters.unwrap_or(0),
                crate::console::format_seconds(p.wall_median_s),
                p.wall_over_ideal.map_or("-".into(), |x| format!("{x:.3}×")),
                p.cpu_per_waiter_ms
                    .map_or("-".into(), |c| crate::console::format_seconds(c / 1e3)),
                p.mem_per_waiter_bytes.map_or("-".into(), |b| {
                    crate::console::format_bytes(b.max(0.0).round() as u64)
                })
            );
        }
    }
    s
}
