//! A sweep's charts and REPORT.md, built from its files alone (sweep.csv, models.csv,
//! meta.json), by `concbench sweep` at the end and by `concbench report --input DIR` for a
//! folder that holds a sweep.csv. Every input is read and checked before anything is written;
//! charts and the report go under temporary names and are renamed only when all are complete.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::data::SweepData;
use super::records::SWEEP_CSV;
use crate::chart::{self, ChartSpec, DrawResult, Pending, register_fonts, temp_path};
use crate::error::{Error, Result};
use crate::results::run_folder::{CHARTS_DIR, REPORT_MD};

/// Every chart of a sweep, in report order.
pub const SWEEP_CHARTS: [ChartSpec; 2] = [
    ChartSpec {
        name: "speedup_vs_workers",
        title: "Speedup against workers",
        size: (1200, 700),
        caption: "At the largest job size: each strategy's median speedup over sequential with its 95% CI, the USL (solid) and Amdahl (dashed) curves fitted to those points, and the ideal (grey: one per worker, capped by the jobs and, for CPU-bound work, by the cores).",
    },
    ChartSpec {
        name: "speedup_vs_job_size",
        title: "Speedup against work per job",
        size: (1200, 720),
        caption: "At the break-even worker count: speedup over sequential against the work per job, both axes logarithmic. A triangle marks where a strategy starts to pay off for good (its CI above 1 from that size on); a ring on the 1× line, where its fixed cost predicts it would.",
    },
];

/// Whether `dir` holds a sweep (rather than a run).
pub fn is_sweep(dir: &Path) -> bool {
    dir.join(SWEEP_CSV).is_file()
}

/// Regenerate DIR/charts/{speedup_vs_workers,speedup_vs_job_size}.{svg,png} and DIR/REPORT.md.
pub fn generate(dir: &Path) -> Result<()> {
    let data = SweepData::load(dir)?;
    let charts_dir = dir.join(CHARTS_DIR);
    std::fs::create_dir_all(&charts_dir).map_err(|e| Error::io(&charts_dir, e))?;
    register_fonts()?;
    let mut pending: Vec<Pending> = Vec::new();
    for spec in &SWEEP_CHARTS {
        if let Err(e) = render(spec, &data, &charts_dir, &mut pending) {
            chart::discard(pending);
            return Err(e);
        }
    }
    let dest = dir.join(REPORT_MD);
    let tmp = temp_path(&dest);
    let written = std::fs::write(&tmp, super::markdown::markdown(&data, &SWEEP_CHARTS));
    pending.push(Pending {
        tmp: tmp.clone(),
        dest,
    });
    if let Err(e) = written {
        chart::discard(pending);
        return Err(Error::io(&tmp, e));
    }
    chart::commit(pending)
}

/// `concbench report --input DIR` for a sweep folder.
pub fn run_cli(dir: &Path) -> Result<()> {
    let started = std::time::Instant::now();
    generate(dir)?;
    crate::console::emit(&format!(
        "wrote {} and {} charts (SVG + PNG) in {} in {:.2} s\n",
        dir.join(REPORT_MD).display(),
        SWEEP_CHARTS.len(),
        dir.join(CHARTS_DIR).display(),
        started.elapsed().as_secs_f64()
    ));
    Ok(())
}

fn render(
    spec: &ChartSpec,
    data: &SweepData,
    dir: &Path,
    pending: &mut Vec<Pending>,
) -> Result<()> {
    let failed = |e: Box<dyn std::error::Error>| {
        Error::Measurement(format!("drawing chart {}: {e}", spec.name))
    };
    let svg_dest = dir.join(format!("{}.svg", spec.name));
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, spec.size).into_drawing_area();
        draw(spec, &root, data).map_err(failed)?;
        root.present().map_err(|e| failed(e.into()))?;
    }
    let svg_tmp = temp_path(&svg_dest);
    pending.push(Pending {
        tmp: svg_tmp.clone(),
        dest: svg_dest,
    });
    std::fs::write(&svg_tmp, svg).map_err(|e| Error::io(&svg_tmp, e))?;
    let png_dest = dir.join(format!("{}.png", spec.name));
    let png_tmp = temp_path(&png_dest);
    pending.push(Pending {
        tmp: png_tmp.clone(),
        dest: png_dest,
    });
    let root = BitMapBackend::new(&png_tmp, spec.size).into_drawing_area();
    draw(spec, &root, data).map_err(failed)?;
    root.present().map_err(|e| failed(e.into()))
}

fn draw<DB: DrawingBackend>(
    spec: &ChartSpec,
    root: &DrawingArea<DB, Shift>,
    data: &SweepData,
) -> DrawResult<()>
where
    DB::ErrorType: 'static,
{
    match spec.name {
        "speedup_vs_workers" => super::chart_workers::draw(root, data, spec),
        "speedup_vs_job_size" => super::chart_sizes::draw(root, data, spec),
        other => Err(format!("unknown chart {other}").into()),
    }
}
