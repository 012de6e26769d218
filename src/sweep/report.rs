//! A sweep's charts and REPORT.md, built from its files alone (sweep.csv, models.csv,
//! meta.json), by `concbench sweep` at the end and by `concbench report --input DIR` for a
//! folder that holds a sweep.csv. Every input is read and checked before anything is written;
//! charts and the report go under temporary names and are renamed only when all are complete.

use std::path::Path;

use super::{chart_sizes, chart_workers, waits};
use crate::chart::{ChartSpec, register_fonts, stage_svg_and_png};
use crate::error::{Error, Result};
use crate::results::Staged;
use crate::results::run_folder::SweepData;
use crate::results::run_folder::{CHARTS_DIR, REPORT_MD};

/// Every chart of a sweep, in report order.
pub const SWEEP_CHARTS: [ChartSpec; 2] = [chart_workers::SPEC, chart_sizes::SPEC];

/// Regenerate DIR/charts/{speedup_vs_workers,speedup_vs_job_size}.{svg,png} and DIR/REPORT.md.
/// A wait sweep's folder gets DIR/charts/waits.{svg,png} and its own REPORT.md instead.
pub fn generate(dir: &Path) -> Result<()> {
    let data = SweepData::load(dir)?;
    let charts_dir = dir.join(CHARTS_DIR);
    std::fs::create_dir_all(&charts_dir).map_err(|e| Error::write(&charts_dir, e))?;
    register_fonts()?;
    let mut staged = Staged::default();
    if waits::is_wait_sweep(&data) {
        let chart = waits::chart::Waits::new(&data);
        stage_svg_and_png(&mut staged, &charts_dir, &waits::WAITS_CHART, &chart)?;
        staged.bytes(
            &dir.join(REPORT_MD),
            waits::markdown::markdown(&data).as_bytes(),
        )?;
        return staged.commit();
    }
    let by_workers = chart_workers::SpeedupVsWorkers::new(&data);
    stage_svg_and_png(&mut staged, &charts_dir, &chart_workers::SPEC, &by_workers)?;
    let by_size = chart_sizes::SpeedupVsJobSize::new(&data);
    stage_svg_and_png(&mut staged, &charts_dir, &chart_sizes::SPEC, &by_size)?;
    staged.bytes(
        &dir.join(REPORT_MD),
        super::markdown::markdown(&data, &SWEEP_CHARTS).as_bytes(),
    )?;
    staged.commit()
}

/// `concbench report --input DIR` for a sweep folder.
pub fn run_cli(dir: &Path) -> Result<()> {
    let started = std::time::Instant::now();
    generate(dir)?;
    let charts = match SweepData::load(dir) {
        Ok(d) if waits::is_wait_sweep(&d) => 1,
        _ => SWEEP_CHARTS.len(),
    };
    crate::console::emit(&format!(
        "wrote {} and {charts} chart(s) (SVG + PNG) in {} in {:.2} s\n",
        dir.join(REPORT_MD).display(),
        dir.join(CHARTS_DIR).display(),
        started.elapsed().as_secs_f64()
    ));
    Ok(())
}
