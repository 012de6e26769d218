//! REPORT.md of a sweep: the answer in words first ("threads pay off above X per job"), then
//! the tables it rests on, predicted beside measured, the charts and the setup.

use std::fmt::Write;

use super::breakeven::{Crossing, agreement};
use super::data::{SweepData, size_words};
use super::records::ModelRow;
use crate::chart::ChartSpec;
use crate::chart::data::{is_baseline, pretty_date, variant_words};
use crate::console::format_seconds;
use crate::results::markdown;
use crate::workload::Variant;

/// "threads pay off above 3 µs per job (between 3 µs and 10 µs)", and so on, for one variant:
/// one sentence, the strategies in display order, the ceiling last as the machine's reference.
pub fn answer(data: &SweepData, v: Variant) -> Option<String> {
    let models = data.models_of(v);
    if models.is_empty() {
        return None;
    }
    let n = models.iter().find_map(|m| m.break_even_workers)?;
    let (strategies, reference): (Vec<&&ModelRow>, Vec<&&ModelRow>) = models
        .iter()
        .partition(|m| m.strategy != crate::strategy::ceiling::INFO.name);
    let parts: Vec<String> = strategies.iter().map(|m| pays_off(m)).collect();
    let mut s = format!(
        "On this machine ({} cores; {n} workers, {} jobs, {}), {}.",
        data.cores(),
        data.jobs(),
        variant_words(v),
        join_words(&parts)
    );
    if let Some(c) = reference.first() {
        let _ = write!(
            s,
            " The machine's own ceiling (no queue, no spawning in the clock) {}.",
            pays_off(c).trim_start_matches("ceiling ")
        );
    }
    Some(s)
}

/// "threads pay off above 3 µs per job (somewhere between 3 µs and 10 µs)".
fn pays_off(m: &ModelRow) -> String {
    let s = &m.strategy;
    match Crossing::from_columns(m.break_even_ms, m.break_even_below_ms) {
        Crossing::Between { below, at } => format!(
            "{s} pay{} off above {} per job (somewhere between {} and {})",
            if s.ends_with('s') { "" } else { "s" },
            size_words(below),
            size_words(below),
            size_words(at)
        ),
        Crossing::AtOrBelow(at) => format!(
            "{s} pay{} off at every size measured, even {} per job",
            if s.ends_with('s') { "" } else { "s" },
            size_words(at)
        ),
        Crossing::Beyond(last) => format!(
            "{s} {} not pay off up to {} per job",
            if s.ends_with('s') { "do" } else { "does" },
            size_words(last)
        ),
        Crossing::NoData => format!("{s} was not measured at that worker count"),
    }
}

fn join_words(parts: &[String]) -> String {
    match parts {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{}, and {last}", rest.join(", ")),
    }
}

/// The whole REPORT.md, with a section for each of `charts`.
pub fn markdown(data: &SweepData, charts: &[ChartSpec]) -> String {
    let m = &data.meta.meta;
    let sw = &data.meta.sweep;
    let mut s = String::new();
    let _ = writeln!(s, "# concbench sweep: {}\n", data.name());
    let _ = writeln!(
        s,
        "Sweep started {} on `{}` ({}); status: **{}**; {} repetitions per point after {} warm-up round(s); stopped by **{}**: {}. Generated from the sweep's files by `concbench report --input <this folder>`.\n",
        pretty_date(&m.started_at),
        m.machine.hostname,
        m.machine.short(),
        m.status,
        sw.reps_done,
        sw.warmup,
        sw.stopped_by,
        sw.stop_reason
    );
    s.push_str(&markdown::warnings(m, "sweep"));
    s.push_str("## The answer\n\n");
    for v in data.variants() {
        if let Some(a) = answer(data, v) {
            let _ = writeln!(s, "{a}\n");
        }
    }
    s.push_str(
        "\"Pays off\" means the 95% bootstrap interval of the speedup over sequential lies above 1 at that job size and at every larger one; the two sizes bracket the crossing, which the sweep cannot place more finely than its sizes.\n\n",
    );
    for v in data.variants() {
        s.push_str(&pay_table(data, v));
        s.push_str(&fit_table(data, v));
    }
    s.push_str(&markdown::charts_section(
        charts.iter().map(|c| (c.name, c.title, c.caption)),
    ));
    s.push_str(&setup(data));
    s.push_str(
        "\n## Files\n\n[sweep.csv](sweep.csv) (one row per point), [models.csv](models.csv) (fits and break-even sizes per strategy), [runs.csv](runs.csv) (every measured trial), [samples.csv](samples.csv) (per-core CPU samples), [meta.json](meta.json) (machine, parameters, the sweep's plan and why it stopped).\n",
    );
    s
}

fn opt(x: Option<f64>, f: impl Fn(f64) -> String) -> String {
    x.map_or("–".into(), f)
}

fn pay_table(data: &SweepData, v: Variant) -> String {
    let mut s = format!("## Where parallelism pays ({})\n\n", variant_words(v));
    s.push_str(&markdown::header(
        &[
            "strategy",
            "workers",
            "fixed cost F",
            "predicted break-even",
            "measured break-even",
            "90% efficiency from",
        ],
        &["---", "---:", "---:", "---", "---", "---"],
    ));
    for m in data.models_of(v) {
        let measured = Crossing::from_columns(m.break_even_ms, m.break_even_below_ms);
        let predicted = m.predicted_break_even_ms.map_or("–".into(), |p| {
            format!("{} ({})", size_words(p), agreement(p, measured))
        });
        s.push_str(&markdown::row(&[
            m.strategy.clone(),
            m.break_even_workers.map_or("–".into(), |n| n.to_string()),
            opt(m.fixed_cost_ms, |f| format_seconds(f / 1e3)),
            predicted,
            bracket(measured),
            bracket(Crossing::from_columns(
                m.efficiency90_ms,
                m.efficiency90_below_ms,
            )),
        ]));
    }
    let _ = writeln!(
        s,
        "\nF is the strategy's fixed cost per run with every worker engaged: its median wall time minus the ideal J·u/N at the smallest size where it reaches 90 % efficiency (models.csv also gives the zero-work cost, the same {} jobs with no work minus sequential's: a floor, since with nothing to do some strategies never wake their second worker). With J jobs of u each on N workers, parallel ≈ J·u/N + F and sequential ≈ J·u, so the prediction is u > F·N/(J·(N−1)); it assumes the work itself divides perfectly, which oversubscribed or lock-bound strategies (gil) do not.\n",
        data.jobs()
    );
    s
}

fn bracket(c: Crossing) -> String {
    match c {
        Crossing::Between { below, at } => {
            format!(
                "above {} (between {} and {})",
                size_words(below),
                size_words(below),
                size_words(at)
            )
        }
        Crossing::AtOrBelow(at) => format!("at every size (≤ {})", size_words(at)),
        Crossing::Beyond(last) => format!("not up to {}", size_words(last)),
        Crossing::NoData => "–".into(),
    }
}

fn fit_table(data: &SweepData, v: Variant) -> String {
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
    let f3 = |x: f64| format!("{x:.3}");
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
                opt(p.karp_flatt, f3),
                opt(p.amdahl_speedup, f2),
                opt(p.usl_speedup, f2),
            ]));
        }
    }
    s.push('\n');
    s
}

fn setup(data: &SweepData) -> String {
    let m = &data.meta.meta;
    let sw = &data.meta.sweep;
    let mut s = String::from("## Setup\n\n");
    let sizes: Vec<String> = sw
        .sizes
        .iter()
        .filter(|z| z.unit_ms > 0.0)
        .map(|z| match z.iters {
            Some(i) => format!("{} ({} {i} iterations)", size_words(z.unit_ms), z.variant),
            None => format!("{} ({})", size_words(z.unit_ms), z.variant),
        })
        .collect();
    let rows: Vec<(&str, String)> = vec![
        (
            "machine",
            format!(
                "{} ({} logical cores, {} available), {}",
                m.machine.cpu_model,
                m.machine.logical_cores,
                m.machine.available_parallelism,
                m.machine.os
            ),
        ),
        ("strategies", m.parameters.strategies.join(", ")),
        (
            "workers",
            sw.workers
                .iter()
                .map(|w| w.to_string())
                .collect::<Vec<_>>()
                .join(", "),
        ),
        (
            "jobs",
            format!(
                "{} (square and cube of {:?})",
                sw.jobs, m.parameters.numbers
            ),
        ),
        ("job sizes", sizes.join(", ")),
        (
            "fixed cost",
            "the same jobs with zero work (0 kernel iterations), measured in the sweep".into(),
        ),
        ("processes chunk", sw.chunk.clone()),
        (
            "repetitions",
            format!(
                "{} measured ({} planned: {} fitted the budget at {} a round, bounds {}–{}), after {} warm-up round(s)",
                sw.reps_done,
                sw.planned_reps,
                sw.fit_reps,
                sw.round_cost_s.map_or("?".into(), format_seconds),
                sw.min_reps,
                sw.max_reps,
                sw.warmup
            ),
        ),
        (
            "budget",
            format!(
                "{:.0} s ({:.1} s kept for the analysis); stopped by {}",
                sw.budget_s, sw.reserve_s, sw.stopped_by
            ),
        ),
        (
            "order",
            m.discipline.as_ref().map_or("?".into(), |d| {
                format!("{} (seed {}), a block per job size", d.order, d.seed)
            }),
        ),
        ("took", m.total_wall_s.map_or("?".into(), format_seconds)),
    ];
    s.push_str(&markdown::key_value_table(&rows));
    let fixed: Vec<String> = data
        .points
        .iter()
        .filter(|p| p.unit_ms == 0.0 && !is_baseline(&p.strategy))
        .map(|p| {
            format!(
                "{}/{} {}",
                p.strategy,
                p.workers,
                format_seconds(p.wall_median_s)
            )
        })
        .collect();
    if !fixed.is_empty() {
        let _ = writeln!(
            s,
            "\nMedian wall time with zero work (the fixed cost before subtracting sequential's): {}.",
            fixed.join(", ")
        );
    }
    s
}
