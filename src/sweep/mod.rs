//! `concbench sweep`: where does parallelism start to pay on this machine? The tutorial's jobs
//! measured over a grid of worker counts × job sizes (× variants) under every strategy, on the
//! trial engine, within a time budget; then scaling models over workers (Amdahl, USL,
//! Karp–Flatt) and break-even job sizes, measured and predicted from each strategy's fixed
//! cost measured in the same sweep.
//!
//! ```text
//! args ─> plan ─> measure (engine: warm-up, planned reps, budget) ─> runs.csv, samples.csv
//!                     │
//!                     ▼
//!                 points (sweep.csv) ─> models (models.csv) ─> report (charts, REPORT.md)
//! ```
//! Layout: [`args`] (flags), [`plan`] (axes, arms, blocks), [`budget`] (reps and stop rule),
//! [`measure`] (the rounds), [`points`] and [`models`] with [`breakeven`] and [`fixed_cost`]
//! (pure analysis),
//! [`records`] (file schemas), [`data`], [`report`], [`markdown`] (with `markdown_fits`) and the two charts.
//! `--waits` is another axis with its own pipeline, in [`waits`].

pub mod args;
pub mod breakeven;
pub mod budget;
mod chart_sizes;
mod chart_workers;
pub mod data;
pub mod fixed_cost;
pub mod markdown;
mod markdown_dask;
mod markdown_fits;
pub mod measure;
pub mod models;
pub mod plan;
pub mod points;
pub mod report;
pub mod waits;

use std::fmt::Write as _;
use std::path::Path;

pub use args::SweepArgs;

use crate::error::Result;
use crate::records::sweep::{MODELS_CSV, ModelRow, SWEEP_CSV, SweepRow};
use crate::records::{CsvRecord, write_csv};
use crate::stats::BootstrapSettings;

/// The validated plan of `concbench sweep`: a wait sweep's with `--waits`, else the job-size
/// sweep's.
pub fn plan(args: &SweepArgs) -> Result<plan::SweepPlan> {
    if !args.waits.is_empty() {
        return waits::args::plan(args);
    }
    if args.reps.is_some() {
        return Err(crate::error::Error::Usage(
            "--reps: repetitions of a wait sweep (--waits); a job-size sweep plans them from --budget-s, --min-reps and --max-reps".into(),
        ));
    }
    args.plan()
}

/// Points and models from what was measured (whatever stopped it), written to
/// `out`. Returns the points.
pub fn analyse(out: &Path, measured: &measure::Measured) -> Result<Vec<SweepRow>> {
    let bootstrap = measured.meta.bootstrap.clone().unwrap_or_default();
    let (points, models) = analyse_rows(
        &measured.rows,
        &bootstrap,
        measured.settings.jobs,
        measured.meta.machine.available_parallelism,
    );
    write_csv(&out.join(SWEEP_CSV), &points)?;
    write_csv(&out.join(MODELS_CSV), &models)?;
    Ok(points)
}

/// The pure part: sweep points with their models' predictions, and the models.
pub fn analyse_rows(
    rows: &[crate::records::RunRow],
    bootstrap: &BootstrapSettings,
    jobs: usize,
    cores: usize,
) -> (Vec<SweepRow>, Vec<ModelRow>) {
    let mut points = points::sweep_points(rows, bootstrap);
    let models = models::models(&points, rows, jobs, cores);
    models::add_predictions(&mut points, &models);
    (points, models)
}

/// What stdout gets: the answer and one line per strategy.
pub fn console_summary(data: &crate::results::run_folder::SweepData) -> String {
    let mut s = String::new();
    for v in data.variants() {
        if let Some(a) = markdown::answer(data, v) {
            let _ = writeln!(s, "{a}");
        }
        let _ = writeln!(
            s,
            "{:<8} {:<15} {:>7} {:>12} {:>14} {:>26} {:>26} {:>10} {:>22}",
            "variant",
            "strategy",
            "workers",
            "fixed cost",
            "predicted",
            "measured break-even",
            "above 1, not significant",
            "Amdahl s",
            "USL σ / κ"
        );
        for m in data.models_of(v) {
            let measured =
                breakeven::Crossing::from_columns(m.break_even_ms, m.break_even_below_ms);
            let above_one = breakeven::Crossing::from_columns(m.above_one_ms, m.above_one_below_ms);
            let _ = writeln!(
                s,
                "{:<8} {:<15} {:>7} {:>12} {:>14} {:>26} {:>26} {:>10} {:>22}",
                v.name(),
                m.strategy,
                m.break_even_workers.map_or("-".into(), |n| n.to_string()),
                m.fixed_cost_ms
                    .map_or("-".into(), |f| crate::console::format_seconds(f / 1e3)),
                m.predicted_break_even_ms
                    .map_or("-".into(), data::size_words),
                crossing_short(measured),
                markdown::not_significant_words(measured, above_one).unwrap_or("-".into()),
                m.amdahl_serial_fraction
                    .map_or("not fitted".into(), |x| format!("{x:.3}")),
                match (m.usl_sigma, m.usl_kappa) {
                    (Some(sg), Some(k)) => format!("{sg:.3} / {k:.5}"),
                    _ => "not fitted".into(),
                }
            );
        }
    }
    s
}

fn crossing_short(c: breakeven::Crossing) -> String {
    use breakeven::Crossing::*;
    match c {
        Between { below, at } => format!("{} – {}", data::size_words(below), data::size_words(at)),
        AtOrBelow(at) => format!("≤ {}", data::size_words(at)),
        Beyond(last) => format!("> {}", data::size_words(last)),
        NoData => "-".into(),
    }
}

/// The headers of sweep.csv and models.csv (for documentation and tests).
pub fn headers() -> (&'static [&'static str], &'static [&'static str]) {
    (SweepRow::HEADER, ModelRow::HEADER)
}

/// A sweep runs the py-* strategies on one interpreter: `--python` names at most one, and not
/// `all` (which finds several).
pub fn one_python(requested: &[std::path::PathBuf]) -> Result<()> {
    if requested.len() > 1 || crate::strategy::python::discover::asks_for_all(requested) {
        return Err(crate::error::Error::Usage(format!(
            "--python: a sweep runs the py-* strategies on one interpreter ({} given)",
            if requested.len() > 1 {
                requested.len().to_string()
            } else {
                "'all' finds several".into()
            }
        )));
    }
    Ok(())
}
