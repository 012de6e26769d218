//! REPORT.md of a sweep: the answer in words first ("threads pay off above X per job"), then
//! the tables it rests on, predicted beside measured, the charts and the setup.

use std::fmt::Write;

use super::breakeven::{Crossing, agreement, not_significant_yet};
use super::data::size_words;
use super::fixed_cost::FixedCost;
use super::markdown_fits::opt;
use super::models::predicted_range;
use crate::chart::ChartSpec;
use crate::chart::data::{is_baseline, variant_words};
use crate::console::format_seconds;
use crate::records::sweep::ModelRow;
use crate::results::markdown;
use crate::results::run_folder::SweepData;
use crate::results::run_folder::pretty_date;
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
    let parts: Vec<String> = strategies
        .iter()
        .map(|m| {
            let measured = Crossing::from_columns(m.break_even_ms, m.break_even_below_ms);
            let above_one = Crossing::from_columns(m.above_one_ms, m.above_one_below_ms);
            match not_significant_words(measured, above_one) {
                Some(w) => format!(
                    "{} (its speedup is above 1 {w}, not significant yet)",
                    pays_off(m)
                ),
                None => pays_off(m),
            }
        })
        .collect();
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
    for v in data.variants() {
        if let Some(p) = super::markdown_dask::paragraph(data, v) {
            let _ = writeln!(s, "{p}\n");
        }
    }
    s.push_str(
        "\"Pays off\" means the 95% bootstrap interval of the speedup over sequential lies above 1 at that job size and at every larger one; the two sizes bracket the crossing, which the sweep cannot place more finely than its sizes. A point measured fewer than 6 times has no interval, so it cannot pay off: where its speedup is above 1 it is \"not significant yet\". The \"predicted crossing\" is the model's, from the fixed cost F, not a measurement.\n\n",
    );
    for v in data.variants() {
        s.push_str(&pay_table(data, v));
        s.push_str(&super::markdown_fits::fit_table(data, v));
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

fn pay_table(data: &SweepData, v: Variant) -> String {
    let mut s = format!("## Where parallelism pays ({})\n\n", variant_words(v));
    s.push_str(&markdown::header(
        &[
            "strategy",
            "workers",
            "fixed cost F [95% CI]",
            "predicted crossing (from F)",
            "measured break-even (CI above 1)",
            "above 1, not significant yet",
            "90% efficiency from",
        ],
        &["---", "---:", "---:", "---", "---", "---", "---"],
    ));
    for m in data.models_of(v) {
        let measured = Crossing::from_columns(m.break_even_ms, m.break_even_below_ms);
        let above_one = Crossing::from_columns(m.above_one_ms, m.above_one_below_ms);
        let f = m.fixed_cost_ms.map(|ms| FixedCost {
            ms,
            ci_ms: m.fixed_cost_ci_low_ms.zip(m.fixed_cost_ci_high_ms),
        });
        let predicted =
            m.predicted_break_even_ms
                .zip(m.break_even_workers)
                .map_or("–".into(), |(p, n)| {
                    format!(
                        "{}: {}",
                        predicted_range(p, f, n, data.jobs()),
                        agreement(p, measured, above_one)
                    )
                });
        s.push_str(&markdown::row(&[
            m.strategy.clone(),
            m.break_even_workers.map_or("–".into(), |n| n.to_string()),
            opt(m.fixed_cost_ms, |f| fixed_cost_cell(f, m)),
            predicted,
            bracket(measured),
            not_significant_words(measured, above_one).unwrap_or("–".into()),
            bracket(Crossing::from_columns(
                m.efficiency90_ms,
                m.efficiency90_below_ms,
            )),
        ]));
    }
    let _ = writeln!(
        s,
        "\nF is the strategy's fixed cost per run with every worker engaged: in each round, its wall time T_N minus the sequential wall time T_seq measured at the same size in the same round, divided by N; F is the median of these per-round values and its interval their 95% order-statistic (sign-test) interval, none below 6 rounds. It is measured at the smallest size where the strategy reaches 90 % efficiency (at zero work where none does; models.csv also gives the zero-work cost, the same {} jobs with no work: a floor, since with nothing to do some strategies never wake their second worker). With J jobs of u each on N workers, parallel ≈ T_seq/N + F and sequential ≈ T_seq ≈ J·u, so the predicted crossing is u > F·N/(J·(N−1)), its range from F's interval; it assumes the work itself divides perfectly, which oversubscribed or lock-bound strategies (gil) do not.\n",
        data.jobs()
    );
    s
}

/// "152 µs [140 µs, 160 µs]", with "at 1.3 ms" where F was not measured at zero work.
fn fixed_cost_cell(f: f64, m: &ModelRow) -> String {
    let ci = match (m.fixed_cost_ci_low_ms, m.fixed_cost_ci_high_ms) {
        (Some(lo), Some(hi)) => format!(
            "[{}, {}]",
            format_seconds(lo / 1e3),
            format_seconds(hi / 1e3)
        ),
        _ => "[–]".into(),
    };
    let at = m
        .fixed_cost_unit_ms
        .filter(|u| *u > 0.0)
        .map_or(String::new(), |u| format!(" at {}", size_words(u)));
    format!("{} {ci}{at}", format_seconds(f / 1e3))
}

/// "from 1 ms on" or "from 1 ms to below 3 ms": where the speedup is above 1 without a
/// significant break-even.
pub fn not_significant_words(measured: Crossing, above_one: Crossing) -> Option<String> {
    let (from, until) = not_significant_yet(measured, above_one)?;
    Some(match until {
        Some(u) => format!("from {} to below {}", size_words(from), size_words(u)),
        None => format!("from {} on", size_words(from)),
    })
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
