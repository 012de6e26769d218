//! models.csv: for every strategy and variant, the scaling models over worker counts (Amdahl,
//! USL) at the sweep's largest job size, and where parallelism starts to pay over job sizes at
//! one worker count: measured (bracketed by sweep points) and predicted from the fixed cost
//! measured in the same sweep. Pure functions of sweep.csv's points and, for F, runs.csv's rows.
//!
//! - **Which size the fits use**: the largest job size of the variant, where fixed costs weigh
//!   least, so the fit describes how the strategy scales rather than what it costs to start.
//! - **Which worker count the break-even uses**: the largest measured count that the cores can
//!   run at once (≤ available parallelism, at least 2): the configuration one would pick.
//! - **Fixed cost F**: T_N − T_seq/N with both measured at the same size ([`fixed_cost`]), at
//!   the smallest size where the strategy reaches 90 % efficiency (every worker engaged), at
//!   zero work where none does.

use super::breakeven::{
    Crossing, agreement, not_significant_yet, predicted_break_even_ms, sustained_from,
};
use super::data::size_words;
use super::fixed_cost::{FixedCost, fixed_cost};
use crate::records::RunRow;
use crate::records::sweep::{ModelRow, SweepRow};
use crate::stats::scaling::{ScalingPoint, amdahl_speedup, fit_amdahl, fit_usl};
use crate::strategy::baseline_of;
use crate::workload::Variant;

/// Efficiency that counts as "worth it" for the second crossing.
pub const EFFICIENCY_TARGET: f64 = 0.9;

/// The worker count break-even sizes are measured at, among `measured`: the largest count
/// within the cores (at least 2), else the smallest above 1; `None` without one above 1.
pub fn break_even_workers(measured: &[usize], cores: usize) -> Option<usize> {
    let parallel = measured.iter().copied().filter(|&w| w > 1);
    parallel
        .clone()
        .filter(|&w| w <= cores.max(2))
        .max()
        .or_else(|| parallel.min())
}

/// One row per (variant, strategy) that has points at a job size above 0, baselines excluded;
/// `rows` (runs.csv) give the fixed cost its per-round values.
pub fn models(points: &[SweepRow], rows: &[RunRow], jobs: usize, cores: usize) -> Vec<ModelRow> {
    let mut out = Vec::new();
    for variant in Variant::ALL {
        let sized: Vec<&SweepRow> = points
            .iter()
            .filter(|p| p.variant == variant && p.unit_ms > 0.0)
            .collect();
        let Some(fit_unit) = sized.iter().map(|p| p.unit_ms).reduce(f64::max) else {
            continue;
        };
        let mut strategies: Vec<&str> = Vec::new();
        for p in &sized {
            if baseline_of(&p.strategy) != p.strategy && !strategies.contains(&p.strategy.as_str())
            {
                strategies.push(&p.strategy);
            }
        }
        for s in strategies {
            out.push(model(points, rows, variant, s, fit_unit, jobs, cores));
        }
    }
    out
}

fn model(
    points: &[SweepRow],
    rows: &[RunRow],
    variant: Variant,
    strategy: &str,
    fit_unit: f64,
    jobs: usize,
    cores: usize,
) -> ModelRow {
    let mine: Vec<&SweepRow> = points
        .iter()
        .filter(|p| p.variant == variant && p.strategy == strategy && p.unit_ms > 0.0)
        .collect();
    let fit_points: Vec<ScalingPoint> = mine
        .iter()
        .filter(|p| p.unit_ms == fit_unit)
        .filter_map(|p| {
            p.speedup.map(|speedup| ScalingPoint {
                workers: p.workers,
                speedup,
            })
        })
        .collect();
    // Amdahl's law counts processors: past the core count more workers add none, and a fit
    // through the flat part reads the machine's limit as serial code. So Amdahl sees only
    // worker counts up to the cores (and is refused when that leaves too few); USL, which
    // models contention, sees them all.
    let within_cores: Vec<ScalingPoint> = fit_points
        .iter()
        .copied()
        .filter(|p| p.workers <= cores.max(1))
        .collect();
    let amdahl = fit_amdahl(&within_cores).map_err(|e| format!("{e} within the {cores} cores"));
    let usl = fit_usl(&fit_points);
    let n = break_even_workers(&distinct(mine.iter().map(|p| p.workers)), cores);
    let series = |pass: &dyn Fn(&SweepRow) -> bool| -> Vec<(f64, bool)> {
        mine.iter()
            .filter(|p| Some(p.workers) == n)
            .map(|p| (p.unit_ms, pass(p)))
            .collect()
    };
    let pays = sustained_from(&series(&|p| p.speedup_ci_low.is_some_and(|lo| lo > 1.0)));
    let above_one = sustained_from(&series(&|p| p.speedup.is_some_and(|x| x > 1.0)));
    let efficient = sustained_from(&series(&|p| {
        p.efficiency.is_some_and(|e| e >= EFFICIENCY_TARGET)
    }));
    let (fixed, zero_work) = n.map_or((None, None), |n| {
        fixed_costs(rows, variant, strategy, n, efficient.at())
    });
    let predicted = fixed
        .zip(n)
        .and_then(|((f, _), n)| predicted_break_even_ms(f.ms, n, jobs));
    let mut usl_note = usl.as_ref().err().cloned().unwrap_or_default();
    if usl.is_ok() && fit_points.iter().any(|p| p.workers > cores) {
        usl_note = format!("includes worker counts above the {cores} cores");
    }
    ModelRow {
        variant,
        strategy: strategy.to_string(),
        fit_unit_ms: fit_unit,
        fit_points: distinct(fit_points.iter().map(|p| p.workers)).len(),
        amdahl_serial_fraction: amdahl.as_ref().ok().map(|f| f.serial_fraction),
        amdahl_r2: amdahl.as_ref().ok().and_then(|f| f.quality.r2),
        amdahl_max_residual: amdahl.as_ref().ok().map(|f| f.quality.max_residual),
        amdahl_note: amdahl.as_ref().err().cloned().unwrap_or_default(),
        usl_sigma: usl.as_ref().ok().map(|f| f.sigma),
        usl_kappa: usl.as_ref().ok().map(|f| f.kappa),
        usl_lambda: usl.as_ref().ok().map(|f| f.lambda),
        usl_r2: usl.as_ref().ok().and_then(|f| f.quality.r2),
        usl_max_residual: usl.as_ref().ok().map(|f| f.quality.max_residual),
        usl_peak_workers: usl.as_ref().ok().and_then(|f| f.peak_workers()),
        usl_note,
        break_even_workers: n,
        fixed_cost_ms: fixed.map(|f| f.0.ms),
        fixed_cost_ci_low_ms: fixed.and_then(|f| f.0.ci_ms).map(|c| c.0),
        fixed_cost_ci_high_ms: fixed.and_then(|f| f.0.ci_ms).map(|c| c.1),
        fixed_cost_unit_ms: fixed.map(|f| f.1),
        fixed_cost_zero_work_ms: zero_work.map(|f| f.ms),
        predicted_break_even_ms: predicted,
        break_even_ms: pays.at(),
        break_even_below_ms: pays.below(),
        above_one_ms: above_one.at(),
        above_one_below_ms: above_one.below(),
        break_even_note: break_even_note(
            pays,
            above_one,
            predicted.zip(n),
            fixed.map(|f| f.0),
            jobs,
        ),
        efficiency90_ms: efficient.at(),
        efficiency90_below_ms: efficient.below(),
        efficiency90_note: crossing_note(efficient, "efficiency is at least 90%"),
    }
}

/// The worker counts, ascending, each once.
fn distinct(workers: impl Iterator<Item = usize>) -> Vec<usize> {
    let mut w: Vec<usize> = workers.collect();
    w.sort_unstable();
    w.dedup();
    w
}

/// F on `n` workers with every worker engaged, with the size it was measured at, and F at
/// zero work. At zero work some strategies never engage their second worker (rayon's wakes
/// only when there is work to steal), so the zero-work cost is a floor; at the size where the
/// strategy first reaches 90 % efficiency (`efficient_at`) every worker works. The zero-work
/// cost stands in where no size reaches 90 %.
fn fixed_costs(
    rows: &[RunRow],
    variant: Variant,
    strategy: &str,
    n: usize,
    efficient_at: Option<f64>,
) -> (Option<(FixedCost, f64)>, Option<FixedCost>) {
    let zero_work = fixed_cost(rows, variant, strategy, n, 0.0);
    let engaged = efficient_at.and_then(|u| Some((fixed_cost(rows, variant, strategy, n, u)?, u)));
    (engaged.or(zero_work.map(|f| (f, 0.0))), zero_work)
}

/// "0.05 ms (0.045–0.058 ms)": the predicted size, and the sizes F's interval ends predict.
pub fn predicted_range(
    predicted: f64,
    f: Option<FixedCost>,
    workers: usize,
    jobs: usize,
) -> String {
    let ends = f.and_then(|f| f.ci_ms).and_then(|(lo, hi)| {
        predicted_break_even_ms(lo, workers, jobs).zip(predicted_break_even_ms(hi, workers, jobs))
    });
    match ends {
        Some((lo, hi)) => format!(
            "{} ({}–{})",
            size_words(predicted),
            size_words(lo),
            size_words(hi)
        ),
        None => size_words(predicted),
    }
}

/// "0.2 ms (95% CI 0.18–0.23 ms, at 1.3 ms per job)".
fn fixed_cost_words(f: &FixedCost) -> String {
    let ci = f
        .ci_ms
        .map_or("no interval below 6 rounds".into(), |(lo, hi)| {
            format!("95% CI {lo:.4}–{hi:.4} ms")
        });
    format!("{:.4} ms ({ci})", f.ms)
}

/// The break-even in words: the measured (significant) crossing, the sizes where the speedup
/// is above 1 but not significant yet, and the crossing F predicts, each named as such.
fn break_even_note(
    pays: Crossing,
    above_one: Crossing,
    predicted: Option<(f64, usize)>,
    fixed: Option<FixedCost>,
    jobs: usize,
) -> String {
    let mut s = format!(
        "measured: {}",
        crossing_note(pays, "its speedup CI lies above 1")
    );
    if let Some((from, until)) = not_significant_yet(pays, above_one) {
        s.push_str(&format!(
            "; not significant yet: speedup above 1 from {from} ms on, {}",
            until.map_or(
                "its CI not above 1 (or none: fewer than 6 repetitions) up to the largest size"
                    .into(),
                |u| format!("its CI above 1 only from {u} ms")
            )
        ));
    }
    if let Some((p, n)) = predicted {
        s.push_str(&format!(
            "; predicted crossing {} from F {}: {}",
            predicted_range(p, fixed, n, jobs),
            fixed.map_or(String::new(), |f| fixed_cost_words(&f)),
            agreement(p, pays, above_one)
        ));
    }
    s
}

/// What a crossing means, in words, for models.csv.
fn crossing_note(c: Crossing, condition: &str) -> String {
    match c {
        Crossing::AtOrBelow(at) => {
            format!("{condition} at every size, the smallest ({at} ms) included")
        }
        Crossing::Between { below, at } => {
            format!("{condition} from {at} ms per job on; not at {below} ms")
        }
        Crossing::Beyond(last) => format!("not at the largest size ({last} ms)"),
        Crossing::NoData => "no sizes at this worker count".into(),
    }
}

/// Fill each point's predicted speedups from its strategy's fits (at the fit size only).
pub fn add_predictions(points: &mut [SweepRow], models: &[ModelRow]) {
    for p in points.iter_mut() {
        let Some(m) = models
            .iter()
            .find(|m| m.variant == p.variant && m.strategy == p.strategy)
        else {
            continue;
        };
        if p.unit_ms != m.fit_unit_ms {
            continue;
        }
        let n = p.workers as f64;
        p.amdahl_speedup = m.amdahl_serial_fraction.map(|s| amdahl_speedup(s, n));
        p.usl_speedup = match (m.usl_lambda, m.usl_sigma, m.usl_kappa) {
            (Some(l), Some(s), Some(k)) => Some(l * n / (1.0 + s * (n - 1.0) + k * n * (n - 1.0))),
            _ => None,
        };
    }
}

#[cfg(test)]
mod tests;
