//! `concbench sweep`: every strategy over worker counts and job sizes within a time budget,
//! then points, models, charts and REPORT.md.

use std::time::{Duration, Instant};

use super::Outcome;
use crate::console;
use crate::error::{Error, Result};
use crate::strategy::{RuntimeSettings, StrategyContext};
pub use crate::sweep::SweepArgs;
use crate::sweep::{self, measure, report, waits};

pub fn execute(args: &SweepArgs) -> Result<Outcome> {
    let started = Instant::now();
    crate::sweep::args::refuse_http(&args.variant)?;
    let mut plan = sweep::plan(args)?;
    // Bad input first: an unwritable --out, or one another run is writing into, gets its one
    // line before any interpreter is probed. The lock is held until the report is written.
    let _lock = crate::results::FolderLock::for_output(&plan.study.out_dir)?;
    let pythons = crate::study::arms::pythons_for(&mut plan.strategies, &args.engine.python);
    plan.python = pythons.first().cloned();
    // A sweep runs on the first interpreter only.
    let first = &pythons[..pythons.len().min(1)];
    crate::strategy::python::subinterpreters::interpreters_for(&mut plan.strategies, first);
    plan.dask = crate::study::arms::dask_for(
        &mut plan.strategies,
        &pythons,
        args.engine.dask_scheduler.as_deref(),
        plan.workers.iter().copied().max().unwrap_or(1),
    )?;
    if plan.strategies.iter().all(|s| s.baseline() == s.name) {
        return Err(Error::Usage("no strategy left to sweep".into()));
    }
    crate::lifecycle::install()?;
    let mut ctx = StrategyContext::current_exe(Duration::from_secs(60))?;
    ctx.runtime = RuntimeSettings {
        python: args.engine.python.first().cloned(),
        switch_interval: Duration::from_secs_f64(args.switch_interval_ms / 1e3),
        py_kernel: args.py_kernel,
        dask_scheduler: args.engine.dask_scheduler.clone(),
        start_method: args.engine.start_method,
        ..RuntimeSettings::default()
    };
    ctx.chunk = plan.chunk;
    if let Some(axis) = &plan.waits {
        for note in waits::plan::skipped(&plan.strategies, &axis.waiters) {
            eprintln!("concbench sweep: {note}");
        }
    }
    let measured = match &plan.waits {
        Some(axis) => waits::measure::run(&plan, axis, &ctx)?,
        None => measure::run(&plan, &ctx, started)?,
    };
    let out = &plan.study.out_dir;
    let analysed = match &plan.waits {
        Some(_) => waits::analyse(out, &measured),
        None => sweep::analyse(out, &measured),
    };
    let reported = match &analysed {
        Ok(points) if !points.is_empty() => report::generate(out),
        Ok(_) => Ok(()),
        Err(e) => Err(Error::Measurement(e.to_string())),
    };
    if let (Ok(_), Ok(())) = (&analysed, &reported)
        && !measured.rows.is_empty()
        && let Ok(data) = crate::results::run_folder::SweepData::load(out)
    {
        console::emit(&if waits::is_wait_sweep(&data) {
            waits::console_summary(&data)
        } else {
            sweep::console_summary(&data)
        });
    }
    if let Some(e) = measured.error.or(analysed.err()) {
        eprintln!(
            "concbench: {e}; {} measured trial(s) kept in {} (sweep.csv, models.csv{})",
            measured.rows.len(),
            out.display(),
            if reported.is_ok() && !measured.rows.is_empty() {
                ", REPORT.md and charts"
            } else {
                ""
            }
        );
        return Ok(Outcome::ended_by(&e));
    }
    reported?;
    console::emit(&format!(
        "sweep.csv, models.csv, charts and REPORT.md in {} ({:.1} s)\n",
        out.display(),
        started.elapsed().as_secs_f64()
    ));
    Ok(Outcome::after_mismatches(measured.meta.mismatches))
}
