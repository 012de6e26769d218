//! REPORT.md's scaling section of a sweep: the fits over worker counts at the largest job
//! size, and each worker count's measured speedup beside the fits' predictions.

use std::fmt::Write;

use super::data::size_words;
use crate::chart::data::variant_words;
use crate::records::sweep::ModelRow;
use crate::results::markdown;
use crate::results::run_folder::SweepData;
use crate::workload::Variant;

pub(super) fn fit_table(data: &SweepData, v: Variant) -> String {
    let models = data.models_of(v);
    let Some(fit_unit) = models.first().map(|m| m.fit_unit_ms) else {
        return String::new();
    };
    let mut s = format!(
        "### Scaling with workers ({}, {} per job)\n\n",
        variant_words(v),
        size_words(fit_unit)
    );
    s.push_str(&markdown::header(
        &[
            "strategy",
            "worker counts",
            "Amdahl s",
            "USL σ",
            "USL κ",
            "USL λ",
            "USL R² / max residual",
            "peak N*",
        ],
        &["---", "---:", "---", "---:", "---:", "---:", "---", "---:"],
    ));
    let f3 = |x: f64| format!("{x:.3}");
    // A fit that was refused shows "–" and its reason once, below the table.
    let mut refused: Vec<String> = Vec::new();
    let mut note = |n: &str| {
        if !n.is_empty() && !refused.iter().any(|r| r == n) {
            refused.push(n.to_string());
        }
    };
    let mut caveats: Vec<String> = Vec::new();
    for m in &models {
        let amdahl = match m.amdahl_serial_fraction {
            Some(sf) => format!(
                "{sf:.3} (R² {}, max residual {})",
                opt(m.amdahl_r2, f3),
                opt(m.amdahl_max_residual, f3)
            ),
            None => {
                note(&m.amdahl_note);
                "–".into()
            }
        };
        if m.usl_sigma.is_none() {
            note(&m.usl_note);
        } else if !m.usl_note.is_empty() {
            caveats.push(format!("{} ({})", m.strategy, m.usl_note));
        }
        s.push_str(&markdown::row(&[
            m.strategy.clone(),
            m.fit_points.to_string(),
            amdahl,
            opt(m.usl_sigma, f3),
            opt(m.usl_kappa, |k| format!("{k:.5}")),
            opt(m.usl_lambda, f3),
            format!("{} / {}", opt(m.usl_r2, f3), opt(m.usl_max_residual, f3)),
            opt(m.usl_peak_workers, |p| format!("{p:.1}")),
        ]));
    }
    if !refused.is_empty() {
        let _ = writeln!(s, "\nNot fitted: {}.", refused.join("; "));
    }
    if !caveats.is_empty() {
        let _ = writeln!(s, "\nUSL caveats: {}.", caveats.join("; "));
    }
    s.push_str(
        "\nSpeedups are over sequential (T1 = the best sequential run, not the strategy's own one-worker run), so λ below 1 is what one worker costs over sequential. USL needs at least 6 worker counts and Amdahl at least 2 above one; with fewer, no number is given. Amdahl's law counts processors, so its fit sees only worker counts up to the cores: past them a flat speedup is the machine's limit, not serial code. USL sees every count and reads that limit as contention (σ) or crosstalk (κ); compare with the ceiling's own fit.\n\n",
    );
    s.push_str(&measured_beside_predicted(data, v, &models, fit_unit));
    s
}

/// The second table of a fit: each worker count's measured speedup beside the models'.
fn measured_beside_predicted(
    data: &SweepData,
    v: Variant,
    models: &[&ModelRow],
    fit_unit: f64,
) -> String {
    let f2 = |x: f64| format!("{x:.2}");
    let mut s = String::from("Measured beside predicted, at this size:\n\n");
    s.push_str(&markdown::header(
        &[
            "strategy",
            "workers",
            "measured speedup [95% CI]",
            "Karp–Flatt e",
            "Amdahl",
            "USL",
        ],
        &["---", "---:", "---", "---:", "---:", "---:"],
    ));
    for m in models {
        for p in data
            .points_of(v, &m.strategy)
            .into_iter()
            .filter(|p| p.unit_ms == fit_unit)
        {
            s.push_str(&markdown::row(&[
                p.strategy.clone(),
                p.workers.to_string(),
                format!(
                    "{} [{}, {}]",
                    opt(p.speedup, f2),
                    opt(p.speedup_ci_low, f2),
                    opt(p.speedup_ci_high, f2)
                ),
                opt(p.karp_flatt, |e| {
                    karp_flatt_cell(e, p.workers, data.cores())
                }),
                opt(p.amdahl_speedup, f2),
                opt(p.usl_speedup, f2),
            ]));
        }
    }
    if models.iter().any(|m| {
        data.points_of(v, &m.strategy)
            .iter()
            .any(|p| p.unit_ms == fit_unit && p.workers > data.cores())
    }) {
        let _ = writeln!(
            s,
            "\nKarp–Flatt's e past the {} cores is marked \"beyond the cores\": there it rises because no core is left for the extra workers, not because of overhead or serial code.",
            data.cores()
        );
    }
    s.push('\n');
    s
}

/// Karp–Flatt's e, marked where the worker count is past the cores.
fn karp_flatt_cell(e: f64, workers: usize, cores: usize) -> String {
    if workers > cores {
        format!("{e:.3} (beyond the cores)")
    } else {
        format!("{e:.3}")
    }
}

/// A figure, or "–" where there is none.
pub(super) fn opt(x: Option<f64>, f: impl Fn(f64) -> String) -> String {
    x.map_or("–".into(), f)
}
